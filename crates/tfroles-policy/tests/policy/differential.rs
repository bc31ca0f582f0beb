//! Differential test: [`evaluate`] against a real moto server enforcing IAM,
//! for the S3 and IAM calls moto authorizes.
//!
//! Every case becomes an IAM user in moto with the case's policy as its only
//! (inline) policy. With enforcement on, one Python process makes each case's
//! boto3 calls with that user's keys, and moto's answer (success or
//! `AccessDenied`) must equal the evaluator's decision for the IAM action and
//! resource ARN that AWS authorizes the call as, and the answer AWS documents
//! (written in the table).
//!
//! # What moto 5.2.5 evaluates (`moto/iam/access_control.py`)
//!
//! For an IAM user: its inline and attached policies (and its groups'); a
//! matching `Deny` wins, else a matching `Allow` allows. The action is
//! `<signing service>:<operation>`, where S3 names operations by IAM action
//! (`moto/s3/responses.py`, `ACTION_MAP`: GET on a key is `GetObject`, PUT
//! `PutObject`, DELETE `DeleteObject`, GET on a bucket `ListBucket`, PUT on a
//! bucket `CreateBucket`), and the resource is
//! `arn:aws:s3:::<bucket>[/<key>]`. IAM calls are authorized against the ARN
//! of the role when they name an existing role (`RoleName`), else against
//! `*` (`moto/iam/responses.py`, `_determine_resource`).
//!
//! # Where moto differs from AWS
//!
//! These are left out of [`cases`]. The ones [`known_differences`] lists are
//! still run, and the test checks that moto still gets them wrong, so a moto
//! upgrade that fixes one says so instead of going unnoticed.
//!
//! - Actions are matched case-sensitively (`s3:getobject` allows nothing),
//!   and as a regular expression in which only `*` is translated: `?` makes
//!   the character before it optional instead of standing for one character.
//! - Resources are matched the same way: `.` matches any character, `?` is
//!   a regex quantifier, and `*` (as `.*`) crosses `:` and `/`. (The
//!   evaluator keeps a `*` inside one ARN segment unless it ends the
//!   pattern; the cases use only patterns where that makes no difference.)
//! - `NotResource` is ignored: a statement without `Resource` applies to
//!   every resource, and one whose action matches counts as an *Allow* even
//!   when its `Effect` is `Deny`.
//! - Conditions are ignored (an operator other than `StringEquals` always
//!   holds, and `StringEquals` only sees `sts:ExternalId` of AssumeRole).
//! - IAM calls that name no role (`GetUser`, `CreateUser`, ...) are
//!   authorized against `*`, not the user's ARN, so a policy that names
//!   user ARNs allows none of them. The cases give those calls only
//!   policies whose resource is `*`, where the difference decides nothing.
//! - `HeadBucket` is checked as `s3:HeadBucket`, which is no IAM action;
//!   AWS checks `s3:ListBucket`. (Not in [`known_differences`]: boto3's
//!   error for a HEAD has no code, so a denial cannot be told from a bad
//!   signature.)
//! - `DeleteObjects` is checked once as `s3:DeleteObject` on the bucket's ARN,
//!   not per key, and when that is refused moto still deletes and reports
//!   per-key errors. `ListBuckets` is checked as `s3:ListAllMyBuckets` on
//!   `arn:aws:s3:::*`, where AWS uses `*`. `sts:GetCallerIdentity` is
//!   always allowed, even under an explicit Deny.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use tfroles_policy::{PolicyDocument, Request, evaluate};
use tfroles_testsupport::{Moto, python_env};

/// Moto's default account, where everything the set-up creates lives.
const ACCOUNT: &str = "123456789012";

/// One boto3 call and what AWS authorizes it as.
#[derive(Debug)]
struct Call {
    /// The boto3 client (`s3`, `iam`).
    service: &'static str,
    /// The boto3 method.
    op: &'static str,
    params: Value,
    /// The IAM action AWS checks.
    action: &'static str,
    /// The resource ARN AWS checks it against.
    resource: String,
}

