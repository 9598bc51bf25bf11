//! The public portal (no login): published appeals on a map and in a list
//! with the official reply and the rating, and the public statistics per
//! district and department by month, downloadable as CSV and GeoJSON.
//! Everything shown goes through the Open311 view (`open311::requests::view`):
//! free text masked, no names or phones, locations snapped to the grid's
//! label point (or coarser where a grid has few published appeals).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use grassroots_core::appeals::Measures;
use grassroots_core::appeals::calendar::{local_date, start_of_day};
use grassroots_core::appeals::ranking::{MIN_SAMPLE, rank_by};
use grassroots_core::territory::Level;
use grassroots_store::{MeasureFilter, MeasureGroup, MeasureScope, PublicFilter};
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Value, json};

use super::format::{department_name, percent, unit_name};
use super::page::{Ui, UiError, UiResult};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::open311::requests::{published_per_grid, view};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(portal))
        .route("/portal/stats", get(stats))
        .route("/portal/stats.csv", get(stats_csv))
        .route("/portal/stats.geojson", get(stats_geojson))
}

const DAY: i64 = 86_400_000_000;
/// The list and map show the last 90 days.
const WINDOW_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize)]
struct PortalQuery {
    district: Option<String>,
    category: Option<String>,
    status: Option<String>,
    month: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn districts(state: &AppState, lang: Lang) -> Vec<Value> {
    let atlas = state.atlas();
    atlas
        .territory()
        .units()
        .iter()
        .filter(|u| u.level == Level::District && !u.retired)
        .map(|u| json!({"code": u.code, "name": if lang == Lang::En { &u.name_en } else { &u.name }}))
        .collect()
}

async fn portal(State(state): State<AppState>, ui: Ui, Query(q): Query<PortalQuery>) -> UiResult {
    let lang = ui.lang();
    let atlas = state.atlas();
    let t = atlas.territory();
    let district =
        some(&q.district).filter(|d| t.get(d).is_some_and(|u| u.level == Level::District));
    let category = some(&q.category).filter(|c| state.taxonomy().get(c).is_some());
    let open = match some(&q.status) {
        Some("open") => Some(true),
        Some("closed") => Some(false),
        _ => None,
    };
    let now = state.now_micros();
    let rows = state
        .store
        .public_appeals(&PublicFilter {
            district: district.map(str::to_owned),
            category: category.map(str::to_owned),
            open,
            since: Some(now - WINDOW_DAYS * DAY),
            limit: 200,
            ..PublicFilter::default()
        })
        .await?;
    let per_grid = published_per_grid(&state).await.unwrap_or_default();
    let departments = state.departments().await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|a| {
            let mut v = view(a, &state, &departments, &per_grid, lang);
            // The rating is the resident's verdict, not personal data.
            v["rating"] = json!(a.rating.as_ref().map(|r| json!({
                "resolved": r.resolved, "satisfaction": r.satisfaction,
            })));
            v
        })
        .collect();
    // The map: the districts, and a dot per appeal at its public point.
    let units: Vec<_> = t
        .units()
        .iter()
        .filter(|u| u.level == Level::District && !u.retired)
        .map(|u| (u, 0.0))
        .collect();
    let mut map = super::svg::unit_map(&units, lang, |u| {
        Some(format!("/portal?district={}", u.code))
    });
    if let Ok(frame) = serde_json::from_value::<super::svg::Frame>(map["frame"].clone()) {
        let dots: Vec<Value> = items
            .iter()
            .filter_map(|v| {
                let (x, y) = frame.project(v["long"].as_f64()?, v["lat"].as_f64()?);
                Some(json!({"x": format!("{x:.0}"), "y": format!("{y:.0}"), "open": v["status"] == "open"}))
            })
            .collect();
        map["dots"] = json!(dots);
    }
    let taxonomy = state.taxonomy();
    let categories: Vec<Value> = taxonomy
        .categories()
        .iter()
        .map(|c| json!({"code": c.code, "name": if lang == Lang::En { &c.name_en } else { &c.name }}))
        .collect();
    ui.render(
        "portal.html",
        json!({
            "items": items,
            "map": map,
            "districts": districts(&state, lang),
            "categories": categories,
            "q": {"district": district, "category": category, "status": some(&q.status)},
            "window_days": WINDOW_DAYS,
        }),
    )
}

/// The month asked for (`YYYY-MM`), else the last whole month.
fn month_of(q: &PortalQuery, now: i64) -> Result<Date, ApiError> {
    match some(&q.month) {
        Some(m) => format!("{m}-01")
            .parse::<Date>()
            .map_err(|_| ApiError::invalid("month", format!("not a month (YYYY-MM): {m}"))),
        None => {
            let today = jiff::Timestamp::from_microsecond(now)
                .map(local_date)
                .map_err(ApiError::internal)?;
            today
                .first_of_month()
                .checked_sub(jiff::Span::new().months(1))
                .map_err(ApiError::internal)
        }
    }
}

/// One row of the public statistics.
fn stat_row(rank: Option<usize>, code: &str, name: &str, m: &Measures) -> Value {
    json!({
        "rank": rank, "code": code, "name": name, "count": m.count,
        "rated": m.satisfaction_rate.denominator,
        "response": percent(m.response_rate.value),
        "resolution": percent(m.resolution_rate.value),
        "satisfaction": percent(m.satisfaction_rate.value),
        "on_time": percent(m.on_time_rate.value),
        "local_resolution": percent(m.local_resolution_rate.value),
        "satisfaction_value": m.satisfaction_rate.value,
    })
}

