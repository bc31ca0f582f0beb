//! One CloudTrail record, as much of it as `usage` needs: who called, what,
//! when, and whether AWS refused.

use jiff::Timestamp;
use serde::Deserialize;

/// Who made the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A role session (`userIdentity.type` `AssumedRole`).
    Role {
        /// The role's ARN (`sessionContext.sessionIssuer.arn`, with its path).
        role_arn: String,
        /// The session name: the last part of the assumed-role ARN.
        session_name: String,
        /// `sessionContext.sourceIdentity`, when the session set one.
        source_identity: Option<String>,
    },
    /// Anyone else: an IAM user, the root user, an AWS service, ...
    Other {
        /// `userIdentity.type` (`IAMUser`, `AWSService`, ...).
        kind: String,
    },
}

/// One CloudTrail event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `eventTime`, when present and valid.
    pub time: Option<Timestamp>,
    /// `eventSource`, like `ec2.amazonaws.com`.
    pub source: String,
    /// `eventName`, like `RunInstances`.
    pub name: String,
    /// `errorCode`, for a call AWS refused or that failed.
    pub error_code: Option<String>,
    /// `errorMessage`, cut to 2,000 characters (`MAX_MESSAGE`).
    pub error_message: Option<String>,
    /// The account the call was made in (`recipientAccountId`, else the
    /// caller's).
    pub account: Option<String>,
    /// Who called.
    pub principal: Principal,
    /// Whether CloudTrail logged it as a data event (`eventCategory`
    /// `Data`: object-level S3, Lambda invocations, DynamoDB items), which
    /// a trail records only when configured to.
    pub data: bool,
}

/// How much of an error message is kept.
pub(crate) const MAX_MESSAGE: usize = 2000;

/// How much of a source identity is kept: STS takes at most 64
/// characters, so anything longer was not set through it (a longer value
/// is cut and marked `…`, which no template matches).
pub(crate) const MAX_SOURCE_IDENTITY: usize = 64;

/// `value` cut to `max` characters, marked with `…` where it was cut.
fn cut(mut value: String, max: usize) -> String {
    if let Some((at, _)) = value.char_indices().nth(max) {
        value.truncate(at);
        value.push('…');
    }
    value
}

/// The error codes AWS uses for a call that IAM refused.
pub(crate) const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "Client.UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Forbidden",
    "ForbiddenException",
];

