//! The cache hit of `tfroles credential-process`, before anything else
//! runs: no clap, no logging, no config parse, no IAM catalog.
//!
//! terraform and the SDKs run the credential helper before every use of a
//! profile, so a hit must cost about what starting a process costs. The
//! hit index (`tfroles_creds::index`) maps a hash of this run's exact
//! inputs to what the full run decided; here those inputs are gathered
//! ([`Inputs`]), and after a full run that succeeded they are recorded
//! ([`record`]) when the full run read exactly the config file this
//! module would hash. Any doubt is a miss, and the full run decides.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use tfroles_core::Config;
use tfroles_creds::{Cache, Env, IndexEntry};

/// Everything the index key is made of, gathered the same way on a hit
/// and when recording.
pub struct Inputs {
    args: Vec<String>,
    env: Env,
    /// The config file this run would read, as `load_path` names it
    /// (`None`: `--role-arn`, no config).
    config: Option<PathBuf>,
    key: String,
}

/// The arguments after the program name, when they are a
/// `credential-process` call the index may answer: all UTF-8, no
/// `--no-cache`, no help, version or verbosity (whose output a hit would
/// skip).
fn eligible(args: Vec<OsString>) -> Option<Vec<String>> {
    let args: Vec<String> = args
        .into_iter()
        .map(OsString::into_string)
        .collect::<Result<_, _>>()
        .ok()?;
    if args.first().map(String::as_str) != Some("credential-process") {
        return None;
    }
    // `-v` once is allowed: a hit then says so on stderr. More verbosity
    // wants the full run's debug lines.
    let refused = |a: &str| {
        matches!(a, "--no-cache" | "--help" | "-h" | "--version" | "-V")
            || (a.starts_with("--verbose") && a != "--verbose")
            || (a.starts_with('-')
                && !a.starts_with("--")
                && a != "-v"
                && a[1..].contains(['v', 'h', 'V']))
    };
    let verbose = args[1..]
        .iter()
        .filter(|a| *a == "-v" || *a == "--verbose")
        .count();
    if verbose > 1 || args[1..].iter().any(|a| refused(a)) {
        return None;
    }
    Some(args)
}

/// The config file the full run reads, by the rules of `load_path`:
/// `--config`/`-c` (any of clap's spellings), else `TFROLES_CONFIG`, else
/// the nearest `tfroles.hcl`; none with `--role-arn`. `Err` when unsure.
fn config_path(args: &[String], env: &Env, cwd: &Path) -> Result<Option<PathBuf>, ()> {
    let mut explicit = None;
    let mut arn = false;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let value = if a == "--config" || a == "-c" {
            Some(it.next().ok_or(())?.clone())
        } else if let Some(v) = a.strip_prefix("--config=") {
            Some(v.to_owned())
        } else if let Some(v) = a.strip_prefix("-c").filter(|v| !v.is_empty()) {
            Some(v.strip_prefix('=').unwrap_or(v).to_owned())
        } else {
            if a == "--role-arn" || a.starts_with("--role-arn=") {
                arn = true;
            }
            None
        };
        if let Some(v) = value {
            if explicit.is_some() {
                return Err(());
            }
            explicit = Some(PathBuf::from(v));
        }
    }
    if arn {
        return if explicit.is_some() {
            Err(())
        } else {
            Ok(None)
        };
    }
    if let Some(p) = explicit {
        return Ok(Some(p));
    }
    if let Some(p) = env.non_empty("TFROLES_CONFIG") {
        return Ok(Some(PathBuf::from(p)));
    }
    let found = Config::find(cwd).map_err(|_| ())?;
    Ok(Some(
        found
            .strip_prefix(cwd)
            .map(Path::to_path_buf)
            .unwrap_or(found),
    ))
}

/// The binary itself, so that another build or version never answers
/// from an index a different one wrote.
fn exe_identity() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let m = std::fs::metadata(&exe).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(format!(
            "{}:{}:{}:{}.{}:{}",
            exe.display(),
            m.dev(),
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            m.size()
        ))
    }
    #[cfg(not(unix))]
    Some(format!(
        "{}:{}:{:?}",
        exe.display(),
        m.len(),
        m.modified().ok()?
    ))
}

