//! Reading files that someone else may have put in place: a repository
//! cloned from anywhere, a CloudTrail tree, a shared credential cache.
//!
//! This crate owns the open and the bounded read every other tfroles crate
//! does on such files, so that the rules are written once (and
//! [`replace_file`], a file of this process's replaced whole):
//!
//! - only a regular file is read: a FIFO without a writer would block a
//!   reader forever and `/dev/zero` never ends, so anything else is refused
//!   after an open that itself never blocks (`O_NONBLOCK`);
//! - a symbolic link in the last component is refused ([`Links::Refuse`])
//!   or followed ([`Links::Follow`]) as the caller decides: the config file
//!   and the cache refuse, a file the user names on the command line is
//!   the user's choice;
//! - never more than a limit is read, and the limit holds while reading
//!   too: a file that grows after the check (or a `/proc` file that claims
//!   0 bytes) cannot make the read longer.
//!
//! What was refused is a [`Refusal`] inside the [`std::io::Error`]
//! (kind [`InvalidInput`](std::io::ErrorKind::InvalidInput)), so a caller
//! can word it its own way; any other error (not found, permission denied)
//! is the operating system's, unchanged.
//!
//! It sits below every other tfroles crate (it depends on none), since the
//! lowest crate they all share, `tfroles-policy`, owns IAM and does no I/O.
//!
//! ```
//! use tfroles_fs::{Links, Refusal, read_regular};
//!
//! let dir = tempfile::tempdir()?;
//! let file = dir.path().join("tfroles.hcl");
//! std::fs::write(&file, "defaults {}\n")?;
//! assert_eq!(read_regular(&file, Links::Refuse, 1024)?, b"defaults {}\n");
//!
//! let e = read_regular(&file, Links::Refuse, 4).unwrap_err();
//! assert_eq!(Refusal::of(&e), Some(&Refusal::TooLarge { len: Some(12), limit: 4 }));
//! assert_eq!(e.to_string(), "it is 12 bytes, more than the 4 allowed");
//! # Ok::<(), std::io::Error>(())
//! ```

#![warn(missing_docs)]

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// What to do with a symbolic link in the last component of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Refuse it ([`Refusal::SymbolicLink`]): the file must be the path's own.
    Refuse,
    /// Open what it points to (which must still be a regular file).
    Follow,
}

/// Why a file was not read; the error inside the [`io::Error`] that
/// [`open_regular`] and [`read_regular`] return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The path is a symbolic link and [`Links::Refuse`] was asked for.
    SymbolicLink,
    /// It is not a regular file; `kind` is [`kind`]'s word for it
    /// (`a FIFO`, `a device`, `a directory`, ...).
    NotRegular {
        /// What it is.
        kind: &'static str,
    },
    /// It is larger than the limit: `len` is its size when the size told
    /// (`None` when it grew past the limit while being read).
    TooLarge {
        /// Its size, when known before reading.
        len: Option<u64>,
        /// The limit.
        limit: u64,
    },
}

impl Refusal {
    /// The refusal inside `e`, if `e` is one.
    #[must_use]
    pub fn of(e: &io::Error) -> Option<&Refusal> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<Refusal>())
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::SymbolicLink => f.write_str("it is a symbolic link"),
            Refusal::NotRegular { kind } => write!(f, "it is {kind}, not a regular file"),
            Refusal::TooLarge {
                len: Some(len),
                limit,
            } => write!(f, "it is {len} bytes, more than the {limit} allowed"),
            Refusal::TooLarge { len: None, limit } => {
                write!(f, "it is more than the {limit} bytes allowed")
            }
        }
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for io::Error {
    fn from(r: Refusal) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, r)
    }
}

