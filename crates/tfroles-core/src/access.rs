//! What each role may do and who may become it, as written in the config:
//! a role's permissions (`services`, `access`, `actions`, ...), its `trust`
//! block, and the `bootstrap` block. The policies themselves are derived in
//! [`crate::policies`].

use serde::Serialize;
use tfroles_policy::AccessLevel;

use crate::types::AccountName;

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
pub fn can_write(p: &Permissions) -> bool {
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
    /// An ARN or a 12-digit account id, written out.
    Arn(String),
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
    pub fn admits_every(&self) -> Option<&'static str> {
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
    pub fn admits_every(&self) -> Option<&'static str> {
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
    pub fn admits_every(&self) -> Option<&'static str> {
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
    pub service: Vec<String>,
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
    pub dir: String,
    /// A role in each account that may create IAM roles, assumed by the
    /// bootstrap stack's providers (`OrganizationAccountAccessRole`); unset,
    /// the providers use the caller's credentials as they are.
    pub admin_role: Option<String>,
    /// Whether the stack also creates the state bucket (`false`: it is
    /// named, not created, since it usually exists before any stack does).
    pub create_state_bucket: bool,
}

// ---------------------------------------------------------------------------
// Reading the blocks: the validator's side.

use crate::config::{Fields, Validator, did_you_mean, list};
use crate::error::Location;
use crate::raw::{Located, RawBlock, Value};
use tfroles_policy::Catalog;

pub(crate) const PERMISSION_ATTRS: &[&str] = &[
    "services",
    "access",
    "actions",
    "deny_actions",
    "resources",
    "allow_delete",
];
pub(crate) const TRUST_ATTRS: &[&str] = &["aws", "service"];
pub(crate) const TRUST_BLOCKS: &[&str] = &["github", "terraform_cloud", "gitlab"];
const GITHUB_ATTRS: &[&str] = &[
    "repository",
    "owner_id",
    "repository_id",
    "environment",
    "ref",
    "pull_request",
    "job_workflow_ref",
    "audience",
];
const TFC_ATTRS: &[&str] = &[
    "hostname",
    "organization",
    "project",
    "workspace",
    "run_phase",
    "audience",
];
const GITLAB_ATTRS: &[&str] = &["host", "project_path", "ref_type", "ref", "audience"];
pub(crate) const BOOTSTRAP_ATTRS: &[&str] = &["dir", "admin_role", "create_state_bucket"];

