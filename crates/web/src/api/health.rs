use axum::extract::State;
use axum::{Json, Router, routing::get};
use grassroots_core::ErrorCode;
use serde_json::{Value, json};

use crate::api::openapi::schema::{Health, Ready};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness: the process serves requests
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, body = Health)),
    extensions(("x-error-codes" = json!([])))
)]
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and the territory is loaded
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses((status = 200, body = Ready)),
    extensions(("x-error-codes" = json!(["unavailable"])))
)]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return Err(ApiError::new(ErrorCode::Unavailable));
    }
    Ok(Json(json!({
        "status": "ready",
        "database": state.store.backend().as_str(),
        "units": state.atlas().territory().len(),
    })))
}
