//! `tfroles cache list` / `cache clear`, the sweep of expired entries and
//! orphan locks, `TFROLES_CONFIG` and `--stack .`, against moto.

use std::fs;
use std::time::{Duration, SystemTime};

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::server::{Lab, expire_in, text};

const ROLE_X: &str = "arn:aws:iam::222222222222:role/deploy/x";

fn ok(lab: &Lab, args: &[&str]) -> String {
    let out = lab.tfroles(args).output().unwrap();
    assert!(
        out.status.success(),
        "tfroles {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn listed(lab: &Lab) -> Vec<Value> {
    let v: Value = serde_json::from_str(&ok(lab, &["cache", "list", "--format", "json"])).unwrap();
    v["entries"].as_array().unwrap().clone()
}

#[test]
fn list_shows_what_each_session_is_for_and_never_a_secret() {
    let lab = Lab::new();
    fs::create_dir(lab.work().join("app")).unwrap();
    fs::write(
        lab.work().join("tfroles.hcl"),
        fs::read_to_string(lab.work().join("tfroles.hcl")).unwrap()
            + "\nrole \"app\" {\n  account = \"shared\"\n}\n\nstack \"app\" {\n  account = \"shared\"\n  role    = \"app\"\n}\n",
    )
    .unwrap();
    assert_eq!(
        ok(&lab, &["cache", "list"]),
        format!("no cached sessions in {}\n", lab.cache().display())
    );
    // `--stack .` in the stack's directory is that stack.
    let out = lab
        .tfroles(&[
            "credential-process",
            "--role",
            "terraform-state",
            "--stack",
            ".",
        ])
        .current_dir(lab.work().join("app"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    ok(&lab, &["credential-process", "--role-arn", ROLE_X]);

    let table = ok(&lab, &["cache", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("ROLE "), "{table}");
    assert!(
        lines[0].contains(" ACCOUNT ") && lines[0].ends_with(" BASE"),
        "{table}"
    );
    let state = lines
        .iter()
        .find(|l| l.contains("role/terraform-state"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(state.contains(" 111111111111 "), "{state}");
    assert!(state.contains(" app "), "{state}");
    assert!(
        state.contains(" (in 59m)") || state.contains(" (in 1h00m)"),
        "{state}"
    );
    let x = lines.iter().find(|l| l.starts_with(ROLE_X)).unwrap();
    assert!(x.contains(" 222222222222 ") && x.contains(" - "), "{x}");
    for a in lab.moto.assumed_roles() {
        assert!(!table.contains(&a.secret_access_key) && !table.contains(&a.session_token));
    }

    let rows = listed(&lab);
    assert_eq!(rows.len(), 2);
    let base = rows[0]["base"].as_str().unwrap();
    assert_eq!(base.len(), 12);
    assert_eq!(rows[1]["base"], base, "one base identity");
    let state = rows
        .iter()
        .find(|r| r["role_arn"] == "arn:aws:iam::111111111111:role/terraform-state")
        .unwrap();
    assert_eq!(state["stack"], "app");
    assert_eq!(state["account"], "111111111111");
    assert_eq!(state["expired"], false);
    let json = ok(&lab, &["cache", "list", "--format", "json"]);
    for a in lab.moto.assumed_roles() {
        assert!(!json.contains(&a.secret_access_key) && !json.contains(&a.session_token));
    }

    // Another base identity: another entry, another fingerprint.
    let out = lab
        .tfroles(&["credential-process", "--role-arn", ROLE_X])
        .env("AWS_ACCESS_KEY_ID", "AKIDANOTHERBASE00001")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = listed(&lab);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().any(|r| r["base"] != base));
}

#[test]
fn clear_removes_one_roles_sessions_or_all() {
    let lab = Lab::new();
    ok(&lab, &["credential-process", "--role", "terraform-state"]);
    ok(&lab, &["credential-process", "--role-arn", ROLE_X]);
    ok(
        &lab,
        &[
            "credential-process",
            "--role-arn",
            ROLE_X,
            "--external-id",
            "e1",
        ],
    );
    assert_eq!(listed(&lab).len(), 3);
    assert_eq!(
        ok(&lab, &["cache", "clear", "--role", "x"]),
        format!(
            "removed 2 cached sessions of `x` from {}\n",
            lab.cache().display()
        )
    );
    let rows = listed(&lab);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0]["role_arn"],
        "arn:aws:iam::111111111111:role/terraform-state"
    );
    assert_eq!(
        ok(&lab, &["cache", "clear", "--role", ROLE_X]),
        format!(
            "removed 0 cached sessions of `{ROLE_X}` from {}\n",
            lab.cache().display()
        )
    );
    assert_eq!(
        ok(&lab, &["cache", "clear"]),
        format!("removed 1 cached session from {}\n", lab.cache().display())
    );
    assert!(lab.entries().is_empty());
    let locks = fs::read_dir(lab.cache())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "lock")
        })
        .count();
    assert_eq!(locks, 0, "their lock files went too");
    // The next call asks STS again.
    let before = lab.sts_calls();
    ok(&lab, &["credential-process", "--role", "terraform-state"]);
    assert_eq!(lab.sts_calls(), before + 1);
}

