use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::python::empty_aws_file;
use crate::{free_port, peers_dir, python_env, scrub_aws_env, tail};

/// How long a starting moto may take to answer. Starting takes about half a
/// second when idle; the margin is for a 2-core machine busy with many test
/// binaries. A server that dies is noticed at once, not after this.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How many free ports to try when another process takes ours first.
const START_ATTEMPTS: usize = 5;

/// Runs moto's server like `moto_server -H 127.0.0.1 -p PORT`, and exits as
/// soon as its stdin closes. The test process holds the other end, so a test
/// binary killed before its `Drop` runs (Ctrl-C, SIGKILL, abort) cannot leave
/// an orphaned server behind.
const WATCHDOG: &str = r#"
import os, sys, threading
def _exit_when_parent_goes():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
"#;

/// Werkzeug answers object GETs without an `Authorization` header as
/// anonymous, and moto then refuses private objects with an empty 403. While
/// moto enforces no auth it accepts any header, so a fixed one makes these
/// set-up helpers work without signing.
const ANY_AUTH: &str = "AWS4-HMAC-SHA256 \
     Credential=testing/20000101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

/// Dummy keys for clients pointed at moto. Moto maps unknown keys to its
/// default account, 123456789012.
const ACCESS_KEY_ID: &str = "testing";
const SECRET_ACCESS_KEY: &str = "testing";
const REGION: &str = "us-east-1";

/// A moto server (local STS, S3, IAM, DynamoDB, ...) on a free loopback port,
/// started from [`crate::python_env`] and killed on drop.
///
/// By default moto checks no credentials or permissions; see [`Moto::set_auth`]
/// to make it enforce IAM.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
    endpoint: String,
    log: PathBuf,
}

