//! The crate's one error type.

use std::borrow::Cow;

use crate::document::SizeLimit;

/// Everything that can go wrong in this crate.
///
/// "The document is wrong" ([`Error::Json`], [`Error::Document`],
/// [`Error::TooLarge`]), "the name is not in the catalog"
/// ([`Error::UnknownService`], [`Error::UnknownAction`], [`Error::NoMatch`])
/// and "the evaluator cannot decide" ([`Error::Unsupported`]) are kept apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not JSON at all.
    #[error("policy document is not valid JSON: {source}")]
    Json {
        /// What serde_json found.
        #[source]
        source: serde_json::Error,
    },
    /// JSON, but not a policy document AWS accepts.
    #[error("policy document: `{path}`: {reason}")]
    Document {
        /// Where in the document, like `Statement[1].Effect`.
        path: String,
        /// What is wrong there.
        reason: String,
    },
    /// The document is over one of AWS's size limits.
    #[error(
        "policy document is {length} characters as compact JSON, over the {limit} limit of {max}"
    )]
    TooLarge {
        /// Which limit.
        limit: SizeLimit,
        /// Characters of compact JSON (for several documents, their sum).
        length: usize,
        /// The limit in characters.
        max: usize,
    },
    /// A service prefix the catalog does not know.
    #[error("unknown IAM service prefix `{prefix}`")]
    UnknownService {
        /// The prefix as given.
        prefix: String,
        /// The nearest known prefix, if one is close.
        suggestion: Option<String>,
    },
    /// An action the catalog does not know.
    #[error("unknown IAM action `{action}`")]
    UnknownAction {
        /// The action as given.
        action: String,
        /// The nearest known action (or service prefix), if one is close.
        suggestion: Option<String>,
    },
    /// A wildcard pattern that matches no action in the catalog.
    #[error("`{pattern}` matches no IAM action in the catalog")]
    NoMatch {
        /// The pattern as given.
        pattern: String,
    },
    /// A statement that applies to the request uses something the evaluator
    /// does not model, so it cannot decide.
    #[error("cannot evaluate {location}: {what} is not supported by this evaluator")]
    Unsupported {
        /// Which policy and statement, like `identity policy 0, statement 2 (Sid "X")`.
        location: String,
        /// What is not supported.
        what: String,
    },
}

impl Error {
    /// What to do about it, when there is something to say. The message
    /// (`Display`) never says it: whoever prints the error prints the hint
    /// after it (the binary as a `hint:` line).
    pub fn hint(&self) -> Option<Cow<'_, str>> {
        match self {
            Error::TooLarge { .. } => Some(
                "merge statements, use wildcards the catalog proves exact, or split the policy"
                    .into(),
            ),
            Error::UnknownService { suggestion, .. } | Error::UnknownAction { suggestion, .. } => {
                suggestion
                    .as_deref()
                    .map(|s| format!("did you mean `{s}`?").into())
            }
            Error::Json { .. }
            | Error::Document { .. }
            | Error::NoMatch { .. }
            | Error::Unsupported { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_data_and_not_in_the_message() {
        let e = Error::UnknownAction {
            action: "s3:PutObjekt".into(),
            suggestion: Some("s3:PutObject".into()),
        };
        assert_eq!(e.hint().as_deref(), Some("did you mean `s3:PutObject`?"));
        assert_eq!(e.to_string(), "unknown IAM action `s3:PutObjekt`");
        let e = Error::UnknownAction {
            action: "s3:Nothing".into(),
            suggestion: None,
        };
        assert_eq!(e.hint(), None);
        assert_eq!(e.to_string(), "unknown IAM action `s3:Nothing`");
    }
}
