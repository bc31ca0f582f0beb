//! The handover: the hand-written `backend "s3"` and `provider "aws"` blocks
//! of the stacks a config covers, removed from the files they are in so
//! that `tfroles generate` can write its own (`tfroles import --handover`).
//!
//! Only those blocks' bytes go: every other byte, comment and alignment of
//! the file stays. A `terraform` block left holding nothing (no attribute,
//! block or comment) goes with its backend. Each edited file is kept beside
//! as `<name>.tfroles-orig`, and the edits are written through the same
//! staged, checked, undoable [`Plan`] as generated files: no link followed,
//! regular files only, nothing outside the config's directory, nothing
//! written when anything fails.
//!
//! What is not removed exactly is refused, with the file and line: a block
//! in an override file, a provider whose `alias` is not a literal, a file
//! that does not parse, an edit that would change anything but those
//! blocks. A provider alias the config does not generate stays, and is
//! listed. A file left with nothing but comments is removed, so that
//! a hand-written `backend.tf` or `providers.tf` makes way for the
//! generated one; one of those names left holding anything else is refused.

use std::ops::Range;

use tfroles_core::raw::{self, Block, ExprKind};
use tfroles_core::{Config, Stack, TfDir};

use crate::sync::{FileChange, ORIGINAL_SUFFIX, Plan, check_path_public, read_regular};
use crate::{Error, SIGNATURE_PREFIX};

/// One block the handover removes, or keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handed {
    /// Relative to the config's directory.
    pub file: String,
    /// The block's line, from 1.
    pub line: usize,
    /// `backend "s3"`, `provider "aws"`, `provider "aws" (alias "east")`.
    pub block: String,
}

/// What the handover does.
#[derive(Debug, Clone)]
pub struct Handover {
    /// The edited files, each kept as `<name>.tfroles-orig`: rewritten
    /// ([`crate::Change::TakeOver`]), or removed when nothing is left
    /// ([`crate::Change::SetAside`]).
    pub plan: Plan,
    /// The blocks removed.
    pub removed: Vec<Handed>,
    /// `provider "aws"` blocks whose alias the config does not generate:
    /// kept, since resources may use them.
    pub kept: Vec<Handed>,
}

/// Plans the handover of `stacks`: the blocks `generate` will write, removed
/// from the stacks' own files. Writes nothing; [`Plan::apply`] does.
///
/// # Errors
/// [`Error::Handover`] listing every block that cannot be removed exactly;
/// [`Error::Unsafe`] for a path that cannot be written safely;
/// [`Error::Io`] when a file cannot be read.
pub fn handover(config: &Config, stacks: &[Stack], dirs: &[TfDir]) -> Result<Handover, Error> {
    let mut found = Found::default();
    for stack in stacks {
        let Some(dir) = dirs.iter().find(|d| d.path == stack.path) else {
            continue;
        };
        let aliases: Vec<Option<&str>> = stack
            .providers
            .iter()
            .map(|p| p.alias.as_ref().map(|a| a.as_str()))
            .collect();
        for name in &dir.tf_files {
            found.file(config, stack, name, &aliases)?;
        }
    }
    found.into_handover(config)
}

/// What the handover found so far, file by file.
#[derive(Default)]
struct Found {
    files: Vec<FileChange>,
    removed: Vec<Handed>,
    kept: Vec<Handed>,
    /// (file, line, why) of each block that cannot be removed exactly.
    refused: Vec<(String, usize, String)>,
    /// (path, why) of each path that cannot be written safely.
    unsafe_paths: Vec<(String, String)>,
}

