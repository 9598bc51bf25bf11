//! Open311 client applications: an admin issues each its API key (shown
//! once; only its hash is kept), lists them and revokes them — audited.
//! The JSON edge of `ops::open311_clients`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get, routing::post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::open311_clients as ops;
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

async fn issue(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<IssueBody>,
) -> ApiResult<Response> {
    let k = ops::issue(&state, &caller, &b.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": k.id, "name": k.name, "api_key": k.api_key})),
    )
        .into_response())
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let clients = ops::list(&state, &caller).await?;
    Ok(Json(json!({"clients": clients.iter().map(|c| json!({
        "id": c.id, "name": c.name, "created_at": c.created_at, "revoked_at": c.revoked_at,
    })).collect::<Vec<_>>()})))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = ops::revoke(&state, &caller, &id).await?;
    Ok(Json(json!({"id": id, "revoked": true})))
}
