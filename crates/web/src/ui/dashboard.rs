//! The supervisor's and leader's dashboard for their jurisdiction: the
//! standard rates as tiles against the previous period, a 12-month trend,
//! a map of the units below shaded by load or by overdue work (click to
//! drill down to the grid), overdue and supervised lists, rankings with
//! the minimum-sample rule, and CSV exports of every list.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use grassroots_core::ErrorCode;
use grassroots_core::accounts::{Actor, Scope};
use grassroots_core::appeals::calendar::{local_date, start_of_day};
use grassroots_core::appeals::ranking::{MIN_SAMPLE, rank_by};
use grassroots_core::appeals::{Measures, Rate, Status};
use grassroots_core::authz;
use grassroots_core::territory::{Level, Territory, Unit};
use grassroots_store::{AppealFilter, MeasureFilter, MeasureGroup, MeasureScope, StoredAppeal};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::cache::Lookup;
use super::format::{department_name, percent, unit_name};
use super::page::{Ui, UiResult};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/dashboard/export.csv", get(export_csv))
        .route("/dashboard/export.xlsx", get(export_xlsx))
}

const DAY: i64 = 86_400_000_000;
/// The tiles compare the last 30 days with the 30 before.
const PERIOD_DAYS: i64 = 30;
/// Rankings look at a quarter, so small units reach the minimum sample.
const RANKING_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize)]
struct DashQuery {
    unit: Option<String>,
    metric: Option<String>,
    list: Option<String>,
}

/// The unit the dashboard is about: the one asked for, if within the
/// person's own; their own otherwise.
fn subject<'a>(t: &'a Territory, actor: &Actor, asked: Option<&str>) -> Result<&'a Unit, ApiError> {
    let own = match &actor.scope {
        Scope::Unit(code) if authz::works_appeals(actor.role) => code,
        _ => return Err(ApiError::new(ErrorCode::Forbidden)),
    };
    let code = asked.filter(|c| !c.is_empty()).unwrap_or(own);
    if !t.is_within(code, own) {
        return Err(ApiError::new(ErrorCode::NotFound));
    }
    t.get(code)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))
}

fn scope_of(u: &Unit) -> MeasureScope {
    if u.parent.is_none() {
        MeasureScope::City
    } else {
        MeasureScope::Unit(u.level, u.code.clone())
    }
}

fn name(u: &Unit, lang: Lang) -> &str {
    if lang == Lang::En {
        &u.name_en
    } else {
        &u.name
    }
}

fn rate_value(r: &Rate) -> Option<f64> {
    r.value
}

/// The tiles: each rate now, and its change in percentage points.
fn tiles(now: &Measures, before: &Measures) -> Value {
    type Pick = fn(&Measures) -> &Rate;
    let pick: [(&str, Pick); 5] = [
        ("response", |m| &m.response_rate),
        ("resolution", |m| &m.resolution_rate),
        ("satisfaction", |m| &m.satisfaction_rate),
        ("on_time", |m| &m.on_time_rate),
        ("local_resolution", |m| &m.local_resolution_rate),
    ];
    let mut out = vec![json!({
        "key": "count", "value": now.count.to_string(),
        "delta": format!("{:+}", now.count as i64 - before.count as i64),
        "trend": if now.count >= before.count { "up" } else { "down" },
        "good": Value::Null,
    })];
    for (key, f) in pick {
        let (a, b) = (rate_value(f(now)), rate_value(f(before)));
        let delta = a.zip(b).map(|(a, b)| (a - b) * 100.0);
        out.push(json!({
            "key": key,
            "value": percent(a),
            "sample": f(now).denominator,
            "delta": delta.map(|d| format!("{d:+.1}")),
            "trend": delta.map(|d| if d >= 0.0 { "up" } else { "down" }),
        }));
    }
    json!(out)
}

/// Starts of the last 12 calendar months (China time), oldest first.
fn month_starts(now: i64) -> Vec<(i64, String)> {
    let Ok(t) = Timestamp::from_microsecond(now) else {
        return Vec::new();
    };
    let today = local_date(t);
    let mut first = today.first_of_month();
    let mut out = Vec::new();
    for _ in 0..12 {
        out.push((
            start_of_day(first).as_microsecond(),
            format!("{:02}", first.month()),
        ));
        match first.checked_sub(jiff::Span::new().months(1)) {
            Ok(d) => first = d,
            Err(_) => break,
        }
    }
    out.reverse();
    out
}

