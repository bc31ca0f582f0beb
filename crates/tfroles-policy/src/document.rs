//! IAM policy documents as data, and their canonical JSON.
//!
//! # The JSON this module writes
//!
//! - Keys in AWS's customary order: `Version`, `Id`, `Statement`; in a
//!   statement `Sid`, `Effect`, `Principal`, `Action`/`NotAction`,
//!   `Resource`/`NotResource`, `Condition`. Principal types are written in
//!   alphabetical order (`AWS`, `CanonicalUser`, `Federated`, `Service`);
//!   condition operators and keys in byte order (they are `BTreeMap`s).
//! - **One rule for lists of strings**, everywhere (actions, resources,
//!   principal ids, condition values): a list of exactly one element is
//!   written as a plain string, any other list as an array. That is how AWS
//!   writes its own managed policies, and it keeps session policies (2,048
//!   characters) as short as they can be.
//! - `Statement` is always an array, even of one statement.
//! - Lists keep the order they were built with: the generator decides it.
//! - Empty `Condition` and absent `Sid`, `Id`, `Principal` and `Resource`
//!   are left out.
//! - In the compact form, characters above U+00FF are written as `\uXXXX`
//!   escapes: IAM and STS take policy text only in Latin-1 (their pattern
//!   `[\u0009\u000A\u000D\u0020-\u00FF]+`), and read the escapes back as
//!   the characters.
//!
//! # What this module reads
//!
//! JSON as AWS accepts it: a string or an array wherever a list goes; a
//! single statement object or an array of them; `"Principal": "*"`;
//! condition values as strings, booleans or numbers (kept as their text, so
//! `true` is read as `"true"`, which is how IAM compares them). A missing
//! `Version` means `2008-10-17`, as in IAM. Unknown keys, `NotPrincipal`,
//! both `Action` and `NotAction` in one statement and the like are errors
//! naming the place, like `Statement[1].Effect`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::Error;

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Version {
    /// `2012-10-17`, the current one (with policy variables).
    #[default]
    V2012_10_17,
    /// `2008-10-17`, the original one; also what a missing `Version` means.
    V2008_10_17,
}

impl Version {
    /// The version as written in a document.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2012_10_17 => "2012-10-17",
            Self::V2008_10_17 => "2008-10-17",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IAM policy document: identity, session or trust policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyDocument {
    /// `Version`.
    pub version: Version,
    /// `Id`, rarely used.
    pub id: Option<String>,
    /// `Statement`, in order.
    pub statements: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

impl Effect {
    /// The effect as written in a document.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Deny => "Deny",
        }
    }
}

/// `Action` or `NotAction`: patterns like `s3:Get*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actions {
    /// The statement applies to these actions.
    Action(Vec<String>),
    /// The statement applies to every action except these.
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource`: ARN patterns, or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resources {
    /// The statement applies to these resources.
    Resource(Vec<String>),
    /// The statement applies to every resource except these.
    NotResource(Vec<String>),
}

/// `Principal`, as found in trust and other resource-based policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"Principal": "*"`: anyone.
    Anyone,
    /// `"Principal": {"AWS": ..., "Service": ..., ...}`; empty lists are
    /// left out when written.
    Ids {
        /// `AWS`: account ids, account root ARNs, role or user ARNs, `*`.
        aws: Vec<String>,
        /// `CanonicalUser`: S3 canonical user ids.
        canonical_user: Vec<String>,
        /// `Federated`: OIDC or SAML provider ARNs, or `cognito-identity.amazonaws.com`.
        federated: Vec<String>,
        /// `Service`: like `ec2.amazonaws.com`.
        service: Vec<String>,
    },
}

/// `Condition`: operator (like `StringEquals` or
/// `ForAnyValue:StringLike`) to condition key to values.
pub type Conditions = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// One statement of a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal`; only in trust and other resource-based policies.
    pub principal: Option<Principal>,
    /// `Action` or `NotAction`.
    pub action: Actions,
    /// `Resource` or `NotResource`; `None` only in trust policies, which
    /// have none.
    pub resource: Option<Resources>,
    /// `Condition`; empty when there is none.
    pub condition: Conditions,
}

