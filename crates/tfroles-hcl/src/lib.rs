//! Renders the tfroles model to files: per stack, the `backend "s3"` block
//! and the `provider "aws"` blocks with `assume_role`, laid out byte for
//! byte as `terraform fmt` would; and, in the `profile` credentials mode, an
//! AWS shared-config file whose profiles run `tfroles credential-process`.
//!
//! [`generate`] returns the files as `(path, contents)` without touching the
//! disk, or every problem found (a session policy too large for STS) and no
//! files. [`plan`] compares them with the tree and [`Plan::apply`] writes
//! them; the plan is complete before anything is written, so a hand-written
//! file in the way stops the run with nothing written.
//!
//! The way in for repositories that already have hand-written blocks is
//! here too: [`import()`] reads them into a draft `tfroles.hcl` with a report
//! of what it could not map, and [`handover()`] cuts the blocks a config now
//! generates from their files, through the same staged [`Plan`].
//!
//! ```
//! use tfroles_core::Config;
//!
//! let config = Config::from_str(r#"
//!     account "shared" { id = "111111111111" }
//!     state {
//!       account = "shared"
//!       bucket  = "acme-terraform-state"
//!       region  = "us-east-1"
//!       role    = "terraform-state"
//!     }
//!     role "terraform-state" { account = "shared" }
//!     stack "dns" {
//!       account = "shared"
//!       role    = "terraform-state"
//!       region  = "us-east-1"
//!     }
//! "#)?;
//! let stacks = config.resolve(&[])?.stacks;
//! let files = tfroles_hcl::generate(&config, &stacks)?;
//! assert_eq!(files[0].path, "dns/backend.tf");
//! assert!(files[0].contents.contains(r#"    key          = "dns/terraform.tfstate""#));
//! assert_eq!(files[1].path, "dns/providers.tf");
//! # Ok::<(), tfroles_hcl::Error>(())
//! ```

#![warn(missing_docs)]

mod bootstrap;
mod generated;
mod handover;
pub mod import;
mod render;
mod sync;
pub mod writer;

use std::borrow::Cow;
use std::path::PathBuf;

pub use bootstrap::{
    AWS_PROVIDER_VERSION, IDENTITY_POLICY_NAME, ROLE_POLICY_NAME, bootstrap_files,
};
pub use generated::{GeneratedFile, SIGNATURE_PREFIX, signature};
pub use handover::{Handed, Handover, handover};
pub use import::{
    BackendConfig, Finding, Import, ImportOptions, default_aws_config, import, import_with,
};
pub use render::{
    AWS_CONFIG_PATH, WORKSPACE_LOCAL, WORKSPACES_LOCAL, aws_config_file, backend_file, generate,
    profile_name, providers_file, state_profile_name, workspace_provider_key,
};
pub use sync::{
    Change, Duplicate, FileChange, GENERATED_MODE, ORIGINAL_SUFFIX, Plan, PlanOptions, Summary,
    plan,
};

