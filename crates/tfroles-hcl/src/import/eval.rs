//! What terraform would know without touching AWS: variables (defaults,
//! `terraform.tfvars`, `*.auto.tfvars`, `*.auto.tfvars.json`, `--var-file`,
//! `--var`), `locals`, `terraform.workspace`, and the functions that build
//! names (`lookup`, `format`, `join`, `merge`, ...), evaluated with hcl-rs.
//!
//! Anything else (data sources, module outputs, resources, `path.*`, a
//! variable with no value) is unknown: an [`Unknown`] names its cause, so
//! the report says it once per cause rather than once per use.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::expr::{Expression, TraversalOperator};
use hcl::template::{Directive, Element, Template};
use hcl::{Map, Value};

/// Why an expression has no value here: the first reference in it that
/// import cannot know, where it was first met.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Cause {
    /// What is unknown, as the report says it: "data source
    /// `data.aws_caller_identity.current`".
    pub(super) what: String,
    /// Where it comes from (file relative to the imported directory, line):
    /// the variable's declaration, or the first expression that used it.
    pub(super) at: Option<(String, usize)>,
}

/// An expression without a value.
#[derive(Debug, Clone)]
pub(super) enum Unknown {
    /// It depends on something import cannot know.
    Cause(Cause),
    /// Everything it uses is known, but it does not evaluate (an unknown
    /// function, a type error); the message says why.
    Fails(String),
}

/// A variable's declaration: where, and whether a `-var` value is HCL.
#[derive(Debug, Clone)]
pub(super) struct VarDecl {
    pub(super) file: String,
    pub(super) line: usize,
    /// The value of `-var NAME=...` is read as HCL unless the type is a
    /// string or not given, as terraform does.
    pub(super) hcl_typed: bool,
}

/// The values one directory's expressions are evaluated with.
#[derive(Debug, Clone, Default)]
pub(super) struct Env {
    pub(super) vars: Map<String, Value>,
    pub(super) decls: BTreeMap<String, VarDecl>,
    pub(super) locals: Map<String, Value>,
    pub(super) local_causes: BTreeMap<String, Unknown>,
    pub(super) workspace: String,
}

/// A local's source: its expression's text, file and line.
pub(super) struct LocalSrc {
    pub(super) text: String,
    pub(super) file: String,
    pub(super) line: usize,
}

/// How deep locals may refer to locals before import gives up on them.
const MAX_LOCAL_DEPTH: usize = 64;

impl Env {
    pub(super) fn new(workspace: &str) -> Self {
        Env {
            workspace: workspace.to_owned(),
            ..Env::default()
        }
    }

