//! The tfroles model: `tfroles.hcl` parsed and validated into accounts,
//! roles, the state backend and stacks, as plain data.
//!
//! This crate owns the meaning of the configuration and nothing else: no
//! rendering (that is `tfroles-hcl`), no AWS calls, no async. Its only I/O
//! is reading the config file and, in [`discover`], listing the directories
//! stacks may match.
//!
//! Every value that reaches AWS or Terraform is a newtype from [`types`]
//! whose constructor checks AWS's rules, so the rest of the workspace never
//! re-checks a string. Problems come back as [`Error::Invalid`] holding a
//! [`Diagnostic`] for each: file, line, block, attribute, what is allowed
//! and a hint.
//!
//! ```
//! use tfroles_core::Config;
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
//!     role "app" { account = "shared" }
//!     stack "app" {
//!       account = "shared"
//!       role    = "app"
//!     }
//! "#)?;
//! let stacks = config.resolve(&[])?.stacks;
//! assert_eq!(stacks[0].state_key, "app/terraform.tfstate");
//! assert_eq!(
//!     stacks[0].providers[0].session.arn.as_str(),
//!     "arn:aws:iam::111111111111:role/app"
//! );
//! # Ok::<(), tfroles_core::Error>(())
//! ```
//!
//! The same model in code, checked by the same rules:
//!
//! ```
//! use tfroles_core::{Config, DefaultsBuilder, RoleBuilder, StackBuilder, StateBuilder};
//!
//! let config = Config::builder()
//!     .defaults(DefaultsBuilder::new().region("us-west-2"))
//!     .account("shared", "111111111111")
//!     .state(StateBuilder::new("shared", "acme-terraform-state", "terraform-state"))
//!     .role(RoleBuilder::new("terraform-state").account("shared"))
//!     .role(RoleBuilder::new("app").account("shared").duration("2h"))
//!     .stack(StackBuilder::new("app", "shared", "app"))
//!     .build()?;
//! assert_eq!(config.session("app", None)?.duration.to_string(), "2h");
//!
//! let err = Config::builder().account("shared", "1234").build().unwrap_err();
//! assert!(err.to_string().contains("\"1234\" is not an AWS account id"));
//! # Ok::<(), tfroles_core::Error>(())
//! ```

#![warn(missing_docs)]

pub mod access;
mod builder;
pub mod edit;
mod error;
pub mod graph;
mod load;
mod model;
pub mod modules;
pub mod naming;
pub mod policies;
pub mod raw;
mod resolve;
mod session;
mod stacks;
pub mod types;
pub mod usage;
mod validate;
pub mod verdict;

pub use access::{
    Bootstrap, GitHubTrust, GitLabTrust, Permissions, TerraformCloudTrust, Trust, TrustedAws,
};
pub use builder::{ConfigBuilder, DefaultsBuilder, RoleBuilder, StackBuilder, StateBuilder};
pub use error::{Diagnostic, Diagnostics, Error, Location, Refused, Result};
pub use load::{CONFIG_FILE_NAME, MAX_CONFIG_BYTES, read_config_file};
pub use model::{
    Account, Config, Defaults, Identity, IdentityKind, ProviderSpec, Role, RoleSession, StackSpec,
    State, Target, WorkspaceSpec,
};
pub use naming::{SessionNames, SessionTemplate, SourceIdentityTemplate};
pub use resolve::{Provider, Resolution, Stack, Workspace};
pub use session::{Session, SessionFor, SessionKind};
pub use stacks::{StackPattern, TfDir, discover};
pub use types::{
    CredentialsMode, DefaultTags, Duration, ListScope, Partition, WebIdentitySource, WorkspaceName,
};
