//! `POST /api/v1/disputes/{id}/steps`: one workflow step, named by `action`.
//! The caller's part in the case (mediator on it, its organisation, the
//! level above, a party) is worked out here; the domain decides the rest.

use axum::Json;
use axum::extract::{Path, State};
use grassroots_core::ErrorCode;
use grassroots_core::authz::Action;
use grassroots_core::mediation::{
    Actor as CaseActor, Agreement, Channel, Command, Performance, RiskReason, Ruling, Session,
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{Sight, load};
use crate::api::extract::{Body, parse_id};
use crate::api::openapi::schema::{
    AgreementIn, PerformanceName, ReferralChannelName, RiskReasonName, RulingName, StepDone,
};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::mediation::{case_actor, check_mediators, may, step_in};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = DisputeStepAction)]
pub enum StepBody {
    Consent {
        party: usize,
        consent: bool,
    },
    AssignMediators {
        mediators: Vec<i64>,
    },
    Recusal {
        party: usize,
        mediator: i64,
        reason: String,
    },
    Session {
        at: Option<i64>,
        place: String,
        #[serde(default)]
        online: bool,
        #[serde(default)]
        parties_present: Vec<usize>,
        minutes: String,
    },
    Extend {
        days: u32,
        reason: String,
        parties_agree: bool,
    },
    Agreement {
        #[schema(value_type = AgreementIn)]
        agreement: Agreement,
    },
    NoAgreement {
        reason: String,
    },
    ApplyConfirmation {
        court: String,
    },
    CourtAccepted,
    CourtRuling {
        #[schema(value_type = RulingName)]
        ruling: Ruling,
        #[serde(default)]
        note: Option<String>,
    },
    FollowUp {
        #[schema(value_type = PerformanceName)]
        performance: Performance,
        note: String,
    },
    Reopen {
        reason: String,
    },
    Refer {
        #[schema(value_type = ReferralChannelName)]
        channel: Channel,
        to: String,
        reason: String,
    },
    ReferralResult {
        resolved: bool,
        result: String,
    },
    Withdraw {
        reason: String,
    },
    Close {
        reason: String,
    },
    Transfer {
        to_org: String,
        reason: String,
    },
    Escalate,
    FlagRisk {
        #[schema(value_type = Vec<RiskReasonName>)]
        reasons: Vec<RiskReason>,
        note: String,
    },
    ClearRisk {
        note: String,
    },
}

/// One workflow step, named by `action`, with the version last seen.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = DisputeStep)]
pub struct StepRequest {
    #[serde(flatten)]
    body: StepBody,
    /// The version the client saw: a step on a changed case is a conflict.
    #[serde(default)]
    version: Option<i64>,
}

fn command(b: StepBody, now: i64) -> Command {
    match b {
        StepBody::Consent { party, consent } => Command::RecordConsent { party, consent },
        StepBody::AssignMediators { mediators } => Command::AssignMediators { mediators },
        StepBody::Recusal {
            party,
            mediator,
            reason,
        } => Command::ObjectToMediator {
            party,
            mediator,
            reason,
        },
        StepBody::Session {
            at,
            place,
            online,
            parties_present,
            minutes,
        } => Command::HoldSession {
            session: Session {
                at: at.unwrap_or(now).min(now),
                place,
                online,
                parties_present,
                minutes,
            },
        },
        StepBody::Extend {
            days,
            reason,
            parties_agree,
        } => Command::Extend {
            days,
            reason,
            parties_agree,
        },
        StepBody::Agreement { agreement } => Command::RecordAgreement { agreement },
        StepBody::NoAgreement { reason } => Command::NoAgreement { reason },
        StepBody::ApplyConfirmation { court } => Command::ApplyForConfirmation { court },
        StepBody::CourtAccepted => Command::CourtAccepted,
        StepBody::CourtRuling { ruling, note } => Command::CourtRuling { ruling, note },
        StepBody::FollowUp { performance, note } => Command::FollowUp { performance, note },
        StepBody::Reopen { reason } => Command::Reopen { reason },
        StepBody::Refer {
            channel,
            to,
            reason,
        } => Command::Refer {
            channel,
            to,
            reason,
        },
        StepBody::ReferralResult { resolved, result } => {
            Command::ReferralResult { resolved, result }
        }
        StepBody::Withdraw { reason } => Command::Withdraw { reason },
        StepBody::Close { reason } => Command::Close { reason },
        StepBody::Transfer { to_org, reason } => Command::Transfer { to_org, reason },
        StepBody::Escalate => Command::Escalate { to_org: None },
        StepBody::FlagRisk { reasons, note } => Command::FlagRisk { reasons, note },
        StepBody::ClearRisk { note } => Command::ClearRisk { note },
    }
}

/// Take a workflow step on a case (its mediators, the level above, a party)
///
/// The caller's part in the case and the workflow decide; a refused step
/// changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/disputes/{id}/steps",
    tag = "mediation",
    params(("id" = i64, Path, description = "The case's id")),
    request_body = StepRequest,
    responses((status = 200, body = StepDone)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found", "conflict"])))
)]
pub async fn step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<StepRequest>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    Ok(Json(run_step(&state, &caller, id, req).await?))
}

/// One step on case `id` as `caller` (the API and the web application).
pub(crate) async fn run_step(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: StepRequest,
) -> ApiResult<Value> {
    let state = state.clone();
    let actor = caller.require()?.clone();
    let (seen, place, orgs, sight) = load(&state, caller, id).await?;
    let party = match sight {
        Sight::Party(p) => Some(p),
        Sight::Record => {
            may(Some(&actor), Action::HandleDispute, &place, None)?;
            None
        }
        Sight::Summary => return Err(ApiError::new(ErrorCode::Forbidden)),
    };
    // The caller's part and the workflow decide before any input is looked up.
    let by = case_actor(&actor, &seen, &place, party)
        .ok_or_else(|| ApiError::new(ErrorCode::Forbidden))?;
    let ctx = caller.ctx(&state);
    let cmd = command(req.body, ctx.now_micros);
    seen.state
        .apply(&cmd, &by, ctx.now_micros)
        .map_err(|r| crate::ops::mediation::refusal_error(&r))?;
    match &cmd {
        Command::AssignMediators { mediators } => {
            check_mediators(&state, &place.holder_chain, mediators).await?
        }
        // Another organisation covering the place (a professional committee, the street's).
        Command::Transfer { to_org, .. }
            if !orgs
                .iter()
                .any(|o| o.code == *to_org && place.area_chain.contains(&o.unit)) =>
        {
            return Err(ApiError::invalid(
                "to_org",
                "no organisation of that code covers the case's place",
            ));
        }
        _ => {}
    }
    let mut tx = state.store.write().await?;
    let before = tx.dispute_for_update(id).await?;
    if req.version.is_some_and(|v| v != before.state.version) {
        return Err(ApiError::with_detail(
            ErrorCode::Conflict,
            "the case changed; reload it",
        ));
    }
    let by = case_actor(&actor, &before, &place, party)
        .ok_or_else(|| ApiError::new(ErrorCode::Forbidden))?;
    if matches!(cmd, Command::Escalate { .. }) && by != CaseActor::Supervisor {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let after = step_in(&state, &mut tx, &ctx, before, &cmd, &by, &orgs).await?;
    tx.commit().await?;
    Ok(json!({
        "id": after.id,
        "status": after.state.status,
        "version": after.state.version,
        "risk": if party.is_some() { Value::Null } else { json!(after.state.risk) },
        "due": after.act_by(),
    }))
}
