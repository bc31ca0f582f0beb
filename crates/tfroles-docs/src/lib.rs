//! The Rust examples of `README.md` ("As a library") and
//! `docs/guides/rust-library.md`, compiled and run as doctests against the
//! current API, so the pages cannot drift from the code.
//!
//! `build.rs` copies the pages to `OUT_DIR`, adding to each example, as
//! hidden lines, a [`Run`] that sets up where it runs and checks what it
//! prints; the pages themselves stay plain Markdown. How a page marks an
//! example (`<!-- rust-test: repo output -->`, ...) is described in
//! `build.rs` and in docs/development.md ("Docs are tested").
//!
//! ```
//! let run = tfroles_docs::Run::new(tfroles_docs::Dir::PerEnvironmentRoles);
//! assert!(std::path::Path::new("tfroles.hcl").is_file());
//! assert!(std::path::Path::new("qa/api/main.tf").is_file());
//! drop(run);
//! ```

#![warn(missing_docs)]

use std::fs;
use std::io::{Read as _, Seek as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};

use tfroles_testsupport::{copy_tree, workspace_root};

#[doc = include_str!(concat!(env!("OUT_DIR"), "/readme.md"))]
mod readme {}

#[doc = include_str!(concat!(env!("OUT_DIR"), "/rust-library.md"))]
mod rust_library {}

/// Where an example runs.
#[derive(Debug, Clone, Copy)]
pub enum Dir {
    /// Where the test starts (the example reads and writes no files).
    Here,
    /// A scratch copy of the repository docs/guides/per-environment-roles.md
    /// builds: the files its "The repository" block lists (empty), and its
    /// `tfroles.hcl`.
    PerEnvironmentRoles,
    /// A scratch copy of `fixtures/NAME/input`.
    Fixture(&'static str),
}

/// One example's run: its scratch directory (the current directory while
/// it lives) and, with [`Run::expect_stdout`], what it must print.
///
/// Each doctest runs in a process of its own (rustdoc's rule), so changing
/// the current directory and standard output here touches no other test.
pub struct Run {
    _scratch: Option<tempfile::TempDir>,
    capture: Option<(fs::File, libc::c_int, String)>,
}

impl Run {
    /// Enters `dir` (copied to a scratch directory first).
    ///
    /// # Panics
    /// When the scratch directory cannot be made, or the page it is built
    /// from has lost its blocks.
    pub fn new(dir: Dir) -> Run {
        let scratch = match dir {
            Dir::Here => None,
            Dir::PerEnvironmentRoles => {
                let tmp = tempfile::tempdir().unwrap();
                per_environment_roles(tmp.path());
                Some(tmp)
            }
            Dir::Fixture(name) => {
                let tmp = tempfile::tempdir().unwrap();
                copy_tree(
                    &workspace_root().join("fixtures").join(name).join("input"),
                    tmp.path(),
                );
                Some(tmp)
            }
        };
        if let Some(tmp) = &scratch {
            std::env::set_current_dir(tmp.path()).unwrap();
        }
        Run {
            _scratch: scratch,
            capture: None,
        }
    }

    /// From here on, standard output goes to a file, which must read
    /// `expected` when the run ends (the example's `main` returns).
    ///
    /// # Panics
    /// When standard output cannot be redirected.
    pub fn expect_stdout(mut self, expected: &str) -> Run {
        std::io::stdout().flush().unwrap();
        let file = tempfile::tempfile().unwrap();
        // SAFETY: plain descriptor calls on descriptors this process owns;
        // the saved copy of fd 1 is put back in `drop`.
        let saved = unsafe { libc::dup(1) };
        assert!(saved >= 0, "dup(1) failed");
        assert!(
            unsafe { libc::dup2(file.as_raw_fd(), 1) } >= 0,
            "dup2 failed"
        );
        self.capture = Some((file, saved, expected.to_owned()));
        self
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let Some((mut file, saved, expected)) = self.capture.take() else {
            return;
        };
        std::io::stdout().flush().unwrap();
        // SAFETY: as in `expect_stdout`.
        unsafe {
            libc::dup2(saved, 1);
            libc::close(saved);
        }
        let mut got = String::new();
        file.rewind().unwrap();
        file.read_to_string(&mut got).unwrap();
        if got != expected && !std::thread::panicking() {
            panic!(
                "the example printed\n{got}\nbut the page shows\n{expected}\n(the ```text block after it)"
            );
        }
    }
}

/// Builds the repository of docs/guides/per-environment-roles.md in `dir`:
/// every path its first ```` ```text ```` block lists, empty, and its
/// `tfroles.hcl` (the block marked `doc-test: file tfroles.hcl`).
fn per_environment_roles(dir: &Path) {
    let page = workspace_root().join("docs/guides/per-environment-roles.md");
    let text = fs::read_to_string(&page).unwrap();
    let block = |after: &str| -> String {
        let start = text
            .find(after)
            .unwrap_or_else(|| panic!("{}: no `{after}`", page.display()));
        let body = &text[start + after.len()..];
        let body = &body[body.find('\n').unwrap() + 1..];
        body[..body.find("\n```").unwrap()].to_owned()
    };
    for path in block("```text").lines() {
        let path: PathBuf = dir.join(path.trim());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "").unwrap();
    }
    let config = block("<!-- doc-test: file tfroles.hcl -->\n```hcl");
    fs::write(dir.join("tfroles.hcl"), config + "\n").unwrap();
}
