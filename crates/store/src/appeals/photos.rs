//! Photos of an appeal: kept in the database (one backup, one transaction
//! with the step that adds them, no file path a request could steer).

use super::StoredAppeal;
use crate::{Ctx, Result, Store, StoreError, Tx};

/// Most photos one appeal keeps.
pub const MAX_PHOTOS_PER_APPEAL: i64 = 9;

/// A checked photo ready to save (type decided from its bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPhoto {
    /// `intake`, `on_site` or `reply`.
    pub purpose: &'static str,
    pub content_type: &'static str,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// A stored photo without its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoMeta {
    pub id: i64,
    pub appeal_id: i64,
    pub purpose: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

const META: &str = "id, appeal_id, purpose, content_type, size, sha256, created_at";

type MetaRow = (i64, i64, String, String, i64, String, i64);

fn meta((id, appeal_id, purpose, content_type, size, sha256, created_at): MetaRow) -> PhotoMeta {
    PhotoMeta {
        id,
        appeal_id,
        purpose,
        content_type,
        size,
        sha256,
        created_at,
    }
}

impl Tx {
    /// Save photos of an appeal with one audit event; refused past
    /// [`MAX_PHOTOS_PER_APPEAL`].
    pub async fn add_photos(
        &mut self,
        ctx: &Ctx,
        appeal_id: i64,
        photos: &[NewPhoto],
    ) -> Result<Vec<i64>> {
        if photos.is_empty() {
            return Ok(Vec::new());
        }
        let (have,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM appeal_photos WHERE appeal_id = $1")
                .bind(appeal_id)
                .fetch_one(&mut *self.inner)
                .await?;
        if have + photos.len() as i64 > MAX_PHOTOS_PER_APPEAL {
            return Err(StoreError::Conflict(format!(
                "an appeal keeps at most {MAX_PHOTOS_PER_APPEAL} photos"
            )));
        }
        let mut ids = Vec::with_capacity(photos.len());
        for p in photos {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO appeal_photos (appeal_id, purpose, content_type, size, sha256, bytes, \
                 uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(appeal_id)
            .bind(p.purpose)
            .bind(p.content_type)
            .bind(p.bytes.len() as i64)
            .bind(&p.sha256)
            .bind(p.bytes.clone())
            .bind(ctx.actor_id)
            .bind(ctx.now_micros)
            .fetch_one(&mut *self.inner)
            .await?;
            ids.push(id);
        }
        self.audit(
            ctx,
            "appeal.photo_add",
            "appeal",
            &appeal_id.to_string(),
            &["photos"],
        )
        .await?;
        Ok(ids)
    }
}

impl Store {
    /// Add photos to an existing appeal (its record is checked to exist).
    pub async fn add_appeal_photos(
        &self,
        ctx: &Ctx,
        appeal: &StoredAppeal,
        photos: &[NewPhoto],
    ) -> Result<Vec<i64>> {
        let mut tx = self.write().await?;
        let ids = tx.add_photos(ctx, appeal.id, photos).await?;
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn appeal_photos(&self, appeal_id: i64) -> Result<Vec<PhotoMeta>> {
        let sql = format!("SELECT {META} FROM appeal_photos WHERE appeal_id = $1 ORDER BY id");
        let rows: Vec<MetaRow> = sqlx::query_as(&sql)
            .bind(appeal_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(meta).collect())
    }

    /// One photo of one appeal, with its bytes.
    pub async fn appeal_photo(
        &self,
        appeal_id: i64,
        photo_id: i64,
    ) -> Result<(PhotoMeta, Vec<u8>)> {
        let sql =
            format!("SELECT {META}, bytes FROM appeal_photos WHERE appeal_id = $1 AND id = $2");
        let (id, a, purpose, ct, size, sha, at, bytes): (
            i64,
            i64,
            String,
            String,
            i64,
            String,
            i64,
            Vec<u8>,
        ) = sqlx::query_as(&sql)
            .bind(appeal_id)
            .bind(photo_id)
            .fetch_one(&self.pool)
            .await?;
        Ok((meta((id, a, purpose, ct, size, sha, at)), bytes))
    }
}
