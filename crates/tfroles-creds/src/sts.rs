//! Executing a [`SessionRequest`] against STS: the only async code in the
//! workspace.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::Tag;
use jiff::Timestamp;

use crate::Error;
use crate::credentials::{Credentials, Secret};
use crate::env::Env;
use crate::request::{BaseIdentity, SessionRequest};

/// AWS caps sessions assumed with another role's session at one hour.
const CHAINED_MAX_SECS: u32 = 3600;

/// What the executor needs besides the request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fetch {
    pub region: Option<String>,
    pub mfa_token: Option<Secret>,
    /// What the call is waiting for now, for the message when the budget
    /// runs out (the future is dropped then, so it cannot say itself).
    pub stage: Arc<Mutex<String>>,
    /// When the whole call must be over: steps with a message of their own
    /// (the CI token's) end a little before it, so theirs is the one shown.
    pub deadline: Option<std::time::Instant>,
}

impl Fetch {
    pub fn wait_for(&self, what: impl Into<String>) {
        *self.stage.lock().unwrap_or_else(|p| p.into_inner()) = what.into();
    }

    pub fn waiting_for(&self) -> String {
        let s = self.stage.lock().unwrap_or_else(|p| p.into_inner());
        if s.is_empty() {
            "the AWS configuration to load".into()
        } else {
            s.clone()
        }
    }
}

/// The STS endpoint as the SDK will pick it, for messages, without loading
/// the SDK's configuration (a profile's region is not seen).
pub(crate) fn describe_endpoint(env: &Env, region: Option<&str>) -> String {
    env.non_empty("AWS_ENDPOINT_URL_STS")
        .or_else(|| env.non_empty("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| {
            let region = env
                .non_empty("AWS_REGION")
                .or_else(|| env.non_empty("AWS_DEFAULT_REGION"))
                .or_else(|| region.map(str::to_owned))
                .unwrap_or_else(|| "us-east-1".into());
            format!("https://sts.{region}.amazonaws.com")
        })
}

fn endpoint(env: &Env, conf: &SdkConfig) -> String {
    env.non_empty("AWS_ENDPOINT_URL_STS")
        .or_else(|| env.non_empty("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| {
            let region = conf.region().map_or("us-east-1", |r| r.as_ref());
            format!("https://sts.{region}.amazonaws.com")
        })
}

/// The SDK's configuration, read from `env` and never from the process's
/// environment: the endpoint, region, profile and keys the STS call uses are
/// the ones the cache key was made from, and two callers with two
/// environments in one process each get their own.
async fn sdk_config(base: &BaseIdentity, env: &Env, fetch: &Fetch) -> SdkConfig {
    // Standard retry mode: exponential backoff with jitter on throttling
    // and 5xx, which is what a burst of parallel terraform runs meets. The
    // backoff is capped and the whole call bounded so that an unreachable
    // or hanging endpoint is reported before terraform (the Go SDK) gives
    // up on a credential_process after one minute: uncapped, six attempts
    // could take 6 x 20 s plus up to 31 s of backoff.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .env(sdk_env(env))
        .http_client(http_client(base, env))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(6)
                .with_max_backoff(StdDuration::from_secs(2)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(StdDuration::from_secs(5))
                .operation_attempt_timeout(StdDuration::from_secs(20))
                .operation_timeout(StdDuration::from_secs(50))
                .build(),
        );
    if let BaseIdentity::DefaultChain { profile: Some(p) } = base {
        loader = loader.profile_name(p);
    }
    // With a region from tfroles.hcl to fall back on, the environment and
    // the profile still come first, but instance metadata is not asked:
    // off EC2 that costs a timeout and three warnings on every cold call.
    if let Some(fallback) = &fetch.region {
        let region = match env
            .non_empty("AWS_REGION")
            .or_else(|| env.non_empty("AWS_DEFAULT_REGION"))
        {
            Some(r) => Region::new(r),
            None => profile_region(base, env)
                .await
                .unwrap_or_else(|| Region::new(fallback.clone())),
        };
        loader = loader.region(region);
    }
    let conf = loader.load().await;
    if conf.region().is_some() {
        return conf;
    }
    // STS needs a region to sign for; the config's region, else the
    // global endpoint's.
    let region = fetch.region.clone().unwrap_or_else(|| "us-east-1".into());
    conf.into_builder().region(Region::new(region)).build()
}

