//! Module roles over the whole IAM catalog: a module's session (its role's
//! permissions and the session policy tfroles gives it) is allowed exactly
//! the actions its manifest (and those of the modules it calls) grants,
//! less the delete class without `allow_delete`; and the errors a module
//! manifest and its calls can have, with file and line.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use tfroles_core::{Config, SessionFor};
use tfroles_policy::{AccessLevel, Catalog, Request, evaluate};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/modules/input/tfroles.hcl")
}

/// The actions a manifest's `services` (at `access`) and `actions` name,
/// from the catalog, independently of how tfroles writes its policies.
fn named(services: &[&str], access: &[AccessLevel], actions: &[&str]) -> BTreeSet<String> {
    let catalog = Catalog::get();
    let mut out = BTreeSet::new();
    for s in services {
        for a in catalog.service(s).unwrap().by_access(access) {
            out.insert(a.action().to_owned());
        }
    }
    for a in actions {
        for i in catalog.expand(a) {
            out.insert(i.action().to_owned());
        }
    }
    out
}

/// Every catalog action the session of `role` in `account` is allowed on `*`.
fn reached(config: &Config, role: &str, account: &str) -> BTreeSet<String> {
    let identity = config.permissions_policy(role, Some(account), &[]).unwrap();
    let session = config
        .decide_session(&SessionFor::role(role).account(account))
        .unwrap()
        .policy;
    let sessions: Vec<_> = session.into_iter().collect();
    let mut out = BTreeSet::new();
    for service in Catalog::get().services() {
        for a in service.actions() {
            let d = evaluate(
                &Request::new(a.action(), "*"),
                std::slice::from_ref(&identity),
                &sessions,
            )
            .unwrap();
            if d.allowed {
                out.insert(a.action().to_owned());
            }
        }
    }
    out
}

fn without_deletes(set: BTreeSet<String>) -> BTreeSet<String> {
    let catalog = Catalog::get();
    set.into_iter()
        .filter(|a| !catalog.action(a).unwrap().is_delete_class())
        .collect()
}

const DEFAULT: [AccessLevel; 4] = tfroles_core::access::DEFAULT_ACCESS;

#[test]
fn a_module_session_reaches_exactly_its_manifests_actions() {
    let config = Config::from_path(&fixture())
        .and_then(Config::with_module_roles)
        .unwrap();
    // modules/db: services = ["rds"], two actions.
    let db = without_deletes(named(
        &["rds"],
        &DEFAULT,
        &["kms:CreateGrant", "secretsmanager:CreateSecret"],
    ));
    for account in ["qa", "production"] {
        assert_eq!(
            reached(&config, "module-db", account),
            db,
            "module-db in {account}"
        );
    }
    // modules/service (ecs, iam:PassRole) with the queue module it calls
    // (sqs at list, read, write).
    let service = without_deletes(
        named(&["ecs"], &DEFAULT, &["iam:PassRole"])
            .into_iter()
            .chain(named(
                &["sqs"],
                &[AccessLevel::List, AccessLevel::Read, AccessLevel::Write],
                &[],
            ))
            .collect(),
    );
    assert_eq!(reached(&config, "app-service", "qa"), service);
    // The registry module's manifest: sns.
    assert_eq!(
        reached(&config, "module-notifications", "production"),
        without_deletes(named(&["sns"], &DEFAULT, &[]))
    );
    // And the stack's role reaches what no module role does (its other
    // services), which is what the module roles are kept from.
    let app = reached(&config, "app", "qa");
    assert!(app.contains("sqs:SendMessage") && !db.contains("sqs:SendMessage"));
}

