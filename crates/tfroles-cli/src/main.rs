//! The `tfroles` command: thin glue over `tfroles-core` (the model),
//! `tfroles-hcl` (the files) and `tfroles-creds` (credentials). Arguments
//! become validated settings first, then the work runs; errors print with
//! their whole chain and map to the documented exit codes.

mod cache_cmd;
mod creds;
mod doctor;
mod explain;
mod failure;
mod fast;
mod policy;
mod s3source;
mod serve;
mod usage;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tfroles_core::{CONFIG_FILE_NAME, Config};
use tfroles_hcl::{Change, PlanOptions};

pub(crate) use creds::Usage;
pub(crate) use failure::Failure;

/// What every command returns.
pub(crate) type Outcome<T = ()> = Result<T, Failure>;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (for `generate --check`: everything up to date)
  1  drift: `generate --check` found files missing, stale or different
     (or `generate --fail-on-change` changed some); `simulate`: denied
  2  invalid configuration or usage
  3  a file tfroles did not generate is in the way, a path it writes is a symbolic link or
     not a regular file, or a stack's own files declare the backend or a generated provider
     (nothing was written); `import`: the output file exists
  4  I/O error: a file or directory (or the credential cache) is unusable; `exec --server`:
     the credentials endpoint could not start
  5  AWS refused: AccessDenied or another STS error
  6  no usable base identity: no or expired base credentials, no CI token, no MFA code
  7  STS could not be reached
  126, 127  `exec`: the command could not be run; otherwise `exec` exits with the command's code";

#[derive(Parser)]
#[command(
    name = "tfroles",
    version,
    about = "Least-privilege roles for Terraform on AWS: generates backend and provider blocks from tfroles.hcl",
    after_help = EXIT_CODES
)]
struct Cli {
    /// More diagnostics on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides. Never secrets.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
pub(crate) struct ConfigArg {
    /// The config file [default: $TFROLES_CONFIG, else tfroles.hcl in the current directory or the nearest parent]
    #[arg(long, short = 'c', value_name = "PATH", global = true)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Write backend and provider files into every stack directory
    #[command(after_help = GENERATE_HELP)]
    Generate {
        #[command(flatten)]
        config: ConfigArg,
        /// Write nothing; list files that are missing, stale or different and exit 1 if any are
        #[arg(long)]
        check: bool,
        /// With --check: show a unified diff of each difference
        #[arg(long, requires = "check")]
        diff: bool,
        /// Replace hand-written files where generated ones go, keeping each original as <name>.tfroles-orig
        #[arg(long, conflicts_with = "check")]
        take_over: bool,
        /// Remove stale generated files: those of stacks that left the config (without it they are
        /// listed and kept)
        #[arg(long, conflicts_with = "check")]
        prune: bool,
        /// After writing, exit 1 if any file was written or removed, or stale files were kept (for
        /// pre-commit hooks, which must fail so the commit is retried with the new files)
        #[arg(long, conflicts_with = "check")]
        fail_on_change: bool,
        /// Output format: text, or one JSON object listing every file and what happened to it
        #[arg(long, value_enum, default_value_t = OutFormat::Text, conflicts_with = "diff")]
        format: OutFormat,
        /// Generate for the config owning each path: the nearest tfroles.hcl at or above it
        /// (the pre-commit hooks pass the changed files; a path no config owns is skipped)
        #[arg(value_name = "PATH", conflicts_with = "config")]
        paths: Vec<PathBuf>,
    },
    /// Draft a tfroles.hcl from the hand-written backend and provider blocks below DIR
    #[command(after_help = IMPORT_HELP)]
    Import {
        /// The directory holding the stacks
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// Where to write the draft [default: DIR/tfroles.hcl]; `-` prints it on stdout
        #[arg(long, short = 'o', value_name = "PATH")]
        output: Option<PathBuf>,
        /// A variable's value, as `terraform -var` takes it (repeatable; applied after every --var-file)
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = name_value)]
        vars: Vec<(String, String)>,
        /// A variable definitions file (`.tfvars` or `.tfvars.json`), as `terraform -var-file` takes it (repeatable)
        #[arg(long = "var-file", value_name = "PATH")]
        var_files: Vec<PathBuf>,
        /// A partial backend's settings, as `terraform init -backend-config` takes them: a file or KEY=VALUE (repeatable; replaces the files found beside each stack)
        #[arg(long = "backend-config", value_name = "FILE|KEY=VALUE")]
        backend_configs: Vec<String>,
        /// The workspace `terraform.workspace` is evaluated in [default: default]
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// An account for stacks whose provider names none (admin keys, a profile without a role): NAME matches a profile, provider alias or directory; one alone applies to all (repeatable)
        #[arg(long = "account", value_name = "NAME=ID", value_parser = name_account)]
        accounts: Vec<(String, String)>,
        /// What to call account ID in the draft (repeatable)
        #[arg(long = "account-name", value_name = "ID=NAME", value_parser = account_name)]
        account_names: Vec<(String, String)>,
        /// The AWS shared config file that `profile`s are read from [default: AWS_CONFIG_FILE, else ~/.aws/config]
        #[arg(long = "aws-config", value_name = "PATH")]
        aws_config: Option<PathBuf>,
        /// Hand the stacks of the reviewed DIR/tfroles.hcl over: remove their hand-written `backend "s3"` and `provider "aws"` blocks (every other byte kept, each edited file kept as <name>.tfroles-orig), print the diff; then run `tfroles generate`
        #[arg(long, conflicts_with_all = ["output", "vars", "var_files", "backend_configs", "workspace", "accounts", "account_names", "aws_config"])]
        handover: bool,
        /// With --handover: print the diff and write nothing
        #[arg(long, requires = "handover")]
        check: bool,
    },
    /// Run every check `generate` runs (config, globs, policies and their sizes, files in the way) and report every problem; writes nothing
    #[command(after_help = "Example:\n  tfroles validate --config infra/tfroles.hcl")]
    Validate {
        #[command(flatten)]
        config: ConfigArg,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
    },
    /// List every role instance (each role in each of its accounts) with its ARN
    #[command(after_help = "Example:\n  tfroles roles --format json | jq -r '.[].arn'")]
    Roles {
        #[command(flatten)]
        config: ConfigArg,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List each stack's terraform workspaces with the account, role, region and state key of each
    #[command(after_help = "Example:\n  tfroles workspaces --stack services/app")]
    Workspaces {
        #[command(flatten)]
        config: ConfigArg,
        /// Only this stack
        #[arg(long, value_name = "PATH")]
        stack: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show who can become what: identities, the roles they may assume, and the stacks using each role
    #[command(
        after_help = "Examples:\n  tfroles graph > roles.mmd\n  tfroles graph --format dot | dot -Tsvg > roles.svg"
    )]
    Graph {
        #[command(flatten)]
        config: ConfigArg,
        /// Output format
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Print a generated IAM policy as JSON: a role's trust, permissions or session policy, or a base identity's
    #[command(after_help = POLICY_HELP)]
    Policy {
        #[command(flatten)]
        args: policy::PolicyArgs,
    },
    /// Decide locally, as AWS would, whether a role's session may do an action on a resource
    #[command(after_help = SIMULATE_HELP)]
    Simulate {
        #[command(flatten)]
        args: policy::SimulateArgs,
    },
    /// Why AWS refused a call: terraform's output, an AWS error message or a CloudTrail record,
    /// decided again with the config's policies, and the change to tfroles.hcl that allows it
    Explain {
        #[command(flatten)]
        args: explain::ExplainArgs,
    },
    /// What each role used according to CloudTrail, what it was granted and never used, what it was denied, and a narrower grant
    #[command(after_help = USAGE_HELP)]
    Usage {
        #[command(flatten)]
        args: usage::UsageArgs,
    },
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  tfroles completions bash > /etc/bash_completion.d/tfroles\n  tfroles completions zsh > \"${fpath[1]}/_tfroles\"\n  tfroles completions fish > ~/.config/fish/completions/tfroles.fish"
    )]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a role's credentials as the AWS credential_process JSON (cached, shared)
    #[command(after_help = CREDENTIAL_PROCESS_HELP)]
    CredentialProcess {
        #[command(flatten)]
        args: creds::CredArgs,
    },
    /// Print a role's credentials as environment variables
    #[command(after_help = ENV_HELP)]
    Env {
        #[command(flatten)]
        args: creds::CredArgs,
        /// Output format
        #[arg(long, value_enum, default_value_t = creds::EnvFormat::Sh)]
        format: creds::EnvFormat,
    },
    /// Check a config against the live accounts before the first terraform run: the base
    /// identity, every role, the state bucket and its settings, the lock, the OIDC providers
    #[command(after_help = DOCTOR_HELP)]
    Doctor {
        #[command(flatten)]
        args: doctor::DoctorArgs,
    },
    /// The shared credential cache: list or clear the cached sessions
    #[command(subcommand, after_help = CACHE_HELP)]
    Cache(cache_cmd::CacheCommand),
    /// Run a command with a role's credentials in its environment
    #[command(after_help = EXEC_HELP)]
    Exec {
        #[command(flatten)]
        args: creds::CredArgs,
        /// Serve the credentials to the command from a loopback endpoint
        /// (AWS_CONTAINER_CREDENTIALS_FULL_URI) that hands out the next session before the
        /// current one expires, instead of fixed keys: for runs longer than a session
        #[arg(long)]
        server: bool,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
}

