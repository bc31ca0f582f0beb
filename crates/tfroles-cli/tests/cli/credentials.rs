//! `credential-process`, `env` and `exec`, run as terraform and the AWS
//! CLI run them, against real peers: a moto server for STS (and IAM/S3),
//! the AWS CLI, terraform's s3 backend, and small local HTTP servers of our
//! own for what moto cannot be: GitHub's token endpoint, and a proxy that
//! records every STS request (to see parameters moto does not keep) or
//! answers with throttling and server errors.
//!
//! Every run gets its own HOME and TFROLES_CACHE_DIR and only the AWS
//! settings the test gives it, so nothing touches the developer's ~/.aws
//! or cache, and no test sees another's cache.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pretty_assertions::assert_eq;
use serde_json::Value;
use tfroles_testsupport::{AssumedRole, Moto, aws_cli, free_port, python_env, terraform};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");

/// Base keys of our own, so a leak of the base secret is recognisable (moto
/// takes any keys while it enforces nothing).
const BASE_KEY: &str = "AKIDBASEKEY000000001";
const BASE_SECRET: &str = "base+Secret/Key0xZQJ7dNWfKbVq4hRsTc1LmYu";

const ROLE_X: &str = "arn:aws:iam::111111111111:role/x";

/// A config every test can extend: one account, the state role, a region.
const CONFIG: &str = r#"
defaults {
  region       = "us-east-1"
  session_name = "terraform"
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
  account     = "shared"
  external_id = "tf-state"
}
"#;

/// Variables a developer's or CI machine may have set that would change
/// what a run does; every command here starts without them.
const FOREIGN: &[&str] = &[
    "XDG_CACHE_HOME",
    "RUST_LOG",
    "LOG_SIGNABLE_BODY",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "TFC_WORKLOAD_IDENTITY_TOKEN",
    "TFROLES_MFA_TOKEN",
    "CI_TOKEN",
    "NO_COLOR",
];

// ------------------------------------------------------------ the lab

/// One moto, a private HOME and cache directory, and a working directory
/// (with a tfroles.hcl when the test writes one).
struct Lab {
    moto: Moto,
    root: tempfile::TempDir,
}

impl Lab {
    fn new() -> Lab {
        Lab {
            moto: Moto::start(),
            root: private_root(),
        }
    }

    fn with_config(extra: &str) -> Lab {
        let lab = Lab::new();
        fs::write(lab.work().join("tfroles.hcl"), format!("{CONFIG}{extra}")).unwrap();
        lab
    }

    fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// Does not exist until tfroles creates it.
    fn cache(&self) -> PathBuf {
        self.root.path().join("cache")
    }

    /// `tfroles ARGS` pointed at moto with the base keys, in the work dir.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        self.moto.apply_env(&mut cmd);
        self.isolate(&mut cmd);
        cmd.current_dir(self.work()).args(args);
        cmd
    }

    /// HOME, the cache, the base keys, no stdin; nothing foreign.
    fn isolate(&self, cmd: &mut Command) {
        isolate(cmd, &self.home(), &self.cache());
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs `credential-process ARGS`, which must succeed, and checks the
    /// answer against the protocol.
    fn process(&self, args: &[&str]) -> Answer {
        let mut full = vec!["credential-process"];
        full.extend_from_slice(args);
        let out = self.run(&full);
        expect_ok(&out, &full)
    }

    /// The cache's entry files (`<sha256>.json`).
    fn entries(&self) -> Vec<PathBuf> {
        entries(&self.cache())
    }
}

fn private_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join("work")).unwrap();
    fs::create_dir(root.path().join("home")).unwrap();
    root
}

fn isolate(cmd: &mut Command, home: &Path, cache: &Path) {
    for v in FOREIGN {
        cmd.env_remove(v);
    }
    cmd.env("HOME", home)
        .env("TFROLES_CACHE_DIR", cache)
        .env("AWS_ACCESS_KEY_ID", BASE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", BASE_SECRET)
        .stdin(Stdio::null());
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let Ok(dir) = fs::read_dir(cache) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    for p in &out {
        let stem = p.file_stem().unwrap().to_str().unwrap();
        assert!(
            stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()),
            "entries are named by a SHA-256: {}",
            p.display()
        );
    }
    out
}

/// How many AssumeRole calls moto served (its data.json has no STS list
/// at all before the first).
fn sts_calls(moto: &Moto) -> usize {
    moto.data()
        .pointer("/sts/AssumedRole")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn expect_ok(out: &Output, args: &[&str]) -> Answer {
    assert_eq!(
        out.status.code(),
        Some(0),
        "tfroles {args:?} failed:\n{}",
        text(&out.stderr)
    );
    Answer::parse(&out.stdout)
}

#[track_caller]
fn expect_exit(out: &Output, code: i32) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr:\n{stderr}");
    assert_eq!(text(&out.stdout), "", "nothing on stdout when it fails");
    stderr
}

/// A `credential_process` answer, checked against the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    line: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: i64,
}

impl Answer {
    #[track_caller]
    fn parse(stdout: &[u8]) -> Answer {
        let s = std::str::from_utf8(stdout).expect("stdout is UTF-8");
        assert!(
            s.ends_with('\n') && s.matches('\n').count() == 1,
            "stdout is exactly one line: {s:?}"
        );
        let v: Value = serde_json::from_str(s.trim_end())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {s}"));
        let mut keys: Vec<&str> = v
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "AccessKeyId",
                "Expiration",
                "SecretAccessKey",
                "SessionToken",
                "Version"
            ]
        );
        assert_eq!(v["Version"], 1);
        let field = |k: &str| {
            let x = v[k].as_str().unwrap_or_else(|| panic!("{k} is a string"));
            assert!(!x.is_empty(), "{k} is empty");
            x.to_owned()
        };
        Answer {
            line: s.to_owned(),
            access_key_id: field("AccessKeyId"),
            secret_access_key: field("SecretAccessKey"),
            session_token: field("SessionToken"),
            expiration: unix_from_rfc3339(&field("Expiration")),
        }
    }
}

// ------------------------------------------------------------ time

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC, whole seconds).
#[track_caller]
fn unix_from_rfc3339(s: &str) -> i64 {
    let b = s.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(shape, "{s:?} is not RFC 3339 UTC with whole seconds");
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let days = days_from_civil(n(0..4), n(5..7), n(8..10));
    days * 86400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

fn rfc3339_from_unix(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86400), t.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[test]
fn the_test_clock_helpers_agree_with_each_other() {
    for t in [0, 951_782_400, 1_795_264_072, 4_102_444_799] {
        assert_eq!(unix_from_rfc3339(&rfc3339_from_unix(t)), t);
    }
    assert_eq!(unix_from_rfc3339("2000-03-01T00:00:00Z"), 951_868_800);
}

#[track_caller]
fn assert_expires_in(a: &Answer, secs: i64) {
    let want = now() + secs;
    assert!(
        (a.expiration - want).abs() <= 120,
        "Expiration is {}, expected about {} (now + {secs}s)",
        rfc3339_from_unix(a.expiration),
        rfc3339_from_unix(want)
    );
}

/// Rewrites a cache entry's Expiration as the cache writes: a complete
/// temporary file renamed over the entry.
fn set_expiration(entry: &Path, unix: i64) {
    let mut v: Value = serde_json::from_slice(&fs::read(entry).unwrap()).unwrap();
    v["Expiration"] = Value::String(rfc3339_from_unix(unix));
    let tmp = entry.with_file_name(".test-stale.tmp");
    fs::write(&tmp, serde_json::to_vec(&v).unwrap()).unwrap();
    fs::rename(&tmp, entry).unwrap();
}

// ------------------------------------------------------------ HTTP peers of our own

/// One HTTP/1.1 request as read off the wire.
#[derive(Debug, Clone)]
struct Request {
    /// `POST / HTTP/1.1`.
    line: String,
    /// Header names lower-cased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn body(&self) -> String {
        text(&self.body)
    }

    /// A form parameter of an STS query request, percent-decoded.
    fn param(&self, name: &str) -> Option<String> {
        self.body()
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(v))
    }

    /// The access key id that signed the request.
    fn signed_by(&self) -> Option<String> {
        let auth = self.header("authorization")?;
        let cred = auth.split("Credential=").nth(1)?;
        Some(cred.split('/').next()?.to_owned())
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if stream.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        stream.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse::<usize>().unwrap());
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some(Request {
        line: line.trim_end().to_owned(),
        headers,
        body,
    })
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// Serves each connection (one request each: every answer says
/// `Connection: close`) on its own thread, for the rest of the test binary.
fn serve(handler: impl Fn(Request, &mut TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let handler = Arc::clone(&handler);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if let Some(req) = read_request(&mut reader) {
                    let mut stream = stream;
                    handler(req, &mut stream);
                }
            });
        }
    });
    url
}

/// What the proxy answers instead of forwarding.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Throttling,
    ServerError,
}

/// An HTTP proxy in front of moto's STS that records every request and
/// answers the first ones with the given faults.
struct Proxy {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Proxy {
    fn start(upstream: &str, faults: Vec<Fault>) -> Proxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let url = serve(move |req, stream| {
            let n = {
                let mut r = seen.lock().unwrap();
                r.push(req.clone());
                r.len()
            };
            match faults.get(n - 1) {
                Some(Fault::Throttling) => respond(
                    stream,
                    "400 Bad Request",
                    "text/xml",
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>",
                ),
                Some(Fault::ServerError) => respond(
                    stream,
                    "500 Internal Server Error",
                    "text/xml",
                    "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>oops</Message></Error><RequestId>y</RequestId></ErrorResponse>",
                ),
                None => forward(&upstream, &req, stream),
            }
        });
        Proxy { url, requests }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The `Action` of every request, in order.
    fn actions(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| r.param("Action").unwrap_or_default())
            .collect()
    }
}

/// Sends `req` to `upstream` with `Connection: close` and reads the whole
/// answer.
fn round_trip(upstream: &str, req: &Request) -> Vec<u8> {
    let mut up = TcpStream::connect(upstream).unwrap();
    let mut head = format!("{}\r\n", req.line);
    for (k, v) in req.headers.iter().filter(|(k, _)| k != "connection") {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    up.write_all(head.as_bytes()).unwrap();
    up.write_all(&req.body).unwrap();
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).unwrap();
    answer
}

/// Sends `req` to `upstream` and relays the answer, both with
/// `Connection: close`.
fn forward(upstream: &str, req: &Request, client: &mut TcpStream) {
    let answer = round_trip(upstream, req);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let mut out = String::new();
    for line in text(&answer[..split]).split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let _ = client.write_all(out.as_bytes());
    let _ = client.write_all(&answer[split + 4..]);
    let _ = client.flush();
}

/// A fake of GitHub Actions' token endpoint: answers `{"value": JWT}` to a
/// GET with `Authorization: bearer BEARER` and `audience=sts.amazonaws.com`,
/// 401 to another bearer, 400 to another audience.
struct TokenServer {
    /// Like GitHub's `ACTIONS_ID_TOKEN_REQUEST_URL`, which has a query already.
    url: String,
    hits: Arc<AtomicUsize>,
}

/// A JWT-shaped token (header, claims, signature) that STS would accept.
const GITHUB_JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIiwic3ViIjoicmVwbzphY21lL2luZnJhOnJlZjpyZWZzL2hlYWRzL21haW4iLCJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.c2lnbmF0dXJlLWdpdGh1Yg";
const GITHUB_BEARER: &str = "ghs_requestToken0123456789";

