//! The crate's one error type.

use std::borrow::Cow;
use std::path::PathBuf;

/// Everything that can go wrong reading CloudTrail logs. Each variant names
/// the file (or `s3://` object) it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file or directory could not be opened or read.
    #[error("cannot read `{}`: {reason}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// A file, its decompressed contents or one record is over a limit.
    #[error("`{}`: {what} is over the limit of {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What is too large: `the file`, `record 3`, ...
        what: String,
        /// The limit.
        limit: u64,
    },
    /// The file decompresses to far more than CloudTrail's logs do: a
    /// gzip bomb, or not a log.
    #[error("`{}`: decompresses to more than {ratio} times its {compressed} bytes", path.display())]
    Ratio {
        /// The file.
        path: PathBuf,
        /// Its size on disk.
        compressed: u64,
        /// The ratio allowed.
        ratio: u64,
    },
    /// The file is not JSON, or not gzip it claims to be.
    #[error("`{}`{}: {reason}", path.display(), at(*line, *column, *record))]
    Parse {
        /// The file.
        path: PathBuf,
        /// Line in the decompressed text (1-based), 0 when unknown.
        line: usize,
        /// Column (1-based), 0 when unknown.
        column: usize,
        /// The record (0-based) being read, if inside the list.
        record: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// JSON, but neither a delivered log (`{"Records": [...]}`) nor the
    /// output of `aws cloudtrail lookup-events` (`{"Events": [...]}`).
    #[error("`{}` is not a CloudTrail log file: it has no `Records` (or `Events`) list", path.display())]
    NotCloudTrail {
        /// The file.
        path: PathBuf,
    },
    /// A `--since` value that is not a date or time.
    #[error("`{value}` is not a date or time")]
    Since {
        /// As given.
        value: String,
    },
}

fn at(line: usize, column: usize, record: Option<usize>) -> String {
    let mut s = String::new();
    if line > 0 {
        s.push_str(&format!(":{line}:{column}"));
    }
    if let Some(r) = record {
        s.push_str(&format!(" (record {r})"));
    }
    s
}

impl Error {
    /// What to do about it, when there is something to say. The message
    /// (`Display`) never says it: whoever prints the error prints the hint
    /// after it (the binary as a `hint:` line).
    pub fn hint(&self) -> Option<Cow<'_, str>> {
        match self {
            Error::Io { .. } => None,
            Error::TooLarge { .. } | Error::Ratio { .. } => Some(
                "CloudTrail delivers files of a few megabytes; this one is not a log as delivered (remove it from the paths given, or check where it came from)"
                    .into(),
            ),
            Error::Parse { .. } => Some(
                "give CloudTrail's files as delivered (`.json.gz` or `.json`) or the JSON of `aws cloudtrail lookup-events`".into(),
            ),
            Error::NotCloudTrail { .. } => Some(
                "name the trail's `AWSLogs/` directory or its `.json.gz` files; digest files (`CloudTrail-Digest/`) carry no events".into(),
            ),
            Error::Since { .. } => Some(
                "write a date (`2026-11-01`) or an RFC 3339 time (`2026-11-01T12:00:00Z`)".into(),
            ),
        }
    }
}
