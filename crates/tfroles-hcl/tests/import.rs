//! `tfroles import` on fixture repositories: `fixtures/import-<case>/input/`
//! (hand-written backends and providers, no tfroles.hcl) in,
//! `fixtures/import-<case>/expected-tfroles.hcl` (the draft) out.
//!
//! For every case: the draft matches the golden file and `terraform fmt`;
//! it loads; the report names what could not be mapped, with file and line;
//! importing writes nothing; and, the round trip that matters, `generate
//! --take-over` on the draft writes blocks whose parsed values are those of
//! the originals, except where the report said they would change.
//!
//! `UPDATE_FIXTURES=1 cargo test -p tfroles-hcl --test import` rewrites the
//! golden drafts; review the diff before committing it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use pretty_assertions::assert_eq;
use serde_json::{Map, Value};
use tfroles_core::Config;
use tfroles_core::types::Duration;
use tfroles_hcl::{
    Error, Import, ImportOptions, PlanOptions, SIGNATURE_PREFIX, import, import_with,
};
use tfroles_testsupport::{terraform_fmt_stdin, workspace_root};

/// Attributes a generated block may have that its original did not, and why
/// each keeps the meaning (or only tightens it).
///
/// - `encrypt`, `use_lockfile` (backend): tfroles always writes both.
///   Terraform's default for each is `false`; where no original set them, the
///   draft keeps tfroles' defaults (`true`) and the report says so: S3
///   encrypts new objects anyway, and locking only adds safety. Where an
///   original set one, its value must come through (checked).
/// - `assume_role.session_name`: tfroles always names the session (the
///   role's, else the default); without one, terraform's AWS code makes one
///   up. CloudTrail shows the name; permissions do not depend on it.
/// - `assume_role.duration`: tfroles always asks for a session length (1h
///   unless the role says otherwise); terraform's AWS code asks for 15m and
///   refreshes. Same role, same permissions.
/// - `allowed_account_ids` (provider): tfroles writes the guard into every
///   provider, always including the account the provider assumes its role
///   in, so it refuses only runs that would have gone to the wrong account.
/// - `assume_role.policy`: a session policy only narrows a session: the
///   backend's to its own stack's state keys, a provider's to everything but
///   deletes (for a role without `allow_delete = true`).
const ALLOWED_EXTRAS: &[&str] = &[
    "backend.encrypt",
    "backend.use_lockfile",
    "backend.assume_role.session_name",
    "backend.assume_role.duration",
    "backend.assume_role.policy",
    "provider.allowed_account_ids",
    "provider.assume_role.session_name",
    "provider.assume_role.duration",
    "provider.assume_role.policy",
];
/// Every file below `root` with its bytes and modification time.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                pending.push(e.path());
            } else {
                let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
                let m = e.metadata().unwrap().modified().unwrap();
                out.insert(rel, (fs::read(e.path()).unwrap(), m));
            }
        }
    }
    out
}

fn input(case: &str) -> PathBuf {
    workspace_root().join("fixtures").join(case).join("input")
}

/// Imports a copy of the case's input, checking that nothing was written.
fn import_case(case: &str) -> Import {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    tfroles_testsupport::copy_tree(&input(case), &repo);
    assert!(
        !repo.join("tfroles.hcl").exists(),
        "{case}: an import fixture must not hold a tfroles.hcl (fixtures.rs would demand expected files)"
    );
    let before = snapshot(&repo);
    let imported = import(&repo).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        snapshot(&repo),
        before,
        "{case}: import must not write, touch or remove anything"
    );
    imported
}

