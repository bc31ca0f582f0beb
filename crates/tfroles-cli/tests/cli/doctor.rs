//! `tfroles doctor` against moto: every check passes on a prepared
//! account, and each is made to fail once. Where moto does not model AWS
//! (a missing key without s3:ListBucket answers 404 in moto, 403 on AWS; a
//! refused AssumeRole or lock write needs IAM enforcement), a small proxy
//! in front of moto answers as AWS would for the one request the check
//! makes, and forwards everything else.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use pretty_assertions::assert_eq;
use serde_json::Value;
use tfroles_testsupport::{Moto, aws_cli};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");

const CONFIG: &str = r#"defaults {
  region = "us-east-1"
}

account "main" {
  id = "123456789012"
}

state {
  account        = "main"
  bucket         = "doctor-state"
  role           = "terraform-state"
  dynamodb_table = "tf-locks"
}

role "terraform-state" {
  account     = "main"
  external_id = "tf-state"
}

role "deploy" {
  account  = "main"
  services = ["sqs"]

  trust {
    github {
      repository  = "acme/infra"
      environment = "prod"
    }
  }
}

role "broken" {
  account  = "main"
  services = ["sqs"]

  trust {
    aws = ["arn:aws:iam::123456789012:user/ci"]
  }
}

stack "app" {
  account = "main"
  role    = "deploy"
}
"#;

/// An answer the proxy gives instead of moto's, to requests whose method
/// is `method` and whose path or body contains `needle`.
#[derive(Clone)]
struct Rule {
    method: &'static str,
    needle: &'static str,
    status: &'static str,
    body: &'static str,
}

struct Proxy {
    url: String,
    rules: Arc<Mutex<Vec<Rule>>>,
}

fn read_request(stream: &mut BufReader<TcpStream>) -> Option<(String, Vec<String>, Vec<u8>)> {
    let mut line = String::new();
    stream.read_line(&mut line).ok()?;
    let mut headers = Vec::new();
    let mut len = 0;
    loop {
        let mut h = String::new();
        stream.read_line(&mut h).ok()?;
        let h = h.trim_end().to_owned();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
        headers.push(h);
    }
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some((line.trim_end().to_owned(), headers, body))
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let shared = rules.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let rules = shared.clone();
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let mut client = stream.try_clone().unwrap();
                    let mut reader = BufReader::new(stream);
                    let Some((line, headers, body)) = read_request(&mut reader) else {
                        return;
                    };
                    let method = line.split(' ').next().unwrap_or_default().to_owned();
                    let text = format!("{line}\n{}", String::from_utf8_lossy(&body));
                    let rule = rules
                        .lock()
                        .unwrap()
                        .iter()
                        .find(|r| r.method == method && text.contains(r.needle))
                        .cloned();
                    if let Some(r) = rule {
                        let _ = write!(
                            client,
                            "HTTP/1.1 {}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                            r.status,
                            r.body.len(),
                            r.body
                        );
                        return;
                    }
                    let mut up = TcpStream::connect(&upstream).unwrap();
                    let mut head = format!("{line}\r\n");
                    for h in headers
                        .iter()
                        .filter(|h| !h.to_ascii_lowercase().starts_with("connection:"))
                    {
                        head.push_str(h);
                        head.push_str("\r\n");
                    }
                    head.push_str("Connection: close\r\n\r\n");
                    up.write_all(head.as_bytes()).unwrap();
                    up.write_all(&body).unwrap();
                    let mut answer = Vec::new();
                    let _ = up.read_to_end(&mut answer);
                    let _ = client.write_all(&answer);
                });
            }
        });
        Proxy { url, rules }
    }

    fn set(&self, rules: Vec<Rule>) {
        *self.rules.lock().unwrap() = rules;
    }
}

const ACCESS_DENIED: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error></ErrorResponse>";
const S3_DENIED: &str = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

struct Lab {
    moto: Moto,
    proxy: Proxy,
    root: tempfile::TempDir,
}

