//! Objects read from S3, for `tfroles usage --cloudtrail s3://BUCKET/PREFIX`:
//! `ListObjectsV2` and `GetObject`, sent through the crate's one signed
//! client ([`crate::signed::Client`]). The AWS SDK's S3 client would add
//! minutes of compile time and megabytes of binary for two GET requests.
//!
//! Credentials and region come from the [`Env`] passed in, through
//! aws-config's default chain (keys, profile, SSO, web identity, instance
//! metadata); `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` point elsewhere
//! (moto, MinIO) with path-style addressing. A bucket in another region
//! answers with its region, and the request is signed again for it.

use std::time::Duration as StdDuration;

use aws_credential_types::provider::ProvideCredentials;
use bytes::Bytes;

use crate::signed::{Call, Client, Failure, encode, encode_path, origin};
use crate::{Env, Error};

/// One request's time limit: an object is up to `--max-file-bytes`.
const REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(60);
/// How much of a listing page is read (S3 pages are 1,000 keys, well
/// under 1 MiB).
const PAGE_LIMIT: usize = 8 << 20;

/// `s3://BUCKET/PREFIX`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key prefix (may be empty).
    pub prefix: String,
}

impl std::str::FromStr for S3Url {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::S3 {
            location: s.to_owned(),
            reason: why.to_owned(),
            hint: "write `s3://BUCKET/PREFIX`, like `s3://acme-trail/AWSLogs/111111111111/CloudTrail/`".into(),
        }
        };
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| bad("not an s3:// URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid {
            return Err(bad(
                "the bucket name is not one S3 allows (3-63 of a-z, 0-9, `.` and `-`)",
            ));
        }
        Ok(S3Url {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A reader of one account's S3, from one environment's credentials.
pub struct S3Reader {
    client: Client,
    credentials: aws_credential_types::provider::SharedCredentialsProvider,
    region: String,
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, without a trailing `/`.
    endpoint: Option<String>,
}

impl std::fmt::Debug for S3Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Reader")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl S3Reader {
    /// A reader with the credentials and region aws-config finds in `env`
    /// (region `us-east-1` when it finds none).
    ///
    /// # Errors
    /// [`Error::Runtime`] when the async runtime cannot start,
    /// [`Error::NoBaseCredentials`] when the chain finds no credentials,
    /// [`Error::Runtime`] also when the system's root certificates cannot
    /// be read.
    pub fn new(env: &Env) -> Result<Self, Error> {
        let client = Client::new(env)?.with_timeout(REQUEST_TIMEOUT);
        let conf = client.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .env(crate::sts::sdk_env(env))
                .http_client(crate::sts::tls_http_client())
                .load(),
        );
        let credentials = conf
            .credentials_provider()
            .ok_or_else(|| Error::NoBaseCredentials {
                role_arn: "S3".into(),
                tried: "the default chain".into(),
            })?;
        let region = conf
            .region()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        let endpoint = client.endpoint("s3");
        Ok(S3Reader {
            client,
            credentials,
            region,
            endpoint,
        })
    }

    /// The URL of `bucket` with `path_and_query` (starting with `/`).
    fn url(&self, bucket: &str, region: &str, path_and_query: &str) -> String {
        match &self.endpoint {
            Some(e) => format!("{e}/{bucket}{path_and_query}"),
            // Virtual-hosted style, except where a dot in the name would
            // break the certificate's wildcard.
            None if !bucket.contains('.') => {
                format!("https://{bucket}.s3.{region}.amazonaws.com{path_and_query}")
            }
            None => format!("https://s3.{region}.amazonaws.com/{bucket}{path_and_query}"),
        }
    }

    /// One signed GET; follows a bucket's region once.
    fn get(
        &self,
        bucket: &str,
        path_and_query: &str,
        location: &str,
        limit: usize,
    ) -> Result<Bytes, Error> {
        let fail = |reason: String, hint: &str| Error::S3 {
            location: location.to_owned(),
            reason,
            hint: hint.to_owned(),
        };
        let mut region = self.region.clone();
        for attempt in 0..2 {
            let url = self.url(bucket, &region, path_and_query);
            let creds = self
                .client
                .block_on(self.credentials.provide_credentials())
                .map_err(|e| Error::NoBaseCredentials {
                    role_arn: location.to_owned(),
                    tried: crate::error::printable(&aws_smithy_error_chain(&e)),
                })?;
            let call = Call::new("s3", &region, "GET", url.clone()).limit(limit);
            let answer = self
                .client
                .block_on(self.client.exchange(creds, &call))
                .map_err(|f| match f {
                    Failure::TooLong(_) => fail(
                        f.to_string(),
                        "objects and listing pages are bounded; is this a CloudTrail bucket?",
                    ),
                    Failure::TimedOut(_) => fail(
                        format!("{} did not answer: {f}", origin(&url)),
                        "check the network and the endpoint",
                    ),
                    _ => fail(
                        format!("cannot reach {}: {f}", origin(&url)),
                        "check the network, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and the region",
                    ),
                })?;
            if (200..300).contains(&answer.status) {
                return Ok(answer.body);
            }
            if attempt == 0
                && let Some(r) = answer
                    .header("x-amz-bucket-region")
                    .filter(|r| *r != region)
                && (answer.status == 301 || answer.status == 400)
            {
                region = r.to_owned();
                continue;
            }
            let text = answer.text();
            let code = tag(&text, "Code").unwrap_or_else(|| format!("HTTP {}", answer.status));
            let message = tag(&text, "Message").unwrap_or_default();
            let hint = if code == "AccessDenied" {
                "the credentials in the environment need s3:ListBucket on the bucket and s3:GetObject on its objects"
            } else if code == "NoSuchBucket" {
                "check the bucket's name (the trail's `S3BucketName`)"
            } else {
                "check the bucket, the region (AWS_REGION) and the credentials"
            };
            return Err(fail(
                crate::error::printable(&format!("{code}: {message}")),
                hint,
            ));
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// Calls `each` with every object under `url`'s prefix, a listing page
    /// at a time (in key order, as S3 lists them), so memory holds one page.
    ///
    /// # Errors
    /// [`Error::S3`] for a refused or failed request, or whatever `each`
    /// returns.
    pub fn for_each_object<E: From<Error>>(
        &self,
        url: &S3Url,
        mut each: impl FnMut(&Object) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut token: Option<String> = None;
        let location = format!("s3://{}/{}", url.bucket, url.prefix);
        loop {
            let mut query = format!(
                "/?list-type=2&encoding-type=url&prefix={}",
                encode(&url.prefix)
            );
            if let Some(t) = &token {
                query.push_str(&format!("&continuation-token={}", encode(t)));
            }
            let page = self.get(&url.bucket, &query, &location, PAGE_LIMIT)?;
            let text = String::from_utf8_lossy(&page);
            for contents in blocks(&text, "Contents") {
                let (Some(key), Some(size)) = (tag(contents, "Key"), tag(contents, "Size")) else {
                    continue;
                };
                let object = Object {
                    key: decode(&key),
                    size: size.parse().unwrap_or(u64::MAX),
                };
                each(&object)?;
            }
            token = match tag(&text, "IsTruncated").as_deref() {
                Some("true") => tag(&text, "NextContinuationToken").map(|t| unescape(&t)),
                _ => None,
            };
            if token.is_none() {
                return Ok(());
            }
        }
    }

    /// The object's bytes, refused past `limit`.
    ///
    /// # Errors
    /// [`Error::S3`] for a refused or failed request or a body over `limit`.
    pub fn get_object(&self, bucket: &str, key: &str, limit: usize) -> Result<Bytes, Error> {
        let path = format!("/{}", encode_path(key));
        let location = format!("s3://{bucket}/{key}");
        self.get(bucket, &path, &location, limit)
    }
}

fn aws_smithy_error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(&format!(": {c}"));
        cause = c.source();
    }
    s
}

