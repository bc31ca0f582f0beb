//! Session names that say which stack they ran for.
//!
//! `session_name` (in `defaults` or a `role`) is a template: literal text
//! of STS's session name characters and the placeholders `{stack}`,
//! `{role}`, `{account}`, `{user}` and `{run}`. [`SessionTemplate::render`]
//! turns it into a [`SessionName`] STS accepts (2 to 64 characters of
//! `[\w+=,.@-]`), and [`SessionTemplate::matches`] answers the reverse
//! question for `tfroles explain` and `tfroles usage`: could this observed
//! session name have come from this template for that stack?
//!
//! How values are written:
//! - `{stack}`: the stack path with `/` as `.`; any other character STS
//!   does not take becomes `-`, and then, or when the path does not fit,
//!   the path is cut and ends in `-` and 8 hex digits of a stable hash of
//!   the whole path (FNV-1a), so two stacks never share a name by
//!   accident. What fits is decided from the template, role and account
//!   alone, so a stack's part is the same in every run.
//! - `{role}`, `{account}`: the role's and the account's names in the
//!   config.
//! - `{user}`, `{run}`: who and which CI run ([`SessionNames::from_env`]);
//!   they are cut first when the name is too long.
//! - A value that is unknown or empty (`{user}`, `{run}` in a generated
//!   block; `{stack}` outside a stack) is left out together with one
//!   separator next to it: `tf-{stack}-{run}` is `tf-qa.api` without a run.
//!
//! ```
//! use tfroles_core::naming::{SessionNames, SessionTemplate};
//!
//! let t: SessionTemplate = "tf-{stack}-{run}".parse()?;
//! let names = SessionNames { stack: Some("qa/api"), user: None, run: Some("4711") };
//! let name = t.render("app", "qa", &names);
//! assert_eq!(name.as_str(), "tf-qa.api-4711");
//! assert!(t.matches(name.as_str(), "app", "qa", Some("qa/api")));
//! assert!(!t.matches(name.as_str(), "app", "qa", Some("qa/web")));
//! # Ok::<(), tfroles_core::types::InvalidValue>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::model::{Config, RoleSession};
use crate::resolve::Stack;
use crate::types::{InvalidValue, SessionName, SourceIdentity, StackPath, fnv1a, nfc};

/// STS's longest session name.
const MAX: usize = 64;

/// The characters STS takes in a session name besides ASCII letters,
/// digits and `_`.
const SPECIAL: &str = "+=,.@-";

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || SPECIAL.contains(c)
}

/// The separators a left-out value takes one of with it.
fn separator(c: char) -> bool {
    SPECIAL.contains(c) || c == '_'
}

/// A placeholder of a session name template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{stack}`: the stack path.
    Stack,
    /// `{role}`: the role's name.
    Role,
    /// `{account}`: the account's name in the config.
    Account,
    /// `{user}`: who runs it (CI actor, else the login name).
    User,
    /// `{run}`: the CI run.
    Run,
}

impl Placeholder {
    const ALL: [(&'static str, Placeholder); 5] = [
        ("stack", Placeholder::Stack),
        ("role", Placeholder::Role),
        ("account", Placeholder::Account),
        ("user", Placeholder::User),
        ("run", Placeholder::Run),
    ];
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Placeholder),
}

/// A `session_name` as written: a literal session name, or a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTemplate {
    text: String,
    parts: Vec<Part>,
}

impl SessionTemplate {
    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it has no placeholder: every session gets this very name.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// Whether it uses `p`.
    pub fn uses(&self, p: Placeholder) -> bool {
        self.parts.contains(&Part::Value(p))
    }

    /// The session name for a session of `role` in `account` with `names`.
    pub fn render(&self, role: &str, account: &str, names: &SessionNames<'_>) -> SessionName {
        let mut name = self.render_text(role, account, names);
        // Only when the fixed parts alone are too long (a long role or
        // account name): then whatever is last.
        name.truncate(MAX);
        let name = match name.len() {
            0 => "tfroles".to_owned(),
            1 => format!("{name}-tf"),
            _ => name,
        };
        SessionName::from_str(&name).expect("only allowed characters, 2 to 64 of them")
    }

    /// The text for these values before any fallback: `{user}` and `{run}`
    /// give way first (cut, the later one in the template first, and left
    /// out with their separator when not even one character fits), so the
    /// fixed parts stay whole whenever they fit on their own.
    fn render_text(&self, role: &str, account: &str, names: &SessionNames<'_>) -> String {
        let stack = names
            .stack
            .filter(|s| !s.is_empty())
            .map(|s| self.stack_part(role, account, s));
        let clean = |v: Option<&str>| v.map(|v| sanitize(v).0).filter(|v| !v.is_empty());
        let mut user = clean(names.user);
        let mut run = clean(names.run);
        let fixed = |p: Placeholder| -> Option<String> {
            match p {
                Placeholder::Stack => stack.clone(),
                Placeholder::Role => Some(sanitize(role).0),
                Placeholder::Account => Some(sanitize(account).0),
                Placeholder::User | Placeholder::Run => None,
            }
            .filter(|v| !v.is_empty())
        };
        // The variable placeholders, last in the template first.
        let order: Vec<Placeholder> = self
            .parts
            .iter()
            .rev()
            .filter_map(|p| match p {
                Part::Value(v @ (Placeholder::User | Placeholder::Run)) => Some(*v),
                _ => None,
            })
            .collect();
        loop {
            let name = self.assemble(|p| match p {
                Placeholder::User => user.clone().map(Piece::Text),
                Placeholder::Run => run.clone().map(Piece::Text),
                p => fixed(p).map(Piece::Text),
            });
            let excess = name.len().saturating_sub(MAX);
            let which = order.iter().copied().find(|p| match p {
                Placeholder::User => user.is_some(),
                Placeholder::Run => run.is_some(),
                _ => false,
            });
            let slot = match which {
                Some(Placeholder::User) if excess > 0 => &mut user,
                Some(Placeholder::Run) if excess > 0 => &mut run,
                _ => return name,
            };
            let v = slot.as_mut().expect("present");
            if v.len() > excess {
                v.truncate(v.len() - excess);
            } else {
                *slot = None;
            }
        }
    }

