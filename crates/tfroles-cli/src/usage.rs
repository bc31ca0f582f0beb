//! `tfroles usage`: what each role instance used according to CloudTrail,
//! what it was granted and never used, what it was denied, and a narrower
//! grant in the config's terms.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

use tfroles_core::naming::Attribution;
use tfroles_core::usage::{DATA_EVENT_ACTIONS, Grant, Granted};
use tfroles_core::{Config, Stack, access::access_keyword};
use tfroles_policy::AccessLevel;
use tfroles_trail::{Limits, RoleUsage, Usage as Observed, WalkStats};

use tfroles_core::edit::{self, Change};

use crate::{ConfigArg, OutFormat, Outcome, Usage};

#[derive(clap::Args)]
pub struct UsageArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// CloudTrail logs: a trail's `AWSLogs/` directory (or any directory of
    /// `.json`/`.json.gz` logs), log files, `aws cloudtrail lookup-events`
    /// output, or `s3://BUCKET/PREFIX`
    #[arg(long = "cloudtrail", value_name = "PATH", required = true, num_args = 1..)]
    pub cloudtrail: Vec<String>,
    /// Only events at or after this date (`2026-11-01`) or time (RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only this role's instances
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// Only the role instances this stack uses
    #[arg(long, value_name = "PATH")]
    pub stack: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    pub format: OutFormat,
    /// Write the narrowed grants into tfroles.hcl: prints the diff, then
    /// asks on a terminal (or takes `--yes`); never adds an action, never
    /// touches `deny_actions`, `resources`, `allow_delete` or the state role
    #[arg(long)]
    pub fix: bool,
    /// With `--fix`: write without asking
    #[arg(long, requires = "fix")]
    pub yes: bool,
    /// With `--fix`: also narrow a role some of whose instances (accounts)
    /// had no events in the logs, to what its other instances used
    #[arg(long, requires = "fix")]
    pub narrow_unseen: bool,
}

/// One role's narrowed grant, from the instances of it the report covers.
struct Proposal {
    role: String,
    /// Its instances in the report.
    instances: usize,
    /// Those with events in the logs.
    seen: usize,
    grant: Grant,
}

/// One role instance's line of the report.
struct Instance<'a> {
    /// The config's instance, or `None` for a role the config does not
    /// know.
    granted: Option<&'a Granted>,
    arn: String,
    observed: Option<&'a RoleUsage>,
    used: BTreeSet<String>,
}

fn empty() -> &'static RoleUsage {
    static EMPTY: std::sync::OnceLock<RoleUsage> = std::sync::OnceLock::new();
    EMPTY.get_or_init(RoleUsage::default)
}

/// Reads every source into one [`Observed`], the events `keep` accepts.
fn observe(
    sources: &[String],
    since: Option<jiff::Timestamp>,
    keep: &mut dyn FnMut(&tfroles_trail::Event) -> bool,
) -> Outcome<(Observed, WalkStats)> {
    let limits = Limits::default();
    let mut observed = Observed::default();
    let mut stats = WalkStats::default();
    let mut paths = Vec::new();
    let mut sink = |e: tfroles_trail::Event| {
        if keep(&e) {
            observed.add(e, since);
        }
    };
    for s in sources {
        if s.starts_with("s3://") {
            crate::s3source::read(s, &limits, &mut sink, &mut stats)?;
        } else {
            paths.push(PathBuf::from(s));
        }
    }
    let local = tfroles_trail::read_paths(&paths, &limits, &mut sink)?;
    stats.files += local.files;
    stats.records += local.records;
    stats.malformed += local.malformed;
    stats.skipped.extend(local.skipped);
    Ok((observed, stats))
}

/// Refuses `--fix` where it cannot be done safely, before any log is read.
fn check_fix(args: &UsageArgs) -> Outcome<()> {
    use std::io::IsTerminal;
    if !args.fix {
        return Ok(());
    }
    if args.format == OutFormat::Json {
        return Err(Usage::hinted(
            "`--fix` prints a diff and asks before writing; it works with `--format text`",
            "run `--format json` and `--fix` separately",
        )
        .into());
    }
    if args.stack.is_some() {
        return Err(Usage::hinted(
            "`--fix` with `--stack` would narrow a role to one stack's use, and other stacks may use it too",
            "run `tfroles usage --fix` without `--stack` (`--role NAME` narrows one role)",
        )
        .into());
    }
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(Usage::hinted(
            "`--fix` asks before writing tfroles.hcl, and stdin is not a terminal; nothing was written",
            "review the narrowed grant (`tfroles usage` without `--fix`), then pass `--yes` to write it without asking",
        )
        .into());
    }
    Ok(())
}

