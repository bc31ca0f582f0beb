//! The shared credential cache: one JSON file per session key in a private
//! directory, written atomically, with a per-key lock file that makes
//! concurrent callers for the same cold key wait for one STS call.
//!
//! Readers take no lock: every write is a rename of a complete file, so a
//! reader sees the old entry or the new one, never part of either. A
//! writer that dies holding the lock releases it with its file descriptor.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::credentials::Credentials;
use crate::env::Env;

/// The cache directory and the operations on it.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// Held while a key is being refreshed; dropping it releases the lock.
#[derive(Debug)]
pub struct KeyLock {
    _file: File,
}

impl Cache {
    /// `$TFROLES_CACHE_DIR`, else `$XDG_CACHE_HOME/tfroles`, else `~/.cache/tfroles`.
    ///
    /// # Errors
    /// [`Error::Cache`] when none of them can be determined, or when
    /// `TFROLES_CACHE_DIR` or `HOME` is a relative path: the cache would
    /// then land in whatever directory tfroles runs in (terraform runs it in
    /// each stack's), with credentials next to the code.
    pub fn default_dir(env: &Env) -> Result<PathBuf, Error> {
        let relative = |var: &str, d: &str| Error::Cache {
            path: PathBuf::from(d),
            reason: format!(
                "{var} is a relative path; the cache would follow the working directory"
            ),
            hint: format!("set {var} to an absolute path, or pass --no-cache"),
        };
        if let Some(d) = env.get("TFROLES_CACHE_DIR").filter(|d| !d.is_empty()) {
            if !Path::new(&d).is_absolute() {
                return Err(relative("TFROLES_CACHE_DIR", &d));
            }
            return Ok(PathBuf::from(d));
        }
        if let Some(d) = env
            .get("XDG_CACHE_HOME")
            .filter(|d| Path::new(d).is_absolute())
        {
            return Ok(Path::new(&d).join("tfroles"));
        }
        match env.get("HOME").filter(|d| !d.is_empty()) {
            Some(home) if !Path::new(&home).is_absolute() => Err(relative("HOME", &home)),
            Some(home) => Ok(Path::new(&home).join(".cache").join("tfroles")),
            None => Err(Error::Cache {
                path: PathBuf::from("~/.cache/tfroles"),
                reason: "neither TFROLES_CACHE_DIR, XDG_CACHE_HOME nor HOME is set".into(),
                hint: "set TFROLES_CACHE_DIR to a private directory, or pass --no-cache".into(),
            }),
        }
    }

