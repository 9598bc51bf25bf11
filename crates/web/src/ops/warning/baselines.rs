//! The per-series methods (EARS C1/C2/C3, Poisson CUSUM, EWMA) over each unit × category
//! group's daily counts. Each method's threshold is calibrated every run on the study period's
//! history, pooled over all series, to the admins' city-wide "false alerts a year"; the recent
//! `max_days` are left out so a rise under way does not raise the bar for itself.

use std::collections::{BTreeMap, HashMap};

use grassroots_core::territory::Level;
use grassroots_core::warning::{SeriesLevel, WarnRules, containing_at};
use grassroots_store::{Ctx, NewAlert, ScanCase};
use grassroots_warn::baselines::{Method, calibrate_pooled, score_last_day};
use jiff::civil::Date;
use serde_json::json;

use super::{RunReport, days_before, local_day};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Days of the series an alert's evidence shows.
const EVIDENCE_DAYS: usize = 28;

/// A method by the name its rule uses.
pub fn method_named(name: &str) -> Option<Method> {
    Some(match name {
        "c1" => Method::c1(),
        "c2" => Method::c2(),
        "c3" => Method::c3(),
        "poisson_cusum" => Method::poisson_cusum(),
        "ewma" => Method::ewma(),
        _ => return None,
    })
}

/// One unit × category group series: daily counts from `start` to the analysis day, and the
/// cases behind it.
struct Series<'a> {
    unit: String,
    group: &'a str,
    counts: Vec<u32>,
    cases: Vec<&'a ScanCase>,
}

pub(super) async fn run(
    state: &AppState,
    (start, day): (Date, Date),
    rules: &WarnRules,
    by_group: &BTreeMap<String, Vec<ScanCase>>,
    ctx: &Ctx,
    report: &mut RunReport,
) -> ApiResult<()> {
    if rules.baselines.is_empty() {
        return Ok(());
    }
    let series = series_of(state, start, rules, by_group);
    report.series += series.len();
    let days = series.first().map_or(0, |s| s.counts.len());
    let background_days = days.saturating_sub(rules.max_days as usize);
    // Calibrating and scoring thousands of series is CPU work: off the async runtime.
    let counts: Vec<Vec<u32>> = series.iter().map(|s| s.counts.clone()).collect();
    let methods: Vec<(String, f64, Method)> = rules
        .baselines
        .iter()
        .filter_map(|r| {
            Some((
                r.method.clone(),
                r.false_alerts_per_year,
                method_named(&r.method)?,
            ))
        })
        .collect();
    let alarms = tokio::task::spawn_blocking(move || {
        methods
            .into_iter()
            .map(|(name, per_year, method)| {
                let threshold = calibrate_pooled(&method, &counts, background_days, per_year);
                let calibrated = method.with_threshold(threshold);
                let hits: Vec<(usize, f64)> = counts
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        let score = score_last_day(&calibrated, c)?;
                        score.alarm.then_some((i, score.statistic))
                    })
                    .collect();
                (name, per_year, threshold, hits)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(ApiError::internal)?;

    let recent_from = day
        .checked_sub(jiff::Span::new().days(i64::from(rules.max_days) - 1))
        .unwrap_or(day);
    let since = days_before(day, rules.max_days);
    let mut tx = state.store.write().await?;
    for (name, per_year, threshold, hits) in alarms {
        for (i, statistic) in hits {
            let s = &series[i];
            // A rise still under way in the same unit was raised already.
            if tx
                .alert_raised_since(&name, s.group, &s.unit, &since)
                .await?
            {
                continue;
            }
            let recent: Vec<&ScanCase> = s
                .cases
                .iter()
                .copied()
                .filter(|c| local_day(c.received_at) >= recent_from)
                .collect();
            let mut grids: Vec<&str> = recent.iter().map(|c| c.grid.as_str()).collect();
            grids.sort_unstable();
            grids.dedup();
            let shown = &s.counts[s.counts.len().saturating_sub(EVIDENCE_DAYS)..];
            let shown_from = day
                .checked_sub(jiff::Span::new().days(shown.len() as i64 - 1))
                .unwrap_or(day);
            let evidence = json!({
                "method": name,
                "unit": s.unit,
                "grids": grids,
                "statistic": statistic,
                "threshold": threshold,
                "false_alerts_per_year": per_year,
                "today": s.counts.last(),
                "series": {"start": shown_from.to_string(), "counts": shown},
                "start": recent_from.to_string(),
                "end": day.to_string(),
                "observed": recent.len(),
            });
            let alert = NewAlert {
                method: name.clone(),
                category_group: s.group.to_owned(),
                analysis_day: day.to_string(),
                centre_unit: s.unit.clone(),
                unit_code: s.unit.clone(),
                evidence: evidence.to_string(),
                appeal_ids: recent.iter().map(|c| c.id).collect(),
            };
            if tx.raise_alert(ctx, &alert).await?.is_some() {
                report.raised(&name);
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The series with at least one case in the study period (an all-zero series never alarms).
fn series_of<'a>(
    state: &AppState,
    start: Date,
    rules: &WarnRules,
    by_group: &'a BTreeMap<String, Vec<ScanCase>>,
) -> Vec<Series<'a>> {
    let atlas = state.atlas();
    let territory = atlas.territory();
    let level = match rules.baseline_level {
        SeriesLevel::Grid => Level::Grid,
        SeriesLevel::Community => Level::Community,
        SeriesLevel::Street => Level::Street,
    };
    let days = rules.study_days as usize;
    let mut unit_of: HashMap<&str, Option<String>> = HashMap::new();
    let mut out: BTreeMap<(String, &str), Series<'a>> = BTreeMap::new();
    for (group, cases) in by_group {
        for c in cases {
            let unit = unit_of
                .entry(c.grid.as_str())
                .or_insert_with(|| containing_at(&c.grid, level, territory));
            let Some(unit) = unit.clone() else {
                continue;
            };
            let Ok(offset) = start.until(local_day(c.received_at)) else {
                continue;
            };
            let Some(d) = usize::try_from(offset.get_days())
                .ok()
                .filter(|d| *d < days)
            else {
                continue;
            };
            let s = out
                .entry((unit.clone(), group.as_str()))
                .or_insert_with(|| Series {
                    unit,
                    group,
                    counts: vec![0; days],
                    cases: Vec::new(),
                });
            s.counts[d] += 1;
            s.cases.push(c);
        }
    }
    out.into_values().collect()
}