/// What kind of file `meta` describes, for messages: `a FIFO`, `a device`,
/// `a socket`, `a symbolic link`, `a directory`, `a regular file`.
#[must_use]
pub fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading if it is a regular file.
///
/// The open itself never blocks: `O_NONBLOCK` makes opening a FIFO return
/// at once, and the check on the opened descriptor (not on the path, which
/// could change in between) then refuses it.
///
/// # Errors
/// A [`Refusal`] (symbolic link, not a regular file) or the operating
/// system's error.
pub fn open_regular(path: &Path, links: Links) -> io::Result<File> {
    open_regular_with(path, OpenOptions::new().read(true), links)
}

/// [`open_regular`] with the caller's `options` (write, create, a unix
/// mode): for a file this process keeps, such as a lock file, that must
/// still never be a link or a FIFO someone put in its place. The options'
/// custom flags are replaced by the ones this needs.
///
/// # Errors
/// A [`Refusal`] (symbolic link, not a regular file) or the operating
/// system's error.
pub fn open_regular_with(path: &Path, options: &OpenOptions, links: Links) -> io::Result<File> {
    let mut o = options.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
        if links == Links::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        o.custom_flags(flags);
    }
    #[cfg(not(unix))]
    if links == Links::Refuse && std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(Refusal::SymbolicLink.into());
    }
    let f = o.open(path).map_err(|e| {
        // O_NOFOLLOW on a link fails with ELOOP, which the OS words as
        // "too many levels of symbolic links".
        #[cfg(unix)]
        if links == Links::Refuse && e.raw_os_error() == Some(libc::ELOOP) {
            return Refusal::SymbolicLink.into();
        }
        e
    })?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular { kind: kind(&meta) }.into());
    }
    Ok(f)
}

/// The contents of the regular file `path`, refused if longer than `limit`
/// bytes (see [`open_regular`] for what is opened).
///
/// # Errors
/// A [`Refusal`] (symbolic link, not a regular file, too large) or the
/// operating system's error.
pub fn read_regular(path: &Path, links: Links, limit: u64) -> io::Result<Vec<u8>> {
    let f = open_regular(path, links)?;
    let len = f.metadata()?.len();
    if len > limit {
        return Err(Refusal::TooLarge {
            len: Some(len),
            limit,
        }
        .into());
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // One byte more than allowed tells a file that grew since the check.
    f.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(Refusal::TooLarge { len: None, limit }.into());
    }
    Ok(buf)
}

/// Whether [`replace_file`] flushes the new contents to the disk before the
/// rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Flushed first: after a crash the file holds the old contents or the
    /// new, never an empty file (a credential cache entry).
    Synced,
    /// Not flushed: for a file whose loss costs only a slower next run
    /// (the hit index), where a flush on every write would cost more.
    Unsynced,
}

