//! Reading appeals: one case, its timeline, lists by jurisdiction, nearby
//! open cases (duplicate suggestions), notifications and tasks.

use grassroots_core::appeals::{Handler, Status};
use grassroots_core::territory::Level;
use sqlx::Row;

use super::row::{APPEAL_COLUMNS, appeal_from_row};
use super::{StoredAppeal, TimelineEntry, handler_from, handler_parts};
use crate::territory::{from_e7, to_e7};
use crate::{Result, Store};

/// Which appeals a list shows. `located_in` and `handled_by` widen each
/// other (a unit sees cases in its area and cases it handles); both empty
/// means the whole city.
#[derive(Clone, Debug, Default)]
pub struct AppealFilter {
    pub located_in: Option<(Level, String)>,
    pub handled_by: Vec<Handler>,
    pub status: Option<Status>,
    pub supervised_only: bool,
    /// Only appeals filed by this resident account (and no other scope).
    pub requester: Option<i64>,
    /// Only appeals still being worked (not closed).
    pub open_only: bool,
    /// Soonest deadline first (the staff inbox) instead of newest first.
    pub by_deadline: bool,
    /// Only open appeals whose current limit passed before this time (µs).
    pub overdue_at: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// A list row is the whole case; views pick what to show.
pub type AppealSummary = StoredAppeal;

/// An open appeal near a point, for duplicate suggestions.
#[derive(Clone, Debug, PartialEq)]
pub struct Nearby {
    pub id: i64,
    pub category: String,
    pub point: (f64, f64),
    pub received_at: i64,
    pub requesters: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: i64,
    pub to: Option<Handler>,
    pub appeal_id: Option<i64>,
    pub kind: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRow {
    pub id: i64,
    pub kind: String,
    pub unit: String,
    pub appeal_id: Option<i64>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

pub(crate) fn level_column(level: Level) -> Option<&'static str> {
    match level {
        Level::City => None,
        Level::District => Some("district_code"),
        Level::Street => Some("street_code"),
        Level::Community => Some("community_code"),
        Level::Grid => Some("grid_code"),
    }
}

impl Store {
    pub async fn appeal(&self, id: i64) -> Result<StoredAppeal> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_one(self.pool()).await?;
        appeal_from_row(&row)
    }

    pub async fn appeal_by_tracking_code(&self, code: &str) -> Result<StoredAppeal> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE tracking_code = $1");
        let row = sqlx::query(&sql).bind(code).fetch_one(self.pool()).await?;
        appeal_from_row(&row)
    }

