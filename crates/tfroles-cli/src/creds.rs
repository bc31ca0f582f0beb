//! `credential-process`, `env` and `exec`: arguments turned into a
//! [`SessionRequest`] and a [`BaseIdentity`], then `tfroles-creds` runs them.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use clap::ValueEnum;
use tfroles_core::SessionFor;
use tfroles_core::types::{Duration, SessionTags};
use tfroles_creds::{
    BaseIdentity, Cache, Credentials, Env, Options, SessionRequest, WebIdentitySource,
};

use crate::Outcome;

/// Which role, and how to get its credentials.
///
/// The `--role-arn` settings also conflict with `--role`: clap waives a
/// `requires` whose target conflicts with a present argument, and
/// `--role NAME --duration 2h` would otherwise drop `--duration` silently.
// No `Debug`: `mfa_token` is a secret, and a derived `Debug` would print it.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["role", "role_arn"])))]
pub struct CredArgs {
    /// The config file [default: $TFROLES_CONFIG, else tfroles.hcl in the current directory or the nearest parent]
    #[arg(long, short = 'c', value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The role, by its name in tfroles.hcl
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// The account, by its name in tfroles.hcl (needed when the role is in several)
    #[arg(long, value_name = "NAME", requires = "role")]
    pub account: Option<String>,
    /// A role ARN, without a config file
    #[arg(long, value_name = "ARN", conflicts_with_all = ["role", "config"])]
    pub role_arn: Option<String>,
    /// With --role-arn: the external id
    #[arg(
        long,
        value_name = "ID",
        requires = "role_arn",
        conflicts_with = "role"
    )]
    pub external_id: Option<String>,
    /// With --role-arn: the session name [default: tfroles]
    #[arg(
        long,
        value_name = "NAME",
        requires = "role_arn",
        conflicts_with = "role"
    )]
    pub session_name: Option<String>,
    /// With --role-arn: the session duration, 15m to 12h [default: 1h]
    #[arg(
        long,
        value_name = "DURATION",
        requires = "role_arn",
        conflicts_with = "role"
    )]
    pub duration: Option<String>,
    /// With --role-arn: a session tag (repeat for more)
    #[arg(
        long = "tag",
        value_name = "KEY=VALUE",
        requires = "role_arn",
        conflicts_with = "role"
    )]
    pub tags: Vec<String>,
    /// With --role-arn: the source identity
    #[arg(
        long,
        value_name = "ID",
        requires = "role_arn",
        conflicts_with = "role"
    )]
    pub source_identity: Option<String>,
    /// With --role, for the state role: the stack whose backend the session is for (its
    /// session policy; with `role_per_stack`, its own role)
    #[arg(
        long,
        value_name = "PATH",
        requires = "role",
        conflicts_with = "role_arn"
    )]
    pub stack: Option<String>,
    /// With --stack: the terraform workspace the backend works in; the session policy then
    /// covers that workspace's state only (default: $TF_WORKSPACE, as terraform reads it;
    /// unset: every workspace the stack may use). Ignored without --stack
    #[arg(long, value_name = "NAME", conflicts_with = "role_arn")]
    pub workspace: Option<String>,
    /// With --role: no delete guard on a provisioning role's session, for a deliberate destroy
    #[arg(long, requires = "role", conflicts_with_all = ["role_arn", "stack"])]
    pub allow_delete: bool,
    /// Call STS every time; neither read nor write the cache
    #[arg(long)]
    pub no_cache: bool,
    /// Refresh cached credentials with less than this left (capped at half the session)
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub refresh_before: String,
    /// Base credentials from this profile instead of the default chain
    #[arg(long, value_name = "PROFILE", conflicts_with = "web_identity")]
    pub profile: Option<String>,
    /// Start from a CI identity token: github, terraform-cloud, env:VAR or file:PATH
    #[arg(long, value_name = "SOURCE")]
    pub web_identity: Option<String>,
    /// With --web-identity github: the audience to request [default: sts.amazonaws.com]
    #[arg(long, value_name = "AUD", requires = "web_identity")]
    pub audience: Option<String>,
    /// The MFA device's serial number or ARN (overrides the role's `mfa_serial`)
    #[arg(long, value_name = "SERIAL")]
    pub mfa_serial: Option<String>,
    /// The MFA code [default: $TFROLES_MFA_TOKEN, else asked on the terminal]
    #[arg(long, value_name = "CODE")]
    pub mfa_token: Option<String>,
}

