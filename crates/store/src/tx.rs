use grassroots_core::accounts::Actor;
use grassroots_core::audit::{self, AuditRecord};
use sqlx::{Any, Transaction};

use crate::{Backend, Result, Store, StoreError};

/// Who is acting, when, and why: everything an audit event needs besides
/// what changed. Built once per request (or per CLI command).
#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor_id: Option<i64>,
    pub actor: String,
    pub role: String,
    pub unit: Option<String>,
    pub request_id: Option<String>,
    pub reason: Option<String>,
    /// The injected clock's reading, microseconds since the epoch (UTC).
    pub now_micros: i64,
}

impl Ctx {
    /// The platform itself acting: CLI commands, migrations, background jobs.
    pub fn system(now_micros: i64) -> Ctx {
        Ctx {
            actor_id: None,
            actor: "system".into(),
            role: "system".into(),
            unit: None,
            request_id: None,
            reason: None,
            now_micros,
        }
    }

    pub fn for_actor(actor: &Actor, now_micros: i64) -> Ctx {
        Ctx {
            actor_id: Some(actor.user_id),
            actor: actor.username.clone(),
            role: actor.role.as_str().to_owned(),
            unit: actor
                .scope
                .unit()
                .or(actor.scope.department())
                .map(str::to_owned),
            request_id: None,
            reason: None,
            now_micros,
        }
    }

    pub fn with_request_id(mut self, id: Option<String>) -> Ctx {
        self.request_id = id;
        self
    }

    pub fn with_reason(mut self, reason: Option<String>) -> Ctx {
        self.reason = reason;
        self
    }
}

/// A write transaction. On SQLite it begins IMMEDIATE (taking the write lock
/// up front, so a read-then-write never fails on upgrade); on PostgreSQL it
/// is a plain transaction whose contended rows are locked `FOR UPDATE`.
/// Dropped without `commit`, it rolls back.
#[derive(Debug)]
pub struct Tx {
    pub(crate) inner: Transaction<'static, Any>,
    pub(crate) backend: Backend,
}

impl Store {
    pub async fn write(&self) -> Result<Tx> {
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            backend: self.backend,
        })
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        self.inner.commit().await?;
        Ok(())
    }

    /// Append one audit event to the hash chain, inside this transaction.
    pub async fn audit(
        &mut self,
        ctx: &Ctx,
        action: &str,
        object_type: &str,
        object_id: &str,
        fields: &[&str],
    ) -> Result<i64> {
        let head_sql = format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{}",
            self.backend.for_update()
        );
        let (seq, hash): (i64, String) = sqlx::query_as(&head_sql)
            .fetch_one(&mut *self.inner)
            .await?;
        let record = AuditRecord {
            at_micros: ctx.now_micros,
            actor_id: ctx.actor_id,
            actor: ctx.actor.clone(),
            role: ctx.role.clone(),
            unit: ctx.unit.clone(),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            reason: ctx.reason.clone(),
            request_id: ctx.request_id.clone(),
        };
        let event = audit::chain(Some((seq, hash.as_str())), record);
        let fields_json = serde_json::to_string(&event.record.fields)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO audit_events (seq, at_micros, actor_id, actor, role, unit, action, \
             object_type, object_id, fields, reason, request_id, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(event.seq)
        .bind(event.record.at_micros)
        .bind(event.record.actor_id)
        .bind(&event.record.actor)
        .bind(&event.record.role)
        .bind(&event.record.unit)
        .bind(&event.record.action)
        .bind(&event.record.object_type)
        .bind(&event.record.object_id)
        .bind(fields_json)
        .bind(&event.record.reason)
        .bind(&event.record.request_id)
        .bind(&event.prev_hash)
        .bind(&event.hash)
        .execute(&mut *self.inner)
        .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(event.seq)
            .bind(&event.hash)
            .execute(&mut *self.inner)
            .await?;
        Ok(event.seq)
    }
}
