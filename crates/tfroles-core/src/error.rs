//! The crate's one error type, and the diagnostics it carries.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

/// A position in the config file, 1-based; columns count characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// One problem found in a configuration: where, what, what is allowed, how
/// to fix it.
///
/// Its `Display` is the message: where, what, and what is allowed:
///
/// ```text
/// tfroles.hcl:24:13: in block `role "dns"`, attribute `path`: "terraform/" is not a valid IAM path
///   allowed: `/`, or segments ...
/// ```
///
/// The `hint` is data, never part of the message: whoever prints the
/// diagnostic prints it after (the binary as a `  hint: ...` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The config file, as the user named it (or `<builder>` for configs made in code).
    pub file: PathBuf,
    /// Where in the file; `None` for configs made in code.
    pub location: Option<Location>,
    /// The block, as written: `role "dns-provisioning"`.
    pub block: Option<String>,
    /// The attribute or nested block name.
    pub attribute: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What is allowed instead.
    pub allowed: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(loc) = self.location {
            write!(f, ":{}:{}", loc.line, loc.column)?;
        }
        f.write_str(": ")?;
        match (&self.block, &self.attribute) {
            (Some(b), Some(a)) => write!(f, "in block `{b}`, attribute `{a}`: ")?,
            (Some(b), None) => write!(f, "in block `{b}`: ")?,
            (None, Some(a)) => write!(f, "attribute `{a}`: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)?;
        if let Some(allowed) = &self.allowed {
            write!(f, "\n  allowed: {allowed}")?;
        }
        Ok(())
    }
}

/// Every problem found in one configuration, in file order. Its `Display`
/// is each diagnostic's message, one after the other, without their hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config file (or a directory below it) could not be read. When
    /// tfroles itself refused (a symbolic link, a config that changed while
    /// it was edited), [`Error::hint`] says what to do.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// No `tfroles.hcl` in the directory or any parent.
    #[error("no `tfroles.hcl` in `{}` or any parent directory", start.display())]
    NotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// The configuration is wrong: one or more diagnostics.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// An edit of the config ([`crate::edit`]) was refused; nothing was written.
    #[error("cannot change `{}`: {error}", file.display())]
    Edit {
        /// The config file.
        file: PathBuf,
        /// Why, with its hint.
        error: crate::edit::EditError,
    },
}

impl Error {
    /// How to fix it, when there is one thing to say. An invalid
    /// configuration has none here: each of its [`Diagnostic`]s carries its
    /// own `hint`. The message (`Display`) never says it: whoever prints the
    /// error prints the hint after it (the binary as a `hint:` line).
    pub fn hint(&self) -> Option<Cow<'_, str>> {
        match self {
            Error::NotFound { .. } => {
                Some("create one (see docs/config.md), or name it with `--config PATH`".into())
            }
            Error::Edit { error, .. } => error.hint.as_deref().map(Cow::Borrowed),
            Error::Io { source, .. } => Refused::hint_of(source).map(Cow::Borrowed),
            Error::Invalid(_) => None,
        }
    }

    /// The diagnostics, when the configuration was invalid.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => &d.0,
            _ => &[],
        }
    }
}

/// A read or write tfroles refused itself (a linked config, a config that
/// changed while it was edited), as an I/O error, so that it goes where the
/// OS's errors go ([`Error::Io`]), keeping its hint as data for
/// [`Error::hint`].
#[derive(Debug)]
pub struct Refused {
    message: &'static str,
    hint: &'static str,
}

impl Refused {
    /// The I/O error carrying `message`, with `hint` for [`Error::hint`].
    pub fn io(message: &'static str, hint: &'static str) -> std::io::Error {
        std::io::Error::other(Refused { message, hint })
    }

    /// The hint of `e`, when it is a refusal made by [`Refused::io`].
    pub fn hint_of(e: &std::io::Error) -> Option<&'static str> {
        e.get_ref()
            .and_then(|e| e.downcast_ref::<Refused>())
            .map(|r| r.hint)
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for Refused {}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Names as messages list them: `` `a`, `b` ``, or "(none defined)".
pub(crate) fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "(none defined)".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "did you mean `x`?" for the closest name within a small edit distance.
pub(crate) fn did_you_mean(name: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_data_and_not_in_the_message() {
        let e = Error::NotFound {
            start: PathBuf::from("here"),
        };
        assert_eq!(
            e.hint().as_deref(),
            Some("create one (see docs/config.md), or name it with `--config PATH`")
        );
        assert_eq!(
            e.to_string(),
            "no `tfroles.hcl` in `here` or any parent directory"
        );
        let e = Error::Io {
            path: PathBuf::from("tfroles.hcl"),
            source: Refused::io("it is a symbolic link", "name the file"),
        };
        assert_eq!(
            e.to_string(),
            "cannot read `tfroles.hcl`: it is a symbolic link"
        );
        assert_eq!(e.hint().as_deref(), Some("name the file"));
        let invalid = Error::Invalid(Diagnostics(vec![]));
        assert_eq!(invalid.hint(), None, "diagnostics carry their own hints");
    }
}
