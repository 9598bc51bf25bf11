//! From the best cylinder per centre to reported clusters with p-values.

use serde::Serialize;

use super::ScanParams;
use super::cylinders::Cylinders;
use super::kernel::Best;
use crate::sphere::{Point3, arc_km};
use crate::study::Study;

/// One reported cluster, in the terms SaTScan reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Index of the centre location in the study.
    pub centre: usize,
    /// Indexes of the member locations, nearest the centre first.
    pub locations: Vec<usize>,
    /// Great-circle distance from the centre to the farthest member, km.
    pub radius_km: f64,
    /// First and last day of the window (day indexes; the last is the analysis day).
    pub start_day: u32,
    pub end_day: u32,
    pub observed: u32,
    pub expected: f64,
    pub llr: f64,
    /// Monte Carlo p-value; `None` when no replicas ran.
    pub p_value: Option<f64>,
    /// 1/p for a daily analysis: how often, in days, a cluster this strong arises by chance.
    pub recurrence_days: Option<f64>,
}

impl Cluster {
    /// Observed over expected.
    pub fn ratio(&self) -> f64 {
        if self.expected > 0.0 {
            f64::from(self.observed) / self.expected
        } else {
            0.0
        }
    }
}

/// The outcome of a scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    /// Most likely cluster first.
    pub clusters: Vec<Cluster>,
    pub total_cases: u64,
    /// Replicas actually run (fewer than asked when the early stop engaged).
    pub replicas_run: u32,
    pub stopped_early: bool,
    /// Each replica's highest LLR, in replica order, where it reaches the weakest reported
    /// cluster's LLR; 0 where it does not (all a p-value needs, and far cheaper to compute).
    pub replica_llrs: Vec<f64>,
}

/// SaTScan's "no geographical overlap": candidates best first (ties: fewer locations, then
/// the lower centre), each kept only if it overlaps no cluster kept before it.
pub fn non_overlapping(
    mut candidates: Vec<Best>,
    cylinders: &Cylinders,
    points: &[Point3],
    max: usize,
) -> Vec<Best> {
    candidates.sort_by(|a, b| {
        if (a.llr - b.llr).abs() < 1e-9 {
            a.size.cmp(&b.size).then(a.centre.cmp(&b.centre))
        } else {
            b.llr.total_cmp(&a.llr)
        }
    });
    let mut kept: Vec<Best> = Vec::new();
    for c in candidates {
        if kept.len() >= max {
            break;
        }
        if kept.iter().all(|k| !overlaps(k, &c, cylinders, points)) {
            kept.push(c);
        }
    }
    kept
}

/// Circles overlap when one holds the other's centre or any member of the smaller lies
/// within the other's radius (SaTScan's geometric test, with its 1e-9 tolerance).
fn overlaps(a: &Best, b: &Best, cylinders: &Cylinders, points: &[Point3]) -> bool {
    let radius = |x: &Best| chord(points, x.centre, members(cylinders, x).last().copied());
    let (ra, rb) = (radius(a), radius(b));
    let d = points[a.centre].chord_sq(&points[b.centre]).sqrt();
    if d > ra + rb + 1e-9 {
        return false;
    }
    if d <= ra + 1e-9 || d <= rb + 1e-9 {
        return true;
    }
    let (small, large, r_large) = if a.size <= b.size {
        (a, b, rb)
    } else {
        (b, a, ra)
    };
    members(cylinders, small)
        .iter()
        .any(|&z| points[z as usize].chord_sq(&points[large.centre]).sqrt() <= r_large + 1e-9)
}

fn members<'a>(cylinders: &'a Cylinders, b: &Best) -> &'a [u32] {
    let all = cylinders.of(b.centre);
    &all[..b.size.min(all.len())]
}

fn chord(points: &[Point3], centre: usize, farthest: Option<u32>) -> f64 {
    farthest.map_or(0.0, |z| points[centre].chord_sq(&points[z as usize]).sqrt())
}

/// Turns the chosen candidates into clusters with p-values, SaTScan's way: rank = 1 + the
/// replicas scoring at least as high; p = rank / (replicas + 1). After an early stop the most
/// likely cluster's p is (threshold / replicas run) and the others' (beaten by / replicas run).
pub fn assemble(
    study: &Study,
    cylinders: &Cylinders,
    points: &[Point3],
    chosen: &[Best],
    replica_llrs: &[f64],
    params: &ScanParams,
    top: f64,
) -> ScanReport {
    let run = replica_llrs.len() as u32;
    let stopped_early = run < params.replicas;
    let end_day = study.days().saturating_sub(1);
    let clusters = chosen
        .iter()
        .map(|b| {
            let members = members(cylinders, b);
            let at_least = replica_llrs.iter().filter(|&&v| v >= b.llr - 1e-9).count() as f64;
            let p_value = (run > 0).then(|| {
                if stopped_early {
                    let is_top = (b.llr - top).abs() < 1e-12;
                    let k = params.early_stop.unwrap_or(0);
                    if is_top { f64::from(k) } else { at_least }.min(f64::from(run))
                        / f64::from(run)
                } else {
                    (at_least + 1.0) / (f64::from(run) + 1.0)
                }
            });
            let recurrence_days = p_value.map(|p| {
                if p > 0.0 {
                    (1.0 / p).max(1.0)
                } else {
                    f64::INFINITY
                }
            });
            Cluster {
                centre: b.centre,
                locations: members.iter().map(|&z| z as usize).collect(),
                radius_km: arc_km(chord(points, b.centre, members.last().copied())),
                start_day: end_day + 1 - b.days as u32,
                end_day,
                observed: b.observed,
                expected: b.expected,
                llr: b.llr,
                p_value,
                recurrence_days,
            }
        })
        .collect();
    ScanReport {
        clusters,
        total_cases: study.total_cases(),
        replicas_run: run,
        stopped_early,
        replica_llrs: replica_llrs.to_vec(),
    }
}
