//! Early warning over the appeals, run once a day (and on demand): the space-time scan per
//! category group ([`scan`]), the per-unit baselines ([`baselines`]), and the collective and
//! repeated matters ([`watch`]). Each raises alerts routed to the unit that can act; people's
//! responses are in `api::warning`.

mod baselines;
mod scan;
mod watch;

use std::collections::BTreeMap;

use grassroots_core::ErrorCode;
use grassroots_core::appeals::calendar::{end_of_day, local_date, start_of_day};
use grassroots_core::warning::WarnRules;
use grassroots_store::{Ctx, ScanCase};
use jiff::civil::Date;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub use scan::SCAN_METHOD;

/// Settings key of the admins' rules (JSON of [`WarnRules`]).
pub const RULES_KEY: &str = "warn.rules";
/// Settings key of the last analysis day the daily run finished.
pub const LAST_DAY_KEY: &str = "warn.last_day";

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RunReport {
    pub analysis_day: String,
    /// Category groups scanned (those with a case in the longest window).
    pub scans: usize,
    /// Clusters found (any strength) and alerts raised (strong enough, new).
    pub clusters: usize,
    /// Unit × category group series the baselines watched.
    pub series: usize,
    pub alerts_raised: usize,
    /// Alerts raised, by method.
    pub raised_by_method: BTreeMap<String, usize>,
}

impl RunReport {
    fn raised(&mut self, method: &str) {
        self.alerts_raised += 1;
        *self.raised_by_method.entry(method.to_owned()).or_default() += 1;
    }
}

/// The rules in force: the admins' if set, else the defaults.
pub async fn rules(state: &AppState) -> ApiResult<WarnRules> {
    match state.store.setting(RULES_KEY).await? {
        Some(text) => WarnRules::parse(&text)
            .map_err(|e| ApiError::internal(format!("stored warn rules: {e}"))),
        None => Ok(WarnRules::default()),
    }
}

/// The local (+08:00) day a timestamp falls on.
pub fn local_day(micros: i64) -> Date {
    jiff::Timestamp::from_microsecond(micros)
        .map(local_date)
        .unwrap_or(Date::ZERO)
}

/// Runs the daily job once per day: as of `now`, yesterday (the last complete day) is
/// scanned unless it already was.
pub async fn daily(state: &AppState, now: i64) -> ApiResult<Option<RunReport>> {
    let Some(yesterday) = local_day(now).yesterday().ok() else {
        return Ok(None);
    };
    let done = state.store.setting(LAST_DAY_KEY).await?;
    if done
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
        .is_some_and(|d| d >= yesterday)
    {
        return Ok(None);
    }
    let report = run(state, yesterday, &Ctx::system(now)).await?;
    let mut tx = state.store.write().await?;
    tx.put_setting_as(
        &Ctx::system(now),
        "warn.run",
        LAST_DAY_KEY,
        &yesterday.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(report))
}

/// Scans the appeals up to and including `day` and raises alerts. Rerunning a day raises
/// nothing twice.
pub async fn run(state: &AppState, day: Date, ctx: &Ctx) -> ApiResult<RunReport> {
    let rules = rules(state).await?;
    let start = day
        .checked_sub(jiff::Span::new().days(i64::from(rules.study_days) - 1))
        .map_err(|_| ApiError::invalid("day", "too early"))?;
    let cases = state
        .store
        .scan_cases(
            start_of_day(start).as_microsecond(),
            end_of_day(day).as_microsecond(),
        )
        .await?;
    let mut by_group: BTreeMap<String, Vec<ScanCase>> = BTreeMap::new();
    for c in cases {
        by_group
            .entry(c.category_group.clone())
            .or_default()
            .push(c);
    }
    let mut report = RunReport {
        analysis_day: day.to_string(),
        ..RunReport::default()
    };
    scan::run(state, (start, day), &rules, &by_group, ctx, &mut report).await?;
    baselines::run(state, (start, day), &rules, &by_group, ctx, &mut report).await?;
    watch::run(state, day, &rules, ctx, &mut report).await?;
    Ok(report)
}

/// The day `n` days before `day`, as stored in `alerts.analysis_day`.
fn days_before(day: Date, n: u32) -> String {
    day.checked_sub(jiff::Span::new().days(i64::from(n)))
        .unwrap_or(day)
        .to_string()
}

/// Checks a day given on the API or the command line.
pub fn parse_day(raw: &str) -> ApiResult<Date> {
    raw.parse::<Date>()
        .map_err(|_| ApiError::with_detail(ErrorCode::InvalidInput, "day: YYYY-MM-DD"))
}
