//! Snippets as plain segments, so the UI marks hits with elements and never injects HTML.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::query::is_token_char;

const ELLIPSIS: &str = "…";
/// Characters of context before the first hit, and in all, of a snippet built here.
const BEFORE: usize = 60;
const LENGTH: usize = 240;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SnippetSegment {
    pub text: String,
    /// True when this segment is what matched the query.
    pub hit: bool,
}

/// A window of `text` around the first of the query's `words` (matched as the word index
/// matches them: whole tokens, with case and accents folded) or `unspaced` terms (substrings),
/// with each of them marked.
pub fn around_words(text: &str, words: &[String], unspaced: &[&str]) -> Vec<SnippetSegment> {
    let first_unspaced = unspaced.iter().filter_map(|t| find(text, t)).min();
    let wanted: HashSet<String> =
        words.iter().flat_map(|w| tokens(w).map(|(_, t)| fold(t))).collect();
    if wanted.is_empty() {
        return window(text, first_unspaced.unwrap_or(0), |piece| mark(piece, unspaced));
    }
    let first_word = tokens(text).find(|(_, t)| wanted.contains(&fold(t))).map(|(at, _)| at);
    let first = first_word.into_iter().chain(first_unspaced).min().unwrap_or(0);
    window(text, first, |piece| mark_words(piece, &wanted, unspaced))
}

/// `BEFORE` characters before byte `first` and `LENGTH` from there, marked by `marker`.
fn window(
    text: &str,
    first: usize,
    marker: impl Fn(&str) -> Vec<SnippetSegment>,
) -> Vec<SnippetSegment> {
    let chars_before = text[..first].chars().count();
    let skip = chars_before.saturating_sub(BEFORE);
    let start = text.char_indices().nth(skip).map_or(text.len(), |(i, _)| i);
    let rest = &text[start..];
    let end = rest.char_indices().nth(LENGTH).map_or(rest.len(), |(i, _)| i);
    let mut segments = Vec::new();
    if start > 0 {
        push(&mut segments, ELLIPSIS, false);
    }
    for segment in marker(&rest[..end]) {
        push(&mut segments, &segment.text, segment.hit);
    }
    if end < rest.len() {
        push(&mut segments, ELLIPSIS, false);
    }
    segments
}

/// The word index's tokens of `text` (runs of letters, digits and marks) with their byte offsets.
fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while rest.next_if(|(_, c)| !is_token_char(*c)).is_some() {}
        let (start, _) = *rest.peek()?;
        let mut end = start;
        while let Some((i, c)) = rest.next_if(|(_, c)| is_token_char(*c)) {
            end = i + c.len_utf8();
        }
        Some((start, &text[start..end]))
    })
}

/// Lower case without accents, as the word index compares tokens.
fn fold(token: &str) -> String {
    token.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

fn mark_words(text: &str, wanted: &HashSet<String>, unspaced: &[&str]) -> Vec<SnippetSegment> {
    let mut segments = Vec::new();
    let mut plain_from = 0;
    for (at, token) in tokens(text) {
        if wanted.contains(&fold(token)) {
            segments.extend(mark(&text[plain_from..at], unspaced));
            push(&mut segments, token, true);
            plain_from = at + token.len();
        }
    }
    segments.extend(mark(&text[plain_from..], unspaced));
    segments
}

fn find(text: &str, term: &str) -> Option<usize> {
    if term.is_empty() { None } else { text.find(term) }
}

/// Splits `text` into segments, marking every occurrence of any of `terms`.
fn mark(text: &str, terms: &[&str]) -> Vec<SnippetSegment> {
    let mut segments = Vec::new();
    let mut plain_from = 0;
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let matched =
            terms.iter().filter(|t| !t.is_empty() && rest.starts_with(**t)).map(|t| t.len()).max();
        match matched {
            Some(len) => {
                push(&mut segments, &text[plain_from..at], false);
                push(&mut segments, &rest[..len], true);
                at += len;
                plain_from = at;
            }
            None => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    push(&mut segments, &text[plain_from..], false);
    segments
}

fn push(segments: &mut Vec<SnippetSegment>, text: &str, hit: bool) {
    if text.is_empty() {
        return;
    }
    match segments.last_mut() {
        Some(last) if last.hit == hit => last.text.push_str(text),
        _ => segments.push(SnippetSegment { text: text.to_owned(), hit }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_marked_as_the_word_index_matches_them() {
        let text = format!(
            "{} The GOVERNMENT's e-Government portal, Gouvernement, governments: São Tomé 政务.",
            "filler ".repeat(40)
        );
        let words = ["government".to_owned(), "sao".to_owned()];
        let s = around_words(&text, &words, &["政务"]);
        let hits: Vec<&str> = s.iter().filter(|s| s.hit).map(|s| s.text.as_str()).collect();
        assert_eq!(hits, ["GOVERNMENT", "Government", "São", "政务"]);
        assert!(s[0].text.starts_with(ELLIPSIS), "the window starts near the first hit");
        let none = around_words("nothing here", &["absent".to_owned()], &[]);
        assert_eq!(none, [SnippetSegment { text: "nothing here".into(), hit: false }]);
    }

    #[test]
    fn a_window_is_cut_around_the_first_hit() {
        let text = format!("{}电子政务{}", "前".repeat(500), "后".repeat(500));
        let s = around_words(&text, &[], &["政务"]);
        assert!(s.iter().any(|s| s.hit && s.text == "政务"));
        assert!(s[0].text.starts_with(ELLIPSIS));
        assert!(s.iter().map(|s| s.text.chars().count()).sum::<usize>() <= LENGTH + 2);
    }
}
