//! [`Change::Narrow`](super::Change::Narrow): a role's `services`,
//! `access` and `actions` replaced by a narrower [`Grant`] (`tfroles usage
//! --fix`), on the text.
//!
//! Only those three attributes of the one role block change; everything
//! else (comments, blank lines, other attributes, nested blocks) keeps its
//! bytes, except the padding before `=` of the block's attributes, which is
//! set as `terraform fmt` aligns it. A list that is rewritten keeps its
//! shape (inline or one item per line); a list with comments in it keeps
//! the lines of the items that stay, with their comments, and its comment
//! lines (the comment after an item that goes stays as a line of its own);
//! a removed attribute leaves its comments behind as comment lines.
//! Whether the result only narrows is checked on the validated configs by
//! [`super::plan`], not here.

use std::collections::BTreeSet;
use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Structure};

use super::{EditError, indent_of, no_span, role_block, state_role};
use crate::access::{DEFAULT_ACCESS, access_keyword};
use crate::usage::Grant;

/// The attributes a narrowing rewrites, in the order they are written.
const ATTRS: [&str; 3] = ["services", "access", "actions"];

/// Lines longer than this make a rewritten inline list one item per line.
const MAX_INLINE: usize = 100;

/// The 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn at(text: &str, offset: usize, message: String, hint: &str) -> EditError {
    EditError::new(format!("line {}: {message}", line_of(text, offset)), hint)
}

/// The new text of `text` with `role`'s permissions set to `grant`.
pub(super) fn narrow_role(text: &str, role: &str, grant: &Grant) -> Result<String, EditError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        EditError::new(
            format!("the config is not valid HCL: {}", e.message()),
            "fix the config (`tfroles validate`), then run again",
        )
    })?;
    if state_role(&body).as_deref() == Some(role) {
        return Err(EditError::new(
            format!("`{role}` is the state role, whose permissions the `state` block decides"),
            "narrow the stacks' roles; the state role's policy follows the stacks",
        ));
    }
    let block = role_block(&body, role)?;
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let old = current(text, block, role)?;
    let new = wanted(grant, &old);

    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut removed: Vec<usize> = Vec::new();
    let mut inserts: Vec<usize> = Vec::new();
    for i in 0..ATTRS.len() {
        match (&old[i], &new[i]) {
            (Some((a, items)), Some(want)) => {
                if !same_set(items, want) {
                    edits.push(replace_value(text, role, a, want, nl)?);
                }
            }
            (Some(_), None) => removed.push(i),
            (None, Some(_)) => inserts.push(i),
            (None, None) => {}
        }
    }
    let line_for = |i: usize| {
        let want = new[i].as_ref().expect("an insert has a value");
        format!("{} = {}", ATTRS[i], inline(want))
    };
    // New attributes go after the last attribute that stays; when every
    // attribute goes, the first one removed becomes the first one added.
    let last = block
        .body
        .iter()
        .filter_map(|s| match s {
            Structure::Attribute(a) => Some(a),
            _ => None,
        })
        .filter(|a| !removed.iter().any(|i| a.key.as_str() == ATTRS[*i]))
        .max_by_key(|a| a.span().map_or(0, |s| s.end));
    let mut taken: Option<usize> = None;
    match last {
        Some(last) => edits.extend(after_anchors(
            text, &old, &removed, &inserts, last, &line_for, nl,
        )?),
        None if !inserts.is_empty() => {
            let first = *removed.first().ok_or_else(no_span)?;
            edits.push(in_place_of(text, &old, first, &inserts, &line_for, nl)?);
            taken = Some(first);
        }
        None => {}
    }
    for i in removed {
        if taken == Some(i) {
            continue;
        }
        let (a, _) = old[i].as_ref().expect("removed attributes exist");
        edits.push(remove_attribute(text, a, role, nl)?);
    }

    edits.sort_by_key(|(r, _)| std::cmp::Reverse((r.start, r.end)));
    let mut out = text.to_owned();
    for (range, with) in edits {
        out.replace_range(range, &with);
    }
    realign(&out, role)
}

/// Each of [`ATTRS`] as the role block has it: the attribute and its
/// items, which must be a list of plain strings.
type Current<'b> = Vec<Option<(&'b Attribute, Vec<String>)>>;

