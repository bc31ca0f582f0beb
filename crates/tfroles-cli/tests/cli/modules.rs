//! Roles shipped with modules, through the binary: the module role created
//! in a moto server that enforces IAM from tfroles' own trust and
//! permission policies can do what its manifest grants and is refused the
//! stack role's other services and the state bucket; `validate`, `generate`
//! and `generate --check` report calls that do not pass their provider,
//! with file, line and the line to add, and never edit hand-written files;
//! a manifest error writes nothing.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use tfroles_testsupport::{Moto, python_env};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");

/// moto's account.
const ACCOUNT: &str = "123456789012";
const STATE_BUCKET: &str = "tfroles-modules-state";

const CONFIG: &str = r#"defaults {
  region = "us-east-1"
}

account "main" {
  id = "123456789012"
}

identity "ci" {
  arn = "arn:aws:iam::123456789012:user/ci"
}

state {
  account = "main"
  bucket  = "tfroles-modules-state"
  role    = "terraform-state"
}

role "terraform-state" {
  account = "main"
}

role "app" {
  account      = "main"
  external_id  = "acme-app"
  services     = ["iam", "s3"]
  access       = ["list", "read", "write", "tagging", "permissions"]
  module_roles = true
}

stack "app" {
  account = "main"
  role    = "app"
}
"#;

const MAIN_TF: &str = "module \"data\" {\n  source = \"../modules/data\"\n\n  providers = { aws = aws.module_data }\n}\n";

fn repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::write(root.join("tfroles.hcl"), CONFIG).unwrap();
    fs::create_dir_all(root.join("app")).unwrap();
    fs::create_dir_all(root.join("modules/data")).unwrap();
    fs::write(root.join("app/main.tf"), MAIN_TF).unwrap();
    fs::write(
        root.join("modules/data/main.tf"),
        "resource \"aws_s3_bucket\" \"this\" {\n  bucket = \"app-data\"\n}\n",
    )
    .unwrap();
    fs::write(
        root.join("modules/data/tfroles.module.hcl"),
        "services = [\"s3\"]\naccess   = [\"list\", \"read\", \"write\"]\n",
    )
    .unwrap();
    tmp
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tfroles(root: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run tfroles {args:?}: {e}"))
}

fn policy(root: &Path, args: &[&str]) -> String {
    let mut full = vec!["policy"];
    full.extend_from_slice(args);
    full.push("--compact");
    let out = tfroles(root, &full);
    assert!(
        out.status.success(),
        "tfroles {full:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout).trim_end().to_owned()
}

/// Creates the buckets, the base user with tfroles' identity policy and a
/// key, and each role with tfroles' trust and permissions.
const SETUP: &str = r#"
import json, sys
import boto3
from botocore.config import Config

spec = json.load(sys.stdin)
config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=config, region_name="us-east-1")
iam = boto3.client("iam", endpoint_url=sys.argv[1], config=config, region_name="us-east-1")
s3.create_bucket(Bucket=spec["state_bucket"])
s3.put_object(Bucket=spec["state_bucket"], Key="app/terraform.tfstate", Body=b"{}")
iam.create_user(UserName="ci")
iam.put_user_policy(UserName="ci", PolicyName="tfroles", PolicyDocument=spec["user_policy"])
key = iam.create_access_key(UserName="ci")["AccessKey"]
for role in spec["roles"]:
    iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=role["trust"])
    iam.put_role_policy(RoleName=role["name"], PolicyName="tfroles", PolicyDocument=role["permissions"])
