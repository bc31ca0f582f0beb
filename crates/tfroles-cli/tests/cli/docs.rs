//! Every command shown in `README.md` and `docs/**/*.md` runs, and prints
//! what the page says it prints.
//!
//! The pages are found by walking the tree, so a new page is covered
//! without registering it. In each page, every ```` ```sh ```` (also
//! `bash`, `shell`) block is run with `bash -eo pipefail`, and every
//! ```` ```console ```` block's `$ ` lines are; a ```` ```text ```` block
//! right after a `sh` block (only blank lines between) is that block's
//! expected output, stdout and stderr together. A page runs as one session:
//! its blocks in order, in one scratch directory, with `cd` carried from
//! block to block. How to write and mark pages is in docs/development.md
//! ("Docs are tested"); the directives, HTML comments on the line before a
//! block, are parsed by [`Directive::parse`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use tfroles_testsupport::{Moto, copy_tree, python_env, scrub_aws_env, workspace_root};

/// What an HTML comment `<!-- doc-test: ... -->` asks of the next block (or
/// of the page, for `fixture`, `moto` and `env`).
#[derive(Debug, Clone, PartialEq)]
enum Directive {
    /// `skip: REASON`: the next command block is shown, not run.
    Skip(String),
    /// `exit N`: the next command block's script must exit with N.
    Exit(i32),
    /// `file PATH`: the next block's text is written to PATH (relative to
    /// the session's current directory) before any later block runs.
    File(String),
    /// `output`: the next block (any language, prose may stand between) is
    /// the expected output of the page's last command block.
    Output,
    /// `same-as PATH`: the next block's text is the file PATH (relative to
    /// the session's current directory), byte for byte.
    SameAs(String),
    /// `fixture NAME [DIR]`: `fixtures/NAME/input` is copied to DIR (default:
    /// the current directory) of the session.
    Fixture(String, String),
    /// `moto`: the session's commands get a moto server's endpoints and
    /// dummy base credentials.
    Moto,
    /// `env NAME=VALUE`: set for the session's later commands; `[ROOT]` in
    /// VALUE is the scratch directory.
    Env(String, String),
}

impl Directive {
    fn parse(text: &str) -> Result<Directive, String> {
        let text = text.trim();
        let (word, rest) = text.split_once([' ', ':']).unwrap_or((text, ""));
        let rest = rest.trim_start_matches(':').trim();
        match word {
            "skip" => {
                // A reason of a few words: "why this is not run" must be
                // answered, not waved through.
                if rest.split_whitespace().count() < 3 {
                    Err(format!(
                        "`skip` needs a reason of at least three words, like \
                         `<!-- doc-test: skip: needs the aws provider from the registry -->`; got {rest:?}"
                    ))
                } else {
                    Ok(Directive::Skip(rest.to_owned()))
                }
            }
            "exit" => rest
                .parse()
                .map(Directive::Exit)
                .map_err(|_| format!("`exit` needs a number, got {rest:?}")),
            "file" if !rest.is_empty() && !rest.contains("..") && !rest.starts_with('/') => {
                Ok(Directive::File(rest.to_owned()))
            }
            "output" if rest.is_empty() => Ok(Directive::Output),
            "same-as" if !rest.is_empty() => Ok(Directive::SameAs(rest.to_owned())),
            "fixture" => {
                let mut parts = rest.split_whitespace();
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(name), dir, None) => Ok(Directive::Fixture(
                        name.to_owned(),
                        dir.unwrap_or(".").to_owned(),
                    )),
                    _ => Err(format!("`fixture` needs NAME [DIR], got {rest:?}")),
                }
            }
            "moto" if rest.is_empty() => Ok(Directive::Moto),
            "env" => match rest.split_once('=') {
                Some((k, v)) if !k.is_empty() => Ok(Directive::Env(k.to_owned(), v.to_owned())),
                _ => Err(format!("`env` needs NAME=VALUE, got {rest:?}")),
            },
            _ => Err(format!(
                "unknown directive {text:?}: expected `skip: REASON`, `exit N`, `file PATH`, \
                 `output`, `same-as PATH`, `fixture NAME [DIR]`, `moto` or `env NAME=VALUE`"
            )),
        }
    }

    /// Whether the directive belongs to the block right after it.
    fn needs_block(&self) -> bool {
        matches!(
            self,
            Directive::Skip(_)
                | Directive::Exit(_)
                | Directive::File(_)
                | Directive::Output
                | Directive::SameAs(_)
        )
    }
}

