//! Point lookup: which unit contains a point, and which is nearest when none
//! does.
//!
//! The index flattens every boundary polygon ("part") of every non-retired
//! unit into compact edge lists and keeps two structures:
//!
//! - a uniform grid of cells over all parts; each cell lists the parts whose
//!   bounding box meets it, deepest level first. A probe tests only the
//!   parts of its cell, in that order, with an even-odd ray-crossing test;
//!   the first hit is the answer. Edges of large parts are bucketed into
//!   horizontal slabs so a test looks at a handful of edges.
//! - the boundaries of the outermost units (those with no indexed ancestor)
//!   in short chains of edges, in an R-tree and in a second grid whose cells
//!   list the chains that can be nearest to a point of the cell. For a point
//!   in no unit, the nearest point `q` of those boundaries is found; the
//!   answer is the deepest unit containing a point just beyond `q` (1e-9°,
//!   about 0.1 mm, further if that lands in a unit with indexed units below
//!   it, i.e. in a hairline gap between a parent's edge and its children's;
//!   along the bisector when `q` is a corner). When children lie within their
//!   parents, as `import::check` and the demo ensure, this is the deepest of
//!   the units nearest to the point.
//!
//! Boundary points: a point on an edge shared by two tiles belongs to
//! exactly one of them (the half-open crossing rule: a tile owns its lower
//! and left edges, roughly speaking). Edges are stored with their endpoints
//! in a canonical order so both neighbours compute the same crossing.

use std::cmp::Reverse;

use rstar::{AABB, PointDistance, RTree, RTreeObject};

use super::Territory;

/// Result of probing the index: an index into `Territory::units()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The smallest (deepest-level) non-retired unit whose boundary contains the point.
    Inside(usize),
    /// No unit contains the point; the nearest unit with a boundary, if any.
    Outside(Option<usize>),
}

/// An edge with `y0 <= y1` (never horizontal) and its inverse slope.
#[derive(Clone, Copy, Debug)]
struct Edge {
    x0: f64,
    y0: f64,
    y1: f64,
    /// dx/dy.
    k: f64,
    /// min(x0, x1): a point left of this crosses for sure.
    min_x: f64,
    /// max(x0, x1): a point right of this never crosses.
    max_x: f64,
}

impl Edge {
    fn new(a: (f64, f64), b: (f64, f64)) -> Option<Edge> {
        // Canonical order (by y, then x) so that a shared edge is identical
        // in both polygons whatever their ring direction.
        let (p, q) = if (a.1, a.0) <= (b.1, b.0) {
            (a, b)
        } else {
            (b, a)
        };
        if p.1 == q.1 {
            return None; // horizontal: never crossed by a horizontal ray
        }
        Some(Edge {
            x0: p.0,
            y0: p.1,
            y1: q.1,
            k: (q.0 - p.0) / (q.1 - p.1),
            min_x: p.0.min(q.0),
            max_x: p.0.max(q.0),
        })
    }

    /// Whether the ray from (x, y) towards +x crosses this edge.
    #[inline(always)]
    fn crosses(&self, x: f64, y: f64) -> bool {
        if y < self.y0 || y >= self.y1 || x >= self.max_x {
            return false;
        }
        x < self.min_x || x < self.x0 + (y - self.y0) * self.k
    }
}

/// One polygon (exterior and holes) of a unit's boundary.
#[derive(Clone, Debug)]
struct Part {
    unit: u32,
    rank: u8,
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
    /// Slab `s` holds `slab_edges[slab_offsets[first_slab + s]..slab_offsets[first_slab + s + 1]]`.
    first_slab: u32,
    slabs: u32,
    inv_slab_h: f64,
}

/// Edges per chain in the nearest-boundary R-tree.
const CHAIN: usize = 8;

/// Up to [`CHAIN`] consecutive edges of one ring of an outermost unit:
/// `points[1..=len + 1]`, with the ring's corner before them in `points[0]`
/// and the one after them in `points[len + 2]`.
#[derive(Clone, Copy, Debug)]
struct Chain {
    points: [[f64; 2]; CHAIN + 3],
    len: u8,
    unit: u32,
    /// Bounding box of the chain's own points: min x, min y, max x, max y.
    bbox: [f64; 4],
}

/// The nearest point of a chain and a direction into its unit there.
struct Nearest {
    d2: f64,
    at: [f64; 2],
    /// The bisector of the corner when the nearest point is a corner.
    inward: Option<[f64; 2]>,
}

