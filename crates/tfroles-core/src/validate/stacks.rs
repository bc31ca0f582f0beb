//! `stack` blocks, with their aliased `provider` and `workspace` blocks.

use std::collections::BTreeMap;

use super::{Fields, Known, Validator, first_on};
use crate::error::{Location, did_you_mean, list};
use crate::model::{Defaults, ProviderSpec, Role, StackSpec, WorkspaceSpec};
use crate::raw::{RawBlock, RawBody};
use crate::stacks::StackPattern;
use crate::types::{AccountId, AccountName, ProviderAlias, Region, WorkspaceName};

const ATTRS: &[&str] = &[
    "account",
    "role",
    "region",
    "allowed_account_ids",
    "default_tags",
    "module_roles",
];
const BLOCKS: &[&str] = &["provider", "workspace"];
const PROVIDER_ATTRS: &[&str] = &["region", "account", "role", "default_tags"];
const WORKSPACE_ATTRS: &[&str] = &["account", "role", "region", "allowed_account_ids"];

/// The account and role a provider works with in one workspace (or in a
/// stack without workspaces), where known; `None` where the block that
/// sets it is in error.
type Pair<'a> = (Option<&'a AccountName>, Option<&'a String>, Option<&'a str>);

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
    let pattern = v.label(b, &desc, StackPattern::new(&b.labels[0]));
    let first = labels.get(&b.labels[0]).copied();
    if !v.defined_twice(b, &desc, first, "merge the two blocks") {
        labels.insert(b.labels[0].clone(), b.loc);
    }
    let has_workspaces = b.body.blocks.iter().any(|w| w.ident == "workspace");
    let (account, role) = account_and_role(v, &f, b, known, roles, !has_workspaces);
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
    let default_tags = v.default_tags(&f, b.loc);
    let stack_pair = (account.as_ref(), role.as_ref(), None);
    let (workspaces, pairs) = workspaces(v, &desc, b, stack_pair, known, roles);
    // What the aliases inherit: the stack's pair, or each workspace's.
    let targets: Vec<Pair> = if has_workspaces {
        pairs
            .iter()
            .map(|(a, r, w)| (a.as_ref(), r.as_ref(), Some(w.as_str())))
            .collect()
    } else {
        vec![stack_pair]
    };
    let providers = providers(v, &desc, b, &targets, known, roles);
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
            default_tags,
            workspaces,
            module_roles,
            loc: b.loc,
        });
    }
    None
}

/// What a workspace works with, for the checks of the aliases: the account
/// and role it names or inherits, and its label.
type WorkspacePair = (Option<AccountName>, Option<String>, String);

/// The stack's `workspace` blocks: the valid ones, and what each workspace
/// whose block is valid works with.
fn workspaces(
    v: &mut Validator,
    desc: &str,
    b: &RawBlock,
    stack: Pair,
    known: &Known,
    roles: &[Role],
) -> (Vec<WorkspaceSpec>, Vec<WorkspacePair>) {
    let mut workspaces: Vec<WorkspaceSpec> = Vec::new();
    // Every workspace label, valid block or not, with where it is first.
    let mut seen: Vec<(String, Option<Location>)> = Vec::new();
    let mut pairs: Vec<WorkspacePair> = Vec::new();
    for w in b.body.blocks.iter().filter(|w| w.ident == "workspace") {
        if !v.labels(Some(desc), w, 1, "NAME") {
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(l, _)| *l == w.labels[0]) {
            v.push(
                w.loc,
                Some(&format!("{desc} > {}", w.describe())),
                None,
                format!(
                    "workspace `{}` is listed twice in this stack{}",
                    w.labels[0],
                    first_on(*first)
                ),
                None,
                Some("merge the two blocks".into()),
            );
            continue;
        }
        seen.push((w.labels[0].clone(), w.loc));
        if let Some(pair) = workspace(v, desc, w, stack, known, roles, &mut workspaces) {
            pairs.push(pair);
        }
    }
    (workspaces, pairs)
}

