//! Events folded into what each role used: actions allowed (with counts),
//! actions denied (with AWS's error), calls that need no permission, and
//! events no action maps to. Memory grows with the number of distinct
//! roles, actions and session names, never with the number of events, and
//! each of those maps is capped.

use std::collections::BTreeMap;

use jiff::Timestamp;
use tfroles_policy::cloudtrail::{EventActions, event_actions};

use crate::record::{Event, Principal};

/// How many distinct keys one map keeps (session names, unmapped events,
/// denied actions, roles); past it, events are counted in `overflow`.
pub const MAX_KEYS: usize = 10_000;

/// One denied action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// How many calls were denied.
    pub count: u64,
    /// The event that was refused (`s3.amazonaws.com` `PutBucketPolicy`).
    pub event: String,
    /// AWS's `errorCode` of the last one.
    pub error_code: String,
    /// AWS's `errorMessage` of the last one, if any.
    pub error_message: Option<String>,
    /// The session that was refused last.
    pub session_name: String,
    /// Its source identity, if it had one.
    pub source_identity: Option<String>,
    /// When, if the record said.
    pub time: Option<Timestamp>,
}

/// An event that maps to no IAM action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedEvent {
    /// How many.
    pub count: u64,
    /// Why it maps to nothing.
    pub reason: String,
}

/// What one role (one ARN) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleUsage {
    /// The role's ARN, as CloudTrail logged it.
    pub role_arn: String,
    /// The account it was used in.
    pub account: Option<String>,
    /// Actions allowed, with how many calls needed each.
    pub used: BTreeMap<String, u64>,
    /// Actions denied.
    pub denied: BTreeMap<String, Denial>,
    /// Calls that need no permission (`sts:GetCallerIdentity`), by event.
    pub no_permission: BTreeMap<String, u64>,
    /// Events that map to no action, by `source eventName`.
    pub unmapped: BTreeMap<String, UnmappedEvent>,
    /// Session names, with how many events each.
    pub sessions: BTreeMap<String, u64>,
    /// Source identities seen.
    pub source_identities: BTreeMap<String, u64>,
    /// Events by session name and source identity together, which is
    /// what a call is attributed to a stack by.
    pub calls: BTreeMap<(String, Option<String>), u64>,
    /// Events past [`MAX_KEYS`] in one of the maps: counted, not kept.
    pub overflow: u64,
    /// The first and last event time seen.
    pub first: Option<Timestamp>,
    /// See `first`.
    pub last: Option<Timestamp>,
}

/// Every role's usage, and what was left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// By role ARN.
    pub roles: BTreeMap<String, RoleUsage>,
    /// Events by principals that are not role sessions, by
    /// `userIdentity.type`.
    pub other_principals: BTreeMap<String, u64>,
    /// Events before the `since` time.
    pub before_since: u64,
    /// Events of roles past [`MAX_KEYS`] roles.
    pub overflow: u64,
    /// Data events seen, of anyone: none means the trail does not log
    /// them, so the window says nothing about object-level actions.
    pub data_events: u64,
}

fn bump<'m, V>(
    map: &'m mut BTreeMap<String, V>,
    key: &str,
    overflow: &mut u64,
    new: impl FnOnce() -> V,
) -> Option<&'m mut V> {
    if !map.contains_key(key) {
        if map.len() >= MAX_KEYS {
            *overflow += 1;
            return None;
        }
        map.insert(key.to_owned(), new());
    }
    map.get_mut(key)
}

