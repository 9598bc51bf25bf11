//! One trial: draw an outbreak, add it to the background, and watch every method find it (or
//! not) day by day, each seeing only the cases up to the day it judges.

use super::background::{Prepared, scan_day};
use super::detect::{Detection, detect_on_day};
use super::inject::{Outbreak, draw, extra_cases, trial_rng};
use super::{EvalConfig, EvalError};
use crate::baselines::{self, Score};
use crate::study::CaseCount;

/// What one trial found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub outbreak: Outbreak,
    pub injected: u64,
    pub capped: bool,
    /// `detections[method][target]`, the scan first, then the baselines in order.
    pub detections: Vec<Vec<Option<Detection>>>,
}

/// Runs trial `t`. `thresholds[method][target]` as in [`Outcome::detections`]; a `None`
/// threshold never alarms.
pub fn run(
    prep: &Prepared<'_>,
    config: &EvalConfig,
    expected: &[f64],
    thresholds: &[Vec<Option<f64>>],
    t: u32,
) -> Result<Outcome, EvalError> {
    let mut rng = trial_rng(config.seed, t);
    let outbreak = draw(prep, &config.outbreak, &mut rng);
    let (extra, capped) = extra_cases(&outbreak, expected, prep.categories, &mut rng);
    let mut area = outbreak.grids.clone();
    area.sort_unstable();
    let mut detections = Vec::with_capacity(thresholds.len());
    detections.push(watch_scan(
        prep,
        config,
        &outbreak,
        &extra,
        &area,
        &thresholds[0],
    )?);
    for (method, ts) in config.baselines.iter().zip(&thresholds[1..]) {
        detections.push(watch_baseline(prep, method, &outbreak, &extra, &area, ts));
    }
    Ok(Outcome {
        injected: extra.iter().map(|c| u64::from(c.count)).sum(),
        outbreak,
        capped,
        detections,
    })
}

/// The scan, once per outbreak day in the outbreak's category, until every threshold has
/// found it (a lower threshold finds it no later than a higher one).
fn watch_scan(
    prep: &Prepared<'_>,
    config: &EvalConfig,
    outbreak: &Outbreak,
    extra: &[CaseCount],
    area: &[u32],
    thresholds: &[Option<f64>],
) -> Result<Vec<Option<Detection>>, EvalError> {
    let mut found: Vec<Option<Detection>> = vec![None; thresholds.len()];
    for day in outbreak.start..outbreak.start + outbreak.days {
        let open = thresholds
            .iter()
            .zip(&found)
            .any(|(t, f)| t.is_some() && f.is_none());
        if !open {
            break;
        }
        let clusters = scan_day(prep, &config.scan, outbreak.category as usize, day, extra)?;
        for (slot, threshold) in found.iter_mut().zip(thresholds) {
            let (None, Some(threshold)) = (*slot, threshold) else {
                continue;
            };
            let alerts: Vec<&[u32]> = clusters
                .iter()
                .filter(|c| c.llr >= *threshold)
                .map(|c| c.grids.as_slice())
                .collect();
            *slot = detect_on_day(day, outbreak.start, &alerts, area);
        }
    }
    Ok(found)
}

/// A baseline: only the series of units holding an outbreak grid can touch it, so only those
/// are scored, with the outbreak's cases added, at each calibrated threshold.
fn watch_baseline(
    prep: &Prepared<'_>,
    method: &baselines::Method,
    outbreak: &Outbreak,
    extra: &[CaseCount],
    area: &[u32],
    thresholds: &[Option<f64>],
) -> Vec<Option<Detection>> {
    let end = (outbreak.start + outbreak.days) as usize;
    let cat = outbreak.category as usize;
    let mut units: Vec<u32> = outbreak
        .grids
        .iter()
        .map(|&z| prep.units[z as usize])
        .collect();
    units.sort_unstable();
    units.dedup();
    let series: Vec<Vec<u32>> = units
        .iter()
        .map(|&u| {
            let mut s = prep.series[u as usize * prep.categories + cat][..end].to_vec();
            for c in extra
                .iter()
                .filter(|c| prep.units[c.location as usize] == u)
            {
                let slot = &mut s[c.day as usize];
                *slot = slot.saturating_add(c.count);
            }
            s
        })
        .collect();
    thresholds
        .iter()
        .map(|threshold| {
            let m = method.with_threshold((*threshold)?);
            let scores: Vec<Vec<Option<Score>>> =
                series.iter().map(|s| baselines::evaluate(&m, s)).collect();
            (outbreak.start..outbreak.start + outbreak.days).find_map(|day| {
                let alerts: Vec<&[u32]> = units
                    .iter()
                    .zip(&scores)
                    .filter(|(_, s)| matches!(s.get(day as usize), Some(Some(s)) if s.alarm))
                    .map(|(&u, _)| prep.unit_grids[u as usize].as_slice())
                    .collect();
                detect_on_day(day, outbreak.start, &alerts, area)
            })
        })
        .collect()
}
