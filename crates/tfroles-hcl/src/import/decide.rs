//! Deciding the model: one partition, one account name per id, one value
//! per role setting, one state block, and stacks grouped into globs; every
//! use that disagrees with what was decided becomes a finding.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use tfroles_core::types::{
    AccountId, AccountName, Duration, IamPath, KeyPrefix, Partition, ProviderAlias, Region,
    RoleName, SessionName, SessionTags, StackPath, nfc,
};
use tfroles_core::{CONFIG_FILE_NAME, StackPattern, TfDir};

use super::emit::{Draft, ProvOut, RoleOut, Settings, StateOut, WsOut};
use super::report::Finding;
use super::scan::is_aws_provider;
use super::{BACKEND_FILE, BackendFound, Cx, Import, L, PROVIDERS_FILE, ProviderFound, Scan, Use};
use crate::Error;

// ---------------------------------------------------------------------------
// Deciding: one value per setting, reporting every use that disagrees.

/// The value most entries agree on; ties go to the one seen first.
pub(super) fn most_common<T: PartialEq + Clone>(values: &[T]) -> Option<(T, usize)> {
    let mut counts: Vec<(T, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|(x, _)| x == v) {
            Some(c) => c.1 += 1,
            None => counts.push((v.clone(), 1)),
        }
    }
    let mut best: Option<(T, usize)> = None;
    for (v, n) in counts {
        if best.as_ref().is_none_or(|(_, b)| n > *b) {
            best = Some((v, n));
        }
    }
    best
}

pub(super) fn show<T: fmt::Display>(v: &Option<T>) -> String {
    match v {
        Some(x) => format!("{:?}", x.to_string()),
        None => "unset".into(),
    }
}

pub(super) fn show_tags(t: &Option<SessionTags>) -> String {
    match t {
        Some(t) => {
            let items: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {v:?}")).collect();
            format!("{{ {} }}", items.join(", "))
        }
        None => "unset".into(),
    }
}

/// A provider's account and the `allowed_account_ids` it was written with:
/// (account id, list, file, description, line).
pub(super) type Guard = (AccountId, Option<L<Vec<AccountId>>>, String, String, usize);
pub(super) struct Imported<'s> {
    scan: &'s Scan,
    backend: &'s BackendFound,
    /// Index into `scan.providers` of the default provider.
    default: usize,
    /// Indices into `scan.providers` of the imported aliases.
    aliases: Vec<usize>,
}

/// A role the draft names, and the account it is in.
type RoleIn = (RoleName, AccountId);

impl Cx {
    pub(super) fn build(
        mut self,
        root: &Path,
        dirs: &[TfDir],
        mut scans: Vec<Scan>,
    ) -> Result<Import, Error> {
        self.flush_causes();
        self.introduce_roles(&mut scans);
        let partition = self.one_partition();
        let (imported, left_out) = self.import_stacks(&scans);
        if imported.is_empty() {
            self.findings.sort();
            self.findings.dedup();
            return Err(Error::NothingToImport {
                dir: root.to_path_buf(),
                report: self.findings,
            });
        }
        let in_scope = self.in_scope(&imported);
        let state_role = self.decide_state_role(&imported);
        let (mut roles, role_account_ids) = self.decide_roles(&in_scope, &state_role);
        self.check_vias(&mut roles, &role_account_ids, &state_role.0, &in_scope);

        // Accounts, named by what the user said, profiles, or directories.
        let all_ids = self.account_ids(&in_scope, &state_role.1);
        let names = self.name_accounts(root, &all_ids, &imported, &in_scope, &state_role.1);
        name_role_accounts(&mut roles, &role_account_ids, &names, &state_role.0);

        let backends: Vec<&BackendFound> = imported.iter().map(|s| s.backend).collect();
        let state = self.decide_state(&backends);
        let default_region = default_region(&imported).unwrap_or_else(|| state.region.clone());
        let default_session = shared_session_name(&mut roles);
        let settings: Vec<(StackPath, Settings)> = imported
            .iter()
            .map(|st| {
                let s = self.stack_settings(st, &names, &default_region);
                (st.scan.path.clone(), s)
            })
            .collect();
        // State keys: a common prefix, or a loud word where they differ.
        let key_prefix = self.decide_keys(&imported);
        for st in &imported {
            self.handover(st);
        }
        // Globs over sibling directories with the same settings.
        let stack_blocks = group_globs(&settings, dirs);

        self.findings.sort();
        self.findings.dedup();
        let text = Draft {
            region: &default_region,
            session_name: default_session.as_ref(),
            partition,
            accounts: &names,
            state: &state,
            state_account: &names[&state_role.1],
            state_role: &state_role.0,
            key_prefix: key_prefix.as_ref(),
            roles: &roles,
            stacks: &stack_blocks,
        }
        .text(&self.findings);
        self.check_draft(&text, root, dirs, &settings);

        Ok(Import {
            config: text,
            report: self.findings,
            directories: dirs.len() + self.extra_dirs,
            stacks: settings.len(),
            stack_blocks: stack_blocks.len(),
            accounts: names.len(),
            roles: roles.len(),
            left_out,
        })
    }

    /// One partition for every ARN: the most common; the uses in another
    /// are marked unusable.
    fn one_partition(&mut self) -> Partition {
        let partitions: Vec<Partition> = self.uses.iter().map(|u| u.partition).collect();
        let partition = most_common(&partitions).map_or(Partition::Aws, |(p, _)| p);
        for i in 0..self.uses.len() {
            if self.uses[i].partition != partition {
                let u = self.uses[i].clone();
                self.note(
                    &u.file,
                    u.line,
                    format!("role ARN in partition `{}`, while most are in `{partition}`: one tfroles.hcl has one partition, so this assume_role is left out", u.partition),
                );
                self.uses[i].unusable = true;
            }
        }
        partition
    }

    /// Whether a provider can be imported: readable, and assuming roles
    /// given literally in the partition.
    fn usable(&self, p: &ProviderFound) -> bool {
        !p.broken && !p.chain.is_empty() && p.chain.iter().all(|&u| !self.uses[u].unusable)
    }

