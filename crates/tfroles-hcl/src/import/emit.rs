//! The draft's text: the decided model as `tfroles.hcl` blocks, laid out
//! by the writer, under a comment that lists the report.

use tfroles_core::types::{
    AccountName, BucketName, Duration, ExternalId, IamPath, KeyPrefix, ProviderAlias, Region,
    RoleName, SessionName, SessionTags, SourceIdentity,
};

use super::report::Finding;
use crate::writer::{Block, Expr};

/// How a stack's settings read in the draft; stacks whose settings are
/// equal may share a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Settings {
    pub(super) account: AccountName,
    pub(super) role: RoleName,
    pub(super) region: Option<Region>,
    pub(super) allowed: Option<Vec<String>>,
    pub(super) providers: Vec<ProvOut>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProvOut {
    pub(super) alias: ProviderAlias,
    pub(super) region: Option<Region>,
    pub(super) account: Option<AccountName>,
    pub(super) role: Option<RoleName>,
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
    pub(super) dynamodb_table: Option<String>,
    pub(super) kms_key_id: Option<String>,
    pub(super) workspace_key_prefix: Option<KeyPrefix>,
}
pub(super) fn role_block(r: &RoleOut) -> Block {
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

pub(super) fn stack_block(label: &str, s: &Settings) -> Block {
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
        b.blank().block(pb);
    }
    b
}

/// The draft's opening comment: where it came from, how to hand over, and
/// the report.
pub(super) fn header(findings: &[Finding]) -> String {
    let mut s = String::from(
        "# Drafted by `tfroles import` from the hand-written backend \"s3\" and\n\
         # provider \"aws\" blocks below this directory. Review it, then hand the\n\
         # blocks over: `tfroles generate --take-over` replaces each backend.tf and\n\
         # providers.tf (keeping the original as <name>.tfroles-orig); blocks kept in\n\
         # other files must be deleted by hand.\n#\n",
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
