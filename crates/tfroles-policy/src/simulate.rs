//! Deciding whether identity-based and session policies allow one request,
//! following AWS's documented evaluation logic for those two kinds.
//!
//! # The logic
//!
//! 1. An explicit `Deny` in any statement that applies, in any policy of
//!    either kind, denies.
//! 2. Otherwise the identity-based policies must allow the request, or it is
//!    implicitly denied.
//! 3. When session policies are given (a non-empty slice), they must allow it
//!    too; a session policy never grants anything on its own.
//!
//! A statement applies when its `Action`/`NotAction`, its
//! `Resource`/`NotResource` and every part of its `Condition` match.
//!
//! # Matching
//!
//! - Actions: `*` and `?` wildcards, ignoring case, over the whole
//!   `service:Name`.
//! - Resources: case-sensitive; wildcards stay within a colon-separated ARN
//!   segment unless the `*` ends it (so `*` and `arn:aws:s3:::*` match every
//!   ARN). `NotResource` applies to every resource not listed.
//! - Conditions: operators ANDed, keys within an operator ANDed, the values
//!   of one key ORed (NORed for the negated operators like
//!   `StringNotEquals`). Condition key names ignore case; a key missing
//!   from the request context makes a condition false, except that negated
//!   operators are then true, `...IfExists` operators are true, `Null`
//!   tests for exactly that, `ForAllValues:` is true and `ForAnyValue:` is
//!   false. A context key with several values but no set operator matches
//!   when any of its values does (none may, for negated operators).
//!   Supported operators: `String(Not)Equals(IgnoreCase)`,
//!   `String(Not)Like`, `Numeric(Not)Equals`,
//!   `Numeric{LessThan,GreaterThan}(Equals)`, the same six `Date...`
//!   operators (ISO 8601 dates and times, or epoch seconds), `Bool`,
//!   `BinaryEquals`, `(Not)IpAddress`, `Arn(Not)Equals`, `Arn(Not)Like`,
//!   `Null`, each (but `Null`) with `IfExists` and the `ForAnyValue:` /
//!   `ForAllValues:` prefixes.
//!
//! # Not covered
//!
//! - Resource-based policies (bucket, key, trust policies), permissions
//!   boundaries, service control and resource control policies, VPC
//!   endpoint policies, ACLs: only identity-based and session policies are
//!   evaluated. `Principal` is ignored.
//! - Policy variables (`${aws:username}`) in `Resource` or condition values
//!   of `2012-10-17` documents: a statement that needs one is
//!   [`Error::Unsupported`]. (In `2008-10-17` documents `${...}` is literal
//!   text, as in IAM.) The three special variables `${*}`, `${?}` and
//!   `${$}`, which write a literal `*`, `?` and `$`, are supported: tfroles
//!   writes state keys with them.
//! - The request context is exactly what [`Request::context`] holds:
//!   nothing is filled in, so `aws:CurrentTime`, `aws:SecureTransport`,
//!   `aws:PrincipalTag/...`, `aws:RequestedRegion` and every other global
//!   key are missing unless the caller supplies them.
//! - Whether an action supports the resource type or condition key at all
//!   (an ARN of the wrong type still matches a `*`).
//! - Unknown condition operators and malformed statements (no `Resource`)
//!   in a statement that applies are [`Error::Unsupported`] rather than a
//!   guess; an error is only returned when the decision depends on it (an
//!   applicable supported `Deny` still denies).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use jiff::Timestamp;

use crate::Error;
use crate::document::{Actions, Effect, PolicyDocument, Resources, Statement, Version};
use crate::pattern::{arn_match, glob, glob_ignore_case, literal, special_variables};

/// One request to decide: an action on a resource, with its context keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// Like `s3:GetObject`.
    pub action: String,
    /// The resource's ARN, or `*` for actions without resource types.
    pub resource: String,
    /// Condition keys to their values; a single-valued key has one value.
    /// Key names ignore case: keys that differ only in case count as one
    /// key with all their values, and a key with no values as missing.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    /// A request with an empty context.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            context: BTreeMap::new(),
        }
    }

    /// The same request with `key` set to these values, replacing any
    /// values of a key that differs from it only in case.
    #[must_use]
    pub fn with_context<V>(mut self, key: impl Into<String>, values: V) -> Self
    where
        V: IntoIterator,
        V::Item: Into<String>,
    {
        let key = key.into();
        let lower = key.to_lowercase();
        self.context.retain(|k, _| k.to_lowercase() != lower);
        self.context
            .insert(key, values.into_iter().map(Into::into).collect());
        self
    }
}