impl Chain {
    fn nearest(&self, p: [f64; 2]) -> Nearest {
        let mut best = (f64::INFINITY, p, None);
        let len = self.len as usize;
        for j in 1..=len {
            let (a, b) = (self.points[j], self.points[j + 1]);
            let (c, t) = closest_on_segment(a, b, p);
            let d2 = (c[0] - p[0]).powi(2) + (c[1] - p[1]).powi(2);
            if d2 < best.0 {
                let corner = if t <= 0.0 {
                    Some(j)
                } else if t >= 1.0 {
                    Some(j + 1)
                } else {
                    None
                };
                best = (d2, c, corner);
            }
        }
        let inward = best.2.and_then(|j| {
            let (q, prev, next) = (self.points[j], self.points[j - 1], self.points[j + 1]);
            let unit = |v: [f64; 2]| {
                let (x, y) = (v[0] - q[0], v[1] - q[1]);
                let n = x.hypot(y);
                (n > 0.0).then(|| [x / n, y / n])
            };
            let (a, b) = (unit(prev)?, unit(next)?);
            // A corner nearest to an outside point is convex: the interior
            // is the narrow side, along the bisector.
            let (sx, sy) = (a[0] + b[0], a[1] + b[1]);
            let n = sx.hypot(sy);
            (n > 1e-9).then(|| [sx / n, sy / n])
        });
        Nearest {
            d2: best.0,
            at: best.1,
            inward,
        }
    }
}

/// The point of segment `a`–`b` nearest to `p`, and its parameter (clamped).
fn closest_on_segment(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> ([f64; 2], f64) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 <= 0.0 {
        return (a, 0.0);
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
    if t <= 0.0 {
        (a, 0.0)
    } else if t >= 1.0 {
        (b, 1.0)
    } else {
        ([a[0] + t * dx, a[1] + t * dy], t)
    }
}

impl RTreeObject for Chain {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners([self.bbox[0], self.bbox[1]], [self.bbox[2], self.bbox[3]])
    }
}

impl PointDistance for Chain {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let mut best = f64::INFINITY;
        for j in 1..=self.len as usize {
            let (c, _) = closest_on_segment(self.points[j], self.points[j + 1], *p);
            best = best.min((c[0] - p[0]).powi(2) + (c[1] - p[1]).powi(2));
        }
        best
    }

    fn distance_2_if_less_or_equal(&self, p: &[f64; 2], max: f64) -> Option<f64> {
        let dx = (self.bbox[0] - p[0]).max(p[0] - self.bbox[2]).max(0.0);
        let dy = (self.bbox[1] - p[1]).max(p[1] - self.bbox[3]).max(0.0);
        if dx * dx + dy * dy > max {
            return None;
        }
        Some(self.distance_2(p)).filter(|&d| d <= max)
    }
}

/// How far beyond the nearest boundary point the containing unit is looked
/// for, in turn (degrees; 1e-9° is about 0.1 mm).
const NUDGES: [f64; 4] = [1e-9, 1e-8, 1e-7, 1e-6];

#[derive(Debug, Default)]
pub struct LookupIndex {
    parts: Vec<Part>,
    slab_offsets: Vec<u32>,
    slab_edges: Vec<Edge>,
    /// Cell grid over the bounding box of all parts.
    min_x: f64,
    min_y: f64,
    inv_cell_w: f64,
    inv_cell_h: f64,
    nx: usize,
    ny: usize,
    /// Cell `c` lists `cell_parts[cell_offsets[c]..cell_offsets[c + 1]]`.
    cell_offsets: Vec<u32>,
    cell_parts: Vec<u32>,
    outer: RTree<Chain>,
    /// The same chains, and a grid over their bounding box whose cells list
    /// every chain that can be nearest to a point of the cell, closest first.
    chains: Vec<Chain>,
    near: NearGrid,
    /// Per unit of the territory: whether an indexed unit lies below it
    /// (with no indexed unit in between).
    has_children: Vec<bool>,
}