impl Usage {
    /// Folds one event in; events before `since` are counted and left out.
    pub fn add(&mut self, e: Event, since: Option<Timestamp>) {
        if let (Some(since), Some(t)) = (since, e.time)
            && t < since
        {
            self.before_since += 1;
            return;
        }
        if e.data {
            self.data_events += 1;
        }
        let denied = e.is_denied();
        let (role_arn, session_name, source_identity) = match &e.principal {
            Principal::Role {
                role_arn,
                session_name,
                source_identity,
            } => (role_arn, session_name, source_identity),
            Principal::Other { kind } => {
                let mut ignored = 0;
                if let Some(n) = bump(&mut self.other_principals, kind, &mut ignored, || 0) {
                    *n += 1;
                }
                return;
            }
        };
        let Some(role) = bump(&mut self.roles, role_arn, &mut self.overflow, || {
            RoleUsage {
                role_arn: role_arn.clone(),
                ..RoleUsage::default()
            }
        }) else {
            return;
        };
        role.seen(&e, session_name, source_identity.as_deref());
        role.add_actions(&e, session_name, source_identity.as_deref(), denied);
    }
}

impl RoleUsage {
    /// The account, time span, session and source identity of one event.
    fn seen(&mut self, e: &Event, session_name: &str, source_identity: Option<&str>) {
        if self.account.is_none() {
            self.account = e.account.clone();
        }
        if let Some(t) = e.time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        let overflow_before = self.overflow;
        if let Some(n) = bump(&mut self.sessions, session_name, &mut self.overflow, || 0) {
            *n += 1;
        }
        if let Some(si) = source_identity
            && let Some(n) = bump(&mut self.source_identities, si, &mut self.overflow, || 0)
        {
            *n += 1;
        }
        let key = (session_name.to_owned(), source_identity.map(str::to_owned));
        if let Some(n) = self.calls.get_mut(&key) {
            *n += 1;
        } else if self.calls.len() >= MAX_KEYS {
            // An event is counted past the caps once.
            if self.overflow == overflow_before {
                self.overflow += 1;
            }
        } else {
            self.calls.insert(key, 1);
        }
    }

    /// The actions one event stands for, as used or denied; or the event
    /// as needing no permission, or as unmapped.
    fn add_actions(
        &mut self,
        e: &Event,
        session_name: &str,
        source_identity: Option<&str>,
        denied: bool,
    ) {
        let event = format!("{} {}", e.source, e.name);
        match event_actions(&e.source, &e.name) {
            EventActions::Actions(actions) => {
                for a in actions {
                    if denied {
                        self.deny(a.action(), &event, e, session_name, source_identity);
                    } else if let Some(n) =
                        bump(&mut self.used, a.action(), &mut self.overflow, || 0)
                    {
                        *n += 1;
                    }
                }
            }
            EventActions::NoPermission => {
                if let Some(n) = bump(&mut self.no_permission, &event, &mut self.overflow, || 0) {
                    *n += 1;
                }
            }
            EventActions::Unmapped(why) => {
                if let Some(u) = bump(&mut self.unmapped, &event, &mut self.overflow, || {
                    UnmappedEvent {
                        count: 0,
                        reason: why.to_string(),
                    }
                }) {
                    u.count += 1;
                }
            }
        }
    }

    /// One denial of `action`: counted, and the latest event's details kept.
    fn deny(
        &mut self,
        action: &str,
        event: &str,
        e: &Event,
        session_name: &str,
        source_identity: Option<&str>,
    ) {
        let Some(d) = bump(&mut self.denied, action, &mut self.overflow, || Denial {
            count: 0,
            event: event.to_owned(),
            error_code: String::new(),
            error_message: None,
            session_name: String::new(),
            source_identity: None,
            time: None,
        }) else {
            return;
        };
        d.count += 1;
        event.clone_into(&mut d.event);
        d.error_code = e.error_code.clone().unwrap_or_default();
        d.error_message.clone_from(&e.error_message);
        session_name.clone_into(&mut d.session_name);
        d.source_identity = source_identity.map(str::to_owned);
        d.time = e.time;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, error: Option<&str>, session: &str) -> Event {
        Event {
            time: Some("2026-11-02T00:00:00Z".parse().unwrap()),
            source: "s3.amazonaws.com".into(),
            name: name.into(),
            error_code: error.map(str::to_owned),
            error_message: error.map(|_| "no".to_owned()),
            account: Some("111111111111".into()),
            principal: Principal::Role {
                role_arn: "arn:aws:iam::111111111111:role/r".into(),
                session_name: session.into(),
                source_identity: None,
            },
            data: false,
        }
    }

