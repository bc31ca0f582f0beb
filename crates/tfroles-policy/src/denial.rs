//! Reading AccessDenied errors: what a user has in hand when AWS refused
//! a call (terraform's error output, one AWS error message, S3's XML
//! error, a CloudTrail record), turned into [`Denial`]s: who was refused,
//! which action on which resource, and, where AWS says so, which kind of
//! policy refused it. No I/O: `tfroles explain` reads the input and
//! re-decides each denial with [`crate::evaluate`].
//!
//! The message forms read are the ones AWS documents ("Troubleshoot access
//! denied error messages", IAM User Guide):
//!
//! - `User: ARN is not authorized to perform: ACTION` (older, and moto's)
//! - `... on resource: RESOURCE` (S3 quotes the resource: `"arn:aws:s3:::b/k"`)
//! - `... because no identity-based policy allows the ACTION action`, and
//!   likewise `no session policy`, `no resource-based policy`, `no
//!   permissions boundary`, `no VPC endpoint policy`, `no service control
//!   policy`, `no resource control policy`
//! - `... with an explicit deny in a(n) identity-based policy` (and the
//!   same kinds);
//!
//! inside whatever carries them: terraform's boxed diagnostics (`│ `,
//! wrapped or not), the AWS CLI's `An error occurred (AccessDenied) when
//! calling the OP operation: ...`, the Go SDK's `operation error S3:
//! PutObject, https response error StatusCode: 403, ... api error
//! AccessDenied: ...`, S3's `<Error><Code>AccessDenied</Code>...` XML
//! (entities decoded), and CloudTrail records (`{"Records": [...]}`, one
//! record, or `aws cloudtrail lookup-events` output) whose `errorCode` is
//! a denial.
//!
//! ```
//! use tfroles_policy::denial::{PolicyType, Refusal, parse};
//!
//! let text = "An error occurred (AccessDenied) when calling the CreateUser operation: \
//!     User: arn:aws:sts::123456789012:assumed-role/app/tf-qa.api is not authorized to \
//!     perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/x \
//!     because no identity-based policy allows the iam:CreateUser action";
//! let [d] = &parse(text)[..] else { panic!() };
//! assert_eq!(d.action.as_deref(), Some("iam:CreateUser"));
//! assert_eq!(d.principal.as_ref().unwrap().session(), Some(("app", "tf-qa.api")));
//! assert_eq!(d.refusal, Some(Refusal::NoAllow(PolicyType::Identity)));
//! ```

use std::fmt;

use crate::Catalog;

/// Who made the refused call, from its ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The ARN as AWS printed it.
    pub arn: String,
    /// The account id in it, when it has one.
    pub account: Option<String>,
    /// What kind of principal.
    pub kind: PrincipalKind,
}

/// The kinds of principal an AccessDenied names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`: a role session.
    AssumedRole {
        /// The role's name (STS shows no IAM path).
        role: String,
        /// The session name.
        session: String,
    },
    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    User {
        /// The user's name.
        name: String,
    },
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    Role {
        /// The role's name.
        name: String,
    },
    /// Anything else (a federated user, a service, the root).
    Other,
}

impl Principal {
    /// Reads an ARN.
    pub(crate) fn from_arn(arn: &str) -> Principal {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let (account, resource) = match parts.as_slice() {
            ["arn", _, _, _, account, resource] => (
                Some((*account).to_owned()).filter(|a| !a.is_empty()),
                *resource,
            ),
            _ => (None, ""),
        };
        let service = parts.get(2).copied().unwrap_or("");
        let kind = match (service, resource.split_once('/')) {
            ("sts", Some(("assumed-role", rest))) => match rest.split_once('/') {
                Some((role, session)) => PrincipalKind::AssumedRole {
                    role: role.to_owned(),
                    session: session.to_owned(),
                },
                None => PrincipalKind::Other,
            },
            ("iam", Some(("user", rest))) => PrincipalKind::User {
                name: rest.rsplit('/').next().unwrap_or(rest).to_owned(),
            },
            ("iam", Some(("role", rest))) => PrincipalKind::Role {
                name: rest.rsplit('/').next().unwrap_or(rest).to_owned(),
            },
            _ => PrincipalKind::Other,
        };
        Principal {
            arn: arn.to_owned(),
            account,
            kind,
        }
    }