/// Which of the two kinds of policy a statement is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// The identity-based policies.
    Identity,
    /// The session policies.
    Session,
}

/// Points at one statement of one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// Identity or session policies.
    pub kind: PolicyKind,
    /// Index into the slice of that kind passed to [`evaluate`].
    pub policy: usize,
    /// Index of the statement in that policy.
    pub statement: usize,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PolicyKind::Identity => "identity",
            PolicyKind::Session => "session",
        };
        write!(
            f,
            "{kind} policy {}, statement {}",
            self.policy, self.statement
        )?;
        if let Some(sid) = &self.sid {
            write!(f, " (Sid \"{sid}\")")?;
        }
        Ok(())
    }
}

/// Why a request was allowed or denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The identity policies allow it, and so do the session policies if
    /// there are any.
    Allowed,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// No identity policy statement allows it.
    ImplicitDeny,
    /// The identity policies allow it, but no session policy does.
    NotAllowedBySession,
}

/// The answer of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is allowed.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
    /// For [`Reason::ExplicitDeny`] the first `Deny` statement that applies;
    /// for [`Reason::Allowed`] and [`Reason::NotAllowedBySession`] the first
    /// identity statement that allows; `None` for [`Reason::ImplicitDeny`].
    pub deciding: Option<StatementRef>,
    /// For [`Reason::Allowed`] with session policies, the first session
    /// statement that allows.
    pub session: Option<StatementRef>,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.reason, &self.deciding) {
            (Reason::Allowed, Some(by)) => write!(f, "allowed by {by}")?,
            (Reason::ExplicitDeny, Some(by)) => write!(f, "explicitly denied by {by}")?,
            (Reason::NotAllowedBySession, Some(by)) => write!(
                f,
                "allowed by {by}, but denied because no session policy allows it"
            )?,
            _ => f.write_str("implicitly denied: no identity policy statement allows it")?,
        }
        if let Some(session) = &self.session {
            write!(f, " and {session}")?;
        }
        Ok(())
    }
}

/// Decides `request` against the identity-based policies and the session
/// policies (an empty slice: no session policy), as described in the
/// [module docs](self).
///
/// # Errors
///
/// [`Error::Unsupported`] when the decision depends on a statement that
/// applies to the request but uses something the evaluator does not model
/// (a policy variable, an unknown condition operator, a missing
/// `Resource`). The error names the policy and statement.
pub fn evaluate(
    request: &Request,
    identity: &[PolicyDocument],
    session: &[PolicyDocument],
) -> Result<Decision, Error> {
    // Keys ignore case; keys that differ only in case are one key with all
    // their values.
    let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, values) in &request.context {
        context
            .entry(key.to_lowercase())
            .or_default()
            .extend(values.iter().cloned());
    }
    context.retain(|_, values| !values.is_empty());
    let identity = Kind::evaluate(PolicyKind::Identity, identity, request, &context);
    let session = Kind::evaluate(PolicyKind::Session, session, request, &context);

    // An explicit deny anywhere decides, whatever could not be evaluated.
    if let Some(deny) = identity.deny.or(session.deny) {
        return Ok(decision(Reason::ExplicitDeny, Some(deny), None));
    }
    // An unevaluated Deny might have applied.
    if let Some(error) = identity.unknown_deny.or(session.unknown_deny) {
        return Err(error);
    }
    let Some(allow) = identity.allow else {
        return match identity.unknown_allow {
            Some(error) => Err(error),
            None => Ok(decision(Reason::ImplicitDeny, None, None)),
        };
    };
    if !session.given {
        return Ok(decision(Reason::Allowed, Some(allow), None));
    }
    match (session.allow, session.unknown_allow) {
        (Some(session_allow), _) => Ok(decision(Reason::Allowed, Some(allow), Some(session_allow))),
        (None, Some(error)) => Err(error),
        (None, None) => Ok(decision(Reason::NotAllowedBySession, Some(allow), None)),
    }
}

fn decision(
    reason: Reason,
    deciding: Option<StatementRef>,
    session: Option<StatementRef>,
) -> Decision {
    Decision {
        allowed: reason == Reason::Allowed,
        reason,
        deciding,
        session,
    }
}