    fn context(&self, locals: Option<&Map<String, Value>>) -> Context<'static> {
        let mut ctx = Context::new();
        ctx.declare_var("var", Value::Object(self.vars.clone()));
        ctx.declare_var(
            "local",
            Value::Object(locals.cloned().unwrap_or_else(|| self.locals.clone())),
        );
        let mut tf = Map::new();
        tf.insert("workspace".into(), Value::String(self.workspace.clone()));
        ctx.declare_var("terraform", Value::Object(tf));
        declare_functions(&mut ctx);
        ctx
    }

    /// Evaluates locals in dependency order; those that stay unknown keep
    /// their cause.
    pub(super) fn resolve_locals(&mut self, srcs: &BTreeMap<String, LocalSrc>) {
        let names: Vec<String> = srcs.keys().cloned().collect();
        for n in names {
            let mut stack = Vec::new();
            self.resolve_local(&n, srcs, &mut stack);
        }
    }

    fn resolve_local(
        &mut self,
        name: &str,
        srcs: &BTreeMap<String, LocalSrc>,
        stack: &mut Vec<String>,
    ) {
        if self.locals.contains_key(name) || self.local_causes.contains_key(name) {
            return;
        }
        let Some(src) = srcs.get(name) else {
            return;
        };
        let at = Some((src.file.clone(), src.line));
        if stack.iter().any(|s| s == name) || stack.len() >= MAX_LOCAL_DEPTH {
            self.local_causes.insert(
                name.to_owned(),
                Unknown::Cause(Cause {
                    what: format!("`local.{name}`, which refers back to itself"),
                    at,
                }),
            );
            return;
        }
        let expr = match Expression::from_str(&src.text) {
            Ok(e) => e,
            Err(e) => {
                self.local_causes
                    .insert(name.to_owned(), Unknown::Fails(one_line(&e.to_string())));
                return;
            }
        };
        let mut refs = Vec::new();
        collect_refs(&expr, &mut BTreeSet::new(), &mut refs);
        stack.push(name.to_owned());
        for r in &refs {
            if r.first().map(String::as_str) == Some("local")
                && let Some(dep) = r.get(1)
            {
                self.resolve_local(dep, srcs, stack);
            }
        }
        stack.pop();
        let result = self.eval_expr(&expr, &refs, &src.file, src.line);
        match result {
            Ok(v) => {
                self.locals.insert(name.to_owned(), v);
            }
            Err(u) => {
                self.local_causes.insert(name.to_owned(), u);
            }
        }
    }

    /// Evaluates an expression's source text (`file`, `line` say where, for
    /// a cause first met there).
    pub(super) fn eval(&self, text: &str, file: &str, line: usize) -> Result<Value, Unknown> {
        let expr =
            Expression::from_str(text).map_err(|e| Unknown::Fails(one_line(&e.to_string())))?;
        let mut refs = Vec::new();
        collect_refs(&expr, &mut BTreeSet::new(), &mut refs);
        self.eval_expr(&expr, &refs, file, line)
    }

    /// The workspace names a set of expressions tell apart through
    /// `terraform.workspace` (directly or through locals): the keys of the
    /// maps it indexes (`m[terraform.workspace]`, `lookup(m,
    /// terraform.workspace, ...)`) and the strings it is compared with.
    /// `None` when none of them depends on `terraform.workspace`.
    pub(super) fn workspace_names(
        &self,
        texts: &[&str],
        locals: &BTreeMap<String, LocalSrc>,
    ) -> Option<BTreeSet<String>> {
        let mut walk = WorkspaceWalk {
            env: self,
            locals,
            seen: BTreeSet::new(),
            names: BTreeSet::new(),
            uses: false,
        };
        for t in texts {
            if let Ok(e) = Expression::from_str(t) {
                walk.walk(&e);
            }
        }
        walk.uses.then_some(walk.names)
    }

    fn eval_expr(
        &self,
        expr: &Expression,
        refs: &[Vec<String>],
        file: &str,
        line: usize,
    ) -> Result<Value, Unknown> {
        let ctx = self.context(None);
        match expr.evaluate(&ctx) {
            Ok(v) => Ok(v),
            Err(e) => {
                for r in refs {
                    if let Some(u) = self.unknown_ref(r, file, line) {
                        return Err(u);
                    }
                }
                if let hcl::eval::ErrorKind::UndefinedFunc(f) = e.kind() {
                    let what = match f.name.as_str() {
                        "get_aws_account_id"
                        | "get_aws_caller_identity_arn"
                        | "get_aws_caller_identity_user_id" => {
                            format!("`{f}()` (asks AWS who is calling)")
                        }
                        _ => format!("`{f}()` (a function import does not evaluate)"),
                    };
                    return Err(Unknown::Cause(Cause {
                        what,
                        at: Some((file.to_owned(), line)),
                    }));
                }
                Err(Unknown::Fails(one_line(&e.to_string())))
            }
        }
    }

    /// Why a reference has no value, or `None` when it has one.
    fn unknown_ref(&self, r: &[String], file: &str, line: usize) -> Option<Unknown> {
        let at = Some((file.to_owned(), line));
        let path = |n: usize| r.iter().take(n).cloned().collect::<Vec<_>>().join(".");
        let cause =
            |what: String, at: Option<(String, usize)>| Some(Unknown::Cause(Cause { what, at }));
        match r.first().map(String::as_str)? {
            "var" => {
                let name = r.get(1)?;
                if self.vars.contains_key(name) {
                    return None;
                }
                match self.decls.get(name) {
                    Some(d) => cause(
                        format!(
                            "variable `{name}` has no default and no value given (`--var {name}=VALUE` or `--var-file`)"
                        ),
                        Some((d.file.clone(), d.line)),
                    ),
                    None => cause(format!("variable `{name}` is not declared"), at),
                }
            }
            "local" => {
                let name = r.get(1)?;
                if self.locals.contains_key(name) {
                    return None;
                }
                match self.local_causes.get(name) {
                    Some(u) => Some(u.clone()),
                    None => cause(format!("`local.{name}` is not defined"), at),
                }
            }
            "terraform" if r.get(1).is_some_and(|w| w == "workspace") => None,
            "data" => cause(
                format!("data source `{}` (read from AWS at plan time)", path(3)),
                at,
            ),
            "module" => cause(
                format!("output of `{}` (known only after apply)", path(2)),
                at,
            ),
            "path" => cause(
                format!("`{}` (a filesystem path terraform fills in)", path(2)),
                at,
            ),
            "each" | "count" | "self" => cause(
                format!("`{}` (known only per resource instance)", path(2)),
                at,
            ),
            _ if r.len() >= 2 => cause(
                format!(
                    "attribute of resource `{}` (known only after apply)",
                    path(2)
                ),
                at,
            ),
            _ => cause(format!("`{}`", path(1)), at),
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every reference in an expression, in source order: the root name and the
/// attribute names after it. Names bound by `for` are left out.
pub(super) fn collect_refs(
    expr: &Expression,
    bound: &mut BTreeSet<String>,
    out: &mut Vec<Vec<String>>,
) {
    match expr {
        Expression::Variable(v) if !bound.contains(v.as_str()) => {
            out.push(vec![v.to_string()]);
        }
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                if !bound.contains(v.as_str()) {
                    let mut path = vec![v.to_string()];
                    for op in &t.operators {
                        match op {
                            TraversalOperator::GetAttr(a) => path.push(a.to_string()),
                            TraversalOperator::Index(Expression::String(s)) => path.push(s.clone()),
                            _ => break,
                        }
                    }
                    out.push(path);
                }
            } else {
                collect_refs(&t.expr, bound, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(e) = op {
                    collect_refs(e, bound, out);
                }
            }
        }
        Expression::Array(items) => items.iter().for_each(|e| collect_refs(e, bound, out)),
        Expression::Object(items) => {
            for (k, v) in items {
                if let hcl::expr::ObjectKey::Expression(k) = k {
                    collect_refs(k, bound, out);
                }
                collect_refs(v, bound, out);
            }
        }
        Expression::TemplateExpr(t) => {
            if let Ok(tpl) = Template::from_expr(t) {
                template_refs(&tpl, bound, out);
            }
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|e| collect_refs(e, bound, out)),
        Expression::Parenthesis(e) => collect_refs(e, bound, out),
        Expression::Conditional(c) => {
            collect_refs(&c.cond_expr, bound, out);
            collect_refs(&c.true_expr, bound, out);
            collect_refs(&c.false_expr, bound, out);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => collect_refs(&u.expr, bound, out),
            hcl::expr::Operation::Binary(b) => {
                collect_refs(&b.lhs_expr, bound, out);
                collect_refs(&b.rhs_expr, bound, out);
            }
        },
        Expression::ForExpr(f) => {
            collect_refs(&f.collection_expr, bound, out);
            let mut inner = bound.clone();
            inner.insert(f.value_var.to_string());
            if let Some(k) = &f.key_var {
                inner.insert(k.to_string());
            }
            if let Some(k) = &f.key_expr {
                collect_refs(k, &mut inner, out);
            }
            collect_refs(&f.value_expr, &mut inner, out);
            if let Some(c) = &f.cond_expr {
                collect_refs(c, &mut inner, out);
            }
        }
        _ => {}
    }
}

fn template_refs(tpl: &Template, bound: &mut BTreeSet<String>, out: &mut Vec<Vec<String>>) {
    for el in tpl.elements() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => collect_refs(&i.expr, bound, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    collect_refs(&i.cond_expr, bound, out);
                    template_refs(&i.true_template, bound, out);
                    if let Some(f) = &i.false_template {
                        template_refs(f, bound, out);
                    }
                }
                Directive::For(f) => {
                    collect_refs(&f.collection_expr, bound, out);
                    let mut inner = bound.clone();
                    inner.insert(f.value_var.to_string());
                    if let Some(k) = &f.key_var {
                        inner.insert(k.to_string());
                    }
                    template_refs(&f.template, &mut inner, out);
                }
            },
        }
    }
}