impl TokenServer {
    fn start() -> TokenServer {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        let base = serve(move |req, stream| {
            counted.fetch_add(1, Ordering::SeqCst);
            let target = req.line.split(' ').nth(1).unwrap_or_default().to_owned();
            let query: Vec<&str> = target
                .split_once('?')
                .map(|(_, q)| q.split('&').collect())
                .unwrap_or_default();
            let auth_ok = req.line.starts_with("GET ")
                && req.header("authorization").is_some_and(|a| {
                    a.split_once(' ').is_some_and(|(scheme, token)| {
                        scheme.eq_ignore_ascii_case("bearer") && token == GITHUB_BEARER
                    })
                });
            if !auth_ok {
                respond(
                    stream,
                    "401 Unauthorized",
                    "application/json",
                    r#"{"message":"Bad credentials"}"#,
                );
            } else if !query.contains(&"audience=sts.amazonaws.com")
                || !query.contains(&"api-version=2.0")
            {
                respond(
                    stream,
                    "400 Bad Request",
                    "application/json",
                    r#"{"message":"audience"}"#,
                );
            } else {
                respond(
                    stream,
                    "200 OK",
                    "application/json",
                    &format!(r#"{{"count":1,"value":"{GITHUB_JWT}"}}"#),
                );
            }
        });
        TokenServer {
            url: format!("{base}/_apis/token?api-version=2.0"),
            hits,
        }
    }
}

// ------------------------------------------------------------ 1. AssumeRole

#[test]
fn assume_role_sends_every_parameter_from_the_config_and_from_flags() {
    let lab = Lab::with_config(
        r#"
role "deploy" {
  account         = "shared"
  external_id     = "ext-cfg"
  session_name    = "cfg-session"
  duration        = "2h"
  tags            = { team = "api", "cost-center" = "42" }
  source_identity = "alice"
}
"#,
    );
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let run = |args: &[&str]| {
        let out = lab
            .cmd(args)
            .env("AWS_ENDPOINT_URL_STS", &proxy.url)
            .output()
            .unwrap();
        expect_ok(&out, args)
    };

    let from_config = run(&["credential-process", "--role", "deploy"]);
    assert_expires_in(&from_config, 7200);
    let from_flags = run(&[
        "credential-process",
        "--role-arn",
        "arn:aws:iam::111111111111:role/flagged",
        "--external-id",
        "ext-flag",
        "--session-name",
        "flag-session",
        "--duration",
        "2h",
        "--tag",
        "team=api",
        "--tag",
        "env=qa",
        "--source-identity",
        "bob",
    ]);
    assert_expires_in(&from_flags, 7200);

    let assumed = lab.moto.assumed_roles();
    let got = arn_external_id_session(&assumed);
    assert_eq!(
        got,
        [
            (
                "arn:aws:iam::111111111111:role/deploy",
                Some("ext-cfg"),
                "cfg-session"
            ),
            (
                "arn:aws:iam::111111111111:role/flagged",
                Some("ext-flag"),
                "flag-session"
            ),
        ]
    );
    assert_eq!(from_config.access_key_id, assumed[0].access_key_id);
    assert_eq!(from_flags.session_token, assumed[1].session_token);

    // What moto does not keep, the proxy saw on the wire.
    let reqs = proxy.requests();
    assert_eq!(proxy.actions(), ["AssumeRole", "AssumeRole"]);
    let params = |r: &Request| {
        [
            "DurationSeconds",
            "SourceIdentity",
            "Tags.member.1.Key",
            "Tags.member.1.Value",
            "Tags.member.2.Key",
            "Tags.member.2.Value",
        ]
        .map(|p| r.param(p).unwrap_or_default())
    };
    let mut cfg_tags = params(&reqs[0]);
    // Tag order on the wire is the config's; compare as a set.
    let mut pairs = vec![
        (cfg_tags[2].clone(), cfg_tags[3].clone()),
        (cfg_tags[4].clone(), cfg_tags[5].clone()),
    ];
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("cost-center".to_owned(), "42".to_owned()),
            ("team".to_owned(), "api".to_owned())
        ]
    );
    cfg_tags[2..].iter_mut().for_each(String::clear);
    assert_eq!(cfg_tags, ["7200", "alice", "", "", "", ""]);
    assert_eq!(
        params(&reqs[1]),
        ["7200", "bob", "team", "api", "env", "qa"]
    );
    for r in &reqs {
        assert_eq!(r.signed_by().as_deref(), Some(BASE_KEY));
    }
}

