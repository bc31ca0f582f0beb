//! The bootstrap stack: the Terraform configuration, written into the
//! `bootstrap { dir }` directory, that creates in IAM what `tfroles.hcl`
//! describes. An administrator applies it once, before any other stack.
//!
//! | file | holds |
//! |---|---|
//! | `main.tf` | `terraform { required_providers }` and one `provider "aws"` per account |
//! | `roles.tf` | per role instance an `aws_iam_role` and its inline `aws_iam_role_policy` |
//! | `oidc.tf` | the `aws_iam_openid_connect_provider`s the trust policies name (when any) |
//! | `identities.tf` | the base identities' inline policies (when any) |
//! | `state.tf` | the state bucket, only with `create_state_bucket = true` |
//!
//! Every policy is the document `tfroles policy` prints, embedded as a
//! heredoc: terraform reads back exactly that JSON text (plus a final
//! newline), and the aws provider compares policies as JSON values. The one
//! difference: characters above U+00FF are written as `\uXXXX` escapes,
//! since IAM takes policy text in Latin-1 only (see [`latin1`]).

use std::collections::{BTreeMap, BTreeSet};

use tfroles_core::policies::RolePolicies;
use tfroles_core::types::fnv1a;
use tfroles_core::{Config, GitHubTrust, Stack};

use crate::generated::{GeneratedFile, signature};
use crate::writer::{Block, Expr, Item, render};

/// The aws provider versions the bootstrap stack accepts: 5.81 made
/// `thumbprint_list` of `aws_iam_openid_connect_provider` optional, and the
/// stack sets none (AWS checks the issuers tfroles trusts by their CA).
pub const AWS_PROVIDER_VERSION: &str = ">= 5.81";
/// The name of each role's inline permissions policy.
pub const ROLE_POLICY_NAME: &str = "tfroles";
/// The name of each base identity's inline policy.
pub const IDENTITY_POLICY_NAME: &str = "tfroles-assume-roles";

/// The files of the bootstrap stack, paths relative to the config's
/// directory; none without a `bootstrap` block.
///
/// # Errors
///
/// [`tfroles_core::Error::Invalid`] when a policy cannot be made: a role
/// nobody may assume, a policy over AWS's size limits.
pub fn bootstrap_files(
    config: &Config,
    stacks: &[Stack],
) -> Result<Vec<GeneratedFile>, tfroles_core::Error> {
    let Some(bootstrap) = &config.bootstrap() else {
        return Ok(Vec::new());
    };
    let model = Model::new(config, stacks)?;
    let dir = bootstrap.dir.as_str();
    let mut files = vec![file(config, dir, "main.tf", MAIN_HEADER, model.main())];
    files.push(file(config, dir, "roles.tf", "", model.roles()));
    if !model.oidc.is_empty() {
        files.push(file(config, dir, "oidc.tf", "", model.oidc()));
    }
    if !model.identities.is_empty() {
        files.push(file(config, dir, "identities.tf", "", model.identities()));
    }
    if bootstrap.create_state_bucket {
        files.push(file(config, dir, "state.tf", "", model.state()));
    }
    Ok(files)
}

const MAIN_HEADER: &str = "\
# The roles, policies and OIDC providers tfroles.hcl describes. Apply once,
# as an administrator, before any other stack: terraform init && terraform apply.
# Its state stays in this directory unless you add a backend in another file.

";

fn file(config: &Config, dir: &str, name: &str, header: &str, items: Vec<Item>) -> GeneratedFile {
    let mut contents = signature(config, dir);
    contents.push('\n');
    contents.push_str(header);
    contents.push_str(&render(&items));
    GeneratedFile {
        path: format!("{dir}/{name}"),
        contents,
    }
}

/// What the stack creates, with every Terraform name assigned.
struct Model<'c> {
    config: &'c Config,
    /// Provider alias and account id, in file order.
    providers: Vec<(String, String)>,
    roles: Vec<RoleResource>,
    oidc: Vec<OidcResource>,
    identities: Vec<IdentityResource>,
    /// Alias of the state account's provider.
    state_provider: String,
}

struct RoleResource {
    name: String,
    policy_name: String,
    provider: String,
    policies: RolePolicies,
    depends_on: Vec<String>,
}