/// A tfvars file's values (HCL), evaluated with functions only.
pub(super) fn tfvars(text: &str) -> Result<Vec<(String, Value)>, String> {
    let body = hcl::parse(text).map_err(|e| one_line(&e.to_string()))?;
    let mut ctx = Context::new();
    declare_functions(&mut ctx);
    let mut out = Vec::new();
    for a in body.attributes() {
        let v = a
            .expr()
            .evaluate(&ctx)
            .map_err(|e| format!("`{}`: {}", a.key(), one_line(&e.to_string())))?;
        out.push((a.key().to_owned(), v));
    }
    Ok(out)
}

/// A `*.tfvars.json` file's values.
pub(super) fn tfvars_json(text: &str) -> Result<Vec<(String, Value)>, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(items) = json else {
        return Err("the file is not a JSON object".into());
    };
    items
        .into_iter()
        .map(|(k, v)| {
            hcl::to_value(&v)
                .map(|v| (k, v))
                .map_err(|e| one_line(&e.to_string()))
        })
        .collect()
}

/// A constant expression (a variable's default), evaluated with functions only.
pub(super) fn constant(text: &str) -> Result<Value, String> {
    let expr = Expression::from_str(text).map_err(|e| one_line(&e.to_string()))?;
    let mut ctx = Context::new();
    declare_functions(&mut ctx);
    expr.evaluate(&ctx).map_err(|e| one_line(&e.to_string()))
}