const CREDENTIAL_PROCESS_HELP: &str =
    "The credential_process protocol: prints one JSON object on stdout and nothing else;
diagnostics go to stderr and never include a secret.

With --role, the session carries the session policy `tfroles policy --kind session`
prints: a provisioning role's delete guard (denying its delete-class actions) unless
the role has `allow_delete = true` or --allow-delete is given; for the state role with
--stack, only that stack's state keys (with `role_per_stack`: the stack's own role).
The policy is part of the cache key.

In ~/.aws/config (or the file `generate` writes with credentials = \"profile\"):
  [profile tfroles-public-api-provisioning-qa]
  credential_process = tfroles credential-process --role public-api-provisioning --account qa
  [profile tfroles-state-qa.public-api]
  credential_process = tfroles credential-process --role terraform-state --account shared --stack qa/public-api

Examples:
  tfroles credential-process --role terraform-state --stack qa/public-api
  tfroles credential-process --role public-api-provisioning --account qa --allow-delete
  tfroles credential-process --role-arn arn:aws:iam::111111111111:role/x --external-id tf-state";

const DOCTOR_HELP: &str =
    "One line per check: ✓ passed, ✗ failed (with the fix on the next line), – could
not be checked (and why). Read-only, except the lock probe: under a stack's backend
session it writes that stack's lock file as terraform would (only if none exists) and
removes it.

Exit status: 0 no check failed, 1 a check failed, 2 invalid configuration or usage.

Examples:
  tfroles doctor
  tfroles doctor --stack qa/public-api --format json";

const CACHE_HELP: &str =
    "The cache directory is $TFROLES_CACHE_DIR, else $XDG_CACHE_HOME/tfroles, else
~/.cache/tfroles. Expired entries and lock files of entries that are gone are also
removed in passing, after each STS call.

Examples:
  tfroles cache list
  tfroles cache list --format json
  tfroles cache clear --role terraform-state
  tfroles cache clear";

const POLICY_HELP: &str =
    "The policies are derived from tfroles.hcl and the stacks it resolves to; the
bootstrap stack (`bootstrap { dir }`) creates the roles with exactly these.

Examples:
  tfroles policy --role terraform-state                          what the state role may do
  tfroles policy --role terraform-state --kind session --stack qa/api   one stack's backend session
  tfroles policy --role public-api-provisioning --account qa --kind trust
  tfroles policy --role public-api-provisioning --kind session   the delete guard
  tfroles policy --identity ci                                   the base identity's policy";

const SIMULATE_HELP: &str =
    "Evaluates the role's permissions policy intersected with the session policy
its sessions carry (the backend's per-stack policy with --stack, the delete guard
of a provisioning role unless --allow-delete), following AWS's logic: an explicit
Deny wins, then an Allow in both, else an implicit deny. The first line is
`allowed` or `denied`; the next names the statement that decided.

Covered: Action/NotAction and Resource/NotResource with `*` and `?` (actions
ignore case, resources do not), and the String, Arn, Numeric, Date, Bool, Null,
IpAddress and Binary condition operators with IfExists, ForAnyValue: and
ForAllValues:. Not covered: resource-based policies (bucket, key and trust
policies), permissions boundaries, SCPs and RCPs, policy variables other than
${*} ${?} ${$}; the request context is exactly the --context values given.

Exit status: 0 allowed, 1 denied, 2 invalid input or a policy the evaluator
cannot decide.

Examples:
  tfroles simulate --role terraform-state --stack qa/api --action s3:PutObject \\
    --resource arn:aws:s3:::acme-terraform-state/terraform/production/api/terraform.tfstate
  tfroles simulate --role public-api-provisioning --account qa \\
    --action ec2:TerminateInstances --resource '*'";

const USAGE_HELP: &str = "Reads CloudTrail logs as CloudTrail delivers them (`.json.gz` and `.json` files of
{\"Records\": [...]} under AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/, or any
directory of them), the JSON of `aws cloudtrail lookup-events`, or s3://BUCKET/PREFIX.
Each event becomes the IAM actions that authorised it (the catalog, plus the table of
events whose action has another name: docs/least-privilege.md). For each role instance:
the actions used, the actions denied, the granted actions never used (by service and
access level), events no action maps to; then, per role, a narrower grant in
tfroles.hcl's terms. Below a directory given, symbolic links are never followed.

Examples:
  tfroles usage --cloudtrail AWSLogs/ --since 2026-11-01
  tfroles usage --cloudtrail s3://acme-trail/AWSLogs/111111111111/ --role app --format json
  aws cloudtrail lookup-events --max-results 50 > events.json && tfroles usage --cloudtrail events.json";

const ENV_HELP: &str = "Examples:
  eval \"$(tfroles env --role public-api-provisioning --account qa)\"
  tfroles env --role terraform-state --format fish | source";

const EXEC_HELP: &str = "Examples:
  tfroles exec --role public-api-provisioning --account qa -- terraform plan
  tfroles exec --role public-api-provisioning --account qa --allow-delete -- terraform destroy
  tfroles exec --server --role public-api-provisioning --account qa -- terraform apply

With --server the command gets AWS_CONTAINER_CREDENTIALS_FULL_URI (127.0.0.1, a random
port and path) and AWS_CONTAINER_AUTHORIZATION_TOKEN (random, per run) instead of keys:
its AWS SDK fetches credentials from tfroles, which renews them from the shared cache
before they expire, so a run longer than one session never sees ExpiredToken. The
endpoint stops when the command exits; tfroles exits with the command's code.";

const IMPORT_HELP: &str = "Reads every .tf file below DIR (hidden directories skipped) and drafts a
tfroles.hcl from the backend \"s3\" and provider \"aws\" blocks it finds. It changes
no existing file and never overwrites one. Whatever it could not map (variables,
expressions, profiles, attributes tfroles does not generate, settings that differ
between stacks, state keys generate would change) is reported on stderr as
`warning: FILE:LINE: ...` and listed at the top of the draft; a summary line ends
the run (on stderr, so that `--output -` prints the draft alone).

Expressions are evaluated as terraform would without AWS: variables (defaults,
terraform.tfvars, *.auto.tfvars, --var-file, --var), locals, terraform.workspace
and the functions names are built with; what stays unknown (data sources, module
outputs) is reported once per cause. A partial backend is completed from
--backend-config, else from the one *.tfbackend or backend.hcl beside the stack.

Examples:
  tfroles import                    write ./tfroles.hcl
  tfroles import infra --output -   print the draft for infra/
  tfroles import --var-file prod.tfvars --var env=prod --backend-config prod.tfbackend

Then review the draft and hand the stacks over: `tfroles import --handover`
removes the hand-written backend and provider blocks the config now generates
(`--check` shows the diff first), and `tfroles generate` writes its own
(see docs/migrating.md).";

const GENERATE_HELP: &str = "Examples:
  tfroles generate                 write or update the files
  tfroles generate --check --diff  what CI (and the tfroles-check pre-commit hook) runs
  tfroles generate --fail-on-change  what the tfroles-generate pre-commit hook runs
  tfroles generate infra/app/main.tf  the config owning that file (infra/tfroles.hcl)
  tfroles generate --prune         also remove files of stacks that left the config

Generated files of stacks that left the config are listed as stale and kept: the
change that dropped them may be a mistake. `--check` fails on them; `--prune`
removes them. tfroles writes only regular files below the directory of
tfroles.hcl, never through a symbolic link; files get mode 0644.";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutFormat {
    /// Lines for people
    Text,
    /// One JSON object
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (renders on GitHub)
    Mermaid,
    /// Graphviz dot
    Dot,
    /// Nodes and edges as JSON
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// The binary's own ways to end without success; each is a
/// [`Failure`] and has its exit code there.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Exit {
    /// `generate --check` found files out of date, or `--fail-on-change`
    /// changed some.
    #[error("{message}")]
    Drift {
        /// What differs.
        message: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// `simulate`: the request is denied. The answer is already on stdout,
    /// so there is no message.
    #[error("")]
    Denied,
    /// The file `import` would write exists.
    #[error("{message}")]
    Exists {
        /// Which file.
        message: String,
        /// Where to write instead.
        hint: String,
    },
}

impl Exit {
    /// What to do about it, printed after the message.
    pub(crate) fn hint(&self) -> Option<&str> {
        match self {
            Exit::Drift { hint, .. } => hint.as_deref(),
            Exit::Exists { hint, .. } => Some(hint),
            Exit::Denied => None,
        }
    }
}

pub(crate) fn load(arg: &ConfigArg) -> Outcome<Config> {
    load_path(arg.config.as_deref())
}

/// Reads the named config, or finds `tfroles.hcl` upwards from here.
pub(crate) fn load_path(config: Option<&Path>) -> Outcome<Config> {
    let from_env = std::env::var_os("TFROLES_CONFIG").filter(|v| !v.is_empty());
    let path = match config {
        Some(p) => p.to_path_buf(),
        None if from_env.is_some() => PathBuf::from(from_env.unwrap_or_default()),
        None => {
            let cwd = std::env::current_dir()
                .map_err(|e| Failure::io(e, "cannot read the current directory".into()))?;
            let found = Config::find(&cwd)?;
            // Name the file relative to where the user stands, as they would.
            found
                .strip_prefix(&cwd)
                .map(Path::to_path_buf)
                .unwrap_or(found)
        }
    };
    // Module roles (`module_roles = true`) are roles like the others for
    // every command: found here, once.
    Ok(Config::from_path(&path)?.with_module_roles()?)
}

/// The module calls that do not pass their module's provider, printed to
/// stderr (`error:` for `validate` and `generate --check`, which then
/// fail, `warning:` for `generate`, which never edits hand-written files).
fn report_unwired(config: &Config, fail: bool) -> Outcome<()> {
    let unwired = config.module_roles().unwired(config.root());
    if unwired.is_empty() {
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    let word = if fail { "error" } else { "warning" };
    for d in &unwired {
        writeln!(err, "{word}: {}", failure::diagnostic(d))?;
    }
    if fail {
        let n = unwired.len();
        return Err(Exit::Drift {
            message: format!(
                "{n} module call{} do{} not pass {} module's provider",
                if n == 1 { "" } else { "s" },
                if n == 1 { "es" } else { "" },
                if n == 1 { "its" } else { "their" },
            ),
            hint: Some(format!(
                "add the `providers` line{} shown; tfroles does not edit hand-written files",
                if n == 1 { "" } else { "s" },
            )),
        }
        .into());
    }
    Ok(())
}

/// The config, the directories below it, and the stacks they resolve to;
/// the config's warnings (broad CI trust) and glob warnings go to stderr.
pub(crate) fn load_stacks(
    arg: &ConfigArg,
) -> Outcome<(Config, Vec<tfroles_core::TfDir>, tfroles_core::Resolution)> {
    let config = load(arg)?;
    let dirs = tfroles_core::discover(config.root())?;
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let resolution = config.resolve(&paths)?;
    let mut err = std::io::stderr().lock();
    for w in config.warnings().iter().chain(&resolution.warnings) {
        writeln!(err, "warning: {}", failure::diagnostic(w))?;
    }
    Ok((config, dirs, resolution))
}

/// Everything `generate` checks before it writes: the config, the stacks,
/// every file's contents (policies and their sizes, bootstrap trust,
/// profile-mode paths) and what is on disk in the way. `validate` runs the
/// same, so the two never disagree on what is wrong.
fn prepare(
    arg: &ConfigArg,
    options: PlanOptions,
) -> Outcome<(Config, tfroles_core::Resolution, tfroles_hcl::Plan)> {
    let (config, dirs, resolution) = load_stacks(arg)?;
    let files = tfroles_hcl::generate(&config, &resolution.stacks)?;
    let plan = tfroles_hcl::plan(&config, files, &dirs, options)?;
    Ok((config, resolution, plan))
}

fn change_word(change: Change, check: bool) -> &'static str {
    match (change, check) {
        (Change::Create, true) => "missing",
        (Change::Update | Change::TakeOver, true) => "differs",
        (Change::Remove | Change::Stale, _) if check => "stale",
        (Change::Leftover, true) => "leftover",
        (Change::Unchanged, _) => "unchanged",
        (Change::Stale, false) => "stale",
        (Change::Leftover, false) => "cleaned",
        (Change::Create, false) => "created",
        (Change::Update, false) => "updated",
        (Change::TakeOver, false) => "took over",
        (Change::Remove, false) => "removed",
        _ => "changed",
    }
}

#[derive(Clone, Copy)]
struct GenerateArgs {
    check: bool,
    diff: bool,
    take_over: bool,
    prune: bool,
    fail_on_change: bool,
    format: OutFormat,
}

/// `generate` for `--config` (or the config found from here), or, with
/// paths, for each config owning one of them, in turn. Every config runs;
/// the first failure is the answer.
fn generate_for(arg: &ConfigArg, paths: &[PathBuf], opts: GenerateArgs) -> Outcome<()> {
    if paths.is_empty() {
        return generate(arg, opts);
    }
    let configs = owning_configs(paths)?;
    if configs.is_empty() {
        eprintln!("no tfroles.hcl at or above the given paths: nothing to generate");
        return Ok(());
    }
    // Each config's failure is printed where it happens; the last is
    // returned, to be printed and to give the exit code.
    let mut failure: Option<Failure> = None;
    for config in &configs {
        if configs.len() > 1 {
            println!("== {}", config.display());
        }
        let arg = ConfigArg {
            config: Some(config.clone()),
        };
        if let Err(e) = generate(&arg, opts)
            && let Some(earlier) = failure.replace(e)
        {
            print_failure(&earlier, !opts.check);
        }
    }
    failure.map_or(Ok(()), Err)
}

/// The configs owning `paths`: for each, the nearest `tfroles.hcl` in its
/// directory (a file's own directory) or a parent, named relative to here
/// when below it; each once, in order.
fn owning_configs(paths: &[PathBuf]) -> Outcome<Vec<PathBuf>> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::io(e, "cannot read the current directory".into()))?;
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        let full = cwd.join(p);
        let start = if full.is_dir() {
            full.as_path()
        } else {
            full.parent().unwrap_or(&cwd)
        };
        let Ok(found) = Config::find(start) else {
            continue;
        };
        let named = found
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or(found);
        if !out.contains(&named) {
            out.push(named);
        }
    }
    out.sort();
    Ok(out)
}

