//! Golden fixtures: `fixtures/<case>/input/` (a tfroles.hcl and its tree)
//! in, `fixtures/<case>/expected/` (every generated file) out.
//!
//! Each case is generated into a copy of its input and compared whole with
//! the expected tree. Every expected file must also be byte-for-byte what
//! `terraform fmt` would write, and must parse back, with hcl-rs and with
//! HashiCorp's own parser, to the values the model holds.
//!
//! `UPDATE_FIXTURES=1 cargo test -p tfroles-hcl --test fixtures` rewrites
//! the expected trees; review the diff before committing it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tfroles_core::{Config, CredentialsMode, Provider, RoleSession, SessionNames, Stack};
use tfroles_hcl::{AWS_CONFIG_PATH, PlanOptions, SIGNATURE_PREFIX, state_profile_name};
use tfroles_testsupport::{hcl2json_many, terraform_fmt_check, workspace_root};
/// Every file below `root`, keyed by `/`-separated relative path.
fn read_tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &entry.path(), out);
            } else {
                let rel = entry
                    .path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read_to_string(entry.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}

fn generated(tree: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tree.iter()
        .filter(|(_, c)| c.starts_with(SIGNATURE_PREFIX))
        .map(|(p, c)| (p.clone(), c.clone()))
        .collect()
}

fn run_generate(config_path: &Path) -> (Config, Vec<Stack>, tfroles_hcl::Summary) {
    let config = Config::from_path(config_path)
        .and_then(Config::with_module_roles)
        .unwrap_or_else(|e| panic!("{e}"));
    let dirs = tfroles_core::discover(config.root()).unwrap();
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let stacks = config.resolve(&paths).unwrap().stacks;
    let files = tfroles_hcl::generate(&config, &stacks).unwrap_or_else(|e| panic!("{e}"));
    // With `prune`: the globs case has the stale file of a retired stack,
    // which a plain run keeps (the CLI tests cover that).
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = tfroles_hcl::plan(&config, files, &dirs, options).unwrap();
    let summary = plan.apply().unwrap();
    (config, stacks, summary)
}

fn session_values(s: &RoleSession) -> Value {
    let mut v = json!({
        "role_arn": s.arn.as_str(),
        "session_name": s.session_name.as_str(),
        "duration": s.duration.to_string(),
    });
    if let Some(x) = &s.external_id {
        v["external_id"] = json!(x.as_str());
    }
    if let Some(x) = &s.source_identity {
        v["source_identity"] = json!(x.as_str());
    }
    if !s.tags.is_empty() {
        v["tags"] = s
            .tags
            .iter()
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    v
}

fn up(dir: &str) -> String {
    "../".repeat(dir.split('/').count())
}

/// What the backend block must say, built from the model alone.
fn intended_backend(config: &Config, stack: &Stack) -> Value {
    let st = &config.state();
    let mut v = json!({
        "bucket": st.bucket.as_str(),
        "key": stack.state_key,
        "region": st.region.as_str(),
        "encrypt": st.encrypt,
        "use_lockfile": st.use_lockfile,
    });
    if let Some(x) = &st.dynamodb_table {
        v["dynamodb_table"] = json!(x);
    }
    if let Some(x) = &st.kms_key_id {
        v["kms_key_id"] = json!(x);
    }
    if let Some(x) = &st.workspace_key_prefix {
        v["workspace_key_prefix"] = json!(x.as_str());
    }
    let session = config.stack_state_session(stack).named(&SessionNames {
        stack: Some(stack.path.as_str()),
        ..Default::default()
    });
    match config.defaults().credentials {
        CredentialsMode::AssumeRole => {
            v["assume_role"] = session_values(&session);
            // Only this stack's keys, unless the stack has its own role.
            if let Some(p) = config.state_session_policy(stack).unwrap() {
                v["assume_role"]["policy"] = json!(p.to_json_compact());
            }
        }
        CredentialsMode::Profile => {
            v["profile"] = json!(state_profile_name(stack));
            v["shared_config_files"] =
                json!([format!("{}{AWS_CONFIG_PATH}", up(stack.path.as_str()))]);
        }
    }
    v
}

/// What each provider block must say, built from the model alone.
fn intended_providers(config: &Config, stack: &Stack, providers: &[Provider]) -> Vec<Value> {
    providers
        .iter()
        .map(|p| {
            let mut v = json!({
                "region": p.region.as_str(),
                "allowed_account_ids": p.allowed_account_ids.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            });
            if let Some(a) = &p.alias {
                v["alias"] = json!(a.as_str());
            }
            match config.defaults().credentials {
                CredentialsMode::AssumeRole => {
                    // Named for the stack; a generated file has no user or run.
                    let named = p.session.clone().named(&SessionNames {
                        stack: Some(stack.path.as_str()),
                        ..Default::default()
                    });
                    let mut last = session_values(&named);
                    // The delete guard, on the session terraform works with.
                    if let Some(d) = config
                        .session_policy(p.session.role.as_str(), Some(p.session.account.as_str()), None, false)
                        .unwrap()
                    {
                        last["policy"] = json!(d.to_json_compact());
                    }
                    let mut chain = vec![last];
                    let mut s = &named;
                    while let Some(via) = &s.via {
                        chain.insert(0, session_values(via));
                        s = via;
                    }
                    v["assume_role"] = if chain.len() == 1 { chain.remove(0) } else { Value::Array(chain) };
                }
                CredentialsMode::Profile => {
                    v["profile"] = json!(format!("tfroles-{}-{}", p.session.role, p.session.account));
                    v["shared_config_files"] = json!([format!("{}{AWS_CONFIG_PATH}", up(stack.path.as_str()))]);
                }
            }
            if !p.default_tags.is_empty() {
                v["default_tags"] = json!({
                    "tags": p.default_tags.iter().map(|(k, v)| (k.to_owned(), json!(v))).collect::<serde_json::Map<_, _>>()
                });
            }
            v
        })
        .collect()
}

/// A workspace's settings of one provider as the `locals` block of a stack
/// with workspace blocks holds them, with `null`s (unset) left out: what
/// the provider block reads through `local.tfroles_workspace[KEY]`.
fn workspace_settings(mut intended: Value, stack: &Stack) -> Value {
    let obj = intended.as_object_mut().unwrap();
    obj.remove("alias");
    obj.remove("shared_config_files");
    if let Some(tags) = obj.remove("default_tags") {
        obj.insert("default_tags".into(), tags["tags"].clone());
    }
    if let Some(chain) = obj.remove("assume_role") {
        obj.insert("assume_role".into(), Value::Array(as_list(&chain)));
    }
    // Tags are in every workspace's settings when any workspace has some.
    let tagged = stack
        .workspaces
        .iter()
        .flat_map(|w| &w.providers)
        .any(|p| !p.default_tags.is_empty());
    if tagged && !obj.contains_key("default_tags") {
        obj.insert("default_tags".into(), json!({}));
    }
    intended
}

fn drop_nulls(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(drop_nulls).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, drop_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// What a provider block of a stack with workspace blocks says: every
/// setting read from `local.tfroles_workspace[KEY]`.
fn workspace_provider_block(config: &Config, stack: &Stack, p: &Provider, tagged: bool) -> Value {
    let key = tfroles_hcl::workspace_provider_key(p);
    let at = |attr: &str| json!(format!("${{local.tfroles_workspace[\"{key}\"].{attr}}}"));
    let mut v = json!({ "region": at("region"), "allowed_account_ids": at("allowed_account_ids") });
    if let Some(a) = &p.alias {
        v["alias"] = json!(a.as_str());
    }
    match config.defaults().credentials {
        CredentialsMode::AssumeRole => {
            v["dynamic"] = json!({ "assume_role": { "for_each": at("assume_role") } });
        }
        CredentialsMode::Profile => {
            v["profile"] = at("profile");
            v["shared_config_files"] =
                json!([format!("{}{AWS_CONFIG_PATH}", up(stack.path.as_str()))]);
        }
    }
    if tagged {
        v["default_tags"] = json!({ "tags": at("default_tags") });
    }
    v
}

/// The providers file of a stack with workspace blocks, read back by a
/// parser: each workspace's settings in the locals are the model's, the
/// lookup is by `terraform.workspace`, and the provider blocks read them.
fn check_workspace_providers(
    case: &str,
    config: &Config,
    stack: &Stack,
    locals: &Value,
    providers: &[Value],
    who: &str,
) {
    let all = &locals["tfroles_workspaces"];
    assert_eq!(
        all.as_object().unwrap().keys().cloned().collect::<Vec<_>>(),
        {
            // serde_json's maps are sorted.
            let mut names: Vec<String> = stack
                .workspaces
                .iter()
                .map(|w| w.name.to_string())
                .collect();
            names.sort();
            names
        },
        "{case}: {who}: exactly the stack's workspaces"
    );
    assert_eq!(
        locals["tfroles_workspace"],
        json!("${local.tfroles_workspaces[terraform.workspace]}"),
        "{case}: {who}"
    );
    for w in &stack.workspaces {
        for (p, want) in w
            .providers
            .iter()
            .zip(intended_providers(config, stack, &w.providers))
        {
            let key = tfroles_hcl::workspace_provider_key(p);
            assert_eq!(
                drop_nulls(all[w.name.as_str()][&key].clone()),
                workspace_settings(want, stack),
                "{case}: {who}: workspace {} provider {key}",
                w.name
            );
        }
    }
    let first = &stack.workspaces[0].providers;
    let tagged: Vec<bool> = (0..first.len())
        .map(|i| {
            stack
                .workspaces
                .iter()
                .any(|w| !w.providers[i].default_tags.is_empty())
        })
        .collect();
    let want: Vec<Value> = first
        .iter()
        .zip(tagged)
        .map(|(p, t)| workspace_provider_block(config, stack, p, t))
        .collect();
    let got: Vec<Value> = providers
        .iter()
        .map(|b| {
            let mut b = b.clone();
            // The dynamic block's content only names `assume_role.value.*`.
            if let Some(d) = b.get_mut("dynamic") {
                let content = d["assume_role"]["content"].take();
                for (k, v) in content.as_object().unwrap() {
                    assert_eq!(
                        v,
                        &json!(format!("${{assume_role.value.{k}}}")),
                        "{case}: {who}"
                    );
                }
                d["assume_role"].as_object_mut().unwrap().remove("content");
            }
            b
        })
        .collect();
    assert_eq!(got, want, "{case}: {who}: the provider blocks");
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// hcl2json gives every block as an array of bodies; the model's view has
/// one object per block. Only `assume_role` and `default_tags` are blocks
/// among the values.
fn unwrap_blocks(mut v: Value) -> Value {
    for name in ["assume_role", "default_tags"] {
        if let Some(Value::Array(items)) = v.get(name)
            && items.len() == 1
        {
            let inner = items[0].clone();
            v[name] = inner;
        }
    }
    v
}

/// hcl2json answers in HCL's JSON syntax, where every string is a template:
/// a literal `${` or `%{` comes back escaped as `$${` / `%%{`. Reading it the
/// way terraform reads JSON configuration undoes that.
fn unescape_templates(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("$${", "${").replace("%%{", "%{")),
        Value::Array(items) => Value::Array(items.into_iter().map(unescape_templates).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, unescape_templates(v)))
                .collect(),
        ),
        other => other,
    }
}

