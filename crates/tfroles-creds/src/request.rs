//! What to ask STS for, as plain data: the session, the identity to start
//! from, and the key that identifies both in the cache.

use sha2::{Digest, Sha256};
pub use tfroles_core::WebIdentitySource;
use tfroles_core::types::{
    Duration, ExternalId, RoleArn, SessionName, SessionTags, SourceIdentity,
};
use tfroles_core::{RoleSession, Session};

use crate::env::Env;

/// One AssumeRole, and optionally the role to assume first (`via`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    /// The role.
    pub role_arn: RoleArn,
    /// `RoleSessionName`.
    pub session_name: SessionName,
    /// `ExternalId`.
    pub external_id: Option<ExternalId>,
    /// `DurationSeconds`.
    pub duration: Duration,
    /// Session tags.
    pub tags: SessionTags,
    /// `SourceIdentity`.
    pub source_identity: Option<SourceIdentity>,
    /// A session policy (JSON) that narrows the session.
    pub policy: Option<String>,
    /// The MFA device's serial number or ARN, when the role requires MFA.
    pub mfa_serial: Option<String>,
    /// A role to assume first; this one is then assumed with its credentials.
    pub via: Option<Box<SessionRequest>>,
}

impl From<&Session> for SessionRequest {
    /// The request for a session [`tfroles_core::Config::decide_session`]
    /// decided: the role, its `via` chain and its session policy (the delete
    /// guard, or a stack's own keys), exactly as `generate` writes them and
    /// `tfroles credential-process` sends them. Opting out is explicit:
    /// decide with `allow_delete(true)`, or set `policy` to `None`.
    fn from(s: &Session) -> Self {
        let mut request = SessionRequest::from_role(&s.role);
        request.policy = s.policy.as_ref().map(|p| p.to_json_compact());
        request
    }
}

impl SessionRequest {
    /// One hop of a chain: only the last hop carries a session policy, the
    /// hops before it only assume the next role.
    fn from_role(s: &RoleSession) -> Self {
        SessionRequest {
            role_arn: s.arn.clone(),
            session_name: s.session_name.clone(),
            external_id: s.external_id.clone(),
            duration: s.duration,
            tags: s.tags.clone(),
            source_identity: s.source_identity.clone(),
            policy: None,
            mfa_serial: s.mfa_serial.as_ref().map(ToString::to_string),
            via: s
                .via
                .as_deref()
                .map(|v| Box::new(SessionRequest::from_role(v))),
        }
    }

    /// A request with the required parts and defaults for the rest.
    pub fn new(role_arn: RoleArn, session_name: SessionName) -> Self {
        SessionRequest {
            role_arn,
            session_name,
            external_id: None,
            duration: Duration::ONE_HOUR,
            tags: SessionTags::default(),
            source_identity: None,
            policy: None,
            mfa_serial: None,
            via: None,
        }
    }

    fn describe_into(&self, out: &mut serde_json::Map<String, serde_json::Value>) {
        use serde_json::json;
        out.insert("role_arn".into(), json!(self.role_arn.as_str()));
        out.insert("session_name".into(), json!(self.session_name.as_str()));
        out.insert(
            "external_id".into(),
            json!(self.external_id.as_ref().map(|x| x.as_str())),
        );
        out.insert("duration".into(), json!(self.duration.as_secs()));
        out.insert("tags".into(), json!(self.tags.iter().collect::<Vec<_>>()));
        out.insert(
            "source_identity".into(),
            json!(self.source_identity.as_ref().map(|x| x.as_str())),
        );
        out.insert("policy".into(), json!(self.policy));
        out.insert("mfa_serial".into(), json!(self.mfa_serial));
        if let Some(v) = &self.via {
            let mut inner = serde_json::Map::new();
            v.describe_into(&mut inner);
            out.insert("via".into(), serde_json::Value::Object(inner));
        }
    }
}