fn generate(arg: &ConfigArg, opts: GenerateArgs) -> Outcome<()> {
    let GenerateArgs {
        check,
        take_over,
        prune,
        format,
        ..
    } = opts;
    let (config, _, plan) = prepare(arg, PlanOptions { take_over, prune })?;
    let s = if check { plan.summary() } else { plan.apply()? };
    // After the generated files are written: the aliases the calls should
    // name exist once providers.tf has them.
    let unwired = report_unwired(&config, check);
    let mut out = std::io::stdout().lock();
    if format == OutFormat::Json {
        print_generate_json(&mut out, &plan, s, check)?;
    } else if check {
        print_checked(&mut out, &plan, s, opts.diff)?;
    } else {
        print_written(&mut out, &plan, s)?;
    }
    generate_verdict(&plan, s, opts)?;
    unwired
}

fn print_generate_json(
    out: &mut impl Write,
    plan: &tfroles_hcl::Plan,
    s: tfroles_hcl::Summary,
    check: bool,
) -> Outcome<()> {
    let files: Vec<serde_json::Value> = plan
        .files
        .iter()
        .map(|f| serde_json::json!({ "path": f.path, "change": change_word(f.change, check) }))
        .collect();
    let report = serde_json::json!({
        "check": check,
        "up_to_date": plan.is_up_to_date(),
        "written": if check { 0 } else { s.written },
        "unchanged": s.unchanged,
        "removed": if check { 0 } else { s.removed },
        "stale": s.stale,
        "files": files,
    });
    writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

/// `--check`: what differs, on stdout.
fn print_checked(
    out: &mut impl Write,
    plan: &tfroles_hcl::Plan,
    s: tfroles_hcl::Summary,
    diff: bool,
) -> Outcome<()> {
    for f in plan.drift() {
        writeln!(out, "{:<8} {}", change_word(f.change, true), f.path)?;
    }
    if diff {
        write!(out, "{}", plan.diff())?;
    }
    if plan.is_up_to_date() {
        writeln!(out, "{} files up to date", s.unchanged)?;
    }
    Ok(())
}

/// A write: each change on stderr, the counts on stdout, and a warning for
/// stale files kept.
fn print_written(
    out: &mut impl Write,
    plan: &tfroles_hcl::Plan,
    s: tfroles_hcl::Summary,
) -> Outcome<()> {
    // One write per line would be 20,000 syscalls for 10,000 stacks.
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    for f in plan.drift() {
        writeln!(err, "{:<9} {}", change_word(f.change, false), f.path)?;
    }
    err.flush()?;
    writeln!(out, "{}", written_line(s))?;
    if s.stale > 0 {
        writeln!(
            std::io::stderr().lock(),
            "warning: {} generated file{} no stack generates any more {} kept, in case the config change was a mistake (a glob typo)\n  \
             hint: run `tfroles generate --prune` to remove them, or fix the config",
            s.stale,
            if s.stale == 1 { "" } else { "s" },
            if s.stale == 1 { "is" } else { "are" },
        )?;
    }
    Ok(())
}

/// `wrote N files, M unchanged`, and whatever else the write did.
fn written_line(s: tfroles_hcl::Summary) -> String {
    let mut line = format!(
        "wrote {} file{}, {} unchanged",
        s.written,
        if s.written == 1 { "" } else { "s" },
        s.unchanged
    );
    if s.removed > 0 {
        line.push_str(&format!(", removed {} stale", s.removed));
    }
    if s.stale > 0 {
        line.push_str(&format!(", kept {} stale", s.stale));
    }
    if s.leftovers > 0 {
        line.push_str(&format!(
            ", cleaned {} temporary file{} of an interrupted run",
            s.leftovers,
            if s.leftovers == 1 { "" } else { "s" }
        ));
    }
    line
}

/// Drift as the exit code: `--fail-on-change` after a write (for a
/// pre-commit hook), `--check` without one.
fn generate_verdict(
    plan: &tfroles_hcl::Plan,
    s: tfroles_hcl::Summary,
    opts: GenerateArgs,
) -> Outcome<()> {
    if plan.is_up_to_date() {
        return Ok(());
    }
    if opts.fail_on_change {
        let (message, hint) = if s.written + s.removed + s.leftovers == 0 {
            (
                "stale generated files were kept: no stack in the config generates them any more",
                "if the config change was meant, run `tfroles generate --prune` and commit the removal; \
                 otherwise fix the config (a glob that no longer matches?)",
            )
        } else {
            (
                "generated files changed",
                "review them (`git status`, `git diff`), stage them and commit again",
            )
        };
        return Err(Exit::Drift {
            message: message.into(),
            hint: Some(hint.into()),
        }
        .into());
    }
    if opts.check {
        let n = s.written + s.removed + s.stale + s.leftovers;
        return Err(Exit::Drift {
            message: format!(
                "{n} file{} out of date, {} up to date",
                if n == 1 { "" } else { "s" },
                s.unchanged,
            ),
            hint: Some(format!(
                "run `tfroles generate` to update them{}",
                if s.stale > 0 {
                    " (`tfroles generate --prune` also removes the stale ones)"
                } else {
                    ""
                }
            )),
        }
        .into());
    }
    Ok(())
}

fn exists(path: &Path) -> Exit {
    Exit::Exists {
        message: format!(
            "`{}` exists; tfroles import never overwrites a file",
            path.display()
        ),
        hint: "move it away, or write the draft elsewhere with `--output PATH` (`--output -` prints it)"
            .into(),
    }
}

/// `import --handover`: the reviewed config's stacks' hand-written blocks
/// removed, so that `generate` writes the only ones.
fn hand_over(dir: &Path, check: bool) -> Outcome<()> {
    let arg = ConfigArg {
        config: Some(dir.join(CONFIG_FILE_NAME)),
    };
    let (config, dirs, resolution) = load_stacks(&arg)?;
    let h = tfroles_hcl::handover(&config, &resolution.stacks, &dirs)?;
    let mut out = std::io::stdout().lock();
    write!(out, "{}", h.plan.diff())?;
    let mut err = std::io::stderr().lock();
    for k in &h.kept {
        writeln!(
            err,
            "warning: {}:{}: {} kept: tfroles.hcl does not generate it (resources may use it)",
            k.file, k.line, k.block
        )?;
    }
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let what = format!(
        "{} from {}",
        n(h.removed.len(), "block", "blocks"),
        n(h.plan.files.len(), "file", "files")
    );
    if check {
        writeln!(err, "would remove {what}; nothing written")?;
    } else {
        h.plan.apply()?;
        writeln!(
            err,
            "removed {what} (each original kept as <name>{}); now run `tfroles generate`",
            tfroles_hcl::ORIGINAL_SUFFIX
        )?;
    }
    Ok(())
}

/// `NAME=VALUE`, as `terraform -var` takes it.
fn name_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("{s:?} is not NAME=VALUE")),
    }
}

