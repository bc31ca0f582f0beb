//! Hints are data in every crate: each library error's `Display` is the
//! message only, and `hint()` (a diagnostic's `hint`, a value error's
//! `hint`) is where the hint is. The binary prints the message, then the
//! hint; the other modules of this target check that output byte for byte.
//!
//! Each error type is walked through a sample of its variants, built as the
//! crates build them; the hint each had inside its message before it became
//! data is expected from `hint()`.

use std::borrow::Cow;
use std::path::PathBuf;

/// One error: its message, and whether it has a hint.
struct Case {
    what: String,
    message: String,
    hint: Option<String>,
}

fn case(what: impl Into<String>, e: &dyn std::fmt::Display, hint: Option<Cow<'_, str>>) -> Case {
    Case {
        what: what.into(),
        message: e.to_string(),
        hint: hint.map(Cow::into_owned),
    }
}

/// Every message is hint-free; each hint is where it is expected (`true`)
/// or absent (`false`), and never empty.
#[track_caller]
fn check(cases: &[(Case, bool)]) {
    for (c, has_hint) in cases {
        assert!(
            !c.message.contains("hint:"),
            "{}: a hint in the message: {}",
            c.what,
            c.message
        );
        assert!(!c.message.is_empty(), "{}: no message", c.what);
        assert_eq!(
            c.hint.is_some(),
            *has_hint,
            "{}: hint {:?} (message: {})",
            c.what,
            c.hint,
            c.message
        );
        if let Some(h) = &c.hint {
            assert!(!h.trim().is_empty(), "{}: an empty hint", c.what);
            assert!(!h.starts_with("hint:"), "{}: {h}", c.what);
        }
    }
}

#[test]
fn policy_errors_keep_their_hints_out_of_the_message() {
    use tfroles_policy::{Catalog, Error, SizeLimit};
    let catalog = Catalog::get();
    let e = |what: &str, e: Error| case(what, &e, e.hint());
    check(&[
        (
            e(
                "unknown action, near one",
                catalog.resolve("s3:PutObjekt").unwrap_err(),
            ),
            true,
        ),
        (
            e(
                "unknown action, nothing near",
                catalog.resolve("s3:Xyzzyplugh").unwrap_err(),
            ),
            false,
        ),
        (
            e(
                "unknown service",
                Error::UnknownService {
                    prefix: "ec3".into(),
                    suggestion: Some("ec2".into()),
                },
            ),
            true,
        ),
        (
            e(
                "too large",
                Error::TooLarge {
                    limit: SizeLimit::SessionPolicy,
                    length: 3000,
                    max: 2048,
                },
            ),
            true,
        ),
        (
            e(
                "not JSON",
                tfroles_policy::PolicyDocument::from_json("{").unwrap_err(),
            ),
            false,
        ),
        (
            e(
                "no match",
                Error::NoMatch {
                    pattern: "s3:Nothing*".into(),
                },
            ),
            false,
        ),
    ]);
}

