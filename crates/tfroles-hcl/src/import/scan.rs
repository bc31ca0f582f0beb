//! Walking the tree: each directory's `.tf` files read, and its
//! `backend "s3"` and `provider "aws"` blocks turned into what was found
//! there (role uses, backend and provider settings), each with its line.

use std::path::Path;

use tfroles_core::TfDir;
use tfroles_core::types::{
    AccountId, Duration, IamPath, Partition, ProviderAlias, RoleName, SessionTags,
};

use super::inputs::RawFile;
use super::read::{self, Blk, Lit, Node, ParsedFile, lit_kind};
use super::{BackendFound, Cx, L, ProviderFound, Scan, Use};
use crate::Error;

impl Cx {
    /// An `assume_role`'s fields (`prefix` names them in messages). `None`
    /// when there is no usable `role_arn`.
    pub(super) fn session(
        &mut self,
        file: &str,
        ctx: &str,
        block_line: usize,
        fields: &[(String, Node)],
        prefix: &str,
    ) -> Option<usize> {
        let mut arn: Option<L<Arn>> = None;
        let mut external_id = None;
        let mut session_name = None;
        let mut duration = None;
        let mut source_identity = None;
        let mut tags = None;
        let mut had_arn = false;
        for (key, node) in fields {
            let name = format!("{prefix}{key}");
            match key.as_str() {
                "role_arn" => {
                    had_arn = true;
                    if let Some(a) = self.role_arn(file, ctx, &name, node) {
                        arn = Some(a);
                    }
                }
                "external_id" => external_id = self.parsed(file, ctx, &name, node),
                "session_name" => session_name = self.parsed(file, ctx, &name, node),
                "duration" => duration = self.parsed(file, ctx, &name, node),
                "source_identity" => source_identity = self.parsed(file, ctx, &name, node),
                "assume_role_duration_seconds" | "duration_seconds" => {
                    if let Some(d) = self.duration_seconds(file, ctx, &name, node) {
                        duration = Some(d);
                    }
                }
                "tags" | "assume_role_tags" => tags = self.tags(file, ctx, &name, node),
                _ => self.not_carried(file, ctx, &name, node.line, false),
            }
        }
        let Some(arn) = arn else {
            if !had_arn {
                self.note(
                    file,
                    block_line,
                    format!("{ctx}: `{prefix}role_arn` is missing: this assume_role is left out"),
                );
            }
            return None;
        };
        self.uses.push(Use {
            file: file.to_owned(),
            line: arn.line,
            partition: arn.v.partition,
            account: arn.v.account,
            path: L {
                v: arn.v.path,
                line: arn.line,
            },
            name: arn.v.name,
            external_id,
            session_name,
            duration,
            source_identity,
            tags,
            via: None,
            unusable: false,
        });
        Some(self.uses.len() - 1)
    }

    /// A `role_arn`, checked as core's `RoleArn` and split into its parts.
    fn role_arn(&mut self, file: &str, ctx: &str, name: &str, node: &Node) -> Option<L<Arn>> {
        let s = self.string(file, ctx, name, node)?;
        match parse_arn(&s) {
            Ok(a) => Some(L {
                v: a,
                line: node.line,
            }),
            Err(e) => {
                self.rejected(file, node.line, ctx, name, &e);
                None
            }
        }
    }

    /// A duration in seconds, as the backend's and Terragrunt's settings
    /// give it.
    fn duration_seconds(
        &mut self,
        file: &str,
        ctx: &str,
        name: &str,
        node: &Node,
    ) -> Option<L<Duration>> {
        match &node.v {
            Ok(Lit::Num(Some(secs))) => {
                match u32::try_from(*secs)
                    .ok()
                    .and_then(|s| Duration::from_secs(s).ok())
                {
                    Some(d) => Some(L {
                        v: d,
                        line: node.line,
                    }),
                    None => {
                        self.note(
                            file,
                            node.line,
                            format!("{ctx}: `{name}` = {secs} is outside the range STS accepts (900 to 43200 seconds): left out"),
                        );
                        None
                    }
                }
            }
            Ok(other) => {
                self.note(
                    file,
                    node.line,
                    format!(
                        "{ctx}: `{name}` is {}, not a whole number of seconds: left out",
                        lit_kind(other)
                    ),
                );
                None
            }
            Err(n) => {
                self.non_literal(file, ctx, name, node.line, n);
                None
            }
        }
    }

