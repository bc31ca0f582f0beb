//! Errors a user can act on: no SDK `Debug` structures in normal output,
//! the default chain's attempts in words, and an STS endpoint that is not
//! STS named with what answered.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

use tfroles_testsupport::{free_port, scrub_aws_env};

const BIN: &str = env!("CARGO_BIN_EXE_tfroles");
const ROLE: &str = "arn:aws:iam::111111111111:role/x";

/// `credential-process --role-arn ROLE` with nothing but what `vars` set.
fn run(vars: &[(&str, &str)]) -> Output {
    let root = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    scrub_aws_env(&mut cmd);
    cmd.args(["credential-process", "--role-arn", ROLE])
        .env_remove("RUST_LOG")
        .env("HOME", root.path())
        .env("TFROLES_CACHE_DIR", root.path().join("cache"))
        .env("TFROLES_BUDGET", "20s")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What the SDK's `Debug` forms and log lines look like.
fn assert_no_sdk_internals(err: &str) {
    for internal in [
        "CredentialsNotLoaded",
        "ProviderAttempt",
        "DispatchFailure(",
        "ConnectorError",
        "{ source",
        "\\u{a}",
        "WARN",
    ] {
        assert!(!err.contains(internal), "`{internal}` in:\n{err}");
    }
}

#[test]
fn no_base_credentials_lists_the_sources_tried_in_words() {
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(6));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "error: no base credentials to assume `{ROLE}` with\n  tried: the default credential chain, in order:\n    - keys in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): "
        )),
        "{err}"
    );
    for words in [
        "\n    - a profile (AWS_PROFILE, else `default`) in AWS_CONFIG_FILE",
        "\n    - the EC2 instance metadata service: ",
        "\n  hint: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
    ] {
        assert!(err.contains(words), "{words:?} in:\n{err}");
    }
    assert_no_sdk_internals(&err);
}

/// An HTTP server that answers every request with `status` and `body`.
fn impostor(status: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nServer: impostor/1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn an_endpoint_that_is_not_sts_is_named_with_what_answered() {
    for (status, body) in [
        ("200 OK", "<html><body>Welcome to nginx!</body></html>"),
        ("404 Not Found", "<html><body>no such page</body></html>"),
    ] {
        let url = impostor(status, body);
        let out = run(&[
            ("AWS_ENDPOINT_URL_STS", &url),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE000000001"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(7), "{status}: {err}");
        let code = &status[..3];
        assert!(
            err.starts_with(&format!(
                "error: cannot reach STS at {url}: something answered that is not STS (HTTP {code}, content-type: text/html, server: impostor/1.0, body starting `{body}`); is the endpoint's URL or port right?\n  hint: "
            )),
            "{status}: {err}"
        );
        assert_no_sdk_internals(&err);
    }
}

#[test]
fn an_unreachable_endpoint_is_named_without_the_sdks_structures() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = run(&[
        ("AWS_ENDPOINT_URL_STS", &url),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE000000001"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(
        err.starts_with(&format!("error: cannot reach STS at {url}: ")),
        "{err}"
    );
    assert!(err.contains("Connection refused"), "{err}");
    assert_no_sdk_internals(&err);
}

/// tfroles's own warnings read `warning: ...` without `-v`; with `-v` the
/// log lines (the SDK's included) come back.
#[cfg(unix)]
#[test]
fn warnings_are_words_and_log_lines_need_verbose() {
    let lab = crate::server::Lab::new();
    let args = ["credential-process", "--role", "terraform-state"];
    let out = lab.tfroles(&args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let entry = lab.entries().pop().unwrap();
    let elsewhere = lab.root.path().join("elsewhere.json");
    std::fs::rename(&entry, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    let out = lab.tfroles(&args).output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.starts_with(
            "warning: ignoring a cache entry tfroles did not write; it will be replaced"
        ),
        "{err}"
    );
    // The entry is read before and after taking its lock; said once.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.lines().all(|l| l.starts_with("warning: ")), "{err}");
    assert!(err.contains(" error=it is a symbolic link"), "{err}");
    assert_no_sdk_internals(&err);
    let out = lab
        .tfroles(&[
            "-vv",
            "credential-process",
            "--role",
            "terraform-state",
            "--no-cache",
        ])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains(" INFO ") || err.contains(" DEBUG "), "{err}");
}
