//! `identity` blocks: where credentials start, a CI token or an IAM
//! principal.

use super::{Fields, Known, Validator};
use crate::model::{Identity, IdentityKind};
use crate::raw::{Located, RawBlock, RawBody};
use crate::types::{PrincipalArn, WebIdentitySource};

const ATTRS: &[&str] = &["web_identity", "audience", "arn"];

/// The valid `identity` blocks; every label written goes into
/// `known.identities`, so a duplicate of an invalid block is still a
/// duplicate.
pub(super) fn validate(v: &mut Validator, body: &RawBody, known: &mut Known) -> Vec<Identity> {
    let mut identities = Vec::new();
    for b in body.blocks.iter().filter(|b| b.ident == "identity") {
        if v.labels(None, b, 1, "NAME")
            && let Some(id) = identity(v, b, known)
        {
            identities.push(id);
        }
    }
    identities
}

/// One `identity` block with the right labels, if it is valid.
fn identity(v: &mut Validator, b: &RawBlock, known: &mut Known) -> Option<Identity> {
    let desc = b.describe();
    let f = Fields {
        desc: Some(desc.clone()),
        body: &b.body,
    };
    v.schema(Some(&desc), &b.body, ATTRS, &[]);
    let first = known.identities.iter().find(|(l, _)| *l == b.labels[0]);
    let hint = "identity names must be unique; remove or rename one";
    if v.defined_twice(b, &desc, first.map(|(_, loc)| *loc), hint) {
        return None;
    }
    known.identities.push((b.labels[0].clone(), b.loc));
    let audience = v.string(&f, "audience");
    match (f.attr("web_identity"), f.attr("arn")) {
        (Some(w), Some(_)) => {
            v.push(w.name.loc, Some(&desc), None, "sets both `web_identity` and `arn`".into(), Some("one of them: `web_identity` for a CI token, `arn` for an IAM user or role people or CI start from".into()), Some("make two identity blocks".into()));
            None
        }
        (None, None) => {
            v.missing(b.loc, &desc, "web_identity` or `arn", "`web_identity` for a CI token (`github`, `terraform-cloud`, `env:VAR` or `file:PATH`), or `arn` for an IAM user or role people or CI start from");
            None
        }
        (None, Some(_)) => base(v, &f, b, audience),
        (Some(_), None) => web(v, &f, b, audience),
    }
}

/// An identity with an `arn`: an IAM user or role.
fn base(
    v: &mut Validator,
    f: &Fields,
    b: &RawBlock,
    audience: Option<Located<String>>,
) -> Option<Identity> {
    let desc = f.desc.as_deref();
    if let Some(a) = &audience {
        v.push(
            a.loc,
            desc,
            Some("audience"),
            "applies only to `web_identity = \"github\"`".into(),
            None,
            None,
        );
    }
    let arn = v.string(f, "arn")?;
    if let Ok(principal) = arn.value.parse::<PrincipalArn>()
        && !principal.is_root()
    {
        return Some(Identity {
            name: b.labels[0].clone(),
            kind: IdentityKind::Base(principal),
        });
    }
    v.push(arn.loc, desc, Some("arn"), format!("{:?} is not an IAM user or role ARN", arn.value), Some("`arn:<partition>:iam::<12-digit account>:user/<path/><name>` or `...:role/<path/><name>`".into()), None);
    None
}

/// An identity with a `web_identity`: a CI system's token.
fn web(
    v: &mut Validator,
    f: &Fields,
    b: &RawBlock,
    audience: Option<Located<String>>,
) -> Option<Identity> {
    let src = v.string(f, "web_identity")?;
    match WebIdentitySource::parse(&src.value, audience.as_ref().map(|a| a.value.as_str())) {
        Ok(source) => {
            if audience.is_some() && !matches!(source, WebIdentitySource::GitHub { .. }) {
                let loc = audience.as_ref().and_then(|a| a.loc);
                v.push(
                    loc,
                    f.desc.as_deref(),
                    Some("audience"),
                    "applies only to `web_identity = \"github\"`".into(),
                    None,
                    Some("other CI systems set the audience when they issue the token".into()),
                );
            }
            Some(Identity {
                name: b.labels[0].clone(),
                kind: IdentityKind::Web(source),
            })
        }
        Err(e) => {
            v.invalid(f, "web_identity", src.loc, e);
            None
        }
    }
}
