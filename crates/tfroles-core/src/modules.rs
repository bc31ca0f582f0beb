//! Roles shipped with modules: a module directory may hold
//! `tfroles.module.hcl`, what its resources need; a stack with
//! `module_roles = true` (or whose role has it) gives each module it calls
//! that has one its own role, in the stack's account, and an aliased
//! `provider "aws"` assuming it.
//!
//! This is the one part of the core crate that reads files besides
//! `tfroles.hcl`: the stacks' `.tf` files (for their `module` blocks), the
//! modules' `.tf` files (for nested calls), `.terraform/modules/modules.json`
//! (where `terraform init` put registry and git modules) and the manifests.
//! Every read is of a regular file, never through a symbolic link, bounded
//! in size; a module directory is followed only where it stays inside the
//! repository, and the walk is bounded in depth and in modules visited.
//!
//! [`Config::with_module_roles`] finds them and returns the config with
//! each module role added to `roles` (so `roles`, `policy`, `simulate`,
//! `graph`, the bootstrap stack and `credential-process` know it like any
//! other) and to the providers of each stack that calls it
//! ([`Config::resolve`]). [`ModuleRoles::unwired`] lists the calls that do
//! not pass their provider yet.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use tfroles_policy::{AccessLevel, Catalog};

use crate::access::{Permissions, Trust, TrustedAws};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::model::{Config, Role};
use crate::raw::{self, ExprKind};
use crate::types::{AccountName, ProviderAlias, RoleName, StackPath};
use crate::validate::module_manifest;

/// The file a module directory declares its permissions in.
pub const MANIFEST_FILE_NAME: &str = "tfroles.module.hcl";
/// The largest `.tf`, manifest or `modules.json` file read.
pub(crate) const MAX_FILE_BYTES: u64 = 8 << 20;
/// How deep nested module calls are followed.
pub const MAX_DEPTH: usize = 16;
/// How many module directories one stack's walk visits at most.
pub(crate) const MAX_MODULES_PER_STACK: usize = 1000;
/// How many `.tf` files of one directory are read at most.
pub(crate) const MAX_TF_FILES: usize = 1000;

/// One module's role: one IAM role of this name in each account whose
/// stacks call the module.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModuleRole {
    /// The IAM role name: the manifest's `role_name`, else `module-NAME`.
    pub name: RoleName,
    /// The provider alias stacks pass the module: `aws.<alias>`.
    pub alias: ProviderAlias,
    /// The module: its directory relative to the config for a local
    /// module, its `source` address for a registry or git module.
    pub module: String,
    /// The manifest that defines the role, relative to the config's directory.
    pub manifest: PathBuf,
    /// Manifests of modules it calls, whose permissions the role also has
    /// (they run with the provider it is given).
    pub nested: Vec<PathBuf>,
    /// The role of the calling stacks, whose trust and session settings it has.
    pub stack_role: RoleName,
    /// The stacks calling it, sorted.
    pub stacks: Vec<StackPath>,
    /// The accounts it exists in, in the order stacks were found.
    pub accounts: Vec<AccountName>,
}

impl ModuleRole {
    /// The change that grants this role `actions`, as `explain` and
    /// `usage` propose it: in the module's manifest, which travels with
    /// the module, never in `tfroles.hcl` (where the role is not written).
    ///
    /// ```text
    /// add `iam:CreateRole` to `actions` in modules/data/tfroles.module.hcl (the manifest of module `modules/data`, whose role `module-data` is)
    /// ```
    pub fn proposal(&self, actions: &[&str]) -> String {
        let listed: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
        format!(
            "add {} to `actions` in {} (the manifest of module `{}`, whose role `{}` is)",
            listed.join(", "),
            self.manifest.display(),
            self.module,
            self.name
        )
    }
}

/// Whether a module call passes its module's provider as `aws`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "found", rename_all = "snake_case")]
pub enum Wiring {
    /// `providers = { aws = aws.<alias> }`.
    Passed,
    /// No `providers` attribute.
    Missing,
    /// `providers` without an `aws` entry.
    NoAws,
    /// `aws` is given another provider: the text written.
    Other(String),
}

/// One `module` block of a stack that calls a module with a role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModuleCall {
    /// The calling stack.
    pub stack: StackPath,
    /// The `.tf` file, relative to the config's directory.
    pub file: PathBuf,
    /// Where the block starts.
    pub line: usize,
    /// The block's label.
    pub name: String,
    /// The module's role.
    pub role: RoleName,
    /// The alias it should pass.
    pub alias: ProviderAlias,
    /// What it passes.
    pub wiring: Wiring,
}