/// The SDK's HTTP client: rustls on ring (the SDK's default client is
/// rustls on aws-lc-rs, whose C build takes minutes on a first install).
///
/// When the only call the SDK will make is to an `http://` STS endpoint
/// (a local STS such as moto: keys in the environment, or a web identity,
/// so no SSO or container endpoint is asked), the client speaks plain HTTP
/// and never loads the platform's root certificates, about half of a cold
/// call's CPU. An https endpoint, or a chain that may reach one, gets TLS.
fn http_client(base: &BaseIdentity, env: &Env) -> aws_sdk_sts::config::SharedHttpClient {
    let plain_sts = env
        .non_empty("AWS_ENDPOINT_URL_STS")
        .or_else(|| env.non_empty("AWS_ENDPOINT_URL"))
        .is_some_and(|u| u.starts_with("http://"));
    let only_sts = match base {
        BaseIdentity::WebIdentity(_) => true,
        BaseIdentity::DefaultChain { profile } => {
            profile.is_none()
                && env.non_empty("AWS_ACCESS_KEY_ID").is_some()
                && env.non_empty("AWS_SECRET_ACCESS_KEY").is_some()
        }
    };
    if plain_sts && only_sts {
        aws_smithy_http_client::Builder::new().build_http()
    } else {
        tls_http_client()
    }
}

/// The SDK's HTTPS client (rustls on ring, the platform's roots), for any
/// aws-config loader: without one, the credential chain's SSO, container
/// and instance-metadata providers could not call out.
pub(crate) fn tls_http_client() -> aws_sdk_sts::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// `env` in the SDK's own type.
pub(crate) fn sdk_env(env: &Env) -> aws_types::os_shim_internal::Env {
    aws_types::os_shim_internal::Env::from(
        env.vars()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect::<std::collections::HashMap<_, _>>(),
    )
}

/// The profile's `region`, with the profile and config file named by `env`
/// (the SDK's profile region provider would read the process's).
async fn profile_region(base: &BaseIdentity, env: &Env) -> Option<Region> {
    use aws_config::meta::region::ProvideRegion;
    use aws_runtime::env_config::file::{
        EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
    };
    let file = |var: &str, default: &str| {
        env.non_empty(var)
            .map(std::path::PathBuf::from)
            .or_else(|| {
                env.non_empty("HOME")
                    .map(|h| std::path::Path::new(&h).join(".aws").join(default))
            })
    };
    let (config, credentials) = (
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    );
    if config.is_none() && credentials.is_none() {
        return None;
    }
    let mut files = ProfileFiles::builder();
    if let Some(f) = config {
        files = files.with_file(ProfileFileKind::Config, f);
    }
    if let Some(f) = credentials {
        files = files.with_file(ProfileFileKind::Credentials, f);
    }
    let name = match base {
        BaseIdentity::DefaultChain { profile: Some(p) } => p.clone(),
        _ => env
            .non_empty("AWS_PROFILE")
            .unwrap_or_else(|| "default".into()),
    };
    aws_config::profile::ProfileFileRegionProvider::builder()
        .profile_files(files.build())
        .profile_name(name)
        .build()
        .region()
        .await
}

fn client(conf: &SdkConfig, creds: Option<&Credentials>) -> aws_sdk_sts::Client {
    let mut b = aws_sdk_sts::config::Builder::from(conf);
    if let Some(c) = creds {
        b = b.credentials_provider(aws_credential_types::Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.expose().to_owned(),
            Some(c.session_token.expose().to_owned()),
            Some(
                std::time::UNIX_EPOCH
                    + StdDuration::from_secs(c.expiration.as_second().max(0) as u64),
            ),
            "tfroles-chain",
        ));
    }
    aws_sdk_sts::Client::from_conf(b.build())
}