/// The role block's `services`, `access` and `actions`, in [`ATTRS`]'
/// order.
fn current<'b>(text: &str, block: &'b Block, role: &str) -> Result<Current<'b>, EditError> {
    let mut old = Vec::new();
    for name in ATTRS {
        old.push(match attribute(block, name) {
            Some(a) => Some((a, literal_list(text, a, role, name)?)),
            None => None,
        });
    }
    Ok(old)
}

/// What `grant` says each of [`ATTRS`] should be; `None` for unset.
fn wanted(grant: &Grant, old: &Current<'_>) -> [Option<Vec<String>>; 3] {
    let access: Vec<String> = grant
        .access
        .iter()
        .map(|l| access_keyword(*l).to_owned())
        .collect();
    let default_access: Vec<String> = DEFAULT_ACCESS
        .iter()
        .map(|l| access_keyword(*l).to_owned())
        .collect();
    [
        (!grant.services.is_empty()).then(|| grant.services.clone()),
        // `access` means nothing without `services`; left unset when it
        // would say the default.
        (!grant.services.is_empty() && (old[1].is_some() || access != default_access))
            .then_some(access),
        (!grant.actions.is_empty()).then(|| grant.actions.clone()),
    ]
}

/// The new attributes `inserts`, each after the attribute of the three
/// written before it that stays, else after `last`, the block's last
/// attribute that stays.
fn after_anchors(
    text: &str,
    old: &Current<'_>,
    removed: &[usize],
    inserts: &[usize],
    last: &Attribute,
    line_for: &dyn Fn(usize) -> String,
    nl: &str,
) -> Result<Vec<(Range<usize>, String)>, EditError> {
    let mut by_anchor: Vec<(&Attribute, Vec<usize>)> = Vec::new();
    for &i in inserts {
        let anchor = (0..i)
            .rev()
            .find(|j| old[*j].is_some() && !removed.contains(j))
            .and_then(|j| old[j].as_ref().map(|(a, _)| *a))
            .unwrap_or(last);
        match by_anchor.iter_mut().find(|(a, _)| std::ptr::eq(*a, anchor)) {
            Some((_, v)) => v.push(i),
            None => by_anchor.push((anchor, vec![i])),
        }
    }
    let mut edits = Vec::new();
    for (anchor, items) in &by_anchor {
        let key = anchor.key.span().ok_or_else(no_span)?;
        let value = anchor.value.span().ok_or_else(no_span)?;
        let end = line_end(text, value.end);
        let indent = indent_of(text, key.start);
        let added: String = items
            .iter()
            .map(|i| format!("{nl}{indent}{}", wrap(&line_for(*i), indent, nl)))
            .collect();
        edits.push((end..end, added));
    }
    Ok(edits)
}

/// When no attribute stays: the attribute `first` (removed) replaced by
/// the new ones, its list's comments kept after them.
fn in_place_of(
    text: &str,
    old: &Current<'_>,
    first: usize,
    inserts: &[usize],
    line_for: &dyn Fn(usize) -> String,
    nl: &str,
) -> Result<(Range<usize>, String), EditError> {
    let (a, _) = old[first].as_ref().expect("removed attributes exist");
    let key = a.key.span().ok_or_else(no_span)?;
    let value = a.value.span().ok_or_else(no_span)?;
    let indent = indent_of(text, key.start);
    let joined = inserts
        .iter()
        .map(|i| wrap(&line_for(*i), indent, nl))
        .collect::<Vec<_>>()
        .join(&format!("{nl}{indent}"));
    let kept: String = list_comments(text, &a.value)?
        .iter()
        .map(|c| format!("{nl}{indent}{c}"))
        .collect();
    Ok((key.start..value.end, format!("{joined}{kept}")))
}

fn attribute<'b>(block: &'b Block, name: &str) -> Option<&'b Attribute> {
    block.body.iter().find_map(|s| match s {
        Structure::Attribute(a) if a.key.as_str() == name => Some(a),
        _ => None,
    })
}