/// The identity the first AssumeRole starts from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BaseIdentity {
    /// The standard aws-config chain (environment, profiles and SSO, web
    /// identity file, ECS, instance metadata), optionally from a named profile.
    DefaultChain {
        /// `--profile`.
        profile: Option<String>,
    },
    /// AssumeRoleWithWebIdentity with a CI job's token.
    WebIdentity(WebIdentitySource),
}

impl BaseIdentity {
    /// What to start from for a config's `identity` blocks in this
    /// environment: the first web identity whose token is on offer here (in
    /// that CI system: GitHub's `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`,
    /// `TFC_WORKLOAD_IDENTITY_TOKEN`, the named variable, or a regular
    /// file at the named path), else the default
    /// chain with `profile`. So one `tfroles.hcl` serves laptops and CI
    /// alike; `--web-identity` and `--profile` are the binary's overrides.
    pub fn choose(
        identities: &[tfroles_core::Identity],
        profile: Option<String>,
        env: &Env,
    ) -> BaseIdentity {
        identities
            .iter()
            .filter_map(|i| i.source())
            .find(|s| crate::oidc::available(s, env))
            .map_or(BaseIdentity::DefaultChain { profile }, |s| {
                BaseIdentity::WebIdentity(s.clone())
            })
    }

    /// What distinguishes this identity from another without asking AWS
    /// or the network: for the default chain, everything the SDK reads to
    /// decide who it is (the variables, files and SSO logins listed in the cache section of docs/credentials.md); for a CI token, the
    /// token source with a digest of the token. Secrets enter it only as
    /// SHA-256 digests.
    pub fn fingerprint(&self, env: &Env) -> String {
        match self {
            BaseIdentity::DefaultChain { profile } => chain_fingerprint(profile.as_deref(), env),
            BaseIdentity::WebIdentity(WebIdentitySource::GitHub { audience }) => format!(
                "github:{audience}:{}:{}",
                // The request URL names the workflow run: runs never share.
                env.get("ACTIONS_ID_TOKEN_REQUEST_URL").unwrap_or_default(),
                digest(
                    &env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
                        .unwrap_or_default()
                )
            ),
            // The token names the CI job (its `sub`): jobs that share a
            // runner and a cache must not share one job's sessions, so its
            // digest is part of the identity. (GitHub's token is fetched
            // over the network; its per-run request URL stands in above.)
            BaseIdentity::WebIdentity(s) => {
                let token = match s {
                    WebIdentitySource::Env { var } => env.non_empty(var),
                    WebIdentitySource::TerraformCloud => {
                        env.non_empty("TFC_WORKLOAD_IDENTITY_TOKEN")
                    }
                    WebIdentitySource::File { path } => crate::oidc::read_token_file(path).ok(),
                    WebIdentitySource::GitHub { .. } => None,
                };
                format!(
                    "web-identity:{}:{}",
                    s.describe(),
                    digest(token.unwrap_or_default().trim())
                )
            }
        }
    }
}

/// Variables the SDK reads to pick the base identity when the environment
/// holds no keys, taken as they are.
const CHAIN_VARIABLES: &[&str] = &[
    // An id without a secret is no identity to the SDK, but costs nothing.
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "HOME",
];

/// The largest AWS config or credentials file digested; bigger ones are
/// named as such, not read.
const AWS_FILE_LIMIT: u64 = 1024 * 1024;

