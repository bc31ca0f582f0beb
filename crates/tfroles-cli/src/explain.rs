//! `tfroles explain`: why AWS refused a call, decided again with the
//! config's own policies, and the change to `tfroles.hcl` that would allow
//! it (made with `--fix`).

use std::io::{Read, Write};

use tfroles_core::edit::{self, Change};
use tfroles_core::naming::Evidence;
use tfroles_core::policies::sid;
use tfroles_core::verdict::Verdict;
use tfroles_core::{Config, Stack};
use tfroles_policy::Catalog;
use tfroles_policy::denial::{self, Denial, PolicyType, PrincipalKind, Refusal};

use crate::{ConfigArg, OutFormat, Outcome, Usage};

/// The most input read: far above any terraform output worth explaining,
/// and a bound on what a pipe can make us hold.
const MAX_INPUT: u64 = 16 << 20;

#[derive(clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The error: terraform's output, an AWS error message, S3's XML error
    /// or a CloudTrail record; `-` or nothing reads it from stdin
    #[arg(value_name = "MESSAGE")]
    pub message: Option<String>,
    /// Make the change in tfroles.hcl (actions added to the roles; never
    /// the delete guard or the state isolation)
    #[arg(long)]
    pub fix: bool,
    /// Output format (json: one object, its schema in docs/least-privilege.md)
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    pub format: OutFormat,
}

/// One denial as `--format json` prints it: what AWS said, whose session
/// it was, the rule that decided it here and the change in config terms.
/// The schema is documented (docs/least-privilege.md, "tfroles explain --format
/// json"); fields are only ever added.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Record {
    /// `message` (an error message) or `cloudtrail` (a record).
    source: &'static str,
    /// The IAM action, when the message names one.
    action: Option<String>,
    /// The resource ARN, when the message names one.
    resource: Option<String>,
    /// AWS's error code.
    error_code: Option<String>,
    /// What AWS said refused it, when it says.
    aws_says: Option<AwsSays>,
    /// The caller, when the message names it.
    principal: Option<PrincipalRecord>,
    /// The rule that decided it with the config's own policies.
    rule: &'static str,
    /// The deciding statement's Sid, when one decided.
    statement: Option<String>,
    /// The change that would allow it, in config terms.
    change: Option<String>,
    /// Whether `--fix` makes that change in tfroles.hcl.
    fixable: bool,
    /// Why tfroles.hcl cannot fix it, when AWS names a policy tfroles does
    /// not write.
    not_fixable: Option<String>,
    /// With `--fix`: whether the change is now in tfroles.hcl.
    fixed: bool,
}

#[derive(Debug, serde::Serialize)]
struct AwsSays {
    /// `explicit_deny` or `no_allow`.
    refusal: &'static str,
    /// The kind of policy in AWS's words (`session policy`, ...).
    policy_type: String,
}

#[derive(Debug, Default, serde::Serialize)]
struct PrincipalRecord {
    arn: String,
    /// `assumed_role`, `user`, `role` or `other`.
    kind: &'static str,
    account_id: Option<String>,
    /// The role's name (an assumed role).
    role: Option<String>,
    /// The session name (an assumed role).
    session: Option<String>,
    /// The account's name in the config, when the session is the config's.
    account: Option<String>,
    /// The caller's source identity (a CloudTrail record's).
    source_identity: Option<String>,
    /// The stacks the call ran for: its source identity's when that is
    /// one stack's value, else its session name's.
    stacks: Vec<String>,
    /// What `stacks` was decided from: `source_identity`,
    /// `session_name`, `role_name` (a per-stack state role) or `none`.
    attributed_by: Option<&'static str>,
    /// The stacks the session name says.
    stacks_by_session_name: Vec<String>,
    /// The stacks whose source identity it can be.
    stacks_by_source_identity: Vec<String>,
    /// Whether the two name stacks, and none in common.
    disagree: Option<bool>,
    /// Whether tfroles gave the session its name.
    named_by_tfroles: Option<bool>,
    /// The `identity` block, when the caller is a base identity.
    identity: Option<String>,
}

