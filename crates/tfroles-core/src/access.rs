//! What each role may do and who may become it, as written in the config:
//! a role's permissions (`services`, `access`, `actions`, ...), its `trust`
//! block, and the `bootstrap` block. The policies themselves are derived in
//! [`crate::policies`].

use serde::Serialize;
use tfroles_policy::{AccessLevel, Catalog};

use crate::types::{AccountName, PrincipalArn, RoleName, ServicePrincipal, StackPath};

/// The access levels a role gets for its `services` when `access` is unset:
/// everything but permissions management, which is how a role would grant
/// itself more.
pub const DEFAULT_ACCESS: [AccessLevel; 4] = [
    AccessLevel::List,
    AccessLevel::Read,
    AccessLevel::Write,
    AccessLevel::Tagging,
];

/// The access level as written in `access = [...]`.
pub fn access_keyword(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::List => "list",
        AccessLevel::Read => "read",
        AccessLevel::Write => "write",
        AccessLevel::Tagging => "tagging",
        AccessLevel::PermissionsManagement => "permissions",
    }
}

/// A role's permissions: what its identity policy grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permissions {
    /// Service prefixes (`ec2`, `rds`), as the catalog spells them.
    pub services: Vec<String>,
    /// Access levels granted on `services`.
    #[serde(serialize_with = "serialize_levels")]
    pub access: Vec<AccessLevel>,
    /// Extra actions or action patterns, in the catalog's casing.
    pub actions: Vec<String>,
    /// Actions or patterns denied whatever else grants them.
    pub deny_actions: Vec<String>,
    /// Resource ARN patterns the grants apply to (`*` when unset).
    pub resources: Vec<String>,
    /// Whether sessions may delete: when false, every generated session
    /// carries a policy denying the delete class.
    pub allow_delete: bool,
}

impl Default for Permissions {
    /// What a role block without permission attributes has: no services
    /// or actions, the default access levels, all resources, no deletes.
    fn default() -> Self {
        Self {
            services: Vec::new(),
            access: DEFAULT_ACCESS.to_vec(),
            actions: Vec::new(),
            deny_actions: Vec::new(),
            resources: vec!["*".into()],
            allow_delete: false,
        }
    }
}

impl Permissions {
    /// Whether the role grants anything at all.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty() && self.actions.is_empty()
    }
}

/// Whether a role's permissions include anything that changes resources:
/// an action at the `write` or `permissions` level, through `services` or
/// `actions`.
pub(crate) fn can_write(p: &Permissions) -> bool {
    let writes =
        |l: AccessLevel| matches!(l, AccessLevel::Write | AccessLevel::PermissionsManagement);
    let catalog = Catalog::get();
    (!p.services.is_empty() && p.access.iter().any(|l| writes(*l)))
        || p.actions
            .iter()
            .any(|a| catalog.expand(a).iter().any(|i| writes(i.access())))
}

fn serialize_levels<S: serde::Serializer>(levels: &[AccessLevel], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(levels.iter().map(|l| access_keyword(*l)))
}

/// One entry of `trust { aws = [...] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum TrustedAws {
    /// An `identity` block with an `arn`.
    Identity(String),
    /// A whole account, by name: its root, so that account's own IAM
    /// policies decide who in it may assume the role.
    Account(AccountName),
    /// An ARN or a 12-digit account id, written out (as its root's ARN).
    Arn(PrincipalArn),
}

/// `trust { github { ... } }`: GitHub Actions jobs of one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitHubTrust {
    /// `OWNER/REPO`.
    pub repository: String,
    /// GitHub's numeric id of the owner; set together with
    /// `repository_id`, the subject takes GitHub's immutable form
    /// `repo:OWNER@OWNER_ID/REPO@REPO_ID:...`, the only one repositories
    /// created after 2026-07-15 are issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<u64>,
    /// GitHub's numeric id of the repository; see `owner_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_id: Option<u64>,
    /// A deployment environment; exclusive with `ref_` and `pull_request`.
    pub environment: Option<String>,
    /// A git ref (`refs/heads/main`, `refs/tags/v*`); exclusive with
    /// `environment` and `pull_request`.
    #[serde(rename = "ref")]
    pub ref_: Option<String>,
    /// Jobs of pull requests (subject `...:pull_request`); exclusive with
    /// `environment` and `ref_`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pull_request: bool,
    /// The reusable workflow the job must run
    /// (`ORG/REPO/.github/workflows/FILE@REF`), a condition on the token's
    /// `job_workflow_ref` claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_workflow_ref: Option<String>,
    /// The token's audience (`sts.amazonaws.com`).
    pub audience: String,
}

/// A claim value as GitHub writes it into the `sub` claim, where `:`
/// separates the parts: `%3A`.
fn github_escape(value: &str) -> String {
    value.replace(':', "%3A")
}

impl GitHubTrust {
    /// The issuer host, which names the OIDC provider and prefixes the
    /// condition keys.
    pub const HOST: &'static str = "token.actions.githubusercontent.com";

