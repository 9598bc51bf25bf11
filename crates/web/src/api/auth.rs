use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::{Json, Router, routing::get, routing::post};
use grassroots_core::ErrorCode;
use grassroots_core::authz::{self, Action};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::{Body, parse_id};
use super::openapi::schema::{Me, Session, TokenCreated};
use super::users::user_view;
use crate::auth::{self, Caller, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route(
            "/api/v1/auth/sms-code",
            post(super::sms_login::request_code),
        )
        .route(
            "/api/v1/auth/sms-login",
            post(super::sms_login::login_with_code),
        )
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/auth/tokens", post(create_token))
        .route("/api/v1/auth/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Debug, Deserialize, ToSchema)]
struct LoginRequest {
    #[schema(min_length = 1, example = "admin")]
    username: String,
    #[schema(min_length = 1)]
    password: String,
}

/// The TCP peer (set by `serve`); headers such as X-Forwarded-For are
/// client-controlled and would let an attacker dodge the throttle.
pub(crate) fn client_addr(extensions: &axum::http::Extensions) -> Option<String> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// Sign in with username and password
///
/// Opens a session: the `gr_session` cookie is set and the user returned.
/// Failed attempts are throttled per username and client address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses((
        status = 200,
        body = Session,
        headers(("set-cookie" = String, description = "The session cookie `gr_session`"))
    )),
    extensions(("x-error-codes" = json!(["invalid_input", "login_failed", "account_disabled", "rate_limited"])))
)]
async fn login(
    State(state): State<AppState>,
    caller: Caller,
    extensions: axum::http::Extensions,
    Body(req): Body<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let username = req.username.trim().to_owned();
    if username.is_empty() {
        return Err(ApiError::invalid("username", "required"));
    }
    if req.password.is_empty() {
        return Err(ApiError::invalid("password", "required"));
    }
    let found = check_password(&state, &extensions, &username, req.password).await?;
    start_session(&state, &caller, &found.user).await
}

/// A new session for `user`: the cookie, and the user in the body.
pub(crate) async fn start_session(
    state: &AppState,
    caller: &Caller,
    user: &grassroots_store::StoredUser,
) -> ApiResult<impl IntoResponse + use<>> {
    let (cookie, expires) = session_cookie(state, caller, user).await?;
    let body = json!({ "user": user_view(user, false), "expires_at_micros": expires });
    Ok(([(SET_COOKIE, cookie)], Json(body)))
}

/// Check the user's password (throttled per username and client address).
pub(crate) async fn check_password(
    state: &AppState,
    extensions: &axum::http::Extensions,
    username: &str,
    password: String,
) -> ApiResult<grassroots_store::SessionUser> {
    let mut keys = vec![format!("u:{username}")];
    if let Some(addr) = client_addr(extensions) {
        keys.push(format!("a:{addr}"));
    }
    if state.throttle.blocked(&keys) {
        return Err(ApiError::new(ErrorCode::RateLimited));
    }
    let found = state.store.user_for_login(username).await?;
    let hash = found.as_ref().and_then(|u| u.password_hash.clone());
    let ok = auth::verify_password(hash, password).await?
        && found.as_ref().is_some_and(|u| u.password_hash.is_some());
    let Some(found) = found.filter(|_| ok) else {
        state.throttle.fail(&keys);
        return Err(ApiError::new(ErrorCode::LoginFailed));
    };
    state.throttle.clear(&keys);
    Ok(found)
}

/// Open a session for `user` (audited); the cookie to set and its expiry.
pub(crate) async fn session_cookie(
    state: &AppState,
    caller: &Caller,
    user: &grassroots_store::StoredUser,
) -> ApiResult<(HeaderValue, i64)> {
    if user.disabled {
        return Err(ApiError::new(ErrorCode::AccountDisabled));
    }
    let secret = auth::new_secret();
    let ttl = state.config.session_ttl;
    let now = state.now_micros();
    let expires = now + i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX / 2);
    let ctx = grassroots_store::Ctx::for_actor(&user.actor(), now)
        .with_request_id(caller.request_id.clone());
    state
        .store
        .create_session(&ctx, user.id, &auth::secret_hash(&secret), expires)
        .await?;
    let mut cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        ttl.as_secs()
    );
    if state.config.secure_cookies {
        cookie.push_str("; Secure");
    }
    let cookie = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    Ok((cookie, expires))
}

/// Sign out: the session ends and its cookie is cleared
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses((
        status = 204,
        description = "Signed out (also when there was no session)",
        headers(("set-cookie" = String, description = "Clears `gr_session`"))
    )),
    extensions(("x-error-codes" = json!([])))
)]
async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    if let Some(secret) = &caller.session_secret {
        state
            .store
            .end_session(&caller.ctx(&state), &auth::secret_hash(secret))
            .await?;
    }
    let expired =
        HeaderValue::from_static("gr_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(SET_COOKIE, expired)], StatusCode::NO_CONTENT))
}

/// The signed-in user
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    responses((status = 200, body = Me)),
    extensions(("x-error-codes" = json!(["unauthenticated", "not_found"])))
)]
async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let actor = caller.require()?;
    let user = state.store.user(actor.user_id).await?;
    Ok(Json(json!({ "user": user_view(&user, false) })))
}

#[derive(Debug, Deserialize, ToSchema)]
struct TokenRequest {
    #[schema(min_length = 1, max_length = 100, example = "nightly-export")]
    name: String,
}

/// An API token for the caller's own account
///
/// For machine clients: send it as `Authorization: Bearer <token>`. The
/// secret is shown once; only its hash is kept.
#[utoipa::path(
    post,
    path = "/api/v1/auth/tokens",
    tag = "auth",
    request_body = TokenRequest,
    responses((status = 201, body = TokenCreated)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated"])))
)]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Body(req): Body<TokenRequest>,
) -> ApiResult<impl IntoResponse> {
    let actor = caller.require()?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name",
            "a name of 1 to 100 characters is required",
        ));
    }
    let secret = auth::new_secret();
    let id = state
        .store
        .create_api_token(
            &caller.ctx(&state),
            actor.user_id,
            name,
            &auth::secret_hash(&secret),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "name": name, "token": secret })),
    ))
}

/// Revoke an API token: your own, or (admins) one of an account you manage
#[utoipa::path(
    post,
    path = "/api/v1/auth/tokens/{id}/revoke",
    tag = "auth",
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked")),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found", "conflict"])))
)]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.require()?;
    let id = parse_id(&id)?;
    let owner = state.store.api_token_owner(id).await?;
    // Your own token, or an admin managing the owner's account.
    if owner != actor.user_id {
        let user = state.store.user(owner).await?;
        let place = super::users::placement(&state, &user).await?;
        authz::decide(Some(actor), Action::ManageUsers, &place.target())?;
    }
    state
        .store
        .revoke_api_token(&caller.ctx(&state), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