pub fn usage(args: &UsageArgs) -> Outcome<()> {
    check_fix(args)?;
    let (config, _, resolution) = crate::load_stacks(&args.config)?;
    // What the proposals are computed from: `--fix` writes only over this
    // text, so an edit made while the logs were read is never narrowed away.
    let loaded = if args.fix {
        Some(tfroles_core::read_config_file(config.file()).map_err(|e| {
            crate::Failure::io(e, format!("cannot read `{}`", config.file().display()))
        })?)
    } else {
        None
    };
    let stacks = resolution.stacks;
    if let Some(role) = &args.role
        && config.role(role).is_none()
    {
        // The config's own error: the roles there are, "did you mean".
        config.session(role, None)?;
    }
    let stack = args
        .stack
        .as_deref()
        .map(|p| crate::policy::find_stack(&config, &stacks, p))
        .transpose()?;
    let since = args
        .since
        .as_deref()
        .map(tfroles_trail::parse_since)
        .transpose()?;
    let stack_arns = stack.map(|s| role_arns_of(&config, s));
    let mut filter = StackFilter {
        config: &config,
        stacks: &stacks,
        stack: stack.zip(stack_arns.as_ref()),
        attributions: BTreeMap::new(),
    };
    let (observed, stats) = observe(&args.cloudtrail, since, &mut |e| filter.keep(e))?;
    let granted = config.granted(&stacks)?;
    let instances = instances(
        args.role.as_deref(),
        stack.is_some(),
        stack_arns.as_ref(),
        &granted,
        &observed,
    );
    let proposals = proposals(&config, &instances, observed.data_events);

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        OutFormat::Json => {
            let report = json_report(&config, &stacks, &instances, &proposals, &observed, &stats);
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        OutFormat::Text => {
            text(
                &mut out, &config, &stacks, &instances, &proposals, &observed, &stats,
            )?;
        }
    }
    if args.fix {
        fix(
            &mut out,
            args,
            &config,
            loaded.as_deref(),
            &instances,
            &proposals,
        )?;
    }
    out.flush()?;
    Ok(())
}

/// The role ARNs (lower-cased) a stack's sessions use: its providers' and
/// its state session's.
fn role_arns_of(config: &Config, s: &Stack) -> BTreeSet<String> {
    let mut arns: BTreeSet<String> = s
        .providers
        .iter()
        .map(|p| p.session.arn.to_string().to_ascii_lowercase())
        .collect();
    arns.insert(
        config
            .stack_state_session(s)
            .arn
            .to_string()
            .to_ascii_lowercase(),
    );
    arns
}

/// With `--stack`, which events to count: only the sessions that ran for
/// it: those whose name its role's session name template gives for that
/// stack, or, where the template does not name stacks, every session of a
/// role instance the stack uses. A source identity that is one stack's
/// value decides over the name.
struct StackFilter<'a> {
    config: &'a Config,
    stacks: &'a [Stack],
    /// The stack and the role ARNs it uses; `None` keeps every event.
    stack: Option<(&'a Stack, &'a BTreeSet<String>)>,
    /// Attributions made, by (role ARN, session name, source identity).
    attributions: BTreeMap<(String, String, Option<String>), Option<Attribution>>,
}

