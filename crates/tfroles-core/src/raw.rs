//! The one HCL reader: a file's blocks, attributes and expressions with
//! their locations, before any meaning is given to them.
//!
//! [`parse_body`] reads text with hcl-edit into a located tree ([`Body`],
//! [`Block`], [`Attribute`], [`Expr`]) that keeps every expression's kind
//! and source span, literal or not. The config loader reads `tfroles.hcl`
//! through it, and so does `tfroles import` for `.tf` files, so both count
//! lines and columns the same way and see the same expressions.
//!
//! ```
//! use tfroles_core::raw::{ExprKind, parse_body};
//!
//! let body = parse_body("provider \"aws\" {\n  region = var.region\n}\n")?;
//! let provider = &body.blocks[0];
//! assert_eq!((provider.ident.as_str(), provider.labels.as_slice()), ("provider", &["aws".to_owned()][..]));
//! let region = &provider.body.attributes[0];
//! assert_eq!(region.loc.map(|l| l.line), Some(2));
//! assert!(matches!(region.value.kind, ExprKind::Reference));
//! # Ok::<(), tfroles_core::raw::ParseError>(())
//! ```
//!
//! Inside the crate, the config's literal form (`Value` in `RawBody`)
//! is taken from that tree: both the parser and [`crate::ConfigBuilder`]
//! produce it, so one validator serves both and gives the same errors.

use std::fmt;
use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{BlockLabel, Structure};

use crate::error::Location;

/// A literal value. Anything else HCL can say (references, function calls,
/// templates with interpolation) is kept as `Unsupported` so the validator
/// can reject it with the block and attribute it appeared in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Bool(bool),
    Num(String),
    List(Vec<Located<Value>>),
    Map(Vec<(Located<String>, Located<Value>)>),
    Null,
    Unsupported(&'static str),
}

impl Value {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Bool(_) => "a bool",
            Value::Num(_) => "a number",
            Value::List(_) => "a list",
            Value::Map(_) => "an object",
            Value::Null => "null",
            Value::Unsupported(what) => what,
        }
    }
}

/// What a heredoc becomes: even without interpolation it is not read as a
/// plain string (its indentation and final newline would be surprising).
pub(crate) const HEREDOC: &str = "a heredoc";

/// What a computed object key (`{ (var.k) = "v" }`) becomes: its value is
/// replaced by this, so it is reported as unsupported.
pub(crate) const COMPUTED_KEY: Value = Value::Unsupported("an expression as an object key");

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located<T> {
    pub value: T,
    pub loc: Option<Location>,
}

impl<T> Located<T> {
    pub(crate) fn new(value: T) -> Self {
        Located { value, loc: None }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attr {
    pub name: Located<String>,
    pub value: Located<Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct RawBody {
    pub attrs: Vec<Attr>,
    pub blocks: Vec<RawBlock>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawBlock {
    pub ident: String,
    pub labels: Vec<String>,
    pub body: RawBody,
    pub loc: Option<Location>,
}

impl RawBlock {
    pub(crate) fn new(ident: &str, labels: &[&str]) -> Self {
        RawBlock {
            ident: ident.to_owned(),
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
            body: RawBody::default(),
            loc: None,
        }
    }

    /// How the block reads in messages: `role "dns"`.
    pub(crate) fn describe(&self) -> String {
        describe(&self.ident, &self.labels)
    }
}

/// Maps byte offsets to 1-based line and character columns.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    fn locate(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Location {
            line: line + 1,
            column,
        }
    }

    fn loc(&self, span: Option<std::ops::Range<usize>>) -> Option<Location> {
        span.map(|r| self.locate(r.start))
    }
}

/// A parse failure: where and what the parser said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where the problem is. For input that ends early, the end of the last
    /// non-blank text, where the missing `}` or `"` belongs.
    pub loc: Location,
    /// Where the parser stopped, as it reported it (for input that ends
    /// early, the file's last byte).
    pub stopped_at: Location,
    /// What the parser said.
    pub message: String,
    /// The parser ran out of input: something opened was never closed.
    pub at_end: bool,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.loc.line, self.loc.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A file's top level, or a block's body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    /// Attributes in source order.
    pub attributes: Vec<Attribute>,
    /// Blocks in source order.
    pub blocks: Vec<Block>,
}