/// `--account NAME=ID`, both checked as tfroles.hcl checks them.
fn name_account(s: &str) -> Result<(String, String), String> {
    let (n, id) = name_value(s)?;
    n.parse::<tfroles_core::types::AccountName>()
        .map_err(|e| e.message)?;
    id.parse::<tfroles_core::types::AccountId>()
        .map_err(|e| e.message)?;
    Ok((n, id))
}

/// `--account-name ID=NAME`.
fn account_name(s: &str) -> Result<(String, String), String> {
    let (id, n) = name_value(s)?;
    name_account(&format!("{n}={id}"))?;
    Ok((id, n))
}

/// `-backend-config`'s two forms, told apart as terraform does: `KEY=VALUE`
/// when there is an `=`, a file otherwise.
fn backend_config(s: &str) -> tfroles_hcl::BackendConfig {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !k.contains(['/', '\\']) => {
            tfroles_hcl::BackendConfig::Pair(k.to_owned(), v.to_owned())
        }
        _ => tfroles_hcl::BackendConfig::File(PathBuf::from(s)),
    }
}

fn import(dir: &Path, output: Option<&Path>, opts: &tfroles_hcl::ImportOptions) -> Outcome<()> {
    let target = match output {
        Some(o) => o.to_path_buf(),
        None if dir == Path::new(".") => PathBuf::from(CONFIG_FILE_NAME),
        None => dir.join(CONFIG_FILE_NAME),
    };
    let to_stdout = target.as_os_str() == "-";
    // Refuse before reading anything: the draft must never replace a config.
    if !to_stdout && target.symlink_metadata().is_ok() {
        return Err(exists(&target).into());
    }
    // Findings name files relative to DIR; show them as the user named DIR.
    let shown = |file: &str| {
        if dir == Path::new(".") {
            file.to_owned()
        } else {
            dir.join(file).display().to_string()
        }
    };
    let mut err = std::io::stderr().lock();
    let imported = match tfroles_hcl::import_with(dir, opts) {
        Ok(i) => i,
        Err(e) => {
            if let tfroles_hcl::Error::NothingToImport { report, .. } = &e {
                for f in report {
                    writeln!(err, "warning: {}:{}: {}", shown(&f.file), f.line, f.message)?;
                }
            }
            return Err(e.into());
        }
    };
    for f in &imported.report {
        writeln!(err, "warning: {}:{}: {}", shown(&f.file), f.line, f.message)?;
    }
    let summary = imported.summary();
    if to_stdout {
        std::io::stdout()
            .lock()
            .write_all(imported.config.as_bytes())?;
        writeln!(err, "{summary}")?;
        return Ok(());
    }
    // create_new: a file that appeared meanwhile is still not overwritten.
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(exists(&target).into());
        }
        Err(e) => {
            return Err(Failure::io(
                e,
                format!("cannot write `{}`", target.display()),
            ));
        }
    };
    if let Err(e) = file.write_all(imported.config.as_bytes()) {
        drop(file);
        let _ = std::fs::remove_file(&target);
        return Err(Failure::io(
            e,
            format!("cannot write `{}`", target.display()),
        ));
    }
    writeln!(
        err,
        "{summary}; wrote {} (review it, then run `tfroles import --handover` and `tfroles generate`)",
        target.display()
    )?;
    Ok(())
}