    /// `(role, session name)` for a role session.
    pub fn session(&self) -> Option<(&str, &str)> {
        match &self.kind {
            PrincipalKind::AssumedRole { role, session } => Some((role, session)),
            _ => None,
        }
    }
}

/// The kinds of policy AWS names in an AccessDenied message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// "identity-based policy": the role's or user's own policies.
    Identity,
    /// "session policy": the policy passed on AssumeRole.
    Session,
    /// "resource-based policy": a bucket policy, key policy, ...
    Resource,
    /// "permissions boundary".
    PermissionsBoundary,
    /// "service control policy": an AWS Organizations SCP.
    ServiceControl,
    /// "resource control policy": an AWS Organizations RCP.
    ResourceControl,
    /// "VPC endpoint policy".
    VpcEndpoint,
}

impl PolicyType {
    /// The words AWS uses, each kind once, longest first where one
    /// contains another.
    const WORDS: [(&'static str, PolicyType); 7] = [
        ("identity-based policy", PolicyType::Identity),
        ("session policy", PolicyType::Session),
        ("resource-based policy", PolicyType::Resource),
        ("permissions boundary", PolicyType::PermissionsBoundary),
        ("service control policy", PolicyType::ServiceControl),
        ("resource control policy", PolicyType::ResourceControl),
        ("vpc endpoint policy", PolicyType::VpcEndpoint),
    ];

    /// The words AWS uses for it.
    pub fn words(self) -> &'static str {
        Self::WORDS
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(w, _)| *w)
            .expect("every kind has words")
    }

    /// Whether tfroles writes policies of this kind (identity and session
    /// policies); the others are outside what `tfroles.hcl` can change.
    pub fn written_by_tfroles(self) -> bool {
        matches!(self, PolicyType::Identity | PolicyType::Session)
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyType::VpcEndpoint => "VPC endpoint policy",
            other => other.words(),
        })
    }
}

/// What AWS said refused the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// "with an explicit deny in a ...".
    ExplicitDeny(PolicyType),
    /// "because no ... allows the ... action".
    NoAllow(PolicyType),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ExplicitDeny(t) => write!(f, "an explicit deny in a {t}"),
            Refusal::NoAllow(t) => write!(f, "no {t} allows it"),
        }
    }
}

/// Where a denial was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An error message (terraform, an SDK, the AWS CLI, S3's XML).
    Message,
    /// A CloudTrail record.
    CloudTrail,
}

/// One refused call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Who made it, when the message says.
    pub principal: Option<Principal>,
    /// The IAM action, as the message names it (or, where the message
    /// names none, the API operation when it is also an action).
    pub action: Option<String>,
    /// The resource ARN, when the message names one.
    pub resource: Option<String>,
    /// What AWS said refused it, when it says.
    pub refusal: Option<Refusal>,
    /// The error code (`AccessDenied`, `UnauthorizedOperation`, ...).
    pub code: Option<String>,
    /// The caller's source identity, from a CloudTrail record
    /// (`userIdentity.sessionContext.sourceIdentity`); at most 64
    /// characters (what STS takes), a longer value cut and ending in `…`.
    pub source_identity: Option<String>,
    /// Where it was read from.
    pub source: Source,
    /// The message, as read (whitespace collapsed), at most 1,000
    /// characters.
    pub message: String,
}

