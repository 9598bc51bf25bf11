//! The territory pages: the units on a map drawn on the server (city →
//! district → street → community → grid, a click goes one level down), a
//! unit's details and its children; the import of a GeoJSON file (uploaded,
//! all or nothing, a refused file named feature by feature and nothing
//! changed; a dry run checks only); retiring a unit after a confirmation.
//! Changes go through `ops::territory` — the operations of
//! `POST /api/v1/territory/import` and `…/units/{code}/retire` — so they are
//! authorized, validated and audited exactly as the API's.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use grassroots_core::ErrorCode;
use grassroots_core::territory::import::FieldMap;
use grassroots_core::territory::{Level, Territory, Unit};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::csrf::encode_component;
use super::super::page::{Ui, UiError, UiResult, form_status};
use super::{admin, field_message, nonempty, pick};
use crate::error::ApiError;
use crate::i18n::{Lang, catalogue};
use crate::ops::territory as ops;
use crate::state::AppState;

use ops::IMPORT_BODY_LIMIT;

/// The most codes a dry run lists.
const LISTED_CODES: usize = 200;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/territory", get(territory))
        .route(
            "/admin/territory/import",
            get(import_page)
                .post(import)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/admin/territory/{code}/retire",
            get(retire_page).post(retire),
        )
}

fn brief(u: &Unit, lang: Lang) -> Value {
    json!({"code": u.code, "name": pick(lang, &u.name, &u.name_en), "level": u.level.as_str()})
}

/// The unit's facts as the page lays them out.
fn details(t: &Territory, u: &Unit, lang: Lang) -> Value {
    let (live, retired) = t.children(&u.code).fold((0u64, 0u64), |(l, r), c| {
        if c.retired { (l, r + 1) } else { (l + 1, r) }
    });
    json!({
        "code": u.code,
        "name": u.name,
        "name_en": u.name_en,
        "shown": pick(lang, &u.name, &u.name_en),
        "level": u.level.as_str(),
        "parent": u.parent.as_deref().and_then(|p| t.get(p)).map(|p| brief(p, lang)),
        "households": u.households,
        "label": u.label.map(|p| format!("{:.6}, {:.6}", p.x(), p.y())),
        "has_boundary": u.boundary.is_some(),
        "retired": u.retired,
        "live_children": live,
        "retired_children": retired,
    })
}

#[derive(Debug, Default, Deserialize)]
struct TerritoryQuery {
    unit: Option<String>,
    imported: Option<String>,
    retired: Option<String>,
}

/// `GET /admin/territory[?unit=CODE]`: the map of the unit's live children
/// (the roots without a unit; the unit itself when it has none), each a link
/// one level down; the unit's details, its children (retired ones too).
async fn territory(
    State(state): State<AppState>,
    ui: Ui,
    Query(q): Query<TerritoryQuery>,
) -> UiResult {
    admin(&state, &ui)?;
    let lang = ui.lang();
    let atlas = state.atlas();
    let t = atlas.territory();
    let asked = nonempty(&q.unit);
    let roots: Vec<&Unit> = t.roots().collect();
    let unit: Option<&Unit> = match &asked {
        Some(code) => Some(
            t.get(code)
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?,
        ),
        None if roots.len() == 1 => roots.first().copied(),
        None => None,
    };
    let below: Vec<&Unit> = match unit {
        Some(u) => t.children(&u.code).collect(),
        None => roots.clone(),
    };
    let live: Vec<&Unit> = below.iter().copied().filter(|c| !c.retired).collect();
    let drawn: Vec<(&Unit, f64)> = if live.is_empty() {
        unit.map(|u| vec![(u, 0.0)]).unwrap_or_default()
    } else {
        live.iter().map(|c| (*c, 0.0)).collect()
    };
    let map = super::super::svg::unit_map(&drawn, lang, |c| {
        (!live.is_empty()).then(|| format!("/admin/territory?unit={}", encode_component(&c.code)))
    });
    let children: Vec<Value> = below
        .iter()
        .map(|c| {
            let mut v = brief(c, lang);
            v["households"] = json!(c.households);
            v["retired"] = json!(c.retired);
            v["children"] = json!(t.children(&c.code).filter(|g| !g.retired).count());
            v
        })
        .collect();
    let breadcrumb: Vec<Value> = unit
        .map(|u| {
            t.ancestors(&u.code)
                .into_iter()
                .rev()
                .map(|a| brief(a, lang))
                .collect()
        })
        .unwrap_or_default();
    let imported = q.imported.as_deref().and_then(|n| n.parse::<u64>().ok());
    ui.render(
        "admin_territory.html",
        json!({
            "unit": unit.map(|u| details(t, u, lang)),
            "breadcrumb": breadcrumb,
            "map": map,
            "children": children,
            "child_level": below.first().map(|c| c.level.as_str()),
            "units_total": t.len(),
            "imported": imported,
            "retired_done": q.retired.is_some() && unit.is_some_and(|u| u.retired),
            "asked": asked,
        }),
    )
}

