//! Benchmark of `tfroles usage` on generated CloudTrail logs, against
//! trailscraper (`select` piped into `generate`) on the same files: wall
//! time and peak memory (maximum resident set, from GNU time's `%M`) of
//! each, the release binary run as a user runs it.
//!
//! The logs are generated once per size under `target/bench-usage/`:
//! delivered-style `.json.gz` files of about 2,000 records each in the
//! `AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` layout, 20 roles, 150
//! event names across 12 services, request parameters and IDs that vary,
//! so that they compress about as much as real logs.
//!
//! Run it with `just bench` or `cargo bench --bench usage`. Environment:
//! - `TFROLES_BIN`: a `tfroles` binary to use instead of the release build;
//! - `TFROLES_BENCH_USAGE_MB`: compressed sizes in MB (default `100,1000`);
//! - `TFROLES_BENCH_TRAILSCRAPER_MB`: the largest size trailscraper is run
//!   on (default 100): it holds every record in memory, so on 1 GB of
//!   logs it needs more memory than a CI machine has.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const ROLES: usize = 20;
const RECORDS_PER_FILE: usize = 2_000;

const EVENTS: &[(&str, &[&str])] = &[
    (
        "ec2.amazonaws.com",
        &[
            "DescribeInstances",
            "DescribeVpcs",
            "DescribeSubnets",
            "DescribeSecurityGroups",
            "DescribeImages",
            "RunInstances",
            "CreateTags",
            "DescribeNetworkInterfaces",
            "AuthorizeSecurityGroupIngress",
            "CreateSecurityGroup",
            "DescribeInstanceAttribute",
            "DescribeVolumes",
            "DescribeAddresses",
            "DescribeRouteTables",
            "DescribeInternetGateways",
        ],
    ),
    (
        "s3.amazonaws.com",
        &[
            "ListObjectsV2",
            "HeadObject",
            "GetObject",
            "PutObject",
            "HeadBucket",
            "GetBucketAcl",
            "GetBucketPolicy",
            "GetBucketVersioning",
            "GetBucketEncryption",
            "GetBucketLifecycle",
            "GetBucketTagging",
            "GetBucketLogging",
            "GetBucketCors",
            "GetBucketWebsite",
            "ListBuckets",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
        ],
    ),
    (
        "iam.amazonaws.com",
        &[
            "GetRole",
            "ListRolePolicies",
            "ListAttachedRolePolicies",
            "GetRolePolicy",
            "PassRole",
            "CreateRole",
            "PutRolePolicy",
            "GetPolicy",
            "GetPolicyVersion",
            "ListInstanceProfilesForRole",
            "TagRole",
        ],
    ),
    (
        "lambda.amazonaws.com",
        &[
            "GetFunction20150331v2",
            "ListVersionsByFunction20150331",
            "GetPolicy20150331v2",
            "UpdateFunctionCode20150331v2",
            "CreateFunction20150331",
            "ListTags20170331",
            "GetFunctionCodeSigningConfig",
            "Invoke",
        ],
    ),
    (
        "kms.amazonaws.com",
        &[
            "Decrypt",
            "GenerateDataKey",
            "DescribeKey",
            "Encrypt",
            "ReEncrypt",
            "GetKeyPolicy",
            "ListAliases",
        ],
    ),
    (
        "logs.amazonaws.com",
        &[
            "DescribeLogGroups",
            "CreateLogGroup",
            "PutRetentionPolicy",
            "ListTagsLogGroup",
            "ListTagsForResource",
        ],
    ),
    (
        "rds.amazonaws.com",
        &[
            "DescribeDBInstances",
            "DescribeDBSubnetGroups",
            "CreateDBInstance",
            "ModifyDBInstance",
            "DescribeDBParameterGroups",
            "ListTagsForResource",
            "AddTagsToResource",
        ],
    ),
    (
        "dynamodb.amazonaws.com",
        &[
            "DescribeTable",
            "DescribeContinuousBackups",
            "DescribeTimeToLive",
            "ListTagsOfResource",
            "GetItem",
            "PutItem",
            "DeleteItem",
        ],
    ),
    ("sts.amazonaws.com", &["GetCallerIdentity", "AssumeRole"]),
    (
        "monitoring.amazonaws.com",
        &["PutMetricAlarm", "DescribeAlarms", "ListTagsForResource"],
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        &[
            "DescribeLoadBalancers",
            "DescribeTargetGroups",
            "DescribeListeners",
            "DescribeTags",
            "CreateTargetGroup",
            "ModifyTargetGroupAttributes",
        ],
    ),
    (
        "route53.amazonaws.com",
        &[
            "GetHostedZone",
            "ListResourceRecordSets",
            "ChangeResourceRecordSets",
            "GetChange",
            "ListTagsForResource",
        ],
    ),
];

