//! `tfroles policy` and `tfroles simulate`: the generated IAM policies, and
//! what a role's session may do according to them.

use std::io::Write;

use tfroles_core::{Config, SessionFor, SessionKind, Stack};
use tfroles_policy::{PolicyDocument, Request, evaluate};

use crate::{ConfigArg, OutFormat, Outcome, Usage};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Who may assume the role (its trust policy)
    Trust,
    /// What the role may do (its identity policy)
    Permissions,
    /// What one session may do (the session policy passed on AssumeRole)
    Session,
}

#[derive(clap::Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The role
    #[arg(long, value_name = "NAME", required_unless_present = "identity")]
    pub role: Option<String>,
    /// The role's account, when it has several
    #[arg(long, value_name = "NAME", requires = "role")]
    pub account: Option<String>,
    /// A base identity (an `identity` block with an `arn`): its policy
    #[arg(long, value_name = "NAME", conflicts_with_all = ["role", "kind"])]
    pub identity: Option<String>,
    /// Which policy
    #[arg(long, value_enum, default_value_t = Kind::Permissions)]
    pub kind: Kind,
    /// The stack, for the state role: its backend's session policy, or with
    /// `role_per_stack` its own role
    #[arg(long, value_name = "PATH")]
    pub stack: Option<String>,
    /// With --stack: the terraform workspace (default: $TF_WORKSPACE); the backend's
    /// session policy then covers that workspace's state only. Ignored without --stack
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
    /// With --kind session: the session of a deliberate deleting run (no delete guard)
    #[arg(long)]
    pub allow_delete: bool,
    /// One line of JSON, as passed to AWS, instead of indented
    #[arg(long)]
    pub compact: bool,
}

#[derive(clap::Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The role
    #[arg(long, value_name = "NAME")]
    pub role: String,
    /// The role's account, when it has several
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// The action, like `s3:PutObject`
    #[arg(long, value_name = "ACTION")]
    pub action: String,
    /// The resource ARN, like `arn:aws:s3:::bucket/key`
    #[arg(long, value_name = "ARN")]
    pub resource: String,
    /// The stack whose backend session to simulate (state role)
    #[arg(long, value_name = "PATH", conflicts_with_all = ["no_session_policy", "allow_delete"])]
    pub stack: Option<String>,
    /// With --stack: the terraform workspace (default: $TF_WORKSPACE); the backend's
    /// session policy then covers that workspace's state only. Ignored without --stack
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
    /// Evaluate the role's own policy only, as a session without a session policy
    #[arg(long, conflicts_with = "allow_delete")]
    pub no_session_policy: bool,
    /// The session of a deliberate deleting run (`credential-process --allow-delete`)
    #[arg(long)]
    pub allow_delete: bool,
    /// A request context value, KEY=VALUE (repeat a key for several values)
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    pub format: OutFormat,
}

/// The stack named on the command line, resolved like `generate` does.
/// `--stack .` (or `./`) names the current directory: the stack path is
/// where the user stands, relative to the config's directory. Any other
/// value is taken as it is.
pub(crate) fn here(config: &Config, path: &str) -> Outcome<String> {
    if path.trim_end_matches('/') != "." {
        return Ok(path.to_owned());
    }
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .map_err(|e| crate::Failure::io(e, "cannot read the current directory".into()))?;
    let root = std::fs::canonicalize(config.root()).map_err(|e| {
        crate::Failure::io(e, format!("cannot resolve `{}`", config.root().display()))
    })?;
    let rel = cwd.strip_prefix(&root).map_err(|_| {
        Usage::hinted(
            format!(
                "--stack .: the current directory `{}` is not below the config's directory `{}`",
                cwd.display(),
                root.display()
            ),
            "run it in a stack's directory, or name the stack",
        )
    })?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        return Err(Usage::hinted(
            format!(
                "--stack .: the current directory is the config's directory `{}`, not a stack",
                root.display()
            ),
            "run it in a stack's directory, or name the stack",
        )
        .into());
    }
    Ok(parts.join("/"))
}

pub(crate) fn find_stack<'s>(
    config: &Config,
    stacks: &'s [Stack],
    path: &str,
) -> Outcome<&'s Stack> {
    let path = &here(config, path)?;
    let wanted = path.trim_end_matches('/');
    stacks
        .iter()
        .find(|s| s.path.as_str() == wanted)
        .ok_or_else(|| {
            let known: Vec<&str> = stacks.iter().map(|s| s.path.as_str()).collect();
            let shown = known.iter().take(10).map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
            Usage::hinted(
                format!(
                    "--stack: `{path}` is not a stack of {}\n  allowed: the stacks it resolves to: {}{}",
                    config.file().display(),
                    if shown.is_empty() { "(none)".to_owned() } else { shown },
                    if known.len() > 10 { ", ..." } else { "" }
                ),
                "stack paths are directories relative to the config file, as `tfroles generate` lists them",
            )
            .into()
        })
}

