//! End-to-end benchmark of `tfroles credential-process`, run as the release
//! binary in a subprocess the way the AWS SDKs and terraform run a
//! `credential_process`, against peers measured in the same run.
//!
//! It starts its own moto server (tfroles-testsupport) and measures:
//!
//! 1. A cache hit (warm entry in a private `TFROLES_CACHE_DIR`) against
//!    - the floor: `/bin/true` and a compiled Rust hello-world that prints a
//!      credential JSON (process start and nothing else);
//!    - the AWS CLI's own mechanism: a boto3 script (the venv's python) whose
//!      profile has `role_arn`, `source_profile` and `external_id`, with a
//!      `botocore.credentials.JSONFileCache` set as the assume-role
//!      provider's cache exactly as the AWS CLI wires it, printing the same
//!      credential_process JSON from a warm cache.
//! 2. A cold call (`--no-cache`: one AssumeRole against moto) against
//!    `aws sts assume-role` (the venv's AWS CLI v1) on the same moto. As a
//!    breakdown it also times how long a cold `tfroles` takes from spawn to
//!    opening its connection to STS (runtime, SDK config and base credentials).
//! 3. STS calls made by 32 concurrent cold callers: `tfroles` sharing one
//!    empty cache directory, and 32 boto3 processes sharing one empty
//!    JSONFileCache directory, counted with moto's `GET /moto-api/data.json`
//!    (`.sts.AssumedRole`), moto reset in between. boto3 runs twice: released
//!    together from a starting line once every process has imported (the
//!    race itself), and simply spawned together (where Python's import time
//!    spreads the processes out and late ones find the first answer cached).
//!
//! It prints median and min per measurement, the ratios and whether each goal
//! was met. A missed goal does not fail the run: the machines this runs on are
//! shared and noisy, so only ratios against a peer measured in the same run
//! mean much. Candidates are run interleaved, round by round, so a burst of
//! noise lands on all of them.
//!
//! Run it with `just bench`, or `cargo bench --bench credentials`.
//! It builds the binary first (`cargo build --release --bin tfroles`).
//!
//! Environment:
//! - `TFROLES_BIN`: a `tfroles` binary to use instead of building one;
//! - `TFROLES_BENCH_CONCURRENCY`: concurrent cold callers (default 32).

use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tfroles_testsupport::{Moto, aws_cli, python_env, scrub_aws_env};

#[path = "common/stats.rs"]
mod stats;
use stats::Stats;

/// Goals (see docs/performance.md).
const HIT_MAX_OVER_FLOOR: f64 = 2.0;
const COLD_MAX_OVER_CURL: f64 = 2.0;
const HIT_MIN_SPEEDUP_OVER_BOTO3: f64 = 50.0;
const COLD_MIN_SPEEDUP_OVER_AWS_CLI: f64 = 10.0;

/// Timed runs per measurement. Fast candidates get many runs (they cost
/// about a millisecond each); Python ones few (a few hundred ms each).
const FAST_RUNS: usize = 201;
const BOTO3_HIT_RUNS: usize = 21;
const COLD_RUNS: usize = 21;
const AWS_CLI_RUNS: usize = 11;
const PRE_STS_RUNS: usize = 11;

const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/bench";

/// The config for the `--role` hit: the same role, named in tfroles.hcl,
/// with a stack glob and a service, so that a full run has a config to
/// parse and a session policy (the delete guard) to derive.
const CONFIG: &str = r#"defaults {
  region = "us-east-1"
}

account "shared" {
  id = "111111111111"
}

state {
  account = "shared"
  bucket  = "acme-terraform-state"
  role    = "terraform-state"
}

role "terraform-state" {
  account = "shared"
}

role "bench" {
  account     = "shared"
  external_id = "e1"
  services    = ["ec2", "s3"]
}

stack "apps/*" {
  account = "shared"
  role    = "bench"
}
"#;
const EXTERNAL_ID: &str = "e1";
const SESSION_NAME: &str = "tfroles";

/// The AWS CLI's assume-role cache, from Python: the same provider and cache
/// class, wired the way `awscli/customizations/assumerole.py` does it, then
/// the credential_process JSON on stdout.
const BOTO3_SCRIPT: &str = r#"
import datetime, json, sys
import boto3
from botocore.credentials import JSONFileCache