    /// Whether `observed` is a name this template gives a session of `role`
    /// in `account` for `stack` (`None`: outside any stack), whatever the
    /// user and run were. For a literal template, whether it is that name.
    pub fn matches(&self, observed: &str, role: &str, account: &str, stack: Option<&str>) -> bool {
        // No session STS issued has a longer name; and the matcher below is
        // only bounded for names this short.
        if observed.len() > MAX || !observed.chars().all(allowed) {
            return false;
        }
        let stack_part = stack.map(|s| self.stack_part(role, account, s));
        // Each of `{user}` and `{run}` was either some text or left out.
        let variable = [Placeholder::User, Placeholder::Run];
        for mask in 0..4u8 {
            let pattern = self.assemble(|p| match p {
                Placeholder::Stack => stack_part.clone().map(Piece::Text),
                Placeholder::Role => Some(Piece::Text(sanitize(role).0)),
                Placeholder::Account => Some(Piece::Text(sanitize(account).0)),
                Placeholder::User | Placeholder::Run => {
                    let i = variable.iter().position(|v| *v == p).expect("listed");
                    (mask & (1 << i) != 0).then_some(Piece::Any)
                }
            });
            if glob(&pattern, observed, observed.len() == MAX) {
                return true;
            }
        }
        false
    }

    /// The stack's part, decided from what else the name holds (with
    /// `{user}` and `{run}` left out), so it is the same in every run.
    fn stack_part(&self, role: &str, account: &str, stack: &str) -> String {
        let rest = self
            .assemble(|p| match p {
                Placeholder::Stack => Some(Piece::Text(String::new())),
                Placeholder::Role => Some(Piece::Text(sanitize(role).0)),
                Placeholder::Account => Some(Piece::Text(sanitize(account).0)),
                Placeholder::User | Placeholder::Run => None,
            })
            .len();
        let budget = MAX.saturating_sub(rest).max(9);
        let (clean, lossy) = sanitize(&stack.replace('/', "."));
        if !lossy && clean.len() <= budget {
            return clean;
        }
        let hash = format!("{:08x}", fnv1a(&nfc(stack)) as u32);
        let keep = clean[..clean.len().min(budget - 9)].trim_end_matches(separator);
        if keep.is_empty() {
            hash
        } else {
            format!("{keep}-{hash}")
        }
    }

    /// The parts joined, a missing value leaving out one separator next to
    /// it (the one before it, else the one after).
    fn assemble(&self, value: impl Fn(Placeholder) -> Option<Piece>) -> String {
        let mut out = String::new();
        let mut drop_next_separator = false;
        for part in &self.parts {
            match part {
                Part::Text(t) => {
                    let mut t = t.as_str();
                    if drop_next_separator && t.starts_with(separator) {
                        t = &t[1..];
                    }
                    drop_next_separator = false;
                    out.push_str(t);
                }
                Part::Value(p) => match value(*p) {
                    Some(Piece::Text(v)) => {
                        out.push_str(&v);
                        drop_next_separator = false;
                    }
                    Some(Piece::Any) => {
                        out.push('*');
                        drop_next_separator = false;
                    }
                    None => {
                        if out.ends_with(separator) {
                            out.pop();
                        } else {
                            drop_next_separator = true;
                        }
                    }
                },
            }
        }
        out
    }
}

enum Piece {
    Text(String),
    /// Any text of one or more characters (in a pattern only).
    Any,
}

/// `value` with every character STS does not take as `-`, and whether any
/// was replaced.
fn sanitize(value: &str) -> (String, bool) {
    let value = nfc(value);
    let mut lossy = false;
    let out = value
        .chars()
        .map(|c| {
            if allowed(c) {
                c
            } else {
                lossy = true;
                '-'
            }
        })
        .collect();
    (out, lossy)
}

/// `*` in `pattern` is one or more characters; with `prefix`, `text` may
/// stop anywhere in the pattern (it was cut at 64 characters).
fn glob(pattern: &str, text: &str, prefix: bool) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    fn go(p: &[u8], t: &[u8], prefix: bool) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => {
                if t.is_empty() {
                    return prefix;
                }
                (1..=t.len()).any(|i| go(rest, &t[i..], prefix))
            }
            Some((c, rest)) => match t.split_first() {
                None => prefix,
                Some((d, trest)) => c == d && go(rest, trest, prefix),
            },
        }
    }
    // At most two `*` in a pattern of at most a few hundred bytes: the
    // backtracking is bounded by len(text)^2.
    go(p, t, prefix)
}

impl FromStr for SessionTemplate {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let names: Vec<&str> = Placeholder::ALL.iter().map(|(n, _)| *n).collect();
        let allowed_text = "2 to 64 characters of letters, digits and `+=,.@_-`, and the placeholders `{stack}`, `{role}`, `{account}`, `{user}`, `{run}`";
        let bad = |message: String| InvalidValue {
            message,
            allowed: allowed_text.into(),
            hint: None,
        };
        if !s.contains(['{', '}']) {
            // A plain name: STS's rules, and the message it always had.
            let name: SessionName = s.parse()?;
            return Ok(SessionTemplate {
                text: s.to_owned(),
                parts: vec![Part::Text(name.as_str().to_owned())],
            });
        }
        let mut parts = Vec::new();
        let mut rest = s;
        let mut literal = 0;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let Some(end) = after.find('}') else {
                    return Err(bad(format!("{s:?} opens `{{` and never closes it")));
                };
                let name = &after[..end];
                let Some((_, p)) = Placeholder::ALL.iter().find(|(n, _)| *n == name) else {
                    let mut e = bad(format!(
                        "{s:?} has `{{{name}}}`, which is not a placeholder"
                    ));
                    e.hint = crate::error::did_you_mean(name, &names);
                    return Err(e);
                };
                if parts.last().is_some_and(|x| matches!(x, Part::Value(_))) {
                    let mut e = bad(format!(
                        "{s:?} has two placeholders with nothing between them"
                    ));
                    e.hint = Some("put a separator between them, like `{stack}-{run}`".into());
                    return Err(e);
                }
                parts.push(Part::Value(*p));
                rest = &after[end + 1..];
            } else {
                let end = rest.find(['{', '}']).unwrap_or(rest.len());
                if end == 0 {
                    return Err(bad(format!("{s:?} has a `}}` that closes nothing")));
                }
                let text = &rest[..end];
                if let Some(c) = text.chars().find(|c| !allowed(*c)) {
                    return Err(bad(format!(
                        "{s:?} has {c:?}, which STS does not take in a session name"
                    )));
                }
                literal += text.len();
                parts.push(Part::Text(text.to_owned()));
                rest = &rest[end..];
            }
        }
        if literal > MAX - 9 {
            return Err(bad(format!(
                "{s:?} leaves no room for its placeholders: its text is {literal} of the 64 characters"
            )));
        }
        Ok(SessionTemplate {
            text: s.to_owned(),
            parts,
        })
    }
}

impl fmt::Display for SessionTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for SessionTemplate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl From<SessionName> for SessionTemplate {
    fn from(name: SessionName) -> Self {
        SessionTemplate {
            text: name.as_str().to_owned(),
            parts: vec![Part::Text(name.as_str().to_owned())],
        }
    }
}