/// A bar per month (received) and a line (satisfaction), as SVG numbers.
fn trend(months: &[(i64, String)], grouped: &[(String, Measures)]) -> Value {
    let (w, h, pad) = (600.0, 180.0, 24.0);
    let n = months.len().max(1) as f64;
    let slot = (w - 2.0 * pad) / n;
    let at = |i: usize| {
        grouped
            .iter()
            .find(|(k, _)| k.parse::<usize>().ok() == Some(i))
            .map(|(_, m)| m)
    };
    let max = (0..months.len())
        .filter_map(|i| at(i).map(|m| m.count))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut bars = Vec::new();
    let mut line = Vec::new();
    for (i, (_, label)) in months.iter().enumerate() {
        let m = at(i);
        let count = m.map(|m| m.count).unwrap_or(0);
        let bh = (count as f64 / max) * (h - 2.0 * pad);
        let x = pad + slot * i as f64;
        let sat = m.and_then(|m| m.satisfaction_rate.value);
        if let Some(s) = sat {
            line.push(format!(
                "{:.1},{:.1}",
                x + slot / 2.0,
                h - pad - s * (h - 2.0 * pad)
            ));
        }
        bars.push(json!({
            "x": format!("{:.1}", x + 2.0), "y": format!("{:.1}", h - pad - bh),
            "w": format!("{:.1}", slot - 4.0), "h": format!("{:.1}", bh),
            "label": label, "label_x": format!("{:.1}", x + slot / 2.0),
            "count": count, "satisfaction": percent(sat),
        }));
    }
    json!({"width": w, "height": h, "base": h - pad, "bars": bars, "line": line.join(" "), "max": max})
}

/// Households below each child (grids carry them), for the per-1,000 rate.
fn households(t: &Territory, child: &Unit) -> u64 {
    if child.level == Level::Grid {
        return u64::from(child.households.unwrap_or(0));
    }
    t.units()
        .iter()
        .filter(|u| u.level == Level::Grid && !u.retired && t.is_within(&u.code, &child.code))
        .map(|u| u64::from(u.households.unwrap_or(0)))
        .sum()
}

async fn list_rows(
    state: &AppState,
    lang: Lang,
    rows: &[StoredAppeal],
    now: i64,
) -> Result<Vec<Value>, ApiError> {
    let departments = state.departments().await?;
    Ok(rows
        .iter()
        .map(|a| super::staff::row(state, lang, a, &departments, now))
        .collect())
}

struct Lists {
    overdue: Vec<StoredAppeal>,
    supervised: Vec<StoredAppeal>,
    recent_closed: Vec<StoredAppeal>,
}

async fn lists(state: &AppState, u: &Unit, now: i64) -> Result<Lists, ApiError> {
    let located_in = Some((u.level, u.code.clone()));
    let open = AppealFilter {
        located_in: located_in.clone(),
        open_only: true,
        by_deadline: true,
        limit: 20,
        ..AppealFilter::default()
    };
    let overdue = state
        .store
        .appeals(&AppealFilter {
            overdue_at: Some(now),
            ..open.clone()
        })
        .await?;
    let supervised = state
        .store
        .appeals(&AppealFilter {
            supervised_only: true,
            ..open.clone()
        })
        .await?;
    let recent_closed = state
        .store
        .appeals(&AppealFilter {
            located_in,
            status: Some(Status::Closed),
            limit: 10,
            ..AppealFilter::default()
        })
        .await?;
    Ok(Lists {
        overdue,
        supervised,
        recent_closed,
    })
}

/// The units one level below `u` with their measures over `since..`.
async fn children_measures(
    state: &AppState,
    t: &Territory,
    u: &Unit,
    since: i64,
    now: i64,
) -> Result<(Option<Level>, Vec<(String, Measures)>), ApiError> {
    let Some(level) = t.children(&u.code).map(|c| c.level).next() else {
        return Ok((None, Vec::new()));
    };
    let f = MeasureFilter {
        scope: scope_of(u),
        category: None,
        from: since,
        to: now + 1,
    };
    let rows = state
        .store
        .measures_grouped(&f, &MeasureGroup::Unit(level), now)
        .await?;
    Ok((Some(level), rows))
}

