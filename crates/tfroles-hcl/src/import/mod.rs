//! `tfroles import`: a draft `tfroles.hcl` from the hand-written
//! `backend "s3"` and `provider "aws"` blocks below a directory.
//!
//! Reading only: [`import`] parses every `.tf` file of every directory
//! [`tfroles_core::discover`] finds (with [`tfroles_core::raw`], the reader
//! the config loader uses, for line numbers) and returns the draft text and
//! a report. It writes nothing.
//!
//! What maps: accounts from the role ARNs, roles (name, path, accounts,
//! external id, session name, duration, source identity, tags, and `via`
//! for chained `assume_role` blocks), the state block, and stacks, collapsed
//! into `P/*` globs where every directory the glob would match has the same
//! settings. What does not (variables, interpolations, functions, profiles,
//! attributes tfroles does not generate, values that disagree between
//! stacks, state keys `generate` would change) becomes a [`Finding`] with
//! file and line: nothing is dropped silently.
//!
//! The draft is what `generate` needs to reproduce blocks that mean the same
//! as the originals; where it cannot, the report says what will change.
//!
//! The work is done in four steps, one module each: `scan` walks the tree
//! and reads each directory's blocks into what was found there, through
//! `read` (literal values with their lines, or why not literal); `decide`
//! settles one model (accounts, roles, state, stacks) across directories;
//! `emit` writes the draft text. `report` holds the findings all of them
//! add to.

mod decide;
mod emit;
mod eval;
mod inputs;
mod profiles;
mod read;
mod report;
mod scan;
mod terragrunt;

use std::path::{Path, PathBuf};

use tfroles_core::types::{
    AccountId, BucketName, Duration, ExternalId, IamPath, KeyPrefix, KmsKeyId, LockTable,
    Partition, ProviderAlias, Region, RoleName, SessionName, SessionTags, SourceIdentity,
    StackPath,
};

use crate::Error;
pub use profiles::default_aws_config;
use read::ParsedFile;
pub use report::Finding;

/// Where generated files go unless the config says otherwise: a draft never
/// sets other names, so these are the files `generate --take-over` replaces.
const BACKEND_FILE: &str = "backend.tf";
const PROVIDERS_FILE: &str = "providers.tf";

/// A draft configuration and what to review in it.
#[derive(Debug, Clone)]
pub struct Import {
    /// The draft `tfroles.hcl`, laid out as `terraform fmt` would, starting
    /// with a comment that lists the report.
    pub config: String,
    /// Everything not mapped as written, sorted by file and line.
    pub report: Vec<Finding>,
    /// Directories with `.tf` files or a Terragrunt unit that were read.
    pub directories: usize,
    /// Stack directories the draft covers.
    pub stacks: usize,
    /// `stack` blocks in the draft (globs cover several directories).
    pub stack_blocks: usize,
    /// `account` blocks in the draft.
    pub accounts: usize,
    /// `role` blocks in the draft.
    pub roles: usize,
    /// Directories with a `backend "s3"` block that the draft leaves out.
    pub left_out: Vec<String>,
}

impl Import {
    /// One line for the end of a run: what the draft holds and how much to review.
    pub fn summary(&self) -> String {
        let n =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        let mut s = format!(
            "imported {} ({}), {}, {} from {} read",
            n(self.stacks, "stack", "stacks"),
            n(self.stack_blocks, "stack block", "stack blocks"),
            n(self.accounts, "account", "accounts"),
            n(self.roles, "role", "roles"),
            n(self.directories, "directory", "directories"),
        );
        if !self.left_out.is_empty() {
            s.push_str(&format!(
                "; {} left out",
                n(self.left_out.len(), "stack", "stacks")
            ));
        }
        s.push_str(&format!(
            "; {} to review",
            n(self.report.len(), "item", "items")
        ));
        s
    }
}

