//! A role's permission attributes: `services`, `access`, `actions`,
//! `deny_actions`, `resources`, `allow_delete`.

use tfroles_policy::{AccessLevel, Catalog};

use super::{Fields, Validator};
use crate::access::{Permissions, access_keyword};
use crate::error::{Location, did_you_mean, list};

const PERMISSION_ATTRS: &[&str] = &[
    "services",
    "access",
    "actions",
    "deny_actions",
    "resources",
    "allow_delete",
];

/// Where the first permission attribute of a role block is, for errors
/// about the block as a whole.
pub(crate) fn first_permission_attr(f: &Fields) -> Option<(&'static str, Option<Location>)> {
    PERMISSION_ATTRS
        .iter()
        .find_map(|a| f.attr(a).map(|x| (*a, x.name.loc)))
}

impl Validator<'_> {
    /// The permission attributes of a `role` block.
    pub(crate) fn permissions(&mut self, f: &Fields) -> Permissions {
        let desc = f.desc.clone();
        let desc = desc.as_deref();
        let defaults = Permissions::default();
        let services = self.services(f, desc);
        let access = self.access(f, desc).unwrap_or(defaults.access);
        if f.attr("access").is_some() && f.attr("services").is_none() {
            let loc = f.attr("access").and_then(|a| a.name.loc);
            self.push(
                loc,
                desc,
                Some("access"),
                "applies to `services`, and there are none".into(),
                None,
                Some("add `services = [...]`, or remove `access`".into()),
            );
        }
        let actions = self.actions(f, "actions");
        let deny_actions = self.actions(f, "deny_actions");
        let resources = self.resources(f, desc).unwrap_or(defaults.resources);
        let allow_delete = self.bool(f, "allow_delete").unwrap_or(false);
        Permissions {
            services,
            access,
            actions,
            deny_actions,
            resources,
            allow_delete,
        }
    }

    /// `services`: service prefixes the catalog knows.
    fn services(&mut self, f: &Fields, desc: Option<&str>) -> Vec<String> {
        let catalog = Catalog::get();
        let mut services = Vec::new();
        for s in &self.string_list(f, "services").unwrap_or_default() {
            match catalog.resolve_service(&s.value) {
                Ok(service) => {
                    let prefix = service.prefix().to_owned();
                    if services.contains(&prefix) {
                        self.push(s.loc, desc, Some("services"), format!("lists `{prefix}` twice"), None, None);
                    } else {
                        services.push(prefix);
                    }
                }
                Err(tfroles_policy::Error::UnknownService { suggestion, .. }) => self.push(
                    s.loc,
                    desc,
                    Some("services"),
                    format!("`{}` is not an AWS service prefix", s.value),
                    Some(format!("service prefixes as IAM writes them (`ec2`, `rds`, `ecs`, `s3`, ...), from the {} catalog", catalog.source())),
                    suggestion.map(|x| format!("did you mean `{x}`?")),
                ),
                Err(e) => self.push(s.loc, desc, Some("services"), e.to_string(), None, None),
            }
        }
        services
    }

    /// `access`: the access levels granted on `services`; `None` to keep the
    /// default.
    fn access(&mut self, f: &Fields, desc: Option<&str>) -> Option<Vec<AccessLevel>> {
        if let Some(list_) = self.string_list(f, "access") {
            let keywords: Vec<&str> = AccessLevel::ALL
                .iter()
                .map(|l| access_keyword(*l))
                .collect();
            let mut levels = Vec::new();
            for s in &list_ {
                match AccessLevel::ALL
                    .iter()
                    .find(|l| access_keyword(**l) == s.value)
                {
                    Some(l) if levels.contains(l) => self.push(
                        s.loc,
                        desc,
                        Some("access"),
                        format!("lists `{}` twice", s.value),
                        None,
                        None,
                    ),
                    Some(l) => levels.push(*l),
                    None => self.push(
                        s.loc,
                        desc,
                        Some("access"),
                        format!("`{}` is not an access level", s.value),
                        Some(list(&keywords)),
                        did_you_mean(&s.value.to_lowercase(), &keywords),
                    ),
                }
            }
            if list_.is_empty() {
                let loc = f.attr("access").and_then(|a| a.value.loc);
                self.push(
                    loc,
                    desc,
                    Some("access"),
                    "is empty".into(),
                    Some(list(&keywords)),
                    Some("leave it out for the default: list, read, write and tagging".into()),
                );
            }
            levels.sort();
            Some(levels)
        } else {
            f.attr("access").map(|_| Vec::new())
        }
    }

    /// `resources`: `*` or ARN patterns.
    fn resources(&mut self, f: &Fields, desc: Option<&str>) -> Option<Vec<String>> {
        if let Some(list_) = self.string_list(f, "resources") {
            let mut resources = Vec::new();
            for r in &list_ {
                let ok = r.value == "*"
                    || (r.value.starts_with("arn:")
                        && r.value.split(':').count() >= 6
                        && !r.value.chars().any(|c| c.is_whitespace() || c.is_control()));
                if ok {
                    resources.push(r.value.clone());
                } else {
                    self.push(r.loc, desc, Some("resources"), format!("{:?} is not a resource ARN", r.value), Some("`*`, or ARN patterns like `arn:aws:ecs:*:123456789012:service/public-api/*`".into()), None);
                }
            }
            if list_.is_empty() {
                let loc = f.attr("resources").and_then(|a| a.value.loc);
                self.push(
                    loc,
                    desc,
                    Some("resources"),
                    "is empty, which would grant nothing".into(),
                    Some("ARN patterns, or leave it out for `*`".into()),
                    None,
                );
            }
            Some(resources)
        } else {
            None
        }
    }

    /// `actions` or `deny_actions`: each an action the catalog knows, or a
    /// pattern matching at least one.
    fn actions(&mut self, f: &Fields, attr: &str) -> Vec<String> {
        let catalog = Catalog::get();
        let desc = f.desc.clone();
        let mut out: Vec<String> = Vec::new();
        for a in self.string_list(f, attr).unwrap_or_default() {
            let text = a.value.as_str();
            let resolved = if text.contains(['*', '?']) {
                let well_formed = text == "*"
                    || text
                        .split_once(':')
                        .is_some_and(|(s, n)| !s.is_empty() && !n.is_empty());
                if well_formed && !catalog.expand(text).is_empty() {
                    Ok(text.to_owned())
                } else {
                    Err((format!("`{text}` matches no IAM action"), None))
                }
            } else if !text.contains(':') {
                Err((format!("`{text}` is not an IAM action"), None))
            } else {
                catalog
                    .resolve(text)
                    .map(|i| i.action().to_owned())
                    .map_err(|e| match e {
                        tfroles_policy::Error::UnknownAction { suggestion, .. } => (
                            format!("`{text}` is not an IAM action"),
                            suggestion.map(|s| format!("did you mean `{s}`?")),
                        ),
                        other => (other.to_string(), None),
                    })
            };
            match resolved {
                Ok(action) if out.iter().any(|x| x.eq_ignore_ascii_case(&action)) => {
                    self.push(a.loc, desc.as_deref(), Some(attr), format!("lists `{action}` twice"), None, None);
                }
                Ok(action) => out.push(action),
                Err((message, hint)) => self.push(
                    a.loc,
                    desc.as_deref(),
                    Some(attr),
                    message,
                    Some(format!("`service:Action` as in AWS's Service Authorization Reference ({}), or a pattern with `*` and `?` matching some", catalog.source())),
                    hint,
                ),
            }
        }
        out
    }
}
