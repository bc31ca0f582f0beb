//! The config file as written: blocks, attributes and literal values with
//! their locations, before any meaning is given to them.
//!
//! Both the HCL parser and [`crate::ConfigBuilder`] produce this form, so
//! one validator serves both and gives the same errors.

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{BlockLabel, Body, Structure};

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
        let mut s = self.ident.clone();
        for l in &self.labels {
            s.push_str(&format!(" {l:?}"));
        }
        s
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
#[derive(Debug)]
pub(crate) struct ParseError {
    pub loc: Location,
    pub message: String,
    /// The parser ran out of input: something opened was never closed.
    pub at_end: bool,
}

pub(crate) fn parse(text: &str) -> Result<RawBody, ParseError> {
    let index = LineIndex::new(text);
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        // hcl-edit clamps the offset to the last byte and reports input that
        // ended early as one column past it, which after a final newline is
        // a column the line does not have. Locate it ourselves: at the end of
        // the last non-blank text, where the missing `}` or `"` belongs.
        let offset = e.location().offset();
        let at_end = !text.is_empty()
            && offset + 1 >= text.len()
            && (!text.is_char_boundary(offset)
                || e.location().column() > index.locate(offset).column);
        let loc = if at_end {
            index.locate(text.trim_end().len())
        } else {
            index.locate(offset)
        };
        ParseError {
            loc,
            message: e.message().to_owned(),
            at_end,
        }
    })?;
    Ok(convert_body(&body, &index))
}

fn convert_body(body: &Body, index: &LineIndex) -> RawBody {
    let mut out = RawBody::default();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => out.attrs.push(Attr {
                name: Located {
                    value: attr.key.as_str().to_owned(),
                    loc: index.loc(attr.key.span()),
                },
                value: convert_expr(&attr.value, index),
            }),
            Structure::Block(block) => out.blocks.push(RawBlock {
                ident: block.ident.as_str().to_owned(),
                labels: block
                    .labels
                    .iter()
                    .map(|l| match l {
                        BlockLabel::Ident(i) => i.as_str().to_owned(),
                        BlockLabel::String(s) => s.as_str().to_owned(),
                    })
                    .collect(),
                body: convert_body(&block.body, index),
                loc: index.loc(block.ident.span()),
            }),
        }
    }
    out
}

fn convert_expr(expr: &Expression, index: &LineIndex) -> Located<Value> {
    let loc = index.loc(expr.span());
    let value = match expr {
        Expression::String(s) => Value::Str(s.as_str().to_owned()),
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => Value::Num(n.value().to_string()),
        Expression::Null(_) => Value::Null,
        Expression::Array(items) => {
            Value::List(items.iter().map(|e| convert_expr(e, index)).collect())
        }
        Expression::Object(obj) => Value::Map(
            obj.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(i) => Located {
                            value: Some(i.as_str().to_owned()),
                            loc: index.loc(i.span()),
                        },
                        ObjectKey::Expression(Expression::String(s)) => Located {
                            value: Some(s.as_str().to_owned()),
                            loc: index.loc(s.span()),
                        },
                        ObjectKey::Expression(e) => Located {
                            value: None,
                            loc: index.loc(e.span()),
                        },
                    };
                    let value = convert_expr(v.expr(), index);
                    match key.value {
                        Some(name) => (
                            Located {
                                value: name,
                                loc: key.loc,
                            },
                            value,
                        ),
                        // A computed key is as unsupported as a computed value.
                        None => (
                            Located {
                                value: String::new(),
                                loc: key.loc,
                            },
                            Located {
                                value: COMPUTED_KEY,
                                loc: key.loc,
                            },
                        ),
                    }
                })
                .collect(),
        ),
        Expression::StringTemplate(_) => {
            Value::Unsupported("a template with interpolation or directives")
        }
        Expression::HeredocTemplate(_) => Value::Unsupported(HEREDOC),
        Expression::Variable(_) | Expression::Traversal(_) => Value::Unsupported("a reference"),
        Expression::FuncCall(_) => Value::Unsupported("a function call"),
        _ => Value::Unsupported("an expression"),
    };
    Located { value, loc }
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
}