session = boto3.Session(profile_name="bench")
provider = session._session.get_component("credential_provider").get_provider("assume-role")
provider.cache = JSONFileCache(sys.argv[1])
if sys.argv[2:] == ["--start-on-stdin"]:
    # The benchmark's starting line for concurrent callers.
    print("ready", flush=True)
    sys.stdin.readline()
creds = session.get_credentials()
frozen = creds.get_frozen_credentials()
expiry = creds._expiry_time.astimezone(datetime.timezone.utc)
print(json.dumps({
    "Version": 1,
    "AccessKeyId": frozen.access_key,
    "SecretAccessKey": frozen.secret_key,
    "SessionToken": frozen.token,
    "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
}))
"#;

/// The floor in Rust: start, print a fixed credential JSON, exit.
const HELLO_RS: &str = r#"
fn main() {
    println!("{{\"Version\":1,\"AccessKeyId\":\"AKIA\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":\"2026-11-21T12:00:00Z\"}}");
}
"#;

fn main() {
    // `cargo bench` passes `--bench` (and any filter); this harness takes none.
    let concurrency: usize =
        match std::env::var("TFROLES_BENCH_CONCURRENCY") {
            Ok(s) => s.trim().parse().ok().filter(|&n| n > 0).unwrap_or_else(|| {
                panic!("TFROLES_BENCH_CONCURRENCY: {s:?} is not a positive number")
            }),
            Err(_) => 32,
        };
    let started = Instant::now();
    let tfroles = tfroles_binary();
    let work = tempfile::Builder::new()
        .prefix("tfroles-bench-creds-")
        .tempdir()
        .expect("cannot create a temporary directory");
    let work = work.path();
    let hello = build_hello(work);
    eprintln!("starting moto (installs the Python venv on first use)");
    let moto = Moto::start();
    let python = python_env().python();
    let bench = Bench::new(&tfroles, &python, &moto, work);

    println!("tfroles: {}", tfroles.display());
    println!("peers: moto 5.2.5, boto3/botocore 1.44.5, awscli 1.46.3 (python venv)");
    println!();

    let hit = bench.cache_hit(hello.as_deref());
    let cold = bench.cold();
    let fanout = bench.fanout(concurrency);
    report(&hit, &cold, &fanout);
    eprintln!("(benchmark took {:.0} s)", started.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------
// Setup

/// Builds the release binary and finds it under `CARGO_TARGET_DIR` or the
/// workspace's `target` directory.
fn tfroles_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("TFROLES_BIN") {
        return PathBuf::from(bin);
    }
    // The `tfroles` package is the workspace root.
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building: cargo build --release --bin tfroles");
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "tfroles"])
        .current_dir(&workspace)
        .status()
        .expect("cannot run cargo");
    assert!(status.success(), "cargo build --release failed");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    let bin = target
        .join("release")
        .join(format!("tfroles{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.is_file(), "no binary at {}", bin.display());
    bin
}

/// Compiles the Rust hello-world with `rustc -O`; `None` (with a warning)
/// when rustc is not at hand.
fn build_hello(work: &Path) -> Option<PathBuf> {
    let src = work.join("hello.rs");
    fs::write(&src, HELLO_RS).expect("cannot write hello.rs");
    let out = work.join(format!("hello{}", std::env::consts::EXE_SUFFIX));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let result = Command::new(rustc)
        .args(["-C", "opt-level=3", "--edition=2021", "-o"])
        .arg(&out)
        .arg(&src)
        .output();
    match result {
        Ok(o) if o.status.success() => Some(out),
        Ok(o) => {
            eprintln!(
                "warning: rustc failed; the Rust hello-world floor is skipped:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("warning: cannot run rustc ({e}); the Rust hello-world floor is skipped");
            None
        }
    }
}

struct Bench<'a> {
    tfroles: &'a Path,
    python: &'a Path,
    moto: &'a Moto,
    work: &'a Path,
    script: PathBuf,
    aws_config: PathBuf,
}

impl<'a> Bench<'a> {
    fn new(tfroles: &'a Path, python: &'a Path, moto: &'a Moto, work: &'a Path) -> Self {
        let script = work.join("boto3_credential_process.py");
        fs::write(&script, BOTO3_SCRIPT).expect("cannot write the boto3 script");
        // The profile the AWS CLI would read: the role, its external id and
        // the same session name as tfroles, so both send the same AssumeRole.
        let aws_config = work.join("aws-config");
        fs::write(
            &aws_config,
            format!(
                "[profile bench]\nrole_arn = {ROLE_ARN}\nsource_profile = base\n\
                 external_id = {EXTERNAL_ID}\nrole_session_name = {SESSION_NAME}\n\n\
                 [profile base]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
            ),
        )
        .expect("cannot write the AWS config file");
        Bench {
            tfroles,
            python,
            moto,
            work,
            script,
            aws_config,
        }
    }

    /// `tfroles credential-process --role bench` from the config in
    /// `config/`, with its cache in `cache`.
    fn tfroles_config(&self, cache: &Path) -> Command {
        let dir = self.work.join("config");
        if !dir.join("tfroles.hcl").exists() {
            fs::create_dir_all(&dir).expect("cannot create the config directory");
            fs::write(dir.join("tfroles.hcl"), CONFIG).expect("cannot write tfroles.hcl");
        }
        let mut cmd = Command::new(self.tfroles);
        self.moto.apply_env(&mut cmd);
        cmd.env_remove("RUST_LOG")
            .env("TFROLES_CACHE_DIR", cache)
            .current_dir(dir)
            .args(["credential-process", "--role", "bench"]);
        cmd
    }

    /// One AssumeRole with curl: the raw HTTP round trip a cold call
    /// cannot beat (moto does not check signatures).
    fn curl(&self) -> Command {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--fail", "-o", "/dev/null", "--data"])
            .arg(format!(
                "Action=AssumeRole&Version=2011-06-15&RoleArn={ROLE_ARN}&RoleSessionName={SESSION_NAME}&ExternalId={EXTERNAL_ID}"
            ))
            .arg(format!("{}/", self.moto.endpoint()));
        cmd
    }

    /// `tfroles credential-process` for the bench role, with its cache in
    /// `cache` (or `--no-cache`).
    fn tfroles(&self, cache: Option<&Path>) -> Command {
        let mut cmd = Command::new(self.tfroles);
        self.moto.apply_env(&mut cmd);
        cmd.env_remove("RUST_LOG")
            .env_remove("TFROLES_CACHE_DIR")
            .args([
                "credential-process",
                "--role-arn",
                ROLE_ARN,
                "--external-id",
                EXTERNAL_ID,
            ]);
        match cache {
            Some(dir) => cmd.env("TFROLES_CACHE_DIR", dir),
            None => cmd.arg("--no-cache"),
        };
        cmd
    }

    /// The boto3 script with its JSONFileCache in `cache`.
    fn boto3(&self, cache: &Path) -> Command {
        let mut cmd = Command::new(self.python);
        scrub_aws_env(&mut cmd);
        // Keys come from the `base` profile only, as on a laptop.
        cmd.env("AWS_CONFIG_FILE", &self.aws_config)
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.work.join("no-credentials"),
            )
            .env("AWS_ENDPOINT_URL_STS", self.moto.endpoint())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("PYTHONPATH")
            .env_remove("PYTHONHOME")
            .arg(&self.script)
            .arg(cache);
        cmd
    }

    /// `aws sts assume-role` for the same session as tfroles.
    fn aws_assume_role(&self) -> Command {
        let mut cmd = aws_cli();
        self.moto.apply_env(&mut cmd);
        cmd.env("AWS_PAGER", "").args([
            "sts",
            "assume-role",
            "--role-arn",
            ROLE_ARN,
            "--role-session-name",
            SESSION_NAME,
            "--external-id",
            EXTERNAL_ID,
            "--output",
            "json",
        ]);
        cmd
    }

    fn sts_calls(&self) -> usize {
        self.moto.assumed_roles().len()
    }

    fn cache_hit(&self, hello: Option<&Path>) -> HitResult {
        eprintln!("== cache hit");
        self.moto.reset();
        let tf_cache = self.work.join("tfroles-cache-hit");
        let py_cache = self.work.join("boto3-cache-hit");
        // Warm both caches: one STS call each.
        let tf_warm = credential_json(&run(&mut self.tfroles(Some(&tf_cache)), "tfroles warm-up"));
        let cf_cache = self.work.join("tfroles-cache-config");
        let cf_warm = credential_json(&run(
            &mut self.tfroles_config(&cf_cache),
            "tfroles --role warm-up",
        ));
        // The first hit after a full run is still a full run when the
        // index was not there yet; the second is the index's.
        run(
            &mut self.tfroles_config(&cf_cache),
            "tfroles --role second call",
        );
        let py_warm = credential_json(&run(&mut self.boto3(&py_cache), "boto3 warm-up"));
        let warm_calls = self.sts_calls();
        assert_eq!(
            warm_calls, 3,
            "warming the three caches should make exactly three AssumeRole calls"
        );

        let mut tr = Vec::new();
        let mut he = Vec::new();
        let mut ver = Vec::new();
        let mut tf = Vec::new();
        let mut cf = Vec::new();
        let mut py = Vec::new();
        let py_every = FAST_RUNS / BOTO3_HIT_RUNS;
        for round in 0..FAST_RUNS {
            let (t, _) = timed(&mut Command::new("/bin/true"), "/bin/true");
            tr.push(t);
            if let Some(h) = hello {
                let (t, _) = timed(&mut Command::new(h), "hello-world");
                he.push(t);
            }
            let (t, _) = timed(
                Command::new(self.tfroles).arg("--version"),
                "tfroles --version",
            );
            ver.push(t);
            let (t, out) = timed(&mut self.tfroles(Some(&tf_cache)), "tfroles cache hit");
            assert_eq!(
                credential_json(&out)["AccessKeyId"],
                tf_warm["AccessKeyId"],
                "tfroles answered other credentials than the cached ones"
            );
            tf.push(t);
            let (t, out) = timed(
                &mut self.tfroles_config(&cf_cache),
                "tfroles --role cache hit",
            );
            assert_eq!(
                credential_json(&out)["AccessKeyId"],
                cf_warm["AccessKeyId"],
                "tfroles --role answered other credentials than the cached ones"
            );
            cf.push(t);
            if round % py_every == 0 && py.len() < BOTO3_HIT_RUNS {
                let (t, out) = timed(&mut self.boto3(&py_cache), "boto3 cache hit");
                assert_eq!(
                    credential_json(&out)["AccessKeyId"],
                    py_warm["AccessKeyId"],
                    "boto3 answered other credentials than the cached ones"
                );
                py.push(t);
            }
        }
        let calls = self.sts_calls();
        assert_eq!(
            calls, warm_calls,
            "a cache hit called STS ({} AssumeRole calls after warming, expected {warm_calls})",
            calls
        );
        HitResult {
            true_bin: Stats::of(tr),
            hello: (!he.is_empty()).then(|| Stats::of(he)),
            version: Stats::of(ver),
            tfroles: Stats::of(tf),
            config: Stats::of(cf),
            boto3: Stats::of(py),
        }
    }

    fn cold(&self) -> ColdResult {
        eprintln!("== cold call");
        self.moto.reset();
        let mut tf = Vec::new();
        let mut aws = Vec::new();
        let mut curl = Vec::new();
        let aws_every = COLD_RUNS / AWS_CLI_RUNS;
        for round in 0..COLD_RUNS {
            let (t, out) = timed(&mut self.tfroles(None), "tfroles --no-cache");
            credential_json(&out);
            tf.push(t);
            let (t, _) = timed(&mut self.curl(), "curl AssumeRole");
            curl.push(t);
            if round % aws_every == 0 && aws.len() < AWS_CLI_RUNS {
                let (t, out) = timed(&mut self.aws_assume_role(), "aws sts assume-role");
                let v: Value = serde_json::from_slice(&out.stdout)
                    .expect("aws sts assume-role printed no JSON");
                assert!(
                    v["Credentials"]["AccessKeyId"].is_string(),
                    "aws sts assume-role printed no credentials: {v}"
                );
                aws.push(t);
            }
        }
        let calls = self.sts_calls();
        assert_eq!(
            calls,
            tf.len() + aws.len() + curl.len(),
            "every cold call should be exactly one AssumeRole"
        );
        let pre_sts = Stats::of((0..PRE_STS_RUNS).map(|_| self.time_to_sts()).collect());
        ColdResult {
            tfroles: Stats::of(tf),
            aws_cli: Stats::of(aws),
            curl: Stats::of(curl),
            pre_sts,
        }
    }

    /// Spawn to the first connection to STS for a cold `tfroles`: a loopback
    /// listener stands in for STS, notes when the connection arrives and
    /// then the process is killed.
    fn time_to_sts(&self) -> Duration {
        let listener = TcpListener::bind("127.0.0.1:0").expect("cannot bind a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let mut cmd = self.tfroles(None);
        cmd.env("AWS_ENDPOINT_URL_STS", &endpoint)
            .env("AWS_ENDPOINT_URL", &endpoint)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        listener
            .set_nonblocking(true)
            .expect("cannot make the listener non-blocking");
        let start = Instant::now();
        let mut child = cmd.spawn().expect("cannot start tfroles");
        let arrived = loop {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let at = start.elapsed();
                    // Make sure it is the request, not just a connect.
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut first = [0u8; 4];
                    let _ = stream.read(&mut first);
                    break at;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Some(status) = child.try_wait().expect("cannot wait for tfroles") {
                        panic!("tfroles exited ({status}) without connecting to STS");
                    }
                    assert!(
                        start.elapsed() < Duration::from_secs(30),
                        "tfroles did not connect to STS within 30 s"
                    );
                    std::thread::sleep(Duration::from_micros(100));
                }
                Err(e) => panic!("accept failed: {e}"),
            }
        };
        let _ = child.kill();
        let _ = child.wait();
        arrived
    }

    fn fanout(&self, n: usize) -> FanoutResult {
        eprintln!("== {n} concurrent cold callers");
        self.moto.reset();
        let tf_cache = self.work.join("tfroles-cache-fanout");
        let tfroles = self.counted(burst(n, || self.tfroles(Some(&tf_cache)), false));

        // All 32 boto3 processes import boto3 and set up the session first,
        // then start resolving credentials together: the race the cache
        // must survive, without Python's import time spreading them out.
        self.moto.reset();
        let py_cache = self.work.join("boto3-cache-fanout-together");
        let boto3_together = self.counted(burst(n, || self.boto3(&py_cache), true));

        // The same 32 boto3 processes simply started at once: whoever finishes
        // importing after the first answer is cached finds it.
        self.moto.reset();
        let py_cache = self.work.join("boto3-cache-fanout-spawned");
        let boto3_spawned = self.counted(burst(n, || self.boto3(&py_cache), false));
        FanoutResult {
            callers: n,
            tfroles,
            boto3_together,
            boto3_spawned,
        }
    }

    fn counted(&self, mut b: Burst) -> Burst {
        b.sts_calls = self.sts_calls();
        b
    }
}