/// Every denial in `text`, in the order they appear, each once.
pub fn parse(text: &str) -> Vec<Denial> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('{')
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed)
    {
        return from_cloudtrail(&value);
    }
    let mut out = Vec::new();
    for chunk in chunks(trimmed) {
        for d in from_message(&chunk) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// The text in pieces that each hold at most one error: terraform's
/// diagnostics (`╷ ... ╵`), else the lines, with terraform's box and
/// wrapping undone and XML entities decoded.
fn chunks(text: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let boxed = text.lines().any(|l| l.trim_start().starts_with('╷'));
    for line in text.lines() {
        let l = line.trim_start();
        if boxed {
            if l.starts_with('╷') || l.starts_with('╵') {
                if !current.trim().is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
                current.clear();
                continue;
            }
            let l = l.strip_prefix('│').unwrap_or(l);
            current.push(' ');
            current.push_str(l.trim());
        } else {
            pieces.push(l.to_owned());
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current);
    }
    pieces
        .into_iter()
        .map(|p| collapse(&decode_entities(&p.replace("\\\"", "\""))))
        .filter(|p| !p.is_empty())
        .collect()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

const NOT_AUTHORIZED: &str = "is not authorized to perform";

/// A token without the punctuation around it in a sentence.
fn token(s: &str) -> &str {
    let s = s.trim_matches(|c: char| {
        c == '"' || c == '\'' || c == '`' || c == ',' || c == ';' || c == '(' || c == ')'
    });
    let s = s.strip_suffix('.').unwrap_or(s);
    s.trim_matches(|c: char| c == '"' || c == '\'' || c == '`')
}

/// The denials in one piece of text.
fn from_message(piece: &str) -> Vec<Denial> {
    let lower = piece.to_ascii_lowercase();
    let code = error_code(piece);
    let operation = sdk_operation(piece);
    let starts: Vec<usize> = lower
        .match_indices(NOT_AUTHORIZED)
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    for (n, &at) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(piece.len());
        let before = piece[..at].trim_end();
        let principal = before
            .rsplit(' ')
            .next()
            .map(token)
            .filter(|t| t.starts_with("arn:"))
            .map(Principal::from_arn);
        let rest = &piece[at + NOT_AUTHORIZED.len()..end];
        let rest = rest.trim_start_matches(':').trim_start();
        let mut words = rest.split(' ');
        let action = words
            .next()
            .map(token)
            .filter(|a| a.contains(':') && !a.is_empty())
            .map(str::to_owned);
        if action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("this"))
        {
            continue;
        }
        let rest_lower = rest.to_ascii_lowercase();
        let resource = rest_lower.find("on resource:").map(|i| {
            let after = rest[i + "on resource:".len()..].trim_start();
            token(after.split(' ').next().unwrap_or("")).to_owned()
        });
        let refusal = refusal(&rest_lower);
        out.push(Denial {
            principal,
            action,
            resource: resource.filter(|r| !r.is_empty()),
            refusal,
            code: code.clone(),
            source_identity: None,
            source: Source::Message,
            message: excerpt(&piece[sentence_start(piece, at)..end]),
        });
    }
    if out.is_empty() && is_denial_without_detail(&lower, code.as_deref()) {
        // S3's `Access Denied`, EC2's encoded message: the call is known
        // only from the operation the SDK names.
        out.push(Denial {
            principal: None,
            action: operation,
            resource: None,
            refusal: None,
            code,
            source_identity: None,
            source: Source::Message,
            message: excerpt(piece),
        });
    }
    out
}

/// Where the sentence with the principal begins: at `User:` or the ARN.
fn sentence_start(piece: &str, at: usize) -> usize {
    let before = &piece[..at];
    if let Some(i) = before.rfind("User: ")
        && at - i < 400
    {
        return i;
    }
    before.trim_end().rfind(' ').map_or(0, |i| i + 1)
}