    /// The stacks: each directory with a backend and a usable default
    /// provider; and the paths of those left out (each with a finding).
    fn import_stacks<'s>(&mut self, scans: &'s [Scan]) -> (Vec<Imported<'s>>, Vec<String>) {
        let mut imported: Vec<Imported> = Vec::new();
        let mut left_out: Vec<String> = Vec::new();
        for scan in scans {
            let Some((_, backend)) = &scan.backend else {
                continue;
            };
            match self.import_stack(scan, backend) {
                Some(st) => imported.push(st),
                None => left_out.push(scan.path.as_str().to_owned()),
            }
        }
        (imported, left_out)
    }

    /// One directory with a backend as a stack, or `None` (with a finding
    /// saying why) when it cannot be one.
    fn import_stack<'s>(
        &mut self,
        scan: &'s Scan,
        backend: &'s BackendFound,
    ) -> Option<Imported<'s>> {
        let path = scan.path.as_str();
        if !self.state_known(path, backend) {
            return None;
        }
        if path.contains('*') {
            self.note(
                &backend.file,
                backend.line,
                format!("stack `{path}` left out: a `*` in a directory name reads as a glob in tfroles.hcl"),
            );
            return None;
        }
        let default = self.default_provider(scan, backend)?;
        let aliases = self.usable_aliases(scan);
        Some(Imported {
            scan,
            backend,
            default,
            aliases,
        })
    }

    /// Whether the backend's `bucket` and `key` are known; a finding when not.
    fn state_known(&mut self, path: &str, backend: &BackendFound) -> bool {
        let missing: Vec<&str> = [
            ("bucket", backend.bucket.is_none()),
            ("key", backend.key.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(a, _)| *a)
        .collect();
        if missing.is_empty() {
            return true;
        }
        let list = missing
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        let eg = missing
            .iter()
            .map(|a| format!("--backend-config {a}=VALUE"))
            .collect::<Vec<_>>()
            .join(" ");
        self.note(
            &backend.file,
            backend.line,
            format!("stack `{path}` left out: its backend's {list} cannot be known (not set, or built from values import cannot know), so neither can its state; give {} with `{eg}` or a .tfbackend file beside it", if missing.len() == 1 { "it" } else { "them" }),
        );
        false
    }

    /// The index of the directory's default provider if it is usable; a
    /// finding for a second default, and for a missing or unusable one.
    fn default_provider(&mut self, scan: &Scan, backend: &BackendFound) -> Option<usize> {
        let path = scan.path.as_str();
        let defaults: Vec<usize> = (0..scan.providers.len())
            .filter(|&i| {
                scan.providers[i].1.alias.is_none() && !scan.providers[i].1.alias_unreadable
            })
            .collect();
        for &extra in defaults.iter().skip(1) {
            let p = &scan.providers[extra].1;
            self.note(
                &p.file,
                p.line,
                "a second default `provider \"aws\"` (terraform refuses this): ignored",
            );
        }
        let Some(&default) = defaults.first() else {
            self.note(
                &backend.file,
                backend.line,
                format!("stack `{path}` left out: no default `provider \"aws\"` here, and tfroles generates one for every stack"),
            );
            return None;
        };
        let dp = &scan.providers[default].1;
        if !self.usable(dp) {
            let why = if dp.chain.is_empty() && !dp.broken {
                "assumes no role, and tfroles generates an assume_role for every provider"
            } else {
                "has no role ARN given literally to assume"
            };
            self.note(
                &dp.file,
                dp.line,
                format!("stack `{path}` left out: its default `provider \"aws\"` {why}"),
            );
            return None;
        }
        Some(default)
    }

    /// The indices of the directory's usable aliased providers, the first
    /// of each alias; a finding for each other one.
    fn usable_aliases(&mut self, scan: &Scan) -> Vec<usize> {
        let mut aliases = Vec::new();
        let mut seen: Vec<&ProviderAlias> = Vec::new();
        for (i, (_, p)) in scan.providers.iter().enumerate() {
            let Some(alias) = &p.alias else { continue };
            if seen.contains(&alias) {
                self.note(
                    &p.file,
                    p.line,
                    format!(
                        "{}: the alias is used twice (terraform refuses this): ignored",
                        p.describe()
                    ),
                );
                continue;
            }
            seen.push(alias);
            if !self.usable(p) {
                let why = if p.chain.is_empty() && !p.broken {
                    "it assumes no role"
                } else {
                    "it has no role ARN given literally to assume"
                };
                self.note(&p.file, p.line, format!("{} left out: {why}; resources using `aws.{alias}` need it back after the handover", p.describe()));
                continue;
            }
            aliases.push(i);
        }
        aliases
    }

    /// The uses that matter: backends' and imported providers' (and the
    /// workspaces' where the draft writes workspaces), sorted.
    fn in_scope(&self, imported: &[Imported]) -> Vec<usize> {
        let mut in_scope: Vec<usize> = Vec::new();
        for st in imported {
            if let Some(u) = st.backend.session
                && !self.uses[u].unusable
            {
                in_scope.push(u);
            }
            for &pi in std::iter::once(&st.default).chain(&st.aliases) {
                in_scope.extend(st.scan.providers[pi].1.chain.iter().copied());
            }
            if super::emit::workspaces_supported() {
                for (_, p) in &st.scan.workspaces {
                    if !p.broken && p.chain.iter().all(|&u| !self.uses[u].unusable) {
                        in_scope.extend(p.chain.iter().copied());
                    }
                }
            }
        }
        in_scope.sort_unstable();
        in_scope.dedup();
        in_scope
    }

    /// The state role: the one most backends assume (or one the draft
    /// introduces when none does); a finding at every backend that assumes
    /// another or none.
    fn decide_state_role(&mut self, imported: &[Imported]) -> RoleIn {
        let backend_roles: Vec<RoleIn> = imported
            .iter()
            .filter_map(|s| s.backend.session)
            .filter(|&u| !self.uses[u].unusable)
            .map(|u| (self.uses[u].name.clone(), self.uses[u].account.clone()))
            .collect();
        let state_role = match most_common(&backend_roles) {
            Some((r, _)) => r,
            None => self.introduce_state_role(imported),
        };
        for st in imported {
            let b = st.backend;
            match b.session.filter(|&u| !self.uses[u].unusable) {
                Some(u) => {
                    let (name, acct) = (&self.uses[u].name, &self.uses[u].account);
                    if (name, acct) != (&state_role.0, &state_role.1) {
                        let msg = format!("backend \"s3\": assumes `{name}` in {acct} here, while most backends assume `{}` in {}: the draft's state role is `{}`, which generate will write here", state_role.0, state_role.1, state_role.0);
                        let (f, l) = (self.uses[u].file.clone(), self.uses[u].line);
                        self.note(&f, l, msg);
                    }
                }
                None => self.note(
                    &b.file,
                    b.line,
                    format!("backend \"s3\": no usable assume_role here: generate will assume the state role `{}` in {}", state_role.0, state_role.1),
                ),
            }
        }
        state_role
    }

    /// No backend assumes a role: name one for the state, to be created, in
    /// the account most stacks' providers work in.
    fn introduce_state_role(&mut self, imported: &[Imported]) -> RoleIn {
        let accts: Vec<AccountId> = imported
            .iter()
            .map(|st| {
                let target = *st.scan.providers[st.default]
                    .1
                    .chain
                    .last()
                    .expect("usable");
                self.uses[target].account.clone()
            })
            .collect();
        let acct = most_common(&accts).expect("a stack").0;
        let b = imported[0].backend;
        self.note(&b.file, b.line, format!("no backend assumes a role: the draft introduces the state role `{STATE_ROLE}` in account {acct}; create it (the bootstrap stack does; state access only) or name the role the backends should assume"));
        (STATE_ROLE.parse().expect("valid"), acct)
    }

    /// A role per name the uses in scope assume (and the state role), with
    /// one value per setting, and the ids of the accounts each is in.
    fn decide_roles(
        &mut self,
        in_scope: &[usize],
        state_role: &RoleIn,
    ) -> (Vec<RoleOut>, BTreeMap<RoleName, Vec<AccountId>>) {
        let mut by_name: BTreeMap<RoleName, Vec<usize>> = BTreeMap::new();
        for &u in in_scope {
            by_name
                .entry(self.uses[u].name.clone())
                .or_default()
                .push(u);
        }
        by_name.entry(state_role.0.clone()).or_default();
        let mut roles: Vec<RoleOut> = Vec::new();
        let mut role_account_ids: BTreeMap<RoleName, Vec<AccountId>> = BTreeMap::new();
        for (name, uses) in &by_name {
            let mut ids: Vec<AccountId> = Vec::new();
            for &u in uses {
                if !ids.contains(&self.uses[u].account) {
                    ids.push(self.uses[u].account.clone());
                }
            }
            if name == &state_role.0 && !ids.contains(&state_role.1) {
                ids.push(state_role.1.clone());
            }
            role_account_ids.insert(name.clone(), ids);
            let r = self.role_out(name, uses);
            roles.push(r);
        }
        (roles, role_account_ids)
    }

    /// One role's settings, decided across its uses (its accounts are
    /// named later).
    fn role_out(&mut self, name: &RoleName, uses: &[usize]) -> RoleOut {
        RoleOut {
            name: name.clone(),
            accounts: Vec::new(),
            path: self
                .decide(name, "path", uses, |u| Some(u.path.clone()), show)
                .unwrap_or_default(),
            external_id: self.decide(name, "external_id", uses, |u| u.external_id.clone(), show),
            session_name: self.decide(name, "session_name", uses, |u| u.session_name.clone(), show),
            // 1h is tfroles' default duration: written or not, generate
            // writes 1h, so it is no disagreement with an unset one.
            duration: self.decide(
                name,
                "duration",
                uses,
                |u| u.duration.clone().filter(|d| d.v != Duration::ONE_HOUR),
                show,
            ),
            source_identity: self.decide(
                name,
                "source_identity",
                uses,
                |u| u.source_identity.clone(),
                show,
            ),
            tags: self.decide(name, "tags", uses, |u| u.tags.clone(), show_tags),
            via: self.decide(
                name,
                "via",
                uses,
                |u| {
                    u.via.as_ref().map(|v| L {
                        v: v.v.0.clone(),
                        line: v.line,
                    })
                },
                |v| {
                    v.as_ref()
                        .map_or("unset (assumed directly)".into(), |r| format!("`{r}`"))
                },
            ),
        }
    }

    /// Every account id the draft names: the uses' and the state role's, sorted.
    fn account_ids(&self, in_scope: &[usize], state_account: &AccountId) -> Vec<AccountId> {
        let mut all_ids: Vec<AccountId> = Vec::new();
        for &u in in_scope {
            if !all_ids.contains(&self.uses[u].account) {
                all_ids.push(self.uses[u].account.clone());
            }
        }
        if !all_ids.contains(state_account) {
            all_ids.push(state_account.clone());
        }
        all_ids.sort();
        all_ids
    }

    /// The draft must load and claim exactly the imported directories; a
    /// finding (a bug to report) where it does not.
    fn check_draft(
        &mut self,
        text: &str,
        root: &Path,
        dirs: &[TfDir],
        settings: &[(StackPath, Settings)],
    ) {
        let file = root.join(CONFIG_FILE_NAME);
        let problems: Vec<String> = match tfroles_core::Config::from_str_at(text, &file, root) {
            Ok(config) => {
                let paths: Vec<StackPath> = dirs.iter().map(|d| d.path.clone()).collect();
                match config.resolve(&paths) {
                    Ok(res) => {
                        let got: BTreeSet<&str> =
                            res.stacks.iter().map(|s| s.path.as_str()).collect();
                        let want: BTreeSet<&str> =
                            settings.iter().map(|(p, _)| p.as_str()).collect();
                        if got == want {
                            Vec::new()
                        } else {
                            vec![format!(
                                "the draft's stacks {got:?} are not the imported directories {want:?}"
                            )]
                        }
                    }
                    Err(e) => vec![e.to_string()],
                }
            }
            Err(e) => vec![e.to_string()],
        };
        for p in problems {
            self.findings.push(Finding {
                file: CONFIG_FILE_NAME.into(),
                line: 1,
                message: format!(
                    "the draft does not load, a bug in tfroles import (please report it): {}",
                    p.replace('\n', " ")
                ),
            });
        }
    }

    /// One value for a role's setting; a finding at every use that says otherwise.
    pub(super) fn decide<T: PartialEq + Clone>(
        &mut self,
        role: &RoleName,
        attr: &str,
        uses: &[usize],
        get: impl Fn(&Use) -> Option<L<T>>,
        display: impl Fn(&Option<T>) -> String,
    ) -> Option<T> {
        let values: Vec<Option<T>> = uses
            .iter()
            .map(|&u| get(&self.uses[u]).map(|l| l.v))
            .collect();
        let (chosen, n) = most_common(&values)?;
        let total = values.len();
        for (i, &u) in uses.iter().enumerate() {
            if values[i] != chosen {
                let line = get(&self.uses[u]).map_or(self.uses[u].line, |l| l.line);
                let file = self.uses[u].file.clone();
                let then = match (&chosen, attr) {
                    (None, "via") => {
                        "the draft assumes it directly, as generate will here".to_owned()
                    }
                    (None, _) => {
                        "the draft leaves it unset, so generate writes tfroles' default here"
                            .to_owned()
                    }
                    (Some(_), _) => format!(
                        "the draft keeps {}, which generate will write here",
                        display(&chosen)
                    ),
                };
                self.note(
                    &file,
                    line,
                    format!(
                        "role `{role}`: {attr} {} here, {} in {n} of its {total} uses: {then}",
                        display(&values[i]),
                        display(&chosen),
                    ),
                );
            }
        }
        chosen
    }

    /// `via` as tfroles resolves it must be the chain each use wrote.
    pub(super) fn check_vias(
        &mut self,
        roles: &mut [RoleOut],
        ids: &BTreeMap<RoleName, Vec<AccountId>>,
        state_role: &RoleName,
        in_scope: &[usize],
    ) {
        for i in 0..roles.len() {
            let Some(via) = roles[i].via.clone() else {
                continue;
            };
            let name = roles[i].name.clone();
            match via_check(roles, i, &via, ids, state_role) {
                ViaCheck::Keep => self.check_via_accounts(&name, &via, ids, in_scope),
                ViaCheck::Forget => roles[i].via = None,
                ViaCheck::Drop(why) => {
                    roles[i].via = None;
                    for u in self.chained_uses(&name, in_scope) {
                        let (f, l) = (self.uses[u].file.clone(), self.uses[u].line);
                        self.note(&f, l, format!("role `{name}`: the draft cannot chain it through `{via}` ({why}): generate will assume it directly here"));
                    }
                }
            }
        }
    }

    /// The uses in scope of role `name` that are chained through another.
    fn chained_uses(&self, name: &RoleName, in_scope: &[usize]) -> Vec<usize> {
        in_scope
            .iter()
            .copied()
            .filter(|&u| &self.uses[u].name == name && self.uses[u].via.is_some())
            .collect()
    }

    /// The account tfroles assumes `via` in is the role's own when the via
    /// role exists there, else its only one: a finding at each use chained
    /// through it in another account.
    fn check_via_accounts(
        &mut self,
        name: &RoleName,
        via: &RoleName,
        ids: &BTreeMap<RoleName, Vec<AccountId>>,
        in_scope: &[usize],
    ) {
        let Some(via_ids) = ids.get(via) else {
            return;
        };
        for u in self.chained_uses(name, in_scope) {
            let Some(hop) = &self.uses[u].via else {
                continue;
            };
            let here = &self.uses[u].account;
            let resolved = if via_ids.contains(here) {
                here
            } else {
                &via_ids[0]
            };
            if &hop.v.0 == via && &hop.v.1 != resolved {
                let (f, l) = (self.uses[u].file.clone(), self.uses[u].line);
                let msg = format!(
                    "role `{name}`: chained here through `{via}` in {}, but tfroles assumes `{via}` in {resolved} for this account: generate will chain through that one",
                    hop.v.1
                );
                self.note(&f, l, msg);
            }
        }
    }
}

