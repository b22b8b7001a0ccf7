//! Reviewer accounts of the web console: Argon2id passwords, sign-in with a per-account
//! lock-out, and sessions whose tokens are stored as SHA-256 only.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::auth::{new_token, token_sha256};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::metadata::{MetadataStore, Reviewer, ReviewerSession};

/// Shortest password `reviewer add` accepts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password hashed, in bytes: Argon2 takes any length, the request body does not.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Wrong passwords in a row that lock an account for `Config::console_lockout`.
pub const MAX_FAILED_SIGN_INS: u32 = 5;
const MAX_EMAIL_BYTES: usize = 254;

/// An e-mail address as accounts are keyed: trimmed, lower case; `Error::Invalid` when it is
/// not one.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= MAX_EMAIL_BYTES
        && email.split('@').count() == 2
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if plausible {
        Ok(email)
    } else {
        Err(Error::Invalid(format!("{email:?} is not an e-mail address")))
    }
}

/// The Argon2id PHC string of `password` (a fresh random salt, the crate's default cost).
pub fn hash_password(password: &str) -> Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| Error::PasswordHash(e.to_string()))?;
    Ok(hash.to_string())
}

fn password_matches(password: &str, hash: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
        && Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// Checked against when the e-mail address has no account, so that the answer takes as long as
/// for a wrong password.
fn unknown_account_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

pub fn add(store: &dyn MetadataStore, email: &str, password: &str) -> Result<Reviewer> {
    let email = normalize_email(email)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid(format!(
            "the password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::Invalid(format!("the password is over {MAX_PASSWORD_BYTES} bytes")));
    }
    let now = crate::clock::rfc3339(crate::clock::now())?;
    store.add_reviewer(&email, &hash_password(password)?, &now)
}

pub fn remove(store: &dyn MetadataStore, email: &str) -> Result<()> {
    let email = normalize_email(email)?;
    if store.remove_reviewer(&email)? {
        Ok(())
    } else {
        Err(Error::NotFound(format!("reviewer {email}")))
    }
}

/// A new session: the token for the cookie (shown to nobody else) and what the store keeps.
pub struct OpenedSession {
    pub token: String,
    pub session: ReviewerSession,
}

/// `None` for an unknown address, a wrong password or a locked account alike: the caller
/// answers them the same way. `now` is Unix seconds.
pub fn sign_in(
    store: &dyn MetadataStore,
    config: &Config,
    email: &str,
    password: &str,
    now: i64,
) -> Result<Option<OpenedSession>> {
    let Some(account) = normalize_email(email)
        .ok()
        .map(|email| store.reviewer_credentials(&email))
        .transpose()?
        .flatten()
    else {
        password_matches(password, unknown_account_hash());
        return Ok(None);
    };
    let reviewer = &account.reviewer;
    let matches = password_matches(password, &account.password_hash);
    if reviewer.locked_until.is_some_and(|until| until > now) {
        return Ok(None);
    }
    if !matches {
        let lock_until = now.saturating_add(secs(config.console_lockout));
        store.record_failed_sign_in(reviewer.id, MAX_FAILED_SIGN_INS, lock_until)?;
        return Ok(None);
    }
    let token = new_token()?;
    let session = ReviewerSession {
        token_sha256: token_sha256(&token),
        reviewer_id: reviewer.id,
        reviewer_email: reviewer.email.clone(),
        csrf_token: new_token()?,
        created_at: now,
        last_seen_at: now,
    };
    store.open_reviewer_session(&session)?;
    Ok(Some(OpenedSession { token, session }))
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The live session of a cookie's token, its last use moved to `now`; an expired one (idle or
/// past its lifetime) is deleted and `None`.
pub fn session(
    store: &dyn MetadataStore,
    config: &Config,
    token: &str,
    now: i64,
) -> Result<Option<ReviewerSession>> {
    let hash = token_sha256(token);
    let Some(session) = store.reviewer_session(&hash)? else {
        return Ok(None);
    };
    let idle = now.saturating_sub(session.last_seen_at) > secs(config.console_idle_timeout);
    let old = now.saturating_sub(session.created_at) > secs(config.console_session_lifetime);
    if idle || old {
        store.delete_reviewer_session(&hash)?;
        return Ok(None);
    }
    store.touch_reviewer_session(&hash, now)?;
    Ok(Some(session))
}

pub fn sign_out(store: &dyn MetadataStore, token: &str) -> Result<()> {
    store.delete_reviewer_session(&token_sha256(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_is_argon2id_and_verifies_only_its_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(password_matches("correct horse battery", &hash));
        assert!(!password_matches("correct horse batterY", &hash));
        assert_ne!(hash, hash_password("correct horse battery").unwrap(), "a fresh salt each time");
    }

    #[test]
    fn e_mail_addresses_are_keyed_in_lower_case_and_checked() {
        assert_eq!(normalize_email("  Ana@Example.ORG ").unwrap(), "ana@example.org");
        for bad in ["", "ana", "@example.org", "ana@", "a b@example.org", "a@b@c"] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }
}
