//! `tfroles validate` runs every check `generate` runs: for each way a
//! repository can be wrong, both give the same diagnostics and exit code
//! (generate adds only "nothing was written"), and validate writes nothing.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use pretty_assertions::assert_eq;

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");

const BASE: &str = r#"defaults {
  region = "us-east-1"
}

account "shared" {
  id = "111111111111"
}

account "qa" {
  id = "333333333333"
}

identity "ci" {
  arn = "arn:aws:iam::111111111111:user/ci"
}

state {
  account    = "shared"
  bucket     = "acme-terraform-state"
  role       = "terraform-state"
  key_prefix = "terraform"
}

role "terraform-state" {
  account = "shared"
}

role "app" {
  account  = "qa"
  services = ["sqs"]
}

stack "qa/*" {
  account = "qa"
  role    = "app"
}
"#;

fn repo(config: &str, stacks: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for s in stacks {
        fs::create_dir_all(dir.path().join(s)).unwrap();
        fs::write(dir.path().join(s).join("main.tf"), "").unwrap();
    }
    fs::write(dir.path().join("tfroles.hcl"), config).unwrap();
    dir
}

fn run(root: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(root)
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .unwrap()
}

fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            let bytes = if p.is_file() {
                fs::read(&p).unwrap()
            } else {
                vec![]
            };
            out.push((p.strip_prefix(root).unwrap().display().to_string(), bytes));
        }
    }
    out.sort();
    out
}

/// A way to be wrong: the config, its stack directories, extra files, and
/// the exit code every command gives.
type Case = (
    &'static str,
    String,
    Vec<&'static str>,
    Vec<(&'static str, &'static str)>,
    i32,
);

fn cases() -> Vec<Case> {
    let long = "o".repeat(250);
    let long_stack: &'static str = Box::leak(format!("qa/{long}").into_boxed_str());
    vec![
        (
            "a syntax error",
            BASE.replace("role \"app\" {", "role \"app\" {{"),
            vec!["qa/api"],
            vec![],
            2,
        ),
        (
            "an unknown attribute",
            BASE.replace("  services = [\"sqs\"]", "  servises = [\"sqs\"]"),
            vec!["qa/api"],
            vec![],
            2,
        ),
        (
            "a backend session policy over the STS limit",
            BASE.replace(
                "key_prefix = \"terraform\"",
                &format!(
                    "key_prefix = \"{}\"\n  list_scope = \"state_keys\"",
                    "k".repeat(400)
                ),
            ),
            vec!["qa/api", long_stack],
            vec![],
            2,
        ),
        (
            "a bootstrap role nobody may assume",
            BASE.replace(
                "identity \"ci\" {\n  arn = \"arn:aws:iam::111111111111:user/ci\"\n}\n",
                "",
            ) + "\nbootstrap {\n  dir = \"bootstrap\"\n}\n",
            vec!["qa/api"],
            vec![],
            2,
        ),
        (
            "a profile-mode stack path an INI line cannot carry",
            BASE.replace(
                "  region = \"us-east-1\"\n}",
                "  region      = \"us-east-1\"\n  credentials = \"profile\"\n}",
            ),
            vec!["qa/api", "qa/a#b"],
            vec![],
            2,
        ),
        (
            "a hand-written file in the way",
            BASE.to_owned(),
            vec!["qa/api"],
            vec![("qa/api/backend.tf", "terraform {}\n")],
            3,
        ),
        ("a valid config", BASE.to_owned(), vec!["qa/api"], vec![], 0),
    ]
}

#[test]
fn validate_and_generate_report_the_same_problems_with_the_same_exit_code() {
    for (what, config, stacks, files, code) in cases() {
        let r = repo(&config, &stacks);
        for (path, text) in &files {
            fs::write(r.path().join(path), text).unwrap();
        }
        let before = snapshot(r.path());
        let validate = run(r.path(), &["validate"]);
        assert_eq!(snapshot(r.path()), before, "{what}: validate wrote nothing");
        let check = run(r.path(), &["generate", "--check"]);
        let generate = run(r.path(), &["generate"]);
        let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(
            validate.status.code(),
            Some(code),
            "{what}: {}",
            stderr(&validate)
        );
        if code == 0 {
            assert_eq!(
                generate.status.code(),
                Some(0),
                "{what}: {}",
                stderr(&generate)
            );
            continue;
        }
        assert_eq!(snapshot(r.path()), before, "{what}: generate wrote nothing");
        assert_eq!(generate.status.code(), Some(code), "{what}");
        assert_eq!(check.status.code(), Some(code), "{what}");
        assert!(
            stderr(&validate).starts_with("error: "),
            "{what}: {}",
            stderr(&validate)
        );
        assert_eq!(
            format!("{}nothing was written\n", stderr(&validate)),
            stderr(&generate),
            "{what}"
        );
        assert_eq!(stderr(&validate), stderr(&check), "{what}");
    }
}

/// A diagnostic from `validate --format json`, printed as the text form
/// prints it.
fn as_text(d: &serde_json::Value) -> String {
    let s = |k: &str| d[k].as_str().map(str::to_owned);
    let Some(file) = s("file") else {
        return s("message").unwrap();
    };
    let mut out = file;
    if let (Some(l), Some(c)) = (d["line"].as_u64(), d["column"].as_u64()) {
        out.push_str(&format!(":{l}:{c}"));
    }
    out.push_str(": ");
    match (s("block"), s("attribute")) {
        (Some(b), Some(a)) => out.push_str(&format!("in block `{b}`, attribute `{a}`: ")),
        (Some(b), None) => out.push_str(&format!("in block `{b}`: ")),
        (None, Some(a)) => out.push_str(&format!("attribute `{a}`: ")),
        (None, None) => {}
    }
    out.push_str(&s("message").unwrap());
    if let Some(a) = s("allowed") {
        out.push_str(&format!("\n  allowed: {a}"));
    }
    if let Some(h) = s("hint") {
        out.push_str(&format!("\n  hint: {h}"));
    }
    out
}

#[test]
fn validate_json_prints_the_diagnostics_as_data_when_invalid() {
    let mut invalid = 0;
    for (what, config, stacks, files, code) in cases() {
        let r = repo(&config, &stacks);
        for (path, text) in &files {
            fs::write(r.path().join(path), text).unwrap();
        }
        let out = run(r.path(), &["validate", "--format", "json"]);
        assert_eq!(out.status.code(), Some(code), "{what}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e}): {:?}", out.stdout));
        if code == 0 {
            assert_eq!(v["valid"], true, "{what}");
            continue;
        }
        invalid += 1;
        assert_eq!(v["valid"], false, "{what}");
        assert_eq!(v["exit_code"], code, "{what}");
        // The same problems as the text on stderr, field by field.
        let text = run(r.path(), &["validate"]);
        let stderr = String::from_utf8_lossy(&text.stderr).into_owned();
        let from_json: String = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("error: {}\n", as_text(d)))
            .collect();
        assert_eq!(from_json, stderr, "{what}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), stderr, "{what}");
    }
    assert!(invalid >= 3, "the cases cover invalid configs");
}
