//! Turns what the user typed into FTS5 queries. Every term becomes a quoted FTS5 string, so
//! operators, column filters, `*`, `^`, parentheses and quotes are searched as text, never parsed.

use super::script::{has_unspaced, is_unspaced};

/// Unspaced terms shorter than this cannot use the trigram index; they use the bigrams.
const TRIGRAM_MIN_CHARS: usize = 3;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Terms in spaced scripts, matched as words.
    pub words: Vec<String>,
    /// Unspaced terms of three characters or more, matched as substrings (trigrams).
    pub long_unspaced: Vec<String>,
    /// Unspaced terms of one or two characters, matched through the bigram column.
    pub short_unspaced: Vec<String>,
}

impl Parsed {
    pub fn parse(input: &str) -> Self {
        let mut parsed = Parsed::default();
        for term in input.split_whitespace() {
            if has_unspaced(term) {
                // Punctuation around a word ("「政务」", "(ລາວ)") must not defeat a substring match.
                let core: String = trim_to_unspaced(term);
                if core.chars().count() >= TRIGRAM_MIN_CHARS {
                    parsed.long_unspaced.push(core);
                } else {
                    parsed.short_unspaced.push(core);
                }
            } else if term.chars().any(is_token_char) {
                parsed.words.push(term.to_owned());
            }
            // A term of only punctuation or symbols (`"`, `*`, `-`, emoji) cannot match a word.
        }
        parsed
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.long_unspaced.is_empty() && self.short_unspaced.is_empty()
    }

    /// The query for the word index (`search_words`), if any term goes there.
    pub fn words_query(&self) -> Option<String> {
        let mut parts: Vec<String> =
            self.words.iter().map(|w| format!("text : {}", quote(w))).collect();
        for term in &self.short_unspaced {
            if term.chars().count() == 1 {
                parts.push(format!("grams : {}*", quote(term)));
            } else {
                parts.push(format!("grams : {}", quote(term)));
            }
        }
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// The query for the trigram index (`search_trigram`), if any term goes there.
    pub fn trigram_query(&self) -> Option<String> {
        let parts: Vec<String> = self.long_unspaced.iter().map(|t| quote(t)).collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// The terms a snippet built here should mark (all unspaced ones).
    pub fn unspaced_terms(&self) -> Vec<&str> {
        self.long_unspaced.iter().chain(&self.short_unspaced).map(String::as_str).collect()
    }
}

/// An FTS5 string: double quotes around, inner double quotes doubled.
pub fn quote(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// What the word tokenizer keeps: letters, numbers, marks (unicode61 with `L* N* Co M*`).
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || is_mark(c)
}

fn is_mark(c: char) -> bool {
    // Combining marks of the scripts our users write (Devanagari, Tibetan, Latin diacritics).
    matches!(c as u32, 0x0300..=0x036F | 0x0900..=0x0DFF | 0x0F18..=0x0FBC | 0x1AB0..=0x1AFF)
        && !c.is_alphanumeric()
}

fn trim_to_unspaced(term: &str) -> String {
    let first = term.find(is_unspaced).unwrap_or(0);
    let last = term.char_indices().rfind(|(_, c)| is_unspaced(*c));
    let end = last.map_or(term.len(), |(i, c)| i + c.len_utf8());
    let core = &term[first..end];
    // Keep inner punctuation ("e-政务") but not what only wraps the word.
    if core.chars().any(|c| !is_unspaced(c)) {
        // Unspaced characters stay even when not alphanumeric (Thai and Lao vowel signs are
        // marks): trimming them could leave nothing to search for.
        term.trim_matches(|c: char| !c.is_alphanumeric() && !is_unspaced(c)).to_owned()
    } else {
        core.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_is_quoted() {
        let p = Parsed::parse(r#"NEAR( "x col: a*b"#);
        assert_eq!(p.words, ["NEAR(", "\"x", "col:", "a*b"]);
        assert_eq!(
            p.words_query().unwrap(),
            r#"text : "NEAR(" AND text : """x" AND text : "col:" AND text : "a*b""#
        );
    }

    #[test]
    fn terms_go_to_the_right_index() {
        let p = Parsed::parse("Vientiane ລາວ 政务 政 ราชการ * 😀");
        assert_eq!(p.words, ["Vientiane"]);
        assert_eq!(p.long_unspaced, ["ລາວ", "ราชการ"]);
        assert_eq!(p.short_unspaced, ["政务", "政"]);
        assert_eq!(
            p.words_query().unwrap(),
            r#"text : "Vientiane" AND grams : "政务" AND grams : "政"*"#
        );
        assert_eq!(p.trigram_query().unwrap(), r#""ລາວ" AND "ราชการ""#);
        assert!(Parsed::parse("\" * - ^ ( ) 😀").is_empty());
    }

    #[test]
    fn a_term_of_marks_in_brackets_is_searched_not_trimmed_to_nothing() {
        // U+0E48 is a Thai tone mark: a mark, not alphanumeric (found by the search_query
        // fuzz target, which got an empty term from such input).
        let p = Parsed::parse("(\u{0E48}-\u{0E48}) «ລາວ»");
        assert_eq!(p.long_unspaced, ["\u{0E48}-\u{0E48}", "ລາວ"]);
    }
}
