//! Property tests: whatever the input, the loader and the resolver answer
//! with a value or an error, never a panic, and their errors point at lines
//! that exist.

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;
use tfroles_core::types::StackPath;
use tfroles_core::{Config, Error, Result, StackBuilder};

const EXAMPLE: &str = include_str!("../../../fixtures/example/input/tfroles.hcl");

/// The properties every answer has. `text` is what was loaded (bytes that
/// are not UTF-8 replaced, which keeps lines and shortens none).
fn check(text: &str, result: &Result<Config>) {
    let Err(e) = result else {
        return;
    };
    let shown = e.to_string();
    assert!(!shown.trim().is_empty(), "empty message for {text:?}");
    if let Error::Invalid(d) = e {
        assert!(!d.0.is_empty(), "no diagnostics for {text:?}");
        let lines: Vec<&str> = text.split('\n').collect();
        // A final newline ends the last line; it does not start another.
        let count = text.lines().count().max(1);
        let mut previous = None;
        for diag in &d.0 {
            assert!(!diag.to_string().is_empty());
            assert!(!diag.message.is_empty(), "{diag:?}");
            if let Some(loc) = diag.location {
                assert!(
                    (1..=count).contains(&loc.line),
                    "line {} of {count}: {diag}\nin {text:?}",
                    loc.line
                );
                let width = lines[loc.line - 1].chars().count();
                assert!(
                    (1..=width + 1).contains(&loc.column),
                    "column {} of a line of {width}: {diag}\nin {text:?}",
                    loc.column
                );
            }
            // In file order.
            assert!(previous <= diag.location, "out of order: {shown}");
            previous = diag.location;
        }
    }
}

/// A valid config also resolves and answers every lookup without panicking.
fn exercise(config: &Config) {
    let _ = config.role_sessions();
    let _ = config.state_session();
    for role in config.roles() {
        for account in &role.accounts {
            config
                .session(role.name.as_str(), Some(account.as_str()))
                .unwrap();
        }
    }
    let dirs: Vec<StackPath> = ["production/public-api", "qa/api", "qa/x/y", "shared"]
        .iter()
        .map(|d| d.parse().unwrap())
        .collect();
    if let Ok(r) = config.resolve(&dirs) {
        check_resolution(&r.stacks);
    }
}

fn check_resolution(stacks: &[tfroles_core::Stack]) {
    for (i, s) in stacks.iter().enumerate() {
        let key = &s.state_key;
        assert!(
            !key.starts_with('/') && !key.ends_with('/') && !key.contains("//"),
            "bad state key {key:?}"
        );
        assert!(key.ends_with("/terraform.tfstate"), "{key:?}");
        assert!(!s.providers.is_empty());
        assert!(s.providers[0].alias.is_none());
        if i > 0 {
            assert!(stacks[i - 1].path < s.path, "not sorted and unique");
        }
    }
}

fn load_file(dir: &Path, bytes: &[u8]) -> Result<Config> {
    let path = dir.join("tfroles.hcl");
    std::fs::write(&path, bytes).unwrap();
    Config::from_path(&path)
}

// ------------------------------------------------------------ (a) any input

/// HCL's own characters, so random text gets past the first token.
const HCLISH: &str = "[a-z_\"{}=\\[\\],.:#/*$%<>()!?0-9 \t\r\n\\\\-]{0,200}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_string_from_a_file(text in any::<String>()) {
        let dir = tempfile::tempdir().unwrap();
        let result = load_file(dir.path(), text.as_bytes());
        check(&text, &result);
    }

    #[test]
    fn any_hcl_like_string(text in HCLISH) {
        let result = Config::from_str(&text);
        check(&text, &result);
        if let Ok(c) = &result {
            exercise(c);
        }
    }

    #[test]
    fn any_bytes_from_a_file(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        let result = load_file(dir.path(), &bytes);
        check(&String::from_utf8_lossy(&bytes), &result);
    }

    #[test]
    fn the_example_with_bytes_spliced_in(
        at in any::<Index>(),
        bytes in proptest::collection::vec(any::<u8>(), 1..8),
    ) {
        let mut data = EXAMPLE.as_bytes().to_vec();
        let at = at.index(data.len() + 1);
        data.splice(at..at, bytes);
        let dir = tempfile::tempdir().unwrap();
        let result = load_file(dir.path(), &data);
        check(&String::from_utf8_lossy(&data), &result);
    }
}

