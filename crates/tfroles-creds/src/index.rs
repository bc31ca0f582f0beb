//! The hit index: a cache hit without loading the config.
//!
//! A `credential-process --role NAME` run reads `tfroles.hcl`, validates
//! it and derives the session (role ARN, external id, session policy from
//! the IAM catalog) only to name its cache entry. The index remembers that
//! name's parts for the exact inputs of a run that succeeded: an
//! [`index_key`] over the binary itself, the arguments, the working
//! directory, the config file's path and contents, and the whole
//! environment. Each [`IndexEntry`] holds the request's
//! [`description`](crate::SessionRequest::description) and how the base
//! identity was chosen; [`hit`] recomputes the base identity's fingerprint
//! (its files and variables are read again, as a full run reads them) and
//! the cache key with the same function a full run uses, then reads that
//! entry. Anything else that differs (a changed config, another binary,
//! another variable) is another index key, so a miss: the full run then
//! decides, and writes the index for next time.
//!
//! The index lives in `index/` inside the cache directory (0700, files
//! 0600): it holds no secret (the environment enters the key only through
//! SHA-256), and anyone who could write it could write cache entries.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration as StdDuration, SystemTime};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::request::hex;
use crate::{BaseIdentity, Cache, Credentials, Env, Error, WebIdentitySource};

/// The most an index entry may be (they are a few kB: the session policy
/// is the largest part).
const INDEX_LIMIT: u64 = 64 * 1024;

/// Index entries older than this are removed when another is written: no
/// session lasts longer than 12 hours, so an older entry names only
/// expired sessions.
const INDEX_AGE: StdDuration = StdDuration::from_secs(24 * 3600);

/// What the full run decided, for the inputs its index key hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The request's description, as [`crate::cache_key_of`] takes it.
    pub request: serde_json::Map<String, serde_json::Value>,
    /// The base identity the run started from.
    pub base: BaseIdentity,
    /// The config's web identities, in order, when the base was chosen
    /// from them (no `--web-identity` or `--profile`): whether each is
    /// available is asked again on a hit, as the full run asks.
    pub choose_from: Option<Vec<WebIdentitySource>>,
    /// The refresh window, in seconds.
    pub window: u64,
}

/// The index key: SHA-256 over `parts`, each length-prefixed so that no
/// two different lists of parts hash alike.
pub fn index_key(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    h.update(b"tfroles-hit-index-v1");
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex(&h.finalize())
}

impl Cache {
    fn index_dir(&self) -> PathBuf {
        self.dir().join("index")
    }

    fn index_path(&self, key: &str) -> PathBuf {
        self.index_dir().join(format!("{key}.json"))
    }

    /// The index entry for `key`, if there is a readable one (a regular
    /// file, not through a link, bounded; anything else is a miss).
    pub fn read_index(&self, key: &str) -> Option<IndexEntry> {
        let bytes = tfroles_fs::read_regular(
            &self.index_path(key),
            tfroles_fs::Links::Refuse,
            INDEX_LIMIT,
        )
        .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores the index entry for `key` (0600, written whole and renamed
    /// into place), and removes entries older than a day.
    ///
    /// # Errors
    /// [`Error::Cache`] when the index directory or the file cannot be written.
    pub fn write_index(&self, key: &str, entry: &IndexEntry) -> Result<(), Error> {
        let dir = self.index_dir();
        let err = |e: std::io::Error| Error::Cache {
            path: dir.clone(),
            reason: format!("cannot write the hit index: {e}"),
            hint: "check free space and permissions, or pass --no-cache".into(),
        };
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(err(std::io::Error::other(
                    "it is not a directory tfroles made",
                )));
            }
            Err(_) => {
                let mut b = fs::DirBuilder::new();
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
                b.create(&dir).map_err(err)?;
            }
        }
        let text = serde_json::to_vec(entry).expect("an index entry serialises");
        tfroles_fs::replace_file(
            &self.index_path(key),
            ".tmp-",
            &text,
            tfroles_fs::Durability::Unsynced,
        )
        .map_err(err)?;
        self.sweep_index();
        Ok(())
    }

    /// Removes index entries (and temporary files) older than a day.
    fn sweep_index(&self) {
        let Ok(entries) = fs::read_dir(self.index_dir()) else {
            return;
        };
        let now = SystemTime::now();
        for e in entries.flatten() {
            let old = e
                .metadata()
                .ok()
                .filter(fs::Metadata::is_file)
                .and_then(|m| m.modified().ok())
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > INDEX_AGE);
            if old {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// The cached credentials the index names for `key`, if they are fresh:
/// the base identity chosen again (when it was chosen from the config's
/// web identities) and fingerprinted again from `env` and the files it
/// names, then the cache key computed as a full run computes it.
pub fn hit(cache: &Cache, key: &str, env: &Env, now: Timestamp) -> Option<Credentials> {
    let entry = cache.read_index(key)?;
    if let Some(sources) = &entry.choose_from {
        let chosen = sources
            .iter()
            .find(|s| crate::oidc::available(s, env))
            .cloned()
            .map_or(
                BaseIdentity::DefaultChain { profile: None },
                BaseIdentity::WebIdentity,
            );
        if chosen != entry.base {
            return None;
        }
    }
    let cache_key = crate::cache_key_of(&entry.request, &entry.base, env);
    cache
        .read(&cache_key)
        .filter(|c| crate::fresh(c, now, StdDuration::from_secs(entry.window)))
}
