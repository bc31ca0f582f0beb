//! `tfroles graph`: who can become what.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
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