impl LookupIndex {
    pub fn build(territory: &Territory) -> LookupIndex {
        let mut index = LookupIndex::default();
        let mut chains = Vec::new();
        let mut edges: Vec<Edge> = Vec::new();
        let units = territory.units();
        let indexed = |u: &super::Unit| u.boundary.is_some() && !u.retired;
        index.slab_offsets.push(0);
        index.has_children = vec![false; units.len()];
        for unit in units.iter().filter(|u| indexed(u)) {
            // The nearest indexed ancestor has an indexed descendant here.
            if let Some(a) = territory
                .ancestors(&unit.code)
                .into_iter()
                .find(|a| indexed(a))
                && let Some(i) = territory.index_of(&a.code)
            {
                index.has_children[i] = true;
            }
        }
        for (u, unit) in units.iter().enumerate() {
            let Some(shape) = unit.boundary.as_ref().filter(|_| !unit.retired) else {
                continue;
            };
            let outermost = !territory.ancestors(&unit.code).into_iter().any(indexed);
            for polygon in shape {
                edges.clear();
                let (mut min_x, mut min_y) = (f64::INFINITY, f64::INFINITY);
                let (mut max_x, mut max_y) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    let pts: Vec<[f64; 2]> = ring
                        .coords()
                        .filter(|c| c.x.is_finite() && c.y.is_finite())
                        .map(|c| [c.x, c.y])
                        .collect();
                    for w in pts.windows(2) {
                        let (a, b) = (w[0], w[1]);
                        min_x = min_x.min(a[0]).min(b[0]);
                        min_y = min_y.min(a[1]).min(b[1]);
                        max_x = max_x.max(a[0]).max(b[0]);
                        max_y = max_y.max(a[1]).max(b[1]);
                        edges.extend(Edge::new((a[0], a[1]), (b[0], b[1])));
                    }
                    if outermost {
                        chains.extend(chains_of(&pts, u as u32));
                    }
                }
                if edges.is_empty() {
                    continue;
                }
                index.push_part(
                    u as u32,
                    unit.level.rank(),
                    [min_x, min_y, max_x, max_y],
                    &edges,
                );
            }
        }
        index.build_cells();
        index.near = NearGrid::build(&chains, &index);
        index.chains = chains.clone();
        index.outer = RTree::bulk_load(chains);
        index
    }

    fn push_part(&mut self, unit: u32, rank: u8, bbox: [f64; 4], edges: &[Edge]) {
        let [min_x, min_y, max_x, max_y] = bbox;
        // About 4 edges per slab, at most 1024 slabs.
        let slabs = (edges.len() / 4).clamp(1, 1024);
        let h = (max_y - min_y) / slabs as f64;
        let inv_slab_h = if h > 0.0 { 1.0 / h } else { 0.0 };
        let slab_of = |y: f64| slab_index(y, min_y, inv_slab_h, slabs);
        let first_slab = (self.slab_offsets.len() - 1) as u32;
        let mut buckets: Vec<Vec<Edge>> = vec![Vec::new(); slabs];
        for e in edges {
            for bucket in &mut buckets[slab_of(e.y0)..=slab_of(e.y1)] {
                bucket.push(*e);
            }
        }
        for bucket in buckets {
            self.slab_edges.extend(bucket);
            self.slab_offsets.push(self.slab_edges.len() as u32);
        }
        self.parts.push(Part {
            unit,
            rank,
            min_x,
            min_y,
            max_x,
            max_y,
            first_slab,
            slabs: slabs as u32,
            inv_slab_h,
        });
    }

    fn build_cells(&mut self) {
        if self.parts.is_empty() {
            self.cell_offsets = vec![0];
            return;
        }
        let (mut min_x, mut min_y) = (f64::INFINITY, f64::INFINITY);
        let (mut max_x, mut max_y) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for p in &self.parts {
            min_x = min_x.min(p.min_x);
            min_y = min_y.min(p.min_y);
            max_x = max_x.max(p.max_x);
            max_y = max_y.max(p.max_y);
        }
        // Roughly 4 cells per part, square-ish in degrees.
        let target = (self.parts.len() * 4).clamp(1, 1 << 22) as f64;
        let (w, h) = ((max_x - min_x).max(1e-9), (max_y - min_y).max(1e-9));
        let nx = ((target * w / h).sqrt().ceil() as usize).clamp(1, 1 << 12);
        let ny = ((target / nx as f64).ceil() as usize).clamp(1, 1 << 12);
        self.min_x = min_x;
        self.min_y = min_y;
        self.inv_cell_w = nx as f64 / w;
        self.inv_cell_h = ny as f64 / h;
        self.nx = nx;
        self.ny = ny;
        // Deepest level first, then unit order: the first hit in a cell is the answer.
        let mut order: Vec<u32> = (0..self.parts.len() as u32).collect();
        order.sort_by_key(|&i| {
            let p = &self.parts[i as usize];
            (Reverse(p.rank), p.unit, i)
        });
        let mut counts = vec![0u32; nx * ny + 1];
        let range = |p: &Part| {
            let (x0, x1) = (self.cell_x(p.min_x), self.cell_x(p.max_x));
            let (y0, y1) = (self.cell_y(p.min_y), self.cell_y(p.max_y));
            (x0, x1, y0, y1)
        };
        for &i in &order {
            let (x0, x1, y0, y1) = range(&self.parts[i as usize]);
            for cy in y0..=y1 {
                for cx in x0..=x1 {
                    counts[cy * nx + cx + 1] += 1;
                }
            }
        }
        for c in 1..counts.len() {
            counts[c] += counts[c - 1];
        }
        let mut fill = counts.clone();
        let mut cell_parts = vec![0u32; counts[nx * ny] as usize];
        for &i in &order {
            let (x0, x1, y0, y1) = range(&self.parts[i as usize]);
            for cy in y0..=y1 {
                for cx in x0..=x1 {
                    let slot = &mut fill[cy * nx + cx];
                    cell_parts[*slot as usize] = i;
                    *slot += 1;
                }
            }
        }
        self.cell_offsets = counts;
        self.cell_parts = cell_parts;
    }

    /// Cell column of `x`, clamped into the grid.
    fn cell_x(&self, x: f64) -> usize {
        (((x - self.min_x) * self.inv_cell_w) as usize).min(self.nx - 1)
    }

    fn cell_y(&self, y: f64) -> usize {
        (((y - self.min_y) * self.inv_cell_h) as usize).min(self.ny - 1)
    }

    /// Number of indexed polygons.
    pub fn parts(&self) -> usize {
        self.parts.len()
    }

    pub fn probe(&self, lon: f64, lat: f64) -> Probe {
        if !(lon.is_finite() && lat.is_finite()) {
            return Probe::Outside(None);
        }
        if let Some(unit) = self.containing(lon, lat) {
            return Probe::Inside(unit);
        }
        Probe::Outside(self.nearest(lon, lat))
    }

    fn containing(&self, x: f64, y: f64) -> Option<usize> {
        self.containing_part(x, y).map(|p| p.unit as usize)
    }

    /// The first part of the point's cell (deepest level first) containing it.
    fn containing_part(&self, x: f64, y: f64) -> Option<&Part> {
        if self.parts.is_empty() {
            return None;
        }
        let fx = (x - self.min_x) * self.inv_cell_w;
        let fy = (y - self.min_y) * self.inv_cell_h;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (cx, cy) = (fx as usize, fy as usize);
        // Beyond the grid (but a point on its far edge uses the last cell).
        if cx > self.nx || cy > self.ny {
            return None;
        }
        let (cx, cy) = (cx.min(self.nx - 1), cy.min(self.ny - 1));
        let c = cy * self.nx + cx;
        let list =
            &self.cell_parts[self.cell_offsets[c] as usize..self.cell_offsets[c + 1] as usize];
        list.iter()
            .map(|&i| &self.parts[i as usize])
            .find(|p| self.part_contains(p, x, y))
    }

    #[inline]
    fn part_contains(&self, p: &Part, x: f64, y: f64) -> bool {
        if x < p.min_x || x > p.max_x || y < p.min_y || y > p.max_y {
            return false;
        }
        let s =
            (p.first_slab + slab_index(y, p.min_y, p.inv_slab_h, p.slabs as usize) as u32) as usize;
        let edges =
            &self.slab_edges[self.slab_offsets[s] as usize..self.slab_offsets[s + 1] as usize];
        let mut inside = false;
        for e in edges {
            inside ^= e.crosses(x, y);
        }
        inside
    }

    /// The deepest unit containing a point just beyond the nearest point of
    /// the outermost boundaries (see the module docs).
    fn nearest(&self, x: f64, y: f64) -> Option<usize> {
        let p = [x, y];
        let chain = self
            .near
            .candidates(x, y)
            .and_then(|list| {
                nearest_of(
                    list.iter().map(|&(i, lb)| (&self.chains[i as usize], lb)),
                    p,
                )
            })
            .or_else(|| self.outer.nearest_neighbor(p))?;
        let Nearest { d2, at: q, inward } = chain.nearest(p);
        let d = d2.sqrt();
        let ahead = inward.or_else(|| (d > 0.0).then(|| [(q[0] - x) / d, (q[1] - y) / d]));
        let mut best: Option<(u8, Reverse<u32>)> = None;
        // Children's edges may sit a hair inside their parent's (fixed-point
        // snapping of boolean operations): a point that lands in a unit with
        // children is pushed further in. At a sharp corner the point straight
        // ahead may miss; then look all around.
        for nudge in NUDGES {
            let look = |ux: f64, uy: f64| {
                self.containing_part(q[0] + ux * nudge, q[1] + uy * nudge)
                    .map(|part| (part.rank, Reverse(part.unit)))
            };
            let mut found = ahead.and_then(|[ux, uy]| look(ux, uy));
            if found.is_none() {
                for k in 0..16 {
                    let a = f64::from(k) * std::f64::consts::TAU / 16.0;
                    found = found.max(look(a.cos(), a.sin()));
                }
            }
            best = best.max(found);
            if let Some((_, Reverse(unit))) = found
                && !self.has_children[unit as usize]
            {
                return Some(unit as usize);
            }
        }
        Some(best.map_or(chain.unit as usize, |(_, Reverse(u))| u as usize))
    }
}

