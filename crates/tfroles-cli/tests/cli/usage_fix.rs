//! `tfroles usage --fix`: the narrowed grant written into `tfroles.hcl`
//! from delivered CloudTrail logs, after a confirmation on a terminal (a
//! real pseudo-terminal here) or with `--yes`; what it refuses and leaves.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::usage::{CONFIG, deliver, denied, record, run, setup};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");

/// A first deployment's use of `app`: six ec2 actions (broad), three of
/// s3 (narrow), one denial; nothing of `dns`.
fn used() -> Vec<Value> {
    let ec2 = |n: &str| record("ec2.amazonaws.com", n, "app", "tf-app");
    vec![
        ec2("DescribeInstances"),
        ec2("DescribeImages"),
        ec2("DescribeVpcs"),
        ec2("DescribeSubnets"),
        ec2("RunInstances"),
        ec2("CreateTags"),
        record("s3.amazonaws.com", "ListObjectsV2", "app", "tf-app"),
        record("s3.amazonaws.com", "GetBucketPolicy", "app", "tf-app"),
        // A data event: the trail logs them, so what it shows of object
        // calls is evidence (else granted object actions are kept).
        {
            let mut r = record("s3.amazonaws.com", "GetObject", "app", "tf-app");
            r["eventCategory"] = "Data".into();
            r
        },
        denied(record("iam.amazonaws.com", "CreateRole", "app", "tf-app")),
    ]
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `tfroles simulate`'s answer for one action of `app`: allowed or not.
fn allowed(dir: &Path, action: &str) -> bool {
    let out = run(
        dir,
        &[
            "simulate",
            "--role",
            "app",
            "--action",
            action,
            "--resource",
            "*",
            "--no-session-policy",
        ],
    );
    match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        _ => panic!("simulate {action}: {}", text(&out)),
    }
}

#[test]
fn fix_yes_writes_the_narrowed_grant_and_the_evaluator_agrees() {
    let tmp = setup();
    deliver(tmp.path(), "20261102", 1, &used());
    for a in ["iam:PassRole", "s3:CreateBucket", "ec2:RunInstances"] {
        assert!(allowed(tmp.path(), a), "{a} before");
    }

    let out = run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--fix", "--yes"],
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("role app was denied iam:CreateRole: `--fix` only takes away; `tfroles explain --fix` adds what a denial needs"),
        "{all}"
    );
    assert!(
        all.contains(
            "role dns not narrowed: no events in the logs (a window without use is no evidence)"
        ),
        "{all}"
    );
    assert!(all.contains("--- tfroles.hcl\n+++ tfroles.hcl\n"), "{all}");
    assert!(all.contains("wrote tfroles.hcl (narrowed: app)"), "{all}");
    let after = fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap();
    let expected = CONFIG.replace(
        "  services = [\"ec2\", \"s3\"]\n  actions  = [\"iam:PassRole\"]\n",
        "  services = [\"ec2\"]\n  access   = [\"list\", \"write\", \"tagging\"]\n  actions  = [\"s3:GetBucketPolicy\", \"s3:GetObject\", \"s3:ListBucket\"]\n",
    );
    assert_eq!(after, expected);
    // Laid out as terraform fmt lays it out (the `=` of the block aligned).
    assert_eq!(tfroles_testsupport::terraform_fmt_stdin(&after), after);

    // The narrowed config generates, and the evaluator allows every used
    // action and no longer the unused ones.
    let out = run(tmp.path(), &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    for a in [
        "ec2:DescribeInstances",
        "ec2:DescribeImages",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:RunInstances",
        "ec2:CreateTags",
        "s3:ListBucket",
        "s3:GetBucketPolicy",
        "s3:GetObject",
    ] {
        assert!(allowed(tmp.path(), a), "{a} after");
    }
    for a in [
        "iam:PassRole",
        "s3:CreateBucket",
        "s3:PutObject",
        "ec2:GetConsoleOutput",
        "iam:CreateRole",
    ] {
        assert!(!allowed(tmp.path(), a), "{a} after");
    }

    // Run again: nothing more to take away, nothing written.
    let out = run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--fix", "--yes"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "tfroles.hcl already grants no more than the logs show used; nothing written"
        ),
        "{}",
        text(&out)
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap(),
        expected
    );
}