print(json.dumps({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
"#;

/// As the base user: assumes each role (with its external id), then makes
/// each call with that role's session; prints `allowed` or the error code
/// and status per call.
const PROBE: &str = r#"
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

spec = json.load(sys.stdin)
config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
base = boto3.session.Session(aws_access_key_id=spec["key"], aws_secret_access_key=spec["secret"], region_name="us-east-1")
sts = base.client("sts", endpoint_url=sys.argv[1], config=config)
sessions = {}
answers = []
def answer(f):
    try:
        f()
        return "allowed"
    except ClientError as e:
        return f"{e.response.get('Error', {}).get('Code')} {e.response.get('ResponseMetadata', {}).get('HTTPStatusCode')}"
for role in spec["roles"]:
    def assume():
        c = sts.assume_role(RoleArn=role["arn"], RoleSessionName="probe", ExternalId=role["external_id"])["Credentials"]
        sessions[role["name"]] = boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"], region_name="us-east-1")
    answers.append(answer(assume))
for call in spec["calls"]:
    client = sessions[call["as"]].client(call["service"], endpoint_url=sys.argv[1], config=config)
    answers.append(answer(lambda: getattr(client, call["op"])(**call["params"])))
print(json.dumps(answers))
"#;

fn python(moto: &Moto, script: &str, input: &Value) -> Value {
    let mut cmd = Command::new(python_env().python());
    moto.apply_env(&mut cmd)
        .args(["-c", script, moto.endpoint()])
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the venv's Python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "boto3 against moto failed:\n{}\nmoto's log:\n{}",
        text(&out.stderr),
        moto.log()
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", text(&out.stdout)))
}

#[test]
fn the_module_role_can_do_what_its_manifest_grants_and_nothing_of_the_stack_roles_rest() {
    let repo = repo();
    let root = repo.path();
    let out = tfroles(root, &["validate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let role = |name: &str| {
        json!({
            "name": name,
            "trust": policy(root, &["--role", name, "--kind", "trust"]),
            "permissions": policy(root, &["--role", name, "--kind", "permissions"]),
        })
    };
    let moto = Moto::start();
    let keys = python(
        &moto,
        SETUP,
        &json!({
            "state_bucket": STATE_BUCKET,
            "user_policy": policy(root, &["--identity", "ci"]),
            "roles": [role("module-data"), role("app")],
        }),
    );
    moto.set_auth("0");
    let arn = |n: &str| format!("arn:aws:iam::{ACCOUNT}:role/{n}");
    let call = |who: &str, service: &str, op: &str, params: Value| json!({"as": who, "service": service, "op": op, "params": params});
    let calls = [
        // What the manifest grants (S3 at list, read, write).
        (
            call(
                "module-data",
                "s3",
                "create_bucket",
                json!({"Bucket": "app-data"}),
            ),
            "allowed",
        ),
        (
            call(
                "module-data",
                "s3",
                "put_object",
                json!({"Bucket": "app-data", "Key": "k", "Body": "x"}),
            ),
            "allowed",
        ),
        // The stack role's other service.
        (
            call(
                "module-data",
                "iam",
                "create_user",
                json!({"UserName": "by-module"}),
            ),
            "AccessDenied 403",
        ),
        (
            call("module-data", "iam", "list_roles", json!({})),
            "AccessDenied 403",
        ),
        // The state bucket, though the manifest grants S3.
        (
            call(
                "module-data",
                "s3",
                "get_object",
                json!({"Bucket": STATE_BUCKET, "Key": "app/terraform.tfstate"}),
            ),
            "AccessDenied 403",
        ),
        (
            call(
                "module-data",
                "s3",
                "put_object",
                json!({"Bucket": STATE_BUCKET, "Key": "app/terraform.tfstate", "Body": "{}"}),
            ),
            "AccessDenied 403",
        ),
        // The stack role may do what the module role may not: the denials
        // above come from the module's role, not from moto.
        (
            call("app", "iam", "create_user", json!({"UserName": "by-stack"})),
            "allowed",
        ),
        (
            call(
                "app",
                "s3",
                "get_object",
                json!({"Bucket": STATE_BUCKET, "Key": "app/terraform.tfstate"}),
            ),
            "AccessDenied 403",
        ),
    ];
    let answers = python(
        &moto,
        PROBE,
        &json!({
            "key": keys["key"],
            "secret": keys["secret"],
            "roles": [
                {"name": "module-data", "arn": arn("module-data"), "external_id": "acme-app"},
                {"name": "app", "arn": arn("app"), "external_id": "acme-app"},
            ],
            "calls": calls.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(),
        }),
    );
    let mut expected = vec!["allowed", "allowed"];
    expected.extend(calls.iter().map(|(_, e)| *e));
    let shown: Vec<String> = ["assume module-data", "assume app"]
        .into_iter()
        .map(String::from)
        .chain(
            calls
                .iter()
                .map(|(c, _)| format!("{} {}:{}", c["as"], c["service"], c["op"])),
        )
        .collect();
    let got: Vec<&str> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let table: Vec<String> = shown
        .iter()
        .zip(expected.iter().zip(&got))
        .map(|(s, (e, g))| format!("{s}: expected {e}, got {g}"))
        .collect();
    assert_eq!(
        got,
        expected,
        "\n{}\nmoto's log:\n{}",
        table.join("\n"),
        moto.log()
    );
}

#[test]
fn calls_without_their_provider_are_reported_and_hand_written_files_are_never_edited() {
    let repo = repo();
    let root = repo.path();
    let unwired = "module \"data\" {\n  source = \"../modules/data\"\n}\n\nmodule \"other\" {\n  source    = \"../modules/data\"\n  providers = { aws = aws.west }\n}\n";
    fs::write(root.join("app/main.tf"), unwired).unwrap();
    let out = tfroles(root, &["validate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "error: app/main.tf:1:1: in block `module \"data\"`, attribute `providers`: does not pass the provider of role `module-data`, so the module runs with the stack's role\n  \
         hint: add this line inside the block: providers = { aws = aws.module_data }\n\
         error: app/main.tf:5:1: in block `module \"other\"`, attribute `providers`: passes `aws.west` as `aws`, not the provider of role `module-data`\n  \
         hint: write `aws = aws.module_data` in its `providers`\n\
         2 module calls do not pass their module's provider\n  \
         hint: add the `providers` lines shown; tfroles does not edit hand-written files\n"
    );
    let out = tfroles(root, &["validate", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["diagnostics"][0]["file"], "app/main.tf");
    assert_eq!(report["diagnostics"][0]["line"], 1);
    assert_eq!(
        report["diagnostics"][0]["hint"],
        "add this line inside the block: providers = { aws = aws.module_data }"
    );
    // generate writes its files and only warns; main.tf is as it was.
    let out = tfroles(root, &["generate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("warning: app/main.tf:1:1: "),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(root.join("app/main.tf")).unwrap(),
        unwired
    );
    let providers = fs::read_to_string(root.join("app/providers.tf")).unwrap();
    assert!(
        providers.contains("alias               = \"module_data\""),
        "{providers}"
    );
    assert!(
        providers.contains("role_arn     = \"arn:aws:iam::123456789012:role/module-data\""),
        "{providers}"
    );
    // generate --check: the files are up to date, the calls still fail it.
    let out = tfroles(root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // With the lines written, everything passes.
    fs::write(
        root.join("app/main.tf"),
        unwired.replace("aws.west", "aws.module_data").replacen(
            "source = \"../modules/data\"\n}",
            "source = \"../modules/data\"\n\n  providers = {\n    aws = aws.module_data\n  }\n}",
            1,
        ),
    )
    .unwrap();
    let out = tfroles(root, &["generate", "--check"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn a_bad_manifest_fails_validate_and_generate_and_nothing_is_written() {
    let repo = repo();
    let root = repo.path();
    fs::write(
        root.join("modules/data/tfroles.module.hcl"),
        "services = [\"s3\"]\nacess = [\"read\"]\n",
    )
    .unwrap();
    for args in [&["validate"][..], &["generate"][..]] {
        let out = tfroles(root, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("modules/data/tfroles.module.hcl:2:1: in block `module manifest`: unknown attribute `acess`"),
            "{err}"
        );
        assert!(err.contains("hint: did you mean `access`?"), "{err}");
    }
    assert!(!root.join("app/providers.tf").exists());
    assert!(!root.join("app/backend.tf").exists());
}

#[test]
fn usage_of_a_module_role_points_at_the_modules_manifest() {
    use crate::usage::{ACCOUNT as TRAIL_ACCOUNT, deliver, denied, record};
    let repo = repo();
    let root = repo.path();
    fs::write(
        root.join("tfroles.hcl"),
        CONFIG.replace(ACCOUNT, TRAIL_ACCOUNT),
    )
    .unwrap();
    let s3 = |n: &str| record("s3.amazonaws.com", n, "module-data", "tfroles");
    deliver(
        root,
        "20261102",
        1,
        &[
            s3("CreateBucket"),
            s3("ListBuckets"),
            denied(record(
                "iam.amazonaws.com",
                "CreateRole",
                "module-data",
                "tfroles",
            )),
        ],
    );
    let out = tfroles(
        root,
        &["usage", "--cloudtrail", "AWSLogs", "--role", "module-data"],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "change:   add `iam:CreateRole` to `actions` in modules/data/tfroles.module.hcl (the manifest of module `modules/data`, whose role `module-data` is) (by hand: `--fix` edits only tfroles.hcl)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("narrowed grant for role module-data (what its instance used), to write in modules/data/tfroles.module.hcl:"),
        "{stdout}"
    );
}
