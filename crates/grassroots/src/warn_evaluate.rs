//! `grassroots warn evaluate`: how well each early-warning method finds outbreaks, at matched
//! false-alert rates, on real-shaped history.
//!
//! The history is either SaTScan case and coordinate files (each location its own series
//! unit) or the demo city's year of appeals (grids at their label points, category groups as
//! categories, each grid's community as the baselines' unit, as the platform runs them). The
//! statistics are `grassroots_warn::evaluate`; this file reads the input, shows progress,
//! prints the table and writes the plot.

use std::collections::{BTreeSet, HashMap};

use anyhow::{Context as _, bail};
use grassroots_core::appeals::calendar::{local_date, start_of_day};
use grassroots_core::appeals::{HolidayCalendar, Taxonomy};
use grassroots_core::demo::{self, DemoConfig, history};
use grassroots_core::territory::{Level, Unit};
use grassroots_warn::evaluate::{
    self, EvalConfig, EvalReport, OutbreakSpec, ScanSettings, Shape, Stage,
};
use grassroots_warn::satscan_format::parse_study;
use grassroots_warn::{CaseCount, Location, Study};
use jiff::civil::Date;

use crate::config::{EvaluateArgs, OutbreakShape, OutputFormat};
use crate::progress;

/// The demo history plants a heating outbreak in its last three days
/// (`grassroots_core::demo::history::generate`, for the early-warning screens to find). A
/// background must be free of outbreaks, so the history is generated three days past
/// `--demo-end` and those days are left out.
const DEMO_PLANTED_DAYS: i64 = history::PLANTED_RISE_DAYS;

/// The background and where it came from.
struct Background {
    study: Study,
    units: Vec<u32>,
    source: String,
}

