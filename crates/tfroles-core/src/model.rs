//! The validated model: the blocks of `tfroles.hcl` as plain data, and the
//! lookups on it. What makes it from the file is in [`crate::validate`];
//! nothing here checks or parses.

use std::path::PathBuf;

use crate::access::{Bootstrap, Permissions, Trust};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result, did_you_mean, list};
use crate::naming::{SessionNames, SessionTemplate, SourceIdentityTemplate};
use crate::stacks::StackPattern;
use crate::types::*;

/// Settings every block inherits unless it sets its own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Defaults {
    /// Region of stacks and the state bucket that set none.
    pub region: Option<Region>,
    /// Session name (a template) of roles that set none (`tfroles`).
    pub session_name: SessionTemplate,
    /// Session duration of roles that set none (`1h`).
    pub duration: Duration,
    /// How generated blocks get credentials.
    pub credentials: CredentialsMode,
    /// File the backend block is written to in each stack (`backend.tf`).
    pub backend_file: TfFileName,
    /// File the provider blocks are written to in each stack (`providers.tf`).
    pub providers_file: TfFileName,
    /// Partition of every ARN (`aws`).
    pub partition: Partition,
    /// Tags every generated `provider "aws"` puts on what it creates; roles,
    /// stacks and providers add to them and override them key by key.
    pub default_tags: DefaultTags,
}

/// An `account "NAME"` block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// The block label.
    pub name: AccountName,
    /// The 12-digit id.
    pub id: AccountId,
}

/// A `role "NAME"` block: one IAM role of that name in each of its accounts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Role {
    /// The IAM role name (the block label).
    pub name: RoleName,
    /// The accounts the role exists in, in the order written.
    pub accounts: Vec<AccountName>,
    /// The IAM path (`/`).
    pub path: IamPath,
    /// Required by the role's trust policy, passed on AssumeRole.
    pub external_id: Option<ExternalId>,
    /// Overrides the default session name (a template).
    pub session_name: Option<SessionTemplate>,
    /// Overrides the default session duration.
    pub duration: Option<Duration>,
    /// Session tags passed on AssumeRole.
    pub tags: SessionTags,
    /// Source identity set on AssumeRole (a template, like `session_name`).
    pub source_identity: Option<SourceIdentityTemplate>,
    /// A role to assume first; this one is assumed with its session (role
    /// chaining, capped by AWS at one hour).
    pub via: Option<RoleName>,
    /// The MFA device the role's trust policy requires.
    pub mfa_serial: Option<MfaSerial>,
    /// What the role may do.
    pub permissions: Permissions,
    /// Who may assume the role; `None` when the block has no `trust`, which
    /// trusts every identity with an `arn`.
    pub trust: Option<Trust>,
    /// Tags of the providers that assume this role, over the defaults'.
    pub default_tags: DefaultTags,
    /// `module_roles = true`: every stack using this role gives the
    /// modules it calls their own roles (see [`crate::modules`]).
    pub module_roles: bool,
}

/// An `identity "NAME"` block: where credentials start. Either a CI
/// system's OIDC token (`web_identity`), used where that token is on offer,
/// or an IAM user or role people or CI start from (`arn`), which gets a
/// policy allowing nothing but assuming its roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The label.
    pub name: String,
    /// Which of the two it is.
    pub kind: IdentityKind,
}

/// Where an identity's credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityKind {
    /// A CI system's OIDC token (`web_identity`), exchanged for a role's
    /// session with AssumeRoleWithWebIdentity.
    Web(WebIdentitySource),
    /// An IAM user or role (`arn`, never an account's root).
    Base(PrincipalArn),
}

impl Identity {
    /// Where the token comes from, for a web identity.
    pub fn source(&self) -> Option<&WebIdentitySource> {
        match &self.kind {
            IdentityKind::Web(source) => Some(source),
            IdentityKind::Base(_) => None,
        }
    }

    /// The IAM user or role ARN, for a base identity.
    pub fn arn(&self) -> Option<&PrincipalArn> {
        match &self.kind {
            IdentityKind::Web(_) => None,
            IdentityKind::Base(arn) => Some(arn),
        }
    }
}

