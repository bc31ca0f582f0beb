//! Shell completions, and the binary's behaviour on a closed stdout.

use std::io::Read;
use std::process::{Command, Stdio};

fn tfroles() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tfroles"))
}

#[test]
fn completions_cover_every_command_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = tfroles().args(["completions", shell]).output().unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8(out.stdout).unwrap();
        for cmd in [
            "generate",
            "validate",
            "roles",
            "graph",
            "credential-process",
            "env",
            "exec",
        ] {
            assert!(script.contains(cmd), "{shell} completion lacks {cmd}");
        }
        assert!(
            script.contains("refresh-before"),
            "{shell} completion lacks flags"
        );
    }
    let out = tfroles().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    for args in [&["completions", "bash"][..], &["--help"]] {
        let mut child = tfroles()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then hang up, as `| head -c1` would.
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        let _ = stdout.read(&mut one);
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
