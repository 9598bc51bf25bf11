//! The numbers a scan needs, laid out for the inner loop: per location and window length,
//! observed cases and expected cases.
//!
//! Windows all end on the analysis day; window `w` (0-based) covers the last `w + 1` days. A
//! row of `W` values per location holds the cumulative counts, so adding a location to a
//! circle adds one contiguous row.

use crate::study::Study;

/// Expected cases per location and window under the space-time permutation model, and the
/// marginals they come from. These do not change when dates are permuted among cases, so
/// they are computed once and serve the observed data and every replica.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// Window lengths considered: 1..=`windows` days.
    pub windows: usize,
    /// C, all cases in the study period.
    pub total: f64,
    /// Each location's cases over the whole study period.
    pub cases_at: Vec<u64>,
    /// `expected[z * windows + w]` = Σ over categories k of C_k(z)·C_k(window w)/C_k.
    pub expected: Vec<f64>,
    /// C(w): all cases in window w, every category together.
    pub window_cases: Vec<u64>,
}

/// Observed cumulative counts: `counts[z * windows + w]` = cases at z in window w.
pub type WindowCounts = Vec<u32>;

/// One category's cases, as the permutation needs them.
#[derive(Debug, Clone)]
pub struct Stratum {
    /// The location of every single case (a record of n cases appears n times).
    pub case_locations: Vec<u32>,
    /// Cases per day-back δ = 0..windows (δ = 0 is the analysis day) in this category.
    pub recent_by_day: Vec<u32>,
}

/// Computes the expectation, the observed window counts and the strata.
pub fn prepare(study: &Study, windows: usize) -> (Expectation, WindowCounts, Vec<Stratum>) {
    let n = study.locations.len();
    let k = study.categories.len();
    let last = study.days().saturating_sub(1);
    let mut by_cat_loc = vec![0u64; k * n];
    let mut recent = vec![vec![0u32; windows]; k];
    let mut observed = vec![0u32; n * windows];
    let mut strata: Vec<Stratum> = (0..k)
        .map(|_| Stratum {
            case_locations: Vec::new(),
            recent_by_day: vec![0; windows],
        })
        .collect();
    for c in &study.cases {
        let (z, cat) = (c.location as usize, c.category as usize);
        by_cat_loc[cat * n + z] += u64::from(c.count);
        let back = (last - c.day) as usize;
        if back < windows {
            recent[cat][back] += c.count;
            for w in back..windows {
                observed[z * windows + w] += c.count;
            }
        }
        let stratum = &mut strata[cat];
        stratum
            .case_locations
            .extend(std::iter::repeat_n(c.location, c.count as usize));
    }
    let mut expected = vec![0f64; n * windows];
    for cat in 0..k {
        let cat_total: u64 = by_cat_loc[cat * n..(cat + 1) * n].iter().sum();
        if cat_total == 0 {
            continue;
        }
        // C_k(window w): cumulative cases of this category over the last w + 1 days.
        let mut in_window = vec![0f64; windows];
        let mut acc = 0u64;
        for (w, slot) in in_window.iter_mut().enumerate() {
            acc += u64::from(recent[cat][w]);
            *slot = acc as f64 / cat_total as f64;
        }
        for z in 0..n {
            let cz = by_cat_loc[cat * n + z];
            if cz == 0 {
                continue;
            }
            for w in 0..windows {
                expected[z * windows + w] += cz as f64 * in_window[w];
            }
        }
        strata[cat].recent_by_day.clone_from(&recent[cat]);
    }
    let mut cases_at = vec![0u64; n];
    for cat in 0..k {
        for z in 0..n {
            cases_at[z] += by_cat_loc[cat * n + z];
        }
    }
    let total = cases_at.iter().sum::<u64>() as f64;
    let mut window_cases = vec![0u64; windows];
    for r in &recent {
        let mut acc = 0u64;
        for (w, n) in r.iter().enumerate() {
            acc += u64::from(*n);
            window_cases[w] += acc;
        }
    }
    strata.retain(|s| !s.case_locations.is_empty());
    (
        Expectation {
            windows,
            total,
            cases_at,
            expected,
            window_cases,
        },
        observed,
        strata,
    )
}