#[test]
fn core_errors_diagnostics_and_values_keep_their_hints_out_of_the_message() {
    use tfroles_core::edit::EditError;
    use tfroles_core::types::{AccountId, Region};
    use tfroles_core::{Config, Error, Refused};
    let e = |what: &str, e: Error| case(what, &e, e.hint());
    check(&[
        (
            e(
                "not found",
                Error::NotFound {
                    start: PathBuf::from("here"),
                },
            ),
            true,
        ),
        (
            e(
                "a link refused",
                Error::Io {
                    path: PathBuf::from("tfroles.hcl"),
                    source: Refused::io(
                        "it is a symbolic link, which tfroles does not follow",
                        "name the file it points to with `--config PATH`",
                    ),
                },
            ),
            true,
        ),
        (
            e(
                "the OS's error",
                Error::Io {
                    path: PathBuf::from("tfroles.hcl"),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                },
            ),
            false,
        ),
        (
            e(
                "an edit refused",
                Error::Edit {
                    file: PathBuf::from("tfroles.hcl"),
                    error: EditError {
                        message: "it changed".into(),
                        hint: Some("run the command again".into()),
                    },
                },
            ),
            true,
        ),
    ]);

    // An invalid config: the error has no hint of its own, each
    // diagnostic has its own; none is in a message.
    let invalid = Config::from_str(
        "account \"qa\" { id = \"33333333333\" }\nstate {\n  acount = \"qa\"\n}\nrole \"app\" {\n  accounts = [\"qa\"]\n  services = [\"ec3\"]\n}\n",
    )
    .unwrap_err();
    let diagnostics = invalid.diagnostics();
    assert!(diagnostics.len() >= 3, "{invalid}");
    let mut cases = vec![(case("invalid config", &invalid, invalid.hint()), false)];
    for d in diagnostics {
        let has = d.hint.is_some();
        cases.push((
            case(
                format!("diagnostic {d}"),
                d,
                d.hint.as_deref().map(Cow::Borrowed),
            ),
            has,
        ));
    }
    check(&cases);
    assert!(
        diagnostics.iter().filter(|d| d.hint.is_some()).count() >= 2,
        "the account id and the service prefix have hints: {diagnostics:?}"
    );

    // Values checked at the edge.
    let id = "33333333333".parse::<AccountId>().unwrap_err();
    let region = "US-EAST-1".parse::<Region>().unwrap_err();
    check(&[
        (
            case("account id", &id, id.hint.as_deref().map(Cow::Borrowed)),
            true,
        ),
        (
            case("region", &region, region.hint.as_deref().map(Cow::Borrowed)),
            true,
        ),
    ]);
}

#[test]
fn hcl_errors_keep_their_hints_out_of_the_message() {
    use tfroles_hcl::{Duplicate, Error, Finding};
    let e = |what: &str, e: Error| case(what, &e, e.hint());
    check(&[
        (
            e(
                "hand-written",
                Error::HandWritten {
                    files: vec![("a/backend.tf".into(), None)],
                },
            ),
            true,
        ),
        (
            e(
                "unsafe",
                Error::Unsafe {
                    problems: vec![("a".into(), "is a symbolic link".into())],
                },
            ),
            true,
        ),
        (
            e(
                "duplicate",
                Error::Duplicate {
                    blocks: vec![Duplicate {
                        file: "a/main.tf".into(),
                        line: 1,
                        block: "backend \"s3\"".into(),
                        generated: "a/backend.tf".into(),
                        stale: false,
                    }],
                },
            ),
            true,
        ),
        (
            e(
                "changed",
                Error::Changed {
                    path: "a/backend.tf".into(),
                    what: "was created by someone else since tfroles looked".into(),
                },
            ),
            true,
        ),
        (
            e(
                "handover",
                Error::Handover {
                    refused: vec![("a/main.tf".into(), 3, "a comment inside".into())],
                },
            ),
            true,
        ),
        (
            e(
                "nothing to import",
                Error::NothingToImport {
                    dir: PathBuf::from("."),
                    report: vec![Finding {
                        file: "a/main.tf".into(),
                        line: 1,
                        message: "no backend".into(),
                    }],
                },
            ),
            false,
        ),
        (
            e(
                "a config error inside",
                Error::Config(tfroles_core::Error::NotFound {
                    start: PathBuf::from("."),
                }),
            ),
            true,
        ),
    ]);
}