/// `source_identity` is a template: STS receives it rendered for the stack
/// the command runs in and the CI user and run (moto keeps no source
/// identity, so the proxy reads it off the wire), a different value is a
/// different cache entry, outside a stack it is not sent, and the trust
/// policy `tfroles policy` prints admits exactly what was sent, not
/// another stack's.
#[test]
fn a_source_identity_template_is_sent_rendered_and_admitted_by_the_trust_policy() {
    let lab = Lab::with_config(
        r#"
identity "ci" {
  arn = "arn:aws:iam::111111111111:user/ci"
}

role "app" {
  account         = "qa"
  services        = ["ec2"]
  session_name    = "tf-{stack}-{run}"
  source_identity = "{user}.{run}@tf-{stack}"
}

stack "qa/*" {
  account = "qa"
  role    = "app"
}
"#,
    );
    for s in ["qa/api", "qa/web"] {
        fs::create_dir_all(lab.work().join(s)).unwrap();
        fs::write(lab.work().join(s).join("main.tf"), "").unwrap();
    }
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let run = |dir: &str, user: &str, run: &str, args: &[&str]| {
        let mut cmd = lab.cmd(args);
        for v in tfroles_core::naming::USER_VARIABLES
            .iter()
            .chain(tfroles_core::naming::RUN_VARIABLES)
        {
            cmd.env_remove(v);
        }
        let out = cmd
            .current_dir(lab.work().join(dir))
            .env("AWS_ENDPOINT_URL_STS", &proxy.url)
            .env("GITHUB_ACTOR", user)
            .env("GITHUB_RUN_ID", run)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    };
    let process = ["credential-process", "--role", "app"];
    run("qa/api", "octocat", "4711", &process);
    // The same run again: the cache answers.
    run("qa/api", "octocat", "4711", &process);
    // Another run is another session with another source identity: never
    // the same cache entry.
    run("qa/api", "octocat", "4712", &process);
    run("qa/web", "hubot", "1", &["env", "--role", "app"]);
    run(
        "qa/web",
        "hubot",
        "2",
        &["exec", "--role", "app", "--", "true"],
    );
    // Outside any stack: no source identity (the trust policy admits
    // none there).
    run("", "octocat", "3", &process);

    let sent: Vec<(String, String)> = proxy
        .requests()
        .iter()
        .filter(|r| r.param("Action").as_deref() == Some("AssumeRole"))
        .map(|r| {
            (
                r.param("RoleSessionName").unwrap_or_default(),
                r.param("SourceIdentity").unwrap_or_default(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = sent.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        pairs,
        [
            ("tf-qa.api-4711", "octocat.4711@tf-qa.api"),
            ("tf-qa.api-4712", "octocat.4712@tf-qa.api"),
            ("tf-qa.web-1", "hubot.1@tf-qa.web"),
            ("tf-qa.web-2", "hubot.2@tf-qa.web"),
            ("tf-3", ""),
        ]
    );
    // moto issued those sessions under the names sent.
    let names: Vec<String> = lab
        .moto
        .assumed_roles()
        .iter()
        .map(|a| a.session_name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "tf-qa.api-4711",
            "tf-qa.api-4712",
            "tf-qa.web-1",
            "tf-qa.web-2",
            "tf-3"
        ]
    );

    let out = lab.run(&["policy", "--role", "app", "--kind", "trust", "--compact"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let trust = tfroles_policy::PolicyDocument::from_json(text(&out.stdout).trim()).unwrap();
    let admits = |value: &str| {
        let request = tfroles_policy::Request::new("sts:SetSourceIdentity", "*")
            .with_context("sts:SourceIdentity", [value]);
        tfroles_core::graph::trust_admits(
            &trust,
            tfroles_core::graph::Caller::Aws("arn:aws:iam::111111111111:user/ci"),
            &request,
        )
        .unwrap()
    };
    for (_, value) in sent.iter().filter(|(_, v)| !v.is_empty()) {
        assert!(
            admits(value),
            "{value} refused by {}",
            trust.to_json_pretty()
        );
    }
    for forged in [
        "octocat.1@tf-qa.db",
        "tf-qa.db",
        "octocat@tf-qa.api.x",
        "octocat.4711@tf-qa",
    ] {
        assert!(
            !admits(forged),
            "{forged} admitted by {}",
            trust.to_json_pretty()
        );
    }
}

// ------------------------------------------------------------ 2. web identity

#[test]
fn web_identity_from_github_sends_the_token_it_fetched() {
    let lab = Lab::new();
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let github = TokenServer::start();
    let role = "arn:aws:iam::111111111111:role/gh-deploy";
    let cmd = |bearer: &str, extra: &[&str]| {
        let mut args = vec![
            "credential-process",
            "--role-arn",
            role,
            "--session-name",
            "gh-run",
            "--web-identity",
            "github",
        ];
        args.extend_from_slice(extra);
        let mut c = lab.cmd(&args);
        c.env("AWS_ENDPOINT_URL_STS", &proxy.url)
            .env("ACTIONS_ID_TOKEN_REQUEST_URL", &github.url)
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", bearer)
            // A CI job has no keys: web identity needs none.
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        c.output().unwrap()
    };

    let a = expect_ok(&cmd(GITHUB_BEARER, &[]), &[]);
    assert_eq!(github.hits.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.actions(), ["AssumeRoleWithWebIdentity"]);
    let req = &proxy.requests()[0];
    assert_eq!(req.param("WebIdentityToken").as_deref(), Some(GITHUB_JWT));
    assert_eq!(req.param("RoleArn").as_deref(), Some(role));
    assert_eq!(req.param("RoleSessionName").as_deref(), Some("gh-run"));
    assert_eq!(req.header("authorization"), None, "the call is unsigned");
    let assumed = lab.moto.assumed_roles();
    assert_eq!(assumed.len(), 1);
    assert_eq!(assumed[0].role_arn, role);
    assert_eq!(assumed[0].session_name, "gh-run");
    assert_eq!(assumed[0].access_key_id, a.access_key_id);

    // A wrong request token: GitHub says 401, and the message names the source.
    let err = expect_exit(&cmd("ghs_wrong", &["--no-cache"]), 6);
    assert!(
        err.contains("web identity source github (audience sts.amazonaws.com)"),
        "{err}"
    );
    assert!(err.contains("401"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    // Another audience: GitHub's fake refuses it with 400.
    let err = expect_exit(
        &cmd(GITHUB_BEARER, &["--no-cache", "--audience", "other"]),
        6,
    );
    assert!(
        err.contains("web identity source github (audience other)") && err.contains("400"),
        "{err}"
    );
    assert_eq!(github.hits.load(Ordering::SeqCst), 3);
    assert_eq!(proxy.requests().len(), 1, "no STS call without a token");
}

#[test]
fn web_identity_from_a_variable_or_a_file() {
    let lab = Lab::new();
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let role = "arn:aws:iam::111111111111:role/gitlab";
    let token_a = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0X3BhdGg6YWNtZS9hIn0.c2lnLWE";
    let token_b = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0X3BhdGg6YWNtZS9iIn0.c2lnLWI";
    let run = |source: &str, var: Option<&str>| {
        let mut c = lab.cmd(&[
            "credential-process",
            "--role-arn",
            role,
            "--web-identity",
            source,
        ]);
        c.env("AWS_ENDPOINT_URL_STS", &proxy.url);
        match var {
            Some(v) => c.env("CI_JWT", v),
            None => c.env_remove("CI_JWT"),
        };
        c.output().unwrap()
    };

    expect_ok(&run("env:CI_JWT", Some(token_a)), &[]);
    let file = lab.root.path().join("token");
    // A trailing newline, as files written by CI systems have.
    fs::write(&file, format!("{token_b}\n")).unwrap();
    let source = format!("file:{}", file.display());
    expect_ok(&run(&source, None), &[]);
    let sent: Vec<_> = proxy
        .requests()
        .iter()
        .map(|r| (r.param("Action").unwrap(), r.param("WebIdentityToken")))
        .collect();
    assert_eq!(
        sent,
        [
            (
                "AssumeRoleWithWebIdentity".to_owned(),
                Some(token_a.to_owned())
            ),
            (
                "AssumeRoleWithWebIdentity".to_owned(),
                Some(token_b.to_owned())
            ),
        ]
    );

    // The same source and role with the same token is cached; another
    // token in the same variable (another CI job on a shared runner) must
    // not be answered with credentials STS gave for the first token.
    expect_ok(&run("env:CI_JWT", Some(token_a)), &[]);
    assert_eq!(proxy.requests().len(), 2, "same token: from the cache");
    expect_ok(&run("env:CI_JWT", Some(token_b)), &[]);
    assert_eq!(proxy.requests().len(), 3, "another token: its own session");
    assert_eq!(
        proxy.requests()[2].param("WebIdentityToken").as_deref(),
        Some(token_b)
    );

    let err = expect_exit(&run("env:CI_JWT", None), 6);
    assert!(
        err.contains("web identity source env:CI_JWT: CI_JWT is not set or empty"),
        "{err}"
    );
    let err = expect_exit(&run("file:/nonexistent/token", None), 6);
    assert!(
        err.contains("web identity source file:/nonexistent/token: cannot read /nonexistent/token"),
        "{err}"
    );
    assert_eq!(proxy.requests().len(), 3);
}

#[test]
fn a_configured_identity_is_used_only_where_its_token_is_offered() {
    let lab = Lab::with_config(
        r#"
identity "ci" {
  web_identity = "env:CI_TOKEN"
}

role "deploy" {
  account      = "shared"
  session_name = "deploy-session"
}
"#,
    );
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnLWNp";
    let role = "arn:aws:iam::111111111111:role/deploy";
    let mut c = lab.cmd(&["credential-process", "--role", "deploy"]);
    c.env("AWS_ENDPOINT_URL_STS", &proxy.url)
        .env("CI_TOKEN", token);
    let in_ci = expect_ok(&c.output().unwrap(), &[]);
    assert_eq!(proxy.actions(), ["AssumeRoleWithWebIdentity"]);
    assert_eq!(
        proxy.requests()[0].param("WebIdentityToken").as_deref(),
        Some(token)
    );
    let assumed = lab.moto.assumed_roles();
    assert_eq!(assumed.len(), 1);
    assert_eq!(
        (
            assumed[0].role_arn.as_str(),
            assumed[0].session_name.as_str()
        ),
        (role, "deploy-session")
    );
    // The credentials are the role's, as another client sees them.
    let mut aws = aws_cli();
    lab.moto.apply_env(&mut aws);
    let out = aws
        .args(["sts", "get-caller-identity", "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", &in_ci.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &in_ci.secret_access_key)
        .env("AWS_SESSION_TOKEN", &in_ci.session_token)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        id["Arn"],
        "arn:aws:sts::111111111111:assumed-role/deploy/deploy-session"
    );

    // On a laptop (no CI_TOKEN) the default chain's keys are used.
    let mut c = lab.cmd(&["credential-process", "--role", "deploy"]);
    c.env("AWS_ENDPOINT_URL_STS", &proxy.url);
    let on_laptop = expect_ok(&c.output().unwrap(), &[]);
    assert_ne!(on_laptop.access_key_id, in_ci.access_key_id);
    assert_eq!(proxy.actions(), ["AssumeRoleWithWebIdentity", "AssumeRole"]);
    assert_eq!(proxy.requests()[1].signed_by().as_deref(), Some(BASE_KEY));
    assert_eq!(lab.moto.assumed_roles()[1].role_arn, role);
}

// ------------------------------------------------------------ 3. the cache

#[test]
fn the_cache_answers_then_refreshes_near_expiry_and_replaces_corrupt_entries() {
    let lab = Lab::new();
    let args = ["--role-arn", ROLE_X];
    let first = lab.process(&args);
    assert_expires_in(&first, 3600);
    assert_eq!(lab.moto.assumed_roles().len(), 1);
    let second = lab.process(&args);
    assert_eq!(second.line, first.line, "the same answer, byte for byte");
    assert_eq!(lab.moto.assumed_roles().len(), 1, "no STS call");

    let entries = lab.entries();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    let cached: Value = serde_json::from_slice(&fs::read(entry).unwrap()).unwrap();
    assert_eq!(cached["AccessKeyId"], first.access_key_id.as_str());

    // Five minutes left: inside the 15-minute refresh window.
    set_expiration(entry, now() + 300);
    let refreshed = lab.process(&args);
    assert_eq!(lab.moto.assumed_roles().len(), 2, "one more STS call");
    assert_ne!(refreshed.access_key_id, first.access_key_id);
    assert_expires_in(&refreshed, 3600);
    // Outside the window (20 minutes left): still served from the cache.
    set_expiration(entry, now() + 1200);
    let kept = lab.process(&args);
    assert_eq!(kept.access_key_id, refreshed.access_key_id);
    assert_eq!(lab.moto.assumed_roles().len(), 2);

    for junk in [
        &b"{\"AccessKeyId\": tru"[..],
        b"",
        b"\x00\xff garbage",
        b"[]",
    ] {
        fs::write(entry, junk).unwrap();
        let out = lab.run(&["credential-process", "--role-arn", ROLE_X]);
        let repaired = expect_ok(&out, &[]);
        assert_eq!(text(&out.stderr), "", "not even a warning");
        let stored: Value = serde_json::from_slice(&fs::read(entry).unwrap()).unwrap();
        assert_eq!(stored["AccessKeyId"], repaired.access_key_id.as_str());
    }
    assert_eq!(lab.moto.assumed_roles().len(), 6);
    assert_eq!(lab.entries().len(), 1);
}

#[cfg(unix)]
#[test]
fn the_cache_is_private_refuses_a_shared_directory_and_can_be_bypassed() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let lab = Lab::new();
    assert!(!lab.cache().exists());
    lab.process(&["--role-arn", ROLE_X]);
    assert_eq!(mode(&lab.cache()), 0o700, "created private");
    let files: Vec<PathBuf> = fs::read_dir(lab.cache())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    // Entries and locks 0600; the hit index a 0700 directory of 0600 files.
    for f in &files {
        if f.is_dir() {
            assert_eq!(f.file_name().unwrap(), "index");
            assert_eq!(mode(f), 0o700, "{}", f.display());
            let inner: Vec<_> = fs::read_dir(f)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            assert!(!inner.is_empty(), "the run recorded its index entry");
            for g in inner {
                assert_eq!(mode(&g), 0o600, "{}", g.display());
            }
        } else {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
    }

    // A directory others can write to could hand us credentials of their choosing.
    let shared = lab.root.path().join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    let out = lab
        .cmd(&["credential-process", "--role-arn", ROLE_X])
        .env("TFROLES_CACHE_DIR", &shared)
        .output()
        .unwrap();
    let err = expect_exit(&out, 4);
    assert!(err.contains("others can write to it (mode 777)"), "{err}");
    assert!(err.contains(&shared.display().to_string()), "{err}");
    assert!(err.contains("\n  hint: "), "{err}");
    assert_eq!(lab.moto.assumed_roles().len(), 1, "refused before STS");

    // --no-cache: STS every time, nothing written.
    let empty = lab.root.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let mut keys = Vec::new();
    for _ in 0..2 {
        let out = lab
            .cmd(&["credential-process", "--no-cache", "--role-arn", ROLE_X])
            .env("TFROLES_CACHE_DIR", &empty)
            .output()
            .unwrap();
        keys.push(expect_ok(&out, &[]).access_key_id);
    }
    assert_ne!(keys[0], keys[1]);
    assert_eq!(lab.moto.assumed_roles().len(), 3);
    assert_eq!(fs::read_dir(&empty).unwrap().count(), 0, "nothing written");
}

// ------------------------------------------------------------ 4. stampede

#[test]
fn thirty_two_processes_for_a_cold_role_make_one_sts_call() {
    let lab = Lab::new();
    let children: Vec<_> = (0..32)
        .map(|_| {
            lab.cmd(&["credential-process", "--role-arn", ROLE_X])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let answers: Vec<Answer> = outputs.iter().map(|o| expect_ok(o, &[])).collect();
    let assumed = lab.moto.assumed_roles();
    eprintln!("stampede: 32 processes -> {} AssumeRole", assumed.len());
    assert_eq!(assumed.len(), 1, "exactly one STS call");
    for a in &answers {
        assert_eq!(a.line, answers[0].line);
    }
    assert_eq!(answers[0].access_key_id, assumed[0].access_key_id);
}

// ------------------------------------------------------------ 5. crash safety

#[test]
fn writers_killed_mid_refresh_never_leave_a_torn_entry_or_a_stuck_lock() {
    let lab = Lab::new();
    let args = ["credential-process", "--role-arn", ROLE_X];
    lab.process(&args[1..]);
    let entry = lab.entries().pop().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (stop, entry) = (Arc::clone(&stop), entry.clone());
        std::thread::spawn(move || {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                match fs::read(&entry) {
                    Ok(bytes) => {
                        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                            panic!("a torn cache entry ({e}): {:?}", text(&bytes))
                        });
                        for k in [
                            "AccessKeyId",
                            "SecretAccessKey",
                            "SessionToken",
                            "Expiration",
                        ] {
                            assert!(
                                v[k].as_str().is_some_and(|s| !s.is_empty()),
                                "entry without {k}: {v}"
                            );
                        }
                        reads += 1;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("reading the entry: {e}"),
                }
                // Leave the two cores to the writers and other tests.
                std::thread::sleep(Duration::from_micros(100));
            }
            reads
        })
    };

    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    // Kill points spread over a whole refresh (start-up, the lock, the STS
    // call, the write), not just its first moments: time one first.
    let timer = Instant::now();
    set_expiration(&entry, now() + 300);
    lab.process(&args[1..]);
    let span = (timer.elapsed().as_millis() as u64 + 20).clamp(50, 1000);
    let mut rand_ms = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % (span + 1)
    };
    let started = Instant::now();
    let (mut killed, mut finished) = (0, 0);
    for _ in 0..40 {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
        set_expiration(&entry, now() + 300);
        let mut child = lab
            .cmd(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rand_ms()));
        match child.try_wait().unwrap() {
            Some(_) => finished += 1,
            None => {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
        }
        child.wait().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("every read saw a whole entry");
    assert!(reads > 0, "the reader saw the entry");

    let temporary = || {
        fs::read_dir(lab.cache())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp-"))
            .collect::<Vec<_>>()
    };
    // Killed between writing and renaming: a temporary file (with secrets).
    let leftovers = temporary().len();

    // No lock left behind: a normal call gets through, and refreshes; and
    // holding the lock, it clears what dead writers left.
    set_expiration(&entry, now() + 300);
    let out = output_within(lab.cmd(&args), Duration::from_secs(60));
    let a = expect_ok(&out, &args);
    assert_expires_in(&a, 3600);
    assert_eq!(temporary(), Vec::<String>::new());
    eprintln!(
        "crash safety: kills within {span} ms: {killed} writers killed, {finished} finished, \
         {reads} reads, {} STS calls, {leftovers} temporary files left by killed writers",
        lab.moto.assumed_roles().len()
    );
}

/// Runs `cmd`, failing the test (and killing it) if it takes longer than
/// `limit`: what a stuck lock would look like.
fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output().unwrap()));
    rx.recv_timeout(limit).unwrap_or_else(|_| {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        panic!("tfroles did not finish within {limit:?}: a lock left behind?")
    })
}

// ------------------------------------------------------------ 6. faults

#[test]
fn throttling_and_server_errors_are_retried() {
    let lab = Lab::new();
    let faults = vec![Fault::Throttling, Fault::ServerError, Fault::Throttling];
    let n = faults.len();
    let proxy = Proxy::start(lab.moto.endpoint(), faults);
    let out = lab
        .cmd(&["credential-process", "--role-arn", ROLE_X])
        .env("AWS_ENDPOINT_URL_STS", &proxy.url)
        .output()
        .unwrap();
    let a = expect_ok(&out, &[]);
    assert_eq!(proxy.requests().len(), n + 1);
    assert_eq!(proxy.actions(), vec!["AssumeRole"; n + 1]);
    let assumed = lab.moto.assumed_roles();
    assert_eq!(assumed.len(), 1);
    assert_eq!(assumed[0].access_key_id, a.access_key_id);
}

#[test]
fn an_unreachable_sts_endpoint_exits_7_naming_it() {
    let root = private_root();
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let mut cmd = Command::new(BIN);
    tfroles_testsupport::scrub_aws_env(&mut cmd);
    isolate(
        &mut cmd,
        &root.path().join("home"),
        &root.path().join("cache"),
    );
    let out = cmd
        .args(["credential-process", "--role-arn", ROLE_X])
        .env("AWS_ENDPOINT_URL_STS", &endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let err = expect_exit(&out, 7);
    assert!(
        err.starts_with(&format!("error: cannot reach STS at {endpoint}: ")),
        "{err}"
    );
    assert!(err.contains("hint: check the network"), "{err}");
}

// ------------------------------------------------------------ 7. IAM enforcement

#[test]
fn with_iam_enforced_the_external_id_decides_and_a_refusal_explains_itself() {
    let lab = Lab::new();
    // Set-up while moto still lets anyone do anything.
    let setup = r#"
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
user = iam.create_user(UserName="deployer")["User"]
iam.put_user_policy(UserName="deployer", PolicyName="assume", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:GetCallerIdentity"], "Resource": "*"}]}))
key = iam.create_access_key(UserName="deployer")["AccessKey"]
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "right-id"}}}]}
role = iam.create_role(RoleName="guarded", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
print(json.dumps({"user": user["Arn"], "role": role["Arn"],
                  "key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
"#;
    let mut py = Command::new(python_env().python());
    tfroles_testsupport::scrub_aws_env(&mut py);
    let out = py
        .args(["-c", setup, lab.moto.endpoint()])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ids: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (user, role) = (ids["user"].as_str().unwrap(), ids["role"].as_str().unwrap());
    assert_eq!(role, "arn:aws:iam::123456789012:role/guarded");

    lab.moto.set_auth("0");
    let run = |external_id: &str| {
        lab.cmd(&[
            "credential-process",
            "--role-arn",
            role,
            "--external-id",
            external_id,
        ])
        .env("AWS_ACCESS_KEY_ID", ids["key"].as_str().unwrap())
        .env("AWS_SECRET_ACCESS_KEY", ids["secret"].as_str().unwrap())
        .output()
        .unwrap()
    };
    let ok = run("right-id");
    let wrong = run("wrong-id");
    // The base keys tfroles uses elsewhere are no IAM user's: refused too.
    let stranger = lab.run(&["credential-process", "--role-arn", role]);
    lab.moto.set_auth("inf");

    expect_ok(&ok, &[]);
    let err = expect_exit(&wrong, 5);
    assert!(
        err.starts_with(&format!(
            "error: AccessDenied: `{user}` may not assume `{role}`: "
        )),
        "{err}"
    );
    for hint in [
        "hint: the usual causes:",
        "the role's trust policy does not name this caller as a principal",
        "the external id sent does not match the trust policy's `sts:ExternalId` condition",
        &format!("the caller's own policy does not allow `sts:AssumeRole` on `{role}`"),
    ] {
        assert!(err.contains(hint), "{hint:?} in:\n{err}");
    }
    let err = text(&stranger.stderr);
    assert_eq!(stranger.status.code(), Some(5), "{err}");
    assert!(err.contains(role), "{err}");

    let assumed = lab.moto.assumed_roles();
    assert_eq!(assumed.len(), 1, "only the right external id got through");
    assert_eq!(assumed[0].external_id.as_deref(), Some("right-id"));
}

// ------------------------------------------------------------ 8. interop

#[test]
fn the_aws_cli_runs_it_as_a_credential_process() {
    let lab = Lab::new();
    let config = lab.root.path().join("aws-config");
    fs::write(
        &config,
        format!(
            "[profile p]\ncredential_process = {BIN} credential-process --role-arn {ROLE_X} --external-id e1\n"
        ),
    )
    .unwrap();
    let mut aws = aws_cli();
    lab.moto.apply_env(&mut aws);
    lab.isolate(&mut aws);
    let out = aws
        .args([
            "sts",
            "get-caller-identity",
            "--profile",
            "p",
            "--output",
            "json",
        ])
        .env("AWS_CONFIG_FILE", &config)
        .current_dir(lab.work())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arn = id["Arn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:sts::111111111111:assumed-role/x/"),
        "{arn}"
    );
    let assumed = lab.moto.assumed_roles();
    assert_eq!(assumed.len(), 1);
    assert_eq!(assumed[0].external_id.as_deref(), Some("e1"));
    assert_eq!(arn, assumed[0].arn);
}

#[test]
fn terraform_s3_backend_gets_its_credentials_from_tfroles() {
    let lab = Lab::new();
    lab.moto.create_bucket("acme-terraform-state");
    let repo = lab.work();
    // A stack path with what shells and INI readers take specially: the
    // profile's `--stack` must reach tfroles intact through terraform's Go
    // SDK (`sh -c`) and the AWS CLI (`shlex.split`).
    let odd = "qa/it's \"odd\" ${x} %{y} & 日本";
    fs::write(
        repo.join("tfroles.hcl"),
        CONFIG.replace(
            "session_name = \"terraform\"",
            "session_name = \"terraform\"\n  credentials  = \"profile\"",
        ) + "\nrole \"app\" {\n  account = \"shared\"\n}\n\nstack \"app\" {\n  account = \"shared\"\n  role    = \"app\"\n}\n\nstack \"qa/*\" {\n  account = \"shared\"\n  role    = \"app\"\n}\n",
    )
    .unwrap();
    let stack = repo.join("app");
    fs::create_dir(&stack).unwrap();
    fs::create_dir_all(repo.join(odd)).unwrap();
    fs::write(repo.join(odd).join("main.tf"), "").unwrap();
    let out = lab.run(&["generate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let aws_config = fs::read_to_string(repo.join(".tfroles/aws-config")).unwrap();
    assert!(
        aws_config.contains(
            "[profile tfroles-state-app]\ncredential_process = tfroles credential-process --role terraform-state --account shared --stack app\n"
        ),
        "{aws_config}"
    );
    assert!(
        aws_config.contains(r#"--stack 'qa/it'"'"'s "odd" ${x} %{y} & 日本'"#),
        "{aws_config}"
    );
    let backend = fs::read_to_string(repo.join(odd).join("backend.tf")).unwrap();
    let odd_profile = backend
        .lines()
        .find_map(|l| l.trim().strip_prefix("profile             = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{backend}"))
        .to_owned();
    assert!(
        odd_profile.starts_with("tfroles-state-qa.it_s__odd"),
        "{odd_profile}"
    );
    // The aws provider cannot be downloaded here; the backend needs none.
    let tfbackend = format!(
        "endpoints = {{\n  s3  = \"{e}\"\n  sts = \"{e}\"\n}}\nuse_path_style              = true\nskip_credentials_validation = true\nskip_requesting_account_id  = true\nskip_metadata_api_check     = true\n",
        e = lab.moto.endpoint()
    );
    for dir in [stack.clone(), repo.join(odd)] {
        fs::remove_file(dir.join("providers.tf")).unwrap();
        fs::write(
            dir.join("main.tf"),
            "resource \"terraform_data\" \"x\" {\n  input = \"hello\"\n}\n\noutput \"x\" {\n  value = terraform_data.x.output\n}\n",
        )
        .unwrap();
        fs::write(dir.join("moto.tfbackend"), &tfbackend).unwrap();
    }
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let tf = |dir: &Path, args: &[&str]| {
        let mut cmd = terraform();
        lab.moto.apply_env(&mut cmd);
        lab.isolate(&mut cmd);
        let out = cmd
            .env("PATH", &path)
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "terraform {args:?} in {}:\n{}\n{}",
            dir.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
    };
    tf(
        &stack,
        &["init", "-input=false", "-backend-config=moto.tfbackend"],
    );
    tf(&stack, &["apply", "-auto-approve", "-input=false"]);
    let state = lab
        .moto
        .get_object("acme-terraform-state", "app/terraform.tfstate")
        .unwrap_or_else(|| {
            panic!(
                "no state; the bucket holds {:?}",
                lab.moto.list_objects("acme-terraform-state")
            )
        });
    let state: Value = serde_json::from_slice(&state).unwrap();
    assert_eq!(state["outputs"]["x"]["value"], "hello");
    tf(&stack, &["destroy", "-auto-approve", "-input=false"]);

    let assumed = lab.moto.assumed_roles();
    let got = arn_external_id_session(&assumed);
    // init, apply and destroy each ran tfroles; the cache made it one call.
    assert_eq!(
        got,
        [(
            "arn:aws:iam::111111111111:role/terraform-state",
            Some("tf-state"),
            "terraform"
        )]
    );
    assert_eq!(lab.entries().len(), 1);

    // The odd stack's backend: its own profile, its own session.
    let odd_dir = repo.join(odd);
    tf(
        &odd_dir,
        &["init", "-input=false", "-backend-config=moto.tfbackend"],
    );
    tf(&odd_dir, &["apply", "-auto-approve", "-input=false"]);
    assert!(
        lab.moto
            .get_object("acme-terraform-state", &format!("{odd}/terraform.tfstate"))
            .is_some(),
        "the bucket holds {:?}",
        lab.moto.list_objects("acme-terraform-state")
    );
    assert_eq!(lab.moto.assumed_roles().len(), 2);
    assert_eq!(lab.entries().len(), 2, "one session per stack");

    // The AWS CLI splits the same line with shlex, and gets the cached session.
    let mut aws = aws_cli();
    lab.moto.apply_env(&mut aws);
    lab.isolate(&mut aws);
    let out = aws
        .args([
            "sts",
            "get-caller-identity",
            "--profile",
            &odd_profile,
            "--output",
            "json",
        ])
        .env("AWS_CONFIG_FILE", repo.join(".tfroles/aws-config"))
        .env("PATH", &path)
        .current_dir(&odd_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.moto.assumed_roles().len(), 2, "from the cache");
}

// ------------------------------------------------------------ 9. secrets

#[test]
fn no_secret_reaches_stderr_even_at_trace_level() {
    let lab = Lab::with_config(
        r#"
role "hub" {
  account = "shared"
}

role "spoke" {
  account = "qa"
  via     = "hub"
}
"#,
    );
    let base_token = "base-session-token-QmFzZVRva2VuU2VjcmV0";
    let mut seen = Vec::new();
    for (label, args, rust_log) in [
        (
            "-vvv",
            vec!["-vvv", "credential-process", "--role-arn", ROLE_X],
            None,
        ),
        (
            "RUST_LOG=trace",
            vec![
                "credential-process",
                "--role-arn",
                "arn:aws:iam::111111111111:role/y",
            ],
            Some("trace"),
        ),
        (
            "-vvv via",
            vec!["-vvv", "credential-process", "--role", "spoke"],
            None,
        ),
    ] {
        for warmth in ["cold", "warm"] {
            let mut cmd = lab.cmd(&args);
            cmd.env("AWS_SESSION_TOKEN", base_token);
            if let Some(l) = rust_log {
                cmd.env("RUST_LOG", l);
            }
            let out = cmd.output().unwrap();
            let a = expect_ok(&out, &args);
            let err = text(&out.stderr);
            // The logging was on: otherwise this test would prove nothing.
            if warmth == "cold" {
                assert!(err.contains("TRACE"), "{label} {warmth}: no trace output");
                assert!(err.contains("assumed role"), "{label} {warmth}:\n{err}");
            } else {
                assert!(err.contains("DEBUG"), "{label} {warmth}: no debug output");
                assert!(err.contains("cache hit"), "{label} {warmth}:\n{err}");
            }
            seen.push((format!("{label} {warmth}"), a, err));
        }
    }
    // Every secret moto handed out, including the `via` role's
    // intermediate session, and the base ones.
    let mut secrets: Vec<String> = vec![BASE_SECRET.into(), base_token.into()];
    for r in lab.moto.assumed_roles() {
        secrets.push(r.secret_access_key);
        secrets.push(r.session_token);
    }
    assert_eq!(lab.moto.assumed_roles().len(), 4);
    for (label, a, err) in &seen {
        for s in secrets
            .iter()
            .chain([&a.secret_access_key, &a.session_token])
        {
            assert!(
                !err.contains(s.as_str()),
                "{label}: a secret on stderr: {s}"
            );
        }
        assert!(
            err.contains(&a.access_key_id),
            "{label}: key ids may be logged"
        );
    }
}

// ------------------------------------------------------------ 10. env and exec

#[test]
fn env_prints_the_credentials_for_each_shell() {
    let lab = Lab::new();
    let a = lab.process(&["--role-arn", ROLE_X]);
    let env = |format: &str| {
        let out = lab.run(&["env", "--format", format, "--role-arn", ROLE_X]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let expiration = rfc3339_from_unix(a.expiration);
    let want = [
        a.access_key_id.clone(),
        a.secret_access_key.clone(),
        a.session_token.clone(),
        expiration.clone(),
    ];

    // sh: eval'd by a real shell, which had a profile set.
    let mut sh = Command::new("sh");
    lab.moto.apply_env(&mut sh);
    lab.isolate(&mut sh);
    let out = sh
        .args([
            "-c",
            r#"eval "$("$0" env --role-arn "$1")" || exit 9
               printf '%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" \
                 "$AWS_CREDENTIAL_EXPIRATION" "${AWS_PROFILE-unset}""#,
            BIN,
            ROLE_X,
        ])
        .env("AWS_PROFILE", "developer")
        .current_dir(lab.work())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines[..4], want);
    assert_eq!(lines[4], "unset", "AWS_PROFILE would override the keys");

    let json: Value = serde_json::from_str(&env("json")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "AWS_ACCESS_KEY_ID": want[0],
            "AWS_SECRET_ACCESS_KEY": want[1],
            "AWS_SESSION_TOKEN": want[2],
            "AWS_CREDENTIAL_EXPIRATION": want[3],
        })
    );

    // Single-quoted: a shell that sources the file runs no `$(...)` in it.
    let dotenv = env("dotenv");
    let parsed: Vec<(String, String)> = dotenv
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            let v = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\''));
            (k.to_owned(), v.unwrap_or_else(|| panic!("{l}")).to_owned())
        })
        .collect();
    assert_eq!(
        parsed,
        [
            ("AWS_ACCESS_KEY_ID".to_owned(), want[0].clone()),
            ("AWS_SECRET_ACCESS_KEY".to_owned(), want[1].clone()),
            ("AWS_SESSION_TOKEN".to_owned(), want[2].clone()),
            ("AWS_CREDENTIAL_EXPIRATION".to_owned(), want[3].clone()),
        ]
    );

    let fish = env("fish");
    assert!(fish.starts_with("set -e AWS_PROFILE\n"), "{fish}");
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", &want[0]),
        ("AWS_SESSION_TOKEN", &want[2]),
        ("AWS_CREDENTIAL_EXPIRATION", &want[3]),
    ] {
        assert!(fish.contains(&format!("\nset -gx {k} '{v}'\n")), "{fish}");
    }
    assert!(!fish.contains("export "), "{fish}");
    assert_eq!(lab.moto.assumed_roles().len(), 1, "all from the cache");
}

