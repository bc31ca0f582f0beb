//! Stack blocks resolved against the directories on disk: the [`Stack`]s
//! the generators render, each with its providers and state key.

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::model::{Config, RoleSession};
use crate::stacks::{StackPattern, match_parts};
use crate::types::{AccountId, ProviderAlias, Region, StackPath};

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
}

/// A stack directory with everything its generated files say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stack {
    /// The directory, relative to the config file.
    pub path: StackPath,
    /// Index of the `stack` block in [`Config::stacks`] that claimed it.
    pub block: usize,
    /// The state object's key in the bucket.
    pub state_key: String,
    /// The default provider first, then aliases in the order written.
    pub providers: Vec<Provider>,
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
        // Thousands of directories against hundreds of blocks: exact labels
        // through a set, each glob split once, and a glob only tried on
        // directories that start with its literal prefix (`qa/` for `qa/*`).
        let exact: std::collections::HashSet<&str> = self
            .stacks
            .iter()
            .filter_map(|s| match &s.pattern {
                StackPattern::Exact(p) => Some(p.as_str()),
                StackPattern::Glob(_) => None,
            })
            .collect();
        let globs: Vec<(usize, &str, Vec<&str>)> = self
            .stacks
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
        for dir in dirs {
            let parts: Vec<&str> = dir.as_str().split('/').collect();
            let globs: Vec<usize> = globs
                .iter()
                .filter(|(_, prefix, pat)| {
                    (dir.as_str().starts_with(prefix)
                        || prefix.strip_suffix('/') == Some(dir.as_str()))
                        && match_parts(pat, &parts)
                })
                .map(|(i, ..)| *i)
                .collect();
            for &g in &globs {
                matched[g] = true;
            }
            let exact = exact.contains(dir.as_str());
            match globs.as_slice() {
                _ if exact => {}
                [] => {}
                [one] => stacks.push(self.stack(*one, dir.clone())),
                [first, second, ..] => {
                    let (a, b) = (&self.stacks[*first], &self.stacks[*second]);
                    errors.push(Diagnostic {
                        file: self.file.clone(),
                        location: b.loc,
                        block: Some(b.describe()),
                        attribute: None,
                        message: format!(
                            "directory `{dir}` is matched by both `{}`{} and `{}`{}",
                            a.describe(),
                            a.loc.map(|l| format!(" (line {})", l.line)).unwrap_or_default(),
                            b.describe(),
                            b.loc.map(|l| format!(" (line {})", l.line)).unwrap_or_default(),
                        ),
                        allowed: Some("each directory matched by at most one glob".into()),
                        hint: Some(format!(
                            "add a `stack \"{dir}\"` block (an exact label wins over globs), or narrow one of the globs"
                        )),
                    });
                }
            }
        }
        // Directories that differ only in Unicode normal form get one key.
        let mut keys: std::collections::HashMap<&str, &StackPath> =
            std::collections::HashMap::new();
        for s in &stacks {
            if let Some(other) = keys.insert(&s.state_key, &s.path) {
                errors.push(Diagnostic {
                    file: self.file.clone(),
                    location: self.stacks[s.block].loc,
                    block: Some(self.stacks[s.block].describe()),
                    attribute: None,
                    message: format!(
                        // Quoted with escapes: the two names look the same.
                        "directories {:?} and {:?} would share the state key `{}`",
                        other.as_str(),
                        s.path.as_str(),
                        s.state_key
                    ),
                    allowed: Some("one state key per stack".into()),
                    hint: Some(
                        "the names differ only in Unicode normalisation; rename one directory"
                            .into(),
                    ),
                });
            }
        }
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

    fn stack(&self, block: usize, path: StackPath) -> Stack {
        let spec = &self.stacks[block];
        let region = spec
            .region
            .clone()
            .or_else(|| self.defaults.region.clone())
            .expect("validated: every stack has a region");
        let session = self.session_for(&spec.role, &spec.account);
        let allowed = spec
            .allowed_account_ids
            .clone()
            .unwrap_or_else(|| vec![session.account_id.clone()]);
        let mut providers = vec![Provider {
            alias: None,
            region: region.clone(),
            allowed_account_ids: allowed.clone(),
            session,
        }];
        for p in &spec.providers {
            let account = p.account.as_ref().unwrap_or(&spec.account);
            let role = p.role.as_ref().unwrap_or(&spec.role);
            let session = self.session_for(role, account);
            // An alias in another account guards that account, unless the
            // stack named its allowed accounts explicitly.
            let allowed_account_ids = match (&spec.allowed_account_ids, &p.account) {
                (Some(ids), _) => ids.clone(),
                (None, Some(_)) => vec![session.account_id.clone()],
                (None, None) => allowed.clone(),
            };
            providers.push(Provider {
                alias: Some(p.alias.clone()),
                region: p.region.clone().unwrap_or_else(|| region.clone()),
                allowed_account_ids,
                session,
            });
        }
        // The roles of the modules this stack calls (`module_roles`), each
        // an alias with the stack's region, accounts and the role in the
        // stack's account.
        for m in self
            .modules
            .roles
            .iter()
            .filter(|m| m.stacks.contains(&path))
        {
            providers.push(Provider {
                alias: Some(m.alias.clone()),
                region: region.clone(),
                allowed_account_ids: allowed.clone(),
                session: self.session_for(&m.name, &spec.account),
            });
        }
        // The directory name may be in any normal form (macOS writes NFD);
        // terraform will read the key in NFC, so that is the key.
        let state_key = crate::types::nfc(&match &self.state.key_prefix {
            Some(prefix) => format!("{prefix}/{path}/terraform.tfstate"),
            None => format!("{path}/terraform.tfstate"),
        });
        Stack {
            path,
            block,
            state_key,
            providers,
        }
    }
}