impl Found {
    /// Plans the handover of one of `stack`'s files: nothing for a file
    /// tfroles generated, that is not UTF-8 or that holds none of the
    /// blocks; else its edit, or why it cannot be made.
    fn file(
        &mut self,
        config: &Config,
        stack: &Stack,
        name: &str,
        aliases: &[Option<&str>],
    ) -> Result<(), Error> {
        let rel = format!("{}/{name}", stack.path);
        let Some((text, bytes)) = self.read(config, &rel)? else {
            return Ok(());
        };
        if text.starts_with(SIGNATURE_PREFIX) {
            return Ok(());
        }
        let edit = match plan_file(&text, aliases) {
            Ok(e) => e,
            Err((line, why)) => {
                self.refused.push((rel, line, why));
                return Ok(());
            }
        };
        self.kept.extend(handed(&rel, &edit.kept));
        if edit.removed.is_empty() {
            return Ok(());
        }
        if name == "override.tf" || name.ends_with("_override.tf") {
            for (line, block) in &edit.removed {
                self.refused.push((rel.clone(), *line, format!("{block} in an override file: terraform merges it into the other files; remove it by hand")));
            }
            return Ok(());
        }
        if !self.original_free(config, &format!("{rel}{ORIGINAL_SUFFIX}"))? {
            return Ok(());
        }
        let d = config.defaults();
        let generated_here = [&d.backend_file, &d.providers_file]
            .iter()
            .any(|g| g.as_str() == name);
        // Nothing left but comments (about the blocks that went) and blank
        // lines: the file goes, its original kept.
        let empty = raw::parse_body(&edit.text)
            .is_ok_and(|b| b.blocks.is_empty() && b.attributes.is_empty());
        if generated_here && !empty {
            let line = edit.removed.first().map_or(1, |r| r.0);
            self.refused.push((rel, line, format!("after the handover {name} would still hold other blocks, and generate writes {name}: move them to another file first")));
            return Ok(());
        }
        self.removed.extend(handed(&rel, &edit.removed));
        self.files.push(if empty {
            FileChange::set_aside(rel, text, bytes)
        } else {
            FileChange::take_over(rel, text, edit.text, bytes)
        });
        Ok(())
    }

    /// The text and bytes of `rel`, a regular file read without following
    /// links; `None` (noted as unsafe) for anything else, and for a file
    /// that is not UTF-8.
    fn read(&mut self, config: &Config, rel: &str) -> Result<Option<(String, Vec<u8>)>, Error> {
        match check_path_public(config.root(), rel)? {
            Ok(true) => {}
            Ok(false) => {
                self.unsafe_paths
                    .push((rel.to_owned(), "is not a regular file".into()));
                return Ok(None);
            }
            Err(p) => {
                self.unsafe_paths.push(p);
                return Ok(None);
            }
        }
        let abs = config.root().join(rel);
        let bytes = read_regular(&abs).map_err(|source| Error::Io {
            path: abs.clone(),
            source,
        })?;
        Ok(String::from_utf8(bytes.clone())
            .ok()
            .map(|text| (text, bytes)))
    }

    /// Whether the original can be kept as `kept_name`: a safe path where
    /// nothing is yet (an earlier original would be overwritten).
    fn original_free(&mut self, config: &Config, kept_name: &str) -> Result<bool, Error> {
        match check_path_public(config.root(), kept_name)? {
            Err(p) => {
                self.unsafe_paths.push(p);
                Ok(false)
            }
            Ok(_) if config.root().join(kept_name).symlink_metadata().is_ok() => {
                self.unsafe_paths.push((
                    kept_name.to_owned(),
                    "exists: an earlier original would be overwritten; move it away".into(),
                ));
                Ok(false)
            }
            Ok(_) => Ok(true),
        }
    }

    /// The handover, or every path and block that stands in its way.
    fn into_handover(mut self, config: &Config) -> Result<Handover, Error> {
        if !self.unsafe_paths.is_empty() {
            return Err(Error::Unsafe {
                problems: self.unsafe_paths,
            });
        }
        if !self.refused.is_empty() {
            self.refused.sort();
            return Err(Error::Handover {
                refused: self.refused,
            });
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Handover {
            plan: Plan {
                root: config.root().to_path_buf(),
                files: self.files,
            },
            removed: self.removed,
            kept: self.kept,
        })
    }
}

