//! `tfroles explain` end to end against moto enforcing IAM: a provisioning
//! session is refused a call; the AWS CLI's error text goes through
//! `explain --fix`; the role policy regenerated from the edited config and
//! put back into moto allows the call; and `--fix` never widens the delete
//! guard. Then `usage --fix` on the session's calls as CloudTrail records
//! them: the narrowed policy, put back, allows what was used and no more.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tfroles_testsupport::{Moto, aws_cli};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");

const CONFIG: &str = r#"defaults {
  region       = "us-east-1"
  session_name = "tf-{stack}-{run}"
}

account "main" {
  id = "123456789012"
}

identity "ci" {
  arn = "arn:aws:iam::123456789012:user/terraform-ci"
}

state {
  account = "main"
  bucket  = "explain-terraform-state"
  role    = "terraform-state"
}

role "terraform-state" {
  account = "main"
}

# Users and groups for the app; grown with `tfroles explain --fix`.
role "app" {
  account  = "main"
  services = ["iam"] # the IAM service only
  access   = ["list", "read"]
}

stack "app" {
  account = "main"
  role    = "app"
}
"#;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tfroles(root: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .current_dir(root)
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[track_caller]
fn ok(root: &Path, args: &[&str], stdin: &str) -> String {
    let out = tfroles(root, args, stdin);
    assert!(
        out.status.success(),
        "tfroles {args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The AWS CLI against moto, with `keys` (key, secret, token) if given.
fn aws(moto: &Moto, keys: Option<&(String, String, String)>, args: &[&str]) -> Output {
    let mut cmd = aws_cli();
    moto.apply_env(&mut cmd);
    if let Some((k, s, t)) = keys {
        cmd.env("AWS_ACCESS_KEY_ID", k)
            .env("AWS_SECRET_ACCESS_KEY", s)
            .env("AWS_SESSION_TOKEN", t);
    }
    cmd.args(args).output().unwrap()
}

#[track_caller]
fn aws_ok(moto: &Moto, args: &[&str]) -> Value {
    let out = aws(moto, None, args);
    assert!(out.status.success(), "aws {args:?}: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

#[test]
fn a_denied_call_is_explained_fixed_and_then_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::write(root.join("tfroles.hcl"), CONFIG).unwrap();
    fs::create_dir(root.join("app")).unwrap();
    fs::write(root.join("app/main.tf"), "").unwrap();
    let moto = Moto::start();

    // The base user and the role, with the policies tfroles derives.
    let policy = |args: &[&str]| {
        let mut full = vec!["policy", "--compact"];
        full.extend_from_slice(args);
        ok(root, &full, "").trim_end().to_owned()
    };
    aws_ok(
        &moto,
        &["iam", "create-user", "--user-name", "terraform-ci"],
    );
    let user_policy = policy(&["--identity", "ci"]);
    aws_ok(
        &moto,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "terraform-ci",
            "--policy-name",
            "tfroles",
            "--policy-document",
            &user_policy,
        ],
    );
    let key = aws_ok(
        &moto,
        &["iam", "create-access-key", "--user-name", "terraform-ci"],
    );
    let trust = policy(&["--role", "app", "--kind", "trust"]);
    aws_ok(
        &moto,
        &[
            "iam",
            "create-role",
            "--role-name",
            "app",
            "--assume-role-policy-document",
            &trust,
        ],
    );
    let put_role_policy = |moto: &Moto| {
        let permissions = policy(&["--role", "app"]);
        aws_ok(
            moto,
            &[
                "iam",
                "put-role-policy",
                "--role-name",
                "app",
                "--policy-name",
                "tfroles",
                "--policy-document",
                &permissions,
            ],
        );
    };
    put_role_policy(&moto);
    moto.set_auth("0");

    // A session of the role, as terraform in the stack gets it.
    let mut cmd = Command::new(BIN);
    moto.apply_env(&mut cmd);
    let out = cmd
        .current_dir(root.join("app"))
        .env("HOME", root.join(".home"))
        .env("TFROLES_CACHE_DIR", root.join(".cache"))
        .env(
            "AWS_ACCESS_KEY_ID",
            key["AccessKey"]["AccessKeyId"].as_str().unwrap(),
        )
        .env(
            "AWS_SECRET_ACCESS_KEY",
            key["AccessKey"]["SecretAccessKey"].as_str().unwrap(),
        )
        .env("GITHUB_RUN_ID", "4711")
        .args(["credential-process", "--role", "app", "--no-cache"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "credential-process: {}",
        text(&out.stderr)
    );
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    let session = (
        c["AccessKeyId"].as_str().unwrap().to_owned(),
        c["SecretAccessKey"].as_str().unwrap().to_owned(),
        c["SessionToken"].as_str().unwrap().to_owned(),
    );
    let assumed = moto.assumed_roles();
    assert_eq!(
        assumed.last().unwrap().session_name,
        "tf-app-4711",
        "named for the stack and run"
    );

    // Refused: the role may only list and read IAM.
    let create = ["iam", "create-group", "--group-name", "deployers"];
    let refused = aws(&moto, Some(&session), &create);
    assert!(!refused.status.success(), "create-group should be refused");
    let error = text(&refused.stderr);
    assert!(error.contains("AccessDenied"), "{error}");

    // Explained: the stack from the session name, the rule that decided,
    // the change; nothing written without --fix.
    let explained = ok(root, &["explain"], &error);
    for expect in [
        "refused: iam:CreateGroup",
        "session:  role `app` in `main`, stack `app`",
        "no statement of role `app`'s policy allows iam:CreateGroup",
        "add \"iam:CreateGroup\" to `actions` of role \"app\"",
    ] {
        assert!(
            explained.contains(expect),
            "missing {expect:?} in:\n{explained}"
        );
    }
    assert_eq!(
        fs::read_to_string(root.join("tfroles.hcl")).unwrap(),
        CONFIG
    );
    let guard_before = policy(&["--role", "app", "--kind", "session"]);

    // Fixed: one line added, every comment kept.
    let fixed = ok(root, &["explain", "--fix", "-"], &error);
    assert!(
        fixed.contains("+  actions  = [\"iam:CreateGroup\"]"),
        "{fixed}"
    );
    let edited = fs::read_to_string(root.join("tfroles.hcl")).unwrap();
    assert_eq!(
        edited,
        CONFIG.replace(
            "  access   = [\"list\", \"read\"]\n",
            "  access   = [\"list\", \"read\"]\n  actions  = [\"iam:CreateGroup\"]\n"
        )
    );

    // The regenerated role policy, put back, allows the call.
    moto.set_auth("inf");
    put_role_policy(&moto);
    moto.set_auth("0");
    let allowed = aws(&moto, Some(&session), &create);
    assert!(
        allowed.status.success(),
        "after --fix: {}",
        text(&allowed.stderr)
    );

    // The delete guard is not widened: the session policy is the same, and
    // a delete --fix adds to `actions` is still denied in every guarded
    // session.
    assert_eq!(
        policy(&["--role", "app", "--kind", "session"]),
        guard_before
    );
    let delete = "User: arn:aws:sts::123456789012:assumed-role/app/tf-app is not authorized to perform: iam:DeleteGroup on resource: arn:aws:iam::123456789012:group/deployers because no identity-based policy allows the iam:DeleteGroup action";
    ok(root, &["explain", "--fix"], delete);
    assert!(
        !fs::read_to_string(root.join("tfroles.hcl"))
            .unwrap()
            .contains("allow_delete")
    );
    let sim = tfroles(
        root,
        &[
            "simulate",
            "--role",
            "app",
            "--action",
            "iam:DeleteGroup",
            "--resource",
            "*",
        ],
        "",
    );
    assert_eq!(sim.status.code(), Some(1), "{}", text(&sim.stdout));
    assert!(
        text(&sim.stdout).contains("NoDeletesWithoutAllowDelete"),
        "{}",
        text(&sim.stdout)
    );
    // Explaining that denial now names the guard and changes nothing.
    let before = fs::read_to_string(root.join("tfroles.hcl")).unwrap();
    let again = ok(
        root,
        &["explain", "--fix"],
        &delete.replace(
            "because no identity-based policy allows the iam:DeleteGroup action",
            "with an explicit deny in a session policy",
        ),
    );
    assert!(again.contains("denied by the delete guard"), "{again}");
    assert!(again.contains("--allow-delete"), "{again}");
    assert_eq!(
        fs::read_to_string(root.join("tfroles.hcl")).unwrap(),
        before
    );

    // The loop's other half: the calls the session made, as CloudTrail
    // records them, go through `usage --fix --yes`; the narrowed policy,
    // put back, still allows every call used and no longer an unused one.
    let calls: [&[&str]; 3] = [
        &["iam", "create-group", "--group-name", "operators"],
        &["iam", "get-group", "--group-name", "deployers"],
        &["iam", "list-groups"],
    ];
    let list_users = ["iam", "list-users"];
    assert!(aws(&moto, Some(&session), &list_users).status.success());
    for call in calls {
        let out = aws(&moto, Some(&session), call);
        assert!(out.status.success(), "{call:?}: {}", text(&out.stderr));
    }
    let arn = "arn:aws:sts::123456789012:assumed-role/app/tf-app-4711";
    let records: Vec<Value> = ["CreateGroup", "GetGroup", "ListGroups"]
        .iter()
        .map(|name| {
            serde_json::json!({
                "eventTime": "2026-11-02T10:00:00Z",
                "eventSource": "iam.amazonaws.com",
                "eventName": name,
                "eventCategory": "Management",
                "userIdentity": {
                    "type": "AssumedRole",
                    "arn": arn,
                    "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/app"}}
                },
                "recipientAccountId": "123456789012"
            })
        })
        .collect();
    let day = root.join("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/02");
    fs::create_dir_all(&day).unwrap();
    fs::write(
        day.join("123456789012_CloudTrail_us-east-1_20261102T1000Z_a.json"),
        serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap(),
    )
    .unwrap();
    let narrowed = ok(
        root,
        &[
            "usage",
            "--cloudtrail",
            "AWSLogs",
            "--role",
            "app",
            "--fix",
            "--yes",
        ],
        "",
    );
    assert!(
        narrowed.contains("wrote tfroles.hcl (narrowed: app)"),
        "{narrowed}"
    );
    let edited = fs::read_to_string(root.join("tfroles.hcl")).unwrap();
    assert!(!edited.contains("services"), "{edited}");
    assert!(
        edited.contains("# the IAM service only"),
        "comments kept: {edited}"
    );
    assert!(
        edited
            .contains("  actions = [\"iam:CreateGroup\", \"iam:GetGroup\", \"iam:ListGroups\"]\n"),
        "{edited}"
    );
    moto.set_auth("inf");
    put_role_policy(&moto);
    moto.set_auth("0");
    for call in calls.iter().skip(1) {
        let out = aws(&moto, Some(&session), call);
        assert!(
            out.status.success(),
            "after usage --fix, {call:?}: {}",
            text(&out.stderr)
        );
    }
    let out = aws(
        &moto,
        Some(&session),
        &["iam", "create-group", "--group-name", "auditors"],
    );
    assert!(
        out.status.success(),
        "after usage --fix: {}",
        text(&out.stderr)
    );
    let out = aws(&moto, Some(&session), &list_users);
    assert!(
        !out.status.success(),
        "list-users was never used: denied now"
    );
    assert!(
        text(&out.stderr).contains("AccessDenied"),
        "{}",
        text(&out.stderr)
    );
    // The delete guard is the same: narrowing takes nothing from it that
    // the role is still granted.
    let sim = tfroles(
        root,
        &[
            "simulate",
            "--role",
            "app",
            "--action",
            "iam:DeleteGroup",
            "--resource",
            "*",
        ],
        "",
    );
    assert_eq!(sim.status.code(), Some(1), "{}", text(&sim.stdout));
}

#[test]
fn what_tfroles_hcl_cannot_fix_is_said_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::write(root.join("tfroles.hcl"), CONFIG).unwrap();
    fs::create_dir(root.join("app")).unwrap();
    let arn = "arn:aws:sts::123456789012:assumed-role/app/tf-app";
    let input = format!(
        "User: {arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/x with an explicit deny in a service control policy\n\
         <Error><Code>AccessDenied</Code><Message>User: {arn} is not authorized to perform: s3:GetObject on resource: &quot;arn:aws:s3:::explain-terraform-state/app/terraform.tfstate&quot; because no identity-based policy allows the s3:GetObject action</Message></Error>\n\
         User: arn:aws:iam::123456789012:user/terraform-ci is not authorized to perform: iam:ListRoles\n\
         User: arn:aws:sts::999999999999:assumed-role/app/x is not authorized to perform: iam:ListRoles\n"
    );
    let out = ok(root, &["explain", "--fix"], &input);
    for expect in [
        "denial 1 of 4",
        "not fixed by tfroles.hcl: AWS names a service control policy",
        "denied by the state isolation (statement `NoStateAccess`)",
        "this is the base identity `ci`",
        "is not a role of",
        "nothing to change",
    ] {
        assert!(out.contains(expect), "missing {expect:?} in:\n{out}");
    }
    assert_eq!(
        fs::read_to_string(root.join("tfroles.hcl")).unwrap(),
        CONFIG
    );

    let none = tfroles(root, &["explain"], "all good");
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none.stderr).contains("found no AccessDenied"),
        "{}",
        text(&none.stderr)
    );
}

