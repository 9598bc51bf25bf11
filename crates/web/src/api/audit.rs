use axum::extract::State;
use axum::{Json, Router, routing::get};
use grassroots_core::authz::{self, Action, Target};
use grassroots_store::{AuditFilter, VerifyOutcome};
use serde_json::{Value, json};

use super::extract::Params;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit/events", get(events))
        .route("/api/v1/audit/verify", get(verify))
}

/// The audit trail belongs to the whole territory: its target is the root.
fn trail_chain(state: &AppState) -> Vec<String> {
    state
        .atlas()
        .territory()
        .roots()
        .map(|r| r.code.clone())
        .collect()
}

fn micros(params: &Params, key: &str) -> ApiResult<Option<i64>> {
    params
        .text(key)
        .map(|raw| {
            raw.parse::<jiff::Timestamp>()
                .map(|t| t.as_microsecond())
                .map_err(|_| ApiError::invalid(key, "an RFC 3339 time, e.g. 2026-11-21T08:00:00Z"))
        })
        .transpose()
}

async fn events(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let chain = trail_chain(&state);
    authz::decide(
        Some(actor),
        Action::ReadAudit,
        &Target {
            unit_chain: &chain,
            ..Target::default()
        },
    )?;
    let filter = AuditFilter {
        actor: params.text("actor").map(str::to_owned),
        action: params.text("action").map(str::to_owned),
        object_type: params.text("object_type").map(str::to_owned),
        object_id: params.text("object_id").map(str::to_owned),
        since_micros: micros(&params, "since")?,
        until_micros: micros(&params, "until")?,
        before_seq: params
            .text("before")
            .map(|_| params.i64_or("before", 0, 1..=i64::MAX))
            .transpose()?,
        limit: params.i64_or("limit", 100, 1..=1000)?,
    };
    let events = state.store.audit_events(&filter).await?;
    // Reading who-did-what is itself on the record.
    let mut tx = state.store.write().await?;
    tx.audit(
        &caller.ctx(&state),
        "audit.read",
        "audit_trail",
        "events",
        &[],
    )
    .await?;
    tx.commit().await?;
    let next = events
        .last()
        .map(|e| e.seq)
        .filter(|_| events.len() as i64 == filter.limit);
    Ok(Json(
        json!({ "count": events.len(), "events": events, "next_before": next }),
    ))
}

async fn verify(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let chain = trail_chain(&state);
    authz::decide(
        Some(actor),
        Action::VerifyAudit,
        &Target {
            unit_chain: &chain,
            ..Target::default()
        },
    )?;
    Ok(Json(match state.store.verify_audit(|_| {}).await? {
        VerifyOutcome::Intact { events } => json!({ "intact": true, "events": events }),
        VerifyOutcome::Broken(b) => json!({
            "intact": false,
            "first_bad_seq": b.first_bad_seq(),
            "problem": b.to_string(),
        }),
    }))
}
