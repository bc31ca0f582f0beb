//! End-to-end benchmark of `tfroles generate`, run as the release binary in a
//! subprocess, the way a user or CI runs it.
//!
//! For synthetic trees of 1,000 and 10,000 stacks it measures:
//!
//! - `tfroles generate` from scratch (a fresh tree with no generated files
//!   for each run; building the trees is not timed);
//! - `tfroles generate --check` on the up-to-date tree;
//! - `terraform fmt -check -recursive` on the same tree, for comparison. It
//!   must exit 0, which also proves every generated file is canonical.
//!
//! It prints median and min per measurement, the ratios (check vs terraform
//! fmt, 10k/1k scaling) and whether each goal was met. A missed goal does not
//! fail the run: the machines this runs on are shared and noisy.
//!
//! Run it with `just bench`, or `cargo bench --bench generate`.
//! It builds the binary first (`cargo build --release --bin tfroles`).
//!
//! Environment:
//! - `TFROLES_BENCH_SIZES`: comma-separated stack counts (default `1000,10000`;
//!   the scaling goal needs two sizes, the second 10x the first);
//! - `TFROLES_BENCH_RUNS`: timed runs per measurement (default 9 for trees up
//!   to 1,000 stacks, 5 above);
//! - `TFROLES_BIN`: a `tfroles` binary to use instead of building one;
//! - `TERRAFORM`: the terraform binary (default `terraform` on `PATH`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "common/stats.rs"]
mod stats;
use stats::Stats;

/// Goals (see docs/performance.md).
const GENERATE_1K_BUDGET: Duration = Duration::from_millis(500);
const MAX_SCALING: f64 = 11.0;

fn main() {
    // `cargo bench` passes `--bench` (and any filter); this harness takes none.
    let sizes = sizes();
    let tfroles = tfroles_binary();
    let terraform =
        PathBuf::from(std::env::var_os("TERRAFORM").unwrap_or_else(|| "terraform".into()));
    let work = tempfile::Builder::new()
        .prefix("tfroles-bench-")
        .tempdir()
        .expect("cannot create a temporary directory");
    // terraform reads no user CLI config and phones nowhere.
    let tf_cli_config = work.path().join("terraformrc");
    fs::write(&tf_cli_config, "").expect("cannot write the terraform CLI config");
    let tf = Terraform {
        bin: terraform,
        cli_config: tf_cli_config,
    };
    let tf_available = tf.available();
    if !tf_available {
        eprintln!(
            "warning: `{}` not found: the terraform fmt comparison is skipped",
            tf.bin.display()
        );
    }

    let load_at_start = loadavg();
    warn_if_just_ran();
    println!("tfroles: {}", tfroles.display());
    if tf_available {
        println!("terraform: {}", tf.version());
    }
    println!();

    let mut results = Vec::new();
    for &n in &sizes {
        let runs = runs_for(n);
        eprintln!("== {n} stacks, {runs} runs per measurement");
        results.push(bench_size(
            &tfroles,
            &tf,
            tf_available,
            work.path(),
            n,
            runs,
        ));
    }
    report(&results);
    pathological_globs(&tfroles, work.path());
    if let (Some(start), Some(end)) = (load_at_start, loadavg()) {
        println!();
        println!("Load average (1, 5, 15 min) at start: {start}; at end: {end}");
    }
    eprintln!("removing the trees");
    drop(work);
    let _ = fs::write(finished_marker(), unix_now().to_string());
}