fn read_input(args: &ExplainArgs) -> Outcome<String> {
    match args.message.as_deref() {
        Some(m) if m != "-" => Ok(m.to_owned()),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_INPUT + 1)
                .read_to_end(&mut buf)?;
            if buf.len() as u64 > MAX_INPUT {
                return Err(Usage::hinted(
                    format!("the input is more than the {MAX_INPUT} bytes tfroles explain reads"),
                    "pass only the failing run's output",
                )
                .into());
            }
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

pub fn explain(args: &ExplainArgs) -> Outcome<()> {
    let input = read_input(args)?;
    let denials = denial::parse(&input);
    if denials.is_empty() {
        return Err(Usage::hinted(
            "found no AccessDenied in the input",
            "pass terraform's error output on stdin (`terraform apply 2>&1 | tfroles explain`), one AWS error message, or a CloudTrail record",
        )
        .into());
    }
    let (config, _, resolution) = crate::load_stacks(&args.config)?;
    let stacks = resolution.stacks;
    let json = matches!(args.format, OutFormat::Json);
    let mut stdout = std::io::stdout().lock();
    // With JSON the text goes nowhere; the records say the same.
    let mut sink = std::io::sink();
    let out: &mut dyn Write = if json { &mut sink } else { &mut stdout };
    let mut changes: Vec<(String, Vec<String>)> = Vec::new();
    let mut records: Vec<(Record, Option<(String, String)>)> = Vec::new();
    let n = denials.len();
    for (i, d) in denials.iter().enumerate() {
        if n > 1 {
            writeln!(out, "denial {} of {n}", i + 1)?;
        }
        let mut rec = Record::default();
        let fix = explain_one(out, &config, &stacks, d, &mut rec)?;
        records.push((rec, fix.clone()));
        if let Some((role, action)) = fix {
            match changes.iter_mut().find(|(r, _)| *r == role) {
                Some((_, actions)) if !actions.contains(&action) => actions.push(action),
                Some(_) => {}
                None => changes.push((role, vec![action])),
            }
        }
        writeln!(out)?;
    }
    if json {
        return print_json(&mut stdout, args, &config, records, &changes);
    }
    if changes.is_empty() {
        if args.fix {
            writeln!(
                out,
                "nothing to change in {}: no denial above is a missing action",
                config.file().display()
            )?;
        }
        return Ok(());
    }
    let asked: Vec<Change> = changes
        .iter()
        .map(|(r, a)| Change::add_actions(r, a.iter().cloned()))
        .collect();
    let edit = edit::plan(config.file(), &asked)?;
    let shown = shown_path(&config);
    if !args.fix {
        writeln!(
            out,
            "to make these changes: tfroles explain --fix (the same input)"
        )?;
        return Ok(());
    }
    if edit.is_empty() {
        writeln!(out, "{shown} already grants all of it; nothing written")?;
        return Ok(());
    }
    write!(out, "{}", edit.diff_as(&shown))?;
    edit.write()?;
    writeln!(
        out,
        "wrote {shown}; regenerate and apply the role policies (`tfroles generate`, then the bootstrap stack or `tfroles policy`)"
    )?;
    Ok(())
}

/// `--format json`: the records, and what `--fix` changed (or would).
fn print_json(
    out: &mut impl Write,
    args: &ExplainArgs,
    config: &Config,
    mut records: Vec<(Record, Option<(String, String)>)>,
    changes: &[(String, Vec<String>)],
) -> Outcome<()> {
    let shown = shown_path(config);
    let mut fix = serde_json::json!({
        "requested": args.fix,
        "file": shown,
        "changes": changes
            .iter()
            .map(|(role, actions)| serde_json::json!({"role": role, "add_actions": actions}))
            .collect::<Vec<_>>(),
        "added": [],
        "already_granted": [],
        "written": false,
    });
    if args.fix && !changes.is_empty() {
        let asked: Vec<Change> = changes
            .iter()
            .map(|(r, a)| Change::add_actions(r, a.iter().cloned()))
            .collect();
        let edit = edit::plan(config.file(), &asked)?;
        if !edit.is_empty() {
            edit.write()?;
            fix["written"] = true.into();
        }
        let pairs = |v: &[(String, String)]| {
            v.iter()
                .map(|(role, action)| serde_json::json!({"role": role, "action": action}))
                .collect::<Vec<_>>()
        };
        fix["added"] = pairs(&edit.added).into();
        fix["already_granted"] = pairs(&edit.already).into();
        for (rec, want) in &mut records {
            rec.fixed = want
                .as_ref()
                .is_some_and(|w| edit.added.contains(w) || edit.already.contains(w));
        }
    }
    let doc = serde_json::json!({
        "version": 1,
        "config": config.file().display().to_string(),
        "denials": records.into_iter().map(|(r, _)| r).collect::<Vec<_>>(),
        "fix": fix,
    });
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).expect("plain data")
    )?;
    Ok(())
}

