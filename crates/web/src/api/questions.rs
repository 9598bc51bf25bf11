//! Ask the government (网络问政) over HTTP: public questions to departments,
//! their public answers, following. Reading is open to everyone; asking is
//! open to everyone and limited per client; answering is for the holding
//! department's staff. Nothing here names who asked.

use axum::extract::{Path, State};
use axum::http::{Extensions, StatusCode};
use axum::response::IntoResponse;
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::accounts::Department;
use grassroots_core::portal::anonymise::mask_personal;
use grassroots_core::questions::{Command, QuestionInput, Status, similar_titles};
use grassroots_store::{QuestionEntry, QuestionFilter, StoredQuestion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::appeals::views::time;
use super::extract::{Body, Params, parse_id};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::questions as ops;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/questions", get(list).post(ask))
        .route("/api/v1/questions/similar", get(similar))
        .route("/api/v1/questions/{id}", get(detail))
        .route("/api/v1/questions/{id}/actions", post(step))
        .route(
            "/api/v1/questions/{id}/follow",
            post(follow).delete(unfollow),
        )
        .route("/api/v1/my/questions", get(mine))
}

/// How many earlier titles "asked already?" compares a new one with.
pub const SIMILAR_POOL: i64 = 2000;

fn department_json(departments: &[Department], code: &str) -> Value {
    match departments.iter().find(|d| d.code == code) {
        Some(d) => json!({"code": d.code, "name": d.name, "name_en": d.name_en}),
        None => json!({"code": code, "name": code, "name_en": code}),
    }
}

/// A question as anyone may see it: text with phone and ID numbers masked
/// (residents sometimes type them), no asker, the limit and whether it has
/// passed.
pub fn view(
    q: &StoredQuestion,
    departments: &[Department],
    timeline: Option<&[QuestionEntry]>,
    now: i64,
) -> Value {
    let s = &q.state;
    let mut v = json!({
        "id": q.id,
        "department": department_json(departments, &s.department),
        "title": mask_personal(&q.title, &[]),
        "body": mask_personal(&q.body, &[]),
        "status": s.status.as_str(),
        "asked_at": time(s.asked_at),
        "answer_by": time(s.answer_by),
        "overdue": s.is_overdue(now),
        "answered_at": s.answered_at.map(time),
        "answer": q.answer.as_deref().map(|a| mask_personal(a, &[])),
        "late": q.late,
        "followers": q.followers,
        "transfers": s.transfers,
        "version": s.version,
    });
    if let Some(entries) = timeline {
        v["timeline"] = entries
            .iter()
            .map(|e| {
                json!({
                    "at": time(e.at_micros),
                    "action": e.action,
                    "role": e.role,
                    "department": e.department.as_deref().map(|c| department_json(departments, c)),
                    "to_department": e.to_department.as_deref().map(|c| department_json(departments, c)),
                    "note": e.note.as_deref().map(|n| mask_personal(n, &[])),
                })
            })
            .collect();
    }
    v
}

/// The list filter from query parameters (shared with the pages).
pub fn filter_from(params: &Params) -> ApiResult<QuestionFilter> {
    let status = match params.text("status") {
        None => None,
        Some(s) => Some(
            Status::parse(s)
                .ok_or_else(|| ApiError::invalid("status", format!("unknown status {s}")))?,
        ),
    };
    let order = params.text("order").unwrap_or("newest");
    if !matches!(order, "newest" | "deadline") {
        return Err(ApiError::invalid("order", "newest or deadline"));
    }
    Ok(QuestionFilter {
        department: params.text("department").map(str::to_owned),
        status,
        search: params.text("q").map(str::to_owned),
        by_deadline: order == "deadline",
        limit: params.i64_or("limit", 50, 1..=200)?,
        offset: params.i64_or("offset", 0, 0..=1_000_000)?,
        ..QuestionFilter::default()
    })
}

/// Public questions, newest first (or soonest limit first)
#[utoipa::path(
    get,
    path = "/api/v1/questions",
    tag = "questions",
    params(
        ("department" = Option<String>, Query, description = "Asked of this department (code)"),
        ("status" = Option<QuestionStatus>, Query, description = "Only this status"),
        ("q" = Option<String>, Query, description = "Title contains this text"),
        ("order" = Option<String>, Query, description = "`newest` (default) or `deadline`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Default 50"),
        ("offset" = Option<i64>, Query, minimum = 0, maximum = 1000000),
    ),
    responses((status = 200, body = QuestionPage)),
    extensions(("x-error-codes" = json!(["invalid_input"])))
)]
async fn list(State(state): State<AppState>, params: Params) -> ApiResult<Json<Value>> {
    let filter = filter_from(&params)?;
    let rows = state.store.questions(&filter).await?;
    let total = state.store.count_questions(&filter).await?;
    let departments = state.departments().await?;
    let now = state.now_micros();
    let items: Vec<Value> = rows
        .iter()
        .map(|q| view(q, &departments, None, now))
        .collect();
    Ok(Json(json!({
        "items": items, "total": total, "limit": filter.limit, "offset": filter.offset
    })))
}