impl StackFilter<'_> {
    fn keep(&mut self, e: &tfroles_trail::Event) -> bool {
        let Some((s, uses)) = self.stack else {
            return true;
        };
        let tfroles_trail::Principal::Role {
            role_arn,
            session_name,
            source_identity,
        } = &e.principal
        else {
            return false;
        };
        if !uses.contains(&role_arn.to_ascii_lowercase()) {
            return false;
        }
        match self.attribute(role_arn, session_name, source_identity.as_deref()) {
            Some(a) if !a.stacks.is_empty() => a.stacks.contains(&s.path),
            _ => true,
        }
    }

    /// [`Config::attribute`], remembered for up to
    /// [`tfroles_trail::MAX_KEYS`] sessions.
    fn attribute(
        &mut self,
        role_arn: &str,
        session: &str,
        si: Option<&str>,
    ) -> Option<Attribution> {
        let key = (
            role_arn.to_owned(),
            session.to_owned(),
            si.map(str::to_owned),
        );
        if let Some(a) = self.attributions.get(&key) {
            return a.clone();
        }
        let found = self.config.attribute(
            self.stacks,
            role_name_of(role_arn),
            account_of(role_arn),
            session,
            si,
        );
        if self.attributions.len() < tfroles_trail::MAX_KEYS {
            self.attributions.insert(key, found.clone());
        }
        found
    }
}

/// The instances to report: the config's (filtered by `--role` and the
/// stack's role ARNs), then, without a filter, roles the logs show that
/// the config does not know.
fn instances<'a>(
    role: Option<&str>,
    filtered_by_stack: bool,
    stack_arns: Option<&BTreeSet<String>>,
    granted: &'a [Granted],
    observed: &'a Observed,
) -> Vec<Instance<'a>> {
    let wanted = |g: &Granted| {
        role.is_none_or(|r| g.session.role.as_str() == r)
            && stack_arns
                .is_none_or(|a| a.contains(&g.session.arn.to_string().to_ascii_lowercase()))
    };
    let by_arn: BTreeMap<String, &RoleUsage> = observed
        .roles
        .values()
        .map(|r| (r.role_arn.to_ascii_lowercase(), r))
        .collect();
    let mut instances: Vec<Instance<'_>> = Vec::new();
    let mut known: BTreeSet<String> = BTreeSet::new();
    for g in granted {
        let arn = g.session.arn.to_string();
        known.insert(arn.to_ascii_lowercase());
        if !wanted(g) {
            continue;
        }
        let observed = by_arn.get(&arn.to_ascii_lowercase()).copied();
        instances.push(Instance {
            granted: Some(g),
            used: observed
                .map(|o| o.used.keys().cloned().collect())
                .unwrap_or_default(),
            arn,
            observed,
        });
    }
    if role.is_none() && !filtered_by_stack {
        for (lower, r) in &by_arn {
            if !known.contains(lower) {
                instances.push(Instance {
                    granted: None,
                    arn: r.role_arn.clone(),
                    observed: Some(r),
                    used: r.used.keys().cloned().collect(),
                });
            }
        }
    }
    instances
}

