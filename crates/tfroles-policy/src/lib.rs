//! IAM policies as data, for least privilege that is generated and proven.
//!
//! This crate owns three things, none of which does I/O:
//!
//! - [`PolicyDocument`]: policy documents as data, read from JSON as AWS
//!   accepts it and written as canonical, stable JSON, with AWS's size
//!   limits ([`SizeLimit`]). The JSON rules are in [`document`].
//! - [`Catalog`]: every IAM service prefix and action with its access level
//!   (AWS's Service Authorization Reference, compiled in): case-insensitive
//!   lookup, wildcard expansion, "did you mean", the delete class of a
//!   service, and wildcard compression that the catalog proves exact. The
//!   data and the delete-class rule are described in [`catalog`].
//! - [`evaluate`]: whether identity-based and session policies allow one
//!   [`Request`], following AWS's evaluation logic for those two kinds of
//!   policy. What it covers and what it does not is listed in [`simulate`].
//!
//! ```
//! use tfroles_policy::{Catalog, PolicyDocument, Request, SizeLimit, Statement, evaluate};
//!
//! let catalog = Catalog::get();
//! let deny = catalog.compress(catalog.delete_class("s3")?.iter().map(|a| a.action()))?;
//! let policy = PolicyDocument::new(vec![
//!     Statement::allow(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::state/*"]),
//!     Statement::deny(deny, ["*"]).with_sid("NoDeletes"),
//! ]);
//! policy.check_size(SizeLimit::ManagedPolicy)?;
//!
//! let put = Request::new("s3:putobject", "arn:aws:s3:::state/prod.tfstate");
//! assert!(evaluate(&put, &[policy.clone()], &[])?.allowed);
//! let delete = Request::new("s3:DeleteObject", "arn:aws:s3:::state/prod.tfstate");
//! let decision = evaluate(&delete, &[policy], &[])?;
//! assert!(!decision.allowed);
//! assert_eq!(
//!     decision.to_string(),
//!     r#"explicitly denied by identity policy 0, statement 1 (Sid "NoDeletes")"#
//! );
//! # Ok::<(), tfroles_policy::Error>(())
//! ```

#![warn(missing_docs)]

pub mod catalog;
pub mod cloudtrail;
pub mod denial;
pub mod document;
mod error;
mod pattern;
pub mod simulate;

pub use catalog::{AccessLevel, ActionInfo, Catalog, DELETE_VERBS, Service};
pub use cloudtrail::{EventActions, event_actions};
pub use document::{
    Actions, Conditions, Effect, PolicyDocument, Principal, Resources, SizeLimit, Statement,
    Version,
};
pub use error::Error;
pub use simulate::{Decision, PolicyKind, Reason, Request, StatementRef, evaluate};

/// Whether an `Action` pattern (`ec2:Describe*`) matches an action name,
/// as IAM matches them: `*` and `?` wildcards, ignoring case.
///
/// ```
/// assert!(tfroles_policy::action_matches("ec2:describe*", "ec2:DescribeVpcs"));
/// assert!(!tfroles_policy::action_matches("ec2:Describe*", "ec2:RunInstances"));
/// ```
pub fn action_matches(pattern: &str, action: &str) -> bool {
    pattern::glob_ignore_case(pattern, action)
}