/// The stack at `path`, as `generate` resolves it, matching only that
/// directory against the `stack` blocks rather than walking the tree (the
/// credential helper runs on every terraform command). A path that is no
/// stack is looked up in the whole tree, for an error listing the stacks.
pub(crate) fn one_stack(config: &Config, path: &str) -> Outcome<Stack> {
    let path = &here(config, path)?;
    if let Some(s) = stack_without_tree(config, path) {
        return Ok(s);
    }
    let dirs = tfroles_core::discover(config.root())?;
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let stacks = config.resolve(&paths)?.stacks;
    find_stack(config, &stacks, path).cloned()
}

/// The stack at `path` when the `stack` blocks resolve it alone, without
/// reading the tree.
pub(crate) fn stack_without_tree(config: &Config, path: &str) -> Option<Stack> {
    let dir = path
        .trim_end_matches('/')
        .parse::<tfroles_core::types::StackPath>()
        .ok()?;
    let stacks = config.resolve(std::slice::from_ref(&dir)).ok()?.stacks;
    stacks.into_iter().find(|s| s.path == dir)
}

/// The config and its stacks, as `generate` resolves them (glob warnings
/// on stderr).
fn stacks(arg: &ConfigArg) -> Outcome<(Config, Vec<Stack>)> {
    let (config, _, resolution) = crate::load_stacks(arg)?;
    Ok((config, resolution.stacks))
}

pub fn policy(args: &PolicyArgs) -> Outcome<()> {
    let (config, stacks) = stacks(&args.config)?;
    let stack = args
        .stack
        .as_deref()
        .map(|p| find_stack(&config, &stacks, p))
        .transpose()?;
    let mut why = "";
    let doc: Option<PolicyDocument> = if let Some(identity) = &args.identity {
        Some(config.identity_policy(identity)?)
    } else {
        let role = args.role.as_deref().expect("clap: --role or --identity");
        // `decide_session` reads the workspace only with a stack.
        let workspace = crate::workspace_arg(args.workspace.as_deref());
        let mut ask = SessionFor::role(role).allow_delete(args.allow_delete);
        ask.account = args.account.as_deref();
        ask.stack = stack;
        ask.workspace = workspace.as_deref();
        // A stack, or a session policy, is the session's business: the one
        // function that decides it also says which roles take a stack.
        let decided = match (args.kind, stack) {
            (Kind::Session, _) | (_, Some(_)) => Some(config.decide_session(&ask)?),
            _ => None,
        };
        match args.kind {
            Kind::Trust => Some(config.trust_policy(role, args.account.as_deref(), &stacks)?),
            Kind::Permissions => Some(match stack {
                Some(s) => config.stack_state_permissions(s, &stacks)?,
                None => config.permissions_policy(role, args.account.as_deref(), &stacks)?,
            }),
            Kind::Session => {
                let decided = decided.expect("decided for --kind session");
                if decided.kind == (SessionKind::State { stack: None }) {
                    return Err(Usage::hinted(
                        "the state role's session policy is per stack",
                        "name one: `--stack PATH`",
                    )
                    .into());
                }
                if decided.policy.is_none() {
                    why = match decided.kind {
                        SessionKind::State { .. } => {
                            "each stack has its own state role (`role_per_stack`), narrow by its permissions"
                        }
                        _ if args.allow_delete => {
                            "--allow-delete: the session may do all the role may"
                        }
                        _ => {
                            "the role allows deletes (`allow_delete = true`) or grants nothing that deletes"
                        }
                    };
                }
                decided.policy
            }
        }
    };
    let mut out = std::io::stdout().lock();
    match doc {
        Some(d) if args.compact => writeln!(out, "{}", d.to_json_compact())?,
        Some(d) => writeln!(out, "{}", d.to_json_pretty())?,
        None => writeln!(std::io::stderr().lock(), "no session policy: {why}")?,
    }
    Ok(())
}