impl SessionTemplate {
    /// The IAM `StringLike` patterns of every value this template gives a
    /// session of `role` in `account` for `stack`: the fixed parts literal,
    /// `*` for each `{user}` and `{run}`, one pattern for each way they can
    /// be present or left out. `None` when the fixed parts do not fit.
    fn patterns(&self, role: &str, account: &str, stack: Option<&str>) -> Option<Vec<String>> {
        let stack_part = stack.map(|s| self.stack_part(role, account, s));
        let fixed = |p: Placeholder| match p {
            Placeholder::Stack => stack_part.clone(),
            Placeholder::Role => Some(sanitize(role).0),
            Placeholder::Account => Some(sanitize(account).0),
            Placeholder::User | Placeholder::Run => None,
        };
        if self.assemble(|p| fixed(p).map(Piece::Text)).len() > MAX {
            return None;
        }
        let mut out: Vec<String> = Vec::new();
        for mask in 0..4u8 {
            let pattern = self.assemble(|p| match p {
                Placeholder::User => (mask & 1 != 0).then_some(Piece::Any),
                Placeholder::Run => (mask & 2 != 0).then_some(Piece::Any),
                p => fixed(p).map(Piece::Text),
            });
            if !out.contains(&pattern) {
                out.push(pattern);
            }
        }
        Some(out)
    }
}

/// A `source_identity` as written (a `role`'s): the template language of
/// `session_name`, one implementation, rendered into an STS
/// `SourceIdentity` (2 to 64 characters of `[\w+=,.@-]`, never starting
/// with `aws:`).
///
/// Unlike a session name it is never shortened by a hash fallback it was
/// not written with: the fixed parts (text, `{stack}`, `{role}`,
/// `{account}`) must fit in 64 characters with `{user}` and `{run}` left
/// out, which [`SourceIdentityTemplate::check_fits`] checks per role and
/// account when the config is read; `{user}` and `{run}` are what gives
/// way. A template that names `{stack}` gives no source identity to a
/// session outside any stack: the trust policy only admits the values of
/// the stacks that use the role.
///
/// ```
/// use tfroles_core::naming::{SessionNames, SourceIdentityTemplate};
///
/// let t: SourceIdentityTemplate = "tf-{stack}-{user}".parse()?;
/// let names = SessionNames { stack: Some("qa/api"), user: Some("octocat"), run: None };
/// assert_eq!(t.render("app", "qa", &names).unwrap().as_str(), "tf-qa.api-octocat");
/// // What the role's trust policy admits for that stack:
/// assert_eq!(t.trust_patterns("app", "qa", Some("qa/api")), ["tf-qa.api", "tf-qa.api-*"]);
/// // Outside a stack there is none.
/// assert!(t.render("app", "qa", &SessionNames::default()).is_none());
/// # Ok::<(), tfroles_core::types::InvalidValue>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIdentityTemplate(SessionTemplate);

impl SourceIdentityTemplate {
    /// The template as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether it has no placeholder: every session sets this very value.
    pub fn is_literal(&self) -> bool {
        self.0.is_literal()
    }

    /// Whether it uses `p`.
    pub fn uses(&self, p: Placeholder) -> bool {
        self.0.uses(p)
    }

    /// The source identity of a session of `role` in `account` with
    /// `names`: `None` when the template names `{stack}` and the session is
    /// used outside any stack, or when its fixed parts do not fit (which
    /// [`SourceIdentityTemplate::check_fits`] refuses for the roles of
    /// `tfroles.hcl`).
    pub fn render(
        &self,
        role: &str,
        account: &str,
        names: &SessionNames<'_>,
    ) -> Option<SourceIdentity> {
        if self.uses(Placeholder::Stack) && names.stack.is_none_or(str::is_empty) {
            return None;
        }
        self.0.render_text(role, account, names).parse().ok()
    }

    /// The values a trust policy's `sts:SourceIdentity` condition admits
    /// for sessions of `role` in `account` used in `stack` (`None`: outside
    /// any stack; nothing for a template that names `{stack}`). Sorted;
    /// a literal template gives itself. With `{user}` or `{run}` these are
    /// `StringLike` patterns in which only those are `*`.
    pub fn trust_patterns(&self, role: &str, account: &str, stack: Option<&str>) -> Vec<String> {
        if self.uses(Placeholder::Stack) && stack.is_none_or(str::is_empty) {
            return Vec::new();
        }
        let mut out = self.0.patterns(role, account, stack).unwrap_or_default();
        // A pattern too short to be a source identity is no value STS takes.
        out.retain(|p| p.len() >= 2 || p.contains('*'));
        out.sort();
        out
    }

    /// Whether `observed` is a value the trust policy admits for sessions
    /// of `role` in `account` used in `stack`: one of
    /// [`SourceIdentityTemplate::trust_patterns`], each `*` one or more
    /// characters. Nothing STS would take (over 64 characters, or a
    /// character outside `[\w+=,.@-]`) is admitted.
    pub fn admits(&self, observed: &str, role: &str, account: &str, stack: Option<&str>) -> bool {
        // The length bound also bounds the matcher's backtracking.
        if observed.len() < 2 || observed.len() > MAX || !observed.chars().all(allowed) {
            return false;
        }
        self.trust_patterns(role, account, stack)
            .iter()
            .any(|p| glob(p, observed, false))
    }

    /// Whether the fixed parts fit for `role` in `account`: with `{user}`
    /// and `{run}` left out and the longest `{stack}` part (a cut path and
    /// its hash), at most 64 characters, and at least 2.
    ///
    /// # Errors
    ///
    /// What does not fit, and how long it is.
    pub fn check_fits(&self, role: &str, account: &str) -> Result<(), InvalidValue> {
        let stack = self.uses(Placeholder::Stack).then_some("x".repeat(9));
        let text = self.0.assemble(|p| match p {
            Placeholder::Stack => stack.clone().map(Piece::Text),
            Placeholder::Role => Some(Piece::Text(sanitize(role).0)),
            Placeholder::Account => Some(Piece::Text(sanitize(account).0)),
            Placeholder::User | Placeholder::Run => None,
        });
        let allowed = SOURCE_ALLOWED.to_owned();
        if text.len() > MAX {
            return Err(InvalidValue {
                message: format!(
                    "{:?} gives {} characters for role `{role}` in account `{account}` before `{{user}}` and `{{run}}`{}, over the 64 STS takes",
                    self.as_str(),
                    text.len(),
                    if stack.is_some() { " (with the shortest `{stack}`, 9)" } else { "" },
                ),
                allowed,
                hint: Some("shorten the text, or leave out `{role}` or `{account}` (the session's ARN names them already)".into()),
            });
        }
        if text.len() < 2 {
            return Err(InvalidValue {
                message: format!(
                    "{:?} is {} for role `{role}` in account `{account}` when `{{user}}` and `{{run}}` are not known, and STS takes at least 2 characters",
                    self.as_str(),
                    if text.is_empty() { "empty".to_owned() } else { format!("{text:?}") },
                ),
                allowed,
                hint: Some("add fixed text, like `tf-{user}`: without it the trust policy would admit any value".into()),
            });
        }
        Ok(())
    }
}

