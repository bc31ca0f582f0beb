//! `role` blocks: the roles, their accounts, sessions and `via` chains.
//! Their permissions are read in [`super::permissions`], their `trust`
//! blocks in [`super::trust`].

use super::permissions::first_permission_attr;
use super::trust::PendingTrust;
use super::{Fields, Known, Validator};
use crate::error::{Location, list};
use crate::model::{Defaults, Role, via_account};
use crate::naming::SourceIdentityTemplate;
use crate::raw::{Located, RawBlock, RawBody};
use crate::types::{AccountName, Duration, RoleName, SessionTags};

const ATTRS: &[&str] = &[
    "account",
    "accounts",
    "path",
    "external_id",
    "session_name",
    "duration",
    "tags",
    "source_identity",
    "via",
    "mfa_serial",
    "services",
    "access",
    "actions",
    "deny_actions",
    "resources",
    "allow_delete",
    "default_tags",
    "module_roles",
];
const BLOCKS: &[&str] = &["trust"];

/// The valid roles, and what the blocks after them need to know of them.
#[derive(Default)]
pub(super) struct Roles {
    /// Valid roles, in the order written.
    pub(super) roles: Vec<Role>,
    /// Where each valid role's block is, in the order of `roles`.
    pub(super) locs: Vec<Option<Location>>,
    /// Trust blocks, whose `aws` entries wait for identities: with the index
    /// of their role in `roles`, or `None` for a role in error (its entries
    /// are still checked).
    pub(super) pending_trust: Vec<(Option<usize>, PendingTrust)>,
    /// Each role's first permission attribute, checked against the state
    /// role once it is known.
    pub(super) permission_attrs: Vec<(String, (&'static str, Option<Location>))>,
    /// `via` references, checked once every role is known: the index in
    /// `roles`, the block's description, and the reference.
    vias: Vec<(usize, String, Located<String>)>,
    /// Labels of every role block, valid or not, with its location.
    defined: Vec<(String, Option<Location>)>,
    /// Where each valid role's `source_identity` is, by index in `roles`.
    source_identity_locs: Vec<(usize, Option<Location>)>,
}

/// The `role` blocks; every label written goes into `known.roles`.
pub(super) fn validate(
    v: &mut Validator,
    body: &RawBody,
    defaults: &Defaults,
    known: &mut Known,
) -> Roles {
    let mut out = Roles::default();
    // Labels of role blocks with the wrong number of labels: also not
    // reported again where they are used.
    let mut mislabelled: Vec<String> = Vec::new();
    for b in body.blocks.iter().filter(|b| b.ident == "role") {
        if v.labels(None, b, 1, "NAME") {
            role(v, b, known, &mut out);
        } else {
            mislabelled.extend(b.labels.first().cloned());
        }
    }
    known.roles = out.defined.iter().map(|(l, _)| l.clone()).collect();
    for r in mislabelled {
        if !known.roles.contains(&r) {
            known.roles.push(r);
        }
    }
    vias(v, &mut out, defaults, known);
    cycles(v, &out);
    chained_source_identities(v, &out);
    out
}

/// `source_identity`, a template checked for every account of the role:
/// its fixed parts must fit STS's 64 characters (a value cut short would
/// not be the one the trust policy admits).
fn source_identity(
    v: &mut Validator,
    f: &Fields,
    name: Option<&RoleName>,
    accounts: &[AccountName],
) -> Option<SourceIdentityTemplate> {
    let raw = v.string(f, "source_identity")?;
    let t: SourceIdentityTemplate = v.parse_located(f, "source_identity", &raw)?;
    let name = name?;
    for a in accounts {
        if let Err(e) = t.check_fits(name.as_str(), a.as_str()) {
            v.invalid(f, "source_identity", raw.loc, e);
            return None;
        }
    }
    Some(t)
}

/// One `role` block with the right labels.
fn role(v: &mut Validator, b: &RawBlock, known: &Known, out: &mut Roles) {
    let desc = b.describe();
    let f = Fields {
        desc: Some(desc.clone()),
        body: &b.body,
    };
    v.schema(Some(&desc), &b.body, ATTRS, BLOCKS);
    let errors_before = v.errors.len();
    let name = v.label(b, &desc, b.labels[0].parse::<RoleName>());
    let first = out.defined.iter().find(|(r, _)| *r == b.labels[0]);
    let hint = "to have the role in several accounts, list them in one block: `accounts = [\"qa\", \"production\"]`";
    if v.defined_twice(b, &desc, first.map(|(_, loc)| *loc), hint) {
        return;
    }
    out.defined.push((b.labels[0].clone(), b.loc));
    let role_accounts = accounts(v, &f, b, known);
    let path = v.parse(&f, "path").unwrap_or_default();
    let external_id = v.parse(&f, "external_id");
    let session_name = v.parse(&f, "session_name");
    let duration = v.parse(&f, "duration");
    let source_identity = source_identity(v, &f, name.as_ref(), &role_accounts);
    let mfa_serial = v.parse(&f, "mfa_serial");
    let via = v.string(&f, "via");
    let permissions = v.permissions(&f);
    let mut trust = v
        .at_most_one(Some(&desc), &b.body, "trust", "merge them into one")
        .and_then(|t| v.trust(&desc, t));
    if let Some(attr) = first_permission_attr(&f) {
        out.permission_attrs.push((b.labels[0].clone(), attr));
    }
    let tags = tags(v, &f, b);
    let default_tags = v.default_tags(&f, b.loc);
    let module_roles = v.bool(&f, "module_roles").unwrap_or(false);
    if let (Some(name), true) = (name, v.errors.len() == errors_before) {
        out.roles.push(Role {
            name,
            accounts: role_accounts,
            path,
            external_id,
            session_name,
            duration,
            tags,
            source_identity,
            via: None,
            mfa_serial,
            permissions,
            trust: trust.as_ref().map(|t| t.trust.clone()),
            default_tags,
            module_roles,
        });
        out.locs.push(b.loc);
        if let Some(a) = f.attr("source_identity") {
            out.source_identity_locs
                .push((out.roles.len() - 1, a.value.loc));
        }
        if let Some(via) = via {
            out.vias.push((out.roles.len() - 1, desc.clone(), via));
        }
        if let Some(t) = trust.take() {
            out.pending_trust.push((Some(out.roles.len() - 1), t));
        }
    }
    // A role in error still has its trust entries checked.
    if let Some(t) = trust {
        out.pending_trust.push((None, t));
    }
}

/// `account` or `accounts`: the accounts the role exists in.
fn accounts(v: &mut Validator, f: &Fields, b: &RawBlock, known: &Known) -> Vec<AccountName> {
    let desc = f.desc.clone().unwrap_or_default();
    let mut role_accounts = Vec::new();
    match (f.attr("account"), f.attr("accounts")) {
        (Some(a), Some(_)) => v.push(a.name.loc, Some(&desc), None, "sets both `account` and `accounts`".into(), Some("one of them: `account = \"NAME\"` or `accounts = [\"NAME\", ...]`".into()), None),
        (None, None) => v.missing(b.loc, &desc, "account", "`account = \"NAME\"`, or `accounts = [\"NAME\", ...]` for one role of this name in each account"),
        (Some(_), None) => {
            if let Some(r) = v.string(f, "account")
                && let Some(n) = v.account_ref(f, "account", &r, known)
            {
                role_accounts.push(n);
            }
        }
        (None, Some(a)) => {
            if let Some(list) = v.string_list(f, "accounts") {
                if list.is_empty() {
                    v.push(a.value.loc, Some(&desc), Some("accounts"), "is empty".into(), Some("at least one account name".into()), None);
                }
                for r in &list {
                    if let Some(n) = v.account_ref(f, "accounts", r, known) {
                        if role_accounts.contains(&n) {
                            v.push(r.loc, Some(&desc), Some("accounts"), format!("lists `{n}` twice"), None, None);
                        } else {
                            role_accounts.push(n);
                        }
                    }
                }
            }
        }
    }
    role_accounts
}

/// `tags`, pointing at the tag at fault when they break STS's rules.
fn tags(v: &mut Validator, f: &Fields, b: &RawBlock) -> SessionTags {
    match v.string_map(f, "tags") {
        Some(located) => {
            let t: Vec<(String, String)> = located
                .iter()
                .map(|(k, v)| (k.value.clone(), v.clone()))
                .collect();
            match SessionTags::new(t.clone()) {
                Ok(t) => t,
                Err(e) => {
                    // Point at the tag at fault: the shortest list that
                    // fails the same way ends with it. (Too many tags is
                    // the whole map's fault: no shorter list says "N tags".)
                    let culprit = (1..t.len())
                        .chain((t.len() <= 50).then_some(t.len()))
                        .find(|&n| SessionTags::new(t[..n].to_vec()).err().as_ref() == Some(&e));
                    let loc = culprit
                        .and_then(|n| located[n - 1].0.loc)
                        .or_else(|| f.attr("tags").and_then(|a| a.value.loc))
                        .or(b.loc);
                    v.invalid(f, "tags", loc, e);
                    SessionTags::default()
                }
            }
        }
        None => SessionTags::default(),
    }
}

/// Resolves `via` once every role is known: another role, reachable from
/// each of this role's accounts, for a session of at most an hour.
fn vias(v: &mut Validator, out: &mut Roles, defaults: &Defaults, known: &Known) {
    let roles = &mut out.roles;
    let role_names = known.role_names();
    for (i, desc, via) in &out.vias {
        let f = Fields {
            desc: Some(desc.clone()),
            body: &RawBody::default(),
        };
        let Some(name) = v.reference(&f, "via", via, "role", &role_names) else {
            continue;
        };
        let Some(first) = roles.iter().find(|r| r.name.as_str() == name) else {
            continue;
        };
        if first.name == roles[*i].name {
            v.push(
                via.loc,
                Some(desc),
                Some("via"),
                "names the role itself".into(),
                Some("another role, assumed first".into()),
                None,
            );
            continue;
        }
        let unresolved: Vec<&str> = roles[*i]
            .accounts
            .iter()
            .filter(|a| via_account(first, a).is_none())
            .map(|a| a.as_str())
            .collect();
        if !unresolved.is_empty() {
            v.push(via.loc, Some(desc), Some("via"), format!("role `{name}` exists in several accounts and not in {}, so it is unclear which to assume first", list(&unresolved)), Some("a `via` role in the same account, or in exactly one account".into()), Some(format!("give `{name}` the account(s) {}, or chain through a role that lives in one hub account", list(&unresolved))));
            continue;
        }
        let duration = roles[*i].duration.unwrap_or(defaults.duration);
        if duration > Duration::ONE_HOUR {
            v.push(via.loc, Some(desc), Some("via"), format!("a session assumed with another role's session (role chaining) lasts at most 1h, and this role asks for {duration}"), Some("`duration = \"1h\"` or less on a role with `via`".into()), Some("AWS caps chained sessions at one hour; set `duration` on this role".into()));
            continue;
        }
        roles[*i].via = Some(first.name.clone());
    }
}

/// A source identity is set once in a chain of sessions and never
/// changed (AWS keeps it on every session chained from the one that set
/// it): a role assumed `via` a role that sets one may not set its own.
fn chained_source_identities(v: &mut Validator, out: &Roles) {
    let roles = &out.roles;
    for (i, loc) in &out.source_identity_locs {
        let r = &roles[*i];
        let mut seen = vec![r.name.clone()];
        let mut next = r.via.clone();
        while let Some(n) = next {
            if seen.contains(&n) {
                break;
            }
            let Some(hop) = roles.iter().find(|x| x.name == n) else {
                break;
            };
            if hop.source_identity.is_some() {
                v.push(
                    *loc,
                    Some(&format!("role {:?}", r.name.as_str())),
                    Some("source_identity"),
                    format!(
                        "is set, and so is `source_identity` of role `{n}` it is assumed `via`: AWS keeps the first session's source identity on every session chained from it, and refuses another"
                    ),
                    Some("a `source_identity` on one role of a `via` chain".into()),
                    Some(format!(
                        "keep it on `{n}` (the sessions of `{}` carry its value), or take it off `{n}`",
                        r.name
                    )),
                );
                break;
            }
            seen.push(n.clone());
            next = hop.via.clone();
        }
    }
}

/// A chain that comes back to itself would never end.
fn cycles(v: &mut Validator, out: &Roles) {
    let (roles, vias) = (&out.roles, &out.vias);
    for r in roles {
        let mut seen = vec![r.name.clone()];
        let mut next = r.via.clone();
        while let Some(n) = next {
            if seen.contains(&n) {
                let loc = vias
                    .iter()
                    .find(|(i, ..)| roles[*i].name == r.name)
                    .and_then(|(_, _, l)| l.loc);
                let chain: Vec<String> = seen.iter().map(|x| format!("`{x}`")).collect();
                v.push(
                    loc,
                    Some(&format!("role {:?}", r.name.as_str())),
                    Some("via"),
                    format!(
                        "the chain {} -> `{n}` comes back to itself",
                        chain.join(" -> ")
                    ),
                    Some("a chain that ends in a role without `via`".into()),
                    None,
                );
                break;
            }
            seen.push(n.clone());
            next = roles
                .iter()
                .find(|x| x.name == n)
                .and_then(|x| x.via.clone());
        }
    }
}

impl Validator<'_> {
    /// Reports `role` when it is a valid role that does not exist in `account`.
    pub(super) fn role_in_account(
        &mut self,
        roles: &[Role],
        f: &Fields,
        attr: &str,
        loc: Option<Location>,
        role: &str,
        account: &str,
    ) {
        if let Some(r) = roles.iter().find(|r| r.name.as_str() == role)
            && !r.accounts.iter().any(|a| a.as_str() == account)
        {
            let have = list(&r.accounts.iter().map(|a| a.as_str()).collect::<Vec<_>>());
            self.push(loc, f.desc.as_deref(), Some(attr), format!("role `{role}` does not exist in account `{account}`"), Some(format!("role `{role}` exists in {have}")), Some(format!("add \"{account}\" to `accounts` in `role \"{role}\"`, or use a role defined in `{account}`")));
        }
    }
}
