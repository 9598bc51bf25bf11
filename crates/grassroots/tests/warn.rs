//! `grassroots warn scan`: the real binary on SaTScan's sample files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_grassroots");

fn sample(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../warn/tests/data/satscan-nycfever");
    dir.join(name).to_string_lossy().into_owned()
}

fn scan(extra: &[&str]) -> std::process::Output {
    let (cas, geo) = (sample("NYCfever.cas"), sample("NYCfever.geo"));
    let mut args = vec![
        "warn",
        "scan",
        "--cases",
        &cas,
        "--coords",
        &geo,
        "--start",
        "2001-11-01",
        "--end",
        "2001-11-24",
        "--max-radius-km",
        "3",
        "--max-share",
        "0.5",
        "--replicas",
        "999",
        "--seed",
        "5",
    ];
    args.extend_from_slice(extra);
    Command::new(BIN).args(&args).output().unwrap()
}

#[test]
fn json_lists_satscans_clusters_most_likely_first() {
    let out = scan(&["--format", "json", "--max-clusters", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 3);
    let first = &clusters[0];
    assert_eq!(first["center"], "11418");
    assert_eq!(first["locations"].as_array().unwrap().len(), 9);
    assert_eq!(first["start"], "2001-11-22");
    assert_eq!(first["end"], "2001-11-24");
    assert_eq!(first["observed"], 4);
    assert_eq!(first["llr"], 3.845418);
    assert_eq!(clusters[1]["center"], "11372");
    assert_eq!(clusters[1]["llr"], 3.164201);
    assert_eq!(clusters[2]["center"], "10472");
    assert_eq!(clusters[2]["llr"], 2.137259);
    let p = first["p_value"].as_f64().unwrap();
    assert!((0.1..0.35).contains(&p), "{p}");
    let rec = first["recurrence_days"].as_f64().unwrap();
    assert!((rec - 1.0 / p).abs() < 1e-9);
}

#[test]
fn table_reads_like_satscans_report() {
    let out = scan(&["--max-clusters", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1. centre 11418 (40.699240 N, 73.831760 W) / 2.90 km"),
        "{text}"
    );
    assert!(
        text.contains("window     2001-11-22 .. 2001-11-24"),
        "{text}"
    );
    assert!(text.contains("LLR 3.845418"), "{text}");
    assert!(text.contains("2. centre 11372"), "{text}");
    assert!(!text.contains("3. centre"), "{text}");
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let out = scan(&["--max-days", "99"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the maximum window must be 1 to 24 days"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.cas");
    std::fs::write(&bad, "11418 1 2001/11/22\nnowhere 1 2001/11/23\n").unwrap();
    let out = Command::new(BIN)
        .args([
            "warn",
            "scan",
            "--cases",
            bad.to_str().unwrap(),
            "--coords",
            &sample("NYCfever.geo"),
        ])
        .args(["--start", "2001-11-01", "--end", "2001-11-24"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("case line 2: location nowhere is not in the coordinates file"),
        "{err}"
    );
}

fn evaluate(extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["warn", "evaluate"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn evaluate_on_nycfever_reports_every_method_and_says_which_lack_history() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("eval.svg");
    let (cas, geo) = (sample("NYCfever.cas"), sample("NYCfever.geo"));
    let out = evaluate(&[
        "--cases",
        &cas,
        "--coords",
        &geo,
        "--start",
        "2001-11-01",
        "--end",
        "2001-11-24",
        "--max-radius-km",
        "3",
        "--trials",
        "8",
        "--false-alerts",
        "4,12",
        "--format",
        "json",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["background"]["days"], 24);
    assert_eq!(v["background"]["locations"], v["background"]["units"]);
    assert_eq!(v["svg"], svg.to_str().unwrap());
    let rows = v["rows"].as_array().unwrap();
    let methods = ["scan", "c1", "c2", "c3", "poisson_cusum", "ewma"];
    assert_eq!(rows.len(), methods.len() * 2);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["method"], methods[i / 2]);
        assert_eq!(r["target_per_year"], [4.0, 12.0][i % 2]);
        assert_eq!(r["trials"], 8);
        let p = r["p_detect"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        let ci = r["p_detect_ci95"].as_array().unwrap();
        assert!(ci[0].as_f64().unwrap() <= p && p <= ci[1].as_f64().unwrap());
        for key in [
            "threshold",
            "held_out_per_year",
            "median_delay_days",
            "mean_overlap",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    // 24 days: the CUSUM and the EWMA (28 + 2 days of history) can never judge a day.
    for m in v["methods"].as_array().unwrap() {
        let short = m["method"] == "poisson_cusum" || m["method"] == "ewma";
        assert_eq!(m["note"].is_string(), short, "{m}");
    }
    for r in rows
        .iter()
        .filter(|r| r["method"] == "poisson_cusum" || r["method"] == "ewma")
    {
        assert!(r["threshold"].is_null());
        assert_eq!(r["detected"], 0);
    }
    assert!(
        rows[0]["threshold"].as_f64().unwrap() > 0.0,
        "the scan is calibrated"
    );
    assert_eq!(v["outbreaks"].as_array().unwrap().len(), 8);
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(plot.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(plot.matches("<g class=\"series\"").count(), methods.len());
    assert!(plot.trim_end().ends_with("</svg>"));
}

#[test]
fn evaluate_on_a_tiny_demo_city_prints_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("demo.svg");
    let out = evaluate(&[
        "--demo-scale",
        "0.05",
        "--appeals-per-year",
        "5000",
        "--trials",
        "10",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Background: demo city (seed 2012, scale 0.05)"),
        "{text}"
    );
    assert!(text.contains("12 categories"), "{text}");
    for method in ["scan", "c1", "c2", "c3", "poisson_cusum", "ewma"] {
        let lines = text
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(method))
            .count();
        // Three target rows, and the standard-threshold line.
        assert_eq!(lines, 4, "{method}: {text}");
    }
    assert!(text.contains("False alerts a year at each method's standard threshold"));
    assert!(svg.exists());
}

#[test]
fn evaluate_refuses_half_a_background() {
    let out = evaluate(&["--coords", &sample("NYCfever.geo")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--cases"), "{err}");
    let out = evaluate(&[
        "--trials",
        "0",
        "--demo-scale",
        "0.05",
        "--appeals-per-year",
        "2000",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at least one trial"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
