#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use geo::{Area, BooleanOps, BoundingRect, Contains, Intersects, Point, Validation};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::accounts::{check_scope, validate_phone, validate_username};
use crate::territory::Territory;
use crate::territory::import::check;

fn quiet(config: &DemoConfig) -> DemoCity {
    generate(config, &mut |_, _, _| {}).unwrap()
}

/// The default city (seed 2012, scale 1), generated once for all tests.
pub(crate) fn city() -> &'static (DemoCity, Territory) {
    static CITY: OnceLock<(DemoCity, Territory)> = OnceLock::new();
    CITY.get_or_init(|| {
        let city = quiet(&DemoConfig::default());
        let territory = Territory::new(city.units.clone()).unwrap();
        (city, territory)
    })
}

#[test]
fn same_seed_same_city_other_seed_other_city() {
    let small = |seed| quiet(&DemoConfig { seed, scale: 0.1 });
    let (a, b, c) = (small(5), small(5), small(6));
    assert_eq!(a.units, b.units);
    assert_eq!(a.staff, b.staff);
    assert_eq!(a.departments, b.departments);
    let names = |city: &DemoCity| {
        city.logins
            .iter()
            .map(|l| l.username.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), names(&b));
    assert_ne!(a.units, c.units);
    assert_ne!(a.staff, c.staff);
}

#[test]
fn counts_and_fields() {
    let (city, t) = city();
    let grids: Vec<&Unit> = city
        .units
        .iter()
        .filter(|u| u.level == Level::Grid)
        .collect();
    assert!(
        (1200..=1800).contains(&grids.len()),
        "{} grids",
        grids.len()
    );
    assert!(
        (1500..=2600).contains(&city.units.len()),
        "{} units",
        city.units.len()
    );
    let urban = grids.iter().filter(|g| g.code.as_str() < "230620").count();
    assert!(
        urban > grids.len() - urban,
        "urban {urban} of {}",
        grids.len()
    );
    for g in &grids {
        assert!((300..=500).contains(&g.households.unwrap()));
        assert!(
            g.name.starts_with('第') && g.name.ends_with("网格"),
            "{}",
            g.name
        );
    }
    for u in &city.units {
        assert!(!u.name.is_empty() && !u.name_en.is_empty(), "{}", u.code);
        assert!(u.code.len() <= 32);
        if u.level == Level::Street {
            assert!(
                u.name.ends_with("街道") || u.name.ends_with('镇'),
                "{}",
                u.name
            );
        }
        if u.level == Level::Community {
            assert!(
                u.name.ends_with("社区") || u.name.ends_with('村'),
                "{}",
                u.name
            );
        }
        if u.level > Level::District {
            // Codes extend the parent's code by 3 digits.
            let parent = u.parent.as_deref().unwrap();
            assert_eq!(u.code.len(), parent.len() + 3);
            assert!(u.code.starts_with(parent));
        }
    }
    // Parents first.
    let mut seen = HashSet::new();
    for u in &city.units {
        if let Some(p) = &u.parent {
            assert!(seen.contains(p.as_str()), "{} before its parent", u.code);
        }
        seen.insert(u.code.as_str());
    }
    assert_eq!(t.get("2306").unwrap().name, "大庆市");
    assert_eq!(t.children("2306").count(), 9);
    assert_eq!(
        t.get("230624").unwrap().name_en,
        "Dorbod Mongol Autonomous County"
    );
    // Sibling names are unique within a district.
    for d in t.children("2306") {
        let mut names = HashSet::new();
        for s in t.children(&d.code) {
            assert!(names.insert(s.name.clone()), "{}", s.name);
            for c in t.children(&s.code) {
                assert!(names.insert(c.name.clone()), "{}", c.name);
            }
        }
    }
    assert_eq!(city.departments.len(), 12 * 10);
    let hs = city
        .departments
        .iter()
        .find(|d| d.code == "230602-HS")
        .unwrap();
    assert_eq!(hs.name, "萨尔图区住房和城乡建设局");
    assert_eq!(hs.unit, "230602");
    let city_hs = city
        .departments
        .iter()
        .find(|d| d.code == "2306-HS")
        .unwrap();
    assert_eq!(city_hs.name, "大庆市住房和城乡建设局");
}

