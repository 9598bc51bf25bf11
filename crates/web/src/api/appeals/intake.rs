//! `POST /api/v1/appeals`: check → locate → route → save (group commit).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Role;
use grassroots_core::appeals::intake::{self, Candidate, duplicate_suggestions, tracking_code};
use grassroots_core::appeals::{
    Appeal, CaseClocks, Channel, Handler, IntakeInput, NewAppeal, Place, due, route,
};
use grassroots_core::territory::{Level, Located, Territory, Unit};
use grassroots_store::{
    Intake, Notice, OutMessage, StepEffects, StoredAppeal, TimelineEntry, UnitLevels,
};
use jiff::Timestamp;
use rand::RngCore as _;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::views;
use crate::api::extract::Body;
use crate::api::openapi::schema::{ChannelName, DuplicateList, Submitted, UrgencyName};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::appeals::handler_level;
use crate::state::AppState;

/// Where: a point (`lon`, `lat`), or an address with the unit it is in.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = AppealLocationIn)]
pub struct LocationIn {
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub address: Option<String>,
    /// The unit of the address.
    pub unit: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = AppealContactIn)]
pub struct ContactIn {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// The submission as sent (the stable interface of the issue).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct Submission {
    /// A category code from `GET /api/v1/categories`.
    pub category: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub location: LocationIn,
    #[serde(default)]
    pub contact: ContactIn,
    /// Publish it (masked) on the public portal.
    #[serde(default)]
    pub publish: bool,
    #[schema(value_type = Option<UrgencyName>)]
    pub urgency: Option<String>,
    /// `web` or `api` for anyone; `hotline` for operators, `grid_patrol`
    /// for grid workers (`open311` only through Open311).
    #[schema(value_type = Option<ChannelName>)]
    pub channel: Option<String>,
    /// Resubmitting with the same key returns the first appeal (also the
    /// `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
    /// A grid worker settled it on the spot (就地解决), with a note.
    #[serde(default)]
    pub resolved_on_site: bool,
    pub note: Option<String>,
    /// Up to three photos, base64 (an on-site resolution needs one).
    #[serde(default)]
    pub photos: Vec<super::photos::PhotoIn>,
}

impl Submission {
    fn input(&self, header_key: Option<String>) -> IntakeInput {
        IntakeInput {
            category: self.category.clone(),
            description: self.description.clone(),
            lon: self.location.lon,
            lat: self.location.lat,
            address: self.location.address.clone(),
            unit: self.location.unit.clone(),
            contact_name: self.contact.name.clone(),
            contact_phone: self.contact.phone.clone(),
            publish: self.publish,
            urgency: self.urgency.clone(),
            channel: self.channel.clone(),
            idempotency_key: self.idempotency_key.clone().or(header_key),
        }
    }
}

/// Which channels a caller may use: residents and anonymous callers file
/// for themselves; a hotline call needs an operator; a patrol report, a
/// grid worker. Open311 has its own endpoint.
fn check_channel(caller: &Caller, channel: Channel, open311: bool) -> ApiResult<()> {
    let role = caller.actor.as_ref().map(|a| a.role);
    let ok = match channel {
        Channel::Web | Channel::Api => true,
        Channel::Hotline => role == Some(Role::HotlineOperator),
        Channel::GridPatrol => role == Some(Role::GridWorker),
        // Only through `/open311/v2/requests` with a valid key.
        Channel::Open311 => open311,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "channel",
            format!(
                "your account may not file through channel {}",
                channel.as_str()
            ),
        ))
    }
}

pub(crate) fn field_errors(errors: Vec<intake::FieldError>) -> ApiError {
    let first = errors.first().map(|e| e.field).unwrap_or("body");
    let detail = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.detail))
        .collect::<Vec<_>>()
        .join("; ");
    let mut err = ApiError::invalid(first, detail);
    err.data = Some(json!({ "fields": errors }));
    err
}

