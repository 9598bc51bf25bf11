//! Thresholds for a city-wide false-alert rate, and the rate they really give.
//!
//! A target of N false alerts a year over D calibration days allows `floor(N·D/365)` alerts
//! on those days, counted city-wide: every cluster of every category for the scan, every
//! alarming unit × category series for a baseline (one alert each, as the platform would
//! raise them). The threshold is then an order statistic of the pooled day statistics, the
//! same rule as [`crate::baselines::calibrate_threshold`] uses for one series: just above the
//! statistic ranked one past the allowance, so ties never push the count over it. The rate is
//! then *measured* on the held-out days: a threshold fitted to one half of the history is
//! judged on the other.

use rayon::prelude::*;

use super::background::{Prepared, ScanBackground};
use crate::baselines::{self, CusumParams, DAYS_PER_YEAR, Method};

/// Most bisection steps for the resetting CUSUM (each halves the interval).
const MAX_BISECTION_STEPS: usize = 60;

/// One method's thresholds, one per false-alert target, and what they cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// `None` when no calibration day could be scored (the method never alarms).
    pub thresholds: Vec<Option<f64>>,
    /// False alerts a year at each threshold on the held-out days.
    pub held_out_per_year: Vec<Option<f64>>,
    pub calibration_days: usize,
    pub held_out_days: usize,
    /// Days of history the method needs before it can score a day.
    pub history_days: u32,
    /// The method's standard threshold and its false alerts a year over every analysis day
    /// (baselines only: the scan's standard is a p-value, which needs replicas).
    pub default_threshold: Option<f64>,
    pub default_per_year: Option<f64>,
}

pub use crate::baselines::alerts_allowed as allowed_alerts;

/// The smallest threshold at which at most `allowed` of the pooled statistics reach it.
/// `desc` is sorted largest first. With room for every statistic, the smallest one is the
/// answer, or `empty` when there is none (nothing to alarm on: any threshold will do).
pub fn pooled_threshold(desc: &[f64], allowed: usize, empty: f64) -> f64 {
    match desc.get(allowed) {
        Some(first_excluded) => first_excluded.next_up(),
        None => desc.last().copied().unwrap_or(empty),
    }
}

/// Alerts a year for `alerts` on `days` days; `None` without a day.
pub fn per_year(alerts: usize, days: usize) -> Option<f64> {
    (days > 0).then(|| alerts as f64 * DAYS_PER_YEAR / days as f64)
}

/// Keeps the `k` largest values of `v`, in no particular order.
fn keep_top(v: &mut Vec<f64>, k: usize) {
    if v.len() > k && k > 0 {
        v.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        v.truncate(k);
    } else if k == 0 {
        v.clear();
    }
}

fn sort_desc(v: &mut [f64]) {
    v.sort_by(|a, b| b.total_cmp(a));
}

/// The scan's thresholds: order statistics of the background clusters' LLRs.
pub fn scan_thresholds(bg: &ScanBackground, targets: &[f64]) -> Calibration {
    let mut desc = bg.calibration.clone();
    sort_desc(&mut desc);
    let thresholds: Vec<Option<f64>> = targets
        .iter()
        .map(|&t| {
            (bg.calibration_days > 0)
                .then(|| pooled_threshold(&desc, allowed_alerts(t, bg.calibration_days), 0.0))
        })
        .collect();
    let held_out_per_year = thresholds
        .iter()
        .map(|t| {
            t.and_then(|t| {
                let alerts = bg.held_out.iter().filter(|&&v| v >= t).count();
                per_year(alerts, bg.held_out_days)
            })
        })
        .collect();
    Calibration {
        thresholds,
        held_out_per_year,
        calibration_days: bg.calibration_days,
        held_out_days: bg.held_out_days,
        history_days: 0,
        default_threshold: None,
        default_per_year: None,
    }
}

/// What one pass over a series yields.
struct SeriesPass {
    /// The largest statistics of the calibration days (threshold-free path).
    top: Vec<f64>,
    /// Scored calibration days of this series.
    scored: usize,
    /// The largest statistic on any day (threshold-free path).
    peak: f64,
    /// Alarms on the analysis days at the default threshold.
    default_alarms: usize,
}

