//! Mediation over HTTP: organisations, opening a dispute case, lists and
//! views by role (the holder's mediators see the record, parties their
//! case's progress, the area's staff a summary), workflow steps, the audited
//! reveal of parties, the printable agreement and the measures.

pub(crate) mod document;
pub(crate) mod open;
mod pdf;
pub(crate) mod steps;
pub(crate) mod views;

use axum::extract::{Path, State};
use axum::{Json, Router, routing::get, routing::post, routing::put};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Role;
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::mediation::measures::{DisputeFacts, GroupBy, grouped, measure};
use grassroots_core::mediation::{OrgKind, Organisation, Status};
use grassroots_core::territory::Level;
use grassroots_store::{DisputeFilter, StoredDispute};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::{Body, Params, parse_id};
use super::openapi::schema::{
    DisputeList, DisputeStatus, DisputeView, MediationMeasures, Org, OrgKindName, OrgList,
    RevealedParties,
};
use crate::api::require_city_wide;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::mediation::{Placement, party_index};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/mediation/orgs", get(list_orgs))
        .route("/api/v1/admin/mediation/orgs/{code}", put(put_org))
        .route("/api/v1/mediation/measures", get(measures))
        .route("/api/v1/disputes", post(open::open).get(list))
        .route("/api/v1/disputes/{id}", get(detail))
        .route("/api/v1/disputes/{id}/steps", post(steps::step))
        .route("/api/v1/disputes/{id}/reveal", post(reveal))
        .route("/api/v1/disputes/{id}/agreement", get(document::agreement))
}

/// What the caller may see of one case.
pub(crate) enum Sight {
    /// A mediator of the holding organisation or above: the record.
    Record,
    /// A party: their case's progress.
    Party(usize),
    /// The area's staff: a summary.
    Summary,
}

/// Load a case and decide what the caller sees of it; `NotFound` hides
/// cases the caller may not know of.
pub(crate) async fn load(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<(StoredDispute, Placement, Vec<Organisation>, Sight)> {
    let actor = caller.require()?;
    let d = state.store.dispute(id).await?;
    let orgs = state.store.mediation_orgs().await?;
    let place = Placement::of(&d, state.atlas().territory(), &orgs);
    let parties = state.store.dispute_parties(id).await?;
    let party = party_index(actor, &parties);
    let owner = party.map(|_| actor.user_id);
    let sight = if let Some(p) = party {
        Sight::Party(p)
    } else if authz::decide(Some(actor), Action::ReadDispute, &place.target(owner)).is_ok() {
        Sight::Record
    } else if authz::decide(
        Some(actor),
        Action::ReadDisputeSummary,
        &place.target(owner),
    )
    .is_ok()
    {
        Sight::Summary
    } else {
        return Err(ApiError::new(ErrorCode::NotFound));
    };
    Ok((d, place, orgs, sight))
}

/// Every mediation organisation (staff)
#[utoipa::path(
    get,
    path = "/api/v1/mediation/orgs",
    tag = "mediation",
    responses((status = 200, body = OrgList)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden"])))
)]
async fn list_orgs(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    if actor.role == Role::Resident {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let orgs = state.store.mediation_orgs().await?;
    let atlas = state.atlas();
    let t = atlas.territory();
    Ok(Json(json!({
        "orgs": orgs.iter().map(|o| views::org(o, t)).collect::<Vec<_>>()
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrgIn)]
struct OrgBody {
    /// 1 to 100 characters.
    name: String,
    #[schema(value_type = OrgKindName)]
    kind: String,
    /// A community, street, district or the city.
    unit: String,
}

/// Create or rename a mediation organisation (city-wide admins)
#[utoipa::path(
    put,
    path = "/api/v1/admin/mediation/orgs/{code}",
    tag = "mediation",
    params(("code" = String, Path, pattern = "^[A-Za-z0-9_-]{1,64}$", description = "The organisation's code")),
    request_body = OrgBody,
    responses((status = 200, body = Org)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "conflict"])))
)]
async fn put_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Body(body): Body<OrgBody>,
) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageMediationOrgs)?;
    let code = code.trim().to_owned();
    if code.is_empty()
        || code.len() > 64
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::invalid(
            "code",
            "letters, digits, - and _ only, at most 64",
        ));
    }
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "1 to 100 characters"));
    }
    let kind = OrgKind::parse(&body.kind)
        .ok_or_else(|| ApiError::invalid("kind", "people, labour, medical or traffic"))?;
    let atlas = state.atlas();
    let unit = atlas
        .territory()
        .get(&body.unit)
        .filter(|u| {
            !u.retired
                && matches!(
                    u.level,
                    Level::Community | Level::Street | Level::District | Level::City
                )
        })
        .ok_or_else(|| ApiError::invalid("unit", "a community, street, district or the city"))?;
    let org = Organisation {
        code,
        name,
        kind,
        unit: unit.code.clone(),
    };
    let ctx = caller.ctx(&state);
    let mut tx = state.store.write().await?;
    tx.upsert_mediation_org(&ctx, &org).await?;
    tx.commit().await?;
    Ok(Json(views::org(&org, atlas.territory())))
}