#[test]
fn the_lookup_names_the_manifest_of_a_module_role() {
    let config = Config::from_path(&fixture())
        .and_then(Config::with_module_roles)
        .unwrap();
    let r = config.module_role("app-service").unwrap();
    assert_eq!(r.manifest, Path::new("modules/service/tfroles.module.hcl"));
    assert_eq!(r.nested, [Path::new("modules/queue/tfroles.module.hcl")]);
    assert_eq!(r.alias.as_str(), "app_service");
    assert_eq!(
        r.proposal(&["sqs:CreateQueue", "ecs:TagResource"]),
        "add `sqs:CreateQueue`, `ecs:TagResource` to `actions` in modules/service/tfroles.module.hcl (the manifest of module `modules/service`, whose role `app-service` is)"
    );
    let r = config
        .module_role_for_arn("arn:aws:sts::333333333333:assumed-role/module-notifications/tfroles")
        .unwrap();
    assert_eq!(r.module, "registry.terraform.io/acme/notifications/aws");
    assert_eq!(
        r.manifest,
        Path::new("production/app/.terraform/modules/notifications/tfroles.module.hcl")
    );
    // Not in an account the role is in; not a module role.
    assert!(
        config
            .module_role_for_arn("arn:aws:sts::222222222222:assumed-role/module-notifications/x")
            .is_none()
    );
    assert!(
        config
            .module_role_for_arn("arn:aws:iam::222222222222:role/app")
            .is_none()
    );
    assert_eq!(
        config
            .module_role_for_arn("arn:aws:iam::222222222222:role/module-db")
            .map(|r| r.name.as_str()),
        Some("module-db")
    );
}

// ---------------------------------------------------------------- errors

const CONFIG: &str = r#"defaults {
  region = "us-east-1"
}

account "qa" {
  id = "222222222222"
}

identity "ci" {
  arn = "arn:aws:iam::222222222222:user/ci"
}

state {
  account = "qa"
  bucket  = "acme-terraform-state"
  role    = "terraform-state"
}

role "terraform-state" {
  account = "qa"
}

role "app" {
  account  = "qa"
  services = ["sqs"]
}

role "other" {
  account  = "qa"
  services = ["sns"]
}

stack "a" {
  account      = "qa"
  role         = "app"
  module_roles = true
}

stack "b" {
  account      = "qa"
  role         = "ROLE_B"
  module_roles = true
}
"#;

/// A repository: the config (stack `b` with role `role_b`) and files.
fn repo(role_b: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("tfroles.hcl"),
        CONFIG.replace("ROLE_B", role_b),
    )
    .unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

fn load(dir: &Path) -> Result<Config, String> {
    Config::from_path(&dir.join("tfroles.hcl"))
        .and_then(Config::with_module_roles)
        .map_err(|e| support::shown(&e).replace(&dir.display().to_string(), "[ROOT]"))
}

const CALL_DB: &str = "module \"db\" {\n  source = \"../modules/db\"\n}\n";

#[test]
fn a_manifest_error_names_the_manifest_file_line_and_attribute() {
    let dir = repo(
        "app",
        &[
            ("a/main.tf", CALL_DB),
            ("modules/db/main.tf", ""),
            (
                "modules/db/tfroles.module.hcl",
                "services = [\"rds\"]\nactions = [\"rds:CreateDBInstanse\"]\n",
            ),
        ],
    );
    let e = load(dir.path()).unwrap_err();
    assert_eq!(
        e,
        "[ROOT]/modules/db/tfroles.module.hcl:2:12: attribute `actions`: `rds:CreateDBInstanse` is not an IAM action\n  \
         allowed: `service:Action` as in AWS's Service Authorization Reference (CATALOG), or a pattern with `*` and `?` matching some\n  \
         hint: did you mean `rds:CreateDBInstance`?"
            .replace("CATALOG", Catalog::get().source())
    );
}

#[test]
fn one_module_called_by_stacks_of_two_roles_is_refused() {
    let dir = repo(
        "other",
        &[
            ("a/main.tf", CALL_DB),
            ("b/main.tf", CALL_DB),
            ("modules/db/main.tf", ""),
            ("modules/db/tfroles.module.hcl", "services = [\"rds\"]\n"),
        ],
    );
    let e = load(dir.path()).unwrap_err();
    assert!(
        e.contains("module `modules/db` is called by stacks whose roles differ (`app`, `other`)"),
        "{e}"
    );
}

