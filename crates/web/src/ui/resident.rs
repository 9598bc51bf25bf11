//! The resident's pages: submit an appeal (category search, a point on the
//! city map or an address, photos, publish or not, nearby duplicates shown
//! first), track it by code, rate or withdraw it, and "my appeals".

use std::collections::HashMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use base64::Engine as _;
use grassroots_core::ErrorCode;
use grassroots_core::appeals::Satisfaction;
use grassroots_core::territory::Level;
use grassroots_store::AppealFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::page::{CsrfForm, Ui, UiError, UiResult};
use crate::api::appeals::intake::{ContactIn, LocationIn, Submission, duplicates, file};
use crate::api::appeals::photos::PhotoIn;
use crate::api::appeals::{by_code, requester_ctx, views};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::ops::appeals::{Acting, act};
use crate::state::AppState;

/// Three photos of up to the accepted size, and the form's text.
const SUBMIT_BODY_LIMIT: usize = grassroots_core::appeals::photo::MAX_PHOTO_BYTES
    * grassroots_core::appeals::photo::MAX_PHOTOS_AT_INTAKE
    + 256 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/submit",
            get(submit_page)
                .post(submit)
                .layer(DefaultBodyLimit::max(SUBMIT_BODY_LIMIT)),
        )
        .route("/track", get(track_lookup))
        .route("/track/{code}", get(track))
        .route("/track/{code}/rate", post(rate))
        .route("/track/{code}/withdraw", post(withdraw))
        .route("/track/{code}/unpublish", post(unpublish))
        .route("/my", get(my))
}

/// The category picker's groups, in the page's language.
fn category_groups(state: &AppState, lang: Lang) -> Value {
    let t = state.taxonomy();
    let mut groups: Vec<(String, String, Vec<Value>)> = Vec::new();
    for c in t.categories() {
        let (gname, name) = match (t.group(&c.group), lang) {
            (Some(g), Lang::En) => (g.name_en.clone(), c.name_en.clone()),
            (Some(g), Lang::ZhCn) => (g.name.clone(), c.name.clone()),
            (None, Lang::En) => (c.group.clone(), c.name_en.clone()),
            (None, Lang::ZhCn) => (c.group.clone(), c.name.clone()),
        };
        let item = json!({"code": c.code, "name": name, "needs_location": c.needs_location});
        match groups.iter_mut().find(|g| g.0 == c.group) {
            Some(g) => g.2.push(item),
            None => groups.push((c.group.clone(), gname, vec![item])),
        }
    }
    json!(
        groups
            .into_iter()
            .map(|(code, name, items)| json!({"code": code, "name": name, "items": items}))
            .collect::<Vec<_>>()
    )
}

/// The city map (streets) to click a location on, and the communities to
/// pick for an address.
fn location_choices(state: &AppState, lang: Lang) -> (Value, Value) {
    let atlas = state.atlas();
    let t = atlas.territory();
    let streets: Vec<_> = t
        .units()
        .iter()
        .filter(|u| u.level == Level::Street && !u.retired)
        .map(|u| (u, 0.0))
        .collect();
    let map = super::svg::unit_map(&streets, lang, |_| None);
    let name = |u: &grassroots_core::territory::Unit| match lang {
        Lang::En => u.name_en.clone(),
        Lang::ZhCn => u.name.clone(),
    };
    let communities: Vec<Value> = streets
        .iter()
        .map(|(s, _)| {
            let items: Vec<Value> = t
                .children(&s.code)
                .filter(|c| c.level == Level::Community && !c.retired)
                .map(|c| json!({"code": c.code, "name": name(c)}))
                .collect();
            json!({"name": name(s), "items": items})
        })
        .collect();
    (map, json!(communities))
}

async fn submit_page(State(state): State<AppState>, ui: Ui) -> UiResult {
    submit_form(
        &state,
        &ui,
        StatusCode::OK,
        json!({"publish": true}),
        json!({}),
        json!({}),
    )
}

fn submit_form(
    state: &AppState,
    ui: &Ui,
    status: StatusCode,
    form: Value,
    errors: Value,
    hints: Value,
) -> UiResult {
    let (map, communities) = location_choices(state, ui.lang());
    ui.render_status(
        status,
        "submit.html",
        json!({
            "groups": category_groups(state, ui.lang()),
            "map": map,
            "communities": communities,
            "form": form,
            "errors": errors,
            "duplicates": hints["duplicates"],
            "history": hints["history"],
            "channels": channel_choices(ui),
        }),
    )
}