/// The draft equals the golden file, which terraform fmt leaves as it is.
fn check_golden(case: &str, imported: &Import) {
    let golden = workspace_root()
        .join("fixtures")
        .join(case)
        .join("expected-tfroles.hcl");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        fs::write(&golden, &imported.config).unwrap();
    }
    let want = fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{case}: {e}; run with UPDATE_FIXTURES=1"));
    assert_eq!(
        imported.config, want,
        "{case}: draft differs from the golden file"
    );
    assert_eq!(
        terraform_fmt_stdin(&imported.config),
        imported.config,
        "{case}: the draft must be in terraform fmt's layout"
    );
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// The `backend "s3"` and `provider "aws"` bodies of the `.tf` files of a
/// directory (only `names`, when given), as hcl-rs reads them.
fn blocks(dir: &Path, names: Option<&[&str]>) -> (Vec<Value>, Vec<Value>) {
    let mut backends = Vec::new();
    let mut providers = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .filter(|p| names.is_none_or(|n| n.contains(&p.file_name().unwrap().to_str().unwrap())))
        .collect();
    files.sort();
    for f in files {
        let v: Value = hcl::from_str(&fs::read_to_string(&f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for t in as_list(&v["terraform"]) {
            backends.extend(as_list(&t["backend"]["s3"]));
        }
        providers.extend(as_list(&v["provider"]["aws"]));
    }
    (backends, providers)
}

/// A backend written before terraform 1.10 says the same with `assume_role`.
fn modern_backend(b: &Value) -> Map<String, Value> {
    let mut out = b.as_object().unwrap().clone();
    let mut ar = out
        .remove("assume_role")
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    for (old, new) in [
        ("role_arn", "role_arn"),
        ("external_id", "external_id"),
        ("session_name", "session_name"),
        ("assume_role_tags", "tags"),
    ] {
        if let Some(v) = out.remove(old) {
            ar.insert(new.into(), v);
        }
    }
    if let Some(v) = out.remove("assume_role_duration_seconds") {
        let secs = u32::try_from(v.as_u64().unwrap()).unwrap();
        ar.insert(
            "duration".into(),
            Duration::from_secs(secs).unwrap().to_string().into(),
        );
    }
    if !ar.is_empty() {
        out.insert("assume_role".into(), Value::Object(ar));
    }
    out
}

/// Durations compare by length, not spelling (`3600s` is `1h`).
fn same(key: &str, a: &Value, b: &Value) -> bool {
    match (key, a, b) {
        ("duration", Value::String(x), Value::String(y)) => {
            x.parse::<Duration>().ok() == y.parse::<Duration>().ok()
        }
        ("allowed_account_ids", Value::Array(x), Value::Array(y)) => {
            let mut x: Vec<String> = x.iter().map(|v| v.to_string()).collect();
            let mut y: Vec<String> = y.iter().map(|v| v.to_string()).collect();
            x.sort();
            y.sort();
            x == y
        }
        _ => a == b,
    }
}

/// Every way `generated` fails to say what `original` said, and every
/// attribute it adds beyond [`ALLOWED_EXTRAS`]. `place` names the block in
/// messages (`provider[dns].assume_role`), `kind` in [`ALLOWED_EXTRAS`]
/// (`provider.assume_role`).
fn compare(
    at: &str,
    place: &str,
    kind: &str,
    original: &Map<String, Value>,
    generated: &Map<String, Value>,
    out: &mut Vec<String>,
) {
    for (k, v) in original {
        let g = generated.get(k);
        if k == "assume_role" {
            let (o_list, g_list) = (as_list(v), g.map(as_list).unwrap_or_default());
            if o_list.len() != g_list.len() {
                out.push(format!(
                    "{at}: {place}.assume_role: {} block(s) -> {}",
                    o_list.len(),
                    g_list.len()
                ));
                continue;
            }
            for (i, (o, g)) in o_list.iter().zip(&g_list).enumerate() {
                let hop = if o_list.len() > 1 {
                    format!("[{i}]")
                } else {
                    String::new()
                };
                compare(
                    at,
                    &format!("{place}.assume_role{hop}"),
                    &format!("{kind}.assume_role"),
                    o.as_object().unwrap(),
                    g.as_object().unwrap(),
                    out,
                );
            }
            continue;
        }
        match g {
            Some(g) if same(k, v, g) => {}
            Some(g) => out.push(format!("{at}: {place}.{k}: {v} -> {g}")),
            None => out.push(format!("{at}: {place}.{k}: {v} -> missing")),
        }
    }
    for k in generated.keys() {
        if !original.contains_key(k) && !ALLOWED_EXTRAS.contains(&format!("{kind}.{k}").as_str()) {
            out.push(format!("{at}: {place}.{k}: added"));
        }
    }
}

/// Writes the draft into a copy of the input, runs generate with
/// `take_over`, and lists every difference between the original and the
/// generated blocks of every imported stack.
fn round_trip(case: &str, imported: &Import) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    tfroles_testsupport::copy_tree(&input(case), &repo);
    fs::write(repo.join("tfroles.hcl"), &imported.config).unwrap();
    let mut before = snapshot(&repo);

    let config = Config::from_path(&repo.join("tfroles.hcl"))
        .unwrap_or_else(|e| panic!("{case}: the draft does not load:\n{e}"));
    let dirs = tfroles_core::discover(config.root()).unwrap();
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let resolution = config.resolve(&paths).unwrap();
    assert!(
        resolution.warnings.is_empty(),
        "{case}: {:?}",
        resolution.warnings
    );
    assert_eq!(
        resolution.stacks.len(),
        imported.stacks,
        "{case}: the draft claims exactly the imported stacks"
    );
    let files = tfroles_hcl::generate(&config, &resolution.stacks).unwrap();
    let options = PlanOptions {
        take_over: true,
        ..PlanOptions::default()
    };
    let plan = match tfroles_hcl::plan(&config, files.clone(), &dirs, options) {
        // Blocks in other files that generate would duplicate: the report
        // told the user to delete them first; do so (here: the whole file).
        Err(Error::Duplicate { blocks }) => {
            for b in &blocks {
                assert!(
                    imported
                        .report
                        .iter()
                        .any(|f| f.file == b.file && f.message.contains("before generating")),
                    "{case}: {}:{} is refused by generate but the report did not say to delete it",
                    b.file,
                    b.line
                );
                let _ = fs::remove_file(repo.join(&b.file));
                before.remove(Path::new(&b.file));
            }
            tfroles_hcl::plan(&config, files, &dirs, options).unwrap()
        }
        other => other.unwrap(),
    };
    plan.apply().unwrap();
    let after = snapshot(&repo);

    // Only generated files and the originals kept beside them changed.
    for (path, (bytes, mtime)) in &before {
        let name = path.to_string_lossy();
        let (now, now_mtime) = &after[path];
        if now.starts_with(SIGNATURE_PREFIX.as_bytes()) {
            let kept = PathBuf::from(format!("{name}.tfroles-orig"));
            assert_eq!(
                &after[&kept].0,
                bytes,
                "{case}: {name} was taken over and kept as {}",
                kept.display()
            );
        } else {
            assert_eq!(
                (now, now_mtime),
                (bytes, mtime),
                "{case}: {name} must be untouched"
            );
        }
    }
    for dir in &imported.left_out {
        assert!(
            !after
                .keys()
                .any(|p| p.starts_with(dir) && p.to_string_lossy().ends_with(".tfroles-orig")),
            "{case}: {dir} was left out and must not be taken over"
        );
    }

    let mut diffs = Vec::new();
    for stack in &resolution.stacks {
        let at = stack.path.as_str();
        let (orig_b, orig_p) = blocks(&input(case).join(at), None);
        let (gen_b, gen_p) = blocks(&repo.join(at), Some(&["backend.tf", "providers.tf"]));
        assert_eq!(orig_b.len(), 1, "{case}: {at} has one backend");
        assert_eq!(gen_b.len(), 1, "{case}: {at} gets one backend");
        compare(
            at,
            "backend",
            "backend",
            &modern_backend(&orig_b[0]),
            gen_b[0].as_object().unwrap(),
            &mut diffs,
        );
        let alias = |p: &Value| p["alias"].as_str().unwrap_or("(default)").to_owned();
        let gen_by_alias: BTreeMap<String, &Value> = gen_p.iter().map(|p| (alias(p), p)).collect();
        assert_eq!(
            gen_by_alias.len(),
            gen_p.len(),
            "{case}: {at}: one block per alias"
        );
        for p in &orig_p {
            let name = alias(p);
            let place = format!("provider[{name}]");
            match gen_by_alias.get(&name) {
                Some(g) => compare(
                    at,
                    &place,
                    "provider",
                    p.as_object().unwrap(),
                    g.as_object().unwrap(),
                    &mut diffs,
                ),
                None => diffs.push(format!("{at}: {place}: missing")),
            }
        }
        for name in gen_by_alias.keys() {
            if !orig_p.iter().any(|p| &alias(p) == name) {
                diffs.push(format!("{at}: provider[{name}]: added"));
            }
        }
    }
    diffs
}

fn report(imported: &Import) -> Vec<String> {
    imported.report.iter().map(ToString::to_string).collect()
}

fn assert_reported(imported: &Import, line: &str) {
    assert!(
        report(imported).iter().any(|l| l == line),
        "not in the report: {line}\nreport:\n{}",
        report(imported).join("\n")
    );
}

#[test]
fn environments() {
    let case = "import-environments";
    let imported = import_case(case);
    check_golden(case, &imported);

    // The provider built from variables without values cannot be imported,
    // and says so once per variable, at its declaration; its stack is left
    // out rather than guessed.
    for line in [
        "sandbox/experiments/providers.tf:9: stack `sandbox/experiments`: provider \"aws\": its role could not be read: the draft introduces role `terraform-provision` in account 000000000000 for it; create it (the bootstrap stack does) and review its permissions",
        "sandbox/experiments/providers.tf:1: variable `region` has no default and no value given (`--var region=VALUE` or `--var-file`): import cannot know it, so 1 value that depends on it is left out: provider \"aws\" `region` (sandbox/experiments/providers.tf:10)",
        "sandbox/experiments/providers.tf:5: variable `account` has no default and no value given (`--var account=VALUE` or `--var-file`): import cannot know it, so 1 value that depends on it is left out: provider \"aws\" `assume_role.role_arn` (sandbox/experiments/providers.tf:13)",
        // Blocks outside backend.tf / providers.tf are the user's to delete.
        "shared/dns/main.tf:1: main.tf holds the `backend \"s3\"` block and 1 `provider \"aws\"` block, which generate writes into backend.tf and providers.tf: delete them from main.tf before generating (`--take-over` replaces only backend.tf and providers.tf; generate, like terraform, refuses a second backend and duplicate providers)",
        // Naming guesses are reported too.
        "qa/api/providers.tf:6: account 333333333333 is named `qa` (the directory its stacks are in): a guess, rename it at will (or name it with `--account-name 333333333333=NAME`)",
    ] {
        assert_reported(&imported, line);
    }
    assert!(imported.left_out.is_empty());
    assert_eq!(
        (
            imported.stacks,
            imported.stack_blocks,
            imported.accounts,
            imported.roles
        ),
        (6, 5, 4, 4)
    );
    // Two identical siblings make a glob; production's differ, so they stay exact.
    assert!(imported.config.contains("\nstack \"qa/*\" {\n"));
    assert!(imported.config.contains("\nstack \"production/api\" {\n"));
    assert!(
        imported
            .config
            .contains("\nstack \"production/worker\" {\n")
    );

    // Old and new backend syntax, aliases in another account: all mean the
    // same. The stack built from variables without values gets the role to
    // introduce, as the report says.
    assert_eq!(
        round_trip(case, &imported),
        vec![
            "sandbox/experiments: provider[(default)].assume_role.role_arn: \"arn:aws:iam::${var.account}:role/x\" -> \"arn:aws:iam::000000000000:role/terraform-provision\"",
            "sandbox/experiments: provider[(default)].region: \"${var.region}\" -> \"us-west-2\"",
        ]
    );

    // Given the values, as `terraform -var` would be, the stack comes in.
    let opts = ImportOptions {
        vars: vec![
            ("account".into(), "444444444444".into()),
            ("region".into(), "eu-west-1".into()),
        ],
        ..ImportOptions::default()
    };
    let with_vars = import_with(&input(case), &opts).unwrap();
    assert!(with_vars.left_out.is_empty(), "{:#?}", with_vars.report);
    assert!(
        with_vars.config.contains("stack \"sandbox/experiments\" {\n  account = \"sandbox\"\n  role    = \"x\"\n  region  = \"eu-west-1\"\n}"),
        "{}",
        with_vars.config
    );
}

#[test]
fn legacy() {
    let case = "import-legacy";
    let imported = import_case(case);
    check_golden(case, &imported);
    for line in [
        "legacy/backend.tf:6: backend \"s3\": state key \"legacy-app.tfstate\" does not follow `<key_prefix>/<stack path>/terraform.tfstate`: generate will write key \"legacy/terraform.tfstate\", and terraform will not find the state where it is; this stack's state would move: after generating, run `terraform init -migrate-state` in this directory",
        "apps/api/providers.tf:12: role `deploy`: external_id \"deploy-v2\" here, \"deploy\" in 3 of its 4 uses: the draft keeps \"deploy\", which generate will write here",
        "network/providers.tf:5: role `deploy`: via unset (assumed directly) here, `ci-hub` in 3 of its 4 uses: the draft keeps `ci-hub`, which generate will write here",
        "network/backend.tf:10: backend \"s3\": `profile` beside `assume_role`: the profile's credentials start the chain; tfroles starts from the base identity it is run with",
        "legacy/backend.tf:2: backend.tf also holds `terraform { required_version }`: `tfroles generate --take-over` replaces the whole file (keeping it as backend.tf.tfroles-orig), so move them to another file first",
        // No role and no account anywhere: still a stack, with the role to
        // introduce in a placeholder account, both marked for review.
        "tools/ci/providers.tf:1: stack `tools/ci`: provider \"aws\" names no account (no role ARN, no single `allowed_account_ids`, no profile with an account): the draft puts it in account 000000000000, a placeholder; give the real one with `--account NAME=ID`",
        "tools/ci/providers.tf:1: stack `tools/ci`: provider \"aws\": it assumes no role (an administrator's keys, or a profile's own credentials): the draft introduces role `terraform-provision` in account 000000000000 for it; create it (the bootstrap stack does) and review its permissions",
        "tools/ci/providers.tf:3: provider \"aws\": `profile` \"ci\": no AWS config file was read (give one with `--aws-config PATH`): the draft cannot tell its role or account",
        "apps/api/backend.tf:2: backend \"s3\": no backend sets `encrypt` (terraform's default is false): the draft keeps tfroles' default `encrypt = true`",
        "apps/api/providers.tf:11: account 666666666666 is named `account-666666666666` (nothing names it): a guess, rename it at will (or name it with `--account-name 666666666666=NAME`)",
    ] {
        assert_reported(&imported, line);
    }
    // The lock table keeps locking as it was; the chain becomes `via`.
    assert!(
        imported
            .config
            .contains("  use_lockfile   = false\n  dynamodb_table = \"terraform-locks\"\n")
    );
    assert!(imported.config.contains("  via         = \"ci-hub\"\n"));
    // default_tags come through to the generated providers (checked below).
    assert!(
        imported
            .config
            .contains("  default_tags = {\n    owner = \"platform\"\n  }\n")
    );

    // What differs after generate is exactly what the report announced.
    assert_eq!(
        round_trip(case, &imported),
        vec![
            "apps/api: provider[(default)].assume_role[1].external_id: \"deploy-v2\" -> \"deploy\"",
            "legacy: backend.key: \"legacy-app.tfstate\" -> \"legacy/terraform.tfstate\"",
            "network: backend.profile: \"ops\" -> missing",
            "network: provider[(default)].assume_role: 1 block(s) -> 2",
            // A profile's own credentials become the introduced roles.
            "tools/ci: backend.profile: \"ci\" -> missing",
            "tools/ci: backend.assume_role: added",
            "tools/ci: provider[(default)].profile: \"ci\" -> missing",
            "tools/ci: provider[(default)].assume_role: added",
        ]
    );
}

/// A Terragrunt tree: a root `remote_state` included by every unit, an
/// `iam_role` per unit (literal, built from locals, or from
/// `get_aws_account_id()`), the provider from a `generate` block. The draft
/// generates what Terragrunt would have: the same key, bucket, state role,
/// provider role and session.
#[test]
fn terragrunt() {
    let case = "import-terragrunt";
    let imported = import_case(case);
    check_golden(case, &imported);
    for line in [
        "live/dev/tools/terragrunt.hcl:10: `get_aws_account_id()` (asks AWS who is calling): import cannot know it, so 1 value that depends on it is left out: terragrunt `iam_role` (live/dev/tools/terragrunt.hcl:10)",
        "live/dev/tools/terragrunt.hcl:10: stack `live/dev/tools`: provider \"aws\": it assumes no role (an administrator's keys, or a profile's own credentials): the draft introduces role `terraform-provision` in account 000000000000 for it; create it (the bootstrap stack does) and review its permissions",
    ] {
        assert_reported(&imported, line);
    }
    assert_eq!((imported.stacks, imported.roles), (4, 3));

    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    tfroles_testsupport::copy_tree(&input(case), &repo);
    fs::write(repo.join("tfroles.hcl"), &imported.config).unwrap();
    let config = Config::from_path(&repo.join("tfroles.hcl")).unwrap();
    let dirs = tfroles_core::discover(config.root()).unwrap();
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let resolution = config.resolve(&paths).unwrap();
    let files = tfroles_hcl::generate(&config, &resolution.stacks).unwrap();
    tfroles_hcl::plan(&config, files, &dirs, PlanOptions::default())
        .unwrap()
        .apply()
        .unwrap();
    let read =
        |p: &str| -> Value { hcl::from_str(&fs::read_to_string(repo.join(p)).unwrap()).unwrap() };
    for (unit, role) in [
        (
            "live/prod/app",
            "arn:aws:iam::222222222222:role/terraform-deploy",
        ),
        (
            "live/prod/db",
            "arn:aws:iam::222222222222:role/terraform-deploy",
        ),
        (
            "live/dev/app",
            "arn:aws:iam::333333333333:role/terraform-deploy",
        ),
    ] {
        let b = &read(&format!("{unit}/backend.tf"))["terraform"]["backend"]["s3"];
        // Terragrunt's key: path_relative_to_include()/terraform.tfstate.
        assert_eq!(b["key"], format!("{unit}/terraform.tfstate"), "{unit}");
        assert_eq!(b["bucket"], "acme-tg-state");
        assert_eq!(
            b["assume_role"]["role_arn"],
            "arn:aws:iam::111111111111:role/terraform-state"
        );
        let p = &read(&format!("{unit}/providers.tf"))["provider"]["aws"];
        assert_eq!(p["region"], "eu-west-1", "{unit}");
        let ar = &as_list(&p["assume_role"])[0];
        assert_eq!(ar["role_arn"], role, "{unit}");
        assert_eq!(ar["session_name"], "terragrunt", "{unit}");
    }
}

/// Variables, tfvars, locals keyed by workspace, a partial backend with its
/// `.tfbackend`, a data source, profiles from an AWS config (a role through
/// `source_profile`, an SSO profile without one): the values terraform
/// would compute, the roles to introduce, and each unknown once.
#[test]
fn workspaces_variables_profiles() {
    let case = "import-workspaces";
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    tfroles_testsupport::copy_tree(&input(case), &repo);
    let before = snapshot(&repo);
    let opts = ImportOptions {
        aws_config: Some(
            workspace_root()
                .join("fixtures")
                .join(case)
                .join("aws-config"),
        ),
        ..ImportOptions::default()
    };
    let imported = import_with(&repo, &opts).unwrap();
    assert_eq!(snapshot(&repo), before, "import writes nothing");
    check_golden(case, &imported);
    for line in [
        // Once, where the data source is read, not once per use.
        "services/app/locals.tf:6: data source `data.aws_caller_identity.current` (read from AWS at plan time): import cannot know it, so 1 value that depends on it is left out: provider \"aws\" (alias \"audit\") `assume_role.role_arn` (services/app/providers.tf:17)",
        "services/app/providers.tf:1: provider \"aws\" depends on `terraform.workspace`: evaluated in workspaces production, staging",
        "services/app/app.tfbackend:1: backend \"s3\" completed from app.tfbackend, as `terraform init -backend-config=app.tfbackend` would",
        "services/api/providers.tf:4: provider \"aws\": `profile` \"prod-admin\" (line 8 of the AWS config) assumes no role: its own credentials are used as they are",
        "services/api/backend.tf:8: account 111111111111 is named `state` (the AWS profile `state`): a guess, rename it at will (or name it with `--account-name 111111111111=NAME`)",
    ] {
        assert_reported(&imported, line);
    }
    // The backend assumes the role its profile names; the provider gets
    // the role to introduce, in the SSO profile's account.
    Config::from_str_at(&imported.config, &repo.join("tfroles.hcl"), &repo).unwrap();
    assert!(imported.config.contains("stack \"services/api\" {\n  account = \"prod-admin\"\n  role    = \"terraform-provision\"\n}"));
    assert!(imported.config.contains(
        "stack \"services/app\" {\n  account = \"prod-admin\"\n  role    = \"app-deploy\"\n"
    ));
    // Named differently, the same ids.
    let named = ImportOptions {
        account_names: vec![("666666666666".into(), "production".into())],
        ..opts
    };
    let again = import_with(&repo, &named).unwrap();
    assert!(
        again
            .config
            .contains("account \"production\" {\n  id = \"666666666666\"\n}")
    );
    assert!(
        !again
            .report
            .iter()
            .any(|f| f.message.contains("666666666666 is named"))
    );
}

/// Every draft loads with the same loader `tfroles` uses.
#[test]
fn every_import_fixture_is_tested_and_its_draft_loads() {
    let mut found: Vec<String> = fs::read_dir(workspace_root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("import-"))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            "import-environments",
            "import-legacy",
            "import-terragrunt",
            "import-workspaces"
        ]
    );
    for case in found {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        tfroles_testsupport::copy_tree(&input(&case), &repo);
        let imported = import(&repo).unwrap();
        fs::write(repo.join("tfroles.hcl"), &imported.config).unwrap();
        Config::from_path(&repo.join("tfroles.hcl"))
            .unwrap_or_else(|e| panic!("{case}: the draft does not load:\n{e}"));
    }
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

