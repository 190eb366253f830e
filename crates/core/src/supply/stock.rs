//! Stock is an append-only ledger of movements; every count is derived from
//! it. A movement never takes more vials from a place than are there.

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};

use super::lot::{LotState, unavailability_at};
use crate::code_enum;
use crate::error::FieldError;

code_enum! {
    pub enum MovementKind {
        /// Vials arrive (the first movement of a lot).
        Receive => "receive",
        /// Vials leave one location for another (two ledger lines).
        Move => "move",
        /// Vials are used for a patient (recorded by the point of care).
        Use => "use",
        /// Vials are destroyed, with a reason and a witness.
        Destroy => "destroy",
        /// A counted correction, with a reason.
        Adjust => "adjust",
    }
}

/// A requested movement before it is checked against what is on hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRequest {
    pub kind: MovementKind,
    /// Vials; positive. For `Adjust`, the signed change.
    pub quantity: i64,
    /// Vials of this lot at the source location now (from the ledger).
    pub on_hand: i64,
    pub reason: Option<String>,
    /// For `Destroy`: the user who witnessed it (must differ from the actor).
    pub witness_is_actor: Option<bool>,
    /// Whether a destination is given (`Move`) and differs from the source.
    pub destination_differs: Option<bool>,
}

/// Checks a movement. Returns the signed change at the source location.
pub fn check_movement(m: &MovementRequest) -> Result<i64, Vec<FieldError>> {
    let mut errs = Vec::new();
    let reason_given = m.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
    match m.kind {
        MovementKind::Adjust => {
            if m.quantity == 0 {
                errs.push(FieldError::new("quantity", "quantity_invalid"));
            }
            if m.on_hand + m.quantity < 0 {
                errs.push(FieldError::new("quantity", "stock_insufficient"));
            }
            if !reason_given {
                errs.push(FieldError::new("reason", "reason_required"));
            }
        }
        _ => {
            if m.quantity <= 0 || m.quantity > 100_000 {
                errs.push(FieldError::new("quantity", "quantity_invalid"));
            } else if m.kind != MovementKind::Receive && m.quantity > m.on_hand {
                errs.push(FieldError::new("quantity", "stock_insufficient"));
            }
        }
    }
    if m.kind == MovementKind::Destroy {
        if !reason_given {
            errs.push(FieldError::new("reason", "reason_required"));
        }
        match m.witness_is_actor {
            None => errs.push(FieldError::new("witness", "witness_required")),
            Some(true) => errs.push(FieldError::new("witness", "witness_is_actor")),
            Some(false) => {}
        }
    }
    if m.kind == MovementKind::Move && m.destination_differs != Some(true) {
        errs.push(FieldError::new("to_location", "destination_invalid"));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(match m.kind {
        MovementKind::Receive => m.quantity,
        MovementKind::Adjust => m.quantity,
        _ => -m.quantity,
    })
}

/// Vials of one lot at one location, with what the lot's state says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    pub lot_id: uuid::Uuid,
    pub lot_number: String,
    pub location_id: uuid::Uuid,
    pub state: LotState,
    pub expiry: Date,
    /// The expiry time on that date, local time, for a lot received with one
    /// ((7003), ISBT 128 005): expired from that minute.
    #[serde(default)]
    pub expiry_time: Option<Time>,
    pub received_seq: i64,
    pub vials: i64,
}

impl StockLine {
    /// Available to use at `now` (the clinic's local date and time): released, not expired,
    /// vials on hand.
    pub fn available(&self, now: DateTime) -> bool {
        self.vials > 0
            && unavailability_at(self.state, self.expiry, self.expiry_time, now).is_none()
    }
}

/// Available vials of the given lines at `now` (never quarantined, on-hold,
/// recalled, rejected or expired stock).
pub fn available_vials(lines: &[StockLine], now: DateTime) -> i64 {
    lines
        .iter()
        .filter(|l| l.available(now))
        .map(|l| l.vials)
        .sum()
}