impl ModuleCall {
    /// The line to write in the `module` block: `providers = { aws = aws.x }`.
    pub(crate) fn line_to_add(&self) -> String {
        format!("providers = {{ aws = aws.{} }}", self.alias)
    }
}

/// What [`Config::with_module_roles`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ModuleRoles {
    /// The module roles, sorted by name.
    pub roles: Vec<ModuleRole>,
    /// Every call of a module with a role, by stack, file and line.
    pub calls: Vec<ModuleCall>,
}

impl ModuleRoles {
    /// The calls that do not pass their module's provider, each as a
    /// diagnostic naming the file and line and the exact line to write.
    /// tfroles never edits these hand-written files itself.
    pub fn unwired(&self, root: &Path) -> Vec<Diagnostic> {
        self.calls
            .iter()
            .filter(|c| c.wiring != Wiring::Passed)
            .map(|c| {
                let (message, hint) = match &c.wiring {
                    Wiring::Missing => (
                        format!(
                            "does not pass the provider of role `{}`, so the module runs with the stack's role",
                            c.role
                        ),
                        format!("add this line inside the block: {}", c.line_to_add()),
                    ),
                    Wiring::NoAws => (
                        format!(
                            "passes no `aws` provider, so the module runs with the stack's role, not `{}`",
                            c.role
                        ),
                        format!("add `aws = aws.{}` to its `providers`", c.alias),
                    ),
                    Wiring::Other(found) => (
                        format!("passes `{found}` as `aws`, not the provider of role `{}`", c.role),
                        format!("write `aws = aws.{}` in its `providers`", c.alias),
                    ),
                    Wiring::Passed => unreachable!("filtered"),
                };
                Diagnostic {
                    file: shown(root, &c.file),
                    location: Some(Location {
                        line: c.line,
                        column: 1,
                    }),
                    block: Some(format!("module {:?}", c.name)),
                    attribute: Some("providers".into()),
                    message,
                    allowed: None,
                    hint: Some(hint),
                }
            })
            .collect()
    }
}

/// A path below the config's directory as users see it.
fn shown(root: &Path, rel: &Path) -> PathBuf {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        rel.to_path_buf()
    } else {
        root.join(rel)
    }
}

impl Config {
    /// Whether any stack gives its modules roles (`module_roles = true` on
    /// the stack or on its role).
    pub(crate) fn module_roles_enabled(&self) -> bool {
        self.stacks.iter().any(|s| self.stack_module_roles(s))
    }

    fn stack_module_roles(&self, s: &crate::model::StackSpec) -> bool {
        s.module_roles || self.role(s.role.as_str()).is_some_and(|r| r.module_roles)
    }

    /// The config with its modules' roles: finds the stacks on disk, the
    /// modules each stack with `module_roles` calls and their manifests,
    /// and adds one role per module per account to `roles` and its
    /// provider to each calling stack. Without `module_roles` anywhere,
    /// the config as it is, with nothing read.
    ///
    /// What was found is in [`Config::module_roles`]; what could not be
    /// followed (a source outside the repository, a registry module
    /// `terraform init` has not installed) is in `warnings`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with every problem: a manifest that is not valid,
    /// two modules asking for one role name, a role name or alias already
    /// taken, stacks with different roles calling one module;
    /// [`Error::Io`] when a directory cannot be listed.
    pub fn with_module_roles(mut self) -> Result<Config> {
        if !self.module_roles_enabled() {
            return Ok(self);
        }
        let dirs = crate::discover(&self.root)?;
        let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
        let stacks = self.resolve(&paths)?.stacks;
        let Walked {
            mut scan,
            found,
            calls,
        } = self.scan_module_calls(&stacks)?;
        let mut errors = std::mem::take(&mut scan.errors);
        let mut roles = self.name_module_roles(&scan, &found, &mut errors);
        errors.extend(self.alias_clashes(&roles, &stacks));
        errors.extend(self.source_identity_misfits(&roles));
        if !errors.is_empty() {
            errors.sort_by(|a, b| (&a.file, a.location).cmp(&(&b.file, b.location)));
            errors.dedup();
            return Err(Error::Invalid(Diagnostics(errors)));
        }
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        self.add_module_roles(&roles, &scan);
        let calls = wire_calls(calls, &roles);
        self.warnings.extend(scan.warnings);
        self.modules = ModuleRoles { roles, calls };
        Ok(self)
    }