/// The dispute cases the caller may list
///
/// Mediators see the cases of their organisations (`mine=true`: the cases
/// they are on), parties their own cases, the area's staff summaries of
/// their area.
#[utoipa::path(
    get,
    path = "/api/v1/disputes",
    tag = "mediation",
    params(
        ("status" = Option<DisputeStatus>, Query, description = "Only this status"),
        ("risk" = Option<bool>, Query, description = "`true`: only flagged cases"),
        ("unassigned" = Option<bool>, Query, description = "`true`: only cases without a mediator"),
        ("follow_up_due" = Option<bool>, Query, description = "`true`: only agreements whose follow-up is due"),
        ("mine" = Option<bool>, Query, description = "`true` (mediators): only the cases you are on"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Default 50"),
        ("offset" = Option<i64>, Query, minimum = 0),
    ),
    responses((status = 200, body = DisputeList)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden"])))
)]
async fn list(State(state): State<AppState>, caller: Caller, q: Params) -> ApiResult<Json<Value>> {
    let items = list_for(&state, &caller, &q).await?;
    Ok(Json(json!({ "disputes": items })))
}

/// The cases `caller` may list, as their list views (the API and the web application).
pub(crate) async fn list_for(
    state: &AppState,
    caller: &Caller,
    q: &Params,
) -> ApiResult<Vec<Value>> {
    let actor = caller.require()?;
    let status = match q.text("status") {
        Some(s) => Some(
            Status::parse(s)
                .ok_or_else(|| ApiError::invalid("status", format!("unknown status {s}")))?,
        ),
        None => None,
    };
    let mut f = DisputeFilter {
        status,
        risk_only: q.text("risk") == Some("true"),
        unassigned: q.text("unassigned") == Some("true"),
        follow_up_due_by: (q.text("follow_up_due") == Some("true")).then(|| state.now_micros()),
        limit: q.i64_or("limit", 50, 1..=500)?,
        offset: q.i64_or("offset", 0, 0..=i64::MAX)?,
        ..DisputeFilter::default()
    };
    let orgs = state.store.mediation_orgs().await?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let summary = match actor.role {
        Role::Resident => {
            f.party_user = Some(actor.user_id);
            false
        }
        Role::Mediator => {
            if q.text("mine") == Some("true") {
                f.mediator = Some(actor.user_id);
            } else {
                let unit = actor.scope.unit().unwrap_or_default();
                f.orgs = Some(
                    orgs.iter()
                        .filter(|o| t.chain(&o.unit).iter().any(|c| c == unit))
                        .map(|o| o.code.clone())
                        .collect(),
                );
            }
            false
        }
        r if authz::governs_area(r) => {
            f.area = actor.scope.unit().map(str::to_owned);
            true
        }
        _ => return Err(ApiError::new(ErrorCode::Forbidden)),
    };
    let rows = state.store.disputes(&f).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|d| {
            let place = Placement::of(d, t, &orgs);
            views::summary(d, &place, t, summary)
        })
        .collect();
    Ok(items)
}

/// One case as the caller may see it: the record, a party's progress or a summary
///
/// A case the caller may not know of is `not_found`.
#[utoipa::path(
    get,
    path = "/api/v1/disputes/{id}",
    tag = "mediation",
    params(("id" = i64, Path, description = "The case's id")),
    responses((status = 200, body = DisputeView)),
    extensions(("x-error-codes" = json!(["unauthenticated", "not_found"])))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    Ok(Json(view_for(&state, &caller, id).await?))
}

