//! The appeal rules administrators edit: the category taxonomy with its
//! time limits, and the holiday calendar by year. Each save is audited and
//! applies to new cases only: an appeal keeps the time limit, category
//! group and deadlines fixed at its intake.

use axum::Json;
use axum::extract::{Path, State};
use grassroots_core::appeals::Taxonomy;
use grassroots_core::authz::Action;
use serde_json::{Value, json};

use crate::api::extract::Body;
use crate::api::openapi::schema::{Calendar, CalendarSaved, TaxonomyDoc, TaxonomySaved};
use crate::api::require_city_wide;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::rules;
use crate::state::{AppState, TAXONOMY_KEY};

/// The taxonomy in force, in its file format (city-wide admins)
#[utoipa::path(
    get,
    path = "/api/v1/admin/taxonomy",
    tag = "rules",
    responses((status = 200, body = TaxonomyDoc)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden"])))
)]
pub async fn get_taxonomy(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageAppealRules)?;
    let custom = state.store.setting(TAXONOMY_KEY).await?.is_some();
    Ok(Json(json!({
        "source": if custom { "custom" } else { "builtin" },
        "taxonomy": *state.taxonomy(),
    })))
}

/// Replace the taxonomy, checked whole (city-wide admins; new cases only)
#[utoipa::path(
    put,
    path = "/api/v1/admin/taxonomy",
    tag = "rules",
    request_body(content = Object, description = "`data/categories.json`'s format: groups, categories, limits"),
    responses((status = 200, body = TaxonomySaved)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "conflict"])))
)]
pub async fn put_taxonomy(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<Value>,
) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageAppealRules)?;
    let text = body.to_string();
    let taxonomy = Taxonomy::parse(&text)
        .map_err(|e| ApiError::invalid("taxonomy", format!("{}: {e}", e.problem())))?;
    rules::save_taxonomy(&state, &caller, &taxonomy, None, None).await?;
    Ok(Json(json!({
        "source": "custom",
        "categories": taxonomy.categories().len(),
        "groups": taxonomy.groups().len(),
    })))
}

/// The working-day calendar, year by year (public)
///
/// Residents see how deadlines are counted.
#[utoipa::path(
    get,
    path = "/api/v1/calendar",
    tag = "rules",
    responses((status = 200, body = Calendar)),
    extensions(("x-error-codes" = json!([])))
)]
pub async fn get_calendar(State(state): State<AppState>) -> Json<Value> {
    let calendar = state.calendar();
    let years: Vec<Value> = calendar
        .years()
        .filter_map(|y| calendar.schedule(y))
        .map(|s| json!(s))
        .collect();
    Json(json!({ "years": years }))
}

/// Add or replace one year's holidays and adjusted workdays (city-wide admins)
#[utoipa::path(
    put,
    path = "/api/v1/admin/calendar/{year}",
    tag = "rules",
    params(("year" = i64, Path, description = "The year, e.g. 2027")),
    request_body(content = Object, description = "`data/holidays/YEAR.json`'s format"),
    responses((status = 200, body = CalendarSaved)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden", "conflict"])))
)]
pub async fn put_calendar_year(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    Body(body): Body<Value>,
) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageAppealRules)?;
    let year = rules::year_of(&year)?;
    let schedule = rules::schedule_for(year, &body.to_string())?;
    rules::save_calendar_year(&state, &caller, &schedule, None).await?;
    Ok(Json(json!({
        "year": year,
        "holidays": schedule.holidays().len(),
        "workdays": schedule.workdays().len(),
    })))
}