/// The blocks at `(line, block)` of file `rel`.
fn handed<'a>(rel: &'a str, blocks: &'a [(usize, String)]) -> impl Iterator<Item = Handed> + 'a {
    blocks.iter().map(move |(line, block)| Handed {
        file: rel.to_owned(),
        line: *line,
        block: block.clone(),
    })
}

#[derive(Debug)]
struct FileEdit {
    text: String,
    removed: Vec<(usize, String)>,
    kept: Vec<(usize, String)>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn is(block: &Block, ident: &str, first_label: Option<&str>) -> bool {
    block.ident == ident
        && match first_label {
            Some(l) => block.labels.len() == 1 && block.labels[0] == l,
            None => true,
        }
}

/// A block's bytes with the indentation before it and the line end after
/// it, when it stands on lines of its own.
fn whole_lines(text: &str, span: Range<usize>) -> Range<usize> {
    let before = &text[..span.start];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let start = if before[line_start..].trim().is_empty() {
        line_start
    } else {
        span.start
    };
    let after = &text[span.end..];
    let rest_of_line = after.find('\n').map_or(after.len(), |i| i + 1);
    let end = if after[..rest_of_line].trim().is_empty() {
        span.end + rest_of_line
    } else {
        span.end
    };
    start..end
}

/// Whether a `terraform` block holds anything but `except`: an
/// attribute, another block, or a comment.
fn holds_more(text: &str, b: &Block, inner: Range<usize>, except: &Range<usize>) -> bool {
    if b.body.attributes.len() + b.body.blocks.len() > 1 {
        return true;
    }
    let rest = format!(
        "{}{}",
        &text[inner.start..except.start],
        &text[except.end..inner.end]
    );
    rest.contains('#') || rest.contains("//") || rest.contains("/*")
}

/// The file's text with the backend and the generated providers removed.
fn plan_file(text: &str, aliases: &[Option<&str>]) -> Result<FileEdit, (usize, String)> {
    let body = raw::parse_body(text).map_err(|e| {
        (
            e.loc.line,
            "the file does not parse; fix it first".to_owned(),
        )
    })?;
    let mut cuts: Vec<(Range<usize>, usize, String)> = Vec::new();
    let mut kept = Vec::new();
    for b in &body.blocks {
        let Some(span) = b.span.clone() else { continue };
        let line = line_of(text, span.start);
        if is(b, "provider", Some("aws")) {
            let alias = match b.body.attributes.iter().find(|a| a.name == "alias") {
                None => None,
                Some(a) => match &a.value.kind {
                    ExprKind::Str(s) => Some(s.clone()),
                    _ => {
                        return Err((line, "`provider \"aws\"` whose `alias` is not a literal string: tfroles cannot tell which provider it is; remove it by hand".into()));
                    }
                },
            };
            let described = match &alias {
                Some(a) => format!("provider \"aws\" (alias {a:?})"),
                None => "provider \"aws\"".to_owned(),
            };
            if aliases.contains(&alias.as_deref()) {
                cuts.push((whole_lines(text, span), line, described));
            } else {
                kept.push((line, described));
            }
        } else if is(b, "terraform", None) {
            for x in &b.body.blocks {
                if !is(x, "backend", Some("s3")) {
                    continue;
                }
                let Some(xspan) = x.span.clone() else {
                    continue;
                };
                let xline = line_of(text, xspan.start);
                // The terraform block's inside: after `{`, before `}`.
                let open = text[span.clone()]
                    .find('{')
                    .map_or(span.start, |i| span.start + i + 1);
                let close = text[..span.end].rfind('}').unwrap_or(span.end);
                let range = if holds_more(text, b, open..close, &xspan) {
                    whole_lines(text, xspan)
                } else {
                    whole_lines(text, span.clone())
                };
                cuts.push((range, xline, "backend \"s3\"".to_owned()));
            }
        }
    }
    cuts.sort_by_key(|c| c.0.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (r, line, _) in &cuts {
        if r.start < at {
            return Err((*line, "overlapping blocks: remove them by hand".into()));
        }
        out.push_str(&text[at..r.start]);
        at = r.end;
    }
    out.push_str(&text[at..]);
    let removed: Vec<(usize, String)> = cuts.into_iter().map(|(_, l, d)| (l, d)).collect();
    verify(text, &out, &removed)?;
    Ok(FileEdit {
        text: out,
        removed,
        kept,
    })
}

/// The edited text parses, and its blocks are the original's less exactly
/// the removed ones (and `terraform` blocks left empty).
fn verify(before: &str, after: &str, removed: &[(usize, String)]) -> Result<(), (usize, String)> {
    let first = removed.first().map_or(1, |r| r.0);
    let refuse = |why: &str| {
        (
            first,
            format!("the edit cannot be made exactly ({why}); remove the blocks by hand"),
        )
    };
    let describe = |text: &str| -> Option<Vec<String>> {
        let body = raw::parse_body(text).ok()?;
        let mut out = Vec::new();
        for b in &body.blocks {
            if b.ident == "terraform" {
                for x in &b.body.blocks {
                    out.push(format!("terraform/{}", x.describe()));
                }
                for a in &b.body.attributes {
                    out.push(format!("terraform/{}", a.name));
                }
                continue;
            }
            let alias = b
                .body
                .attributes
                .iter()
                .find(|a| a.name == "alias")
                .map(|a| format!("{:?}", a.value.kind))
                .unwrap_or_default();
            out.push(format!("{} {alias}", b.describe()));
        }
        for a in &body.attributes {
            out.push(a.name.clone());
        }
        Some(out)
    };
    let (Some(mut was), Some(now)) = (describe(before), describe(after)) else {
        return Err(refuse("the result does not parse"));
    };
    if now.len() + removed.len() != was.len() {
        return Err(refuse("other blocks would change"));
    }
    for n in &now {
        match was.iter().position(|w| w == n) {
            Some(i) => {
                was.remove(i);
            }
            None => return Err(refuse("other blocks would change")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_blocks_go_every_other_byte_stays() {
        let text = "# keep me\nterraform {\n  required_version = \">= 1.10\" # pin\n\n  backend \"s3\" {\n    bucket = \"b\"\n  }\n}\n\nprovider \"aws\" {\n  region = \"eu-west-1\"\n}\n\nprovider   \"aws\" {\n  alias = \"other\"\n}\n\nresource \"x\" \"y\" {} # after\n";
        let e = plan_file(text, &[None]).unwrap();
        assert_eq!(
            e.text,
            "# keep me\nterraform {\n  required_version = \">= 1.10\" # pin\n\n}\n\n\nprovider   \"aws\" {\n  alias = \"other\"\n}\n\nresource \"x\" \"y\" {} # after\n"
        );
        assert_eq!(
            e.removed,
            vec![
                (5, "backend \"s3\"".to_owned()),
                (10, "provider \"aws\"".to_owned())
            ]
        );
        assert_eq!(
            e.kept,
            vec![(14, "provider \"aws\" (alias \"other\")".to_owned())]
        );
    }

    #[test]
    fn a_terraform_block_left_empty_goes_with_its_backend_unless_it_has_comments() {
        let e = plan_file("terraform {\n  backend \"s3\" {}\n}\nlocals {}\n", &[None]).unwrap();
        assert_eq!(e.text, "locals {}\n");
        let e = plan_file("terraform {\n  # why\n  backend \"s3\" {}\n}\n", &[None]).unwrap();
        assert_eq!(e.text, "terraform {\n  # why\n}\n");
    }

    #[test]
    fn what_cannot_be_told_apart_is_refused() {
        let err = plan_file("provider \"aws\" {\n  alias = var.a\n}\n", &[None]).unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("not a literal"), "{err:?}");
    }
}
