//! What terraform is given besides the `.tf` files, gathered per directory:
//! variable values (declarations' defaults, the tfvars files terraform loads
//! by itself, `--var-file`, `--var`), locals, and the partial backend
//! settings `terraform init -backend-config` would merge in.

use std::collections::BTreeMap;
use std::path::Path;

use tfroles_core::raw;

use super::eval::{self, Env, LocalSrc};
use super::read::{self, Attr, Lit, Node, source};
use super::scan::io;
use super::{BackendConfig, CliVar, Cx};
use crate::Error;

/// A directory's file read with core's reader, before evaluation.
pub(super) struct RawFile {
    pub(super) name: String,
    pub(super) rel: String,
    pub(super) text: String,
    pub(super) body: raw::Body,
}

/// Files terraform reads variable values from by itself, in its order:
/// `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars` and
/// `*.auto.tfvars.json` by name.
fn auto_loaded(name: &str) -> Option<(u8, bool)> {
    match name {
        "terraform.tfvars" => Some((0, false)),
        "terraform.tfvars.json" => Some((1, false)),
        _ if name.ends_with(".auto.tfvars") => Some((2, false)),
        _ if name.ends_with(".auto.tfvars.json") => Some((2, true)),
        _ => None,
    }
}

/// Files that complete a partial backend (`terraform init -backend-config=FILE`).
fn is_backend_config(name: &str) -> bool {
    name.ends_with(".tfbackend")
        || matches!(name, "backend.hcl" | "backend.conf" | "backend.tfvars")
}

/// Regular files directly in `dir`, sorted; links and others are not read.
fn regular_files(dir: &Path) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        if e.file_type().is_ok_and(|t| t.is_file())
            && let Ok(n) = e.file_name().into_string()
        {
            names.push(n);
        }
    }
    names.sort();
    Ok(names)
}

fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = crate::sync::read_regular(path).map_err(io(path))?;
    String::from_utf8(bytes).map_err(|_| Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other("not UTF-8"),
    })
}

fn values_of(name: &str, text: &str) -> Result<Vec<(String, hcl::Value)>, String> {
    if name.ends_with(".json") {
        eval::tfvars_json(text)
    } else {
        eval::tfvars(text)
    }
}

impl Cx {
    /// Reads `--var-file` files and `--var` values once, for every directory.
    pub(super) fn load_cli_vars(&mut self) -> Result<(), Error> {
        for path in self.opts.var_files.clone() {
            let text = read_text(&path)?;
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let values = values_of(name, &text).map_err(|m| Error::Read {
                path: path.clone(),
                source: std::io::Error::other(format!("not a variable definitions file: {m}")),
            })?;
            for (k, v) in values {
                self.cli_vars.push((k, CliVar::Value(v)));
            }
        }
        for (k, v) in self.opts.vars.clone() {
            self.cli_vars.push((k, CliVar::Text(v)));
        }
        Ok(())
    }

    /// The values a directory's expressions are evaluated with, and its locals' sources.
    pub(super) fn dir_env(
        &mut self,
        abs: &Path,
        rel_dir: &str,
        files: &[RawFile],
        workspace: Option<&str>,
    ) -> Result<(Env, BTreeMap<String, LocalSrc>), Error> {
        let workspace = workspace
            .map(str::to_owned)
            .or_else(|| self.opts.workspace.clone())
            .unwrap_or_else(|| "default".into());
        let mut env = Env::new(&workspace);
        self.declare_variables(&mut env, files);
        self.tfvars(&mut env, abs, rel_dir)?;
        self.command_line_vars(&mut env, rel_dir);
        let locals = locals_of(files);
        env.resolve_locals(&locals);
        Ok((env, locals))
    }

    /// The `variable` blocks: declarations, and the defaults as values.
    fn declare_variables(&mut self, env: &mut Env, files: &[RawFile]) {
        for f in files {
            for b in &f.body.blocks {
                if b.ident != "variable" || b.labels.len() != 1 {
                    continue;
                }
                let name = b.labels[0].clone();
                let line = b.loc.map_or(1, |l| l.line);
                let hcl_typed = b
                    .body
                    .attributes
                    .iter()
                    .find(|a| a.name == "type")
                    .is_some_and(|a| source(&f.text, &a.value).trim() != "string");
                env.decls.insert(
                    name.clone(),
                    eval::VarDecl {
                        file: f.rel.clone(),
                        line,
                        hcl_typed,
                    },
                );
                if let Some(d) = b.body.attributes.iter().find(|a| a.name == "default") {
                    match eval::constant(source(&f.text, &d.value)) {
                        Ok(v) => {
                            env.vars.insert(name, v);
                        }
                        Err(m) => self.note(
                            &f.rel,
                            d.loc.map_or(line, |l| l.line),
                            format!("variable `{name}`: the default does not evaluate ({m}): treated as unset"),
                        ),
                    }
                }
            }
        }
    }

