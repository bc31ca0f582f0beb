//! The `defaults` block: what every other block inherits.

use super::{Fields, Known, Validator};
use crate::model::Defaults;
use crate::raw::RawBody;
use crate::types::{CredentialsMode, Duration, Partition};

pub(super) const ATTRS: &[&str] = &[
    "region",
    "session_name",
    "duration",
    "credentials",
    "backend_file",
    "providers_file",
    "partition",
    "default_tags",
];
/// The `defaults` block, with tfroles' defaults for what it leaves out.
pub(super) fn validate(v: &mut Validator, body: &RawBody, known: &mut Known) -> Defaults {
    let mut defaults = Defaults {
        region: None,
        session_name: "tfroles".parse().expect("valid"),
        duration: Duration::ONE_HOUR,
        credentials: CredentialsMode::default(),
        backend_file: "backend.tf".parse().expect("valid"),
        providers_file: "providers.tf".parse().expect("valid"),
        partition: Partition::default(),
        default_tags: Default::default(),
    };
    if let Some(b) = v.at_most_one(None, body, "defaults", "merge them into one")
        && v.labels(None, b, 0, "")
    {
        let f = Fields {
            desc: Some(b.describe()),
            body: &b.body,
        };
        v.schema(f.desc.as_deref(), &b.body, ATTRS, &[]);
        defaults.region = v.parse(&f, "region");
        if let Some(x) = v.parse(&f, "session_name") {
            defaults.session_name = x;
        }
        if let Some(x) = v.parse(&f, "duration") {
            defaults.duration = x;
        }
        if let Some(x) = v.parse(&f, "credentials") {
            defaults.credentials = x;
        }
        if let Some(x) = v.parse(&f, "backend_file") {
            defaults.backend_file = x;
        }
        if let Some(x) = v.parse(&f, "providers_file") {
            defaults.providers_file = x;
        }
        if let Some(x) = v.parse(&f, "partition") {
            defaults.partition = x;
        }
        defaults.default_tags = v.default_tags(&f, b.loc);
        if defaults.backend_file == defaults.providers_file {
            // Name the attribute that was set (the other is its default).
            let (attr, other) = if f.attr("providers_file").is_some() {
                ("providers_file", "backend_file")
            } else {
                ("backend_file", "providers_file")
            };
            let loc = f.attr(attr).map(|a| a.value.loc).unwrap_or(b.loc);
            v.push(
                loc,
                Some("defaults"),
                Some(attr),
                format!("is the same file as `{other}` ({})", defaults.backend_file),
                Some("two different file names".into()),
                None,
            );
        }
    }
    known.defaults_region = body
        .blocks
        .iter()
        .filter(|b| b.ident == "defaults")
        .any(|b| b.body.attrs.iter().any(|a| a.name.value == "region"));
    defaults
}