fn check_case(case: &str) {
    let dir = workspace_root().join("fixtures").join(case);
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("repo");
    tfroles_testsupport::copy_tree(&dir.join("input"), &work);
    let before = read_tree(&work);

    let (config, stacks, summary) = run_generate(&work.join("tfroles.hcl"));
    let after = read_tree(&work);
    let actual = generated(&after);
    assert_eq!(
        summary.written,
        actual.len(),
        "{case}: every generated file was written once"
    );

    // Nothing but generated files changed; hand-written files are untouched.
    for (path, contents) in &before {
        if !contents.starts_with(SIGNATURE_PREFIX) {
            assert_eq!(
                after.get(path),
                Some(contents),
                "{case}: {path} must be untouched"
            );
        }
    }

    let expected_dir = dir.join("expected");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let _ = fs::remove_dir_all(&expected_dir);
        for (path, contents) in &actual {
            let dest = expected_dir.join(path);
            fs::create_dir_all(dest.parent().unwrap()).unwrap();
            fs::write(dest, contents).unwrap();
        }
    }
    let expected = read_tree(&expected_dir);
    assert!(
        !expected.is_empty(),
        "{case}: no expected files; run with UPDATE_FIXTURES=1"
    );
    assert_eq!(
        actual, expected,
        "{case}: generated files differ from fixtures/{case}/expected"
    );

    // A second run changes nothing.
    let (_, _, again) = run_generate(&work.join("tfroles.hcl"));
    assert_eq!(
        (again.written, again.removed),
        (0, 0),
        "{case}: second run must be a no-op"
    );

    // terraform fmt agrees with every byte.
    terraform_fmt_check(&expected_dir);

    // Both parsers read back what the model says.
    let tf_files: Vec<(String, String)> = expected
        .iter()
        .filter(|(p, _)| p.ends_with(".tf"))
        .map(|(p, c)| (p.clone(), c.clone()))
        .collect();
    let parsed_hcl2json = hcl2json_many(&tf_files);
    let by_path: BTreeMap<&str, (&str, &Value)> = tf_files
        .iter()
        .zip(&parsed_hcl2json)
        .map(|((p, c), v)| (p.as_str(), (c.as_str(), v)))
        .collect();
    for stack in &stacks {
        let backend_path = format!("{}/{}", stack.path, config.defaults().backend_file);
        let providers_path = format!("{}/{}", stack.path, config.defaults().providers_file);
        let (text, hj) = by_path[backend_path.as_str()];
        let want = intended_backend(&config, stack);
        let hr: Value = hcl::from_str(text).unwrap();
        assert_eq!(
            hr["terraform"]["backend"]["s3"], want,
            "{case}: hcl-rs reading {backend_path}"
        );
        assert_eq!(
            unescape_templates(hj["terraform"][0]["backend"]["s3"][0].clone()),
            want,
            "{case}: hcl2json reading {backend_path}"
        );

        // The session policy is a JSON string in HCL: terraform's parser
        // must read back the canonical JSON exactly, and AWS must take it.
        if config.defaults().credentials == CredentialsMode::AssumeRole
            && let Some(p) = config.state_session_policy(stack).unwrap()
        {
            let read = unescape_templates(
                hj["terraform"][0]["backend"]["s3"][0]["assume_role"]["policy"].clone(),
            );
            assert_eq!(
                read.as_str(),
                Some(p.to_json_compact().as_str()),
                "{case}: hcl2json reading the policy of {backend_path}"
            );
            let parsed: Value = serde_json::from_str(read.as_str().unwrap()).unwrap();
            assert_eq!(parsed["Version"], "2012-10-17");
            assert!(read.as_str().unwrap().chars().count() <= 2048);
        }

        let (text, hj) = by_path[providers_path.as_str()];
        if !stack.workspaces.is_empty() {
            let hr: Value = hcl::from_str(text).unwrap();
            check_workspace_providers(
                case,
                &config,
                stack,
                &hr["locals"],
                &as_list(&hr["provider"]["aws"]),
                "hcl-rs",
            );
            // hcl2json gives blocks as arrays of bodies.
            let hj = unescape_templates(hj.clone());
            let blocks: Vec<Value> = as_list(&hj["provider"]["aws"])
                .into_iter()
                .map(|mut b| {
                    let obj = b.as_object_mut().unwrap();
                    for name in ["default_tags"] {
                        if let Some(Value::Array(v)) = obj.get(name).cloned() {
                            obj.insert(name.into(), v[0].clone());
                        }
                    }
                    if let Some(Value::Object(d)) = obj.get("dynamic").cloned() {
                        let inner = &d["assume_role"][0];
                        let mut inner = inner.clone();
                        if let Some(Value::Array(c)) = inner.get("content").cloned() {
                            inner["content"] = c[0].clone();
                        }
                        obj.insert("dynamic".into(), json!({ "assume_role": inner }));
                    }
                    b
                })
                .collect();
            check_workspace_providers(case, &config, stack, &hj["locals"][0], &blocks, "hcl2json");
            continue;
        }
        let want = intended_providers(&config, stack, &stack.providers);
        let hr: Value = hcl::from_str(text).unwrap();
        assert_eq!(
            as_list(&hr["provider"]["aws"]),
            want,
            "{case}: hcl-rs reading {providers_path}"
        );
        let hj: Vec<Value> = as_list(&hj["provider"]["aws"])
            .into_iter()
            .map(unwrap_blocks)
            .map(unescape_templates)
            .collect();
        assert_eq!(hj, want, "{case}: hcl2json reading {providers_path}");
    }

    // The AWS config file of the profile mode names every profile used.
    if config.defaults().credentials == CredentialsMode::Profile {
        let aws = &expected[AWS_CONFIG_PATH];
        let used: Vec<String> = stacks
            .iter()
            .flat_map(|s| {
                s.all_providers()
                    .map(|p| format!("tfroles-{}-{}", p.session.role, p.session.account))
            })
            .collect();
        for name in used {
            assert!(
                aws.contains(&format!("[profile {name}]\n")),
                "{case}: {name} in {AWS_CONFIG_PATH}"
            );
        }
        // Each backend has its own profile, naming its stack.
        let st = config.state_session();
        for stack in &stacks {
            let name = state_profile_name(stack);
            let section = aws
                .split_once(&format!("[profile {name}]\n"))
                .unwrap_or_else(|| panic!("{case}: {name} in {AWS_CONFIG_PATH}"))
                .1;
            let line = section.lines().next().unwrap();
            assert!(
                line.starts_with(&format!(
                    "credential_process = tfroles credential-process --role {} --account {} --stack ",
                    st.role, st.account
                )),
                "{case}: {line}"
            );
        }
    } else {
        assert!(!expected.contains_key(AWS_CONFIG_PATH));
    }
}

