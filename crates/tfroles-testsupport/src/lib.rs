//! Test helpers that start **real** peers for tfroles' tests: a moto server
//! (local STS/S3/IAM), the AWS CLI, terraform, and HashiCorp's own HCL parser.
//!
//! Nothing here is a mock. Whatever a peer needs is installed on first use
//! under the cargo target directory (`target/peers/`), once per machine, under
//! a cross-process file lock, so `cargo test --workspace` works on a fresh
//! machine with nothing started by hand and many test binaries may call these
//! helpers at the same time. A peer that cannot be had is a panic that names
//! the peer, what was tried and how to fix it; tests are never skipped
//! silently.
//!
//! Entry points:
//! - [`Moto::start`]: a moto server on a free loopback port, killed on drop.
//! - [`aws_cli`], [`python_env`]: the AWS CLI v1, boto3 and moto in a venv.
//! - [`terraform`], [`terraform_fmt_check`], [`terraform_fmt_stdin`].
//! - [`hcl2json`], [`hcl2json_many`]: parse HCL with `@cdktf/hcl2json`.
//! - [`trailscraper`]: trailscraper, to compare `tfroles usage` with.

#![warn(missing_docs)]

mod hcl2json;
mod install;
mod moto;
mod precommit;
mod python;
mod terraform;
mod trailscraper;

pub use hcl2json::{
    HCL2JSON_PACKAGE, HCL2JSON_VERSION, hcl2json, hcl2json_many, try_hcl2json, try_hcl2json_many,
};
pub use install::install_once;
pub use moto::{AssumedRole, Moto};
pub use precommit::{PRE_COMMIT_REQUIREMENT, pre_commit};
pub use python::{PYTHON_REQUIREMENTS, PythonEnv, aws_cli, python_env, scrub_aws_env};
pub use terraform::{terraform, terraform_fmt_check, terraform_fmt_stdin};
pub use trailscraper::{TRAILSCRAPER_REQUIREMENTS, trailscraper};

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Copies the directory tree `from` to `to` (directories and regular files),
/// for tests that work on a scratch copy of a fixture.
///
/// # Panics
///
/// On any I/O error, naming nothing more: the paths are the test's own.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// The root of the cargo workspace (the directory whose `Cargo.toml` has a
/// `[workspace]` table).
pub fn workspace_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        manifest_dir
            .ancestors()
            .find(|dir| {
                fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
            })
            .unwrap_or(manifest_dir)
            .to_path_buf()
    })
    .clone()
}

/// The cargo target directory this test binary belongs to.
///
/// `CARGO_TARGET_DIR` wins when set; otherwise the nearest ancestor of the
/// running executable that holds cargo's `CACHEDIR.TAG` (so a target dir set in
/// `.cargo/config.toml` is found too); otherwise `<workspace>/target`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe
            .ancestors()
            .skip(1)
            .find(|d| d.join("CACHEDIR.TAG").is_file())
    {
        return dir.to_path_buf();
    }
    workspace_root().join("target")
}

/// `<target dir>/peers`, created if missing: where every peer is installed
/// and where peers' logs and scratch files go.
pub fn peers_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = target_dir().join("peers");
        fs::create_dir_all(&dir).unwrap_or_else(|e| {
            panic!(
                "tfroles-testsupport: cannot create the peers directory {}: {e}",
                dir.display()
            )
        });
        dir
    })
    .clone()
}

/// True when the `CI` environment variable is `true` or `1`.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim();
        v == "1" || v.eq_ignore_ascii_case("true")
    })
}

/// A loopback TCP port that was free a moment ago.
///
/// The port is released before returning, so another process may grab it
/// first: callers that start a server on it must retry with a new port when
/// the bind fails (as [`Moto::start`] does). Within this process the same
/// port is never handed out twice, which rules out the common race between
/// test threads.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    for _ in 0..50 {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .unwrap_or_else(|e| panic!("tfroles-testsupport: cannot bind 127.0.0.1:0: {e}"));
        let port = listener
            .local_addr()
            .expect("a bound listener has a local address")
            .port();
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if given.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
    panic!("tfroles-testsupport: the OS kept handing out ports this process already used")
}

/// The first executable called `name` on `PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Writes `contents` so that readers see either the old file or the whole new
/// one, never a half-written file: several processes may read it meanwhile.
fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().unwrap_or(OsStr::new("file"));
    let tmp = path.with_file_name(format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)
}

/// The last `max` bytes of `text`, cut at a character boundary, so panics
/// carry the useful end of a long log without flooding the terminal.
fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// A file with nothing in it, for settings that must name a file but must not
/// pick up anything from the developer's machine (`~/.aws`, `~/.terraformrc`).
fn empty_file(name: &str) -> PathBuf {
    let path = peers_dir().join(name);
    if fs::metadata(&path).map(|m| m.len()).ok() != Some(0) {
        write_atomic(&path, b"").unwrap_or_else(|e| {
            panic!(
                "tfroles-testsupport: cannot write the empty file {}: {e}",
                path.display()
            )
        });
    }
    path
}