    /// Walks the modules each stack with `module_roles` calls: the
    /// manifests read, what the calls say of each module (by module id),
    /// and every call with the module it calls.
    fn scan_module_calls(&self, stacks: &[crate::resolve::Stack]) -> Result<Walked> {
        let mut scan = Scan {
            root: self.root.clone(),
            canonical_root: std::fs::canonicalize(&self.root).map_err(|source| Error::Io {
                path: self.root.clone(),
                source,
            })?,
            manifests: BTreeMap::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        let mut found: BTreeMap<String, Found> = BTreeMap::new();
        let mut calls: Vec<(String, ModuleCall)> = Vec::new();
        for stack in stacks {
            let spec = &self.stacks[stack.block];
            if !self.stack_module_roles(spec) {
                continue;
            }
            scan.stack(
                stack.path.clone(),
                &spec.role,
                &spec.account,
                &mut found,
                &mut calls,
            );
        }
        Ok(Walked { scan, found, calls })
    }

    /// One role per module found, named by its manifest (else
    /// `module-NAME`); a module whose role cannot be named, whose name is
    /// taken, or whose callers' roles differ is an error instead.
    fn name_module_roles(
        &self,
        scan: &Scan,
        found: &BTreeMap<String, Found>,
        errors: &mut Vec<Diagnostic>,
    ) -> Vec<ModuleRole> {
        let mut roles: Vec<ModuleRole> = Vec::new();
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        for (id, f) in found {
            match self.module_role_for(scan, id, f, &taken) {
                Ok(role) => {
                    taken.insert(role.name.to_string(), id.clone());
                    roles.push(role);
                }
                Err(e) => errors.push(*e),
            }
        }
        roles
    }

    /// The role of module `id`, given the role names `taken` so far.
    fn module_role_for(
        &self,
        scan: &Scan,
        id: &str,
        f: &Found,
        taken: &BTreeMap<String, String>,
    ) -> std::result::Result<ModuleRole, Box<Diagnostic>> {
        let manifest = &scan.manifests[&f.manifest];
        let error = |loc, message: String, hint: &str| {
            Box::new(manifest_error(&scan.root, &f.manifest, loc, message, hint))
        };
        let name = match &manifest.role_name {
            Some(n) => n.value.clone(),
            None => format!("module-{}", default_name(id, f.local))
                .parse::<RoleName>()
                .map_err(|e| {
                    error(
                        None,
                        format!("module `{id}` needs a role name: {}", e.message),
                        "set `role_name = \"...\"` in the manifest",
                    )
                })?,
        };
        let loc = manifest.role_name.as_ref().and_then(|n| n.loc);
        if let Some(other) = taken.get(name.as_str()) {
            return Err(error(
                loc,
                format!("module `{id}` and module `{other}` would both have the role `{name}`"),
                "set a different `role_name` in one of the manifests",
            ));
        }
        if self.role(name.as_str()).is_some() {
            return Err(error(
                loc,
                format!(
                    "the role `{name}` of module `{id}` is already a role in {}",
                    self.file.display()
                ),
                "set another `role_name` in the manifest, or rename the role block",
            ));
        }
        let [stack_role] = &f.stack_roles.iter().collect::<Vec<_>>()[..] else {
            let names: Vec<String> = f.stack_roles.iter().map(|r| format!("`{r}`")).collect();
            return Err(error(
                None,
                format!(
                    "module `{id}` is called by stacks whose roles differ ({}): its one role per account cannot take the trust and session settings of both",
                    names.join(", ")
                ),
                "call it from stacks of one role, or set `module_roles = false` on the others' stack blocks",
            ));
        };
        Ok(ModuleRole {
            alias: alias_for(&name),
            name,
            module: id.to_owned(),
            manifest: f.manifest.clone(),
            nested: f.nested.iter().cloned().collect(),
            stack_role: (*stack_role).clone(),
            stacks: f.stacks.iter().cloned().collect(),
            accounts: f.accounts.clone(),
        })
    }

    /// Stack provider aliases are the stack's own: a module alias may not
    /// reuse one.
    fn alias_clashes(
        &self,
        roles: &[ModuleRole],
        stacks: &[crate::resolve::Stack],
    ) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        for r in roles {
            for s in &r.stacks {
                let Some(st) = stacks.iter().find(|x| &x.path == s) else {
                    continue;
                };
                let spec = &self.stacks[st.block];
                if spec.providers.iter().any(|p| p.alias == r.alias) {
                    errors.push(Diagnostic {
                        file: self.file.clone(),
                        location: spec.loc,
                        block: Some(spec.describe()),
                        attribute: None,
                        message: format!(
                            "has a provider `{}`, the alias of module role `{}` (module `{}`)",
                            r.alias, r.name, r.module
                        ),
                        allowed: None,
                        hint: Some("rename the stack's provider, or set another `role_name` in the module's manifest".into()),
                    });
                }
            }
        }
        errors
    }

