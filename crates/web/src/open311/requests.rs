//! Published appeals as GeoReport v2 service requests: masked text,
//! coarsened locations, no personal data.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use grassroots_core::appeals::Status;
use grassroots_core::portal::anonymise::mask_personal;
use grassroots_core::territory::{Level, Territory};
use grassroots_store::{PublicFilter, StoredAppeal};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use serde_json::{Value, json};

use super::format::{Format, error, respond};
use super::jurisdiction;
use crate::api::extract::Params;
use crate::auth::Caller;
use crate::i18n::Lang;
use crate::ops::appeals::handler_names;
use crate::state::AppState;

const DAY: i64 = 86_400_000_000;
/// The window when no dates are given.
const DEFAULT_DAYS: i64 = 90;
/// Most requests in one answer.
const MAX_ROWS: i64 = 1000;
/// A grid with fewer published appeals than this shows its community's point instead.
pub const MIN_PER_GRID: i64 = 5;

/// W3C datetime in China's time: `2026-11-23T09:00:00+08:00`.
fn w3c(micros: i64) -> Value {
    let tz = TimeZone::fixed(Offset::constant(8));
    match Timestamp::from_microsecond(micros) {
        Ok(t) => json!(t.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
        Err(_) => Value::Null,
    }
}

/// A w3c datetime (or a bare date, taken as the start of that day in China).
fn parse_when(s: &str) -> Option<i64> {
    // A `+08:00` typed into a URL unencoded arrives as a space.
    let s = s.replace(' ', "+");
    let s = s.as_str();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t.as_microsecond());
    }
    let d: jiff::civil::Date = s.parse().ok()?;
    Some(grassroots_core::appeals::calendar::start_of_day(d).as_microsecond())
}

/// The public point: the grid's label, its community's where the grid has
/// few published appeals, else the nearest labelled unit above.
fn public_point(
    a: &StoredAppeal,
    t: &Territory,
    per_grid: &HashMap<String, i64>,
) -> Option<(f64, f64)> {
    let grid = a.units.grid.as_deref();
    let few = grid.is_some_and(|g| per_grid.get(g).copied().unwrap_or(0) < MIN_PER_GRID);
    let start = match (grid, few) {
        (Some(g), false) => Some(g.to_owned()),
        _ => a
            .units
            .community
            .clone()
            .or(a.units.street.clone())
            .or(a.units.district.clone()),
    }?;
    t.chain(&start)
        .iter()
        .find_map(|c| t.get(c).and_then(|u| u.label))
        .map(|p| (p.x(), p.y()))
}