/// The machine's load average, where the OS tells it (Linux), to judge how
/// noisy the figures are.
fn loadavg() -> Option<String> {
    let s = fs::read_to_string("/proc/loadavg").ok()?;
    Some(s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn sizes() -> Vec<usize> {
    match std::env::var("TFROLES_BENCH_SIZES") {
        Ok(s) => s
            .split(',')
            .map(|x| {
                x.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("TFROLES_BENCH_SIZES: {x:?} is not a number"))
            })
            .collect(),
        Err(_) => vec![1_000, 10_000],
    }
}

fn runs_for(n: usize) -> usize {
    match std::env::var("TFROLES_BENCH_RUNS") {
        Ok(s) => s
            .trim()
            .parse()
            .ok()
            .filter(|&r| r > 0)
            .unwrap_or_else(|| panic!("TFROLES_BENCH_RUNS: {s:?} is not a positive number")),
        Err(_) if n <= 1_000 => 9,
        Err(_) => 5,
    }
}

fn workspace_root() -> PathBuf {
    // The `tfroles` package is the workspace root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `CARGO_TARGET_DIR`, or the workspace's `target` directory.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// Builds the release binary and finds it in the target directory.
fn tfroles_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("TFROLES_BIN") {
        return PathBuf::from(bin);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building: cargo build --release --bin tfroles");
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "tfroles"])
        .current_dir(workspace_root())
        .status()
        .expect("cannot run cargo");
    assert!(status.success(), "cargo build --release failed");
    let bin = target_dir()
        .join("release")
        .join(format!("tfroles{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.is_file(), "no binary at {}", bin.display());
    bin
}

/// Where the end of the last run is noted: deleting its trees slows file
/// creation for a few minutes after (see `bench_size`).
fn finished_marker() -> PathBuf {
    target_dir().join("tfroles-bench-finished")
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Warns when the previous run ended less than five minutes ago.
fn warn_if_just_ran() {
    let Some(then) = fs::read_to_string(finished_marker())
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
    else {
        return;
    };
    let ago = unix_now().saturating_sub(then);
    if ago < 300 {
        let msg = format!(
            "warning: the previous run deleted its trees {ago} s ago; on ext4, creating files \
             within about 5 minutes of deleting many is slower, so `generate` figures may be \
             inflated (wait {} s for clean figures)",
            300 - ago
        );
        eprintln!("{msg}");
        println!("{msg}\n");
    }
}

// ---------------------------------------------------------------------------
// The synthetic tree

const ENVS: [&str; 4] = ["dev", "qa", "staging", "production"];
/// Directories per glob block.
const PER_GLOB: usize = 90;

/// A tree of `n` stacks under `root`: a tenth exact `stack` blocks (half of
/// them over existing directories, half creating theirs; every fourth with
/// provider aliases), the rest directories holding a `main.tf` matched by
/// `ENV/team-NNN/*` globs of 90 directories each (every fifth with an alias).
/// Every tenth glob directory also holds a `modules/util/main.tf`, a
/// directory with `.tf` files that no block matches.
fn build_tree(root: &Path, n: usize) {
    fs::create_dir_all(root).unwrap();
    let exact = n / 10;
    let globbed = n - exact;
    let mut hcl = String::from(
        r#"defaults {
  region       = "us-west-2"
  session_name = "terraform"
  duration     = "1h"
  credentials  = "assume_role"
}

account "shared" {
  id = "111111111111"
}

account "dev" {
  id = "222222222222"
}

account "qa" {
  id = "333333333333"
}

account "staging" {
  id = "444444444444"
}

account "production" {
  id = "555555555555"
}

state {
  account      = "shared"
  bucket       = "acme-terraform-state"
  region       = "us-east-1"
  role         = "terraform-state"
  key_prefix   = "terraform"
  use_lockfile = true
  encrypt      = true
}

role "terraform-state" {
  account     = "shared"
  external_id = "tf-state"
}

role "app-provisioning" {
  accounts     = ["dev", "qa", "staging", "production"]
  external_id  = "app"
  session_name = "app"
  duration     = "2h"
  tags         = { team = "apps" }
}

role "platform-admin" {
  accounts = ["shared", "production"]
  path     = "/platform/"
}

role "dns-provisioning" {
  account = "shared"
  path    = "/terraform/"
}
"#,
    );

    for i in 0..exact {
        let path = format!("platform/svc-{i:05}");
        let (account, role) = match i % 3 {
            0 => ("production", "app-provisioning"),
            1 => ("staging", "app-provisioning"),
            _ => ("shared", "platform-admin"),
        };
        write!(
            hcl,
            "\nstack \"{path}\" {{\n  account = \"{account}\"\n  role    = \"{role}\"\n"
        )
        .unwrap();
        if i % 4 == 0 {
            hcl.push_str(
                "\n  provider \"us_east_1\" {\n    region = \"us-east-1\"\n  }\n\n  \
                 provider \"dns\" {\n    account = \"shared\"\n    role    = \"dns-provisioning\"\n  }\n",
            );
        }
        hcl.push_str("}\n");
        if i % 2 == 0 {
            write_main_tf(&root.join(&path), &path);
        }
    }

    let groups = globbed.div_ceil(PER_GLOB);
    let mut left = globbed;
    for g in 0..groups {
        let env = ENVS[g % ENVS.len()];
        let group = format!("{env}/team-{g:03}");
        write!(
            hcl,
            "\nstack \"{group}/*\" {{\n  account = \"{env}\"\n  role    = \"app-provisioning\"\n"
        )
        .unwrap();
        if g % 5 == 0 {
            hcl.push_str("\n  provider \"dns\" {\n    account = \"shared\"\n    role    = \"dns-provisioning\"\n  }\n");
        }
        hcl.push_str("}\n");
        for j in 0..left.min(PER_GLOB) {
            let path = format!("{group}/svc-{j:03}");
            let dir = root.join(&path);
            write_main_tf(&dir, &path);
            if j % 10 == 0 {
                let module = dir.join("modules/util");
                write_main_tf(&module, &format!("{path}/modules/util"));
            }
        }
        left -= left.min(PER_GLOB);
    }
    fs::write(root.join("tfroles.hcl"), hcl).unwrap();
}

/// A `main.tf` laid out as `terraform fmt` lays it out.
fn write_main_tf(dir: &Path, name: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(
        dir.join("main.tf"),
        format!("locals {{\n  name = \"{name}\"\n  tags = {{\n    stack = \"{name}\"\n  }}\n}}\n"),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// Running and timing

struct Terraform {
    bin: PathBuf,
    cli_config: PathBuf,
}

impl Terraform {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1");
        c
    }

    fn available(&self) -> bool {
        self.command()
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn version(&self) -> String {
        let out = self.command().arg("version").output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Runs `cmd` to completion, returning its wall time and output.
fn timed(cmd: &mut Command) -> (Duration, Output) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let out = cmd.output().expect("cannot run the command");
    (start.elapsed(), out)
}

fn describe_failure(what: &str, out: &Output) -> String {
    format!(
        "{what} exited with {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        tail(&out.stdout),
        tail(&out.stderr)
    )
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

struct SizeResult {
    stacks: usize,
    files: usize,
    generate: Stats,
    check: Stats,
    fmt: Option<Stats>,
}

fn bench_size(
    tfroles: &Path,
    tf: &Terraform,
    tf_available: bool,
    work: &Path,
    n: usize,
    runs: usize,
) -> SizeResult {
    let files = 2 * n;

    // generate from scratch: a fresh tree per run, plus one untimed warm-up.
    // Every tree is built before the first timed run and none is deleted
    // before the end: on ext4, creating files soon after many were deleted
    // is several times slower (the inode allocator skips recently deleted
    // inodes), which would measure the benchmark's own clean-up.
    eprintln!("  building {} trees of {n} stacks", runs + 1);
    let roots: Vec<PathBuf> = (0..=runs)
        .map(|run| {
            let root = work.join(format!("tree-{n}-{run}"));
            build_tree(&root, n);
            root
        })
        .collect();
    settle();
    let mut gen_samples = Vec::with_capacity(runs);
    for (run, root) in roots.iter().enumerate() {
        let (t, out) = timed(Command::new(tfroles).arg("generate").current_dir(root));
        assert!(
            out.status.success(),
            "{}",
            describe_failure("tfroles generate", &out)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with(&format!("wrote {files} files, 0 unchanged")),
            "unexpected summary from tfroles generate: {stdout}"
        );
        if run > 0 {
            gen_samples.push(t);
        }
        eprintln!("  generate      run {run}: {:>8.1} ms", ms(t));
    }

    // The warm-up's tree is up to date: --check and terraform fmt run there.
    let root = &roots[0];
    settle();

    // Interleaved, so that noise on the machine hits both alike; run 0 is
    // an untimed warm-up that also checks the results.
    let mut check_samples = Vec::with_capacity(runs);
    let mut fmt_samples = Vec::with_capacity(runs);
    for run in 0..=runs {
        let (t, out) = timed(
            Command::new(tfroles)
                .args(["generate", "--check"])
                .current_dir(root),
        );
        assert!(
            out.status.success(),
            "{}",
            describe_failure("tfroles generate --check", &out)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("{files} files up to date")),
            "unexpected summary from tfroles generate --check: {stdout}"
        );
        if run > 0 {
            check_samples.push(t);
        }
        eprintln!("  check         run {run}: {:>8.1} ms", ms(t));

        if tf_available {
            let (t, out) = timed(
                tf.command()
                    .args(["fmt", "-check", "-recursive"])
                    .current_dir(root),
            );
            assert!(
                out.status.success(),
                "{}",
                describe_failure(
                    "terraform fmt -check -recursive (some file is not canonical)",
                    &out
                )
            );
            if run > 0 {
                fmt_samples.push(t);
            }
            eprintln!("  terraform fmt run {run}: {:>8.1} ms", ms(t));
        }
    }

    SizeResult {
        stacks: n,
        files,
        generate: Stats::of(gen_samples),
        check: Stats::of(check_samples),
        fmt: tf_available.then(|| Stats::of(fmt_samples)),
    }
}

/// Flushes what building the trees left dirty, so that writeback does not
/// land in a timed run. Best effort.
fn settle() {
    let _ = Command::new("sync").status();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Budget for `validate` over the pathological globs below (the recursive
/// matcher took 13 s for the smallest of them).
const PATHOLOGICAL_BUDGET: Duration = Duration::from_millis(200);

/// Stack globs that were exponential with the old recursive matcher:
/// `*a*a...*b` against a 200-character name, and ten `**` over a 40-deep
/// tree whose last part never matches. The pre-commit hooks run the matcher
/// on every commit, so this must stay fast.
fn pathological_globs(tfroles: &Path, work: &Path) {
    let root = work.join("pathological-globs");
    let long = "a".repeat(200);
    let deep = ["d"; 40].join("/");
    for dir in [long.as_str(), deep.as_str()] {
        write_main_tf(&root.join(dir), "x");
    }
    let stars = format!("*{}b", "a*".repeat(20));
    let globstars = format!("{}/x", ["**"; 10].join("/"));
    let hcl = format!(
        r#"account "shared" {{
  id = "111111111111"
}}

state {{
  account = "shared"
  bucket  = "acme-terraform-state"
  region  = "us-east-1"
  role    = "terraform-state"
}}

role "terraform-state" {{
  account = "shared"
}}

stack "{stars}" {{
  account = "shared"
  role    = "terraform-state"
  region  = "us-east-1"
}}

stack "{globstars}" {{
  account = "shared"
  role    = "terraform-state"
  region  = "us-east-1"
}}
"#
    );
    fs::write(root.join("tfroles.hcl"), hcl).unwrap();
    let mut samples = Vec::new();
    for _ in 0..5 {
        let (d, out) = timed(Command::new(tfroles).arg("validate").current_dir(&root));
        assert!(
            out.status.success(),
            "{}",
            describe_failure("validate", &out)
        );
        samples.push(d);
    }
    let s = Stats::of(samples);
    println!();
    println!(
        "validate, `{stars}` over a 200-character name and `{globstars}` over a 40-deep tree: \
         median {:.1} ms, min {:.1} ms (goal: under {} ms: {})",
        ms(s.median),
        ms(s.min),
        PATHOLOGICAL_BUDGET.as_millis(),
        pass(s.median < PATHOLOGICAL_BUDGET)
    );
}

// ---------------------------------------------------------------------------
// Reporting

fn report(results: &[SizeResult]) {
    println!(
        "{:>7}  {:>6}  {:<34}  {:>4}  {:>11}  {:>11}",
        "stacks", "files", "measurement", "runs", "median", "min"
    );
    for r in results {
        let row = |what: &str, s: &Stats| {
            println!(
                "{:>7}  {:>6}  {:<34}  {:>4}  {:>8.1} ms  {:>8.1} ms",
                r.stacks,
                r.files,
                what,
                s.runs,
                ms(s.median),
                ms(s.min)
            );
        };
        row("tfroles generate (from scratch)", &r.generate);
        row("tfroles generate --check", &r.check);
        if let Some(fmt) = &r.fmt {
            row("terraform fmt -check -recursive", fmt);
        }
    }

    println!();
    println!("Ratios (medians; min in parentheses):");
    for r in results {
        if let Some(fmt) = &r.fmt {
            println!(
                "  {:>6} stacks: check / terraform fmt = {:.2}x ({:.2}x)",
                r.stacks,
                ratio(r.check.median, fmt.median),
                ratio(r.check.min, fmt.min)
            );
        }
    }
    let scaling = scaling_pair(results);
    if let Some((small, large)) = scaling {
        println!(
            "  generate {}/{} stacks = {:.2}x ({:.2}x)",
            large.stacks,
            small.stacks,
            ratio(large.generate.median, small.generate.median),
            ratio(large.generate.min, small.generate.min)
        );
        println!(
            "  check    {}/{} stacks = {:.2}x ({:.2}x)",
            large.stacks,
            small.stacks,
            ratio(large.check.median, small.check.median),
            ratio(large.check.min, small.check.min)
        );
    }

    println!();
    println!("Goals (judged on medians; a miss does not fail the run):");
    if let Some(r) = results.iter().find(|r| r.stacks == 1_000) {
        let ok = r.generate.median < GENERATE_1K_BUDGET;
        println!(
            "  [{}] 1,000 stacks generated in under {:.1} s: median {:.3} s",
            pass(ok),
            GENERATE_1K_BUDGET.as_secs_f64(),
            r.generate.median.as_secs_f64()
        );
    } else {
        println!("  [skip] 1,000 stacks generated in under 0.5 s: no 1,000-stack run");
    }
    for r in results {
        match &r.fmt {
            Some(fmt) => {
                let ok = r.check.median < fmt.median;
                println!(
                    "  [{}] --check faster than terraform fmt -check at {} stacks: {:.1} ms vs {:.1} ms",
                    pass(ok),
                    r.stacks,
                    ms(r.check.median),
                    ms(fmt.median)
                );
            }
            None => println!(
                "  [skip] --check faster than terraform fmt -check at {} stacks: no terraform",
                r.stacks
            ),
        }
    }
    match scaling {
        Some((small, large)) => {
            for (what, a, b) in [
                ("generate", &small.generate, &large.generate),
                ("check", &small.check, &large.check),
            ] {
                let x = ratio(b.median, a.median);
                println!(
                    "  [{}] {what}: 10x the stacks in at most {MAX_SCALING:.0}x the time: {x:.2}x",
                    pass(x <= MAX_SCALING),
                );
            }
        }
        None => println!("  [skip] scaling: needs two sizes, the larger 10x the smaller"),
    }
}

/// The first pair of sizes where the larger is 10x the smaller.
fn scaling_pair(results: &[SizeResult]) -> Option<(&SizeResult, &SizeResult)> {
    results.iter().find_map(|small| {
        results
            .iter()
            .find(|large| large.stacks == small.stacks * 10)
            .map(|large| (small, large))
    })
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn pass(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}
