use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use serde_json::Value;

use crate::{find_on_path, install_once, peers_dir, tail};

/// The npm package that carries HashiCorp's HCL parser (compiled to
/// WebAssembly), used as an independent second parser.
pub const HCL2JSON_PACKAGE: &str = "@cdktf/hcl2json";
/// The pinned version of [`HCL2JSON_PACKAGE`].
pub const HCL2JSON_VERSION: &str = "0.21.0";

/// Reads `[[name, text], ...]` as JSON on stdin and prints one
/// `{"ok": <json>}` or `{"err": "<message>"}` per file, so one node start
/// (about half a second) serves any number of files.
const SCRIPT: &str = r#"'use strict';
const { parse } = require('@cdktf/hcl2json');
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', async () => {
  const files = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const results = [];
  for (const [name, text] of files) {
    try {
      results.push({ ok: await parse(name, text) });
    } catch (e) {
      results.push({ err: String(e && e.message ? e.message : e) });
    }
  }
  process.stdout.write(JSON.stringify(results));
});
"#;

/// Parses `text` (named `file_name` in messages) with HashiCorp's HCL parser
/// and returns its JSON form, as `@cdktf/hcl2json`'s `parse` gives it: blocks
/// become arrays of objects keyed by labels, literal values become JSON
/// values, and expressions become `"${...}"` strings.
///
/// The package is installed with npm into `<peers_dir>/node` on first use.
///
/// # Panics
///
/// When the text is not valid HCL (with the parser's message), or when node
/// or the package is not available.
pub fn hcl2json(file_name: &str, text: &str) -> Value {
    try_hcl2json(file_name, text).unwrap_or_else(|e| {
        panic!("HashiCorp's HCL parser rejected {file_name}: {e}\n--- {file_name} ---\n{text}")
    })
}

/// Like [`hcl2json`], but a parse error is returned instead of panicking, for
/// tests that check that some text is rejected.
///
/// # Panics
///
/// When node or the package is not available.
pub fn try_hcl2json(file_name: &str, text: &str) -> Result<Value, String> {
    try_hcl2json_many(&[(file_name, text)])
        .pop()
        .expect("one result per file")
}

/// Parses many `(file_name, text)` pairs in one node process (node starts in
/// about half a second; each further file costs about a millisecond).
///
/// # Panics
///
/// When any file is not valid HCL, naming the file.
pub fn hcl2json_many<N: AsRef<str>, T: AsRef<str>>(files: &[(N, T)]) -> Vec<Value> {
    try_hcl2json_many(files)
        .into_iter()
        .zip(files)
        .map(|(result, (name, text))| {
            let (name, text) = (name.as_ref(), text.as_ref());
            result.unwrap_or_else(|e| {
                panic!("HashiCorp's HCL parser rejected {name}: {e}\n--- {name} ---\n{text}")
            })
        })
        .collect()
}

/// Like [`hcl2json_many`], with one `Result` per file instead of panicking on
/// the first parse error.
///
/// # Panics
///
/// When node or the package is not available.
pub fn try_hcl2json_many<N: AsRef<str>, T: AsRef<str>>(
    files: &[(N, T)],
) -> Vec<Result<Value, String>> {
    if files.is_empty() {
        return Vec::new();
    }
    let input: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_ref(), text.as_ref()))
        .collect();
    let input = serde_json::to_vec(&input).expect("strings serialise");
    let (node, script) = node_env();

    let mut child = Command::new(node)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "peer `hcl2json`: cannot run `node {}`: {e}",
                script.display()
            )
        });
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // From another thread, so a large input cannot deadlock against node's
    // output filling its pipe.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("peer `hcl2json`: cannot wait for node: {e}"));
    let _ = writer.join();
    if !output.status.success() {
        panic!(
            "peer `hcl2json`: `node {}` exited with {}:\n{}",
            script.display(),
            output.status,
            tail(&String::from_utf8_lossy(&output.stderr), 4000)
        );
    }
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "peer `hcl2json`: node printed something that is not the expected JSON ({e}):\n{}",
            tail(&String::from_utf8_lossy(&output.stdout), 2000)
        )
    });
    assert_eq!(
        results.len(),
        files.len(),
        "peer `hcl2json`: one result per file"
    );
    results
        .into_iter()
        .map(|mut result| {
            if let Some(ok) = result.get_mut("ok") {
                return Ok(ok.take());
            }
            match result.get("err").and_then(Value::as_str) {
                Some(err) => Err(err.to_owned()),
                None => panic!("peer `hcl2json`: unexpected result {result}"),
            }
        })
        .collect()
}

/// `node` and the parse script, installing the package on first use.
fn node_env() -> (&'static Path, &'static Path) {
    static ENV: OnceLock<Result<(PathBuf, PathBuf), String>> = OnceLock::new();
    match ENV.get_or_init(install_hcl2json) {
        Ok((node, script)) => (node, script),
        Err(message) => panic!("{message}"),
    }
}

fn install_hcl2json() -> Result<(PathBuf, PathBuf), String> {
    let dir = peers_dir().join("node");
    let fail = |what: String| {
        format!(
            "peer `hcl2json` ({HCL2JSON_PACKAGE}@{HCL2JSON_VERSION}, HashiCorp's HCL parser) \
             is not available.\n\
             Tried: `npm install {HCL2JSON_PACKAGE}@{HCL2JSON_VERSION}` into {}.\n\
             Failed: {what}\n\
             Fix: install Node.js 18+ with npm as `node` and `npm` on PATH \
             (Debian: apt-get install nodejs npm) and make the npm registry reachable; \
             then rerun the tests",
            dir.display()
        )
    };
    let node = find_on_path("node").ok_or_else(|| fail("`node` is not on PATH".into()))?;
    let npm = find_on_path("npm").ok_or_else(|| fail("`npm` is not on PATH".into()))?;

    // The script is part of the spec so that editing it reinstalls it.
    let spec = format!("{HCL2JSON_PACKAGE}@{HCL2JSON_VERSION}\n{SCRIPT}");
    let started = Instant::now();
    let mut installed = false;
    install_once(&dir, &spec, |dir| {
        installed = true;
        npm_install(&npm, dir)
    })
    .map_err(&fail)?;
    if installed {
        eprintln!(
            "tfroles-testsupport: installed {HCL2JSON_PACKAGE}@{HCL2JSON_VERSION} in {:.1?}",
            started.elapsed()
        );
    }
    Ok((node, dir.join("hcl2json.js")))
}

fn npm_install(npm: &Path, dir: &Path) -> Result<(), String> {
    let package = serde_json::json!({
        "name": "tfroles-testsupport-peers",
        "private": true,
        "dependencies": { HCL2JSON_PACKAGE: HCL2JSON_VERSION },
    });
    fs::write(dir.join("package.json"), package.to_string())
        .map_err(|e| format!("cannot write package.json in {}: {e}", dir.display()))?;
    fs::write(dir.join("hcl2json.js"), SCRIPT)
        .map_err(|e| format!("cannot write hcl2json.js in {}: {e}", dir.display()))?;
    let output = Command::new(npm)
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`npm install` exited with {}:\n{}{}",
            output.status,
            tail(&String::from_utf8_lossy(&output.stdout), 2000),
            tail(&String::from_utf8_lossy(&output.stderr), 4000)
        ));
    }
    Ok(())
}
