//! Staff pages: the inbox ordered by deadline with countdowns and bulk
//! sign-for, and the appeal page with its timeline, map, the steps this
//! person may take now, and an audited reveal of the contact.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::{Actor, Scope};
use grassroots_core::appeals::{Command, Handler, Status};
use grassroots_core::authz::{self, Action};
use grassroots_core::territory::Level;
use grassroots_store::{AppealFilter, StoredAppeal};
use serde::Deserialize;
use serde_json::{Value, json};

use super::format::countdown;
use super::page::{CsrfForm, Ui, UiResult};
use crate::api::appeals::{readable, views};
use crate::api::extract::parse_id;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::ops::appeals::{Acting, Placement, act, steps_for};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(inbox))
        .route("/inbox/sign", post(bulk_sign))
        .route("/appeals/{id}", get(appeal))
        .route("/appeals/{id}/step", post(step))
        .route("/appeals/{id}/reveal", post(reveal))
        .route("/appeals/{id}/note", post(note))
}

/// Name → first value of a form whose checkboxes repeat a name.
fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn all<'a>(pairs: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn works_appeals(ui: &Ui) -> Result<&Actor, super::UiError> {
    let actor = ui.require()?;
    if authz::works_appeals(actor.role) {
        Ok(actor)
    } else {
        Err(ApiError::new(ErrorCode::Forbidden).into())
    }
}

#[derive(Debug, Default, Deserialize)]
struct InboxQuery {
    /// `mine` (what my unit or department handles now) or `area`.
    view: Option<String>,
    status: Option<String>,
    supervised: Option<String>,
    done: Option<String>,
    failed: Option<String>,
}

/// The deadline staff count down to: the next act-by, else the reply limit;
/// none once replied (the resident's rating window is not staff's clock).
fn deadline(a: &StoredAppeal) -> Option<i64> {
    if matches!(a.state.status, Status::Closed | Status::Replied) {
        return None;
    }
    a.clocks.act_by.or(Some(a.clocks.reply_due))
}

pub(super) fn row(
    state: &AppState,
    lang: Lang,
    a: &StoredAppeal,
    departments: &[grassroots_core::accounts::Department],
    now: i64,
) -> Value {
    let mut v = views::staff(state, a, departments, None);
    v["countdown"] = match deadline(a) {
        Some(due) => countdown(&state.calendar(), lang, a.clocks.clock_from, due, now),
        None => Value::Null,
    };
    v
}

async fn inbox(State(state): State<AppState>, ui: Ui, Query(q): Query<InboxQuery>) -> UiResult {
    let actor = works_appeals(&ui)?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let view = match q.view.as_deref() {
        Some("area") => "area",
        _ => "mine",
    };
    let mut filter = AppealFilter {
        limit: 200,
        by_deadline: true,
        open_only: true,
        supervised_only: q.supervised.as_deref() == Some("1"),
        ..AppealFilter::default()
    };
    match &actor.scope {
        Scope::Unit(code) => {
            filter.handled_by.push(Handler::Unit(code.clone()));
            if view == "area" {
                let level = t
                    .get(code)
                    .map(|u| u.level)
                    .ok_or_else(|| ApiError::new(ErrorCode::Forbidden))?;
                filter.located_in = Some((level, code.clone()));
            }
        }
        Scope::Department(code) => filter.handled_by.push(Handler::Department(code.clone())),
        Scope::None => return Err(ApiError::new(ErrorCode::Forbidden).into()),
    }
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status {
        filter.status = Some(
            Status::parse(s)
                .ok_or_else(|| ApiError::invalid("status", format!("unknown status {s}")))?,
        );
    }
    let rows = state.store.appeals(&filter).await?;
    let departments = state.departments().await?;
    let now = state.now_micros();
    let items: Vec<Value> = rows
        .iter()
        .map(|a| {
            let mut v = row(&state, ui.lang(), a, &departments, now);
            v["can_sign"] = json!(steps_for(t, &departments, actor, a).contains(&"sign"));
            v
        })
        .collect();
    ui.render(
        "inbox.html",
        json!({
            "items": items,
            "view": view,
            "status": status,
            "supervised": filter.supervised_only,
            "statuses": Status::ALL.iter().filter(|s| **s != Status::Closed).map(|s| s.as_str()).collect::<Vec<_>>(),
            "done": q.done,
            "failed": q.failed,
        }),
    )
}

