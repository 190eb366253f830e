//! The check itself: facts in, findings out. Each finding comes from one
//! cause, judged on its own, so a nurse sees every reason at once.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use super::facts::{AppointmentStatus, CareFacts, IdentityCheck, ScannedVial};
use super::finding::{CheckCode as C, Finding, Subject};
use super::outcome::CheckOutcome;
use crate::patient::consent::{ConsentState, is_same_day, treatment_allowed};
use crate::patient::registry::parse_patient_number;
use crate::patient::screening::Decision;
use crate::supply::lot::{LotState, is_expired_at};
use crate::supply::product::ProductKind;

/// The largest difference, in tenths of a percent, between a blend
/// component's share of the volume and its share in the plan before
/// `blend_share_mismatch` is raised (a jousei default: 5 points).
pub const BLEND_SHARE_TOLERANCE_PERMILLE: i64 = 50;

/// Judges a dose about to be given. Pure: the same facts always give the
/// same findings in the same order (blocks, then overrides, then warnings;
/// within a severity, in the order of the checks below and of the scan).
///
/// The checks, in order: the clinic's time zone; something scanned; the
/// patient's identity; consent; screening; plan and interval; the
/// appointment; each lot (state, expiry, excursions, stock); each vial
/// (already used, open too long, scanned twice); each product (labelled
/// route, in the plan); the plan's components and blend shares; the
/// blood-donation notice. `docs/point-of-care.md` describes every finding.
pub fn check(facts: &CareFacts) -> CheckOutcome {
    let mut out = Vec::new();
    let zone = match TimeZone::get(&facts.time_zone) {
        Ok(z) => z,
        Err(_) => {
            out.push(
                Finding::new(C::ClinicTimeZoneInvalid, None).with("time_zone", &facts.time_zone),
            );
            // Still judge everything else, on the default zone.
            TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::UTC)
        }
    };
    let ctx = Ctx {
        facts,
        today: facts.at.to_zoned(zone.clone()).date(),
        zone,
    };
    if facts.vials.is_empty() {
        out.push(Finding::new(C::NoVialScanned, None));
    }
    identity(&ctx, &mut out);
    consent(&ctx, &mut out);
    screening(&ctx, &mut out);
    plan(&ctx, &mut out);
    appointment(&ctx, &mut out);
    lots(
        &facts.vials,
        facts.at.to_zoned(ctx.zone.clone()).datetime(),
        &mut out,
    );
    vials(&ctx, &mut out);
    products(&ctx, &mut out);
    blend(&ctx, &mut out);
    if !facts.patient.received_human_derived
        && facts.vials.iter().any(|v| v.product.human_derived())
    {
        out.push(Finding::new(C::BloodDonationNotice, None));
    }
    // Stable: the order within a severity stays the order of the checks.
    out.sort_by_key(|f| f.severity);
    CheckOutcome { findings: out }
}

struct Ctx<'a> {
    facts: &'a CareFacts,
    zone: TimeZone,
    /// The clinic's local date at the moment of administration.
    today: Date,
}