#[test]
fn exec_runs_the_command_with_the_credentials_and_its_exit_code() {
    let lab = Lab::with_config("");
    let out = lab
        .cmd(&[
            "exec",
            "--role",
            "terraform-state",
            "--",
            "sh",
            "-c",
            r#"printf '%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SESSION_TOKEN" "$AWS_REGION" "${AWS_PROFILE-unset}" "${AWS_ROLE_ARN-unset}"; exit 7"#,
        ])
        .env("AWS_PROFILE", "developer")
        .env("AWS_ROLE_ARN", "arn:aws:iam::111111111111:role/other")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let assumed = lab.moto.assumed_roles();
    assert_eq!(assumed.len(), 1);
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}\n{}\nus-east-1\nunset\nunset\n",
            assumed[0].access_key_id, assumed[0].session_token
        )
    );

    let out = lab.run(&[
        "exec",
        "--role",
        "terraform-state",
        "--",
        "tfroles-no-such-command",
        "arg",
    ]);
    let err = expect_exit(&out, 127);
    assert!(
        err.contains("cannot run `tfroles-no-such-command`"),
        "{err}"
    );
    let out = lab.run(&[
        "exec",
        "--role",
        "terraform-state",
        "--",
        "sh",
        "-c",
        "exit 0",
    ]);
    assert_eq!(out.status.code(), Some(0));
}

