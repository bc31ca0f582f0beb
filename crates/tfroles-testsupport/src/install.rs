use std::fs;
use std::path::Path;

use crate::write_atomic;

/// Name of the file, inside an install directory, that says the install is
/// complete. It is written last, so its presence means nothing is half done.
const MARKER: &str = ".tfroles-installed";

/// Installs something into `dir` once per machine, safe against any number of
/// concurrent callers in any number of processes.
///
/// `spec` describes what should be installed (for example the pinned
/// requirement list). When `dir` already holds a complete install of the same
/// `spec`, this returns at once. Otherwise it takes an exclusive file lock
/// (`<dir>.lock` beside `dir`), checks again, empties `dir`, runs `install`
/// with the (empty, existing) directory and finally records `spec` in a
/// marker file. A changed `spec` therefore triggers a fresh install, and an
/// install that failed or was interrupted (no marker) is redone by the next
/// caller.
///
/// The lock is released when this returns or unwinds, and by the OS if the
/// process dies, so a crashed install never blocks later runs.
pub fn install_once<F>(dir: &Path, spec: &str, install: F) -> Result<(), String>
where
    F: FnOnce(&Path) -> Result<(), String>,
{
    if marker_matches(dir, spec) {
        return Ok(());
    }
    let (parent, name) = match (dir.parent(), dir.file_name()) {
        (Some(parent), Some(name)) => (parent, name),
        _ => return Err(format!("cannot install into {}", dir.display())),
    };
    fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let lock_path = parent.join(format!("{}.lock", name.to_string_lossy()));
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;

    // Another process may have finished the install while we waited.
    if marker_matches(dir, spec) {
        return Ok(());
    }
    if dir.exists() {
        fs::remove_dir_all(dir)
            .map_err(|e| format!("cannot remove the stale install at {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    install(dir)?;
    write_atomic(&dir.join(MARKER), spec.as_bytes())
        .map_err(|e| format!("cannot write the install marker in {}: {e}", dir.display()))?;
    drop(lock);
    Ok(())
}

fn marker_matches(dir: &Path, spec: &str) -> bool {
    fs::read_to_string(dir.join(MARKER)).is_ok_and(|found| found == spec)
}