impl Ctx<'_> {
    fn local_date(&self, t: Timestamp) -> Date {
        t.to_zoned(self.zone.clone()).date()
    }

    fn local_time(&self, t: Timestamp) -> String {
        t.to_zoned(self.zone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    }

    fn route(&self) -> &'static str {
        self.facts.route.as_str()
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
fn days_between(from: Date, to: Date) -> i64 {
    from.until(to).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

fn identity(ctx: &Ctx, out: &mut Vec<Finding>) {
    let confirmed = match &ctx.facts.identity {
        IdentityCheck::Unconfirmed => Err(C::PatientIdentityUnconfirmed),
        IdentityCheck::NameAndBirthDate {
            name_matched,
            birth_date_matched,
        } => {
            if *name_matched && *birth_date_matched {
                Ok(())
            } else {
                Err(C::PatientIdentityMismatch)
            }
        }
        IdentityCheck::PatientCard { patient_number } => {
            let own = parse_patient_number(&ctx.facts.patient.number, "patient_number");
            match parse_patient_number(patient_number, "patient_number") {
                Ok(None) => Err(C::PatientIdentityUnconfirmed),
                Ok(Some(card)) if own.ok().flatten().as_deref() == Some(card.as_str()) => Ok(()),
                _ => Err(C::PatientIdentityMismatch),
            }
        }
    };
    if let Err(code) = confirmed {
        out.push(Finding::new(code, None));
    }
}

/// A signed consent for each product kind scanned that needs one
/// ([`VialProduct::needs_consent`](super::VialProduct::needs_consent)) and the
/// route (for any kind when none is scanned yet), allowed today by
/// [`treatment_allowed`] (not withdrawn; the same-day rule).
fn consent(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    let mut kinds: Vec<ProductKind> = f
        .vials
        .iter()
        .filter(|v| v.product.needs_consent())
        .map(|v| v.product.kind)
        .collect();
    kinds.sort();
    kinds.dedup();
    let wanted: Vec<Option<ProductKind>> = if kinds.is_empty() {
        vec![None]
    } else {
        kinds.into_iter().map(Some).collect()
    };
    for kind in wanted {
        let subject = kind.map(|k| Subject::ProductKind { product_kind: k });
        let candidates: Vec<_> = f
            .consents
            .iter()
            .filter(|c| c.route == f.route && kind.is_none_or(|k| c.product_kind == k))
            .collect();
        let with_params = |code: C| {
            let finding = Finding::new(code, subject.clone()).with("route", ctx.route());
            match kind {
                Some(k) => finding.with("kind", k.as_str()),
                None => finding,
            }
        };
        let signed: Vec<_> = candidates
            .iter()
            .filter(|c| c.state == ConsentState::Signed)
            .collect();
        if signed.is_empty() {
            let withdrawn = candidates
                .iter()
                .any(|c| c.state == ConsentState::Withdrawn);
            out.push(with_params(if withdrawn {
                C::ConsentWithdrawn
            } else {
                C::ConsentMissing
            }));
            continue;
        }
        let judged: Vec<_> = signed
            .iter()
            .map(|c| {
                (
                    c,
                    treatment_allowed(&c.consent_facts(), ctx.today, &f.time_zone),
                )
            })
            .collect();
        match judged.iter().find(|(_, r)| r.is_ok()) {
            Some((c, _)) => {
                if is_same_day(c.first_explained_at, ctx.today, &f.time_zone) {
                    out.push(
                        with_params(C::SameDayFirstTreatment)
                            .with("explained_on", ctx.local_date(c.first_explained_at)),
                    );
                }
            }
            None => {
                if let Some((c, refusal)) = judged.first() {
                    let code = refusal
                        .err()
                        .and_then(C::parse)
                        .unwrap_or(C::ConsentSameDayUnjustified);
                    out.push(
                        with_params(code)
                            .with("explained_on", ctx.local_date(c.first_explained_at)),
                    );
                }
            }
        }
    }
}

fn screening(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(s) = &ctx.facts.screening else {
        out.push(Finding::new(C::ScreeningMissing, None));
        return;
    };
    if s.stale {
        out.push(Finding::new(C::ScreeningStale, None));
    }
    match s.decision {
        None => out.push(Finding::new(C::ScreeningUndecided, None)),
        Some(Decision::NotEligible) => out.push(Finding::new(C::ScreeningNotEligible, None)),
        Some(Decision::EligibleWithConditions) => out.push(
            Finding::new(C::ScreeningWithConditions, None)
                .with("conditions", s.conditions.as_deref().unwrap_or("").trim()),
        ),
        Some(Decision::Eligible) => {}
    }
    if let (Some(_), Some(until)) = (s.decision, s.valid_until)
        && ctx.facts.at >= until
    {
        out.push(Finding::new(C::ScreeningExpired, None).with("until", ctx.local_time(until)));
    }
    let mut seen = Vec::new();
    for c in &s.contraindications {
        if seen.contains(c) {
            continue;
        }
        seen.push(*c);
        out.push(
            Finding::new(
                C::ContraindicationFlagged,
                Some(Subject::ScreeningFinding { finding: *c }),
            )
            .with("finding", c.as_str()),
        );
    }
}

fn plan(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(p) = &ctx.facts.plan else {
        out.push(Finding::new(C::PlanMissing, None));
        return;
    };
    if !p.approved {
        out.push(Finding::new(C::PlanNotApproved, None));
    }
    if p.route != ctx.facts.route {
        out.push(
            Finding::new(C::RouteNotInPlan, None)
                .with("route", ctx.route())
                .with("plan_route", p.route.as_str()),
        );
    }
    if let Some(last) = p.last_administered_on {
        let days = days_between(last, ctx.today);
        if days < i64::from(p.min_interval_days) {
            out.push(
                Finding::new(C::IntervalTooShort, None)
                    .with("last_date", last)
                    .with("days_since", days)
                    .with("min_days", p.min_interval_days),
            );
        }
    }
}

fn appointment(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(a) = &ctx.facts.appointment else {
        out.push(Finding::new(C::AppointmentMissing, None));
        return;
    };
    if a.patient_id != ctx.facts.patient.id {
        out.push(Finding::new(C::AppointmentOtherPatient, None));
    }
    let on = ctx.local_date(a.starts_at);
    if on != ctx.today {
        out.push(Finding::new(C::AppointmentOtherDay, None).with("date", on));
    }
    if matches!(
        a.status,
        AppointmentStatus::Done | AppointmentStatus::NoShow | AppointmentStatus::Cancelled
    ) {
        out.push(Finding::new(C::AppointmentClosed, None));
    }
}

/// The lots scanned, in the order first scanned, each with its vials.
fn lot_groups(vials: &[ScannedVial]) -> Vec<(&ScannedVial, Vec<&ScannedVial>)> {
    let mut groups: Vec<(&ScannedVial, Vec<&ScannedVial>)> = Vec::new();
    for v in vials {
        match groups.iter_mut().find(|(first, _)| {
            first.product.code == v.product.code && first.lot.number == v.lot.number
        }) {
            Some((_, members)) => members.push(v),
            None => groups.push((v, vec![v])),
        }
    }
    groups
}

/// The blocks a scanned lot carries on its own, whatever else is known or
/// missing (patient, route, location): not released, on hold, recalled,
/// rejected, expired at `at` on the clinic's local clock, an unacknowledged
/// temperature excursion. The chair shows them as soon as a vial is
/// scanned; they are the same findings [`check`] gives (stock, which
/// depends on the chair's location, is left to the check).
pub fn lot_blocks(vials: &[ScannedVial], at: Timestamp, time_zone: &str) -> Vec<Finding> {
    let zone = TimeZone::get(time_zone)
        .or_else(|_| TimeZone::get("Asia/Tokyo"))
        .unwrap_or(TimeZone::UTC);
    let mut out = Vec::new();
    lots(vials, at.to_zoned(zone).datetime(), &mut out);
    out.retain(|f| {
        matches!(
            f.code,
            C::LotNotReleased
                | C::LotOnHold
                | C::LotRecalled
                | C::LotRejected
                | C::LotExpired
                | C::LotTemperatureExcursion
        )
    });
    out
}

/// The lots' findings at `now`, the clinic's local date and time.
fn lots(vials: &[ScannedVial], now: DateTime, out: &mut Vec<Finding>) {
    let today = now.date();
    for (v, members) in lot_groups(vials) {
        let lot = &v.lot;
        let subject = Subject::Lot {
            product_code: v.product.code.clone(),
            lot_number: lot.number.clone(),
        };
        let finding = |code: C| {
            Finding::new(code, Some(subject.clone()))
                .with("lot", &lot.number)
                .with("product", &v.product.code)
        };
        let state = match lot.state {
            LotState::Quarantined => Some(C::LotNotReleased),
            LotState::OnHold => Some(C::LotOnHold),
            LotState::Recalled => Some(C::LotRecalled),
            LotState::Rejected => Some(C::LotRejected),
            LotState::Released => None,
        };
        if let Some(code) = state {
            out.push(finding(code));
        }
        let expired = is_expired_at(lot.expiry, lot.expiry_time, now);
        if expired {
            let expiry = match lot.expiry_time {
                Some(t) => lot
                    .expiry
                    .to_datetime(t)
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string(),
                None => lot.expiry.to_string(),
            };
            out.push(finding(C::LotExpired).with("expiry", expiry));
        }
        if lot.open_excursions > 0 {
            out.push(finding(C::LotTemperatureExcursion).with("count", lot.open_excursions));
        }
        let days_left = days_between(today, lot.expiry);
        if !expired && days_left < i64::from(lot.expires_soon_days) {
            out.push(
                finding(C::LotExpiresSoon)
                    .with("expiry", lot.expiry)
                    .with("days_left", days_left),
            );
        }
        let on_hand = members.iter().map(|m| m.on_hand).min().unwrap_or(0);
        let needed = i64::try_from(members.len()).unwrap_or(i64::MAX);
        if needed > on_hand {
            out.push(
                finding(C::OutOfStock)
                    .with("on_hand", on_hand.max(0))
                    .with("needed", needed),
            );
        }
    }
}

fn vials(ctx: &Ctx, out: &mut Vec<Finding>) {
    let vials = &ctx.facts.vials;
    for (index, v) in vials.iter().enumerate() {
        let finding = |code: C| {
            let f = Finding::new(code, Some(Subject::Vial { index }))
                .with("lot", &v.lot.number)
                .with("product", &v.product.code)
                .with("position", index + 1);
            match &v.serial {
                Some(s) => f.with("serial", s.trim()),
                None => f,
            }
        };
        if v.already_used {
            out.push(finding(C::VialAlreadyUsed));
        }
        if let Some(opened) = v.opened_at {
            let open_secs = ctx.facts.at.duration_since(opened).as_secs();
            if open_secs > i64::from(v.product.in_use_minutes) * 60 {
                out.push(
                    finding(C::VialOpenTooLong)
                        .with("opened_at", ctx.local_time(opened))
                        .with("minutes_open", open_secs / 60)
                        .with("in_use_minutes", v.product.in_use_minutes),
                );
            }
        }
        let serial = v.serial.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(serial) = serial {
            let earlier = vials.iter().take(index).any(|e| {
                e.product.code == v.product.code
                    && e.lot.number == v.lot.number
                    && e.serial.as_deref().map(str::trim) == Some(serial)
            });
            if earlier {
                out.push(finding(C::VialScannedTwice));
            }
        }
    }
}

/// The distinct products scanned, in scan order.
fn scanned_products(vials: &[ScannedVial]) -> Vec<&ScannedVial> {
    let mut seen: Vec<&ScannedVial> = Vec::new();
    for v in vials {
        if !seen.iter().any(|s| s.product.code == v.product.code) {
            seen.push(v);
        }
    }
    seen
}

fn products(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    for v in scanned_products(&f.vials) {
        let p = &v.product;
        let subject = Some(Subject::Product {
            code: p.code.clone(),
        });
        if !p.routes.contains(&f.route) {
            out.push(
                Finding::new(C::RouteNotLabelled, subject.clone())
                    .with("product", &p.code)
                    .with("route", ctx.route()),
            );
        }
        if let Some(plan) = &f.plan
            && !plan.components.iter().any(|c| c.product_code == p.code)
        {
            out.push(Finding::new(C::ProductNotInPlan, subject).with("product", &p.code));
        }
    }
}

/// A plan's products all scanned, and a blend's volumes in the plan's
/// shares (when every vial of the plan's products has its volume).
fn blend(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    let Some(plan) = &f.plan else { return };
    if f.vials.is_empty() {
        return;
    }
    let mut all_scanned = true;
    for c in &plan.components {
        if !f.vials.iter().any(|v| v.product.code == c.product_code) {
            all_scanned = false;
            out.push(
                Finding::new(
                    C::PlanComponentMissing,
                    Some(Subject::Product {
                        code: c.product_code.clone(),
                    }),
                )
                .with("product", &c.product_code),
            );
        }
    }
    if !all_scanned || plan.components.len() < 2 {
        return;
    }
    let in_plan: Vec<_> = f
        .vials
        .iter()
        .filter(|v| {
            plan.components
                .iter()
                .any(|c| c.product_code == v.product.code)
        })
        .collect();
    let Some(volumes) = in_plan
        .iter()
        .map(|v| {
            v.volume
                .map(|m| (v.product.code.as_str(), i128::from(m.0.max(0))))
        })
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let total: i128 = volumes.iter().map(|(_, ul)| ul).sum();
    let shares: i128 = plan
        .components
        .iter()
        .map(|c| i128::from(c.share_percent))
        .sum();
    if total <= 0 || shares <= 0 {
        return;
    }
    for c in &plan.components {
        let given: i128 = volumes
            .iter()
            .filter(|(code, _)| *code == c.product_code)
            .map(|(_, ul)| ul)
            .sum();
        let actual = given * 1000 / total;
        let planned = i128::from(c.share_percent) * 1000 / shares;
        if (actual - planned).abs() > i128::from(BLEND_SHARE_TOLERANCE_PERMILLE) {
            out.push(
                Finding::new(
                    C::BlendShareMismatch,
                    Some(Subject::Product {
                        code: c.product_code.clone(),
                    }),
                )
                .with("product", &c.product_code)
                .with("planned_percent", (planned + 5) / 10)
                .with("actual_percent", (actual + 5) / 10),
            );
        }
    }
}
