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

    /// The first role of the chain: the one assumed with the base identity.
    pub fn first_hop(&self) -> &SessionRequest {
        match &self.via {
            Some(v) => v.first_hop(),
            None => self,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// What distinguishes this identity from another without asking AWS:
    /// the access key id when the environment holds keys, else the profile,
    /// else the token source (with a digest of the token, when it can be
    /// read without the network). Secrets never enter it.
    pub fn fingerprint(&self, env: &Env) -> String {
        match self {
            BaseIdentity::DefaultChain { profile: Some(p) } => format!(
                "profile:{p}:{}",
                env.get("AWS_CONFIG_FILE").unwrap_or_default()
            ),
            BaseIdentity::DefaultChain { profile: None } => {
                if let Some(key) = env.non_empty("AWS_ACCESS_KEY_ID") {
                    format!("key:{key}")
                } else if let Some(p) = env.non_empty("AWS_PROFILE") {
                    format!(
                        "profile:{p}:{}",
                        env.get("AWS_CONFIG_FILE").unwrap_or_default()
                    )
                } else if let Some(f) = env.non_empty("AWS_WEB_IDENTITY_TOKEN_FILE") {
                    format!(
                        "web-identity-file:{f}:{}",
                        env.get("AWS_ROLE_ARN").unwrap_or_default()
                    )
                } else {
                    "default-chain".into()
                }
            }
            BaseIdentity::WebIdentity(WebIdentitySource::GitHub { audience }) => format!(
                "github:{audience}:{}",
                // The request URL names the workflow run: runs never share.
                env.get("ACTIONS_ID_TOKEN_REQUEST_URL").unwrap_or_default()
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
                    WebIdentitySource::File { path } => std::fs::read_to_string(path).ok(),
                    WebIdentitySource::GitHub { .. } => None,
                };
                let digest = Sha256::digest(token.unwrap_or_default().trim().as_bytes());
                format!("web-identity:{}:{}", s.describe(), hex(&digest))
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The cache key: SHA-256 over every parameter that changes the session,
/// the base identity's fingerprint, and the STS endpoint, so that one
/// identity's (or one server's) credentials never serve another.
pub fn cache_key(request: &SessionRequest, base: &BaseIdentity, env: &Env) -> String {
    let mut desc = serde_json::Map::new();
    desc.insert("v".into(), 1.into());
    request.describe_into(&mut desc);
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
        ]);
        let f = BaseIdentity::DefaultChain { profile: None }.fingerprint(&env);
        assert!(!f.contains("topsecret"));
        assert_eq!(f, "key:AKIA1");
    }
}