macro_rules! cases {
    ($($name:ident => $dir:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_case($dir);
            }
        )*

        /// Every directory under fixtures/ is one of the cases above.
        #[test]
        fn every_fixture_directory_is_tested() {
            let listed: Vec<&str> = vec![$($dir),*];
            let mut found: Vec<String> = fs::read_dir(workspace_root().join("fixtures"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| workspace_root().join("fixtures").join(n).join("input/tfroles.hcl").exists())
                .collect();
            found.sort();
            let mut listed: Vec<String> = listed.into_iter().map(String::from).collect();
            listed.sort();
            assert_eq!(found, listed);
        }
    };
}

cases! {
    example => "example",
    profile => "profile",
    partition_us_gov => "partition-us-gov",
    partition_cn => "partition-cn",
    dynamodb_kms => "dynamodb-kms",
    globs => "globs",
    strings => "strings",
    chaining => "chaining",
    least_privilege => "least-privilege",
    bootstrap => "bootstrap",
    workspaces => "workspaces",
    modules => "modules",
    source_identity => "source-identity",
}

#[test]
fn globs_case_resolves_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("repo");
    tfroles_testsupport::copy_tree(&workspace_root().join("fixtures/globs/input"), &work);
    let (config, stacks, _) = run_generate(&work.join("tfroles.hcl"));
    let got: Vec<(String, &str)> = stacks
        .iter()
        .map(|s| {
            (
                s.path.to_string(),
                config.stacks()[s.block].pattern.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("qa/api".to_owned(), "qa/**"),
            ("qa/services/special".to_owned(), "qa/services/special"),
            ("qa/services/worker".to_owned(), "qa/**"),
            ("shared/dns".to_owned(), "shared/*"),
            (
                "shared/new-stack/us-west-2".to_owned(),
                "shared/new-stack/us-west-2"
            ),
        ]
    );
    // The stale file of the retired stack is pruned; its hand-written neighbour stays.
    assert!(!work.join("retired/backend.tf").exists());
    assert!(work.join("retired/main.tf").exists());
    // Hidden directories and modules below a `*` match are left alone.
    assert!(!work.join(".hidden/stack/backend.tf").exists());
    assert!(!work.join("shared/dns/modules/zone/backend.tf").exists());
    let _: PathBuf = work;
}

