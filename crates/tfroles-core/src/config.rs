//! The validated model, and the validator that makes it from the raw form.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::access::{self, Bootstrap, PendingTrust, Permissions, Trust, TrustedAws};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::raw::{self, Attr, Located, RawBlock, RawBody, Value};
use crate::stacks::StackPattern;
use crate::types::*;

/// The name tfroles looks for.
pub const CONFIG_FILE_NAME: &str = "tfroles.hcl";

/// Settings every block inherits unless it sets its own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Defaults {
    /// Region of stacks and the state bucket that set none.
    pub region: Option<Region>,
    /// Session name of roles that set none (`tfroles`).
    pub session_name: SessionName,
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
    /// Overrides the default session name.
    pub session_name: Option<SessionName>,
    /// Overrides the default session duration.
    pub duration: Option<Duration>,
    /// Session tags passed on AssumeRole.
    pub tags: SessionTags,
    /// Source identity set on AssumeRole.
    pub source_identity: Option<SourceIdentity>,
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
}

/// An `identity "NAME"` block: where credentials start. Either a CI
/// system's OIDC token (`web_identity`), used where that token is on offer,
/// or an IAM user or role people or CI start from (`arn`), which gets a
/// policy allowing nothing but assuming its roles.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    /// The label.
    pub name: String,
    /// Where the token comes from, for a web identity.
    pub source: Option<WebIdentitySource>,
    /// The IAM user or role ARN, for a base identity.
    pub arn: Option<String>,
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
    pub dynamodb_table: Option<String>,
    /// Server-side encryption (`true`).
    pub encrypt: bool,
    /// KMS key for the state objects.
    pub kms_key_id: Option<String>,
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
    /// Role; the stack's when unset.
    pub role: Option<RoleName>,
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
    #[serde(skip)]
    pub(crate) loc: Option<Location>,
}

impl StackSpec {
    /// How the block reads in messages: `stack "qa/*"`.
    pub fn describe(&self) -> String {
        format!("stack {:?}", self.pattern.as_str())
    }
}

/// A validated `tfroles.hcl`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Config {
    /// The config file as named (relative paths stay relative).
    pub file: PathBuf,
    /// The directory stacks are relative to.
    pub root: PathBuf,
    /// The `defaults` block, with tfroles' defaults filled in.
    pub defaults: Defaults,
    /// Accounts in the order written.
    pub accounts: Vec<Account>,
    /// The state backend.
    pub state: State,
    /// Roles in the order written.
    pub roles: Vec<Role>,
    /// Stack blocks in the order written.
    pub stacks: Vec<StackSpec>,
    /// Identities in the order written.
    pub identities: Vec<Identity>,
    /// The `bootstrap` block, if any.
    pub bootstrap: Option<Bootstrap>,
    /// What is allowed but probably not meant (trust that admits every
    /// branch of a repository to a role that can write). The library
    /// prints nothing; `validate` and `generate` show these on stderr.
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
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
    /// Session name: the role's, else the default.
    pub session_name: SessionName,
    /// Duration: the role's, else the default.
    pub duration: Duration,
    /// Session tags.
    pub tags: SessionTags,
    /// Source identity.
    pub source_identity: Option<SourceIdentity>,
    /// The MFA device, if the role requires one.
    pub mfa_serial: Option<MfaSerial>,
    /// The session to assume first, when the role says `via`.
    pub via: Option<Box<RoleSession>>,
}

/// The largest config file read: far above any real one (10,000 stacks
/// are about 2 MB), and a bound on what a hostile repository can make us
/// hold in memory.
pub const MAX_CONFIG_BYTES: u64 = 32 << 20;

/// Reads the config file as a regular file only: a symbolic link is not
/// followed (the stacks are relative to the file's own directory, and a link
/// would make that ambiguous), a FIFO or device is refused without blocking
/// on it, and the size is bounded.
fn read_config_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return std::io::Error::other(
                "it is a symbolic link, which tfroles does not follow\n  hint: name the file it points to with `--config PATH`",
            );
        }
        e
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "it is not a regular file (a directory, FIFO, socket or device)",
        ));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(std::io::Error::other(format!(
            "it is {} bytes, more than the {MAX_CONFIG_BYTES} tfroles reads",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The size may grow after the check: read one byte more than allowed to tell.
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::Error::other(format!(
            "it is more than the {MAX_CONFIG_BYTES} bytes tfroles reads"
        )));
    }
    Ok(bytes)
}

impl Config {
    /// Finds `tfroles.hcl` in `start` or its nearest parent, like git finds `.git`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no directory up to the root has one.
    pub fn find(start: &Path) -> Result<PathBuf> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            let candidate = d.join(CONFIG_FILE_NAME);
            if candidate.is_file() {
                return Ok(candidate);
            }
            dir = d.parent();
        }
        Err(Error::NotFound {
            start: start.to_path_buf(),
        })
    }

    /// Reads and validates a config file. Stacks are relative to its directory.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read, [`Error::Invalid`] with every
    /// problem found when it is not a valid configuration.
    pub fn from_path(path: &Path) -> Result<Config> {
        let bytes = read_config_file(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let prefix = &e.as_bytes()[..offset];
            let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = std::str::from_utf8(
                &prefix[prefix
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1)..],
            )
            .map_or(1, |s| s.chars().count() + 1);
            Error::Invalid(Diagnostics(vec![Diagnostic {
                file: path.to_path_buf(),
                location: Some(Location { line, column }),
                block: None,
                attribute: None,
                message: "the file is not valid UTF-8".into(),
                allowed: None,
                hint: Some("save tfroles.hcl as UTF-8".into()),
            }]))
        })?;
        let root = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self::from_str_at(&text, path, &root)
    }

    /// Parses and validates config text; `file` names it in messages and
    /// `root` is the directory stacks are relative to.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every problem found.
    pub fn from_str_at(text: &str, file: &Path, root: &Path) -> Result<Config> {
        // Editors on Windows save UTF-8 with a byte-order mark; HCL has no
        // token for it, and it is not part of the text.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let body = raw::parse(text).map_err(|e| {
            Error::Invalid(Diagnostics(vec![Diagnostic {
                file: file.to_path_buf(),
                location: Some(e.loc),
                block: None,
                attribute: None,
                message: if e.at_end {
                    format!("this is not valid HCL: the file ends too early: {}", e.message)
                } else {
                    format!("this is not valid HCL: {}", e.message)
                },
                allowed: None,
                hint: Some(if e.at_end {
                    "a block, list, object or string is not closed: check for a missing `}`, `]` or `\"`".into()
                } else {
                    "tfroles.hcl is HCL, like Terraform files: `name = \"value\"` attributes inside `kind \"label\" { ... }` blocks".into()
                }),
            }]))
        })?;
        validate(&body, file, root)
    }

    /// Parses and validates config text as if it were `./tfroles.hcl`.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every problem found.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<Config> {
        Self::from_str_at(text, Path::new(CONFIG_FILE_NAME), Path::new("."))
    }

    /// A builder for the same model in code; see [`crate::ConfigBuilder`].
    pub fn builder() -> crate::ConfigBuilder {
        crate::ConfigBuilder::new()
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
        RoleSession {
            role: r.name.clone(),
            account: acct.name.clone(),
            account_id: acct.id.clone(),
            arn: RoleArn::new(self.defaults.partition, &acct.id, &r.path, &r.name),
            external_id: r.external_id.clone(),
            session_name: r
                .session_name
                .clone()
                .unwrap_or_else(|| self.defaults.session_name.clone()),
            duration: r.duration.unwrap_or(self.defaults.duration),
            tags: r.tags.clone(),
            source_identity: r.source_identity.clone(),
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

/// " (first on line N)" for a duplicate, when the first has a location.
fn first_on(loc: Option<Location>) -> String {
    loc.map(|l| format!(" (first on line {})", l.line))
        .unwrap_or_default()
}

/// The account a `via` role is assumed in for a role in `target`: the same
/// account when the `via` role exists there, else its only account.
fn via_account<'r>(via: &'r Role, target: &AccountName) -> Option<&'r AccountName> {
    if via.accounts.contains(target) {
        via.accounts.iter().find(|a| *a == target)
    } else if via.accounts.len() == 1 {
        via.accounts.first()
    } else {
        None
    }
}

