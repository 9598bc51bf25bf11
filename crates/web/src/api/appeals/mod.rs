//! Appeals over HTTP: intake, staff views and steps, the resident's
//! tracking page, the taxonomy, the measures, notifications and tasks.

pub(crate) mod intake;
pub(crate) mod measures;
pub(crate) mod photos;
pub(crate) mod rules;
pub mod views;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Scope;
use grassroots_core::appeals::intake::normalise_tracking_code;
use grassroots_core::appeals::{Command, Handler, Satisfaction, Status};
use grassroots_core::authz::{self, Action};
use grassroots_store::{AppealFilter, StoredAppeal};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::{Body, Params, parse_id};
use super::openapi::schema::{
    AppealPage, AppealStatus, AppealView, Category, ContactRevealed, HandlerIn, NotificationList,
    ReceiptPage, SatisfactionName, TaskList,
};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::appeals::{Acting, Placement, act, is_assisting};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/appeals",
            get(list)
                .post(intake::submit)
                .layer(DefaultBodyLimit::max(INTAKE_BODY_LIMIT)),
        )
        .route("/api/v1/appeals/duplicates", get(intake::duplicate_check))
        .route("/api/v1/appeals/{id}", get(detail))
        .route("/api/v1/appeals/{id}/actions", post(step))
        .route("/api/v1/appeals/{id}/reveal-contact", post(reveal_contact))
        .route("/api/v1/appeals/{id}/notes", post(note))
        .route(
            "/api/v1/appeals/{id}/photos",
            post(photos::add_by_staff).layer(DefaultBodyLimit::max(PHOTO_BODY_LIMIT)),
        )
        .route(
            "/api/v1/appeals/{id}/photos/{photo}",
            get(photos::get_by_staff),
        )
        .route("/api/v1/my/appeals", get(my_appeals))
        .route("/api/v1/track/{code}", get(track))
        .route("/api/v1/track/{code}/actions", post(track_step))
        .route(
            "/api/v1/track/{code}/photos",
            post(photos::add_by_code).layer(DefaultBodyLimit::max(PHOTO_BODY_LIMIT)),
        )
        .route(
            "/api/v1/track/{code}/photos/{photo}",
            get(photos::get_by_code),
        )
        .route("/api/v1/categories", get(categories))
        .route(
            "/api/v1/admin/taxonomy",
            get(rules::get_taxonomy).put(rules::put_taxonomy),
        )
        .route("/api/v1/calendar", get(rules::get_calendar))
        .route(
            "/api/v1/admin/calendar/{year}",
            axum::routing::put(rules::put_calendar_year),
        )
        .route("/api/v1/measures", get(measures::measures))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v1/tasks", get(tasks))
}

/// A photo's bytes, with room for the largest accepted one.
const PHOTO_BODY_LIMIT: usize = grassroots_core::appeals::photo::MAX_PHOTO_BYTES + 1024;
/// A submission with its photos in base64 (4 characters per 3 bytes).
const INTAKE_BODY_LIMIT: usize = grassroots_core::appeals::photo::MAX_PHOTO_BYTES
    * grassroots_core::appeals::photo::MAX_PHOTOS_AT_INTAKE
    * 4
    / 3
    + 64 * 1024;

/// The appeal if the caller may read it; otherwise "not found" (an
/// appeal's existence is not disclosed outside its jurisdiction).
pub(crate) async fn readable(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<(StoredAppeal, bool)> {
    let actor = caller.require()?;
    let a = state.store.appeal(id).await?;
    let departments = state.departments().await?;
    let atlas = state.atlas();
    let place = Placement::of(&a, atlas.territory(), &departments);
    if !is_assisting(actor, &a) {
        authz::decide(
            Some(actor),
            Action::ReadAppeal,
            &place.target(a.requester_id),
        )
        .map_err(|_| ApiError::new(ErrorCode::NotFound))?;
    }
    let own = a.requester_id == Some(actor.user_id);
    Ok((a, own && !authz::works_appeals(actor.role)))
}

/// One appeal: the staff view, or the resident's own view
///
/// An appeal outside the caller's jurisdiction is `not_found` (its
/// existence is not disclosed).
#[utoipa::path(
    get,
    path = "/api/v1/appeals/{id}",
    tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    responses((status = 200, body = AppealView)),
    extensions(("x-error-codes" = json!(["unauthenticated", "not_found"])))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let (a, resident) = readable(&state, &caller, id).await?;
    let timeline = state.store.timeline(id).await?;
    let departments = state.departments().await?;
    let mut view = if resident {
        views::public(&state, &a, &departments, &timeline)
    } else {
        views::staff(&state, &a, &departments, Some(&timeline))
    };
    view["photos"] = photos::list_for(&state, &caller, &a).await?;
    Ok(Json(view))
}