/// One `sts:AssumeRole` call moto served, as listed in
/// `GET /moto-api/data.json` under `.sts.AssumedRole[]`.
///
/// Moto 5.2.5 lists exactly these fields plus `partition`. It keeps the
/// expiration internally but leaves it out of `data.json` (a datetime does not
/// serialise), and it does not record the requested duration: read
/// `Credentials.Expiration` from the AssumeRole answer to check a duration.
/// It also lists a `user_id` that it draws at random on every read for roles
/// that do not exist in its IAM; that field is left out here so that two reads
/// compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AssumedRole {
    /// The `RoleArn` requested.
    pub role_arn: String,
    /// The `RoleSessionName` requested.
    pub session_name: String,
    /// The `ExternalId` sent, if any.
    pub external_id: Option<String>,
    /// The session policy JSON sent, if any.
    pub policy: Option<String>,
    /// The temporary access key moto issued.
    pub access_key_id: String,
    /// The temporary secret key moto issued.
    pub secret_access_key: String,
    /// The session token moto issued.
    pub session_token: String,
    /// The assumed-role ARN, `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`.
    pub arn: String,
    /// The account of the role.
    pub account_id: String,
    /// The region the STS call was made to.
    pub region_name: String,
    /// Any other field a later moto version adds.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Moto {
    /// Starts a fresh moto server and waits until `GET /moto-api/` answers.
    ///
    /// # Panics
    ///
    /// When the venv cannot be installed, or the server exits or does not
    /// answer in time; the message includes the server's output.
    pub fn start() -> Moto {
        Moto::start_with_env(&[])
    }

    /// Like [`Moto::start`], with extra environment variables for the server,
    /// for example `("INITIAL_NO_AUTH_ACTION_COUNT", "5")` to enforce IAM
    /// after five free set-up requests. Inherited `AWS_*` and `MOTO_*`
    /// variables are not passed on.
    pub fn start_with_env(vars: &[(&str, &str)]) -> Moto {
        let python = python_env().python();
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            match try_start(&python, port, vars) {
                Ok(moto) => return moto,
                Err(Failure::PortTaken(log)) => last_log = log,
                Err(Failure::Other(message)) => panic!("{message}"),
            }
        }
        panic!(
            "peer `moto` did not start: {START_ATTEMPTS} free ports were each taken by \
             another process before moto could bind them. Last server output:\n{}",
            tail(&last_log, 4000)
        )
    }

    /// The base URL, like `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Environment variables for an AWS client (AWS CLI, boto3, the Rust or Go
    /// SDK, terraform's S3 backend) that point it at this server with dummy
    /// keys, and keep the developer's `~/.aws` and the metadata service out.
    ///
    /// Setting these does not remove other inherited `AWS_*` variables (say a
    /// session token or profile); [`Moto::apply_env`] does both. Terraform's
    /// S3 backend also needs `use_path_style = true` in its configuration,
    /// since `BUCKET.127.0.0.1` does not resolve.
    pub fn env(&self) -> Vec<(String, String)> {
        let empty = empty_aws_file().to_string_lossy().into_owned();
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ENDPOINT_URL_STS", &self.endpoint),
            ("AWS_ENDPOINT_URL_S3", &self.endpoint),
            ("AWS_ENDPOINT_URL_IAM", &self.endpoint),
            ("AWS_ENDPOINT_URL_DYNAMODB", &self.endpoint),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ("AWS_REGION", REGION),
            // The AWS CLI v1 and boto3 read only this one, not AWS_REGION.
            ("AWS_DEFAULT_REGION", REGION),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", &empty),
            ("AWS_SHARED_CREDENTIALS_FILE", &empty),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Removes every inherited `AWS_*` variable from `cmd` and sets
    /// [`Moto::env`]. Set variables after this call to override one (for
    /// example `AWS_CONFIG_FILE` to test a profile).
    pub fn apply_env<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        scrub_aws_env(cmd).envs(self.env())
    }

    /// Everything moto holds, as `GET /moto-api/data.json` lists it.
    pub fn data(&self) -> Value {
        let (status, body) = self.request("GET", "/moto-api/data.json", &[], None);
        self.expect_ok(status, &body, "GET /moto-api/data.json");
        serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "moto's /moto-api/data.json is not JSON ({e}); moto at {}",
                self.endpoint
            )
        })
    }

    /// Every AssumeRole call served since the start or the last
    /// [`Moto::reset`], oldest first.
    pub fn assumed_roles(&self) -> Vec<AssumedRole> {
        let mut data = self.data();
        // Before the first STS call moto lists no `sts` section at all:
        // that is zero calls, not a changed format.
        let Some(roles) = data.pointer_mut("/sts/AssumedRole").map(Value::take) else {
            if data.get("sts").is_none() {
                return Vec::new();
            }
            panic!(
                "moto's data.json has no .sts.AssumedRole list; moto at {}",
                self.endpoint
            )
        };
        let mut roles: Vec<AssumedRole> = serde_json::from_value(roles).unwrap_or_else(|e| {
            panic!(
                "moto's .sts.AssumedRole entries changed shape ({e}); moto at {}",
                self.endpoint
            )
        });
        for role in &mut roles {
            role.other.remove("user_id");
        }
        roles
    }

    /// Clears all of moto's state (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let (status, body) = self.request("POST", "/moto-api/reset", &[], Some(b""));
        self.expect_ok(status, &body, "POST /moto-api/reset");
    }

    /// Switches IAM enforcement (`POST /moto-api/reset-auth`): `"0"` enforces
    /// it from the next request on (signatures, keys of IAM users or assumed
    /// roles, identity and role policies); `"inf"` turns it off again; `"N"`
    /// lets N more requests through first.
    ///
    /// While enforcement is on, [`Moto::create_bucket`], [`Moto::put_object`],
    /// [`Moto::get_object`] and [`Moto::list_objects`] are refused: turn it
    /// off before using them. The `/moto-api/` calls keep working.
    pub fn set_auth(&self, n: &str) {
        let (status, body) = self.request(
            "POST",
            "/moto-api/reset-auth",
            &[("Content-Type", "text/plain")],
            Some(n.as_bytes()),
        );
        self.expect_ok(status, &body, &format!("POST /moto-api/reset-auth {n}"));
    }

    /// Creates an S3 bucket (in us-east-1).
    pub fn create_bucket(&self, name: &str) {
        let path = format!("/{}", encode_path(name));
        let (status, body) = self.request("PUT", &path, &[("Authorization", ANY_AUTH)], Some(b""));
        self.expect_ok(status, &body, &format!("S3 CreateBucket {name}"));
    }

    /// Stores an S3 object.
    pub fn put_object(&self, bucket: &str, key: &str, body: &[u8]) {
        let path = format!("/{}/{}", encode_path(bucket), encode_path(key));
        // Without a binary content type werkzeug parses the body as a form
        // and moto stores an empty object.
        let headers = [
            ("Authorization", ANY_AUTH),
            ("Content-Type", "application/octet-stream"),
        ];
        let (status, answer) = self.request("PUT", &path, &headers, Some(body));
        self.expect_ok(status, &answer, &format!("S3 PutObject {bucket}/{key}"));
    }

    /// An S3 object's bytes, or `None` when the key does not exist.
    ///
    /// # Panics
    ///
    /// When the bucket does not exist or moto refuses the request.
    pub fn get_object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let path = format!("/{}/{}", encode_path(bucket), encode_path(key));
        let (status, body) = self.request("GET", &path, &[("Authorization", ANY_AUTH)], None);
        if status == 404 && String::from_utf8_lossy(&body).contains("<Code>NoSuchKey</Code>") {
            return None;
        }
        self.expect_ok(status, &body, &format!("S3 GetObject {bucket}/{key}"));
        Some(body)
    }

    /// Every key in an S3 bucket, in S3's (lexicographic) order.
    ///
    /// # Panics
    ///
    /// When the bucket does not exist or moto refuses the request.
    pub fn list_objects(&self, bucket: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/{}?list-type=2", encode_path(bucket));
            if let Some(token) = &token {
                path.push_str("&continuation-token=");
                path.push_str(&encode_component(token));
            }
            let (status, body) = self.request("GET", &path, &[("Authorization", ANY_AUTH)], None);
            self.expect_ok(status, &body, &format!("S3 ListObjectsV2 {bucket}"));
            let xml = String::from_utf8_lossy(&body);
            for contents in elements(&xml, "Contents") {
                if let Some(key) = elements(contents, "Key").next() {
                    keys.push(xml_unescape(key));
                }
            }
            token = elements(&xml, "NextContinuationToken")
                .next()
                .map(xml_unescape);
            let truncated = elements(&xml, "IsTruncated").next() == Some("true");
            if !truncated || token.is_none() {
                return keys;
            }
        }
    }

    /// What the server has printed so far (one line per request, and any
    /// traceback), for a failing test's message.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> (u16, Vec<u8>) {
        let url = format!("{}{path}", self.endpoint);
        http(method, &url, headers, body).unwrap_or_else(|e| {
            panic!(
                "{method} {url} failed: {e}\nmoto's output:\n{}",
                tail(&self.log(), 4000)
            )
        })
    }

    fn expect_ok(&self, status: u16, body: &[u8], what: &str) {
        if !(200..300).contains(&status) {
            let hint = if status == 403 {
                "\n(if the test called set_auth(\"0\"), call set_auth(\"inf\") before \
                 using Moto's S3 helpers)"
            } else {
                ""
            };
            panic!(
                "moto at {} refused {what}: HTTP {status}\n{}{hint}",
                self.endpoint,
                tail(&String::from_utf8_lossy(body), 2000)
            );
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A panicking test keeps the log, since its message may point there.
        if !std::thread::panicking() {
            let _ = fs::remove_file(&self.log);
        }
    }
}