/// `tfroles env` output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EnvFormat {
    /// `export NAME='value'` lines for sh, bash and zsh
    Sh,
    /// `set -gx NAME 'value'` lines for fish
    Fish,
    /// one JSON object
    Json,
    /// `NAME="value"` lines
    Dotenv,
}

/// An invalid argument: exits 2 like other usage errors.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Usage {
    /// What is wrong, naming the flag or variable.
    pub message: String,
    /// How to fix it; printed after the message.
    pub hint: Option<String>,
}

impl Usage {
    /// A usage error with nothing more to say than its message.
    pub fn new(message: impl Into<String>) -> Self {
        Usage {
            message: message.into(),
            hint: None,
        }
    }

    /// A usage error and how to fix it.
    pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// Parses a window like `15m`, `90s` or `0s` (0 to 12h).
fn parse_window(s: &str) -> Outcome<StdDuration> {
    parse_seconds(s, 12 * 3600)
        .map(StdDuration::from_secs)
        .map_err(|why| Usage::new(format!("--refresh-before: {why}")).into())
}

/// Seconds in a duration like `15m`, `5m30s` or `0s`, at most `max`. Sums
/// are checked: `5124095576030432h` is too long, not a wrapped-around 3584 s.
fn parse_seconds(s: &str, max: u64) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a duration; allowed: like `15m`, `5m30s`, `0s`");
    if s == "0" {
        return Ok(0);
    }
    let mut total = 0u64;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit = rest.as_bytes().get(digits).copied();
        let (Ok(n), Some(unit)) = (rest[..digits].parse::<u64>(), unit) else {
            return Err(bad());
        };
        let per = match unit {
            b'h' => 3600,
            b'm' => 60,
            b's' => 1,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(per)
            .and_then(|x| x.checked_add(total))
            .filter(|t| *t <= max)
            .ok_or_else(|| format!("`{s}` is longer than {}", max_text(max)))?;
        rest = &rest[digits + 1..];
    }
    Ok(total)
}

fn max_text(max: u64) -> String {
    if max.is_multiple_of(3600) {
        format!("the longest session ({}h)", max / 3600)
    } else {
        format!("{max}s")
    }
}

/// `TFROLES_BUDGET`: how long one call may take in all, for tests that
/// play a hung STS without waiting the default 50 s.
fn budget(env: &Env) -> Outcome<StdDuration> {
    match env.non_empty("TFROLES_BUDGET") {
        None => Ok(Options::DEFAULT_BUDGET),
        Some(v) => match parse_seconds(&v, Options::DEFAULT_BUDGET.as_secs()) {
            Ok(0) | Err(_) => Err(Usage::new(format!(
                "TFROLES_BUDGET: `{v}` is not a duration from 1s to {}s (it is for tests; unset it)",
                Options::DEFAULT_BUDGET.as_secs()
            ))
            .into()),
            Ok(n) => Ok(StdDuration::from_secs(n)),
        },
    }
}

/// A value's error as a usage error naming `flag`, its hint kept.
fn usage<T, E: std::error::Error + 'static>(flag: &str, r: Result<T, E>) -> Outcome<T> {
    r.map_err(|e| {
        Usage {
            message: format!("{flag}: {e}"),
            hint: crate::failure::hint_of(&e).map(std::borrow::Cow::into_owned),
        }
        .into()
    })
}

/// The stack `{stack}` names: the one given with `--stack`, else the
/// stack whose directory this is (terraform runs a `credential_process` in
/// the stack's directory), else none. Looked up only when the role's
/// session name uses `{stack}`, and then only this one directory.
fn stack_here(
    config: &tfroles_core::Config,
    given: Option<&tfroles_core::Stack>,
    role: &str,
    account: Option<&str>,
) -> Option<String> {
    if let Some(s) = given {
        return Some(s.path.to_string());
    }
    let session = config.session(role, account).ok()?;
    let stack = tfroles_core::naming::Placeholder::Stack;
    if !session.session_template.uses(stack)
        && !session
            .source_identity_template
            .as_ref()
            .is_some_and(|t| t.uses(stack))
    {
        return None;
    }
    let cwd = std::env::current_dir().ok()?;
    let root = std::fs::canonicalize(config.root()).ok()?;
    let rel = cwd.strip_prefix(&root).ok()?;
    let dir: tfroles_core::types::StackPath = rel.to_str()?.parse().ok()?;
    let stacks = config.resolve(std::slice::from_ref(&dir)).ok()?.stacks;
    stacks
        .into_iter()
        .find(|s| s.path == dir)
        .map(|s| s.path.to_string())
}