struct OidcResource {
    name: String,
    provider: String,
    host: String,
    audiences: BTreeSet<String>,
}

struct IdentityResource {
    name: String,
    /// `aws_iam_user_policy` or `aws_iam_role_policy`.
    kind: &'static str,
    provider: String,
    /// The user's or role's name, or a reference to a role created here.
    target: Expr,
    policy: String,
}

/// The OIDC providers the stack creates: one per account and issuer, with
/// every audience the roles there accept. Keyed by the account's place in
/// the config, then the issuer, so that oidc.tf lists accounts in the
/// order main.tf does.
type OidcProviders = BTreeMap<(usize, String, String), BTreeSet<String>>;

/// The resource names, by namespace and key, as [`Names::assign`] gives them.
type Assigned = BTreeMap<(&'static str, String), String>;

/// A base identity with an `arn` that may assume roles: its name, ARN and
/// policy (pretty JSON).
type IdentityPolicy<'c> = (&'c str, &'c str, String);

impl<'c> Model<'c> {
    fn new(config: &'c Config, stacks: &[Stack]) -> Result<Self, tfroles_core::Error> {
        let role_policies = config.role_policies(stacks)?;
        let identity_policies = identity_policies(config)?;
        let (oidc, role_hosts) = oidc_providers(config, &role_policies);
        let (names, account_ids) =
            resource_names(config, &role_policies, &oidc, &identity_policies);
        let alias = |key: &str| names[&("provider", key.to_owned())].clone();
        let providers = account_ids
            .iter()
            .map(|(key, id)| (alias(key), id.clone()))
            .collect();
        let role_arns: BTreeMap<String, String> = role_policies
            .iter()
            .map(|rp| (rp.session.arn.to_string(), role_key(rp)))
            .collect();
        let roles = role_policies
            .into_iter()
            .zip(role_hosts)
            .map(|(rp, hosts)| role_resource(rp, &hosts, &names, &role_arns))
            .collect();
        let oidc = oidc
            .into_iter()
            .map(|((_, account, host), audiences)| OidcResource {
                name: names[&("aws_iam_openid_connect_provider", oidc_key(&account, &host))]
                    .clone(),
                provider: alias(&format!("account:{account}")),
                host,
                audiences,
            })
            .collect();
        let identities = identity_policies
            .into_iter()
            .map(|(name, arn, policy)| {
                let kind = identity_kind(arn);
                let target = match role_arns.get(arn) {
                    Some(key) => Expr::Ref(format!(
                        "aws_iam_role.{}.name",
                        names[&("aws_iam_role", key.clone())]
                    )),
                    None => Expr::Str(arn_resource(arn).1.to_owned()),
                };
                IdentityResource {
                    name: names[&(kind, format!("identity:{name}"))].clone(),
                    kind,
                    provider: alias(&alias_key(config, arn_account(arn))),
                    target,
                    policy: latin1(&policy),
                }
            })
            .collect();
        Ok(Model {
            config,
            providers,
            roles,
            oidc,
            identities,
            state_provider: alias(&format!("account:{}", config.state().account)),
        })
    }

    fn main(&self) -> Vec<Item> {
        let mut required = Block::new("required_providers", &[]);
        required.attr(
            "aws",
            Expr::Object(vec![
                ("source".into(), str("hashicorp/aws")),
                ("version".into(), str(AWS_PROVIDER_VERSION)),
            ]),
        );
        let mut terraform = Block::new("terraform", &[]);
        terraform.block(required);
        let mut items = vec![Item::Block(terraform)];
        let partition = self.config.defaults().partition;
        let admin_role = self
            .config
            .bootstrap()
            .as_ref()
            .and_then(|b| b.admin_role.as_ref());
        for (alias, id) in &self.providers {
            let mut p = Block::new("provider", &["aws"]);
            // IAM is global; the region is where the state bucket lives
            // and which STS endpoint the provider calls.
            p.attr("alias", str(alias))
                .attr("region", str(self.config.state().region.as_str()))
                .attr("allowed_account_ids", Expr::List(vec![str(id)]));
            if let Some(admin) = admin_role {
                let mut ar = Block::new("assume_role", &[]);
                ar.attr(
                    "role_arn",
                    str(format!("arn:{partition}:iam::{id}:role/{admin}")),
                );
                p.blank().block(ar);
            }
            items.push(Item::Blank);
            items.push(Item::Block(p));
        }
        items
    }

    fn roles(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for r in &self.roles {
            let rp = &r.policies;
            let mut role = resource("aws_iam_role", &r.name, &r.provider);
            role.attr("name", str(rp.session.role.as_str()))
                .attr("path", str(&rp.role.path))
                .attr(
                    "max_session_duration",
                    Expr::Number(u64::from(rp.session.duration.as_secs().max(3600))),
                )
                .attr(
                    "assume_role_policy",
                    Expr::Heredoc(latin1(&rp.trust.to_json_pretty())),
                );
            if !r.depends_on.is_empty() {
                role.blank().attr(
                    "depends_on",
                    Expr::List(r.depends_on.iter().cloned().map(Expr::Ref).collect()),
                );
            }
            push(&mut items, role);
            let mut policy = resource("aws_iam_role_policy", &r.policy_name, &r.provider);
            policy
                .attr("name", str(ROLE_POLICY_NAME))
                .attr("role", Expr::Ref(format!("aws_iam_role.{}.name", r.name)))
                .attr(
                    "policy",
                    Expr::Heredoc(latin1(&rp.permissions.to_json_pretty())),
                );
            push(&mut items, policy);
        }
        items
    }

    fn oidc(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for o in &self.oidc {
            push(&mut items, oidc_provider(o));
        }
        items
    }

    fn identities(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for i in &self.identities {
            let mut b = resource(i.kind, &i.name, &i.provider);
            let target = if i.kind == "aws_iam_user_policy" {
                "user"
            } else {
                "role"
            };
            b.attr("name", str(IDENTITY_POLICY_NAME))
                .attr(target, i.target.clone())
                .attr("policy", Expr::Heredoc(i.policy.clone()));
            push(&mut items, b);
        }
        items
    }

    /// The state bucket: versioned (terraform's docs ask for it, to recover
    /// from mistakes), private, encrypted; and the lock table when the
    /// config names one.
    fn state(&self) -> Vec<Item> {
        let state = &self.config.state();
        let p = &self.state_provider;
        let bucket_ref = || Expr::Ref("aws_s3_bucket.state.id".into());
        let mut items = Vec::new();

        let mut bucket = resource("aws_s3_bucket", "state", p);
        bucket.attr("bucket", str(state.bucket.as_str()));
        push(&mut items, bucket);

        let mut versioning = resource("aws_s3_bucket_versioning", "state", p);
        let mut conf = Block::new("versioning_configuration", &[]);
        conf.attr("status", str("Enabled"));
        versioning.attr("bucket", bucket_ref()).blank().block(conf);
        push(&mut items, versioning);

        let mut public = resource("aws_s3_bucket_public_access_block", "state", p);
        public.attr("bucket", bucket_ref());
        for a in [
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ] {
            public.attr(a, Expr::Bool(true));
        }
        push(&mut items, public);

        let mut sse = resource(
            "aws_s3_bucket_server_side_encryption_configuration",
            "state",
            p,
        );
        let mut default = Block::new("apply_server_side_encryption_by_default", &[]);
        let mut rule = Block::new("rule", &[]);
        match &state.kms_key_id {
            Some(key) => {
                default
                    .attr("sse_algorithm", str("aws:kms"))
                    .attr("kms_master_key_id", str(key));
                rule.block(default)
                    .attr("bucket_key_enabled", Expr::Bool(true));
            }
            None => {
                default.attr("sse_algorithm", str("AES256"));
                rule.block(default);
            }
        }
        sse.attr("bucket", bucket_ref()).blank().block(rule);
        push(&mut items, sse);

        if let Some(table) = &state.dynamodb_table {
            let mut t = resource("aws_dynamodb_table", "lock", p);
            let mut key = Block::new("attribute", &[]);
            key.attr("name", str("LockID")).attr("type", str("S"));
            t.attr("name", str(table))
                .attr("billing_mode", str("PAY_PER_REQUEST"))
                .attr("hash_key", str("LockID"))
                .blank()
                .block(key);
            push(&mut items, t);
        }
        items
    }
}

/// An OIDC provider with no `thumbprint_list`: AWS checks the issuers
/// tfroles trusts (GitHub, HCP Terraform, GitLab) against its own library
/// of root CAs and ignores thumbprints; for any other issuer IAM fetches the
/// thumbprint itself when none is given. A hand-picked thumbprint could
/// only go stale.
fn oidc_provider(o: &OidcResource) -> Block {
    let mut b = resource("aws_iam_openid_connect_provider", &o.name, &o.provider);
    b.attr("url", str(format!("https://{}", o.host))).attr(
        "client_id_list",
        Expr::List(o.audiences.iter().map(str).collect()),
    );
    b
}

fn str(s: impl AsRef<str>) -> Expr {
    Expr::Str(s.as_ref().to_owned())
}

/// `resource "TYPE" "NAME" { provider = aws.ALIAS` and a blank line.
fn resource(kind: &str, name: &str, provider: &str) -> Block {
    let mut b = Block::new("resource", &[kind, name]);
    b.attr("provider", Expr::Ref(format!("aws.{provider}")))
        .blank();
    b
}

fn push(items: &mut Vec<Item>, block: Block) {
    if !items.is_empty() {
        items.push(Item::Blank);
    }
    items.push(Item::Block(block));
}

/// JSON text with every character above U+00FF written as a `\uXXXX`
/// escape (two, a UTF-16 surrogate pair, above U+FFFF), as the policies'
/// compact form does: IAM's policy parameters take only
/// `[\u0009\u000A\u000D\u0020-\u00FF]`, and terraform's aws provider sends
/// the text on as it is. Outside strings JSON text is ASCII, so escaping
/// the whole text only touches strings, and the value stays the same.
pub(crate) fn latin1(json: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if u32::from(c) > 0xFF {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `"text"` as JSON writes it, for finding an ARN in a policy document.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The account id of a validated IAM ARN.
fn arn_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// `("user" | "role", name)` of a validated IAM user or role ARN: the name
/// is the last part of the path.
fn arn_resource(arn: &str) -> (&str, &str) {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
    (kind, rest.rsplit('/').next().unwrap_or_default())
}

/// The short name of an issuer tfroles knows (`github`, `terraform_cloud`,
/// `gitlab`), else the slug of its host.
fn issuer_slug(host: &str) -> String {
    match host {
        GitHubTrust::HOST => "github".into(),
        "app.terraform.io" => "terraform_cloud".into(),
        "gitlab.com" => "gitlab".into(),
        _ => slug(host),
    }
}

/// A Terraform identifier made from a name: lowercase ASCII letters, digits
/// and `_`; every other character (`-`, `.`, `+`, `=`, `,`, `@`) becomes
/// `_`, and a leading digit gets a `_` before it.
fn slug(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// The base identities with an `arn` that may assume some role, with their
/// policies.
fn identity_policies(config: &Config) -> Result<Vec<IdentityPolicy<'_>>, tfroles_core::Error> {
    let mut out = Vec::new();
    for id in config.identities() {
        if let Some(arn) = id.arn()
            && !config.identity_roles(&id.name).is_empty()
        {
            out.push((
                id.name.as_str(),
                arn.as_str(),
                config.identity_policy(&id.name)?.to_json_pretty(),
            ));
        }
    }
    Ok(out)
}

/// The OIDC providers the roles' trust needs, and the issuers' hosts of
/// each role (in `role_policies`' order).
fn oidc_providers(
    config: &Config,
    role_policies: &[RolePolicies],
) -> (OidcProviders, Vec<BTreeSet<String>>) {
    let account_index = |name: &str| {
        config
            .accounts()
            .iter()
            .position(|a| a.name.as_str() == name)
            .unwrap_or(usize::MAX)
    };
    let mut oidc = OidcProviders::new();
    let mut role_hosts: Vec<BTreeSet<String>> = Vec::new();
    for rp in role_policies {
        let mut hosts = BTreeSet::new();
        if let Some(t) = &rp.role.trust {
            let pairs = t
                .github
                .iter()
                .map(|g| (GitHubTrust::HOST.to_owned(), g.audience.clone()))
                .chain(
                    t.terraform_cloud
                        .iter()
                        .map(|c| (c.hostname.clone(), c.audience.clone())),
                )
                .chain(
                    t.gitlab
                        .iter()
                        .map(|g| (g.host.clone(), g.audience.clone())),
                );
            for (host, audience) in pairs {
                let account = rp.session.account.to_string();
                oidc.entry((account_index(&account), account, host.clone()))
                    .or_default()
                    .insert(audience);
                hosts.insert(host);
            }
        }
        role_hosts.push(hosts);
    }
    (oidc, role_hosts)
}

/// Every resource's and provider's name. Every name is asked for first,
/// then assigned at once, so that a collision renames all its members
/// alike, whatever their order. Also the provider keys with their
/// account ids, in file order: the config's accounts, then the accounts of
/// base identities the config does not name (a provider of their own).
fn resource_names(
    config: &Config,
    role_policies: &[RolePolicies],
    oidc: &OidcProviders,
    identity_policies: &[IdentityPolicy],
) -> (Assigned, Vec<(String, String)>) {
    let mut names = Names::default();
    let mut account_ids: Vec<(String, String)> = config
        .accounts()
        .iter()
        .map(|a| (format!("account:{}", a.name), a.id.to_string()))
        .collect();
    for a in config.accounts() {
        names.want(
            "provider",
            &format!("account:{}", a.name),
            &slug(a.name.as_str()),
        );
    }
    let mut extra: BTreeSet<&str> = BTreeSet::new();
    for (_, arn, _) in identity_policies {
        let id = arn_account(arn);
        if !config.accounts().iter().any(|a| a.id.as_str() == id) {
            extra.insert(id);
        }
    }
    for id in &extra {
        names.want("provider", &format!("id:{id}"), &format!("account_{id}"));
        account_ids.push((format!("id:{id}"), (*id).to_owned()));
    }
    for rp in role_policies {
        let s = format!(
            "{}_{}",
            slug(rp.session.role.as_str()),
            slug(rp.session.account.as_str())
        );
        names.want("aws_iam_role", &role_key(rp), &s);
        names.want("aws_iam_role_policy", &role_key(rp), &s);
    }
    for (_, account, host) in oidc.keys() {
        names.want(
            "aws_iam_openid_connect_provider",
            &oidc_key(account, host),
            &format!("{}_{}", issuer_slug(host), slug(account)),
        );
    }
    for (name, arn, _) in identity_policies {
        names.want(identity_kind(arn), &format!("identity:{name}"), &slug(name));
    }
    (names.assign(), account_ids)
}

/// One role's resource: its names, provider, and what it waits for.
fn role_resource(
    rp: RolePolicies,
    hosts: &BTreeSet<String>,
    names: &Assigned,
    role_arns: &BTreeMap<String, String>,
) -> RoleResource {
    let key = role_key(&rp);
    let account = rp.session.account.to_string();
    let mut depends_on: Vec<String> = hosts
        .iter()
        .map(|h| {
            format!(
                "aws_iam_openid_connect_provider.{}",
                names[&("aws_iam_openid_connect_provider", oidc_key(&account, h))]
            )
        })
        .collect();
    // IAM refuses a trust policy naming a role that does not
    // exist yet, so roles trusting roles made here wait for them.
    let trust = rp.trust.to_json_compact();
    for (arn, other) in role_arns {
        if *other != key && trust.contains(&json_string(arn)) {
            depends_on.push(format!(
                "aws_iam_role.{}",
                names[&("aws_iam_role", other.clone())]
            ));
        }
    }
    RoleResource {
        name: names[&("aws_iam_role", key.clone())].clone(),
        policy_name: names
            .get(&("aws_iam_role_policy", key.clone()))
            .cloned()
            .unwrap_or_default(),
        provider: names[&("provider", format!("account:{account}"))].clone(),
        policies: rp,
        depends_on,
    }
}

fn role_key(rp: &RolePolicies) -> String {
    format!("role:{}@{}", rp.session.role, rp.session.account)
}

fn oidc_key(account: &str, host: &str) -> String {
    format!("oidc:{host}@{account}")
}

/// The provider key of the account with this id: its name's, or the id's
/// for an account the config does not name.
fn alias_key(config: &Config, id: &str) -> String {
    config
        .accounts()
        .iter()
        .find(|a| a.id.as_str() == id)
        .map_or_else(|| format!("id:{id}"), |a| format!("account:{}", a.name))
}

/// The resource that attaches a base identity's policy: a user's or a role's.
fn identity_kind(arn: &str) -> &'static str {
    if arn_resource(arn).0 == "user" {
        "aws_iam_user_policy"
    } else {
        "aws_iam_role_policy"
    }
}

/// Terraform names, unique per resource type (and per provider alias).
///
/// A name is its thing's slug. When different things of one type share a
/// slug (`a-b` and `a.b`), each of them gets its slug plus `_` and eight hex
/// digits of a hash of its exact key: the same names whatever order the
/// config lists them in, and names of things that do not collide never
/// change.
#[derive(Default)]
struct Names {
    /// (namespace, key) -> slug.
    wants: BTreeMap<(&'static str, String), String>,
}

impl Names {
    fn want(&mut self, namespace: &'static str, key: &str, slug: &str) {
        self.wants
            .insert((namespace, key.to_owned()), slug.to_owned());
    }

    fn assign(self) -> BTreeMap<(&'static str, String), String> {
        let mut by_slug: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for ((ns, _), slug) in &self.wants {
            *by_slug.entry((ns, slug.as_str())).or_default() += 1;
        }
        let mut out: BTreeMap<(&'static str, String), String> = self
            .wants
            .iter()
            .map(|((ns, key), slug)| {
                let name = if by_slug[&(*ns, slug.as_str())] > 1 {
                    format!("{slug}_{:08x}", fnv1a(key) as u32)
                } else {
                    slug.clone()
                };
                ((*ns, key.clone()), name)
            })
            .collect();
        // A hashed name equal to another thing's slug: vanishingly rare,
        // settled by a counter in key order so that it is still stable.
        let mut seen: BTreeSet<(&str, String)> = BTreeSet::new();
        for ((ns, _), name) in out.iter_mut() {
            let mut candidate = name.clone();
            let mut n = 1;
            while !seen.insert((ns, candidate.clone())) {
                n += 1;
                candidate = format!("{name}_{n}");
            }
            *name = candidate;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_identifiers() {
        assert_eq!(slug("terraform-state"), "terraform_state");
        assert_eq!(slug("Deploy+Role=1,x.y@z"), "deploy_role_1_x_y_z");
        assert_eq!(slug("1st"), "_1st");
        assert_eq!(slug("_x"), "_x");
    }

    #[test]
    fn colliding_slugs_all_get_a_hash_whatever_the_order() {
        let names = |order: &[&str]| {
            let mut n = Names::default();
            for k in order {
                n.want("aws_iam_role", k, &slug(k));
            }
            n.want("aws_iam_role_policy", "a-b", "a_b");
            n.assign()
        };
        let one = names(&["a-b", "a.b", "c"]);
        let two = names(&["c", "a.b", "a-b"]);
        assert_eq!(one, two);
        let get = |k: &str| one[&("aws_iam_role", k.to_owned())].clone();
        assert_eq!(get("c"), "c");
        assert_ne!(get("a-b"), get("a.b"));
        assert!(get("a-b").starts_with("a_b_") && get("a-b").len() == "a_b_".len() + 8);
        // Another type is another namespace.
        assert_eq!(one[&("aws_iam_role_policy", "a-b".to_owned())], "a_b");
    }

    #[test]
    fn latin1_escapes_only_what_iam_refuses() {
        let json = "{\"k\": \"café ключ \u{1F600}\"}";
        let escaped = latin1(json);
        assert_eq!(
            escaped,
            r#"{"k": "café \u043a\u043b\u044e\u0447 \ud83d\ude00"}"#
        );
        assert!(escaped.chars().all(|c| u32::from(c) <= 0xFF));
    }

    #[test]
    fn arns_split_into_account_kind_and_name() {
        let arn = "arn:aws:iam::111111111111:user/ci/terraform-ci";
        assert_eq!(arn_account(arn), "111111111111");
        assert_eq!(arn_resource(arn), ("user", "terraform-ci"));
        assert_eq!(
            arn_resource("arn:aws-cn:iam::222222222222:role/x"),
            ("role", "x")
        );
    }
}
