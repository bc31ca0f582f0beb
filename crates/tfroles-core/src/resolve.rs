//! Stack blocks resolved against the directories on disk: the [`Stack`]s
//! the generators render, each with its providers and state key.

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::model::{Config, RoleSession, StackSpec, Target};
use crate::stacks::{StackPattern, match_parts};
use crate::types::{AccountId, DefaultTags, ProviderAlias, Region, StackPath, WorkspaceName};

/// One `provider "aws"` block of a stack, with inheritance resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provider {
    /// `None` for the default provider.
    pub alias: Option<ProviderAlias>,
    /// Region.
    pub region: Region,
    /// Accounts the provider refuses to run outside of.
    pub allowed_account_ids: Vec<AccountId>,
    /// The role it assumes.
    pub session: RoleSession,
    /// The tags it puts on what it creates: the defaults', the role's, the
    /// stack's and the provider block's, merged key by key in that order.
    pub default_tags: DefaultTags,
}

/// One workspace of a stack with workspace blocks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Workspace {
    /// The name.
    pub name: WorkspaceName,
    /// Where its state lives in the bucket: the stack's key for
    /// `default`, else `<workspace_key_prefix or env:>/<name>/<key>`.
    pub state_key: String,
    /// Its providers: the default provider first, then the aliases.
    pub providers: Vec<Provider>,
}

/// A stack directory with everything its generated files say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stack {
    /// The directory, relative to the config file.
    pub path: StackPath,
    /// Index of the `stack` block in [`Config::stacks`] that claimed it.
    pub block: usize,
    /// The state object's key in the bucket (the `key` of its backend).
    pub state_key: String,
    /// The default provider first, then aliases in the order written.
    /// Empty for a stack with workspace blocks: each workspace has its own.
    pub providers: Vec<Provider>,
    /// The workspaces the stack may be used in, in the order written;
    /// empty when it names none (then terraform's are not restricted).
    pub workspaces: Vec<Workspace>,
}

impl Stack {
    /// Every provider of the stack: the stack's, or each workspace's.
    pub fn all_providers(&self) -> impl Iterator<Item = &Provider> {
        self.providers
            .iter()
            .chain(self.workspaces.iter().flat_map(|w| &w.providers))
    }

    /// The state keys the stack may use: its key, or with workspace blocks
    /// exactly its workspaces' keys (`None` for "any workspace", a stack
    /// with no workspace blocks).
    pub fn workspace_keys(&self) -> Option<Vec<&str>> {
        (!self.workspaces.is_empty()).then(|| {
            self.workspaces
                .iter()
                .map(|w| w.state_key.as_str())
                .collect()
        })
    }
}

/// The stacks of a config, resolved against the directories on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// Sorted by path.
    pub stacks: Vec<Stack>,
    /// Globs that matched nothing.
    pub warnings: Vec<Diagnostic>,
}

impl Config {
    /// Matches stack blocks against `dirs` (from [`crate::discover`]): every exact
    /// label is a stack whether or not its directory exists; every other
    /// directory is a stack if exactly one glob matches it.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming both blocks when two globs claim one directory.
    pub fn resolve(&self, dirs: &[StackPath]) -> Result<Resolution> {
        let mut stacks = Vec::new();
        let mut errors = Vec::new();
        let mut matched = vec![false; self.stacks.len()];
        for (i, spec) in self.stacks.iter().enumerate() {
            if let crate::StackPattern::Exact(p) = &spec.pattern {
                stacks.push(self.stack(i, p.clone()));
                matched[i] = true;
            }
        }
        let matcher = Matcher::new(&self.stacks);
        for dir in dirs {
            let globs = matcher.globs_matching(dir);
            for &g in &globs {
                matched[g] = true;
            }
            match globs.as_slice() {
                _ if matcher.exact.contains(dir.as_str()) => {}
                [] => {}
                [one] => stacks.push(self.stack(*one, dir.clone())),
                [first, second, ..] => errors.push(self.claimed_twice(dir, *first, *second)),
            }
        }
        errors.extend(self.shared_state_keys(&stacks));
        if !errors.is_empty() {
            return Err(Error::Invalid(Diagnostics(errors)));
        }
        let warnings = self
            .stacks
            .iter()
            .zip(&matched)
            .filter(|(_, m)| !**m)
            .map(|(s, _)| Diagnostic {
                file: self.file.clone(),
                location: s.loc,
                block: Some(s.describe()),
                attribute: None,
                message: "the glob matches no directory holding `.tf` files".into(),
                allowed: None,
                hint: Some("globs match existing directories only; use an exact path to create a new stack".into()),
            })
            .collect();
        stacks.sort_by(|a: &Stack, b: &Stack| a.path.cmp(&b.path));
        Ok(Resolution { stacks, warnings })
    }

