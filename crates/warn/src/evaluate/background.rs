//! The background, prepared once: cases per category by day, the baselines' daily series per
//! unit × category, each grid's expected count, and the scan of every background day.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::{EvalError, ScanSettings};
use crate::scan::{ScanParams, scan};
use crate::sphere::Point3;
use crate::study::{CaseCount, Study, StudyError};

/// What every part of the evaluation reads, computed once from the background.
#[derive(Debug)]
pub struct Prepared<'a> {
    pub study: &'a Study,
    pub points: Vec<Point3>,
    /// The baseline unit of each location.
    pub units: &'a [u32],
    /// The locations of each unit (units numbered 0..=max of `units`).
    pub unit_grids: Vec<Vec<u32>>,
    pub categories: usize,
    /// Each category's cases, summed per day and location, sorted by day then location.
    pub by_category: Vec<Vec<CaseCount>>,
    /// `series[unit * categories + category][day]`: the baselines' daily counts.
    pub series: Vec<Vec<u32>>,
    /// Cases per category over the whole background.
    pub category_cases: Vec<u64>,
    pub days: u32,
    /// The first analysis day.
    pub first: u32,
}

impl<'a> Prepared<'a> {
    pub fn new(study: &'a Study, units: &'a [u32], first: u32) -> Self {
        let categories = study.categories.len().max(1);
        let days = study.days();
        let unit_count = units.iter().map(|&u| u as usize + 1).max().unwrap_or(0);
        let mut unit_grids = vec![Vec::new(); unit_count];
        for (z, &u) in units.iter().enumerate() {
            unit_grids[u as usize].push(z as u32);
        }
        let mut series = vec![vec![0u32; days as usize]; unit_count * categories];
        let mut category_cases = vec![0u64; categories];
        let mut by_category: Vec<Vec<CaseCount>> = vec![Vec::new(); categories];
        for c in &study.cases {
            let cat = c.category as usize;
            let unit = units[c.location as usize] as usize;
            let slot = &mut series[unit * categories + cat][c.day as usize];
            *slot = slot.saturating_add(c.count);
            category_cases[cat] += u64::from(c.count);
            by_category[cat].push(*c);
        }
        for cases in &mut by_category {
            *cases = merge(std::mem::take(cases));
        }
        Self {
            study,
            points: study.locations.iter().map(|l| l.point()).collect(),
            units,
            unit_grids,
            categories,
            by_category,
            series,
            category_cases,
            days,
            first,
        }
    }

    /// The analysis days, first to last.
    pub fn analysis_days(&self) -> std::ops::Range<u32> {
        self.first..self.days
    }

    /// Whether an analysis day calibrates thresholds (even-numbered from the first) or is held
    /// out to measure them (odd-numbered).
    pub fn calibrates(&self, day: u32) -> bool {
        (day - self.first).is_multiple_of(2)
    }

    /// The study one daily scan sees: `category` only, from `settings.study_days` before `day`
    /// (or the start) to `day`, plus the `extra` cases (absolute days, this category) up to
    /// `day`. `None` when it holds no case at all (nothing to scan).
    pub fn window_study(
        &self,
        category: usize,
        day: u32,
        study_days: u32,
        extra: &[CaseCount],
    ) -> Result<Option<Study>, EvalError> {
        let len = study_days.min(day + 1);
        let from = day + 1 - len;
        let cases = &self.by_category[category];
        let lo = cases.partition_point(|c| c.day < from);
        let hi = cases.partition_point(|c| c.day <= day);
        let shift = |c: &CaseCount| CaseCount {
            location: c.location,
            day: c.day - from,
            count: c.count,
            category: 0,
        };
        let mut window: Vec<CaseCount> = cases[lo..hi].iter().map(shift).collect();
        window.extend(
            extra
                .iter()
                .filter(|c| (from..=day).contains(&c.day))
                .map(shift),
        );
        let study = Study::new(
            self.study.locations.clone(),
            self.study.date(from),
            self.study.date(day),
            vec![],
            window,
        );
        match study {
            Ok(s) => Ok(Some(s)),
            Err(StudyError::NoCases) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// Sums records of the same day and location; sorted by day, then location.
fn merge(mut cases: Vec<CaseCount>) -> Vec<CaseCount> {
    cases.sort_by_key(|c| (c.day, c.location));
    let mut out: Vec<CaseCount> = Vec::with_capacity(cases.len());
    for c in cases {
        match out.last_mut() {
            Some(last) if last.day == c.day && last.location == c.location => {
                last.count = last.count.saturating_add(c.count);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A cluster the scan reported on one day: its LLR and member locations.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub llr: f64,
    pub grids: Vec<u32>,
}

/// The scan parameters of the evaluation: no replicas (the LLR is the statistic) and every
/// non-overlapping cluster reported, however weak, so any threshold can be applied afterwards.
pub fn scan_params(settings: &ScanSettings) -> ScanParams {
    ScanParams {
        max_radius_km: settings.max_radius_km,
        max_share: settings.max_share,
        max_days: settings.max_days,
        min_cases: 2,
        replicas: 0,
        seed: 0,
        early_stop: None,
        max_clusters: usize::MAX,
    }
}

/// Scans one category on one day (prospectively: only cases up to that day are seen).
pub fn scan_day(
    prep: &Prepared<'_>,
    settings: &ScanSettings,
    category: usize,
    day: u32,
    extra: &[CaseCount],
) -> Result<Vec<Found>, EvalError> {
    let Some(study) = prep.window_study(category, day, settings.study_days, extra)? else {
        return Ok(Vec::new());
    };
    let report = scan(&study, &scan_params(settings), &|_| {})?;
    Ok(report
        .clusters
        .into_iter()
        .map(|c| Found {
            llr: c.llr,
            grids: c.locations.iter().map(|&z| z as u32).collect(),
        })
        .collect())
}

/// The scan's LLRs on the background, every cluster of every category, split into the
/// calibration days and the held-out days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanBackground {
    pub calibration: Vec<f64>,
    pub held_out: Vec<f64>,
    pub calibration_days: usize,
    pub held_out_days: usize,
}

/// Scans every category on every analysis day of the background, in parallel (the result does
/// not depend on the number of threads: each scan is independent and results are collected in
/// order).
pub fn scan_background(
    prep: &Prepared<'_>,
    settings: &ScanSettings,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ScanBackground, EvalError> {
    let days: Vec<u32> = prep.analysis_days().collect();
    let jobs: Vec<(usize, u32)> = (0..prep.categories)
        .flat_map(|c| days.iter().map(move |&d| (c, d)))
        .collect();
    let total = jobs.len() as u64;
    let done = AtomicU64::new(0);
    progress(0, total);
    let found: Vec<(u32, Vec<f64>)> = jobs
        .par_iter()
        .map(|&(c, d)| {
            let llrs = scan_day(prep, settings, c, d, &[])?
                .into_iter()
                .map(|f| f.llr)
                .collect();
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok((d, llrs))
        })
        .collect::<Result<_, EvalError>>()?;
    let mut out = ScanBackground::default();
    for d in &days {
        if prep.calibrates(*d) {
            out.calibration_days += 1;
        } else {
            out.held_out_days += 1;
        }
    }
    for (d, llrs) in found {
        if prep.calibrates(d) {
            out.calibration.extend(llrs);
        } else {
            out.held_out.extend(llrs);
        }
    }
    Ok(out)
}
