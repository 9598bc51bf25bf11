//! Extractors whose rejections are JSON errors with stable codes (axum's own
//! reject with plain text).

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use grassroots_core::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body; a parse failure is `malformed_request` with serde's detail.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let code = if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::PayloadTooLarge
    } else {
        ErrorCode::MalformedRequest
    };
    ApiError::with_detail(code, r.body_text())
}

/// Query parameters as a map; empty values count as absent.
#[derive(Debug, Default)]
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(map) =
            axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|r| ApiError::with_detail(ErrorCode::MalformedRequest, r.body_text()))?;
        Ok(Params(
            map.into_iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .collect(),
        ))
    }
}

impl Params {
    pub fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim())
    }

    pub fn required_f64(&self, key: &str) -> Result<f64, ApiError> {
        let raw = self
            .text(key)
            .ok_or_else(|| ApiError::invalid(key, "required"))?;
        raw.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| ApiError::invalid(key, format!("not a number: {raw}")))
    }

    pub fn i64_or(
        &self,
        key: &str,
        default: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, ApiError> {
        match self.text(key) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|v| range.contains(v))
                .ok_or_else(|| {
                    ApiError::invalid(
                        key,
                        format!(
                            "must be an integer from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                }),
        }
    }
}

/// Turn a client error that axum's own extractors answered in plain text
/// (`Path` with a segment that is not UTF-8, `Bytes` or `String` over the
/// body limit or not UTF-8) into an `ApiError`, so that every error of the
/// API is the one JSON body with a stable code. Handlers' own errors pass
/// through untouched.
pub async fn json_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !status.is_client_error() || is_json || response.extensions().get::<ApiError>().is_some() {
        return response;
    }
    let code = match status {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        axum::http::StatusCode::NOT_FOUND => ErrorCode::NotFound,
        _ => ErrorCode::MalformedRequest,
    };
    // axum's rejection texts are short and safe to show.
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    if text.is_empty() {
        ApiError::new(code).into_response()
    } else {
        ApiError::with_detail(code, text).into_response()
    }
}

/// A numeric id from the path, with a JSON error for anything else.
pub fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))
}
