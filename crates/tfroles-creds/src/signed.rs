//! Single SigV4-signed HTTP calls to S3, IAM and DynamoDB, for `tfroles
//! doctor`'s few read-only checks and its lock probe.
//!
//! Why not aws-sdk-s3, -iam and -dynamodb: three more SDK crates would
//! roughly double what the binary compiles (the pre-commit hook builds it
//! from source) and its size, for about ten GET/HEAD/PUT/DELETE calls whose
//! answers are a status, a header or one XML element. The signer
//! (`aws-sigv4`) and the HTTP client (hyper, rustls) are the ones the STS
//! SDK already builds.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};

use crate::{Credentials, Error};

/// The largest answer read: S3's and IAM's are a few KiB.
pub const ANSWER_LIMIT: usize = 1024 * 1024;
/// How long one call may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// One request.
#[derive(Debug, Clone)]
pub struct Call {
    /// The signing name: `s3`, `iam`, `dynamodb`.
    pub service: String,
    /// The signing region (`us-east-1` for IAM).
    pub region: String,
    /// `GET`, `HEAD`, `PUT`, `DELETE`, `POST`.
    pub method: String,
    /// The full URL, already percent-encoded.
    pub url: String,
    /// Extra headers, signed too.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body, at most [`ANSWER_LIMIT`] bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn failed(call: &Call, detail: String) -> Error {
    Error::Endpoint {
        endpoint: origin(&call.url),
        detail,
    }
}

/// `https://host:port` of a URL: what a message may name (never a path
/// with a key in it).
fn origin(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find('/').unwrap_or(rest.len());
            format!("{}{}", &url[..i + 3], &rest[..end])
        }
        None => url.to_owned(),
    }
}

/// Signs `call` with `creds` and sends it, on a runtime of its own.
///
/// # Errors
/// [`Error::Endpoint`] when the endpoint cannot be reached or does not
/// answer within [`TIMEOUT`]; [`Error::Runtime`] when no runtime starts.
pub fn send(creds: &Credentials, call: &Call) -> Result<Answer, Error> {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
    };
    use aws_sigv4::sign::v4;

    let identity = aws_credential_types::Credentials::new(
        &creds.access_key_id,
        creds.secret_access_key.expose(),
        // Long-lived keys have no token; an empty one would be sent.
        Some(creds.session_token.expose().to_owned()).filter(|t| !t.is_empty()),
        None,
        "tfroles",
    )
    .into();
    let mut settings = SigningSettings::default();
    if call.service == "s3" {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&call.region)
        .name(&call.service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| failed(call, format!("cannot sign the request: {e}")))?
        .into();
    let signable = SignableRequest::new(
        &call.method,
        call.url.as_str(),
        call.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&call.body),
    )
    .map_err(|e| failed(call, format!("cannot sign the request: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| failed(call, format!("cannot sign the request: {e}")))?
        .into_parts();
    let mut builder = http::Request::builder()
        .method(call.method.as_str())
        .uri(&call.url);
    for (k, v) in &call.headers {
        builder = builder.header(k, v);
    }
    let mut request = builder
        .body(Full::new(Bytes::from(call.body.clone())))
        .map_err(|e| failed(call, format!("invalid request: {e}")))?;
    instructions.apply_to_request_http1x(&mut request);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(e.to_string()))?;
    let answer = runtime.block_on(async {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| {
                failed(
                    call,
                    format!("cannot load the system's root certificates: {e}"),
                )
            })?
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build::<_, Full<Bytes>>(connector);
        let exchange = async {
            let resp = client
                .request(request)
                .await
                .map_err(|e| failed(call, crate::sts::sdk_text(&e)))?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = Limited::new(resp.into_body(), ANSWER_LIMIT)
                .collect()
                .await
                .map_err(|e| failed(call, format!("reading the answer: {e}")))?
                .to_bytes()
                .to_vec();
            Ok::<_, Error>(Answer {
                status,
                headers,
                body,
            })
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(failed(
                    call,
                    format!("no answer within {} s", TIMEOUT.as_secs()),
                ))
            })
    });
    runtime.shutdown_background();
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_origin_only() {
        assert_eq!(
            origin("https://s3.eu-west-1.amazonaws.com/bucket/secret/key"),
            "https://s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(origin("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
    }
}
