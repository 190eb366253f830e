//! The audit chain: every write appends an entry whose hash covers the
//! previous entry's hash, so altering, removing or reordering any entry is
//! detectable by recomputing the chain (`jousei audit verify`).
//!
//! The hash is SHA-256 over a length-prefixed encoding of every field, so no
//! two different entries can share an encoding.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash the first entry chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, before it is sealed into the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Who did it: a user id, or `None` for the system (migrations, CLI).
    pub actor_id: Option<Uuid>,
    /// A readable name of the actor at the time (login, or `system`, `cli`).
    pub actor_label: String,
    /// The clinic whose data this concerns, or `None` for global changes.
    pub clinic_id: Option<Uuid>,
    /// A stable snake_case verb, e.g. `user_created`, `patient_read`.
    pub action: String,
    /// The kind of record, e.g. `user`, `clinic`, `session`.
    pub entity_kind: String,
    pub entity_id: Option<String>,
    /// What changed, as canonical JSON text (never contains secrets).
    pub changes: String,
}

/// A sealed entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Timestamp,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// Formats an instant with a fixed microsecond precision, the precision both
/// databases keep, so the hash is computed over exactly what is stored.
pub fn canonical_time(at: Timestamp) -> String {
    jiff::fmt::temporal::DateTimePrinter::new()
        .precision(Some(6))
        .timestamp_to_string(&at)
}

/// Truncates an instant to whole microseconds (what the databases store).
pub fn to_micros(at: Timestamp) -> Timestamp {
    let micros = at.as_microsecond();
    Timestamp::from_microsecond(micros).unwrap_or(at)
}

fn put(h: &mut Sha256, field: &str) {
    h.update((field.len() as u64).to_be_bytes());
    h.update(field.as_bytes());
}

/// Computes the hash of an entry from its content and the previous hash.
pub fn entry_hash(seq: i64, at: Timestamp, event: &AuditEvent, prev_hash: &str) -> String {
    let mut h = Sha256::new();
    put(&mut h, "jousei-audit-v1");
    put(&mut h, &seq.to_string());
    put(&mut h, &canonical_time(at));
    put(
        &mut h,
        &event.actor_id.map(|u| u.to_string()).unwrap_or_default(),
    );
    put(&mut h, &event.actor_label);
    put(
        &mut h,
        &event.clinic_id.map(|u| u.to_string()).unwrap_or_default(),
    );
    put(&mut h, &event.action);
    put(&mut h, &event.entity_kind);
    put(&mut h, event.entity_id.as_deref().unwrap_or(""));
    put(&mut h, &event.changes);
    put(&mut h, prev_hash);
    hex::encode(h.finalize())
}

/// Seals an event as the entry after `(prev_seq, prev_hash)`.
pub fn seal(prev_seq: i64, prev_hash: &str, at: Timestamp, event: AuditEvent) -> AuditEntry {
    let seq = prev_seq + 1;
    let at = to_micros(at);
    let hash = entry_hash(seq, at, &event, prev_hash);
    AuditEntry {
        seq,
        at,
        event,
        prev_hash: prev_hash.to_string(),
        hash,
    }
}

/// Why a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The entry's content no longer matches its hash: it was altered.
    Altered { seq: i64 },
    /// The entry does not chain to the one before it: an entry before it was
    /// removed, or entries were reordered.
    Unlinked { seq: i64 },
    /// Sequence numbers jump or repeat.
    SequenceGap { expected: i64, found: i64 },
    /// The chain ends before the recorded head: entries at the end were removed.
    Truncated { last_seq: i64, head_seq: i64 },
    /// The last entry is not the recorded head.
    HeadMismatch { head_seq: i64 },
}

impl ChainBreak {
    /// The first entry (sequence number) where the chain breaks.
    pub fn first_broken_seq(&self) -> i64 {
        match *self {
            ChainBreak::Altered { seq } | ChainBreak::Unlinked { seq } => seq,
            ChainBreak::SequenceGap { expected, .. } => expected,
            ChainBreak::Truncated { last_seq, .. } => last_seq + 1,
            ChainBreak::HeadMismatch { head_seq } => head_seq,
        }
    }
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Altered { seq } => write!(
                f,
                "entry {seq} was altered (its hash does not match its content)"
            ),
            ChainBreak::Unlinked { seq } => write!(
                f,
                "entry {seq} does not chain to the entry before it (an entry was removed or reordered)"
            ),
            ChainBreak::SequenceGap { expected, found } => write!(
                f,
                "expected entry {expected} but found entry {found} (entries removed or reordered)"
            ),
            ChainBreak::Truncated { last_seq, head_seq } => write!(
                f,
                "the chain ends at entry {last_seq} but the head records entry {head_seq} (entries at the end were removed)"
            ),
            ChainBreak::HeadMismatch { head_seq } => {
                write!(f, "entry {head_seq} differs from the recorded head")
            }
        }
    }
}

