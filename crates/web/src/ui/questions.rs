//! Ask the government (网络问政) in the browser: the public list and each
//! question with its answer and timeline (no login); asking, with earlier
//! look-alike questions offered first so people follow one instead of
//! asking again; following (residents); and the holding department's
//! queue by deadline with the answer and pass-on forms. Every change goes
//! through `ops::questions`, as the JSON API's.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::routing::{get, post};
use grassroots_core::accounts::{Department, Role};
use grassroots_core::questions::{Command, QuestionInput, Status};
use grassroots_store::QuestionFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::csrf::encode_component;
use super::format::{countdown, department_name, unit_name};
use super::page::{CsrfForm, Ui, UiResult, form_status};
use super::resident::{field_messages, submitter_key};
use crate::api::extract::parse_id;
use crate::api::questions::{similar_to, view};
use crate::i18n::Lang;
use crate::ops::questions as ops;
use crate::state::AppState;

/// This module's templates (name, source), registered with the others.
pub(super) const TEMPLATES: &[(&str, &str)] = &[
    (
        "questions.html",
        include_str!("../../templates/questions.html"),
    ),
    (
        "question.html",
        include_str!("../../templates/question.html"),
    ),
    (
        "question_ask.html",
        include_str!("../../templates/question_ask.html"),
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/questions", get(list))
        .route("/questions/ask", get(ask_form).post(ask))
        .route("/questions/{id}", get(detail))
        .route("/questions/{id}/follow", post(follow))
        .route("/questions/{id}/unfollow", post(unfollow))
        .route("/questions/{id}/answer", post(answer))
        .route("/questions/{id}/transfer", post(transfer))
}

/// Rows per page of the list.
const PAGE: i64 = 30;

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    department: Option<String>,
    status: Option<String>,
    q: Option<String>,
    order: Option<String>,
    page: Option<String>,
    /// "1": the signed-in resident's own and followed questions.
    mine: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Departments grouped by the government they belong to (city first),
/// for the pickers.
fn department_groups(state: &AppState, departments: &[Department], lang: Lang) -> Vec<Value> {
    let atlas = state.atlas();
    let t = atlas.territory();
    let mut units: Vec<&str> = departments.iter().map(|d| d.unit.as_str()).collect();
    units.sort_by_key(|u| (t.get(u).map(|x| x.level), *u));
    units.dedup();
    units
        .into_iter()
        .map(|u| {
            let items: Vec<Value> = departments
                .iter()
                .filter(|d| d.unit == u)
                .map(|d| json!({"code": d.code, "name": department_name(departments, &d.code, lang)}))
                .collect();
            json!({"name": unit_name(t, u, lang), "items": items})
        })
        .collect()
}

/// The countdown of an open question; none once answered.
fn with_countdown(
    state: &AppState,
    lang: Lang,
    mut v: Value,
    q: &grassroots_store::StoredQuestion,
    now: i64,
) -> Value {
    if q.state.status == Status::Open {
        v["countdown"] = countdown(
            &state.calendar(),
            lang,
            q.state.asked_at,
            q.state.answer_by,
            now,
        );
    }
    v
}

async fn list(State(state): State<AppState>, ui: Ui, Query(q): Query<ListQuery>) -> UiResult {
    let lang = ui.lang();
    let departments = state.departments().await?;
    let actor = ui.actor();
    // A department's staff start at their queue: open, soonest limit first.
    let own_department = actor
        .filter(|a| a.role == Role::DepartmentStaff)
        .and_then(|a| a.scope.department())
        .map(str::to_owned);
    let untouched = some(&q.department).is_none()
        && some(&q.status).is_none()
        && some(&q.q).is_none()
        && some(&q.order).is_none()
        && some(&q.page).is_none();
    let (department, status, order) = match (&own_department, untouched) {
        (Some(d), true) => (Some(d.clone()), Some(Status::Open), "deadline"),
        _ => (
            some(&q.department)
                .filter(|d| departments.iter().any(|x| x.code == *d))
                .map(str::to_owned),
            some(&q.status).and_then(Status::parse),
            if some(&q.order) == Some("deadline") {
                "deadline"
            } else {
                "newest"
            },
        ),
    };
    let page = some(&q.page)
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1);
    let mine = actor.filter(|a| some(&q.mine) == Some("1") && a.role == Role::Resident);
    let mut filter = QuestionFilter {
        department: department.clone(),
        status,
        search: some(&q.q).map(str::to_owned),
        by_deadline: order == "deadline",
        limit: PAGE,
        offset: (page - 1) * PAGE,
        ..QuestionFilter::default()
    };
    let now = state.now_micros();
    let (rows, total) = if let Some(me) = mine {
        filter.asked_by = Some(me.user_id);
        let mut rows = state.store.questions(&filter).await?;
        filter.asked_by = None;
        filter.followed_by = Some(me.user_id);
        for r in state.store.questions(&filter).await? {
            if !rows.iter().any(|x| x.id == r.id) {
                rows.push(r);
            }
        }
        let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        (rows, n)
    } else {
        let total = state.store.count_questions(&filter).await?;
        (state.store.questions(&filter).await?, total)
    };
    let items: Vec<Value> = rows
        .iter()
        .map(|x| with_countdown(&state, lang, view(x, &departments, None, now), x, now))
        .collect();
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let query_base = format!(
        "department={}&status={}&order={order}&q={}",
        department.as_deref().unwrap_or_default(),
        status.map(Status::as_str).unwrap_or_default(),
        encode_component(some(&q.q).unwrap_or_default()),
    );
    ui.render(
        "questions.html",
        json!({
            "items": items,
            "total": total,
            "page": page,
            "pages": pages,
            "query_base": query_base,
            "departments": department_groups(&state, &departments, lang),
            "q": {
                "department": department,
                "status": status.map(Status::as_str),
                "q": some(&q.q),
                "order": order,
                "mine": mine.is_some(),
            },
            "queue": own_department.is_some() && department == own_department,
            "resident": actor.is_some_and(|a| a.role == Role::Resident),
        }),
    )
}

