//! The checks that need several blocks at once, after each block has been
//! checked on its own.

use std::path::Path;

use super::trust::Broad;
use super::{Known, Validator};
use crate::access::{self, Bootstrap};
use crate::error::{Diagnostic, Location};
use crate::model::{Defaults, Role, StackSpec, State};
use crate::raw::RawBody;
use crate::types::{AccountName, CredentialsMode, RoleName};

/// Where the first block of a kind is.
fn first_loc(body: &RawBody, ident: &str) -> Option<Location> {
    body.blocks
        .iter()
        .find(|b| b.ident == ident)
        .and_then(|b| b.loc)
}

/// The bootstrap stack creates the roles the other stacks use, so no stack
/// block may claim its directory.
pub(super) fn bootstrap_dir(
    v: &mut Validator,
    body: &RawBody,
    bootstrap: Option<&Bootstrap>,
    stacks: &[StackSpec],
) {
    if let Some(bs) = bootstrap
        && let Some(st) = stacks.iter().find(|st| st.pattern.matches(&bs.dir))
    {
        let loc = first_loc(body, "bootstrap");
        v.push(loc, Some("bootstrap"), Some("dir"), format!("`{}` is also matched by {}", bs.dir, st.describe()), None, Some("the bootstrap stack creates the roles the other stacks use, so it cannot be one of them; pick another directory or narrow the stack block".into()));
    }
}

/// What terraform itself cannot do, when it assumes the roles itself
/// (`credentials = "assume_role"`): chain roles for the backend, or ask
/// for MFA codes.
pub(super) fn assume_role_limits(
    v: &mut Validator,
    body: &RawBody,
    defaults: &Defaults,
    roles: &[Role],
    state: Option<&State>,
    stacks: &[StackSpec],
) {
    if defaults.credentials != CredentialsMode::AssumeRole {
        return;
    }
    let state_loc = first_loc(body, "state");
    let profile_hint = "set `credentials = \"profile\"` in `defaults`: then terraform asks `tfroles credential-process`, which chains roles and asks for MFA codes";
    let find = |name: &RoleName| roles.iter().find(|r| &r.name == name);
    if let Some(st) = state
        && let Some(r) = find(&st.role)
        && r.via.is_some()
    {
        v.push(state_loc, Some("state"), Some("role"), format!("role `{}` is assumed `via` another role, and terraform's s3 backend takes one `assume_role` only", r.name), None, Some(profile_hint.into()));
    }
    let mut used: Vec<(&RoleName, Option<Location>, String)> = Vec::new();
    if let Some(st) = state {
        used.push((&st.role, state_loc, "state".into()));
    }
    for st in stacks {
        used.push((&st.role, st.loc, st.describe()));
        for w in &st.workspaces {
            if let Some(r) = &w.role {
                used.push((r, st.loc, st.describe()));
            }
        }
        for p in &st.providers {
            if let Some(r) = &p.role {
                used.push((r, st.loc, st.describe()));
            }
        }
    }
    for (name, loc, desc) in used {
        // Every role of the chain: terraform would need a code for each.
        let mut next = find(name);
        let mut hops = 0;
        while let Some(r) = next {
            if let Some(serial) = &r.mfa_serial {
                v.push(loc, Some(&desc), Some("role"), format!("role `{}` requires MFA ({serial}), and terraform cannot ask for a code when it assumes roles itself", r.name), None, Some(profile_hint.into()));
                break;
            }
            hops += 1;
            next = r.via.as_ref().and_then(find).filter(|_| hops < roles.len());
        }
    }
}

/// Allowed accounts that leave out where a provider works would make
/// terraform refuse every run; an empty list would allow any account.
/// Checked on an otherwise valid config only: an account in error drops
/// out of the list and would be reported twice.
pub(super) fn allowed_accounts(v: &mut Validator, known: &Known, stacks: &[StackSpec]) {
    if !v.errors.is_empty() {
        return;
    }
    for st in stacks {
        for t in st.targets() {
            let Some(ids) = t.allowed_account_ids else {
                continue;
            };
            let loc = t
                .workspace
                .and_then(|w| st.workspaces.iter().find(|x| &x.name == w))
                .map_or(st.loc, |w| w.loc);
            let (block, within) = match t.workspace {
                Some(w) => (
                    format!("{} > workspace \"{w}\"", st.describe()),
                    format!(" in workspace `{w}`"),
                ),
                None => (st.describe(), String::new()),
            };
            if ids.is_empty() {
                v.push(
                    loc,
                    Some(&block),
                    Some("allowed_account_ids"),
                    "is empty, which would let the providers run against any account".into(),
                    Some("account names or ids, including the stack's own".into()),
                    Some("leave it out to allow just the stack's account".into()),
                );
                continue;
            }
            let mut needed: Vec<(&AccountName, String)> =
                vec![(t.account, format!("the default provider{within}"))];
            for p in &st.providers {
                needed.push((
                    p.account.as_ref().unwrap_or(t.account),
                    format!("provider `aws.{}`{within}", p.alias),
                ));
            }
            for (acct, who) in needed {
                if let Some(a) = known.accounts.iter().find(|a| &a.name == acct)
                    && !ids.contains(&a.id)
                {
                    v.push(
                        loc,
                        Some(&block),
                        Some("allowed_account_ids"),
                        format!(
                            "leaves out account `{}` ({}), where {who} works",
                            a.name, a.id
                        ),
                        None,
                        Some(format!("add \"{}\" to `allowed_account_ids`", a.name)),
                    );
                }
            }
        }
    }
}

/// Trust that admits every branch, tag or workspace to a role that can
/// write: allowed, but probably not meant.
pub(super) fn warnings(
    file: &Path,
    roles: &[Role],
    state: &State,
    broad_trust: Vec<(usize, Broad)>,
) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for (i, (loc, desc, what)) in broad_trust {
        let r = &roles[i];
        if r.name == state.role || !access::can_write(&r.permissions) {
            continue;
        }
        warnings.push(Diagnostic {
            file: file.to_path_buf(),
            location: loc,
            block: Some(desc.clone()),
            attribute: None,
            message: format!(
                "lets {what} assume role `{}`, which can write",
                r.name
            ),
            allowed: None,
            hint: Some(format!(
                "{}; trust the rest with a role that only reads",
                if desc.ends_with("> github") {
                    "name the environment that deploys (`environment = \"production\"`, with protection rules) or its branch"
                } else if desc.ends_with("> gitlab") {
                    "name the branch or tag that deploys (`ref = \"main\"`, protected)"
                } else {
                    "name the workspaces that deploy (`workspace = \"prod-*\"`)"
                }
            )),
        });
    }
    warnings.sort_by_key(|d| d.location);
    warnings
}
