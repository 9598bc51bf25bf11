//! `POST /api/v1/disputes`: open a case. The location (a point, or the unit
//! of a walk-in) decides the area; the domain picks the organisation at the
//! lowest capable level; the case, its parties, first timeline entry and
//! audit event are written in one transaction, with any risk the rules see.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, response::IntoResponse, response::Response};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Role;
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::mediation::org::{CaseShape, choose};
use grassroots_core::mediation::{
    Dispute, DisputeType, FieldError, NewDispute, PartyInfo, PartyKind, Side, Source,
};
use grassroots_core::territory::{Located, Unit};
use grassroots_store::{DisputeEntry, StoredDispute};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::api::appeals::intake::levels;
use crate::api::extract::Body;
use crate::api::openapi::schema::{
    DisputeSourceName, DisputeSummary, DisputeTypeName, PartyKindName, SideName,
};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::mediation::{Placement, org_level, settle_risk};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DisputePartyIn)]
pub struct PartyBody {
    #[schema(value_type = SideName)]
    side: String,
    /// `person` (default) or `organisation`.
    #[serde(default)]
    #[schema(value_type = Option<PartyKindName>)]
    kind: Option<String>,
    name: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

/// A new case: where (a point, or the unit of a walk-in), what, who.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DisputeOpen)]
pub struct OpenBody {
    #[schema(value_type = DisputeTypeName)]
    dispute_type: String,
    /// Staff say how the case came (default `walk_in`); a resident's is
    /// always `resident_request`.
    #[serde(default)]
    #[schema(value_type = Option<DisputeSourceName>)]
    source: Option<String>,
    facts: String,
    claims: String,
    /// The amount in dispute, in fen (0.01 yuan).
    #[serde(default)]
    amount_fen: Option<i64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    address: Option<String>,
    parties: Vec<PartyBody>,
    #[serde(default)]
    appeal_id: Option<i64>,
    #[serde(default)]
    court: Option<String>,
    /// A walk-in registered at a particular committee (else the lowest capable one).
    #[serde(default)]
    org: Option<String>,
}

fn field_errors(errors: Vec<FieldError>) -> ApiError {
    let first = errors
        .first()
        .map(|e| e.field.clone())
        .unwrap_or_else(|| "body".into());
    let detail = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.detail))
        .collect::<Vec<_>>()
        .join("; ");
    let mut err = ApiError::invalid(&first, detail);
    err.data = Some(json!({ "fields": errors }));
    err
}

