//! The one mapping from errors to HTTP: a status and a stable code, with a
//! message rendered in the request's language by `localize` (see lib.rs).
//! Internal causes are logged with the request id and never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use grassroots_core::ErrorCode;
use grassroots_core::authz::Denied;
use grassroots_store::StoreError;

use crate::i18n::{I18n, Lang};

#[derive(Clone, Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    /// The input field at fault, for `invalid_input`.
    pub field: Option<String>,
    /// A detail safe to show (never an internal cause).
    pub detail: Option<String>,
    /// Structured help for the client (e.g. the nearest unit).
    pub data: Option<serde_json::Value>,
    /// A catalogue key that renders `detail` in the request's language.
    pub detail_key: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode) -> ApiError {
        ApiError {
            code,
            field: None,
            detail: None,
            data: None,
            detail_key: None,
        }
    }

    pub fn with_detail(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            detail: Some(detail.into()),
            ..ApiError::new(code)
        }
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::InvalidInput,
            field: Some(field.to_owned()),
            detail: Some(detail.into()),
            data: None,
            detail_key: None,
        }
    }

    /// Render the detail from the catalogue entry `key` (English detail kept as a fallback).
    pub fn translated(mut self, key: String) -> ApiError {
        self.detail_key = Some(key);
        self
    }

    /// Log the cause, answer with a bare `internal`.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(cause = %cause, "internal error");
        ApiError::new(ErrorCode::Internal)
    }

    pub fn status(&self) -> StatusCode {
        match self.code {
            ErrorCode::InvalidInput | ErrorCode::MalformedRequest | ErrorCode::ImportRejected => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::Unauthenticated | ErrorCode::LoginFailed => StatusCode::UNAUTHORIZED,
            ErrorCode::AccountDisabled | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound | ErrorCode::OutsideTerritory => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    pub fn body(&self, i18n: &I18n, lang: Lang, request_id: Option<&str>) -> serde_json::Value {
        let field = self.field.as_deref().unwrap_or("");
        let translated = self
            .detail_key
            .as_deref()
            .filter(|k| i18n.has(lang, k))
            .map(|k| i18n.message(lang, k, &[]));
        let detail = translated
            .as_deref()
            .or(self.detail.as_deref())
            .unwrap_or("");
        let message = i18n.message(
            lang,
            &format!("error-{}", self.code),
            &[("field", field), ("detail", detail)],
        );
        serde_json::json!({
            "error": {
                "code": self.code,
                "message": message.trim(),
                "field": self.field,
                "detail": translated.as_deref().or(self.detail.as_deref()),
                "data": self.data,
                "request_id": request_id,
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Rendered in the default language here; `localize` re-renders it
        // in the request's language with the request id.
        let body = self.body(crate::i18n::catalogue(), Lang::default(), None);
        let mut response = (self.status(), Json(body)).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::new(ErrorCode::NotFound),
            StoreError::Conflict(detail) => ApiError::with_detail(ErrorCode::Conflict, detail),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                ApiError::with_detail(ErrorCode::Unavailable, detail)
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Unauthenticated => ApiError::new(ErrorCode::Unauthenticated),
            Denied::Role | Denied::Jurisdiction => ApiError::new(ErrorCode::Forbidden),
        }
    }
}
