//! `import`: the draft written (or printed), the report on stderr, the
//! refusal to overwrite, and that no existing file is touched.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use pretty_assertions::assert_eq;
use tfroles_testsupport::workspace_root;

fn run(dir: &Path, args: &[&str]) -> Output {
    // No AWS config but the one a test gives: the machine's must not matter.
    Command::new(env!("CARGO_BIN_EXE_tfroles"))
        .current_dir(dir)
        .env_remove("AWS_CONFIG_FILE")
        .env("HOME", dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
/// Every file below `root`, relative, with its bytes and modification time.
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>, SystemTime)> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                pending.push(e.path());
            } else {
                let m = e.metadata().unwrap().modified().unwrap();
                let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
                out.push((rel, fs::read(e.path()).unwrap(), m));
            }
        }
    }
    out.sort();
    out
}

/// A scratch copy of the `import-environments` fixture (two environments,
/// old and new backend syntax, aliases, a provider built from variables).
fn repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    tfroles_testsupport::copy_tree(
        &workspace_root().join("fixtures/import-environments/input"),
        tmp.path(),
    );
    tmp
}

fn golden() -> String {
    fs::read_to_string(workspace_root().join("fixtures/import-environments/expected-tfroles.hcl"))
        .unwrap()
}

const SUMMARY: &str = "imported 6 stacks (5 stack blocks), 4 accounts, 4 roles from 7 directories read; 11 items to review";