/// Staff filing for someone else pick the channel it came through.
fn channel_choices(ui: &Ui) -> Value {
    use grassroots_core::accounts::Role;
    match ui.actor().map(|a| a.role) {
        Some(Role::HotlineOperator) => json!(["hotline"]),
        Some(Role::GridWorker) => json!(["grid_patrol"]),
        _ => json!([]),
    }
}

/// A multipart form: its text fields and its files.
async fn read_multipart(
    mut mp: Multipart,
) -> Result<(HashMap<String, String>, Vec<Vec<u8>>), UiError> {
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    let bad = |e: axum::extract::multipart::MultipartError| {
        UiError::Api(ApiError::with_detail(
            ErrorCode::MalformedRequest,
            e.body_text(),
        ))
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photos" {
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() {
                files.push(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(bad)?;
            fields.insert(name, text);
        }
    }
    Ok((fields, files))
}

fn number(fields: &HashMap<String, String>, key: &str) -> Option<f64> {
    fields
        .get(key)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse::<f64>().ok())
}

fn text(fields: &HashMap<String, String>, key: &str) -> Option<String> {
    fields
        .get(key)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The messages of a refused submission, by field, in the page's language.
pub(super) fn field_messages(ui: &Ui, e: &ApiError) -> Value {
    let mut out = serde_json::Map::new();
    let fields = e
        .data
        .as_ref()
        .and_then(|d| d.get("fields"))
        .and_then(Value::as_array);
    let translate = |problem: &str, detail: &str| {
        let key = format!("form-{problem}");
        if crate::i18n::catalogue().has(ui.lang(), &key) {
            ui.t(&key)
        } else {
            detail.to_owned()
        }
    };
    match fields {
        Some(list) => {
            for f in list {
                let field = f["field"].as_str().unwrap_or("form");
                let field = if field == "lon" || field == "lat" {
                    "location"
                } else {
                    field
                };
                out.entry(field.to_owned()).or_insert_with(|| {
                    json!(translate(
                        f["problem"].as_str().unwrap_or(""),
                        f["detail"].as_str().unwrap_or("")
                    ))
                });
            }
        }
        None => {
            let body = e.body(crate::i18n::catalogue(), ui.lang(), None);
            let field = e.field.clone().unwrap_or_else(|| "form".into());
            let field = if field == "unit" {
                "address".to_owned()
            } else {
                field
            };
            out.insert(field, body["error"]["message"].clone());
        }
    }
    Value::Object(out)
}

async fn submit(State(state): State<AppState>, ui: Ui, mp: Multipart) -> UiResult {
    let (fields, files) = read_multipart(mp).await?;
    ui.check(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let form = json!({
        "category": text(&fields, "category"),
        "description": text(&fields, "description"),
        "lon": text(&fields, "lon"),
        "lat": text(&fields, "lat"),
        "address": text(&fields, "address"),
        "unit": text(&fields, "unit"),
        "name": text(&fields, "name"),
        "phone": text(&fields, "phone"),
        "publish": fields.contains_key("publish"),
        "channel": text(&fields, "channel"),
        "confirmed": fields.contains_key("confirmed"),
        "resolved_on_site": fields.contains_key("resolved_on_site"),
        "note": text(&fields, "note"),
    });
    let point = number(&fields, "lon").zip(number(&fields, "lat"));
    let category = text(&fields, "category");
    // Before filing, show open appeals of the same kind nearby (the problem
    // may already be in hand) and, to a hotline operator, what else came from
    // the place lately (a caller often rings about the same thing again).
    if !fields.contains_key("confirmed") {
        let hints = hints(
            &state,
            &ui,
            point,
            category.as_deref(),
            text(&fields, "unit"),
        )
        .await?;
        if hints["duplicates"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
            || hints["history"].as_array().is_some_and(|h| !h.is_empty())
        {
            let mut form = form;
            form["confirmed"] = json!(true);
            return submit_form(&state, &ui, StatusCode::OK, form, json!({}), hints);
        }
    }
    let photos = files
        .iter()
        .map(|b| PhotoIn {
            data: base64::engine::general_purpose::STANDARD.encode(b),
        })
        .collect();
    let body = Submission {
        category,
        description: text(&fields, "description"),
        location: LocationIn {
            lon: point.map(|p| p.0),
            lat: point.map(|p| p.1),
            address: if point.is_some() {
                None
            } else {
                text(&fields, "address")
            },
            unit: if point.is_some() {
                None
            } else {
                text(&fields, "unit")
            },
        },
        contact: ContactIn {
            name: text(&fields, "name"),
            phone: text(&fields, "phone"),
        },
        publish: fields.contains_key("publish"),
        channel: text(&fields, "channel"),
        idempotency_key: text(&fields, "idempotency_key"),
        photos,
        resolved_on_site: fields.contains_key("resolved_on_site"),
        note: text(&fields, "note"),
        ..Submission::default()
    };
    if let Err(e) = crate::api::count_submission(&state, submitter_key(&ui)) {
        return submit_form(
            &state,
            &ui,
            e.status(),
            form,
            field_messages(&ui, &e),
            json!({}),
        );
    }
    match file(&state, &ui.caller, None, body, false).await {
        Ok((_, receipt)) => ui.render_status(
            StatusCode::CREATED,
            "submitted.html",
            json!({"receipt": receipt}),
        ),
        Err(e) if e.status().is_client_error() => {
            let mut form = form;
            form["confirmed"] = json!(false);
            submit_form(
                &state,
                &ui,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                field_messages(&ui, &e),
                json!({}),
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// What to show before filing: open appeals of the same kind within 300 m,
/// and for a hotline operator the place's recent appeals of any kind (its
/// grid's for a point, its community's for an address).
async fn hints(
    state: &AppState,
    ui: &Ui,
    point: Option<(f64, f64)>,
    category: Option<&str>,
    unit: Option<String>,
) -> Result<Value, UiError> {
    let mut duplicates_shown = Vec::new();
    if let (Some((lon, lat)), Some(cat)) = (point, category)
        && state.taxonomy().get(cat).is_some()
    {
        for d in duplicates(state, cat, (lon, lat), 0).await?.iter().take(5) {
            let Some(id) = d["id"].as_i64() else { continue };
            let a = state.store.appeal(id).await?;
            duplicates_shown.push(json!({
                "distance_m": d["distance_m"],
                "status": a.state.status.as_str(),
                "received_at": views::time(a.clocks.received_at),
            }));
        }
    }
    let mut history = Vec::new();
    let hotline = ui
        .actor()
        .is_some_and(|a| a.role == grassroots_core::accounts::Role::HotlineOperator);
    let atlas = state.atlas();
    let place = match (point, unit) {
        (Some((lon, lat)), _) => match atlas.locate(lon, lat) {
            grassroots_core::territory::Located::Inside { unit, .. } => Some(unit),
            _ => None,
        },
        (None, Some(code)) => atlas.territory().get(&code),
        (None, None) => None,
    };
    if hotline && let Some(u) = place {
        let since = state.now_micros() - 90 * 86_400_000_000;
        let rows = state
            .store
            .appeals(&AppealFilter {
                located_in: Some((u.level, u.code.clone())),
                limit: 8,
                ..AppealFilter::default()
            })
            .await?;
        let departments = state.departments().await?;
        history = rows
            .iter()
            .filter(|a| a.clocks.received_at >= since)
            .map(|a| views::receipt(state, a, &departments))
            .collect();
    }
    Ok(json!({"duplicates": duplicates_shown, "history": history}))
}

/// The submission allowance is counted per account, or per address for
/// anonymous residents (the peer address is in the form's connection).
pub(super) fn submitter_key(ui: &Ui) -> Option<String> {
    use grassroots_core::accounts::Role;
    match ui.actor() {
        Some(a) if a.role == Role::Resident => Some(format!("user:{}", a.user_id)),
        Some(_) => None,
        None => ui.peer.clone().map(|ip| format!("addr:{ip}")),
    }
}

#[derive(Debug, Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

async fn track_lookup(ui: Ui, Query(q): Query<CodeQuery>) -> UiResult {
    match q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let code: String = code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            ui.redirect(&format!("/track/{code}"))
        }
        None => ui.render("track.html", json!({"appeal": null})),
    }
}

async fn track(State(state): State<AppState>, ui: Ui, Path(code): Path<String>) -> UiResult {
    track_page(&state, &ui, &code, StatusCode::OK, json!({})).await
}

async fn track_page(
    state: &AppState,
    ui: &Ui,
    code: &str,
    status: StatusCode,
    errors: Value,
) -> UiResult {
    let a = match by_code(state, code).await {
        Ok(a) => a,
        Err(e) if e.code == ErrorCode::NotFound => {
            return ui.render_status(
                StatusCode::NOT_FOUND,
                "track.html",
                json!({"appeal": null, "not_found": code}),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let timeline = state.store.timeline(a.id).await?;
    let departments = state.departments().await?;
    let mut view = views::public(state, &a, &departments, &timeline);
    let photos = state.store.appeal_photos(a.id).await?;
    view["photos"] = crate::api::appeals::photos::photo_list(
        &a,
        &photos,
        &format!("/api/v1/track/{}", a.tracking_code),
    );
    ui.render_status(
        status,
        "track.html",
        json!({
            "appeal": view,
            "can_rate": a.state.status == grassroots_core::appeals::Status::Replied,
            "can_withdraw": matches!(a.state.status,
                grassroots_core::appeals::Status::Submitted
                | grassroots_core::appeals::Status::Dispatched
                | grassroots_core::appeals::Status::InProgress),
            "errors": errors,
            "published": a.publish,
        }),
    )
}

#[derive(Debug, Deserialize)]
struct RateForm {
    #[serde(default)]
    csrf: String,
    resolved: Option<String>,
    satisfaction: Option<String>,
    comment: Option<String>,
    version: Option<i64>,
}

async fn rate(
    State(state): State<AppState>,
    ui: Ui,
    Path(code): Path<String>,
    Form(form): Form<RateForm>,
) -> UiResult {
    ui.check(&form.csrf)?;
    let satisfaction = match form.satisfaction.as_deref() {
        Some("satisfied") => Some(Satisfaction::Satisfied),
        Some("basically_satisfied") => Some(Satisfaction::BasicallySatisfied),
        Some("unsatisfied") => Some(Satisfaction::Unsatisfied),
        _ => None,
    };
    let resolved = match form.resolved.as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let (Some(satisfaction), Some(resolved)) = (satisfaction, resolved) else {
        let mut errors = serde_json::Map::new();
        if resolved.is_none() {
            errors.insert("resolved".into(), json!(ui.t("form-required")));
        }
        if satisfaction.is_none() {
            errors.insert("satisfaction".into(), json!(ui.t("form-required")));
        }
        return track_page(
            &state,
            &ui,
            &code,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.into(),
        )
        .await;
    };
    let command = grassroots_core::appeals::Command::Rate {
        resolved,
        satisfaction,
        comment: form
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
    };
    step_by_code(&state, &ui, &code, command, form.version).await
}

#[derive(Debug, Deserialize)]
struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    version: Option<i64>,
}

async fn withdraw(
    State(state): State<AppState>,
    ui: Ui,
    Path(code): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> UiResult {
    ui.check(&form.csrf)?;
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() {
        let errors = json!({"reason": ui.t("form-required")});
        return track_page(&state, &ui, &code, StatusCode::UNPROCESSABLE_ENTITY, errors).await;
    }
    let command = grassroots_core::appeals::Command::Withdraw { reason };
    step_by_code(&state, &ui, &code, command, form.version).await
}

/// The tracking code is the anonymous resident's credential for their own
/// rating or withdrawal, as in the API.
async fn step_by_code(
    state: &AppState,
    ui: &Ui,
    code: &str,
    command: grassroots_core::appeals::Command,
    version: Option<i64>,
) -> UiResult {
    let a = by_code(state, code).await?;
    let ctx = requester_ctx(state, &ui.caller);
    match act(state, &ctx, Acting::TrackingCode, a.id, command, version).await {
        Ok(_) => ui.redirect(&format!("/track/{}", a.tracking_code)),
        Err(e) if e.status().is_client_error() => {
            let body = e.body(crate::i18n::catalogue(), ui.lang(), None);
            let errors = json!({"form": body["error"]["message"]});
            track_page(state, ui, code, e.status(), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The resident takes their appeal off the public portal (the tracking code
/// is the credential, as for rating); audited.
async fn unpublish(
    State(state): State<AppState>,
    ui: Ui,
    Path(code): Path<String>,
    Form(form): Form<CsrfForm>,
) -> UiResult {
    ui.check(&form.csrf)?;
    let a = by_code(&state, &code).await?;
    let ctx = requester_ctx(&state, &ui.caller);
    state.store.unpublish_appeal(&ctx, a.id).await?;
    ui.redirect(&format!("/track/{}", a.tracking_code))
}

async fn my(State(state): State<AppState>, ui: Ui) -> UiResult {
    let actor = ui.require()?;
    let filter = AppealFilter {
        requester: Some(actor.user_id),
        limit: 100,
        ..AppealFilter::default()
    };
    let rows = state.store.appeals(&filter).await?;
    let departments = state.departments().await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|a| views::receipt(&state, a, &departments))
        .collect();
    ui.render("my.html", json!({"items": items}))
}
