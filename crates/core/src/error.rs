//! Stable machine codes for every error a client can see.
//!
//! The code is the contract: clients and the UI translate it, tests match
//! on it. Add codes freely; never rename or reuse one.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A field failed validation; the error names the field.
    InvalidInput,
    /// The request body or query could not be parsed at all.
    MalformedRequest,
    /// No valid session or token.
    Unauthenticated,
    /// Wrong username or password (deliberately not saying which).
    LoginFailed,
    /// Too many attempts; retry later.
    RateLimited,
    /// The account exists but is disabled.
    AccountDisabled,
    /// Authenticated, but this actor may not do this to this object.
    Forbidden,
    NotFound,
    /// A point that lies in no unit of the territory.
    OutsideTerritory,
    /// The object changed or already exists; the request lost a race.
    Conflict,
    /// A territory import was rejected; nothing was imported.
    ImportRejected,
    /// Something failed inside the server; details are only in the log.
    Internal,
    /// The server is starting or its database is unreachable.
    Unavailable,
    /// The body (e.g. a photo) is larger than allowed.
    PayloadTooLarge,
    /// The body is not of an accepted type (e.g. a photo that is not JPEG, PNG or WebP).
    UnsupportedMediaType,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::InvalidInput,
        ErrorCode::MalformedRequest,
        ErrorCode::Unauthenticated,
        ErrorCode::LoginFailed,
        ErrorCode::RateLimited,
        ErrorCode::AccountDisabled,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::OutsideTerritory,
        ErrorCode::Conflict,
        ErrorCode::ImportRejected,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::LoginFailed => "login_failed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::OutsideTerritory => "outside_territory",
            ErrorCode::Conflict => "conflict",
            ErrorCode::ImportRejected => "import_rejected",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
