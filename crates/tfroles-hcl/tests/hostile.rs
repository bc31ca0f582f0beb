//! Playing the attacker: random trees of directories, files, FIFOs and
//! symbolic links (into the tree, out of it, dangling) under random configs.
//! Whatever `generate` (plain, `--take-over`, `--prune`) and `import` do or
//! refuse, they never create, change or remove anything outside the
//! config's directory, never change a file they did not generate (a file
//! taken over is kept beside as `.tfroles-orig`), and never create a link.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use tfroles_core::Config;
use tfroles_hcl::{ORIGINAL_SUFFIX, PlanOptions, SIGNATURE_PREFIX};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    File(Vec<u8>, u32),
    Link(PathBuf),
    Other,
}

/// Every entry below `root`, never following a link.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let m = fs::symlink_metadata(&p).unwrap();
            let node = if m.file_type().is_symlink() {
                Node::Link(fs::read_link(&p).unwrap())
            } else if m.is_dir() {
                pending.push(p.clone());
                Node::Dir
            } else if m.is_file() {
                Node::File(fs::read(&p).unwrap(), m.permissions().mode() & 0o7777)
            } else {
                Node::Other
            };
            out.insert(rel, node);
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Kind {
    Dir,
    HandWritten,
    /// A file with this config's signature (stale or to update).
    Generated,
    /// A `.tf` file declaring a backend and a default AWS provider.
    Duplicating,
    LinkOutsideDir,
    LinkOutsideFile,
    LinkInside(String),
    Dangling,
    Fifo,
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just(".tfroles".to_owned()),
        Just("backend.tf".to_owned()),
        Just("providers.tf".to_owned()),
        Just("main.tf".to_owned()),
        Just("aws-config".to_owned()),
        Just("backend.tf.tfroles-orig".to_owned()),
        Just(".tfroles-abc123.tmp".to_owned()),
    ]
}

fn rel_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(name(), 1..4).prop_map(|p| p.join("/"))
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Dir),
        3 => Just(Kind::HandWritten),
        3 => Just(Kind::Generated),
        1 => Just(Kind::Duplicating),
        2 => Just(Kind::LinkOutsideDir),
        2 => Just(Kind::LinkOutsideFile),
        2 => rel_path().prop_map(Kind::LinkInside),
        1 => Just(Kind::Dangling),
        1 => Just(Kind::Fifo),
    ]
}

fn stack_label() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("a/b".to_owned()),
        Just("b/a".to_owned()),
        Just("a/a/a".to_owned()),
        Just("*".to_owned()),
        Just("a/*".to_owned()),
        Just("**".to_owned()),
        Just("b/**".to_owned()),
    ]
}

fn config_text(labels: &[String], profile: bool) -> String {
    let mut s = format!(
        "defaults {{\n  region = \"us-east-1\"\n  credentials = \"{}\"\n}}\n\
         account \"shared\" {{\n  id = \"111111111111\"\n}}\n\
         state {{\n  account = \"shared\"\n  bucket  = \"acme-terraform-state\"\n  role    = \"terraform-state\"\n}}\n\
         role \"terraform-state\" {{\n  account = \"shared\"\n}}\n",
        if profile { "profile" } else { "assume_role" }
    );
    let mut seen = std::collections::BTreeSet::new();
    for l in labels {
        if seen.insert(l) {
            s.push_str(&format!(
                "stack \"{l}\" {{\n  account = \"shared\"\n  role    = \"terraform-state\"\n}}\n"
            ));
        }
    }
    s
}

fn signature_for(rel: &str) -> String {
    let depth = rel.matches('/').count();
    format!(
        "{SIGNATURE_PREFIX}{}tfroles.hcl; DO NOT EDIT.\n",
        "../".repeat(depth)
    )
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
}

/// Builds the tree; entries whose parent cannot be made are skipped.
fn build(root: &Path, outside: &Path, entries: &[(String, Kind)]) {
    for (rel, kind) in entries {
        let p = root.join(rel);
        if fs::symlink_metadata(&p).is_ok() {
            continue;
        }
        if let Some(parent) = p.parent()
            && fs::create_dir_all(parent).is_err()
        {
            continue;
        }
        let _ = match kind {
            Kind::Dir => fs::create_dir(&p),
            Kind::HandWritten => fs::write(&p, "# mine\nlocals {}\n"),
            Kind::Generated => fs::write(&p, format!("{}# old\n", signature_for(rel))),
            Kind::Duplicating => fs::write(
                &p,
                "terraform {\n  backend \"local\" {}\n}\nprovider \"aws\" {}\n",
            ),
            Kind::LinkOutsideDir => std::os::unix::fs::symlink(outside.join("dir"), &p),
            Kind::LinkOutsideFile => std::os::unix::fs::symlink(outside.join("file"), &p),
            Kind::LinkInside(t) => std::os::unix::fs::symlink(root.join(t), &p),
            Kind::Dangling => std::os::unix::fs::symlink(outside.join("nothing"), &p),
            Kind::Fifo => {
                mkfifo(&p);
                Ok(())
            }
        };
    }
}

