//! Splitting a region into pieces that tile it exactly.
//!
//! The region's bounding box is cut recursively by axis-parallel lines (a
//! seeded, area-balanced k-d split), so that every piece gets an area
//! proportional to its weight; each piece is then `region ∩ rectangle`.
//! Because the rectangles tile a box containing the region, the pieces tile
//! the region: no gaps, no overlaps, and no sliver pieces (every piece has
//! its share of the area; a piece may be a MultiPolygon where the boundary
//! meanders across a cut line).
//!
//! All pieces of one region are cut by `BooleanOps` with rectangles inside
//! the region's bounding box, so they share one fixed-point grid and their
//! common edges are computed identically.

use geo::{BooleanOps, BoundingRect, Coord, MultiPolygon, Rect};
use rand::Rng;

/// A ring as a list of corners (not closed), counter-clockwise for an
/// exterior and clockwise for a hole, so signed areas add up.
type Ring = Vec<Coord<f64>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Axis {
    X,
    Y,
}

fn get(c: Coord<f64>, axis: Axis) -> f64 {
    match axis {
        Axis::X => c.x,
        Axis::Y => c.y,
    }
}

/// Splits `region` into `weights.len()` pieces whose areas are roughly
/// proportional to `weights` (each jittered by up to `jitter`, e.g. 0.1).
/// Pieces come out in k-d order (neighbours tend to be adjacent in the list).
pub(super) fn split<R: Rng>(
    region: &MultiPolygon<f64>,
    weights: &[f64],
    jitter: f64,
    rng: &mut R,
) -> Vec<MultiPolygon<f64>> {
    let Some(bbox) = region.bounding_rect() else {
        return Vec::new();
    };
    if weights.len() <= 1 {
        return vec![region.clone(); weights.len()];
    }
    let rings = rings_of(region);
    let mut rects = Vec::with_capacity(weights.len());
    cut(rings, bbox, weights, jitter, rng, &mut rects);
    rects
        .iter()
        .map(|r| region.intersection(&r.to_polygon()))
        .collect()
}

fn rings_of(region: &MultiPolygon<f64>) -> Vec<Ring> {
    let mut out = Vec::new();
    for polygon in region {
        for (i, ring) in std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .enumerate()
        {
            let mut v: Ring = ring.0.clone();
            if v.len() > 1 && v.first() == v.last() {
                v.pop();
            }
            let a = signed_area(&v);
            // Exterior positive, holes negative.
            if (i == 0 && a < 0.0) || (i > 0 && a > 0.0) {
                v.reverse();
            }
            out.push(v);
        }
    }
    out
}

fn signed_area(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    let o = ring[0];
    let mut s = 0.0;
    for i in 1..n - 1 {
        let (a, b) = (ring[i] - o, ring[i + 1] - o);
        s += a.x * b.y - a.y * b.x;
    }
    s / 2.0
}

fn total_area(rings: &[Ring]) -> f64 {
    rings.iter().map(|r| signed_area(r)).sum()
}

/// Sutherland–Hodgman clip of one ring against the half-plane
/// `axis <= c` (`low`) or `axis >= c`. The result may contain zero-width
/// bridges along the cut line; they do not change the signed area.
fn clip_ring(ring: &[Coord<f64>], axis: Axis, c: f64, low: bool, out: &mut Ring) {
    out.clear();
    let n = ring.len();
    if n == 0 {
        return;
    }
    let inside = |p: Coord<f64>| {
        if low {
            get(p, axis) <= c
        } else {
            get(p, axis) >= c
        }
    };
    let mut prev = ring[n - 1];
    let mut prev_in = inside(prev);
    for &cur in ring {
        let cur_in = inside(cur);
        if cur_in != prev_in {
            let (pa, ca) = (get(prev, axis), get(cur, axis));
            let t = (c - pa) / (ca - pa);
            let mut p = prev + (cur - prev) * t;
            match axis {
                Axis::X => p.x = c,
                Axis::Y => p.y = c,
            }
            out.push(p);
        }
        if cur_in {
            out.push(cur);
        }
        prev = cur;
        prev_in = cur_in;
    }
}

fn clip_rings(rings: &[Ring], axis: Axis, c: f64, low: bool) -> Vec<Ring> {
    let mut out = Vec::with_capacity(rings.len());
    for r in rings {
        let mut v = Vec::new();
        clip_ring(r, axis, c, low, &mut v);
        if v.len() >= 3 {
            out.push(v);
        }
    }
    out
}

fn low_area(rings: &[Ring], axis: Axis, c: f64, buf: &mut Ring) -> f64 {
    let mut a = 0.0;
    for r in rings {
        clip_ring(r, axis, c, true, buf);
        a += signed_area(buf);
    }
    a
}