/// What becomes of a role's `via`.
enum ViaCheck {
    Keep,
    /// The via role is not one the draft has: left out without a word.
    Forget,
    /// Left out, for this reason (a finding at each use).
    Drop(String),
}

/// Whether role `i` can be chained through `via` as tfroles chains: not
/// the state role, no session over 1h, no cycle, and a via role in every
/// account of the role unless it is in one account only.
fn via_check(
    roles: &[RoleOut],
    i: usize,
    via: &RoleName,
    ids: &BTreeMap<RoleName, Vec<AccountId>>,
    state_role: &RoleName,
) -> ViaCheck {
    let name = &roles[i].name;
    if name == state_role {
        return ViaCheck::Drop("it is the state role, which the backend assumes directly".into());
    }
    if roles[i].duration.is_some_and(|d| d > Duration::ONE_HOUR) {
        return ViaCheck::Drop("AWS caps chained sessions at 1h and the role asks for more".into());
    }
    if roles[i].source_identity.is_some()
        && let Some(n) = source_identity_up_the_chain(roles, name, via)
    {
        // Core refuses this (`validate/roles.rs`); the draft must load.
        return ViaCheck::Drop(format!(
            "its `source_identity` is set, and so is `source_identity` of role `{n}` it would be assumed `via`: AWS keeps the first session's source identity on every session chained from it, and refuses another"
        ));
    }
    // Cycles: follow the chain.
    let mut drop_why: Option<String> = None;
    let mut seen = vec![name.clone()];
    let mut next = Some(via.clone());
    while let Some(n) = next {
        if seen.contains(&n) {
            drop_why = Some("the chain would come back to itself".into());
            break;
        }
        seen.push(n.clone());
        next = roles
            .iter()
            .find(|r| r.name == n)
            .and_then(|r| r.via.clone());
    }
    let Some(via_ids) = ids.get(via) else {
        return ViaCheck::Forget;
    };
    if drop_why.is_none() && via_ids.len() > 1 && ids[name].iter().any(|a| !via_ids.contains(a)) {
        drop_why = Some(format!(
            "`{via}` exists in several accounts, and not in every account of `{name}`"
        ));
    }
    match drop_why {
        Some(why) => ViaCheck::Drop(why),
        None => ViaCheck::Keep,
    }
}

