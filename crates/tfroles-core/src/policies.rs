//! The IAM policies a config implies: each role's permissions and trust,
//! the session policies that narrow a session further, and the base
//! identities' policies. Everything here is derived from the validated
//! [`Config`] and the resolved stacks; nothing does I/O.
//!
//! | policy | for | what it allows |
//! |---|---|---|
//! | [`Config::permissions_policy`] of the state role | the s3 backend | `s3:ListBucket` with an `s3:prefix` condition, Get/Put on the stacks' state keys, Get/Put/Delete on their `.tflock`, DynamoDB and KMS only when configured |
//! | [`Config::permissions_policy`] of a provisioning role | providers | `services` at `access` levels, `actions`, minus `deny_actions`, on `resources` |
//! | [`Config::session_policy`] of the state role | one stack's backend | that stack's keys only |
//! | [`Config::session_policy`] of a provisioning role | every session unless `--allow-delete` | everything the role allows but its delete class |
//! | [`Config::trust_policy`] | who may assume | `aws`, `service`, OIDC subjects, `via` roles; external id, MFA, tags, source identity |
//! | [`Config::identity_policy`] | a base identity | `sts:AssumeRole` on exactly its roles |

use std::collections::{BTreeMap, BTreeSet};

use tfroles_policy::{
    AccessLevel, Catalog, DELETE_VERBS, PolicyDocument, Principal, SizeLimit, Statement,
};

use crate::access::{Permissions, Trust, TrustedAws};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::model::{Config, Role, RoleSession};
use crate::naming::Placeholder;
use crate::resolve::Stack;
use crate::types::{ListScope, RoleArn, RoleName, StackPath, fnv1a};

/// The three kinds of policy `tfroles policy` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Who may assume the role.
    Trust,
    /// What the role may do.
    Permissions,
    /// What one session may do, within the role.
    Session,
}

/// Writes literal text into an IAM ARN pattern or condition value: `*`,
/// `?` and `${` would otherwise be a wildcard or a policy variable, so they
/// become IAM's escapes `${*}`, `${?}` and `${$}{`.
pub(crate) fn iam_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str("${*}"),
            '?' => out.push_str("${?}"),
            '$' if chars.peek() == Some(&'{') => out.push_str("${$}"),
            c => out.push(c),
        }
    }
    out
}

/// The Sids of generated statements, named for what they are for;
/// `tfroles explain` names the rule that decided a request by them.
#[allow(missing_docs)]
pub mod sid {
    pub const LIST: &str = "ListStateKeys";
    pub const LIST_BUCKET: &str = "ListStateBucket";
    pub const STATE: &str = "ReadWriteState";
    pub const LOCK: &str = "LockState";
    pub const TABLE: &str = "LockTable";
    pub const KMS: &str = "EncryptState";
    pub const GRANTS: &str = "Grants";
    pub const EXCLUDED: &str = "AccessLevelsNotGranted";
    pub const DENY: &str = "DenyActions";
    pub const CHAIN: &str = "AssumeNextRoles";
    pub const CHAIN_TAGS: &str = "TagNextSessions";
    pub const SESSION_ALLOW: &str = "WithinTheRole";
    pub const NO_DELETES: &str = "NoDeletesWithoutAllowDelete";
    pub const ASSUME: &str = "AssumeRole";
    pub const TAGS: &str = "TagSession";
    pub const SOURCE: &str = "SetSourceIdentity";
    pub const SERVICES: &str = "Services";
    pub const IDENTITY_ASSUME: &str = "AssumeTfrolesRoles";
    pub const IDENTITY_TAGS: &str = "TagTfrolesSessions";
    pub const IDENTITY_SOURCE: &str = "SetSourceIdentityOnTfrolesSessions";
    pub const NO_STATE: &str = "NoStateAccess";
    pub const NO_LOCK_TABLE: &str = "NoStateLockTable";
    pub const NO_STATE_KEY: &str = "NoStateKey";
}

impl Config {
    fn policy_error(&self, role: Option<&RoleName>, message: String, hint: &str) -> Error {
        let loc = role.and_then(|r| {
            self.roles
                .iter()
                .position(|x| &x.name == r)
                .and_then(|i| self.role_locs.get(i).copied().flatten())
        });
        Error::Invalid(Diagnostics(vec![Diagnostic {
            file: self.file.clone(),
            location: loc,
            block: Some(match role {
                Some(r) if self.state.role == *r => {
                    format!("role {:?} (the state role)", r.as_str())
                }
                Some(r) => format!("role {:?}", r.as_str()),
                None => "state".into(),
            }),
            attribute: None,
            message,
            allowed: None,
            hint: Some(hint.into()),
        }]))
    }

    fn s3_arn(&self, key: Option<&str>) -> String {
        let p = self.defaults.partition;
        match key {
            Some(k) => format!("arn:{p}:s3:::{}/{}", self.state.bucket, iam_literal(k)),
            None => format!("arn:{p}:s3:::{}", self.state.bucket),
        }
    }

    fn workspace_prefix(&self) -> String {
        self.state
            .workspace_key_prefix
            .as_ref()
            .map_or_else(|| "env:".to_owned(), ToString::to_string)
    }