fn s3(op: &'static str, params: Value, action: &'static str, resource: String) -> Call {
    Call {
        service: "s3",
        op,
        params,
        action,
        resource,
    }
}

fn iam(op: &'static str, params: Value, action: &'static str, resource: String) -> Call {
    Call {
        service: "iam",
        op,
        params,
        action,
        resource,
    }
}

fn get_object(bucket: &str, key: &str) -> Call {
    s3(
        "get_object",
        json!({"Bucket": bucket, "Key": key}),
        "s3:GetObject",
        format!("arn:aws:s3:::{bucket}/{key}"),
    )
}

fn put_object(bucket: &str, key: &str) -> Call {
    s3(
        "put_object",
        json!({"Bucket": bucket, "Key": key, "Body": "x"}),
        "s3:PutObject",
        format!("arn:aws:s3:::{bucket}/{key}"),
    )
}

/// S3 answers 204 for a key that does not exist, so no object is needed.
fn delete_object(bucket: &str, key: &str) -> Call {
    s3(
        "delete_object",
        json!({"Bucket": bucket, "Key": key}),
        "s3:DeleteObject",
        format!("arn:aws:s3:::{bucket}/{key}"),
    )
}

fn list_objects(bucket: &str) -> Call {
    s3(
        "list_objects_v2",
        json!({"Bucket": bucket}),
        "s3:ListBucket",
        format!("arn:aws:s3:::{bucket}"),
    )
}

/// Each name may be created once: a second call would fail for another
/// reason than permissions.
fn create_bucket(bucket: &str) -> Call {
    s3(
        "create_bucket",
        json!({"Bucket": bucket}),
        "s3:CreateBucket",
        format!("arn:aws:s3:::{bucket}"),
    )
}

/// Moto authorizes this against `*`. The cases give it only policies whose
/// resource is `*`, so which ARN AWS would use (the user path's) decides
/// nothing here.
fn list_users() -> Call {
    iam("list_users", json!({}), "iam:ListUsers", "*".into())
}

fn get_user(name: &str) -> Call {
    iam(
        "get_user",
        json!({"UserName": name}),
        "iam:GetUser",
        format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
    )
}

/// Each name may be created once, like [`create_bucket`].
fn create_user(name: &str) -> Call {
    iam(
        "create_user",
        json!({"UserName": name}),
        "iam:CreateUser",
        format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
    )
}

/// Moto uses the role's ARN only for a role that exists.
fn get_role(name: &str) -> Call {
    iam(
        "get_role",
        json!({"RoleName": name}),
        "iam:GetRole",
        format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
    )
}

/// A call and AWS's documented answer to it under the case's policy.
#[derive(Debug)]
struct Check {
    call: Call,
    aws_allows: bool,
}

fn allowed(call: Call) -> Check {
    Check {
        call,
        aws_allows: true,
    }
}

fn denied(call: Call) -> Check {
    Check {
        call,
        aws_allows: false,
    }
}

#[derive(Debug)]
struct Case {
    name: &'static str,
    policy: Value,
    checks: Vec<Check>,
}

fn case(name: &'static str, statement: Value, checks: Vec<Check>) -> Case {
    Case {
        name,
        policy: json!({"Version": "2012-10-17", "Statement": statement}),
        checks,
    }
}

/// What the set-up creates before enforcement is switched on.
const BUCKETS: &[(&str, &[&str])] = &[
    (
        "alpha",
        &[
            "a.txt",
            "aXtxt",
            "reports/q1.csv",
            "Reports/q2.csv",
            "secret/key.pem",
        ],
    ),
    ("beta", &["b.txt"]),
];
const USERS: &[&str] = &["alice"];
const ROLES: &[&str] = &["deployer", "auditor"];

