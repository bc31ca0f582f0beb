//! The `bootstrap` block: where the stack that creates the roles goes.

use super::{Fields, Validator};
use crate::access::Bootstrap;
use crate::raw::RawBody;
use crate::types::{RoleName, StackPath};

const ATTRS: &[&str] = &["dir", "admin_role", "create_state_bucket"];

/// The `bootstrap` block, if there is one.
pub(super) fn validate(v: &mut Validator, body: &RawBody) -> Option<Bootstrap> {
    let b = v.at_most_one(None, body, "bootstrap", "merge them into one")?;
    if !v.labels(None, b, 0, "") {
        return None;
    }
    let desc = "bootstrap".to_owned();
    let f = Fields {
        desc: Some(desc.clone()),
        body: &b.body,
    };
    v.schema(Some(&desc), &b.body, ATTRS, &[]);
    if f.attr("dir").is_none() {
        v.missing(
            b.loc,
            &desc,
            "dir",
            "the directory of the stack that creates the roles, like `dir = \"bootstrap\"`",
        );
    }
    let dir = v.parse::<StackPath>(&f, "dir");
    let admin_role = v.parse::<RoleName>(&f, "admin_role");
    let create_state_bucket = v.bool(&f, "create_state_bucket").unwrap_or(false);
    Some(Bootstrap {
        dir: dir?,
        admin_role,
        create_state_bucket,
    })
}
