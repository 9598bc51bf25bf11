use std::str::FromStr;

use geo::{MultiPolygon, Point};
use grassroots_core::territory::{Level, Unit};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Ctx, Result, Store, StoreError, Tx};

/// A unit as stored, with its bookkeeping times.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredUnit {
    pub unit: Unit,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

fn boundary_to_text(b: &MultiPolygon<f64>) -> Result<String> {
    let geometry = geojson::Geometry::new(geojson::GeometryValue::from(b));
    serde_json::to_string(&geometry).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn boundary_from_text(code: &str, text: &str) -> Result<MultiPolygon<f64>> {
    let corrupt = |e: String| StoreError::Corrupt(format!("boundary of unit {code}: {e}"));
    let geometry = geojson::Geometry::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    MultiPolygon::try_from(&geometry.value).map_err(|e| corrupt(e.to_string()))
}

fn unit_from_row(row: &AnyRow) -> Result<StoredUnit> {
    let code: String = row.try_get("code")?;
    let level: String = row.try_get("level")?;
    let level =
        Level::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("level {level}")))?;
    let boundary: Option<String> = row.try_get("boundary")?;
    let boundary = boundary
        .map(|b| boundary_from_text(&code, &b))
        .transpose()?;
    let lon: Option<i64> = row.try_get("label_lon_e7")?;
    let lat: Option<i64> = row.try_get("label_lat_e7")?;
    let households: Option<i64> = row.try_get("households")?;
    let retired_at: Option<i64> = row.try_get("retired_at")?;
    Ok(StoredUnit {
        unit: Unit {
            code,
            name: row.try_get("name")?,
            name_en: row.try_get("name_en")?,
            level,
            parent: row.try_get("parent_code")?,
            boundary,
            label: lon
                .zip(lat)
                .map(|(x, y)| Point::new(from_e7(x), from_e7(y))),
            households: households.and_then(|h| u32::try_from(h).ok()),
            retired: retired_at.is_some(),
        },
        created_at: row.try_get("created_at")?,
        retired_at,
    })
}

const UNIT_COLUMNS: &str = "code, name, name_en, level, parent_code, boundary, label_lon_e7, \
                            label_lat_e7, households, retired_at, created_at";

/// Degrees ↔ integer degrees × 10^7. Integers are exact and behave the same
/// on both backends (sqlx's `Any` mis-types NULL floats for PostgreSQL).
pub(crate) fn to_e7(deg: f64) -> i64 {
    (deg * 1e7).round() as i64
}

pub(crate) fn from_e7(e7: i64) -> f64 {
    e7 as f64 / 1e7
}

impl Store {
    /// Every unit, retired ones included, parents before children.
    pub async fn units(&self) -> Result<Vec<StoredUnit>> {
        let sql = format!("SELECT {UNIT_COLUMNS} FROM units ORDER BY code");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut units = rows.iter().map(unit_from_row).collect::<Result<Vec<_>>>()?;
        units.sort_by(|a, b| {
            a.unit
                .level
                .cmp(&b.unit.level)
                .then_with(|| a.unit.code.cmp(&b.unit.code))
        });
        Ok(units)
    }

    pub async fn unit(&self, code: &str) -> Result<StoredUnit> {
        let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE code = $1");
        let row = sqlx::query(&sql).bind(code).fetch_one(&self.pool).await?;
        unit_from_row(&row)
    }

    /// Changes whenever a unit is added or retired (count and latest times).
    pub async fn territory_fingerprint(&self) -> Result<(i64, i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), COALESCE(MAX(created_at), 0), COALESCE(MAX(retired_at), 0) FROM units",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn unit_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM units")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Insert already-validated units (parents first) in one transaction,
    /// one audit event each. A code that exists makes the whole call fail.
    pub async fn insert_units(&self, ctx: &Ctx, units: &[Unit]) -> Result<()> {
        let mut tx = self.write().await?;
        tx.insert_units(ctx, units, &mut |_| {}).await?;
        tx.commit().await
    }

    /// Retire a unit (never delete: history points at it).
    pub async fn retire_unit(&self, ctx: &Ctx, code: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let done =
            sqlx::query("UPDATE units SET retired_at = $1 WHERE code = $2 AND retired_at IS NULL")
                .bind(ctx.now_micros)
                .bind(code)
                .execute(&mut *tx.inner)
                .await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM units WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *tx.inner)
                .await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict(format!("unit {code} is already retired")),
                None => StoreError::NotFound,
            });
        }
        tx.audit(ctx, "unit.retire", "unit", code, &["retired_at"])
            .await?;
        tx.commit().await
    }
}

impl Tx {
    pub async fn insert_units(
        &mut self,
        ctx: &Ctx,
        units: &[Unit],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<()> {
        for (i, unit) in units.iter().enumerate() {
            let boundary = unit.boundary.as_ref().map(boundary_to_text).transpose()?;
            sqlx::query(
                "INSERT INTO units (code, name, name_en, level, parent_code, boundary, label_lon_e7, \
                 label_lat_e7, households, retired_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&unit.code)
            .bind(&unit.name)
            .bind(&unit.name_en)
            .bind(unit.level.as_str())
            .bind(&unit.parent)
            .bind(boundary)
            .bind(unit.label.map(|p| to_e7(p.x())))
            .bind(unit.label.map(|p| to_e7(p.y())))
            .bind(unit.households.map(i64::from))
            .bind(unit.retired.then_some(ctx.now_micros))
            .bind(ctx.now_micros)
            .execute(&mut *self.inner)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("unit {} already exists", unit.code)),
                other => other,
            })?;
            self.audit(
                ctx,
                "unit.create",
                "unit",
                &unit.code,
                &[
                    "code",
                    "name",
                    "name_en",
                    "level",
                    "parent_code",
                    "boundary",
                    "label",
                    "households",
                ],
            )
            .await?;
            progress(i as u64 + 1);
        }
        Ok(())
    }
}
