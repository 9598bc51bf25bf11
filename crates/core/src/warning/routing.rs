//! Who an alert goes to: the smallest unit that contains every place in the cluster, so the
//! unit that can act on all of it sees it, and nobody below is asked to act beyond their area.

use crate::appeals::Handler;
use crate::territory::{Level, Territory};

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

/// Where a repeated unresolved matter goes: the unit above the handler whose closure did not
/// hold. A department's level above is the city (its supervisors); a handler at the top, or one
/// the territory does not know, has nobody above and the matter stays with the root.
pub fn level_above(handler: &Handler, territory: &Territory) -> Option<String> {
    let root = || territory.roots().next().map(|u| u.code.clone());
    match handler {
        Handler::Unit(code) => territory
            .get(code)
            .and_then(|u| u.parent.clone())
            .or_else(root),
        Handler::Department(_) => root(),
    }
}

/// The unit at `level` that contains `code` (itself if it is at that level), else the deepest
/// unit above it that exists — a collective matter goes to the street, where the forces of
/// several communities and departments are coordinated.
pub fn containing_at(code: &str, level: Level, territory: &Territory) -> Option<String> {
    let chain = territory.chain(code);
    chain
        .iter()
        .find(|c| territory.get(c).is_some_and(|u| u.level == level))
        .or_else(|| chain.last())
        .cloned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
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

    #[test]
    fn repeats_go_above_the_handler_and_collective_matters_to_the_street() {
        use crate::territory::unit::test_unit;
        let t = Territory::new(vec![
            test_unit("C", Level::City, None),
            test_unit("D1", Level::District, Some("C")),
            test_unit("S1", Level::Street, Some("D1")),
            test_unit("K1", Level::Community, Some("S1")),
            test_unit("G1", Level::Grid, Some("K1")),
        ])
        .unwrap();
        let unit = |c: &str| Handler::Unit(c.into());
        assert_eq!(level_above(&unit("G1"), &t).as_deref(), Some("K1"));
        assert_eq!(level_above(&unit("S1"), &t).as_deref(), Some("D1"));
        assert_eq!(level_above(&unit("C"), &t).as_deref(), Some("C"));
        assert_eq!(level_above(&unit("nope"), &t).as_deref(), Some("C"));
        assert_eq!(
            level_above(&Handler::Department("HOUSING".into()), &t).as_deref(),
            Some("C")
        );
        assert_eq!(
            containing_at("G1", Level::Street, &t).as_deref(),
            Some("S1")
        );
        assert_eq!(
            containing_at("S1", Level::Street, &t).as_deref(),
            Some("S1")
        );
        assert_eq!(containing_at("D1", Level::Street, &t).as_deref(), Some("C"));
        assert_eq!(containing_at("nope", Level::Street, &t), None);
    }
}
