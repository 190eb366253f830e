//! Lot states and their transitions.
//!
//! ```text
//! quarantined ──release──▶ released
//!      │  ▲                  │  ▲
//!     hold│ unhold(reason) hold│ unhold(reason)
//!      ▼  │                  ▼  │
//!      on_hold (remembers where it came from)
//! any non-final ──recall──▶ recalled (final)
//! quarantined / on_hold ──reject──▶ rejected (final)
//! ```
//! Expiry is not a state: it is judged at the moment of use, on the clinic's
//! local calendar date (a lot whose expiry is today is usable all day), or,
//! for a lot with an expiry time ((7003), ISBT 128 005), on the clinic's
//! local clock (usable until the minute before that time).

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};

use super::qc::CertificateGap;
use crate::code_enum;

code_enum! {
    pub enum LotState {
        Quarantined => "quarantined",
        Released => "released",
        OnHold => "on_hold",
        Recalled => "recalled",
        Rejected => "rejected",
    }
}

code_enum! {
    pub enum LotAction {
        Release => "release",
        Hold => "hold",
        Unhold => "unhold",
        Recall => "recall",
        Reject => "reject",
    }
}

impl LotState {
    /// Recalled and rejected lots never change again.
    pub fn is_final(self) -> bool {
        matches!(self, LotState::Recalled | LotState::Rejected)
    }
}

/// Whether a lot is past its expiry on `today` (the clinic's local date).
pub fn is_expired(expiry: Date, today: Date) -> bool {
    today > expiry
}

/// Whether a lot is expired at `now`, the clinic's local date and time: a lot with an expiry
/// time is expired from that minute of its expiry date on; a lot with a date only is expired
/// from the day after (see [`is_expired`]).
pub fn is_expired_at(expiry: Date, expiry_time: Option<Time>, now: DateTime) -> bool {
    match expiry_time {
        Some(t) => now >= expiry.to_datetime(t),
        None => is_expired(expiry, now.date()),
    }
}

/// What a lot is, as people are shown it on `today` (the clinic's local date): its state, or
/// `expired` once it is past its expiry (expiry is not a state, so a released lot never reads
/// as usable after it). Recalled and rejected lots keep their final state.
pub fn shown_state(state: LotState, expiry: Date, today: Date) -> &'static str {
    if !state.is_final() && is_expired(expiry, today) {
        "expired"
    } else {
        state.as_str()
    }
}

/// [`shown_state`] at `now`, the clinic's local date and time, with the lot's expiry time (if
/// it has one): `expired` from that minute.
pub fn shown_state_at(
    state: LotState,
    expiry: Date,
    expiry_time: Option<Time>,
    now: DateTime,
) -> &'static str {
    if !state.is_final() && is_expired_at(expiry, expiry_time, now) {
        "expired"
    } else {
        state.as_str()
    }
}

/// What a transition needs to know about the lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotFacts {
    pub state: LotState,
    /// The state an on-hold lot returns to when the hold is lifted.
    pub held_from: Option<LotState>,
    pub expiry: Date,
    /// Gaps between the certificate and the specification.
    pub gaps: Vec<CertificateGap>,
    /// Temperature excursions not yet acknowledged.
    pub open_excursions: usize,
    /// The clinic's local date now.
    pub today: Date,
}

/// One reason a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Stable code, e.g. `lot_release_missing_test`, `lot_expired`.
    pub code: &'static str,
    /// The test concerned, for certificate gaps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<super::qc::QcTest>,
}

impl Refusal {
    fn new(code: &'static str) -> Self {
        Refusal { code, test: None }
    }
}

/// The result of an allowed transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: LotState,
    /// For a hold: the state to come back to.
    pub held_from: Option<LotState>,
}