/// Reads every `.tf` file below `dir` and drafts a `tfroles.hcl` from its
/// `backend "s3"` and `provider "aws"` blocks. Writes nothing.
///
/// # Errors
/// [`Error::Read`] when a directory or file cannot be read;
/// [`Error::NothingToImport`] (with the report) when no directory has both a
/// `backend "s3"` block and a default `provider "aws"` that assumes a role
/// given literally.
pub fn import(dir: &Path) -> Result<Import, Error> {
    import_with(dir, &ImportOptions::default())
}

/// What `tfroles import` is told besides the directory: the values terraform
/// would be given on its command line, and names for accounts.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `--var NAME=VALUE`, in order (after every `--var-file`, as terraform
    /// applies a later value over an earlier one).
    pub vars: Vec<(String, String)>,
    /// `--var-file PATH`, in order: `.tfvars` (HCL) or `.tfvars.json`.
    pub var_files: Vec<PathBuf>,
    /// `--backend-config`: files or `KEY=VALUE` pairs, merged over each
    /// `backend "s3"` block in order, as `terraform init -backend-config` does.
    pub backend_configs: Vec<BackendConfig>,
    /// The workspace `terraform.workspace` is evaluated in (`default`).
    pub workspace: Option<String>,
    /// `--account NAME=ID`: accounts for stacks whose provider says none
    /// (matched by profile name, provider alias or a directory name; the
    /// only one given applies to all).
    pub accounts: Vec<(String, String)>,
    /// `--account-name ID=NAME`: what to call an account in the draft.
    pub account_names: Vec<(String, String)>,
    /// The AWS shared config file profiles are read from (the binary
    /// passes `--aws-config PATH`, else [`default_aws_config`]); none: no
    /// profile is read.
    pub aws_config: Option<PathBuf>,
}

/// One `--backend-config` argument.
#[derive(Debug, Clone)]
pub enum BackendConfig {
    /// A file of `key = value` lines (`*.tfbackend`, `backend.hcl`).
    File(PathBuf),
    /// `KEY=VALUE`.
    Pair(String, String),
}

