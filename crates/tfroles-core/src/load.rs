//! Finding and reading `tfroles.hcl`: the only file the model is made
//! from, read as a bounded regular file, parsed, then validated.

use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::model::Config;
use crate::raw;
use crate::validate::validate;

/// The name tfroles looks for.
pub const CONFIG_FILE_NAME: &str = "tfroles.hcl";
/// The largest config file read: far above any real one (10,000 stacks
/// are about 2 MB), and a bound on what a hostile repository can make us
/// hold in memory.
pub const MAX_CONFIG_BYTES: u64 = 32 << 20;

/// Reads the config file as a regular file only: a symbolic link is not
/// followed (the stacks are relative to the file's own directory, and a link
/// would make that ambiguous), a FIFO or device is refused without blocking
/// on it, and the size is bounded.
///
/// # Errors
/// The I/O error, or `InvalidData`/`InvalidInput` for a file that is not
/// regular or is too large.
pub fn read_config_file(path: &Path) -> std::io::Result<Vec<u8>> {
    read_regular(path, MAX_CONFIG_BYTES)
}

/// Reads a regular file of at most `max` bytes, never through a symbolic
/// link, without blocking on a FIFO (`tfroles_fs`), worded for the config
/// and the module manifests; shared with [`crate::modules`].
pub(crate) fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use tfroles_fs::{Links, Refusal};
    tfroles_fs::read_regular(path, Links::Refuse, max).map_err(|e| {
        let text = match Refusal::of(&e) {
            Some(Refusal::SymbolicLink) => {
                return crate::error::Refused::io(
                    "it is a symbolic link, which tfroles does not follow",
                    "name the file it points to with `--config PATH`",
                );
            }
            Some(Refusal::NotRegular { .. }) => {
                "it is not a regular file (a directory, FIFO, socket or device)".to_owned()
            }
            Some(Refusal::TooLarge {
                len: Some(len),
                limit,
            }) => {
                format!("it is {len} bytes, more than the {limit} tfroles reads")
            }
            Some(Refusal::TooLarge { len: None, limit }) => {
                format!("it is more than the {limit} bytes tfroles reads")
            }
            _ => return e,
        };
        std::io::Error::other(text)
    })
}

impl Config {
    /// Finds `tfroles.hcl` in `start` or its nearest parent, like git finds `.git`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no directory up to the root has one.
    pub fn find(start: &Path) -> Result<PathBuf> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            let candidate = d.join(CONFIG_FILE_NAME);
            if candidate.is_file() {
                return Ok(candidate);
            }
            dir = d.parent();
        }
        Err(Error::NotFound {
            start: start.to_path_buf(),
        })
    }

    /// Reads and validates a config file. Stacks are relative to its directory.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read, [`Error::Invalid`] with every
    /// problem found when it is not a valid configuration.
    pub fn from_path(path: &Path) -> Result<Config> {
        let bytes = read_config_file(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let prefix = &e.as_bytes()[..offset];
            let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = std::str::from_utf8(
                &prefix[prefix
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1)..],
            )
            .map_or(1, |s| s.chars().count() + 1);
            Error::Invalid(Diagnostics(vec![Diagnostic {
                file: path.to_path_buf(),
                location: Some(Location { line, column }),
                block: None,
                attribute: None,
                message: "the file is not valid UTF-8".into(),
                allowed: None,
                hint: Some("save tfroles.hcl as UTF-8".into()),
            }]))
        })?;
        let root = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self::from_str_at(&text, path, &root)
    }

    /// Parses and validates config text; `file` names it in messages and
    /// `root` is the directory stacks are relative to.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every problem found.
    pub fn from_str_at(text: &str, file: &Path, root: &Path) -> Result<Config> {
        // Editors on Windows save UTF-8 with a byte-order mark; HCL has no
        // token for it, and it is not part of the text.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let body = raw::parse(text).map_err(|e| {
            Error::Invalid(Diagnostics(vec![Diagnostic {
                file: file.to_path_buf(),
                location: Some(e.loc),
                block: None,
                attribute: None,
                message: if e.at_end {
                    format!("this is not valid HCL: the file ends too early: {}", e.message)
                } else {
                    format!("this is not valid HCL: {}", e.message)
                },
                allowed: None,
                hint: Some(if e.at_end {
                    "a block, list, object or string is not closed: check for a missing `}`, `]` or `\"`".into()
                } else {
                    "tfroles.hcl is HCL, like Terraform files: `name = \"value\"` attributes inside `kind \"label\" { ... }` blocks".into()
                }),
            }]))
        })?;
        validate(&body, file, root)
    }

    /// Parses and validates config text as if it were `./tfroles.hcl`.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every problem found.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<Config> {
        Self::from_str_at(text, Path::new(CONFIG_FILE_NAME), Path::new("."))
    }

    /// A builder for the same model in code; see [`crate::ConfigBuilder`].
    pub fn builder() -> crate::ConfigBuilder {
        crate::ConfigBuilder::new()
    }
}