/// A `trust` block whose `aws` entries wait for every identity and account
/// to be known.
pub(crate) struct PendingTrust {
    pub(crate) trust: Trust,
    pub(crate) aws: Vec<Located<String>>,
    pub(crate) desc: String,
    /// OIDC blocks that admit every branch, tag or workspace: where, which
    /// block, and what they admit; warned about on roles that can write.
    pub(crate) broad: Vec<(Option<Location>, String, &'static str)>,
}

/// Where the first permission attribute of a role block is, for errors
/// about the block as a whole.
pub(crate) fn first_permission_attr(f: &Fields) -> Option<(&'static str, Option<Location>)> {
    PERMISSION_ATTRS
        .iter()
        .find_map(|a| f.attr(a).map(|x| (*a, x.name.loc)))
}

/// `ORG/REPO/.github/workflows/FILE@REF`, as GitHub writes the
/// `job_workflow_ref` claim (`*` may stand for parts of it).
fn job_workflow_ref_ok(s: &str) -> bool {
    let Some((path, ref_)) = s.split_once('@') else {
        return false;
    };
    let parts: Vec<&str> = path.split('/').collect();
    let [org, repo, ".github", "workflows", file] = parts[..] else {
        return false;
    };
    let named = |ext: &str| file.strip_suffix(ext).is_some_and(|stem| !stem.is_empty());
    !org.is_empty()
        && !repo.is_empty()
        && (named(".yml") || named(".yaml") || file.contains('*'))
        && !ref_.is_empty()
}

/// A claim value (repository, environment, ...): no whitespace or control
/// characters, and no `:` where the claim's own separator would make it
/// ambiguous.
fn claim_ok(s: &str, colon_ok: bool) -> bool {
    !s.is_empty()
        && s.len() <= 512
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && (colon_ok || !s.contains(':'))
}

impl Validator<'_> {
    /// The permission attributes of a `role` block.
    pub(crate) fn permissions(&mut self, f: &Fields) -> Permissions {
        let catalog = Catalog::get();
        let desc = f.desc.clone();
        let desc = desc.as_deref();
        let mut p = Permissions::default();
        if let Some(list_) = self.string_list(f, "services") {
            for s in &list_ {
                match catalog.resolve_service(&s.value) {
                    Ok(service) => {
                        let prefix = service.prefix().to_owned();
                        if p.services.contains(&prefix) {
                            self.push(s.loc, desc, Some("services"), format!("lists `{prefix}` twice"), None, None);
                        } else {
                            p.services.push(prefix);
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
        }
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
            p.access = levels;
        } else if f.attr("access").is_some() {
            p.access = Vec::new();
        }
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
        p.actions = self.actions(f, "actions");
        p.deny_actions = self.actions(f, "deny_actions");
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
            p.resources = resources;
        }
        p.allow_delete = self.bool(f, "allow_delete").unwrap_or(false);
        p
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

    /// A role's `trust` block; its `aws` entries are resolved later.
    pub(crate) fn trust(&mut self, role_desc: &str, b: &RawBlock) -> Option<PendingTrust> {
        if !self.labels(Some(role_desc), b, 0, "") {
            return None;
        }
        let desc = format!("{role_desc} > trust");
        let f = Fields {
            desc: Some(desc.clone()),
            body: &b.body,
        };
        self.schema(Some(&desc), &b.body, TRUST_ATTRS, TRUST_BLOCKS);
        let mut trust = Trust::default();
        let mut broad = Vec::new();
        let aws = self.string_list(&f, "aws").unwrap_or_default();
        for s in self.string_list(&f, "service").unwrap_or_default() {
            let ok = s.value.ends_with(".amazonaws.com")
                && s.value.len() > ".amazonaws.com".len()
                && s.value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(c));
            if ok {
                trust.service.push(s.value);
            } else {
                self.push(
                    s.loc,
                    Some(&desc),
                    Some("service"),
                    format!("{:?} is not an AWS service principal", s.value),
                    Some("like `ec2.amazonaws.com` or `ecs-tasks.amazonaws.com`".into()),
                    None,
                );
            }
        }
        for nb in &b.body.blocks {
            if !TRUST_BLOCKS.contains(&nb.ident.as_str()) || !self.labels(Some(&desc), nb, 0, "") {
                continue;
            }
            let ndesc = format!("{desc} > {}", nb.ident);
            let nf = Fields {
                desc: Some(ndesc.clone()),
                body: &nb.body,
            };
            match nb.ident.as_str() {
                "github" => {
                    self.schema(Some(&ndesc), &nb.body, GITHUB_ATTRS, &[]);
                    if let Some(g) = self.github(&nf, nb.loc) {
                        if let Some(what) = g.admits_every() {
                            broad.push((nb.loc, ndesc.clone(), what));
                        }
                        trust.github.push(g);
                    }
                }
                "terraform_cloud" => {
                    self.schema(Some(&ndesc), &nb.body, TFC_ATTRS, &[]);
                    let organization = self.claim(
                        &nf,
                        nb.loc,
                        "organization",
                        true,
                        "the HCP Terraform organization's name",
                        false,
                    );
                    let workspace = self.claim(
                        &nf,
                        nb.loc,
                        "workspace",
                        true,
                        "a workspace name, or a pattern like `prod-*`",
                        false,
                    );
                    let project = self
                        .claim(&nf, nb.loc, "project", false, "", false)
                        .unwrap_or_else(|| "*".into());
                    let run_phase = self
                        .claim(&nf, nb.loc, "run_phase", false, "", false)
                        .unwrap_or_else(|| "*".into());
                    if !["plan", "apply", "*"].contains(&run_phase.as_str()) {
                        let loc = nf.attr("run_phase").and_then(|a| a.value.loc);
                        self.push(
                            loc,
                            Some(&ndesc),
                            Some("run_phase"),
                            format!("{run_phase:?} is not a run phase"),
                            Some("`plan`, `apply` or `*`".into()),
                            None,
                        );
                    }
                    let hostname = self
                        .claim(&nf, nb.loc, "hostname", false, "", false)
                        .unwrap_or_else(|| "app.terraform.io".into());
                    let audience = self
                        .claim(&nf, nb.loc, "audience", false, "", true)
                        .unwrap_or_else(|| "aws.workload.identity".into());
                    if let (Some(organization), Some(workspace)) = (organization, workspace) {
                        let t = TerraformCloudTrust {
                            hostname,
                            organization,
                            project,
                            workspace,
                            run_phase,
                            audience,
                        };
                        if let Some(what) = t.admits_every() {
                            broad.push((nb.loc, ndesc.clone(), what));
                        }
                        trust.terraform_cloud.push(t);
                    }
                }
                _ => {
                    self.schema(Some(&ndesc), &nb.body, GITLAB_ATTRS, &[]);
                    let project_path = self.claim(
                        &nf,
                        nb.loc,
                        "project_path",
                        true,
                        "`GROUP/PROJECT`, like `acme/infrastructure`",
                        false,
                    );
                    let ref_ = self.claim(
                        &nf,
                        nb.loc,
                        "ref",
                        true,
                        "the branch or tag the jobs run on, like `main` (`*` allowed)",
                        false,
                    );
                    let ref_type = self
                        .claim(&nf, nb.loc, "ref_type", false, "", false)
                        .unwrap_or_else(|| "branch".into());
                    if !["branch", "tag", "*"].contains(&ref_type.as_str()) {
                        let loc = nf.attr("ref_type").and_then(|a| a.value.loc);
                        self.push(
                            loc,
                            Some(&ndesc),
                            Some("ref_type"),
                            format!("{ref_type:?} is not a ref type"),
                            Some("`branch`, `tag` or `*`".into()),
                            None,
                        );
                    }
                    let host = self
                        .claim(&nf, nb.loc, "host", false, "", false)
                        .unwrap_or_else(|| "gitlab.com".into());
                    let audience = self
                        .claim(&nf, nb.loc, "audience", false, "", true)
                        .unwrap_or_else(|| format!("https://{host}"));
                    if let (Some(project_path), Some(ref_)) = (project_path, ref_) {
                        let t = GitLabTrust {
                            host,
                            project_path,
                            ref_type,
                            ref_,
                            audience,
                        };
                        if let Some(what) = t.admits_every() {
                            broad.push((nb.loc, ndesc.clone(), what));
                        }
                        trust.gitlab.push(t);
                    }
                }
            }
        }
        if trust.is_empty()
            && aws.is_empty()
            && b.body.blocks.is_empty()
            && f.attr("service").is_none()
        {
            self.push(b.loc, Some(&desc), None, "trusts nobody, so no one could assume the role".into(), Some("`aws = [...]`, `service = [...]`, or `github`, `terraform_cloud` or `gitlab` blocks".into()), Some("leave the block out to trust the identities with an `arn`".into()));
        }
        Some(PendingTrust {
            trust,
            aws,
            desc,
            broad,
        })
    }

    /// A `github` block inside `trust`.
    fn github(&mut self, nf: &Fields, loc: Option<Location>) -> Option<GitHubTrust> {
        let desc = nf.desc.as_deref();
        let repository = self.claim(
            nf,
            loc,
            "repository",
            true,
            "`OWNER/REPO`, like `acme/infrastructure`",
            false,
        );
        if let Some(r) = &repository
            && r.split('/').count() != 2
        {
            let loc = nf.attr("repository").and_then(|a| a.value.loc);
            self.push(
                loc,
                desc,
                Some("repository"),
                format!("{r:?} is not `OWNER/REPO`"),
                Some("`OWNER/REPO`, like `acme/infrastructure`".into()),
                None,
            );
        }
        let owner_id = self.github_id(nf, "owner_id");
        if let (Some(r), Some(a)) = (&repository, nf.attr("owner_id"))
            && r.contains(['*', '?'])
        {
            self.push(
                a.name.loc,
                desc,
                Some("owner_id"),
                format!("names one repository's owner, but `repository` is the pattern {r:?}"),
                Some("ids with one `OWNER/REPO`, or a pattern without ids".into()),
                Some("one `github` block per repository, each with its ids".into()),
            );
        }
        let repository_id = self.github_id(nf, "repository_id");
        for (set, unset) in [("owner_id", "repository_id"), ("repository_id", "owner_id")] {
            if let (Some(a), None) = (nf.attr(set), nf.attr(unset)) {
                self.push(
                    a.name.loc,
                    desc,
                    Some(set),
                    format!("is set without `{unset}`"),
                    Some("both `owner_id` and `repository_id`, or neither".into()),
                    Some("GitHub's immutable subject names both ids; `gh api repos/OWNER/REPO --jq '.owner.id, .id'` prints them".into()),
                );
            }
        }
        // GitHub escapes `:` as `%3A` in these, so they may hold one.
        let environment = self.claim(nf, loc, "environment", false, "", true);
        let ref_ = self.claim(nf, loc, "ref", false, "", true);
        let pull_request_set = self.bool(nf, "pull_request");
        // A `pull_request` in error is reported already; not also as unset.
        let pull_request_broken = nf.attr("pull_request").is_some() && pull_request_set.is_none();
        let pull_request = pull_request_set.unwrap_or(false);
        let job_workflow_ref = self.claim(nf, loc, "job_workflow_ref", false, "", false);
        match (nf.attr("environment"), nf.attr("ref")) {
            (Some(e), Some(_)) => self.push(e.name.loc, desc, None, "sets both `environment` and `ref`".into(), Some("one of them: a job with an environment gets a `sub` naming the environment, not the ref".into()), None),
            (None, None) if !pull_request && !pull_request_broken && nf.attr("job_workflow_ref").is_none() => self.push(loc, desc, None, "sets none of `environment`, `ref`, `pull_request` and `job_workflow_ref`, so every branch, tag and pull request of the repository could assume the role".into(), Some("`environment = \"production\"`, `ref = \"refs/heads/main\"`, `pull_request = true`, or `job_workflow_ref = \"ORG/REPO/.github/workflows/FILE@REF\"`".into()), Some("a GitHub environment with protection rules is the strongest: only jobs it approves get the token".into())),
            _ => {}
        }
        if pull_request {
            let at = nf.attr("pull_request").and_then(|a| a.name.loc);
            for (other, why) in [
                (
                    "environment",
                    "GitHub sends the `pull_request` subject only to jobs that name no environment; a job with one gets `environment:NAME`",
                ),
                (
                    "ref",
                    "a pull request job's subject is `pull_request`, which names no ref",
                ),
            ] {
                if nf.attr(other).is_some() {
                    self.push(
                        at,
                        desc,
                        Some("pull_request"),
                        format!("is set together with `{other}`, and no token has both"),
                        Some(format!("one of `pull_request` and `{other}`: {why}")),
                        Some(
                            "trust pull requests and the other jobs in two `github` blocks".into(),
                        ),
                    );
                }
            }
        }
        if let Some(r) = &ref_
            && !["refs/heads/", "refs/tags/"]
                .iter()
                .any(|p| r.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
            && r != "refs/*"
        {
            let loc = nf.attr("ref").and_then(|a| a.value.loc);
            let hint = if r.starts_with("refs/pull/") {
                "pull request jobs get the subject `pull_request`: set `pull_request = true` instead".to_owned()
            } else if r.starts_with("refs/") {
                "GitHub's subject names a branch or a tag".to_owned()
            } else if r.starts_with('v') && r[1..].starts_with(|c: char| c.is_ascii_digit()) {
                format!("did you mean `refs/tags/{r}`?")
            } else {
                format!("did you mean `refs/heads/{r}`?")
            };
            self.push(
                loc,
                desc,
                Some("ref"),
                format!("{r:?} is not a full branch or tag ref"),
                Some("`refs/heads/BRANCH` or `refs/tags/TAG` (`*` allowed)".into()),
                Some(hint),
            );
        }
        if let Some(w) = &job_workflow_ref
            && !job_workflow_ref_ok(w)
        {
            let loc = nf.attr("job_workflow_ref").and_then(|a| a.value.loc);
            self.push(
                loc,
                desc,
                Some("job_workflow_ref"),
                format!("{w:?} is not `ORG/REPO/.github/workflows/FILE@REF`"),
                Some("`ORG/REPO/.github/workflows/FILE@REF`, like `acme/workflows/.github/workflows/deploy.yml@refs/heads/main` (`*` allowed)".into()),
                Some(if w.contains('@') { "the file is a `.yml` or `.yaml` in `.github/workflows/` of the repository holding the reusable workflow".into() } else { "name the ref the callers pin after `@`, like `@refs/heads/main` or `@refs/tags/v1`".into() }),
            );
        }
        let audience = self
            .claim(nf, loc, "audience", false, "", true)
            .unwrap_or_else(|| "sts.amazonaws.com".into());
        Some(GitHubTrust {
            repository: repository?,
            owner_id,
            repository_id,
            environment,
            ref_,
            pull_request,
            job_workflow_ref,
            audience,
        })
    }

    /// `owner_id` or `repository_id`: a positive whole number.
    fn github_id(&mut self, f: &Fields, name: &str) -> Option<u64> {
        let a = f.attr(name)?;
        let desc = f.desc.as_deref();
        let allowed = "GitHub's numeric id, a whole number like `123456`";
        match &a.value.value {
            Value::Num(n) => match n.parse::<u64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    self.push(
                        a.value.loc,
                        desc,
                        Some(name),
                        format!("{n} is not a GitHub id"),
                        Some(allowed.into()),
                        Some(
                            "`gh api repos/OWNER/REPO --jq '.owner.id, .id'` prints both ids"
                                .into(),
                        ),
                    );
                    None
                }
            },
            Value::Str(s) if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) => {
                self.push(
                    a.value.loc,
                    desc,
                    Some(name),
                    "expected a number, found a string".into(),
                    Some(allowed.into()),
                    Some(format!("write it without quotes: `{name} = {s}`")),
                );
                None
            }
            other => {
                self.type_error(f, name, a.value.loc, "a number", other);
                None
            }
        }
    }

