//! Validation: the raw form of `tfroles.hcl` checked into the
//! [model](crate::model), one module per block, in the order they are
//! checked: a block refers only to names checked before it, through
//! [`Known`]. The checks that need several blocks at once are in [`cross`].
//! Every problem found is collected; the model is returned only when there
//! are none.

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Diagnostic, Diagnostics, Error, Location, Result, did_you_mean, list};
use crate::model::{Account, Config};
use crate::raw::{self, Attr, Located, RawBlock, RawBody, Value};
use crate::types::{AccountName, DefaultTags, InvalidValue, is_bidi_control};

mod accounts;
mod bootstrap;
mod cross;
mod defaults;
mod identities;
pub(crate) mod module_manifest;
mod permissions;
mod roles;
mod stacks;
mod state;
mod trust;

const TOP_BLOCKS: &[&str] = &[
    "defaults",
    "account",
    "identity",
    "state",
    "role",
    "stack",
    "bootstrap",
];

/// Checks a parsed config: the model, or every problem found.
pub(crate) fn validate(body: &RawBody, file: &Path, root: &Path) -> Result<Config> {
    let mut v = Validator {
        file,
        errors: Vec::new(),
    };
    let mut known = Known::default();
    v.schema(None, body, &[], TOP_BLOCKS);
    let defaults = defaults::validate(&mut v, body, &mut known);
    accounts::validate(&mut v, body, &mut known);
    let mut roles = roles::validate(&mut v, body, &defaults, &mut known);
    let state = state::validate(&mut v, body, &defaults, &known, &roles);
    let stacks = stacks::validate(&mut v, body, &defaults, &known, &roles.roles);
    let identities = identities::validate(&mut v, body, &mut known);
    let pending_trust = std::mem::take(&mut roles.pending_trust);
    let broad_trust = trust::resolve_aws(
        &mut v,
        pending_trust,
        &mut roles.roles,
        &identities,
        &known,
        &defaults,
    );
    let bootstrap = bootstrap::validate(&mut v, body);
    cross::bootstrap_dir(&mut v, body, bootstrap.as_ref(), &stacks);
    let state_ref = state.as_ref();
    cross::assume_role_limits(&mut v, body, &defaults, &roles.roles, state_ref, &stacks);
    cross::allowed_accounts(&mut v, &known, &stacks);
    if !v.errors.is_empty() {
        v.errors.sort_by_key(|d| d.location);
        return Err(Error::Invalid(Diagnostics(v.errors)));
    }
    let state = state.expect("no errors, so the state block was valid");
    let warnings = cross::warnings(file, &roles.roles, &state, broad_trust);
    Ok(Config {
        file: file.to_path_buf(),
        root: root.to_path_buf(),
        defaults,
        accounts: known.accounts,
        state,
        roles: roles.roles,
        stacks,
        identities,
        bootstrap,
        warnings,
        modules: Default::default(),
        role_locs: roles.locs,
    })
}

/// The names defined so far, as the blocks checked later see them.
#[derive(Default)]
pub(crate) struct Known {
    /// Valid accounts, in the order written.
    pub(crate) accounts: Vec<Account>,
    /// Account labels whose block is in error (reported there): references
    /// to them are not reported again as "no such account".
    pub(crate) broken_accounts: BTreeSet<String>,
    /// Role labels that count as defined: every role block's, valid or not
    /// (even with the wrong number of labels), so one mistake does not
    /// cascade into "no such role" errors everywhere the role is used.
    pub(crate) roles: Vec<String>,
    /// Identity labels, valid block or not, with where each is first.
    pub(crate) identities: Vec<(String, Option<Location>)>,
    /// Whether `defaults` writes a `region`, valid or not: an invalid one is
    /// reported there, not again as a missing region in every block that
    /// would inherit it.
    pub(crate) defaults_region: bool,
}

impl Known {
    pub(crate) fn account_names(&self) -> Vec<&str> {
        self.accounts.iter().map(|a| a.name.as_str()).collect()
    }

    pub(crate) fn role_names(&self) -> Vec<&str> {
        self.roles.iter().map(String::as_str).collect()
    }

    pub(crate) fn identity_names(&self) -> Vec<&str> {
        self.identities.iter().map(|(l, _)| l.as_str()).collect()
    }
}

