//! The bootstrap stack read back by HashiCorp's parser: it must create
//! exactly the policies `tfroles policy` prints, the OIDC providers those
//! trust policies name, and nothing else, in files `terraform fmt` would
//! leave alone. (`terraform init` cannot fetch the aws provider here, so
//! the stack is checked by reading it, not by planning it.)
//!
//! The expected side is built from the config's own policy functions
//! (`trust_policy`, `permissions_policy`, `stack_state_permissions`,
//! `identity_policy`), not from `role_policies`, which the renderer uses.

use std::collections::{BTreeMap, BTreeSet};

use pretty_assertions::assert_eq;
use serde_json::Value;
use tfroles_core::{Config, Stack};
use tfroles_hcl::{
    AWS_PROVIDER_VERSION, GeneratedFile, IDENTITY_POLICY_NAME, ROLE_POLICY_NAME, bootstrap_files,
};
use tfroles_testsupport::{hcl2json_many, terraform_fmt_stdin, workspace_root};

/// IAM's quotas, in characters without whitespace: a role's trust policy
/// (the default quota, raisable to 8,192), a user's inline policies
/// together, a role's inline policies together.
const TRUST_MAX: usize = 2_048;
const USER_INLINE_MAX: usize = 2_048;
const ROLE_INLINE_MAX: usize = 10_240;

fn load(case: &str) -> (Config, Vec<Stack>, Vec<GeneratedFile>) {
    let path = workspace_root()
        .join("fixtures")
        .join(case)
        .join("input/tfroles.hcl");
    let config = Config::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    let dirs = tfroles_core::discover(config.root()).unwrap();
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let stacks = config.resolve(&paths).unwrap().stacks;
    let files = bootstrap_files(&config, &stacks).unwrap_or_else(|e| panic!("{e}"));
    (config, stacks, files)
}

/// hcl2json writes a literal `${` / `%{` back as `$${` / `%%{` (HCL's JSON
/// syntax is a template too); terraform reads it as the literal.
fn unescape(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("$${", "${").replace("%%{", "%{")),
        Value::Array(items) => Value::Array(items.into_iter().map(unescape).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, unescape(v))).collect())
        }
        other => other,
    }
}

/// `"${aws_iam_role.x.name}"` -> `aws_iam_role.x.name`.
fn reference(v: &Value) -> &str {
    v.as_str()
        .and_then(|s| s.strip_prefix("${"))
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not a reference: {v}"))
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Null => vec![],
        other => panic!("not a string or list: {other}"),
    }
}

/// Characters AWS counts: the JSON without whitespace.
fn aws_len(doc: &Value) -> usize {
    serde_json::to_string(doc).unwrap().chars().count()
}

/// The pretty JSON as IAM takes it: characters above U+00FF as `\u`
/// escapes (UTF-16 units).
fn latin1(json: &str) -> String {
    json.chars()
        .map(|c| {
            if u32::from(c) <= 0xFF {
                c.to_string()
            } else {
                c.encode_utf16(&mut [0; 2])
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect()
            }
        })
        .collect()
}

/// A policy as embedded: exactly the pretty JSON (Latin-1, as IAM takes
/// it) plus the heredoc's final newline, and the same JSON value.
fn assert_policy(embedded: &Value, want_pretty: &str, what: &str) -> Value {
    let text = embedded
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string"));
    assert_eq!(
        text,
        format!("{}\n", latin1(want_pretty)),
        "{what}: the text terraform reads"
    );
    assert!(
        text.chars()
            .all(|c| matches!(u32::from(c), 0x09 | 0x0A | 0x0D | 0x20..=0xFF)),
        "{what}: IAM takes only Latin-1 policy text"
    );
    let got: Value = serde_json::from_str(text).unwrap();
    let want: Value = serde_json::from_str(want_pretty).unwrap();
    assert_eq!(got, want, "{what}: the JSON value");
    got
}

/// Everything the parsed files declare.
#[derive(Default)]
struct Parsed {
    /// type -> name -> body.
    resources: BTreeMap<String, BTreeMap<String, Value>>,
    /// alias -> body.
    providers: BTreeMap<String, Value>,
    terraform: Vec<Value>,
}

