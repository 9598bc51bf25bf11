//! The appeal rules administrators edit: the category taxonomy with its
//! time limits, and the holiday calendar by year. Each save is audited and
//! applies to new cases only: an appeal keeps the time limit, category
//! group and deadlines fixed at its intake.

use axum::Json;
use axum::extract::{Path, State};
use grassroots_core::appeals::{HolidayCalendar, Taxonomy};
use grassroots_core::authz::Action;
use serde_json::{Value, json};

use crate::api::extract::Body;
use crate::api::require_city_wide;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, CALENDAR_KEY_PREFIX, TAXONOMY_KEY};

/// `GET /api/v1/admin/taxonomy`: the taxonomy in force, in its file format.
pub async fn get_taxonomy(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageAppealRules)?;
    let custom = state.store.setting(TAXONOMY_KEY).await?.is_some();
    Ok(Json(json!({
        "source": if custom { "custom" } else { "builtin" },
        "taxonomy": *state.taxonomy(),
    })))
}

/// `PUT /api/v1/admin/taxonomy`: replace the taxonomy (checked whole).
pub async fn put_taxonomy(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<Value>,
) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageAppealRules)?;
    let text = body.to_string();
    let taxonomy = Taxonomy::parse(&text)
        .map_err(|e| ApiError::invalid("taxonomy", format!("{}: {e}", e.problem())))?;
    // Store the checked form: what is read back is exactly what is in force.
    let canonical = serde_json::to_string(&taxonomy).map_err(ApiError::internal)?;
    let mut tx = state.store.write().await?;
    tx.put_setting_as(
        &caller.ctx(&state),
        "taxonomy.update",
        TAXONOMY_KEY,
        &canonical,
    )
    .await?;
    tx.commit().await?;
    state.reload_rules().await?;
    Ok(Json(json!({
        "source": "custom",
        "categories": taxonomy.categories().len(),
        "groups": taxonomy.groups().len(),
    })))
}

/// `GET /api/v1/calendar`: the working-day calendar, year by year (public:
/// residents see how deadlines are counted).
pub async fn get_calendar(State(state): State<AppState>) -> Json<Value> {
    let calendar = state.calendar();
    let years: Vec<Value> = calendar
        .years()
        .filter_map(|y| calendar.schedule(y))
        .map(|s| json!(s))
        .collect();
    Json(json!({ "years": years }))
}

/// `PUT /api/v1/admin/calendar/{year}`: add or replace one year's schedule.
pub async fn put_calendar_year(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    Body(body): Body<Value>,
) -> ApiResult<Json<Value>> {
    require_city_wide(&state, &caller, Action::ManageAppealRules)?;
    let year: i16 = year
        .parse()
        .map_err(|_| ApiError::invalid("year", "a year such as 2027"))?;
    let schedule = HolidayCalendar::parse_year(&body.to_string())
        .map_err(|e| ApiError::invalid("calendar", format!("{}: {e}", e.problem())))?;
    if schedule.year() != year {
        return Err(ApiError::invalid(
            "year",
            format!("the file is for {}, not {year}", schedule.year()),
        ));
    }
    let canonical = serde_json::to_string(&schedule).map_err(ApiError::internal)?;
    let key = format!("{CALENDAR_KEY_PREFIX}{year}");
    let mut tx = state.store.write().await?;
    tx.put_setting_as(&caller.ctx(&state), "calendar.update", &key, &canonical)
        .await?;
    tx.commit().await?;
    state.reload_rules().await?;
    Ok(Json(json!({
        "year": year,
        "holidays": schedule.holidays().len(),
        "workdays": schedule.workdays().len(),
    })))
}
