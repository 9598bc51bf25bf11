//! CSRF tokens: derived from the session secret when signed in, else from a
//! random `gr_csrf` cookie (SameSite=Strict). A form carries the token in a
//! hidden field; another site can neither read the cookie nor compute it.

use axum::http::request::Parts;

use crate::auth::{Caller, cookie_value, new_secret, secret_hash};

pub const ANON_COOKIE: &str = "gr_csrf";

/// This browser's token, and a `Set-Cookie` value when it had no anonymous
/// cookie yet.
pub fn token(parts: &Parts, caller: &Caller) -> (String, Option<String>) {
    if let Some(secret) = &caller.session_secret {
        return (secret_hash(&format!("csrf:session:{secret}")), None);
    }
    match cookie_value(parts, ANON_COOKIE).filter(|v| v.len() >= 32) {
        Some(seed) => (secret_hash(&format!("csrf:anon:{seed}")), None),
        None => {
            let seed = new_secret();
            let cookie = format!("{ANON_COOKIE}={seed}; Path=/; HttpOnly; SameSite=Strict");
            (secret_hash(&format!("csrf:anon:{seed}")), Some(cookie))
        }
    }
}

/// Constant-time comparison, so the token cannot be guessed byte by byte.
pub fn matches(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Percent-encode a path for a `?next=` parameter.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `next` target is followed only if it is a path on this site.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "abd"));
        assert!(!matches("abc", "ab"));
        assert!(!matches("abc", ""));
    }

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/inbox?x=1")), "/inbox?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(encode_component("/inbox?a=1&b=2"), "/inbox%3Fa%3D1%26b%3D2");
    }
}