    pub(super) fn tags(
        &mut self,
        file: &str,
        ctx: &str,
        key: &str,
        node: &Node,
    ) -> Option<L<SessionTags>> {
        let items = match &node.v {
            Ok(Lit::Map(items)) => items,
            Ok(other) => {
                self.note(
                    file,
                    node.line,
                    format!(
                        "{ctx}: `{key}` is {}, not an object: left out",
                        lit_kind(other)
                    ),
                );
                return None;
            }
            Err(n) => {
                self.non_literal(file, ctx, key, node.line, n);
                return None;
            }
        };
        let mut out = Vec::new();
        for (k, v) in items {
            let s = self.string(file, ctx, &format!("{key}.{k}"), v)?;
            out.push((k.clone(), s));
        }
        if out.is_empty() {
            return None;
        }
        out.sort();
        match SessionTags::new(out) {
            Ok(t) => Some(L {
                v: t,
                line: node.line,
            }),
            Err(e) => {
                self.rejected(file, node.line, ctx, key, &e);
                None
            }
        }
    }

    /// `.tf` files in the directory itself: not a stack for tfroles.
    pub(super) fn check_root(&mut self, dir: &Path) -> Result<(), Error> {
        let entries = std::fs::read_dir(dir).map_err(io(dir))?;
        let mut names: Vec<String> = Vec::new();
        for e in entries {
            let e = e.map_err(io(dir))?;
            if e.file_type().is_ok_and(|t| t.is_file())
                && let Ok(n) = e.file_name().into_string()
                && n.ends_with(".tf")
            {
                names.push(n);
            }
        }
        names.sort();
        for name in names {
            // Regular files only, never through a link, bounded: a FIFO
            // swapped in since the listing would block the run.
            let Ok(text) = crate::sync::read_regular(&dir.join(&name)).map(String::from_utf8)
            else {
                continue;
            };
            let Ok(text) = text else {
                continue;
            };
            let Ok((_, blocks)) = read::parse(&text, &name, &super::eval::Env::new("default"))
            else {
                continue;
            };
            let found = blocks.iter().find(|b| {
                is_aws_provider(b)
                    || (b.ident == "terraform" && b.blocks.iter().any(|x| x.ident == "backend"))
            });
            if let Some(b) = found {
                self.note(
                    &name,
                    b.line,
                    "blocks in the imported directory itself are not imported: tfroles stacks are directories below tfroles.hcl (import from the parent directory to include this one)",
                );
            }
        }
        Ok(())
    }

    pub(super) fn scan(&mut self, root: &Path, d: &TfDir) -> Result<Scan, Error> {
        let abs_dir = root.join(d.path.as_str());
        let raws = self.read_files(&abs_dir, d)?;
        let (env, locals) = self.dir_env(&abs_dir, d.path.as_str(), &raws, None)?;
        let files: Vec<ParsedFile> = raws
            .iter()
            .map(|f| {
                let (attrs, blocks) = read::convert(&f.body, &f.text, &f.rel, &env);
                ParsedFile {
                    name: f.name.clone(),
                    rel: f.rel.clone(),
                    attrs,
                    blocks,
                }
            })
            .collect();
        let mut scan = Scan {
            path: d.path.clone(),
            files,
            backend: None,
            providers: Vec::new(),
            terragrunt: false,
            workspaces: Vec::new(),
        };
        let (backends, providers) = self.backend_and_provider_blocks(&scan.files);
        let Some((bfi, mut bblk)) = self.the_s3_backend(&scan.files, &backends, &providers) else {
            return Ok(scan);
        };
        let brel = scan.files[bfi].rel.clone();
        // A partial backend: merged as `terraform init -backend-config` would.
        for extra in self.backend_config(&abs_dir, d.path.as_str(), &brel, bblk.line, &env)? {
            match bblk.attrs.iter_mut().find(|a| a.key == extra.key) {
                Some(a) => *a = extra,
                None => bblk.attrs.push(extra),
            }
        }
        let backend = self.backend(&brel, &bblk);
        scan.backend = Some((bfi, backend));
        for (fi, p) in providers {
            let rel = scan.files[fi].rel.clone();
            let found = self.provider(&rel, &p);
            scan.providers.push((fi, found));
        }
        if self.opts.workspace.is_none() {
            self.workspaces(&mut scan, &abs_dir, &raws, &env, &locals)?;
        }
        Ok(scan)
    }

