//! Who an alert goes to: the smallest unit that contains every place in the cluster, so the
//! unit that can act on all of it sees it, and nobody below is asked to act beyond their area.

/// The deepest unit common to all chains. Each chain is a unit followed by its ancestors up to
/// the root (as `Territory::chain` gives it). `None` when there are no chains or they share no
/// unit.
pub fn smallest_common_unit(chains: &[Vec<String>]) -> Option<String> {
    let first = chains.first()?;
    first
        .iter()
        .find(|candidate| chains.iter().all(|c| c.contains(candidate)))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_string()).collect()
    }

    #[test]
    fn one_grid_goes_to_the_grid_two_grids_to_their_community() {
        let g1 = chain(&["G1", "K1", "S1", "D1", "C"]);
        let g2 = chain(&["G2", "K1", "S1", "D1", "C"]);
        let g3 = chain(&["G3", "K3", "S3", "D2", "C"]);
        assert_eq!(
            smallest_common_unit(std::slice::from_ref(&g1)).as_deref(),
            Some("G1")
        );
        assert_eq!(
            smallest_common_unit(&[g1.clone(), g2.clone()]).as_deref(),
            Some("K1")
        );
        assert_eq!(smallest_common_unit(&[g2, g1, g3]).as_deref(), Some("C"));
        assert_eq!(smallest_common_unit(&[]), None);
        assert_eq!(smallest_common_unit(&[chain(&["A"]), chain(&["B"])]), None);
    }
}