// ------------------------------------------------------------ (b) mutations

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(Index),
    DuplicateLine(Index, Index),
    ReplaceChar(Index, char),
    ReplaceToken(Index, String),
    ReplaceString(Index, String),
    Insert(Index, String),
    Truncate(Index),
}

/// Tokens worth swapping in: the config's own words and values, HCL syntax,
/// and values of every kind.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            "=",
            "\"",
            ",",
            "\n",
            "#",
            "//",
            "/*",
            "*/",
            "null",
            "true",
            "false",
            "0",
            "1e3",
            "-1",
            "var.x",
            "f(x)",
            "\"${x}\"",
            "\"%{if x}y%{endif}\"",
            "<<EOT\nx\nEOT\n",
            "\"\"",
            "\"111111111111\"",
            "\"aws-cn\"",
            "\"/\"",
            "\"//\"",
            "\"*\"",
            "\"**\"",
            "\"qa/**\"",
            "\"..\"",
            "account",
            "accounts",
            "role",
            "stack",
            "state",
            "defaults",
            "provider",
            "region",
            "id",
            "duration",
            "tags",
            "{ a = \"b\" }",
            "[\"qa\", \"qa\"]",
            "\"0s\"",
            "\"13h\"",
            "\"\\u0000\"",
            "é",
            "\u{301}",
            "\u{feff}",
        ])
        .prop_map(str::to_owned),
        "[a-z_\\-/*.]{1,12}".prop_map(|s| format!("\"{s}\"")),
        any::<String>(),
    ]
}