pub(crate) fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "(none defined)".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "did you mean `x`?" for the closest name within a small edit distance.
pub(crate) fn did_you_mean(name: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Collects diagnostics while walking the raw form.
pub(crate) struct Validator<'a> {
    pub(crate) file: &'a Path,
    pub(crate) errors: Vec<Diagnostic>,
    /// Accounts whose block is invalid (already reported): references to
    /// them are not reported again as "no such account".
    broken_accounts: BTreeSet<String>,
}

/// One block's attributes, for typed access with errors that name the block.
pub(crate) struct Fields<'b> {
    pub(crate) desc: Option<String>,
    pub(crate) body: &'b RawBody,
}

impl<'b> Fields<'b> {
    pub(crate) fn attr(&self, name: &str) -> Option<&'b Attr> {
        self.body.attrs.iter().find(|a| a.name.value == name)
    }
}

impl Validator<'_> {
    pub(crate) fn push(
        &mut self,
        loc: Option<Location>,
        block: Option<&str>,
        attr: Option<&str>,
        message: String,
        allowed: Option<String>,
        hint: Option<String>,
    ) {
        self.errors.push(Diagnostic {
            file: self.file.to_path_buf(),
            location: loc,
            block: block.map(str::to_owned),
            attribute: attr.map(str::to_owned),
            message,
            allowed,
            hint,
        });
    }

    pub(crate) fn invalid(
        &mut self,
        f: &Fields,
        attr: &str,
        loc: Option<Location>,
        e: InvalidValue,
    ) {
        self.push(
            loc,
            f.desc.as_deref(),
            Some(attr),
            e.message,
            Some(e.allowed),
            e.hint,
        );
    }

    /// Unknown and duplicate attributes and blocks.
    pub(crate) fn schema(
        &mut self,
        desc: Option<&str>,
        body: &RawBody,
        attrs: &[&str],
        blocks: &[&str],
    ) {
        let mut seen = BTreeSet::new();
        for a in &body.attrs {
            let name = a.name.value.as_str();
            if !attrs.contains(&name) {
                let (allowed, hint) = if attrs.is_empty() {
                    let hint = if desc.is_none() && DEFAULTS_ATTRS.contains(&name) {
                        format!(
                            "attributes go inside a block; a default for every block goes in `defaults {{ {name} = ... }}`"
                        )
                    } else {
                        "attributes go inside a block".to_owned()
                    };
                    (format!("only blocks here: {}", list(blocks)), Some(hint))
                } else {
                    (list(attrs), did_you_mean(name, attrs))
                };
                self.push(
                    a.name.loc,
                    desc,
                    None,
                    format!("unknown attribute `{name}`"),
                    Some(allowed),
                    hint,
                );
            } else if !seen.insert(name) {
                self.push(
                    a.name.loc,
                    desc,
                    Some(name),
                    "is set twice".into(),
                    None,
                    Some("remove one of them".into()),
                );
            }
        }
        for b in &body.blocks {
            if !blocks.contains(&b.ident.as_str()) {
                let allowed = if blocks.is_empty() {
                    "no blocks inside this one".to_owned()
                } else {
                    list(blocks)
                };
                self.push(
                    b.loc,
                    desc,
                    None,
                    format!("unknown block `{}`", b.ident),
                    Some(allowed),
                    did_you_mean(&b.ident, blocks),
                );
            }
        }
    }

    pub(crate) fn labels(
        &mut self,
        parent: Option<&str>,
        b: &RawBlock,
        n: usize,
        what: &str,
    ) -> bool {
        let desc = || match parent {
            Some(p) => format!("{p} > {}", b.describe()),
            None => b.describe(),
        };
        // A bidirectional override displays a label other than it is (the
        // "Trojan Source" trick), in review tools and in our own messages.
        if let Some(c) = b
            .labels
            .iter()
            .flat_map(|l| l.chars())
            .find(|&c| is_bidi_control(c))
        {
            self.push(
                b.loc,
                Some(&desc()),
                None,
                format!(
                    "the label contains the bidirectional control character U+{:04X}, which makes it display differently from what it is",
                    c as u32
                ),
                Some("labels without bidirectional control characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)".into()),
                Some("retype the label; if it came from a paste, the invisible character came with it".into()),
            );
            return false;
        }
        if b.labels.len() == n {
            return true;
        }
        let example = match n {
            0 => format!("`{} {{ ... }}`", b.ident),
            _ => format!("`{} \"{what}\" {{ ... }}`", b.ident),
        };
        let desc = desc();
        self.push(
            b.loc,
            Some(&desc),
            None,
            format!(
                "{} `{}` block takes {} label{}, not {}",
                if b.ident.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                },
                b.ident,
                n,
                if n == 1 { "" } else { "s" },
                b.labels.len()
            ),
            Some(example),
            None,
        );
        false
    }

    pub(crate) fn string(&mut self, f: &Fields, name: &str) -> Option<Located<String>> {
        let a = f.attr(name)?;
        self.as_string(f, name, &a.value)
    }

    pub(crate) fn as_string(
        &mut self,
        f: &Fields,
        name: &str,
        v: &Located<Value>,
    ) -> Option<Located<String>> {
        match &v.value {
            Value::Str(s) => Some(Located {
                value: s.clone(),
                loc: v.loc,
            }),
            other => {
                self.type_error(f, name, v.loc, "a string", other);
                None
            }
        }
    }

    pub(crate) fn type_error(
        &mut self,
        f: &Fields,
        name: &str,
        loc: Option<Location>,
        want: &str,
        got: &Value,
    ) {
        let hint = match got {
            Value::Unsupported(raw::HEREDOC) => {
                Some("write the value as a quoted string on one line".to_owned())
            }
            Value::Unsupported(_) => Some(
                "tfroles.hcl takes literal values only; it is read before terraform runs, so there are no variables or functions".to_owned(),
            ),
            Value::Num(_) if want == "a string" => Some("quote it".to_owned()),
            Value::Str(s) if want == "a bool" && (s == "true" || s == "false") => {
                Some(format!("write {s} without quotes"))
            }
            Value::Null => Some(format!("to leave `{name}` unset, leave it out")),
            Value::List(_)
                if want == "a string"
                    && name == "account"
                    && f.desc.as_deref().is_some_and(|d| d.starts_with("role ")) =>
            {
                Some("for a role in several accounts, write `accounts = [...]`".to_owned())
            }
            _ => None,
        };
        self.push(
            loc,
            f.desc.as_deref(),
            Some(name),
            format!("expected {want}, found {}", got.type_name()),
            None,
            hint,
        );
    }

    pub(crate) fn parse<T: FromStr<Err = InvalidValue>>(
        &mut self,
        f: &Fields,
        name: &str,
    ) -> Option<T> {
        let s = self.string(f, name)?;
        self.parse_located(f, name, &s)
    }

    pub(crate) fn parse_located<T: FromStr<Err = InvalidValue>>(
        &mut self,
        f: &Fields,
        name: &str,
        s: &Located<String>,
    ) -> Option<T> {
        match s.value.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.invalid(f, name, s.loc, e);
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, f: &Fields, name: &str) -> Option<bool> {
        let a = f.attr(name)?;
        match &a.value.value {
            Value::Bool(b) => Some(*b),
            other => {
                self.type_error(f, name, a.value.loc, "a bool", other);
                None
            }
        }
    }

    pub(crate) fn string_list(&mut self, f: &Fields, name: &str) -> Option<Vec<Located<String>>> {
        let a = f.attr(name)?;
        match &a.value.value {
            Value::List(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for item in items {
                    match self.as_string(f, name, item) {
                        Some(s) => out.push(s),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.type_error(f, name, a.value.loc, "a list of strings", other);
                None
            }
        }
    }

    pub(crate) fn string_map(
        &mut self,
        f: &Fields,
        name: &str,
    ) -> Option<Vec<(Located<String>, String)>> {
        let a = f.attr(name)?;
        match &a.value.value {
            Value::Map(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for (k, v) in items {
                    if v.value == raw::COMPUTED_KEY {
                        self.type_error(f, name, k.loc, "a string key", &v.value);
                        ok = false;
                        continue;
                    }
                    match self.as_string(f, name, v) {
                        Some(s) => out.push((k.clone(), s.value)),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.type_error(f, name, a.value.loc, "an object of strings", other);
                None
            }
        }
    }

    pub(crate) fn missing(&mut self, loc: Option<Location>, desc: &str, name: &str, allowed: &str) {
        self.push(
            loc,
            Some(desc),
            None,
            format!("missing required attribute `{name}`"),
            Some(allowed.to_owned()),
            None,
        );
    }

    /// Resolves a reference to a named block, with "did you mean".
    pub(crate) fn reference<'n>(
        &mut self,
        f: &Fields,
        attr: &str,
        r: &Located<String>,
        kind: &str,
        names: &[&'n str],
    ) -> Option<&'n str> {
        if let Some(n) = names.iter().find(|n| **n == r.value) {
            return Some(n);
        }
        if kind == "account" && self.broken_accounts.contains(&r.value) {
            return None;
        }
        let hint = did_you_mean(&r.value, names)
            .or_else(|| Some(format!("define it with `{kind} \"{}\" {{ ... }}`", r.value)));
        self.push(
            r.loc,
            f.desc.as_deref(),
            Some(attr),
            format!("there is no {kind} `{}`", r.value),
            Some(format!("the {kind}s defined: {}", list(names))),
            hint,
        );
        None
    }
}

const TOP_BLOCKS: &[&str] = &[
    "defaults",
    "account",
    "identity",
    "state",
    "role",
    "stack",
    "bootstrap",
];
const IDENTITY_ATTRS: &[&str] = &["web_identity", "audience", "arn"];
const DEFAULTS_ATTRS: &[&str] = &[
    "region",
    "session_name",
    "duration",
    "credentials",
    "backend_file",
    "providers_file",
    "partition",
];
const ACCOUNT_ATTRS: &[&str] = &["id"];
const STATE_ATTRS: &[&str] = &[
    "account",
    "bucket",
    "region",
    "role",
    "key_prefix",
    "use_lockfile",
    "dynamodb_table",
    "encrypt",
    "kms_key_id",
    "workspace_key_prefix",
    "role_per_stack",
    "list_scope",
];
const ROLE_ATTRS: &[&str] = &[
    "account",
    "accounts",
    "path",
    "external_id",
    "session_name",
    "duration",
    "tags",
    "source_identity",
    "via",
    "mfa_serial",
    "services",
    "access",
    "actions",
    "deny_actions",
    "resources",
    "allow_delete",
];
const ROLE_BLOCKS: &[&str] = &["trust"];
const STACK_ATTRS: &[&str] = &["account", "role", "region", "allowed_account_ids"];
const STACK_BLOCKS: &[&str] = &["provider"];
const PROVIDER_ATTRS: &[&str] = &["region", "account", "role"];

pub(crate) fn validate(body: &RawBody, file: &Path, root: &Path) -> Result<Config> {
    let mut v = Validator {
        file,
        errors: Vec::new(),
        broken_accounts: BTreeSet::new(),
    };
    v.schema(None, body, &[], TOP_BLOCKS);

    // defaults
    let mut defaults = Defaults {
        region: None,
        session_name: "tfroles".parse().expect("valid"),
        duration: Duration::ONE_HOUR,
        credentials: CredentialsMode::default(),
        backend_file: "backend.tf".parse().expect("valid"),
        providers_file: "providers.tf".parse().expect("valid"),
        partition: Partition::default(),
    };
    let defaults_blocks: Vec<&RawBlock> = body
        .blocks
        .iter()
        .filter(|b| b.ident == "defaults")
        .collect();
    for extra in defaults_blocks.iter().skip(1) {
        v.push(
            extra.loc,
            Some("defaults"),
            None,
            format!(
                "there is more than one `defaults` block{}",
                first_on(defaults_blocks[0].loc)
            ),
            None,
            Some("merge them into one".into()),
        );
    }
    if let Some(b) = defaults_blocks.first()
        && v.labels(None, b, 0, "")
    {
        let f = Fields {
            desc: Some(b.describe()),
            body: &b.body,
        };
        v.schema(f.desc.as_deref(), &b.body, DEFAULTS_ATTRS, &[]);
        defaults.region = v.parse(&f, "region");
        if let Some(x) = v.parse(&f, "session_name") {
            defaults.session_name = x;
        }
        if let Some(x) = v.parse(&f, "duration") {
            defaults.duration = x;
        }
        if let Some(x) = v.parse(&f, "credentials") {
            defaults.credentials = x;
        }
        if let Some(x) = v.parse(&f, "backend_file") {
            defaults.backend_file = x;
        }
        if let Some(x) = v.parse(&f, "providers_file") {
            defaults.providers_file = x;
        }
        if let Some(x) = v.parse(&f, "partition") {
            defaults.partition = x;
        }
        if defaults.backend_file == defaults.providers_file {
            // Name the attribute that was set (the other is its default).
            let (attr, other) = if f.attr("providers_file").is_some() {
                ("providers_file", "backend_file")
            } else {
                ("backend_file", "providers_file")
            };
            let loc = f.attr(attr).map(|a| a.value.loc).unwrap_or(b.loc);
            v.push(
                loc,
                Some("defaults"),
                Some(attr),
                format!("is the same file as `{other}` ({})", defaults.backend_file),
                Some("two different file names".into()),
                None,
            );
        }
    }

    // A region written in `defaults` but invalid is reported there, not again
    // as a missing region in every block that would inherit it.
    let defaults_region_written = defaults_blocks
        .iter()
        .any(|b| b.body.attrs.iter().any(|a| a.name.value == "region"));

    // accounts
    let mut accounts: Vec<Account> = Vec::new();
    // Every account label written, valid or not, with where it was first.
    let mut account_labels: Vec<(String, Option<Location>)> = Vec::new();
    let mut account_ids: BTreeMap<String, String> = BTreeMap::new();
    for b in body.blocks.iter().filter(|b| b.ident == "account") {
        if !v.labels(None, b, 1, "NAME") {
            if let Some(l) = b.labels.first() {
                v.broken_accounts.insert(l.clone());
            }
            continue;
        }
        let desc = b.describe();
        let f = Fields {
            desc: Some(desc.clone()),
            body: &b.body,
        };
        v.schema(Some(&desc), &b.body, ACCOUNT_ATTRS, &[]);
        let name = match b.labels[0].parse::<AccountName>() {
            Ok(n) => Some(n),
            Err(e) => {
                v.push(b.loc, Some(&desc), None, e.message, Some(e.allowed), e.hint);
                None
            }
        };
        if f.attr("id").is_none() {
            v.missing(
                b.loc,
                &desc,
                "id",
                "the account's 12-digit id, like `id = \"123456789012\"`",
            );
        }
        let id: Option<AccountId> = v.parse(&f, "id");
        if let Some((_, first)) = account_labels.iter().find(|(l, _)| *l == b.labels[0]) {
            v.push(
                b.loc,
                Some(&desc),
                None,
                format!(
                    "account `{}` is defined twice{}",
                    b.labels[0],
                    first_on(*first)
                ),
                None,
                Some("account names must be unique; remove or rename one".into()),
            );
            continue;
        }
        account_labels.push((b.labels[0].clone(), b.loc));
        if let (Some(name), Some(id)) = (name, id) {
            if let Some(other) = account_ids.get(id.as_str()) {
                let loc = f.attr("id").map(|a| a.value.loc).unwrap_or(b.loc);
                v.push(
                    loc,
                    Some(&desc),
                    Some("id"),
                    format!("account id {id} is also the id of account `{other}`"),
                    None,
                    Some("give each AWS account one name".into()),
                );
                continue;
            }
            account_ids.insert(id.to_string(), name.to_string());
            accounts.push(Account { name, id });
        }
    }
    let account_names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    for (label, _) in &account_labels {
        if !account_names.contains(&label.as_str()) {
            v.broken_accounts.insert(label.clone());
        }
    }

    // roles
    let mut roles: Vec<Role> = Vec::new();
    // Roles whose block was invalid still count as defined, so one mistake
    // does not cascade into "no such role" errors everywhere it is used.
    let mut defined_roles: Vec<String> = Vec::new();
    // `via` references, checked once every role is known.
    let mut vias: Vec<(usize, String, Located<String>)> = Vec::new();
    let mut role_locs: Vec<Option<Location>> = Vec::new();
    // Labels of role blocks with the wrong number of labels: also not
    // reported again where they are used.
    let mut mislabelled_roles: Vec<String> = Vec::new();
    // Trust blocks wait for identities; permission attributes are checked
    // against the state role once it is known.
    let mut pending_trust: Vec<(Option<usize>, PendingTrust)> = Vec::new();
    let mut role_block_locs: Vec<Option<Location>> = Vec::new();
    let mut permission_attrs: Vec<(String, (&str, Option<Location>))> = Vec::new();
    for b in body.blocks.iter().filter(|b| b.ident == "role") {
        if !v.labels(None, b, 1, "NAME") {
            mislabelled_roles.extend(b.labels.first().cloned());
            continue;
        }
        let desc = b.describe();
        let f = Fields {
            desc: Some(desc.clone()),
            body: &b.body,
        };
        v.schema(Some(&desc), &b.body, ROLE_ATTRS, ROLE_BLOCKS);
        let errors_before = v.errors.len();
        let name = match b.labels[0].parse::<RoleName>() {
            Ok(n) => Some(n),
            Err(e) => {
                v.push(b.loc, Some(&desc), None, e.message, Some(e.allowed), e.hint);
                None
            }
        };
        if let Some(i) = defined_roles.iter().position(|r| *r == b.labels[0]) {
            v.push(b.loc, Some(&desc), None, format!("role `{}` is defined twice{}", b.labels[0], first_on(role_locs[i])), None, Some("to have the role in several accounts, list them in one block: `accounts = [\"qa\", \"production\"]`".into()));
            continue;
        }
        defined_roles.push(b.labels[0].clone());
        role_locs.push(b.loc);
        let mut role_accounts = Vec::new();
        match (f.attr("account"), f.attr("accounts")) {
            (Some(a), Some(_)) => v.push(a.name.loc, Some(&desc), None, "sets both `account` and `accounts`".into(), Some("one of them: `account = \"NAME\"` or `accounts = [\"NAME\", ...]`".into()), None),
            (None, None) => v.missing(b.loc, &desc, "account", "`account = \"NAME\"`, or `accounts = [\"NAME\", ...]` for one role of this name in each account"),
            (Some(_), None) => {
                if let Some(r) = v.string(&f, "account") && let Some(n) = v.reference(&f, "account", &r, "account", &account_names) {
                        role_accounts.push(n.parse::<AccountName>().expect("defined"));
                    }
            }
            (None, Some(a)) => {
                if let Some(list) = v.string_list(&f, "accounts") {
                    if list.is_empty() {
                        v.push(a.value.loc, Some(&desc), Some("accounts"), "is empty".into(), Some("at least one account name".into()), None);
                    }
                    for r in &list {
                        if let Some(n) = v.reference(&f, "accounts", r, "account", &account_names) {
                            let n: AccountName = n.parse().expect("defined");
                            if role_accounts.contains(&n) {
                                v.push(r.loc, Some(&desc), Some("accounts"), format!("lists `{n}` twice"), None, None);
                            } else {
                                role_accounts.push(n);
                            }
                        }
                    }
                }
            }
        }
        let path = v.parse(&f, "path").unwrap_or_default();
        let external_id = v.parse(&f, "external_id");
        let session_name = v.parse(&f, "session_name");
        let duration = v.parse(&f, "duration");
        let source_identity = v.parse(&f, "source_identity");
        let mfa_serial = v.parse(&f, "mfa_serial");
        let via = v.string(&f, "via");
        let permissions = v.permissions(&f);
        let trust_blocks: Vec<&RawBlock> = b
            .body
            .blocks
            .iter()
            .filter(|t| t.ident == "trust")
            .collect();
        for extra in trust_blocks.iter().skip(1) {
            v.push(
                extra.loc,
                Some(&desc),
                None,
                format!(
                    "there is more than one `trust` block{}",
                    first_on(trust_blocks[0].loc)
                ),
                None,
                Some("merge them into one".into()),
            );
        }
        let trust = trust_blocks.first().and_then(|t| v.trust(&desc, t));
        if let Some(attr) = access::first_permission_attr(&f) {
            permission_attrs.push((b.labels[0].clone(), attr));
        }
        let tags = match v.string_map(&f, "tags") {
            Some(located) => {
                let t: Vec<(String, String)> = located
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.clone()))
                    .collect();
                match SessionTags::new(t.clone()) {
                    Ok(t) => t,
                    Err(e) => {
                        // Point at the tag at fault: the shortest list that
                        // fails the same way ends with it. (Too many tags is
                        // the whole map's fault: no shorter list says "N tags".)
                        let culprit =
                            (1..t.len())
                                .chain((t.len() <= 50).then_some(t.len()))
                                .find(|&n| {
                                    SessionTags::new(t[..n].to_vec()).err().as_ref() == Some(&e)
                                });
                        let loc = culprit
                            .and_then(|n| located[n - 1].0.loc)
                            .or_else(|| f.attr("tags").and_then(|a| a.value.loc))
                            .or(b.loc);
                        v.invalid(&f, "tags", loc, e);
                        SessionTags::default()
                    }
                }
            }
            None => SessionTags::default(),
        };
        let mut trust = trust;
        if let (Some(name), true) = (name, v.errors.len() == errors_before) {
            roles.push(Role {
                name,
                accounts: role_accounts,
                path,
                external_id,
                session_name,
                duration,
                tags,
                source_identity,
                via: None,
                mfa_serial,
                permissions,
                trust: trust.as_ref().map(|t| t.trust.clone()),
            });
            role_block_locs.push(b.loc);
            if let Some(via) = via {
                vias.push((roles.len() - 1, desc.clone(), via));
            }
            if let Some(t) = trust.take() {
                pending_trust.push((Some(roles.len() - 1), t));
            }
        }
        // A role in error still has its trust entries checked.
        if let Some(t) = trust {
            pending_trust.push((None, t));
        }
    }
    let mut role_names: Vec<&str> = defined_roles.iter().map(String::as_str).collect();
    for r in &mislabelled_roles {
        if !role_names.contains(&r.as_str()) {
            role_names.push(r);
        }
    }
    for (i, desc, via) in &vias {
        let f = Fields {
            desc: Some(desc.clone()),
            body: &RawBody::default(),
        };
        let Some(name) = v.reference(&f, "via", via, "role", &role_names) else {
            continue;
        };
        let Some(first) = roles.iter().find(|r| r.name.as_str() == name) else {
            continue;
        };
        if first.name == roles[*i].name {
            v.push(
                via.loc,
                Some(desc),
                Some("via"),
                "names the role itself".into(),
                Some("another role, assumed first".into()),
                None,
            );
            continue;
        }
        let unresolved: Vec<&str> = roles[*i]
            .accounts
            .iter()
            .filter(|a| via_account(first, a).is_none())
            .map(|a| a.as_str())
            .collect();
        if !unresolved.is_empty() {
            v.push(via.loc, Some(desc), Some("via"), format!("role `{name}` exists in several accounts and not in {}, so it is unclear which to assume first", list(&unresolved)), Some("a `via` role in the same account, or in exactly one account".into()), Some(format!("give `{name}` the account(s) {}, or chain through a role that lives in one hub account", list(&unresolved))));
            continue;
        }
        let duration = roles[*i].duration.unwrap_or(defaults.duration);
        if duration > Duration::ONE_HOUR {
            v.push(via.loc, Some(desc), Some("via"), format!("a session assumed with another role's session (role chaining) lasts at most 1h, and this role asks for {duration}"), Some("`duration = \"1h\"` or less on a role with `via`".into()), Some("AWS caps chained sessions at one hour; set `duration` on this role".into()));
            continue;
        }
        roles[*i].via = Some(first.name.clone());
    }
    // A chain that comes back to itself would never end.
    for r in &roles {
        let mut seen = vec![r.name.clone()];
        let mut next = r.via.clone();
        while let Some(n) = next {
            if seen.contains(&n) {
                let loc = vias
                    .iter()
                    .find(|(i, ..)| roles[*i].name == r.name)
                    .and_then(|(_, _, l)| l.loc);
                let chain: Vec<String> = seen.iter().map(|x| format!("`{x}`")).collect();
                v.push(
                    loc,
                    Some(&format!("role {:?}", r.name.as_str())),
                    Some("via"),
                    format!(
                        "the chain {} -> `{n}` comes back to itself",
                        chain.join(" -> ")
                    ),
                    Some("a chain that ends in a role without `via`".into()),
                    None,
                );
                break;
            }
            seen.push(n.clone());
            next = roles
                .iter()
                .find(|x| x.name == n)
                .and_then(|x| x.via.clone());
        }
    }
    let role_in_account = |v: &mut Validator,
                           f: &Fields,
                           attr: &str,
                           loc: Option<Location>,
                           role: &str,
                           account: &str| {
        if let Some(r) = roles.iter().find(|r| r.name.as_str() == role)
            && !r.accounts.iter().any(|a| a.as_str() == account)
        {
            let have = list(&r.accounts.iter().map(|a| a.as_str()).collect::<Vec<_>>());
            v.push(loc, f.desc.as_deref(), Some(attr), format!("role `{role}` does not exist in account `{account}`"), Some(format!("role `{role}` exists in {have}")), Some(format!("add \"{account}\" to `accounts` in `role \"{role}\"`, or use a role defined in `{account}`")));
        }
    };

    // state
    let state_blocks: Vec<&RawBlock> = body.blocks.iter().filter(|b| b.ident == "state").collect();
    for extra in state_blocks.iter().skip(1) {
        v.push(
            extra.loc,
            Some("state"),
            None,
            format!(
                "there is more than one `state` block{}",
                first_on(state_blocks[0].loc)
            ),
            None,
            Some("all stacks share one state backend; merge them".into()),
        );
    }
    let mut state = None;
    match state_blocks.first() {
        None => v.push(
            None,
            None,
            None,
            "there is no `state` block".into(),
            Some("one `state { account = ..., bucket = ..., role = ... }` block".into()),
            Some("it describes the S3 bucket holding terraform state; see docs/config.md".into()),
        ),
        Some(b) if v.labels(None, b, 0, "") => {
            let desc = "state".to_owned();
            let f = Fields {
                desc: Some(desc.clone()),
                body: &b.body,
            };
            v.schema(Some(&desc), &b.body, STATE_ATTRS, &[]);
            for req in ["account", "bucket", "role"] {
                if f.attr(req).is_none() {
                    v.missing(b.loc, &desc, req, match req {
                        "account" => "the name of the account holding the bucket",
                        "bucket" => "the S3 bucket holding terraform state",
                        _ => "the name of the role the backend assumes (a role that can only read and write state)",
                    });
                }
            }
            let account = v.string(&f, "account").and_then(|r| {
                v.reference(&f, "account", &r, "account", &account_names)
                    .map(str::to_owned)
            });
            let role_ref = v.string(&f, "role");
            let role = role_ref.as_ref().and_then(|r| {
                v.reference(&f, "role", r, "role", &role_names)
                    .map(str::to_owned)
            });
            if let (Some(a), Some(r), Some(rr)) = (&account, &role, &role_ref) {
                role_in_account(&mut v, &f, "role", rr.loc, r, a);
            }
            let bucket: Option<BucketName> = v.parse(&f, "bucket");
            let region = v.parse::<Region>(&f, "region").or(defaults.region.clone());
            if region.is_none() && f.attr("region").is_none() && !defaults_region_written {
                v.missing(b.loc, &desc, "region", "the bucket's region, like `region = \"us-east-1\"` (or set `region` in `defaults`)");
            }
            let key_prefix = v.parse(&f, "key_prefix");
            let workspace_key_prefix = v.parse(&f, "workspace_key_prefix");
            let role_per_stack = v.bool(&f, "role_per_stack").unwrap_or(false);
            let list_scope = v.parse(&f, "list_scope").unwrap_or_default();
            if let Some(r) = &role
                && let Some((_, (attr, loc))) = permission_attrs.iter().find(|(n, _)| n == r)
            {
                v.push(*loc, Some(&format!("role {r:?}")), Some(attr), format!("role `{r}` is the state role, whose permissions come from the `state` block"), None, Some("the state role reads and writes state and nothing else; grant these to a provisioning role".into()));
            }
            let use_lockfile = v.bool(&f, "use_lockfile").unwrap_or(true);
            let encrypt = v.bool(&f, "encrypt").unwrap_or(true);
            let dynamodb_table = v.string(&f, "dynamodb_table").and_then(|t| {
                let ok = (3..=255).contains(&t.value.len())
                    && t.value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !ok {
                    v.push(
                        t.loc,
                        Some(&desc),
                        Some("dynamodb_table"),
                        format!("{:?} is not a valid DynamoDB table name", t.value),
                        Some("3 to 255 characters of letters, digits, `_`, `.` and `-`".into()),
                        None,
                    );
                }
                ok.then_some(t.value)
            });
            let kms_key_id = v.string(&f, "kms_key_id").and_then(|k| {
                let ok = !k.value.is_empty()
                    && k.value.len() <= 2048
                    && !k.value.chars().any(|c| c.is_whitespace() || c.is_control());
                if !ok {
                    v.push(
                        k.loc,
                        Some(&desc),
                        Some("kms_key_id"),
                        format!("{:?} is not a KMS key id", k.value),
                        Some("a key ARN, key id, alias ARN or `alias/NAME`".into()),
                        None,
                    );
                }
                ok.then_some(k.value)
            });
            // An invalid `dynamodb_table` is reported above; not again here.
            if !use_lockfile
                && f.attr("dynamodb_table").is_none()
                && let Some(a) = f.attr("use_lockfile")
            {
                v.push(a.value.loc, Some(&desc), Some("use_lockfile"), "`false` turns off state locking, as there is no `dynamodb_table`: parallel runs could corrupt the state".into(), Some("`use_lockfile = true` (the default), or a `dynamodb_table`".into()), Some("S3-native locking is GA since terraform 1.11; keep `use_lockfile = true`".into()));
            }
            // A role whose label is not a valid name still resolves (its
            // block reports that), but has no RoleName to use here.
            if let (Some(account), Some(bucket), Some(region), Some(role)) =
                (account, bucket, region, role.and_then(|r| r.parse().ok()))
            {
                state = Some(State {
                    account: account.parse().expect("defined"),
                    bucket,
                    region,
                    role,
                    key_prefix,
                    use_lockfile,
                    dynamodb_table,
                    encrypt,
                    kms_key_id,
                    workspace_key_prefix,
                    role_per_stack,
                    list_scope,
                });
            }
        }
        Some(_) => {}
    }

    // stacks
    let mut stacks: Vec<StackSpec> = Vec::new();
    let mut stack_labels: BTreeMap<String, Option<Location>> = BTreeMap::new();
    for b in body.blocks.iter().filter(|b| b.ident == "stack") {
        if !v.labels(None, b, 1, "PATH") {
            continue;
        }
        let desc = b.describe();
        let f = Fields {
            desc: Some(desc.clone()),
            body: &b.body,
        };
        v.schema(Some(&desc), &b.body, STACK_ATTRS, STACK_BLOCKS);
        let errors_before = v.errors.len();
        let pattern = match StackPattern::new(&b.labels[0]) {
            Ok(p) => Some(p),
            Err(e) => {
                v.push(b.loc, Some(&desc), None, e.message, Some(e.allowed), e.hint);
                None
            }
        };
        if let Some(first) = stack_labels.get(&b.labels[0]) {
            v.push(
                b.loc,
                Some(&desc),
                None,
                format!(
                    "stack `{}` is defined twice{}",
                    b.labels[0],
                    first_on(*first)
                ),
                None,
                Some("merge the two blocks".into()),
            );
        } else {
            stack_labels.insert(b.labels[0].clone(), b.loc);
        }
        for req in ["account", "role"] {
            if f.attr(req).is_none() {
                v.missing(
                    b.loc,
                    &desc,
                    req,
                    if req == "account" {
                        "the account the stack's default provider works in"
                    } else {
                        "the role the stack's default provider assumes"
                    },
                );
            }
        }
        let account = v.string(&f, "account").and_then(|r| {
            v.reference(&f, "account", &r, "account", &account_names)
                .map(str::to_owned)
        });
        let role_ref = v.string(&f, "role");
        let role = role_ref.as_ref().and_then(|r| {
            v.reference(&f, "role", r, "role", &role_names)
                .map(str::to_owned)
        });
        if let (Some(a), Some(r), Some(rr)) = (&account, &role, &role_ref) {
            role_in_account(&mut v, &f, "role", rr.loc, r, a);
        }
        let region: Option<Region> = v.parse(&f, "region");
        if f.attr("region").is_none() && defaults.region.is_none() && !defaults_region_written {
            v.missing(
                b.loc,
                &desc,
                "region",
                "`region = \"us-east-1\"` here, or `region` in `defaults`",
            );
        }
        let allowed_account_ids = v.string_list(&f, "allowed_account_ids").map(|ids| {
            ids.iter()
                .filter_map(|r| {
                    if let Some(a) = accounts.iter().find(|a| a.name.as_str() == r.value) {
                        Some(a.id.clone())
                    } else if let Ok(id) = r.value.parse::<AccountId>() {
                        Some(id)
                    } else if v.broken_accounts.contains(&r.value) {
                        None
                    } else {
                        let hint = did_you_mean(&r.value, &account_names);
                        v.push(
                            r.loc,
                            Some(&desc),
                            Some("allowed_account_ids"),
                            format!(
                                "{:?} is neither an account name nor a 12-digit account id",
                                r.value
                            ),
                            Some(format!(
                                "account names ({}) or 12-digit ids",
                                list(&account_names)
                            )),
                            hint,
                        );
                        None
                    }
                })
                .collect::<Vec<_>>()
        });
        let mut providers: Vec<ProviderSpec> = Vec::new();
        let mut provider_locs: Vec<Option<Location>> = Vec::new();
        for p in b.body.blocks.iter().filter(|p| p.ident == "provider") {
            if !v.labels(Some(&desc), p, 1, "ALIAS") {
                continue;
            }
            let pdesc = format!("{desc} > {}", p.describe());
            let pf = Fields {
                desc: Some(pdesc.clone()),
                body: &p.body,
            };
            v.schema(Some(&pdesc), &p.body, PROVIDER_ATTRS, &[]);
            let alias = match p.labels[0].parse::<ProviderAlias>() {
                Ok(a) => Some(a),
                Err(e) => {
                    v.push(
                        p.loc,
                        Some(&pdesc),
                        None,
                        e.message,
                        Some(e.allowed),
                        e.hint,
                    );
                    None
                }
            };
            if let Some(alias) = &alias
                && let Some(i) = providers.iter().position(|q| &q.alias == alias)
            {
                v.push(
                    p.loc,
                    Some(&pdesc),
                    None,
                    format!(
                        "provider alias `{alias}` is used twice in this stack{}",
                        first_on(provider_locs[i])
                    ),
                    None,
                    Some("give each provider block its own alias".into()),
                );
                continue;
            }
            let region = v.parse(&pf, "region");
            let paccount = pf
                .attr("account")
                .and_then(|_| v.string(&pf, "account"))
                .and_then(|r| {
                    v.reference(&pf, "account", &r, "account", &account_names)
                        .map(str::to_owned)
                });
            let prole_ref = v.string(&pf, "role");
            let prole = prole_ref.as_ref().and_then(|r| {
                v.reference(&pf, "role", r, "role", &role_names)
                    .map(str::to_owned)
            });
            // The alias inherits what it does not set; the role must exist in
            // whichever account the alias ends up in.
            let eff_account = paccount.clone().or(account.clone());
            let eff_role = prole.clone().or(role.clone());
            if let (Some(a), Some(r)) = (&eff_account, &eff_role) {
                let (attr, loc) = match &prole_ref {
                    Some(rr) => ("role", rr.loc),
                    None => (
                        "account",
                        pf.attr("account").map(|a| a.value.loc).unwrap_or(p.loc),
                    ),
                };
                role_in_account(&mut v, &pf, attr, loc, r, a);
            }
            if let Some(alias) = alias {
                provider_locs.push(p.loc);
                providers.push(ProviderSpec {
                    alias,
                    region,
                    account: paccount.map(|a| a.parse().expect("defined")),
                    // None only when the role's own block is in error.
                    role: prole.and_then(|r| r.parse().ok()),
                });
            }
        }
        if let (Some(pattern), Some(account), Some(role), true) = (
            pattern,
            account,
            role.and_then(|r| r.parse().ok()),
            v.errors.len() == errors_before,
        ) {
            stacks.push(StackSpec {
                pattern,
                account: account.parse().expect("defined"),
                role,
                region,
                allowed_account_ids,
                providers,
                loc: b.loc,
            });
        }
    }

    // identities
    let mut identities: Vec<Identity> = Vec::new();
    // Every label seen, valid block or not, so a duplicate of an invalid
    // block is still a duplicate.
    let mut identity_labels: Vec<(String, Option<Location>)> = Vec::new();
    for b in body.blocks.iter().filter(|b| b.ident == "identity") {
        if !v.labels(None, b, 1, "NAME") {
            continue;
        }
        let desc = b.describe();
        let f = Fields {
            desc: Some(desc.clone()),
            body: &b.body,
        };
        v.schema(Some(&desc), &b.body, IDENTITY_ATTRS, &[]);
        if let Some((_, first)) = identity_labels.iter().find(|(l, _)| *l == b.labels[0]) {
            v.push(
                b.loc,
                Some(&desc),
                None,
                format!(
                    "identity `{}` is defined twice{}",
                    b.labels[0],
                    first_on(*first)
                ),
                None,
                Some("identity names must be unique; remove or rename one".into()),
            );
            continue;
        }
        identity_labels.push((b.labels[0].clone(), b.loc));
        let audience = v.string(&f, "audience");
        match (f.attr("web_identity"), f.attr("arn")) {
            (Some(w), Some(_)) => {
                v.push(w.name.loc, Some(&desc), None, "sets both `web_identity` and `arn`".into(), Some("one of them: `web_identity` for a CI token, `arn` for an IAM user or role people or CI start from".into()), Some("make two identity blocks".into()));
                continue;
            }
            (None, None) => {
                v.missing(b.loc, &desc, "web_identity` or `arn", "`web_identity` for a CI token (`github`, `terraform-cloud`, `env:VAR` or `file:PATH`), or `arn` for an IAM user or role people or CI start from");
                continue;
            }
            (None, Some(_)) => {
                if let Some(a) = &audience {
                    v.push(
                        a.loc,
                        Some(&desc),
                        Some("audience"),
                        "applies only to `web_identity = \"github\"`".into(),
                        None,
                        None,
                    );
                }
                let Some(arn) = v.string(&f, "arn") else {
                    continue;
                };
                if principal_arn_ok(&arn.value, &["user", "role"]) {
                    identities.push(Identity {
                        name: b.labels[0].clone(),
                        source: None,
                        arn: Some(arn.value),
                    });
                } else {
                    v.push(arn.loc, Some(&desc), Some("arn"), format!("{:?} is not an IAM user or role ARN", arn.value), Some("`arn:<partition>:iam::<12-digit account>:user/<path/><name>` or `...:role/<path/><name>`".into()), None);
                }
                continue;
            }
            (Some(_), None) => {}
        }
        let Some(src) = v.string(&f, "web_identity") else {
            continue;
        };
        match WebIdentitySource::parse(&src.value, audience.as_ref().map(|a| a.value.as_str())) {
            Ok(source) => {
                if audience.is_some() && !matches!(source, WebIdentitySource::GitHub { .. }) {
                    let loc = audience.as_ref().and_then(|a| a.loc);
                    v.push(
                        loc,
                        Some(&desc),
                        Some("audience"),
                        "applies only to `web_identity = \"github\"`".into(),
                        None,
                        Some("other CI systems set the audience when they issue the token".into()),
                    );
                }
                identities.push(Identity {
                    name: b.labels[0].clone(),
                    source: Some(source),
                    arn: None,
                });
            }
            Err(e) => v.invalid(&f, "web_identity", src.loc, e),
        }
    }

    // trust `aws` entries: identities with an ARN, accounts, or ARNs.
    let identity_names: Vec<&str> = identity_labels.iter().map(|(l, _)| l.as_str()).collect();
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
            let entry = if let Some(id) = identities.iter().find(|x| x.name == e.value) {
                if id.arn.is_none() {
                    v.push(
                        e.loc,
                        f.desc.as_deref(),
                        Some("aws"),
                        format!("identity `{}` is a CI token, not an IAM principal", e.value),
                        Some("identities with an `arn`, account names, or ARNs".into()),
                        Some(
                            "trust CI tokens with a `github`, `terraform_cloud` or `gitlab` block"
                                .into(),
                        ),
                    );
                    continue;
                }
                TrustedAws::Identity(e.value.clone())
            } else if identity_names.contains(&e.value.as_str()) {
                continue; // its block is in error, reported there
            } else if let Ok(a) = e.value.parse::<AccountName>()
                && account_names.contains(&a.as_str())
            {
                TrustedAws::Account(a)
            } else if e.value.len() == 12 && e.value.bytes().all(|c| c.is_ascii_digit()) {
                TrustedAws::Arn(format!("arn:{}:iam::{}:root", defaults.partition, e.value))
            } else if principal_arn_ok(&e.value, &["user", "role", "root"]) {
                TrustedAws::Arn(e.value.clone())
            } else if v.broken_accounts.contains(&e.value) {
                continue;
            } else {
                let mut names: Vec<&str> = identity_names.clone();
                names.extend(account_names.iter().copied());
                v.push(e.loc, f.desc.as_deref(), Some("aws"), format!("{:?} is neither an identity, an account, nor an IAM principal ARN", e.value), Some(format!("identities ({}), accounts ({}), 12-digit account ids, or user, role and root ARNs", list(&identity_names), list(&account_names))), did_you_mean(&e.value, &names));
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

    // bootstrap
    let bootstrap_blocks: Vec<&RawBlock> = body
        .blocks
        .iter()
        .filter(|b| b.ident == "bootstrap")
        .collect();
    for extra in bootstrap_blocks.iter().skip(1) {
        v.push(
            extra.loc,
            Some("bootstrap"),
            None,
            format!(
                "there is more than one `bootstrap` block{}",
                first_on(bootstrap_blocks[0].loc)
            ),
            None,
            Some("merge them into one".into()),
        );
    }
    let bootstrap = bootstrap_blocks.first().and_then(|b| v.bootstrap(b));
    if let Some(bs) = &bootstrap
        && let Some(st) = stacks
            .iter()
            .find(|st| st.pattern.matches(&bs.dir.parse().expect("valid")))
    {
        let loc = bootstrap_blocks.first().and_then(|b| b.loc);
        v.push(loc, Some("bootstrap"), Some("dir"), format!("`{}` is also matched by {}", bs.dir, st.describe()), None, Some("the bootstrap stack creates the roles the other stacks use, so it cannot be one of them; pick another directory or narrow the stack block".into()));
    }

    // What terraform itself cannot do, when it assumes the roles itself.
    if defaults.credentials == CredentialsMode::AssumeRole {
        let profile_hint = "set `credentials = \"profile\"` in `defaults`: then terraform asks `tfroles credential-process`, which chains roles and asks for MFA codes";
        let find = |name: &RoleName| roles.iter().find(|r| &r.name == name);
        if let Some(st) = &state
            && let Some(r) = find(&st.role)
            && r.via.is_some()
        {
            let loc = state_blocks.first().and_then(|b| b.loc);
            v.push(loc, Some("state"), Some("role"), format!("role `{}` is assumed `via` another role, and terraform's s3 backend takes one `assume_role` only", r.name), None, Some(profile_hint.into()));
        }
        let mut used: Vec<(&RoleName, Option<Location>, String)> = Vec::new();
        if let Some(st) = &state {
            used.push((
                &st.role,
                state_blocks.first().and_then(|b| b.loc),
                "state".into(),
            ));
        }
        for st in &stacks {
            used.push((&st.role, st.loc, st.describe()));
            for p in &st.providers {
                if let Some(r) = &p.role {
                    used.push((r, st.loc, st.describe()));
                }
            }
        }
        for (name, loc, desc) in used {
            // Every role of the chain: terraform would need a code for each.
            let mut next = find(name);
            let mut hops = 0;
            while let Some(r) = next {
                if let Some(serial) = &r.mfa_serial {
                    v.push(loc, Some(&desc), Some("role"), format!("role `{}` requires MFA ({serial}), and terraform cannot ask for a code when it assumes roles itself", r.name), None, Some(profile_hint.into()));
                    break;
                }
                hops += 1;
                next = r.via.as_ref().and_then(find).filter(|_| hops < roles.len());
            }
        }
    }

    // Allowed accounts that leave out where a provider works would make
    // terraform refuse every run; an empty list would allow any account.
    // (Checked on an otherwise valid config: an account in error drops out
    // of the list and would be reported twice.)
    let valid_so_far = v.errors.is_empty();
    for st in stacks.iter().filter(|_| valid_so_far) {
        let Some(ids) = &st.allowed_account_ids else {
            continue;
        };
        let loc = st.loc;
        if ids.is_empty() {
            v.push(
                loc,
                Some(&st.describe()),
                Some("allowed_account_ids"),
                "is empty, which would let the providers run against any account".into(),
                Some("account names or ids, including the stack's own".into()),
                Some("leave it out to allow just the stack's account".into()),
            );
            continue;
        }
        let mut needed: Vec<(&AccountName, String)> =
            vec![(&st.account, "the default provider".into())];
        for p in &st.providers {
            needed.push((
                p.account.as_ref().unwrap_or(&st.account),
                format!("provider `aws.{}`", p.alias),
            ));
        }
        for (acct, who) in needed {
            if let Some(a) = accounts.iter().find(|a| &a.name == acct)
                && !ids.contains(&a.id)
            {
                v.push(
                    loc,
                    Some(&st.describe()),
                    Some("allowed_account_ids"),
                    format!(
                        "leaves out account `{}` ({}), where {who} works",
                        a.name, a.id
                    ),
                    None,
                    Some(format!("add \"{}\" to `allowed_account_ids`", a.name)),
                );
            }
        }
    }

    if !v.errors.is_empty() {
        v.errors.sort_by_key(|d| d.location);
        return Err(Error::Invalid(Diagnostics(v.errors)));
    }
    let state = state.expect("no errors, so the state block was valid");
    let mut warnings = Vec::new();
    for (i, (loc, desc, what)) in broad_trust {
        let r = &roles[i];
        if r.name == state.role || !access::can_write(&r.permissions) {
            continue;
        }
        warnings.push(Diagnostic {
            file: file.to_path_buf(),
            location: loc,
            block: Some(desc.clone()),
            attribute: None,
            message: format!(
                "lets {what} assume role `{}`, which can write",
                r.name
            ),
            allowed: None,
            hint: Some(format!(
                "{}; trust the rest with a role that only reads",
                if desc.ends_with("> github") {
                    "name the environment that deploys (`environment = \"production\"`, with protection rules) or its branch"
                } else if desc.ends_with("> gitlab") {
                    "name the branch or tag that deploys (`ref = \"main\"`, protected)"
                } else {
                    "name the workspaces that deploy (`workspace = \"prod-*\"`)"
                }
            )),
        });
    }
    warnings.sort_by_key(|d| d.location);
    Ok(Config {
        file: file.to_path_buf(),
        root: root.to_path_buf(),
        defaults,
        accounts,
        state,
        roles,
        stacks,
        identities,
        bootstrap,
        warnings,
        role_locs: role_block_locs,
    })
}

/// An IAM principal ARN of one of these kinds (`user`, `role`, `root`).
fn principal_arn_ok(arn: &str, kinds: &[&str]) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    let kind_ok = kinds.iter().any(|k| {
        if *k == "root" {
            resource == "root"
        } else {
            resource
                .strip_prefix(k)
                .and_then(|r| r.strip_prefix('/'))
                .is_some_and(|name| {
                    !name.is_empty()
                        && !name.ends_with('/')
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
                })
        }
    });
    prefix == "arn"
        && partition.parse::<Partition>().is_ok()
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|c| c.is_ascii_digit())
        && kind_ok
}
