//! Checks of the scan against a brute force written from the definition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::civil::date;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::counts::prepare;
use super::cylinders::Cylinders;
use super::kernel::{best_per_centre, max_llr};
use super::llr::llr;
use super::montecarlo::Permuter;
use super::table::Design;
use super::*;
use crate::study::{CaseCount, Location, Study};

/// A random city: `n` locations within ~5 km, `cases` cases over 30 days in `k` categories,
/// with an outbreak near location 0 in the last 3 days.
pub(super) fn random_study(seed: u64, n: usize, cases: usize, k: u32) -> Study {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let locations: Vec<Location> = (0..n)
        .map(|i| Location {
            id: format!("L{i:04}"),
            lat: 46.5 + rng.random_range(0.0..0.045),
            lon: 125.0 + rng.random_range(0.0..0.065),
        })
        .collect();
    let mut list = Vec::new();
    // The last few locations never have a case, like parks or empty lots.
    let with_cases = (n - n / 6) as u32;
    for _ in 0..cases {
        list.push(CaseCount {
            location: rng.random_range(0..with_cases),
            day: rng.random_range(0..30),
            count: rng.random_range(1..3),
            category: rng.random_range(0..k),
        });
    }
    for day in 27..30 {
        list.push(CaseCount {
            location: 0,
            day,
            count: 8,
            category: 0,
        });
    }
    let categories = (0..k).map(|c| format!("c{c}")).collect();
    Study::new(
        locations,
        date(2026, 1, 1),
        date(2026, 1, 30),
        categories,
        list,
    )
    .unwrap()
}

/// Every cylinder scored from the definition, without running sums, bounds or tables.
fn brute_force_max(study: &Study, params: &ScanParams, counts: &[u32], stride: usize) -> f64 {
    let w = params.max_days as usize;
    let (e, _, _) = prepare(study, w);
    let points: Vec<_> = study.locations.iter().map(|l| l.point()).collect();
    let cyl = Cylinders::build(
        &points,
        &e.cases_at,
        params.max_radius_km,
        params.max_share * e.total,
    );
    let mut best = 0f64;
    for centre in 0..cyl.centres() {
        let members = cyl.of(centre);
        for size in 1..=members.len() {
            for d in 0..w {
                let c: u32 = members[..size]
                    .iter()
                    .map(|&z| counts[z as usize * stride + d])
                    .sum();
                let mu: f64 = members[..size]
                    .iter()
                    .map(|&z| e.expected[z as usize * w + d])
                    .sum();
                if c >= params.min_cases {
                    best = best.max(llr(f64::from(c), mu, e.total));
                }
            }
        }
    }
    best
}

#[test]
fn fast_maximum_equals_brute_force_on_observed_and_replicas() {
    for (seed, k, threshold) in [(1, 1, 0.5), (2, 3, 1.0), (3, 1, 2.5)] {
        let study = random_study(seed, 60, 400, k);
        let params = ScanParams {
            max_radius_km: 1.5,
            max_days: 5,
            ..ScanParams::default()
        };
        let w = params.max_days as usize;
        let (e, observed, strata) = prepare(&study, w);
        let points: Vec<_> = study.locations.iter().map(|l| l.point()).collect();
        let cyl = Cylinders::build(
            &points,
            &e.cases_at,
            params.max_radius_km,
            params.max_share * e.total,
        );
        let design = Design::new(&cyl, &e, study.categories.len());
        let per_centre = best_per_centre(&cyl, &design, &observed, params.min_cases)
            .iter()
            .map(|b| b.llr)
            .fold(0.0, f64::max);
        let brute = brute_force_max(&study, &params, &observed, w);
        assert!((per_centre - brute).abs() < 1e-9, "{per_centre} vs {brute}");
        let most = u32::try_from(*e.window_cases.last().unwrap()).unwrap();
        let needed = design.needed(&cyl, threshold, params.min_cases, most);
        let mut permuter = Permuter::new(&strata);
        let mut counts = vec![0u16; points.len() * 8];
        let mut reached = 0;
        for r in 0..30 {
            permuter.replica_counts(seed, r, (w, 8), &mut counts);
            let fast = max_llr::<8>(&cyl, &design, &needed, &counts);
            let wide: Vec<u32> = counts.iter().map(|&c| u32::from(c)).collect();
            let brute = brute_force_max(&study, &params, &wide, 8);
            if brute >= threshold {
                reached += 1;
                assert!(
                    (fast - brute).abs() < 1e-9,
                    "replica {r}: {fast} vs {brute}"
                );
            } else {
                assert_eq!(fast, 0.0, "replica {r}: below the threshold counts as 0");
            }
        }
        assert!(
            reached > 0,
            "the test must exercise replicas that reach the threshold"
        );
    }
}