/// Everything the default chain decides its identity from, read locally,
/// in the chain's own order.
///
/// Keys in the environment come first in every SDK and decide alone: the
/// access key id and digests of the secret key and session token. Without
/// them: the profile name; the contents (by SHA-256) of the config and
/// credentials files and of the web identity token file, since another
/// file, or the same file edited, can mean another identity (keys,
/// `credential_process`, `role_arn`, `sso_session`); the SSO token cache's
/// listing (name, size, modification time), which changes with every
/// `aws sso login`, so that logging in as someone else is another
/// identity; the web identity and container variables (digesting their
/// token). This costs a few small reads and no network; an unneeded miss
/// costs one STS call, a wrong hit hands out someone else's session.
pub(crate) fn chain_fingerprint(profile: Option<&str>, env: &Env) -> String {
    let mut out = String::from("chain");
    let mut add = |k: &str, v: &str| {
        out.push('\n');
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    };
    add("--profile", profile.unwrap_or_default());
    if let (Some(id), Some(secret)) = (
        env.non_empty("AWS_ACCESS_KEY_ID"),
        env.non_empty("AWS_SECRET_ACCESS_KEY"),
    ) {
        add("AWS_ACCESS_KEY_ID", &id);
        add("AWS_SECRET_ACCESS_KEY", &digest(&secret));
        add(
            "AWS_SESSION_TOKEN",
            &digest(&env.get("AWS_SESSION_TOKEN").unwrap_or_default()),
        );
        return out;
    }
    for name in CHAIN_VARIABLES {
        add(name, &env.get(name).unwrap_or_default());
    }
    if let Some(v) = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
        add("AWS_CONTAINER_AUTHORIZATION_TOKEN", &digest(&v));
    }
    let home = env.non_empty("HOME").map(std::path::PathBuf::from);
    // The SDKs expand a leading `~/` in these variables.
    let path = |var: &str, default: &str| -> Option<std::path::PathBuf> {
        match env.non_empty(var) {
            Some(p) => match (p.strip_prefix("~/"), &home) {
                (Some(rest), Some(h)) => Some(h.join(rest)),
                _ => Some(p.into()),
            },
            None if default.is_empty() => None,
            None => home.as_ref().map(|h| h.join(default)),
        }
    };
    for (label, var, default) in [
        ("config", "AWS_CONFIG_FILE", ".aws/config"),
        (
            "credentials",
            "AWS_SHARED_CREDENTIALS_FILE",
            ".aws/credentials",
        ),
        ("web-identity-token", "AWS_WEB_IDENTITY_TOKEN_FILE", ""),
    ] {
        if let Some(p) = path(var, default) {
            add(label, &file_identity(&p));
        }
    }
    if let Some(h) = &home {
        add("sso-cache", &sso_cache_identity(&h.join(".aws/sso/cache")));
    }
    out
}

/// A file's path and the SHA-256 of its contents, or why it has none. The
/// SDKs follow links to these files (dotfile managers make them links),
/// so this does too; a FIFO or a device is not read.
fn file_identity(path: &std::path::Path) -> String {
    let state = match tfroles_fs::read_regular(path, tfroles_fs::Links::Follow, AWS_FILE_LIMIT) {
        Ok(bytes) => hex(&Sha256::digest(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "absent".into(),
        Err(e) => format!("unread ({e})"),
    };
    format!("{}:{state}", path.display())
}

/// The SSO token cache's entries (name, size, modification time), sorted.
fn sso_cache_identity(dir: &std::path::Path) -> String {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return "absent".into();
    };
    let mut seen: Vec<String> = entries
        .flatten()
        .take(1000)
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            let t = m
                .modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?;
            Some(format!(
                "{}:{}:{}",
                e.file_name().to_string_lossy(),
                m.len(),
                t.as_nanos()
            ))
        })
        .collect();
    seen.sort();
    digest(&seen.join("\n"))
}

/// The short digest of the base identity's fingerprint that `tfroles
/// cache list` shows: enough to tell base identities apart, nothing to
/// recover them from.
pub(crate) fn base_digest(base: &BaseIdentity, env: &Env) -> String {
    digest(&base.fingerprint(env))[..12].to_owned()
}