    /// Opens (creating it 0700 if needed) a cache directory, refusing one
    /// that anyone but this user could replace or fill: anyone who can
    /// write there could hand this process credentials of their choosing.
    ///
    /// The rule is ssh's `StrictModes`, with the sticky bit allowed: the
    /// directory must be a real directory (not a symbolic link), owned by
    /// this user, writable by nobody else; each directory above it (links
    /// in the path above it resolved) must be owned by this user or root and
    /// writable by nobody else unless it has the sticky bit (like `/tmp`,
    /// where others cannot rename or remove what is not theirs).
    ///
    /// # Errors
    /// [`Error::Cache`] naming the directory and what is wrong with it.
    pub fn open(dir: &Path) -> Result<Cache, Error> {
        // `link/` would make the kernel follow `link`; the components of
        // the path (which drop a trailing `/` and `.`) name the link itself.
        let dir: PathBuf = dir.components().collect();
        let err = |reason: String, hint: &str| Error::Cache {
            path: dir.clone(),
            reason,
            hint: hint.into(),
        };
        if !dir.is_absolute() {
            return Err(err(
                "it is a relative path; the cache would follow the working directory".into(),
                "set TFROLES_CACHE_DIR to an absolute path, or pass --no-cache",
            ));
        }
        let meta = metadata_creating(&dir, &err)?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&dir)
                .map(|t| format!(" (to `{}`)", t.display()))
                .unwrap_or_default();
            return Err(err(
                format!(
                    "it is a symbolic link{target}; tfroles keeps credentials only in a real directory, which nobody can point elsewhere"
                ),
                "set TFROLES_CACHE_DIR to the directory itself, or replace the link with a directory",
            ));
        }
        if !meta.is_dir() {
            return Err(err(
                format!("it is {}, not a directory", tfroles_fs::kind(&meta)),
                "remove it, or set TFROLES_CACHE_DIR elsewhere",
            ));
        }
        #[cfg(unix)]
        make_private(&dir, &meta, &err)?;
        Ok(Cache { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The cached credentials for `key`, if there is a readable entry.
    /// An entry that cannot be read or parsed counts as absent: it is
    /// replaced by the next write, never an error. Only a regular file of
    /// at most `ENTRY_LIMIT` bytes is read, never through a symbolic link.
    pub fn read(&self, key: &str) -> Option<Credentials> {
        self.read_warning(key, true)
    }

    /// [`read`](Cache::read), saying nothing of an entry tfroles did not
    /// write: for a second look at an entry already read (and warned
    /// about) once in the same call.
    pub(crate) fn reread(&self, key: &str) -> Option<Credentials> {
        self.read_warning(key, false)
    }

    fn read_warning(&self, key: &str, warn: bool) -> Option<Credentials> {
        let path = self.entry(key);
        let bytes = match tfroles_fs::read_regular(&path, tfroles_fs::Links::Refuse, ENTRY_LIMIT) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                // tfroles writes only regular files: someone else put it there.
                if warn {
                    tracing::warn!(path = %path.display(), error = %e, "ignoring a cache entry tfroles did not write; it will be replaced");
                }
                return None;
            }
        };
        match serde_json::from_slice::<Credentials>(&bytes) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::debug!(key, error = %e, "discarding unreadable cache entry");
                None
            }
        }
    }

    /// Stores credentials for `key`: a 0600 temporary file in the cache
    /// directory, flushed, then renamed over the entry (the rename replaces
    /// whatever the entry's name pointed to, a link included, without
    /// following it). Call it holding the key's [`lock`](Cache::lock), which
    /// clears the temporary files of writers that died before their rename.
    ///
    /// # Errors
    /// [`Error::Cache`] when the file cannot be written.
    pub fn write(&self, key: &str, creds: &Credentials) -> Result<(), Error> {
        self.write_described(key, creds, None)
    }

    /// [`write`](Cache::write), with what `tfroles cache list` shows about
    /// the entry stored beside the credentials (none of it secret). Readers
    /// of the credentials ignore it.
    ///
    /// # Errors
    /// [`Error::Cache`] when the file cannot be written.
    pub(crate) fn write_described(
        &self,
        key: &str,
        creds: &Credentials,
        about: Option<&About>,
    ) -> Result<(), Error> {
        let path = self.entry(key);
        let err = |e: std::io::Error| Error::Cache {
            path: path.clone(),
            reason: format!("cannot write the entry: {e}"),
            hint: "check free space and permissions, or pass --no-cache".into(),
        };
        let stored = Stored {
            credentials: creds,
            about,
        };
        let bytes = serde_json::to_vec(&stored).expect("credentials serialise");
        tfroles_fs::replace_file(
            &path,
            &Self::tmp_prefix(key),
            &bytes,
            tfroles_fs::Durability::Synced,
        )
        .map_err(err)?;
        Ok(())
    }

    /// Temporary files of `key`'s writers start with this.
    fn tmp_prefix(key: &str) -> String {
        format!(".tmp-{key}-")
    }

    /// Removes the entry for `key`, if any.
    pub fn remove(&self, key: &str) {
        let _ = fs::remove_file(self.entry(key));
    }

    /// The lock file of `key`.
    pub fn lock_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.lock"))
    }

    /// Waits until this process holds the lock for `key`, or until
    /// `deadline` (then `Ok(None)`), then removes temporary files left by
    /// `key`'s writers that were killed before their rename: only the
    /// lock's holder writes them, so none is live.
    ///
    /// The wait polls a non-blocking lock: a blocking one cannot be given
    /// up, and a holder stuck on a hung STS would hold every caller past
    /// terraform's one-minute limit on a `credential_process`.
    ///
    /// # Errors
    /// [`Error::Cache`] when the lock file cannot be opened or locked, or is
    /// not a regular file (a symbolic link is not followed).
    pub fn lock(&self, key: &str, deadline: Instant) -> Result<Option<KeyLock>, Error> {
        let path = self.lock_path(key);
        let err = |e: std::io::Error| {
            Error::Cache {
            path: path.clone(),
            reason: format!("cannot lock: {e}"),
            hint: "remove the file if it is not a regular file, or pass --no-cache to bypass the cache".into(),
        }
        };
        let mut opts = OpenOptions::new();
        opts.create(true).truncate(false).read(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file =
            tfroles_fs::open_regular_with(&path, &opts, tfroles_fs::Links::Refuse).map_err(err)?;
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(err(e)),
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
        let prefix = Self::tmp_prefix(key);
        for e in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                tracing::debug!(key, file = ?e.file_name(), "removing a dead writer's temporary file");
                let _ = fs::remove_file(e.path());
            }
        }
        Ok(Some(KeyLock { _file: file }))
    }
}