/// `validate --format json` when the config is invalid: the diagnostics as
/// data on stdout (the same messages still go to stderr), so CI and editors
/// need not parse the text.
fn invalid_json(e: &Failure) -> serde_json::Value {
    let diagnostics: Vec<serde_json::Value> = match e.diagnostics() {
        Some(d) => d.0.iter().map(diagnostic_json).collect(),
        // Not the config's text: a file in the way, an unreadable file. The
        // message is the error as printed, its hint included, as it was
        // before hints became data (consumers parse `message`).
        None => vec![serde_json::json!({
            "file": null, "line": null, "column": null, "block": null, "attribute": null,
            "message": failure::with_hint(e.to_string(), e.hint().as_deref()), "allowed": null, "hint": null,
        })],
    };
    invalid_report(e, diagnostics)
}

/// `{"valid": false, ...}`: the shape of every failed `validate --format json`.
fn invalid_report(e: &Failure, diagnostics: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "valid": false,
        "exit_code": e.exit_code(),
        "diagnostics": diagnostics,
    })
}

fn diagnostic_json(d: &tfroles_core::Diagnostic) -> serde_json::Value {
    serde_json::json!({
        "file": d.file,
        "line": d.location.map(|l| l.line),
        "column": d.location.map(|l| l.column),
        "block": d.block,
        "attribute": d.attribute,
        "message": d.message,
        "allowed": d.allowed,
        "hint": d.hint,
    })
}