/// A block: `ident "label" ... { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The block type: `provider`, `role`.
    pub ident: String,
    /// The labels, quoted or not, as written.
    pub labels: Vec<String>,
    /// What is between the braces.
    pub body: Body,
    /// Where the block type is written.
    pub loc: Option<Location>,
    /// Its bytes in the parsed text, from the block type to the closing
    /// brace (the handover removes blocks by it).
    pub span: Option<Range<usize>>,
}

impl Block {
    /// How the block reads in messages: `role "dns"`.
    pub fn describe(&self) -> String {
        describe(&self.ident, &self.labels)
    }
}

/// An attribute: `name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Where the name is written.
    pub loc: Option<Location>,
    /// The value.
    pub value: Expr,
}

/// An expression: its kind, where it starts, and its byte range in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is, with the parts of a literal.
    pub kind: ExprKind,
    /// Where it starts.
    pub loc: Option<Location>,
    /// Its bytes in the parsed text, to quote it in a message.
    pub span: Option<Range<usize>>,
}

/// What an expression is. Literals carry their value; any other expression
/// only its kind, since neither reader evaluates HCL.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExprKind {
    /// A string without interpolation (escapes such as `$${` resolved).
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// A number, written back the way hcl-edit formats it (`3`, `1.5`).
    Num(String),
    /// `null`.
    Null,
    /// `[...]`.
    List(Vec<Expr>),
    /// `{...}`, its items in source order.
    Object(Vec<ObjectItem>),
    /// `( ... )`: the expression inside.
    Parenthesis(Box<Expr>),
    /// A string with interpolation or directives.
    Template,
    /// A heredoc.
    Heredoc,
    /// A variable or a traversal: `var.x`, `local.a.b`.
    Reference,
    /// A function call.
    FunctionCall,
    /// `c ? a : b`.
    Conditional,
    /// A `for` expression.
    For,
    /// An operator expression, or any other form.
    Operation,
}

/// One `key = value` of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectItem {
    /// The key, when it is a name or a plain string; `None` for a computed
    /// key such as `(var.k)`.
    pub key: Option<String>,
    /// Where the key is written.
    pub key_loc: Option<Location>,
    /// The key's bytes in the parsed text.
    pub key_span: Option<Range<usize>>,
    /// The value.
    pub value: Expr,
}

/// Reads HCL text into located blocks and attributes. Nothing is given a
/// meaning here: every expression comes back, literal or not.
///
/// # Errors
/// A [`ParseError`] with the location and the parser's message when the
/// text is not HCL.
pub fn parse_body(text: &str) -> Result<Body, ParseError> {
    let index = LineIndex::new(text);
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        // hcl-edit clamps the offset to the last byte and reports input that
        // ended early as one column past it, which after a final newline is
        // a column the line does not have. Locate it ourselves: at the end of
        // the last non-blank text, where the missing `}` or `"` belongs.
        let offset = e.location().offset();
        let stopped_at = index.locate(offset);
        let at_end = !text.is_empty()
            && offset + 1 >= text.len()
            && (!text.is_char_boundary(offset) || e.location().column() > stopped_at.column);
        let loc = if at_end {
            index.locate(text.trim_end().len())
        } else {
            stopped_at
        };
        ParseError {
            loc,
            stopped_at,
            message: e.message().to_owned(),
            at_end,
        }
    })?;
    Ok(read_body(&body, &index))
}

fn describe(ident: &str, labels: &[String]) -> String {
    let mut s = ident.to_owned();
    for l in labels {
        s.push_str(&format!(" {l:?}"));
    }
    s
}