/// One fenced block of a page, with the directives just before it.
#[derive(Debug)]
struct Block {
    line: usize,
    /// The line of the closing fence.
    end: usize,
    lang: String,
    body: String,
    directives: Vec<Directive>,
}

/// A page split into fenced blocks, with page-level directives placed
/// between the blocks where they stand.
#[derive(Debug)]
enum Item {
    Block(Block),
    Page(usize, Directive),
}

const PREFIX: &str = "<!-- doc-test:";

fn parse_page(text: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut pending: Vec<(usize, Directive)> = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(PREFIX) {
            let Some(inner) = rest.trim_end().strip_suffix("-->") else {
                return Err(format!(
                    "line {n}: a doc-test directive must end with `-->` on the same line"
                ));
            };
            let d = Directive::parse(inner).map_err(|e| format!("line {n}: {e}"))?;
            if d.needs_block() {
                pending.push((n, d));
            } else {
                items.push(Item::Page(n, d));
            }
            continue;
        }
        if let Some(fence) = fence_of(trimmed) {
            let lang = trimmed[fence.len()..].trim().to_owned();
            let indent = line.len() - trimmed.len();
            let mut body = String::new();
            let mut closed = None;
            for (m, inner) in lines.by_ref() {
                if inner.trim_start().starts_with(&fence) && inner.trim() == fence {
                    closed = Some(m);
                    break;
                }
                body.push_str(inner.get(indent..).unwrap_or(inner.trim_start()));
                body.push('\n');
            }
            let Some(end) = closed else {
                return Err(format!("line {n}: the block is never closed"));
            };
            items.push(Item::Block(Block {
                line: n,
                end,
                lang,
                body,
                directives: pending.drain(..).map(|(_, d)| d).collect(),
            }));
            continue;
        }
        if !line.trim().is_empty()
            && let Some((at, d)) = pending.first()
        {
            return Err(format!(
                "line {at}: the directive {d:?} must stand right before a fenced block (line {n} is text)"
            ));
        }
    }
    if let Some((at, d)) = pending.first() {
        return Err(format!(
            "line {at}: the directive {d:?} has no block after it"
        ));
    }
    Ok(items)
}

fn fence_of(line: &str) -> Option<String> {
    ["````", "```", "~~~"]
        .into_iter()
        .find(|f| line.starts_with(f))
        .map(|f| {
            let ch = f.chars().next().unwrap();
            line.chars().take_while(|&c| c == ch).collect()
        })
}

fn is_shell(lang: &str) -> bool {
    matches!(lang, "sh" | "bash" | "shell")
}

/// Whether `actual` matches `expected`: line by line, where an expected
/// line `...` stands for any number of lines and `[..]` inside a line for
/// any text on that line.
fn matches(expected: &str, actual: &str) -> bool {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    // Dynamic programming over (expected line, actual line): linear in
    // practice, and no backtracking blow-up on many `...`.
    let mut ok = vec![vec![false; a.len() + 1]; e.len() + 1];
    ok[e.len()][a.len()] = true;
    for i in (0..e.len()).rev() {
        for j in (0..=a.len()).rev() {
            ok[i][j] = if e[i] == "..." {
                ok[i + 1][j] || (j < a.len() && ok[i][j + 1])
            } else {
                j < a.len() && line_matches(e[i], a[j]) && ok[i + 1][j + 1]
            };
        }
    }
    ok[0][0]
}

fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("[..]").collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let Some(mut rest) = actual.strip_prefix(parts[0]) else {
        return false;
    };
    let last = parts[parts.len() - 1];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A page's scratch directory and what its commands see.
struct Session {
    _dir: tempfile::TempDir,
    root: PathBuf,
    cwd: PathBuf,
    env: BTreeMap<String, String>,
    path: String,
}

fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

impl Session {
    fn new() -> Session {
        let dir = tempfile::tempdir().unwrap();
        // Canonical, so what `pwd` prints is what `[ROOT]` replaces.
        let root = dir.path().canonicalize().unwrap();
        for sub in ["home", "tmp", "cache", "bin", "work"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        // `cargo run [--release] -- ARGS` in a page is the binary under
        // test with ARGS (built from this same source); any other cargo
        // command is refused, so a page showing one must say why it is not
        // run.
        let bin = env!("CARGO_BIN_EXE_tfroles");
        let shim = root.join("bin/cargo");
        fs::write(
            &shim,
            format!(
                "#!/bin/sh\n\
                 if [ \"$1\" = run ]; then\n  shift\n  [ \"$1\" = --release ] && shift\n  \
                 [ \"$1\" = -- ] && shift\n  exec '{bin}' \"$@\"\nfi\n\
                 echo \"doc tests run only 'cargo run -- ARGS'; mark this block with a skip reason\" >&2\n\
                 exit 99\n"
            ),
        )
        .unwrap();
        let tfroles = root.join("bin/tfroles");
        std::os::unix::fs::symlink(bin, &tfroles).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&shim, fs::Permissions::from_mode(0o755)).unwrap();
        // The repository's fixtures, as a clone has them.
        std::os::unix::fs::symlink(
            workspace_root().join("fixtures"),
            root.join("work/fixtures"),
        )
        .unwrap();
        let path = format!(
            "{}:{}",
            root.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("HOME", root.join("home")),
            ("TMPDIR", root.join("tmp")),
            ("TFROLES_CACHE_DIR", root.join("cache")),
            ("AWS_CONFIG_FILE", PathBuf::from("/dev/null")),
            ("AWS_SHARED_CREDENTIALS_FILE", PathBuf::from("/dev/null")),
            ("AWS_EC2_METADATA_DISABLED", PathBuf::from("true")),
        ] {
            env.insert(k.to_owned(), v.display().to_string());
        }
        Session {
            cwd: root.join("work"),
            root,
            _dir: dir,
            env,
            path,
        }
    }

    fn apply(&mut self, d: &Directive) -> Result<(), String> {
        match d {
            Directive::Fixture(name, dir) => {
                let from = workspace_root().join("fixtures").join(name).join("input");
                if !from.is_dir() {
                    return Err(format!("no fixture {}", from.display()));
                }
                copy_tree(&from, &self.cwd.join(dir));
            }
            Directive::Moto => {
                for (k, v) in moto().env() {
                    self.env.insert(k, v);
                }
                self.env.insert("AWS_PAGER".into(), String::new());
                // The AWS CLI the tests install, not whatever is on PATH.
                let aws = python_env().bin("aws");
                self.path = format!("{}:{}", aws.parent().unwrap().display(), self.path);
            }
            Directive::Env(k, v) => {
                self.env.insert(
                    k.clone(),
                    v.replace("[ROOT]", &self.root.display().to_string()),
                );
            }
            _ => {}
        }
        Ok(())
    }

    /// Runs `script` in the session; returns its exit code and output
    /// (stdout and stderr interleaved as written), with the scratch
    /// directory shown as `[ROOT]`.
    fn run(&mut self, script: &str) -> (i32, String) {
        let cwd_file = self.root.join("cwd");
        let _ = fs::remove_file(&cwd_file);
        let full = format!("trap 'pwd > \"{}\"' EXIT\n{script}", cwd_file.display());
        let (reader, writer) = std::io::pipe().unwrap();
        let mut cmd = Command::new("bash");
        scrub_aws_env(&mut cmd);
        let child = cmd
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &full])
            .current_dir(&self.cwd)
            .env("PATH", &self.path)
            .env_remove("TFROLES_CONFIG")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(writer.try_clone().unwrap())
            .stderr(writer)
            .spawn();
        let mut child = child.unwrap();
        drop(cmd);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut { reader }, &mut out).unwrap();
        let status = child.wait().unwrap();
        if let Ok(dir) = fs::read_to_string(&cwd_file) {
            self.cwd = PathBuf::from(dir.trim_end_matches('\n'));
        }
        let text =
            String::from_utf8_lossy(&out).replace(&self.root.display().to_string(), "[ROOT]");
        (status.code().unwrap_or(-1), text)
    }
}

