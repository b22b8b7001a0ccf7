//! Snippets as plain segments, so the UI marks hits with elements and never injects HTML.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Noncharacters that FTS5 `snippet()` puts around hits; stripped from indexed text so a
/// document cannot forge them.
pub const HIT_START: char = '\u{FDD0}';
pub const HIT_END: char = '\u{FDD1}';
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

/// Text as it goes into the index: without the hit markers.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([HIT_START, HIT_END]) {
        text.replace([HIT_START, HIT_END], "\u{FFFD}").into()
    } else {
        text.into()
    }
}

/// Splits an FTS5 snippet with markers, then also marks `extra` terms in the plain parts.
pub fn from_marked(marked: &str, extra: &[&str]) -> Vec<SnippetSegment> {
    let mut segments = Vec::new();
    let mut hit = false;
    for piece in marked.split([HIT_START, HIT_END]) {
        if hit {
            push(&mut segments, piece, true);
        } else {
            segments.extend(mark(piece, extra));
        }
        hit = !hit;
    }
    shorten(segments)
}

/// A window of `text` around the first of `terms`, with every occurrence marked.
pub fn around(text: &str, terms: &[&str]) -> Vec<SnippetSegment> {
    let first = terms.iter().filter_map(|t| find(text, t)).min().unwrap_or(0);
    let chars_before = text[..first].chars().count();
    let skip = chars_before.saturating_sub(BEFORE);
    let start = text.char_indices().nth(skip).map_or(text.len(), |(i, _)| i);
    let window = &text[start..];
    let end = window.char_indices().nth(LENGTH).map_or(window.len(), |(i, _)| i);
    let mut segments = Vec::new();
    if start > 0 {
        push(&mut segments, ELLIPSIS, false);
    }
    segments.extend(mark(&window[..end], terms));
    if end < window.len() {
        push(&mut segments, ELLIPSIS, false);
    }
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

/// Word snippets count tokens, and a Thai or Chinese "token" can be a whole paragraph: cut
/// plain text far from the hits.
fn shorten(segments: Vec<SnippetSegment>) -> Vec<SnippetSegment> {
    let total: usize = segments.iter().map(|s| s.text.chars().count()).sum();
    if total <= LENGTH + BEFORE {
        return segments;
    }
    let last = segments.len().saturating_sub(1);
    let mut out = Vec::with_capacity(segments.len());
    for (i, segment) in segments.into_iter().enumerate() {
        if segment.hit {
            push(&mut out, &segment.text, true);
            continue;
        }
        let chars: Vec<char> = segment.text.chars().collect();
        if chars.len() <= BEFORE * 2 {
            push(&mut out, &segment.text, false);
        } else if i == 0 {
            let tail: String = chars[chars.len() - BEFORE..].iter().collect();
            push(&mut out, &format!("{ELLIPSIS}{tail}"), false);
        } else if i == last {
            let head: String = chars[..BEFORE].iter().collect();
            push(&mut out, &format!("{head}{ELLIPSIS}"), false);
        } else {
            let head: String = chars[..BEFORE / 2].iter().collect();
            let tail: String = chars[chars.len() - BEFORE / 2..].iter().collect();
            push(&mut out, &format!("{head} {ELLIPSIS} {tail}"), false);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_become_segments() {
        let s = from_marked("the \u{FDD0}portal\u{FDD1} of 政务 <b>", &["政务"]);
        let hits: Vec<(&str, bool)> = s.iter().map(|s| (s.text.as_str(), s.hit)).collect();
        assert_eq!(
            hits,
            [("the ", false), ("portal", true), (" of ", false), ("政务", true), (" <b>", false)]
        );
    }

    #[test]
    fn a_window_is_cut_around_the_first_hit() {
        let text = format!("{}电子政务{}", "前".repeat(500), "后".repeat(500));
        let s = around(&text, &["政务"]);
        assert!(s.iter().any(|s| s.hit && s.text == "政务"));
        assert!(s[0].text.starts_with(ELLIPSIS));
        assert!(s.iter().map(|s| s.text.chars().count()).sum::<usize>() <= LENGTH + 2);
    }
}
