//! Photos of an appeal: sent with a submission (base64 in the JSON) or
//! added later (the raw bytes as the body); served back with the type
//! decided from the bytes and headers that stop a browser from treating
//! them as anything but an image.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use grassroots_core::ErrorCode;
use grassroots_core::appeals::photo::{MAX_PHOTOS_AT_INTAKE, PhotoError, check_photo};
use grassroots_core::authz::works_appeals;
use grassroots_store::{NewPhoto, PhotoMeta, StoredAppeal};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{by_code, readable};
use crate::api::extract::{Params, parse_id};
use crate::api::openapi::schema::PhotoIds;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A photo inside a JSON submission (JPEG, PNG or WebP).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PhotoIn {
    /// Standard base64 of the image bytes.
    pub data: String,
}

fn photo_error(field: &str, e: PhotoError) -> ApiError {
    let code = match e {
        PhotoError::Empty => ErrorCode::InvalidInput,
        PhotoError::TooLarge { .. } => ErrorCode::PayloadTooLarge,
        PhotoError::UnsupportedType => ErrorCode::UnsupportedMediaType,
    };
    let mut err = ApiError::with_detail(code, e.to_string());
    err.field = Some(field.to_owned());
    err
}

/// Check raw bytes and make them ready to save.
pub fn new_photo(field: &str, purpose: &'static str, bytes: Vec<u8>) -> ApiResult<NewPhoto> {
    let content_type = check_photo(&bytes).map_err(|e| photo_error(field, e))?;
    Ok(NewPhoto {
        purpose,
        content_type,
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes,
    })
}

/// Decode and check the photos of a submission.
pub fn intake_photos(photos: &[PhotoIn], purpose: &'static str) -> ApiResult<Vec<NewPhoto>> {
    if photos.len() > MAX_PHOTOS_AT_INTAKE {
        return Err(ApiError::invalid(
            "photos",
            format!("at most {MAX_PHOTOS_AT_INTAKE} photos per submission"),
        ));
    }
    photos
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let field = format!("photos[{i}]");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(p.data.trim())
                .map_err(|_| ApiError::invalid(&field, "not valid base64"))?;
            new_photo(&field, purpose, bytes)
        })
        .collect()
}

pub fn photo_list(a: &StoredAppeal, photos: &[PhotoMeta], base: &str) -> Value {
    json!(
        photos
            .iter()
            .map(|p| json!({
                "id": p.id,
                "purpose": p.purpose,
                "content_type": p.content_type,
                "size": p.size,
                "url": format!("{base}/photos/{}", p.id),
                "appeal_id": a.id,
            }))
            .collect::<Vec<_>>()
    )
}

fn purpose(params: &Params) -> ApiResult<&'static str> {
    match params.text("purpose") {
        None | Some("intake") => Ok("intake"),
        Some("on_site") => Ok("on_site"),
        Some("reply") => Ok("reply"),
        Some(other) => Err(ApiError::invalid(
            "purpose",
            format!("unknown purpose {other}: intake, on_site or reply"),
        )),
    }
}

async fn save(
    state: &AppState,
    caller: &Caller,
    a: &StoredAppeal,
    photo: NewPhoto,
) -> ApiResult<Response> {
    if !a.state.is_open() && photo.purpose != "reply" {
        return Err(ApiError::with_detail(
            ErrorCode::Conflict,
            "the appeal is closed",
        ));
    }
    let mut ctx = caller.ctx(state);
    if caller.actor.is_none() {
        ctx.actor = "requester".into();
        ctx.role = "resident".into();
    }
    let ids = state.store.add_appeal_photos(&ctx, a, &[photo]).await?;
    Ok((StatusCode::CREATED, Json(json!({ "ids": ids }))).into_response())
}

/// Add a photo to an appeal (staff who may read it)
///
/// E.g. of the finished work with a reply. The body is the image; its type
/// is decided from its bytes (JPEG, PNG or WebP).
#[utoipa::path(
    post,
    path = "/api/v1/appeals/{id}/photos",
    tag = "appeals",
    params(
        ("id" = i64, Path, description = "The appeal's id"),
        ("purpose" = Option<String>, Query, pattern = "^(intake|on_site|reply)$", description = "`intake` (default), `on_site` or `reply`"),
    ),
    request_body(content(
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/webp"),
    )),
    responses((status = 201, body = PhotoIds)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "not_found", "conflict", "payload_too_large", "unsupported_media_type"])))
)]
pub async fn add_by_staff(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    params: Params,
    body: Bytes,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let (a, _) = readable(&state, &caller, id).await?;
    let purpose = purpose(&params)?;
    let photo = new_photo("body", purpose, body.to_vec())?;
    save(&state, &caller, &a, photo).await
}

/// Add a photo to an open appeal with its tracking code
///
/// The body is the image (JPEG, PNG or WebP).
#[utoipa::path(
    post,
    path = "/api/v1/track/{code}/photos",
    tag = "appeals",
    params(("code" = String, Path, description = "The tracking code")),
    request_body(content(
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/webp"),
    )),
    responses((status = 201, body = PhotoIds)),
    extensions(("x-error-codes" = json!(["invalid_input", "not_found", "conflict", "payload_too_large", "unsupported_media_type"])))
)]
pub async fn add_by_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let a = by_code(&state, &code).await?;
    let photo = new_photo("body", "intake", body.to_vec())?;
    save(&state, &caller, &a, photo).await
}

fn serve(meta: &PhotoMeta, bytes: Vec<u8>) -> ApiResult<Response> {
    let ct = HeaderValue::from_str(&meta.content_type).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A photo of an appeal (staff who may read it)
#[utoipa::path(
    get,
    path = "/api/v1/appeals/{id}/photos/{photo}",
    tag = "appeals",
    params(
        ("id" = i64, Path, description = "The appeal's id"),
        ("photo" = i64, Path, description = "The photo's id"),
    ),
    responses((status = 200, description = "The image, served with the type read from its bytes", content(
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/webp"),
    ))),
    extensions(("x-error-codes" = json!(["unauthenticated", "not_found"])))
)]
pub async fn get_by_staff(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, photo)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let (a, _) = readable(&state, &caller, id).await?;
    let (meta, bytes) = state.store.appeal_photo(a.id, parse_id(&photo)?).await?;
    serve(&meta, bytes)
}

/// A photo of an appeal, by its tracking code
#[utoipa::path(
    get,
    path = "/api/v1/track/{code}/photos/{photo}",
    tag = "appeals",
    params(
        ("code" = String, Path, description = "The tracking code"),
        ("photo" = i64, Path, description = "The photo's id"),
    ),
    responses((status = 200, description = "The image, served with the type read from its bytes", content(
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/webp"),
    ))),
    extensions(("x-error-codes" = json!(["not_found"])))
)]
pub async fn get_by_code(
    State(state): State<AppState>,
    Path((code, photo)): Path<(String, String)>,
) -> ApiResult<Response> {
    let a = by_code(&state, &code).await?;
    let (meta, bytes) = state.store.appeal_photo(a.id, parse_id(&photo)?).await?;
    serve(&meta, bytes)
}

/// Photos the caller may list on the appeal page.
pub async fn list_for(state: &AppState, caller: &Caller, a: &StoredAppeal) -> ApiResult<Value> {
    let photos = state.store.appeal_photos(a.id).await?;
    let staff = caller.actor.as_ref().is_some_and(|x| works_appeals(x.role));
    let base = if staff {
        format!("/api/v1/appeals/{}", a.id)
    } else {
        format!("/api/v1/track/{}", a.tracking_code)
    };
    Ok(photo_list(a, &photos, &base))
}