/// The config file as the user would name it from here.
pub(crate) fn shown_path(config: &Config) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|d| {
            config
                .file()
                .strip_prefix(d)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| config.file().display().to_string())
}

/// Explains one denial into `out` and `rec`; returns the `(role, action)`
/// to add when adding an action to a role is the fix.
pub(crate) fn explain_one(
    out: &mut dyn Write,
    config: &Config,
    stacks: &[Stack],
    d: &Denial,
    rec: &mut Record,
) -> Outcome<Option<(String, String)>> {
    record_denial(d, rec);
    let resource = d.resource.as_deref();
    write_heading(out, d)?;
    let Some(action) = d.action.as_deref() else {
        rec.rule = "no_action_named";
        writeln!(
            out,
            "  cannot decide: the message names no action (S3 and some services say only `Access Denied`)\n  hint: find the call in CloudTrail (`errorCode` AccessDenied) and run `tfroles explain` on that record"
        )?;
        return Ok(None);
    };
    let Some(principal) = &d.principal else {
        rec.rule = "no_principal_named";
        writeln!(
            out,
            "  cannot decide: the message names no caller\n  hint: run `tfroles simulate --role NAME --action {action} --resource ARN`, or explain the CloudTrail record of the call"
        )?;
        return Ok(None);
    };
    let Some(attr) = attribute(out, config, stacks, d, principal, rec)? else {
        return Ok(None);
    };
    let session = &attr.session;
    let config_role = config
        .role(session.role.as_str())
        .map(|r| r.name.to_string())
        .unwrap_or_else(|| config.state().role.to_string());
    let is_state = config.is_state_session(session)
        || config.state().role_per_stack
            && attr.stacks.len() == 1
            && config.role(session.role.as_str()).is_none();
    let stack = if is_state {
        match attr.stacks.as_slice() {
            [one] => stacks.iter().find(|s| &s.path == one),
            _ => None,
        }
    } else {
        None
    };
    let verdict = config.verdict(
        stacks,
        &config_role,
        session.account.as_str(),
        stack,
        action,
        resource.unwrap_or("*"),
    )?;
    let mut fix = say_verdict(out, rec, config, &verdict, action, resource, is_state)?;
    if !outside_tfroles(out, d, rec)? {
        // An edit would not help: AWS says something else refused.
        fix = None;
    }
    rec.fixable = fix.is_some();
    Ok(fix)
}

/// What the denial says, as the JSON record has it.
fn record_denial(d: &Denial, rec: &mut Record) {
    rec.source = match d.source {
        denial::Source::Message => "message",
        denial::Source::CloudTrail => "cloudtrail",
    };
    rec.action = d.action.clone();
    rec.resource = d.resource.clone();
    rec.error_code = d.code.clone();
    rec.aws_says = d.refusal.map(|r| match r {
        Refusal::ExplicitDeny(t) => AwsSays {
            refusal: "explicit_deny",
            policy_type: t.to_string(),
        },
        Refusal::NoAllow(t) => AwsSays {
            refusal: "no_allow",
            policy_type: t.to_string(),
        },
    });
    rec.principal = d.principal.as_ref().map(|p| {
        let (kind, role, session) = match &p.kind {
            PrincipalKind::AssumedRole { role, session } => {
                ("assumed_role", Some(role.clone()), Some(session.clone()))
            }
            PrincipalKind::User { .. } => ("user", None, None),
            PrincipalKind::Role { .. } => ("role", None, None),
            PrincipalKind::Other => ("other", None, None),
        };
        PrincipalRecord {
            arn: p.arn.clone(),
            kind,
            account_id: p.account.clone(),
            role,
            session,
            source_identity: d.source_identity.clone(),
            ..Default::default()
        }
    });
}

