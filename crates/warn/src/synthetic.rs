//! Synthetic cities for benchmarks and evaluation: a grid of label points, a year of cases
//! with uneven density and a weekly rhythm, and outbreaks planted where the caller says.
//!
//! Deterministic from a seed, so a benchmark or an evaluation can be rerun exactly.

use jiff::civil::Date;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::sphere::EARTH_RADIUS_KM;
use crate::study::{CaseCount, Location, Study, StudyError};

/// The shape of a synthetic city.
#[derive(Debug, Clone, PartialEq)]
pub struct CitySpec {
    pub locations: usize,
    /// Distance between neighbouring label points, km; each point is jittered by up to a
    /// third of it so no two distances tie exactly (real label points do not sit on a grid).
    pub spacing_km: f64,
    pub cases: usize,
    pub days: u32,
    pub start: Date,
    /// South-west corner.
    pub origin: (f64, f64),
}

/// A planted outbreak: extra cases at some locations over the last days of the study.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbreak {
    pub locations: Vec<u32>,
    /// Days before the analysis day it started (0 = only on the analysis day).
    pub days: u32,
    pub extra_cases: u32,
}

/// Generates a city. Each location gets a weight (log-normal: some grids are dense blocks,
/// some are parks), each day a weight (weekends quieter, a slow seasonal swing); cases fall on
/// locations and days independently by those weights, so the null hypothesis of the space-time
/// permutation model holds except where outbreaks are planted.
pub fn city(spec: &CitySpec, outbreaks: &[Outbreak], seed: u64) -> Result<Study, StudyError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let side = (spec.locations as f64).sqrt().ceil() as usize;
    let deg_lat = (spec.spacing_km / EARTH_RADIUS_KM).to_degrees();
    let deg_lon = deg_lat / spec.origin.0.to_radians().cos();
    let locations: Vec<Location> = (0..spec.locations)
        .map(|i| {
            let (row, col) = ((i / side) as f64, (i % side) as f64);
            let jitter = |rng: &mut ChaCha8Rng| rng.random_range(-0.33..0.33);
            Location {
                id: format!("G{i:05}"),
                lat: spec.origin.0 + (row + jitter(&mut rng)) * deg_lat,
                lon: spec.origin.1 + (col + jitter(&mut rng)) * deg_lon,
            }
        })
        .collect();
    let place_weights: Vec<f64> = (0..spec.locations)
        .map(|_| {
            // Box–Muller normal → log-normal with σ = 0.8.
            let (u1, u2): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random_range(0.0..1.0));
            let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            (0.8 * normal).exp()
        })
        .collect();
    let day_weights: Vec<f64> = (0..spec.days)
        .map(|d| {
            let weekend = if d % 7 >= 5 { 0.6 } else { 1.0 };
            let season = 1.0 + 0.3 * (std::f64::consts::TAU * f64::from(d) / 365.0).sin();
            weekend * season
        })
        .collect();
    let place = Sampler::new(&place_weights);
    let day = Sampler::new(&day_weights);
    let mut cases: Vec<CaseCount> = (0..spec.cases)
        .map(|_| CaseCount {
            location: place.draw(&mut rng) as u32,
            day: day.draw(&mut rng) as u32,
            count: 1,
            category: 0,
        })
        .collect();
    let last = spec.days.saturating_sub(1);
    for o in outbreaks {
        for n in 0..o.extra_cases {
            if o.locations.is_empty() {
                break;
            }
            let at = o.locations[n as usize % o.locations.len()];
            let back = rng.random_range(0..=o.days.min(last));
            cases.push(CaseCount {
                location: at,
                day: last - back,
                count: 1,
                category: 0,
            });
        }
    }
    let end = spec
        .start
        .checked_add(jiff::Span::new().days(i64::from(last)))
        .unwrap_or(spec.start);
    Study::new(locations, spec.start, end, vec![], cases)
}

/// Draws an index with probability proportional to its weight (inverse CDF, binary search).
#[derive(Debug)]
struct Sampler {
    cumulative: Vec<f64>,
}

impl Sampler {
    fn new(weights: &[f64]) -> Self {
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w.max(0.0);
                acc
            })
            .collect();
        Self { cumulative }
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_city_has_what_was_asked_for() {
        let spec = CitySpec {
            locations: 100,
            spacing_km: 0.3,
            cases: 1000,
            days: 30,
            start: date(2026, 1, 1),
            origin: (46.5, 125.0),
        };
        let outbreak = Outbreak {
            locations: vec![5, 6],
            days: 2,
            extra_cases: 20,
        };
        let study = city(&spec, &[outbreak], 1).unwrap();
        assert_eq!(study.locations.len(), 100);
        assert_eq!(study.total_cases(), 1020);
        assert_eq!(study.days(), 30);
        let a = study.locations[0].point();
        let b = study.locations[1].point();
        let d = a.chord_sq(&b).sqrt();
        assert!((0.09..0.51).contains(&d), "neighbours {d} km apart");
        assert_eq!(
            city(&spec, &[], 1).unwrap().cases,
            city(&spec, &[], 1).unwrap().cases
        );
    }
}
