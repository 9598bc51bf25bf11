//! The inner loops: every cylinder of every centre, against one set of window counts.
//!
//! A circle grows one neighbour at a time; the observed count of every window length is a
//! running sum over the neighbours' rows, and the expected count comes from the [`Design`].

use super::cylinders::Cylinders;
use super::llr::llr;
use super::table::Design;

/// The best cylinder about one centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Best {
    pub centre: usize,
    pub llr: f64,
    /// Locations in the circle (a prefix of the centre's neighbour list).
    pub size: usize,
    /// Window length in days.
    pub days: usize,
    pub observed: u32,
    pub expected: f64,
}

/// The best high-rate cylinder about each centre, exactly as SaTScan keeps it: the highest
/// LLR, the first one found on ties (fewer locations, then the shorter window).
///
/// `counts[z * windows + w]` holds location z's cases in window w. Adding a neighbour with
/// no case in any window leaves every observed count as it was while expected counts grow,
/// so no cylinder of that size can beat one already seen: those sizes are skipped.
pub fn best_per_centre(
    cyl: &Cylinders,
    design: &Design,
    counts: &[u32],
    min_cases: u32,
) -> Vec<Best> {
    let w = design.windows;
    let mut out = Vec::new();
    let mut obs = vec![0u32; w];
    let mut visit = 0usize;
    for centre in 0..cyl.centres() {
        let neighbours = cyl.of(centre);
        obs.fill(0);
        let mut best: Option<Best> = None;
        for (rank, &z) in neighbours.iter().enumerate() {
            let row = &counts[z as usize * w..][..w];
            if row[w - 1] == 0 {
                continue;
            }
            for (acc, c) in obs.iter_mut().zip(row) {
                *acc += c;
            }
            for (d, &o) in obs.iter().enumerate() {
                if o < min_cases {
                    continue;
                }
                let mu = design.mu(visit + rank, d);
                let score = llr(f64::from(o), mu, design.total);
                if score > 0.0 && best.is_none_or(|b| score > b.llr) {
                    best = Some(Best {
                        centre,
                        llr: score,
                        size: rank + 1,
                        days: d + 1,
                        observed: o,
                        expected: mu,
                    });
                }
            }
        }
        visit += neighbours.len();
        out.extend(best);
    }
    out
}

/// One Monte Carlo replica's test statistic: the highest LLR over all cylinders, counted only
/// where it reaches the threshold `needed` was built for (0 when no cylinder does).
///
/// That is all a p-value needs — how many replicas reach each reported cluster's LLR — and it
/// turns the loop into integer work: per neighbour, add a row of `L` window counts and compare
/// it with the row of counts needed; only a cylinder that reaches its count is scored.
pub fn max_llr<const L: usize>(
    cyl: &Cylinders,
    design: &Design,
    needed: &[u16],
    counts: &[u16],
) -> f64 {
    let mut best = 0f64;
    let mut visit = 0usize;
    for centre in 0..cyl.centres() {
        let neighbours = cyl.of(centre);
        let need = &needed[visit * L..(visit + neighbours.len()) * L];
        let mut obs = [0u16; L];
        for (rank, (&z, need)) in neighbours.iter().zip(need.chunks_exact(L)).enumerate() {
            let at = z as usize * L;
            let (Some(row), Ok(need)) = (counts.get(at..at + L), <&[u16; L]>::try_from(need))
            else {
                continue;
            };
            let Ok(row) = <&[u16; L]>::try_from(row) else {
                continue;
            };
            // Counts never overflow: `needed` is only built when every window's total fits.
            let mut reached = false;
            for i in 0..L {
                obs[i] = obs[i].wrapping_add(row[i]);
                // Written as "nothing left to reach" so it compiles to one saturating subtract
                // and compare per register, without an unsigned comparison SSE2 lacks.
                reached |= need[i].saturating_sub(obs[i]) == 0;
            }
            if reached {
                for d in 0..design.windows {
                    if obs[d] >= need[d] {
                        let v = llr(f64::from(obs[d]), design.mu(visit + rank, d), design.total);
                        if v > best {
                            best = v;
                        }
                    }
                }
            }
        }
        visit += neighbours.len();
    }
    best
}
