//! What a clinic may charge, at most, when a covered contract is cancelled
//! (regulatory.md §3.3; 特定商取引法 48条 cooling-off, 49条 中途解約 with
//! the amounts for beauty medical services).
//!
//! On the day the patient sends the notice:
//! - **cooling_off**: within the 8 days from receipt of the contract
//!   document (or at any time while it has not been received): nothing is
//!   charged, not even for sessions already given, and everything paid is
//!   refunded.
//! - **before_start**: after the cooling-off, no session given yet: at most
//!   ¥20,000.
//! - **after_start**: at least one session given: at most the value of the
//!   sessions given at the contract's unit price, `total × used ÷ sessions`
//!   rounded down to the yen, plus the lower of ¥50,000 and 20% of the rest
//!   of the contract (`total − that value`), rounded down.
//!
//! A clinic's own terms ([`ClinicTerms`]) may charge less, never more: the
//! quote takes the lower of the law's cap and the terms. The quote shows its
//! arithmetic as [`Step`]s (a code and the figures), for a screen to render
//! in Japanese or English.
//!
//! Related goods (関連商品) and their return are not part of this quote.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{MAX_YEN, Yen, cooling_off, format_date, format_yen};
use crate::code_enum;
use crate::error::FieldError;
use crate::locale::Locale;

/// The most that may be charged when cancelled before the first session.
pub const BEFORE_START_CAP: Yen = 20_000;
/// After the first session: the cap on the fee on top of the sessions given…
pub const AFTER_START_FEE_CAP: Yen = 50_000;
/// …and the share of the rest of the contract it may not exceed, in percent.
pub const AFTER_START_FEE_PERCENT: u32 = 20;
/// The most sessions a contract may have in these rules.
pub const MAX_SESSIONS: u32 = 10_000;

code_enum! {
    /// Which rule a cancellation falls under.
    pub enum Kind {
        CoolingOff => "cooling_off",
        BeforeStart => "before_start",
        AfterStart => "after_start",
        /// The Act does not cover the contract: no cooling-off and none of
        /// its caps; the clinic's own terms shown at sale apply.
        NotCovered => "not_covered",
    }
}

/// What a clinic's own cancellation terms charge. Each part left `None`
/// follows the law; a part above the law is capped by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicTerms {
    /// The charge when cancelled after the cooling-off and before the first
    /// session (the law: at most ¥20,000).
    pub before_start_fee: Option<Yen>,
    /// After the first session, the fee on top of the sessions given is at
    /// most this amount (the law: ¥50,000)…
    pub after_start_fee_cap: Option<Yen>,
    /// …and at most this percentage of the rest of the contract, rounded
    /// down (the law: 20).
    pub after_start_fee_percent: Option<u32>,
}

/// The facts of a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationFacts {
    /// The contract's total, tax included.
    pub total: Yen,
    /// Sessions in the contract (at least 1).
    pub sessions: u32,
    /// Sessions given by the notice date.
    pub used: u32,
    /// The day the contract was made, when known (checked against the other
    /// dates).
    pub contracted_on: Option<Date>,
    /// The day the patient received the contract document; `None` while it
    /// has not been received.
    pub document_received: Option<Date>,
    /// The day the patient sent the cancellation notice.
    pub notice: Date,
    /// What the patient has paid so far, when known.
    pub paid: Option<Yen>,
    /// The clinic's own terms, when they charge less than the law allows
    /// (for a contract the Act does not cover: the terms shown at sale).
    pub terms: Option<ClinicTerms>,
    /// Whether the Act covers the contract (`coverage::decide`). A contract
    /// it does not cover has no cooling-off and none of its caps: its
    /// cancellation follows the clinic's own terms.
    #[serde(default = "covered_by_default")]
    pub covered: bool,
}

fn covered_by_default() -> bool {
    true
}