/// Contents for a string literal: values the rules care about, near
/// misses, and anything at all.
fn string_content() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "a",
            "shared",
            "qa",
            "production",
            "terraform-state",
            "dns-provisioning",
            "public-api-provisioning",
            "111111111111",
            "11111111111",
            "222222222222",
            "us-east-1",
            "US-EAST-1",
            "cn-north-1",
            "/",
            "/terraform/",
            "terraform/",
            "14m",
            "12h",
            "13h",
            "1d",
            "aws-cn",
            "aws-us-gov",
            "profile",
            "backend.tf",
            "providers.tf",
            "*",
            "**",
            "qa/**",
            "a//b",
            "../x",
            "aws:x",
            "${x}",
            "%{y}",
            "a\"b",
            "é",
            "e\u{301}",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9/*.:-]{0,20}",
        any::<String>(),
    ]
}

/// `s` as the inside of an HCL string literal that means exactly `s`.
fn escape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<Index>(), string_content()).prop_map(|(i, s)| Mutation::ReplaceString(i, s)),
        2 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::DuplicateLine(a, b)),
        1 => (any::<Index>(), any::<char>()).prop_map(|(i, c)| Mutation::ReplaceChar(i, c)),
        2 => (any::<Index>(), token()).prop_map(|(i, t)| Mutation::ReplaceToken(i, t)),
        1 => (
            any::<Index>(),
            prop_oneof![
                "[\\x00-\\x1f\\x7f]{1,3}",
                "[\u{80}-\u{10ffff}]{1,3}",
                prop::sample::select(vec!["\u{2028}", "\u{200b}", "\r", "\r\n", "\t", "\u{0}"])
                    .prop_map(str::to_owned),
            ]
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// Character boundaries of `s`, the end included.
fn boundaries(s: &str) -> Vec<usize> {
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect()
}

/// Tokens: runs of word characters, or single other characters.
fn tokens(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let mut end = i + c.len_utf8();
        if c.is_alphanumeric() || c == '_' || c == '-' {
            while let Some(&(j, d)) = chars.peek() {
                if !(d.is_alphanumeric() || d == '_' || d == '-') {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
        }
        out.push((i, end));
    }
    out
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    match m {
        Mutation::DeleteLine(i) if !lines.is_empty() => {
            lines.remove(i.index(lines.len()));
            lines.concat()
        }
        Mutation::DuplicateLine(from, to) if !lines.is_empty() => {
            let line = lines[from.index(lines.len())];
            lines.insert(to.index(lines.len() + 1), line);
            lines.concat()
        }
        Mutation::ReplaceChar(i, c) if !text.is_empty() => {
            let starts: Vec<(usize, char)> = text.char_indices().collect();
            let (at, old) = starts[i.index(starts.len())];
            format!("{}{c}{}", &text[..at], &text[at + old.len_utf8()..])
        }
        Mutation::ReplaceToken(i, t) if !text.is_empty() => {
            let toks = tokens(text);
            let (a, b) = toks[i.index(toks.len())];
            format!("{}{t}{}", &text[..a], &text[b..])
        }
        Mutation::ReplaceString(i, s) => {
            // Simple literals only: `"` to the next unescaped `"` on the line.
            let mut spans = Vec::new();
            let mut start = None;
            let mut escaped = false;
            for (at, c) in text.char_indices() {
                match (start, c) {
                    (None, '"') => start = Some(at + 1),
                    (Some(_), '\n') => start = None,
                    (Some(_), '\\') if !escaped => {
                        escaped = true;
                        continue;
                    }
                    (Some(a), '"') if !escaped => {
                        spans.push((a, at));
                        start = None;
                    }
                    _ => {}
                }
                escaped = false;
            }
            if spans.is_empty() {
                return text.to_owned();
            }
            let (a, b) = spans[i.index(spans.len())];
            format!("{}{}{}", &text[..a], escape(s), &text[b..])
        }
        Mutation::Insert(i, s) => {
            let b = boundaries(text);
            let at = b[i.index(b.len())];
            format!("{}{s}{}", &text[..at], &text[at..])
        }
        Mutation::Truncate(i) => {
            let b = boundaries(text);
            text[..b[i.index(b.len())]].to_owned()
        }
        _ => text.to_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutations_of_the_example(ms in proptest::collection::vec(mutation(), 1..5)) {
        let mut text = EXAMPLE.to_owned();
        for m in &ms {
            text = apply(&text, m);
        }
        let result = Config::from_str(&text);
        check(&text, &result);
        if let Ok(c) = &result {
            exercise(c);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Only string values change, so the text stays HCL and the validator
    /// (not the parser) sees every case.
    #[test]
    fn string_values_of_the_example(
        ms in proptest::collection::vec((any::<Index>(), string_content()), 1..5),
    ) {
        let mut text = EXAMPLE.to_owned();
        for (i, s) in ms {
            text = apply(&text, &Mutation::ReplaceString(i, s));
        }
        let result = Config::from_str(&text);
        check(&text, &result);
        if let Err(e) = &result {
            prop_assert!(!e.to_string().contains("not valid HCL"), "{}", e);
        }
        if let Ok(c) = &result {
            exercise(c);
        }
    }
}

#[test]
fn the_unmutated_example_is_valid() {
    let c = Config::from_str(EXAMPLE).unwrap();
    exercise(&c);
}

// ------------------------------------------------------------ (c) resolve

/// Directory names likely to meet the globs below, and some that are odd.
fn part() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "qa",
            "production",
            "shared",
            "api",
            "public-api",
            "x",
            "*",
            "**",
            "é",
            "e\u{301}",
            ".x",
            "x.",
            "...",
            "a b",
            "[x]",
            "{y}",
            "?",
        ])
        .prop_map(str::to_owned),
        "[a-z*é.-]{1,4}",
        any::<String>(),
    ]
}

fn stack_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(part(), 1..5).prop_map(|parts| parts.join("/"))
}

/// A stack label: an exact path or a glob.
fn label() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            3 => part(),
            1 => Just("*".to_owned()),
            1 => Just("**".to_owned()),
            1 => "[a-z]{0,2}\\*[a-z]{0,2}",
        ],
        1..4,
    )
    .prop_map(|parts| parts.join("/"))
}

fn config_with(labels: &[String], key_prefix: Option<&str>) -> Option<Config> {
    let mut state = tfroles_core::StateBuilder::new("shared", "acme-state", "state");
    if let Some(p) = key_prefix {
        state = state.key_prefix(p);
    }
    let mut b = Config::builder()
        .defaults(tfroles_core::DefaultsBuilder::new().region("us-west-2"))
        .account("shared", "111111111111")
        .account("qa", "333333333333")
        .state(state)
        .role(tfroles_core::RoleBuilder::new("state").account("shared"))
        .role(tfroles_core::RoleBuilder::new("app").accounts(&["qa", "shared"]));
    for (i, l) in labels.iter().enumerate() {
        let account = if i % 2 == 0 { "qa" } else { "shared" };
        b = b.stack(StackBuilder::new(l, account, "app").provider(
            "other",
            Some("eu-west-1"),
            Some("shared"),
            None,
        ));
    }
    // Labels that are not valid paths or globs, or given twice, are
    // rejected; the properties are about configs that load.
    b.build().ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resolve_any_directories(
        labels in proptest::collection::vec(label(), 0..5),
        prefix in proptest::option::of("[a-z]{1,3}(/[a-z.]{1,3}){0,2}"),
        dirs in proptest::collection::vec(stack_path(), 0..12),
    ) {
        let Some(config) = config_with(&labels, prefix.as_deref()) else {
            return Ok(());
        };
        // Directories the labels match (wildcards filled in), so globs meet
        // them and each other, as well as the random ones.
        let filled = labels.iter().flat_map(|l| {
            [l.replace("**", "x/y").replace('*', "qa"), l.replace("/**", "").replace('*', "")]
        });
        let dirs: Vec<StackPath> = dirs
            .iter()
            .cloned()
            .chain(filled)
            .filter_map(|d| d.parse().ok())
            .collect();
        match config.resolve(&dirs) {
            Ok(r) => {
                check_resolution(&r.stacks);
                for s in &r.stacks {
                    // Every stack comes from a block that claims it.
                    let spec = &config.stacks()[s.block];
                    prop_assert!(spec.pattern.matches(&s.path), "{} !~ {}", s.path, spec.pattern.as_str());
                    if let Some(p) = &prefix {
                        let expected = format!("{p}/");
                        prop_assert!(s.state_key.starts_with(&expected), "{}", s.state_key);
                    }
                    prop_assert_eq!(s.providers.len(), 2);
                }
                for w in &r.warnings {
                    prop_assert!(!w.to_string().is_empty());
                }
            }
            Err(e) => {
                prop_assert!(!e.diagnostics().is_empty());
                // Only two globs claiming a directory, or two directories
                // sharing a state key, make resolving fail.
                for d in e.diagnostics() {
                    prop_assert!(
                        d.message.contains("is matched by both")
                            || d.message.contains("would share the state key"),
                        "{}",
                        d
                    );
                }
            }
        }
    }

    #[test]
    fn resolve_the_example_against_any_directories(
        dirs in proptest::collection::vec(stack_path(), 0..12),
    ) {
        let config = Config::from_str(EXAMPLE).unwrap();
        let dirs: Vec<StackPath> = dirs.iter().filter_map(|d| d.parse().ok()).collect();
        // The example has one glob: nothing can conflict.
        let r = config.resolve(&dirs);
        match r {
            Ok(r) => check_resolution(&r.stacks),
            // Only two directories differing in Unicode normal form can
            // make it fail: they would share a state key.
            Err(e) => prop_assert!(e.to_string().contains("would share the state key"), "{}", e),
        }
    }
}

// ------------------------------------------------------------ (d) at scale

/// Times one call; printed (with `--nocapture`) for docs/performance.md,
/// never asserted: speed belongs to benchmarks.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let out = f();
    eprintln!("{what}: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    out
}

const HEAD: &str = r#"
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
  account = "shared"
}
"#;

/// How far beyond real configs to go: `TFROLES_FUZZ_SCALE=10` (in
/// release) gives the sizes docs/performance.md records; the default keeps
/// the suite quick.
fn scale() -> usize {
    std::env::var("TFROLES_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// Far beyond any real config: many blocks, huge values, long labels, deep
/// nesting, many globs over deep trees. The loader and the resolver answer
/// each (a value or an error) without a panic.
#[test]
fn the_loader_answers_inputs_far_beyond_real_ones() {
    let k = scale();
    for n in [1_000 * k, 5_000 * k] {
        let mut text = HEAD.to_owned();
        for i in 0..n {
            text.push_str(&format!(
                "stack \"env-{}/svc-{i:06}\" {{\n  account = \"shared\"\n  role    = \"terraform-state\"\n}}\n",
                i % 7
            ));
        }
        let config = timed(&format!("load {n} stacks ({} bytes)", text.len()), || {
            Config::from_str(&text)
        })
        .unwrap();
        let dirs: Vec<StackPath> = (0..n)
            .map(|i| format!("env-{}/svc-{i:06}", i % 7).parse().unwrap())
            .collect();
        let r = timed(&format!("resolve {n} stacks"), || config.resolve(&dirs)).unwrap();
        assert_eq!(r.stacks.len(), n);
    }
    let huge_value = format!("{HEAD}tags = {{ a = \"{}\" }}\n", "x".repeat(k << 20));
    let r = timed(&format!("a {k} MiB string"), || {
        Config::from_str(&huge_value)
    });
    check(&huge_value, &r);
    let long_label = format!(
        "{HEAD}stack \"{}\" {{\n  account = \"shared\"\n  role = \"terraform-state\"\n}}\n",
        "a/".repeat(k << 16) + "z"
    );
    let r = timed(&format!("a stack label of {} parts", (k << 16) + 1), || {
        Config::from_str(&long_label)
    });
    check(&long_label, &r);
    let deep = format!(
        "{HEAD}x = {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let r = timed("100,000 nested lists", || Config::from_str(&deep));
    check(&deep, &r);
    let many = format!("{HEAD}{}", "a = 1\n".repeat(20_000 * k));
    let r = timed(&format!("{} top-level attributes", 20_000 * k), || {
        Config::from_str(&many)
    });
    check(&many, &r);
    let globs = 20 * k;
    let stars = format!(
        "{HEAD}{}",
        (0..globs)
            .map(|i| format!(
                "stack \"{}/*a*b*{i}\" {{\n  account = \"shared\"\n  role = \"terraform-state\"\n}}\n",
                ["**/*"; 8].join("/")
            ))
            .collect::<String>()
    );
    let config = timed(&format!("{globs} globs of 17 parts"), || {
        Config::from_str(&stars)
    })
    .unwrap_or_else(|e| panic!("{}", e.to_string().lines().next().unwrap_or_default()));
    let n = 1_000 * k;
    let dirs: Vec<StackPath> = (0..n)
        .map(|i| format!("{}a{i}b", "d/".repeat(i % 40)).parse().unwrap())
        .collect();
    let r = timed(
        &format!("{globs} globs against {n} directories up to 40 deep"),
        || config.resolve(&dirs),
    );
    if let Ok(r) = r {
        check_resolution(&r.stacks);
    }
}

