//! What the public may read: published appeals (the caller strips personal
//! data and coarsens locations before anything leaves the server).

use std::collections::HashMap;

use crate::appeals::StoredAppeal;
use crate::appeals::row::{APPEAL_COLUMNS, appeal_from_row};
use crate::{Ctx, Result, Store, StoreError};

/// Which published appeals a public list shows.
#[derive(Clone, Debug, Default)]
pub struct PublicFilter {
    /// These appeals only (overrides the other filters but publication).
    pub ids: Option<Vec<i64>>,
    pub category: Option<String>,
    /// Located in this district.
    pub district: Option<String>,
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
                // Texts are numbered before the integers below: keep it so.
                if let Some(d) = &f.district {
                    texts.push(d.clone());
                    sql.push_str(&format!(" AND district_code = ${}", texts.len()));
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
    /// The resident withdraws their appeal from the public portal (any
    /// time, by tracking code or account); audited.
    pub async fn unpublish_appeal(&self, ctx: &Ctx, id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE appeals SET publish = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx.inner)
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::StoreError::NotFound);
        }
        tx.audit(
            ctx,
            "appeal.unpublish",
            "appeal",
            &id.to_string(),
            &["publish"],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

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

/// An Open311 client application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open311Client {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl Store {
    /// Issue a key (its hash is stored), audited.
    pub async fn create_open311_client(
        &self,
        ctx: &Ctx,
        name: &str,
        key_hash: &str,
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO open311_clients (name, key_hash, created_at, created_by) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(key_hash)
        .bind(ctx.now_micros)
        .bind(ctx.actor_id)
        .fetch_one(&mut *tx.inner)
        .await?;
        tx.audit(
            ctx,
            "open311.key_issue",
            "open311_client",
            &id.to_string(),
            &["name", "key_hash"],
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn open311_clients(&self) -> Result<Vec<Open311Client>> {
        let rows: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, created_at, revoked_at FROM open311_clients ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Open311Client {
                id: r.0,
                name: r.1,
                created_at: r.2,
                revoked_at: r.3,
            })
            .collect())
    }

    /// Revoke a key, audited; revoking twice is a conflict.
    pub async fn revoke_open311_client(&self, ctx: &Ctx, id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE open311_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(ctx.now_micros)
        .bind(id)
        .execute(&mut *tx.inner)
        .await?;
        if done.rows_affected() != 1 {
            let exists: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM open311_clients WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx.inner)
                    .await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict("the key is already revoked".into()),
                None => StoreError::NotFound,
            });
        }
        tx.audit(
            ctx,
            "open311.key_revoke",
            "open311_client",
            &id.to_string(),
            &["revoked_at"],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live client holding the key with this hash.
    pub async fn open311_client_by_key(&self, key_hash: &str) -> Result<Option<Open311Client>> {
        let row: Option<(i64, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, created_at, revoked_at FROM open311_clients \
             WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| Open311Client {
            id: r.0,
            name: r.1,
            created_at: r.2,
            revoked_at: r.3,
        }))
    }
}
