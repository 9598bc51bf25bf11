#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::civil::date;

use super::background::Prepared;
use super::calibrate::{allowed_alerts, baseline_thresholds, pooled_threshold};
use super::detect::{detect_on_day, jaccard, median, wilson};
use super::inject::{
    Outbreak, OutbreakSpec, Shape, draw, expected_counts, extra_cases, poisson, ring_grids,
    trial_rng,
};
use super::*;
use crate::baselines::{self, Method};
use crate::study::{CaseCount, Location, Study};
use crate::synthetic::{CitySpec, city};

fn spec(locations: usize, cases: usize, days: u32) -> CitySpec {
    CitySpec {
        locations,
        spacing_km: 0.3,
        cases,
        days,
        start: date(2025, 1, 1),
        origin: (46.5, 125.0),
    }
}

fn own_units(study: &Study) -> Vec<u32> {
    (0..study.locations.len() as u32).collect()
}

// ---- injection ----

#[test]
fn rings_are_the_centre_then_its_nearest_neighbours() {
    // Points on a meridian at irregular distances from location 5.
    let offsets = [
        -9.0, -4.0, -2.5, -1.0, -0.5, 0.0, 0.4, 1.1, 2.0, 3.3, 6.0, 12.0,
    ];
    let points: Vec<_> = offsets
        .iter()
        .map(|o| Location {
            id: String::new(),
            lat: 46.0 + o * 0.001,
            lon: 125.0,
        })
        .map(|l| l.point())
        .collect();
    let one = ring_grids(&points, 5, 1);
    assert_eq!(one.len(), 9, "one ring: the centre and 8 neighbours");
    assert_eq!(one, vec![5, 6, 4, 3, 7, 8, 2, 9, 1]);
    let dist = |z: u32| points[5].chord_sq(&points[z as usize]);
    assert!(one.windows(2).all(|w| dist(w[0]) <= dist(w[1])));
    assert_eq!(
        ring_grids(&points, 5, 2).len(),
        12,
        "capped at every location"
    );
    assert_eq!(ring_grids(&points, 0, 0), vec![0]);
}

fn outbreak(shape: Shape, multiplier: f64) -> Outbreak {
    Outbreak {
        category: 0,
        centre: 3,
        rings: 1,
        grids: vec![3, 4, 9],
        start: 40,
        days: 5,
        shape,
        multiplier,
    }
}

#[test]
fn injection_adds_the_described_cases_and_nothing_else() {
    let expected = vec![20.0; 16];
    for shape in [Shape::Step, Shape::Ramp] {
        let o = outbreak(shape, 3.0);
        let (cases, capped) = extra_cases(&o, &expected, 1, &mut trial_rng(7, 3));
        assert!(!capped);
        let mut by_day = [0u32; 5];
        for c in &cases {
            assert!(o.grids.contains(&c.location), "{c:?} outside the outbreak");
            assert!((40..45).contains(&c.day), "{c:?} outside its days");
            assert_eq!(c.category, 0);
            by_day[(c.day - 40) as usize] += c.count;
        }
        for (i, &n) in by_day.iter().enumerate() {
            // Mean: factor × 20 per grid-day × 3 grids; Poisson sd = sqrt(mean).
            let mean = o.extra_factor(i as u32) * 60.0;
            let sd = mean.sqrt();
            assert!(
                (f64::from(n) - mean).abs() < 5.0 * sd,
                "{shape:?} day {i}: {n} cases, expected about {mean}"
            );
        }
        match shape {
            Shape::Step => assert!(by_day.iter().all(|&n| n > 90)),
            Shape::Ramp => {
                assert!(by_day[0] < by_day[4], "a ramp rises: {by_day:?}");
                assert!(
                    (o.extra_factor(4) - 2.0).abs() < 1e-12,
                    "reaches m× on the last day"
                );
                assert!((o.extra_factor(0) - 0.4).abs() < 1e-12);
            }
        }
    }
    // No multiple, no extra case.
    let (none, _) = extra_cases(
        &outbreak(Shape::Step, 1.0),
        &expected,
        1,
        &mut trial_rng(7, 3),
    );
    assert!(none.is_empty());
}