/// The differential cases: moto, the evaluator and AWS agree on each.
fn cases() -> Vec<Case> {
    vec![
        case(
            "exact Allow of one action on one object",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::alpha/a.txt"}]),
            vec![
                allowed(get_object("alpha", "a.txt")),
                denied(get_object("beta", "b.txt")),
            ],
        ),
        case(
            "no statement applies: implicit deny",
            json!([{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]),
            vec![denied(get_object("alpha", "a.txt")), denied(list_users())],
        ),
        case(
            "explicit Deny overrides Allow, only for its action and resource",
            json!([
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::alpha/secret/*"},
            ]),
            vec![
                denied(get_object("alpha", "secret/key.pem")),
                allowed(get_object("alpha", "a.txt")),
                allowed(put_object("alpha", "secret/new.pem")),
            ],
        ),
        case(
            "action wildcard s3:Get*",
            json!([{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::alpha/*"}]),
            vec![
                allowed(get_object("alpha", "a.txt")),
                denied(put_object("alpha", "scratch/get-star.txt")),
            ],
        ),
        case(
            "action wildcard s3:*Object",
            json!([{"Effect": "Allow", "Action": "s3:*Object", "Resource": "*"}]),
            vec![
                allowed(get_object("alpha", "a.txt")),
                allowed(delete_object("alpha", "scratch/star-object.txt")),
                denied(list_objects("alpha")),
            ],
        ),
        case(
            "object keys are case-sensitive",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::alpha/reports/*"}]),
            vec![
                allowed(get_object("alpha", "reports/q1.csv")),
                denied(get_object("alpha", "Reports/q2.csv")),
                denied(get_object("alpha", "a.txt")),
            ],
        ),
        case(
            "a bucket ARN is not its objects' ARN; bucket names are case-sensitive",
            json!([{
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetObject"],
                "Resource": ["arn:aws:s3:::alpha", "arn:aws:s3:::Beta"],
            }]),
            vec![
                allowed(list_objects("alpha")),
                denied(get_object("alpha", "a.txt")),
                denied(list_objects("beta")),
            ],
        ),
        case(
            "a trailing * covers the bucket and its objects",
            json!([{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "arn:aws:s3:::alpha*"}]),
            vec![
                allowed(list_objects("alpha")),
                allowed(get_object("alpha", "a.txt")),
            ],
        ),
        case(
            "NotAction in an Allow covers every other action of every service",
            json!([{"Effect": "Allow", "NotAction": ["s3:PutObject", "s3:DeleteObject"], "Resource": "*"}]),
            vec![
                allowed(get_object("alpha", "a.txt")),
                denied(delete_object("alpha", "scratch/not-action.txt")),
                allowed(list_users()),
            ],
        ),
        case(
            "NotAction in a Deny",
            json!([
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "NotAction": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
            ]),
            vec![
                allowed(get_object("alpha", "a.txt")),
                allowed(list_objects("alpha")),
                denied(put_object("alpha", "scratch/deny-not-action.txt")),
            ],
        ),
        case(
            "IAM actions",
            json!([{"Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetUser"], "Resource": "*"}]),
            vec![
                allowed(list_users()),
                allowed(get_user("alice")),
                denied(create_user("made-by-iam-actions")),
            ],
        ),
        case(
            "IAM action wildcard, in a single statement object",
            json!({"Effect": "Allow", "Action": "iam:*User", "Resource": "*"}),
            vec![
                allowed(create_user("made-by-star-user")),
                allowed(get_user("alice")),
                denied(list_users()),
            ],
        ),
        case(
            "IAM role ARNs, with wildcards in the account and the name",
            json!([{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "arn:aws:iam::*:role/dep*"}]),
            vec![allowed(get_role("deployer")), denied(get_role("auditor"))],
        ),
        case(
            "several statements: each grants its own, a Deny carves out",
            json!([
                {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::beta"},
                {"Sid": "ReadWrite", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::beta/*"},
                {"Sid": "Locked", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::beta/locked/*"},
                {"Sid": "Users", "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
            ]),
            vec![
                allowed(list_objects("beta")),
                allowed(put_object("beta", "scratch.txt")),
                denied(put_object("beta", "locked/l.txt")),
                allowed(list_users()),
            ],
        ),
        case(
            "CreateBucket on a name pattern",
            json!([{"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": "arn:aws:s3:::new-*"}]),
            vec![
                allowed(create_bucket("new-by-pattern")),
                denied(create_bucket("other-by-pattern")),
            ],
        ),
    ]
}

/// Cases where moto 5.2.5 answers the opposite of AWS (see the module docs);
/// the evaluator must still give AWS's answer.
fn known_differences() -> Vec<Case> {
    vec![
        case(
            "moto matches actions case-sensitively",
            json!([{"Effect": "Allow", "Action": "s3:getobject", "Resource": "*"}]),
            vec![allowed(get_object("alpha", "a.txt"))],
        ),
        case(
            "moto reads ? in an action as a regex quantifier",
            json!([{"Effect": "Allow", "Action": "s3:?etObject", "Resource": "*"}]),
            vec![allowed(get_object("alpha", "a.txt"))],
        ),
        case(
            "moto reads . in a resource as any character",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::alpha/a.txt"}]),
            vec![denied(get_object("alpha", "aXtxt"))],
        ),
        case(
            "moto ignores NotResource in an Allow",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::alpha/secret/*"}]),
            vec![denied(get_object("alpha", "secret/key.pem"))],
        ),
        case(
            "moto takes a Deny with NotResource for an Allow",
            json!([
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::alpha", "arn:aws:s3:::alpha/*"]},
            ]),
            vec![denied(get_object("beta", "b.txt"))],
        ),
        case(
            "moto authorizes IAM user calls against *, not the user's ARN",
            json!([{"Effect": "Allow", "Action": "iam:GetUser", "Resource": format!("arn:aws:iam::{ACCOUNT}:user/alice")}]),
            vec![allowed(get_user("alice"))],
        ),
        case(
            // On AWS aws:username is the caller's name; the evaluator, given
            // no context, treats the key as missing: both deny.
            "moto ignores conditions",
            json!([{
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:username": "nobody"}},
            }]),
            vec![denied(get_object("alpha", "a.txt"))],
        ),
    ]
}

/// Creates the buckets, objects, users and roles, and one user per policy
/// with an access key; prints the keys as a JSON list of `[id, secret]`.
const SETUP: &str = r#"
import json, sys
import boto3
from botocore.config import Config

spec = json.load(sys.stdin)
config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=config)
iam = boto3.client("iam", endpoint_url=sys.argv[1], config=config)
for bucket, keys in spec["buckets"]:
    s3.create_bucket(Bucket=bucket)
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
for name in spec["users"]:
    iam.create_user(UserName=name)
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
for name in spec["roles"]:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
keys = []
for i, policy in enumerate(spec["policies"]):
    user = f"case-{i:02}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="case", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    keys.append([key["AccessKeyId"], key["SecretAccessKey"]])
print(json.dumps(keys))
"#;

/// Makes every case's calls with its user's key; prints one list per case
/// of `"allowed"`, `"denied"` (AccessDenied, HTTP 403) or `"error: ..."`
/// for anything else, so that no other failure passes for a denial.
const RUN: &str = r#"
import json, sys
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

session = botocore.session.get_session()
config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
results = []
for case in json.load(sys.stdin):
    key_id, secret = case["key"]
    clients = {}
    answers = []
    for call in case["calls"]:
        service = call["service"]
        if service not in clients:
            clients[service] = session.create_client(
                service, endpoint_url=sys.argv[1], region_name="us-east-1",
                aws_access_key_id=key_id, aws_secret_access_key=secret, config=config)
        try:
            getattr(clients[service], call["op"])(**call["params"])
            answers.append("allowed")
        except ClientError as e:
            error = e.response.get("Error", {})
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if error.get("Code") == "AccessDenied" and status == 403:
                answers.append("denied")
            else:
                answers.append(f"error: {error.get('Code')} (HTTP {status}): {error.get('Message')}")
        except Exception as e:
            answers.append(f"error: {type(e).__name__}: {e}")
    results.append(answers)
print(json.dumps(results))
"#;

/// Runs `script` with the venv's Python, `input` as JSON on stdin and the
/// endpoint as its argument, and parses what it prints.
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the {what} (boto3 against moto) exited with {}:\n{stderr}\nmoto's log:\n{}",
        out.status,
        moto.log()
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the {what} printed no JSON ({e}):\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The whole of one check, for a failure message.
fn describe(case: &Case, check: &Check, moto: &str, evaluator: &str) -> String {
    let call = &check.call;
    format!(
        "case: {}\npolicy: {}\ncall: {}.{}({})\n  authorized as {} on {}\n\
         AWS: {}\nmoto: {moto}\nevaluator: {evaluator}",
        case.name,
        serde_json::to_string_pretty(&case.policy).expect("JSON values serialize"),
        call.service,
        call.op,
        call.params,
        call.action,
        call.resource,
        if check.aws_allows {
            "allowed"
        } else {
            "denied"
        },
    )
}

#[test]
fn evaluator_agrees_with_moto_enforcing_iam() {
    let cases = cases();
    let differences = known_differences();
    let all: Vec<&Case> = cases.iter().chain(&differences).collect();

    let moto = Moto::start();
    let spec = json!({
        "buckets": BUCKETS,
        "users": USERS,
        "roles": ROLES,
        "policies": all.iter().map(|c| &c.policy).collect::<Vec<_>>(),
    });
    let keys = python(&moto, SETUP, "set-up script", &spec);
    let keys = keys.as_array().expect("the set-up prints a list of keys");
    assert_eq!(keys.len(), all.len(), "one access key per case");

    moto.set_auth("0");
    let runs: Vec<Value> = all
        .iter()
        .zip(keys)
        .map(|(case, key)| {
            let calls: Vec<Value> = case
                .checks
                .iter()
                .map(|c| {
                    let call = &c.call;
                    json!({"service": call.service, "op": call.op, "params": call.params})
                })
                .collect();
            json!({"key": key, "calls": calls})
        })
        .collect();
    let answers = python(&moto, RUN, "request script", &Value::from(runs));
    let answers: Vec<Vec<String>> = serde_json::from_value(answers)
        .expect("the request script prints one list of answers per case");
    assert_eq!(answers.len(), all.len(), "moto answered every case");

    let mut failures = Vec::new();
    let (mut moto_allowed, mut moto_denied) = (0, 0);
    for (index, (case, answers)) in all.iter().zip(&answers).enumerate() {
        let known_difference = index >= cases.len();
        assert_eq!(
            answers.len(),
            case.checks.len(),
            "moto answered every call of case `{}`",
            case.name
        );
        let policy = PolicyDocument::from_value(&case.policy).unwrap_or_else(|e| {
            panic!(
                "case `{}`: the evaluator rejects the policy: {e}",
                case.name
            )
        });
        for (check, answer) in case.checks.iter().zip(answers) {
            let request = Request::new(check.call.action, check.call.resource.as_str());
            let decision = evaluate(&request, std::slice::from_ref(&policy), &[])
                .unwrap_or_else(|e| panic!("case `{}`: the evaluator failed: {e}", case.name));
            let moto_allows = match answer.as_str() {
                "allowed" => true,
                "denied" => false,
                _ => {
                    failures.push(format!(
                        "moto answered neither success nor AccessDenied\n{}",
                        describe(case, check, answer, &decision.to_string())
                    ));
                    continue;
                }
            };
            if !known_difference {
                if moto_allows {
                    moto_allowed += 1;
                } else {
                    moto_denied += 1;
                }
            }
            let what = describe(case, check, answer, &decision.to_string());
            if decision.allowed != check.aws_allows {
                failures.push(format!("the evaluator differs from AWS\n{what}"));
            }
            if known_difference && moto_allows == check.aws_allows {
                failures.push(format!(
                    "moto now agrees with AWS on a known difference: move the case into \
                     `cases()` and update the module docs\n{what}"
                ));
            } else if !known_difference && moto_allows != decision.allowed {
                failures.push(format!("moto and the evaluator differ\n{what}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the checks failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(
        moto_allowed > 0 && moto_denied > 0,
        "the differential cases must include both outcomes: {moto_allowed} allowed, \
         {moto_denied} denied"
    );
}