/// `--var NAME=VALUE`'s value: HCL for a variable with a non-string type,
/// the text itself otherwise (as terraform reads `-var`).
pub(super) fn cli_var(value: &str, hcl_typed: bool) -> Result<Value, String> {
    if hcl_typed {
        constant(value)
    } else {
        Ok(Value::String(value.to_owned()))
    }
}

// ---------------------------------------------------------------------------
/// The walk behind [`Env::workspace_names`], and what it has found.
struct WorkspaceWalk<'a> {
    env: &'a Env,
    locals: &'a BTreeMap<String, LocalSrc>,
    /// The locals followed so far (bounded, so a cycle or a deep chain ends).
    seen: BTreeSet<String>,
    /// The workspace names the expressions tell apart.
    names: BTreeSet<String>,
    /// Whether any expression reads `terraform.workspace`.
    uses: bool,
}

impl WorkspaceWalk<'_> {
    fn walk(&mut self, e: &Expression) {
        if is_workspace(e) {
            self.uses = true;
            return;
        }
        match e {
            Expression::Traversal(t) => self.traversal(t),
            Expression::FuncCall(f) => {
                if f.name.name.as_str() == "lookup" && f.args.len() >= 2 && is_workspace(&f.args[1])
                {
                    self.uses = true;
                    self.keys_of(&f.args[0]);
                }
                for a in &f.args {
                    self.walk(a);
                }
            }
            Expression::Operation(op) => match op.as_ref() {
                hcl::expr::Operation::Binary(b) => {
                    // `terraform.workspace == "name"`, either way round.
                    for (x, y) in [(&b.lhs_expr, &b.rhs_expr), (&b.rhs_expr, &b.lhs_expr)] {
                        if is_workspace(x)
                            && let Expression::String(s) = y
                        {
                            self.uses = true;
                            self.names.insert(s.clone());
                        }
                    }
                    self.walk(&b.lhs_expr);
                    self.walk(&b.rhs_expr);
                }
                hcl::expr::Operation::Unary(u) => self.walk(&u.expr),
            },
            Expression::Conditional(c) => {
                self.walk(&c.cond_expr);
                self.walk(&c.true_expr);
                self.walk(&c.false_expr);
            }
            Expression::Parenthesis(p) => self.walk(p),
            Expression::Array(items) => {
                for i in items {
                    self.walk(i);
                }
            }
            Expression::Object(items) => {
                for v in items.values() {
                    self.walk(v);
                }
            }
            Expression::TemplateExpr(t) => {
                if let Ok(tpl) = Template::from_expr(t) {
                    for el in tpl.elements() {
                        if let Element::Interpolation(i) = el {
                            self.walk(&i.expr);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A traversal: a local followed into its expression; an index by
    /// `terraform.workspace` names the keys of what it indexes.
    fn traversal(&mut self, t: &hcl::expr::Traversal) {
        if let Expression::Variable(v) = &t.expr
            && v.as_str() == "local"
            && let Some(TraversalOperator::GetAttr(n)) = t.operators.first()
            && self.seen.len() < MAX_LOCAL_DEPTH * 4
            && self.seen.insert(n.to_string())
            && let Some(src) = self.locals.get(n.as_str())
            && let Ok(inner) = Expression::from_str(&src.text)
        {
            self.walk(&inner);
        }
        for (i, op) in t.operators.iter().enumerate() {
            if let TraversalOperator::Index(ix) = op {
                if is_workspace(ix) {
                    self.uses = true;
                    let base = hcl::expr::Traversal::new(t.expr.clone(), t.operators[..i].to_vec());
                    self.keys_of(&Expression::Traversal(Box::new(base)));
                } else {
                    self.walk(ix);
                }
            }
        }
        self.walk(&t.expr);
    }

    /// The keys of an object the expression evaluates to, as names.
    fn keys_of(&mut self, coll: &Expression) {
        if let Ok(Value::Object(m)) = coll.evaluate(&self.env.context(None)) {
            self.names.extend(m.keys().cloned());
        }
    }
}

/// Whether the expression is `terraform.workspace`.
fn is_workspace(e: &Expression) -> bool {
    match e {
        Expression::Traversal(t) => {
            matches!(&t.expr, Expression::Variable(v) if v.as_str() == "terraform")
                && matches!(t.operators.as_slice(), [TraversalOperator::GetAttr(a)] if a.as_str() == "workspace")
        }
        _ => false,
    }
}

// Terraform's functions that names are built with. Each behaves as
// terraform's does for the values it accepts, and refuses the rest.

// Long by design: a table of declarations (one per function), not logic.
fn declare_functions(ctx: &mut Context<'_>) {
    let any = || ParamType::Any;
    ctx.declare_func(
        "lookup",
        FuncDef::builder()
            .param(any())
            .param(ParamType::String)
            .variadic_param(any())
            .build(f_lookup),
    );
    ctx.declare_func(
        "format",
        FuncDef::builder()
            .param(ParamType::String)
            .variadic_param(any())
            .build(f_format),
    );
    ctx.declare_func(
        "join",
        FuncDef::builder()
            .param(ParamType::String)
            .variadic_param(any())
            .build(f_join),
    );
    ctx.declare_func(
        "merge",
        FuncDef::builder().variadic_param(any()).build(f_merge),
    );
    ctx.declare_func(
        "concat",
        FuncDef::builder().variadic_param(any()).build(f_concat),
    );
    // Terragrunt's: the default when one is given (import reads no environment).
    ctx.declare_func(
        "get_env",
        FuncDef::builder()
            .param(ParamType::String)
            .variadic_param(any())
            .build(f_get_env),
    );
    ctx.declare_func(
        "coalesce",
        FuncDef::builder().variadic_param(any()).build(f_coalesce),
    );
    ctx.declare_func(
        "element",
        FuncDef::builder()
            .param(any())
            .param(ParamType::Number)
            .build(f_element),
    );
    ctx.declare_func(
        "lower",
        FuncDef::builder().param(ParamType::String).build(f_lower),
    );
    ctx.declare_func(
        "upper",
        FuncDef::builder().param(ParamType::String).build(f_upper),
    );
    ctx.declare_func(
        "tostring",
        FuncDef::builder().param(any()).build(f_tostring),
    );
    ctx.declare_func(
        "tonumber",
        FuncDef::builder().param(any()).build(f_tonumber),
    );
    ctx.declare_func("tolist", FuncDef::builder().param(any()).build(f_identity));
    ctx.declare_func("toset", FuncDef::builder().param(any()).build(f_identity));
    ctx.declare_func("tomap", FuncDef::builder().param(any()).build(f_identity));
    ctx.declare_func(
        "replace",
        FuncDef::builder()
            .param(ParamType::String)
            .param(ParamType::String)
            .param(ParamType::String)
            .build(f_replace),
    );
    ctx.declare_func(
        "trimspace",
        FuncDef::builder()
            .param(ParamType::String)
            .build(f_trimspace),
    );
    ctx.declare_func("keys", FuncDef::builder().param(any()).build(f_keys));
    ctx.declare_func("values", FuncDef::builder().param(any()).build(f_values));
    ctx.declare_func("length", FuncDef::builder().param(any()).build(f_length));
    ctx.declare_func(
        "contains",
        FuncDef::builder()
            .param(any())
            .param(any())
            .build(f_contains),
    );
}

fn f_identity(args: FuncArgs) -> Result<Value, String> {
    Ok(args[0].clone())
}

fn f_lookup(args: FuncArgs) -> Result<Value, String> {
    let Value::Object(map) = &args[0] else {
        return Err("lookup() takes a map".into());
    };
    let key = args[1].as_str().unwrap_or_default();
    match map.get(key) {
        Some(v) => Ok(v.clone()),
        None => match args.get(2) {
            Some(d) => Ok(d.clone()),
            None => Err(format!(
                "lookup(): the map has no key {key:?} and no default is given"
            )),
        },
    }
}

fn to_text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("a string is required, not {other}")),
    }
}

fn f_format(args: FuncArgs) -> Result<Value, String> {
    let spec = args[0].as_str().unwrap_or_default();
    let mut rest = args.iter().skip(1);
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(v @ ('s' | 'd' | 'v' | 'q')) => {
                let arg = rest.next().ok_or("format(): too few arguments")?;
                let t = to_text(arg)?;
                match v {
                    'q' => out.push_str(&format!("{t:?}")),
                    'd' if t.parse::<i64>().is_err() => {
                        return Err(format!("format(): %d needs a whole number, not {t:?}"));
                    }
                    _ => out.push_str(&t),
                }
            }
            other => {
                return Err(format!(
                    "format(): the verb %{} is not evaluated by tfroles import",
                    other.map(String::from).unwrap_or_default()
                ));
            }
        }
    }
    Ok(Value::String(out))
}

