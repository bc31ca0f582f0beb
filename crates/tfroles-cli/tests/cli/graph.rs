//! `tfroles graph`: who can become what.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tfroles_core::graph::{Caller, trust_admits};
use tfroles_core::{Config, WebIdentitySource};
use tfroles_policy::Request;
use tfroles_testsupport::workspace_root;

fn graph(dir: &Path, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tfroles"))
        .current_dir(dir)
        .args(["graph", "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn example() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = workspace_root().join("fixtures/example/input");
    let mut pending = vec![src.clone()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let dest = tmp.path().join(e.path().strip_prefix(&src).unwrap());
            if e.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
                pending.push(e.path());
            } else {
                std::fs::copy(e.path(), dest).unwrap();
            }
        }
    }
    tmp
}

#[test]
fn the_documented_graph_is_what_tfroles_prints_for_the_example() {
    let r = example();
    let mermaid = graph(r.path(), "mermaid");
    let doc = std::fs::read_to_string(workspace_root().join("docs/graph.md")).unwrap();
    let block = doc
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/graph.md has a mermaid block");
    assert_eq!(
        block, mermaid,
        "docs/graph.md is out of date: paste `tfroles graph` of fixtures/example/input"
    );
    let trusted = doc
        .split("```mermaid\n")
        .nth(2)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/graph.md has a second mermaid block");
    assert_eq!(
        trusted,
        graph(
            &workspace_root().join("fixtures/least-privilege/input"),
            "mermaid"
        ),
        "docs/graph.md is out of date: paste `tfroles graph` of fixtures/least-privilege/input"
    );
    for edge in [
        "-->|\"state\"|",
        "-->|\"aws.dns\"|",
        "[/\"production/public-api\"/]",
        "[\"dns-provisioning @ shared\"]",
    ] {
        assert!(mermaid.contains(edge), "{edge} in\n{mermaid}");
    }
}

#[test]
fn json_and_dot_describe_the_same_edges() {
    let r = example();
    let json: Value = serde_json::from_str(&graph(r.path(), "json")).unwrap();
    let dot = graph(r.path(), "dot");
    let edges = json["edges"].as_array().unwrap();
    assert_eq!(dot.matches(" -> ").count(), edges.len());
    // Three stacks, each with a state edge to the one state role.
    let state: Vec<&Value> = edges.iter().filter(|e| e["label"] == "state").collect();
    assert_eq!(state.len(), 3);
    let role = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == state[0]["to"])
        .unwrap();
    assert_eq!(
        role["arn"],
        "arn:aws:iam::111111111111:role/terraform-state"
    );
}

/// The role instance a role node stands for, by its ARN.
fn session_of<'c>(
    sessions: &'c [tfroles_core::RoleSession],
    arn: &str,
) -> &'c tfroles_core::RoleSession {
    sessions
        .iter()
        .find(|s| s.arn.as_str() == arn)
        .unwrap_or_else(|| panic!("no role {arn}"))
}

/// What tfroles sends when it assumes the role: its external id, and an MFA
/// code where it requires one.
fn assume_request(s: &tfroles_core::RoleSession) -> Request {
    let mut r = Request::new("sts:AssumeRole", "*");
    if let Some(x) = &s.external_id {
        r = r.with_context("sts:ExternalId", [x.as_str()]);
    }
    if s.mfa_serial.is_some() {
        r = r.with_context("aws:MultiFactorAuthPresent", ["true"]);
    }
    r
}

fn caller(principal: &str) -> Caller<'_> {
    if principal.contains(":oidc-provider/") {
        Caller::Federated(principal)
    } else if principal.starts_with("arn:") || principal.bytes().all(|c| c.is_ascii_digit()) {
        Caller::Aws(principal)
    } else {
        Caller::Service(principal)
    }
}

/// Whether the config has an identity whose token may come from this
/// issuer with this audience.
fn token_source(config: &Config, host: &str, audience: &str) -> bool {
    config.identities().iter().any(|i| match i.source() {
        Some(WebIdentitySource::GitHub { audience: a }) => {
            host == tfroles_core::GitHubTrust::HOST && a == audience
        }
        Some(WebIdentitySource::TerraformCloud) => host != tfroles_core::GitHubTrust::HOST,
        Some(_) => true,
        None => false,
    })
}