#[test]
fn the_planted_outbreak_is_the_most_likely_cluster_and_significant() {
    let study = random_study(9, 80, 600, 1);
    let params = ScanParams {
        max_radius_km: 1.0,
        replicas: 199,
        early_stop: None,
        ..ScanParams::default()
    };
    let report = scan(&study, &params, &|_| {}).unwrap();
    let top = &report.clusters[0];
    assert!(top.locations.contains(&0), "{top:?}");
    assert!(top.p_value.unwrap() <= 0.01, "{top:?}");
    assert_eq!(report.replicas_run, 199);
    assert!(!report.stopped_early);
    // Reported clusters never share a location.
    let mut seen = std::collections::HashSet::new();
    for c in &report.clusters {
        for l in &c.locations {
            assert!(seen.insert(*l), "location {l} in two clusters");
        }
    }
}

#[test]
fn adjusting_for_category_changes_the_expectation_but_not_the_totals() {
    let study = random_study(4, 40, 300, 3);
    let (e, _, _) = prepare(&study, 7);
    let mut one = study.clone();
    for c in &mut one.cases {
        c.category = 0;
    }
    one.categories = vec![String::new()];
    let (e1, _, _) = prepare(&one, 7);
    // Σ_z μ(z, w) = C(w) either way: the expectation only redistributes the window's cases.
    for w in 0..7 {
        let s: f64 = (0..40).map(|z| e.expected[z * 7 + w]).sum();
        let s1: f64 = (0..40).map(|z| e1.expected[z * 7 + w]).sum();
        assert!((s - s1).abs() < 1e-9);
    }
    assert_ne!(e.expected, e1.expected);
}

#[test]
fn the_result_does_not_depend_on_the_number_of_threads() {
    let study = random_study(5, 50, 300, 2);
    let params = ScanParams {
        max_radius_km: 1.2,
        replicas: 64,
        early_stop: None,
        ..ScanParams::default()
    };
    let many = scan(&study, &params, &|_| {}).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| scan(&study, &params, &|_| {}).unwrap());
    assert_eq!(many, one);
}

#[test]
fn early_stop_stops_at_the_threshold() {
    // No outbreak worth the name: replicas beat the top cluster often.
    let mut study = random_study(6, 50, 300, 1);
    study.cases.retain(|c| c.count < 8);
    // Single cases only: records of two cases on one day at one place are themselves a
    // (tiny) cluster under the permutation null.
    for c in &mut study.cases {
        c.count = 1;
    }
    let params = ScanParams {
        max_radius_km: 1.0,
        replicas: 999,
        early_stop: Some(10),
        ..ScanParams::default()
    };
    let report = scan(&study, &params, &|_| {}).unwrap();
    assert!(
        report.stopped_early,
        "{:?} after {}",
        report.clusters[0].p_value, report.replicas_run
    );
    let top = &report.clusters[0];
    let beaten = report
        .replica_llrs
        .iter()
        .filter(|&&v| v > top.llr + 1e-9)
        .count();
    assert_eq!(beaten, 10);
    assert!(
        report.replica_llrs.last().unwrap() > &(top.llr + 1e-9),
        "stops on the 10th"
    );
    assert!((top.p_value.unwrap() - 10.0 / f64::from(report.replicas_run)).abs() < 1e-12);
}

#[test]
fn bad_parameters_are_refused() {
    let study = random_study(7, 10, 50, 1);
    let bad = [
        ScanParams {
            max_radius_km: -1.0,
            ..ScanParams::default()
        },
        ScanParams {
            max_radius_km: f64::NAN,
            ..ScanParams::default()
        },
        ScanParams {
            max_share: 0.0,
            ..ScanParams::default()
        },
        ScanParams {
            max_share: 0.6,
            ..ScanParams::default()
        },
        ScanParams {
            max_days: 0,
            ..ScanParams::default()
        },
        ScanParams {
            max_days: 31,
            ..ScanParams::default()
        },
        ScanParams {
            replicas: 100_001,
            ..ScanParams::default()
        },
    ];
    for p in bad {
        assert!(scan(&study, &p, &|_| {}).is_err(), "{p:?}");
    }
}
