//! The outbox: messages written in the transaction of the step that caused
//! them, then claimed, delivered and marked by a sender. A claim expires so
//! a crashed sender's messages are picked up again; the message id travels
//! to the gateway as an idempotency key, so a retry is not a second SMS.

use sqlx::Row;

use crate::{Result, Store};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub channel: String,
    pub destination: String,
    pub template: String,
    pub params: serde_json::Value,
    pub appeal_id: Option<i64>,
    pub attempts: i64,
}

/// Messages by delivery state, for admins.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
}

/// Attempts before a message is marked failed (and shown to admins).
pub const MAX_ATTEMPTS: i64 = 8;

/// Backoff after the n-th failed attempt: 30 s, 1 min, 2 min … capped at 1 h.
pub fn backoff_micros(attempts: i64) -> i64 {
    let secs = 30_i64.saturating_mul(1 << attempts.clamp(0, 7)).min(3600);
    secs * 1_000_000
}

impl Store {
    /// Claim up to `limit` due messages for `lease_micros`. Each message is
    /// claimed by one sender at a time (row locks on PostgreSQL, the write
    /// lock on SQLite).
    pub async fn claim_outbox(
        &self,
        now: i64,
        lease_micros: i64,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let mut tx = self.write().await?;
        let sql = format!(
            "SELECT id, channel, destination, template, params, appeal_id, attempts FROM outbox \
             WHERE (state = 'pending' AND next_attempt_at <= $1) \
             OR (state = 'sending' AND claimed_until < $1) \
             ORDER BY id LIMIT $2{}",
            tx.backend.skip_locked()
        );
        let rows = sqlx::query(&sql)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx.inner)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let params: String = r.try_get("params")?;
            out.push(OutboxMessage {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                destination: r.try_get("destination")?,
                template: r.try_get("template")?,
                params: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
                appeal_id: r.try_get("appeal_id")?,
                attempts: r.try_get("attempts")?,
            });
        }
        for m in &out {
            sqlx::query(
                "UPDATE outbox SET state = 'sending', claimed_until = $1, attempts = attempts + 1 \
                 WHERE id = $2",
            )
            .bind(now + lease_micros)
            .bind(m.id)
            .execute(&mut *tx.inner)
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn outbox_sent(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query(
            // A sign-in code is secret: once delivered it is not kept.
            "UPDATE outbox SET state = 'sent', sent_at = $1, claimed_until = NULL, last_error = NULL, \
             params = CASE WHEN template = 'login_code' THEN '{}' ELSE params END WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A failed attempt: retry later with backoff, or give up after
    /// [`MAX_ATTEMPTS`] (state `failed`, visible to admins).
    pub async fn outbox_failed(&self, m: &OutboxMessage, now: i64, error: &str) -> Result<()> {
        let attempts = m.attempts + 1;
        let state = if attempts >= MAX_ATTEMPTS {
            "failed"
        } else {
            "pending"
        };
        sqlx::query(
            "UPDATE outbox SET state = $1, next_attempt_at = $2, claimed_until = NULL, \
             last_error = $3 WHERE id = $4",
        )
        .bind(state)
        .bind(now + backoff_micros(attempts))
        .bind(error.chars().take(500).collect::<String>())
        .bind(m.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM outbox GROUP BY state")
                .fetch_all(self.pool())
                .await?;
        let mut c = OutboxCounts::default();
        for (state, n) in rows {
            match state.as_str() {
                "pending" => c.pending = n,
                "sending" => c.sending = n,
                "sent" => c.sent = n,
                _ => c.failed += n,
            }
        }
        Ok(c)
    }

    /// Failed messages, newest first, for the admin view.
    pub async fn outbox_failures(&self, limit: i64) -> Result<Vec<(i64, String, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT id, template, last_error FROM outbox WHERE state = 'failed' \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