// The JSON shape `tfroles` has always printed: both fields, one of them null.
impl serde::Serialize for Identity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Identity", 3)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("source", &self.source())?;
        st.serialize_field("arn", &self.arn())?;
        st.end()
    }
}

/// The `state` block: terraform's s3 backend.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct State {
    /// The account holding the bucket.
    pub account: AccountName,
    /// The bucket.
    pub bucket: BucketName,
    /// The bucket's region.
    pub region: Region,
    /// The role the backend assumes.
    pub role: RoleName,
    /// Prepended to every stack's key.
    pub key_prefix: Option<KeyPrefix>,
    /// S3-native locking (`true`).
    pub use_lockfile: bool,
    /// DynamoDB lock table (deprecated by terraform since 1.11).
    pub dynamodb_table: Option<LockTable>,
    /// Server-side encryption (`true`).
    pub encrypt: bool,
    /// KMS key for the state objects.
    pub kms_key_id: Option<KmsKeyId>,
    /// Prefix of non-default workspaces' keys.
    pub workspace_key_prefix: Option<KeyPrefix>,
    /// One state role per stack instead of one shared role narrowed per
    /// stack by a session policy.
    pub role_per_stack: bool,
    /// What `s3:ListBucket` covers in the state policies.
    pub list_scope: crate::types::ListScope,
}

/// A `provider "ALIAS"` block inside a stack: an aliased `provider "aws"`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProviderSpec {
    /// The alias.
    pub alias: ProviderAlias,
    /// Region; the stack's when unset.
    pub region: Option<Region>,
    /// Account; the stack's when unset.
    pub account: Option<AccountName>,
    /// Role; the stack's (or the workspace's) when unset.
    pub role: Option<RoleName>,
    /// Tags over the stack's, key by key.
    pub default_tags: DefaultTags,
}

/// A `workspace "NAME"` block inside a stack: one terraform workspace of
/// the directory, with what it changes. A stack with workspace blocks is
/// usable in exactly those workspaces (`default` only if listed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkspaceSpec {
    /// The workspace name (the block label).
    pub name: WorkspaceName,
    /// Account; the stack's when unset.
    pub account: Option<AccountName>,
    /// Role; the stack's when unset.
    pub role: Option<RoleName>,
    /// Region; the stack's (or the default) when unset.
    pub region: Option<Region>,
    /// Accounts the providers may run against: when unset, the workspace's
    /// account if it names one, else the stack's `allowed_account_ids`.
    pub allowed_account_ids: Option<Vec<AccountId>>,
    #[serde(skip)]
    pub(crate) loc: Option<Location>,
}

/// A `stack "PATH"` block: one directory, or a glob of directories.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StackSpec {
    /// The label: an exact directory or a glob.
    pub pattern: StackPattern,
    /// The account of the default provider.
    pub account: AccountName,
    /// The provisioning role of the default provider.
    pub role: RoleName,
    /// Region; the default region when unset.
    pub region: Option<Region>,
    /// Accounts the providers may run against; the stack's account when unset.
    pub allowed_account_ids: Option<Vec<AccountId>>,
    /// Aliased providers.
    pub providers: Vec<ProviderSpec>,
    /// Tags of the stack's providers, over the role's.
    pub default_tags: DefaultTags,
    /// Workspaces, in the order written; empty when the stack names none
    /// (then terraform's workspaces are not restricted, as before).
    pub workspaces: Vec<WorkspaceSpec>,
    /// `module_roles = true`: the modules this stack calls get their own
    /// roles and providers (see [`crate::modules`]).
    pub module_roles: bool,
    #[serde(skip)]
    pub(crate) loc: Option<Location>,
}

impl StackSpec {
    /// How the block reads in messages: `stack "qa/*"`.
    pub fn describe(&self) -> String {
        format!("stack {:?}", self.pattern.as_str())
    }

