//! Early-warning alerts: raised by the daily scan, read by the units they are routed to,
//! and closed by people — every change audited in its transaction. The store decides
//! nothing: which clusters become alerts and who may act is decided above it.

use grassroots_core::warning::{AlertStatus, Watched, object_key};
use sqlx::Row as _;

use crate::appeals::handler_from;
use crate::territory::from_e7;
use crate::{Ctx, Result, Store, StoreError, Tx};

/// One appeal as the scan sees it: where (its grid), what (its category group), when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanCase {
    pub id: i64,
    pub grid: String,
    pub category_group: String,
    pub received_at: i64,
}

/// An alert to raise.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAlert {
    pub method: String,
    pub category_group: String,
    pub analysis_day: String,
    pub centre_unit: String,
    pub unit_code: String,
    /// JSON evidence (numbers, grids, window).
    pub evidence: String,
    pub appeal_ids: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredAlert {
    pub id: i64,
    pub method: String,
    pub category_group: String,
    pub analysis_day: String,
    pub centre_unit: String,
    pub unit_code: String,
    pub status: AlertStatus,
    pub evidence: serde_json::Value,
    pub appeal_ids: Vec<i64>,
    pub note: Option<String>,
    pub raised_at: i64,
    pub updated_at: i64,
    pub updated_by: Option<i64>,
}

/// Which alerts a list shows (the caller filters by jurisdiction before showing anything).
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub limit: i64,
}

const COLUMNS: &str = "id, method, category_group, analysis_day, centre_unit, unit_code, status, \
                       evidence, appeal_ids, note, raised_at, updated_at, updated_by";

type AlertRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

fn alert_from_row(r: AlertRow) -> Result<StoredAlert> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("alert {}: {what}", r.0));
    Ok(StoredAlert {
        id: r.0,
        method: r.1.clone(),
        category_group: r.2.clone(),
        analysis_day: r.3.clone(),
        centre_unit: r.4.clone(),
        unit_code: r.5.clone(),
        status: AlertStatus::parse(&r.6).ok_or_else(|| corrupt("status"))?,
        evidence: serde_json::from_str(&r.7).map_err(|_| corrupt("evidence"))?,
        appeal_ids: serde_json::from_str(&r.8).map_err(|_| corrupt("appeal ids"))?,
        note: r.9.clone(),
        raised_at: r.10,
        updated_at: r.11,
        updated_by: r.12,
    })
}

