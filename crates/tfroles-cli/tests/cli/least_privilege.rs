//! Least privilege, end to end: the policies `tfroles policy` derives are
//! created in a moto server that enforces IAM, and terraform's own s3 backend
//! runs a generated stack through them as a base user that may do nothing but
//! assume its roles.
//!
//! One moto server serves the whole of the first test: set-up with
//! enforcement off, then with it on: terraform's init, apply, plan and
//! destroy; what each identity is refused; and, for every action of every
//! statement of the state role's permissions, a run without it, which must
//! break a backend step (moto's log names the request it refused).
//!
//! Moto cannot show everything (see REFERENCE.md, "moto server"): it ignores
//! conditions, and session policies (it records the ones the backend and
//! `credential-process` send, and the test checks they are the ones tfroles
//! prints), and it answers a HEAD or GET of a missing key with 404 whatever
//! the caller may list. What depends on those is checked with
//! `tfroles simulate` instead ([`simulate_shows_what_session_policies_add`]).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tfroles_testsupport::{Moto, python_env, terraform};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");

/// Moto's default account: what it puts in the ARNs of what it creates.
const ACCOUNT: &str = "123456789012";
const BUCKET: &str = "lp-terraform-state";
const STATE_KEY: &str = "terraform/app/terraform.tfstate";
const LOCK_KEY: &str = "terraform/app/terraform.tfstate.tflock";
const OTHER_KEY: &str = "terraform/other/terraform.tfstate";
const BASE_USER: &str = "terraform-ci";

const CONFIG: &str = r#"defaults {
  region       = "us-east-1"
  session_name = "terraform"
}

account "main" {
  id = "123456789012"
}

identity "ci" {
  arn = "arn:aws:iam::123456789012:user/terraform-ci"
}

state {
  account      = "main"
  bucket       = "lp-terraform-state"
  role         = "terraform-state"
  key_prefix   = "terraform"
  use_lockfile = true
}

role "terraform-state" {
  account     = "main"
  external_id = "tf-state"

  trust {
    aws = ["ci"]
  }
}

role "app-provisioning" {
  account     = "main"
  external_id = "app"
  services    = ["ec2", "rds", "s3"]

  trust {
    aws = ["ci"]
  }
}

stack "app" {
  account = "main"
  role    = "app-provisioning"
}

stack "other" {
  account = "main"
  role    = "app-provisioning"
}
"#;

const MAIN_TF: &str = "resource \"terraform_data\" \"x\" {\n  input = \"hello\"\n}\n\n\
                       output \"x\" {\n  value = terraform_data.x.output\n}\n";

/// The config and its two stacks.
fn repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("tfroles.hcl"), CONFIG).unwrap();
    for stack in ["app", "other"] {
        fs::create_dir(tmp.path().join(stack)).unwrap();
        fs::write(tmp.path().join(stack).join("main.tf"), MAIN_TF).unwrap();
    }
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
        .unwrap_or_else(|e| panic!("cannot run tfroles {args:?} in {}: {e}", root.display()))
}

/// `tfroles policy ARGS --compact`: one line of JSON, as sent to AWS.
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

// ------------------------------------------------------------ boto3

/// Creates the state bucket, the roles (trust and inline permissions from
/// tfroles), a role the base user is trusted by but not allowed to assume,
/// and the base user with its policy and an access key.
const SETUP: &str = r#"
import json, sys
import boto3
from botocore.config import Config

spec = json.load(sys.stdin)
config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=config)
iam = boto3.client("iam", endpoint_url=sys.argv[1], config=config)
s3.create_bucket(Bucket=spec["bucket"])
user = iam.create_user(UserName=spec["user"])["User"]
iam.put_user_policy(UserName=spec["user"], PolicyName="tfroles", PolicyDocument=spec["user_policy"])
key = iam.create_access_key(UserName=spec["user"])["AccessKey"]
roles = {}
for role in spec["roles"]:
    arn = iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=role["trust"])["Role"]["Arn"]
    if role["permissions"] is not None:
        iam.put_role_policy(RoleName=role["name"], PolicyName="tfroles", PolicyDocument=role["permissions"])
    roles[role["name"]] = arn