    /// What the default provider works with in each workspace, the
    /// workspace's settings over the stack's: one entry with no workspace
    /// for a stack without workspace blocks, else one per workspace block.
    pub fn targets(&self) -> Vec<Target<'_>> {
        if self.workspaces.is_empty() {
            return vec![Target {
                workspace: None,
                account: &self.account,
                role: &self.role,
                region: self.region.as_ref(),
                allowed_account_ids: self.allowed_account_ids.as_deref(),
            }];
        }
        self.workspaces
            .iter()
            .map(|w| Target {
                workspace: Some(&w.name),
                account: w.account.as_ref().unwrap_or(&self.account),
                role: w.role.as_ref().unwrap_or(&self.role),
                region: w.region.as_ref().or(self.region.as_ref()),
                // A workspace in another account does not inherit the
                // stack's list, which names the stack's account.
                allowed_account_ids: match (&w.allowed_account_ids, &w.account) {
                    (Some(ids), _) => Some(ids.as_slice()),
                    (None, Some(_)) => None,
                    (None, None) => self.allowed_account_ids.as_deref(),
                },
            })
            .collect()
    }
}

/// The default provider's settings in one workspace of a stack (see
/// [`StackSpec::targets`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// The workspace; `None` for a stack without workspace blocks.
    pub workspace: Option<&'a WorkspaceName>,
    /// The account.
    pub account: &'a AccountName,
    /// The role.
    pub role: &'a RoleName,
    /// The region, when the stack or workspace sets one.
    pub region: Option<&'a Region>,
    /// The allowed accounts written for it; `None`: its account only.
    pub allowed_account_ids: Option<&'a [AccountId]>,
}

/// A validated `tfroles.hcl`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Config {
    /// The config file as named (relative paths stay relative).
    pub(crate) file: PathBuf,
    /// The directory stacks are relative to.
    pub(crate) root: PathBuf,
    /// The `defaults` block, with tfroles' defaults filled in.
    pub(crate) defaults: Defaults,
    /// Accounts in the order written.
    pub(crate) accounts: Vec<Account>,
    /// The state backend.
    pub(crate) state: State,
    /// Roles in the order written.
    pub(crate) roles: Vec<Role>,
    /// Stack blocks in the order written.
    pub(crate) stacks: Vec<StackSpec>,
    /// Identities in the order written.
    pub(crate) identities: Vec<Identity>,
    /// The `bootstrap` block, if any.
    pub(crate) bootstrap: Option<Bootstrap>,
    /// What is allowed but probably not meant (trust that admits every
    /// branch of a repository to a role that can write). The library
    /// prints nothing; `validate` and `generate` show these on stderr.
    #[serde(skip)]
    pub(crate) warnings: Vec<Diagnostic>,
    /// The roles of the modules the stacks call, once
    /// [`Config::with_module_roles`] has found them: their roles are in
    /// `roles` too, and their providers in each calling stack's.
    #[serde(skip)]
    pub(crate) modules: crate::modules::ModuleRoles,
    /// Where each role's block is, in the order of `roles`, for errors
    /// found after validation (a policy that does not fit).
    #[serde(skip)]
    pub(crate) role_locs: Vec<Option<Location>>,
}

/// Everything AssumeRole needs for one role in one account, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoleSession {
    /// The role name.
    pub role: RoleName,
    /// The account's name in the config.
    pub account: AccountName,
    /// The account's id.
    pub account_id: AccountId,
    /// The role's ARN.
    pub arn: RoleArn,
    /// External id, if the role has one.
    pub external_id: Option<ExternalId>,
    /// Session name: the role's template, else the default, rendered for
    /// this session (see [`crate::naming`]).
    pub session_name: SessionName,
    /// The template it was rendered from.
    #[serde(skip)]
    pub session_template: SessionTemplate,
    /// Duration: the role's, else the default.
    pub duration: Duration,
    /// Session tags.
    pub tags: SessionTags,
    /// Source identity: the role's template rendered for this session
    /// (`None` outside a stack when the template names `{stack}`).
    pub source_identity: Option<SourceIdentity>,
    /// The template it was rendered from.
    #[serde(skip)]
    pub source_identity_template: Option<SourceIdentityTemplate>,
    /// The MFA device, if the role requires one.
    pub mfa_serial: Option<MfaSerial>,
    /// The session to assume first, when the role says `via`.
    pub via: Option<Box<RoleSession>>,
}

