//! Building a [`Config`] in code.
//!
//! The builders assemble the same raw form the HCL parser produces and run
//! the same validator, so a config built in code is checked exactly like one
//! read from `tfroles.hcl`, with the same messages (minus line numbers).

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::model::Config;
use crate::raw::{Attr, Located, RawBlock, Value};
use crate::validate::validate;

fn set(block: &mut RawBlock, name: &str, value: Value) {
    block.body.attrs.retain(|a| a.name.value != name);
    block.body.attrs.push(Attr {
        name: Located::new(name.to_owned()),
        value: Located::new(value),
    });
}

fn string(s: &str) -> Value {
    Value::Str(s.to_owned())
}

fn strings(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Located::new(string(s))).collect())
}

macro_rules! setters {
    ($($(#[$doc:meta])* $method:ident: $kind:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $method(mut self, value: setters!(@ty $kind)) -> Self {
                set(&mut self.0, stringify!($method), setters!(@val $kind, value));
                self
            }
        )*
    };
    (@ty str) => { &str };
    (@ty strs) => { &[&str] };
    (@ty bool) => { bool };
    (@ty map) => { &[(&str, &str)] };
    (@val str, $v:ident) => { string($v) };
    (@val strs, $v:ident) => { strings($v) };
    (@val bool, $v:ident) => { Value::Bool($v) };
    (@val map, $v:ident) => {
        Value::Map($v.iter().map(|(k, v)| (Located::new((*k).to_owned()), Located::new(string(v)))).collect())
    };
}

/// Builds a [`Config`] in code. See the crate docs for an example.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    blocks: Vec<RawBlock>,
    root: PathBuf,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigBuilder {
    /// An empty configuration rooted at `.`.
    pub fn new() -> Self {
        ConfigBuilder {
            blocks: Vec::new(),
            root: PathBuf::from("."),
        }
    }

    /// The directory stacks are relative to.
    #[must_use]
    pub fn root(mut self, root: impl AsRef<Path>) -> Self {
        self.root = root.as_ref().to_path_buf();
        self
    }

    /// The `defaults` block.
    #[must_use]
    pub fn defaults(mut self, d: DefaultsBuilder) -> Self {
        self.blocks.push(d.0);
        self
    }

    /// An `account "NAME" { id = ID }` block.
    #[must_use]
    pub fn account(mut self, name: &str, id: &str) -> Self {
        let mut b = RawBlock::new("account", &[name]);
        set(&mut b, "id", string(id));
        self.blocks.push(b);
        self
    }

    /// The `state` block.
    #[must_use]
    pub fn state(mut self, s: StateBuilder) -> Self {
        self.blocks.push(s.0);
        self
    }

    /// A `role` block.
    #[must_use]
    pub fn role(mut self, r: RoleBuilder) -> Self {
        self.blocks.push(r.0);
        self
    }

    /// A `stack` block.
    #[must_use]
    pub fn stack(mut self, s: StackBuilder) -> Self {
        self.blocks.push(s.0);
        self
    }

    /// Validates and returns the configuration.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] with every problem, as for a config file.
    pub fn build(self) -> Result<Config> {
        let body = crate::raw::RawBody {
            attrs: Vec::new(),
            blocks: self.blocks,
        };
        validate(&body, Path::new("<builder>"), &self.root)
    }
}

/// The `defaults` block.
#[derive(Debug, Clone)]
pub struct DefaultsBuilder(RawBlock);

impl Default for DefaultsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl DefaultsBuilder {
    /// An empty `defaults` block.
    pub fn new() -> Self {
        DefaultsBuilder(RawBlock::new("defaults", &[]))
    }
    setters! {
        /// `region`.
        region: str,
        /// `session_name`.
        session_name: str,
        /// `duration`, like `"1h"`.
        duration: str,
        /// `credentials`: `"assume_role"` or `"profile"`.
        credentials: str,
        /// `backend_file`.
        backend_file: str,
        /// `providers_file`.
        providers_file: str,
        /// `partition`.
        partition: str,
    }
}

/// The `state` block.
#[derive(Debug, Clone)]
pub struct StateBuilder(RawBlock);

impl StateBuilder {
    /// A `state` block with its required attributes.
    pub fn new(account: &str, bucket: &str, role: &str) -> Self {
        let mut b = RawBlock::new("state", &[]);
        set(&mut b, "account", string(account));
        set(&mut b, "bucket", string(bucket));
        set(&mut b, "role", string(role));
        StateBuilder(b)
    }
    setters! {
        /// `region`.
        region: str,
        /// `key_prefix`.
        key_prefix: str,
        /// `use_lockfile`.
        use_lockfile: bool,
        /// `dynamodb_table`.
        dynamodb_table: str,
        /// `encrypt`.
        encrypt: bool,
        /// `kms_key_id`.
        kms_key_id: str,
        /// `workspace_key_prefix`.
        workspace_key_prefix: str,
    }
}

/// A `role "NAME"` block.
#[derive(Debug, Clone)]
pub struct RoleBuilder(RawBlock);

impl RoleBuilder {
    /// A `role` block; give it `account` or `accounts`.
    pub fn new(name: &str) -> Self {
        RoleBuilder(RawBlock::new("role", &[name]))
    }
    setters! {
        /// `account`.
        account: str,
        /// `accounts`.
        accounts: strs,
        /// `path`.
        path: str,
        /// `external_id`.
        external_id: str,
        /// `session_name`.
        session_name: str,
        /// `duration`.
        duration: str,
        /// `tags`.
        tags: map,
        /// `source_identity`.
        source_identity: str,
    }
}

/// A `stack "PATH"` block.
#[derive(Debug, Clone)]
pub struct StackBuilder(RawBlock);

impl StackBuilder {
    /// A `stack` block with its required attributes.
    pub fn new(path: &str, account: &str, role: &str) -> Self {
        let mut b = RawBlock::new("stack", &[path]);
        set(&mut b, "account", string(account));
        set(&mut b, "role", string(role));
        StackBuilder(b)
    }
    setters! {
        /// `region`.
        region: str,
        /// `allowed_account_ids`: account names or ids.
        allowed_account_ids: strs,
    }

    /// A `provider "ALIAS"` block; `None` fields inherit the stack's.
    #[must_use]
    pub fn provider(
        mut self,
        alias: &str,
        region: Option<&str>,
        account: Option<&str>,
        role: Option<&str>,
    ) -> Self {
        let mut p = RawBlock::new("provider", &[alias]);
        for (name, value) in [("region", region), ("account", account), ("role", role)] {
            if let Some(value) = value {
                set(&mut p, name, string(value));
            }
        }
        self.0.body.blocks.push(p);
        self
    }
}