/// The unit of the place, with its ancestors (deepest first).
fn locate<'a>(
    t: &'a Territory,
    atlas: &'a grassroots_core::territory::Atlas,
    place: &Place,
) -> ApiResult<Vec<&'a Unit>> {
    match place {
        Place::Point { lon, lat } => match atlas.locate(*lon, *lat) {
            Located::Inside { unit, ancestors } => {
                Ok(std::iter::once(unit).chain(ancestors).collect())
            }
            Located::Outside { nearest } => {
                let mut err = ApiError::with_detail(
                    ErrorCode::OutsideTerritory,
                    match nearest {
                        Some(n) => {
                            format!("the point is outside the territory; nearest is {}", n.name)
                        }
                        None => "the point is outside the territory".into(),
                    },
                );
                err.field = Some("location".into());
                err.data = nearest.map(|n| {
                    json!({"nearest": {"code": n.code, "name": n.name, "name_en": n.name_en, "level": n.level}})
                });
                Err(err)
            }
        },
        Place::Address { unit, .. } => {
            let u = t
                .get(unit)
                .filter(|u| !u.retired)
                .ok_or_else(|| ApiError::invalid("unit", format!("unknown unit {unit}")))?;
            Ok(std::iter::once(u).chain(t.ancestors(unit)).collect())
        }
    }
}

/// A location chain (deepest first) as the unit and its levels, for storage.
pub(crate) fn levels(chain: &[&Unit]) -> UnitLevels {
    let at = |l: Level| chain.iter().find(|u| u.level == l).map(|u| u.code.clone());
    UnitLevels {
        unit: chain.first().map(|u| u.code.clone()),
        district: at(Level::District),
        street: at(Level::Street),
        community: at(Level::Community),
        grid: at(Level::Grid),
    }
}

fn fingerprint(n: &NewAppeal, photos: &[grassroots_store::NewPhoto]) -> String {
    let place = match &n.place {
        Some(Place::Point { lon, lat }) => format!("p:{lon}:{lat}"),
        Some(Place::Address { text, unit }) => format!("a:{text}:{unit}"),
        None => String::new(),
    };
    let canonical = json!([
        n.category,
        n.description,
        place,
        n.contact_name,
        n.contact_phone,
        n.publish,
        n.urgency.as_str(),
        n.channel.as_str(),
        photos.iter().map(|p| p.sha256.as_str()).collect::<Vec<_>>()
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// File an appeal (anyone; staff for a caller)
///
/// Checked, located, routed and saved. A resubmission with the same
/// idempotency key answers 200 with the first appeal. Anonymous callers
/// and residents are limited per hour.
#[utoipa::path(
    post,
    path = "/api/v1/appeals",
    tag = "appeals",
    params(("idempotency-key" = Option<String>, Header, description = "Resubmitting with the same key returns the first appeal")),
    request_body = Submission,
    responses(
        (status = 201, description = "Filed", body = Submitted),
        (status = 200, description = "Already filed with this idempotency key", body = Submitted),
    ),
    extensions(("x-error-codes" = json!(["invalid_input", "outside_territory", "conflict", "rate_limited", "payload_too_large", "unsupported_media_type"])))
)]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Body(body): Body<Submission>,
) -> ApiResult<Response> {
    let header_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    crate::api::count_submission(&state, crate::api::submitter(&caller, &extensions))?;
    let (status, view) = file(&state, &caller, header_key, body, false).await?;
    Ok((status, Json(view)).into_response())
}

