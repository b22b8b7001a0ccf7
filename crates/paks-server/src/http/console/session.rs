//! The console's cookies: a reviewer's session, and the sign-in form's CSRF token before there
//! is a session. Both are `HttpOnly; Secure; SameSite=Strict` and scoped to `/console`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::http::{ProblemResponse, SharedState, blocking, paths};
use crate::metadata::ReviewerSession;
use crate::reviewers;

pub const SESSION_COOKIE: &str = "paks_console_session";
pub const SIGN_IN_COOKIE: &str = "paks_console_sign_in";
/// Tokens are `paks_` and 43 base64url characters; anything longer is not one of ours.
const MAX_TOKEN_LEN: usize = 128;

/// The value of cookie `name`, if it has the shape of one of our tokens.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_TOKEN_LEN
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: u64) -> HeaderValue {
    let cookie = format!(
        "{name}={value}; HttpOnly; Secure; SameSite=Strict; Path={}; Max-Age={max_age}",
        paths::CONSOLE
    );
    HeaderValue::from_str(&cookie).unwrap_or(HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Compares a submitted secret with the expected one in time that does not depend on where
/// they differ.
pub fn same_secret(given: Option<&str>, expected: &str) -> bool {
    let Some(given) = given else {
        return false;
    };
    given.len() == expected.len()
        && given.bytes().zip(expected.bytes()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

/// A request from a signed-in reviewer; without a live session, the request is sent to the
/// sign-in page.
pub struct SignedIn {
    pub token: String,
    pub session: ReviewerSession,
}

impl FromRequestParts<SharedState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let to_sign_in = || Redirect::to(paths::CONSOLE_SIGN_IN).into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in());
        };
        let (st, presented) = (state.clone(), token.clone());
        let now = crate::clock::now().unix_timestamp();
        match blocking(move || reviewers::session(&*st.meta, &st.config, &presented, now)).await {
            Ok(Some(session)) => Ok(SignedIn { token, session }),
            Ok(None) => Err(to_sign_in()),
            Err(e) => Err(ProblemResponse::from(e).into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_token_shaped_cookies_are_read() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; paks_console_session=paks_Ab-9_x"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("paks_Ab-9_x"));
        h.insert(header::COOKIE, HeaderValue::from_static("paks_console_session=a\"b"));
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
        assert!(same_secret(Some("abc"), "abc"));
        assert!(!same_secret(Some("abd"), "abc") && !same_secret(Some("ab"), "abc"));
        assert!(!same_secret(None, "abc"));
    }
}
