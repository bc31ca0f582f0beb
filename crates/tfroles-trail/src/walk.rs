//! The files under the paths given: CloudTrail's `AWSLogs/` tree or any
//! directory of logs, walked without following a symbolic link and opening
//! only regular files.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tfroles_fs::{Links, open_regular};

use crate::read::{FileStats, Limits, read_log};
use crate::{Error, Event};

/// How deep a directory tree may go (`AWSLogs/o-org/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD` is 8).
pub const MAX_DEPTH: usize = 32;

/// A path the walk passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path.
    pub path: PathBuf,
    /// Why: `a symbolic link`, `a FIFO`, `CloudTrail's digest files`, ...
    pub reason: String,
}

/// What a walk read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WalkStats {
    /// Log files read.
    pub files: u64,
    /// Records in them.
    pub records: u64,
    /// Records without a source or name.
    pub malformed: u64,
    /// Paths passed over (not logs, symbolic links, special files).
    pub skipped: Vec<Skipped>,
}

impl WalkStats {
    /// Adds one file's counts.
    pub fn add(&mut self, file: FileStats) {
        self.files += 1;
        self.records += file.records;
        self.malformed += file.malformed;
    }
}

/// Whether a file name is a log's: `.json` or `.json.gz`, any case.
#[must_use]
pub fn is_log_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".json.gz")
}

/// Reads every log under `paths`, in order, each directory's entries
/// sorted by name, calling `sink` with each event.
///
/// A path given is read as named (a symbolic link the caller names is the
/// caller's choice); below it, symbolic links are never followed and
/// anything but a regular file or directory is skipped and listed, as are
/// files that are not `.json`/`.json.gz` and CloudTrail's
/// `CloudTrail-Digest` directories. A file named directly is read whatever
/// its name.
///
/// # Errors
///
/// The first [`Error`] of [`read_log`], or [`Error::Io`] for a path that
/// cannot be opened or listed.
pub fn read_paths(
    paths: &[PathBuf],
    limits: &Limits,
    sink: &mut dyn FnMut(Event),
) -> Result<WalkStats, Error> {
    let mut stats = WalkStats::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| io_err(path, &e))?;
        if meta.is_dir() {
            walk(path, 0, limits, sink, &mut stats)?;
        } else {
            let file = open_regular(path, Links::Follow).map_err(|e| io_err(path, &e))?;
            read_file(path, file, limits, sink, &mut stats)?;
        }
    }
    Ok(stats)
}

fn read_file(
    path: &Path,
    file: File,
    limits: &Limits,
    sink: &mut dyn FnMut(Event),
    stats: &mut WalkStats,
) -> Result<(), Error> {
    let len = file.metadata().map_err(|e| io_err(path, &e))?.len();
    stats.add(read_log(file, len, path, limits, sink)?);
    Ok(())
}

fn walk(
    dir: &Path,
    depth: usize,
    limits: &Limits,
    sink: &mut dyn FnMut(Event),
    stats: &mut WalkStats,
) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        stats.skipped.push(Skipped {
            path: dir.to_path_buf(),
            reason: format!("deeper than {MAX_DEPTH} directories"),
        });
        return Ok(());
    }
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(|e| io_err(dir, &e))?
        .map(|entry| {
            let entry = entry?;
            Ok((entry.path(), entry.file_type()?))
        })
        .collect::<io::Result<_>>()
        .map_err(|e| io_err(dir, &e))?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let skip = |reason: &str, stats: &mut WalkStats| {
            stats.skipped.push(Skipped {
                path: path.clone(),
                reason: reason.to_owned(),
            });
        };
        if kind.is_symlink() {
            skip("a symbolic link (never followed)", stats);
        } else if kind.is_dir() {
            if name == "CloudTrail-Digest" {
                skip("CloudTrail's digest files carry no events", stats);
            } else {
                walk(&path, depth + 1, limits, sink, stats)?;
            }
        } else if !kind.is_file() {
            skip("not a regular file", stats);
        } else if !is_log_name(&name) {
            skip("not a `.json` or `.json.gz` file", stats);
        } else {
            // The entry was a regular file when listed; the open refuses
            // anything it has become since (a symlink, a FIFO).
            let file = open_regular(&path, Links::Refuse).map_err(|e| io_err(&path, &e))?;
            read_file(&path, file, limits, sink, stats)?;
        }
    }
    Ok(())
}

fn io_err(path: &Path, e: &io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