/// What an entry was fetched for, kept beside its credentials for
/// `tfroles cache list`. Nothing here is a secret: the base identity is a
/// digest of its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    /// The role the credentials are for (the last hop of a chain).
    pub role_arn: String,
    /// The stack whose backend the session is for, if one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// The first 12 hex digits of the SHA-256 of the base identity's
    /// fingerprint: tells entries of different base identities apart.
    pub base: String,
    /// When STS answered.
    #[serde(with = "crate::credentials::rfc3339")]
    pub fetched: jiff::Timestamp,
}

#[derive(Serialize)]
struct Stored<'a> {
    #[serde(flatten)]
    credentials: &'a Credentials,
    #[serde(rename = "tfroles", skip_serializing_if = "Option::is_none")]
    about: Option<&'a About>,
}

/// One entry as `tfroles cache list` sees it: never a secret.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The cache key (the entry's file name without `.json`).
    pub key: String,
    /// The session's access key id (not a secret).
    pub access_key_id: String,
    /// When the session expires.
    #[serde(with = "crate::credentials::rfc3339")]
    pub expiration: jiff::Timestamp,
    /// What it was fetched for; `None` for entries of older versions.
    pub about: Option<About>,
}

#[derive(Deserialize)]
struct ListedOnDisk {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "Expiration", with = "crate::credentials::rfc3339")]
    expiration: jiff::Timestamp,
    #[serde(rename = "tfroles", default)]
    about: Option<About>,
}

/// What [`Cache::sweep`] and [`Cache::clear`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    /// Entries.
    pub entries: usize,
    /// Lock files.
    pub locks: usize,
}

/// A lock file younger than this is never removed as an orphan: its
/// creator may be between creating it and locking it.
const ORPHAN_AGE: Duration = Duration::from_secs(60);

impl Cache {
    /// Keys of the files in the directory whose names look like ours
    /// (`<64 hex>.json` / `.lock`), with the file's path.
    fn files(&self, suffix: &str) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        for e in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = e.file_name();
            let Some(key) = name.to_str().and_then(|n| n.strip_suffix(suffix)) else {
                continue;
            };
            if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push((key.to_owned(), e.path()));
            }
        }
        out.sort();
        out
    }

    /// Every readable entry, by key. Entries that cannot be read (not a
    /// regular file, too large, not tfroles's JSON) are left out.
    pub fn list(&self) -> Vec<Listed> {
        self.files(".json")
            .into_iter()
            .filter_map(|(key, path)| {
                let bytes =
                    tfroles_fs::read_regular(&path, tfroles_fs::Links::Refuse, ENTRY_LIMIT).ok()?;
                let e: ListedOnDisk = serde_json::from_slice(&bytes).ok()?;
                Some(Listed {
                    key,
                    access_key_id: e.access_key_id,
                    expiration: e.expiration,
                    about: e.about,
                })
            })
            .collect()
    }

    /// Removes the entries `select` picks, and their lock files where no
    /// process holds them.
    pub fn clear(&self, select: impl Fn(&Listed) -> bool) -> Removed {
        let mut removed = Removed::default();
        for e in self.list().iter().filter(|e| select(e)) {
            if fs::remove_file(self.entry(&e.key)).is_ok() {
                removed.entries += 1;
            }
            if self.remove_unheld_lock(&e.key, Duration::ZERO) {
                removed.locks += 1;
            }
        }
        removed
    }

    /// Removes expired entries, and lock files older than a minute that
    /// have no entry and no holder: what a cache collects over months of
    /// roles and stacks that come and go. Runs after each STS call, so a
    /// cache hit never pays for it.
    pub fn sweep(&self, now: jiff::Timestamp) -> Removed {
        let mut removed = Removed::default();
        for e in self.list() {
            if e.expiration <= now && fs::remove_file(self.entry(&e.key)).is_ok() {
                tracing::debug!(key = e.key, "removed an expired cache entry");
                removed.entries += 1;
            }
        }
        for (key, _) in self.files(".lock") {
            if fs::symlink_metadata(self.entry(&key)).is_err()
                && self.remove_unheld_lock(&key, ORPHAN_AGE)
            {
                tracing::debug!(key, "removed an orphan lock file");
                removed.locks += 1;
            }
        }
        removed
    }

    /// Removes `key`'s lock file if it is a regular file at least `age`
    /// old that nobody holds. Taking the lock first means a holder's file
    /// is never pulled from under it.
    fn remove_unheld_lock(&self, key: &str, age: Duration) -> bool {
        let path = self.lock_path(key);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            return false;
        };
        let old_enough = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|a| a >= age);
        if !meta.is_file() || !old_enough {
            return false;
        }
        match self.lock(key, Instant::now()) {
            Ok(Some(_held)) => fs::remove_file(&path).is_ok(),
            _ => false,
        }
    }
}