fn backend(key: &str) -> String {
    format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket = \"state-bucket\"\n    key    = \"{key}\"\n    region = \"us-east-1\"\n\n    assume_role = {{\n      role_arn = \"arn:aws:iam::111111111111:role/state\"\n    }}\n  }}\n}}\n"
    )
}

const PROVIDER: &str = "provider \"aws\" {\n  region = \"us-east-1\"\n\n  assume_role {\n    role_arn = \"arn:aws:iam::222222222222:role/app\"\n  }\n}\n";

#[test]
fn nothing_to_import_is_an_error_that_carries_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[
            ("mod/main.tf", "variable \"x\" {}\n"),
            (
                "app/providers.tf",
                "provider \"aws\" {\n  region = var.region\n}\n",
            ),
        ],
    );
    match import(tmp.path()) {
        Err(Error::NothingToImport { report, .. }) => {
            let lines: Vec<String> = report.iter().map(ToString::to_string).collect();
            assert_eq!(
                lines,
                vec![
                    "app/providers.tf:1: `provider \"aws\"` without a `backend \"s3\"` in this directory: not imported as a stack (a module, or a stack with local state)"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unparsable_files_are_reported_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[
            ("a/backend.tf", &backend("a/terraform.tfstate")),
            ("a/providers.tf", PROVIDER),
            ("a/broken.tf", "resource \"x\" \"y\" {\n  a = \n}\n"),
        ],
    );
    let imported = import(tmp.path()).unwrap();
    let broken: Vec<String> = report(&imported)
        .into_iter()
        .filter(|l| l.starts_with("a/broken.tf"))
        .collect();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0].starts_with("a/broken.tf:2: cannot parse this file ("),
        "{broken:?}"
    );
    assert!(broken[0].ends_with("): skipped"), "{broken:?}");
    assert_eq!(imported.stacks, 1);
}

