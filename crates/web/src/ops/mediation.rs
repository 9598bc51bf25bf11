//! Dispute steps shared by the HTTP handlers and the background job: load
//! under lock, ask the domain, save the step with its timeline entry and
//! audit event — and, when the step leaves a risk the rules recognise, the
//! platform's own risk flag and the early-warning alert to the level above,
//! all in one transaction.

use grassroots_core::ErrorCode;
use grassroots_core::accounts::{Actor, Role};
use grassroots_core::appeals::calendar::local_date;
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::mediation::risk::{RiskFacts, automatic_reasons};
use grassroots_core::mediation::{
    Actor as CaseActor, Command, Event, Organisation, Refusal, RiskReason, org,
};
use grassroots_core::territory::Territory;
use grassroots_store::{Ctx, DisputeEntry, NewAlert, StoredDispute, Tx};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Alerts raised for a flagged dispute carry this method.
pub const RISK_METHOD: &str = "dispute_risk";

/// A case's place: where it is (area) and who holds it (holder).
#[derive(Debug, Default)]
pub struct Placement {
    pub area_chain: Vec<String>,
    pub holder_chain: Vec<String>,
    /// Both, for summaries: the area's governors and the holder's line.
    pub unit_chain: Vec<String>,
    pub holder: Option<Organisation>,
}

impl Placement {
    pub fn of(d: &StoredDispute, t: &Territory, orgs: &[Organisation]) -> Placement {
        let area_chain = d
            .units
            .unit
            .as_deref()
            .map(|u| t.chain(u))
            .unwrap_or_default();
        let holder = orgs.iter().find(|o| o.code == d.state.org).cloned();
        let holder_chain = holder
            .as_ref()
            .map(|o| t.chain(&o.unit))
            .unwrap_or_default();
        let mut unit_chain = area_chain.clone();
        for c in &holder_chain {
            if !unit_chain.contains(c) {
                unit_chain.push(c.clone());
            }
        }
        Placement {
            area_chain,
            holder_chain,
            unit_chain,
            holder,
        }
    }

    pub fn target(&self, owner: Option<i64>) -> Target<'_> {
        Target {
            unit_chain: &self.unit_chain,
            department: None,
            owner,
            // A case without a known holder is judged by its area.
            holder_chain: &self.holder_chain,
        }
    }
}

/// The caller's party index on the case, if they are a party.
pub fn party_index(
    actor: &Actor,
    parties: &[grassroots_core::mediation::PartyInfo],
) -> Option<usize> {
    parties
        .iter()
        .position(|p| p.user_id == Some(actor.user_id))
}

/// Who the caller is relative to the case, for the workflow.
pub fn case_actor(
    actor: &Actor,
    d: &StoredDispute,
    place: &Placement,
    party: Option<usize>,
) -> Option<CaseActor> {
    if let Some(p) = party {
        return Some(CaseActor::Party(p));
    }
    if actor.role != Role::Mediator {
        return None;
    }
    if d.state.mediators.contains(&actor.user_id) {
        return Some(CaseActor::Mediator);
    }
    let unit = actor.scope.unit()?;
    match &place.holder {
        Some(o) if o.unit == unit => Some(CaseActor::Organisation),
        _ if place.holder_chain.iter().any(|c| c == unit) => Some(CaseActor::Supervisor),
        _ => None,
    }
}

/// How a refusal reads to the client, translated by its key.
pub fn refusal_error(r: &Refusal) -> ApiError {
    let key = format!("mediation-refusal-{}", r.key());
    let e = match r {
        Refusal::WrongStatus { .. } => ApiError::with_detail(ErrorCode::Conflict, r.to_string()),
        Refusal::WrongActor { .. } => ApiError::with_detail(ErrorCode::Forbidden, r.to_string()),
        Refusal::Agreement(a) => ApiError::invalid(&a.field(), r.to_string()),
        Refusal::UnknownParty(_) => ApiError::invalid("party", r.to_string()),
        Refusal::BadMediators { .. } | Refusal::NotAssigned => {
            ApiError::invalid("mediators", r.to_string())
        }
        Refusal::BadExtension { .. } => ApiError::invalid("days", r.to_string()),
        Refusal::ExtensionNeedsConsent => ApiError::invalid("parties_agree", r.to_string()),
        Refusal::SameOrganisation => ApiError::invalid("to_org", r.to_string()),
        Refusal::NothingToFlag => ApiError::invalid("reasons", r.to_string()),
        Refusal::ReasonRequired | Refusal::TooLong { .. } => {
            ApiError::invalid("reason", r.to_string())
        }
        Refusal::NoMediator
        | Refusal::NoSession
        | Refusal::ConfirmationWindowClosed { .. }
        | Refusal::AlreadyApplied
        | Refusal::NoConfirmationPending
        | Refusal::NoRiskFlag => ApiError::with_detail(ErrorCode::Conflict, r.to_string()),
    };
    e.translated(key)
}

