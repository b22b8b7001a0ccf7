//! Scripts written without spaces between words (Thai, Lao, Khmer, Burmese, Chinese, Japanese):
//! a word tokenizer sees a whole phrase as one word there, so their text is also indexed by
//! substrings: trigrams (FTS5) and the bigrams built here, for one- and two-character words.

/// True for a letter or mark of a script written without spaces between words.
pub fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0E7F // Thai
        | 0x0E80..=0x0EFF // Lao
        | 0x1000..=0x109F | 0xA9E0..=0xA9FF | 0xAA60..=0xAA7F // Myanmar
        | 0x1780..=0x17FF | 0x19E0..=0x19FF // Khmer
        | 0x3005..=0x3007 | 0x3040..=0x30FF | 0x31F0..=0x31FF // kana, 々
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF // CJK ideographs
        | 0x20000..=0x3134F)
        && !is_unspaced_punctuation(c)
}

fn is_unspaced_punctuation(c: char) -> bool {
    matches!(c, '\u{0E2F}' | '\u{0E4F}' | '\u{0E5A}' | '\u{0E5B}' | '\u{104A}'..='\u{104F}'
        | '\u{17D4}'..='\u{17DA}' | '\u{30FB}')
}

pub fn has_unspaced(text: &str) -> bool {
    text.chars().any(is_unspaced)
}

/// Space-separated bigrams of every run of unspaced characters, plus the run's last character,
/// so that a two-character word is one token and a one-character word is a token prefix.
/// Empty when the text has no such characters.
pub fn bigrams(text: &str) -> String {
    let mut out = String::new();
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut String| {
        for pair in run.windows(2) {
            out.push_str(&pair.iter().collect::<String>());
            out.push(' ');
        }
        if let Some(last) = run.last() {
            out.push(*last);
            out.push(' ');
        }
        run.clear();
    };
    for c in text.chars() {
        if is_unspaced(c) {
            run.push(c);
        } else if !run.is_empty() {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_cover_every_pair_and_the_last_character() {
        assert_eq!(bigrams("电子政务 e-gov 办理"), "电子 子政 政务 务 办理 理");
        assert_eq!(bigrams("plain English"), "");
        assert_eq!(bigrams("ลาว"), "ลา าว ว");
    }

    #[test]
    fn scripts_are_recognised() {
        for word in ["ລັດຖະບານ", "รัฐบาล", "រដ្ឋាភិបាល", "အစိုးရ", "政府", "ひらがな"]
        {
            assert!(word.chars().all(is_unspaced), "{word}");
        }
        assert!(!has_unspaced("सरकार e-government"));
    }
}