/// `--format json`: each denial as a record a script can act on, and with
/// `--fix` what was changed; the file is edited exactly as the text mode
/// edits it.
#[test]
fn json_names_principal_rule_change_and_what_fix_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::write(root.join("tfroles.hcl"), CONFIG).unwrap();
    fs::create_dir(root.join("app")).unwrap();
    let arn = "arn:aws:sts::123456789012:assumed-role/app/tf-app-4711";
    let input = format!(
        "User: {arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/x because no identity-based policy allows the iam:CreateUser action\n\
         User: {arn} is not authorized to perform: iam:CreateGroup on resource: arn:aws:iam::123456789012:group/g with an explicit deny in a service control policy\n\
         User: {arn} is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::123456789012:user/x\n\
         User: arn:aws:iam::123456789012:user/terraform-ci is not authorized to perform: iam:ListRoles\n"
    );
    let parse = |out: &str| -> Value {
        serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: not JSON:\n{out}"))
    };
    let doc = parse(&ok(root, &["explain", "--format", "json"], &input));
    assert_eq!(doc["version"], 1);
    let d = doc["denials"].as_array().unwrap();
    assert_eq!(d.len(), 4, "{doc:#}");

    // A missing action, in a session tfroles named for stack `app`.
    assert_eq!(d[0]["action"], "iam:CreateUser");
    assert_eq!(d[0]["resource"], "arn:aws:iam::123456789012:user/x");
    assert_eq!(d[0]["source"], "message");
    assert_eq!(
        d[0]["aws_says"],
        serde_json::json!({"refusal": "no_allow", "policy_type": "identity-based policy"})
    );
    let p = &d[0]["principal"];
    assert_eq!(p["kind"], "assumed_role");
    assert_eq!(p["role"], "app");
    assert_eq!(p["account"], "main");
    assert_eq!(p["account_id"], "123456789012");
    assert_eq!(p["session"], "tf-app-4711");
    assert_eq!(p["stacks"], serde_json::json!(["app"]));
    assert_eq!(p["named_by_tfroles"], true);
    assert_eq!(d[0]["rule"], "missing_action");
    assert_eq!(d[0]["statement"], Value::Null);
    assert_eq!(
        d[0]["change"],
        "add \"iam:CreateUser\" to `actions` of role \"app\" (`--fix` does)"
    );
    assert_eq!(d[0]["fixable"], true);
    assert_eq!(d[0]["fixed"], false);

    // What an SCP refused: the same rule here, but nothing tfroles.hcl fixes.
    assert_eq!(d[1]["aws_says"]["refusal"], "explicit_deny");
    assert_eq!(d[1]["aws_says"]["policy_type"], "service control policy");
    assert_eq!(d[1]["fixable"], false);
    assert!(
        d[1]["not_fixable"]
            .as_str()
            .unwrap()
            .contains("service control policy"),
        "{doc:#}"
    );

    // A delete, which the role does not grant at all.
    assert_eq!(d[2]["action"], "iam:DeleteUser");
    assert_eq!(d[2]["aws_says"], Value::Null);

    // The base identity.
    assert_eq!(d[3]["rule"], "base_identity");
    assert_eq!(d[3]["principal"]["kind"], "user");
    assert_eq!(d[3]["principal"]["identity"], "ci");
    assert_eq!(d[3]["change"], Value::Null);

    assert_eq!(doc["fix"]["requested"], false);
    assert_eq!(doc["fix"]["written"], false);
    assert_eq!(
        fs::read_to_string(root.join("tfroles.hcl")).unwrap(),
        CONFIG,
        "without --fix nothing is written"
    );

    // With --fix: the record says what changed, and the file has it.
    let doc = parse(&ok(root, &["explain", "--format", "json", "--fix"], &input));
    let fix = &doc["fix"];
    assert_eq!(fix["requested"], true);
    assert_eq!(fix["written"], true);
    assert_eq!(fix["file"], "tfroles.hcl");
    let added = fix["added"].as_array().unwrap();
    assert!(
        added.contains(&serde_json::json!({"role": "app", "action": "iam:CreateUser"})),
        "{fix:#}"
    );
    assert!(
        !added.iter().any(|a| a["action"] == "iam:CreateGroup"),
        "an SCP's denial is never fixed in tfroles.hcl: {fix:#}"
    );
    assert_eq!(doc["denials"][0]["fixed"], true);
    assert_eq!(doc["denials"][1]["fixed"], false);
    let after = fs::read_to_string(root.join("tfroles.hcl")).unwrap();
    assert!(after.contains("\"iam:CreateUser\""), "{after}");
    assert!(
        after.contains("# Users and groups for the app"),
        "comments kept"
    );

    // Again: the file already grants it; nothing is written.
    let doc = parse(&ok(root, &["explain", "--format", "json", "--fix"], &input));
    assert_eq!(doc["fix"]["written"], false);
    assert_eq!(doc["denials"][0]["rule"], "allowed");
}