// ------------------------------------------------------------ 11. chaining and MFA

#[test]
fn via_assumes_the_first_role_then_the_target_with_its_session() {
    let lab = Lab::with_config(
        r#"
role "hub" {
  account      = "shared"
  external_id  = "hub-ext"
  session_name = "hub-session"
}

role "target" {
  account      = "qa"
  via          = "hub"
  session_name = "target-session"
}
"#,
    );
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let out = lab
        .cmd(&["credential-process", "--role", "target"])
        .env("AWS_ENDPOINT_URL_STS", &proxy.url)
        .output()
        .unwrap();
    let a = expect_ok(&out, &[]);
    let assumed = lab.moto.assumed_roles();
    let got: Vec<_> = assumed
        .iter()
        .map(|r| {
            (
                r.role_arn.as_str(),
                r.external_id.as_deref(),
                r.session_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "arn:aws:iam::111111111111:role/hub",
                Some("hub-ext"),
                "hub-session"
            ),
            (
                "arn:aws:iam::333333333333:role/target",
                None,
                "target-session"
            ),
        ]
    );
    assert_eq!(a.access_key_id, assumed[1].access_key_id);
    // The second call was signed with the first call's session.
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].signed_by().as_deref(), Some(BASE_KEY));
    assert_eq!(
        reqs[1].signed_by().as_deref(),
        Some(assumed[0].access_key_id.as_str())
    );
    assert_eq!(
        reqs[1].header("x-amz-security-token"),
        Some(assumed[0].session_token.as_str())
    );
    assert_eq!(reqs[1].param("DurationSeconds").as_deref(), Some("3600"));

    // The chain is cached as a whole.
    let out = lab
        .cmd(&["credential-process", "--role", "target"])
        .env("AWS_ENDPOINT_URL_STS", &proxy.url)
        .output()
        .unwrap();
    assert_eq!(expect_ok(&out, &[]), a);
    assert_eq!(lab.moto.assumed_roles().len(), 2);
}

#[test]
fn a_chained_session_over_one_hour_is_a_config_error() {
    let lab = Lab::with_config(
        r#"
role "hub" {
  account = "shared"
}

role "target" {
  account  = "qa"
  via      = "hub"
  duration = "2h"
}
"#,
    );
    let out = lab.run(&["credential-process", "--role", "target"]);
    let err = expect_exit(&out, 2);
    assert!(
        err.contains(
            "in block `role \"target\"`, attribute `via`: a session assumed with another role's session (role chaining) lasts at most 1h, and this role asks for 2h"
        ),
        "{err}"
    );
    assert!(
        err.contains("hint: AWS caps chained sessions at one hour"),
        "{err}"
    );
    // --duration goes with --role-arn only (which has no `via`); with
    // --role it is refused, not dropped.
    fs::write(
        lab.work().join("tfroles.hcl"),
        format!("{CONFIG}\nrole \"hub\" {{\n  account = \"shared\"\n}}\n"),
    )
    .unwrap();
    let out = lab.run(&["credential-process", "--role", "hub", "--duration", "2h"]);
    let err = expect_exit(&out, 2);
    assert!(
        err.contains(
            "error: the argument '--role <NAME>' cannot be used with '--duration <DURATION>'"
        ),
        "{err}"
    );
    assert_eq!(sts_calls(&lab.moto), 0);
}

#[test]
fn mfa_codes_come_from_the_flag_or_the_environment_never_a_missing_terminal() {
    let lab = Lab::with_config(
        r#"
role "guarded" {
  account    = "shared"
  mfa_serial = "arn:aws:iam::111111111111:mfa/alice"
}
"#,
    );
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let cmd = |args: &[&str]| {
        let mut c = lab.cmd(args);
        c.env("AWS_ENDPOINT_URL_STS", &proxy.url);
        c
    };
    let out = cmd(&[
        "credential-process",
        "--role",
        "guarded",
        "--mfa-token",
        "123456",
    ])
    .output()
    .unwrap();
    expect_ok(&out, &[]);
    let out = cmd(&["credential-process", "--role", "guarded", "--no-cache"])
        .env("TFROLES_MFA_TOKEN", "654321")
        .output()
        .unwrap();
    expect_ok(&out, &[]);
    let sent: Vec<_> = proxy
        .requests()
        .iter()
        .map(|r| (r.param("SerialNumber"), r.param("TokenCode")))
        .collect();
    let serial = Some("arn:aws:iam::111111111111:mfa/alice".to_owned());
    assert_eq!(
        sent,
        [
            (serial.clone(), Some("123456".to_owned())),
            (serial, Some("654321".to_owned()))
        ]
    );

    // No code and no terminal (a new session has no controlling tty).
    let mut c = Command::new("setsid");
    lab.moto.apply_env(&mut c);
    lab.isolate(&mut c);
    let out = c
        .args([BIN, "credential-process", "--role", "guarded", "--no-cache"])
        .env("AWS_ENDPOINT_URL_STS", &proxy.url)
        .current_dir(lab.work())
        .output()
        .unwrap();
    let err = expect_exit(&out, 6);
    assert!(
        err.contains(
            "MFA for `arn:aws:iam::111111111111:mfa/alice`: no code given and no terminal to ask on"
        ),
        "{err}"
    );
    assert!(
        err.contains("--mfa-token") && err.contains("TFROLES_MFA_TOKEN"),
        "{err}"
    );
    let out = cmd(&[
        "credential-process",
        "--role",
        "guarded",
        "--no-cache",
        "--mfa-token",
        "12345",
    ])
    .output()
    .unwrap();
    let err = expect_exit(&out, 6);
    assert!(err.contains("the code is not 6 digits"), "{err}");
    assert_eq!(proxy.requests().len(), 2, "no STS call without a code");
}

/// What moto recorded of each AssumeRole: role ARN, external id, session name.
fn arn_external_id_session(assumed: &[AssumedRole]) -> Vec<(&str, Option<&str>, &str)> {
    assumed
        .iter()
        .map(|a| {
            (
                a.role_arn.as_str(),
                a.external_id.as_deref(),
                a.session_name.as_str(),
            )
        })
        .collect()
}

// ------------------------------------------------------------ 12. session policies

/// Roles and stacks for the session-policy tests: a provisioning role whose
/// services delete (so its sessions are guarded), one with `allow_delete`,
/// an exact stack and a glob.
const POLICIES: &str = r#"
role "app" {
  account  = "qa"
  services = ["sqs"]
}

role "keeper" {
  account      = "qa"
  services     = ["sqs"]
  allow_delete = true
}

stack "qa/api" {
  account = "qa"
  role    = "app"
}

stack "apps/*" {
  account = "qa"
  role    = "keeper"
}
"#;

/// What `tfroles policy ARGS --compact` prints: the library's document.
fn compact_policy(lab: &Lab, args: &[&str]) -> String {
    let mut full = vec!["policy"];
    full.extend_from_slice(args);
    full.extend(["--kind", "session", "--compact"]);
    let out = lab.run(&full);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout).trim_end().to_owned()
}

/// The `Policy` parameter of every STS request the proxy saw.
fn sent_policies(proxy: &Proxy) -> Vec<Option<String>> {
    proxy.requests().iter().map(|r| r.param("Policy")).collect()
}

