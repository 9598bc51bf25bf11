//! The demo city: Daqing's real districts subdivided deterministically.
//!
//! The nine districts and counties of Daqing (大庆市) come from
//! `data/daqing-districts.geojson` (see `data/ATTRIBUTION.md`), imported with
//! [`crate::territory::import::parse`]. Each is split into streets (towns in
//! the counties), each street into communities (villages), each community
//! into grids, by [`partition::split`]: every level tiles its parent exactly.
//! At scale 1.0 there are about 1,500 grids, two thirds of them in the five
//! urban districts. Everything, names and staff included, follows from the
//! seed: the same seed gives the same city.
//!
//! The city unit `2306` has no boundary (the districts carry them); its label
//! is that of 萨尔图区, the seat of the city government.

pub mod disputes;
pub mod history;
mod names;
mod partition;
pub mod questions;

use std::collections::HashSet;

use geo::{InteriorPoint, MultiPolygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::accounts::{DEPARTMENT_KINDS, Department, NewUser, Role, Scope};
use crate::territory::import::{FieldMap, parse};
use crate::territory::{Level, Unit};

use names::{DISTRICTS, DistrictInfo, NamePool};

/// Password of every demo login (printed by `grassroots demo`).
pub const DEMO_PASSWORD: &str = "grassroots-demo";

/// Code of the demo city.
pub const CITY_CODE: &str = "2306";

/// The district the demo logins work in (萨尔图区).
pub const DEMO_DISTRICT: &str = "230602";

const DISTRICTS_GEOJSON: &str = include_str!("../../data/daqing-districts.geojson");

#[derive(Clone, Debug)]
pub struct DemoConfig {
    pub seed: u64,
    /// 1.0 ≈ 1,500 grids; 10.0 ≈ 15,000.
    pub scale: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 2012,
            scale: 1.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
}

#[derive(Clone, Debug)]
pub struct DemoCity {
    /// Parents before children.
    pub units: Vec<Unit>,
    pub departments: Vec<Department>,
    /// Every generated staff member, demo logins included.
    pub staff: Vec<NewUser>,
    /// One per role; these get `DEMO_PASSWORD`, other staff get no password.
    pub logins: Vec<DemoLogin>,
}

#[derive(Debug, thiserror::Error)]
#[error("demo generation failed: {0}")]
pub struct DemoError(pub String);

/// Progress callback: (stage, done, total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, u64, u64);

/// Generates the demo city. Stages reported: `territory` (per district, of
/// 9) and `staff` (once, at the end).
///
/// Units come level by level (city, districts, streets, communities, grids).
/// Codes: district code + 3-digit street + 3-digit community + 3-digit grid,
/// e.g. `230602001002003`. Staff usernames: `gw-<grid>`, `cs-<community>-N`,
/// `ss-<street>-N`, `med-<street>`, `ds-<district>-N`, `cou-<district>`,
/// `med-<district>-N`, `dp-<department, lower case>-N`, `sup-N`, `hl-N`,
/// `aud-N`, `adm-N`; the
/// demo logins (`grid`, `community`, …) take the place of the first staff
/// member of their kind in 萨尔图区's first street, community and grid, and
/// `resident` is added.
pub fn generate(config: &DemoConfig, progress: Progress<'_>) -> Result<DemoCity, DemoError> {
    if !(config.scale.is_finite() && config.scale > 0.0 && config.scale <= 1000.0) {
        return Err(DemoError(format!(
            "scale must be in (0, 1000], got {}",
            config.scale
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let districts = load_districts()?;

    let mut streets = Vec::new();
    let mut communities = Vec::new();
    let mut grids = Vec::new();
    let total = districts.len() as u64;
    progress("territory", 0, total);
    for (i, (info, district)) in districts.iter().enumerate() {
        subdivide(
            info,
            district,
            config.scale,
            &mut rng,
            &mut streets,
            &mut communities,
            &mut grids,
        )?;
        progress("territory", i as u64 + 1, total);
    }

    let mut units =
        Vec::with_capacity(1 + districts.len() + streets.len() + communities.len() + grids.len());
    units.push(Unit {
        code: CITY_CODE.into(),
        name: "大庆市".into(),
        name_en: "Daqing".into(),
        level: Level::City,
        parent: None,
        boundary: None,
        label: districts.first().and_then(|(_, d)| d.label),
        households: None,
        retired: false,
    });
    units.extend(districts.iter().map(|(_, d)| d.clone()));
    units.append(&mut streets);
    units.append(&mut communities);
    units.append(&mut grids);

    let departments = departments(&units);
    progress("staff", 0, 1);
    let (staff, logins) = staff(&units, &departments, &mut rng)?;
    progress("staff", 1, 1);
    Ok(DemoCity {
        units,
        departments,
        staff,
        logins,
    })
}

/// The nine districts from the embedded GeoJSON, in code order, with their
/// English names.
fn load_districts() -> Result<Vec<(&'static DistrictInfo, Unit)>, DemoError> {
    let map = FieldMap {
        code: "@id".into(),
        name: "name".into(),
        label: "cp".into(),
        fixed: [("level", "district"), ("parent_code", CITY_CODE)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        ..FieldMap::default()
    };
    let units = parse(DISTRICTS_GEOJSON, &map)
        .map_err(|e| DemoError(format!("district boundaries: {e}")))?;
    let mut out = Vec::with_capacity(DISTRICTS.len());
    for info in &DISTRICTS {
        let mut unit = units
            .iter()
            .find(|u| u.code == info.code)
            .cloned()
            .ok_or_else(|| {
                DemoError(format!(
                    "district {} missing from the boundary file",
                    info.code
                ))
            })?;
        if unit.name != info.name {
            return Err(DemoError(format!(
                "district {} is called {} in the boundary file, expected {}",
                info.code, unit.name, info.name
            )));
        }
        unit.name_en = info.name_en.into();
        out.push((info, unit));
    }
    Ok(out)
}

/// Splits `n` into `k` positive parts of jittered, roughly equal size.
fn distribute<R: Rng>(n: u32, k: u32, rng: &mut R) -> Vec<u32> {
    let k = k.clamp(1, n.max(1));
    if n <= k {
        return vec![1; k as usize];
    }
    let weights: Vec<f64> = (0..k).map(|_| rng.random_range(0.7..1.3)).collect();
    let sum: f64 = weights.iter().sum();
    // One each, then the rest by largest remainder.
    let spare = f64::from(n - k);
    let ideal: Vec<f64> = weights.iter().map(|w| spare * w / sum).collect();
    let mut parts: Vec<u32> = ideal.iter().map(|x| 1 + x.floor() as u32).collect();
    let mut left = n - parts.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        (ideal[b] - ideal[b].floor())
            .total_cmp(&(ideal[a] - ideal[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

fn piece_unit(
    code: String,
    name: String,
    name_en: String,
    level: Level,
    parent: &str,
    shape: MultiPolygon<f64>,
    households: Option<u32>,
) -> Result<Unit, DemoError> {
    let label = shape
        .interior_point()
        .ok_or_else(|| DemoError(format!("unit {code} came out empty")))?;
    Ok(Unit {
        code,
        name,
        name_en,
        level,
        parent: Some(parent.to_owned()),
        boundary: Some(shape),
        label: Some(label),
        households,
        retired: false,
    })
}

fn weights_of(counts: &[u32]) -> Vec<f64> {
    counts.iter().map(|&c| f64::from(c)).collect()
}

fn region(unit: &Unit) -> Result<&MultiPolygon<f64>, DemoError> {
    unit.boundary
        .as_ref()
        .ok_or_else(|| DemoError(format!("unit {} has no boundary", unit.code)))
}

/// Streets, communities and grids of one district.
fn subdivide<R: Rng>(
    info: &DistrictInfo,
    district: &Unit,
    scale: f64,
    rng: &mut R,
    streets: &mut Vec<Unit>,
    communities: &mut Vec<Unit>,
    grids: &mut Vec<Unit>,
) -> Result<(), DemoError> {
    // More grids per community and communities per street as the city grows.
    let f = scale.cbrt();
    let grid_count = ((f64::from(info.grids) * scale).round() as u32).max(1);
    let (base_streets, grids_per_community) = if info.urban { (9.0, 5.0) } else { (10.0, 3.0) };
    let street_count = ((base_streets * f).round() as u32 + rng.random_range(0..=2))
        .saturating_sub(1)
        .max(1);
    let street_grids = distribute(grid_count, street_count, rng);

    let (street_word, community_word) = if info.urban {
        ("街道", "社区")
    } else {
        ("镇", "村")
    };
    let (street_en, community_en) = if info.urban {
        ("Street", "Community")
    } else {
        ("Town", "Village")
    };
    let mut street_names = NamePool::new(
        if info.urban {
            names::STREET_STEMS
        } else {
            names::TOWN_STEMS
        },
        rng,
    );
    let mut community_names = NamePool::new(
        if info.urban {
            names::COMMUNITY_STEMS
        } else {
            names::VILLAGE_STEMS
        },
        rng,
    );

    let street_shapes = partition::split(region(district)?, &weights_of(&street_grids), 0.15, rng);
    for (si, (shape, &n_grids)) in street_shapes.into_iter().zip(&street_grids).enumerate() {
        let street_code = format!("{}{:03}", district.code, si + 1);
        let street_en_name = format!("{street_en} {} of {}", si + 1, info.short_en);
        let street = piece_unit(
            street_code.clone(),
            format!("{}{street_word}", street_names.take()),
            street_en_name.clone(),
            Level::Street,
            &district.code,
            shape,
            None,
        )?;
        let n_comm =
            ((f64::from(n_grids) / (grids_per_community * f)).round() as u32).clamp(1, n_grids);
        let community_grids = distribute(n_grids, n_comm, rng);
        let community_shapes =
            partition::split(region(&street)?, &weights_of(&community_grids), 0.15, rng);
        for (ci, (shape, &g)) in community_shapes
            .into_iter()
            .zip(&community_grids)
            .enumerate()
        {
            let community_code = format!("{street_code}{:03}", ci + 1);
            let community = piece_unit(
                community_code.clone(),
                format!("{}{community_word}", community_names.take()),
                format!("{community_en} {} of {street_en_name}", ci + 1),
                Level::Community,
                &street_code,
                shape,
                None,
            )?;
            let grid_shapes =
                partition::split(region(&community)?, &vec![1.0; g as usize], 0.2, rng);
            for (gi, shape) in grid_shapes.into_iter().enumerate() {
                grids.push(piece_unit(
                    format!("{community_code}{:03}", gi + 1),
                    format!("第{}网格", gi + 1),
                    format!("Grid {}", gi + 1),
                    Level::Grid,
                    &community_code,
                    shape,
                    Some(rng.random_range(300..=500)),
                )?);
            }
            communities.push(community);
        }
        streets.push(street);
    }
    Ok(())
}

/// The 12 department kinds at the city and at every district.
fn departments(units: &[Unit]) -> Vec<Department> {
    let mut out = Vec::new();
    for unit in units.iter().filter(|u| u.level <= Level::District) {
        for kind in DEPARTMENT_KINDS {
            out.push(Department {
                code: format!("{}-{}", unit.code, kind.abbrev),
                name: format!("{}{}", unit.name, kind.name),
                name_en: format!("{} {}", unit.name_en, kind.name_en),
                kind: kind.key.into(),
                unit: unit.code.clone(),
            });
        }
    }
    out
}

struct StaffMaker<'r, R: Rng> {
    rng: &'r mut R,
    phones: HashSet<String>,
    staff: Vec<NewUser>,
    logins: Vec<DemoLogin>,
}

impl<R: Rng> StaffMaker<'_, R> {
    fn add(&mut self, username: String, role: Role, scope: Scope) {
        let display_name = names::person_name(self.rng);
        let phone = names::phone(self.rng, &mut self.phones);
        self.staff.push(NewUser {
            username,
            display_name,
            role,
            scope,
            phone: Some(phone),
        });
    }

    /// `count` staff; the first is the demo login `login` when given.
    fn group(
        &mut self,
        prefix: &str,
        count: usize,
        role: Role,
        scope: &Scope,
        login: Option<&str>,
    ) {
        for n in 1..=count {
            let username = match login {
                Some(l) if n == 1 => {
                    self.logins.push(DemoLogin {
                        username: l.to_owned(),
                        role,
                    });
                    l.to_owned()
                }
                _ if count == 1 => prefix.to_owned(),
                _ => format!("{prefix}-{n}"),
            };
            self.add(username, role, scope.clone());
        }
    }
}

fn staff<R: Rng>(
    units: &[Unit],
    departments: &[Department],
    rng: &mut R,
) -> Result<(Vec<NewUser>, Vec<DemoLogin>), DemoError> {
    // The demo chain: 萨尔图区's first street, its first community, its first grid.
    let first_child = |parent: &str| {
        units
            .iter()
            .find(|u| u.parent.as_deref() == Some(parent))
            .map(|u| u.code.clone())
            .ok_or_else(|| DemoError(format!("unit {parent} has no children")))
    };
    let demo_street = first_child(DEMO_DISTRICT)?;
    let demo_community = first_child(&demo_street)?;
    let demo_grid = first_child(&demo_community)?;
    let demo_department = format!("{DEMO_DISTRICT}-{}", DEPARTMENT_KINDS[0].abbrev);
    let is = |code: &str, demo: &str, login: &'static str| (code == demo).then_some(login);

    let mut m = StaffMaker {
        rng,
        phones: HashSet::new(),
        staff: Vec::new(),
        logins: Vec::new(),
    };
    // Role::ALL order for the logins list comes from sorting at the end.
    let resident = NewUser {
        username: "resident".into(),
        display_name: names::person_name(m.rng),
        role: Role::Resident,
        scope: Scope::None,
        phone: Some(names::phone(m.rng, &mut m.phones)),
    };
    m.staff.push(resident);
    m.logins.push(DemoLogin {
        username: "resident".into(),
        role: Role::Resident,
    });
    let city = Scope::Unit(CITY_CODE.into());
    m.group("sup", 2, Role::CitySupervisor, &city, Some("supervisor"));
    m.group("hl", 4, Role::HotlineOperator, &city, Some("hotline"));
    m.group("aud", 2, Role::Auditor, &city, Some("auditor"));
    m.group("adm", 2, Role::Admin, &city, Some("admin"));
    for dep in departments {
        let prefix = format!("dp-{}", dep.code.to_ascii_lowercase());
        let scope = Scope::Department(dep.code.clone());
        m.group(
            &prefix,
            2,
            Role::DepartmentStaff,
            &scope,
            is(&dep.code, &demo_department, "department"),
        );
    }
    for unit in units {
        let scope = Scope::Unit(unit.code.clone());
        let code = unit.code.as_str();
        match unit.level {
            Level::City => {}
            Level::District => {
                m.group(
                    &format!("ds-{code}"),
                    3,
                    Role::DistrictStaff,
                    &scope,
                    is(code, DEMO_DISTRICT, "district"),
                );
                m.group(
                    &format!("cou-{code}"),
                    1,
                    Role::Counsellor,
                    &scope,
                    is(code, DEMO_DISTRICT, "counsellor"),
                );
            }
            Level::Street => {
                m.group(
                    &format!("ss-{code}"),
                    3,
                    Role::StreetStaff,
                    &scope,
                    is(code, &demo_street, "street"),
                );
                m.group(
                    &format!("med-{code}"),
                    1,
                    Role::Mediator,
                    &scope,
                    is(code, &demo_street, "mediator"),
                );
            }
            Level::Community => {
                let login = is(code, &demo_community, "community");
                m.group(
                    &format!("cs-{code}"),
                    2,
                    Role::CommunityStaff,
                    &scope,
                    login,
                );
            }
            Level::Grid => {
                m.group(
                    &format!("gw-{code}"),
                    1,
                    Role::GridWorker,
                    &scope,
                    is(code, &demo_grid, "grid"),
                );
            }
        }
    }
    // District mediators, for the district's people's mediation committee
    // and its labour, medical and traffic committees (after everyone else,
    // so that the other staff's names and phones stay as they were).
    for unit in units.iter().filter(|u| u.level == Level::District) {
        let scope = Scope::Unit(unit.code.clone());
        m.group(
            &format!("med-{}", unit.code),
            3,
            Role::Mediator,
            &scope,
            None,
        );
    }
    let StaffMaker {
        staff, mut logins, ..
    } = m;
    logins.sort_by_key(|l| l.role);
    if logins.len() != Role::ALL.len() {
        return Err(DemoError(format!(
            "expected {} demo logins, made {}",
            Role::ALL.len(),
            logins.len()
        )));
    }
    Ok((staff, logins))
}

#[cfg(test)]
pub(crate) mod tests;