pub async fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let background = match (&args.cases, &args.coords, args.start, args.end) {
        (Some(cases), Some(coords), Some(start), Some(end)) => {
            files(cases, coords, start, end).context("reading the background")?
        }
        (None, None, None, None) => {
            let (seed, scale, end) = (args.demo_seed, args.demo_scale, args.demo_end);
            if !(scale.is_finite() && (0.05..=100.0).contains(&scale)) {
                bail!("--demo-scale must be between 0.05 and 100");
            }
            let appeals = args
                .appeals_per_year
                .unwrap_or_else(|| (f64::from(history::APPEALS_PER_YEAR) * scale).round() as u32);
            tokio::task::spawn_blocking(move || demo_background(seed, scale, appeals, end))
                .await
                .context("demo generator stopped")??
        }
        _ => bail!("--cases, --coords, --start and --end go together (or none, for the demo city)"),
    };
    let config = EvalConfig {
        trials: args.trials,
        seed: args.seed,
        false_alert_targets: args.false_alerts.clone(),
        scan: ScanSettings {
            max_radius_km: args.max_radius_km,
            max_share: args.max_share,
            max_days: args.max_days,
            study_days: args.study_days,
        },
        first_day: args.first_day,
        outbreak: OutbreakSpec {
            rings: pair("--rings", &args.rings)?,
            days: pair("--outbreak-days", &args.outbreak_days)?,
            multiplier: pair("--multiplier", &args.multiplier)?,
            shapes: args
                .shapes
                .iter()
                .map(|s| match s {
                    OutbreakShape::Step => Shape::Step,
                    OutbreakShape::Ramp => Shape::Ramp,
                })
                .collect(),
        },
        ..EvalConfig::default()
    };
    let bar = progress::bar("background scans");
    let tick = bar.clone();
    let started = std::time::Instant::now();
    let (background, report) = tokio::task::spawn_blocking(move || {
        let report = evaluate::evaluate(
            &background.study,
            &background.units,
            &config,
            &move |stage, done, total| {
                let name = match stage {
                    Stage::Background => "background scans",
                    Stage::Calibration => "calibrating",
                    Stage::Trials => "outbreaks",
                };
                if tick.message() != name {
                    tick.set_message(name);
                }
                tick.set_length(total);
                tick.set_position(done);
            },
        );
        report.map(|r| (background, r))
    })
    .await??;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    std::fs::write(&args.svg, evaluate::svg::plot(&report))
        .with_context(|| format!("writing {}", args.svg.display()))?;
    match args.format {
        OutputFormat::Json => {
            let mut v = serde_json::to_value(&report)?;
            if let Some(map) = v.as_object_mut() {
                map.insert("source".into(), background.source.clone().into());
                map.insert("svg".into(), args.svg.display().to_string().into());
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        OutputFormat::Table => {
            print!("{}", table(&report, &background.source));
            println!(
                "\nPlot: {} ({:.1} s)",
                args.svg.display(),
                elapsed.as_secs_f64()
            );
        }
    }
    Ok(())
}

/// `MIN,MAX` (or one value for both) from a flag.
fn pair<T: Copy>(flag: &str, values: &[T]) -> anyhow::Result<(T, T)> {
    match values {
        [v] => Ok((*v, *v)),
        [lo, hi] => Ok((*lo, *hi)),
        _ => bail!("{flag} takes MIN,MAX"),
    }
}

fn files(
    cases: &std::path::Path,
    coords: &std::path::Path,
    start: Date,
    end: Date,
) -> anyhow::Result<Background> {
    let geo =
        std::fs::read_to_string(coords).with_context(|| format!("reading {}", coords.display()))?;
    let cas =
        std::fs::read_to_string(cases).with_context(|| format!("reading {}", cases.display()))?;
    let (study, skipped) = parse_study(&geo, &cas, start, end)?;
    if skipped.outside_period > 0 {
        eprintln!(
            "note: {} case records dated outside {start}..{end} were ignored",
            skipped.outside_period
        );
    }
    let units = (0..study.locations.len() as u32).collect();
    Ok(Background {
        source: format!(
            "{} and {}, each location its own unit",
            cases.display(),
            coords.display()
        ),
        study,
        units,
    })
}

/// The demo city and a year of its appeals, ending on `end`.
fn demo_background(seed: u64, scale: f64, appeals: u32, end: Date) -> anyhow::Result<Background> {
    let city = demo::generate(&DemoConfig { seed, scale }, &mut |_, _, _| {})?;
    let now = start_of_day(end.checked_add(jiff::Span::new().days(1 + DEMO_PLANTED_DAYS))?);
    let cases = history::generate(
        &city.units,
        &city.departments,
        &Taxonomy::builtin(),
        &HolidayCalendar::builtin(),
        now,
        appeals,
        seed,
        &mut |_, _| {},
    );
    let by_code: HashMap<&str, &Unit> = city.units.iter().map(|u| (u.code.as_str(), u)).collect();
    let mut grids: Vec<&Unit> = city
        .units
        .iter()
        .filter(|u| u.level == Level::Grid && !u.retired && u.label.is_some())
        .collect();
    grids.sort_by(|a, b| a.code.cmp(&b.code));
    let community = |grid| community_of(&by_code, grid);
    let communities: BTreeSet<&str> = grids.iter().filter_map(|g| community(g)).collect();
    let community_index: HashMap<&str, u32> = communities
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, i as u32))
        .collect();
    // A grid outside any community (not in the demo) is a unit of its own.
    let mut spare = communities.len() as u32;
    let units: Vec<u32> = grids
        .iter()
        .map(
            |g| match community(g).and_then(|c| community_index.get(c)) {
                Some(&i) => i,
                None => {
                    spare += 1;
                    spare - 1
                }
            },
        )
        .collect();
    let locations: Vec<Location> = grids
        .iter()
        .filter_map(|g| {
            let p = g.label?;
            Some(Location {
                id: g.code.clone(),
                lat: p.y(),
                lon: p.x(),
            })
        })
        .collect();
    let grid_index: HashMap<&str, u32> = grids
        .iter()
        .enumerate()
        .map(|(i, g)| (g.code.as_str(), i as u32))
        .collect();
    let groups: BTreeSet<&str> = cases.iter().map(|a| a.group.as_str()).collect();
    let group_index: HashMap<&str, u32> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (*g, i as u32))
        .collect();
    // The history covers the 365 days before `now`.
    let first = local_date(now).checked_sub(jiff::Span::new().days(365))?;
    let mut counts = Vec::with_capacity(cases.len());
    for a in &cases {
        let Ok(at) = jiff::Timestamp::from_microsecond(a.clocks.received_at) else {
            continue;
        };
        let date = local_date(at);
        if date < first || date > end {
            continue;
        }
        let (Some(&location), Some(&category)) = (
            a.chain.first().and_then(|g| grid_index.get(g.as_str())),
            group_index.get(a.group.as_str()),
        ) else {
            continue;
        };
        let day = u32::try_from(first.until(date)?.get_days())?;
        counts.push(CaseCount {
            location,
            day,
            count: 1,
            category,
        });
    }
    let appeals_kept = counts.len();
    let study = Study::new(
        locations,
        first,
        end,
        groups.iter().map(|g| (*g).to_owned()).collect(),
        counts,
    )?;
    Ok(Background {
        source: format!(
            "demo city (seed {seed}, scale {scale}): {} grids in {} communities, {appeals_kept} appeals from {first} to {end}",
            grids.len(),
            communities.len()
        ),
        study,
        units,
    })
}

