//! Stack labels (exact directories or globs) and the directories on disk
//! they are matched against; the matching itself is in
//! [`crate::resolve`].

use std::path::Path;

use crate::error::{Error, Result};
use crate::types::{InvalidValue, StackPath};

/// A `stack` label: one directory, or a glob over directories.
///
/// Globs use `*` (any characters within one path part) and `**` (any number
/// of whole parts). Nothing else is special, so directory names holding `?`,
/// `[` or `{` (which globset and shells would treat as syntax) mean
/// themselves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum StackPattern {
    /// An exact directory.
    Exact(StackPath),
    /// A glob.
    Glob(String),
}

impl StackPattern {
    /// Parses a label.
    ///
    /// # Errors
    /// When the label is not a valid relative path, or `**` is not a whole part.
    pub fn new(label: &str) -> Result<Self, InvalidValue> {
        // Validate the label as a path with the wildcards stood in for.
        let probe = label.replace('*', "x");
        probe.parse::<StackPath>().map_err(|e| InvalidValue {
            message: e
                .message
                .replace(&format!("{probe:?}"), &format!("{label:?}")),
            ..e
        })?;
        if !label.contains('*') {
            return Ok(StackPattern::Exact(label.parse()?));
        }
        for part in label.split('/') {
            if part.contains("**") && part != "**" {
                return Err(InvalidValue {
                    message: format!(
                        "{label:?} is not a valid stack glob: `**` must be a whole path part"
                    ),
                    allowed: "`*` within a part (`qa/*-api`), `**` as a whole part (`qa/**`)"
                        .into(),
                    hint: None,
                });
            }
        }
        Ok(StackPattern::Glob(label.to_owned()))
    }

    /// The label as written.
    pub fn as_str(&self) -> &str {
        match self {
            StackPattern::Exact(p) => p.as_str(),
            StackPattern::Glob(g) => g,
        }
    }

    /// Whether a directory matches.
    pub fn matches(&self, path: &StackPath) -> bool {
        match self {
            StackPattern::Exact(p) => p == path,
            StackPattern::Glob(g) => {
                let pat: Vec<&str> = g.split('/').collect();
                let parts: Vec<&str> = path.as_str().split('/').collect();
                match_parts(&pat, &parts)
            }
        }
    }
}

/// Whether the parts of a path match the parts of a glob.
///
/// The naive recursion tries every split for every `*` and `**`, which is
/// exponential in their number (`*a*a*a*a*b` against a 200-character name
/// took seconds). This is the standard dynamic programme instead: the set of
/// glob positions reachable after each path part, so the work is at most
/// (glob parts) x (path parts) part matches, each linear-ish (see
/// [`match_part`]).
pub(crate) fn match_parts(pat: &[&str], parts: &[&str]) -> bool {
    // reach[i]: the glob's first i parts can match the path parts seen so far.
    let mut reach = vec![false; pat.len() + 1];
    let mut next = vec![false; pat.len() + 1];
    reach[0] = true;
    close_over_globstars(pat, &mut reach);
    for part in parts {
        next.fill(false);
        for i in 0..pat.len() {
            if !reach[i] {
                continue;
            }
            if pat[i] == "**" {
                // `**` takes this part and may take more.
                next[i] = true;
            } else if match_part(pat[i].as_bytes(), part.as_bytes()) {
                next[i + 1] = true;
            }
        }
        close_over_globstars(pat, &mut next);
        if !next.iter().any(|&r| r) {
            return false;
        }
        std::mem::swap(&mut reach, &mut next);
    }
    reach[pat.len()]
}

/// `**` also matches zero parts: a position before one reaches the position after it.
fn close_over_globstars(pat: &[&str], reach: &mut [bool]) {
    for i in 0..pat.len() {
        if reach[i] && pat[i] == "**" {
            reach[i + 1] = true;
        }
    }
}

