//! When to try again: exponential backoff with jitter and a cap, and the server's Retry-After.

use std::time::{Duration, SystemTime};

/// Exponential backoff: `base * 2^(attempt-1)`, capped, with "equal jitter" (half fixed, half
/// random) so that many desks coming back online at once do not knock together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// For jobs: 2 s, 4 s, 8 s ... up to 15 minutes.
    pub const JOBS: Backoff =
        Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(15 * 60) };
    /// For the reachability probe while offline: 5 s ... up to 5 minutes.
    pub const NETWORK: Backoff =
        Backoff { base: Duration::from_secs(5), cap: Duration::from_secs(5 * 60) };
    /// For review status polls: 1 minute ... up to 6 hours.
    pub const REVIEW: Backoff =
        Backoff { base: Duration::from_secs(60), cap: Duration::from_secs(6 * 3600) };

    /// The delay before attempt number `attempt + 1` after `attempt` failures (1-based).
    /// `unit` in `[0, 1)` is the random draw, passed in so this stays pure and testable.
    pub fn delay_with(&self, attempt: u32, unit: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(32);
        let full = self.base.saturating_mul(1u32 << exp.min(31)).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, random_unit())
    }

    /// The wait before the next reachability probe after `failures` failed ones: 0.25–0.5 s
    /// (at most `base`) for the first `QUICK_PROBES`, so a link back after a short cut is used
    /// within a second (the probe and the tus HEAD take a round trip each); then this backoff.
    pub fn probe_delay_with(&self, failures: u32, unit: f64) -> Duration {
        if failures <= QUICK_PROBES {
            let quick = self.base.min(QUICK_PROBE);
            Backoff { base: quick, cap: quick }.delay_with(1, unit)
        } else {
            self.delay_with(failures - QUICK_PROBES, unit)
        }
    }

    pub fn probe_delay(&self, failures: u32) -> Duration {
        self.probe_delay_with(failures, random_unit())
    }
}

/// Quick reachability probes after PAKS is lost, before backing off (some 15 s of probing).
pub const QUICK_PROBES: u32 = 40;

/// The longest wait between quick probes.
pub const QUICK_PROBE: Duration = Duration::from_millis(500);

/// Milliseconds, for adding to a time in milliseconds since the epoch; saturating well below
/// `i64::MAX` so that a sum with such a time cannot overflow.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// A uniform draw in `[0, 1)`; 0.5 if the OS has no randomness to give.
pub fn random_unit() -> f64 {
    match getrandom::u64() {
        Ok(n) => (n >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

/// Longest wait we accept from a Retry-After header: a server asking for more is capped.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Parses a Retry-After value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_up_to_the_cap() {
        let b = Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(60) };
        assert_eq!(b.delay_with(1, 1.0), Duration::from_secs(2));
        assert_eq!(b.delay_with(2, 1.0), Duration::from_secs(4));
        assert_eq!(b.delay_with(3, 1.0), Duration::from_secs(8));
        assert_eq!(b.delay_with(10, 1.0), Duration::from_secs(60), "capped");
        assert_eq!(b.delay_with(1000, 1.0), Duration::from_secs(60), "no overflow");
    }

    #[test]
    fn jitter_stays_between_half_and_full() {
        let b = Backoff::JOBS;
        for attempt in 1..20 {
            let lo = b.delay_with(attempt, 0.0);
            let hi = b.delay_with(attempt, 0.999_999);
            assert!(
                hi >= lo && hi <= lo * 2 + Duration::from_millis(1),
                "{attempt}: {lo:?} {hi:?}"
            );
            let r = b.delay(attempt);
            assert!(r >= lo && r <= hi, "random draw within bounds");
        }
    }

    #[test]
    fn probes_come_every_quarter_to_half_second_after_a_loss_then_back_off() {
        let b = Backoff::NETWORK;
        for failures in 1..=QUICK_PROBES {
            let d = b.probe_delay_with(failures, 0.999_999);
            assert!(d <= Duration::from_millis(500), "probe {failures} waits {d:?}");
            assert!(b.probe_delay_with(failures, 0.0) >= Duration::from_millis(250));
        }
        assert_eq!(b.probe_delay_with(QUICK_PROBES + 1, 1.0), Duration::from_secs(5));
        assert_eq!(b.probe_delay_with(QUICK_PROBES + 3, 1.0), Duration::from_secs(20));
        assert_eq!(b.probe_delay_with(500, 1.0), Duration::from_secs(300), "capped");
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_and_is_capped() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