    /// The `.tf` files of a directory, parsed; a finding for each that is
    /// not UTF-8 or does not parse.
    fn read_files(&mut self, abs_dir: &Path, d: &TfDir) -> Result<Vec<RawFile>, Error> {
        let mut raws = Vec::new();
        for name in &d.tf_files {
            let abs = abs_dir.join(name);
            let rel = format!("{}/{name}", d.path);
            let bytes = crate::sync::read_regular(&abs).map_err(io(&abs))?;
            let Ok(text) = String::from_utf8(bytes) else {
                self.note(
                    &rel,
                    1,
                    "the file is not UTF-8, as terraform requires: skipped",
                );
                continue;
            };
            match tfroles_core::raw::parse_body(&text) {
                Ok(body) => raws.push(RawFile {
                    name: name.clone(),
                    rel,
                    text,
                    body,
                }),
                Err(e) => {
                    let msg = e.message.replace(|c: char| c.is_control(), " ");
                    self.note(
                        &rel,
                        e.stopped_at.line,
                        format!("cannot parse this file ({msg}): skipped"),
                    );
                }
            }
        }
        Ok(raws)
    }

    /// The `backend`/`cloud` blocks and the `provider "aws"` blocks of the
    /// files, with the index of the file each is in; those in override
    /// files are left out, with a finding.
    fn backend_and_provider_blocks(&mut self, files: &[ParsedFile]) -> (FileBlocks, FileBlocks) {
        // Terraform merges override files into the others; import does not.
        let is_override = |n: &str| n == "override.tf" || n.ends_with("_override.tf");
        let mut backends: Vec<(usize, Blk)> = Vec::new();
        let mut providers: Vec<(usize, Blk)> = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            for b in &f.blocks {
                let relevant = is_aws_provider(b)
                    || (b.ident == "terraform"
                        && b.blocks
                            .iter()
                            .any(|x| x.ident == "backend" || x.ident == "cloud"));
                if relevant && is_override(&f.name) {
                    self.note(
                        &f.rel,
                        b.line,
                        format!("{} in an override file: terraform merges it into the other files, tfroles import does not: left out", b.describe()),
                    );
                    continue;
                }
                if is_aws_provider(b) {
                    providers.push((fi, b.clone()));
                } else if b.ident == "terraform" {
                    for x in &b.blocks {
                        if x.ident == "backend" || x.ident == "cloud" {
                            backends.push((fi, x.clone()));
                        }
                    }
                }
            }
        }
        (backends, providers)
    }

    /// The directory's one `backend "s3"` block, if it is a stack; a
    /// finding for another kind of backend, a second s3 backend, or
    /// providers without a backend.
    fn the_s3_backend(
        &mut self,
        files: &[ParsedFile],
        backends: &[(usize, Blk)],
        providers: &[(usize, Blk)],
    ) -> Option<(usize, Blk)> {
        let s3: Vec<&(usize, Blk)> = backends
            .iter()
            .filter(|(_, b)| b.ident == "backend" && b.labels == ["s3"])
            .collect();
        for (fi, b) in backends {
            if !(b.ident == "backend" && b.labels == ["s3"]) {
                let rel = files[*fi].rel.clone();
                self.note(
                    &rel,
                    b.line,
                    format!("{} keeps state outside S3: tfroles generates `backend \"s3\"`, so this directory is not imported", b.describe()),
                );
            }
        }
        for (fi, b) in s3.iter().skip(1) {
            let rel = files[*fi].rel.clone();
            self.note(
                &rel,
                b.line,
                "a second `backend \"s3\"` block (terraform refuses this): ignored",
            );
        }
        if s3.is_empty() {
            if backends.is_empty()
                && let Some((fi, p)) = providers.first()
            {
                let rel = files[*fi].rel.clone();
                self.note(
                    &rel,
                    p.line,
                    "`provider \"aws\"` without a `backend \"s3\"` in this directory: not imported as a stack (a module, or a stack with local state)",
                );
            }
            return None;
        }
        if backends.len() > s3.len() {
            // Another kind of backend beside s3: terraform refuses the
            // directory; do not guess which one it meant.
            return None;
        }
        Some(s3[0].clone())
    }

    /// A provider's `default_tags { tags = {...} }`, as literal strings.
    fn default_tags(&mut self, file: &str, ctx: &str, x: &Blk) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        for a in &x.attrs {
            if a.key != "tags" {
                self.not_carried(file, ctx, &format!("default_tags.{}", a.key), a.line, false);
                continue;
            }
            match &a.node.v {
                Ok(Lit::Map(items)) => {
                    for (k, v) in items {
                        let s = self.string(file, ctx, &format!("default_tags.tags.{k}"), v)?;
                        out.push((k.clone(), s));
                    }
                }
                Ok(other) => {
                    self.note(
                        file,
                        a.line,
                        format!(
                            "{ctx}: `default_tags.tags` is {}, not an object: left out",
                            lit_kind(other)
                        ),
                    );
                    return None;
                }
                Err(n) => {
                    self.non_literal(file, ctx, "default_tags.tags", a.line, n);
                    return None;
                }
            }
        }
        out.sort();
        (!out.is_empty()).then_some(out)
    }

    /// A directory whose default provider depends on `terraform.workspace`:
    /// that provider evaluated in each workspace the expressions name.
    fn workspaces(
        &mut self,
        scan: &mut Scan,
        abs_dir: &Path,
        raws: &[RawFile],
        env: &super::eval::Env,
        locals: &std::collections::BTreeMap<String, super::eval::LocalSrc>,
    ) -> Result<(), Error> {
        // The default provider as written, and every expression in it.
        let Some((f, blk)) = written_default_provider(raws) else {
            return Ok(());
        };
        let mut exprs = Vec::new();
        expression_texts(&f.text, &blk.body, &mut exprs);
        let Some(names) = env.workspace_names(&exprs, locals) else {
            return Ok(());
        };
        let line = blk.loc.map_or(1, |l| l.line);
        if names.is_empty() {
            self.note(&f.rel, line, "provider \"aws\" depends on `terraform.workspace`, but no workspace name can be read from the expressions: evaluated in workspace `default` only (name one with `--workspace NAME`)");
            return Ok(());
        }
        let single = tfroles_core::raw::Body {
            attributes: Vec::new(),
            blocks: vec![blk.clone()],
        };
        for w in names.iter().take(64) {
            let (env_w, _) = self.dir_env(abs_dir, scan.path.as_str(), raws, Some(w))?;
            let (_, blocks) = read::convert(&single, &f.text, &f.rel, &env_w);
            if let Some(b) = blocks.first() {
                let found = self.provider(&f.rel, b);
                scan.workspaces.push((w.clone(), found));
            }
        }
        let list: Vec<&str> = names.iter().map(String::as_str).collect();
        self.note(
            &f.rel,
            line,
            format!(
                "provider \"aws\" depends on `terraform.workspace`: evaluated in workspaces {}",
                list.join(", ")
            ),
        );
        if !names.contains("default") {
            default_from_workspace(scan);
        }
        Ok(())
    }

    pub(super) fn backend(&mut self, file: &str, b: &Blk) -> BackendFound {
        let ctx = "backend \"s3\"";
        let mut out = BackendFound {
            file: file.to_owned(),
            line: b.line,
            ..BackendFound::default()
        };
        let mut old_style: Vec<(String, Node)> = Vec::new();
        let mut profile: Option<L<String>> = None;
        let mut new_style: Option<(usize, Vec<(String, Node)>)> = None;
        // One arm per backend attribute: a mapping table, long by design.
        for a in &b.attrs {
            let n = &a.node;
            match a.key.as_str() {
                "bucket" => out.bucket = self.parsed(file, ctx, "bucket", n),
                "key" => {
                    out.key = self
                        .string(file, ctx, "key", n)
                        .map(|v| L { v, line: n.line })
                }
                "region" => out.region = self.parsed(file, ctx, "region", n),
                "encrypt" => out.encrypt = self.boolean(file, ctx, "encrypt", n),
                "use_lockfile" => out.use_lockfile = self.boolean(file, ctx, "use_lockfile", n),
                "dynamodb_table" => {
                    out.dynamodb_table = self.parsed(file, ctx, "dynamodb_table", n)
                }
                "kms_key_id" => out.kms_key_id = self.parsed(file, ctx, "kms_key_id", n),
                "workspace_key_prefix" => {
                    out.workspace_key_prefix = self.parsed(file, ctx, "workspace_key_prefix", n)
                }
                "assume_role" => match &n.v {
                    Ok(Lit::Map(fields)) => new_style = Some((a.line, fields.clone())),
                    Ok(other) => self.note(
                        file,
                        n.line,
                        format!(
                            "{ctx}: `assume_role` is {}, not an object: left out",
                            lit_kind(other)
                        ),
                    ),
                    Err(nl) => self.non_literal(file, ctx, "assume_role", n.line, nl),
                },
                "profile" => {
                    if let Some(v) = self.string(file, ctx, "profile", n) {
                        profile = Some(L { v, line: n.line });
                    }
                }
                // Before terraform 1.10 (removed there): the session's
                // settings at the top level of the backend.
                "role_arn"
                | "external_id"
                | "session_name"
                | "assume_role_duration_seconds"
                | "assume_role_tags" => old_style.push((a.key.clone(), n.clone())),
                other => self.not_carried(file, ctx, other, a.line, false),
            }
        }
        for x in &b.blocks {
            if x.ident == "assume_role" && new_style.is_none() {
                self.note(
                    file,
                    x.line,
                    format!("{ctx}: `assume_role` as a block: terraform 1.10+ rejects it in the backend; generate writes `assume_role = {{ ... }}`"),
                );
                let fields = x
                    .attrs
                    .iter()
                    .map(|a| (a.key.clone(), a.node.clone()))
                    .collect();
                new_style = Some((x.line, fields));
            } else {
                self.not_carried(file, ctx, &x.ident, x.line, true);
            }
        }
        out.session = self.backend_session(file, new_style, old_style, profile);
        out
    }

    /// The role the backend assumes: its `assume_role` (an object, or a
    /// block as before 1.10), else the pre-1.10 top-level attributes, else
    /// the last role its `profile` assumes; findings where they meet.
    fn backend_session(
        &mut self,
        file: &str,
        new_style: Option<(usize, Vec<(String, Node)>)>,
        old_style: Vec<(String, Node)>,
        profile: Option<L<String>>,
    ) -> Option<usize> {
        let ctx = "backend \"s3\"";
        if let Some(p) = &profile
            && (new_style.is_some() || !old_style.is_empty())
        {
            self.note(file, p.line, format!("{ctx}: `profile` beside `assume_role`: the profile's credentials start the chain; tfroles starts from the base identity it is run with"));
        }
        match (new_style, old_style.is_empty()) {
            (Some((line, fields)), true) => self.session(file, ctx, line, &fields, "assume_role."),
            (Some((line, fields)), false) => {
                for (k, n) in &old_style {
                    self.note(
                        file,
                        n.line,
                        format!("{ctx}: `{k}` beside `assume_role`: the pre-1.10 attribute is ignored, `assume_role` wins"),
                    );
                }
                self.session(file, ctx, line, &fields, "assume_role.")
            }
            (None, false) => {
                let line = old_style[0].1.line;
                self.session(file, ctx, line, &old_style, "")
            }
            (None, true) => {
                let p = profile?;
                let (chain, _) = self.profile_session(file, ctx, p.line, &p.v);
                // A backend assumes one role: the last hop.
                chain.last().copied()
            }
        }
    }

    pub(super) fn provider(&mut self, file: &str, b: &Blk) -> ProviderFound {
        let mut out = ProviderFound {
            file: file.to_owned(),
            line: b.line,
            alias: None,
            region: None,
            allowed: None,
            chain: Vec::new(),
            broken: false,
            alias_unreadable: false,
            profile: None,
            account_hint: None,
            introduced: false,
            default_tags: None,
        };
        // The alias first: messages name it.
        if let Some(a) = b.attrs.iter().find(|a| a.key == "alias") {
            match self.parsed::<ProviderAlias>(file, "provider \"aws\"", "alias", &a.node) {
                Some(al) => out.alias = Some(al.v),
                None => {
                    out.broken = true;
                    out.alias_unreadable = true;
                    let ctx = "provider \"aws\" (alias unreadable)";
                    self.note(
                        file,
                        b.line,
                        format!(
                            "{ctx} left out: resources using it need it back after the handover"
                        ),
                    );
                    return out;
                }
            }
        }
        let ctx = out.describe();
        for a in &b.attrs {
            let n = &a.node;
            match a.key.as_str() {
                "alias" => {}
                "region" => out.region = self.parsed(file, &ctx, "region", n),
                "allowed_account_ids" => out.allowed = self.allowed_account_ids(file, &ctx, n),
                "profile" => {
                    out.profile = self
                        .string(file, &ctx, "profile", n)
                        .map(|v| L { v, line: n.line })
                }
                other => self.not_carried(file, &ctx, other, a.line, false),
            }
        }
        self.provider_blocks(file, &ctx, b, &mut out);
        if let Some(p) = out.profile.clone() {
            self.profile_chain(file, &ctx, p, &mut out);
        }
        if out.account_hint.is_none()
            && let Some(a) = &out.allowed
            && a.v.len() == 1
        {
            out.account_hint = Some(a.v[0].clone());
        }
        out
    }

    /// `allowed_account_ids`: every item an account id, else left out.
    fn allowed_account_ids(
        &mut self,
        file: &str,
        ctx: &str,
        n: &Node,
    ) -> Option<L<Vec<AccountId>>> {
        match &n.v {
            Ok(Lit::List(items)) => {
                let mut ids = Vec::new();
                let mut ok = true;
                for it in items {
                    match self.parsed::<AccountId>(file, ctx, "allowed_account_ids", it) {
                        Some(id) => ids.push(id.v),
                        None => ok = false,
                    }
                }
                (ok && !ids.is_empty()).then_some(L {
                    v: ids,
                    line: n.line,
                })
            }
            Ok(other) => {
                self.note(
                    file,
                    n.line,
                    format!(
                        "{ctx}: `allowed_account_ids` is {}, not a list: left out",
                        lit_kind(other)
                    ),
                );
                None
            }
            Err(nl) => {
                self.non_literal(file, ctx, "allowed_account_ids", n.line, nl);
                None
            }
        }
    }

    /// A provider's nested blocks: `default_tags`, and its `assume_role`
    /// blocks as a chain of uses (each later one `via` the one before).
    fn provider_blocks(&mut self, file: &str, ctx: &str, b: &Blk, out: &mut ProviderFound) {
        let mut prev: Option<usize> = None;
        for x in &b.blocks {
            if x.ident == "default_tags" && super::emit::default_tags_supported() {
                out.default_tags = self.default_tags(file, ctx, x);
                continue;
            }
            if x.ident != "assume_role" {
                self.not_carried(file, ctx, &x.ident, x.line, true);
                continue;
            }
            let fields: Vec<(String, Node)> = x
                .attrs
                .iter()
                .map(|a| (a.key.clone(), a.node.clone()))
                .collect();
            for inner in &x.blocks {
                self.not_carried(
                    file,
                    ctx,
                    &format!("assume_role.{}", inner.ident),
                    inner.line,
                    true,
                );
            }
            match self.session(file, ctx, x.line, &fields, "assume_role.") {
                Some(u) => {
                    if let Some(p) = prev {
                        let (name, account) =
                            (self.uses[p].name.clone(), self.uses[p].account.clone());
                        self.uses[u].via = Some(L {
                            v: (name, account),
                            line: self.uses[u].line,
                        });
                    }
                    prev = Some(u);
                    out.chain.push(u);
                }
                None => out.broken = true,
            }
        }
    }

    /// A provider's `profile`: the chain of roles its AWS config profile
    /// assumes, where the provider assumes none itself.
    fn profile_chain(&mut self, file: &str, ctx: &str, p: L<String>, out: &mut ProviderFound) {
        if out.chain.is_empty() && !out.broken {
            let (chain, hint) = self.profile_session(file, ctx, p.line, &p.v);
            out.chain = chain;
            out.account_hint = out.account_hint.clone().or(hint);
        } else {
            self.note(file, p.line, format!("{ctx}: `profile` beside `assume_role`: the profile's credentials start the chain; tfroles starts from the base identity it is run with"));
        }
    }
}