/// " (first on line N)" for a duplicate, when the first has a location.
fn first_on(loc: Option<Location>) -> String {
    loc.map(|l| format!(" (first on line {})", l.line))
        .unwrap_or_default()
}

/// Collects diagnostics while walking the raw form.
pub(crate) struct Validator<'a> {
    pub(crate) file: &'a Path,
    pub(crate) errors: Vec<Diagnostic>,
}

/// One block's attributes, for typed access with errors that name the block.
pub(crate) struct Fields<'b> {
    pub(crate) desc: Option<String>,
    pub(crate) body: &'b RawBody,
}

impl<'b> Fields<'b> {
    pub(crate) fn attr(&self, name: &str) -> Option<&'b Attr> {
        self.body.attrs.iter().find(|a| a.name.value == name)
    }
}

impl Validator<'_> {
    pub(crate) fn push(
        &mut self,
        loc: Option<Location>,
        block: Option<&str>,
        attr: Option<&str>,
        message: String,
        allowed: Option<String>,
        hint: Option<String>,
    ) {
        self.errors.push(Diagnostic {
            file: self.file.to_path_buf(),
            location: loc,
            block: block.map(str::to_owned),
            attribute: attr.map(str::to_owned),
            message,
            allowed,
            hint,
        });
    }

    pub(crate) fn invalid(
        &mut self,
        f: &Fields,
        attr: &str,
        loc: Option<Location>,
        e: InvalidValue,
    ) {
        self.push(
            loc,
            f.desc.as_deref(),
            Some(attr),
            e.message,
            Some(e.allowed),
            e.hint,
        );
    }

    /// A block's label parsed into its type; an invalid one is an error on
    /// the block.
    pub(crate) fn label<T>(
        &mut self,
        b: &RawBlock,
        desc: &str,
        parsed: std::result::Result<T, InvalidValue>,
    ) -> Option<T> {
        match parsed {
            Ok(t) => Some(t),
            Err(e) => {
                self.push(b.loc, Some(desc), None, e.message, Some(e.allowed), e.hint);
                None
            }
        }
    }

    /// Unknown and duplicate attributes and blocks.
    pub(crate) fn schema(
        &mut self,
        desc: Option<&str>,
        body: &RawBody,
        attrs: &[&str],
        blocks: &[&str],
    ) {
        let mut seen = BTreeSet::new();
        for a in &body.attrs {
            let name = a.name.value.as_str();
            if !attrs.contains(&name) {
                let (allowed, hint) = if attrs.is_empty() {
                    let hint = if desc.is_none() && defaults::ATTRS.contains(&name) {
                        format!(
                            "attributes go inside a block; a default for every block goes in `defaults {{ {name} = ... }}`"
                        )
                    } else {
                        "attributes go inside a block".to_owned()
                    };
                    (format!("only blocks here: {}", list(blocks)), Some(hint))
                } else {
                    (list(attrs), did_you_mean(name, attrs))
                };
                self.push(
                    a.name.loc,
                    desc,
                    None,
                    format!("unknown attribute `{name}`"),
                    Some(allowed),
                    hint,
                );
            } else if !seen.insert(name) {
                self.push(
                    a.name.loc,
                    desc,
                    Some(name),
                    "is set twice".into(),
                    None,
                    Some("remove one of them".into()),
                );
            }
        }
        for b in &body.blocks {
            if !blocks.contains(&b.ident.as_str()) {
                let allowed = if blocks.is_empty() {
                    "no blocks inside this one".to_owned()
                } else {
                    list(blocks)
                };
                self.push(
                    b.loc,
                    desc,
                    None,
                    format!("unknown block `{}`", b.ident),
                    Some(allowed),
                    did_you_mean(&b.ident, blocks),
                );
            }
        }
    }

    pub(crate) fn labels(
        &mut self,
        parent: Option<&str>,
        b: &RawBlock,
        n: usize,
        what: &str,
    ) -> bool {
        let desc = || match parent {
            Some(p) => format!("{p} > {}", b.describe()),
            None => b.describe(),
        };
        // A bidirectional override displays a label other than it is (the
        // "Trojan Source" trick), in review tools and in our own messages.
        if let Some(c) = b
            .labels
            .iter()
            .flat_map(|l| l.chars())
            .find(|&c| is_bidi_control(c))
        {
            self.push(
                b.loc,
                Some(&desc()),
                None,
                format!(
                    "the label contains the bidirectional control character U+{:04X}, which makes it display differently from what it is",
                    c as u32
                ),
                Some("labels without bidirectional control characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)".into()),
                Some("retype the label; if it came from a paste, the invisible character came with it".into()),
            );
            return false;
        }
        if b.labels.len() == n {
            return true;
        }
        let example = match n {
            0 => format!("`{} {{ ... }}`", b.ident),
            _ => format!("`{} \"{what}\" {{ ... }}`", b.ident),
        };
        let desc = desc();
        self.push(
            b.loc,
            Some(&desc),
            None,
            format!(
                "{} `{}` block takes {} label{}, not {}",
                if b.ident.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                },
                b.ident,
                n,
                if n == 1 { "" } else { "s" },
                b.labels.len()
            ),
            Some(example),
            None,
        );
        false
    }

    pub(crate) fn string(&mut self, f: &Fields, name: &str) -> Option<Located<String>> {
        let a = f.attr(name)?;
        self.as_string(f, name, &a.value)
    }

    pub(crate) fn as_string(
        &mut self,
        f: &Fields,
        name: &str,
        v: &Located<Value>,
    ) -> Option<Located<String>> {
        match &v.value {
            Value::Str(s) => Some(Located {
                value: s.clone(),
                loc: v.loc,
            }),
            other => {
                self.type_error(f, name, v.loc, "a string", other);
                None
            }
        }
    }

    pub(crate) fn type_error(
        &mut self,
        f: &Fields,
        name: &str,
        loc: Option<Location>,
        want: &str,
        got: &Value,
    ) {
        let hint = match got {
            Value::Unsupported(raw::HEREDOC) => {
                Some("write the value as a quoted string on one line".to_owned())
            }
            Value::Unsupported(_) => Some(
                "tfroles.hcl takes literal values only; it is read before terraform runs, so there are no variables or functions".to_owned(),
            ),
            Value::Num(_) if want == "a string" => Some("quote it".to_owned()),
            Value::Str(s) if want == "a bool" && (s == "true" || s == "false") => {
                Some(format!("write {s} without quotes"))
            }
            Value::Null => Some(format!("to leave `{name}` unset, leave it out")),
            Value::List(_)
                if want == "a string"
                    && name == "account"
                    && f.desc.as_deref().is_some_and(|d| d.starts_with("role ")) =>
            {
                Some("for a role in several accounts, write `accounts = [...]`".to_owned())
            }
            _ => None,
        };
        self.push(
            loc,
            f.desc.as_deref(),
            Some(name),
            format!("expected {want}, found {}", got.type_name()),
            None,
            hint,
        );
    }

    pub(crate) fn parse<T: FromStr<Err = InvalidValue>>(
        &mut self,
        f: &Fields,
        name: &str,
    ) -> Option<T> {
        let s = self.string(f, name)?;
        self.parse_located(f, name, &s)
    }

    pub(crate) fn parse_located<T: FromStr<Err = InvalidValue>>(
        &mut self,
        f: &Fields,
        name: &str,
        s: &Located<String>,
    ) -> Option<T> {
        match s.value.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.invalid(f, name, s.loc, e);
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, f: &Fields, name: &str) -> Option<bool> {
        let a = f.attr(name)?;
        match &a.value.value {
            Value::Bool(b) => Some(*b),
            other => {
                self.type_error(f, name, a.value.loc, "a bool", other);
                None
            }
        }
    }

    pub(crate) fn string_list(&mut self, f: &Fields, name: &str) -> Option<Vec<Located<String>>> {
        let a = f.attr(name)?;
        match &a.value.value {
            Value::List(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for item in items {
                    match self.as_string(f, name, item) {
                        Some(s) => out.push(s),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.type_error(f, name, a.value.loc, "a list of strings", other);
                None
            }
        }
    }

    pub(crate) fn string_map(
        &mut self,
        f: &Fields,
        name: &str,
    ) -> Option<Vec<(Located<String>, String)>> {
        let a = f.attr(name)?;
        match &a.value.value {
            Value::Map(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for (k, v) in items {
                    if v.value == raw::COMPUTED_KEY {
                        self.type_error(f, name, k.loc, "a string key", &v.value);
                        ok = false;
                        continue;
                    }
                    match self.as_string(f, name, v) {
                        Some(s) => out.push((k.clone(), s.value)),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.type_error(f, name, a.value.loc, "an object of strings", other);
                None
            }
        }
    }

    pub(crate) fn missing(&mut self, loc: Option<Location>, desc: &str, name: &str, allowed: &str) {
        self.push(
            loc,
            Some(desc),
            None,
            format!("missing required attribute `{name}`"),
            Some(allowed.to_owned()),
            None,
        );
    }

    /// Resolves a reference to a named block, with "did you mean".
    pub(crate) fn reference<'n>(
        &mut self,
        f: &Fields,
        attr: &str,
        r: &Located<String>,
        kind: &str,
        names: &[&'n str],
    ) -> Option<&'n str> {
        if let Some(n) = names.iter().find(|n| **n == r.value) {
            return Some(n);
        }
        let hint = did_you_mean(&r.value, names)
            .or_else(|| Some(format!("define it with `{kind} \"{}\" {{ ... }}`", r.value)));
        self.push(
            r.loc,
            f.desc.as_deref(),
            Some(attr),
            format!("there is no {kind} `{}`", r.value),
            Some(format!("the {kind}s defined: {}", list(names))),
            hint,
        );
        None
    }

    /// A reference to an account, resolved against the accounts known.
    pub(crate) fn account_ref(
        &mut self,
        f: &Fields,
        attr: &str,
        r: &Located<String>,
        known: &Known,
    ) -> Option<AccountName> {
        let names = known.account_names();
        if !names.contains(&r.value.as_str()) && known.broken_accounts.contains(&r.value) {
            return None;
        }
        let name = self.reference(f, attr, r, "account", &names)?;
        known
            .accounts
            .iter()
            .find(|a| a.name.as_str() == name)
            .map(|a| a.name.clone())
    }

    /// A reference to a role, resolved against the role labels known.
    pub(crate) fn role_ref(
        &mut self,
        f: &Fields,
        attr: &str,
        r: &Located<String>,
        known: &Known,
    ) -> Option<String> {
        self.reference(f, attr, r, "role", &known.role_names())
            .map(str::to_owned)
    }

    /// Reports block `b` when an earlier block of its kind has its label
    /// (`first`: where that one is); true when it does.
    pub(crate) fn defined_twice(
        &mut self,
        b: &RawBlock,
        desc: &str,
        first: Option<Option<Location>>,
        hint: &str,
    ) -> bool {
        let Some(first) = first else {
            return false;
        };
        self.push(
            b.loc,
            Some(desc),
            None,
            format!(
                "{} `{}` is defined twice{}",
                b.ident,
                b.labels[0],
                first_on(first)
            ),
            None,
            Some(hint.into()),
        );
        true
    }

    /// The first block of a kind that may be written once in `body`; every
    /// further one is reported, pointing at the first.
    pub(crate) fn at_most_one<'b>(
        &mut self,
        parent: Option<&str>,
        body: &'b RawBody,
        ident: &str,
        hint: &str,
    ) -> Option<&'b RawBlock> {
        let mut blocks = body.blocks.iter().filter(|b| b.ident == ident);
        let first = blocks.next()?;
        for extra in blocks {
            self.push(
                extra.loc,
                Some(parent.unwrap_or(ident)),
                None,
                format!(
                    "there is more than one `{ident}` block{}",
                    first_on(first.loc)
                ),
                None,
                Some(hint.into()),
            );
        }
        Some(first)
    }

    /// `default_tags`, pointing at the tag at fault when one breaks AWS's
    /// tag rules.
    pub(crate) fn default_tags(&mut self, f: &Fields, fallback: Option<Location>) -> DefaultTags {
        let Some(located) = self.string_map(f, "default_tags") else {
            return DefaultTags::default();
        };
        let t: Vec<(String, String)> = located
            .iter()
            .map(|(k, v)| (k.value.clone(), v.clone()))
            .collect();
        match DefaultTags::new(t.clone()) {
            Ok(t) => t,
            Err(e) => {
                // The shortest list that fails the same way ends with the
                // tag at fault.
                let culprit = (1..=t.len())
                    .find(|&n| DefaultTags::new(t[..n].to_vec()).err().as_ref() == Some(&e));
                let loc = culprit
                    .and_then(|n| located[n - 1].0.loc)
                    .or_else(|| f.attr("default_tags").and_then(|a| a.value.loc))
                    .or(fallback);
                self.invalid(f, "default_tags", loc, e);
                DefaultTags::default()
            }
        }
    }
}
