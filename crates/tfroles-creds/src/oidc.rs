//! CI identity tokens for AssumeRoleWithWebIdentity.

use std::time::Duration as StdDuration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};

use crate::Error;
use crate::credentials::Secret;
use crate::env::Env;
use crate::request::WebIdentitySource;

/// For the whole exchange, answer body included: a server that sends its
/// headers and then a byte a second must not hold the caller.
const GITHUB_TIMEOUT: StdDuration = StdDuration::from_secs(30);

/// The most read from a token source. STS takes tokens of at most 20,000
/// characters; GitHub's JSON around one is a few dozen bytes more.
pub const TOKEN_LIMIT: usize = 64 * 1024;

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
        // Not followed: the token is read only from a regular file itself.
        WebIdentitySource::File { path } => {
            std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
        }
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
pub(crate) async fn token(
    source: &WebIdentitySource,
    env: &Env,
    fetch: &crate::sts::Fetch,
) -> Result<Secret, Error> {
    let raw = match source {
        WebIdentitySource::GitHub { audience } => github(source, audience, env, fetch).await?,
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
        WebIdentitySource::File { path } => read_token_file(path).map_err(|e| {
            invalid(source, format!("cannot read {}: {e}", path.display()), "name the regular file the CI system writes the token to (not a link to it, a FIFO or a device)")
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

/// A token file: at most [`TOKEN_LIMIT`] bytes of UTF-8 in a regular file.
/// A link is followed to it: the path is the user's choice, and Kubernetes
/// projects (and rotates) service account tokens through links
/// (`token -> ..data/token`). What it reaches must still be a regular file,
/// so a FIFO or a device behind a link is refused like one named directly.
pub(crate) fn read_token_file(path: &std::path::Path) -> std::io::Result<String> {
    let bytes = tfroles_fs::read_regular(path, tfroles_fs::Links::Follow, TOKEN_LIMIT as u64)?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// `localhost`, 127.0.0.0/8 or `[::1]`: plain http there never leaves the machine.
fn loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// GitHub Actions: GET `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with
/// `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the answer is
/// `{"value": "<jwt>"}`.
async fn github(
    source: &WebIdentitySource,
    audience: &str,
    env: &Env,
    fetch: &crate::sts::Fetch,
) -> Result<String, Error> {
    let (req, host) = github_request(source, audience, env)?;
    let (status, body) = github_exchange(source, req, &host, fetch).await?;
    if !status.is_success() {
        return Err(invalid(
            source,
            format!("{host} answered {status}"),
            GITHUB_HINT,
        ));
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

/// What GitHub's token errors suggest first.
const GITHUB_HINT: &str =
    "the job needs `permissions: id-token: write` for GitHub to offer a token";

/// The token request the job's environment describes, and the origin it
/// goes to (for messages): https only, or http to this machine.
fn github_request(
    source: &WebIdentitySource,
    audience: &str,
    env: &Env,
) -> Result<(http::Request<Empty<Bytes>>, String), Error> {
    let url = env
        .non_empty("ACTIONS_ID_TOKEN_REQUEST_URL")
        .ok_or_else(|| {
            invalid(
                source,
                "ACTIONS_ID_TOKEN_REQUEST_URL is not set",
                GITHUB_HINT,
            )
        })?;
    let bearer = env
        .non_empty("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        .ok_or_else(|| {
            invalid(
                source,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set",
                GITHUB_HINT,
            )
        })?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let full = format!("{url}{sep}audience={}", crate::signed::encode(audience));
    // The parse error never quotes the URL, which may hold a password.
    let uri: http::Uri = full.parse().map_err(|e| {
        invalid(
            source,
            format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}"),
            GITHUB_HINT,
        )
    })?;
    let host = crate::signed::uri_origin(&uri);
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if uri.host().is_some_and(loopback) => {}
        _ => {
            return Err(invalid(
                source,
                format!(
                    "ACTIONS_ID_TOKEN_REQUEST_URL ({host}) is not https: the request token would cross the network in clear"
                ),
                "GitHub's URL is https; plain http is accepted only for a server on this machine (localhost, 127.0.0.1, [::1])",
            ));
        }
    }
    let req = http::Request::get(uri)
        .header("Authorization", format!("bearer {bearer}"))
        .header("Accept", "application/json; api-version=2.0")
        .body(Empty::new())
        .expect("a GET with two headers is a valid request");
    Ok((req, host))
}

/// Sends the token request: the status and at most [`TOKEN_LIMIT`] bytes
/// of the answer, within [`GITHUB_TIMEOUT`] and the call's budget.
async fn github_exchange(
    source: &WebIdentitySource,
    req: http::Request<Empty<Bytes>>,
    host: &str,
    fetch: &crate::sts::Fetch,
) -> Result<(http::StatusCode, Bytes), Error> {
    let connector = crate::signed::https_connector()
        .map_err(|e| invalid(source, e, "install ca-certificates"))?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Empty<Bytes>>(connector);
    fetch.wait_for(format!("the CI token from {host}"));
    let exchange = async {
        let resp = client
            .request(req)
            .await
            .map_err(|e| invalid(source, format!("cannot reach {host}: {e}"), GITHUB_HINT))?;
        let status = resp.status();
        let body = Limited::new(resp.into_body(), TOKEN_LIMIT)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    invalid(
                        source,
                        format!("{host} answered with more than {TOKEN_LIMIT} bytes"),
                        "expected JSON `{\"value\": \"<jwt>\"}`; is ACTIONS_ID_TOKEN_REQUEST_URL GitHub's?",
                    )
                } else {
                    invalid(source, format!("reading the answer from {host}: {e}"), GITHUB_HINT)
                }
            })?
            .to_bytes();
        Ok::<_, Error>((status, body))
    };
    let limit = fetch.deadline.map_or(GITHUB_TIMEOUT, |d| {
        d.saturating_duration_since(std::time::Instant::now())
            .saturating_sub(StdDuration::from_millis(200))
            .min(GITHUB_TIMEOUT)
    });
    tokio::time::timeout(limit, exchange).await.map_err(|_| {
        invalid(
            source,
            format!(
                "no complete answer from {host} within {:.1} s",
                limit.as_secs_f64()
            ),
            GITHUB_HINT,
        )
    })?
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
    fn messages_show_only_the_origin_and_http_only_to_loopback() {
        let u: http::Uri = "https://user:pa55word@token.example:8443/p?secret=1"
            .parse()
            .unwrap();
        assert_eq!(crate::signed::uri_origin(&u), "https://token.example:8443");
        for h in ["localhost", "127.0.0.1", "127.9.9.9", "[::1]"] {
            assert!(loopback(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "localhost.example.com", "[::2]"] {
            assert!(!loopback(h), "{h}");
        }
    }
}
