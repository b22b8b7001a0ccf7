//! libFuzzer's kinds of byte mutation, driven by a seeded RNG so a run can be repeated.

/// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }
}

const INTERESTING_BYTES: [u8; 8] = [0, 1, 0x7f, 0x80, 0xff, b'<', b'"', b'\n'];
const INTERESTING_NUMBERS: [&str; 10] = [
    "0",
    "-1",
    "1",
    "255",
    "65536",
    "2147483648",
    "4294967295",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
];

/// A corpus entry changed by one to eight stacked mutations, at most `max_len` bytes long.
pub fn mutated(rng: &mut Rng, corpus: &[&[u8]], dictionary: &[Vec<u8>], max_len: usize) -> Vec<u8> {
    let mut data = corpus.get(rng.below(corpus.len())).map(|e| e.to_vec()).unwrap_or_default();
    for _ in 0..=rng.below(8) {
        mutate_once(rng, &mut data, corpus, dictionary);
    }
    data.truncate(max_len);
    data
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[&[u8]], dictionary: &[Vec<u8>]) {
    let len = data.len();
    match rng.below(11) {
        0 if len > 0 => {
            let at = rng.below(len);
            data[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            data[at] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
        }
        2 if len > 0 => {
            let at = rng.below(len);
            data[at] = rng.next_u64() as u8;
        }
        3 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            data.splice(at..at, bytes);
        }
        4 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(64));
            data.drain(at..at + n);
        }
        5 if len > 0 => {
            // A range copied elsewhere: repeats a tag, an object, a header.
            let from = rng.below(len);
            let n = 1 + rng.below((len - from).min(256));
            let piece = data[from..from + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, piece);
        }
        6 | 7 if !dictionary.is_empty() => {
            let token = &dictionary[rng.below(dictionary.len())];
            let at = rng.below(len + 1);
            if rng.below(2) == 0 {
                data.splice(at..at, token.iter().copied());
            } else {
                let end = (at + token.len()).min(len);
                data.splice(at..end, token.iter().copied());
            }
        }
        8 => {
            // A piece of another entry: crosses formats' structures with each other.
            let Some(other) = corpus.get(rng.below(corpus.len())).filter(|o| !o.is_empty()) else {
                return;
            };
            let from = rng.below(other.len());
            let n = 1 + rng.below((other.len() - from).min(512));
            let at = rng.below(len + 1);
            data.splice(at..at, other[from..from + n].iter().copied());
        }
        9 => replace_number(rng, data),
        10 if len > 0 => data.truncate(rng.below(len)),
        _ => {}
    }
}

/// Replaces a run of ASCII digits by a number at a boundary (lengths, offsets, counts).
fn replace_number(rng: &mut Rng, data: &mut Vec<u8>) {
    let digits: Vec<usize> = data
        .iter()
        .enumerate()
        .filter(|(i, b)| b.is_ascii_digit() && (*i == 0 || !data[i - 1].is_ascii_digit()))
        .map(|(i, _)| i)
        .collect();
    let Some(&start) = digits.get(rng.below(digits.len())) else { return };
    let end =
        data[start..].iter().position(|b| !b.is_ascii_digit()).map_or(data.len(), |n| start + n);
    let number = INTERESTING_NUMBERS[rng.below(INTERESTING_NUMBERS.len())];
    data.splice(start..end, number.bytes());
}
