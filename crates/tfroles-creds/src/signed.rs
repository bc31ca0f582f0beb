//! SigV4-signed HTTP calls to S3, IAM and DynamoDB: the one client behind
//! `tfroles doctor`'s read-only checks and lock probe and `tfroles usage`'s
//! `s3://` reads ([`crate::s3`]).
//!
//! Why not aws-sdk-s3, -iam and -dynamodb: three more SDK crates would
//! roughly double what the binary compiles (the pre-commit hook builds it
//! from source) and its size, for a dozen GET/HEAD/PUT/DELETE/POST calls
//! whose answers are a status, a header, one XML element or a listing.
//! The signer (`aws-sigv4`) and the HTTP client (hyper, rustls on ring)
//! are the ones the STS SDK already builds.
//!
//! Every call is bounded: the answer's body is read up to the call's
//! [`Call::limit`], and the whole exchange (connection, headers, body)
//! up to the client's timeout. Endpoints come from the [`Env`] the client
//! is made with (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`), as
//! the AWS SDKs read them, so moto or MinIO stand in for AWS in the same way
//! for every call.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};

use crate::{Credentials, Env, Error};

/// The largest answer [`Call::new`] reads: S3's, IAM's and DynamoDB's
/// answers to the checks are a few KiB.
pub const ANSWER_LIMIT: usize = 1024 * 1024;
/// How long one call may take by default, connection and body included.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// One request, before it is signed.
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
    /// The most of the answer's body read; a longer one is an error.
    pub limit: usize,
}

/// The variable naming `service`'s endpoint (`AWS_ENDPOINT_URL_S3` for
/// `s3`), as the AWS SDKs spell it.
pub(crate) fn endpoint_variable(service: &str) -> String {
    format!(
        "AWS_ENDPOINT_URL_{}",
        service.to_ascii_uppercase().replace([' ', '-'], "_")
    )
}

impl Call {
    /// A call without headers or body, reading at most [`ANSWER_LIMIT`].
    pub fn new(service: &str, region: &str, method: &str, url: String) -> Call {
        Call {
            service: service.to_owned(),
            region: region.to_owned(),
            method: method.to_owned(),
            url,
            headers: Vec::new(),
            body: Vec::new(),
            limit: ANSWER_LIMIT,
        }
    }

    /// Adds a header (signed with the rest).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Call {
        self.body = body.into();
        self
    }

    /// Sets the most of the answer read.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Call {
        self.limit = limit;
        self
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body, at most the call's [`Call::limit`] bytes.
    pub body: Bytes,
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

/// Why a call got no answer, before it is worded for a caller (`doctor`
/// names the endpoint; the S3 reader names the object and adds a hint).
#[derive(Debug)]
pub(crate) enum Failure {
    /// The request could not be signed or built.
    Request(String),
    /// The endpoint could not be reached.
    Unreachable(String),
    /// No whole answer within the timeout.
    TimedOut(Duration),
    /// The body was longer than the call's limit.
    TooLong(usize),
    /// The body broke off.
    Body(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Request(e) => write!(f, "cannot sign the request: {e}"),
            Failure::Unreachable(e) | Failure::Body(e) => f.write_str(e),
            Failure::TimedOut(d) => write!(f, "no answer within {}", crate::seconds(*d)),
            Failure::TooLong(n) => write!(f, "the answer is longer than the {n} bytes read"),
        }
    }
}

type Https = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// An HTTPS connector on rustls with ring and the platform's roots (plain
/// http too, for moto and MinIO on loopback).
pub(crate) fn https_connector()
-> Result<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, String>
{
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| format!("cannot load the system's root certificates: {e}"))?
        .https_or_http()
        .enable_http1()
        .build())
}

