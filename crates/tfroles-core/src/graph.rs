//! Who can become what: base identities, the roles they may assume (and the
//! roles assumed `via` others), and the stacks that use each role for
//! state and for each provider. Plain data, rendered as Mermaid, Graphviz
//! dot or JSON. Who may assume a role is decided by evaluating its
//! generated trust policy ([`trust_admits`]), not assumed.

use std::fmt::Write;

use tfroles_policy::{PolicyDocument, Principal, Request, Resources, evaluate};

use crate::access::{GitHubTrust, Trust, TrustedAws};
use crate::model::{Config, IdentityKind, RoleSession};
use crate::resolve::Stack;
use crate::types::WebIdentitySource;

/// Who asks to assume a role, as a trust policy's `Principal` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// An IAM user or role, by ARN.
    Aws(&'a str),
    /// A web identity, by the ARN of the OIDC provider that issued its token.
    Federated(&'a str),
    /// An AWS service (`ec2.amazonaws.com`).
    Service(&'a str),
}

impl Caller<'_> {
    /// Whether a statement's `Principal` names this caller: its ARN, or for
    /// an IAM principal the root of its account (which delegates to that
    /// account's own policies).
    fn named_by(&self, principal: &Principal) -> bool {
        let Principal::Ids {
            aws,
            federated,
            service,
            ..
        } = principal
        else {
            return true;
        };
        match self {
            Caller::Aws(arn) => {
                let account = arn.split(':').nth(4).unwrap_or_default();
                let root = arn.splitn(6, ':').take(5).collect::<Vec<_>>().join(":") + ":root";
                aws.iter()
                    .any(|p| p == arn || p == "*" || *p == root || p == account)
            }
            Caller::Federated(provider) => federated.iter().any(|p| p == provider),
            Caller::Service(name) => service.iter().any(|s| s == name),
        }
    }
}

/// Whether a role's trust policy lets `caller` make `request`
/// (`sts:AssumeRole` or `sts:AssumeRoleWithWebIdentity`, with the token's
/// claims as context keys like `token.actions.githubusercontent.com:sub`).
///
/// The statements whose `Principal` names the caller are decided by
/// [`tfroles_policy::evaluate`], which treats them as identity statements on
/// every resource; a trust policy is the only policy consulted (the
/// caller's own policies are not).
///
/// # Errors
///
/// What the evaluator cannot decide ([`tfroles_policy::Error::Unsupported`]).
pub fn trust_admits(
    trust: &PolicyDocument,
    caller: Caller<'_>,
    request: &Request,
) -> Result<bool, tfroles_policy::Error> {
    let mut doc = trust.clone();
    doc.statements
        .retain(|st| st.principal.as_ref().is_some_and(|p| caller.named_by(p)));
    for st in &mut doc.statements {
        st.principal = None;
        st.resource = Some(Resources::Resource(vec!["*".into()]));
    }
    let request = Request {
        resource: "*".into(),
        ..request.clone()
    };
    Ok(evaluate(&request, &[doc], &[])?.allowed)
}

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// The credentials tfroles starts from outside CI (the aws-config chain).
    BaseCredentials,
    /// A CI system's OIDC token (`identity` block).
    Identity,
    /// An IAM principal or AWS service a trust policy names that is not an
    /// `identity` block: an account (its root), an ARN, a service.
    Principal,
    /// A role in an account.
    Role,
    /// A stack directory.
    Stack,
}

/// A node.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Node {
    /// Stable id (`n0`, `n1`, ...), safe in every output format.
    pub id: String,
    /// What it stands for.
    pub kind: NodeKind,
    /// How it reads.
    pub label: String,
    /// The ARN: of the role, of a base identity (`identity` with an
    /// `arn`), or of a principal node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// An edge: `from` can become (or uses) `to`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// `assumes` (`assumes as SUB` for a web identity), `assumes (trust not
    /// generated)`, `via`, `state`, `aws`, `aws.ALIAS`.
    pub label: String,
    /// For `assumes` and `via`: the principal the role's trust policy was
    /// evaluated for (an IAM ARN, an OIDC provider ARN, a service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// For a web identity: the token claims the trust policy admits, as
    /// condition keys (`token.actions.githubusercontent.com:sub`) to the
    /// values it was evaluated with (patterns as the trust block wrote
    /// them).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub conditions: std::collections::BTreeMap<String, String>,
}