/// Runs generate as the binary does, with the options; errors are answers too.
fn generate(root: &Path, options: PlanOptions) -> Result<(), String> {
    let config = Config::from_path(&root.join("tfroles.hcl")).map_err(|e| e.to_string())?;
    let dirs = tfroles_core::discover(config.root()).map_err(|e| e.to_string())?;
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let resolution = config.resolve(&paths).map_err(|e| e.to_string())?;
    let files = tfroles_hcl::generate(&config, &resolution.stacks).map_err(|e| e.to_string())?;
    let plan = tfroles_hcl::plan(&config, files, &dirs, options).map_err(|e| e.to_string())?;
    plan.apply().map_err(|e| e.to_string())?;
    Ok(())
}

fn is_temp(rel: &Path) -> bool {
    rel.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(".tfroles-") && n.ends_with(".tmp"))
}

/// What changed below the root is only what generate may change.
fn check_inside(
    before: &BTreeMap<PathBuf, Node>,
    after: &BTreeMap<PathBuf, Node>,
    take_over: bool,
) -> Result<(), TestCaseError> {
    for (rel, old) in before {
        let now = after.get(rel);
        if now == Some(old) {
            continue;
        }
        match old {
            // Ours to update or remove.
            Node::File(bytes, _) if bytes.starts_with(SIGNATURE_PREFIX.as_bytes()) => {}
            // A leftover temporary file of an interrupted run.
            Node::File(..) if is_temp(rel) => prop_assert!(now.is_none(), "{rel:?} changed"),
            // Taken over: the original is kept beside it.
            Node::File(bytes, _) if take_over => {
                let mut kept = rel.clone().into_os_string();
                kept.push(ORIGINAL_SUFFIX);
                match after.get(&PathBuf::from(kept)) {
                    Some(Node::File(b, _)) => prop_assert_eq!(b, bytes, "{:?}", rel),
                    other => prop_assert!(false, "{rel:?} changed, original not kept: {other:?}"),
                }
                prop_assert!(
                    !before.contains_key(&{
                        let mut k = rel.clone().into_os_string();
                        k.push(ORIGINAL_SUFFIX);
                        PathBuf::from(k)
                    }),
                    "an earlier original of {rel:?} was replaced"
                );
            }
            _ => prop_assert!(false, "{rel:?} was {old:?}, now {now:?}"),
        }
    }
    for (rel, now) in after {
        if before.contains_key(rel) {
            continue;
        }
        match now {
            Node::Dir => {}
            Node::File(bytes, mode) if bytes.starts_with(SIGNATURE_PREFIX.as_bytes()) => {
                prop_assert_eq!(*mode, 0o644, "{:?}", rel)
            }
            Node::File(..) if rel.to_string_lossy().ends_with(ORIGINAL_SUFFIX) && take_over => {}
            other => prop_assert!(false, "{rel:?} appeared as {other:?}"),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generate_and_import_stay_inside_and_touch_only_their_files(
        entries in proptest::collection::vec((rel_path(), kind()), 0..12),
        labels in proptest::collection::vec(stack_label(), 1..4),
        profile in any::<bool>(),
        runs in proptest::collection::vec((any::<bool>(), any::<bool>()), 1..3),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let outside = tmp.path().join("outside");
        fs::create_dir_all(outside.join("dir")).unwrap();
        fs::write(outside.join("file"), "outside\n").unwrap();
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join("tfroles.hcl"), config_text(&labels, profile)).unwrap();
        build(&root, &outside, &entries);
        let outside_before = snapshot(&outside);

        for (take_over, prune) in runs {
            let before = snapshot(&root);
            let _ = generate(&root, PlanOptions { take_over, prune });
            prop_assert_eq!(&snapshot(&outside), &outside_before, "outside changed");
            check_inside(&before, &snapshot(&root), take_over)?;
        }

        // import reads; it changes nothing anywhere.
        let before = snapshot(&root);
        let _ = tfroles_hcl::import(&root);
        prop_assert_eq!(&snapshot(&root), &before);
        prop_assert_eq!(&snapshot(&outside), &outside_before);
    }
}
