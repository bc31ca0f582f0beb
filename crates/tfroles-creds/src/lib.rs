//! Short-lived AWS credentials for a role session, the way Terraform's
//! `credential_process` wants them, through a shared cache.
//!
//! A [`SessionRequest`] describes the session (role, session name, external
//! id, duration, tags, source identity, session policy, MFA, and a `via`
//! role to chain through); a [`BaseIdentity`] says what to start from (the
//! standard aws-config chain, or a CI job's OIDC token). [`credentials`]
//! answers from the [`Cache`] while the entry has more than the refresh
//! window left, without starting an async runtime or loading any SDK
//! configuration; otherwise it takes the key's lock, looks again (another
//! process may have just refreshed it), calls STS once and stores the answer.
//! So N processes asking for one cold role make one STS call.
//!
//! The [`Env`] passed in decides the cache key, the token sources and the
//! AWS SDK's own settings for the STS call (`AWS_ENDPOINT_URL_STS`,
//! `AWS_REGION`, the profile and its files), so the key and the call never
//! disagree. [`Provider`] hands the same cached, policy-narrowed sessions to
//! any AWS SDK client as its credentials provider.
//!
//! ```no_run
//! use tfroles_creds::{BaseIdentity, Cache, Env, Options, SessionRequest, credentials};
//!
//! let env = Env::from_process();
//! let request = SessionRequest::new(
//!     "arn:aws:iam::111111111111:role/terraform-state".parse()?,
//!     "terraform".parse()?,
//! );
//! let options = Options {
//!     cache: Some(Cache::open(&Cache::default_dir(&env)?)?),
//!     ..Options::new(env)
//! };
//! let out = credentials(&request, &BaseIdentity::DefaultChain { profile: None }, &options)?;
//! println!("{}", out.credentials.to_process_json());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A session the cache holds is answered without AWS, as the key the
//! request, the base identity and the environment give:
//!
//! ```
//! use tfroles_creds::{
//!     BaseIdentity, Cache, Credentials, Env, Options, Secret, SessionRequest, cache_key,
//!     credentials,
//! };
//!
//! let dir = tempfile::tempdir()?;
//! let env = Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "x")]);
//! let request = SessionRequest::new(
//!     "arn:aws:iam::111111111111:role/app".parse()?,
//!     "terraform".parse()?,
//! );
//! let base = BaseIdentity::DefaultChain { profile: None };
//! let cache = Cache::open(dir.path())?;
//! let held = Credentials {
//!     access_key_id: "ASIAEXAMPLE".into(),
//!     secret_access_key: Secret::new("secret"),
//!     session_token: Secret::new("token"),
//!     expiration: jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
//! };
//! cache.write(&cache_key(&request, &base, &env), &held)?;
//!
//! let options = Options { cache: Some(cache), ..Options::new(env) };
//! let out = credentials(&request, &base, &options)?;
//! assert!(out.from_cache);
//! assert_eq!(out.credentials.access_key_id, "ASIAEXAMPLE");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Besides sessions, the crate owns the other AWS calls tfroles makes
//! without the SDK: [`signed`], the one SigV4 client (`tfroles doctor`'s
//! checks, and [`s3`], the `s3://` reader of `tfroles usage`), and
//! [`server`], the loopback container-credentials endpoint of
//! `tfroles exec --server`.

#![warn(missing_docs)]

mod cache;
mod credentials;
mod env;
mod error;
mod index;
mod mfa;
mod oidc;
mod provider;
mod request;
pub mod s3;
pub mod server;
pub mod signed;
mod sts;

use std::time::{Duration as StdDuration, Instant};

pub use cache::{About, Cache, KeyLock, Listed, Removed};
pub use credentials::{Credentials, Secret};
pub use env::Env;
pub use error::Error;
pub use index::{IndexEntry, hit, index_key};
use jiff::Timestamp;
pub use provider::Provider;
pub use request::{BaseIdentity, SessionRequest, WebIdentitySource, cache_key, cache_key_of};

/// How [`credentials`] runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The cache; `None` calls STS every time (`--no-cache`).
    pub cache: Option<Cache>,
    /// Cached credentials are handed out only while more than this is left
    /// (capped at half the session, so short sessions are still cached).
    pub refresh_before: StdDuration,
    /// The MFA code, if given on the command line (a secret while it lasts).
    pub mfa_token: Option<Secret>,
    /// The region to call STS in when the environment and profile name none.
    pub region: Option<String>,
    /// The environment.
    pub env: Env,
    /// The clock; injected so expiry and refresh are tested without sleeping.
    pub now: fn() -> Timestamp,
    /// The stack the session is for, recorded with the cache entry for
    /// `tfroles cache list` (not part of the key: the session policy that
    /// the stack decides already is).
    pub stack: Option<String>,
    /// How long one call may take in all, lock wait and STS included,
    /// counted from the start of [`credentials`]: past it, the call ends
    /// with an error naming the endpoint and what it waited for.
    pub budget: StdDuration,
}