fn f_join(args: FuncArgs) -> Result<Value, String> {
    let sep = args[0].as_str().unwrap_or_default();
    let mut parts = Vec::new();
    for list in args.iter().skip(1) {
        let Value::Array(items) = list else {
            return Err("join() takes lists".into());
        };
        for i in items {
            parts.push(to_text(i)?);
        }
    }
    Ok(Value::String(parts.join(sep)))
}

fn f_merge(args: FuncArgs) -> Result<Value, String> {
    let mut out = Map::new();
    for m in args.iter() {
        match m {
            Value::Object(items) => {
                for (k, v) in items {
                    out.insert(k.clone(), v.clone());
                }
            }
            Value::Null => {}
            _ => return Err("merge() takes maps".into()),
        }
    }
    Ok(Value::Object(out))
}

fn f_get_env(args: FuncArgs) -> Result<Value, String> {
    args.get(1)
        .cloned()
        .ok_or_else(|| "get_env() without a default: import reads no environment variables".into())
}

fn f_concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for l in args.iter() {
        let Value::Array(items) = l else {
            return Err("concat() takes lists".into());
        };
        out.extend(items.iter().cloned());
    }
    Ok(Value::Array(out))
}

fn f_coalesce(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "coalesce(): no non-null, non-empty argument".into())
}