impl Lab {
    fn new() -> Lab {
        let moto = Moto::start();
        let proxy = Proxy::start(moto.endpoint());
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("repo/app")).unwrap();
        fs::write(root.path().join("repo/app/main.tf"), "").unwrap();
        fs::write(root.path().join("repo/tfroles.hcl"), CONFIG).unwrap();
        Lab { moto, proxy, root }
    }

    fn doctor(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        self.moto.apply_env(&mut cmd);
        for k in ["", "_STS", "_S3", "_IAM", "_DYNAMODB"] {
            cmd.env(format!("AWS_ENDPOINT_URL{k}"), &self.proxy.url);
        }
        cmd.env_remove("RUST_LOG")
            .env_remove("TFROLES_CONFIG")
            .env("HOME", self.root.path())
            .env("TFROLES_CACHE_DIR", self.root.path().join("cache"))
            .current_dir(self.root.path().join("repo"))
            .arg("doctor")
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self) -> (i32, String) {
        let out: Output = self.doctor(&[]).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    fn aws(&self, args: &[&str]) {
        let mut cmd = aws_cli();
        self.moto.apply_env(&mut cmd);
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The line of the check named `name`.
fn line<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| l[l.char_indices().nth(2).map_or(0, |(i, _)| i)..].starts_with(name))
        .unwrap_or_else(|| panic!("no check `{name}` in:\n{report}"))
}

/// The fix printed under the check named `name`.
fn fix<'a>(report: &'a str, name: &str) -> &'a str {
    let at = report.find(line(report, name)).unwrap();
    report[at..]
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("  fix: "))
        .unwrap_or_else(|| panic!("no fix under `{name}` in:\n{report}"))
}

