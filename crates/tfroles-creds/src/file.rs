//! Reading files that someone else may have put in place: only regular
//! files, never through a FIFO or a device (a FIFO without a writer blocks
//! a reader forever, `/dev/zero` never ends), and never more than a limit.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// What kind of file `meta` describes, for messages.
pub(crate) fn kind(meta: &Metadata) -> &'static str {
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

fn refused(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, reason)
}

/// Opens `path` for reading if it is a regular file. With `follow` false a
/// symbolic link in the last component is refused rather than followed.
///
/// The open itself never blocks: `O_NONBLOCK` makes opening a FIFO return
/// at once, and the check on the opened descriptor then refuses it.
pub(crate) fn open_regular(path: &Path, follow: bool) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
        if !follow {
            flags |= libc::O_NOFOLLOW;
        }
        o.custom_flags(flags);
    }
    #[cfg(not(unix))]
    if !follow && std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(refused("it is a symbolic link".into()));
    }
    let f = o.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return refused("it is a symbolic link".into());
        }
        e
    })?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(refused(format!(
            "it is {}, not a regular file",
            kind(&meta)
        )));
    }
    Ok(f)
}

/// The contents of the regular file `path`, refused if longer than `limit`
/// bytes. The limit holds while reading too: a file that grows (or a
/// `/proc` file that claims 0 bytes) cannot make this read more.
pub(crate) fn read_regular(path: &Path, follow: bool, limit: u64) -> io::Result<Vec<u8>> {
    let f = open_regular(path, follow)?;
    let len = f.metadata()?.len();
    if len > limit {
        return Err(refused(format!(
            "it is {len} bytes, more than the {limit} allowed"
        )));
    }
    let mut buf = Vec::with_capacity(len as usize);
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(refused(format!(
            "it is more than the {limit} bytes allowed"
        )));
    }
    Ok(buf)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_and_only_up_to_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read_regular(&file, false, 10).unwrap(), b"0123456789");
        let e = read_regular(&file, false, 9).unwrap_err().to_string();
        assert!(e.contains("10 bytes, more than the 9 allowed"), "{e}");

        let link = tmp.path().join("l");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let e = read_regular(&link, false, 100).unwrap_err().to_string();
        assert_eq!(e, "it is a symbolic link");
        assert_eq!(read_regular(&link, true, 100).unwrap(), b"0123456789");

        // A FIFO with no writer: a plain read would block forever.
        let fifo = tmp.path().join("p");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_regular(&fifo, true, 100).unwrap_err().to_string();
        assert_eq!(e, "it is a FIFO, not a regular file");

        let e = read_regular(Path::new("/dev/zero"), true, 100)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "it is a device, not a regular file");
        let e = read_regular(tmp.path(), true, 100).unwrap_err().to_string();
        assert_eq!(e, "it is a directory, not a regular file");
    }
}