// ---------------------------------------------------------------- import

/// The form's field sources, as typed (empty: the default property).
const MAP_FIELDS: [&str; 7] = [
    "code",
    "name",
    "name_en",
    "level",
    "parent_code",
    "label",
    "households",
];

fn default_source(field: &str) -> String {
    let d = FieldMap::default();
    match field {
        "code" => d.code,
        "name" => d.name,
        "name_en" => d.name_en,
        "level" => d.level,
        "parent_code" => d.parent_code,
        "label" => d.label,
        _ => d.households,
    }
}

/// The import form's context: the sources (typed or default), fixed values.
fn import_form(fields: &HashMap<String, String>) -> Value {
    let mut sources = serde_json::Map::new();
    for f in MAP_FIELDS {
        let typed = fields
            .get(&format!("map_{f}"))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        sources.insert(f.into(), json!(typed.unwrap_or_else(|| default_source(f))));
    }
    let get = |k: &str| fields.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    json!({
        "map": sources,
        "set_level": get("set_level"),
        "set_parent_code": get("set_parent_code"),
        "dry_run": fields.contains_key("dry_run"),
    })
}

async fn import_page(State(state): State<AppState>, ui: Ui) -> UiResult {
    ui.require()?;
    ops::authorize_import(&state, &ui.caller)?;
    render_import(
        &ui,
        StatusCode::OK,
        &HashMap::new(),
        json!({}),
        Value::Null,
        Value::Null,
    )
}

fn render_import(
    ui: &Ui,
    status: StatusCode,
    fields: &HashMap<String, String>,
    errors: Value,
    rejected: Value,
    checked: Value,
) -> UiResult {
    let levels: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
    ui.render_status(
        status,
        "admin_territory_import.html",
        json!({
            "form": import_form(fields),
            "map_fields": MAP_FIELDS,
            "levels": levels,
            "errors": errors,
            "rejected": rejected,
            "checked": checked,
            "limit_mb": IMPORT_BODY_LIMIT / (1024 * 1024),
        }),
    )
}

/// The multipart form: its text fields and the uploaded file's bytes.
async fn read_form(
    mut mp: Multipart,
) -> Result<(HashMap<String, String>, Option<Vec<u8>>), UiError> {
    let mut fields = HashMap::new();
    let mut file = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::PayloadTooLarge
        } else {
            ErrorCode::MalformedRequest
        };
        UiError::Api(ApiError::with_detail(code, e.body_text()))
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() {
                file = Some(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(bad)?;
            fields.insert(name, text);
        }
    }
    Ok((fields, file))
}

/// A refused file, said in the page's language: which feature (1-based, and
/// its index in `features`), its code, what is wrong, and the detail.
fn rejection(ui: &Ui, e: &ApiError) -> Value {
    let data = e.data.clone().unwrap_or(Value::Null);
    let problem = data["problem"].as_str().unwrap_or("malformed");
    let key = format!("admin-import-problem-{problem}");
    let what = if catalogue().has(ui.lang(), &key) {
        ui.t(&key)
    } else {
        problem.to_owned()
    };
    let feature = data["feature"].as_u64();
    let at = feature.map(|i| {
        catalogue().message(
            ui.lang(),
            "admin-import-feature",
            &[("n", &(i + 1).to_string()), ("index", &i.to_string())],
        )
    });
    json!({
        "at": at,
        "code": data["code"],
        "problem": problem,
        "what": what,
        "detail": data["detail"].as_str().or(e.detail.as_deref()),
    })
}

