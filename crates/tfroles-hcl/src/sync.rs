//! Bringing the files on disk in step with the generated ones: describe
//! first ([`plan`]), then act ([`Plan::apply`]) or report ([`Plan::diff`]).
//!
//! The plan is computed in full before anything is written, so a run that
//! finds a hand-written file in the way writes nothing at all.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use tfroles_core::{Config, TfDir};

use crate::Error;
use crate::render::{
    AWS_CONFIG_PATH, GeneratedFile, SIGNATURE_PREFIX, config_from, parse_signature,
};

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It does not exist yet.
    Create,
    /// It exists with other contents.
    Update,
    /// It exists and is generated from this config, but nothing generates it any more.
    Remove,
    /// It is up to date.
    Unchanged,
    /// A file tfroles did not generate is in the way, and `--take-over` was
    /// given: it is kept beside as `<name>.tfroles-orig` and replaced.
    TakeOver,
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
    /// Stale generated files removed.
    pub removed: usize,
}

/// Options for [`plan`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Replace hand-written files in the way (keeping each as `<name>.tfroles-orig`).
    pub take_over: bool,
}

/// Reads at most the first line of a file, cheaply: enough to tell whether
/// tfroles generated it.
fn first_line(path: &Path) -> std::io::Result<String> {
    let mut buf = [0u8; 512];
    let mut f = fs::File::open(path)?;
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

/// Compares `files` with the tree under the config's directory.
///
/// `dirs` is what [`tfroles_core::discover`] found; generated files there
/// that this config no longer generates are planned for removal.
///
/// # Errors
/// [`Error::HandWritten`] listing every file in the way that tfroles did not
/// generate (unless `take_over`), [`Error::Io`] when a file cannot be read.
pub fn plan(
    config: &Config,
    files: Vec<GeneratedFile>,
    dirs: &[TfDir],
    options: PlanOptions,
) -> Result<Plan, Error> {
    let root = &config.root;
    let mut changes = Vec::with_capacity(files.len());
    let mut in_the_way = Vec::new();
    let wanted: std::collections::HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut stale = Vec::new();
    for d in dirs {
        for name in &d.tf_files {
            let rel = format!("{}/{name}", d.path);
            if wanted.contains(rel.as_str()) {
                continue;
            }
            let abs = root.join(d.path.as_str()).join(name);
            let first = first_line(&abs).map_err(io(&abs))?;
            if let Origin::ThisConfig = origin(config, d.path.as_str(), &first) {
                stale.push(rel);
            }
        }
    }
    if !wanted.contains(AWS_CONFIG_PATH) {
        let abs = root.join(AWS_CONFIG_PATH);
        if let Ok(first) = first_line(&abs)
            && let Origin::ThisConfig = origin(config, parent_dir(AWS_CONFIG_PATH), &first)
        {
            stale.push(AWS_CONFIG_PATH.to_owned());
        }
    }
    drop(wanted);
    for f in files {
        let abs = root.join(f.rel_path());
        let old = match fs::read(&abs) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&abs)(e)),
        };
        let (change, old) = match old {
            None => (Change::Create, None),
            Some(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let first = text.lines().next().unwrap_or_default();
                match origin(config, parent_dir(&f.path), first) {
                    Origin::ThisConfig if text == f.contents => (Change::Unchanged, Some(text)),
                    Origin::ThisConfig => (Change::Update, Some(text)),
                    _ if options.take_over => (Change::TakeOver, Some(text)),
                    Origin::OtherConfig(named) => {
                        in_the_way.push((f.path.clone(), Some(named)));
                        continue;
                    }
                    Origin::NotTfroles => {
                        in_the_way.push((f.path.clone(), None));
                        continue;
                    }
                }
            }
        };
        changes.push(FileChange {
            path: f.path,
            change,
            old,
            new: Some(f.contents),
        });
    }
    if !in_the_way.is_empty() {
        return Err(Error::HandWritten { files: in_the_way });
    }
    for rel in stale {
        let abs = root.join(&rel);
        let old = fs::read_to_string(&abs).map_err(io(&abs))?;
        changes.push(FileChange {
            path: rel,
            change: Change::Remove,
            old: Some(old),
            new: None,
        });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan {
        root: root.clone(),
        files: changes,
    })
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
                Change::Remove => s.removed += 1,
                Change::Unchanged => s.unchanged += 1,
            }
        }
        s
    }

    /// A unified diff of every change, with paths relative to the config's directory.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for f in self.drift() {
            let old = f.old.as_deref().unwrap_or("");
            let new = f.new.as_deref().unwrap_or("");
            let (a, b) = match f.change {
                Change::Create => ("/dev/null".to_owned(), format!("b/{}", f.path)),
                Change::Remove => (format!("a/{}", f.path), "/dev/null".to_owned()),
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

    /// Writes the plan: each file atomically (a temporary file in the same
    /// directory, then a rename), unchanged files untouched (their mtime
    /// stays), stale generated files removed.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn apply(&self) -> Result<Summary, Error> {
        for f in &self.files {
            let abs = self.root.join(f.path.split('/').collect::<PathBuf>());
            match (f.change, &f.new) {
                (Change::Unchanged, _) => {}
                (Change::Remove, _) => fs::remove_file(&abs).map_err(io(&abs))?,
                (change, Some(new)) => {
                    if change == Change::TakeOver {
                        let mut kept = abs.clone().into_os_string();
                        kept.push(".tfroles-orig");
                        fs::copy(&abs, &kept).map_err(io(Path::new(&kept)))?;
                    }
                    write_atomic(&abs, new.as_bytes())?;
                }
                (_, None) => unreachable!("only removals have no new contents"),
            }
        }
        Ok(self.summary())
    }
}

fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tfroles-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    tmp.write_all(contents).map_err(io(path))?;
    // Temporary files are created 0600; a generated file is as readable as
    // the file it replaces, or as an ordinary new file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(io(path))?;
    }
    tmp.persist(path).map_err(|e| io(path)(e.error))?;
    Ok(())
}
