//! The administrator's pages: an index summing up the territory, the
//! category taxonomy with its time limits and the holiday calendar; the
//! territory on a map with its import and retirement (`territory`); the
//! taxonomy, a category's handling and the calendar by year (`rules`); the
//! accounts (list, create, change role, disable), and the Open311 client
//! keys (issue, shown once; revoke). Each change goes through the same
//! operation (`ops::users`, `ops::open311_clients`, `ops::territory`,
//! `ops::rules`) as the JSON endpoint of the same change, so the audit trail
//! records the page's changes exactly as the API's.

mod calendar;
mod rules;
mod territory;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::{Actor, Role, Scope};
use grassroots_core::appeals::calendar::local_date;
use grassroots_core::authz::Action;
use grassroots_core::territory::Level;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::csrf::encode_component;
use super::page::{CsrfForm, Ui, UiError, UiResult};
use crate::api::require_city_wide;
use crate::api::users::user_view;
use crate::error::ApiError;
use crate::i18n::{Lang, catalogue};
use crate::ops::open311_clients;
use crate::ops::users::{self as ops, CreateUser, RoleChange, UserQuery};
use crate::state::{AppState, TAXONOMY_KEY};

/// This module's templates (name, source), registered with the others.
pub(super) const TEMPLATES: &[(&str, &str)] = &[
    ("admin.html", include_str!("../../../templates/admin.html")),
    (
        "admin_users.html",
        include_str!("../../../templates/admin_users.html"),
    ),
    (
        "admin_user.html",
        include_str!("../../../templates/admin_user.html"),
    ),
    (
        "admin_open311.html",
        include_str!("../../../templates/admin_open311.html"),
    ),
    (
        "admin_territory.html",
        include_str!("../../../templates/admin_territory.html"),
    ),
    (
        "admin_territory_import.html",
        include_str!("../../../templates/admin_territory_import.html"),
    ),
    (
        "admin_territory_retire.html",
        include_str!("../../../templates/admin_territory_retire.html"),
    ),
    (
        "admin_taxonomy.html",
        include_str!("../../../templates/admin_taxonomy.html"),
    ),
    (
        "admin_category.html",
        include_str!("../../../templates/admin_category.html"),
    ),
    (
        "admin_calendar.html",
        include_str!("../../../templates/admin_calendar.html"),
    ),
    (
        "admin_calendar_year.html",
        include_str!("../../../templates/admin_calendar_year.html"),
    ),
];

/// Rows per page of the accounts list, as the API's default.
const PAGE: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", get(user))
        .route("/admin/users/{id}/role", post(set_role))
        .route("/admin/users/{id}/disable", post(disable))
        .route("/admin/users/{id}/enable", post(enable))
        .route("/admin/open311", get(open311).post(issue_key))
        .route("/admin/open311/{id}/revoke", post(revoke_key))
        .merge(territory::routes())
        .merge(rules::routes())
        .merge(calendar::routes())
}

/// Every admin page: a signed-in actor with city-wide authority to manage
/// accounts (the JSON endpoints' `require_city_wide(.., ManageUsers)`).
fn admin<'a>(state: &AppState, ui: &'a Ui) -> Result<&'a Actor, UiError> {
    let actor = ui.require()?;
    require_city_wide(state, &ui.caller, Action::ManageUsers)?;
    Ok(actor)
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `2026-11-21 16:00` in China time (the offset the views use).
fn china_time(micros: i64) -> String {
    match Timestamp::from_microsecond(micros) {
        Ok(t) => t
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8)))
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => micros.to_string(),
    }
}

fn pick(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::En if !en.is_empty() => en.to_owned(),
        _ => zh.to_owned(),
    }
}