/// A baseline's thresholds, calibrated on every unit × category series at once.
///
/// The statistics of C1–C3 and the EWMA do not depend on the threshold, so the threshold is
/// an order statistic of them. The Poisson CUSUM restarts after an alarm, so its path does;
/// its threshold-free path (no restart) gives an upper bound that is always acceptable (a
/// restarted sum never exceeds the free one), and bisection below it finds the smallest
/// threshold whose city-wide alarm count on the calibration days is within the allowance.
pub fn baseline_thresholds(prep: &Prepared<'_>, method: &Method, targets: &[f64]) -> Calibration {
    let history = u32::try_from(method.min_history()).unwrap_or(u32::MAX);
    let scored_days: Vec<u32> = prep.analysis_days().filter(|&d| d >= history).collect();
    let calibration_days = scored_days.iter().filter(|&&d| prep.calibrates(d)).count();
    let held_out_days = scored_days.len() - calibration_days;
    let resets = matches!(method, Method::PoissonCusum(p) if p.reset_after_alarm);
    let free = match method {
        Method::PoissonCusum(p) => Method::PoissonCusum(CusumParams {
            reset_after_alarm: false,
            ..*p
        }),
        m => *m,
    };
    let allowed: Vec<usize> = targets
        .iter()
        .map(|&t| allowed_alerts(t, calibration_days))
        .collect();
    let k = allowed.iter().max().copied().unwrap_or(0) + 1;
    let by_default = method.with_default_threshold();
    let passes: Vec<SeriesPass> = prep
        .series
        .par_iter()
        .map(|series| {
            let stats = baselines::evaluate(&free, series);
            let mut top = Vec::new();
            let mut scored = 0;
            for d in prep.analysis_days() {
                if let Some(Some(s)) = stats.get(d as usize)
                    && prep.calibrates(d)
                {
                    top.push(s.statistic);
                    scored += 1;
                }
            }
            keep_top(&mut top, k);
            let peak = stats
                .iter()
                .flatten()
                .map(|s| s.statistic)
                .fold(f64::NEG_INFINITY, f64::max);
            let default_alarms = alarms_on(prep, &by_default, series, |_| true);
            SeriesPass {
                top,
                scored,
                peak,
                default_alarms,
            }
        })
        .collect();
    let mut top: Vec<f64> = passes.iter().flat_map(|p| p.top.iter().copied()).collect();
    keep_top(&mut top, k);
    sort_desc(&mut top);
    let pooled: usize = passes.iter().map(|p| p.scored).sum();
    let thresholds: Vec<Option<f64>> = allowed
        .iter()
        .map(|&allowed| {
            if calibration_days == 0 || pooled == 0 {
                return None;
            }
            let candidate = pooled_threshold(&top, allowed, method.threshold());
            if resets && allowed < pooled {
                Some(bisect_resetting(prep, method, &passes, allowed, candidate))
            } else {
                Some(candidate)
            }
        })
        .collect();
    let held_out_per_year = thresholds
        .iter()
        .map(|t| {
            t.and_then(|t| {
                let m = method.with_threshold(t);
                let alerts: usize = prep
                    .series
                    .par_iter()
                    .map(|s| alarms_on(prep, &m, s, |d| !prep.calibrates(d)))
                    .sum();
                per_year(alerts, held_out_days)
            })
        })
        .collect();
    let default_alarms: usize = passes.iter().map(|p| p.default_alarms).sum();
    Calibration {
        thresholds,
        held_out_per_year,
        calibration_days,
        held_out_days,
        history_days: history,
        default_threshold: Some(baselines::default_threshold(method)),
        default_per_year: per_year(default_alarms, scored_days.len()),
    }
}

/// Alarms of `method` over `series` on the analysis days `keep` selects.
fn alarms_on(
    prep: &Prepared<'_>,
    method: &Method,
    series: &[u32],
    keep: impl Fn(u32) -> bool,
) -> usize {
    let scores = baselines::evaluate(method, series);
    prep.analysis_days()
        .filter(|&d| keep(d))
        .filter(|&d| matches!(scores.get(d as usize), Some(Some(s)) if s.alarm))
        .count()
}

/// Smallest threshold (to about nine significant digits) at which the resetting CUSUM raises
/// at most `allowed` alerts on the calibration days, city-wide. `valid` is known to be within
/// the allowance. A series whose free path never reaches `h` never alarms at `h`, so only the
/// others are run again.
fn bisect_resetting(
    prep: &Prepared<'_>,
    method: &Method,
    passes: &[SeriesPass],
    allowed: usize,
    valid: f64,
) -> f64 {
    let alerts = |h: f64| -> usize {
        let m = method.with_threshold(h);
        prep.series
            .par_iter()
            .zip(passes.par_iter())
            .filter(|(_, p)| p.peak >= h)
            .map(|(s, _)| alarms_on(prep, &m, s, |d| prep.calibrates(d)))
            .sum()
    };
    let (mut lo, mut hi) = (0.0_f64, valid);
    for _ in 0..MAX_BISECTION_STEPS {
        let mid = lo + (hi - lo) / 2.0;
        if mid <= lo || mid >= hi || hi - lo <= 1e-9 * hi.abs() {
            break;
        }
        if alerts(mid) <= allowed {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}