#[test]
fn import_writes_the_draft_reports_on_stderr_and_touches_nothing_else() {
    let r = repo();
    let before = snapshot(r.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = run(r.path(), &["import"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "", "stdout stays empty");
    assert_eq!(
        fs::read_to_string(r.path().join("tfroles.hcl")).unwrap(),
        golden()
    );

    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    for want in [
        "warning: sandbox/experiments/providers.tf:1: variable `region` has no default and no value given (`--var region=VALUE` or `--var-file`): import cannot know it, so 1 value that depends on it is left out: provider \"aws\" `region` (sandbox/experiments/providers.tf:10)",
        "warning: sandbox/experiments/providers.tf:9: stack `sandbox/experiments`: provider \"aws\": its role could not be read: the draft introduces role `terraform-provision` in account 000000000000 for it; create it (the bootstrap stack does) and review its permissions",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in:\n{stderr}");
    }
    assert_eq!(lines.len(), 12, "eleven warnings and a summary:\n{stderr}");
    assert!(lines[..11].iter().all(|l| l.starts_with("warning: ")));
    assert_eq!(
        lines[11],
        format!(
            "{SUMMARY}; wrote tfroles.hcl (review it, then run `tfroles import --handover` and `tfroles generate`)"
        )
    );

    // Every file that was there is as it was, bytes and mtime.
    let after: Vec<_> = snapshot(r.path())
        .into_iter()
        .filter(|(p, ..)| p != Path::new("tfroles.hcl"))
        .collect();
    assert_eq!(after, before);

    // The draft is a working config: once the blocks the report names in
    // other files are deleted (generate refuses them), generate takes the
    // stacks over.
    let out = run(r.path(), &["generate", "--take-over"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("shared/dns/main.tf:9: `backend \"s3\"`"),
        "{}",
        text(&out.stderr)
    );
    fs::write(
        r.path().join("shared/dns/main.tf"),
        "resource \"aws_route53_zone\" \"main\" {\n  name = \"example.com\"\n}\n",
    )
    .unwrap();
    let out = run(r.path(), &["generate", "--take-over"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "wrote 12 files, 0 unchanged\n");
    assert!(r.path().join("qa/api/backend.tf.tfroles-orig").is_file());
}

#[test]
fn import_names_files_under_the_directory_given() {
    let tmp = tempfile::tempdir().unwrap();
    tfroles_testsupport::copy_tree(
        &workspace_root().join("fixtures/import-environments/input"),
        &tmp.path().join("infra"),
    );
    let out = run(tmp.path(), &["import", "infra", "--output", "draft.hcl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: infra/sandbox/experiments/providers.tf:9: "),
        "{stderr}"
    );
    assert!(
        stderr
            .ends_with("; wrote draft.hcl (review it, then run `tfroles import --handover` and `tfroles generate`)\n"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("draft.hcl")).unwrap(),
        golden()
    );
    assert!(!tmp.path().join("infra/tfroles.hcl").exists());
}

#[test]
fn output_dash_prints_the_draft_alone_on_stdout() {
    let r = repo();
    let out = run(r.path(), &["import", "--output", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), golden());
    assert!(text(&out.stderr).ends_with(&format!("\n{SUMMARY}\n")));
    assert!(!r.path().join("tfroles.hcl").exists(), "nothing written");
}

#[test]
fn import_refuses_to_overwrite_with_exit_3() {
    let r = repo();
    for (args, file) in [
        (&["import"][..], "tfroles.hcl"),
        (&["import", ".", "--output", "mine.hcl"][..], "mine.hcl"),
    ] {
        fs::write(r.path().join(file), "# mine\n").unwrap();
        let before = snapshot(r.path());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let out = run(r.path(), args);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "");
        assert_eq!(
            text(&out.stderr),
            format!(
                "error: `{file}` exists; tfroles import never overwrites a file\n  hint: move it away, or write the draft elsewhere with `--output PATH` (`--output -` prints it)\n"
            )
        );
        assert_eq!(snapshot(r.path()), before, "nothing written or touched");
    }
}

#[test]
fn nothing_to_import_exits_2_with_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("app")).unwrap();
    fs::write(
        tmp.path().join("app/main.tf"),
        "provider \"aws\" {\n  region = \"us-east-1\"\n}\n",
    )
    .unwrap();
    let out = run(tmp.path(), &["import"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("warning: app/main.tf:1: `provider \"aws\"` without a `backend \"s3\"` in this directory"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: found no stack to import below `.`"),
        "{stderr}"
    );
    assert!(!tmp.path().join("tfroles.hcl").exists());
}

#[test]
fn a_missing_directory_is_an_io_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), &["import", "nope", "--output", "-"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).starts_with("error: cannot read `nope`: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn import_never_writes_through_a_link_where_the_draft_goes() {
    let r = repo();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("planted.hcl");
    // Dangling: following it would create a file outside the repository.
    std::os::unix::fs::symlink(&target, r.path().join("tfroles.hcl")).unwrap();
    let out = run(r.path(), &["import"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("`tfroles.hcl` exists; tfroles import never overwrites a file"),
        "{}",
        text(&out.stderr)
    );
    assert!(!target.exists(), "nothing written outside");
    assert!(r.path().join("tfroles.hcl").is_symlink());
}

/// Every `.tf` file of a stack directory, read with tfroles' reader: its backends and
/// default AWS providers, counted.
fn backends_and_default_providers(dir: &Path) -> (usize, usize) {
    let (mut backends, mut providers) = (0, 0);
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "tf") {
            continue;
        }
        let body = tfroles_core::raw::parse_body(&fs::read_to_string(&p).unwrap()).unwrap();
        for b in &body.blocks {
            match b.ident.as_str() {
                "terraform" => {
                    backends += b
                        .body
                        .blocks
                        .iter()
                        .filter(|x| x.ident == "backend")
                        .count()
                }
                "provider"
                    if b.labels == ["aws"]
                        && !b.body.attributes.iter().any(|a| a.name == "alias") =>
                {
                    providers += 1
                }
                _ => {}
            }
        }
    }
    (backends, providers)
}

#[test]
fn handover_removes_the_old_blocks_and_generate_takes_over() {
    let r = repo();
    let out = run(r.path(), &["import"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // A providers.tf that still holds variables is refused, nothing written.
    let before = snapshot(r.path());
    let out = run(r.path(), &["import", "--handover"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("error: the handover cannot remove these blocks exactly; nothing was changed:\n  sandbox/experiments/providers.tf:9: after the handover providers.tf would still hold other blocks, and generate writes providers.tf: move them to another file first\n"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(snapshot(r.path()), before);

    // Moved out, the handover goes through: --check shows it, writes nothing.
    let p = r.path().join("sandbox/experiments/providers.tf");
    let original = fs::read_to_string(&p).unwrap();
    let (vars, provider) = original.split_at(original.find("provider").unwrap());
    fs::write(r.path().join("sandbox/experiments/variables.tf"), vars).unwrap();
    fs::write(&p, provider).unwrap();
    let dns_main = fs::read_to_string(r.path().join("shared/dns/main.tf")).unwrap();
    let before = snapshot(r.path());
    let out = run(r.path(), &["import", "--handover", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(snapshot(r.path()), before, "--check writes nothing");
    let diff = text(&out.stdout);
    assert!(
        diff.contains("--- a/shared/dns/main.tf\n+++ b/shared/dns/main.tf\n"),
        "{diff}"
    );
    assert!(
        diff.contains("--- a/qa/api/backend.tf\n+++ /dev/null\n"),
        "{diff}"
    );
    assert!(
        text(&out.stderr).ends_with("would remove 14 blocks from 11 files; nothing written\n"),
        "{}",
        text(&out.stderr)
    );

    let out = run(r.path(), &["import", "--handover"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        diff,
        "the diff printed is the one applied"
    );
    // main.tf: only the backend and the provider are gone, every other byte stays.
    let now = fs::read_to_string(r.path().join("shared/dns/main.tf")).unwrap();
    assert_eq!(
        fs::read_to_string(r.path().join("shared/dns/main.tf.tfroles-orig")).unwrap(),
        dns_main
    );
    assert!(now.contains("required_providers") && now.contains("aws_route53_zone"));
    assert!(!now.contains("backend \"s3\"") && !now.contains("provider \"aws\""));
    let kept: String = {
        // What is left is the original with whole lines taken out, in order.
        let mut lines = dns_main.lines();
        now.lines()
            .map(|l| {
                for o in lines.by_ref() {
                    if o == l {
                        return l.to_owned();
                    }
                }
                panic!("{l:?} is not an original line in order");
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(kept, now.trim_end_matches('\n'));

    let out = run(r.path(), &["generate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "wrote 12 files, 0 unchanged\n");
    // Every stack: one backend, one default provider; terraform would load it.
    for stack in [
        "production/api",
        "production/worker",
        "qa/api",
        "qa/worker",
        "sandbox/experiments",
        "shared/dns",
    ] {
        assert_eq!(
            backends_and_default_providers(&r.path().join(stack)),
            (1, 1),
            "{stack}"
        );
    }
    // A second handover has nothing left to do.
    let out = run(r.path(), &["import", "--handover", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
}

/// The whole path against terraform's own s3 backend on moto: state that
/// the hand-written backend wrote before the handover is the state the
/// generated backend reads after it (same bucket and key), with no change
/// to plan.
#[test]
fn state_written_before_the_handover_is_read_after_it() {
    let moto = tfroles_testsupport::Moto::start();
    moto.create_bucket("acme-state");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let app = repo.join("app");
    fs::create_dir_all(&app).unwrap();
    fs::write(
        app.join("main.tf"),
        "# The state lives in S3; terraform assumes the state role for it.\nterraform {\n  backend \"s3\" {\n    bucket       = \"acme-state\"\n    key          = \"app/terraform.tfstate\"\n    region       = \"us-east-1\"\n    encrypt      = true\n    use_lockfile = true\n    assume_role = {\n      role_arn = \"arn:aws:iam::111111111111:role/terraform-state\"\n    }\n  }\n}\n\nresource \"terraform_data\" \"x\" {\n  input = \"hello\"\n}\n\noutput \"x\" {\n  value = terraform_data.x.output\n}\n",
    )
    .unwrap();
    let providers = "provider \"aws\" {\n  region              = \"us-east-1\"\n  allowed_account_ids = [\"123456789012\"]\n}\n";
    fs::write(app.join("providers.tf"), providers).unwrap();
    // Endpoints come in as partial backend configuration, outside the repository.
    let moto_backend = tmp.path().join("moto.tfbackend");
    fs::write(
        &moto_backend,
        format!(
            "endpoints = {{\n  s3  = \"{e}\"\n  sts = \"{e}\"\n}}\nuse_path_style              = true\nskip_credentials_validation = true\nskip_requesting_account_id  = true\nskip_metadata_api_check     = true\n",
            e = moto.endpoint()
        ),
    )
    .unwrap();
    let backend_arg = format!("-backend-config={}", moto_backend.display());
    let tf = |args: &[&str]| {
        let mut cmd = tfroles_testsupport::terraform();
        moto.apply_env(&mut cmd);
        let out = cmd.current_dir(&app).args(args).output().unwrap();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    // The aws provider cannot be downloaded here: terraform runs with the
    // backend alone (the provider file set aside while it runs).
    let aside = tmp.path().join("providers.tf.aside");
    fs::rename(app.join("providers.tf"), &aside).unwrap();
    let (code, out, err) = tf(&["init", "-input=false", &backend_arg]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, out, err) = tf(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let before = moto
        .get_object("acme-state", "app/terraform.tfstate")
        .expect("state written");
    fs::rename(&aside, app.join("providers.tf")).unwrap();

    // Import, hand over, generate.
    let out = run(&repo, &["import"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&repo, &["import", "--handover"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&repo, &["generate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !fs::read_to_string(app.join("main.tf"))
            .unwrap()
            .contains("backend")
    );
    assert!(
        fs::read_to_string(app.join("main.tf"))
            .unwrap()
            .contains("terraform_data")
    );

    // The generated backend, unedited, finds the same state: nothing to do.
    fs::remove_file(app.join("providers.tf")).unwrap();
    let (code, out, err) = tf(&["init", "-input=false", "-reconfigure", &backend_arg]);
    assert_eq!(code, Some(0), "{out}{err}");
    let recorded: serde_json::Value =
        serde_json::from_slice(&fs::read(app.join(".terraform/terraform.tfstate")).unwrap())
            .unwrap();
    assert_eq!(
        recorded["backend"]["config"]["key"],
        "app/terraform.tfstate"
    );
    assert!(
        recorded["backend"]["config"]["assume_role"]["policy"].is_string(),
        "the generated session policy is in use"
    );
    let (code, out, err) = tf(&["plan", "-detailed-exitcode", "-input=false"]);
    assert_eq!(code, Some(0), "no changes: the state was found\n{out}{err}");
    let (code, out, err) = tf(&["output", "-raw", "x"]);
    assert_eq!((code, out.as_str()), (Some(0), "hello"), "{err}");
    assert_eq!(
        moto.get_object("acme-state", "app/terraform.tfstate")
            .unwrap(),
        before,
        "the state object is the one written before the handover"
    );
}
