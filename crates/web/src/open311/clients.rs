//! Open311 client applications: an admin issues each its API key (shown
//! once; only its hash is kept), lists them and revokes them — audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::authz::Action;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::extract::{Body, parse_id};
use crate::api::require_city_wide;
use crate::auth::{Caller, new_secret, secret_hash};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/open311/clients", get(list).post(issue))
        .route("/api/v1/admin/open311/clients/{id}/revoke", post(revoke))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    name: String,
}

/// Keys are credentials, managed like accounts: by an admin of the whole city.
async fn issue(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<IssueBody>,
) -> ApiResult<Response> {
    require_city_wide(&state, &caller, Action::ManageUsers)?;
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "1 to 100 characters"));
    }
    let key = new_secret();
    let id = state
        .store
        .create_open311_client(&caller.ctx(&state), name, &secret_hash(&key))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "name": name, "api_key": key})),
    )
        .into_response())
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageUsers)?;
    let clients = state.store.open311_clients().await?;
    Ok(Json(json!({"clients": clients.iter().map(|c| json!({
        "id": c.id, "name": c.name, "created_at": c.created_at, "revoked_at": c.revoked_at,
    })).collect::<Vec<_>>()})))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageUsers)?;
    let id = parse_id(&id)?;
    state
        .store
        .revoke_open311_client(&caller.ctx(&state), id)
        .await?;
    Ok(Json(json!({"id": id, "revoked": true})))
}