#[derive(Debug, Default, Deserialize)]
struct AskForm {
    #[serde(default)]
    csrf: String,
    department: Option<String>,
    title: Option<String>,
    body: Option<String>,
    /// "1": asked after being shown look-alike questions.
    confirm: Option<String>,
}

async fn ask_page(
    state: &AppState,
    ui: &Ui,
    form: &AskForm,
    errors: Value,
    similar: Vec<Value>,
    status: axum::http::StatusCode,
) -> UiResult {
    let departments = state.departments().await?;
    ui.render_status(
        status,
        "question_ask.html",
        json!({
            "departments": department_groups(state, &departments, ui.lang()),
            "form": {
                "department": form.department,
                "title": form.title,
                "body": form.body,
            },
            "errors": errors,
            "similar": similar,
            "limit_days": limit_days(state),
        }),
    )
}

/// The reply limit in working days, as the ask page states it (none when
/// the admins set it in hours).
fn limit_days(state: &AppState) -> Option<u32> {
    match state.taxonomy().limits().general.reply {
        grassroots_core::appeals::category::ReplyLimit::WorkingDays(n) => Some(n),
        grassroots_core::appeals::category::ReplyLimit::Hours(_) => None,
    }
}

#[derive(Debug, Default, Deserialize)]
struct AskQuery {
    department: Option<String>,
}

async fn ask_form(State(state): State<AppState>, ui: Ui, Query(q): Query<AskQuery>) -> UiResult {
    let form = AskForm {
        department: q.department,
        ..AskForm::default()
    };
    ask_page(
        &state,
        &ui,
        &form,
        json!({}),
        Vec::new(),
        axum::http::StatusCode::OK,
    )
    .await
}

