//! The crate's one error type. "Your configuration is wrong" and "AWS
//! refused" are different variants; none carries a secret.

use std::borrow::Cow;
use std::path::PathBuf;

/// The usual reasons STS refuses, for the request that was made.
fn access_denied_causes(role_arn: &str, external_id: bool, web_identity: bool) -> String {
    if web_identity {
        return format!(
            "    1. the role's trust policy does not trust the token's issuer (`Federated` principal: the IAM OIDC provider of that CI system) or no such OIDC provider exists in the account;\n    \
             2. the trust policy's `aud` or `sub` condition does not match the token (audience, repository, branch, environment or workspace);\n    \
             3. the trust policy does not allow `sts:AssumeRoleWithWebIdentity` on `{role_arn}`"
        );
    }
    let second = if external_id {
        "the external id sent does not match the trust policy's `sts:ExternalId` condition"
    } else {
        "the trust policy requires an external id (`sts:ExternalId`) and none was sent"
    };
    format!(
        "    1. the role's trust policy does not name this caller as a principal;\n    2. {second}\n    3. the caller's own policy does not allow `sts:AssumeRole` on `{role_arn}`"
    )
}

/// Everything that can go wrong getting credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The tfroles configuration is wrong.
    #[error(transparent)]
    Config(#[from] tfroles_core::Error),
    /// The cache directory or an entry in it is unusable.
    #[error("credential cache `{}`: {reason}", path.display())]
    Cache {
        /// The directory or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
        /// What to do.
        hint: String,
    },
    /// The CI identity token could not be had.
    #[error("web identity source {source_name}: {reason}")]
    WebIdentity {
        /// `github`, `env:VAR`, ...
        source_name: String,
        /// What is wrong.
        reason: String,
        /// What to do.
        hint: String,
    },
    /// No base credentials were found to call AssumeRole with.
    #[error("no base credentials to assume `{role_arn}` with\n  tried: {tried}")]
    NoBaseCredentials {
        /// The role asked for.
        role_arn: String,
        /// The sources tried, as aws-config reported them.
        tried: String,
    },
    /// The base credentials have expired.
    #[error("the base credentials from {source_name} have expired{}", if access_key_id.is_empty() { String::new() } else { format!(" (access key `{access_key_id}`)") })]
    ExpiredBaseCredentials {
        /// Where they came from.
        source_name: String,
        /// Their access key id, if known.
        access_key_id: String,
    },
    /// STS refused AssumeRole.
    #[error("AccessDenied: `{caller}` may not assume `{role_arn}`: {message}")]
    AccessDenied {
        /// The role asked for.
        role_arn: String,
        /// Who asked, as AWS saw it when it could be asked, else where the credentials came from.
        caller: String,
        /// AWS's message.
        message: String,
        /// Whether an external id was sent.
        external_id: bool,
        /// Whether it was AssumeRoleWithWebIdentity (a CI token).
        web_identity: bool,
    },
    /// A chained session asked for more than AWS's one-hour limit.
    #[error(
        "`{role_arn}` is assumed with the session of `{via}` (role chaining), and AWS caps chained sessions at 1h; {duration} was asked"
    )]
    ChainedDuration {
        /// The second role.
        role_arn: String,
        /// The first.
        via: String,
        /// The duration asked.
        duration: String,
    },
    /// An AWS endpoint (STS's, or S3's, IAM's, DynamoDB's for `doctor`)
    /// could not be reached or did not answer.
    #[error("cannot reach {} at {endpoint}: {detail}", service_name(service))]
    Endpoint {
        /// The service's signing name: `sts`, `s3`, `iam`, `dynamodb`.
        service: String,
        /// The endpoint.
        endpoint: String,
        /// What happened.
        detail: String,
    },
    /// No usable MFA code.
    #[error("MFA for `{serial}`: {reason}")]
    Mfa {
        /// The device.
        serial: String,
        /// What is wrong.
        reason: String,
    },
    /// Any other STS error.
    #[error("STS {operation} for `{role_arn}` failed: {code}: {message}")]
    Sts {
        /// The operation.
        operation: String,
        /// The role asked for.
        role_arn: String,
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// An S3 request for CloudTrail logs failed or was refused.
    #[error("{location}: {reason}")]
    S3 {
        /// `s3://bucket/key`.
        location: String,
        /// What happened (AWS's code and message, made printable).
        reason: String,
        /// What to do.
        hint: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
    /// `exec --server`: the loopback credentials endpoint could not start.
    #[error("cannot start the credentials endpoint for `exec --server`: {0}")]
    Server(String),
}

impl Error {
    /// What to do about it, when there is something to say. The message
    /// (`Display`) never says it: whoever prints the error prints the hint
    /// after it (the binary as a `hint:` line).
    pub fn hint(&self) -> Option<Cow<'_, str>> {
        Some(match self {
            Error::Config(e) => return e.hint(),
            Error::Cache { hint, .. } | Error::WebIdentity { hint, .. } | Error::S3 { hint, .. } => hint.as_str().into(),
            Error::NoBaseCredentials { .. } => "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE (run `aws sso login` for SSO profiles), or `--profile`; in CI, use `--web-identity github|terraform-cloud|env:VAR|file:PATH`".into(),
            Error::ExpiredBaseCredentials { .. } => "refresh them (`aws sso login`, a new session from your identity provider), then run again".into(),
            Error::AccessDenied {
                role_arn,
                external_id,
                web_identity,
                ..
            } => format!(
                "the usual causes:\n{}",
                access_denied_causes(role_arn, *external_id, *web_identity)
            )
            .into(),
            Error::ChainedDuration { .. } => "set `duration = \"1h\"` or less on the role, or assume it directly instead of `via` another role".into(),
            Error::Endpoint { service, .. } => format!(
                "check the network, {} / AWS_ENDPOINT_URL and the region",
                crate::signed::endpoint_variable(service)
            )
            .into(),
            Error::Server(_) => "check that 127.0.0.1 is configured and that file descriptors and threads are not exhausted (`ulimit -n`, `ulimit -u`); or run `tfroles exec` without `--server`".into(),
            Error::Mfa { .. } | Error::Sts { .. } | Error::Runtime(_) => return None,
        })
    }
}