impl Statement {
    /// An `Allow` statement for these actions on these resources.
    pub fn allow<A, R>(actions: A, resources: R) -> Self
    where
        A: IntoIterator,
        A::Item: Into<String>,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        Self::new(Effect::Allow, actions, resources)
    }

    /// A `Deny` statement for these actions on these resources.
    pub fn deny<A, R>(actions: A, resources: R) -> Self
    where
        A: IntoIterator,
        A::Item: Into<String>,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        Self::new(Effect::Deny, actions, resources)
    }

    fn new<A, R>(effect: Effect, actions: A, resources: R) -> Self
    where
        A: IntoIterator,
        A::Item: Into<String>,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        Self {
            sid: None,
            effect,
            principal: None,
            action: Actions::Action(actions.into_iter().map(Into::into).collect()),
            resource: Some(Resources::Resource(
                resources.into_iter().map(Into::into).collect(),
            )),
            condition: Conditions::new(),
        }
    }

    /// The same statement with this `Sid`.
    #[must_use]
    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// The same statement with one more condition: `operator` on `key` with
    /// these values (added to any values the key already has there).
    #[must_use]
    pub fn with_condition<V>(
        mut self,
        operator: impl Into<String>,
        key: impl Into<String>,
        values: V,
    ) -> Self
    where
        V: IntoIterator,
        V::Item: Into<String>,
    {
        self.condition
            .entry(operator.into())
            .or_default()
            .entry(key.into())
            .or_default()
            .extend(values.into_iter().map(Into::into));
        self
    }
}

/// AWS's size limits on policy documents, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SizeLimit {
    /// A customer managed policy: 6,144 characters, whitespace not counted.
    ManagedPolicy,
    /// All inline policies of one role together: 10,240 characters,
    /// whitespace not counted.
    InlineRolePolicies,
    /// A session policy passed to AssumeRole: 2,048 characters of plain
    /// text. STS also checks a *packed* (compressed, together with session
    /// tags) size that cannot be computed here; the plain-text check is the
    /// one that can.
    SessionPolicy,
}

impl SizeLimit {
    /// The limit in characters.
    #[must_use]
    pub const fn max_chars(self) -> usize {
        match self {
            Self::ManagedPolicy => 6_144,
            Self::InlineRolePolicies => 10_240,
            Self::SessionPolicy => 2_048,
        }
    }

    /// Checks the combined compact length of `documents` (one document for
    /// a managed or session policy; all of a role's inline policies for
    /// [`SizeLimit::InlineRolePolicies`]) and returns it.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] naming this limit when the total is over it.
    pub fn check(self, documents: &[PolicyDocument]) -> Result<usize, Error> {
        let length = documents.iter().map(PolicyDocument::compact_len).sum();
        if length > self.max_chars() {
            return Err(Error::TooLarge {
                limit: self,
                length,
                max: self.max_chars(),
            });
        }
        Ok(length)
    }
}

impl fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ManagedPolicy => "managed policy",
            Self::InlineRolePolicies => "inline role policies (all together)",
            Self::SessionPolicy => "session policy",
        })
    }
}

impl PolicyDocument {
    /// A `2012-10-17` document with these statements.
    #[must_use]
    pub fn new(statements: Vec<Statement>) -> Self {
        Self {
            version: Version::V2012_10_17,
            id: None,
            statements,
        }
    }

    /// Reads a document as AWS accepts it (see the module docs).
    ///
    /// # Errors
    ///
    /// [`Error::Json`] for text that is not JSON, [`Error::Document`] naming
    /// the place for JSON that is not a policy document.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text).map_err(|source| Error::Json { source })?;
        Self::from_value(&value)
    }

    /// Reads a document from already-parsed JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Document`] naming the place for JSON that is not a policy
    /// document.
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        parse::document(value)
    }

    /// Canonical JSON, two-space indented, no trailing newline.
    #[must_use]
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a policy document is only maps and strings")
    }

    /// Canonical JSON without any whitespace between tokens: what size
    /// limits are checked against and what is sent as a session policy.
    #[must_use]
    pub fn to_json_compact(&self) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, Latin1);
        self.serialize(&mut ser)
            .expect("a policy document is only maps and strings");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Characters (not bytes) of [`PolicyDocument::to_json_compact`]. AWS
    /// does not count whitespace, so this is never below AWS's count: a
    /// conservative check.
    #[must_use]
    pub fn compact_len(&self) -> usize {
        self.to_json_compact().chars().count()
    }

    /// Checks this one document against `limit` and returns its compact
    /// length.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] naming the limit when the document is over it.
    pub fn check_size(&self, limit: SizeLimit) -> Result<usize, Error> {
        limit.check(std::slice::from_ref(self))
    }
}