/// The client: a current-thread runtime, one connection pool, the
/// environment's endpoints and a timeout per call.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    http: Https,
    env: Env,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client reading endpoints from `env`, with the default [`TIMEOUT`].
    ///
    /// # Errors
    /// [`Error::Runtime`] when the async runtime cannot start or the
    /// system's root certificates cannot be read.
    pub fn new(env: &Env) -> Result<Client, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(e.to_string()))?;
        let connector = https_connector().map_err(Error::Runtime)?;
        let http =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        Ok(Client {
            runtime,
            http,
            env: env.clone(),
            timeout: TIMEOUT,
        })
    }

    /// The same client with another time limit per call.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// The endpoint the environment names for `service` (`s3`, `iam`,
    /// `dynamodb`): `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`,
    /// without a trailing `/`; `None` for AWS's own.
    pub fn endpoint(&self, service: &str) -> Option<String> {
        self.env
            .non_empty(&endpoint_variable(service))
            .or_else(|| self.env.non_empty("AWS_ENDPOINT_URL"))
            .map(|e| e.trim_end_matches('/').to_owned())
    }

    /// Signs `call` with `creds` and sends it.
    ///
    /// # Errors
    /// [`Error::Endpoint`] naming the endpoint's origin (never a path,
    /// which may hold a key) when it cannot be reached, does not answer
    /// within the timeout, or answers with more than the call's limit.
    pub fn send(&self, creds: &Credentials, call: &Call) -> Result<Answer, Error> {
        let identity = aws_credential_types::Credentials::new(
            &creds.access_key_id,
            creds.secret_access_key.expose(),
            // Long-lived keys have no token; an empty one would be sent.
            Some(creds.session_token.expose().to_owned()).filter(|t| !t.is_empty()),
            None,
            "tfroles",
        );
        self.runtime
            .block_on(self.exchange(identity, call))
            .map_err(|f| Error::Endpoint {
                service: call.service.clone(),
                endpoint: origin(&call.url),
                detail: f.to_string(),
            })
    }

    /// Runs `f` on the client's runtime (the S3 reader's credential chain).
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Signs and sends `call`, within the timeout.
    pub(crate) async fn exchange(
        &self,
        creds: aws_credential_types::Credentials,
        call: &Call,
    ) -> Result<Answer, Failure> {
        let request = sign(creds, call)?;
        let exchange = async {
            let resp = self
                .http
                .request(request)
                .await
                .map_err(|e| Failure::Unreachable(crate::sts::sdk_text(&e)))?;
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
            let body = Limited::new(resp.into_body(), call.limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        Failure::TooLong(call.limit)
                    } else {
                        Failure::Body(format!("reading the answer: {e}"))
                    }
                })?
                .to_bytes();
            Ok(Answer {
                status,
                headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(Failure::TimedOut(self.timeout)))
    }
}

/// The signed request. S3 is signed as S3 wants it (the payload's hash in
/// `x-amz-content-sha256`, the path encoded once and not normalised, so
/// a key with `%`, spaces or `//` signs as sent); the other services as
/// SigV4's defaults.
fn sign(
    creds: aws_credential_types::Credentials,
    call: &Call,
) -> Result<http::Request<Full<Bytes>>, Failure> {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    let bad = |e: &dyn std::fmt::Display| Failure::Request(e.to_string());
    let identity = creds.into();
    let mut settings = SigningSettings::default();
    if call.service == "s3" {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&call.region)
        .name(&call.service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| bad(&e))?
        .into();
    // The host is signed as it is sent, port included.
    let host = http::Uri::try_from(call.url.as_str())
        .map_err(|e| bad(&e))?
        .authority()
        .map(ToString::to_string)
        .ok_or_else(|| bad(&"the URL names no host"))?;
    let mut headers: Vec<(&str, &str)> = vec![("host", host.as_str())];
    headers.extend(
        call.headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let signable = SignableRequest::new(
        &call.method,
        call.url.as_str(),
        headers.iter().copied(),
        SignableBody::Bytes(&call.body),
    )
    .map_err(|e| bad(&e))?;
    let (instructions, _) = sign(signable, &params).map_err(|e| bad(&e))?.into_parts();
    let mut builder = http::Request::builder()
        .method(call.method.as_str())
        .uri(&call.url);
    for (k, v) in &headers {
        builder = builder.header(*k, *v);
    }
    let mut request = builder
        .body(Full::new(Bytes::from(call.body.clone())))
        .map_err(|e| bad(&e))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request)
}

