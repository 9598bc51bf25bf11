//! `GET /api/v1/measures?unit=CODE&from=DATE&to=DATE`: the standard rates
//! for a unit's area (or a department, or a category) over a period.
//! Public: these are aggregates, the kind cities publish as rankings, and
//! no individual can be picked out of them.

use axum::Json;
use axum::extract::State;
use grassroots_core::appeals::Rate;
use grassroots_core::appeals::calendar::{local_date, start_of_day};
use grassroots_store::{MeasureFilter, MeasureScope};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Value, json};

use crate::api::extract::Params;
use crate::api::openapi::schema::Measures;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn date(params: &Params, key: &str) -> ApiResult<Option<Date>> {
    params
        .text(key)
        .map(|s| {
            s.parse::<Date>()
                .map_err(|_| ApiError::invalid(key, format!("not a date (YYYY-MM-DD): {s}")))
        })
        .transpose()
}

fn rate(r: &Rate) -> Value {
    json!({"numerator": r.numerator, "denominator": r.denominator, "value": r.value})
}

/// The standard rates of an area, a department or the city (public)
///
/// Response, resolution, satisfaction, on-time and local resolution, each
/// with its numerator and denominator, over a period (default: the last
/// 365 days).
#[utoipa::path(
    get,
    path = "/api/v1/measures",
    tag = "rules",
    params(
        ("unit" = Option<String>, Query, description = "A unit's area (not with `department`)"),
        ("department" = Option<String>, Query, description = "A department (not with `unit`)"),
        ("category" = Option<String>, Query, description = "Only this category"),
        ("from" = Option<String>, Query, format = Date, description = "First day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, format = Date, description = "Last day, YYYY-MM-DD (default today)"),
    ),
    responses((status = 200, body = Measures)),
    extensions(("x-error-codes" = json!(["invalid_input"])))
)]
pub async fn measures(State(state): State<AppState>, params: Params) -> ApiResult<Json<Value>> {
    let now = state.now_micros();
    let today = local_date(Timestamp::from_microsecond(now).map_err(ApiError::internal)?);
    let to = date(&params, "to")?.unwrap_or(today);
    let from = match date(&params, "from")? {
        Some(d) => d,
        None => to
            .checked_sub(jiff::Span::new().days(364))
            .map_err(|_| ApiError::invalid("to", "out of range"))?,
    };
    if from > to {
        return Err(ApiError::invalid("from", "from is after to"));
    }
    let next = to
        .tomorrow()
        .map_err(|_| ApiError::invalid("to", "out of range"))?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let (scope, subject) = match (params.text("unit"), params.text("department")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "department",
                "give a unit or a department, not both",
            ));
        }
        (Some(code), None) => {
            let u = t
                .get(code)
                .ok_or_else(|| ApiError::invalid("unit", format!("unknown unit {code}")))?;
            let scope = if u.parent.is_none() {
                MeasureScope::City
            } else {
                MeasureScope::Unit(u.level, u.code.clone())
            };
            (
                scope,
                json!({"kind": "unit", "code": u.code, "name": u.name, "name_en": u.name_en, "level": u.level}),
            )
        }
        (None, Some(code)) => {
            let d = state.store.department(code).await.map_err(|_| {
                ApiError::invalid("department", format!("unknown department {code}"))
            })?;
            (
                MeasureScope::Department(d.code.clone()),
                json!({"kind": "department", "code": d.code, "name": d.name, "name_en": d.name_en}),
            )
        }
        (None, None) => (MeasureScope::City, json!({"kind": "city"})),
    };
    let category = params.text("category").map(str::to_owned);
    if let Some(c) = &category
        && state.taxonomy().get(c).is_none()
    {
        return Err(ApiError::invalid(
            "category",
            format!("unknown category {c}"),
        ));
    }
    let filter = MeasureFilter {
        scope,
        category: category.clone(),
        from: micros(start_of_day(from)),
        to: micros(start_of_day(next)),
    };
    let m = state.store.measures(&filter, now).await?;
    Ok(Json(json!({
        "subject": subject,
        "category": category,
        "from": from.to_string(),
        "to": to.to_string(),
        "count": m.count,
        "response_rate": m.response_rate.value,
        "resolution_rate": m.resolution_rate.value,
        "satisfaction_rate": m.satisfaction_rate.value,
        "on_time_rate": m.on_time_rate.value,
        "local_resolution_rate": m.local_resolution_rate.value,
        "average_handling_hours": m.average_handling_hours,
        "returns": m.returns,
        "escalations": m.escalations,
        "rates": {
            "response": rate(&m.response_rate),
            "resolution": rate(&m.resolution_rate),
            "satisfaction": rate(&m.satisfaction_rate),
            "on_time": rate(&m.on_time_rate),
            "local_resolution": rate(&m.local_resolution_rate),
        },
    })))
}
