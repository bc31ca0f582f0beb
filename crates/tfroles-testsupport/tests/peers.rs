//! Proves the helpers against the real peers they start.

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tfroles_testsupport::{
    Moto, aws_cli, free_port, hcl2json, hcl2json_many, install_once, peers_dir, python_env,
    terraform, terraform_fmt_check, terraform_fmt_stdin, try_hcl2json, workspace_root,
};

/// Set in child processes started by the cross-process tests below; the
/// child tests do nothing without it.
const CHILD_DIR: &str = "TFROLES_TESTSUPPORT_CHILD_DIR";
const CHILD_SPEC: &str = "TFROLES_TESTSUPPORT_CHILD_SPEC";

fn unique_dir(name: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = peers_dir()
        .join("test-scratch")
        .join(format!("{name}-{}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn checked(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed with {}:\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs one test of this binary in a new process.
fn spawn_child_test(test: &str, envs: &[(&str, &str)]) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn paths_are_under_the_workspace_target_dir() {
    assert!(workspace_root().join("Cargo.toml").is_file());
    let peers = peers_dir();
    assert!(peers.is_dir());
    assert!(peers.ends_with("peers"));
}

#[test]
fn free_ports_are_distinct_within_a_process() {
    let ports: std::collections::HashSet<u16> = (0..20).map(|_| free_port()).collect();
    assert_eq!(ports.len(), 20);
}

#[test]
fn aws_cli_assume_role_against_moto_is_recorded() {
    let moto = Moto::start();
    // STS and awscli reject a session name or external ID shorter than 2.
    let mut cmd = aws_cli();
    moto.apply_env(&mut cmd).args([
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::111111111111:role/x",
        "--role-session-name",
        "s1",
        "--external-id",
        "e1",
        "--duration-seconds",
        "1800",
        "--output",
        "json",
    ]);
    let out = checked(cmd.output().unwrap(), "aws sts assume-role");
    let answer: Value = serde_json::from_str(&out).unwrap();

    let roles = moto.assumed_roles();
    assert_eq!(roles.len(), 1, "{roles:#?}");
    let role = &roles[0];
    assert_eq!(role.role_arn, "arn:aws:iam::111111111111:role/x");
    assert_eq!(role.session_name, "s1");
    assert_eq!(role.external_id.as_deref(), Some("e1"));
    assert_eq!(role.policy, None);
    assert_eq!(role.account_id, "111111111111");
    assert_eq!(role.region_name, "us-east-1");
    assert_eq!(role.arn, "arn:aws:sts::111111111111:assumed-role/x/s1");
    assert_eq!(
        answer["Credentials"]["AccessKeyId"].as_str(),
        Some(role.access_key_id.as_str())
    );
    assert_eq!(
        answer["Credentials"]["SessionToken"].as_str(),
        Some(role.session_token.as_str())
    );
    // Two reads agree: the random user_id moto lists is not part of the record.
    assert_eq!(moto.assumed_roles(), roles);

    moto.reset();
    assert!(moto.assumed_roles().is_empty());
}

#[test]
fn moto_s3_helpers_round_trip() {
    let moto = Moto::start();
    moto.create_bucket("state-bucket");
    assert!(moto.list_objects("state-bucket").is_empty());
    assert_eq!(moto.get_object("state-bucket", "missing.tfstate"), None);

    moto.put_object("state-bucket", "env:/dev/app.tfstate", b"{\"version\":4}");
    moto.put_object("state-bucket", "a b+c.txt", b"");
    assert_eq!(
        moto.get_object("state-bucket", "env:/dev/app.tfstate")
            .as_deref(),
        Some(&b"{\"version\":4}"[..])
    );
    assert_eq!(
        moto.get_object("state-bucket", "a b+c.txt").as_deref(),
        Some(&b""[..])
    );
    assert_eq!(
        moto.list_objects("state-bucket"),
        ["a b+c.txt", "env:/dev/app.tfstate"]
    );
}

#[test]
fn moto_s3_helpers_see_what_the_aws_cli_wrote() {
    let moto = Moto::start();
    moto.create_bucket("cli-bucket");
    let dir = unique_dir("aws-cp");
    let file = dir.join("body.txt");
    fs::write(&file, "from the cli").unwrap();
    let mut cmd = aws_cli();
    moto.apply_env(&mut cmd)
        .args(["s3", "cp"])
        .arg(&file)
        .arg("s3://cli-bucket/dir/key.txt");
    checked(cmd.output().unwrap(), "aws s3 cp");
    assert_eq!(
        moto.get_object("cli-bucket", "dir/key.txt").as_deref(),
        Some(&b"from the cli"[..])
    );
    assert_eq!(moto.list_objects("cli-bucket"), ["dir/key.txt"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn moto_set_auth_switches_enforcement() {
    let moto = Moto::start();
    let caller_identity = || {
        let mut cmd = aws_cli();
        moto.apply_env(&mut cmd)
            .args(["sts", "get-caller-identity"])
            .output()
            .unwrap()
    };
    checked(caller_identity(), "get-caller-identity without enforcement");

    moto.set_auth("0");
    let denied = caller_identity();
    assert!(
        !denied.status.success(),
        "dummy keys must be refused while moto enforces IAM"
    );
    // The moto API itself stays open.
    assert!(moto.assumed_roles().is_empty());

    moto.set_auth("inf");
    checked(caller_identity(), "get-caller-identity after set_auth(inf)");
}

#[test]
fn moto_is_killed_on_drop() {
    let moto = Moto::start();
    let port = moto.port();
    assert_eq!(moto.endpoint(), format!("http://127.0.0.1:{port}"));
    TcpStream::connect(("127.0.0.1", port)).expect("moto listens while alive");
    drop(moto);
    assert!(
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500))
            .is_err(),
        "nothing listens on {port} after drop"
    );
}

#[test]
fn moto_env_keeps_the_developers_aws_setup_out() {
    let moto = Moto::start();
    let env: std::collections::HashMap<String, String> = moto.env().into_iter().collect();
    for name in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_S3",
    ] {
        assert_eq!(env[name], moto.endpoint());
    }
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_EC2_METADATA_DISABLED"], "true");
    for name in ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
        assert_eq!(fs::read(&env[name]).unwrap(), b"", "{name} is empty");
    }
}

#[test]
fn terraform_fmt_stdin_canonicalises_alignment() {
    let messy = "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    key = \"app.tfstate\"\n    assume_role = {role_arn = \"arn:aws:iam::111111111111:role/x\"}\n  }\n}\n";
    let canonical = "terraform {\n  backend \"s3\" {\n    bucket      = \"b\"\n    key         = \"app.tfstate\"\n    assume_role = { role_arn = \"arn:aws:iam::111111111111:role/x\" }\n  }\n}\n";
    assert_eq!(terraform_fmt_stdin(messy), canonical);
    assert_eq!(terraform_fmt_stdin(canonical), canonical);
}

#[test]
fn terraform_fmt_check_accepts_canonical_and_shows_the_diff_otherwise() {
    let dir = unique_dir("fmt-check");
    let good = dir.join("good.tf");
    fs::write(&good, "a   = 1\nbbb = 2\n").unwrap();
    terraform_fmt_check(&good);

    let bad = dir.join("bad.tf");
    fs::write(&bad, "a = 1\nbbb = 2\n").unwrap();
    let panic = std::panic::catch_unwind(|| terraform_fmt_check(&bad)).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("+a   = 1"), "{message}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn terraform_runs_without_cli_config_warnings() {
    let output = terraform().args(["version", "-json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = checked(output, "terraform version");
    assert!(stderr.is_empty(), "terraform warned: {stderr}");
    let version: Value = serde_json::from_str(&stdout).unwrap();
    assert!(version["terraform_version"].is_string());
}

#[test]
fn hcl2json_parses_object_attributes_and_blocks() {
    let text = "terraform {\n  backend \"s3\" {\n    bucket      = \"b\"\n    assume_role = { role_arn = \"arn:aws:iam::111111111111:role/x\", duration = \"1h\" }\n  }\n}\n";
    let parsed = hcl2json("backend.tf", text);
    assert_eq!(
        parsed,
        json!({"terraform": [{"backend": {"s3": [{
            "bucket": "b",
            "assume_role": {"role_arn": "arn:aws:iam::111111111111:role/x", "duration": "1h"},
        }]}}]})
    );
}

#[test]
fn hcl2json_many_parses_in_one_process_and_reports_errors() {
    let files = [
        (
            "a.tf",
            "provider \"aws\" {\n  assume_role {\n    role_arn = \"r1\"\n  }\n  assume_role {\n    role_arn = \"r2\"\n  }\n}\n",
        ),
        ("b.tf", "locals {\n  x = var.y\n}\n"),
    ];
    let parsed = hcl2json_many(&files);
    assert_eq!(
        parsed[0]["provider"]["aws"][0]["assume_role"],
        json!([{"role_arn": "r1"}, {"role_arn": "r2"}])
    );
    assert_eq!(parsed[1]["locals"][0]["x"], "${var.y}");

    let error = try_hcl2json("broken.tf", "terraform {").unwrap_err();
    assert!(error.contains("broken.tf"), "{error}");
}

#[test]
fn install_once_installs_once_across_processes() {
    let dir = unique_dir("install-once");
    let target = dir.join("thing");
    let run = |spec: &str| {
        let children: Vec<_> = (0..4)
            .map(|_| {
                spawn_child_test(
                    "child_install_once",
                    &[(CHILD_DIR, target.to_str().unwrap()), (CHILD_SPEC, spec)],
                )
            })
            .collect();
        for child in children {
            checked(child.wait_with_output().unwrap(), "child_install_once");
        }
    };
    let runs = || fs::read_to_string(dir.join("runs.log")).unwrap_or_default();

    run("spec 1");
    assert_eq!(
        runs(),
        "start spec 1\nend spec 1\n",
        "one install, not interleaved"
    );
    run("spec 1");
    assert_eq!(
        runs(),
        "start spec 1\nend spec 1\n",
        "a complete install is kept"
    );
    run("spec 2");
    assert_eq!(
        runs(),
        "start spec 1\nend spec 1\nstart spec 2\nend spec 2\n",
        "a changed spec reinstalls once"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn child_install_once() {
    let (Some(target), Some(spec)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_SPEC).ok())
    else {
        return;
    };
    let target = PathBuf::from(target);
    let runs_log = target.parent().unwrap().join("runs.log");
    let append = |line: String| {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&runs_log)
            .unwrap();
        f.write_all(line.as_bytes()).unwrap();
    };
    install_once(&target, &spec, |dir| {
        append(format!("start {spec}\n"));
        // Long enough that the other children are surely waiting on the lock.
        std::thread::sleep(Duration::from_millis(1500));
        fs::write(dir.join("payload"), &spec).unwrap();
        append(format!("end {spec}\n"));
        Ok(())
    })
    .unwrap();
    assert_eq!(fs::read_to_string(target.join("payload")).unwrap(), spec);
}

#[test]
fn install_once_retries_after_a_failed_install() {
    let dir = unique_dir("install-retry");
    let target = dir.join("thing");
    let error = install_once(&target, "v1", |dir| {
        fs::write(dir.join("half"), "").unwrap();
        Err("network down".into())
    })
    .unwrap_err();
    assert_eq!(error, "network down");
    let mut ran = false;
    install_once(&target, "v1", |dir| {
        ran = true;
        assert!(!dir.join("half").exists(), "leftovers are cleared");
        Ok(())
    })
    .unwrap();
    assert!(ran, "a failed install is redone");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn python_env_is_shared_safely_by_concurrent_processes() {
    // On a fresh machine these children race this binary's other tests for
    // the first install, which is exactly what the lock must survive.
    let children: Vec<_> = (0..2)
        .map(|_| spawn_child_test("child_python_env", &[(CHILD_DIR, "1")]))
        .collect();
    for child in children {
        checked(child.wait_with_output().unwrap(), "child_python_env");
    }
    assert!(python_env().bin("moto_server").is_file());
    assert!(python_env().bin("aws").is_file());
}

#[test]
fn child_python_env() {
    if std::env::var_os(CHILD_DIR).is_none() {
        return;
    }
    let env = python_env();
    let output = Command::new(env.python())
        .args([
            "-c",
            "import moto.server, boto3, awscli; print(moto.__version__)",
        ])
        .output()
        .unwrap();
    assert_eq!(checked(output, "import moto").trim(), "5.2.5");
    assert!(Path::new(&env.bin("aws")).is_file());
}

#[test]
fn terraform_s3_backend_runs_against_moto_with_its_env() {
    let moto = Moto::start();
    moto.create_bucket("tf-state");
    let dir = unique_dir("tf-backend");
    fs::write(
        dir.join("main.tf"),
        "terraform {\n  backend \"s3\" {\n    bucket         = \"tf-state\"\n    key            = \"app/terraform.tfstate\"\n    region         = \"us-east-1\"\n    use_path_style = true\n    use_lockfile   = true\n  }\n}\n\nresource \"terraform_data\" \"x\" {\n  input = \"hello\"\n}\n",
    )
    .unwrap();
    let tf = |args: &[&str]| {
        let mut cmd = terraform();
        moto.apply_env(&mut cmd).current_dir(&dir).args(args);
        checked(
            cmd.output().unwrap(),
            &format!("terraform {}", args.join(" ")),
        );
    };
    tf(&["init", "-no-color"]);
    tf(&["apply", "-auto-approve", "-no-color"]);
    let state = moto
        .get_object("tf-state", "app/terraform.tfstate")
        .expect("terraform saved its state in moto");
    let state: Value = serde_json::from_slice(&state).unwrap();
    assert_eq!(state["resources"][0]["type"], "terraform_data");
    assert_eq!(moto.list_objects("tf-state"), ["app/terraform.tfstate"]);
    fs::remove_dir_all(dir).unwrap();
}