/// `https://host:port` of a URL: what a message may name. The rest can
/// hold secrets: a key in the path, a token in the query, a
/// `user:password@` in an endpoint variable.
pub(crate) fn origin(url: &str) -> String {
    http::Uri::try_from(url).map_or_else(|_| "the endpoint".into(), |u| uri_origin(&u))
}

/// [`origin`] of a parsed URI.
pub(crate) fn uri_origin(uri: &http::Uri) -> String {
    let host = uri.host().unwrap_or("?");
    match (uri.scheme_str(), uri.port_u16()) {
        (Some(s), Some(p)) => format!("{s}://{host}:{p}"),
        (Some(s), None) => format!("{s}://{host}"),
        (None, _) => host.to_owned(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters: a
/// query value or a form field, as SigV4 wants them.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// As [`encode`], keeping `/`: an S3 key as a URL path.
pub fn encode_path(key: &str) -> String {
    key.split('/').map(encode).collect::<Vec<_>>().join("/")
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
        assert_eq!(origin("not a url"), "the endpoint");
        assert_eq!(
            origin("https://user:hunter2@minio.internal:9000/b/k?X-Amz-Security-Token=t"),
            "https://minio.internal:9000"
        );
    }

    #[test]
    fn endpoints_come_from_the_environment_service_first() {
        let client =
            |pairs: &[(&str, &str)]| Client::new(&Env::from_pairs(pairs.iter().copied())).unwrap();
        let c = client(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1/"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2"),
        ]);
        assert_eq!(c.endpoint("s3").as_deref(), Some("http://127.0.0.1:2"));
        assert_eq!(
            c.endpoint("dynamodb").as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(client(&[]).endpoint("iam"), None);
    }

    #[test]
    fn encodings() {
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
        assert_eq!(encode("sts.amazonaws.com"), "sts.amazonaws.com");
        assert_eq!(encode("a b&c"), "a%20b%26c");
        assert_eq!(encode_path("AWSLogs/1/x y.json"), "AWSLogs/1/x%20y.json");
    }

    /// A server that sends `answer` to every connection, for the bounds.
    fn serve(answer: &'static [u8], pause: Duration) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { return };
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(answer);
                    std::thread::sleep(pause);
                });
            }
        });
        format!("http://{addr}")
    }

    fn creds() -> Credentials {
        serde_json::from_str(
            r#"{"Version":1,"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"s","SessionToken":"t","Expiration":"2030-01-01T00:00:00Z"}"#,
        )
        .unwrap()
    }

    #[test]
    fn answers_are_read_up_to_the_limit_and_no_longer_than_the_timeout() {
        let env = Env::from_pairs([]);
        let ok = serve(
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: b\r\n\r\nhello",
            Duration::ZERO,
        );
        let client = Client::new(&env).unwrap();
        let a = client
            .send(
                &creds(),
                &Call::new("s3", "us-east-1", "GET", format!("{ok}/b/k")),
            )
            .unwrap();
        assert_eq!(
            (a.status, a.text().as_str(), a.header("X-A")),
            (200, "hello", Some("b"))
        );

        let e = client
            .send(
                &creds(),
                &Call::new("s3", "us-east-1", "GET", format!("{ok}/b/secret-key")).limit(4),
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the answer is longer than the 4 bytes read"),
            "{e}"
        );
        assert!(!e.contains("secret-key"), "{e}");

        // Headers, then nothing: the timeout covers the body too.
        let slow = serve(
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhe",
            Duration::from_secs(5),
        );
        let client = Client::new(&env)
            .unwrap()
            .with_timeout(Duration::from_millis(300));
        let e = client
            .send(
                &creds(),
                &Call::new("iam", "us-east-1", "POST", format!("{slow}/")),
            )
            .unwrap_err()
            .to_string();
        // Not the body breaking off when the server gives up after 5 s.
        assert!(e.contains("no answer within 0.3 s"), "{e}");
    }
}