/// A small deterministic generator (xorshift), so every run writes the
/// same logs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(n);
        s
    }
}

fn record(rng: &mut Rng, out: &mut String, minute: usize) {
    let (source, names) = EVENTS[rng.below(EVENTS.len())];
    let name = names[rng.below(names.len())];
    let role = rng.below(ROLES);
    let session = format!("tf-stack-{}", rng.below(50));
    let denied = rng.below(200) == 0;
    let error = if denied {
        format!(
            r#","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::111111111111:assumed-role/role-{role}/{session} is not authorized to perform: {name}""#
        )
    } else {
        String::new()
    };
    let data = matches!(
        name,
        "GetObject"
            | "PutObject"
            | "HeadObject"
            | "Invoke"
            | "GetItem"
            | "PutItem"
            | "DeleteItem"
            | "UploadPart"
            | "CreateMultipartUpload"
            | "CompleteMultipartUpload"
    );
    out.push_str(&format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROA{p}:{session}","arn":"arn:aws:sts::111111111111:assumed-role/role-{role}/{session}","accountId":"111111111111","accessKeyId":"ASIA{k}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA{p}","arn":"arn:aws:iam::111111111111:role/role-{role}","accountId":"111111111111","userName":"role-{role}"}},"attributes":{{"creationDate":"2026-11-02T{h:02}:{m:02}:00Z","mfaAuthenticated":"false"}}}}}},"eventTime":"2026-11-02T{h:02}:{m:02}:{s:02}Z","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{ip}","userAgent":"APN/1.0 HashiCorp/1.0 Terraform/1.11.4 (+https://www.terraform.io) terraform-provider-aws/6.{v}.0 aws-sdk-go-v2/1.36.{v} os/linux lang/go#1.24.1 md/GOOS#linux md/GOARCH#amd64 api/{name}","requestParameters":{{"resourceId":"{r1}","filter":"name-{r2}","maxResults":{mr}}},"responseElements":null,"requestID":"{id1}","eventID":"{id2}","readOnly":{ro},"eventType":"AwsApiCall","managementEvent":{mgmt},"recipientAccountId":"111111111111","eventCategory":"{cat}","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{host}.us-east-1.amazonaws.com"}}{error}}}"#,
        p = rng.hex(17).to_uppercase(),
        k = rng.hex(16).to_uppercase(),
        h = (minute / 60) % 24,
        m = minute % 60,
        s = rng.below(60),
        ip = rng.below(256),
        v = rng.below(100),
        r1 = rng.hex(17),
        r2 = rng.hex(8),
        mr = rng.below(1000),
        id1 = rng.hex(32),
        id2 = rng.hex(32),
        ro = name.starts_with("Describe") || name.starts_with("Get") || name.starts_with("List"),
        mgmt = !data,
        cat = if data { "Data" } else { "Management" },
        host = source.split('.').next().unwrap(),
    ));
}

/// Writes logs until their compressed size reaches `mb` MB; returns the
/// directory and the record count. Reuses a complete earlier run.
fn generate(root: &Path, mb: u64) -> (PathBuf, u64) {
    let dir = root.join(format!("{mb}mb"));
    let done = dir.join(".complete");
    if let Ok(n) = fs::read_to_string(&done) {
        return (dir, n.trim().parse().unwrap());
    }
    let _ = fs::remove_dir_all(&dir);
    let day = dir.join("AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/02");
    fs::create_dir_all(&day).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut total, mut records, mut file) = (0u64, 0u64, 0usize);
    let started = Instant::now();
    while total < mb * 1_000_000 {
        let mut text = String::with_capacity(RECORDS_PER_FILE * 1_500);
        text.push_str(r#"{"Records":["#);
        for i in 0..RECORDS_PER_FILE {
            if i > 0 {
                text.push(',');
            }
            record(&mut rng, &mut text, file % 1440);
        }
        text.push_str("]}");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        enc.write_all(text.as_bytes()).unwrap();
        let gz = enc.finish().unwrap();
        total += gz.len() as u64;
        records += RECORDS_PER_FILE as u64;
        let name = format!(
            "111111111111_CloudTrail_us-east-1_20261102T{:02}{:02}Z_{:016x}.json.gz",
            (file % 1440) / 60,
            file % 60,
            file
        );
        fs::write(day.join(name), gz).unwrap();
        file += 1;
    }
    fs::write(&done, records.to_string()).unwrap();
    eprintln!(
        "generated {mb} MB: {file} files, {records} records in {:.0?}",
        started.elapsed()
    );
    (dir, records)
}

