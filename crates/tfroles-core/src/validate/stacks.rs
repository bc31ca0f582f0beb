//! `stack` blocks, with their aliased `provider` blocks.

use std::collections::BTreeMap;

use super::{Fields, Known, Validator, first_on};
use crate::error::{Location, did_you_mean, list};
use crate::model::{Defaults, ProviderSpec, Role, StackSpec};
use crate::raw::{RawBlock, RawBody};
use crate::stacks::StackPattern;
use crate::types::{AccountId, AccountName, ProviderAlias, Region};

const ATTRS: &[&str] = &[
    "account",
    "role",
    "region",
    "allowed_account_ids",
    "module_roles",
];
const BLOCKS: &[&str] = &["provider"];
const PROVIDER_ATTRS: &[&str] = &["region", "account", "role"];

/// The valid `stack` blocks, in the order written.
pub(super) fn validate(
    v: &mut Validator,
    body: &RawBody,
    defaults: &Defaults,
    known: &Known,
    roles: &[Role],
) -> Vec<StackSpec> {
    let mut stacks = Vec::new();
    // Every label seen, valid block or not, with where it was first.
    let mut labels: BTreeMap<String, Option<Location>> = BTreeMap::new();
    for b in body.blocks.iter().filter(|b| b.ident == "stack") {
        if v.labels(None, b, 1, "PATH")
            && let Some(st) = stack(v, b, defaults, known, roles, &mut labels)
        {
            stacks.push(st);
        }
    }
    stacks
}

/// One `stack` block with the right labels, if it is valid.
fn stack(
    v: &mut Validator,
    b: &RawBlock,
    defaults: &Defaults,
    known: &Known,
    roles: &[Role],
    labels: &mut BTreeMap<String, Option<Location>>,
) -> Option<StackSpec> {
    let desc = b.describe();
    let f = Fields {
        desc: Some(desc.clone()),
        body: &b.body,
    };
    v.schema(Some(&desc), &b.body, ATTRS, BLOCKS);
    let errors_before = v.errors.len();
    let pattern = match StackPattern::new(&b.labels[0]) {
        Ok(p) => Some(p),
        Err(e) => {
            v.push(b.loc, Some(&desc), None, e.message, Some(e.allowed), e.hint);
            None
        }
    };
    let first = labels.get(&b.labels[0]).copied();
    if !v.defined_twice(b, &desc, first, "merge the two blocks") {
        labels.insert(b.labels[0].clone(), b.loc);
    }
    let (account, role) = account_and_role(v, &f, b, known, roles);
    let region: Option<Region> = v.parse(&f, "region");
    if f.attr("region").is_none() && defaults.region.is_none() && !known.defaults_region {
        v.missing(
            b.loc,
            &desc,
            "region",
            "`region = \"us-east-1\"` here, or `region` in `defaults`",
        );
    }
    let allowed_account_ids = allowed_account_ids(v, &f, known);
    let module_roles = v.bool(&f, "module_roles").unwrap_or(false);
    let mut providers = Vec::new();
    for p in b.body.blocks.iter().filter(|p| p.ident == "provider") {
        if v.labels(Some(&desc), p, 1, "ALIAS") {
            let stack = (account.as_ref(), role.as_ref());
            provider(v, &desc, p, stack, known, roles, &mut providers);
        }
    }
    let providers = providers.into_iter().map(|(p, _)| p).collect();
    if let (Some(pattern), Some(account), Some(role), true) = (
        pattern,
        account,
        role.and_then(|r| r.parse().ok()),
        v.errors.len() == errors_before,
    ) {
        return Some(StackSpec {
            pattern,
            account,
            role,
            region,
            allowed_account_ids,
            providers,
            module_roles,
            loc: b.loc,
        });
    }
    None
}

/// The stack's `account` and `role`, which must be there, and the role
/// must exist in the account.
fn account_and_role(
    v: &mut Validator,
    f: &Fields,
    b: &RawBlock,
    known: &Known,
    roles: &[Role],
) -> (Option<AccountName>, Option<String>) {
    let desc = f.desc.clone().unwrap_or_default();
    for req in ["account", "role"] {
        if f.attr(req).is_none() {
            v.missing(
                b.loc,
                &desc,
                req,
                if req == "account" {
                    "the account the stack's default provider works in"
                } else {
                    "the role the stack's default provider assumes"
                },
            );
        }
    }
    let account = v
        .string(f, "account")
        .and_then(|r| v.account_ref(f, "account", &r, known));
    let role_ref = v.string(f, "role");
    let role = role_ref
        .as_ref()
        .and_then(|r| v.role_ref(f, "role", r, known));
    if let (Some(a), Some(r), Some(rr)) = (&account, &role, &role_ref) {
        v.role_in_account(roles, f, "role", rr.loc, r, a.as_str());
    }
    (account, role)
}