/// XML's five entities, undone.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A key of an `encoding-type=url` listing: XML-escaped, then
/// form-encoded.
fn decode(s: &str) -> String {
    let s = unescape(s);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        if b[i] == b'+' {
            out.push(b' ');
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The text of the first `<name>...</name>` element.
fn tag(xml: &str, name: &str) -> Option<String> {
    blocks(xml, name).next().map(str::to_owned)
}

/// The texts of every `<name>...</name>` element.
fn blocks<'a>(xml: &'a str, name: &str) -> impl Iterator<Item = &'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let len = rest[start..].find(&close)?;
        let found = &rest[start..start + len];
        rest = &rest[start + len + close.len()..];
        Some(found)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u: S3Url = "s3://acme-trail/AWSLogs/1/".parse().unwrap();
        assert_eq!(u.bucket, "acme-trail");
        assert_eq!(u.prefix, "AWSLogs/1/");
        let u: S3Url = "s3://acme-trail".parse().unwrap();
        assert_eq!(u.prefix, "");
        assert!("s3://A_B/x".parse::<S3Url>().is_err());
        assert!("https://x".parse::<S3Url>().is_err());
    }

    #[test]
    fn xml_and_encodings() {
        let xml = "<R><IsTruncated>true</IsTruncated><Contents><Key>a%2Fb%20c.json.gz</Key><Size>12</Size></Contents><Contents><Key>d</Key><Size>3</Size></Contents><NextContinuationToken>t&amp;1</NextContinuationToken></R>";
        let keys: Vec<&str> = blocks(xml, "Contents").collect();
        assert_eq!(keys.len(), 2);
        assert_eq!(decode(&tag(keys[0], "Key").unwrap()), "a/b c.json.gz");
        assert_eq!(unescape(&tag(xml, "NextContinuationToken").unwrap()), "t&1");
        assert_eq!(decode("a+b%2Bc"), "a b+c");
        assert_eq!(decode("100%"), "100%");
    }
}
