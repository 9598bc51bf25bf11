//! Mediation organisations and which one takes a case: the lowest capable
//! level (community → street → district), or a professional committee for
//! the disputes it exists for — "small matters do not leave the village,
//! big matters do not leave the town".

use serde::{Deserialize, Serialize};

use super::kind::{DisputeType, OrgKind};
use crate::territory::{Level, Territory};

/// A mediation organisation, sitting at a unit (community, street or district).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    /// The unit it sits at; its jurisdiction is that unit and everything below it.
    pub unit: String,
}

/// Amount in dispute (fen) from which a case starts at the street: a
/// community committee takes the everyday matters.
pub const STREET_AMOUNT_FEN: i64 = 10_000_000;
/// Number of parties from which a case starts at the street.
pub const STREET_PARTIES: usize = 5;

/// What assignment needs to know about a case.
#[derive(Clone, Copy, Debug)]
pub struct CaseShape<'a> {
    pub dispute_type: DisputeType,
    /// The case's unit followed by its ancestors up to the root.
    pub location_chain: &'a [String],
    pub amount_fen: Option<i64>,
    pub parties: usize,
}

/// The lowest level a case of this shape starts at.
pub fn starting_level(shape: &CaseShape<'_>) -> Level {
    let big =
        shape.amount_fen.is_some_and(|a| a >= STREET_AMOUNT_FEN) || shape.parties >= STREET_PARTIES;
    if big { Level::Street } else { Level::Community }
}

/// The organisation that takes the case: the nearest professional committee
/// of its type up the location chain, else the people's committee at the
/// lowest level from `starting_level` upwards. `None` when no organisation
/// covers the location at all.
pub fn choose<'o>(
    shape: &CaseShape<'_>,
    orgs: &'o [Organisation],
    territory: &Territory,
) -> Option<&'o Organisation> {
    let at = |unit: &str, kind: OrgKind| orgs.iter().find(|o| o.unit == unit && o.kind == kind);
    if let Some(kind) = OrgKind::professional_for(shape.dispute_type)
        && let Some(o) = shape.location_chain.iter().find_map(|u| at(u, kind))
    {
        return Some(o);
    }
    let from = starting_level(shape);
    shape
        .location_chain
        .iter()
        .filter(|u| territory.get(u).is_some_and(|unit| unit.level <= from))
        .find_map(|u| at(u, OrgKind::People))
}

/// The people's committee one level above `org` (for escalation): the
/// nearest people's committee at a strictly higher unit of its chain.
pub fn above<'o>(
    org: &Organisation,
    orgs: &'o [Organisation],
    territory: &Territory,
) -> Option<&'o Organisation> {
    territory.chain(&org.unit).iter().skip(1).find_map(|u| {
        orgs.iter()
            .find(|o| o.unit == *u && o.kind == OrgKind::People)
    })
}

/// The level an organisation sits at, for the Fengqiao measure.
pub fn level_of(org_unit: &str, territory: &Territory) -> Option<Level> {
    territory.get(org_unit).map(|u| u.level)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::territory::unit::test_unit as u;

    fn territory() -> Territory {
        Territory::new(vec![
            u("C", Level::City, None),
            u("D", Level::District, Some("C")),
            u("S", Level::Street, Some("D")),
            u("K", Level::Community, Some("S")),
            u("K2", Level::Community, Some("S")),
            u("G", Level::Grid, Some("K")),
            u("G2", Level::Grid, Some("K2")),
        ])
        .unwrap()
    }

    fn org(code: &str, kind: OrgKind, unit: &str) -> Organisation {
        Organisation {
            code: code.into(),
            name: code.into(),
            kind,
            unit: unit.into(),
        }
    }

    fn orgs() -> Vec<Organisation> {
        vec![
            org("pK", OrgKind::People, "K"),
            org("pS", OrgKind::People, "S"),
            org("pD", OrgKind::People, "D"),
            org("labD", OrgKind::Labour, "D"),
        ]
    }

    fn shape(
        t: DisputeType,
        chain: &[String],
        amount: Option<i64>,
        parties: usize,
    ) -> CaseShape<'_> {
        CaseShape {
            dispute_type: t,
            location_chain: chain,
            amount_fen: amount,
            parties,
        }
    }

    #[test]
    fn everyday_matters_stay_in_the_community() {
        let t = territory();
        let orgs = orgs();
        let chain = t.chain("G");
        let s = shape(DisputeType::Neighbours, &chain, None, 2);
        assert_eq!(choose(&s, &orgs, &t).unwrap().code, "pK");
    }

    #[test]
    fn big_matters_start_at_the_street() {
        let t = territory();
        let orgs = orgs();
        let chain = t.chain("G");
        let s = shape(
            DisputeType::PropertyTenancy,
            &chain,
            Some(STREET_AMOUNT_FEN),
            2,
        );
        assert_eq!(choose(&s, &orgs, &t).unwrap().code, "pS");
        let s = shape(
            DisputeType::PropertyTenancy,
            &chain,
            Some(STREET_AMOUNT_FEN - 1),
            4,
        );
        assert_eq!(choose(&s, &orgs, &t).unwrap().code, "pK");
        let s = shape(DisputeType::Neighbours, &chain, None, STREET_PARTIES);
        assert_eq!(choose(&s, &orgs, &t).unwrap().code, "pS");
    }

    #[test]
    fn a_community_without_a_committee_goes_to_its_street() {
        let t = territory();
        let orgs = orgs();
        let chain = t.chain("G2");
        let s = shape(DisputeType::Neighbours, &chain, None, 2);
        assert_eq!(choose(&s, &orgs, &t).unwrap().code, "pS");
    }

    #[test]
    fn professional_committees_take_their_disputes() {
        let t = territory();
        let orgs = orgs();
        let chain = t.chain("G");
        let s = shape(DisputeType::LabourWage, &chain, Some(1), 2);
        assert_eq!(choose(&s, &orgs, &t).unwrap().code, "labD");
        // No medical committee: the people's committee takes it.
        let s = shape(DisputeType::Medical, &chain, None, 2);
        assert_eq!(choose(&s, &orgs, &t).unwrap().code, "pK");
    }

    #[test]
    fn nothing_covers_an_empty_chain() {
        let t = territory();
        let orgs = orgs();
        let s = shape(DisputeType::Neighbours, &[], None, 2);
        assert!(choose(&s, &orgs, &t).is_none());
    }

    #[test]
    fn escalation_goes_to_the_committee_above() {
        let t = territory();
        let orgs = orgs();
        assert_eq!(above(&orgs[0], &orgs, &t).unwrap().code, "pS");
        assert_eq!(above(&orgs[1], &orgs, &t).unwrap().code, "pD");
        assert!(above(&orgs[2], &orgs, &t).is_none());
        // A professional committee at the district escalates to nothing above it here.
        assert!(above(&orgs[3], &orgs, &t).is_none());
        assert_eq!(level_of("S", &t), Some(Level::Street));
    }
}