impl Options {
    /// The default refresh window: botocore's and granted's, long enough
    /// that a terraform apply started on a cached session does not outlive it.
    pub const DEFAULT_REFRESH_BEFORE: StdDuration = StdDuration::from_secs(15 * 60);

    /// The default budget: terraform (the Go SDK) kills a
    /// `credential_process` after one minute without a word, so tfroles
    /// gives up first, with a message, and leaves room for start-up.
    pub const DEFAULT_BUDGET: StdDuration = StdDuration::from_secs(50);

    /// No cache, default refresh window, the real clock.
    pub fn new(env: Env) -> Self {
        Options {
            cache: None,
            refresh_before: Self::DEFAULT_REFRESH_BEFORE,
            mfa_token: None,
            region: None,
            env,
            now: Timestamp::now,
            stack: None,
            budget: Self::DEFAULT_BUDGET,
        }
    }
}

/// Credentials and whether they came from the cache.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The credentials.
    pub credentials: Credentials,
    /// `true` when no STS call was made.
    pub from_cache: bool,
}

/// The window before expiry in which cached credentials are refreshed.
pub fn refresh_window(request: &SessionRequest, refresh_before: StdDuration) -> StdDuration {
    refresh_before.min(StdDuration::from_secs(
        u64::from(request.duration.as_secs()) / 2,
    ))
}

pub(crate) fn fresh(c: &Credentials, now: Timestamp, window: StdDuration) -> bool {
    c.remaining(now).as_secs() > 0 && c.remaining(now).unsigned_abs() > window
}

/// Credentials for `request`, from the cache when fresh, else from STS.
///
/// Every call ends within `options.budget` of its start: waiting for
/// another process's refresh (the key's lock) and the STS calls share it.
/// When the budget runs out while the cached entry is merely due for
/// refresh but still valid, that entry is served with a warning.
///
/// # Errors
/// [`Error`] when the cache is unusable, there are no base credentials, the
/// token source fails, STS refuses or answers with expired credentials, or
/// the budget runs out ([`Error::Endpoint`], saying what was waited for).
pub fn credentials(
    request: &SessionRequest,
    base: &BaseIdentity,
    options: &Options,
) -> Result<Outcome, Error> {
    let deadline = Instant::now() + options.budget;
    let window = refresh_window(request, options.refresh_before);
    let Some(cache) = &options.cache else {
        return Ok(Outcome {
            credentials: fetch(request, base, options, deadline)?,
            from_cache: false,
        });
    };
    let key = cache_key(request, base, &options.env);
    let cached = cache.read(&key);
    if let Some(c) = cached
        .as_ref()
        .filter(|c| fresh(c, (options.now)(), window))
    {
        tracing::debug!(key, access_key_id = %c.access_key_id, expiration = %c.expiration, "cache hit");
        return Ok(Outcome {
            credentials: c.clone(),
            from_cache: true,
        });
    }
    let fallback = |e: Error| serve_still_valid(e, cached.as_ref(), options);
    let Some(lock) = cache.lock(&key, deadline)? else {
        return fallback(Error::Endpoint {
            service: "sts".into(),
            endpoint: sts::describe_endpoint(&options.env, options.region.as_deref()),
            detail: format!(
                "gave up after {} waiting for another tfroles process to finish asking STS for `{}` (it holds `{}`)",
                seconds(options.budget),
                request.role_arn,
                cache.lock_path(&key).display()
            ),
        });
    };
    // Whoever held the lock before us may have refreshed the entry.
    if let Some(c) = cache
        .reread(&key)
        .filter(|c| fresh(c, (options.now)(), window))
    {
        tracing::debug!(key, access_key_id = %c.access_key_id, "refreshed by another process while waiting");
        return Ok(Outcome {
            credentials: c,
            from_cache: true,
        });
    }
    let c = match fetch(request, base, options, deadline) {
        Ok(c) => c,
        Err(e) => return fallback(e),
    };
    store(cache, &key, &c, request, base, options)?;
    drop(lock);
    // After an STS call, which costs far more: a hit never pays for it.
    cache.sweep((options.now)());
    Ok(Outcome {
        credentials: c,
        from_cache: false,
    })
}