const SOURCE_ALLOWED: &str = "2 to 64 characters of letters, digits and `+=,.@_-`, not starting with `aws:`, and the placeholders `{stack}`, `{role}`, `{account}`, `{user}`, `{run}`";

impl FromStr for SourceIdentityTemplate {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let with_allowed = |mut e: InvalidValue| {
            e.allowed = SOURCE_ALLOWED.into();
            e.message = e.message.replace("session name", "source identity");
            e
        };
        if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            return Err(InvalidValue {
                message: format!("{s:?} starts with `aws:`, which AWS keeps for itself"),
                allowed: SOURCE_ALLOWED.into(),
                hint: Some("drop the `aws:` prefix".into()),
            });
        }
        if !s.contains(['{', '}']) {
            let id: SourceIdentity = s.parse().map_err(with_allowed)?;
            return Ok(SourceIdentityTemplate(SessionTemplate {
                text: s.to_owned(),
                parts: vec![Part::Text(id.as_str().to_owned())],
            }));
        }
        s.parse::<SessionTemplate>()
            .map(SourceIdentityTemplate)
            .map_err(with_allowed)
    }
}

impl fmt::Display for SourceIdentityTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for SourceIdentityTemplate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<SourceIdentity> for SourceIdentityTemplate {
    fn from(id: SourceIdentity) -> Self {
        SourceIdentityTemplate(SessionTemplate {
            text: id.as_str().to_owned(),
            parts: vec![Part::Text(id.as_str().to_owned())],
        })
    }
}

/// Whether some text matches both IAM `StringLike` patterns (`*`: any
/// text, empty too; these patterns have no `?`). Bounded: a table of
/// (len a + 1) x (len b + 1) cells.
pub(crate) fn patterns_overlap(a: &str, b: &str) -> bool {
    // What any text matching both must start and end with: one literal
    // head is the other's start, one literal tail the other's end. Stacks'
    // patterns almost always differ there, so the table below is rare
    // (the trust policy compares every pair of stacks of two roles).
    let head = |p: &str| p.split('*').next().unwrap_or_default().to_owned();
    let tail = |p: &str| p.rsplit('*').next().unwrap_or_default().to_owned();
    let (ha, hb, ta, tb) = (head(a), head(b), tail(a), tail(b));
    if !(ha.starts_with(&hb) || hb.starts_with(&ha)) || !(ta.ends_with(&tb) || tb.ends_with(&ta)) {
        return false;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // reach[i][j]: some text takes a[..i] and b[..j] to the same place.
    let mut reach = vec![vec![false; b.len() + 1]; a.len() + 1];
    reach[0][0] = true;
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            if !reach[i][j] {
                continue;
            }
            let (sa, sb) = (a.get(i) == Some(&b'*'), b.get(j) == Some(&b'*'));
            // A `*` may match nothing (more).
            if sa {
                reach[i + 1][j] = true;
            }
            if sb {
                reach[i][j + 1] = true;
            }
            match (a.get(i), b.get(j)) {
                // A `*` takes the other side's next character, and stays.
                (Some(b'*'), Some(c)) if *c != b'*' => reach[i][j + 1] = true,
                (Some(c), Some(b'*')) if *c != b'*' => reach[i + 1][j] = true,
                (Some(x), Some(y)) if x == y && *x != b'*' => reach[i + 1][j + 1] = true,
                _ => {}
            }
        }
    }
    reach[a.len()][b.len()]
}

/// What the variable placeholders stand for in one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionNames<'a> {
    /// The stack path (relative to the config), when the session is used
    /// in a stack.
    pub stack: Option<&'a str>,
    /// Who runs it.
    pub user: Option<&'a str>,
    /// Which run.
    pub run: Option<&'a str>,
}

/// The environment variables `{user}` is read from, first set wins:
/// GitHub Actions, GitLab CI, Buildkite, CircleCI, Jenkins (with the build
/// user plugin), Azure Pipelines, then the login name.
pub const USER_VARIABLES: &[&str] = &[
    "GITHUB_ACTOR",
    "GITLAB_USER_LOGIN",
    "BUILDKITE_BUILD_CREATOR_EMAIL",
    "CIRCLE_USERNAME",
    "BUILD_USER_ID",
    "BUILD_REQUESTEDFOREMAIL",
    "USER",
    "USERNAME",
];

/// The environment variables `{run}` is read from, first set wins: GitHub
/// Actions (run id), GitLab CI (job id), HCP Terraform (run id), Buildkite,
/// CircleCI, Jenkins, Azure Pipelines. Outside CI there is no run.
pub const RUN_VARIABLES: &[&str] = &[
    "GITHUB_RUN_ID",
    "CI_JOB_ID",
    "TFC_RUN_ID",
    "BUILDKITE_BUILD_NUMBER",
    "CIRCLE_BUILD_NUM",
    "BUILD_NUMBER",
    "BUILD_BUILDID",
];

impl<'a> SessionNames<'a> {
    /// `{user}` and `{run}` from `lookup` (the process environment, in the
    /// binary): the first of [`USER_VARIABLES`] and of [`RUN_VARIABLES`]
    /// that is set and not empty.
    pub fn from_env(lookup: &'a impl Fn(&str) -> Option<&'a str>) -> Self {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| lookup(n).filter(|v| !v.is_empty()))
        };
        SessionNames {
            stack: None,
            user: first(USER_VARIABLES),
            run: first(RUN_VARIABLES),
        }
    }
}

/// Which role instance, and which stacks, an observed session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The role instance (role and account in the config).
    pub session: RoleSession,
    /// The stacks whose name the session name is; empty when the name
    /// does not say (a template without `{stack}`, or a session used
    /// outside any stack). More than one only when paths differ in nothing
    /// a session name can show (`qa/api` and `qa.api`).
    pub stacks: Vec<StackPath>,
    /// Whether the session name is one this role's template gives at all;
    /// false for a session someone named by hand.
    pub named_by_tfroles: bool,
    /// The stacks the session name says (for a per-stack state role, the
    /// role's own name).
    pub by_session_name: Vec<StackPath>,
    /// The stacks whose source identity the observed one can be: empty
    /// when the call had none, or it is the value of no stack.
    pub by_source_identity: Vec<StackPath>,
    /// What `stacks` was decided from.
    pub evidence: Evidence,
    /// Whether the source identity and the session name name stacks, and
    /// no stack in common: someone renamed the session (a chained hop may
    /// name its session anything; the source identity is kept), or set a
    /// source identity of another stack. `stacks` follows the source
    /// identity when it names one stack.
    pub disagree: bool,
}

