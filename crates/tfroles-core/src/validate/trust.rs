//! `trust` blocks inside roles: who may assume the role. Their `aws`
//! entries name identities, so they are resolved once identities are known.

use super::{Fields, Known, Validator};
use crate::access::{GitHubTrust, GitLabTrust, TerraformCloudTrust, Trust, TrustedAws};
use crate::error::{Location, did_you_mean, list};
use crate::model::{Defaults, Identity, Role};
use crate::raw::{Located, RawBlock, RawBody, Value};
use crate::types::{AccountId, AccountName, PrincipalArn, ServicePrincipal};

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

/// A `trust` block whose `aws` entries wait for every identity and account
/// to be known.
pub(crate) struct PendingTrust {
    pub(crate) trust: Trust,
    pub(crate) aws: Vec<Located<String>>,
    pub(crate) desc: String,
    /// OIDC blocks that admit every branch, tag or workspace: where, which
    /// block, and what they admit; warned about on roles that can write.
    pub(crate) broad: Vec<Broad>,
}

/// An OIDC block that admits every branch, tag or workspace: where, which
/// block, and what it admits.
pub(super) type Broad = (Option<Location>, String, &'static str);

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
            match s.value.parse::<ServicePrincipal>() {
                Ok(p) => trust.service.push(p),
                Err(e) => self.invalid(&f, "service", s.loc, e),
            }
        }
        for nb in &b.body.blocks {
            if TRUST_BLOCKS.contains(&nb.ident.as_str()) && self.labels(Some(&desc), nb, 0, "") {
                self.oidc_block(&desc, nb, &mut trust, &mut broad);
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

    /// A `github`, `terraform_cloud` or `gitlab` block inside `trust`:
    /// added to `trust` when valid, and to `broad` when it admits every
    /// run of something.
    fn oidc_block(&mut self, desc: &str, nb: &RawBlock, trust: &mut Trust, broad: &mut Vec<Broad>) {
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
                if let Some(t) = self.terraform_cloud(&nf, nb.loc) {
                    if let Some(what) = t.admits_every() {
                        broad.push((nb.loc, ndesc.clone(), what));
                    }
                    trust.terraform_cloud.push(t);
                }
            }
            _ => {
                self.schema(Some(&ndesc), &nb.body, GITLAB_ATTRS, &[]);
                if let Some(t) = self.gitlab(&nf, nb.loc) {
                    if let Some(what) = t.admits_every() {
                        broad.push((nb.loc, ndesc.clone(), what));
                    }
                    trust.gitlab.push(t);
                }
            }
        }
    }

    /// A `terraform_cloud` block inside `trust`.
    fn terraform_cloud(
        &mut self,
        nf: &Fields,
        loc: Option<Location>,
    ) -> Option<TerraformCloudTrust> {
        let organization = self.claim(
            nf,
            loc,
            "organization",
            true,
            "the HCP Terraform organization's name",
            false,
        );
        let workspace = self.claim(
            nf,
            loc,
            "workspace",
            true,
            "a workspace name, or a pattern like `prod-*`",
            false,
        );
        let project = self
            .claim(nf, loc, "project", false, "", false)
            .unwrap_or_else(|| "*".into());
        let run_phase = self
            .claim(nf, loc, "run_phase", false, "", false)
            .unwrap_or_else(|| "*".into());
        if !["plan", "apply", "*"].contains(&run_phase.as_str()) {
            let loc = nf.attr("run_phase").and_then(|a| a.value.loc);
            self.push(
                loc,
                nf.desc.as_deref(),
                Some("run_phase"),
                format!("{run_phase:?} is not a run phase"),
                Some("`plan`, `apply` or `*`".into()),
                None,
            );
        }
        let hostname = self
            .claim(nf, loc, "hostname", false, "", false)
            .unwrap_or_else(|| "app.terraform.io".into());
        let audience = self
            .claim(nf, loc, "audience", false, "", true)
            .unwrap_or_else(|| "aws.workload.identity".into());
        Some(TerraformCloudTrust {
            hostname,
            organization: organization?,
            project,
            workspace: workspace?,
            run_phase,
            audience,
        })
    }

    /// A `gitlab` block inside `trust`.
    fn gitlab(&mut self, nf: &Fields, loc: Option<Location>) -> Option<GitLabTrust> {
        let project_path = self.claim(
            nf,
            loc,
            "project_path",
            true,
            "`GROUP/PROJECT`, like `acme/infrastructure`",
            false,
        );
        let ref_ = self.claim(
            nf,
            loc,
            "ref",
            true,
            "the branch or tag the jobs run on, like `main` (`*` allowed)",
            false,
        );
        let ref_type = self
            .claim(nf, loc, "ref_type", false, "", false)
            .unwrap_or_else(|| "branch".into());
        if !["branch", "tag", "*"].contains(&ref_type.as_str()) {
            let loc = nf.attr("ref_type").and_then(|a| a.value.loc);
            self.push(
                loc,
                nf.desc.as_deref(),
                Some("ref_type"),
                format!("{ref_type:?} is not a ref type"),
                Some("`branch`, `tag` or `*`".into()),
                None,
            );
        }
        let host = self
            .claim(nf, loc, "host", false, "", false)
            .unwrap_or_else(|| "gitlab.com".into());
        let audience = self
            .claim(nf, loc, "audience", false, "", true)
            .unwrap_or_else(|| format!("https://{host}"));
        Some(GitLabTrust {
            host,
            project_path: project_path?,
            ref_type,
            ref_: ref_?,
            audience,
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
        let (owner_id, repository_id) = self.github_ids(nf, repository.as_deref());
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
            self.github_pull_request_alone(nf);
        }
        if let Some(r) = &ref_ {
            self.github_ref(nf, r);
        }
        if let Some(w) = &job_workflow_ref {
            self.github_job_workflow_ref(nf, w);
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

    /// `owner_id` and `repository_id`: both or neither, and only with one
    /// repository.
    fn github_ids(&mut self, nf: &Fields, repository: Option<&str>) -> (Option<u64>, Option<u64>) {
        let desc = nf.desc.as_deref();
        let owner_id = self.github_id(nf, "owner_id");
        if let (Some(r), Some(a)) = (repository, nf.attr("owner_id"))
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
        (owner_id, repository_id)
    }

    /// `pull_request = true` with `environment` or `ref`: no token has both.
    fn github_pull_request_alone(&mut self, nf: &Fields) {
        let desc = nf.desc.as_deref();
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
                    Some("trust pull requests and the other jobs in two `github` blocks".into()),
                );
            }
        }
    }

    /// A `ref` is a full branch or tag ref, as GitHub's subject names it.
    fn github_ref(&mut self, nf: &Fields, r: &str) {
        let desc = nf.desc.as_deref();
        if !["refs/heads/", "refs/tags/"]
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
    }

    /// A `job_workflow_ref` as GitHub writes the claim.
    fn github_job_workflow_ref(&mut self, nf: &Fields, w: &str) {
        let desc = nf.desc.as_deref();
        if !job_workflow_ref_ok(w) {
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
}

/// Resolves the `aws` entries of every trust block into their roles, now
/// that identities are known: identities with an ARN, accounts, account ids
/// or principal ARNs. Returns the OIDC blocks that admit every branch, tag
/// or workspace, with the index of their role, for the warnings.
pub(super) fn resolve_aws(
    v: &mut Validator,
    pending_trust: Vec<(Option<usize>, PendingTrust)>,
    roles: &mut [Role],
    identities: &[Identity],
    known: &Known,
    defaults: &Defaults,
) -> Vec<(usize, Broad)> {
    let mut broad_trust = Vec::new();
    for (i, pending) in pending_trust {
        if let Some(i) = i {
            broad_trust.extend(pending.broad.iter().map(|b| (i, b.clone())));
        }
        let f = Fields {
            desc: Some(pending.desc.clone()),
            body: &RawBody::default(),
        };
        let mut aws = Vec::new();
        for e in &pending.aws {
            let Some(entry) = aws_entry(v, &f, e, identities, known, defaults) else {
                continue;
            };
            if aws.contains(&entry) {
                v.push(
                    e.loc,
                    f.desc.as_deref(),
                    Some("aws"),
                    format!("lists {:?} twice", e.value),
                    None,
                    None,
                );
            } else {
                aws.push(entry);
            }
        }
        if let Some(t) = i.and_then(|i| roles[i].trust.as_mut()) {
            t.aws = aws;
        }
    }
    broad_trust
}

/// One `aws` entry of a trust block.
fn aws_entry(
    v: &mut Validator,
    f: &Fields,
    e: &Located<String>,
    identities: &[Identity],
    known: &Known,
    defaults: &Defaults,
) -> Option<TrustedAws> {
    let identity_names = known.identity_names();
    let account_names = known.account_names();
    if let Some(id) = identities.iter().find(|x| x.name == e.value) {
        if id.arn().is_none() {
            v.push(
                e.loc,
                f.desc.as_deref(),
                Some("aws"),
                format!("identity `{}` is a CI token, not an IAM principal", e.value),
                Some("identities with an `arn`, account names, or ARNs".into()),
                Some("trust CI tokens with a `github`, `terraform_cloud` or `gitlab` block".into()),
            );
            return None;
        }
        Some(TrustedAws::Identity(e.value.clone()))
    } else if identity_names.contains(&e.value.as_str()) {
        None // its block is in error, reported there
    } else if let Ok(a) = e.value.parse::<AccountName>()
        && account_names.contains(&a.as_str())
    {
        Some(TrustedAws::Account(a))
    } else if let Ok(id) = e.value.parse::<AccountId>() {
        Some(TrustedAws::Arn(PrincipalArn::root(defaults.partition, &id)))
    } else if let Ok(arn) = e.value.parse::<PrincipalArn>() {
        Some(TrustedAws::Arn(arn))
    } else if known.broken_accounts.contains(&e.value) {
        None
    } else {
        let mut names: Vec<&str> = identity_names.clone();
        names.extend(account_names.iter().copied());
        v.push(
            e.loc,
            f.desc.as_deref(),
            Some("aws"),
            format!(
                "{:?} is neither an identity, an account, nor an IAM principal ARN",
                e.value
            ),
            Some(format!(
                "identities ({}), accounts ({}), 12-digit account ids, or user, role and root ARNs",
                list(&identity_names),
                list(&account_names)
            )),
            did_you_mean(&e.value, &names),
        );
        None
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