    /// The error for a directory two globs claim.
    fn claimed_twice(&self, dir: &StackPath, first: usize, second: usize) -> Diagnostic {
        let (a, b) = (&self.stacks[first], &self.stacks[second]);
        Diagnostic {
            file: self.file.clone(),
            location: b.loc,
            block: Some(b.describe()),
            attribute: None,
            message: format!(
                "directory `{dir}` is matched by both `{}`{} and `{}`{}",
                a.describe(),
                a.loc
                    .map(|l| format!(" (line {})", l.line))
                    .unwrap_or_default(),
                b.describe(),
                b.loc
                    .map(|l| format!(" (line {})", l.line))
                    .unwrap_or_default(),
            ),
            allowed: Some("each directory matched by at most one glob".into()),
            hint: Some(format!(
                "add a `stack \"{dir}\"` block (an exact label wins over globs), or narrow one of the globs"
            )),
        }
    }

    /// The errors for two stacks (or workspaces) whose state would be at
    /// one key: directories that differ only in Unicode normal form, or a
    /// directory named like another stack's workspace key (`env:/staging/app`
    /// and workspace `staging` of `app`).
    fn shared_state_keys(&self, stacks: &[Stack]) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        let mut keys: std::collections::HashMap<&str, &StackPath> =
            std::collections::HashMap::new();
        for s in stacks {
            for (key, workspace) in s
                .workspaces
                .iter()
                .filter(|w| !w.name.is_default())
                .map(|w| (w.state_key.as_str(), &w.name))
            {
                if let Some(other) = keys.insert(key, &s.path) {
                    errors.push(self.state_key_error(
                        s,
                        format!(
                            "the state of workspace `{workspace}` of {:?} would be at `{key}`, which is also the state key of {:?}",
                            s.path.as_str(),
                            other.as_str(),
                        ),
                        "one state key per stack and workspace",
                        "rename the directory, or set another `workspace_key_prefix` in `state`",
                    ));
                }
            }
        }
        for s in stacks {
            let Some(other) = keys.insert(&s.state_key, &s.path) else {
                continue;
            };
            errors.push(if keys_of_workspaces(stacks, &s.state_key) {
                self.state_key_error(
                    s,
                    format!(
                        "the state key `{}` of {:?} is also where a workspace of {:?} keeps its state",
                        s.state_key,
                        s.path.as_str(),
                        other.as_str(),
                    ),
                    "one state key per stack and workspace",
                    "rename the directory, or set another `workspace_key_prefix` in `state`",
                )
            } else {
                self.state_key_error(
                    s,
                    format!(
                        // Quoted with escapes: the two names look the same.
                        "directories {:?} and {:?} would share the state key `{}`",
                        other.as_str(),
                        s.path.as_str(),
                        s.state_key
                    ),
                    "one state key per stack",
                    "the names differ only in Unicode normalisation; rename one directory",
                )
            });
        }
        errors
    }

    fn state_key_error(&self, s: &Stack, message: String, allowed: &str, hint: &str) -> Diagnostic {
        let spec = &self.stacks[s.block];
        Diagnostic {
            file: self.file.clone(),
            location: spec.loc,
            block: Some(spec.describe()),
            attribute: None,
            message,
            allowed: Some(allowed.into()),
            hint: Some(hint.into()),
        }
    }

    fn stack(&self, block: usize, path: StackPath) -> Stack {
        let spec = &self.stacks[block];
        // The directory name may be in any normal form (macOS writes NFD);
        // terraform will read the key in NFC, so that is the key.
        let state_key = crate::types::nfc(&match &self.state.key_prefix {
            Some(prefix) => format!("{prefix}/{path}/terraform.tfstate"),
            None => format!("{path}/terraform.tfstate"),
        });
        let mut providers = Vec::new();
        let mut workspaces = Vec::new();
        for target in spec.targets() {
            let ps = self.providers_for(block, &path, &target);
            match target.workspace {
                None => providers = ps,
                Some(name) => workspaces.push(Workspace {
                    name: name.clone(),
                    state_key: self.workspace_state_key(&state_key, name),
                    providers: ps,
                }),
            }
        }
        Stack {
            path,
            block,
            state_key,
            providers,
            workspaces,
        }
    }

    /// Where terraform's s3 backend keeps a workspace's state.
    pub(crate) fn workspace_state_key(&self, key: &str, workspace: &WorkspaceName) -> String {
        if workspace.is_default() {
            return key.to_owned();
        }
        let prefix = self
            .state
            .workspace_key_prefix
            .as_ref()
            .map_or("env:", |p| p.as_str());
        crate::types::nfc(&format!("{prefix}/{workspace}/{key}"))
    }

    /// The providers of a stack block in one target (a workspace, or the
    /// stack itself): the default provider, then the aliases.
    fn providers_for(&self, block: usize, path: &StackPath, t: &Target) -> Vec<Provider> {
        let spec = &self.stacks[block];
        let region = t
            .region
            .cloned()
            .or_else(|| self.defaults.region.clone())
            .expect("validated: every stack has a region");
        let session = self.session_for(t.role, t.account);
        let stack_tags = |role: &crate::types::RoleName| {
            let role_tags = &self.role(role.as_str()).expect("validated").default_tags;
            self.defaults
                .default_tags
                .merged(role_tags)
                .merged(&spec.default_tags)
        };
        let allowed = t
            .allowed_account_ids
            .map(<[AccountId]>::to_vec)
            .unwrap_or_else(|| vec![session.account_id.clone()]);
        let mut providers = vec![Provider {
            alias: None,
            region: region.clone(),
            allowed_account_ids: allowed.clone(),
            default_tags: stack_tags(t.role),
            session,
        }];
        for p in &spec.providers {
            let account = p.account.as_ref().unwrap_or(t.account);
            let role = p.role.as_ref().unwrap_or(t.role);
            let session = self.session_for(role, account);
            // An alias in another account guards that account, unless the
            // stack (or workspace) named its allowed accounts explicitly.
            let allowed_account_ids = match (t.allowed_account_ids, &p.account) {
                (Some(ids), _) => ids.to_vec(),
                (None, Some(_)) => vec![session.account_id.clone()],
                (None, None) => allowed.clone(),
            };
            providers.push(Provider {
                alias: Some(p.alias.clone()),
                region: p.region.clone().unwrap_or_else(|| region.clone()),
                allowed_account_ids,
                default_tags: stack_tags(role).merged(&p.default_tags),
                session,
            });
        }
        // The roles of the modules this stack calls (`module_roles`), each
        // an alias with the stack's region, accounts and the role in the
        // target's account. Module roles exist where the stack's block
        // works (its `account`); a workspace in another account has none.
        for m in self
            .modules
            .roles
            .iter()
            .filter(|m| m.stacks.contains(path) && m.accounts.contains(t.account))
        {
            providers.push(Provider {
                alias: Some(m.alias.clone()),
                region: region.clone(),
                allowed_account_ids: allowed.clone(),
                default_tags: stack_tags(t.role),
                session: self.session_for(&m.name, t.account),
            });
        }
        providers
    }
}

