//! The password throttle (security.md, "One throttle for every password"):
//! attempts counted per key (an account, a client address) in the database,
//! so the limit holds across server processes and on PostgreSQL.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{Actor, Result, Ts};

/// A key and the most attempts it may make in one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleKey {
    pub key: String,
    pub max_attempts: i64,
}

/// What the throttle says about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleVerdict {
    /// Go on and check the password.
    Allowed,
    /// Refused without checking; try again after this many seconds.
    Locked { retry_after_secs: i64 },
}

#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Counts one attempt on every key and says whether it may go on, in one
    /// write transaction: each key's count is raised first, then compared
    /// with its limit (a key over its limit is locked for `window_secs`).
    /// Rows whose window has passed and that are not locked are deleted
    /// first (a statement of its own), so the table stays bounded.
    async fn throttle_attempt(
        &self,
        keys: &[ThrottleKey],
        window_secs: i64,
        now: Ts,
    ) -> Result<ThrottleVerdict>;
    /// After a right password: deletes the `clear` row (the account) and
    /// takes the attempt back from each of `give_back` (the address).
    async fn throttle_succeeded(&self, clear: &str, give_back: &[String]) -> Result<()>;
    /// Those of `keys` locked at `now`.
    async fn throttle_locked(&self, keys: &[String], now: Ts) -> Result<Vec<String>>;
    /// Deletes a key's row (an admin unlocking an account), audited as
    /// `account_unlocked` in `clinic_id`. True when there was a row.
    async fn throttle_unlock(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        user_id: Uuid,
        key: &str,
    ) -> Result<bool>;
    /// How many rows the throttle holds (for tests and monitoring).
    async fn throttle_row_count(&self) -> Result<i64>;
}