/// The default `provider "aws"` block as written (no `alias`), and its file.
fn written_default_provider(raws: &[RawFile]) -> Option<(&RawFile, &tfroles_core::raw::Block)> {
    raws.iter().find_map(|f| {
        f.body
            .blocks
            .iter()
            .find(|b| {
                b.ident == "provider"
                    && b.labels == ["aws"]
                    && !b.body.attributes.iter().any(|a| a.name == "alias")
            })
            .map(|b| (f, b))
    })
}

/// The source text of every attribute's value in a body, nested blocks too.
fn expression_texts<'t>(text: &'t str, body: &tfroles_core::raw::Body, out: &mut Vec<&'t str>) {
    for a in &body.attributes {
        out.push(read::source(text, &a.value));
    }
    for b in &body.blocks {
        expression_texts(text, &b.body, out);
    }
}

/// Without a `default` workspace among those read, a stack whose default
/// provider does not read takes its settings from the first workspace that
/// does.
fn default_from_workspace(scan: &mut Scan) {
    if let Some(i) = scan
        .providers
        .iter()
        .position(|(_, p)| p.alias.is_none() && !p.alias_unreadable)
        && (scan.providers[i].1.broken || scan.providers[i].1.chain.is_empty())
        && let Some((_, first)) = scan
            .workspaces
            .iter()
            .find(|(_, p)| !p.broken && !p.chain.is_empty())
    {
        scan.providers[i].1 = first.clone();
    }
}

/// Blocks, each with the index of the file it is in.
type FileBlocks = Vec<(usize, Blk)>;

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Read {
        path: path.to_path_buf(),
        source,
    }
}

pub(super) fn is_aws_provider(b: &Blk) -> bool {
    b.ident == "provider" && b.labels == ["aws"]
}

#[derive(Debug, Clone)]
pub(super) struct Arn {
    pub(super) partition: Partition,
    pub(super) account: AccountId,
    pub(super) path: IamPath,
    pub(super) name: RoleName,
}

pub(super) fn parse_arn(s: &str) -> Result<Arn, tfroles_core::types::InvalidValue> {
    let checked: tfroles_core::types::RoleArn = s.parse()?;
    let parts: Vec<&str> = checked.as_str().splitn(6, ':').collect();
    let rest = parts[5].strip_prefix("role").unwrap_or(parts[5]);
    let slash = rest.rfind('/').unwrap_or(0);
    // The parse above checked every part; these cannot fail.
    Ok(Arn {
        partition: parts[1].parse()?,
        account: parts[4].parse()?,
        path: rest[..=slash].parse()?,
        name: rest[slash + 1..].parse()?,
    })
}