fn parse(files: &[GeneratedFile]) -> Parsed {
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();
    let mut out = Parsed::default();
    for (f, v) in files.iter().zip(hcl2json_many(&pairs)) {
        // A second parser agrees that the text is HCL.
        hcl::parse(&f.contents).unwrap_or_else(|e| panic!("hcl-rs rejects {}: {e}", f.path));
        let v = unescape(v);
        for (kind, by_name) in v["resource"].as_object().into_iter().flatten() {
            for (name, bodies) in by_name.as_object().unwrap() {
                let bodies = bodies.as_array().unwrap();
                assert_eq!(bodies.len(), 1, "{kind}.{name} once");
                let previous = out
                    .resources
                    .entry(kind.clone())
                    .or_default()
                    .insert(name.clone(), bodies[0].clone());
                assert!(previous.is_none(), "{kind}.{name} declared twice");
            }
        }
        for p in v["provider"]["aws"].as_array().into_iter().flatten() {
            let alias = p["alias"]
                .as_str()
                .expect("every provider has an alias")
                .to_owned();
            assert!(
                out.providers.insert(alias.clone(), p.clone()).is_none(),
                "provider {alias} twice"
            );
        }
        out.terraform
            .extend(v["terraform"].as_array().into_iter().flatten().cloned());
        for other in v.as_object().unwrap().keys() {
            assert!(
                ["resource", "provider", "terraform"].contains(&other.as_str()),
                "{}: unexpected top-level `{other}`",
                f.path
            );
        }
    }
    out
}

/// What one role instance must get.
struct Want {
    trust: String,
    permissions: Option<String>,
    duration: u64,
}

fn wanted_roles(config: &Config, stacks: &[Stack]) -> BTreeMap<String, Want> {
    let mut want = BTreeMap::new();
    for s in config.role_sessions() {
        let (role, account) = (s.role.as_str(), s.account.as_str());
        let trust = config
            .trust_policy(role, Some(account), stacks)
            .unwrap()
            .to_json_pretty();
        let is_state = s.role == config.state().role && s.account == config.state().account;
        if is_state && config.state().role_per_stack {
            for st in stacks {
                let session = config.stack_state_session(st);
                let permissions = config.stack_state_permissions(st, stacks).unwrap();
                want.insert(
                    session.arn.to_string(),
                    Want {
                        trust: trust.clone(),
                        permissions: Some(permissions.to_json_pretty()),
                        duration: u64::from(session.duration.as_secs()),
                    },
                );
            }
            continue;
        }
        let permissions = config
            .permissions_policy(role, Some(account), stacks)
            .ok()
            .map(|p| p.to_json_pretty());
        want.insert(
            s.arn.to_string(),
            Want {
                trust,
                permissions,
                duration: u64::from(s.duration.as_secs()),
            },
        );
    }
    want
}