/// A refused form's message for `field`: the field's rule in the page's
/// language when the catalogue has one, else the error's own message.
fn field_message(ui: &Ui, field: &str, e: &ApiError) -> String {
    let key = format!("admin-rule-{field}");
    if catalogue().has(ui.lang(), &key) {
        ui.t(&key)
    } else {
        let body = e.body(catalogue(), ui.lang(), None);
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Errors a form re-renders with (its status and the messages by field);
/// anything else is the error page.
fn form_errors(ui: &Ui, e: ApiError, conflict_field: &str) -> Result<(StatusCode, Value), UiError> {
    match e.code {
        ErrorCode::InvalidInput => {
            let field = e.field.clone().unwrap_or_else(|| "form".into());
            let message = field_message(ui, &field, &e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, json!({ field: message })))
        }
        ErrorCode::Conflict => {
            let body = e.body(catalogue(), ui.lang(), None);
            let message = if conflict_field == "username" {
                ui.t("admin-username-taken")
            } else {
                body["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            };
            Ok((StatusCode::CONFLICT, json!({ conflict_field: message })))
        }
        _ => Err(e.into()),
    }
}

// ---------------------------------------------------------------- index

async fn index(State(state): State<AppState>, ui: Ui) -> UiResult {
    admin(&state, &ui)?;
    let lang = ui.lang();
    let atlas = state.atlas();
    let t = atlas.territory();
    let levels: Vec<Value> = Level::ALL
        .iter()
        .map(|level| {
            let (live, retired) =
                t.units()
                    .iter()
                    .filter(|u| u.level == *level)
                    .fold((0u64, 0u64), |(l, r), u| {
                        if u.retired { (l, r + 1) } else { (l + 1, r) }
                    });
            json!({"level": level.as_str(), "units": live, "retired": retired})
        })
        .collect();
    let roots: Vec<Value> = t
        .roots()
        .map(|r| json!({"code": r.code, "name": pick(lang, &r.name, &r.name_en)}))
        .collect();

    let taxonomy = state.taxonomy();
    let limit_text = |limit: grassroots_core::appeals::category::TimeLimit| -> Value {
        rules::limit_text(lang, &limit)
    };
    let classes: Vec<Value> = grassroots_core::appeals::category::LimitClass::ALL
        .iter()
        .map(|c| {
            let mut v = limit_text(taxonomy.limits().get(*c));
            v["class"] = json!(c.as_str());
            v
        })
        .collect();
    let groups: Vec<Value> = taxonomy
        .groups()
        .iter()
        .map(|g| {
            let items: Vec<Value> = taxonomy
                .in_group(&g.code)
                .map(|c| {
                    let mut v = limit_text(taxonomy.limits().get(c.limit));
                    v["code"] = json!(c.code);
                    v["name"] = json!(c.name);
                    v["name_en"] = json!(c.name_en);
                    v["default_level"] = json!(c.default_level.as_str());
                    v["class"] = json!(c.limit.as_str());
                    v
                })
                .collect();
            json!({"code": g.code, "name": g.name, "name_en": g.name_en, "items": items})
        })
        .collect();
    let custom = state.store.setting(TAXONOMY_KEY).await?.is_some();

    let calendar = state.calendar();
    let this_year = Timestamp::from_microsecond(state.now_micros())
        .map(|now| local_date(now).year())
        .ok();
    let years: Vec<Value> = calendar
        .years()
        .filter_map(|y| calendar.schedule(y))
        .map(|s| {
            let holidays: Vec<Value> = s
                .holidays()
                .iter()
                .map(|h| json!({"name": pick(lang, &h.name, &h.name_en), "from": h.from.to_string(), "to": h.to.to_string()}))
                .collect();
            let workdays: Vec<Value> = s
                .workdays()
                .iter()
                .map(|w| json!({"date": w.date.to_string(), "name": w.name}))
                .collect();
            json!({"year": s.year(), "source": s.source(), "holidays": holidays, "workdays": workdays})
        })
        .collect();
    let covered = this_year.is_none_or(|y| calendar.covers(y));

    ui.render(
        "admin.html",
        json!({
            "levels": levels,
            "roots": roots,
            "units_total": t.len(),
            "classes": classes,
            "groups": groups,
            "categories_total": taxonomy.categories().len(),
            "taxonomy_custom": custom,
            "years": years,
            "this_year": this_year,
            "this_year_covered": covered,
        }),
    )
}

// ---------------------------------------------------------------- users

#[derive(Debug, Default, Deserialize)]
struct UsersQuery {
    role: Option<String>,
    unit: Option<String>,
    offset: Option<String>,
    created: Option<String>,
}

/// The scope of an account, named in the page's language.
fn scope_name(
    state: &AppState,
    lang: Lang,
    scope: &Scope,
    departments: &[grassroots_core::accounts::Department],
) -> Value {
    let atlas = state.atlas();
    match scope {
        Scope::Unit(code) => {
            let name = atlas
                .territory()
                .get(code)
                .map(|u| pick(lang, &u.name, &u.name_en));
            json!({"kind": "unit", "code": code, "name": name})
        }
        Scope::Department(code) => {
            let name = departments
                .iter()
                .find(|d| &d.code == code)
                .map(|d| pick(lang, &d.name, &d.name_en));
            json!({"kind": "department", "code": code, "name": name})
        }
        Scope::None => json!({"kind": "none"}),
    }
}

fn roles() -> Vec<&'static str> {
    Role::ALL.iter().map(|r| r.as_str()).collect()
}

fn department_choices(lang: Lang, departments: &[grassroots_core::accounts::Department]) -> Value {
    json!(
        departments
            .iter()
            .map(|d| json!({"code": d.code, "name": pick(lang, &d.name, &d.name_en)}))
            .collect::<Vec<_>>()
    )
}

/// The accounts list, as `GET /api/v1/users` lists it (within the actor's
/// jurisdiction, by role and unit, phones masked), with the create form.
async fn users_page(
    state: &AppState,
    ui: &Ui,
    q: &UsersQuery,
    status: StatusCode,
    form: Value,
    errors: Value,
) -> UiResult {
    let lang = ui.lang();
    let offset = q
        .offset
        .as_deref()
        .and_then(|o| o.trim().parse::<i64>().ok())
        .filter(|o| *o >= 0)
        .unwrap_or(0);
    let departments = state.departments().await?;
    let query = UserQuery {
        role: nonempty(&q.role),
        unit: nonempty(&q.unit),
        limit: PAGE,
        offset,
    };
    let (rows, filter_errors, status) = match ops::list(state, &ui.caller, &query).await {
        Ok(rows) => (rows, Value::Null, status),
        Err(e) if e.code == ErrorCode::InvalidInput => {
            let field = e.field.clone().unwrap_or_else(|| "form".into());
            let message = field_message(ui, &format!("filter-{field}"), &e);
            (
                Vec::new(),
                json!({ format!("filter-{field}"): message }),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => return Err(e.into()),
    };
    let more = rows.len() as i64 == PAGE;
    let rows: Vec<Value> = rows
        .iter()
        .map(|u| {
            let mut v = user_view(u, false);
            v["scope_shown"] = scope_name(state, lang, &u.scope, &departments);
            v
        })
        .collect();
    let mut filters = Map::new();
    for (k, v) in [("role", nonempty(&q.role)), ("unit", nonempty(&q.unit))] {
        if let Some(v) = v {
            filters.insert(k.into(), json!(v));
        }
    }
    let next = more.then(|| {
        let mut parts: Vec<String> = filters
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| format!("{k}={}", encode_component(s))))
            .collect();
        parts.push(format!("offset={}", offset + PAGE));
        format!("/admin/users?{}", parts.join("&"))
    });
    let mut all_errors = match errors {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Value::Object(m) = filter_errors {
        all_errors.extend(m);
    }
    ui.render_status(
        status,
        "admin_users.html",
        json!({
            "rows": rows,
            "filters": filters,
            "offset": offset,
            "next": next,
            "roles": roles(),
            "departments": department_choices(lang, &departments),
            "form": form,
            "errors": all_errors,
            "created": nonempty(&q.created),
        }),
    )
}

async fn users(State(state): State<AppState>, ui: Ui, Query(q): Query<UsersQuery>) -> UiResult {
    admin(&state, &ui)?;
    users_page(&state, &ui, &q, StatusCode::OK, json!({}), json!({})).await
}

#[derive(Debug, Default, Deserialize)]
struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    unit: Option<String>,
    department: Option<String>,
    phone: Option<String>,
    password: Option<String>,
}

/// `POST /admin/users`: as `POST /api/v1/users` — the same validation, the
/// new account's place decides whether this actor may create it, the same
/// audited store call.
async fn create_user(
    State(state): State<AppState>,
    ui: Ui,
    Form(f): Form<NewUserForm>,
) -> UiResult {
    ui.check(&f.csrf)?;
    admin(&state, &ui)?;
    // Typed values come back on a refused form; the password never does.
    let form = json!({
        "username": f.username,
        "display_name": f.display_name,
        "role": f.role,
        "unit": nonempty(&f.unit),
        "department": nonempty(&f.department),
        "phone": nonempty(&f.phone),
    });
    let req = CreateUser {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        unit: nonempty(&f.unit),
        department: nonempty(&f.department),
        phone: nonempty(&f.phone),
        password: f.password.clone().filter(|p| !p.is_empty()),
    };
    match ops::create(&state, &ui.caller, &req).await {
        Ok(user) => ui.redirect(&format!(
            "/admin/users?created={}",
            encode_component(&user.username)
        )),
        Err(e) => {
            let (status, errors) = form_errors(&ui, e, "username")?;
            users_page(&state, &ui, &UsersQuery::default(), status, form, errors).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn user(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let actor = admin(&state, &ui)?;
    let done = nonempty(&q.done).filter(|d| ["role", "disable", "enable"].contains(&d.as_str()));
    user_page(
        &state,
        &ui,
        actor,
        &id,
        StatusCode::OK,
        json!({}),
        json!({}),
        done,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn user_page(
    state: &AppState,
    ui: &Ui,
    actor: &Actor,
    id: &str,
    status: StatusCode,
    form: Value,
    errors: Value,
    done: Option<String>,
) -> UiResult {
    let u = ops::load(state, &ui.caller, id, Action::ManageUsers).await?;
    let departments = state.departments().await?;
    let mut view = user_view(&u, false);
    view["scope_shown"] = scope_name(state, ui.lang(), &u.scope, &departments);
    view["created_at"] = json!(china_time(u.created_at));
    view["is_self"] = json!(u.id == actor.user_id);
    // The account as it is, under whatever a refused form typed.
    let mut shown = json!({
        "role": u.role.as_str(),
        "unit": u.scope.unit(),
        "department": u.scope.department(),
    });
    if let (Some(base), Value::Object(typed)) = (shown.as_object_mut(), form) {
        base.extend(typed);
    }
    let form = shown;
    ui.render_status(
        status,
        "admin_user.html",
        json!({
            "u": view,
            "roles": roles(),
            "departments": department_choices(ui.lang(), &departments),
            "form": form,
            "errors": errors,
            "done": done,
        }),
    )
}

#[derive(Debug, Default, Deserialize)]
struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    unit: Option<String>,
    department: Option<String>,
    reason: Option<String>,
}

/// `POST /admin/users/{id}/role`: as `POST /api/v1/users/{id}/role`.
async fn set_role(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> UiResult {
    ui.check(&f.csrf)?;
    let actor = admin(&state, &ui)?;
    let form = json!({
        "action": "role",
        "role": f.role,
        "unit": nonempty(&f.unit),
        "department": nonempty(&f.department),
        "reason": nonempty(&f.reason),
    });
    let change = RoleChange {
        role: f.role.clone(),
        unit: nonempty(&f.unit),
        department: nonempty(&f.department),
        reason: f.reason.clone(),
    };
    match ops::set_role(&state, &ui.caller, &id, change).await {
        Ok(user_id) => ui.redirect(&format!("/admin/users/{user_id}?done=role")),
        Err(e) => {
            let (status, errors) = form_errors(&ui, e, "form")?;
            user_page(&state, &ui, actor, &id, status, form, errors, None).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ReasonForm {
    #[serde(default)]
    csrf: String,
    reason: Option<String>,
}

async fn disable(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> UiResult {
    set_disabled(state, ui, id, f, true).await
}

async fn enable(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> UiResult {
    set_disabled(state, ui, id, f, false).await
}

/// `POST /admin/users/{id}/disable|enable`: as the API's, a reason is
/// required and nobody disables their own account.
async fn set_disabled(
    state: AppState,
    ui: Ui,
    id: String,
    f: ReasonForm,
    disabled: bool,
) -> UiResult {
    ui.check(&f.csrf)?;
    let actor = admin(&state, &ui)?;
    let action = if disabled { "disable" } else { "enable" };
    match ops::set_disabled(&state, &ui.caller, &id, f.reason.clone(), disabled).await {
        Ok(user_id) => ui.redirect(&format!("/admin/users/{user_id}?done={action}")),
        Err(e) => {
            let (status, errors) = form_errors(&ui, e, "form")?;
            // Errors of this form carry its name, so they show beside it.
            let errors = match errors {
                Value::Object(m) => Value::Object(
                    m.into_iter()
                        .map(|(k, v)| {
                            (
                                if k == "reason" {
                                    format!("{action}-reason")
                                } else {
                                    k
                                },
                                v,
                            )
                        })
                        .collect(),
                ),
                other => other,
            };
            let form = json!({"action": action, "reason": nonempty(&f.reason)});
            user_page(&state, &ui, actor, &id, status, form, errors, None).await
        }
    }
}

// ---------------------------------------------------------------- Open311

#[derive(Debug, Default, Deserialize)]
struct RevokedQuery {
    revoked: Option<String>,
}

async fn open311(State(state): State<AppState>, ui: Ui, Query(q): Query<RevokedQuery>) -> UiResult {
    admin(&state, &ui)?;
    let revoked = q.revoked.as_deref().and_then(|r| r.parse::<i64>().ok());
    open311_page(
        &state,
        &ui,
        StatusCode::OK,
        json!({}),
        json!({}),
        Value::Null,
        revoked,
    )
    .await
}

async fn open311_page(
    state: &AppState,
    ui: &Ui,
    status: StatusCode,
    form: Value,
    errors: Value,
    issued: Value,
    revoked: Option<i64>,
) -> UiResult {
    let clients = open311_clients::list(state, &ui.caller).await?;
    let rows: Vec<Value> = clients
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "created_at": china_time(c.created_at),
                "revoked_at": c.revoked_at.map(china_time),
            })
        })
        .collect();
    ui.render_status(
        status,
        "admin_open311.html",
        json!({
            "clients": rows,
            "form": form,
            "errors": errors,
            "issued": issued,
            "revoked": revoked,
        }),
    )
}

#[derive(Debug, Default, Deserialize)]
struct IssueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /admin/open311`: as `POST /api/v1/admin/open311/clients`. The key
/// is on this response only; the store keeps its hash.
async fn issue_key(State(state): State<AppState>, ui: Ui, Form(f): Form<IssueForm>) -> UiResult {
    ui.check(&f.csrf)?;
    admin(&state, &ui)?;
    let k = match open311_clients::issue(&state, &ui.caller, &f.name).await {
        Ok(k) => k,
        // Only a bad name is the form's to explain; the rest is the error page.
        Err(e) if e.code == ErrorCode::InvalidInput => {
            let (status, errors) = form_errors(&ui, e, "name")?;
            let form = json!({"name": f.name});
            return open311_page(&state, &ui, status, form, errors, Value::Null, None).await;
        }
        Err(e) => return Err(e.into()),
    };
    let issued = json!({"id": k.id, "name": k.name, "api_key": k.api_key});
    open311_page(
        &state,
        &ui,
        StatusCode::CREATED,
        json!({}),
        json!({}),
        issued,
        None,
    )
    .await
}

/// `POST /admin/open311/{id}/revoke`: as the API's; revoking twice is a
/// conflict, shown on the list.
async fn revoke_key(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> UiResult {
    ui.check(&f.csrf)?;
    admin(&state, &ui)?;
    match open311_clients::revoke(&state, &ui.caller, &id).await {
        Ok(id) => ui.redirect(&format!("/admin/open311?revoked={id}")),
        Err(e) => {
            let (status, errors) = form_errors(&ui, e, "form")?;
            open311_page(&state, &ui, status, json!({}), errors, Value::Null, None).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grassroots_core::appeals::category::{DefaultLevel, LimitClass};

    /// The keys the admin templates build from values: every value has one.
    #[test]
    fn every_built_key_is_translated() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            Level::ALL
                .iter()
                .map(|l| format!("admin-level-{}", l.as_str())),
        );
        keys.extend(
            DefaultLevel::ALL
                .iter()
                .map(|l| format!("admin-level-{}", l.as_str())),
        );
        keys.extend(
            LimitClass::ALL
                .iter()
                .map(|c| format!("admin-class-{}", c.as_str())),
        );
        keys.extend(
            ["role", "disable", "enable"]
                .iter()
                .map(|d| format!("admin-done-{d}")),
        );
        {
            use grassroots_core::territory::import::problem as p;
            keys.extend(
                [
                    p::MALFORMED,
                    p::UNKNOWN_FIELD,
                    p::MISSING_FIELD,
                    p::BAD_VALUE,
                    p::INVALID_CODE,
                    p::BAD_LEVEL,
                    p::DUPLICATE_CODE,
                    p::BAD_GEOMETRY_TYPE,
                    p::SWAPPED_COORDINATES,
                    p::OUT_OF_RANGE,
                    p::INVALID_POLYGON,
                    p::SELF_INTERSECTING,
                    p::UNKNOWN_PARENT,
                    p::LEVEL_NOT_BELOW_PARENT,
                    p::NOT_WITHIN_PARENT,
                    p::INVALID_HIERARCHY,
                ]
                .iter()
                .map(|k| format!("admin-import-problem-{k}")),
            );
        }
        keys.extend(
            [
                "code",
                "name",
                "name_en",
                "level",
                "parent_code",
                "label",
                "households",
            ]
            .iter()
            .map(|f| format!("admin-import-field-{f}")),
        );
        keys.extend(
            [
                "malformed",
                "year_out_of_range",
                "missing_source",
                "empty_name",
                "bad_date",
                "outside_year",
                "reversed_span",
                "span_too_long",
                "overlapping_holidays",
                "duplicate_workday",
                "holiday_and_workday",
                "workday_not_weekend",
                "duplicate_year",
                "other_year",
            ]
            .iter()
            .map(|k| format!("admin-cal-{k}")),
        );
        keys.extend(
            [
                "malformed",
                "bad_code",
                "duplicate_group",
                "duplicate_category",
                "empty_name",
                "unknown_group",
                "empty_group",
                "no_departments",
                "unknown_department",
                "duplicate_department",
                "empty_keyword",
                "bad_limit",
            ]
            .iter()
            .map(|k| format!("admin-tax-{k}")),
        );
        keys.extend(
            ["holiday", "adjusted", "weekend", "workday"].map(|k| format!("admin-day-{k}")),
        );
        keys.extend((1..=7).map(|d| format!("admin-weekday-{d}")));
        keys.extend((1..=7).map(|d| format!("admin-weekday-short-{d}")));
        keys.extend((1..=12).map(|m| format!("admin-month-{m}")));
        for field in [
            "username",
            "display_name",
            "role",
            "unit",
            "department",
            "phone",
            "password",
            "reason",
            "name",
        ] {
            keys.push(format!("admin-rule-{field}"));
        }
        for lang in [Lang::ZhCn, Lang::En] {
            for key in &keys {
                assert!(
                    catalogue().has(lang, key),
                    "{key} missing in {}",
                    lang.tag()
                );
            }
        }
    }
}