    /// The state permissions for these key sets (each a stack's key, or a
    /// key pattern already written as an IAM pattern when `patterns` is
    /// true, with its workspaces' keys when the stack lists workspaces).
    fn state_statements(&self, sets: &[KeySet], patterns: bool, session: bool) -> Vec<Statement> {
        let keys = self.state_keys(sets, patterns);
        let p = self.defaults.partition;
        let bucket = &self.state.bucket;
        let obj = |k: &str| format!("arn:{p}:s3:::{bucket}/{k}");
        let state: Vec<String> = keys.objects.iter().map(|k| obj(k)).collect();
        let mut out = vec![
            self.list_statement(keys.listed.clone(), patterns),
            Statement::allow(["s3:GetObject", "s3:PutObject"], state).with_sid(sid::STATE),
        ];
        if self.state.use_lockfile {
            let lock: Vec<String> = keys
                .objects
                .iter()
                .map(|k| obj(&format!("{k}.tflock")))
                .collect();
            out.push(
                Statement::allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], lock)
                    .with_sid(sid::LOCK),
            );
        }
        if let Some(table) = &self.state.dynamodb_table {
            out.push(self.lock_table_statement(table.as_str(), &keys, patterns, session));
        }
        if let Some(key) = self.state_key() {
            out.push(
                key.statement(Statement::allow(
                    ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                    key.resources.clone(),
                ))
                .with_sid(sid::KMS),
            );
        }
        out
    }

    /// Every object key (IAM form) the sets cover, the keys the listing
    /// condition names, and whether a `*` stands for any workspace.
    fn state_keys(&self, sets: &[KeySet], patterns: bool) -> StateKeys {
        let lit = |k: &str| {
            if patterns {
                k.to_owned()
            } else {
                iam_literal(k)
            }
        };
        let wsp = self.workspace_prefix();
        let any_workspace = self.state.workspace_key_prefix.is_some();
        let mut keys = StateKeys {
            objects: Vec::new(),
            listed: Vec::new(),
            wildcard: false,
        };
        for set in sets {
            match &set.workspaces {
                // A stack with workspace blocks: exactly its workspaces.
                Some(ws) => {
                    keys.objects.extend(ws.iter().map(|k| lit(k)));
                    keys.listed.extend(ws.iter().map(|k| lit(k)));
                }
                None => {
                    keys.objects.push(lit(&set.key));
                    keys.listed.push(lit(&set.key));
                    if any_workspace {
                        keys.objects
                            .push(format!("{}/*/{}", iam_literal(&wsp), lit(&set.key)));
                        keys.wildcard = true;
                    }
                }
            }
        }
        keys
    }

    /// `s3:ListBucket` on the state bucket, as `list_scope` says: the whole
    /// bucket, or only the workspace prefix and the `listed` keys.
    fn list_statement(&self, listed: Vec<String>, patterns: bool) -> Statement {
        let list = Statement::allow(["s3:ListBucket"], [self.s3_arn(None)]);
        match self.state.list_scope {
            // S3 turns a missing key into 404 (not 403) only for a caller
            // with ListBucket; whether it applies an `s3:prefix` condition
            // in that check is undocumented, so the default grants the
            // bucket's listing outright.
            ListScope::Bucket => list.with_sid(sid::LIST_BUCKET),
            ListScope::StateKeys => {
                // terraform lists `<workspace_key_prefix>/` to find
                // workspaces on every init; the keys themselves are listed
                // by nothing, but naming them keeps a missing state a 404
                // rather than a 403 where AWS evaluates the prefix.
                let mut prefixes = vec![format!("{}/", self.workspace_prefix())];
                prefixes.extend(listed);
                let operator = if patterns {
                    "StringLike"
                } else {
                    "StringEquals"
                };
                list.with_sid(sid::LIST)
                    .with_condition(operator, "s3:prefix", prefixes)
            }
        }
    }

    /// The DynamoDB lock table's items; in a session policy only the lock
    /// ids of these keys.
    fn lock_table_statement(
        &self,
        table: &str,
        keys: &StateKeys,
        patterns: bool,
        session: bool,
    ) -> Statement {
        let p = self.defaults.partition;
        let bucket = &self.state.bucket;
        let acct = self
            .account(self.state.account.as_str())
            .expect("validated");
        // The backend never calls DescribeTable (only terraform's own
        // tests do), so it is not granted.
        let st = Statement::allow(
            [
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
            ],
            [format!(
                "arn:{p}:dynamodb:{}:{}:table/{table}",
                self.state.region, acct.id
            )],
        )
        .with_sid(sid::TABLE);
        if !session {
            return st;
        }
        // Lock ids are `<bucket>/<key>` and `<bucket>/<key>-md5`.
        let mut ids = Vec::new();
        for k in &keys.objects {
            ids.push(format!("{bucket}/{k}"));
            ids.push(format!("{bucket}/{k}-md5"));
        }
        let op = if keys.wildcard || patterns {
            "ForAllValues:StringLike"
        } else {
            "ForAllValues:StringEquals"
        };
        st.with_condition(op, "dynamodb:LeadingKeys", ids)
    }

    /// The state's KMS key as IAM resources: its ARN, or for an alias every
    /// key of the account narrowed to the one the alias points to.
    fn state_key(&self) -> Option<StateKey> {
        let key = self.state.kms_key_id.as_ref()?.as_str();
        let acct = self
            .account(self.state.account.as_str())
            .expect("validated");
        let p = self.defaults.partition;
        let region = &self.state.region;
        Some(if key.starts_with("arn:") && !key.contains(":alias/") {
            StateKey {
                resources: vec![key.to_owned()],
                alias: None,
            }
        } else if let Some(alias) = key
            .strip_prefix("alias/")
            .or_else(|| key.split_once(":alias/").map(|(_, a)| a))
        {
            // An alias names no key ARN; the key it points to is matched by
            // the alias instead.
            StateKey {
                resources: vec![format!("arn:{p}:kms:{region}:{}:key/*", acct.id)],
                alias: Some(format!("alias/{alias}")),
            }
        } else {
            StateKey {
                resources: vec![format!("arn:{p}:kms:{region}:{}:key/{key}", acct.id)],
                alias: None,
            }
        })
    }

    /// The statements every role but the state role carries: no access to
    /// the state bucket and its objects, the lock table or the state key.
    /// A bucket ARN names no account and a bucket policy can open a bucket
    /// across accounts, so roles in every account carry them; a Deny beats
    /// any Allow, including a policy attached later by hand.
    pub(crate) fn state_guard(&self) -> Vec<Statement> {
        let mut out = vec![
            Statement::deny(
                ["s3:*"],
                [self.s3_arn(None), format!("{}/*", self.s3_arn(None))],
            )
            .with_sid(sid::NO_STATE),
        ];
        if let Some(table) = &self.state.dynamodb_table {
            let acct = self
                .account(self.state.account.as_str())
                .expect("validated");
            let arn = format!(
                "arn:{}:dynamodb:{}:{}:table/{table}",
                self.defaults.partition, self.state.region, acct.id
            );
            out.push(
                Statement::deny(["dynamodb:*"], [arn.clone(), format!("{arn}/*")])
                    .with_sid(sid::NO_LOCK_TABLE),
            );
        }
        if let Some(key) = self.state_key() {
            out.push(
                key.statement(Statement::deny(["kms:*"], key.resources.clone()))
                    .with_sid(sid::NO_STATE_KEY),
            );
        }
        out
    }

    /// The permissions of the state role: exactly what the backend needs
    /// for these stacks. Each stack's key is listed; when that would not
    /// fit in a role's inline policies, each `stack` block's keys are
    /// written as one pattern instead (a glob's `*` and `**` become `*`).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when even the patterns do not fit.
    pub fn state_permissions(&self, stacks: &[Stack]) -> Result<PolicyDocument> {
        let keys: Vec<KeySet> = stacks.iter().map(KeySet::of).collect();
        let exact = PolicyDocument::new(self.state_statements(&keys, false, false));
        if SizeLimit::InlineRolePolicies
            .check(std::slice::from_ref(&exact))
            .is_ok()
        {
            return Ok(exact);
        }
        let blocks: BTreeSet<usize> = stacks.iter().map(|s| s.block).collect();
        let patterns: Vec<KeySet> = blocks
            .iter()
            .map(|b| {
                let key = self.key_pattern(*b);
                let spec = &self.stacks[*b];
                KeySet {
                    workspaces: (!spec.workspaces.is_empty()).then(|| {
                        spec.workspaces
                            .iter()
                            .map(|w| {
                                if w.name.is_default() {
                                    key.clone()
                                } else {
                                    format!(
                                        "{}/{}/{key}",
                                        iam_literal(&self.workspace_prefix()),
                                        iam_literal(w.name.as_str())
                                    )
                                }
                            })
                            .collect()
                    }),
                    key,
                }
            })
            .collect();
        let doc = PolicyDocument::new(self.state_statements(&patterns, true, false));
        match SizeLimit::InlineRolePolicies.check(std::slice::from_ref(&doc)) {
            Ok(_) => Ok(doc),
            Err(_) => Err(self.policy_error(
                Some(&self.state.role),
                format!(
                    "the state role's permissions are {} characters as compact JSON, over the {} AWS allows for a role's inline policies",
                    doc.compact_len(),
                    SizeLimit::InlineRolePolicies.max_chars()
                ),
                "fewer, broader `stack` blocks (globs) shorten it; so does a shorter `key_prefix`",
            )),
        }
    }

    /// The key pattern of every stack a `stack` block claims.
    fn key_pattern(&self, block: usize) -> String {
        let label = self.stacks[block].pattern.as_str();
        let parts: Vec<String> = label
            .split('/')
            .map(|part| {
                if part == "**" {
                    "*".to_owned()
                } else {
                    part.split('*')
                        .map(iam_literal)
                        .collect::<Vec<_>>()
                        .join("*")
                }
            })
            .collect();
        let path = parts.join("/");
        let key = match &self.state.key_prefix {
            Some(prefix) => format!("{}/{path}/terraform.tfstate", iam_literal(prefix.as_ref())),
            None => format!("{path}/terraform.tfstate"),
        };
        crate::types::nfc(&key).replace("*/*/", "*/")
    }

    /// The name of the state role a stack's backend assumes: the `state`
    /// block's role, or with `role_per_stack` one role per stack, named
    /// `<role>-<stack path with / as ->` (shortened with a hash to fit 64
    /// characters, or when the path has characters a role name cannot).
    pub fn state_role_for(&self, stack: &Stack) -> RoleName {
        if !self.state.role_per_stack {
            return self.state.role.clone();
        }
        let base = self.state.role.as_str();
        let slug: String = stack
            .path
            .as_str()
            .chars()
            .map(|c| match c {
                '/' => '-',
                c if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) => c,
                _ => '_',
            })
            .collect();
        let lossless = !stack
            .path
            .as_str()
            .chars()
            .any(|c| !(c == '/' || c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)));
        let name = format!("{base}-{slug}");
        let name = if lossless && name.len() <= 64 {
            name
        } else {
            let hash = format!("{:08x}", fnv1a(stack.path.as_str()) as u32);
            let room = 64 - hash.len() - 1;
            let mut head: String = name.chars().take(room).collect();
            while head.len() > room {
                head.pop();
            }
            format!("{head}-{hash}")
        };
        name.parse().expect("only role-name characters, at most 64")
    }

    /// The session a stack's backend uses: the state role's, or its own
    /// role's with `role_per_stack`.
    pub fn stack_state_session(&self, stack: &Stack) -> RoleSession {
        let mut session = self.state_session();
        if self.state.role_per_stack {
            let name = self.state_role_for(stack);
            let role = self.role(self.state.role.as_str()).expect("validated");
            session.arn = RoleArn::new(
                self.defaults.partition,
                &session.account_id,
                &role.path,
                &name,
            );
            session.role = name;
        }
        session
    }

    /// The session policy a stack's backend passes: only that stack's
    /// keys. `None` with `role_per_stack`, where the role itself is that
    /// narrow.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when it exceeds the 2,048 characters STS allows.
    pub fn state_session_policy(&self, stack: &Stack) -> Result<Option<PolicyDocument>> {
        if self.state.role_per_stack {
            return Ok(None);
        }
        // The same narrowing a per-stack role would have, as a session policy.
        let doc = self.per_stack_state_permissions(stack);
        match SizeLimit::SessionPolicy.check(std::slice::from_ref(&doc)) {
            Ok(_) => Ok(Some(doc)),
            Err(_) => Err(self.policy_error(
                Some(&self.state.role),
                format!(
                    "the backend session policy of stack {:?} is {} characters as compact JSON, over the {} STS allows",
                    stack.path.as_str(),
                    doc.compact_len(),
                    SizeLimit::SessionPolicy.max_chars()
                ),
                "shorten the stack's path or `key_prefix`, or set `role_per_stack = true` in `state`: one state role per stack needs no session policy",
            )),
        }
    }

    /// The session policy of a stack's backend in one terraform workspace:
    /// that workspace's state key and lock only (also with
    /// `role_per_stack`, where it narrows the stack's own role).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a name terraform would refuse, a workspace
    /// the stack does not list, or a policy over the STS limit.
    pub fn workspace_state_session_policy(
        &self,
        stack: &Stack,
        workspace: &str,
    ) -> Result<PolicyDocument> {
        let refuse = |message: String, hint: String| {
            Error::Invalid(crate::error::Diagnostics(vec![crate::error::Diagnostic {
                file: self.file.clone(),
                location: None,
                block: Some(self.stacks[stack.block].describe()),
                attribute: None,
                message,
                allowed: None,
                hint: Some(hint),
            }]))
        };
        let name: crate::types::WorkspaceName = workspace
            .parse()
            .map_err(|e: crate::types::InvalidValue| refuse(e.message, e.allowed))?;
        let key = match stack.workspaces.iter().find(|w| w.name == name) {
            Some(w) => w.state_key.clone(),
            None if stack.workspaces.is_empty() => {
                self.workspace_state_key(&stack.state_key, &name)
            }
            None => {
                let listed: Vec<&str> = stack.workspaces.iter().map(|w| w.name.as_str()).collect();
                return Err(refuse(
                    format!(
                        "stack {:?} does not list workspace `{name}`",
                        stack.path.as_str()
                    ),
                    format!(
                        "its workspaces: {}; add a `workspace \"{name}\" {{}}` block to use it",
                        crate::error::list(&listed)
                    ),
                ));
            }
        };
        let doc = PolicyDocument::new(self.state_statements(
            &[KeySet {
                key: stack.state_key.clone(),
                workspaces: Some(vec![key]),
            }],
            false,
            true,
        ));
        match SizeLimit::SessionPolicy.check(std::slice::from_ref(&doc)) {
            Ok(_) => Ok(doc),
            Err(_) => Err(self.policy_error(
                Some(&self.state.role),
                format!(
                    "the backend session policy of stack {:?} in workspace `{name}` is {} characters as compact JSON, over the {} STS allows",
                    stack.path.as_str(),
                    doc.compact_len(),
                    SizeLimit::SessionPolicy.max_chars()
                ),
                "shorten the stack's path or `key_prefix`",
            )),
        }
    }

    /// The permissions of one per-stack state role (`role_per_stack`).
    fn per_stack_state_permissions(&self, stack: &Stack) -> PolicyDocument {
        PolicyDocument::new(self.state_statements(
            std::slice::from_ref(&KeySet::of(stack)),
            false,
            true,
        ))
    }

    /// What a role may do in an account: the state permissions for the
    /// state role, the grants of a provisioning role, plus `sts:AssumeRole`
    /// on the roles assumed `via` this one.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown role or account, a role that
    /// grants nothing, or a policy over AWS's inline limit.
    pub fn permissions_policy(
        &self,
        role: &str,
        account: Option<&str>,
        stacks: &[Stack],
    ) -> Result<PolicyDocument> {
        let session = self.session(role, account)?;
        let r = self.role(role).expect("session found it");
        let is_state = self.is_state_session(&session);
        let mut doc = if is_state {
            if self.state.role_per_stack {
                return Err(self.policy_error(
                    Some(&r.name),
                    "with `role_per_stack`, each stack has its own state role".into(),
                    "ask for one stack's: `--stack PATH`",
                ));
            }
            self.state_permissions(stacks)?
        } else {
            self.grants(r)?
        };
        doc.statements.extend(self.chain_statements(&session));
        // A role that grants nothing itself still carries the state guard:
        // managed policies attached to it by hand cannot reach state past
        // the Deny.
        if !is_state {
            doc.statements.extend(self.state_guard());
        }
        self.fits(&r.name, "permissions", doc)
    }

    /// The permissions of the state role of one stack: with
    /// `role_per_stack` its own role's; otherwise the shared role's.
    ///
    /// # Errors
    ///
    /// As [`Config::permissions_policy`].
    pub fn stack_state_permissions(
        &self,
        stack: &Stack,
        stacks: &[Stack],
    ) -> Result<PolicyDocument> {
        if self.state.role_per_stack {
            Ok(self.per_stack_state_permissions(stack))
        } else {
            self.permissions_policy(
                self.state.role.as_str(),
                Some(self.state.account.as_str()),
                stacks,
            )
        }
    }

    fn fits(&self, role: &RoleName, what: &str, doc: PolicyDocument) -> Result<PolicyDocument> {
        match SizeLimit::InlineRolePolicies.check(std::slice::from_ref(&doc)) {
            Ok(_) => Ok(doc),
            Err(_) => Err(self.policy_error(
                Some(role),
                format!(
                    "the role's {what} policy is {} characters as compact JSON, over the {} AWS allows for a role's inline policies",
                    doc.compact_len(),
                    SizeLimit::InlineRolePolicies.max_chars()
                ),
                "split the role, or name fewer `actions` (a wildcard like `ecs:Describe*` is shorter than its actions)",
            )),
        }
    }

    /// `sts:AssumeRole` on the roles that name this one in `via`.
    fn chain_statements(&self, session: &RoleSession) -> Vec<Statement> {
        let mut targets = Vec::new();
        let mut tagged = Vec::new();
        for s in self.role_sessions() {
            if let Some(via) = &s.via
                && via.arn == session.arn
            {
                targets.push(s.arn.to_string());
                if !s.tags.is_empty() {
                    tagged.push(s.arn.to_string());
                }
            }
        }
        let mut out = Vec::new();
        if !targets.is_empty() {
            out.push(Statement::allow(["sts:AssumeRole"], targets).with_sid(sid::CHAIN));
        }
        if !tagged.is_empty() {
            out.push(Statement::allow(["sts:TagSession"], tagged).with_sid(sid::CHAIN_TAGS));
        }
        out
    }

    /// A provisioning role's grants.
    pub(crate) fn grants(&self, r: &Role) -> Result<PolicyDocument> {
        let catalog = Catalog::get();
        let p = &r.permissions;
        let mut allow: Vec<String> = Vec::new();
        let mut excluded: Vec<String> = Vec::new();
        let explicit: BTreeSet<String> = p
            .actions
            .iter()
            .flat_map(|a| catalog.expand(a))
            .map(|a| a.action().to_owned())
            .collect();
        let other_levels: Vec<AccessLevel> = AccessLevel::ALL
            .into_iter()
            .filter(|l| !p.access.contains(l))
            .collect();
        for prefix in &p.services {
            let service = catalog.service(prefix).expect("validated");
            let granted: Vec<&str> = service
                .by_access(&p.access)
                .iter()
                .map(|a| a.action())
                .collect();
            let not_granted: Vec<&str> = service
                .by_access(&other_levels)
                .iter()
                .map(|a| a.action())
                .filter(|a| !explicit.contains(*a))
                .collect();
            if granted.is_empty() {
                continue;
            }
            if not_granted.is_empty() {
                allow.push(format!("{}:*", service.prefix()));
                continue;
            }
            let listed = catalog
                .compress(granted.iter().copied())
                .expect("catalog actions");
            let denied = catalog
                .compress(not_granted.iter().copied())
                .expect("catalog actions");
            let len = |v: &[String]| v.iter().map(|s| s.len() + 3).sum::<usize>();
            if len(&listed) <= len(&denied) + service.prefix().len() + 5 {
                allow.extend(listed);
            } else {
                allow.push(format!("{}:*", service.prefix()));
                excluded.extend(denied);
            }
        }
        for a in &p.actions {
            if !allow.iter().any(|x| x.eq_ignore_ascii_case(a)) {
                allow.push(a.clone());
            }
        }
        let mut statements = Vec::new();
        if !allow.is_empty() {
            statements.push(Statement::allow(allow, p.resources.clone()).with_sid(sid::GRANTS));
        }
        if !excluded.is_empty() {
            statements.push(Statement::deny(excluded, ["*"]).with_sid(sid::EXCLUDED));
        }
        if !p.deny_actions.is_empty() {
            statements.push(Statement::deny(p.deny_actions.clone(), ["*"]).with_sid(sid::DENY));
        }
        Ok(PolicyDocument::new(statements))
    }

    /// The delete-class actions a role's grants include, as short
    /// patterns: per service, exact wildcards from the catalog; when those
    /// would not fit a session policy, one `*:<Verb>*` pattern per delete
    /// verb across services instead.
    pub(crate) fn delete_guard(&self, p: &Permissions) -> Option<PolicyDocument> {
        let catalog = Catalog::get();
        // The delete class of the role's services (all of it: denying a
        // delete the role lacks anyway changes nothing and keeps the
        // patterns short), and the delete-class actions its `actions` name.
        let mut deletes: BTreeSet<&str> = BTreeSet::new();
        for prefix in &p.services {
            let service = catalog.service(prefix).expect("validated");
            deletes.extend(service.delete_class().iter().map(|a| a.action()));
        }
        for a in &p.actions {
            deletes.extend(
                catalog
                    .expand(a)
                    .iter()
                    .filter(|i| i.is_delete_class())
                    .map(|i| i.action()),
            );
        }
        if deletes.is_empty() {
            return None;
        }
        let exact = catalog.compress(deletes).expect("catalog actions");
        let doc = |actions: Vec<String>| {
            PolicyDocument::new(vec![
                Statement::allow(["*"], ["*"]).with_sid(sid::SESSION_ALLOW),
                Statement::deny(actions, ["*"]).with_sid(sid::NO_DELETES),
            ])
        };
        let d = doc(exact);
        if d.check_size(SizeLimit::SessionPolicy).is_ok() {
            return Some(d);
        }
        let mut broad: Vec<String> = Vec::new();
        for verb in DELETE_VERBS {
            broad.push(format!("*:{verb}*"));
            broad.push(format!("*:Batch{verb}*"));
            broad.push(format!("*:Admin{verb}*"));
        }
        Some(doc(broad))
    }

    /// The session policy of the session [`Config::decide_session`] decides
    /// for these arguments: a stack's keys for the state role with a
    /// `stack`, the delete guard for a provisioning role without
    /// `allow_delete`. `None` when the session needs none.
    ///
    /// # Errors
    ///
    /// As [`Config::decide_session`].
    pub fn session_policy(
        &self,
        role: &str,
        account: Option<&str>,
        stack: Option<&Stack>,
        allow_delete: bool,
    ) -> Result<Option<PolicyDocument>> {
        let ask = crate::SessionFor {
            role,
            account,
            stack,
            allow_delete,
            workspace: None,
            names: crate::SessionNames::default(),
        };
        Ok(self.decide_session(&ask)?.policy)
    }

    /// Where each session of a role instance with a `source_identity`
    /// is used, and the values its trust policy admits there: one entry
    /// per stack that uses it (as a provider, a hop of a provider's `via`
    /// chain, or the state role of its backend), or one for sessions
    /// outside any stack when the template does not name `{stack}`.
    fn source_identity_uses(&self, session: &RoleSession, stacks: &[Stack]) -> Vec<IdentityUse> {
        let Some(t) = self
            .role(session.role.as_str())
            .and_then(|r| r.source_identity.as_ref())
        else {
            return Vec::new();
        };
        let same = |s: &RoleSession| s.role == session.role && s.account == session.account;
        let entry = |role: &str, stack: Option<&StackPath>| IdentityUse {
            stack: stack.cloned(),
            patterns: t.trust_patterns(
                role,
                session.account.as_str(),
                stack.map(StackPath::as_str),
            ),
        };
        if !t.uses(Placeholder::Stack) {
            return vec![entry(session.role.as_str(), None)];
        }
        let mut out = Vec::new();
        for st in stacks {
            if self.is_state_session(session) {
                // With `role_per_stack` each stack's state role has its own
                // name, and `{role}` is that name.
                let own = self.stack_state_session(st);
                out.push(entry(own.role.as_str(), Some(&st.path)));
                continue;
            }
            let used = st.all_providers().any(|p| {
                let mut hop = Some(&p.session);
                while let Some(h) = hop {
                    if same(h) {
                        return true;
                    }
                    hop = h.via.as_deref();
                }
                false
            });
            if used {
                out.push(entry(session.role.as_str(), Some(&st.path)));
            }
        }
        out
    }

    /// The `sts:SourceIdentity` values a role instance's trust policy
    /// admits, sorted: its literal value, or its template's patterns for
    /// every stack that uses it. Refused when one of them could also be the
    /// value of another role instance for what its own template names (its
    /// stack, role or account): a `*` for `{user}` that ran into another
    /// stack's path would let a caller of this role pass as that stack.
    fn source_identity_values(
        &self,
        session: &RoleSession,
        stacks: &[Stack],
    ) -> Result<Vec<String>> {
        let Some(t) = self
            .role(session.role.as_str())
            .and_then(|r| r.source_identity.as_ref())
        else {
            return Ok(Vec::new());
        };
        if t.is_literal() {
            return Ok(vec![iam_literal(t.as_str())]);
        }
        let mine = self.source_identity_uses(session, stacks);
        for other in self.role_sessions() {
            if other.role == session.role && other.account == session.account {
                // The trust policy cannot tell one caller's stack from
                // another's: every stack of this role is admitted alike.
                continue;
            }
            let Some(theirs) = self
                .role(other.role.as_str())
                .and_then(|r| r.source_identity.as_ref())
                .filter(|t| !t.is_literal())
            else {
                continue;
            };
            for b in self.source_identity_uses(&other, stacks) {
                for a in &mine {
                    let claims_differ = (theirs.uses(Placeholder::Stack) && a.stack != b.stack)
                        || (theirs.uses(Placeholder::Role) && other.role != session.role)
                        || (theirs.uses(Placeholder::Account) && other.account != session.account);
                    if !claims_differ {
                        continue;
                    }
                    let clash = a.patterns.iter().find_map(|pa| {
                        b.patterns
                            .iter()
                            .find(|pb| crate::naming::patterns_overlap(pa, pb))
                            .map(|pb| (pa, pb))
                    });
                    if let Some((pa, pb)) = clash {
                        let whose = match &b.stack {
                            Some(st) => format!(
                                "stack `{st}` with role `{}` in `{}`",
                                other.role, other.account
                            ),
                            None => format!("role `{}` in `{}`", other.role, other.account),
                        };
                        return Err(self.policy_error(
                            Some(&session.role),
                            format!(
                                "`source_identity`: the trust policy would admit `{pa}`{}, which also covers `{pb}`, a source identity of {whose}: a caller of this role could pass as it",
                                a.stack.as_ref().map(|s| format!(" (for stack `{s}`)")).unwrap_or_default()
                            ),
                            "put `{user}` and `{run}` before the fixed parts, like `{user}@tf-{stack}`, so that what a caller chooses cannot run into another stack's name; or leave them out",
                        ));
                    }
                }
            }
        }
        let mut values: Vec<String> = mine.into_iter().flat_map(|u| u.patterns).collect();
        values.sort();
        values.dedup();
        Ok(values)
    }

    /// The principals a role trusts in an account, as written in its
    /// `trust` block (or every identity with an `arn` when it has none),
    /// plus the role it is assumed `via`.
    fn trusted_aws(&self, r: &Role, session: &RoleSession) -> Vec<String> {
        let mut aws: Vec<String> = Vec::new();
        match &r.trust {
            Some(t) => {
                for e in &t.aws {
                    let arn = match e {
                        TrustedAws::Identity(name) => self
                            .identities
                            .iter()
                            .find(|i| &i.name == name)
                            .and_then(|i| i.arn().map(|a| a.to_string())),
                        TrustedAws::Account(a) => self
                            .account(a.as_str())
                            .map(|a| format!("arn:{}:iam::{}:root", self.defaults.partition, a.id)),
                        TrustedAws::Arn(arn) => Some(arn.to_string()),
                    };
                    aws.extend(arn);
                }
            }
            None if session.via.is_none() => {
                aws.extend(
                    self.identities
                        .iter()
                        .filter_map(|i| i.arn().map(|a| a.to_string())),
                );
            }
            None => {}
        }
        if let Some(via) = &session.via {
            aws.push(via.arn.to_string());
        }
        let mut seen = BTreeSet::new();
        aws.retain(|a| seen.insert(a.clone()));
        aws
    }

    /// Who may assume `role` in `account`. `stacks` are the resolved
    /// stacks: a `source_identity` that names `{stack}` admits the values
    /// of the stacks that use the role, and only those.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown role or account, a role nobody
    /// may assume, or a `source_identity` whose values could be another
    /// role's or stack's.
    pub fn trust_policy(
        &self,
        role: &str,
        account: Option<&str>,
        stacks: &[Stack],
    ) -> Result<PolicyDocument> {
        let session = self.session(role, account)?;
        let r = self.role(role).expect("session found it");
        // A session chained from one that set a source identity carries
        // it into this AssumeRole: this role's trust admits those values
        // from the role it is assumed `via`.
        let mut setter = Some(&session);
        while let Some(s) = setter
            && self
                .role(s.role.as_str())
                .is_some_and(|r| r.source_identity.is_none())
        {
            setter = s.via.as_deref();
        }
        let values = match setter {
            Some(s) => self.source_identity_values(s, stacks)?,
            None => Vec::new(),
        };
        // A templated source identity adds patterns per stack: a role many
        // stacks use can outgrow the limit through them alone.
        let patterns = values.len();
        let mut statements = aws_trust_statements(r, self.trusted_aws(r, &session), values);
        if let Some(t) = &r.trust {
            statements.extend(service_trust_statement(t));
            statements.extend(self.oidc_trust_statements(t, &session));
        }
        if statements.is_empty() {
            return Err(self.policy_error(
                Some(&r.name),
                format!("nobody may assume role `{}`", r.name),
                "add a `trust` block, or an `identity` with an `arn` (trusted by every role without a `trust` block)",
            ));
        }
        let doc = PolicyDocument::new(statements);
        match doc.check_size(SizeLimit::ManagedPolicy) {
            // Trust policies default to 2,048 characters, a quota AWS
            // raises to 8,192 on request; the managed limit is the check
            // that holds for every account.
            Ok(_) => Ok(doc),
            Err(_) => Err(self.policy_error(
                Some(&r.name),
                format!(
                    "the role's trust policy is {} characters as compact JSON, over the {} AWS allows at most",
                    doc.compact_len(),
                    SizeLimit::ManagedPolicy.max_chars()
                ),
                &if patterns > 1 {
                    format!(
                        "trust fewer principals, or an account instead of its users; its `source_identity` template adds {patterns} patterns (for each stack that uses the role): a literal `source_identity`, or one without `{{user}}`/`{{run}}`, needs fewer"
                    )
                } else {
                    "trust fewer principals, or an account instead of its users".to_owned()
                },
            )),
        }
    }

    /// One `sts:AssumeRoleWithWebIdentity` statement per OIDC provider,
    /// audience and reusable workflow: the subjects of one statement are
    /// alternatives, its keys all must hold.
    fn oidc_trust_statements(&self, t: &Trust, session: &RoleSession) -> Vec<Statement> {
        let p = self.defaults.partition;
        let mut statements = Vec::new();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for ((host, audience, workflow), (name, mut subjects)) in oidc_groups(t) {
            let n = counts.entry(name.clone()).or_default();
            *n += 1;
            let sid_ = if *n == 1 { name } else { format!("{name}{n}") };
            subjects.dedup();
            let mut st = Statement::allow(["sts:AssumeRoleWithWebIdentity"], Vec::<String>::new())
                .with_sid(sid_)
                .with_condition("StringEquals", format!("{host}:aud"), [audience])
                .with_condition(like(&subjects), format!("{host}:sub"), subjects);
            if let Some(w) = workflow {
                let values = [w];
                st = st.with_condition(like(&values), format!("{host}:job_workflow_ref"), values);
            }
            let provider = format!("arn:{p}:iam::{}:oidc-provider/{host}", session.account_id);
            statements.push(trusting(st, principal_ids(vec![], vec![provider], vec![])));
        }
        statements
    }

    /// The roles (in their accounts) an identity may assume: those whose
    /// trust names it, or every role without a `trust` block and `via`.
    pub fn identity_roles(&self, identity: &str) -> Vec<RoleSession> {
        let Some(arn) = self
            .identities
            .iter()
            .find(|i| i.name == identity)
            .and_then(|i| i.arn())
            .map(|a| a.to_string())
        else {
            return Vec::new();
        };
        self.role_sessions()
            .into_iter()
            .filter(|s| {
                let r = self.role(s.role.as_str()).expect("session of a role");
                self.trusted_aws(r, s).contains(&arn)
                    && s.via.as_ref().is_none_or(|v| v.arn.to_string() != arn)
            })
            .collect()
    }

    /// The policy of a base identity (an `identity` with an `arn`): nothing
    /// but assuming its roles, and tagging and naming those sessions where
    /// the roles use tags or a source identity.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown identity, a web identity, or an
    /// identity no role trusts.
    pub fn identity_policy(&self, identity: &str) -> Result<PolicyDocument> {
        let names: Vec<&str> = self.identities.iter().map(|i| i.name.as_str()).collect();
        let Some(id) = self.identities.iter().find(|i| i.name == identity) else {
            return Err(Error::Invalid(Diagnostics(vec![Diagnostic {
                file: self.file.clone(),
                location: None,
                block: None,
                attribute: None,
                message: format!("there is no identity `{identity}`"),
                allowed: Some(format!(
                    "the identities defined: {}",
                    crate::error::list(&names)
                )),
                hint: crate::error::did_you_mean(identity, &names),
            }])));
        };
        let err = |message: String, hint: &str| {
            Error::Invalid(Diagnostics(vec![Diagnostic {
                file: self.file.clone(),
                location: None,
                block: Some(format!("identity {:?}", id.name)),
                attribute: None,
                message,
                allowed: None,
                hint: Some(hint.into()),
            }]))
        };
        if id.arn().is_none() {
            return Err(err(
                "is a CI token: it has no IAM policy of its own".into(),
                "its roles' trust policies decide what it may assume; see `tfroles policy --kind trust`",
            ));
        }
        let roles = self.identity_roles(identity);
        if roles.is_empty() {
            return Err(err(
                "no role trusts this identity".into(),
                "name it in a role's `trust { aws = [...] }`, or leave `trust` out of a role to trust every identity with an `arn`",
            ));
        }
        let all: Vec<String> = roles.iter().map(|s| s.arn.to_string()).collect();
        let tagged: Vec<String> = roles
            .iter()
            .filter(|s| !s.tags.is_empty())
            .map(|s| s.arn.to_string())
            .collect();
        let sourced: Vec<String> = roles
            .iter()
            .filter(|s| s.source_identity.is_some())
            .map(|s| s.arn.to_string())
            .collect();
        let mut statements =
            vec![Statement::allow(["sts:AssumeRole"], all).with_sid(sid::IDENTITY_ASSUME)];
        if !tagged.is_empty() {
            statements
                .push(Statement::allow(["sts:TagSession"], tagged).with_sid(sid::IDENTITY_TAGS));
        }
        if !sourced.is_empty() {
            statements.push(
                Statement::allow(["sts:SetSourceIdentity"], sourced).with_sid(sid::IDENTITY_SOURCE),
            );
        }
        Ok(PolicyDocument::new(statements))
    }

    /// Every role instance the bootstrap stack creates, with its policies:
    /// each role in each account (the state role per stack with
    /// `role_per_stack`).
    ///
    /// # Errors
    ///
    /// The first policy that cannot be made.
    pub fn role_policies(&self, stacks: &[Stack]) -> Result<Vec<RolePolicies>> {
        let mut out = Vec::new();
        for s in self.role_sessions() {
            let r = self.role(s.role.as_str()).expect("session of a role");
            let is_state = self.is_state_session(&s);
            let trust = self.trust_policy(r.name.as_str(), Some(s.account.as_str()), stacks)?;
            if is_state && self.state.role_per_stack {
                for st in stacks {
                    let session = self.stack_state_session(st);
                    let mut permissions = self.per_stack_state_permissions(st);
                    permissions.statements.extend(self.chain_statements(&s));
                    out.push(RolePolicies {
                        session,
                        role: r.clone(),
                        trust: trust.clone(),
                        permissions,
                    });
                }
                continue;
            }
            let permissions =
                self.permissions_policy(r.name.as_str(), Some(s.account.as_str()), stacks)?;
            out.push(RolePolicies {
                session: s,
                role: r.clone(),
                trust,
                permissions,
            });
        }
        Ok(out)
    }
}