    /// The `sub` claim this trust accepts.
    pub fn subject(&self) -> String {
        let repo = match (self.owner_id, self.repository_id) {
            (Some(owner_id), Some(repository_id)) => {
                let (owner, name) = self
                    .repository
                    .split_once('/')
                    .unwrap_or((self.repository.as_str(), ""));
                format!("{owner}@{owner_id}/{name}@{repository_id}")
            }
            _ => self.repository.clone(),
        };
        match (&self.environment, &self.ref_) {
            (Some(e), _) => format!("repo:{repo}:environment:{}", github_escape(e)),
            (None, Some(r)) => format!("repo:{repo}:ref:{}", github_escape(r)),
            (None, None) if self.pull_request => format!("repo:{repo}:pull_request"),
            (None, None) => format!("repo:{repo}:*"),
        }
    }

    /// What this trust admits when that is every branch, tag or pull
    /// request of the repository (`None` when it names an environment or
    /// a narrower ref).
    pub(crate) fn admits_every(&self) -> Option<&'static str> {
        if self.pull_request {
            // Whoever may open one, forks included where workflows run for
            // them.
            return Some("every pull request");
        }
        if self.environment.is_some() {
            return None;
        }
        match self.ref_.as_deref() {
            None => Some("every branch, tag, environment and pull request"),
            Some("refs/*") => Some("every branch and tag"),
            Some("refs/heads/*") => Some("every branch"),
            Some("refs/tags/*") => Some("every tag"),
            Some(_) => None,
        }
    }
}

/// `trust { terraform_cloud { ... } }`: HCP Terraform runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerraformCloudTrust {
    /// The issuer host (`app.terraform.io`, or a Terraform Enterprise host).
    pub hostname: String,
    /// The organization.
    pub organization: String,
    /// The project (`*` for any).
    pub project: String,
    /// The workspace (`*` for any, or a pattern).
    pub workspace: String,
    /// `plan`, `apply` or `*`.
    pub run_phase: String,
    /// The token's audience (`aws.workload.identity`).
    pub audience: String,
}

impl TerraformCloudTrust {
    /// The `sub` claim this trust accepts.
    pub fn subject(&self) -> String {
        format!(
            "organization:{}:project:{}:workspace:{}:run_phase:{}",
            self.organization, self.project, self.workspace, self.run_phase
        )
    }

    /// What this trust admits when that is every workspace (of the
    /// project, or of the organization).
    pub(crate) fn admits_every(&self) -> Option<&'static str> {
        (self.workspace == "*").then_some("every workspace")
    }
}

/// `trust { gitlab { ... } }`: GitLab CI jobs of one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitLabTrust {
    /// The GitLab instance's host (`gitlab.com`).
    pub host: String,
    /// `GROUP/PROJECT`.
    pub project_path: String,
    /// `branch` or `tag` (or `*`).
    pub ref_type: String,
    /// The branch or tag name (or a pattern).
    #[serde(rename = "ref")]
    pub ref_: String,
    /// The token's audience (`https://gitlab.com`).
    pub audience: String,
}

impl GitLabTrust {
    /// The `sub` claim this trust accepts.
    pub fn subject(&self) -> String {
        format!(
            "project_path:{}:ref_type:{}:ref:{}",
            self.project_path, self.ref_type, self.ref_
        )
    }

    /// What this trust admits when that is every branch or tag.
    pub(crate) fn admits_every(&self) -> Option<&'static str> {
        (self.ref_ == "*").then_some(match self.ref_type.as_str() {
            "branch" => "every branch",
            "tag" => "every tag",
            _ => "every branch and tag",
        })
    }
}

/// A role's `trust` block: who may assume it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Trust {
    /// IAM principals: identities, accounts, ARNs.
    pub aws: Vec<TrustedAws>,
    /// AWS services (`ec2.amazonaws.com`).
    pub service: Vec<ServicePrincipal>,
    /// GitHub Actions.
    pub github: Vec<GitHubTrust>,
    /// HCP Terraform.
    pub terraform_cloud: Vec<TerraformCloudTrust>,
    /// GitLab CI.
    pub gitlab: Vec<GitLabTrust>,
}

impl Trust {
    /// Whether the block names nobody.
    pub fn is_empty(&self) -> bool {
        self.aws.is_empty()
            && self.service.is_empty()
            && self.github.is_empty()
            && self.terraform_cloud.is_empty()
            && self.gitlab.is_empty()
    }
}

/// The `bootstrap` block: where the stack that creates the roles goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bootstrap {
    /// The directory, relative to the config.
    pub dir: StackPath,
    /// A role in each account that may create IAM roles, assumed by the
    /// bootstrap stack's providers (`OrganizationAccountAccessRole`); unset,
    /// the providers use the caller's credentials as they are.
    pub admin_role: Option<RoleName>,
    /// Whether the stack also creates the state bucket (`false`: it is
    /// named, not created, since it usually exists before any stack does).
    pub create_state_bucket: bool,
}
