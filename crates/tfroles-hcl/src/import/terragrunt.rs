//! Terragrunt units: a directory's `terragrunt.hcl` and the configs it
//! includes, read into the same backend and provider blocks a `.tf` file
//! would hold, so the rest of import treats them alike.
//!
//! Read: `include` (`path = find_in_parent_folders(...)` or a path),
//! `locals`, `remote_state { backend = "s3" config = {...} }` (block or
//! attribute), `iam_role`, `iam_assume_role_duration`,
//! `iam_assume_role_session_name`, `iam_web_identity_token`, and `generate`
//! blocks whose `contents` hold `provider "aws"` blocks. A unit's own
//! settings win over an included config's, as Terragrunt merges them.
//! `path_relative_to_include()`, `get_terragrunt_dir()` and
//! `find_in_parent_folders()` are evaluated; `get_aws_account_id()`,
//! `read_terragrunt_config()` and other functions are unknown, reported
//! once per cause.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tfroles_core::raw;
use tfroles_core::types::StackPath;

use super::eval::Env;
use super::read::{self, Attr, Blk, Lit, Node, ParsedFile, from_value, source};
use super::{Cx, Scan};
use crate::Error;

pub(super) const CONFIG: &str = "terragrunt.hcl";
/// Directories Terragrunt or terraform fill themselves: never units.
const SKIP: &[&str] = &[".terragrunt-cache", ".terraform", ".git"];
/// Bounds on the walk: a hostile tree cannot make it run forever.
const MAX_DEPTH: usize = 32;
const MAX_DIRS: usize = 100_000;
/// Keys of `remote_state.config` that only Terragrunt reads (it creates and
/// configures the bucket with them); tfroles never creates the bucket.
const TERRAGRUNT_ONLY: &[&str] = &[
    "s3_bucket_tags",
    "dynamodb_table_tags",
    "accesslogging_bucket_name",
    "accesslogging_bucket_tags",
    "accesslogging_target_prefix",
    "accesslogging_target_object_partition_date_source",
    "bucket_sse_algorithm",
    "bucket_sse_kms_key_id",
    "enable_lock_table_ssencryption",
    "disable_bucket_update",
    "disable_aws_client_checksums",
    "skip_bucket_versioning",
    "skip_bucket_ssencryption",
    "skip_bucket_accesslogging",
    "skip_bucket_root_access",
    "skip_bucket_enforced_tls",
    "skip_bucket_public_access_blocking",
    "skip_accesslogging_bucket_acl",
    "skip_accesslogging_bucket_enforced_tls",
    "skip_accesslogging_bucket_public_access_blocking",
    "skip_accesslogging_bucket_ssencryption",
    "skip_create",
];

/// Directories below `root` holding a `terragrunt.hcl`, relative, sorted.
pub(super) fn find(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    let mut seen = 0;
    while let Some((dir, rel, depth)) = pending.pop() {
        seen += 1;
        if seen > MAX_DIRS {
            break;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir()
                && depth < MAX_DEPTH
                && !name.starts_with('.')
                && !SKIP.contains(&name.as_str())
            {
                let r = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                pending.push((e.path(), r, depth + 1));
            } else if t.is_file() && name == CONFIG && !rel.is_empty() {
                out.push(rel.clone());
            }
        }
    }
    out.sort();
    out
}

/// One parsed Terragrunt config.
struct Conf {
    /// Relative to the imported directory (for findings).
    rel: String,
    /// Its directory.
    dir: PathBuf,
    text: String,
    body: raw::Body,
}

fn read_conf(cx: &mut Cx, root: &Path, abs: &Path) -> Option<Conf> {
    let rel = abs.strip_prefix(root).map_or_else(
        |_| abs.display().to_string(),
        |p| p.to_string_lossy().into_owned(),
    );
    let text = match crate::sync::read_regular(abs).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        _ => {
            cx.note(
                &rel,
                1,
                "cannot read this Terragrunt config (not a regular UTF-8 file): skipped",
            );
            return None;
        }
    };
    match raw::parse_body(&text) {
        Ok(body) => Some(Conf {
            rel,
            dir: abs.parent().unwrap_or(root).to_path_buf(),
            text,
            body,
        }),
        Err(e) => {
            cx.note(
                &rel,
                e.loc.line,
                "cannot parse this Terragrunt config: skipped",
            );
            None
        }
    }
}