/// Longest internal note.
const MAX_NOTE_CHARS: usize = 1000;

#[derive(Debug, Deserialize, ToSchema)]
struct NoteBody {
    /// At most 1000 characters.
    text: String,
}

/// Add an internal note (staff; never shown to the resident; audited)
#[utoipa::path(
    post,
    path = "/api/v1/appeals/{id}/notes",
    tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = NoteBody,
    responses((status = 204, description = "Noted")),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found"])))
)]
async fn note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<NoteBody>,
) -> ApiResult<axum::http::StatusCode> {
    add_note(&state, &caller, parse_id(&id)?, &body.text).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// An internal note (never shown to the resident) by staff who may read
/// the appeal; audited.
pub(crate) async fn add_note(
    state: &AppState,
    caller: &Caller,
    id: i64,
    text: &str,
) -> ApiResult<()> {
    let actor = caller.require()?;
    if !authz::works_appeals(actor.role) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    readable(state, caller, id).await?;
    let text = grassroots_core::appeals::intake::plain_text(text);
    if text.is_empty() {
        return Err(ApiError::invalid("note", "required"));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid(
            "note",
            format!("at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(state
        .store
        .add_appeal_note(&caller.ctx(state), id, &text)
        .await?)
}

/// The requester's unmasked phone (staff allowed to see it; audited)
#[utoipa::path(
    post,
    path = "/api/v1/appeals/{id}/reveal-contact",
    tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    responses((status = 200, body = ContactRevealed)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found"])))
)]
async fn reveal_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let phone = reveal_contact_of(&state, &caller, id).await?;
    Ok(Json(json!({ "id": id, "phone": phone })))
}

/// The appeal's unmasked phone for staff allowed to see it; the read is audited.
pub(crate) async fn reveal_contact_of(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<Option<String>> {
    let (a, _) = readable(state, caller, id).await?;
    let actor = caller.require()?;
    let departments = state.departments().await?;
    let atlas = state.atlas();
    let place = Placement::of(&a, atlas.territory(), &departments);
    authz::decide(
        Some(actor),
        Action::RevealAppealContact,
        &place.target(a.requester_id),
    )?;
    Ok(state
        .store
        .reveal_appeal_contact(&caller.ctx(state), id)
        .await?)
}

/// The audit context of a step taken with a tracking code: an anonymous
/// holder of the code acts as the appeal's requester.
pub(crate) fn requester_ctx(state: &AppState, caller: &Caller) -> grassroots_store::Ctx {
    let mut ctx = caller.ctx(state);
    if caller.actor.is_none() {
        ctx.actor = "requester".into();
        ctx.role = "resident".into();
    }
    ctx
}

/// Appeals of the caller's area or department (staff), soonest due first
#[utoipa::path(
    get,
    path = "/api/v1/appeals",
    tag = "appeals",
    params(
        ("status" = Option<AppealStatus>, Query, description = "Only this status"),
        ("mine" = Option<bool>, Query, description = "`true`: only what the caller's unit or department handles now"),
        ("supervised" = Option<bool>, Query, description = "`true`: only supervised appeals"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Default 50"),
        ("offset" = Option<i64>, Query, minimum = 0),
    ),
    responses((status = 200, body = AppealPage)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden"])))
)]
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

/// A signed-in resident's own appeals, newest first
///
/// Receipts only: open one for its timeline.
#[utoipa::path(
    get,
    path = "/api/v1/my/appeals",
    tag = "appeals",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Default 50"),
        ("offset" = Option<i64>, Query, minimum = 0),
    ),
    responses((status = 200, body = ReceiptPage)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated"])))
)]
async fn my_appeals(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let filter = AppealFilter {
        requester: Some(actor.user_id),
        limit: params.i64_or("limit", 50, 1..=500)?,
        offset: params.i64_or("offset", 0, 0..=i64::MAX)?,
        ..AppealFilter::default()
    };
    let rows = state.store.appeals(&filter).await?;
    let departments = state.departments().await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|a| views::receipt(&state, a, &departments))
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
#[schema(as = AppealStepAction)]
enum StepIn {
    Dispatch {
        #[schema(value_type = HandlerIn)]
        to: Handler,
    },
    Sign,
    Return {
        reason: String,
    },
    Reroute {
        #[schema(value_type = HandlerIn)]
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
        #[schema(value_type = HandlerIn)]
        to: Handler,
    },
    Withdraw {
        reason: String,
    },
    Rate {
        resolved: bool,
        #[schema(value_type = SatisfactionName)]
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    /// Joint handling: the lead calls units or departments in.
    CallIn {
        #[schema(value_type = Vec<HandlerIn>)]
        to: Vec<Handler>,
        reason: String,
    },
    /// A called-in unit or department signs for its part.
    SignAssist,
    RequestExtension {
        days: u32,
        reason: String,
    },
    DecideExtension {
        approve: bool,
        note: Option<String>,
    },
}

/// One workflow step: `{"action": "sign"}`, `{"action": "reply", "text": …}`, …
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AppealStep)]
struct StepBody {
    #[serde(flatten)]
    step: StepIn,
    /// The version last seen: a step on a changed appeal is a `conflict`.
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
            // `due` and `by` are filled in by `ops::appeals::act`, which
            // knows the appeal's limit and the actor.
            StepIn::CallIn { to, reason } => Command::CallIn { to, reason, due: 0 },
            StepIn::SignAssist => Command::SignAssist {
                by: Handler::Unit(String::new()),
            },
            StepIn::RequestExtension { days, reason } => Command::RequestExtension { days, reason },
            StepIn::DecideExtension { approve, note } => Command::DecideExtension { approve, note },
        }
    }
}

