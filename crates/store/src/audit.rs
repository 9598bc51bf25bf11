use futures_lite::StreamExt as _;
use grassroots_core::audit::{AuditRecord, ChainBreak, ChainedEvent, Verifier};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError};

/// Outcome of walking the whole chain.
#[derive(Debug, PartialEq, Eq)]
pub enum VerifyOutcome {
    Intact { events: i64 },
    Broken(ChainBreak),
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub since_micros: Option<i64>,
    pub until_micros: Option<i64>,
    /// Return events with seq < before (paging backwards from the newest).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

const COLUMNS: &str = "seq, at_micros, actor_id, actor, role, unit, action, object_type, \
                       object_id, fields, reason, request_id, prev_hash, hash";

fn event_from_row(row: &AnyRow) -> Result<ChainedEvent> {
    let fields: String = row.try_get("fields")?;
    let fields: Vec<String> = serde_json::from_str(&fields)
        .map_err(|e| StoreError::Corrupt(format!("audit fields: {e}")))?;
    Ok(ChainedEvent {
        seq: row.try_get("seq")?,
        record: AuditRecord {
            at_micros: row.try_get("at_micros")?,
            actor_id: row.try_get("actor_id")?,
            actor: row.try_get("actor")?,
            role: row.try_get("role")?,
            unit: row.try_get("unit")?,
            action: row.try_get("action")?,
            object_type: row.try_get("object_type")?,
            object_id: row.try_get("object_id")?,
            fields,
            reason: row.try_get("reason")?,
            request_id: row.try_get("request_id")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl Store {
    /// Walk the chain in `seq` order, streaming, and compare with the head.
    /// Rows whose stored `fields` no longer parse count as tampered.
    pub async fn verify_audit(&self, mut progress: impl FnMut(i64)) -> Result<VerifyOutcome> {
        let mut conn = self.pool.acquire().await?;
        let sql = format!("SELECT {COLUMNS} FROM audit_events ORDER BY seq");
        let mut rows = sqlx::query(&sql).fetch(&mut *conn);
        let mut verifier = Verifier::default();
        let mut n = 0;
        while let Some(row) = rows.try_next().await? {
            let event = match event_from_row(&row) {
                Ok(e) => e,
                Err(StoreError::Corrupt(_)) => {
                    let seq: i64 = row.try_get("seq")?;
                    return Ok(VerifyOutcome::Broken(ChainBreak::Tampered { seq }));
                }
                Err(e) => return Err(e),
            };
            if let Err(b) = verifier.push(&event) {
                return Ok(VerifyOutcome::Broken(b));
            }
            n += 1;
            if n % 10_000 == 0 {
                progress(n);
            }
        }
        drop(rows);
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(&mut *conn)
                .await?;
        Ok(match verifier.finish(head) {
            Ok(events) => VerifyOutcome::Intact { events },
            Err(b) => VerifyOutcome::Broken(b),
        })
    }

    /// Newest first, filtered. Reading the audit trail is itself audited by
    /// the caller (it reveals who did what).
    pub async fn audit_events(&self, f: &AuditFilter) -> Result<Vec<ChainedEvent>> {
        let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
        let mut n = 0;
        let mut next = |col: &str, op: &str, sql: &mut String| {
            n += 1;
            sql.push_str(&format!(" AND {col} {op} ${n}"));
        };
        if f.actor.is_some() {
            next("actor", "=", &mut sql);
        }
        if f.action.is_some() {
            next("action", "=", &mut sql);
        }
        if f.object_type.is_some() {
            next("object_type", "=", &mut sql);
        }
        if f.object_id.is_some() {
            next("object_id", "=", &mut sql);
        }
        if f.since_micros.is_some() {
            next("at_micros", ">=", &mut sql);
        }
        if f.until_micros.is_some() {
            next("at_micros", "<", &mut sql);
        }
        if f.before_seq.is_some() {
            next("seq", "<", &mut sql);
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${n}"));
        let mut q = sqlx::query(&sql);
        for v in [&f.actor, &f.action, &f.object_type, &f.object_id]
            .into_iter()
            .flatten()
        {
            q = q.bind(v.clone());
        }
        for v in [f.since_micros, f.until_micros, f.before_seq]
            .into_iter()
            .flatten()
        {
            q = q.bind(v);
        }
        q = q.bind(f.limit.clamp(1, 1000));
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(event_from_row).collect()
    }
}