#[test]
fn every_unit_passes_import_checks() {
    let (city, _) = city();
    let merged = check(&Territory::default(), city.units.clone()).unwrap();
    assert_eq!(merged.len(), city.units.len());
    for u in city.units.iter().filter(|u| u.level > Level::City) {
        let shape = u.boundary.as_ref().unwrap();
        assert!(
            shape.is_valid(),
            "{}: {:?}",
            u.code,
            shape.validation_errors()
        );
        assert!(
            shape.contains(&u.label.unwrap()),
            "{} label outside",
            u.code
        );
    }
}

#[test]
fn each_level_tiles_its_parent() {
    let (city, t) = city();
    for parent in city.units.iter().filter(|u| u.boundary.is_some()) {
        let children: Vec<&Unit> = t.children(&parent.code).collect();
        if children.is_empty() {
            continue;
        }
        let area = parent.boundary.as_ref().unwrap().unsigned_area();
        let sum: f64 = children
            .iter()
            .map(|c| c.boundary.as_ref().unwrap().unsigned_area())
            .sum();
        assert!(
            ((sum - area) / area).abs() < 1e-6,
            "{}: children {sum} vs {area}",
            parent.code
        );
        for (i, a) in children.iter().enumerate() {
            let sa = a.boundary.as_ref().unwrap();
            let ra = sa.bounding_rect().unwrap();
            for b in &children[i + 1..] {
                let sb = b.boundary.as_ref().unwrap();
                if !ra.intersects(&sb.bounding_rect().unwrap()) {
                    continue;
                }
                let overlap = sa.intersection(sb).unsigned_area();
                let size = sa.unsigned_area().min(sb.unsigned_area());
                assert!(
                    overlap / size < 1e-9,
                    "{} and {} overlap by {overlap}",
                    a.code,
                    b.code
                );
            }
        }
    }
    // The districts (real data) do not overlap either.
    let districts: Vec<&Unit> = t.children("2306").collect();
    for (i, a) in districts.iter().enumerate() {
        for b in &districts[i + 1..] {
            let overlap = a
                .boundary
                .as_ref()
                .unwrap()
                .intersection(b.boundary.as_ref().unwrap());
            assert!(overlap.unsigned_area() < 1e-12, "{} {}", a.code, b.code);
        }
    }
}

#[test]
fn random_points_fall_in_exactly_one_child() {
    let (city, t) = city();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    // Every district and street, and a sample of communities.
    let parents = city
        .units
        .iter()
        .filter(|u| u.boundary.is_some() && u.level < Level::Grid)
        .filter(|u| u.level < Level::Community || u.code.ends_with('1'));
    let mut checked = 0;
    for parent in parents {
        let shape = parent.boundary.as_ref().unwrap();
        let bbox = shape.bounding_rect().unwrap();
        let children: Vec<&Unit> = t.children(&parent.code).collect();
        let mut hits = 0;
        while hits < 10 {
            let p = Point::new(
                rng.random_range(bbox.min().x..bbox.max().x),
                rng.random_range(bbox.min().y..bbox.max().y),
            );
            if !shape.contains(&p) {
                continue;
            }
            hits += 1;
            let n = children
                .iter()
                .filter(|c| c.boundary.as_ref().unwrap().contains(&p))
                .count();
            assert_eq!(n, 1, "{p:?} in {} children of {}", n, parent.code);
        }
        checked += 1;
    }
    assert!(checked > 100);
}

