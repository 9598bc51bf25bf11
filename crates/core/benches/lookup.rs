//! Point lookup throughput over the demo city: random points (fixed seed)
//! in the bounding box of the city, about half of them outside every unit.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::BoundingRect;
use grassroots_core::demo::{DemoConfig, generate};
use grassroots_core::territory::Territory;
use grassroots_core::territory::lookup::{LookupIndex, Probe};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const POINTS: usize = 100_000;

fn setup(scale: f64) -> Option<(LookupIndex, Vec<(f64, f64)>)> {
    let city = generate(&DemoConfig { seed: 2012, scale }, &mut |_, _, _| {}).ok()?;
    let territory = Territory::new(city.units).ok()?;
    let index = LookupIndex::build(&territory);
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for unit in territory.units() {
        if let Some(r) = unit.boundary.as_ref().and_then(|b| b.bounding_rect()) {
            min_x = min_x.min(r.min().x);
            min_y = min_y.min(r.min().y);
            max_x = max_x.max(r.max().x);
            max_y = max_y.max(r.max().y);
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let points = (0..POINTS)
        .map(|_| {
            (
                rng.random_range(min_x..max_x),
                rng.random_range(min_y..max_y),
            )
        })
        .collect();
    Some((index, points))
}

fn lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup");
    group.throughput(Throughput::Elements(POINTS as u64));
    for (name, scale) in [("scale-1", 1.0), ("scale-10", 10.0)] {
        let Some((index, points)) = setup(scale) else {
            continue;
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut inside = 0usize;
                for &(x, y) in &points {
                    if let Probe::Inside(i) = index.probe(black_box(x), black_box(y)) {
                        inside += i & 1;
                    }
                }
                inside
            })
        });
        // Points inside a unit only (the common case for real reports).
        let inside: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|&(x, y)| matches!(index.probe(x, y), Probe::Inside(_)))
            .collect();
        group.throughput(Throughput::Elements(inside.len() as u64));
        group.bench_function(format!("{name}-inside-only"), |b| {
            b.iter(|| {
                let mut acc = 0usize;
                for &(x, y) in &inside {
                    if let Probe::Inside(i) = index.probe(black_box(x), black_box(y)) {
                        acc += i & 1;
                    }
                }
                acc
            })
        });
        group.throughput(Throughput::Elements(POINTS as u64));
    }
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