/// The base identity of the default chain as STS sees it
/// (GetCallerIdentity): its ARN and account, and its credentials (for
/// `tfroles doctor`'s own signed calls). Long-lived keys get an expiry an
/// hour ahead, which only the signer reads.
pub(crate) async fn caller(
    base: &BaseIdentity,
    env: &Env,
    fetch: &Fetch,
) -> Result<(Credentials, String, String), Error> {
    let conf = sdk_config(base, env, fetch).await;
    let from = match base {
        BaseIdentity::DefaultChain { profile: Some(p) } => format!("profile `{p}`"),
        _ => "the default credential chain".to_owned(),
    };
    let no_creds = |tried: String| Error::NoBaseCredentials {
        role_arn: "any role".into(),
        tried,
    };
    let provider = conf
        .credentials_provider()
        .ok_or_else(|| no_creds(from.clone()))?;
    let c = provider
        .provide_credentials()
        .await
        .map_err(|e| no_creds(tried_in_words(&from, &sdk_text(&e))))?;
    let expiration = c
        .expiry()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| Timestamp::from_second(d.as_secs() as i64).ok())
        .unwrap_or_else(|| Timestamp::now() + jiff::SignedDuration::from_hours(1));
    let creds = Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Secret::new(c.session_token().unwrap_or_default()),
        expiration,
    };
    let out = client(&conf, Some(&creds))
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| match &e {
            SdkError::ServiceError(se) => Error::Sts {
                operation: "GetCallerIdentity".into(),
                role_arn: from.clone(),
                code: crate::error::printable(se.err().code().unwrap_or("Unknown")),
                message: crate::error::printable(se.err().message().unwrap_or_default()),
            },
            _ => Error::Endpoint {
                service: "sts".into(),
                endpoint: endpoint(env, &conf),
                detail: crate::error::printable(&sdk_text(&e)),
            },
        })?;
    Ok((
        creds,
        out.arn().unwrap_or_default().to_owned(),
        out.account().unwrap_or_default().to_owned(),
    ))
}

/// Assumes `req` (and first its `via` chain), starting from `base`.
pub(crate) async fn fetch(
    req: &SessionRequest,
    base: &BaseIdentity,
    env: &Env,
    fetch: &Fetch,
) -> Result<Credentials, Error> {
    let conf = sdk_config(base, env, fetch).await;
    hop(req, base, env, fetch, &conf).await
}

async fn hop(
    req: &SessionRequest,
    base: &BaseIdentity,
    env: &Env,
    fetch: &Fetch,
    conf: &SdkConfig,
) -> Result<Credentials, Error> {
    if let Some(via) = &req.via {
        return chained(req, via, base, env, fetch, conf).await;
    }
    match base {
        BaseIdentity::WebIdentity(source) => with_web_identity(req, source, env, fetch, conf).await,
        BaseIdentity::DefaultChain { profile } => {
            from_default_chain(req, profile.as_deref(), env, fetch, conf).await
        }
    }
}

/// `req` assumed with the session of its `via` role, itself a hop.
async fn chained(
    req: &SessionRequest,
    via: &SessionRequest,
    base: &BaseIdentity,
    env: &Env,
    fetch: &Fetch,
    conf: &SdkConfig,
) -> Result<Credentials, Error> {
    if req.duration.as_secs() > CHAINED_MAX_SECS {
        return Err(Error::ChainedDuration {
            role_arn: req.role_arn.to_string(),
            via: via.role_arn.to_string(),
            duration: req.duration.to_string(),
        });
    }
    let first = Box::pin(hop(via, base, env, fetch, conf)).await?;
    tracing::debug!(role_arn = %req.role_arn, via = %via.role_arn, access_key_id = %first.access_key_id, "chaining");
    assume_role(
        req,
        &client(conf, Some(&first)),
        env,
        conf,
        fetch,
        "the session of the `via` role",
    )
    .await
}

