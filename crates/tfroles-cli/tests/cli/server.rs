//! `tfroles exec --server`: the command's AWS SDK fetches its credentials
//! from tfroles's loopback endpoint (the container-credentials protocol),
//! which renews them from the shared cache. Run against moto, with the AWS
//! CLI, botocore, a plain HTTP client and terraform's s3 backend.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pretty_assertions::assert_eq;
use serde_json::Value;
use tfroles_testsupport::{Moto, python_env, terraform};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");
const BASE_KEY: &str = "AKIDSERVERBASE000001";
const BASE_SECRET: &str = "server+Base/Secret0xZQJ7dNWfKbVq4hRsTc1";

const CONFIG: &str = r#"
defaults {
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
  account     = "shared"
  external_id = "tf-state"
}
"#;

pub(crate) struct Lab {
    pub moto: Moto,
    pub root: tempfile::TempDir,
}

impl Lab {
    pub fn new() -> Lab {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("work")).unwrap();
        fs::create_dir(root.path().join("home")).unwrap();
        fs::write(root.path().join("work/tfroles.hcl"), CONFIG).unwrap();
        Lab {
            moto: Moto::start(),
            root,
        }
    }

    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    pub fn cache(&self) -> PathBuf {
        self.root.path().join("cache")
    }

    /// `CMD` pointed at moto with the base keys, a private HOME and cache.
    pub fn isolated(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        self.moto.apply_env(&mut cmd);
        cmd.env_remove("RUST_LOG")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("TFROLES_CONFIG")
            .env("HOME", self.root.path().join("home"))
            .env("TFROLES_CACHE_DIR", self.cache())
            .env("AWS_ACCESS_KEY_ID", BASE_KEY)
            .env("AWS_SECRET_ACCESS_KEY", BASE_SECRET)
            .current_dir(self.work())
            .stdin(Stdio::null());
        cmd
    }

    pub fn tfroles(&self, args: &[&str]) -> Command {
        let mut cmd = self.isolated(BIN);
        cmd.args(args);
        cmd
    }

    pub fn sts_calls(&self) -> usize {
        self.moto.assumed_roles().len()
    }

    pub fn entries(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = fs::read_dir(self.cache())
            .map(|d| {
                d.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Rewrites an entry's Expiration to `secs` from now, as the cache writes
/// (a whole file renamed over the entry): the session's clock, moved.
pub(crate) fn expire_in(entry: &Path, secs: i64) {
    let mut v: Value = serde_json::from_slice(&fs::read(entry).unwrap()).unwrap();
    let at = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() + secs).unwrap();
    v["Expiration"] = at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string().into();
    let tmp = entry.with_file_name(".test-expire.tmp");
    fs::write(&tmp, serde_json::to_vec(&v).unwrap()).unwrap();
    fs::rename(&tmp, entry).unwrap();
}

#[test]
fn the_aws_cli_and_botocore_read_their_credentials_from_it() {
    let lab = Lab::new();
    let aws = python_env().bin("aws");
    let out = lab
        .tfroles(&["exec", "--server", "--role", "terraform-state", "--"])
        .arg(&aws)
        .args(["sts", "get-caller-identity", "--output", "json"])
        .env("AWS_PAGER", "")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id: Value = serde_json::from_slice(&out.stdout).unwrap();
    let assumed = lab.moto.assumed_roles();
    assert_eq!(assumed.len(), 1);
    assert_eq!(id["Arn"], assumed[0].arn.as_str());
    assert!(
        assumed[0]
            .arn
            .starts_with("arn:aws:sts::111111111111:assumed-role/terraform-state/"),
        "{}",
        assumed[0].arn
    );

    let script = "import botocore.session\n\
                  c = botocore.session.get_session().get_credentials()\n\
                  f = c.get_frozen_credentials()\n\
                  print(c.method, f.access_key, f.token == None)\n";
    let out = lab
        .tfroles(&["exec", "--server", "--role", "terraform-state", "--"])
        .arg(python_env().python())
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("container-role {} False\n", assumed[0].access_key_id)
    );
    assert_eq!(
        lab.sts_calls(),
        1,
        "the second run was served from the cache"
    );
    assert!(!text(&out.stderr).contains(&assumed[0].session_token));
}

/// The child: prints the endpoint and what it inherited, then for each
/// line on stdin asks the endpoint (`get` with the token, `none` without,
/// `wrong` with another) and prints the status and the key id or error.
const CHILD: &str = r#"
import json, os, sys, urllib.request, urllib.error
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
tok = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
print("url", url, flush=True)
print("keys", os.environ.get("AWS_ACCESS_KEY_ID", "unset"), os.environ.get("AWS_SECRET_ACCESS_KEY", "unset"), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    hdr = {} if cmd == "none" else {"Authorization": tok if cmd == "get" else "wrong"}
    try:
        r = urllib.request.urlopen(urllib.request.Request(url, headers=hdr), timeout=30)
        body = json.load(r)
        print(r.status, body["AccessKeyId"], body["Expiration"], flush=True)
    except urllib.error.HTTPError as e:
        print(e.code, json.load(e)["message"], flush=True)
sys.exit(5)
"#;

struct Child {
    process: std::process::Child,
    input: std::process::ChildStdin,
    output: BufReader<std::process::ChildStdout>,
}

impl Child {
    fn ask(&mut self, what: &str) -> String {
        writeln!(self.input, "{what}").unwrap();
        self.input.flush().unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }
}

fn spawn(lab: &Lab, extra: &[&str]) -> (Child, String) {
    let mut cmd = lab.tfroles(&["exec", "--server", "--role", "terraform-state"]);
    cmd.args(extra)
        .arg("--")
        .arg(python_env().python())
        .args(["-c", CHILD])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut process = cmd.spawn().unwrap();
    let input = process.stdin.take().unwrap();
    let mut output = BufReader::new(process.stdout.take().unwrap());
    let mut url = String::new();
    output.read_line(&mut url).unwrap();
    let url = url
        .trim_end()
        .strip_prefix("url ")
        .unwrap_or_else(|| panic!("{url}"))
        .to_owned();
    let mut child = Child {
        process,
        input,
        output,
    };
    let mut keys = String::new();
    child.output.read_line(&mut keys).unwrap();
    assert_eq!(keys, "keys unset unset\n", "no fixed keys reach the child");
    (child, url)
}

#[test]
fn a_run_outliving_its_session_gets_the_next_and_only_the_token_is_served() {
    let lab = Lab::new();
    let (mut child, url) = spawn(&lab, &[]);
    let host = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("loopback only: {url}"));
    let (port, path) = host.split_once('/').unwrap();
    assert_eq!(path.len(), 32, "a random path: {url}");

    let first = child.ask("get");
    assert!(first.starts_with("200 "), "{first}");
    for _ in 0..3 {
        assert_eq!(child.ask("get"), first);
    }
    assert_eq!(lab.sts_calls(), 1, "one session for every request");

    // The session is about to end (five minutes left, inside the refresh
    // window): the next request gets a new session, once.
    let entries = lab.entries();
    assert_eq!(entries.len(), 1);
    expire_in(&entries[0], 300);
    let second = child.ask("get");
    assert!(second.starts_with("200 "), "{second}");
    assert_ne!(second.split(' ').nth(1), first.split(' ').nth(1));
    for _ in 0..3 {
        assert_eq!(child.ask("get"), second);
    }
    assert_eq!(
        lab.sts_calls(),
        2,
        "one STS call for the new session, not one per request"
    );
    let assumed = lab.moto.assumed_roles();
    assert_eq!(
        Some(assumed[1].access_key_id.as_str()),
        second.split(' ').nth(1)
    );

    let refused = child.ask("none");
    assert!(
        refused.starts_with("401 no Authorization header"),
        "{refused}"
    );
    assert_eq!(child.ask("wrong"), "403 wrong authorization token");

    drop(child.input);
    let status = child.process.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(5),
        "tfroles exits with the command's code"
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.process.stderr.take().unwrap(), &mut stderr).unwrap();
    for a in &assumed {
        assert!(!stderr.contains(&a.session_token), "{stderr}");
        assert!(!stderr.contains(&a.secret_access_key), "{stderr}");
    }
    assert!(
        TcpStream::connect(format!("127.0.0.1:{port}")).is_err(),
        "the endpoint stops with the command"
    );
}

