//! Bringing the files on disk in step with the generated ones: describe
//! first ([`plan`]), then act ([`Plan::apply`]) or report ([`Plan::diff`]).
//!
//! The repository may be hostile (a pull request can hold anything), so:
//!
//! - every path written stays below the config file's directory: no
//!   component of it may be a symbolic link, and the file itself is never
//!   read, written, renamed or removed through one;
//! - only regular files are opened (a FIFO would hang the run), without
//!   following a link, and reads are bounded;
//! - the plan checks everything it can before the first write, then every
//!   file is staged as a synced temporary file beside its target, then all
//!   are renamed into place; a run that fails restores what it had changed;
//! - a generated file is only replaced or removed if it still holds what
//!   the plan read, and a new one never replaces a file that appeared since.
//!
//! Generated files get mode 0644 whatever the file they replace had: they
//! hold no secret, and a copied mode could carry setuid.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use tfroles_core::{Config, TfDir};

use crate::Error;
use crate::render::{
    AWS_CONFIG_PATH, GeneratedFile, SIGNATURE_PREFIX, config_from, parse_signature,
};

/// The mode of every generated file.
pub const GENERATED_MODE: u32 = 0o644;

/// Temporary files are `.tfroles-XXXXXX.tmp` in the target's directory; a
/// run that was killed leaves them, and the next run removes them.
const TEMP_PREFIX: &str = ".tfroles-";
const TEMP_SUFFIX: &str = ".tmp";

/// Where `--take-over` keeps a hand-written file it replaces.
pub const ORIGINAL_SUFFIX: &str = ".tfroles-orig";

/// The largest file tfroles reads whole: far above any generated or
/// hand-written Terraform file, and a bound on memory in a hostile tree.
pub(crate) const MAX_READ_BYTES: u64 = 64 << 20;

/// Linux's (and macOS's) limit on one path component, in bytes.
const NAME_MAX: usize = 255;
/// Linux's limit on a whole path, in bytes (macOS: 1024, checked by the OS).
const PATH_MAX: usize = 4096;

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// It does not exist yet.
    Create,
    /// It exists with other contents.
    Update,
    /// It was generated from this config, nothing generates it any more, and
    /// `--prune` was given: it is removed.
    Remove,
    /// It is up to date.
    Unchanged,
    /// A file tfroles did not generate is in the way, and `--take-over` was
    /// given: it is kept beside as `<name>.tfroles-orig` and replaced.
    TakeOver,
    /// It was generated from this config and nothing generates it any more:
    /// kept, since the config change that dropped it may be a mistake (a
    /// glob typo); `--prune` removes it.
    Stale,
    /// A temporary file left by an interrupted run: removed.
    Leftover,
    /// A hand-written file the handover left with nothing in it: kept
    /// beside as `<name>.tfroles-orig` and removed, so that the generated
    /// file can take its place.
    SetAside,
}

/// One file's planned change.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// Relative to the config file's directory, `/`-separated.
    pub path: String,
    /// What happens.
    pub change: Change,
    /// The contents now on disk, if any.
    pub old: Option<String>,
    /// The contents to write (`None` for [`Change::Remove`]).
    pub new: Option<String>,
    /// The bytes read, to tell at write time that nobody changed the file.
    old_bytes: Option<Vec<u8>>,
}

impl FileChange {
    /// A hand-written file rewritten, its original kept beside it as
    /// `<name>.tfroles-orig` (the handover).
    pub(crate) fn take_over(path: String, old: String, new: String, old_bytes: Vec<u8>) -> Self {
        FileChange {
            path,
            change: Change::TakeOver,
            old: Some(old),
            new: Some(new),
            old_bytes: Some(old_bytes),
        }
    }

    /// A hand-written file set aside: kept as `<name>.tfroles-orig`, removed.
    pub(crate) fn set_aside(path: String, old: String, old_bytes: Vec<u8>) -> Self {
        FileChange {
            path,
            change: Change::SetAside,
            old: Some(old),
            new: None,
            old_bytes: Some(old_bytes),
        }
    }
}

/// Every change needed to bring the tree in step.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The config file's directory.
    pub root: PathBuf,
    /// Sorted by path.
    pub files: Vec<FileChange>,
}

/// Counts of what a plan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Files created or rewritten.
    pub written: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Stale generated files removed (`--prune`).
    pub removed: usize,
    /// Stale generated files kept.
    pub stale: usize,
    /// Temporary files of an interrupted run removed.
    pub leftovers: usize,
}

/// Options for [`plan`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Replace hand-written files in the way (keeping each as `<name>.tfroles-orig`).
    pub take_over: bool,
    /// Remove generated files that nothing generates any more.
    pub prune: bool,
}

/// Opens a regular file for reading without following a symbolic link and
/// without blocking on a FIFO.
fn open_regular(path: &Path) -> std::io::Result<fs::File> {
    tfroles_fs::open_regular(path, tfroles_fs::Links::Refuse)
}