print(json.dumps({"user": user["Arn"], "roles": roles,
                  "key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
"#;

/// Replaces a role's inline policy and empties the state bucket.
const RESET: &str = r#"
import json, sys
import boto3
from botocore.config import Config

spec = json.load(sys.stdin)
config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=config)
iam = boto3.client("iam", endpoint_url=sys.argv[1], config=config)
iam.put_role_policy(RoleName=spec["role"], PolicyName="tfroles", PolicyDocument=spec["policy"])
for o in s3.list_objects_v2(Bucket=spec["bucket"]).get("Contents", []):
    s3.delete_object(Bucket=spec["bucket"], Key=o["Key"])
print("[]")
"#;

/// Makes each call with its credentials; prints per call `allowed`, or the
/// error code and HTTP status (`AccessDenied 403`), or `error: ...` for a
/// failure that is no answer from the server.
const PROBE: &str = r#"
import json, sys
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

session = botocore.session.get_session()
config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
clients = {}
answers = []
for call in json.load(sys.stdin):
    creds = call["creds"]
    client_key = (creds["key"], call["service"])
    if client_key not in clients:
        clients[client_key] = session.create_client(
            call["service"], endpoint_url=sys.argv[1], region_name="us-east-1",
            aws_access_key_id=creds["key"], aws_secret_access_key=creds["secret"],
            aws_session_token=creds.get("token"), config=config)
    try:
        getattr(clients[client_key], call["op"])(**call["params"])
        answers.append("allowed")
    except ClientError as e:
        error = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        answers.append(f"{error.get('Code')} {status}")
    except Exception as e:
        answers.append(f"error: {type(e).__name__}: {e}")
print(json.dumps(answers))
"#;

/// Runs `script` with the venv's Python, `input` as JSON on stdin and moto's
/// endpoint as its argument (moto's dummy keys in the environment), and
/// parses what it prints.
fn python(moto: &Moto, script: &str, what: &str, input: &Value) -> Value {
    let mut cmd = Command::new(python_env().python());
    moto.apply_env(&mut cmd)
        .args(["-c", script, moto.endpoint()])
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run the venv's Python for the {what}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("cannot write the {what}'s input: {e}"));
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("the {what} did not finish: {e}"));
    let stderr = text(&out.stderr);
    assert!(
        out.status.success(),
        "the {what} (boto3 against moto) exited with {}:\n{stderr}\nmoto's log:\n{}",
        out.status,
        moto.log()
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the {what} printed no JSON ({e}):\n{}\n{stderr}",
            text(&out.stdout)
        )
    })
}

// ------------------------------------------------------------ terraform

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Init,
    Apply,
    Plan,
    Destroy,
}

const STEPS: [Step; 4] = [Step::Init, Step::Apply, Step::Plan, Step::Destroy];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Init => "init",
            Step::Apply => "apply",
            Step::Plan => "plan",
            Step::Destroy => "destroy",
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            Step::Init => &["init", "-backend-config=moto.tfbackend"],
            Step::Apply => &["apply", "-auto-approve"],
            // After apply nothing may be left to change: exit 2 would mean
            // terraform did not read back the state it saved.
            Step::Plan => &["plan", "-detailed-exitcode"],
            Step::Destroy => &["destroy", "-auto-approve"],
        }
    }
}

/// A generated stack run by terraform as the base user.
struct Stack<'a> {
    moto: &'a Moto,
    dir: PathBuf,
    base: &'a Keys,
}

struct Keys {
    key: String,
    secret: String,
}

/// The first backend step that failed, with its output.
struct Failed {
    step: Step,
    output: String,
}