/// The strings of a list attribute, or why it cannot be rewritten.
fn literal_list(
    text: &str,
    a: &Attribute,
    role: &str,
    name: &str,
) -> Result<Vec<String>, EditError> {
    let offset = a.key.span().map_or(0, |s| s.start);
    let refuse = || {
        at(
            text,
            offset,
            format!(
                "`{name}` of `role \"{role}\"` is not a list of plain strings, so tfroles cannot rewrite it"
            ),
            &format!("write `{name}` as a list of strings, or make the change by hand"),
        )
    };
    let Expression::Array(items) = &a.value else {
        return Err(refuse());
    };
    items
        .iter()
        .map(|e| match e {
            Expression::String(s) => Ok(s.as_str().to_owned()),
            _ => Err(refuse()),
        })
        .collect()
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let set =
        |v: &[String]| -> BTreeSet<String> { v.iter().map(|s| s.to_ascii_lowercase()).collect() };
    set(a) == set(b)
}

fn quote(s: &str) -> String {
    format!("\"{s}\"")
}

fn inline(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `key = [...]` as written on a new line at `indent`: inline, or one
/// item per line when that would be too long.
fn wrap(line: &str, indent: &str, nl: &str) -> String {
    if indent.len() + line.chars().count() <= MAX_INLINE {
        return line.to_owned();
    }
    let (key, list) = line.split_once(" = [").expect("formatted above");
    let items = list.trim_end_matches(']');
    let mut s = format!("{key} = [{nl}");
    for item in items.split(", ") {
        s.push_str(&format!("{indent}  {item},{nl}"));
    }
    s.push_str(indent);
    s.push(']');
    s
}

/// Where the line holding `offset` ends, before a `\r\n` or `\n`.
fn line_end(text: &str, offset: usize) -> usize {
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    if text[..end].ends_with('\r') {
        end - 1
    } else {
        end
    }
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// What a list holds besides its items and commas: its comments, one per
/// entry, trimmed.
fn list_comments(text: &str, value: &Expression) -> Result<Vec<String>, EditError> {
    let (span, items) = list_spans(value)?;
    let mut rest = String::new();
    let mut pos = span.start + 1;
    for item in &items {
        rest.push_str(&text[pos..item.start]);
        pos = item.end;
    }
    rest.push_str(&text[pos..span.end - 1]);
    let punctuation = |c: char| c == ',' || c.is_whitespace();
    Ok(rest
        .lines()
        .map(|l| {
            let l = l.trim_start_matches(punctuation);
            if l.starts_with('#') || l.starts_with("//") {
                // A line comment runs to the end of the line, commas and all.
                l.trim_end()
            } else {
                l.trim_end_matches(punctuation)
            }
        })
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn list_spans(value: &Expression) -> Result<(Range<usize>, Vec<Range<usize>>), EditError> {
    let Expression::Array(items) = value else {
        return Err(no_span());
    };
    let span = value.span().ok_or_else(no_span)?;
    let items = items
        .iter()
        .map(|e| e.span().ok_or_else(no_span))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((span, items))
}

/// The new value of a list attribute, in the list's own layout.
fn replace_value(
    text: &str,
    role: &str,
    a: &Attribute,
    want: &[String],
    nl: &str,
) -> Result<(Range<usize>, String), EditError> {
    let (span, items) = list_spans(&a.value)?;
    let key = a.key.span().ok_or_else(no_span)?;
    let list = ListAt {
        text,
        multiline: text[span.clone()].contains('\n'),
        span,
        items,
        indent: indent_of(text, key.start),
        nl,
    };
    let value = if list_comments(text, &a.value)?.is_empty() {
        list.relaid(want)
    } else {
        list.commented(role, a, want)?
    };
    Ok((list.span, value))
}

/// A list attribute's value where it stands in the text.
struct ListAt<'t> {
    text: &'t str,
    /// From `[` to `]`.
    span: Range<usize>,
    /// Each item's.
    items: Vec<Range<usize>>,
    /// The attribute's indentation.
    indent: &'t str,
    multiline: bool,
    nl: &'t str,
}

impl ListAt<'_> {
    /// `want` as a list without comments: on one line if the list was and
    /// it fits, else one item per line at the items' indentation.
    fn relaid(&self, want: &[String]) -> String {
        let (text, nl) = (self.text, self.nl);
        let flat = inline(want);
        let column = self.span.start - line_start(text, self.span.start);
        if !self.multiline && column + flat.chars().count() <= MAX_INLINE {
            return flat;
        }
        let item_indent = self.items.first().filter(|_| self.multiline).map_or_else(
            || format!("{}  ", self.indent),
            |i| indent_of(text, i.start).to_owned(),
        );
        let mut s = format!("[{nl}");
        for w in want {
            s.push_str(&format!("{item_indent}{},{nl}", quote(w)));
        }
        s.push_str(self.indent);
        s.push(']');
        s
    }

    /// `want` in a list with comments: the lines of the items that stay
    /// (with their comments) and the comment lines are kept, new items
    /// added before `]`. This needs one item per line.
    fn commented(&self, role: &str, a: &Attribute, want: &[String]) -> Result<String, EditError> {
        let (text, nl) = (self.text, self.nl);
        let open = self.span.start;
        let close = self.span.end - 1;
        let one_per_line = || {
            at(
                text,
                open,
                format!(
                    "`{}` of `role \"{role}\"` has comments and items sharing lines, so tfroles cannot tell which comment goes with which item",
                    a.key.as_str()
                ),
                "put each item of the list on a line of its own, or make the change by hand",
            )
        };
        let first_line_end = line_end(text, open);
        // Every item at the start of its own line, between the brackets' lines.
        let alone = |i: &Range<usize>| {
            i.start >= first_line_end
                && line_of(text, i.start) != line_of(text, close)
                && text[line_start(text, i.start)..i.start].trim().is_empty()
        };
        if !self.multiline || !self.items.iter().all(alone) {
            return Err(one_per_line());
        }
        let Expression::Array(values) = &a.value else {
            return Err(no_span());
        };
        let mut kept = Kept {
            wanted: want.iter().map(|w| w.to_ascii_lowercase()).collect(),
            kept: BTreeSet::new(),
            item_indent: format!("{}  ", self.indent),
        };
        let mut out = String::from(&text[open..first_line_end]);
        let mut pos = first_line_end;
        // Each following line up to the one with the closing bracket.
        let last_line_start = line_start(text, close);
        while pos < last_line_start {
            let nl_at = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
            let line_range = pos..nl_at + 1;
            pos = nl_at + 1;
            let inside: Vec<usize> = (0..self.items.len())
                .filter(|i| line_range.contains(&self.items[*i].start))
                .collect();
            match inside.as_slice() {
                [] => out.push_str(&text[line_range]),
                [i] => {
                    let Some(Expression::String(s)) = values.get(*i) else {
                        return Err(no_span());
                    };
                    out.push_str(&kept.item_line(text, line_range, &self.items[*i], s.as_str()));
                }
                _ => return Err(one_per_line()),
            }
        }
        // `out` ends with the newline of the last line before `]`.
        for w in want {
            if !kept.kept.contains(&w.to_ascii_lowercase()) {
                out.push_str(&format!("{}{},{nl}", kept.item_indent, quote(w)));
            }
        }
        out.push_str(&text[last_line_start..close + 1]);
        Ok(out)
    }
}

/// The items of a commented list kept so far, by lower-cased value.
struct Kept {
    wanted: BTreeSet<String>,
    kept: BTreeSet<String>,
    /// The indentation of the last item seen, for items added after it.
    item_indent: String,
}

impl Kept {
    /// What the line `line` holding the item `item` (of value `value`)
    /// becomes: itself (with a comma) if the item stays, else only the
    /// comment after it, if any, on a line of its own.
    fn item_line(
        &mut self,
        text: &str,
        line: Range<usize>,
        item: &Range<usize>,
        value: &str,
    ) -> String {
        self.item_indent = indent_of(text, item.start).to_owned();
        let value = value.to_ascii_lowercase();
        let rel = item.end - line.start;
        let line = &text[line];
        let after = &line[rel..];
        if self.wanted.contains(&value) && self.kept.insert(value) {
            if after.trim_start_matches([' ', '\t']).starts_with(',') {
                line.to_owned()
            } else {
                format!("{},{after}", &line[..rel])
            }
        } else {
            // The item goes; a comment after it stays, on its own.
            let comment = after.trim_start_matches([',', ' ', '\t']);
            if comment.trim().is_empty() {
                String::new()
            } else {
                format!("{}{comment}", self.item_indent)
            }
        }
    }
}

/// The edit that takes an attribute out: its lines, leaving its comments
/// (on its line or in its list) as comment lines where it was.
fn remove_attribute(
    text: &str,
    a: &Attribute,
    role: &str,
    nl: &str,
) -> Result<(Range<usize>, String), EditError> {
    let key = a.key.span().ok_or_else(no_span)?;
    let value = a.value.span().ok_or_else(no_span)?;
    let start = line_start(text, key.start);
    let end = line_end(text, value.end);
    let before = &text[start..key.start];
    let after = text[value.end..end].trim();
    let shared = !before.trim().is_empty()
        || !(after.is_empty()
            || after.starts_with('#')
            || after.starts_with("//")
            || after.starts_with("/*"));
    if shared {
        return Err(at(
            text,
            key.start,
            format!(
                "`{}` of `role \"{role}\"` shares its line with other code, so tfroles cannot take it out alone",
                a.key.as_str()
            ),
            "write the role block with one attribute per line, or make the change by hand",
        ));
    }
    let mut comments = list_comments(text, &a.value)?;
    if !after.is_empty() {
        comments.push(after.to_owned());
    }
    // Through the line's newline, so no blank line is left.
    let through = if text[end..].starts_with("\r\n") {
        end + 2
    } else if text[end..].starts_with('\n') {
        end + 1
    } else {
        end
    };
    let kept: String = comments
        .iter()
        .map(|c| format!("{before}{c}{nl}"))
        .collect();
    Ok((start..through, kept))
}

/// Sets the padding before `=` of the role block's attributes as
/// `terraform fmt` does: attributes on consecutive lines form a group
/// whose `=` line up one space after its longest name.
fn realign(text: &str, role: &str) -> Result<String, EditError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        EditError::new(
            format!("the edited config is not valid HCL: {}", e.message()),
            "make the change by hand",
        )
    })?;
    let block = role_block(&body, role)?;
    let mut attrs: Vec<(Range<usize>, usize, usize, usize)> = Vec::new();
    for s in block.body.iter() {
        let Structure::Attribute(a) = s else { continue };
        let key = a.key.span().ok_or_else(no_span)?;
        let value = a.value.span().ok_or_else(no_span)?;
        let Some(eq) = text[key.end..value.start].find('=').map(|i| key.end + i) else {
            return Err(no_span());
        };
        attrs.push((
            key.clone(),
            eq,
            line_of(text, key.start),
            line_of(text, value.end),
        ));
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, a) in attrs.iter().enumerate() {
        match groups.last_mut() {
            // A multi-line value ends its group.
            Some(g)
                if g.last()
                    .is_some_and(|p| attrs[*p].2 == attrs[*p].3 && attrs[*p].3 + 1 == a.2) =>
            {
                g.push(i);
            }
            _ => groups.push(vec![i]),
        }
    }
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    for g in groups {
        let width = g
            .iter()
            .map(|i| text[attrs[*i].0.clone()].chars().count())
            .max()
            .unwrap_or(0);
        for i in g {
            let (key, eq, _, _) = &attrs[i];
            let pad = width - text[key.clone()].chars().count() + 1;
            edits.push((key.end..*eq, " ".repeat(pad)));
        }
    }
    let mut out = text.to_owned();
    for (range, with) in edits.into_iter().rev() {
        out.replace_range(range, &with);
    }
    align_comments(&out, role)
}