/// Everything a credential command needs, validated.
pub struct Plan {
    pub request: SessionRequest,
    pub base: BaseIdentity,
    pub options: Options,
    /// What a cache hit may skip next time (see `fast`): `None` when this
    /// run read more than the index key covers (a stack looked up in the
    /// tree, `--stack .`).
    pub index: Option<IndexPlan>,
}

/// What the hit index records of a run.
pub struct IndexPlan {
    /// The config file read, as named (`None` with `--role-arn`).
    pub config: Option<PathBuf>,
    /// The config's web identities when the base was chosen from them.
    pub choose_from: Option<Vec<WebIdentitySource>>,
}

/// Turns the arguments into a request. Reads the config only to name the
/// role; nothing here touches the network or the SDK.
pub fn plan(args: &CredArgs) -> Outcome<Plan> {
    let env = Env::from_process();
    let mut target = match &args.role_arn {
        Some(arn) => Target::from_role_arn(args, arn)?,
        None => Target::from_config(args)?,
    };
    if let Some(serial) = &args.mfa_serial {
        target.request.mfa_serial = Some(serial.clone());
    }
    let base = base_identity(args, &target.identities, &env)?;
    let choose_from = (args.web_identity.is_none() && args.profile.is_none()).then(|| {
        target
            .identities
            .iter()
            .filter_map(|i| i.source().cloned())
            .collect()
    });
    let budget = budget(&env)?;
    let cache = if args.no_cache {
        None
    } else {
        Some(Cache::open(&Cache::default_dir(&env)?)?)
    };
    Ok(Plan {
        request: target.request,
        base,
        options: Options {
            cache,
            refresh_before: parse_window(&args.refresh_before)?,
            mfa_token: args.mfa_token.clone().map(tfroles_creds::Secret::new),
            region: target.region,
            budget,
            stack: target.stack,
            ..Options::new(env)
        },
        index: (target.indexable && !args.no_cache).then_some(IndexPlan {
            config: target.config,
            choose_from,
        }),
    })
}

/// The role's side of the arguments: the request, and what else the config
/// (when there is one) says about the run.
struct Target {
    request: SessionRequest,
    /// The config's default region.
    region: Option<String>,
    /// The config's identities, to choose the base identity from.
    identities: Vec<tfroles_core::Identity>,
    /// The stack the session is for, as its path.
    stack: Option<String>,
    /// The config file read.
    config: Option<PathBuf>,
    /// Whether the hit index key covers everything this run read.
    indexable: bool,
}

impl Target {
    /// `--role-arn` and its settings, without a config file.
    fn from_role_arn(args: &CredArgs, arn: &str) -> Outcome<Self> {
        let mut r = SessionRequest::new(
            usage("--role-arn", arn.parse())?,
            usage(
                "--session-name",
                args.session_name.as_deref().unwrap_or("tfroles").parse(),
            )?,
        );
        r.external_id = args
            .external_id
            .as_deref()
            .map(str::parse)
            .transpose()
            .or_else(|e| usage("--external-id", Err(e)))?;
        r.source_identity = args
            .source_identity
            .as_deref()
            .map(str::parse)
            .transpose()
            .or_else(|e| usage("--source-identity", Err(e)))?;
        if let Some(d) = &args.duration {
            r.duration = usage::<Duration, _>("--duration", d.parse())?;
        }
        r.tags = usage("--tag", SessionTags::new(tag_pairs(&args.tags)?))?;
        Ok(Self {
            request: r,
            region: None,
            identities: Vec::new(),
            stack: None,
            config: None,
            indexable: true,
        })
    }

    /// `--role` (with its account, stack and workspace): the session the
    /// config decides for it.
    fn from_config(args: &CredArgs) -> Outcome<Self> {
        let config = crate::load_path(args.config.as_deref())?;
        let role = args
            .role
            .as_deref()
            .expect("clap requires --role or --role-arn");
        // Only a named stack costs a look at the tree, and only at its
        // own directory: a cache hit stays a read of tfroles.hcl.
        let stack = args
            .stack
            .as_deref()
            .map(|path| crate::policy::one_stack(&config, path))
            .transpose()?;
        // The index key covers the config and the working directory, not
        // the tree: only a stack named as a path the blocks resolve alone.
        let indexable = args.stack.as_deref().is_none_or(|path| {
            path.trim_end_matches('/') != "."
                && crate::policy::stack_without_tree(&config, path).is_some()
        });
        // `decide_session` reads the workspace only with a stack.
        let workspace = crate::workspace_arg(args.workspace.as_deref());
        let vars = name_variables();
        let lookup = |k: &str| vars.get(k).map(String::as_str);
        let mut names = tfroles_core::SessionNames::from_env(&lookup);
        let here = stack_here(&config, stack.as_ref(), role, args.account.as_deref());
        names.stack = here.as_deref();
        let mut ask = SessionFor::role(role).allow_delete(args.allow_delete);
        ask.account = args.account.as_deref();
        ask.stack = stack.as_ref();
        ask.workspace = workspace.as_deref();
        ask.names = names;
        let request = SessionRequest::from(&config.decide_session(&ask)?);
        Ok(Self {
            request,
            region: config.defaults().region.as_ref().map(ToString::to_string),
            identities: config.identities().to_vec(),
            stack: stack.as_ref().map(|s| s.path.to_string()),
            config: Some(config.file().to_path_buf()),
            indexable,
        })
    }
}

