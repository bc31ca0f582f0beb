//! `tfroles policy` and `tfroles simulate` as users run them, on the
//! least-privilege fixture: the documents are the library's, the verdicts
//! are the evaluator's, and bad input is a usage error that says what is
//! allowed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use tfroles_core::Config;
use tfroles_policy::{PolicyDocument, SizeLimit};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/least-privilege/input")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tfroles"))
        .current_dir(fixture())
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[track_caller]
fn document(args: &[&str]) -> PolicyDocument {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    PolicyDocument::from_json(&stdout(&o)).unwrap()
}

fn config() -> (Config, Vec<tfroles_core::Stack>) {
    let c = Config::from_path(&fixture().join("tfroles.hcl")).unwrap();
    let dirs = tfroles_core::discover(c.root()).unwrap();
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let stacks = c.resolve(&paths).unwrap().stacks;
    (c, stacks)
}

#[test]
fn policy_prints_the_documents_the_library_derives() {
    let (c, stacks) = config();
    let qa_api = stacks
        .iter()
        .find(|s| s.path.as_str() == "qa/public-api")
        .unwrap();
    let cases: Vec<(Vec<&str>, PolicyDocument)> = vec![
        (
            vec!["policy", "--role", "terraform-state"],
            c.permissions_policy("terraform-state", None, &stacks)
                .unwrap(),
        ),
        (
            vec!["policy", "--role", "terraform-state", "--kind", "trust"],
            c.trust_policy("terraform-state", None, &stacks).unwrap(),
        ),
        (
            vec![
                "policy",
                "--role",
                "terraform-state",
                "--kind",
                "session",
                "--stack",
                "qa/public-api/",
            ],
            c.state_session_policy(qa_api).unwrap().unwrap(),
        ),
        (
            vec![
                "policy",
                "--role",
                "public-api-provisioning",
                "--account",
                "production",
            ],
            c.permissions_policy("public-api-provisioning", Some("production"), &stacks)
                .unwrap(),
        ),
        (
            vec![
                "policy",
                "--role",
                "public-api-provisioning",
                "--account",
                "qa",
                "--kind",
                "session",
            ],
            c.session_policy("public-api-provisioning", Some("qa"), None, false)
                .unwrap()
                .unwrap(),
        ),
        (
            vec!["policy", "--identity", "ci"],
            c.identity_policy("ci").unwrap(),
        ),
    ];
    for (args, expected) in cases {
        let got = document(&args);
        assert_eq!(got, expected, "{args:?}");
        // Pretty by default, the exact one-line text AWS gets with --compact.
        let mut compact = args.clone();
        compact.push("--compact");
        assert_eq!(
            stdout(&run(&compact)),
            format!("{}\n", expected.to_json_compact())
        );
        let limit = if args.contains(&"session") {
            SizeLimit::SessionPolicy
        } else {
            SizeLimit::ManagedPolicy
        };
        expected.check_size(limit).unwrap();
    }
}

