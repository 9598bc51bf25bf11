//! Residents sign in with their phone number and a one-time code sent by
//! SMS (through the outbox and the configured sender). The first sign-in
//! creates the resident's account; the phone is then verified.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use grassroots_core::ErrorCode;
use grassroots_core::accounts::validate_phone;
use grassroots_store::{CodePolicy, Ctx, IssueRefusal};
use rand::Rng as _;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::auth::{client_addr, start_session};
use super::extract::Body;
use super::openapi::schema::{CodeSent, Session};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::appeals::deliver_outbox;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// A mainland mobile number (`+86`, spaces and dashes allowed).
    #[schema(pattern = r"^(\+86)?1[3-9][0-9]{9}$", example = "13812345678")]
    phone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeLogin {
    #[schema(pattern = r"^(\+86)?1[3-9][0-9]{9}$", example = "13812345678")]
    phone: String,
    /// The 6 digits sent by SMS.
    #[schema(pattern = r"^[0-9]{6}$")]
    code: String,
}

fn phone(raw: &str) -> ApiResult<String> {
    let p: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let p = p.strip_prefix("+86").unwrap_or(&p).to_owned();
    validate_phone(&p).map_err(|e| ApiError::invalid("phone", e))?;
    Ok(p)
}

fn code_hash(phone: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("login:{phone}:{code}").as_bytes()))
}

/// Send a resident a sign-in code by SMS
///
/// The answer is the same whether or not the phone has an account. One code
/// a minute, a few an hour, per phone.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sms-code",
    tag = "auth",
    request_body = CodeRequest,
    responses((status = 202, body = CodeSent)),
    extensions(("x-error-codes" = json!(["invalid_input", "rate_limited"])))
)]
pub async fn request_code(
    State(state): State<AppState>,
    caller: Caller,
    Body(req): Body<CodeRequest>,
) -> ApiResult<impl IntoResponse> {
    let phone = phone(&req.phone)?;
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let mut ctx = caller.ctx(&state);
    if caller.actor.is_none() {
        ctx.actor = "anonymous".into();
        ctx.role = "resident".into();
    }
    let policy = CodePolicy::default();
    let issued = state
        .store
        .issue_login_code(
            &ctx,
            &phone,
            &code_hash(&phone, &code),
            &json!({ "code": code }),
            &policy,
        )
        .await?;
    match issued {
        Ok(()) => {}
        Err(IssueRefusal::TooSoon) => {
            return Err(ApiError::with_detail(
                ErrorCode::RateLimited,
                "a code was sent less than a minute ago",
            ));
        }
        Err(IssueRefusal::TooMany) => {
            return Err(ApiError::with_detail(
                ErrorCode::RateLimited,
                "too many codes for this phone in the last hour",
            ));
        }
    }
    // Deliver now rather than at the next run of the job.
    let sender = state.clone();
    tokio::spawn(async move {
        if let Err(e) = deliver_outbox(&sender, sender.now_micros()).await {
            tracing::warn!(error = ?e.code, "sending a sign-in code failed; the job will retry");
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "sent": true, "expires_in_seconds": policy.ttl / 1_000_000 })),
    ))
}

/// Sign a resident in with the code sent by SMS
///
/// The first sign-in creates the resident's account. Sets `gr_session`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sms-login",
    tag = "auth",
    request_body = CodeLogin,
    responses((
        status = 200,
        body = Session,
        headers(("set-cookie" = String, description = "The session cookie `gr_session`"))
    )),
    extensions(("x-error-codes" = json!(["invalid_input", "login_failed", "account_disabled", "rate_limited"])))
)]
pub async fn login_with_code(
    State(state): State<AppState>,
    caller: Caller,
    extensions: axum::http::Extensions,
    Body(req): Body<CodeLogin>,
) -> ApiResult<impl IntoResponse> {
    let phone = phone(&req.phone)?;
    let code = req.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid("code", "the code has 6 digits"));
    }
    let mut keys = vec![format!("p:{phone}")];
    if let Some(addr) = client_addr(&extensions) {
        keys.push(format!("a:{addr}"));
    }
    if state.throttle.blocked(&keys) {
        return Err(ApiError::new(ErrorCode::RateLimited));
    }
    let now = state.now_micros();
    let ok = state
        .store
        .use_login_code(
            &phone,
            &code_hash(&phone, code),
            now,
            &CodePolicy::default(),
        )
        .await?;
    if !ok {
        state.throttle.fail(&keys);
        return Err(ApiError::with_detail(
            ErrorCode::LoginFailed,
            "the code is wrong or has expired",
        ));
    }
    state.throttle.clear(&keys);
    let ctx = Ctx::system(now).with_request_id(caller.request_id.clone());
    let user = state.store.resident_for_phone(&ctx, &phone).await?;
    if user.role != grassroots_core::accounts::Role::Resident {
        // Staff sign in with their password; a code is for residents only.
        return Err(ApiError::new(ErrorCode::LoginFailed));
    }
    start_session(&state, &caller, &user).await
}