#[test]
fn injection_is_determined_by_the_seed_and_trial() {
    let expected = vec![0.7; 16];
    let o = outbreak(Shape::Step, 4.0);
    let a = extra_cases(&o, &expected, 1, &mut trial_rng(11, 5));
    let b = extra_cases(&o, &expected, 1, &mut trial_rng(11, 5));
    let c = extra_cases(&o, &expected, 1, &mut trial_rng(11, 6));
    assert_eq!(a, b);
    assert_ne!(a, c);

    let study = city(&spec(100, 3_000, 60), &[], 1).unwrap();
    let units = own_units(&study);
    let prep = Prepared::new(&study, &units, 30);
    let spec = OutbreakSpec::default();
    for t in 0..50 {
        let o = draw(&prep, &spec, &mut trial_rng(3, t));
        assert_eq!(o, draw(&prep, &spec, &mut trial_rng(3, t)));
        assert!((1..=3).contains(&o.rings));
        assert_eq!(
            o.grids.len(),
            4 * o.rings as usize * (o.rings as usize + 1) + 1
        );
        assert_eq!(o.grids[0], o.centre);
        assert!((3..=14).contains(&o.days));
        assert!(o.start >= 30 && o.start + o.days <= 60, "{o:?}");
        assert!((2.0..=5.0).contains(&o.multiplier));
    }
}

#[test]
fn the_injected_study_is_the_background_plus_the_outbreak_up_to_the_day() {
    let study = city(&spec(64, 2_000, 60), &[], 2).unwrap();
    let units = own_units(&study);
    let prep = Prepared::new(&study, &units, 30);
    let extra = vec![
        CaseCount {
            location: 5,
            day: 40,
            count: 7,
            category: 0,
        },
        CaseCount {
            location: 6,
            day: 42,
            count: 3,
            category: 0,
        },
    ];
    let in_window = |from: u32, to: u32| -> u64 {
        study
            .cases
            .iter()
            .filter(|c| (from..=to).contains(&c.day))
            .map(|c| u64::from(c.count))
            .sum()
    };
    let s = prep.window_study(0, 41, 20, &extra).unwrap().unwrap();
    assert_eq!(s.days(), 20);
    assert_eq!(s.start, study.date(22));
    assert_eq!(
        s.total_cases(),
        in_window(22, 41) + 7,
        "day 42 is not seen on day 41"
    );
    let at = |s: &Study, z: u32, d: u32| -> u32 {
        s.cases
            .iter()
            .filter(|c| c.location == z && c.day == d)
            .map(|c| c.count)
            .sum()
    };
    let bg = |z: u32, d: u32| at(&study, z, d);
    assert_eq!(at(&s, 5, 40 - 22), bg(5, 40) + 7);
    let s = prep.window_study(0, 42, 365, &extra).unwrap().unwrap();
    assert_eq!(s.days(), 43, "history reaches back to the start only");
    assert_eq!(s.total_cases(), in_window(0, 42) + 10);
    assert_eq!(at(&s, 6, 42), bg(6, 42) + 3);
}

#[test]
fn expected_counts_are_daily_means_with_a_floor() {
    let loc = |i: u32| Location {
        id: format!("L{i}"),
        lat: 46.0,
        lon: 125.0 + f64::from(i) * 0.01,
    };
    let study = Study::new(
        vec![loc(0), loc(1)],
        date(2025, 1, 1),
        date(2025, 1, 10),
        vec![],
        vec![CaseCount {
            location: 0,
            day: 3,
            count: 20,
            category: 0,
        }],
    )
    .unwrap();
    let units = own_units(&study);
    let prep = Prepared::new(&study, &units, 5);
    let e = expected_counts(&prep);
    assert!((e[0] - 2.0).abs() < 1e-12);
    assert!((e[1] - 0.05).abs() < 1e-12, "half a case over ten days");
}