/// The one intake path of every channel: check, locate, route, save. `open311`
/// is set only by the Open311 endpoint, after it has checked the client's key.
pub async fn file(
    state: &AppState,
    caller: &Caller,
    header_key: Option<String>,
    body: Submission,
    open311: bool,
) -> ApiResult<(StatusCode, Value)> {
    let new = intake::check(&body.input(header_key), &state.taxonomy()).map_err(field_errors)?;
    check_channel(caller, new.channel, open311)?;
    if body.resolved_on_site && new.channel != Channel::GridPatrol {
        return Err(ApiError::invalid(
            "resolved_on_site",
            "only a grid worker's patrol report can be resolved on site",
        ));
    }
    let note = body
        .note
        .as_deref()
        .map(intake::plain_text)
        .filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::invalid("note", "at most 500 characters"));
    }
    let purpose = if body.resolved_on_site {
        "on_site"
    } else {
        "intake"
    };
    let photos = super::photos::intake_photos(&body.photos, purpose)?;
    if body.resolved_on_site && (note.is_none() || photos.is_empty()) {
        return Err(ApiError::invalid(
            if note.is_none() { "note" } else { "photos" },
            "an on-site resolution needs a note and a photo of the result",
        ));
    }
    let category = state
        .taxonomy()
        .get(&new.category)
        .ok_or_else(|| ApiError::invalid("category", "unknown category"))?
        .clone();
    let atlas = state.atlas();
    let t = atlas.territory();
    let chain = match &new.place {
        Some(place) => locate(t, &atlas, place)?,
        None => Vec::new(),
    };
    // A patrol report is filed from the grid worker's own grid.
    let grid_worker_grid = match (&caller.actor, new.channel) {
        (Some(a), Channel::GridPatrol) => a.scope.unit().map(str::to_owned),
        _ => None,
    };
    let departments = state.departments().await?;
    let routed = if body.resolved_on_site {
        let grid = levels(&chain).grid.or(grid_worker_grid).ok_or_else(|| {
            ApiError::invalid(
                "location",
                "an on-site resolution needs a location in a grid",
            )
        })?;
        Some((Handler::Unit(grid), "resolved_on_site"))
    } else {
        route(&category, &chain, &departments).map(|r| (r.handler, r.rule))
    };
    let now = state.now_micros();
    let received = Timestamp::from_microsecond(now).map_err(ApiError::internal)?;
    let limit = state
        .taxonomy()
        .limits()
        .get(category.effective_class(new.urgency));
    let d = due(&state.calendar(), &limit, received);
    let handler = routed.as_ref().map(|(h, _)| h.clone());
    let workflow = match (&handler, body.resolved_on_site) {
        (Some(h), true) => Appeal::resolved_on_site(0, h.clone()),
        _ => Appeal::new(0, handler.clone()),
    };
    let micros = |t: Timestamp| t.as_microsecond();
    let clocks = CaseClocks::at_intake(
        now,
        micros(d.sign_by),
        micros(d.reply_by),
        workflow.status,
        &limit,
        &state.calendar(),
    );
    let ctx = caller.ctx(state);
    let (requester_id, entered_by) = match &caller.actor {
        Some(a) if a.role == Role::Resident => (Some(a.user_id), None),
        Some(a) => (None, Some(a.user_id)),
        None => (None, None),
    };
    let appeal = StoredAppeal {
        id: 0,
        tracking_code: tracking_code(rand::rng().next_u64()),
        category: category.code.clone(),
        category_group: category.group.clone(),
        description: new.description.clone(),
        point: match &new.place {
            Some(Place::Point { lon, lat }) => Some((*lon, *lat)),
            _ => None,
        },
        address: match &new.place {
            Some(Place::Address { text, .. }) => Some(text.clone()),
            _ => None,
        },
        units: levels(&chain),
        contact_name: new.contact_name.clone(),
        contact_phone: new.contact_phone.clone(),
        publish: new.publish,
        urgency: new.urgency,
        channel: new.channel,
        requester_id,
        entered_by,
        time_limit: limit,
        route_rule: routed.as_ref().map(|(_, r)| (*r).to_owned()),
        handler_level: handler_level(t, handler.as_ref()),
        state: workflow,
        requesters: 1,
        clocks,
        reply_text: body.resolved_on_site.then(|| note.clone()).flatten(),
        rating: None,
    };
    let entry = |action: &str, note: Option<String>| TimelineEntry {
        at: now,
        action: action.to_owned(),
        public: true,
        actor_id: ctx.actor_id,
        actor: ctx.actor.clone(),
        role: ctx.role.clone(),
        unit: ctx.unit.clone(),
        handler: handler.clone(),
        note,
    };
    let mut timeline = vec![entry("appeal.submit", None)];
    let mut effects = StepEffects::default();
    if body.resolved_on_site {
        timeline.push(entry("appeal.resolved_on_site", note.clone()));
    } else if let Some((h, rule)) = &routed {
        // Routing is the platform's, not the submitter's, doing.
        timeline.push(TimelineEntry {
            actor_id: None,
            actor: "system".into(),
            role: "system".into(),
            unit: None,
            ..entry("appeal.dispatch", Some(format!("route:{rule}")))
        });
        effects.notices.push(Notice {
            to: h.clone(),
            kind: "new",
        });
    }
    let scope = match &caller.actor {
        Some(a) => format!("user:{}", a.user_id),
        None => "anon".to_owned(),
    };
    let idempotency_key = new.idempotency_key.as_ref().map(|k| format!("{scope}:{k}"));
    if let Some(phone) = &new.contact_phone {
        effects.messages.push(OutMessage {
            // The tracking code is unique, so this is once per appeal.
            dedupe_key: format!("appeal:{}:received", appeal.tracking_code),
            channel: "sms",
            destination: phone.clone(),
            template: "appeal_received",
            params: json!({"tracking_code": appeal.tracking_code}),
        });
    }
    let submitted = state
        .intake
        .submit(Intake {
            ctx,
            appeal: appeal.clone(),
            idempotency_key,
            idempotency_hash: Some(fingerprint(&new, &photos)),
            timeline,
            effects,
            photos,
        })
        .await?;
    let (status, saved) = if submitted.created {
        (
            StatusCode::CREATED,
            StoredAppeal {
                id: submitted.id,
                ..appeal
            },
        )
    } else {
        (StatusCode::OK, state.store.appeal(submitted.id).await?)
    };
    let mut view = views::receipt(state, &saved, &departments);
    if submitted.created
        && caller
            .actor
            .as_ref()
            .is_some_and(|a| grassroots_core::authz::works_appeals(a.role))
        && let Some(point) = saved.point
    {
        let dups = duplicates(state, &saved.category, point, saved.id).await?;
        view["possible_duplicates"] = json!(dups);
    }
    Ok((status, view))
}

