//! What a role was seen using, against what the config grants it: the
//! granted actions left unused, by service and access level, and a
//! narrower grant in the config's own terms (`services`, `access`,
//! `actions`). The observations come from elsewhere (CloudTrail, read by
//! `tfroles-trail`); this module only compares.
//!
//! # The narrowed grant
//!
//! Of a role's `services`, those of which the window used at least
//! five (`BROAD`) distinct actions stay `services`; `access` becomes the levels
//! those services were used at. Every other used action is listed in
//! `actions`. Actions the role was not granted are never added (the
//! proposal only takes away), and `deny_actions`, `resources` and
//! `allow_delete` stay as they are. Actions CloudTrail cannot have seen
//! (data events of a trail that logs none, see [`DATA_EVENT_ACTIONS`]) are
//! kept when granted.

use std::collections::{BTreeMap, BTreeSet};

use tfroles_policy::{AccessLevel, Actions, Catalog, Effect, PolicyDocument, Resources};

use crate::access::access_keyword;
use crate::error::Result;
use crate::model::{Config, Role, RoleSession};
use crate::resolve::Stack;

/// How many distinct actions of a service a window must use for the
/// service to stay in `services` rather than become a list of `actions`.
pub(crate) const BROAD: usize = 5;

/// Actions whose calls CloudTrail logs as data events, which a trail
/// records only when configured to: a window without data events says
/// nothing about them.
pub const DATA_EVENT_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAcl",
    "s3:GetObjectTagging",
    "s3:GetObjectAttributes",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:RestoreObject",
    "lambda:InvokeFunction",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
];

/// A role's permissions in the config's terms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grant {
    /// `services`.
    pub services: Vec<String>,
    /// `access` (meaningful only with `services`).
    pub access: Vec<AccessLevel>,
    /// `actions`, in AWS's casing, sorted.
    pub actions: Vec<String>,
}

impl Grant {
    /// The attributes as they would be written in the role block, `=`
    /// aligned as `terraform fmt` aligns them.
    #[must_use]
    pub fn to_hcl(&self) -> String {
        let quoted = |items: &mut dyn Iterator<Item = &str>| {
            items
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut lines: Vec<(&str, String)> = Vec::new();
        if !self.services.is_empty() {
            lines.push((
                "services",
                format!(
                    "[{}]",
                    quoted(&mut self.services.iter().map(String::as_str))
                ),
            ));
            lines.push((
                "access",
                format!(
                    "[{}]",
                    quoted(&mut self.access.iter().map(|l| access_keyword(*l)))
                ),
            ));
        }
        if !self.actions.is_empty() {
            let mut list = String::from("[\n");
            for a in &self.actions {
                list.push_str(&format!("  \"{a}\",\n"));
            }
            list.push(']');
            lines.push(("actions", list));
        }
        let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        lines
            .iter()
            .map(|(k, v)| format!("{k:<width$} = {v}\n"))
            .collect()
    }
}

/// One role instance's granted actions, as its permissions policy
/// expands through the catalog.
#[derive(Debug, Clone)]
pub struct Granted {
    /// The role in its account.
    pub session: RoleSession,
    /// Whether it is the state role (whose policy `state` decides).
    pub is_state: bool,
    /// Every action the policy allows (on some resource), in AWS's casing.
    pub actions: BTreeSet<&'static str>,
}

impl Granted {
    /// The granted actions not in `used`, by service and access level.
    #[must_use]
    pub fn unused(
        &self,
        used: &BTreeSet<String>,
    ) -> BTreeMap<(String, AccessLevel), Vec<&'static str>> {
        let catalog = Catalog::get();
        let mut out: BTreeMap<(String, AccessLevel), Vec<&'static str>> = BTreeMap::new();
        for a in &self.actions {
            if used.contains(*a) {
                continue;
            }
            let info = catalog.action(a).expect("expanded from the catalog");
            out.entry((info.service().to_owned(), info.access()))
                .or_default()
                .push(info.action());
        }
        out
    }
}

/// The actions a policy allows, as the catalog expands its `Action`
/// patterns, less those its unconditional `Deny` statements on `*` take
/// away. Statements with `NotAction` allow nothing here (tfroles writes
/// none).
#[must_use]
pub(crate) fn allowed_actions(doc: &PolicyDocument) -> BTreeSet<&'static str> {
    let catalog = Catalog::get();
    let expand = |patterns: &[String]| -> BTreeSet<&'static str> {
        patterns
            .iter()
            .flat_map(|p| catalog.expand(p))
            .map(|i| i.action())
            .collect()
    };
    let mut allowed = BTreeSet::new();
    let mut denied = BTreeSet::new();
    for st in &doc.statements {
        let Actions::Action(patterns) = &st.action else {
            continue;
        };
        match st.effect {
            Effect::Allow => allowed.extend(expand(patterns)),
            Effect::Deny => {
                let everywhere = matches!(&st.resource, Some(Resources::Resource(r)) if r.iter().any(|r| r == "*"));
                if everywhere && st.condition.is_empty() {
                    denied.extend(expand(patterns));
                }
            }
        }
    }
    allowed.retain(|a| !denied.contains(a));
    allowed
}