/// Decides a transition. On refusal, every reason is listed (not just the
/// first), so a person can fix them all at once.
pub fn transition(
    lot: &LotFacts,
    action: LotAction,
    reason: Option<&str>,
) -> Result<Transition, Vec<Refusal>> {
    let has_reason = reason.is_some_and(|r| !r.trim().is_empty());
    let mut refusals = Vec::new();
    if lot.state.is_final() {
        return Err(vec![Refusal::new(match lot.state {
            LotState::Recalled => "lot_recalled",
            _ => "lot_rejected",
        })]);
    }
    let to = match action {
        LotAction::Release => {
            if lot.state != LotState::Quarantined {
                refusals.push(Refusal::new(if lot.state == LotState::OnHold {
                    "lot_on_hold"
                } else {
                    "lot_already_released"
                }));
            }
            for g in &lot.gaps {
                refusals.push(Refusal {
                    code: g.code(),
                    test: Some(g.test()),
                });
            }
            if is_expired(lot.expiry, lot.today) {
                refusals.push(Refusal::new("lot_expired"));
            }
            if lot.open_excursions > 0 {
                refusals.push(Refusal::new("lot_temperature_excursion"));
            }
            Transition {
                to: LotState::Released,
                held_from: None,
            }
        }
        LotAction::Hold => {
            if lot.state == LotState::OnHold {
                refusals.push(Refusal::new("lot_on_hold"));
            }
            if !has_reason {
                refusals.push(Refusal::new("reason_required"));
            }
            Transition {
                to: LotState::OnHold,
                held_from: Some(lot.state),
            }
        }
        LotAction::Unhold => {
            if lot.state != LotState::OnHold {
                refusals.push(Refusal::new("lot_not_on_hold"));
            }
            if !has_reason {
                refusals.push(Refusal::new("reason_required"));
            }
            if lot.open_excursions > 0 {
                refusals.push(Refusal::new("lot_temperature_excursion"));
            }
            let back = lot.held_from.unwrap_or(LotState::Quarantined);
            // A hold lifted from a released lot goes back to released only
            // while the lot still meets its specification and date.
            if back == LotState::Released {
                for g in &lot.gaps {
                    refusals.push(Refusal {
                        code: g.code(),
                        test: Some(g.test()),
                    });
                }
                if is_expired(lot.expiry, lot.today) {
                    refusals.push(Refusal::new("lot_expired"));
                }
            }
            Transition {
                to: back,
                held_from: None,
            }
        }
        LotAction::Recall => {
            if !has_reason {
                refusals.push(Refusal::new("reason_required"));
            }
            Transition {
                to: LotState::Recalled,
                held_from: None,
            }
        }
        LotAction::Reject => {
            if lot.state == LotState::Released {
                refusals.push(Refusal::new("lot_reject_released"));
            }
            if !has_reason {
                refusals.push(Refusal::new("reason_required"));
            }
            Transition {
                to: LotState::Rejected,
                held_from: None,
            }
        }
    };
    if refusals.is_empty() {
        Ok(to)
    } else {
        Err(refusals)
    }
}

/// Why vials of a lot cannot be used or counted as available today, or
/// `None` when they can. Quarantined, on-hold, recalled, rejected and
/// expired stock is never available.
pub fn unavailability(state: LotState, expiry: Date, today: Date) -> Option<&'static str> {
    match state {
        LotState::Quarantined => Some("lot_not_released"),
        LotState::OnHold => Some("lot_on_hold"),
        LotState::Recalled => Some("lot_recalled"),
        LotState::Rejected => Some("lot_rejected"),
        LotState::Released if is_expired(expiry, today) => Some("lot_expired"),
        LotState::Released => None,
    }
}