impl Event {
    /// Whether IAM refused the call (see [`DENIED_CODES`]). Other errors
    /// (`NoSuchEntity`, throttling, validation) come after authorisation,
    /// so the action was allowed.
    #[must_use]
    pub(crate) fn is_denied(&self) -> bool {
        self.error_code
            .as_deref()
            .is_some_and(|c| DENIED_CODES.contains(&c))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawRecord {
    event_time: Option<String>,
    event_source: Option<String>,
    event_name: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    recipient_account_id: Option<String>,
    user_identity: Option<RawIdentity>,
    event_category: Option<String>,
    management_event: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawIdentity {
    #[serde(rename = "type")]
    kind: Option<String>,
    arn: Option<String>,
    account_id: Option<String>,
    session_context: Option<RawSessionContext>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSessionContext {
    session_issuer: Option<RawIssuer>,
    source_identity: Option<String>,
}

#[derive(Deserialize)]
struct RawIssuer {
    arn: Option<String>,
}

/// One element of `aws cloudtrail lookup-events`' `Events`: the record is
/// a JSON string inside it.
#[derive(Deserialize)]
pub(crate) struct LookupEvent {
    #[serde(rename = "CloudTrailEvent")]
    pub(crate) cloud_trail_event: Option<String>,
}

impl RawRecord {
    /// The event, or why the record cannot be one (no source or name).
    pub(crate) fn into_event(self) -> Result<Event, &'static str> {
        let source = self.event_source.ok_or("no `eventSource`")?;
        let name = self.event_name.ok_or("no `eventName`")?;
        let identity = self.user_identity;
        let caller_account = identity.as_ref().and_then(|i| i.account_id.clone());
        let principal = match identity {
            Some(RawIdentity {
                kind: Some(kind),
                arn,
                session_context,
                ..
            }) if kind == "AssumedRole" => {
                let issuer = session_context
                    .as_ref()
                    .and_then(|c| c.session_issuer.as_ref())
                    .and_then(|i| i.arn.clone());
                let session = arn.as_deref().and_then(session_name);
                match (issuer, session) {
                    (Some(role_arn), Some(session_name)) => Principal::Role {
                        role_arn,
                        session_name: session_name.to_owned(),
                        source_identity: session_context
                            .and_then(|c| c.source_identity)
                            .map(|si| cut(si, MAX_SOURCE_IDENTITY)),
                    },
                    _ => Principal::Other { kind },
                }
            }
            Some(i) => Principal::Other {
                kind: i.kind.unwrap_or_else(|| "unknown".into()),
            },
            None => Principal::Other {
                kind: "unknown".into(),
            },
        };
        let error_message = self.error_message.map(|m| cut(m, MAX_MESSAGE));
        Ok(Event {
            time: self.event_time.and_then(|t| t.parse().ok()),
            source,
            name,
            error_code: self.error_code,
            error_message,
            account: self.recipient_account_id.or(caller_account),
            principal,
            // `eventCategory` since event version 1.07; `managementEvent`
            // before it.
            data: match self.event_category.as_deref() {
                Some(c) => c == "Data",
                None => self.management_event == Some(false),
            },
        })
    }
}

/// The session name of an assumed-role ARN
/// (`arn:aws:sts::111111111111:assumed-role/ROLE/SESSION`).
fn session_name(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":assumed-role/")?.1;
    let (_, session) = rest.split_once('/')?;
    (!session.is_empty()).then_some(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names() {
        assert_eq!(
            session_name("arn:aws:sts::111111111111:assumed-role/r/tf-qa.api"),
            Some("tf-qa.api")
        );
        assert_eq!(session_name("arn:aws:iam::111111111111:user/u"), None);
        assert_eq!(
            session_name("arn:aws:sts::111111111111:assumed-role/r/"),
            None
        );
    }

    #[test]
    fn long_messages_are_cut_on_a_character() {
        let raw: RawRecord = serde_json::from_value(serde_json::json!({
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "errorCode": "AccessDenied",
            "errorMessage": "é".repeat(MAX_MESSAGE + 5),
            "userIdentity": {"type": "IAMUser", "accountId": "111111111111"}
        }))
        .unwrap();
        let e = raw.into_event().unwrap();
        assert!(e.is_denied());
        assert_eq!(e.error_message.unwrap().chars().count(), MAX_MESSAGE + 1);
        assert_eq!(e.account.as_deref(), Some("111111111111"));
        assert_eq!(
            e.principal,
            Principal::Other {
                kind: "IAMUser".into()
            }
        );
    }

    #[test]
    fn source_identities_are_read_and_bounded() {
        let record = |si: &str| {
            let raw: RawRecord = serde_json::from_value(serde_json::json!({
                "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject",
                "userIdentity": {
                    "type": "AssumedRole",
                    "arn": "arn:aws:sts::111111111111:assumed-role/net/renamed",
                    "sessionContext": {
                        "sessionIssuer": {"arn": "arn:aws:iam::111111111111:role/net"},
                        "sourceIdentity": si
                    }
                }
            }))
            .unwrap();
            match raw.into_event().unwrap().principal {
                Principal::Role {
                    source_identity, ..
                } => source_identity.unwrap(),
                Principal::Other { .. } => panic!("a role session"),
            }
        };
        assert_eq!(record("octocat@tf-qa.api"), "octocat@tf-qa.api");
        let long = record(&"é".repeat(MAX_SOURCE_IDENTITY * 100));
        assert_eq!(long.chars().count(), MAX_SOURCE_IDENTITY + 1);
        assert!(long.ends_with('…'));
    }
}