/// The pages: README.md and every `.md` under docs/.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "md") {
                out.push(p);
            }
        }
    }
    let root = workspace_root();
    let mut out = vec![root.join("README.md")];
    walk(&root.join("docs"), &mut out);
    out
}

/// Runs one page; returns its failures and the number of blocks run.
fn run_page(path: &Path) -> (Vec<String>, usize) {
    let name = path
        .strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string();
    let text = fs::read_to_string(path).unwrap();
    let items = match parse_page(&text) {
        Ok(items) => items,
        Err(e) => return (vec![format!("{name}: {e}")], 0),
    };
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut session: Option<Session> = None;
    // The last command block run: its line and output.
    let mut last: Option<(usize, String)> = None;
    let mut i = 0;
    while i < items.len() {
        let s = session.get_or_insert_with(Session::new);
        match &items[i] {
            Item::Page(n, d) => {
                if let Err(e) = s.apply(d) {
                    failures.push(format!("{name}:{n}: {e}"));
                }
            }
            Item::Block(b) => {
                for d in &b.directives {
                    match d {
                        Directive::File(p) => {
                            let target = s.cwd.join(p);
                            fs::create_dir_all(target.parent().unwrap()).unwrap();
                            fs::write(&target, &b.body).unwrap();
                        }
                        Directive::SameAs(p) => {
                            let actual = fs::read_to_string(s.cwd.join(p)).unwrap_or_else(|e| {
                                format!("(cannot read {p}: {e})\n")
                            });
                            if actual != b.body {
                                failures.push(format!(
                                    "{name}:{}: the block is not the file {p}\n--- block\n{}--- file\n{actual}",
                                    b.line, b.body
                                ));
                            }
                        }
                        Directive::Output => match &last {
                            Some((_, out)) if matches(&b.body, out) => {}
                            Some((at, out)) => failures.push(format!(
                                "{name}:{}: not the output of the command block at line {at}\n--- expected\n{}--- actual\n{out}",
                                b.line, b.body
                            )),
                            None => failures.push(format!(
                                "{name}:{}: `output` but no command block ran before it",
                                b.line
                            )),
                        },
                        _ => {}
                    }
                }
                let console = b.lang == "console";
                if is_shell(&b.lang) || console {
                    let skip = b.directives.iter().any(|d| matches!(d, Directive::Skip(_)));
                    let exit = b
                        .directives
                        .iter()
                        .find_map(|d| match d {
                            Directive::Exit(n) => Some(*n),
                            _ => None,
                        })
                        .unwrap_or(0);
                    let (script, mut expected) = if console {
                        split_console(&b.body)
                    } else {
                        (b.body.clone(), None)
                    };
                    // The output block right after a `sh` block.
                    if !console
                        && let Some(Item::Block(next)) = items.get(i + 1)
                        && next.lang == "text"
                        && text
                            .lines()
                            .skip(b.end)
                            .take(next.line - 1 - b.end)
                            .all(|l| l.trim().is_empty())
                    {
                        expected = Some(next.body.clone());
                        i += 1;
                    }
                    if !skip {
                        ran += 1;
                        let (code, out) = s.run(&script);
                        last = Some((b.line, out.clone()));
                        let mut problems = String::new();
                        if code != exit {
                            let _ = write!(problems, "exited {code}, expected {exit}; ");
                        }
                        if let Some(exp) = &expected
                            && !matches(exp, &out)
                        {
                            let _ = write!(problems, "output differs; ");
                        }
                        if !problems.is_empty() {
                            failures.push(format!(
                                "{name}:{}: {problems}\n--- script\n{script}--- expected\n{}--- actual\n{out}",
                                b.line,
                                expected.as_deref().unwrap_or("(any output)\n"),
                            ));
                        }
                    }
                }
            }
        }
        i += 1;
    }
    (failures, ran)
}