/// What the asker sends.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AskBody {
    /// The department asked (code, see `GET /api/v1/departments`).
    department: Option<String>,
    /// One line, 4 to 80 characters.
    title: Option<String>,
    /// The question, 10 to 2000 characters. Phone and ID numbers are masked when shown.
    body: Option<String>,
}

/// Ask a department a public question
///
/// Anyone may ask; an anonymous client is limited per address and a
/// resident per account (`rate_limited`). The department must answer in
/// public within the taxonomy's general reply limit.
#[utoipa::path(
    post,
    path = "/api/v1/questions",
    tag = "questions",
    request_body = AskBody,
    responses((status = 201, description = "Asked", body = QuestionView)),
    extensions(("x-error-codes" = json!(["invalid_input", "rate_limited"])))
)]
async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    extensions: Extensions,
    Body(body): Body<AskBody>,
) -> ApiResult<impl IntoResponse> {
    let input = QuestionInput {
        department: body.department,
        title: body.title,
        body: body.body,
    };
    let client = crate::api::submitter(&caller, &extensions);
    let id = ops::ask(&state, &caller, client, &input).await?;
    let q = ops::load(&state, id).await?;
    let departments = state.departments().await?;
    let timeline = state.store.question_timeline(id).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&q, &departments, Some(&timeline), state.now_micros())),
    ))
}

/// Earlier questions like a new one, most alike first (ids and titles).
pub async fn similar_to(
    state: &AppState,
    department: Option<&str>,
    title: &str,
    limit: usize,
) -> ApiResult<Vec<StoredQuestion>> {
    let pool = state
        .store
        .question_titles(department, SIMILAR_POOL)
        .await?;
    let mut out = Vec::new();
    for id in similar_titles(title, &pool, limit) {
        if let Some(q) = state.store.question(id).await? {
            out.push(q);
        }
    }
    Ok(out)
}

/// "Asked already?": earlier questions with a similar title
///
/// Follow one of them instead of asking again.
#[utoipa::path(
    get,
    path = "/api/v1/questions/similar",
    tag = "questions",
    params(
        ("title" = String, Query, description = "The title being typed"),
        ("department" = Option<String>, Query, description = "Only questions to this department"),
    ),
    responses((status = 200, body = QuestionList)),
    extensions(("x-error-codes" = json!(["invalid_input"])))
)]
async fn similar(State(state): State<AppState>, params: Params) -> ApiResult<Json<Value>> {
    let title = params
        .text("title")
        .ok_or_else(|| ApiError::invalid("title", "required"))?;
    let found = similar_to(&state, params.text("department"), title, 5).await?;
    let departments = state.departments().await?;
    let now = state.now_micros();
    let items: Vec<Value> = found
        .iter()
        .map(|q| view(q, &departments, None, now))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// One question with its public timeline
///
/// A signed-in resident also learns whether they follow it.
#[utoipa::path(
    get,
    path = "/api/v1/questions/{id}",
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    responses((status = 200, body = QuestionView)),
    extensions(("x-error-codes" = json!(["not_found"])))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let q = ops::load(&state, id).await?;
    let timeline = state.store.question_timeline(id).await?;
    let departments = state.departments().await?;
    let mut v = view(&q, &departments, Some(&timeline), state.now_micros());
    if let Some(actor) = &caller.actor {
        v["following"] = json!(state.store.is_following(id, actor.user_id).await?);
        v["may_answer"] = json!(ops::may_answer(&state, &caller, &q).await);
    }
    Ok(Json(v))
}