/// The chain nearest to `p` among candidates given with a lower bound of
/// their distance to any point of the cell, in increasing order of it.
fn nearest_of<'a>(
    candidates: impl Iterator<Item = (&'a Chain, f64)>,
    p: [f64; 2],
) -> Option<&'a Chain> {
    let mut best: Option<(&Chain, f64)> = None;
    for (chain, lower) in candidates {
        let bound = best.map_or(f64::INFINITY, |b| b.1);
        if lower * lower > bound {
            break;
        }
        if let Some(d2) = chain.distance_2_if_less_or_equal(&p, bound)
            && d2 < bound
        {
            best = Some((chain, d2));
        }
    }
    best.map(|b| b.0)
}

/// Candidate chains per cell for the nearest-boundary search.
#[derive(Debug, Default)]
struct NearGrid {
    min_x: f64,
    min_y: f64,
    inv_w: f64,
    inv_h: f64,
    nx: usize,
    ny: usize,
    /// Cell `c` lists `(chain, lower bound of its distance to the cell)` in
    /// `list[offsets[c]..offsets[c + 1]]`; `covered[c]` marks cells wholly
    /// inside some unit (never asked).
    offsets: Vec<u32>,
    list: Vec<(u32, f64)>,
    covered: Vec<bool>,
}

