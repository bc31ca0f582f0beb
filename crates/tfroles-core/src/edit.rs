//! Changing `tfroles.hcl` in place: the config editor behind
//! `tfroles explain --fix` (and `tfroles usage --fix`).
//!
//! An edit is planned on the text ([`plan`]), never on a re-rendered
//! model, so every comment, blank line and alignment the user wrote stays
//! as it was: the only bytes that change are the ones inserted into a
//! role's `actions` list (or a new `actions` line). The result is
//! validated as a whole config before anything is written, and
//! [`Edit::write`] replaces the file atomically, only if it still holds the
//! text the edit was planned on.
//!
//! [`Change::Narrow`] (`tfroles usage --fix`) is the other direction: a
//! role's `services`, `access` and `actions` replaced by a narrower
//! [`Grant`]. [`plan`] then checks, on the configs before and after, that
//! the role's own grant (one statement on its unchanged `resources`) and
//! every instance's whole policy allow a subset of the actions they
//! allowed (as the catalog expands them), and that nothing but those three
//! attributes of the narrowed roles changed; a narrowing that fails the
//! check is refused, never written.
//!
//! What an edit never does: touch `allow_delete`, `deny_actions`,
//! `resources` widening, the `state` block or the state role, so neither
//! the delete guard nor the state isolation can be widened through it. A
//! change that is not clear (an `actions` written as an expression rather
//! than a list of strings, an action that `deny_actions` denies, an unknown
//! role) is refused with a reason and a hint.
//!
//! ```
//! use tfroles_core::edit::{self, Change};
//!
//! let text = "# my roles\nrole \"app\" {\n  account = \"qa\" # the qa one\n  actions = [\"ec2:RunInstances\"]\n}\n";
//! let planned = edit::plan_text(text, &[Change::add_actions("app", ["ec2:CreateTags"])])?;
//! assert_eq!(
//!     planned.text,
//!     "# my roles\nrole \"app\" {\n  account = \"qa\" # the qa one\n  actions = [\"ec2:RunInstances\", \"ec2:CreateTags\"]\n}\n"
//! );
//! assert_eq!(planned.added, vec![("app".to_owned(), "ec2:CreateTags".to_owned())]);
//! # Ok::<(), tfroles_core::edit::EditError>(())
//! ```

use std::fmt;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, BlockLabel, Structure};
use tfroles_policy::Catalog;

use crate::error::{Error, Result};
use crate::model::Config;
use crate::usage::Grant;

mod narrow;

/// One change asked of the config.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Add these IAM actions (exact names or catalog patterns such as
    /// `ec2:Describe*`) to the `actions` of the role block of this name.
    AddActions {
        /// The role's name (its block label).
        role: String,
        /// The actions, in the order they should be appended.
        actions: Vec<String>,
    },
    /// Replace the `services`, `access` and `actions` of the role block of
    /// this name with a narrower grant (see [`crate::usage`]).
    Narrow {
        /// The role's name (its block label).
        role: String,
        /// What the role keeps.
        grant: Grant,
    },
}

impl Change {
    /// [`Change::Narrow`].
    pub fn narrow(role: &str, grant: Grant) -> Self {
        Change::Narrow {
            role: role.to_owned(),
            grant,
        }
    }

    /// [`Change::AddActions`].
    pub fn add_actions<I, S>(role: &str, actions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Change::AddActions {
            role: role.to_owned(),
            actions: actions.into_iter().map(Into::into).collect(),
        }
    }
}

/// Why a change was refused: what, and how to make it by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError {
    /// What is wrong, naming the role and action.
    pub message: String,
    /// How to go on.
    pub hint: Option<String>,
}