impl Config {
    /// The config file as named (relative paths stay relative).
    pub fn file(&self) -> &std::path::Path {
        &self.file
    }

    /// The directory stacks are relative to (the config file's directory
    /// when loaded from a file).
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// The `defaults` block, with tfroles' defaults filled in.
    pub fn defaults(&self) -> &Defaults {
        &self.defaults
    }

    /// The `account` blocks in the order written.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The `state` block: the backend every stack uses.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The `role` blocks in the order written.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The `stack` blocks in the order written (labels, not yet matched
    /// against directories: see [`Config::resolve`]).
    pub fn stacks(&self) -> &[StackSpec] {
        &self.stacks
    }

    /// The `identity` blocks in the order written.
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// The `bootstrap` block, if any.
    pub fn bootstrap(&self) -> Option<&Bootstrap> {
        self.bootstrap.as_ref()
    }

    /// The module roles and calls [`Config::with_module_roles`] found
    /// (none before it runs, or without `module_roles`).
    pub fn module_roles(&self) -> &crate::modules::ModuleRoles {
        &self.modules
    }

    /// What is allowed but probably not meant (trust that admits every
    /// branch of a repository to a role that can write). The library prints
    /// nothing; `validate` and `generate` show these on stderr.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The account of that name.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name.as_str() == name)
    }

    /// The role of that name.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name.as_str() == name)
    }

    /// The session settings for `role` in `account` (the role's only account
    /// when `account` is `None` and it has just one).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the role or account when either is unknown,
    /// the role does not exist in the account, or the account is ambiguous.
    pub fn session(&self, role: &str, account: Option<&str>) -> Result<RoleSession> {
        let invalid = |message: String, allowed: Option<String>, hint: Option<String>| {
            Error::Invalid(Diagnostics(vec![Diagnostic {
                file: self.file.clone(),
                location: None,
                block: None,
                attribute: None,
                message,
                allowed,
                hint,
            }]))
        };
        let Some(r) = self.role(role) else {
            let names: Vec<&str> = self.roles.iter().map(|r| r.name.as_str()).collect();
            return Err(invalid(
                format!("there is no role `{role}`"),
                Some(list(&names)),
                did_you_mean(role, &names),
            ));
        };
        let account = match account {
            Some(a) => a,
            None if r.accounts.len() == 1 => r.accounts[0].as_str(),
            None => {
                return Err(invalid(
                    format!("role `{role}` exists in several accounts"),
                    Some(list(
                        &r.accounts.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                    )),
                    Some("name one with `--account`".into()),
                ));
            }
        };
        let Some(acct) = self.account(account) else {
            let names: Vec<&str> = self.accounts.iter().map(|a| a.name.as_str()).collect();
            return Err(invalid(
                format!("there is no account `{account}`"),
                Some(list(&names)),
                did_you_mean(account, &names),
            ));
        };
        if !r.accounts.contains(&acct.name) {
            return Err(invalid(
                format!("role `{role}` does not exist in account `{account}`"),
                Some(list(
                    &r.accounts.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                )),
                Some(format!(
                    "add `{account}` to the `accounts` of role `{role}`"
                )),
            ));
        }
        Ok(self.session_unchecked(r, acct))
    }

    fn session_unchecked(&self, r: &Role, acct: &Account) -> RoleSession {
        let template = r
            .session_name
            .clone()
            .unwrap_or_else(|| self.defaults.session_name.clone());
        RoleSession {
            role: r.name.clone(),
            account: acct.name.clone(),
            account_id: acct.id.clone(),
            arn: RoleArn::new(self.defaults.partition, &acct.id, &r.path, &r.name),
            external_id: r.external_id.clone(),
            session_name: template.render(
                r.name.as_str(),
                acct.name.as_str(),
                &SessionNames::default(),
            ),
            session_template: template,
            duration: r.duration.unwrap_or(self.defaults.duration),
            tags: r.tags.clone(),
            source_identity: r.source_identity.as_ref().and_then(|t| {
                t.render(
                    r.name.as_str(),
                    acct.name.as_str(),
                    &SessionNames::default(),
                )
            }),
            source_identity_template: r.source_identity.clone(),
            mfa_serial: r.mfa_serial.clone(),
            via: r.via.as_ref().map(|v| {
                let first = self
                    .role(v.as_str())
                    .expect("validated: `via` names a role");
                let account = via_account(first, &acct.name)
                    .and_then(|a| self.account(a.as_str()))
                    .expect("validated: the `via` role's account is known");
                Box::new(self.session_unchecked(first, account))
            }),
        }
    }

    /// Every role instance: each role in each of its accounts, in config order.
    pub fn role_sessions(&self) -> Vec<RoleSession> {
        self.roles
            .iter()
            .flat_map(|r| {
                r.accounts.iter().filter_map(move |a| {
                    self.account(a.as_str())
                        .map(|acct| self.session_unchecked(r, acct))
                })
            })
            .collect()
    }

    /// The state backend's session.
    pub fn state_session(&self) -> RoleSession {
        self.session(self.state.role.as_str(), Some(self.state.account.as_str()))
            .expect("validated: the state role exists in the state account")
    }

    /// Whether a role instance is the state role: the `state` block's role
    /// in the state account. The same role name in another account is a
    /// role like any other, with no access to state.
    pub fn is_state_session(&self, session: &RoleSession) -> bool {
        session.role == self.state.role && session.account == self.state.account
    }

    pub(crate) fn session_for(&self, role: &RoleName, account: &AccountName) -> RoleSession {
        self.session(role.as_str(), Some(account.as_str()))
            .expect("validated: stack roles exist in their accounts")
    }
}

