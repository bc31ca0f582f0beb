//! The draft's text: the decided model as `tfroles.hcl` blocks, laid out
//! by the writer, under a comment that lists the report.

use std::collections::BTreeMap;

use tfroles_core::types::{
    AccountId, AccountName, BucketName, Duration, ExternalId, IamPath, KeyPrefix, KmsKeyId,
    LockTable, Partition, ProviderAlias, Region, RoleName, SessionName, SessionTags,
    SourceIdentity,
};

use super::report::Finding;
use crate::writer::{Block, Expr, Item, render};

/// How a stack's settings read in the draft; stacks whose settings are
/// equal may share a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Settings {
    pub(super) account: AccountName,
    pub(super) role: RoleName,
    pub(super) region: Option<Region>,
    pub(super) allowed: Option<Vec<String>>,
    pub(super) providers: Vec<ProvOut>,
    pub(super) workspaces: Vec<WsOut>,
    /// The default provider's `default_tags`.
    pub(super) default_tags: Option<Vec<(String, String)>>,
}

/// A `workspace` block: what differs from the stack in that workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WsOut {
    pub(super) name: String,
    pub(super) account: Option<AccountName>,
    pub(super) role: Option<RoleName>,
    pub(super) region: Option<Region>,
}

/// Whether the config this tfroles reads has `default_tags` on stacks;
/// the draft carries providers' `default_tags` only then (and reports them
/// as dropped otherwise).
pub(super) fn default_tags_supported() -> bool {
    static SUPPORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let probe = "defaults {\n  region = \"us-east-1\"\n}\n\naccount \"a\" {\n  id = \"111111111111\"\n}\n\nstate {\n  account = \"a\"\n  bucket  = \"probe-bucket\"\n  role    = \"s\"\n}\n\nrole \"s\" {\n  account = \"a\"\n}\n\nstack \"x\" {\n  account      = \"a\"\n  role         = \"s\"\n  default_tags = { A = \"b\" }\n}\n";
        tfroles_core::Config::from_str_at(
            probe,
            std::path::Path::new("tfroles.hcl"),
            std::path::Path::new("."),
        )
        .is_ok()
    })
}

fn tags_expr(t: &[(String, String)]) -> Expr {
    Expr::Object(
        t.iter()
            .map(|(k, v)| (k.clone(), Expr::Str(v.clone())))
            .collect(),
    )
}

/// Whether the config this tfroles reads has `workspace` blocks in
/// stacks; the draft writes them only then.
pub(super) fn workspaces_supported() -> bool {
    static SUPPORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let probe = "defaults {\n  region = \"us-east-1\"\n}\n\naccount \"a\" {\n  id = \"111111111111\"\n}\n\nstate {\n  account = \"a\"\n  bucket  = \"probe-bucket\"\n  role    = \"s\"\n}\n\nrole \"s\" {\n  account = \"a\"\n}\n\nstack \"x\" {\n  account = \"a\"\n  role    = \"s\"\n\n  workspace \"default\" {}\n}\n";
        tfroles_core::Config::from_str_at(
            probe,
            std::path::Path::new("tfroles.hcl"),
            std::path::Path::new("."),
        )
        .is_ok()
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProvOut {
    pub(super) alias: ProviderAlias,
    pub(super) region: Option<Region>,
    pub(super) account: Option<AccountName>,
    pub(super) role: Option<RoleName>,
    pub(super) default_tags: Option<Vec<(String, String)>>,
}
#[derive(Debug, Clone)]
pub(super) struct RoleOut {
    pub(super) name: RoleName,
    pub(super) accounts: Vec<AccountName>,
    pub(super) path: IamPath,
    pub(super) external_id: Option<ExternalId>,
    pub(super) session_name: Option<SessionName>,
    pub(super) duration: Option<Duration>,
    pub(super) source_identity: Option<SourceIdentity>,
    pub(super) tags: Option<SessionTags>,
    pub(super) via: Option<RoleName>,
}
/// The state settings, decided across backends.
pub(super) struct StateOut {
    pub(super) bucket: BucketName,
    pub(super) region: Region,
    pub(super) encrypt: bool,
    pub(super) use_lockfile: bool,
    pub(super) dynamodb_table: Option<LockTable>,
    pub(super) kms_key_id: Option<KmsKeyId>,
    pub(super) workspace_key_prefix: Option<KeyPrefix>,
}
/// The decided model, as the draft writes it.
pub(super) struct Draft<'a> {
    pub(super) region: &'a Region,
    /// Shared by several roles: set once in `defaults`.
    pub(super) session_name: Option<&'a SessionName>,
    pub(super) partition: Partition,
    /// Account names by id.
    pub(super) accounts: &'a BTreeMap<AccountId, AccountName>,
    pub(super) state: &'a StateOut,
    pub(super) state_account: &'a AccountName,
    pub(super) state_role: &'a RoleName,
    pub(super) key_prefix: Option<&'a KeyPrefix>,
    pub(super) roles: &'a [RoleOut],
    /// Stack block labels (paths or globs) and their settings, in order.
    pub(super) stacks: &'a [(String, Settings)],
}