/// Reads a whole regular file, at most [`MAX_READ_BYTES`], never through a
/// symbolic link.
///
/// # Errors
/// When it is missing, a link, not a regular file, too large or unreadable.
pub(crate) fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    tfroles_fs::read_regular(path, tfroles_fs::Links::Refuse, MAX_READ_BYTES)
}

/// Reads at most the first line of a file, cheaply: enough to tell whether
/// tfroles generated it.
fn first_line(path: &Path) -> std::io::Result<String> {
    let mut buf = [0u8; 512];
    let mut f = open_regular(path)?;
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    let head = &buf[..n];
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(n);
    Ok(String::from_utf8_lossy(&head[..end]).into_owned())
}

/// Who generated an existing file.
enum Origin {
    ThisConfig,
    OtherConfig(String),
    NotTfroles,
}

fn origin(config: &Config, dir: &str, first: &str) -> Origin {
    match parse_signature(first) {
        Some(named) if named == config_from(config, dir) => Origin::ThisConfig,
        Some(named) => Origin::OtherConfig(named.to_owned()),
        None if first.starts_with(SIGNATURE_PREFIX) => Origin::OtherConfig(first.to_owned()),
        None => Origin::NotTfroles,
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

fn abs_path(root: &Path, rel: &str) -> PathBuf {
    root.join(rel.split('/').collect::<PathBuf>())
}

/// What stands at a path, looked at without following a link.
enum Entry {
    Missing,
    File,
    Dir,
    Link,
    Other,
}

fn entry(path: &Path) -> std::io::Result<Entry> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Ok(Entry::Link),
        Ok(m) if m.is_dir() => Ok(Entry::Dir),
        Ok(m) if m.is_file() => Ok(Entry::File),
        Ok(_) => Ok(Entry::Other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Entry::Missing),
        Err(e) => Err(e),
    }
}

/// Checks that every directory on the way to `rel` (below `root`) is a real
/// directory or missing (to be created), and that the names fit the OS's
/// limits; returns what stands at `rel` itself.
///
/// # Errors
/// A problem `(path, reason)` for [`Error::Unsafe`], or an I/O error.
fn check_path(root: &Path, rel: &str) -> Result<Result<Entry, (String, String)>, Error> {
    for part in rel.split('/') {
        if part.len() > NAME_MAX {
            return Ok(Err((
                rel.to_owned(),
                format!(
                    "a part of the path is {} bytes long; file systems allow {NAME_MAX}",
                    part.len()
                ),
            )));
        }
    }
    let abs = abs_path(root, rel);
    if abs.as_os_str().len() + TEMP_PREFIX.len() + 6 + TEMP_SUFFIX.len() >= PATH_MAX {
        return Ok(Err((
            rel.to_owned(),
            format!("the path is longer than the {PATH_MAX} bytes file systems allow"),
        )));
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let mut dir = root.to_path_buf();
    for (i, part) in parts[..parts.len() - 1].iter().enumerate() {
        dir.push(part);
        let shown = parts[..=i].join("/");
        match entry(&dir).map_err(io(&dir))? {
            Entry::Dir => {}
            // The rest will be created.
            Entry::Missing => return Ok(Ok(Entry::Missing)),
            Entry::Link => {
                return Ok(Err((
                    shown,
                    "is a symbolic link; tfroles writes nothing through one, so that no file it writes can land outside the directory of the config".into(),
                )));
            }
            Entry::File | Entry::Other => {
                return Ok(Err((
                    shown,
                    "is not a directory, and files must be written below it".into(),
                )));
            }
        }
    }
    Ok(Ok(entry(&abs).map_err(io(&abs))?))
}

/// [`check_path`] for the handover: `Ok(true)` for a regular file reached
/// through real directories, `Ok(false)` for anything else there.
pub(crate) fn check_path_public(
    root: &Path,
    rel: &str,
) -> Result<Result<bool, (String, String)>, Error> {
    Ok(check_path(root, rel)?.map(|e| matches!(e, Entry::File)))
}

/// Directories whose leftover temporary files are looked for: those of
/// every file generated and every directory found.
fn leftovers(root: &Path, dirs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for rel in dirs {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            // Only directories reached without a link are looked into.
            match check_path(root, &format!("{rel}/x")) {
                Ok(Ok(_)) => {}
                _ => continue,
            }
            let abs = abs_path(root, rel);
            if !matches!(entry(&abs), Ok(Entry::Dir)) {
                continue;
            }
            abs
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            // The directory entry's own type: a link named like a
            // temporary file is not ours, and is left alone.
            if name.starts_with(TEMP_PREFIX)
                && name.ends_with(TEMP_SUFFIX)
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                out.push(if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                });
            }
        }
    }
    out
}