fn validate(arg: &ConfigArg, format: OutFormat) -> Outcome<()> {
    let json = format == OutFormat::Json;
    let (config, resolution, _) = match prepare(arg, PlanOptions::default()) {
        Ok(p) => p,
        Err(e) if json => return Err(print_invalid(invalid_json(&e), e)?),
        Err(e) => return Err(e),
    };
    if let Err(e) = report_unwired(&config, true) {
        if !json {
            return Err(e);
        }
        let unwired = config.module_roles().unwired(config.root());
        let report = invalid_report(&e, unwired.iter().map(diagnostic_json).collect());
        return Err(print_invalid(report, e)?);
    }
    let mut out = std::io::stdout().lock();
    match format {
        OutFormat::Json => {
            let report = serde_json::json!({
                "file": config.file(),
                "valid": true,
                "accounts": config.accounts().len(),
                "roles": config.roles().len(),
                "stacks": resolution.stacks.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
                "warnings": config.warnings().iter().chain(&resolution.warnings).map(failure::diagnostic).collect::<Vec<_>>(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        OutFormat::Text => writeln!(out, "{}", valid_line(&config, &resolution))?,
    }
    Ok(())
}

/// Prints a failed validation's report; gives back the failure to return.
fn print_invalid(report: serde_json::Value, e: Failure) -> Outcome<Failure> {
    let text = serde_json::to_string_pretty(&report)?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(e)
}

/// `tfroles.hcl is valid: 2 accounts, 3 roles, 4 stacks`.
fn valid_line(config: &Config, resolution: &tfroles_core::Resolution) -> String {
    let n =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let roles = match config.module_roles().roles.len() {
        0 => n(config.roles().len(), "role"),
        m => format!(
            "{} ({m} of them module role{})",
            n(config.roles().len(), "role"),
            if m == 1 { "" } else { "s" }
        ),
    };
    format!(
        "{} is valid: {}, {roles}, {}",
        config.file().display(),
        n(config.accounts().len(), "account"),
        n(resolution.stacks.len(), "stack")
    )
}

fn graph(arg: &ConfigArg, format: GraphFormat) -> Outcome<()> {
    let (config, _, resolution) = load_stacks(arg)?;
    let g = config.graph(&resolution.stacks);
    let text = match format {
        GraphFormat::Mermaid => g.to_mermaid(),
        GraphFormat::Dot => g.to_dot(),
        GraphFormat::Json => serde_json::to_string_pretty(&g)? + "\n",
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn roles(arg: &ConfigArg, format: Format) -> Outcome<()> {
    let config = load(arg)?;
    let sessions = config.role_sessions();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &sessions)?;
            writeln!(out)?;
        }
        Format::Table => {
            let w_role = sessions
                .iter()
                .map(|s| s.role.as_str().len())
                .max()
                .unwrap_or(0)
                .max(4);
            let w_acct = sessions
                .iter()
                .map(|s| s.account.as_str().len())
                .max()
                .unwrap_or(0)
                .max(7);
            writeln!(out, "{:<w_role$}  {:<w_acct$}  ARN", "ROLE", "ACCOUNT")?;
            for s in &sessions {
                writeln!(
                    out,
                    "{:<w_role$}  {:<w_acct$}  {}",
                    s.role, s.account, s.arn
                )?;
            }
        }
    }
    Ok(())
}

/// One row of `tfroles workspaces`.
#[derive(serde::Serialize)]
struct WorkspaceRow<'a> {
    stack: &'a str,
    /// `null` for a stack without workspace blocks, which any workspace
    /// may use (the row describes its default workspace).
    workspace: Option<&'a str>,
    account: &'a str,
    role: &'a str,
    region: &'a str,
    state_key: &'a str,
    role_arn: &'a str,
}

fn workspaces(arg: &ConfigArg, stack: Option<&str>, format: Format) -> Outcome<()> {
    let (config, _, resolution) = load_stacks(arg)?;
    let stacks = match stack {
        Some(p) => vec![crate::policy::find_stack(&config, &resolution.stacks, p)?.clone()],
        None => resolution.stacks,
    };
    let rows = workspace_rows(&stacks);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Table => print_workspace_table(&mut out, &rows)?,
    }
    Ok(())
}

/// One row per workspace block of each stack, or one for a stack without
/// them; each named by its first provider's session.
fn workspace_rows(stacks: &[tfroles_core::Stack]) -> Vec<WorkspaceRow<'_>> {
    let mut rows = Vec::new();
    for s in stacks {
        let targets: Vec<(Option<&str>, &str, &[tfroles_core::Provider])> =
            if s.workspaces.is_empty() {
                vec![(None, s.state_key.as_str(), s.providers.as_slice())]
            } else {
                s.workspaces
                    .iter()
                    .map(|w| {
                        (
                            Some(w.name.as_str()),
                            w.state_key.as_str(),
                            w.providers.as_slice(),
                        )
                    })
                    .collect()
            };
        for (workspace, state_key, providers) in targets {
            let p = &providers[0];
            rows.push(WorkspaceRow {
                stack: s.path.as_str(),
                workspace,
                account: p.session.account.as_str(),
                role: p.session.role.as_str(),
                region: p.region.as_str(),
                state_key,
                role_arn: p.session.arn.as_str(),
            });
        }
    }
    rows
}