    /// The values of the tfvars files terraform loads by itself, in its
    /// order; a finding for the others, which it loads only when told.
    fn tfvars(&mut self, env: &mut Env, abs: &Path, rel_dir: &str) -> Result<(), Error> {
        let names = regular_files(abs)?;
        let mut auto: Vec<(u8, String)> = names
            .iter()
            .filter_map(|n| auto_loaded(n).map(|(rank, _)| (rank, n.clone())))
            .collect();
        auto.sort();
        for (_, name) in auto {
            let rel = format!("{rel_dir}/{name}");
            let text = match read_text(&abs.join(&name)) {
                Ok(t) => t,
                Err(e) => {
                    self.note(
                        &rel,
                        1,
                        format!("cannot read this file ({e}): its values are not used"),
                    );
                    continue;
                }
            };
            match values_of(&name, &text) {
                Ok(values) => {
                    for (k, v) in values {
                        env.vars.insert(k, v);
                    }
                }
                Err(m) => self.note(
                    &rel,
                    1,
                    format!("cannot read variable values here ({m}): not used"),
                ),
            }
        }
        for name in &names {
            let other_tfvars = (name.ends_with(".tfvars") || name.ends_with(".tfvars.json"))
                && auto_loaded(name).is_none();
            if other_tfvars && self.opts.var_files.is_empty() {
                self.note(
                    &format!("{rel_dir}/{name}"),
                    1,
                    "terraform reads this file only when given `-var-file`: not used (pass it with `tfroles import --var-file`)",
                );
            }
        }
        Ok(())
    }

    /// `--var` and `--var-file` values, over everything else.
    fn command_line_vars(&mut self, env: &mut Env, rel_dir: &str) {
        for (k, v) in self.cli_vars.clone() {
            let value = match v {
                CliVar::Value(v) => v,
                CliVar::Text(t) => {
                    let typed = env.decls.get(&k).is_some_and(|d| d.hcl_typed);
                    match eval::cli_var(&t, typed) {
                        Ok(v) => v,
                        Err(m) => {
                            self.note(rel_dir, 1, format!("`--var {k}=...` is not a value of the variable's type ({m}): not used here"));
                            continue;
                        }
                    }
                }
            };
            env.vars.insert(k, value);
        }
    }

    /// The settings `terraform init -backend-config` would merge over the
    /// backend block: `--backend-config` arguments, or else the one partial
    /// backend file next to the stack. Returns the attributes in order.
    pub(super) fn backend_config(
        &mut self,
        abs: &Path,
        rel_dir: &str,
        backend_file: &str,
        backend_line: usize,
        env: &Env,
    ) -> Result<Vec<Attr>, Error> {
        if !self.opts.backend_configs.is_empty() {
            return self.backend_config_args(backend_line, env);
        }
        let Some(chosen) = self.partial_backend_file(abs, backend_file, backend_line)? else {
            return Ok(Vec::new());
        };
        let rel = format!("{rel_dir}/{chosen}");
        let text = read_text(&abs.join(&chosen))?;
        self.note(
            &rel,
            1,
            format!("backend \"s3\" completed from {chosen}, as `terraform init -backend-config={chosen}` would"),
        );
        Ok(self.backend_config_file(&text, &rel, env))
    }

    /// The `--backend-config` arguments (files and `KEY=VALUE`), in order.
    fn backend_config_args(&mut self, backend_line: usize, env: &Env) -> Result<Vec<Attr>, Error> {
        let mut out: Vec<Attr> = Vec::new();
        for bc in self.opts.backend_configs.clone() {
            match bc {
                BackendConfig::File(p) => {
                    let text = read_text(&p)?;
                    out.extend(self.backend_config_file(&text, &p.display().to_string(), env));
                }
                BackendConfig::Pair(k, v) => out.push(Attr {
                    key: k,
                    line: backend_line,
                    node: Node {
                        line: backend_line,
                        v: Ok(Lit::Str(v)),
                    },
                }),
            }
        }
        Ok(out)
    }

    /// The partial backend file next to the stack that terraform would be
    /// given: the only one, or with several the workspace's
    /// (`NAME.tfbackend`); none, with a finding, when that cannot be told.
    fn partial_backend_file(
        &mut self,
        abs: &Path,
        backend_file: &str,
        backend_line: usize,
    ) -> Result<Option<String>, Error> {
        let names: Vec<String> = regular_files(abs)?
            .into_iter()
            .filter(|n| is_backend_config(n))
            .collect();
        let workspace = self.opts.workspace.clone();
        Ok(match names.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            many => {
                let pick = workspace.as_ref().and_then(|w| {
                    many.iter()
                        .find(|n| n.strip_suffix(".tfbackend") == Some(w.as_str()))
                        .cloned()
                });
                if pick.is_none() {
                    self.note(
                        backend_file,
                        backend_line,
                        format!(
                            "backend \"s3\": several backend config files here ({}): none is merged; name one with `--backend-config FILE` (or `--workspace NAME` for NAME.tfbackend)",
                            many.join(", ")
                        ),
                    );
                }
                pick
            }
        })
    }

    /// A backend config file's attributes; a finding for each block in
    /// it, or for a file that does not parse.
    fn backend_config_file(&mut self, text: &str, rel: &str, env: &Env) -> Vec<Attr> {
        match read::parse(text, rel, env) {
            Ok((attrs, blocks)) => {
                for b in blocks {
                    self.note(
                        rel,
                        b.line,
                        format!(
                            "the `{}` block in a backend config file: not carried over",
                            b.ident
                        ),
                    );
                }
                attrs
            }
            Err(e) => {
                self.note(
                    rel,
                    e.stopped_at.line,
                    "cannot parse this backend config file: not used",
                );
                Vec::new()
            }
        }
    }
}

/// The sources of the `locals` blocks' values, by name.
fn locals_of(files: &[RawFile]) -> BTreeMap<String, LocalSrc> {
    let mut locals = BTreeMap::new();
    for f in files {
        for b in &f.body.blocks {
            if b.ident != "locals" {
                continue;
            }
            for a in &b.body.attributes {
                locals.insert(
                    a.name.clone(),
                    LocalSrc {
                        text: source(&f.text, &a.value).to_owned(),
                        file: f.rel.clone(),
                        line: a.loc.map_or(1, |l| l.line),
                    },
                );
            }
        }
    }
    locals
}