/// Starts `n` processes and waits for all of them: the wall time, how many
/// failed, and how many different access keys they printed. With
/// `starting_line`, each process (the boto3 script) reports `ready` once set
/// up and waits for a line on stdin; all are released together and the wall
/// time counts from the release.
fn burst(n: usize, mut make: impl FnMut() -> Command, starting_line: bool) -> Burst {
    let mut cmds: Vec<Command> = (0..n).map(|_| make()).collect();
    let mut start = Instant::now();
    let mut children: Vec<_> = cmds
        .iter_mut()
        .map(|c| {
            if starting_line {
                c.arg("--start-on-stdin").stdin(Stdio::piped());
            } else {
                c.stdin(Stdio::null());
            }
            c.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("cannot start a caller")
        })
        .collect();
    let mut readers: Vec<_> = children
        .iter_mut()
        .map(|c| BufReader::new(c.stdout.take().expect("stdout is piped")))
        .collect();
    if starting_line {
        for (c, r) in children.iter_mut().zip(&mut readers) {
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            if line.trim() != "ready" {
                let mut err = Vec::new();
                if let Some(mut e) = c.stderr.take() {
                    let _ = e.read_to_end(&mut err);
                }
                panic!("a caller did not get ready: {line:?}\n{}", tail(&err));
            }
        }
        start = Instant::now();
        for c in &mut children {
            let mut stdin = c.stdin.take().expect("stdin is piped");
            stdin.write_all(b"go\n").expect("cannot release a caller");
        }
    }
    let mut outputs = Vec::new();
    for (c, mut r) in children.into_iter().zip(readers) {
        let mut stdout = Vec::new();
        r.read_to_end(&mut stdout)
            .expect("cannot read a caller's output");
        let mut out = c.wait_with_output().expect("cannot wait for a caller");
        out.stdout = stdout;
        outputs.push(out);
    }
    let wall = start.elapsed();
    let mut failed = 0;
    let mut keys = std::collections::BTreeSet::new();
    for o in &outputs {
        let key = serde_json::from_slice::<Value>(&o.stdout)
            .ok()
            .and_then(|v| v["AccessKeyId"].as_str().map(str::to_owned));
        match (o.status.success(), key) {
            (true, Some(k)) => {
                keys.insert(k);
            }
            _ => {
                failed += 1;
                if failed == 1 {
                    eprintln!("  a caller failed ({}): {}", o.status, tail(&o.stderr));
                }
            }
        }
    }
    Burst {
        wall,
        failed,
        distinct_keys: keys.len(),
        sts_calls: 0,
    }
}