#[test]
fn provisioning_sessions_carry_the_delete_guard_unless_allow_delete() {
    let lab = Lab::with_config(POLICIES);
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let run = |args: &[&str]| {
        let out = lab
            .cmd(args)
            .env("AWS_ENDPOINT_URL_STS", &proxy.url)
            .output()
            .unwrap();
        expect_ok(&out, args)
    };
    let guard = compact_policy(&lab, &["--role", "app"]);
    assert!(
        guard.contains(r#""Effect":"Deny""#) && guard.contains("sqs:Delete"),
        "{guard}"
    );

    let guarded = run(&["credential-process", "--role", "app"]);
    assert_eq!(
        run(&["credential-process", "--role", "app"]),
        guarded,
        "a cache hit"
    );
    // A deliberate deleting run never gets the guarded session from the
    // cache, nor the other way round.
    let unguarded = run(&["credential-process", "--role", "app", "--allow-delete"]);
    assert_ne!(unguarded.access_key_id, guarded.access_key_id);
    assert_eq!(
        run(&["credential-process", "--role", "app", "--allow-delete"]),
        unguarded,
        "a cache hit of its own"
    );
    run(&["credential-process", "--role", "keeper"]);

    assert_eq!(sent_policies(&proxy), [Some(guard), None, None]);
    assert_eq!(lab.entries().len(), 3, "one entry per session");
    let assumed = lab.moto.assumed_roles();
    // moto keeps the policy too: a second witness of what was sent.
    assert_eq!(
        assumed.iter().map(|a| a.policy.clone()).collect::<Vec<_>>(),
        sent_policies(&proxy)
    );
    assert_eq!(
        assumed
            .iter()
            .map(|a| a.role_arn.as_str())
            .collect::<Vec<_>>(),
        [
            "arn:aws:iam::333333333333:role/app",
            "arn:aws:iam::333333333333:role/app",
            "arn:aws:iam::333333333333:role/keeper"
        ]
    );

    // --allow-delete is a choice about a config role's session.
    let out = lab.run(&["credential-process", "--role-arn", ROLE_X, "--allow-delete"]);
    let err = expect_exit(&out, 2);
    assert!(err.contains("--allow-delete"), "{err}");
    assert_eq!(proxy.requests().len(), 3);
}

#[test]
fn the_state_role_gets_the_policy_of_the_stack_it_is_for() {
    let lab = Lab::with_config(POLICIES);
    fs::create_dir_all(lab.work().join("apps/web")).unwrap();
    fs::write(lab.work().join("apps/web/main.tf"), "").unwrap();
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let cmd = |args: &[&str]| {
        let mut c = lab.cmd(args);
        c.env("AWS_ENDPOINT_URL_STS", &proxy.url);
        c
    };
    let run = |args: &[&str]| expect_ok(&cmd(args).output().unwrap(), args);
    let api = compact_policy(&lab, &["--role", "terraform-state", "--stack", "qa/api"]);
    let web = compact_policy(&lab, &["--role", "terraform-state", "--stack", "apps/web"]);
    assert!(
        api.contains("acme-terraform-state/qa/api/terraform.tfstate\""),
        "{api}"
    );

    let a = run(&[
        "credential-process",
        "--role",
        "terraform-state",
        "--stack",
        "qa/api",
    ]);
    // A stack claimed by a glob, named with a trailing slash as shells complete it.
    let w = run(&[
        "credential-process",
        "--role",
        "terraform-state",
        "--stack",
        "apps/web/",
    ]);
    let all = run(&["credential-process", "--role", "terraform-state"]);
    assert_eq!(
        run(&[
            "credential-process",
            "--role",
            "terraform-state",
            "--stack",
            "qa/api"
        ]),
        a,
        "a cache hit"
    );
    let keys = [&a, &w, &all].map(|x| x.access_key_id.clone());
    assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
    assert_eq!(sent_policies(&proxy), [Some(api), Some(web), None]);
    assert_eq!(lab.entries().len(), 3);
    assert_eq!(
        lab.moto
            .assumed_roles()
            .iter()
            .map(|a| a.policy.clone())
            .collect::<Vec<_>>(),
        sent_policies(&proxy)
    );
    for r in lab.moto.assumed_roles() {
        assert_eq!(r.role_arn, "arn:aws:iam::111111111111:role/terraform-state");
        assert_eq!(r.external_id.as_deref(), Some("tf-state"));
    }

    // What --stack refuses, before any STS call.
    let refused = |args: &[&str]| expect_exit(&cmd(args).output().unwrap(), 2);
    let err = refused(&[
        "credential-process",
        "--role",
        "terraform-state",
        "--stack",
        "qa/nope",
    ]);
    assert!(
        err.contains("--stack: `qa/nope` is not a stack of tfroles.hcl")
            && err.contains("`apps/web`, `qa/api`"),
        "{err}"
    );
    let err = refused(&["credential-process", "--role", "app", "--stack", "qa/api"]);
    assert!(
        err.contains(
            "a stack applies to the state role (`terraform-state` in `shared`), not to `app`"
        ),
        "{err}"
    );
    let err = refused(&[
        "credential-process",
        "--role-arn",
        ROLE_X,
        "--stack",
        "qa/api",
    ]);
    assert!(err.contains("--stack"), "{err}");
    let err = refused(&[
        "credential-process",
        "--role",
        "terraform-state",
        "--stack",
        "qa/api",
        "--allow-delete",
    ]);
    assert!(err.contains("cannot be used with"), "{err}");
    assert_eq!(proxy.requests().len(), 3);

    // With one state role per stack, --stack picks the stack's own role,
    // which needs no session policy; without it there is no role to assume.
    let config = fs::read_to_string(lab.work().join("tfroles.hcl")).unwrap();
    fs::write(
        lab.work().join("tfroles.hcl"),
        config.replace(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"terraform-state\"\n  role_per_stack = true\n}",
        ),
    )
    .unwrap();
    run(&[
        "credential-process",
        "--role",
        "terraform-state",
        "--stack",
        "qa/api",
    ]);
    let last = lab.moto.assumed_roles().pop().unwrap();
    assert_eq!(
        last.role_arn,
        "arn:aws:iam::111111111111:role/terraform-state-qa-api"
    );
    assert_eq!(sent_policies(&proxy).pop(), Some(None));
    let err = refused(&["credential-process", "--role", "terraform-state"]);
    assert!(
        err.contains("each stack has its own state role")
            && err.contains("hint: name the stack: `--stack PATH`"),
        "{err}"
    );
}

// ------------------------------------------------------------ 12. hostile peers and environments

/// The budget the tests below give each call (`TFROLES_BUDGET`), so that
/// a hung peer costs seconds, not the default 50.
const BUDGET: &str = "3s";
const BUDGET_SECS: u64 = 3;

/// How far past its budget a caller may end: process start-up and exit
/// with 32 debug builds on a loaded two-core machine.
const SLACK: Duration = Duration::from_secs(3);

/// What the servers below do once they have read a request.
#[derive(Debug, Clone, Copy)]
enum Misbehave {
    /// Never answer.
    Hang,
    /// Send the headers, then the body a byte a second.
    Dribble,
    /// Answer 2 GiB, as fast as the reader takes it.
    Huge,
}

/// A loopback server that reads each request, counts it and misbehaves.
/// No connection is held longer than a minute.
fn misbehaving(how: Misbehave) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    let url = serve(move |_req, stream| {
        counted.fetch_add(1, Ordering::SeqCst);
        let until = Instant::now() + Duration::from_secs(60);
        match how {
            Misbehave::Hang => std::thread::sleep(Duration::from_secs(60)),
            Misbehave::Dribble => {
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<",
                );
                while Instant::now() < until {
                    if stream
                        .write_all(b" ")
                        .and_then(|()| stream.flush())
                        .is_err()
                    {
                        break;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            Misbehave::Huge => {
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n{\"value\":\"",
                );
                let chunk = vec![b'a'; 64 * 1024];
                let mut sent = 0u64;
                while sent < 2 << 30 && Instant::now() < until {
                    if stream.write_all(&chunk).is_err() {
                        break;
                    }
                    sent += chunk.len() as u64;
                }
            }
        }
    });
    (url, hits)
}

/// One caller's end.
struct Ended {
    out: Output,
    /// From its own start to its exit.
    took: Duration,
    killed: bool,
}

/// Starts every command at once and waits for all, timing each from its
/// own start. `kill` callers are SIGKILLed after `kill_after`. A caller
/// still running half a minute past `limit` fails the test (and all are
/// killed), so a regression cannot hang the suite.
fn run_all(
    cmds: Vec<Command>,
    limit: Duration,
    kill: &[usize],
    kill_after: Duration,
) -> Vec<Ended> {
    let waits: Vec<_> = cmds
        .into_iter()
        .map(|mut c| {
            let start = Instant::now();
            let child = c
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let pid = child.id();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let out = child.wait_with_output().unwrap();
                let _ = tx.send((out, start.elapsed()));
            });
            (start, pid, rx)
        })
        .collect();
    let sigkill = |pid: u32| {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    };
    if !kill.is_empty() {
        std::thread::sleep(kill_after);
        for &i in kill {
            sigkill(waits[i].1);
        }
    }
    let mut ended = Vec::new();
    for (i, (start, pid, rx)) in waits.iter().enumerate() {
        let left =
            (*start + limit + Duration::from_secs(30)).saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((out, took)) => ended.push(Ended {
                out,
                took,
                killed: kill.contains(&i),
            }),
            Err(_) => {
                for (_, p, _) in &waits {
                    sigkill(*p);
                }
                panic!("caller {i} (pid {pid}) still running 30 s past its {limit:?} limit");
            }
        }
    }
    ended
}

/// The usual command of the tests below.
const CP: &[&str] = &["credential-process", "--role-arn", ROLE_X];

/// `tfroles ARGS` against `sts` with the test budget, base keys `key`, and
/// no moto (nothing else to reach).
fn offline(root: &Path, cache: &Path, sts: &str, key: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    tfroles_testsupport::scrub_aws_env(&mut cmd);
    isolate(&mut cmd, &root.join("home"), cache);
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_ENDPOINT_URL_STS", sts)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("TFROLES_BUDGET", BUDGET)
        .current_dir(root.join("work"));
    cmd
}

#[test]
fn a_hung_or_dribbling_sts_never_holds_a_caller_past_its_budget() {
    let root = private_root();
    let limit = Duration::from_secs(BUDGET_SECS) + SLACK;
    for (i, (how, n)) in [
        (Misbehave::Hang, 3),
        (Misbehave::Hang, 32),
        (Misbehave::Dribble, 3),
    ]
    .into_iter()
    .enumerate()
    {
        let (url, hits) = misbehaving(how);
        let cache = root.path().join(format!("cache-{i}"));
        let cmds = (0..n)
            .map(|_| offline(root.path(), &cache, &url, BASE_KEY, CP))
            .collect();
        let ended = run_all(cmds, limit, &[], Duration::ZERO);
        let mut asked = 0;
        for e in &ended {
            let err = expect_exit(&e.out, 7);
            assert!(
                e.took <= limit,
                "{how:?} x{n}: a caller took {:?}, budget {BUDGET}:\n{err}",
                e.took
            );
            assert!(
                err.starts_with(&format!("error: cannot reach STS at {url}: ")),
                "{err}"
            );
            assert!(err.contains("\n  hint: "), "{err}");
            if err.contains(&format!(
                "no answer within 3 s while waiting for {url} to answer AssumeRole for `{ROLE_X}`"
            )) {
                asked += 1;
            } else if err.contains("no answer within 3 s while waiting for ") {
                // Took the lock as its budget ran out: timed out before
                // reaching STS.
            } else {
                assert!(
                    err.contains(&format!(
                        "gave up after 3 s waiting for another tfroles process to finish asking STS for `{ROLE_X}` (it holds `"
                    )),
                    "{err}"
                );
            }
            assert!(!err.contains(BASE_SECRET), "{err}");
        }
        let hits = hits.load(Ordering::SeqCst);
        eprintln!(
            "{how:?} x{n}: slowest {:?}, {asked} asked STS, {hits} connections",
            ended.iter().map(|e| e.took).max().unwrap()
        );
        assert!(asked >= 1 && hits >= 1, "someone asked STS");
        assert!(hits <= n, "{hits} connections from {n} callers");
        assert_eq!(entries(&cache), Vec::<PathBuf>::new(), "nothing cached");
    }
}

#[test]
fn a_session_due_for_refresh_is_served_while_sts_hangs() {
    let lab = Lab::new();
    // An STS that works until it hangs (the endpoint is part of the key).
    let hang = Arc::new(AtomicBool::new(false));
    let hits = Arc::new(AtomicUsize::new(0));
    let url = {
        let (hang, hits) = (Arc::clone(&hang), Arc::clone(&hits));
        let upstream = lab.moto.endpoint().trim_start_matches("http://").to_owned();
        serve(move |req, stream| {
            if hang.load(Ordering::SeqCst) {
                hits.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_secs(60));
            } else {
                forward(&upstream, &req, stream);
            }
        })
    };
    let run = || {
        let started = Instant::now();
        let out = lab
            .cmd(CP)
            .env("AWS_ENDPOINT_URL_STS", &url)
            .env("TFROLES_BUDGET", BUDGET)
            .output()
            .unwrap();
        (out, started.elapsed())
    };
    let first = expect_ok(&run().0, CP);
    let entry = lab.entries().pop().unwrap();
    // Inside the refresh window, but good for five more minutes.
    let due = now() + 300;
    set_expiration(&entry, due);
    hang.store(true, Ordering::SeqCst);
    let (out, took) = run();
    let a = expect_ok(&out, &[]);
    assert_eq!(a.access_key_id, first.access_key_id);
    assert_eq!(a.expiration, due, "the cached session");
    assert!(took <= Duration::from_secs(BUDGET_SECS) + SLACK, "{took:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains("serving the cached session, which is still valid"),
        "{err}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Expired for good: an error, not the old session.
    set_expiration(&entry, now() - 10);
    let (out, took) = run();
    let err = expect_exit(&out, 7);
    assert!(err.contains("no answer within 3 s"), "{err}");
    assert!(took <= Duration::from_secs(BUDGET_SECS) + SLACK, "{took:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[test]
fn another_credentials_file_config_file_profile_or_token_file_is_another_identity() {
    let lab = Lab::new();
    let proxy = Proxy::start(lab.moto.endpoint(), vec![]);
    let dir = lab.root.path();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    };
    let keys =
        |id: &str| format!("aws_access_key_id = {id}\naws_secret_access_key = {BASE_SECRET}\n");
    let creds_a = write(
        "credentials-a",
        &format!(
            "[default]\n{}[p]\n{}",
            keys("AKIDCREDSA0000000001"),
            keys("AKIDPROFA00000000001")
        ),
    );
    let creds_b = write(
        "credentials-b",
        &format!(
            "[default]\n{}[p]\n{}",
            keys("AKIDCREDSB0000000001"),
            keys("AKIDPROFB00000000001")
        ),
    );
    let config_a = write(
        "config-a",
        &format!("[default]\n{}", keys("AKIDCONFA00000000001")),
    );
    let config_b = write(
        "config-b",
        &format!("[default]\n{}", keys("AKIDCONFB00000000001")),
    );
    // Without keys in the environment; returns who signed the STS calls
    // this run made (none: a cache hit).
    let run = |vars: &[(&str, &Path)], profile: Option<&str>| -> Vec<String> {
        let mut c = lab.cmd(&["credential-process", "--role-arn", ROLE_X]);
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_ENDPOINT_URL_STS", &proxy.url);
        if let Some(p) = profile {
            c.env("AWS_PROFILE", p);
        }
        for (k, v) in vars {
            c.env(k, v);
        }
        let before = proxy.requests().len();
        expect_ok(&c.output().unwrap(), &[]);
        proxy.requests()[before..]
            .iter()
            .map(|r| r.signed_by().unwrap_or_default())
            .collect()
    };
    let creds = "AWS_SHARED_CREDENTIALS_FILE";
    let config = "AWS_CONFIG_FILE";
    assert_eq!(run(&[(creds, &creds_a)], None), ["AKIDCREDSA0000000001"]);
    assert_eq!(
        run(&[(creds, &creds_a)], None),
        Vec::<String>::new(),
        "a hit"
    );
    assert_eq!(run(&[(creds, &creds_b)], None), ["AKIDCREDSB0000000001"]);
    assert_eq!(
        run(&[(creds, &creds_a)], Some("p")),
        ["AKIDPROFA00000000001"]
    );
    assert_eq!(
        run(&[(creds, &creds_b)], Some("p")),
        ["AKIDPROFB00000000001"]
    );
    assert_eq!(run(&[(config, &config_a)], None), ["AKIDCONFA00000000001"]);
    assert_eq!(run(&[(config, &config_b)], None), ["AKIDCONFB00000000001"]);
    assert_eq!(
        run(&[(config, &config_b)], None),
        Vec::<String>::new(),
        "a hit"
    );
    // The same file, edited (`aws configure set`): another identity.
    fs::write(
        &creds_a,
        format!("[default]\n{}", keys("AKIDCREDSC0000000001")),
    )
    .unwrap();
    assert_eq!(run(&[(creds, &creds_a)], None), ["AKIDCREDSC0000000001"]);

    // A web identity token file (EKS, ECS): the token, not its path, is who.
    let token_file = write("web-identity-token", GITHUB_JWT);
    let role = Path::new("arn:aws:iam::111111111111:role/ci");
    let web = |expect: &str| {
        let before = proxy.requests().len();
        run(
            &[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file),
                ("AWS_ROLE_ARN", role),
            ],
            None,
        );
        let sent: Vec<(String, Option<String>)> = proxy.requests()[before..]
            .iter()
            .map(|r| (r.param("Action").unwrap(), r.param("WebIdentityToken")))
            .collect();
        if expect.is_empty() {
            assert_eq!(sent, Vec::new(), "a hit");
        } else {
            assert_eq!(
                sent,
                [
                    (
                        "AssumeRoleWithWebIdentity".to_owned(),
                        Some(expect.to_owned())
                    ),
                    ("AssumeRole".to_owned(), None),
                ]
            );
        }
    };
    web(GITHUB_JWT);
    web("");
    let other = GITHUB_JWT.replace("c2lnbmF0dXJlLWdpdGh1Yg", "b3RoZXItc2lnbmF0dXJl");
    fs::write(&token_file, &other).unwrap();
    web(&other);
}

