//! The one failure type every command returns, and the one place that
//! maps it to the documented exit codes.

use std::error::Error as StdError;

/// Why a command did not succeed. Library errors convert with `?`, as do
/// the binary's own outcomes ([`crate::Exit`], usage, `exec`), so the exit
/// code is chosen from the type, never by searching a chain of errors.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The binary's own outcomes: drift, a denied request, a file in the way.
    #[error(transparent)]
    Exit(#[from] crate::Exit),
    /// An invalid argument or value given on the command line or in the
    /// environment.
    #[error(transparent)]
    Usage(#[from] crate::creds::Usage),
    /// `exec`: the command could not be started.
    #[error(transparent)]
    Exec(#[from] crate::creds::Exec),
    /// The configuration could not be read or is wrong.
    #[error(transparent)]
    Config(#[from] tfroles_core::Error),
    /// The files could not be generated, planned or written.
    #[error(transparent)]
    Files(#[from] tfroles_hcl::Error),
    /// No credentials: a configuration, cache, identity or STS problem.
    #[error(transparent)]
    Credentials(#[from] tfroles_creds::Error),
    /// CloudTrail logs could not be read.
    #[error(transparent)]
    Trail(#[from] tfroles_trail::Error),
    /// A file, directory or stream of the binary's own could not be used;
    /// the context says which.
    #[error(transparent)]
    Io(anyhow::Error),
    /// Anything else (output that could not be encoded).
    #[error(transparent)]
    Other(anyhow::Error),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e.into())
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Other(e.into())
    }
}

impl Failure {
    /// An I/O error with what was being done, like `cannot write `x``.
    pub(crate) fn io(e: std::io::Error, context: String) -> Self {
        Failure::Io(anyhow::Error::from(e).context(context))
    }

    /// The documented exit code (see `EXIT_CODES` in main.rs and the README).
    pub(crate) fn exit_code(&self) -> u8 {
        use tfroles_creds::Error as C;
        use tfroles_hcl::Error as H;

        use crate::Exit;
        match self {
            Failure::Exit(Exit::Drift(_) | Exit::Denied) => 1,
            Failure::Exit(Exit::Exists(_)) => 3,
            Failure::Usage(_) | Failure::Other(_) => 2,
            Failure::Trail(tfroles_trail::Error::Io { .. }) => 4,
            Failure::Trail(_) => 2,
            Failure::Io(_) => 4,
            Failure::Exec(x) if x.error.kind() == std::io::ErrorKind::NotFound => 127,
            Failure::Exec(_) => 126,
            Failure::Config(tfroles_core::Error::Io { .. }) => 4,
            Failure::Config(_) => 2,
            Failure::Files(e) => match e {
                H::HandWritten { .. }
                | H::Unsafe { .. }
                | H::Duplicate { .. }
                | H::Handover { .. }
                | H::Changed { .. } => 3,
                H::Config(tfroles_core::Error::Io { .. }) => 4,
                H::Config(_) | H::NothingToImport { .. } => 2,
                _ => 4,
            },
            Failure::Credentials(e) => match e {
                C::Config(_) => 2,
                C::Cache { .. } => 4,
                C::AccessDenied { .. } | C::ChainedDuration { .. } | C::Sts { .. } => 5,
                C::NoBaseCredentials { .. }
                | C::ExpiredBaseCredentials { .. }
                | C::WebIdentity { .. }
                | C::Mfa { .. } => 6,
                C::Endpoint { .. } => 7,
                C::Server(_) => 4,
                _ => 5,
            },
        }
    }

    /// The configuration's diagnostics, each printed as its own error, as a
    /// compiler lists them.
    pub(crate) fn diagnostics(&self) -> Option<&tfroles_core::Diagnostics> {
        match self {
            Failure::Config(tfroles_core::Error::Invalid(d))
            | Failure::Files(tfroles_hcl::Error::Config(tfroles_core::Error::Invalid(d))) => {
                Some(d)
            }
            _ => None,
        }
    }

    /// This failure, then each error that caused it.
    pub(crate) fn chain(&self) -> Box<dyn Iterator<Item = &(dyn StdError + 'static)> + '_> {
        match self {
            Failure::Io(e) | Failure::Other(e) => Box::new(e.chain()),
            _ => Box::new(std::iter::successors(
                Some(self as &(dyn StdError + 'static)),
                |e: &&(dyn StdError + 'static)| (*e).source(),
            )),
        }
    }

    /// A closed stdout (`tfroles roles | head -1`) is not worth a message.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        self.chain().any(|c| {
            c.downcast_ref::<std::io::Error>().map(std::io::Error::kind)
                == Some(std::io::ErrorKind::BrokenPipe)
                || c.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
                    == Some(std::io::ErrorKind::BrokenPipe)
        })
    }
}