/// Replaces `path` with `contents`, whole or not at all: a new file
/// (mode 0600, created with `O_EXCL`, so never through a link) named
/// `temp_prefix` and a random tail, in `path`'s directory, written, then
/// renamed over `path`. The rename replaces whatever `path` names, a link
/// included, without following it. A writer killed before the rename
/// leaves its temporary file: callers sweep their own prefix.
///
/// # Errors
/// The operating system's error creating, writing, flushing or renaming.
pub fn replace_file(
    path: &Path,
    temp_prefix: &str,
    contents: &[u8],
    durability: Durability,
) -> io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(temp_prefix)
        .tempfile_in(dir)?;
    tmp.write_all(contents)?;
    if durability == Durability::Synced {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn refusal(r: io::Result<Vec<u8>>) -> Refusal {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        Refusal::of(&e)
            .cloned()
            .unwrap_or_else(|| panic!("not a refusal: {e}"))
    }

    fn fifo(path: &Path) {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn a_regular_file_is_read_whole_up_to_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(
            read_regular(&file, Links::Refuse, 10).unwrap(),
            b"0123456789"
        );
        let r = refusal(read_regular(&file, Links::Refuse, 9));
        assert_eq!(
            r,
            Refusal::TooLarge {
                len: Some(10),
                limit: 9
            }
        );
        assert_eq!(r.to_string(), "it is 10 bytes, more than the 9 allowed");
    }

    #[test]
    fn a_file_claiming_no_size_is_still_cut_at_the_limit() {
        // /proc files report 0 bytes and then produce more: only the
        // bounded read can tell.
        let r = refusal(read_regular(
            Path::new("/proc/self/status"),
            Links::Follow,
            8,
        ));
        assert_eq!(
            r,
            Refusal::TooLarge {
                len: None,
                limit: 8
            }
        );
        assert_eq!(r.to_string(), "it is more than the 8 bytes allowed");
    }

    #[test]
    fn a_symbolic_link_is_refused_or_followed_as_asked() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let link = tmp.path().join("l");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let r = refusal(read_regular(&link, Links::Refuse, 100));
        assert_eq!(r, Refusal::SymbolicLink);
        assert_eq!(r.to_string(), "it is a symbolic link");
        assert_eq!(read_regular(&link, Links::Follow, 100).unwrap(), b"x");
        // A link to a FIFO, followed, is still a FIFO.
        let p = tmp.path().join("p");
        fifo(&p);
        let to_fifo = tmp.path().join("lp");
        std::os::unix::fs::symlink(&p, &to_fifo).unwrap();
        assert_eq!(
            refusal(read_regular(&to_fifo, Links::Follow, 100)),
            Refusal::NotRegular { kind: "a FIFO" }
        );
    }

    #[test]
    fn special_files_are_refused_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        // A FIFO with no writer: a plain open would block forever.
        let p = tmp.path().join("p");
        fifo(&p);
        let r = refusal(read_regular(&p, Links::Refuse, 100));
        assert_eq!(r.to_string(), "it is a FIFO, not a regular file");
        let r = refusal(read_regular(Path::new("/dev/zero"), Links::Follow, 100));
        assert_eq!(r.to_string(), "it is a device, not a regular file");
        let r = refusal(read_regular(tmp.path(), Links::Follow, 100));
        assert_eq!(r.to_string(), "it is a directory, not a regular file");
        assert!(open_regular(tmp.path(), Links::Refuse).is_err());
    }

    #[test]
    fn a_file_opened_for_writing_follows_the_same_rules() {
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let mut lock = OpenOptions::new();
        lock.create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600);
        let path = tmp.path().join("k.lock");
        open_regular_with(&path, &lock, Links::Refuse).unwrap();
        assert!(std::fs::metadata(&path).unwrap().is_file());
        // Someone puts a link, then a FIFO, where the lock file goes.
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        let e = open_regular_with(&path, &lock, Links::Refuse).unwrap_err();
        assert_eq!(Refusal::of(&e), Some(&Refusal::SymbolicLink));
        assert!(!elsewhere.exists(), "created through the link");
        std::fs::remove_file(&path).unwrap();
        fifo(&path);
        let e = open_regular_with(&path, &lock, Links::Refuse).unwrap_err();
        assert_eq!(e.to_string(), "it is a FIFO, not a regular file");
    }

    #[test]
    fn a_replaced_file_is_private_whole_and_never_written_through_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("entry.json");
        replace_file(&path, ".tmp-entry-", b"first", Durability::Synced).unwrap();
        replace_file(&path, ".tmp-entry-", b"second", Durability::Unsynced).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A link put where the file goes is replaced; its target is untouched.
        let target = tmp.path().join("target");
        std::fs::write(&target, b"theirs").unwrap();
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        replace_file(&path, ".tmp-entry-", b"third", Durability::Synced).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"theirs");
        assert!(std::fs::symlink_metadata(&path).unwrap().is_file());
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".tmp-")), "{names:?}");
    }

    #[test]
    fn other_errors_are_the_systems() {
        let tmp = tempfile::tempdir().unwrap();
        let e = read_regular(&tmp.path().join("missing"), Links::Refuse, 1).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(Refusal::of(&e).is_none());
    }
}