/// After a failed refresh: the cached session `cached` if it is still
/// valid for a minute (what a caller needs to make a call with it) and the
/// failure was the endpoint's, with a warning; else the error.
fn serve_still_valid(
    e: Error,
    cached: Option<&Credentials>,
    options: &Options,
) -> Result<Outcome, Error> {
    match (&e, cached) {
        (Error::Endpoint { .. }, Some(c))
            if fresh(c, (options.now)(), StdDuration::from_secs(60)) =>
        {
            tracing::warn!(access_key_id = %c.access_key_id, expiration = %c.expiration, "{e}; serving the cached session, which is still valid");
            Ok(Outcome {
                credentials: c.clone(),
                from_cache: true,
            })
        }
        _ => Err(e),
    }
}

/// Writes `c` under `key`, with what `tfroles cache list` shows of it.
fn store(
    cache: &Cache,
    key: &str,
    c: &Credentials,
    request: &SessionRequest,
    base: &BaseIdentity,
    options: &Options,
) -> Result<(), Error> {
    let about = About {
        role_arn: request.role_arn.to_string(),
        stack: options.stack.clone(),
        base: request::base_digest(base, &options.env),
        fetched: (options.now)(),
    };
    cache.write_described(key, c, Some(&about))
}

/// The base identity as STS sees it, for `tfroles doctor`.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Its ARN (GetCallerIdentity's `Arn`).
    pub arn: String,
    /// Its account.
    pub account: String,
    /// Its credentials, to sign other read-only calls with.
    pub credentials: Credentials,
}

/// Resolves the default chain's base identity (or `--profile`'s) and asks
/// STS who it is. Never cached: a check must see the present.
///
/// # Errors
/// [`Error::NoBaseCredentials`] naming what was tried, [`Error::Endpoint`]
/// when STS cannot be reached, [`Error::Sts`] when it refuses.
pub fn caller(profile: Option<String>, options: &Options) -> Result<Caller, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(e.to_string()))?;
    let f = sts::Fetch {
        region: options.region.clone(),
        ..sts::Fetch::default()
    };
    let base = BaseIdentity::DefaultChain { profile };
    let out = runtime.block_on(async {
        tokio::time::timeout(options.budget, sts::caller(&base, &options.env, &f))
            .await
            .unwrap_or_else(|_| {
                Err(Error::Endpoint {
                    service: "sts".into(),
                    endpoint: sts::describe_endpoint(&options.env, options.region.as_deref()),
                    detail: format!(
                        "no answer within {} while waiting for {}",
                        seconds(options.budget),
                        f.waiting_for()
                    ),
                })
            })
    });
    runtime.shutdown_background();
    let (credentials, arn, account) = out?;
    Ok(Caller {
        arn,
        account,
        credentials,
    })
}

/// `50 s`, `1.5 s`.
fn seconds(d: StdDuration) -> String {
    format!("{} s", d.as_secs_f64())
}

fn fetch(
    request: &SessionRequest,
    base: &BaseIdentity,
    options: &Options,
    deadline: Instant,
) -> Result<Credentials, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(e.to_string()))?;
    let f = sts::Fetch {
        region: options.region.clone(),
        mfa_token: options.mfa_token.clone(),
        deadline: Some(deadline),
        ..sts::Fetch::default()
    };
    let endpoint = || sts::describe_endpoint(&options.env, options.region.as_deref());
    let run = || {
        let left = deadline.saturating_duration_since(Instant::now());
        runtime
            // The timer is made inside the runtime, which drives it.
            .block_on(async {
                tokio::time::timeout(left, sts::fetch(request, base, &options.env, &f)).await
            })
            .unwrap_or_else(|_| {
                Err(Error::Endpoint {
                    service: "sts".into(),
                    endpoint: endpoint(),
                    detail: format!(
                        "no answer within {} while waiting for {}",
                        seconds(options.budget),
                        f.waiting_for()
                    ),
                })
            })
    };
    // Called from async code, this thread already drives a runtime and tokio
    // refuses to start another on it; the blocking call then runs on a
    // thread of its own (the caller is blocked either way).
    let out = if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(run).join()).unwrap_or_else(|p| std::panic::resume_unwind(p))
    } else {
        run()
    };
    // A timed-out call may leave a blocking task (a DNS lookup) behind:
    // dropping the runtime would wait for it.
    runtime.shutdown_background();
    let c = out?;
    // Expired on arrival (a wrong clock here or there, a broken endpoint):
    // handing them out or caching them only moves the failure to terraform.
    let now = (options.now)();
    if c.remaining(now).as_secs() <= 0 {
        return Err(Error::Sts {
            operation: "AssumeRole".into(),
            role_arn: request.role_arn.to_string(),
            code: "ExpiredOnArrival".into(),
            message: format!(
                "{} answered with credentials (`{}`) that expired at {}, and it is {} here; check this machine's clock and the endpoint",
                endpoint(),
                c.access_key_id,
                credentials::rfc3339::format(&c.expiration),
                credentials::rfc3339::format(&now)
            ),
        });
    }
    Ok(c)
}