impl Config {
    /// Every role instance with the actions its permissions policy allows
    /// (per stack for `role_per_stack` state roles, as the bootstrap stack
    /// creates them).
    ///
    /// # Errors
    ///
    /// As [`Config::permissions_policy`].
    pub fn granted(&self, stacks: &[Stack]) -> Result<Vec<Granted>> {
        let mut out = Vec::new();
        for session in self.role_sessions() {
            let is_state = self.is_state_session(&session);
            if is_state && self.state.role_per_stack {
                for st in stacks {
                    out.push(Granted {
                        session: self.stack_state_session(st),
                        is_state,
                        actions: allowed_actions(&self.stack_state_permissions(st, stacks)?),
                    });
                }
                continue;
            }
            let doc = self.permissions_policy(
                session.role.as_str(),
                Some(session.account.as_str()),
                stacks,
            )?;
            out.push(Granted {
                session,
                is_state,
                actions: allowed_actions(&doc),
            });
        }
        Ok(out)
    }

    /// The narrower grant for `role` given the actions its instances used
    /// (see the [module docs](self)); `keep` are granted actions to keep
    /// whatever the window says (data events the trail did not log).
    /// `None` for the state role, whose policy the `state` block decides,
    /// and when nothing granted was used.
    #[must_use]
    pub fn narrowed(
        &self,
        role: &Role,
        granted: &BTreeSet<&'static str>,
        used: &BTreeSet<String>,
        keep: &BTreeSet<&str>,
    ) -> Option<Grant> {
        if role.name == self.state.role {
            return None;
        }
        let catalog = Catalog::get();
        // Only what the role's own attributes grant: an action its policy
        // allows for another reason (`sts:AssumeRole` on the next role of
        // a `via` chain, limited to that role) must not be written into
        // `actions`, where it would apply to the role's `resources`.
        let own = self
            .grants(role)
            .map(|d| allowed_actions(&d))
            .unwrap_or_default();
        let needed: BTreeSet<&'static str> = granted
            .iter()
            .copied()
            .filter(|a| own.contains(a))
            .filter(|a| used.contains(*a) || keep.contains(a))
            .collect();
        if needed.iter().all(|a| !used.contains(*a)) {
            return None;
        }
        let mut by_service: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
        for a in &needed {
            let info = catalog.action(a).expect("catalog action");
            by_service
                .entry(info.service())
                .or_default()
                .push(info.action());
        }
        let mut grant = Grant::default();
        let mut levels: BTreeSet<AccessLevel> = BTreeSet::new();
        let mut kept: Vec<&str> = Vec::new();
        for prefix in &role.permissions.services {
            let Some(actions) = by_service.get(prefix.as_str()) else {
                continue;
            };
            // Breadth is what was used through `services` (at a level
            // `access` grants; an action granted by `actions` at another
            // level must not bring its whole level in); kept actions are
            // no evidence.
            let actions: Vec<&str> = actions
                .iter()
                .copied()
                .filter(|a| used.contains(*a))
                .filter(|a| {
                    let level = catalog.action(a).expect("catalog action").access();
                    role.permissions.access.contains(&level)
                })
                .collect();
            if actions.len() >= BROAD {
                kept.push(prefix);
                grant.services.push(prefix.clone());
                levels.extend(
                    actions
                        .iter()
                        .map(|a| catalog.action(a).expect("catalog action").access()),
                );
            }
        }
        grant.access = AccessLevel::ALL
            .into_iter()
            .filter(|l| levels.contains(l))
            .collect();
        for a in &needed {
            let info = catalog.action(a).expect("catalog action");
            let covered = kept.contains(&info.service()) && grant.access.contains(&info.access());
            if !covered {
                grant.actions.push(info.action().to_owned());
            }
        }
        Some(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_str(
            r#"
            defaults { region = "us-west-2" }
            account "shared" { id = "111111111111" }
            state {
              account = "shared"
              bucket  = "acme-terraform-state"
              role    = "terraform-state"
            }
            role "terraform-state" { account = "shared" }
            role "app" {
              account  = "shared"
              services = ["ec2", "s3"]
              actions  = ["iam:PassRole"]
            }
            stack "app" {
              account = "shared"
              role    = "app"
            }
        "#,
        )
        .unwrap()
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_broadly_used_service_stays_a_service_the_rest_become_actions() {
        let config = config();
        let stacks = config.resolve(&[]).unwrap().stacks;
        let granted = config.granted(&stacks).unwrap();
        let app = granted
            .iter()
            .find(|g| g.session.role.as_str() == "app")
            .unwrap();
        assert!(app.actions.contains("ec2:RunInstances"));
        assert!(app.actions.contains("iam:PassRole"));
        assert!(!app.actions.contains("iam:CreateRole"));
        let used = set(&[
            "ec2:DescribeInstances",
            "ec2:DescribeImages",
            "ec2:DescribeVpcs",
            "ec2:RunInstances",
            "ec2:CreateTags",
            "s3:ListBucket",
            "iam:PassRole",
            "iam:CreateRole",
        ]);
        let role = config.role("app").unwrap();
        let grant = config
            .narrowed(role, &app.actions, &used, &BTreeSet::new())
            .unwrap();
        assert_eq!(grant.services, ["ec2"]);
        assert_eq!(
            grant.access,
            [
                AccessLevel::List,
                AccessLevel::Read,
                AccessLevel::Write,
                AccessLevel::Tagging
            ]
            .into_iter()
            .filter(|l| [
                "ec2:DescribeInstances",
                "ec2:RunInstances",
                "ec2:CreateTags"
            ]
            .iter()
            .any(|a| Catalog::get().action(a).unwrap().access() == *l))
            .collect::<Vec<_>>()
        );
        // Not granted, so never proposed.
        assert_eq!(grant.actions, ["iam:PassRole", "s3:ListBucket"]);
        let unused = app.unused(&used);
        assert!(
            unused[&("ec2".to_owned(), AccessLevel::Write)].contains(&"ec2:TerminateInstances")
        );
        assert!(!unused.keys().any(|(s, _)| s == "iam"));
    }

    #[test]
    fn kept_data_actions_and_the_state_role() {
        let config = config();
        let stacks = config.resolve(&[]).unwrap().stacks;
        let granted = config.granted(&stacks).unwrap();
        let app = granted
            .iter()
            .find(|g| g.session.role.as_str() == "app")
            .unwrap();
        let role = config.role("app").unwrap();
        let keep: BTreeSet<&str> = DATA_EVENT_ACTIONS.iter().copied().collect();
        let grant = config
            .narrowed(role, &app.actions, &set(&["s3:ListBucket"]), &keep)
            .unwrap();
        assert!(grant.actions.contains(&"s3:PutObject".to_owned()));
        assert!(
            !grant.actions.contains(&"dynamodb:GetItem".to_owned()),
            "not granted"
        );
        assert!(
            config
                .narrowed(role, &app.actions, &set(&[]), &keep)
                .is_none()
        );
        let state = granted.iter().find(|g| g.is_state).unwrap();
        assert!(state.actions.contains("s3:PutObject"));
        let state_role = config.role("terraform-state").unwrap();
        assert!(
            config
                .narrowed(state_role, &state.actions, &set(&["s3:PutObject"]), &keep)
                .is_none()
        );
    }

    #[test]
    fn a_level_granted_only_through_actions_never_becomes_a_service_level() {
        let config = Config::from_str(
            r#"
            defaults { region = "us-west-2" }
            account "shared" { id = "111111111111" }
            state {
              account = "shared"
              bucket  = "acme-terraform-state"
              role    = "terraform-state"
            }
            role "terraform-state" { account = "shared" }
            role "app" {
              account  = "shared"
              services = ["ec2"]
              access   = ["list"]
              actions  = ["ec2:RunInstances", "ec2:CreateTags", "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateSecurityGroup"]
            }
        "#,
        )
        .unwrap();
        let stacks = config.resolve(&[]).unwrap().stacks;
        let granted = config.granted(&stacks).unwrap();
        let app = granted
            .iter()
            .find(|g| g.session.role.as_str() == "app")
            .unwrap();
        let used = set(&[
            "ec2:RunInstances",
            "ec2:CreateTags",
            "ec2:CreateVpc",
            "ec2:CreateSubnet",
            "ec2:CreateSecurityGroup",
            "ec2:DescribeVpcs",
        ]);
        let role = config.role("app").unwrap();
        let grant = config
            .narrowed(role, &app.actions, &used, &BTreeSet::new())
            .unwrap();
        // Keeping `ec2` with `write` would grant every ec2 write.
        assert!(grant.services.is_empty(), "{grant:?}");
        assert_eq!(grant.actions.len(), 6, "{grant:?}");
    }

    #[test]
    fn a_chain_grant_is_never_written_into_actions() {
        // `hub` may assume `app` (its `via`) through a statement limited
        // to app's ARN; written into `actions` it would apply to `*`,
        // which the action-set check alone cannot see.
        let config = Config::from_str(
            r#"
            defaults { region = "us-west-2" }
            account "shared" { id = "111111111111" }
            state {
              account = "shared"
              bucket  = "acme-terraform-state"
              role    = "terraform-state"
            }
            role "terraform-state" { account = "shared" }
            role "hub" {
              account  = "shared"
              services = ["ec2"]
            }
            role "app" {
              account  = "shared"
              via      = "hub"
              services = ["s3"]
            }
        "#,
        )
        .unwrap();
        let granted = config.granted(&[]).unwrap();
        let hub = granted
            .iter()
            .find(|g| g.session.role.as_str() == "hub")
            .unwrap();
        assert!(hub.actions.contains("sts:AssumeRole"));
        let used = set(&["ec2:DescribeVpcs", "sts:AssumeRole"]);
        let role = config.role("hub").unwrap();
        let grant = config
            .narrowed(role, &hub.actions, &used, &BTreeSet::new())
            .unwrap();
        assert_eq!(grant.actions, ["ec2:DescribeVpcs"]);
    }
}
