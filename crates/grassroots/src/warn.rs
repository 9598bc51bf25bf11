//! `grassroots warn …`: early warning from the command line.

use anyhow::Context as _;
use grassroots_warn::satscan_format::parse_study;
use grassroots_warn::{ScanParams, ScanReport, Study, scan};
use serde_json::json;

use crate::config::{OutputFormat, ScanArgs};
use crate::progress;

/// `warn scan`: reads SaTScan files, scans, prints the clusters.
pub async fn scan_files(args: ScanArgs) -> anyhow::Result<()> {
    let geo = std::fs::read_to_string(&args.coords)
        .with_context(|| format!("reading {}", args.coords.display()))?;
    let cas = std::fs::read_to_string(&args.cases)
        .with_context(|| format!("reading {}", args.cases.display()))?;
    let (study, skipped) = parse_study(&geo, &cas, args.start, args.end)?;
    if skipped.outside_period > 0 {
        eprintln!(
            "note: {} case records dated outside {}..{} were ignored",
            skipped.outside_period, args.start, args.end
        );
    }
    let params = ScanParams {
        max_radius_km: args.max_radius_km,
        max_share: args.max_share,
        max_days: args.max_days,
        min_cases: args.min_cases,
        replicas: args.replicas,
        seed: args.seed,
        early_stop: if args.no_early_stop {
            None
        } else {
            ScanParams::satscan_early_stop(args.replicas)
        },
        max_clusters: args.max_clusters,
    };
    let bar = progress::bar("replications");
    bar.set_length(u64::from(params.replicas));
    let tick = bar.clone();
    let (study, report) = tokio::task::spawn_blocking(move || {
        let report = scan(&study, &params, &move |done| {
            tick.set_position(u64::from(done))
        });
        report.map(|r| (study, r))
    })
    .await??;
    bar.finish_and_clear();
    match args.format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&as_json(&study, &report))?
        ),
        OutputFormat::Table => print!("{}", as_table(&study, &report)),
    }
    Ok(())
}