/// The stack blocks made ready for thousands of directories against
/// hundreds of blocks: exact labels in a set, each glob split once, and a
/// glob only tried on directories that start with its literal prefix
/// (`qa/` for `qa/*`).
struct Matcher<'a> {
    exact: std::collections::HashSet<&'a str>,
    /// Block index, literal prefix, and the glob's parts.
    globs: Vec<(usize, &'a str, Vec<&'a str>)>,
}

impl<'a> Matcher<'a> {
    fn new(specs: &'a [StackSpec]) -> Self {
        let exact = specs
            .iter()
            .filter_map(|s| match &s.pattern {
                StackPattern::Exact(p) => Some(p.as_str()),
                StackPattern::Glob(_) => None,
            })
            .collect();
        let globs = specs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.pattern {
                StackPattern::Glob(g) => {
                    let prefix = g
                        .split_inclusive('/')
                        .take_while(|p| !p.contains('*'))
                        .map(str::len)
                        .sum();
                    Some((i, &g[..prefix], g.split('/').collect()))
                }
                StackPattern::Exact(_) => None,
            })
            .collect();
        Matcher { exact, globs }
    }

    /// The blocks whose glob matches `dir`, in the config's order.
    fn globs_matching(&self, dir: &StackPath) -> Vec<usize> {
        let parts: Vec<&str> = dir.as_str().split('/').collect();
        self.globs
            .iter()
            .filter(|(_, prefix, pat)| {
                (dir.as_str().starts_with(prefix) || prefix.strip_suffix('/') == Some(dir.as_str()))
                    && match_parts(pat, &parts)
            })
            .map(|(i, ..)| *i)
            .collect()
    }
}

/// Whether `key` is a workspace's state key in one of `stacks`.
fn keys_of_workspaces(stacks: &[Stack], key: &str) -> bool {
    stacks.iter().any(|s| {
        s.workspaces
            .iter()
            .any(|w| !w.name.is_default() && w.state_key == key)
    })
}