/// [`unavailability`] at `now`, the clinic's local date and time, with the lot's expiry time
/// (if it has one): a lot whose expiry time has passed is unavailable from that minute.
pub fn unavailability_at(
    state: LotState,
    expiry: Date,
    expiry_time: Option<Time>,
    now: DateTime,
) -> Option<&'static str> {
    match unavailability(state, expiry, now.date()) {
        None if is_expired_at(expiry, expiry_time, now) => Some("lot_expired"),
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::supply::qc::QcTest;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn an_expired_lot_is_shown_as_expired_unless_final() {
        let expiry = date(2026, 12, 4);
        let (on_day, after) = (date(2026, 12, 4), date(2026, 12, 5));
        assert_eq!(shown_state(LotState::Released, expiry, on_day), "released");
        for s in [LotState::Released, LotState::Quarantined, LotState::OnHold] {
            assert_eq!(shown_state(s, expiry, after), "expired");
        }
        assert_eq!(shown_state(LotState::Recalled, expiry, after), "recalled");
        assert_eq!(shown_state(LotState::Rejected, expiry, after), "rejected");
    }

    fn facts(state: LotState) -> LotFacts {
        LotFacts {
            state,
            held_from: None,
            expiry: date(2027, 3, 31),
            gaps: vec![],
            open_excursions: 0,
            today: date(2026, 11, 22),
        }
    }

    fn codes(r: Result<Transition, Vec<Refusal>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.code)
            .collect()
    }

    #[test]
    fn release_needs_a_complete_certificate_a_date_and_no_excursion() {
        assert_eq!(
            transition(&facts(LotState::Quarantined), LotAction::Release, None)
                .unwrap()
                .to,
            LotState::Released
        );
        let mut f = facts(LotState::Quarantined);
        f.gaps = vec![
            CertificateGap::MissingTest {
                test: QcTest::Mycoplasma,
            },
            CertificateGap::OutOfSpec {
                test: QcTest::Endotoxin,
            },
        ];
        f.expiry = date(2026, 11, 21);
        f.open_excursions = 1;
        assert_eq!(
            codes(transition(&f, LotAction::Release, None)),
            [
                "lot_release_missing_test",
                "lot_release_test_out_of_spec",
                "lot_expired",
                "lot_temperature_excursion"
            ]
        );
    }

    #[test]
    fn an_expiry_time_is_judged_to_the_minute() {
        // 2026-12-07T10:00+09:00: usable at 09:59 local, expired from 10:00.
        let expiry = date(2026, 12, 7);
        let at = |h, m| expiry.at(h, m, 0, 0);
        let ten = Some(jiff::civil::time(10, 0, 0, 0));
        assert!(!is_expired_at(expiry, ten, at(9, 59)));
        assert!(!is_expired_at(
            expiry,
            ten,
            expiry.at(9, 59, 59, 999_999_999)
        ));
        assert!(is_expired_at(expiry, ten, at(10, 0)));
        assert!(is_expired_at(expiry, ten, date(2026, 12, 8).at(0, 0, 0, 0)));
        assert_eq!(
            unavailability_at(LotState::Released, expiry, ten, at(9, 59)),
            None
        );
        assert_eq!(
            unavailability_at(LotState::Released, expiry, ten, at(10, 0)),
            Some("lot_expired")
        );
        // The lot's state comes first, as without a time.
        assert_eq!(
            unavailability_at(LotState::Recalled, expiry, ten, at(10, 0)),
            Some("lot_recalled")
        );
        // A date-only lot is usable all its expiry day, blocked the next.
        assert!(!is_expired_at(expiry, None, at(23, 59)));
        assert!(is_expired_at(
            expiry,
            None,
            date(2026, 12, 8).at(0, 0, 0, 0)
        ));
        assert_eq!(
            unavailability_at(LotState::Released, expiry, None, at(23, 59)),
            None
        );
        assert_eq!(
            shown_state_at(LotState::Released, expiry, ten, at(9, 59)),
            "released"
        );
        assert_eq!(
            shown_state_at(LotState::Released, expiry, ten, at(10, 0)),
            "expired"
        );
        assert_eq!(
            shown_state_at(LotState::Recalled, expiry, ten, at(10, 0)),
            "recalled"
        );
    }

    #[test]
    fn expiry_day_itself_is_usable() {
        let mut f = facts(LotState::Quarantined);
        f.expiry = f.today;
        assert!(transition(&f, LotAction::Release, None).is_ok());
        assert_eq!(unavailability(LotState::Released, f.today, f.today), None);
        assert_eq!(
            unavailability(LotState::Released, f.today, date(2026, 11, 23)),
            Some("lot_expired")
        );
    }

    #[test]
    fn holds_remember_where_they_came_from() {
        let h = transition(
            &facts(LotState::Released),
            LotAction::Hold,
            Some("freezer alarm"),
        )
        .unwrap();
        assert_eq!(
            (h.to, h.held_from),
            (LotState::OnHold, Some(LotState::Released))
        );
        let mut f = facts(LotState::OnHold);
        f.held_from = Some(LotState::Quarantined);
        assert_eq!(
            transition(&f, LotAction::Unhold, Some("ok")).unwrap().to,
            LotState::Quarantined
        );
        assert_eq!(
            codes(transition(&f, LotAction::Unhold, None)),
            ["reason_required"]
        );
        f.open_excursions = 2;
        assert_eq!(
            codes(transition(&f, LotAction::Unhold, Some("ok"))),
            ["lot_temperature_excursion"]
        );
    }

    #[test]
    fn final_states_are_final() {
        for a in LotAction::ALL {
            assert_eq!(
                codes(transition(&facts(LotState::Recalled), *a, Some("x"))),
                ["lot_recalled"]
            );
            assert_eq!(
                codes(transition(&facts(LotState::Rejected), *a, Some("x"))),
                ["lot_rejected"]
            );
        }
        assert_eq!(
            codes(transition(
                &facts(LotState::Released),
                LotAction::Reject,
                Some("x")
            )),
            ["lot_reject_released"]
        );
    }

    fn arb_action() -> impl Strategy<Value = (LotAction, bool, bool, bool, u8)> {
        (
            prop::sample::select(LotAction::ALL.to_vec()),
            any::<bool>(), // reason given
            any::<bool>(), // certificate complete
            any::<bool>(), // excursion open
            0u8..40,       // days advanced
        )
    }

    proptest! {
        /// No sequence of actions makes a lot usable unless it is released,
        /// within its date, and got there through a release that met every
        /// rule; recalled and rejected lots never become usable again.
        #[test]
        fn no_sequence_makes_unavailable_stock_available(steps in prop::collection::vec(arb_action(), 0..40)) {
            let mut f = facts(LotState::Quarantined);
            f.expiry = date(2026, 12, 20);
            let mut ever_final = false;
            for (action, reason, complete, excursion, days) in steps {
                f.today = f.today.checked_add(jiff::Span::new().days(i64::from(days))).unwrap();
                f.gaps = if complete { vec![] } else { vec![CertificateGap::MissingTest { test: QcTest::Mycoplasma }] };
                f.open_excursions = usize::from(excursion);
                let before = f.state;
                if let Ok(t) = transition(&f, action, reason.then_some("reason")) {
                    if t.to == LotState::Released && before != LotState::Released {
                        prop_assert!(complete && !excursion && !is_expired(f.expiry, f.today));
                    }
                    f.state = t.to;
                    f.held_from = t.held_from;
                }
                ever_final |= f.state.is_final();
                if ever_final {
                    prop_assert!(f.state.is_final());
                }
                let usable = unavailability(f.state, f.expiry, f.today).is_none();
                prop_assert_eq!(usable, f.state == LotState::Released && !is_expired(f.expiry, f.today));
            }
        }
    }
}