/// One line of a quote's arithmetic: a stable code and its figures.
/// Serialised as `{"code": "provided_value", "total": 100000, …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code")]
pub enum Step {
    /// The contract document has not been received: the cooling-off has not
    /// started and stays open.
    #[serde(rename = "document_not_received")]
    DocumentNotReceived,
    /// The cooling-off runs 8 days from `received`, that day included.
    #[serde(rename = "cooling_off_period")]
    CoolingOffPeriod { received: Date, last_day: Date },
    #[serde(rename = "notice_within_cooling_off")]
    NoticeWithinCoolingOff { notice: Date },
    #[serde(rename = "notice_after_cooling_off")]
    NoticeAfterCoolingOff { notice: Date, last_day: Date },
    /// `value = floor(total × used ÷ sessions)`.
    #[serde(rename = "provided_value")]
    ProvidedValue {
        total: Yen,
        sessions: u32,
        used: u32,
        value: Yen,
    },
    /// Within the cooling-off even the sessions given are not charged.
    #[serde(rename = "cooling_off_no_charge")]
    CoolingOffNoCharge { provided_value: Yen },
    /// No session given: the law caps the charge at `cap`.
    #[serde(rename = "before_start_cap")]
    BeforeStartCap { cap: Yen },
    /// `value = total − provided_value`.
    #[serde(rename = "remaining_value")]
    RemainingValue {
        total: Yen,
        provided_value: Yen,
        value: Yen,
    },
    /// `value = floor(remaining × percent ÷ 100)`, the law's 20%.
    #[serde(rename = "percent_of_remaining")]
    PercentOfRemaining {
        remaining: Yen,
        percent: u32,
        value: Yen,
    },
    /// `value = min(cap, percent_value)`: the law's fee cap.
    #[serde(rename = "after_start_fee_cap")]
    AfterStartFeeCap {
        cap: Yen,
        percent_value: Yen,
        value: Yen,
    },
    /// The clinic's terms' percentage of the rest of the contract.
    #[serde(rename = "clinic_terms_percent_of_remaining")]
    ClinicTermsPercentOfRemaining {
        remaining: Yen,
        percent: u32,
        value: Yen,
    },
    /// The clinic's terms ask `terms`, not more than the law's `legal`:
    /// `terms` applies.
    #[serde(rename = "clinic_terms_apply")]
    ClinicTermsApply { terms: Yen, legal: Yen },
    /// The clinic's terms ask `terms`, more than the law allows: `legal`
    /// applies.
    #[serde(rename = "clinic_terms_capped")]
    ClinicTermsCapped { terms: Yen, legal: Yen },
    /// `value = provided_value + fee`.
    #[serde(rename = "after_start_charge")]
    AfterStartCharge {
        provided_value: Yen,
        fee: Yen,
        value: Yen,
    },
    /// The Act does not cover the contract: no cooling-off, no legal cap;
    /// the clinic's own terms shown at sale apply.
    #[serde(rename = "not_covered_clinic_terms")]
    NotCoveredClinicTerms,
    /// Not covered, no session given: the clinic's terms charge `value`
    /// (0 when they set no fee).
    #[serde(rename = "clinic_terms_before_start_fee")]
    ClinicTermsBeforeStartFee { value: Yen },
    /// Not covered, after the first session: the clinic's terms charge
    /// `value` on top of the sessions given (0 when they set no fee).
    #[serde(rename = "clinic_terms_fee")]
    ClinicTermsFee { value: Yen },
    /// A fee above the average damage such a cancellation causes is void
    /// (消費者契約法9条1号).
    #[serde(rename = "consumer_contract_act_limit")]
    ConsumerContractActLimit { fee: Yen },
    /// The most the clinic may charge.
    #[serde(rename = "max_charge")]
    MaxCharge { value: Yen },
    /// `value = max(0, paid − max_charge)`.
    #[serde(rename = "refund")]
    Refund {
        paid: Yen,
        max_charge: Yen,
        value: Yen,
    },
    /// `value = max_charge − paid`: what the clinic may still claim.
    #[serde(rename = "balance_due")]
    BalanceDue {
        paid: Yen,
        max_charge: Yen,
        value: Yen,
    },
}

