//! The auditor's page: the audit trail, newest first, filtered and paged,
//! with the hash chain's verification on top. It goes through the same
//! operations (`ops::audit`) as the JSON endpoints (`/api/v1/audit/events`,
//! `/api/v1/audit/verify`), so its read is on the record as theirs is.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use grassroots_core::appeals::calendar::{end_of_day, start_of_day};
use grassroots_core::audit::ChainedEvent;
use grassroots_core::authz::Action;
use grassroots_store::AuditFilter;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::csrf::encode_component;
use super::page::{Ui, UiResult};
use crate::api::require_city_wide;
use crate::i18n::catalogue;
use crate::ops::audit;
use crate::state::AppState;

/// This module's templates (name, source), registered with the others.
pub(super) const TEMPLATES: &[(&str, &str)] =
    &[("audit.html", include_str!("../../templates/audit.html"))];

/// Rows per page, as the API's default.
const PAGE: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(trail))
}

/// The filter form. Every value is text so that a bad one is explained on
/// the page rather than refused by the extractor.
#[derive(Debug, Default, Deserialize)]
struct TrailQuery {
    actor: Option<String>,
    action: Option<String>,
    object_type: Option<String>,
    object_id: Option<String>,
    /// A China-time date, `YYYY-MM-DD` (inclusive).
    from: Option<String>,
    /// A China-time date, `YYYY-MM-DD` (inclusive).
    to: Option<String>,
    /// Page backwards: events with a smaller sequence number.
    before: Option<String>,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The first instant of `raw`'s day (China time), or its exclusive end.
fn day(raw: Option<&str>, end: bool) -> Result<Option<i64>, ()> {
    let Some(raw) = raw else { return Ok(None) };
    let date: jiff::civil::Date = raw.parse().map_err(|_| ())?;
    let at = if end {
        end_of_day(date)
    } else {
        start_of_day(date)
    };
    Ok(Some(at.as_microsecond()))
}

/// `2026-11-21 16:00:05` in China time (the offset the views use).
fn china_time(micros: i64) -> String {
    match Timestamp::from_microsecond(micros) {
        Ok(t) => t
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8)))
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => micros.to_string(),
    }
}

fn row(ui: &Ui, e: &ChainedEvent) -> Value {
    let r = &e.record;
    let role_key = format!("role-{}", r.role);
    let role = if catalogue().has(ui.lang(), &role_key) {
        ui.t(&role_key)
    } else {
        r.role.clone()
    };
    json!({
        "seq": e.seq,
        "at": china_time(r.at_micros),
        "actor": r.actor,
        "role": role,
        "unit": r.unit,
        "action": r.action,
        "object_type": r.object_type,
        "object_id": r.object_id,
        "fields": r.fields.join(", "),
        "reason": r.reason,
        "request_id": r.request_id,
    })
}

/// The query string of these filters (and `before`, when paging).
fn query_string(filters: &Map<String, Value>, before: Option<i64>) -> String {
    let mut parts: Vec<String> = filters
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| format!("{k}={}", encode_component(s))))
        .collect();
    if let Some(b) = before {
        parts.push(format!("before={b}"));
    }
    parts.join("&")
}

async fn trail(State(state): State<AppState>, ui: Ui, Query(q): Query<TrailQuery>) -> UiResult {
    ui.require()?;
    // The trail belongs to the whole territory: decided against its roots,
    // as `GET /api/v1/audit/events` decides.
    require_city_wide(&state, &ui.caller, Action::ReadAudit)?;

    let mut errors = Map::new();
    let from = text(&q.from);
    let to = text(&q.to);
    let since = day(from.as_deref(), false).unwrap_or_else(|()| {
        errors.insert("from".into(), json!(ui.t("audit-date-invalid")));
        None
    });
    let until = day(to.as_deref(), true).unwrap_or_else(|()| {
        errors.insert("to".into(), json!(ui.t("audit-date-invalid")));
        None
    });
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.trim().parse::<i64>().ok())
        .filter(|b| *b > 0);
    let filter = AuditFilter {
        actor: text(&q.actor),
        action: text(&q.action),
        object_type: text(&q.object_type),
        object_id: text(&q.object_id),
        since_micros: since,
        until_micros: until,
        before_seq: before,
        limit: PAGE,
    };
    let mut filters = Map::new();
    for (k, v) in [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("object_type", &filter.object_type),
        ("object_id", &filter.object_id),
        ("from", &from),
        ("to", &to),
    ] {
        if let Some(v) = v {
            filters.insert(k.into(), json!(v));
        }
    }

    // Verification first: the same walk as `GET /api/v1/audit/verify`, for
    // the roles it allows (every role that may read the trail).
    let verify = if require_city_wide(&state, &ui.caller, Action::VerifyAudit).is_ok() {
        audit::verify(&state, &ui.caller).await?
    } else {
        Value::Null
    };

    if !errors.is_empty() {
        return ui.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "audit.html",
            json!({
                "verify": verify,
                "filters": filters,
                "errors": errors,
                "rows": [],
                "paged": before.is_some(),
                "older": null,
                "newest": format!("/audit?{}", query_string(&filters, None)),
            }),
        );
    }

    let page = audit::events(&state, &ui.caller, &filter).await?;
    let older = page
        .next_before
        .map(|seq| format!("/audit?{}", query_string(&filters, Some(seq))));
    let rows: Vec<Value> = page.events.iter().map(|e| row(&ui, e)).collect();
    ui.render(
        "audit.html",
        json!({
            "verify": verify,
            "filters": filters,
            "errors": {},
            "rows": rows,
            "paged": before.is_some(),
            "older": older,
            "newest": format!("/audit?{}", query_string(&filters, None)),
        }),
    )
}