/// serde_json's compact layout, with every character above U+00FF
/// escaped (as a UTF-16 surrogate pair above U+FFFF), as AWS's policy
/// parameters require.
struct Latin1;

impl serde_json::ser::Formatter for Latin1 {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if u32::from(c) > 0xFF {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{u:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

impl FromStr for PolicyDocument {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::from_json(text)
    }
}

impl fmt::Display for PolicyDocument {
    /// The pretty canonical JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json_pretty())
    }
}

/// A list written by the one-element rule.
struct List<'a>(&'a [String]);

impl Serialize for List<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let [one] = self.0 {
            return serializer.serialize_str(one);
        }
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Version", self.version.as_str())?;
        if let Some(id) = &self.id {
            map.serialize_entry("Id", id)?;
        }
        map.serialize_entry("Statement", &self.statements)?;
        map.end()
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("Sid", sid)?;
        }
        map.serialize_entry("Effect", self.effect.as_str())?;
        if let Some(principal) = &self.principal {
            map.serialize_entry("Principal", principal)?;
        }
        match &self.action {
            Actions::Action(list) => map.serialize_entry("Action", &List(list))?,
            Actions::NotAction(list) => map.serialize_entry("NotAction", &List(list))?,
        }
        match &self.resource {
            Some(Resources::Resource(list)) => map.serialize_entry("Resource", &List(list))?,
            Some(Resources::NotResource(list)) => {
                map.serialize_entry("NotResource", &List(list))?;
            }
            None => {}
        }
        if !self.condition.is_empty() {
            map.serialize_entry("Condition", &ConditionsJson(&self.condition))?;
        }
        map.end()
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Anyone => serializer.serialize_str("*"),
            Self::Ids {
                aws,
                canonical_user,
                federated,
                service,
            } => {
                let mut map = serializer.serialize_map(None)?;
                for (key, list) in [
                    ("AWS", aws),
                    ("CanonicalUser", canonical_user),
                    ("Federated", federated),
                    ("Service", service),
                ] {
                    if !list.is_empty() {
                        map.serialize_entry(key, &List(list))?;
                    }
                }
                map.end()
            }
        }
    }
}

struct ConditionsJson<'a>(&'a Conditions);

impl Serialize for ConditionsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (operator, keys) in self.0 {
            let keys: BTreeMap<&str, List<'_>> = keys
                .iter()
                .map(|(key, values)| (key.as_str(), List(values)))
                .collect();
            map.serialize_entry(operator, &keys)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PolicyDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_value(&value).map_err(serde::de::Error::custom)
    }
}

mod parse {
    //! JSON (as AWS accepts it) to the model, with errors naming the place.

    use serde_json::{Map, Value};

    use super::{
        Actions, Conditions, Effect, PolicyDocument, Principal, Resources, Statement, Version,
    };
    use crate::Error;

    fn error(path: &str, reason: impl Into<String>) -> Error {
        Error::Document {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }

    fn kind(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Error> {
        value
            .as_object()
            .ok_or_else(|| error(path, format!("expected an object, found {}", kind(value))))
    }

    fn string(value: &Value, path: &str) -> Result<String, Error> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| error(path, format!("expected a string, found {}", kind(value))))
    }

