use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::ErrorCode;
use grassroots_core::territory::import::FieldMap;
use grassroots_core::territory::{Level, Located, Territory, Unit};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::{Body, Params};
use super::openapi::schema::{
    FeatureCollection, ImportReport, LevelName, Located as LocatedView, Retired, Tree, UnitDetail,
    UnitList,
};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Lang, catalogue};
use crate::ops;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/territory/units", get(list_units))
        .route("/api/v1/territory/units/{code}", get(unit_detail))
        .route("/api/v1/territory/units/{code}/retire", post(retire_unit))
        .route("/api/v1/territory/tree", get(tree))
        .route("/api/v1/territory/lookup", get(lookup))
        .route(
            "/api/v1/territory/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(
                ops::territory::IMPORT_BODY_LIMIT,
            )),
        )
}

fn brief(u: &Unit) -> Value {
    json!({ "code": u.code, "name": u.name, "name_en": u.name_en, "level": u.level })
}

fn summary(u: &Unit) -> Value {
    json!({
        "code": u.code,
        "name": u.name,
        "name_en": u.name_en,
        "level": u.level,
        "parent": u.parent,
        "households": u.households,
        "retired": u.retired,
        "label": u.label.map(|p| [p.x(), p.y()]),
    })
}

/// Units of the territory (public)
#[utoipa::path(
    get,
    path = "/api/v1/territory/units",
    tag = "territory",
    params(
        ("level" = Option<LevelName>, Query, description = "Only this level"),
        ("parent" = Option<String>, Query, description = "Only the children of this unit"),
        ("include_retired" = Option<bool>, Query, description = "`true` lists retired units too"),
    ),
    responses((status = 200, body = UnitList)),
    extensions(("x-error-codes" = json!(["invalid_input"])))
)]
async fn list_units(State(state): State<AppState>, params: Params) -> ApiResult<Json<Value>> {
    let atlas = state.atlas();
    let t = atlas.territory();
    let level = match params.text("level") {
        Some(l) => Some(
            Level::parse(l)
                .ok_or_else(|| ApiError::invalid("level", format!("unknown level {l}")))?,
        ),
        None => None,
    };
    let parent = params.text("parent");
    if let Some(p) = parent
        && t.get(p).is_none()
    {
        return Err(ApiError::invalid("parent", format!("unknown unit {p}")));
    }
    let include_retired = params.text("include_retired") == Some("true");
    let units: Vec<Value> = t
        .units()
        .iter()
        .filter(|u| parent.is_none_or(|p| u.parent.as_deref() == Some(p)))
        .filter(|u| level.is_none_or(|l| u.level == l))
        .filter(|u| include_retired || !u.retired)
        .map(summary)
        .collect();
    Ok(Json(json!({ "count": units.len(), "units": units })))
}

/// One unit with its ancestors, children and boundary (public)
#[utoipa::path(
    get,
    path = "/api/v1/territory/units/{code}",
    tag = "territory",
    params(("code" = String, Path, description = "The unit's code")),
    responses((status = 200, body = UnitDetail)),
    extensions(("x-error-codes" = json!(["not_found"])))
)]
async fn unit_detail(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let atlas = state.atlas();
    let t = atlas.territory();
    let unit = t
        .get(&code)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    let boundary = unit.boundary.as_ref().map(|b| {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(b));
        serde_json::to_value(geojson::Feature {
            bbox: None,
            geometry: Some(geometry),
            id: Some(geojson::feature::Id::String(unit.code.clone())),
            properties: None,
            foreign_members: None,
        })
        .unwrap_or(Value::Null)
    });
    let mut body = summary(unit);
    body["ancestors"] = t.ancestors(&code).into_iter().map(brief).collect();
    body["children"] = t.children(&code).map(|c| c.code.clone()).collect();
    body["boundary"] = boundary.unwrap_or(Value::Null);
    Ok(Json(body))
}

fn subtree(t: &Territory, unit: &Unit, depth: u32) -> Value {
    let mut node = brief(unit);
    if depth > 0 {
        node["children"] = t
            .children(&unit.code)
            .filter(|c| !c.retired)
            .map(|c| subtree(t, c, depth - 1))
            .collect();
    }
    node
}

/// The hierarchy from the roots (or one unit) down to a depth (public)
#[utoipa::path(
    get,
    path = "/api/v1/territory/tree",
    tag = "territory",
    params(
        ("depth" = Option<i64>, Query, minimum = 0, maximum = 5, description = "Levels below each root (default 2)"),
        ("root" = Option<String>, Query, description = "Start at this unit"),
    ),
    responses((status = 200, body = Tree)),
    extensions(("x-error-codes" = json!(["invalid_input", "not_found"])))
)]
async fn tree(State(state): State<AppState>, params: Params) -> ApiResult<Json<Value>> {
    let atlas = state.atlas();
    let t = atlas.territory();
    let depth = u32::try_from(params.i64_or("depth", 2, 0..=5)?).unwrap_or(2);
    let roots: Vec<&Unit> = match params.text("root") {
        Some(code) => vec![
            t.get(code)
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?,
        ],
        None => t.roots().collect(),
    };
    Ok(Json(
        json!({ "roots": roots.iter().map(|r| subtree(t, r, depth)).collect::<Vec<_>>() }),
    ))
}