/// `find_in_parent_folders("name")`: the nearest `name` above `from`.
fn find_in_parents(from: &Path, name: &str) -> Option<PathBuf> {
    let mut dir = from.parent();
    let mut n = 0;
    while let Some(d) = dir {
        let p = d.join(name);
        if p.is_file() {
            return Some(p);
        }
        dir = d.parent();
        n += 1;
        if n > 64 {
            break;
        }
    }
    None
}

/// The string argument of a call in `text` (`f("x")` gives `x`), or `None`
/// for no argument.
fn call_arg(text: &str, func: &str) -> Option<Option<String>> {
    let at = text.find(&format!("{func}("))?;
    let rest = &text[at + func.len() + 1..];
    let close = rest.find(')')?;
    let arg = rest[..close].trim();
    if arg.is_empty() {
        return Some(None);
    }
    Some(Some(arg.trim_matches('"').to_owned()))
}

/// Text with Terragrunt's path functions replaced by their values for
/// this unit, as string literals.
fn substitute(
    text: &str,
    unit_dir: &Path,
    include_dir: &Path,
    unit_rel_to_include: &str,
) -> String {
    let lit = |s: &str| format!("{s:?}");
    let mut t = text.replace("path_relative_to_include()", &lit(unit_rel_to_include));
    t = t.replace(
        "get_terragrunt_dir()",
        &lit(&unit_dir.display().to_string()),
    );
    t = t.replace(
        "get_parent_terragrunt_dir()",
        &lit(&include_dir.display().to_string()),
    );
    t = t.replace(
        "path_relative_from_include()",
        &lit(&relative(include_dir, unit_dir)),
    );
    while let Some(arg) = call_arg(&t, "find_in_parent_folders") {
        let name = arg.clone().unwrap_or_else(|| CONFIG.to_owned());
        let found = find_in_parents(&unit_dir.join(CONFIG), &name).map_or_else(
            || format!("find_in_parent_folders_missing_{}", name.len()),
            |p| p.display().to_string(),
        );
        let call = match &arg {
            Some(a) => {
                // Replace the call as written (quotes and spacing as found).
                let at = t.find("find_in_parent_folders(").unwrap_or(0);
                let end = t[at..].find(')').map_or(t.len(), |e| at + e + 1);
                let _ = a;
                t[at..end].to_owned()
            }
            None => "find_in_parent_folders()".to_owned(),
        };
        t = t.replacen(&call, &lit(&found), 1);
    }
    t
}

/// `to` relative to `from`, `/`-separated (`..` where it climbs).
fn relative(from: &Path, to: &Path) -> String {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_owned(), f.len() - common).collect();
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// A `remote_state` field: name, value, line.
type Field = (String, Node, usize);

/// A setting and where it comes from.
#[derive(Clone)]
struct Setting<'c> {
    conf: &'c Conf,
    expr: &'c raw::Expr,
    line: usize,
}

impl<'c> Setting<'c> {
    fn of(conf: &'c Conf, a: &'c raw::Attribute) -> Self {
        Setting {
            conf,
            expr: &a.value,
            line: a.loc.map_or(1, |l| l.line),
        }
    }
}

/// A unit and the configs it includes, merged as Terragrunt merges them
/// (the unit's own settings win), with what evaluating them needs.
struct Unit<'c> {
    own: &'c Conf,
    /// Attributes by name.
    attrs: BTreeMap<String, Setting<'c>>,
    /// `remote_state` and `generate NAME` blocks.
    blocks: BTreeMap<String, (&'c Conf, &'c raw::Block)>,
    /// The unit's locals resolved, after the path functions.
    env: Env,
    include_dir: PathBuf,
    rel_to_include: String,
    /// `<unit>/terragrunt.hcl`, relative: where findings about the unit point.
    file_rel: String,
}

