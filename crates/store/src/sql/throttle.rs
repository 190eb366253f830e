// The implementation of [`crate::throttle::ThrottleStore`], written once and
// included by `sqlite.rs` and `postgres.rs`, where `S` is the store (see
// `imp.rs`). Its SQL and helpers are in `throttle_imp.rs`.

#[async_trait::async_trait]
impl crate::throttle::ThrottleStore for S {
    #[tracing::instrument(skip_all)]
    async fn throttle_attempt(
        &self,
        keys: &[crate::throttle::ThrottleKey],
        window_secs: i64,
        now: crate::Ts,
    ) -> crate::Result<crate::throttle::ThrottleVerdict> {
        use crate::throttle::ThrottleVerdict;
        use crate::throttle_imp::*;
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
            let (attempts, locked_until): (i64, Option<crate::Ts>) = sqlx::query_as(SQL_COUNT)
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
    async fn throttle_succeeded(&self, clear: &str, give_back: &[String]) -> crate::Result<()> {
        use crate::throttle_imp::*;
        let mut tx = self.begin_write().await?;
        sqlx::query(SQL_CLEAR).bind(clear).execute(&mut *tx).await?;
        for key in give_back {
            sqlx::query(SQL_GIVE_BACK)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn throttle_locked(&self, keys: &[String], now: crate::Ts) -> crate::Result<Vec<String>> {
        use crate::throttle_imp::*;
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
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        user_id: uuid::Uuid,
        key: &str,
    ) -> crate::Result<bool> {
        use crate::throttle_imp::*;
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
    async fn throttle_row_count(&self) -> crate::Result<i64> {
        use crate::throttle_imp::*;
        let (n,): (i64,) = sqlx::query_as(SQL_ROWS).fetch_one(&self.pool).await?;
        Ok(n)
    }
}