/// One narrowed grant per role (its block covers every account it is in),
/// from what all its instances used.
fn proposals(config: &Config, instances: &[Instance<'_>], data_events: u64) -> Vec<Proposal> {
    // Actions a trail without data events cannot have seen.
    let keep: BTreeSet<&str> = if data_events == 0 {
        DATA_EVENT_ACTIONS.iter().copied().collect()
    } else {
        BTreeSet::new()
    };
    let mut proposals: Vec<Proposal> = Vec::new();
    let mut roles_seen: BTreeSet<&str> = BTreeSet::new();
    for inst in instances {
        let Some(g) = inst.granted else { continue };
        let name = g.session.role.as_str();
        if !roles_seen.insert(name) {
            continue;
        }
        let mine: Vec<&Instance<'_>> = instances
            .iter()
            .filter(|i| i.granted.is_some_and(|x| x.session.role.as_str() == name))
            .collect();
        let used: BTreeSet<String> = mine.iter().flat_map(|i| i.used.iter().cloned()).collect();
        let granted_all: BTreeSet<&'static str> = mine
            .iter()
            .flat_map(|i| i.granted.expect("filtered").actions.iter().copied())
            .collect();
        let role = config.role(name).expect("an instance of a configured role");
        if let Some(grant) = config.narrowed(role, &granted_all, &used, &keep) {
            proposals.push(Proposal {
                role: name.to_owned(),
                instances: mine.len(),
                seen: mine.iter().filter(|i| events_of(i) > 0).count(),
                grant,
            });
        }
    }
    proposals
}

/// The report as `--format json` prints it.
fn json_report(
    config: &Config,
    stacks: &[Stack],
    instances: &[Instance<'_>],
    proposals: &[Proposal],
    observed: &Observed,
    stats: &WalkStats,
) -> serde_json::Value {
    serde_json::json!({
        "roles": instances.iter().map(|i| instance_json(config, stacks, i)).collect::<Vec<_>>(),
        "proposals": proposals.iter().map(|p| serde_json::json!({
            "role": p.role,
            "instances": p.instances,
            "instances_seen": p.seen,
            "services": p.grant.services,
            "access": p.grant.access.iter().map(|l| access_keyword(*l)).collect::<Vec<_>>(),
            "actions": p.grant.actions,
        })).collect::<Vec<_>>(),
        "files": stats.files,
        "records": stats.records,
        "malformed_records": stats.malformed,
        "before_since": observed.before_since,
        "data_events": observed.data_events,
        "other_principals": observed.other_principals,
        "skipped": stats.skipped.iter().map(|s| serde_json::json!({"path": s.path, "reason": s.reason})).collect::<Vec<_>>(),
    })
}

fn events_of(i: &Instance<'_>) -> u64 {
    i.observed.map_or(0, |o| o.sessions.values().sum())
}

/// `--fix`: the proposals that can be written, written after the user
/// confirms (or with `--yes`); what is left out is said.
fn fix(
    out: &mut impl Write,
    args: &UsageArgs,
    config: &Config,
    loaded: Option<&[u8]>,
    instances: &[Instance<'_>],
    proposals: &[Proposal],
) -> Outcome<()> {
    writeln!(out)?;
    let mut changes: Vec<Change> = Vec::new();
    let mut roles: BTreeSet<&str> = BTreeSet::new();
    for i in instances {
        let Some(g) = i.granted else { continue };
        if g.is_state || !roles.insert(g.session.role.as_str()) {
            continue;
        }
        changes.extend(change_for(out, args, config, g, instances, proposals)?);
    }
    let shown = crate::explain::shown_path(config);
    if changes.is_empty() {
        writeln!(out, "nothing to narrow; {shown} not changed")?;
        return Ok(());
    }
    let edit = edit::plan(config.file(), &changes)?;
    if loaded.is_some_and(|l| l != edit.before.as_bytes()) {
        // As `Edit::write` words a file changed under it.
        return Err(tfroles_core::Error::Io {
            path: config.file().to_path_buf(),
            source: tfroles_core::Refused::io(
                "it changed while tfroles read the logs; nothing was written",
                "run the command again",
            ),
        }
        .into());
    }
    if edit.is_empty() {
        writeln!(
            out,
            "{shown} already grants no more than the logs show used; nothing written"
        )?;
        return Ok(());
    }
    write!(out, "{}", edit.diff_as(&shown))?;
    if !args.yes && !confirm(out, &shown)? {
        return Err(Usage::new(format!("not confirmed; {shown} not changed")).into());
    }
    edit.write()?;
    writeln!(
        out,
        "wrote {shown} (narrowed: {}); regenerate and apply the role policies (`tfroles generate`, then the bootstrap stack or `tfroles policy`)",
        edit.narrowed.join(", ")
    )?;
    Ok(())
}

/// The change `--fix` makes to the role of `g`, or `None` with the reason
/// said: no proposal, a module's role, instances the logs do not show.
/// Denied actions are said too: `--fix` only takes away.
fn change_for(
    out: &mut impl Write,
    args: &UsageArgs,
    config: &Config,
    g: &Granted,
    instances: &[Instance<'_>],
    proposals: &[Proposal],
) -> Outcome<Option<Change>> {
    let name = g.session.role.as_str();
    let denied: BTreeSet<&str> = instances
        .iter()
        .filter(|x| x.granted.is_some_and(|y| y.session.role == g.session.role))
        .filter_map(|x| x.observed)
        .flat_map(|o| o.denied.keys().map(String::as_str))
        .collect();
    if !denied.is_empty() {
        writeln!(
            out,
            "role {name} was denied {}: `--fix` only takes away; `tfroles explain --fix` adds what a denial needs",
            denied.into_iter().collect::<Vec<_>>().join(", ")
        )?;
    }
    let Some(p) = proposals.iter().find(|p| p.role == name) else {
        let seen = instances.iter().any(|x| {
            x.granted.is_some_and(|y| y.session.role == g.session.role) && events_of(x) > 0
        });
        if seen {
            writeln!(
                out,
                "role {name} not narrowed: the logs show it using nothing it is granted"
            )?;
        } else {
            writeln!(
                out,
                "role {name} not narrowed: no events in the logs (a window without use is no evidence)"
            )?;
        }
        return Ok(None);
    };
    if let Some(m) = config.module_role(name) {
        writeln!(
            out,
            "role {name} not narrowed: it is module {}'s role; write the grant above in {} (`--fix` edits only tfroles.hcl)",
            m.module,
            m.manifest.display()
        )?;
        return Ok(None);
    }
    if p.seen < p.instances && !args.narrow_unseen {
        let unseen: Vec<String> = instances
            .iter()
            .filter_map(|x| {
                x.granted
                    .filter(|y| y.session.role == g.session.role && events_of(x) == 0)
            })
            .map(|y| y.session.account.to_string())
            .collect();
        writeln!(
            out,
            "role {name} not narrowed: no events in the logs for its instance in {} (a window without use is no evidence)\n  hint: read the logs of every account it is in, or pass `--narrow-unseen` to narrow it to what its other instances used",
            unseen.join(", ")
        )?;
        return Ok(None);
    }
    Ok(Some(Change::narrow(name, p.grant.clone())))
}

/// Asks on the terminal; one line, `y` or `yes` to go on.
fn confirm(out: &mut impl Write, shown: &str) -> Outcome<bool> {
    use std::io::{BufRead, Read};
    out.flush()?;
    let mut err = std::io::stderr().lock();
    write!(err, "write this change to {shown}? [y/N] ")?;
    err.flush()?;
    let mut line = String::new();
    // One line, bounded: a terminal sends one on Enter.
    std::io::stdin().lock().take(1024).read_line(&mut line)?;
    let answer = line.trim();
    Ok(answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes"))
}

fn role_name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The account id of a role ARN (`arn:aws:iam::ACCOUNT:role/...`).
fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// The stacks an instance's calls ran for: stack path (or `-` for calls
/// that say none) and events; and where a call's source identity and
/// session name named different stacks.
struct ByStack {
    events: BTreeMap<String, u64>,
    disagreements: Vec<Disagreement>,
}

/// Calls whose source identity names another stack than their session
/// name: counted for the source identity's.
struct Disagreement {
    session_name: String,
    source_identity: String,
    by_session_name: Vec<String>,
    by_source_identity: Vec<String>,
    /// Whether the source identity decided (it names one stack); else the
    /// session name did.
    by_source: bool,
    events: u64,
}

fn stacks_of(config: &Config, stacks: &[Stack], i: &Instance<'_>) -> ByStack {
    let mut out = ByStack {
        events: BTreeMap::new(),
        disagreements: Vec::new(),
    };
    let Some(o) = i.observed else { return out };
    for ((session, si), n) in &o.calls {
        let Some(a) = config.attribute(
            stacks,
            role_name_of(&i.arn),
            account_of(&i.arn),
            session,
            si.as_deref(),
        ) else {
            *out.events.entry("-".to_owned()).or_default() += n;
            continue;
        };
        if a.stacks.is_empty() {
            *out.events.entry("-".to_owned()).or_default() += n;
        }
        for st in &a.stacks {
            *out.events.entry(st.to_string()).or_default() += n;
        }
        if a.disagree {
            let names =
                |v: &[tfroles_core::types::StackPath]| v.iter().map(ToString::to_string).collect();
            out.disagreements.push(Disagreement {
                session_name: session.clone(),
                source_identity: si.clone().unwrap_or_default(),
                by_session_name: names(&a.by_session_name),
                by_source_identity: names(&a.by_source_identity),
                by_source: a.evidence == tfroles_core::naming::Evidence::SourceIdentity,
                events: *n,
            });
        }
    }
    out
}

/// `tfroles explain`'s answer to a denial, from AWS's message.
fn explain_text(
    config: &Config,
    stacks: &[Stack],
    message: &str,
    source_identity: Option<&str>,
) -> Option<String> {
    let mut denial = tfroles_policy::denial::parse(message).into_iter().next()?;
    // The message does not carry it; the record did.
    denial.source_identity = source_identity.map(str::to_owned);
    let mut buf = Vec::new();
    crate::explain::explain_one(&mut buf, config, stacks, &denial, &mut Default::default()).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn instance_json(config: &Config, stacks: &[Stack], i: &Instance<'_>) -> serde_json::Value {
    let o: &RoleUsage = match i.observed {
        Some(o) => o,
        None => empty(),
    };
    let unused = i.granted.map(|g| g.unused(&i.used)).unwrap_or_default();
    let by_stack = stacks_of(config, stacks, i);
    let granted_not: Vec<&String> = match i.granted {
        Some(g) => i
            .used
            .iter()
            .filter(|a| !g.actions.contains(a.as_str()))
            .collect(),
        None => Vec::new(),
    };
    serde_json::json!({
        "role": i.granted.map_or_else(|| role_name_of(&i.arn).to_owned(), |g| g.session.role.to_string()),
        "account": i.granted.map(|g| g.session.account.to_string()),
        "account_id": i.granted.map_or_else(|| o.account.clone(), |g| Some(g.session.account_id.to_string())),
        "arn": i.arn,
        "in_config": i.granted.is_some(),
        "state_role": i.granted.is_some_and(|g| g.is_state),
        "events": o.sessions.values().sum::<u64>(),
        "used": i.used,
        "used_not_granted": granted_not,
        "unused": unused.iter().map(|((service, level), actions)| serde_json::json!({
            "service": service,
            "access": access_keyword(*level),
            "actions": actions,
        })).collect::<Vec<_>>(),
        "denied": o.denied.iter().map(|(action, d)| serde_json::json!({
            "action": action,
            "count": d.count,
            "event": d.event,
            "error_code": d.error_code,
            "error_message": d.error_message,
            "session_name": d.session_name,
            "source_identity": d.source_identity,
            "time": d.time.map(|t| t.to_string()),
            "explain": d.error_message.as_deref().and_then(|m| explain_text(config, stacks, m, d.source_identity.as_deref())),
        })).collect::<Vec<_>>(),
        "no_permission": o.no_permission,
        "unmapped": o.unmapped.iter().map(|(event, u)| serde_json::json!({
            "event": event,
            "count": u.count,
            "reason": u.reason,
        })).collect::<Vec<_>>(),
        "sessions": o.sessions,
        "stacks": by_stack.events,
        "attribution_disagreements": by_stack.disagreements.iter().map(|d| serde_json::json!({
            "session_name": d.session_name,
            "source_identity": d.source_identity,
            "stacks_by_session_name": d.by_session_name,
            "stacks_by_source_identity": d.by_source_identity,
            "counted_by": if d.by_source { "source_identity" } else { "session_name" },
            "events": d.events,
        })).collect::<Vec<_>>(),
        "source_identities": o.source_identities,
        "first": o.first.map(|t| t.to_string()),
        "last": o.last.map(|t| t.to_string()),
        "overflow": o.overflow,
    })
}

/// What to run about a denied action.
fn explain_hint(config: &Config, i: &Instance<'_>, action: &str) -> String {
    match i.granted {
        // A module's role: the change belongs in the module's manifest,
        // which travels with the module, not in tfroles.hcl.
        Some(g) if let Some(m) = config.module_role(g.session.role.as_str()) => {
            m.proposal(&[action])
        }
        Some(g) => format!(
            "add `{action}` to `actions` of role `{}` (or run `tfroles explain` on the error)",
            g.session.role
        ),
        None => format!("role `{}` is not in tfroles.hcl", role_name_of(&i.arn)),
    }
}

/// `stack `a``, or `stacks `a`, `b``.
fn stack_list(v: &[String]) -> String {
    let quoted: Vec<String> = v.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [one] => format!("stack {one}"),
        many => format!("stacks {}", many.join(", ")),
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn text(
    out: &mut impl Write,
    config: &Config,
    stacks: &[Stack],
    instances: &[Instance<'_>],
    proposals: &[Proposal],
    observed: &Observed,
    stats: &WalkStats,
) -> Outcome<()> {
    writeln!(
        out,
        "read {} ({}){}",
        plural(stats.files as usize, "file"),
        plural(stats.records as usize, "record"),
        if observed.before_since > 0 {
            format!(", {} before --since left out", observed.before_since)
        } else {
            String::new()
        }
    )?;
    for i in instances {
        text_instance(out, config, stacks, i)?;
    }
    for p in proposals {
        let (role, n, g) = (&p.role, p.instances, &p.grant);
        writeln!(out)?;
        writeln!(
            out,
            "narrowed grant for role {role} (what {} used){}:",
            if n == 1 {
                "its instance".to_owned()
            } else if p.seen < n {
                format!("{} of its {n} instances", p.seen)
            } else {
                format!("its {n} instances")
            },
            config
                .module_role(role)
                .map(|m| format!(", to write in {}", m.manifest.display()))
                .unwrap_or_default()
        )?;
        for line in g.to_hcl().lines() {
            writeln!(out, "  {line}")?;
        }
    }
    if !proposals.is_empty() && observed.data_events == 0 {
        writeln!(out)?;
        writeln!(
            out,
            "note: the logs hold no data events (object-level S3, Lambda invocations, DynamoDB items), so granted actions of that kind are kept"
        )?;
    }
    let others: u64 = observed.other_principals.values().sum();
    if others > 0 {
        writeln!(out)?;
        writeln!(
            out,
            "{} by principals that are not role sessions (IAM users, AWS services, ...) not reported",
            plural(others as usize, "event")
        )?;
    }
    for s in &stats.skipped {
        writeln!(out, "skipped {}: {}", s.path.display(), s.reason)?;
    }
    Ok(())
}

/// One role instance: its events and stacks, the actions used, denied and
/// granted but unused, and what maps to no action.
fn text_instance(
    out: &mut impl Write,
    config: &Config,
    stacks: &[Stack],
    i: &Instance<'_>,
) -> Outcome<()> {
    let o: &RoleUsage = match i.observed {
        Some(o) => o,
        None => empty(),
    };
    let events: u64 = o.sessions.values().sum();
    writeln!(out)?;
    match i.granted {
        Some(g) => writeln!(
            out,
            "role {} in {} ({}){}",
            g.session.role,
            g.session.account,
            i.arn,
            if g.is_state { ", the state role" } else { "" }
        )?,
        None => writeln!(out, "role {} (not in tfroles.hcl)", i.arn)?,
    }
    if events == 0 {
        writeln!(out, "  no events in the logs")?;
    } else {
        text_events(out, config, stacks, i, o, events)?;
    }
    if !i.used.is_empty() {
        writeln!(out, "  used ({}):", i.used.len())?;
        for a in &i.used {
            let n = o.used.get(a).copied().unwrap_or(0);
            let mark = match i.granted {
                Some(g) if !g.actions.contains(a.as_str()) => "  (not granted by tfroles.hcl)",
                _ => "",
            };
            writeln!(out, "    {a}  {n}{mark}")?;
        }
    }
    text_denied(out, config, stacks, i, o)?;
    if let Some(g) = i.granted {
        text_unused(out, g, &i.used)?;
    }
    if !o.no_permission.is_empty() {
        let list: Vec<String> = o
            .no_permission
            .iter()
            .map(|(e, n)| format!("{e} ({n})"))
            .collect();
        writeln!(out, "  needs no permission: {}", list.join(", "))?;
    }
    if !o.unmapped.is_empty() {
        writeln!(
            out,
            "  events no IAM action maps to ({}):",
            o.unmapped.len()
        )?;
        for (e, u) in &o.unmapped {
            writeln!(out, "    {e}  {}  {}", u.count, u.reason)?;
        }
    }
    if o.overflow > 0 {
        writeln!(
            out,
            "  {} events past the {} distinct names kept, counted only",
            o.overflow,
            tfroles_trail::MAX_KEYS
        )?;
    }
    Ok(())
}

/// The actions granted but not used, by service and access level, six
/// of each shown.
fn text_unused(out: &mut impl Write, g: &Granted, used: &BTreeSet<String>) -> Outcome<()> {
    let unused = g.unused(used);
    if !unused.is_empty() {
        let total: usize = unused.values().map(Vec::len).sum();
        writeln!(out, "  granted, unused ({total}):")?;
        for ((service, level), actions) in &unused {
            let shown: Vec<&str> = actions.iter().take(6).copied().collect();
            let more = if actions.len() > shown.len() {
                format!(", ... ({} more)", actions.len() - shown.len())
            } else {
                String::new()
            };
            writeln!(
                out,
                "    {service} {}: {}{more}",
                level_word(*level),
                shown.join(", ")
            )?;
        }
    }
    Ok(())
}

/// How many events in how many sessions, when, for which stacks, and the
/// sessions whose name and source identity name different stacks.
fn text_events(
    out: &mut impl Write,
    config: &Config,
    stacks: &[Stack],
    i: &Instance<'_>,
    o: &RoleUsage,
    events: u64,
) -> Outcome<()> {
    writeln!(
        out,
        "  {} in {}, {} to {}",
        plural(events as usize, "event"),
        plural(o.sessions.len(), "session"),
        o.first.map_or_else(|| "?".into(), |t| t.to_string()),
        o.last.map_or_else(|| "?".into(), |t| t.to_string()),
    )?;
    let by_stack = stacks_of(config, stacks, i);
    if by_stack.events.keys().any(|k| k != "-") {
        let list: Vec<String> = by_stack
            .events
            .iter()
            .map(|(s, n)| {
                let s = if s == "-" {
                    "(sessions not named for a stack)"
                } else {
                    s
                };
                format!("{s} ({n})")
            })
            .collect();
        writeln!(out, "  stacks: {}", list.join(", "))?;
    }
    // A few examples; the count says the rest (JSON has them all).
    const SHOWN: usize = 5;
    for d in by_stack.disagreements.iter().take(SHOWN) {
        writeln!(
            out,
            "  warning: {} of session `{}` with source identity `{}`: the source identity is of {}, the session name of {}; {}",
            plural(d.events as usize, "event"),
            d.session_name,
            d.source_identity,
            stack_list(&d.by_source_identity),
            stack_list(&d.by_session_name),
            if d.by_source {
                "counted for the source identity's (a chained session may be renamed, its source identity may not)"
            } else {
                "counted for the session name's, as the source identity fits more than one stack"
            },
        )?;
    }
    if by_stack.disagreements.len() > SHOWN {
        let rest = &by_stack.disagreements[SHOWN..];
        writeln!(
            out,
            "  warning: also {}, of {} more session name and source identity pairs that name different stacks (`--format json` lists them)",
            plural(rest.iter().map(|d| d.events).sum::<u64>() as usize, "event"),
            rest.len(),
        )?;
    }
    Ok(())
}

/// The actions denied, each with `tfroles explain`'s answer.
fn text_denied(
    out: &mut impl Write,
    config: &Config,
    stacks: &[Stack],
    i: &Instance<'_>,
    o: &RoleUsage,
) -> Outcome<()> {
    if !o.denied.is_empty() {
        writeln!(out, "  denied ({}):", o.denied.len())?;
        for (a, d) in &o.denied {
            writeln!(
                out,
                "    {a}  {}x {} in session {}{}",
                d.count,
                d.error_code,
                d.session_name,
                d.source_identity
                    .as_deref()
                    .map(|si| format!(" (source identity {si})"))
                    .unwrap_or_default()
            )?;
            if let Some(m) = &d.error_message {
                writeln!(out, "      {m}")?;
            }
            match d
                .error_message
                .as_deref()
                .and_then(|m| explain_text(config, stacks, m, d.source_identity.as_deref()))
            {
                Some(answer) => {
                    writeln!(out, "      tfroles explain:")?;
                    for line in answer.lines() {
                        writeln!(out, "        {line}")?;
                    }
                }
                None => writeln!(out, "      hint: {}", explain_hint(config, i, a))?,
            }
        }
    }
    Ok(())
}

fn level_word(level: AccessLevel) -> &'static str {
    access_keyword(level)
}