// ---------------------------------------------------------------------------
// Running and timing

/// Runs `cmd` to completion (stdout and stderr captured, no stdin, as the
/// Rust SDK runs a credential_process) and times it; panics if it fails.
fn timed(cmd: &mut Command, what: &str) -> (Duration, Output) {
    cmd.stdin(Stdio::null());
    let start = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let t = start.elapsed();
    assert!(
        out.status.success(),
        "{what} exited with {}:\n{}",
        out.status,
        tail(&out.stderr)
    );
    (t, out)
}

fn run(cmd: &mut Command, what: &str) -> Output {
    timed(cmd, what).1
}

/// The credential_process JSON a run printed, checked for its fields.
fn credential_json(out: &Output) -> Value {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not credential_process JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    for field in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(v[field].is_string(), "no {field} in {v}");
    }
    assert_eq!(v["Version"], 1, "Version is not 1 in {v}");
    v
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let start = s.char_indices().rev().nth(2000).map_or(0, |(i, _)| i);
    s[start..].to_string()
}

// ---------------------------------------------------------------------------
// Results

struct HitResult {
    true_bin: Stats,
    hello: Option<Stats>,
    /// `tfroles --version`: loading the binary and nothing else.
    version: Stats,
    tfroles: Stats,
    /// `--role bench` from a config, answered by the hit index.
    config: Stats,
    boto3: Stats,
}