/// Runs `cmd` under GNU time: (seconds, peak resident MB).
fn measure(mut cmd: Command, what: &str) -> (f64, f64) {
    let started = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed:\n{err}");
    let kb: f64 = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("maxrss "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{what}: no maxrss line in\n{err}"));
    (secs, kb / 1024.0)
}

fn timed(program: &Path) -> Command {
    let mut c = Command::new("/usr/bin/time");
    c.args(["-f", "maxrss %M"]).arg(program);
    c
}

fn main() {
    let root = tfroles_testsupport::workspace_root();
    let bin = std::env::var_os("TFROLES_BIN")
        .map_or_else(|| root.join("target/release/tfroles"), PathBuf::from);
    assert!(
        bin.exists(),
        "build it first: cargo build --release --bin tfroles"
    );
    let sizes: Vec<u64> = std::env::var("TFROLES_BENCH_USAGE_MB")
        .unwrap_or_else(|_| "100,1000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("sizes in MB"))
        .collect();
    let ts_max: u64 = std::env::var("TFROLES_BENCH_TRAILSCRAPER_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let data = root.join("target/bench-usage");
    fs::create_dir_all(&data).unwrap();
    let config = data.join("tfroles.hcl");
    let mut hcl = String::from(
        "account \"a\" {\n  id = \"111111111111\"\n}\n\nidentity \"ci\" {\n  arn = \"arn:aws:iam::111111111111:user/ci\"\n}\n\nstate {\n  account = \"a\"\n  bucket  = \"bench-state\"\n  role    = \"terraform-state\"\n  region  = \"us-east-1\"\n}\n\nrole \"terraform-state\" {\n  account = \"a\"\n}\n",
    );
    for r in 0..ROLES {
        hcl.push_str(&format!(
            "\nrole \"role-{r}\" {{\n  account  = \"a\"\n  services = [\"ec2\", \"s3\", \"iam\", \"lambda\", \"kms\", \"logs\"]\n}}\n"
        ));
    }
    fs::write(&config, hcl).unwrap();

    println!("| compressed | files | records | tool | wall time | peak memory |");
    println!("|---|---|---|---|---|---|");
    for mb in sizes {
        let (dir, records) = generate(&data, mb);
        let files = fs::read_dir(dir.join("AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/02"))
            .unwrap()
            .count();
        let mut ours = timed(&bin);
        ours.args(["usage", "--config"])
            .arg(&config)
            .args(["--cloudtrail"])
            .arg(dir.join("AWSLogs"))
            .args(["--format", "json"]);
        let (secs, mem) = measure(ours, "tfroles usage");
        println!("| {mb} MB | {files} | {records} | tfroles usage | {secs:.1} s | {mem:.0} MB |");
        if mb <= ts_max {
            // trailscraper's pipeline as its README shows it: select, then
            // generate; both halves measured, the larger memory reported.
            let ts = tfroles_testsupport::trailscraper();
            let program = PathBuf::from(ts.get_program());
            let selected = data.join(format!("selected-{mb}.json"));
            let mut select = timed(&program);
            select
                .args(["select", "--log-dir"])
                .arg(dir.join("AWSLogs"))
                .args(["--from", "2026-01-01", "--to", "2027-01-01"])
                .stdout(fs::File::create(&selected).unwrap());
            let started = Instant::now();
            let out = select.stderr(Stdio::piped()).output().unwrap();
            let select_secs = started.elapsed().as_secs_f64();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "trailscraper select failed:\n{err}");
            let select_mem: f64 = err
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("maxrss "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0.0)
                / 1024.0;
            let mut generate = timed(&program);
            generate
                .arg("generate")
                .stdin(fs::File::open(&selected).unwrap());
            let (gen_secs, gen_mem) = measure(generate, "trailscraper generate");
            let _ = fs::remove_file(&selected);
            println!(
                "| {mb} MB | {files} | {records} | trailscraper select + generate | {:.1} s | {:.0} MB |",
                select_secs + gen_secs,
                select_mem.max(gen_mem)
            );
        } else {
            println!(
                "| {mb} MB | {files} | {records} | trailscraper | not run (see TFROLES_BENCH_TRAILSCRAPER_MB) | |"
            );
        }
    }
}