/// The whole graph.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Graph {
    /// Nodes, in a stable order: sources, roles, the principals trust
    /// policies name (as first met), stacks.
    pub nodes: Vec<Node>,
    /// Edges, in a stable order.
    pub edges: Vec<Edge>,
}

impl Graph {
    fn node(&mut self, kind: NodeKind, label: String, arn: Option<String>) -> String {
        if let Some(n) = self
            .nodes
            .iter()
            .find(|n| n.kind == kind && n.label == label)
        {
            return n.id.clone();
        }
        let id = format!("n{}", self.nodes.len());
        self.nodes.push(Node {
            id: id.clone(),
            kind,
            label,
            arn,
        });
        id
    }

    fn edge(&mut self, from: &str, to: &str, label: &str) {
        self.push_edge(Edge {
            from: from.to_owned(),
            to: to.to_owned(),
            label: label.to_owned(),
            principal: None,
            conditions: Default::default(),
        });
    }

    fn push_edge(&mut self, e: Edge) {
        if !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }

    /// A Mermaid flowchart (renders on GitHub in a ```` ```mermaid ```` block).
    pub fn to_mermaid(&self) -> String {
        // Mermaid takes `#quot;` for a quote inside a quoted label.
        let esc = |s: &str| s.replace('"', "#quot;");
        let mut out = String::from("flowchart LR\n");
        for n in &self.nodes {
            let label = esc(&n.label);
            let _ = match n.kind {
                NodeKind::BaseCredentials | NodeKind::Identity | NodeKind::Principal => {
                    writeln!(out, "  {}([\"{label}\"])", n.id)
                }
                NodeKind::Role => writeln!(out, "  {}[\"{label}\"]", n.id),
                NodeKind::Stack => writeln!(out, "  {}[/\"{label}\"/]", n.id),
            };
        }
        for e in &self.edges {
            let _ = writeln!(out, "  {} -->|\"{}\"| {}", e.from, esc(&e.label), e.to);
        }
        out
    }

    /// A Graphviz digraph.
    pub fn to_dot(&self) -> String {
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut out = String::from("digraph tfroles {\n  rankdir=LR;\n");
        for n in &self.nodes {
            let shape = match n.kind {
                NodeKind::BaseCredentials | NodeKind::Identity | NodeKind::Principal => "ellipse",
                NodeKind::Role => "box",
                NodeKind::Stack => "folder",
            };
            let _ = writeln!(
                out,
                "  {} [label=\"{}\", shape={shape}];",
                n.id,
                esc(&n.label)
            );
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{}\"];",
                e.from,
                e.to,
                esc(&e.label)
            );
        }
        out.push_str("}\n");
        out
    }
}

fn role_label(s: &RoleSession) -> String {
    format!("{} @ {}", s.role, s.account)
}

/// One way a web identity may present itself to a role: the OIDC
/// provider's host and the claims, from one block of the role's `trust`.
struct Claims {
    host: String,
    audience: String,
    subject: String,
    job_workflow_ref: Option<String>,
}

impl Claims {
    fn conditions(&self) -> std::collections::BTreeMap<String, String> {
        let host = &self.host;
        let mut out = std::collections::BTreeMap::new();
        out.insert(format!("{host}:aud"), self.audience.clone());
        out.insert(format!("{host}:sub"), self.subject.clone());
        if let Some(w) = &self.job_workflow_ref {
            out.insert(format!("{host}:job_workflow_ref"), w.clone());
        }
        out
    }

    fn label(&self) -> String {
        match &self.job_workflow_ref {
            Some(w) => format!("assumes as {} running {w}", self.subject),
            None => format!("assumes as {}", self.subject),
        }
    }
}