#[test]
fn without_the_cache_the_session_is_kept_in_memory() {
    let lab = Lab::new();
    let (mut child, _) = spawn(&lab, &["--no-cache"]);
    let first = child.ask("get");
    assert!(first.starts_with("200 "), "{first}");
    assert_eq!(child.ask("get"), first);
    assert_eq!(lab.sts_calls(), 1);
    assert!(lab.entries().is_empty(), "nothing written to the cache");
    drop(child.input);
    assert_eq!(child.process.wait().unwrap().code(), Some(5));
}

#[test]
fn terraform_s3_backend_runs_init_apply_destroy_through_it() {
    let lab = Lab::new();
    lab.moto.create_bucket("acme-terraform-state");
    let stack = lab.work().join("app");
    fs::create_dir(&stack).unwrap();
    // A plain backend: its credentials come from the environment, which
    // holds only the endpoint.
    fs::write(
        stack.join("main.tf"),
        format!(
            "terraform {{\n  backend \"s3\" {{\n    bucket         = \"acme-terraform-state\"\n    key            = \"app/terraform.tfstate\"\n    region         = \"us-east-1\"\n    use_lockfile   = true\n    use_path_style = true\n    endpoints = {{\n      s3  = \"{e}\"\n      sts = \"{e}\"\n    }}\n    skip_credentials_validation = true\n    skip_requesting_account_id  = true\n    skip_metadata_api_check     = true\n  }}\n}}\n\nresource \"terraform_data\" \"x\" {{\n  input = \"hello\"\n}}\n\noutput \"x\" {{\n  value = terraform_data.x.output\n}}\n",
            e = lab.moto.endpoint()
        ),
    )
    .unwrap();
    let tf = |args: &[&str]| {
        let base = terraform();
        let mut cmd = lab.tfroles(&["exec", "--server", "--role", "terraform-state", "--"]);
        cmd.arg(base.get_program())
            .args(base.get_args())
            .args(args)
            .current_dir(&stack);
        for (k, v) in base.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "terraform {args:?}:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    };
    tf(&["init", "-input=false"]);
    tf(&["apply", "-auto-approve", "-input=false"]);
    let state = lab
        .moto
        .get_object("acme-terraform-state", "app/terraform.tfstate")
        .expect("the state landed");
    let state: Value = serde_json::from_slice(&state).unwrap();
    assert_eq!(state["outputs"]["x"]["value"], "hello");
    tf(&["destroy", "-auto-approve", "-input=false"]);
    assert_eq!(lab.sts_calls(), 1, "three runs, one session from the cache");
}

#[cfg(unix)]
#[test]
fn sigterm_to_tfroles_reaches_the_command_and_its_code_is_kept() {
    let lab = Lab::new();
    let script = "import signal, sys, time\n\
                  def stop(n, f):\n    print('stopping on', n, flush=True)\n    sys.exit(3)\n\
                  signal.signal(signal.SIGTERM, stop)\n\
                  print('ready', flush=True)\n\
                  time.sleep(60)\n";
    let mut child = lab
        .tfroles(&["exec", "--server", "--role", "terraform-state", "--"])
        .arg(python_env().python())
        .args(["-c", script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    // SAFETY: signalling a child of this test.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, format!("stopping on {}\n", libc::SIGTERM));
    assert_eq!(status.code(), Some(3), "tfroles waited and kept the code");
}
