//! A writer for the small subset of HCL tfroles generates, laid out exactly
//! as `terraform fmt` (hclwrite's formatter) would lay it out.
//!
//! hcl-rs escapes strings; the layout is ours because hcl-rs's formatter
//! does not align `=` the way hclwrite does. The rules, from hclwrite's
//! `format.go`: two spaces of indent per level; consecutive lines of the form
//! `name = value` whose value closes every bracket it opens form a run whose
//! `=` signs sit one space after the longest name; any
//! other line (blank, block header, closing brace, `name = {` opening a
//! multi-line value) ends the run. Width is counted in grapheme clusters.

/// A value.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A quoted string, escaped on output.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// A one-line list: `["a", "b"]`.
    List(Vec<Expr>),
    /// A multi-line object, one `key = value` per line; `{}` when empty.
    Object(Vec<(String, Expr)>),
    /// A whole number: `3600`.
    Number(u64),
    /// A reference, written as given: `aws.shared`, `aws_iam_role.x.name`.
    /// Only identifiers joined by dots.
    Ref(String),
    /// A multi-line list, one item per line with a trailing comma (objects
    /// laid out over several lines); `[]` when empty.
    Tuple(Vec<Expr>),
    /// A traversal written as given: references, `[...]` indexes with
    /// quoted keys (`local.x["aws.edge"].region`), `terraform.workspace`.
    /// Built by the generator from identifiers and [`quote`]d strings only.
    Traversal(String),
    /// A flush heredoc (`<<-EOT`) holding this text, each line indented one
    /// level deeper than the attribute, the closing marker at the
    /// attribute's own indent. HCL strips the smallest indent of the lines,
    /// so the text reads back exactly, plus a final newline, when one of its
    /// lines starts without blanks (JSON's first line does). Template
    /// markers are escaped as in [`quote`]. Only as an attribute's value,
    /// not inside a list.
    Heredoc(String),
}

/// One line-level element of a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `name = value`.
    Attr(String, Expr),
    /// `ident "label" { ... }`.
    Block(Block),
    /// An empty line.
    Blank,
    /// `# text`, one line: it ends a run of aligned attributes, as in
    /// `terraform fmt`.
    Comment(String),
}

/// A block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// `terraform`, `backend`, `provider`, ...
    pub ident: String,
    /// Labels, quoted on output.
    pub labels: Vec<String>,
    /// The body.
    pub items: Vec<Item>,
}

impl Block {
    /// A block with no items yet.
    pub fn new(ident: &str, labels: &[&str]) -> Self {
        Block {
            ident: ident.to_owned(),
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
            items: Vec::new(),
        }
    }

    /// Appends `name = value`.
    pub fn attr(&mut self, name: &str, value: Expr) -> &mut Self {
        self.items.push(Item::Attr(name.to_owned(), value));
        self
    }

    /// Appends a nested block.
    pub fn block(&mut self, block: Block) -> &mut Self {
        self.items.push(Item::Block(block));
        self
    }

    /// Appends an empty line.
    pub fn blank(&mut self) -> &mut Self {
        self.items.push(Item::Blank);
        self
    }
}

