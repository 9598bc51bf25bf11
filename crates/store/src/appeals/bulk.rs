//! Loading a history of appeals in bulk (the demo city's year): many rows
//! per statement, ids assigned here so that timeline rows can refer to
//! them. One audit event records the load as a whole.

use super::write::{INSERT_COLUMNS, INSERT_COUNT, bind_appeal};
use super::{StoredAppeal, TimelineEntry};
use crate::{Backend, Ctx, Result, Tx};

/// Rows per statement: well under SQLite's 32,766 bound parameters.
const APPEALS_PER_STATEMENT: usize = 64;

impl Tx {
    /// Insert `rows` (ids ignored) with their timelines.
    pub async fn insert_history(
        &mut self,
        rows: &[(StoredAppeal, Vec<TimelineEntry>)],
    ) -> Result<()> {
        let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM appeals")
            .fetch_one(&mut *self.inner)
            .await?;
        let first = max.unwrap_or(0) + 1;
        for (chunk_no, chunk) in rows.chunks(APPEALS_PER_STATEMENT).enumerate() {
            let sql = format!(
                "INSERT INTO appeals (id, {INSERT_COLUMNS}) VALUES {}",
                self.backend.value_lists(chunk.len(), INSERT_COUNT + 1)
            );
            let mut q = sqlx::query_as::<_, ()>(&sql);
            for (i, (a, _)) in chunk.iter().enumerate() {
                let id = first + (chunk_no * APPEALS_PER_STATEMENT + i) as i64;
                q = bind_appeal(q.bind(id), a, None, None)?;
            }
            q.fetch_all(&mut *self.inner).await?;
        }
        let events: Vec<(i64, &TimelineEntry)> = rows
            .iter()
            .enumerate()
            .flat_map(|(i, (_, tl))| tl.iter().map(move |e| (first + i as i64, e)))
            .collect();
        self.insert_timeline_rows(&events).await?;
        if self.backend == Backend::Postgres && !rows.is_empty() {
            // Ids were given explicitly: move the identity past them.
            sqlx::query("SELECT setval(pg_get_serial_sequence('appeals', 'id'), (SELECT MAX(id) FROM appeals))")
                .execute(&mut *self.inner)
                .await?;
        }
        Ok(())
    }

    /// Record a bulk load as one audit event (the rows are history, not
    /// changes anyone made).
    pub async fn audit_history(&mut self, ctx: &Ctx, count: usize) -> Result<()> {
        self.audit(
            ctx,
            "appeal.history_load",
            "appeal",
            &format!("{count} appeals"),
            &["appeals", "appeal_events"],
        )
        .await?;
        Ok(())
    }
}