/// How a service is named in messages: `S3` for `s3`.
fn service_name(service: &str) -> String {
    match service {
        "sts" => "STS".into(),
        "s3" => "S3".into(),
        "iam" => "IAM".into(),
        "dynamodb" => "DynamoDB".into(),
        other => other.to_owned(),
    }
}

/// Text from the network made safe for a terminal: control characters
/// (an escape sequence can retitle, clear or rewrite what the user sees)
/// become `\u{1b}`-style escapes, trailing whitespace goes, and the length
/// is capped so that a huge error page does not become a huge message.
pub(crate) fn printable(s: &str) -> String {
    const MAX: usize = 2000;
    let mut out = String::new();
    for (i, c) in s.trim_end().chars().enumerate() {
        if i == MAX {
            out.push_str(" [...]");
            break;
        }
        // Bidirectional overrides reorder what is shown, like escapes do.
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `doctor` reaches S3, IAM and DynamoDB through the same error: it
    /// names the service it could not reach and that service's variable.
    #[test]
    fn an_endpoint_error_names_its_service() {
        let e = Error::Endpoint {
            service: "s3".into(),
            endpoint: "http://127.0.0.1:9".into(),
            detail: "connection refused".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot reach S3 at http://127.0.0.1:9: connection refused"
        );
        assert!(e.hint().unwrap().contains("AWS_ENDPOINT_URL_S3 /"));
        let e = Error::Endpoint {
            service: "dynamodb".into(),
            endpoint: "x".into(),
            detail: "y".into(),
        };
        assert!(e.to_string().starts_with("cannot reach DynamoDB at "));
        assert!(e.hint().unwrap().contains("AWS_ENDPOINT_URL_DYNAMODB /"));
    }

    #[test]
    fn the_hint_is_data_and_not_in_the_message() {
        let arn = "arn:aws:iam::111111111111:role/app";
        let e = Error::AccessDenied {
            role_arn: arn.into(),
            caller: "me".into(),
            message: "no".into(),
            external_id: false,
            web_identity: false,
        };
        let hint = e.hint().expect("AccessDenied has a hint").into_owned();
        assert!(hint.starts_with("the usual causes:\n    1. "), "{hint}");
        assert_eq!(
            e.to_string(),
            format!("AccessDenied: `me` may not assume `{arn}`: no")
        );
        let e = Error::Cache {
            path: PathBuf::from("cache"),
            reason: "is a file".into(),
            hint: "remove it".into(),
        };
        assert_eq!(e.hint().as_deref(), Some("remove it"));
        assert_eq!(e.to_string(), "credential cache `cache`: is a file");
        let e = Error::Mfa {
            serial: "s".into(),
            reason: "no code".into(),
        };
        assert_eq!(e.hint(), None);
    }
}
