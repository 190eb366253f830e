//! The SQL and helpers of [`crate::throttle::ThrottleStore`]; its methods,
//! written once for both backends, are in `sql/throttle.rs` (see `imp.rs`).
//! Storage: migration `20261207000050_password_throttle.sql`.

pub(crate) const SQL_PRUNE: &str = "DELETE FROM password_throttle WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $2)";
/// Raises a key's count (starting a new window when the old one has
/// passed) and returns the count and the lock, in one statement.
pub(crate) const SQL_COUNT: &str = "INSERT INTO password_throttle (key, attempts, window_start, locked_until) VALUES ($1, 1, $2, NULL) ON CONFLICT (key) DO UPDATE SET attempts = CASE WHEN password_throttle.window_start < $3 THEN 1 ELSE password_throttle.attempts + 1 END, window_start = CASE WHEN password_throttle.window_start < $3 THEN $2 ELSE password_throttle.window_start END RETURNING attempts, locked_until";
pub(crate) const SQL_LOCK: &str = "UPDATE password_throttle SET locked_until = $2 WHERE key = $1";
pub(crate) const SQL_CLEAR: &str = "DELETE FROM password_throttle WHERE key = $1";
pub(crate) const SQL_GIVE_BACK: &str =
    "UPDATE password_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0";
pub(crate) const SQL_LOCKED: &str =
    "SELECT COUNT(*) FROM password_throttle WHERE key = $1 AND locked_until > $2";
pub(crate) const SQL_ROWS: &str = "SELECT COUNT(*) FROM password_throttle";

/// Whole seconds from `now` to `until`, at least 1.
pub(crate) fn seconds_until(now: crate::Ts, until: crate::Ts) -> i64 {
    let ms = until.0.as_millisecond() - now.0.as_millisecond();
    (ms.max(0) + 999).div_euclid(1000).max(1)
}

/// `t` moved by `secs`.
pub(crate) fn plus_secs(t: crate::Ts, secs: i64) -> crate::Ts {
    crate::Ts(
        t.0.saturating_add(jiff::SignedDuration::from_secs(secs))
            .unwrap_or(t.0),
    )
}