/// Columns padded to their widest cell; the last one (the state key) not.
fn print_workspace_table(out: &mut impl Write, rows: &[WorkspaceRow]) -> Outcome<()> {
    let head = [
        "STACK",
        "WORKSPACE",
        "ACCOUNT",
        "ROLE",
        "REGION",
        "STATE KEY",
    ];
    let cells: Vec<[&str; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.stack,
                r.workspace.unwrap_or("(any)"),
                r.account,
                r.role,
                r.region,
                r.state_key,
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(head).chain(cells) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate().take(5) {
            line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
        }
        line.push_str(row[5]);
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Warnings in normal output, as `warning: ...` lines: tfroles's own only.
/// The AWS SDK's and hyper's log lines (a `WARN` about a profile file, a
/// retry, IMDS) are for whoever asks with `-v` or `RUST_LOG`.
struct Plain;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let word = if *event.metadata().level() == tracing::Level::ERROR {
            "error"
        } else {
            "warning"
        };
        write!(w, "{word}: ")?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// tfroles's own crates: their warnings are shown without `-v`.
const OWN_WARNINGS: &str = "off,tfroles=warn,tfroles_core=warn,tfroles_creds=warn,tfroles_hcl=warn,tfroles_policy=warn,tfroles_trail=warn";

/// Diagnostics go to stderr: stdout carries the credential_process answer.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let from_env = EnvFilter::try_from_default_env().ok();
    if verbose == 0 && from_env.is_none() {
        tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(OWN_WARNINGS))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .event_format(Plain)
            .init();
        return;
    }
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = from_env.unwrap_or_else(|| EnvFilter::new(level));
    use std::io::IsTerminal;
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(verbose >= 2)
        .without_time()
        .init();
}