impl EditError {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        EditError {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// The message only; the hint is data ([`crate::Error::hint`] of the
/// [`crate::Error::Edit`] that carries it).
impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EditError {}

/// The new text, and what changed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The whole new text.
    pub text: String,
    /// `(role, action)` for each action added, in order.
    pub added: Vec<(String, String)>,
    /// `(role, action)` for each action asked that the role already lists
    /// (as written, or through a pattern it lists): nothing to do.
    pub already: Vec<(String, String)>,
    /// The roles narrowed, in order.
    pub narrowed: Vec<String>,
}

/// Plans `changes` on config text without validating the result as a
/// config (see [`plan`] for that).
///
/// # Errors
/// An [`EditError`] when the text is not HCL, a role is not defined
/// exactly once, a role is the state role, its `actions` is not a plain
/// list of strings, an action is unknown to the catalog, or `deny_actions`
/// of that role denies it.
pub fn plan_text(text: &str, changes: &[Change]) -> Result<Planned, EditError> {
    let (bom, body_text) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let mut current = body_text.to_owned();
    let mut added = Vec::new();
    let mut already = Vec::new();
    let mut narrowed = Vec::new();
    for change in changes {
        match change {
            Change::AddActions { role, actions } => {
                let (next, a, b) = add_to_role(&current, role, actions)?;
                current = next;
                added.extend(a.into_iter().map(|x| (role.clone(), x)));
                already.extend(b.into_iter().map(|x| (role.clone(), x)));
            }
            Change::Narrow { role, grant } => {
                let next = narrow::narrow_role(&current, role, grant)?;
                if next != current {
                    narrowed.push(role.clone());
                }
                current = next;
            }
        }
    }
    Ok(Planned {
        text: format!("{bom}{current}"),
        added,
        already,
        narrowed,
    })
}

/// An edit of one config file, planned and validated, not yet written.
#[derive(Debug)]
pub struct Edit {
    /// The file.
    pub file: PathBuf,
    /// Its text when the edit was planned.
    pub before: String,
    /// Its text after the edit.
    pub after: String,
    /// `(role, action)` added.
    pub added: Vec<(String, String)>,
    /// `(role, action)` asked but already granted as written.
    pub already: Vec<(String, String)>,
    /// The roles narrowed.
    pub narrowed: Vec<String>,
}

impl Edit {
    /// Whether the edit changes nothing.
    pub fn is_empty(&self) -> bool {
        self.before == self.after
    }

    /// A unified diff of the change, with the file's name in the headers.
    pub fn diff(&self) -> String {
        self.diff_as(&self.file.display().to_string())
    }

    /// [`Edit::diff`] with `name` in the headers (a path relative to where
    /// the user is).
    pub fn diff_as(&self, name: &str) -> String {
        similar::TextDiff::from_lines(&self.before, &self.after)
            .unified_diff()
            .context_radius(2)
            .header(name, name)
            .to_string()
    }