/// The first role from `via` up the chain of `name` that sets a source
/// identity.
fn source_identity_up_the_chain(
    roles: &[RoleOut],
    name: &RoleName,
    via: &RoleName,
) -> Option<RoleName> {
    let mut seen = vec![name.clone()];
    let mut next = Some(via.clone());
    while let Some(n) = next {
        if seen.contains(&n) {
            return None;
        }
        let hop = roles.iter().find(|r| r.name == n)?;
        if hop.source_identity.is_some() {
            return Some(n);
        }
        seen.push(n);
        next = hop.via.clone();
    }
    None
}

/// The role the draft introduces where a provider assumes none: one name
/// in every account, created by the bootstrap stack (docs/migrating.md).
pub(super) const PROVISION_ROLE: &str = "terraform-provision";
/// The state role the draft introduces where no backend assumes one.
pub(super) const STATE_ROLE: &str = "terraform-state";
/// The account of a stack whose provider names none, until the user says.
const UNKNOWN_ACCOUNT: &str = "000000000000";

impl Cx {
    /// Providers that assume no role (admin keys, a profile's own
    /// credentials) or whose role cannot be read get the role the draft
    /// introduces, in the account they work in; marked for review.
    pub(super) fn introduce_roles(&mut self, scans: &mut [Scan]) {
        for scan in scans.iter_mut() {
            if scan.backend.is_some() {
                self.introduce_roles_in(scan);
            }
        }
    }

    /// The same for one stack: its default provider first, whose account
    /// an alias without one takes.
    fn introduce_roles_in(&mut self, scan: &mut Scan) {
        let path = scan.path.to_string();
        let mut order: Vec<usize> = (0..scan.providers.len())
            .filter(|&i| scan.providers[i].1.alias.is_none())
            .collect();
        order.extend((0..scan.providers.len()).filter(|&i| scan.providers[i].1.alias.is_some()));
        let mut default_acct: Option<AccountId> = None;
        let mut seen_default = false;
        for i in order {
            let p = &scan.providers[i].1;
            if p.alias_unreadable {
                continue;
            }
            let is_default = p.alias.is_none();
            if is_default && seen_default {
                continue;
            }
            if self.usable(p) {
                if is_default {
                    seen_default = true;
                    default_acct = p.chain.last().map(|&u| self.uses[u].account.clone());
                }
                continue;
            }
            let flagged = self.account_flag(&path, p);
            let account = p.account_hint.clone().or(flagged).or_else(|| {
                if is_default {
                    None
                } else {
                    default_acct.clone()
                }
            });
            let (file, line, what) = (p.file.clone(), p.line, p.describe());
            let why = if p.broken {
                "its role could not be read"
            } else {
                "it assumes no role (an administrator's keys, or a profile's own credentials)"
            };
            let account = match account {
                Some(a) => a,
                None if is_default => {
                    self.note(&file, line, format!("stack `{path}`: {what} names no account (no role ARN, no single `allowed_account_ids`, no profile with an account): the draft puts it in account {UNKNOWN_ACCOUNT}, a placeholder; give the real one with `--account NAME=ID`"));
                    UNKNOWN_ACCOUNT.parse().expect("valid")
                }
                None => continue,
            };
            self.note(&file, line, format!("stack `{path}`: {what}: {why}: the draft introduces role `{PROVISION_ROLE}` in account {account} for it; create it (the bootstrap stack does) and review its permissions"));
            let u = self.introduced_use(&file, line, &account);
            let p = &mut scan.providers[i].1;
            p.chain = vec![u];
            p.broken = false;
            p.introduced = true;
            if is_default {
                seen_default = true;
                default_acct = Some(account);
            }
        }
    }