#[test]
fn a_glob_needs_every_directory_it_would_match() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[
            ("qa/a/backend.tf", &backend("qa/a/terraform.tfstate")),
            ("qa/a/providers.tf", PROVIDER),
            ("qa/b/backend.tf", &backend("qa/b/terraform.tfstate")),
            ("qa/b/providers.tf", PROVIDER),
            // A module beside them: `qa/*` would make it a stack.
            ("qa/module/main.tf", "variable \"x\" {}\n"),
        ],
    );
    let imported = import(tmp.path()).unwrap();
    assert!(
        imported.config.contains("stack \"qa/a\" {"),
        "{}",
        imported.config
    );
    assert!(imported.config.contains("stack \"qa/b\" {"));
    assert!(!imported.config.contains("qa/*"));
    fs::remove_dir_all(tmp.path().join("qa/module")).unwrap();
    let imported = import(tmp.path()).unwrap();
    assert!(
        imported.config.contains("stack \"qa/*\" {"),
        "{}",
        imported.config
    );
    assert_eq!(imported.stack_blocks, 1);
}

#[test]
fn keys_without_a_prefix_and_the_directory_itself() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[
            ("main.tf", &backend("root.tfstate")),
            ("a/backend.tf", &backend("a/terraform.tfstate")),
            ("a/providers.tf", PROVIDER),
        ],
    );
    let imported = import(tmp.path()).unwrap();
    assert!(
        !imported.config.contains("key_prefix"),
        "{}",
        imported.config
    );
    assert_reported(
        &imported,
        "main.tf:1: blocks in the imported directory itself are not imported: tfroles stacks are directories below tfroles.hcl (import from the parent directory to include this one)",
    );
}

