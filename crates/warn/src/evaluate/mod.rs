//! How good is each early-warning method? Synthetic outbreaks injected into real-shaped
//! history, many times, and every method judged at the same false-alert rate.
//!
//! A method's threshold means nothing by itself (an LLR of 6 and a z-score of 3 are not
//! comparable), and neither does a detection rate without the false alerts it costs. So each
//! method is first *calibrated* on the background — the history as it is, assumed free of
//! outbreaks — to a city-wide target of false alerts a year (say 1, 4 or 12), then every
//! method hunts the same injected outbreaks at that threshold:
//!
//! 1. [`background`]: every analysis day of the history is scanned (per category, as the
//!    daily job does) and every unit × category series is scored by every baseline;
//! 2. [`calibrate`]: thresholds from the even-numbered analysis days, and the false-alert rate
//!    those thresholds actually give on the odd-numbered ones (held out, so the figure is not
//!    flattered by having been fitted);
//! 3. [`inject`]: per trial, an outbreak drawn from the seed and the trial number — a centre,
//!    1–3 rings of its nearest neighbours, 3–14 days, a step or a ramp to 2–5× the expected
//!    count, in one category — added to the background;
//! 4. [`detect`]: each method watches the outbreak day by day, seeing only cases up to that
//!    day, until an alert touches an outbreak grid.
//!
//! The scan runs without Monte Carlo replicas: its cluster LLR is the statistic, and the
//! calibration gives it the threshold a p-value would have given, at the fraction of the cost.
//! Everything is deterministic from the seed, on any number of threads. No I/O; [`svg`] only
//! renders a string.

pub mod background;
pub mod calibrate;
pub mod detect;
pub mod inject;
mod report;
pub mod svg;
mod trial;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::baselines::Method;
use crate::scan::{MAX_WINDOW_DAYS, ScanError};
use crate::study::{Study, StudyError};
use background::Prepared;
pub use detect::Detection;
pub use inject::{Outbreak, OutbreakSpec, Shape};
pub use report::{EvalReport, MethodSummary, Row};

/// The name the scan goes by in reports (the baselines use [`Method::name`]).
pub const SCAN: &str = "scan";

/// How the scan runs during the evaluation (the daily job's settings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanSettings {
    /// Largest circle radius, km.
    pub max_radius_km: f64,
    /// Largest share of the study's cases a circle may hold, in (0, 0.5].
    pub max_share: f64,
    /// Longest window, days.
    pub max_days: u32,
    /// Days of history each scan learns its expectation from (the study period ends on the
    /// analysis day and reaches back this far, or to the start of the background).
    pub study_days: u32,
}

impl Default for ScanSettings {
    /// The daily job's defaults (`WarnRules`): 2 km, 7 days, a year of history.
    fn default() -> Self {
        Self {
            max_radius_km: 2.0,
            max_share: 0.5,
            max_days: 7,
            study_days: 365,
        }
    }
}

/// What to evaluate and how hard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// Outbreaks injected, one per trial.
    pub trials: u32,
    /// Every random draw derives from this and the trial number.
    pub seed: u64,
    /// City-wide false alerts a year each method is calibrated to.
    pub false_alert_targets: Vec<f64>,
    pub scan: ScanSettings,
    /// The baselines to compare with the scan, each run per unit × category series.
    pub baselines: Vec<Method>,
    /// First analysis day (day index into the background). Days before it are history only,
    /// so the baselines have a baseline to compare with: the Poisson CUSUM and the EWMA need
    /// 28 + 2 days. On a short background it is lowered to half the background (see
    /// [`effective_first_day`]); methods that still lack history then never alarm, and the
    /// report says so.
    pub first_day: u32,
    /// The outbreaks to draw.
    pub outbreak: OutbreakSpec,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            trials: 200,
            seed: 1,
            false_alert_targets: vec![1.0, 4.0, 12.0],
            scan: ScanSettings::default(),
            baselines: default_baselines(),
            first_day: 30,
            outbreak: OutbreakSpec::default(),
        }
    }
}

