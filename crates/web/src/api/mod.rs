//! The JSON API under `/api/v1`, one module per capability.

pub mod appeals;
mod audit;
mod auth;
pub mod extract;
mod health;
mod sms_login;
mod territory;
pub mod users;
mod warning;

use axum::Router;

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
}