/// Terraform itself evaluates the lookup a stack with workspace blocks
/// generates: in each listed workspace, `local.tfroles_workspace` is that
/// workspace's settings (as hcl-rs read them above); in any other, terraform
/// stops with "Invalid index" naming the workspace, instead of falling back
/// to another workspace's account. The aws provider cannot be installed
/// here, so the `locals` block is evaluated on its own by `terraform console`.
#[test]
fn terraform_evaluates_the_workspace_lookup_and_refuses_unlisted_workspaces() {
    let text = fs::read_to_string(
        workspace_root().join("fixtures/workspaces/expected/services/app/providers.tf"),
    )
    .unwrap();
    let start = text.find("locals {\n").unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    let locals = &text[start..end];
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("main.tf"), locals).unwrap();
    let hr: Value = hcl::from_str(locals).unwrap();
    let console = |workspace: &str| {
        let mut cmd = tfroles_testsupport::terraform();
        cmd.current_dir(tmp.path())
            .arg("console")
            .env("TF_WORKSPACE", workspace)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"jsonencode(local.tfroles_workspace)\n")
            .unwrap();
        child.wait_with_output().unwrap()
    };
    for ws in ["default", "staging", "production"] {
        let out = console(ws);
        assert!(
            out.status.success(),
            "{ws}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The console prints the JSON as an HCL string literal.
        let printed: String =
            serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
        let got: Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(got, hr["locals"]["tfroles_workspaces"][ws], "{ws}");
        assert!(got["aws"]["region"].is_string(), "{ws}: {got}");
    }
    // The console reports the error and goes on (exit 0); plan and apply
    // stop there.
    let out = console("qa");
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Without its colours (the console has no -no-color).
    let mut plain = String::new();
    let mut chars = err.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let err = plain;
    assert!(
        !err.contains("region"),
        "no settings in an unlisted workspace: {err}"
    );
    assert!(err.contains("Invalid index"), "{err}");
    assert!(err.contains("terraform.workspace is \"qa\""), "{err}");
    assert!(
        err.contains("tfroles_workspace = local.tfroles_workspaces[terraform.workspace]"),
        "{err}"
    );
}