/// One `workspace` block of a stack with the right labels: pushed onto
/// `workspaces` when valid; returns the account and role it works with
/// (its own, else the stack's) and its label, for the aliases' checks.
fn workspace(
    v: &mut Validator,
    desc: &str,
    w: &RawBlock,
    (stack_account, stack_role, _): Pair,
    known: &Known,
    roles: &[Role],
    workspaces: &mut Vec<WorkspaceSpec>,
) -> Option<WorkspacePair> {
    let wdesc = format!("{desc} > {}", w.describe());
    let wf = Fields {
        desc: Some(wdesc.clone()),
        body: &w.body,
    };
    v.schema(Some(&wdesc), &w.body, WORKSPACE_ATTRS, &[]);
    let errors_before = v.errors.len();
    let name = v.label(w, &wdesc, w.labels[0].parse::<WorkspaceName>());
    let region = v.parse(&wf, "region");
    let waccount = v
        .string(&wf, "account")
        .and_then(|r| v.account_ref(&wf, "account", &r, known));
    let wrole_ref = v.string(&wf, "role");
    let wrole = wrole_ref
        .as_ref()
        .and_then(|r| v.role_ref(&wf, "role", r, known));
    let eff_account = waccount.clone().or(stack_account.cloned());
    let eff_role = wrole.clone().or(stack_role.cloned());
    if let (Some(a), Some(r)) = (&eff_account, &eff_role) {
        let (attr, loc) = match (&wrole_ref, wf.attr("account")) {
            (Some(rr), _) => ("role", rr.loc),
            (None, Some(a)) => ("account", a.value.loc),
            (None, None) => ("role", w.loc),
        };
        v.role_in_account(roles, &wf, attr, loc, r, a.as_str());
    }
    let allowed_account_ids = allowed_account_ids(v, &wf, known);
    if let (Some(name), true) = (name, v.errors.len() == errors_before) {
        let label = name.to_string();
        workspaces.push(WorkspaceSpec {
            name,
            account: waccount,
            role: wrole.and_then(|r| r.parse().ok()),
            region,
            allowed_account_ids,
            loc: w.loc,
        });
        return Some((eff_account, eff_role, label));
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
    check_pair: bool,
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
    // With workspaces, each workspace checks the pair it works with.
    if check_pair && let (Some(a), Some(r), Some(rr)) = (&account, &role, &role_ref) {
        v.role_in_account(roles, f, "role", rr.loc, r, a.as_str());
    }
    (account, role)
}

/// The alias inherits what it does not set (`own`, from `targets`); the
/// role must exist in whichever account the alias ends up in, in every
/// workspace (once per account and role).
fn roles_in_accounts(
    v: &mut Validator,
    pdesc: &str,
    p: &RawBlock,
    (own_account, own_role): (Option<&AccountName>, Option<&String>),
    targets: &[Pair],
    (attr, loc): (&str, Option<Location>),
    roles: &[Role],
) {
    let mut checked: Vec<(AccountName, String)> = Vec::new();
    for (stack_account, stack_role, workspace) in targets {
        let eff_account = own_account.or(*stack_account).cloned();
        let eff_role = own_role.or(*stack_role).cloned();
        let (Some(a), Some(r)) = (eff_account, eff_role) else {
            continue;
        };
        if checked.contains(&(a.clone(), r.clone())) {
            continue;
        }
        let wf = Fields {
            desc: Some(match workspace {
                Some(w) => format!("{pdesc} (in workspace \"{w}\")"),
                None => pdesc.to_owned(),
            }),
            body: &p.body,
        };
        v.role_in_account(roles, &wf, attr, loc, &r, a.as_str());
        checked.push((a, r));
    }
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

/// The stack's valid `provider` blocks, in the order written.
fn providers(
    v: &mut Validator,
    desc: &str,
    b: &RawBlock,
    targets: &[Pair],
    known: &Known,
    roles: &[Role],
) -> Vec<ProviderSpec> {
    let mut providers = Vec::new();
    for p in b.body.blocks.iter().filter(|p| p.ident == "provider") {
        if v.labels(Some(desc), p, 1, "ALIAS") {
            provider(v, desc, p, targets, known, roles, &mut providers);
        }
    }
    providers.into_iter().map(|(p, _)| p).collect()
}

/// One `provider` block of a stack with the right labels; `targets` are
/// the account and role the provider inherits, the stack's or each
/// workspace's, and `providers` the valid ones before it, with where each is.
fn provider(
    v: &mut Validator,
    desc: &str,
    p: &RawBlock,
    targets: &[Pair],
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
    let alias = v.label(p, &pdesc, p.labels[0].parse::<ProviderAlias>());
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
    // Where an error about the pair the alias ends up with points.
    let (attr, loc) = match &prole_ref {
        Some(rr) => ("role", rr.loc),
        None => (
            "account",
            pf.attr("account").map(|a| a.value.loc).unwrap_or(p.loc),
        ),
    };
    let own = (paccount.as_ref(), prole.as_ref());
    roles_in_accounts(v, &pdesc, p, own, targets, (attr, loc), roles);
    let default_tags = v.default_tags(&pf, p.loc);
    if let Some(alias) = alias {
        let spec = ProviderSpec {
            alias,
            region,
            account: paccount,
            // None only when the role's own block is in error.
            role: prole.and_then(|r| r.parse().ok()),
            default_tags,
        };
        providers.push((spec, p.loc));
    }
}