fn excerpt(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(1000) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

fn refusal(lower: &str) -> Option<Refusal> {
    if let Some(i) = lower.find("with an explicit deny in a") {
        let after = &lower[i..];
        return PolicyType::WORDS
            .iter()
            .find(|(w, _)| {
                after.starts_with(&format!("with an explicit deny in a {w}"))
                    || after.starts_with(&format!("with an explicit deny in an {w}"))
            })
            .map(|(_, t)| Refusal::ExplicitDeny(*t));
    }
    if let Some(i) = lower.find("because no ") {
        let after = &lower[i + "because no ".len()..];
        return PolicyType::WORDS
            .iter()
            .find(|(w, _)| after.starts_with(w))
            .map(|(_, t)| Refusal::NoAllow(*t));
    }
    None
}

/// The error code: the AWS CLI's `An error occurred (CODE)`, the Go SDK's
/// `api error CODE:`, S3's `<Code>CODE</Code>`.
fn error_code(piece: &str) -> Option<String> {
    let grab = |start: &str, stop: char| {
        piece.find(start).and_then(|i| {
            let after = &piece[i + start.len()..];
            after.find(stop).map(|j| after[..j].trim().to_owned())
        })
    };
    grab("An error occurred (", ')')
        .or_else(|| grab("api error ", ':'))
        .or_else(|| grab("<Code>", '<'))
        .filter(|c| !c.is_empty() && c.len() < 64 && !c.contains(' '))
}

/// Whether a piece with no `is not authorized` sentence still reports a
/// refusal.
fn is_denial_without_detail(lower: &str, code: Option<&str>) -> bool {
    code.is_some_and(is_denial_code)
        || lower.contains("access denied")
        || lower.contains("you are not authorized to perform this operation")
}

/// The error codes services use for a refused call.
pub(crate) fn is_denial_code(code: &str) -> bool {
    let c = code.trim_start_matches("Client.");
    matches!(
        c,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "UnauthorizedAccess"
            | "AuthorizationError"
            | "Forbidden"
    ) || c.starts_with("AccessDenied")
}

/// The Go SDK (terraform) names the call: `operation error S3: PutObject,`.
/// Kept only when `service:Operation` is an action in the catalog.
fn sdk_operation(piece: &str) -> Option<String> {
    let i = piece.find("operation error ")?;
    let after = &piece[i + "operation error ".len()..];
    let (service, rest) = after.split_once(": ")?;
    let op = rest.split([',', ' ']).next()?;
    let prefix = match service {
        "CloudWatch Logs" => "logs".to_owned(),
        "Elastic Load Balancing v2" => "elasticloadbalancing".to_owned(),
        other => other.to_ascii_lowercase().replace(' ', ""),
    };
    Catalog::get()
        .action(&format!("{prefix}:{op}"))
        .map(|a| a.to_string())
}

/// How much of a source identity is kept: STS takes at most 64
/// characters.
const MAX_SOURCE_IDENTITY: usize = 64;

/// Denials in CloudTrail JSON: `{"Records": [...]}`, one record, or `aws
/// cloudtrail lookup-events` output (`{"Events": [{"CloudTrailEvent":
/// "<json>"}]}`).
fn from_cloudtrail(value: &serde_json::Value) -> Vec<Denial> {
    let mut records: Vec<serde_json::Value> = Vec::new();
    if let Some(list) = value.get("Records").and_then(|r| r.as_array()) {
        records.extend(list.iter().cloned());
    } else if let Some(events) = value.get("Events").and_then(|e| e.as_array()) {
        records.extend(events.iter().filter_map(|e| {
            e.get("CloudTrailEvent")
                .and_then(|s| s.as_str())
                .and_then(|s| serde_json::from_str(s).ok())
        }));
    } else {
        records.push(value.clone());
    }
    let mut out = Vec::new();
    for r in &records {
        let s = |k: &str| r.get(k).and_then(|v| v.as_str());
        let Some(code) = s("errorCode") else { continue };
        if !is_denial_code(code) {
            continue;
        }
        let message = s("errorMessage").unwrap_or("");
        let from_text = from_message(&collapse(message)).into_iter().next();
        let principal = r
            .pointer("/userIdentity/arn")
            .and_then(|v| v.as_str())
            .map(Principal::from_arn);
        let action = from_text
            .as_ref()
            .and_then(|d| d.action.clone())
            .or_else(|| Some(event_action(s("eventSource")?, s("eventName")?)));
        let resource = from_text
            .as_ref()
            .and_then(|d| d.resource.clone())
            .or_else(|| {
                r.pointer("/resources/0/ARN")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            });
        out.push(Denial {
            principal: principal.or_else(|| from_text.as_ref().and_then(|d| d.principal.clone())),
            action,
            resource,
            refusal: from_text.as_ref().and_then(|d| d.refusal),
            code: Some(code.to_owned()),
            source_identity: r
                .pointer("/userIdentity/sessionContext/sourceIdentity")
                .and_then(|v| v.as_str())
                .map(|si| match si.char_indices().nth(MAX_SOURCE_IDENTITY) {
                    Some((at, _)) => format!("{}…", &si[..at]),
                    None => si.to_owned(),
                }),
            source: Source::CloudTrail,
            message: excerpt(&format!(
                "{} {}: {code}: {message}",
                s("eventTime").unwrap_or(""),
                s("eventName").unwrap_or("")
            )),
        });
    }
    out
}

/// The IAM action of a CloudTrail event where the message does not say,
/// through [`crate::cloudtrail`]'s mapping; the first when the call needs
/// several, the event name itself when it maps to nothing.
fn event_action(source: &str, name: &str) -> String {
    match crate::cloudtrail::event_actions(source, name) {
        crate::cloudtrail::EventActions::Actions(a) if !a.is_empty() => a[0].to_string(),
        _ => {
            let prefix = source.split('.').next().unwrap_or(source);
            format!("{prefix}:{name}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const ARN: &str = "arn:aws:sts::123456789012:assumed-role/app-provisioning/tf-qa.api";

    fn one(text: &str) -> Denial {
        let all = parse(text);
        assert_eq!(all.len(), 1, "{all:#?}");
        all.into_iter().next().unwrap()
    }

    #[test]
    fn every_suffix_aws_documents() {
        let cases = [
            (
                "because no identity-based policy allows the ec2:RunInstances action",
                Refusal::NoAllow(PolicyType::Identity),
            ),
            (
                "because no session policy allows the ec2:RunInstances action",
                Refusal::NoAllow(PolicyType::Session),
            ),
            (
                "because no resource-based policy allows the ec2:RunInstances action",
                Refusal::NoAllow(PolicyType::Resource),
            ),
            (
                "because no permissions boundary allows the ec2:RunInstances action",
                Refusal::NoAllow(PolicyType::PermissionsBoundary),
            ),
            (
                "because no VPC endpoint policy allows the ec2:RunInstances action",
                Refusal::NoAllow(PolicyType::VpcEndpoint),
            ),
            (
                "because no service control policy allows the ec2:RunInstances action",
                Refusal::NoAllow(PolicyType::ServiceControl),
            ),
            (
                "with an explicit deny in an identity-based policy",
                Refusal::ExplicitDeny(PolicyType::Identity),
            ),
            (
                "with an explicit deny in a session policy",
                Refusal::ExplicitDeny(PolicyType::Session),
            ),
            (
                "with an explicit deny in a resource-based policy",
                Refusal::ExplicitDeny(PolicyType::Resource),
            ),
            (
                "with an explicit deny in a permissions boundary",
                Refusal::ExplicitDeny(PolicyType::PermissionsBoundary),
            ),
            (
                "with an explicit deny in a service control policy",
                Refusal::ExplicitDeny(PolicyType::ServiceControl),
            ),
            (
                "with an explicit deny in a resource control policy",
                Refusal::ExplicitDeny(PolicyType::ResourceControl),
            ),
            (
                "with an explicit deny in a VPC endpoint policy",
                Refusal::ExplicitDeny(PolicyType::VpcEndpoint),
            ),
        ];
        for (suffix, refusal) in cases {
            let text = format!(
                "User: {ARN} is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/* {suffix}"
            );
            let d = one(&text);
            assert_eq!(d.refusal, Some(refusal), "{suffix}");
            assert_eq!(d.action.as_deref(), Some("ec2:RunInstances"));
            assert_eq!(
                d.resource.as_deref(),
                Some("arn:aws:ec2:us-east-1:123456789012:instance/*")
            );
            assert_eq!(
                d.principal.as_ref().unwrap().session(),
                Some(("app-provisioning", "tf-qa.api"))
            );
            assert_eq!(
                d.principal.as_ref().unwrap().account.as_deref(),
                Some("123456789012")
            );
        }
    }

    #[test]
    fn without_suffix_or_resource_and_with_a_user() {
        // The older form, and moto's.
        let d = one(
            "User: arn:aws:iam::123456789012:user/ci/terraform is not authorized to perform: iam:CreateUser",
        );
        assert_eq!(d.action.as_deref(), Some("iam:CreateUser"));
        assert_eq!(d.resource, None);
        assert_eq!(d.refusal, None);
        let p = d.principal.unwrap();
        assert_eq!(
            p.kind,
            PrincipalKind::User {
                name: "terraform".into()
            }
        );
        assert_eq!(p.account.as_deref(), Some("123456789012"));
        let d = one(
            "User: arn:aws:iam::123456789012:role/x/deployer is not authorized to perform: sqs:CreateQueue on resource: arn:aws:sqs:us-east-1:123456789012:q.",
        );
        assert_eq!(
            d.principal.unwrap().kind,
            PrincipalKind::Role {
                name: "deployer".into()
            }
        );
        assert_eq!(
            d.resource.as_deref(),
            Some("arn:aws:sqs:us-east-1:123456789012:q")
        );
    }

    #[test]
    fn the_aws_cli_and_s3_xml() {
        let d = one(&format!(
            "\nAn error occurred (AccessDenied) when calling the PutObject operation: User: {ARN} is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/a key.txt\" because no identity-based policy allows the s3:PutObject action\n"
        ));
        assert_eq!(d.code.as_deref(), Some("AccessDenied"));
        // S3 quotes the resource; a space in the key ends our reading of it.
        assert_eq!(d.resource.as_deref(), Some("arn:aws:s3:::bucket/a"));
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>User: {ARN} is not authorized to perform: s3:GetObject on resource: &quot;arn:aws:s3:::bucket/state.tfstate&quot; with an explicit deny in a session policy</Message><RequestId>X</RequestId></Error>"
        );
        let d = one(&xml);
        assert_eq!(d.action.as_deref(), Some("s3:GetObject"));
        assert_eq!(
            d.resource.as_deref(),
            Some("arn:aws:s3:::bucket/state.tfstate")
        );
        assert_eq!(d.refusal, Some(Refusal::ExplicitDeny(PolicyType::Session)));
        assert_eq!(d.code.as_deref(), Some("AccessDenied"));
        // S3 without detail.
        let d = one("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
        assert_eq!((d.action, d.principal), (None, None));
    }

    #[test]
    fn terraform_boxed_and_wrapped_several_at_once() {
        let text = format!(
            "aws_instance.web: Creating...\n╷\n│ Error: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 403, RequestID: 1, api error UnauthorizedOperation: You are not authorized to perform this operation. User:\n│ {ARN} is not authorized to perform:\n│ ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/* because no\n│ identity-based policy allows the ec2:RunInstances action. Encoded authorization failure message: abc\n│\n│   with aws_instance.web,\n│   on main.tf line 1, in resource \"aws_instance\" \"web\":\n╵\n╷\n│ Error: creating S3 Bucket (b): operation error S3: CreateBucket, https response error StatusCode: 403, RequestID: 2, HostID: h, api error AccessDenied: Access Denied\n╵\n╷\n│ Error: creating IAM Role (r): operation error IAM: CreateRole, https response error StatusCode: 403, api error AccessDenied: User: {ARN} is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/r with an explicit deny in a service control policy\n╵\n"
        );
        let all = parse(&text);
        assert_eq!(all.len(), 3, "{all:#?}");
        assert_eq!(all[0].action.as_deref(), Some("ec2:RunInstances"));
        assert_eq!(all[0].code.as_deref(), Some("UnauthorizedOperation"));
        assert_eq!(all[0].refusal, Some(Refusal::NoAllow(PolicyType::Identity)));
        assert!(all[0].principal.is_some());
        // S3's plain `Access Denied`: the action from the SDK's operation.
        assert_eq!(all[1].action.as_deref(), Some("s3:CreateBucket"));
        assert_eq!(all[1].principal, None);
        assert_eq!(
            all[2].refusal,
            Some(Refusal::ExplicitDeny(PolicyType::ServiceControl))
        );
    }

    #[test]
    fn the_same_denial_twice_is_one() {
        let line = format!("User: {ARN} is not authorized to perform: iam:CreateUser");
        assert_eq!(parse(&format!("{line}\n{line}\n")).len(), 1);
        assert!(parse("nothing was refused here").is_empty());
        assert!(parse("").is_empty());
    }

    #[test]
    fn cloudtrail_records_and_lookup_events() {
        let record = serde_json::json!({
            "eventTime": "2026-11-30T10:00:00Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": "ListObjectsV2",
            "errorCode": "AccessDenied",
            "errorMessage": "Access Denied",
            "userIdentity": {"type": "AssumedRole", "arn": ARN, "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/app-provisioning"}}},
            "resources": [{"ARN": "arn:aws:s3:::bucket", "type": "AWS::S3::Bucket"}]
        });
        let ok = serde_json::json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "userIdentity": {"arn": ARN}});
        let d = one(&serde_json::json!({"Records": [ok, record]}).to_string());
        assert_eq!(d.action.as_deref(), Some("s3:ListBucket"));
        assert_eq!(d.resource.as_deref(), Some("arn:aws:s3:::bucket"));
        assert_eq!(d.source, Source::CloudTrail);
        assert_eq!(d.source_identity, None);
        assert_eq!(
            d.principal.unwrap().session(),
            Some(("app-provisioning", "tf-qa.api"))
        );
        // The source identity, cut at what STS takes.
        let mut with = record.clone();
        with["userIdentity"]["sessionContext"]["sourceIdentity"] = "octocat@tf-qa.api".into();
        assert_eq!(
            one(&with.to_string()).source_identity.as_deref(),
            Some("octocat@tf-qa.api")
        );
        with["userIdentity"]["sessionContext"]["sourceIdentity"] = "é".repeat(1000).into();
        let long = one(&with.to_string()).source_identity.unwrap();
        assert_eq!(long.chars().count(), MAX_SOURCE_IDENTITY + 1);
        assert!(long.ends_with('…'));
        let lambda = serde_json::json!({"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331", "errorCode": "AccessDenied", "userIdentity": {"arn": ARN}});
        let lookup = serde_json::json!({"Events": [{"CloudTrailEvent": lambda.to_string()}]});
        assert_eq!(
            one(&lookup.to_string()).action.as_deref(),
            Some("lambda:CreateFunction")
        );
        let ec2 = serde_json::json!({"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "errorCode": "Client.UnauthorizedOperation", "errorMessage": format!("User: {ARN} is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/* because no session policy allows the ec2:RunInstances action"), "userIdentity": {"arn": ARN}});
        let d = one(&ec2.to_string());
        assert_eq!(d.refusal, Some(Refusal::NoAllow(PolicyType::Session)));
        assert_eq!(
            d.resource.as_deref(),
            Some("arn:aws:ec2:us-east-1:123456789012:instance/*")
        );
    }

    #[test]
    fn hostile_input_is_read_without_panicking() {
        for text in [
            "is not authorized to perform",
            "is not authorized to perform:",
            "User: arn: is not authorized to perform: : on resource:",
            "╷\n│\n╵",
            "{\"Records\": 5}",
            "{\"Events\": [{\"CloudTrailEvent\": 3}]}",
            "{not json",
            "operation error S3: , api error AccessDenied:",
            "é is not authorized to perform: é:é on resource: é because no é",
        ] {
            let _ = parse(text);
        }
    }
}