    /// One claim attribute of an OIDC trust block.
    fn claim(
        &mut self,
        f: &Fields,
        block_loc: Option<Location>,
        name: &str,
        required: bool,
        allowed: &str,
        colon_ok: bool,
    ) -> Option<String> {
        if f.attr(name).is_none() {
            if required {
                self.missing(
                    block_loc,
                    f.desc.as_deref().unwrap_or_default(),
                    name,
                    allowed,
                );
            }
            return None;
        }
        let s = self.string(f, name)?;
        if claim_ok(&s.value, colon_ok) {
            Some(s.value)
        } else {
            self.push(s.loc, f.desc.as_deref(), Some(name), format!("{:?} cannot be part of a token's claims", s.value), Some(if colon_ok { "1-512 characters, no spaces or control characters" } else { "1-512 characters, no spaces, control characters or `:` (the `sub` claim's separator)" }.into()), None);
            None
        }
    }

    /// The `bootstrap` block.
    pub(crate) fn bootstrap(&mut self, b: &RawBlock) -> Option<Bootstrap> {
        if !self.labels(None, b, 0, "") {
            return None;
        }
        let desc = "bootstrap".to_owned();
        let f = Fields {
            desc: Some(desc.clone()),
            body: &b.body,
        };
        self.schema(Some(&desc), &b.body, BOOTSTRAP_ATTRS, &[]);
        if f.attr("dir").is_none() {
            self.missing(
                b.loc,
                &desc,
                "dir",
                "the directory of the stack that creates the roles, like `dir = \"bootstrap\"`",
            );
        }
        let dir = self.parse::<crate::types::StackPath>(&f, "dir");
        let admin_role = self
            .parse::<crate::types::RoleName>(&f, "admin_role")
            .map(|r| r.to_string());
        let create_state_bucket = self.bool(&f, "create_state_bucket").unwrap_or(false);
        Some(Bootstrap {
            dir: dir?.to_string(),
            admin_role,
            create_state_bucket,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::job_workflow_ref_ok;

    #[test]
    fn job_workflow_refs() {
        for ok in [
            "acme/wf/.github/workflows/deploy.yml@refs/heads/main",
            "acme/wf/.github/workflows/deploy.yaml@refs/tags/v1",
            "acme/wf/.github/workflows/*@refs/heads/main",
            "acme/wf/.github/workflows/deploy.yml@0123abcd",
        ] {
            assert!(job_workflow_ref_ok(ok), "{ok}");
        }
        for bad in [
            "acme/wf/.github/workflows/deploy.yml",
            "acme/wf/.github/workflows/deploy.yml@",
            "acme/wf/.github/workflows/.yml@refs/heads/main",
            "acme/wf/workflows/deploy.yml@refs/heads/main",
            "acme/.github/workflows/deploy.yml@refs/heads/main",
            "/wf/.github/workflows/deploy.yml@refs/heads/main",
            "acme/wf/.github/workflows/sub/deploy.yml@refs/heads/main",
            "acme/wf/.github/workflows/deploy.sh@refs/heads/main",
        ] {
            assert!(!job_workflow_ref_ok(bad), "{bad}");
        }
    }
}