#[test]
fn values_tfroles_rejects_are_reported_not_written() {
    let tmp = tempfile::tempdir().unwrap();
    let provider = "provider \"aws\" {\n  region = \"US-EAST-1\"\n\n  assume_role {\n    role_arn     = \"arn:aws:iam::222222222222:role/app\"\n    external_id  = \"x\"\n    session_name = local.name\n    duration     = \"13h\"\n  }\n}\n";
    write(
        tmp.path(),
        &[
            ("a/backend.tf", &backend("a/terraform.tfstate")),
            ("a/providers.tf", provider),
        ],
    );
    let imported = import(tmp.path()).unwrap();
    assert_eq!(
        report(&imported)
            .into_iter()
            .filter(|l| l.starts_with("a/providers.tf"))
            .collect::<Vec<_>>(),
        vec![
            "a/providers.tf:1: provider \"aws\": no region given literally (terraform would read AWS_REGION): the draft gives the stack the default region \"us-east-1\"",
            "a/providers.tf:2: provider \"aws\": `region`: \"US-EAST-1\" is not an AWS region (tfroles takes a region name like `us-east-1`, `eu-central-2` or `us-gov-west-1`): left out; hint: region names are lowercase: write \"us-east-1\"",
            "a/providers.tf:5: account 222222222222 is named `a` (the directory its stacks are in): a guess, rename it at will (or name it with `--account-name 222222222222=NAME`)",
            "a/providers.tf:6: provider \"aws\": `assume_role.external_id`: \"x\" is not a valid external id (tfroles takes 2 to 1224 characters of letters, digits and `+=,.@:/_-`): left out",
            "a/providers.tf:7: `local.name` is not defined: import cannot know it, so 1 value that depends on it is left out: provider \"aws\" `assume_role.session_name` (a/providers.tf:7)",
            "a/providers.tf:8: provider \"aws\": `assume_role.duration`: 13h is outside the range STS accepts (tfroles takes 15m to 12h): left out; hint: STS grants sessions of 15 minutes to 12 hours (and no more than the role's MaxSessionDuration)",
        ]
    );
    let tmp2 = tempfile::tempdir().unwrap();
    fs::write(tmp2.path().join("tfroles.hcl"), &imported.config).unwrap();
    Config::from_path(&tmp2.path().join("tfroles.hcl")).unwrap();
}

