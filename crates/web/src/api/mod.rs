//! The JSON API under `/api/v1`, one module per capability.

pub mod appeals;
mod audit;
mod auth;
pub mod extract;
mod health;
mod mediation;
mod sms_login;
mod territory;
pub mod users;
mod warning;

use axum::Router;
use grassroots_core::authz::{self, Action, Target};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(health::routes())
        .merge(territory::routes())
        .merge(auth::routes())
        .merge(users::routes())
        .merge(audit::routes())
        .merge(appeals::routes())
        .merge(warning::routes())
        .merge(mediation::routes())
}

/// City-wide authority for `action`: decided against the roots of the territory, so only an
/// actor scoped to the whole city (an admin at the root) passes.
pub(crate) fn require_city_wide(
    state: &AppState,
    caller: &Caller,
    action: Action,
) -> ApiResult<()> {
    let atlas = state.atlas();
    let roots: Vec<String> = atlas.territory().roots().map(|r| r.code.clone()).collect();
    authz::decide(
        Some(caller.require()?),
        action,
        &Target {
            unit_chain: &roots,
            ..Target::default()
        },
    )?;
    Ok(())
}
