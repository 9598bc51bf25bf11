//! When an outbreak counts as found, and the summaries of many trials.
//!
//! An outbreak is *detected* on the first of its days on which an alert touches one of its
//! grids: for the scan, a cluster with a member among them; for a baseline, an alarming series
//! whose unit holds one of them. The delay is that day minus the first outbreak day (0: found
//! on its first day). The overlap is how well the alerts outline it: the Jaccard index of the
//! grids the touching alerts name that day and the outbreak's grids (1 = exactly the outbreak,
//! small = a pinpoint inside it or a vast area around it).
//!
//! The outbreak's grids are its whole area, including grids where the Poisson draw happened to
//! add nothing: an alert there has still found the right place.

use serde::Serialize;

/// A found outbreak.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Detection {
    /// Days from the outbreak's first day to the day it was found.
    pub delay: u32,
    /// Jaccard index of flagged and outbreak grids on that day.
    pub overlap: f64,
}

/// Judges one day: `alerts` are the grids each alert of the day names, `outbreak` the
/// outbreak's grids sorted ascending. `Some` when any alert touches the outbreak.
pub fn detect_on_day(
    day: u32,
    start: u32,
    alerts: &[&[u32]],
    outbreak: &[u32],
) -> Option<Detection> {
    let touches = |grids: &[u32]| grids.iter().any(|g| outbreak.binary_search(g).is_ok());
    let mut flagged: Vec<u32> = alerts
        .iter()
        .filter(|a| touches(a))
        .flat_map(|a| a.iter().copied())
        .collect();
    if flagged.is_empty() {
        return None;
    }
    flagged.sort_unstable();
    flagged.dedup();
    Some(Detection {
        delay: day.saturating_sub(start),
        overlap: jaccard(&flagged, outbreak),
    })
}

/// |A ∩ B| / |A ∪ B| of two sorted, duplicate-free sets; 0 when both are empty.
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

/// The median (the mean of the two middle values for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if !n.is_multiple_of(2) => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The Wilson score interval (95%) of a proportion `k` of `n`: honest at 0 and 1 and with few
/// trials, unlike the normal approximation.
pub fn wilson(k: u32, n: u32) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (f64::from(k), f64::from(n));
    let z = 1.959_963_984_540_054_f64;
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}