#[test]
fn poisson_draws_have_the_asked_mean() {
    for mean in [0.2, 3.7, 45.0] {
        let mut rng = trial_rng(1, 0);
        let n = 20_000;
        let sum: u64 = (0..n).map(|_| u64::from(poisson(&mut rng, mean))).sum();
        let got = sum as f64 / f64::from(n);
        let se = (mean / f64::from(n)).sqrt();
        assert!((got - mean).abs() < 5.0 * se, "mean {mean}: got {got}");
    }
    assert_eq!(poisson(&mut trial_rng(1, 0), 0.0), 0);
    assert_eq!(poisson(&mut trial_rng(1, 0), f64::NAN), 0);
}

// ---- calibration ----

#[test]
fn a_pooled_threshold_allows_exactly_the_target() {
    let mut desc: Vec<f64> = (1..=365).map(f64::from).collect();
    desc.reverse();
    for target in [1.0, 4.0, 12.0] {
        let allowed = allowed_alerts(target, 365);
        assert_eq!(allowed, target as usize);
        let t = pooled_threshold(&desc, allowed, 0.0);
        let alerts = desc.iter().filter(|&&v| v >= t).count();
        assert_eq!(alerts, allowed, "target {target}");
    }
    // Ties never push the count over: five equal values, two allowed → none alarm.
    let tied = [9.0, 5.0, 5.0, 5.0, 5.0, 5.0, 1.0];
    let t = pooled_threshold(&tied, 2, 0.0);
    assert_eq!(tied.iter().filter(|&&v| v >= t).count(), 1);
    // Room for everything: the smallest value; nothing at all: the fallback.
    assert_eq!(pooled_threshold(&tied, 50, 0.0), 1.0);
    assert_eq!(pooled_threshold(&[], 3, 0.0), 0.0);
    assert_eq!(allowed_alerts(1.0, 167), 0);
    assert_eq!(allowed_alerts(12.0, 167), 5);
}

#[test]
fn baseline_thresholds_keep_the_city_wide_count_within_the_allowance() {
    let study = city(&spec(100, 8_000, 120), &[], 4).unwrap();
    // Four units of 25 locations each.
    let units: Vec<u32> = (0..100).map(|z| z / 25).collect();
    let prep = Prepared::new(&study, &units, 30);
    for method in [Method::c1(), Method::poisson_cusum(), Method::ewma()] {
        let c = baseline_thresholds(&prep, &method, &[4.0, 12.0, 60.0]);
        assert_eq!(c.calibration_days, 45);
        for (t, target) in c.thresholds.iter().zip([4.0, 12.0, 60.0]) {
            let t = t.unwrap();
            let m = method.with_threshold(t);
            let alerts: usize = prep
                .series
                .iter()
                .map(|s| {
                    let scores = baselines::evaluate(&m, s);
                    prep.analysis_days()
                        .filter(|&d| prep.calibrates(d))
                        .filter(|&d| scores[d as usize].is_some_and(|s| s.alarm))
                        .count()
                })
                .sum();
            let allowed = allowed_alerts(target, 45);
            assert!(alerts <= allowed, "{}: {alerts} > {allowed}", method.name());
            // And not needlessly high: a little lower alarms more than allowed.
            let lower = method.with_threshold(t - 1e-6 * t.abs().max(1.0));
            let more: usize = prep
                .series
                .iter()
                .map(|s| {
                    let scores = baselines::evaluate(&lower, s);
                    prep.analysis_days()
                        .filter(|&d| prep.calibrates(d))
                        .filter(|&d| scores[d as usize].is_some_and(|s| s.alarm))
                        .count()
                })
                .sum();
            assert!(more > allowed, "{} at {target}: {more}", method.name());
        }
    }
}

// ---- detection ----