/// `allowed_account_ids`: account names or ids, as ids.
fn allowed_account_ids(v: &mut Validator, f: &Fields, known: &Known) -> Option<Vec<AccountId>> {
    let account_names = known.account_names();
    v.string_list(f, "allowed_account_ids").map(|ids| {
        ids.iter()
            .filter_map(|r| {
                if let Some(a) = known.accounts.iter().find(|a| a.name.as_str() == r.value) {
                    Some(a.id.clone())
                } else if let Ok(id) = r.value.parse::<AccountId>() {
                    Some(id)
                } else if known.broken_accounts.contains(&r.value) {
                    None
                } else {
                    let hint = did_you_mean(&r.value, &account_names);
                    v.push(
                        r.loc,
                        f.desc.as_deref(),
                        Some("allowed_account_ids"),
                        format!(
                            "{:?} is neither an account name nor a 12-digit account id",
                            r.value
                        ),
                        Some(format!(
                            "account names ({}) or 12-digit ids",
                            list(&account_names)
                        )),
                        hint,
                    );
                    None
                }
            })
            .collect::<Vec<_>>()
    })
}

/// One `provider` block of a stack with the right labels; `stack` is the
/// stack's account and role, which the provider inherits, and `providers`
/// the valid ones before it, with where each is.
fn provider(
    v: &mut Validator,
    desc: &str,
    p: &RawBlock,
    (stack_account, stack_role): (Option<&AccountName>, Option<&String>),
    known: &Known,
    roles: &[Role],
    providers: &mut Vec<(ProviderSpec, Option<Location>)>,
) {
    let pdesc = format!("{desc} > {}", p.describe());
    let pf = Fields {
        desc: Some(pdesc.clone()),
        body: &p.body,
    };
    v.schema(Some(&pdesc), &p.body, PROVIDER_ATTRS, &[]);
    let alias = match p.labels[0].parse::<ProviderAlias>() {
        Ok(a) => Some(a),
        Err(e) => {
            v.push(
                p.loc,
                Some(&pdesc),
                None,
                e.message,
                Some(e.allowed),
                e.hint,
            );
            None
        }
    };
    if let Some(alias) = &alias
        && let Some((_, first)) = providers.iter().find(|(q, _)| &q.alias == alias)
    {
        v.push(
            p.loc,
            Some(&pdesc),
            None,
            format!(
                "provider alias `{alias}` is used twice in this stack{}",
                first_on(*first)
            ),
            None,
            Some("give each provider block its own alias".into()),
        );
        return;
    }
    let region = v.parse(&pf, "region");
    let paccount = pf
        .attr("account")
        .and_then(|_| v.string(&pf, "account"))
        .and_then(|r| v.account_ref(&pf, "account", &r, known));
    let prole_ref = v.string(&pf, "role");
    let prole = prole_ref
        .as_ref()
        .and_then(|r| v.role_ref(&pf, "role", r, known));
    // The alias inherits what it does not set; the role must exist in
    // whichever account the alias ends up in.
    let eff_account = paccount.clone().or(stack_account.cloned());
    let eff_role = prole.clone().or(stack_role.cloned());
    if let (Some(a), Some(r)) = (&eff_account, &eff_role) {
        let (attr, loc) = match &prole_ref {
            Some(rr) => ("role", rr.loc),
            None => (
                "account",
                pf.attr("account").map(|a| a.value.loc).unwrap_or(p.loc),
            ),
        };
        v.role_in_account(roles, &pf, attr, loc, r, a.as_str());
    }
    if let Some(alias) = alias {
        let spec = ProviderSpec {
            alias,
            region,
            account: paccount,
            // None only when the role's own block is in error.
            role: prole.and_then(|r| r.parse().ok()),
        };
        providers.push((spec, p.loc));
    }
}