/// What the statements of one kind of policy say about the request.
#[derive(Default)]
struct Kind {
    given: bool,
    deny: Option<StatementRef>,
    allow: Option<StatementRef>,
    /// The first Deny / Allow statement that could not be evaluated.
    unknown_deny: Option<Error>,
    unknown_allow: Option<Error>,
}

impl Kind {
    fn evaluate(
        kind: PolicyKind,
        policies: &[PolicyDocument],
        request: &Request,
        context: &BTreeMap<String, Vec<String>>,
    ) -> Self {
        let mut out = Self {
            given: !policies.is_empty(),
            ..Self::default()
        };
        for (policy, doc) in policies.iter().enumerate() {
            for (index, statement) in doc.statements.iter().enumerate() {
                let at = StatementRef {
                    kind,
                    policy,
                    statement: index,
                    sid: statement.sid.clone(),
                };
                let (found, unknown) = match statement.effect {
                    Effect::Allow => (&mut out.allow, &mut out.unknown_allow),
                    Effect::Deny => (&mut out.deny, &mut out.unknown_deny),
                };
                if found.is_some() {
                    continue;
                }
                match applies(statement, doc.version, request, context) {
                    Ok(true) => *found = Some(at),
                    Ok(false) => {}
                    Err(what) => {
                        if unknown.is_none() {
                            *unknown = Some(Error::Unsupported {
                                location: at.to_string(),
                                what,
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

/// Whether the statement applies; `Err` says what could not be evaluated.
fn applies(
    statement: &Statement,
    version: Version,
    request: &Request,
    context: &BTreeMap<String, Vec<String>>,
) -> Result<bool, String> {
    let action_matches = |patterns: &[String]| {
        patterns
            .iter()
            .any(|p| glob_ignore_case(p, &request.action))
    };
    let action = match &statement.action {
        Actions::Action(patterns) => action_matches(patterns),
        Actions::NotAction(patterns) => !action_matches(patterns),
    };
    if !action {
        return Ok(false);
    }
    let resource_matches = |patterns: &[String]| -> Result<bool, String> {
        for pattern in patterns {
            let pattern = special(pattern, version);
            check_no_variable(&pattern, version, "Resource")?;
            if arn_match(&pattern, &request.resource) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let resource = match &statement.resource {
        Some(Resources::Resource(patterns)) => resource_matches(patterns)?,
        Some(Resources::NotResource(patterns)) => !resource_matches(patterns)?,
        None => {
            return Err(
                "a statement without Resource or NotResource (identity and session policies need one)"
                    .to_owned(),
            );
        }
    };
    if !resource {
        return Ok(false);
    }
    for (operator, keys) in &statement.condition {
        let operator_parsed = Operator::parse(operator)
            .ok_or_else(|| format!("the condition operator `{operator}`"))?;
        for (key, values) in keys {
            let values: Vec<String> = values
                .iter()
                .map(|v| special(v, version).into_owned())
                .collect();
            for value in &values {
                check_no_variable(value, version, operator)?;
            }
            let present = context.get(&key.to_lowercase()).map(Vec::as_slice);
            if !operator_parsed.holds(present, &values) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// `${*}`, `${?}` and `${$}` in a `2012-10-17` document (see
/// [`special_variables`]); earlier versions have no variables at all.
fn special(text: &str, version: Version) -> std::borrow::Cow<'_, str> {
    if version == Version::V2012_10_17 {
        special_variables(text)
    } else {
        text.into()
    }
}

fn check_no_variable(text: &str, version: Version, element: &str) -> Result<(), String> {
    if version == Version::V2012_10_17 && text.contains("${") {
        return Err(format!("the policy variable in {element} `{text}`"));
    }
    Ok(())
}

/// A condition operator, split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    set: Option<SetOperator>,
    base: Base,
    if_exists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOperator {
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl Base {
    const ALL: [(&'static str, Self); 27] = [
        ("StringEquals", Self::StringEquals),
        ("StringNotEquals", Self::StringNotEquals),
        ("StringEqualsIgnoreCase", Self::StringEqualsIgnoreCase),
        ("StringNotEqualsIgnoreCase", Self::StringNotEqualsIgnoreCase),
        ("StringLike", Self::StringLike),
        ("StringNotLike", Self::StringNotLike),
        ("NumericEquals", Self::NumericEquals),
        ("NumericNotEquals", Self::NumericNotEquals),
        ("NumericLessThan", Self::NumericLessThan),
        ("NumericLessThanEquals", Self::NumericLessThanEquals),
        ("NumericGreaterThan", Self::NumericGreaterThan),
        ("NumericGreaterThanEquals", Self::NumericGreaterThanEquals),
        ("DateEquals", Self::DateEquals),
        ("DateNotEquals", Self::DateNotEquals),
        ("DateLessThan", Self::DateLessThan),
        ("DateLessThanEquals", Self::DateLessThanEquals),
        ("DateGreaterThan", Self::DateGreaterThan),
        ("DateGreaterThanEquals", Self::DateGreaterThanEquals),
        ("Bool", Self::Bool),
        ("BinaryEquals", Self::BinaryEquals),
        ("IpAddress", Self::IpAddress),
        ("NotIpAddress", Self::NotIpAddress),
        ("ArnEquals", Self::ArnEquals),
        ("ArnLike", Self::ArnLike),
        ("ArnNotEquals", Self::ArnNotEquals),
        ("ArnNotLike", Self::ArnNotLike),
        ("Null", Self::Null),
    ];

    /// Negated operators hold when the positive one does not match.
    const fn negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::NumericNotEquals
                | Self::DateNotEquals
                | Self::NotIpAddress
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    /// Whether the context value matches the policy value under the
    /// positive form of the operator.
    fn matches(self, policy: &str, value: &str) -> bool {
        match self {
            Self::StringEquals | Self::StringNotEquals | Self::BinaryEquals => {
                literal(policy) == value
            }
            Self::StringEqualsIgnoreCase | Self::StringNotEqualsIgnoreCase => {
                literal(policy).to_lowercase() == value.to_lowercase()
            }
            Self::StringLike | Self::StringNotLike => glob(policy, value),
            Self::Bool => policy.eq_ignore_ascii_case(value),
            Self::ArnEquals | Self::ArnLike | Self::ArnNotEquals | Self::ArnNotLike => {
                arn_match(policy, value)
            }
            Self::IpAddress | Self::NotIpAddress => ip_in(policy, value),
            Self::NumericEquals
            | Self::NumericNotEquals
            | Self::NumericLessThan
            | Self::NumericLessThanEquals
            | Self::NumericGreaterThan
            | Self::NumericGreaterThanEquals => {
                let (Ok(value), Ok(policy)) =
                    (value.trim().parse::<f64>(), policy.trim().parse::<f64>())
                else {
                    return false;
                };
                value
                    .partial_cmp(&policy)
                    .is_some_and(|ordering| self.ordering_holds(ordering))
            }
            Self::DateEquals
            | Self::DateNotEquals
            | Self::DateLessThan
            | Self::DateLessThanEquals
            | Self::DateGreaterThan
            | Self::DateGreaterThanEquals => {
                let (Some(value), Some(policy)) = (parse_date(value), parse_date(policy)) else {
                    return false;
                };
                self.ordering_holds(value.cmp(&policy))
            }
            // Decided on presence alone, in `Operator::holds`.
            Self::Null => false,
        }
    }

    /// For the numeric and date operators: whether `value <op> policy`,
    /// given how they compare (the `NotEquals` forms answer as `Equals`).
    fn ordering_holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Self::NumericLessThan | Self::DateLessThan => ordering == Less,
            Self::NumericLessThanEquals | Self::DateLessThanEquals => ordering != Greater,
            Self::NumericGreaterThan | Self::DateGreaterThan => ordering == Greater,
            Self::NumericGreaterThanEquals | Self::DateGreaterThanEquals => ordering != Less,
            _ => ordering == Equal,
        }
    }
}

impl Operator {
    /// Reads `[ForAnyValue:|ForAllValues:]Base[IfExists]`, case-sensitive
    /// as IAM writes them.
    fn parse(text: &str) -> Option<Self> {
        let (set, rest) = if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), rest)
        } else if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetOperator::ForAllValues), rest)
        } else {
            (None, text)
        };
        let (rest, if_exists) = rest
            .strip_suffix("IfExists")
            .map_or((rest, false), |base| (base, true));
        let base = Base::ALL
            .iter()
            .find(|(name, _)| *name == rest)
            .map(|&(_, base)| base)?;
        if base == Base::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Self {
            set,
            base,
            if_exists,
        })
    }

    /// Whether the condition holds for one key, given its context values
    /// (`None` when the key is missing) and the policy's values.
    fn holds(self, present: Option<&[String]>, policy: &[String]) -> bool {
        if self.base == Base::Null {
            return policy.iter().any(|v| {
                (v.eq_ignore_ascii_case("true") && present.is_none())
                    || (v.eq_ignore_ascii_case("false") && present.is_some())
            });
        }
        // Whether one context value satisfies the operator: it matches one
        // of the policy's values (ORed), or for negated operators none.
        let one = |value: &String| {
            let any = policy.iter().any(|p| self.base.matches(p, value));
            any != self.base.negated()
        };
        match (self.set, present) {
            (_, None) if self.if_exists => true,
            (None, None) => self.base.negated(),
            (Some(SetOperator::ForAnyValue), None) => false,
            (Some(SetOperator::ForAllValues), None) => true,
            (Some(SetOperator::ForAllValues), Some(values)) => values.iter().all(one),
            (Some(SetOperator::ForAnyValue), Some(values)) => values.iter().any(one),
            (None, Some(values)) => {
                // Several values without a set operator: any may match,
                // or for negated operators none may.
                let any = values
                    .iter()
                    .any(|value| policy.iter().any(|p| self.base.matches(p, value)));
                any != self.base.negated()
            }
        }
    }
}

/// ISO 8601 (with an offset or `Z`; without one, UTC; a date alone is its
/// midnight UTC) or whole epoch seconds.
fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Timestamp::from_second(seconds).ok();
    }
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    if let Ok(datetime) = text.parse::<jiff::civil::DateTime>() {
        return datetime
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    None
}

/// Whether the address `value` is in the CIDR block (or is the address)
/// `policy`.
fn ip_in(policy: &str, value: &str) -> bool {
    let Ok(address) = value.trim().parse::<IpAddr>() else {
        return false;
    };
    let (network, bits) = match policy.trim().split_once('/') {
        Some((network, bits)) => match bits.parse::<u32>() {
            Ok(bits) => (network, bits),
            Err(_) => return false,
        },
        None => (policy.trim(), u32::MAX),
    };
    let Ok(network) = network.parse::<IpAddr>() else {
        return false;
    };
    match (network, address) {
        (IpAddr::V4(network), IpAddr::V4(address)) => {
            let bits = bits.min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(network) & mask == u32::from(address) & mask
        }
        (IpAddr::V6(network), IpAddr::V6(address)) => {
            let bits = bits.min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(network) & mask == u128::from(address) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_parse() {
        assert_eq!(
            Operator::parse("ForAllValues:StringLikeIfExists"),
            Some(Operator {
                set: Some(SetOperator::ForAllValues),
                base: Base::StringLike,
                if_exists: true
            })
        );
        assert_eq!(Operator::parse("Null").map(|o| o.base), Some(Base::Null));
        assert_eq!(Operator::parse("NullIfExists"), None);
        assert_eq!(Operator::parse("stringequals"), None);
        assert_eq!(Operator::parse("StringEqualz"), None);
        assert_eq!(Operator::parse("ForOneValue:StringEquals"), None);
    }

    #[test]
    fn dates_in_every_form() {
        let noon = parse_date("2026-11-21T12:00:00Z").unwrap();
        assert_eq!(parse_date("2026-11-21T13:00:00+01:00"), Some(noon));
        assert_eq!(parse_date("2026-11-21T12:00:00"), Some(noon));
        assert_eq!(parse_date(&noon.as_second().to_string()), Some(noon));
        assert_eq!(
            parse_date("2026-11-21"),
            Some(parse_date("2026-11-21T00:00:00Z").unwrap())
        );
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn ip_blocks() {
        assert!(ip_in("203.0.113.0/24", "203.0.113.7"));
        assert!(!ip_in("203.0.113.0/24", "203.0.114.7"));
        assert!(ip_in("203.0.113.7", "203.0.113.7"));
        assert!(ip_in("0.0.0.0/0", "198.51.100.1"));
        assert!(ip_in("2001:db8::/32", "2001:db8:1::1"));
        assert!(!ip_in("2001:db8::/32", "203.0.113.7"));
        assert!(!ip_in("not-an-ip", "203.0.113.7"));
    }
}
