//! The one failure type every command returns, the one place that maps it
//! to the documented exit codes, and the one place that prints it: each
//! error's message, then its hint. Library errors keep their hints as data
//! (`hint()`), never in their `Display` (uv's pattern); this is where the
//! two meet as `  hint: ...` lines.

use std::borrow::Cow;
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
            Failure::Exit(Exit::Drift { .. } | Exit::Denied) => 1,
            Failure::Exit(Exit::Exists { .. }) => 3,
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

    /// How to fix it, from the library error (or the binary's own outcome)
    /// inside.
    pub(crate) fn hint(&self) -> Option<Cow<'_, str>> {
        match self {
            Failure::Exit(x) => x.hint().map(Cow::Borrowed),
            Failure::Exec(_) | Failure::Io(_) | Failure::Other(_) => None,
            Failure::Usage(u) => u.hint.as_deref().map(Cow::Borrowed),
            Failure::Config(e) => e.hint(),
            Failure::Files(e) => e.hint(),
            Failure::Credentials(e) => e.hint(),
            Failure::Trail(e) => e.hint(),
        }
    }

    /// What is printed after `error: `, one entry per error: each of an
    /// invalid config's diagnostics with its hint, as a compiler lists
    /// them; otherwise the failure, each error that caused it (`caused by:`),
    /// and after each message its hint, every hint once.
    pub(crate) fn report(&self) -> Vec<String> {
        if let Some(d) = self.diagnostics() {
            return d.0.iter().map(diagnostic).collect();
        }
        let mut text = String::new();
        let mut hints: Vec<Cow<'_, str>> = Vec::new();
        let mut said = String::new();
        for (i, e) in self.chain().enumerate() {
            let message = e.to_string();
            // Most errors end their message with their cause's (`cannot
            // read `x`: ERR`); a cause already said is not said again.
            let repeated = i > 0 && said.ends_with(&format!(": {message}"));
            if i > 0 && !repeated {
                text.push_str("\n  caused by: ");
            }
            if !repeated {
                text.push_str(&message);
                said = message;
            }
            let hint = if i == 0 { self.hint() } else { hint_of(e) };
            if let Some(h) = hint.filter(|h| !hints.contains(h)) {
                text.push_str(&format!("\n  hint: {h}"));
                hints.push(h);
            }
        }
        vec![text]
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

/// A diagnostic (an error's or a warning) as printed: its message, then
/// its hint.
pub(crate) fn diagnostic(d: &tfroles_core::Diagnostic) -> String {
    with_hint(d.to_string(), d.hint.as_deref())
}

/// `message`, and `hint` after it as a `  hint: ...` line.
pub(crate) fn with_hint(message: String, hint: Option<&str>) -> String {
    match hint {
        Some(h) => format!("{message}\n  hint: {h}"),
        None => message,
    }
}

/// The hint of any error of the workspace's crates, found by its type;
/// `None` for errors that have none (the OS's, serde's).
pub(crate) fn hint_of<'e>(e: &'e (dyn StdError + 'static)) -> Option<Cow<'e, str>> {
    if let Some(f) = e.downcast_ref::<Failure>() {
        f.hint()
    } else if let Some(u) = e.downcast_ref::<crate::creds::Usage>() {
        u.hint.as_deref().map(Cow::Borrowed)
    } else if let Some(e) = e.downcast_ref::<tfroles_core::Error>() {
        e.hint()
    } else if let Some(e) = e.downcast_ref::<tfroles_hcl::Error>() {
        e.hint()
    } else if let Some(e) = e.downcast_ref::<tfroles_creds::Error>() {
        e.hint()
    } else if let Some(e) = e.downcast_ref::<tfroles_trail::Error>() {
        e.hint()
    } else if let Some(e) = e.downcast_ref::<tfroles_policy::Error>() {
        e.hint()
    } else if let Some(e) = e.downcast_ref::<tfroles_core::types::InvalidValue>() {
        e.hint.as_deref().map(Cow::Borrowed)
    } else if let Some(e) = e.downcast_ref::<std::io::Error>() {
        tfroles_core::Refused::hint_of(e).map(Cow::Borrowed)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_then_its_hint_and_every_hint_once() {
        let e = Failure::Config(tfroles_core::Error::Io {
            path: "tfroles.hcl".into(),
            source: tfroles_core::Refused::io("it is a symbolic link", "name the file"),
        });
        // The I/O error inside is the end of the message and has the same
        // hint: each is printed once.
        assert_eq!(
            e.report(),
            ["cannot read `tfroles.hcl`: it is a symbolic link\n  hint: name the file"]
        );
        // A cause the message does not end with is still said.
        let e = Failure::Io(
            anyhow::Error::new(std::io::Error::other("disk full")).context("cannot write `x`"),
        );
        assert_eq!(e.report(), ["cannot write `x`\n  caused by: disk full"]);
        let e = Failure::Usage(crate::creds::Usage::hinted("--stack: no", "name one"));
        assert_eq!(e.report(), ["--stack: no\n  hint: name one"]);
        let e = Failure::Usage(crate::creds::Usage::new("--tag: no"));
        assert_eq!(e.report(), ["--tag: no"]);
    }

    #[test]
    fn a_value_errors_hint_is_found_by_its_type() {
        let e = "33333333333"
            .parse::<tfroles_core::types::AccountId>()
            .unwrap_err();
        let hint = hint_of(&e).expect("an account id's hint");
        assert!(
            hint.starts_with("account ids keep their leading zeros"),
            "{hint}"
        );
        assert_eq!(hint_of(&std::io::Error::other("x")), None);
        let refused = tfroles_core::Refused::io("it changed", "run it again");
        assert_eq!(hint_of(&refused).as_deref(), Some("run it again"));
        // Wrapped with the binary's own context, the hint still shows.
        let e = Failure::io(refused, "cannot read `x`".into());
        assert_eq!(
            e.report(),
            ["cannot read `x`\n  caused by: it changed\n  hint: run it again"]
        );
    }
}
