//! CloudTrail events as IAM actions: which action authorised the call a
//! record describes.
//!
//! A record names the call by `eventSource` (`ec2.amazonaws.com`) and
//! `eventName` (`RunInstances`). Usually the action is the event name under
//! the service prefix the source's first label names, as the [`Catalog`]
//! knows it. Where it is not, one of these rules applies, in order:
//!
//! 1. [`NO_PERMISSION`]: calls that need no IAM permission
//!    (`sts:GetCallerIdentity`); they are reported as such, never as used.
//! 2. [`RENAMES`]: the table of events whose action has another name
//!    (`s3` `ListObjectsV2` is `s3:ListBucket`, `HeadObject` is
//!    `s3:GetObject`, KMS's `ReEncrypt` is `kms:ReEncryptFrom` and
//!    `kms:ReEncryptTo`, ...). Each row says why.
//! 3. [`SOURCE_PREFIXES`]: event sources whose first label is not the IAM
//!    prefix (`monitoring.amazonaws.com` is `cloudwatch`).
//! 4. API versions in event names: Lambda logs `CreateFunction20150331` and
//!    `UpdateFunctionCode20150331v2`, CloudFront `CreateDistribution2020_05_31`;
//!    a trailing `YYYYMMDD`, `YYYYMMDDvN` or `YYYY_MM_DD` is dropped when the
//!    name without it is an action and the name with it is not.
//! 5. API Gateway's management API is authorised by HTTP method
//!    (`apigateway:GET`, `POST`, `PUT`, `PATCH`, `DELETE`): the event name's
//!    verb decides.
//!
//! Whatever maps to no action the catalog knows is [`EventActions::Unmapped`]
//! with the reason, so callers list it rather than drop it.

use std::fmt;

use crate::catalog::{ActionInfo, Catalog};

/// One row of the table of events whose action has another name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rename {
    /// The record's `eventSource`.
    pub source: &'static str,
    /// The record's `eventName`.
    pub event: &'static str,
    /// The IAM actions that authorise it (all of them are needed).
    pub actions: &'static [&'static str],
    /// Why, in a few words.
    pub why: &'static str,
}

const fn r(
    source: &'static str,
    event: &'static str,
    actions: &'static [&'static str],
    why: &'static str,
) -> Rename {
    Rename {
        source,
        event,
        actions,
        why,
    }
}

const S3: &str = "s3.amazonaws.com";
const MULTIPART: &str = "parts of an upload are authorised as the upload";
const CONFIG_DELETE: &str = "S3 authorises removing a bucket configuration as writing it";
const CONFIG_NAME: &str = "the IAM action names the configuration without `Bucket`";

