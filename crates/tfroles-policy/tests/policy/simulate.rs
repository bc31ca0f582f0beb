use std::slice;

use pretty_assertions::assert_eq;
use serde_json::json;
use tfroles_policy::{
    Decision, Error, PolicyDocument, PolicyKind, Reason, Request, StatementRef, evaluate,
};

fn doc(value: serde_json::Value) -> PolicyDocument {
    PolicyDocument::from_value(&value).unwrap()
}

/// A 2012-10-17 document with these statements.
fn policy(statements: serde_json::Value) -> PolicyDocument {
    doc(json!({"Version": "2012-10-17", "Statement": statements}))
}

fn allow_all() -> PolicyDocument {
    policy(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))
}

fn decide(request: &Request, identity: &[PolicyDocument], session: &[PolicyDocument]) -> Decision {
    evaluate(request, identity, session).unwrap()
}

fn at(
    kind: PolicyKind,
    policy: usize,
    statement: usize,
    sid: Option<&str>,
) -> Option<StatementRef> {
    Some(StatementRef {
        kind,
        policy,
        statement,
        sid: sid.map(str::to_owned),
    })
}

const OBJECT: &str = "arn:aws:s3:::state/prod.tfstate";

#[test]
fn no_policy_is_an_implicit_deny() {
    let request = Request::new("s3:GetObject", OBJECT);
    let decision = decide(&request, &[], &[]);
    assert_eq!(
        decision,
        Decision {
            allowed: false,
            reason: Reason::ImplicitDeny,
            deciding: None,
            session: None
        }
    );
    assert_eq!(
        decision.to_string(),
        "implicitly denied: no identity policy statement allows it"
    );
    let unrelated = policy(json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]));
    assert_eq!(
        decide(&request, &[unrelated], &[]).reason,
        Reason::ImplicitDeny
    );
}

