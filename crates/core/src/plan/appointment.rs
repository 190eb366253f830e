//! Appointments: the status machine (booked → checked in → done, or no-show
//! or cancelled) with undo of a mistaken status, and what counts as a
//! conflict between two appointments.

use jiff::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use crate::code_enum;

code_enum! {
    /// Where an appointment stands.
    pub enum AppointmentStatus {
        Booked => "booked",
        CheckedIn => "checked_in",
        Done => "done",
        NoShow => "no_show",
        Cancelled => "cancelled",
    }
}

impl AppointmentStatus {
    /// Whether a status change from `self` to `to` is allowed (an undo is
    /// checked separately: it returns to the status before the last change).
    pub fn can_become(self, to: AppointmentStatus) -> bool {
        use AppointmentStatus as S;
        matches!(
            (self, to),
            (S::Booked, S::CheckedIn)
                | (S::Booked, S::NoShow)
                | (S::Booked, S::Cancelled)
                | (S::CheckedIn, S::Done)
                | (S::CheckedIn, S::Cancelled)
        )
    }

    /// Whether the appointment still holds its slot (everything but
    /// cancelled: a no-show or a done appointment happened in that slot).
    pub fn holds_slot(self) -> bool {
        self != AppointmentStatus::Cancelled
    }

    /// Whether it still stands for a session of a course (booked, checked
    /// in or done; a no-show or a cancelled session is owed again).
    pub fn counts_for_course(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Booked | AppointmentStatus::CheckedIn | AppointmentStatus::Done
        )
    }
}

code_enum! {
    /// What two appointments share when they overlap in time.
    pub enum ConflictKind {
        Room => "room",
        Staff => "staff",
        Patient => "patient",
    }
}

/// The slot-relevant facts of an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub patient_id: Uuid,
    pub room: Option<String>,
    pub staff_id: Option<Uuid>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// Whether `[a_start, a_end)` and `[b_start, b_end)` overlap (touching
/// ends do not).
pub fn overlaps(a: &Slot, b: &Slot) -> bool {
    a.starts_at < b.ends_at && b.starts_at < a.ends_at
}

/// Why two overlapping slots conflict: the same room, the same staff member
/// or the same patient (each that applies).
pub fn conflicts(a: &Slot, b: &Slot) -> Vec<ConflictKind> {
    if !overlaps(a, b) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if a.room.is_some() && a.room == b.room {
        out.push(ConflictKind::Room);
    }
    if a.staff_id.is_some() && a.staff_id == b.staff_id {
        out.push(ConflictKind::Staff);
    }
    if a.patient_id == b.patient_id {
        out.push(ConflictKind::Patient);
    }
    out
}

/// One conflict found when booking: the new appointment (its index in the
/// request), the appointment it collides with and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub index: usize,
    /// The existing appointment, or `None` when two of the requested ones
    /// collide with each other (`other_index` names the other).
    pub appointment_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_index: Option<usize>,
    pub kinds: Vec<ConflictKind>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// The conflicts of `new` slots with `existing` ones (id, slot; only those
/// that hold their slot) and among themselves.
pub fn find_conflicts(new: &[Slot], existing: &[(Uuid, Slot)]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for (i, n) in new.iter().enumerate() {
        for (id, e) in existing {
            let kinds = conflicts(n, e);
            if !kinds.is_empty() {
                out.push(Conflict {
                    index: i,
                    appointment_id: Some(*id),
                    other_index: None,
                    kinds,
                    starts_at: e.starts_at,
                    ends_at: e.ends_at,
                });
            }
        }
        for (j, m) in new.iter().enumerate().skip(i + 1) {
            let kinds = conflicts(n, m);
            if !kinds.is_empty() {
                out.push(Conflict {
                    index: i,
                    appointment_id: None,
                    other_index: Some(j),
                    kinds,
                    starts_at: m.starts_at,
                    ends_at: m.ends_at,
                });
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn slot(p: u128, room: Option<&str>, from: &str, to: &str) -> Slot {
        Slot {
            patient_id: Uuid::from_u128(p),
            room: room.map(str::to_string),
            staff_id: None,
            starts_at: from.parse().unwrap(),
            ends_at: to.parse().unwrap(),
        }
    }

    #[test]
    fn status_machine() {
        use AppointmentStatus as S;
        assert!(S::Booked.can_become(S::CheckedIn));
        assert!(S::CheckedIn.can_become(S::Done));
        assert!(S::Booked.can_become(S::NoShow));
        assert!(!S::Done.can_become(S::Booked));
        assert!(!S::Cancelled.can_become(S::Booked));
        assert!(!S::NoShow.can_become(S::Done));
        assert!(!S::Booked.can_become(S::Done), "check in first");
        assert!(S::NoShow.holds_slot() && !S::Cancelled.holds_slot());
        assert!(!S::NoShow.counts_for_course());
    }

    #[test]
    fn conflicts_by_room_staff_and_patient() {
        let a = slot(1, Some("A"), "2026-04-06T01:00:00Z", "2026-04-06T02:00:00Z");
        let same_room = slot(2, Some("A"), "2026-04-06T01:30:00Z", "2026-04-06T02:30:00Z");
        let other_room = slot(2, Some("B"), "2026-04-06T01:30:00Z", "2026-04-06T02:30:00Z");
        let touching = slot(1, Some("A"), "2026-04-06T02:00:00Z", "2026-04-06T03:00:00Z");
        let same_patient = slot(1, None, "2026-04-06T01:59:00Z", "2026-04-06T03:00:00Z");
        assert_eq!(conflicts(&a, &same_room), [ConflictKind::Room]);
        assert!(conflicts(&a, &other_room).is_empty());
        assert!(conflicts(&a, &touching).is_empty(), "touching ends");
        assert_eq!(conflicts(&a, &same_patient), [ConflictKind::Patient]);
        let found = find_conflicts(
            &[same_room.clone(), other_room.clone()],
            &[(Uuid::from_u128(9), a.clone())],
        );
        // The existing one in room A, and the two new ones share patient 2.
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].appointment_id, Some(Uuid::from_u128(9)));
        assert_eq!(found[1].other_index, Some(1));
        assert_eq!(found[1].kinds, [ConflictKind::Patient]);
        // Two requested ones colliding with each other.
        let found = find_conflicts(&[a.clone(), touching.clone(), same_room], &[]);
        let pairs: Vec<_> = found.iter().map(|c| (c.index, c.other_index)).collect();
        assert_eq!(pairs, [(0, Some(2)), (1, Some(2))]);
    }
}
