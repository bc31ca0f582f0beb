//! `tfroles explain`: why AWS refused a call, decided again with the
//! config's own policies, and the change to `tfroles.hcl` that would allow
//! it (made with `--fix`).

use std::io::{Read, Write};

use tfroles_core::edit::{self, Change};
use tfroles_core::policies::sid;
use tfroles_core::{Config, SessionFor, SessionKind, Stack};
use tfroles_policy::denial::{self, Denial, PolicyType, PrincipalKind, Refusal};
use tfroles_policy::{Catalog, PolicyDocument, PolicyKind, Reason, Request, evaluate};

use crate::{ConfigArg, Outcome, Usage};

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
}

/// What tfroles' own evaluator says about one denial.
enum Verdict {
    /// No statement allows it: the role lacks the action.
    MissingAction { role: String },
    /// The role grants the action, not on this resource.
    OutsideResources {
        role: String,
        resources: Vec<String>,
    },
    /// The delete guard (session policy) denies it.
    DeleteGuard { role: String, account: String },
    /// The state guard denies it: no role but the state role reaches state.
    StateIsolation { sid: String },
    /// A stack's backend session reaches only its own state.
    OtherStacksState,
    /// The role's `deny_actions`, or the access levels it was not granted.
    DeniedByConfig { sid: String, role: String },
    /// The config's policies allow it: something else refused.
    Allowed,
    /// The evaluator cannot decide (a condition it does not model).
    Undecided(String),
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
    let mut out = std::io::stdout().lock();
    let mut changes: Vec<(String, Vec<String>)> = Vec::new();
    let n = denials.len();
    for (i, d) in denials.iter().enumerate() {
        if n > 1 {
            writeln!(out, "denial {} of {n}", i + 1)?;
        }
        if let Some((role, action)) = explain_one(&mut out, &config, &stacks, d)? {
            match changes.iter_mut().find(|(r, _)| *r == role) {
                Some((_, actions)) if !actions.contains(&action) => actions.push(action),
                Some(_) => {}
                None => changes.push((role, vec![action])),
            }
        }
        writeln!(out)?;
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

/// Explains one denial; returns the `(role, action)` to add when adding an
/// action to a role is the fix.
pub(crate) fn explain_one(
    out: &mut impl Write,
    config: &Config,
    stacks: &[Stack],
    d: &Denial,
) -> Outcome<Option<(String, String)>> {
    let action = d.action.as_deref();
    let resource = d.resource.as_deref();
    writeln!(
        out,
        "refused: {} on {}",
        action.unwrap_or("(an action the message does not name)"),
        resource.unwrap_or("(no resource named; decided as `*`)")
    )?;
    if let Some(p) = &d.principal {
        writeln!(out, "  caller:   {}", p.arn)?;
    }
    if let Some(r) = d.refusal {
        writeln!(out, "  AWS says: {r}")?;
    } else if let Some(code) = &d.code {
        writeln!(out, "  AWS says: {code}, without naming the policy")?;
    }
    let Some(action) = action else {
        writeln!(
            out,
            "  cannot decide: the message names no action (S3 and some services say only `Access Denied`)\n  hint: find the call in CloudTrail (`errorCode` AccessDenied) and run `tfroles explain` on that record"
        )?;
        return Ok(None);
    };
    let Some(principal) = &d.principal else {
        writeln!(
            out,
            "  cannot decide: the message names no caller\n  hint: run `tfroles simulate --role NAME --action {action} --resource ARN`, or explain the CloudTrail record of the call"
        )?;
        return Ok(None);
    };
    let (role_name, session_name) = match &principal.kind {
        PrincipalKind::AssumedRole { role, session } => (role.as_str(), session.as_str()),
        PrincipalKind::User { .. } | PrincipalKind::Role { .. } | PrincipalKind::Other => {
            let base = config
                .identities()
                .iter()
                .find(|i| i.arn().is_some_and(|a| a.as_str() == principal.arn));
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
            return Ok(None);
        }
    };
    let account_id = principal.account.as_deref().unwrap_or("");
    let Some(attr) = config.attribute_session(stacks, role_name, account_id, session_name) else {
        writeln!(
            out,
            "  session:  role `{role_name}` in account {account_id} is not a role of {}; tfroles.hcl cannot change what it may do",
            config.file().display()
        )?;
        return Ok(None);
    };
    let session = &attr.session;
    let stack_note = match attr.stacks.as_slice() {
        [] => String::new(),
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
    let verdict = decide(
        config,
        stacks,
        &config_role,
        session.account.as_str(),
        stack,
        action,
        resource.unwrap_or("*"),
    )?;
    let mut fix = None;
    match &verdict {
        Verdict::MissingAction { role } => {
            writeln!(
                out,
                "  tfroles:  denied: no statement of role `{role}`'s policy allows {action}"
            )?;
            if is_state {
                writeln!(
                    out,
                    "  change:   none: the state role's permissions follow from the stacks (backend settings), not from actions"
                )?;
            } else {
                let canonical = Catalog::get()
                    .action(action)
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| action.to_owned());
                if let Some(m) = config.module_role(role) {
                    // A module's role: the grant belongs in the module's
                    // manifest, which `--fix` does not edit.
                    writeln!(
                        out,
                        "  change:   {} (by hand: `--fix` edits only tfroles.hcl)",
                        m.proposal(&[canonical.as_str()])
                    )?;
                } else {
                    writeln!(
                        out,
                        "  change:   add \"{canonical}\" to `actions` of role \"{role}\" (`--fix` does)"
                    )?;
                    fix = Some((role.clone(), canonical));
                }
            }
        }
        Verdict::OutsideResources { role, resources } => {
            writeln!(
                out,
                "  tfroles:  denied: role `{role}` grants {action} only on `resources` = [{}]",
                resources
                    .iter()
                    .map(|r| format!("\"{r}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            writeln!(
                out,
                "  change:   add a pattern matching {} to `resources` of role \"{role}\" (by hand: `--fix` never widens resources)",
                resource.unwrap_or("the resource")
            )?;
        }
        Verdict::DeleteGuard { role, account } => {
            writeln!(
                out,
                "  tfroles:  denied by the delete guard (statement `{}` of the session policy)",
                sid::NO_DELETES
            )?;
            writeln!(
                out,
                "  change:   none in tfroles.hcl; for this one run: `tfroles exec --role {role} --account {account} --allow-delete -- terraform apply` (`allow_delete = true` on the role lifts the guard for every run; `--fix` never does)"
            )?;
        }
        Verdict::StateIsolation { sid } => {
            writeln!(
                out,
                "  tfroles:  denied by the state isolation (statement `{sid}`): only the state role reaches the state bucket, lock table and key"
            )?;
            writeln!(
                out,
                "  change:   none: give the resource another name or bucket; state is never opened to other roles"
            )?;
        }
        Verdict::OtherStacksState => {
            writeln!(
                out,
                "  tfroles:  denied: this stack's backend session reaches only its own state keys"
            )?;
            writeln!(
                out,
                "  change:   none: check the stack's `key` and workspace; one stack never reads another's state"
            )?;
        }
        Verdict::DeniedByConfig { sid, role } => {
            let what = if sid == sid::EXCLUDED {
                "an access level not in `access`".to_owned()
            } else {
                "`deny_actions`".to_owned()
            };
            writeln!(
                out,
                "  tfroles:  denied by role `{role}`'s {what} (statement `{sid}`)"
            )?;
            writeln!(
                out,
                "  change:   by hand: {} (ambiguous: `--fix` does not undo a deliberate deny)",
                if sid == sid::EXCLUDED {
                    "add the level to `access`, or the action to `actions`"
                } else {
                    "take the pattern out of `deny_actions`"
                }
            )?;
        }
        Verdict::Allowed => {
            writeln!(out, "  tfroles:  allowed by the config's policies")?;
            writeln!(
                out,
                "  change:   none in tfroles.hcl: if the role in AWS has older policies, apply them again (`tfroles generate`, the bootstrap stack)"
            )?;
        }
        Verdict::Undecided(why) => {
            writeln!(out, "  tfroles:  cannot decide: {why}")?;
        }
    }
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
            // An edit would not help: AWS says something else refused.
            fix = None;
        }
    }
    Ok(fix)
}

/// Decides `action` on `resource` for the session as tfroles hands it out.
fn decide(
    config: &Config,
    stacks: &[Stack],
    role: &str,
    account: &str,
    stack: Option<&Stack>,
    action: &str,
    resource: &str,
) -> Outcome<Verdict> {
    let mut ask = SessionFor::role(role).account(account);
    ask.stack = stack;
    let session = config.decide_session(&ask)?;
    let identity = match stack {
        Some(s) => config.stack_state_permissions(s, stacks)?,
        None => config.permissions_policy(role, Some(account), stacks)?,
    };
    let sessions: Vec<PolicyDocument> = session.policy.iter().cloned().collect();
    let request = Request::new(action, resource);
    let decision = match evaluate(&request, std::slice::from_ref(&identity), &sessions) {
        Ok(d) => d,
        Err(e) => return Ok(Verdict::Undecided(e.to_string())),
    };
    let sid_of = |r: &tfroles_policy::StatementRef| r.sid.clone().unwrap_or_default();
    Ok(match decision.reason {
        Reason::Allowed => Verdict::Allowed,
        Reason::ExplicitDeny => {
            let by = decision
                .deciding
                .expect("an explicit deny names its statement");
            let sid = sid_of(&by);
            if by.kind == PolicyKind::Session && sid == sid::NO_DELETES {
                Verdict::DeleteGuard {
                    role: role.to_owned(),
                    account: account.to_owned(),
                }
            } else if [sid::NO_STATE, sid::NO_LOCK_TABLE, sid::NO_STATE_KEY].contains(&sid.as_str())
            {
                Verdict::StateIsolation { sid }
            } else {
                Verdict::DeniedByConfig {
                    sid,
                    role: role.to_owned(),
                }
            }
        }
        Reason::NotAllowedBySession => match session.kind {
            SessionKind::State { .. } => Verdict::OtherStacksState,
            SessionKind::Provisioning { .. } => Verdict::DeleteGuard {
                role: role.to_owned(),
                account: account.to_owned(),
            },
        },
        Reason::ImplicitDeny => {
            let permissions = config.role(role).map(|r| r.permissions.clone());
            match permissions {
                Some(p) if grants(&p, action) && !p.resources.iter().any(|r| r == "*") => {
                    Verdict::OutsideResources {
                        role: role.to_owned(),
                        resources: p.resources.clone(),
                    }
                }
                _ => Verdict::MissingAction {
                    role: role.to_owned(),
                },
            }
        }
    })
}

/// Whether a role's `services`/`access` or `actions` name the action.
fn grants(p: &tfroles_core::Permissions, action: &str) -> bool {
    let catalog = Catalog::get();
    let by_service = catalog.action(action).is_some_and(|info| {
        p.services.iter().any(|s| s == info.service()) && p.access.contains(&info.access())
    });
    by_service
        || p.actions
            .iter()
            .any(|a| tfroles_policy::action_matches(a, action))
}
