//! One-time sign-in codes for residents (a phone number verified by SMS).
//! Only a hash of each code is kept; the message carrying it goes through
//! the outbox in the same transaction.

use grassroots_core::accounts::{NewUser, Role, Scope};

use crate::{Ctx, Result, Store, StoreError, StoredUser};

/// Limits on issuing and trying codes.
#[derive(Clone, Copy, Debug)]
pub struct CodePolicy {
    /// How long a code may be used (µs).
    pub ttl: i64,
    /// At most one new code per phone per this interval (µs).
    pub min_interval: i64,
    /// At most this many codes per phone per hour.
    pub per_hour: i64,
    /// Wrong tries before a code is dead.
    pub max_attempts: i64,
}

impl Default for CodePolicy {
    fn default() -> Self {
        CodePolicy {
            ttl: 10 * 60 * 1_000_000,
            min_interval: 60 * 1_000_000,
            per_hour: 5,
            max_attempts: 5,
        }
    }
}

/// Why a code was not issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueRefusal {
    TooSoon,
    TooMany,
}

const HOUR: i64 = 3_600_000_000;

impl Store {
    /// Store a new code for `phone` and queue the message that carries it.
    /// `Ok(Err(_))` when the phone asked too often.
    pub async fn issue_login_code(
        &self,
        ctx: &Ctx,
        phone: &str,
        code_hash: &str,
        message_params: &serde_json::Value,
        policy: &CodePolicy,
    ) -> Result<std::result::Result<(), IssueRefusal>> {
        let now = ctx.now_micros;
        let mut tx = self.write().await?;
        let (count, last): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MAX(created_at) FROM login_codes WHERE phone = $1 AND created_at > $2",
        )
        .bind(phone)
        .bind(now - HOUR)
        .fetch_one(&mut *tx.inner)
        .await?;
        if last.is_some_and(|l| now - l < policy.min_interval) {
            return Ok(Err(IssueRefusal::TooSoon));
        }
        if count >= policy.per_hour {
            return Ok(Err(IssueRefusal::TooMany));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO login_codes (phone, code_hash, created_at, expires_at, attempts) \
             VALUES ($1, $2, $3, $4, 0) RETURNING id",
        )
        .bind(phone)
        .bind(code_hash)
        .bind(now)
        .bind(now + policy.ttl)
        .fetch_one(&mut *tx.inner)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (dedupe_key, channel, destination, template, params, appeal_id, \
             state, attempts, next_attempt_at, created_at) \
             VALUES ($1, 'sms', $2, 'login_code', $3, NULL, 'pending', 0, $4, $4)",
        )
        .bind(format!("login_code:{id}"))
        .bind(phone)
        .bind(message_params.to_string())
        .bind(now)
        .execute(&mut *tx.inner)
        .await?;
        tx.audit(
            ctx,
            "auth.code_issue",
            "login_code",
            &id.to_string(),
            &["phone"],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Use a code: true (and the code is spent) when `code_hash` matches
    /// the phone's newest live code. A wrong try counts against it.
    pub async fn use_login_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        let sql = format!(
            "SELECT id, code_hash, attempts FROM login_codes WHERE phone = $1 AND used_at IS NULL \
             AND expires_at > $2 ORDER BY created_at DESC, id DESC LIMIT 1{}",
            tx.backend.for_update()
        );
        let live: Option<(i64, String, i64)> = sqlx::query_as(&sql)
            .bind(phone)
            .bind(now)
            .fetch_optional(&mut *tx.inner)
            .await?;
        let Some((id, hash, attempts)) = live else {
            return Ok(false);
        };
        if attempts >= policy.max_attempts {
            return Ok(false);
        }
        let ok = constant_time_eq(hash.as_bytes(), code_hash.as_bytes());
        if ok {
            sqlx::query("UPDATE login_codes SET used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx.inner)
                .await?;
        } else {
            sqlx::query("UPDATE login_codes SET attempts = attempts + 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx.inner)
                .await?;
        }
        tx.commit().await?;
        Ok(ok)
    }

    /// The resident account of a verified phone, created on first sign-in.
    pub async fn resident_for_phone(&self, ctx: &Ctx, phone: &str) -> Result<StoredUser> {
        let username = format!("phone:{phone}");
        if let Some(found) = self.user_for_login(&username).await? {
            return Ok(found.user);
        }
        let mut tx = self.write().await?;
        let user = NewUser {
            username: username.clone(),
            display_name: format!("居民 {}", grassroots_core::accounts::mask_phone(phone)),
            role: Role::Resident,
            scope: Scope::None,
            phone: Some(phone.to_owned()),
        };
        match tx.create_user(ctx, &user, None).await {
            Ok(id) => {
                tx.commit().await?;
                self.user(id).await
            }
            // Two first sign-ins at once: the other one created it.
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                self.user_for_login(&username)
                    .await?
                    .map(|u| u.user)
                    .ok_or(StoreError::NotFound)
            }
            Err(e) => Err(e),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