impl Store {
    /// Appeals received in `[since, until)` that lie in a grid, oldest first.
    pub async fn scan_cases(&self, since: i64, until: i64) -> Result<Vec<ScanCase>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, grid_code, category_group, received_at FROM appeals \
             WHERE received_at >= $1 AND received_at < $2 AND grid_code IS NOT NULL \
             ORDER BY received_at, id",
        )
        .bind(since)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, grid, category_group, received_at)| ScanCase {
                id,
                grid,
                category_group,
                received_at,
            })
            .collect())
    }

    /// Appeals received in `[since, until)`, as the collective and repeat rules see them: no
    /// contact data is read.
    pub async fn watched_appeals(&self, since: i64, until: i64) -> Result<Vec<Watched>> {
        let rows = sqlx::query(
            "SELECT id, tracking_code, category, category_group, grid_code, address, lon_e7, lat_e7, \
             received_at, requesters, status, outcome_kind, closed_at, reopened, handler_kind, \
             handler_code, first_handler_kind, first_handler_code FROM appeals \
             WHERE received_at >= $1 AND received_at < $2 ORDER BY received_at, id",
        )
        .bind(since)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let lon: Option<i64> = r.try_get("lon_e7")?;
                let lat: Option<i64> = r.try_get("lat_e7")?;
                let point = lon.zip(lat).map(|(x, y)| (from_e7(x), from_e7(y)));
                let address: Option<String> = r.try_get("address")?;
                let outcome: Option<String> = r.try_get("outcome_kind")?;
                let closed_at: Option<i64> = r.try_get("closed_at")?;
                let handled = matches!(
                    outcome.as_deref(),
                    Some("rated" | "not_rated" | "resolved_on_site")
                );
                let handler = handler_from(r.try_get("handler_kind")?, r.try_get("handler_code")?)
                    .or(handler_from(
                        r.try_get("first_handler_kind")?,
                        r.try_get("first_handler_code")?,
                    ));
                Ok(Watched {
                    id: r.try_get("id")?,
                    tracking_code: r.try_get("tracking_code")?,
                    category: r.try_get("category")?,
                    category_group: r.try_get("category_group")?,
                    grid: r.try_get("grid_code")?,
                    object: object_key(address.as_deref(), point),
                    received_at: r.try_get("received_at")?,
                    requesters: r.try_get("requesters")?,
                    open: r.try_get::<String, _>("status")? != "closed",
                    handled_at: closed_at.filter(|_| handled),
                    reopened: r.try_get::<i64, _>("reopened")? != 0,
                    handler,
                })
            })
            .collect()
    }

    pub async fn alert(&self, id: i64) -> Result<StoredAlert> {
        let row: AlertRow = sqlx::query_as(&format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        alert_from_row(row)
    }

    /// Newest first.
    pub async fn alerts(&self, f: &AlertFilter) -> Result<Vec<StoredAlert>> {
        let mut sql = format!("SELECT {COLUMNS} FROM alerts WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        if let Some(s) = f.status {
            binds.push(s.as_str().to_owned());
            sql.push_str(&format!(" AND status = ${}", binds.len()));
        }
        sql.push_str(&format!(
            " ORDER BY analysis_day DESC, id DESC LIMIT {}",
            f.limit.clamp(1, 1000)
        ));
        let mut q = sqlx::query_as::<_, AlertRow>(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_all(self.pool())
            .await?
            .into_iter()
            .map(alert_from_row)
            .collect()
    }
}

impl Tx {
    /// Raises an alert with its audit event. `None` when the same cluster (method, group,
    /// day, centre) was already raised: reruns of a day are harmless.
    pub async fn raise_alert(&mut self, ctx: &Ctx, a: &NewAlert) -> Result<Option<i64>> {
        let ids =
            serde_json::to_string(&a.appeal_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO alerts (method, category_group, analysis_day, centre_unit, unit_code, status, \
             evidence, appeal_ids, raised_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $8) \
             ON CONFLICT (method, category_group, analysis_day, centre_unit) DO NOTHING RETURNING id",
        )
        .bind(&a.method)
        .bind(&a.category_group)
        .bind(&a.analysis_day)
        .bind(&a.centre_unit)
        .bind(&a.unit_code)
        .bind(&a.evidence)
        .bind(&ids)
        .bind(ctx.now_micros)
        .fetch_optional(&mut *self.inner)
        .await?;
        let Some((id,)) = id else {
            return Ok(None);
        };
        self.audit(
            ctx,
            "alert.raise",
            "alert",
            &id.to_string(),
            &[
                "method",
                "category_group",
                "analysis_day",
                "unit_code",
                "evidence",
                "appeal_ids",
            ],
        )
        .await?;
        Ok(Some(id))
    }

    /// Whether an alert of `method` about `centre` in `group` was raised for an analysis day on
    /// or after `since_day`: a matter still under way is raised once, not every day.
    pub async fn alert_raised_since(
        &mut self,
        method: &str,
        group: &str,
        centre: &str,
        since_day: &str,
    ) -> Result<bool> {
        let found: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM alerts WHERE method = $1 AND category_group = $2 AND centre_unit = $3 \
             AND analysis_day >= $4 LIMIT 1",
        )
        .bind(method)
        .bind(group)
        .bind(centre)
        .bind(since_day)
        .fetch_optional(&mut *self.inner)
        .await?;
        Ok(found.is_some())
    }

    /// Moves an alert from `from` to `to` with its note, audited as `alert.<action>`. A
    /// concurrent change (the status is no longer `from`) is a conflict, not a silent overwrite.
    pub async fn set_alert_status(
        &mut self,
        ctx: &Ctx,
        id: i64,
        (from, to): (AlertStatus, AlertStatus),
        action: &str,
        note: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE alerts SET status = $1, note = COALESCE($2, note), updated_at = $3, updated_by = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(to.as_str())
        .bind(note)
        .bind(ctx.now_micros)
        .bind(ctx.actor_id)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *self.inner)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict("the alert changed meanwhile".into()));
        }
        let fields: &[&str] = if note.is_some() {
            &["status", "note"]
        } else {
            &["status"]
        };
        self.audit(
            ctx,
            &format!("alert.{action}"),
            "alert",
            &id.to_string(),
            fields,
        )
        .await?;
        Ok(())
    }
}