/// A department's step on a question.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
#[schema(as = QuestionStepAction)]
pub enum StepIn {
    /// The public answer, 10 to 4000 characters.
    Answer { text: String },
    /// Not this department's matter: pass it to department `to`, with a public reason.
    Transfer { to: String, reason: String },
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StepBody {
    #[serde(flatten)]
    step: StepIn,
    /// The version the client last saw; a different current version is a `conflict`.
    version: Option<i64>,
}

/// Answer a question, or pass it to another department
///
/// For the staff of the department holding the question (`forbidden` for
/// anyone else). A question passed on keeps its limit, with at least one
/// working day at its new department; it may be passed on 3 times.
#[utoipa::path(
    post,
    path = "/api/v1/questions/{id}/actions",
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    request_body = StepBody,
    responses((status = 200, description = "The question after the step", body = QuestionView)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found", "conflict"])))
)]
async fn step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<StepBody>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let command = match body.step {
        StepIn::Answer { text } => Command::Answer { text },
        StepIn::Transfer { to, reason } => Command::Transfer { to, reason },
    };
    ops::act(&state, &caller, id, command, body.version).await?;
    let q = ops::load(&state, id).await?;
    let timeline = state.store.question_timeline(id).await?;
    let departments = state.departments().await?;
    Ok(Json(view(
        &q,
        &departments,
        Some(&timeline),
        state.now_micros(),
    )))
}

/// Whether the caller follows the question now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Following {
    pub id: i64,
    pub following: bool,
    pub followers: i64,
}

async fn set_follow(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    on: bool,
) -> ApiResult<Json<Value>> {
    let id = parse_id(raw)?;
    ops::follow(state, caller, id, on).await?;
    let q = ops::load(state, id).await?;
    Ok(Json(
        json!({"id": id, "following": on, "followers": q.followers}),
    ))
}

/// Follow a question instead of asking it again (residents)
#[utoipa::path(
    post,
    path = "/api/v1/questions/{id}/follow",
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    responses((status = 200, body = Following)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found"])))
)]
async fn follow(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_follow(&state, &caller, &id, true).await
}

/// Stop following a question
#[utoipa::path(
    delete,
    path = "/api/v1/questions/{id}/follow",
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    responses((status = 200, body = Following)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found"])))
)]
async fn unfollow(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    set_follow(&state, &caller, &id, false).await
}

/// The questions the caller asked and those they follow
#[utoipa::path(
    get,
    path = "/api/v1/my/questions",
    tag = "questions",
    responses((status = 200, body = MyQuestions)),
    extensions(("x-error-codes" = json!(["unauthenticated"])))
)]
async fn mine(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let departments = state.departments().await?;
    let now = state.now_micros();
    let base = QuestionFilter {
        limit: 200,
        ..QuestionFilter::default()
    };
    let asked = state
        .store
        .questions(&QuestionFilter {
            asked_by: Some(actor.user_id),
            ..base.clone()
        })
        .await?;
    let followed = state
        .store
        .questions(&QuestionFilter {
            followed_by: Some(actor.user_id),
            ..base
        })
        .await?;
    let list = |v: &[StoredQuestion]| -> Vec<Value> {
        v.iter().map(|q| view(q, &departments, None, now)).collect()
    };
    Ok(Json(
        json!({"asked": list(&asked), "followed": list(&followed)}),
    ))
}

// Documentation types for the OpenAPI document: described, never built.

/// A question's status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum QuestionStatus {
    Open,
    Answered,
}

#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct QuestionDepartment {
    code: String,
    name: String,
    name_en: String,
}

/// One entry of a question's public timeline.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct QuestionEvent {
    /// RFC 3339, +08:00.
    at: String,
    /// `question.ask`, `question.transfer`, `question.answer` or `question.overdue`.
    action: String,
    /// The actor's role, never a name.
    role: String,
    department: Option<QuestionDepartment>,
    to_department: Option<QuestionDepartment>,
    /// A transfer's reason.
    note: Option<String>,
}

/// `questions::view`: a public question (no asker; numbers masked).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct QuestionView {
    id: i64,
    department: QuestionDepartment,
    title: String,
    body: String,
    status: QuestionStatus,
    asked_at: String,
    /// The end of the time limit (exclusive).
    answer_by: String,
    /// Open and past its limit.
    overdue: bool,
    answered_at: Option<String>,
    answer: Option<String>,
    /// Answered after its limit.
    late: bool,
    followers: i64,
    transfers: i64,
    version: i64,
    /// In the answers of one question and of steps.
    timeline: Option<Vec<QuestionEvent>>,
    /// For a signed-in caller: whether they follow it.
    following: Option<bool>,
    /// For a signed-in caller: whether they may answer it now.
    may_answer: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct QuestionPage {
    items: Vec<QuestionView>,
    total: i64,
    limit: i64,
    offset: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct QuestionList {
    items: Vec<QuestionView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct MyQuestions {
    asked: Vec<QuestionView>,
    followed: Vec<QuestionView>,
}
