//! Everything the inner loop reads, laid out flat per "visit" (one neighbour of one centre,
//! in circle order): the expected count of each window, and — once the observed clusters are
//! known — the fewest cases each cylinder needs to matter.
//!
//! Expected counts come from one place ([`Design::mu`]) for the observed data and for every
//! replica, computed by the same arithmetic, so a replica that reproduces an observed cylinder
//! exactly ties with it exactly (SaTScan counts ties against the cluster, and so do we).

use super::counts::Expectation;
use super::cylinders::Cylinders;
use super::llr::{llr, may_exceed};

/// The window lanes of one row: window counts are padded to a multiple of 8 so rows are
/// whole SIMD registers; padded lanes never hold a case and never qualify.
pub fn lanes_for(windows: usize) -> usize {
    windows.div_ceil(8) * 8
}

/// Where a cylinder's expected count comes from.
#[derive(Debug, Clone)]
enum Mu {
    /// One category: μ(circle, w) = (cases in the circle) × C(w)/C, with the circle's cases an
    /// exact integer prefix sum.
    Scaled { prefix: Vec<u64>, share: Vec<f64> },
    /// Several categories: Σ_k C_k(circle)·C_k(w)/C_k, summed along the circle once.
    Table(Vec<f64>),
}

#[derive(Debug, Clone)]
pub struct Design {
    pub windows: usize,
    pub lanes: usize,
    pub total: f64,
    mu: Mu,
}

impl Design {
    pub fn new(cyl: &Cylinders, e: &Expectation, categories: usize) -> Self {
        let w = e.windows;
        let mu = if categories <= 1 {
            let mut prefix = Vec::with_capacity(cyl.len());
            for centre in 0..cyl.centres() {
                let mut acc = 0u64;
                for &z in cyl.of(centre) {
                    acc += e.cases_at[z as usize];
                    prefix.push(acc);
                }
            }
            let share = e
                .window_cases
                .iter()
                .map(|&cw| cw as f64 / e.total)
                .collect();
            Mu::Scaled { prefix, share }
        } else {
            let mut table = Vec::with_capacity(cyl.len() * w);
            let mut acc = vec![0f64; w];
            for centre in 0..cyl.centres() {
                acc.fill(0.0);
                for &z in cyl.of(centre) {
                    for (a, m) in acc.iter_mut().zip(&e.expected[z as usize * w..][..w]) {
                        *a += m;
                    }
                    table.extend_from_slice(&acc);
                }
            }
            Mu::Table(table)
        };
        Self {
            windows: w,
            lanes: lanes_for(w),
            total: e.total,
            mu,
        }
    }

    /// Expected cases of the cylinder ending at visit `visit` (a flat index over all centres'
    /// neighbours) with window `w`.
    #[inline]
    pub fn mu(&self, visit: usize, w: usize) -> f64 {
        match &self.mu {
            Mu::Scaled { prefix, share } => prefix[visit] as f64 * share[w],
            Mu::Table(t) => t[visit * self.windows + w],
        }
    }

    /// For every cylinder, the fewest cases at which its LLR reaches `threshold` (and at
    /// least `min_cases`); `u16::MAX` where no count up to `most` can. A replica only needs
    /// the logarithm where a running count reaches this, which is rare.
    ///
    /// Along a circle μ only grows, so the needed count only grows: each (centre, window) is a
    /// single upward walk, mostly decided by the log-free bound.
    pub fn needed(&self, cyl: &Cylinders, threshold: f64, min_cases: u32, most: u32) -> Vec<u16> {
        let (w, lanes) = (self.windows, self.lanes);
        let mut out = vec![u16::MAX; cyl.len() * lanes];
        let cap = most.min(u32::from(u16::MAX) - 1);
        let mut visit = 0usize;
        for centre in 0..cyl.centres() {
            let n = cyl.of(centre).len();
            for d in 0..w {
                let mut c = min_cases.max(1);
                for rank in 0..n {
                    let mu = self.mu(visit + rank, d);
                    if mu <= 0.0 {
                        // Nothing expected means nothing observed: a circle of places without a
                        // single case in the study. It cannot score, and must not push `c` up.
                        continue;
                    }
                    c = c.max(mu.floor() as u32 + 1);
                    while c <= cap {
                        let cf = f64::from(c);
                        if may_exceed(cf, mu, self.total, threshold)
                            && llr(cf, mu, self.total) >= threshold
                        {
                            break;
                        }
                        c += 1;
                    }
                    if c > cap {
                        break;
                    }
                    out[(visit + rank) * lanes + d] = c as u16;
                }
            }
            visit += n;
        }
        out
    }
}