/// Compares `files` with the tree under the config's directory.
///
/// `dirs` is what [`tfroles_core::discover`] found; generated files there
/// that this config no longer generates are stale: kept, or removed with
/// [`PlanOptions::prune`].
///
/// # Errors
/// [`Error::Unsafe`] listing every path that cannot be written safely (a
/// symbolic link on the way, something other than a regular file, a name too
/// long, an earlier `.tfroles-orig`), [`Error::HandWritten`] listing every
/// file in the way that tfroles did not generate (unless `take_over`),
/// [`Error::Duplicate`] naming every block of a stack's own files that a
/// generated file declares too, [`Error::Io`] when a file cannot be read.
pub fn plan(
    config: &Config,
    files: Vec<GeneratedFile>,
    dirs: &[TfDir],
    options: PlanOptions,
) -> Result<Plan, Error> {
    let root = &config.root();
    let mut changes = Vec::with_capacity(files.len());
    let mut refused = Refusals::default();
    let wanted: std::collections::HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let stale = stale_files(config, dirs, &wanted);
    let mut scan: Vec<&str> = files.iter().map(|f| parent_dir(&f.path)).collect();
    scan.extend(dirs.iter().map(|d| d.path.as_str()));
    scan.sort_unstable();
    scan.dedup();
    let temps = leftovers(root, &scan);
    drop(scan);
    drop(wanted);
    for f in files {
        if let Some(change) = file_change(config, f, options, &mut refused)? {
            changes.push(change);
        }
    }
    if !refused.problems.is_empty() {
        return Err(Error::Unsafe {
            problems: refused.problems,
        });
    }
    if !refused.in_the_way.is_empty() {
        return Err(Error::HandWritten {
            files: refused.in_the_way,
        });
    }
    // Stale files of ours: removed with `prune`, so no conflict then;
    // kept otherwise, and named as such.
    let stale_set: std::collections::HashSet<&str> = stale.iter().map(String::as_str).collect();
    let duplicates = duplicates(root, &changes, dirs, &stale_set, options.prune);
    drop(stale_set);
    if !duplicates.is_empty() {
        return Err(Error::Duplicate { blocks: duplicates });
    }
    for rel in stale {
        let abs = abs_path(root, &rel);
        let old = match check_path(root, &rel)? {
            Ok(Entry::File) => read_regular(&abs).map_err(io(&abs))?,
            // Changed since it was looked at: not ours to touch.
            _ => continue,
        };
        changes.push(FileChange {
            path: rel,
            change: if options.prune {
                Change::Remove
            } else {
                Change::Stale
            },
            old: Some(String::from_utf8_lossy(&old).into_owned()),
            new: None,
            old_bytes: Some(old),
        });
    }
    for rel in temps {
        changes.push(FileChange {
            path: rel,
            change: Change::Leftover,
            old: None,
            new: None,
            old_bytes: None,
        });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan {
        root: root.to_path_buf(),
        files: changes,
    })
}

/// Why a plan cannot go ahead, gathered across every file so that one run
/// names them all.
#[derive(Default)]
struct Refusals {
    /// Paths that cannot be written safely, and why.
    problems: Vec<(String, String)>,
    /// Files in the way that tfroles did not generate (or another config
    /// did, named).
    in_the_way: Vec<(String, Option<String>)>,
}

/// Generated files of this config in the stacks' directories (and the
/// AWS config file) that it no longer generates.
fn stale_files(
    config: &Config,
    dirs: &[TfDir],
    wanted: &std::collections::HashSet<&str>,
) -> Vec<String> {
    let root = &config.root();
    let mut stale = Vec::new();
    for d in dirs {
        for name in &d.tf_files {
            let rel = format!("{}/{name}", d.path);
            if wanted.contains(rel.as_str()) {
                continue;
            }
            let abs = root.join(d.path.as_str()).join(name);
            // Found as a regular file a moment ago; if it is something else
            // now, it is not ours.
            let Ok(first) = first_line(&abs) else {
                continue;
            };
            if let Origin::ThisConfig = origin(config, d.path.as_str(), &first) {
                stale.push(rel);
            }
        }
    }
    if !wanted.contains(AWS_CONFIG_PATH)
        && let Ok(Ok(Entry::File)) = check_path(root, AWS_CONFIG_PATH)
        && let Ok(first) = first_line(&abs_path(root, AWS_CONFIG_PATH))
        && let Origin::ThisConfig = origin(config, parent_dir(AWS_CONFIG_PATH), &first)
    {
        stale.push(AWS_CONFIG_PATH.to_owned());
    }
    stale
}