fn f_element(args: FuncArgs) -> Result<Value, String> {
    let Value::Array(items) = &args[0] else {
        return Err("element() takes a list".into());
    };
    let i = args[1]
        .as_u64()
        .ok_or("element(): the index must be a whole number")?;
    if items.is_empty() {
        return Err("element(): the list is empty".into());
    }
    let i = usize::try_from(i).map_err(|_| "element(): index too large")? % items.len();
    Ok(items[i].clone())
}

fn f_lower(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(
        args[0].as_str().unwrap_or_default().to_lowercase(),
    ))
}

fn f_upper(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(
        args[0].as_str().unwrap_or_default().to_uppercase(),
    ))
}

fn f_tostring(args: FuncArgs) -> Result<Value, String> {
    to_text(&args[0]).map(Value::String)
}

fn f_tonumber(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Number(_) => Ok(args[0].clone()),
        Value::String(s) => s
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| format!("tonumber(): {s:?} is not a whole number")),
        _ => Err("tonumber() takes a string or a number".into()),
    }
}

fn f_replace(args: FuncArgs) -> Result<Value, String> {
    let (s, from, to) = (
        args[0].as_str().unwrap_or_default(),
        args[1].as_str().unwrap_or_default(),
        args[2].as_str().unwrap_or_default(),
    );
    if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
        return Err(
            "replace() with a regular expression is not evaluated by tfroles import".into(),
        );
    }
    if from.is_empty() {
        return Ok(Value::String(s.to_owned()));
    }
    Ok(Value::String(s.replace(from, to)))
}