fn rect_distance(a: [f64; 4], b: [f64; 4]) -> f64 {
    let dx = (a[0] - b[2]).max(b[0] - a[2]).max(0.0);
    let dy = (a[1] - b[3]).max(b[1] - a[3]).max(0.0);
    dx.hypot(dy)
}

impl NearGrid {
    fn build(chains: &[Chain], index: &LookupIndex) -> NearGrid {
        let mut g = NearGrid::default();
        if chains.is_empty() {
            g.offsets = vec![0];
            return g;
        }
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for c in chains {
            bbox = [
                bbox[0].min(c.bbox[0]),
                bbox[1].min(c.bbox[1]),
                bbox[2].max(c.bbox[2]),
                bbox[3].max(c.bbox[3]),
            ];
        }
        let (w, h) = ((bbox[2] - bbox[0]).max(1e-9), (bbox[3] - bbox[1]).max(1e-9));
        let target = (chains.len() * 4).clamp(1, 1 << 18) as f64;
        let nx = ((target * w / h).sqrt().ceil() as usize).clamp(1, 1 << 10);
        let ny = ((target / nx as f64).ceil() as usize).clamp(1, 1 << 10);
        g.min_x = bbox[0];
        g.min_y = bbox[1];
        g.inv_w = nx as f64 / w;
        g.inv_h = ny as f64 / h;
        g.nx = nx;
        g.ny = ny;
        let (cw, ch) = (w / nx as f64, h / ny as f64);
        let tree = RTree::bulk_load(
            chains
                .iter()
                .enumerate()
                .map(|(i, c)| rstar::primitives::GeomWithData::new(*c, i as u32))
                .collect(),
        );
        g.offsets.push(0);
        g.covered = vec![false; nx * ny];
        let mut found = Vec::new();
        for cy in 0..ny {
            for cx in 0..nx {
                let x0 = bbox[0] + cx as f64 * cw;
                let y0 = bbox[1] + cy as f64 * ch;
                let cell = [x0, y0, x0 + cw, y0 + ch];
                let center = [x0 + cw / 2.0, y0 + ch / 2.0];
                let half_diagonal = cw.hypot(ch) / 2.0;
                if let Some((near, d2)) = tree.nearest_neighbor_with_distance_2(center) {
                    if d2.sqrt() > half_diagonal * 1.01
                        && index.containing(center[0], center[1]).is_some()
                    {
                        g.covered[cy * nx + cx] = true;
                    } else {
                        // Every point of the cell is within `upper` of the
                        // centre's nearest boundary point.
                        let q = near.geom().nearest(center).at;
                        let upper = [
                            [cell[0], cell[1]],
                            [cell[0], cell[3]],
                            [cell[2], cell[1]],
                            [cell[2], cell[3]],
                        ]
                        .iter()
                        .map(|c| (c[0] - q[0]).hypot(c[1] - q[1]))
                        .fold(0.0, f64::max)
                            * (1.0 + 1e-9);
                        let reach = AABB::from_corners(
                            [cell[0] - upper, cell[1] - upper],
                            [cell[2] + upper, cell[3] + upper],
                        );
                        found.clear();
                        for c in tree.locate_in_envelope_intersecting(reach) {
                            let lower = rect_distance(cell, c.geom().bbox);
                            if lower <= upper {
                                found.push((c.data, lower));
                            }
                        }
                        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                        g.list.extend_from_slice(&found);
                    }
                }
                g.offsets.push(g.list.len() as u32);
            }
        }
        g
    }