async fn ask(State(state): State<AppState>, ui: Ui, Form(form): Form<AskForm>) -> UiResult {
    ui.check(&form.csrf)?;
    let input = QuestionInput {
        department: form.department.clone(),
        title: form.title.clone(),
        body: form.body.clone(),
    };
    // Look-alike questions first: following one beats asking again.
    let title = form.title.as_deref().unwrap_or_default().trim();
    if form.confirm.as_deref() != Some("1") && !title.is_empty() {
        let found = similar_to(&state, None, title, 5).await?;
        if !found.is_empty() {
            let departments = state.departments().await?;
            let now = state.now_micros();
            let similar = found
                .iter()
                .map(|q| {
                    with_countdown(&state, ui.lang(), view(q, &departments, None, now), q, now)
                })
                .collect();
            return ask_page(
                &state,
                &ui,
                &form,
                json!({}),
                similar,
                axum::http::StatusCode::OK,
            )
            .await;
        }
    }
    match ops::ask(&state, &ui.caller, submitter_key(&ui), &input).await {
        Ok(id) => ui.redirect(&format!("/questions/{id}?asked=1")),
        Err(e) => {
            let status = form_status(&e);
            let errors = field_messages(&ui, &e);
            ask_page(&state, &ui, &form, errors, Vec::new(), status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DetailQuery {
    asked: Option<String>,
}

async fn question_page(
    state: &AppState,
    ui: &Ui,
    id: i64,
    errors: Value,
    typed: Value,
    status: axum::http::StatusCode,
    asked: bool,
) -> UiResult {
    let q = ops::load(state, id).await?;
    let departments = state.departments().await?;
    let timeline = state.store.question_timeline(id).await?;
    let now = state.now_micros();
    let v = with_countdown(
        state,
        ui.lang(),
        view(&q, &departments, Some(&timeline), now),
        &q,
        now,
    );
    let actor = ui.actor();
    let following = match actor {
        Some(a) if a.role == Role::Resident => Some(state.store.is_following(id, a.user_id).await?),
        _ => None,
    };
    let may_answer = q.state.status == Status::Open && ops::may_answer(state, &ui.caller, &q).await;
    let others: Vec<Value> = if may_answer {
        departments
            .iter()
            .filter(|d| d.code != q.state.department)
            .map(|d| json!({"code": d.code, "name": department_name(&departments, &d.code, ui.lang())}))
            .collect()
    } else {
        Vec::new()
    };
    ui.render_status(
        status,
        "question.html",
        json!({
            "question": v,
            "following": following,
            "anonymous": actor.is_none(),
            "may_answer": may_answer,
            "transfer_to": others,
            "errors": errors,
            "typed": typed,
            "asked": asked,
        }),
    )
}

async fn detail(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> UiResult {
    let id = parse_id(&id)?;
    question_page(
        &state,
        &ui,
        id,
        json!({}),
        json!({}),
        axum::http::StatusCode::OK,
        q.asked.as_deref() == Some("1"),
    )
    .await
}

async fn set_follow(state: &AppState, ui: &Ui, raw: &str, token: &str, on: bool) -> UiResult {
    ui.check(token)?;
    ui.require()?;
    let id = parse_id(raw)?;
    ops::follow(state, &ui.caller, id, on).await?;
    ui.redirect(&format!("/questions/{id}"))
}

async fn follow(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> UiResult {
    set_follow(&state, &ui, &id, &form.csrf, true).await
}

async fn unfollow(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> UiResult {
    set_follow(&state, &ui, &id, &form.csrf, false).await
}

#[derive(Debug, Default, Deserialize)]
struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
    version: Option<i64>,
}

/// Take a department's step; on a refusal the page again, the error next
/// to the field and what was typed kept.
async fn take_step(
    state: &AppState,
    ui: &Ui,
    raw: &str,
    form: StepForm,
    transfer: bool,
) -> UiResult {
    ui.check(&form.csrf)?;
    ui.require()?;
    let id = parse_id(raw)?;
    let command = if transfer {
        Command::Transfer {
            to: form.to.clone(),
            reason: form.reason.clone(),
        }
    } else {
        Command::Answer {
            text: form.text.clone(),
        }
    };
    match ops::act(state, &ui.caller, id, command, form.version).await {
        Ok(_) => ui.redirect(&format!("/questions/{id}")),
        Err(e) if e.code == grassroots_core::ErrorCode::Forbidden => Err(e.into()),
        Err(e) => {
            let mut errors = field_messages(ui, &e);
            // A refusal not about one field is shown by the form it came from.
            if let Some(form_error) = errors.as_object_mut().and_then(|m| m.remove("form")) {
                let key = if transfer { "reason" } else { "text" };
                errors[key] = form_error;
            }
            let typed = json!({"text": form.text, "to": form.to, "reason": form.reason});
            question_page(state, ui, id, errors, typed, form_status(&e), false).await
        }
    }
}

async fn answer(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> UiResult {
    take_step(&state, &ui, &id, form, false).await
}

async fn transfer(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> UiResult {
    take_step(&state, &ui, &id, form, true).await
}