impl<'c> Unit<'c> {
    fn new(rel: &str, own: &'c Conf, parents: &'c [Conf], workspace: &str) -> Self {
        let mut attrs: BTreeMap<String, Setting> = BTreeMap::new();
        let mut blocks: BTreeMap<String, (&Conf, &raw::Block)> = BTreeMap::new();
        let mut locals_src: Vec<(&Conf, &raw::Attribute)> = Vec::new();
        for c in parents.iter().chain(std::iter::once(own)) {
            for a in &c.body.attributes {
                attrs.insert(a.name.clone(), Setting::of(c, a));
            }
            for b in &c.body.blocks {
                match b.ident.as_str() {
                    "remote_state" => {
                        blocks.insert("remote_state".into(), (c, b));
                    }
                    "generate" => {
                        blocks.insert(
                            format!("generate {}", b.labels.first().cloned().unwrap_or_default()),
                            (c, b),
                        );
                    }
                    "locals" if std::ptr::eq(c, own) => {
                        locals_src.extend(b.body.attributes.iter().map(|a| (c, a)));
                    }
                    _ => {}
                }
            }
        }
        let include_dir = parents.last().map_or(own.dir.clone(), |p| p.dir.clone());
        let rel_to_include = relative(&include_dir, &own.dir);
        let mut unit = Unit {
            own,
            attrs,
            blocks,
            env: Env::new(workspace),
            include_dir,
            rel_to_include,
            file_rel: format!("{rel}/{CONFIG}"),
        };
        let locals: BTreeMap<String, super::eval::LocalSrc> = locals_src
            .iter()
            .map(|(c, a)| {
                (
                    a.name.clone(),
                    super::eval::LocalSrc {
                        text: unit.substitute(source(&c.text, &a.value)),
                        file: c.rel.clone(),
                        line: a.loc.map_or(1, |l| l.line),
                    },
                )
            })
            .collect();
        unit.env.resolve_locals(&locals);
        unit
    }

    /// Text with Terragrunt's path functions replaced for this unit.
    fn substitute(&self, text: &str) -> String {
        substitute(text, &self.own.dir, &self.include_dir, &self.rel_to_include)
    }

    /// A setting's value; `None`, reported (once per cause), where it
    /// cannot be known.
    fn eval(&self, cx: &mut Cx, s: &Setting, what: &str) -> Option<Node> {
        let text = self.substitute(source(&s.conf.text, s.expr));
        match self.env.eval(&text, &s.conf.rel, s.line) {
            Ok(v) => Some(from_value(v, s.line)),
            Err(super::eval::Unknown::Cause(c)) => {
                cx.causes
                    .entry(c)
                    .or_default()
                    .push(format!("terragrunt `{what}` ({}:{})", s.conf.rel, s.line));
                None
            }
            Err(super::eval::Unknown::Fails(m)) => {
                cx.note(
                    &s.conf.rel,
                    s.line,
                    format!("terragrunt: `{what}` does not evaluate ({m}): left out"),
                );
                None
            }
        }
    }

    /// The line of `iam_role` where the unit sets it itself.
    fn own_iam_line(&self) -> Option<usize> {
        self.attrs
            .get("iam_role")
            .filter(|s| std::ptr::eq(s.conf, self.own))
            .map(|s| s.line)
    }
}

/// The role Terragrunt assumes before running terraform (`iam_role` and
/// its duration and session name), as `assume_role` fields.
struct IamSession {
    fields: Vec<(String, Node)>,
    /// The line of `iam_role`.
    line: usize,
}

impl IamSession {
    fn assume_role(&self, line: usize) -> Blk {
        Blk {
            ident: "assume_role".into(),
            labels: vec![],
            line,
            attrs: self
                .fields
                .iter()
                .map(|(k, n)| Attr {
                    key: k.clone(),
                    line: n.line,
                    node: n.clone(),
                })
                .collect(),
            blocks: vec![],
        }
    }
}

