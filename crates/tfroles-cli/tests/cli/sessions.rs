//! One session, decided in one place: for every role instance and stack of
//! the fixtures, the session policy `generate` writes into the HCL (read back
//! by HashiCorp's parser), the one `tfroles policy --kind session` prints and
//! the one `tfroles credential-process` sends on the wire (as moto records
//! it) are the same bytes; and what one refuses, the others refuse too.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use serde_json::Value;
use tfroles_testsupport::Moto;
use tfroles_testsupport::hcl2json;
use tfroles_testsupport::workspace_root;

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
struct Repo {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    moto: Moto,
}

impl Repo {
    fn from_fixture(case: &str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        tfroles_testsupport::copy_tree(
            &workspace_root().join("fixtures").join(case).join("input"),
            &root,
        );
        Repo::at(dir, root)
    }

    fn with_config(config: &str, stacks: &[&str]) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        for s in stacks {
            fs::create_dir_all(root.join(s)).unwrap();
            fs::write(root.join(s).join("main.tf"), "").unwrap();
        }
        fs::write(root.join("tfroles.hcl"), config).unwrap();
        Repo::at(dir, root)
    }

    fn at(dir: tempfile::TempDir, root: std::path::PathBuf) -> Repo {
        Repo {
            moto: Moto::start(),
            _dir: dir,
            root,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in("", args)
    }

    /// Runs in `dir` below the root, as terraform runs a
    /// `credential_process` in a stack's directory; no CI run or user
    /// variables, so session names are those of the generated files.
    fn run_in(&self, dir: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        self.moto.apply_env(&mut cmd);
        for v in tfroles_core::naming::RUN_VARIABLES {
            cmd.env_remove(v);
        }
        cmd.current_dir(self.root.join(dir))
            .env("HOME", self.root.join(".home"))
            .env_remove("XDG_CACHE_HOME")
            .env_remove("RUST_LOG")
            .env_remove("TFROLES_MFA_TOKEN")
            .args(args)
            .output()
            .unwrap()
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "tfroles {args:?}: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// What `tfroles policy --kind session --compact` prints; `None` when
    /// it says the session has no session policy.
    fn printed(&self, args: &[&str]) -> Option<String> {
        let mut full = vec!["policy", "--kind", "session", "--compact"];
        full.extend_from_slice(args);
        let out = self.ok(&full);
        (!out.is_empty()).then(|| out.trim_end().to_owned())
    }

    /// The policy of the last AssumeRole `credential-process ARGS` made, as
    /// moto recorded it.
    fn on_the_wire(&self, args: &[&str]) -> Option<String> {
        self.sent_from("", args).0
    }

    /// The policy and session name of the last AssumeRole
    /// `credential-process ARGS` made when run in `dir`, as moto recorded
    /// them.
    fn sent_from(&self, dir: &str, args: &[&str]) -> (Option<String>, String) {
        let before = self.moto.assumed_roles().len();
        let mut full = vec!["credential-process", "--no-cache"];
        full.extend_from_slice(args);
        let out = self.run_in(dir, &full);
        assert_eq!(
            out.status.code(),
            Some(0),
            "tfroles {full:?}: {}",
            text(&out.stderr)
        );
        let assumed = self.moto.assumed_roles();
        assert!(
            assumed.len() > before,
            "credential-process {args:?} made no AssumeRole"
        );
        let last = assumed.last().unwrap();
        (last.policy.clone(), last.session_name.clone())
    }
}

/// A `${` or `%{` in an HCL string is written doubled.
fn unescape(s: &str) -> String {
    s.replace("$${", "${").replace("%%{", "%{")
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    }
}

