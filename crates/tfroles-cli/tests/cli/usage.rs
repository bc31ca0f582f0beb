//! `tfroles usage`: CloudTrail logs, written here as CloudTrail delivers
//! them, read by the binary; the report's used, denied, unused and
//! unmapped parts; the narrowed grant; and hostile trees (links, FIFOs,
//! gzip bombs, huge records) refused or passed over within bounds.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");
pub(crate) const ACCOUNT: &str = "111111111111";

pub(crate) const CONFIG: &str = r#"defaults {
  region = "us-east-1"
}

account "qa" {
  id = "111111111111"
}

identity "ci" {
  arn = "arn:aws:iam::111111111111:user/ci"
}

state {
  account = "qa"
  bucket  = "acme-state"
  role    = "terraform-state"
}

role "terraform-state" {
  account = "qa"
}

# The application's role: broad on purpose, to be narrowed.
role "app" {
  account  = "qa"
  services = ["ec2", "s3"]
  actions  = ["iam:PassRole"]
}

role "dns" {
  account  = "qa"
  services = ["route53"]
}

stack "app" {
  account = "qa"
  role    = "app"
}

stack "dns" {
  account = "qa"
  role    = "dns"
}
"#;

/// One CloudTrail record of a role session, as AWS writes it.
pub(crate) fn record(source: &str, name: &str, role: &str, session: &str) -> Value {
    json!({
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": format!("AROAEXAMPLE:{session}"),
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"),
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLE",
                    "arn": format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
                    "accountId": ACCOUNT,
                    "userName": role
                },
                "attributes": {"creationDate": "2026-11-02T09:59:00Z", "mfaAuthenticated": "false"}
            }
        },
        "eventTime": "2026-11-02T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.1",
        "userAgent": "APN/1.0 HashiCorp/1.0 Terraform/1.11.4",
        "requestParameters": null,
        "responseElements": null,
        "requestID": "0",
        "eventID": "0",
        "readOnly": true,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management"
    })
}

pub(crate) fn denied(mut r: Value) -> Value {
    r["errorCode"] = json!("AccessDenied");
    r["errorMessage"] = json!(format!(
        "User: {} is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::{ACCOUNT}:role/x because no identity-based policy allows the iam:CreateRole action",
        r["userIdentity"]["arn"].as_str().unwrap()
    ));
    r
}

pub(crate) fn at(mut r: Value, time: &str) -> Value {
    r["eventTime"] = json!(time);
    r
}

/// Writes records as one delivered log file, gzipped, in CloudTrail's
/// layout and naming under `root`; returns its path.
pub(crate) fn deliver(root: &Path, day: &str, n: usize, records: &[Value]) -> PathBuf {
    let (y, rest) = day.split_at(4);
    let (m, d) = rest.split_at(2);
    let dir = root.join(format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/{y}/{m}/{d}"
    ));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{ACCOUNT}_CloudTrail_us-east-1_{day}T1000Z_{n:016}.json.gz"
    ));
    let text = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&text).unwrap();
    fs::write(&path, enc.finish().unwrap()).unwrap();
    path
}

pub(crate) fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("tfroles.hcl"), CONFIG).unwrap();
    for s in ["app", "dns"] {
        fs::create_dir_all(tmp.path().join(s)).unwrap();
    }
    tmp
}

fn the_records() -> Vec<Value> {
    let ec2 = |n: &str| record("ec2.amazonaws.com", n, "app", "tf-app");
    vec![
        ec2("DescribeInstances"),
        ec2("DescribeImages"),
        ec2("DescribeVpcs"),
        ec2("DescribeSubnets"),
        ec2("RunInstances"),
        ec2("CreateTags"),
        record("s3.amazonaws.com", "ListObjectsV2", "app", "tf-app"),
        record("s3.amazonaws.com", "HeadBucket", "app", "tf-app"),
        denied(record("iam.amazonaws.com", "CreateRole", "app", "tf-app")),
        record("sts.amazonaws.com", "GetCallerIdentity", "app", "tf-app"),
        record("signin.amazonaws.com", "ConsoleLogin", "app", "tf-app"),
        at(
            record("ec2.amazonaws.com", "TerminateInstances", "app", "old"),
            "2026-10-01T00:00:00Z",
        ),
        record(
            "lambda.amazonaws.com",
            "CreateFunction20150331",
            "other",
            "x",
        ),
    ]
}

pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn instance<'a>(report: &'a Value, role: &str) -> &'a Value {
    report["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == role)
        .unwrap_or_else(|| panic!("no role {role} in {report:#}"))
}

#[test]
fn used_denied_unused_unmapped_and_the_narrowed_grant() {
    let tmp = setup();
    deliver(tmp.path(), "20261002", 1, &the_records()[11..12]);
    deliver(tmp.path(), "20261102", 2, &the_records());
    let report = json_of(&run(
        tmp.path(),
        &[
            "usage",
            "--cloudtrail",
            "AWSLogs",
            "--since",
            "2026-11-01",
            "--format",
            "json",
        ],
    ));
    assert_eq!(report["files"], 2);
    assert_eq!(report["before_since"], 2);
    let app = instance(&report, "app");
    assert_eq!(app["account"], "qa");
    assert_eq!(app["arn"], format!("arn:aws:iam::{ACCOUNT}:role/app"));
    assert_eq!(
        app["used"],
        json!([
            "ec2:CreateTags",
            "ec2:DescribeImages",
            "ec2:DescribeInstances",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcs",
            "ec2:RunInstances",
            "s3:ListBucket"
        ])
    );
    assert_eq!(app["denied"][0]["action"], "iam:CreateRole");
    assert_eq!(app["denied"][0]["error_code"], "AccessDenied");
    assert_eq!(app["denied"][0]["session_name"], "tf-app");
    assert_eq!(
        app["no_permission"],
        json!({"sts.amazonaws.com GetCallerIdentity": 1})
    );
    assert_eq!(
        app["unmapped"][0]["event"],
        "signin.amazonaws.com ConsoleLogin"
    );
    // Unused by service and access level: the delete the old session made
    // is before --since, so it is unused too.
    let unused = app["unused"].as_array().unwrap();
    let ec2_write = unused
        .iter()
        .find(|u| u["service"] == "ec2" && u["access"] == "write")
        .unwrap();
    assert!(
        ec2_write["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("ec2:TerminateInstances"))
    );
    assert!(
        !ec2_write["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("ec2:RunInstances"))
    );
    let iam = unused.iter().find(|u| u["service"] == "iam").unwrap();
    assert_eq!(iam["actions"], json!(["iam:PassRole"]));

    // A role never seen is reported with everything unused; one the config
    // does not know is reported with what it used.
    let dns = instance(&report, "dns");
    assert_eq!(dns["events"], 0);
    assert_eq!(dns["used"], json!([]));
    let other = instance(&report, "other");
    assert_eq!(other["in_config"], false);
    assert_eq!(other["used"], json!(["lambda:CreateFunction"]));

    // ec2 was used broadly: it stays a service, at the levels used; the
    // rest is listed; no data events, so granted object actions stay.
    let proposal = report["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "app")
        .unwrap();
    assert_eq!(proposal["services"], json!(["ec2"]));
    assert_eq!(proposal["access"], json!(["list", "write", "tagging"]));
    let actions = proposal["actions"].as_array().unwrap();
    assert!(actions.contains(&json!("s3:ListBucket")));
    assert!(
        actions.contains(&json!("s3:PutObject")),
        "kept: no data events"
    );
    assert!(!actions.contains(&json!("iam:PassRole")), "unused");
    assert!(!actions.contains(&json!("iam:CreateRole")), "never granted");
    assert!(
        !report["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["role"] == "dns" || p["role"] == "terraform-state"),
        "nothing used, and the state role is the state block's"
    );
}

#[test]
fn text_report_filters_and_lookup_events() {
    let tmp = setup();
    deliver(tmp.path(), "20261102", 1, &the_records());
    let out = run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--role", "app"],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with(
            "read 1 file (13 records)\n\nrole app in qa (arn:aws:iam::111111111111:role/app)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  denied (1):\n    iam:CreateRole  1x AccessDenied in session tf-app\n"),
        "{text}"
    );
    assert!(text.contains("    signin.amazonaws.com ConsoleLogin  1  no IAM action `signin:ConsoleLogin` in the catalog\n"), "{text}");
    assert!(
        text.contains(
            "narrowed grant for role app (what its instance used):\n  services = [\"ec2\"]\n"
        ),
        "{text}"
    );
    assert!(!text.contains("role dns"), "{text}");
    assert!(
        !text.contains("not in tfroles.hcl"),
        "--role leaves other roles out: {text}"
    );

    let report = json_of(&run(
        tmp.path(),
        &[
            "usage",
            "--cloudtrail",
            "AWSLogs",
            "--stack",
            "dns",
            "--format",
            "json",
        ],
    ));
    let roles: Vec<&str> = report["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["terraform-state", "dns"]);

    // `aws cloudtrail lookup-events` output: each record a JSON string.
    let events: Vec<Value> = the_records()
        .iter()
        .map(|r| json!({"EventId": "x", "EventName": r["eventName"], "CloudTrailEvent": r.to_string()}))
        .collect();
    fs::write(
        tmp.path().join("events.json"),
        json!({"Events": events}).to_string(),
    )
    .unwrap();
    let from_lookup = json_of(&run(
        tmp.path(),
        &["usage", "--cloudtrail", "events.json", "--format", "json"],
    ));
    let from_files = json_of(&run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--format", "json"],
    ));
    assert_eq!(from_lookup["roles"], from_files["roles"]);

    let out = run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--role", "ap"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("there is no role `ap`"), "{err}");
    let out = run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--since", "last week"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("`last week` is not a date or time\n  hint: write a date (`2026-11-01`)"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn hostile_trees_are_passed_over_or_refused_within_bounds() {
    let tmp = setup();
    let file = deliver(tmp.path(), "20261102", 1, &the_records());
    let day = file.parent().unwrap();
    // A link to a log outside, a link to a directory, a FIFO: listed as
    // skipped, never opened (a FIFO would block the reader forever).
    let outside = tempfile::tempdir().unwrap();
    let secret = deliver(outside.path(), "20261102", 9, &the_records());
    std::os::unix::fs::symlink(&secret, day.join("linked.json.gz")).unwrap();
    std::os::unix::fs::symlink(outside.path(), day.join("linked-dir")).unwrap();
    let fifo = day.join("pipe.json");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    fs::write(day.join("notes.txt"), "not a log").unwrap();
    fs::create_dir_all(
        tmp.path()
            .join(format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest")),
    )
    .unwrap();
    let report = json_of(&run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--format", "json"],
    ));
    assert_eq!(report["files"], 1);
    assert_eq!(report["records"], 13);
    let skipped: Vec<String> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let p = s["path"].as_str().unwrap();
            format!(
                "{} {}",
                Path::new(p).file_name().unwrap().to_string_lossy(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            "linked-dir a symbolic link (never followed)",
            "linked.json.gz a symbolic link (never followed)",
            "notes.txt not a `.json` or `.json.gz` file",
            "pipe.json not a regular file",
            "CloudTrail-Digest CloudTrail's digest files carry no events",
        ]
    );

    // A gzip bomb: refused once it decompresses past the ratio, with the
    // file named; nothing else is reported.
    let bomb_dir = tmp.path().join("bomb");
    fs::create_dir_all(&bomb_dir).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"{\"Records\":[").unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..20 {
        enc.write_all(&zeros).unwrap();
    }
    enc.write_all(b"]}").unwrap();
    fs::write(bomb_dir.join("bomb.json.gz"), enc.finish().unwrap()).unwrap();
    let out = run(tmp.path(), &["usage", "--cloudtrail", "bomb"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: `bomb/bomb.json.gz`: "), "{err}");
    assert!(
        err.contains("decompresses to more than") || err.contains("record 0 is over the limit"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // One huge record: refused at the record limit.
    let huge = format!(
        r#"{{"Records":[{{"eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{{"key":"{}"}}}}]}}"#,
        "k".repeat(5 << 20)
    );
    fs::write(tmp.path().join("huge.json"), huge).unwrap();
    let out = run(tmp.path(), &["usage", "--cloudtrail", "huge.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: `huge.json`: record 0 is over the limit of 4194304 bytes"),
        "{err}"
    );

    // Not a log at all.
    fs::write(tmp.path().join("digest.json"), r#"{"digestStartTime":"x"}"#).unwrap();
    let out = run(tmp.path(), &["usage", "--cloudtrail", "digest.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("`digest.json` is not a CloudTrail log file"),
        "{err}"
    );
}

/// Where trailscraper 0.10.0 maps an event to other actions than tfroles,
/// and why tfroles' answer is the one IAM checks: (event source, event
/// name, trailscraper's actions, tfroles' actions, why). Listed in
/// docs/least-privilege.md too.
/// (event source, event name, trailscraper's actions, tfroles' actions, why)
type Difference = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
);

const TRAILSCRAPER_DIFFERENCES: &[Difference] = &[
    (
        "s3.amazonaws.com",
        "PutBucketReplication",
        &["s3:DeleteReplicationConfiguration"],
        &["s3:PutReplicationConfiguration"],
        "a typo in trailscraper's table; the action it names does not exist",
    ),
    (
        "s3.amazonaws.com",
        "DeleteBucketReplication",
        &["s3:DeleteReplicationConfiguration"],
        &["s3:PutReplicationConfiguration"],
        "no such action; S3 authorises the delete as a put",
    ),
    (
        "s3.amazonaws.com",
        "DeleteBucketPublicAccessBlock",
        &["s3:DeleteBucketPublicAccessBlock"],
        &["s3:PutBucketPublicAccessBlock"],
        "no such action; S3 authorises the delete as a put",
    ),
    (
        "s3.amazonaws.com",
        "CopyObject",
        &["s3:PutObject"],
        &["s3:GetObject", "s3:PutObject"],
        "a copy also reads its source",
    ),
    (
        "s3.amazonaws.com",
        "GetObjectAttributes",
        &["s3:GetObjectAttributes"],
        &["s3:GetObject", "s3:GetObjectAttributes"],
        "S3 checks both",
    ),
    (
        "kms.amazonaws.com",
        "ReEncrypt",
        &["kms:ReEncrypt*"],
        &["kms:ReEncryptFrom", "kms:ReEncryptTo"],
        "the two actions, not a wildcard",
    ),
    (
        "lambda.amazonaws.com",
        "Invoke",
        &["lambda:Invoke"],
        &["lambda:InvokeFunction"],
        "no such action; the data event is named for the API",
    ),
    (
        "cloudcontrolapi.amazonaws.com",
        "CreateResource",
        &["cloudcontrolapi:CreateResource"],
        &["cloudformation:CreateResource"],
        "Cloud Control is authorised under the cloudformation prefix",
    ),
    (
        "dynamodb.amazonaws.com",
        "TransactWriteItems",
        &["dynamodb:TransactWriteItems"],
        &[
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ],
        "no such action; a transaction is authorised per item operation",
    ),
    (
        "signin.amazonaws.com",
        "ConsoleLogin",
        &["signin:ConsoleLogin"],
        &[],
        "no such action: tfroles lists the event as unmapped instead",
    ),
];

fn comparison_records() -> Vec<Value> {
    let app = |source: &str, name: &str| record(source, name, "app", "tf-app");
    let mut records: Vec<Value> = [
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("ec2.amazonaws.com", "RunInstances"),
        ("ec2.amazonaws.com", "CreateTags"),
        ("s3.amazonaws.com", "ListObjectsV2"),
        ("s3.amazonaws.com", "ListObjects"),
        ("s3.amazonaws.com", "HeadBucket"),
        ("s3.amazonaws.com", "HeadObject"),
        ("s3.amazonaws.com", "PutObject"),
        ("s3.amazonaws.com", "CreateMultipartUpload"),
        ("s3.amazonaws.com", "UploadPart"),
        ("s3.amazonaws.com", "CompleteMultipartUpload"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("s3.amazonaws.com", "GetBucketEncryption"),
        ("s3.amazonaws.com", "PutBucketReplication"),
        ("s3.amazonaws.com", "DeleteBucketReplication"),
        ("s3.amazonaws.com", "DeleteBucketCors"),
        ("s3.amazonaws.com", "GetBucketCors"),
        ("s3.amazonaws.com", "DeleteBucketPublicAccessBlock"),
        ("s3.amazonaws.com", "GetObjectAttributes"),
        ("s3.amazonaws.com", "ListObjectVersions"),
        ("s3.amazonaws.com", "DeleteObjects"),
        ("s3.amazonaws.com", "PutBucketLifecycleConfiguration"),
        ("s3.amazonaws.com", "DeleteBucketLifecycle"),
        ("s3.amazonaws.com", "CopyObject"),
        ("lambda.amazonaws.com", "CreateFunction20150331"),
        ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"),
        ("lambda.amazonaws.com", "ListTags20170331"),
        ("lambda.amazonaws.com", "Invoke"),
        ("kms.amazonaws.com", "ReEncrypt"),
        ("kms.amazonaws.com", "Decrypt"),
        ("monitoring.amazonaws.com", "PutMetricAlarm"),
        ("cloudfront.amazonaws.com", "CreateDistribution2020_05_31"),
        ("cloudcontrolapi.amazonaws.com", "CreateResource"),
        ("dynamodb.amazonaws.com", "TransactWriteItems"),
        ("dynamodb.amazonaws.com", "DescribeTable"),
        ("tagging.amazonaws.com", "GetResources"),
        ("sts.amazonaws.com", "GetCallerIdentity"),
        ("signin.amazonaws.com", "ConsoleLogin"),
        ("logs.amazonaws.com", "CreateLogGroup"),
    ]
    .iter()
    .map(|(s, n)| app(s, n))
    .collect();
    records.push(denied(app("iam.amazonaws.com", "CreateRole")));
    for n in [
        "ChangeResourceRecordSets",
        "GetHostedZone",
        "ListResourceRecordSets",
    ] {
        records.push(record("route53.amazonaws.com", n, "dns", "tf-dns"));
    }
    records
}

/// The actions tfroles maps one event to (denied or not).
fn tfroles_actions(source: &str, name: &str) -> Vec<String> {
    match tfroles_policy::cloudtrail::event_actions(source, name) {
        tfroles_policy::cloudtrail::EventActions::Actions(a) => {
            a.iter().map(|i| i.action().to_owned()).collect()
        }
        _ => Vec::new(),
    }
}

#[test]
fn the_same_actions_as_trailscraper_but_for_documented_differences() {
    use std::collections::BTreeSet;
    let tmp = setup();
    let records = comparison_records();
    // Two files, two days: both tools must read the whole tree.
    deliver(tmp.path(), "20261102", 1, &records[..20]);
    deliver(tmp.path(), "20261103", 2, &records[20..]);
    let report = json_of(&run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--format", "json"],
    ));

    for role in ["app", "dns"] {
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{role}");
        let select = tfroles_testsupport::trailscraper()
            .args([
                "select",
                "--log-dir",
                "AWSLogs",
                "--filter-assumed-role-arn",
                &arn,
                "--from",
                "2026-01-01",
                "--to",
                "2027-01-01",
            ])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(
            select.status.success(),
            "{}",
            String::from_utf8_lossy(&select.stderr)
        );
        let mut generate = tfroles_testsupport::trailscraper()
            .arg("generate")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        generate
            .stdin
            .take()
            .unwrap()
            .write_all(&select.stdout)
            .unwrap();
        let policy = generate.wait_with_output().unwrap();
        assert!(
            policy.status.success(),
            "{}",
            String::from_utf8_lossy(&policy.stderr)
        );
        let policy: Value = serde_json::from_slice(&policy.stdout).unwrap();
        let theirs: BTreeSet<String> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                s["Action"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
            })
            .collect();

        // What each tool should say, event by event: tfroles leaves denied
        // calls out of `used` (they are `denied`), trailscraper counts
        // them; a documented difference gives trailscraper's side.
        let mut expect_theirs = BTreeSet::new();
        let mut expect_ours = BTreeSet::new();
        for r in records
            .iter()
            .filter(|r| r["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == arn.as_str())
        {
            let (source, name) = (
                r["eventSource"].as_str().unwrap(),
                r["eventName"].as_str().unwrap(),
            );
            let ours = tfroles_actions(source, name);
            if r.get("errorCode").is_none() {
                expect_ours.extend(ours.iter().cloned());
            }
            match TRAILSCRAPER_DIFFERENCES
                .iter()
                .find(|d| d.0 == source && d.1 == name)
            {
                Some(d) => {
                    assert_eq!(ours, d.3, "the table says what tfroles does for {name}");
                    expect_theirs.extend(d.2.iter().map(|a| (*a).to_owned()));
                }
                None => expect_theirs.extend(ours),
            }
        }
        assert_eq!(theirs, expect_theirs, "trailscraper for {role}");
        let used: BTreeSet<String> = instance(&report, role)["used"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(used, expect_ours, "tfroles for {role}");
    }
    // Every documented difference is one the logs exercised.
    for d in TRAILSCRAPER_DIFFERENCES {
        assert!(
            records
                .iter()
                .any(|r| r["eventSource"] == d.0 && r["eventName"] == d.1),
            "{} {} is not in the test's logs",
            d.0,
            d.1
        );
    }
    let docs =
        fs::read_to_string(tfroles_testsupport::workspace_root().join("docs/least-privilege.md"))
            .unwrap();
    for d in TRAILSCRAPER_DIFFERENCES {
        assert!(
            docs.contains(&format!("`{}`", d.1)),
            "docs/least-privilege.md does not list the difference on {}",
            d.1
        );
    }
}

/// The same logs read from moto's S3 give the same report as from disk; a
/// missing bucket is an error naming it.
#[test]
fn s3_sources_read_like_the_files() {
    let tmp = setup();
    let first = deliver(tmp.path(), "20261102", 1, &the_records());
    let second = deliver(tmp.path(), "20261103", 2, &comparison_records());
    let moto = tfroles_testsupport::Moto::start();
    moto.create_bucket("acme-trail");
    for f in [&first, &second] {
        let key = f
            .strip_prefix(tmp.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        moto.put_object("acme-trail", &format!("org/{key}"), &fs::read(f).unwrap());
    }
    moto.put_object(
        "acme-trail",
        "org/AWSLogs/111111111111/CloudTrail-Digest/x.json.gz",
        b"{}",
    );
    moto.put_object("acme-trail", "org/readme.txt", b"not a log");
    moto.put_object(
        "acme-trail",
        "other/AWSLogs/x.json",
        b"not read: outside the prefix",
    );
    let s3 = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        moto.apply_env(&mut cmd);
        cmd.args(args).current_dir(tmp.path()).output().unwrap()
    };
    let from_s3 = json_of(&s3(&[
        "usage",
        "--cloudtrail",
        "s3://acme-trail/org/",
        "--format",
        "json",
    ]));
    let from_files = json_of(&run(
        tmp.path(),
        &["usage", "--cloudtrail", "AWSLogs", "--format", "json"],
    ));
    assert_eq!(from_s3["roles"], from_files["roles"]);
    assert_eq!(from_s3["files"], 2);
    let skipped: Vec<&str> = from_s3["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        [
            "s3://acme-trail/org/AWSLogs/111111111111/CloudTrail-Digest/x.json.gz",
            "s3://acme-trail/org/readme.txt"
        ]
    );

    let out = s3(&["usage", "--cloudtrail", "s3://no-such-bucket/x"]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: s3://no-such-bucket/x: NoSuchBucket"),
        "{err}"
    );
    assert!(err.contains("hint: check the bucket's name"), "{err}");
}

/// With `session_name = "tf-{stack}"`, sessions say which stack they ran
/// for: the report counts events per stack, and `--stack` keeps only that
/// stack's sessions of a role two stacks share.
#[test]
fn sessions_named_for_their_stack_are_attributed() {
    let tmp = tempfile::tempdir().unwrap();
    let config = CONFIG
        .replace(
            "region = \"us-east-1\"\n}",
            "region       = \"us-east-1\"\n  session_name = \"tf-{stack}\"\n}",
        )
        .replace(
            "stack \"dns\" {\n  account = \"qa\"\n  role    = \"dns\"",
            "stack \"web\" {\n  account = \"qa\"\n  role    = \"app\"",
        );
    fs::write(tmp.path().join("tfroles.hcl"), &config).unwrap();
    for s in ["app", "web"] {
        fs::create_dir_all(tmp.path().join(s)).unwrap();
    }
    let records = vec![
        record("ec2.amazonaws.com", "RunInstances", "app", "tf-app"),
        record("ec2.amazonaws.com", "DescribeVpcs", "app", "tf-web"),
        record("ec2.amazonaws.com", "DescribeVpcs", "app", "tf-web"),
        record("ec2.amazonaws.com", "DescribeImages", "app", "by-hand"),
    ];
    deliver(tmp.path(), "20261102", 1, &records);
    let report = json_of(&run(
        tmp.path(),
        &[
            "usage",
            "--cloudtrail",
            "AWSLogs",
            "--role",
            "app",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        instance(&report, "app")["stacks"],
        json!({"-": 1, "app": 1, "web": 2})
    );
    let report = json_of(&run(
        tmp.path(),
        &[
            "usage",
            "--cloudtrail",
            "AWSLogs",
            "--stack",
            "web",
            "--role",
            "app",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        instance(&report, "app")["used"],
        json!(["ec2:DescribeImages", "ec2:DescribeVpcs"]),
        "web's sessions, and the one whose name says no stack"
    );
    let text = String::from_utf8(
        run(
            tmp.path(),
            &["usage", "--cloudtrail", "AWSLogs", "--role", "app"],
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("  stacks: (sessions not named for a stack) (1), app (1), web (2)\n"),
        "{text}"
    );
}

/// A role assumed `via` a role with `source_identity = "{user}@tf-{stack}"`:
/// every call of the chain carries that value, which says the stack even
/// where the chained session was renamed; a session name that names
/// another stack is said, and the source identity decides. `explain` on
/// such a record says the same.
#[test]
fn calls_are_attributed_by_their_source_identity() {
    let tmp = chained_setup();
    let with = |mut r: Value, si: &str| {
        r["userIdentity"]["sessionContext"]["sourceIdentity"] = json!(si);
        r
    };
    let ec2 = |name: &str, session: &str| record("ec2.amazonaws.com", name, "app", session);
    let records = vec![
        // Agreeing.
        with(ec2("RunInstances", "tf-app"), "octocat@tf-app"),
        // A chained hop named its session after `app`; the source
        // identity, set on the first hop, is `web`'s.
        with(ec2("DescribeVpcs", "tf-app"), "octocat@tf-web"),
        // Renamed to something of no stack.
        with(ec2("DescribeVpcs", "renamed-by-hop"), "octocat@tf-web"),
        // No source identity: the name says.
        ec2("DescribeSubnets", "tf-web"),
        // Neither says.
        with(ec2("DescribeImages", "by-hand"), "alice"),
        // A denial whose session name says `app`, source identity `web`.
        with(
            denied(record("iam.amazonaws.com", "CreateRole", "app", "tf-app")),
            "octocat@tf-web",
        ),
    ];
    run_attribution_checks(&tmp, &records, with);
}

/// The config of the tests above: `app` assumed `via` `ci`, which sets
/// `{user}@tf-{stack}`; stacks `app` and `web` both use `app`.
fn chained_setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let config = CONFIG
        .replace(
            "region = \"us-east-1\"\n}",
            "region       = \"us-east-1\"\n  session_name = \"tf-{stack}\"\n}",
        )
        .replace(
            "role \"app\" {\n  account  = \"qa\"\n",
            "role \"ci\" {\n  account         = \"qa\"\n  source_identity = \"{user}@tf-{stack}\"\n}\n\nrole \"app\" {\n  account  = \"qa\"\n  via      = \"ci\"\n",
        )
        .replace(
            "stack \"dns\" {\n  account = \"qa\"\n  role    = \"dns\"",
            "stack \"web\" {\n  account = \"qa\"\n  role    = \"app\"",
        );
    assert!(config.contains("via      = \"ci\""), "{config}");
    fs::write(tmp.path().join("tfroles.hcl"), &config).unwrap();
    for s in ["app", "web"] {
        fs::create_dir_all(tmp.path().join(s)).unwrap();
    }
    tmp
}

fn run_attribution_checks(
    tmp: &tempfile::TempDir,
    records: &[Value],
    with: impl Fn(Value, &str) -> Value,
) {
    deliver(tmp.path(), "20261102", 1, records);
    let args = |extra: &[&'static str]| {
        let mut a = vec!["usage", "--cloudtrail", "AWSLogs", "--role", "app"];
        a.extend_from_slice(extra);
        a
    };
    let report = json_of(&run(tmp.path(), &args(&["--format", "json"])));
    let app = instance(&report, "app");
    assert_eq!(
        app["stacks"],
        json!({"-": 1, "app": 1, "web": 4}),
        "{app:#}"
    );
    assert_eq!(
        app["attribution_disagreements"],
        json!([{
            "session_name": "tf-app",
            "source_identity": "octocat@tf-web",
            "stacks_by_session_name": ["app"],
            "stacks_by_source_identity": ["web"],
            "counted_by": "source_identity",
            "events": 2,
        }])
    );
    let denial = &app["denied"][0];
    assert_eq!(denial["source_identity"], "octocat@tf-web");
    assert!(
        denial["explain"]
            .as_str()
            .unwrap()
            .contains("stack `web` (by its source identity)"),
        "{denial:#}"
    );

    // `--stack app`: the calls of `app`, and the one that says no stack;
    // not the one merely named for it.
    let report = json_of(&run(
        tmp.path(),
        &args(&["--stack", "app", "--format", "json"]),
    ));
    assert_eq!(
        instance(&report, "app")["used"],
        json!(["ec2:DescribeImages", "ec2:RunInstances"]),
    );

    let out = run(tmp.path(), &args(&[]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("  stacks: (sessions not named for a stack) (1), app (1), web (4)\n"),
        "{text}"
    );
    assert!(
        text.contains("  warning: 2 events of session `tf-app` with source identity `octocat@tf-web`: the source identity is of stack `web`, the session name of stack `app`; counted for the source identity's"),
        "{text}"
    );
    assert!(
        text.contains("in session tf-app (source identity octocat@tf-web)"),
        "{text}"
    );

    // `explain` on the record itself.
    let explain = |record: &Value, json: bool| {
        let mut cmd = Command::new(BIN);
        cmd.arg("explain")
            .current_dir(tmp.path())
            .env("NO_COLOR", "1");
        if json {
            cmd.args(["--format", "json"]);
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(json!({ "Records": [record] }).to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let text = explain(&records[5], false);
    assert!(
        text.contains("  source identity: octocat@tf-web\n"),
        "{text}"
    );
    assert!(
        text.contains("  session:  role `app` in `qa`, stack `web` (by its source identity)"),
        "{text}"
    );
    assert!(
        text.contains("  warning: the source identity is of `web`, the session name `tf-app` of `app`; going by the source identity"),
        "{text}"
    );
    let doc: Value = serde_json::from_str(&explain(&records[5], true)).unwrap();
    let p = &doc["denials"][0]["principal"];
    assert_eq!(p["source_identity"], "octocat@tf-web");
    assert_eq!(p["stacks"], json!(["web"]));
    assert_eq!(p["attributed_by"], "source_identity");
    assert_eq!(p["stacks_by_session_name"], json!(["app"]));
    assert_eq!(p["stacks_by_source_identity"], json!(["web"]));
    assert_eq!(p["disagree"], true);
    // Renamed: no warning, the source identity says.
    let renamed = with(
        denied(record(
            "iam.amazonaws.com",
            "CreateRole",
            "app",
            "renamed-by-hop",
        )),
        "octocat@tf-web",
    );
    let text = explain(&renamed, false);
    assert!(
        text.contains("stack `web` (by its source identity) (a session name tfroles did not give)"),
        "{text}"
    );
    assert!(!text.contains("warning:"), "{text}");
}

/// Many disagreeing calls: a few are shown, the rest counted.
#[test]
fn many_disagreements_are_summed_up() {
    let tmp = chained_setup();
    let records: Vec<Value> = (0..8)
        .map(|i| {
            let mut r = record("ec2.amazonaws.com", "DescribeVpcs", "app", "tf-app");
            r["userIdentity"]["sessionContext"]["sourceIdentity"] = json!(format!("u{i}@tf-web"));
            r
        })
        .collect();
    deliver(tmp.path(), "20261102", 1, &records);
    let text = String::from_utf8(
        run(
            tmp.path(),
            &["usage", "--cloudtrail", "AWSLogs", "--role", "app"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(
        text.matches("  warning: 1 event of session `tf-app`")
            .count(),
        5,
        "{text}"
    );
    assert!(
        text.contains("  warning: also 3 events, of 3 more session name and source identity pairs that name different stacks"),
        "{text}"
    );
    assert!(text.contains("  stacks: web (8)\n"), "{text}");
    let report = json_of(&run(
        tmp.path(),
        &[
            "usage",
            "--cloudtrail",
            "AWSLogs",
            "--role",
            "app",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        instance(&report, "app")["attribution_disagreements"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
}