#[test]
fn the_ci_token_endpoint_is_bounded_in_time_and_size_and_never_in_clear() {
    let root = private_root();
    let limit = Duration::from_secs(BUDGET_SECS) + SLACK;
    let github = |url: &str| {
        let mut c = offline(
            root.path(),
            &root.path().join("cache"),
            "http://127.0.0.1:9",
            BASE_KEY,
            CP,
        );
        c.args(["--web-identity", "github"])
            .env("ACTIONS_ID_TOKEN_REQUEST_URL", url)
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", GITHUB_BEARER);
        let started = Instant::now();
        let out = output_within(c, Duration::from_secs(60));
        let took = started.elapsed();
        let err = expect_exit(&out, 6);
        assert!(took <= limit, "took {took:?}:\n{err}");
        assert!(!err.contains(GITHUB_BEARER), "{err}");
        assert!(
            err.starts_with("error: web identity source github (audience sts.amazonaws.com): "),
            "{err}"
        );
        err
    };

    // Headers at once, then a byte a second: the 30 s used to cover only
    // the headers, and this waited forever.
    let (url, _) = misbehaving(Misbehave::Dribble);
    let err = github(&format!("{url}/token?api-version=2.0"));
    assert!(
        err.contains(&format!("no complete answer from {url} within 2.")),
        "{err}"
    );

    // 2 GiB: read up to the limit, no further.
    let (url, _) = misbehaving(Misbehave::Huge);
    let err = github(&format!("{url}/token"));
    assert!(
        err.contains(&format!("{url} answered with more than 65536 bytes")),
        "{err}"
    );

    // Plain http beyond loopback would carry the bearer token in clear;
    // a password in the URL is never shown.
    let (url, hits) = misbehaving(Misbehave::Hang);
    let port = url.rsplit(':').next().unwrap();
    let err = github(&format!(
        "http://runner:pa55w0rd@token.invalid:{port}/token?sig=s3cr3t"
    ));
    assert!(
        err.contains(&format!(
            "ACTIONS_ID_TOKEN_REQUEST_URL (http://token.invalid:{port}) is not https"
        )),
        "{err}"
    );
    let err = github(&format!(
        "https://runner:pa55w0rd@127.0.0.1:{}/t?sig=s3cr3t",
        free_port()
    ));
    assert!(err.contains("cannot reach https://127.0.0.1:"), "{err}");
    for secret in ["pa55w0rd", "runner", "s3cr3t"] {
        assert!(!err.contains(secret), "{err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing sent in clear");
}

#[cfg(unix)]
#[test]
fn token_files_that_are_fifos_devices_or_huge_are_refused_at_once_and_links_followed_to_regular_files()
 {
    let root = private_root();
    let dir = root.path();
    let token = dir.join("token");
    fs::write(&token, GITHUB_JWT).unwrap();
    let link = dir.join("link");
    std::os::unix::fs::symlink(&token, &link).unwrap();
    let fifo = dir.join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let huge = dir.join("huge");
    fs::write(&huge, vec![b'a'; 70_000]).unwrap();
    // A link is followed (Kubernetes projects tokens through links), but
    // only to a regular file.
    let fifo_link = dir.join("fifo-link");
    std::os::unix::fs::symlink(&fifo, &fifo_link).unwrap();
    for (path, why) in [
        (Path::new("/dev/zero"), "it is a device, not a regular file"),
        (&fifo, "it is a FIFO, not a regular file"),
        (&fifo_link, "it is a FIFO, not a regular file"),
        (&huge, "it is 70000 bytes, more than the 65536 allowed"),
    ] {
        let mut c = offline(dir, &dir.join("cache"), "http://127.0.0.1:9", BASE_KEY, CP);
        c.args(["--web-identity", &format!("file:{}", path.display())]);
        let out = output_within(c, Duration::from_secs(20));
        let err = expect_exit(&out, 6);
        assert!(
            err.contains(&format!("cannot read {}: {why}", path.display())),
            "{err}"
        );
    }
    // The link to the regular token is read: the run gets as far as STS,
    // which is unreachable here (exit 7), not a token error (exit 6).
    let mut c = offline(dir, &dir.join("cache"), "http://127.0.0.1:9", BASE_KEY, CP);
    c.args(["--web-identity", &format!("file:{}", link.display())]);
    let out = output_within(c, Duration::from_secs(20));
    let err = expect_exit(&out, 7);
    assert!(!err.contains("cannot read"), "{err}");
}

#[cfg(unix)]
#[test]
fn the_cache_directory_must_be_absolute_real_and_out_of_others_reach() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::new();
    let run_with_cache = |cache: &Path| {
        let out = lab
            .cmd(&["credential-process", "--role-arn", ROLE_X])
            .env("TFROLES_CACHE_DIR", cache)
            .output()
            .unwrap();
        expect_exit(&out, 4)
    };
    let err = run_with_cache(Path::new("cache"));
    assert!(
        err.contains("TFROLES_CACHE_DIR is a relative path"),
        "{err}"
    );
    assert!(
        !lab.work().join("cache").exists(),
        "nothing in the working directory"
    );

    lab.process(&["--role-arn", ROLE_X]);
    let link = lab.root.path().join("link");
    std::os::unix::fs::symlink(lab.cache(), &link).unwrap();
    for spelled in [link.clone(), PathBuf::from(format!("{}/", link.display()))] {
        let err = run_with_cache(&spelled);
        assert!(
            err.contains(&format!(
                "credential cache `{}`: it is a symbolic link (to `{}`)",
                link.display(),
                lab.cache().display()
            )),
            "{err}"
        );
    }

    let shared = lab.root.path().join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    let err = run_with_cache(&shared.join("mine"));
    assert!(
        err.contains("is writable by others without the sticky bit (mode 777)"),
        "{err}"
    );

    // Entries and locks are opened without following links or FIFOs.
    let entry = lab.entries().pop().unwrap();
    let calls = lab.moto.assumed_roles().len();
    fs::remove_file(&entry).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(&entry)
            .status()
            .unwrap()
            .success()
    );
    let out = output_within(
        lab.cmd(&["credential-process", "--role-arn", ROLE_X]),
        Duration::from_secs(30),
    );
    let a = expect_ok(&out, &[]);
    assert!(text(&out.stderr).contains("ignoring a cache entry tfroles did not write"));
    assert_eq!(lab.moto.assumed_roles().len(), calls + 1);
    assert!(fs::symlink_metadata(&entry).unwrap().is_file(), "replaced");

    // Another identity's entry linked in place of ours is not served.
    let other = lab.root.path().join("other.json");
    fs::write(
        &other,
        format!(
            r#"{{"AccessKeyId":"ASIAOTHER","SecretAccessKey":"x","SessionToken":"y","Expiration":"{}"}}"#,
            rfc3339_from_unix(now() + 3000)
        ),
    )
    .unwrap();
    fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&other, &entry).unwrap();
    let b = lab.process(&["--role-arn", ROLE_X]);
    assert_ne!(b.access_key_id, "ASIAOTHER");
    assert_ne!(b.access_key_id, a.access_key_id);

    let lock = entry.with_extension("lock");
    fs::remove_file(&lock).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(&lock)
            .status()
            .unwrap()
            .success()
    );
    fs::remove_file(&entry).unwrap();
    let out = output_within(
        lab.cmd(&["credential-process", "--role-arn", ROLE_X]),
        Duration::from_secs(30),
    );
    let err = expect_exit(&out, 4);
    assert!(
        err.contains(&format!(
            "credential cache `{}`: cannot lock: it is a FIFO, not a regular file",
            lock.display()
        )),
        "{err}"
    );
}

/// A fake STS that answers every request with `status` and `body`.
fn fake_sts(status: &'static str, body: String) -> String {
    serve(move |_req, stream| respond(stream, status, "text/xml", &body))
}

fn assume_role_answer(session_token: &str, expiration: i64) -> String {
    format!(
        r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKESTS000000001</AccessKeyId><SecretAccessKey>fakeSecretAccessKey0000000000000000000000</SecretAccessKey><SessionToken>{session_token}</SessionToken><Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:tfroles</AssumedRoleId><Arn>arn:aws:sts::111111111111:assumed-role/x/tfroles</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"#,
        rfc3339_from_unix(expiration)
    )
}