#[test]
fn each_check_passes_on_a_prepared_account_and_fails_once() {
    let lab = Lab::new();
    let bucket = "state bucket `doctor-state`";
    lab.proxy.set(vec![Rule {
        method: "POST",
        needle: "role%2Fbroken",
        status: "403 Forbidden",
        body: ACCESS_DENIED,
    }]);

    // Nothing exists yet.
    let (code, r) = lab.run();
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        line(&r, "base identity"),
        "✓ base identity: arn:aws:sts::123456789012:user/moto (account 123456789012)"
    );
    assert_eq!(
        line(&r, "assume terraform-state in main"),
        "✓ assume terraform-state in main: arn:aws:iam::123456789012:role/terraform-state (with external id)"
    );
    assert!(line(&r, "assume deploy in main").starts_with("✓ "), "{r}");
    assert!(
        line(&r, "assume broken in main").starts_with(
            "✗ assume broken in main: AccessDenied: `arn:aws:sts::123456789012:user/moto` may not assume `arn:aws:iam::123456789012:role/broken`"
        ),
        "{r}"
    );
    assert_eq!(
        line(&r, &format!("{bucket} exists in us-east-1")),
        format!("✗ {bucket} exists in us-east-1: no such bucket")
    );
    assert!(
        fix(&r, &format!("{bucket} exists")).contains("bootstrap stack"),
        "{r}"
    );
    assert_eq!(
        line(&r, "state key and lock"),
        "– state key and lock: the state bucket is missing"
    );
    assert_eq!(
        line(&r, "lock table `tf-locks`"),
        "✗ lock table `tf-locks`: no such table in us-east-1"
    );
    assert_eq!(
        line(&r, "OIDC provider `token.actions.githubusercontent.com`"),
        "✗ OIDC provider `token.actions.githubusercontent.com`: does not exist"
    );

    // The bucket, without its settings; the table; a provider with
    // another audience.
    lab.aws(&["s3api", "create-bucket", "--bucket", "doctor-state"]);
    lab.aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "tf-locks",
        "--attribute-definitions",
        "AttributeName=LockID,AttributeType=S",
        "--key-schema",
        "AttributeName=LockID,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]);
    lab.aws(&[
        "iam",
        "create-open-id-connect-provider",
        "--url",
        "https://token.actions.githubusercontent.com",
        "--client-id-list",
        "other-audience",
        "--thumbprint-list",
        "6938fd4d98bab03faadb97b34396831e3780aea1",
    ]);
    let (code, r) = lab.run();
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        line(&r, &format!("{bucket} exists")),
        format!("✓ {bucket} exists in us-east-1: found")
    );
    assert_eq!(
        line(&r, &format!("{bucket}: versioning")),
        format!("✗ {bucket}: versioning: never enabled (a bad apply or a delete cannot be undone)")
    );
    assert_eq!(
        line(&r, &format!("{bucket}: default encryption")),
        format!("✗ {bucket}: default encryption: none")
    );
    assert_eq!(
        line(&r, &format!("{bucket}: public access blocked")),
        format!("✗ {bucket}: public access blocked: no public access block")
    );
    assert_eq!(
        line(&r, "lock table `tf-locks`"),
        "✓ lock table `tf-locks`: exists"
    );
    assert_eq!(
        line(&r, "OIDC provider"),
        "✗ OIDC provider `token.actions.githubusercontent.com`: lacks the audience `sts.amazonaws.com` the trust policies require"
    );
    // The fixes printed are commands that work: run them.
    for name in [
        format!("{bucket}: versioning"),
        format!("{bucket}: default encryption"),
        format!("{bucket}: public access blocked"),
    ] {
        let f = fix(&r, &name);
        let mut sh = Command::new("sh");
        lab.moto.apply_env(&mut sh);
        let aws_dir = tfroles_testsupport::python_env().bin("aws");
        let path = format!(
            "{}:{}",
            aws_dir.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = sh
            .args(["-c", f])
            .env("PATH", path)
            .env("AWS_PAGER", "")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // moto has no AddClientIDToOpenIDConnectProvider (it answers 500), so
    // the fix is shown as AWS takes it and checked for its words; the
    // provider is made again with the audience instead.
    assert_eq!(
        fix(&r, "OIDC provider"),
        "aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com --client-id sts.amazonaws.com"
    );
    let provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    lab.aws(&[
        "iam",
        "delete-open-id-connect-provider",
        "--open-id-connect-provider-arn",
        provider,
    ]);
    lab.aws(&[
        "iam",
        "create-open-id-connect-provider",
        "--url",
        "https://token.actions.githubusercontent.com",
        "--client-id-list",
        "sts.amazonaws.com",
        "--thumbprint-list",
        "6938fd4d98bab03faadb97b34396831e3780aea1",
    ]);
    assert_eq!(
        line(&r, "a missing key under `app`'s backend session"),
        "✓ a missing key under `app`'s backend session: answers 404 (s3:ListBucket allowed)"
    );
    assert_eq!(
        line(&r, "lock file under `app`'s backend session"),
        "✓ lock file under `app`'s backend session: `app/terraform.tfstate.tflock` written and removed"
    );
    assert_eq!(
        lab.moto.list_objects("doctor-state"),
        Vec::<String>::new(),
        "the probe cleaned up"
    );

    // AWS without s3:ListBucket: a missing key is a 403.
    lab.proxy.set(vec![Rule {
        method: "HEAD",
        needle: ".tflock",
        status: "403 Forbidden",
        body: "",
    }]);
    let (code, r) = lab.run();
    assert_eq!(code, 1, "{r}");
    assert!(
        line(&r, "a missing key")
            .starts_with("✗ a missing key under `app`'s backend session: answers 403, not 404"),
        "{r}"
    );
    assert!(
        fix(&r, "a missing key").starts_with("allow s3:ListBucket on arn:aws:s3:::doctor-state"),
        "{r}"
    );
    // A lock that cannot be written.
    lab.proxy.set(vec![Rule {
        method: "PUT",
        needle: ".tflock",
        status: "403 Forbidden",
        body: S3_DENIED,
    }]);
    let (code, r) = lab.run();
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        line(&r, "lock file"),
        "✗ lock file under `app`'s backend session: PutObject answered HTTP 403: terraform could not take its lock"
    );
    // A lock held by a running terraform is left alone.
    lab.proxy.set(vec![]);
    lab.moto.put_object(
        "doctor-state",
        "app/terraform.tfstate.tflock",
        b"{\"ID\":\"someone\"}",
    );
    let (code, r) = lab.run();
    assert_eq!(code, 0, "{r}");
    assert!(line(&r, "a missing key").starts_with("– "), "{r}");
    assert_eq!(
        lab.moto
            .get_object("doctor-state", "app/terraform.tfstate.tflock")
            .as_deref(),
        Some(&b"{\"ID\":\"someone\"}"[..]),
        "a held lock is never touched"
    );
    assert!(
        !lab.root.path().join("cache").exists(),
        "doctor writes no cache"
    );
    lab.aws(&["s3", "rm", "s3://doctor-state/app/terraform.tfstate.tflock"]);

    // Everything passes.
    let (code, r) = lab.run();
    assert_eq!(code, 0, "{r}");
    assert!(r.lines().all(|l| l.starts_with("✓ ")), "{r}");
    assert_eq!(r.lines().count(), 12, "{r}");
    let out = lab.doctor(&["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 12);
    assert!(checks.iter().all(|c| c["status"] == "ok"), "{v}");

    // No base identity: said so, with the fix, and nothing else is tried.
    let out = lab
        .doctor(&[])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let r = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{r}");
    assert!(
        line(&r, "base identity")
            .starts_with("✗ base identity: no base credentials to assume `any role` with"),
        "{r}"
    );
    assert!(
        fix(&r, "base identity").starts_with("set AWS_ACCESS_KEY_ID"),
        "{r}"
    );
    assert!(
        !r.lines().any(|l| l[4..].starts_with("assume ")),
        "no role is tried:\n{r}"
    );
}
