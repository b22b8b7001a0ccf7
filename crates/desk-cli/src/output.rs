use desk_core::SnippetSegment;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Milliseconds since the epoch as an RFC 3339 UTC time.
pub fn time(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| millis.to_string())
}

/// A snippet on one line, its hits in [brackets].
pub fn snippet(segments: &[SnippetSegment]) -> String {
    let marked: String = segments
        .iter()
        .map(|s| if s.hit { format!("[{}]", s.text) } else { s.text.clone() })
        .collect();
    marked.replace('\n', " ")
}