#[test]
fn staff_scopes_usernames_and_phones() {
    let (city, t) = city();
    let departments: HashSet<&str> = city.departments.iter().map(|d| d.code.as_str()).collect();
    let mut usernames = HashSet::new();
    let mut by_role: HashMap<Role, usize> = HashMap::new();
    for s in &city.staff {
        check_scope(s.role, &s.scope, t).unwrap_or_else(|e| panic!("{}: {e}", s.username));
        if let Scope::Department(code) = &s.scope {
            assert!(departments.contains(code.as_str()));
        }
        assert!(
            usernames.insert(s.username.as_str()),
            "duplicate {}",
            s.username
        );
        validate_username(&s.username).unwrap();
        validate_phone(s.phone.as_deref().unwrap()).unwrap();
        let chars = s.display_name.chars().count();
        assert!((2..=3).contains(&chars), "{}", s.display_name);
        *by_role.entry(s.role).or_default() += 1;
    }
    let phones: HashSet<&str> = city
        .staff
        .iter()
        .map(|s| s.phone.as_deref().unwrap())
        .collect();
    assert_eq!(phones.len(), city.staff.len());
    let count = |level| city.units.iter().filter(|u| u.level == level).count();
    assert_eq!(by_role[&Role::GridWorker], count(Level::Grid));
    assert_eq!(by_role[&Role::CommunityStaff], 2 * count(Level::Community));
    assert_eq!(by_role[&Role::StreetStaff], 3 * count(Level::Street));
    assert_eq!(
        by_role[&Role::Mediator],
        count(Level::Street) + 3 * count(Level::District)
    );
    assert_eq!(by_role[&Role::DistrictStaff], 3 * 9);
    assert_eq!(by_role[&Role::Counsellor], 9);
    assert_eq!(by_role[&Role::DepartmentStaff], 2 * city.departments.len());
    assert_eq!(by_role[&Role::CitySupervisor], 2);
    assert_eq!(by_role[&Role::HotlineOperator], 4);
    assert_eq!(by_role[&Role::Auditor], 2);
    assert_eq!(by_role[&Role::Admin], 2);
    assert_eq!(by_role[&Role::Resident], 1);
}

#[test]
fn demo_logins_one_per_role_and_nested() {
    let (city, t) = city();
    let roles: Vec<Role> = city.logins.iter().map(|l| l.role).collect();
    assert_eq!(roles, Role::ALL);
    let names: Vec<&str> = city.logins.iter().map(|l| l.username.as_str()).collect();
    assert_eq!(
        names,
        [
            "resident",
            "hotline",
            "grid",
            "community",
            "street",
            "district",
            "department",
            "supervisor",
            "mediator",
            "counsellor",
            "auditor",
            "admin"
        ]
    );
    let user = |name: &str| city.staff.iter().find(|s| s.username == name).unwrap();
    for login in &city.logins {
        assert_eq!(user(&login.username).role, login.role);
    }
    assert_eq!(user("resident").scope, Scope::None);
    let unit_of = |name: &str| user(name).scope.unit().unwrap().to_owned();
    let (grid, community, street) = (unit_of("grid"), unit_of("community"), unit_of("street"));
    assert_eq!(
        t.chain(&grid)[1..],
        [
            community.clone(),
            street.clone(),
            DEMO_DISTRICT.into(),
            CITY_CODE.into()
        ]
    );
    assert_eq!(unit_of("district"), DEMO_DISTRICT);
    assert_eq!(unit_of("mediator"), street);
    assert_eq!(unit_of("counsellor"), DEMO_DISTRICT);
    let dep = user("department").scope.department().unwrap().to_owned();
    let dep = city.departments.iter().find(|d| d.code == dep).unwrap();
    assert_eq!(dep.unit, DEMO_DISTRICT);
}

#[test]
fn progress_is_reported() {
    let mut calls = Vec::new();
    generate(
        &DemoConfig {
            seed: 1,
            scale: 0.05,
        },
        &mut |stage, done, total| {
            calls.push((stage.to_owned(), done, total));
        },
    )
    .unwrap();
    assert!(calls.contains(&("territory".into(), 9, 9)));
    assert_eq!(calls.last().unwrap(), &("staff".into(), 1, 1));
    assert!(
        generate(
            &DemoConfig {
                seed: 1,
                scale: 0.0
            },
            &mut |_, _, _| {}
        )
        .is_err()
    );
}

#[test]
fn name_pools_do_not_repeat() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for stems in [
        names::STREET_STEMS,
        names::TOWN_STEMS,
        names::COMMUNITY_STEMS,
        names::VILLAGE_STEMS,
    ] {
        let unique: HashSet<_> = stems.iter().collect();
        assert_eq!(unique.len(), stems.len());
        let mut pool = NamePool::new(stems, &mut rng);
        let taken: HashSet<String> = (0..stems.len() * 12).map(|_| pool.take()).collect();
        assert_eq!(taken.len(), stems.len() * 12);
    }
}

#[test]
fn distribute_is_exact_and_positive() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for (n, k) in [(1, 1), (5, 9), (10, 3), (230, 9), (17, 17)] {
        let parts = distribute(n, k, &mut rng);
        assert_eq!(parts.iter().sum::<u32>(), n.max(parts.len() as u32));
        assert!(parts.iter().all(|&p| p >= 1));
        assert_eq!(parts.len() as u32, k.min(n));
    }
}