#[test]
fn credential_errors_keep_their_hints_out_of_the_message() {
    use tfroles_creds::Error;
    let arn = "arn:aws:iam::111111111111:role/app";
    let e = |what: &str, e: Error| case(what, &e, e.hint());
    check(&[
        (
            e(
                "cache",
                Error::Cache {
                    path: PathBuf::from("cache"),
                    reason: "others can write to it".into(),
                    hint: "run `chmod 700`".into(),
                },
            ),
            true,
        ),
        (
            e(
                "web identity",
                Error::WebIdentity {
                    source_name: "github".into(),
                    reason: "no token".into(),
                    hint: "add `id-token: write`".into(),
                },
            ),
            true,
        ),
        (
            e(
                "no base credentials",
                Error::NoBaseCredentials {
                    role_arn: arn.into(),
                    tried: "the environment".into(),
                },
            ),
            true,
        ),
        (
            e(
                "expired",
                Error::ExpiredBaseCredentials {
                    source_name: "the environment".into(),
                    access_key_id: "AKIAEXAMPLE".into(),
                },
            ),
            true,
        ),
        (
            e(
                "access denied",
                Error::AccessDenied {
                    role_arn: arn.into(),
                    caller: "me".into(),
                    message: "not authorized".into(),
                    external_id: false,
                    web_identity: true,
                },
            ),
            true,
        ),
        (
            e(
                "chained",
                Error::ChainedDuration {
                    role_arn: arn.into(),
                    via: "arn:aws:iam::111111111111:role/hub".into(),
                    duration: "2h".into(),
                },
            ),
            true,
        ),
        (
            e(
                "endpoint",
                Error::Endpoint {
                    service: "sts".into(),
                    endpoint: "https://sts.amazonaws.com".into(),
                    detail: "timed out".into(),
                },
            ),
            true,
        ),
        (
            e(
                "s3",
                Error::S3 {
                    location: "s3://b/k".into(),
                    reason: "AccessDenied".into(),
                    hint: "grant s3:GetObject".into(),
                },
            ),
            true,
        ),
        (e("server", Error::Server("no port".into())), true),
        (
            e(
                "mfa",
                Error::Mfa {
                    serial: "arn:aws:iam::111111111111:mfa/me".into(),
                    reason: "no code".into(),
                },
            ),
            false,
        ),
        (
            e(
                "a config error inside",
                Error::Config(tfroles_core::Error::NotFound {
                    start: PathBuf::from("."),
                }),
            ),
            true,
        ),
    ]);
}

#[test]
fn trail_errors_keep_their_hints_out_of_the_message() {
    use tfroles_trail::Error;
    let path = || PathBuf::from("AWSLogs/x.json.gz");
    let e = |what: &str, e: Error| case(what, &e, e.hint());
    check(&[
        (
            e(
                "io",
                Error::Io {
                    path: path(),
                    reason: "permission denied".into(),
                },
            ),
            false,
        ),
        (
            e(
                "too large",
                Error::TooLarge {
                    path: path(),
                    what: "the file".into(),
                    limit: 1,
                },
            ),
            true,
        ),
        (
            e(
                "ratio",
                Error::Ratio {
                    path: path(),
                    compressed: 10,
                    ratio: 100,
                },
            ),
            true,
        ),
        (
            e(
                "parse",
                Error::Parse {
                    path: path(),
                    line: 1,
                    column: 2,
                    record: Some(0),
                    reason: "expected `,`".into(),
                },
            ),
            true,
        ),
        (
            e("not cloudtrail", Error::NotCloudTrail { path: path() }),
            true,
        ),
        (
            e(
                "since",
                Error::Since {
                    value: "yesterday".into(),
                },
            ),
            true,
        ),
    ]);
}

/// No library's source writes a hint into a message any more: no string
/// literal of a library crate (tests aside) holds `\n  hint:` or
/// `\nhint:`; the binary's `failure.rs` is the one place that does.
#[test]
fn no_library_source_writes_a_hint_into_a_message() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                // Libraries only: the binary prints, the test helpers compare.
                if !(rel == "tfroles-cli"
                    || rel == "tfroles-testsupport"
                    || rel == "tfroles-docs"
                    || rel.ends_with("/tests"))
                {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests at the end of a file may print as the binary does.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, line) in code.lines().enumerate() {
                if line.contains("\\n  hint:") || line.contains("\\nhint:") {
                    found.push(format!("{rel}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    // The credentials endpoint answers the child's SDK itself: nobody else
    // prints that error, so it composes message and hint there.
    found.retain(|l| !l.starts_with("tfroles-creds/src/server.rs:"));
    assert!(
        found.is_empty(),
        "hints written into messages:\n{}",
        found.join("\n")
    );
}