fn f_trimspace(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(
        args[0].as_str().unwrap_or_default().trim().to_owned(),
    ))
}

fn f_keys(args: FuncArgs) -> Result<Value, String> {
    let Value::Object(m) = &args[0] else {
        return Err("keys() takes a map".into());
    };
    let mut k: Vec<String> = m.keys().cloned().collect();
    k.sort();
    Ok(Value::Array(k.into_iter().map(Value::String).collect()))
}

fn f_values(args: FuncArgs) -> Result<Value, String> {
    let Value::Object(m) = &args[0] else {
        return Err("values() takes a map".into());
    };
    let mut items: Vec<(&String, &Value)> = m.iter().collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    Ok(Value::Array(
        items.into_iter().map(|(_, v)| v.clone()).collect(),
    ))
}

fn f_length(args: FuncArgs) -> Result<Value, String> {
    let n = match &args[0] {
        Value::Array(a) => a.len(),
        Value::Object(m) => m.len(),
        Value::String(s) => s.chars().count(),
        _ => return Err("length() takes a list, map or string".into()),
    };
    Ok(Value::from(n as u64))
}

fn f_contains(args: FuncArgs) -> Result<Value, String> {
    let Value::Array(items) = &args[0] else {
        return Err("contains() takes a list".into());
    };
    Ok(Value::Bool(items.contains(&args[1])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        let mut e = Env::new("default");
        e.vars.insert("env".into(), Value::String("prod".into()));
        let mut accts = Map::new();
        accts.insert("prod".into(), Value::String("222222222222".into()));
        accts.insert("dev".into(), Value::String("111111111111".into()));
        e.vars.insert("accounts".into(), Value::Object(accts));
        e
    }

    #[test]
    fn names_are_built_as_terraform_builds_them() {
        let e = env();
        let cases = [
            (
                "\"arn:aws:iam::${var.accounts[var.env]}:role/x\"",
                "arn:aws:iam::222222222222:role/x",
            ),
            (
                "format(\"arn:aws:iam::%s:role/%s\", lookup(var.accounts, \"dev\"), \"y\")",
                "arn:aws:iam::111111111111:role/y",
            ),
            ("join(\"-\", [\"a\", terraform.workspace])", "a-default"),
            ("var.env == \"prod\" ? \"p\" : data.x.y.z", "p"),
            ("merge({a = \"1\"}, {a = \"2\"}).a", "2"),
        ];
        for (src, want) in cases {
            assert_eq!(
                e.eval(src, "f.tf", 1).unwrap(),
                Value::String(want.into()),
                "{src}"
            );
        }
    }

    #[test]
    fn the_cause_is_the_first_unknown_reference() {
        let e = env();
        let Err(Unknown::Cause(c)) = e.eval(
            "\"arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/x\"",
            "a.tf",
            3,
        ) else {
            panic!("not a cause");
        };
        assert_eq!(
            c.what,
            "data source `data.aws_caller_identity.current` (read from AWS at plan time)"
        );
        assert_eq!(c.at, Some(("a.tf".into(), 3)));
        let Err(Unknown::Cause(c)) = e.eval("var.missing", "a.tf", 4) else {
            panic!("not a cause");
        };
        assert_eq!(c.what, "variable `missing` is not declared");
    }

    #[test]
    fn locals_resolve_in_order_and_keep_their_cause() {
        let mut e = env();
        let mut srcs = BTreeMap::new();
        let src = |t: &str, line| LocalSrc {
            text: t.into(),
            file: "l.tf".into(),
            line,
        };
        srcs.insert("b".into(), src("\"${local.a}-b\"", 2));
        srcs.insert("a".into(), src("var.env", 1));
        srcs.insert("c".into(), src("module.m.arn", 3));
        srcs.insert("d".into(), src("local.c", 4));
        srcs.insert("e".into(), src("local.f", 5));
        srcs.insert("f".into(), src("local.e", 6));
        e.resolve_locals(&srcs);
        assert_eq!(e.locals["b"], Value::String("prod-b".into()));
        let Some(Unknown::Cause(c)) = e.local_causes.get("d") else {
            panic!()
        };
        assert_eq!(c.at, Some(("l.tf".into(), 3)), "{c:?}");
        assert!(e.local_causes.contains_key("e") && e.local_causes.contains_key("f"));
    }
}