    /// A use of the role the draft introduces, in `account`; its index.
    fn introduced_use(&mut self, file: &str, line: usize, account: &AccountId) -> usize {
        self.uses.push(Use {
            file: file.to_owned(),
            line,
            partition: self.uses.first().map_or(Partition::Aws, |u| u.partition),
            account: account.clone(),
            path: L {
                v: IamPath::default(),
                line,
            },
            name: PROVISION_ROLE.parse().expect("valid"),
            external_id: None,
            session_name: None,
            duration: None,
            source_identity: None,
            tags: None,
            via: None,
            unusable: false,
        });
        self.uses.len() - 1
    }

    /// The account `--account NAME=ID` gives a provider: NAME is its
    /// profile, its alias, or a directory of the stack; or the only one given.
    fn account_flag(&self, path: &str, p: &ProviderFound) -> Option<AccountId> {
        let given: Vec<(&str, AccountId)> = self
            .opts
            .accounts
            .iter()
            .filter_map(|(n, id)| id.parse().ok().map(|id| (n.as_str(), id)))
            .collect();
        let matches = |n: &str| {
            p.profile.as_ref().is_some_and(|pr| pr.v == n)
                || p.alias.as_ref().is_some_and(|a| a.as_str() == n)
                || path.split('/').any(|c| c == n)
        };
        given
            .iter()
            .find(|(n, _)| matches(n))
            .map(|(_, id)| id.clone())
            .or_else(|| (given.len() == 1).then(|| given[0].1.clone()))
    }

    /// A name per account that does not depend on the directory import was
    /// given: `--account-name`, `--account`, a profile's name, the deepest
    /// directory (from the repository's root) that all its stacks share and
    /// no other account's do, a provider alias; else `state` for the state
    /// account, else `account-<id>`. Every guess is reported.
    pub(super) fn name_accounts(
        &mut self,
        root: &Path,
        ids: &[AccountId],
        imported: &[Imported],
        in_scope: &[usize],
        state_account: &AccountId,
    ) -> BTreeMap<AccountId, AccountName> {
        let prefix = repo_prefix(root);
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut names: BTreeMap<AccountId, AccountName> = BTreeMap::new();
        let mut pending: Vec<&AccountId> = Vec::new();
        // What the user said comes first and is no guess.
        for id in ids {
            match self.name_given(id) {
                Some(n) if usable_account_name(&n) && !taken.contains(&n) => {
                    taken.insert(n.clone());
                    names.insert(id.clone(), n.parse().expect("checked"));
                }
                _ => pending.push(id),
            }
        }
        for id in pending {
            let (name, why) = self
                .name_options(id, imported, &prefix, state_account)
                .into_iter()
                .find(|(n, _)| usable_account_name(n) && !taken.contains(n))
                .unwrap_or_else(|| (format!("account-{id}"), "nothing names it".into()));
            taken.insert(name.clone());
            let first = in_scope
                .iter()
                .find(|&&u| &self.uses[u].account == id)
                .copied();
            let (f, l) = match first {
                Some(u) => (self.uses[u].file.clone(), self.uses[u].line),
                None => (imported[0].backend.file.clone(), imported[0].backend.line),
            };
            self.note(
                &f,
                l,
                format!("account {id} is named `{name}` ({why}): a guess, rename it at will (or name it with `--account-name {id}=NAME`)"),
            );
            names.insert(id.clone(), name.parse().expect("checked account name"));
        }
        names
    }

    /// The name the user gave an account: `--account-name ID=NAME`, else
    /// `--account NAME=ID`.
    fn name_given(&self, id: &AccountId) -> Option<String> {
        self.opts
            .account_names
            .iter()
            .find(|(i, _)| i == id.as_str())
            .map(|(_, n)| n.clone())
            .or_else(|| {
                self.opts
                    .accounts
                    .iter()
                    .find(|(_, i)| i == id.as_str())
                    .map(|(n, _)| n.clone())
            })
    }

    /// The names an account could have, best first, each with why: a
    /// placeholder's, an AWS profile's, a directory all its stacks (and no
    /// other's) are in, a provider alias, `state`.
    fn name_options(
        &self,
        id: &AccountId,
        imported: &[Imported],
        prefix: &[String],
        state_account: &AccountId,
    ) -> Vec<(String, String)> {
        let full = |p: &str| -> Vec<String> {
            prefix
                .iter()
                .cloned()
                .chain(p.split('/').map(str::to_owned))
                .collect()
        };
        let stack_acct = |st: &Imported| -> &AccountId {
            let dp = &st.scan.providers[st.default].1;
            &self.uses[*dp.chain.last().expect("usable")].account
        };
        let mut options: Vec<(String, String)> = Vec::new();
        if id.as_str() == UNKNOWN_ACCOUNT {
            options.push((
                "unknown".into(),
                "a placeholder for an account no file names".into(),
            ));
        }
        for (pid, pname) in &self.profile_accounts {
            if pid == id {
                options.push((pname.clone(), format!("the AWS profile `{pname}`")));
            }
        }
        let (mine, others): (Vec<&Imported>, Vec<&Imported>) =
            imported.iter().partition(|st| stack_acct(st) == id);
        let mine: Vec<Vec<String>> = mine.iter().map(|st| full(st.scan.path.as_str())).collect();
        let others: Vec<Vec<String>> = others
            .iter()
            .map(|st| full(st.scan.path.as_str()))
            .collect();
        if let Some(first) = mine.first() {
            let common = first
                .iter()
                .enumerate()
                .take_while(|(i, c)| mine.iter().all(|m| m.get(*i) == Some(*c)))
                .count();
            for c in &first[..common] {
                if !others.iter().any(|o| o.contains(c)) {
                    options.push((c.clone(), "the directory its stacks are in".into()));
                }
            }
        }
        for st in imported {
            for &pi in &st.aliases {
                let p = &st.scan.providers[pi].1;
                let acct = &self.uses[*p.chain.last().expect("usable")].account;
                if acct == id
                    && let Some(a) = &p.alias
                {
                    options.push((
                        a.to_string(),
                        format!("the provider alias `{}`", a.as_str()),
                    ));
                }
            }
        }
        if id == state_account {
            options.push((
                "state".into(),
                "it holds the state role and nothing else names it".into(),
            ));
        }
        options
    }
}

