//! The AWS shared config file, as far as import needs it: each profile's
//! role (`role_arn`, `source_profile`, `external_id`, `role_session_name`,
//! `duration_seconds`) and account (`sso_account_id`).
//!
//! Found as the AWS CLI finds it: `--aws-config PATH`, else
//! `AWS_CONFIG_FILE`, else `~/.aws/config`. Credentials files are never read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tfroles_core::types::{AccountId, Duration};

use super::scan::parse_arn;
use super::{Cx, L, Use};
use crate::Error;

/// One `[profile NAME]` section (or `[default]`).
#[derive(Debug, Clone, Default)]
pub(super) struct Profile {
    pub(super) line: usize,
    pub(super) settings: BTreeMap<String, (String, usize)>,
}

impl Profile {
    pub(super) fn get(&self, key: &str) -> Option<&(String, usize)> {
        self.settings.get(key)
    }
}

/// The profiles of one config file, by name. Findings name lines of it,
/// never its path (which is the user's, not the repository's).
#[derive(Debug, Clone, Default)]
pub(super) struct AwsConfig {
    pub(super) profiles: BTreeMap<String, Profile>,
}

/// The config file the AWS CLI would read: `AWS_CONFIG_FILE`, else
/// `~/.aws/config`, when it is a regular file. The binary asks; the library reads only
/// the file it is given.
pub fn default_aws_config() -> Option<PathBuf> {
    let p = match std::env::var_os("AWS_CONFIG_FILE").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?)
            .join(".aws")
            .join("config"),
    };
    // The user's own file, not the repository's: a dotfiles link is
    // followed to its target; anything but a regular file (`/dev/null`, as
    // scrubbed environments set) means no config.
    let p = std::fs::canonicalize(p).ok()?;
    p.metadata().ok()?.is_file().then_some(p)
}

/// Parses the INI the AWS CLI writes: `[default]`, `[profile NAME]`,
/// `key = value`; comments start with `#` or `;`. Other sections
/// (`[sso-session]`, `[services]`) are skipped; so are nested settings
/// (indented lines under a `key =` with no value).
pub(super) fn parse(text: &str) -> AwsConfig {
    let mut out = AwsConfig {
        profiles: BTreeMap::new(),
    };
    let mut current: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.starts_with([' ', '\t']) {
            continue;
        }
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if let Some(section) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let section = section.trim();
            current = if section == "default" {
                Some("default".to_owned())
            } else {
                section
                    .strip_prefix("profile")
                    .filter(|r| r.starts_with([' ', '\t']))
                    .map(|r| r.trim().to_owned())
            };
            if let Some(name) = &current {
                out.profiles.entry(name.clone()).or_insert(Profile {
                    line,
                    settings: BTreeMap::new(),
                });
            }
            continue;
        }
        let (Some(name), Some((k, v))) = (&current, l.split_once('=')) else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        if let Some(p) = out.profiles.get_mut(name) {
            p.settings
                .insert(k.trim().to_ascii_lowercase(), (v.to_owned(), line));
        }
    }
    out
}

/// How many `source_profile` hops import follows.
const MAX_HOPS: usize = 8;