/// A `console` block: `$ ` lines (and their `\` continuations) are the
/// script, the other lines the expected output.
fn split_console(body: &str) -> (String, Option<String>) {
    let mut script = String::new();
    let mut output = String::new();
    let mut continued = false;
    for line in body.lines() {
        if let Some(cmd) = line.strip_prefix("$ ").or(continued.then_some(line)) {
            script.push_str(cmd);
            script.push('\n');
            continued = cmd.ends_with('\\');
        } else {
            output.push_str(line);
            output.push('\n');
        }
    }
    (script, Some(output))
}

#[test]
fn every_command_in_the_docs_runs_and_prints_what_the_page_shows() {
    let mut failures = Vec::new();
    let mut total = 0;
    // `DOC_PAGE=module-roles` runs only the pages whose path has that in it.
    let only = std::env::var("DOC_PAGE").ok();
    for page in pages() {
        if let Some(o) = &only
            && !page.to_string_lossy().contains(o.as_str())
        {
            continue;
        }
        let (f, ran) = run_page(&page);
        total += ran;
        failures.extend(f);
    }
    eprintln!("doc tests: {total} command blocks run");
    assert!(
        failures.is_empty(),
        "{} doc example(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_matcher_and_the_directives() {
    assert!(matches("a\n...\nz\n", "a\nb\nc\nz\n"));
    assert!(matches("a\n...\n", "a\n"));
    assert!(!matches("a\nz\n", "a\nb\nz\n"));
    assert!(matches(
        "key [..] until [..]Z\n",
        "key ASIA until 2026-01-01Z\n"
    ));
    assert!(!matches("key [..] until\n", "key ASIA until now\n"));
    assert!(Directive::parse("skip: because").is_err());
    assert_eq!(
        Directive::parse("skip: needs a real AWS account"),
        Ok(Directive::Skip("needs a real AWS account".into()))
    );
    assert!(Directive::parse("exit x").is_err());
    assert!(Directive::parse("file ../escape").is_err());
    assert!(Directive::parse("frobnicate").is_err());
    let page = "<!-- doc-test: exit 1 -->\n\ntext\n```sh\ntrue\n```\n";
    assert!(
        parse_page(page).is_err(),
        "a directive must precede its block"
    );
    let page = "<!-- doc-test: exit 1 -->\n```sh\nfalse\n```\n";
    assert!(parse_page(page).is_ok());
}

/// The README's command table names every subcommand `tfroles --help`
/// lists, and every long option of `generate`.
#[test]
fn the_readme_command_table_lists_every_command() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let table: String = readme
        .lines()
        .filter(|l| l.starts_with("| `tfroles "))
        .collect::<Vec<_>>()
        .join("\n");
    let help = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tfroles"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let top = help(&["--help"]);
    let commands: Vec<&str> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 10, "{top}");
    let missing: Vec<_> = commands
        .iter()
        .filter(|c| !table.contains(&format!("| `tfroles {c}")))
        .collect();
    assert!(
        missing.is_empty(),
        "README's command table lacks {missing:?}"
    );
    let generate = help(&["generate", "--help"]);
    let flags: Vec<&str> = generate
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|w| !["--help", "--verbose", "--config", "--format"].contains(w))
        .collect();
    assert!(flags.contains(&"--fail-on-change"), "{generate}");
    let missing: Vec<_> = flags.iter().filter(|f| !table.contains(*f)).collect();
    assert!(
        missing.is_empty(),
        "README's `generate` row lacks {missing:?}"
    );
}