/// Everything that can go wrong writing files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot be rendered: a session policy derived from
    /// it does not fit, or a stack cannot be named where it must be. The
    /// diagnostics name the block, as configuration errors do.
    #[error(transparent)]
    Config(#[from] tfroles_core::Error),
    /// Files tfroles did not generate stand where generated files go.
    #[error("{}", hand_written_message(files))]
    HandWritten {
        /// Each path, and the config named in its signature when another
        /// tfroles config generated it.
        files: Vec<(String, Option<String>)>,
    },
    /// Paths tfroles would write cannot be written safely: a symbolic link
    /// or a file on the way, something other than a regular file where a
    /// generated file goes, a name too long, an earlier `.tfroles-orig`.
    #[error("{}", unsafe_message(problems))]
    Unsafe {
        /// Each path, relative to the config's directory, and what is wrong with it.
        problems: Vec<(String, String)>,
    },
    /// A stack's own `.tf` files declare a backend, or an AWS provider with
    /// the alias (or none) of a generated one: terraform would refuse the
    /// directory.
    #[error("{}", duplicate_message(blocks))]
    Duplicate {
        /// Each block to remove.
        blocks: Vec<Duplicate>,
    },
    /// A file changed between the plan and the write: the run stopped and
    /// put back what it had changed.
    #[error("`{path}` {what}; nothing was changed")]
    Changed {
        /// Relative to the config's directory.
        path: String,
        /// What happened to it.
        what: String,
    },
    /// The handover cannot remove these blocks exactly: nothing was changed.
    #[error("{}", handover_message(refused))]
    Handover {
        /// Each file, line, and why.
        refused: Vec<(String, usize, String)>,
    },
    /// `import` found no directory it could draft a stack from.
    #[error(
        "found no stack to import below `{}`: no directory has both a `backend \"s3\"` block and a default `provider \"aws\"` that assumes a role given literally{}",
        dir.display(),
        if report.is_empty() { String::new() } else { format!(" (the {} warnings above say what was found)", report.len()) }
    )]
    NothingToImport {
        /// The directory read.
        dir: PathBuf,
        /// What was found and could not be used.
        report: Vec<Finding>,
    },
    /// `import` could not read a file or directory.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be read or written.
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// What to do about it, when there is something to say. The message
    /// (`Display`) never says it: whoever prints the error prints the hint
    /// after it (the binary as a `hint:` line).
    pub fn hint(&self) -> Option<Cow<'_, str>> {
        match self {
            Error::Config(e) => e.hint(),
            Error::HandWritten { .. } => Some(
                "move what you still need out of these files (tfroles will write the backend and provider blocks), \
                 or run `tfroles generate --take-over` to replace them, keeping each original as `<name>.tfroles-orig`"
                    .into(),
            ),
            Error::Unsafe { .. } => Some(
                "tfroles writes only regular files below the directory of tfroles.hcl, through real directories; \
                 replace links with the directories or files themselves, or move what is in the way"
                    .into(),
            ),
            Error::Duplicate { .. } => Some(
                "remove these blocks from your files (tfroles writes them from tfroles.hcl; \
                 move any setting they carry there), then run `tfroles generate` again"
                    .into(),
            ),
            Error::Changed { .. } => Some("run `tfroles generate` again".into()),
            Error::Handover { .. } => Some(
                "edit these files by hand (or leave their stacks out of tfroles.hcl for now), \
                 then run `tfroles import --handover` again"
                    .into(),
            ),
            Error::NothingToImport { .. } | Error::Read { .. } | Error::Io { .. } => None,
        }
    }
}

fn duplicate_message(blocks: &[Duplicate]) -> String {
    let mut s = String::from(
        "stack files declare blocks that tfroles generates; terraform would refuse these directories:",
    );
    for d in blocks {
        let why = if d.block.starts_with("provider") {
            "Duplicate provider configuration"
        } else {
            "Duplicate backend configuration"
        };
        s.push_str(&format!(
            "\n  {}:{}: `{}`, also in the generated `{}` (terraform: \"{why}\"){}",
            d.file,
            d.line,
            d.block,
            d.generated,
            if d.stale {
                "; this file is a stale generated one: `tfroles generate --prune` removes it"
            } else {
                ""
            }
        ));
    }
    s
}

fn handover_message(refused: &[(String, usize, String)]) -> String {
    let mut s =
        String::from("the handover cannot remove these blocks exactly; nothing was changed:");
    for (file, line, why) in refused {
        s.push_str(&format!("\n  {file}:{line}: {why}"));
    }
    s
}

fn unsafe_message(problems: &[(String, String)]) -> String {
    let mut s = String::from("refusing to write where it is not safe:");
    for (path, why) in problems {
        s.push_str(&format!("\n  `{path}` {why}"));
    }
    s
}

fn hand_written_message(files: &[(String, Option<String>)]) -> String {
    let mut s = String::from("refusing to overwrite files that this config did not generate:");
    for (path, other) in files {
        match other {
            Some(c) => s.push_str(&format!(
                "\n  `{path}` (generated from another config: {c})"
            )),
            None => s.push_str(&format!(
                "\n  `{path}` (no tfroles signature on its first line)"
            )),
        }
    }
    s
}

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn the_hint_is_data_and_not_in_the_message() {
        let e = Error::Changed {
            path: "dns/backend.tf".into(),
            what: "was created by someone else since tfroles looked".into(),
        };
        assert_eq!(e.hint().as_deref(), Some("run `tfroles generate` again"));
        assert_eq!(
            e.to_string(),
            "`dns/backend.tf` was created by someone else since tfroles looked; nothing was changed"
        );
        let e = Error::HandWritten {
            files: vec![("a.tf".into(), None)],
        };
        let hint = e.hint().expect("HandWritten has a hint").into_owned();
        assert!(
            e.to_string()
                .ends_with("(no tfroles signature on its first line)"),
            "{e}"
        );
        assert!(hint.starts_with("move what you still need"), "{hint}");
    }
}