/// One place a role instance's source identity is used.
struct IdentityUse {
    /// The stack; `None` for sessions outside any stack.
    stack: Option<StackPath>,
    /// What the trust policy admits there.
    patterns: Vec<String>,
}

/// The state's KMS key, as the resources a statement names.
struct StateKey {
    resources: Vec<String>,
    /// With an alias, the condition that narrows `key/*` to its key.
    alias: Option<String>,
}

impl StateKey {
    fn statement(&self, st: Statement) -> Statement {
        match &self.alias {
            Some(a) => st.with_condition(
                "ForAnyValue:StringEquals",
                "kms:ResourceAliases",
                [a.as_str()],
            ),
            None => st,
        }
    }
}

/// One role instance and its policies, for the bootstrap stack.
#[derive(Debug, Clone)]
pub struct RolePolicies {
    /// The role in its account.
    pub session: RoleSession,
    /// Its block.
    pub role: Role,
    /// Who may assume it.
    pub trust: PolicyDocument,
    /// What it may do: for a role that grants nothing itself, the state
    /// guard alone.
    pub permissions: PolicyDocument,
}

/// The state keys of some key sets, as the state statements name them.
struct StateKeys {
    /// Every object key (IAM form): the keys, and `<prefix>/*/<key>` where
    /// any workspace's key is covered.
    objects: Vec<String>,
    /// The keys the listing condition names: no `<prefix>/*/<key>`.
    listed: Vec<String>,
    /// Whether a `*` in `objects` stands for any workspace.
    wildcard: bool,
}

