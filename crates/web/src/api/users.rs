use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::{
    Actor, NewUser, Role, Scope, check_password_rules, check_scope, mask_phone, validate_phone,
    validate_username,
};
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::territory::Territory;
use grassroots_store::{StoredUser, UserFilter};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Body, Params, parse_id};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{id}", get(detail))
        .route("/api/v1/users/{id}/reveal-phone", post(reveal_phone))
        .route("/api/v1/users/{id}/role", post(set_role))
        .route("/api/v1/users/{id}/disable", post(disable))
        .route("/api/v1/users/{id}/enable", post(enable))
        .route("/api/v1/departments", get(departments))
}

/// A user as shown: the phone masked unless `reveal`.
pub fn user_view(u: &StoredUser, reveal: bool) -> Value {
    let phone = u
        .phone
        .as_deref()
        .map(|p| if reveal { p.to_owned() } else { mask_phone(p) });
    json!({
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "role_name": u.role.name_zh(),
        "scope": u.scope,
        "phone": phone,
        "disabled": u.disabled,
        "has_password": u.has_password,
    })
}

/// Where an account sits, for jurisdiction checks.
#[derive(Debug)]
pub struct Placement {
    pub chain: Vec<String>,
    pub department: Option<String>,
    pub owner: i64,
}

impl Placement {
    pub fn target(&self) -> Target<'_> {
        Target {
            unit_chain: &self.chain,
            department: self.department.as_deref(),
            owner: Some(self.owner),
            holder_chain: &[],
        }
    }
}

/// Where `u` sits; `department_unit` is the unit of `u`'s department, if any.
fn place(territory: &Territory, u: &StoredUser, department_unit: Option<&str>) -> Placement {
    let (chain, department) = match &u.scope {
        Scope::Unit(code) => (territory.chain(code), None),
        Scope::Department(code) => (
            department_unit
                .map(|unit| territory.chain(unit))
                .unwrap_or_default(),
            Some(code.clone()),
        ),
        Scope::None => (Vec::new(), None),
    };
    Placement {
        chain,
        department,
        owner: u.id,
    }
}

pub async fn placement(state: &AppState, u: &StoredUser) -> ApiResult<Placement> {
    let department_unit = match &u.scope {
        Scope::Department(code) => Some(state.store.department(code).await?.unit),
        _ => None,
    };
    Ok(place(
        state.atlas().territory(),
        u,
        department_unit.as_deref(),
    ))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    if !authz::is_staff(actor.role) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let atlas = state.atlas();
    let t = atlas.territory();
    let mut filter = UserFilter {
        limit: params.i64_or("limit", 100, 1..=1000)?,
        offset: params.i64_or("offset", 0, 0..=i64::MAX)?,
        ..UserFilter::default()
    };
    if let Some(role) = params.text("role") {
        filter.role = Some(
            Role::parse(role)
                .ok_or_else(|| ApiError::invalid("role", format!("unknown role {role}")))?,
        );
    }
    // Narrow to the actor's jurisdiction (and optionally a unit inside it).
    let within = match &actor.scope {
        Scope::Unit(code) => Some(code.clone()),
        Scope::Department(code) => {
            filter.department = Some(code.clone());
            None
        }
        Scope::None => return Err(ApiError::new(ErrorCode::Forbidden)),
    };
    let base = match params.text("unit") {
        Some(unit) => {
            if t.get(unit).is_none() {
                return Err(ApiError::invalid("unit", format!("unknown unit {unit}")));
            }
            if within.as_deref().is_some_and(|w| !t.is_within(unit, w)) {
                return Err(ApiError::new(ErrorCode::Forbidden));
            }
            Some(unit.to_owned())
        }
        None => within.filter(|w| t.get(w).is_some_and(|u| u.parent.is_some())),
    };
    if let Some(base) = base {
        let mut codes = vec![base.clone()];
        let mut i = 0;
        while i < codes.len() {
            let next: Vec<String> = t.children(&codes[i]).map(|c| c.code.clone()).collect();
            codes.extend(next);
            i += 1;
        }
        filter.within_units = Some(codes);
    }
    let users = state.store.users(&filter).await?;
    // One query for all departments, not one per department account.
    let department_units: HashMap<String, String> = state
        .store
        .departments()
        .await?
        .into_iter()
        .map(|d| (d.code, d.unit))
        .collect();
    let mut shown = Vec::with_capacity(users.len());
    for u in &users {
        // Defence in depth: every row passes the one authorization check.
        let unit = u.scope.department().and_then(|d| department_units.get(d));
        let place = place(t, u, unit.map(String::as_str));
        if authz::decide(Some(actor), Action::ReadDirectory, &place.target()).is_ok() {
            shown.push(user_view(u, false));
        }
    }
    Ok(Json(json!({ "count": shown.len(), "users": shown })))
}