/// The denial as AWS reported it: action, resource, caller, source
/// identity and what AWS says refused.
fn write_heading(out: &mut dyn Write, d: &Denial) -> std::io::Result<()> {
    writeln!(
        out,
        "refused: {} on {}",
        d.action
            .as_deref()
            .unwrap_or("(an action the message does not name)"),
        d.resource
            .as_deref()
            .unwrap_or("(no resource named; decided as `*`)")
    )?;
    if let Some(p) = &d.principal {
        writeln!(out, "  caller:   {}", p.arn)?;
    }
    if let Some(si) = &d.source_identity {
        writeln!(out, "  source identity: {si}")?;
    }
    if let Some(r) = d.refusal {
        writeln!(out, "  AWS says: {r}")?;
    } else if let Some(code) = &d.code {
        writeln!(out, "  AWS says: {code}, without naming the policy")?;
    }
    Ok(())
}

/// The role instance and stacks whose session `principal` is, written
/// out with a warning when source identity and session name disagree;
/// `None` (said why) for a caller that is no session of the config's.
fn attribute(
    out: &mut dyn Write,
    config: &Config,
    stacks: &[Stack],
    d: &Denial,
    principal: &denial::Principal,
    rec: &mut Record,
) -> Outcome<Option<tfroles_core::naming::Attribution>> {
    let (role_name, session_name) = match &principal.kind {
        PrincipalKind::AssumedRole { role, session } => (role.as_str(), session.as_str()),
        PrincipalKind::User { .. } | PrincipalKind::Role { .. } | PrincipalKind::Other => {
            not_a_session(out, config, principal, rec)?;
            return Ok(None);
        }
    };
    let account_id = principal.account.as_deref().unwrap_or("");
    let Some(attr) = config.attribute(
        stacks,
        role_name,
        account_id,
        session_name,
        d.source_identity.as_deref(),
    ) else {
        rec.rule = "not_a_role_of_the_config";
        writeln!(
            out,
            "  session:  role `{role_name}` in account {account_id} is not a role of {}; tfroles.hcl cannot change what it may do",
            config.file().display()
        )?;
        return Ok(None);
    };
    say_session(out, &attr, session_name, rec)?;
    Ok(Some(attr))
}

/// A caller that is no role session: a base identity of the config's, or
/// a principal tfroles.hcl has no say over.
fn not_a_session(
    out: &mut dyn Write,
    config: &Config,
    principal: &denial::Principal,
    rec: &mut Record,
) -> std::io::Result<()> {
    let base = config
        .identities()
        .iter()
        .find(|i| i.arn().is_some_and(|a| a.as_str() == principal.arn));
    rec.rule = if base.is_some() {
        "base_identity"
    } else {
        "not_a_session_of_the_config"
    };
    if let (Some(p), Some(i)) = (rec.principal.as_mut(), base) {
        p.identity = Some(i.name.to_string());
    }
    match base {
        Some(i) => writeln!(
            out,
            "  session:  none: this is the base identity `{}`, which may only assume its roles\n  hint: run terraform through a role: the generated blocks, or `tfroles exec --role NAME -- terraform ...`",
            i.name
        )?,
        None => writeln!(
            out,
            "  session:  none: the caller is not a session of a role in {}; tfroles.hcl cannot change what it may do",
            config.file().display()
        )?,
    }
    Ok(())
}

