//! What the public may read: published appeals (the caller strips personal
//! data and coarsens locations before anything leaves the server).

use std::collections::HashMap;

use crate::appeals::StoredAppeal;
use crate::appeals::row::{APPEAL_COLUMNS, appeal_from_row};
use crate::{Result, Store};

/// Which published appeals a public list shows.
#[derive(Clone, Debug, Default)]
pub struct PublicFilter {
    /// These appeals only (overrides the other filters but publication).
    pub ids: Option<Vec<i64>>,
    pub category: Option<String>,
    /// Received in `[since, until)`.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// `Some(true)`: open only; `Some(false)`: closed only.
    pub open: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

impl Store {
    /// Published appeals, newest first. Merged duplicates are left out: the
    /// case they joined is the one to follow.
    pub async fn public_appeals(&self, f: &PublicFilter) -> Result<Vec<StoredAppeal>> {
        let mut sql = format!(
            "SELECT {APPEAL_COLUMNS} FROM appeals WHERE publish = 1 AND merged_into IS NULL"
        );
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        match &f.ids {
            Some(ids) => {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                // Integers, formatted: nothing to inject.
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                sql.push_str(&format!(" AND id IN ({})", list.join(", ")));
            }
            None => {
                if let Some(c) = &f.category {
                    texts.push(c.clone());
                    sql.push_str(&format!(" AND category = ${}", texts.len()));
                }
                match f.open {
                    Some(true) => sql.push_str(" AND status <> 'closed'"),
                    Some(false) => sql.push_str(" AND status = 'closed'"),
                    None => {}
                }
                if let Some(s) = f.since {
                    ints.push(s);
                    sql.push_str(&format!(
                        " AND received_at >= ${}",
                        texts.len() + ints.len()
                    ));
                }
                if let Some(u) = f.until {
                    ints.push(u);
                    sql.push_str(&format!(" AND received_at < ${}", texts.len() + ints.len()));
                }
            }
        }
        sql.push_str(&format!(
            " ORDER BY received_at DESC, id DESC LIMIT {} OFFSET {}",
            f.limit.clamp(1, 1000),
            f.offset.max(0)
        ));
        let mut q = sqlx::query(&sql);
        for t in &texts {
            q = q.bind(t);
        }
        for i in &ints {
            q = q.bind(*i);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(appeal_from_row).collect()
    }

    /// Published appeals per grid received since `since`: where a grid has
    /// few, a public location is coarsened further.
    pub async fn published_per_grid(&self, since: i64) -> Result<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT grid_code, COUNT(*) FROM appeals WHERE publish = 1 AND grid_code IS NOT NULL \
             AND received_at >= $1 GROUP BY grid_code",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().collect())
    }
}
