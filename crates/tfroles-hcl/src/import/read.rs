//! Blocks and attributes of a `.tf` file as literal values with their lines,
//! or, for anything else, what kind of expression it is and its source text.

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Body, Structure};

use super::{Cx, L};

// ---------------------------------------------------------------------------
// Parsing: hcl-edit's tree to literal values with lines, or why not literal.

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

pub(super) struct Src<'a> {
    pub(super) text: &'a str,
    pub(super) starts: Vec<usize>,
}

impl<'a> Src<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Src { text, starts }
    }

    pub(super) fn line_at(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    pub(super) fn line(&self, span: Option<std::ops::Range<usize>>) -> usize {
        span.map_or(1, |r| self.line_at(r.start))
    }

    /// The source of an expression on one line, shortened for a message.
    pub(super) fn snippet(&self, span: Option<std::ops::Range<usize>>) -> String {
        let raw = span
            .and_then(|r| self.text.get(r))
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
}

pub(super) fn convert_body(body: &Body, src: &Src) -> (Vec<Attr>, Vec<Blk>) {
    let mut attrs = Vec::new();
    let mut blocks = Vec::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => attrs.push(Attr {
                key: a.key.as_str().to_owned(),
                line: src.line(a.key.span()),
                node: convert_expr(&a.value, src),
            }),
            Structure::Block(b) => {
                let (a, bl) = convert_body(&b.body, src);
                blocks.push(Blk {
                    ident: b.ident.as_str().to_owned(),
                    labels: b.labels.iter().map(|l| l.as_str().to_owned()).collect(),
                    line: src.line(b.ident.span()),
                    attrs: a,
                    blocks: bl,
                });
            }
        }
    }
    (attrs, blocks)
}

pub(super) fn convert_expr(expr: &Expression, src: &Src) -> Node {
    let line = src.line(expr.span());
    let non = |what: &'static str| {
        Err(NonLit {
            what,
            text: src.snippet(expr.span()),
        })
    };
    let v = match expr {
        Expression::String(s) => Ok(Lit::Str(s.as_str().to_owned())),
        Expression::Bool(b) => Ok(Lit::Bool(*b.value())),
        Expression::Number(n) => Ok(Lit::Num(n.value().as_u64())),
        Expression::Null(_) => Ok(Lit::Null),
        Expression::Array(items) => Ok(Lit::List(
            items.iter().map(|e| convert_expr(e, src)).collect(),
        )),
        Expression::Object(obj) => Ok(Lit::Map(
            obj.iter()
                .map(|(k, v)| match k {
                    ObjectKey::Ident(i) => (i.as_str().to_owned(), convert_expr(v.expr(), src)),
                    ObjectKey::Expression(Expression::String(s)) => {
                        (s.as_str().to_owned(), convert_expr(v.expr(), src))
                    }
                    ObjectKey::Expression(e) => (
                        String::new(),
                        Node {
                            line: src.line(e.span()),
                            v: Err(NonLit {
                                what: "a computed key",
                                text: src.snippet(e.span()),
                            }),
                        },
                    ),
                })
                .collect(),
        )),
        Expression::Parenthesis(p) => return convert_expr(p.inner(), src),
        Expression::StringTemplate(_) => non("an interpolation"),
        Expression::HeredocTemplate(_) => non("a heredoc"),
        Expression::Variable(_) | Expression::Traversal(_) => non("a reference"),
        Expression::FuncCall(_) => non("a function call"),
        Expression::Conditional(_) => non("a conditional"),
        Expression::ForExpr(_) => non("a for expression"),
        _ => non("an operation"),
    };
    Node { line, v }
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