#[test]
fn fix_refuses_without_a_terminal_or_yes_and_writes_nothing() {
    let tmp = setup();
    deliver(tmp.path(), "20261102", 1, &used());
    let cases: [(&[&str], &str); 4] = [
        (
            &[],
            "`--fix` asks before writing tfroles.hcl, and stdin is not a terminal; nothing was written\n  hint: review the narrowed grant (`tfroles usage` without `--fix`), then pass `--yes` to write it without asking",
        ),
        (
            &["--yes", "--stack", "app"],
            "`--fix` with `--stack` would narrow a role to one stack's use",
        ),
        (
            &["--yes", "--format", "json"],
            "`--fix` prints a diff and asks before writing; it works with `--format text`",
        ),
        (&["--narrow-unseen"], "stdin is not a terminal"),
    ];
    for (extra, expect) in cases {
        let mut args = vec!["usage", "--cloudtrail", "AWSLogs", "--fix"];
        args.extend_from_slice(extra);
        let out = run(tmp.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(expect), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("hint: "), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: refused before reading");
    }
    // `--yes` alone is a usage error (clap's).
    let out = run(tmp.path(), &["usage", "--cloudtrail", "AWSLogs", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap(),
        CONFIG
    );
}

/// A pseudo-terminal: (master, slave).
#[cfg(unix)]
fn pty() -> (fs::File, fs::File) {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors it opened, owned from here.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    unsafe { (fs::File::from_raw_fd(master), fs::File::from_raw_fd(slave)) }
}

/// Runs `tfroles ARGS` in `dir` with a pseudo-terminal as stdin, typing
/// `answer` into it.
#[cfg(unix)]
fn on_a_terminal(dir: &Path, args: &[&str], answer: &str) -> Output {
    let (mut master, slave) = pty();
    // Typed ahead: the terminal holds the line until the prompt reads it.
    master.write_all(answer.as_bytes()).unwrap();
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    drop(master);
    out
}

#[cfg(unix)]
#[test]
fn on_a_terminal_it_asks_and_only_yes_writes() {
    let tmp = setup();
    deliver(tmp.path(), "20261102", 1, &used());
    let args = ["usage", "--cloudtrail", "AWSLogs", "--fix"];
    for answer in ["n\n", "\n", "yess\n", "no\n"] {
        let out = on_a_terminal(tmp.path(), &args, answer);
        assert_eq!(out.status.code(), Some(2), "{answer:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("write this change to tfroles.hcl? [y/N] "),
            "{err}"
        );
        assert!(
            err.contains("not confirmed; tfroles.hcl not changed"),
            "{err}"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("+++ tfroles.hcl"));
        assert_eq!(
            fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap(),
            CONFIG
        );
    }
    let out = on_a_terminal(tmp.path(), &args, "Yes\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("wrote tfroles.hcl (narrowed: app)"));
    assert_ne!(
        fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap(),
        CONFIG
    );
}

#[cfg(unix)]
#[test]
fn a_config_changed_while_it_asks_is_not_written() {
    use std::io::Read;
    let tmp = setup();
    deliver(tmp.path(), "20261102", 1, &used());
    let (mut master, slave) = pty();
    let mut child = Command::new(BIN)
        .args(["usage", "--cloudtrail", "AWSLogs", "--fix"])
        .current_dir(tmp.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Up to the question; the child then waits on the terminal.
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).ends_with("[y/N] ") {
        assert_eq!(
            stderr.read(&mut byte).unwrap(),
            1,
            "{}",
            String::from_utf8_lossy(&seen)
        );
        seen.push(byte[0]);
    }
    let changed = format!("{CONFIG}# edited meanwhile\n");
    fs::write(tmp.path().join("tfroles.hcl"), &changed).unwrap();
    master.write_all(b"y\n").unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{rest}");
    assert!(
        rest.contains("it changed since tfroles read it; nothing was written"),
        "{rest}"
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap(),
        changed
    );
}

const TWO_ACCOUNTS: &str = r#"defaults {
  region = "us-east-1"
}

account "qa" {
  id = "111111111111"
}

account "prod" {
  id = "222222222222"
}

state {
  account = "qa"
  bucket  = "acme-state"
  role    = "terraform-state"
}

role "terraform-state" {
  account = "qa"
}

role "app" {
  accounts = ["qa", "prod"] # both
  services = ["ec2", "s3"]  # broad, to be narrowed
  actions  = ["iam:PassRole"]
}

stack "app" {
  account = "qa"
  role    = "app"
}
"#;

#[test]
fn a_role_with_an_instance_the_logs_never_show_is_left_unless_asked() {
    let tmp = setup();
    fs::write(tmp.path().join("tfroles.hcl"), TWO_ACCOUNTS).unwrap();
    deliver(tmp.path(), "20261102", 1, &used());
    let out = run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--fix", "--yes"],
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("narrowed grant for role app (what 1 of its 2 instances used):"),
        "{all}"
    );
    assert!(
        all.contains("role app not narrowed: no events in the logs for its instance in prod (a window without use is no evidence)\n  hint: read the logs of every account it is in, or pass `--narrow-unseen`"),
        "{all}"
    );
    assert!(
        all.contains("nothing to narrow; tfroles.hcl not changed"),
        "{all}"
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap(),
        TWO_ACCOUNTS
    );

    let out = run(
        tmp.path(),
        &[
            "usage",
            "--cloudtrail",
            "AWSLogs",
            "--fix",
            "--yes",
            "--narrow-unseen",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let after = fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap();
    assert!(
        after.contains("  accounts = [\"qa\", \"prod\"] # both\n  services = [\"ec2\"]        # broad, to be narrowed\n  access   = [\"list\", \"write\", \"tagging\"]\n"),
        "{after}"
    );
    // Comments kept and realigned as terraform fmt aligns them.
    assert_eq!(
        tfroles_testsupport::terraform_fmt_stdin(TWO_ACCOUNTS),
        TWO_ACCOUNTS
    );
    assert_eq!(tfroles_testsupport::terraform_fmt_stdin(&after), after);
}

#[test]
fn an_edit_it_cannot_map_back_is_refused_naming_file_line_and_attribute() {
    let tmp = setup();
    let config = CONFIG.replace(
        "  services = [\"ec2\", \"s3\"]\n",
        "  services = [\"ec2\", # compute\n    \"s3\"]\n",
    );
    fs::write(tmp.path().join("tfroles.hcl"), &config).unwrap();
    deliver(tmp.path(), "20261102", 1, &used());
    let out = run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--fix", "--yes"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot change `tfroles.hcl`: line 26: `services` of `role \"app\"` has comments and items sharing lines"),
        "{err}"
    );
    assert!(
        err.contains("hint: put each item of the list on a line of its own"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("tfroles.hcl")).unwrap(),
        config
    );
}