impl Cx {
    /// Reads the AWS config file: an error only when `--aws-config` named
    /// one that cannot be read; the default may be missing.
    pub(super) fn load_aws_config(&mut self) -> Result<(), Error> {
        let Some(path) = self.opts.aws_config.clone() else {
            return Ok(());
        };
        let bytes = crate::sync::read_regular(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        self.aws = Some(parse(&text));
        Ok(())
    }

    /// The roles a `profile` assumes, first hop first, and the account its
    /// credentials are in when it assumes none (`sso_account_id`).
    pub(super) fn profile_session(
        &mut self,
        file: &str,
        ctx: &str,
        line: usize,
        name: &str,
    ) -> (Vec<usize>, Option<AccountId>) {
        let Some(aws) = self.aws.clone() else {
            self.note(file, line, format!("{ctx}: `profile` {name:?}: no AWS config file was read (give one with `--aws-config PATH`): the draft cannot tell its role or account"));
            return (Vec::new(), None);
        };
        let Some(hops) = self.profile_hops(&aws, file, ctx, line, name) else {
            return (Vec::new(), None);
        };
        let hint = hops
            .last()
            .and_then(|(_, p)| p.get("sso_account_id"))
            .and_then(|(id, _)| id.parse::<AccountId>().ok());
        let with_role: Vec<&(String, &Profile)> = hops
            .iter()
            .filter(|(_, p)| p.get("role_arn").is_some())
            .collect();
        if with_role.is_empty() {
            self.note(file, line, format!("{ctx}: `profile` {name:?} (line {} of the AWS config) assumes no role: its own credentials are used as they are", hops[0].1.line));
            if let Some(id) = &hint {
                self.profile_accounts.push((id.clone(), name.to_owned()));
            }
            return (Vec::new(), hint);
        }
        let mut chain: Vec<usize> = Vec::new();
        for (pname, p) in with_role.iter().rev() {
            let (arn_text, arn_line) = p.get("role_arn").cloned().unwrap_or_default();
            let arn = match parse_arn(&arn_text) {
                Ok(a) => a,
                Err(e) => {
                    let what = format!(
                        "{ctx}: `profile` {pname:?}: `role_arn` (line {arn_line} of the AWS config)"
                    );
                    self.rejected_as(file, line, &what, &e, "the profile is not used");
                    return (Vec::new(), hint);
                }
            };
            let via = chain.last().copied();
            self.profile_accounts
                .push((arn.account.clone(), (*pname).clone()));
            chain.push(self.profile_use(file, line, p, arn, via));
        }
        (chain, hint)
    }

    /// The profiles from `name` back to the one holding credentials
    /// (following `source_profile` while a profile assumes a role); `None`,
    /// with a finding, for a cycle, a chain too long, or a profile missing.
    fn profile_hops<'a>(
        &mut self,
        aws: &'a AwsConfig,
        file: &str,
        ctx: &str,
        line: usize,
        name: &str,
    ) -> Option<Vec<(String, &'a Profile)>> {
        let mut hops: Vec<(String, &Profile)> = Vec::new();
        let mut next = Some(name.to_owned());
        while let Some(n) = next.take() {
            if hops.len() >= MAX_HOPS || hops.iter().any(|(h, _)| *h == n) {
                self.note(file, line, format!("{ctx}: `profile` {name:?}: its `source_profile` chain in the AWS config comes back to itself or is too long: not followed"));
                return None;
            }
            let Some(p) = aws.profiles.get(&n) else {
                self.note(file, line, format!("{ctx}: `profile` {n:?} is not in the AWS config read: the draft cannot tell its role or account"));
                return None;
            };
            if p.get("role_arn").is_some() {
                next = p.get("source_profile").map(|(s, _)| s.clone());
            }
            hops.push((n, p));
        }
        Some(hops)
    }

    /// One role a profile assumes, with its settings, as a use (`via` the
    /// use before it in the chain); its index.
    fn profile_use(
        &mut self,
        file: &str,
        line: usize,
        p: &Profile,
        arn: super::scan::Arn,
        via: Option<usize>,
    ) -> usize {
        let setting = |k: &str| p.get(k).map(|(v, l)| (v.clone(), *l));
        let external_id =
            setting("external_id").and_then(|(v, l)| v.parse().ok().map(|x| L { v: x, line: l }));
        let session_name = setting("role_session_name")
            .and_then(|(v, l)| v.parse().ok().map(|x| L { v: x, line: l }));
        let duration = setting("duration_seconds").and_then(|(v, l)| {
            v.parse::<u32>()
                .ok()
                .and_then(|s| Duration::from_secs(s).ok())
                .map(|d| L { v: d, line: l })
        });
        let via = via.map(|u| L {
            v: (self.uses[u].name.clone(), self.uses[u].account.clone()),
            line,
        });
        self.uses.push(Use {
            file: file.to_owned(),
            line,
            partition: arn.partition,
            account: arn.account,
            path: L { v: arn.path, line },
            name: arn.name,
            external_id,
            session_name,
            duration,
            source_identity: None,
            tags: None,
            via,
            unusable: false,
        });
        self.uses.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_roles_and_sections_are_read_as_the_cli_reads_them() {
        let c = parse(
            "[default]\nregion = eu-west-1\n\n[profile prod]\nrole_arn = arn:aws:iam::222222222222:role/deploy\nsource_profile = default\n# a comment\n[sso-session x]\nsso_region = us-east-1\n[profile dev]\nsso_account_id = 111111111111\ns3 =\n  max_concurrent_requests = 20\n[profilebad]\nrole_arn = x\n",
        );
        assert_eq!(c.profiles.len(), 3, "{c:?}");
        assert_eq!(
            c.profiles["prod"].get("role_arn").unwrap(),
            &("arn:aws:iam::222222222222:role/deploy".to_owned(), 5)
        );
        assert_eq!(
            c.profiles["dev"].get("sso_account_id").unwrap().0,
            "111111111111"
        );
        assert!(c.profiles["dev"].get("max_concurrent_requests").is_none());
        assert!(!c.profiles["default"].settings.contains_key("sso_region"));
    }
}