/// `POST /admin/territory/import`: the uploaded file through the API's
/// import (`ops::territory::import`), with the field map of the form.
async fn import(State(state): State<AppState>, ui: Ui, mp: Multipart) -> UiResult {
    // The token is in the body; who may import is known without it, so a
    // caller who may not is refused before a large upload is read.
    ui.require()?;
    ops::authorize_import(&state, &ui.caller)?;
    let (fields, file) = read_form(mp).await?;
    ui.check(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let refuse = |field: &str, key: &str| {
        render_import(
            &ui,
            StatusCode::UNPROCESSABLE_ENTITY,
            &fields,
            json!({ field: ui.t(key) }),
            Value::Null,
            Value::Null,
        )
    };
    let Some(bytes) = file else {
        return refuse("file", "admin-import-file-missing");
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return refuse("file", "admin-import-file-not-text");
    };
    let mut map = FieldMap::default();
    for f in MAP_FIELDS {
        if let Some(v) = fields
            .get(&format!("map_{f}"))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let slot = match f {
                "code" => &mut map.code,
                "name" => &mut map.name,
                "name_en" => &mut map.name_en,
                "level" => &mut map.level,
                "parent_code" => &mut map.parent_code,
                "label" => &mut map.label,
                _ => &mut map.households,
            };
            *slot = v.to_owned();
        }
    }
    for (key, field) in [("set_level", "level"), ("set_parent_code", "parent_code")] {
        if let Some(v) = fields.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            map.fixed.insert(field.to_owned(), v.to_owned());
        }
    }
    let dry_run = fields.contains_key("dry_run");
    match ops::import(&state, &ui.caller, text, map, dry_run).await {
        Ok(report) if dry_run => {
            let codes: Vec<&String> = report.codes.iter().take(LISTED_CODES).collect();
            let checked = json!({
                "n": report.imported,
                "codes": codes,
                "more": report.codes.len().saturating_sub(LISTED_CODES),
            });
            render_import(
                &ui,
                StatusCode::OK,
                &fields,
                json!({}),
                Value::Null,
                checked,
            )
        }
        Ok(report) => {
            // Back to the map where the new units are: the parent of the first.
            let atlas = state.atlas();
            let first = report.codes.first().and_then(|c| atlas.territory().get(c));
            let at = first
                .map(|u| u.parent.clone().unwrap_or_else(|| u.code.clone()))
                .map(|c| format!("unit={}&", encode_component(&c)))
                .unwrap_or_default();
            ui.redirect(&format!(
                "/admin/territory?{at}imported={}",
                report.imported
            ))
        }
        Err(e) if e.code == ErrorCode::ImportRejected => {
            let rejected = rejection(&ui, &e);
            render_import(
                &ui,
                StatusCode::UNPROCESSABLE_ENTITY,
                &fields,
                json!({}),
                rejected,
                Value::Null,
            )
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- retire

#[derive(Debug, Default, Deserialize)]
struct RetireForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `GET /admin/territory/{code}/retire`: what retiring means, and the form
/// that does it (nothing changes until it is posted).
async fn retire_page(State(state): State<AppState>, ui: Ui, Path(code): Path<String>) -> UiResult {
    admin(&state, &ui)?;
    render_retire(&state, &ui, &code, StatusCode::OK, "", json!({}))
}

fn render_retire(
    state: &AppState,
    ui: &Ui,
    code: &str,
    status: StatusCode,
    reason: &str,
    errors: Value,
) -> UiResult {
    let atlas = state.atlas();
    let t = atlas.territory();
    let u = t
        .get(code)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    let breadcrumb: Vec<Value> = t
        .ancestors(code)
        .into_iter()
        .rev()
        .map(|a| brief(a, ui.lang()))
        .collect();
    ui.render_status(
        status,
        "admin_territory_retire.html",
        json!({
            "unit": details(t, u, ui.lang()),
            "breadcrumb": breadcrumb,
            "reason": reason,
            "errors": errors,
        }),
    )
}

/// `POST /admin/territory/{code}/retire`: as the API's retire, with the
/// reason on the audit event.
async fn retire(
    State(state): State<AppState>,
    ui: Ui,
    Path(code): Path<String>,
    Form(f): Form<RetireForm>,
) -> UiResult {
    ui.check(&f.csrf)?;
    admin(&state, &ui)?;
    match ops::retire(&state, &ui.caller, &code, &f.reason).await {
        Ok(()) => ui.redirect(&format!(
            "/admin/territory?unit={}&retired=1",
            encode_component(&code)
        )),
        Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::Conflict) => {
            let field = if e.code == ErrorCode::Conflict {
                "form".to_owned()
            } else {
                e.field.clone().unwrap_or_else(|| "form".into())
            };
            let message = if e.code == ErrorCode::Conflict {
                ui.t("admin-retire-already")
            } else {
                field_message(&ui, &field, &e)
            };
            render_retire(
                &state,
                &ui,
                &code,
                form_status(&e),
                &f.reason,
                json!({ field: message }),
            )
        }
        Err(e) => Err(e.into()),
    }
}
