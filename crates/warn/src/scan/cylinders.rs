//! The circles of the scan: for each centre, its neighbours in the order SaTScan adds them.
//!
//! Every location is a centre. Its circle grows one location at a time through the others in
//! order of chord distance (ties broken by the 3-D coordinates x, then y, then z, as SaTScan
//! does), and stops before the first location that would take it past the maximum radius or
//! past the maximum share of all cases. Every prefix is a candidate circle, even inside a run
//! of equidistant neighbours — that is SaTScan's definition, and matching it is what lets our
//! clusters be compared with its clusters.

use std::cmp::Ordering;

use rayon::prelude::*;
use rstar::{RTree, primitives::GeomWithData};

use crate::sphere::Point3;

/// Neighbour lists of all centres, flattened.
#[derive(Debug, Clone)]
pub struct Cylinders {
    /// `starts[i]..starts[i + 1]` is centre `i`'s slice of `neighbours`.
    starts: Vec<usize>,
    /// Location indexes, nearest first; the centre itself comes first.
    neighbours: Vec<u32>,
}

impl Cylinders {
    /// Builds the neighbour lists.
    ///
    /// `cases_at[z]` is location z's total cases over the study period (for the space-time
    /// permutation model, its "population at risk"); `max_cases` the most a circle may hold.
    pub fn build(points: &[Point3], cases_at: &[u64], max_radius_km: f64, max_cases: f64) -> Self {
        let tree = RTree::bulk_load(
            points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some(GeomWithData::new(p.as_array(), u32::try_from(i).ok()?)))
                .collect(),
        );
        // Slightly wider than the radius so no boundary point is lost to rounding in the
        // squared distance; the exact test below is SaTScan's `distance <= radius`.
        let reach = max_radius_km * (1.0 + 1e-9) + 1e-9;
        let lists: Vec<Vec<u32>> = points
            .par_iter()
            .map(|centre| {
                let mut near: Vec<(f64, u32)> = tree
                    .locate_within_distance(centre.as_array(), reach * reach)
                    .map(|n| {
                        let p = &points[n.data as usize];
                        (centre.chord_sq(p).sqrt(), n.data)
                    })
                    .filter(|(d, _)| *d <= max_radius_km)
                    .collect();
                near.sort_by(|a, b| by_distance_then_coordinates(a, b, points));
                let mut cum = 0u64;
                near.into_iter()
                    .map_while(|(_, z)| {
                        cum += cases_at[z as usize];
                        (cum as f64 <= max_cases).then_some(z)
                    })
                    .collect()
            })
            .collect();
        let mut starts = Vec::with_capacity(points.len() + 1);
        let mut neighbours = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        starts.push(0);
        for list in lists {
            neighbours.extend(list);
            starts.push(neighbours.len());
        }
        Self { starts, neighbours }
    }

    /// Centre `i`'s neighbours, nearest first (the centre itself first).
    pub fn of(&self, centre: usize) -> &[u32] {
        match (self.starts.get(centre), self.starts.get(centre + 1)) {
            (Some(&a), Some(&b)) => &self.neighbours[a..b],
            _ => &[],
        }
    }

    pub fn centres(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// All neighbour entries: the work of one pass over every circle.
    pub fn len(&self) -> usize {
        self.neighbours.len()
    }

    pub fn is_empty(&self) -> bool {
        self.neighbours.is_empty()
    }
}

fn by_distance_then_coordinates(a: &(f64, u32), b: &(f64, u32), points: &[Point3]) -> Ordering {
    let (pa, pb) = (&points[a.1 as usize], &points[b.1 as usize]);
    a.0.total_cmp(&b.0)
        .then(pa.x.total_cmp(&pb.x))
        .then(pa.y.total_cmp(&pb.y))
        .then(pa.z.total_cmp(&pb.z))
        .then(a.1.cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> Vec<Point3> {
        // Points 1 km apart along a parallel near the equator.
        (0..n)
            .map(|i| Point3::from_lat_lon(0.0, i as f64 / 111.125))
            .collect()
    }

    #[test]
    fn circles_grow_nearest_first_and_stop_at_the_radius() {
        let pts = line(5);
        let cyl = Cylinders::build(&pts, &[1; 5], 2.5, 100.0);
        assert_eq!(cyl.of(0), &[0, 1, 2]);
        // Equidistant neighbours 1 and 3 of centre 2 are ordered by their x coordinate.
        let two = cyl.of(2);
        assert_eq!(two[0], 2);
        assert_eq!(two.len(), 5);
        assert!(pts[two[1] as usize].x <= pts[two[2] as usize].x);
        assert_eq!(cyl.centres(), 5);
        assert_eq!(cyl.len(), 3 + 4 + 5 + 4 + 3);
    }

    #[test]
    fn circles_stop_before_the_location_that_would_pass_the_case_limit() {
        let pts = line(4);
        // Limit 3 cases: centre 0 holds 1, neighbour 1 holds 2 (cum 3 ≤ 3), neighbour 2 holds 5
        // (cum 8 > 3) — and the circle stops there, even though neighbour 3 holds none.
        let cyl = Cylinders::build(&pts, &[1, 2, 5, 0], 10.0, 3.0);
        assert_eq!(cyl.of(0), &[0, 1]);
        // A centre holding more than the limit has no circle at all.
        assert!(cyl.of(2).is_empty());
    }

    #[test]
    fn unknown_centre_is_empty() {
        let cyl = Cylinders::build(&line(2), &[1, 1], 1.0, 10.0);
        assert!(cyl.of(7).is_empty());
    }
}