/// A string literal, quoted and escaped so that terraform reads back `s`
/// exactly: quotes, backslashes and control characters escaped, every `${`
/// and `%{` written `$${` and `%%{`, and the text in Unicode NFC, since HCL
/// normalises string literals to NFC when it reads them.
///
/// hcl-rs has an escaper, but it takes a `$${` already in the input for an
/// escape and leaves it alone, so `${a}$${b}` would read back as `${a}${b}`.
/// The rule here has no such case: each `${` gains one `$`, whatever precedes it.
pub fn quote(s: &str) -> String {
    use std::fmt::Write;
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.nfc().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The body of a heredoc: every `${` and `%{` written `$${` and `%%{`
/// (heredocs are templates too; backslashes mean themselves there), the
/// text in NFC as HCL reads it, each line indented by `indent`.
fn heredoc_lines(text: &str, indent: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let text: String = text.nfc().collect();
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(indent);
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if matches!(c, '$' | '%') && chars.peek() == Some(&'{') {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// A heredoc marker that no line of `text` could be taken for.
fn heredoc_marker(text: &str) -> String {
    let mut marker = "EOT".to_owned();
    let mut n = 0;
    while text.lines().any(|l| l.trim() == marker) {
        n += 1;
        marker = format!("EOT{n}");
    }
    marker
}

/// An object key: bare when it is an identifier, else a quoted string.
fn key(k: &str) -> String {
    let ident = k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident { k.to_owned() } else { quote(k) }
}

/// How wide terraform fmt considers a name: hclwrite sums, token by token,
/// the grapheme clusters of each token's text, so a quoted key counts its
/// two quotes apart from the text between them.
fn width(name: &str) -> usize {
    use unicode_segmentation::UnicodeSegmentation;
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) if name.len() >= 2 => 2 + inner.graphemes(true).count(),
        _ => name.graphemes(true).count(),
    }
}

fn is_single_line(e: &Expr) -> bool {
    match e {
        Expr::Object(items) => items.is_empty(),
        Expr::Tuple(items) => items.is_empty(),
        _ => true,
    }
}

/// The value as written after `= `; `indent` is the attribute's, which a
/// heredoc's lines are indented from.
fn inline(e: &Expr, indent: &str) -> String {
    match e {
        Expr::Str(s) => quote(s),
        Expr::Bool(b) => b.to_string(),
        Expr::Number(n) => n.to_string(),
        Expr::Ref(r) => {
            debug_assert!(
                !r.is_empty()
                    && r.split('.').all(|p| {
                        p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                            && p.chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    }),
                "not a reference: {r}"
            );
            r.clone()
        }
        Expr::Heredoc(text) => {
            // A heredoc is one line to hclwrite's aligner: its newlines are
            // inside the string token, so the `=` run goes on after `EOT`.
            let marker = heredoc_marker(text);
            let lines = heredoc_lines(text, &format!("{indent}  "));
            format!("<<-{marker}\n{lines}{indent}{marker}")
        }
        Expr::List(items) => {
            debug_assert!(
                !items.iter().any(|i| matches!(i, Expr::Heredoc(_))),
                "heredocs only as attribute values"
            );
            let parts: Vec<String> = items.iter().map(|i| inline(i, indent)).collect();
            format!("[{}]", parts.join(", "))
        }
        Expr::Object(items) => {
            debug_assert!(items.is_empty(), "non-empty objects are written multi-line");
            "{}".to_owned()
        }
        Expr::Tuple(items) => {
            debug_assert!(items.is_empty(), "non-empty tuples are written multi-line");
            "[]".to_owned()
        }
        Expr::Traversal(t) => {
            debug_assert!(
                !t.is_empty() && !t.contains('\n') && !t.contains(' '),
                "not a traversal: {t}"
            );
            t.clone()
        }
    }
}

/// Renders a sequence of top-level items (a file's body).
pub fn render(items: &[Item]) -> String {
    let mut out = String::new();
    body(&mut out, items.iter().map(ItemRef::from).collect(), 0);
    out
}

/// Items and object entries share the layout rules; this lets one function
/// lay out both.
enum ItemRef<'a> {
    Attr(String, &'a Expr),
    Block(&'a Block),
    Blank,
    Comment(&'a str),
}

impl<'a> From<&'a Item> for ItemRef<'a> {
    fn from(item: &'a Item) -> Self {
        match item {
            Item::Attr(n, e) => ItemRef::Attr(n.clone(), e),
            Item::Block(b) => ItemRef::Block(b),
            Item::Blank => ItemRef::Blank,
            Item::Comment(c) => ItemRef::Comment(c),
        }
    }
}

fn body(out: &mut String, items: Vec<ItemRef>, level: usize) {
    let indent = "  ".repeat(level);
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            ItemRef::Attr(_, e) if is_single_line(e) => {
                let end = items[i..]
                    .iter()
                    .position(|it| !matches!(it, ItemRef::Attr(_, e) if is_single_line(e)))
                    .map_or(items.len(), |p| i + p);
                aligned(out, &items[i..end], &indent);
                i = end;
                continue;
            }
            ItemRef::Attr(n, Expr::Object(entries)) => {
                out.push_str(&format!("{indent}{n} = {{\n"));
                body(out, entry_items(entries), level + 1);
                out.push_str(&format!("{indent}}}\n"));
            }
            ItemRef::Attr(n, Expr::Tuple(elements)) => tuple(out, n, elements, level),
            ItemRef::Attr(..) => unreachable!("single-line values are handled above"),
            ItemRef::Comment(c) => {
                debug_assert!(!c.contains('\n'), "one line");
                out.push_str(&format!("{indent}# {c}\n"));
            }
            ItemRef::Block(b) => {
                out.push_str(&indent);
                out.push_str(&b.ident);
                for l in &b.labels {
                    out.push(' ');
                    out.push_str(&quote(l));
                }
                out.push_str(" {\n");
                body(out, b.items.iter().map(ItemRef::from).collect(), level + 1);
                out.push_str(&format!("{indent}}}\n"));
            }
            ItemRef::Blank => out.push('\n'),
        }
        i += 1;
    }
}