/// What an [`Attribution`]'s stacks were decided from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The role's name: a per-stack state role.
    RoleName,
    /// The source identity, the value of exactly one stack: it stays the
    /// same across role chaining, where the session name may not.
    SourceIdentity,
    /// The session name.
    SessionName,
    /// Nothing names a stack.
    None,
}

impl Evidence {
    /// As shown in `--json` (`role_name`, `source_identity`,
    /// `session_name`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::RoleName => "role_name",
            Evidence::SourceIdentity => "source_identity",
            Evidence::SessionName => "session_name",
            Evidence::None => "none",
        }
    }
}

impl Config {
    /// The role instance and stacks a session belongs to, from what
    /// CloudTrail or an AccessDenied message shows: the role's name and
    /// account id (from `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`)
    /// and the session name. `stacks` are the config's resolved stacks.
    /// `None` when no role of the config has that name in that account.
    pub fn attribute_session(
        &self,
        stacks: &[Stack],
        role: &str,
        account_id: &str,
        session_name: &str,
    ) -> Option<Attribution> {
        // A per-stack state role names its stack itself.
        if self.state.role_per_stack {
            let state = self.state_session();
            if state.account_id.as_str() == account_id
                && let Some(stack) = stacks
                    .iter()
                    .find(|s| self.state_role_for(s).as_str() == role)
            {
                let session = self.stack_state_session(stack);
                let named_by_tfroles = session.session_template.matches(
                    session_name,
                    state.role.as_str(),
                    state.account.as_str(),
                    Some(stack.path.as_str()),
                );
                return Some(Attribution {
                    session,
                    stacks: vec![stack.path.clone()],
                    named_by_tfroles,
                    by_session_name: vec![stack.path.clone()],
                    by_source_identity: Vec::new(),
                    evidence: Evidence::RoleName,
                    disagree: false,
                });
            }
        }
        let session = self
            .role_sessions()
            .into_iter()
            .find(|s| s.role.as_str() == role && s.account_id.as_str() == account_id)?;
        let template = &session.session_template;
        let (r, a) = (session.role.as_str(), session.account.as_str());
        let found: Vec<StackPath> = if template.uses(Placeholder::Stack) {
            stacks
                .iter()
                .filter(|s| template.matches(session_name, r, a, Some(s.path.as_str())))
                .map(|s| s.path.clone())
                .collect()
        } else {
            Vec::new()
        };
        let named_by_tfroles = !found.is_empty() || template.matches(session_name, r, a, None);
        Some(Attribution {
            session,
            evidence: if found.is_empty() {
                Evidence::None
            } else {
                Evidence::SessionName
            },
            by_session_name: found.clone(),
            stacks: found,
            named_by_tfroles,
            by_source_identity: Vec::new(),
            disagree: false,
        })
    }

    /// The role instance and stacks of a call, from the role's name and
    /// account id, the session name and, when the call had one, its source
    /// identity (`userIdentity.sessionContext.sourceIdentity` in
    /// CloudTrail). A source identity that is the value of exactly one
    /// stack decides: it is kept across role chaining and only the values
    /// a trust policy admits can be set, whereas each hop names its own
    /// session. Otherwise the session name decides, as in
    /// [`Config::attribute_session`]; where both name stacks and none in
    /// common, [`Attribution::disagree`] says so.
    pub fn attribute(
        &self,
        stacks: &[Stack],
        role: &str,
        account_id: &str,
        session_name: &str,
        source_identity: Option<&str>,
    ) -> Option<Attribution> {
        let mut a = self.attribute_session(stacks, role, account_id, session_name)?;
        let Some(observed) = source_identity else {
            return Some(a);
        };
        if a.evidence == Evidence::RoleName {
            return Some(a);
        }
        let by_si = self.attribute_source_identity(stacks, &a.session, observed);
        a.disagree = !by_si.is_empty()
            && !a.by_session_name.is_empty()
            && !by_si.iter().any(|s| a.by_session_name.contains(s));
        if let [one] = by_si.as_slice() {
            a.stacks = vec![one.clone()];
            a.evidence = Evidence::SourceIdentity;
        }
        a.by_source_identity = by_si;
        Some(a)
    }

    /// The stacks whose source identity `observed` can be, for a call of
    /// `session`: the values its trust policy admits for each stack
    /// (`{user}` and `{run}` as wildcards), of its own `source_identity`
    /// and of each role of its `via` chain, since a source identity set on
    /// the first hop stays on every later one. Templates that do not name
    /// `{stack}` say nothing of stacks. More than one stack only when
    /// their values can be the same.
    pub fn attribute_source_identity(
        &self,
        stacks: &[Stack],
        session: &RoleSession,
        observed: &str,
    ) -> Vec<StackPath> {
        let mut out: Vec<StackPath> = Vec::new();
        let mut hop = Some(session);
        while let Some(h) = hop {
            if let Some(t) = h
                .source_identity_template
                .as_ref()
                .filter(|t| t.uses(Placeholder::Stack))
            {
                for st in stacks {
                    if !out.contains(&st.path)
                        && t.admits(
                            observed,
                            h.role.as_str(),
                            h.account.as_str(),
                            Some(st.path.as_str()),
                        )
                    {
                        out.push(st.path.clone());
                    }
                }
            }
            hop = h.via.as_deref();
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> SessionTemplate {
        s.parse().unwrap()
    }

    fn names<'a>(
        stack: Option<&'a str>,
        user: Option<&'a str>,
        run: Option<&'a str>,
    ) -> SessionNames<'a> {
        SessionNames { stack, user, run }
    }

    #[test]
    fn a_literal_name_is_what_it_always_was() {
        assert_eq!(
            t("tfroles")
                .render("app", "qa", &SessionNames::default())
                .as_str(),
            "tfroles"
        );
        assert!(t("tfroles").is_literal());
        let e = "a b".parse::<SessionTemplate>().unwrap_err();
        assert_eq!(e.message, "\"a b\" is not a valid session name");
        assert!("x".parse::<SessionTemplate>().is_err());
    }