/// `req` assumed with AssumeRoleWithWebIdentity and the CI job's token.
async fn with_web_identity(
    req: &SessionRequest,
    source: &crate::request::WebIdentitySource,
    env: &Env,
    fetch: &Fetch,
    conf: &SdkConfig,
) -> Result<Credentials, Error> {
    fetch.wait_for(format!("the CI token from {}", source.describe()));
    let token = crate::oidc::token(source, env, fetch).await?;
    if req.external_id.is_some() || !req.tags.is_empty() || req.source_identity.is_some() {
        tracing::warn!(
            role_arn = %req.role_arn,
            "AssumeRoleWithWebIdentity takes no external id, session tags or source identity; they are not sent (assume this role `via` a CI role to keep them)"
        );
    }
    let c = client(conf, None);
    let mut call = c
        .assume_role_with_web_identity()
        .role_arn(req.role_arn.as_str())
        .role_session_name(req.session_name.as_str())
        .web_identity_token(token.expose())
        .duration_seconds(req.duration.as_secs() as i32);
    if let Some(p) = &req.policy {
        call = call.policy(p);
    }
    fetch.wait_for(format!(
        "{} to answer AssumeRoleWithWebIdentity for `{}`",
        endpoint(env, conf),
        req.role_arn
    ));
    let out = call.send().await.map_err(|e| {
        map_error(
            e,
            "AssumeRoleWithWebIdentity",
            req,
            &endpoint(env, conf),
            &format!("the web identity token from {}", source.describe()),
        )
    })?;
    convert(out.credentials(), req)
}

/// `req` assumed with the base credentials of the default chain (or a
/// profile), resolved first so that a missing or expired base identity
/// gets its own message, naming where it came from.
async fn from_default_chain(
    req: &SessionRequest,
    profile: Option<&str>,
    env: &Env,
    fetch: &Fetch,
    conf: &SdkConfig,
) -> Result<Credentials, Error> {
    let from = match profile {
        Some(p) => format!("profile `{p}`"),
        None => "the default credential chain".to_owned(),
    };
    let provider = conf
        .credentials_provider()
        .ok_or_else(|| Error::NoBaseCredentials {
            role_arn: req.role_arn.to_string(),
            tried: from.clone(),
        })?;
    fetch.wait_for(format!("the base credentials from {from}"));
    let base_creds =
        provider
            .provide_credentials()
            .await
            .map_err(|e| Error::NoBaseCredentials {
                role_arn: req.role_arn.to_string(),
                tried: tried_in_words(&from, &sdk_text(&e)),
            })?;
    if let Some(exp) = base_creds.expiry()
        && exp <= std::time::SystemTime::now()
    {
        return Err(Error::ExpiredBaseCredentials {
            source_name: from,
            access_key_id: base_creds.access_key_id().to_owned(),
        });
    }
    tracing::debug!(access_key_id = base_creds.access_key_id(), from = %from, "base credentials");
    // The client gets the credentials just resolved: through the config's
    // provider it would resolve them again, a second call to a web
    // identity, SSO or container endpoint.
    let c = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(conf)
            .credentials_provider(base_creds)
            .build(),
    );
    assume_role(req, &c, env, conf, fetch, &from).await
}