/// EARS C1, C2, C3, the Poisson CUSUM and the EWMA, each with its default parameters.
pub fn default_baselines() -> Vec<Method> {
    vec![
        Method::c1(),
        Method::c2(),
        Method::c3(),
        Method::poisson_cusum(),
        Method::ewma(),
    ]
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EvalError {
    #[error("{units} units given for {locations} locations; every location needs one")]
    UnitsMismatch { units: usize, locations: usize },
    #[error(
        "unit {unit} is out of range: units are numbered from 0, below the {locations} locations"
    )]
    BadUnit { unit: u32, locations: usize },
    #[error("at least one trial is needed")]
    NoTrials,
    #[error("false-alert targets must be positive numbers of alerts a year, not {0}")]
    BadTarget(f64),
    #[error("no false-alert target given")]
    NoTargets,
    #[error(
        "the background has {days} days; the scan's longest window ({max_days} days) must fit before the last day"
    )]
    TooShort { days: u32, max_days: u32 },
    #[error(
        "the scan's history ({study_days} days) must be at least its longest window ({max_days} days, at most {MAX_WINDOW_DAYS})"
    )]
    BadScanDays { study_days: u32, max_days: u32 },
    #[error("outbreak: {0}")]
    BadOutbreak(&'static str),
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Study(#[from] StudyError),
}

/// One step of the evaluation, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Scanning and scoring the history without injection.
    Background,
    /// Calibrating thresholds (a handful of passes over the series).
    Calibration,
    /// Injected outbreaks.
    Trials,
}

/// The first analysis day actually used: `config.first_day`, but no later than half the
/// background (so a short background such as SaTScan's 24-day sample still has days to
/// analyse) and no earlier than the scan's longest window allows.
pub fn effective_first_day(config: &EvalConfig, days: u32) -> u32 {
    config
        .first_day
        .min(days / 2)
        .max(config.scan.max_days.saturating_sub(1))
}

/// Runs the whole evaluation. `units[location]` names the series unit each location's cases
/// are counted in by the baselines (the demo city: the grid's community; plain coordinate
/// files: every location its own unit). `progress(stage, done, total)` is called as work
/// completes, from any thread.
pub fn evaluate(
    study: &Study,
    units: &[u32],
    config: &EvalConfig,
    progress: &(dyn Fn(Stage, u64, u64) + Sync),
) -> Result<EvalReport, EvalError> {
    check(study, units, config)?;
    let first = effective_first_day(config, study.days());
    let prep = Prepared::new(study, units, first);
    let scan_background = background::scan_background(&prep, &config.scan, &|done, total| {
        progress(Stage::Background, done, total)
    })?;
    let targets = &config.false_alert_targets;
    let scan = calibrate::scan_thresholds(&scan_background, targets);
    let total = config.baselines.len() as u64;
    progress(Stage::Calibration, 0, total);
    let mut baselines = Vec::with_capacity(config.baselines.len());
    for (i, method) in config.baselines.iter().enumerate() {
        baselines.push(calibrate::baseline_thresholds(&prep, method, targets));
        progress(Stage::Calibration, i as u64 + 1, total);
    }
    let thresholds: Vec<Vec<Option<f64>>> = std::iter::once(&scan)
        .chain(&baselines)
        .map(|c| c.thresholds.clone())
        .collect();
    let expected = inject::expected_counts(&prep);
    let done = std::sync::atomic::AtomicU64::new(0);
    progress(Stage::Trials, 0, u64::from(config.trials));
    let trials: Vec<trial::Outcome> = (0..config.trials)
        .into_par_iter()
        .map(|t| {
            let outcome = trial::run(&prep, config, &expected, &thresholds, t);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(Stage::Trials, n, u64::from(config.trials));
            outcome
        })
        .collect::<Result<_, _>>()?;
    Ok(report::assemble(&prep, config, &scan, &baselines, &trials))
}

fn check(study: &Study, units: &[u32], config: &EvalConfig) -> Result<(), EvalError> {
    if units.len() != study.locations.len() {
        return Err(EvalError::UnitsMismatch {
            units: units.len(),
            locations: study.locations.len(),
        });
    }
    if let Some(&unit) = units.iter().find(|&&u| u as usize >= units.len()) {
        return Err(EvalError::BadUnit {
            unit,
            locations: units.len(),
        });
    }
    if config.trials == 0 {
        return Err(EvalError::NoTrials);
    }
    if config.false_alert_targets.is_empty() {
        return Err(EvalError::NoTargets);
    }
    if let Some(&bad) = config
        .false_alert_targets
        .iter()
        .find(|t| !(t.is_finite() && **t > 0.0))
    {
        return Err(EvalError::BadTarget(bad));
    }
    let s = &config.scan;
    if s.max_days == 0 || s.max_days > MAX_WINDOW_DAYS || s.study_days < s.max_days {
        return Err(EvalError::BadScanDays {
            study_days: s.study_days,
            max_days: s.max_days,
        });
    }
    if study.days() < s.max_days + 1 {
        return Err(EvalError::TooShort {
            days: study.days(),
            max_days: s.max_days,
        });
    }
    config.outbreak.check()?;
    Ok(())
}

#[cfg(test)]
mod tests;
