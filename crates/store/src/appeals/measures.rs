//! The standard measures as one aggregate query. The definitions are
//! `grassroots_core::appeals::measure`'s; the contract suite checks that
//! this query and that function agree on the same record.

use grassroots_core::appeals::{AppealFacts, Measures, Rate, Satisfaction};
use grassroots_core::territory::Level;
use sqlx::Row;

use super::read::level_column;
use crate::{Result, Store};

/// Whose appeals: those located in a unit (and below), or those whose final
/// handler is a department; `City` is all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeasureScope {
    City,
    Unit(Level, String),
    Department(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasureFilter {
    pub scope: MeasureScope,
    pub category: Option<String>,
    /// Received in `[from, to)`, µs UTC.
    pub from: i64,
    pub to: i64,
}

/// How [`Store::measures_grouped`] splits the appeals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeasureGroup {
    /// By the unit at this level that contains the appeal's location.
    Unit(Level),
    /// By the department that handles it (department-handled appeals only).
    Department,
    /// By period of receipt, given the periods' starts (µs, ascending).
    Periods(Vec<i64>),
}

/// The aggregate columns behind [`Measures`] ($1 is "now").
fn aggregates() -> String {
    format!(
        "COUNT(*) AS n, {resp_d} AS resp_d, {resp_n} AS resp_n, {ot_d} AS ot_d, \
         {ot_n} AS ot_n, {rated} AS rated, {res_n} AS res_n, {sat_n} AS sat_n, \
         {loc_d} AS loc_d, {loc_n} AS loc_n, \
         COALESCE(CAST(SUM(CASE WHEN replied_at IS NOT NULL THEN replied_at - received_at \
         ELSE 0 END) AS BIGINT), 0) AS handling_sum, {replied} AS replied, \
         COALESCE(CAST(SUM(returns_count) AS BIGINT), 0) AS returns, \
         COALESCE(CAST(SUM(escalations) AS BIGINT), 0) AS escalations",
        resp_d = sum("signed_at IS NOT NULL OR sign_due < $1"),
        resp_n = sum("signed_at IS NOT NULL AND signed_at <= sign_due"),
        ot_d = sum("replied_at IS NOT NULL OR reply_due < $1"),
        ot_n = sum("replied_at IS NOT NULL AND replied_at <= reply_due"),
        rated = sum("rated_resolved IS NOT NULL"),
        res_n = sum("rated_resolved = 1"),
        sat_n = sum("rated_satisfaction IN ('satisfied', 'basically_satisfied')"),
        loc_d = sum(SETTLED),
        loc_n = sum(&format!(
            "{SETTLED} AND handler_level IN ('grid', 'community') AND escalations = 0"
        )),
        replied = sum("replied_at IS NOT NULL"),
    )
}

fn measures_from_row(r: &sqlx::any::AnyRow) -> Result<Measures> {
    let g = |name: &str| -> Result<i64> { Ok(r.try_get::<i64, _>(name)?) };
    let (replied, handling_sum) = (g("replied")?, g("handling_sum")?);
    Ok(Measures {
        count: g("n")?.max(0) as u64,
        response_rate: rate(g("resp_n")?, g("resp_d")?),
        resolution_rate: rate(g("res_n")?, g("rated")?),
        satisfaction_rate: rate(g("sat_n")?, g("rated")?),
        on_time_rate: rate(g("ot_n")?, g("ot_d")?),
        local_resolution_rate: rate(g("loc_n")?, g("loc_d")?),
        average_handling_hours: (replied > 0)
            .then(|| handling_sum as f64 / replied as f64 / 3_600_000_000.0),
        returns: g("returns")?.max(0) as u64,
        escalations: g("escalations")?.max(0) as u64,
    })
}

const SETTLED: &str = "outcome_kind IN ('rated', 'not_rated', 'resolved_on_site')";

fn sum(expr: &str) -> String {
    format!("COALESCE(CAST(SUM(CASE WHEN {expr} THEN 1 ELSE 0 END) AS BIGINT), 0)")
}

fn rate(n: i64, d: i64) -> Rate {
    let (n, d) = (n.max(0) as u64, d.max(0) as u64);
    Rate {
        numerator: n,
        denominator: d,
        value: (d > 0).then(|| n as f64 / d as f64),
    }
}

impl MeasureFilter {
    fn where_clause(&self) -> (String, Vec<String>) {
        let mut sql = String::from("received_at >= $2 AND received_at < $3");
        let mut binds = Vec::new();
        match &self.scope {
            MeasureScope::City => {}
            MeasureScope::Unit(level, code) => {
                if let Some(col) = level_column(*level) {
                    binds.push(code.clone());
                    sql.push_str(&format!(" AND {col} = ${}", binds.len() + 3));
                }
            }
            MeasureScope::Department(code) => {
                binds.push(code.clone());
                sql.push_str(&format!(
                    " AND handler_kind = 'department' AND handler_code = ${}",
                    binds.len() + 3
                ));
            }
        }
        if let Some(c) = &self.category {
            binds.push(c.clone());
            sql.push_str(&format!(" AND category = ${}", binds.len() + 3));
        }
        (sql, binds)
    }
}

