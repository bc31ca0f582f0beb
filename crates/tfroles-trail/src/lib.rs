//! CloudTrail logs, read as CloudTrail delivers them, turned into the IAM
//! actions each role used.
//!
//! This crate owns reading and folding; the mapping from an event to IAM
//! actions is `tfroles_policy::cloudtrail`, and what a role was granted is
//! `tfroles-core`'s. It does no network I/O: the binary hands it the bytes
//! of `s3://` objects as it hands it files.
//!
//! - [`read_log`]: one file (gzip or plain JSON; a delivered log
//!   `{"Records": [...]}` or `aws cloudtrail lookup-events` output), parsed
//!   one record at a time under [`Limits`] (stored size, decompressed size,
//!   decompression ratio, record size), so memory stays at one record.
//! - [`read_paths`]: files and directory trees (`AWSLogs/...`), never
//!   following a symbolic link below a path given, opening only regular
//!   files, listing what it passed over.
//! - [`Usage`]: events folded per role ARN into used, denied, no-permission
//!   and unmapped events, with capped maps.
//!
//! ```
//! use tfroles_trail::{Limits, Usage, read_log};
//!
//! let log = br#"{"Records": [{
//!   "eventSource": "s3.amazonaws.com", "eventName": "ListObjectsV2",
//!   "userIdentity": {"type": "AssumedRole",
//!     "arn": "arn:aws:sts::111111111111:assumed-role/app/tf-qa",
//!     "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111111111111:role/app"}}}
//! }]}"#;
//! let mut usage = Usage::default();
//! read_log(&log[..], log.len() as u64, "log.json".as_ref(), &Limits::default(), &mut |e| {
//!     usage.add(e, None)
//! })?;
//! let role = &usage.roles["arn:aws:iam::111111111111:role/app"];
//! assert_eq!(role.used.keys().collect::<Vec<_>>(), ["s3:ListBucket"]);
//! # Ok::<(), tfroles_trail::Error>(())
//! ```

#![warn(missing_docs)]

mod error;
mod read;
mod record;
mod usage;
mod walk;

pub use error::Error;
pub use read::{FileStats, Limits, read_log};
pub use record::{Event, Principal};
pub use usage::{Denial, MAX_KEYS, RoleUsage, UnmappedEvent, Usage};
pub use walk::{MAX_DEPTH, Skipped, WalkStats, is_log_name, read_paths};

/// Parses a `--since` value: a date (`2026-11-01`, midnight UTC) or an
/// RFC 3339 time.
///
/// # Errors
///
/// [`Error::Since`] for anything else.
pub fn parse_since(value: &str) -> Result<jiff::Timestamp, Error> {
    if let Ok(t) = value.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    value
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| Error::Since {
            value: value.to_owned(),
        })
}
