//! Every rule of the config loader, with the exact message users see:
//! `tfroles.hcl:LINE:COL: in block `...`, attribute `...`: what is wrong`,
//! then `allowed:` and `hint:` lines. The hint is data (`Diagnostic::hint`,
//! `Error::hint`), never in an error's `Display`; [`shown`] puts the two
//! together as the binary prints them.

mod support;

use std::path::Path;

use indoc::indoc;
use pretty_assertions::assert_eq;
use support::{shown, shown_diagnostic};
use tfroles_core::types::StackPath;
use tfroles_core::{
    Config, DefaultsBuilder, Error, Partition, RoleBuilder, StackBuilder, StackPattern,
    StateBuilder,
};

/// A small valid config. Line numbers matter to every test below:
/// account "qa" is on line 7, state on 10, role "app" on 18, the stack on 21,
/// and text appended with [`append`] starts on line 25.
const BASE: &str = indoc! {r#"
    defaults {
      region = "us-west-2"
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
      account = "shared"
    }
    role "app" {
      accounts = ["qa"]
    }
    stack "qa/app" {
      account = "qa"
      role    = "app"
    }
"#};

/// BASE with each `from` (which must occur exactly once) replaced.
fn edit(edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_owned();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
        text = text.replacen(from, to, 1);
    }
    text
}

/// BASE with more text after it, starting on line 25.
fn append(extra: &str) -> String {
    format!("{BASE}{extra}")
}

/// The full error message for `text`, which must be rejected.
#[track_caller]
fn err(text: &str) -> String {
    match Config::from_str(text) {
        Ok(_) => panic!("accepted, but should not be:\n{text}"),
        Err(e) => shown(&e),
    }
}

#[track_caller]
fn assert_err(text: &str, expected: &str) {
    assert_eq!(err(text), expected);
}

#[test]
fn base_is_valid() {
    Config::from_str(BASE).unwrap();
    assert_eq!(BASE.lines().count(), 24);
}

// ---------------------------------------------------------------- syntax

#[test]
fn unclosed_brace_points_at_the_end_of_the_text() {
    assert_err(
        "account \"a\" {\n  id = \"111111111111\"\n",
        indoc! {r#"
        tfroles.hcl:2:22: this is not valid HCL: the file ends too early: invalid block body; expected `}`, newline or identifier
          hint: a block, list, object or string is not closed: check for a missing `}`, `]` or `"`"#},
    );
    assert_err(
        "account \"a\" {\n  id = \"111111111111\"",
        indoc! {r#"
        tfroles.hcl:2:22: this is not valid HCL: the file ends too early: invalid block body; expected `}`, newline or identifier
          hint: a block, list, object or string is not closed: check for a missing `}`, `]` or `"`"#},
    );
    assert_err(
        "role \"a\" {\n  accounts = [\"qa\"\n}\n",
        indoc! {r#"
        tfroles.hcl:3:1: this is not valid HCL: expected `]`
          hint: tfroles.hcl is HCL, like Terraform files: `name = "value"` attributes inside `kind "label" { ... }` blocks"#},
    );
}

#[test]
fn garbage_is_not_hcl() {
    assert_err(
        "this is not hcl at all ]]]\n",
        indoc! {r#"
        tfroles.hcl:1:24: this is not valid HCL: expected `{`
          hint: tfroles.hcl is HCL, like Terraform files: `name = "value"` attributes inside `kind "label" { ... }` blocks"#},
    );
    assert_err(
        "@@@",
        indoc! {r#"
        tfroles.hcl:1:1: this is not valid HCL: unexpected token
          hint: tfroles.hcl is HCL, like Terraform files: `name = "value"` attributes inside `kind "label" { ... }` blocks"#},
    );
    assert_err(
        "account \"a\" {\n  id: \"111111111111\"\n}\n",
        indoc! {r#"
        tfroles.hcl:2:5: this is not valid HCL: invalid structure; expected `{`, `=`, `"` or identifier
          hint: tfroles.hcl is HCL, like Terraform files: `name = "value"` attributes inside `kind "label" { ... }` blocks"#},
    );
}

#[test]
fn an_attribute_set_twice_is_a_syntax_error() {
    assert_err(
        &edit(&[(
            "  region = \"us-west-2\"\n",
            "  region = \"us-west-2\"\n  region = \"us-east-1\"\n",
        )]),
        indoc! {r#"
            tfroles.hcl:3:3: this is not valid HCL: invalid attribute; expected unique attribute key; found redefined attribute
              hint: tfroles.hcl is HCL, like Terraform files: `name = "value"` attributes inside `kind "label" { ... }` blocks"#},
    );
}

#[test]
fn non_utf8_files_are_rejected_with_the_position_of_the_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tfroles.hcl");
    std::fs::write(&path, b"account \"a\" {\n  id = \"\xff\"\n}\n").unwrap();
    let e = Config::from_path(&path).unwrap_err();
    assert_eq!(
        shown(&e),
        format!(
            "{}:2:9: the file is not valid UTF-8\n  hint: save tfroles.hcl as UTF-8",
            path.display()
        )
    );
    // Columns count characters, not bytes.
    std::fs::write(
        &path,
        "# é\u{e9}\n# ü\u{fc}"
            .as_bytes()
            .iter()
            .copied()
            .chain([0xc3, b'\n'])
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let e = Config::from_path(&path).unwrap_err();
    assert_eq!(
        shown(&e),
        format!(
            "{}:2:5: the file is not valid UTF-8\n  hint: save tfroles.hcl as UTF-8",
            path.display()
        )
    );
}

#[test]
fn from_path_names_the_file_and_reports_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tfroles.hcl");
    let e = Config::from_path(&path).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert!(
        e.to_string()
            .starts_with(&format!("cannot read `{}`: ", path.display())),
        "{e}"
    );

    std::fs::write(&path, "stack \"a\" {}\n").unwrap();
    let e = Config::from_path(&path).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}: there is no `state` block", path.display())),
        "{e}"
    );

    let cfg = dir.path().join("sub").join("tfroles.hcl");
    std::fs::create_dir(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, BASE).unwrap();
    let config = Config::from_path(&cfg).unwrap();
    assert_eq!(config.root(), cfg.parent().unwrap());
    assert_eq!(config.file(), cfg);
}

#[test]
fn a_utf8_byte_order_mark_is_not_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tfroles.hcl");
    std::fs::write(&path, format!("\u{feff}{BASE}")).unwrap();
    let config = Config::from_path(&path).unwrap();
    assert_eq!(config.stacks().len(), 1);
    // Positions stay those an editor shows (it hides the mark).
    std::fs::write(&path, "\u{feff}stack \"a\" {}\n").unwrap();
    let e = Config::from_path(&path).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}: there is no `state` block", path.display())),
        "{e}"
    );
}

#[test]
fn the_config_is_read_only_as_a_regular_file_never_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tfroles.hcl");
    // A FIFO: reading would wait for a writer forever.
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let e = Config::from_path(&path).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "cannot read `{}`: it is not a regular file (a directory, FIFO, socket or device)",
            path.display()
        )
    );
    std::fs::remove_file(&path).unwrap();

    let real = dir.path().join("real.hcl");
    std::fs::write(&real, BASE).unwrap();
    std::os::unix::fs::symlink(&real, &path).unwrap();
    let e = Config::from_path(&path).unwrap_err();
    assert_eq!(
        shown(&e),
        format!(
            "cannot read `{}`: it is a symbolic link, which tfroles does not follow\n  hint: name the file it points to with `--config PATH`",
            path.display()
        )
    );
    std::fs::remove_file(&path).unwrap();

    // Bounded: a sparse file just over the limit is refused unread.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(tfroles_core::MAX_CONFIG_BYTES + 1).unwrap();
    let e = Config::from_path(&path).unwrap_err();
    assert!(e.to_string().contains("more than the"), "{e}");
}

#[test]
fn bidirectional_controls_are_refused_in_labels_and_stack_paths() {
    assert_err(
        &append("role \"ops\u{202e}nimda\" {\n  accounts = [\"qa\"]\n}\n"),
        "tfroles.hcl:25:1: in block `role \"ops\\u{202e}nimda\"`: the label contains the bidirectional control character U+202E, which makes it display differently from what it is\n  \
         allowed: labels without bidirectional control characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)\n  \
         hint: retype the label; if it came from a paste, the invisible character came with it",
    );
    let e = err(&edit(&[("stack \"qa/app\"", "stack \"qa/\u{2067}app\"")]));
    assert!(e.starts_with("tfroles.hcl:21:1: in block `stack \"qa/\\u{2067}app\"`: the label contains the bidirectional control character U+2067"), "{e}");
    let long = format!("qa/{}", "x".repeat(256));
    let e = long.parse::<StackPath>().unwrap_err();
    assert!(
        e.message
            .ends_with("a part is 256 bytes long, and file systems allow 255"),
        "{}",
        e.message
    );
    assert!(
        format!("qa/{}", "x".repeat(255))
            .parse::<StackPath>()
            .is_ok()
    );
    let e = "qa/\u{202e}ppa".parse::<StackPath>().unwrap_err();
    assert!(
        e.message.contains("bidirectional control character"),
        "{}",
        e.message
    );
}

#[test]
fn find_looks_in_parents_and_says_where_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a").join("b");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(dir.path().join("a").join("tfroles.hcl"), BASE).unwrap();
    assert_eq!(
        Config::find(&deep).unwrap(),
        dir.path().join("a").join("tfroles.hcl")
    );
    let other = tempfile::tempdir().unwrap();
    let e = Config::find(other.path());
    // A tfroles.hcl above the temp dir would be found; there is none on CI.
    if let Err(e) = e {
        // The message and the hint apart: the hint is data.
        assert_eq!(
            e.to_string(),
            format!(
                "no `tfroles.hcl` in `{}` or any parent directory",
                other.path().display()
            )
        );
        assert_eq!(
            e.hint().as_deref(),
            Some("create one (see docs/config.md), or name it with `--config PATH`")
        );
    }
}

// ---------------------------------------------------------------- types

#[test]
fn a_number_where_a_string_belongs() {
    assert_err(
        &edit(&[("id = \"111111111111\"", "id = 111111111111")]),
        indoc! {r#"
            tfroles.hcl:5:8: in block `account "shared"`, attribute `id`: expected a string, found a number
              hint: quote it"#},
    );
}

#[test]
fn a_quoted_bool() {
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"terraform-state\"\n  encrypt = \"true\"\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:14:13: in block `state`, attribute `encrypt`: expected a bool, found a string
              hint: write true without quotes"#},
    );
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"terraform-state\"\n  encrypt = \"yes\"\n}",
        )]),
        r#"tfroles.hcl:14:13: in block `state`, attribute `encrypt`: expected a bool, found a string"#,
    );
}

#[test]
fn a_list_where_a_string_belongs() {
    assert_err(
        &edit(&[(
            "  account = \"shared\"\n}\nrole",
            "  account = [\"shared\"]\n}\nrole",
        )]),
        indoc! {r#"
            tfroles.hcl:16:13: in block `role "terraform-state"`, attribute `account`: expected a string, found a list
              hint: for a role in several accounts, write `accounts = [...]`"#},
    );
    assert_err(
        &edit(&[("  account = \"qa\"\n  role", "  account = [\"qa\"]\n  role")]),
        r#"tfroles.hcl:22:13: in block `stack "qa/app"`, attribute `account`: expected a string, found a list"#,
    );
}

#[test]
fn a_string_where_a_list_belongs() {
    assert_err(
        &edit(&[("accounts = [\"qa\"]", "accounts = \"qa\"")]),
        r#"tfroles.hcl:19:14: in block `role "app"`, attribute `accounts`: expected a list of strings, found a string"#,
    );
}

#[test]
fn references_function_calls_and_templates_are_not_values() {
    for (value, what) in [
        ("var.region", "a reference"),
        ("local.x.y", "a reference"),
        ("lower(\"US-WEST-2\")", "a function call"),
        (
            "\"us-${var.x}-2\"",
            "a template with interpolation or directives",
        ),
        (
            "\"%{if true}us-west-2%{endif}\"",
            "a template with interpolation or directives",
        ),
        ("true ? \"a\" : \"b\"", "an expression"),
    ] {
        assert_eq!(
            err(&edit(&[("\"us-west-2\"", value)])),
            format!(
                "tfroles.hcl:2:12: in block `defaults`, attribute `region`: expected a string, found {what}\n  hint: tfroles.hcl takes literal values only; it is read before terraform runs, so there are no variables or functions"
            ),
            "{value}"
        );
    }
    // Before: "found a template with interpolation or directives", which
    // this heredoc is not.
    assert_err(
        &edit(&[("\"us-west-2\"", "<<EOT\nus-west-2\nEOT\n")]),
        indoc! {r#"
            tfroles.hcl:2:12: in block `defaults`, attribute `region`: expected a string, found a heredoc
              hint: write the value as a quoted string on one line"#},
    );
}

#[test]
fn null_is_not_a_value() {
    assert_err(
        &edit(&[("\"us-west-2\"", "null")]),
        indoc! {r#"
        tfroles.hcl:2:12: in block `defaults`, attribute `region`: expected a string, found null
          hint: to leave `region` unset, leave it out"#},
    );
}

#[test]
fn references_inside_tags_are_reported_as_values_not_keys() {
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  tags = { team = var.team }",
        )]),
        indoc! {r#"
            tfroles.hcl:20:19: in block `role "app"`, attribute `tags`: expected a string, found a reference
              hint: tfroles.hcl takes literal values only; it is read before terraform runs, so there are no variables or functions"#},
    );
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  tags = { (var.k) = \"x\" }",
        )]),
        indoc! {r#"
            tfroles.hcl:20:12: in block `role "app"`, attribute `tags`: expected a string key, found an expression as an object key
              hint: tfroles.hcl takes literal values only; it is read before terraform runs, so there are no variables or functions"#},
    );
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  tags = { team = 3 }",
        )]),
        indoc! {r#"
            tfroles.hcl:20:19: in block `role "app"`, attribute `tags`: expected a string, found a number
              hint: quote it"#},
    );
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  tags = [\"team\"]",
        )]),
        r#"tfroles.hcl:20:10: in block `role "app"`, attribute `tags`: expected an object of strings, found a list"#,
    );
}

