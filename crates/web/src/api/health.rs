use axum::extract::State;
use axum::{Json, Router, routing::get};
use grassroots_core::ErrorCode;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness: the process serves requests.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and the territory is loaded.
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