fn read_body(body: &hcl_edit::structure::Body, index: &LineIndex) -> Body {
    let mut out = Body::default();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => out.attributes.push(Attribute {
                name: attr.key.as_str().to_owned(),
                loc: index.loc(attr.key.span()),
                value: read_expr(&attr.value, index),
            }),
            Structure::Block(block) => out.blocks.push(Block {
                ident: block.ident.as_str().to_owned(),
                labels: block
                    .labels
                    .iter()
                    .map(|l| match l {
                        BlockLabel::Ident(i) => i.as_str().to_owned(),
                        BlockLabel::String(s) => s.as_str().to_owned(),
                    })
                    .collect(),
                body: read_body(&block.body, index),
                loc: index.loc(block.ident.span()),
                span: block.span(),
            }),
        }
    }
    out
}

fn read_expr(expr: &Expression, index: &LineIndex) -> Expr {
    let kind = match expr {
        Expression::String(s) => ExprKind::Str(s.as_str().to_owned()),
        Expression::Bool(b) => ExprKind::Bool(*b.value()),
        Expression::Number(n) => ExprKind::Num(n.value().to_string()),
        Expression::Null(_) => ExprKind::Null,
        Expression::Array(items) => {
            ExprKind::List(items.iter().map(|e| read_expr(e, index)).collect())
        }
        Expression::Object(obj) => ExprKind::Object(
            obj.iter()
                .map(|(k, v)| {
                    let (key, span) = match k {
                        ObjectKey::Ident(i) => (Some(i.as_str().to_owned()), i.span()),
                        ObjectKey::Expression(Expression::String(s)) => {
                            (Some(s.as_str().to_owned()), s.span())
                        }
                        ObjectKey::Expression(e) => (None, e.span()),
                    };
                    ObjectItem {
                        key,
                        key_loc: index.loc(span.clone()),
                        key_span: span,
                        value: read_expr(v.expr(), index),
                    }
                })
                .collect(),
        ),
        Expression::Parenthesis(p) => ExprKind::Parenthesis(Box::new(read_expr(p.inner(), index))),
        Expression::StringTemplate(_) => ExprKind::Template,
        Expression::HeredocTemplate(_) => ExprKind::Heredoc,
        Expression::Variable(_) | Expression::Traversal(_) => ExprKind::Reference,
        Expression::FuncCall(_) => ExprKind::FunctionCall,
        Expression::Conditional(_) => ExprKind::Conditional,
        Expression::ForExpr(_) => ExprKind::For,
        _ => ExprKind::Operation,
    };
    Expr {
        kind,
        loc: index.loc(expr.span()),
        span: expr.span(),
    }
}

/// The config's literal form of a parsed file.
pub(crate) fn parse(text: &str) -> Result<RawBody, ParseError> {
    parse_body(text).map(|b| literal_body(&b))
}

fn literal_body(body: &Body) -> RawBody {
    RawBody {
        attrs: body
            .attributes
            .iter()
            .map(|a| Attr {
                name: Located {
                    value: a.name.clone(),
                    loc: a.loc,
                },
                value: literal(&a.value),
            })
            .collect(),
        blocks: body
            .blocks
            .iter()
            .map(|b| RawBlock {
                ident: b.ident.clone(),
                labels: b.labels.clone(),
                body: literal_body(&b.body),
                loc: b.loc,
            })
            .collect(),
    }
}

