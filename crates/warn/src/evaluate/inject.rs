//! Synthetic outbreaks: where, when, how strong, and the extra cases they add.
//!
//! An outbreak is drawn per trial from the seed and the trial number alone (its own ChaCha
//! stream), so a trial gives the same outbreak on any number of threads and in any order:
//!
//! - a category, with probability its share of the background's cases;
//! - a centre, any location with equal probability;
//! - 1–3 *rings*: ring r of a square lattice holds 8r cells, so r rings are the centre and its
//!   4r(r+1) nearest neighbours (8, 24, 48). Counting neighbours rather than measuring a
//!   radius keeps an outbreak's size the same in dense and sparse parts of the city;
//! - 3–14 days, starting on an analysis day, fitting before the end of the background (on a
//!   background too short for the duration, it is cut to fit);
//! - a step (the full multiple from the first day) or a ramp (rising linearly to it);
//! - a multiplier m in 2–5: the outbreak grids see m times their expected count.
//!
//! A grid's expected count on a day is its mean daily count in the category over the whole
//! background, but at least [`EXPECTED_FLOOR_CASES`] cases over the background: a grid with no
//! history can still have an outbreak, as real places with no complaints yet can.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::EvalError;
use super::background::Prepared;
use crate::sphere::Point3;
use crate::study::CaseCount;

/// The least a grid is expected to have over the whole background: half a case, as if an
/// empty grid had had one case with even odds (the usual continuity correction).
pub const EXPECTED_FLOOR_CASES: f64 = 0.5;

/// Most extra cases one outbreak may add: the scan counts the cases of its longest window in
/// 16 bits when it computes p-values, so a trial's study stays one the platform could scan.
pub const MAX_INJECTED_CASES: u64 = 65_534;

/// How the extra cases rise over the outbreak's days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// m× the expected count from the first day to the last.
    Step,
    /// Rising linearly: on day i of n (0-based) the count is (1 + (m−1)(i+1)/n)× expected,
    /// so the last day reaches m×. Harder to catch early than a step.
    Ramp,
}

/// The outbreaks to draw (both ends of each range included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutbreakSpec {
    pub rings: (u32, u32),
    pub days: (u32, u32),
    pub multiplier: (f64, f64),
    /// Drawn with equal probability.
    pub shapes: Vec<Shape>,
}

impl Default for OutbreakSpec {
    fn default() -> Self {
        Self {
            rings: (1, 3),
            days: (3, 14),
            multiplier: (2.0, 5.0),
            shapes: vec![Shape::Step, Shape::Ramp],
        }
    }
}

impl OutbreakSpec {
    pub fn check(&self) -> Result<(), EvalError> {
        if self.rings.0 > self.rings.1 {
            return Err(EvalError::BadOutbreak("rings: the least is above the most"));
        }
        if self.days.0 == 0 || self.days.0 > self.days.1 {
            return Err(EvalError::BadOutbreak(
                "days: at least one, the least at most the most",
            ));
        }
        let (lo, hi) = self.multiplier;
        if !(lo.is_finite() && hi.is_finite() && lo >= 1.0 && lo <= hi && hi <= 1e6) {
            return Err(EvalError::BadOutbreak(
                "multiplier: from 1 to 1e6, the least at most the most",
            ));
        }
        if self.shapes.is_empty() {
            return Err(EvalError::BadOutbreak("shapes: at least one"));
        }
        Ok(())
    }
}

/// One drawn outbreak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outbreak {
    pub category: u32,
    pub centre: u32,
    pub rings: u32,
    /// The outbreak's grids, the centre first, then nearest first.
    pub grids: Vec<u32>,
    /// First day (a day index of the background).
    pub start: u32,
    pub days: u32,
    pub shape: Shape,
    pub multiplier: f64,
}

impl Outbreak {
    /// How many times the expected count is *added* on day `i` (0-based) of the outbreak.
    pub fn extra_factor(&self, i: u32) -> f64 {
        let m = self.multiplier - 1.0;
        match self.shape {
            Shape::Step => m,
            Shape::Ramp => m * f64::from(i + 1) / f64::from(self.days.max(1)),
        }
    }
}