    /// Writes the new text: to a temporary file next to the config with the
    /// config's permissions, synced, then renamed over it, only if the
    /// config still holds exactly the text the edit was planned on and is
    /// still a regular file (not a link swapped in since).
    ///
    /// # Errors
    /// [`Error::Io`] when the file changed since, or cannot be written.
    pub fn write(&self) -> Result<()> {
        let io = |source: std::io::Error| Error::Io {
            path: self.file.clone(),
            source,
        };
        if self.is_empty() {
            return Ok(());
        }
        let now = crate::load::read_config_file(&self.file).map_err(io)?;
        if now != self.before.as_bytes() {
            return Err(io(crate::error::Refused::io(
                "it changed since tfroles read it; nothing was written",
                "run the command again",
            )));
        }
        let dir = match self.file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let meta = std::fs::symlink_metadata(&self.file).map_err(io)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".tfroles.hcl.")
            .tempfile_in(&dir)
            .map_err(io)?;
        temp.as_file()
            .set_permissions(meta.permissions())
            .map_err(io)?;
        temp.write_all(self.after.as_bytes()).map_err(io)?;
        temp.as_file().sync_all().map_err(io)?;
        // Checked again just before the rename: the window is as small as
        // a rename allows, and a link put in the file's place is replaced,
        // never written through.
        let again = crate::load::read_config_file(&self.file).map_err(io)?;
        if again != self.before.as_bytes() {
            return Err(io(crate::error::Refused::io(
                "it changed while tfroles was writing; nothing was written",
                "run the command again",
            )));
        }
        temp.persist(&self.file).map_err(|e| io(e.error))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Reads the config at `path` (bounded, regular files only), plans
/// `changes` on it and validates the result as a whole config, so an
/// edit that would make the config invalid is refused before anything is
/// written. Nothing is written: see [`Edit::write`].
///
/// # Errors
/// [`Error::Io`] when the file cannot be read, [`Error::Edit`] when a
/// change is refused, [`Error::Invalid`] when the result would not be a
/// valid config.
pub fn plan(path: &Path, changes: &[Change]) -> Result<Edit> {
    let bytes = crate::load::read_config_file(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let before = String::from_utf8(bytes).map_err(|_| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other("it is not valid UTF-8"),
    })?;
    let planned = plan_text(&before, changes).map_err(|e| Error::Edit {
        file: path.to_path_buf(),
        error: e,
    })?;
    let root = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let after = Config::from_str_at(&planned.text, path, &root)?;
    if !planned.narrowed.is_empty() {
        let was = Config::from_str_at(&before, path, &root)?;
        only_narrows(&was, &after, &planned.narrowed).map_err(|e| Error::Edit {
            file: path.to_path_buf(),
            error: e,
        })?;
    }
    Ok(Edit {
        file: path.to_path_buf(),
        before,
        after: planned.text,
        added: planned.added,
        already: planned.already,
        narrowed: planned.narrowed,
    })
}

/// Whether `after` only takes away from `before`: the same roles, state
/// and everything else, the `narrowed` roles differing only in `services`,
/// `access` and `actions`, and each of their instances allowed a subset of
/// the actions it was allowed, as the catalog expands both policies (so a
/// service kept with a level it did not have, or a pattern wider than
/// what it replaces, is caught here whatever planned it).
fn only_narrows(before: &Config, after: &Config, narrowed: &[String]) -> Result<(), EditError> {
    let refuse = |what: String| {
        EditError::new(
            format!("the narrowing would {what}; nothing was written"),
            "this is a bug in tfroles: please report it with the config; narrow the role by hand meanwhile",
        )
    };
    if before.state != after.state
        || before.defaults != after.defaults
        || before.accounts != after.accounts
        // Compared without their locations, which the edit may move.
        || serde_json::to_value(&before.stacks).ok() != serde_json::to_value(&after.stacks).ok()
        || before.identities != after.identities
        || before.bootstrap != after.bootstrap
        || before.roles.len() != after.roles.len()
    {
        return Err(refuse("change more than the narrowed roles".into()));
    }
    for old in &before.roles {
        let Some(new) = after.role(old.name.as_str()) else {
            return Err(refuse(format!("lose `role \"{}\"`", old.name)));
        };
        let mut same = old.clone();
        if narrowed.iter().any(|r| r == old.name.as_str()) {
            same.permissions.services = new.permissions.services.clone();
            same.permissions.access = new.permissions.access.clone();
            same.permissions.actions = new.permissions.actions.clone();
        }
        if &same != new {
            return Err(refuse(format!(
                "change more than `services`, `access` and `actions` of `role \"{}\"`",
                old.name
            )));
        }
    }
    // The role's own grants (one statement on its `resources`, which
    // stayed): a subset of actions there is a subset of (action, resource)
    // pairs, which the whole policy's action set alone would not show (an
    // action a `via` chain allows on one role ARN, moved into `actions`).
    for name in narrowed {
        let own = |c: &Config| {
            let role = c
                .role(name)
                .ok_or_else(|| refuse(format!("lose `role \"{name}\"`")))?;
            c.grants(role)
                .map(|d| crate::usage::allowed_actions(&d))
                .map_err(|e| refuse(format!("leave a policy that cannot be made: {e}")))
        };
        let (was, now) = (own(before)?, own(after)?);
        if let Some(wider) = now.difference(&was).next() {
            return Err(refuse(format!(
                "grant `{wider}` to `role \"{name}\"` on its `resources`, which its own attributes did not"
            )));
        }
    }
    for session in before.role_sessions() {
        if before.is_state_session(&session) || !narrowed.iter().any(|r| r == session.role.as_str())
        {
            continue;
        }
        let allowed = |c: &Config| {
            c.permissions_policy(session.role.as_str(), Some(session.account.as_str()), &[])
                .map(|d| crate::usage::allowed_actions(&d))
                .map_err(|e| refuse(format!("leave a policy that cannot be made: {e}")))
        };
        let (was, now) = (allowed(before)?, allowed(after)?);
        if let Some(wider) = now.difference(&was).next() {
            return Err(refuse(format!(
                "allow `{wider}` to `role \"{}\"` in `{}`, which it was not allowed",
                session.role, session.account
            )));
        }
    }
    Ok(())
}

/// [`plan`] of one [`Change::AddActions`].
///
/// # Errors
/// As [`plan`].
pub fn add_actions(path: &Path, role: &str, actions: &[String]) -> Result<Edit> {
    plan(path, &[Change::add_actions(role, actions.iter().cloned())])
}

/// The role block labelled `role`, found exactly once.
fn role_block<'b>(body: &'b hcl_edit::structure::Body, role: &str) -> Result<&'b Block, EditError> {
    let label = |b: &Block| -> Option<String> {
        match b.labels.as_slice() {
            [BlockLabel::String(s)] => Some(s.as_str().to_owned()),
            [BlockLabel::Ident(i)] => Some(i.as_str().to_owned()),
            _ => None,
        }
    };
    let found: Vec<&Block> = body
        .iter()
        .filter_map(|s| match s {
            Structure::Block(b)
                if b.ident.as_str() == "role" && label(b).as_deref() == Some(role) =>
            {
                Some(b)
            }
            _ => None,
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(EditError::new(
            format!("there is no `role \"{role}\"` block"),
            "add the role to tfroles.hcl first, or name a role it defines",
        )),
        _ => Err(EditError::new(
            format!("`role \"{role}\"` is defined {} times", found.len()),
            "a role is defined once; fix the config, then run again",
        )),
    }
}

/// The state role's name, when the `state` block names it as a literal.
fn state_role(body: &hcl_edit::structure::Body) -> Option<String> {
    body.iter().find_map(|s| match s {
        Structure::Block(b) if b.ident.as_str() == "state" => b.body.iter().find_map(|s| match s {
            Structure::Attribute(a) if a.key.as_str() == "role" => match &a.value {
                Expression::String(s) => Some(s.as_str().to_owned()),
                _ => None,
            },
            _ => None,
        }),
        _ => None,
    })
}

/// The string items of a list attribute, or why it is not one.
fn string_list(expr: &Expression, role: &str, attr: &str) -> Result<Vec<String>, EditError> {
    let not_plain = || {
        EditError::new(
            format!("`{attr}` of `role \"{role}\"` is not a list of plain strings"),
            format!(
                "write `{attr}` as a list of strings (`[\"ec2:RunInstances\"]`), or make the change by hand"
            ),
        )
    };
    let Expression::Array(items) = expr else {
        return Err(not_plain());
    };
    items
        .iter()
        .map(|e| match e {
            Expression::String(s) => Ok(s.as_str().to_owned()),
            _ => Err(not_plain()),
        })
        .collect()
}

/// One role's change: the new text, the actions added and those already there.
fn add_to_role(
    text: &str,
    role: &str,
    actions: &[String],
) -> Result<(String, Vec<String>, Vec<String>), EditError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        EditError::new(
            format!("the config is not valid HCL: {}", e.message()),
            "fix the config (`tfroles validate`), then run again",
        )
    })?;
    if state_role(&body).as_deref() == Some(role) {
        return Err(EditError::new(
            format!(
                "`{role}` is the state role, whose permissions tfroles derives from the stacks"
            ),
            "a denied state call is a stack's key, bucket or lock setting, not a missing action: see `tfroles explain`'s answer",
        ));
    }
    let block = role_block(&body, role)?;
    let attr = |name: &str| {
        block.body.iter().find_map(|s| match s {
            Structure::Attribute(a) if a.key.as_str() == name => Some(a),
            _ => None,
        })
    };
    let existing = match attr("actions") {
        Some(a) => string_list(&a.value, role, "actions")?,
        None => Vec::new(),
    };
    let denied = match attr("deny_actions") {
        Some(a) => string_list(&a.value, role, "deny_actions")?,
        None => Vec::new(),
    };
    let catalog = Catalog::get();
    let mut add: Vec<String> = Vec::new();
    let mut already = Vec::new();
    for action in actions {
        let canonical = canonical_action(catalog, action)?;
        let covers = |pattern: &String| tfroles_policy::action_matches(pattern, &canonical);
        if let Some(d) = denied.iter().find(|d| covers(d)) {
            return Err(EditError::new(
                format!("`role \"{role}\"` denies `{canonical}` in `deny_actions` (`{d}`)"),
                format!(
                    "adding it to `actions` would change nothing; if the role should have it, take `{d}` out of `deny_actions` yourself"
                ),
            ));
        }
        if existing.iter().any(covers) || add.iter().any(covers) {
            already.push(canonical);
        } else {
            add.push(canonical);
        }
    }
    if add.is_empty() {
        return Ok((text.to_owned(), add, already));
    }
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let quoted: Vec<String> = add.iter().map(|a| format!("\"{a}\"")).collect();
    let new_text = match attr("actions") {
        Some(a) => {
            let Expression::Array(items) = &a.value else {
                unreachable!("checked by string_list")
            };
            let span = a.value.span().ok_or_else(no_span)?;
            insert_into_list(
                text,
                span,
                items.iter().filter_map(|e| e.span()).collect(),
                &quoted,
                nl,
            )?
        }
        None => insert_attribute(text, block, &quoted, nl)?,
    };
    Ok((new_text, add, already))
}