    fn only_keys(map: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), Error> {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                let hint = allowed
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(key))
                    .map_or_else(String::new, |known| format!(" (did you mean `{known}`?)"));
                return Err(error(
                    path,
                    format!(
                        "unknown key `{key}`{hint}; expected one of {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A string or an array of strings.
    fn string_list(value: &Value, path: &str) -> Result<Vec<String>, Error> {
        match value {
            Value::String(s) => Ok(vec![s.clone()]),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| string(item, &format!("{path}[{i}]")))
                .collect(),
            other => Err(error(
                path,
                format!(
                    "expected a string or an array of strings, found {}",
                    kind(other)
                ),
            )),
        }
    }

    /// Condition values: strings, booleans or numbers, alone or in an array.
    fn condition_values(value: &Value, path: &str) -> Result<Vec<String>, Error> {
        let scalar = |value: &Value, path: &str| match value {
            Value::String(s) => Ok(s.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(error(
                path,
                format!(
                    "expected a string, boolean or number, found {}",
                    kind(other)
                ),
            )),
        };
        match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| scalar(item, &format!("{path}[{i}]")))
                .collect(),
            other => Ok(vec![scalar(other, path)?]),
        }
    }

    pub(super) fn document(value: &Value) -> Result<PolicyDocument, Error> {
        let map = object(value, "(document)")?;
        only_keys(map, "(document)", &["Version", "Id", "Statement"])?;
        let version = match map.get("Version") {
            None => Version::V2008_10_17,
            Some(v) => match string(v, "Version")?.as_str() {
                "2012-10-17" => Version::V2012_10_17,
                "2008-10-17" => Version::V2008_10_17,
                other => {
                    return Err(error(
                        "Version",
                        format!("`{other}` is not a policy version; expected `2012-10-17`"),
                    ));
                }
            },
        };
        let id = map.get("Id").map(|v| string(v, "Id")).transpose()?;
        let statements = match map.get("Statement") {
            None => return Err(error("Statement", "missing")),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| statement(item, &format!("Statement[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(single @ Value::Object(_)) => vec![statement(single, "Statement")?],
            Some(other) => {
                return Err(error(
                    "Statement",
                    format!("expected an object or an array, found {}", kind(other)),
                ));
            }
        };
        Ok(PolicyDocument {
            version,
            id,
            statements,
        })
    }

    fn statement(value: &Value, path: &str) -> Result<Statement, Error> {
        let map = object(value, path)?;
        if map.contains_key("NotPrincipal") {
            return Err(error(
                &format!("{path}.NotPrincipal"),
                "NotPrincipal is not supported; name the principals in Principal instead",
            ));
        }
        only_keys(
            map,
            path,
            &[
                "Sid",
                "Effect",
                "Principal",
                "Action",
                "NotAction",
                "Resource",
                "NotResource",
                "Condition",
            ],
        )?;
        let sid = map
            .get("Sid")
            .map(|v| string(v, &format!("{path}.Sid")))
            .transpose()?;
        let effect = effect(map.get("Effect"), &format!("{path}.Effect"))?;
        let principal = map
            .get("Principal")
            .map(|v| principal(v, &format!("{path}.Principal")))
            .transpose()?;
        let action = actions(map, path)?;
        let resource = resources(map, path)?;
        let condition = map
            .get("Condition")
            .map(|v| conditions(v, &format!("{path}.Condition")))
            .transpose()?
            .unwrap_or_default();
        Ok(Statement {
            sid,
            effect,
            principal,
            action,
            resource,
            condition,
        })
    }

    fn effect(value: Option<&Value>, path: &str) -> Result<Effect, Error> {
        let Some(v) = value else {
            return Err(error(path, "missing"));
        };
        match string(v, path)?.as_str() {
            "Allow" => Ok(Effect::Allow),
            "Deny" => Ok(Effect::Deny),
            other => Err(error(path, format!("`{other}` is not `Allow` or `Deny`"))),
        }
    }

    /// `Action` or `NotAction`: exactly one of them.
    fn actions(map: &Map<String, Value>, path: &str) -> Result<Actions, Error> {
        match (map.get("Action"), map.get("NotAction")) {
            (Some(v), None) => Ok(Actions::Action(string_list(v, &format!("{path}.Action"))?)),
            (None, Some(v)) => Ok(Actions::NotAction(string_list(
                v,
                &format!("{path}.NotAction"),
            )?)),
            (Some(_), Some(_)) => Err(error(path, "has both Action and NotAction; keep one")),
            (None, None) => Err(error(path, "has neither Action nor NotAction")),
        }
    }

    /// `Resource` or `NotResource`: at most one of them (a trust policy
    /// has neither).
    fn resources(map: &Map<String, Value>, path: &str) -> Result<Option<Resources>, Error> {
        match (map.get("Resource"), map.get("NotResource")) {
            (Some(v), None) => Ok(Some(Resources::Resource(string_list(
                v,
                &format!("{path}.Resource"),
            )?))),
            (None, Some(v)) => Ok(Some(Resources::NotResource(string_list(
                v,
                &format!("{path}.NotResource"),
            )?))),
            (Some(_), Some(_)) => Err(error(path, "has both Resource and NotResource; keep one")),
            (None, None) => Ok(None),
        }
    }

    fn principal(value: &Value, path: &str) -> Result<Principal, Error> {
        if value.as_str() == Some("*") {
            return Ok(Principal::Anyone);
        }
        let map = object(value, path)?;
        only_keys(map, path, &["AWS", "CanonicalUser", "Federated", "Service"])?;
        let list = |key: &str| {
            map.get(key)
                .map(|v| string_list(v, &format!("{path}.{key}")))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        Ok(Principal::Ids {
            aws: list("AWS")?,
            canonical_user: list("CanonicalUser")?,
            federated: list("Federated")?,
            service: list("Service")?,
        })
    }

    fn conditions(value: &Value, path: &str) -> Result<Conditions, Error> {
        let mut out = Conditions::new();
        for (operator, keys) in object(value, path)? {
            let operator_path = format!("{path}.{operator}");
            let entry = out.entry(operator.clone()).or_default();
            for (key, values) in object(keys, &operator_path)? {
                entry.insert(
                    key.clone(),
                    condition_values(values, &format!("{operator_path}.{key}"))?,
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_json_is_latin1_and_reads_back() {
        let doc = PolicyDocument::new(vec![Statement::allow(
            ["s3:GetObject"],
            ["arn:aws:s3:::b/日本/café/\u{1F600}/\"q\""],
        )]);
        let json = doc.to_json_compact();
        assert!(json.chars().all(|c| u32::from(c) <= 0xFF), "{json}");
        assert!(
            json.contains(r#"b/\u65e5\u672c/café/\ud83d\ude00/\"q\""#),
            "{json}"
        );
        assert_eq!(PolicyDocument::from_json(&json).unwrap(), doc);
        assert_eq!(doc.compact_len(), json.chars().count());
    }

    #[test]
    fn one_element_lists_are_strings_and_others_arrays() {
        let doc = PolicyDocument::new(vec![
            Statement::allow(["s3:GetObject"], ["arn:aws:s3:::b/k"]),
            Statement::allow(["s3:GetObject", "s3:PutObject"], Vec::<String>::new()),
        ]);
        assert_eq!(
            doc.to_json_compact(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"},{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":[]}]}"#
        );
    }

    #[test]
    fn errors_name_the_place() {
        let err = PolicyDocument::from_json(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "policy document: `Statement[1].Effect`: `allow` is not `Allow` or `Deny`"
        );
        let err = PolicyDocument::from_json(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","action":"*","Resource":"*"}}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown key `action` (did you mean `Action`?)"),
            "{err}"
        );
        let err = PolicyDocument::from_json(
            r#"{"Statement":{"Effect":"Allow","Action":["s3:*",1],"Resource":"*"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "policy document: `Statement.Action[1]`: expected a string, found a number"
        );
        assert!(matches!(
            PolicyDocument::from_json("{"),
            Err(Error::Json { .. })
        ));
    }

    #[test]
    fn both_action_and_not_action_is_an_error() {
        let err = PolicyDocument::from_json(
            r#"{"Statement":{"Effect":"Deny","Action":"*","NotAction":"iam:*","Resource":"*"}}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("both Action and NotAction"),
            "{err}"
        );
    }

    #[test]
    fn size_limit_names_the_limit() {
        let many: Vec<String> = (0..200).map(|i| format!("s3:GetObjectNumber{i}")).collect();
        let doc = PolicyDocument::new(vec![Statement::allow(many, ["*"])]);
        let err = doc.check_size(SizeLimit::SessionPolicy).unwrap_err();
        let Error::TooLarge { limit, length, max } = &err else {
            panic!("{err}");
        };
        assert_eq!(*limit, SizeLimit::SessionPolicy);
        assert_eq!(*length, doc.compact_len());
        assert_eq!(*max, 2048);
        assert!(
            err.to_string()
                .contains("over the session policy limit of 2048")
        );
        assert_eq!(
            doc.check_size(SizeLimit::ManagedPolicy).unwrap(),
            doc.compact_len()
        );
    }
}
