//! Appeals over HTTP: intake, staff views and steps, the resident's
//! tracking page, the taxonomy, the measures, notifications and tasks.

mod intake;
mod measures;
pub mod views;

use axum::extract::{Path, State};
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Scope;
use grassroots_core::appeals::intake::normalise_tracking_code;
use grassroots_core::appeals::{Command, Handler, Satisfaction, Status};
use grassroots_core::authz::{self, Action};
use grassroots_store::{AppealFilter, StoredAppeal};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Body, Params, parse_id};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::appeals::{Acting, Placement, act};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/appeals", get(list).post(intake::submit))
        .route("/api/v1/appeals/duplicates", get(intake::duplicate_check))
        .route("/api/v1/appeals/{id}", get(detail))
        .route("/api/v1/appeals/{id}/actions", post(step))
        .route("/api/v1/appeals/{id}/reveal-contact", post(reveal_contact))
        .route("/api/v1/track/{code}", get(track))
        .route("/api/v1/track/{code}/actions", post(track_step))
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/measures", get(measures::measures))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v1/tasks", get(tasks))
}

/// The appeal if the caller may read it; otherwise "not found" (an
/// appeal's existence is not disclosed outside its jurisdiction).
async fn readable(state: &AppState, caller: &Caller, id: i64) -> ApiResult<(StoredAppeal, bool)> {
    let actor = caller.require()?;
    let a = state.store.appeal(id).await?;
    let departments = state.departments().await?;
    let atlas = state.atlas();
    let place = Placement::of(&a, atlas.territory(), &departments);
    authz::decide(
        Some(actor),
        Action::ReadAppeal,
        &place.target(a.requester_id),
    )
    .map_err(|_| ApiError::new(ErrorCode::NotFound))?;
    let own = a.requester_id == Some(actor.user_id);
    Ok((a, own && !authz::works_appeals(actor.role)))
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let (a, resident) = readable(&state, &caller, id).await?;
    let timeline = state.store.timeline(id).await?;
    let departments = state.departments().await?;
    Ok(Json(if resident {
        views::public(&state, &a, &departments, &timeline)
    } else {
        views::staff(&state, &a, &departments, Some(&timeline))
    }))
}

async fn reveal_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let (a, _) = readable(&state, &caller, id).await?;
    let actor = caller.require()?;
    let departments = state.departments().await?;
    let atlas = state.atlas();
    let place = Placement::of(&a, atlas.territory(), &departments);
    authz::decide(
        Some(actor),
        Action::RevealAppealContact,
        &place.target(a.requester_id),
    )?;
    let phone = state
        .store
        .reveal_appeal_contact(&caller.ctx(&state), id)
        .await?;
    Ok(Json(json!({ "id": id, "phone": phone })))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    if !authz::works_appeals(actor.role) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let atlas = state.atlas();
    let t = atlas.territory();
    let mut filter = AppealFilter {
        limit: params.i64_or("limit", 50, 1..=500)?,
        offset: params.i64_or("offset", 0, 0..=i64::MAX)?,
        supervised_only: params.text("supervised") == Some("true"),
        ..AppealFilter::default()
    };
    match &actor.scope {
        Scope::Unit(code) => {
            let level = t
                .get(code)
                .map(|u| u.level)
                .ok_or_else(|| ApiError::new(ErrorCode::Forbidden))?;
            filter.located_in = Some((level, code.clone()));
            filter.handled_by.push(Handler::Unit(code.clone()));
        }
        Scope::Department(code) => filter.handled_by.push(Handler::Department(code.clone())),
        Scope::None => return Err(ApiError::new(ErrorCode::Forbidden)),
    }
    if params.text("mine") == Some("true") {
        // Only what the caller's unit or department handles now.
        filter.located_in = None;
    }
    if let Some(s) = params.text("status") {
        filter.status = Some(parse_status(s)?);
    }
    let rows = state.store.appeals(&filter).await?;
    let departments = state.departments().await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|a| views::staff(&state, a, &departments, None))
        .collect();
    Ok(Json(
        json!({ "items": items, "limit": filter.limit, "offset": filter.offset }),
    ))
}

fn parse_status(s: &str) -> ApiResult<Status> {
    Status::parse(s).ok_or_else(|| ApiError::invalid("status", format!("unknown status {s}")))
}