/// Sign for every ticked appeal (签收); each is its own step, so one that
/// someone else took meanwhile does not stop the rest.
async fn bulk_sign(
    State(state): State<AppState>,
    ui: Ui,
    Form(pairs): Form<Vec<(String, String)>>,
) -> UiResult {
    ui.check(first(&pairs, "csrf").unwrap_or(""))?;
    let actor = works_appeals(&ui)?;
    let ctx = ui.caller.ctx(&state);
    let (mut done, mut failed) = (0u32, 0u32);
    for id in all(&pairs, "id")
        .filter_map(|s| s.parse::<i64>().ok())
        .take(200)
    {
        match act(&state, &ctx, Acting::Actor(actor), id, Command::Sign, None).await {
            Ok(_) => done += 1,
            Err(e) if e.status().is_client_error() => failed += 1,
            Err(e) => return Err(e.into()),
        }
    }
    ui.redirect(&format!("/inbox?done={done}&failed={failed}"))
}

/// Units and departments a step may send the appeal to: the units below
/// and beside the person's own, and every department.
fn destinations(
    state: &AppState,
    departments: &[grassroots_core::accounts::Department],
    actor: &Actor,
    lang: Lang,
) -> Value {
    let atlas = state.atlas();
    let t = atlas.territory();
    let name = |zh: &str, en: &str| {
        if lang == Lang::En {
            en.to_owned()
        } else {
            zh.to_owned()
        }
    };
    let mut units = Vec::new();
    if let Some(own) = actor.scope.unit().and_then(|c| t.get(c)) {
        let parent = own.parent.as_deref();
        let mut seen = std::collections::HashSet::new();
        for u in t
            .children(&own.code)
            .chain(parent.into_iter().flat_map(|p| t.children(p)))
            .chain(parent.and_then(|p| t.get(p)))
        {
            if !u.retired && u.level != Level::City && seen.insert(u.code.clone()) {
                units.push(
                    json!({"value": format!("unit:{}", u.code), "name": name(&u.name, &u.name_en)}),
                );
            }
        }
    }
    let depts: Vec<Value> = departments
        .iter()
        .map(|d| json!({"value": format!("department:{}", d.code), "name": name(&d.name, &d.name_en)}))
        .collect();
    json!({"units": units, "departments": depts})
}

