//! The implementation of [`crate::throttle::ThrottleStore`], written once and
//! expanded for each backend (see `imp.rs`). Storage: migration
//! `20261207000050_password_throttle.sql`.

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

macro_rules! throttle_impl {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::throttle::ThrottleStore for $store {
            #[tracing::instrument(skip_all)]
            async fn throttle_attempt(
                &self,
                keys: &[$crate::throttle::ThrottleKey],
                window_secs: i64,
                now: $crate::Ts,
            ) -> $crate::Result<$crate::throttle::ThrottleVerdict> {
                use $crate::throttle::ThrottleVerdict;
                use $crate::throttle_imp::*;
                let window_began = plus_secs(now, -window_secs);
                // Housekeeping in its own statement, before the counting
                // transaction: no row lock of the prune is held while keys
                // are counted (on PostgreSQL two attempts could otherwise
                // deadlock on an expired row). A failed prune is retried by
                // the next attempt.
                if let Err(e) = sqlx::query(SQL_PRUNE)
                    .bind(window_began)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                {
                    tracing::warn!(error = %e, "password throttle: pruning failed");
                }
                let mut tx = self.begin_write().await?;
                let mut retry_after = 0i64;
                for k in keys {
                    let (attempts, locked_until): (i64, Option<$crate::Ts>) =
                        sqlx::query_as(SQL_COUNT)
                            .bind(&k.key)
                            .bind(now)
                            .bind(window_began)
                            .fetch_one(&mut *tx)
                            .await?;
                    match locked_until {
                        Some(until) if until > now => {
                            retry_after = retry_after.max(seconds_until(now, until));
                        }
                        _ if attempts > k.max_attempts => {
                            let until = plus_secs(now, window_secs);
                            sqlx::query(SQL_LOCK)
                                .bind(&k.key)
                                .bind(until)
                                .execute(&mut *tx)
                                .await?;
                            retry_after = retry_after.max(seconds_until(now, until));
                        }
                        _ => {}
                    }
                }
                tx.commit().await?;
                Ok(if retry_after > 0 {
                    ThrottleVerdict::Locked {
                        retry_after_secs: retry_after,
                    }
                } else {
                    ThrottleVerdict::Allowed
                })
            }

            #[tracing::instrument(skip_all)]
            async fn throttle_succeeded(
                &self,
                clear: &str,
                give_back: &[String],
            ) -> $crate::Result<()> {
                use $crate::throttle_imp::*;
                let mut tx = self.begin_write().await?;
                sqlx::query(SQL_CLEAR).bind(clear).execute(&mut *tx).await?;
                for key in give_back {
                    sqlx::query(SQL_GIVE_BACK).bind(key).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn throttle_locked(
                &self,
                keys: &[String],
                now: $crate::Ts,
            ) -> $crate::Result<Vec<String>> {
                use $crate::throttle_imp::*;
                let mut locked = Vec::new();
                for key in keys {
                    let (n,): (i64,) = sqlx::query_as(SQL_LOCKED)
                        .bind(key)
                        .bind(now)
                        .fetch_one(&self.pool)
                        .await?;
                    if n > 0 {
                        locked.push(key.clone());
                    }
                }
                Ok(locked)
            }

            #[tracing::instrument(skip_all)]
            async fn throttle_unlock(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                user_id: uuid::Uuid,
                key: &str,
            ) -> $crate::Result<bool> {
                use $crate::throttle_imp::*;
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(SQL_CLEAR).bind(key).execute(&mut *tx).await?;
                let had_row = done.rows_affected() > 0;
                Self::append_audit(
                    &mut tx,
                    actor,
                    Some(clinic_id),
                    "account_unlocked",
                    "user",
                    Some(user_id.to_string()),
                    serde_json::json!({"was_throttled": had_row}),
                )
                .await?;
                tx.commit().await?;
                Ok(had_row)
            }

            #[tracing::instrument(skip_all)]
            async fn throttle_row_count(&self) -> $crate::Result<i64> {
                use $crate::throttle_imp::*;
                let (n,): (i64,) = sqlx::query_as(SQL_ROWS).fetch_one(&self.pool).await?;
                Ok(n)
            }
        }
    };
}

pub(crate) use throttle_impl;
