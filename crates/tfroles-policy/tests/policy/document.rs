use indoc::indoc;
use pretty_assertions::assert_eq;
use tfroles_policy::{
    Actions, Effect, Error, PolicyDocument, Principal, Resources, SizeLimit, Statement, Version,
};

#[test]
fn canonical_pretty_json() {
    let doc = PolicyDocument::new(vec![
        Statement::allow(["s3:ListBucket"], ["arn:aws:s3:::state"])
            .with_sid("ListState")
            .with_condition("StringLike", "s3:prefix", ["env/*", "prod.tfstate"]),
        Statement::allow(
            ["s3:GetObject", "s3:PutObject"],
            ["arn:aws:s3:::state/prod.tfstate"],
        ),
        Statement::deny(["s3:DeleteObject"], ["*"])
            .with_condition("Bool", "aws:SecureTransport", ["false"])
            .with_condition(
                "ArnNotLike",
                "aws:PrincipalArn",
                ["arn:aws:iam::*:role/admin"],
            ),
    ]);
    assert_eq!(
        doc.to_json_pretty(),
        indoc! {r#"
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Sid": "ListState",
                  "Effect": "Allow",
                  "Action": "s3:ListBucket",
                  "Resource": "arn:aws:s3:::state",
                  "Condition": {
                    "StringLike": {
                      "s3:prefix": [
                        "env/*",
                        "prod.tfstate"
                      ]
                    }
                  }
                },
                {
                  "Effect": "Allow",
                  "Action": [
                    "s3:GetObject",
                    "s3:PutObject"
                  ],
                  "Resource": "arn:aws:s3:::state/prod.tfstate"
                },
                {
                  "Effect": "Deny",
                  "Action": "s3:DeleteObject",
                  "Resource": "*",
                  "Condition": {
                    "ArnNotLike": {
                      "aws:PrincipalArn": "arn:aws:iam::*:role/admin"
                    },
                    "Bool": {
                      "aws:SecureTransport": "false"
                    }
                  }
                }
              ]
            }"#}
    );
    assert_eq!(doc.to_string(), doc.to_json_pretty());
    assert_eq!(
        PolicyDocument::from_json(&doc.to_json_pretty()).unwrap(),
        doc
    );
    assert_eq!(
        PolicyDocument::from_json(&doc.to_json_compact()).unwrap(),
        doc
    );
}

#[test]
fn reads_json_as_aws_accepts_it_and_writes_it_canonically() {
    // Keys out of order, a single statement object, strings for lists,
    // a boolean and a number as condition values.
    let text = indoc! {r#"
        {
          "Statement": {
            "Condition": {
              "NumericLessThanEquals": {"s3:max-keys": 10},
              "Bool": {"aws:MultiFactorAuthPresent": true}
            },
            "Resource": ["arn:aws:s3:::b"],
            "Action": ["s3:ListBucket"],
            "Effect": "Allow",
            "Sid": "One"
          },
          "Version": "2012-10-17"
        }"#};
    let doc: PolicyDocument = text.parse().unwrap();
    assert_eq!(doc.version, Version::V2012_10_17);
    let statement = &doc.statements[0];
    assert_eq!(statement.sid.as_deref(), Some("One"));
    assert_eq!(statement.effect, Effect::Allow);
    assert_eq!(
        statement.action,
        Actions::Action(vec!["s3:ListBucket".into()])
    );
    assert_eq!(
        statement.resource,
        Some(Resources::Resource(vec!["arn:aws:s3:::b".into()]))
    );
    assert_eq!(
        statement.condition["NumericLessThanEquals"]["s3:max-keys"],
        ["10"]
    );
    assert_eq!(
        statement.condition["Bool"]["aws:MultiFactorAuthPresent"],
        ["true"]
    );
    assert_eq!(
        doc.to_json_compact(),
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"One","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThanEquals":{"s3:max-keys":"10"}}}]}"#
    );
    // serde entry points agree with from_json / to_json_compact.
    let via_serde: PolicyDocument = serde_json::from_str(text).unwrap();
    assert_eq!(via_serde, doc);
    assert_eq!(serde_json::to_string(&doc).unwrap(), doc.to_json_compact());
}

#[test]
fn trust_policies_with_principals_round_trip() {
    let text = indoc! {r#"
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Effect": "Allow",
              "Principal": {
                "Federated": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
              },
              "Action": "sts:AssumeRoleWithWebIdentity",
              "Condition": {
                "StringEquals": {
                  "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
                },
                "StringLike": {
                  "token.actions.githubusercontent.com:sub": "repo:org/infra:*"
                }
              }
            },
            {
              "Effect": "Allow",
              "Principal": {
                "AWS": [
                  "arn:aws:iam::111111111111:root",
                  "222222222222"
                ],
                "Service": "ec2.amazonaws.com"
              },
              "Action": [
                "sts:AssumeRole",
                "sts:TagSession"
              ]
            },
            {
              "Effect": "Deny",
              "Principal": "*",
              "Action": "sts:AssumeRole"
            }
          ]
        }"#};
    let doc = PolicyDocument::from_json(text).unwrap();
    assert_eq!(doc.to_json_pretty(), text);
    assert_eq!(doc.statements[2].principal, Some(Principal::Anyone));
    assert_eq!(doc.statements[0].resource, None);
    let Some(Principal::Ids { aws, service, .. }) = &doc.statements[1].principal else {
        panic!("{:?}", doc.statements[1].principal);
    };
    assert_eq!(aws, &["arn:aws:iam::111111111111:root", "222222222222"]);
    assert_eq!(service, &["ec2.amazonaws.com"]);
}