#[test]
fn a_module_roles_source_identity_must_fit_with_its_own_name() {
    let long = "x".repeat(54);
    let files = [
        (
            "a/main.tf",
            "module \"database\" {\n  source = \"../modules/database\"\n}\n",
        ),
        ("modules/database/main.tf", ""),
        (
            "modules/database/tfroles.module.hcl",
            "services = [\"rds\"]\n",
        ),
    ];
    let dir = repo("app", &files);
    let config = CONFIG.replace("ROLE_B", "app").replace(
        "  services = [\"sqs\"]\n",
        &format!("  services = [\"sqs\"]\n  source_identity = \"{long}-{{role}}\"\n"),
    );
    fs::write(dir.path().join("tfroles.hcl"), &config).unwrap();
    // `app` fits (58 characters); `module-database` would be 70.
    let e = load(dir.path()).unwrap_err();
    assert!(
        e.contains("in block `role \"app\"`, attribute `source_identity`: for module role `module-database` (module `modules/database`), which has this role's settings:"),
        "{e}"
    );
    assert!(e.contains("gives 70 characters"), "{e}");
    assert!(
        e.contains("hint: shorten `source_identity`, or give the module a shorter `role_name`"),
        "{e}"
    );
    // A shorter role name fits, and the module's sessions get its value.
    fs::write(
        dir.path().join("modules/database/tfroles.module.hcl"),
        "services = [\"rds\"]\nrole_name = \"db\"\n",
    )
    .unwrap();
    let c = load(dir.path()).unwrap();
    let db = c.session("db", None).unwrap();
    assert_eq!(db.source_identity.unwrap().as_str(), format!("{long}-db"));
}