struct ColdResult {
    tfroles: Stats,
    aws_cli: Stats,
    /// curl sending the same AssumeRole to the same moto.
    curl: Stats,
    pre_sts: Stats,
}

struct Burst {
    wall: Duration,
    failed: usize,
    distinct_keys: usize,
    sts_calls: usize,
}

struct FanoutResult {
    callers: usize,
    tfroles: Burst,
    /// Released together after importing (a starting line).
    boto3_together: Burst,
    /// Spawned together, each resolving as soon as it has imported.
    boto3_spawned: Burst,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn pass(ok: bool) -> &'static str {
    if ok { "pass" } else { "MISS" }
}

fn report(hit: &HitResult, cold: &ColdResult, fanout: &FanoutResult) {
    println!(
        "{:<58}  {:>4}  {:>10}  {:>10}",
        "measurement", "runs", "median", "min"
    );
    let row = |what: &str, s: &Stats| {
        println!(
            "{:<58}  {:>4}  {:>7.2} ms  {:>7.2} ms",
            what,
            s.runs,
            ms(s.median),
            ms(s.min)
        );
    };
    row("floor: /bin/true", &hit.true_bin);
    if let Some(h) = &hit.hello {
        row("floor: Rust hello-world (rustc -O)", h);
    }
    row("tfroles --version (loading the binary only)", &hit.version);
    row(
        "tfroles credential-process --role-arn, cache hit",
        &hit.tfroles,
    );
    row(
        "tfroles credential-process --role (config), cache hit",
        &hit.config,
    );
    row(
        "boto3 assume-role provider + JSONFileCache, cache hit",
        &hit.boto3,
    );
    row(
        "tfroles credential-process --no-cache (1 AssumeRole)",
        &cold.tfroles,
    );
    row("aws sts assume-role (awscli v1)", &cold.aws_cli);
    row(
        "curl, the same AssumeRole (raw HTTP round trip)",
        &cold.curl,
    );
    row(
        "  of which tfroles cold: spawn to STS connection",
        &cold.pre_sts,
    );

    println!();
    println!(
        "{:<30} {:>9}  {:>6}  {:>13}  {:>10}",
        format!("{} concurrent cold callers", fanout.callers),
        "STS calls",
        "failed",
        "distinct keys",
        "wall"
    );
    for (name, b) in [
        ("tfroles (shared cache dir)", &fanout.tfroles),
        ("boto3, released together", &fanout.boto3_together),
        ("boto3, spawned together", &fanout.boto3_spawned),
    ] {
        println!(
            "  {:<28} {:>9}  {:>6}  {:>13}  {:>7.0} ms",
            name,
            b.sts_calls,
            b.failed,
            b.distinct_keys,
            ms(b.wall)
        );
    }
    println!(
        "  (boto3 with one shared JSONFileCache; \"released together\": after importing, \
         all resolve at once)"
    );

    println!();
    println!("Ratios (medians; min in parentheses):");
    let r_true = ratio(hit.tfroles.median, hit.true_bin.median);
    println!(
        "  cache hit / /bin/true         = {:.2}x ({:.2}x)",
        r_true,
        ratio(hit.tfroles.min, hit.true_bin.min)
    );
    let r_hello = hit.hello.as_ref().map(|h| {
        let r = ratio(hit.tfroles.median, h.median);
        println!(
            "  cache hit / Rust hello-world  = {:.2}x ({:.2}x)",
            r,
            ratio(hit.tfroles.min, h.min)
        );
        r
    });
    let floor = hit.hello.as_ref().unwrap_or(&hit.true_bin);
    let r_config = ratio(hit.config.median, floor.median);
    println!(
        "  --role hit / Rust hello-world = {:.2}x ({:.2}x)",
        r_config,
        ratio(hit.config.min, floor.min)
    );
    let r_curl = ratio(cold.tfroles.median, cold.curl.median);
    println!(
        "  tfroles cold / curl           = {:.2}x ({:.2}x)",
        r_curl,
        ratio(cold.tfroles.min, cold.curl.min)
    );
    let r_boto3 = ratio(hit.boto3.median, hit.tfroles.median);
    println!(
        "  boto3 cache hit / tfroles hit = {:.1}x ({:.1}x)",
        r_boto3,
        ratio(hit.boto3.min, hit.tfroles.min)
    );
    let r_cold = ratio(cold.aws_cli.median, cold.tfroles.median);
    println!(
        "  aws sts assume-role / tfroles cold = {:.1}x ({:.1}x)",
        r_cold,
        ratio(cold.aws_cli.min, cold.tfroles.min)
    );
    println!(
        "  tfroles cold: spawn to STS connection = {:.0}% of the call",
        100.0 * ratio(cold.pre_sts.median, cold.tfroles.median)
    );

    println!();
    println!("Goals (judged on medians; a miss does not fail the run):");
    println!(
        "  [{}] cache hit within {HIT_MAX_OVER_FLOOR}x of /bin/true: {:.2}x",
        pass(r_true <= HIT_MAX_OVER_FLOOR),
        r_true
    );
    if let Some(r) = r_hello {
        println!(
            "  [{}] cache hit within {HIT_MAX_OVER_FLOOR}x of a Rust hello-world: {:.2}x",
            pass(r <= HIT_MAX_OVER_FLOOR),
            r
        );
    }
    println!(
        "  [{}] --role cache hit (config) within {HIT_MAX_OVER_FLOOR}x of a Rust hello-world: {:.2}x",
        pass(r_config <= HIT_MAX_OVER_FLOOR),
        r_config
    );
    println!(
        "  [{}] cold call within {COLD_MAX_OVER_CURL}x of curl's round trip to the same moto: {:.2}x",
        pass(r_curl <= COLD_MAX_OVER_CURL),
        r_curl
    );
    println!(
        "  [{}] cache hit at least {HIT_MIN_SPEEDUP_OVER_BOTO3}x faster than boto3's: {:.1}x",
        pass(r_boto3 >= HIT_MIN_SPEEDUP_OVER_BOTO3),
        r_boto3
    );
    println!(
        "  [{}] cold call at least {COLD_MIN_SPEEDUP_OVER_AWS_CLI}x faster than aws sts assume-role: {:.1}x",
        pass(r_cold >= COLD_MIN_SPEEDUP_OVER_AWS_CLI),
        r_cold
    );
    let t = &fanout.tfroles;
    println!(
        "  [{}] {} concurrent cold tfroles callers make 1 STS call: {} (all {} answered the same key: {})",
        pass(t.sts_calls == 1 && t.failed == 0 && t.distinct_keys == 1),
        fanout.callers,
        t.sts_calls,
        fanout.callers,
        if t.failed == 0 && t.distinct_keys == 1 {
            "yes"
        } else {
            "no"
        }
    );
    for (how, b) in [
        ("released together", &fanout.boto3_together),
        ("spawned together", &fanout.boto3_spawned),
    ] {
        println!(
            "  [info] {} concurrent boto3 callers ({how}) with a shared JSONFileCache: {} STS calls, {} failed",
            fanout.callers, b.sts_calls, b.failed
        );
    }
}
