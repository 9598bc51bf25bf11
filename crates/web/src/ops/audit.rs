//! Reading and verifying the audit trail, shared by `/api/v1/audit/*` and
//! the auditor's page so both decide alike and both put the read on record.
//! The trail belongs to the whole territory: both actions are decided
//! against its roots (`require_city_wide`).

use grassroots_core::audit::ChainedEvent;
use grassroots_core::authz::Action;
use grassroots_store::{AuditFilter, VerifyOutcome};
use serde_json::{Value, json};

use crate::api::require_city_wide;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// One page of events, newest first, and where the next (older) page starts.
#[derive(Debug)]
pub struct EventPage {
    pub events: Vec<ChainedEvent>,
    /// The `before` of the next page, when this one is full.
    pub next_before: Option<i64>,
}

pub async fn events(
    state: &AppState,
    caller: &Caller,
    filter: &AuditFilter,
) -> ApiResult<EventPage> {
    require_city_wide(state, caller, Action::ReadAudit)?;
    let events = state.store.audit_events(filter).await?;
    // Reading who-did-what is itself on the record.
    let mut tx = state.store.write().await?;
    tx.audit(
        &caller.ctx(state),
        "audit.read",
        "audit_trail",
        "events",
        &[],
    )
    .await?;
    tx.commit().await?;
    let next_before = events
        .last()
        .map(|e| e.seq)
        .filter(|_| events.len() as i64 == filter.limit);
    Ok(EventPage {
        events,
        next_before,
    })
}

/// The hash chain's walk, reported in the one shape both edges show.
pub async fn verify(state: &AppState, caller: &Caller) -> ApiResult<Value> {
    require_city_wide(state, caller, Action::VerifyAudit)?;
    Ok(match state.store.verify_audit(|_| {}).await? {
        VerifyOutcome::Intact { events } => json!({ "intact": true, "events": events }),
        VerifyOutcome::Broken(b) => json!({
            "intact": false,
            "first_bad_seq": b.first_bad_seq(),
            "problem": b.to_string(),
        }),
    })
}