    /// The candidate list of the point's cell; `None` outside the grid (or
    /// in a cell thought wholly covered): use the R-tree.
    fn candidates(&self, x: f64, y: f64) -> Option<&[(u32, f64)]> {
        if self.nx == 0 {
            return None;
        }
        let fx = (x - self.min_x) * self.inv_w;
        let fy = (y - self.min_y) * self.inv_h;
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64) {
            return None;
        }
        let c = (fy as usize).min(self.ny - 1) * self.nx + (fx as usize).min(self.nx - 1);
        if self.covered[c] {
            return None;
        }
        Some(&self.list[self.offsets[c] as usize..self.offsets[c + 1] as usize])
    }
}

/// The chains of a closed ring (`pts[0] == pts[last]`).
fn chains_of(pts: &[[f64; 2]], unit: u32) -> Vec<Chain> {
    let mut v: Vec<[f64; 2]> = pts.to_vec();
    if v.len() > 1 && v.first() == v.last() {
        v.pop();
    }
    v.dedup();
    let m = v.len();
    if m < 2 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(m.div_ceil(CHAIN));
    let mut start = 0;
    while start < m {
        let len = CHAIN.min(m - start);
        let mut chain = Chain {
            points: [[0.0; 2]; CHAIN + 3],
            len: len as u8,
            unit,
            bbox: [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
        };
        for k in 0..len + 3 {
            let q = v[(start + m + k - 1) % m];
            chain.points[k] = q;
            if (1..=len + 1).contains(&k) {
                chain.bbox = [
                    chain.bbox[0].min(q[0]),
                    chain.bbox[1].min(q[1]),
                    chain.bbox[2].max(q[0]),
                    chain.bbox[3].max(q[1]),
                ];
            }
        }
        out.push(chain);
        start += len;
    }
    out
}

#[inline(always)]
fn slab_index(y: f64, min_y: f64, inv_h: f64, slabs: usize) -> usize {
    // `as usize` saturates (negative → 0); monotone in `y`, which keeps edge
    // bucketing and lookups consistent.
    (((y - min_y) * inv_h) as usize).min(slabs - 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use geo::{Contains, Coord, LineString, MultiPolygon, Polygon, Rect};

    use super::*;
    use crate::territory::{Level, Unit};

    use crate::territory::unit::test_unit as unit;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon(),
        ])
    }

    fn with(mut u: Unit, shape: MultiPolygon<f64>) -> Unit {
        u.boundary = Some(shape);
        u
    }

    fn nested() -> Territory {
        Territory::new(vec![
            with(unit("c", Level::City, None), rect(0.0, 0.0, 10.0, 10.0)),
            with(
                unit("d", Level::District, Some("c")),
                rect(0.0, 0.0, 5.0, 10.0),
            ),
            with(
                unit("s", Level::Street, Some("d")),
                rect(0.0, 0.0, 5.0, 5.0),
            ),
            with(unit("g1", Level::Grid, Some("s")), rect(0.0, 0.0, 2.5, 5.0)),
            with(unit("g2", Level::Grid, Some("s")), rect(2.5, 0.0, 5.0, 5.0)),
            // A street whose grid is retired, and a district without boundary.
            with(
                unit("s2", Level::Street, Some("d")),
                rect(0.0, 5.0, 5.0, 10.0),
            ),
            with(
                Unit {
                    retired: true,
                    ..unit("g3", Level::Grid, Some("s2"))
                },
                rect(0.0, 5.0, 5.0, 10.0),
            ),
            unit("d2", Level::District, Some("c")),
        ])
        .unwrap()
    }

    fn code(t: &Territory, p: Probe) -> String {
        match p {
            Probe::Inside(i) => format!("in {}", t.units()[i].code),
            Probe::Outside(Some(i)) => format!("near {}", t.units()[i].code),
            Probe::Outside(None) => "nowhere".into(),
        }
    }

    #[test]
    fn deepest_unit_wins_and_retired_units_are_ignored() {
        let t = nested();
        let idx = LookupIndex::build(&t);
        let at = |x, y| code(&t, idx.probe(x, y));
        assert_eq!(at(1.0, 1.0), "in g1");
        assert_eq!(at(3.0, 4.9), "in g2");
        assert_eq!(at(1.0, 7.0), "in s2");
        assert_eq!(at(7.0, 7.0), "in c");
        // Shared edge between g1 and g2: exactly one of them, always the same.
        assert_eq!(at(2.5, 1.0), at(2.5, 1.0));
        assert!(at(2.5, 1.0) == "in g1" || at(2.5, 1.0) == "in g2");
        assert_eq!(at(f64::NAN, 1.0), "nowhere");
    }

    #[test]
    fn outside_points_get_the_nearest_deepest_unit() {
        let t = nested();
        let idx = LookupIndex::build(&t);
        let at = |x, y| code(&t, idx.probe(x, y));
        // Left of g1: g1, s, d and c are all at distance 1; g1 is deepest.
        assert_eq!(at(-1.0, 1.0), "near g1");
        assert_eq!(at(6.0, -1.0), "near c");
        assert_eq!(at(4.0, -0.5), "near g2");
        // Above s2 (its retired grid is not a candidate).
        assert_eq!(at(1.0, 11.0), "near s2");
        let empty = Territory::new(vec![unit("c", Level::City, None)]).unwrap();
        assert_eq!(
            LookupIndex::build(&empty).probe(1.0, 1.0),
            Probe::Outside(None)
        );
    }

    #[test]
    fn holes_and_multipolygons() {
        let ring = |pts: &[(f64, f64)]| LineString::from(pts.to_vec());
        let donut = MultiPolygon::new(vec![
            Polygon::new(
                ring(&[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]),
                vec![ring(&[
                    (1.0, 1.0),
                    (3.0, 1.0),
                    (3.0, 3.0),
                    (1.0, 3.0),
                    (1.0, 1.0),
                ])],
            ),
            Rect::new(Coord { x: 10.0, y: 0.0 }, Coord { x: 11.0, y: 1.0 }).to_polygon(),
        ]);
        let t = Territory::new(vec![
            unit("c", Level::City, None),
            with(unit("d", Level::District, Some("c")), donut),
        ])
        .unwrap();
        let idx = LookupIndex::build(&t);
        assert_eq!(idx.probe(0.5, 0.5), Probe::Inside(1));
        assert_eq!(idx.probe(2.0, 2.0), Probe::Outside(Some(1)));
        assert_eq!(idx.probe(10.5, 0.5), Probe::Inside(1));
        assert_eq!(idx.probe(7.0, 0.5), Probe::Outside(Some(1)));
    }

    #[test]
    fn many_edges_agree_with_geo() {
        // A jagged polygon with many edges exercises the slab buckets.
        let mut pts = Vec::new();
        for i in 0..400 {
            let a = i as f64 / 400.0 * std::f64::consts::TAU;
            let r = if i % 2 == 0 { 1.0 } else { 0.6 };
            pts.push((r * a.cos(), r * a.sin()));
        }
        pts.push(pts[0]);
        let shape = MultiPolygon::new(vec![Polygon::new(LineString::from(pts), vec![])]);
        let t = Territory::new(vec![with(unit("c", Level::City, None), shape.clone())]).unwrap();
        let idx = LookupIndex::build(&t);
        let mut n = 0;
        for i in 0..200 {
            for j in 0..200 {
                let (x, y) = (
                    -1.1 + i as f64 * 0.011 + 1e-7,
                    -1.1 + j as f64 * 0.011 + 3e-7,
                );
                let expected = shape.contains(&geo::Point::new(x, y));
                assert_eq!(idx.probe(x, y) == Probe::Inside(0), expected, "({x}, {y})");
                n += usize::from(expected);
            }
        }
        assert!(n > 10_000);
    }

    mod against_brute_force {
        use std::sync::OnceLock;

        use geo::{BoundingRect, Distance, Euclidean, Intersects, Point, Rect};
        use proptest::prelude::*;

        use super::*;

        struct Fixture {
            index: LookupIndex,
            bbox: Rect<f64>,
            boxes: Vec<Option<Rect<f64>>>,
        }

        fn fixture() -> &'static (Fixture, &'static Territory) {
            static F: OnceLock<(Fixture, &'static Territory)> = OnceLock::new();
            F.get_or_init(|| {
                let t = &crate::demo::tests::city().1;
                let boxes: Vec<Option<Rect<f64>>> = t
                    .units()
                    .iter()
                    .map(|u| u.boundary.as_ref().and_then(|b| b.bounding_rect()))
                    .collect();
                let mut bbox = boxes.iter().flatten().next().copied().unwrap();
                for b in boxes.iter().flatten() {
                    bbox = Rect::new(
                        Coord {
                            x: bbox.min().x.min(b.min().x),
                            y: bbox.min().y.min(b.min().y),
                        },
                        Coord {
                            x: bbox.max().x.max(b.max().x),
                            y: bbox.max().y.max(b.max().y),
                        },
                    );
                }
                (
                    Fixture {
                        index: LookupIndex::build(t),
                        bbox,
                        boxes,
                    },
                    t,
                )
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]
            #[test]
            fn probe_agrees_with_a_scan(fx in -0.2f64..1.2, fy in -0.2f64..1.2) {
                let (f, t) = fixture();
                let p = Point::new(
                    f.bbox.min().x + fx * f.bbox.width(),
                    f.bbox.min().y + fy * f.bbox.height(),
                );
                let units = t.units();
                let live = |i: usize| !units[i].retired && units[i].boundary.is_some();
                let containing: Vec<usize> = (0..units.len())
                    .filter(|&i| live(i))
                    .filter(|&i| f.boxes[i].is_some_and(|b| b.intersects(&p)))
                    .filter(|&i| units[i].boundary.as_ref().unwrap().contains(&p))
                    .collect();
                let probe = f.index.probe(p.x(), p.y());
                if let Some(deepest) = containing.iter().map(|&i| units[i].level).max() {
                    // Several only on (snapped) shared boundaries.
                    let best: Vec<usize> =
                        containing.into_iter().filter(|&i| units[i].level == deepest).collect();
                    match probe {
                        Probe::Inside(i) => prop_assert!(best.contains(&i), "{p:?}: {i} not in {best:?}"),
                        other => prop_assert!(false, "{p:?}: {other:?}, expected one of {best:?}"),
                    }
                } else {
                    let Probe::Outside(Some(i)) = probe else {
                        return Err(TestCaseError::fail(format!("{p:?}: {probe:?} but in no unit")));
                    };
                    let dist: Vec<(usize, f64)> = (0..units.len())
                        .filter(|&i| live(i))
                        .map(|i| (i, Euclidean.distance(&p, units[i].boundary.as_ref().unwrap())))
                        .collect();
                    let min = dist.iter().map(|d| d.1).fold(f64::INFINITY, f64::min);
                    let nearest: Vec<usize> =
                        dist.iter().filter(|d| d.1 <= min + 1e-7).map(|d| d.0).collect();
                    let deepest = nearest.iter().map(|&i| units[i].level).max().unwrap();
                    prop_assert!(nearest.contains(&i), "{p:?}: {i} not among the nearest {nearest:?}");
                    prop_assert_eq!(units[i].level, deepest);
                }
            }
        }
    }
}
