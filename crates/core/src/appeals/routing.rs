//! Routing: location → grid → its chain of units; category → department.
//!
//! The lowest capable level first (the Fengqiao rule): a category's default
//! level says who handles it — the grid worker for on-site matters, the
//! community for local ones, a department for its remit, the district as
//! the fallback when no owner is clear. When the level is missing in the
//! chain (a city without streets, a point that resolved to a street), the
//! next level up takes it.

use serde::Serialize;

use super::category::{Category, DefaultLevel};
use super::workflow::Handler;
use crate::accounts::Department;
use crate::territory::{Level, Unit};

/// Where an appeal goes, and which rule sent it there (shown on the
/// timeline so that a routing decision can be understood and corrected).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    pub handler: Handler,
    /// Stable key of the rule: `level`, `level_above`, `department_district`,
    /// `department_city`, `fallback_district`, `fallback_city`.
    pub rule: &'static str,
}

/// `chain` is the appeal's unit and its ancestors, smallest first (as
/// `Atlas::locate` gives them). `None` when there is nothing to route on
/// (no location): a dispatcher decides.
pub fn route(category: &Category, chain: &[&Unit], departments: &[Department]) -> Option<Route> {
    let at = |level: Level| chain.iter().find(|u| u.level == level && !u.retired);
    let unit = |u: &&Unit, rule| Route {
        handler: Handler::Unit(u.code.clone()),
        rule,
    };
    let district = at(Level::District);
    let city = at(Level::City);
    let fallback = || {
        district
            .map(|d| unit(d, "fallback_district"))
            .or_else(|| city.map(|c| unit(c, "fallback_city")))
    };
    let wanted = match category.default_level {
        DefaultLevel::Grid => Level::Grid,
        DefaultLevel::Community => Level::Community,
        DefaultLevel::Street => Level::Street,
        DefaultLevel::District => Level::District,
        DefaultLevel::Department => {
            let lead = category.departments.first()?;
            let in_unit = |u: &&Unit| {
                departments
                    .iter()
                    .find(|d| d.kind == *lead && d.unit == u.code)
                    .map(|d| Handler::Department(d.code.clone()))
            };
            return district
                .and_then(in_unit)
                .map(|handler| Route {
                    handler,
                    rule: "department_district",
                })
                .or_else(|| {
                    city.and_then(in_unit).map(|handler| Route {
                        handler,
                        rule: "department_city",
                    })
                })
                .or_else(fallback);
        }
    };
    if let Some(u) = at(wanted) {
        return Some(unit(u, "level"));
    }
    // The wanted level is absent here: the nearest level above it that is
    // present, but never above the district.
    Level::ALL
        .iter()
        .rev()
        .filter(|l| **l < wanted && **l >= Level::District)
        .find_map(|l| at(*l))
        .map(|u| unit(u, "level_above"))
        .or_else(fallback)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::appeals::category::Taxonomy;
    use crate::territory::unit::test_unit;

    fn chain() -> Vec<Unit> {
        vec![
            test_unit("G", Level::Grid, Some("K")),
            test_unit("K", Level::Community, Some("S")),
            test_unit("S", Level::Street, Some("D")),
            test_unit("D", Level::District, Some("C")),
            test_unit("C", Level::City, None),
        ]
    }

    fn dept(code: &str, kind: &str, unit: &str) -> Department {
        Department {
            code: code.into(),
            name: code.into(),
            name_en: code.into(),
            kind: kind.into(),
            unit: unit.into(),
        }
    }

    fn category(level: DefaultLevel, lead: &str) -> Category {
        let mut c = Taxonomy::builtin().categories()[0].clone();
        c.default_level = level;
        c.departments = vec![lead.into(), "environment".into()];
        c
    }

    fn route_of(level: DefaultLevel, units: &[Unit], depts: &[Department]) -> Option<Route> {
        let chain: Vec<&Unit> = units.iter().collect();
        route(&category(level, "heating"), &chain, depts)
    }

    #[test]
    fn each_level_goes_to_its_unit_in_the_chain() {
        let units = chain();
        for (level, code) in [
            (DefaultLevel::Grid, "G"),
            (DefaultLevel::Community, "K"),
            (DefaultLevel::Street, "S"),
            (DefaultLevel::District, "D"),
        ] {
            let r = route_of(level, &units, &[]).unwrap();
            assert_eq!(
                (r.handler, r.rule),
                (Handler::Unit(code.into()), "level"),
                "{level:?}"
            );
        }
    }

    #[test]
    fn departments_by_kind_district_first_then_city_then_fallback() {
        let units = chain();
        let depts = [
            dept("D-HE", "heating", "D"),
            dept("C-HE", "heating", "C"),
            dept("D-EN", "environment", "D"),
        ];
        let r = route_of(DefaultLevel::Department, &units, &depts).unwrap();
        assert_eq!(
            (r.handler, r.rule),
            (Handler::Department("D-HE".into()), "department_district")
        );
        let r = route_of(DefaultLevel::Department, &units, &depts[1..]).unwrap();
        assert_eq!(
            (r.handler, r.rule),
            (Handler::Department("C-HE".into()), "department_city")
        );
        let r = route_of(DefaultLevel::Department, &units, &depts[2..]).unwrap();
        assert_eq!(
            (r.handler, r.rule),
            (Handler::Unit("D".into()), "fallback_district")
        );
    }

    #[test]
    fn missing_levels_go_up_but_not_above_the_district() {
        // A point that resolved to a street (no grids there).
        let units: Vec<Unit> = chain().into_iter().skip(2).collect();
        let r = route_of(DefaultLevel::Grid, &units, &[]).unwrap();
        assert_eq!(
            (r.handler, r.rule),
            (Handler::Unit("S".into()), "level_above")
        );
        // A city with only districts.
        let units: Vec<Unit> = chain().into_iter().skip(3).collect();
        let r = route_of(DefaultLevel::Community, &units, &[]).unwrap();
        assert_eq!(
            (r.handler, r.rule),
            (Handler::Unit("D".into()), "level_above")
        );
        // Only the city: the fallback.
        let units: Vec<Unit> = chain().into_iter().skip(4).collect();
        let r = route_of(DefaultLevel::Grid, &units, &[]).unwrap();
        assert_eq!(
            (r.handler, r.rule),
            (Handler::Unit("C".into()), "fallback_city")
        );
        assert_eq!(route_of(DefaultLevel::Grid, &[], &[]), None);
    }

    #[test]
    fn retired_units_are_skipped() {
        let mut units = chain();
        units[0].retired = true;
        let r = route_of(DefaultLevel::Grid, &units, &[]).unwrap();
        assert_eq!(
            (r.handler, r.rule),
            (Handler::Unit("K".into()), "level_above")
        );
    }

    #[test]
    fn every_builtin_category_routes_somewhere_in_the_demo_city() {
        let city =
            crate::demo::generate(&crate::demo::DemoConfig::default(), &mut |_, _, _| {}).unwrap();
        let territory = crate::territory::Territory::new(city.units).unwrap();
        let atlas = crate::territory::Atlas::new(territory);
        let grid = atlas
            .territory()
            .units()
            .iter()
            .find(|u| u.level == Level::Grid)
            .unwrap();
        let mut chain = vec![grid];
        chain.extend(atlas.territory().ancestors(&grid.code));
        for c in Taxonomy::builtin().categories() {
            let r = route(c, &chain, &city.departments)
                .unwrap_or_else(|| panic!("{} unrouted", c.code));
            if c.default_level == DefaultLevel::Department {
                assert_eq!(r.rule, "department_district", "{}", c.code);
            }
        }
    }
}