/// What writing one generated file would change, or `None` where it is
/// refused (recorded in `refused`).
fn file_change(
    config: &Config,
    f: GeneratedFile,
    options: PlanOptions,
    refused: &mut Refusals,
) -> Result<Option<FileChange>, Error> {
    let root = &config.root();
    let abs = abs_path(root, &f.path);
    let found = match check_path(root, &f.path)? {
        Ok(e) => e,
        Err(p) => {
            refused.problems.push(p);
            return Ok(None);
        }
    };
    let old = match found {
        Entry::Missing => None,
        Entry::File => Some(read_regular(&abs).map_err(io(&abs))?),
        Entry::Link => {
            refused.problems.push((
                f.path.clone(),
                "is a symbolic link; tfroles never writes through one, nor replaces one (not even with --take-over)".into(),
            ));
            return Ok(None);
        }
        Entry::Dir | Entry::Other => {
            refused.problems.push((
                f.path.clone(),
                "is not a regular file (a directory, FIFO, socket or device)".into(),
            ));
            return Ok(None);
        }
    };
    let (change, old) = match old {
        None => (Change::Create, None),
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let first = text.lines().next().unwrap_or_default();
            match origin(config, parent_dir(&f.path), first) {
                Origin::ThisConfig if text == f.contents => (Change::Unchanged, Some(bytes)),
                Origin::ThisConfig => (Change::Update, Some(bytes)),
                _ if options.take_over => {
                    let kept = format!("{}{ORIGINAL_SUFFIX}", f.path);
                    match check_path(root, &kept)? {
                        Ok(Entry::Missing) => {}
                        Ok(_) => refused.problems.push((
                            kept,
                            "exists: it may hold an earlier original, which tfroles never replaces"
                                .into(),
                        )),
                        Err(p) => refused.problems.push(p),
                    }
                    (Change::TakeOver, Some(bytes))
                }
                Origin::OtherConfig(named) => {
                    refused.in_the_way.push((f.path.clone(), Some(named)));
                    return Ok(None);
                }
                Origin::NotTfroles => {
                    refused.in_the_way.push((f.path.clone(), None));
                    return Ok(None);
                }
            }
        }
    };
    Ok(Some(FileChange {
        path: f.path,
        change,
        old: old
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        new: Some(f.contents),
        old_bytes: old,
    }))
}

/// A block in a stack's own file that a generated file declares too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The stack's file, relative to the config's directory.
    pub file: String,
    /// Its line, from 1.
    pub line: usize,
    /// The block to remove: `backend "s3"`, `cloud`, `provider "aws"`,
    /// `provider "aws"` with `alias = "east"`.
    pub block: String,
    /// The generated file declaring the same.
    pub generated: String,
    /// `file` is itself a stale generated file (the config changed the
    /// file names): `--prune` removes it.
    pub stale: bool,
}

/// What a file declares that terraform allows once per directory.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decl {
    /// `backend "X"` or `cloud` in a `terraform` block.
    Backend { line: usize, block: String },
    /// `provider "aws"` and its alias, when given literally.
    Provider { line: usize, alias: Option<String> },
}

/// The backends and AWS providers a file declares; `None` when it does not
/// parse (terraform will say why).
fn declarations(text: &str) -> Option<Vec<Decl>> {
    use tfroles_core::raw::ExprKind;
    // The one located-HCL reader the config loader and import use.
    let body = tfroles_core::raw::parse_body(text).ok()?;
    let line = |loc: Option<tfroles_core::Location>| loc.map_or(1, |l| l.line);
    let mut out = Vec::new();
    for b in &body.blocks {
        match b.ident.as_str() {
            "terraform" => {
                for x in &b.body.blocks {
                    let block = match x.ident.as_str() {
                        "backend" => format!(
                            "backend {:?}",
                            x.labels.first().cloned().unwrap_or_default()
                        ),
                        "cloud" => "cloud".to_owned(),
                        _ => continue,
                    };
                    out.push(Decl::Backend {
                        line: line(x.loc),
                        block,
                    });
                }
            }
            "provider" if b.labels.first().map(String::as_str) == Some("aws") => {
                let alias = match b.body.attributes.iter().find(|a| a.name == "alias") {
                    None => None,
                    Some(a) => match &a.value.kind {
                        ExprKind::Str(s) => Some(s.clone()),
                        // Not a literal: terraform itself requires one, and
                        // will say so.
                        _ => continue,
                    },
                };
                out.push(Decl::Provider {
                    line: line(b.loc),
                    alias,
                });
            }
            _ => {}
        }
    }
    Some(out)
}