/// `--tag KEY=VALUE` flags as pairs.
fn tag_pairs(tags: &[String]) -> Outcome<Vec<(String, String)>> {
    tags.iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => Err(Usage::new(format!("--tag: `{t}` is not KEY=VALUE")).into()),
        })
        .collect()
}

/// The environment variables session names may use, as set.
fn name_variables() -> std::collections::HashMap<String, String> {
    tfroles_core::naming::USER_VARIABLES
        .iter()
        .chain(tfroles_core::naming::RUN_VARIABLES)
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect()
}

/// `--web-identity`, else `--profile`, else chosen from the config's
/// identities and the environment.
fn base_identity(
    args: &CredArgs,
    identities: &[tfroles_core::Identity],
    env: &Env,
) -> Outcome<BaseIdentity> {
    if let Some(src) = &args.web_identity {
        return Ok(BaseIdentity::WebIdentity(usage(
            "--web-identity",
            WebIdentitySource::parse(src, args.audience.as_deref()),
        )?));
    }
    if args.profile.is_some() {
        return Ok(BaseIdentity::DefaultChain {
            profile: args.profile.clone(),
        });
    }
    Ok(BaseIdentity::choose(identities, None, env))
}

fn get(args: &CredArgs) -> Outcome<(Credentials, Option<String>)> {
    let plan = plan(args)?;
    let out = tfroles_creds::credentials(&plan.request, &plan.base, &plan.options)?;
    tracing::debug!(from_cache = out.from_cache, access_key_id = %out.credentials.access_key_id, "credentials ready");
    Ok((out.credentials, plan.options.region))
}