async fn assume_role(
    req: &SessionRequest,
    c: &aws_sdk_sts::Client,
    env: &Env,
    conf: &SdkConfig,
    fetch: &Fetch,
    caller_from: &str,
) -> Result<Credentials, Error> {
    let mut call = c
        .assume_role()
        .role_arn(req.role_arn.as_str())
        .role_session_name(req.session_name.as_str())
        .duration_seconds(req.duration.as_secs() as i32);
    if let Some(x) = &req.external_id {
        call = call.external_id(x.as_str());
    }
    if let Some(x) = &req.source_identity {
        call = call.source_identity(x.as_str());
    }
    if let Some(p) = &req.policy {
        call = call.policy(p);
    }
    for (k, v) in req.tags.iter() {
        call = call.tags(
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set"),
        );
    }
    if let Some(serial) = &req.mfa_serial {
        fetch.wait_for(format!("an MFA code for `{serial}`"));
        // The prompt blocks on the terminal: on a blocking thread, the
        // budget's timer can still end the call.
        let (s, given, e) = (
            serial.clone(),
            fetch.mfa_token.as_ref().map(|t| t.expose().to_owned()),
            env.clone(),
        );
        let code = tokio::task::spawn_blocking(move || crate::mfa::code(&s, given.as_deref(), &e))
            .await
            .map_err(|e| Error::Mfa {
                serial: serial.clone(),
                reason: format!("asking for the code failed: {e}"),
            })??;
        call = call.serial_number(serial).token_code(code);
    }
    fetch.wait_for(format!(
        "{} to answer AssumeRole for `{}`",
        endpoint(env, conf),
        req.role_arn
    ));
    match call.send().await {
        Ok(out) => convert(out.credentials(), req),
        Err(e) => {
            let mut err = map_error(e, "AssumeRole", req, &endpoint(env, conf), caller_from);
            if let Error::AccessDenied { caller, .. } = &mut err {
                // Name the identity that was refused, as AWS saw it.
                if let Ok(id) = c.get_caller_identity().send().await
                    && let Some(arn) = id.arn()
                {
                    *caller = arn.to_owned();
                }
            }
            Err(err)
        }
    }
}

fn convert(
    c: Option<&aws_sdk_sts::types::Credentials>,
    req: &SessionRequest,
) -> Result<Credentials, Error> {
    let c = c.ok_or_else(|| Error::Sts {
        operation: "AssumeRole".into(),
        role_arn: req.role_arn.to_string(),
        code: "NoCredentials".into(),
        message: "STS answered without credentials".into(),
    })?;
    let expiration = Timestamp::from_second(c.expiration().secs()).map_err(|e| Error::Sts {
        operation: "AssumeRole".into(),
        role_arn: req.role_arn.to_string(),
        code: "BadExpiration".into(),
        message: e.to_string(),
    })?;
    tracing::info!(role_arn = %req.role_arn, access_key_id = c.access_key_id(), expiration = %expiration, "assumed role");
    Ok(Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Secret::new(c.session_token()),
        expiration,
    })
}

fn map_error<E>(
    e: SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
    operation: &str,
    req: &SessionRequest,
    endpoint: &str,
    caller_from: &str,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let role_arn = req.role_arn.to_string();
    match &e {
        SdkError::ServiceError(se) => {
            let (code, message) = match se.err().code() {
                Some(code) => (
                    crate::error::printable(code),
                    crate::error::printable(se.err().message().unwrap_or_default()),
                ),
                // The SDK could not read the error document (moto wraps it in
                // `<Errors>`; a proxy may answer with its own page): take the
                // code and message from the body, and a bare 403 as a refusal.
                None => match unparsed_error(se.raw().status().as_u16(), se.raw().body().bytes()) {
                    Some(found) => found,
                    None => {
                        return Error::Endpoint {
                            service: "sts".into(),
                            endpoint: endpoint.to_owned(),
                            detail: what_answered(se.raw()),
                        };
                    }
                },
            };
            refusal(code, message, operation, req, caller_from)
        }
        SdkError::TimeoutError(_) => Error::Endpoint {
            service: "sts".into(),
            endpoint: endpoint.to_owned(),
            detail: "no answer in time (retried)".into(),
        },
        SdkError::DispatchFailure(_) => Error::Endpoint {
            service: "sts".into(),
            endpoint: endpoint.to_owned(),
            detail: crate::error::printable(&sdk_text(&e)),
        },
        // An answer that is no STS answer at all (not XML, an HTML page):
        // name what answered rather than a parse error of the SDK's.
        SdkError::ResponseError(r) => Error::Endpoint {
            service: "sts".into(),
            endpoint: endpoint.to_owned(),
            detail: what_answered(r.raw()),
        },
        _ => Error::Sts {
            operation: operation.into(),
            role_arn,
            code: "Unknown".into(),
            message: crate::error::printable(&sdk_text(&e)),
        },
    }
}