/// One workflow step as sent: `{"action": "sign"}`, `{"action": "reply",
/// "text": …}`, … with an optional `version` the client last saw.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum StepIn {
    Dispatch {
        to: Handler,
    },
    Sign,
    Return {
        reason: String,
    },
    Reroute {
        to: Handler,
        reason: String,
    },
    Reply {
        text: String,
    },
    OutOfRemit {
        redirect: String,
    },
    Invalid {
        reason: String,
    },
    Merge {
        target: i64,
    },
    Escalate {
        to: Handler,
    },
    Withdraw {
        reason: String,
    },
    Rate {
        resolved: bool,
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
struct StepBody {
    #[serde(flatten)]
    step: StepIn,
    version: Option<i64>,
}

impl From<StepIn> for Command {
    fn from(s: StepIn) -> Command {
        match s {
            StepIn::Dispatch { to } => Command::Dispatch { to },
            StepIn::Sign => Command::Sign,
            StepIn::Return { reason } => Command::Return { reason },
            StepIn::Reroute { to, reason } => Command::Reroute { to, reason },
            StepIn::Reply { text } => Command::Reply { text },
            StepIn::OutOfRemit { redirect } => Command::OutOfRemit { redirect },
            StepIn::Invalid { reason } => Command::MarkInvalid { reason },
            StepIn::Merge { target } => Command::MergeInto { target },
            StepIn::Escalate { to } => Command::Escalate { to },
            StepIn::Withdraw { reason } => Command::Withdraw { reason },
            StepIn::Rate {
                resolved,
                satisfaction,
                comment,
            } => Command::Rate {
                resolved,
                satisfaction,
                comment: comment
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            },
        }
    }
}

async fn step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<StepBody>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let actor = caller.require()?;
    let ctx = caller.ctx(&state);
    let after = act(
        &state,
        &ctx,
        Acting::Actor(actor),
        id,
        body.step.into(),
        body.version,
    )
    .await?;
    let departments = state.departments().await?;
    Ok(Json(views::staff(&state, &after, &departments, None)))
}

async fn by_code(state: &AppState, code: &str) -> ApiResult<StoredAppeal> {
    let code = normalise_tracking_code(code).ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    Ok(state.store.appeal_by_tracking_code(&code).await?)
}

/// The resident's view by tracking code: public steps only, no contact.
async fn track(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<Value>> {
    let a = by_code(&state, &code).await?;
    let timeline = state.store.timeline(a.id).await?;
    let departments = state.departments().await?;
    Ok(Json(views::public(&state, &a, &departments, &timeline)))
}

/// The tracking code is the anonymous resident's credential: with it they
/// may rate or withdraw their appeal, nothing else.
async fn track_step(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Body(body): Body<StepBody>,
) -> ApiResult<Json<Value>> {
    let a = by_code(&state, &code).await?;
    if !matches!(body.step, StepIn::Rate { .. } | StepIn::Withdraw { .. }) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let mut ctx = caller.ctx(&state);
    if caller.actor.is_none() {
        ctx.actor = "requester".into();
        ctx.role = "resident".into();
    }
    let after = act(
        &state,
        &ctx,
        Acting::TrackingCode,
        a.id,
        body.step.into(),
        body.version,
    )
    .await?;
    let timeline = state.store.timeline(a.id).await?;
    let departments = state.departments().await?;
    Ok(Json(views::public(&state, &after, &departments, &timeline)))
}

/// The taxonomy: public, so that every client can offer the categories.
async fn categories(State(state): State<AppState>) -> Json<Value> {
    let t = &state.taxonomy;
    let items: Vec<Value> = t
        .categories()
        .iter()
        .map(|c| {
            let group = t.group(&c.group);
            let limit = t.limits().get(c.limit);
            json!({
                "code": c.code,
                "name": c.name,
                "name_en": c.name_en,
                "group": c.group,
                "group_name": group.map(|g| g.name.clone()),
                "group_name_en": group.map(|g| g.name_en.clone()),
                "departments": c.departments,
                "default_level": c.default_level,
                "limit_class": c.limit,
                "time_limit": limit,
                "needs_location": c.needs_location,
            })
        })
        .collect();
    Json(json!(items))
}

/// Notifications for the caller's unit or department.
async fn notifications(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let target = match &actor.scope {
        Scope::Unit(c) => Handler::Unit(c.clone()),
        Scope::Department(c) => Handler::Department(c.clone()),
        Scope::None => return Ok(Json(json!({ "items": [] }))),
    };
    let rows = state.store.notifications(&[target], 100).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|n| {
            json!({"id": n.id, "appeal_id": n.appeal_id, "kind": n.kind,
                   "created_at": views::time(n.created_at), "read": n.read_at.is_some()})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// Open tasks (return visits) of the caller's unit.
async fn tasks(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let Some(unit) = actor.scope.unit() else {
        return Ok(Json(json!({ "items": [] })));
    };
    let rows = state.store.open_tasks(unit).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|t| {
            json!({"id": t.id, "kind": t.kind, "unit": t.unit, "appeal_id": t.appeal_id,
                         "created_at": views::time(t.created_at)})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
