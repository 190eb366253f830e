//! The result of a check, and whether a dose may be recorded given the
//! physician's overrides.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::finding::{CheckCode, Finding, Severity, Subject};
use crate::code_enum;
use crate::patient::required_text;

/// Longest override reason, in characters.
pub const OVERRIDE_REASON_MAX: usize = 2000;

/// The findings of one check, blocks first, then overrides, then warnings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub findings: Vec<Finding>,
}

/// A physician's decision to go ahead despite one overridable finding.
/// It names the finding by its code and subject, and is recorded with the
/// administration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub code: CheckCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The physician who decided. That this user is a physician of the
    /// clinic is checked by the caller (roles are not facts of the check).
    pub physician_id: Uuid,
    /// Why, in the physician's words (required, at most
    /// [`OVERRIDE_REASON_MAX`] characters).
    pub reason: String,
}

code_enum! {
    /// Why a dose may not be recorded (message key `err-<code>`).
    pub enum RefusalCode {
        /// A finding that nobody can override stands.
        CheckBlocked => "check_blocked",
        /// An overridable finding has no physician's override.
        OverrideRequired => "override_required",
        /// An override names a finding that cannot be overridden.
        OverrideNotAllowed => "override_not_allowed",
        /// An override names a finding that is not there (or a warning,
        /// which needs no override).
        OverrideNotApplicable => "override_not_applicable",
        /// An override without a reason.
        OverrideReasonRequired => "override_reason_required",
        /// An override reason longer than [`OVERRIDE_REASON_MAX`].
        OverrideReasonTooLong => "override_reason_too_long",
        /// An override reason with control characters.
        OverrideReasonInvalid => "override_reason_invalid",
        /// Two overrides for the same finding.
        OverrideDuplicate => "override_duplicate",
    }
}

/// One reason a dose may not be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: RefusalCode,
    /// The finding concerned (or the code an override named).
    pub finding: CheckCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// For a problem with an override: its position in the list given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_index: Option<usize>,
}

impl Refusal {
    /// The message key: `err-<code>`.
    pub fn message_key(&self) -> String {
        format!("err-{}", self.code.as_str())
    }
}

impl CheckOutcome {
    /// Findings of one severity, in order.
    pub fn of(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }

    /// Whether a finding nobody can override stands.
    pub fn is_blocked(&self) -> bool {
        self.of(Severity::Block).next().is_some()
    }

    /// Whether a finding with this code and subject is present.
    pub fn has(&self, code: CheckCode, subject: Option<&Subject>) -> bool {
        self.findings
            .iter()
            .any(|f| f.code == code && f.subject.as_ref() == subject)
    }

    /// Whether the dose may be recorded with `overrides`: no block stands,
    /// every overridable finding is covered by exactly one override with a
    /// written reason, and every override is valid. On success, the
    /// overrides to record (reasons trimmed), in the order of the findings
    /// they cover. On failure, every reason, findings first, then the
    /// overrides' problems in the order given.
    pub fn may_proceed(&self, overrides: &[Override]) -> Result<Vec<Override>, Vec<Refusal>> {
        let mut refusals = Vec::new();
        let mut accepted: Vec<Override> = Vec::new();
        let mut override_refusals = Vec::new();
        let mut claimed: Vec<(CheckCode, Option<&Subject>)> = Vec::new();
        for (i, o) in overrides.iter().enumerate() {
            let refuse = |code| Refusal {
                code,
                finding: o.code,
                subject: o.subject.clone(),
                override_index: Some(i),
            };
            let key = (o.code, o.subject.as_ref());
            let problem = if o.code.severity() == Severity::Block {
                Some(RefusalCode::OverrideNotAllowed)
            } else if o.code.severity() != Severity::Override
                || !self.has(o.code, o.subject.as_ref())
            {
                Some(RefusalCode::OverrideNotApplicable)
            } else if claimed.contains(&key) {
                Some(RefusalCode::OverrideDuplicate)
            } else {
                claimed.push(key);
                match required_text(&o.reason, "reason", OVERRIDE_REASON_MAX) {
                    Ok(reason) => {
                        accepted.push(Override {
                            reason,
                            ..o.clone()
                        });
                        None
                    }
                    Err(e) => Some(match e.code {
                        "field_required" => RefusalCode::OverrideReasonRequired,
                        "field_too_long" => RefusalCode::OverrideReasonTooLong,
                        _ => RefusalCode::OverrideReasonInvalid,
                    }),
                }
            };
            if let Some(code) = problem {
                override_refusals.push(refuse(code));
            }
        }
        let mut ordered = Vec::new();
        for f in &self.findings {
            let refuse = |code| Refusal {
                code,
                finding: f.code,
                subject: f.subject.clone(),
                override_index: None,
            };
            match f.severity {
                Severity::Block => refusals.push(refuse(RefusalCode::CheckBlocked)),
                Severity::Override => {
                    match accepted
                        .iter()
                        .position(|o| o.code == f.code && o.subject == f.subject)
                    {
                        Some(i) => ordered.push(accepted.swap_remove(i)),
                        None => {
                            // An override refused above is already reported.
                            let refused = override_refusals
                                .iter()
                                .any(|r: &Refusal| r.finding == f.code && r.subject == f.subject);
                            if !refused {
                                refusals.push(refuse(RefusalCode::OverrideRequired));
                            }
                        }
                    }
                }
                Severity::Warning => {}
            }
        }
        refusals.extend(override_refusals);
        if refusals.is_empty() {
            Ok(ordered)
        } else {
            Err(refusals)
        }
    }
}
