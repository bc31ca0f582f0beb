//! `Provider` as an AWS SDK credentials provider, against moto, with an
//! injected clock and environment: what the binary's cache gives, any SDK
//! client gets, and the environment passed in (not the process's) decides
//! where STS is called.

use std::sync::atomic::{AtomicI64, Ordering};

use aws_credential_types::provider::ProvideCredentials;
use pretty_assertions::assert_eq;
use tfroles_core::{Config, SessionFor};
use tfroles_creds::{BaseIdentity, Cache, Env, Options, Provider, Secret, SessionRequest};
use tfroles_testsupport::Moto;

const ROLE: &str = "arn:aws:iam::123456789012:role/app";

fn env_of(moto: &Moto, extra: &[(&str, &str)]) -> Env {
    let vars = moto.env();
    Env::from_pairs(
        vars.iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .chain(extra.iter().copied()),
    )
}

fn request() -> SessionRequest {
    SessionRequest::new(ROLE.parse().unwrap(), "provider-test".parse().unwrap())
}

fn options(env: Env, cache: &tempfile::TempDir, now: fn() -> jiff::Timestamp) -> Options {
    Options {
        cache: Some(Cache::open(cache.path()).unwrap()),
        now,
        ..Options::new(env)
    }
}

fn base() -> BaseIdentity {
    BaseIdentity::DefaultChain { profile: None }
}

/// Seconds the refresh test's clock is ahead of the real one.
static AHEAD: AtomicI64 = AtomicI64::new(0);