/// Blocks in the stacks' own `.tf` files that the generated files declare
/// too: terraform refuses such a directory ("Duplicate backend
/// configuration", "Duplicate provider configuration").
fn duplicates(
    root: &Path,
    changes: &[FileChange],
    dirs: &[TfDir],
    stale: &std::collections::HashSet<&str>,
    prune: bool,
) -> Vec<Duplicate> {
    use std::collections::HashMap;
    let by_path: HashMap<&str, &TfDir> = dirs.iter().map(|d| (d.path.as_str(), d)).collect();
    let mut generated: HashMap<&str, Vec<&FileChange>> = HashMap::new();
    for c in changes {
        if c.new.is_some() && c.path.ends_with(".tf") {
            generated.entry(parent_dir(&c.path)).or_default().push(c);
        }
    }
    let mut out = Vec::new();
    let mut dirs_written: Vec<&&str> = generated.keys().collect();
    dirs_written.sort();
    for dir in dirs_written {
        let Some(found) = by_path.get(*dir) else {
            continue;
        };
        let mine = &generated[*dir];
        let theirs: Vec<(String, Decl)> = found
            .tf_files
            .iter()
            .map(|name| format!("{dir}/{name}"))
            .filter(|rel| {
                !(mine.iter().any(|c| &c.path == rel) || (prune && stale.contains(rel.as_str())))
            })
            .flat_map(|rel| {
                let decls = own_declarations(root, &rel);
                decls.into_iter().map(move |d| (rel.clone(), d))
            })
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let ours: Vec<(&str, Decl)> = mine
            .iter()
            .filter_map(|c| Some((c.path.as_str(), declarations(c.new.as_deref()?)?)))
            .flat_map(|(p, ds)| ds.into_iter().map(move |d| (p, d)))
            .collect();
        for (file, d) in theirs {
            let clash = ours.iter().find(|(_, o)| match (o, &d) {
                (Decl::Backend { .. }, Decl::Backend { .. }) => true,
                (Decl::Provider { alias: a, .. }, Decl::Provider { alias: b, .. }) => a == b,
                _ => false,
            });
            let Some((generated, _)) = clash else {
                continue;
            };
            let (line, block) = match d {
                Decl::Backend { line, block } => (line, block),
                Decl::Provider { line, alias } => (
                    line,
                    match alias {
                        None => "provider \"aws\" (without an alias)".to_owned(),
                        Some(a) => format!("provider \"aws\" with alias = {a:?}"),
                    },
                ),
            };
            out.push(Duplicate {
                stale: stale.contains(file.as_str()),
                file,
                line,
                block,
                generated: (*generated).to_owned(),
            });
        }
    }
    out
}

/// The `backend`, `cloud` and `provider "aws"` blocks a stack's own file
/// declares; none where it cannot be read.
fn own_declarations(root: &Path, rel: &str) -> Vec<Decl> {
    let Ok(bytes) = read_regular(&abs_path(root, rel)) else {
        return Vec::new();
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Vec::new();
    };
    // Most stack files declare neither; skip parsing those.
    if !(text.contains("backend") || text.contains("cloud") || text.contains("provider")) {
        return Vec::new();
    }
    declarations(&text).unwrap_or_default()
}

/// One file staged for writing: its temporary file, synced, beside it.
struct Staged<'a> {
    change: &'a FileChange,
    abs: PathBuf,
    temp: tempfile::TempPath,
    /// For [`Change::TakeOver`]: the original's copy, and where it goes.
    original: Option<(tempfile::TempPath, PathBuf)>,
}

/// What was done, so that a failed run can be undone.
enum Done {
    Created(PathBuf),
    Replaced {
        abs: PathBuf,
        old: Vec<u8>,
        mode: u32,
    },
    Removed {
        abs: PathBuf,
        old: Vec<u8>,
        mode: u32,
    },
}

impl Plan {
    /// Whether anything would change.
    pub fn is_up_to_date(&self) -> bool {
        self.files.iter().all(|f| f.change == Change::Unchanged)
    }

    /// The changes other than [`Change::Unchanged`].
    pub fn drift(&self) -> impl Iterator<Item = &FileChange> {
        self.files.iter().filter(|f| f.change != Change::Unchanged)
    }

