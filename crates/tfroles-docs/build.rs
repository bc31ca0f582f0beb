//! Turns the Rust examples of `README.md` and `docs/guides/rust-library.md`
//! into doctests (written to `OUT_DIR`, included by `src/lib.rs`), so the
//! pages stay plain Markdown on GitHub while rustdoc compiles and runs every
//! example against the current API.
//!
//! A directive on the line before a ```` ```rust ```` block says how it runs:
//! `<!-- rust-test: WORDS -->`, WORDS being any of
//!
//! - `repo`: in a scratch copy of the repository of
//!   docs/guides/per-environment-roles.md (its `tfroles.hcl` and stacks);
//! - `fixture NAME`: in a scratch copy of `fixtures/NAME/input`;
//! - `output`: the next ```` ```text ```` block is its whole stdout;
//! - `no_run: REASON`: compiled, not run (REASON: what it needs that tests
//!   cannot have, like AWS).
//!
//! A block without a directive runs where it is (it must need no files).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for (page, name) in [
        ("README.md", "readme.md"),
        ("docs/guides/rust-library.md", "rust-library.md"),
    ] {
        let path = root.join(page);
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = transform(&text).unwrap_or_else(|e| panic!("{page}: {e}"));
        std::fs::write(out.join(name), doc).unwrap();
    }
}

/// What a directive asks.
#[derive(Default)]
struct Run {
    dir: Option<String>,
    output: bool,
    no_run: bool,
}

fn parse(words: &str) -> Result<Run, String> {
    let mut run = Run::default();
    let mut it = words.split_whitespace();
    while let Some(w) = it.next() {
        match w {
            "repo" => run.dir = Some("Dir::PerEnvironmentRoles".into()),
            "fixture" => {
                let name = it.next().ok_or("`fixture` needs a name")?;
                run.dir = Some(format!("Dir::Fixture({name:?})"));
            }
            "output" => run.output = true,
            "no_run:" => {
                if it.by_ref().count() < 3 {
                    return Err("`no_run:` needs a reason of three words at least".into());
                }
                run.no_run = true;
            }
            other => return Err(format!("unknown rust-test word `{other}`")),
        }
    }
    Ok(run)
}

fn transform(text: &str) -> Result<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut doc = String::new();
    let mut i = 0;
    let mut blocks = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_end() != "```rust" {
            // A fence with no language would be a Rust doctest too.
            if line.starts_with("```") {
                let lang = if line.trim_end() == "```" {
                    "```text"
                } else {
                    line
                };
                writeln!(doc, "{lang}").unwrap();
                let end = (i + 1..lines.len())
                    .find(|&j| lines[j].trim_end() == "```")
                    .ok_or(format!("line {}: unclosed block", i + 1))?;
                for l in &lines[i + 1..=end] {
                    writeln!(doc, "{l}").unwrap();
                }
                i = end + 1;
                continue;
            }
            writeln!(doc, "{line}").unwrap();
            i += 1;
            continue;
        }
        blocks += 1;
        let directive = i
            .checked_sub(1)
            .and_then(|p| lines[p].trim().strip_prefix("<!-- rust-test:"))
            .map(|d| d.trim_end_matches("-->").trim());
        let run = match directive {
            Some(d) => parse(d).map_err(|e| format!("line {}: {e}", i))?,
            None => Run::default(),
        };
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim_end() == "```")
            .ok_or(format!("line {}: unclosed block", i + 1))?;
        let body = &lines[i + 1..end];
        let expected = if run.output {
            let start = (end + 1..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .filter(|&j| lines[j].trim_end() == "```text")
                .ok_or(format!(
                    "line {}: `output` but no ```text block follows",
                    i + 1
                ))?;
            let stop = (start + 1..lines.len())
                .find(|&j| lines[j].trim_end() == "```")
                .ok_or(format!("line {}: unclosed block", start + 1))?;
            Some(
                lines[start + 1..stop]
                    .iter()
                    .map(|l| format!("{l}\n"))
                    .collect::<String>(),
            )
        } else {
            None
        };
        let mut guard = String::from("let _run = tfroles_docs::Run::new(");
        match &run.dir {
            Some(d) => write!(guard, "tfroles_docs::{d})").unwrap(),
            None => guard.push_str("tfroles_docs::Dir::Here)"),
        }
        if let Some(e) = &expected {
            write!(guard, ".expect_stdout({e:?})").unwrap();
        }
        guard.push(';');
        writeln!(
            doc,
            "{}",
            if run.no_run {
                "```rust,no_run"
            } else {
                "```rust"
            }
        )
        .unwrap();
        let has_main = body.iter().any(|l| l.contains("fn main("));
        if !has_main {
            writeln!(
                doc,
                "# fn main() -> Result<(), Box<dyn std::error::Error>> {{"
            )
            .unwrap();
            writeln!(doc, "# {guard}").unwrap();
        }
        for l in body {
            writeln!(doc, "{l}").unwrap();
            if has_main && l.contains("fn main(") {
                if !l.trim_end().ends_with('{') {
                    return Err(format!(
                        "line {}: `fn main(` must end its line with `{{`",
                        i + 1
                    ));
                }
                writeln!(doc, "# {guard}").unwrap();
            }
        }
        if !has_main {
            writeln!(doc, "# Ok(())\n# }}").unwrap();
        }
        writeln!(doc, "```").unwrap();
        i = end + 1;
    }
    if blocks == 0 {
        return Err("no ```rust block".into());
    }
    Ok(doc)
}
