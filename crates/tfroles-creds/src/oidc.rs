//! CI identity tokens for AssumeRoleWithWebIdentity.

use std::time::Duration as StdDuration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};

use crate::Error;
use crate::credentials::Secret;
use crate::env::Env;
use crate::request::WebIdentitySource;

const GITHUB_TIMEOUT: StdDuration = StdDuration::from_secs(30);

/// Whether the source's token is available in this environment, without
/// fetching it: how a configured `identity` is chosen automatically in CI
/// and skipped on a laptop.
pub fn available(source: &WebIdentitySource, env: &Env) -> bool {
    match source {
        WebIdentitySource::GitHub { .. } => {
            env.non_empty("ACTIONS_ID_TOKEN_REQUEST_URL").is_some()
                && env.non_empty("ACTIONS_ID_TOKEN_REQUEST_TOKEN").is_some()
        }
        WebIdentitySource::TerraformCloud => env.non_empty("TFC_WORKLOAD_IDENTITY_TOKEN").is_some(),
        WebIdentitySource::Env { var } => env.non_empty(var).is_some(),
        WebIdentitySource::File { path } => path.is_file(),
    }
}

fn invalid(
    source: &WebIdentitySource,
    reason: impl Into<String>,
    hint: impl Into<String>,
) -> Error {
    Error::WebIdentity {
        source_name: source.describe(),
        reason: reason.into(),
        hint: hint.into(),
    }
}

/// The token, checked for the shape STS accepts (4 to 20,000 characters,
/// one line) so a wrong source fails here with its name, not at STS.
pub(crate) async fn token(source: &WebIdentitySource, env: &Env) -> Result<Secret, Error> {
    let raw = match source {
        WebIdentitySource::GitHub { audience } => github(source, audience, env).await?,
        WebIdentitySource::TerraformCloud => env.non_empty("TFC_WORKLOAD_IDENTITY_TOKEN").ok_or_else(|| {
            invalid(
                source,
                "TFC_WORKLOAD_IDENTITY_TOKEN is not set",
                "HCP Terraform sets it in runs of workspaces that set the variable `TFC_WORKLOAD_IDENTITY_AUDIENCE` (for AWS: `aws.workload.identity`)",
            )
        })?,
        WebIdentitySource::Env { var } => env.non_empty(var).ok_or_else(|| {
            invalid(
                source,
                format!("{var} is not set or empty"),
                "in GitLab CI, declare it under the job's `id_tokens:` with `aud: sts.amazonaws.com`",
            )
        })?,
        WebIdentitySource::File { path } => std::fs::read_to_string(path).map_err(|e| {
            invalid(source, format!("cannot read {}: {e}", path.display()), "check the path the CI system writes the token to")
        })?,
    };
    let token = raw.trim();
    if !(4..=20_000).contains(&token.len()) || token.contains(char::is_whitespace) {
        return Err(invalid(
            source,
            format!(
                "the token is not a JWT STS would accept ({} characters)",
                token.len()
            ),
            "expected one line of 4 to 20000 characters: a JWT like `eyJ...`",
        ));
    }
    Ok(Secret::new(token))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GitHub Actions: GET `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with
/// `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the answer is
/// `{"value": "<jwt>"}`.
async fn github(source: &WebIdentitySource, audience: &str, env: &Env) -> Result<String, Error> {
    let hint = "the job needs `permissions: id-token: write` for GitHub to offer a token";
    let url = env
        .non_empty("ACTIONS_ID_TOKEN_REQUEST_URL")
        .ok_or_else(|| invalid(source, "ACTIONS_ID_TOKEN_REQUEST_URL is not set", hint))?;
    let bearer = env
        .non_empty("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        .ok_or_else(|| invalid(source, "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set", hint))?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let full = format!("{url}{sep}audience={}", percent_encode(audience));
    let uri: http::Uri = full.parse().map_err(|e| {
        invalid(
            source,
            format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}"),
            hint,
        )
    })?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| {
            invalid(
                source,
                format!("cannot load the system's root certificates: {e}"),
                "install ca-certificates",
            )
        })?
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Empty<Bytes>>(connector);
    let req = http::Request::get(uri)
        .header("Authorization", format!("bearer {bearer}"))
        .header("Accept", "application/json; api-version=2.0")
        .body(Empty::new())
        .expect("a GET with two headers is a valid request");
    let host = url.split('/').take(3).collect::<Vec<_>>().join("/");
    let resp = tokio::time::timeout(GITHUB_TIMEOUT, client.request(req))
        .await
        .map_err(|_| invalid(source, format!("no answer from {host} within 30 s"), hint))?
        .map_err(|e| invalid(source, format!("cannot reach {host}: {e}"), hint))?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| invalid(source, format!("reading the answer from {host}: {e}"), hint))?
        .to_bytes();
    if !status.is_success() {
        return Err(invalid(source, format!("{host} answered {status}"), hint));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        value: String,
    }
    serde_json::from_slice::<Answer>(&body)
        .map(|a| a.value)
        .map_err(|_| {
            invalid(
                source,
                format!("{host} answered without a `value`"),
                "expected JSON `{\"value\": \"<jwt>\"}`",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_follows_the_environment() {
        let gh = WebIdentitySource::GitHub {
            audience: "sts.amazonaws.com".into(),
        };
        assert!(!available(
            &gh,
            &Env::from_pairs([("ACTIONS_ID_TOKEN_REQUEST_URL", "http://x")])
        ));
        assert!(available(
            &gh,
            &Env::from_pairs([
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "http://x"),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t")
            ])
        ));
        assert!(available(
            &WebIdentitySource::Env { var: "T".into() },
            &Env::from_pairs([("T", "x")])
        ));
        assert!(!available(
            &WebIdentitySource::Env { var: "T".into() },
            &Env::from_pairs([("T", "")])
        ));
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("sts.amazonaws.com"), "sts.amazonaws.com");
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }
}
