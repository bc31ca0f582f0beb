//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real
//! `pre-commit` in a temporary git repository.
//!
//! The hooks are taken from the repository's own manifest, with
//! `language: rust` (which would `cargo install` this repository, minutes
//! of compiling) swapped for `language: system` and the entry pointed at the
//! binary under test: the ids, file patterns and arguments are the real ones.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use tfroles_testsupport::{pre_commit, workspace_root};

const CONFIG: &str = r#"defaults {
  region = "us-west-2"
}

account "shared" {
  id = "111111111111"
}

state {
  account = "shared"
  bucket  = "acme-terraform-state"
  role    = "terraform-state"
}

role "terraform-state" {
  account = "shared"
}

role "app" {
  account = "shared"
}

stack "apps/*" {
  account = "shared"
  role    = "app"
}
"#;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The manifest's hooks as a local `repos:` entry running the built binary.
fn local_config() -> String {
    let manifest = fs::read_to_string(workspace_root().join(".pre-commit-hooks.yaml")).unwrap();
    assert_eq!(
        manifest.matches("\n  language: rust\n").count(),
        2,
        "both hooks install with cargo"
    );
    let bin = env!("CARGO_BIN_EXE_tfroles");
    let hooks: String = manifest
        .replace("\n  language: rust\n", "\n  language: system\n")
        .replace("entry: tfroles ", &format!("entry: {bin} "))
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("      {l}\n")
            }
        })
        .collect();
    format!("repos:\n  - repo: local\n    hooks:\n{hooks}")
}

