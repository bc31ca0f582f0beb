//! The findings: what the import could not carry over as written, with the
//! file and line, and the messages every step words the same way.

use std::fmt;

use super::Cx;
use super::read::NonLit;
use tfroles_core::types::InvalidValue;

/// One thing the import could not carry over as it was, or guessed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The file, relative to the imported directory, `/`-separated.
    pub file: String,
    /// The line, from 1.
    pub line: usize,
    /// What was not mapped or what will change, and what the draft does instead.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl Cx {
    pub(super) fn note(&mut self, file: &str, line: usize, message: impl Into<String>) {
        self.findings.push(Finding {
            file: file.to_owned(),
            line,
            message: message.into(),
        });
    }

    /// A literal value core's type for it rejects: core's message, what it
    /// takes and its hint, so that import and `tfroles.hcl` judge a value
    /// by one rule; the value is left out of the draft.
    pub(super) fn rejected(
        &mut self,
        file: &str,
        line: usize,
        ctx: &str,
        key: &str,
        e: &InvalidValue,
    ) {
        self.rejected_as(file, line, &format!("{ctx}: `{key}`"), e, "left out");
    }

    /// The same for `what` (the setting, as the finding names it), with
    /// what the import does instead (`then`).
    pub(super) fn rejected_as(
        &mut self,
        file: &str,
        line: usize,
        what: &str,
        e: &InvalidValue,
        then: &str,
    ) {
        let hint = e
            .hint
            .as_ref()
            .map(|h| format!("; hint: {h}"))
            .unwrap_or_default();
        self.note(
            file,
            line,
            format!(
                "{what}: {} (tfroles takes {}): {then}{hint}",
                e.message, e.allowed
            ),
        );
    }

    pub(super) fn non_literal(
        &mut self,
        file: &str,
        ctx: &str,
        key: &str,
        line: usize,
        n: &NonLit,
    ) {
        if let Some(c) = &n.cause {
            // Once per cause: the uses are listed in the one finding.
            let uses = self.causes.entry(c.clone()).or_default();
            let u = format!("{ctx} `{key}` ({file}:{line})");
            if !uses.contains(&u) {
                uses.push(u);
            }
            return;
        }
        match &n.fails {
            Some(why) => self.note(
                file,
                line,
                format!(
                    "{ctx}: `{key}` is {} (`{}`) that does not evaluate ({why}): left out",
                    n.what, n.text
                ),
            ),
            None => self.note(
                file,
                line,
                format!(
                    "{ctx}: `{key}` is {} (`{}`), not a literal value: left out",
                    n.what, n.text
                ),
            ),
        }
    }

    /// One finding per unknown cause, where it was first met, listing what
    /// depends on it.
    pub(super) fn flush_causes(&mut self) {
        let causes = std::mem::take(&mut self.causes);
        for (c, uses) in causes {
            let (file, line) = c.at.clone().unwrap_or_else(|| (String::new(), 1));
            let shown: Vec<&str> = uses.iter().take(3).map(String::as_str).collect();
            let more = uses.len().saturating_sub(3);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            self.note(
                &file,
                line,
                format!(
                    "{}: import cannot know it, so {} that depend{} on it {} left out: {}{tail}",
                    c.what,
                    if uses.len() == 1 {
                        "1 value".to_owned()
                    } else {
                        format!("{} values", uses.len())
                    },
                    if uses.len() == 1 { "s" } else { "" },
                    if uses.len() == 1 { "is" } else { "are" },
                    shown.join(", "),
                ),
            );
        }
    }

    pub(super) fn not_carried(
        &mut self,
        file: &str,
        ctx: &str,
        key: &str,
        line: usize,
        block: bool,
    ) {
        let what = if block {
            format!("the `{key}` block")
        } else {
            format!("`{key}`")
        };
        let why = match key {
            "profile" => {
                "tfroles assumes the roles itself (or, with `credentials = \"profile\"`, names profiles of its own)"
            }
            "default_tags" => {
                "tfroles does not generate it: after the handover, resources lose these default tags unless you set them another way"
            }
            "access_key" | "secret_key" | "token" => {
                "credentials do not belong in terraform files; tfroles gets them by assuming roles"
            }
            "shared_credentials_files" | "shared_credentials_file" | "shared_config_files" => {
                "tfroles does not generate it"
            }
            "endpoints"
            | "endpoint"
            | "sts_endpoint"
            | "iam_endpoint"
            | "dynamodb_endpoint"
            | "use_path_style"
            | "force_path_style"
            | "skip_credentials_validation"
            | "skip_region_validation"
            | "skip_metadata_api_check"
            | "skip_requesting_account_id"
            | "skip_s3_checksum"
            | "insecure"
                if ctx.starts_with("backend") =>
            {
                "tfroles does not generate it; pass it with `terraform init -backend-config=FILE`"
            }
            "assume_role_with_web_identity" => {
                "tfroles starts from CI tokens with an `identity` block and `tfroles credential-process` instead"
            }
            _ => "tfroles does not generate it",
        };
        self.note(
            file,
            line,
            format!("{ctx}: {what} is not carried over: {why}"),
        );
    }
}
