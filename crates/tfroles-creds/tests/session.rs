//! A Rust caller building a request from `tfroles.hcl` gets the session the
//! binary would: the delete guard on a provisioning role, a stack's own keys
//! on the state role, and no policy only when it opts out explicitly.

use pretty_assertions::assert_eq;
use tfroles_core::types::StackPath;
use tfroles_core::{Config, SessionFor};
use tfroles_creds::SessionRequest;

const CONFIG: &str = r#"
defaults {
  region = "us-east-1"
}
account "shared" {
  id = "111111111111"
}
account "qa" {
  id = "333333333333"
}
state {
  account = "shared"
  bucket  = "acme-terraform-state"
  role    = "terraform-state"
}
role "terraform-state" {
  account = "shared"
}
role "hub" {
  account = "shared"
}
role "app" {
  account  = "qa"
  via      = "hub"
  services = ["sqs"]
}
stack "qa/api" {
  account = "qa"
  role    = "app"
}
"#;

#[test]
fn requests_from_the_config_carry_the_session_policy_by_default() {
    let config = Config::from_str(CONFIG).unwrap();

    let guarded = config.decide_session(&SessionFor::role("app")).unwrap();
    let request = SessionRequest::from(&guarded);
    let guard = config
        .session_policy("app", None, None, false)
        .unwrap()
        .expect("sqs deletes, so the session is guarded");
    assert_eq!(
        request.policy.as_deref(),
        Some(guard.to_json_compact().as_str())
    );
    assert!(guard.to_json_compact().contains("sqs:Delete"));
    // Only the last hop is narrowed; the hub's session only assumes `app`.
    assert_eq!(
        request
            .via
            .as_ref()
            .map(|v| (v.role_arn.as_str(), v.policy.clone())),
        Some(("arn:aws:iam::111111111111:role/hub", None))
    );

    // Opting out is explicit.
    let open = config
        .decide_session(&SessionFor::role("app").allow_delete(true))
        .unwrap();
    assert_eq!(SessionRequest::from(&open).policy, None);

    // The state role for one stack: that stack's keys only.
    let path: StackPath = "qa/api".parse().unwrap();
    let stacks = config.resolve(std::slice::from_ref(&path)).unwrap().stacks;
    let backend = config
        .decide_session(&SessionFor::role("terraform-state").stack(&stacks[0]))
        .unwrap();
    let policy = SessionRequest::from(&backend).policy.unwrap();
    assert!(
        policy.contains("arn:aws:s3:::acme-terraform-state/qa/api/terraform.tfstate\""),
        "{policy}"
    );
    assert_eq!(
        Some(policy),
        config
            .state_session_policy(&stacks[0])
            .unwrap()
            .map(|p| p.to_json_compact())
    );

    // A stack is refused for any other role, as `--stack` is by the binary.
    let e = config
        .decide_session(&SessionFor::role("app").stack(&stacks[0]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("a stack applies to the state role"), "{e}");
}
