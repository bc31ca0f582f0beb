use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use crate::{find_on_path, install_once, peers_dir, tail};

/// What [`python_env`] installs, pinned so every machine runs the same peers.
///
/// awscli 1.46.3 and boto3 1.44.5 are what pip resolves together with
/// moto 5.2.5. awscli 1.46 ships its own copy of botocore (`awscli.botocore`,
/// 1.43.x) and ignores the installed one; the pinned botocore is the one
/// boto3 and moto use, pinned because it decides their wire behaviour.
pub const PYTHON_REQUIREMENTS: &[&str] = &[
    "moto[server]==5.2.5",
    "awscli==1.46.3",
    "boto3==1.44.5",
    "botocore==1.44.5",
];

/// A Python virtual environment holding moto, the AWS CLI (v1) and boto3.
#[derive(Debug)]
pub struct PythonEnv {
    dir: PathBuf,
}

impl PythonEnv {
    /// The venv's root directory (`<peers_dir>/venv`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the venv's executable `name` (for example `aws` or
    /// `moto_server`).
    pub fn bin(&self, name: &str) -> PathBuf {
        if cfg!(windows) {
            self.dir.join("Scripts").join(format!("{name}.exe"))
        } else {
            self.dir.join("bin").join(name)
        }
    }

    /// The venv's Python interpreter.
    pub fn python(&self) -> PathBuf {
        self.bin("python")
    }
}

/// The shared Python venv at `<peers_dir>/venv`, with [`PYTHON_REQUIREMENTS`]
/// installed.
///
/// It is created once per machine with `python3 -m venv` and `pip install`
/// (needs PyPI), under a cross-process file lock; a changed requirement list
/// or Python version triggers a reinstall. Within a process the result is
/// cached, including a failure, so only the first caller pays for a broken
/// install and every caller gets the same message.
///
/// # Panics
///
/// When `python3` is missing or the install fails; the message says what was
/// run and ends with its output.
pub fn python_env() -> &'static PythonEnv {
    static ENV: OnceLock<Result<PythonEnv, String>> = OnceLock::new();
    match ENV.get_or_init(create_python_env) {
        Ok(env) => env,
        Err(message) => panic!("{message}"),
    }
}

/// The AWS CLI (v1) from [`python_env`], isolated from the developer's setup.
///
/// Every inherited `AWS_*` variable is removed (see [`scrub_aws_env`]),
/// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` point at an empty file,
/// the instance metadata service is disabled and the pager is off. Add the
/// endpoint and keys with [`crate::Moto::apply_env`] or [`crate::Moto::env`];
/// to test a config or credentials file, set those two variables again.
pub fn aws_cli() -> Command {
    let mut cmd = Command::new(python_env().bin("aws"));
    scrub_aws_env(&mut cmd);
    let empty = empty_aws_file();
    cmd.env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME");
    cmd
}

/// Removes from `cmd` every `AWS_*` variable this process inherited (profile,
/// keys, session token, region, CA bundle, web identity, ...), so a test's
/// AWS client sees only what the test sets.
pub fn scrub_aws_env(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// A file that reads as empty and that nobody can fill: a test running
/// `aws configure set` by mistake must not leak settings into other tests.
pub(crate) fn empty_aws_file() -> PathBuf {
    if cfg!(unix) {
        PathBuf::from("/dev/null")
    } else {
        crate::empty_file("empty-aws-file")
    }
}

fn create_python_env() -> Result<PythonEnv, String> {
    let dir = peers_dir().join("venv");
    let fix = "Fix: install Python 3.9+ with the venv module as `python3` on PATH \
               (Debian: apt-get install python3 python3-venv) and make PyPI reachable \
               for pip; then rerun the tests";
    let fail = |what: String| {
        format!(
            "peer `python venv` (moto, awscli, boto3) is not available.\n\
             Tried: create {} with `python3 -m venv` and pip install {}.\n\
             Failed: {what}\n{fix}",
            dir.display(),
            PYTHON_REQUIREMENTS.join(" "),
        )
    };

    let python3 = find_on_path("python3").ok_or_else(|| fail("`python3` is not on PATH".into()))?;
    let version = run_quiet(
        Command::new(&python3).args(["-c", "import sys; print(sys.version)"]),
        "python3 -c 'import sys; print(sys.version)'",
    )
    .map_err(&fail)?;
    // The interpreter's version is part of the spec because a venv does not
    // survive a change of its base Python.
    let spec = format!(
        "python {}\n{}\n",
        version.trim(),
        PYTHON_REQUIREMENTS.join("\n")
    );

    let started = Instant::now();
    let mut installed = false;
    install_once(&dir, &spec, |dir| {
        installed = true;
        install_venv(&python3, dir)
    })
    .map_err(&fail)?;
    if installed {
        eprintln!(
            "tfroles-testsupport: installed the Python venv (moto, awscli, boto3) in {:.1?}",
            started.elapsed()
        );
    }
    Ok(PythonEnv { dir })
}

fn install_venv(python3: &Path, dir: &Path) -> Result<(), String> {
    let env = PythonEnv {
        dir: dir.to_path_buf(),
    };
    run_quiet(
        Command::new(python3).args(["-m", "venv"]).arg(dir),
        &format!("python3 -m venv {}", dir.display()),
    )?;

    let requirements = dir.join("requirements.txt");
    fs::write(&requirements, PYTHON_REQUIREMENTS.join("\n") + "\n")
        .map_err(|e| format!("cannot write {}: {e}", requirements.display()))?;
    let log_path = dir.join("pip-install.log");
    let log = fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cannot reuse {}: {e}", log_path.display()))?;
    let status = Command::new(env.python())
        .args(["-m", "pip", "install", "--no-input", "-r"])
        .arg(&requirements)
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .status()
        .map_err(|e| format!("cannot run pip in {}: {e}", dir.display()))?;
    if !status.success() {
        let output = fs::read_to_string(&log_path).unwrap_or_default();
        return Err(format!(
            "`pip install -r {}` exited with {status}; end of its output:\n{}",
            requirements.display(),
            tail(&output, 4000)
        ));
    }

    // A pip that exits 0 has still been seen to leave a broken environment
    // behind (for example a wheel built against a different interpreter).
    run_quiet(
        Command::new(env.python()).args(["-c", "import moto.server, boto3, awscli"]),
        "python -c 'import moto.server, boto3, awscli'",
    )?;
    Ok(())
}

/// Runs `cmd`, returning its stdout, or an error with its stderr.
pub(crate) fn run_quiet(cmd: &mut Command, shown: &str) -> Result<String, String> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "`{shown}` exited with {}:\n{}{}",
            output.status,
            tail(&String::from_utf8_lossy(&output.stdout), 2000),
            tail(&String::from_utf8_lossy(&output.stderr), 4000)
        ))
    }
}
