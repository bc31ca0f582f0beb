//! docs/troubleshooting.md names every error variant the binary can print,
//! and nothing that no longer exists.

use std::collections::BTreeSet;

use tfroles_testsupport::workspace_root;

/// The variants of `enum NAME` in a source file, by reading it: the test
/// follows the code without the code having to list itself.
fn variants(file: &str, enum_name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(workspace_root().join(file)).unwrap();
    let start = text
        .find(&format!("enum {enum_name} {{"))
        .unwrap_or_else(|| panic!("no `enum {enum_name}` in {file}"));
    let body = &text[start..];
    let body = &body[..body.find("\n}").unwrap()];
    body.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("    ")?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let after = &rest[name.len()..];
            (name.starts_with(|c: char| c.is_ascii_uppercase())
                && (after.starts_with(" {") || after.starts_with('(') || after.starts_with(',')))
            .then_some(name)
        })
        .collect()
}

#[test]
fn every_error_variant_has_a_section_and_every_section_a_variant() {
    let mut expected = BTreeSet::new();
    for (file, enum_name, path) in [
        (
            "crates/tfroles-core/src/error.rs",
            "Error",
            "tfroles_core::Error",
        ),
        (
            "crates/tfroles-hcl/src/lib.rs",
            "Error",
            "tfroles_hcl::Error",
        ),
        (
            "crates/tfroles-creds/src/error.rs",
            "Error",
            "tfroles_creds::Error",
        ),
        ("crates/tfroles-cli/src/main.rs", "Exit", "tfroles::Exit"),
    ] {
        let v = variants(file, enum_name);
        assert!(!v.is_empty(), "found no variants of {path}");
        expected.extend(v.into_iter().map(|v| format!("{path}::{v}")));
    }
    // Error structs of the binary.
    let creds =
        std::fs::read_to_string(workspace_root().join("crates/tfroles-cli/src/creds.rs")).unwrap();
    for name in ["Usage", "Exec"] {
        assert!(
            creds.contains(&format!("pub struct {name}")),
            "tfroles::{name} is gone; update this test and the page"
        );
        expected.insert(format!("tfroles::{name}"));
    }

    let doc = std::fs::read_to_string(workspace_root().join("docs/troubleshooting.md")).unwrap();
    let mut documented = BTreeSet::new();
    for line in doc
        .lines()
        .filter(|l| l.starts_with("Variant: ") || l.starts_with("Variants: "))
    {
        for piece in line.split('`').skip(1).step_by(2) {
            if piece.starts_with("tfroles")
                && piece.contains("::")
                && !piece.contains(char::is_whitespace)
            {
                documented.insert(piece.to_owned());
            }
        }
    }
    let missing: Vec<_> = expected.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "docs/troubleshooting.md lacks a section for {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "docs/troubleshooting.md documents variants that no longer exist: {stale:?}"
    );
}