/// A run of single-line attributes, their `=` aligned as `terraform fmt`
/// aligns them.
fn aligned(out: &mut String, run: &[ItemRef], indent: &str) {
    let widest = run
        .iter()
        .map(|it| match it {
            ItemRef::Attr(n, _) => width(n),
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    for it in run {
        if let ItemRef::Attr(n, e) = it {
            let pad = widest - width(n) + 1;
            out.push_str(&format!(
                "{indent}{n}{}= {}\n",
                " ".repeat(pad),
                inline(e, indent)
            ));
        }
    }
}

/// A tuple attribute over several lines: objects as nested bodies, other
/// values inline, each element followed by a comma.
fn tuple(out: &mut String, n: &str, elements: &[Expr], level: usize) {
    let indent = "  ".repeat(level);
    out.push_str(&format!("{indent}{n} = [\n"));
    let inner = "  ".repeat(level + 1);
    for e in elements {
        match e {
            Expr::Object(entries) if !entries.is_empty() => {
                out.push_str(&format!("{inner}{{\n"));
                body(out, entry_items(entries), level + 2);
                out.push_str(&format!("{inner}}},\n"));
            }
            e => out.push_str(&format!("{inner}{},\n", inline(e, &inner))),
        }
    }
    out.push_str(&format!("{indent}]\n"));
}

/// An object's entries as the attributes of a body.
fn entry_items(entries: &[(String, Expr)]) -> Vec<ItemRef<'_>> {
    entries
        .iter()
        .map(|(k, v)| ItemRef::Attr(key(k), v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;
    use pretty_assertions::assert_eq;

    fn s(v: &str) -> Expr {
        Expr::Str(v.to_owned())
    }

    #[test]
    fn aligns_runs_and_breaks_them_at_multiline_values_and_blocks() {
        let mut inner = Block::new("assume_role", &[]);
        inner
            .attr("role_arn", s("arn"))
            .attr("duration", s("1h"))
            .attr(
                "tags",
                Expr::Object(vec![
                    ("team".into(), s("api")),
                    ("cost:center".into(), s("7")),
                ]),
            )
            .attr("session_name", s("x"));
        let mut p = Block::new("provider", &["aws"]);
        p.attr("region", s("us-east-1"))
            .attr("allowed_account_ids", Expr::List(vec![s("1"), s("2")]))
            .blank()
            .block(inner)
            .attr("x", Expr::Bool(true));
        assert_eq!(
            render(&[Item::Block(p)]),
            indoc! {r#"
                provider "aws" {
                  region              = "us-east-1"
                  allowed_account_ids = ["1", "2"]

                  assume_role {
                    role_arn = "arn"
                    duration = "1h"
                    tags = {
                      team          = "api"
                      "cost:center" = "7"
                    }
                    session_name = "x"
                  }
                  x = true
                }
            "#}
        );
    }

    #[test]
    fn heredocs_numbers_and_references_stay_in_the_run() {
        let mut r = Block::new("resource", &["aws_iam_role", "x"]);
        r.attr("provider", Expr::Ref("aws.shared".into()))
            .attr("name", s("x"))
            .attr(
                "assume_role_policy",
                Expr::Heredoc("{\n  \"a\": \"${aws:username} %{x} \\\"\"\n}".into()),
            )
            .attr("max_session_duration", Expr::Number(3600))
            .attr(
                "depends_on",
                Expr::List(vec![Expr::Ref("aws_iam_role.y".into())]),
            );
        assert_eq!(
            render(&[Item::Block(r)]),
            indoc! {r#"
                resource "aws_iam_role" "x" {
                  provider             = aws.shared
                  name                 = "x"
                  assume_role_policy   = <<-EOT
                    {
                      "a": "$${aws:username} %%{x} \""
                    }
                  EOT
                  max_session_duration = 3600
                  depends_on           = [aws_iam_role.y]
                }
            "#}
        );
    }

    #[test]
    fn heredoc_marker_avoids_lines_of_the_text() {
        let mut b = Block::new("x", &[]);
        b.attr("t", Expr::Heredoc("a\nEOT\n  EOT1\nb".into()));
        assert_eq!(
            render(&[Item::Block(b)]),
            "x {\n  t = <<-EOT2\n    a\n    EOT\n      EOT1\n    b\n  EOT2\n}\n"
        );
    }

    #[test]
    fn width_counts_grapheme_clusters_like_hclwrite() {
        // `ড` + nukta is two characters and one cluster; terraform fmt
        // aligns it like any one-column key.
        let mut b = Block::new("x", &[]);
        b.attr(
            "tags",
            Expr::Object(vec![
                ("\u{9a1}\u{9bc}".into(), s("1")),
                ("\u{10740}".into(), s("2")),
            ]),
        );
        assert_eq!(
            render(&[Item::Block(b)]),
            "x {\n  tags = {\n    \"\u{9a1}\u{9bc}\" = \"1\"\n    \"\u{10740}\" = \"2\"\n  }\n}\n"
        );
    }

    #[test]
    fn width_counts_characters_not_bytes() {
        let mut b = Block::new("x", &[]);
        b.attr(
            "tags",
            Expr::Object(vec![("é".into(), s("1")), ("ab".into(), s("2"))]),
        );
        assert_eq!(
            render(&[Item::Block(b)]),
            "x {\n  tags = {\n    \"é\" = \"1\"\n    ab  = \"2\"\n  }\n}\n"
        );
    }

    #[test]
    fn quotes_escape_template_markers_and_specials() {
        assert_eq!(quote("a${b}%{c}"), r#""a$${b}%%{c}""#);
        assert_eq!(quote("q\"\\\n\t"), r#""q\"\\\n\t""#);
        assert_eq!(quote("é"), "\"é\"");
        assert_eq!(quote("${a}$${b}"), r#""$${a}$$${b}""#);
        assert_eq!(quote("e\u{301}\u{1}"), "\"\u{e9}\\u0001\"");
    }
}
