//! `/api/v1/users`: the JSON edge of the account operations in
//! `ops::users`; these handlers only extract and shape the answer.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::accounts::mask_phone;
use grassroots_core::authz::Action;
use grassroots_store::StoredUser;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::{Body, Params};
use super::openapi::schema::{
    DepartmentList, NewUser, PhoneRevealed, RoleChangeIn, RoleName, User, UserList,
};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::users::{self as ops, RoleChange, UserQuery};
use crate::state::AppState;

// Kept at their old paths for the CLI and `auth.rs`.
pub use crate::ops::users::{CreateUser, Placement, placement, validate_new_user};

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

/// Accounts in the caller's area (staff who read the directory)
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "At most this many (default 100)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Skip this many"),
        ("role" = Option<RoleName>, Query, description = "Only this role"),
        ("unit" = Option<String>, Query, description = "Only accounts scoped to this unit"),
    ),
    responses((status = 200, body = UserList)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden"])))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Value>> {
    // Who may list is settled before the paging is read.
    ops::directory_reader(&caller)?;
    let q = UserQuery {
        limit: params.i64_or("limit", 100, 1..=1000)?,
        offset: params.i64_or("offset", 0, 0..=i64::MAX)?,
        role: params.text("role").map(str::to_owned),
        unit: params.text("unit").map(str::to_owned),
    };
    let users = ops::list(&state, &caller, &q).await?;
    let shown: Vec<Value> = users.iter().map(|u| user_view(u, false)).collect();
    Ok(Json(json!({ "count": shown.len(), "users": shown })))
}

/// One account, the phone masked
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    responses((status = 200, body = User)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found"])))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let user = ops::load(&state, &caller, &id, Action::ReadDirectory).await?;
    Ok(Json(user_view(&user, false)))
}

#[derive(Debug, Deserialize, ToSchema)]
struct ReasonRequest {
    /// Why (written to the audit trail).
    reason: Option<String>,
}

/// An account's unmasked phone
///
/// The read is written to the audit trail with its reason (required unless
/// it is your own).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/reveal-phone",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = ReasonRequest,
    responses((status = 200, body = PhoneRevealed)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found"])))
)]
async fn reveal_phone(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ReasonRequest>,
) -> ApiResult<Json<Value>> {
    let (id, phone) = ops::reveal_phone(&state, &caller, &id, req.reason).await?;
    Ok(Json(json!({ "id": id, "phone": phone })))
}

/// Create an account (admins, within their area)
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    request_body = NewUser,
    responses((status = 201, body = User)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "conflict"])))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(req): Body<CreateUser>,
) -> ApiResult<impl IntoResponse> {
    let user = ops::create(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(user_view(&user, false))))
}

/// The account as it is after a change.
async fn changed(state: &AppState, id: i64) -> ApiResult<Json<Value>> {
    Ok(Json(user_view(&state.store.user(id).await?, false)))
}

/// Change an account's role and scope (its sessions and tokens are revoked)
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/role",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = RoleChangeIn,
    responses((status = 200, body = User)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found", "conflict"])))
)]
async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<RoleChange>,
) -> ApiResult<Json<Value>> {
    let id = ops::set_role(&state, &caller, &id, req).await?;
    changed(&state, id).await
}

/// Disable an account (its sessions and tokens are revoked)
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = ReasonRequest,
    responses((status = 200, body = User)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found", "conflict"])))
)]
async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ReasonRequest>,
) -> ApiResult<Json<Value>> {
    let id = ops::set_disabled(&state, &caller, &id, req.reason, true).await?;
    changed(&state, id).await
}

/// Enable a disabled account
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/enable",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = ReasonRequest,
    responses((status = 200, body = User)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found", "conflict"])))
)]
async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ReasonRequest>,
) -> ApiResult<Json<Value>> {
    let id = ops::set_disabled(&state, &caller, &id, req.reason, false).await?;
    changed(&state, id).await
}

/// The departments (public)
#[utoipa::path(
    get,
    path = "/api/v1/departments",
    tag = "users",
    params(("unit" = Option<String>, Query, description = "Only the departments of this unit's government")),
    responses((status = 200, body = DepartmentList)),
    extensions(("x-error-codes" = json!([])))
)]
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