/// Radius and window of duplicate suggestions.
const DUPLICATE_RADIUS_M: f64 = 300.0;
const DUPLICATE_WINDOW_MICROS: i64 = 7 * 24 * 3_600_000_000;

/// Open appeals of the same category nearby, nearest first.
pub async fn duplicates(
    state: &AppState,
    category: &str,
    point: (f64, f64),
    except: i64,
) -> ApiResult<Vec<Value>> {
    let now = state.now_micros();
    // 300 m is well under 0.005° of latitude; longitude degrees are shorter.
    let near = state
        .store
        .nearby_open_appeals(category, point, 0.006, now - DUPLICATE_WINDOW_MICROS)
        .await?;
    let candidates: Vec<Candidate> = near
        .iter()
        .filter(|n| n.id != except)
        .map(|n| Candidate {
            id: n.id,
            category: n.category.clone(),
            point: n.point,
            received_at: n.received_at,
        })
        .collect();
    let found = duplicate_suggestions(
        category,
        point,
        now,
        &candidates,
        DUPLICATE_RADIUS_M,
        DUPLICATE_WINDOW_MICROS,
    );
    Ok(found
        .into_iter()
        .take(10)
        .map(|(id, d)| json!({"id": id, "distance_m": d.round()}))
        .collect())
}

/// Open appeals of a category near a point, nearest first (staff)
#[utoipa::path(
    get,
    path = "/api/v1/appeals/duplicates",
    tag = "appeals",
    params(
        ("category" = String, Query, description = "A category code"),
        ("lon" = f64, Query, description = "Longitude"),
        ("lat" = f64, Query, description = "Latitude"),
    ),
    responses((status = 200, body = DuplicateList)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden"])))
)]
pub async fn duplicate_check(
    State(state): State<AppState>,
    caller: Caller,
    params: crate::api::extract::Params,
) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    if !grassroots_core::authz::works_appeals(actor.role) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let category = params
        .text("category")
        .ok_or_else(|| ApiError::invalid("category", "required"))?;
    if state.taxonomy().get(category).is_none() {
        return Err(ApiError::invalid("category", "unknown category"));
    }
    let point = (params.required_f64("lon")?, params.required_f64("lat")?);
    let found = duplicates(&state, category, point, 0).await?;
    Ok(Json(json!({ "items": found })))
}
