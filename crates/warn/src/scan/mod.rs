//! The prospective space-time permutation scan statistic (Kulldorff et al. 2005), as SaTScan
//! computes it.
//!
//! Cylinders are circles about every location (growing through its nearest neighbours up to a
//! maximum radius and a maximum share of all cases) times windows of 1..W days that all end on
//! the analysis day. Each high-rate cylinder is scored by the Poisson generalized likelihood
//! ratio; the best cylinder about each centre is a candidate, and the candidates are reported
//! best first, skipping any that overlaps a better one. Significance comes from Monte Carlo
//! replicas in which dates are shuffled among cases with locations fixed.
//!
//! Layout: [`cylinders`] (the circles), [`counts`] (observed and expected per window),
//! [`kernel`] (the loop over cylinders), [`montecarlo`] (the replicas), [`llr`].

pub mod counts;
pub mod cylinders;
pub mod kernel;
pub mod llr;
pub mod montecarlo;
mod report;
pub mod table;

use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::study::Study;
use counts::prepare;
use cylinders::Cylinders;
use kernel::{best_per_centre, max_llr};
use montecarlo::Permuter;
use table::Design;

pub use report::{Cluster, ScanReport};

/// What to scan for; the same parameters SaTScan takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanParams {
    /// Largest circle radius, km.
    pub max_radius_km: f64,
    /// Largest share of all cases a circle may hold, in (0, 0.5].
    pub max_share: f64,
    /// Longest window, days (windows of 1..=max_days days, all ending on the analysis day), at
    /// most [`MAX_WINDOW_DAYS`].
    pub max_days: u32,
    /// Fewest cases a cluster may have (SaTScan's default is 2).
    pub min_cases: u32,
    /// Monte Carlo replications; 0 skips significance testing.
    pub replicas: u32,
    pub seed: u64,
    /// Stop once this many replicas beat the most likely cluster: its p-value is then known to
    /// be large and more replicas would not change the decision. SaTScan's default is
    /// (replicas + 1) / 20 when replicas ≥ 99. `None` always runs every replica.
    pub early_stop: Option<u32>,
    /// Most clusters to report.
    pub max_clusters: usize,
}

impl Default for ScanParams {
    fn default() -> Self {
        Self {
            max_radius_km: 3.0,
            max_share: 0.5,
            max_days: 7,
            min_cases: 2,
            replicas: 999,
            seed: 12_345_678,
            early_stop: Some(50),
            max_clusters: 10,
        }
    }
}

impl ScanParams {
    /// SaTScan's default early stop for a number of replicas.
    pub fn satscan_early_stop(replicas: u32) -> Option<u32> {
        (replicas >= 99).then_some((replicas + 1) / 20)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScanError {
    #[error("the maximum radius must be a positive number of km, not {0}")]
    BadRadius(f64),
    #[error("the maximum share of cases must be above 0 and at most 0.5, not {0}")]
    BadShare(f64),
    #[error("the maximum window must be 1 to {days} days (the study period), not {given}")]
    BadWindow { given: u32, days: u32 },
    #[error("at most 100000 replications, not {0}")]
    TooManyReplicas(u32),
    #[error(
        "{0} cases fall in the longest window; one scan handles at most 65534 (scan a category or a district at a time)"
    )]
    TooManyRecentCases(u64),
}

/// Longest window the fast replica loop is built for (lanes of 8 up to 64).
pub const MAX_WINDOW_DAYS: u32 = 64;

