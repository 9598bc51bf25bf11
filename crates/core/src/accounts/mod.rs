//! Accounts: roles, the scope a staff member acts in, departments, and the
//! rules for which role may hold which scope.

mod department;
mod password;
mod role;

pub use department::{DEPARTMENT_KINDS, Department, DepartmentKind};
pub use password::{
    PasswordRuleError, check_password_rules, mask_phone, validate_phone, validate_username,
};
pub use role::{Role, Scope, ScopeError, check_scope};

/// The authenticated party behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
}

/// A staff member or login to create (demo generator, CLI, API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    /// Personal data: stored, masked in every view, reads audited.
    pub phone: Option<String>,
}