/// The lock table and KMS key are judged by core's `LockTable` and
/// `KmsKeyId`, the types `tfroles.hcl` is loaded with: the report words
/// the rejection as core does (its message and what it takes), and the
/// draft leaves the value out and still loads.
#[test]
fn lock_table_and_kms_key_are_judged_by_cores_types() {
    let tmp = tempfile::tempdir().unwrap();
    let backend = backend("a/terraform.tfstate").replace(
        "    region = \"us-east-1\"\n",
        "    region = \"us-east-1\"\n    dynamodb_table = \"tf\"\n    kms_key_id = \"alias/my key\"\n",
    );
    write(
        tmp.path(),
        &[("a/backend.tf", &backend), ("a/providers.tf", PROVIDER)],
    );
    let imported = import(tmp.path()).unwrap();
    let table = "tf".parse::<tfroles_core::types::LockTable>().unwrap_err();
    let key = "alias/my key"
        .parse::<tfroles_core::types::KmsKeyId>()
        .unwrap_err();
    assert_reported(
        &imported,
        &format!(
            "a/backend.tf:6: backend \"s3\": `dynamodb_table`: {} (tfroles takes {}): left out",
            table.message, table.allowed
        ),
    );
    assert_reported(
        &imported,
        &format!(
            "a/backend.tf:7: backend \"s3\": `kms_key_id`: {} (tfroles takes {}): left out",
            key.message, key.allowed
        ),
    );
    assert!(
        !imported.config.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("dynamodb_table") || l.starts_with("kms_key_id")
        }),
        "{}",
        imported.config
    );
    let tmp2 = tempfile::tempdir().unwrap();
    fs::write(tmp2.path().join("tfroles.hcl"), &imported.config).unwrap();
    Config::from_path(&tmp2.path().join("tfroles.hcl")).unwrap();
}

/// Core refuses a `source_identity` on a role assumed `via` another that
/// sets one (AWS keeps the first session's); import used to draft exactly
/// that (found by `never_crashes`), so the draft did not load. The chain
/// is dropped, with a finding, and the draft loads.
#[test]
fn a_via_chain_with_two_source_identities_is_not_drafted() {
    let tmp = tempfile::tempdir().unwrap();
    let main = "terraform {\n  backend \"s3\" {\n    bucket = \"state-bucket\"\n    key    = \"tf/x/terraform.tfstate\"\n    region = \"us-east-1\"\n\n    assume_role = {\n      role_arn        = \"arn:aws:iam::111111111111:role/dns\"\n      source_identity = \"me\"\n    }\n  }\n}\n\nprovider \"aws\" {\n  region = \"us-west-2\"\n\n  assume_role {\n    role_arn = \"arn:aws:iam::111111111111:role/dns\"\n  }\n  assume_role {\n    role_arn        = \"arn:aws:iam::111111111111:role/state\"\n    source_identity = \"me\"\n  }\n}\n";
    write(tmp.path(), &[("x/main.tf", main)]);
    let imported = import(tmp.path()).unwrap();
    let report = report(&imported);
    assert!(
        !report.iter().any(|l| l.contains("the draft does not load")),
        "{}",
        report.join("\n")
    );
    assert!(
        report.iter().any(|l| l.starts_with("x/main.tf:")
            && l.contains("role `state`: the draft cannot chain it through `dns`")
            && l.contains("AWS keeps the first session's source identity")),
        "{}",
        report.join("\n")
    );
    let tmp2 = tempfile::tempdir().unwrap();
    fs::write(tmp2.path().join("tfroles.hcl"), &imported.config).unwrap();
    Config::from_path(&tmp2.path().join("tfroles.hcl")).unwrap();
}