// ---------------------------------------------------------------- values

#[test]
fn durations_out_of_range() {
    assert_err(
        &edit(&[("\"us-west-2\"", "\"us-west-2\"\n  duration = \"14m\"")]),
        indoc! {r#"
            tfroles.hcl:3:14: in block `defaults`, attribute `duration`: 14m is outside the range STS accepts
              allowed: 15m to 12h
              hint: STS grants sessions of 15 minutes to 12 hours (and no more than the role's MaxSessionDuration)"#},
    );
    assert_err(
        &edit(&[("\"us-west-2\"", "\"us-west-2\"\n  duration = \"13h\"")]),
        indoc! {r#"
            tfroles.hcl:3:14: in block `defaults`, attribute `duration`: 13h is outside the range STS accepts
              allowed: 15m to 12h
              hint: STS grants sessions of 15 minutes to 12 hours (and no more than the role's MaxSessionDuration)"#},
    );
    assert_err(
        &edit(&[("\"us-west-2\"", "\"us-west-2\"\n  duration = \"14m59s\"")]),
        indoc! {r#"
            tfroles.hcl:3:14: in block `defaults`, attribute `duration`: 14m59s is outside the range STS accepts
              allowed: 15m to 12h
              hint: STS grants sessions of 15 minutes to 12 hours (and no more than the role's MaxSessionDuration)"#},
    );
}

#[test]
fn malformed_durations() {
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  duration = \"1d\"",
        )]),
        indoc! {r#"
            tfroles.hcl:20:14: in block `role "app"`, attribute `duration`: "1d" is not a duration
              allowed: a duration like `15m`, `1h`, `1h30m` or `3600s`, from 15m to 12h"#},
    );
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  duration = \"30m1h\"",
        )]),
        indoc! {r#"
            tfroles.hcl:20:14: in block `role "app"`, attribute `duration`: "30m1h" is not a duration
              allowed: a duration like `15m`, `1h`, `1h30m` or `3600s`, from 15m to 12h"#},
    );
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  duration = 3600",
        )]),
        indoc! {r#"
            tfroles.hcl:20:14: in block `role "app"`, attribute `duration`: expected a string, found a number
              hint: quote it"#},
    );
}

#[test]
fn account_ids() {
    assert_err(
        &edit(&[("\"111111111111\"", "\"11111111111\"")]),
        indoc! {r#"
        tfroles.hcl:5:8: in block `account "shared"`, attribute `id`: "11111111111" is not an AWS account id
          allowed: exactly 12 digits
          hint: account ids keep their leading zeros: write the id as a quoted string of 12 digits"#},
    );
    assert_err(
        &edit(&[("\"111111111111\"", "\"11111111111a\"")]),
        indoc! {r#"
        tfroles.hcl:5:8: in block `account "shared"`, attribute `id`: "11111111111a" is not an AWS account id
          allowed: exactly 12 digits"#},
    );
    assert_err(
        &edit(&[("\"111111111111\"", "\"1111111111111\"")]),
        indoc! {r#"
        tfroles.hcl:5:8: in block `account "shared"`, attribute `id`: "1111111111111" is not an AWS account id
          allowed: exactly 12 digits"#},
    );
}

#[test]
fn account_names() {
    assert_err(
        &append("account \"-prod\" {\n  id = \"444444444444\"\n}\n"),
        indoc! {r#"
            tfroles.hcl:25:1: in block `account "-prod"`: "-prod" is not a valid account name
              allowed: 1 to 64 characters of letters, digits, `_`, `-` and `.`, starting with a letter or digit"#},
    );
}

#[test]
fn role_names() {
    assert_err(
        &append("role \"has space\" {\n  account = \"qa\"\n}\n"),
        indoc! {r#"
        tfroles.hcl:25:1: in block `role "has space"`: "has space" is not a valid IAM role name
          allowed: 1 to 64 characters of letters, digits and `+=,.@_-`"#},
    );
    let long = "r".repeat(65);
    assert_err(
        &append(&format!("role \"{long}\" {{\n  account = \"qa\"\n}}\n")),
        indoc! {r#"
            tfroles.hcl:25:1: in block `role "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"`: "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr" is not a valid IAM role name
              allowed: 1 to 64 characters of letters, digits and `+=,.@_-`"#},
    );
}

#[test]
fn source_identity_templates() {
    let with = |si: &str| {
        edit(&[(
            "accounts = [\"qa\"]",
            &format!("accounts = [\"qa\"]\n  source_identity = \"{si}\""),
        )])
    };
    assert_err(
        &with("tf-{stak}"),
        indoc! {r#"
            tfroles.hcl:20:21: in block `role "app"`, attribute `source_identity`: "tf-{stak}" has `{stak}`, which is not a placeholder
              allowed: 2 to 64 characters of letters, digits and `+=,.@_-`, not starting with `aws:`, and the placeholders `{stack}`, `{role}`, `{account}`, `{user}`, `{run}`
              hint: did you mean `stack`?"#},
    );
    assert_err(
        &with("AWS:{stack}"),
        indoc! {r#"
            tfroles.hcl:20:21: in block `role "app"`, attribute `source_identity`: "AWS:{stack}" starts with `aws:`, which AWS keeps for itself
              allowed: 2 to 64 characters of letters, digits and `+=,.@_-`, not starting with `aws:`, and the placeholders `{stack}`, `{role}`, `{account}`, `{user}`, `{run}`
              hint: drop the `aws:` prefix"#},
    );
    let long = "x".repeat(51);
    assert_err(
        &with(&format!("{long}-{{role}}-{{stack}}")),
        &format!(
            "tfroles.hcl:20:21: in block `role \"app\"`, attribute `source_identity`: \"{long}-{{role}}-{{stack}}\" gives 65 characters for role `app` in account `qa` before `{{user}}` and `{{run}}` (with the shortest `{{stack}}`, 9), over the 64 STS takes\n  allowed: 2 to 64 characters of letters, digits and `+=,.@_-`, not starting with `aws:`, and the placeholders `{{stack}}`, `{{role}}`, `{{account}}`, `{{user}}`, `{{run}}`\n  hint: shorten the text, or leave out `{{role}}` or `{{account}}` (the session's ARN names them already)"
        ),
    );
    assert_err(
        &with("{user}-{run}"),
        indoc! {r#"
            tfroles.hcl:20:21: in block `role "app"`, attribute `source_identity`: "{user}-{run}" is empty for role `app` in account `qa` when `{user}` and `{run}` are not known, and STS takes at least 2 characters
              allowed: 2 to 64 characters of letters, digits and `+=,.@_-`, not starting with `aws:`, and the placeholders `{stack}`, `{role}`, `{account}`, `{user}`, `{run}`
              hint: add fixed text, like `tf-{user}`: without it the trust policy would admit any value"#},
    );
}

#[test]
fn a_via_chain_sets_its_source_identity_once() {
    assert_err(
        &append(
            "role \"ci\" {\n  account         = \"qa\"\n  source_identity = \"ci-{user}\"\n}\nrole \"deployer\" {\n  account         = \"qa\"\n  via             = \"ci\"\n  source_identity = \"tf-{stack}\"\n}\n",
        ),
        indoc! {r#"
            tfroles.hcl:32:21: in block `role "deployer"`, attribute `source_identity`: is set, and so is `source_identity` of role `ci` it is assumed `via`: AWS keeps the first session's source identity on every session chained from it, and refuses another
              allowed: a `source_identity` on one role of a `via` chain
              hint: keep it on `ci` (the sessions of `deployer` carry its value), or take it off `ci`"#},
    );
}

#[test]
fn session_names_external_ids_and_source_identities() {
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  session_name = \"a b\"\n  external_id = \"x\"\n  source_identity = \"aws:me\"",
        )]),
        indoc! {r#"
            tfroles.hcl:20:18: in block `role "app"`, attribute `session_name`: "a b" is not a valid session name
              allowed: 2 to 64 characters of letters, digits and `+=,.@_-`
            tfroles.hcl:21:17: in block `role "app"`, attribute `external_id`: "x" is not a valid external id
              allowed: 2 to 1224 characters of letters, digits and `+=,.@:/_-`
            tfroles.hcl:22:21: in block `role "app"`, attribute `source_identity`: "aws:me" starts with `aws:`, which AWS keeps for itself
              allowed: 2 to 64 characters of letters, digits and `+=,.@_-`, not starting with `aws:`, and the placeholders `{stack}`, `{role}`, `{account}`, `{user}`, `{run}`
              hint: drop the `aws:` prefix"#},
    );
    assert_err(
        &edit(&[("\"us-west-2\"", "\"us-west-2\"\n  session_name = \"x\"")]),
        indoc! {r#"
            tfroles.hcl:3:18: in block `defaults`, attribute `session_name`: "x" is not a valid session name
              allowed: 2 to 64 characters of letters, digits and `+=,.@_-`"#},
    );
}

#[test]
fn iam_paths() {
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  path = \"terraform/\"",
        )]),
        indoc! {r#"
            tfroles.hcl:20:10: in block `role "app"`, attribute `path`: "terraform/" is not a valid IAM path
              allowed: `/`, or segments of printable ASCII that start and end with `/` (like `/terraform/`), at most 512 characters
              hint: write "/terraform/""#},
    );
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  path = \"/a//b/\"",
        )]),
        indoc! {r#"
            tfroles.hcl:20:10: in block `role "app"`, attribute `path`: "/a//b/" is not a valid IAM path
              allowed: `/`, or segments of printable ASCII that start and end with `/` (like `/terraform/`), at most 512 characters"#},
    );
}

#[test]
fn bucket_names() {
    for (bucket, why) in [
        ("Acme_State", "it has 'A', which S3 does not allow"),
        ("acme_state", "it has '_', which S3 does not allow"),
        ("ab", "wrong length"),
        ("-acme", "it must start and end with a letter or digit"),
        ("a..b", "two adjacent periods"),
        ("192.168.1.1", "it is formatted as an IP address"),
        ("xn--acme", "the prefix `xn--` is reserved"),
        ("acme-s3alias", "the suffix `-s3alias` is reserved"),
    ] {
        assert_eq!(
            err(&edit(&[("acme-terraform-state", bucket)])),
            format!(
                "tfroles.hcl:12:13: in block `state`, attribute `bucket`: \"{bucket}\" is not a valid S3 bucket name: {why}\n  allowed: 3 to 63 characters of lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, not shaped like an IP address"
            )
        );
    }
}

#[test]
fn regions() {
    assert_err(
        &edit(&[(
            "  role    = \"app\"",
            "  role    = \"app\"\n  region  = \"US-EAST-1\"",
        )]),
        indoc! {r#"
            tfroles.hcl:24:13: in block `stack "qa/app"`, attribute `region`: "US-EAST-1" is not an AWS region
              allowed: a region name like `us-east-1`, `eu-central-2` or `us-gov-west-1`
              hint: region names are lowercase: write "us-east-1""#},
    );
    assert_err(
        &edit(&[("\"us-west-2\"", "\"us-west\"")]),
        indoc! {r#"
        tfroles.hcl:2:12: in block `defaults`, attribute `region`: "us-west" is not an AWS region
          allowed: a region name like `us-east-1`, `eu-central-2` or `us-gov-west-1`"#},
    );
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  provider \"east\" {\n    region = \"useast1\"\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:25:14: in block `stack "qa/app" > provider "east"`, attribute `region`: "useast1" is not an AWS region
              allowed: a region name like `us-east-1`, `eu-central-2` or `us-gov-west-1`"#},
    );
}

#[test]
fn key_prefixes() {
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"terraform-state\"\n  key_prefix = \"/terraform/\"\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:14:16: in block `state`, attribute `key_prefix`: "/terraform/" is not a valid key prefix
              allowed: a non-empty S3 key prefix that neither starts nor ends with `/` and has no `//`
              hint: write "terraform""#},
    );
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"terraform-state\"\n  workspace_key_prefix = \"a//b\"\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:14:26: in block `state`, attribute `workspace_key_prefix`: "a//b" is not a valid key prefix
              allowed: a non-empty S3 key prefix that neither starts nor ends with `/` and has no `//`"#},
    );
}

#[test]
fn session_tags() {
    let tags = |t: &str| {
        edit(&[(
            "accounts = [\"qa\"]",
            &format!("accounts = [\"qa\"]\n  tags = {t}"),
        )])
    };
    let allowed = "\n  allowed: at most 50 tags; keys of 1 to 128 and values of up to 256 letters, digits, spaces and `_.:/=+-@`";
    // Each error points at the tag at fault.
    assert_eq!(
        err(&tags("{\n    Team = \"a\"\n    team = \"b\"\n  }")),
        format!(
            "tfroles.hcl:22:5: in block `role \"app\"`, attribute `tags`: session tag key \"team\" is given twice{allowed}\n  hint: STS compares tag keys without regard to case"
        ),
    );
    assert_eq!(
        err(&tags("{ team = \"a\", \"aws:team\" = \"a\" }")),
        format!(
            "tfroles.hcl:20:24: in block `role \"app\"`, attribute `tags`: session tag key \"aws:team\" uses the reserved prefix `aws:`{allowed}"
        ),
    );
    assert_eq!(
        err(&tags("{ \"AWS:team\" = \"a\" }")),
        format!(
            "tfroles.hcl:20:12: in block `role \"app\"`, attribute `tags`: session tag key \"AWS:team\" uses the reserved prefix `aws:`{allowed}"
        ),
    );
    assert_eq!(
        err(&tags("{ team = \"a;b\" }")),
        format!(
            "tfroles.hcl:20:12: in block `role \"app\"`, attribute `tags`: \"a;b\" is not a valid value for session tag \"team\"{allowed}"
        ),
    );
    assert_eq!(
        err(&tags("{ \"a!\" = \"b\" }")),
        format!(
            "tfroles.hcl:20:12: in block `role \"app\"`, attribute `tags`: \"a!\" is not a valid session tag key{allowed}"
        ),
    );
    // Too many tags is a fault of the whole map.
    let many: Vec<String> = (0..51).map(|i| format!("k{i} = \"v\"")).collect();
    assert_eq!(
        err(&tags(&format!("{{ {} }}", many.join(", ")))),
        format!(
            "tfroles.hcl:20:10: in block `role \"app\"`, attribute `tags`: 51 session tags are more than STS accepts{allowed}"
        ),
    );
}

#[test]
fn state_dynamodb_table_and_kms_key() {
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"terraform-state\"\n  dynamodb_table = \"x\"\n  kms_key_id = \"has space\"\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:14:20: in block `state`, attribute `dynamodb_table`: "x" is not a valid DynamoDB table name
              allowed: 3 to 255 characters of letters, digits, `_`, `.` and `-`
            tfroles.hcl:15:16: in block `state`, attribute `kms_key_id`: "has space" is not a KMS key id
              allowed: a key ARN, key id, alias ARN or `alias/NAME`"#},
    );
}

