//! Errors as users see them. A hint is data (`Error::hint`,
//! `Diagnostic::hint`), never in an error's `Display`; these put the two
//! together the way the binary prints them, so tests can compare the
//! whole text.

#![allow(dead_code)] // each test target uses what it needs

use tfroles_core::{Diagnostic, Error};

/// Each diagnostic's message (or the error's own) followed by its hint.
pub fn shown(e: &Error) -> String {
    match e.diagnostics() {
        [] => with_hint(e.to_string(), e.hint().as_deref()),
        d => d
            .iter()
            .map(shown_diagnostic)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// One diagnostic (an error's or a warning) and its hint.
pub fn shown_diagnostic(d: &Diagnostic) -> String {
    with_hint(d.to_string(), d.hint.as_deref())
}

fn with_hint(message: String, hint: Option<&str>) -> String {
    assert!(
        !message.contains("hint:"),
        "a hint in the message: {message}"
    );
    match hint {
        Some(h) => format!("{message}\n  hint: {h}"),
        None => message,
    }
}
