//! The appeal rules administrators edit — the category taxonomy with its
//! time limits, and the holiday calendar by year — shared by the JSON
//! endpoints (`api::appeals::rules`) and the admin pages (`ui::admin`).
//!
//! Whatever the edge, a change is checked whole by the domain
//! (`Taxonomy::new`, `YearSchedule::new`), stored in its canonical form as a
//! setting with its audit event in the same transaction, and then loaded by
//! this server (others pick it up with the territory). It applies to new
//! cases only: an appeal keeps the limits and deadlines fixed at its intake.

use grassroots_core::ErrorCode;
use grassroots_core::appeals::{CalendarError, HolidayCalendar, Taxonomy, YearSchedule};
use grassroots_core::authz::Action;

use crate::api::require_city_wide;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, CALENDAR_KEY_PREFIX, TAXONOMY_KEY};

/// The audit action of a taxonomy replacement.
pub const TAXONOMY_UPDATE: &str = "taxonomy.update";
/// The audit action of a calendar year's replacement.
pub const CALENDAR_UPDATE: &str = "calendar.update";

/// The longest reason kept with a change.
const MAX_REASON: usize = 500;

/// An optional reason for the audit trail: trimmed, at most 500 characters.
pub fn reason(r: Option<&str>) -> ApiResult<Option<String>> {
    let r = r.map(str::trim).filter(|s| !s.is_empty());
    match r {
        Some(s) if s.chars().count() > MAX_REASON => {
            Err(ApiError::invalid("reason", "at most 500 characters"))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// The taxonomy in force, read afresh from the store first: an edit of one
/// category is applied to the latest taxonomy, not to what this server last
/// loaded (another server may have changed it since).
pub async fn latest_taxonomy(state: &AppState) -> ApiResult<std::sync::Arc<Taxonomy>> {
    state.reload_rules().await?;
    Ok(state.taxonomy())
}

/// Replace the taxonomy with `taxonomy` (already checked whole by the
/// domain): city-wide admins only; stored canonical, audited
/// `taxonomy.update` in the same transaction, then in force on this server.
///
/// `based_on`: the taxonomy an edit was applied to (a page changing one
/// category or the class limits). If another change was saved since, the
/// edit is refused with `conflict` rather than silently undoing it; a whole
/// replacement (the API's PUT) passes `None`.
pub async fn save_taxonomy(
    state: &AppState,
    caller: &Caller,
    taxonomy: &Taxonomy,
    reason: Option<String>,
    based_on: Option<&Taxonomy>,
) -> ApiResult<()> {
    require_city_wide(state, caller, Action::ManageAppealRules)?;
    // Store the checked form: what is read back is exactly what is in force.
    let canonical = serde_json::to_string(taxonomy).map_err(ApiError::internal)?;
    let ctx = caller.ctx(state).with_reason(reason);
    let mut tx = state.store.write().await?;
    if let Some(base) = based_on {
        let stored = tx.setting(TAXONOMY_KEY).await?;
        // What is in force now, read as every server reads it.
        let current = stored
            .as_deref()
            .and_then(|t| Taxonomy::parse(t).ok())
            .unwrap_or_else(Taxonomy::builtin);
        let same = serde_json::to_value(&current).map_err(ApiError::internal)?
            == serde_json::to_value(base).map_err(ApiError::internal)?;
        if !same {
            return Err(ApiError::with_detail(
                ErrorCode::Conflict,
                "the taxonomy was changed by someone else meanwhile; nothing was saved — reload and make the change again",
            ));
        }
    }
    tx.put_setting_as(&ctx, TAXONOMY_UPDATE, TAXONOMY_KEY, &canonical)
        .await?;
    tx.commit().await?;
    state.reload_rules().await?;
    Ok(())
}

/// A calendar year as written in a path or a form (`2027`).
pub fn year_of(raw: &str) -> ApiResult<i16> {
    raw.trim()
        .parse::<i16>()
        .ok()
        .filter(|y| {
            (grassroots_core::appeals::calendar::MIN_YEAR
                ..=grassroots_core::appeals::calendar::MAX_YEAR)
                .contains(y)
        })
        .ok_or_else(|| ApiError::invalid("year", "a year such as 2027"))
}

/// Why a year's schedule file was refused.
#[derive(Debug)]
pub enum ScheduleRefused {
    /// The domain's check (`HolidayCalendar::parse_year`).
    Invalid(CalendarError),
    /// A valid file, for another year than the one being edited.
    OtherYear { file: i16, wanted: i16 },
}

impl From<ScheduleRefused> for ApiError {
    fn from(e: ScheduleRefused) -> ApiError {
        match e {
            ScheduleRefused::Invalid(e) => {
                ApiError::invalid("calendar", format!("{}: {e}", e.problem()))
            }
            ScheduleRefused::OtherYear { file, wanted } => {
                ApiError::invalid("year", format!("the file is for {file}, not {wanted}"))
            }
        }
    }
}

/// The schedule of `year` in the file format (`data/holidays/2026.json`),
/// checked by the domain and refused when it is for another year.
pub fn schedule_for(year: i16, text: &str) -> Result<YearSchedule, ScheduleRefused> {
    let schedule = HolidayCalendar::parse_year(text).map_err(ScheduleRefused::Invalid)?;
    if schedule.year() != year {
        return Err(ScheduleRefused::OtherYear {
            file: schedule.year(),
            wanted: year,
        });
    }
    Ok(schedule)
}

/// Add or replace the schedule of its year: city-wide admins only; stored
/// canonical, audited `calendar.update` in the same transaction, then in
/// force on this server.
pub async fn save_calendar_year(
    state: &AppState,
    caller: &Caller,
    schedule: &YearSchedule,
    reason: Option<String>,
) -> ApiResult<()> {
    require_city_wide(state, caller, Action::ManageAppealRules)?;
    let canonical = serde_json::to_string(schedule).map_err(ApiError::internal)?;
    let key = format!("{CALENDAR_KEY_PREFIX}{}", schedule.year());
    let ctx = caller.ctx(state).with_reason(reason);
    let mut tx = state.store.write().await?;
    tx.put_setting_as(&ctx, CALENDAR_UPDATE, &key, &canonical)
        .await?;
    tx.commit().await?;
    state.reload_rules().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn years_and_reasons() {
        assert_eq!(year_of(" 2027 ").unwrap(), 2027);
        for bad in ["", "27x", "1800", "40000"] {
            assert_eq!(year_of(bad).unwrap_err().field.as_deref(), Some("year"));
        }
        assert_eq!(reason(Some("  ")).unwrap(), None);
        assert_eq!(reason(Some(" 调整 ")).unwrap().as_deref(), Some("调整"));
        assert!(reason(Some(&"x".repeat(501))).is_err());
    }

    #[test]
    fn a_schedule_is_for_its_year() {
        let text = r#"{"year": 2027, "source": "通知", "holidays": []}"#;
        assert_eq!(schedule_for(2027, text).unwrap().year(), 2027);
        let e: ApiError = schedule_for(2028, text).unwrap_err().into();
        assert_eq!(e.field.as_deref(), Some("year"));
        let e: ApiError = schedule_for(2027, "{").unwrap_err().into();
        assert_eq!(e.field.as_deref(), Some("calendar"));
        assert!(e.detail.unwrap().starts_with("malformed: "));
    }
}