/// The centre and its `4r(r+1)` nearest neighbours, nearest first (ties: the lower index).
pub fn ring_grids(points: &[Point3], centre: u32, rings: u32) -> Vec<u32> {
    let Some(c) = points.get(centre as usize) else {
        return Vec::new();
    };
    let wanted = 4 * rings as usize * (rings as usize + 1) + 1;
    let mut order: Vec<(f64, u32)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                if i == centre as usize {
                    -1.0
                } else {
                    c.chord_sq(p)
                },
                i as u32,
            )
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    order.truncate(wanted);
    order.into_iter().map(|(_, i)| i).collect()
}

/// `expected[location * categories + category]`: mean daily cases over the background,
/// floored at [`EXPECTED_FLOOR_CASES`] over the background.
pub fn expected_counts(prep: &Prepared<'_>) -> Vec<f64> {
    let days = f64::from(prep.days.max(1));
    let mut totals = vec![0.0; prep.points.len() * prep.categories];
    for c in &prep.study.cases {
        totals[c.location as usize * prep.categories + c.category as usize] += f64::from(c.count);
    }
    totals
        .into_iter()
        .map(|t: f64| t.max(EXPECTED_FLOOR_CASES) / days)
        .collect()
}

/// The random stream of one trial.
pub fn trial_rng(seed: u64, trial: u32) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(trial));
    rng
}

/// Draws an outbreak from `spec` (see the module documentation).
pub fn draw(prep: &Prepared<'_>, spec: &OutbreakSpec, rng: &mut ChaCha8Rng) -> Outbreak {
    let total: u64 = prep.category_cases.iter().sum();
    let mut pick = rng.random_range(0..total.max(1));
    let mut category = 0u32;
    for (i, &n) in prep.category_cases.iter().enumerate() {
        if pick < n {
            category = i as u32;
            break;
        }
        pick -= n;
    }
    let centre = rng.random_range(0..prep.points.len().max(1)) as u32;
    let rings = rng.random_range(spec.rings.0..=spec.rings.1);
    let wanted_days = rng.random_range(spec.days.0..=spec.days.1);
    let room = prep.days - prep.first;
    let days = wanted_days.min(room).max(1);
    let start = rng.random_range(prep.first..=prep.days - days);
    let shape = spec.shapes[rng.random_range(0..spec.shapes.len())];
    let multiplier = if spec.multiplier.0 < spec.multiplier.1 {
        rng.random_range(spec.multiplier.0..=spec.multiplier.1)
    } else {
        spec.multiplier.0
    };
    Outbreak {
        category,
        centre,
        rings,
        grids: ring_grids(&prep.points, centre, rings),
        start,
        days,
        shape,
        multiplier,
    }
}

/// The extra cases of an outbreak: on each of its days and grids, Poisson with mean
/// `extra_factor(day) × expected`, in the outbreak's category, absolute day indexes, at most
/// [`MAX_INJECTED_CASES`] in all. Returns the cases and whether the cap cut them.
pub fn extra_cases(
    outbreak: &Outbreak,
    expected: &[f64],
    categories: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<CaseCount>, bool) {
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..outbreak.days {
        let factor = outbreak.extra_factor(i);
        for &z in &outbreak.grids {
            let mean = factor * expected[z as usize * categories + outbreak.category as usize];
            let n = u64::from(poisson(rng, mean));
            let n = n.min(MAX_INJECTED_CASES - total);
            if n > 0 {
                total += n;
                out.push(CaseCount {
                    location: z,
                    day: outbreak.start + i,
                    count: n as u32,
                    category: outbreak.category,
                });
            }
            if total >= MAX_INJECTED_CASES {
                return (out, true);
            }
        }
    }
    (out, false)
}

/// A Poisson draw by Knuth's product of uniforms, in pieces of mean at most 30 (a sum of
/// Poisson draws is Poisson with the summed mean), so it stays exact and never underflows.
/// Means that are not positive give 0; absurd ones are capped at 1e7.
pub fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    let mut remaining = mean.min(1e7);
    let mut total = 0u32;
    while remaining > 0.0 {
        let part = remaining.min(30.0);
        remaining -= part;
        let limit = (-part).exp();
        let mut product: f64 = rng.random();
        let mut k = 0u32;
        while product > limit {
            k += 1;
            product *= rng.random::<f64>();
        }
        total = total.saturating_add(k);
    }
    total
}
