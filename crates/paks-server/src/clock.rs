use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::error::{Error, Result};

/// Now, UTC, to the second.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

pub fn rfc3339(t: OffsetDateTime) -> Result<String> {
    t.to_offset(UtcOffset::UTC).format(&Rfc3339).map_err(|e| Error::Time(e.to_string()))
}

pub fn parse_rfc3339(s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| Error::Time(e.to_string()))
}

/// RFC 9110 IMF-fixdate, as tus `Upload-Expires` wants it.
pub fn http_date(t: OffsetDateTime) -> Result<String> {
    let f = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(UtcOffset::UTC).format(&f).map_err(|e| Error::Time(e.to_string()))
}

pub fn from_unix(secs: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|e| Error::Time(e.to_string()))
}