/// [`import`] with values from the command line.
///
/// # Errors
/// As [`import`]; also [`Error::Read`] when a `--var-file` or
/// `--backend-config` file cannot be read or parsed.
pub fn import_with(dir: &Path, opts: &ImportOptions) -> Result<Import, Error> {
    let dirs = tfroles_core::discover(dir).map_err(|e| match e {
        tfroles_core::Error::Io { path, source } => Error::Read { path, source },
        other => Error::Read {
            path: dir.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    })?;
    let mut cx = Cx {
        opts: opts.clone(),
        ..Cx::default()
    };
    cx.load_cli_vars()?;
    cx.load_aws_config()?;
    cx.check_root(dir)?;
    let mut scans = Vec::new();
    for d in &dirs {
        scans.push(cx.scan(dir, d)?);
    }
    // Terragrunt units: their terragrunt.hcl is the source of truth, over
    // any backend file Terragrunt generated into the directory.
    for unit in terragrunt::find(dir) {
        if let Some(scan) = cx.terragrunt_unit(dir, &unit)? {
            match scans.iter_mut().find(|s| s.path == scan.path) {
                Some(old) => *old = scan,
                None => {
                    cx.extra_dirs += 1;
                    scans.push(scan)
                }
            }
        }
    }
    // A terragrunt.hcl that units include is their parent, not a unit.
    let included = std::mem::take(&mut cx.tg_included);
    let abs = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    scans.retain(|s| {
        !(s.terragrunt
            && included
                .iter()
                .any(|p| p == &abs.join(s.path.as_str()).join(terragrunt::CONFIG)))
    });
    cx.build(dir, &dirs, scans)
}

// ---------------------------------------------------------------------------
// What was found in each directory.

#[derive(Debug, Clone)]
struct L<T> {
    v: T,
    line: usize,
}

/// One `assume_role` (a backend's, or one of a provider's blocks).
#[derive(Debug, Clone)]
struct Use {
    file: String,
    /// The `role_arn` line.
    line: usize,
    partition: Partition,
    account: AccountId,
    path: L<IamPath>,
    name: RoleName,
    external_id: Option<L<ExternalId>>,
    session_name: Option<L<SessionName>>,
    duration: Option<L<Duration>>,
    source_identity: Option<L<SourceIdentity>>,
    tags: Option<L<SessionTags>>,
    /// The previous hop of a chain: its role and account.
    via: Option<L<(RoleName, AccountId)>>,
    /// Ruled out after the fact (another partition).
    unusable: bool,
}

#[derive(Debug, Default)]
struct BackendFound {
    file: String,
    line: usize,
    bucket: Option<L<BucketName>>,
    key: Option<L<String>>,
    region: Option<L<Region>>,
    encrypt: Option<L<bool>>,
    use_lockfile: Option<L<bool>>,
    dynamodb_table: Option<L<LockTable>>,
    kms_key_id: Option<L<KmsKeyId>>,
    workspace_key_prefix: Option<L<KeyPrefix>>,
    session: Option<usize>,
}

#[derive(Debug, Clone)]
struct ProviderFound {
    file: String,
    line: usize,
    alias: Option<ProviderAlias>,
    region: Option<L<Region>>,
    allowed: Option<L<Vec<AccountId>>>,
    /// Use indices, first hop first; empty when it assumes no role.
    chain: Vec<usize>,
    /// Some hop could not be read: the provider cannot be imported.
    broken: bool,
    /// Its `alias` could not be read: neither the default provider nor a
    /// known alias (reported where it was read).
    alias_unreadable: bool,
    /// `profile = "..."`, with its line.
    profile: Option<L<String>>,
    /// The account the provider works in when it assumes no role: its one
    /// `allowed_account_ids`, or its profile's `sso_account_id`.
    account_hint: Option<AccountId>,
    /// The draft introduces the role it assumes (it assumed none, or its
    /// role could not be read).
    introduced: bool,
    /// `default_tags { tags = {...} }`, sorted by key.
    default_tags: Option<Vec<(String, String)>>,
}

impl ProviderFound {
    fn describe(&self) -> String {
        match &self.alias {
            Some(a) => format!("provider \"aws\" (alias {:?})", a.as_str()),
            None => "provider \"aws\"".into(),
        }
    }
}

struct Scan {
    path: StackPath,
    files: Vec<ParsedFile>,
    /// File index and the imported backend block's line.
    backend: Option<(usize, BackendFound)>,
    /// File index and provider, in file order.
    providers: Vec<(usize, ProviderFound)>,
    /// Read from a Terragrunt unit's `terragrunt.hcl` (and its includes).
    terragrunt: bool,
    /// The default provider as each workspace evaluates it, when its role,
    /// account or region depends on `terraform.workspace`.
    workspaces: Vec<(String, ProviderFound)>,
}

#[derive(Default)]
struct Cx {
    findings: Vec<Finding>,
    uses: Vec<Use>,
    /// Unknown values by cause, with the uses that depend on each.
    causes: std::collections::BTreeMap<eval::Cause, Vec<String>>,
    opts: ImportOptions,
    /// Terragrunt units read that hold no `.tf` file.
    extra_dirs: usize,
    /// Terragrunt configs included by units.
    tg_included: Vec<PathBuf>,
    /// The AWS shared config, when there is one.
    aws: Option<profiles::AwsConfig>,
    /// Profile names by the account their role is in, for naming accounts.
    profile_accounts: Vec<(AccountId, String)>,
    /// Values from `--var-file` and `--var`, applied after each
    /// directory's own files, in that order.
    cli_vars: Vec<(String, CliVar)>,
}

/// A value given on the command line: from a file (already a value), or
/// `--var` text, read as terraform reads it once the variable's type is known.
#[derive(Debug, Clone)]
enum CliVar {
    Value(hcl::Value),
    Text(String),
}