/// The claims a web identity from `source` may carry to a role with this
/// trust: each OIDC block of its issuer (every block, for a token from a
/// variable or file, whose issuer tfroles does not know), with the
/// identity's own audience where it sets one.
fn candidate_claims(source: Option<&WebIdentitySource>, trust: &Trust) -> Vec<Claims> {
    let mut out = Vec::new();
    let any = matches!(
        source,
        Some(WebIdentitySource::Env { .. } | WebIdentitySource::File { .. })
    );
    for g in &trust.github {
        let audience = match source {
            Some(WebIdentitySource::GitHub { audience }) => audience.clone(),
            _ if any => g.audience.clone(),
            _ => continue,
        };
        out.push(Claims {
            host: GitHubTrust::HOST.into(),
            audience,
            subject: g.subject(),
            job_workflow_ref: g.job_workflow_ref.clone(),
        });
    }
    for c in &trust.terraform_cloud {
        if any || matches!(source, Some(WebIdentitySource::TerraformCloud)) {
            out.push(Claims {
                host: c.hostname.clone(),
                audience: c.audience.clone(),
                subject: c.subject(),
                job_workflow_ref: None,
            });
        }
    }
    for g in &trust.gitlab {
        if any {
            out.push(Claims {
                host: g.host.clone(),
                audience: g.audience.clone(),
                subject: g.subject(),
                job_workflow_ref: None,
            });
        }
    }
    out
}