/// `tfroles credential-process`: the JSON on stdout, nothing else.
pub fn credential_process(args: &CredArgs) -> Outcome<()> {
    let before = crate::fast::Inputs::gather();
    let plan = plan(args)?;
    let out = tfroles_creds::credentials(&plan.request, &plan.base, &plan.options)?;
    tracing::debug!(from_cache = out.from_cache, access_key_id = %out.credentials.access_key_id, "credentials ready");
    let c = out.credentials;
    if let Some(index) = plan.index {
        crate::fast::record(
            before,
            index.config.as_deref(),
            plan.options.cache.as_ref(),
            tfroles_creds::IndexEntry {
                request: plan.request.description(),
                base: plan.base.clone(),
                choose_from: index.choose_from,
                window: tfroles_creds::refresh_window(&plan.request, plan.options.refresh_before)
                    .as_secs(),
            },
        );
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", c.to_process_json())?;
    out.flush()?;
    Ok(())
}

/// Variables that would make a child use other credentials than ours, or
/// stale ones: the profile (the Terraform AWS provider prefers a profile
/// to keys), the older names of the keys some SDKs still read
/// (`AWS_ACCESS_KEY`, `AWS_SECRET_KEY`: Java SDK v1, Go SDK v1; boto2's
/// `AWS_SECURITY_TOKEN`), web identity and container credentials, and the
/// expiry other helpers set. docs/credentials.md lists what is kept.
pub(crate) const OVERRIDING: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_PROCESS",
    "AWS_CREDENTIAL_FILE",
    "AWS_SESSION_EXPIRATION",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

fn variables(c: &Credentials, region: Option<&str>) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("AWS_ACCESS_KEY_ID", c.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            c.secret_access_key.expose().to_owned(),
        ),
        ("AWS_SESSION_TOKEN", c.session_token.expose().to_owned()),
        (
            "AWS_CREDENTIAL_EXPIRATION",
            c.expiration.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
    ];
    if let Some(r) = region {
        v.push(("AWS_REGION", r.to_owned()));
    }
    v
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

/// `tfroles env`: the variables, to `eval` or load.
pub fn env(args: &CredArgs, format: EnvFormat) -> Outcome<()> {
    let (c, region) = get(args)?;
    let vars = variables(&c, region.as_deref());
    let mut out = String::new();
    match format {
        EnvFormat::Sh => {
            out.push_str(&format!("unset {}\n", OVERRIDING.join(" ")));
            for (k, v) in &vars {
                out.push_str(&format!("export {k}={}\n", sh_quote(v)));
            }
        }
        EnvFormat::Fish => {
            for k in OVERRIDING {
                out.push_str(&format!("set -e {k}\n"));
            }
            for (k, v) in &vars {
                out.push_str(&format!("set -gx {k} {}\n", fish_quote(v)));
            }
        }
        EnvFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone().into()))
                .collect();
            out.push_str(&serde_json::to_string_pretty(&map)?);
            out.push('\n');
        }
        EnvFormat::Dotenv => {
            // Single quotes: dotenv loaders and a shell that sources the
            // file alike take them literally; inside double quotes, a
            // shell would run `$(...)`. No value has a quote or a newline
            // (STS's are base64, ids and dates); one that did is refused.
            for (k, v) in &vars {
                if v.contains(['\'', '\n', '\r']) {
                    return Err(Usage::new(format!(
                        "{k}: the value cannot be written in dotenv single quotes"
                    ))
                    .into());
                }
                out.push_str(&format!("{k}='{v}'\n"));
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// `tfroles exec`: runs the command with the credentials in its
/// environment, replacing this process, so its exit code is the command's.
pub fn exec(args: &CredArgs, command: &[String], server: bool) -> Outcome<()> {
    if server {
        return crate::serve::exec(args, command);
    }
    let (c, region) = get(args)?;
    let Some((program, rest)) = command.split_first() else {
        return Err(Usage::new(
            "exec: no command given; usage: tfroles exec --role NAME -- COMMAND [ARGS...]",
        )
        .into());
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    for k in OVERRIDING {
        cmd.env_remove(k);
    }
    for (k, v) in variables(&c, region.as_deref()) {
        cmd.env(k, v);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = cmd.exec();
        Err(Exec {
            program: program.clone(),
            error: e,
        }
        .into())
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(|e| Exec {
            program: program.clone(),
            error: e,
        })?;
        std::process::exit(status.code().unwrap_or(1));
    }
}

/// The command could not be started. The OS error is part of the message,
/// not a `source`, so it is printed once.
#[derive(Debug, thiserror::Error)]
#[error("cannot run `{program}`: {error}")]
pub struct Exec {
    pub program: String,
    pub error: std::io::Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse() {
        assert_eq!(parse_window("15m").unwrap(), StdDuration::from_secs(900));
        assert_eq!(parse_window("5m30s").unwrap(), StdDuration::from_secs(330));
        assert_eq!(parse_window("0s").unwrap(), StdDuration::ZERO);
        assert!(parse_window("13h").is_err());
        assert!(parse_window("5x").is_err());
        assert!(parse_window("m").is_err());
        assert!(parse_window("").is_err());
        assert!(parse_window("12h").is_ok());
        // 5124095576030432 h is 2^64 s plus 3584 s: it used to wrap to 3584 s.
        for wraps in [
            "5124095576030432h",
            "307445734561825861m",
            "18446744073709551615s1s",
        ] {
            let e = parse_window(wraps).unwrap_err().to_string();
            assert!(
                e.contains("is longer than the longest session (12h)"),
                "{e}"
            );
        }
    }

    #[test]
    fn the_budget_is_bounded_by_terraforms_minute() {
        let b = |v: &str| budget(&Env::from_pairs([("TFROLES_BUDGET", v)]));
        assert_eq!(b("3s").unwrap(), StdDuration::from_secs(3));
        assert_eq!(
            budget(&Env::from_pairs([])).unwrap(),
            Options::DEFAULT_BUDGET
        );
        for bad in ["0s", "51s", "2m", "x"] {
            assert!(
                b(bad).unwrap_err().to_string().contains("TFROLES_BUDGET"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_docs_list_every_variable_exec_removes() {
        let doc = include_str!("../../../docs/credentials.md");
        let removed = doc
            .split("Removed (by `exec`")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").nth(1))
            .expect("docs/credentials.md has the table of removed variables");
        for v in OVERRIDING {
            assert!(
                removed.contains(&format!("`{v}`")),
                "docs/credentials.md does not list {v} as removed"
            );
        }
        let listed = removed.matches("`AWS_").count();
        assert_eq!(
            listed,
            OVERRIDING.len(),
            "the table lists more than exec removes"
        );
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        assert_eq!(fish_quote(r"a'b\c"), r"'a\'b\\c'");
    }
}
