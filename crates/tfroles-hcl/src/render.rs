//! The model rendered to files: `backend.tf` and `providers.tf` per stack,
//! and the AWS shared-config file of the `profile` credentials mode.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use tfroles_core::{
    Config, CredentialsMode, DefaultTags, Diagnostic, Diagnostics, Provider, RoleSession,
    SessionFor, Stack,
};

use crate::Error;
use crate::writer::{Block, Expr, Item, render};

/// Where the generated AWS shared-config file goes, relative to the config
/// file's directory.
pub const AWS_CONFIG_PATH: &str = ".tfroles/aws-config";

// `sync` names these through this module.
pub(crate) use crate::generated::{GeneratedFile, SIGNATURE_PREFIX, config_from, parse_signature};
use crate::generated::{signature, up};

/// The profile name the `profile` mode gives a role in an account.
pub fn profile_name(session: &RoleSession) -> String {
    format!("tfroles-{}-{}", session.role, session.account)
}

/// The profile name the `profile` mode gives one stack's backend:
/// `tfroles-state-<path>` with `/` written `.` (`tfroles-state-qa.api`).
///
/// A path with other characters than ASCII letters, digits, `_` and `-` in
/// its parts, or a long one, keeps a readable prefix (other characters as
/// `_`) and ends in `..` and a digest of the path. Plain paths never hold
/// `..` (they have no empty parts), so two stacks never share a name, and
/// every name is a plain INI section name for any SDK's parser.
pub fn state_profile_name(stack: &Stack) -> String {
    const MAX: usize = 96;
    let path = stack.path.as_str();
    let plain = path.split('/').all(|part| {
        part.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    let slug: String = path
        .chars()
        .map(|c| match c {
            '/' => '.',
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => c,
            _ => '_',
        })
        .collect();
    if plain && slug.len() <= MAX {
        return format!("tfroles-state-{slug}");
    }
    let digest = Sha256::digest(path.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let head: String = slug.chars().take(MAX - 2 - hex.len()).collect();
    format!("tfroles-state-{head}..{hex}")
}

/// One word of a `credential_process` line, read alike by `sh -c` (the Go
/// and Rust SDKs) and by Python's `shlex.split` (botocore): left bare when
/// it has only the characters `shlex.quote` leaves bare, else in single
/// quotes. A `'` inside is written `'"'"'`, not the usual `'\''`: the Go
/// SDK's INI reader turns `\'` into `'` before the shell sees the line.
fn shell_word(s: &str) -> String {
    let bare = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&b));
    if bare {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r#"'"'"'"#))
    }
}

fn str(s: impl AsRef<str>) -> Expr {
    Expr::Str(s.as_ref().to_owned())
}

fn tags(session: &RoleSession) -> Option<Expr> {
    (!session.tags.is_empty()).then(|| {
        Expr::Object(
            session
                .tags
                .iter()
                .map(|(k, v)| (k.to_owned(), str(v)))
                .collect(),
        )
    })
}

/// The `name = value` pairs of an assume_role object or block: role_arn,
/// external_id, session_name, duration, policy (a session policy, as one
/// line of JSON in a string: the backend cannot call `jsonencode`),
/// source_identity, tags.
fn assume_role_attrs(session: &RoleSession, policy: Option<&str>) -> Vec<(&'static str, Expr)> {
    let mut attrs = vec![("role_arn", str(&session.arn))];
    if let Some(x) = &session.external_id {
        attrs.push(("external_id", str(x)));
    }
    attrs.push(("session_name", str(&session.session_name)));
    attrs.push(("duration", str(session.duration.to_string())));
    if let Some(p) = policy {
        attrs.push(("policy", str(p)));
    }
    if let Some(x) = &session.source_identity {
        attrs.push(("source_identity", str(x)));
    }
    if let Some(t) = tags(session) {
        attrs.push(("tags", t));
    }
    attrs
}

fn profile_attrs(block: &mut Block, profile: String, dir: &str) {
    block.attr("profile", str(profile));
    block.attr(
        "shared_config_files",
        Expr::List(vec![str(format!("{}{AWS_CONFIG_PATH}", up(dir)))]),
    );
}

/// The backend file of one stack. With `credentials = "assume_role"` its
/// `assume_role` carries the stack's session policy (only its own state
/// keys; none with `role_per_stack`, where the stack has its own role);
/// with `credentials = "profile"` it names the stack's own profile, whose
/// `credential_process` adds that policy.
///
/// # Errors
///
/// [`Error::Config`] when the session policy does not fit in the 2,048
/// characters STS allows.
pub fn backend_file(config: &Config, stack: &Stack) -> Result<GeneratedFile, Error> {
    let dir = stack.path.as_str();
    let state = &config.state();
    let decided = config.decide_session(
        &SessionFor::role(state.role.as_str())
            .account(state.account.as_str())
            .stack(stack),
    )?;
    let (session, policy) = (decided.role, decided.policy);
    let mut s3 = Block::new("backend", &["s3"]);
    s3.attr("bucket", str(&state.bucket))
        .attr("key", str(&stack.state_key))
        .attr("region", str(&state.region))
        .attr("encrypt", Expr::Bool(state.encrypt));
    if let Some(k) = &state.kms_key_id {
        s3.attr("kms_key_id", str(k));
    }
    s3.attr("use_lockfile", Expr::Bool(state.use_lockfile));
    if let Some(t) = &state.dynamodb_table {
        s3.attr("dynamodb_table", str(t));
    }
    if let Some(p) = &state.workspace_key_prefix {
        s3.attr("workspace_key_prefix", str(p));
    }
    match config.defaults().credentials {
        CredentialsMode::AssumeRole => {
            // The backend takes assume_role as an object attribute, unlike
            // the provider's block; the block form is a hard error there.
            let policy = policy.map(|p| p.to_json_compact());
            s3.blank().attr(
                "assume_role",
                Expr::Object(
                    assume_role_attrs(&session, policy.as_deref())
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                ),
            );
        }
        CredentialsMode::Profile => {
            s3.blank();
            profile_attrs(&mut s3, state_profile_name(stack), dir);
        }
    }
    let mut terraform = Block::new("terraform", &[]);
    terraform.block(s3);
    Ok(file(
        config,
        dir,
        &config.defaults().backend_file,
        vec![Item::Block(terraform)],
    ))
}

/// The delete guard of each role instance, as compact JSON, worked out
/// once per role and account rather than once per provider.
#[derive(Default)]
struct Guards(HashMap<(String, String), Option<String>>);

impl Guards {
    /// The session policy a provider's session of `session`'s role
    /// carries: the delete guard, unless the role has `allow_delete` or
    /// grants nothing that deletes.
    fn get(&mut self, config: &Config, session: &RoleSession) -> Result<Option<String>, Error> {
        let key = (session.role.to_string(), session.account.to_string());
        if let Some(p) = self.0.get(&key) {
            return Ok(p.clone());
        }
        let policy = config
            .decide_session(
                &SessionFor::role(session.role.as_str()).account(session.account.as_str()),
            )?
            .policy
            .map(|d| d.to_json_compact());
        self.0.insert(key, policy.clone());
        Ok(policy)
    }
}

/// `default_tags { tags = {...} }`, when there are tags.
fn default_tags_block(tags: &DefaultTags) -> Option<Block> {
    (!tags.is_empty()).then(|| {
        let mut b = Block::new("default_tags", &[]);
        b.attr("tags", tags_expr(tags));
        b
    })
}

fn tags_expr(tags: &DefaultTags) -> Expr {
    Expr::Object(tags.iter().map(|(k, v)| (k.to_owned(), str(v))).collect())
}

fn provider_block(
    config: &Config,
    p: &Provider,
    dir: &str,
    guards: &mut Guards,
) -> Result<Block, Error> {
    let mut b = Block::new("provider", &["aws"]);
    if let Some(alias) = &p.alias {
        b.attr("alias", str(alias));
    }
    b.attr("region", str(&p.region));
    match config.defaults().credentials {
        CredentialsMode::AssumeRole => {
            b.attr(
                "allowed_account_ids",
                Expr::List(p.allowed_account_ids.iter().map(str).collect()),
            );
            // A `via` chain becomes consecutive blocks, first hop first:
            // provider v5.67+ assumes them in order.
            // Named for this stack; `{user}` and `{run}` are left out: the
            // file is the same for every run (see naming.rs).
            let named = p.session.clone().named(&tfroles_core::SessionNames {
                stack: Some(dir),
                ..Default::default()
            });
            let mut chain = vec![&named];
            while let Some(via) = &chain[chain.len() - 1].via {
                chain.push(via);
            }
            // Only the session terraform works with (the last hop) is
            // narrowed; the hops before it only assume the next role.
            let guard = guards.get(config, &p.session)?;
            for (i, session) in chain.into_iter().enumerate().rev() {
                let policy = if i == 0 { guard.as_deref() } else { None };
                let mut ar = Block::new("assume_role", &[]);
                for (k, v) in assume_role_attrs(session, policy) {
                    ar.attr(k, v);
                }
                b.blank().block(ar);
            }
        }
        CredentialsMode::Profile => {
            profile_attrs(&mut b, profile_name(&p.session), dir);
            b.attr(
                "allowed_account_ids",
                Expr::List(p.allowed_account_ids.iter().map(str).collect()),
            );
        }
    }
    if let Some(tags) = default_tags_block(&p.default_tags) {
        b.blank().block(tags);
    }
    Ok(b)
}

/// The local the providers of a stack with workspace blocks read their
/// settings from, and the one holding every workspace's.
pub const WORKSPACE_LOCAL: &str = "tfroles_workspace";
/// See [`WORKSPACE_LOCAL`].
pub const WORKSPACES_LOCAL: &str = "tfroles_workspaces";

/// The key of a provider in a workspace's settings: `aws` for the default
/// provider, `aws.ALIAS` for an alias (no alias can take the other's key).
pub fn workspace_provider_key(p: &Provider) -> String {
    match &p.alias {
        Some(a) => format!("aws.{a}"),
        None => "aws".to_owned(),
    }
}

/// The attributes of `assume_role` that any hop of any workspace sets, in
/// the order [`assume_role_attrs`] writes them: each hop's object carries
/// all of them (`null` where unset), so that a `dynamic` block can name them.
const HOP_ATTRS: [&str; 7] = [
    "role_arn",
    "external_id",
    "session_name",
    "duration",
    "policy",
    "source_identity",
    "tags",
];

/// The providers file of a stack with workspace blocks: a `locals` block
/// with every workspace's settings of every provider, indexed by
/// `terraform.workspace` (terraform stops with "Invalid index" in a
/// workspace the stack does not list), and provider blocks that read them.
/// A `via` chain, whose length may differ by workspace, is a `dynamic
/// "assume_role"` block.
fn workspace_providers_file(
    config: &Config,
    stack: &Stack,
    guards: &mut Guards,
) -> Result<GeneratedFile, Error> {
    let dir = stack.path.as_str();
    let mode = config.defaults().credentials;
    let (hops_of, shapes) = workspace_hops(config, stack, guards)?;
    let settings: Vec<(String, Expr)> = stack
        .workspaces
        .iter()
        .zip(hops_of)
        .map(|(w, hops)| {
            let providers = w
                .providers
                .iter()
                .zip(hops)
                .zip(&shapes)
                .map(|((p, hops), shape)| {
                    let entries = workspace_provider_settings(p, hops, shape, mode);
                    (workspace_provider_key(p), Expr::Object(entries))
                })
                .collect();
            (w.name.to_string(), Expr::Object(providers))
        })
        .collect();
    let mut locals = Block::new("locals", &[]);
    locals.items.push(Item::Comment(
        "The workspaces tfroles.hcl lists for this stack; in any other, terraform stops".into(),
    ));
    locals.items.push(Item::Comment(
        "at the index below with \"Invalid index\".".into(),
    ));
    locals.attr(WORKSPACES_LOCAL, Expr::Object(settings));
    locals.attr(
        WORKSPACE_LOCAL,
        Expr::Traversal(format!("local.{WORKSPACES_LOCAL}[terraform.workspace]")),
    );
    let mut items = vec![Item::Block(locals)];
    for (p, shape) in stack.workspaces[0].providers.iter().zip(&shapes) {
        items.push(Item::Blank);
        items.push(Item::Block(workspace_provider_block(p, shape, mode, dir)));
    }
    Ok(file(config, dir, &config.defaults().providers_file, items))
}

/// One provider's `assume_role` hops, from the first role assumed to the
/// provider's own.
type Hops = Vec<Vec<(&'static str, Expr)>>;

/// What one provider block of a stack with workspaces reads, whichever
/// workspace is selected: the hop attributes any workspace uses, and
/// whether any workspace has tags.
#[derive(Default, Clone)]
struct ProviderShape {
    used: Vec<&'static str>,
    tagged: bool,
}

/// Each workspace's providers' hops, and each provider's shape (in the
/// order of the first workspace; every workspace has the same aliases).
fn workspace_hops(
    config: &Config,
    stack: &Stack,
    guards: &mut Guards,
) -> Result<(Vec<Vec<Hops>>, Vec<ProviderShape>), Error> {
    let mut shapes = vec![ProviderShape::default(); stack.workspaces[0].providers.len()];
    let mut hops_of = Vec::new();
    for w in &stack.workspaces {
        let mut ps = Vec::new();
        for (p, shape) in w.providers.iter().zip(shapes.iter_mut()) {
            // Named for this stack, as the other providers files are.
            let named = p.session.clone().named(&tfroles_core::SessionNames {
                stack: Some(stack.path.as_str()),
                ..Default::default()
            });
            let mut chain = vec![&named];
            while let Some(via) = &chain[chain.len() - 1].via {
                chain.push(via);
            }
            let guard = guards.get(config, &p.session)?;
            let hops: Hops = chain
                .iter()
                .enumerate()
                .rev()
                .map(|(j, s)| assume_role_attrs(s, if j == 0 { guard.as_deref() } else { None }))
                .collect();
            for hop in &hops {
                for (k, _) in hop {
                    if !shape.used.contains(k) {
                        shape.used.push(k);
                    }
                }
            }
            shape.tagged |= !p.default_tags.is_empty();
            ps.push(hops);
        }
        hops_of.push(ps);
    }
    Ok((hops_of, shapes))
}

/// One provider's settings in one workspace, as the `locals` block holds
/// them: every attribute of the shape, `null` where this workspace has none.
fn workspace_provider_settings(
    p: &Provider,
    hops: Hops,
    shape: &ProviderShape,
    mode: CredentialsMode,
) -> Vec<(String, Expr)> {
    let mut entries = vec![("region".to_owned(), str(&p.region))];
    entries.push((
        "allowed_account_ids".to_owned(),
        Expr::List(p.allowed_account_ids.iter().map(str).collect()),
    ));
    match mode {
        CredentialsMode::AssumeRole => {
            let hops = hops
                .into_iter()
                .map(|hop| {
                    Expr::Object(
                        HOP_ATTRS
                            .iter()
                            .filter(|a| shape.used.contains(a))
                            .map(|a| {
                                let v = hop
                                    .iter()
                                    .find(|(k, _)| k == a)
                                    .map_or(Expr::Ref("null".into()), |(_, v)| v.clone());
                                ((*a).to_owned(), v)
                            })
                            .collect(),
                    )
                })
                .collect();
            entries.push(("assume_role".to_owned(), Expr::Tuple(hops)));
        }
        CredentialsMode::Profile => {
            entries.push(("profile".to_owned(), str(profile_name(&p.session))));
        }
    }
    if shape.tagged {
        entries.push(("default_tags".to_owned(), tags_expr(&p.default_tags)));
    }
    entries
}

/// One `provider "aws"` block of a stack with workspaces, reading the
/// selected workspace's settings.
fn workspace_provider_block(
    p: &Provider,
    shape: &ProviderShape,
    mode: CredentialsMode,
    dir: &str,
) -> Block {
    let at = |attr: &str| {
        Expr::Traversal(format!(
            "local.{WORKSPACE_LOCAL}[{}].{attr}",
            crate::writer::quote(&workspace_provider_key(p))
        ))
    };
    let mut b = Block::new("provider", &["aws"]);
    if let Some(alias) = &p.alias {
        b.attr("alias", str(alias));
    }
    b.attr("region", at("region"));
    match mode {
        CredentialsMode::AssumeRole => {
            b.attr("allowed_account_ids", at("allowed_account_ids"));
            let mut content = Block::new("content", &[]);
            for a in HOP_ATTRS.iter().filter(|a| shape.used.contains(a)) {
                content.attr(a, Expr::Traversal(format!("assume_role.value.{a}")));
            }
            let mut dynamic = Block::new("dynamic", &["assume_role"]);
            dynamic.attr("for_each", at("assume_role")).block(content);
            b.blank().block(dynamic);
        }
        CredentialsMode::Profile => {
            b.attr("profile", at("profile"));
            b.attr(
                "shared_config_files",
                Expr::List(vec![str(format!("{}{AWS_CONFIG_PATH}", up(dir)))]),
            );
            b.attr("allowed_account_ids", at("allowed_account_ids"));
        }
    }
    if shape.tagged {
        let mut tags = Block::new("default_tags", &[]);
        tags.attr("tags", at("default_tags"));
        b.blank().block(tags);
    }
    b
}

/// The providers file of one stack. With `credentials = "assume_role"`,
/// the `assume_role` of a provider whose role grants deletes and has no
/// `allow_delete = true` carries the delete guard as its session policy.
///
/// # Errors
///
/// [`Error::Config`] when a provider's session policy cannot be made.
pub fn providers_file(config: &Config, stack: &Stack) -> Result<GeneratedFile, Error> {
    providers_file_with(config, stack, &mut Guards::default())
}

fn providers_file_with(
    config: &Config,
    stack: &Stack,
    guards: &mut Guards,
) -> Result<GeneratedFile, Error> {
    if !stack.workspaces.is_empty() {
        return workspace_providers_file(config, stack, guards);
    }
    let dir = stack.path.as_str();
    let mut items = Vec::new();
    for (i, p) in stack.providers.iter().enumerate() {
        if i > 0 {
            items.push(Item::Blank);
        }
        items.push(Item::Block(provider_block(config, p, dir, guards)?));
    }
    Ok(file(config, dir, &config.defaults().providers_file, items))
}

fn file(config: &Config, dir: &str, name: &impl AsRef<str>, items: Vec<Item>) -> GeneratedFile {
    let mut contents = signature(config, dir);
    contents.push('\n');
    contents.push_str(&render(&items));
    GeneratedFile {
        path: format!("{dir}/{}", name.as_ref()),
        contents,
    }
}

/// Characters the AWS SDK for Go (terraform's) takes for the start of a
/// comment anywhere in an INI line: a `credential_process` line cannot
/// carry them.
const INI_COMMENT: [char; 2] = ['#', ';'];

/// The AWS shared-config file of the `profile` mode: a profile per stack
/// for its backend, running `tfroles credential-process --stack PATH` for
/// the state role, and one per role instance the providers use. `None` in
/// the `assume_role` mode.
///
/// # Errors
///
/// [`Error::Config`] naming every stack whose path holds `#` or `;`.
pub fn aws_config_file(config: &Config, stacks: &[Stack]) -> Result<Option<GeneratedFile>, Error> {
    if config.defaults().credentials != CredentialsMode::Profile {
        return Ok(None);
    }
    let state = config.state_session();
    let mut problems = Vec::new();
    // (profile name, command line)
    let mut profiles: Vec<(String, String)> = Vec::with_capacity(stacks.len() * 2);
    for s in stacks {
        let path = s.path.as_str();
        if let Some(c) = path.chars().find(|c| INI_COMMENT.contains(c)) {
            problems.push(Diagnostic {
                file: config.file().to_path_buf(),
                location: None,
                block: Some(config.stacks()[s.block].describe()),
                attribute: None,
                message: format!(
                    "directory {path:?} has `{c}` in its path: terraform's AWS SDK reads `#` and `;` in {AWS_CONFIG_PATH} as the start of a comment, so no `credential_process` line can name this stack"
                ),
                allowed: None,
                hint: Some(
                    "rename the directory, or set `credentials = \"assume_role\"` in `defaults`"
                        .into(),
                ),
            });
            continue;
        }
        // Role and account names are limited to shell-safe characters by
        // their types; the stack path is quoted where it needs it.
        profiles.push((
            state_profile_name(s),
            format!(
                "tfroles credential-process --role {} --account {} --stack {}",
                state.role,
                state.account,
                shell_word(path)
            ),
        ));
        for p in s.all_providers() {
            profiles.push((
                profile_name(&p.session),
                format!(
                    "tfroles credential-process --role {} --account {}",
                    p.session.role, p.session.account
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Config(tfroles_core::Error::Invalid(Diagnostics(
            problems,
        ))));
    }
    profiles.sort_by(|a, b| a.0.cmp(&b.0));
    profiles.dedup_by(|a, b| a.0 == b.0);
    let dir = AWS_CONFIG_PATH.rsplit_once('/').map_or("", |(d, _)| d);
    let mut contents = signature(config, dir);
    for (name, command) in profiles {
        contents.push_str(&format!(
            "\n[profile {name}]\ncredential_process = {command}\n"
        ));
    }
    Ok(Some(GeneratedFile {
        path: AWS_CONFIG_PATH.to_owned(),
        contents,
    }))
}

/// Every file for the given stacks, in a stable order: per stack (sorted by
/// path) the backend file then the providers file, then the AWS config file,
/// then the bootstrap stack's files (see [`crate::bootstrap_files`]).
///
/// # Errors
///
/// [`Error::Config`] with every problem found, when a session policy does
/// not fit or (in the `profile` mode) a stack path cannot be named in a
/// `credential_process` line. Nothing is returned then, so nothing is
/// written.
pub fn generate(config: &Config, stacks: &[Stack]) -> Result<Vec<GeneratedFile>, Error> {
    let mut files = Vec::with_capacity(stacks.len() * 2 + 1);
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut guards = Guards::default();
    let mut keep = |r: Result<GeneratedFile, Error>, problems: &mut Vec<Diagnostic>| match r {
        Ok(f) => {
            files.push(f);
            Ok(())
        }
        Err(Error::Config(tfroles_core::Error::Invalid(d))) => {
            problems.extend(d.0);
            Ok(())
        }
        Err(e) => Err(e),
    };
    for s in stacks {
        keep(backend_file(config, s), &mut problems)?;
        keep(providers_file_with(config, s, &mut guards), &mut problems)?;
    }
    match aws_config_file(config, stacks) {
        Ok(f) => files.extend(f),
        Err(Error::Config(tfroles_core::Error::Invalid(d))) => problems.extend(d.0),
        Err(e) => return Err(e),
    }
    match crate::bootstrap::bootstrap_files(config, stacks) {
        Ok(f) => files.extend(f),
        Err(tfroles_core::Error::Invalid(d)) => problems.extend(d.0),
        Err(e) => return Err(e.into()),
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(Error::Config(tfroles_core::Error::Invalid(Diagnostics(
            problems,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
        defaults { region = "us-east-1" }
        account "shared" { id = "111111111111" }
        account "qa" { id = "333333333333" }
        state {
          account    = "shared"
          bucket     = "acme-terraform-state"
          role       = "terraform-state"
          key_prefix = "terraform"
          STATE_EXTRA
        }
        role "terraform-state" { account = "shared" }
        role "hub" { account = "shared" }
        role "app" {
          account  = "qa"
          via      = "hub"
          services = ["sqs"]
        }
        role "keeper" {
          account      = "qa"
          services     = ["sqs"]
          allow_delete = true
        }
        stack "qa/app" {
          account = "qa"
          role    = "app"
          provider "kept" { role = "keeper" }
        }
    "#;

    fn load(state_extra: &str) -> (Config, Vec<Stack>) {
        let config = Config::from_str(&BASE.replace("STATE_EXTRA", state_extra))
            .unwrap_or_else(|e| panic!("{e}"));
        let stacks = config.resolve(&[]).unwrap().stacks;
        (config, stacks)
    }

    #[test]
    fn only_the_last_hop_of_a_guarded_role_carries_the_delete_guard() {
        let (config, stacks) = load("");
        let text = providers_file(&config, &stacks[0]).unwrap().contents;
        let guard = config
            .session_policy("app", Some("qa"), None, false)
            .unwrap()
            .unwrap()
            .to_json_compact();
        assert!(guard.contains("sqs:Delete*"), "{guard}");
        let blocks: Vec<&str> = text.split("assume_role {").skip(1).collect();
        assert_eq!(blocks.len(), 3, "{text}");
        assert!(!blocks[0].contains("policy"), "the hub hop: {text}");
        assert!(
            blocks[1].contains(&format!("policy       = {}", crate::writer::quote(&guard))),
            "{text}"
        );
        assert!(
            !blocks[2].contains("policy"),
            "`allow_delete = true`: {text}"
        );
    }

    #[test]
    fn role_per_stack_backends_assume_their_own_role_without_a_policy() {
        let (config, stacks) = load("role_per_stack = true");
        let text = backend_file(&config, &stacks[0]).unwrap().contents;
        let own = config.stack_state_session(&stacks[0]);
        assert_ne!(own.arn, config.state_session().arn);
        assert!(
            text.contains(&format!("role_arn     = \"{}\"", own.arn)),
            "{text}"
        );
        assert!(!text.contains("policy"), "{text}");

        let (config, stacks) = load("");
        let text = backend_file(&config, &stacks[0]).unwrap().contents;
        assert!(text.contains("role/terraform-state\""), "{text}");
        assert!(text.contains("    policy       = \"{"), "{text}");
    }

    #[test]
    fn a_session_policy_over_the_sts_limit_fails_every_stack_it_affects() {
        let prefix = "k".repeat(400);
        let long = format!("qa/{}", "o".repeat(250));
        let config = Config::from_str(
            &BASE
                .replace("STATE_EXTRA", "list_scope = \"state_keys\"")
                .replace("key_prefix = \"terraform\"", &format!("key_prefix = \"{prefix}\""))
                .replace(
                    "stack \"qa/app\" {",
                    &format!("stack \"{long}/a\" {{\n account = \"qa\"\n role = \"keeper\"\n}}\nstack \"{long}/b\" {{\n account = \"qa\"\n role = \"keeper\"\n}}\nstack \"qa/app\" {{"),
                ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let stacks = config.resolve(&[]).unwrap().stacks;
        assert!(backend_file(&config, &stacks[0]).is_ok(), "qa/app fits");
        let Err(Error::Config(tfroles_core::Error::Invalid(d))) = generate(&config, &stacks) else {
            panic!("a policy of more than 2,048 characters must fail");
        };
        assert_eq!(d.0.len(), 2, "one problem per stack that does not fit: {d}");
        for (diag, path) in d.0.iter().zip([format!("{long}/a"), format!("{long}/b")]) {
            assert_eq!(
                diag.block.as_deref(),
                Some("role \"terraform-state\" (the state role)")
            );
            assert!(diag.message.contains(&format!("{path:?}")), "{diag}");
            assert!(diag.message.contains("2048"), "{diag}");
        }
    }

    #[test]
    fn state_profile_names_are_plain_ini_names_and_never_shared() {
        let name = |path: &str| {
            let config = Config::from_str(&BASE.replace("STATE_EXTRA", "").replace(
                "stack \"qa/app\"",
                &format!("stack {}", crate::writer::quote(path)),
            ))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
            state_profile_name(&config.resolve(&[]).unwrap().stacks[0])
        };
        assert_eq!(name("qa/app"), "tfroles-state-qa.app");
        assert_eq!(name("qa/my_app-2"), "tfroles-state-qa.my_app-2");
        let odd = [
            "qa.app",
            "qa/app.",
            "qa/my app",
            "qa/it's",
            "qa/$${x}",
            "日本/café",
            "qa/a#b",
            &"x".repeat(200),
        ];
        let mut names: Vec<String> = odd.iter().map(|p| name(p)).collect();
        names.push(name("qa/app"));
        for n in &names {
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)),
                "{n}"
            );
            assert!(n.len() <= 14 + 96, "{n}");
        }
        assert!(
            names[0].contains(".."),
            "a `.` in a part is hashed: {}",
            names[0]
        );
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn shell_words_survive_sh_shlex_and_the_go_ini_reader() {
        assert_eq!(shell_word("qa/app-1_x.y"), "qa/app-1_x.y");
        assert_eq!(shell_word("qa/my app"), "'qa/my app'");
        assert_eq!(shell_word("it's"), r#"'it'"'"'s'"#);
        assert_eq!(shell_word("${x} \"q\""), r#"'${x} "q"'"#);
        assert_eq!(shell_word("日本"), "'日本'");
        assert!(!shell_word("a'b").contains("\\'"));
    }

    #[test]
    fn a_stack_path_with_an_ini_comment_character_cannot_have_a_profile() {
        let config = Config::from_str(
            &BASE
                .replace("STATE_EXTRA", "")
                .replace(
                    "defaults { region = \"us-east-1\" }",
                    "defaults {\n region = \"us-east-1\"\n credentials = \"profile\"\n}",
                )
                .replace("via      = \"hub\"", "")
                .replace("stack \"qa/app\"", "stack \"qa/c#\""),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let stacks = config.resolve(&[]).unwrap().stacks;
        let Err(Error::Config(tfroles_core::Error::Invalid(d))) = generate(&config, &stacks) else {
            panic!("`#` cannot be named on a credential_process line");
        };
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].block.as_deref(), Some("stack \"qa/c#\""));
        assert!(d.0[0].message.contains("`#`"), "{}", d.0[0]);
    }
}