#[test]
fn expired_entries_and_orphan_locks_go_in_passing_and_nothing_else() {
    let lab = Lab::new();
    ok(&lab, &["credential-process", "--role-arn", ROLE_X]);
    ok(&lab, &["credential-process", "--role", "terraform-state"]);
    let rows = listed(&lab);
    let x = rows.iter().find(|r| r["role_arn"] == ROLE_X).unwrap();
    let x_entry = lab
        .cache()
        .join(format!("{}.json", x["key"].as_str().unwrap()));
    expire_in(&x_entry, -60);
    let orphan = lab.cache().join(format!("{}.lock", "a".repeat(64)));
    let young = lab.cache().join(format!("{}.lock", "b".repeat(64)));
    let foreign = lab.cache().join("notes.txt");
    for f in [&orphan, &young, &foreign] {
        fs::write(f, "").unwrap();
    }
    fs::File::options()
        .write(true)
        .open(&orphan)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    // A cache hit sweeps nothing.
    ok(&lab, &["credential-process", "--role", "terraform-state"]);
    assert!(x_entry.exists() && orphan.exists());
    // A call that asks STS sweeps.
    ok(
        &lab,
        &[
            "credential-process",
            "--role-arn",
            ROLE_X,
            "--external-id",
            "e2",
        ],
    );
    assert!(!x_entry.exists(), "the expired entry is gone");
    assert!(!orphan.exists(), "the old orphan lock is gone");
    assert!(
        young.exists(),
        "a lock a minute old may be about to be used"
    );
    assert!(foreign.exists(), "a file tfroles did not write stays");
    assert_eq!(lab.entries().len(), 2);
}

#[test]
fn tfroles_config_selects_the_config_like_config() {
    let lab = Lab::new();
    let elsewhere = lab.root.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let config = lab.work().join("tfroles.hcl");
    let out = lab
        .tfroles(&["validate"])
        .current_dir(&elsewhere)
        .env("TFROLES_CONFIG", &config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with(" is valid: 1 account, 1 role, 0 stacks\n"),
        "{}",
        text(&out.stdout)
    );
    let out = lab
        .tfroles(&["credential-process", "--role", "terraform-state"])
        .current_dir(&elsewhere)
        .env("TFROLES_CONFIG", &config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // --config wins over the variable.
    let out = lab
        .tfroles(&["validate", "--config"])
        .arg(&config)
        .current_dir(&elsewhere)
        .env("TFROLES_CONFIG", elsewhere.join("missing.hcl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A variable naming no file is an error naming it.
    let out = lab
        .tfroles(&["validate"])
        .current_dir(&elsewhere)
        .env("TFROLES_CONFIG", elsewhere.join("missing.hcl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("missing.hcl"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn stack_dot_outside_a_stack_says_where_it_is() {
    let lab = Lab::new();
    let out = lab
        .tfroles(&[
            "credential-process",
            "--role",
            "terraform-state",
            "--stack",
            ".",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--stack .: the current directory is the config's directory"),
        "{err}"
    );
    assert!(err.contains("hint: run it in a stack's directory"), "{err}");
}
