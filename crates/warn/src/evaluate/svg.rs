//! The evaluation as a picture: median days to detection against false alerts a year, one
//! line per method. Lower and further left is better: found sooner for fewer false alerts.
//!
//! Hand-written SVG (a standalone document with its namespace), so no plotting dependency:
//! a few hundred bytes per method. Colours are the Okabe–Ito palette, which stays
//! distinguishable with the common colour-vision deficiencies, and every method also has its
//! own marker shape, so the plot reads in greyscale too. Each marker carries a `<title>` (a
//! tooltip in browsers) with its numbers.

use std::fmt::Write as _;

use super::report::{EvalReport, Row};

const WIDTH: f64 = 880.0;
const HEIGHT: f64 = 500.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 600.0;
const TOP: f64 = 80.0;
const BOTTOM: f64 = 430.0;

/// Okabe–Ito, without its yellow (too pale on white).
const COLOURS: [&str; 7] = [
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7",
];

/// Renders the plot of a report.
pub fn plot(report: &EvalReport) -> String {
    let series = by_method(&report.rows);
    let points: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|(_, rows)| rows.iter().filter_map(|r| point(r)))
        .collect();
    let x_axis = Axis::fit(points.iter().map(|p| p.0).fold(1.0, f64::max));
    let y_axis = Axis::fit(points.iter().map(|p| p.1).fold(1.0, f64::max));
    let sx = |x: f64| LEFT + (RIGHT - LEFT) * x / x_axis.max;
    let sy = |y: f64| BOTTOM - (BOTTOM - TOP) * y / y_axis.max;
    let mut labels = Labels::default();

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="13">"#
    );
    s.push_str("\n<title>Early-warning methods: median days to detection against false alerts per year</title>\n");
    let _ = writeln!(
        s,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="28" font-size="16" font-weight="bold">Days to detection against false alerts per year</text>"#
    );
    let trials = report.rows.first().map_or(0, |r| r.trials);
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="48" font-size="12" fill="#444">{trials} injected outbreaks; a marker per false-alert target, labelled with the probability of detection</text>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="63" font-size="12" fill="#444">Lower left is better: found sooner for fewer false alerts. Delays are over detected outbreaks only.</text>"##
    );
    axes(&mut s, &x_axis, &y_axis, &sx, &sy);
    for (i, (method, rows)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut pts: Vec<(f64, f64, &Row)> = rows
            .iter()
            .filter_map(|r| point(r).map(|(x, y)| (x, y, *r)))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let _ = writeln!(
            s,
            r#"<g class="series" data-method="{}" stroke="{colour}" fill="{colour}">"#,
            escape(method)
        );
        if pts.len() > 1 {
            let line: Vec<String> = pts
                .iter()
                .map(|(x, y, _)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke-width="2"/>"#,
                line.join(" ")
            );
        }
        // Targets that gave the same point and share say it once.
        let mut said: Vec<(u64, u64, String)> = Vec::new();
        for (x, y, r) in &pts {
            let tip = format!(
                "{method}, target {} a year: {} false alerts a year held out, P(detect) {:.2}, median {y} days",
                r.target_per_year,
                r.held_out_per_year
                    .map_or("unknown".into(), |v| format!("{v:.1}")),
                r.p_detect
            );
            marker(&mut s, i, sx(*x), sy(*y), &tip);
            let label = format!("{:.2}", r.p_detect);
            if said.contains(&(x.to_bits(), y.to_bits(), label.clone())) {
                continue;
            }
            said.push((x.to_bits(), y.to_bits(), label.clone()));
            let (lx, ly) = labels.place(sx(*x) + 8.0, sy(*y) - 8.0);
            let _ = writeln!(
                s,
                r#"<text x="{lx:.1}" y="{ly:.1}" font-size="12" stroke="none">{label}</text>"#
            );
        }
        s.push_str("</g>\n");
        legend(&mut s, i, method, pts.is_empty());
    }
    s.push_str("</svg>\n");
    s
}

/// Rows grouped by method, in the order methods first appear.
fn by_method(rows: &[Row]) -> Vec<(String, Vec<&Row>)> {
    let mut out: Vec<(String, Vec<&Row>)> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|(m, _)| *m == r.method) {
            Some((_, v)) => v.push(r),
            None => out.push((r.method.clone(), vec![r])),
        }
    }
    out
}

/// Where a row goes: the measured held-out rate (the target when none was measured), and the
/// median delay; `None` when nothing was detected.
fn point(r: &Row) -> Option<(f64, f64)> {
    let y = r.median_delay_days?;
    let x = r.held_out_per_year.unwrap_or(r.target_per_year);
    (x.is_finite() && y.is_finite()).then_some((x.max(0.0), y.max(0.0)))
}

/// An axis from 0: its end and the step between ticks (1, 2 or 5 × 10^k, at most six steps).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axis {
    max: f64,
    step: f64,
}