/// One stack's state keys, as the state statements cover them.
struct KeySet {
    /// The backend's `key` (or a stack block's key pattern).
    key: String,
    /// With workspace blocks: exactly the keys of the workspaces listed
    /// (the key itself only when `default` is listed); `None`: the key,
    /// and any workspace's under a `workspace_key_prefix`, as before.
    workspaces: Option<Vec<String>>,
}

impl KeySet {
    fn of(stack: &Stack) -> KeySet {
        KeySet {
            key: stack.state_key.clone(),
            workspaces: stack
                .workspace_keys()
                .map(|ks| ks.into_iter().map(str::to_owned).collect()),
        }
    }
}

/// The statements for the IAM principals a role trusts: `sts:AssumeRole`
/// (with the role's external id and MFA conditions), and `sts:TagSession`
/// and `sts:SetSourceIdentity` where the role sets tags or a source
/// identity. None when it trusts no IAM principal.
fn aws_trust_statements(
    r: &Role,
    aws: Vec<String>,
    source_identities: Vec<String>,
) -> Vec<Statement> {
    if aws.is_empty() {
        return Vec::new();
    }
    let principal = || principal_ids(aws.clone(), vec![], vec![]);
    let mut assume =
        Statement::allow(["sts:AssumeRole"], Vec::<String>::new()).with_sid(sid::ASSUME);
    if let Some(x) = &r.external_id {
        assume = assume.with_condition("StringEquals", "sts:ExternalId", [x.as_str()]);
    }
    if r.mfa_serial.is_some() {
        assume = assume.with_condition("Bool", "aws:MultiFactorAuthPresent", ["true"]);
    }
    let mut statements = vec![trusting(assume, principal())];
    if !r.tags.is_empty() {
        let keys: Vec<String> = r.tags.iter().map(|(k, _)| k.to_owned()).collect();
        let st = Statement::allow(["sts:TagSession"], Vec::<String>::new())
            .with_sid(sid::TAGS)
            .with_condition("ForAllValues:StringEquals", "aws:TagKeys", keys);
        statements.push(trusting(st, principal()));
    }
    if !source_identities.is_empty() {
        // A literal source identity is matched exactly, as always; a
        // template's `{user}` and `{run}` are `*` in a pattern whose fixed
        // parts stay literal.
        let op = if source_identities.iter().any(|v| v.contains('*')) {
            "StringLike"
        } else {
            "StringEquals"
        };
        let st = Statement::allow(["sts:SetSourceIdentity"], Vec::<String>::new())
            .with_sid(sid::SOURCE)
            .with_condition(op, "sts:SourceIdentity", source_identities);
        statements.push(trusting(st, principal()));
    }
    statements
}