/// The metadata of the cache directory `dir` (of the link, if it is one),
/// creating it 0700 when it does not exist, after judging the directories
/// that do.
fn metadata_creating(
    dir: &Path,
    err: &dyn Fn(String, &str) -> Error,
) -> Result<fs::Metadata, Error> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Judge what exists before creating anything below it.
            #[cfg(unix)]
            if let Some(existing) = dir.ancestors().skip(1).find(|a| a.exists()) {
                // SAFETY: geteuid has no preconditions and cannot fail.
                check_ancestors(existing, unsafe { libc::geteuid() }, err)?;
            }
            let mut b = fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).map_err(|e| {
                err(
                    format!("cannot create it: {e}"),
                    "set TFROLES_CACHE_DIR to a directory you can write, or pass --no-cache",
                )
            })?;
            fs::symlink_metadata(dir)
        }
        m => m,
    }
    .map_err(|e| err(format!("cannot read it: {e}"), "check the path"))
}

/// Refuses the directory `dir` (of metadata `meta`) unless this user owns
/// it and nobody else can write to it or rename a directory above it;
/// then makes it 0700.
#[cfg(unix)]
fn make_private(
    dir: &Path,
    meta: &fs::Metadata,
    err: &dyn Fn(String, &str) -> Error,
) -> Result<(), Error> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(err(
            format!("it is owned by uid {}, not by you (uid {me})", meta.uid()),
            "use a cache directory of your own: set TFROLES_CACHE_DIR, or pass --no-cache",
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(err(
            format!("others can write to it (mode {mode:03o})"),
            "run `chmod 700` on it, or set TFROLES_CACHE_DIR to a private directory",
        ));
    }
    check_ancestors(dir.parent().unwrap_or(Path::new("/")), me, err)?;
    if mode != 0o700 {
        // Readable by others is not a hole (entries are 0600), but there is
        // no reason for it; tighten as ssh-agent would.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
            err(
                format!("cannot make it private: {e}"),
                "run `chmod 700` on it",
            )
        })?;
    }
    Ok(())
}

/// Refuses a cache below a directory that someone else could rename or
/// fill: whoever can rename an ancestor can swap the whole tree for one of
/// their own between two runs. `start` (an existing directory) and every
/// directory above it are judged by their real paths (links resolved).
#[cfg(unix)]
fn check_ancestors(
    start: &Path,
    me: u32,
    err: &dyn Fn(String, &str) -> Error,
) -> Result<(), Error> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let real = fs::canonicalize(start)
        .map_err(|e| err(format!("cannot resolve its parent: {e}"), "check the path"))?;
    for a in real.ancestors() {
        let m = fs::metadata(a).map_err(|e| {
            err(
                format!("cannot read its parent `{}`: {e}", a.display()),
                "check the path",
            )
        })?;
        if m.uid() != me && m.uid() != 0 {
            return Err(err(
                format!(
                    "its parent `{}` is owned by uid {}, neither you (uid {me}) nor root; its owner could replace the cache",
                    a.display(),
                    m.uid()
                ),
                "set TFROLES_CACHE_DIR to a directory under your home, or pass --no-cache",
            ));
        }
        let mode = m.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 && mode & 0o1000 == 0 {
            return Err(err(
                format!(
                    "its parent `{}` is writable by others without the sticky bit (mode {:03o}); they could replace the cache",
                    a.display(),
                    mode & 0o777
                ),
                "run `chmod go-w` on that directory, or set TFROLES_CACHE_DIR to a directory under your home, or pass --no-cache",
            ));
        }
    }
    Ok(())
}

