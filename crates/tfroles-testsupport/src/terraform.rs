use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::{empty_file, find_on_path};

/// `terraform` from `PATH`, isolated from the developer's setup.
///
/// Every inherited `TF_*` variable is removed (so `TF_LOG`, `TF_CLI_ARGS*`,
/// `TF_WORKSPACE` or `TF_DATA_DIR` cannot change what a test sees), then:
/// `TF_CLI_CONFIG_FILE` points at an empty file under [`crate::peers_dir`],
/// `CHECKPOINT_DISABLE=1`, `TF_IN_AUTOMATION=1`, `TF_INPUT=0`. AWS settings
/// are not touched: use [`crate::Moto::apply_env`] for runs against moto.
///
/// # Panics
///
/// When `terraform` is not on `PATH`.
pub fn terraform() -> Command {
    let mut cmd = Command::new(terraform_path());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TF_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("TF_CLI_CONFIG_FILE", empty_file("terraform.rc"))
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0");
    cmd
}

fn terraform_path() -> &'static PathBuf {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| find_on_path("terraform"))
        .as_ref()
        .unwrap_or_else(|| {
            panic!(
                "peer `terraform` is not available.\n\
                 Tried: an executable named `terraform` in every PATH directory.\n\
                 Fix: install terraform 1.10 or newer (these tests are checked against \
                 1.11.4) as `terraform` on PATH, then rerun the tests"
            )
        })
}

/// Asserts that `path` (a file or a directory) is in terraform's canonical
/// layout, by running `terraform fmt -check -diff <path>`.
///
/// # Panics
///
/// With terraform's diff when the layout is not canonical (exit 3), or with
/// its error output when it cannot read or parse the file.
pub fn terraform_fmt_check(path: &Path) {
    let output = terraform()
        .args(["fmt", "-check", "-diff"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `terraform fmt -check -diff`: {e}"));
    match output.status.code() {
        Some(0) => {}
        Some(3) => panic!(
            "{} is not in terraform's canonical layout; `terraform fmt -diff` wants:\n{}",
            path.display(),
            String::from_utf8_lossy(&output.stdout)
        ),
        _ => panic!(
            "`terraform fmt -check -diff {}` failed with {}:\n{}{}",
            path.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// What `terraform fmt -` prints for `text`: terraform's canonical layout of
/// it.
///
/// # Panics
///
/// When terraform rejects the text (it is not valid HCL), with its error
/// output.
pub fn terraform_fmt_stdin(text: &str) -> String {
    let mut child = terraform()
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `terraform fmt -`: {e}"));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = text.to_owned();
    // Writing from another thread keeps a large input from deadlocking
    // against terraform filling its stdout pipe.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot wait for `terraform fmt -`: {e}"));
    let written = writer.join().expect("the stdin writer does not panic");
    if !output.status.success() {
        panic!(
            "`terraform fmt -` rejected its input ({}):\n{}\n--- input ---\n{text}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    written.unwrap_or_else(|e| panic!("cannot write to `terraform fmt -`: {e}"));
    String::from_utf8(output.stdout)
        .unwrap_or_else(|e| panic!("`terraform fmt -` printed invalid UTF-8: {e}"))
}