impl RoleSession {
    /// The same session named for `names` (the stack it is used in, the
    /// user and run), and so is each session of its `via` chain.
    #[must_use]
    pub fn named(mut self, names: &SessionNames<'_>) -> Self {
        self.session_name =
            self.session_template
                .render(self.role.as_str(), self.account.as_str(), names);
        self.source_identity = self
            .source_identity_template
            .as_ref()
            .and_then(|t| t.render(self.role.as_str(), self.account.as_str(), names));
        self.via = self.via.map(|v| Box::new(v.named(names)));
        self
    }
}

/// The account a `via` role is assumed in for a role in `target`: the same
/// account when the `via` role exists there, else its only account.
pub(crate) fn via_account<'r>(via: &'r Role, target: &AccountName) -> Option<&'r AccountName> {
    if via.accounts.contains(target) {
        via.accounts.iter().find(|a| *a == target)
    } else if via.accounts.len() == 1 {
        via.accounts.first()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An identity is one of two kinds in the model, and prints in JSON
    /// as it always has: both fields, the other one null.
    #[test]
    fn identities_are_one_kind_and_keep_their_json_shape() {
        let config = Config::from_str(
            r#"
            defaults { region = "us-east-1" }
            account "shared" { id = "111111111111" }
            state {
              account = "shared"
              bucket  = "acme-terraform-state"
              role    = "terraform-state"
            }
            role "terraform-state" { account = "shared" }
            identity "ci" { web_identity = "github" }
            identity "alice" { arn = "arn:aws:iam::111111111111:user/alice" }
            "#,
        )
        .unwrap();
        let [ci, alice] = &config.identities[..] else {
            panic!("two identities: {:?}", config.identities);
        };
        assert!(matches!(
            &ci.kind,
            IdentityKind::Web(WebIdentitySource::GitHub { .. })
        ));
        assert_eq!(ci.arn(), None);
        assert_eq!(
            alice.arn().map(PrincipalArn::as_str),
            Some("arn:aws:iam::111111111111:user/alice")
        );
        assert_eq!(alice.source(), None);
        assert_eq!(
            serde_json::to_value(alice).unwrap(),
            serde_json::json!({
                "name": "alice",
                "source": null,
                "arn": "arn:aws:iam::111111111111:user/alice",
            })
        );
        let ci_json = serde_json::to_value(ci).unwrap();
        assert_eq!(ci_json["name"], "ci");
        assert_eq!(ci_json["arn"], serde_json::Value::Null);
        assert_eq!(
            ci_json["source"],
            serde_json::to_value(ci.source().unwrap()).unwrap()
        );
    }
}
