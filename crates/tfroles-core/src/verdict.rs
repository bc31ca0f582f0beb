//! Why the config's own policies refuse a call: the decision `tfroles
//! explain` reports, made again with the evaluator on exactly the identity
//! policy and session policy a session of the config carries.
//!
//! ```
//! use tfroles_core::{Config, verdict::Verdict};
//!
//! let config = Config::from_str(r#"
//!     defaults { region = "us-west-2" }
//!     account "shared" { id = "111111111111" }
//!     state {
//!       account = "shared"
//!       bucket  = "acme-terraform-state"
//!       role    = "terraform-state"
//!     }
//!     role "terraform-state" { account = "shared" }
//!     role "app" {
//!       account  = "shared"
//!       services = ["sqs"]
//!     }
//! "#)?;
//! let stacks = config.resolve(&[])?.stacks;
//! let v = config.verdict(&stacks, "app", "shared", None, "sns:Publish", "*")?;
//! assert_eq!(v, Verdict::MissingAction { role: "app".into() });
//! let v = config.verdict(&stacks, "app", "shared", None, "sqs:SendMessage", "*")?;
//! assert_eq!(v, Verdict::Allowed);
//! let v = config.verdict(&stacks, "app", "shared", None, "sqs:DeleteQueue", "*")?;
//! assert!(matches!(v, Verdict::DeleteGuard { .. }));
//! # Ok::<(), tfroles_core::Error>(())
//! ```

use tfroles_policy::{Catalog, PolicyDocument, PolicyKind, Reason, Request, evaluate};

use crate::policies::sid;
use crate::{Config, Permissions, Result, SessionFor, SessionKind, Stack};

/// Which rule of the config's policies decides a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No statement allows it: the role lacks the action.
    MissingAction {
        /// The role.
        role: String,
    },
    /// The role grants the action, not on this resource.
    OutsideResources {
        /// The role.
        role: String,
        /// Its `resources`.
        resources: Vec<String>,
    },
    /// The delete guard (session policy) denies it.
    DeleteGuard {
        /// The role.
        role: String,
        /// The account's name.
        account: String,
    },
    /// The state guard denies it: no role but the state role reaches state.
    StateIsolation {
        /// The statement that denies.
        sid: String,
    },
    /// A stack's backend session reaches only its own state.
    OtherStacksState,
    /// The role's `deny_actions`, or the access levels it was not granted
    /// ([`sid::EXCLUDED`]).
    DeniedByConfig {
        /// The statement that denies.
        sid: String,
        /// The role.
        role: String,
    },
    /// The config's policies allow it: something else refused.
    Allowed,
    /// The evaluator cannot decide (a condition it does not model).
    Undecided(String),
}

impl Config {
    /// Decides `action` on `resource` for a session of `role` in `account`
    /// (an account's name) as tfroles hands it out: the role's identity
    /// policy and the session policy it carries; with `stack`, the stack's
    /// backend session of the state role.
    ///
    /// # Errors
    /// [`crate::Error`] when the role, account or stack is not the
    /// config's.
    pub fn verdict(
        &self,
        stacks: &[Stack],
        role: &str,
        account: &str,
        stack: Option<&Stack>,
        action: &str,
        resource: &str,
    ) -> Result<Verdict> {
        let mut ask = SessionFor::role(role).account(account);
        ask.stack = stack;
        let session = self.decide_session(&ask)?;
        let identity = match stack {
            Some(s) => self.stack_state_permissions(s, stacks)?,
            None => self.permissions_policy(role, Some(account), stacks)?,
        };
        let sessions: Vec<PolicyDocument> = session.policy.iter().cloned().collect();
        let request = Request::new(action, resource);
        let decision = match evaluate(&request, std::slice::from_ref(&identity), &sessions) {
            Ok(d) => d,
            Err(e) => return Ok(Verdict::Undecided(e.to_string())),
        };
        Ok(match decision.reason {
            Reason::Allowed => Verdict::Allowed,
            Reason::ExplicitDeny => {
                let by = decision
                    .deciding
                    .expect("an explicit deny names its statement");
                explicit_deny(by.kind, by.sid.unwrap_or_default(), role, account)
            }
            Reason::NotAllowedBySession => match session.kind {
                SessionKind::State { .. } => Verdict::OtherStacksState,
                SessionKind::Provisioning { .. } => Verdict::DeleteGuard {
                    role: role.to_owned(),
                    account: account.to_owned(),
                },
            },
            Reason::ImplicitDeny => match self.role(role).map(|r| &r.permissions) {
                Some(p) if grants(p, action) && !p.resources.iter().any(|r| r == "*") => {
                    Verdict::OutsideResources {
                        role: role.to_owned(),
                        resources: p.resources.clone(),
                    }
                }
                _ => Verdict::MissingAction {
                    role: role.to_owned(),
                },
            },
        })
    }
}

/// What an explicit deny by statement `sid` of a policy of `kind` is.
fn explicit_deny(kind: PolicyKind, sid: String, role: &str, account: &str) -> Verdict {
    if kind == PolicyKind::Session && sid == sid::NO_DELETES {
        Verdict::DeleteGuard {
            role: role.to_owned(),
            account: account.to_owned(),
        }
    } else if [sid::NO_STATE, sid::NO_LOCK_TABLE, sid::NO_STATE_KEY].contains(&sid.as_str()) {
        Verdict::StateIsolation { sid }
    } else {
        Verdict::DeniedByConfig {
            sid,
            role: role.to_owned(),
        }
    }
}

/// Whether a role's `services`/`access` or `actions` name the action.
fn grants(p: &Permissions, action: &str) -> bool {
    let catalog = Catalog::get();
    let by_service = catalog.action(action).is_some_and(|info| {
        p.services.iter().any(|s| s == info.service()) && p.access.contains(&info.access())
    });
    by_service
        || p.actions
            .iter()
            .any(|a| tfroles_policy::action_matches(a, action))
}