/// Every stack and provider session of a fixture: generated, printed and
/// sent, all the same.
fn agree(repo: &Repo) -> usize {
    repo.ok(&["generate"]);
    let roles: Vec<Value> = serde_json::from_str(&repo.ok(&["roles", "--format", "json"])).unwrap();
    let by_arn = |arn: &str| -> (String, String) {
        let r = roles
            .iter()
            .find(|r| r["arn"] == arn)
            .unwrap_or_else(|| panic!("{arn} is no role instance: {roles:?}"));
        (
            r["role"].as_str().unwrap().to_owned(),
            r["account"].as_str().unwrap().to_owned(),
        )
    };
    let mut sessions = 0;
    for entry in walk(&repo.root) {
        let rel = entry.strip_prefix(&repo.root).unwrap();
        let name = rel.file_name().unwrap().to_str().unwrap();
        let stack = rel.parent().unwrap().to_str().unwrap().to_owned();
        let hcl = fs::read_to_string(&entry).unwrap();
        // The stacks' files (the fixtures keep the default names), not the
        // bootstrap stack's.
        if !hcl.starts_with("# Code generated by tfroles")
            || !["backend.tf", "providers.tf"].contains(&name)
        {
            continue;
        }
        let v = hcl2json(name, &hcl);
        if let Some(s3) = v.pointer("/terraform/0/backend/s3/0") {
            let assume = &s3["assume_role"];
            let written = assume["policy"].as_str().map(unescape);
            let (role, account) = by_arn(assume["role_arn"].as_str().unwrap());
            let args = [
                "--role",
                role.as_str(),
                "--account",
                account.as_str(),
                "--stack",
                stack.as_str(),
            ];
            let printed = repo.printed(&args);
            assert_eq!(printed, written, "{stack}: backend, printed vs written");
            let (sent, name) = repo.sent_from("", &args);
            assert_eq!(sent, written, "{stack}: backend, sent vs written");
            assert_eq!(
                Some(name.as_str()),
                assume["session_name"].as_str(),
                "{stack}: backend session name, sent vs written"
            );
            sessions += 1;
        }
        for p in as_list(&v.pointer("/provider/aws").cloned().unwrap_or(Value::Null)) {
            let chain = as_list(&p["assume_role"]);
            let last = chain
                .last()
                .unwrap_or_else(|| panic!("{stack}: a provider that assumes no role: {p}"));
            let written = last["policy"].as_str().map(unescape);
            for hop in &chain[..chain.len() - 1] {
                assert!(
                    hop.get("policy").is_none(),
                    "{stack}: only the last hop is narrowed"
                );
            }
            let (role, account) = by_arn(last["role_arn"].as_str().unwrap());
            let args = ["--role", role.as_str(), "--account", account.as_str()];
            assert_eq!(
                repo.printed(&args),
                written,
                "{stack}: provider {role} in {account}, printed vs written"
            );
            // Run in the stack's directory, as terraform runs it: the
            // session is named for the stack as the generated block is.
            let (sent, name) = repo.sent_from(&stack, &args);
            assert_eq!(
                sent, written,
                "{stack}: provider {role} in {account}, sent vs written"
            );
            assert_eq!(
                Some(name.as_str()),
                last["session_name"].as_str(),
                "{stack}: provider {role} in {account}, session name sent vs written"
            );
            sessions += 1;
        }
    }
    sessions
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            out.extend(walk(&e.path()));
        } else if e.path().extension().is_some_and(|x| x == "tf") {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

#[test]
fn generated_printed_and_sent_session_policies_are_the_same_bytes() {
    let mut total = 0;
    for case in ["example", "least-privilege", "chaining"] {
        let repo = Repo::from_fixture(case);
        let n = agree(&repo);
        assert!(n >= 2, "{case}: {n} sessions");
        total += n;
    }
    assert!(total >= 12, "{total}");
}

const TWO_STATE_ACCOUNTS: &str = r#"defaults {
  region = "us-east-1"
}

account "shared" {
  id = "111111111111"
}

account "qa" {
  id = "333333333333"
}

state {
  account = "shared"
  bucket  = "acme-terraform-state"
  role    = "terraform-state"
}

role "terraform-state" {
  accounts = ["shared", "qa"]
}

role "app" {
  account  = "qa"
  services = ["sqs"]
}

stack "qa/app" {
  account = "qa"
  role    = "app"
}
"#;

/// The state role's name in another account is a role like any other: no
/// stack, no state policy. `policy` and `credential-process` used to
/// disagree on it.
#[test]
fn the_state_roles_name_in_another_account_is_no_state_role_anywhere() {
    let repo = Repo::with_config(TWO_STATE_ACCOUNTS, &["qa/app"]);
    let sessions = agree(&repo);
    assert_eq!(sessions, 2, "one backend, one provider");
    let with_stack = [
        "--role",
        "terraform-state",
        "--account",
        "qa",
        "--stack",
        "qa/app",
    ];
    let mut policy = vec!["policy", "--kind", "session"];
    policy.extend(with_stack);
    let mut creds = vec!["credential-process", "--no-cache"];
    creds.extend(with_stack);
    let before = repo.moto.assumed_roles().len();
    let refusals: Vec<String> = [policy, creds]
        .iter()
        .map(|args| {
            let out = repo.run(args);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            text(&out.stderr)
        })
        .collect();
    assert_eq!(refusals[0], refusals[1]);
    assert!(
        refusals[0].contains(
            "a stack applies to the state role (`terraform-state` in `shared`), not to `terraform-state` in `qa`"
        ),
        "{}",
        refusals[0]
    );
    assert_eq!(repo.moto.assumed_roles().len(), before, "no STS call");
    // Without a stack: the same session everywhere, with no state access.
    let args = ["--role", "terraform-state", "--account", "qa"];
    assert_eq!(repo.printed(&args), repo.on_the_wire(&args));
    let permissions = repo.ok(&[
        "policy",
        "--role",
        "terraform-state",
        "--account",
        "qa",
        "--kind",
        "permissions",
    ]);
    assert!(permissions.contains("\"NoStateAccess\""), "{permissions}");
    let simulate = repo.run(&[
        "simulate",
        "--role",
        "terraform-state",
        "--account",
        "qa",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::acme-terraform-state/qa/app/terraform.tfstate",
    ]);
    assert_eq!(
        simulate.status.code(),
        Some(1),
        "{}",
        text(&simulate.stdout)
    );
}