impl Cx {
    /// Reads the unit at `rel` into a [`Scan`] of synthetic blocks.
    pub(super) fn terragrunt_unit(
        &mut self,
        root: &Path,
        rel: &str,
    ) -> Result<Option<Scan>, Error> {
        let Ok(path) = rel.parse::<StackPath>() else {
            return Ok(None);
        };
        // Absolute: Terragrunt's path functions give absolute paths.
        let root_abs = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let root = root_abs.as_path();
        let Some(own) = read_conf(self, root, &root.join(rel).join(CONFIG)) else {
            return Ok(None);
        };
        let parents = self.includes(root, &own);
        let workspace = self.opts.workspace.clone();
        let unit = Unit::new(
            rel,
            &own,
            &parents,
            workspace.as_deref().unwrap_or("default"),
        );
        let session = self.iam_session(&unit);
        let backend = match self.remote_state(&unit) {
            Some((c, fields)) => match self.s3_backend(c, &fields, session.as_ref()) {
                Some(b) => Some(b),
                // Not an s3 backend: nothing of the unit is imported.
                None => return Ok(None),
            },
            None => None,
        };
        let mut providers = self.generated_providers(&unit, session.as_ref());
        if providers.is_empty()
            && let Some(s) = &session
        {
            providers.push(self.iam_role_provider(&unit, s, backend.as_ref()));
        }
        let Some(backend) = backend else {
            return Ok(None);
        };
        Ok(Some(self.unit_scan(
            path,
            &unit.file_rel,
            backend,
            providers,
        )))
    }

    /// The configs `unit` includes, nearest last; a finding for each that
    /// cannot be read.
    fn includes(&mut self, root: &Path, unit: &Conf) -> Vec<Conf> {
        let mut parents: Vec<Conf> = Vec::new();
        for b in unit.body.blocks.iter().filter(|b| b.ident == "include") {
            let Some(p) = b.body.attributes.iter().find(|a| a.name == "path") else {
                continue;
            };
            let src = substitute(source(&unit.text, &p.value), &unit.dir, &unit.dir, ".");
            let env = Env::new("default");
            let line = p.loc.map_or(1, |l| l.line);
            match env.eval(&src, &unit.rel, line) {
                Ok(hcl::Value::String(s)) => {
                    let target = unit.dir.join(&s);
                    match target
                        .is_file()
                        .then(|| read_conf(self, root, &target))
                        .flatten()
                    {
                        Some(c) => parents.push(c),
                        None => self.note(
                            &unit.rel,
                            line,
                            format!("include: {s:?} cannot be read: its settings are not used"),
                        ),
                    }
                }
                _ => self.note(
                    &unit.rel,
                    line,
                    "include: the path cannot be evaluated: its settings are not used",
                ),
            }
        }
        parents
    }

    /// The role Terragrunt assumes before running terraform, if `iam_role`
    /// is known; a finding for a web identity token, which is not carried.
    fn iam_session(&mut self, unit: &Unit) -> Option<IamSession> {
        let session = unit.attrs.get("iam_role").and_then(|s| {
            let role = unit.eval(self, s, "iam_role")?;
            let mut fields = vec![("role_arn".to_owned(), role)];
            for (tg, key) in [
                ("iam_assume_role_duration", "duration_seconds"),
                ("iam_assume_role_session_name", "session_name"),
            ] {
                if let Some(s) = unit.attrs.get(tg)
                    && let Some(v) = unit.eval(self, s, tg)
                {
                    fields.push((key.into(), v));
                }
            }
            Some(IamSession {
                fields,
                line: s.line,
            })
        });
        if let Some(s) = unit.attrs.get("iam_web_identity_token") {
            self.note(&s.conf.rel, s.line, "terragrunt: `iam_web_identity_token` is not carried over: tfroles starts from CI tokens with an `identity` block and `tfroles credential-process` (see docs/credentials.md)");
        }
        session
    }

