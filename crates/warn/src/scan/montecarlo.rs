//! Monte Carlo replicas under the null: dates shuffled among cases, locations fixed, within
//! each category.
//!
//! Only the cases that land in the last `W` days matter to any cylinder, so a replica draws
//! just those: a partial Fisher–Yates shuffle picks, uniformly without replacement, which
//! cases receive the analysis period's dates (the first picks the analysis day's, the next
//! the day before's, …). Any fixed assignment of the picked cases to those dates is as random
//! as the picks themselves. The swaps are undone afterwards, so each replica depends only on
//! `(seed, replica index)` and the results do not depend on how many threads ran them.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::counts::Stratum;

/// A thread's reusable workspace.
#[derive(Debug)]
pub struct Permuter {
    /// All strata's case locations, concatenated; shuffled in place and restored.
    locations: Vec<u32>,
    /// `(start, len, recent_by_day)` per stratum.
    strata: Vec<(usize, usize, Vec<u32>)>,
    swaps: Vec<(usize, usize)>,
}

impl Permuter {
    pub fn new(strata: &[Stratum]) -> Self {
        let mut locations = Vec::with_capacity(strata.iter().map(|s| s.case_locations.len()).sum());
        let mut layout = Vec::with_capacity(strata.len());
        for s in strata {
            layout.push((
                locations.len(),
                s.case_locations.len(),
                s.recent_by_day.clone(),
            ));
            locations.extend_from_slice(&s.case_locations);
        }
        Self {
            locations,
            strata: layout,
            swaps: Vec::new(),
        }
    }

    /// Fills `counts` (locations × `lanes`, cumulative over the first `windows` lanes, the
    /// rest left zero) for replica `replica`.
    pub fn replica_counts<T: Copy + Default + std::ops::AddAssign + From<u8>>(
        &mut self,
        seed: u64,
        replica: u64,
        (windows, lanes): (usize, usize),
        counts: &mut [T],
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(replica);
        counts.fill(T::default());
        self.swaps.clear();
        for (start, len, recent) in &self.strata {
            let segment = &mut self.locations[*start..*start + *len];
            let mut picked = 0usize;
            for (back, &n) in recent.iter().enumerate() {
                for _ in 0..n {
                    if picked >= segment.len() {
                        break;
                    }
                    let j = rng.random_range(picked..segment.len());
                    segment.swap(picked, j);
                    self.swaps.push((*start + picked, *start + j));
                    let z = segment[picked] as usize;
                    for slot in &mut counts[z * lanes + back..z * lanes + windows] {
                        *slot += T::from(1u8);
                    }
                    picked += 1;
                }
            }
        }
        // Undo in reverse so the next replica starts from the original order.
        for &(i, j) in self.swaps.iter().rev() {
            self.locations.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strata() -> Vec<Stratum> {
        vec![
            Stratum {
                case_locations: vec![0, 0, 1, 2, 2, 2, 3],
                recent_by_day: vec![1, 2],
            },
            Stratum {
                case_locations: vec![1, 3, 3],
                recent_by_day: vec![0, 1],
            },
        ]
    }

    #[test]
    fn a_replica_keeps_the_daily_totals_and_is_reproducible() {
        let mut p = Permuter::new(&strata());
        let original = p.locations.clone();
        let mut a = vec![0u32; 4 * 2];
        p.replica_counts(7, 3, (2, 2), &mut a);
        assert_eq!(p.locations, original, "swaps are undone");
        // Window 0 (analysis day) holds 1 case, window 1 (two days) holds 1 + 2 + 1 = 4.
        assert_eq!((0..4).map(|z| a[z * 2]).sum::<u32>(), 1);
        assert_eq!((0..4).map(|z| a[z * 2 + 1]).sum::<u32>(), 4);
        let mut b = vec![0u32; 8];
        let mut fresh = Permuter::new(&strata());
        fresh.replica_counts(7, 0, (2, 2), &mut b);
        fresh.replica_counts(7, 3, (2, 2), &mut b);
        assert_eq!(a, b, "a replica depends only on seed and index");
    }

    #[test]
    fn the_shuffle_is_uniform_over_cases() {
        // One stratum, 4 cases at 4 locations, one recent case: each location should get it
        // a quarter of the time.
        let s = vec![Stratum {
            case_locations: vec![0, 1, 2, 3],
            recent_by_day: vec![1],
        }];
        let mut p = Permuter::new(&s);
        let mut hits = [0u32; 4];
        let mut counts = vec![0u32; 4];
        for r in 0..8000 {
            p.replica_counts(1, r, (1, 1), &mut counts);
            for z in 0..4 {
                hits[z] += counts[z];
            }
        }
        for h in hits {
            assert!((1800..2200).contains(&h), "{hits:?}");
        }
    }
}
