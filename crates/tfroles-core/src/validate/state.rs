//! The `state` block: terraform's s3 backend, and the role it assumes.

use super::roles::Roles;
use super::{Fields, Known, Validator};
use crate::model::{Defaults, State};
use crate::raw::{RawBlock, RawBody};
use crate::types::{AccountName, BucketName, Region};

const ATTRS: &[&str] = &[
    "account",
    "bucket",
    "region",
    "role",
    "key_prefix",
    "use_lockfile",
    "dynamodb_table",
    "encrypt",
    "kms_key_id",
    "workspace_key_prefix",
    "role_per_stack",
    "list_scope",
];

/// The one `state` block, which must be there.
pub(super) fn validate(
    v: &mut Validator,
    body: &RawBody,
    defaults: &Defaults,
    known: &Known,
    roles: &Roles,
) -> Option<State> {
    let hint = "all stacks share one state backend; merge them";
    match v.at_most_one(None, body, "state", hint) {
        None => {
            v.push(
                None,
                None,
                None,
                "there is no `state` block".into(),
                Some("one `state { account = ..., bucket = ..., role = ... }` block".into()),
                Some(
                    "it describes the S3 bucket holding terraform state; see docs/config.md".into(),
                ),
            );
            None
        }
        Some(b) if v.labels(None, b, 0, "") => block(v, b, defaults, known, roles),
        Some(_) => None,
    }
}

/// The `state` block with the right labels.
fn block(
    v: &mut Validator,
    b: &RawBlock,
    defaults: &Defaults,
    known: &Known,
    roles: &Roles,
) -> Option<State> {
    let desc = "state".to_owned();
    let f = Fields {
        desc: Some(desc.clone()),
        body: &b.body,
    };
    v.schema(Some(&desc), &b.body, ATTRS, &[]);
    let (account, role) = account_and_role(v, &f, b, known, roles);
    let bucket: Option<BucketName> = v.parse(&f, "bucket");
    let region = region(v, &f, b, defaults, known);
    let key_prefix = v.parse(&f, "key_prefix");
    let workspace_key_prefix = v.parse(&f, "workspace_key_prefix");
    let role_per_stack = v.bool(&f, "role_per_stack").unwrap_or(false);
    let list_scope = v.parse(&f, "list_scope").unwrap_or_default();
    if let Some(r) = &role {
        no_permission_attributes(v, r, roles);
    }
    let use_lockfile = v.bool(&f, "use_lockfile").unwrap_or(true);
    let encrypt = v.bool(&f, "encrypt").unwrap_or(true);
    let dynamodb_table = v.parse(&f, "dynamodb_table");
    let kms_key_id = v.parse(&f, "kms_key_id");
    if !use_lockfile {
        locking_kept(v, &f);
    }
    // A role whose label is not a valid name still resolves (its
    // block reports that), but has no RoleName to use here.
    if let (Some(account), Some(bucket), Some(region), Some(role)) =
        (account, bucket, region, role.and_then(|r| r.parse().ok()))
    {
        return Some(State {
            account,
            bucket,
            region,
            role,
            key_prefix,
            use_lockfile,
            dynamodb_table,
            encrypt,
            kms_key_id,
            workspace_key_prefix,
            role_per_stack,
            list_scope,
        });
    }
    None
}

/// The required `account`, `bucket` and `role`; the account and role as
/// references, and the role in that account.
fn account_and_role(
    v: &mut Validator,
    f: &Fields,
    b: &RawBlock,
    known: &Known,
    roles: &Roles,
) -> (Option<AccountName>, Option<String>) {
    for req in ["account", "bucket", "role"] {
        if f.attr(req).is_none() {
            v.missing(b.loc, "state", req, match req {
                "account" => "the name of the account holding the bucket",
                "bucket" => "the S3 bucket holding terraform state",
                _ => "the name of the role the backend assumes (a role that can only read and write state)",
            });
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
        v.role_in_account(&roles.roles, f, "role", rr.loc, r, a.as_str());
    }
    (account, role)
}

/// The bucket's region: the block's, else the defaults'.
fn region(
    v: &mut Validator,
    f: &Fields,
    b: &RawBlock,
    defaults: &Defaults,
    known: &Known,
) -> Option<Region> {
    let region = v.parse::<Region>(f, "region").or(defaults.region.clone());
    if region.is_none() && f.attr("region").is_none() && !known.defaults_region {
        v.missing(
            b.loc,
            "state",
            "region",
            "the bucket's region, like `region = \"us-east-1\"` (or set `region` in `defaults`)",
        );
    }
    region
}

/// The state role's permissions come from the `state` block: its own
/// block may not grant any.
fn no_permission_attributes(v: &mut Validator, r: &str, roles: &Roles) {
    if let Some((_, (attr, loc))) = roles.permission_attrs.iter().find(|(n, _)| n == r) {
        v.push(*loc, Some(&format!("role {r:?}")), Some(attr), format!("role `{r}` is the state role, whose permissions come from the `state` block"), None, Some("the state role reads and writes state and nothing else; grant these to a provisioning role".into()));
    }
}

/// `use_lockfile = false` with no `dynamodb_table` leaves the state
/// unlocked. (An invalid `dynamodb_table` is reported already; not again.)
fn locking_kept(v: &mut Validator, f: &Fields) {
    if f.attr("dynamodb_table").is_none()
        && let Some(a) = f.attr("use_lockfile")
    {
        v.push(a.value.loc, Some("state"), Some("use_lockfile"), "`false` turns off state locking, as there is no `dynamodb_table`: parallel runs could corrupt the state".into(), Some("`use_lockfile = true` (the default), or a `dynamodb_table`".into()), Some("S3-native locking is GA since terraform 1.11; keep `use_lockfile = true`".into()));
    }
}
