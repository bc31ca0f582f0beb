//! Who can become what: base identities, the roles they may assume (and the
//! roles assumed `via` others), and the stacks that use each role for
//! state and for each provider. Plain data, rendered as Mermaid, Graphviz
//! dot or JSON.

use std::fmt::Write;

use tfroles_policy::{PolicyDocument, Principal, Request, Resources, evaluate};

use crate::config::{Config, RoleSession};
use crate::stacks::Stack;

/// Who asks to assume a role, as a trust policy's `Principal` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// An IAM user or role, by ARN.
    Aws(&'a str),
    /// A web identity, by the ARN of the OIDC provider that issued its token.
    Federated(&'a str),
}

impl Caller<'_> {
    /// Whether a statement's `Principal` names this caller: its ARN, or for
    /// an IAM principal the root of its account (which delegates to that
    /// account's own policies).
    fn named_by(&self, principal: &Principal) -> bool {
        let Principal::Ids { aws, federated, .. } = principal else {
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
    /// The role's ARN, for role nodes.
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
    /// `assumes`, `via`, `state`, `aws`, `aws.ALIAS`.
    pub label: String,
}

/// The whole graph.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Graph {
    /// Nodes, in a stable order: sources, roles, stacks.
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
        let e = Edge {
            from: from.to_owned(),
            to: to.to_owned(),
            label: label.to_owned(),
        };
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
                NodeKind::BaseCredentials | NodeKind::Identity => {
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
                NodeKind::BaseCredentials | NodeKind::Identity => "ellipse",
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

impl Config {
    /// The graph of this config for the given stacks (from [`Config::resolve`]).
    ///
    /// Base credentials and every identity may assume every role that is
    /// not reached `via` another; a role with `via` is assumed with its
    /// `via` role's session. (Trust policies, where they are generated,
    /// narrow who may assume what further.)
    pub fn graph(&self, stacks: &[Stack]) -> Graph {
        let mut g = Graph {
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        let mut sources = vec![g.node(NodeKind::BaseCredentials, "base credentials".into(), None)];
        for i in &self.identities {
            sources.push(g.node(
                NodeKind::Identity,
                format!(
                    "identity {}: {}",
                    i.name,
                    match (&i.source, &i.arn) {
                        (Some(source), _) => source.describe(),
                        (None, Some(arn)) => arn.clone(),
                        (None, None) => String::new(),
                    }
                ),
                None,
            ));
        }
        let sessions = self.role_sessions();
        for s in &sessions {
            g.node(NodeKind::Role, role_label(s), Some(s.arn.to_string()));
        }
        for s in &sessions {
            let to = g.node(NodeKind::Role, role_label(s), Some(s.arn.to_string()));
            match &s.via {
                Some(via) => {
                    let from = g.node(NodeKind::Role, role_label(via), Some(via.arn.to_string()));
                    g.edge(&from, &to, "via");
                }
                None => {
                    for src in &sources {
                        g.edge(src, &to, "assumes");
                    }
                }
            }
        }
        let state = self.state_session();
        for st in stacks {
            let node = g.node(NodeKind::Stack, st.path.to_string(), None);
            let role = g.node(
                NodeKind::Role,
                role_label(&state),
                Some(state.arn.to_string()),
            );
            g.edge(&node, &role, "state");
            for p in &st.providers {
                let role = g.node(
                    NodeKind::Role,
                    role_label(&p.session),
                    Some(p.session.arn.to_string()),
                );
                let label = p
                    .alias
                    .as_ref()
                    .map_or_else(|| "aws".to_owned(), |a| format!("aws.{a}"));
                g.edge(&node, &role, &label);
            }
        }
        g
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
  n0 -->|\"assumes\"| n2
  n1 -->|\"assumes\"| n2
  n0 -->|\"assumes\"| n3
  n1 -->|\"assumes\"| n3
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

    #[test]
    fn labels_with_quotes_are_escaped() {
        let c = Config::from_str(&CONFIG.replace("qa/app", "qa/a\\\"b")).unwrap();
        let g = c.graph(&c.resolve(&[]).unwrap().stacks);
        assert!(g.to_mermaid().contains("[/\"qa/a#quot;b\"/]"));
        assert!(g.to_dot().contains("label=\"qa/a\\\"b\""));
    }
}