async fn dashboard(State(state): State<AppState>, ui: Ui, Query(q): Query<DashQuery>) -> UiResult {
    let actor = ui.require()?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let u = subject(t, actor, q.unit.as_deref())?;
    let lang = ui.lang();
    let now = state.now_micros();
    let metric = if q.metric.as_deref() == Some("overdue") {
        "overdue"
    } else {
        "per_1000"
    };
    // The figures move slowly and cost a scan of the year: see `ui::cache`.
    let key = format!("dashboard:{}:{metric}:{}", u.code, lang.tag());
    let figures = match state.figures.lookup(&key, now) {
        Lookup::Fresh(f) => f,
        Lookup::Stale { value, refresh } => {
            if refresh {
                tokio::spawn(refresh_figures(
                    state.clone(),
                    u.code.clone(),
                    lang,
                    metric,
                    key,
                ));
            }
            value
        }
        Lookup::Missing => {
            let f = figures(&state, t, u, lang, metric, now).await?;
            state.figures.put(key, now, f.clone());
            f
        }
    };
    let l = lists(&state, u, now).await?;
    let breadcrumb: Vec<Value> = t
        .ancestors(&u.code)
        .into_iter()
        .rev()
        .filter(|a| {
            actor
                .scope
                .unit()
                .is_some_and(|own| t.is_within(&a.code, own))
        })
        .map(|a| json!({"code": a.code, "name": name(a, lang)}))
        .collect();
    ui.render(
        "dashboard.html",
        json!({
            "unit": {"code": u.code, "name": name(u, lang), "level": u.level.as_str()},
            "breadcrumb": breadcrumb,
            "figures": figures,
            "metric": metric,
            "overdue": list_rows(&state, lang, &l.overdue, now).await?,
            "supervised": list_rows(&state, lang, &l.supervised, now).await?,
            "recent_closed": list_rows(&state, lang, &l.recent_closed, now).await?,
            "min_sample": MIN_SAMPLE,
            "period_days": PERIOD_DAYS,
            "ranking_days": RANKING_DAYS,
        }),
    )
}

/// Recompute a unit's figures in the background while the old ones are shown.
async fn refresh_figures(
    state: AppState,
    code: String,
    lang: Lang,
    metric: &'static str,
    key: String,
) {
    let atlas = state.atlas();
    let now = state.now_micros();
    let result = match atlas.territory().get(&code) {
        Some(u) => figures(&state, atlas.territory(), u, lang, metric, now).await,
        None => Err(ApiError::new(ErrorCode::NotFound)),
    };
    match result {
        Ok(f) => state.figures.put(key, now, f),
        Err(e) => {
            tracing::warn!(error = ?e.code, %code, "dashboard figures refresh failed");
            state.figures.release(&key);
        }
    }
}

