use grassroots_core::ErrorCode;
use grassroots_core::territory::Territory;
use grassroots_core::territory::import::{self, FieldMap};
use grassroots_store::{Ctx, Store};

use crate::error::ApiError;

#[derive(Debug, serde::Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub codes: Vec<String>,
}

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
    .map_err(|e| ApiError::with_detail(ErrorCode::ImportRejected, e.to_string()))?;
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