fn valid_point(params: &Params) -> ApiResult<(f64, f64)> {
    let lon = params.required_f64("lon")?;
    let lat = params.required_f64("lat")?;
    if !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::invalid(
            "lon",
            "longitude must be between -180 and 180",
        ));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::invalid(
            "lat",
            "latitude must be between -90 and 90",
        ));
    }
    Ok((lon, lat))
}

/// The deepest unit containing a point, with its ancestors (public)
///
/// Outside the territory: `outside_territory`, with the nearest unit in
/// `error.data.nearest`.
#[utoipa::path(
    get,
    path = "/api/v1/territory/lookup",
    tag = "territory",
    params(
        ("lon" = f64, Query, minimum = -180, maximum = 180, description = "Longitude (WGS 84)"),
        ("lat" = f64, Query, minimum = -90, maximum = 90, description = "Latitude (WGS 84)"),
    ),
    responses((status = 200, body = LocatedView)),
    extensions(("x-error-codes" = json!(["invalid_input", "outside_territory"])))
)]
async fn lookup(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Value>> {
    let (lon, lat) = valid_point(&params)?;
    let atlas = state.atlas();
    match atlas.locate(lon, lat) {
        Located::Inside { unit, ancestors } => Ok(Json(json!({
            "unit": brief(unit),
            "ancestors": ancestors.into_iter().map(brief).collect::<Vec<_>>(),
        }))),
        Located::Outside { nearest } => {
            let mut err = ApiError::new(ErrorCode::OutsideTerritory);
            if let Some(n) = nearest {
                let name = if caller.lang == Lang::En {
                    &n.name_en
                } else {
                    &n.name
                };
                err.detail = Some(catalogue().message(
                    caller.lang,
                    "nearest-unit",
                    &[("name", name), ("code", &n.code)],
                ));
                err.data = Some(json!({ "nearest": brief(n) }));
            }
            Err(err)
        }
    }
}

/// Import a GeoJSON FeatureCollection of units (city-wide admins)
///
/// All or nothing. Query parameters `map.FIELD=PROPERTY` and
/// `set.FIELD=VALUE` adapt foreign files; `dry_run=true` validates only.
#[utoipa::path(
    post,
    path = "/api/v1/territory/import",
    tag = "territory",
    params(
        ("dry_run" = Option<bool>, Query, description = "`true` validates only"),
        ("map.code" = Option<String>, Query, description = "The property holding the code (likewise `map.name`, `map.name_en`, `map.level`, `map.parent_code`, `map.label`, `map.households`)"),
        ("set.level" = Option<String>, Query, description = "A fixed value for every feature (likewise any `set.FIELD`)"),
    ),
    request_body(content(
        (FeatureCollection = "application/geo+json"),
        (FeatureCollection = "application/json"),
    )),
    responses((status = 201, body = ImportReport)),
    extensions(("x-error-codes" = json!(["invalid_input", "import_rejected", "unauthenticated", "forbidden", "conflict"])))
)]
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: String,
) -> ApiResult<impl IntoResponse> {
    ops::territory::authorize_import(&state, &caller)?;
    let mut map = FieldMap::default();
    for (k, v) in &params.0 {
        if let Some(field) = k.strip_prefix("map.") {
            match field {
                "code" => map.code = v.clone(),
                "name" => map.name = v.clone(),
                "name_en" => map.name_en = v.clone(),
                "level" => map.level = v.clone(),
                "parent_code" => map.parent_code = v.clone(),
                "label" => map.label = v.clone(),
                "households" => map.households = v.clone(),
                other => return Err(ApiError::invalid(k, format!("unknown field {other}"))),
            }
        } else if let Some(field) = k.strip_prefix("set.") {
            map.fixed.insert(field.to_owned(), v.clone());
        }
    }
    let dry_run = params.text("dry_run") == Some("true");
    let report = ops::territory::import(&state, &caller, body, map, dry_run).await?;
    Ok((axum::http::StatusCode::CREATED, Json(report)))
}

#[derive(Debug, Deserialize, ToSchema)]
struct RetireRequest {
    /// 1 to 500 characters.
    reason: String,
}

/// Retire a unit (admins over it); nothing is deleted
#[utoipa::path(
    post,
    path = "/api/v1/territory/units/{code}/retire",
    tag = "territory",
    params(("code" = String, Path, description = "The unit's code")),
    request_body = RetireRequest,
    responses((status = 200, body = Retired)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "not_found", "conflict"])))
)]
async fn retire_unit(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Body(req): Body<RetireRequest>,
) -> ApiResult<Json<Value>> {
    ops::territory::retire(&state, &caller, &code, &req.reason).await?;
    Ok(Json(json!({ "code": code, "retired": true })))
}
