//! API tokens (only their SHA-256 is stored) and the per-token rate limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};

const TOKEN_PREFIX: &str = "paks_";

/// A fresh API token: `paks_` and 32 random bytes, base64url.
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    Ok(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What the database keeps of a token. Tokens carry 256 random bits, so a fast hash is enough.
pub fn token_sha256(token: &str) -> String {
    paks_protocol::sha256_hex(token.as_bytes())
}

/// Token bucket per focal point.
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(burst: u32, per_second: f64) -> Self {
        Self { burst: f64::from(burst.max(1)), per_second, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request's token; `Err(wait)` when the bucket is empty.
    pub fn check(&self, focal_point_id: i64) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = buckets.entry(focal_point_id).or_insert((self.burst, now));
        let refilled =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            let wait =
                if self.per_second > 0.0 { (1.0 - refilled) / self.per_second } else { 3600.0 };
            Err(Duration::from_secs_f64(wait))
        }
    }
}
