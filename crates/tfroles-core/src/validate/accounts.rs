//! `account` blocks: names for AWS account ids.

use std::collections::BTreeMap;

use super::{Fields, Known, Validator};
use crate::error::Location;
use crate::model::Account;
use crate::raw::RawBody;
use crate::types::{AccountId, AccountName};

const ATTRS: &[&str] = &["id"];

/// The `account` blocks, into `known.accounts`; the labels of those in
/// error into `known.broken_accounts`.
pub(super) fn validate(v: &mut Validator, body: &RawBody, known: &mut Known) {
    let accounts = &mut known.accounts;
    // Every account label written, valid or not, with where it was first.
    let mut account_labels: Vec<(String, Option<Location>)> = Vec::new();
    let mut account_ids: BTreeMap<String, String> = BTreeMap::new();
    for b in body.blocks.iter().filter(|b| b.ident == "account") {
        if !v.labels(None, b, 1, "NAME") {
            if let Some(l) = b.labels.first() {
                known.broken_accounts.insert(l.clone());
            }
            continue;
        }
        let desc = b.describe();
        let f = Fields {
            desc: Some(desc.clone()),
            body: &b.body,
        };
        v.schema(Some(&desc), &b.body, ATTRS, &[]);
        let name = v.label(b, &desc, b.labels[0].parse::<AccountName>());
        if f.attr("id").is_none() {
            v.missing(
                b.loc,
                &desc,
                "id",
                "the account's 12-digit id, like `id = \"123456789012\"`",
            );
        }
        let id: Option<AccountId> = v.parse(&f, "id");
        let first = account_labels.iter().find(|(l, _)| *l == b.labels[0]);
        let hint = "account names must be unique; remove or rename one";
        if v.defined_twice(b, &desc, first.map(|(_, loc)| *loc), hint) {
            continue;
        }
        account_labels.push((b.labels[0].clone(), b.loc));
        if let (Some(name), Some(id)) = (name, id) {
            if let Some(other) = account_ids.get(id.as_str()) {
                let loc = f.attr("id").map(|a| a.value.loc).unwrap_or(b.loc);
                v.push(
                    loc,
                    Some(&desc),
                    Some("id"),
                    format!("account id {id} is also the id of account `{other}`"),
                    None,
                    Some("give each AWS account one name".into()),
                );
                continue;
            }
            account_ids.insert(id.to_string(), name.to_string());
            accounts.push(Account { name, id });
        }
    }
    for (label, _) in account_labels {
        if !known.accounts.iter().any(|a| a.name.as_str() == label) {
            known.broken_accounts.insert(label);
        }
    }
}