/// What STS's error `code` means for the caller: a refusal of the role's
/// trust, an expired base identity, a chain too long, or STS's own words.
fn refusal(
    code: String,
    message: String,
    operation: &str,
    req: &SessionRequest,
    caller_from: &str,
) -> Error {
    let role_arn = req.role_arn.to_string();
    match code.as_str() {
        "AccessDenied" => Error::AccessDenied {
            role_arn,
            caller: caller_from.to_owned(),
            message,
            external_id: req.external_id.is_some(),
            web_identity: operation == "AssumeRoleWithWebIdentity",
        },
        "ExpiredToken" | "ExpiredTokenException" if operation == "AssumeRole" => {
            Error::ExpiredBaseCredentials {
                source_name: caller_from.to_owned(),
                access_key_id: String::new(),
            }
        }
        "ValidationError" if message.to_lowercase().contains("chain") => Error::ChainedDuration {
            role_arn,
            via: caller_from.to_owned(),
            duration: req.duration.to_string(),
        },
        _ => Error::Sts {
            operation: operation.into(),
            role_arn,
            code,
            message,
        },
    }
}

/// An SDK error in words: each error of its chain once, by its `Display`.
/// (The SDK's `DisplayErrorContext` ends with the `Debug` form of the
/// whole chain, which is for developers, not for the person at the
/// terminal; `-vv` logs it.)
pub(crate) fn sdk_text(e: &(dyn std::error::Error + 'static)) -> String {
    tracing::debug!(error = ?e, "the SDK's error");
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// The default chain's providers, as a person would name what was tried.
const CHAIN_WORDS: &[(&str, &str)] = &[
    (
        "Environment",
        "keys in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
    ),
    (
        "Profile",
        "a profile (AWS_PROFILE, else `default`) in AWS_CONFIG_FILE or ~/.aws/config and AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, SSO included",
    ),
    (
        "WebIdentityToken",
        "a web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN)",
    ),
    (
        "EcsContainer",
        "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI)",
    ),
    ("Ec2InstanceMetadata", "the EC2 instance metadata service"),
];

/// What the chain tried, one source a line, in words: the SDK lists its
/// attempts as `  Name: reason` lines after `Attempted:`.
fn tried_in_words(from: &str, text: &str) -> String {
    const NOT_ENABLED: &str = "the credential provider was not enabled";
    let Some((_, attempts)) = text.split_once("Attempted:") else {
        return format!("{from}: {}", crate::error::printable(text));
    };
    let mut out = format!("{from}, in order:");
    for line in attempts.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, reason) = line.split_once(": ").unwrap_or((line, ""));
        let name = CHAIN_WORDS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(name, |(_, words)| words);
        let reason = reason
            .strip_prefix(NOT_ENABLED)
            .map(|r| r.trim_start_matches(": "))
            .unwrap_or(reason);
        let reason = if reason.is_empty() {
            "none found"
        } else {
            reason
        };
        out.push_str(&format!(
            "\n    - {}: {}",
            crate::error::printable(name),
            crate::error::printable(reason)
        ));
    }
    out
}

/// What answered at the STS endpoint when it was not STS: the status, the
/// content type and server, and the start of the body, so that a proxy, a
/// wrong port or a web server is recognisable.
fn what_answered(r: &aws_sdk_sts::config::http::HttpResponse) -> String {
    let body = r.body().bytes();
    let mut seen = vec![format!("HTTP {}", r.status().as_u16())];
    for name in ["content-type", "server"] {
        if let Some(v) = r.headers().get(name) {
            seen.push(format!("{name}: {}", crate::error::printable(v)));
        }
    }
    let body = body.map(String::from_utf8_lossy).unwrap_or_default();
    let start: String = body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(80)
        .collect();
    if !start.is_empty() {
        seen.push(format!(
            "body starting `{}`",
            crate::error::printable(&start)
        ));
    }
    format!(
        "something answered that is not STS ({}); is the endpoint's URL or port right?",
        seen.join(", ")
    )
}