fn ahead() -> jiff::Timestamp {
    jiff::Timestamp::now() + jiff::SignedDuration::from_secs(AHEAD.load(Ordering::SeqCst))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_entry_is_served_from_the_cache_and_a_due_one_is_refreshed_once() {
    let moto = Moto::start();
    let cache = tempfile::tempdir().unwrap();
    let provider = Provider::new(
        request(),
        base(),
        options(env_of(&moto, &[]), &cache, ahead),
    );

    let first = provider.provide_credentials().await.unwrap();
    let issued = moto.assumed_roles();
    assert_eq!(issued.len(), 1);
    assert_eq!(first.access_key_id(), issued[0].access_key_id);
    let expiry = first.expiry().expect("session credentials expire");
    let left = expiry
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!((3000..=3600).contains(&left), "{left} s left");

    // A second provider on the same cache: served from it, no STS call.
    let again = Provider::new(
        request(),
        base(),
        options(env_of(&moto, &[]), &cache, ahead),
    );
    let cached = again.provide_credentials().await.unwrap();
    assert_eq!(cached.access_key_id(), first.access_key_id());
    assert_eq!(cached.expiry(), first.expiry());
    assert_eq!(moto.assumed_roles().len(), 1);

    // Ten minutes before expiry: inside the 15-minute refresh window.
    AHEAD.store(left as i64 - 600, Ordering::SeqCst);
    let refreshed = provider.provide_credentials().await.unwrap();
    let issued = moto.assumed_roles();
    assert_eq!(issued.len(), 2, "one STS call for the refresh");
    assert_eq!(refreshed.access_key_id(), issued[1].access_key_id);
    assert_ne!(refreshed.access_key_id(), first.access_key_id());
    // Back to the real clock: the refreshed entry is what the cache serves
    // from now on (under the advanced one, it too is due for refresh).
    AHEAD.store(0, Ordering::SeqCst);
    let after = again.provide_credentials().await.unwrap();
    assert_eq!(after.access_key_id(), refreshed.access_key_id());
    assert_eq!(moto.assumed_roles().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_environments_in_one_process_never_share_a_session() {
    let (a, b) = (Moto::start(), Moto::start());
    let cache = tempfile::tempdir().unwrap();
    // Same request, same cache, same process: only the environments differ
    // (endpoint and keys).
    let pa = Provider::new(
        request(),
        base(),
        options(env_of(&a, &[]), &cache, jiff::Timestamp::now),
    );
    let pb = Provider::new(
        request(),
        base(),
        options(
            env_of(
                &b,
                &[
                    ("AWS_ACCESS_KEY_ID", "AKIAOTHERKEY"),
                    ("AWS_SECRET_ACCESS_KEY", "other"),
                ],
            ),
            &cache,
            jiff::Timestamp::now,
        ),
    );
    let (ca, cb) = tokio::join!(pa.provide_credentials(), pb.provide_credentials());
    let (ca, cb) = (ca.unwrap(), cb.unwrap());
    let (ia, ib) = (a.assumed_roles(), b.assumed_roles());
    assert_eq!(
        (ia.len(), ib.len()),
        (1, 1),
        "each endpoint was called once"
    );
    assert_eq!(ca.access_key_id(), ia[0].access_key_id);
    assert_eq!(cb.access_key_id(), ib[0].access_key_id);
    assert_ne!(ca.access_key_id(), cb.access_key_id());

    // Cached now, each under its own environment's key.
    let (ca2, cb2) = tokio::join!(pa.provide_credentials(), pb.provide_credentials());
    assert_eq!(ca2.unwrap().access_key_id(), ca.access_key_id());
    assert_eq!(cb2.unwrap().access_key_id(), cb.access_key_id());
    assert_eq!((a.assumed_roles().len(), b.assumed_roles().len()), (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_profile_and_its_region_come_from_the_env_passed_in() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("config");
    std::fs::write(
        &config_file,
        "[default]\nregion = ap-south-1\n\n[profile deploy]\nregion = eu-west-2\n",
    )
    .unwrap();
    let config_file = config_file.to_str().unwrap();
    let vars = moto.env();
    let env = |profile: &'static str| {
        Env::from_pairs(
            vars.iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                // No region variable: the profile's decides.
                .filter(|(k, _)| !matches!(*k, "AWS_REGION" | "AWS_DEFAULT_REGION"))
                .filter(|(k, _)| *k != "AWS_CONFIG_FILE")
                .chain([("AWS_CONFIG_FILE", config_file), ("AWS_PROFILE", profile)]),
        )
    };
    for (profile, region) in [("deploy", "eu-west-2"), ("default", "ap-south-1")] {
        let provider = Provider::new(
            request(),
            base(),
            Options {
                // The fallback, used only when neither names a region.
                region: Some("us-east-1".into()),
                ..Options::new(env(profile))
            },
        );
        provider.provide_credentials().await.unwrap();
        let issued = moto.assumed_roles();
        assert_eq!(
            issued.last().map(|r| r.region_name.as_str()),
            Some(region),
            "profile `{profile}`"
        );
    }
}

const CONFIG: &str = r#"
defaults {
  region = "us-east-1"
}
account "main" {
  id = "123456789012"
}
state {
  account = "main"
  bucket  = "acme-terraform-state"
  role    = "terraform-state"
}
role "terraform-state" {
  account = "main"
}
role "app" {
  account  = "main"
  services = ["sqs"]
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_sdk_client_with_the_provider_acts_as_the_narrowed_session() {
    let moto = Moto::start();
    let cache = tempfile::tempdir().unwrap();
    let config = Config::from_str(CONFIG).unwrap();
    let session = config.decide_session(&SessionFor::role("app")).unwrap();
    let request = SessionRequest::from(&session);
    let policy = request
        .policy
        .clone()
        .expect("sqs deletes: a guarded session");
    let provider = Provider::new(
        request,
        base(),
        options(env_of(&moto, &[]), &cache, jiff::Timestamp::now),
    );

    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(moto.endpoint())
        // tfroles builds the SDK without its default client (aws-lc-rs);
        // a plain HTTP client for moto.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .credentials_provider(provider)
        .build();
    let me = aws_sdk_sts::Client::from_conf(conf)
        .get_caller_identity()
        .send()
        .await
        .unwrap();

    let issued = moto.assumed_roles();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].policy.as_deref(), Some(policy.as_str()));
    assert_eq!(issued[0].role_arn, ROLE);
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/app/tfroles")
    );
    assert_eq!(me.arn(), Some(issued[0].arn.as_str()));
}

#[test]
fn debug_shows_no_secret() {
    let provider = Provider::new(
        request(),
        base(),
        Options {
            mfa_token: Some(Secret::new("918273")),
            ..Options::new(Env::from_pairs([
                ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIsecret"),
                ("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEJrtoken"),
            ]))
        },
    );
    let d = format!("{provider:?} {provider:#?}");
    for secret in ["918273", "wJalrXUtnFEMIsecret", "FwoGZXIvYXdzEJrtoken"] {
        assert!(!d.contains(secret), "{d}");
    }
    assert!(d.contains("AWS_SECRET_ACCESS_KEY"), "{d}");
    assert!(d.contains(ROLE), "{d}");
}
