use grassroots_core::ErrorCode;
use grassroots_core::accounts::Scope;
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::territory::Territory;
use grassroots_core::territory::import::{self, FieldMap};
use grassroots_store::{Ctx, Store};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, serde::Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub codes: Vec<String>,
}

/// The largest territory file taken over HTTP, by the API and the admin page
/// alike (a city's grid polygons run to megabytes; bigger: `grassroots import`).
pub const IMPORT_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Parse, validate against the stored territory, and insert, all or nothing.
/// `progress(done, total)` is called while inserting.
pub async fn import_geojson(
    store: &Store,
    ctx: &Ctx,
    text: String,
    map: FieldMap,
    dry_run: bool,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<ImportReport, ApiError> {
    let existing: Vec<_> = store.units().await?.into_iter().map(|u| u.unit).collect();
    // Parsing and polygon validation are CPU work: off the runtime.
    let units = tokio::task::spawn_blocking(move || -> Result<_, import::ImportError> {
        let existing = Territory::new(existing).map_err(|e| import::ImportError {
            feature: None,
            code: None,
            problem: "invalid_hierarchy",
            detail: e.to_string(),
        })?;
        let incoming = import::parse(&text, &map)?;
        import::check(&existing, incoming.clone())?;
        Ok(incoming)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(rejected)?;
    let report = ImportReport {
        imported: units.len(),
        codes: units.iter().map(|u| u.code.clone()).collect(),
    };
    if dry_run {
        return Ok(report);
    }
    let total = units.len() as u64;
    let mut tx = store.write().await?;
    tx.insert_units(ctx, &units, &mut |done| progress(done, total))
        .await?;
    tx.commit().await?;
    Ok(report)
}

/// A refused file: the English detail, and which feature and what is wrong
/// (`data`: `feature` 0-based index or null, `code`, `problem` key) so a page
/// can say it in its own language.
fn rejected(e: import::ImportError) -> ApiError {
    let mut err = ApiError::with_detail(ErrorCode::ImportRejected, e.to_string());
    err.data = Some(serde_json::json!({
        "feature": e.feature,
        "code": e.code,
        "problem": e.problem,
        "detail": e.detail,
    }));
    err
}

/// Importing reshapes the whole territory: it needs city-wide authority
/// (or, on an empty territory, any admin).
pub fn authorize_import(state: &AppState, caller: &Caller) -> ApiResult<()> {
    let actor = caller.require()?;
    let atlas = state.atlas();
    let root_chain: Vec<String> = atlas.territory().roots().map(|r| r.code.clone()).collect();
    let chain = match &actor.scope {
        Scope::Unit(u) if root_chain.is_empty() => vec![u.clone()],
        _ => root_chain,
    };
    authz::decide(
        Some(actor),
        Action::ImportTerritory,
        &Target {
            unit_chain: &chain,
            ..Target::default()
        },
    )?;
    Ok(())
}

/// `import_geojson` for a caller of the HTTP edges (the API and the admin
/// page): authorized, audited as the caller, and in force on this server
/// once stored.
pub async fn import(
    state: &AppState,
    caller: &Caller,
    text: String,
    map: FieldMap,
    dry_run: bool,
) -> ApiResult<ImportReport> {
    authorize_import(state, caller)?;
    let ctx = caller.ctx(state);
    let report = import_geojson(&state.store, &ctx, text, map, dry_run, &mut |_, _| {}).await?;
    if !dry_run {
        state.reload_atlas().await?;
    }
    Ok(report)
}

/// Retire unit `code` (never deleted): decided on the unit's chain, a
/// reason of 1 to 500 characters kept with the audit event; retiring twice
/// is the store's conflict.
pub async fn retire(state: &AppState, caller: &Caller, code: &str, reason: &str) -> ApiResult<()> {
    let actor = caller.require()?;
    let chain = state.atlas().territory().chain(code);
    if chain.is_empty() {
        return Err(ApiError::new(ErrorCode::NotFound));
    }
    authz::decide(
        Some(actor),
        Action::RetireUnit,
        &Target {
            unit_chain: &chain,
            ..Target::default()
        },
    )?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid(
            "reason",
            "a reason of 1 to 500 characters is required",
        ));
    }
    let ctx = caller.ctx(state).with_reason(Some(reason.to_owned()));
    state.store.retire_unit(&ctx, code).await?;
    state.reload_atlas().await?;
    Ok(())
}