/// The inputs that were exponential with the recursive matcher, scaled up.
#[test]
fn pathological_globs_at_scale() {
    let name: StackPath = "a".repeat(255).parse().unwrap();
    for stars in [4, 20, 100, 126] {
        let glob = format!("*{}b", "a*".repeat(stars));
        let p = tfroles_core::StackPattern::new(&glob).unwrap();
        let m = timed(&format!("`*a` x {stars} + `b` against 255 bytes"), || {
            p.matches(&name)
        });
        assert!(!m);
    }
    let deep: StackPath = ["d"; 200].join("/").parse().unwrap();
    for globstars in [10, 50, 100] {
        let glob = format!("{}/x", ["**"; 100][..globstars].join("/"));
        let p = tfroles_core::StackPattern::new(&glob).unwrap();
        let m = timed(
            &format!("{globstars} `**` against 200 parts, no match"),
            || p.matches(&deep),
        );
        assert!(!m);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Random HCL-like text a hundred times longer than the cases above,
    /// with a byte-order mark or bidirectional controls mixed in.
    #[test]
    fn long_random_inputs(
        text in "[a-z_\"{}=\\[\\],.:#/*$%<>()!?0-9 \t\r\n\\\\\u{feff}\u{202e}-]{0,20000}",
    ) {
        let r = Config::from_str(&text);
        check(text.strip_prefix('\u{feff}').unwrap_or(&text), &r);
    }
}