#[test]
fn a_provider_with_an_unreadable_alias_is_not_taken_for_the_default() {
    let tmp = tempfile::tempdir().unwrap();
    let aliased = "provider \"aws\" {\n  alias  = var.alias\n  region = \"eu-west-1\"\n}\n";
    write(
        tmp.path(),
        &[
            ("a/backend.tf", &backend("a/terraform.tfstate")),
            ("a/providers.tf", &format!("{aliased}\n{PROVIDER}")),
        ],
    );
    let imported = import(tmp.path()).unwrap();
    assert_eq!(imported.stacks, 1, "{:#?}", imported.report);
    assert_reported(
        &imported,
        "a/providers.tf:1: provider \"aws\" (alias unreadable) left out: resources using it need it back after the handover",
    );
    assert_reported(
        &imported,
        "a/providers.tf:2: variable `alias` is not declared: import cannot know it, so 1 value that depends on it is left out: provider \"aws\" `alias` (a/providers.tf:2)",
    );
}

mod never_crashes {
    //! Random repositories from pools of valid, invalid and non-literal
    //! values: import never panics, and every draft it returns loads.

    use super::*;
    use proptest::prelude::*;

    fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
        prop::sample::select(pool)
    }

    fn arn() -> impl Strategy<Value = String> {
        (
            pick(&["aws", "aws", "aws", "aws-cn"]),
            pick(&["111111111111", "222222222222", "333333333333", "12345"]),
            pick(&["/", "/", "/team/", "/other/"]),
            pick(&["state", "app", "hub", "dns", "app"]),
        )
            .prop_map(|(p, a, path, n)| format!("\"arn:{p}:iam::{a}:role{path}{n}\""))
    }

    fn opt(pool: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
        pick(pool)
    }

    /// The body of an assume_role (object or block), or old top-level lines.
    fn session() -> impl Strategy<Value = String> {
        (
            prop_oneof![8 => arn(), 1 => Just("var.role".to_owned()), 1 => Just("\"arn:aws:iam::${var.a}:role/x\"".to_owned())],
            opt(&["", "external_id = \"ext\"", "external_id = \"x\"", "external_id = var.e"]),
            opt(&["", "session_name = \"terraform\"", "session_name = \"ci\"", "session_name = local.s"]),
            opt(&["", "duration = \"1h\"", "duration = \"2h\"", "duration = \"13h\"", "duration = \"3600s\""]),
            opt(&["", "tags = { team = \"a\" }", "tags = { team = var.t }", "source_identity = \"me\""]),
        )
            .prop_map(|(arn, a, b, c, d)| {
                let mut s = format!("role_arn = {arn}\n");
                for x in [a, b, c, d] {
                    if !x.is_empty() {
                        s.push_str(x);
                        s.push('\n');
                    }
                }
                s
            })
    }

    fn backend(dir: String) -> impl Strategy<Value = String> {
        (
            opt(&[
                "bucket = \"state-bucket\"",
                "bucket = \"state-bucket\"",
                "bucket = \"Bad_Bucket\"",
                "bucket = var.b",
                "",
            ]),
            prop_oneof![
                3 => Just(format!("key = \"tf/{dir}/terraform.tfstate\"")),
                1 => Just(format!("key = \"{dir}/terraform.tfstate\"")),
                1 => Just("key = \"odd.tfstate\"".to_owned()),
                1 => Just(String::new()),
            ],
            opt(&[
                "region = \"us-east-1\"",
                "region = \"us-east-1\"",
                "region = \"eu-west-1\"",
                "",
            ]),
            opt(&[
                "",
                "encrypt = true",
                "encrypt = false",
                "use_lockfile = true",
                "dynamodb_table = \"locks\"",
                "dynamodb_table = \"x\"",
                "profile = \"p\"",
                "kms_key_id = \"alias/k\"",
            ]),
            prop_oneof![
                3 => session().prop_map(|s| format!("assume_role = {{\n{s}}}\n")),
                2 => session(),
                1 => Just(String::new()),
            ],
        )
            .prop_map(|(a, b, c, d, e)| {
                format!("terraform {{\n  backend \"s3\" {{\n{a}\n{b}\n{c}\n{d}\n{e}\n  }}\n}}\n")
            })
    }

    fn provider(alias: Option<&'static str>) -> impl Strategy<Value = String> {
        (
            opt(&[
                "region = \"us-west-2\"",
                "region = \"us-west-2\"",
                "region = \"eu-west-1\"",
                "region = var.r",
                "",
            ]),
            opt(&[
                "",
                "allowed_account_ids = [\"222222222222\"]",
                "allowed_account_ids = [\"111111111111\", \"222222222222\"]",
                "allowed_account_ids = var.ids",
                "profile = \"x\"",
                "default_tags {\n tags = {}\n}",
            ]),
            prop::collection::vec(session(), 0..4),
        )
            .prop_map(move |(r, x, chain)| {
                let mut s = String::from("provider \"aws\" {\n");
                if let Some(a) = alias {
                    s.push_str(&format!("alias = {a}\n"));
                }
                s.push_str(&format!("{r}\n{x}\n"));
                for hop in chain {
                    s.push_str(&format!("assume_role {{\n{hop}}}\n"));
                }
                s.push_str("}\n");
                s
            })
    }

    fn stack(dir: &'static str) -> impl Strategy<Value = (String, String)> {
        (
            prop::option::weighted(0.9, backend(dir.to_owned())),
            prop::option::weighted(0.9, provider(None)),
            prop::collection::vec(
                pick(&["\"dns\"", "\"east\"", "\"dns\"", "\"bad alias\"", "var.a"])
                    .prop_flat_map(|a| provider(Some(a))),
                0..3,
            ),
        )
            .prop_map(move |(b, p, aliases)| {
                let mut text = b.unwrap_or_default();
                text.push_str(&p.unwrap_or_default());
                for a in aliases {
                    text.push_str(&a);
                }
                (dir.to_owned(), text)
            })
    }

    fn repo() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::sample::subsequence(
            vec!["qa/a", "qa/b", "qa/c", "prod/a", "x", "deep/er/one"],
            1..6,
        )
        .prop_flat_map(|dirs| dirs.into_iter().map(stack).collect::<Vec<_>>())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn import_never_panics_and_every_draft_loads(files in repo()) {
            let tmp = tempfile::tempdir().unwrap();
            for (dir, text) in &files {
                let d = tmp.path().join(dir);
                fs::create_dir_all(&d).unwrap();
                fs::write(d.join("main.tf"), text).unwrap();
            }
            match import(tmp.path()) {
                Ok(imported) => {
                    let bug: Vec<&tfroles_hcl::Finding> = imported
                        .report
                        .iter()
                        .filter(|f| f.message.contains("does not load"))
                        .collect();
                    prop_assert!(bug.is_empty(), "{bug:?}\n{files:#?}\n{}", imported.config);
                    fs::write(tmp.path().join("tfroles.hcl"), &imported.config).unwrap();
                    let loaded = Config::from_path(&tmp.path().join("tfroles.hcl"));
                    prop_assert!(loaded.is_ok(), "{}\n{}", loaded.unwrap_err(), imported.config);
                }
                Err(Error::NothingToImport { .. }) => {}
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}

/// Every kind of expression the reader tells apart, through import: each is
/// read as a literal (parentheses, integers), evaluated (operations,
/// heredocs) or reported with the cause that keeps it unknown, and an
/// unclosed file is reported where the parser stopped.
#[test]
fn each_kind_of_expression_is_read_or_reported_with_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    let a = "provider \"aws\" {\n  region              = (\"eu-west-1\")\n  allowed_account_ids = local.prod ? [\"222222222222\"] : []\n\n  assume_role {\n    role_arn         = \"arn:aws:iam::222222222222:role/app\"\n    duration_seconds = 3600.5\n    tags = {\n      (var.k) = \"v\"\n      team    = [for t in var.teams : t]\n    }\n  }\n}\n";
    let b = "provider \"aws\" {\n  region = \"us-east-1\"\n\n  assume_role {\n    role_arn         = \"arn:aws:iam::222222222222:role/b\"\n    duration_seconds = 1 + 1\n    session_name     = <<EOT\nx\nEOT\n  }\n}\n";
    let c = "provider \"aws\" {\n  region = \"us-east-1\"\n\n  assume_role {\n    role_arn         = \"arn:aws:iam::222222222222:role/c\"\n    duration_seconds = 7200.0\n  }\n}\n";
    write(
        tmp.path(),
        &[
            ("a/backend.tf", &backend("a/terraform.tfstate")),
            ("a/providers.tf", a),
            ("b/backend.tf", &backend("b/terraform.tfstate")),
            ("b/providers.tf", b),
            ("b/broken.tf", "resource \"x\" \"y\" {\n  a = 1\n\n\n"),
            ("c/backend.tf", &backend("c/terraform.tfstate")),
            ("c/providers.tf", c),
        ],
    );
    let imported = import(tmp.path()).unwrap();
    let got: Vec<String> = report(&imported)
        .into_iter()
        .filter(|l| l.contains(".tf:") && !l.contains("account ") && !l.contains("backend \"s3\""))
        .collect();
    assert_eq!(
        got,
        vec![
            "a/providers.tf:3: `local.prod` is not defined: import cannot know it, so 1 value that depends on it is left out: provider \"aws\" `allowed_account_ids` (a/providers.tf:3)",
            "a/providers.tf:7: provider \"aws\": `assume_role.duration_seconds` is a number, not a whole number of seconds: left out",
            "a/providers.tf:8: variable `k` is not declared: import cannot know it, so 1 value that depends on it is left out: provider \"aws\" `assume_role.tags` (a/providers.tf:8)",
            // Where the parser stopped, not where the missing `}` belongs.
            "b/broken.tf:4: cannot parse this file (invalid block body; expected `}`, newline or identifier): skipped",
            // Evaluated as terraform would, then checked like a literal.
            "b/providers.tf:6: provider \"aws\": `assume_role.duration_seconds` = 2 is outside the range STS accepts (900 to 43200 seconds): left out",
            "b/providers.tf:7: provider \"aws\": `assume_role.session_name`: \"x\\n\" is not a valid session name (tfroles takes 2 to 64 characters of letters, digits and `+=,.@_-`): left out",
        ]
    );
    // `("eu-west-1")` is read as the string; `7200.0` as a whole number.
    assert!(
        imported
            .config
            .contains("stack \"a\" {\n  account = \"account-222222222222\"\n  role    = \"app\"\n  region  = \"eu-west-1\"\n}"),
        "{}",
        imported.config
    );
    assert!(
        imported.config.contains(
            "role \"c\" {\n  account  = \"account-222222222222\"\n  duration = \"2h\"\n}"
        ),
        "{}",
        imported.config
    );
}
