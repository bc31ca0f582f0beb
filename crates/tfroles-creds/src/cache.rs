//! The shared credential cache: one JSON file per session key in a private
//! directory, written atomically, with a per-key lock file that makes
//! concurrent callers for the same cold key wait for one STS call.
//!
//! Readers take no lock: every write is a rename of a complete file, so a
//! reader sees the old entry or the new one, never part of either. A
//! writer that dies holding the lock releases it with its file descriptor.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// [`Error::Cache`] when none of them can be determined.
    pub fn default_dir(env: &Env) -> Result<PathBuf, Error> {
        if let Some(d) = env.get("TFROLES_CACHE_DIR").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(d));
        }
        if let Some(d) = env
            .get("XDG_CACHE_HOME")
            .filter(|d| Path::new(d).is_absolute())
        {
            return Ok(Path::new(&d).join("tfroles"));
        }
        match env.get("HOME").filter(|d| !d.is_empty()) {
            Some(home) => Ok(Path::new(&home).join(".cache").join("tfroles")),
            None => Err(Error::Cache {
                path: PathBuf::from("~/.cache/tfroles"),
                reason: "neither TFROLES_CACHE_DIR, XDG_CACHE_HOME nor HOME is set".into(),
                hint: "set TFROLES_CACHE_DIR to a private directory, or pass --no-cache".into(),
            }),
        }
    }

    /// Opens (creating it 0700 if needed) a cache directory, refusing one
    /// that another user owns or that others can write to: anyone who can
    /// write there could hand this process credentials of their choosing.
    ///
    /// # Errors
    /// [`Error::Cache`] naming the directory and what is wrong with it.
    pub fn open(dir: &Path) -> Result<Cache, Error> {
        let err = |reason: String, hint: &str| Error::Cache {
            path: dir.to_path_buf(),
            reason,
            hint: hint.into(),
        };
        if !dir.exists() {
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
        }
        let meta = fs::symlink_metadata(dir)
            .map_err(|e| err(format!("cannot read it: {e}"), "check the path"))?;
        if !meta.is_dir() {
            return Err(err(
                "it is not a directory".into(),
                "remove it, or set TFROLES_CACHE_DIR elsewhere",
            ));
        }
        #[cfg(unix)]
        {
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
            if mode != 0o700 {
                // Readable by others is not a hole (entries are 0600), but
                // there is no reason for it; tighten as ssh-agent would.
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                    err(
                        format!("cannot make it private: {e}"),
                        "run `chmod 700` on it",
                    )
                })?;
            }
        }
        Ok(Cache {
            dir: dir.to_path_buf(),
        })
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
    /// replaced by the next write, never an error.
    pub fn read(&self, key: &str) -> Option<Credentials> {
        let bytes = fs::read(self.entry(key)).ok()?;
        match serde_json::from_slice::<Credentials>(&bytes) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::debug!(key, error = %e, "discarding unreadable cache entry");
                None
            }
        }
    }

    /// Stores credentials for `key`: a 0600 temporary file in the cache
    /// directory, flushed, then renamed over the entry. Call it holding the
    /// key's [`lock`](Cache::lock), which clears the temporary files of
    /// writers that died before their rename.
    ///
    /// # Errors
    /// [`Error::Cache`] when the file cannot be written.
    pub fn write(&self, key: &str, creds: &Credentials) -> Result<(), Error> {
        let path = self.entry(key);
        let err = |e: std::io::Error| Error::Cache {
            path: path.clone(),
            reason: format!("cannot write the entry: {e}"),
            hint: "check free space and permissions, or pass --no-cache".into(),
        };
        // tempfile creates its files 0600.
        let mut tmp = tempfile::Builder::new()
            .prefix(&Self::tmp_prefix(key))
            .tempfile_in(&self.dir)
            .map_err(err)?;
        tmp.write_all(&serde_json::to_vec(creds).expect("credentials serialise"))
            .map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(&path).map_err(|e| err(e.error))?;
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

    /// Blocks until this process holds the lock for `key`, then removes
    /// temporary files left by `key`'s writers that were killed before
    /// their rename: only the lock's holder writes them, so none is live.
    ///
    /// # Errors
    /// [`Error::Cache`] when the lock file cannot be opened or locked.
    pub fn lock(&self, key: &str) -> Result<KeyLock, Error> {
        let path = self.dir.join(format!("{key}.lock"));
        let err = |e: std::io::Error| Error::Cache {
            path: path.clone(),
            reason: format!("cannot lock: {e}"),
            hint: "pass --no-cache to bypass the cache".into(),
        };
        let mut opts = OpenOptions::new();
        opts.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(&path).map_err(err)?;
        file.lock().map_err(err)?;
        let prefix = Self::tmp_prefix(key);
        for e in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                tracing::debug!(key, file = ?e.file_name(), "removing a dead writer's temporary file");
                let _ = fs::remove_file(e.path());
            }
        }
        Ok(KeyLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;

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
        let _l = cache.lock("k").unwrap();
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
        let e = Cache::open(tmp.path()).unwrap_err().to_string();
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
        let _l = cache.lock("k").unwrap();
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
}