fn check(case: &str) {
    let (config, stacks, files) = load(case);
    let bootstrap = config.bootstrap().expect("the case has a bootstrap block");
    let dir = bootstrap.dir.as_str();
    let partition = config.defaults().partition.to_string();

    // Byte for byte what terraform fmt writes, under the signature.
    for f in &files {
        assert!(
            f.path.starts_with(&format!("{dir}/")),
            "{} is in {dir}",
            f.path
        );
        assert_eq!(
            terraform_fmt_stdin(&f.contents),
            f.contents,
            "{}: terraform fmt",
            f.path
        );
        assert!(
            f.contents
                .starts_with(&tfroles_hcl::signature(&config, dir))
        );
    }
    let names: BTreeSet<&str> = files
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap())
        .collect();
    let p = parse(&files);

    // terraform { required_providers }.
    assert_eq!(p.terraform.len(), 1);
    assert_eq!(
        p.terraform[0]["required_providers"][0]["aws"],
        serde_json::json!({"source": "hashicorp/aws", "version": AWS_PROVIDER_VERSION})
    );

    // One provider per account (and per account of a base identity the
    // config does not name), each pinned to its account.
    let mut account_of: BTreeMap<String, String> = BTreeMap::new();
    for (alias, body) in &p.providers {
        let ids = strings(&body["allowed_account_ids"]);
        assert_eq!(ids.len(), 1, "provider {alias}: one account");
        assert_eq!(body["region"], config.state().region.as_str());
        match &bootstrap.admin_role {
            Some(admin) => assert_eq!(
                body["assume_role"],
                serde_json::json!([{"role_arn": format!("arn:{partition}:iam::{}:role/{admin}", ids[0])}]),
                "provider {alias}"
            ),
            None => assert!(body.get("assume_role").is_none(), "provider {alias}"),
        }
        account_of.insert(alias.clone(), ids[0].clone());
    }
    let mut ids: BTreeSet<String> = config.accounts().iter().map(|a| a.id.to_string()).collect();
    for i in config.identities() {
        if let Some(arn) = i.arn().map(|a| a.as_str())
            && !config.identity_roles(&i.name).is_empty()
        {
            ids.insert(arn.split(':').nth(4).unwrap().to_owned());
        }
    }
    assert_eq!(account_of.values().cloned().collect::<BTreeSet<_>>(), ids);
    assert_eq!(account_of.len(), ids.len(), "one provider per account");
    let account = |body: &Value| -> String {
        let r = reference(&body["provider"]);
        let alias = r.strip_prefix("aws.").unwrap();
        account_of
            .get(alias)
            .unwrap_or_else(|| panic!("no provider aws.{alias}"))
            .clone()
    };

    let empty = BTreeMap::new();
    let of = |kind: &str| p.resources.get(kind).unwrap_or(&empty);

    // Roles: each exactly once, with the trust policy `tfroles policy
    // --kind trust` prints.
    let mut want = wanted_roles(&config, &stacks);
    let mut role_arn: BTreeMap<String, String> = BTreeMap::new();
    let mut trusts: Vec<(String, Value, &Value)> = Vec::new();
    for (name, body) in of("aws_iam_role") {
        let arn = format!(
            "arn:{partition}:iam::{}:role{}{}",
            account(body),
            body["path"].as_str().unwrap(),
            body["name"].as_str().unwrap()
        );
        let w = want
            .get(&arn)
            .unwrap_or_else(|| panic!("aws_iam_role.{name}: {arn} is no role of the config"));
        let trust = assert_policy(
            &body["assume_role_policy"],
            &w.trust,
            &format!("aws_iam_role.{name}"),
        );
        assert!(
            aws_len(&trust) <= TRUST_MAX,
            "{arn}: trust policy over {TRUST_MAX}"
        );
        let max = body["max_session_duration"].as_u64().unwrap();
        assert!(
            max >= w.duration && (3600..=43_200).contains(&max),
            "{arn}: max_session_duration {max}"
        );
        role_arn.insert(name.clone(), arn.clone());
        trusts.push((arn, trust, body));
    }
    for (name, arn) in &role_arn {
        assert_eq!(
            role_arn.values().filter(|a| *a == arn).count(),
            1,
            "aws_iam_role.{name}: {arn} created once"
        );
    }
    let mut inline: BTreeMap<String, usize> = BTreeMap::new();

    // Their permissions, as `tfroles policy --kind permissions` prints them.
    let mut with_policy = BTreeSet::new();
    for (name, body) in of("aws_iam_role_policy") {
        if body["name"] != ROLE_POLICY_NAME {
            continue;
        }
        let role = reference(&body["role"]);
        let target = role
            .strip_prefix("aws_iam_role.")
            .and_then(|r| r.strip_suffix(".name"))
            .unwrap_or_else(|| panic!("aws_iam_role_policy.{name}: role = {role}"));
        let arn = &role_arn[target];
        assert_eq!(account(body), account(&p.resources["aws_iam_role"][target]));
        let w = &want[arn];
        let doc = assert_policy(
            &body["policy"],
            w.permissions
                .as_deref()
                .unwrap_or_else(|| panic!("{arn} grants nothing")),
            &format!("aws_iam_role_policy.{name}"),
        );
        *inline.entry(arn.clone()).or_default() += aws_len(&doc);
        assert!(
            with_policy.insert(arn.clone()),
            "{arn}: one permissions policy"
        );
    }
    for (arn, w) in &want {
        assert!(role_arn.values().any(|a| a == arn), "{arn} is not created");
        assert_eq!(
            w.permissions.is_some(),
            with_policy.contains(arn),
            "{arn}: permissions policy"
        );
    }
    want.clear();

    // Base identities: `tfroles policy --identity` on the existing user or role.
    let mut identities = 0;
    for id in config.identities() {
        let Some(arn) = &id.arn().map(|a| a.to_string()) else {
            continue;
        };
        if config.identity_roles(&id.name).is_empty() {
            continue;
        }
        identities += 1;
        let policy = config.identity_policy(&id.name).unwrap().to_json_pretty();
        let resource = arn.splitn(6, ':').nth(5).unwrap();
        let (kind, path) = resource.split_once('/').unwrap();
        let iam_name = path.rsplit('/').next().unwrap();
        let (ty, attr) = if kind == "user" {
            ("aws_iam_user_policy", "user")
        } else {
            ("aws_iam_role_policy", "role")
        };
        let found: Vec<(&String, &Value)> = of(ty)
            .iter()
            .filter(|(_, b)| b["name"] == IDENTITY_POLICY_NAME)
            .filter(|(_, b)| account(b) == arn.split(':').nth(4).unwrap())
            .filter(|(_, b)| match b[attr].as_str() {
                Some(s) if s.starts_with("${") => {
                    let target = reference(&b[attr])
                        .strip_prefix("aws_iam_role.")
                        .and_then(|r| r.strip_suffix(".name"))
                        .unwrap();
                    role_arn[target] == *arn
                }
                Some(s) => s == iam_name,
                None => false,
            })
            .collect();
        assert_eq!(found.len(), 1, "identity {}: one {ty}", id.name);
        let doc = assert_policy(
            &found[0].1["policy"],
            &policy,
            &format!("{ty}.{}", found[0].0),
        );
        let limit = if kind == "user" {
            USER_INLINE_MAX
        } else {
            ROLE_INLINE_MAX
        };
        assert!(
            aws_len(&doc) <= limit,
            "identity {}: policy over {limit}",
            id.name
        );
        if role_arn.values().any(|a| a == arn) {
            *inline.entry(arn.clone()).or_default() += aws_len(&doc);
        }
    }
    let identity_resources = of("aws_iam_user_policy").len()
        + of("aws_iam_role_policy")
            .values()
            .filter(|b| b["name"] == IDENTITY_POLICY_NAME)
            .count();
    assert_eq!(identity_resources, identities, "no other identity policies");
    assert_eq!(names.contains("identities.tf"), identities > 0);
    for (arn, len) in &inline {
        assert!(
            *len <= ROLE_INLINE_MAX,
            "{arn}: inline policies over {ROLE_INLINE_MAX}"
        );
    }

    // OIDC providers: exactly those the trust policies name, with every
    // audience they accept; and each role waits for its providers and for
    // the roles it trusts that are created here.
    let mut oidc_want: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (arn, trust, body) in &trusts {
        let depends: BTreeSet<&str> = body["depends_on"]
            .as_array()
            .into_iter()
            .flatten()
            .map(reference)
            .collect();
        for st in trust["Statement"].as_array().unwrap() {
            for fed in strings(&st["Principal"]["Federated"]) {
                let (head, host) = fed.split_once(":oidc-provider/").unwrap();
                let acct = head.rsplit(':').next().unwrap().to_owned();
                let auds = strings(&st["Condition"]["StringEquals"][format!("{host}:aud")]);
                assert!(
                    !auds.is_empty(),
                    "{arn}: {host} without an audience condition"
                );
                oidc_want
                    .entry((acct.clone(), host.to_owned()))
                    .or_default()
                    .extend(auds);
                let provider = of("aws_iam_openid_connect_provider")
                    .iter()
                    .find(|(_, b)| account(b) == acct && b["url"] == format!("https://{host}"))
                    .map(|(n, _)| format!("aws_iam_openid_connect_provider.{n}"))
                    .unwrap_or_else(|| panic!("{arn}: no OIDC provider for {fed}"));
                assert!(
                    depends.contains(provider.as_str()),
                    "{arn} depends on {provider}"
                );
            }
            for principal in strings(&st["Principal"]["AWS"]) {
                if let Some((name, _)) = role_arn.iter().find(|(_, a)| **a == principal)
                    && principal != *arn
                {
                    let r = format!("aws_iam_role.{name}");
                    assert!(depends.contains(r.as_str()), "{arn} depends on {r}");
                }
            }
        }
    }
    let mut oidc_got: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for body in of("aws_iam_openid_connect_provider").values() {
        let host = body["url"]
            .as_str()
            .unwrap()
            .strip_prefix("https://")
            .unwrap();
        assert!(
            body.get("thumbprint_list").is_none(),
            "AWS checks these issuers by CA"
        );
        let previous = oidc_got.insert(
            (account(body), host.to_owned()),
            strings(&body["client_id_list"]).into_iter().collect(),
        );
        assert!(previous.is_none(), "one provider per account and issuer");
    }
    assert_eq!(oidc_got, oidc_want);
    assert_eq!(names.contains("oidc.tf"), !oidc_want.is_empty());

    // The state bucket only when asked for, in the state account.
    let state_id = config
        .account(config.state().account.as_str())
        .unwrap()
        .id
        .to_string();
    let buckets = of("aws_s3_bucket");
    if bootstrap.create_state_bucket {
        let b = &buckets["state"];
        assert_eq!(b["bucket"], config.state().bucket.as_str());
        assert_eq!(account(b), state_id);
        let state_ref = "aws_s3_bucket.state.id";
        let v = &of("aws_s3_bucket_versioning")["state"];
        assert_eq!(reference(&v["bucket"]), state_ref);
        assert_eq!(v["versioning_configuration"][0]["status"], "Enabled");
        let pab = &of("aws_s3_bucket_public_access_block")["state"];
        for a in [
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ] {
            assert_eq!(pab[a], true, "{a}");
        }
        let sse = &of("aws_s3_bucket_server_side_encryption_configuration")["state"];
        let default = &sse["rule"][0]["apply_server_side_encryption_by_default"][0];
        match &config.state().kms_key_id {
            Some(k) => {
                assert_eq!(default["sse_algorithm"], "aws:kms");
                assert_eq!(default["kms_master_key_id"], k.as_str());
            }
            None => assert_eq!(default["sse_algorithm"], "AES256"),
        }
        for body in [v, pab, sse] {
            assert_eq!(account(body), state_id);
        }
        match &config.state().dynamodb_table {
            Some(t) => {
                let table = &of("aws_dynamodb_table")["lock"];
                assert_eq!(table["name"], t.as_str());
                assert_eq!(table["hash_key"], "LockID");
                assert_eq!(
                    table["attribute"][0],
                    serde_json::json!({"name": "LockID", "type": "S"})
                );
                assert_eq!(account(table), state_id);
            }
            None => assert!(of("aws_dynamodb_table").is_empty()),
        }
    } else {
        assert!(buckets.is_empty(), "the bucket is named, not created");
        assert!(!names.contains("state.tf"));
    }

    // Nothing else.
    let known = [
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_user_policy",
        "aws_iam_openid_connect_provider",
        "aws_s3_bucket",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_dynamodb_table",
    ];
    for kind in p.resources.keys() {
        assert!(
            known.contains(&kind.as_str()),
            "unexpected resource type {kind}"
        );
    }
    for (kind, by_name) in &p.resources {
        for (name, body) in by_name {
            assert!(
                body.get("provider").is_some(),
                "{kind}.{name} names its provider"
            );
        }
    }
}