/// Runs a scan. `progress` is told how many replicas are done, now and then.
pub fn scan(
    study: &Study,
    params: &ScanParams,
    progress: &(dyn Fn(u32) + Sync),
) -> Result<ScanReport, ScanError> {
    if !(params.max_radius_km.is_finite() && params.max_radius_km >= 0.0) {
        return Err(ScanError::BadRadius(params.max_radius_km));
    }
    if !(params.max_share > 0.0 && params.max_share <= 0.5) {
        return Err(ScanError::BadShare(params.max_share));
    }
    let days = study.days().min(MAX_WINDOW_DAYS);
    if params.max_days == 0 || params.max_days > days {
        return Err(ScanError::BadWindow {
            given: params.max_days,
            days,
        });
    }
    if params.replicas > 100_000 {
        return Err(ScanError::TooManyReplicas(params.replicas));
    }
    let windows = params.max_days as usize;
    let (expectation, observed, strata) = prepare(study, windows);
    let points: Vec<_> = study.locations.iter().map(|l| l.point()).collect();
    let cylinders = Cylinders::build(
        &points,
        &expectation.cases_at,
        params.max_radius_km,
        params.max_share * expectation.total,
    );
    let design = Design::new(&cylinders, &expectation, study.categories.len());
    let candidates = best_per_centre(&cylinders, &design, &observed, params.min_cases);
    let chosen = report::non_overlapping(candidates, &cylinders, &points, params.max_clusters);
    let top = chosen.first().map_or(f64::INFINITY, |b| b.llr);
    let replica_llrs = match chosen.last() {
        Some(weakest) if params.replicas > 0 => {
            // SaTScan counts a replica against a cluster when it scores within 1e-9 of it.
            let threshold = weakest.llr - 1e-9;
            let most = expectation.window_cases.last().copied().unwrap_or(0);
            let most = u32::try_from(most)
                .ok()
                .filter(|&m| m < u32::from(u16::MAX))
                .ok_or(ScanError::TooManyRecentCases(most))?;
            let needed = design.needed(&cylinders, threshold, params.min_cases, most);
            let run = Run {
                cylinders: &cylinders,
                design: &design,
                needed: &needed,
                strata: &strata,
                params,
                top,
            };
            match design.lanes {
                8 => run.replicas::<8>(progress),
                16 => run.replicas::<16>(progress),
                24 => run.replicas::<24>(progress),
                32 => run.replicas::<32>(progress),
                40 => run.replicas::<40>(progress),
                48 => run.replicas::<48>(progress),
                56 => run.replicas::<56>(progress),
                _ => run.replicas::<64>(progress),
            }
        }
        _ => Vec::new(),
    };
    Ok(report::assemble(
        study,
        &cylinders,
        &points,
        &chosen,
        &replica_llrs,
        params,
        top,
    ))
}

/// What every replica shares.
struct Run<'a> {
    cylinders: &'a Cylinders,
    design: &'a Design,
    needed: &'a [u16],
    strata: &'a [counts::Stratum],
    params: &'a ScanParams,
    top: f64,
}

impl Run<'_> {
    /// Runs replicas in chunks across all cores, in order of index, stopping early (at a
    /// point that depends only on the results, never on timing) when enough replicas beat the
    /// most likely cluster.
    fn replicas<const L: usize>(&self, progress: &(dyn Fn(u32) + Sync)) -> Vec<f64> {
        let total = self.params.replicas;
        let chunk = (rayon::current_num_threads() as u32 * 8).max(32);
        let cells = self.cylinders.centres() * L;
        // One workspace per worker thread, made once: a permuter copies every case's location.
        let workspaces: Vec<Mutex<(Permuter, Vec<u16>)>> = (0..rayon::current_num_threads().max(1))
            .map(|_| Mutex::new((Permuter::new(self.strata), vec![0u16; cells])))
            .collect();
        let mut llrs = Vec::with_capacity(total as usize);
        let mut beaten = 0u32;
        let mut next = 0u32;
        while next < total {
            let end = (next + chunk).min(total);
            let batch: Vec<f64> = (next..end)
                .into_par_iter()
                .map(|r| {
                    let slot = rayon::current_thread_index().unwrap_or(0) % workspaces.len();
                    // A worker only ever takes its own slot, so the lock is never contended; a
                    // poisoned lock means a replica panicked, and that panic ends the scan.
                    let mut guard = workspaces[slot]
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    let (permuter, counts) = &mut *guard;
                    permuter.replica_counts(
                        self.params.seed,
                        u64::from(r),
                        (self.design.windows, L),
                        counts,
                    );
                    max_llr::<L>(self.cylinders, self.design, self.needed, counts)
                })
                .collect();
            for v in batch {
                llrs.push(v);
                if v > self.top + 1e-9 {
                    beaten += 1;
                }
                if self.params.early_stop.is_some_and(|k| beaten >= k) {
                    progress(llrs.len() as u32);
                    return llrs;
                }
            }
            next = end;
            progress(next);
        }
        llrs
    }
}

#[cfg(test)]
mod tests;