#[test]
fn not_action_and_not_resource_and_id_round_trip() {
    let text = r#"{"Version":"2012-10-17","Id":"guard","Statement":[{"Sid":"AllButIam","Effect":"Allow","NotAction":["iam:*","organizations:*"],"NotResource":"arn:aws:s3:::secret/*"}]}"#;
    let doc = PolicyDocument::from_json(text).unwrap();
    assert_eq!(doc.id.as_deref(), Some("guard"));
    assert!(matches!(&doc.statements[0].action, Actions::NotAction(list) if list.len() == 2));
    assert!(matches!(
        &doc.statements[0].resource,
        Some(Resources::NotResource(_))
    ));
    assert_eq!(doc.to_json_compact(), text);
}

#[test]
fn a_missing_version_is_2008() {
    let doc = PolicyDocument::from_json(
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    assert_eq!(doc.version, Version::V2008_10_17);
    assert!(
        doc.to_json_compact()
            .starts_with(r#"{"Version":"2008-10-17","#)
    );
}

#[test]
fn rejects_what_aws_rejects_naming_the_place() {
    let cases = [
        (r#"[]"#, "`(document)`: expected an object, found an array"),
        (r#"{"Version":"2012-10-17"}"#, "`Statement`: missing"),
        (
            r#"{"Version":"2012-10-18","Statement":[]}"#,
            "`Version`: `2012-10-18` is not a policy version",
        ),
        (
            r#"{"Statement":[{"Action":"*","Resource":"*"}]}"#,
            "`Statement[0].Effect`: missing",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            "`Statement[0]`: has neither Action nor NotAction",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}"#,
            "`Statement[0]`: has both Resource and NotResource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"*"}]}"#,
            "`Statement[0].NotPrincipal`: NotPrincipal is not supported",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"*"}]}"#,
            "unknown key `Aws` (did you mean `AWS`?)",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"someone","Action":"*"}]}"#,
            "`Statement[0].Principal`: expected an object, found a string",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"k":null}}}]}"#,
            "`Statement[0].Condition.Bool.k`: expected a string, boolean or number, found null",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":"k"}}]}"#,
            "`Statement[0].Condition.Bool`: expected an object, found a string",
        ),
    ];
    for (text, expected) in cases {
        let err = PolicyDocument::from_json(text).unwrap_err();
        assert!(matches!(err, Error::Document { .. }), "{text}: {err:?}");
        assert!(err.to_string().contains(expected), "{text}: {err}");
    }
}

#[test]
fn size_is_counted_in_characters_of_compact_json() {
    let doc = PolicyDocument::new(vec![
        Statement::allow(["s3:GetObject"], ["arn:aws:s3:::b/é"]).with_sid("A"),
    ]);
    let compact = doc.to_json_compact();
    assert_eq!(doc.compact_len(), compact.chars().count());
    assert_eq!(
        doc.compact_len() + 1,
        compact.len(),
        "é is two bytes, one character"
    );
    assert!(doc.to_json_pretty().len() > compact.len());
}

#[test]
fn size_limits_name_the_limit() {
    let actions =
        |n: usize| -> Vec<String> { (0..n).map(|i| format!("s3:Action{i:05}")).collect() };
    // Each action is 14 characters plus quotes and a comma: 17.
    let session_sized = PolicyDocument::new(vec![Statement::allow(actions(100), ["*"])]);
    assert!(session_sized.check_size(SizeLimit::SessionPolicy).is_ok());
    let too_big = PolicyDocument::new(vec![Statement::allow(actions(130), ["*"])]);
    let err = too_big.check_size(SizeLimit::SessionPolicy).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: SizeLimit::SessionPolicy, max: 2048, length } if length == too_big.compact_len()),
        "{err:?}"
    );
    assert!(too_big.check_size(SizeLimit::ManagedPolicy).is_ok());
    let err = PolicyDocument::new(vec![Statement::allow(actions(400), ["*"])])
        .check_size(SizeLimit::ManagedPolicy)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("over the managed policy limit of 6144"),
        "{err}"
    );

    // Inline role policies count together.
    let five = vec![too_big.clone(); 5];
    assert!(SizeLimit::InlineRolePolicies.check(&five[..4]).is_ok());
    let err = SizeLimit::InlineRolePolicies.check(&five).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: SizeLimit::InlineRolePolicies, max: 10_240, length } if length == 5 * too_big.compact_len()),
        "{err:?}"
    );
    assert_eq!(SizeLimit::ManagedPolicy.max_chars(), 6_144);
}
