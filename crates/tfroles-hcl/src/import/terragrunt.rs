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
        let unit_abs = root.join(rel).join(CONFIG);
        let Some(unit) = read_conf(self, root, &unit_abs) else {
            return Ok(None);
        };
        // Includes: the configs this one pulls in, nearest last.
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
        // Settings by name: the unit's own win over the included ones.
        let mut attrs: BTreeMap<String, Setting> = BTreeMap::new();
        let mut blocks: BTreeMap<String, (&Conf, &raw::Block)> = BTreeMap::new();
        let mut locals_src: Vec<(&Conf, &raw::Attribute)> = Vec::new();
        for c in parents.iter().chain(std::iter::once(&unit)) {
            for a in &c.body.attributes {
                attrs.insert(
                    a.name.clone(),
                    Setting {
                        conf: c,
                        expr: &a.value,
                        line: a.loc.map_or(1, |l| l.line),
                    },
                );
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
                    "locals" if std::ptr::eq(c, &unit) => {
                        locals_src.extend(b.body.attributes.iter().map(|a| (c, a)));
                    }
                    _ => {}
                }
            }
        }
        let include_dir = parents.last().map_or(unit.dir.clone(), |p| p.dir.clone());
        let rel_to_include = relative(&include_dir, &unit.dir);
        // Locals of the unit, evaluated after the path functions.
        let mut env = Env::new(self.opts.workspace.as_deref().unwrap_or("default"));
        let locals: BTreeMap<String, super::eval::LocalSrc> = locals_src
            .iter()
            .map(|(c, a)| {
                (
                    a.name.clone(),
                    super::eval::LocalSrc {
                        text: substitute(
                            source(&c.text, &a.value),
                            &unit.dir,
                            &include_dir,
                            &rel_to_include,
                        ),
                        file: c.rel.clone(),
                        line: a.loc.map_or(1, |l| l.line),
                    },
                )
            })
            .collect();
        env.resolve_locals(&locals);
        let eval = |cx: &mut Cx, s: &Setting, what: &str| -> Option<Node> {
            let text = substitute(
                source(&s.conf.text, s.expr),
                &unit.dir,
                &include_dir,
                &rel_to_include,
            );
            match env.eval(&text, &s.conf.rel, s.line) {
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
        };
        let str_of = |n: &Option<Node>| match n.as_ref().map(|n| &n.v) {
            Some(Ok(Lit::Str(s))) => Some(s.clone()),
            _ => None,
        };

        // The role Terragrunt assumes before running terraform.
        let iam_role = attrs
            .get("iam_role")
            .cloned()
            .and_then(|s| eval(self, &s, "iam_role").map(|n| (n, s.line)));
        let mut session: Vec<(String, Node)> = Vec::new();
        if let Some((n, _)) = &iam_role {
            session.push(("role_arn".into(), n.clone()));
            for (tg, key) in [
                ("iam_assume_role_duration", "duration_seconds"),
                ("iam_assume_role_session_name", "session_name"),
            ] {
                if let Some(s) = attrs.get(tg).cloned()
                    && let Some(v) = eval(self, &s, tg)
                {
                    session.push((key.into(), v));
                }
            }
        }
        if let Some(s) = attrs.get("iam_web_identity_token") {
            self.note(&s.conf.rel, s.line, "terragrunt: `iam_web_identity_token` is not carried over: tfroles starts from CI tokens with an `identity` block and `tfroles credential-process` (see docs/credentials.md)");
        }

        // The backend: remote_state's config.
        let mut tf_blocks: Vec<Blk> = Vec::new();
        let (rs_conf, rs_body): (Option<&Conf>, Option<Vec<Field>>) =
            match blocks.get("remote_state") {
                Some((c, b)) => {
                    let mut fields = Vec::new();
                    for a in &b.body.attributes {
                        let s = Setting {
                            conf: c,
                            expr: &a.value,
                            line: a.loc.map_or(1, |l| l.line),
                        };
                        if let Some(n) = eval(self, &s, &format!("remote_state.{}", a.name)) {
                            fields.push((a.name.clone(), n, s.line));
                        }
                    }
                    (Some(*c), Some(fields))
                }
                None => match attrs.get("remote_state").cloned() {
                    Some(s) => {
                        let conf = s.conf;
                        match eval(self, &s, "remote_state") {
                            Some(Node {
                                v: Ok(Lit::Map(items)),
                                line,
                            }) => (
                                Some(conf),
                                Some(items.into_iter().map(|(k, n)| (k, n, line)).collect()),
                            ),
                            _ => (Some(conf), None),
                        }
                    }
                    None => (None, None),
                },
            };
        let file_rel = format!("{rel}/{CONFIG}");
        let iam_line = attrs
            .get("iam_role")
            .filter(|s| std::ptr::eq(s.conf, &unit))
            .map(|s| s.line);
        if let (Some(c), Some(fields)) = (rs_conf, rs_body) {
            let backend_kind = fields
                .iter()
                .find(|f| f.0 == "backend")
                .map(|f| f.1.clone());
            let line = fields.first().map_or(1, |f| f.2);
            if !matches!(backend_kind.as_ref().map(|n| &n.v), Some(Ok(Lit::Str(s))) if s == "s3") {
                self.note(&c.rel, line, "terragrunt: `remote_state` is not `backend = \"s3\"`: this unit is not imported");
                return Ok(None);
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
            if !has_role && !session.is_empty() {
                // Terragrunt hands iam_role's credentials to the backend too.
                let role = session
                    .iter()
                    .find(|(k, _)| k == "role_arn")
                    .map(|(_, n)| n.clone());
                if let Some(r) = role {
                    let l = iam_role.as_ref().map_or(line, |(_, l)| *l);
                    battrs.push(Attr {
                        key: "assume_role".into(),
                        line: l,
                        node: Node {
                            line: l,
                            v: Ok(Lit::Map(vec![("role_arn".into(), r)])),
                        },
                    });
                }
            }
            tf_blocks.push(Blk {
                ident: "terraform".into(),
                labels: vec![],
                line,
                attrs: vec![],
                blocks: vec![Blk {
                    ident: "backend".into(),
                    labels: vec!["s3".into()],
                    line,
                    attrs: battrs,
                    blocks: vec![],
                }],
            });
        }

        // Providers: the `generate` blocks' contents, with iam_role where
        // they assume nothing themselves.
        // Each with the file it is written in.
        let mut providers: Vec<(Blk, String)> = Vec::new();
        for (name, (c, b)) in &blocks {
            if !name.starts_with("generate ") {
                continue;
            }
            let Some(contents) = b.body.attributes.iter().find(|a| a.name == "contents") else {
                continue;
            };
            let s = Setting {
                conf: c,
                expr: &contents.value,
                line: contents.loc.map_or(1, |l| l.line),
            };
            let Some(Node {
                v: Ok(Lit::Str(text)),
                ..
            }) = eval(self, &s, &format!("{name}.contents"))
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
                    file = file_rel.clone();
                }
                if !own_role && !session.is_empty() {
                    p.blocks.push(Blk {
                        ident: "assume_role".into(),
                        labels: vec![],
                        line: s.line,
                        attrs: session
                            .iter()
                            .map(|(k, n)| Attr {
                                key: k.clone(),
                                line: n.line,
                                node: n.clone(),
                            })
                            .collect(),
                        blocks: vec![],
                    });
                }
                providers.push((p, file));
            }
        }
        if providers.is_empty() && !session.is_empty() {
            let line = iam_role.as_ref().map_or(1, |(_, l)| *l);
            let region = str_of(
                &tf_blocks
                    .first()
                    .and_then(|t| t.blocks[0].attrs.iter().find(|a| a.key == "region"))
                    .map(|a| a.node.clone()),
            );
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
            self.note(&file_rel, line, "terragrunt: no `generate` block writes a `provider \"aws\"`: the draft's provider assumes `iam_role`, in the backend's region unless the report says otherwise");
            providers.push((
                Blk {
                    ident: "provider".into(),
                    labels: vec!["aws".into()],
                    line,
                    attrs,
                    blocks: vec![Blk {
                        ident: "assume_role".into(),
                        labels: vec![],
                        line,
                        attrs: session
                            .iter()
                            .map(|(k, n)| Attr {
                                key: k.clone(),
                                line: n.line,
                                node: n.clone(),
                            })
                            .collect(),
                        blocks: vec![],
                    }],
                },
                file_rel.clone(),
            ));
        }
        if tf_blocks.is_empty() {
            return Ok(None);
        }
        let mut all = tf_blocks;
        all.extend(providers.iter().map(|(p, _)| p.clone()));
        let file = ParsedFile {
            name: CONFIG.into(),
            rel: file_rel.clone(),
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
        let bblk = scan.files[0].blocks[0].blocks[0].clone();
        scan.backend = Some((0, self.backend(&file_rel, &bblk)));
        for (p, file) in providers {
            let found = self.provider(&file, &p);
            scan.providers.push((0, found));
        }
        Ok(Some(scan))
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