/// Sets the padding before the comments that end the role block's
/// one-line attributes as `terraform fmt` does: on consecutive lines they
/// line up one space after the longest line's code.
fn align_comments(text: &str, role: &str) -> Result<String, EditError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        EditError::new(
            format!("the edited config is not valid HCL: {}", e.message()),
            "make the change by hand",
        )
    })?;
    let block = role_block(&body, role)?;
    // (line, end of code, start of comment, width of code)
    let mut commented: Vec<(usize, usize, usize, usize)> = Vec::new();
    for s in block.body.iter() {
        let Structure::Attribute(a) = s else { continue };
        let key = a.key.span().ok_or_else(no_span)?;
        let value = a.value.span().ok_or_else(no_span)?;
        let line = line_of(text, key.start);
        if line != line_of(text, value.end) {
            continue;
        }
        let rest = &text[value.end..line_end(text, value.end)];
        let trimmed = rest.trim_start_matches([' ', '\t']);
        if trimmed.starts_with('#') || trimmed.starts_with("//") {
            let start = value.end + (rest.len() - trimmed.len());
            let width = text[line_start(text, key.start)..value.end].chars().count();
            commented.push((line, value.end, start, width));
        }
    }
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for (i, c) in commented.iter().enumerate() {
        match chains.last_mut() {
            Some(g) if g.last().is_some_and(|p| commented[*p].0 + 1 == c.0) => g.push(i),
            _ => chains.push(vec![i]),
        }
    }
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    for g in chains {
        let width = g.iter().map(|i| commented[*i].3).max().unwrap_or(0);
        for i in g {
            let (_, end, start, w) = commented[i];
            edits.push((end..start, " ".repeat(width - w + 1)));
        }
    }
    let mut out = text.to_owned();
    for (range, with) in edits.into_iter().rev() {
        out.replace_range(range, &with);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use tfroles_policy::AccessLevel;

    use super::super::{Change, plan, plan_text};
    use crate::error::Error;
    use crate::usage::Grant;

    fn grant(services: &[&str], access: &[AccessLevel], actions: &[&str]) -> Grant {
        Grant {
            services: services.iter().map(|s| (*s).to_owned()).collect(),
            access: access.to_vec(),
            actions: actions.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn narrow(text: &str, role: &str, g: Grant) -> Result<String, super::EditError> {
        plan_text(text, &[Change::narrow(role, g)]).map(|p| p.text)
    }

    use AccessLevel::{List, Tagging, Write};

    #[test]
    fn replaces_the_grant_keeping_comments_and_aligning() {
        let text = "# roles\nrole \"app\" {\n  # the first deployment's\n  account  = \"qa\" # qa only\n  services = [\"ec2\", \"s3\"] # broad\n  actions  = [\"iam:PassRole\"]\n\n  trust {\n    aws = [\"x\"]\n  }\n}\n";
        let out = narrow(
            text,
            "app",
            grant(
                &["ec2"],
                &[List, Write, Tagging],
                &["s3:GetObject", "s3:ListBucket"],
            ),
        )
        .unwrap();
        assert_eq!(
            out,
            "# roles\nrole \"app\" {\n  # the first deployment's\n  account  = \"qa\"    # qa only\n  services = [\"ec2\"] # broad\n  access   = [\"list\", \"write\", \"tagging\"]\n  actions  = [\"s3:GetObject\", \"s3:ListBucket\"]\n\n  trust {\n    aws = [\"x\"]\n  }\n}\n"
        );
    }

    #[test]
    fn a_removed_attribute_leaves_its_comments() {
        let text = "role \"app\" {\n  account  = \"qa\"\n  services = [\n    \"ec2\", # for the vpc\n    \"s3\",\n  ] # broad\n}\n";
        let out = narrow(text, "app", grant(&[], &[], &["ec2:DescribeVpcs"])).unwrap();
        assert_eq!(
            out,
            "role \"app\" {\n  account = \"qa\"\n  actions = [\"ec2:DescribeVpcs\"]\n  # for the vpc\n  # broad\n}\n"
        );
        // Nothing stays: the removed attribute's place takes the new one.
        let text = "role \"app\" { services = [\"ec2\"] }\n";
        let out = narrow(text, "app", grant(&[], &[], &["ec2:DescribeVpcs"])).unwrap();
        assert_eq!(out, "role \"app\" { actions = [\"ec2:DescribeVpcs\"] }\n");
        let text = "role \"app\" {\n  account  = \"qa\"\n  services = [\"ec2\"] # broad\n  actions  = [\"iam:PassRole\"]\n}\n";
        let out = narrow(text, "app", grant(&[], &[], &["ec2:DescribeVpcs"])).unwrap();
        assert_eq!(
            out,
            "role \"app\" {\n  account = \"qa\"\n  # broad\n  actions = [\"ec2:DescribeVpcs\"]\n}\n"
        );
    }

    #[test]
    fn a_removed_list_without_comments_leaves_nothing() {
        // Found by tests/narrow.rs: the commas between items were taken
        // for a comment and left as a line of their own.
        let text = "role \"app\" {\n  account = \"qa\" # one\n  services = [\"ec2\"]\n  access = [\"list\", \"read\", \"write\"]\n}\n";
        let out = narrow(text, "app", grant(&[], &[], &["ec2:DescribeVpcs"])).unwrap();
        assert_eq!(
            out,
            "role \"app\" {\n  account = \"qa\" # one\n  actions = [\"ec2:DescribeVpcs\"]\n}\n"
        );
    }

    #[test]
    fn a_list_with_comments_keeps_the_lines_that_stay() {
        let text = "role \"app\" {\n  actions = [\n    # reads\n    \"ec2:DescribeVpcs\" # the vpc\n    , \"ec2:DescribeSubnets\", # subnets\n    \"iam:PassRole\",\n  ]\n}\n";
        // A leading comma: which comment goes with which item is unclear.
        let e = narrow(text, "app", grant(&[], &[], &["ec2:DescribeVpcs"])).unwrap_err();
        assert!(
            e.message.contains(
                "line 2: `actions` of `role \"app\"` has comments and items sharing lines"
            ),
            "{e}"
        );

        let text = "role \"app\" {\n  actions = [\n    # reads\n    \"ec2:DescribeVpcs\", # the vpc\n    \"iam:PassRole\", # pass\n  ]\n}\n";
        let out = narrow(
            text,
            "app",
            grant(&[], &[], &["ec2:DescribeSubnets", "ec2:DescribeVpcs"]),
        )
        .unwrap();
        assert_eq!(
            out,
            "role \"app\" {\n  actions = [\n    # reads\n    \"ec2:DescribeVpcs\", # the vpc\n    # pass\n    \"ec2:DescribeSubnets\",\n  ]\n}\n"
        );
    }

    #[test]
    fn a_long_or_multiline_list_is_one_item_per_line() {
        let text = "role \"app\" {\n  actions = [\n    \"iam:PassRole\",\n  ]\n  services = [\"ec2\"]\n}\n";
        let out = narrow(
            text,
            "app",
            grant(&[], &[], &["ec2:DescribeSubnets", "ec2:DescribeVpcs"]),
        )
        .unwrap();
        assert_eq!(
            out,
            "role \"app\" {\n  actions = [\n    \"ec2:DescribeSubnets\",\n    \"ec2:DescribeVpcs\",\n  ]\n}\n"
        );
        let many: Vec<String> = (0..8).map(|i| format!("ec2:Describe{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let text = "role \"app\" {\n  services = [\"ec2\"]\n}\n";
        let out = narrow(text, "app", grant(&[], &[], &many)).unwrap();
        assert!(
            out.starts_with("role \"app\" {\n  actions = [\n    \"ec2:Describe0\",\n"),
            "{out}"
        );
        assert!(out.ends_with("    \"ec2:Describe7\",\n  ]\n}\n"), "{out}");
    }

    #[test]
    fn keeps_crlf_and_a_byte_order_mark() {
        let text =
            "\u{feff}role \"app\" {\r\n  account  = \"qa\" # qa\r\n  services = [\"ec2\"]\r\n}\r\n";
        let out = narrow(
            text,
            "app",
            grant(&[], &[], &["ec2:DescribeVpcs", "ec2:DescribeSubnets"]),
        )
        .unwrap();
        assert_eq!(
            out,
            "\u{feff}role \"app\" {\r\n  account = \"qa\" # qa\r\n  actions = [\"ec2:DescribeVpcs\", \"ec2:DescribeSubnets\"]\r\n}\r\n"
        );
        let text = "role \"app\" {\r\n  services = [\"ec2\", \"s3\"]\r\n  actions  = [\r\n    \"iam:PassRole\",\r\n  ]\r\n}\r\n";
        let out = narrow(text, "app", grant(&["ec2"], &[List], &["s3:ListBucket"])).unwrap();
        assert_eq!(
            out,
            "role \"app\" {\r\n  services = [\"ec2\"]\r\n  access   = [\"list\"]\r\n  actions  = [\r\n    \"s3:ListBucket\",\r\n  ]\r\n}\r\n"
        );
        assert!(!out.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn refuses_what_it_cannot_rewrite_naming_the_line() {
        let g = || grant(&[], &[], &["ec2:DescribeVpcs"]);
        let cases = [
            (
                "role \"app\" {\n  actions = local.x\n}\n",
                "line 2: `actions` of `role \"app\"` is not a list of plain strings",
            ),
            (
                "role \"app\" {\n  services = [\"ec2\", var.x]\n}\n",
                "line 2: `services` of `role \"app\"` is not a list of plain strings",
            ),
            (
                "role \"app\" {\n  services = [\"ec2\"]\n}\nrole \"app\" {}\n",
                "`role \"app\"` is defined 2 times",
            ),
            ("role \"web\" {}\n", "there is no `role \"app\"` block"),
            (
                "role \"app\" {\n  actions = [\"ec2:DescribeVpcs\", # a\n    \"iam:PassRole\"]\n}\n",
                "line 2: `actions` of `role \"app\"` has comments and items sharing lines",
            ),
            (
                "state {\n  role = \"app\"\n}\nrole \"app\" {}\n",
                "is the state role",
            ),
            (
                "role \"app\" {\n  actions = [/* none yet */]\n}\n",
                "line 2: `actions` of `role \"app\"` has comments and items sharing lines",
            ),
        ];
        for (text, expect) in cases {
            let e = narrow(text, "app", g()).unwrap_err();
            assert!(e.message.contains(expect), "{text}: {e}");
            assert!(e.hint.is_some(), "{text}");
        }
    }

    const CONFIG: &str = "defaults { region = \"us-east-1\" }\naccount \"qa\" { id = \"111111111111\" }\naccount \"prod\" { id = \"222222222222\" }\nstate {\n  account = \"qa\"\n  bucket  = \"acme-terraform-state\"\n  role    = \"terraform-state\"\n}\nrole \"terraform-state\" { account = \"qa\" }\nrole \"app\" {\n  accounts     = [\"qa\", \"prod\"]\n  services     = [\"ec2\"]\n  access       = [\"list\", \"read\"]\n  actions      = [\"iam:PassRole\", \"ec2:RunInstances\"]\n  deny_actions = [\"ec2:DescribeRegions\"]\n}\n";

    fn planned(g: Grant) -> Result<super::super::Edit, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tfroles.hcl");
        std::fs::write(&path, CONFIG).unwrap();
        plan(&path, &[Change::narrow("app", g)])
    }

    #[test]
    fn a_narrowing_that_would_widen_is_refused() {
        // What it keeps: fine, and deny_actions stays.
        let ok = planned(grant(&[], &[], &["ec2:DescribeVpcs", "ec2:RunInstances"])).unwrap();
        assert_eq!(ok.narrowed, ["app"]);
        assert!(
            ok.after
                .contains("deny_actions = [\"ec2:DescribeRegions\"]"),
            "{}",
            ok.after
        );
        // A level `access` did not grant for the service: every ec2 write.
        let e = planned(grant(&["ec2"], &[List, Write], &[])).unwrap_err();
        assert!(matches!(e, Error::Edit { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("to `role \"app\"` on its `resources`, which its own attributes did not"),
            "{e}"
        );
        // Allowed only through a `via` chain, on one role ARN: moved into
        // `actions` it would apply to `resources`.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tfroles.hcl");
        let chained = CONFIG.replace(
            "role \"terraform-state\" { account = \"qa\" }\n",
            "role \"terraform-state\" { account = \"qa\" }\nrole \"next\" {\n  account = \"qa\"\n  via     = \"app\"\n}\n",
        );
        std::fs::write(&path, &chained).unwrap();
        let e = plan(
            &path,
            &[Change::narrow(
                "app",
                grant(&[], &[], &["ec2:DescribeVpcs", "sts:AssumeRole"]),
            )],
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("grant `sts:AssumeRole` to `role \"app\"` on its `resources`"),
            "{e}"
        );
        // An action it never had, alone or with what it had.
        for wider in ["iam:CreateRole", "ec2:TerminateInstances"] {
            let e = planned(grant(&[], &[], &[wider])).unwrap_err();
            assert!(
                e.to_string().contains("which its own attributes did not"),
                "{wider}: {e}"
            );
            assert!(e.hint().is_some());
        }
    }
}
