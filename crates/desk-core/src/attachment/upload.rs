//! The large-file warning: a size the user sets, and the time the upload will take at the last
//! measured speed (measured by whoever sends to PAKS).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::store::Store;

pub const DEFAULT_LARGE_FILE_BYTES: u64 = 100_000_000;
const LARGE_FILE_KEY: &str = "attachments.large_file_bytes";
const UPLOAD_SPEED_KEY: &str = "upload.last_bytes_per_sec";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LargeFileWarning {
    pub size: u64,
    pub threshold: u64,
    /// Seconds the upload will take at the last measured speed; none when never measured.
    pub upload_seconds: Option<u64>,
    /// In English, for the CLI; the UI words the numbers above.
    #[serde(skip)]
    #[ts(skip)]
    pub message: String,
}

/// How long sending `size` bytes takes at `bytes_per_sec`; `None` when the speed is unknown.
pub fn upload_estimate(size: u64, bytes_per_sec: u64) -> Option<Duration> {
    (bytes_per_sec > 0).then(|| Duration::from_secs(size.div_ceil(bytes_per_sec)))
}

/// The warning for a file of `size` bytes, if it is above `threshold`.
pub fn large_file_warning(
    size: u64,
    threshold: u64,
    speed: Option<u64>,
) -> Option<LargeFileWarning> {
    if size <= threshold {
        return None;
    }
    let estimate = speed.and_then(|speed| upload_estimate(size, speed));
    let mut message = format!(
        "This file is {}, more than the {} set for a warning.",
        format_bytes(size),
        format_bytes(threshold)
    );
    match (estimate, speed) {
        (Some(time), Some(speed)) => message.push_str(&format!(
            " At the last measured speed ({}/s) sending it to PAKS will take about {}.",
            format_bytes(speed),
            duration(time)
        )),
        _ => message.push_str(" The upload speed has not been measured yet, so the time it will take to send is not known."),
    }
    Some(LargeFileWarning {
        size,
        threshold,
        upload_seconds: estimate.map(|d| d.as_secs()),
        message,
    })
}

/// A size as people read it: "1.5 GB", "120 MB".
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} bytes");
    }
    let mut value = n as f64;
    let mut unit = "";
    for u in UNITS {
        value /= 1000.0;
        unit = u;
        if value < 1000.0 {
            break;
        }
    }
    if value < 10.0 { format!("{value:.1} {unit}") } else { format!("{value:.0} {unit}") }
}

fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..=59 => format!("{} second{}", secs.max(1), if secs == 1 { "" } else { "s" }),
        60..=5399 => {
            let min = secs.div_ceil(60);
            format!("{min} minute{}", if min == 1 { "" } else { "s" })
        }
        _ => {
            let hours = secs as f64 / 3600.0;
            format!("{hours:.1} hours")
        }
    }
}

impl Store {
    /// Files above this size (bytes) get a warning when attached.
    pub fn large_file_threshold(&self) -> Result<u64> {
        Ok(self
            .setting(LARGE_FILE_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_LARGE_FILE_BYTES))
    }

    pub fn set_large_file_threshold(&self, bytes: u64) -> Result<()> {
        if bytes == 0 {
            return Err(Error::InvalidValue {
                field: "Large file warning",
                problem: "not_positive",
                reason: "the size must be more than 0 bytes".into(),
            });
        }
        self.set_setting(LARGE_FILE_KEY, &bytes.to_string())
    }

    /// The last measured upload speed to PAKS, in bytes per second.
    pub fn last_upload_speed(&self) -> Result<Option<u64>> {
        Ok(self.setting(UPLOAD_SPEED_KEY)?.and_then(|v| v.parse().ok()).filter(|s| *s > 0))
    }

    pub fn record_upload_speed(&self, bytes_per_sec: u64) -> Result<()> {
        self.set_setting(UPLOAD_SPEED_KEY, &bytes_per_sec.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates() {
        assert_eq!(upload_estimate(1_000_000, 0), None);
        assert_eq!(upload_estimate(1_000_001, 1_000_000), Some(Duration::from_secs(2)));
        let w =
            large_file_warning(2_000_000_000, DEFAULT_LARGE_FILE_BYTES, Some(1_000_000)).unwrap();
        assert_eq!(w.upload_seconds, Some(2000));
        assert!(w.message.contains("2.0 GB") && w.message.contains("34 minutes"), "{}", w.message);
        assert!(large_file_warning(100, 1000, None).is_none());
        let unknown = large_file_warning(2000, 1000, None).unwrap();
        assert!(unknown.message.contains("not been measured"), "{}", unknown.message);
    }
}