impl Axis {
    fn fit(v: f64) -> Self {
        let v = if v.is_finite() && v > 0.0 { v } else { 1.0 };
        let mut mag = 10f64.powf(v.log10().floor() - 1.0);
        loop {
            for m in [1.0, 2.0, 5.0] {
                let step = m * mag;
                let steps = (v / step - 1e-9).ceil().max(1.0);
                if steps <= 6.0 {
                    return Self {
                        max: steps * step,
                        step,
                    };
                }
            }
            mag *= 10.0;
        }
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let n = (self.max / self.step).round() as u32;
        (0..=n).map(|i| f64::from(i) * self.step)
    }
}

/// Label positions already taken, so labels of markers that coincide stack instead of
/// overprinting.
#[derive(Debug, Default)]
struct Labels(Vec<(f64, f64)>);

impl Labels {
    fn place(&mut self, x: f64, mut y: f64) -> (f64, f64) {
        while self
            .0
            .iter()
            .any(|&(px, py)| (px - x).abs() < 32.0 && (py - y).abs() < 13.0)
        {
            y += 14.0;
        }
        self.0.push((x, y));
        (x, y)
    }
}

fn axes(s: &mut String, x: &Axis, y: &Axis, sx: &dyn Fn(f64) -> f64, sy: &dyn Fn(f64) -> f64) {
    let _ = writeln!(
        s,
        r##"<g stroke="#333" stroke-width="1"><line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BOTTOM}"/></g>"##
    );
    for v in x.ticks() {
        let px = sx(v);
        let _ = writeln!(
            s,
            r##"<line x1="{px:.1}" y1="{BOTTOM}" x2="{px:.1}" y2="{:.1}" stroke="#333"/><line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{BOTTOM}" stroke="#ddd"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            BOTTOM + 5.0,
            BOTTOM + 20.0,
            tick(v)
        );
    }
    for v in y.ticks() {
        let py = sy(v);
        let _ = writeln!(
            s,
            r##"<line x1="{:.1}" y1="{py:.1}" x2="{LEFT}" y2="{py:.1}" stroke="#333"/><line x1="{LEFT}" y1="{py:.1}" x2="{RIGHT}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT - 5.0,
            LEFT - 8.0,
            py + 4.0,
            tick(v)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">false alerts per year, city-wide (held-out background days)</text>"#,
        (LEFT + RIGHT) / 2.0,
        BOTTOM + 45.0
    );
    let _ = writeln!(
        s,
        r#"<text x="20" y="{:.1}" text-anchor="middle" transform="rotate(-90 20 {:.1})">median days to detection</text>"#,
        (TOP + BOTTOM) / 2.0,
        (TOP + BOTTOM) / 2.0
    );
}

fn tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Marker `i`: circle, square, triangle, diamond, inverted triangle, plus, cross.
fn marker(s: &mut String, i: usize, x: f64, y: f64, tip: &str) {
    let tip = escape(tip);
    let r = 5.0;
    let shape = match i % 7 {
        0 => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}">"#),
        1 => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{}" height="{}">"#,
            x - r,
            y - r,
            2.0 * r,
            2.0 * r
        ),
        2 => polygon(&[(x, y - r - 1.0), (x + r + 1.0, y + r), (x - r - 1.0, y + r)]),
        3 => polygon(&[
            (x, y - r - 1.0),
            (x + r + 1.0, y),
            (x, y + r + 1.0),
            (x - r - 1.0, y),
        ]),
        4 => polygon(&[(x, y + r + 1.0), (x + r + 1.0, y - r), (x - r - 1.0, y - r)]),
        5 => format!(
            r#"<path d="M{:.1} {y:.1}H{:.1}M{x:.1} {:.1}V{:.1}" stroke-width="3">"#,
            x - r - 1.0,
            x + r + 1.0,
            y - r - 1.0,
            y + r + 1.0
        ),
        _ => format!(
            r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke-width="3">"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
    };
    let close = match i % 7 {
        0 => "</circle>",
        1 => "</rect>",
        2..=4 => "</polygon>",
        _ => "</path>",
    };
    let _ = writeln!(s, "{shape}<title>{tip}</title>{close}");
}

fn polygon(points: &[(f64, f64)]) -> String {
    let p: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    format!(r#"<polygon points="{}">"#, p.join(" "))
}

fn legend(s: &mut String, i: usize, method: &str, empty: bool) {
    let colour = COLOURS[i % COLOURS.len()];
    let y = TOP + 10.0 + 26.0 * i as f64;
    let x = RIGHT + 25.0;
    let _ = write!(
        s,
        r#"<g class="legend" stroke="{colour}" fill="{colour}"><line x1="{x}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke-width="2"/>"#,
        x + 30.0
    );
    marker(s, i, x + 15.0, y, method);
    let label = if empty {
        format!("{} (none found)", escape(method))
    } else {
        escape(method)
    };
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" stroke="none" fill="#000">{label}</text></g>"##,
        x + 40.0,
        y + 4.0
    );
}

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}