fn run(dir: &Path, hook: &str) -> Output {
    pre_commit()
        .current_dir(dir)
        .args(["run", hook, "--all-files", "--show-diff-on-failure"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

#[test]
fn the_manifest_is_valid_for_pre_commit() {
    let out = pre_commit()
        .args(["validate-manifest"])
        .arg(workspace_root().join(".pre-commit-hooks.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn hooks_fail_on_drift_regenerate_and_then_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["config", "user.email", "t@example.com"]);
    git(repo, &["config", "user.name", "t"]);
    fs::write(repo.join("tfroles.hcl"), CONFIG).unwrap();
    for d in ["apps/api", "apps/web"] {
        fs::create_dir_all(repo.join(d)).unwrap();
        fs::write(
            repo.join(d).join("main.tf"),
            "resource \"terraform_data\" \"x\" {}\n",
        )
        .unwrap();
    }
    fs::write(repo.join(".pre-commit-config.yaml"), local_config()).unwrap();
    git(repo, &["add", "-A"]);

    // Nothing generated yet: the check fails with the missing files, writing nothing.
    let out = run(repo, "tfroles-check");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("missing  apps/api/backend.tf"),
        "{}",
        text(&out)
    );
    assert!(!repo.join("apps/api/backend.tf").exists());

    // The generate hook writes the files and fails, so the commit is retried.
    let out = run(repo, "tfroles-generate");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("generated files changed"),
        "{}",
        text(&out)
    );
    assert!(repo.join("apps/api/backend.tf").exists());
    assert!(repo.join("apps/web/providers.tf").exists());

    // Staged, both hooks pass.
    git(repo, &["add", "-A"]);
    for hook in ["tfroles-generate", "tfroles-check"] {
        let out = run(repo, hook);
        assert_eq!(out.status.code(), Some(0), "{hook}: {}", text(&out));
    }
    git(repo, &["commit", "-q", "-m", "generated"]);

    // A change to tfroles.hcl: the check shows the diff; generate fixes it.
    fs::write(
        repo.join("tfroles.hcl"),
        CONFIG.replace("us-west-2", "eu-west-1"),
    )
    .unwrap();
    git(repo, &["add", "-A"]);
    let out = run(repo, "tfroles-check");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("differs  apps/api/providers.tf"), "{shown}");
    assert!(
        shown.contains("-  region              = \"us-west-2\""),
        "{shown}"
    );
    assert!(
        shown.contains("+  region              = \"eu-west-1\""),
        "{shown}"
    );
    let out = run(repo, "tfroles-generate");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    git(repo, &["add", "-A"]);
    let out = run(repo, "tfroles-check");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        fs::read_to_string(repo.join("apps/web/providers.tf"))
            .unwrap()
            .contains("\"eu-west-1\"")
    );

    // A glob typo drops both stacks: their files are kept and both hooks
    // fail, until the removal is meant (`--prune`) or the typo fixed.
    fs::write(
        repo.join("tfroles.hcl"),
        CONFIG
            .replace("us-west-2", "eu-west-1")
            .replace("stack \"apps/*\"", "stack \"app/*\""),
    )
    .unwrap();
    git(repo, &["add", "-A"]);
    let out = run(repo, "tfroles-generate");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("stale generated files were kept"),
        "{}",
        text(&out)
    );
    assert!(repo.join("apps/api/backend.tf").exists(), "kept");
    let out = run(repo, "tfroles-check");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("stale    apps/api/backend.tf"),
        "{}",
        text(&out)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tfroles"))
        .current_dir(repo)
        .args(["generate", "--prune"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!repo.join("apps/api/backend.tf").exists(), "pruned");
    git(repo, &["add", "-A"]);
    for hook in ["tfroles-generate", "tfroles-check"] {
        let out = run(repo, hook);
        assert_eq!(out.status.code(), Some(0), "{hook}: {}", text(&out));
    }

    // A file that is not tfroles' business does not trigger the hooks.
    fs::write(repo.join("README.md"), "hello\n").unwrap();
    git(repo, &["add", "README.md"]);
    let out = pre_commit()
        .current_dir(repo)
        .args(["run", "tfroles-check", "--files", "README.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("(no files to check)Skipped"),
        "{}",
        text(&out)
    );
}

#[test]
fn hooks_work_when_the_config_is_not_at_the_repository_root() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["config", "user.email", "t@example.com"]);
    git(repo, &["config", "user.name", "t"]);
    // Two configs in subdirectories, and Terraform no config owns.
    for (dir, region) in [("infra", "us-west-2"), ("teams/data", "eu-west-1")] {
        fs::create_dir_all(repo.join(dir)).unwrap();
        fs::write(
            repo.join(dir).join("tfroles.hcl"),
            CONFIG.replace("us-west-2", region),
        )
        .unwrap();
        fs::create_dir_all(repo.join(dir).join("apps/api")).unwrap();
        fs::write(
            repo.join(dir).join("apps/api/main.tf"),
            "resource \"terraform_data\" \"x\" {}\n",
        )
        .unwrap();
    }
    fs::create_dir_all(repo.join("legacy")).unwrap();
    fs::write(repo.join("legacy/main.tf"), "terraform {}\n").unwrap();
    fs::write(repo.join(".pre-commit-config.yaml"), local_config()).unwrap();
    git(repo, &["add", "-A"]);

    let out = run(repo, "tfroles-check");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("missing  apps/api/backend.tf"), "{shown}");
    assert!(shown.contains("== infra/tfroles.hcl"), "{shown}");
    assert!(shown.contains("== teams/data/tfroles.hcl"), "{shown}");

    let out = run(repo, "tfroles-generate");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for dir in ["infra", "teams/data"] {
        assert!(repo.join(dir).join("apps/api/backend.tf").exists(), "{dir}");
    }
    assert!(
        fs::read_to_string(repo.join("teams/data/apps/api/providers.tf"))
            .unwrap()
            .contains("\"eu-west-1\""),
        "each config generates its own stacks"
    );
    assert!(
        !repo.join("legacy/backend.tf").exists(),
        "no config owns legacy/"
    );
    git(repo, &["add", "-A"]);
    for hook in ["tfroles-generate", "tfroles-check"] {
        let out = run(repo, hook);
        assert_eq!(out.status.code(), Some(0), "{hook}: {}", text(&out));
    }
    git(repo, &["commit", "-q", "-m", "generated"]);

    // A commit touching one config's stack runs that config only; one
    // touching only unowned Terraform passes without a config.
    fs::write(
        repo.join("infra/tfroles.hcl"),
        CONFIG.replace("us-west-2", "ap-south-1"),
    )
    .unwrap();
    git(repo, &["add", "-A"]);
    let out = pre_commit()
        .current_dir(repo)
        .args(["run", "tfroles-check", "--files", "infra/tfroles.hcl"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("differs  apps/api/providers.tf"),
        "{}",
        text(&out)
    );
    let out = pre_commit()
        .current_dir(repo)
        .args(["run", "tfroles-check", "--files", "legacy/main.tf"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