#[test]
fn jaccard_median_and_wilson() {
    assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
    assert_eq!(jaccard(&[1], &[1]), 1.0);
    assert_eq!(jaccard(&[], &[]), 0.0);
    assert_eq!(jaccard(&[1, 2], &[3]), 0.0);
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    assert_eq!(median(&[]), None);
    let (lo, hi) = wilson(0, 20);
    assert_eq!(lo, 0.0);
    assert!((0.15..0.18).contains(&hi), "{hi}");
    let (lo, hi) = wilson(10, 20);
    assert!(lo < 0.5 && hi > 0.5 && (hi - 0.5 - (0.5 - lo)).abs() < 1e-12);
}

#[test]
fn detection_is_the_first_day_an_alert_touches_the_outbreak() {
    let outbreak = [10, 11, 12, 13];
    let far: &[u32] = &[40, 41];
    let near: &[u32] = &[12, 50];
    // Alerts by day, from the outbreak's first day (day 20).
    let days: [Vec<&[u32]>; 4] = [vec![], vec![far], vec![far, near], vec![near]];
    let first = (20..24).find_map(|d| detect_on_day(d, 20, &days[(d - 20) as usize], &outbreak));
    let found = first.unwrap();
    assert_eq!(found.delay, 2);
    // Flagged {12, 50} against {10..=13}: one shared of five.
    assert!((found.overlap - 0.2).abs() < 1e-12);
    // Alerts elsewhere only: never detected.
    assert_eq!(detect_on_day(21, 20, &[far], &outbreak), None);
    assert_eq!(detect_on_day(21, 20, &[], &outbreak), None);
}

// ---- end to end ----

fn strong(multiplier: f64) -> EvalConfig {
    EvalConfig {
        trials: 20,
        seed: 9,
        false_alert_targets: vec![4.0],
        baselines: vec![Method::c1(), Method::poisson_cusum()],
        outbreak: OutbreakSpec {
            rings: (3, 3),
            days: (14, 14),
            multiplier: (multiplier, multiplier),
            shapes: vec![Shape::Step],
        },
        ..EvalConfig::default()
    }
}

fn dense_city() -> Study {
    city(&spec(225, 12_000, 75), &[], 5).unwrap()
}

#[test]
fn a_strong_outbreak_is_found_and_no_outbreak_rarely() {
    let study = dense_city();
    let units: Vec<u32> = (0..225).map(|z| z / 3).collect();
    let report = evaluate(&study, &units, &strong(5.0), &|_, _, _| {}).unwrap();
    let scan = &report.rows[0];
    assert_eq!(scan.method, SCAN);
    assert_eq!(scan.trials, 20);
    assert!(scan.p_detect >= 0.9, "{scan:?}");
    assert!(scan.median_delay_days.unwrap() <= 2.0, "{scan:?}");
    assert!(scan.mean_overlap.unwrap() > 0.1, "{scan:?}");
    assert!(scan.threshold.unwrap() > 0.0);
    assert_eq!(report.outbreaks.len(), 20);
    assert!(
        report
            .outbreaks
            .iter()
            .all(|o| o.grids == 49 && o.days == 14)
    );

    let null = evaluate(&study, &units, &strong(1.0), &|_, _, _| {}).unwrap();
    assert!(null.outbreaks.iter().all(|o| o.injected_cases == 0));
    let scan = &null.rows[0];
    assert!(scan.p_detect <= 0.25, "chance detections: {scan:?}");
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let study = city(&spec(100, 4_000, 60), &[], 6).unwrap();
    let units = own_units(&study);
    let config = EvalConfig {
        trials: 6,
        ..EvalConfig::default()
    };
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| evaluate(&study, &units, &config, &|_, _, _| {}).unwrap())
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn a_short_background_degrades_to_methods_that_never_alarm() {
    let study = city(&spec(100, 400, 24), &[], 8).unwrap();
    let units = own_units(&study);
    let config = EvalConfig {
        trials: 4,
        ..EvalConfig::default()
    };
    let report = evaluate(&study, &units, &config, &|_, _, _| {}).unwrap();
    assert_eq!(report.background.first_analysis_day, study.date(12));
    for m in &report.methods {
        let short = matches!(m.method.as_str(), "poisson_cusum" | "ewma");
        assert_eq!(m.note.is_some(), short, "{m:?}");
        if short {
            assert_eq!(m.calibration_days, 0);
        }
    }
    for r in report
        .rows
        .iter()
        .filter(|r| r.method == "poisson_cusum" || r.method == "ewma")
    {
        assert_eq!(r.threshold, None);
        assert_eq!(r.detected, 0);
        assert_eq!(r.median_delay_days, None);
    }
    assert!(report.outbreaks.iter().all(|o| o.days <= 12));
    // Too short for the scan's window at all: an error, not a panic.
    let tiny = city(&spec(20, 50, 5), &[], 8).unwrap();
    let err = evaluate(&tiny, &own_units(&tiny), &config, &|_, _, _| {}).unwrap_err();
    assert!(matches!(err, EvalError::TooShort { .. }), "{err}");
}