#[test]
fn least_privilege_stack_creates_exactly_the_printed_policies() {
    check("least-privilege");
}

#[test]
fn bootstrap_case_with_admin_role_bucket_and_per_stack_roles() {
    check("bootstrap");
}

#[test]
fn no_bootstrap_block_no_files() {
    let config =
        Config::from_path(&workspace_root().join("fixtures/example/input/tfroles.hcl")).unwrap();
    let stacks = config.resolve(&[]).unwrap().stacks;
    assert!(config.bootstrap().is_none());
    assert_eq!(bootstrap_files(&config, &stacks).unwrap(), vec![]);
}

#[test]
fn a_role_nobody_may_assume_is_an_error_naming_it() {
    let config = Config::from_str(
        r#"
        defaults { region = "us-east-1" }
        account "shared" { id = "111111111111" }
        state {
          account = "shared"
          bucket  = "acme-terraform-state"
          role    = "terraform-state"
        }
        role "terraform-state" { account = "shared" }
        bootstrap { dir = "bootstrap" }
        "#,
    )
    .unwrap();
    let err = bootstrap_files(&config, &[]).unwrap_err().to_string();
    assert!(
        err.contains("terraform-state") && err.contains("nobody may assume"),
        "{err}"
    );
}
/// `tfroles generate` on a tree: discover, resolve, generate, plan, apply.
fn generate_in(root: &std::path::Path) -> Result<tfroles_hcl::Summary, tfroles_hcl::Error> {
    generate_with(root, tfroles_hcl::PlanOptions::default())
}

