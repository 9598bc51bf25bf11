//! `/api/v1/audit/*`: the JSON edge of `ops::audit`.

use axum::extract::State;
use axum::{Json, Router, routing::get};
use grassroots_core::authz::Action;
use grassroots_store::AuditFilter;
use serde_json::{Value, json};

use super::extract::Params;
use super::openapi::schema::{AuditPage, AuditVerify};
use super::require_city_wide;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::audit;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit/events", get(events))
        .route("/api/v1/audit/verify", get(verify))
}

fn micros(params: &Params, key: &str) -> ApiResult<Option<i64>> {
    params
        .text(key)
        .map(|raw| {
            raw.parse::<jiff::Timestamp>()
                .map(|t| t.as_microsecond())
                .map_err(|_| ApiError::invalid(key, "an RFC 3339 time, e.g. 2026-11-21T08:00:00Z"))
        })
        .transpose()
}

/// The audit trail, newest first (city-wide auditors and admins)
///
/// Reading it is itself written to the trail.
#[utoipa::path(
    get,
    path = "/api/v1/audit/events",
    tag = "audit",
    params(
        ("actor" = Option<String>, Query, description = "Only this username"),
        ("action" = Option<String>, Query, description = "Only this verb, e.g. `user.create`"),
        ("object_type" = Option<String>, Query),
        ("object_id" = Option<String>, Query),
        ("since" = Option<String>, Query, format = DateTime, description = "RFC 3339"),
        ("until" = Option<String>, Query, format = DateTime, description = "RFC 3339"),
        ("before" = Option<i64>, Query, minimum = 1, description = "Events before this seq (the previous page's `next_before`)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Default 100"),
    ),
    responses((status = 200, body = AuditPage)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden"])))
)]
async fn events(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Value>> {
    // Who may read is settled before the filters are.
    require_city_wide(&state, &caller, Action::ReadAudit)?;
    let filter = AuditFilter {
        actor: params.text("actor").map(str::to_owned),
        action: params.text("action").map(str::to_owned),
        object_type: params.text("object_type").map(str::to_owned),
        object_id: params.text("object_id").map(str::to_owned),
        since_micros: micros(&params, "since")?,
        until_micros: micros(&params, "until")?,
        before_seq: params
            .text("before")
            .map(|_| params.i64_or("before", 0, 1..=i64::MAX))
            .transpose()?,
        limit: params.i64_or("limit", 100, 1..=1000)?,
    };
    let page = audit::events(&state, &caller, &filter).await?;
    Ok(Json(json!({
        "count": page.events.len(),
        "events": page.events,
        "next_before": page.next_before,
    })))
}

/// Walk the hash chain and name the first broken event, if any
#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    tag = "audit",
    responses((status = 200, body = AuditVerify)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden"])))
)]
async fn verify(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    Ok(Json(audit::verify(&state, &caller).await?))
}