/// The area in words, never an exact address: district, street and community names.
fn public_address(a: &StoredAppeal, t: &Territory, lang: Lang) -> String {
    [&a.units.district, &a.units.street, &a.units.community]
        .iter()
        .filter_map(|c| c.as_deref().and_then(|c| t.get(c)))
        .filter(|u| u.level != Level::Grid)
        .map(|u| {
            if lang == Lang::En {
                u.name_en.clone()
            } else {
                u.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn view(
    a: &StoredAppeal,
    state: &AppState,
    departments: &[grassroots_core::accounts::Department],
    per_grid: &HashMap<String, i64>,
    lang: Lang,
) -> Value {
    let atlas = state.atlas();
    let t = atlas.territory();
    let taxonomy = state.taxonomy();
    let name = taxonomy
        .get(&a.category)
        .map(|c| {
            if lang == Lang::En {
                c.name_en.clone()
            } else {
                c.name.clone()
            }
        })
        .unwrap_or_else(|| a.category.clone());
    // The resident's name and the exact address they gave are masked
    // wherever the free text repeats them.
    let known: Vec<&str> = a
        .contact_name
        .as_deref()
        .into_iter()
        .chain(a.address.as_deref())
        .collect();
    let point = public_point(a, t, per_grid);
    let agency = a
        .state
        .handler
        .as_ref()
        .or(a.state.first_handler.as_ref())
        .map(|h| {
            let (zh, en) = handler_names(t, departments, h);
            if lang == Lang::En { en } else { zh }
        });
    json!({
        "service_request_id": a.id.to_string(),
        "status": if a.state.status == Status::Closed { "closed" } else { "open" },
        "status_notes": a.reply_text.as_deref().map(|r| mask_personal(r, &known)),
        "service_name": name,
        "service_code": a.category,
        "description": mask_personal(&a.description, &known),
        "agency_responsible": agency,
        "service_notice": Value::Null,
        "requested_datetime": w3c(a.clocks.received_at),
        "updated_datetime": w3c(a.clocks.status_at),
        "expected_datetime": w3c(a.clocks.reply_due),
        "address": public_address(a, t, lang),
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": point.map(|p| p.1),
        "long": point.map(|p| p.0),
        "media_url": Value::Null,
    })
}

/// Published appeals per grid in the default window; `None` when the store failed (logged).
pub(crate) async fn published_per_grid(state: &AppState) -> Option<HashMap<String, i64>> {
    state
        .store
        .published_per_grid(state.now_micros() - DEFAULT_DAYS * DAY)
        .await
        .map_err(|e| tracing::error!(cause = %e, "open311: counting published appeals"))
        .ok()
}

/// `GET /open311/v2/requests.{json,xml}`.
pub async fn list(state: &AppState, lang: Lang, q: &Params, f: Format) -> Response {
    let bad = |what: &str| error(StatusCode::BAD_REQUEST, f, what);
    let mut filter = PublicFilter {
        limit: MAX_ROWS,
        ..PublicFilter::default()
    };
    if let Some(ids) = q.text("service_request_id") {
        let parsed: Option<Vec<i64>> = ids
            .split(',')
            .map(|s| s.trim().parse::<i64>().ok())
            .collect();
        match parsed {
            Some(ids) if ids.len() <= MAX_ROWS as usize => filter.ids = Some(ids),
            _ => return bad("service_request_id must be a comma-separated list of ids"),
        }
    } else {
        if let Some(code) = q.text("service_code") {
            if state.taxonomy().get(code).is_none() {
                return error(StatusCode::NOT_FOUND, f, "service_code not found");
            }
            filter.category = Some(code.to_owned());
        }
        let start = match q.text("start_date").map(parse_when) {
            Some(None) => {
                return bad("start_date must be a w3c datetime, e.g. 2026-11-01T00:00:00+08:00");
            }
            Some(s) => s,
            None => None,
        };
        let end = match q.text("end_date").map(parse_when) {
            Some(None) => {
                return bad("end_date must be a w3c datetime, e.g. 2026-11-30T23:59:59+08:00");
            }
            Some(e) => e,
            None => None,
        };
        // A range may not span more than 90 days; 90 days by default,
        // ending at `end_date`, or at now (or 90 days after `start_date`).
        let now = state.now_micros() + 1;
        let (since, until) = match (start, end) {
            (Some(s), Some(e)) if e - s > DEFAULT_DAYS * DAY => {
                return bad("start_date to end_date may not span more than 90 days");
            }
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, now.min(s + DEFAULT_DAYS * DAY)),
            (None, Some(e)) => (e - DEFAULT_DAYS * DAY, e),
            (None, None) => (now - DEFAULT_DAYS * DAY, now),
        };
        filter.since = Some(since);
        filter.until = Some(until);
        if let Some(status) = q.text("status") {
            let mut open = false;
            let mut closed = false;
            for s in status.split(',').map(str::trim) {
                match s {
                    "open" => open = true,
                    "closed" => closed = true,
                    _ => return bad("status is open, closed or both"),
                }
            }
            filter.open = if open == closed { None } else { Some(open) };
        }
    }
    let page_size = match q.text("page_size").map(str::parse::<i64>) {
        None => MAX_ROWS,
        Some(Ok(n)) if (1..=MAX_ROWS).contains(&n) => n,
        Some(_) => return bad("page_size is 1 to 1000"),
    };
    let page = match q.text("page").map(str::parse::<i64>) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return bad("page starts at 1"),
    };
    filter.limit = page_size;
    filter.offset = (page - 1).saturating_mul(page_size);
    let rows = match state.store.public_appeals(&filter).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(cause = %e, "open311: listing requests");
            return error(StatusCode::INTERNAL_SERVER_ERROR, f, "internal error");
        }
    };
    let Some(per_grid) = published_per_grid(state).await else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, f, "internal error");
    };
    let departments = state.departments().await.unwrap_or_default();
    let list: Vec<Value> = rows
        .iter()
        .map(|a| view(a, state, &departments, &per_grid, lang))
        .collect();
    respond(StatusCode::OK, f, "service_requests", &Value::Array(list))
}

/// `GET /open311/v2/requests/{id}.{json,xml}`: a list of one, or 404.
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
    q: Params,
) -> Response {
    let Some((id, f)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "unknown format (use .json or .xml)",
        );
    };
    if let Some(e) = jurisdiction(&state, &q, f) {
        return e;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, f, "service_request_id not found");
    };
    let filter = PublicFilter {
        ids: Some(vec![id]),
        limit: 1,
        ..PublicFilter::default()
    };
    let rows = match state.store.public_appeals(&filter).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(cause = %e, "open311: one request");
            return error(StatusCode::INTERNAL_SERVER_ERROR, f, "internal error");
        }
    };
    let Some(a) = rows.first() else {
        return error(StatusCode::NOT_FOUND, f, "service_request_id not found");
    };
    let Some(per_grid) = published_per_grid(&state).await else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, f, "internal error");
    };
    let departments = state.departments().await.unwrap_or_default();
    let v = json!([view(a, &state, &departments, &per_grid, caller.lang)]);
    respond(StatusCode::OK, f, "service_requests", &v)
}