impl Stack<'_> {
    fn run(&self, step: Step) -> Output {
        let mut cmd = terraform();
        self.moto.apply_env(&mut cmd);
        cmd.env("AWS_ACCESS_KEY_ID", &self.base.key)
            .env("AWS_SECRET_ACCESS_KEY", &self.base.secret)
            .current_dir(&self.dir)
            .args(step.args())
            .args(["-input=false", "-no-color"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Init, apply, plan and destroy, up to the first failure.
    fn run_all(&self) -> Result<(), Failed> {
        for step in STEPS {
            let out = self.run(step);
            if !out.status.success() {
                return Err(Failed {
                    step,
                    output: format!(
                        "exit {:?}\n{}{}",
                        out.status.code(),
                        text(&out.stdout),
                        text(&out.stderr)
                    ),
                });
            }
        }
        Ok(())
    }

    /// Forgets what the last run left behind locally, so the next init
    /// starts from nothing.
    fn clean(&self) {
        for name in [".terraform", ".terraform.lock.hcl", "errored.tfstate"] {
            let path = self.dir.join(name);
            if path.is_dir() {
                fs::remove_dir_all(&path).unwrap();
            } else if path.exists() {
                fs::remove_file(&path).unwrap();
            }
        }
    }
}

/// What terraform reports of the AWS error that stopped it, from its
/// (wrapped) message: `PutObject: AccessDenied 403`.
fn aws_error(output: &str) -> String {
    let flat = output.split_whitespace().collect::<Vec<_>>().join(" ");
    let marker = "operation error S3: ";
    let Some(at) = flat.find(marker) else {
        return format!("no S3 error in terraform's output:\n{output}");
    };
    let rest = &flat[at + marker.len()..];
    let op = rest.split(',').next().unwrap_or_default();
    let status = rest
        .split_once("StatusCode: ")
        .map(|(_, s)| s.split(',').next().unwrap_or_default())
        .unwrap_or("?");
    let code = rest
        .split_once("api error ")
        .map(|(_, s)| s.split(':').next().unwrap_or_default())
        .unwrap_or("?");
    format!("{op}: {code} {status}")
}

/// The requests moto refused (HTTP 403) in `log`, named as S3 operations
/// where they are S3's, each once, in order.
fn refused(log: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in log.lines() {
        // 127.0.0.1 - - [date] "PUT /bucket/key?x-id=PutObject HTTP/1.1" 403 -
        let mut parts = line.splitn(3, '"');
        let (Some(_), Some(request), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if rest.split_whitespace().next() != Some("403") {
            continue;
        }
        let mut words = request.split(' ');
        let (Some(method), Some(target)) = (words.next(), words.next()) else {
            continue;
        };
        let shown = s3_operation(method, target);
        if !out.contains(&shown) {
            out.push(shown);
        }
    }
    out
}

fn s3_operation(method: &str, target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Some((bucket, key)) = path.trim_start_matches('/').split_once('/') else {
        if method == "GET" && query.split('&').any(|p| p == "list-type=2") {
            let prefix = query
                .split('&')
                .find_map(|p| p.strip_prefix("prefix="))
                .unwrap_or("");
            return format!(
                "ListObjectsV2 {} prefix={prefix}",
                path.trim_start_matches('/')
            );
        }
        return format!("{method} {target}");
    };
    let op = match method {
        "HEAD" => "HeadObject",
        "GET" => "GetObject",
        "PUT" => "PutObject",
        "DELETE" => "DeleteObject",
        other => other,
    };
    format!("{op} /{bucket}/{key}")
}

// ------------------------------------------------------------ probes

/// One boto3 call as one identity, and the answer expected from moto.
struct Probe {
    who: &'static str,
    shown: String,
    service: &'static str,
    op: &'static str,
    params: Value,
    expect: &'static str,
}

fn probe(
    who: &'static str,
    shown: impl Into<String>,
    service: &'static str,
    op: &'static str,
    params: Value,
    expect: &'static str,
) -> Probe {
    Probe {
        who,
        shown: shown.into(),
        service,
        op,
        params,
        expect,
    }
}

const DENIED: &str = "AccessDenied 403";
const ALLOWED: &str = "allowed";

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn assume(who: &'static str, role: &str, external_id: &str, expect: &'static str) -> Probe {
    probe(
        who,
        format!("sts:AssumeRole {role} (external id {external_id})"),
        "sts",
        "assume_role",
        json!({"RoleArn": role_arn(role), "RoleSessionName": "probe", "ExternalId": external_id}),
        expect,
    )
}

fn get_object(who: &'static str, key: &str, expect: &'static str) -> Probe {
    probe(
        who,
        format!("s3:GetObject {BUCKET}/{key}"),
        "s3",
        "get_object",
        json!({"Bucket": BUCKET, "Key": key}),
        expect,
    )
}

fn put_object(who: &'static str, key: &str, expect: &'static str) -> Probe {
    probe(
        who,
        format!("s3:PutObject {BUCKET}/{key}"),
        "s3",
        "put_object",
        json!({"Bucket": BUCKET, "Key": key, "Body": "{}"}),
        expect,
    )
}

fn list_buckets(who: &'static str) -> Probe {
    probe(
        who,
        "s3:ListAllMyBuckets",
        "s3",
        "list_buckets",
        json!({}),
        DENIED,
    )
}

fn list_roles(who: &'static str) -> Probe {
    probe(who, "iam:ListRoles", "iam", "list_roles", json!({}), DENIED)
}

fn create_user(who: &'static str, name: &str) -> Probe {
    probe(
        who,
        format!("iam:CreateUser {name}"),
        "iam",
        "create_user",
        json!({"UserName": name}),
        DENIED,
    )
}

/// What the base user, the state role's session and the provisioning role's
/// session may and may not do.
fn probes() -> Vec<Probe> {
    const BASE: &str = "base user";
    const STATE: &str = "state session";
    const PROV: &str = "provisioning session";
    vec![
        // The base user: assuming its roles, and nothing else.
        assume(BASE, "terraform-state", "tf-state", ALLOWED),
        assume(BASE, "app-provisioning", "app", ALLOWED),
        // The trust policy's external id condition (moto checks it).
        assume(BASE, "terraform-state", "wrong", DENIED),
        // This role's trust names the base user: only the user's own policy
        // keeps it out.
        assume(BASE, "break-glass", "none", DENIED),
        list_buckets(BASE),
        get_object(BASE, STATE_KEY, DENIED),
        put_object(BASE, STATE_KEY, DENIED),
        list_roles(BASE),
        create_user(BASE, "made-by-base"),
        probe(
            BASE,
            format!("iam:PutUserPolicy {BASE_USER} (itself)"),
            "iam",
            "put_user_policy",
            json!({
                "UserName": BASE_USER,
                "PolicyName": "escalate",
                "PolicyDocument": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            }),
            DENIED,
        ),
        probe(
            BASE,
            "ec2:DescribeInstances",
            "ec2",
            "describe_instances",
            json!({}),
            DENIED,
        ),
        // The state role's session: its state, nothing else.
        get_object(STATE, STATE_KEY, ALLOWED),
        put_object(STATE, "terraform/app/not-state.txt", DENIED),
        probe(
            STATE,
            "s3:CreateBucket lp-made-by-state",
            "s3",
            "create_bucket",
            json!({"Bucket": "lp-made-by-state"}),
            DENIED,
        ),
        probe(
            STATE,
            format!("s3:DeleteBucket {BUCKET}"),
            "s3",
            "delete_bucket",
            json!({"Bucket": BUCKET}),
            DENIED,
        ),
        list_buckets(STATE),
        list_roles(STATE),
        create_user(STATE, "made-by-state"),
        probe(
            STATE,
            "iam:GetRole terraform-state",
            "iam",
            "get_role",
            json!({"RoleName": "terraform-state"}),
            DENIED,
        ),
        assume(STATE, "app-provisioning", "app", DENIED),
        // The provisioning role's session: its services, not the state,
        // though it is granted `s3` in the state account.
        get_object(PROV, STATE_KEY, DENIED),
        put_object(PROV, STATE_KEY, DENIED),
        put_object(PROV, OTHER_KEY, DENIED),
        probe(
            PROV,
            format!("s3:DeleteObject {BUCKET}/{STATE_KEY}"),
            "s3",
            "delete_object",
            json!({"Bucket": BUCKET, "Key": STATE_KEY}),
            DENIED,
        ),
        probe(
            PROV,
            format!("s3:PutBucketPolicy {BUCKET}"),
            "s3",
            "put_bucket_policy",
            json!({"Bucket": BUCKET, "Policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::lp-terraform-state/*"}]}"#}),
            DENIED,
        ),
        // ... and it still works with buckets of its own.
        probe(
            PROV,
            "s3:CreateBucket lp-made-by-provisioning",
            "s3",
            "create_bucket",
            json!({"Bucket": "lp-made-by-provisioning"}),
            ALLOWED,
        ),
        probe(
            PROV,
            "s3:PutObject lp-made-by-provisioning/x",
            "s3",
            "put_object",
            json!({"Bucket": "lp-made-by-provisioning", "Key": "x", "Body": "{}"}),
            ALLOWED,
        ),
        probe(
            PROV,
            "s3:GetObject lp-made-by-provisioning/x",
            "s3",
            "get_object",
            json!({"Bucket": "lp-made-by-provisioning", "Key": "x"}),
            ALLOWED,
        ),
        probe(
            PROV,
            format!("s3:ListBucket {BUCKET}"),
            "s3",
            "list_objects_v2",
            json!({"Bucket": BUCKET}),
            DENIED,
        ),
        list_roles(PROV),
        create_user(PROV, "made-by-provisioning"),
        probe(
            PROV,
            "ec2:DescribeInstances",
            "ec2",
            "describe_instances",
            json!({}),
            ALLOWED,
        ),
        probe(
            PROV,
            "rds:DescribeDBInstances",
            "rds",
            "describe_db_instances",
            json!({}),
            ALLOWED,
        ),
        // The role itself allows deletes; only the session's delete guard
        // refuses them, and moto does not enforce session policies: the call
        // gets past authorization to "no such instance". The guard is
        // checked with `tfroles simulate` instead.
        probe(
            PROV,
            "ec2:TerminateInstances i-0123456789abcdef0",
            "ec2",
            "terminate_instances",
            json!({"InstanceIds": ["i-0123456789abcdef0"]}),
            "InvalidInstanceID.NotFound 400",
        ),
    ]
}

/// `tfroles credential-process ARGS` as the base user: the keys of a
/// session, for boto3.
fn credential_process(moto: &Moto, root: &Path, base: &Keys, args: &[&str]) -> Value {
    let mut cmd = Command::new(BIN);
    moto.apply_env(&mut cmd);
    for var in ["XDG_CACHE_HOME", "RUST_LOG", "TFROLES_MFA_TOKEN"] {
        cmd.env_remove(var);
    }
    let out = cmd
        .current_dir(root)
        .env("HOME", root.join(".home"))
        .env("TFROLES_CACHE_DIR", root.join(".cache"))
        .env("AWS_ACCESS_KEY_ID", &base.key)
        .env("AWS_SECRET_ACCESS_KEY", &base.secret)
        .arg("credential-process")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "credential-process {args:?} as the base user: {}",
        text(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    json!({
        "key": answer["AccessKeyId"],
        "secret": answer["SecretAccessKey"],
        "token": answer["SessionToken"],
    })
}

// ------------------------------------------------------------ the tests

/// The state role's permissions without one action of one statement (or
/// without the whole statement when `action` is `None`).
fn without(policy: &Value, sid: &str, action: Option<&str>) -> Value {
    let mut policy = policy.clone();
    let statements = policy["Statement"].as_array_mut().unwrap();
    statements.retain_mut(|s| {
        if s["Sid"] != sid {
            return true;
        }
        let Some(action) = action else {
            return false;
        };
        let actions: Vec<Value> = match &s["Action"] {
            Value::Array(a) => a.clone(),
            one => vec![one.clone()],
        };
        let kept: Vec<Value> = actions.into_iter().filter(|a| a != action).collect();
        s["Action"] = Value::Array(kept.clone());
        !kept.is_empty()
    });
    policy
}

#[test]
fn generated_policies_suffice_and_each_state_permission_is_needed() {
    let repo = repo();
    let root = repo.path();
    let out = tfroles(root, &["generate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let app = root.join("app");
    // The aws provider cannot be downloaded here, and terraform refuses to
    // init a directory that names it; the backend needs no provider.
    fs::remove_file(app.join("providers.tf")).unwrap();
    let moto = Moto::start();
    // Endpoints and path-style addressing come in as partial backend
    // configuration, so the generated backend.tf runs exactly as written.
    fs::write(
        app.join("moto.tfbackend"),
        format!(
            "endpoints = {{\n  s3  = \"{e}\"\n  sts = \"{e}\"\n}}\nuse_path_style              = true\n\
             skip_credentials_validation = true\nskip_requesting_account_id  = true\n\
             skip_metadata_api_check     = true\n",
            e = moto.endpoint()
        ),
    )
    .unwrap();

    // 1. Set-up, with enforcement off.
    let state_permissions = policy(root, &["--role", "terraform-state"]);
    let role = |name: &str| {
        json!({
            "name": name,
            "trust": policy(root, &["--role", name, "--kind", "trust"]),
            "permissions": policy(root, &["--role", name, "--kind", "permissions"]),
        })
    };
    let break_glass_trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/{BASE_USER}")},
            "Action": "sts:AssumeRole",
        }],
    });
    let created = python(
        &moto,
        SETUP,
        "set-up script",
        &json!({
            "bucket": BUCKET,
            "user": BASE_USER,
            "user_policy": policy(root, &["--identity", "ci"]),
            "roles": [
                role("terraform-state"),
                role("app-provisioning"),
                {"name": "break-glass", "trust": break_glass_trust.to_string(), "permissions": null},
            ],
        }),
    );
    // The ARNs tfroles wrote into the policies are the ones moto made.
    assert_eq!(
        created["user"],
        format!("arn:aws:iam::{ACCOUNT}:user/{BASE_USER}")
    );
    assert_eq!(
        created["roles"]["terraform-state"],
        role_arn("terraform-state")
    );
    assert_eq!(
        created["roles"]["app-provisioning"],
        role_arn("app-provisioning")
    );
    let base = Keys {
        key: created["key"].as_str().unwrap().to_owned(),
        secret: created["secret"].as_str().unwrap().to_owned(),
    };
    moto.set_auth("0");

    // 2. terraform, as the base user, through the generated backend.
    let stack = Stack {
        moto: &moto,
        dir: app.clone(),
        base: &base,
    };
    let state_of = |what: &str| {
        moto.set_auth("inf");
        let keys = moto.list_objects(BUCKET);
        let state = moto.get_object(BUCKET, STATE_KEY);
        moto.set_auth("0");
        let state: Value = serde_json::from_slice(
            &state.unwrap_or_else(|| panic!("no state at {STATE_KEY} after {what}; {keys:?}")),
        )
        .unwrap();
        (keys, state)
    };
    for step in STEPS {
        let out = stack.run(step);
        assert!(
            out.status.success(),
            "terraform {} as the base user: {}\n{}\nmoto's log:\n{}",
            step.name(),
            text(&out.stdout),
            text(&out.stderr),
            moto.log()
        );
        match step {
            Step::Apply => {
                let (keys, state) = state_of("apply");
                assert_eq!(keys, [STATE_KEY], "the state, and no lock left behind");
                assert_eq!(state["outputs"]["x"]["value"], "hello");
                assert_eq!(state["resources"].as_array().unwrap().len(), 1);
            }
            Step::Destroy => {
                let (keys, state) = state_of("destroy");
                assert_eq!(keys, [STATE_KEY]);
                assert_eq!(state["resources"], json!([]), "destroy emptied the state");
            }
            Step::Init | Step::Plan => {}
        }
    }
    let assumed = moto.assumed_roles();
    assert!(
        assumed.len() >= STEPS.len(),
        "every terraform run assumed the state role: {assumed:?}"
    );
    // Moto records the session policy but does not enforce it: the backend
    // sends exactly the one `tfroles simulate --stack app` evaluates below.
    let session_policy = policy(
        root,
        &[
            "--role",
            "terraform-state",
            "--kind",
            "session",
            "--stack",
            "app",
        ],
    );
    for a in &assumed {
        assert_eq!(a.role_arn, role_arn("terraform-state"));
        assert_eq!(a.external_id.as_deref(), Some("tf-state"));
        assert_eq!(a.session_name, "terraform");
        assert_eq!(
            a.policy.as_deref(),
            Some(session_policy.as_str()),
            "the backend's session policy"
        );
    }

    // 3. What each identity is refused.
    let state_creds = credential_process(
        &moto,
        root,
        &base,
        &["--role", "terraform-state", "--stack", "app"],
    );
    let prov_creds = credential_process(&moto, root, &base, &["--role", "app-provisioning"]);
    credential_process(
        &moto,
        root,
        &base,
        &["--role", "app-provisioning", "--allow-delete"],
    );
    // Each session carried the session policy `tfroles policy` prints (and
    // `tfroles simulate` evaluates): the state keys of stack `app`, the
    // delete guard, none for a deliberate deleting run. Moto records them
    // and enforces none of them.
    let carried: Vec<(String, Option<String>)> = moto.assumed_roles()[assumed.len()..]
        .iter()
        .map(|a| (a.role_arn.clone(), a.policy.clone()))
        .collect();
    assert_eq!(
        carried,
        [
            (role_arn("terraform-state"), Some(session_policy.clone())),
            (
                role_arn("app-provisioning"),
                Some(policy(
                    root,
                    &["--role", "app-provisioning", "--kind", "session"]
                ))
            ),
            (role_arn("app-provisioning"), None),
        ]
    );
    let base_creds = json!({"key": base.key, "secret": base.secret});
    let probes = probes();
    let calls: Vec<Value> = probes
        .iter()
        .map(|p| {
            let creds = match p.who {
                "base user" => &base_creds,
                "state session" => &state_creds,
                _ => &prov_creds,
            };
            json!({"creds": creds, "service": p.service, "op": p.op, "params": p.params})
        })
        .collect();
    let answers = python(&moto, PROBE, "probe script", &Value::from(calls));
    let answers: Vec<String> = serde_json::from_value(answers).unwrap();
    let line = |p: &Probe, answer: &str| format!("{:<21} {:<62} {answer}", p.who, p.shown);
    assert_eq!(
        probes
            .iter()
            .zip(&answers)
            .map(|(p, a)| line(p, a))
            .collect::<Vec<_>>(),
        probes.iter().map(|p| line(p, p.expect)).collect::<Vec<_>>(),
        "what moto answered each identity (left) and what least privilege means (right)"
    );

    // 4. Every action of every statement of the state role is needed: a run
    // without it fails, and moto's log names the request it refused. The
    // exception is ListStateBucket: on AWS a HEAD of a state key that does not
    // exist yet is a 403 without s3:ListBucket, so init fails there; moto
    // answers 404 regardless, and terraform tolerates the refused listing of
    // workspaces, so moto needs it for nothing.
    let full: Value = serde_json::from_str(&state_permissions).unwrap();
    let sids: Vec<&str> = full["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["ListStateBucket", "ReadWriteState", "LockState"]);
    let mut variants: Vec<(String, Value)> = Vec::new();
    for statement in full["Statement"].as_array().unwrap() {
        let sid = statement["Sid"].as_str().unwrap();
        let actions: Vec<&str> = match &statement["Action"] {
            Value::Array(a) => a.iter().map(|a| a.as_str().unwrap()).collect(),
            one => vec![one.as_str().unwrap()],
        };
        if actions.len() > 1 {
            variants.push((sid.to_owned(), without(&full, sid, None)));
        }
        for action in actions {
            variants.push((
                format!("{sid} without {action}"),
                without(&full, sid, Some(action)),
            ));
        }
    }
    let mut results = Vec::new();
    for (name, reduced) in &variants {
        moto.set_auth("inf");
        python(
            &moto,
            RESET,
            "reset script",
            &json!({"role": "terraform-state", "policy": reduced.to_string(), "bucket": BUCKET}),
        );
        moto.set_auth("0");
        stack.clean();
        let mark = moto.log().len();
        let outcome = match stack.run_all() {
            Ok(()) => "init, apply, plan, destroy pass".to_owned(),
            Err(Failed { step, output }) => {
                format!("{} fails: {}", step.name(), aws_error(&output))
            }
        };
        let log = moto.log();
        let refused = refused(log.get(mark..).unwrap_or_default()).join(", ");
        results.push(format!("{name:<36} {outcome}; moto refused {refused}"));
    }
    let state = format!("/{BUCKET}/{STATE_KEY}");
    let lock = format!("/{BUCKET}/{LOCK_KEY}");
    let expected = [
        (
            "ListStateBucket without s3:ListBucket",
            "init, apply, plan, destroy pass".to_owned(),
            format!("ListObjectsV2 {BUCKET} prefix=env:/"),
        ),
        // A HEAD answer has no body, so no error code: only the status.
        (
            "ReadWriteState",
            "init fails: HeadObject: Forbidden 403".to_owned(),
            format!("HeadObject {state}"),
        ),
        (
            "ReadWriteState without s3:GetObject",
            "init fails: HeadObject: Forbidden 403".to_owned(),
            format!("HeadObject {state}"),
        ),
        (
            "ReadWriteState without s3:PutObject",
            "apply fails: PutObject: AccessDenied 403".to_owned(),
            format!("PutObject {state}"),
        ),
        // Acquiring the lock fails; terraform then reads the lock to say
        // who holds it, and is refused that too.
        (
            "LockState",
            "apply fails: PutObject: AccessDenied 403".to_owned(),
            format!("PutObject {lock}, GetObject {lock}"),
        ),
        // Terraform reads the lock back before deleting it, to check that
        // it is still its own.
        (
            "LockState without s3:GetObject",
            "apply fails: GetObject: AccessDenied 403".to_owned(),
            format!("GetObject {lock}"),
        ),
        (
            "LockState without s3:PutObject",
            "apply fails: PutObject: AccessDenied 403".to_owned(),
            format!("PutObject {lock}"),
        ),
        (
            "LockState without s3:DeleteObject",
            "apply fails: DeleteObject: AccessDenied 403".to_owned(),
            format!("DeleteObject {lock}"),
        ),
    ]
    .map(|(name, outcome, refused)| format!("{name:<36} {outcome}; moto refused {refused}"));
    assert_eq!(
        results, expected,
        "a backend run without each permission of the state role"
    );

    // Put the whole policy back: the same run passes again, so the failures
    // above came from the missing permission and nothing else.
    moto.set_auth("inf");
    python(
        &moto,
        RESET,
        "reset script",
        &json!({"role": "terraform-state", "policy": state_permissions, "bucket": BUCKET}),
    );
    moto.set_auth("0");
    stack.clean();
    let mark = moto.log().len();
    if let Err(Failed { step, output }) = stack.run_all() {
        panic!(
            "with the whole policy back, terraform {} failed:\n{output}",
            step.name()
        );
    }
    assert_eq!(
        refused(moto.log().get(mark..).unwrap_or_default()),
        Vec::<String>::new(),
        "with the whole policy moto refuses nothing"
    );
}

/// What moto cannot show, since it ignores session policies: a stack's
/// backend session reaches only that stack's keys, and a provisioning
/// session deletes only with `--allow-delete`.
#[test]
fn simulate_shows_what_session_policies_add() {
    let repo = repo();
    let root = repo.path();
    let obj = |key: &str| format!("arn:aws:s3:::{BUCKET}/{key}");
    let other_lock = format!("{OTHER_KEY}.tflock");
    let state = |stack: &'static str, action: &'static str, key: &str| -> Vec<String> {
        let mut args = vec!["--role", "terraform-state"];
        if !stack.is_empty() {
            args.extend(["--stack", stack]);
        }
        args.extend(["--action", action]);
        let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        args.extend(["--resource".to_owned(), obj(key)]);
        args
    };
    let prov = |action: &str, resource: &str, flag: Option<&str>| -> Vec<String> {
        let mut args: Vec<String> = ["--role", "app-provisioning", "--action", action]
            .into_iter()
            .map(str::to_owned)
            .collect();
        args.extend(["--resource".to_owned(), resource.to_owned()]);
        args.extend(flag.map(str::to_owned));
        args
    };
    let instance = format!("arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0");
    let db = format!("arn:aws:rds:us-east-1:{ACCOUNT}:db:app");
    let cases: Vec<(Vec<String>, &str)> = vec![
        // The backend session of stack `app`: its own keys only.
        (state("app", "s3:GetObject", STATE_KEY), "allowed"),
        (state("app", "s3:PutObject", STATE_KEY), "allowed"),
        (state("app", "s3:DeleteObject", LOCK_KEY), "allowed"),
        (state("app", "s3:GetObject", OTHER_KEY), "denied"),
        (state("app", "s3:PutObject", OTHER_KEY), "denied"),
        (state("app", "s3:DeleteObject", &other_lock), "denied"),
        (state("other", "s3:PutObject", OTHER_KEY), "allowed"),
        (state("other", "s3:PutObject", STATE_KEY), "denied"),
        // The role alone (every stack's keys): the session policy is what
        // narrows a backend to its stack.
        (state("", "s3:PutObject", OTHER_KEY), "allowed"),
        // Not even the role may delete a state.
        (state("", "s3:DeleteObject", STATE_KEY), "denied"),
        // A provisioning session: creates, but deletes only when asked to.
        (prov("ec2:RunInstances", &instance, None), "allowed"),
        (prov("ec2:TerminateInstances", &instance, None), "denied"),
        (prov("rds:DeleteDBInstance", &db, None), "denied"),
        (
            prov("ec2:TerminateInstances", &instance, Some("--allow-delete")),
            "allowed",
        ),
        (
            prov("rds:DeleteDBInstance", &db, Some("--allow-delete")),
            "allowed",
        ),
        (
            prov("ec2:RunInstances", &instance, Some("--allow-delete")),
            "allowed",
        ),
        // Outside the role's services, --allow-delete adds nothing.
        (
            prov("s3:DeleteObject", &obj(STATE_KEY), Some("--allow-delete")),
            "denied",
        ),
    ];
    let mut got = Vec::new();
    let mut want = Vec::new();
    for (args, expect) in &cases {
        let mut full = vec!["simulate"];
        full.extend(args.iter().map(String::as_str));
        let out = tfroles(root, &full);
        let stdout = text(&out.stdout);
        let first = stdout.lines().next().unwrap_or_default();
        let shown = args.join(" ");
        got.push(format!(
            "{shown} -> {first} (exit {:?}){}",
            out.status.code(),
            if out.stderr.is_empty() {
                String::new()
            } else {
                format!(": {}", text(&out.stderr))
            }
        ));
        let code = if *expect == "allowed" { 0 } else { 1 };
        want.push(format!("{shown} -> {expect} (exit Some({code}))"));
    }
    assert_eq!(got, want);
}

/// Every policy `tfroles policy` prints for the test config, and for the
/// least-privilege fixture, fits AWS's limits (compact, whitespace not
/// counted): a role's inline policies 10,240 characters (and the managed
/// limit, 6,144, so each could be a managed policy too), a trust policy the
/// default 2,048, a session policy 2,048, an IAM user's inline policies
/// 2,048.
#[test]
fn every_generated_policy_fits_aws_limits() {
    let repo = repo();
    // This package's own directory (the workspace root), not
    // `workspace_root()`: that is baked into tfroles-testsupport, which a
    // shared target directory may have compiled from another checkout.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/least-privilege/input");
    let mut lengths = Vec::new();
    for (root, identities) in [(repo.path(), ["ci"]), (fixture.as_path(), ["ci"])] {
        let out = tfroles(root, &["roles", "--format", "json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let instances: Value = serde_json::from_slice(&out.stdout).unwrap();
        let out = tfroles(root, &["validate", "--format", "json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let validated: Value = serde_json::from_slice(&out.stdout).unwrap();
        let stacks: Vec<&str> = validated["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        for instance in instances.as_array().unwrap() {
            let role = instance["role"].as_str().unwrap();
            let account = instance["account"].as_str().unwrap();
            let base = ["--role", role, "--account", account];
            let mut kinds: Vec<(Vec<&str>, usize)> = vec![
                (vec!["--kind", "trust"], 2_048),
                (vec!["--kind", "permissions"], 6_144),
            ];
            if role == "terraform-state" {
                for stack in &stacks {
                    kinds.push((vec!["--kind", "session", "--stack", stack], 2_048));
                }
            } else {
                kinds.push((vec!["--kind", "session"], 2_048));
            }
            for (kind, limit) in kinds {
                let mut args = base.to_vec();
                args.extend(kind);
                let mut full = vec!["policy"];
                full.extend(&args);
                full.push("--compact");
                let out = tfroles(root, &full);
                assert!(
                    out.status.success(),
                    "tfroles {full:?}: {}",
                    text(&out.stderr)
                );
                let json = text(&out.stdout);
                let json = json.trim_end();
                if json.is_empty() {
                    // No session policy: the role grants nothing to delete.
                    continue;
                }
                lengths.push((args.join(" "), json.chars().count(), limit));
            }
        }
        for identity in identities {
            let json = policy(root, &["--identity", identity]);
            lengths.push((
                format!("--identity {identity}"),
                json.chars().count(),
                2_048,
            ));
        }
    }
    let over: Vec<_> = lengths.iter().filter(|(_, len, max)| len > max).collect();
    assert!(
        over.is_empty(),
        "policies over AWS's limits: {over:#?}\nall: {lengths:#?}"
    );
    assert!(lengths.len() >= 15, "{lengths:#?}");
}