/// Take a workflow step on an appeal (its handler, dispatcher or supervisor)
///
/// Which steps a caller may take depends on the appeal's state and the
/// caller's part in it; a refused step changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/appeals/{id}/actions",
    tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = StepBody,
    responses((status = 200, description = "The appeal after the step (staff view, no timeline)", body = AppealView)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found", "conflict"])))
)]
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

pub(crate) async fn by_code(state: &AppState, code: &str) -> ApiResult<StoredAppeal> {
    let code = normalise_tracking_code(code).ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    Ok(state.store.appeal_by_tracking_code(&code).await?)
}

/// An appeal by its tracking code: the resident's view (public)
///
/// Public steps only, no contact data.
#[utoipa::path(
    get,
    path = "/api/v1/track/{code}",
    tag = "appeals",
    params(("code" = String, Path, description = "The tracking code")),
    responses((status = 200, body = AppealView)),
    extensions(("x-error-codes" = json!(["not_found"])))
)]
async fn track(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<Value>> {
    let a = by_code(&state, &code).await?;
    let timeline = state.store.timeline(a.id).await?;
    let departments = state.departments().await?;
    let mut view = views::public(&state, &a, &departments, &timeline);
    let photos = state.store.appeal_photos(a.id).await?;
    view["photos"] = photos::photo_list(&a, &photos, &format!("/api/v1/track/{}", a.tracking_code));
    Ok(Json(view))
}

/// Rate or withdraw an appeal with its tracking code
///
/// The tracking code is the anonymous resident's credential: with it they
/// may `rate` or `withdraw`, nothing else.
#[utoipa::path(
    post,
    path = "/api/v1/track/{code}/actions",
    tag = "appeals",
    params(("code" = String, Path, description = "The tracking code")),
    request_body = StepBody,
    responses((status = 200, description = "The appeal after the step (the resident's view)", body = AppealView)),
    extensions(("x-error-codes" = json!(["invalid_input", "forbidden", "not_found", "conflict"])))
)]
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
    let ctx = requester_ctx(&state, &caller);
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

/// The categories of appeals (public)
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "rules",
    responses((status = 200, body = Vec<Category>)),
    extensions(("x-error-codes" = json!([])))
)]
async fn categories(State(state): State<AppState>) -> Json<Value> {
    let t = &state.taxonomy();
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

/// Notifications for the caller's unit or department
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "appeals",
    responses((status = 200, body = NotificationList)),
    extensions(("x-error-codes" = json!(["unauthenticated"])))
)]
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

/// Open tasks (return visits) of the caller's unit
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    tag = "appeals",
    responses((status = 200, body = TaskList)),
    extensions(("x-error-codes" = json!(["unauthenticated"])))
)]
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