#[test]
fn role_names_may_not_collide() {
    let dir = repo(
        "app",
        &[
            (
                "a/main.tf",
                "module \"x\" {\n  source = \"../modules/x/db\"\n}\nmodule \"y\" {\n  source = \"../modules/y/db\"\n}\n",
            ),
            ("modules/x/db/main.tf", ""),
            ("modules/x/db/tfroles.module.hcl", "services = [\"rds\"]\n"),
            ("modules/y/db/main.tf", ""),
            ("modules/y/db/tfroles.module.hcl", "services = [\"rds\"]\n"),
        ],
    );
    let e = load(dir.path()).unwrap_err();
    assert!(
        e.contains(
            "module `modules/y/db` and module `modules/x/db` would both have the role `module-db`"
        ),
        "{e}"
    );
    assert!(e.contains("hint: set a different `role_name`"), "{e}");
    let dir = repo(
        "app",
        &[
            ("a/main.tf", CALL_DB),
            ("modules/db/main.tf", ""),
            (
                "modules/db/tfroles.module.hcl",
                "services = [\"rds\"]\nrole_name = \"other\"\n",
            ),
        ],
    );
    let e = load(dir.path()).unwrap_err();
    assert!(
        e.starts_with("[ROOT]/modules/db/tfroles.module.hcl:2:13: the role `other` of module `modules/db` is already a role"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn sources_and_symbolic_links_leading_out_of_the_repository_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("main.tf"), "").unwrap();
    fs::write(
        outside.path().join("tfroles.module.hcl"),
        "services = [\"iam\"]\n",
    )
    .unwrap();
    let dir = repo(
        "app",
        &[(
            "a/main.tf",
            "module \"up\" {\n  source = \"../../escape\"\n}\nmodule \"link\" {\n  source = \"../modules/link\"\n}\nmodule \"reg\" {\n  source = \"acme/x/aws\"\n}\nmodule \"computed\" {\n  source = local.where\n}\n",
        )],
    );
    fs::create_dir_all(dir.path().join("modules")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("modules/link")).unwrap();
    let config = load(dir.path()).unwrap();
    assert!(config.module_roles().roles.is_empty());
    let warnings: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
    let w = warnings.join("\n");
    assert!(w.contains("a/main.tf:1:1: in block `module \"up\"`: its source \"../../escape\" leads outside the repository"), "{w}");
    assert!(w.contains("a/main.tf:4:1: in block `module \"link\"`: its source \"../modules/link\" leads outside the repository"), "{w}");
    assert!(w.contains("a/main.tf:7:1: in block `module \"reg\"`: its source \"acme/x/aws\" is not installed in `.terraform/modules`"), "{w}");
    assert!(
        w.contains("a/main.tf:10:1: in block `module \"computed\"`: has no literal `source`"),
        "{w}"
    );
    // A modules.json pointing out of the repository is not followed either.
    fs::create_dir_all(dir.path().join("a/.terraform/modules")).unwrap();
    fs::write(
        dir.path().join("a/.terraform/modules/modules.json"),
        format!(
            r#"{{"Modules":[{{"Key":"reg","Source":"acme/x/aws","Dir":"{}"}}]}}"#,
            outside.path().display()
        ),
    )
    .unwrap();
    let config = load(dir.path()).unwrap();
    assert!(config.module_roles().roles.is_empty());
    let w: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
    assert!(
        w.join("\n").contains("module `reg` is recorded in"),
        "{w:?}"
    );
}

#[test]
fn a_cycle_of_local_modules_ends() {
    let dir = repo(
        "app",
        &[
            (
                "a/main.tf",
                "module \"p\" {\n  source = \"../modules/p\"\n}\n",
            ),
            (
                "modules/p/main.tf",
                "module \"q\" {\n  source = \"../q\"\n}\n",
            ),
            ("modules/p/tfroles.module.hcl", "services = [\"rds\"]\n"),
            (
                "modules/q/main.tf",
                "module \"p\" {\n  source = \"../p\"\n}\n",
            ),
            (
                "modules/q/tfroles.module.hcl",
                "actions = [\"sqs:SendMessage\"]\n",
            ),
        ],
    );
    let config = load(dir.path()).unwrap();
    let r = config.module_role("module-p").unwrap();
    assert_eq!(r.nested, [Path::new("modules/q/tfroles.module.hcl")]);
    let p = &config.role("module-p").unwrap().permissions;
    assert_eq!(p.actions, ["sqs:SendMessage"]);
}

#[test]
fn without_module_roles_nothing_is_read() {
    let dir = repo(
        "app",
        &[
            ("a/main.tf", CALL_DB),
            ("modules/db/tfroles.module.hcl", "not hcl {{{"),
        ],
    );
    let text = fs::read_to_string(dir.path().join("tfroles.hcl"))
        .unwrap()
        .replace("module_roles = true", "module_roles = false");
    fs::write(dir.path().join("tfroles.hcl"), text).unwrap();
    let config = load(dir.path()).unwrap();
    assert!(config.module_roles().roles.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any manifest of services, access levels and actions: the module's
    /// session reaches exactly what it names, less the delete class.
    #[test]
    fn any_manifest_is_reached_exactly(
        services in proptest::sample::subsequence(vec!["rds", "sqs", "sns", "ecs", "s3", "dynamodb", "lambda", "kms"], 0..3),
        access in proptest::sample::subsequence(AccessLevel::ALL.to_vec(), 1..5),
        actions in proptest::sample::subsequence(vec!["iam:PassRole", "kms:CreateGrant", "ec2:Describe*", "logs:CreateLogGroup", "secretsmanager:GetSecretValue"], 0..3),
        allow_delete in any::<bool>(),
    ) {
        prop_assume!(!services.is_empty() || !actions.is_empty());
        let kw = |l: &AccessLevel| tfroles_core::access::access_keyword(*l);
        let list = |v: &[&str]| v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        let mut manifest = format!("actions = [{}]\nallow_delete = {allow_delete}\n", list(&actions));
        if !services.is_empty() {
            let levels: Vec<&str> = access.iter().map(kw).collect();
            manifest.push_str(&format!("services = [{}]\naccess = [{}]\n", list(&services), list(&levels)));
        }
        let dir = repo("app", &[
            ("a/main.tf", CALL_DB),
            ("modules/db/main.tf", ""),
            ("modules/db/tfroles.module.hcl", &manifest),
        ]);
        let config = load(dir.path()).unwrap();
        let mut expected = named(&services, &access, &actions);
        if !allow_delete {
            expected = without_deletes(expected);
        }
        prop_assert_eq!(reached(&config, "module-db", "qa"), expected);
    }
}
