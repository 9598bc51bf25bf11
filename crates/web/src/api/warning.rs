//! Early-warning alerts over HTTP: the unit's list, one alert with its evidence and the cases
//! behind it, the responses (acknowledge, act, dismiss), and the admins' rules and on-demand
//! run.

use axum::extract::{Path, State};
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::ErrorCode;
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::warning::{AlertCommand, AlertError, AlertStatus, WarnRules};
use grassroots_store::{AlertFilter, StoreError, StoredAlert};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::{Body, Params, parse_id};
use super::openapi::schema::{
    Alert, AlertAction, AlertDetail, AlertList, AlertStatusName, RunReport as RunReportView,
    WarnRulesView,
};
use crate::api::require_city_wide;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::warning::{self, RULES_KEY};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list))
        .route("/api/v1/alerts/{id}", get(detail))
        .route("/api/v1/alerts/{id}/actions", post(respond))
        .route("/api/v1/admin/warn-rules", get(get_rules).put(put_rules))
        .route("/api/v1/admin/warn/run", post(run_now))
}

fn allowed(
    state: &AppState,
    caller: &Caller,
    action: Action,
    alert: &StoredAlert,
) -> ApiResult<()> {
    let chain = state.atlas().territory().chain(&alert.unit_code);
    authz::decide(
        caller.actor.as_ref(),
        action,
        &Target {
            unit_chain: &chain,
            ..Target::default()
        },
    )?;
    Ok(())
}

fn view(state: &AppState, a: &StoredAlert) -> Value {
    let atlas = state.atlas();
    let unit = atlas.territory().get(&a.unit_code);
    json!({
        "id": a.id,
        "method": a.method,
        "category_group": a.category_group,
        "analysis_day": a.analysis_day,
        "unit": {
            "code": a.unit_code,
            "name": unit.map(|u| u.name.as_str()),
            "name_en": unit.map(|u| u.name_en.as_str()),
        },
        "status": a.status,
        "evidence": a.evidence,
        "appeal_count": a.appeal_ids.len(),
        "note": a.note,
        "raised_at": a.raised_at,
        "updated_at": a.updated_at,
    })
}