impl Step {
    /// The stable code (the same as the serialised `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Step::DocumentNotReceived => "document_not_received",
            Step::CoolingOffPeriod { .. } => "cooling_off_period",
            Step::NoticeWithinCoolingOff { .. } => "notice_within_cooling_off",
            Step::NoticeAfterCoolingOff { .. } => "notice_after_cooling_off",
            Step::ProvidedValue { .. } => "provided_value",
            Step::CoolingOffNoCharge { .. } => "cooling_off_no_charge",
            Step::BeforeStartCap { .. } => "before_start_cap",
            Step::RemainingValue { .. } => "remaining_value",
            Step::PercentOfRemaining { .. } => "percent_of_remaining",
            Step::AfterStartFeeCap { .. } => "after_start_fee_cap",
            Step::ClinicTermsPercentOfRemaining { .. } => "clinic_terms_percent_of_remaining",
            Step::ClinicTermsApply { .. } => "clinic_terms_apply",
            Step::ClinicTermsCapped { .. } => "clinic_terms_capped",
            Step::AfterStartCharge { .. } => "after_start_charge",
            Step::NotCoveredClinicTerms => "not_covered_clinic_terms",
            Step::ClinicTermsBeforeStartFee { .. } => "clinic_terms_before_start_fee",
            Step::ClinicTermsFee { .. } => "clinic_terms_fee",
            Step::ConsumerContractActLimit { .. } => "consumer_contract_act_limit",
            Step::MaxCharge { .. } => "max_charge",
            Step::Refund { .. } => "refund",
            Step::BalanceDue { .. } => "balance_due",
        }
    }

    /// The line for a person.
    pub fn text(&self, locale: Locale) -> String {
        let y = |v: Yen| format_yen(v, locale);
        let d = |v: Date| format_date(v, locale);
        let ja = locale == Locale::Ja;
        match *self {
            Step::DocumentNotReceived if ja => {
                "契約書面を受領していないため、クーリング・オフ期間は始まっておらず、いつでもクーリング・オフできます。"
                    .into()
            }
            Step::DocumentNotReceived => {
                "The contract document has not been received: the cooling-off has not started and remains open."
                    .into()
            }
            Step::CoolingOffPeriod { received, last_day } if ja => format!(
                "契約書面の受領日{}を含めて8日間：クーリング・オフ期限は{}です。",
                d(received),
                d(last_day)
            ),
            Step::CoolingOffPeriod { received, last_day } => format!(
                "Contract document received on {}: 8 days, that day included, run until {}.",
                d(received),
                d(last_day)
            ),
            Step::NoticeWithinCoolingOff { notice } if ja => format!(
                "{}の通知はクーリング・オフ期間内です。",
                d(notice)
            ),
            Step::NoticeWithinCoolingOff { notice } => {
                format!("The notice of {} is within the cooling-off.", d(notice))
            }
            Step::NoticeAfterCoolingOff { notice, last_day } if ja => format!(
                "{}の通知はクーリング・オフ期限{}の後のため、中途解約です。",
                d(notice),
                d(last_day)
            ),
            Step::NoticeAfterCoolingOff { notice, last_day } => format!(
                "The notice of {} is after the cooling-off ended on {}: a cancellation (中途解約).",
                d(notice),
                d(last_day)
            ),
            Step::ProvidedValue {
                total,
                sessions,
                used,
                value,
            } if ja => format!(
                "提供済み役務の対価：{} × {used}回 ÷ {sessions}回 = {}（円未満切り捨て）",
                y(total),
                y(value)
            ),
            Step::ProvidedValue {
                total,
                sessions,
                used,
                value,
            } => format!(
                "Value of the sessions given: {} × {used} ÷ {sessions} = {} (rounded down to the yen)",
                y(total),
                y(value)
            ),
            Step::CoolingOffNoCharge { provided_value } if ja => format!(
                "クーリング・オフでは、提供済みの役務（{}）も含めて請求できません。",
                y(provided_value)
            ),
            Step::CoolingOffNoCharge { provided_value } => format!(
                "Within the cooling-off nothing is charged, not even the sessions given ({}).",
                y(provided_value)
            ),
            Step::BeforeStartCap { cap } if ja => {
                format!("役務提供開始前の解約：請求できるのは{}までです。", y(cap))
            }
            Step::BeforeStartCap { cap } => format!(
                "Cancelled before the first session: the charge is at most {}.",
                y(cap)
            ),
            Step::RemainingValue {
                total,
                provided_value,
                value,
            } if ja => format!(
                "契約残額：{} − {} = {}",
                y(total),
                y(provided_value),
                y(value)
            ),
            Step::RemainingValue {
                total,
                provided_value,
                value,
            } => format!(
                "Rest of the contract: {} − {} = {}",
                y(total),
                y(provided_value),
                y(value)
            ),
            Step::PercentOfRemaining {
                remaining,
                percent,
                value,
            } if ja => format!(
                "契約残額の{percent}%：{} × {percent}% = {}（円未満切り捨て）",
                y(remaining),
                y(value)
            ),
            Step::PercentOfRemaining {
                remaining,
                percent,
                value,
            } => format!(
                "{percent}% of the rest: {} × {percent}% = {} (rounded down)",
                y(remaining),
                y(value)
            ),
            Step::AfterStartFeeCap {
                cap,
                percent_value,
                value,
            } if ja => format!(
                "損害賠償等の上限：{}と{}のいずれか低い額 = {}",
                y(cap),
                y(percent_value),
                y(value)
            ),
            Step::AfterStartFeeCap {
                cap,
                percent_value,
                value,
            } => format!(
                "Fee cap: the lower of {} and {} = {}",
                y(cap),
                y(percent_value),
                y(value)
            ),
            Step::ClinicTermsPercentOfRemaining {
                remaining,
                percent,
                value,
            } if ja => format!(
                "クリニックの規約：契約残額の{percent}% = {} × {percent}% = {}（円未満切り捨て）",
                y(remaining),
                y(value)
            ),
            Step::ClinicTermsPercentOfRemaining {
                remaining,
                percent,
                value,
            } => format!(
                "The clinic's terms: {percent}% of the rest = {} × {percent}% = {} (rounded down)",
                y(remaining),
                y(value)
            ),
            Step::ClinicTermsApply { terms, legal } if ja => format!(
                "クリニックの規約の額{}は法定上限{}以下のため、規約の額を適用します。",
                y(terms),
                y(legal)
            ),
            Step::ClinicTermsApply { terms, legal } => format!(
                "The clinic's terms ask {}, not more than the legal cap of {}: the terms apply.",
                y(terms),
                y(legal)
            ),
            Step::ClinicTermsCapped { terms, legal } if ja => format!(
                "クリニックの規約の額{}は法定上限{}を超えるため、法定上限を適用します。",
                y(terms),
                y(legal)
            ),
            Step::ClinicTermsCapped { terms, legal } => format!(
                "The clinic's terms ask {}, more than the law allows: the legal cap of {} applies.",
                y(terms),
                y(legal)
            ),
            Step::AfterStartCharge {
                provided_value,
                fee,
                value,
            } if ja => format!(
                "請求上限：{} + {} = {}",
                y(provided_value),
                y(fee),
                y(value)
            ),
            Step::AfterStartCharge {
                provided_value,
                fee,
                value,
            } => format!(
                "Maximum charge: {} + {} = {}",
                y(provided_value),
                y(fee),
                y(value)
            ),
            Step::NotCoveredClinicTerms if ja => {
                "この契約は特定商取引法の特定継続的役務提供に当たらないため、クーリング・オフも法定の解約料の上限もありません。解約は契約時にお示ししたクリニックの解約規定によります。"
                    .into()
            }
            Step::NotCoveredClinicTerms => {
                "The Act does not cover this contract: there is no cooling-off and no legal cap. The cancellation follows the clinic's own terms shown at sale."
                    .into()
            }
            Step::ClinicTermsBeforeStartFee { value } if ja => {
                format!("施術開始前の解約：クリニックの解約規定による解約料は{}です。", y(value))
            }
            Step::ClinicTermsBeforeStartFee { value } => format!(
                "Cancelled before the first session: the clinic's terms charge {}.",
                y(value)
            ),
            Step::ClinicTermsFee { value } if ja => format!(
                "施術開始後の解約：提供済みの施術の対価に加え、クリニックの解約規定による解約料は{}です。",
                y(value)
            ),
            Step::ClinicTermsFee { value } => format!(
                "Cancelled after the first session: on top of the sessions given, the clinic's terms charge {}.",
                y(value)
            ),
            Step::ConsumerContractActLimit { fee } if ja => format!(
                "消費者契約法9条1号により、解約料{}のうち、同種の契約の解除に伴い事業者に生ずべき平均的な損害の額を超える部分は無効です。",
                y(fee)
            ),
            Step::ConsumerContractActLimit { fee } => format!(
                "Under the Consumer Contract Act (art. 9(1)(i)) the part of the fee of {} above the average damage such a cancellation causes the clinic is void.",
                y(fee)
            ),
            Step::MaxCharge { value } if ja => format!("請求できる上限額：{}", y(value)),
            Step::MaxCharge { value } => format!("The most the clinic may charge: {}", y(value)),
            Step::Refund {
                paid,
                max_charge,
                value,
            } if ja => format!(
                "返金額：支払済み{} − 請求上限{} = {}",
                y(paid),
                y(max_charge),
                y(value)
            ),
            Step::Refund {
                paid,
                max_charge,
                value,
            } => format!(
                "Refund: paid {} − maximum charge {} = {}",
                y(paid),
                y(max_charge),
                y(value)
            ),
            Step::BalanceDue {
                paid,
                max_charge,
                value,
            } if ja => format!(
                "未払い残額：請求上限{} − 支払済み{} = {}（返金なし）",
                y(max_charge),
                y(paid),
                y(value)
            ),
            Step::BalanceDue {
                paid,
                max_charge,
                value,
            } => format!(
                "Still due: maximum charge {} − paid {} = {} (no refund)",
                y(max_charge),
                y(paid),
                y(value)
            ),
        }
    }
}

