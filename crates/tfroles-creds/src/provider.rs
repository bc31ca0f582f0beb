//! tfroles' sessions as an AWS SDK credentials provider.

use std::time::{Duration as StdDuration, UNIX_EPOCH};

use aws_credential_types::provider::{ProvideCredentials, error::CredentialsError, future};

use crate::{BaseIdentity, Credentials, Error, Options, SessionRequest, credentials};

/// A credentials provider for any AWS SDK client: each call runs what
/// [`credentials`] runs (the shared cache, the key's lock, STS), with the
/// same request, base identity and [`Options`], so a Rust program and the
/// `tfroles` binary share cached, policy-narrowed sessions.
///
/// The SDK settings of the STS call (endpoint, region, profile, keys) come
/// from `options.env`, like the cache key, never from the process's
/// environment. Give the client that uses the provider the same endpoint
/// and region.
///
/// Its `Debug` shows no secret: the MFA code is redacted and the
/// environment lists names only.
///
/// ```no_run
/// // As in docs/guides/rust-library.md, where it is tested too.
/// use tfroles_core::{Config, SessionFor};
/// use tfroles_creds::{BaseIdentity, Cache, Env, Options, Provider, SessionRequest};
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let config = Config::from_path("tfroles.hcl".as_ref())?;
///     let session = config.decide_session(&SessionFor::role("app-provisioning"))?;
///
///     let env = Env::from_process();
///     let options = Options {
///         cache: Some(Cache::open(&Cache::default_dir(&env)?)?),
///         region: Some("eu-west-1".into()),
///         ..Options::new(env)
///     };
///     let provider = Provider::new(
///         SessionRequest::from(&session),
///         BaseIdentity::DefaultChain { profile: None },
///         options,
///     );
///
///     let sts = aws_sdk_sts::Client::from_conf(
///         aws_sdk_sts::Config::builder()
///             .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
///             .region(aws_sdk_sts::config::Region::new("eu-west-1"))
///             .credentials_provider(provider)
///             .build(),
///     );
///     let me = sts.get_caller_identity().send().await?;
///     println!("{}", me.arn().unwrap_or_default());
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Provider {
    request: SessionRequest,
    base: BaseIdentity,
    options: Options,
}

impl Provider {
    /// The provider of `request`'s session, starting from `base`.
    pub fn new(request: SessionRequest, base: BaseIdentity, options: Options) -> Self {
        Provider {
            request,
            base,
            options,
        }
    }

    /// What [`credentials`] answers, in the SDK's type.
    ///
    /// # Errors
    /// [`Error`], as [`credentials`]; [`Error::Runtime`] when the blocking
    /// task could not finish.
    pub async fn fetch(&self) -> Result<aws_credential_types::Credentials, Error> {
        let c = if tokio::runtime::Handle::try_current().is_ok() {
            // The cache's lock wait and file reads block: off the caller's
            // executor thread, so other tasks go on.
            let this = self.clone();
            tokio::task::spawn_blocking(move || {
                credentials(&this.request, &this.base, &this.options)
            })
            .await
            .map_err(|e| Error::Runtime(e.to_string()))??
        } else {
            credentials(&self.request, &self.base, &self.options)?
        };
        Ok(sdk_credentials(&c.credentials))
    }
}

/// The SDK's credentials, with their expiry, so its identity cache asks
/// again before they run out.
fn sdk_credentials(c: &Credentials) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().to_owned(),
        Some(c.session_token.expose().to_owned()),
        Some(UNIX_EPOCH + StdDuration::from_secs(c.expiration.as_second().max(0) as u64)),
        "tfroles",
    )
}

impl ProvideCredentials for Provider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.fetch().await.map_err(CredentialsError::provider_error)
        })
    }
}