#[test]
fn file_names() {
    assert_err(
        &edit(&[(
            "\"us-west-2\"",
            "\"us-west-2\"\n  backend_file = \"gen/backend.tf\"\n  providers_file = \"providers.tf.json\"",
        )]),
        indoc! {r#"
            tfroles.hcl:3:18: in block `defaults`, attribute `backend_file`: "gen/backend.tf" is not a usable file name
              allowed: a plain file name ending in `.tf`, without a directory, not starting with `.`
            tfroles.hcl:4:20: in block `defaults`, attribute `providers_file`: "providers.tf.json" is not a usable file name
              allowed: a plain file name ending in `.tf`, without a directory, not starting with `.`"#},
    );
}

#[test]
fn partition_and_credentials_are_enums() {
    assert_err(
        &edit(&[("\"us-west-2\"", "\"us-west-2\"\n  partition = \"aws-eu\"")]),
        indoc! {r#"
            tfroles.hcl:3:15: in block `defaults`, attribute `partition`: "aws-eu" is not an AWS partition
              allowed: `aws`, `aws-cn` or `aws-us-gov`"#},
    );
    assert_err(
        &edit(&[("\"us-west-2\"", "\"us-west-2\"\n  credentials = \"sso\"")]),
        indoc! {r#"
            tfroles.hcl:3:17: in block `defaults`, attribute `credentials`: "sso" is not a credentials mode
              allowed: `assume_role` (terraform assumes the roles) or `profile` (terraform runs `tfroles credential-process`)"#},
    );
    assert_err(
        &edit(&[(
            "\"us-west-2\"",
            "\"us-west-2\"\n  partition = \"AWS\"\n  credentials = \"AssumeRole\"",
        )]),
        indoc! {r#"
            tfroles.hcl:3:15: in block `defaults`, attribute `partition`: "AWS" is not an AWS partition
              allowed: `aws`, `aws-cn` or `aws-us-gov`
            tfroles.hcl:4:17: in block `defaults`, attribute `credentials`: "AssumeRole" is not a credentials mode
              allowed: `assume_role` (terraform assumes the roles) or `profile` (terraform runs `tfroles credential-process`)"#},
    );
}

#[test]
fn list_scope_is_bucket_or_state_keys() {
    assert_err(
        &edit(&[("  bucket  =", "  list_scope = \"keys\"\n  bucket  =")]),
        indoc! {r#"
            tfroles.hcl:12:16: in block `state`, attribute `list_scope`: "keys" is not a list scope
              allowed: `bucket` (the default: `s3:ListBucket` on the state bucket) or `state_keys` (narrowed by an `s3:prefix` condition; see docs/least-privilege.md for its risk)"#},
    );
}

#[test]
fn stack_labels_must_be_relative_paths_or_globs() {
    assert_err(
        &edit(&[("stack \"qa/app\"", "stack \"../app\"")]),
        indoc! {r#"
        tfroles.hcl:21:1: in block `stack "../app"`: "../app" is not a valid stack path: it has a `.` or `..` part
          allowed: a directory relative to tfroles.hcl, like `production/public-api`, with `/` separators and no `.` or `..` parts"#},
    );
    assert_err(
        &edit(&[("stack \"qa/app\"", "stack \"/qa/app\"")]),
        indoc! {r#"
        tfroles.hcl:21:1: in block `stack "/qa/app"`: "/qa/app" is not a valid stack path: it is absolute
          allowed: a directory relative to tfroles.hcl, like `production/public-api`, with `/` separators and no `.` or `..` parts"#},
    );
    assert_err(
        &edit(&[("stack \"qa/app\"", "stack \"qa/**x\"")]),
        indoc! {r#"
        tfroles.hcl:21:1: in block `stack "qa/**x"`: "qa/**x" is not a valid stack glob: `**` must be a whole path part
          allowed: `*` within a part (`qa/*-api`), `**` as a whole part (`qa/**`)"#},
    );
    assert_err(
        &edit(&[("stack \"qa/app\"", "stack \"qa//app\"")]),
        indoc! {r#"
        tfroles.hcl:21:1: in block `stack "qa//app"`: "qa//app" is not a valid stack path: it has an empty part (`//` or a trailing `/`)
          allowed: a directory relative to tfroles.hcl, like `production/public-api`, with `/` separators and no `.` or `..` parts"#},
    );
}

#[test]
fn provider_aliases_must_be_identifiers() {
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  provider \"us.east\" {\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:24:3: in block `stack "qa/app" > provider "us.east"`: "us.east" is not a valid provider alias
              allowed: a Terraform identifier: letters, digits, `_` and `-`, starting with a letter or `_`
              hint: stacks refer to it as `aws.us_east`, so it must be an identifier"#},
    );
}

#[test]
fn allowed_account_ids_are_account_names_or_ids() {
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  allowed_account_ids = [\"qa\", \"444444444444\", \"qq\", \"123\"]\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:24:48: in block `stack "qa/app"`, attribute `allowed_account_ids`: "qq" is neither an account name nor a 12-digit account id
              allowed: account names (`shared`, `qa`) or 12-digit ids
              hint: did you mean `qa`?
            tfroles.hcl:24:54: in block `stack "qa/app"`, attribute `allowed_account_ids`: "123" is neither an account name nor a 12-digit account id
              allowed: account names (`shared`, `qa`) or 12-digit ids"#},
    );
}

// ---------------------------------------------------------------- structure

#[test]
fn unknown_top_level_block_with_did_you_mean() {
    assert_err(
        &append("acount \"prod\" {\n  id = \"222222222222\"\n}\n"),
        indoc! {r#"
        tfroles.hcl:25:1: unknown block `acount`
          allowed: `defaults`, `account`, `identity`, `state`, `role`, `stack`, `bootstrap`
          hint: did you mean `account`?"#},
    );
    assert_err(
        &append("module \"x\" {\n}\n"),
        indoc! {r#"
        tfroles.hcl:25:1: unknown block `module`
          allowed: `defaults`, `account`, `identity`, `state`, `role`, `stack`, `bootstrap`"#},
    );
}

#[test]
fn unknown_attribute_with_did_you_mean_and_the_allowed_list() {
    assert_err(
        &edit(&[("  bucket  =", "  regin   = \"us-east-1\"\n  bucket  =")]),
        indoc! {r#"
            tfroles.hcl:12:3: in block `state`: unknown attribute `regin`
              allowed: `account`, `bucket`, `region`, `role`, `key_prefix`, `use_lockfile`, `dynamodb_table`, `encrypt`, `kms_key_id`, `workspace_key_prefix`, `role_per_stack`, `list_scope`
              hint: did you mean `region`?"#},
    );
    assert_err(
        &edit(&[(
            "  id = \"333333333333\"",
            "  id = \"333333333333\"\n  alias = \"qa\"",
        )]),
        indoc! {r#"
            tfroles.hcl:9:3: in block `account "qa"`: unknown attribute `alias`
              allowed: `id`"#},
    );
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  provider \"x\" {\n    regoin = \"us-east-1\"\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:25:5: in block `stack "qa/app" > provider "x"`: unknown attribute `regoin`
              allowed: `region`, `account`, `role`, `default_tags`
              hint: did you mean `region`?"#},
    );
}

#[test]
fn unknown_nested_blocks() {
    assert_err(
        &edit(&[(
            "  id = \"333333333333\"",
            "  id = \"333333333333\"\n  tags {\n  }",
        )]),
        indoc! {r#"
            tfroles.hcl:9:3: in block `account "qa"`: unknown block `tags`
              allowed: no blocks inside this one"#},
    );
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  providers \"x\" {\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:24:3: in block `stack "qa/app"`: unknown block `providers`
              allowed: `provider`, `workspace`
              hint: did you mean `provider`?"#},
    );
}

#[test]
fn attributes_at_the_top_level() {
    assert_err(
        &format!("region = \"us-west-2\"\n{BASE}"),
        indoc! {r#"
        tfroles.hcl:1:1: unknown attribute `region`
          allowed: only blocks here: `defaults`, `account`, `identity`, `state`, `role`, `stack`, `bootstrap`
          hint: attributes go inside a block; a default for every block goes in `defaults { region = ... }`"#},
    );
    assert_err(
        &format!("bucket = \"acme\"\n{BASE}"),
        indoc! {r#"
        tfroles.hcl:1:1: unknown attribute `bucket`
          allowed: only blocks here: `defaults`, `account`, `identity`, `state`, `role`, `stack`, `bootstrap`
          hint: attributes go inside a block"#},
    );
}

#[test]
fn wrong_label_counts() {
    assert_err(
        &edit(&[("defaults {", "defaults \"x\" {")]),
        indoc! {r#"
        tfroles.hcl:1:1: in block `defaults "x"`: a `defaults` block takes 0 labels, not 1
          allowed: `defaults { ... }`"#},
    );
    assert_err(
        &edit(&[("account \"qa\" {", "account \"qa\" \"x\" {")]),
        indoc! {r#"
        tfroles.hcl:7:1: in block `account "qa" "x"`: an `account` block takes 1 label, not 2
          allowed: `account "NAME" { ... }`"#},
    );
    assert_err(
        &edit(&[("state {", "state \"s3\" {")]),
        indoc! {r#"
        tfroles.hcl:10:1: in block `state "s3"`: a `state` block takes 0 labels, not 1
          allowed: `state { ... }`"#},
    );
    assert_err(
        &edit(&[("role \"app\" {", "role {")]),
        indoc! {r#"
        tfroles.hcl:18:1: in block `role`: a `role` block takes 1 label, not 0
          allowed: `role "NAME" { ... }`
        tfroles.hcl:23:13: in block `stack "qa/app"`, attribute `role`: there is no role `app`
          allowed: the roles defined: `terraform-state`
          hint: define it with `role "app" { ... }`"#},
    );
    assert_err(
        &edit(&[("stack \"qa/app\" {", "stack \"qa\" \"app\" {")]),
        indoc! {r#"
        tfroles.hcl:21:1: in block `stack "qa" "app"`: a `stack` block takes 1 label, not 2
          allowed: `stack "PATH" { ... }`"#},
    );
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  provider {\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:24:3: in block `stack "qa/app" > provider`: a `provider` block takes 1 label, not 0
              allowed: `provider "ALIAS" { ... }`"#},
    );
}

#[test]
fn duplicate_labels() {
    assert_err(
        &append("account \"qa\" {\n  id = \"444444444444\"\n}\n"),
        indoc! {r#"
        tfroles.hcl:25:1: in block `account "qa"`: account `qa` is defined twice (first on line 7)
          hint: account names must be unique; remove or rename one"#},
    );
    assert_err(
        &append("role \"app\" {\n  account = \"shared\"\n}\n"),
        indoc! {r#"
        tfroles.hcl:25:1: in block `role "app"`: role `app` is defined twice (first on line 18)
          hint: to have the role in several accounts, list them in one block: `accounts = ["qa", "production"]`"#},
    );
    assert_err(
        &append("stack \"qa/app\" {\n  account = \"qa\"\n  role    = \"app\"\n}\n"),
        indoc! {r#"
            tfroles.hcl:25:1: in block `stack "qa/app"`: stack `qa/app` is defined twice (first on line 21)
              hint: merge the two blocks"#},
    );
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  provider \"east\" {\n    region = \"us-east-1\"\n  }\n  provider \"east\" {\n    region = \"us-east-2\"\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:27:3: in block `stack "qa/app" > provider "east"`: provider alias `east` is used twice in this stack (first on line 24)
              hint: give each provider block its own alias"#},
    );
}

#[test]
fn duplicate_defaults_and_state_blocks() {
    assert_err(
        &append("defaults {\n  duration = \"2h\"\n}\n"),
        indoc! {r#"
        tfroles.hcl:25:1: in block `defaults`: there is more than one `defaults` block (first on line 1)
          hint: merge them into one"#},
    );
    assert_err(
        &append("state {\n  account = \"qa\"\n  bucket  = \"other\"\n  role    = \"app\"\n}\n"),
        indoc! {r#"
            tfroles.hcl:25:1: in block `state`: there is more than one `state` block (first on line 10)
              hint: all stacks share one state backend; merge them"#},
    );
}

#[test]
fn duplicate_trust_and_bootstrap_blocks() {
    // The same check as for `defaults` and `state`: a `trust` block is
    // named inside its role, and every extra block points at the first.
    assert_err(
        &append(
            "role \"ci\" {\n  account = \"qa\"\n  trust {\n    aws = [\"qa\"]\n  }\n  trust {\n    aws = [\"shared\"]\n  }\n}\n",
        ),
        indoc! {r#"
            tfroles.hcl:30:3: in block `role "ci"`: there is more than one `trust` block (first on line 27)
              hint: merge them into one"#},
    );
    assert_err(
        &append("bootstrap {\n  dir = \"bootstrap\"\n}\nbootstrap {\n  dir = \"other\"\n}\n"),
        indoc! {r#"
            tfroles.hcl:28:1: in block `bootstrap`: there is more than one `bootstrap` block (first on line 25)
              hint: merge them into one"#},
    );
}

#[test]
fn missing_state_block() {
    let text = edit(&[(
        "state {\n  account = \"shared\"\n  bucket  = \"acme-terraform-state\"\n  role    = \"terraform-state\"\n}\n",
        "",
    )]);
    assert_err(
        &text,
        indoc! {r#"
        tfroles.hcl: there is no `state` block
          allowed: one `state { account = ..., bucket = ..., role = ... }` block
          hint: it describes the S3 bucket holding terraform state; see docs/config.md"#},
    );
    assert_err(
        "",
        indoc! {r#"
        tfroles.hcl: there is no `state` block
          allowed: one `state { account = ..., bucket = ..., role = ... }` block
          hint: it describes the S3 bucket holding terraform state; see docs/config.md"#},
    );
}

#[test]
fn missing_required_attributes() {
    assert_err(
        "defaults {\n}\naccount \"a\" {\n}\nstate {\n}\nrole \"r\" {\n}\nstack \"s\" {\n}\n",
        indoc! {r#"
            tfroles.hcl:3:1: in block `account "a"`: missing required attribute `id`
              allowed: the account's 12-digit id, like `id = "123456789012"`
            tfroles.hcl:5:1: in block `state`: missing required attribute `account`
              allowed: the name of the account holding the bucket
            tfroles.hcl:5:1: in block `state`: missing required attribute `bucket`
              allowed: the S3 bucket holding terraform state
            tfroles.hcl:5:1: in block `state`: missing required attribute `role`
              allowed: the name of the role the backend assumes (a role that can only read and write state)
            tfroles.hcl:5:1: in block `state`: missing required attribute `region`
              allowed: the bucket's region, like `region = "us-east-1"` (or set `region` in `defaults`)
            tfroles.hcl:7:1: in block `role "r"`: missing required attribute `account`
              allowed: `account = "NAME"`, or `accounts = ["NAME", ...]` for one role of this name in each account
            tfroles.hcl:9:1: in block `stack "s"`: missing required attribute `account`
              allowed: the account the stack's default provider works in
            tfroles.hcl:9:1: in block `stack "s"`: missing required attribute `role`
              allowed: the role the stack's default provider assumes
            tfroles.hcl:9:1: in block `stack "s"`: missing required attribute `region`
              allowed: `region = "us-east-1"` here, or `region` in `defaults`"#},
    );
}

#[test]
fn unknown_account_references() {
    // Close to a defined name: did you mean.
    assert_err(
        &edit(&[("  account = \"qa\"\n  role", "  account = \"qaa\"\n  role")]),
        indoc! {r#"
        tfroles.hcl:22:13: in block `stack "qa/app"`, attribute `account`: there is no account `qaa`
          allowed: the accounts defined: `shared`, `qa`
          hint: did you mean `qa`?"#},
    );
    // Nothing close: how to define it.
    assert_err(
        &edit(&[("accounts = [\"qa\"]", "accounts = [\"production\"]")]),
        indoc! {r#"
        tfroles.hcl:19:15: in block `role "app"`, attribute `accounts`: there is no account `production`
          allowed: the accounts defined: `shared`, `qa`
          hint: define it with `account "production" { ... }`"#},
    );
    assert_err(
        &edit(&[(
            "  account = \"shared\"\n  bucket",
            "  account = \"shraed\"\n  bucket",
        )]),
        indoc! {r#"
            tfroles.hcl:11:13: in block `state`, attribute `account`: there is no account `shraed`
              allowed: the accounts defined: `shared`, `qa`
              hint: did you mean `shared`?"#},
    );
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  provider \"x\" {\n    account = \"prod\"\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:25:15: in block `stack "qa/app" > provider "x"`, attribute `account`: there is no account `prod`
              allowed: the accounts defined: `shared`, `qa`
              hint: define it with `account "prod" { ... }`"#},
    );
}

#[test]
fn unknown_role_references() {
    assert_err(
        &edit(&[("  role    = \"app\"", "  role    = \"apq\"")]),
        indoc! {r#"
        tfroles.hcl:23:13: in block `stack "qa/app"`, attribute `role`: there is no role `apq`
          allowed: the roles defined: `terraform-state`, `app`
          hint: did you mean `app`?"#},
    );
    assert_err(
        &edit(&[("  role    = \"app\"", "  role    = \"deployer\"")]),
        indoc! {r#"
        tfroles.hcl:23:13: in block `stack "qa/app"`, attribute `role`: there is no role `deployer`
          allowed: the roles defined: `terraform-state`, `app`
          hint: define it with `role "deployer" { ... }`"#},
    );
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"",
            "  role    = \"terraform-stat\"",
        )]),
        indoc! {r#"
            tfroles.hcl:13:13: in block `state`, attribute `role`: there is no role `terraform-stat`
              allowed: the roles defined: `terraform-state`, `app`
              hint: did you mean `terraform-state`?"#},
    );
}

#[test]
fn role_used_in_an_account_it_does_not_exist_in() {
    // A stack in another account than its role.
    assert_err(
        &edit(&[(
            "  account = \"qa\"\n  role    = \"app\"",
            "  account = \"shared\"\n  role    = \"app\"",
        )]),
        indoc! {r#"
            tfroles.hcl:23:13: in block `stack "qa/app"`, attribute `role`: role `app` does not exist in account `shared`
              allowed: role `app` exists in `qa`
              hint: add "shared" to `accounts` in `role "app"`, or use a role defined in `shared`"#},
    );
    // An alias that moves to another account inherits the stack's role,
    // which is not in that account.
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  provider \"dns\" {\n    account = \"shared\"\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:25:15: in block `stack "qa/app" > provider "dns"`, attribute `account`: role `app` does not exist in account `shared`
              allowed: role `app` exists in `qa`
              hint: add "shared" to `accounts` in `role "app"`, or use a role defined in `shared`"#},
    );
    // An alias that names a role not in the stack's account.
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  provider \"state\" {\n    role = \"terraform-state\"\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:25:12: in block `stack "qa/app" > provider "state"`, attribute `role`: role `terraform-state` does not exist in account `qa`
              allowed: role `terraform-state` exists in `shared`
              hint: add "qa" to `accounts` in `role "terraform-state"`, or use a role defined in `qa`"#},
    );
    // The state role must be in the state account.
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"app\"\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:13:13: in block `state`, attribute `role`: role `app` does not exist in account `shared`
              allowed: role `app` exists in `qa`
              hint: add "shared" to `accounts` in `role "app"`, or use a role defined in `shared`"#},
    );
}

#[test]
fn account_and_accounts_both_set() {
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "account  = \"qa\"\n  accounts = [\"qa\"]",
        )]),
        indoc! {r#"
            tfroles.hcl:19:3: in block `role "app"`: sets both `account` and `accounts`
              allowed: one of them: `account = "NAME"` or `accounts = ["NAME", ...]`"#},
    );
}

#[test]
fn empty_or_repeated_accounts() {
    assert_err(
        &edit(&[("accounts = [\"qa\"]", "accounts = []")]),
        indoc! {r#"
        tfroles.hcl:19:14: in block `role "app"`, attribute `accounts`: is empty
          allowed: at least one account name"#},
    );
    assert_err(
        &edit(&[("accounts = [\"qa\"]", "accounts = [\"qa\", \"qa\"]")]),
        r#"tfroles.hcl:19:21: in block `role "app"`, attribute `accounts`: lists `qa` twice"#,
    );
}

#[test]
fn two_accounts_with_the_same_id() {
    assert_err(
        &edit(&[("\"333333333333\"", "\"111111111111\"")]),
        indoc! {r#"
        tfroles.hcl:8:8: in block `account "qa"`, attribute `id`: account id 111111111111 is also the id of account `shared`
          hint: give each AWS account one name"#},
    );
}

#[test]
fn backend_and_providers_file_must_differ() {
    assert_err(
        &edit(&[(
            "\"us-west-2\"",
            "\"us-west-2\"\n  providers_file = \"backend.tf\"",
        )]),
        indoc! {r#"
            tfroles.hcl:3:20: in block `defaults`, attribute `providers_file`: is the same file as `backend_file` (backend.tf)
              allowed: two different file names"#},
    );
    assert_err(
        &edit(&[(
            "\"us-west-2\"",
            "\"us-west-2\"\n  backend_file = \"providers.tf\"",
        )]),
        indoc! {r#"
            tfroles.hcl:3:18: in block `defaults`, attribute `backend_file`: is the same file as `providers_file` (providers.tf)
              allowed: two different file names"#},
    );
    assert_err(
        &edit(&[(
            "\"us-west-2\"",
            "\"us-west-2\"\n  backend_file = \"tfroles.tf\"\n  providers_file = \"tfroles.tf\"",
        )]),
        indoc! {r#"
            tfroles.hcl:4:20: in block `defaults`, attribute `providers_file`: is the same file as `backend_file` (tfroles.tf)
              allowed: two different file names"#},
    );
}

#[test]
fn turning_off_the_lockfile_needs_a_dynamodb_table() {
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"terraform-state\"\n  use_lockfile = false\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:14:18: in block `state`, attribute `use_lockfile`: `false` turns off state locking, as there is no `dynamodb_table`: parallel runs could corrupt the state
              allowed: `use_lockfile = true` (the default), or a `dynamodb_table`
              hint: S3-native locking is GA since terraform 1.11; keep `use_lockfile = true`"#},
    );
    let with_table = edit(&[(
        "  role    = \"terraform-state\"\n}",
        "  role    = \"terraform-state\"\n  use_lockfile = false\n  dynamodb_table = \"terraform-locks\"\n}",
    )]);
    let config = Config::from_str(&with_table).unwrap();
    assert!(!config.state().use_lockfile);
    assert_eq!(
        config.state().dynamodb_table.as_deref(),
        Some("terraform-locks")
    );
}

#[test]
fn regions_are_required_somewhere() {
    assert_err(
        &edit(&[("  region = \"us-west-2\"\n", "")]),
        indoc! {r#"
        tfroles.hcl:9:1: in block `state`: missing required attribute `region`
          allowed: the bucket's region, like `region = "us-east-1"` (or set `region` in `defaults`)
        tfroles.hcl:20:1: in block `stack "qa/app"`: missing required attribute `region`
          allowed: `region = "us-east-1"` here, or `region` in `defaults`"#},
    );
}

// ------------------------------------------------- no cascades of errors

#[test]
fn an_invalid_account_is_not_also_reported_as_missing_where_it_is_used() {
    // Before: also "there is no account `shared`" at 11:13 and 16:13, with
    // the hint to define the account that is defined.
    assert_err(
        &edit(&[("\"111111111111\"", "\"1111\"")]),
        indoc! {r#"
        tfroles.hcl:5:8: in block `account "shared"`, attribute `id`: "1111" is not an AWS account id
          allowed: exactly 12 digits
          hint: account ids keep their leading zeros: write the id as a quoted string of 12 digits"#},
    );
    assert_err(
        &edit(&[
            ("account \"qa\" {", "account \"qa!\" {"),
            ("accounts = [\"qa\"]", "accounts = [\"qa!\"]"),
            ("  account = \"qa\"\n  role", "  account = \"qa!\"\n  role"),
        ]),
        indoc! {r#"
            tfroles.hcl:7:1: in block `account "qa!"`: "qa!" is not a valid account name
              allowed: 1 to 64 characters of letters, digits, `_`, `-` and `.`, starting with a letter or digit"#},
    );
    assert_err(
        &edit(&[("account \"qa\" {", "account \"qa\" \"x\" {")]),
        indoc! {r#"
        tfroles.hcl:7:1: in block `account "qa" "x"`: an `account` block takes 1 label, not 2
          allowed: `account "NAME" { ... }`"#},
    );
    // Another account with the same id.
    assert_err(
        &edit(&[("\"333333333333\"", "\"111111111111\"")]),
        indoc! {r#"
        tfroles.hcl:8:8: in block `account "qa"`, attribute `id`: account id 111111111111 is also the id of account `shared`
          hint: give each AWS account one name"#},
    );
    // Without a label there is no name to recognise, so uses are reported.
    assert_err(
        &edit(&[("account \"qa\" {", "account {")]),
        indoc! {r#"
        tfroles.hcl:7:1: in block `account`: an `account` block takes 1 label, not 0
          allowed: `account "NAME" { ... }`
        tfroles.hcl:19:15: in block `role "app"`, attribute `accounts`: there is no account `qa`
          allowed: the accounts defined: `shared`
          hint: define it with `account "qa" { ... }`
        tfroles.hcl:22:13: in block `stack "qa/app"`, attribute `account`: there is no account `qa`
          allowed: the accounts defined: `shared`
          hint: define it with `account "qa" { ... }`"#},
    );
    assert_err(
        &edit(&[
            (
                "role    = \"app\"\n}",
                "role    = \"app\"\n  allowed_account_ids = [\"shared\"]\n}",
            ),
            ("\"111111111111\"", "\"1111\""),
        ]),
        indoc! {r#"
            tfroles.hcl:5:8: in block `account "shared"`, attribute `id`: "1111" is not an AWS account id
              allowed: exactly 12 digits
              hint: account ids keep their leading zeros: write the id as a quoted string of 12 digits"#},
    );
}

#[test]
fn an_invalid_role_is_not_also_reported_as_missing_where_it_is_used() {
    // Roles already behaved; with the wrong number of labels they now do too.
    assert_err(
        &edit(&[(
            "accounts = [\"qa\"]",
            "accounts = [\"qa\"]\n  duration = \"1d\"",
        )]),
        indoc! {r#"
        tfroles.hcl:20:14: in block `role "app"`, attribute `duration`: "1d" is not a duration
          allowed: a duration like `15m`, `1h`, `1h30m` or `3600s`, from 15m to 12h"#},
    );
    assert_err(
        &edit(&[("role \"app\" {", "role \"app\" \"x\" {")]),
        indoc! {r#"
        tfroles.hcl:18:1: in block `role "app" "x"`: a `role` block takes 1 label, not 2
          allowed: `role "NAME" { ... }`"#},
    );
}

#[test]
fn a_role_with_an_invalid_name_can_be_referenced_without_a_panic() {
    // Before: a panic ("defined") in the state, stack and provider blocks
    // that used it. Found by tests/fuzz.rs.
    let text = edit(&[
        ("role \"terraform-state\" {", "role \"terraform state\" {"),
        (
            "  role    = \"terraform-state\"",
            "  role    = \"terraform state\"",
        ),
        ("role \"app\" {", "role \"e\u{301}\" {"),
        (
            "  role    = \"app\"\n}",
            "  role    = \"e\u{301}\"\n  provider \"x\" {\n    role = \"e\u{301}\"\n  }\n}",
        ),
    ]);
    assert_err(
        &text,
        indoc! {r#"
            tfroles.hcl:15:1: in block `role "terraform state"`: "terraform state" is not a valid IAM role name
              allowed: 1 to 64 characters of letters, digits and `+=,.@_-`
            tfroles.hcl:18:1: in block `role "e\u{301}"`: "e\u{301}" is not a valid IAM role name
              allowed: 1 to 64 characters of letters, digits and `+=,.@_-`"#},
    );
}

#[test]
fn an_invalid_default_region_is_not_also_reported_as_missing_everywhere() {
    // Before: also "missing required attribute `region`" in `state` and in
    // every stack without a region.
    assert_err(
        &edit(&[("\"us-west-2\"", "\"us-west\"")]),
        indoc! {r#"
        tfroles.hcl:2:12: in block `defaults`, attribute `region`: "us-west" is not an AWS region
          allowed: a region name like `us-east-1`, `eu-central-2` or `us-gov-west-1`"#},
    );
    assert_err(
        &edit(&[("defaults {", "defaults \"x\" {")]),
        indoc! {r#"
        tfroles.hcl:1:1: in block `defaults "x"`: a `defaults` block takes 0 labels, not 1
          allowed: `defaults { ... }`"#},
    );
}

#[test]
fn an_invalid_dynamodb_table_does_not_also_count_as_no_locking() {
    assert_err(
        &edit(&[(
            "  role    = \"terraform-state\"\n}",
            "  role    = \"terraform-state\"\n  use_lockfile = false\n  dynamodb_table = \"x\"\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:15:20: in block `state`, attribute `dynamodb_table`: "x" is not a valid DynamoDB table name
              allowed: 3 to 255 characters of letters, digits, `_`, `.` and `-`"#},
    );
}

#[test]
fn all_independent_errors_are_reported_in_line_order() {
    let text = indoc! {r#"
        stack "qa/app" {
          account = "qa"
          role    = "ap"
        }
        state {
          account = "shared"
          bucket  = "Acme"
          role    = "terraform-state"
        }
        account "shared" {
          id = "1111111111111"
        }
        account "qa" {
          id = "333333333333"
        }
        role "terraform-state" {
          account  = "shared"
          duration = "13h"
        }
        role "app" {
          accounts = ["qa"]
          regin    = "us-east-1"
        }
        defaults {
          region = "us-west-2"
          partition = "aws-eu"
        }
    "#};
    let e = Config::from_str(text).unwrap_err();
    let lines: Vec<usize> = e
        .diagnostics()
        .iter()
        .map(|d| d.location.unwrap().line)
        .collect();
    assert_eq!(lines, [3, 7, 11, 18, 22, 26]);
    assert_eq!(
        shown(&e),
        indoc! {r#"
        tfroles.hcl:3:13: in block `stack "qa/app"`, attribute `role`: there is no role `ap`
          allowed: the roles defined: `terraform-state`, `app`
          hint: did you mean `app`?
        tfroles.hcl:7:13: in block `state`, attribute `bucket`: "Acme" is not a valid S3 bucket name: it has 'A', which S3 does not allow
          allowed: 3 to 63 characters of lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, not shaped like an IP address
        tfroles.hcl:11:8: in block `account "shared"`, attribute `id`: "1111111111111" is not an AWS account id
          allowed: exactly 12 digits
        tfroles.hcl:18:14: in block `role "terraform-state"`, attribute `duration`: 13h is outside the range STS accepts
          allowed: 15m to 12h
          hint: STS grants sessions of 15 minutes to 12 hours (and no more than the role's MaxSessionDuration)
        tfroles.hcl:22:3: in block `role "app"`: unknown attribute `regin`
          allowed: `account`, `accounts`, `path`, `external_id`, `session_name`, `duration`, `tags`, `source_identity`, `via`, `mfa_serial`, `services`, `access`, `actions`, `deny_actions`, `resources`, `allow_delete`, `default_tags`, `module_roles`
        tfroles.hcl:26:15: in block `defaults`, attribute `partition`: "aws-eu" is not an AWS partition
          allowed: `aws`, `aws-cn` or `aws-us-gov`"#}
    );
}

// ---------------------------------------------------------------- globs

const GLOBS: &str = indoc! {r#"
    defaults {
      region = "us-west-2"
    }
    account "qa" {
      id = "333333333333"
    }
    state {
      account = "qa"
      bucket  = "acme-terraform-state"
      role    = "app"
    }
    role "app" {
      account = "qa"
    }
    stack "qa/*" {
      account = "qa"
      role    = "app"
    }
    stack "*/api" {
      account = "qa"
      role    = "app"
    }
    stack "prod/**" {
      account = "qa"
      role    = "app"
    }
"#};

fn dirs(list: &[&str]) -> Vec<StackPath> {
    list.iter().map(|d| d.parse().unwrap()).collect()
}

#[test]
fn two_globs_matching_one_directory() {
    let config = Config::from_str(GLOBS).unwrap();
    let e = config.resolve(&dirs(&["prod/x", "qa/api"])).unwrap_err();
    assert_eq!(
        shown(&e),
        indoc! {r#"
        tfroles.hcl:19:1: in block `stack "*/api"`: directory `qa/api` is matched by both `stack "qa/*"` (line 15) and `stack "*/api"` (line 19)
          allowed: each directory matched by at most one glob
          hint: add a `stack "qa/api"` block (an exact label wins over globs), or narrow one of the globs"#}
    );
}

#[test]
fn an_exact_label_wins_over_globs() {
    let text = format!(
        "{GLOBS}stack \"qa/api\" {{\n  account = \"qa\"\n  role    = \"app\"\n  region  = \"eu-west-1\"\n}}\n"
    );
    let config = Config::from_str(&text).unwrap();
    let r = config
        .resolve(&dirs(&["prod/x", "qa/api", "qa/web"]))
        .unwrap();
    let got: Vec<(&str, usize, &str)> = r
        .stacks
        .iter()
        .map(|s| (s.path.as_str(), s.block, s.providers[0].region.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("prod/x", 2, "us-west-2"),
            ("qa/api", 3, "eu-west-1"),
            ("qa/web", 0, "us-west-2"),
        ]
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn a_glob_matching_nothing_is_a_warning() {
    let config = Config::from_str(GLOBS).unwrap();
    let r = config.resolve(&dirs(&["qa/web"])).unwrap();
    assert_eq!(r.stacks.len(), 1);
    let warnings: Vec<String> = r.warnings.iter().map(shown_diagnostic).collect();
    assert_eq!(
        warnings.join("\n"),
        indoc! {r#"
        tfroles.hcl:19:1: in block `stack "*/api"`: the glob matches no directory holding `.tf` files
          hint: globs match existing directories only; use an exact path to create a new stack
        tfroles.hcl:23:1: in block `stack "prod/**"`: the glob matches no directory holding `.tf` files
          hint: globs match existing directories only; use an exact path to create a new stack"#}
    );
}

#[test]
fn directories_differing_only_in_unicode_normal_form_cannot_share_a_state_key() {
    let config = Config::from_str(GLOBS).unwrap();
    // `é` precomposed, and `e` with a combining accent as macOS writes it.
    let e = config
        .resolve(&dirs(&["qa/\u{e9}", "qa/e\u{301}"]))
        .unwrap_err();
    // Before: "directories `qa/é` and `qa/é` would share ...", two names
    // that print the same.
    assert_eq!(
        shown(&e),
        indoc! {r#"
            tfroles.hcl:15:1: in block `stack "qa/*"`: directories "qa/é" and "qa/e\u{301}" would share the state key `qa/é/terraform.tfstate`
              allowed: one state key per stack
              hint: the names differ only in Unicode normalisation; rename one directory"#}
    );
}

#[test]
fn exact_labels_are_stacks_whether_or_not_the_directory_exists() {
    let config = Config::from_str(BASE).unwrap();
    let r = config.resolve(&[]).unwrap();
    assert_eq!(r.stacks.len(), 1);
    assert_eq!(r.stacks[0].path.as_str(), "qa/app");
    assert_eq!(r.stacks[0].state_key, "qa/app/terraform.tfstate");
    assert!(r.warnings.is_empty());
}

// ---------------------------------------------------------------- the example

fn example() -> Config {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/example/input/tfroles.hcl");
    Config::from_path(&path).unwrap()
}

#[test]
fn the_example_is_accepted_as_written() {
    use tfroles_core::{Account, CredentialsMode, Defaults, Duration, Role, State};
    let config = example();
    assert_eq!(
        *config.defaults(),
        Defaults {
            region: Some("us-west-2".parse().unwrap()),
            session_name: "terraform".parse().unwrap(),
            duration: Duration::ONE_HOUR,
            credentials: CredentialsMode::AssumeRole,
            backend_file: "backend.tf".parse().unwrap(),
            providers_file: "providers.tf".parse().unwrap(),
            partition: Partition::Aws,
            default_tags: Default::default(),
        }
    );
    let account = |name: &str, id: &str| Account {
        name: name.parse().unwrap(),
        id: id.parse().unwrap(),
    };
    assert_eq!(
        config.accounts(),
        [
            account("shared", "111111111111"),
            account("production", "222222222222"),
            account("qa", "333333333333"),
        ]
    );
    assert_eq!(
        *config.state(),
        State {
            account: "shared".parse().unwrap(),
            bucket: "acme-terraform-state".parse().unwrap(),
            region: "us-east-1".parse().unwrap(),
            role: "terraform-state".parse().unwrap(),
            key_prefix: Some("terraform".parse().unwrap()),
            use_lockfile: true,
            dynamodb_table: None,
            encrypt: true,
            kms_key_id: None,
            workspace_key_prefix: None,
            role_per_stack: false,
            list_scope: tfroles_core::ListScope::Bucket,
        }
    );
    let role = |name: &str, accounts: &[&str]| Role {
        name: name.parse().unwrap(),
        accounts: accounts.iter().map(|a| a.parse().unwrap()).collect(),
        path: Default::default(),
        external_id: None,
        session_name: None,
        duration: None,
        tags: Default::default(),
        source_identity: None,
        via: None,
        mfa_serial: None,
        permissions: Default::default(),
        trust: None,
        default_tags: Default::default(),
        module_roles: false,
    };
    assert_eq!(
        config.roles(),
        [
            Role {
                external_id: Some("tf-state".parse().unwrap()),
                ..role("terraform-state", &["shared"])
            },
            Role {
                external_id: Some("public-api".parse().unwrap()),
                session_name: Some("public-api".parse().unwrap()),
                duration: Some("2h".parse().unwrap()),
                tags: tfroles_core::types::SessionTags::new(vec![("team".into(), "api".into())])
                    .unwrap(),
                ..role("public-api-provisioning", &["qa", "production"])
            },
            Role {
                path: "/terraform/".parse().unwrap(),
                ..role("dns-provisioning", &["shared"])
            },
        ]
    );
    let labels: Vec<&str> = config.stacks().iter().map(|s| s.pattern.as_str()).collect();
    assert_eq!(labels, ["production/public-api", "qa/*"]);
    assert!(matches!(config.stacks()[0].pattern, StackPattern::Exact(_)));
    assert!(matches!(config.stacks()[1].pattern, StackPattern::Glob(_)));
    assert_eq!(
        config.root(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/example/input")
    );
}

#[test]
fn the_example_role_arns_and_sessions() {
    let config = example();
    let sessions: Vec<String> = config
        .role_sessions()
        .iter()
        .map(|s| {
            format!(
                "{} in {}: session {} for {}, external id {:?}",
                s.arn,
                s.account,
                s.session_name,
                s.duration,
                s.external_id.as_ref().map(|e| e.as_str())
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            "arn:aws:iam::111111111111:role/terraform-state in shared: session terraform for 1h, external id Some(\"tf-state\")",
            "arn:aws:iam::333333333333:role/public-api-provisioning in qa: session public-api for 2h, external id Some(\"public-api\")",
            "arn:aws:iam::222222222222:role/public-api-provisioning in production: session public-api for 2h, external id Some(\"public-api\")",
            "arn:aws:iam::111111111111:role/terraform/dns-provisioning in shared: session terraform for 1h, external id None",
        ]
    );
    let state = config.state_session();
    assert_eq!(
        state.arn.as_str(),
        "arn:aws:iam::111111111111:role/terraform-state"
    );
    let session = config
        .session("public-api-provisioning", Some("production"))
        .unwrap();
    let tags: Vec<(&str, &str)> = session.tags.iter().collect();
    assert_eq!(tags, [("team", "api")]);
}

#[test]
fn the_example_stacks_resolve_with_inheritance() {
    let config = example();
    let r = config
        .resolve(&dirs(&[
            "production/public-api",
            "qa/public-api",
            "qa/web",
            "shared/dns",
        ]))
        .unwrap();
    assert!(r.warnings.is_empty());
    let keys: Vec<(&str, &str)> = r
        .stacks
        .iter()
        .map(|s| (s.path.as_str(), s.state_key.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            (
                "production/public-api",
                "terraform/production/public-api/terraform.tfstate"
            ),
            ("qa/public-api", "terraform/qa/public-api/terraform.tfstate"),
            ("qa/web", "terraform/qa/web/terraform.tfstate"),
        ]
    );
    let providers: Vec<(Option<&str>, &str, &str, Vec<&str>)> = r.stacks[0]
        .providers
        .iter()
        .map(|p| {
            (
                p.alias.as_ref().map(|a| a.as_str()),
                p.region.as_str(),
                p.session.arn.as_str(),
                p.allowed_account_ids.iter().map(|a| a.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        providers,
        [
            // The default provider: the stack's account and role, the
            // default region, and only the stack's account allowed.
            (
                None,
                "us-west-2",
                "arn:aws:iam::222222222222:role/public-api-provisioning",
                vec!["222222222222"]
            ),
            // An alias setting only a region inherits account and role.
            (
                Some("us_east_1"),
                "us-east-1",
                "arn:aws:iam::222222222222:role/public-api-provisioning",
                vec!["222222222222"]
            ),
            // An alias in another account inherits the region, and guards
            // that account's id rather than the stack's.
            (
                Some("dns"),
                "us-west-2",
                "arn:aws:iam::111111111111:role/terraform/dns-provisioning",
                vec!["111111111111"]
            ),
        ]
    );
    let qa = &r.stacks[1];
    assert_eq!(qa.block, 1);
    assert_eq!(qa.providers.len(), 1);
    assert_eq!(
        qa.providers[0].session.arn.as_str(),
        "arn:aws:iam::333333333333:role/public-api-provisioning"
    );
    assert_eq!(qa.providers[0].allowed_account_ids.len(), 1);
    assert_eq!(
        qa.providers[0].allowed_account_ids[0].as_str(),
        "333333333333"
    );
}

#[test]
fn explicit_allowed_account_ids_apply_to_every_provider() {
    let text = edit(&[(
        "role    = \"app\"\n}",
        "role    = \"app\"\n  allowed_account_ids = [\"qa\", \"shared\", \"444444444444\"]\n  provider \"x\" {\n    account = \"shared\"\n    role    = \"terraform-state\"\n  }\n}",
    )]);
    let config = Config::from_str(&text).unwrap();
    let r = config.resolve(&[]).unwrap();
    for p in &r.stacks[0].providers {
        let ids: Vec<&str> = p.allowed_account_ids.iter().map(|a| a.as_str()).collect();
        assert_eq!(ids, ["333333333333", "111111111111", "444444444444"]);
    }
}

#[test]
fn allowed_account_ids_must_include_every_providers_account_and_not_be_empty() {
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  allowed_account_ids = [\"qa\"]\n  provider \"x\" {\n    account = \"shared\"\n    role    = \"terraform-state\"\n  }\n}",
        )]),
        indoc! {r#"
        tfroles.hcl:21:1: in block `stack "qa/app"`, attribute `allowed_account_ids`: leaves out account `shared` (111111111111), where provider `aws.x` works
          hint: add "shared" to `allowed_account_ids`"#},
    );
    assert_err(
        &edit(&[(
            "role    = \"app\"\n}",
            "role    = \"app\"\n  allowed_account_ids = []\n}",
        )]),
        indoc! {r#"
        tfroles.hcl:21:1: in block `stack "qa/app"`, attribute `allowed_account_ids`: is empty, which would let the providers run against any account
          allowed: account names or ids, including the stack's own
          hint: leave it out to allow just the stack's account"#},
    );
}

// ---------------------------------------------------------------- partitions

#[test]
fn every_arn_is_in_the_configured_partition() {
    for (partition, region) in [("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")] {
        let text = edit(&[
            (
                "\"us-west-2\"",
                &format!("\"{region}\"\n  partition = \"{partition}\""),
            ),
            (
                "role    = \"app\"\n}",
                "role    = \"app\"\n  provider \"x\" {\n    account = \"shared\"\n    role    = \"terraform-state\"\n  }\n}",
            ),
            (
                "accounts = [\"qa\"]",
                "accounts = [\"qa\", \"shared\"]\n  path = \"/tf/\"",
            ),
        ]);
        let config = Config::from_str(&text).unwrap();
        assert_eq!(config.defaults().partition.as_str(), partition);
        let mut arns: Vec<String> = config
            .role_sessions()
            .iter()
            .map(|s| s.arn.to_string())
            .collect();
        arns.push(config.state_session().arn.to_string());
        for stack in config.resolve(&[]).unwrap().stacks {
            arns.extend(stack.providers.iter().map(|p| p.session.arn.to_string()));
        }
        assert_eq!(
            arns,
            [
                format!("arn:{partition}:iam::111111111111:role/terraform-state"),
                format!("arn:{partition}:iam::333333333333:role/tf/app"),
                format!("arn:{partition}:iam::111111111111:role/tf/app"),
                format!("arn:{partition}:iam::111111111111:role/terraform-state"),
                format!("arn:{partition}:iam::333333333333:role/tf/app"),
                format!("arn:{partition}:iam::111111111111:role/terraform-state"),
            ]
        );
    }
}

// ---------------------------------------------------------------- the builder

#[test]
fn the_builder_gives_the_same_messages_without_locations() {
    let e = Config::builder()
        .defaults(DefaultsBuilder::new().region("us-west").duration("13h"))
        .account("shared", "1111")
        .account("qa", "333333333333")
        .state(StateBuilder::new("shared", "Acme", "terraform-state").key_prefix("/tf/"))
        .role(RoleBuilder::new("terraform-state").account("qa"))
        .role(RoleBuilder::new("app").accounts(&[]))
        .stack(StackBuilder::new("qa/app", "qa", "ap").provider("dns", None, Some("shraed"), None))
        .build()
        .unwrap_err();
    assert_eq!(
        shown(&e),
        indoc! {r#"
        <builder>: in block `defaults`, attribute `region`: "us-west" is not an AWS region
          allowed: a region name like `us-east-1`, `eu-central-2` or `us-gov-west-1`
        <builder>: in block `defaults`, attribute `duration`: 13h is outside the range STS accepts
          allowed: 15m to 12h
          hint: STS grants sessions of 15 minutes to 12 hours (and no more than the role's MaxSessionDuration)
        <builder>: in block `account "shared"`, attribute `id`: "1111" is not an AWS account id
          allowed: exactly 12 digits
          hint: account ids keep their leading zeros: write the id as a quoted string of 12 digits
        <builder>: in block `role "app"`, attribute `accounts`: is empty
          allowed: at least one account name
        <builder>: in block `state`, attribute `bucket`: "Acme" is not a valid S3 bucket name: it has 'A', which S3 does not allow
          allowed: 3 to 63 characters of lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, not shaped like an IP address
        <builder>: in block `state`, attribute `key_prefix`: "/tf/" is not a valid key prefix
          allowed: a non-empty S3 key prefix that neither starts nor ends with `/` and has no `//`
          hint: write "tf"
        <builder>: in block `stack "qa/app"`, attribute `role`: there is no role `ap`
          allowed: the roles defined: `terraform-state`, `app`
          hint: did you mean `app`?
        <builder>: in block `stack "qa/app" > provider "dns"`, attribute `account`: there is no account `shraed`
          allowed: the accounts defined: `qa`
          hint: define it with `account "shraed" { ... }`"#}
    );
}

#[test]
fn the_builder_and_the_file_agree() {
    // The same mistakes, written both ways: the same diagnostics but for
    // the file name and locations.
    let text = indoc! {r#"
        defaults {
          region   = "us-west"
          duration = "13h"
        }
        account "shared" {
          id = "1111"
        }
        account "qa" {
          id = "333333333333"
        }
        state {
          account    = "shared"
          bucket     = "Acme"
          role       = "terraform-state"
          key_prefix = "/tf/"
        }
        role "terraform-state" {
          account = "qa"
        }
        role "app" {
          accounts = []
        }
        stack "qa/app" {
          account = "qa"
          role    = "ap"
          provider "dns" {
            account = "shraed"
          }
        }
    "#};
    let from_file = Config::from_str(text).unwrap_err();
    let from_code = Config::builder()
        .defaults(DefaultsBuilder::new().region("us-west").duration("13h"))
        .account("shared", "1111")
        .account("qa", "333333333333")
        .state(StateBuilder::new("shared", "Acme", "terraform-state").key_prefix("/tf/"))
        .role(RoleBuilder::new("terraform-state").account("qa"))
        .role(RoleBuilder::new("app").accounts(&[]))
        .stack(StackBuilder::new("qa/app", "qa", "ap").provider("dns", None, Some("shraed"), None))
        .build()
        .unwrap_err();
    let strip = |e: &Error| {
        e.diagnostics()
            .iter()
            .map(|d| {
                (
                    d.block.clone(),
                    d.attribute.clone(),
                    d.message.clone(),
                    d.allowed.clone(),
                    d.hint.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    // The file's are in line order, the builder's in the order checked.
    let (mut a, mut b) = (strip(&from_file), strip(&from_code));
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(a.len(), 8);
    for d in from_code.diagnostics() {
        assert_eq!(d.file, Path::new("<builder>"));
        assert_eq!(d.location, None);
    }
}

#[test]
fn the_builder_builds_what_the_file_says() {
    let from_code = Config::builder()
        .defaults(DefaultsBuilder::new().region("us-west-2"))
        .account("shared", "111111111111")
        .account("qa", "333333333333")
        .state(StateBuilder::new(
            "shared",
            "acme-terraform-state",
            "terraform-state",
        ))
        .role(RoleBuilder::new("terraform-state").account("shared"))
        .role(RoleBuilder::new("app").accounts(&["qa"]))
        .stack(StackBuilder::new("qa/app", "qa", "app"))
        .build()
        .unwrap();
    let from_file = Config::from_str(BASE).unwrap();
    assert_eq!(from_code.defaults(), from_file.defaults());
    assert_eq!(from_code.accounts(), from_file.accounts());
    assert_eq!(from_code.state(), from_file.state());
    assert_eq!(from_code.roles(), from_file.roles());
    assert_eq!(
        from_code.resolve(&[]).unwrap(),
        from_file.resolve(&[]).unwrap()
    );
}

// ---------------------------------------------------------------- lookups

#[test]
fn session_lookups_name_what_is_missing() {
    let config = example();
    let e = |role: &str, account: Option<&str>| shown(&config.session(role, account).unwrap_err());
    let file = config.file().display();
    assert_eq!(
        e("dns-provisoning", None),
        format!(
            "{file}: there is no role `dns-provisoning`\n  allowed: `terraform-state`, `public-api-provisioning`, `dns-provisioning`\n  hint: did you mean `dns-provisioning`?"
        )
    );
    assert_eq!(
        e("public-api-provisioning", None),
        format!(
            "{file}: role `public-api-provisioning` exists in several accounts\n  allowed: `qa`, `production`\n  hint: name one with `--account`"
        )
    );
    assert_eq!(
        e("public-api-provisioning", Some("shared")),
        format!(
            "{file}: role `public-api-provisioning` does not exist in account `shared`\n  allowed: `qa`, `production`\n  hint: add `shared` to the `accounts` of role `public-api-provisioning`"
        )
    );
    assert_eq!(
        e("public-api-provisioning", Some("prod")),
        format!("{file}: there is no account `prod`\n  allowed: `shared`, `production`, `qa`")
    );
}

// ---------------------------------------------------------------- via, mfa_serial, identity

#[test]
fn via_names_an_unknown_role() {
    assert_err(
        &append("role \"deployer\" {\n  account = \"qa\"\n  via     = \"ap\"\n}\n"),
        indoc! {r#"
            tfroles.hcl:27:13: in block `role "deployer"`, attribute `via`: there is no role `ap`
              allowed: the roles defined: `terraform-state`, `app`, `deployer`
              hint: did you mean `app`?"#},
    );
    assert_err(
        &append("role \"deployer\" {\n  account = \"qa\"\n  via     = \"nothing-like-it\"\n}\n"),
        indoc! {r#"
            tfroles.hcl:27:13: in block `role "deployer"`, attribute `via`: there is no role `nothing-like-it`
              allowed: the roles defined: `terraform-state`, `app`, `deployer`
              hint: define it with `role "nothing-like-it" { ... }`"#},
    );
}

#[test]
fn via_names_the_role_itself() {
    assert_err(
        &edit(&[(
            "  accounts = [\"qa\"]\n",
            "  accounts = [\"qa\"]\n  via      = \"app\"\n",
        )]),
        indoc! {r#"
            tfroles.hcl:20:14: in block `role "app"`, attribute `via`: names the role itself
              allowed: another role, assumed first"#},
    );
}

#[test]
fn via_chains_must_end() {
    // Each `via` of the cycle is reported where it is written.
    assert_err(
        &append(
            "role \"a\" {\n  account = \"qa\"\n  via     = \"b\"\n}\nrole \"b\" {\n  account = \"qa\"\n  via     = \"a\"\n}\n",
        ),
        indoc! {r#"
            tfroles.hcl:27:13: in block `role "a"`, attribute `via`: the chain `a` -> `b` -> `a` comes back to itself
              allowed: a chain that ends in a role without `via`
            tfroles.hcl:31:13: in block `role "b"`, attribute `via`: the chain `b` -> `a` -> `b` comes back to itself
              allowed: a chain that ends in a role without `via`"#},
    );
}

#[test]
fn a_via_role_in_several_other_accounts_is_ambiguous() {
    assert_err(
        &append(indoc! {r#"
            account "prod" {
              id = "222222222222"
            }
            role "hub" {
              accounts = ["shared", "qa"]
            }
            role "deploy" {
              accounts = ["prod", "qa"]
              via      = "hub"
            }
        "#}),
        indoc! {r#"
            tfroles.hcl:33:14: in block `role "deploy"`, attribute `via`: role `hub` exists in several accounts and not in `prod`, so it is unclear which to assume first
              allowed: a `via` role in the same account, or in exactly one account
              hint: give `hub` the account(s) `prod`, or chain through a role that lives in one hub account"#},
    );
    // In the same account, or in exactly one: clear.
    let ok = append(indoc! {r#"
        role "hub" {
          accounts = ["shared", "qa"]
        }
        role "deploy" {
          account = "qa"
          via     = "hub"
        }
        role "spoke" {
          account = "qa"
          via     = "terraform-state"
        }
    "#});
    let config = Config::from_str(&ok).unwrap();
    let via = |role: &str| {
        let s = config.session(role, None).unwrap();
        s.via.map(|v| v.arn.to_string())
    };
    assert_eq!(
        via("deploy").as_deref(),
        Some("arn:aws:iam::333333333333:role/hub")
    );
    assert_eq!(
        via("spoke").as_deref(),
        Some("arn:aws:iam::111111111111:role/terraform-state")
    );
}

#[test]
fn a_chained_session_lasts_at_most_one_hour() {
    let expected = |line: u32, asked: &str| {
        format!(
            "tfroles.hcl:{line}:14: in block `role \"app\"`, attribute `via`: a session assumed with another role's session (role chaining) lasts at most 1h, and this role asks for {asked}\n  \
             allowed: `duration = \"1h\"` or less on a role with `via`\n  \
             hint: AWS caps chained sessions at one hour; set `duration` on this role"
        )
    };
    assert_err(
        &edit(&[(
            "  accounts = [\"qa\"]\n",
            "  accounts = [\"qa\"]\n  duration = \"2h\"\n  via      = \"terraform-state\"\n",
        )]),
        &expected(21, "2h"),
    );
    // The default duration counts too, and the role's own setting fixes it.
    let long_default = [
        (
            "  region = \"us-west-2\"\n",
            "  region   = \"us-west-2\"\n  duration = \"90m\"\n",
        ),
        (
            "  accounts = [\"qa\"]\n",
            "  accounts = [\"qa\"]\n  via      = \"terraform-state\"\n",
        ),
    ];
    assert_err(&edit(&long_default), &expected(21, "1h30m"));
    let fixed = [
        long_default[0],
        (
            "  accounts = [\"qa\"]\n",
            "  accounts = [\"qa\"]\n  via      = \"terraform-state\"\n  duration = \"1h\"\n",
        ),
    ];
    Config::from_str(&edit(&fixed)).unwrap();
}

#[test]
fn mfa_serials() {
    assert_err(
        &edit(&[(
            "  accounts = [\"qa\"]\n",
            "  accounts   = [\"qa\"]\n  mfa_serial = \"short\"\n",
        )]),
        indoc! {r#"
            tfroles.hcl:20:16: in block `role "app"`, attribute `mfa_serial`: "short" is not an MFA device serial number or ARN
              allowed: 9 to 256 characters of letters, digits and `+=/:,.@_-`, like `arn:aws:iam::111111111111:mfa/alice`"#},
    );
    assert_err(
        &edit(&[(
            "  accounts = [\"qa\"]\n",
            "  accounts   = [\"qa\"]\n  mfa_serial = \"arn:aws:iam::333333333333:mfa/alice smith\"\n",
        )]),
        indoc! {r#"
            tfroles.hcl:20:16: in block `role "app"`, attribute `mfa_serial`: "arn:aws:iam::333333333333:mfa/alice smith" is not an MFA device serial number or ARN
              allowed: 9 to 256 characters of letters, digits and `+=/:,.@_-`, like `arn:aws:iam::111111111111:mfa/alice`"#},
    );
}

/// What terraform cannot do when it assumes the roles itself (the default
/// `credentials = "assume_role"`): chain in the backend, or ask for MFA codes.
#[test]
fn via_and_mfa_need_the_profile_mode_where_terraform_assumes_roles_itself() {
    let hint = "  hint: set `credentials = \"profile\"` in `defaults`: then terraform asks `tfroles credential-process`, which chains roles and asks for MFA codes";
    let state_via = [(
        "role \"terraform-state\" {\n  account = \"shared\"\n}\n",
        "role \"terraform-state\" {\n  account = \"shared\"\n  via     = \"hub\"\n}\nrole \"hub\" {\n  account = \"shared\"\n}\n",
    )];
    assert_err(
        &edit(&state_via),
        &format!(
            "tfroles.hcl:10:1: in block `state`, attribute `role`: role `terraform-state` is assumed `via` another role, and terraform's s3 backend takes one `assume_role` only\n{hint}"
        ),
    );
    let stack_mfa = [(
        "  accounts = [\"qa\"]\n",
        "  accounts   = [\"qa\"]\n  mfa_serial = \"arn:aws:iam::333333333333:mfa/alice\"\n",
    )];
    assert_err(
        &edit(&stack_mfa),
        &format!(
            "tfroles.hcl:22:1: in block `stack \"qa/app\"`, attribute `role`: role `app` requires MFA (arn:aws:iam::333333333333:mfa/alice), and terraform cannot ask for a code when it assumes roles itself\n{hint}"
        ),
    );
    // MFA anywhere along a stack's chain: terraform would need a code for it.
    assert_err(
        &edit(&[
            (
                "  accounts = [\"qa\"]\n",
                "  accounts = [\"qa\"]\n  via      = \"hub\"\n",
            ),
            (
                "stack \"qa/app\"",
                "role \"hub\" {\n  account    = \"shared\"\n  mfa_serial = \"GAHT12345678\"\n}\nstack \"qa/app\"",
            ),
        ]),
        &format!(
            "tfroles.hcl:26:1: in block `stack \"qa/app\"`, attribute `role`: role `hub` requires MFA (GAHT12345678), and terraform cannot ask for a code when it assumes roles itself\n{hint}"
        ),
    );
    // Roles no stack or state uses may have either; and the profile mode
    // takes both anywhere.
    Config::from_str(&append(
        "role \"break-glass\" {\n  account    = \"qa\"\n  via        = \"app\"\n  mfa_serial = \"GAHT12345678\"\n}\n",
    ))
    .unwrap();
    let profile = (
        "  region = \"us-west-2\"\n",
        "  region      = \"us-west-2\"\n  credentials = \"profile\"\n",
    );
    Config::from_str(&edit(&[profile, state_via[0], stack_mfa[0]])).unwrap();
}

#[test]
fn identity_blocks() {
    assert_err(
        &append("identity \"ci\" {\n  audience = \"sts.amazonaws.com\"\n}\n"),
        indoc! {r#"
            tfroles.hcl:25:1: in block `identity "ci"`: missing required attribute `web_identity` or `arn`
              allowed: `web_identity` for a CI token (`github`, `terraform-cloud`, `env:VAR` or `file:PATH`), or `arn` for an IAM user or role people or CI start from"#},
    );
    for bad in ["gitlab", "env:", "env:A-B", "file:"] {
        assert_err(
            &append(&format!(
                "identity \"ci\" {{\n  web_identity = \"{bad}\"\n}}\n"
            )),
            &format!(
                "tfroles.hcl:26:18: in block `identity \"ci\"`, attribute `web_identity`: \"{bad}\" is not a web identity source\n  \
                 allowed: `github`, `terraform-cloud`, `env:VAR` or `file:PATH`"
            ),
        );
    }
    assert_err(
        &append(
            "identity \"ci\" {\n  web_identity = \"env:CI_TOKEN\"\n  audience     = \"sts.amazonaws.com\"\n}\n",
        ),
        indoc! {r#"
            tfroles.hcl:27:18: in block `identity "ci"`, attribute `audience`: applies only to `web_identity = "github"`
              hint: other CI systems set the audience when they issue the token"#},
    );
    assert_err(
        &append(
            "identity \"ci\" {\n  web_identity = \"github\"\n}\nidentity \"ci\" {\n  web_identity = \"terraform-cloud\"\n}\n",
        ),
        indoc! {r#"
            tfroles.hcl:28:1: in block `identity "ci"`: identity `ci` is defined twice (first on line 25)
              hint: identity names must be unique; remove or rename one"#},
    );
    // A duplicate of an invalid block is a duplicate all the same.
    assert_err(
        &append(
            "identity \"ci\" {\n  web_identity = \"gitlab\"\n}\nidentity \"ci\" {\n  web_identity = \"terraform-cloud\"\n}\n",
        ),
        indoc! {r#"
            tfroles.hcl:26:18: in block `identity "ci"`, attribute `web_identity`: "gitlab" is not a web identity source
              allowed: `github`, `terraform-cloud`, `env:VAR` or `file:PATH`
            tfroles.hcl:28:1: in block `identity "ci"`: identity `ci` is defined twice (first on line 25)
              hint: identity names must be unique; remove or rename one"#},
    );
    assert_err(
        &append("identity {\n  web_identity = \"github\"\n}\n"),
        indoc! {r#"
            tfroles.hcl:25:1: in block `identity`: an `identity` block takes 1 label, not 0
              allowed: `identity "NAME" { ... }`"#},
    );

    let config = Config::from_str(&append(
        "identity \"gh\" {\n  web_identity = \"github\"\n  audience     = \"sts.example.com\"\n}\nidentity \"gitlab\" {\n  web_identity = \"env:GITLAB_OIDC_TOKEN\"\n}\n",
    ))
    .unwrap();
    let sources: Vec<_> = config
        .identities()
        .iter()
        .map(|i| (i.name.as_str(), i.source().unwrap().describe()))
        .collect();
    assert_eq!(
        sources,
        [
            ("gh", "github (audience sts.example.com)".to_owned()),
            ("gitlab", "env:GITLAB_OIDC_TOKEN".to_owned())
        ]
    );
}

// ---------------------------------------------------------------- CI trust

/// A role "ci" whose trust holds these `github` blocks, appended to BASE:
/// the role block starts on line 25, the first `github` block on line 28.
fn github_trust(blocks: &str) -> String {
    let blocks: String = blocks.lines().map(|l| format!("    {l}\n")).collect();
    append(&format!(
        "role \"ci\" {{\n  account = \"qa\"\n  trust {{\n{blocks}  }}\n}}\n"
    ))
}

#[test]
fn github_ids_workflows_pull_requests_and_refs() {
    assert_err(
        &github_trust(indoc! {r#"
            github {
              repository    = "acme/infra"
              owner_id      = "7890"
              repository_id = 12.5
              environment   = "prod"
            }
            github {
              repository = "acme/infra"
              owner_id   = 7890
              ref        = "v1.2"
            }
            github {
              repository   = "acme/infra"
              pull_request = true
              environment  = "prod"
              ref          = "refs/pull/1/merge"
            }
            github {
              repository       = "acme/infra"
              job_workflow_ref = "acme/workflows/deploy.yml"
            }
            github {
              repository       = "acme/infra"
              job_workflow_ref = "acme/workflows/.github/workflows/deploy.yml@"
              pull_request     = "true"
            }
        "#}),
        indoc! {r#"
            tfroles.hcl:30:23: in block `role "ci" > trust > github`, attribute `owner_id`: expected a number, found a string
              allowed: GitHub's numeric id, a whole number like `123456`
              hint: write it without quotes: `owner_id = 7890`
            tfroles.hcl:31:23: in block `role "ci" > trust > github`, attribute `repository_id`: 12.5 is not a GitHub id
              allowed: GitHub's numeric id, a whole number like `123456`
              hint: `gh api repos/OWNER/REPO --jq '.owner.id, .id'` prints both ids
            tfroles.hcl:36:7: in block `role "ci" > trust > github`, attribute `owner_id`: is set without `repository_id`
              allowed: both `owner_id` and `repository_id`, or neither
              hint: GitHub's immutable subject names both ids; `gh api repos/OWNER/REPO --jq '.owner.id, .id'` prints them
            tfroles.hcl:37:20: in block `role "ci" > trust > github`, attribute `ref`: "v1.2" is not a full branch or tag ref
              allowed: `refs/heads/BRANCH` or `refs/tags/TAG` (`*` allowed)
              hint: did you mean `refs/tags/v1.2`?
            tfroles.hcl:41:7: in block `role "ci" > trust > github`, attribute `pull_request`: is set together with `environment`, and no token has both
              allowed: one of `pull_request` and `environment`: GitHub sends the `pull_request` subject only to jobs that name no environment; a job with one gets `environment:NAME`
              hint: trust pull requests and the other jobs in two `github` blocks
            tfroles.hcl:41:7: in block `role "ci" > trust > github`, attribute `pull_request`: is set together with `ref`, and no token has both
              allowed: one of `pull_request` and `ref`: a pull request job's subject is `pull_request`, which names no ref
              hint: trust pull requests and the other jobs in two `github` blocks
            tfroles.hcl:42:7: in block `role "ci" > trust > github`: sets both `environment` and `ref`
              allowed: one of them: a job with an environment gets a `sub` naming the environment, not the ref
            tfroles.hcl:43:22: in block `role "ci" > trust > github`, attribute `ref`: "refs/pull/1/merge" is not a full branch or tag ref
              allowed: `refs/heads/BRANCH` or `refs/tags/TAG` (`*` allowed)
              hint: pull request jobs get the subject `pull_request`: set `pull_request = true` instead
            tfroles.hcl:47:26: in block `role "ci" > trust > github`, attribute `job_workflow_ref`: "acme/workflows/deploy.yml" is not `ORG/REPO/.github/workflows/FILE@REF`
              allowed: `ORG/REPO/.github/workflows/FILE@REF`, like `acme/workflows/.github/workflows/deploy.yml@refs/heads/main` (`*` allowed)
              hint: name the ref the callers pin after `@`, like `@refs/heads/main` or `@refs/tags/v1`
            tfroles.hcl:51:26: in block `role "ci" > trust > github`, attribute `job_workflow_ref`: "acme/workflows/.github/workflows/deploy.yml@" is not `ORG/REPO/.github/workflows/FILE@REF`
              allowed: `ORG/REPO/.github/workflows/FILE@REF`, like `acme/workflows/.github/workflows/deploy.yml@refs/heads/main` (`*` allowed)
              hint: the file is a `.yml` or `.yaml` in `.github/workflows/` of the repository holding the reusable workflow
            tfroles.hcl:52:26: in block `role "ci" > trust > github`, attribute `pull_request`: expected a bool, found a string
              hint: write true without quotes"#},
    );
}

#[test]
fn github_ids_name_one_repository() {
    assert_err(
        &github_trust(indoc! {r#"
            github {
              repository    = "acme/*"
              owner_id      = 7890
              repository_id = 123456
              environment   = "prod"
            }
        "#}),
        indoc! {r#"
            tfroles.hcl:30:7: in block `role "ci" > trust > github`, attribute `owner_id`: names one repository's owner, but `repository` is the pattern "acme/*"
              allowed: ids with one `OWNER/REPO`, or a pattern without ids
              hint: one `github` block per repository, each with its ids"#},
    );
}

#[test]
fn a_github_block_with_ids_but_no_subject_part_is_still_refused() {
    assert_err(
        &github_trust(indoc! {r#"
            github {
              repository    = "acme/infra"
              owner_id      = 7890
              repository_id = 123456
            }
        "#}),
        indoc! {r#"
            tfroles.hcl:28:5: in block `role "ci" > trust > github`: sets none of `environment`, `ref`, `pull_request` and `job_workflow_ref`, so every branch, tag and pull request of the repository could assume the role
              allowed: `environment = "production"`, `ref = "refs/heads/main"`, `pull_request = true`, or `job_workflow_ref = "ORG/REPO/.github/workflows/FILE@REF"`
              hint: a GitHub environment with protection rules is the strongest: only jobs it approves get the token"#},
    );
}

// ---------------------------------------------------------------- default_tags and workspaces

#[test]
fn default_tags_follow_aws_tag_rules_and_point_at_the_tag() {
    assert_err(
        &edit(&[(
            "  region = \"us-west-2\"\n}",
            "  region = \"us-west-2\"\n  default_tags = { ManagedBy = \"terraform\", \"aws:cost\" = \"x\" }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:3:45: in block `defaults`, attribute `default_tags`: tag key "aws:cost" uses the prefix `aws:`, which AWS reserves
              allowed: keys of 1 to 128 characters not starting with `aws:`, values of up to 256, no control characters
              hint: AWS refuses to create a resource with such a tag; rename the key"#},
    );
    assert_err(
        &append(
            "role \"tagged\" {\n  account      = \"qa\"\n  default_tags = { Team = \"a\", Owner = \"b\\nc\" }\n}\n",
        ),
        indoc! {r#"
            tfroles.hcl:27:32: in block `role "tagged"`, attribute `default_tags`: the value of tag "Owner" is not a valid tag value
              allowed: keys of 1 to 128 characters not starting with `aws:`, values of up to 256, no control characters
              hint: AWS tag values are at most 256 characters on one line"#},
    );
    let long = "k".repeat(129);
    assert_err(
        &edit(&[(
            "  role    = \"app\"\n}",
            &format!("  role    = \"app\"\n  default_tags = {{ {long} = \"v\" }}\n}}"),
        )]),
        &format!(
            "tfroles.hcl:24:20: in block `stack \"qa/app\"`, attribute `default_tags`: \"{long}\" is not a valid tag key\n  allowed: keys of 1 to 128 characters not starting with `aws:`, values of up to 256, no control characters\n  hint: AWS tag keys are 1 to 128 characters"
        ),
    );
    assert_err(
        &edit(&[(
            "  role    = \"app\"\n}",
            "  role    = \"app\"\n  provider \"x\" {\n    default_tags = { \"caf\\u00e9\" = \"1\", \"cafe\\u0301\" = \"2\" }\n  }\n}",
        )]),
        indoc! {r#"
            tfroles.hcl:25:41: in block `stack "qa/app" > provider "x"`, attribute `default_tags`: tag key "café" is given twice
              allowed: keys of 1 to 128 characters not starting with `aws:`, values of up to 256, no control characters
              hint: remove one of them"#},
    );
    assert_err(
        &edit(&[(
            "  role    = \"app\"\n}",
            "  role    = \"app\"\n  default_tags = [\"a\"]\n}",
        )]),
        indoc! {r#"
        tfroles.hcl:24:18: in block `stack "qa/app"`, attribute `default_tags`: expected an object of strings, found a list"#},
    );
}

#[test]
fn default_tags_merge_defaults_role_stack_provider_later_wins() {
    let config = Config::from_str(&edit(&[
        ("  region = \"us-west-2\"\n}", "  region = \"us-west-2\"\n  default_tags = { ManagedBy = \"terraform\", Owner = \"nobody\", Tier = \"x\" }\n}"),
        ("  accounts = [\"qa\"]\n}", "  accounts = [\"qa\"]\n  default_tags = { Owner = \"platform\" }\n}"),
        ("  role    = \"app\"\n}", "  role    = \"app\"\n  default_tags = { Tier = \"web\" }\n  provider \"edge\" {\n    default_tags = { Owner = \"edge\", Edge = \"true\" }\n  }\n}"),
    ]))
    .unwrap();
    let stack = &config.resolve(&[]).unwrap().stacks[0];
    let tags = |i: usize| -> Vec<(String, String)> {
        stack.providers[i]
            .default_tags
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(
        tags(0),
        pairs(&[
            ("ManagedBy", "terraform"),
            ("Owner", "platform"),
            ("Tier", "web")
        ])
    );
    assert_eq!(
        tags(1),
        pairs(&[
            ("ManagedBy", "terraform"),
            ("Owner", "edge"),
            ("Tier", "web"),
            ("Edge", "true")
        ])
    );
}

#[test]
fn workspace_blocks_are_checked_like_the_stack() {
    assert_err(
        &append(indoc! {r#"
            stack "qa/ws" {
              account = "qa"
              role    = "app"
              workspace "prod/eu" {}
              workspace "staging" {
                account = "shared"
              }
              workspace "staging" {}
              workspace "dev" {
                acount = "qa"
              }
              workspace "x" {
                role = "nope"
              }
            }
        "#}),
        indoc! {r#"
            tfroles.hcl:28:3: in block `stack "qa/ws" > workspace "prod/eu"`: "prod/eu" is not a valid workspace name
              allowed: a terraform workspace name: 1 to 128 ASCII letters, digits and `-_.~$&+:=@` (terraform refuses any name that would need escaping in a URL path, `/` included)
              hint: `terraform workspace new` would refuse it too; for example "prod-eu"
            tfroles.hcl:30:15: in block `stack "qa/ws" > workspace "staging"`, attribute `account`: role `app` does not exist in account `shared`
              allowed: role `app` exists in `qa`
              hint: add "shared" to `accounts` in `role "app"`, or use a role defined in `shared`
            tfroles.hcl:32:3: in block `stack "qa/ws" > workspace "staging"`: workspace `staging` is listed twice in this stack (first on line 29)
              hint: merge the two blocks
            tfroles.hcl:34:5: in block `stack "qa/ws" > workspace "dev"`: unknown attribute `acount`
              allowed: `account`, `role`, `region`, `allowed_account_ids`
              hint: did you mean `account`?
            tfroles.hcl:37:12: in block `stack "qa/ws" > workspace "x"`, attribute `role`: there is no role `nope`
              allowed: the roles defined: `terraform-state`, `app`
              hint: define it with `role "nope" { ... }`"#},
    );
    // An alias inherits each workspace's account: its role must exist there.
    assert_err(
        &edit(&[
            (
                "  accounts = [\"qa\"]\n}",
                "  accounts = [\"qa\", \"shared\"]\n}\nrole \"edge\" {\n  account = \"qa\"\n}",
            ),
            (
                "  role    = \"app\"\n}",
                "  role    = \"app\"\n  workspace \"default\" {}\n  workspace \"ops\" {\n    account = \"shared\"\n  }\n  provider \"edge\" {\n    role = \"edge\"\n  }\n}",
            ),
        ]),
        indoc! {r#"
            tfroles.hcl:32:12: in block `stack "qa/app" > provider "edge" (in workspace "ops")`, attribute `role`: role `edge` does not exist in account `shared`
              allowed: role `edge` exists in `qa`
              hint: add "shared" to `accounts` in `role "edge"`, or use a role defined in `shared`"#},
    );
    assert_err(
        &append(indoc! {r#"
            stack "qa/ws" {
              account = "qa"
              role    = "app"
              workspace "s" {
                allowed_account_ids = ["shared"]
              }
              workspace "t" {
                allowed_account_ids = []
              }
            }
        "#}),
        indoc! {r#"
            tfroles.hcl:28:3: in block `stack "qa/ws" > workspace "s"`, attribute `allowed_account_ids`: leaves out account `qa` (333333333333), where the default provider in workspace `s` works
              hint: add "qa" to `allowed_account_ids`
            tfroles.hcl:31:3: in block `stack "qa/ws" > workspace "t"`, attribute `allowed_account_ids`: is empty, which would let the providers run against any account
              allowed: account names or ids, including the stack's own
              hint: leave it out to allow just the stack's account"#},
    );
}

#[test]
fn a_directory_named_like_a_workspace_key_is_refused() {
    let text = append(indoc! {r#"
        stack "env:/staging/qa/w" {
          account = "qa"
          role    = "app"
        }
        stack "qa/w" {
          account = "qa"
          role    = "app"
          workspace "staging" {}
        }
    "#});
    let config = Config::from_str(&text).unwrap();
    let err = config.resolve(&[]).unwrap_err().to_string();
    assert!(
        err.contains("the state key `env:/staging/qa/w/terraform.tfstate` of \"env:/staging/qa/w\" is also where a workspace of \"qa/w\" keeps its state"),
        "{err}"
    );
}

#[test]
fn workspaces_resolve_to_their_accounts_roles_regions_and_keys() {
    let config = Config::from_str(&edit(&[
        ("  accounts = [\"qa\"]\n}", "  accounts = [\"qa\", \"shared\"]\n}"),
        ("  bucket  = \"acme-terraform-state\"", "  bucket  = \"acme-terraform-state\"\n  workspace_key_prefix = \"ws\""),
        ("  role    = \"app\"\n}", "  role    = \"app\"\n  workspace \"default\" {}\n  workspace \"ops\" {\n    account = \"shared\"\n    region  = \"eu-west-1\"\n  }\n}"),
    ]))
    .unwrap();
    let stack = &config.resolve(&[]).unwrap().stacks[0];
    assert!(stack.providers.is_empty());
    let got: Vec<(&str, &str, &str, &str, Vec<&str>)> = stack
        .workspaces
        .iter()
        .map(|w| {
            (
                w.name.as_str(),
                w.state_key.as_str(),
                w.providers[0].session.arn.as_str(),
                w.providers[0].region.as_str(),
                w.providers[0]
                    .allowed_account_ids
                    .iter()
                    .map(|a| a.as_str())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "default",
                "qa/app/terraform.tfstate",
                "arn:aws:iam::333333333333:role/app",
                "us-west-2",
                vec!["333333333333"]
            ),
            (
                "ops",
                "ws/ops/qa/app/terraform.tfstate",
                "arn:aws:iam::111111111111:role/app",
                "eu-west-1",
                vec!["111111111111"]
            ),
        ]
    );
}