/// A cancellation quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub kind: Kind,
    /// The last day of the cooling-off; `None` while the contract document
    /// has not been received.
    pub cooling_off_until: Option<Date>,
    /// The value of the sessions given at the contract's unit price, in
    /// every kind (within the cooling-off it is not charged).
    pub provided_value: Yen,
    /// The most the clinic may charge.
    pub max_charge: Yen,
    /// `max(0, paid − max_charge)`, when `paid` is known.
    pub refund: Option<Yen>,
    /// `max(0, max_charge − paid)`, when `paid` is known.
    pub balance_due: Option<Yen>,
    /// The arithmetic, in order.
    pub steps: Vec<Step>,
}

/// Checks the facts; every problem is listed.
pub fn validate(f: &CancellationFacts) -> Result<(), Vec<FieldError>> {
    let mut e = Vec::new();
    check_amount(&mut e, "total", f.total);
    if f.sessions == 0 {
        e.push(FieldError::new("sessions", "sessions_zero"));
    } else if f.sessions > MAX_SESSIONS {
        e.push(FieldError::new("sessions", "sessions_too_many"));
    }
    if f.used > f.sessions {
        e.push(FieldError::new("used", "used_exceeds_sessions"));
    }
    if let Some(contracted) = f.contracted_on {
        if f.notice < contracted {
            e.push(FieldError::new("notice", "notice_before_contract"));
        }
        if f.document_received.is_some_and(|r| r < contracted) {
            e.push(FieldError::new(
                "document_received",
                "document_received_before_contract",
            ));
        }
    }
    if let Some(paid) = f.paid {
        check_amount(&mut e, "paid", paid);
        if paid > f.total && f.total >= 0 {
            e.push(FieldError::new("paid", "paid_exceeds_total"));
        }
    }
    if let Some(t) = f.terms {
        if let Some(fee) = t.before_start_fee {
            check_amount(&mut e, "terms_before_start_fee", fee);
        }
        if let Some(cap) = t.after_start_fee_cap {
            check_amount(&mut e, "terms_after_start_fee_cap", cap);
        }
        if t.after_start_fee_percent.is_some_and(|p| p > 100) {
            e.push(FieldError::new(
                "terms_after_start_fee_percent",
                "percent_above_100",
            ));
        }
    }
    if e.is_empty() { Ok(()) } else { Err(e) }
}

