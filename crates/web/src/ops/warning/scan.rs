//! The space-time permutation scan over the appeals, one scan per category group. Each grid is
//! one location at its label point (or a point inside its boundary); a cluster becomes an alert
//! when its recurrence interval reaches the admins' threshold.

use std::collections::{BTreeMap, HashMap};

use geo::InteriorPoint as _;
use grassroots_core::territory::{Level, Territory};
use grassroots_core::warning::{WarnRules, smallest_common_unit};
use grassroots_store::{Ctx, NewAlert, ScanCase};
use grassroots_warn::{CaseCount, Location, ScanParams, Study, scan};
use jiff::civil::Date;
use serde_json::json;

use super::{RunReport, days_before, local_day};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The method name alerts of the scan carry.
pub const SCAN_METHOD: &str = "space_time_permutation";

/// Scans each category group's `cases` (received from `start` to `day`) and raises alerts.
pub(super) async fn run(
    state: &AppState,
    (start, day): (Date, Date),
    rules: &WarnRules,
    by_group: &BTreeMap<String, Vec<ScanCase>>,
    ctx: &Ctx,
    report: &mut RunReport,
) -> ApiResult<()> {
    let atlas = state.atlas();
    let territory = atlas.territory();
    let grids = grid_locations(territory);
    for (group, cases) in by_group {
        let cases = cases.as_slice();
        let Some(study) = study_of(&grids, cases, start, day) else {
            continue;
        };
        let recent_from = day
            .checked_sub(jiff::Span::new().days(i64::from(rules.max_days) - 1))
            .unwrap_or(start);
        if !cases
            .iter()
            .any(|c| local_day(c.received_at) >= recent_from)
        {
            continue;
        }
        let params = ScanParams {
            max_radius_km: rules.max_radius_km,
            max_share: 0.5,
            max_days: rules.max_days,
            min_cases: 2,
            replicas: rules.replicas,
            seed: seed_of(day, group),
            early_stop: ScanParams::satscan_early_stop(rules.replicas),
            max_clusters: 10,
        };
        report.scans += 1;
        let outcome =
            tokio::task::spawn_blocking(move || scan(&study, &params, &|_| {}).map(|r| (study, r)))
                .await
                .map_err(ApiError::internal)?;
        let (study, found) = match outcome {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(%group, error = %e, "scan skipped");
                continue;
            }
        };
        report.clusters += found.clusters.len();
        let mut tx = state.store.write().await?;
        let since = days_before(day, rules.max_days);
        for cluster in &found.clusters {
            let recurrence = cluster.recurrence_days.unwrap_or(0.0);
            if recurrence < rules.min_recurrence_days {
                continue;
            }
            let centre = &study.locations[cluster.centre];
            // A cluster still growing around the same grid was raised already.
            if tx
                .alert_raised_since(SCAN_METHOD, group, &centre.id, &since)
                .await?
            {
                continue;
            }
            let grid_codes: Vec<String> = cluster
                .locations
                .iter()
                .map(|&i| study.locations[i].id.clone())
                .collect();
            let chains: Vec<Vec<String>> = grid_codes.iter().map(|g| territory.chain(g)).collect();
            let Some(unit) = smallest_common_unit(&chains) else {
                continue;
            };
            let (first, last) = (study.date(cluster.start_day), study.date(cluster.end_day));
            let appeal_ids: Vec<i64> = cases
                .iter()
                .filter(|c| grid_codes.contains(&c.grid))
                .filter(|c| (first..=last).contains(&local_day(c.received_at)))
                .map(|c| c.id)
                .collect();
            let evidence = json!({
                "method": SCAN_METHOD,
                "grids": grid_codes,
                "centre": {"grid": centre.id, "lon": centre.lon, "lat": centre.lat},
                "radius_km": cluster.radius_km,
                "start": first.to_string(),
                "end": last.to_string(),
                "observed": cluster.observed,
                "expected": cluster.expected,
                "ratio": cluster.ratio(),
                "llr": cluster.llr,
                "p_value": cluster.p_value,
                "recurrence_days": recurrence.min(1e9),
                "replicas": found.replicas_run,
                "study": {"start": start.to_string(), "end": day.to_string(), "cases": found.total_cases},
            });
            let alert = NewAlert {
                method: SCAN_METHOD.into(),
                category_group: group.clone(),
                analysis_day: day.to_string(),
                centre_unit: centre.id.clone(),
                unit_code: unit,
                evidence: evidence.to_string(),
                appeal_ids,
            };
            if tx.raise_alert(ctx, &alert).await?.is_some() {
                report.raised(SCAN_METHOD);
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Each grid and where it is: its label point, or a point inside its boundary.
fn grid_locations(t: &Territory) -> Vec<Location> {
    t.units()
        .iter()
        .filter(|u| u.level == Level::Grid && !u.retired)
        .filter_map(|u| {
            let p = u
                .label
                .or_else(|| u.boundary.as_ref().and_then(|b| b.interior_point()))?;
            Some(Location {
                id: u.code.clone(),
                lat: p.y(),
                lon: p.x(),
            })
        })
        .collect()
}

fn study_of(grids: &[Location], cases: &[ScanCase], start: Date, end: Date) -> Option<Study> {
    let index: HashMap<&str, u32> = grids
        .iter()
        .enumerate()
        .filter_map(|(i, g)| Some((g.id.as_str(), u32::try_from(i).ok()?)))
        .collect();
    // Ordered: the permutation shuffles cases in this order, so a rerun with the same seed must
    // see the same order to give the same p-values.
    let mut counts: BTreeMap<(u32, u32), u32> = BTreeMap::new();
    for c in cases {
        let Some(&location) = index.get(c.grid.as_str()) else {
            continue;
        };
        let day = local_day(c.received_at);
        let Ok(span) = start.until(day) else {
            continue;
        };
        let Ok(d) = u32::try_from(span.get_days()) else {
            continue;
        };
        *counts.entry((location, d)).or_default() += 1;
    }
    let cases: Vec<CaseCount> = counts
        .into_iter()
        .map(|((location, day), count)| CaseCount {
            location,
            day,
            count,
            category: 0,
        })
        .collect();
    Study::new(grids.to_vec(), start, end, vec![], cases).ok()
}

/// A seed fixed by the day and the group: a rerun gives the same p-values.
fn seed_of(day: Date, group: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in day.to_string().bytes().chain(group.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