impl Config {
    /// The graph of this config for the given stacks (from [`Config::resolve`]).
    ///
    /// An `assumes` or `via` edge to a role is drawn only where the role's
    /// generated trust policy ([`Config::trust_policy`]) admits the source,
    /// as [`trust_admits`] decides: a base identity by its ARN, the role a
    /// role is chained `via` by its ARN, a web identity by its issuer's OIDC
    /// provider with the claims of each block of the role's `trust` (drawn
    /// with them: `assumes as repo:acme/infra:ref:refs/heads/main`), and
    /// the accounts, ARNs and services the trust names as nodes of their
    /// own. A base identity needs its own generated policy
    /// ([`Config::identity_policy`]) to allow the role as well. A role
    /// whose trust policy tfroles does not generate (no `trust` block and
    /// no identity with an `arn`) is drawn as assumable by every source
    /// with `assumes (trust not generated)`: AWS decides by a trust policy
    /// written elsewhere.
    pub fn graph(&self, stacks: &[Stack]) -> Graph {
        let mut g = Graph {
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        // Node order is part of the output (ids `n0`, `n1`, ...): sources,
        // then roles, then what the edges meet first.
        let sources = self.source_nodes(&mut g);
        let sessions = self.role_sessions();
        for s in &sessions {
            g.node(NodeKind::Role, role_label(s), Some(s.arn.to_string()));
        }
        let own_policies: Vec<Option<PolicyDocument>> = self
            .identities
            .iter()
            .map(|i| self.identity_policy(&i.name).ok())
            .collect();
        for s in &sessions {
            self.role_edges(&mut g, s, stacks, &sources, &own_policies);
        }
        for st in stacks {
            self.stack_edges(&mut g, st);
        }
        g
    }

    /// The nodes edges to roles start from: the base credentials, then
    /// each identity, in the config's order.
    fn source_nodes(&self, g: &mut Graph) -> Vec<String> {
        let mut sources = vec![g.node(NodeKind::BaseCredentials, "base credentials".into(), None)];
        for i in &self.identities {
            let what = match &i.kind {
                IdentityKind::Web(source) => source.describe(),
                IdentityKind::Base(arn) => arn.to_string(),
            };
            sources.push(g.node(
                NodeKind::Identity,
                format!("identity {}: {what}", i.name),
                i.arn().map(|a| a.to_string()),
            ));
        }
        sources
    }

    /// The edges into one role instance: from the role it is chained `via`,
    /// from each identity its trust policy admits, and from the principals
    /// its trust names.
    fn role_edges(
        &self,
        g: &mut Graph,
        s: &RoleSession,
        stacks: &[Stack],
        sources: &[String],
        own_policies: &[Option<PolicyDocument>],
    ) {
        let to = g.node(NodeKind::Role, role_label(s), Some(s.arn.to_string()));
        let Ok(trust) = self.trust_policy(s.role.as_str(), Some(s.account.as_str()), stacks) else {
            for src in sources {
                g.edge(src, &to, "assumes (trust not generated)");
            }
            return;
        };
        let target = Target::new(to, trust, s);
        let role = self.role(s.role.as_str()).expect("session of a role");
        if let Some(via) = &s.via {
            let from = g.node(NodeKind::Role, role_label(via), Some(via.arn.to_string()));
            let arn = via.arn.to_string();
            if target.admits(Caller::Aws(&arn), &target.assume) {
                target.edge(g, &from, "via".into(), &arn);
            }
        }
        for ((i, src), own) in self.identities.iter().zip(&sources[1..]).zip(own_policies) {
            if let Some(arn) = i.arn().map(|a| a.as_str()) {
                // A base identity also needs its own policy, which
                // tfroles generates too, to allow the role.
                let allowed_by_own = own.as_ref().is_some_and(|doc| {
                    let request = Request::new("sts:AssumeRole", s.arn.as_str());
                    evaluate(&request, std::slice::from_ref(doc), &[]).is_ok_and(|d| d.allowed)
                });
                if allowed_by_own && target.admits(Caller::Aws(arn), &target.assume) {
                    target.edge(g, src, "assumes".into(), arn);
                }
            } else if let Some(t) = &role.trust {
                self.web_identity_edges(g, &target, src, i.source(), t);
            }
        }
        if let Some(t) = &role.trust {
            self.principal_edges(g, &target, t);
        }
    }

    /// The edges from a web identity to a role: one per block of the
    /// role's `trust` whose claims the identity may carry and the trust
    /// policy admits from the issuer's OIDC provider.
    fn web_identity_edges(
        &self,
        g: &mut Graph,
        target: &Target<'_>,
        src: &str,
        source: Option<&WebIdentitySource>,
        trust: &Trust,
    ) {
        let p = self.defaults.partition;
        for c in candidate_claims(source, trust) {
            let provider = format!(
                "arn:{p}:iam::{}:oidc-provider/{}",
                target.session.account_id, c.host
            );
            let mut request = Request::new("sts:AssumeRoleWithWebIdentity", "*");
            for (k, v) in c.conditions() {
                request = request.with_context(k, [v]);
            }
            if target.admits(Caller::Federated(&provider), &request) {
                g.push_edge(Edge {
                    from: src.to_owned(),
                    to: target.to.clone(),
                    label: c.label(),
                    principal: Some(provider),
                    conditions: c.conditions(),
                });
            }
        }
    }

    /// Principals the trust names that are no identity (accounts, ARNs,
    /// services): a node each, and an edge where the trust policy admits it.
    fn principal_edges(&self, g: &mut Graph, target: &Target<'_>, trust: &Trust) {
        let p = self.defaults.partition;
        for e in &trust.aws {
            let (label, arn) = match e {
                TrustedAws::Identity(_) => continue,
                TrustedAws::Account(a) => {
                    let Some(acct) = self.account(a.as_str()) else {
                        continue;
                    };
                    (
                        format!("account {a} (principals its policies allow)"),
                        format!("arn:{p}:iam::{}:root", acct.id),
                    )
                }
                TrustedAws::Arn(arn) => (arn.to_string(), arn.to_string()),
            };
            if target.admits(Caller::Aws(&arn), &target.assume) {
                let from = g.node(NodeKind::Principal, label, Some(arn.clone()));
                target.edge(g, &from, "assumes".into(), &arn);
            }
        }
        for service in &trust.service {
            if target.admits(Caller::Service(service.as_str()), &target.assume) {
                let from = g.node(NodeKind::Principal, format!("service {service}"), None);
                target.edge(g, &from, "assumes".into(), service.as_str());
            }
        }
    }

    /// A stack's node and its edges: to the role its backend assumes, and
    /// to the role of each provider (each workspace's, labelled with it).
    fn stack_edges(&self, g: &mut Graph, st: &Stack) {
        let node = g.node(NodeKind::Stack, st.path.to_string(), None);
        // The role the stack's backend assumes, as `decide_session`
        // picks it: with `role_per_stack`, the stack's own.
        let state = self.stack_state_session(st);
        let role = g.node(
            NodeKind::Role,
            role_label(&state),
            Some(state.arn.to_string()),
        );
        g.edge(&node, &role, "state");
        // A stack with workspace blocks has each workspace's providers;
        // the edge says which workspace (`aws (staging)`).
        let targets = std::iter::once((None, &st.providers))
            .chain(st.workspaces.iter().map(|w| (Some(&w.name), &w.providers)));
        for (workspace, providers) in targets {
            for p in providers {
                let role = g.node(
                    NodeKind::Role,
                    role_label(&p.session),
                    Some(p.session.arn.to_string()),
                );
                let label = p
                    .alias
                    .as_ref()
                    .map_or_else(|| "aws".to_owned(), |a| format!("aws.{a}"));
                let label = match workspace {
                    Some(w) => format!("{label} ({w})"),
                    None => label,
                };
                g.edge(&node, &role, &label);
            }
        }
    }
}

/// One role instance as the end of `assumes` and `via` edges: its node,
/// its generated trust policy, and the `sts:AssumeRole` request tfroles
/// sends for it.
struct Target<'a> {
    to: String,
    trust: PolicyDocument,
    assume: Request,
    session: &'a RoleSession,
}