/// Per district and per department for one month, ranked by satisfaction
/// (with the minimum sample rule).
async fn month_stats(
    state: &AppState,
    lang: Lang,
    month: Date,
) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let next = month
        .checked_add(jiff::Span::new().months(1))
        .map_err(|_| ApiError::invalid("month", "out of range"))?;
    let now = state.now_micros();
    let f = MeasureFilter {
        scope: MeasureScope::City,
        category: None,
        from: start_of_day(month).as_microsecond(),
        to: start_of_day(next).as_microsecond(),
    };
    let atlas = state.atlas();
    let t = atlas.territory();
    let by_district = state
        .store
        .measures_grouped(&f, &MeasureGroup::Unit(Level::District), now)
        .await?;
    let districts: Vec<Value> = rank_by(by_district, MIN_SAMPLE, |(_, m)| &m.satisfaction_rate)
        .into_iter()
        .map(|r| {
            let (code, m) = &r.item;
            stat_row(r.rank, code, &unit_name(t, code, lang), m)
        })
        .collect();
    let departments = state.departments().await?;
    let by_dept = state
        .store
        .measures_grouped(&f, &MeasureGroup::Department, now)
        .await?;
    let depts: Vec<Value> = rank_by(by_dept, MIN_SAMPLE, |(_, m)| &m.satisfaction_rate)
        .into_iter()
        .map(|r| {
            let (code, m) = &r.item;
            stat_row(r.rank, code, &department_name(&departments, code, lang), m)
        })
        .collect();
    Ok((districts, depts))
}

async fn stats(State(state): State<AppState>, ui: Ui, Query(q): Query<PortalQuery>) -> UiResult {
    let now = state.now_micros();
    let month = month_of(&q, now)?;
    let (districts, departments) = month_stats(&state, ui.lang(), month).await?;
    let label = format!("{:04}-{:02}", month.year(), month.month());
    let months: Vec<String> = (1..=12)
        .filter_map(|i| {
            let today = jiff::Timestamp::from_microsecond(now)
                .ok()
                .map(local_date)?;
            let m = today
                .first_of_month()
                .checked_sub(jiff::Span::new().months(i))
                .ok()?;
            Some(format!("{:04}-{:02}", m.year(), m.month()))
        })
        .collect();
    ui.render(
        "portal_stats.html",
        json!({"month": label, "months": months, "districts": districts, "departments": departments, "min_sample": MIN_SAMPLE}),
    )
}

async fn stats_csv(
    State(state): State<AppState>,
    ui: Ui,
    Query(q): Query<PortalQuery>,
) -> Result<Response, UiError> {
    let month = month_of(&q, state.now_micros())?;
    let (districts, departments) = month_stats(&state, ui.lang(), month).await?;
    let header: Vec<String> = [
        "portal-kind",
        "dash-rank",
        "dash-code",
        "dash-name",
        "dash-count",
        "dash-rated",
        "tile-response",
        "tile-resolution",
        "tile-satisfaction",
        "tile-on_time",
        "tile-local_resolution",
    ]
    .iter()
    .map(|k| ui.t(k))
    .collect();
    let row = |kind: &str, v: &Value| -> Vec<String> {
        let s = |k: &str| match &v[k] {
            Value::String(x) => x.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        vec![
            kind.to_owned(),
            s("rank"),
            s("code"),
            s("name"),
            s("count"),
            s("rated"),
            s("response"),
            s("resolution"),
            s("satisfaction"),
            s("on_time"),
            s("local_resolution"),
        ]
    };
    let (dk, pk) = (ui.t("portal-district"), ui.t("portal-department"));
    let rows: Vec<Vec<String>> = districts
        .iter()
        .map(|v| row(&dk, v))
        .chain(departments.iter().map(|v| row(&pk, v)))
        .collect();
    let mut response = super::dashboard::csv(&header, &rows).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"statistics-{:04}-{:02}.csv\"",
        month.year(),
        month.month()
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The districts' outlines with the month's figures, for map layers.
async fn stats_geojson(
    State(state): State<AppState>,
    ui: Ui,
    Query(q): Query<PortalQuery>,
) -> Result<Response, UiError> {
    let month = month_of(&q, state.now_micros())?;
    let (districts, _) = month_stats(&state, ui.lang(), month).await?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let features: Vec<Value> = t
        .units()
        .iter()
        .filter(|u| u.level == Level::District && !u.retired)
        .filter_map(|u| {
            let geometry = geojson::Geometry::from(u.boundary.as_ref()?);
            let figures = districts
                .iter()
                .find(|d| d["code"] == u.code.as_str())
                .cloned()
                .unwrap_or(json!({}));
            Some(json!({
                "type": "Feature",
                "geometry": serde_json::to_value(&geometry).ok()?,
                "properties": {
                    "code": u.code, "name": u.name, "name_en": u.name_en,
                    "month": format!("{:04}-{:02}", month.year(), month.month()),
                    "count": figures["count"], "rated": figures["rated"], "rank": figures["rank"],
                    "satisfaction": figures["satisfaction_value"],
                },
            }))
        })
        .collect();
    let body = json!({"type": "FeatureCollection", "features": features}).to_string();
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    Ok(response)
}