/// `*` matching within one part, on bytes: a `*` never splits a UTF-8
/// sequence in a way that matters, since the literal pieces are whole strings.
///
/// The standard iterative wildcard match: on a mismatch, go back to the last
/// `*` only, and let it take one more byte. Earlier stars never need to be
/// revisited, so the work is at most (pattern length) x (name length), and
/// linear in practice.
pub(crate) fn match_part(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    // The last `*` seen, and where in `s` it started taking bytes.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        #[cfg(test)]
        tests::STEPS.with(|n| n.set(n.get() + 1));
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A directory below the config file that holds `.tf` files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TfDir {
    /// Relative to the config's directory.
    pub path: StackPath,
    /// Names of the `.tf` files in it.
    pub tf_files: Vec<String>,
}

/// Lists the directories below `root` that hold at least one `.tf` file,
/// sorted. Hidden directories (`.terraform`, `.git`, ...) are skipped and
/// symbolic links are not followed, so a link cannot make a stack appear
/// twice or point generation outside the tree.
///
/// # Errors
/// [`Error::Io`] when a directory cannot be read.
pub fn discover(root: &Path) -> Result<Vec<TfDir>> {
    let mut out = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let mut tf_files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && !name.starts_with('.') {
                let child = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                pending.push((entry.path(), child));
            } else if kind.is_file() && name.ends_with(".tf") {
                tf_files.push(name);
            }
        }
        if !rel.is_empty()
            && !tf_files.is_empty()
            && let Ok(path) = rel.parse::<StackPath>()
        {
            tf_files.sort();
            out.push(TfDir { path, tf_files });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    thread_local! {
        /// Bytes compared by [`match_part`], to bound the work in tests
        /// without timing them.
        pub(super) static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    fn steps<T>(f: impl FnOnce() -> T) -> (T, u64) {
        STEPS.with(|n| n.set(0));
        let out = f();
        (out, STEPS.with(std::cell::Cell::get))
    }

    /// The old recursive matcher, as the reference for what globs mean.
    fn naive_parts(pat: &[&str], parts: &[&str]) -> bool {
        match pat.split_first() {
            None => parts.is_empty(),
            Some((&"**", rest)) => (0..=parts.len()).any(|i| naive_parts(rest, &parts[i..])),
            Some((p, rest)) => {
                !parts.is_empty()
                    && naive_part(p.as_bytes(), parts[0].as_bytes())
                    && naive_parts(rest, &parts[1..])
            }
        }
    }

    fn naive_part(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|i| naive_part(rest, &s[i..])),
            Some((c, rest)) => s.first() == Some(c) && naive_part(rest, &s[1..]),
        }
    }

    /// The inputs that took 13 s, over a minute and over two minutes with
    /// the recursive matcher now take a bounded number of byte comparisons.
    #[test]
    fn pathological_globs_do_bounded_work() {
        let name = "a".repeat(200);
        for glob in ["*a*a*a*a*b", "*a*a*a*a*a*b", "*a*a*a*a*a*a*a*a*a*a*b"] {
            let g = StackPattern::new(glob).unwrap();
            let (m, n) = steps(|| g.matches(&p(&name)));
            assert!(!m);
            assert!(
                n <= (glob.len() * name.len()) as u64,
                "{glob}: {n} comparisons"
            );
        }
        // Ten `**` over a 40-deep tree whose last part never matches.
        let deep = ["d"; 40].join("/");
        let glob = format!("{}/x", ["**"; 10].join("/"));
        let g = StackPattern::new(&glob).unwrap();
        let (m, n) = steps(|| g.matches(&p(&deep)));
        assert!(!m);
        assert!(n <= 11 * 41, "{n} comparisons");
        let glob = format!("{}/d", ["**/*"; 10].join("/"));
        let g = StackPattern::new(&glob).unwrap();
        assert!(g.matches(&p(&deep)));
    }

    fn small_glob() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just("**".to_owned()), "[ab*]{1,4}".prop_map(|s| s),],
            1..5,
        )
        .prop_map(|parts| parts.join("/"))
    }

    fn long_glob() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just("**".to_owned()), "[ab*]{1,120}".prop_map(|s| s)],
            1..24,
        )
        .prop_map(|parts| parts.join("/"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// The work is bounded by (glob parts) x (path parts) x (part
        /// lengths), never exponential, whatever the glob and the path.
        #[test]
        fn matching_work_is_bounded_by_the_product_of_the_sizes(
            glob in long_glob(),
            path in proptest::collection::vec("[ab]{1,255}", 1..48),
        ) {
            let pat: Vec<&str> = glob.split('/').collect();
            let parts: Vec<&str> = path.iter().map(String::as_str).collect();
            let (_, n) = steps(|| match_parts(&pat, &parts));
            let longest_pat = pat.iter().map(|p| p.len() + 1).max().unwrap_or(1);
            let longest_part = parts.iter().map(|p| p.len() + 1).max().unwrap_or(1);
            let bound = (pat.len() * parts.len() * longest_pat * longest_part) as u64;
            prop_assert!(n <= bound, "{} comparisons, bound {}", n, bound);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The linear matcher means what the recursive one meant.
        #[test]
        fn matcher_agrees_with_the_recursive_definition(
            glob in small_glob(),
            path in proptest::collection::vec("[ab]{1,4}", 1..6),
        ) {
            let pat: Vec<&str> = glob.split('/').collect();
            let parts: Vec<&str> = path.iter().map(String::as_str).collect();
            prop_assert_eq!(match_parts(&pat, &parts), naive_parts(&pat, &parts));
        }
    }

    fn p(s: &str) -> StackPath {
        s.parse().unwrap()
    }

    #[test]
    fn single_star_stays_within_a_part() {
        let g = StackPattern::new("qa/*").unwrap();
        assert!(g.matches(&p("qa/api")));
        assert!(!g.matches(&p("qa/api/modules")));
        assert!(!g.matches(&p("qa")));
        let g = StackPattern::new("qa/*-api").unwrap();
        assert!(g.matches(&p("qa/public-api")));
        assert!(!g.matches(&p("qa/public-web")));
    }

    #[test]
    fn double_star_spans_parts() {
        let g = StackPattern::new("qa/**").unwrap();
        assert!(g.matches(&p("qa/a")));
        assert!(g.matches(&p("qa/a/b/c")));
        assert!(g.matches(&p("qa")), "`**` matches zero parts too");
        let g = StackPattern::new("**/api").unwrap();
        assert!(g.matches(&p("api")));
        assert!(g.matches(&p("x/y/api")));
        assert!(!g.matches(&p("x/api2")));
    }

    #[test]
    fn other_glob_syntax_is_literal() {
        let g = StackPattern::new("a/[x]{y}?/*").unwrap();
        assert!(g.matches(&p("a/[x]{y}?/b")));
        assert!(!g.matches(&p("a/x{y}?/b")));
        assert!(matches!(
            StackPattern::new("a/[x]").unwrap(),
            StackPattern::Exact(_)
        ));
    }

    #[test]
    fn bad_globs_are_rejected() {
        assert!(StackPattern::new("a/**b").is_err());
        assert!(StackPattern::new("/a/*").is_err());
        assert!(StackPattern::new("a/../*").is_err());
        assert_eq!(
            StackPattern::new("a//*").unwrap_err().message,
            "\"a//*\" is not a valid stack path: it has an empty part (`//` or a trailing `/`)"
        );
    }
}