/// Tiles, trend, map and rankings of `u`, as of `now`.
async fn figures(
    state: &AppState,
    t: &Territory,
    u: &Unit,
    lang: Lang,
    metric: &str,
    now: i64,
) -> Result<Value, ApiError> {
    let scope = scope_of(u);
    let period = |from: i64, to: i64| MeasureFilter {
        scope: scope.clone(),
        category: None,
        from,
        to,
    };
    let current = state
        .store
        .measures(&period(now - PERIOD_DAYS * DAY, now + 1), now)
        .await?;
    let previous = state
        .store
        .measures(
            &period(now - 2 * PERIOD_DAYS * DAY, now - PERIOD_DAYS * DAY),
            now,
        )
        .await?;
    let months = month_starts(now);
    let by_month = state
        .store
        .measures_grouped(
            &period(months.first().map(|m| m.0).unwrap_or(0), now + 1),
            &MeasureGroup::Periods(months.iter().map(|m| m.0).collect()),
            now,
        )
        .await?;
    // The map: children shaded by appeals per 1,000 households (30 days) or open overdue.
    let (child_level, recent) =
        children_measures(state, t, u, now - PERIOD_DAYS * DAY, now).await?;
    let overdue_by = match child_level {
        Some(level) => state.store.overdue_grouped(&scope, level, now).await?,
        None => Vec::new(),
    };
    let children: Vec<&Unit> = t.children(&u.code).filter(|c| !c.retired).collect();
    let shown: Vec<&Unit> = if children.is_empty() {
        vec![u]
    } else {
        children.clone()
    };
    let mut values = Vec::new();
    for c in &shown {
        let count = recent
            .iter()
            .find(|(k, _)| *k == c.code)
            .map(|(_, m)| m.count)
            .unwrap_or(0);
        let overdue = overdue_by
            .iter()
            .find(|(k, _)| *k == c.code)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        let v = if metric == "overdue" {
            overdue as f64
        } else {
            let hh = households(t, c);
            if hh == 0 {
                0.0
            } else {
                count as f64 * 1000.0 / hh as f64
            }
        };
        values.push((*c, v));
    }
    let mut map = super::svg::unit_map(&values, lang, |c| {
        (!children.is_empty()).then(|| format!("/dashboard?unit={}&metric={metric}", c.code))
    });
    if let Some(shapes) = map.get_mut("shapes").and_then(Value::as_array_mut) {
        for s in shapes {
            let v = s["value"].as_f64().unwrap_or(0.0);
            s["value_text"] = json!(if metric == "overdue" {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            });
        }
    }
    // Rankings over a quarter: the units below and the departments.
    let (_, quarter) = children_measures(state, t, u, now - RANKING_DAYS * DAY, now).await?;
    let units_ranked = rank_by(quarter, MIN_SAMPLE, |(_, m)| &m.satisfaction_rate)
        .into_iter()
        .map(|r| {
            let (code, m) = &r.item;
            ranking_row(r.rank, &unit_name(t, code, lang), m)
        })
        .collect::<Vec<_>>();
    let departments = state.departments().await?;
    let dept_rows = state
        .store
        .measures_grouped(
            &period(now - RANKING_DAYS * DAY, now + 1),
            &MeasureGroup::Department,
            now,
        )
        .await?;
    let ranked_depts = rank_by(dept_rows, MIN_SAMPLE, |(_, m)| &m.satisfaction_rate);
    let hidden = shown_on_page(&ranked_depts);
    let depts_ranked = ranked_depts
        .into_iter()
        .take(hidden.0)
        .map(|r| {
            let (code, m) = &r.item;
            ranking_row(r.rank, &department_name(&departments, code, lang), m)
        })
        .collect::<Vec<_>>();
    Ok(json!({
        "computed_at": now,
        "tiles": tiles(&current, &previous),
        "trend": trend(&months, &by_month),
        "map": map,
        "units_ranked": units_ranked,
        "depts_ranked": depts_ranked,
        "depts_hidden": hidden.1,
    }))
}

/// A city has a hundred departments: the page shows every ranked one and
/// the first few unranked; the CSV has them all. (shown, left out)
fn shown_on_page<T>(rows: &[grassroots_core::appeals::ranking::Ranked<T>]) -> (usize, usize) {
    const UNRANKED_SHOWN: usize = 10;
    let ranked = rows.iter().filter(|r| r.rank.is_some()).count();
    let shown = (ranked + UNRANKED_SHOWN).min(rows.len());
    (shown, rows.len() - shown)
}

fn ranking_row(rank: Option<usize>, label: &str, m: &Measures) -> Value {
    json!({
        "rank": rank,
        "name": label,
        "count": m.count,
        "rated": m.satisfaction_rate.denominator,
        "satisfaction": percent(m.satisfaction_rate.value),
        "on_time": percent(m.on_time_rate.value),
        "response": percent(m.response_rate.value),
    })
}

/// One field of a CSV row, quoted when it must be (RFC 4180), and never
/// read as a formula by a spreadsheet.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub(super) fn csv(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(header.to_vec()).chain(rows.iter().cloned()) {
        out.push_str(
            &line
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// Any list of the dashboard as CSV (UTF-8 with a BOM, so spreadsheet
/// programs read the Chinese correctly).
async fn export_csv(
    State(state): State<AppState>,
    ui: Ui,
    Query(q): Query<DashQuery>,
) -> Result<Response, super::UiError> {
    export(state, ui, q, Sheet::Csv).await
}

async fn export_xlsx(
    State(state): State<AppState>,
    ui: Ui,
    Query(q): Query<DashQuery>,
) -> Result<Response, super::UiError> {
    export(state, ui, q, Sheet::Xlsx).await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sheet {
    Csv,
    Xlsx,
}

/// An Excel workbook of one sheet: the header row, then the rows as text
/// (codes and percentages stay exactly as shown).
fn xlsx(header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, v)?;
        }
    }
    workbook.save_to_buffer()
}