fn main() -> ExitCode {
    // A cache hit of `credential-process` is answered before clap, logging
    // or the config (see fast.rs); anything else, or any doubt, runs below.
    if let Some(code) = fast::try_hit() {
        return code;
    }
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(&cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let generating = matches!(cli.command, Command::Generate { check: false, .. });
            print_failure(&e, generating)
        }
    }
}

/// The one dispatch: each command to the function that runs it.
fn run(command: &Command) -> Outcome<()> {
    match command {
        Command::Generate {
            config,
            check,
            diff,
            take_over,
            prune,
            fail_on_change,
            format,
            paths,
        } => generate_for(
            config,
            paths,
            GenerateArgs {
                check: *check,
                diff: *diff,
                take_over: *take_over,
                prune: *prune,
                fail_on_change: *fail_on_change,
                format: *format,
            },
        ),
        Command::Import {
            dir,
            handover: true,
            check,
            ..
        } => hand_over(dir, *check),
        Command::Import {
            dir,
            output,
            vars,
            var_files,
            backend_configs,
            workspace,
            accounts,
            account_names,
            aws_config,
            ..
        } => {
            let opts = tfroles_hcl::ImportOptions {
                vars: vars.clone(),
                var_files: var_files.clone(),
                backend_configs: backend_configs.iter().map(|b| backend_config(b)).collect(),
                workspace: workspace.clone(),
                accounts: accounts.clone(),
                account_names: account_names.clone(),
                aws_config: aws_config.clone().or_else(tfroles_hcl::default_aws_config),
            };
            import(dir, output.as_deref(), &opts)
        }
        Command::Validate { config, format } => validate(config, *format),
        Command::Roles { config, format } => roles(config, *format),
        Command::Workspaces {
            config,
            stack,
            format,
        } => workspaces(config, stack.as_deref(), *format),
        Command::Graph { config, format } => graph(config, *format),
        Command::Completions { shell } => completions(*shell),
        Command::Policy { args } => policy::policy(args),
        Command::Usage { args } => usage::usage(args),
        Command::Explain { args } => explain::explain(args),
        Command::Simulate { args } => policy::simulate(args),
        Command::Cache(c) => cache_cmd::run(c),
        Command::Doctor { args } => doctor::doctor(args),
        Command::CredentialProcess { args } => creds::credential_process(args),
        Command::Env { args, format } => creds::env(args, *format),
        Command::Exec {
            args,
            server,
            command,
        } => creds::exec(args, command, *server),
    }
}

fn completions(shell: clap_complete::Shell) -> Outcome<()> {
    use clap::CommandFactory;
    // Into memory first: clap_complete panics when its writer fails
    // (a closed pipe), and a panic is never an answer to input.
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tfroles", &mut buf);
    std::io::stdout()
        .lock()
        .write_all(&buf)
        .map_err(Failure::from)
}

/// The terraform workspace a command works for: `--workspace`, else
/// `$TF_WORKSPACE` (which terraform itself reads), else none. An empty
/// variable counts as unset, as terraform treats it.
pub(crate) fn workspace_arg(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_owned)
        .or_else(|| std::env::var("TF_WORKSPACE").ok().filter(|w| !w.is_empty()))
}

/// Prints a failure on stderr as every command does; returns its exit code.
fn print_failure(e: &Failure, generating: bool) -> ExitCode {
    let code = e.exit_code();
    if e.is_broken_pipe() {
        return ExitCode::SUCCESS;
    }
    let mut err = std::io::stderr().lock();
    if code == 1 {
        // Drift and denial are answers, not errors: no `error:` prefix.
        if !e.to_string().is_empty() {
            for m in &e.report() {
                let _ = writeln!(err, "{m}");
            }
        }
        return ExitCode::from(code);
    }
    for m in &e.report() {
        let _ = writeln!(err, "error: {m}");
    }
    if generating && (code == 2 || code == 3) {
        let _ = writeln!(err, "nothing was written");
    }
    ExitCode::from(code)
}