fn no_span() -> EditError {
    EditError::new(
        "the parser gave no position for the change",
        "make the change by hand",
    )
}

/// An action as the catalog spells it; a pattern must match something.
fn canonical_action(catalog: &Catalog, action: &str) -> Result<String, EditError> {
    if action.contains(['*', '?']) {
        if catalog.expand(action).is_empty() {
            return Err(EditError::new(
                format!("`{action}` matches no action in the catalog"),
                "name actions as IAM writes them: `service:ActionName`",
            ));
        }
        return Ok(action.to_owned());
    }
    catalog.resolve(action).map(|a| a.to_string()).map_err(|e| {
        // The catalog's "did you mean" when it has one: the closer help.
        let hint = e.hint().map_or_else(
            || "name actions as IAM writes them: `service:ActionName`".to_owned(),
            std::borrow::Cow::into_owned,
        );
        EditError::new(format!("`{action}`: {e}"), hint)
    })
}

/// The indentation of the line `offset` is on.
fn indent_of(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    let width = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..width]
}

/// Appends `quoted` to the list at `span` (its items at `items`), in the
/// list's own layout: one line per item when its items are on lines of
/// their own, else inline.
fn insert_into_list(
    text: &str,
    span: Range<usize>,
    items: Vec<Range<usize>>,
    quoted: &[String],
    nl: &str,
) -> Result<String, EditError> {
    let list = &text[span.clone()];
    if !list.starts_with('[') || !list.ends_with(']') {
        return Err(no_span());
    }
    let close = span.end - 1;
    let mut out = text.to_owned();
    let Some(last) = items.last() else {
        if !text[span.start + 1..close].trim().is_empty() {
            return Err(EditError::new(
                "`actions` is an empty list with comments in it",
                "add the actions by hand",
            ));
        }
        out.replace_range(span.start + 1..close, &quoted.join(", "));
        return Ok(out);
    };
    let after_last = &text[last.end..close];
    let comma = after_last
        .trim_start_matches([' ', '\t'])
        .starts_with(',')
        .then(|| last.end + after_last.find(',').expect("checked"));
    let multiline = text[span.start..last.end].contains('\n') || after_last.contains('\n');
    if multiline {
        // One item per line, after the last item's line (and its comment),
        // so a comment stays with the item it was written for.
        let line_end = after_last.find('\n').map_or(close, |i| last.end + i);
        let line_end = if text[..line_end].ends_with('\r') {
            line_end - 1
        } else {
            line_end
        };
        let indent = indent_of(text, last.start);
        let mut s = String::new();
        for (i, q) in quoted.iter().enumerate() {
            s.push_str(nl);
            s.push_str(indent);
            s.push_str(q);
            if comma.is_some() || i + 1 < quoted.len() {
                s.push(',');
            }
        }
        if line_end == close {
            // `"b"]` on one line: the new items go before the bracket,
            // which then closes on a line of its own.
            s.push_str(nl);
            s.push_str(indent_of(text, span.start));
        }
        out.insert_str(line_end, &s);
        if comma.is_none() {
            out.insert(last.end, ',');
        }
    } else {
        match comma {
            Some(c) => out.insert_str(c + 1, &format!(" {},", quoted.join(", "))),
            None => out.insert_str(last.end, &format!(", {}", quoted.join(", "))),
        }
    }
    Ok(out)
}