/// The largest cache entry read: a real one is under 2 KiB.
pub const ENTRY_LIMIT: u64 = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;

    /// The error as the binary prints it: the message, then the hint
    /// (data, never in the message).
    fn shown(e: &Error) -> String {
        let message = e.to_string();
        assert!(!message.contains("hint:"), "{message}");
        match e.hint() {
            Some(h) => format!("{message}\n  hint: {h}"),
            None => message,
        }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn creds(id: &str) -> Credentials {
        Credentials {
            access_key_id: id.into(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration: "2030-01-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn creates_a_private_directory_and_private_entries() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        let cache = Cache::open(&dir).unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        cache.write("k", &creds("A")).unwrap();
        assert_eq!(
            fs::metadata(dir.join("k.json"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        assert_eq!(cache.read("k").unwrap().access_key_id, "A");
        let _l = cache.lock("k", far()).unwrap().unwrap();
        assert_eq!(
            fs::metadata(dir.join("k.lock"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_directory_others_can_write_and_tightens_a_readable_one() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let e = shown(&Cache::open(tmp.path()).unwrap_err());
        assert!(e.contains("others can write to it (mode 777)"), "{e}");
        assert!(e.contains("hint: run `chmod 700`"), "{e}");
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        Cache::open(tmp.path()).unwrap();
        assert_eq!(
            fs::metadata(tmp.path()).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn the_lock_clears_temporary_files_of_dead_writers_of_its_key_only() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path()).unwrap();
        let dead = tmp.path().join(".tmp-k-AbC123");
        let other = tmp.path().join(".tmp-k2-XyZ789");
        fs::write(&dead, b"{}").unwrap();
        fs::write(&other, b"{}").unwrap();
        let _l = cache.lock("k", far()).unwrap().unwrap();
        assert!(!dead.exists());
        assert!(other.exists(), "another key's writer may be alive");
        cache.write("k", &creds("A")).unwrap();
        let names: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.starts_with(".tmp-k-")), "{names:?}");
    }

    #[test]
    fn a_corrupt_entry_is_absent_and_gets_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path()).unwrap();
        fs::write(tmp.path().join("k.json"), b"{\"AccessKeyId\": tru").unwrap();
        assert!(cache.read("k").is_none());
        cache.write("k", &creds("B")).unwrap();
        assert_eq!(cache.read("k").unwrap().access_key_id, "B");
    }

    #[test]
    fn default_dir_follows_the_documented_order() {
        let env = Env::from_pairs([
            ("TFROLES_CACHE_DIR", "/c"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ]);
        assert_eq!(Cache::default_dir(&env).unwrap(), PathBuf::from("/c"));
        let env = Env::from_pairs([("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(
            Cache::default_dir(&env).unwrap(),
            PathBuf::from("/x/tfroles")
        );
        let env = Env::from_pairs([("XDG_CACHE_HOME", "relative"), ("HOME", "/h")]);
        assert_eq!(
            Cache::default_dir(&env).unwrap(),
            PathBuf::from("/h/.cache/tfroles")
        );
        assert!(Cache::default_dir(&Env::from_pairs([])).is_err());
    }

    #[test]
    fn a_relative_cache_directory_is_refused() {
        let env = Env::from_pairs([("TFROLES_CACHE_DIR", "cache"), ("HOME", "/h")]);
        let e = shown(&Cache::default_dir(&env).unwrap_err());
        assert!(e.contains("TFROLES_CACHE_DIR is a relative path"), "{e}");
        assert!(
            e.contains("hint: set TFROLES_CACHE_DIR to an absolute path"),
            "{e}"
        );
        let e = Cache::default_dir(&Env::from_pairs([("HOME", "h")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("HOME is a relative path"), "{e}");
        let e = shown(&Cache::open(Path::new("cache")).unwrap_err());
        assert!(e.contains("it is a relative path"), "{e}");
        assert!(!Path::new("cache").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_cache_directory_is_refused_with_or_without_a_trailing_slash() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        Cache::open(&real).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        for path in [
            link.clone(),
            tmp.path().join("link/"),
            tmp.path().join("link/."),
        ] {
            let e = shown(&Cache::open(&path).unwrap_err());
            assert!(
                e.contains(&format!("credential cache `{}`", link.display())),
                "{e}"
            );
            assert!(e.contains("it is a symbolic link (to `"), "{e}");
            assert!(
                e.contains("hint: set TFROLES_CACHE_DIR to the directory itself"),
                "{e}"
            );
        }
        let file = tmp.path().join("file");
        fs::write(&file, b"").unwrap();
        let e = shown(&Cache::open(&file).unwrap_err());
        assert!(e.contains("it is a regular file, not a directory"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_private_directory_in_a_parent_others_can_write_is_refused_unless_sticky() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().join("shared");
        let dir = parent.join("mine");
        Cache::open(&dir).unwrap();
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o777)).unwrap();
        // Refused before anything is created there.
        assert!(Cache::open(&parent.join("new/cache")).is_err());
        assert!(!parent.join("new").exists());
        let e = shown(&Cache::open(&dir).unwrap_err());
        assert!(
            e.contains(&format!(
                "its parent `{}` is writable by others without the sticky bit (mode 777)",
                fs::canonicalize(&parent).unwrap().display()
            )),
            "{e}"
        );
        assert!(e.contains("hint: run `chmod go-w`"), "{e}");
        // A link above the cache is resolved, and the real directory judged.
        let via = tmp.path().join("via");
        std::os::unix::fs::symlink(&parent, &via).unwrap();
        assert!(Cache::open(&via.join("mine")).is_err());
        // Like /tmp: others may create there, but not rename what is ours.
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o1777)).unwrap();
        Cache::open(&dir).unwrap();
        Cache::open(&via.join("mine")).unwrap();
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o775)).unwrap();
        assert!(Cache::open(&dir).is_err(), "group-writable counts too");
    }

    #[cfg(unix)]
    #[test]
    fn entries_and_locks_are_never_followed_through_links_or_fifos() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("c");
        let cache = Cache::open(&dir).unwrap();
        let mkfifo = |p: &Path| {
            let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        };

        // An entry that links to valid credentials elsewhere is not served.
        let elsewhere = tmp.path().join("elsewhere.json");
        fs::write(&elsewhere, serde_json::to_vec(&creds("EVIL")).unwrap()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.join("k.json")).unwrap();
        assert!(cache.read("k").is_none());
        cache.write("k", &creds("A")).unwrap();
        assert_eq!(cache.read("k").unwrap().access_key_id, "A");
        assert_eq!(
            fs::read(&elsewhere).unwrap(),
            serde_json::to_vec(&creds("EVIL")).unwrap(),
            "the write replaced the link, not its target"
        );

        // A FIFO entry: a plain read would wait for a writer forever.
        mkfifo(&dir.join("f.json"));
        let t = Instant::now();
        assert!(cache.read("f").is_none());
        assert!(t.elapsed() < Duration::from_secs(5));

        // Lock files: a FIFO, a link; refused with the path and a hint.
        mkfifo(&cache.lock_path("f"));
        let e = shown(&cache.lock("f", far()).unwrap_err());
        assert!(
            e.contains("f.lock`: cannot lock: it is a FIFO, not a regular file"),
            "{e}"
        );
        assert!(e.contains("hint: remove the file"), "{e}");
        let target = tmp.path().join("target.lock");
        std::os::unix::fs::symlink(&target, cache.lock_path("s")).unwrap();
        let e = shown(&cache.lock("s", far()).unwrap_err());
        assert!(e.contains("cannot lock: it is a symbolic link"), "{e}");
        assert!(!target.exists(), "the link's target was not created");

        // An oversized entry is not read into memory.
        let big = vec![b' '; (ENTRY_LIMIT + 1) as usize];
        fs::write(dir.join("big.json"), big).unwrap();
        assert!(cache.read("big").is_none());
    }

    #[test]
    fn a_lock_wait_ends_at_its_deadline() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path()).unwrap();
        let held = cache.lock("k", far()).unwrap().unwrap();
        let t = Instant::now();
        let got = cache.lock("k", t + Duration::from_millis(300)).unwrap();
        assert!(got.is_none(), "the lock is held");
        let waited = t.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
        drop(held);
        assert!(cache.lock("k", Instant::now()).unwrap().is_some());
    }
}
