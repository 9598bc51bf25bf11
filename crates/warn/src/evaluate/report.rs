//! The evaluation's result: one row per method × false-alert target, what each method costs
//! at its standard threshold, and the outbreaks drawn.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use super::background::Prepared;
use super::calibrate::Calibration;
use super::detect::{median, wilson};
use super::inject::Shape;
use super::trial::Outcome;
use super::{EvalConfig, SCAN};

/// Everything an evaluation found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub config: EvalConfig,
    pub background: BackgroundSummary,
    pub methods: Vec<MethodSummary>,
    /// Method by method (the scan first), target by target.
    pub rows: Vec<Row>,
    pub outbreaks: Vec<OutbreakSummary>,
}

/// The history the outbreaks were injected into.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackgroundSummary {
    pub locations: usize,
    pub units: usize,
    pub categories: Vec<String>,
    pub start: Date,
    pub end: Date,
    pub days: u32,
    pub cases: u64,
    /// The first analysis day; the days before it are history only.
    pub first_analysis_day: Date,
    /// Analysis days thresholds were fitted on, and days held out to measure them.
    pub calibration_days: usize,
    pub held_out_days: usize,
}

/// One method on the background.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodSummary {
    pub method: String,
    /// Days of history needed before a day can be judged (the scan: its longest window).
    pub history_days: u32,
    /// Analysis days the method could judge, fitted on and held out.
    pub calibration_days: usize,
    pub held_out_days: usize,
    /// Its standard threshold and the false alerts a year that gives over the whole city
    /// (baselines only: the scan's standard is a recurrence interval, which needs replicas).
    pub default_threshold: Option<f64>,
    pub default_alerts_per_year: Option<f64>,
    /// Why a method could not be judged, or judged on fewer days than the others.
    pub note: Option<String>,
}

/// One method at one false-alert target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub method: String,
    /// The false alerts a year asked for, city-wide.
    pub target_per_year: f64,
    /// The threshold calibrated to it (`None`: the method could not be calibrated and never
    /// alarms).
    pub threshold: Option<f64>,
    /// The false alerts a year that threshold gave on the held-out background days.
    pub held_out_per_year: Option<f64>,
    pub trials: u32,
    pub detected: u32,
    pub p_detect: f64,
    /// 95% Wilson interval of `p_detect`.
    pub p_detect_ci95: (f64, f64),
    /// Median days from an outbreak's start to its detection, over detected outbreaks.
    pub median_delay_days: Option<f64>,
    /// Mean Jaccard index of flagged and outbreak grids on the detection day.
    pub mean_overlap: Option<f64>,
}

/// One drawn outbreak, for whoever wants to look closer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutbreakSummary {
    pub trial: u32,
    pub category: String,
    pub centre: String,
    pub rings: u32,
    pub grids: usize,
    pub start: Date,
    pub days: u32,
    pub shape: Shape,
    pub multiplier: f64,
    pub injected_cases: u64,
    /// The extra cases reached [`super::inject::MAX_INJECTED_CASES`] and were cut there.
    pub capped: bool,
    /// Per method, the delay in days at each false-alert target (`null`: not detected).
    pub delays: BTreeMap<String, Vec<Option<u32>>>,
}

pub fn assemble(
    prep: &Prepared<'_>,
    config: &EvalConfig,
    scan: &Calibration,
    baselines: &[Calibration],
    trials: &[Outcome],
) -> EvalReport {
    let study = prep.study;
    let names: Vec<String> = std::iter::once(SCAN.to_string())
        .chain(config.baselines.iter().map(|m| m.name().to_string()))
        .collect();
    let calibrations: Vec<&Calibration> = std::iter::once(scan).chain(baselines).collect();
    let analysis = prep.analysis_days().len();
    let methods = names
        .iter()
        .zip(&calibrations)
        .enumerate()
        .map(|(i, (name, c))| {
            let history_days = if i == 0 {
                config.scan.max_days
            } else {
                c.history_days
            };
            MethodSummary {
                method: name.clone(),
                history_days,
                calibration_days: c.calibration_days,
                held_out_days: c.held_out_days,
                default_threshold: c.default_threshold,
                default_alerts_per_year: c.default_per_year,
                note: note(c, history_days, analysis, prep.days),
            }
        })
        .collect();
    let n = trials.len() as u32;
    let mut rows = Vec::new();
    for (m, (name, c)) in names.iter().zip(&calibrations).enumerate() {
        for (k, &target) in config.false_alert_targets.iter().enumerate() {
            let found: Vec<_> = trials
                .iter()
                .filter_map(|t| {
                    t.detections
                        .get(m)
                        .and_then(|d| d.get(k))
                        .copied()
                        .flatten()
                })
                .collect();
            let detected = found.len() as u32;
            let delays: Vec<f64> = found.iter().map(|d| f64::from(d.delay)).collect();
            let overlap = (!found.is_empty())
                .then(|| found.iter().map(|d| d.overlap).sum::<f64>() / found.len() as f64);
            rows.push(Row {
                method: name.clone(),
                target_per_year: target,
                threshold: c.thresholds.get(k).copied().flatten(),
                held_out_per_year: c.held_out_per_year.get(k).copied().flatten(),
                trials: n,
                detected,
                p_detect: if n > 0 {
                    f64::from(detected) / f64::from(n)
                } else {
                    0.0
                },
                p_detect_ci95: wilson(detected, n),
                median_delay_days: median(&delays),
                mean_overlap: overlap,
            });
        }
    }
    let outbreaks = trials
        .iter()
        .enumerate()
        .map(|(t, o)| OutbreakSummary {
            trial: t as u32,
            category: study
                .categories
                .get(o.outbreak.category as usize)
                .cloned()
                .unwrap_or_default(),
            centre: study
                .locations
                .get(o.outbreak.centre as usize)
                .map(|l| l.id.clone())
                .unwrap_or_default(),
            rings: o.outbreak.rings,
            grids: o.outbreak.grids.len(),
            start: study.date(o.outbreak.start),
            days: o.outbreak.days,
            shape: o.outbreak.shape,
            multiplier: o.outbreak.multiplier,
            injected_cases: o.injected,
            capped: o.capped,
            delays: names
                .iter()
                .zip(&o.detections)
                .map(|(name, d)| (name.clone(), d.iter().map(|d| d.map(|d| d.delay)).collect()))
                .collect(),
        })
        .collect();
    let calibration_days = prep.analysis_days().filter(|&d| prep.calibrates(d)).count();
    EvalReport {
        config: config.clone(),
        background: BackgroundSummary {
            locations: study.locations.len(),
            units: prep.unit_grids.len(),
            categories: study.categories.clone(),
            start: study.start,
            end: study.end,
            days: prep.days,
            cases: study.total_cases(),
            first_analysis_day: study.date(prep.first),
            calibration_days,
            held_out_days: analysis - calibration_days,
        },
        methods,
        rows,
        outbreaks,
    }
}

/// Says why a method was judged on fewer days than the background offers.
fn note(c: &Calibration, history: u32, analysis: usize, days: u32) -> Option<String> {
    let judged = c.calibration_days + c.held_out_days;
    if judged == 0 {
        Some(format!(
            "needs {history} days of history before the day it judges; the background has {days} days in all: never judged, never alarms"
        ))
    } else if c.thresholds.iter().all(Option::is_none) {
        Some("no calibration day could be judged: never alarms".into())
    } else if judged < analysis {
        Some(format!(
            "judged on {judged} of {analysis} analysis days (needs {history} days of history)"
        ))
    } else {
        None
    }
}