    #[test]
    fn placeholders_render_and_missing_ones_take_a_separator_along() {
        let tpl = t("tf-{stack}-{role}@{account}-{user}-{run}");
        let full = names(Some("qa/api"), Some("octocat"), Some("42"));
        assert_eq!(
            tpl.render("app", "qa", &full).as_str(),
            "tf-qa.api-app@qa-octocat-42"
        );
        assert_eq!(
            tpl.render("app", "qa", &names(Some("qa/api"), None, None))
                .as_str(),
            "tf-qa.api-app@qa"
        );
        assert_eq!(
            tpl.render("app", "qa", &names(None, None, Some("7")))
                .as_str(),
            "tf-app@qa-7"
        );
        assert_eq!(
            t("{stack}")
                .render("a", "b", &SessionNames::default())
                .as_str(),
            "tfroles"
        );
        assert_eq!(
            t("{user}.x")
                .render("a", "b", &SessionNames::default())
                .as_str(),
            "x-tf"
        );
    }

    #[test]
    fn odd_characters_and_long_paths_get_a_stable_hash() {
        let tpl = t("tf-{stack}");
        let odd = tpl.render("app", "qa", &names(Some("qa/my api/ü"), None, None));
        assert_eq!(
            odd.as_str(),
            format!("tf-qa.my-api-{:08x}", fnv1a(&nfc("qa/my api/ü")) as u32)
        );
        let other = tpl.render("app", "qa", &names(Some("qa/my-api/ü"), None, None));
        assert_ne!(odd, other, "lossy paths are told apart by their hash");
        let long = "envs/".repeat(20) + "network";
        let a = tpl.render("app", "qa", &names(Some(&long), None, None));
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().starts_with("tf-envs.envs."));
        let b = tpl.render("app", "qa", &names(Some(&(long.clone() + "2")), None, None));
        assert_ne!(a, b);
        assert_eq!(
            a,
            tpl.render("app", "qa", &names(Some(&long), None, None)),
            "stable"
        );
        // A long user or run never changes the stack's part; it is cut.
        let with_user = t("{stack}-{user}").render(
            "a",
            "b",
            &names(Some("qa/api"), Some(&"u".repeat(100)), None),
        );
        assert!(with_user.as_str().starts_with("qa.api-uuu"));
        assert_eq!(with_user.as_str().len(), 64);
    }

    #[test]
    fn observed_names_are_matched_back_to_their_stack() {
        let tpl = t("tf-{stack}-{run}");
        for run in [None, Some("123456")] {
            let n = tpl.render("app", "qa", &names(Some("qa/api"), None, run));
            assert!(tpl.matches(n.as_str(), "app", "qa", Some("qa/api")), "{n}");
            assert!(!tpl.matches(n.as_str(), "app", "qa", Some("qa/ap")), "{n}");
        }
        let long = "envs/".repeat(20) + "network";
        let tpl = t("{stack}-{user}");
        let n = tpl.render("a", "b", &names(Some(&long), Some("someone"), None));
        assert!(tpl.matches(n.as_str(), "a", "b", Some(&long)));
        assert!(!tpl.matches(n.as_str(), "a", "b", Some(&(long.clone() + "x"))));
        assert!(t("tfroles").matches("tfroles", "a", "b", None));
        // What no STS session is called is no match, and costs nothing.
        let huge = "tf-qa.api-".to_owned() + &"1".repeat(1 << 20);
        assert!(!t("tf-{stack}-{run}-{user}").matches(&huge, "a", "b", Some("qa/api")));
        assert!(!t("tf-{run}").matches("tf-a/b", "a", "b", None));
        assert!(!t("tfroles").matches("tfroles2", "a", "b", None));
    }

    #[test]
    fn bad_templates_say_what_is_allowed() {
        for (s, expect) in [
            ("tf-{stak}", "`{stak}`, which is not a placeholder"),
            ("tf-{stack", "never closes it"),
            ("tf-}", "closes nothing"),
            ("tf {stack}", "' ', which STS does not take"),
            ("{stack}{run}", "nothing between them"),
        ] {
            let e = s.parse::<SessionTemplate>().unwrap_err();
            assert!(e.message.contains(expect), "{s}: {}", e.message);
            assert!(e.allowed.contains("{stack}"));
        }
        let e = "tf-{stak}".parse::<SessionTemplate>().unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `stack`?"));
        assert!(
            format!("{}{{run}}", "x".repeat(56))
                .parse::<SessionTemplate>()
                .is_err()
        );
    }

    fn si(s: &str) -> SourceIdentityTemplate {
        s.parse().unwrap()
    }

    #[test]
    fn a_source_identity_renders_like_a_session_name() {
        let tpl = si("tf-{stack}-{role}-{user}-{run}");
        let full = names(Some("qa/api"), Some("octo cat"), Some("42"));
        assert_eq!(
            tpl.render("app", "qa", &full).unwrap().as_str(),
            "tf-qa.api-app-octo-cat-42"
        );
        // The same sanitiser and stack part as the session name.
        let session = t("tf-{stack}-{role}-{user}-{run}").render("app", "qa", &full);
        assert_eq!(session.as_str(), "tf-qa.api-app-octo-cat-42");
        // In a generated block `{user}` and `{run}` are left out.
        let generated = names(Some("qa/api"), None, None);
        assert_eq!(
            tpl.render("app", "qa", &generated).unwrap().as_str(),
            "tf-qa.api-app"
        );
        // Outside a stack a template that names it sets nothing.
        assert_eq!(tpl.render("app", "qa", &SessionNames::default()), None);
        assert_eq!(
            si("ci-{user}")
                .render("app", "qa", &SessionNames::default())
                .unwrap()
                .as_str(),
            "ci"
        );
        // A literal one is itself.
        assert!(si("ci-bot").is_literal());
        assert_eq!(
            si("ci-bot")
                .render("a", "b", &SessionNames::default())
                .unwrap()
                .as_str(),
            "ci-bot"
        );
    }

    #[test]
    fn user_and_run_give_way_and_the_fixed_parts_stay_whole() {
        // `{user}` first: a session name used to lose its stack's end here.
        let tpl = si("{user}@tf-{stack}");
        let long = "u".repeat(100);
        let v = tpl
            .render("app", "qa", &names(Some("qa/api"), Some(&long), None))
            .unwrap();
        assert_eq!(v.as_str().len(), 64);
        assert!(v.as_str().ends_with("uuu@tf-qa.api"), "{v}");
        let stack = "envs/".repeat(20) + "network";
        // When not even one character of `{user}` fits it is left out.
        let tpl = si("tf-{stack}-{user}");
        let v = tpl
            .render("app", "qa", &names(Some(&stack), Some("someone"), None))
            .unwrap();
        assert_eq!(
            v,
            tpl.render("app", "qa", &names(Some(&stack), None, None))
                .unwrap()
        );
        // Every value rendered is admitted by the patterns of its stack.
        for (user, run) in [
            (None, None),
            (Some("octocat"), None),
            (None, Some("9")),
            (Some(long.as_str()), Some("77")),
        ] {
            for tpl in [
                si("tf-{stack}-{user}-{run}"),
                si("{user}.{run}@{stack}"),
                si("{run}-{role}"),
            ] {
                let v = tpl
                    .render("app", "qa", &names(Some("qa/api"), user, run))
                    .unwrap();
                let patterns = tpl.trust_patterns("app", "qa", Some("qa/api"));
                assert!(
                    patterns.iter().any(|p| glob_iam(p, v.as_str())),
                    "{tpl}: {v} in {patterns:?}"
                );
            }
        }
    }

    /// IAM's `StringLike`: `*` is any text, empty too.
    fn glob_iam(p: &str, t: &str) -> bool {
        patterns_overlap(p, &t.replace('*', ""))
    }

    #[test]
    fn trust_patterns_keep_the_fixed_parts_literal() {
        let tpl = si("tf-{stack}-{user}-{run}");
        assert_eq!(
            tpl.trust_patterns("app", "qa", Some("qa/api")),
            ["tf-qa.api", "tf-qa.api-*", "tf-qa.api-*-*"]
        );
        assert!(tpl.trust_patterns("app", "qa", None).is_empty());
        assert_eq!(
            si("{user}@{role}.{account}").trust_patterns("app", "qa", None),
            ["*@app.qa", "app.qa"]
        );
        assert_eq!(si("ci-bot").trust_patterns("a", "b", None), ["ci-bot"]);
    }

    #[test]
    fn overlapping_patterns_are_found() {
        for (a, b, want) in [
            ("tf-qa.api-*", "tf-qa.api-x", true),
            ("tf-qa.api-*", "tf-qa.web", false),
            ("*@tf-qa.api", "*@tf-qa.api-x", false),
            ("*@tf-qa.api", "bob@tf-qa.api", true),
            ("a*b", "*c", false),
            ("a*", "*b", true),
            ("x", "x", true),
            ("x", "y", false),
            ("*-*", "a", false),
        ] {
            assert_eq!(patterns_overlap(a, b), want, "{a} {b}");
            assert_eq!(patterns_overlap(b, a), want, "{b} {a}");
        }
    }

    #[test]
    fn bad_source_identities_say_what_is_allowed() {
        for (s, expect) in [
            ("aws:{stack}", "starts with `aws:`"),
            ("AWS:me", "starts with `aws:`"),
            ("tf-{stak}", "`{stak}`, which is not a placeholder"),
            (
                "tf {stack}",
                "' ', which STS does not take in a source identity",
            ),
            ("a b", "is not a valid source identity"),
        ] {
            let e = s.parse::<SourceIdentityTemplate>().unwrap_err();
            assert!(e.message.contains(expect), "{s}: {}", e.message);
            assert!(e.allowed.contains("aws:"), "{s}: {}", e.allowed);
        }
        let e = si("-{user}").check_fits("app", "qa").unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
        assert!(e.hint.unwrap().contains("fixed text"));
        let e = si("{role}-{stack}")
            .check_fits(&"r".repeat(60), "qa")
            .unwrap_err();
        assert!(e.message.contains("70 characters"), "{}", e.message);
        si("{role}-{stack}")
            .check_fits(&"r".repeat(54), "qa")
            .unwrap();
    }

    #[test]
    fn user_and_run_come_from_ci_variables() {
        let env = |k: &str| match k {
            "GITHUB_ACTOR" => Some("octocat"),
            "GITHUB_RUN_ID" => Some("99"),
            "USER" => Some("root"),
            _ => None,
        };
        let n = SessionNames::from_env(&env);
        assert_eq!((n.user, n.run), (Some("octocat"), Some("99")));
        let local = |k: &str| (k == "USER").then_some("alice");
        let n = SessionNames::from_env(&local);
        assert_eq!((n.user, n.run), (Some("alice"), None));
    }

    #[test]
    fn a_session_is_attributed_to_its_role_and_stack() {
        let config = Config::from_str(
            r#"
            defaults {
              region       = "us-east-1"
              session_name = "tf-{stack}-{run}"
            }
            account "shared" { id = "111111111111" }
            account "qa" { id = "222222222222" }
            state {
              account = "shared"
              bucket  = "acme-terraform-state"
              role    = "terraform-state"
            }
            role "terraform-state" { account = "shared" }
            role "app" {
              accounts     = ["qa"]
              session_name = "app-{user}"
            }
            role "net" { accounts = ["qa"] }
            stack "qa/*" {
              account = "qa"
              role    = "net"
            }
            "#,
        )
        .unwrap();
        let stacks = config
            .resolve(&["qa/api".parse().unwrap(), "qa/web".parse().unwrap()])
            .unwrap()
            .stacks;
        let net = config.session("net", None).unwrap();
        let name = net.clone().named(&SessionNames {
            stack: Some("qa/web"),
            user: None,
            run: Some("77"),
        });
        assert_eq!(name.session_name.as_str(), "tf-qa.web-77");
        let a = config
            .attribute_session(&stacks, "net", "222222222222", "tf-qa.web-77")
            .unwrap();
        assert_eq!(
            (a.session.role.as_str(), a.session.account.as_str()),
            ("net", "qa")
        );
        assert_eq!(a.stacks, vec!["qa/web".parse::<StackPath>().unwrap()]);
        assert!(a.named_by_tfroles);
        // Same role name, another account: not this config's.
        assert!(
            config
                .attribute_session(&stacks, "net", "111111111111", "tf-qa.web-77")
                .is_none()
        );
        // A name nobody gave it.
        let by_hand = config
            .attribute_session(&stacks, "net", "222222222222", "alice-laptop")
            .unwrap();
        assert!(by_hand.stacks.is_empty());
        assert!(!by_hand.named_by_tfroles);
        // A template without `{stack}` cannot say.
        let app = config
            .attribute_session(&stacks, "app", "222222222222", "app-octocat")
            .unwrap();
        assert!(app.stacks.is_empty());
        assert!(app.named_by_tfroles);
    }

    fn si_config(source_identity: &str) -> Config {
        Config::from_str(&format!(
            r#"
            defaults {{ region = "us-east-1" }}
            account "shared" {{ id = "111111111111" }}
            account "qa" {{ id = "222222222222" }}
            state {{
              account = "shared"
              bucket  = "acme-terraform-state"
              role    = "terraform-state"
            }}
            role "terraform-state" {{ account = "shared" }}
            role "ci" {{
              accounts        = ["qa"]
              source_identity = "{source_identity}"
            }}
            role "net" {{
              accounts     = ["qa"]
              via          = "ci"
              session_name = "tf-{{stack}}"
            }}
            stack "qa/*" {{
              account = "qa"
              role    = "net"
            }}
            "#
        ))
        .unwrap()
    }

    fn paths(v: &[&str]) -> Vec<StackPath> {
        v.iter().map(|p| p.parse().unwrap()).collect()
    }

    #[test]
    fn a_source_identity_is_attributed_to_the_stacks_whose_value_it_can_be() {
        let config = si_config("{user}.{run}@tf-{stack}");
        let stacks = config
            .resolve(&paths(&["qa/api", "qa/web", "qa/a", "qa/a-b"]))
            .unwrap()
            .stacks;
        let ci = config.session("ci", None).unwrap();
        let net = config.session("net", None).unwrap();
        let of = |s: &RoleSession, v: &str| config.attribute_source_identity(&stacks, s, v);
        // Exactly what the generated blocks set, and with `{user}` and
        // `{run}` filled or left out.
        assert_eq!(of(&ci, "tf-qa.api"), paths(&["qa/api"]));
        assert_eq!(of(&ci, "octocat.4711@tf-qa.web"), paths(&["qa/web"]));
        assert_eq!(of(&ci, "octocat@tf-qa.a-b"), paths(&["qa/a-b"]));
        // What the rendering gives is read back.
        let rendered = ci
            .clone()
            .named(&SessionNames {
                stack: Some("qa/web"),
                user: Some("octocat"),
                run: Some("4711"),
            })
            .source_identity
            .unwrap();
        assert_eq!(of(&ci, rendered.as_str()), paths(&["qa/web"]));
        // Sticky across the chain: a session of `net` (assumed via `ci`)
        // carries `ci`'s value.
        assert_eq!(of(&net, "octocat@tf-qa.web"), paths(&["qa/web"]));
        // None: set by hand, of no stack of the config, or nothing STS takes.
        assert!(of(&ci, "alice").is_empty());
        assert!(of(&ci, "tf-qa.db").is_empty());
        assert!(of(&ci, "octocat@tf-qa.api.x").is_empty());
        assert!(of(&ci, &format!("{}@tf-qa.api", "a".repeat(60))).is_empty());
        assert!(of(&ci, "tf-qa.api\u{e9}").is_empty());
        // A role with no `source_identity` of its own or on its chain.
        let state = config.session("terraform-state", None).unwrap();
        assert!(of(&state, "tf-qa.api").is_empty());

        // `{user}` after `{stack}` can run into another stack's name: both.
        let loose = si_config("tf-{stack}-{user}");
        let stacks = loose.resolve(&paths(&["qa/a", "qa/a-b"])).unwrap().stacks;
        let ci = loose.session("ci", None).unwrap();
        assert_eq!(
            loose.attribute_source_identity(&stacks, &ci, "tf-qa.a-b-octocat"),
            paths(&["qa/a", "qa/a-b"])
        );
        assert_eq!(
            loose.attribute_source_identity(&stacks, &ci, "tf-qa.a-octocat"),
            paths(&["qa/a"])
        );
        // Ambiguous: it does not decide, the session name does, and where
        // that names neither, the disagreement is said.
        let stacks = loose
            .resolve(&paths(&["qa/a", "qa/a-b", "qa/c"]))
            .unwrap()
            .stacks;
        let a = loose
            .attribute(
                &stacks,
                "net",
                "222222222222",
                "tf-qa.c",
                Some("tf-qa.a-b-octocat"),
            )
            .unwrap();
        assert_eq!(a.stacks, paths(&["qa/c"]));
        assert_eq!(a.evidence, Evidence::SessionName);
        assert_eq!(a.by_source_identity, paths(&["qa/a", "qa/a-b"]));
        assert!(a.disagree);
        let a = loose
            .attribute(
                &stacks,
                "net",
                "222222222222",
                "tf-qa.a",
                Some("tf-qa.a-b-octocat"),
            )
            .unwrap();
        assert_eq!(a.stacks, paths(&["qa/a"]));
        assert!(!a.disagree);

        // A template without `{stack}` says nothing of stacks.
        let flat = si_config("{user}@tf");
        let ci = flat.session("ci", None).unwrap();
        assert!(
            flat.attribute_source_identity(&stacks, &ci, "octocat@tf")
                .is_empty()
        );
    }

    #[test]
    fn a_source_identity_decides_over_a_session_name_and_a_disagreement_is_said() {
        let config = si_config("{user}@tf-{stack}");
        let stacks = config
            .resolve(&paths(&["qa/api", "qa/web"]))
            .unwrap()
            .stacks;
        let call = |name: &str, si: Option<&str>| {
            config
                .attribute(&stacks, "net", "222222222222", name, si)
                .unwrap()
        };
        // Agreeing.
        let a = call("tf-qa.api", Some("octocat@tf-qa.api"));
        assert_eq!(a.stacks, paths(&["qa/api"]));
        assert_eq!(a.evidence, Evidence::SourceIdentity);
        assert!(!a.disagree);
        // A session renamed by hand: the source identity still says.
        let a = call("alice-laptop", Some("octocat@tf-qa.web"));
        assert_eq!(a.stacks, paths(&["qa/web"]));
        assert_eq!(a.evidence, Evidence::SourceIdentity);
        assert!(a.by_session_name.is_empty());
        assert!(!a.named_by_tfroles);
        assert!(!a.disagree);
        // Renamed to another stack's name: the source identity wins, and
        // the disagreement is said.
        let a = call("tf-qa.api", Some("octocat@tf-qa.web"));
        assert_eq!(a.stacks, paths(&["qa/web"]));
        assert_eq!(a.by_session_name, paths(&["qa/api"]));
        assert_eq!(a.by_source_identity, paths(&["qa/web"]));
        assert!(a.disagree);
        // No source identity, or one of no stack: the session name.
        for si in [None, Some("alice")] {
            let a = call("tf-qa.api", si);
            assert_eq!(a.stacks, paths(&["qa/api"]));
            assert_eq!(a.evidence, Evidence::SessionName);
            assert!(!a.disagree);
        }
        let a = call("alice-laptop", None);
        assert!(a.stacks.is_empty());
        assert_eq!(a.evidence, Evidence::None);
        // Not a role of the config in that account.
        assert!(
            config
                .attribute(
                    &stacks,
                    "net",
                    "111111111111",
                    "tf-qa.api",
                    Some("tf-qa.api")
                )
                .is_none()
        );
    }
}