impl Draft<'_> {
    /// The draft `tfroles.hcl`: the header listing `findings`, then the
    /// blocks, laid out as `terraform fmt` would.
    pub(super) fn text(&self, findings: &[Finding]) -> String {
        let mut items: Vec<Item> = Vec::new();
        let mut defaults = Block::new("defaults", &[]);
        defaults.attr("region", Expr::Str(self.region.to_string()));
        if let Some(s) = self.session_name {
            defaults.attr("session_name", Expr::Str(s.to_string()));
        }
        if self.partition != Partition::Aws {
            defaults.attr("partition", Expr::Str(self.partition.to_string()));
        }
        items.push(Item::Block(defaults));
        let mut accounts: Vec<(&AccountName, &AccountId)> =
            self.accounts.iter().map(|(id, n)| (n, id)).collect();
        accounts.sort();
        for (n, id) in &accounts {
            let mut b = Block::new("account", &[n.as_str()]);
            b.attr("id", Expr::Str(id.to_string()));
            items.push(Item::Blank);
            items.push(Item::Block(b));
        }
        let sb = self.state_block();
        items.push(Item::Blank);
        items.push(Item::Block(sb));
        let roles = self.roles_in_workspace_accounts();
        for r in &roles {
            items.push(Item::Blank);
            items.push(Item::Block(role_block(r)));
        }
        for (label, s) in self.stacks {
            items.push(Item::Blank);
            items.push(Item::Block(stack_block(label, s)));
        }
        let mut text = header(findings);
        text.push_str(&render(&items));
        text
    }

    /// The `state` block.
    fn state_block(&self) -> Block {
        let mut sb = Block::new("state", &[]);
        sb.attr("account", Expr::Str(self.state_account.to_string()))
            .attr("bucket", Expr::Str(self.state.bucket.to_string()))
            .attr("region", Expr::Str(self.state.region.to_string()))
            .attr("role", Expr::Str(self.state_role.to_string()));
        if let Some(p) = self.key_prefix {
            sb.attr("key_prefix", Expr::Str(p.to_string()));
        }
        if !self.state.use_lockfile {
            sb.attr("use_lockfile", Expr::Bool(false));
        }
        if let Some(t) = &self.state.dynamodb_table {
            sb.attr("dynamodb_table", Expr::Str(t.to_string()));
        }
        if !self.state.encrypt {
            sb.attr("encrypt", Expr::Bool(false));
        }
        if let Some(k) = &self.state.kms_key_id {
            sb.attr("kms_key_id", Expr::Str(k.to_string()));
        }
        if let Some(w) = &self.state.workspace_key_prefix {
            sb.attr("workspace_key_prefix", Expr::Str(w.to_string()));
        }
        sb
    }

    /// The roles, each also in every workspace account an alias that
    /// names it but no account works in (tfroles.hcl refuses the draft
    /// otherwise).
    fn roles_in_workspace_accounts(&self) -> Vec<RoleOut> {
        let mut roles = self.roles.to_vec();
        for (_, s) in self.stacks {
            for p in s.providers.iter().filter(|p| p.account.is_none()) {
                let Some(role) = &p.role else { continue };
                for w in &s.workspaces {
                    let account = w.account.as_ref().unwrap_or(&s.account);
                    if let Some(r) = roles.iter_mut().find(|r| &r.name == role)
                        && !r.accounts.contains(account)
                    {
                        r.accounts.push(account.clone());
                        r.accounts.sort();
                    }
                }
            }
        }
        roles
    }
}

fn role_block(r: &RoleOut) -> Block {
    let mut b = Block::new("role", &[r.name.as_str()]);
    if r.accounts.len() == 1 {
        b.attr("account", Expr::Str(r.accounts[0].to_string()));
    } else {
        b.attr(
            "accounts",
            Expr::List(
                r.accounts
                    .iter()
                    .map(|a| Expr::Str(a.to_string()))
                    .collect(),
            ),
        );
    }
    if r.path.as_str() != "/" {
        b.attr("path", Expr::Str(r.path.to_string()));
    }
    if let Some(x) = &r.external_id {
        b.attr("external_id", Expr::Str(x.to_string()));
    }
    if let Some(x) = &r.session_name {
        b.attr("session_name", Expr::Str(x.to_string()));
    }
    if let Some(x) = &r.duration {
        b.attr("duration", Expr::Str(x.to_string()));
    }
    if let Some(x) = &r.source_identity {
        b.attr("source_identity", Expr::Str(x.to_string()));
    }
    if let Some(x) = &r.via {
        b.attr("via", Expr::Str(x.to_string()));
    }
    if let Some(t) = &r.tags {
        b.attr(
            "tags",
            Expr::Object(
                t.iter()
                    .map(|(k, v)| (k.to_owned(), Expr::Str(v.to_owned())))
                    .collect(),
            ),
        );
    }
    b
}