async fn load(
    state: &AppState,
    actor: &Actor,
    raw_id: &str,
    action: Action,
) -> ApiResult<StoredUser> {
    let id = parse_id(raw_id)?;
    let user = state.store.user(id).await?;
    let place = placement(state, &user).await?;
    authz::decide(Some(actor), action, &place.target())?;
    Ok(user)
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let user = load(&state, actor, &id, Action::ReadDirectory).await?;
    Ok(Json(user_view(&user, false)))
}

#[derive(Debug, Deserialize)]
struct ReasonRequest {
    reason: Option<String>,
}

fn reason(r: Option<String>, required: bool) -> ApiResult<Option<String>> {
    let r = r.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match &r {
        None if required => Err(ApiError::invalid("reason", "a reason is required")),
        Some(s) if s.chars().count() > 500 => {
            Err(ApiError::invalid("reason", "at most 500 characters"))
        }
        _ => Ok(r),
    }
}

/// The unmasked phone; the read is written to the audit trail with its reason.
async fn reveal_phone(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ReasonRequest>,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let user = load(&state, actor, &id, Action::RevealPersonalData).await?;
    let own = user.id == actor.user_id;
    let ctx = caller.ctx(&state).with_reason(reason(req.reason, !own)?);
    let phone = state.store.reveal_phone(&ctx, user.id).await?;
    Ok(Json(json!({ "id": user.id, "phone": phone })))
}