pub(crate) fn digest(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The cache key: SHA-256 over every parameter that changes the session,
/// the base identity's fingerprint, and the STS endpoint, so that one
/// identity's (or one server's) credentials never serve another.
pub fn cache_key(request: &SessionRequest, base: &BaseIdentity, env: &Env) -> String {
    cache_key_of(&request.description(), base, env)
}

impl SessionRequest {
    /// Every parameter that changes the session, as the cache key hashes
    /// them (the hit index stores this, so that a hit recomputes the key
    /// with [`cache_key_of`] without loading the config).
    pub fn description(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut desc = serde_json::Map::new();
        self.describe_into(&mut desc);
        desc
    }
}

/// [`cache_key`] from a request's [`SessionRequest::description`].
pub fn cache_key_of(
    request: &serde_json::Map<String, serde_json::Value>,
    base: &BaseIdentity,
    env: &Env,
) -> String {
    let mut desc = request.clone();
    desc.insert("v".into(), 2.into());
    desc.insert("base".into(), base.fingerprint(env).into());
    desc.insert(
        "endpoint".into(),
        env.get("AWS_ENDPOINT_URL_STS")
            .or_else(|| env.get("AWS_ENDPOINT_URL"))
            .unwrap_or_default()
            .into(),
    );
    hex(&Sha256::digest(
        serde_json::Value::Object(desc).to_string().as_bytes(),
    ))
}

#[cfg(test)]
mod tests {

    /// A configured CI identity is chosen where its token is on offer and
    /// only there; otherwise the default chain, with the profile given.
    #[test]
    fn choose_takes_the_ci_identity_whose_token_is_on_offer() {
        let config = tfroles_core::Config::from_str(
            r#"
            defaults { region = "us-east-1" }
            account "shared" { id = "111111111111" }
            state {
              account = "shared"
              bucket  = "acme-terraform-state"
              role    = "terraform-state"
            }
            role "terraform-state" { account = "shared" }
            identity "gitlab" { web_identity = "env:GITLAB_OIDC_TOKEN" }
            identity "github" { web_identity = "github" }
            "#,
        )
        .unwrap();
        let ids = config.identities();
        let laptop = Env::from_pairs([("HOME", "/home/me")]);
        assert_eq!(
            BaseIdentity::choose(ids, Some("dev".into()), &laptop),
            BaseIdentity::DefaultChain {
                profile: Some("dev".into())
            }
        );
        let github = Env::from_pairs([
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://token.example/x"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t"),
        ]);
        assert_eq!(
            BaseIdentity::choose(ids, None, &github),
            BaseIdentity::WebIdentity(WebIdentitySource::GitHub {
                audience: "sts.amazonaws.com".into()
            })
        );
        // An empty variable is no token.
        let gitlab = Env::from_pairs([("GITLAB_OIDC_TOKEN", "")]);
        assert_eq!(
            BaseIdentity::choose(ids, None, &gitlab),
            BaseIdentity::DefaultChain { profile: None }
        );
    }

    use super::*;

    fn req() -> SessionRequest {
        SessionRequest::new(
            "arn:aws:iam::111111111111:role/x".parse().unwrap(),
            "s1".parse().unwrap(),
        )
    }

    #[test]
    fn every_session_parameter_changes_the_key() {
        let env = Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKIA1")]);
        let base = BaseIdentity::DefaultChain { profile: None };
        let k = |r: &SessionRequest| cache_key(r, &base, &env);
        let plain = k(&req());
        assert_eq!(plain, k(&req()), "stable");
        assert_eq!(plain.len(), 64);
        let mut variants = Vec::new();
        let mut r = req();
        r.external_id = Some("e1".parse().unwrap());
        variants.push(r);
        let mut r = req();
        r.session_name = "s2".parse().unwrap();
        variants.push(r);
        let mut r = req();
        r.duration = "2h".parse().unwrap();
        variants.push(r);
        let mut r = req();
        r.tags = tfroles_core::types::SessionTags::new(vec![("a".into(), "b".into())]).unwrap();
        variants.push(r);
        let mut r = req();
        r.source_identity = Some("me".parse().unwrap());
        variants.push(r);
        let mut r = req();
        r.policy = Some("{}".into());
        variants.push(r);
        let mut r = req();
        r.mfa_serial = Some("arn:aws:iam::1:mfa/me".into());
        variants.push(r);
        let mut r = req();
        r.via = Some(Box::new(req()));
        variants.push(r);
        let mut keys: Vec<String> = variants.iter().map(k).collect();
        keys.push(plain);
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "every variant has its own key");
    }

    #[test]
    fn the_base_identity_and_endpoint_change_the_key() {
        let base = BaseIdentity::DefaultChain { profile: None };
        let a = cache_key(
            &req(),
            &base,
            &Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKIA1")]),
        );
        let b = cache_key(
            &req(),
            &base,
            &Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKIA2")]),
        );
        let c = cache_key(
            &req(),
            &base,
            &Env::from_pairs([
                ("AWS_ACCESS_KEY_ID", "AKIA1"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1"),
            ]),
        );
        let d = cache_key(
            &req(),
            &BaseIdentity::WebIdentity(WebIdentitySource::TerraformCloud),
            &Env::default(),
        );
        let mut all = vec![a, b, c, d];
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn another_ci_token_is_another_identity() {
        let base = BaseIdentity::WebIdentity(WebIdentitySource::Env { var: "T".into() });
        let a = base.fingerprint(&Env::from_pairs([("T", "eyJ.a.sig")]));
        let b = base.fingerprint(&Env::from_pairs([("T", "eyJ.b.sig")]));
        assert_ne!(a, b);
        assert_eq!(
            a,
            base.fingerprint(&Env::from_pairs([("T", "eyJ.a.sig\n")]))
        );
        assert!(a.starts_with("web-identity:env:T:"), "{a}");
        assert!(!a.contains("eyJ"), "the token itself never enters it: {a}");
    }

    #[test]
    fn the_secret_key_does_not_enter_the_fingerprint() {
        let env = Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "AKIA1"),
            ("AWS_SECRET_ACCESS_KEY", "topsecret"),
            ("AWS_SESSION_TOKEN", "sessiontoken"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "containertoken"),
        ]);
        let f = BaseIdentity::DefaultChain { profile: None }.fingerprint(&env);
        for secret in ["topsecret", "sessiontoken", "containertoken"] {
            assert!(!f.contains(secret), "{f}");
        }
        assert!(f.contains("\nAWS_ACCESS_KEY_ID=AKIA1\n"), "{f}");
        // With keys in the environment, nothing else decides who it is.
        let other = Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "AKIA1"),
            ("AWS_SECRET_ACCESS_KEY", "topsecret"),
            ("AWS_SESSION_TOKEN", "sessiontoken"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "containertoken"),
            ("AWS_PROFILE", "elsewhere"),
            ("AWS_CONFIG_FILE", "/elsewhere"),
        ]);
        assert_eq!(
            f,
            BaseIdentity::DefaultChain { profile: None }.fingerprint(&other)
        );
        assert!(
            f.contains(&format!("\nAWS_SECRET_ACCESS_KEY={}", digest("topsecret"))),
            "{f}"
        );
    }

    /// Two of each thing the SDK would decide its identity from, with
    /// nothing else set (no `AWS_ACCESS_KEY_ID`): every one is its own key.
    #[test]
    fn every_base_identity_the_sdk_could_use_has_its_own_key() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        std::fs::create_dir_all(home.join(".aws/sso/cache")).unwrap();
        let home_s = home.to_str().unwrap().to_owned();
        let file = |name: &str, text: &str| {
            let p = tmp.path().join(name);
            std::fs::write(&p, text).unwrap();
            p.to_str().unwrap().to_owned()
        };
        let creds_a = file("creds-a", "[default]\naws_access_key_id = AKIDA\n");
        let creds_b = file("creds-b", "[default]\naws_access_key_id = AKIDB\n");
        let config_a = file("config-a", "[profile p]\nsso_session = alice\n");
        let config_b = file("config-b", "[profile p]\nsso_session = bob\n");
        let token_a = file("token-a", "eyJ.a.sig");
        let token_b = file("token-b", "eyJ.b.sig");
        let base: Vec<(&str, &str)> = vec![("HOME", &home_s)];
        let with = |extra: &[(&'static str, &str)]| {
            let mut pairs = base.clone();
            pairs.extend_from_slice(extra);
            Env::from_pairs(pairs)
        };
        let chain = BaseIdentity::DefaultChain { profile: None };
        let key = |b: &BaseIdentity, e: &Env| cache_key(&req(), b, e);
        let mut keys = vec![
            key(&chain, &with(&[])),
            key(
                &chain,
                &with(&[
                    ("AWS_ACCESS_KEY_ID", "AKIDA"),
                    ("AWS_SECRET_ACCESS_KEY", "s1"),
                ]),
            ),
            key(
                &chain,
                &with(&[
                    ("AWS_ACCESS_KEY_ID", "AKIDB"),
                    ("AWS_SECRET_ACCESS_KEY", "s1"),
                ]),
            ),
            key(
                &chain,
                &with(&[
                    ("AWS_ACCESS_KEY_ID", "AKIDA"),
                    ("AWS_SECRET_ACCESS_KEY", "s2"),
                ]),
            ),
            key(
                &chain,
                &with(&[
                    ("AWS_ACCESS_KEY_ID", "AKIDA"),
                    ("AWS_SECRET_ACCESS_KEY", "s1"),
                    ("AWS_SESSION_TOKEN", "t1"),
                ]),
            ),
            key(&chain, &with(&[("AWS_PROFILE", "a")])),
            key(&chain, &with(&[("AWS_PROFILE", "b")])),
            key(
                &BaseIdentity::DefaultChain {
                    profile: Some("a".into()),
                },
                &with(&[]),
            ),
            key(
                &BaseIdentity::DefaultChain {
                    profile: Some("b".into()),
                },
                &with(&[]),
            ),
            key(&chain, &with(&[("AWS_SHARED_CREDENTIALS_FILE", &creds_a)])),
            key(&chain, &with(&[("AWS_SHARED_CREDENTIALS_FILE", &creds_b)])),
            key(
                &chain,
                &with(&[("AWS_PROFILE", "p"), ("AWS_CONFIG_FILE", &config_a)]),
            ),
            key(
                &chain,
                &with(&[("AWS_PROFILE", "p"), ("AWS_CONFIG_FILE", &config_b)]),
            ),
            key(
                &chain,
                &with(&[
                    ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_a),
                    ("AWS_ROLE_ARN", "arn:aws:iam::1:role/w"),
                ]),
            ),
            key(
                &chain,
                &with(&[
                    ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_b),
                    ("AWS_ROLE_ARN", "arn:aws:iam::1:role/w"),
                ]),
            ),
            key(
                &chain,
                &with(&[
                    ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_a),
                    ("AWS_ROLE_ARN", "arn:aws:iam::1:role/v"),
                ]),
            ),
            key(
                &chain,
                &with(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/a")]),
            ),
            key(
                &chain,
                &with(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/b")]),
            ),
            key(
                &chain,
                &with(&[
                    ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/a"),
                    ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "x"),
                ]),
            ),
            key(
                &chain,
                &with(&[(
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "/v2/credentials/a",
                )]),
            ),
            key(
                &chain,
                &with(&[(
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "/v2/credentials/b",
                )]),
            ),
        ];
        // The default files in HOME, edited: another identity.
        std::fs::create_dir_all(home.join(".aws")).unwrap();
        std::fs::write(
            home.join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDC\n",
        )
        .unwrap();
        keys.push(key(&chain, &with(&[])));
        std::fs::write(
            home.join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDD\n",
        )
        .unwrap();
        keys.push(key(&chain, &with(&[])));
        // Two SSO logins: the token cache changes.
        std::fs::write(
            home.join(".aws/sso/cache/0123.json"),
            "{\"accessToken\": \"alice\"}",
        )
        .unwrap();
        keys.push(key(&chain, &with(&[])));
        std::fs::write(
            home.join(".aws/sso/cache/0123.json"),
            "{\"accessToken\": \"bob-and-more\"}",
        )
        .unwrap();
        keys.push(key(&chain, &with(&[])));
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "every identity has its own key");

        // Nothing changed: the same key, so hits stay hits.
        let e = with(&[("AWS_SHARED_CREDENTIALS_FILE", &creds_a)]);
        assert_eq!(key(&chain, &e), key(&chain, &e));
    }
}