#[test]
fn bad_settings_are_refused() {
    let study = city(&spec(20, 500, 40), &[], 8).unwrap();
    let units = own_units(&study);
    let with = |f: &dyn Fn(&mut EvalConfig)| {
        let mut c = EvalConfig::default();
        f(&mut c);
        evaluate(&study, &units, &c, &|_, _, _| {})
    };
    assert!(matches!(with(&|c| c.trials = 0), Err(EvalError::NoTrials)));
    assert!(matches!(
        with(&|c| c.false_alert_targets = vec![4.0, -1.0]),
        Err(EvalError::BadTarget(_))
    ));
    assert!(matches!(
        with(&|c| c.outbreak.days = (0, 3)),
        Err(EvalError::BadOutbreak(_))
    ));
    assert!(matches!(
        evaluate(&study, &units[..3], &EvalConfig::default(), &|_, _, _| {}),
        Err(EvalError::UnitsMismatch { .. })
    ));
    let mut far = units.clone();
    far[0] = 20;
    assert!(matches!(
        evaluate(&study, &far, &EvalConfig::default(), &|_, _, _| {}),
        Err(EvalError::BadUnit { unit: 20, .. })
    ));
}

// ---- the plot ----

/// A small XML well-formedness check: tags nest and close, attributes are quoted, text has
/// no bare `<` or `&`.
fn well_formed(xml: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        check_text(text)?;
        let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("stray </{name}>"))?;
            if top != name.trim() {
                return Err(format!("<{top}> closed by </{name}>"));
            }
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body.split_whitespace().next().ok_or("empty tag")?;
            if !body.matches('"').count().is_multiple_of(2) {
                return Err(format!("unbalanced quotes in <{body}>"));
            }
            if !self_closing {
                stack.push(name.to_string());
            }
        }
        rest = &rest[close + 1..];
    }
    check_text(rest)?;
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

fn check_text(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
            .iter()
            .any(|e| entity.starts_with(e))
        {
            return Err(format!("bare & in {text:?}"));
        }
    }
    Ok(())
}

#[test]
fn the_plot_is_a_standalone_svg_with_one_series_per_method() {
    let study = city(&spec(100, 5_000, 70), &[], 3).unwrap();
    let units = own_units(&study);
    let config = EvalConfig {
        trials: 5,
        ..EvalConfig::default()
    };
    let report = evaluate(&study, &units, &config, &|_, _, _| {}).unwrap();
    let svg = svg::plot(&report);
    well_formed(&svg).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("<title>Early-warning methods"));
    assert!(svg.contains("median days to detection"));
    assert!(svg.contains("false alerts per year"));
    for m in [SCAN, "c1", "c2", "c3", "poisson_cusum", "ewma"] {
        let series = format!("<g class=\"series\" data-method=\"{m}\"");
        assert_eq!(svg.matches(&series).count(), 1, "{m}");
    }
    assert_eq!(svg.matches("<g class=\"series\"").count(), 6);
    for (i, _) in svg.match_indices("font-size=\"") {
        let size: f64 = svg[i + 11..].split('"').next().unwrap().parse().unwrap();
        assert!(size >= 12.0, "font-size {size}");
    }
    assert!(well_formed("<a><b></a></b>").is_err());
    assert!(well_formed("<a>x & y</a>").is_err());
}
