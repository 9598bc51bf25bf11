//! Account operations shared by `/api/v1/users`, the admin pages and the CLI:
//! each one asks the same authorization questions and makes the same audited
//! store call, whichever edge it is reached from.

use std::collections::HashMap;

use grassroots_core::ErrorCode;
use grassroots_core::accounts::{
    Actor, NewUser, Role, Scope, check_password_rules, check_scope, validate_phone,
    validate_username,
};
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::territory::{Atlas, Territory};
use grassroots_store::{Store, StoreError, StoredUser, UserFilter};
use serde::Deserialize;

use crate::api::extract::parse_id;
use crate::auth::{Caller, hash_password};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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

/// A change's reason: trimmed, at most 500 characters, and `required`
/// unless the actor changes their own record.
pub fn reason(r: Option<String>, required: bool) -> ApiResult<Option<String>> {
    let r = r.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match &r {
        None if required => Err(ApiError::invalid("reason", "a reason is required")),
        Some(s) if s.chars().count() > 500 => {
            Err(ApiError::invalid("reason", "at most 500 characters"))
        }
        _ => Ok(r),
    }
}

/// The account `raw_id`, if the caller may take `action` on it.
pub async fn load(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    action: Action,
) -> ApiResult<StoredUser> {
    let actor = caller.require()?;
    let id = parse_id(raw_id)?;
    let user = state.store.user(id).await?;
    let place = placement(state, &user).await?;
    authz::decide(Some(actor), action, &place.target())?;
    Ok(user)
}

/// Who may read the directory at all; checked by the API before it reads
/// its paging, so a stranger hears "no" before "bad limit".
pub fn directory_reader(caller: &Caller) -> ApiResult<&Actor> {
    let actor = caller.require()?;
    if !authz::is_staff(actor.role) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    Ok(actor)
}

/// A directory listing: the role and unit as typed (already trimmed).
#[derive(Debug, Default)]
pub struct UserQuery {
    pub role: Option<String>,
    pub unit: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The accounts the caller may see: narrowed to their jurisdiction (and
/// optionally a unit inside it), every row passing `ReadDirectory`.
pub async fn list(state: &AppState, caller: &Caller, q: &UserQuery) -> ApiResult<Vec<StoredUser>> {
    let actor = directory_reader(caller)?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let mut filter = UserFilter {
        limit: q.limit,
        offset: q.offset,
        ..UserFilter::default()
    };
    if let Some(role) = &q.role {
        filter.role = Some(
            Role::parse(role)
                .ok_or_else(|| ApiError::invalid("role", format!("unknown role {role}")))?,
        );
    }
    let within = match &actor.scope {
        Scope::Unit(code) => Some(code.clone()),
        Scope::Department(code) => {
            filter.department = Some(code.clone());
            None
        }
        Scope::None => return Err(ApiError::new(ErrorCode::Forbidden)),
    };
    let base = match &q.unit {
        Some(unit) => {
            if t.get(unit).is_none() {
                return Err(ApiError::invalid("unit", format!("unknown unit {unit}")));
            }
            if within.as_deref().is_some_and(|w| !t.is_within(unit, w)) {
                return Err(ApiError::new(ErrorCode::Forbidden));
            }
            Some(unit.clone())
        }
        None => within.filter(|w| t.get(w).is_some_and(|u| u.parent.is_some())),
    };
    if let Some(base) = base {
        let mut codes = vec![base];
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
    // Defence in depth: every row passes the one authorization check.
    Ok(users
        .into_iter()
        .filter(|u| {
            let unit = u.scope.department().and_then(|d| department_units.get(d));
            let place = place(t, u, unit.map(String::as_str));
            authz::decide(Some(actor), Action::ReadDirectory, &place.target()).is_ok()
        })
        .collect())
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
    state_store: &Store,
    atlas: &Atlas,
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
                Err(StoreError::NotFound) => {
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

/// Create an account; the new account's place decides who may create it.
pub async fn create(state: &AppState, caller: &Caller, req: &CreateUser) -> ApiResult<StoredUser> {
    let actor = caller.require()?;
    let atlas = state.atlas();
    let new = validate_new_user(&state.store, &atlas, req).await?;
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
        Some(pw) => Some(hash_password(pw).await?),
        None => None,
    };
    let id = state
        .store
        .create_user(&caller.ctx(state), &new, hash.as_deref())
        .await?;
    Ok(state.store.user(id).await?)
}

/// A new role and scope for an account, with the required reason.
#[derive(Debug, Deserialize)]
pub struct RoleChange {
    pub role: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    pub reason: Option<String>,
}

/// Change an account's role and scope; returns its id.
pub async fn set_role(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    change: RoleChange,
) -> ApiResult<i64> {
    let actor = caller.require()?;
    let user = load(state, caller, raw_id, Action::ManageUsers).await?;
    // The new role and scope pass the rules a new account would.
    let probe = CreateUser {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: change.role,
        unit: change.unit,
        department: change.department,
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
    let place = placement(state, &moved).await?;
    authz::decide(
        Some(actor),
        Action::ManageUsers,
        &Target {
            owner: None,
            ..place.target()
        },
    )?;
    let ctx = caller.ctx(state).with_reason(reason(change.reason, true)?);
    state
        .store
        .set_role(&ctx, user.id, new.role, &new.scope)
        .await?;
    Ok(user.id)
}

/// Disable or enable an account, with a reason; nobody disables their own.
/// Returns its id.
pub async fn set_disabled(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    why: Option<String>,
    disabled: bool,
) -> ApiResult<i64> {
    let actor = caller.require()?;
    let user = load(state, caller, raw_id, Action::ManageUsers).await?;
    if user.id == actor.user_id && disabled {
        return Err(ApiError::with_detail(
            ErrorCode::Conflict,
            "you cannot disable your own account",
        ));
    }
    let ctx = caller.ctx(state).with_reason(reason(why, true)?);
    state.store.set_disabled(&ctx, user.id, disabled).await?;
    Ok(user.id)
}

/// The unmasked phone of account `raw_id` (its id and phone); the read is
/// written to the audit trail with its reason, required unless it is one's own.
pub async fn reveal_phone(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    why: Option<String>,
) -> ApiResult<(i64, Option<String>)> {
    let actor = caller.require()?;
    let user = load(state, caller, raw_id, Action::RevealPersonalData).await?;
    let own = user.id == actor.user_id;
    let ctx = caller.ctx(state).with_reason(reason(why, !own)?);
    let phone = state.store.reveal_phone(&ctx, user.id).await?;
    Ok((user.id, phone))
}