fn check_amount(e: &mut Vec<FieldError>, field: &'static str, amount: Yen) {
    if amount < 0 {
        e.push(FieldError::new(field, "amount_negative"));
    } else if amount > MAX_YEN {
        e.push(FieldError::new(field, "amount_too_large"));
    }
}

/// `floor(amount × numerator ÷ denominator)` for validated, non-negative
/// figures; computed in `i128` so no product can overflow.
fn mul_div(amount: Yen, numerator: i64, denominator: i64) -> Yen {
    if denominator <= 0 {
        return 0;
    }
    let q = i128::from(amount) * i128::from(numerator) / i128::from(denominator);
    Yen::try_from(q).unwrap_or(Yen::MAX)
}

/// The value of `used` of `sessions` sessions at the contract's unit price:
/// `floor(total × used ÷ sessions)` (one rounding, at the end).
pub fn provided_value(total: Yen, sessions: u32, used: u32) -> Yen {
    mul_div(total, i64::from(used), i64::from(sessions))
}

/// Quotes a cancellation: which rule applies, the most the clinic may
/// charge, the refund, and the arithmetic. Refuses invalid facts, listing
/// every problem with its field.
pub fn quote(f: &CancellationFacts) -> Result<Quote, Vec<FieldError>> {
    validate(f)?;
    let terms = f.terms.unwrap_or_default();
    if !f.covered {
        return Ok(not_covered(f, &terms));
    }
    let mut steps = Vec::new();
    let cooling_off_until = f.document_received.map(cooling_off::last_day);
    match (f.document_received, cooling_off_until) {
        (Some(received), Some(last_day)) => {
            steps.push(Step::CoolingOffPeriod { received, last_day })
        }
        _ => steps.push(Step::DocumentNotReceived),
    }
    let provided = provided_value(f.total, f.sessions, f.used);
    let provided_step = Step::ProvidedValue {
        total: f.total,
        sessions: f.sessions,
        used: f.used,
        value: provided,
    };

    let (kind, max_charge) = match cooling_off_until {
        Some(last_day) if f.notice > last_day => {
            steps.push(Step::NoticeAfterCoolingOff {
                notice: f.notice,
                last_day,
            });
            if f.used == 0 {
                steps.push(Step::BeforeStartCap {
                    cap: BEFORE_START_CAP,
                });
                let charge = apply_terms(&mut steps, BEFORE_START_CAP, terms.before_start_fee);
                (Kind::BeforeStart, charge)
            } else {
                steps.push(provided_step);
                let remaining = f.total - provided;
                steps.push(Step::RemainingValue {
                    total: f.total,
                    provided_value: provided,
                    value: remaining,
                });
                let percent_value = mul_div(remaining, i64::from(AFTER_START_FEE_PERCENT), 100);
                steps.push(Step::PercentOfRemaining {
                    remaining,
                    percent: AFTER_START_FEE_PERCENT,
                    value: percent_value,
                });
                let legal_fee = AFTER_START_FEE_CAP.min(percent_value);
                steps.push(Step::AfterStartFeeCap {
                    cap: AFTER_START_FEE_CAP,
                    percent_value,
                    value: legal_fee,
                });
                let terms_fee = terms_after_start_fee(&mut steps, remaining, &terms);
                let fee = apply_terms(&mut steps, legal_fee, terms_fee);
                let charge = provided + fee;
                steps.push(Step::AfterStartCharge {
                    provided_value: provided,
                    fee,
                    value: charge,
                });
                (Kind::AfterStart, charge)
            }
        }
        _ => {
            steps.push(Step::NoticeWithinCoolingOff { notice: f.notice });
            if f.used > 0 {
                steps.push(provided_step);
                steps.push(Step::CoolingOffNoCharge {
                    provided_value: provided,
                });
            }
            (Kind::CoolingOff, 0)
        }
    };
    let (refund, balance_due) = settle(&mut steps, max_charge, f.paid);
    Ok(Quote {
        kind,
        cooling_off_until,
        provided_value: provided,
        max_charge,
        refund,
        balance_due,
        steps,
    })
}

