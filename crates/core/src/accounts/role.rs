use serde::{Deserialize, Serialize};

use crate::territory::{Level, Territory};

/// Every role of the platform. One account holds one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    HotlineOperator,
    GridWorker,
    CommunityStaff,
    StreetStaff,
    DistrictStaff,
    DepartmentStaff,
    CitySupervisor,
    Mediator,
    Counsellor,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Resident,
        Role::HotlineOperator,
        Role::GridWorker,
        Role::CommunityStaff,
        Role::StreetStaff,
        Role::DistrictStaff,
        Role::DepartmentStaff,
        Role::CitySupervisor,
        Role::Mediator,
        Role::Counsellor,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::HotlineOperator => "hotline_operator",
            Role::GridWorker => "grid_worker",
            Role::CommunityStaff => "community_staff",
            Role::StreetStaff => "street_staff",
            Role::DistrictStaff => "district_staff",
            Role::DepartmentStaff => "department_staff",
            Role::CitySupervisor => "city_supervisor",
            Role::Mediator => "mediator",
            Role::Counsellor => "counsellor",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Resident => "居民",
            Role::HotlineOperator => "12345接线员",
            Role::GridWorker => "网格员",
            Role::CommunityStaff => "社区工作人员",
            Role::StreetStaff => "街道工作人员",
            Role::DistrictStaff => "区县工作人员",
            Role::DepartmentStaff => "职能部门工作人员",
            Role::CitySupervisor => "市级督办",
            Role::Mediator => "人民调解员",
            Role::Counsellor => "心理咨询师",
            Role::Auditor => "审计员",
            Role::Admin => "系统管理员",
        }
    }

    /// The unit level a role is tied to, where it is tied to one.
    pub fn required_level(self) -> Option<Level> {
        match self {
            Role::GridWorker => Some(Level::Grid),
            Role::CommunityStaff => Some(Level::Community),
            Role::StreetStaff => Some(Level::Street),
            Role::DistrictStaff => Some(Level::District),
            Role::CitySupervisor => Some(Level::City),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a staff member acts: within a unit (and everything below it) or
/// within a department. Residents have no scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Scope {
    None,
    Unit(String),
    Department(String),
}

impl Scope {
    pub fn unit(&self) -> Option<&str> {
        match self {
            Scope::Unit(code) => Some(code),
            _ => None,
        }
    }

    pub fn department(&self) -> Option<&str> {
        match self {
            Scope::Department(code) => Some(code),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("a resident acts for themselves and takes no unit or department")]
    ResidentHasNoScope,
    #[error("role {0} needs a department")]
    NeedsDepartment(Role),
    #[error("role {0} needs a unit")]
    NeedsUnit(Role),
    #[error("unknown unit {0}")]
    UnknownUnit(String),
    #[error("unit {unit} is retired")]
    RetiredUnit { unit: String },
    #[error("role {role} acts at {expected} level, but unit {unit} is a {actual}")]
    WrongLevel {
        role: Role,
        unit: String,
        expected: Level,
        actual: Level,
    },
}

/// Whether `role` may hold `scope` in `territory`. Department existence is
/// checked by the caller (departments live in the store).
pub fn check_scope(role: Role, scope: &Scope, territory: &Territory) -> Result<(), ScopeError> {
    match (role, scope) {
        (Role::Resident, Scope::None) => Ok(()),
        (Role::Resident, _) => Err(ScopeError::ResidentHasNoScope),
        (Role::DepartmentStaff, Scope::Department(_)) => Ok(()),
        (Role::DepartmentStaff, _) => Err(ScopeError::NeedsDepartment(role)),
        (_, Scope::Unit(code)) => {
            let unit = territory
                .get(code)
                .ok_or_else(|| ScopeError::UnknownUnit(code.clone()))?;
            if unit.retired {
                return Err(ScopeError::RetiredUnit { unit: code.clone() });
            }
            match role.required_level() {
                Some(expected) if expected != unit.level => Err(ScopeError::WrongLevel {
                    role,
                    unit: code.clone(),
                    expected,
                    actual: unit.level,
                }),
                _ => Ok(()),
            }
        }
        (_, _) => Err(ScopeError::NeedsUnit(role)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::territory::Territory;

    fn territory() -> Territory {
        use crate::territory::Unit;
        let u = |code: &str, level, parent: Option<&str>| Unit {
            retired: code == "old",
            ..crate::territory::unit::test_unit(code, level, parent)
        };
        Territory::new(vec![
            u("c", Level::City, None),
            u("d", Level::District, Some("c")),
            u("g", Level::Grid, Some("d")),
            u("old", Level::Grid, Some("d")),
        ])
        .unwrap()
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn scope_rules() {
        let t = territory();
        let unit = |c: &str| Scope::Unit(c.into());
        assert!(check_scope(Role::Resident, &Scope::None, &t).is_ok());
        assert_eq!(
            check_scope(Role::Resident, &unit("d"), &t),
            Err(ScopeError::ResidentHasNoScope)
        );
        assert!(check_scope(Role::GridWorker, &unit("g"), &t).is_ok());
        assert!(matches!(
            check_scope(Role::GridWorker, &unit("d"), &t),
            Err(ScopeError::WrongLevel { .. })
        ));
        assert!(matches!(
            check_scope(Role::GridWorker, &unit("old"), &t),
            Err(ScopeError::RetiredUnit { .. })
        ));
        assert!(check_scope(Role::DistrictStaff, &unit("d"), &t).is_ok());
        assert!(check_scope(Role::Admin, &unit("c"), &t).is_ok());
        assert!(check_scope(Role::Mediator, &unit("g"), &t).is_ok());
        assert_eq!(
            check_scope(Role::Admin, &unit("zz"), &t),
            Err(ScopeError::UnknownUnit("zz".into()))
        );
        assert!(check_scope(Role::DepartmentStaff, &Scope::Department("x".into()), &t).is_ok());
        assert!(check_scope(Role::DepartmentStaff, &unit("d"), &t).is_err());
        assert!(check_scope(Role::Auditor, &Scope::Department("x".into()), &t).is_err());
    }
}