    /// Counts, as [`Plan::apply`] would report them.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for f in &self.files {
            match f.change {
                Change::Create | Change::Update | Change::TakeOver => s.written += 1,
                Change::Remove | Change::SetAside => s.removed += 1,
                Change::Unchanged => s.unchanged += 1,
                Change::Stale => s.stale += 1,
                Change::Leftover => s.leftovers += 1,
            }
        }
        s
    }

    /// A unified diff of every change, with paths relative to the config's directory.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for f in self.drift() {
            if f.change == Change::Leftover {
                continue;
            }
            let old = f.old.as_deref().unwrap_or("");
            let new = f.new.as_deref().unwrap_or("");
            let (a, b) = match f.change {
                Change::Create => ("/dev/null".to_owned(), format!("b/{}", f.path)),
                Change::Remove | Change::Stale | Change::SetAside => {
                    (format!("a/{}", f.path), "/dev/null".to_owned())
                }
                _ => (format!("a/{}", f.path), format!("b/{}", f.path)),
            };
            out.push_str(
                &similar::TextDiff::from_lines(old, new)
                    .unified_diff()
                    .context_radius(3)
                    .header(&a, &b)
                    .to_string(),
            );
        }
        out
    }

    /// Writes the plan. First every new file is staged: written to a
    /// temporary file in its target's directory and synced; then each is
    /// renamed into place, after checking that what stands there is still
    /// what the plan read (nothing, for a new file). Unchanged files are not
    /// touched (their mtime stays), stale generated files are removed only
    /// when the plan was made with `prune`, and temporary files of an
    /// interrupted run are removed. If anything fails, what was changed is
    /// put back, temporary files and created directories are removed.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written, or
    /// [`Error::Changed`] naming a file that changed since the plan.
    pub fn apply(&self) -> Result<Summary, Error> {
        let mut created_dirs = Vec::new();
        let staged = match self.stage(&mut created_dirs) {
            Ok(s) => s,
            Err(e) => {
                remove_dirs(&created_dirs);
                return Err(e);
            }
        };
        let mut done = Vec::new();
        if let Err(e) = self.commit(staged, &mut done) {
            undo(done);
            remove_dirs(&created_dirs);
            return Err(e);
        }
        for f in &self.files {
            if f.change == Change::Leftover {
                let abs = abs_path(&self.root, &f.path);
                // Only a regular file still there, never through a link.
                if let Ok(Ok(Entry::File)) = check_path(&self.root, &f.path) {
                    let _ = fs::remove_file(&abs);
                }
            }
        }
        Ok(self.summary())
    }

    fn stage(&self, created_dirs: &mut Vec<PathBuf>) -> Result<Vec<Staged<'_>>, Error> {
        let mut staged = Vec::new();
        for f in &self.files {
            let (Change::Create | Change::Update | Change::TakeOver, Some(new)) =
                (f.change, &f.new)
            else {
                continue;
            };
            let abs = abs_path(&self.root, &f.path);
            make_dirs(&self.root, parent_dir(&f.path), created_dirs)?;
            let dir = abs.parent().unwrap_or(Path::new("."));
            let temp = stage_file(dir, new.as_bytes(), GENERATED_MODE).map_err(io(&abs))?;
            let original = match (f.change, &f.old_bytes) {
                (Change::TakeOver, Some(old)) => {
                    let mode = fs::symlink_metadata(&abs).map_or(GENERATED_MODE, |m| {
                        std::os::unix::fs::PermissionsExt::mode(&m.permissions())
                    });
                    let mut kept = abs.clone().into_os_string();
                    kept.push(ORIGINAL_SUFFIX);
                    let kept = PathBuf::from(kept);
                    // The copy keeps the permission bits, never setuid,
                    // setgid or sticky.
                    let t = stage_file(dir, old, mode & 0o777).map_err(io(&kept))?;
                    Some((t, kept))
                }
                _ => None,
            };
            staged.push(Staged {
                change: f,
                abs,
                temp,
                original,
            });
        }
        let temps: Vec<(&Path, &Path)> = staged
            .iter()
            .flat_map(|s| {
                std::iter::once((s.temp.as_ref(), s.abs.as_path())).chain(
                    s.original
                        .as_ref()
                        .map(|(t, kept)| (t.as_ref(), kept.as_path())),
                )
            })
            .collect();
        sync_all(&temps)?;
        Ok(staged)
    }

    fn commit(&self, staged: Vec<Staged<'_>>, done: &mut Vec<Done>) -> Result<(), Error> {
        for s in staged {
            self.commit_staged(s, done)?;
        }
        for f in &self.files {
            if f.change == Change::Remove || f.change == Change::SetAside {
                self.remove(f, done)?;
            }
        }
        // The directories are not synced after the renames: a crash then
        // leaves each file either as it was or as generated, both whole
        // (the staged contents were synced first), and the next run
        // finishes the job. A directory fsync each would cost seconds.
        Ok(())
    }

    /// The directories were checked, and some created, a moment ago: check
    /// again, so a link swapped in since is not written through.
    fn check_again(&self, rel: &str) -> Result<(), Error> {
        match check_path(&self.root, rel)? {
            Ok(_) => Ok(()),
            Err((path, reason)) => Err(Error::Unsafe {
                problems: vec![(path, reason)],
            }),
        }
    }

    /// One staged file renamed into place: a new file only where none has
    /// appeared since the plan; a replaced one only if it still holds what
    /// was read (its original kept first, for a take-over).
    fn commit_staged(&self, s: Staged<'_>, done: &mut Vec<Done>) -> Result<(), Error> {
        let rel = &s.change.path;
        self.check_again(rel)?;
        if s.change.change == Change::Create {
            persist_new(s.temp, &s.abs, rel)?;
            done.push(Done::Created(s.abs));
            return Ok(());
        }
        let old = s.change.old_bytes.clone().unwrap_or_default();
        let mode = still_the_same(&s.abs, rel, &old)?;
        if let Some((temp, kept)) = s.original {
            persist_new(temp, &kept, &format!("{rel}{ORIGINAL_SUFFIX}"))?;
            done.push(Done::Created(kept));
        }
        s.temp.persist(&s.abs).map_err(|e| io(&s.abs)(e.error))?;
        done.push(Done::Replaced {
            abs: s.abs,
            old,
            mode,
        });
        Ok(())
    }

    /// A file removed (stale with `prune`), or set aside as
    /// `<name>.tfroles-orig` (left with only comments by a handover), if it
    /// still holds what was read.
    fn remove(&self, f: &FileChange, done: &mut Vec<Done>) -> Result<(), Error> {
        self.check_again(&f.path)?;
        let abs = abs_path(&self.root, &f.path);
        let old = f.old_bytes.clone().unwrap_or_default();
        let mode = still_the_same(&abs, &f.path, &old)?;
        if f.change == Change::SetAside {
            let mut kept = abs.clone().into_os_string();
            kept.push(ORIGINAL_SUFFIX);
            let kept = PathBuf::from(kept);
            let dir = abs.parent().unwrap_or(Path::new("."));
            let t = stage_file(dir, &old, mode & 0o777).map_err(io(&kept))?;
            sync_all(&[(t.as_ref(), kept.as_path())])?;
            persist_new(t, &kept, &format!("{}{ORIGINAL_SUFFIX}", f.path))?;
            done.push(Done::Created(kept));
        }
        fs::remove_file(&abs).map_err(io(&abs))?;
        done.push(Done::Removed { abs, old, mode });
        Ok(())
    }
}