#[derive(Debug, Deserialize)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// Validate a request to create an account; shared with the CLI.
pub async fn validate_new_user(
    state_store: &grassroots_store::Store,
    atlas: &grassroots_core::territory::Atlas,
    req: &CreateUser,
) -> ApiResult<NewUser> {
    let username = req.username.trim();
    validate_username(username).map_err(|e| ApiError::invalid("username", e))?;
    let display_name = req.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 64 {
        return Err(ApiError::invalid("display_name", "1 to 64 characters"));
    }
    let role = Role::parse(req.role.trim())
        .ok_or_else(|| ApiError::invalid("role", format!("unknown role {}", req.role)))?;
    let scope = match (req.unit.as_deref(), req.department.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "unit",
                "give a unit or a department, not both",
            ));
        }
        (Some(u), None) => Scope::Unit(u.trim().to_owned()),
        (None, Some(d)) => {
            let d = d.trim();
            match state_store.department(d).await {
                Ok(_) => Scope::Department(d.to_owned()),
                Err(grassroots_store::StoreError::NotFound) => {
                    return Err(ApiError::invalid(
                        "department",
                        format!("unknown department {d}"),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        (None, None) => Scope::None,
    };
    check_scope(role, &scope, atlas.territory()).map_err(|e| {
        let field = if matches!(scope, Scope::Department(_)) {
            "department"
        } else {
            "unit"
        };
        ApiError::invalid(field, e.to_string())
    })?;
    let phone = req
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(p) = phone {
        validate_phone(p).map_err(|e| ApiError::invalid("phone", e))?;
    }
    if let Some(pw) = &req.password {
        check_password_rules(pw).map_err(|e| ApiError::invalid("password", e.to_string()))?;
    }
    Ok(NewUser {
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        role,
        scope,
        phone: phone.map(str::to_owned),
    })
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(req): Body<CreateUser>,
) -> ApiResult<impl IntoResponse> {
    let actor = caller.require()?;
    let atlas = state.atlas();
    let new = validate_new_user(&state.store, &atlas, &req).await?;
    // The new account's place decides who may create it.
    let (chain, department) = match &new.scope {
        Scope::Unit(u) => (atlas.territory().chain(u), None),
        Scope::Department(d) => (
            atlas
                .territory()
                .chain(&state.store.department(d).await?.unit),
            Some(d.clone()),
        ),
        Scope::None => (
            atlas.territory().roots().map(|r| r.code.clone()).collect(),
            None,
        ),
    };
    authz::decide(
        Some(actor),
        Action::ManageUsers,
        &Target {
            unit_chain: &chain,
            department: department.as_deref(),
            owner: None,
            holder_chain: &[],
        },
    )?;
    let hash = match req.password.clone() {
        Some(pw) => Some(auth::hash_password(pw).await?),
        None => None,
    };
    let id = state
        .store
        .create_user(&caller.ctx(&state), &new, hash.as_deref())
        .await?;
    let user = state.store.user(id).await?;
    Ok((StatusCode::CREATED, Json(user_view(&user, false))))
}

#[derive(Debug, Deserialize)]
struct RoleRequest {
    role: String,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    department: Option<String>,
    reason: Option<String>,
}

async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<RoleRequest>,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let user = load(&state, actor, &id, Action::ManageUsers).await?;
    let probe = CreateUser {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: req.role,
        unit: req.unit,
        department: req.department,
        phone: None,
        password: None,
    };
    let atlas = state.atlas();
    let new = validate_new_user(&state.store, &atlas, &probe).await?;
    // The destination must be within the actor's jurisdiction too.
    let moved = StoredUser {
        scope: new.scope.clone(),
        ..user.clone()
    };
    let place = placement(&state, &moved).await?;
    authz::decide(
        Some(actor),
        Action::ManageUsers,
        &Target {
            owner: None,
            ..place.target()
        },
    )?;
    let ctx = caller.ctx(&state).with_reason(reason(req.reason, true)?);
    state
        .store
        .set_role(&ctx, user.id, new.role, &new.scope)
        .await?;
    Ok(Json(user_view(&state.store.user(user.id).await?, false)))
}

async fn set_disabled(
    state: AppState,
    caller: Caller,
    id: String,
    req: ReasonRequest,
    disabled: bool,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let user = load(&state, actor, &id, Action::ManageUsers).await?;
    if user.id == actor.user_id && disabled {
        return Err(ApiError::with_detail(
            ErrorCode::Conflict,
            "you cannot disable your own account",
        ));
    }
    let ctx = caller.ctx(&state).with_reason(reason(req.reason, true)?);
    state.store.set_disabled(&ctx, user.id, disabled).await?;
    Ok(Json(user_view(&state.store.user(user.id).await?, false)))
}

async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ReasonRequest>,
) -> ApiResult<Json<Value>> {
    set_disabled(state, caller, id, req, true).await
}

async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ReasonRequest>,
) -> ApiResult<Json<Value>> {
    set_disabled(state, caller, id, req, false).await
}

async fn departments(State(state): State<AppState>, params: Params) -> ApiResult<Json<Value>> {
    let unit = params.text("unit");
    let list: Vec<_> = state
        .store
        .departments()
        .await?
        .into_iter()
        .filter(|d| unit.is_none_or(|u| d.unit == u))
        .collect();
    Ok(Json(json!({ "count": list.len(), "departments": list })))
}