/// Verifies a chain fed one entry at a time, in stored order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    count: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            count: 0,
        }
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next entry.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.expected_seq {
            return Err(ChainBreak::SequenceGap {
                expected: self.expected_seq,
                found: e.seq,
            });
        }
        if entry_hash(e.seq, e.at, &e.event, &e.prev_hash) != e.hash {
            return Err(ChainBreak::Altered { seq: e.seq });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked { seq: e.seq });
        }
        self.prev_hash = e.hash.clone();
        self.expected_seq += 1;
        self.count += 1;
        Ok(())
    }

    /// Ends verification against the stored head `(seq, hash)`; returns the
    /// number of entries checked.
    pub fn finish(self, head: Option<(i64, &str)>) -> Result<u64, ChainBreak> {
        let last_seq = self.expected_seq - 1;
        if let Some((head_seq, head_hash)) = head {
            if head_seq > last_seq {
                return Err(ChainBreak::Truncated { last_seq, head_seq });
            }
            if head_seq < last_seq {
                // Entries beyond the head were inserted outside jousei.
                return Err(ChainBreak::HeadMismatch {
                    head_seq: head_seq + 1,
                });
            }
            if head_seq > 0 && head_hash != self.prev_hash {
                return Err(ChainBreak::HeadMismatch { head_seq });
            }
        }
        Ok(self.count)
    }
}

/// Verifies a whole chain in memory.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    head: Option<(i64, &str)>,
) -> Result<u64, ChainBreak> {
    let mut v = ChainVerifier::new();
    for e in entries {
        v.push(e)?;
    }
    v.finish(head)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn event(n: usize) -> AuditEvent {
        AuditEvent {
            actor_id: None,
            actor_label: "system".into(),
            clinic_id: None,
            action: format!("action_{n}"),
            entity_kind: "thing".into(),
            entity_id: Some(n.to_string()),
            changes: format!("{{\"n\":{n}}}"),
        }
    }

    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        for i in 0..n {
            let (seq, hash) = out
                .last()
                .map(|e| (e.seq, e.hash.clone()))
                .unwrap_or((0, GENESIS_HASH.to_string()));
            out.push(seal(
                seq,
                &hash,
                t0 + jiff::SignedDuration::from_millis(i as i64 * 1500),
                event(i),
            ));
        }
        out
    }

    fn head(c: &[AuditEntry]) -> Option<(i64, &str)> {
        c.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, head(&c)), Ok(5));
        assert_eq!(verify(&[], Some((0, GENESIS_HASH))), Ok(0));
    }

    #[test]
    fn altered_entry_is_named() {
        let mut c = chain(5);
        c[2].event.changes = "{\"n\":99}".into();
        let h = c[4].hash.clone();
        assert_eq!(
            verify(&c, Some((5, &h))),
            Err(ChainBreak::Altered { seq: 3 })
        );
    }

    #[test]
    fn removed_entry_is_named() {
        let mut c = chain(5);
        c.remove(1);
        let h = c[3].hash.clone();
        let err = verify(&c, Some((5, &h))).unwrap_err();
        assert_eq!(err.first_broken_seq(), 2);
    }

    #[test]
    fn reordered_entries_are_detected() {
        let mut c = chain(5);
        // Swap the contents of entries 2 and 3 but keep sequence numbers.
        let (a, b) = (c[1].clone(), c[2].clone());
        c[1] = AuditEntry { seq: 2, ..b };
        c[2] = AuditEntry { seq: 3, ..a };
        let h = c[4].hash.clone();
        let err = verify(&c, Some((5, &h))).unwrap_err();
        assert_eq!(err.first_broken_seq(), 2);
    }

    #[test]
    fn truncated_tail_is_detected() {
        let c = chain(5);
        let h = c[4].hash.clone();
        let err = verify(&c[..3], Some((5, &h))).unwrap_err();
        assert_eq!(
            err,
            ChainBreak::Truncated {
                last_seq: 3,
                head_seq: 5
            }
        );
        assert_eq!(err.first_broken_seq(), 4);
    }

    #[test]
    fn hash_encoding_is_unambiguous() {
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        let mut a = event(1);
        a.actor_label = "ab".into();
        a.action = "c".into();
        let mut b = event(1);
        b.actor_label = "a".into();
        b.action = "bc".into();
        assert_ne!(
            entry_hash(1, t, &a, GENESIS_HASH),
            entry_hash(1, t, &b, GENESIS_HASH)
        );
    }

    #[test]
    fn canonical_time_is_fixed_width() {
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        assert_eq!(canonical_time(t), "2027-01-15T08:00:00.000000Z");
    }
}
