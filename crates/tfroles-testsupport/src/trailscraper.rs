//! trailscraper, the offline CloudTrail-to-policy tool `tfroles usage` is
//! compared with, in a small venv of its own: it pins its own boto3 and
//! click, which must not meet moto's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::python::run_quiet;
use crate::{find_on_path, install_once, peers_dir};

/// The pinned trailscraper, and the versions pip resolved with it when the
/// comparison was written (trailscraper 0.10.0 pins the first six itself).
pub const TRAILSCRAPER_REQUIREMENTS: &[&str] = &[
    "trailscraper==0.10.0",
    "boto3==1.38.3",
    "click==8.1.8",
    "dateparser==1.2.1",
    "pytz==2025.2",
    "ruamel.yaml==0.18.10",
    "toolz==1.0.0",
    "botocore==1.38.46",
];

fn create() -> Result<PathBuf, String> {
    let dir = peers_dir().join("trailscraper-venv");
    let fail = |what: String| {
        format!(
            "peer `trailscraper` is not available.\nTried: create {} with `python3 -m venv` and pip install {}.\n\
             Failed: {what}\nFix: install Python 3.9+ with venv as `python3` and make PyPI reachable; then rerun the tests",
            dir.display(),
            TRAILSCRAPER_REQUIREMENTS.join(" ")
        )
    };
    let python3 = find_on_path("python3").ok_or_else(|| fail("`python3` is not on PATH".into()))?;
    let spec = TRAILSCRAPER_REQUIREMENTS.join("\n") + "\n";
    install_once(&dir, &spec, |dir: &Path| {
        run_quiet(
            Command::new(&python3).args(["-m", "venv"]).arg(dir),
            "python3 -m venv",
        )?;
        run_quiet(
            Command::new(dir.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(TRAILSCRAPER_REQUIREMENTS),
            &format!("pip install {}", TRAILSCRAPER_REQUIREMENTS.join(" ")),
        )?;
        run_quiet(
            Command::new(dir.join("bin/trailscraper")).arg("--version"),
            "trailscraper --version",
        )
        .map(|_| ())
    })
    .map_err(fail)?;
    Ok(dir.join("bin/trailscraper"))
}

/// `trailscraper` from its venv, with no AWS settings of the developer's.
///
/// # Panics
/// When the venv cannot be installed.
pub fn trailscraper() -> Command {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let bin = match BIN.get_or_init(create) {
        Ok(b) => b,
        Err(m) => panic!("{m}"),
    };
    let mut cmd = Command::new(bin);
    crate::scrub_aws_env(&mut cmd);
    cmd.env_remove("PYTHONPATH").env_remove("PYTHONHOME");
    cmd
}
