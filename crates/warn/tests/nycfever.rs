//! Golden test: SaTScan's own sample data, and the clusters SaTScan v10.3.2 reports for it
//! (`../shared/data/satscan-nycfever/REFERENCE.md`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grassroots_warn::satscan_format::parse_study;
use grassroots_warn::scan::{
    counts::prepare, cylinders::Cylinders, kernel::*, montecarlo::Permuter, table::Design,
};
use grassroots_warn::{ScanParams, scan};
use jiff::civil::date;

fn data(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/satscan-nycfever")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn reference_params() -> ScanParams {
    ScanParams {
        max_radius_km: 3.0,
        max_share: 0.5,
        max_days: 7,
        min_cases: 2,
        replicas: 999,
        seed: 20011124,
        early_stop: ScanParams::satscan_early_stop(999),
        max_clusters: 3,
    }
}

struct Expected {
    centre: &'static str,
    members: &'static [&'static str],
    start: (i16, i8, i8),
    observed: u32,
    expected: f64,
    llr: f64,
    radius_km: f64,
    p: f64,
}

const REFERENCE: [Expected; 3] = [
    Expected {
        centre: "11418",
        members: &[
            "11418", "11415", "11419", "11435", "11416", "11421", "11451", "11375", "11417",
        ],
        start: (2001, 11, 22),
        observed: 4,
        expected: 0.67,
        llr: 3.845418,
        radius_km: 2.90,
        p: 0.242,
    },
    Expected {
        centre: "11372",
        members: &["11372"],
        start: (2001, 11, 24),
        observed: 2,
        expected: 0.16,
        llr: 3.164201,
        radius_km: 0.0,
        p: 0.575,
    },
    Expected {
        centre: "10472",
        members: &["10472"],
        start: (2001, 11, 23),
        observed: 2,
        expected: 0.29,
        llr: 2.137259,
        radius_km: 0.0,
        p: 0.966,
    },
];

#[test]
fn the_three_reported_clusters_match_satscan() {
    let (study, skipped) = parse_study(
        &data("NYCfever.geo"),
        &data("NYCfever.cas"),
        date(2001, 11, 1),
        date(2001, 11, 24),
    )
    .unwrap();
    assert_eq!(skipped.outside_period, 0);
    assert_eq!(study.total_cases(), 194);
    let report = scan(&study, &reference_params(), &|_| {}).unwrap();
    assert_eq!(report.clusters.len(), 3);
    for (got, want) in report.clusters.iter().zip(REFERENCE.iter()) {
        let id = |i: usize| study.locations[i].id.as_str();
        assert_eq!(id(got.centre), want.centre);
        let members: Vec<&str> = got.locations.iter().map(|&i| id(i)).collect();
        assert_eq!(members, want.members);
        assert_eq!(
            study.date(got.start_day),
            date(want.start.0, want.start.1, want.start.2)
        );
        assert_eq!(study.date(got.end_day), date(2001, 11, 24));
        assert_eq!(got.observed, want.observed);
        assert_eq!(
            format!("{:.2}", got.expected),
            format!("{:.2}", want.expected)
        );
        assert_eq!(
            format!("{:.6}", got.llr),
            format!("{:.6}", want.llr),
            "LLR of {}",
            want.centre
        );
        assert_eq!(
            format!("{:.2}", got.radius_km),
            format!("{:.2}", want.radius_km)
        );
        // Monte Carlo: within about three standard errors of SaTScan's estimate.
        let p = got.p_value.unwrap();
        let n = f64::from(report.replicas_run);
        let se = (want.p * (1.0 - want.p) / n.min(207.0)).sqrt();
        assert!(
            (p - want.p).abs() <= 3.0 * se + 0.01,
            "p {p} vs {} (se {se})",
            want.p
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_answer_and_another_seed_a_close_one() {
    let (study, _) = parse_study(
        &data("NYCfever.geo"),
        &data("NYCfever.cas"),
        date(2001, 11, 1),
        date(2001, 11, 24),
    )
    .unwrap();
    let a = scan(&study, &reference_params(), &|_| {}).unwrap();
    let b = scan(&study, &reference_params(), &|_| {}).unwrap();
    assert_eq!(a, b);
    let other = ScanParams {
        seed: 7,
        ..reference_params()
    };
    let c = scan(&study, &other, &|_| {}).unwrap();
    assert_eq!(c.clusters[0].llr, a.clusters[0].llr);
    assert_ne!(c.replica_llrs, a.replica_llrs);
}

/// The fast replica loop (integer thresholds, no logarithms) against the plain per-centre
/// evaluation, replica by replica.
#[test]
fn replicas_score_exactly_like_the_observed_scan() {
    // Many NYC zip codes have no case at all: circles that start with nothing expected.
    let (study, _) = parse_study(
        &data("NYCfever.geo"),
        &data("NYCfever.cas"),
        date(2001, 11, 1),
        date(2001, 11, 24),
    )
    .unwrap();
    let w = 7;
    let (e, _obs, strata) = prepare(&study, w);
    let points: Vec<_> = study.locations.iter().map(|l| l.point()).collect();
    let cyl = Cylinders::build(&points, &e.cases_at, 3.0, 0.5 * e.total);
    let design = Design::new(&cyl, &e, 1);
    let most = *e.window_cases.last().unwrap() as u32;
    let needed = design.needed(&cyl, 2.137, 2, most);
    let mut p = Permuter::new(&strata);
    let mut counts = vec![0u16; points.len() * 8];
    let (mut diff, mut reached) = (0, 0);
    for r in 0..500 {
        p.replica_counts(1, r, (w, 8), &mut counts);
        let fast = max_llr::<8>(&cyl, &design, &needed, &counts);
        let wide: Vec<u32> = (0..points.len())
            .flat_map(|z| (0..w).map(move |d| (z, d)))
            .map(|(z, d)| u32::from(counts[z * 8 + d]))
            .collect();
        let slow = best_per_centre(&cyl, &design, &wide, 2)
            .iter()
            .map(|b| b.llr)
            .fold(0.0, f64::max);
        let slow = if slow >= 2.137 { slow } else { 0.0 };
        if (fast - slow).abs() > 1e-9 {
            diff += 1;
        }
        reached += usize::from(slow > 0.0);
    }
    assert_eq!(diff, 0);
    assert!(reached > 50);
}