fn stack_block(label: &str, s: &Settings) -> Block {
    let mut b = Block::new("stack", &[label]);
    b.attr("account", Expr::Str(s.account.to_string()))
        .attr("role", Expr::Str(s.role.to_string()));
    if let Some(r) = &s.region {
        b.attr("region", Expr::Str(r.to_string()));
    }
    if let Some(ids) = &s.allowed {
        b.attr(
            "allowed_account_ids",
            Expr::List(ids.iter().map(|i| Expr::Str(i.clone())).collect()),
        );
    }
    if let Some(t) = &s.default_tags {
        b.attr("default_tags", tags_expr(t));
    }
    for p in &s.providers {
        let mut pb = Block::new("provider", &[p.alias.as_str()]);
        if let Some(r) = &p.region {
            pb.attr("region", Expr::Str(r.to_string()));
        }
        if let Some(a) = &p.account {
            pb.attr("account", Expr::Str(a.to_string()));
        }
        if let Some(r) = &p.role {
            pb.attr("role", Expr::Str(r.to_string()));
        }
        if let Some(t) = &p.default_tags {
            pb.attr("default_tags", tags_expr(t));
        }
        b.blank().block(pb);
    }
    for w in &s.workspaces {
        let mut wb = Block::new("workspace", &[w.name.as_str()]);
        if let Some(a) = &w.account {
            wb.attr("account", Expr::Str(a.to_string()));
        }
        if let Some(r) = &w.region {
            wb.attr("region", Expr::Str(r.to_string()));
        }
        if let Some(r) = &w.role {
            wb.attr("role", Expr::Str(r.to_string()));
        }
        b.blank().block(wb);
    }
    b
}

/// The draft's opening comment: where it came from, how to hand over, and
/// the report.
fn header(findings: &[Finding]) -> String {
    let mut s = String::from(
        "# Drafted by `tfroles import` from the hand-written backend \"s3\" and\n\
         # provider \"aws\" blocks below this directory. Review it, then hand the\n\
         # blocks over: `tfroles import --handover` removes them from your files\n\
         # (keeping each original as <name>.tfroles-orig), and `tfroles generate`\n\
         # writes their replacements.\n#\n",
    );
    if findings.is_empty() {
        s.push_str("# Nothing needed review.\n");
    } else {
        s.push_str("# To review (`tfroles import` printed these too):\n");
        for f in findings {
            let line: String = f
                .to_string()
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            s.push_str(&format!("#   {line}\n"));
        }
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stack syntax the model takes for workspaces and default tags,
    /// written as `terraform fmt` lays it out (loading it waits for the
    /// model: see `workspaces_supported`).
    #[test]
    fn stacks_carry_workspaces_and_default_tags() {
        let s = Settings {
            account: "dev".parse().unwrap(),
            role: "app".parse().unwrap(),
            region: None,
            allowed: None,
            providers: vec![ProvOut {
                alias: "us_east_1".parse().unwrap(),
                region: Some("us-east-1".parse().unwrap()),
                account: None,
                role: None,
                default_tags: Some(vec![("Edge".into(), "true".into())]),
            }],
            workspaces: vec![
                WsOut {
                    name: "default".into(),
                    account: None,
                    role: None,
                    region: None,
                },
                WsOut {
                    name: "production".into(),
                    account: Some("production".parse().unwrap()),
                    role: None,
                    region: Some("eu-west-1".parse().unwrap()),
                },
            ],
            default_tags: Some(vec![("Service".into(), "app".into())]),
        };
        let text = render(&[Item::Block(stack_block("services/app", &s))]);
        assert_eq!(
            text,
            "stack \"services/app\" {\n  account = \"dev\"\n  role    = \"app\"\n  default_tags = {\n    Service = \"app\"\n  }\n\n  provider \"us_east_1\" {\n    region = \"us-east-1\"\n    default_tags = {\n      Edge = \"true\"\n    }\n  }\n\n  workspace \"default\" {\n  }\n\n  workspace \"production\" {\n    account = \"production\"\n    region  = \"eu-west-1\"\n  }\n}\n"
        );
        assert_eq!(tfroles_testsupport::terraform_fmt_stdin(&text), text);
    }
}
