//! Open311 client keys, shared by the JSON admin endpoints and the admin
//! page. Keys are credentials, managed like accounts: by an admin of the
//! whole city; only a key's hash is kept.

use grassroots_core::authz::Action;
use grassroots_store::Open311Client;

use crate::api::extract::parse_id;
use crate::api::require_city_wide;
use crate::auth::{Caller, new_secret, secret_hash};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A newly issued key: `api_key` is shown this once and never again.
#[derive(Debug)]
pub struct Issued {
    pub id: i64,
    pub name: String,
    pub api_key: String,
}

pub async fn issue(state: &AppState, caller: &Caller, name: &str) -> ApiResult<Issued> {
    require_city_wide(state, caller, Action::ManageUsers)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "1 to 100 characters"));
    }
    let key = new_secret();
    let id = state
        .store
        .create_open311_client(&caller.ctx(state), name, &secret_hash(&key))
        .await?;
    Ok(Issued {
        id,
        name: name.to_owned(),
        api_key: key,
    })
}

pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<Open311Client>> {
    require_city_wide(state, caller, Action::ManageUsers)?;
    Ok(state.store.open311_clients().await?)
}

/// Revoke client `raw_id`; revoking twice is the store's conflict. Returns its id.
pub async fn revoke(state: &AppState, caller: &Caller, raw_id: &str) -> ApiResult<i64> {
    require_city_wide(state, caller, Action::ManageUsers)?;
    let id = parse_id(raw_id)?;
    state
        .store
        .revoke_open311_client(&caller.ctx(state), id)
        .await?;
    Ok(id)
}