enum Failure {
    PortTaken(String),
    Other(String),
}

fn try_start(python: &std::path::Path, port: u16, vars: &[(&str, &str)]) -> Result<Moto, Failure> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let logs = peers_dir().join("logs");
    let log_path = logs.join(format!(
        "moto-{}-{}-{port}.log",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let open_log = || -> Result<fs::File, Failure> {
        fs::create_dir_all(&logs)
            .and_then(|()| fs::File::create(&log_path))
            .map_err(|e| {
                Failure::Other(format!(
                    "peer `moto`: cannot create {}: {e}",
                    log_path.display()
                ))
            })
    };
    let log = open_log()?;
    let log_err = log
        .try_clone()
        .map_err(|e| Failure::Other(format!("peer `moto`: cannot reuse the log file: {e}")))?;

    let mut cmd = Command::new(python);
    cmd.args(["-c", WATCHDOG, "-H", "127.0.0.1", "-p", &port.to_string()]);
    for (name, _) in std::env::vars_os() {
        let name_str = name.to_string_lossy();
        if name_str.starts_with("AWS_") || name_str.starts_with("MOTO_") {
            cmd.env_remove(&name);
        }
    }
    let mut child = cmd
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .env("PYTHONUNBUFFERED", "1")
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| {
            Failure::Other(format!(
                "peer `moto`: cannot run {} (the venv's Python): {e}",
                python.display()
            ))
        })?;

    let endpoint = format!("http://127.0.0.1:{port}");
    // Werkzeug prints this only after its own bind succeeded; waiting for it
    // keeps us from mistaking another server that won the race for this port
    // for ours.
    let bound = format!("Running on {endpoint}");
    let started = Instant::now();
    loop {
        let output = fs::read_to_string(&log_path).unwrap_or_default();
        if let Ok(Some(status)) = child.try_wait() {
            let _ = fs::remove_file(&log_path);
            return Err(
                if output.contains("Address already in use") || output.contains("is in use") {
                    Failure::PortTaken(output)
                } else {
                    Failure::Other(format!(
                        "peer `moto` exited with {status} while starting \
                     (`{} -c <moto.server.main> -H 127.0.0.1 -p {port}`). Its output:\n{}\n\
                     Fix: delete {} to reinstall the venv, then rerun the tests",
                        python.display(),
                        tail(&output, 4000),
                        python_env().dir().display()
                    ))
                },
            );
        }
        if output.contains(&bound)
            && let Ok((200, _)) = http("GET", &format!("{endpoint}/moto-api/"), &[], None)
        {
            return Ok(Moto {
                child,
                port,
                endpoint,
                log: log_path,
            });
        }
        if started.elapsed() > READY_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::Other(format!(
                "peer `moto` did not answer GET {endpoint}/moto-api/ within {READY_TIMEOUT:?}. \
                 Its output ({}):\n{}",
                log_path.display(),
                tail(&output, 4000)
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One plain HTTP exchange with a loopback peer: any status is a result, only
/// a transport failure is an error.
fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<(u16, Vec<u8>), String> {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    let agent = AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A developer's HTTP_PROXY must not capture loopback traffic.
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    });
    let result = match (method, body) {
        ("GET", None) => {
            let mut req = agent.get(url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            req.call()
        }
        (_, body) => {
            let mut req = match method {
                "PUT" => agent.put(url),
                "POST" => agent.post(url),
                other => return Err(format!("unsupported method {other}")),
            };
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            req.send(body.unwrap_or_default())
        }
    };
    let mut response = result.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    Ok((status, bytes))
}

/// Percent-encodes an S3 key or bucket for a URL path, keeping `/`.
fn encode_path(text: &str) -> String {
    encode(text, |b| b == b'/')
}

fn encode_component(text: &str) -> String {
    encode(text, |_| false)
}

fn encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The texts of every `<name>...</name>` element, in order. Enough for S3's
/// flat list answers; not a general XML parser.
fn elements<'a>(xml: &'a str, name: &str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let len = rest[start..].find(&close)?;
        let text = &rest[start..start + len];
        rest = &rest[start + len + close.len()..];
        Some(text)
    })
}

fn xml_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_helpers_read_s3_list_answers() {
        let xml = "<R><Contents><Key>a&amp;b/&#x41;.txt</Key></Contents>\
                   <Contents><Key>c</Key></Contents><IsTruncated>false</IsTruncated></R>";
        let keys: Vec<String> = elements(xml, "Contents")
            .filter_map(|c| elements(c, "Key").next())
            .map(xml_unescape)
            .collect();
        assert_eq!(keys, ["a&b/A.txt", "c"]);
        assert_eq!(elements(xml, "IsTruncated").next(), Some("false"));
    }

    #[test]
    fn paths_are_percent_encoded_except_slashes() {
        assert_eq!(encode_path("a b/c+d~é"), "a%20b/c%2Bd~%C3%A9");
        assert_eq!(encode_component("a/b="), "a%2Fb%3D");
    }
}