impl Inputs {
    /// This process's inputs, if it is a call the index may answer.
    pub fn gather() -> Option<Inputs> {
        let args = eligible(std::env::args_os().skip(1).collect())?;
        let env = Env::from_process();
        if env.non_empty("RUST_LOG").is_some() {
            return None;
        }
        let cwd = std::env::current_dir().ok()?;
        let config = config_path(&args, &env, &cwd).ok()?;
        let contents = match &config {
            Some(p) => Some(tfroles_core::read_config_file(p).ok()?),
            None => None,
        };
        let exe = exe_identity()?;
        let count = args.len().to_string();
        let mut parts: Vec<&[u8]> = vec![exe.as_bytes(), count.as_bytes()];
        parts.extend(args.iter().map(|a| a.as_bytes()));
        let cwd_text = cwd.to_string_lossy();
        parts.push(cwd_text.as_bytes());
        let config_text = config
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        parts.push(if config.is_some() {
            b"config"
        } else {
            b"no config"
        });
        parts.push(config_text.as_bytes());
        parts.push(contents.as_deref().unwrap_or_default());
        // The variables a full run reads before naming its entry: AWS's,
        // tfroles', the cache's location, the CI token sources and what
        // `{user}` and `{run}` are read from. Not the
        // whole environment: terraform's provider plugins get a new
        // PLUGIN_CLIENT_CERT every run (and hyperfine a random variable),
        // which would make every call a miss. What else decides the key
        // (the base identity, its token, the endpoint) is read again on
        // a hit.
        let vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| {
                ["AWS_", "TFROLES_", "TFC_", "ACTIONS_ID_TOKEN_"]
                    .iter()
                    .any(|p| k.starts_with(p))
                    || k == "HOME"
                    || k == "XDG_CACHE_HOME"
                    // `{user}` and `{run}` of the session name and source
                    // identity: another run is another session.
                    || tfroles_core::naming::USER_VARIABLES.contains(&k.as_str())
                    || tfroles_core::naming::RUN_VARIABLES.contains(&k.as_str())
            })
            .collect();
        let mut vars: Vec<&(String, String)> = vars.iter().collect();
        vars.sort();
        let n = vars.len().to_string();
        parts.push(n.as_bytes());
        for (k, v) in &vars {
            parts.push(k.as_bytes());
            parts.push(v.as_bytes());
        }
        let key = tfroles_creds::index_key(&parts);
        Some(Inputs {
            args,
            env,
            config,
            key,
        })
    }
}

/// Answers the call from the index, if it can: `Some` when the
/// credentials were printed.
pub fn try_hit() -> Option<std::process::ExitCode> {
    let inputs = Inputs::gather()?;
    let cache = Cache::open(&Cache::default_dir(&inputs.env).ok()?).ok()?;
    let c = tfroles_creds::hit(&cache, &inputs.key, &inputs.env, jiff::Timestamp::now())?;
    if inputs.args.iter().any(|a| a == "-v" || a == "--verbose") {
        eprintln!(
            " INFO cache hit from the hit index (config not read): access_key_id={} expiration={}",
            c.access_key_id, c.expiration
        );
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", c.to_process_json()).ok()?;
    out.flush().ok()?;
    Some(std::process::ExitCode::SUCCESS)
}

/// After a full run that succeeded: records what it decided, when this
/// process's inputs are ones a hit would gather, the full run read the
/// same config file the hit would hash (`config_read`), and the inputs
/// gathered before the run (`before`) are still the same (a config edited
/// while the run read it is not recorded). Failing to record only costs
/// the next call its speed.
pub fn record(
    before: Option<Inputs>,
    config_read: Option<&Path>,
    cache: Option<&Cache>,
    entry: IndexEntry,
) {
    let (Some(before), Some(inputs), Some(cache)) = (before, Inputs::gather(), cache) else {
        return;
    };
    if inputs.key != before.key || inputs.config.as_deref() != config_read {
        return;
    }
    if let Err(e) = cache.write_index(&inputs.key, &entry) {
        tracing::debug!(error = %e, "the hit index was not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn only_plain_credential_process_calls_are_eligible() {
        let ok = |a: &[&str]| eligible(a.iter().map(OsString::from).collect()).is_some();
        assert!(ok(&["credential-process", "--role", "x"]));
        assert!(ok(&["credential-process", "-v", "--role", "x"]));
        assert!(!ok(&["env", "--role", "x"]));
        assert!(!ok(&["--config", "c", "credential-process", "--role", "x"]));
        assert!(!ok(&["credential-process", "--role", "x", "--no-cache"]));
        assert!(!ok(&["credential-process", "-vv", "--role", "x"]));
        assert!(!ok(&["credential-process", "-v", "-v", "--role", "x"]));
        assert!(!ok(&["credential-process", "--help"]));
    }

    #[test]
    fn the_config_path_follows_clap_spellings_and_then_the_environment() {
        let env = Env::from_pairs([("TFROLES_CONFIG", "from-env.hcl")]);
        let cwd = Path::new("/nonexistent");
        let p = |a: &[&str]| config_path(&args(a), &env, cwd);
        let some = |s: &str| Ok(Some(PathBuf::from(s)));
        assert_eq!(
            p(&["credential-process", "--config", "a.hcl", "--role", "x"]),
            some("a.hcl")
        );
        assert_eq!(
            p(&["credential-process", "--config=a.hcl", "--role", "x"]),
            some("a.hcl")
        );
        assert_eq!(
            p(&["credential-process", "-c", "a.hcl", "--role", "x"]),
            some("a.hcl")
        );
        assert_eq!(
            p(&["credential-process", "-ca.hcl", "--role", "x"]),
            some("a.hcl")
        );
        assert_eq!(
            p(&["credential-process", "-c=a.hcl", "--role", "x"]),
            some("a.hcl")
        );
        assert_eq!(
            p(&["credential-process", "--role", "x"]),
            some("from-env.hcl")
        );
        assert_eq!(p(&["credential-process", "--role-arn", "arn"]), Ok(None));
        assert_eq!(
            p(&["credential-process", "-c", "a", "-c", "b", "--role", "x"]),
            Err(())
        );
        assert_eq!(
            p(&["credential-process", "--role", "x", "--config"]),
            Err(())
        );
    }

    #[test]
    fn index_keys_separate_their_parts() {
        let k = |p: &[&[u8]]| tfroles_creds::index_key(p);
        assert_ne!(k(&[b"ab", b"c"]), k(&[b"a", b"bc"]));
        assert_eq!(k(&[b"ab", b"c"]), k(&[b"ab", b"c"]));
    }
}
