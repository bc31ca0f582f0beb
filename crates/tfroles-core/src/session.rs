//! The one place that decides a session: for a role, an account, maybe a
//! stack and the delete opt-in, which role instance is assumed (and through
//! which `via` chain), with which parameters, and narrowed by which session
//! policy. `generate` writes what this decides into the backend and provider
//! blocks; `credential-process`, `env`, `exec`, `policy`, `simulate` and the
//! library's credential API send or show the same.

use tfroles_policy::PolicyDocument;

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::model::{Config, RoleSession};
use crate::naming::SessionNames;
use crate::resolve::Stack;
use crate::types::StackPath;

/// What a caller asks for: a role, optionally its account, the stack whose
/// backend the session is for (state role only), and whether the session
/// may delete.
///
/// ```
/// # use tfroles_core::SessionFor;
/// let ask = SessionFor::role("app-provisioning").account("qa").allow_delete(true);
/// assert_eq!(ask.role, "app-provisioning");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SessionFor<'a> {
    /// The role's name in `tfroles.hcl`.
    pub role: &'a str,
    /// The account's name; `None` for a role in one account only.
    pub account: Option<&'a str>,
    /// The stack whose backend the session is for; only for the state role.
    pub stack: Option<&'a Stack>,
    /// Leave out the delete guard (`--allow-delete`).
    pub allow_delete: bool,
    /// With `stack`: the terraform workspace the backend works in, which
    /// narrows the session policy to that workspace's state key. `None`:
    /// every workspace the stack may use. Without `stack` it is ignored:
    /// only a stack's backend session depends on the workspace.
    pub workspace: Option<&'a str>,
    /// What the session name's placeholders stand for (see
    /// [`crate::naming`]). With `stack` set, the state role's stack fills
    /// `{stack}` when `names.stack` is unset.
    pub names: SessionNames<'a>,
}

impl<'a> SessionFor<'a> {
    /// A session of `role`, in its only account, without a stack, guarded.
    pub fn role(role: &'a str) -> Self {
        SessionFor {
            role,
            account: None,
            stack: None,
            allow_delete: false,
            workspace: None,
            names: SessionNames::default(),
        }
    }

    /// In this terraform workspace (with a stack: its key only).
    #[must_use]
    pub fn workspace(mut self, workspace: &'a str) -> Self {
        self.workspace = Some(workspace);
        self
    }

    /// In this account.
    #[must_use]
    pub fn account(mut self, account: &'a str) -> Self {
        self.account = Some(account);
        self
    }

    /// For this stack's backend.
    #[must_use]
    pub fn stack(mut self, stack: &'a Stack) -> Self {
        self.stack = Some(stack);
        self
    }

    /// Named with these placeholder values.
    #[must_use]
    pub fn names(mut self, names: SessionNames<'a>) -> Self {
        self.names = names;
        self
    }

    /// With deletes allowed (no delete guard) when `yes`.
    #[must_use]
    pub fn allow_delete(mut self, yes: bool) -> Self {
        self.allow_delete = yes;
        self
    }
}

/// What a session is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionKind {
    /// The state role (in the state account): a stack's backend, or with
    /// no stack the whole state role.
    State {
        /// The stack, when the session is one stack's backend.
        stack: Option<StackPath>,
    },
    /// Any other role instance.
    Provisioning {
        /// Whether the session carries the delete guard.
        delete_guard: bool,
    },
}

/// One session as tfroles hands it out.
#[derive(Debug, Clone)]
pub struct Session {
    /// The role instance assumed last, its parameters and its `via` chain.
    pub role: RoleSession,
    /// The session policy sent with the last AssumeRole, if any.
    pub policy: Option<PolicyDocument>,
    /// What it is for.
    pub kind: SessionKind,
}

impl Config {
    /// Decides the session for `ask`: with a stack, the state role's session
    /// for that stack's backend (its own role with `role_per_stack`) and the
    /// stack's session policy; for a provisioning role, the delete guard
    /// unless the role or `ask` allows deletes.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown role or account, a stack asked of a
    /// role that is not the state role, the state role asked without a stack
    /// under `role_per_stack`, or a session policy that does not fit.
    pub fn decide_session(&self, ask: &SessionFor<'_>) -> Result<Session> {
        let mut names = ask.names;
        if names.stack.is_none() {
            names.stack = ask.stack.map(|s| s.path.as_str());
        }
        self.decide_unnamed(ask).map(|mut s| {
            s.role = s.role.named(&names);
            s
        })
    }

    fn decide_unnamed(&self, ask: &SessionFor<'_>) -> Result<Session> {
        // Before the account is resolved: a stack is wrong for any other
        // role, whatever its account.
        if ask.stack.is_some() && ask.role != self.state.role.as_str() {
            return Err(self.not_state(ask.role, None));
        }
        let base = self.session(ask.role, ask.account)?;
        if self.is_state_session(&base) {
            return self.state_session_for(ask, base);
        }
        if ask.stack.is_some() {
            return Err(self.not_state(ask.role, Some(base.account.as_str())));
        }
        let r = self.role(ask.role).expect("session found it");
        let policy = if ask.allow_delete || r.permissions.allow_delete {
            None
        } else {
            self.delete_guard(&r.permissions)
        };
        Ok(Session {
            role: base,
            kind: SessionKind::Provisioning {
                delete_guard: policy.is_some(),
            },
            policy,
        })
    }

    /// The state role's session: narrowed to the stack's keys (or one
    /// workspace's), or the role itself where no stack is named and the
    /// state role is shared.
    fn state_session_for(&self, ask: &SessionFor<'_>, base: RoleSession) -> Result<Session> {
        match ask.stack {
            Some(stack) => Ok(Session {
                role: self.stack_state_session(stack),
                policy: match ask.workspace {
                    Some(w) => Some(self.workspace_state_session_policy(stack, w)?),
                    None => self.state_session_policy(stack)?,
                },
                kind: SessionKind::State {
                    stack: Some(stack.path.clone()),
                },
            }),
            None if self.state.role_per_stack => Err(self.refuse(
                format!(
                    "with `role_per_stack`, each stack has its own state role, and `{}` itself is none of them",
                    base.role
                ),
                "name the stack: `--stack PATH`",
            )),
            None => Ok(Session {
                role: base,
                policy: None,
                kind: SessionKind::State { stack: None },
            }),
        }
    }

    /// A stack asked of a role that is not the state role.
    fn not_state(&self, role: &str, account: Option<&str>) -> Error {
        self.refuse(
            format!(
                "a stack applies to the state role (`{}` in `{}`), not to `{role}`{}",
                self.state.role,
                self.state.account,
                account.map(|a| format!(" in `{a}`")).unwrap_or_default()
            ),
            "a provisioning role's sessions are the same in every stack",
        )
    }

    fn refuse(&self, message: String, hint: &str) -> Error {
        Error::Invalid(Diagnostics(vec![Diagnostic {
            file: self.file.clone(),
            location: None,
            block: None,
            attribute: None,
            message,
            allowed: None,
            hint: Some(hint.into()),
        }]))
    }
}