fn bbox_of(rings: &[Ring]) -> Option<Rect<f64>> {
    let mut it = rings.iter().flatten();
    let first = *it.next()?;
    let (mut lo, mut hi) = (first, first);
    for c in it {
        lo.x = lo.x.min(c.x);
        lo.y = lo.y.min(c.y);
        hi.x = hi.x.max(c.x);
        hi.y = hi.y.max(c.y);
    }
    Some(Rect::new(lo, hi))
}

fn cut<R: Rng>(
    rings: Vec<Ring>,
    rect: Rect<f64>,
    weights: &[f64],
    jitter: f64,
    rng: &mut R,
    out: &mut Vec<Rect<f64>>,
) {
    if weights.len() == 1 {
        out.push(rect);
        return;
    }
    // Shrink to the part of the rectangle the region actually reaches (the
    // dropped strips hold none of it), so cuts follow the region's shape.
    let rect = match bbox_of(&rings) {
        Some(b) => Rect::new(
            Coord {
                x: b.min().x.max(rect.min().x),
                y: b.min().y.max(rect.min().y),
            },
            Coord {
                x: b.max().x.min(rect.max().x),
                y: b.max().y.min(rect.max().y),
            },
        ),
        None => rect,
    };
    let k = weights.len() / 2;
    let (left_w, right_w) = weights.split_at(k);
    let sum = |w: &[f64]| w.iter().sum::<f64>();
    let fraction = sum(left_w) / sum(weights);
    let fraction = (fraction * (1.0 + rng.random_range(-jitter..=jitter))).clamp(0.02, 0.98);
    // Cut across the longer side (in metres: a degree of longitude is
    // shorter than one of latitude).
    let mid_lat = (rect.min().y + rect.max().y) / 2.0;
    let width = rect.width() * mid_lat.to_radians().cos();
    let axis = if width >= rect.height() {
        Axis::X
    } else {
        Axis::Y
    };
    let (lo, hi) = match axis {
        Axis::X => (rect.min().x, rect.max().x),
        Axis::Y => (rect.min().y, rect.max().y),
    };
    let total = total_area(&rings);
    let target = total * fraction;
    let mut buf = Vec::new();
    let (mut a, mut b) = (lo, hi);
    let mut c = (a + b) / 2.0;
    for _ in 0..60 {
        let area = low_area(&rings, axis, c, &mut buf);
        if (area - target).abs() <= total * 1e-4 {
            break;
        }
        if area < target {
            a = c;
        } else {
            b = c;
        }
        c = (a + b) / 2.0;
    }
    let (left_rect, right_rect) = match axis {
        Axis::X => (
            Rect::new(
                rect.min(),
                Coord {
                    x: c,
                    y: rect.max().y,
                },
            ),
            Rect::new(
                Coord {
                    x: c,
                    y: rect.min().y,
                },
                rect.max(),
            ),
        ),
        Axis::Y => (
            Rect::new(
                rect.min(),
                Coord {
                    x: rect.max().x,
                    y: c,
                },
            ),
            Rect::new(
                Coord {
                    x: rect.min().x,
                    y: c,
                },
                rect.max(),
            ),
        ),
    };
    let left = clip_rings(&rings, axis, c, true);
    let right = clip_rings(&rings, axis, c, false);
    drop(rings);
    cut(left, left_rect, left_w, jitter, rng, out);
    cut(right, right_rect, right_w, jitter, rng, out);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use geo::{Area, LineString, Polygon};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn pieces_tile_a_concave_region() {
        // An L-shape with a hole.
        let shape = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (4.0, 0.0),
                (4.0, 1.0),
                (1.0, 1.0),
                (1.0, 4.0),
                (0.0, 4.0),
                (0.0, 0.0),
            ]),
            vec![LineString::from(vec![
                (0.2, 0.2),
                (0.2, 0.8),
                (0.8, 0.8),
                (0.8, 0.2),
                (0.2, 0.2),
            ])],
        )]);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let weights = [1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 1.0];
        let pieces = split(&shape, &weights, 0.0, &mut rng);
        assert_eq!(pieces.len(), weights.len());
        let total: f64 = pieces.iter().map(|p| p.unsigned_area()).sum();
        // Exact up to the fixed-point grid of the boolean operations.
        assert!((total - shape.unsigned_area()).abs() < 1e-8 * total);
        for (p, w) in pieces.iter().zip(weights) {
            let expected = shape.unsigned_area() * w / 10.0;
            assert!(
                (p.unsigned_area() - expected).abs()
                    < 1e-3 * shape.unsigned_area() * weights.len() as f64
            );
        }
        for i in 0..pieces.len() {
            for j in i + 1..pieces.len() {
                assert!(pieces[i].intersection(&pieces[j]).unsigned_area() < 1e-12);
            }
        }
    }
}
