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
        self.audit_many(&[AuditEntry {
            ctx,
            action,
            object_type,
            object_id: object_id.to_owned(),
            fields,
        }])
        .await
    }

    /// Append several audit events in order: the head is read and written
    /// once and the rows go in a few multi-row statements (group commit of
    /// intake). Returns the last sequence number.
    pub async fn audit_many(&mut self, entries: &[AuditEntry<'_>]) -> Result<i64> {
        let head_sql = format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{}",
            self.backend.for_update()
        );
        let (mut seq, mut hash): (i64, String) = sqlx::query_as(&head_sql)
            .fetch_one(&mut *self.inner)
            .await?;
        if entries.is_empty() {
            return Ok(seq);
        }
        let mut events = Vec::with_capacity(entries.len());
        for e in entries {
            let record = AuditRecord {
                at_micros: e.ctx.now_micros,
                actor_id: e.ctx.actor_id,
                actor: e.ctx.actor.clone(),
                role: e.ctx.role.clone(),
                unit: e.ctx.unit.clone(),
                action: e.action.to_owned(),
                object_type: e.object_type.to_owned(),
                object_id: e.object_id.clone(),
                fields: e.fields.iter().map(|f| (*f).to_owned()).collect(),
                reason: e.ctx.reason.clone(),
                request_id: e.ctx.request_id.clone(),
            };
            let event = audit::chain(Some((seq, hash.as_str())), record);
            seq = event.seq;
            hash = event.hash.clone();
            events.push(event);
        }
        for chunk in events.chunks(AUDIT_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO audit_events (seq, at_micros, actor_id, actor, role, unit, action, \
                 object_type, object_id, fields, reason, request_id, prev_hash, hash) VALUES {}",
                self.backend.value_lists(chunk.len(), 14)
            );
            let mut q = sqlx::query(&sql);
            for event in chunk {
                let fields_json = serde_json::to_string(&event.record.fields)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                q = q
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
                    .bind(&event.hash);
            }
            q.execute(&mut *self.inner).await?;
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&hash)
            .execute(&mut *self.inner)
            .await?;
        Ok(seq)
    }
}

/// Rows per multi-row audit insert.
const AUDIT_ROWS_PER_STATEMENT: usize = 64;

/// One audit event to append.
#[derive(Clone, Debug)]
pub struct AuditEntry<'a> {
    pub ctx: &'a Ctx,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub fields: &'a [&'a str],
}