async fn appeal(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> UiResult {
    appeal_page(&state, &ui, &id, StatusCode::OK, json!({}), json!({}), None).await
}

async fn appeal_page(
    state: &AppState,
    ui: &Ui,
    id: &str,
    status: StatusCode,
    errors: Value,
    form: Value,
    revealed: Option<String>,
) -> UiResult {
    let actor = works_appeals(ui)?;
    let id = parse_id(id)?;
    let (a, _) = readable(state, &ui.caller, id).await?;
    let timeline = state.store.timeline(id).await?;
    let departments = state.departments().await?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let now = state.now_micros();
    let mut view = row(state, ui.lang(), &a, &departments, now);
    view["timeline"] = views::staff(state, &a, &departments, Some(&timeline))["timeline"].take();
    view["photos"] = crate::api::appeals::photos::list_for(state, &ui.caller, &a).await?;
    let steps = steps_for(t, &departments, actor, &a);
    let place = Placement::of(&a, t, &departments);
    let may_reveal = a.contact_phone.is_some()
        && authz::decide(
            Some(actor),
            Action::RevealAppealContact,
            &place.target(a.requester_id),
        )
        .is_ok();
    ui.render_status(
        status,
        "appeal.html",
        json!({
            "a": view,
            "steps": steps,
            "map": appeal_map(state, &a, ui.lang()),
            "destinations": destinations(state, &departments, actor, ui.lang()),
            "may_reveal": may_reveal,
            "revealed": revealed,
            "errors": errors,
            "form": form,
        }),
    )
}

/// The appeal's grid (or the smallest unit known) with its point.
fn appeal_map(state: &AppState, a: &StoredAppeal, lang: Lang) -> Value {
    let atlas = state.atlas();
    let t = atlas.territory();
    let Some(unit) = [
        &a.units.grid,
        &a.units.community,
        &a.units.street,
        &a.units.district,
    ]
    .into_iter()
    .flatten()
    .find_map(|c| t.get(c).filter(|u| u.boundary.is_some())) else {
        return Value::Null;
    };
    let mut map = super::svg::unit_map(&[(unit, 0.0)], lang, |_| None);
    if let (Some((lon, lat)), Ok(frame)) = (
        a.point,
        serde_json::from_value::<super::svg::Frame>(map["frame"].clone()),
    ) {
        let (x, y) = frame.project(lon, lat);
        map["point"] = json!({"x": format!("{x:.0}"), "y": format!("{y:.0}")});
    }
    map
}

fn handler_of(value: &str) -> Option<Handler> {
    match value.split_once(':')? {
        ("unit", c) if !c.is_empty() => Some(Handler::Unit(c.to_owned())),
        ("department", c) if !c.is_empty() => Some(Handler::Department(c.to_owned())),
        _ => None,
    }
}

/// The command a step form describes, or the field that is wrong.
fn command_of(
    pairs: &[(String, String)],
    lang_required: &str,
) -> Result<Command, (String, String)> {
    let need = |key: &str| {
        first(pairs, key)
            .map(str::to_owned)
            .ok_or_else(|| (key.to_owned(), lang_required.to_owned()))
    };
    let to = || {
        need("to")
            .and_then(|v| handler_of(&v).ok_or_else(|| ("to".to_owned(), lang_required.to_owned())))
    };
    let action = first(pairs, "action").unwrap_or("");
    Ok(match action {
        "sign" => Command::Sign,
        "sign_assist" => Command::SignAssist {
            by: Handler::Unit(String::new()),
        },
        "reply" => Command::Reply {
            text: need("text")?,
        },
        "return" => Command::Return {
            reason: need("reason")?,
        },
        "call_in" => Command::CallIn {
            to: vec![to()?],
            reason: need("reason")?,
            due: 0,
        },
        "request_extension" => Command::RequestExtension {
            days: need("days")?
                .parse::<u32>()
                .map_err(|_| ("days".to_owned(), lang_required.to_owned()))?,
            reason: need("reason")?,
        },
        "decide_extension" => Command::DecideExtension {
            approve: first(pairs, "approve") == Some("yes"),
            note: first(pairs, "note").map(str::to_owned),
        },
        "dispatch" => Command::Dispatch { to: to()? },
        "reroute" => Command::Reroute {
            to: to()?,
            reason: need("reason")?,
        },
        "merge" => Command::MergeInto {
            target: need("target")?
                .parse::<i64>()
                .map_err(|_| ("target".to_owned(), lang_required.to_owned()))?,
        },
        "out_of_remit" => Command::OutOfRemit {
            redirect: need("redirect")?,
        },
        "invalid" => Command::MarkInvalid {
            reason: need("reason")?,
        },
        _ => return Err(("action".to_owned(), lang_required.to_owned())),
    })
}

async fn step(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> UiResult {
    ui.check(first(&pairs, "csrf").unwrap_or(""))?;
    let actor = works_appeals(&ui)?;
    let action = first(&pairs, "action").unwrap_or("").to_owned();
    let form = json!({
        "action": action,
        "fields": pairs.iter().filter(|(k, _)| k != "csrf").map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
    });
    let command = match command_of(&pairs, &ui.t("form-required")) {
        Ok(c) => c,
        Err((field, message)) => {
            let errors = json!({ field: message });
            return appeal_page(
                &state,
                &ui,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                form,
                None,
            )
            .await;
        }
    };
    let version = first(&pairs, "version").and_then(|v| v.parse::<i64>().ok());
    let appeal_id = parse_id(&id)?;
    let ctx = ui.caller.ctx(&state);
    match act(
        &state,
        &ctx,
        Acting::Actor(actor),
        appeal_id,
        command,
        version,
    )
    .await
    {
        Ok(_) => ui.redirect(&format!("/appeals/{appeal_id}")),
        Err(e) if e.status().is_client_error() && e.code != ErrorCode::NotFound => {
            let body = e.body(crate::i18n::catalogue(), ui.lang(), None);
            let field = e.field.clone().unwrap_or_else(|| "form".into());
            let errors = json!({ field: body["error"]["message"] });
            appeal_page(
                &state,
                &ui,
                &id,
                super::page::form_status(&e),
                errors,
                form,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Show the contact's phone in full, once, on an audited read.
async fn reveal(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> UiResult {
    ui.check(&f.csrf)?;
    works_appeals(&ui)?;
    let phone = crate::api::appeals::reveal_contact_of(&state, &ui.caller, parse_id(&id)?).await?;
    appeal_page(
        &state,
        &ui,
        &id,
        StatusCode::OK,
        json!({}),
        json!({}),
        phone,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// An internal note, shown to staff in the timeline and never to the resident.
async fn note(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> UiResult {
    ui.check(&f.csrf)?;
    works_appeals(&ui)?;
    let appeal_id = parse_id(&id)?;
    match crate::api::appeals::add_note(&state, &ui.caller, appeal_id, &f.note).await {
        Ok(()) => ui.redirect(&format!("/appeals/{appeal_id}")),
        Err(e) if e.code == ErrorCode::InvalidInput => {
            let body = e.body(crate::i18n::catalogue(), ui.lang(), None);
            let errors = json!({ "note": body["error"]["message"] });
            let form = json!({"action": "note", "fields": {"note": f.note}});
            appeal_page(
                &state,
                &ui,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                form,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