/// Renames a staged file to `abs` only where nothing is: a file created
/// there since tfroles looked is someone else's (`rel` names it).
fn persist_new(temp: tempfile::TempPath, abs: &Path, rel: &str) -> Result<(), Error> {
    temp.persist_noclobber(abs).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            changed(rel, "was created by someone else since tfroles looked")
        } else {
            io(abs)(e.error)
        }
    })
}

fn changed(rel: &str, what: &str) -> Error {
    Error::Changed {
        path: rel.to_owned(),
        what: what.to_owned(),
    }
}

/// Checks that the file at `abs` is still a regular file holding `old`;
/// returns its mode.
fn still_the_same(abs: &Path, rel: &str, old: &[u8]) -> Result<u32, Error> {
    let now = match read_regular(abs) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(changed(rel, "was removed since tfroles read it"));
        }
        Err(_) => return Err(changed(rel, "is no longer a regular file")),
    };
    if now != old {
        return Err(changed(rel, "was changed since tfroles read it"));
    }
    Ok(fs::symlink_metadata(abs).map_or(GENERATED_MODE, |m| {
        std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777
    }))
}

/// Creates the missing directories of `rel` one by one, never through a
/// link; records each created, to remove it if the run fails.
fn make_dirs(root: &Path, rel: &str, created: &mut Vec<PathBuf>) -> Result<(), Error> {
    if rel.is_empty() {
        return Ok(());
    }
    let mut dir = root.to_path_buf();
    for (i, part) in rel.split('/').enumerate() {
        dir.push(part);
        match fs::create_dir(&dir) {
            Ok(()) => created.push(dir.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(&dir)(e)),
        }
        // Whether created now or found, it must be a directory, not a link.
        if !matches!(entry(&dir).map_err(io(&dir))?, Entry::Dir) {
            let shown: Vec<&str> = rel.split('/').take(i + 1).collect();
            return Err(Error::Unsafe {
                problems: vec![(
                    shown.join("/"),
                    "is not a directory (a symbolic link appeared there since tfroles looked)"
                        .into(),
                )],
            });
        }
    }
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Fails the nth staged write, to test that a failed run leaves the tree as it was.
    static FAIL_STAGE_AT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Writes `contents` to a new temporary file in `dir`, with `mode`, synced.
fn stage_file(dir: &Path, contents: &[u8], mode: u32) -> std::io::Result<tempfile::TempPath> {
    #[cfg(test)]
    FAIL_STAGE_AT.with(|n| match n.get() {
        Some(0) => Err(std::io::Error::from_raw_os_error(libc::ENOSPC)),
        Some(k) => {
            n.set(Some(k - 1));
            Ok(())
        }
        None => Ok(()),
    })?;
    write_temp(dir, contents, mode, false)
}

/// Makes every staged file durable before any is renamed into place, so a
/// crash never leaves a renamed but empty file. Many at once: a disk takes
/// concurrent syncs in one journal commit, where one after another cost
/// seconds for a thousand stacks.
fn sync_all(temps: &[(&Path, &Path)]) -> Result<(), Error> {
    const THREADS: usize = 16;
    let chunk = temps.len().div_ceil(THREADS).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = temps
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    for (temp, target) in part {
                        // Our own temporary file, reopened without following a link.
                        open_regular(temp)
                            .and_then(|f| f.sync_data())
                            .map_err(io(target))?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

fn write_temp(
    dir: &Path,
    contents: &[u8],
    mode: u32,
    sync: bool,
) -> std::io::Result<tempfile::TempPath> {
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    tmp.write_all(contents)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // On the open file: exactly this mode, whatever the umask.
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
    }
    if sync {
        tmp.as_file().sync_data()?;
    }
    // Closed now: thousands of staged files must not hold thousands of descriptors.
    Ok(tmp.into_temp_path())
}

/// Puts back what a failed run changed, newest first; best effort.
fn undo(done: Vec<Done>) {
    for d in done.into_iter().rev() {
        match d {
            Done::Created(p) => {
                let _ = fs::remove_file(&p);
            }
            Done::Replaced { abs, old, mode } | Done::Removed { abs, old, mode } => {
                let dir = abs.parent().unwrap_or(Path::new("."));
                if let Ok(t) = write_temp(dir, &old, mode, true) {
                    let _ = t.persist(&abs);
                }
            }
        }
    }
}

fn remove_dirs(created: &[PathBuf]) {
    for d in created.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
account "shared" { id = "111111111111" }
state {
  account = "shared"
  bucket  = "acme-terraform-state"
  region  = "us-east-1"
  role    = "terraform-state"
}
role "terraform-state" { account = "shared" }
stack "a" {
  account = "shared"
  role    = "terraform-state"
  region  = "us-east-1"
}
stack "b/c" {
  account = "shared"
  role    = "terraform-state"
  region  = "us-east-1"
}
"#;

    fn setup() -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tfroles.hcl");
        fs::write(&path, CONFIG).unwrap();
        let config = Config::from_path(&path).unwrap();
        (dir, config)
    }

    fn make_plan(config: &Config) -> Plan {
        let dirs = tfroles_core::discover(config.root()).unwrap();
        let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
        let stacks = config.resolve(&paths).unwrap().stacks;
        let files = crate::generate(config, &stacks).unwrap();
        plan(config, files, &dirs, PlanOptions::default()).unwrap()
    }

    /// Every path below `root` with its contents (directories empty).
    fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut pending = vec![root.to_path_buf()];
        while let Some(d) = pending.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    out.push((p.clone(), Vec::new()));
                    pending.push(p);
                } else {
                    out.push((p.clone(), fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_write_failing_half_way_leaves_the_tree_as_it_was() {
        let (dir, config) = setup();
        // One stack generated and then edited, so the failed run has an
        // update to put back as well as files and directories to remove.
        make_plan(&config).apply().unwrap();
        let edited = dir.path().join("a/backend.tf");
        let text = fs::read_to_string(&edited).unwrap() + "# edited\n";
        fs::write(&edited, &text).unwrap();
        fs::remove_dir_all(dir.path().join("b")).unwrap();
        let before = tree(dir.path());
        assert_eq!(make_plan(&config).summary().written, 3);
        for fail_at in 0..3 {
            let p = make_plan(&config);
            FAIL_STAGE_AT.with(|n| n.set(Some(fail_at)));
            let e = p.apply().unwrap_err();
            FAIL_STAGE_AT.with(|n| n.set(None));
            assert!(matches!(e, Error::Io { .. }), "{e}");
            assert_eq!(tree(dir.path()), before, "failing at write {fail_at}");
        }
        make_plan(&config).apply().unwrap();
        assert!(dir.path().join("b/c/backend.tf").exists());
    }

    #[test]
    fn a_file_created_or_changed_after_the_plan_is_not_overwritten() {
        let (dir, config) = setup();
        let p = make_plan(&config);
        fs::create_dir_all(dir.path().join("b/c")).unwrap();
        fs::write(dir.path().join("b/c/providers.tf"), "# mine\n").unwrap();
        let e = p.apply().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`b/c/providers.tf` was created by someone else since tfroles looked; nothing was changed"
        );
        assert_eq!(e.hint().as_deref(), Some("run `tfroles generate` again"));
        assert_eq!(
            fs::read_to_string(dir.path().join("b/c/providers.tf")).unwrap(),
            "# mine\n"
        );
        assert!(!dir.path().join("a/backend.tf").exists(), "put back");
        assert!(!dir.path().join("b/c/backend.tf").exists(), "put back");
        fs::remove_file(dir.path().join("b/c/providers.tf")).unwrap();

        make_plan(&config).apply().unwrap();
        let generated = fs::read_to_string(dir.path().join("a/backend.tf")).unwrap();
        fs::write(dir.path().join("a/backend.tf"), generated.clone() + "# x\n").unwrap();
        let p = make_plan(&config);
        // Rewritten by hand between plan and write: the hand edit stays.
        fs::write(dir.path().join("a/backend.tf"), "# mine now\n").unwrap();
        let e = p.apply().unwrap_err();
        assert!(matches!(e, Error::Changed { .. }), "{e}");
        assert_eq!(
            fs::read_to_string(dir.path().join("a/backend.tf")).unwrap(),
            "# mine now\n"
        );
    }

    #[test]
    fn a_link_swapped_in_after_the_plan_is_not_written_through() {
        let (dir, config) = setup();
        let outside = tempfile::tempdir().unwrap();
        let p = make_plan(&config);
        std::os::unix::fs::symlink(outside.path(), dir.path().join("b")).unwrap();
        let e = p.apply().unwrap_err();
        assert!(matches!(e, Error::Unsafe { .. }), "{e}");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
        assert!(!dir.path().join("a/backend.tf").exists(), "put back");
    }
}
