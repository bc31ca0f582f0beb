//! Arbitrary strings in every place a user's text reaches a generated file
//! (stack directories, key prefixes, session tags) must come out canonical
//! and come back unchanged.

use std::fs;
use std::sync::Mutex;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::Value;
use tfroles_core::{Config, DefaultsBuilder, RoleBuilder, StackBuilder, StateBuilder};
use tfroles_hcl::writer::quote;
use tfroles_testsupport::{terraform, terraform_fmt_stdin};

/// Characters that stress escaping and alignment: template markers, quotes,
/// backslashes, multi-byte and wide characters, combining marks.
fn tricky() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("${".to_owned()),
        Just("%{".to_owned()),
        Just("$${".to_owned()),
        Just("}".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("\\n".to_owned()),
        Just("é".to_owned()),
        Just("日本".to_owned()),
        Just("🦀".to_owned()),
        Just("e\u{301}".to_owned()),
        Just(" ".to_owned()),
        "[a-z0-9._-]{1,4}",
        "\\PC{1,3}",
    ];
    prop::collection::vec(pieces, 1..8).prop_map(|v| v.concat())
}

fn tag_text() -> impl Strategy<Value = String> {
    // STS allows letters, digits and spaces of any script, and `_.:/=+-@`.
    "[\\p{L}\\p{N} _.:/=+@-]{1,12}"
}

fn config(prefix: &str, stack: &str, tags: &[(String, String)]) -> Option<Config> {
    let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Config::builder()
        .defaults(DefaultsBuilder::new().region("us-east-1"))
        .account("shared", "111111111111")
        .state(StateBuilder::new("shared", "state-bucket", "terraform-state").key_prefix(prefix))
        .role(RoleBuilder::new("terraform-state").account("shared"))
        .role(RoleBuilder::new("app").account("shared").tags(&tags))
        .stack(StackBuilder::new(stack, "shared", "app"))
        .build()
        .ok()
}

fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

/// Strings whose round trip through terraform is checked in one batch at
/// the end, since a terraform run costs about a second.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_files_are_canonical_and_read_back_exactly(
        prefix in tricky(),
        stack in tricky(),
        tags in prop::collection::vec((tag_text(), tag_text()), 0..4),
    ) {
        let Some(config) = config(&prefix, &stack, &tags) else {
            // The model refused the input (say, a control character or a
            // duplicate tag key); its own tests cover refusals.
            return Ok(());
        };
        let stacks = config.resolve(&[]).unwrap().stacks;
        for f in tfroles_hcl::generate(&config, &stacks).unwrap() {
            prop_assert_eq!(terraform_fmt_stdin(&f.contents), f.contents.clone(), "{} is not canonical", f.path);
            let v: Value = hcl::from_str(&f.contents).unwrap();
            if f.path.ends_with("backend.tf") {
                prop_assert_eq!(
                    v["terraform"]["backend"]["s3"]["key"].as_str().unwrap(),
                    nfc(&format!("{prefix}/{stack}/terraform.tfstate"))
                );
            } else {
                let want: serde_json::Map<String, Value> =
                    tags.iter().map(|(k, v)| (nfc(k), Value::String(nfc(v)))).collect();
                let got = v["provider"]["aws"]["assume_role"].get("tags").cloned().unwrap_or(Value::Object(Default::default()));
                prop_assert_eq!(got, Value::Object(want));
            }
        }
        let mut seen = SEEN.lock().unwrap();
        seen.push(prefix);
        seen.push(stack);
        seen.extend(tags.into_iter().flat_map(|(k, v)| [k, v]));
    }
}

/// terraform itself reads every string back: each becomes an output whose
/// value is written with the same quoting the generated files use.
#[test]
fn terraform_reads_quoted_strings_back_exactly() {
    let mut strings: Vec<String> = vec![
        "${x}".into(),
        "%{ if true }x%{ endif }".into(),
        "$${already}".into(),
        "a\"b\\c".into(),
        "tab\tnew\nline".into(),
        "\u{1}\u{7f}".into(),
        "日本 🦀 e\u{301}".into(),
    ];
    // Generate a fresh batch here too, so this test stands alone.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..60 {
        strings.push(tricky().new_tree(&mut runner).unwrap().current());
    }
    strings.extend(SEEN.lock().unwrap().iter().cloned());

    let dir = tempfile::tempdir().unwrap();
    let mut tf = String::new();
    for (i, s) in strings.iter().enumerate() {
        tf.push_str(&format!(
            "output \"o{i}\" {{\n  value = {}\n}}\n\n",
            quote(s)
        ));
    }
    fs::write(dir.path().join("main.tf"), &tf).unwrap();
    for args in [
        &["init", "-input=false"][..],
        &["apply", "-auto-approve", "-input=false"],
    ] {
        let out = terraform()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "terraform {args:?}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = terraform()
        .current_dir(dir.path())
        .args(["output", "-json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (i, s) in strings.iter().enumerate() {
        // HCL reads every literal in NFC; `quote` writes it so.
        assert_eq!(
            outputs[format!("o{i}")]["value"].as_str(),
            Some(nfc(s).as_str()),
            "string {i}: {s:?}"
        );
    }
}