/// The last steps of every quote: the maximum charge, then the refund or
/// what is still due when `paid` is known.
fn settle(steps: &mut Vec<Step>, max_charge: Yen, paid: Option<Yen>) -> (Option<Yen>, Option<Yen>) {
    steps.push(Step::MaxCharge { value: max_charge });
    match paid {
        None => (None, None),
        Some(paid) => {
            let refund = (paid - max_charge).max(0);
            let due = (max_charge - paid).max(0);
            if due > 0 {
                steps.push(Step::BalanceDue {
                    paid,
                    max_charge,
                    value: due,
                });
            } else {
                steps.push(Step::Refund {
                    paid,
                    max_charge,
                    value: refund,
                });
            }
            (Some(refund), Some(due))
        }
    }
}

/// A contract the Act does not cover (issue 16, error 2): no cooling-off,
/// whenever the notice is sent and whether or not the contract document
/// was received, and none of the Act's caps. The charge is what the
/// clinic's own terms, shown at sale, set: before the first session their
/// before-start fee; after it, the sessions given at the contract's unit
/// price plus the lower of their fee cap and their percentage of the rest.
/// Terms that set no fee charge none. A fee is flagged with the Consumer
/// Contract Act's limit: the part above the average damage is void.
fn not_covered(f: &CancellationFacts, terms: &ClinicTerms) -> Quote {
    let mut steps = vec![Step::NotCoveredClinicTerms];
    let provided = provided_value(f.total, f.sessions, f.used);
    let (fee, max_charge) = if f.used == 0 {
        let fee = terms.before_start_fee.unwrap_or(0);
        steps.push(Step::ClinicTermsBeforeStartFee { value: fee });
        (fee, fee)
    } else {
        steps.push(Step::ProvidedValue {
            total: f.total,
            sessions: f.sessions,
            used: f.used,
            value: provided,
        });
        let remaining = f.total - provided;
        steps.push(Step::RemainingValue {
            total: f.total,
            provided_value: provided,
            value: remaining,
        });
        let fee = terms_after_start_fee(&mut steps, remaining, terms).unwrap_or(0);
        steps.push(Step::ClinicTermsFee { value: fee });
        (fee, provided + fee)
    };
    if fee > 0 {
        steps.push(Step::ConsumerContractActLimit { fee });
    }
    if f.used > 0 {
        steps.push(Step::AfterStartCharge {
            provided_value: provided,
            fee,
            value: max_charge,
        });
    }
    let (refund, balance_due) = settle(&mut steps, max_charge, f.paid);
    Quote {
        kind: Kind::NotCovered,
        cooling_off_until: None,
        provided_value: provided,
        max_charge,
        refund,
        balance_due,
        steps,
    }
}

/// The fee the clinic's terms set after the first session, on top of the
/// sessions given: the lower of their cap and their percentage of the rest
/// (`remaining`, rounded down), whichever they give; none when they give
/// neither.
fn terms_after_start_fee(
    steps: &mut Vec<Step>,
    remaining: Yen,
    terms: &ClinicTerms,
) -> Option<Yen> {
    let percent = terms.after_start_fee_percent.map(|percent| {
        let value = mul_div(remaining, i64::from(percent), 100);
        steps.push(Step::ClinicTermsPercentOfRemaining {
            remaining,
            percent,
            value,
        });
        value
    });
    match (terms.after_start_fee_cap, percent) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The lower of the law's cap and the clinic's terms, with its step.
fn apply_terms(steps: &mut Vec<Step>, legal: Yen, terms: Option<Yen>) -> Yen {
    match terms {
        None => legal,
        Some(terms) if terms <= legal => {
            steps.push(Step::ClinicTermsApply { terms, legal });
            terms
        }
        Some(terms) => {
            steps.push(Step::ClinicTermsCapped { terms, legal });
            legal
        }
    }
}

#[cfg(test)]
mod tests;