pub fn entry(ctx: &Ctx, event: &Event) -> DisputeEntry {
    DisputeEntry {
        at: ctx.now_micros,
        action: event.action.to_owned(),
        public: event.public,
        actor_id: ctx.actor_id,
        actor: ctx.actor.clone(),
        role: ctx.role.clone(),
        note: event.note.clone(),
    }
}

/// The record after a step: the holder's level follows the organisation.
pub fn with_state(
    before: &StoredDispute,
    next: grassroots_core::mediation::Dispute,
    t: &Territory,
    orgs: &[Organisation],
) -> StoredDispute {
    let mut after = before.clone();
    if next.org != before.state.org {
        after.org_level = org_level(&next.org, t, orgs);
    }
    after.state = next;
    after
}

pub fn org_level(code: &str, t: &Territory, orgs: &[Organisation]) -> String {
    orgs.iter()
        .find(|o| o.code == code)
        .and_then(|o| org::level_of(&o.unit, t))
        .map(|l| l.as_str().to_owned())
        .unwrap_or_default()
}

/// Apply `cmd` inside `tx` and save it; then let the platform flag what the
/// risk rules see, and raise the alert for any new flag. Returns the case after.
pub async fn step_in(
    state: &AppState,
    tx: &mut Tx,
    ctx: &Ctx,
    before: StoredDispute,
    cmd: &Command,
    by: &CaseActor,
    orgs: &[Organisation],
) -> ApiResult<StoredDispute> {
    let atlas = state.atlas();
    let t = atlas.territory();
    let now = ctx.now_micros;
    let (next, event) = before
        .state
        .apply(cmd, by, now)
        .map_err(|r| refusal_error(&r))?;
    let after = with_state(&before, next, t, orgs);
    tx.save_dispute_step(
        ctx,
        before.state.version,
        &after,
        &event,
        &entry(ctx, &event),
    )
    .await?;
    settle_risk(state, tx, ctx, &before.state.risk, after, orgs).await
}

/// After a case is opened or stepped: the platform flags what its risk rules
/// see, and every reason not flagged before (`risk_before`) raises an
/// early-warning alert — in the caller's transaction.
pub async fn settle_risk(
    state: &AppState,
    tx: &mut Tx,
    ctx: &Ctx,
    risk_before: &[RiskReason],
    mut after: StoredDispute,
    orgs: &[Organisation],
) -> ApiResult<StoredDispute> {
    let now = ctx.now_micros;
    let auto = automatic_reasons(
        &RiskFacts {
            dispute: &after.state,
            dispute_type: after.dispute_type,
            amount_fen: after.amount_fen,
            now,
        },
        &state.calendar(),
    );
    if !auto.is_empty() {
        let system = Ctx::system(now).with_request_id(ctx.request_id.clone());
        let flag = Command::FlagRisk {
            reasons: auto.clone(),
            note: auto
                .iter()
                .map(|r| r.name_zh())
                .collect::<Vec<_>>()
                .join("；"),
        };
        if let Ok((next, ev)) = after.state.apply(&flag, &CaseActor::System, now) {
            let atlas = state.atlas();
            let flagged = with_state(&after, next, atlas.territory(), orgs);
            tx.save_dispute_step(
                &system,
                after.state.version,
                &flagged,
                &ev,
                &entry(&system, &ev),
            )
            .await?;
            after = flagged;
        }
    }
    let new_flags: Vec<RiskReason> = after
        .state
        .risk
        .iter()
        .copied()
        .filter(|r| !risk_before.contains(r))
        .collect();
    if !new_flags.is_empty() {
        raise_risk_alert(state, tx, ctx, &after, &new_flags, orgs).await?;
    }
    Ok(after)
}

