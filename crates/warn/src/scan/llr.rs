//! The Poisson generalized likelihood ratio of a cylinder, and a cheap upper bound for it.

/// `c·ln(c/μ) + (C−c)·ln((C−c)/(C−μ))` for a high-rate cylinder (c > μ), else 0.
///
/// The space-time permutation model scores a cylinder with `c` observed and `μ` expected cases
/// out of `total` with this Poisson approximation (Kulldorff et al. 2005, eq. 3).
pub fn llr(c: f64, mu: f64, total: f64) -> f64 {
    if c <= mu || mu <= 0.0 {
        return 0.0;
    }
    let inside = c * (c / mu).ln();
    let rest = total - c;
    let outside = if rest > 0.0 {
        rest * (rest / (total - mu)).ln()
    } else {
        0.0
    };
    inside + outside
}

/// Whether [`llr`] of `(c, μ)` could exceed `best`, decided without a logarithm.
///
/// For x = c/μ ≥ 1, `x ln x − x + 1 ≤ (x−1)²/2` and `ln(1−y) ≤ −y`, so
/// `llr ≤ (c−μ)²/(2μ) + (c−μ)²/(C−μ) = (c−μ)²(C+μ) / (2μ(C−μ))`. Most cylinders of a random
/// replica fail this test, which is what makes 999 replications cheap. The bound is compared
/// with a relative margin so rounding can never skip a cylinder that would have won.
#[inline]
pub fn may_exceed(c: f64, mu: f64, total: f64, best: f64) -> bool {
    let d = c - mu;
    d * d * (total + mu) * (1.0 + 1e-9) > 2.0 * best * mu * (total - mu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_cluster() {
        // SaTScan's cluster 2 on NYCfever: 2 observed where 0.165 expected, 194 cases. The
        // exact μ comes from the marginals; this checks the formula's shape, not the data.
        let v = llr(2.0, 0.165, 194.0);
        let by_hand = 2.0 * (2.0f64 / 0.165).ln() + 192.0 * (192.0f64 / 193.835).ln();
        assert!((v - by_hand).abs() < 1e-12);
    }

    #[test]
    fn zero_unless_more_than_expected() {
        assert_eq!(llr(1.0, 1.0, 10.0), 0.0);
        assert_eq!(llr(0.0, 1.0, 10.0), 0.0);
        assert_eq!(llr(1.0, 0.0, 10.0), 0.0);
        assert!(llr(10.0, 1.0, 10.0).is_finite());
    }

    #[test]
    fn bound_never_skips_a_winner() {
        for total in [10.0, 194.0, 50_000.0] {
            for c in 1..40 {
                for tenth in 1..(10 * c) {
                    let (c, mu) = (f64::from(c), f64::from(tenth) / 10.0);
                    if c > total || mu >= total {
                        continue;
                    }
                    let v = llr(c, mu, total);
                    assert!(
                        may_exceed(c, mu, total, v * 0.999_999),
                        "c={c} mu={mu} C={total}"
                    );
                    assert!(!may_exceed(c, mu, total, v * 1e3 + 1e6));
                }
            }
        }
    }
}