#[test]
fn allow_names_the_statement() {
    let p = policy(json!([
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::state/*"}
    ]));
    let decision = decide(&Request::new("s3:GetObject", OBJECT), &[p], &[]);
    assert!(decision.allowed);
    assert_eq!(decision.reason, Reason::Allowed);
    assert_eq!(
        decision.deciding,
        at(PolicyKind::Identity, 0, 1, Some("Read"))
    );
    assert_eq!(
        decision.to_string(),
        r#"allowed by identity policy 0, statement 1 (Sid "Read")"#
    );
}

#[test]
fn explicit_deny_beats_allow_across_policies() {
    let deny = policy(json!([
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}
    ]));
    let request = Request::new("s3:DeleteObject", OBJECT);
    let decision = decide(&request, &[allow_all(), deny.clone()], &[]);
    assert!(!decision.allowed);
    assert_eq!(decision.reason, Reason::ExplicitDeny);
    assert_eq!(
        decision.deciding,
        at(PolicyKind::Identity, 1, 1, Some("NoDelete"))
    );
    // Order does not matter.
    assert_eq!(
        decide(&request, &[deny, allow_all()], &[]).reason,
        Reason::ExplicitDeny
    );
}

#[test]
fn a_deny_in_a_session_policy_beats_an_identity_allow() {
    let session = policy(json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}
    ]));
    let decision = decide(
        &Request::new("s3:PutObject", OBJECT),
        &[allow_all()],
        &[session],
    );
    assert_eq!(decision.reason, Reason::ExplicitDeny);
    assert_eq!(decision.deciding, at(PolicyKind::Session, 0, 1, None));
}

#[test]
fn session_policies_intersect_with_identity_policies() {
    let identity = policy(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    let session = policy(
        json!([{"Sid": "S", "Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:*"], "Resource": "*"}]),
    );

    let get = decide(
        &Request::new("s3:GetObject", OBJECT),
        slice::from_ref(&identity),
        slice::from_ref(&session),
    );
    assert_eq!(get.reason, Reason::Allowed);
    assert_eq!(get.deciding, at(PolicyKind::Identity, 0, 0, None));
    assert_eq!(get.session, at(PolicyKind::Session, 0, 0, Some("S")));
    assert_eq!(
        get.to_string(),
        r#"allowed by identity policy 0, statement 0 and session policy 0, statement 0 (Sid "S")"#
    );

    // The identity allows it, the session does not.
    let put = decide(
        &Request::new("s3:PutObject", OBJECT),
        slice::from_ref(&identity),
        slice::from_ref(&session),
    );
    assert!(!put.allowed);
    assert_eq!(put.reason, Reason::NotAllowedBySession);
    assert_eq!(put.deciding, at(PolicyKind::Identity, 0, 0, None));

    // The session allows it, the identity does not: a session policy grants nothing.
    let scan = decide(
        &Request::new(
            "dynamodb:Scan",
            "arn:aws:dynamodb:eu-west-1:111111111111:table/locks",
        ),
        slice::from_ref(&identity),
        &[session],
    );
    assert_eq!(scan.reason, Reason::ImplicitDeny);

    // Without session policies the identity policies alone decide.
    assert!(decide(&Request::new("s3:PutObject", OBJECT), &[identity], &[]).allowed);
}

#[test]
fn several_session_policies_need_only_one_allow() {
    let a = policy(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]));
    let b = policy(json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]));
    let decision = decide(
        &Request::new("s3:PutObject", OBJECT),
        &[allow_all()],
        &[a, b],
    );
    assert_eq!(decision.session, at(PolicyKind::Session, 1, 0, None));
}

#[test]
fn actions_ignore_case_and_take_wildcards() {
    let p = policy(
        json!([{"Effect": "Allow", "Action": ["S3:get*", "ec2:Describe?nstances"], "Resource": "*"}]),
    );
    for (action, allowed) in [
        ("s3:GetObject", true),
        ("s3:getobjectacl", true),
        ("S3:GETOBJECT", true),
        ("s3:PutObject", false),
        ("ec2:DescribeInstances", true),
        ("ec2:DescribeImages", false),
    ] {
        let decision = decide(&Request::new(action, "*"), slice::from_ref(&p), &[]);
        assert_eq!(decision.allowed, allowed, "{action}");
    }
}

#[test]
fn resources_are_case_sensitive_with_wildcards() {
    let p = policy(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::state/env/*", "arn:aws:s3:::logs/day-??"]}]),
    );
    for (resource, allowed) in [
        ("arn:aws:s3:::state/env/a/b.tfstate", true),
        ("arn:aws:s3:::state/ENV/a.tfstate", false),
        ("arn:aws:s3:::state/other", false),
        ("arn:aws:s3:::logs/day-01", true),
        ("arn:aws:s3:::logs/day-1", false),
    ] {
        let decision = decide(
            &Request::new("s3:GetObject", resource),
            slice::from_ref(&p),
            &[],
        );
        assert_eq!(decision.allowed, allowed, "{resource}");
    }
}

#[test]
fn not_action_with_allow_allows_everything_else() {
    let p = policy(
        json!([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]),
    );
    assert!(
        decide(
            &Request::new("s3:GetObject", OBJECT),
            slice::from_ref(&p),
            &[]
        )
        .allowed
    );
    let iam = decide(
        &Request::new("iam:CreateUser", "arn:aws:iam::1:user/x"),
        &[p],
        &[],
    );
    assert_eq!(iam.reason, Reason::ImplicitDeny);
}

#[test]
fn not_action_with_deny_denies_everything_else() {
    // "Deny everything but these" is not "allow these": it allows nothing.
    let guard = policy(json!([{"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}]));
    let ec2 = decide(
        &Request::new("ec2:RunInstances", "*"),
        &[allow_all(), guard.clone()],
        &[],
    );
    assert_eq!(ec2.reason, Reason::ExplicitDeny);
    assert!(
        decide(
            &Request::new("s3:GetObject", OBJECT),
            &[allow_all(), guard.clone()],
            &[]
        )
        .allowed
    );
    assert_eq!(
        decide(&Request::new("s3:GetObject", OBJECT), &[guard], &[]).reason,
        Reason::ImplicitDeny
    );
}

#[test]
fn not_resource_applies_to_every_other_resource() {
    let p = policy(
        json!([{"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"]}]),
    );
    assert!(
        decide(
            &Request::new("s3:GetObject", OBJECT),
            slice::from_ref(&p),
            &[]
        )
        .allowed
    );
    assert!(
        !decide(
            &Request::new("s3:GetObject", "arn:aws:s3:::secret/k"),
            slice::from_ref(&p),
            &[]
        )
        .allowed
    );
    assert!(
        !decide(
            &Request::new("s3:ListBucket", "arn:aws:s3:::secret"),
            &[p],
            &[]
        )
        .allowed
    );

    let deny = policy(
        json!([{"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::state/*"}]),
    );
    let outside = decide(
        &Request::new("s3:GetObject", "arn:aws:s3:::other/k"),
        &[allow_all(), deny.clone()],
        &[],
    );
    assert_eq!(outside.reason, Reason::ExplicitDeny);
    assert!(
        decide(
            &Request::new("s3:GetObject", OBJECT),
            &[allow_all(), deny],
            &[]
        )
        .allowed
    );
}

/// Whether `Allow * on *` with this one condition allows a request whose
/// context has `key` set to `values` (or no `key` at all for `None`).
fn condition(operator: &str, policy_values: serde_json::Value, values: Option<&[&str]>) -> bool {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {operator: {"test:Key": policy_values}}
    }]));
    let mut request = Request::new("s3:GetObject", OBJECT);
    if let Some(values) = values {
        request = request.with_context("test:Key", values.iter().copied());
    }
    decide(&request, &[p], &[]).allowed
}

fn check(operator: &str, policy_values: serde_json::Value, cases: &[(Option<&[&str]>, bool)]) {
    for (values, expected) in cases {
        assert_eq!(
            condition(operator, policy_values.clone(), *values),
            *expected,
            "{operator} {policy_values} against {values:?}"
        );
    }
}

#[test]
fn string_operators() {
    check(
        "StringEquals",
        json!("prod"),
        &[
            (Some(&["prod"]), true),
            (Some(&["Prod"]), false),
            (Some(&["dev"]), false),
            (None, false),
        ],
    );
    // Several values: ORed; negated: NORed.
    check(
        "StringEquals",
        json!(["prod", "stage"]),
        &[(Some(&["stage"]), true), (Some(&["dev"]), false)],
    );
    check(
        "StringNotEquals",
        json!(["prod", "stage"]),
        &[
            (Some(&["dev"]), true),
            (Some(&["stage"]), false),
            (Some(&["Prod"]), true),
            // A missing key: the negated operator is true.
            (None, true),
        ],
    );
    check(
        "StringEqualsIgnoreCase",
        json!("Prod"),
        &[
            (Some(&["pROD"]), true),
            (Some(&["dev"]), false),
            (None, false),
        ],
    );
    check(
        "StringNotEqualsIgnoreCase",
        json!("Prod"),
        &[
            (Some(&["pROD"]), false),
            (Some(&["dev"]), true),
            (None, true),
        ],
    );
    check(
        "StringLike",
        json!(["env/*", "??.tfstate"]),
        &[
            (Some(&["env/prod/x"]), true),
            (Some(&["ab.tfstate"]), true),
            (Some(&["abc.tfstate"]), false),
            (Some(&["ENV/prod"]), false),
            (None, false),
        ],
    );
    check(
        "StringNotLike",
        json!("env/*"),
        &[
            (Some(&["env/prod"]), false),
            (Some(&["other"]), true),
            (None, true),
        ],
    );
}

#[test]
fn arn_operators() {
    let role = "arn:aws:iam::111111111111:role/terraform-apply";
    check(
        "ArnLike",
        json!("arn:aws:iam::*:role/terraform-*"),
        &[
            (Some(&[role]), true),
            (
                Some(&["arn:aws:iam::111111111111:role/Terraform-apply"]),
                false,
            ),
            (Some(&["not an arn"]), false),
            (None, false),
        ],
    );
    check(
        "ArnEquals",
        json!(role),
        &[
            (Some(&[role]), true),
            (Some(&["arn:aws:iam::111111111111:role/x"]), false),
        ],
    );
    check(
        "ArnNotLike",
        json!("arn:aws:iam::*:role/admin"),
        &[
            (Some(&[role]), true),
            (Some(&["arn:aws:iam::1:role/admin"]), false),
            (None, true),
        ],
    );
    check(
        "ArnNotEquals",
        json!(role),
        &[(Some(&[role]), false), (None, true)],
    );
}

#[test]
fn bool_and_null() {
    check(
        "Bool",
        json!(false),
        &[
            (Some(&["false"]), true),
            (Some(&["FALSE"]), true),
            (Some(&["true"]), false),
            (None, false),
        ],
    );
    check(
        "BoolIfExists",
        json!("false"),
        &[(Some(&["true"]), false), (None, true)],
    );
    // Null: "true" means the key is missing, "false" that it is present.
    check(
        "Null",
        json!("true"),
        &[(None, true), (Some(&["x"]), false)],
    );
    check("Null", json!(false), &[(None, false), (Some(&["x"]), true)]);
    // An empty value list counts as a missing key.
    check("Null", json!("true"), &[(Some(&[]), true)]);
}

#[test]
fn numeric_operators() {
    check(
        "NumericEquals",
        json!(10),
        &[
            (Some(&["10"]), true),
            (Some(&["10.0"]), true),
            (Some(&["11"]), false),
            (None, false),
        ],
    );
    check(
        "NumericNotEquals",
        json!("10"),
        &[(Some(&["10"]), false), (Some(&["11"]), true), (None, true)],
    );
    check(
        "NumericLessThan",
        json!("10"),
        &[
            (Some(&["9"]), true),
            (Some(&["10"]), false),
            (Some(&["1.5"]), true),
        ],
    );
    check(
        "NumericLessThanEquals",
        json!("10"),
        &[(Some(&["10"]), true), (Some(&["11"]), false)],
    );
    check(
        "NumericGreaterThan",
        json!("10"),
        &[(Some(&["11"]), true), (Some(&["10"]), false)],
    );
    check(
        "NumericGreaterThanEquals",
        json!("10"),
        &[
            (Some(&["10"]), true),
            (Some(&["9"]), false),
            (Some(&["ten"]), false),
        ],
    );
}

#[test]
fn date_operators_take_iso_8601_and_epoch_seconds() {
    let noon = "2026-11-21T12:00:00Z";
    let epoch_noon = "1795262400"; // 2026-11-21T12:00:00Z
    let morning = "2026-11-21T09:00:00Z";
    check(
        "DateEquals",
        json!(noon),
        &[
            (Some(&[epoch_noon]), true),
            (Some(&["2026-11-21T13:00:00+01:00"]), true),
            (Some(&[morning]), false),
            (None, false),
        ],
    );
    check(
        "DateNotEquals",
        json!(noon),
        &[
            (Some(&[morning]), true),
            (Some(&[noon]), false),
            (None, true),
        ],
    );
    check(
        "DateLessThan",
        json!(epoch_noon),
        &[(Some(&[morning]), true), (Some(&[noon]), false)],
    );
    check(
        "DateLessThanEquals",
        json!(noon),
        &[(Some(&[noon]), true), (Some(&["2026-11-22"]), false)],
    );
    check(
        "DateGreaterThan",
        json!("2026-11-21"),
        &[
            (Some(&[morning]), true),
            (Some(&["2026-11-20T23:59:59Z"]), false),
        ],
    );
    check(
        "DateGreaterThanEquals",
        json!(noon),
        &[
            (Some(&[noon]), true),
            (Some(&[morning]), false),
            (Some(&["garbage"]), false),
        ],
    );
}

#[test]
fn ip_and_binary_operators() {
    check(
        "IpAddress",
        json!(["203.0.113.0/24", "2001:db8::/32"]),
        &[
            (Some(&["203.0.113.9"]), true),
            (Some(&["2001:db8::1"]), true),
            (Some(&["198.51.100.1"]), false),
            (None, false),
        ],
    );
    check(
        "NotIpAddress",
        json!("203.0.113.0/24"),
        &[
            (Some(&["203.0.113.9"]), false),
            (Some(&["198.51.100.1"]), true),
            (None, true),
        ],
    );
    check(
        "BinaryEquals",
        json!("QmluYXJ5"),
        &[(Some(&["QmluYXJ5"]), true), (Some(&["qmluyxj5"]), false)],
    );
}

#[test]
fn if_exists_is_true_for_a_missing_key_and_checks_a_present_one() {
    check(
        "StringEqualsIfExists",
        json!("prod"),
        &[
            (None, true),
            (Some(&["prod"]), true),
            (Some(&["dev"]), false),
        ],
    );
    check(
        "StringNotEqualsIfExists",
        json!("prod"),
        &[(None, true), (Some(&["prod"]), false)],
    );
    check(
        "NumericLessThanIfExists",
        json!("5"),
        &[(None, true), (Some(&["6"]), false)],
    );
    check(
        "ArnLikeIfExists",
        json!("arn:aws:iam::*:role/*"),
        &[(None, true), (Some(&["arn:aws:iam::1:user/u"]), false)],
    );
}

#[test]
fn set_operators() {
    // ForAllValues: every request value must be in the policy's set; an
    // empty or missing set is vacuously true.
    check(
        "ForAllValues:StringEquals",
        json!(["team", "env"]),
        &[
            (Some(&["team"]), true),
            (Some(&["team", "env"]), true),
            (Some(&["team", "owner"]), false),
            (Some(&[]), true),
            (None, true),
        ],
    );
    // ForAnyValue: at least one request value in the set; missing is false.
    check(
        "ForAnyValue:StringEquals",
        json!(["team", "env"]),
        &[
            (Some(&["owner", "env"]), true),
            (Some(&["owner"]), false),
            (None, false),
        ],
    );
    check(
        "ForAnyValue:StringEqualsIfExists",
        json!("team"),
        &[(None, true)],
    );
    // Negated inside a set operator: per value.
    check(
        "ForAllValues:StringNotEquals",
        json!(["secret"]),
        &[
            (Some(&["team", "env"]), true),
            (Some(&["team", "secret"]), false),
            (None, true),
        ],
    );
    check(
        "ForAnyValue:StringNotLike",
        json!("aws:*"),
        &[
            (Some(&["aws:x", "team"]), true),
            (Some(&["aws:x", "aws:y"]), false),
            (None, false),
        ],
    );
    check(
        "ForAllValues:StringLike",
        json!("team-*"),
        &[
            (Some(&["team-a", "team-b"]), true),
            (Some(&["team-a", "x"]), false),
        ],
    );
    // Without a set operator, several request values: any may match.
    check(
        "StringEquals",
        json!("env"),
        &[(Some(&["team", "env"]), true), (Some(&["team"]), false)],
    );
    check(
        "StringNotEquals",
        json!("env"),
        &[(Some(&["team", "env"]), false), (Some(&["team"]), true)],
    );
}

#[test]
fn keys_and_operators_are_anded_and_key_names_ignore_case() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:PrincipalTag/Team": "infra", "aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
            "Bool": {"aws:SecureTransport": "true"}
        }
    }]));
    let full = Request::new("s3:GetObject", OBJECT)
        .with_context("AWS:principaltag/team", ["infra"])
        .with_context("aws:requestedregion", ["eu-central-1"])
        .with_context("aws:SecureTransport", ["true"]);
    assert!(decide(&full, slice::from_ref(&p), &[]).allowed);

    let insecure = full.clone().with_context("aws:SecureTransport", ["false"]);
    assert!(!decide(&insecure, slice::from_ref(&p), &[]).allowed);
    let us = full
        .clone()
        .with_context("aws:RequestedRegion", ["us-east-1"]);
    assert!(!decide(&us, slice::from_ref(&p), &[]).allowed);
    let mut no_tag = full;
    no_tag.context.remove("AWS:principaltag/team");
    assert!(!decide(&no_tag, &[p], &[]).allowed);
}

#[test]
fn conditions_decide_denies_too() {
    let deny = policy(json!([{
        "Sid": "TlsOnly", "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }]));
    let plain = Request::new("s3:GetObject", OBJECT).with_context("aws:SecureTransport", ["false"]);
    assert_eq!(
        decide(&plain, &[allow_all(), deny.clone()], &[]).reason,
        Reason::ExplicitDeny
    );
    let tls = Request::new("s3:GetObject", OBJECT).with_context("aws:SecureTransport", ["true"]);
    assert!(decide(&tls, &[allow_all(), deny.clone()], &[]).allowed);
    // The key missing: Bool is false, so this Deny does not apply.
    assert!(
        decide(
            &Request::new("s3:GetObject", OBJECT),
            &[allow_all(), deny],
            &[]
        )
        .allowed
    );
}

#[test]
fn policy_variables_are_unsupported_only_where_they_matter() {
    let p = policy(json!([
        {"Sid": "Home", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}
    ]));
    let err = evaluate(
        &Request::new("s3:GetObject", "arn:aws:s3:::home/alice/x"),
        slice::from_ref(&p),
        &[],
    )
    .unwrap_err();
    assert!(matches!(&err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        r#"cannot evaluate identity policy 0, statement 0 (Sid "Home"): the policy variable in Resource `arn:aws:s3:::home/${aws:username}/*` is not supported by this evaluator"#
    );
    // The statement does not apply to this action, so it does not matter.
    assert!(
        decide(
            &Request::new("s3:ListBucket", "arn:aws:s3:::home"),
            slice::from_ref(&p),
            &[]
        )
        .allowed
    );
    // Nor when another statement already allows.
    let both = policy(json!([
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEquals": {"aws:username": "${aws:username}"}}},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    ]));
    assert!(decide(&Request::new("s3:GetObject", OBJECT), &[both], &[]).allowed);
    // An explicit deny that applies still decides.
    let deny = policy(json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}]));
    assert_eq!(
        decide(
            &Request::new("s3:GetObject", "arn:aws:s3:::home/alice/x"),
            &[p.clone(), deny],
            &[]
        )
        .reason,
        Reason::ExplicitDeny
    );
    // A Deny that cannot be evaluated could have applied.
    let unknown_deny = policy(
        json!([{"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::${aws:username}"}]),
    );
    assert!(
        evaluate(
            &Request::new("s3:ListBucket", "arn:aws:s3:::alice"),
            &[p, unknown_deny],
            &[]
        )
        .is_err()
    );
    // In a 2008-10-17 document `${...}` is plain text.
    let old = doc(
        json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::${x}"}]}),
    );
    assert!(
        decide(
            &Request::new("s3:ListBucket", "arn:aws:s3:::${x}"),
            &[old],
            &[]
        )
        .allowed
    );
}

#[test]
fn unknown_operators_and_missing_resources_are_errors_not_guesses() {
    let p = policy(
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"k": "v"}}}]),
    );
    let err = evaluate(&Request::new("s3:GetObject", OBJECT), &[p], &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("the condition operator `StringEqualz`"),
        "{err}"
    );

    let null_if_exists = policy(
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NullIfExists": {"k": "true"}}}]),
    );
    assert!(
        evaluate(
            &Request::new("s3:GetObject", OBJECT),
            &[null_if_exists],
            &[]
        )
        .is_err()
    );

    let trust = doc(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}),
    );
    let err = evaluate(&Request::new("sts:AssumeRole", "*"), &[trust], &[]).unwrap_err();
    assert!(
        err.to_string().contains("without Resource or NotResource"),
        "{err}"
    );
}

#[test]
fn an_unknown_session_allow_is_an_error_only_when_the_identity_allows() {
    let session = policy(
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Frob": {"k": "v"}}}]),
    );
    let request = Request::new("s3:GetObject", OBJECT);
    assert!(evaluate(&request, &[allow_all()], slice::from_ref(&session)).is_err());
    assert_eq!(
        decide(&request, &[], &[session]).reason,
        Reason::ImplicitDeny
    );
}