#[test]
fn no_session_policy_is_said_on_stderr_with_an_empty_stdout() {
    let o = run(&[
        "policy",
        "--role",
        "public-api-provisioning",
        "--account",
        "qa",
        "--kind",
        "session",
        "--allow-delete",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "no session policy: --allow-delete: the session may do all the role may\n"
    );
}

#[test]
fn policy_usage_errors_say_what_is_allowed() {
    let o = run(&[
        "policy",
        "--role",
        "terraform-state",
        "--kind",
        "session",
        "--stack",
        "qa/nothing",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --stack: `qa/nothing` is not a stack of tfroles.hcl\n  allowed: the stacks it resolves to: `production/etl-processor`, `production/public-api`, `qa/etl-processor`, `qa/public-api`\n  hint: stack paths are directories relative to the config file, as `tfroles generate` lists them\n"
    );
    let o = run(&["policy", "--role", "terraform-state", "--kind", "session"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: the state role's session policy is per stack\n  hint: name one: `--stack PATH`\n"
    );
    let o = run(&[
        "policy",
        "--role",
        "public-api-provisioning",
        "--stack",
        "qa/public-api",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: tfroles.hcl: a stack applies to the state role (`terraform-state` in `shared`), not to `public-api-provisioning`\n  hint: a provisioning role's sessions are the same in every stack\n"), "{}", stderr(&o));
    let o = run(&["policy", "--role", "public-api-provisioning"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("role `public-api-provisioning` exists in several accounts"),
        "{}",
        stderr(&o)
    );
    let o = run(&["policy", "--identity", "github"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: tfroles.hcl: in block `identity \"github\"`: is a CI token: it has no IAM policy of its own\n"), "{}", stderr(&o));
}

#[test]
fn simulate_answers_first_then_names_the_deciding_statement() {
    let state = "arn:aws:s3:::acme-terraform-state/terraform";
    // (args, exit code, first line, second line)
    let cases: &[(&[&str], i32, &str, &str)] = &[
        (
            &[
                "--role",
                "terraform-state",
                "--stack",
                "qa/public-api",
                "--action",
                "s3:PutObject",
                "--resource",
                &format!("{state}/qa/public-api/terraform.tfstate"),
            ],
            0,
            "allowed",
            "  allowed by identity policy 0, statement 1 (Sid \"ReadWriteState\") and session policy 0, statement 1 (Sid \"ReadWriteState\")",
        ),
        (
            &[
                "--role",
                "terraform-state",
                "--stack",
                "qa/public-api",
                "--action",
                "s3:GetObject",
                "--resource",
                &format!("{state}/production/public-api/terraform.tfstate"),
            ],
            1,
            "denied",
            "  allowed by identity policy 0, statement 1 (Sid \"ReadWriteState\"), but denied because no session policy allows it",
        ),
        (
            &[
                "--role",
                "terraform-state",
                "--no-session-policy",
                "--action",
                "s3:GetObject",
                "--resource",
                &format!("{state}/production/public-api/terraform.tfstate"),
            ],
            0,
            "allowed",
            "  allowed by identity policy 0, statement 1 (Sid \"ReadWriteState\")",
        ),
        (
            &[
                "--role",
                "terraform-state",
                "--no-session-policy",
                "--action",
                "s3:DeleteBucket",
                "--resource",
                "arn:aws:s3:::acme-terraform-state",
            ],
            1,
            "denied",
            "  implicitly denied: no identity policy statement allows it",
        ),
        (
            &[
                "--role",
                "public-api-provisioning",
                "--account",
                "qa",
                "--action",
                "ec2:TerminateInstances",
                "--resource",
                "*",
            ],
            1,
            "denied",
            "  explicitly denied by session policy 0, statement 1 (Sid \"NoDeletesWithoutAllowDelete\")",
        ),
        (
            &[
                "--role",
                "public-api-provisioning",
                "--account",
                "qa",
                "--action",
                "ec2:TerminateInstances",
                "--resource",
                "*",
                "--allow-delete",
            ],
            0,
            "allowed",
            "  allowed by identity policy 0, statement 0 (Sid \"Grants\")",
        ),
        (
            &[
                "--role",
                "etl-processor-provisioning",
                "--account",
                "qa",
                "--action",
                "rds:DeleteDBInstance",
                "--resource",
                "*",
            ],
            1,
            "denied",
            "  explicitly denied by session policy 0, statement 1 (Sid \"NoDeletesWithoutAllowDelete\")",
        ),
        (
            &[
                "--role",
                "etl-processor-provisioning",
                "--account",
                "qa",
                "--action",
                "s3:PutBucketPolicy",
                "--resource",
                "arn:aws:s3:::data",
            ],
            1,
            "denied",
            "  explicitly denied by identity policy 0, statement 1 (Sid \"AccessLevelsNotGranted\")",
        ),
    ];
    for (args, code, first, second) in cases {
        let mut all = vec!["simulate"];
        all.extend_from_slice(args);
        let o = run(&all);
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(o.status.code(), Some(*code), "{all:?}\n{out}{}", stderr(&o));
        assert_eq!((lines[0], lines[1]), (*first, *second), "{all:?}");
        assert_eq!(stderr(&o), "", "{all:?}");
    }
    // The statement is shown as written, or "no statement allows".
    let o = run(&[
        "simulate",
        "--role",
        "terraform-state",
        "--no-session-policy",
        "--action",
        "iam:CreateUser",
        "--resource",
        "*",
    ]);
    assert_eq!(
        stdout(&o).lines().nth(2),
        Some("  no statement allows iam:CreateUser on *")
    );
}

#[test]
fn simulate_json_and_context() {
    let o = run(&[
        "simulate",
        "--role",
        "terraform-state",
        "--stack",
        "qa/public-api",
        "--action",
        "s3:ListBucket",
        "--resource",
        "arn:aws:s3:::acme-terraform-state",
        "--context",
        "s3:prefix=env:/",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["decision"], "allowed");
    assert_eq!(v["session_policy"], true);
    assert_eq!(v["deciding_statement"]["Sid"], "ListStateBucket");
    // Reading another stack's key is not allowed to this stack's session.
    let o = run(&[
        "simulate",
        "--role",
        "terraform-state",
        "--stack",
        "qa/public-api",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::acme-terraform-state/terraform/production/public-api/terraform.tfstate",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&[
        "simulate",
        "--role",
        "terraform-state",
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
        "--context",
        "novalue",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "error: --context: `novalue` is not KEY=VALUE\n");
}
