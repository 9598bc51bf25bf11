//! The JSON API under `/api/v1`, one module per capability.

pub mod appeals;
mod audit;
pub(crate) mod auth;
pub mod extract;
mod health;
pub(crate) mod mediation;
pub mod openapi;
pub(crate) mod questions;
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
        .merge(openapi::routes())
        .merge(territory::routes())
        .merge(auth::routes())
        .merge(users::routes())
        .merge(audit::routes())
        .merge(appeals::routes())
        .merge(warning::routes())
        .merge(mediation::routes())
        .merge(questions::routes())
        // axum's own rejections (a path that is not UTF-8, a raw body over
        // its limit or not UTF-8) as JSON errors with stable codes.
        .layer(axum::middleware::from_fn(extract::json_rejections))
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

/// Counts one submission of `client` against its hourly allowance; refused
/// with `rate_limited` once it is used up. `None` (staff, or a peer the server
/// cannot see) is not limited.
pub(crate) fn count_submission(state: &AppState, client: Option<String>) -> ApiResult<()> {
    let Some(key) = client.filter(|_| state.config.submissions_per_hour > 0) else {
        return Ok(());
    };
    let keys = [key];
    if state.submissions.blocked(&keys) {
        return Err(crate::error::ApiError::with_detail(
            grassroots_core::ErrorCode::RateLimited,
            "too many submissions from this client; try again within the hour",
        ));
    }
    state.submissions.fail(&keys);
    Ok(())
}

/// Who a submission is counted against: a resident's account, an anonymous
/// client's address; staff are not limited.
pub(crate) fn submitter(caller: &Caller, extensions: &axum::http::Extensions) -> Option<String> {
    use grassroots_core::accounts::Role;
    match &caller.actor {
        Some(a) if a.role == Role::Resident => Some(format!("user:{}", a.user_id)),
        Some(_) => None,
        None => auth::client_addr(extensions).map(|ip| format!("addr:{ip}")),
    }
}
