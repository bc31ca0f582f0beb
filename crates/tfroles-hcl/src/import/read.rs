//! Blocks and attributes of a `.tf` file as literal values with their lines,
//! or, for anything else, what kind of expression it is and its source text.

use tfroles_core::Location;
use tfroles_core::raw::{self, Expr, ExprKind};

use super::eval::{Cause, Env, Unknown};
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
    /// Why it has no value, when evaluating it met something unknown.
    pub(super) cause: Option<Cause>,
    /// Why it does not evaluate, when everything it uses is known.
    pub(super) fails: Option<String>,
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

/// A `.tf` file's top-level attributes and blocks, read with core's reader,
/// literal values as they are and other expressions evaluated in `env`.
pub(super) fn parse(
    text: &str,
    file: &str,
    env: &Env,
) -> Result<(Vec<Attr>, Vec<Blk>), raw::ParseError> {
    let body = raw::parse_body(text)?;
    Ok(convert(&body, text, file, env))
}

/// Core's located tree as import's values, other expressions evaluated in `env`.
pub(super) fn convert(
    body: &raw::Body,
    text: &str,
    file: &str,
    env: &Env,
) -> (Vec<Attr>, Vec<Blk>) {
    let cv = Conv { text, file, env };
    cv.body(body)
}

/// An expression's whole source text.
pub(super) fn source<'t>(text: &'t str, expr: &Expr) -> &'t str {
    expr.span
        .as_ref()
        .and_then(|r| text.get(r.clone()))
        .unwrap_or("")
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

struct Conv<'a> {
    text: &'a str,
    file: &'a str,
    env: &'a Env,
}

impl Conv<'_> {
    fn body(&self, body: &raw::Body) -> (Vec<Attr>, Vec<Blk>) {
        let attrs = body
            .attributes
            .iter()
            .map(|a| Attr {
                key: a.name.clone(),
                line: line(a.loc),
                node: self.expr(&a.value),
            })
            .collect();
        let blocks = body
            .blocks
            .iter()
            .map(|b| {
                let (attrs, blocks) = self.body(&b.body);
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

    fn expr(&self, expr: &Expr) -> Node {
        let text = self.text;
        let at = line(expr.loc);
        let non = |what: &'static str| -> Result<Lit, NonLit> {
            match self.env.eval(source(text, expr), self.file, at) {
                Ok(v) => Ok(from_value(v, at).v.unwrap_or(Lit::Null)),
                Err(u) => {
                    let (cause, fails) = match u {
                        Unknown::Cause(c) => (Some(c), None),
                        Unknown::Fails(m) => (None, Some(m)),
                    };
                    Err(NonLit {
                        what,
                        text: snippet(text, expr.span.as_ref()),
                        cause,
                        fails,
                    })
                }
            }
        };
        let v = match &expr.kind {
            ExprKind::Str(s) => Ok(Lit::Str(s.clone())),
            ExprKind::Bool(b) => Ok(Lit::Bool(*b)),
            // hcl-edit keeps whole numbers as integers (`7200.0` is 7200) and
            // writes them as digits; a negative or fractional number is no
            // count of seconds.
            ExprKind::Num(n) => Ok(Lit::Num(n.parse().ok())),
            ExprKind::Null => Ok(Lit::Null),
            ExprKind::List(items) => Ok(Lit::List(items.iter().map(|e| self.expr(e)).collect())),
            ExprKind::Object(items) => {
                if items.iter().any(|i| i.key.is_none()) {
                    // A computed key: evaluate the whole object.
                    non("an object with a computed key")
                } else {
                    Ok(Lit::Map(
                        items
                            .iter()
                            .map(|item| {
                                (item.key.clone().unwrap_or_default(), self.expr(&item.value))
                            })
                            .collect(),
                    ))
                }
            }
            // Terraform reads `("x")` as `"x"`, so import does too.
            ExprKind::Parenthesis(inner) => return self.expr(inner),
            ExprKind::Template => non("an interpolation"),
            ExprKind::Heredoc => non("a heredoc"),
            ExprKind::Reference => non("a reference"),
            ExprKind::FunctionCall => non("a function call"),
            ExprKind::Conditional => non("a conditional"),
            ExprKind::For => non("a for expression"),
            _ => non("an operation"),
        };
        Node { line: at, v }
    }
}

/// An evaluated value as import's literal, every part on `line`.
pub(super) fn from_value(v: hcl::Value, line: usize) -> Node {
    let v = match v {
        hcl::Value::Null => Lit::Null,
        hcl::Value::Bool(b) => Lit::Bool(b),
        hcl::Value::Number(n) => Lit::Num(n.as_u64()),
        hcl::Value::String(s) => Lit::Str(s),
        hcl::Value::Array(items) => {
            Lit::List(items.into_iter().map(|i| from_value(i, line)).collect())
        }
        hcl::Value::Object(items) => Lit::Map(
            items
                .into_iter()
                .map(|(k, v)| (k, from_value(v, line)))
                .collect(),
        ),
    };
    Node { line, v: Ok(v) }
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
                self.rejected(file, node.line, ctx, key, &e);
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