/// The alerts of the caller's area, newest day first
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "warning",
    params(("status" = Option<AlertStatusName>, Query, description = "Only this status")),
    responses((status = 200, body = AlertList)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden"])))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params,
) -> ApiResult<Json<Value>> {
    caller.require()?;
    if !may_read_alerts(&caller) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let status = match q.get("status") {
        None => None,
        Some(s) => Some(AlertStatus::parse(s).ok_or_else(|| {
            ApiError::invalid("status", "open, acknowledged, acted or dismissed")
        })?),
    };
    let all = state
        .store
        .alerts(&AlertFilter {
            status,
            limit: 1000,
        })
        .await?;
    // Every alert is checked like a single read: the list shows exactly what may be opened.
    let items: Vec<Value> = all
        .iter()
        .filter(|a| allowed(&state, &caller, Action::ReadAlert, a).is_ok())
        .map(|a| view(&state, a))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// Whether the caller's role reads alerts at all (anywhere in its own area).
fn may_read_alerts(caller: &Caller) -> bool {
    let Some(actor) = caller.actor.as_ref() else {
        return false;
    };
    let own: Vec<String> = actor.scope.unit().map(str::to_owned).into_iter().collect();
    authz::decide(
        Some(actor),
        Action::ReadAlert,
        &Target {
            unit_chain: &own,
            ..Target::default()
        },
    )
    .is_ok()
}

async fn load(state: &AppState, raw: &str) -> ApiResult<StoredAlert> {
    let id = parse_id(raw)?;
    match state.store.alert(id).await {
        Err(StoreError::NotFound) => Err(ApiError::new(ErrorCode::NotFound)),
        other => Ok(other?),
    }
}

/// One alert: its evidence, where its grids are, the cases behind it
///
/// The cases are listed without contact data.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}",
    tag = "warning",
    params(("id" = i64, Path, description = "The alert's id")),
    responses((status = 200, body = AlertDetail)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found"])))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let alert = load(&state, &id).await?;
    allowed(&state, &caller, Action::ReadAlert, &alert)?;
    let mut out = view(&state, &alert);
    let atlas = state.atlas();
    let grids: Vec<Value> = alert.evidence["grids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str())
        .filter_map(|g| atlas.territory().get(g))
        .map(|u| {
            json!({
                "code": u.code,
                "name": u.name,
                "name_en": u.name_en,
                "label": u.label.map(|p| [p.x(), p.y()]),
            })
        })
        .collect();
    let mut appeals = Vec::new();
    for id in alert.appeal_ids.iter().take(200) {
        if let Ok(a) = state.store.appeal(*id).await {
            appeals.push(json!({
                "id": a.id,
                "tracking_code": a.tracking_code,
                "category": a.category,
                "status": a.state.status.as_str(),
                "received_at": a.clocks.received_at,
                "grid": a.units.grid,
            }));
        }
    }
    out["grids"] = Value::Array(grids);
    out["appeals"] = Value::Array(appeals);
    Ok(Json(out))
}

/// Acknowledge, act on or dismiss an alert
///
/// `{"action": "acknowledge"}`, `{"action": "act", "note": …}` or
/// `{"action": "dismiss", "reason": …}`; audited.
#[utoipa::path(
    post,
    path = "/api/v1/alerts/{id}/actions",
    tag = "warning",
    params(("id" = i64, Path, description = "The alert's id")),
    request_body = AlertAction,
    responses((status = 200, body = Alert)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found", "conflict"])))
)]
async fn respond(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(command): Body<AlertCommand>,
) -> ApiResult<Json<Value>> {
    let alert = load(&state, &id).await?;
    allowed(&state, &caller, Action::HandleAlert, &alert)?;
    let next = alert.status.apply(&command).map_err(|e| match e {
        AlertError::NoteRequired => {
            let field = if matches!(command, AlertCommand::Dismiss { .. }) {
                "reason"
            } else {
                "note"
            };
            ApiError::invalid(field, e.to_string())
        }
        AlertError::Closed(_) | AlertError::AlreadyAcknowledged => {
            ApiError::with_detail(ErrorCode::Conflict, e.to_string())
        }
    })?;
    let mut tx = state.store.write().await?;
    tx.set_alert_status(
        &caller.ctx(&state),
        alert.id,
        (alert.status, next),
        command.name(),
        command.note().map(str::trim),
    )
    .await?;
    tx.commit().await?;
    let fresh = state.store.alert(alert.id).await?;
    Ok(Json(view(&state, &fresh)))
}

/// The early-warning rules in force and the false alerts a year they allow (city-wide admins)
#[utoipa::path(
    get,
    path = "/api/v1/admin/warn-rules",
    tag = "warning",
    responses((status = 200, body = WarnRulesView)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden"])))
)]
async fn get_rules(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageWarnRules)?;
    let rules = warning::rules(&state).await?;
    Ok(Json(json!({
        "rules": rules,
        "false_alerts_per_year_per_group": rules.false_alerts_per_year(),
    })))
}

/// Replace the early-warning rules, checked whole (city-wide admins; audited)
#[utoipa::path(
    put,
    path = "/api/v1/admin/warn-rules",
    tag = "warning",
    request_body(content = Object, description = "`core::warning::WarnRules`; fields left out take their defaults"),
    responses((status = 200, body = WarnRulesView)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "conflict"])))
)]
async fn put_rules(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<Value>,
) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageWarnRules)?;
    let rules = WarnRules::parse(&body.to_string()).map_err(|e| match e {
        grassroots_core::warning::RulesError::Field { field, expected } => {
            ApiError::invalid(field, expected)
        }
    })?;
    let canonical = serde_json::to_string(&rules).map_err(ApiError::internal)?;
    let mut tx = state.store.write().await?;
    tx.put_setting_as(
        &caller.ctx(&state),
        "warn.rules.update",
        RULES_KEY,
        &canonical,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "rules": rules,
        "false_alerts_per_year_per_group": rules.false_alerts_per_year(),
    })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    /// `YYYY-MM-DD`; default yesterday.
    #[schema(format = Date)]
    day: Option<String>,
}

/// Run the early-warning analysis of a day now (city-wide admins)
#[utoipa::path(
    post,
    path = "/api/v1/admin/warn/run",
    tag = "warning",
    request_body = RunRequest,
    responses((status = 200, body = RunReportView)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "conflict"])))
)]
async fn run_now(
    State(state): State<AppState>,
    caller: Caller,
    Body(req): Body<RunRequest>,
) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageWarnRules)?;
    let day = match req.day.as_deref() {
        Some(d) => warning::parse_day(d)?,
        None => warning::local_day(state.now_micros())
            .yesterday()
            .map_err(|_| ApiError::invalid("day", "YYYY-MM-DD"))?,
    };
    let report = warning::run(&state, day, &caller.ctx(&state)).await?;
    Ok(Json(json!(report)))
}