/// The statement for the AWS services a role trusts, if it names any.
fn service_trust_statement(t: &Trust) -> Option<Statement> {
    if t.service.is_empty() {
        return None;
    }
    let st = Statement::allow(["sts:AssumeRole"], Vec::<String>::new()).with_sid(sid::SERVICES);
    let services = t.service.iter().map(|s| s.to_string()).collect();
    Some(trusting(st, principal_ids(vec![], vec![], services)))
}

/// An OIDC provider's host, an audience and a reusable workflow: what one
/// web-identity trust statement is for.
type OidcGroup = (String, String, Option<String>);

/// The OIDC blocks of a trust grouped by what one statement is for, each
/// with the statement's base Sid and its subjects in order.
fn oidc_groups(t: &Trust) -> BTreeMap<OidcGroup, (String, Vec<String>)> {
    let mut oidc: BTreeMap<OidcGroup, (String, Vec<String>)> = BTreeMap::new();
    for g in &t.github {
        oidc.entry((
            crate::access::GitHubTrust::HOST.into(),
            g.audience.clone(),
            g.job_workflow_ref.clone(),
        ))
        .or_insert_with(|| ("GitHubActions".into(), vec![]))
        .1
        .push(g.subject());
    }
    for c in &t.terraform_cloud {
        oidc.entry((c.hostname.clone(), c.audience.clone(), None))
            .or_insert_with(|| ("TerraformCloud".into(), vec![]))
            .1
            .push(c.subject());
    }
    for g in &t.gitlab {
        oidc.entry((g.host.clone(), g.audience.clone(), None))
            .or_insert_with(|| ("GitLab".into(), vec![]))
            .1
            .push(g.subject());
    }
    oidc
}

/// `StringLike` where a value has a wildcard, else `StringEquals`.
fn like(values: &[String]) -> &'static str {
    if values.iter().any(|s| s.contains(['*', '?'])) {
        "StringLike"
    } else {
        "StringEquals"
    }
}

/// A trust policy's statement: no `Resource` (the role is the resource),
/// and the principal it admits.
fn trusting(mut st: Statement, principal: Principal) -> Statement {
    st.resource = None;
    st.principal = Some(principal);
    st
}

fn principal_ids(aws: Vec<String>, federated: Vec<String>, service: Vec<String>) -> Principal {
    Principal::Ids {
        aws,
        canonical_user: vec![],
        federated,
        service,
    }
}
