//! The `pre-commit` framework, in a small venv of its own (beside the big
//! one for moto and awscli, so adding it costs seconds, not a reinstall).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::python::run_quiet;
use crate::{find_on_path, install_once, peers_dir};

/// The pinned pre-commit version (the one REFERENCE.md was checked against).
pub const PRE_COMMIT_REQUIREMENT: &str = "pre-commit==4.7.0";

fn create() -> Result<PathBuf, String> {
    let dir = peers_dir().join("pre-commit-venv");
    let fail = |what: String| {
        format!(
            "peer `pre-commit` is not available.\nTried: create {} with `python3 -m venv` and pip install {PRE_COMMIT_REQUIREMENT}.\n\
             Failed: {what}\nFix: install Python 3.9+ with venv as `python3` and make PyPI reachable; then rerun the tests",
            dir.display()
        )
    };
    let python3 = find_on_path("python3").ok_or_else(|| fail("`python3` is not on PATH".into()))?;
    let spec = format!("{PRE_COMMIT_REQUIREMENT}\n");
    install_once(&dir, &spec, |dir: &Path| {
        run_quiet(
            Command::new(&python3).args(["-m", "venv"]).arg(dir),
            "python3 -m venv",
        )?;
        run_quiet(
            Command::new(dir.join("bin/pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                PRE_COMMIT_REQUIREMENT,
            ]),
            &format!("pip install {PRE_COMMIT_REQUIREMENT}"),
        )
        .map(|_| ())
    })
    .map_err(fail)?;
    Ok(dir.join("bin/pre-commit"))
}

/// `pre-commit` from its venv, with its cache under the peers directory so
/// the developer's `~/.cache/pre-commit` is neither read nor written.
///
/// # Panics
/// When the venv cannot be installed.
pub fn pre_commit() -> Command {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let bin = match BIN.get_or_init(create) {
        Ok(b) => b,
        Err(m) => panic!("{m}"),
    };
    let mut cmd = Command::new(bin);
    cmd.env("PRE_COMMIT_HOME", peers_dir().join("pre-commit-cache"))
        .env("PRE_COMMIT_COLOR", "never")
        .env_remove("PRE_COMMIT_ALLOW_NO_CONFIG")
        .env_remove("SKIP");
    cmd
}
