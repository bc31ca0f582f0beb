//! `usage`'s narrowed grant written by the editor, on generated roles
//! (services, levels, actions, patterns, `deny_actions`; inline and
//! one-per-line lists; comments; CRLF) and generated use: the edit is
//! never refused for a plainly written block, never widens (the editor's
//! own check), and every action used that the role was granted is still
//! allowed afterwards.

use std::collections::BTreeSet;

use proptest::prelude::*;
use tfroles_core::Config;
use tfroles_core::edit::{self, Change};

/// What role `app` is allowed, as the catalog expands its policy.
fn allowed(config: &Config) -> BTreeSet<&'static str> {
    config
        .granted(&[])
        .unwrap()
        .into_iter()
        .find(|g| g.session.role.as_str() == "app")
        .unwrap()
        .actions
}

const SERVICES: &[&str] = &["ec2", "s3", "iam", "sqs", "sns", "lambda"];
const LEVELS: &[&str] = &["list", "read", "write", "tagging", "permissions"];
const ACTIONS: &[&str] = &[
    "iam:PassRole",
    "iam:CreateRole",
    "ec2:Describe*",
    "ec2:RunInstances",
    "s3:GetObject",
    "s3:List*",
    "sts:GetCallerIdentity",
    "dynamodb:GetItem",
    "kms:Decrypt",
    "lambda:InvokeFunction",
    "sqs:SendMessage",
    "ec2:CreateTags",
];
const DENY: &[&str] = &["ec2:TerminateInstances", "s3:DeleteBucket", "iam:*User*"];

fn list(items: &[&str], multiline: bool, comments: bool, nl: &str) -> String {
    if !multiline {
        return format!(
            "[{}]",
            items
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut s = format!("[{nl}");
    for (i, item) in items.iter().enumerate() {
        s.push_str(&format!("    \"{item}\","));
        if comments && i % 2 == 0 {
            s.push_str(" # why");
        }
        s.push_str(nl);
    }
    s.push_str("  ]");
    s
}

fn pick<'a>(pool: &'a [&'a str], mask: u32) -> Vec<&'a str> {
    pool.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, s)| *s)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn narrowing_keeps_what_was_used_and_never_widens(
        services in 0u32..64,
        levels in 1u32..32,
        actions in 0u32..4096,
        deny in 0u32..8,
        multiline in any::<bool>(),
        comments in any::<bool>(),
        crlf in any::<bool>(),
        used_seed in proptest::collection::vec(any::<prop::sample::Index>(), 1..14),
    ) {
        let services = pick(SERVICES, services);
        let actions = pick(ACTIONS, actions);
        prop_assume!(!services.is_empty() || !actions.is_empty());
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut role = format!("# the role{nl}role \"app\" {{{nl}  account = \"qa\" # one account{nl}");
        if !services.is_empty() {
            role.push_str(&format!("  services = {}", list(&services, multiline, comments, nl)));
            role.push_str(if comments { " # broad" } else { "" });
            role.push_str(nl);
            role.push_str(&format!("  access = {}{nl}", list(&pick(LEVELS, levels), false, false, nl)));
        }
        if !actions.is_empty() {
            role.push_str(&format!("  actions = {}{nl}", list(&actions, multiline, comments, nl)));
        }
        let deny = pick(DENY, deny);
        if !deny.is_empty() {
            role.push_str(&format!("  deny_actions = {}{nl}", list(&deny, false, false, nl)));
        }
        role.push_str(&format!("}}{nl}"));
        let text = format!(
            "defaults {{{nl}  region = \"us-east-1\"{nl}}}{nl}account \"qa\" {{{nl}  id = \"111111111111\"{nl}}}{nl}state {{{nl}  account = \"qa\"{nl}  bucket  = \"acme-state\"{nl}  role    = \"terraform-state\"{nl}}}{nl}role \"terraform-state\" {{{nl}  account = \"qa\"{nl}}}{nl}{role}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tfroles.hcl");
        std::fs::write(&path, &text).unwrap();
        let config = Config::from_path(&path).unwrap();
        let granted = allowed(&config);
        prop_assume!(!granted.is_empty());
        let pool: Vec<&'static str> = granted.iter().copied().collect();
        let used: BTreeSet<String> = used_seed.iter().map(|i| i.get(&pool).to_string()).collect();
        let role = config.role("app").unwrap();
        let Some(grant) = config.narrowed(role, &granted, &used, &BTreeSet::new()) else {
            return Ok(());
        };
        let planned = edit::plan(&path, &[Change::narrow("app", grant.clone())]);
        let planned = match planned {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}\n{grant:?}"))),
        };
        // CRLF stays CRLF; every comment stays.
        prop_assert_eq!(planned.after.contains("\r\n"), crlf);
        if crlf {
            prop_assert!(!planned.after.replace("\r\n", "").contains('\n'));
        }
        for c in ["# the role", "# one account"] {
            prop_assert!(planned.after.contains(c), "{}", planned.after);
        }
        prop_assert_eq!(
            planned.after.matches("# why").count() + planned.after.matches("# broad").count(),
            text.matches("# why").count() + text.matches("# broad").count(),
            "{}", planned.after
        );
        let after = Config::from_str(&planned.after).unwrap();
        let now = allowed(&after);
        for a in &used {
            prop_assert!(now.contains(a.as_str()), "{} no longer allowed:\n{}", a, planned.after);
        }
        prop_assert!(now.is_subset(&granted));
        prop_assert_eq!(&after.role("app").unwrap().permissions.deny_actions, &role.permissions.deny_actions);
    }
}