impl Store {
    /// The measures over the appeals `f` selects, as of `now`.
    pub async fn measures(&self, f: &MeasureFilter, now: i64) -> Result<Measures> {
        let (filter, binds) = f.where_clause();
        let sql = format!("SELECT {} FROM appeals WHERE {filter}", aggregates());
        let mut q = sqlx::query(&sql).bind(now).bind(f.from).bind(f.to);
        for b in &binds {
            q = q.bind(b);
        }
        let r = q.fetch_one(self.pool()).await?;
        measures_from_row(&r)
    }

    /// The same measures, one row per group (dashboards: a unit's children,
    /// departments, months), with the same definitions as [`Store::measures`].
    /// Groups without appeals are absent.
    pub async fn measures_grouped(
        &self,
        f: &MeasureFilter,
        group: &MeasureGroup,
        now: i64,
    ) -> Result<Vec<(String, Measures)>> {
        let (filter, binds) = f.where_clause();
        let (key, extra) = match group {
            MeasureGroup::Unit(level) => {
                let col = level_column(*level).unwrap_or("unit_code");
                (col.to_owned(), format!(" AND {col} IS NOT NULL"))
            }
            MeasureGroup::Department => (
                "handler_code".to_owned(),
                " AND handler_kind = 'department'".to_owned(),
            ),
            MeasureGroup::Periods(starts) => {
                // Integers, formatted: nothing to inject. Period i is
                // [starts[i], starts[i + 1]); the last runs to `f.to`.
                let mut case = String::from("CASE");
                for (i, next) in starts.iter().enumerate().skip(1) {
                    case.push_str(&format!(" WHEN received_at < {next} THEN '{}'", i - 1));
                }
                case.push_str(&format!(" ELSE '{}' END", starts.len().saturating_sub(1)));
                let first = starts.first().copied().unwrap_or(i64::MIN);
                (case, format!(" AND received_at >= {first}"))
            }
        };
        let sql = format!(
            "SELECT {key} AS group_key, {} FROM appeals WHERE {filter}{extra} GROUP BY {key}",
            aggregates()
        );
        let mut q = sqlx::query(&sql).bind(now).bind(f.from).bind(f.to);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<String, _>("group_key")?, measures_from_row(r)?)))
            .collect()
    }

    /// Open appeals past their current limit now, counted by the unit at
    /// `level` containing them, within `scope`.
    pub async fn overdue_grouped(
        &self,
        scope: &MeasureScope,
        level: Level,
        now: i64,
    ) -> Result<Vec<(String, i64)>> {
        let col = level_column(level).unwrap_or("unit_code");
        let (scope_sql, bind) = match scope {
            MeasureScope::City => (String::new(), None),
            MeasureScope::Unit(l, code) => match level_column(*l) {
                Some(c) => (format!(" AND {c} = $2"), Some(code.clone())),
                None => (String::new(), None),
            },
            MeasureScope::Department(code) => (
                " AND handler_kind = 'department' AND handler_code = $2".to_owned(),
                Some(code.clone()),
            ),
        };
        let sql = format!(
            "SELECT {col}, CAST(COUNT(*) AS BIGINT) FROM appeals WHERE act_by IS NOT NULL \
             AND act_by < $1 AND status <> 'closed' AND {col} IS NOT NULL{scope_sql} GROUP BY {col}"
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(now);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    /// The per-appeal facts behind [`Store::measures`], for checking the
    /// query against the domain's definition.
    pub async fn measure_facts(&self, f: &MeasureFilter) -> Result<Vec<AppealFacts>> {
        let (filter, binds) = f.where_clause();
        // $1 is unused here; keep the numbering shared with `measures`.
        let sql = format!(
            "SELECT received_at, sign_due, signed_at, reply_due, replied_at, rated_resolved, \
             rated_satisfaction, outcome_kind, handler_level, escalations, returns_count \
             FROM appeals WHERE $1 = $1 AND {filter}"
        );
        let mut q = sqlx::query(&sql).bind(0_i64).bind(f.from).bind(f.to);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let resolved: Option<i64> = r.try_get("rated_resolved")?;
                let satisfaction: Option<String> = r.try_get("rated_satisfaction")?;
                let outcome: Option<String> = r.try_get("outcome_kind")?;
                let level: Option<String> = r.try_get("handler_level")?;
                let settled = matches!(
                    outcome.as_deref(),
                    Some("rated" | "not_rated" | "resolved_on_site")
                );
                let satisfaction = match satisfaction.as_deref() {
                    Some("satisfied") => Some(Satisfaction::Satisfied),
                    Some("basically_satisfied") => Some(Satisfaction::BasicallySatisfied),
                    Some(_) => Some(Satisfaction::Unsatisfied),
                    None => None,
                };
                Ok(AppealFacts {
                    received_at: r.try_get("received_at")?,
                    sign_due: r.try_get("sign_due")?,
                    signed_at: r.try_get("signed_at")?,
                    reply_due: r.try_get("reply_due")?,
                    replied_at: r.try_get("replied_at")?,
                    rating: resolved.zip(satisfaction).map(|(r, s)| (r != 0, s)),
                    settled,
                    settled_locally: matches!(level.as_deref(), Some("grid" | "community")),
                    escalations: u32::try_from(r.try_get::<i64, _>("escalations")?).unwrap_or(0),
                    returns: u32::try_from(r.try_get::<i64, _>("returns_count")?).unwrap_or(0),
                })
            })
            .collect()
    }
}