/// First-expiry-first-out: the available lines to pick from, soonest expiry
/// first, then the earliest received.
pub fn fefo(lines: &[StockLine], now: DateTime) -> Vec<&StockLine> {
    let mut v: Vec<&StockLine> = lines.iter().filter(|l| l.available(now)).collect();
    v.sort_by_key(|l| {
        (
            l.expiry,
            l.expiry_time.is_none(),
            l.expiry_time,
            l.received_seq,
        )
    });
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn req(kind: MovementKind, quantity: i64, on_hand: i64) -> MovementRequest {
        MovementRequest {
            kind,
            quantity,
            on_hand,
            reason: None,
            witness_is_actor: None,
            destination_differs: None,
        }
    }

    fn codes(r: Result<i64, Vec<FieldError>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn movements_never_take_more_than_is_there() {
        assert_eq!(check_movement(&req(MovementKind::Receive, 10, 0)), Ok(10));
        assert_eq!(check_movement(&req(MovementKind::Use, 1, 1)), Ok(-1));
        assert_eq!(
            codes(check_movement(&req(MovementKind::Use, 2, 1))),
            ["stock_insufficient"]
        );
        assert_eq!(
            codes(check_movement(&req(MovementKind::Use, 0, 1))),
            ["quantity_invalid"]
        );
        let mut adj = req(MovementKind::Adjust, -3, 2);
        adj.reason = Some("count".into());
        assert_eq!(codes(check_movement(&adj)), ["stock_insufficient"]);
        adj.quantity = -2;
        assert_eq!(check_movement(&adj), Ok(-2));
    }

    #[test]
    fn destruction_needs_a_reason_and_another_person_as_witness() {
        let mut d = req(MovementKind::Destroy, 1, 3);
        assert_eq!(
            codes(check_movement(&d)),
            ["reason_required", "witness_required"]
        );
        d.reason = Some("vial cracked".into());
        d.witness_is_actor = Some(true);
        assert_eq!(codes(check_movement(&d)), ["witness_is_actor"]);
        d.witness_is_actor = Some(false);
        assert_eq!(check_movement(&d), Ok(-1));
    }

    #[test]
    fn moves_need_another_place() {
        let mut m = req(MovementKind::Move, 1, 3);
        assert_eq!(codes(check_movement(&m)), ["destination_invalid"]);
        m.destination_differs = Some(true);
        assert_eq!(check_movement(&m), Ok(-1));
    }

    #[test]
    fn only_released_unexpired_stock_is_available_and_fefo_orders_it() {
        let today = date(2026, 11, 22).at(12, 0, 0, 0);
        let line = |state, expiry, seq, vials| StockLine {
            lot_id: uuid::Uuid::nil(),
            lot_number: format!("L{seq}"),
            location_id: uuid::Uuid::nil(),
            state,
            expiry,
            expiry_time: None,
            received_seq: seq,
            vials,
        };
        let lines = vec![
            line(LotState::Released, date(2027, 5, 1), 1, 4),
            line(LotState::Released, date(2027, 1, 1), 2, 2),
            line(LotState::Quarantined, date(2026, 12, 1), 3, 9),
            line(LotState::OnHold, date(2026, 12, 1), 4, 9),
            line(LotState::Released, date(2026, 11, 21), 5, 9),
            line(LotState::Released, date(2026, 12, 1), 6, 0),
        ];
        assert_eq!(available_vials(&lines, today), 6);
        let order: Vec<_> = fefo(&lines, today)
            .iter()
            .map(|l| l.lot_number.clone())
            .collect();
        assert_eq!(order, ["L2", "L1"]);
    }

    /// A lot expiring 2026-12-07T10:00 (local) is available at 09:59 and not
    /// at 10:00; a date-only lot of the same day stays available all day.
    /// FEFO puts the timed lot first (it expires before the end of the day).
    #[test]
    fn an_expiry_time_ends_availability_at_that_minute() {
        let day = date(2026, 12, 7);
        let line = |seq, expiry_time| StockLine {
            lot_id: uuid::Uuid::nil(),
            lot_number: format!("L{seq}"),
            location_id: uuid::Uuid::nil(),
            state: LotState::Released,
            expiry: day,
            expiry_time,
            received_seq: seq,
            vials: 2,
        };
        let lines = vec![line(1, None), line(2, Some(jiff::civil::time(10, 0, 0, 0)))];
        let names = |now| {
            fefo(&lines, now)
                .iter()
                .map(|l| l.lot_number.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(available_vials(&lines, day.at(9, 59, 0, 0)), 4);
        assert_eq!(names(day.at(9, 59, 0, 0)), ["L2", "L1"]);
        assert_eq!(available_vials(&lines, day.at(10, 0, 0, 0)), 2);
        assert_eq!(names(day.at(10, 0, 0, 0)), ["L1"]);
        assert_eq!(available_vials(&lines, day.at(23, 59, 59, 0)), 2);
        assert_eq!(available_vials(&lines, date(2026, 12, 8).at(0, 0, 0, 0)), 0);
    }
}