/// The `<Code>` and `<Message>` of an error document the SDK could not
/// parse; without a code, a 403 is `AccessDenied` (STS answers refusals
/// with 403). `None` when the answer has no error code and is no refusal:
/// whatever answered was not STS.
fn unparsed_error(status: u16, body: Option<&[u8]>) -> Option<(String, String)> {
    let text = body.map(String::from_utf8_lossy).unwrap_or_default();
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let len = text[start..].find(&format!("</{name}>"))?;
        let raw = text[start..start + len].trim();
        Some(crate::error::printable(
            &raw.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&#27;", "\u{1b}")
                .replace("&#x1b;", "\u{1b}")
                .replace("&amp;", "&"),
        ))
    };
    let code = match element("Code") {
        Some(code) => code,
        None if status == 403 => "AccessDenied".into(),
        None => return None,
    };
    let message = element("Message").unwrap_or_else(|| format!("HTTP {status}"));
    Some((code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparsed_errors_keep_their_code_and_message() {
        // What moto answers when it enforces IAM.
        let moto = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: sts:AssumeRole</Message><Type>Sender</Type></Error></Errors></ErrorResponse>";
        assert_eq!(
            unparsed_error(403, Some(moto)),
            Some((
                "AccessDenied".to_owned(),
                "User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: sts:AssumeRole".to_owned()
            ))
        );
        assert_eq!(
            unparsed_error(403, Some(b"<html>Forbidden</html>")),
            Some(("AccessDenied".to_owned(), "HTTP 403".to_owned()))
        );
        // No code and no refusal: not STS; the caller names what answered.
        assert_eq!(unparsed_error(502, None), None);
        assert_eq!(
            unparsed_error(501, Some(b"<html>Unsupported method</html>")),
            None
        );
        assert_eq!(
            unparsed_error(
                400,
                Some(b"<Code>X</Code><Message>a &lt;b&gt; &amp;amp;</Message>")
            ),
            Some(("X".to_owned(), "a <b> &amp;".to_owned()))
        );
        // A hostile or broken endpoint's escape sequences stay inert text.
        assert_eq!(
            unparsed_error(
                400,
                Some(b"<Code>X\x1b[2J</Code><Message>\x1b]0;owned\x07red \x1b[31mtext&#27;[0m\r\n</Message>")
            ),
            Some((
                "X\\u{1b}[2J".to_owned(),
                "\\u{1b}]0;owned\\u{7}red \\u{1b}[31mtext\\u{1b}[0m".to_owned()
            ))
        );
    }

    #[test]
    fn the_chain_is_listed_in_words() {
        // The SDK's text for an empty default chain (aws-config 1.x).
        let sdk = "the credential provider was not enabled: no credentials found in chain. Attempted:\n  Environment: the credential provider was not enabled: environment variable not set\n  Profile: the credential provider was not enabled\n  EcsContainer: the credential provider was not enabled: ECS provider not configured\n  Ec2InstanceMetadata: the credential provider was not enabled: IMDS disabled by AWS_EC2_METADATA_DISABLED env var set to `true`";
        assert_eq!(
            tried_in_words("the default credential chain", sdk),
            "the default credential chain, in order:\n    \
             - keys in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): environment variable not set\n    \
             - a profile (AWS_PROFILE, else `default`) in AWS_CONFIG_FILE or ~/.aws/config and AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, SSO included: none found\n    \
             - container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI): ECS provider not configured\n    \
             - the EC2 instance metadata service: IMDS disabled by AWS_EC2_METADATA_DISABLED env var set to `true`"
        );
        assert_eq!(
            tried_in_words("profile `p`", "no profile\u{1b}[2J"),
            "profile `p`: no profile\\u{1b}[2J"
        );
    }
}