/// A name the draft may give an account: valid, and not one that reads as
/// tfroles' own fallback (`account-ID`).
fn usable_account_name(n: &str) -> bool {
    n.parse::<AccountName>().is_ok() && !n.starts_with("account-")
}

/// The directories from the repository's root (the nearest directory above
/// holding `.git`) down to `root`, so that names do not depend on where
/// import starts; none when there is no repository.
fn repo_prefix(root: &Path) -> Vec<String> {
    let Ok(abs) = root.canonicalize() else {
        return Vec::new();
    };
    for anc in abs.ancestors() {
        if anc.join(".git").symlink_metadata().is_ok() {
            return abs
                .strip_prefix(anc)
                .map(|rest| {
                    rest.components()
                        .filter_map(|c| c.as_os_str().to_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
        }
    }
    Vec::new()
}

pub(super) const MIGRATE: &str = "this stack's state would move: after generating, run `terraform init -migrate-state` in this directory";

impl Cx {
    /// Agreement on one state setting; `moves` says a change moves the state.
    pub(super) fn state_attr<T: PartialEq + Clone + fmt::Display>(
        &mut self,
        backends: &[&BackendFound],
        attr: &str,
        get: impl Fn(&BackendFound) -> Option<L<T>>,
        moves: bool,
    ) -> Option<T> {
        let values: Vec<Option<T>> = backends.iter().map(|b| get(b).map(|l| l.v)).collect();
        let (chosen, n) = most_common(&values)?;
        let total = values.len();
        for (i, b) in backends.iter().enumerate() {
            if values[i] != chosen {
                let line = get(b).map_or(b.line, |l| l.line);
                let then = if moves {
                    format!("; {MIGRATE}")
                } else {
                    String::new()
                };
                self.note(
                    &b.file,
                    line,
                    format!(
                        "backend \"s3\": {attr} {} here, {} in {n} of {total} stacks: the draft keeps {}{then}",
                        show(&values[i]),
                        show(&chosen),
                        show(&chosen),
                    ),
                );
            }
        }
        chosen
    }

    /// A state attribute the draft cannot do without: the agreed value, else
    /// the most common one, else a placeholder that the report names.
    pub(super) fn required_state_attr<T>(
        &mut self,
        backends: &[&BackendFound],
        attr: &str,
        get: impl Fn(&BackendFound) -> Option<L<T>>,
        placeholder: &str,
        missing: &str,
    ) -> T
    where
        T: PartialEq + Clone + fmt::Display + std::str::FromStr,
        T::Err: fmt::Debug,
    {
        if let Some(v) = self.state_attr(backends, attr, &get, true) {
            return v;
        }
        let found: Vec<T> = backends
            .iter()
            .filter_map(|b| get(b).map(|l| l.v))
            .collect();
        match most_common(&found) {
            Some((v, _)) => v,
            None => {
                let first = backends[0];
                self.note(
                    &first.file,
                    first.line,
                    format!("backend \"s3\": {missing}"),
                );
                placeholder.parse().expect("the placeholder is valid")
            }
        }
    }

    pub(super) fn decide_state(&mut self, backends: &[&BackendFound]) -> StateOut {
        let first = backends[0];
        let bucket = self.required_state_attr(
            backends,
            "bucket",
            |b| b.bucket.clone(),
            "change-me-terraform-state",
            "no backend names its bucket literally: the draft's bucket `change-me-terraform-state` is a placeholder",
        );
        let region = self.required_state_attr(
            backends,
            "region",
            |b| b.region.clone(),
            "us-east-1",
            "no backend names the bucket's region literally: the draft's `us-east-1` is a placeholder",
        );
        // Terraform's defaults: no encryption flag, no lockfile.
        let eff = |o: &Option<L<bool>>, line: usize| {
            Some(L {
                v: o.as_ref().is_some_and(|l| l.v),
                line: o.as_ref().map_or(line, |l| l.line),
            })
        };
        let encrypt = self
            .state_attr(backends, "encrypt", |b| eff(&b.encrypt, b.line), false)
            .unwrap_or(false);
        let dynamodb_table = self.state_attr(
            backends,
            "dynamodb_table",
            |b| b.dynamodb_table.clone(),
            false,
        );
        let use_lockfile = self
            .state_attr(
                backends,
                "use_lockfile",
                |b| eff(&b.use_lockfile, b.line),
                false,
            )
            .unwrap_or(false);
        let kms_key_id = self.state_attr(backends, "kms_key_id", |b| b.kms_key_id.clone(), false);
        let workspace_key_prefix = self.state_attr(
            backends,
            "workspace_key_prefix",
            |b| b.workspace_key_prefix.clone(),
            true,
        );
        let encrypt = if !encrypt && backends.iter().all(|b| b.encrypt.is_none()) {
            self.note(&first.file, first.line, "backend \"s3\": no backend sets `encrypt` (terraform's default is false): the draft keeps tfroles' default `encrypt = true`");
            true
        } else {
            encrypt
        };
        let use_lockfile = if !use_lockfile && dynamodb_table.is_none() {
            self.note(&first.file, first.line, "backend \"s3\": the backends lock nothing (no `use_lockfile`, no `dynamodb_table`): the draft keeps tfroles' default `use_lockfile = true` (S3-native locking, terraform 1.10+)");
            true
        } else {
            use_lockfile
        };
        StateOut {
            bucket,
            region,
            encrypt,
            use_lockfile,
            dynamodb_table,
            kms_key_id,
            workspace_key_prefix,
        }
    }

    /// The key prefix most keys follow; a loud finding for every stack whose
    /// key `generate` would change.
    pub(super) fn decide_keys(&mut self, imported: &[Imported]) -> Option<KeyPrefix> {
        let tail = |path: &str| format!("{path}/terraform.tfstate");
        let candidates: Vec<Option<Option<KeyPrefix>>> = imported
            .iter()
            .map(|st| {
                let key = nfc(&st.backend.key.as_ref()?.v);
                let t = nfc(&tail(st.scan.path.as_str()));
                if key == t {
                    Some(None)
                } else {
                    key.strip_suffix(&format!("/{t}"))
                        .and_then(|p| p.parse::<KeyPrefix>().ok())
                        .map(Some)
                }
            })
            .collect();
        let conforming: Vec<Option<KeyPrefix>> = candidates.iter().flatten().cloned().collect();
        let prefix = most_common(&conforming).and_then(|(p, _)| p);
        for st in imported {
            let want = nfc(&match &prefix {
                Some(p) => format!("{p}/{}", tail(st.scan.path.as_str())),
                None => tail(st.scan.path.as_str()),
            });
            let b = st.backend;
            match &b.key {
                Some(k) if nfc(&k.v) == want => {}
                Some(k) => self.note(
                    &b.file,
                    k.line,
                    format!("backend \"s3\": state key {:?} does not follow `<key_prefix>/<stack path>/terraform.tfstate`: generate will write key {want:?}, and terraform will not find the state where it is; {MIGRATE}", k.v),
                ),
                None => self.note(
                    &b.file,
                    b.line,
                    format!("backend \"s3\": no literal `key`: generate will write key {want:?}; if the state is elsewhere, {MIGRATE}"),
                ),
            }
        }
        prefix
    }

    pub(super) fn stack_settings(
        &mut self,
        st: &Imported,
        names: &BTreeMap<AccountId, AccountName>,
        default_region: &Region,
    ) -> Settings {
        let dp = &st.scan.providers[st.default].1;
        let target = &self.uses[*dp.chain.last().expect("usable")];
        let account = names[&target.account].clone();
        let account_id = target.account.clone();
        let role = target.name.clone();
        let region = match &dp.region {
            Some(r) => r.v.clone(),
            None => {
                self.note(&dp.file, dp.line, format!("provider \"aws\": no region given literally (terraform would read AWS_REGION): the draft gives the stack the default region {:?}", default_region.as_str()));
                default_region.clone()
            }
        };
        // (account id, original allowed list, line, file, description) per provider.
        let mut guards: Vec<Guard> = vec![(
            account_id.clone(),
            dp.allowed.clone(),
            dp.file.clone(),
            dp.describe(),
            dp.line,
        )];
        let mut providers = Vec::new();
        for &pi in &st.aliases {
            let (out, guard) = self.alias_out(st, pi, names, (&account_id, &role), &region);
            providers.push(out);
            guards.push(guard);
        }
        let allowed = self.decide_allowed(&guards);
        let workspaces = self.workspace_outs(st, names, (&account_id, &role), &region);
        Settings {
            default_tags: dp.default_tags.clone(),
            workspaces,
            account,
            role,
            region: (&region != default_region).then_some(region),
            allowed: allowed.map(|ids| {
                ids.iter()
                    .map(|id| {
                        names
                            .get(id)
                            .map_or_else(|| id.to_string(), |n| n.to_string())
                    })
                    .collect()
            }),
            providers,
        }
    }

    /// An imported alias as the draft writes it: only what differs from
    /// the stack's default provider; and its `allowed_account_ids` guard.
    fn alias_out(
        &mut self,
        st: &Imported,
        pi: usize,
        names: &BTreeMap<AccountId, AccountName>,
        (account_id, role): (&AccountId, &RoleName),
        region: &Region,
    ) -> (ProvOut, Guard) {
        let dp = &st.scan.providers[st.default].1;
        let p = &st.scan.providers[pi].1;
        let t = &self.uses[*p.chain.last().expect("usable")];
        let (t_account, t_name) = (t.account.clone(), t.name.clone());
        let pregion = match &p.region {
            Some(r) if &r.v != region => Some(r.v.clone()),
            Some(_) => None,
            None => {
                let (f, l, d) = (p.file.clone(), p.line, p.describe());
                self.note(&f, l, format!("{d}: no region given literally: the draft gives it the stack's region {:?}", region.as_str()));
                None
            }
        };
        let out = ProvOut {
            alias: p.alias.clone().expect("an alias"),
            region: pregion,
            account: (&t_account != account_id).then(|| names[&t_account].clone()),
            role: (&t_name != role).then_some(t_name),
            // Tags merge over the stack's: only what the alias adds or changes.
            default_tags: p.default_tags.clone().and_then(|t| {
                let base = dp.default_tags.clone().unwrap_or_default();
                let extra: Vec<(String, String)> =
                    t.into_iter().filter(|kv| !base.contains(kv)).collect();
                (!extra.is_empty()).then_some(extra)
            }),
        };
        let guard = (
            t_account,
            p.allowed.clone(),
            p.file.clone(),
            p.describe(),
            p.line,
        );
        (out, guard)
    }

    /// The stack's `allowed_account_ids`: `None` for tfroles' default
    /// (each provider guards its own account), or the one list every
    /// provider that sets one agrees on and that covers every provider's
    /// account; a finding at each list otherwise.
    fn decide_allowed(&mut self, guards: &[Guard]) -> Option<Vec<AccountId>> {
        let sorted = |v: &[AccountId]| {
            let mut v = v.to_vec();
            v.sort();
            v.dedup();
            v
        };
        let default_for = |acct: &AccountId| vec![acct.clone()];
        let set: Vec<&Guard> = guards.iter().filter(|g| g.1.is_some()).collect();
        let all_default = set
            .iter()
            .all(|g| sorted(&g.1.as_ref().expect("set").v) == default_for(&g.0));
        if all_default {
            None
        } else {
            let first = &set[0].1.as_ref().expect("set").v;
            let same = set
                .iter()
                .all(|g| sorted(&g.1.as_ref().expect("set").v) == sorted(first));
            let covers = guards.iter().all(|g| first.contains(&g.0));
            if same && covers {
                let mut out: Vec<AccountId> = Vec::new();
                for id in first {
                    if !out.contains(id) {
                        out.push(id.clone());
                    }
                }
                Some(out)
            } else {
                for g in &set {
                    let orig = sorted(&g.1.as_ref().expect("set").v);
                    if orig != default_for(&g.0) {
                        let line = g.1.as_ref().expect("set").line;
                        let msg = format!(
                            "{}: allowed_account_ids {:?} here: tfroles writes one list per stack, and this stack's providers disagree (or leave out where one works): generate will write [{:?}] here",
                            g.3,
                            orig.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                            g.0.as_str()
                        );
                        self.note(&g.2.clone(), line, msg);
                    }
                }
                None
            }
        }
    }

    /// Each workspace's account, role and region where they differ from
    /// the stack's, as `workspace` blocks (when this tfroles has them).
    fn workspace_outs(
        &mut self,
        st: &Imported,
        names: &BTreeMap<AccountId, AccountName>,
        (account_id, role): (&AccountId, &RoleName),
        region: &Region,
    ) -> Vec<WsOut> {
        let mut workspaces = Vec::new();
        if super::emit::workspaces_supported() {
            for (w, p) in &st.scan.workspaces {
                let Some(&last) = p.chain.last() else {
                    continue;
                };
                if p.broken || p.chain.iter().any(|&u| self.uses[u].unusable) {
                    continue;
                }
                let t = &self.uses[last];
                let wr = p.region.as_ref().map(|r| r.v.clone());
                workspaces.push(WsOut {
                    name: w.clone(),
                    account: (&t.account != account_id).then(|| names[&t.account].clone()),
                    role: (&t.name != role).then(|| t.name.clone()),
                    region: wr.filter(|r| r != region),
                });
            }
        } else if !st.scan.workspaces.is_empty() {
            let dp = &st.scan.providers[st.default].1;
            let (f, l) = (dp.file.clone(), dp.line);
            self.note(&f, l, "this version of tfroles has no `workspace` blocks: the draft gives the stack one account, role and region; the other workspaces' are left out");
        }
        workspaces
    }

    /// Where the old blocks are, and what `generate --take-over` would lose.
    pub(super) fn handover(&mut self, st: &Imported) {
        let scan = st.scan;
        if scan.terragrunt {
            let f = &scan.files[0].rel;
            self.note(f, 1, format!("{f}: a Terragrunt unit: once `tfroles generate` writes its backend and provider, remove `remote_state`, `iam_role` and the provider's `generate` block here (or in the config it includes), and run terraform without Terragrunt's generated files"));
            return;
        }
        let backend_file = scan.backend.as_ref().map(|(fi, _)| *fi);
        for (fi, f) in scan.files.iter().enumerate() {
            let replaced = f.name == BACKEND_FILE || f.name == PROVIDERS_FILE;
            let mut others: Vec<(usize, String)> = Vec::new();
            let mut has_backend = false;
            let mut n_providers = 0;
            for a in &f.attrs {
                others.push((a.line, format!("`{}`", a.key)));
            }
            for b in &f.blocks {
                if is_aws_provider(b) {
                    n_providers += 1;
                } else if b.ident == "terraform" {
                    for a in &b.attrs {
                        others.push((a.line, format!("`terraform {{ {} }}`", a.key)));
                    }
                    for x in &b.blocks {
                        if x.ident == "backend" && x.labels == ["s3"] && backend_file == Some(fi) {
                            has_backend = true;
                        } else {
                            others.push((x.line, format!("`terraform {{ {} }}`", x.describe())));
                        }
                    }
                } else {
                    others.push((b.line, format!("`{}`", b.describe())));
                }
            }
            if replaced {
                if !others.is_empty() {
                    others.sort();
                    let mut list: Vec<&str> =
                        others.iter().take(3).map(|(_, d)| d.as_str()).collect();
                    let more = others.len().saturating_sub(3);
                    let extra = format!("{more} more");
                    if more > 0 {
                        list.push(&extra);
                    }
                    self.note(&f.rel, others[0].0, format!("{} also holds {}: `tfroles generate --take-over` replaces the whole file (keeping it as {}.tfroles-orig), so move them to another file first", f.name, list.join(", "), f.name));
                }
            } else if has_backend || n_providers > 0 {
                let mut what = Vec::new();
                let mut into = Vec::new();
                if has_backend {
                    what.push("the `backend \"s3\"` block".to_owned());
                    into.push(BACKEND_FILE);
                }
                if n_providers > 0 {
                    what.push(format!(
                        "{n_providers} `provider \"aws\"` block{}",
                        if n_providers == 1 { "" } else { "s" }
                    ));
                    into.push(PROVIDERS_FILE);
                }
                let line = f
                    .blocks
                    .iter()
                    .filter(|b| {
                        is_aws_provider(b)
                            || (b.ident == "terraform"
                                && has_backend
                                && b.blocks.iter().any(|x| x.ident == "backend"))
                    })
                    .map(|b| b.line)
                    .min()
                    .unwrap_or(1);
                self.note(&f.rel, line, format!("{} holds {}, which generate writes into {}: delete {} from {} before generating (`--take-over` replaces only {BACKEND_FILE} and {PROVIDERS_FILE}; generate, like terraform, refuses a second backend and duplicate providers)", f.name, what.join(" and "), into.join(" and "), if what.len() == 1 && n_providers <= 1 { "it" } else { "them" }, f.name));
            }
        }
    }
}

/// Each role's accounts by name, sorted; the roles in the draft's order:
/// the state role first, then by name.
fn name_role_accounts(
    roles: &mut [RoleOut],
    role_account_ids: &BTreeMap<RoleName, Vec<AccountId>>,
    names: &BTreeMap<AccountId, AccountName>,
    state_role: &RoleName,
) {
    for r in roles.iter_mut() {
        let mut accts: Vec<AccountName> = role_account_ids[&r.name]
            .iter()
            .map(|id| names[id].clone())
            .collect();
        accts.sort();
        r.accounts = accts;
    }
    roles.sort_by_key(|r| (&r.name != state_role, r.name.clone()));
}

/// The most common region of the imported providers, if any names one.
fn default_region(imported: &[Imported]) -> Option<Region> {
    let mut regions: Vec<Region> = Vec::new();
    for st in imported {
        for &pi in std::iter::once(&st.default).chain(&st.aliases) {
            if let Some(r) = &st.scan.providers[pi].1.region {
                regions.push(r.v.clone());
            }
        }
    }
    most_common(&regions).map(|(r, _)| r)
}

/// A session name shared by several roles, for `defaults`: taken off the
/// roles that use it.
fn shared_session_name(roles: &mut [RoleOut]) -> Option<SessionName> {
    let session_names: Vec<SessionName> = roles
        .iter()
        .filter_map(|r| r.session_name.clone())
        .collect();
    let default_session = most_common(&session_names)
        .filter(|(_, n)| *n >= 2)
        .map(|(s, _)| s)?;
    for r in roles {
        if r.session_name.as_ref() == Some(&default_session) {
            r.session_name = None;
        }
    }
    Some(default_session)
}

/// Stack blocks: `P/*` where every directory the glob matches is an
/// imported stack with the same settings (at least two), exact paths otherwise.
pub(super) fn group_globs(
    settings: &[(StackPath, Settings)],
    dirs: &[TfDir],
) -> Vec<(String, Settings)> {
    let parent = |p: &str| {
        p.rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_owned())
    };
    let mut by_parent: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (p, _)) in settings.iter().enumerate() {
        by_parent.entry(parent(p.as_str())).or_default().push(i);
    }
    let mut out: Vec<(String, Settings)> = Vec::new();
    let mut covered = vec![false; settings.len()];
    for (par, members) in &by_parent {
        if members.len() < 2 {
            continue;
        }
        let label = if par.is_empty() {
            "*".to_owned()
        } else {
            format!("{par}/*")
        };
        let Ok(pattern) = StackPattern::new(&label) else {
            continue;
        };
        let first = &settings[members[0]].1;
        // A glob reaches only directories with .tf files (a Terragrunt unit
        // may have none yet): the others stay exact.
        let discovered = members
            .iter()
            .all(|&i| dirs.iter().any(|d| d.path == settings[i].0));
        let all_same = discovered && members.iter().all(|&i| &settings[i].1 == first);
        let matched_all_imported = dirs
            .iter()
            .filter(|d| pattern.matches(&d.path))
            .all(|d| members.iter().any(|&i| settings[i].0 == d.path));
        if all_same && matched_all_imported {
            for &i in members {
                covered[i] = true;
            }
            out.push((label, first.clone()));
        }
    }
    for (i, (p, s)) in settings.iter().enumerate() {
        if !covered[i] {
            out.push((p.to_string(), s.clone()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