impl<'a> Target<'a> {
    fn new(to: String, trust: PolicyDocument, session: &'a RoleSession) -> Self {
        // What tfroles sends when it assumes the role: its external id,
        // and an MFA code where the role requires one.
        let mut assume = Request::new("sts:AssumeRole", "*");
        if let Some(x) = &session.external_id {
            assume = assume.with_context("sts:ExternalId", [x.as_str()]);
        }
        if session.mfa_serial.is_some() {
            assume = assume.with_context("aws:MultiFactorAuthPresent", ["true"]);
        }
        Target {
            to,
            trust,
            assume,
            session,
        }
    }

    fn admits(&self, caller: Caller<'_>, request: &Request) -> bool {
        // The statements are generated here and use nothing the
        // evaluator lacks; an error would be a bug, drawn as no edge.
        trust_admits(&self.trust, caller, request).unwrap_or(false)
    }

    fn edge(&self, g: &mut Graph, from: &str, label: String, principal: &str) {
        g.push_edge(Edge {
            from: from.to_owned(),
            to: self.to.clone(),
            label,
            principal: Some(principal.to_owned()),
            conditions: Default::default(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    const CONFIG: &str = r#"
        account "hub" { id = "444444444444" }
        account "qa" { id = "333333333333" }
        identity "gh" { web_identity = "github" }
        state {
          account = "hub"
          bucket  = "state-bucket"
          region  = "us-east-1"
          role    = "terraform-state"
        }
        role "terraform-state" { account = "hub" }
        role "ci" { account = "hub" }
        role "app" {
          account = "qa"
          via     = "ci"
        }
        stack "qa/app" {
          account = "qa"
          role    = "app"
          region  = "us-east-1"
          provider "hub" {
            account = "hub"
            role    = "ci"
          }
        }
    "#;

    #[test]
    fn mermaid_shows_sources_chains_and_stack_uses() {
        let c = Config::from_str(CONFIG).unwrap();
        let stacks = c.resolve(&[]).unwrap().stacks;
        assert_eq!(
            c.graph(&stacks).to_mermaid(),
            "flowchart LR
  n0([\"base credentials\"])
  n1([\"identity gh: github (audience sts.amazonaws.com)\"])
  n2[\"terraform-state @ hub\"]
  n3[\"ci @ hub\"]
  n4[\"app @ qa\"]
  n5[/\"qa/app\"/]
  n0 -->|\"assumes (trust not generated)\"| n2
  n1 -->|\"assumes (trust not generated)\"| n2
  n0 -->|\"assumes (trust not generated)\"| n3
  n1 -->|\"assumes (trust not generated)\"| n3
  n3 -->|\"via\"| n4
  n5 -->|\"state\"| n2
  n5 -->|\"aws\"| n4
  n5 -->|\"aws.hub\"| n3
"
        );
    }

    #[test]
    fn dot_and_json_carry_the_same_graph() {
        let c = Config::from_str(CONFIG).unwrap();
        let g = c.graph(&c.resolve(&[]).unwrap().stacks);
        let dot = g.to_dot();
        assert!(dot.starts_with("digraph tfroles {\n  rankdir=LR;\n"));
        assert!(dot.contains("  n3 -> n4 [label=\"via\"];\n"));
        assert!(dot.contains("  n5 [label=\"qa/app\", shape=folder];\n"));
        assert_eq!(dot.matches(" -> ").count(), g.edges.len());
        let json = serde_json::to_value(&g).unwrap();
        assert_eq!(
            json["nodes"][4]["arn"],
            "arn:aws:iam::333333333333:role/app"
        );
        assert_eq!(json["edges"].as_array().unwrap().len(), 8);
    }

    const TRUSTED: &str = r#"
        account "hub" { id = "444444444444" }
        account "qa" { id = "333333333333" }
        identity "ci" { arn = "arn:aws:iam::444444444444:user/ci" }
        identity "gh" { web_identity = "github" }
        identity "tfc" { web_identity = "terraform-cloud" }
        state {
          account = "hub"
          bucket  = "state-bucket"
          region  = "us-east-1"
          role    = "terraform-state"
        }
        role "terraform-state" {
          account     = "hub"
          external_id = "tf-state"
        }
        role "app" {
          account = "qa"
          trust {
            aws     = ["hub"]
            service = ["ec2.amazonaws.com"]
            github {
              repository    = "acme/infra"
              owner_id      = 7890
              repository_id = 123456
              environment   = "qa"
            }
            github {
              repository = "acme/infra"
              audience   = "other"
              ref        = "refs/heads/main"
            }
            github {
              repository       = "acme/infra"
              job_workflow_ref = "acme/wf/.github/workflows/deploy.yml@refs/heads/main"
            }
          }
        }
        stack "qa/app" {
          account = "qa"
          role    = "app"
          region  = "us-east-1"
        }
    "#;

    #[test]
    fn edges_are_what_the_trust_policies_admit() {
        let c = Config::from_str(TRUSTED).unwrap();
        let g = c.graph(&c.resolve(&[]).unwrap().stacks);
        // `ci` reaches the state role (no trust block: every identity with
        // an arn, external id sent), not `app`; `gh` reaches `app` with two
        // of its three subjects (the third wants another audience); the
        // HCP Terraform token and the base credentials reach nothing.
        assert_eq!(
            g.to_mermaid(),
            "flowchart LR
  n0([\"base credentials\"])
  n1([\"identity ci: arn:aws:iam::444444444444:user/ci\"])
  n2([\"identity gh: github (audience sts.amazonaws.com)\"])
  n3([\"identity tfc: terraform-cloud (TFC_WORKLOAD_IDENTITY_TOKEN)\"])
  n4[\"terraform-state @ hub\"]
  n5[\"app @ qa\"]
  n6([\"account hub (principals its policies allow)\"])
  n7([\"service ec2.amazonaws.com\"])
  n8[/\"qa/app\"/]
  n1 -->|\"assumes\"| n4
  n2 -->|\"assumes as repo:acme@7890/infra@123456:environment:qa\"| n5
  n2 -->|\"assumes as repo:acme/infra:* running acme/wf/.github/workflows/deploy.yml@refs/heads/main\"| n5
  n6 -->|\"assumes\"| n5
  n7 -->|\"assumes\"| n5
  n8 -->|\"state\"| n4
  n8 -->|\"aws\"| n5
"
        );
        let json = serde_json::to_value(&g).unwrap();
        assert_eq!(
            json["edges"][1]["conditions"],
            serde_json::json!({
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:acme@7890/infra@123456:environment:qa",
            })
        );
        assert_eq!(
            json["edges"][1]["principal"],
            "arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"
        );
        // Without the external id the state role's trust refuses `ci`.
        let bare = Config::from_str(&TRUSTED.replace("external_id = \"tf-state\"", "")).unwrap();
        let trust = bare.trust_policy("terraform-state", None, &[]).unwrap();
        let request = tfroles_policy::Request::new("sts:AssumeRole", "*");
        let ci = super::Caller::Aws("arn:aws:iam::444444444444:user/ci");
        assert!(super::trust_admits(&trust, ci, &request).unwrap());
        let trust = c.trust_policy("terraform-state", None, &[]).unwrap();
        assert!(!super::trust_admits(&trust, ci, &request).unwrap());
    }

    #[test]
    fn labels_with_quotes_are_escaped() {
        let c = Config::from_str(&CONFIG.replace("qa/app", "qa/a\\\"b")).unwrap();
        let g = c.graph(&c.resolve(&[]).unwrap().stacks);
        assert!(g.to_mermaid().contains("[/\"qa/a#quot;b\"/]"));
        assert!(g.to_dot().contains("label=\"qa/a\\\"b\""));
    }
}