    #[test]
    fn used_denied_unmapped_and_other_errors() {
        let mut u = Usage::default();
        u.add(event("ListObjectsV2", None, "a"), None);
        u.add(event("HeadBucket", Some("NoSuchBucket"), "a"), None);
        u.add(event("PutBucketPolicy", Some("AccessDenied"), "b"), None);
        u.add(event("NoSuchCall", None, "b"), None);
        let r = &u.roles["arn:aws:iam::111111111111:role/r"];
        assert_eq!(r.used.keys().collect::<Vec<_>>(), ["s3:ListBucket"]);
        assert_eq!(r.used["s3:ListBucket"], 2);
        assert_eq!(r.denied["s3:PutBucketPolicy"].error_code, "AccessDenied");
        assert_eq!(r.denied["s3:PutBucketPolicy"].session_name, "b");
        assert_eq!(
            r.unmapped["s3.amazonaws.com NoSuchCall"].reason,
            "no IAM action `s3:NoSuchCall` in the catalog"
        );
        assert_eq!(r.sessions.len(), 2);
    }

    #[test]
    fn since_leaves_older_events_out() {
        let mut u = Usage::default();
        u.add(
            event("GetObject", None, "a"),
            Some("2026-11-03T00:00:00Z".parse().unwrap()),
        );
        assert_eq!(u.before_since, 1);
        assert!(u.roles.is_empty());
    }

    #[test]
    fn session_names_are_capped() {
        let mut u = Usage::default();
        for i in 0..MAX_KEYS + 5 {
            u.add(event("GetObject", None, &format!("s{i}")), None);
        }
        let r = &u.roles["arn:aws:iam::111111111111:role/r"];
        assert_eq!(r.sessions.len(), MAX_KEYS);
        assert_eq!(r.calls.len(), MAX_KEYS);
        assert_eq!(r.overflow, 5);
        assert_eq!(r.used["s3:GetObject"], (MAX_KEYS + 5) as u64);
    }

    #[test]
    fn calls_keep_session_name_and_source_identity_together() {
        let mut u = Usage::default();
        let with = |name: &str, session: &str, si: Option<&str>| {
            let mut e = event(name, None, session);
            e.principal = Principal::Role {
                role_arn: "arn:aws:iam::111111111111:role/r".into(),
                session_name: session.into(),
                source_identity: si.map(str::to_owned),
            };
            e
        };
        u.add(with("GetObject", "a", Some("x@tf-qa.api")), None);
        u.add(with("GetObject", "a", Some("x@tf-qa.web")), None);
        u.add(with("GetObject", "a", Some("x@tf-qa.web")), None);
        u.add(with("GetObject", "a", None), None);
        let mut denied = with("PutBucketPolicy", "b", Some("x@tf-qa.web"));
        denied.error_code = Some("AccessDenied".into());
        u.add(denied, None);
        let r = &u.roles["arn:aws:iam::111111111111:role/r"];
        let key = |s: &str, si: Option<&str>| (s.to_owned(), si.map(str::to_owned));
        assert_eq!(r.calls[&key("a", Some("x@tf-qa.api"))], 1);
        assert_eq!(r.calls[&key("a", Some("x@tf-qa.web"))], 2);
        assert_eq!(r.calls[&key("a", None)], 1);
        assert_eq!(r.calls.values().sum::<u64>(), 5);
        assert_eq!(
            r.denied["s3:PutBucketPolicy"].source_identity.as_deref(),
            Some("x@tf-qa.web")
        );
        assert_eq!(r.overflow, 0);
    }
}