/// What `caller` sees of case `id`: the record, a party's progress or a summary.
pub(crate) async fn view_for(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Value> {
    let (d, place, _orgs, sight) = load(state, caller, id).await?;
    let atlas = state.atlas();
    let t = atlas.territory();
    Ok(match sight {
        Sight::Summary => views::summary(&d, &place, t, true),
        Sight::Party(p) => {
            let parties = state.store.dispute_parties(id).await?;
            let timeline = state.store.dispute_timeline(id).await?;
            views::for_party(&d, &place, t, &parties, p, &timeline)
        }
        Sight::Record => {
            let parties = state.store.dispute_parties(id).await?;
            let timeline = state.store.dispute_timeline(id).await?;
            views::record(&d, &place, t, &parties, &timeline)
        }
    })
}

/// The parties unmasked (the holder's mediators; audited)
#[utoipa::path(
    post,
    path = "/api/v1/disputes/{id}/reveal",
    tag = "mediation",
    params(("id" = i64, Path, description = "The case's id")),
    responses((status = 200, body = RevealedParties)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found"])))
)]
async fn reveal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let (_d, place, _orgs, sight) = load(&state, &caller, id).await?;
    if !matches!(sight, Sight::Record) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    authz::decide(
        caller.actor.as_ref(),
        Action::RevealDisputeParty,
        &place.target(None),
    )?;
    let parties = state
        .store
        .reveal_dispute_parties(&caller.ctx(&state), id)
        .await?;
    Ok(Json(
        json!({ "parties": parties.iter().enumerate().map(|(i, p)| json!({
        "index": i, "side": p.side, "kind": p.kind, "name": p.name, "phone": p.phone, "address": p.address,
    })).collect::<Vec<_>>() }),
    ))
}

/// Mediation measures of an area, optionally grouped
///
/// Received, mediated, agreements, success and performance rates,
/// confirmations, referrals, days to settle; `since`/`until` bound the
/// receipt time (µs since the epoch).
#[utoipa::path(
    get,
    path = "/api/v1/mediation/measures",
    tag = "mediation",
    params(
        ("unit" = Option<String>, Query, description = "The area (default the caller's unit)"),
        ("group_by" = Option<String>, Query, pattern = "^(district|street|community|org|mediator|type|month)$", description = "district, street, community, org, mediator, type or month"),
        ("since" = Option<i64>, Query, minimum = 0, description = "µs since the epoch"),
        ("until" = Option<i64>, Query, minimum = 0, description = "µs since the epoch"),
    ),
    responses((status = 200, body = MediationMeasures)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden"])))
)]
async fn measures(
    State(state): State<AppState>,
    caller: Caller,
    q: Params,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let unit = q
        .text("unit")
        .map(str::to_owned)
        .or_else(|| actor.scope.unit().map(str::to_owned))
        .ok_or_else(|| ApiError::invalid("unit", "required"))?;
    if t.get(&unit).is_none() {
        return Err(ApiError::invalid("unit", format!("unknown unit {unit}")));
    }
    let chain = t.chain(&unit);
    authz::decide(
        Some(actor),
        Action::ReadMediationMeasures,
        &Target {
            unit_chain: &chain,
            ..Target::default()
        },
    )?;
    let by = match q.text("group_by") {
        Some(g) => Some(GroupBy::parse(g).ok_or_else(|| {
            ApiError::invalid(
                "group_by",
                "district, street, community, org, mediator, type or month",
            )
        })?),
        None => None,
    };
    let since = q.i64_or("since", 0, 0..=i64::MAX)?;
    let until = q.i64_or("until", i64::MAX, 0..=i64::MAX)?;
    let rows = state
        .store
        .disputes(&DisputeFilter {
            area: t.roots().all(|r| r.code != unit).then(|| unit.clone()),
            since: Some(since),
            until: Some(until),
            limit: 1_000_000,
            ..DisputeFilter::default()
        })
        .await?;
    let facts: Vec<DisputeFacts> = rows
        .iter()
        .map(|d| {
            DisputeFacts::of(
                &d.state,
                d.dispute_type,
                Level::parse(&d.org_level),
                d.units.district.clone(),
                d.units.street.clone(),
                d.units.community.clone(),
            )
        })
        .collect();
    let mut out = json!({ "unit": unit, "overall": measure(&facts) });
    if let Some(by) = by {
        out["group_by"] = json!(by.as_str());
        out["groups"] = json!(
            grouped(&facts, by)
                .into_iter()
                .map(|(key, m)| json!({ "key": key, "measures": m }))
                .collect::<Vec<_>>()
        );
    }
    Ok(Json(out))
}