#[test]
fn a_hostile_sts_cannot_drive_the_terminal_hand_out_expired_sessions_or_run_code() {
    let root = private_root();
    let dir = root.path();
    let cache = dir.join("cache");

    let url = fake_sts(
        "403 Forbidden",
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>\u{1b}[2J\u{1b}]0;pwned\u{7}not \u{1b}[31mallowed\u{202e}</Message></Error><RequestId>x</RequestId></ErrorResponse>".into(),
    );
    let out = offline(dir, &cache, &url, BASE_KEY, CP).output().unwrap();
    let err = expect_exit(&out, 5);
    assert!(!err.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{err:?}");
    assert!(
        err.contains(r"\u{1b}[2J\u{1b}]0;pwned\u{7}not \u{1b}[31mallowed\u{202e}"),
        "{err}"
    );

    // Expired on arrival: neither printed nor cached.
    let url = fake_sts(
        "200 OK",
        assume_role_answer("FwoGZXIvYXdzEFAKE", now() - 60),
    );
    let out = offline(dir, &cache, &url, BASE_KEY, CP).output().unwrap();
    let err = expect_exit(&out, 5);
    assert!(err.contains("failed: ExpiredOnArrival: "), "{err}");
    assert!(err.contains("check this machine's clock"), "{err}");
    assert_eq!(entries(&cache), Vec::<PathBuf>::new());

    // A session token with shell syntax: inert in every format.
    let evil = "FwoGZXIvYXdz$(touch${IFS}pwned)`touch${IFS}pwned2`";
    let url = fake_sts("200 OK", assume_role_answer(evil, now() + 3600));
    let out = offline(
        dir,
        &cache,
        &url,
        BASE_KEY,
        &["env", "--format", "dotenv", "--role-arn", ROLE_X],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dotenv = text(&out.stdout);
    fs::write(dir.join("work/creds.env"), &dotenv).unwrap();
    let out = Command::new("sh")
        .args(["-c", r#". ./creds.env && printf '%s' "$AWS_SESSION_TOKEN""#])
        .current_dir(dir.join("work"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), evil, "{dotenv}");
    assert!(!dir.join("work/pwned").exists(), "{dotenv}");
    assert!(!dir.join("work/pwned2").exists(), "{dotenv}");

    // A wrapped-around refresh window is refused, not taken for 3584 s.
    let mut c = offline(dir, &cache, &url, BASE_KEY, CP);
    c.args(["--refresh-before", "5124095576030432h"]);
    let err = expect_exit(&c.output().unwrap(), 2);
    assert!(
        err.contains(
            "--refresh-before: `5124095576030432h` is longer than the longest session (12h)"
        ),
        "{err}"
    );

    // exec: no variable left that an SDK could prefer to the session.
    let overriding = [
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_PROCESS",
        "AWS_CREDENTIAL_FILE",
        "AWS_SESSION_EXPIRATION",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ];
    let script: String = overriding
        .iter()
        .map(|k| format!("printf '%s\\n' \"{k}=${{{k}-unset}}\"; "))
        .collect();
    let mut c = offline(
        dir,
        &cache,
        &url,
        BASE_KEY,
        &["exec", "--role-arn", ROLE_X, "--", "sh", "-c", &script],
    );
    for k in overriding {
        c.env(k, "stale");
    }
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let want: String = overriding.iter().map(|k| format!("{k}=unset\n")).collect();
    assert_eq!(text(&out.stdout), want);
}

/// Sends `req` to moto and relays its answer; returns who signed the
/// request and the `AccessKeyId` moto issued (empty when it refused).
fn relay(upstream: &str, req: &Request, client: &mut TcpStream) -> (String, String) {
    let answer = round_trip(upstream, req);
    let _ = client.write_all(&answer);
    let _ = client.flush();
    let answer = text(&answer);
    let issued = answer
        .split("<AccessKeyId>")
        .nth(1)
        .and_then(|r| r.split("</AccessKeyId>").next())
        .unwrap_or_default()
        .to_owned();
    (req.signed_by().unwrap_or_default(), issued)
}

/// The fault test of the cache: two base identities' callers at once,
/// the first STS request hung for good, the first caller of each identity
/// SIGKILLed mid-flight, then a slow but working STS.
#[test]
fn the_cache_keeps_its_promises_under_concurrent_callers_sigkill_and_a_hung_sts() {
    const OTHER_KEY: &str = "AKIDOTHERKEY00000001";
    let lab = Lab::new();
    let upstream = lab.moto.endpoint().trim_start_matches("http://").to_owned();
    let limit = Duration::from_secs(BUDGET_SECS) + SLACK;
    // (round, signer, issued) of every AssumeRole moto answered through
    // us, by the round it arrived in: a late one of round 1 may be relayed
    // while round 2 runs.
    let issued = Arc::new(Mutex::new(Vec::<(usize, String, String)>::new()));
    let current = Arc::new(AtomicUsize::new(1));
    // The first request signed by BASE_KEY hangs for good: its caller is
    // never killed, so its identity's other callers must give up in time.
    let hang_first = Arc::new(AtomicBool::new(true));
    let url = {
        let (issued, hang_first, current) = (
            Arc::clone(&issued),
            Arc::clone(&hang_first),
            Arc::clone(&current),
        );
        serve(move |req, stream| {
            let round = current.load(Ordering::SeqCst);
            if req.signed_by().as_deref() == Some(BASE_KEY)
                && hang_first.swap(false, Ordering::SeqCst)
            {
                std::thread::sleep(Duration::from_secs(60));
                return;
            }
            // Slow, so callers pile up behind the lock.
            std::thread::sleep(Duration::from_millis(500));
            let (signer, key) = relay(&upstream, &req, stream);
            issued.lock().unwrap().push((round, signer, key));
        })
    };
    let caller = |key: &str| {
        let mut c = lab.cmd(CP);
        c.env("AWS_ENDPOINT_URL_STS", &url)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("TFROLES_BUDGET", BUDGET);
        c
    };

    // Round 1: a hung STS for one identity, and kills: the first caller
    // of the other identity (likely its lock holder, mid-call) and a
    // waiter. Round 2 (a fresh cache): a slow STS, 32 callers of one
    // identity.
    for round in 1..=2 {
        let (n, kill): (usize, &[usize]) = if round == 1 { (24, &[1, 2]) } else { (32, &[]) };
        if round == 2 {
            hang_first.store(false, Ordering::SeqCst);
            current.store(2, Ordering::SeqCst);
            fs::remove_dir_all(lab.cache()).unwrap();
        }
        let keys: Vec<&str> = (0..n)
            .map(|i| {
                if round == 1 && i % 2 == 1 {
                    OTHER_KEY
                } else {
                    BASE_KEY
                }
            })
            .collect();
        let ended = run_all(
            keys.iter().map(|k| caller(k)).collect(),
            limit,
            kill,
            Duration::from_millis(300),
        );
        let issued: Vec<(String, String)> = issued
            .lock()
            .unwrap()
            .iter()
            .filter(|(r, _, _)| *r == round)
            .map(|(_, signer, key)| (signer.clone(), key.clone()))
            .collect();
        let mut answers: Vec<(&str, Answer)> = Vec::new();
        let mut failed = 0;
        for (e, key) in ended.iter().zip(&keys) {
            if e.killed {
                continue;
            }
            assert!(
                e.took <= limit,
                "round {round}: a caller took {:?}:\n{}",
                e.took,
                text(&e.out.stderr)
            );
            match e.out.status.code() {
                Some(0) => answers.push((key, Answer::parse(&e.out.stdout))),
                Some(7) => {
                    let err = text(&e.out.stderr);
                    assert!(
                        err.starts_with(&format!("error: cannot reach STS at {url}: ")),
                        "{err}"
                    );
                    failed += 1;
                }
                other => panic!("round {round}: exit {other:?}:\n{}", text(&e.out.stderr)),
            }
        }
        for key in [BASE_KEY, OTHER_KEY] {
            let mine: Vec<&Answer> = answers
                .iter()
                .filter(|(k, _)| k == &key)
                .map(|(_, a)| a)
                .collect();
            // One session per identity: whoever got one got the same one,
            let Some(first) = mine.first() else { continue };
            assert!(
                mine.iter().all(|a| a.line == first.line),
                "round {round}: two sessions for one identity"
            );
            // and STS issued it on a request signed by that identity.
            assert!(
                issued.contains(&(key.to_owned(), first.access_key_id.clone())),
                "round {round}: {key}'s session {} was not issued to {key}: {issued:?}",
                first.access_key_id
            );
        }
        // No torn entry: every entry whole.
        for entry in entries(&lab.cache()) {
            let v: Value = serde_json::from_slice(&fs::read(&entry).unwrap()).unwrap();
            for k in [
                "AccessKeyId",
                "SecretAccessKey",
                "SessionToken",
                "Expiration",
            ] {
                assert!(v[k].as_str().is_some_and(|s| !s.is_empty()), "{v}");
            }
        }
        eprintln!(
            "fault round {round}: {n} callers, {} killed, {} answered, {failed} timed out, {} AssumeRole through the proxy, slowest {:?}",
            kill.len(),
            answers.len(),
            issued.len(),
            ended
                .iter()
                .filter(|e| !e.killed)
                .map(|e| e.took)
                .max()
                .unwrap()
        );
        if round == 2 {
            assert_eq!(answers.len(), n, "a slow STS answers everyone");
            assert_eq!(issued.len(), 1, "exactly one STS call for {n} callers");
        }
    }
}

// ------------------------------------------------------------ the hit index

const HIT_LINE: &str = "cache hit from the hit index";

fn index_files(cache: &Path) -> usize {
    fs::read_dir(cache.join("index")).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".json")
        })
        .count()
    })
}

/// `credential-process -v ARGS`: (stdout, whether the hit index answered).
fn via_index(lab: &Lab, cmd: &mut Command) -> (String, bool) {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = lab;
    (text(&out.stdout), text(&out.stderr).contains(HIT_LINE))
}

const HIT_ROLE: &str = r#"
role "app" {
  account     = "qa"
  external_id = "app-1"
  tags        = { team = "api" }
}
"#;

#[test]
fn a_cache_hit_is_answered_from_the_hit_index_with_the_key_a_full_run_computes() {
    let lab = Lab::with_config(HIT_ROLE);
    let args = [
        "credential-process",
        "-v",
        "--role",
        "app",
        "--account",
        "qa",
    ];
    let (first, indexed) = via_index(&lab, &mut lab.cmd(&args));
    assert!(!indexed, "the first call has nothing to hit");
    assert_eq!(sts_calls(&lab.moto), 1);
    assert_eq!(
        index_files(&lab.cache()),
        1,
        "the full run recorded its inputs"
    );
    let (second, indexed) = via_index(&lab, &mut lab.cmd(&args));
    assert!(indexed, "the second call is answered by the index");
    assert_eq!(second, first);
    // Without the index, the full run names the same entry: the index
    // computed the key a full run computes.
    fs::remove_dir_all(lab.cache().join("index")).unwrap();
    let (third, indexed) = via_index(&lab, &mut lab.cmd(&args));
    assert!(!indexed);
    assert_eq!(third, first);
    assert_eq!(sts_calls(&lab.moto), 1);
    // Another call (other arguments) is another index key.
    let (other, indexed) = via_index(
        &lab,
        &mut lab.cmd(&["credential-process", "-v", "--role", "terraform-state"]),
    );
    assert!(!indexed);
    assert_ne!(other, first);
    assert_eq!(sts_calls(&lab.moto), 2);
    // An expired entry is not served by the index either.
    let (_, indexed) = via_index(&lab, &mut lab.cmd(&args));
    assert!(indexed);
    for e in lab.entries() {
        set_expiration(&e, now() + 60);
    }
    let (renewed, indexed) = via_index(&lab, &mut lab.cmd(&args));
    assert!(!indexed, "an entry due for refresh goes to the full run");
    assert_ne!(renewed, first);
    assert_eq!(sts_calls(&lab.moto), 3);
}

#[test]
fn a_changed_config_misses_the_hit_index() {
    let lab = Lab::with_config(HIT_ROLE);
    let args = [
        "credential-process",
        "-v",
        "--role",
        "app",
        "--account",
        "qa",
    ];
    let (first, _) = via_index(&lab, &mut lab.cmd(&args));
    assert!(via_index(&lab, &mut lab.cmd(&args)).1);
    // Any change to the file is a miss; the full run then finds its entry
    // (the session did not change) without calling STS.
    let path = lab.work().join("tfroles.hcl");
    let text_before = fs::read_to_string(&path).unwrap();
    fs::write(&path, format!("{text_before}\n# a comment\n")).unwrap();
    let (again, indexed) = via_index(&lab, &mut lab.cmd(&args));
    assert!(!indexed, "a changed config must miss");
    assert_eq!(again, first);
    assert_eq!(sts_calls(&lab.moto), 1);
    // A change that changes the session is a new session.
    fs::write(&path, text_before.replace("app-1", "app-2")).unwrap();
    let (changed, indexed) = via_index(&lab, &mut lab.cmd(&args));
    assert!(!indexed);
    assert_ne!(changed, first);
    assert_eq!(sts_calls(&lab.moto), 2);
    let sent = lab.moto.assumed_roles();
    assert_eq!(sent.len(), 2);
    // And the same from another directory with `--config` is its own key.
    let (_, indexed) = via_index(
        &lab,
        &mut lab.cmd(&[
            "credential-process",
            "-v",
            "--config",
            "tfroles.hcl",
            "--role",
            "app",
            "--account",
            "qa",
        ]),
    );
    assert!(!indexed);
    assert_eq!(sts_calls(&lab.moto), 2, "same session: the cache answers");
}

#[test]
fn the_hit_index_fingerprints_the_base_identity_again() {
    let lab = Lab::with_config(HIT_ROLE);
    let creds = lab.home().join("aws-credentials");
    let write_keys = |id: &str| {
        fs::write(
            &creds,
            format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = s3cr3t{id}\n"),
        )
        .unwrap();
    };
    let cmd = || {
        let mut c = lab.cmd(&[
            "credential-process",
            "-v",
            "--role",
            "app",
            "--account",
            "qa",
        ]);
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_SHARED_CREDENTIALS_FILE", &creds);
        c
    };
    write_keys("AKIDFIRSTBASE0000001");
    let (first, indexed) = via_index(&lab, &mut cmd());
    assert!(!indexed);
    assert!(via_index(&lab, &mut cmd()).1, "same base identity: a hit");
    // The same environment and config, another identity in the file: the
    // index key is the same, the recomputed cache key is not.
    write_keys("AKIDSECONDBASE000002");
    let (second, indexed) = via_index(&lab, &mut cmd());
    assert!(
        !indexed,
        "another base identity must never be served the first one's session"
    );
    assert_ne!(second, first);
    assert_eq!(sts_calls(&lab.moto), 2);
    assert!(via_index(&lab, &mut cmd()).1);
}

#[test]
fn the_hit_index_ignores_variables_no_run_reads() {
    // terraform's provider plugins get a new PLUGIN_CLIENT_CERT every run.
    let lab = Lab::with_config(HIT_ROLE);
    let args = [
        "credential-process",
        "-v",
        "--role",
        "app",
        "--account",
        "qa",
    ];
    let (first, _) = via_index(&lab, lab.cmd(&args).env("PLUGIN_CLIENT_CERT", "one"));
    let (second, indexed) = via_index(&lab, lab.cmd(&args).env("PLUGIN_CLIENT_CERT", "two"));
    assert!(
        indexed,
        "an unrelated variable does not change the index key"
    );
    assert_eq!(second, first);
    // An AWS variable does.
    let (_, indexed) = via_index(&lab, lab.cmd(&args).env("AWS_MAX_ATTEMPTS", "3"));
    assert!(!indexed);
}