/// Adds `actions = [...]` to a role block that has none: after its last
/// attribute, aligned with that attribute's `=` when the group is at
/// least as wide, else after a blank line (so `terraform fmt` keeps it).
fn insert_attribute(
    text: &str,
    block: &Block,
    quoted: &[String],
    nl: &str,
) -> Result<String, EditError> {
    let last_attr = block
        .body
        .iter()
        .filter_map(|s| match s {
            Structure::Attribute(a) => Some(a),
            _ => None,
        })
        .last();
    let value = format!("[{}]", quoted.join(", "));
    match last_attr {
        Some(a) => {
            let key = a.key.span().ok_or_else(no_span)?;
            let value_span = a.value.span().ok_or_else(no_span)?;
            let line_end = text[value_span.end..]
                .find('\n')
                .map_or(text.len(), |i| value_span.end + i);
            // Keep a `\r` before `\n` where it is.
            let line_end = if text[..line_end].ends_with('\r') {
                line_end - 1
            } else {
                line_end
            };
            let indent = indent_of(text, key.start);
            let eq = text[key.end..value_span.start]
                .find('=')
                .map(|i| key.end + i)
                .ok_or_else(no_span)?;
            let name_width = eq - key.start;
            let line = if name_width > "actions".len() {
                format!("{nl}{indent}{:<name_width$}= {value}", "actions")
            } else {
                format!("{nl}{nl}{indent}actions = {value}")
            };
            let mut out = text.to_owned();
            out.insert_str(line_end, &line);
            Ok(out)
        }
        None => {
            // An empty body: `role "x" {}` or braces on their own lines.
            let span = block.span().ok_or_else(no_span)?;
            let close = span.end - 1;
            if &text[close..close + 1] != "}" {
                return Err(no_span());
            }
            let indent = indent_of(text, span.start);
            let inner_start = text[span.start..close]
                .rfind('{')
                .map(|i| span.start + i + 1)
                .ok_or_else(no_span)?;
            let inner = &text[inner_start..close];
            if !inner.trim().is_empty() {
                return Err(EditError::new(
                    "the role block holds only comments",
                    "add `actions = [...]` by hand",
                ));
            }
            let mut out = text.to_owned();
            out.replace_range(
                inner_start..close,
                &format!("{nl}{indent}  actions = {value}{nl}{indent}"),
            );
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn add(text: &str, role: &str, actions: &[&str]) -> Result<String, EditError> {
        plan_text(text, &[Change::add_actions(role, actions.iter().copied())]).map(|p| p.text)
    }

    #[test]
    fn appends_to_an_inline_list_keeping_comments() {
        let text = "role \"a\" {\n  # why\n  actions = [\"ec2:RunInstances\"] # trailing\n}\n";
        assert_eq!(
            add(text, "a", &["ec2:createtags", "s3:GetObject"]).unwrap(),
            "role \"a\" {\n  # why\n  actions = [\"ec2:RunInstances\", \"ec2:CreateTags\", \"s3:GetObject\"] # trailing\n}\n"
        );
    }

    #[test]
    fn appends_one_line_per_item_to_a_multiline_list() {
        let text = "role \"a\" {\n  actions = [\n    \"ec2:RunInstances\", # first\n    \"ec2:StopInstances\"\n  ]\n}\n";
        assert_eq!(
            add(text, "a", &["ec2:CreateTags"]).unwrap(),
            "role \"a\" {\n  actions = [\n    \"ec2:RunInstances\", # first\n    \"ec2:StopInstances\",\n    \"ec2:CreateTags\"\n  ]\n}\n"
        );
        let trailing = "role \"a\" {\n  actions = [\n    \"ec2:RunInstances\", # first\n  ]\n}\n";
        assert_eq!(
            add(trailing, "a", &["ec2:CreateTags", "ec2:DescribeVpcs"]).unwrap(),
            "role \"a\" {\n  actions = [\n    \"ec2:RunInstances\", # first\n    \"ec2:CreateTags\",\n    \"ec2:DescribeVpcs\",\n  ]\n}\n"
        );
    }

    #[test]
    fn adds_an_actions_line_aligned_or_after_a_blank_line() {
        let aligned = "role \"a\" {\n  accounts    = [\"qa\"]\n  services    = [\"ec2\"] # c\n\n  trust {\n    aws = [\"x\"]\n  }\n}\n";
        assert_eq!(
            add(aligned, "a", &["iam:PassRole"]).unwrap(),
            "role \"a\" {\n  accounts    = [\"qa\"]\n  services    = [\"ec2\"] # c\n  actions     = [\"iam:PassRole\"]\n\n  trust {\n    aws = [\"x\"]\n  }\n}\n"
        );
        let narrow = "role \"a\" {\n  account = \"qa\"\n}\n";
        assert_eq!(
            add(narrow, "a", &["iam:PassRole"]).unwrap(),
            "role \"a\" {\n  account = \"qa\"\n  actions = [\"iam:PassRole\"]\n}\n"
        );
        let short = "role \"a\" {\n  path = \"/\"\n}\n";
        assert_eq!(
            add(short, "a", &["iam:PassRole"]).unwrap(),
            "role \"a\" {\n  path = \"/\"\n\n  actions = [\"iam:PassRole\"]\n}\n"
        );
        let empty = "role \"a\" {}\n";
        assert_eq!(
            add(empty, "a", &["iam:PassRole"]).unwrap(),
            "role \"a\" {\n  actions = [\"iam:PassRole\"]\n}\n"
        );
        let empty_list = "role \"a\" {\n  actions = []\n}\n";
        assert_eq!(
            add(empty_list, "a", &["iam:PassRole"]).unwrap(),
            "role \"a\" {\n  actions = [\"iam:PassRole\"]\n}\n"
        );
    }

    #[test]
    fn keeps_crlf_and_a_byte_order_mark() {
        let text = "\u{feff}role \"a\" {\r\n  account = \"qa\"\r\n}\r\n";
        assert_eq!(
            add(text, "a", &["iam:PassRole"]).unwrap(),
            "\u{feff}role \"a\" {\r\n  account = \"qa\"\r\n  actions = [\"iam:PassRole\"]\r\n}\r\n"
        );
    }

    #[test]
    fn an_action_already_granted_changes_nothing() {
        let text = "role \"a\" {\n  actions = [\"ec2:Describe*\"]\n}\n";
        let p = plan_text(
            text,
            &[Change::add_actions(
                "a",
                ["ec2:DescribeVpcs", "ec2:describevpcs"],
            )],
        )
        .unwrap();
        assert_eq!(p.text, text);
        assert!(p.added.is_empty());
        assert_eq!(p.already.len(), 2);
    }

    #[test]
    fn refuses_what_is_not_clear() {
        let cases = [
            (
                "role \"a\" {\n  actions = local.x\n}\n",
                "a",
                "ec2:CreateTags",
                "is not a list of plain strings",
            ),
            (
                "role \"a\" {\n  actions = [\"${x}\"]\n}\n",
                "a",
                "ec2:CreateTags",
                "is not a list of plain strings",
            ),
            (
                "role \"a\" {}\nrole \"a\" {}\n",
                "a",
                "ec2:CreateTags",
                "is defined 2 times",
            ),
            (
                "role \"a\" {}\n",
                "b",
                "ec2:CreateTags",
                "there is no `role \"b\"` block",
            ),
            (
                "role \"a\" {}\n",
                "a",
                "ec2:NoSuchThing",
                "`ec2:NoSuchThing`",
            ),
            (
                "role \"a\" {\n  deny_actions = [\"ec2:*Tags\"]\n}\n",
                "a",
                "ec2:CreateTags",
                "denies `ec2:CreateTags` in `deny_actions`",
            ),
            (
                "state {\n  role = \"st\"\n}\nrole \"st\" {}\n",
                "st",
                "s3:GetObject",
                "is the state role",
            ),
        ];
        for (text, role, action, expect) in cases {
            let e = add(text, role, &[action]).unwrap_err();
            assert!(e.message.contains(expect), "{text}: {e}");
            assert!(e.hint.is_some());
        }
    }

    #[test]
    fn never_touches_the_delete_guard_or_state_isolation() {
        // A delete-class action goes into `actions`; `allow_delete` stays
        // unset, so the guard still denies it in every generated session.
        let text = "role \"a\" {\n  allow_delete = false\n}\n";
        let out = add(text, "a", &["ec2:TerminateInstances"]).unwrap();
        assert_eq!(
            out,
            "role \"a\" {\n  allow_delete = false\n  actions      = [\"ec2:TerminateInstances\"]\n}\n"
        );
    }

    const CONFIG: &str = "# roles\ndefaults { region = \"us-east-1\" }\naccount \"shared\" { id = \"111111111111\" }\nstate {\n  account = \"shared\"\n  bucket  = \"acme-terraform-state\"\n  role    = \"terraform-state\"\n}\nrole \"terraform-state\" { account = \"shared\" }\nrole \"app\" {\n  account  = \"shared\" # the one\n  services = [\"ec2\"]\n}\n";

    #[test]
    fn plans_validates_and_writes_only_over_the_text_it_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tfroles.hcl");
        std::fs::write(&path, CONFIG).unwrap();
        let e = add_actions(&path, "app", &["iam:PassRole".to_owned()]).unwrap();
        assert_eq!(e.added, vec![("app".to_owned(), "iam:PassRole".to_owned())]);
        assert!(
            e.diff().contains("+  actions  = [\"iam:PassRole\"]"),
            "{}",
            e.diff()
        );
        e.write().unwrap();
        let config = Config::from_path(&path).unwrap();
        assert_eq!(
            config.role("app").unwrap().permissions.actions,
            vec!["iam:PassRole"]
        );
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("# the one")
        );

        // Planned on text that has changed since: refused, nothing written.
        let stale = add_actions(&path, "app", &["ec2:CreateTags".to_owned()]).unwrap();
        std::fs::write(&path, CONFIG).unwrap();
        let err = stale.write().unwrap_err();
        assert!(err.to_string().contains("changed since"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), CONFIG);

        // A change to the state role is refused with the file named.
        let err = add_actions(&path, "terraform-state", &["s3:GetObject".to_owned()]).unwrap_err();
        assert!(matches!(err, Error::Edit { .. }));
        assert!(err.to_string().contains("is the state role"), "{err}");
        assert!(err.hint().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_config_is_neither_read_nor_written() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.hcl");
        std::fs::write(&real, CONFIG).unwrap();
        let link = dir.path().join("tfroles.hcl");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = add_actions(&link, "app", &["iam:PassRole".to_owned()]).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), CONFIG);
    }
}