/// The events whose IAM action is not the event name (see the
/// [module docs](self)). Checked against the catalog by the crate's tests.
pub const RENAMES: &[Rename] = &[
    r(
        S3,
        "ListObjects",
        &["s3:ListBucket"],
        "listing objects is authorised as listing the bucket",
    ),
    r(
        S3,
        "ListObjectsV2",
        &["s3:ListBucket"],
        "listing objects is authorised as listing the bucket",
    ),
    r(
        S3,
        "ListObjectVersions",
        &["s3:ListBucketVersions"],
        "the IAM action names the bucket",
    ),
    r(
        S3,
        "HeadObject",
        &["s3:GetObject"],
        "HEAD is authorised as GET",
    ),
    r(
        S3,
        "HeadBucket",
        &["s3:ListBucket"],
        "HEAD on a bucket is authorised as listing it",
    ),
    r(
        S3,
        "SelectObjectContent",
        &["s3:GetObject"],
        "S3 Select reads the object",
    ),
    r(
        S3,
        "GetObjectAttributes",
        &["s3:GetObject", "s3:GetObjectAttributes"],
        "S3's API reference: both, on an unversioned bucket",
    ),
    r(
        S3,
        "CopyObject",
        &["s3:GetObject", "s3:PutObject"],
        "a copy reads the source and writes the target",
    ),
    r(S3, "CreateMultipartUpload", &["s3:PutObject"], MULTIPART),
    r(S3, "UploadPart", &["s3:PutObject"], MULTIPART),
    r(
        S3,
        "UploadPartCopy",
        &["s3:GetObject", "s3:PutObject"],
        MULTIPART,
    ),
    r(S3, "CompleteMultipartUpload", &["s3:PutObject"], MULTIPART),
    r(
        S3,
        "ListParts",
        &["s3:ListMultipartUploadParts"],
        "the IAM action names the upload",
    ),
    r(
        S3,
        "ListMultipartUploads",
        &["s3:ListBucketMultipartUploads"],
        "the IAM action names the bucket",
    ),
    r(
        S3,
        "DeleteObjects",
        &["s3:DeleteObject"],
        "a batch delete is authorised per object",
    ),
    r(
        S3,
        "ListBuckets",
        &["s3:ListAllMyBuckets"],
        "the IAM action's older name",
    ),
    r(S3, "DeleteBucketCors", &["s3:PutBucketCORS"], CONFIG_DELETE),
    r(
        S3,
        "GetBucketEncryption",
        &["s3:GetEncryptionConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketEncryption",
        &["s3:PutEncryptionConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "DeleteBucketEncryption",
        &["s3:PutEncryptionConfiguration"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "GetBucketLifecycle",
        &["s3:GetLifecycleConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "GetBucketLifecycleConfiguration",
        &["s3:GetLifecycleConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketLifecycle",
        &["s3:PutLifecycleConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketLifecycleConfiguration",
        &["s3:PutLifecycleConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "DeleteBucketLifecycle",
        &["s3:PutLifecycleConfiguration"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "GetBucketReplication",
        &["s3:GetReplicationConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketReplication",
        &["s3:PutReplicationConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "DeleteBucketReplication",
        &["s3:PutReplicationConfiguration"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "GetBucketAccelerateConfiguration",
        &["s3:GetAccelerateConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketAccelerateConfiguration",
        &["s3:PutAccelerateConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "GetBucketAnalyticsConfiguration",
        &["s3:GetAnalyticsConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "ListBucketAnalyticsConfigurations",
        &["s3:GetAnalyticsConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketAnalyticsConfiguration",
        &["s3:PutAnalyticsConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "DeleteBucketAnalyticsConfiguration",
        &["s3:PutAnalyticsConfiguration"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "GetBucketInventoryConfiguration",
        &["s3:GetInventoryConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "ListBucketInventoryConfigurations",
        &["s3:GetInventoryConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketInventoryConfiguration",
        &["s3:PutInventoryConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "DeleteBucketInventoryConfiguration",
        &["s3:PutInventoryConfiguration"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "GetBucketMetricsConfiguration",
        &["s3:GetMetricsConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "ListBucketMetricsConfigurations",
        &["s3:GetMetricsConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketMetricsConfiguration",
        &["s3:PutMetricsConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "DeleteBucketMetricsConfiguration",
        &["s3:PutMetricsConfiguration"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "GetBucketIntelligentTieringConfiguration",
        &["s3:GetIntelligentTieringConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "ListBucketIntelligentTieringConfigurations",
        &["s3:GetIntelligentTieringConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "PutBucketIntelligentTieringConfiguration",
        &["s3:PutIntelligentTieringConfiguration"],
        CONFIG_NAME,
    ),
    r(
        S3,
        "DeleteBucketIntelligentTieringConfiguration",
        &["s3:PutIntelligentTieringConfiguration"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "GetBucketNotificationConfiguration",
        &["s3:GetBucketNotification"],
        "the IAM action's older name",
    ),
    r(
        S3,
        "PutBucketNotificationConfiguration",
        &["s3:PutBucketNotification"],
        "the IAM action's older name",
    ),
    r(
        S3,
        "GetObjectLockConfiguration",
        &["s3:GetBucketObjectLockConfiguration"],
        "the IAM action names the bucket",
    ),
    r(
        S3,
        "PutObjectLockConfiguration",
        &["s3:PutBucketObjectLockConfiguration"],
        "the IAM action names the bucket",
    ),
    r(
        S3,
        "DeleteBucketTagging",
        &["s3:PutBucketTagging"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "DeleteBucketOwnershipControls",
        &["s3:PutBucketOwnershipControls"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "DeletePublicAccessBlock",
        &["s3:PutBucketPublicAccessBlock"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "DeleteBucketPublicAccessBlock",
        &["s3:PutBucketPublicAccessBlock"],
        CONFIG_DELETE,
    ),
    r(
        S3,
        "GetPublicAccessBlock",
        &["s3:GetBucketPublicAccessBlock"],
        "the IAM action names the bucket",
    ),
    r(
        S3,
        "PutPublicAccessBlock",
        &["s3:PutBucketPublicAccessBlock"],
        "the IAM action names the bucket",
    ),
    r(
        "kms.amazonaws.com",
        "ReEncrypt",
        &["kms:ReEncryptFrom", "kms:ReEncryptTo"],
        "re-encrypting decrypts under one key and encrypts under another",
    ),
    r(
        "lambda.amazonaws.com",
        "Invoke",
        &["lambda:InvokeFunction"],
        "the data event is named for the API, the action for the function",
    ),
    r(
        "lambda.amazonaws.com",
        "InvokeWithResponseStream",
        &["lambda:InvokeFunction"],
        "streaming invocation is authorised as invocation",
    ),
    r(
        "dynamodb.amazonaws.com",
        "TransactGetItems",
        &["dynamodb:GetItem"],
        "a transaction is authorised per item operation",
    ),
    r(
        "dynamodb.amazonaws.com",
        "TransactWriteItems",
        &[
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ],
        "a transaction is authorised per item operation; which ones the record does not say, so all four",
    ),
];

/// Event sources whose first label is not the IAM service prefix.
pub const SOURCE_PREFIXES: &[(&str, &str)] = &[
    ("monitoring.amazonaws.com", "cloudwatch"),
    ("appstream2.amazonaws.com", "appstream"),
    ("models.lex.amazonaws.com", "lex"),
    ("runtime.lex.amazonaws.com", "lex"),
    ("mturk-requester.amazonaws.com", "mechanicalturk"),
    ("streams.dynamodb.amazonaws.com", "dynamodb"),
    ("tagging.amazonaws.com", "tag"),
    ("cloudcontrolapi.amazonaws.com", "cloudformation"),
    ("runtime.sagemaker.amazonaws.com", "sagemaker"),
    ("api.sagemaker.amazonaws.com", "sagemaker"),
    ("email.amazonaws.com", "ses"),
];

/// Calls that need no IAM permission, so they are never reported as used.
pub const NO_PERMISSION: &[(&str, &str)] = &[("sts.amazonaws.com", "GetCallerIdentity")];

/// What one event needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventActions {
    /// These actions, in AWS's casing (one or more).
    Actions(Vec<&'static ActionInfo>),
    /// Nothing: the call needs no IAM permission.
    NoPermission,
    /// No action the catalog knows; the reason says what was tried.
    Unmapped(Unmapped),
}

/// Why an event maps to no action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmapped {
    /// The event source's service prefix is not in the catalog.
    UnknownService {
        /// The prefix tried.
        prefix: String,
    },
    /// The service is known, the action is not.
    UnknownAction {
        /// The action tried, like `signin:ConsoleLogin`.
        action: String,
    },
    /// The source is not an AWS service endpoint (`*.amazonaws.com`).
    NotAService,
}

impl fmt::Display for Unmapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unmapped::UnknownService { prefix } => {
                write!(f, "no IAM service `{prefix}` in the catalog")
            }
            Unmapped::UnknownAction { action } => {
                write!(f, "no IAM action `{action}` in the catalog")
            }
            Unmapped::NotAService => f.write_str("not an AWS service's event source"),
        }
    }
}

/// The IAM service prefix of an event source: `ec2.amazonaws.com` is `ec2`.
/// `None` for a source that is not `*.amazonaws.com`.
#[must_use]
pub(crate) fn source_prefix(source: &str) -> Option<&str> {
    if let Some((_, prefix)) = SOURCE_PREFIXES
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(source))
    {
        return Some(prefix);
    }
    let host = source.strip_suffix(".amazonaws.com")?;
    let first = host.split('.').next().filter(|l| !l.is_empty())?;
    Some(first)
}

/// The HTTP method API Gateway's management API authorises an event with,
/// from the verb its name starts with; `None` for a name without a known
/// verb.
#[must_use]
pub(crate) fn apigateway_method(event: &str) -> Option<&'static str> {
    const VERBS: &[(&str, &str)] = &[
        ("Get", "GET"),
        ("Create", "POST"),
        ("Import", "POST"),
        ("Generate", "POST"),
        ("Test", "POST"),
        ("Reset", "POST"),
        ("Put", "PUT"),
        ("Reimport", "PUT"),
        ("Tag", "PUT"),
        ("Update", "PATCH"),
        ("Delete", "DELETE"),
        ("Untag", "DELETE"),
        ("Flush", "DELETE"),
    ];
    VERBS.iter().find_map(|(verb, method)| {
        let rest = event.strip_prefix(verb)?;
        (rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase())).then_some(*method)
    })
}

/// The name without a trailing API version: `CreateFunction20150331`,
/// `UpdateFunctionCode20150331v2` and `CreateDistribution2020_05_31` lose
/// their date. `None` when there is none.
#[must_use]
pub(crate) fn strip_api_version(name: &str) -> Option<&str> {
    let b = name.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    // `YYYY_MM_DD`
    if b.len() > 10 {
        let (head, tail) = b.split_at(b.len() - 10);
        if digits(&tail[..4])
            && tail[4] == b'_'
            && digits(&tail[5..7])
            && tail[7] == b'_'
            && digits(&tail[8..])
            && head.last().is_some_and(u8::is_ascii_alphabetic)
        {
            return Some(&name[..head.len()]);
        }
    }
    // `YYYYMMDD` then an optional `vN`
    let mut end = b.len();
    if let Some(v) = b.iter().rposition(|&c| c == b'v')
        && digits(&b[v + 1..])
    {
        end = v;
    }
    if end > 8 && digits(&b[end - 8..end]) && b[end - 9].is_ascii_alphabetic() {
        return Some(&name[..end - 8]);
    }
    None
}

/// The IAM actions that authorised the call a CloudTrail record describes
/// (see the [module docs](self) for the rules).
#[must_use]
pub fn event_actions(source: &str, event: &str) -> EventActions {
    let catalog = Catalog::get();
    if NO_PERMISSION
        .iter()
        .any(|(s, e)| s.eq_ignore_ascii_case(source) && *e == event)
    {
        return EventActions::NoPermission;
    }
    if let Some(row) = RENAMES
        .iter()
        .find(|row| row.source.eq_ignore_ascii_case(source) && row.event == event)
    {
        return EventActions::Actions(
            row.actions
                .iter()
                .map(|a| {
                    catalog
                        .action(a)
                        .expect("RENAMES is checked against the catalog")
                })
                .collect(),
        );
    }
    let Some(prefix) = source_prefix(source) else {
        return EventActions::Unmapped(Unmapped::NotAService);
    };
    let Some(service) = catalog.service(prefix) else {
        return EventActions::Unmapped(Unmapped::UnknownService {
            prefix: prefix.to_owned(),
        });
    };
    if let Some(info) = service.action(event) {
        return EventActions::Actions(vec![info]);
    }
    if let Some(info) = strip_api_version(event).and_then(|name| service.action(name)) {
        return EventActions::Actions(vec![info]);
    }
    if service.prefix() == "apigateway"
        && let Some(info) = apigateway_method(event).and_then(|m| service.action(m))
    {
        return EventActions::Actions(vec![info]);
    }
    EventActions::Unmapped(Unmapped::UnknownAction {
        action: format!("{}:{event}", service.prefix()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(e: EventActions) -> Vec<&'static str> {
        match e {
            EventActions::Actions(v) => v.iter().map(|a| a.action()).collect(),
            other => panic!("not mapped: {other:?}"),
        }
    }

    #[test]
    fn every_rename_names_catalog_actions_and_is_needed() {
        let catalog = Catalog::get();
        for row in RENAMES {
            for a in row.actions {
                let info = catalog.action(a).unwrap_or_else(|| {
                    panic!("{} {}: `{a}` not in the catalog", row.source, row.event)
                });
                assert_eq!(info.action(), *a, "written in AWS's casing");
            }
            // A row is only there because the default rule gets it wrong.
            let prefix = source_prefix(row.source).unwrap();
            let default = catalog.action(&format!("{prefix}:{}", row.event));
            assert!(
                default.is_none_or(|d| row.actions != [d.action()]),
                "{} {}: the default rule already gives {:?}",
                row.source,
                row.event,
                row.actions
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for row in RENAMES {
            assert!(seen.insert((row.source, row.event)), "{} twice", row.event);
        }
    }

    #[test]
    fn the_issue_s_cases() {
        assert_eq!(names(event_actions(S3, "ListObjects")), ["s3:ListBucket"]);
        assert_eq!(names(event_actions(S3, "ListObjectsV2")), ["s3:ListBucket"]);
        assert_eq!(names(event_actions(S3, "HeadObject")), ["s3:GetObject"]);
        assert_eq!(names(event_actions(S3, "HeadBucket")), ["s3:ListBucket"]);
        assert_eq!(
            names(event_actions(
                "lambda.amazonaws.com",
                "CreateFunction20150331"
            )),
            ["lambda:CreateFunction"]
        );
        assert_eq!(
            names(event_actions(
                "lambda.amazonaws.com",
                "UpdateFunctionCode20150331v2"
            )),
            ["lambda:UpdateFunctionCode"]
        );
        assert_eq!(
            names(event_actions("lambda.amazonaws.com", "ListTags20170331")),
            ["lambda:ListTags"]
        );
    }

    #[test]
    fn the_default_rule_and_its_exceptions() {
        assert_eq!(
            names(event_actions("ec2.amazonaws.com", "RunInstances")),
            ["ec2:RunInstances"]
        );
        assert_eq!(
            names(event_actions("monitoring.amazonaws.com", "PutMetricAlarm")),
            ["cloudwatch:PutMetricAlarm"]
        );
        assert_eq!(
            names(event_actions("kms.amazonaws.com", "ReEncrypt")),
            ["kms:ReEncryptFrom", "kms:ReEncryptTo"]
        );
        assert_eq!(
            names(event_actions(
                "cloudfront.amazonaws.com",
                "CreateDistribution2020_05_31"
            )),
            ["cloudfront:CreateDistribution"]
        );
        assert_eq!(
            names(event_actions("apigateway.amazonaws.com", "CreateRestApi")),
            ["apigateway:POST"]
        );
        assert_eq!(
            names(event_actions("apigateway.amazonaws.com", "UpdateStage")),
            ["apigateway:PATCH"]
        );
        assert_eq!(
            names(event_actions("apigateway.amazonaws.com", "GetRestApis")),
            ["apigateway:GET"]
        );
        assert_eq!(
            names(event_actions(S3, "PutBucketReplication")),
            ["s3:PutReplicationConfiguration"]
        );
        assert_eq!(
            event_actions("sts.amazonaws.com", "GetCallerIdentity"),
            EventActions::NoPermission
        );
    }

    #[test]
    fn unmapped_events_say_why() {
        assert_eq!(
            event_actions("signin.amazonaws.com", "ConsoleLogin"),
            EventActions::Unmapped(Unmapped::UnknownAction {
                action: "signin:ConsoleLogin".into()
            })
        );
        assert_eq!(
            event_actions("nothing-here.amazonaws.com", "Do"),
            EventActions::Unmapped(Unmapped::UnknownService {
                prefix: "nothing-here".into()
            })
        );
        assert_eq!(
            event_actions("example.com", "Do"),
            EventActions::Unmapped(Unmapped::NotAService)
        );
        assert_eq!(
            event_actions(".amazonaws.com", "Do"),
            EventActions::Unmapped(Unmapped::NotAService)
        );
    }

    #[test]
    fn api_versions_are_dates_at_the_end() {
        assert_eq!(
            strip_api_version("CreateFunction20150331"),
            Some("CreateFunction")
        );
        assert_eq!(
            strip_api_version("AddPermission20150331v2"),
            Some("AddPermission")
        );
        assert_eq!(
            strip_api_version("GetDistribution2019_03_26"),
            Some("GetDistribution")
        );
        assert_eq!(strip_api_version("ListObjectsV2"), None);
        assert_eq!(strip_api_version("Ec2"), None);
        assert_eq!(strip_api_version("20150331"), None);
        assert_eq!(strip_api_version("x20150331v"), None);
        assert_eq!(strip_api_version("v2"), None);
        assert_eq!(strip_api_version(""), None);
        assert_eq!(strip_api_version("A_2020_05_31"), None);
    }

    /// The table as docs/least-privilege.md shows it.
    fn markdown() -> String {
        let mut out =
            String::from("| event source | event name | IAM actions | why |\n|---|---|---|---|\n");
        for row in RENAMES {
            let actions: Vec<String> = row.actions.iter().map(|a| format!("`{a}`")).collect();
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} |\n",
                row.source,
                row.event,
                actions.join(", "),
                row.why
            ));
        }
        out
    }

    #[test]
    fn the_docs_show_this_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/least-privilege.md");
        let docs = std::fs::read_to_string(path).unwrap();
        let table = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            println!("{table}");
        }
        assert!(
            docs.contains(&table),
            "docs/least-privilege.md must show RENAMES as:\n{table}"
        );
    }

    #[test]
    fn apigateway_verbs() {
        assert_eq!(apigateway_method("GetRestApi"), Some("GET"));
        assert_eq!(apigateway_method("TagResource"), Some("PUT"));
        assert_eq!(apigateway_method("Getaway"), None);
        assert_eq!(apigateway_method("Other"), None);
    }
}