/// The community a grid lies in (its Community-level ancestor).
fn community_of<'a>(by_code: &HashMap<&str, &'a Unit>, grid: &'a Unit) -> Option<&'a str> {
    let mut at = grid;
    while at.level != Level::Community {
        at = by_code.get(at.parent.as_deref()?)?;
    }
    Some(at.code.as_str())
}

/// The report as text: the background, one line per method × target, each method at its
/// standard threshold, and notes.
pub fn table(report: &EvalReport, source: &str) -> String {
    let b = &report.background;
    let mut out = format!(
        "Background: {source}\n  {} locations, {} series units, {} categories, {}..{} ({} days), {} cases\n  analysis days from {}: {} to calibrate thresholds, {} held out to measure them\n  {} outbreaks injected (seed {}): {}–{} rings, {}–{} days, {}–{}× expected, step or ramp\n\n",
        b.locations,
        b.units,
        b.categories.len(),
        b.start,
        b.end,
        b.days,
        b.cases,
        b.first_analysis_day,
        b.calibration_days,
        b.held_out_days,
        report.config.trials,
        report.config.seed,
        report.config.outbreak.rings.0,
        report.config.outbreak.rings.1,
        report.config.outbreak.days.0,
        report.config.outbreak.days.1,
        report.config.outbreak.multiplier.0,
        report.config.outbreak.multiplier.1,
    );
    out.push_str(&format!(
        "{:<14} {:>8} {:>10} {:>9} {:>20} {:>8} {:>8}\n",
        "method", "target", "threshold", "held-out", "P(detect) [95% CI]", "median", "overlap"
    ));
    out.push_str(&format!(
        "{:<14} {:>8} {:>10} {:>9} {:>20} {:>8} {:>8}\n",
        "", "FA/yr", "", "FA/yr", "", "delay d", "Jaccard"
    ));
    let mut last = "";
    for r in &report.rows {
        if !last.is_empty() && last != r.method {
            out.push('\n');
        }
        last = &r.method;
        let threshold = r.threshold.map_or("-".into(), |t| format!("{t:.3}"));
        let held = r
            .held_out_per_year
            .map_or("-".into(), |v| format!("{v:.1}"));
        let p = format!(
            "{:.2} [{:.2}–{:.2}]",
            r.p_detect, r.p_detect_ci95.0, r.p_detect_ci95.1
        );
        let delay = r
            .median_delay_days
            .map_or("-".into(), |d| format!("{d:.1}"));
        let overlap = r.mean_overlap.map_or("-".into(), |o| format!("{o:.2}"));
        out.push_str(&format!(
            "{:<14} {:>8} {threshold:>10} {held:>9} {p:>20} {delay:>8} {overlap:>8}\n",
            r.method, r.target_per_year
        ));
    }
    out.push_str(
        "\nFalse alerts a year at each method's standard threshold, no outbreak injected:\n",
    );
    for m in &report.methods {
        match (m.default_threshold, m.default_alerts_per_year) {
            (Some(t), Some(rate)) => out.push_str(&format!(
                "  {:<14} threshold {t:<5} {rate:>10.1} a year\n",
                m.method
            )),
            (Some(t), None) => out.push_str(&format!(
                "  {:<14} threshold {t:<5} {:>10}\n",
                m.method, "never judged"
            )),
            _ => out.push_str(&format!(
                "  {:<14} (its standard is a recurrence interval, which needs Monte Carlo replicas; see the held-out rates above)\n",
                m.method
            )),
        }
    }
    let mut notes: Vec<String> = report
        .methods
        .iter()
        .filter_map(|m| m.note.as_ref().map(|n| format!("  {}: {n}\n", m.method)))
        .collect();
    let days = b.calibration_days.max(1) as f64;
    if report
        .config
        .false_alert_targets
        .iter()
        .any(|&t| t * days / 365.0 < 1.0)
    {
        notes.push(format!(
            "  a target below {:.1} a year allows no false alert on the {} calibration days: its threshold is just above the largest background statistic, and the held-out rate shows what that really gives\n",
            365.0 / days,
            b.calibration_days
        ));
    }
    let capped = report.outbreaks.iter().filter(|o| o.capped).count();
    if capped > 0 {
        notes.push(format!(
            "  {capped} outbreaks reached the cap on injected cases and were cut there\n"
        ));
    }
    if !notes.is_empty() {
        out.push_str("\nNotes:\n");
        out.extend(notes);
    }
    out
}
