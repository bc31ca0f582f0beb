//! Credentials and the secrets inside them.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A secret string. It has no `Display`, and its `Debug` prints
/// `** redacted **`, so it cannot reach a log line or an error by accident;
/// [`Secret::expose`] is the one way out, and is grep-able.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for the one place that must print it: the
    /// `credential_process` answer on stdout, or the child's environment.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

/// Temporary credentials for one role session.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Credentials {
    /// The access key id: not a secret, and what logs may name.
    #[serde(rename = "AccessKeyId")]
    pub access_key_id: String,
    /// The secret access key.
    #[serde(rename = "SecretAccessKey")]
    pub secret_access_key: Secret,
    /// The session token.
    #[serde(rename = "SessionToken")]
    pub session_token: Secret,
    /// When they stop working.
    #[serde(rename = "Expiration", with = "rfc3339")]
    pub expiration: Timestamp,
}

/// The `credential_process` answer: what AWS SDKs and the CLI read.
#[derive(Serialize)]
struct ProcessOutput<'a> {
    #[serde(rename = "Version")]
    version: u8,
    #[serde(flatten)]
    credentials: &'a Credentials,
}

impl Credentials {
    /// The exact `credential_process` JSON: `Version` 1, the keys, and
    /// `Expiration` in RFC 3339 UTC with whole seconds.
    pub fn to_process_json(&self) -> String {
        serde_json::to_string(&ProcessOutput {
            version: 1,
            credentials: self,
        })
        .expect("credentials serialise")
    }

    /// Time left until expiry, negative when expired.
    pub fn remaining(&self, now: Timestamp) -> jiff::SignedDuration {
        self.expiration.duration_since(now)
    }
}

/// Expiration as RFC 3339 in UTC, whole seconds (`2026-11-21T12:00:00Z`):
/// what the `credential_process` contract and every SDK parse.
pub(crate) mod rfc3339 {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn format(t: &Timestamp) -> String {
        let secs = Timestamp::from_second(t.as_second()).unwrap_or(*t);
        secs.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG"),
            session_token: Secret::new("FwoGZXIvYXdzEJr"),
            expiration: "2026-11-21T12:00:00.250Z".parse().unwrap(),
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let d = format!("{:?} {:#?}", creds(), creds());
        assert!(!d.contains("wJalrXUtnFEMI"), "{d}");
        assert!(!d.contains("FwoGZXIvYXdzEJr"), "{d}");
        assert!(d.contains("ASIAEXAMPLE"));
        assert!(d.contains("** redacted **"));
    }

    #[test]
    fn process_json_is_the_contract() {
        assert_eq!(
            creds().to_process_json(),
            r#"{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG","SessionToken":"FwoGZXIvYXdzEJr","Expiration":"2026-11-21T12:00:00Z"}"#
        );
    }

    #[test]
    fn round_trips_through_json() {
        let c = creds();
        let back: Credentials = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back.expiration.as_second(), c.expiration.as_second());
        assert_eq!(back.secret_access_key, c.secret_access_key);
    }
}