/// Open a dispute case (residents for themselves, staff for a walk-in)
///
/// The location decides the area; the organisation at the lowest capable
/// level takes it. A resident must name themselves as the applicant.
#[utoipa::path(
    post,
    path = "/api/v1/disputes",
    tag = "mediation",
    request_body = OpenBody,
    responses((status = 201, body = DisputeSummary)),
    extensions(("x-error-codes" = json!(["invalid_input", "outside_territory", "unauthenticated", "forbidden", "conflict", "rate_limited"])))
)]
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    extensions: axum::http::Extensions,
    Body(b): Body<OpenBody>,
) -> ApiResult<Response> {
    crate::api::count_submission(&state, crate::api::submitter(&caller, &extensions))?;
    let body = open_case(&state, &caller, b).await?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Open a case as `caller` (every channel: the API and the web application).
pub(crate) async fn open_case(
    state: &AppState,
    caller: &Caller,
    b: OpenBody,
) -> ApiResult<serde_json::Value> {
    let actor = caller.require()?.clone();
    let resident = actor.role == Role::Resident;
    let mut errors = Vec::new();
    let bad = |f: &str, d: &str| FieldError {
        field: f.into(),
        problem: "invalid",
        detail: d.into(),
    };
    let dispute_type = DisputeType::parse(&b.dispute_type);
    if dispute_type.is_none() {
        errors.push(bad("dispute_type", "unknown dispute type"));
    }
    // A resident's own request is always that; staff say how the case came.
    let source = if resident {
        Some(Source::ResidentRequest)
    } else {
        match b.source.as_deref() {
            None => Some(Source::WalkIn),
            Some(s) => Source::parse(s),
        }
    };
    if source.is_none() {
        errors.push(bad("source", "unknown source"));
    }
    let mut parties = Vec::new();
    for (i, p) in b.parties.iter().enumerate() {
        let side = Side::parse(&p.side);
        let kind = match p.kind.as_deref() {
            None | Some("person") => Some(PartyKind::Person),
            Some("organisation") => Some(PartyKind::Organisation),
            Some(_) => None,
        };
        match (side, kind) {
            (Some(side), Some(kind)) => parties.push(PartyInfo {
                side,
                kind,
                name: p.name.clone(),
                phone: p.phone.clone(),
                address: p.address.clone(),
                user_id: None,
            }),
            _ => errors.push(bad(
                &format!("parties[{i}]"),
                "side is applicant or respondent; kind is person or organisation",
            )),
        }
    }
    let point = match (b.lon, b.lat) {
        (Some(lon), Some(lat)) => Some((lon, lat)),
        (None, None) => None,
        _ => {
            errors.push(bad("location", "give both lon and lat"));
            None
        }
    };
    let (Some(dispute_type), Some(source), true) = (dispute_type, source, errors.is_empty()) else {
        return Err(field_errors(errors));
    };
    if resident {
        // The resident is the (first) applicant and may follow the case.
        match parties.iter_mut().find(|p| p.side == Side::Applicant) {
            Some(p) => p.user_id = Some(actor.user_id),
            None => {
                return Err(ApiError::invalid(
                    "parties",
                    "name yourself as the applicant",
                ));
            }
        }
    }
    let new = NewDispute {
        dispute_type,
        source,
        facts: b.facts,
        claims: b.claims,
        amount_fen: b.amount_fen,
        point,
        address: b.address,
        unit: b.unit.clone(),
        parties,
        appeal_id: b.appeal_id,
        court: b.court,
    }
    .check()
    .map_err(field_errors)?;

    let atlas = state.atlas();
    let t = atlas.territory();
    let chain: Vec<&Unit> = match (new.point, new.unit.as_deref()) {
        (Some((lon, lat)), _) => match atlas.locate(lon, lat) {
            Located::Inside { unit, ancestors } => std::iter::once(unit).chain(ancestors).collect(),
            Located::Outside { .. } => return Err(ApiError::new(ErrorCode::OutsideTerritory)),
        },
        (None, Some(code)) => {
            let u = t
                .get(code)
                .filter(|u| !u.retired)
                .ok_or_else(|| ApiError::invalid("unit", format!("unknown unit {code}")))?;
            std::iter::once(u).chain(t.ancestors(code)).collect()
        }
        (None, None) => return Err(ApiError::invalid("location", "required")),
    };
    let codes: Vec<String> = chain.iter().map(|u| u.code.clone()).collect();
    authz::decide(
        Some(&actor),
        Action::OpenDispute,
        &Target {
            unit_chain: &codes,
            owner: resident.then_some(actor.user_id),
            ..Target::default()
        },
    )?;
    if let Some(appeal) = new.appeal_id {
        // Converting an appeal needs the right to handle it.
        let a = state
            .store
            .appeal(appeal)
            .await
            .map_err(|_| ApiError::invalid("appeal_id", "no such appeal"))?;
        let departments = state.departments().await?;
        let place = crate::ops::appeals::Placement::of(&a, t, &departments);
        authz::decide(Some(&actor), Action::HandleAppeal, &place.target(None))?;
    }
    let orgs = state.store.mediation_orgs().await?;
    let holder = match b.org.as_deref() {
        Some(code) => orgs
            .iter()
            .find(|o| o.code == code && codes.contains(&o.unit))
            .ok_or_else(|| {
                ApiError::invalid("org", "no such organisation covering the location")
            })?,
        None => choose(
            &CaseShape {
                dispute_type,
                location_chain: &codes,
                amount_fen: new.amount_fen,
                parties: new.parties.len(),
            },
            &orgs,
            t,
        )
        .ok_or_else(|| {
            ApiError::invalid("location", "no mediation organisation covers this location")
        })?,
    };
    let ctx = caller.ctx(state);
    let now = ctx.now_micros;
    let record = StoredDispute {
        id: 0,
        dispute_type,
        source,
        facts: new.facts.clone(),
        claims: new.claims.clone(),
        amount_fen: new.amount_fen,
        point: new.point,
        address: new.address.clone(),
        units: levels(&chain),
        appeal_id: new.appeal_id,
        court: new.court.clone(),
        org_level: org_level(&holder.code, t, &orgs),
        state: Dispute::new(0, source, holder.code.clone(), &new.sides(), now),
        entered_by: Some(actor.user_id),
    };
    let entry = DisputeEntry {
        at: now,
        action: "dispute.open".into(),
        public: true,
        actor_id: ctx.actor_id,
        actor: ctx.actor.clone(),
        role: ctx.role.clone(),
        note: None,
    };
    let mut tx = state.store.write().await?;
    let id = tx.open_dispute(&ctx, &record, &new.parties, &entry).await?;
    if let Some(appeal) = new.appeal_id {
        tx.note_appeal_converted(&ctx, appeal, id).await?;
    }
    let mut opened = record;
    opened.id = id;
    opened.state.id = id;
    // The risk rules see the case as opened (many parties, arrears before a holiday).
    let opened = settle_risk(state, &mut tx, &ctx, &[], opened, &orgs).await?;
    tx.commit().await?;
    let place = Placement::of(&opened, t, &orgs);
    let mut body = super::views::summary(&opened, &place, t, false);
    body["id"] = json!(id);
    Ok(body)
}
