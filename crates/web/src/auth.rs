//! Authentication: argon2id passwords (hashed off the async runtime),
//! server-side sessions in an HttpOnly cookie, bearer API tokens, and login
//! throttling. Authorization is `grassroots_core::authz`, not here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use base64::Engine as _;
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Actor;
use grassroots_store::Ctx;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::i18n::Lang;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "gr_session";
pub const LANG_COOKIE: &str = "gr_lang";

/// Hash a password with argon2id on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(ApiError::internal)?
}

pub fn hash_password_blocking(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Check a password; with no stored hash, a dummy hash is checked so that
/// unknown users take as long as known ones.
pub async fn verify_password(hash: Option<String>, password: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&hash).map_err(ApiError::internal)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(ApiError::internal)?
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        hash_password_blocking("not a real password at all").unwrap_or_default()
    });
    &DUMMY
}

/// A fresh random secret (256 bits, URL-safe), for session cookies and tokens.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Only hashes of secrets are stored: a database leak yields no live session.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Failed-login counter per key (username, client address) in a sliding window.
#[derive(Debug)]
pub struct LoginThrottle {
    limit: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginThrottle {
    pub fn new(limit: u32, window: Duration) -> LoginThrottle {
        LoginThrottle {
            limit,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn with_map<T>(&self, f: impl FnOnce(&mut HashMap<String, Vec<Instant>>) -> T) -> T {
        match self.failures.lock() {
            Ok(mut m) => f(&mut m),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    pub fn blocked(&self, keys: &[String]) -> bool {
        let now = Instant::now();
        self.with_map(|m| {
            keys.iter().any(|k| {
                m.get_mut(k).is_some_and(|v| {
                    v.retain(|t| now.duration_since(*t) < self.window);
                    v.len() >= self.limit as usize
                })
            })
        })
    }

    pub fn fail(&self, keys: &[String]) {
        let now = Instant::now();
        self.with_map(|m| {
            if m.len() > 100_000 {
                // Bound memory under a spray of usernames: forget old entries.
                m.retain(|_, v| {
                    v.last()
                        .is_some_and(|t| now.duration_since(*t) < self.window)
                });
            }
            for k in keys {
                m.entry(k.clone()).or_default().push(now);
            }
        });
    }

    pub fn clear(&self, keys: &[String]) {
        self.with_map(|m| {
            for k in keys {
                m.remove(k);
            }
        });
    }
}

pub(crate) fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Per-request facts every handler needs: who (if anyone), the language,
/// the request id. Extracting it authenticates the request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Option<Actor>,
    pub lang: Lang,
    pub request_id: Option<String>,
    /// The session secret, when authenticated by cookie (for logout).
    pub session_secret: Option<String>,
}

impl Caller {
    pub fn require(&self) -> Result<&Actor, ApiError> {
        self.actor
            .as_ref()
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))
    }

    /// The audit context for a change made by this caller.
    pub fn ctx(&self, state: &AppState) -> Ctx {
        let now = state.now_micros();
        let ctx = match &self.actor {
            Some(actor) => Ctx::for_actor(actor, now),
            None => Ctx {
                actor: "anonymous".into(),
                role: "anonymous".into(),
                ..Ctx::system(now)
            },
        };
        ctx.with_request_id(self.request_id.clone())
    }
}

pub(crate) fn request_lang(parts: &Parts) -> Lang {
    let from_query = parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Lang::parse(v))
    });
    from_query
        .or_else(|| cookie_value(parts, LANG_COOKIE).and_then(Lang::parse))
        .or_else(|| {
            parts
                .headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

pub(crate) fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let lang = request_lang(parts);
        let request_id = request_id(parts);
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let (actor, session_secret) = if let Some(token) = bearer {
            // A presented but invalid token is an error, not anonymity: a
            // machine client should learn at once that its key is dead.
            let actor = state
                .store
                .token_actor(&secret_hash(token))
                .await?
                .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))?;
            (Some(actor), None)
        } else if let Some(secret) = cookie_value(parts, SESSION_COOKIE) {
            let actor = state
                .store
                .session_actor(&secret_hash(secret), state.now_micros())
                .await?;
            let secret = actor.as_ref().map(|_| secret.to_owned());
            (actor, secret)
        } else {
            (None, None)
        };
        let caller = Caller {
            actor,
            lang,
            request_id,
            session_secret,
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn throttle_blocks_after_limit_and_clears_on_success() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        let keys = vec!["u:alice".to_string()];
        assert!(!t.blocked(&keys));
        for _ in 0..3 {
            t.fail(&keys);
        }
        assert!(t.blocked(&keys));
        assert!(!t.blocked(&["u:bob".to_string()]));
        t.clear(&keys);
        assert!(!t.blocked(&keys));
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password_blocking("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
        assert_ne!(new_secret(), new_secret());
        assert_eq!(secret_hash("x").len(), 64);
    }
}