/// The role instance and stacks of the session, in the record and in
/// words, with a warning when source identity and session name disagree.
fn say_session(
    out: &mut dyn Write,
    attr: &tfroles_core::naming::Attribution,
    session_name: &str,
    rec: &mut Record,
) -> std::io::Result<()> {
    let session = &attr.session;
    if let Some(p) = rec.principal.as_mut() {
        p.account = Some(session.account.to_string());
        let names =
            |v: &[tfroles_core::types::StackPath]| v.iter().map(ToString::to_string).collect();
        p.stacks = names(&attr.stacks);
        p.attributed_by = Some(attr.evidence.as_str());
        p.stacks_by_session_name = names(&attr.by_session_name);
        p.stacks_by_source_identity = names(&attr.by_source_identity);
        p.disagree = Some(attr.disagree);
        p.named_by_tfroles = Some(attr.named_by_tfroles);
    }
    let stack_note = match attr.stacks.as_slice() {
        [] => String::new(),
        [one] if attr.evidence == Evidence::SourceIdentity => {
            format!(", stack `{one}` (by its source identity)")
        }
        [one] => format!(", stack `{one}`"),
        many => format!(
            ", one of the stacks {}",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    writeln!(
        out,
        "  session:  role `{}` in `{}`{stack_note}{}",
        session.role,
        session.account,
        if attr.named_by_tfroles {
            ""
        } else {
            " (a session name tfroles did not give)"
        }
    )?;
    if attr.disagree {
        let list = |v: &[tfroles_core::types::StackPath]| {
            v.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            out,
            "  warning: the source identity is of {}, the session name `{session_name}` of {}; {} (a chained session may be renamed, its source identity may not)",
            list(&attr.by_source_identity),
            list(&attr.by_session_name),
            if attr.evidence == Evidence::SourceIdentity {
                "going by the source identity"
            } else {
                "the source identity fits more than one stack, so going by the session name"
            }
        )?;
    }
    Ok(())
}

/// Says which rule of the config's policies decided and the change that
/// would allow the call; returns the `(role, action)` `--fix` adds, when
/// that is the change.
fn say_verdict(
    out: &mut dyn Write,
    rec: &mut Record,
    config: &Config,
    verdict: &Verdict,
    action: &str,
    resource: Option<&str>,
    is_state: bool,
) -> Outcome<Option<(String, String)>> {
    let mut fix = None;
    match verdict {
        Verdict::MissingAction { role } => {
            fix = missing_action(out, rec, config, role, action, is_state)?;
        }
        Verdict::OutsideResources { role, resources } => {
            rec.rule = "outside_resources";
            writeln!(
                out,
                "  tfroles:  denied: role `{role}` grants {action} only on `resources` = [{}]",
                resources
                    .iter()
                    .map(|r| format!("\"{r}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            say_change(
                out,
                rec,
                format!(
                    "add a pattern matching {} to `resources` of role \"{role}\" (by hand: `--fix` never widens resources)",
                    resource.unwrap_or("the resource")
                ),
            )?;
        }
        Verdict::DeleteGuard { role, account } => {
            rec.rule = "delete_guard";
            rec.statement = Some(sid::NO_DELETES.to_owned());
            writeln!(
                out,
                "  tfroles:  denied by the delete guard (statement `{}` of the session policy)",
                sid::NO_DELETES
            )?;
            say_change(
                out,
                rec,
                format!(
                    "none in tfroles.hcl; for this one run: `tfroles exec --role {role} --account {account} --allow-delete -- terraform apply` (`allow_delete = true` on the role lifts the guard for every run; `--fix` never does)"
                ),
            )?;
        }
        Verdict::StateIsolation { sid } => {
            rec.rule = "state_isolation";
            rec.statement = Some(sid.clone());
            writeln!(
                out,
                "  tfroles:  denied by the state isolation (statement `{sid}`): only the state role reaches the state bucket, lock table and key"
            )?;
            say_change(out, rec, "none: give the resource another name or bucket; state is never opened to other roles".to_owned())?;
        }
        Verdict::OtherStacksState => {
            rec.rule = "other_stacks_state";
            writeln!(
                out,
                "  tfroles:  denied: this stack's backend session reaches only its own state keys"
            )?;
            say_change(out, rec, "none: check the stack's `key` and workspace; one stack never reads another's state".to_owned())?;
        }
        Verdict::DeniedByConfig { sid, role } => {
            rec.rule = if sid == sid::EXCLUDED {
                "access_level_not_granted"
            } else {
                "deny_actions"
            };
            rec.statement = Some(sid.clone());
            let what = if sid == sid::EXCLUDED {
                "an access level not in `access`".to_owned()
            } else {
                "`deny_actions`".to_owned()
            };
            writeln!(
                out,
                "  tfroles:  denied by role `{role}`'s {what} (statement `{sid}`)"
            )?;
            say_change(
                out,
                rec,
                format!(
                    "by hand: {} (ambiguous: `--fix` does not undo a deliberate deny)",
                    if sid == sid::EXCLUDED {
                        "add the level to `access`, or the action to `actions`"
                    } else {
                        "take the pattern out of `deny_actions`"
                    }
                ),
            )?;
        }
        Verdict::Allowed => {
            rec.rule = "allowed";
            writeln!(out, "  tfroles:  allowed by the config's policies")?;
            say_change(out, rec, "none in tfroles.hcl: if the role in AWS has older policies, apply them again (`tfroles generate`, the bootstrap stack)".to_owned())?;
        }
        Verdict::Undecided(why) => {
            rec.rule = "undecided";
            writeln!(out, "  tfroles:  cannot decide: {why}")?;
        }
    }
    Ok(fix)
}

/// No statement of `role`'s policy allows `action`: the action to add to
/// the role (returned for `--fix`), or to its module's manifest; nothing
/// for the state role, whose permissions follow from the stacks.
fn missing_action(
    out: &mut dyn Write,
    rec: &mut Record,
    config: &Config,
    role: &str,
    action: &str,
    is_state: bool,
) -> std::io::Result<Option<(String, String)>> {
    let mut fix = None;
    rec.rule = "missing_action";
    writeln!(
        out,
        "  tfroles:  denied: no statement of role `{role}`'s policy allows {action}"
    )?;
    if is_state {
        say_change(out, rec, "none: the state role's permissions follow from the stacks (backend settings), not from actions".to_owned())?;
    } else {
        let canonical = Catalog::get()
            .action(action)
            .map(|a| a.to_string())
            .unwrap_or_else(|| action.to_owned());
        if let Some(m) = config.module_role(role) {
            // A module's role: the grant belongs in the module's
            // manifest, which `--fix` does not edit.
            say_change(
                out,
                rec,
                format!(
                    "{} (by hand: `--fix` edits only tfroles.hcl)",
                    m.proposal(&[canonical.as_str()])
                ),
            )?;
        } else {
            say_change(
                out,
                rec,
                format!("add \"{canonical}\" to `actions` of role \"{role}\" (`--fix` does)"),
            )?;
            fix = Some((role.to_owned(), canonical));
        }
    }
    Ok(fix)
}

/// Says so when AWS names a kind of policy tfroles does not write (an
/// SCP, a resource policy, a boundary); returns whether tfroles.hcl can
/// still be the fix.
fn outside_tfroles(out: &mut dyn Write, d: &Denial, rec: &mut Record) -> std::io::Result<bool> {
    if let Some(r) = d.refusal {
        let kind = match r {
            Refusal::ExplicitDeny(t) | Refusal::NoAllow(t) => t,
        };
        if !kind.written_by_tfroles() {
            writeln!(
                out,
                "  not fixed by tfroles.hcl: AWS names a {kind}, which tfroles does not write{}",
                match kind {
                    PolicyType::ServiceControl | PolicyType::ResourceControl =>
                        " (AWS Organizations: ask whoever manages them)",
                    PolicyType::Resource =>
                        " (a bucket, key or queue policy on the resource itself)",
                    PolicyType::PermissionsBoundary =>
                        " (a boundary set on the role outside tfroles)",
                    _ => "",
                }
            )?;
            rec.not_fixable = Some(format!("AWS names a {kind}, which tfroles does not write"));
            return Ok(false);
        }
    }
    Ok(true)
}

/// Writes the change line and keeps its text for the JSON record.
fn say_change(out: &mut dyn Write, rec: &mut Record, text: String) -> std::io::Result<()> {
    writeln!(out, "  change:   {text}")?;
    rec.change = Some(text);
    Ok(())
}
