//! Chunk sizes from the measured throughput: a chunk should take seconds, not minutes, on a
//! 256 kbit/s link (so a cut loses little) and be large on a fast one (so requests are few).
//! A checksummed chunk cut part-way is lost whole, hence the short default target; each chunk
//! also costs an idle round trip, so an uploader without checksums may aim longer.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ChunkSizer {
    /// How long one chunk should take at the measured rate.
    pub target: Duration,
    pub min: u64,
    pub max: u64,
    /// The first chunk, before anything is measured.
    pub initial: u64,
    rate: Option<f64>,
}

impl Default for ChunkSizer {
    fn default() -> Self {
        Self {
            target: Duration::from_secs(2),
            min: 32 * 1024,
            max: 16 << 20,
            initial: 64 * 1024,
            rate: None,
        }
    }
}

impl ChunkSizer {
    /// Starts from a rate measured before (bytes per second), if any.
    pub fn with_rate(mut self, rate: Option<f64>) -> Self {
        self.rate = rate.filter(|r| r.is_finite() && *r > 0.0);
        self
    }

    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// The size of the next chunk, in bytes.
    pub fn next_size(&self) -> u64 {
        match self.rate {
            None => self.initial.clamp(self.min, self.max),
            Some(rate) => ((rate * self.target.as_secs_f64()) as u64).clamp(self.min, self.max),
        }
    }

    /// Records that `bytes` were confirmed in `elapsed` (a moving average, quick to follow a
    /// link that slows down).
    pub fn record(&mut self, bytes: u64, elapsed: Duration) {
        let secs = elapsed.as_secs_f64().max(0.001);
        let sample = bytes as f64 / secs;
        self.rate = Some(match self.rate {
            None => sample,
            Some(rate) => 0.5 * rate + 0.5 * sample,
        });
    }

    /// How long a request carrying `bytes` may take before it is given up: the expected time
    /// (at the measured rate, or 256 kbit/s when unmeasured) three times over, plus `slack`.
    pub fn timeout_for(&self, bytes: u64, slack: Duration) -> Duration {
        let rate = self.rate.unwrap_or(32_000.0).max(4_000.0);
        slack + Duration::from_secs_f64(3.0 * bytes as f64 / rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_the_measured_rate_within_bounds() {
        let mut c = ChunkSizer::default();
        assert_eq!(c.next_size(), 64 * 1024, "unmeasured: a small first chunk");
        // 1 Mbit/s = 125 kB/s: a 2 s chunk is 250 kB.
        c.record(125_000, Duration::from_secs(1));
        assert_eq!(c.next_size(), 250_000);
        // A fast LAN: capped at 16 MiB.
        let mut fast = ChunkSizer::default();
        fast.record(1 << 30, Duration::from_secs(1));
        assert_eq!(fast.next_size(), 16 << 20);
        // A crawl: never below the minimum.
        let mut slow = ChunkSizer::default();
        slow.record(100, Duration::from_secs(10));
        assert_eq!(slow.next_size(), 32 * 1024);
    }

    #[test]
    fn a_slowing_link_shrinks_the_chunks() {
        let mut c = ChunkSizer::default();
        c.record(1_000_000, Duration::from_secs(1));
        let before = c.next_size();
        c.record(10_000, Duration::from_secs(1));
        assert!(c.next_size() < before, "shrinks: {} < {before}", c.next_size());
        assert!(c.timeout_for(100_000, Duration::from_secs(30)) > Duration::from_secs(30));
    }
}