fn generate_with(
    root: &std::path::Path,
    options: tfroles_hcl::PlanOptions,
) -> Result<tfroles_hcl::Summary, tfroles_hcl::Error> {
    let config = Config::from_path(&root.join("tfroles.hcl")).unwrap_or_else(|e| panic!("{e}"));
    let dirs = tfroles_core::discover(config.root()).unwrap();
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let resolution = config.resolve(&paths).unwrap();
    assert!(
        resolution
            .stacks
            .iter()
            .all(|s| s.path.as_str() != "bootstrap"),
        "the bootstrap directory is no stack"
    );
    let files = tfroles_hcl::generate(&config, &resolution.stacks)?;
    tfroles_hcl::plan(&config, files, &dirs, options)?.apply()
}

#[test]
fn generate_writes_the_bootstrap_stack_through_the_sync_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    tfroles_testsupport::copy_tree(
        &workspace_root().join("fixtures/least-privilege/input"),
        &root,
    );
    let (config, stacks, files) = load("least-privilege");
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).ok();

    generate_in(&root).unwrap();
    for f in &files {
        assert_eq!(
            read(&f.path).as_deref(),
            Some(f.contents.as_str()),
            "{}",
            f.path
        );
    }
    // The bootstrap directory gets no backend or providers file of its own.
    assert_eq!(
        read(&format!("bootstrap/{}", config.defaults().backend_file)),
        None
    );
    assert!(!stacks.is_empty());

    // A second run changes nothing; a hand-written file beside the
    // generated ones (the admin's own backend) is left alone.
    let own = "terraform {\n  backend \"local\" {}\n}\n";
    std::fs::write(root.join("bootstrap/zz_backend.tf"), own).unwrap();
    let again = generate_in(&root).unwrap();
    assert_eq!((again.written, again.removed), (0, 0));

    // A hand-written file where a generated one goes stops the run.
    std::fs::write(root.join("bootstrap/roles.tf"), "# mine\n").unwrap();
    match generate_in(&root) {
        Err(tfroles_hcl::Error::HandWritten { files }) => {
            assert_eq!(files, vec![("bootstrap/roles.tf".to_owned(), None)]);
        }
        other => panic!("expected HandWritten, got {other:?}"),
    }
    std::fs::remove_file(root.join("bootstrap/roles.tf")).unwrap();
    generate_in(&root).unwrap();

    // Without the block, its generated files are stale: kept, then gone
    // with `prune`; the admin's file stays.
    let hcl = std::fs::read_to_string(root.join("tfroles.hcl")).unwrap();
    let without = hcl.replace("bootstrap {\n  dir = \"bootstrap\"\n}\n", "");
    assert_ne!(hcl, without);
    std::fs::write(root.join("tfroles.hcl"), without).unwrap();
    let kept = generate_in(&root).unwrap();
    assert_eq!((kept.stale, kept.removed), (files.len(), 0));
    assert!(read(&files[0].path).is_some());
    let removed = generate_with(
        &root,
        tfroles_hcl::PlanOptions {
            prune: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(removed.removed, files.len());
    for f in &files {
        assert_eq!(read(&f.path), None, "{} removed", f.path);
    }
    assert_eq!(read("bootstrap/zz_backend.tf").as_deref(), Some(own));
}