pub fn simulate(args: &SimulateArgs) -> Outcome<()> {
    let (config, stacks) = stacks(&args.config)?;
    let (identity, session) = simulated_policies(args, &config, &stacks)?;
    let request = simulated_request(args)?;
    let sessions: Vec<PolicyDocument> = session.iter().cloned().collect();
    let decision = evaluate(&request, std::slice::from_ref(&identity), &sessions).map_err(|e| {
        Usage::hinted(
            format!("cannot decide: {e}"),
            "see `tfroles simulate --help` for what the evaluator covers",
        )
    })?;
    let statement = |r: &tfroles_policy::StatementRef| deciding_statement(r, &identity, &sessions);
    print_simulation(args, &decision, session.is_some(), statement)?;
    if decision.allowed {
        Ok(())
    } else {
        // Denied is an answer, already printed: exit 1 without a message.
        Err(crate::Exit::Denied.into())
    }
}

/// The verdict, its reason and the statements that decided it.
fn print_simulation(
    args: &SimulateArgs,
    decision: &tfroles_policy::Decision,
    session_policy: bool,
    statement: impl Fn(&tfroles_policy::StatementRef) -> String,
) -> Outcome<()> {
    let mut out = std::io::stdout().lock();
    let verdict = if decision.allowed {
        "allowed"
    } else {
        "denied"
    };
    match args.format {
        OutFormat::Json => {
            let report = serde_json::json!({
                "decision": verdict,
                "reason": decision.to_string(),
                "role": args.role,
                "action": args.action,
                "resource": args.resource,
                "session_policy": session_policy,
                "deciding_statement": decision.deciding.as_ref().map(|r| serde_json::from_str::<serde_json::Value>(&statement(r)).expect("our JSON")),
                "session_statement": decision.session.as_ref().map(|r| serde_json::from_str::<serde_json::Value>(&statement(r)).expect("our JSON")),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        OutFormat::Text => {
            writeln!(out, "{verdict}")?;
            writeln!(out, "  {decision}")?;
            match &decision.deciding {
                Some(r) => writeln!(out, "  statement: {}", statement(r))?,
                None => writeln!(
                    out,
                    "  no statement allows {} on {}",
                    args.action, args.resource
                )?,
            }
            if let Some(r) = &decision.session {
                writeln!(out, "  session statement: {}", statement(r))?;
            }
            if !session_policy {
                writeln!(out, "  (no session policy)")?;
            }
        }
    }
    Ok(())
}

/// The role's identity policy (with `--stack`, the stack's state
/// permissions) and the session policy its session would carry, unless
/// `--no-session-policy`.
fn simulated_policies(
    args: &SimulateArgs,
    config: &Config,
    stacks: &[Stack],
) -> Outcome<(PolicyDocument, Option<PolicyDocument>)> {
    let stack = args
        .stack
        .as_deref()
        .map(|p| find_stack(config, stacks, p))
        .transpose()?;
    let role = args.role.as_str();
    // `decide_session` reads the workspace only with a stack.
    let workspace = crate::workspace_arg(args.workspace.as_deref());
    let mut ask = SessionFor::role(role).allow_delete(args.allow_delete);
    ask.account = args.account.as_deref();
    ask.stack = stack;
    ask.workspace = workspace.as_deref();
    let decided = config.decide_session(&ask)?;
    let identity = match stack {
        Some(s) => config.stack_state_permissions(s, stacks)?,
        None => config.permissions_policy(role, args.account.as_deref(), stacks)?,
    };
    let session = if args.no_session_policy {
        None
    } else {
        decided.policy
    };
    Ok((identity, session))
}

/// The action on the resource, with every `--context KEY=VALUE` (a key
/// given more than once holds all its values).
fn simulated_request(args: &SimulateArgs) -> Outcome<Request> {
    let mut request = Request::new(&args.action, &args.resource);
    let mut context: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for c in &args.context {
        let Some((k, v)) = c.split_once('=') else {
            return Err(Usage::new(format!("--context: `{c}` is not KEY=VALUE")).into());
        };
        context.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    for (k, v) in context {
        request = request.with_context(k, v);
    }
    Ok(request)
}

/// A statement the evaluator points at, as compact JSON.
fn deciding_statement(
    r: &tfroles_policy::StatementRef,
    identity: &PolicyDocument,
    sessions: &[PolicyDocument],
) -> String {
    let doc = match r.kind {
        tfroles_policy::PolicyKind::Identity => identity,
        tfroles_policy::PolicyKind::Session => &sessions[r.policy],
    };
    // The statement as the canonical writer orders it, not re-sorted.
    let single = PolicyDocument::new(vec![doc.statements[r.statement].clone()]).to_json_compact();
    let start = single.find("\"Statement\":[").expect("our JSON") + "\"Statement\":[".len();
    single[start..single.len() - 2].to_owned()
}