#[test]
fn every_edge_is_admitted_by_the_trust_policy_and_every_admitted_principal_has_an_edge() {
    let mut with_trust = 0;
    for entry in std::fs::read_dir(workspace_root().join("fixtures")).unwrap() {
        let input = entry.unwrap().path().join("input");
        let file = input.join("tfroles.hcl");
        if !file.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        if text.contains("trust {") {
            with_trust += 1;
        }
        let config = Config::from_path(&file)
            .and_then(Config::with_module_roles)
            .unwrap();
        let json: Value = serde_json::from_str(&graph(&input, "json")).unwrap();
        let dirs: Vec<_> = tfroles_core::discover(config.root())
            .unwrap()
            .into_iter()
            .map(|d| d.path)
            .collect();
        let stacks = config.resolve(&dirs).unwrap().stacks;
        let sessions = config.role_sessions();
        let nodes = json["nodes"].as_array().unwrap();
        let kind_of = |id: &Value| {
            nodes.iter().find(|n| &n["id"] == id).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let edges: Vec<&Value> = json["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| kind_of(&e["to"]) == "role" && kind_of(&e["from"]) != "stack")
            .collect();
        let case = input.display();
        // Every edge: the trust policy admits its principal with its claims.
        for e in &edges {
            let role = nodes.iter().find(|n| n["id"] == e["to"]).unwrap();
            let s = session_of(&sessions, role["arn"].as_str().unwrap());
            let trust = config.trust_policy(s.role.as_str(), Some(s.account.as_str()), &stacks);
            if e["label"] == "assumes (trust not generated)" {
                assert!(trust.is_err(), "{case}: {e}");
                continue;
            }
            let trust = trust.unwrap();
            let principal = e["principal"].as_str().expect("evaluated edges name it");
            let request = match e["conditions"].as_object() {
                Some(claims) => {
                    let mut r = Request::new("sts:AssumeRoleWithWebIdentity", "*");
                    for (k, v) in claims {
                        r = r.with_context(k.clone(), [v.as_str().unwrap()]);
                    }
                    r
                }
                None => assume_request(s),
            };
            assert!(
                trust_admits(&trust, caller(principal), &request).unwrap(),
                "{case}: {e} is not admitted by\n{}",
                trust.to_json_pretty()
            );
        }
        // Every principal a trust policy names, with the claims it names,
        // has an edge (web identities: when an identity can carry them).
        for s in &sessions {
            let Ok(trust) = config.trust_policy(s.role.as_str(), Some(s.account.as_str()), &stacks)
            else {
                continue;
            };
            let into: Vec<&&Value> = edges
                .iter()
                .filter(|e| {
                    let role = nodes.iter().find(|n| n["id"] == e["to"]).unwrap();
                    role["arn"] == s.arn.as_str()
                })
                .collect();
            let doc: Value = serde_json::from_str(&trust.to_json_compact()).unwrap();
            for st in doc["Statement"].as_array().unwrap() {
                let one_or_many = |v: &Value| -> Vec<String> {
                    match v {
                        Value::String(x) => vec![x.clone()],
                        Value::Array(xs) => {
                            xs.iter().map(|x| x.as_str().unwrap().to_owned()).collect()
                        }
                        _ => vec![],
                    }
                };
                let principal = &st["Principal"];
                if st["Action"] == "sts:AssumeRole" {
                    for p in one_or_many(&principal["AWS"])
                        .into_iter()
                        .chain(one_or_many(&principal["Service"]))
                    {
                        assert!(
                            into.iter().any(|e| e["principal"] == p.as_str()),
                            "{case}: {} trusts {p}, but the graph has no edge for it",
                            s.arn
                        );
                    }
                }
                if st["Action"] == "sts:AssumeRoleWithWebIdentity" {
                    let provider = one_or_many(&principal["Federated"]).remove(0);
                    let host = provider.split_once("oidc-provider/").unwrap().1.to_owned();
                    let cond = &st["Condition"];
                    let values = |key: &str| -> Vec<String> {
                        ["StringEquals", "StringLike"]
                            .iter()
                            .flat_map(|op| one_or_many(&cond[op][key]))
                            .collect()
                    };
                    let audience = values(&format!("{host}:aud")).remove(0);
                    if !token_source(&config, &host, &audience) {
                        continue;
                    }
                    let workflow = values(&format!("{host}:job_workflow_ref")).pop();
                    for sub in values(&format!("{host}:sub")) {
                        assert!(
                            into.iter().any(|e| {
                                e["principal"] == provider.as_str()
                                    && e["conditions"][format!("{host}:sub")] == sub.as_str()
                                    && e["conditions"][format!("{host}:aud")] == audience.as_str()
                                    && e["conditions"]
                                        .get(format!("{host}:job_workflow_ref"))
                                        .and_then(Value::as_str)
                                        == workflow.as_deref()
                            }),
                            "{case}: {} admits {sub} from {provider}, but the graph has no edge for it",
                            s.arn
                        );
                    }
                }
            }
        }
    }
    assert!(with_trust >= 2, "fixtures with trust blocks: {with_trust}");
}