/// The JSON shape of a scan: most likely cluster first, locations by their ids.
pub fn as_json(study: &Study, report: &ScanReport) -> serde_json::Value {
    let clusters: Vec<_> = report
        .clusters
        .iter()
        .map(|c| {
            let ids: Vec<&str> = c
                .locations
                .iter()
                .map(|&i| study.locations[i].id.as_str())
                .collect();
            let centre = &study.locations[c.centre];
            json!({
                "locations": ids,
                "center": centre.id,
                "center_lat": centre.lat,
                "center_lon": centre.lon,
                "radius_km": round(c.radius_km, 6),
                "start": study.date(c.start_day).to_string(),
                "end": study.date(c.end_day).to_string(),
                "observed": c.observed,
                "expected": round(c.expected, 6),
                "ratio": round(c.ratio(), 6),
                "llr": round(c.llr, 6),
                "p_value": c.p_value,
                "recurrence_days": c.recurrence_days.filter(|d| d.is_finite()),
            })
        })
        .collect();
    json!({
        "clusters": clusters,
        "total_cases": report.total_cases,
        "replicas_run": report.replicas_run,
        "stopped_early": report.stopped_early,
    })
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// A table like SaTScan's cluster list, one cluster per block.
pub fn as_table(study: &Study, report: &ScanReport) -> String {
    let mut out = format!(
        "{} cases, {} locations, {}..{}; {} replications{}\n",
        report.total_cases,
        study.locations.len(),
        study.start,
        study.end,
        report.replicas_run,
        if report.stopped_early {
            " (stopped early)"
        } else {
            ""
        }
    );
    if report.clusters.is_empty() {
        out.push_str("no cluster with more cases than expected\n");
    }
    for (n, c) in report.clusters.iter().enumerate() {
        let centre = &study.locations[c.centre];
        let ids: Vec<&str> = c
            .locations
            .iter()
            .map(|&i| study.locations[i].id.as_str())
            .collect();
        let p = c.p_value.map_or("-".to_string(), |p| format!("{p:.3}"));
        let rec = c.recurrence_days.map_or("-".to_string(), |d| {
            if d.is_finite() {
                let days = d.round();
                format!("{days:.0} day{}", if d >= 1.5 { "s" } else { "" })
            } else {
                "never by chance".to_string()
            }
        });
        out.push_str(&format!(
            "{}. centre {} ({:.6} {}, {:.6} {}) / {:.2} km\n   locations  {}\n   window     {} .. {}\n   observed {}  expected {:.2}  O/E {:.2}  LLR {:.6}  p {}  recurrence {}\n",
            n + 1,
            centre.id,
            centre.lat.abs(),
            if centre.lat >= 0.0 { "N" } else { "S" },
            centre.lon.abs(),
            if centre.lon >= 0.0 { "E" } else { "W" },
            c.radius_km,
            ids.join(", "),
            study.date(c.start_day),
            study.date(c.end_day),
            c.observed,
            c.expected,
            c.ratio(),
            c.llr,
            p,
            rec
        ));
    }
    out
}

/// `bench scan`: times the scan on a synthetic city and reports peak memory.
pub async fn bench_scan(
    size: crate::config::ScanSize,
    replicas: u32,
    threads: Option<usize>,
) -> anyhow::Result<()> {
    use grassroots_warn::synthetic::{CitySpec, Outbreak, city};
    let (locations, cases) = match size {
        crate::config::ScanSize::A => (1_500, 50_000),
        crate::config::ScanSize::B => (10_000, 500_000),
    };
    let spec = CitySpec {
        locations,
        spacing_km: 0.3,
        cases,
        days: 365,
        start: jiff::civil::date(2025, 11, 21),
        origin: (46.50, 124.90),
    };
    // One real outbreak (so the top cluster is significant and every replica runs): a block
    // of nine grids with a week of extra cases.
    let side = (locations as f64).sqrt().ceil() as u32;
    let centre = side * (side / 2) + side / 2;
    let block: Vec<u32> = [0, 1, 2]
        .iter()
        .flat_map(|r| [0, 1, 2].map(|c| centre + r * side + c))
        .collect();
    let outbreak = Outbreak {
        locations: block,
        days: 4,
        extra_cases: 40,
    };
    let params = ScanParams {
        max_radius_km: 2.0,
        max_share: 0.5,
        max_days: 7,
        min_cases: 2,
        replicas,
        seed: 1,
        early_stop: None,
        max_clusters: 10,
    };
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (report, setup, elapsed) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let started = std::time::Instant::now();
        let study = city(&spec, &[outbreak], 7)?;
        let setup = started.elapsed();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let started = std::time::Instant::now();
        let report = pool.install(|| scan(&study, &params, &|_| {}))?;
        Ok((report, setup, started.elapsed()))
    })
    .await??;
    let top = report.clusters.first();
    println!(
        "scan size {size:?}: {locations} locations, {cases} cases, 365 days, radius ≤ 2 km, window ≤ 7 days, {} replicas, {threads} threads",
        report.replicas_run
    );
    println!(
        "  data generated in {:.2} s (not counted)",
        setup.as_secs_f64()
    );
    println!("  scan wall time  {:.2} s", elapsed.as_secs_f64());
    println!(
        "  peak memory     {} MB (process high-water mark, VmHWM)",
        peak_rss_mb().unwrap_or(0)
    );
    if let Some(c) = top {
        println!(
            "  top cluster     {} locations, observed {}, expected {:.2}, LLR {:.6}, p {}",
            c.locations.len(),
            c.observed,
            c.expected,
            c.llr,
            c.p_value.map_or("-".into(), |p| format!("{p:.3}"))
        );
    }
    Ok(())
}

/// The process's peak resident memory in MB, from Linux's /proc.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}