/// A flagged dispute is raised to the level above its organisation, where
/// early warning shows it beside the alerts from appeals.
pub async fn raise_risk_alert(
    state: &AppState,
    tx: &mut Tx,
    ctx: &Ctx,
    d: &StoredDispute,
    reasons: &[RiskReason],
    orgs: &[Organisation],
) -> ApiResult<()> {
    let atlas = state.atlas();
    let t = atlas.territory();
    let Some(holder) = orgs.iter().find(|o| o.code == d.state.org) else {
        return Ok(());
    };
    let above = t
        .get(&holder.unit)
        .and_then(|u| u.parent.clone())
        .unwrap_or_else(|| holder.unit.clone());
    let day = local_date(jiff::Timestamp::from_microsecond(ctx.now_micros).unwrap_or_default())
        .to_string();
    let alert = NewAlert {
        method: RISK_METHOD.into(),
        category_group: d.dispute_type.as_str().into(),
        analysis_day: day,
        // One alert per dispute and newly flagged reasons: a later flag of
        // another reason is a new matter, a rerun is not.
        centre_unit: format!(
            "dispute:{}:{}",
            d.id,
            reasons
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join("+")
        ),
        unit_code: above,
        evidence: json!({
            "dispute_id": d.id,
            "reasons": reasons,
            "all_reasons": d.state.risk,
            "org": holder.code,
            "org_name": holder.name,
            "status": d.state.status.as_str(),
            "parties": d.state.parties.len(),
            "amount_fen": d.amount_fen,
        })
        .to_string(),
        appeal_ids: d.appeal_id.into_iter().collect(),
    };
    tx.raise_alert(ctx, &alert).await?;
    Ok(())
}

/// Mediators who may be put on a case held by `holder`: enabled accounts
/// with the mediator role at the organisation's unit or above it.
pub async fn check_mediators(
    state: &AppState,
    holder_chain: &[String],
    ids: &[i64],
) -> ApiResult<()> {
    for id in ids {
        let user = state
            .store
            .user(*id)
            .await
            .map_err(|_| ApiError::invalid("mediators", format!("no mediator {id}")))?;
        let here = user
            .scope
            .unit()
            .is_some_and(|u| holder_chain.iter().any(|c| c == u));
        if user.role != Role::Mediator || user.disabled || !here {
            return Err(ApiError::invalid(
                "mediators",
                format!("user {id} is not a mediator of this organisation"),
            )
            .translated("mediation-refusal-bad-mediators".into()));
        }
    }
    Ok(())
}

/// Whether `actor` may act on a case in `place` at all (before the workflow's own rule).
pub fn may(
    actor: Option<&Actor>,
    action: Action,
    place: &Placement,
    owner: Option<i64>,
) -> ApiResult<()> {
    authz::decide(actor, action, &place.target(owner))?;
    Ok(())
}

/// What one run of the dispute job did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DisputeTickReport {
    pub escalated: u64,
}

/// Escalate every case whose time limit has passed: supervised, and moved to
/// the people's committee above where there is one. Safe on several servers
/// (`SKIP LOCKED`); an escalated case gets a new time limit, so it no longer matches.
pub async fn tick(state: &AppState, now: i64) -> ApiResult<DisputeTickReport> {
    let mut report = DisputeTickReport::default();
    let orgs = state.store.mediation_orgs().await?;
    let ctx = Ctx::system(now);
    loop {
        let mut tx = state.store.write().await?;
        let ids = tx.overdue_disputes(now, 100).await?;
        if ids.is_empty() {
            break;
        }
        for id in ids {
            let before = tx.dispute_for_update(id).await?;
            let to_org = {
                let atlas = state.atlas();
                orgs.iter()
                    .find(|o| o.code == before.state.org)
                    .and_then(|o| org::above(o, &orgs, atlas.territory()))
                    .map(|o| o.code.clone())
            };
            let cmd = Command::Escalate { to_org };
            step_in(
                state,
                &mut tx,
                &ctx,
                before,
                &cmd,
                &CaseActor::System,
                &orgs,
            )
            .await?;
            report.escalated += 1;
        }
        tx.commit().await?;
    }
    Ok(report)
}
