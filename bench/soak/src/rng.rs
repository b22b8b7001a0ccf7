//! A small seeded random source (SplitMix64): the run's seed is printed, so the same faults can
//! be drawn again. It chooses fault times and file contents; it is not for secrets.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A new, independent stream: each task draws from its own, so one task's draws do not
    /// shift another's.
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi); `lo` when the range is empty.
    pub fn below(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo { lo } else { lo + self.next_u64() % (hi - lo) }
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn seconds(&mut self, lo: f64, hi: f64) -> Duration {
        Duration::from_secs_f64(lo + (hi - lo) * self.unit())
    }

    /// The wait until the next event of a Poisson process with this mean (capped at 20 means).
    pub fn exponential(&mut self, mean_s: f64) -> Duration {
        let u = self.unit();
        Duration::from_secs_f64((-mean_s * (1.0 - u).ln()).min(20.0 * mean_s))
    }

    /// Log-uniform in [lo, hi]: as many small files as large ones per decade of size.
    pub fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo.max(1)) as f64, (hi.max(lo.max(1))) as f64);
        (l * (h / l).powf(self.unit())).round() as u64
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() { None } else { items.get(self.below(0, items.len() as u64) as usize) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_values_and_another_seed_does_not() {
        let draw = |seed| {
            let mut r = Rng::new(seed);
            (0..8).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            let n = r.below(10, 20);
            assert!((10..20).contains(&n), "{n}");
            let size = r.log_uniform(10_240, 4 << 20);
            assert!((10_240..=4 << 20).contains(&size), "{size}");
            let u = r.unit();
            assert!((0.0..1.0).contains(&u), "{u}");
        }
        assert_eq!(r.below(5, 5), 5);
    }
}
