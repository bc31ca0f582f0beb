//! Blocks and attributes of a `.tf` file as literal values with their lines,
//! or, for anything else, what kind of expression it is and its source text.

use tfroles_core::Location;
use tfroles_core::raw::{self, Expr, ExprKind};

use super::{Cx, L};

// ---------------------------------------------------------------------------
// Core's located tree to literal values with lines, or why not literal.

#[derive(Debug, Clone)]
pub(super) enum Lit {
    Str(String),
    Bool(bool),
    Num(Option<u64>),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
    Null,
}

/// An expression that is not a literal: what kind, and its source text.
#[derive(Debug, Clone)]
pub(super) struct NonLit {
    pub(super) what: &'static str,
    pub(super) text: String,
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) line: usize,
    pub(super) v: Result<Lit, NonLit>,
}

#[derive(Debug, Clone)]
pub(super) struct Attr {
    pub(super) key: String,
    pub(super) line: usize,
    pub(super) node: Node,
}

#[derive(Debug, Clone)]
pub(super) struct Blk {
    pub(super) ident: String,
    pub(super) labels: Vec<String>,
    pub(super) line: usize,
    pub(super) attrs: Vec<Attr>,
    pub(super) blocks: Vec<Blk>,
}

impl Blk {
    pub(super) fn describe(&self) -> String {
        let mut s = self.ident.clone();
        for l in &self.labels {
            s.push_str(&format!(" {l:?}"));
        }
        s
    }
}

/// A `.tf` file's top-level attributes and blocks, read with core's reader.
pub(super) fn parse(text: &str) -> Result<(Vec<Attr>, Vec<Blk>), raw::ParseError> {
    let body = raw::parse_body(text)?;
    Ok(convert_body(&body, text))
}

/// The line of a location; a location the parser did not give is line 1.
fn line(loc: Option<Location>) -> usize {
    loc.map_or(1, |l| l.line)
}

/// The source of an expression on one line, shortened for a message.
fn snippet(text: &str, span: Option<&std::ops::Range<usize>>) -> String {
    let raw = span
        .and_then(|r| text.get(r.clone()))
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let clean: String = raw
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if clean.chars().count() > 60 {
        format!("{}...", clean.chars().take(57).collect::<String>())
    } else {
        clean
    }
}

fn convert_body(body: &raw::Body, text: &str) -> (Vec<Attr>, Vec<Blk>) {
    let attrs = body
        .attributes
        .iter()
        .map(|a| Attr {
            key: a.name.clone(),
            line: line(a.loc),
            node: convert_expr(&a.value, text),
        })
        .collect();
    let blocks = body
        .blocks
        .iter()
        .map(|b| {
            let (attrs, blocks) = convert_body(&b.body, text);
            Blk {
                ident: b.ident.clone(),
                labels: b.labels.clone(),
                line: line(b.loc),
                attrs,
                blocks,
            }
        })
        .collect();
    (attrs, blocks)
}

fn convert_expr(expr: &Expr, text: &str) -> Node {
    let non = |what: &'static str| {
        Err(NonLit {
            what,
            text: snippet(text, expr.span.as_ref()),
        })
    };
    let v = match &expr.kind {
        ExprKind::Str(s) => Ok(Lit::Str(s.clone())),
        ExprKind::Bool(b) => Ok(Lit::Bool(*b)),
        // hcl-edit keeps whole numbers as integers (`7200.0` is 7200) and
        // writes them as digits; a negative or fractional number is no
        // count of seconds.
        ExprKind::Num(n) => Ok(Lit::Num(n.parse().ok())),
        ExprKind::Null => Ok(Lit::Null),
        ExprKind::List(items) => Ok(Lit::List(
            items.iter().map(|e| convert_expr(e, text)).collect(),
        )),
        ExprKind::Object(items) => Ok(Lit::Map(
            items
                .iter()
                .map(|item| match &item.key {
                    Some(k) => (k.clone(), convert_expr(&item.value, text)),
                    None => (
                        String::new(),
                        Node {
                            line: line(item.key_loc),
                            v: Err(NonLit {
                                what: "a computed key",
                                text: snippet(text, item.key_span.as_ref()),
                            }),
                        },
                    ),
                })
                .collect(),
        )),
        // Terraform reads `("x")` as `"x"`, so import does too.
        ExprKind::Parenthesis(inner) => return convert_expr(inner, text),
        ExprKind::Template => non("an interpolation"),
        ExprKind::Heredoc => non("a heredoc"),
        ExprKind::Reference => non("a reference"),
        ExprKind::FunctionCall => non("a function call"),
        ExprKind::Conditional => non("a conditional"),
        ExprKind::For => non("a for expression"),
        _ => non("an operation"),
    };
    Node {
        line: line(expr.loc),
        v,
    }
}

pub(super) struct ParsedFile {
    /// The file name in its directory.
    pub(super) name: String,
    /// Relative to the imported directory.
    pub(super) rel: String,
    pub(super) attrs: Vec<Attr>,
    pub(super) blocks: Vec<Blk>,
}

impl Cx {
    /// A literal string, or a finding saying why not.
    pub(super) fn string(
        &mut self,
        file: &str,
        ctx: &str,
        key: &str,
        node: &Node,
    ) -> Option<String> {
        match &node.v {
            Ok(Lit::Str(s)) => Some(s.clone()),
            Ok(other) => {
                self.note(
                    file,
                    node.line,
                    format!(
                        "{ctx}: `{key}` is {}, not a string: left out",
                        lit_kind(other)
                    ),
                );
                None
            }
            Err(n) => {
                self.non_literal(file, ctx, key, node.line, n);
                None
            }
        }
    }

    pub(super) fn parsed<T: std::str::FromStr<Err = tfroles_core::types::InvalidValue>>(
        &mut self,
        file: &str,
        ctx: &str,
        key: &str,
        node: &Node,
    ) -> Option<L<T>> {
        let s = self.string(file, ctx, key, node)?;
        match s.parse::<T>() {
            Ok(v) => Some(L { v, line: node.line }),
            Err(e) => {
                self.note(
                    file,
                    node.line,
                    format!(
                        "{ctx}: `{key}`: {} (tfroles takes {}): left out",
                        e.message, e.allowed
                    ),
                );
                None
            }
        }
    }

    pub(super) fn boolean(
        &mut self,
        file: &str,
        ctx: &str,
        key: &str,
        node: &Node,
    ) -> Option<L<bool>> {
        match &node.v {
            Ok(Lit::Bool(b)) => Some(L {
                v: *b,
                line: node.line,
            }),
            Ok(Lit::Str(s)) if s == "true" || s == "false" => Some(L {
                v: s == "true",
                line: node.line,
            }),
            Ok(other) => {
                self.note(
                    file,
                    node.line,
                    format!(
                        "{ctx}: `{key}` is {}, not a bool: left out",
                        lit_kind(other)
                    ),
                );
                None
            }
            Err(n) => {
                self.non_literal(file, ctx, key, node.line, n);
                None
            }
        }
    }
}

pub(super) fn lit_kind(l: &Lit) -> &'static str {
    match l {
        Lit::Str(_) => "a string",
        Lit::Bool(_) => "a bool",
        Lit::Num(_) => "a number",
        Lit::List(_) => "a list",
        Lit::Map(_) => "an object",
        Lit::Null => "null",
    }
}