fn literal(expr: &Expr) -> Located<Value> {
    let value = match &expr.kind {
        ExprKind::Str(s) => Value::Str(s.clone()),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Num(n) => Value::Num(n.clone()),
        ExprKind::Null => Value::Null,
        ExprKind::List(items) => Value::List(items.iter().map(literal).collect()),
        ExprKind::Object(items) => Value::Map(
            items
                .iter()
                .map(|item| match &item.key {
                    Some(name) => (
                        Located {
                            value: name.clone(),
                            loc: item.key_loc,
                        },
                        literal(&item.value),
                    ),
                    // A computed key is as unsupported as a computed value.
                    None => (
                        Located {
                            value: String::new(),
                            loc: item.key_loc,
                        },
                        Located {
                            value: COMPUTED_KEY,
                            loc: item.key_loc,
                        },
                    ),
                })
                .collect(),
        ),
        ExprKind::Template => Value::Unsupported("a template with interpolation or directives"),
        ExprKind::Heredoc => Value::Unsupported(HEREDOC),
        ExprKind::Reference => Value::Unsupported("a reference"),
        ExprKind::FunctionCall => Value::Unsupported("a function call"),
        // tfroles.hcl takes no parentheses either: `("x")` is not a literal.
        ExprKind::Parenthesis(_) | ExprKind::Conditional | ExprKind::For | ExprKind::Operation => {
            Value::Unsupported("an expression")
        }
    };
    Located {
        value,
        loc: expr.loc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.locate(0), Location { line: 1, column: 1 });
        let e = text.find('=').unwrap();
        assert_eq!(idx.locate(e), Location { line: 1, column: 3 });
        let e2 = text.rfind('=').unwrap();
        assert_eq!(idx.locate(e2), Location { line: 2, column: 4 });
    }

    #[test]
    fn parses_blocks_attributes_and_values_with_locations() {
        let body =
            parse("role \"x\" {\n  tags = { team = \"api\", \"a:b\" = \"c\" }\n  n = 3\n}\n")
                .unwrap();
        let role = &body.blocks[0];
        assert_eq!(role.describe(), "role \"x\"");
        assert_eq!(role.loc, Some(Location { line: 1, column: 1 }));
        let tags = &role.body.attrs[0];
        assert_eq!(tags.name.loc, Some(Location { line: 2, column: 3 }));
        let Value::Map(items) = &tags.value.value else {
            panic!()
        };
        assert_eq!(items[0].0.value, "team");
        assert_eq!(items[1].0.value, "a:b");
        assert_eq!(role.body.attrs[1].value.value, Value::Num("3".into()));
    }

    #[test]
    fn escaped_template_markers_are_plain_strings() {
        let body = parse("a = \"$${x} %%{y}\"\nb = \"${x}\"\n").unwrap();
        assert_eq!(body.attrs[0].value.value, Value::Str("${x} %{y}".into()));
        assert!(matches!(body.attrs[1].value.value, Value::Unsupported(_)));
    }

    #[test]
    fn the_reader_keeps_every_expression_kind_with_its_span() {
        let text = "a = (\"x\")\nb = c ? 1 : 2\nc = { (k) = 1, \"s\" = 2 }\nd = 1 + 2\n";
        let body = parse_body(text).unwrap();
        let kind = |i: usize| &body.attributes[i].value.kind;
        let ExprKind::Parenthesis(inner) = kind(0) else {
            panic!("{:?}", kind(0))
        };
        assert_eq!(inner.kind, ExprKind::Str("x".into()));
        assert_eq!(&text[inner.span.clone().unwrap()], "\"x\"");
        let b = &body.attributes[1].value;
        assert_eq!(b.kind, ExprKind::Conditional);
        assert_eq!(&text[b.span.clone().unwrap()], "c ? 1 : 2");
        assert_eq!(b.loc, Some(Location { line: 2, column: 5 }));
        let ExprKind::Object(items) = kind(2) else {
            panic!("{:?}", kind(2))
        };
        assert_eq!(items[0].key, None);
        assert_eq!(&text[items[0].key_span.clone().unwrap()], "(k)");
        assert_eq!(items[1].key.as_deref(), Some("s"));
        assert_eq!(kind(3), &ExprKind::Operation);
    }

    #[test]
    fn the_literal_form_rejects_what_is_not_a_literal() {
        let body = parse("a = (\"x\")\nb = c ? 1 : 2\nc = { (k) = 1 }\n").unwrap();
        assert_eq!(
            body.attrs[0].value.value,
            Value::Unsupported("an expression")
        );
        assert_eq!(
            body.attrs[1].value.value,
            Value::Unsupported("an expression")
        );
        let Value::Map(items) = &body.attrs[2].value.value else {
            panic!()
        };
        assert_eq!(items[0].1.value, COMPUTED_KEY);
        assert_eq!(items[0].1.loc, Some(Location { line: 3, column: 7 }));
    }

    #[test]
    fn a_parse_error_says_where_the_parser_stopped_and_where_the_gap_is() {
        let e = parse_body("a {\n  b = 1\n\n\n").unwrap_err();
        assert!(e.at_end);
        assert_eq!(e.loc, Location { line: 2, column: 8 });
        assert_eq!(e.stopped_at.line, 4);
    }
}