    /// `remote_state`'s fields (block or attribute) and the config that
    /// sets them, where known.
    fn remote_state<'c>(&mut self, unit: &Unit<'c>) -> Option<(&'c Conf, Vec<Field>)> {
        if let Some((c, b)) = unit.blocks.get("remote_state") {
            let mut fields = Vec::new();
            for a in &b.body.attributes {
                let s = Setting::of(c, a);
                if let Some(n) = unit.eval(self, &s, &format!("remote_state.{}", a.name)) {
                    fields.push((a.name.clone(), n, s.line));
                }
            }
            return Some((*c, fields));
        }
        let s = unit.attrs.get("remote_state")?;
        match unit.eval(self, s, "remote_state") {
            Some(Node {
                v: Ok(Lit::Map(items)),
                line,
            }) => Some((
                s.conf,
                items.into_iter().map(|(k, n)| (k, n, line)).collect(),
            )),
            _ => None,
        }
    }

    /// The `backend "s3"` block `remote_state` stands for, assuming
    /// `iam_role` where it names no role itself; `None` (with a finding)
    /// for another backend.
    fn s3_backend(
        &mut self,
        c: &Conf,
        fields: &[Field],
        session: Option<&IamSession>,
    ) -> Option<Blk> {
        let backend_kind = fields
            .iter()
            .find(|f| f.0 == "backend")
            .map(|f| f.1.clone());
        let line = fields.first().map_or(1, |f| f.2);
        if !matches!(backend_kind.as_ref().map(|n| &n.v), Some(Ok(Lit::Str(s))) if s == "s3") {
            self.note(
                &c.rel,
                line,
                "terragrunt: `remote_state` is not `backend = \"s3\"`: this unit is not imported",
            );
            return None;
        }
        let mut battrs: Vec<Attr> = Vec::new();
        if let Some((
            _,
            Node {
                v: Ok(Lit::Map(items)),
                line: cl,
            },
            _,
        )) = fields.iter().find(|f| f.0 == "config")
        {
            for (k, n) in items {
                if TERRAGRUNT_ONLY.contains(&k.as_str()) {
                    continue;
                }
                battrs.push(Attr {
                    key: k.clone(),
                    line: *cl,
                    node: n.clone(),
                });
            }
        }
        let has_role = battrs
            .iter()
            .any(|a| a.key == "role_arn" || a.key == "assume_role");
        // Terragrunt hands iam_role's credentials to the backend too.
        if !has_role
            && let Some(s) = session
            && let Some((_, r)) = s.fields.iter().find(|(k, _)| k == "role_arn")
        {
            let l = s.line;
            battrs.push(Attr {
                key: "assume_role".into(),
                line: l,
                node: Node {
                    line: l,
                    v: Ok(Lit::Map(vec![("role_arn".into(), r.clone())])),
                },
            });
        }
        Some(Blk {
            ident: "backend".into(),
            labels: vec!["s3".into()],
            line,
            attrs: battrs,
            blocks: vec![],
        })
    }

    /// The `provider "aws"` blocks the `generate` blocks write, each with
    /// the file a finding about it points at; one that assumes nothing
    /// itself assumes `iam_role`.
    fn generated_providers(
        &mut self,
        unit: &Unit,
        session: Option<&IamSession>,
    ) -> Vec<(Blk, String)> {
        let iam_line = unit.own_iam_line();
        let mut providers: Vec<(Blk, String)> = Vec::new();
        for (name, (c, b)) in &unit.blocks {
            if !name.starts_with("generate ") {
                continue;
            }
            let Some(contents) = b.body.attributes.iter().find(|a| a.name == "contents") else {
                continue;
            };
            let s = Setting::of(c, contents);
            let Some(Node {
                v: Ok(Lit::Str(text)),
                ..
            }) = unit.eval(self, &s, &format!("{name}.contents"))
            else {
                continue;
            };
            let Ok((_, gen_blocks)) = read::parse(&text, &c.rel, &Env::new("default")) else {
                continue;
            };
            for mut p in gen_blocks
                .into_iter()
                .filter(|g| g.ident == "provider" && g.labels == ["aws"])
            {
                // Lines inside the heredoc count from its first line.
                p.line = s.line;
                let mut file = c.rel.clone();
                let own_role = p.blocks.iter().any(|x| x.ident == "assume_role");
                // What matters then is the unit's iam_role: report it there.
                if !own_role && let Some(l) = iam_line {
                    p.line = l;
                    file = unit.file_rel.clone();
                }
                if !own_role && let Some(session) = session {
                    p.blocks.push(session.assume_role(s.line));
                }
                providers.push((p, file));
            }
        }
        providers
    }

    /// No `generate` block writes a provider: the draft's provider assumes
    /// `iam_role`, in the backend's region.
    fn iam_role_provider(
        &mut self,
        unit: &Unit,
        session: &IamSession,
        backend: Option<&Blk>,
    ) -> (Blk, String) {
        let line = session.line;
        let region = backend
            .and_then(|b| b.attrs.iter().find(|a| a.key == "region"))
            .and_then(|a| match &a.node.v {
                Ok(Lit::Str(s)) => Some(s.clone()),
                _ => None,
            });
        let mut attrs = Vec::new();
        if let Some(r) = region {
            attrs.push(Attr {
                key: "region".into(),
                line,
                node: Node {
                    line,
                    v: Ok(Lit::Str(r)),
                },
            });
        }
        self.note(&unit.file_rel, line, "terragrunt: no `generate` block writes a `provider \"aws\"`: the draft's provider assumes `iam_role`, in the backend's region unless the report says otherwise");
        let provider = Blk {
            ident: "provider".into(),
            labels: vec!["aws".into()],
            line,
            attrs,
            blocks: vec![session.assume_role(line)],
        };
        (provider, unit.file_rel.clone())
    }

    /// The unit as a directory holding one file with the backend and the
    /// providers, read as `.tf` blocks are.
    fn unit_scan(
        &mut self,
        path: StackPath,
        file_rel: &str,
        backend: Blk,
        providers: Vec<(Blk, String)>,
    ) -> Scan {
        let terraform = Blk {
            ident: "terraform".into(),
            labels: vec![],
            line: backend.line,
            attrs: vec![],
            blocks: vec![backend.clone()],
        };
        let mut all = vec![terraform];
        all.extend(providers.iter().map(|(p, _)| p.clone()));
        let file = ParsedFile {
            name: CONFIG.into(),
            rel: file_rel.to_owned(),
            attrs: vec![],
            blocks: all,
        };
        let mut scan = Scan {
            path,
            files: vec![file],
            backend: None,
            providers: Vec::new(),
            terragrunt: true,
            workspaces: Vec::new(),
        };
        scan.backend = Some((0, self.backend(file_rel, &backend)));
        for (p, file) in providers {
            let found = self.provider(&file, &p);
            scan.providers.push((0, found));
        }
        scan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_relative_as_terragrunt_computes_them() {
        assert_eq!(
            relative(Path::new("/r"), Path::new("/r/live/prod/app")),
            "live/prod/app"
        );
        assert_eq!(relative(Path::new("/r/a"), Path::new("/r/b")), "../b");
        assert_eq!(
            call_arg(
                "find_in_parent_folders(\"root.hcl\")",
                "find_in_parent_folders"
            ),
            Some(Some("root.hcl".into()))
        );
        assert_eq!(
            call_arg("find_in_parent_folders()", "find_in_parent_folders"),
            Some(None)
        );
        let t = substitute(
            "\"${path_relative_to_include()}/terraform.tfstate\"",
            Path::new("/r/x"),
            Path::new("/r"),
            "x",
        );
        assert_eq!(t, "\"${\"x\"}/terraform.tfstate\"");
    }
}