    /// Every step of one appeal, oldest first.
    pub async fn timeline(&self, appeal_id: i64) -> Result<Vec<TimelineEntry>> {
        let rows = sqlx::query(
            "SELECT at_micros, action, public, actor_id, actor, role, unit, handler_kind, \
             handler_code, note FROM appeal_events WHERE appeal_id = $1 ORDER BY id",
        )
        .bind(appeal_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TimelineEntry {
                    at: r.try_get("at_micros")?,
                    action: r.try_get("action")?,
                    public: r.try_get::<i64, _>("public")? != 0,
                    actor_id: r.try_get("actor_id")?,
                    actor: r.try_get("actor")?,
                    role: r.try_get("role")?,
                    unit: r.try_get("unit")?,
                    handler: handler_from(r.try_get("handler_kind")?, r.try_get("handler_code")?),
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Appeals by jurisdiction, newest first.
    pub async fn appeals(&self, f: &AppealFilter) -> Result<Vec<StoredAppeal>> {
        let mut sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let mut scope = Vec::new();
        if let Some((level, code)) = &f.located_in
            && let Some(col) = level_column(*level)
        {
            binds.push(code.clone());
            scope.push(format!("{col} = ${}", binds.len()));
        }
        for h in &f.handled_by {
            let (k, c) = handler_parts(Some(h));
            binds.push(k.unwrap_or_default().to_owned());
            binds.push(c.unwrap_or_default().to_owned());
            scope.push(format!(
                "(handler_kind = ${} AND handler_code = ${})",
                binds.len() - 1,
                binds.len()
            ));
        }
        let city_wide = matches!(&f.located_in, Some((Level::City, _)));
        if !scope.is_empty() && !city_wide {
            sql.push_str(&format!(" AND ({})", scope.join(" OR ")));
        }
        if let Some(s) = f.status {
            binds.push(s.as_str().to_owned());
            sql.push_str(&format!(" AND status = ${}", binds.len()));
        }
        if f.supervised_only {
            sql.push_str(" AND supervised = 1");
        }
        if let Some(id) = f.requester {
            // An integer, formatted: nothing to inject.
            sql.push_str(&format!(" AND requester_id = {id}"));
        }
        if f.open_only || f.overdue_at.is_some() {
            sql.push_str(" AND status <> 'closed'");
        }
        if let Some(at) = f.overdue_at {
            // An integer, formatted: nothing to inject.
            sql.push_str(&format!(" AND act_by IS NOT NULL AND act_by < {at}"));
        }
        let order = if f.by_deadline {
            // Work with no running limit (awaiting the resident) goes last.
            "CASE WHEN act_by IS NULL THEN 1 ELSE 0 END, act_by, id"
        } else {
            "received_at DESC, id DESC"
        };
        sql.push_str(&format!(
            " ORDER BY {order} LIMIT {} OFFSET {}",
            f.limit.clamp(1, 1000),
            f.offset.max(0)
        ));
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(appeal_from_row).collect()
    }

    /// Open appeals of `category` received since `since` within a box of
    /// `half_side_deg` around the point (the caller applies the exact radius).
    pub async fn nearby_open_appeals(
        &self,
        category: &str,
        point: (f64, f64),
        half_side_deg: f64,
        since: i64,
    ) -> Result<Vec<Nearby>> {
        let rows: Vec<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, category, lon_e7, lat_e7, received_at, requesters FROM appeals \
             WHERE category = $1 AND status <> 'closed' AND received_at >= $2 \
             AND lon_e7 BETWEEN $3 AND $4 AND lat_e7 BETWEEN $5 AND $6 \
             ORDER BY received_at DESC LIMIT 200",
        )
        .bind(category)
        .bind(since)
        .bind(to_e7(point.0 - half_side_deg))
        .bind(to_e7(point.0 + half_side_deg))
        .bind(to_e7(point.1 - half_side_deg))
        .bind(to_e7(point.1 + half_side_deg))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, category, x, y, received_at, requesters)| Nearby {
                id,
                category,
                point: (from_e7(x), from_e7(y)),
                received_at,
                requesters,
            })
            .collect())
    }

    /// Notifications for any of `targets`, newest first.
    pub async fn notifications(
        &self,
        targets: &[Handler],
        limit: i64,
    ) -> Result<Vec<NotificationRow>> {
        let mut out = Vec::new();
        for t in targets {
            let (k, c) = handler_parts(Some(t));
            let rows = sqlx::query(
                "SELECT id, target_kind, target_code, appeal_id, kind, created_at, read_at \
                 FROM notifications WHERE target_kind = $1 AND target_code = $2 \
                 ORDER BY id DESC LIMIT $3",
            )
            .bind(k)
            .bind(c)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
            for r in rows {
                out.push(NotificationRow {
                    id: r.try_get("id")?,
                    to: handler_from(r.try_get("target_kind")?, r.try_get("target_code")?),
                    appeal_id: r.try_get("appeal_id")?,
                    kind: r.try_get("kind")?,
                    created_at: r.try_get("created_at")?,
                    read_at: r.try_get("read_at")?,
                });
            }
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.id));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    /// Open tasks of a unit (return visits), oldest first.
    pub async fn open_tasks(&self, unit: &str) -> Result<Vec<TaskRow>> {
        type Row = (i64, String, String, Option<i64>, i64, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, kind, unit_code, appeal_id, created_at, done_at FROM tasks \
             WHERE unit_code = $1 AND done_at IS NULL ORDER BY id",
        )
        .bind(unit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, unit, appeal_id, created_at, done_at)| TaskRow {
                id,
                kind,
                unit,
                appeal_id,
                created_at,
                done_at,
            })
            .collect())
    }
}