async fn export(
    state: AppState,
    ui: Ui,
    q: DashQuery,
    sheet: Sheet,
) -> Result<Response, super::UiError> {
    let actor = ui.require()?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let u = subject(t, actor, q.unit.as_deref())?;
    let lang = ui.lang();
    let now = state.now_micros();
    let list = q.list.as_deref().unwrap_or("overdue");
    let (header, rows): (Vec<&str>, Vec<Vec<String>>) = match list {
        "overdue" | "supervised" | "recent_closed" => {
            let l = lists(&state, u, now).await?;
            let rows = match list {
                "overdue" => l.overdue,
                "supervised" => l.supervised,
                _ => l.recent_closed,
            };
            let rows = list_rows(&state, lang, &rows, now)
                .await?
                .into_iter()
                .map(|v| {
                    let s = |x: &Value| x.as_str().unwrap_or("").to_owned();
                    let cat = if lang == Lang::En {
                        &v["category"]["name_en"]
                    } else {
                        &v["category"]["name"]
                    };
                    let handler = if lang == Lang::En {
                        &v["handler"]["name_en"]
                    } else {
                        &v["handler"]["name"]
                    };
                    vec![
                        s(&v["tracking_code"]),
                        s(cat),
                        ui.t(&format!("status-{}", s(&v["status"]))),
                        s(handler),
                        s(&v["received_at"]),
                        s(&v["countdown"]["text"]),
                    ]
                })
                .collect();
            (
                vec![
                    "field-appeal",
                    "field-category",
                    "field-status",
                    "field-handler",
                    "field-received",
                    "field-deadline",
                ],
                rows,
            )
        }
        "units" | "departments" => {
            let rows: Vec<(String, Measures)> = if list == "units" {
                children_measures(&state, t, u, now - RANKING_DAYS * DAY, now)
                    .await?
                    .1
            } else {
                let f = MeasureFilter {
                    scope: scope_of(u),
                    category: None,
                    from: now - RANKING_DAYS * DAY,
                    to: now + 1,
                };
                state
                    .store
                    .measures_grouped(&f, &MeasureGroup::Department, now)
                    .await?
            };
            let rows = rank_by(rows, MIN_SAMPLE, |(_, m)| &m.satisfaction_rate)
                .into_iter()
                .map(|r| {
                    let (code, m) = r.item;
                    vec![
                        r.rank.map(|x| x.to_string()).unwrap_or_default(),
                        code,
                        m.count.to_string(),
                        m.satisfaction_rate.denominator.to_string(),
                        percent(m.satisfaction_rate.value),
                        percent(m.on_time_rate.value),
                        percent(m.response_rate.value),
                    ]
                })
                .collect();
            (
                vec![
                    "dash-rank",
                    "dash-code",
                    "dash-count",
                    "dash-rated",
                    "tile-satisfaction",
                    "tile-on_time",
                    "tile-response",
                ],
                rows,
            )
        }
        _ => {
            return Err(ApiError::invalid(
                "list",
                "one of overdue, supervised, recent_closed, units, departments",
            )
            .into());
        }
    };
    let header: Vec<String> = header.iter().map(|k| ui.t(k)).collect();
    let (mut response, ext) = match sheet {
        Sheet::Csv => {
            let mut r = csv(&header, &rows).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            (r, "csv")
        }
        Sheet::Xlsx => {
            // Zipping a workbook is CPU work: off the async runtime.
            let bytes = tokio::task::spawn_blocking(move || xlsx(&header, &rows))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            let mut r = bytes.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            );
            (r, "xlsx")
        }
    };
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"{list}-{}.{ext}\"", u.code))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        let text = csv(&["名称".into()], &[vec!["第一\n行".into()]]);
        assert!(text.starts_with('\u{feff}'));
        assert!(text.ends_with("\"第一\n行\"\r\n"));
    }

    #[test]
    fn twelve_months_oldest_first() {
        let now = "2026-11-22T03:00:00Z"
            .parse::<Timestamp>()
            .map(|t| t.as_microsecond())
            .unwrap_or(0);
        let m = month_starts(now);
        assert_eq!(m.len(), 12);
        assert_eq!(m[0].1, "12");
        assert_eq!(m[11].1, "11");
        assert!(m.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