    /// A module role has its stack role's `source_identity`, rendered with
    /// its own name: it must still fit, as the stack role's was checked
    /// when the config was read.
    fn source_identity_misfits(&self, roles: &[ModuleRole]) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        for r in roles {
            let Some(i) = self.roles.iter().position(|x| x.name == r.stack_role) else {
                continue;
            };
            let Some(t) = &self.roles[i].source_identity else {
                continue;
            };
            let misfit = r
                .accounts
                .iter()
                .find_map(|a| t.check_fits(r.name.as_str(), a.as_str()).err());
            if let Some(e) = misfit {
                errors.push(Diagnostic {
                    file: self.file.clone(),
                    location: self.role_locs.get(i).copied().flatten(),
                    block: Some(format!("role {:?}", r.stack_role.as_str())),
                    attribute: Some("source_identity".into()),
                    message: format!(
                        "for module role `{}` (module `{}`), which has this role's settings: {}",
                        r.name, r.module, e.message
                    ),
                    allowed: Some(e.allowed),
                    hint: Some("shorten `source_identity`, or give the module a shorter `role_name` in its manifest".into()),
                });
            }
        }
        errors
    }

    /// Adds each module's role to `roles`: the calling stacks' role's
    /// settings and trust, the manifest's permissions and those of the
    /// modules it calls.
    fn add_module_roles(&mut self, roles: &[ModuleRole], scan: &Scan) {
        for r in roles {
            let base = self
                .role(r.stack_role.as_str())
                .expect("a stack's role")
                .clone();
            let mut permissions = scan.manifests[&r.manifest].permissions.clone();
            for n in &r.nested {
                merge(&mut permissions, &scan.manifests[n].permissions);
            }
            self.roles.push(Role {
                name: r.name.clone(),
                accounts: r.accounts.clone(),
                permissions,
                trust: Some(base.trust.clone().unwrap_or_else(|| self.implicit_trust())),
                module_roles: false,
                ..base
            });
            self.role_locs.push(None);
        }
    }

    /// What a role without a `trust` block trusts, written out: every
    /// identity with an `arn`.
    fn implicit_trust(&self) -> Trust {
        Trust {
            aws: self
                .identities
                .iter()
                .filter(|i| i.arn().is_some())
                .map(|i| TrustedAws::Identity(i.name.clone()))
                .collect(),
            ..Trust::default()
        }
    }

    /// The module role of this name, if it is one: for messages that
    /// should point at the module's manifest rather than at `tfroles.hcl`
    /// (`explain`, `usage`).
    pub fn module_role(&self, role: &str) -> Option<&ModuleRole> {
        self.modules.roles.iter().find(|r| r.name.as_str() == role)
    }

    /// The module role a session or role ARN belongs to:
    /// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` or
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`, in an account the role is in.
    pub fn module_role_for_arn(&self, arn: &str) -> Option<&ModuleRole> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, _, service, _, account, resource] = parts[..] else {
            return None;
        };
        let name = match service {
            "sts" => resource.strip_prefix("assumed-role/")?.split('/').next()?,
            "iam" => resource.strip_prefix("role/")?.rsplit('/').next()?,
            _ => return None,
        };
        let r = self.module_role(name)?;
        r.accounts
            .iter()
            .any(|a| {
                self.account(a.as_str())
                    .is_some_and(|a| a.id.as_str() == account)
            })
            .then_some(r)
    }
}

/// The permissions of a nested module's manifest added to its caller's:
/// its services at its access levels become actions (so the caller's
/// access levels do not widen them), its own denials drop the actions
/// they match, and its resources are added.
fn merge(into: &mut Permissions, nested: &Permissions) {
    let catalog = Catalog::get();
    let denied: BTreeSet<&str> = nested
        .deny_actions
        .iter()
        .flat_map(|d| catalog.expand(d))
        .map(|i| i.action())
        .collect();
    let mut actions: BTreeSet<String> = BTreeSet::new();
    for prefix in &nested.services {
        if let Some(service) = catalog.service(prefix) {
            let levels: Vec<AccessLevel> = nested.access.clone();
            for a in service.by_access(&levels) {
                actions.insert(a.action().to_owned());
            }
        }
    }
    for a in &nested.actions {
        for i in catalog.expand(a) {
            actions.insert(i.action().to_owned());
        }
    }
    actions.retain(|a| !denied.contains(a.as_str()));
    if let Ok(short) = catalog.compress(&actions) {
        for a in short {
            if !into.actions.iter().any(|x| x.eq_ignore_ascii_case(&a)) {
                into.actions.push(a);
            }
        }
    }
    if into.resources != ["*"] {
        if nested.resources == ["*"] {
            into.resources = vec!["*".into()];
        } else {
            for r in &nested.resources {
                if !into.resources.contains(r) {
                    into.resources.push(r.clone());
                }
            }
        }
    }
    into.allow_delete |= nested.allow_delete;
}

/// The provider alias of a module role: its name as a Terraform identifier.
fn alias_for(name: &RoleName) -> ProviderAlias {
    let mut s: String = name
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert_str(0, "m_");
    }
    s.parse()
        .expect("letters, digits and `_`, starting with a letter")
}

/// A module's short name: the last directory of a local path (`local`); `NAME` of
/// a registry address `NAMESPACE/NAME/SYSTEM`; the last path segment of
/// a git or other address (without `.git`, `?ref=...`).
fn default_name(id: &str, local: bool) -> String {
    if local {
        return sanitize(id.rsplit('/').next().unwrap_or(id));
    }
    let id = id.split(['?', '#']).next().unwrap_or(id);
    let (addr, sub) = match id.split_once("//") {
        Some((a, s)) if !a.ends_with(':') => (a, Some(s)),
        _ => match id.rsplit_once("//") {
            Some((a, s)) if a.contains("://") && !s.contains("://") => (a, Some(s)),
            _ => (id, None),
        },
    };
    if let Some(sub) = sub.filter(|s| !s.is_empty()) {
        return sanitize(sub.rsplit('/').next().unwrap_or(sub));
    }
    let segments: Vec<&str> = addr.split('/').filter(|s| !s.is_empty()).collect();
    let registry = !addr.contains("::") && !addr.contains("://");
    let name = match segments.len() {
        3 if registry && !segments[0].contains('.') => segments[1],
        4 if registry => segments[2],
        _ => segments.last().copied().unwrap_or("module"),
    };
    sanitize(name.trim_end_matches(".git"))
}

fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(50)
        .collect();
    if out.is_empty() { "module".into() } else { out }
}

fn manifest_error(
    root: &Path,
    manifest: &Path,
    loc: Option<Location>,
    message: String,
    hint: &str,
) -> Diagnostic {
    Diagnostic {
        file: shown(root, manifest),
        location: loc,
        block: None,
        attribute: None,
        message,
        allowed: None,
        hint: Some(hint.into()),
    }
}

/// Each call of a module that has a role, with the role and its alias;
/// a call already passing `aws.<alias>` counts as wired. Sorted by stack,
/// file and line.
fn wire_calls(calls: Vec<(String, ModuleCall)>, roles: &[ModuleRole]) -> Vec<ModuleCall> {
    let mut calls: Vec<ModuleCall> = calls
        .into_iter()
        .filter_map(|(id, mut c)| {
            let r = roles.iter().find(|r| r.module == id)?;
            c.role = r.name.clone();
            c.alias = r.alias.clone();
            if c.wiring == Wiring::Other(format!("aws.{}", c.alias)) {
                c.wiring = Wiring::Passed;
            }
            Some(c)
        })
        .collect();
    calls.sort_by(|a, b| (&a.stack, &a.file, a.line).cmp(&(&b.stack, &b.file, b.line)));
    calls
}

/// What [`Config::scan_module_calls`] found: the walk's state, what the
/// calls say of each module (by module id), and every call with the id of
/// the module it calls.
struct Walked {
    scan: Scan,
    found: BTreeMap<String, Found>,
    calls: Vec<(String, ModuleCall)>,
}

/// What the calls of one module say, across stacks.
#[derive(Default)]
struct Found {
    manifest: PathBuf,
    nested: BTreeSet<PathBuf>,
    stack_roles: BTreeSet<RoleName>,
    stacks: BTreeSet<StackPath>,
    /// A module in the repository, not one `terraform init` installed.
    local: bool,
    accounts: Vec<AccountName>,
}

/// An installed module, from `modules.json`.
struct Installed {
    source: String,
    /// Relative to the config's directory.
    dir: PathBuf,
}

/// The walk's state: the manifests read (by path relative to the root),
/// and what went wrong.
struct Scan {
    root: PathBuf,
    canonical_root: PathBuf,
    manifests: BTreeMap<PathBuf, module_manifest::Manifest>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// A module directory found for a call.
struct ModuleDir {
    /// Found through a local `source`.
    local: bool,
    /// The module's identity: a local path or a source address.
    id: String,
    /// Relative to the config's directory.
    dir: PathBuf,
}

impl Scan {
    fn warn(
        &mut self,
        file: &Path,
        line: Option<usize>,
        block: Option<String>,
        message: String,
        hint: &str,
    ) {
        self.warnings.push(Diagnostic {
            file: shown(&self.root, file),
            location: line.map(|line| Location { line, column: 1 }),
            block,
            attribute: None,
            message,
            allowed: None,
            hint: Some(hint.into()),
        });
    }

    /// One stack: its top-level calls, each followed down.
    fn stack(
        &mut self,
        stack: StackPath,
        role: &RoleName,
        account: &AccountName,
        found: &mut BTreeMap<String, Found>,
        calls: &mut Vec<(String, ModuleCall)>,
    ) {
        let stack_dir = PathBuf::from(stack.as_str());
        let installed = self.installed(&stack_dir);
        let mut budget = MAX_MODULES_PER_STACK;
        for call in self.calls_in(&stack_dir) {
            let Some(m) = self.locate(&stack_dir, &call, &call.name, &installed) else {
                continue;
            };
            let manifest = self.manifest(&m.dir);
            let mut nested = BTreeSet::new();
            let mut seen = BTreeSet::from([m.dir.clone()]);
            self.nested(
                &m.dir,
                &call.name,
                &installed,
                1,
                &mut seen,
                &mut budget,
                &mut nested,
            );
            let Some(manifest) = manifest else {
                continue;
            };
            let f = found.entry(m.id.clone()).or_default();
            if f.manifest.as_os_str().is_empty() {
                f.manifest = manifest.clone();
            } else if f.manifest != manifest
                && self.manifests.get(&f.manifest).map(|m| &m.permissions)
                    != self.manifests.get(&manifest).map(|m| &m.permissions)
            {
                self.errors.push(manifest_error(
                    &self.root,
                    &manifest,
                    None,
                    format!(
                        "module `{}` is installed in two versions whose manifests differ (this one and {})",
                        m.id,
                        shown(&self.root, &f.manifest).display()
                    ),
                    "use one version of the module in every stack with `module_roles`",
                ));
            }
            f.local = m.local;
            f.nested.extend(nested);
            f.stack_roles.insert(role.clone());
            f.stacks.insert(stack.clone());
            if !f.accounts.contains(account) {
                f.accounts.push(account.clone());
            }
            calls.push((
                m.id,
                ModuleCall {
                    stack: stack.clone(),
                    file: call.file,
                    line: call.line,
                    name: call.name,
                    role: role.clone(),
                    alias: alias_for(role),
                    wiring: call.wiring,
                },
            ));
        }
    }

    /// The manifests of every module below `dir`, depth first.
    #[allow(clippy::too_many_arguments)]
    fn nested(
        &mut self,
        dir: &Path,
        key: &str,
        installed: &BTreeMap<String, Installed>,
        depth: usize,
        seen: &mut BTreeSet<PathBuf>,
        budget: &mut usize,
        out: &mut BTreeSet<PathBuf>,
    ) {
        for call in self.calls_in(dir) {
            let key = format!("{key}.{}", call.name);
            if depth >= MAX_DEPTH || *budget == 0 {
                self.warn(&call.file, Some(call.line), Some(format!("module {:?}", call.name)), format!("module calls nest deeper than {MAX_DEPTH}, or one stack calls more than {MAX_MODULES_PER_STACK} modules; tfroles stops following them here"), "its manifest, if any, is not added to its caller's role");
                return;
            }
            *budget -= 1;
            let Some(m) = self.locate(dir, &call, &key, installed) else {
                continue;
            };
            if !seen.insert(m.dir.clone()) {
                continue;
            }
            if let Some(manifest) = self.manifest(&m.dir) {
                out.insert(manifest);
            }
            self.nested(&m.dir, &key, installed, depth + 1, seen, budget, out);
        }
    }

    /// The directory a call's module is in: a local `source` relative to
    /// the calling directory, else what `terraform init` recorded.
    fn locate(
        &mut self,
        from: &Path,
        call: &Call,
        key: &str,
        installed: &BTreeMap<String, Installed>,
    ) -> Option<ModuleDir> {
        let Some(source) = &call.source else {
            self.warn(
                &call.file,
                Some(call.line),
                Some(format!("module {:?}", call.name)),
                "has no literal `source`, so tfroles cannot tell which module it calls".into(),
                "write `source` as a quoted string, as terraform requires",
            );
            return None;
        };
        if source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
        {
            let dir = normalize(&from.join(source));
            let Some(dir) = dir.filter(|d| self.inside(d)) else {
                self.warn(&call.file, Some(call.line), Some(format!("module {:?}", call.name)), format!("its source {source:?} leads outside the repository (or through a symbolic link out of it), which tfroles does not follow"), "keep modules inside the repository, or install them with `terraform init` from a registry or git");
                return None;
            };
            if !self.root.join(&dir).is_dir() {
                self.warn(
                    &call.file,
                    Some(call.line),
                    Some(format!("module {:?}", call.name)),
                    format!("its source {source:?} is not a directory"),
                    "fix the `source`",
                );
                return None;
            }
            return Some(ModuleDir {
                local: true,
                id: dir.to_string_lossy().replace('\\', "/"),
                dir,
            });
        }
        match installed.get(key) {
            Some(i) => Some(ModuleDir {
                local: false,
                id: i.source.clone(),
                dir: i.dir.clone(),
            }),
            None => {
                self.warn(&call.file, Some(call.line), Some(format!("module {:?}", call.name)), format!("its source {source:?} is not installed in `.terraform/modules`, so tfroles cannot read its manifest"), "run `terraform init` in the stack, then tfroles again");
                None
            }
        }
    }

    /// Whether a path relative to the root stays inside it, symbolic
    /// links resolved.
    fn inside(&self, rel: &Path) -> bool {
        std::fs::canonicalize(self.root.join(rel))
            .is_ok_and(|c| c.starts_with(&self.canonical_root))
    }

    /// The manifest of a module directory, read and checked once.
    fn manifest(&mut self, dir: &Path) -> Option<PathBuf> {
        let rel = dir.join(MANIFEST_FILE_NAME);
        if self.manifests.contains_key(&rel) {
            return Some(rel);
        }
        let path = self.root.join(&rel);
        if path.symlink_metadata().is_err() {
            return None;
        }
        let text = match read_text(&path) {
            Ok(t) => t,
            Err(e) => {
                self.errors.push(manifest_error(
                    &self.root,
                    &rel,
                    None,
                    format!("cannot read the module manifest: {e}"),
                    "make it a regular UTF-8 file in the module's directory",
                ));
                return None;
            }
        };
        match module_manifest::validate(&text, &shown(&self.root, &rel)) {
            Ok(m) => {
                self.manifests.insert(rel.clone(), m);
                Some(rel)
            }
            Err(d) => {
                self.errors.extend(d);
                None
            }
        }
    }

    /// The `module` blocks of a directory's `.tf` files, in file order.
    fn calls_in(&mut self, dir: &Path) -> Vec<Call> {
        let mut out = Vec::new();
        for (name, regular) in self.tf_files(dir) {
            let rel = dir.join(&name);
            if !regular {
                self.warn(&rel, None, None, "is a symbolic link or not a regular file, which tfroles does not read; module calls in it are not checked".into(), "make it a regular file");
                continue;
            }
            let text = match read_text(&self.root.join(&rel)) {
                Ok(t) => t,
                Err(e) => {
                    self.warn(
                        &rel,
                        None,
                        None,
                        format!("cannot be read for module calls: {e}"),
                        "make it a regular UTF-8 file",
                    );
                    continue;
                }
            };
            // Terraform reports its own syntax errors better.
            if let Ok(body) = raw::parse_body(&text) {
                out.extend(module_blocks(&rel, &text, &body));
            }
        }
        out
    }

    /// The `.tf` files of `dir`, sorted, each with whether it is a regular
    /// file; at most [`MAX_TF_FILES`], with a warning past that.
    fn tf_files(&mut self, dir: &Path) -> Vec<(String, bool)> {
        let Ok(entries) = std::fs::read_dir(self.root.join(dir)) else {
            return Vec::new();
        };
        let mut files: Vec<(String, bool)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let kind = e.file_type().ok()?;
                (name.ends_with(".tf") && !kind.is_dir()).then_some((name, kind.is_file()))
            })
            .collect();
        files.sort();
        if files.len() > MAX_TF_FILES {
            self.warn(
                dir,
                None,
                None,
                format!(
                    "holds {} `.tf` files; tfroles reads the first {MAX_TF_FILES} for module calls",
                    files.len()
                ),
                "split the directory",
            );
            files.truncate(MAX_TF_FILES);
        }
        files
    }

    /// `.terraform/modules/modules.json` of a stack: module keys to
    /// their source and directory. Missing or unreadable: none.
    fn installed(&mut self, stack_dir: &Path) -> BTreeMap<String, Installed> {
        #[derive(serde::Deserialize)]
        struct File {
            #[serde(rename = "Modules", default)]
            modules: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(rename = "Key")]
            key: String,
            #[serde(rename = "Source", default)]
            source: String,
            #[serde(rename = "Dir")]
            dir: String,
        }
        let rel = stack_dir.join(".terraform/modules/modules.json");
        let path = self.root.join(&rel);
        let mut out = BTreeMap::new();
        if path.symlink_metadata().is_err() {
            return out;
        }
        let parsed = read_text(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<File>(&t).map_err(|e| e.to_string()));
        let file = match parsed {
            Ok(f) => f,
            Err(e) => {
                self.warn(
                    &rel,
                    None,
                    None,
                    format!("cannot be read: {e}"),
                    "run `terraform init` again",
                );
                return out;
            }
        };
        for e in file.modules {
            if e.key.is_empty() {
                continue;
            }
            // The directory is relative to the stack; one that leaves the
            // repository is not followed.
            let dir =
                normalize(&stack_dir.join(e.dir.replace('\\', "/"))).filter(|d| self.inside(d));
            match dir {
                Some(dir) => {
                    out.insert(e.key, Installed { source: e.source, dir });
                }
                None => self.warn(&rel, None, None, format!("module `{}` is recorded in {:?}, outside the repository, which tfroles does not follow", e.key, e.dir), "run `terraform init` again"),
            }
        }
        out
    }
}

/// The `module "NAME"` blocks of the file `rel` (of text `text`): where,
/// their literal `source`, and what they pass as `aws`.
fn module_blocks<'a>(
    rel: &'a Path,
    text: &'a str,
    body: &'a raw::Body,
) -> impl Iterator<Item = Call> + 'a {
    body.blocks
        .iter()
        .filter(|b| b.ident == "module" && b.labels.len() == 1)
        .map(move |b| {
            let attr = |n: &str| b.body.attributes.iter().find(|a| a.name == n);
            let source = attr("source").and_then(|a| match &a.value.kind {
                ExprKind::Str(s) => Some(s.clone()),
                _ => None,
            });
            Call {
                file: rel.to_path_buf(),
                line: b.loc.map_or(1, |l| l.line),
                name: b.labels[0].clone(),
                source,
                wiring: wiring(text, attr("providers")),
            }
        })
}

/// What a module call's `providers` attribute passes as `aws`.
fn wiring(text: &str, providers: Option<&raw::Attribute>) -> Wiring {
    let Some(p) = providers else {
        return Wiring::Missing;
    };
    let ExprKind::Object(items) = &p.value.kind else {
        return Wiring::NoAws;
    };
    match items.iter().find(|i| i.key.as_deref() == Some("aws")) {
        None => Wiring::NoAws,
        Some(i) => Wiring::Other(
            i.value
                .span
                .clone()
                .and_then(|s| text.get(s))
                .unwrap_or("?")
                .trim()
                .to_owned(),
        ),
    }
}

/// A `module` block as found.
struct Call {
    file: PathBuf,
    line: usize,
    name: String,
    source: Option<String>,
    wiring: Wiring,
}

/// A relative path with `.` and `..` resolved lexically; `None` when it
/// climbs above its start or is absolute.
fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out: Vec<&std::ffi::OsStr> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop()?;
            }
            Component::Normal(s) => out.push(s),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out.iter().collect())
}

/// A file's text: a regular file only, never through a symbolic link,
/// at most [`MAX_FILE_BYTES`], UTF-8.
fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = crate::load::read_regular(path, MAX_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("it is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_come_from_the_address() {
        for (id, name) in [
            ("terraform-aws-modules/vpc/aws", "vpc"),
            ("registry.terraform.io/acme/queue/aws", "queue"),
            ("app.terraform.io/acme/queue/aws", "queue"),
            (
                "git::https://example.com/acme/network.git?ref=v1.2.0",
                "network",
            ),
            (
                "git::https://example.com/acme/infra.git//modules/cache?ref=v1",
                "cache",
            ),
            (
                "github.com/acme/terraform-aws-bucket",
                "terraform-aws-bucket",
            ),
            ("acme/queue/aws//modules/dlq", "dlq"),
        ] {
            assert_eq!(default_name(id, false), name, "{id}");
        }
    }

    #[test]
    fn a_local_module_is_named_by_its_directory() {
        assert_eq!(default_name("modules/db", true), "db");
        assert_eq!(default_name("modules/x/db", true), "db");
        assert_eq!(default_name("infra/queue/aws", true), "aws");
    }

    #[test]
    fn aliases_are_identifiers() {
        for (n, a) in [("module-db", "module_db"), ("1db.x@y", "m_1db_x_y")] {
            assert_eq!(alias_for(&n.parse().unwrap()).as_str(), a);
        }
    }

    #[test]
    fn normalize_refuses_to_climb() {
        assert_eq!(normalize(Path::new("a/b/../c")), Some(PathBuf::from("a/c")));
        assert_eq!(normalize(Path::new("a/../../c")), None);
        assert_eq!(normalize(Path::new("/etc")), None);
    }
}
