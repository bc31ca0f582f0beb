//! Newtypes validated once at the edge.
//!
//! Every value that reaches AWS or Terraform has a type here whose only
//! constructor checks AWS's (or Terraform's) rules, so the rest of the
//! workspace never re-checks a string. A failed check is an [`InvalidValue`]:
//! what is wrong, what is allowed, and a hint where one helps. The config
//! loader adds file, line, block and attribute to it.

use std::fmt;
use std::str::FromStr;

/// Why a value was rejected: the message, what is allowed, and maybe a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidValue {
    /// What is wrong with the value, quoting it.
    pub message: String,
    /// What would have been accepted.
    pub allowed: String,
    /// How to fix it, where there is more to say than `allowed`.
    pub hint: Option<String>,
}

impl InvalidValue {
    fn new(message: impl Into<String>, allowed: impl Into<String>) -> Self {
        InvalidValue {
            message: message.into(),
            allowed: allowed.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The message and what is allowed; the `hint` is data, for whoever prints
/// the error to print after it.
impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; allowed: {}", self.message, self.allowed)
    }
}

impl std::error::Error for InvalidValue {}

/// Quotes a value for a message the way Rust's `{:?}` would, so control
/// characters and quotes in bad input stay visible and cannot break a line.
fn q(value: &str) -> String {
    format!("{value:?}")
}

/// Unicode NFC, the form HCL gives every string literal it reads: two
/// strings are the same to terraform when their NFC forms are equal.
pub fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

/// FNV-1a: a stable, dependency-free hash for short names, the same in
/// every release, so names derived from it do not change.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Unicode's explicit bidirectional formatting characters: they make text
/// display in another order than it is stored ("Trojan Source").
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// AWS's `\w` in IAM and STS patterns is ASCII only.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The validated value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad` so that width and alignment work in tables.
                f.pad(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidValue;
            fn try_from(value: &str) -> Result<Self, InvalidValue> {
                value.parse()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

string_newtype! {
    /// A 12-digit AWS account id.
    AccountId
}

impl FromStr for AccountId {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountId(s.to_owned()))
        } else {
            let err = InvalidValue::new(
                format!("{} is not an AWS account id", q(s)),
                "exactly 12 digits",
            );
            Err(if s.bytes().all(|b| b.is_ascii_digit()) && s.len() < 12 {
                err.hint("account ids keep their leading zeros: write the id as a quoted string of 12 digits")
            } else {
                err
            })
        }
    }
}

string_newtype! {
    /// The name of an `account` block: how the rest of the config refers to it.
    AccountName
}

impl FromStr for AccountName {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        // Account names end up in profile names and in command lines written
        // into the AWS config file, so they stay within shell-safe characters.
        let ok = (1..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars().all(|c| is_word(c) || c == '-' || c == '.');
        if ok {
            Ok(AccountName(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a valid account name", q(s)),
                "1 to 64 characters of letters, digits, `_`, `-` and `.`, starting with a letter or digit",
            ))
        }
    }
}

string_newtype! {
    /// An IAM role name: 1 to 64 characters of `[\w+=,.@-]`.
    RoleName
}

impl FromStr for RoleName {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok =
            (1..=64).contains(&s.len()) && s.chars().all(|c| is_word(c) || "+=,.@-".contains(c));
        if ok {
            Ok(RoleName(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a valid IAM role name", q(s)),
                "1 to 64 characters of letters, digits and `+=,.@_-`",
            ))
        }
    }
}

string_newtype! {
    /// An IAM path: `/` alone, or `/`-delimited segments starting and ending
    /// with `/`, at most 512 characters of printable ASCII.
    IamPath
}

impl Default for IamPath {
    fn default() -> Self {
        IamPath("/".to_owned())
    }
}

impl FromStr for IamPath {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=512).contains(&s.len())
            && s.starts_with('/')
            && s.ends_with('/')
            && !s.contains("//")
            && s.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
        if ok {
            Ok(IamPath(s.to_owned()))
        } else {
            let err = InvalidValue::new(
                format!("{} is not a valid IAM path", q(s)),
                "`/`, or segments of printable ASCII that start and end with `/` (like `/terraform/`), at most 512 characters",
            );
            // `terraform/` or `/terraform`: say what was probably meant.
            let fixed = format!("/{}/", s.trim_matches('/'));
            Err(
                if fixed != s && fixed != "//" && fixed.parse::<IamPath>().is_ok() {
                    err.hint(format!("write {}", q(&fixed)))
                } else {
                    err
                },
            )
        }
    }
}

string_newtype! {
    /// An STS external id: 2 to 1224 characters of `[\w+=,.@:/-]`.
    ExternalId
}

impl FromStr for ExternalId {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok = (2..=1224).contains(&s.len())
            && s.chars().all(|c| is_word(c) || "+=,.@:/-".contains(c));
        if ok {
            Ok(ExternalId(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a valid external id", q(s)),
                "2 to 1224 characters of letters, digits and `+=,.@:/_-`",
            ))
        }
    }
}

string_newtype! {
    /// An STS role session name: 2 to 64 characters of `[\w+=,.@-]`.
    SessionName
}

impl FromStr for SessionName {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok =
            (2..=64).contains(&s.len()) && s.chars().all(|c| is_word(c) || "+=,.@-".contains(c));
        if ok {
            Ok(SessionName(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a valid session name", q(s)),
                "2 to 64 characters of letters, digits and `+=,.@_-`",
            ))
        }
    }
}

string_newtype! {
    /// An STS source identity: like a session name, but not starting with `aws:`.
    SourceIdentity
}

impl FromStr for SourceIdentity {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok = (2..=64).contains(&s.len())
            && s.chars().all(|c| is_word(c) || "+=,.@-".contains(c))
            && !s.to_ascii_lowercase().starts_with("aws:");
        if ok {
            Ok(SourceIdentity(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a valid source identity", q(s)),
                "2 to 64 characters of letters, digits and `+=,.@_-`",
            ))
        }
    }
}

string_newtype! {
    /// An AWS region name such as `us-east-1`.
    Region
}

impl FromStr for Region {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        // Regions keep appearing; check the shape (`xx-name-N`, optionally
        // with a `-gov`/`-iso` style infix) rather than a list that ages.
        let parts: Vec<&str> = s.split('-').collect();
        let ok = parts.len() >= 3
            && s.len() <= 32
            && parts[0].len() == 2
            && parts[0].bytes().all(|b| b.is_ascii_lowercase())
            && parts[1..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && !parts[parts.len() - 1].is_empty();
        if ok {
            Ok(Region(s.to_owned()))
        } else {
            let err = InvalidValue::new(
                format!("{} is not an AWS region", q(s)),
                "a region name like `us-east-1`, `eu-central-2` or `us-gov-west-1`",
            );
            let lower = s.to_ascii_lowercase();
            Err(if lower != s && lower.parse::<Region>().is_ok() {
                err.hint(format!("region names are lowercase: write {}", q(&lower)))
            } else {
                err
            })
        }
    }
}

string_newtype! {
    /// An S3 bucket name, by S3's naming rules for general purpose buckets.
    BucketName
}

impl FromStr for BucketName {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let allowed = "3 to 63 characters of lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, not shaped like an IP address";
        let bad = |why: &str| {
            Err(InvalidValue::new(
                format!("{} is not a valid S3 bucket name: {why}", q(s)),
                allowed,
            ))
        };
        if !(3..=63).contains(&s.len()) {
            return bad("wrong length");
        }
        if let Some(c) = s
            .chars()
            .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'))
        {
            return bad(&format!("it has {c:?}, which S3 does not allow"));
        }
        let edge = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if !edge(s.as_bytes()[0]) || !edge(s.as_bytes()[s.len() - 1]) {
            return bad("it must start and end with a letter or digit");
        }
        if s.contains("..") {
            return bad("two adjacent periods");
        }
        if s.parse::<std::net::Ipv4Addr>().is_ok() {
            return bad("it is formatted as an IP address");
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
            if s.starts_with(prefix) {
                return bad(&format!("the prefix `{prefix}` is reserved"));
            }
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
            if s.ends_with(suffix) {
                return bad(&format!("the suffix `{suffix}` is reserved"));
            }
        }
        Ok(BucketName(s.to_owned()))
    }
}

string_newtype! {
    /// A file name (no directory part) for a generated file, ending in `.tf`.
    TfFileName
}

impl FromStr for TfFileName {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok = s.len() > 3
            && s.ends_with(".tf")
            && !s.starts_with('.')
            && !s.contains(['/', '\\'])
            && !s.chars().any(char::is_control);
        if ok {
            Ok(TfFileName(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a usable file name", q(s)),
                "a plain file name ending in `.tf`, without a directory, not starting with `.`",
            ))
        }
    }
}

string_newtype! {
    /// The alias of an aliased `provider "aws"`: a Terraform identifier.
    ProviderAlias
}

impl FromStr for ProviderAlias {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| is_word(c) || c == '-');
        if ok {
            Ok(ProviderAlias(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a valid provider alias", q(s)),
                "a Terraform identifier: letters, digits, `_` and `-`, starting with a letter or `_`",
            )
            .hint(format!(
                "stacks refer to it as `aws.{}`, so it must be an identifier",
                s.replace(|c: char| !is_word(c), "_")
            )))
        }
    }
}

string_newtype! {
    /// An S3 key prefix (`key_prefix`, `workspace_key_prefix`): no leading or
    /// trailing `/`, no `//`, as terraform's s3 backend requires.
    KeyPrefix
}

impl FromStr for KeyPrefix {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let allowed =
            "a non-empty S3 key prefix that neither starts nor ends with `/` and has no `//`";
        if s.is_empty() || s.starts_with('/') || s.ends_with('/') || s.contains("//") {
            let err = InvalidValue::new(format!("{} is not a valid key prefix", q(s)), allowed);
            let trimmed = s.trim_matches('/');
            return Err(if !trimmed.is_empty() && !trimmed.contains("//") {
                err.hint(format!("write {}", q(trimmed)))
            } else {
                err
            });
        }
        if s.len() > 512 || s.chars().any(char::is_control) {
            return Err(InvalidValue::new(
                format!("{} is not a valid key prefix", q(s)),
                "at most 512 characters, no control characters",
            ));
        }
        // Terraform reads string literals in NFC; keeping the model in NFC
        // makes the key tfroles computes the key terraform uses.
        Ok(KeyPrefix(nfc(s)))
    }
}

string_newtype! {
    /// A stack directory relative to the config file, `/`-separated,
    /// normalised: no `.` or `..` components, no empty components.
    StackPath
}

impl FromStr for StackPath {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let allowed = "a directory relative to tfroles.hcl, like `production/public-api`, with `/` separators and no `.` or `..` parts";
        let bad = |why: &str| {
            Err(InvalidValue::new(
                format!("{} is not a valid stack path: {why}", q(s)),
                allowed,
            ))
        };
        if s.is_empty() {
            return bad("it is empty");
        }
        if s.starts_with('/') {
            return bad("it is absolute");
        }
        if s.contains('\\') {
            return bad("it contains `\\`");
        }
        if s.chars().any(char::is_control) {
            return bad("it contains a control character");
        }
        if s.chars().any(is_bidi_control) {
            return bad("it contains a bidirectional control character (U+202E and its kind)");
        }
        for part in s.split('/') {
            match part {
                "" => return bad("it has an empty part (`//` or a trailing `/`)"),
                "." | ".." => return bad("it has a `.` or `..` part"),
                // File systems refuse longer names; found here, not half-way
                // through writing the stacks.
                p if p.len() > 255 => {
                    return bad(&format!(
                        "a part is {} bytes long, and file systems allow 255",
                        p.len()
                    ));
                }
                _ => {}
            }
        }
        Ok(StackPath(s.to_owned()))
    }
}

string_newtype! {
    /// An MFA device: its serial number or ARN, 9 to 256 characters of
    /// `[\w+=/:,.@-]`.
    MfaSerial
}

impl FromStr for MfaSerial {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok =
            (9..=256).contains(&s.len()) && s.chars().all(|c| is_word(c) || "+=/:,.@-".contains(c));
        if ok {
            Ok(MfaSerial(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not an MFA device serial number or ARN", q(s)),
                "9 to 256 characters of letters, digits and `+=/:,.@_-`, like `arn:aws:iam::111111111111:mfa/alice`",
            ))
        }
    }
}

string_newtype! {
    /// A DynamoDB lock table's name: 3 to 255 characters of letters,
    /// digits, `_`, `.` and `-`.
    LockTable
}

impl FromStr for LockTable {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok = (3..=255).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if ok {
            Ok(LockTable(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a valid DynamoDB table name", q(s)),
                "3 to 255 characters of letters, digits, `_`, `.` and `-`",
            ))
        }
    }
}

string_newtype! {
    /// A KMS key as the s3 backend takes it: a key ARN, key id, alias ARN
    /// or `alias/NAME` (1 to 2048 characters, no whitespace or control
    /// characters; KMS itself tells the forms apart).
    KmsKeyId
}

impl FromStr for KmsKeyId {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok = !s.is_empty()
            && s.len() <= 2048
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(KmsKeyId(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not a KMS key id", q(s)),
                "a key ARN, key id, alias ARN or `alias/NAME`",
            ))
        }
    }
}

// The backend settings are passed through to terraform as written, and
// read as text (`state.dynamodb_table.as_deref()`) where that is all a
// caller needs: the check is in the constructor, so reading cannot break it.
impl std::ops::Deref for LockTable {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for KmsKeyId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

string_newtype! {
    /// An AWS service principal a role may trust, like `ec2.amazonaws.com`.
    ServicePrincipal
}

impl FromStr for ServicePrincipal {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let ok = s.ends_with(".amazonaws.com")
            && s.len() > ".amazonaws.com".len()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(c));
        if ok {
            Ok(ServicePrincipal(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not an AWS service principal", q(s)),
                "like `ec2.amazonaws.com` or `ecs-tasks.amazonaws.com`",
            ))
        }
    }
}

string_newtype! {
    /// An IAM principal ARN: a user or role (with its path), or an
    /// account's root.
    PrincipalArn
}

impl PrincipalArn {
    /// The root principal of an account: the whole account.
    pub fn root(partition: Partition, account: &AccountId) -> Self {
        PrincipalArn(format!("arn:{partition}:iam::{account}:root"))
    }

    /// Whether this is an account's root rather than a user or role.
    pub(crate) fn is_root(&self) -> bool {
        self.0.ends_with(":root")
    }
}

impl FromStr for PrincipalArn {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let ok = match parts[..] {
            [prefix, partition, service, region, account, resource] => {
                let name_ok = |kind: &str| {
                    resource
                        .strip_prefix(kind)
                        .and_then(|r| r.strip_prefix('/'))
                        .is_some_and(|name| {
                            !name.is_empty()
                                && !name.ends_with('/')
                                && name
                                    .chars()
                                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
                        })
                };
                prefix == "arn"
                    && partition.parse::<Partition>().is_ok()
                    && service == "iam"
                    && region.is_empty()
                    && account.len() == 12
                    && account.bytes().all(|c| c.is_ascii_digit())
                    && (resource == "root" || name_ok("user") || name_ok("role"))
            }
            _ => false,
        };
        if ok {
            Ok(PrincipalArn(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                format!("{} is not an IAM principal ARN", q(s)),
                "`arn:<partition>:iam::<12-digit account>:user/<path/><name>`, `...:role/<path/><name>` or `...:root`",
            ))
        }
    }
}

/// Where a CI job's OIDC identity token comes from, for
/// AssumeRoleWithWebIdentity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WebIdentitySource {
    /// GitHub Actions: requested from `ACTIONS_ID_TOKEN_REQUEST_URL` with
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, for this audience.
    #[serde(rename = "github")]
    GitHub {
        /// The `aud` to request (`sts.amazonaws.com` by default).
        audience: String,
    },
    /// HCP Terraform: `TFC_WORKLOAD_IDENTITY_TOKEN`.
    TerraformCloud,
    /// A variable holding the token (GitLab's `id_tokens:` and others).
    Env {
        /// The variable.
        var: String,
    },
    /// A file holding the token.
    File {
        /// The file.
        path: std::path::PathBuf,
    },
}

impl WebIdentitySource {
    /// The default GitHub audience, the one AWS's own action requests.
    pub const GITHUB_AUDIENCE: &'static str = "sts.amazonaws.com";

    /// Parses `github`, `terraform-cloud`, `env:VAR` or `file:PATH`; the
    /// audience applies to `github` only.
    ///
    /// # Errors
    /// An [`InvalidValue`] listing the accepted forms.
    pub fn parse(s: &str, audience: Option<&str>) -> Result<Self, InvalidValue> {
        let audience = audience.unwrap_or(Self::GITHUB_AUDIENCE).to_owned();
        match s {
            "github" => Ok(WebIdentitySource::GitHub { audience }),
            "terraform-cloud" | "hcp-terraform" => Ok(WebIdentitySource::TerraformCloud),
            _ => match s.split_once(':') {
                Some(("env", var)) if !var.is_empty() && var.chars().all(is_word) => {
                    Ok(WebIdentitySource::Env {
                        var: var.to_owned(),
                    })
                }
                Some(("file", path)) if !path.is_empty() => Ok(WebIdentitySource::File {
                    path: std::path::PathBuf::from(path),
                }),
                _ => Err(InvalidValue::new(
                    format!("{} is not a web identity source", q(s)),
                    "`github`, `terraform-cloud`, `env:VAR` or `file:PATH`",
                )),
            },
        }
    }

    /// How messages name it.
    pub fn describe(&self) -> String {
        match self {
            WebIdentitySource::GitHub { audience } => format!("github (audience {audience})"),
            WebIdentitySource::TerraformCloud => {
                "terraform-cloud (TFC_WORKLOAD_IDENTITY_TOKEN)".into()
            }
            WebIdentitySource::Env { var } => format!("env:{var}"),
            WebIdentitySource::File { path } => format!("file:{}", path.display()),
        }
    }
}

/// An AWS partition: the first field of every ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum Partition {
    /// `aws`, the commercial regions.
    #[default]
    #[serde(rename = "aws")]
    Aws,
    /// `aws-cn`, the China regions.
    #[serde(rename = "aws-cn")]
    AwsCn,
    /// `aws-us-gov`, GovCloud (US).
    #[serde(rename = "aws-us-gov")]
    AwsUsGov,
}

impl Partition {
    /// The partition as it is written in ARNs.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Partition {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "aws" => Ok(Partition::Aws),
            "aws-cn" => Ok(Partition::AwsCn),
            "aws-us-gov" => Ok(Partition::AwsUsGov),
            _ => Err(InvalidValue::new(
                format!("{} is not an AWS partition", q(s)),
                "`aws`, `aws-cn` or `aws-us-gov`",
            )),
        }
    }
}

/// How generated blocks get their credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialsMode {
    /// Terraform assumes the roles itself (`assume_role` in every block).
    #[default]
    AssumeRole,
    /// Blocks name a profile in a generated AWS config file whose
    /// `credential_process` runs `tfroles credential-process`.
    Profile,
}

impl FromStr for CredentialsMode {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "assume_role" => Ok(CredentialsMode::AssumeRole),
            "profile" => Ok(CredentialsMode::Profile),
            _ => Err(InvalidValue::new(
                format!("{} is not a credentials mode", q(s)),
                "`assume_role` (terraform assumes the roles) or `profile` (terraform runs `tfroles credential-process`)",
            )),
        }
    }
}

/// What the state role's `s3:ListBucket` covers (`state { list_scope }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListScope {
    /// The whole bucket, with no `s3:prefix` condition. S3 answers a
    /// missing key with 404 only to a caller with `s3:ListBucket`, and
    /// whether it honours an `s3:prefix` condition in that check is
    /// documented nowhere: this is the form known to keep a new stack's
    /// first `init` working. It reveals key names, which are the stack
    /// paths `tfroles.hcl` lists anyway.
    #[default]
    Bucket,
    /// Only the workspace listing prefix and the state keys, by an
    /// `s3:prefix` condition: narrower, but a new stack's first `init` may
    /// get 403 on AWS if S3 does not apply the condition to its 404 check.
    StateKeys,
}

impl FromStr for ListScope {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "bucket" => Ok(ListScope::Bucket),
            "state_keys" => Ok(ListScope::StateKeys),
            _ => Err(InvalidValue::new(
                format!("{} is not a list scope", q(s)),
                "`bucket` (the default: `s3:ListBucket` on the state bucket) or `state_keys` (narrowed by an `s3:prefix` condition; see docs/least-privilege.md for its risk)",
            )),
        }
    }
}

/// A session duration between 15 minutes and 12 hours, in whole seconds.
///
/// Written in the config and in generated files as a Go duration string
/// (`1h`, `90m`, `1h30m`), which is what terraform's `duration` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u32);

impl Duration {
    /// The shortest session STS grants.
    pub const MIN: Duration = Duration(900);
    /// The longest session STS grants (and only if the role allows it).
    pub const MAX: Duration = Duration(43_200);
    /// STS's default, and tfroles'.
    pub const ONE_HOUR: Duration = Duration(3600);

    /// Builds a duration from seconds, checking the STS range.
    ///
    /// # Errors
    /// When `secs` is outside 900..=43200.
    pub fn from_secs(secs: u32) -> Result<Self, InvalidValue> {
        if (Self::MIN.0..=Self::MAX.0).contains(&secs) {
            Ok(Duration(secs))
        } else {
            Err(InvalidValue::new(
                format!("{} is outside the range STS accepts", Duration(secs)),
                "15m to 12h",
            ))
        }
    }

    /// The duration in seconds.
    pub fn as_secs(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Duration {
    /// The shortest Go duration string for the value (`1h`, `1h30m`, `45m10s`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 % 3600 / 60, self.0 % 60);
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 || self.0 == 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

impl FromStr for Duration {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let syntax = || {
            InvalidValue::new(
                format!("{} is not a duration", q(s)),
                "a duration like `15m`, `1h`, `1h30m` or `3600s`, from 15m to 12h",
            )
        };
        if s.is_empty() {
            return Err(syntax());
        }
        let mut total: u64 = 0;
        let mut rest = s;
        let mut last_unit = u64::MAX;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 6 {
                return Err(syntax());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| syntax())?;
            rest = &rest[digits..];
            let unit = match rest.as_bytes().first() {
                Some(b'h') => 3600,
                Some(b'm') => 60,
                Some(b's') => 1,
                _ => return Err(syntax()),
            };
            // Units must come in decreasing order and once each, as people
            // write them; `30m1h` is far more likely a typo than intent.
            if unit >= last_unit {
                return Err(syntax());
            }
            last_unit = unit;
            rest = &rest[1..];
            total += n * unit;
        }
        let secs = u32::try_from(total).unwrap_or(u32::MAX);
        Duration::from_secs(secs).map_err(|e| {
            e.hint("STS grants sessions of 15 minutes to 12 hours (and no more than the role's MaxSessionDuration)")
        })
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Session tags passed to AssumeRole, validated by STS's limits: at most 50,
/// keys 1-128 and values 0-256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`,
/// keys unique regardless of case. Kept in the order written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionTags(Vec<(String, String)>);

impl serde::Serialize for SessionTags {
    /// As an object, the way the tags are written in HCL and JSON policies.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl SessionTags {
    /// Validates a list of tags.
    ///
    /// # Errors
    /// On too many tags, a bad key or value, or a key given twice.
    pub fn new(tags: Vec<(String, String)>) -> Result<Self, InvalidValue> {
        let allowed = "at most 50 tags; keys of 1 to 128 and values of up to 256 letters, digits, spaces and `_.:/=+-@`";
        if tags.len() > 50 {
            return Err(InvalidValue::new(
                format!("{} session tags are more than STS accepts", tags.len()),
                allowed,
            ));
        }
        let ok_char = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in &tags {
            if !(1..=128).contains(&k.chars().count()) || !k.chars().all(ok_char) {
                return Err(InvalidValue::new(
                    format!("{} is not a valid session tag key", q(k)),
                    allowed,
                ));
            }
            if k.to_ascii_lowercase().starts_with("aws:") {
                return Err(InvalidValue::new(
                    format!("session tag key {} uses the reserved prefix `aws:`", q(k)),
                    allowed,
                ));
            }
            if v.chars().count() > 256 || !v.chars().all(ok_char) {
                return Err(InvalidValue::new(
                    format!("{} is not a valid value for session tag {}", q(v), q(k)),
                    allowed,
                ));
            }
            let lower = k.to_lowercase();
            if seen.contains(&lower) {
                return Err(InvalidValue::new(
                    format!("session tag key {} is given twice", q(k)),
                    allowed,
                )
                .hint("STS compares tag keys without regard to case"));
            }
            seen.push(lower);
        }
        Ok(SessionTags(
            tags.into_iter().map(|(k, v)| (nfc(&k), nfc(&v))).collect(),
        ))
    }

    /// The tags, in the order written.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether there are no tags.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many tags.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// A terraform workspace name, as terraform itself accepts it: the name
/// must equal its own URL path escape (terraform's `validWorkspaceName`),
/// so ASCII letters, digits and `-_.~$&+:=@` only, which also keeps it one
/// part of the S3 key `<workspace_key_prefix>/<workspace>/<key>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    /// Terraform's own workspace, the one with the state at `<key>`.
    pub const DEFAULT: &'static str = "default";

    /// The validated name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the `default` workspace.
    pub fn is_default(&self) -> bool {
        self.0 == Self::DEFAULT
    }
}

impl fmt::Display for WorkspaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl AsRef<str> for WorkspaceName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for WorkspaceName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl FromStr for WorkspaceName {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let allowed = "a terraform workspace name: 1 to 128 ASCII letters, digits and `-_.~$&+:=@` (terraform refuses any name that would need escaping in a URL path, `/` included)";
        let ok = (1..=128).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~$&+:=@".contains(&b));
        if ok {
            return Ok(WorkspaceName(s.to_owned()));
        }
        let err = InvalidValue::new(format!("{} is not a valid workspace name", q(s)), allowed);
        let fixed: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.~$&+:=@".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        Err(if s.is_empty() || fixed.len() > 128 {
            err
        } else {
            err.hint(format!(
                "`terraform workspace new` would refuse it too; for example {}",
                q(&fixed)
            ))
        })
    }
}

/// Tags the aws provider puts on every resource it creates
/// (`default_tags { tags = {...} }`), in the order written: keys of 1 to
/// 128 characters not starting with `aws:`, values of up to 256, no
/// control characters, no key twice (resource tag keys are case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DefaultTags(Vec<(String, String)>);

impl serde::Serialize for DefaultTags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl DefaultTags {
    /// Validates a list of tags.
    ///
    /// # Errors
    /// On a bad key or value, or a key given twice.
    pub fn new(tags: Vec<(String, String)>) -> Result<Self, InvalidValue> {
        let allowed = "keys of 1 to 128 characters not starting with `aws:`, values of up to 256, no control characters";
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in &tags {
            if !(1..=128).contains(&k.chars().count()) || k.chars().any(char::is_control) {
                return Err(
                    InvalidValue::new(format!("{} is not a valid tag key", q(k)), allowed)
                        .hint("AWS tag keys are 1 to 128 characters"),
                );
            }
            if k.to_ascii_lowercase().starts_with("aws:") {
                return Err(InvalidValue::new(
                    format!(
                        "tag key {} uses the prefix `aws:`, which AWS reserves",
                        q(k)
                    ),
                    allowed,
                )
                .hint("AWS refuses to create a resource with such a tag; rename the key"));
            }
            if v.chars().count() > 256 || v.chars().any(char::is_control) {
                return Err(InvalidValue::new(
                    format!("the value of tag {} is not a valid tag value", q(k)),
                    allowed,
                )
                .hint("AWS tag values are at most 256 characters on one line"));
            }
            let k = nfc(k);
            if seen.contains(&k) {
                return Err(InvalidValue::new(
                    format!("tag key {} is given twice", q(&k)),
                    allowed,
                )
                .hint("remove one of them"));
            }
            seen.push(k);
        }
        Ok(DefaultTags(
            tags.into_iter().map(|(k, v)| (nfc(&k), nfc(&v))).collect(),
        ))
    }

    /// `self` with `over` laid over it, key by key: keys of `over` replace
    /// the same keys here in place, new keys come after.
    #[must_use]
    pub fn merged(&self, over: &DefaultTags) -> DefaultTags {
        let mut out = self.0.clone();
        for (k, v) in &over.0 {
            match out.iter_mut().find(|(ok, _)| ok == k) {
                Some(slot) => slot.1 = v.clone(),
                None => out.push((k.clone(), v.clone())),
            }
        }
        DefaultTags(out)
    }

    /// The tags, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether there are no tags.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many tags.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// An IAM role ARN: `arn:<partition>:iam::<account>:role<path><name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleArn(String);

impl RoleArn {
    /// Builds the ARN of a role from its parts, which are valid by type.
    pub fn new(partition: Partition, account: &AccountId, path: &IamPath, name: &RoleName) -> Self {
        RoleArn(format!(
            "arn:{partition}:iam::{account}:role{path}{name}",
            path = path.as_str()
        ))
    }

    /// The ARN text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The account id in the ARN.
    pub fn account_id(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }
}

impl AsRef<str> for RoleArn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for RoleArn {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let bad = || {
            Err(InvalidValue::new(
                format!("{} is not an IAM role ARN", q(s)),
                "`arn:<partition>:iam::<12-digit account>:role/<path/><name>`",
            ))
        };
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[3].is_empty() {
            return bad();
        }
        let (Ok(partition), Ok(account)) =
            (parts[1].parse::<Partition>(), parts[4].parse::<AccountId>())
        else {
            return bad();
        };
        let Some(rest) = parts[5].strip_prefix("role") else {
            return bad();
        };
        let Some(slash) = rest.rfind('/') else {
            return bad();
        };
        let (Ok(path), Ok(name)) = (
            rest[..=slash].parse::<IamPath>(),
            rest[slash + 1..].parse::<RoleName>(),
        ) else {
            return bad();
        };
        Ok(RoleArn::new(partition, &account, &path, &name))
    }
}

impl serde::Serialize for RoleArn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference test suite: names derived from it must not
        // change between releases.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn nfc_composes() {
        assert_eq!(nfc("e\u{301}"), "\u{e9}");
    }

    #[test]
    fn durations_parse_and_print_as_go_durations() {
        for (text, secs, shown) in [
            ("1h", 3600, "1h"),
            ("15m", 900, "15m"),
            ("90m", 5400, "1h30m"),
            ("1h30m", 5400, "1h30m"),
            ("3600s", 3600, "1h"),
            ("12h", 43200, "12h"),
            ("1h0m1s", 3601, "1h1s"),
        ] {
            let d: Duration = text.parse().unwrap();
            assert_eq!(d.as_secs(), secs, "{text}");
            assert_eq!(d.to_string(), shown, "{text}");
        }
    }

    #[test]
    fn durations_outside_sts_range_or_malformed_are_rejected() {
        for bad in [
            "14m59s", "12h1s", "0s", "", "1", "h", "1d", "30m1h", "1h1h", "1.5h", "-1h", " 1h",
            "9999999h",
        ] {
            assert!(
                bad.parse::<Duration>().is_err(),
                "{bad:?} should be rejected"
            );
        }
        let err = "13h".parse::<Duration>().unwrap_err();
        assert_eq!(err.message, "13h is outside the range STS accepts");
        assert_eq!(err.allowed, "15m to 12h");
    }

    #[test]
    fn account_ids_are_exactly_twelve_digits() {
        assert!("012345678901".parse::<AccountId>().is_ok());
        let err = "12345678901".parse::<AccountId>().unwrap_err();
        assert!(err.hint.unwrap().contains("leading zeros"));
        for bad in [
            "1234567890123",
            "12345678901a",
            "",
            "１２３４５６７８９０１２",
        ] {
            assert!(bad.parse::<AccountId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn role_names_follow_iam_rules() {
        assert!("public-api+x=y,z.w@v_1".parse::<RoleName>().is_ok());
        assert!("a".repeat(64).parse::<RoleName>().is_ok());
        for bad in ["", &"a".repeat(65), "has space", "slash/no", "é"] {
            assert!(bad.parse::<RoleName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn session_names_external_ids_and_source_identities_follow_sts_rules() {
        assert!("ab".parse::<SessionName>().is_ok());
        assert!("a".parse::<SessionName>().is_err());
        assert!("a".repeat(65).parse::<SessionName>().is_err());
        assert!("tf:state/x".parse::<ExternalId>().is_ok());
        assert!("x".parse::<ExternalId>().is_err());
        assert!("has space".parse::<ExternalId>().is_err());
        assert!("aws:me".parse::<SourceIdentity>().is_err());
        assert!("alice@example.com".parse::<SourceIdentity>().is_ok());
    }

    #[test]
    fn iam_paths() {
        for ok in ["/", "/terraform/", "/a/b-c/"] {
            assert!(ok.parse::<IamPath>().is_ok(), "{ok}");
        }
        for bad in ["", "terraform/", "/terraform", "//", "/a//b/", "/é/"] {
            assert!(bad.parse::<IamPath>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        assert!("acme-terraform-state".parse::<BucketName>().is_ok());
        assert!("a.b-c1".parse::<BucketName>().is_ok());
        for bad in [
            "ab",
            "Acme",
            "acme_state",
            "-acme",
            "acme-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
            &"a".repeat(64),
        ] {
            assert!(bad.parse::<BucketName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-4",
            "eu-isoe-west-1",
        ] {
            assert!(ok.parse::<Region>().is_ok(), "{ok}");
        }
        for bad in ["", "us-east", "US-east-1", "useast1", "us--1", "us-east-1a"] {
            assert!(bad.parse::<Region>().is_err(), "{bad}");
        }
    }

    #[test]
    fn role_arns_in_every_partition_round_trip() {
        for p in [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov] {
            let arn = RoleArn::new(
                p,
                &"111111111111".parse().unwrap(),
                &"/terraform/".parse().unwrap(),
                &"dns".parse().unwrap(),
            );
            assert_eq!(
                arn.as_str(),
                format!("arn:{p}:iam::111111111111:role/terraform/dns")
            );
            assert_eq!(arn.as_str().parse::<RoleArn>().unwrap(), arn);
            assert_eq!(arn.account_id(), "111111111111");
        }
        for bad in [
            "",
            "arn:aws:iam::1:role/x",
            "arn:aws:s3:::b",
            "arn:aws:iam::111111111111:user/x",
            "arn:aws:iam::111111111111:role/",
        ] {
            assert!(bad.parse::<RoleArn>().is_err(), "{bad}");
        }
    }

    #[test]
    fn web_identity_sources_parse() {
        assert_eq!(
            WebIdentitySource::parse("github", None).unwrap(),
            WebIdentitySource::GitHub {
                audience: "sts.amazonaws.com".into()
            }
        );
        assert_eq!(
            WebIdentitySource::parse("github", Some("my-aud")).unwrap(),
            WebIdentitySource::GitHub {
                audience: "my-aud".into()
            }
        );
        assert_eq!(
            WebIdentitySource::parse("env:GITLAB_OIDC", None).unwrap(),
            WebIdentitySource::Env {
                var: "GITLAB_OIDC".into()
            }
        );
        assert_eq!(
            WebIdentitySource::parse("file:/t", None).unwrap(),
            WebIdentitySource::File { path: "/t".into() }
        );
        assert!(
            WebIdentitySource::parse("gitlab", None)
                .unwrap_err()
                .allowed
                .contains("`env:VAR`")
        );
        assert!(WebIdentitySource::parse("env:", None).is_err());
        assert!(WebIdentitySource::parse("env:A B", None).is_err());
    }

    #[test]
    fn mfa_serials() {
        assert!(
            "arn:aws:iam::111111111111:mfa/alice"
                .parse::<MfaSerial>()
                .is_ok()
        );
        assert!("GAHT12345678".parse::<MfaSerial>().is_ok());
        assert!("short".parse::<MfaSerial>().is_err());
        assert!("has space in it".parse::<MfaSerial>().is_err());
    }

    #[test]
    fn session_tags() {
        let ok = SessionTags::new(vec![
            ("team".into(), "api".into()),
            ("Cost Center".into(), "".into()),
        ])
        .unwrap();
        assert_eq!(ok.len(), 2);
        let dup = SessionTags::new(vec![
            ("Team".into(), "a".into()),
            ("team".into(), "b".into()),
        ])
        .unwrap_err();
        assert_eq!(dup.message, "session tag key \"team\" is given twice");
        assert!(SessionTags::new(vec![("aws:x".into(), "a".into())]).is_err());
        assert!(SessionTags::new(vec![("k".into(), "a\"b".into())]).is_err());
        assert!(
            SessionTags::new((0..51).map(|i| (format!("k{i}"), String::new())).collect()).is_err()
        );
    }

    #[test]
    fn stack_paths_and_key_prefixes() {
        for ok in ["production/public-api", "a", "${x}/%{y}/\"q\"/é"] {
            assert!(ok.parse::<StackPath>().is_ok(), "{ok}");
        }
        for bad in ["", "/abs", "a//b", "a/", "./a", "a/../b", "a\\b", "a\nb"] {
            assert!(bad.parse::<StackPath>().is_err(), "{bad:?}");
        }
        assert!("terraform".parse::<KeyPrefix>().is_ok());
        let err = "/terraform/".parse::<KeyPrefix>().unwrap_err();
        assert_eq!(err.hint.as_deref(), Some("write \"terraform\""));
        assert!("a//b".parse::<KeyPrefix>().is_err());
    }

    #[test]
    fn lock_tables_kms_keys_and_service_principals() {
        for ok in ["abc", "tf-locks", "a.b_c-1"] {
            assert_eq!(ok.parse::<LockTable>().unwrap().as_str(), ok);
        }
        for bad in ["ab", "has space", "semi;colon", &"x".repeat(256)] {
            let e = bad.parse::<LockTable>().unwrap_err();
            assert!(
                e.message.ends_with("is not a valid DynamoDB table name"),
                "{e}"
            );
        }
        for ok in [
            "alias/state",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111111111111:key/1234abcd",
        ] {
            assert_eq!(ok.parse::<KmsKeyId>().unwrap().as_str(), ok);
        }
        for bad in ["", "has space", "tab\tkey", &"k".repeat(2049)] {
            assert!(bad.parse::<KmsKeyId>().is_err(), "{bad:?}");
        }
        for ok in ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"] {
            assert!(ok.parse::<ServicePrincipal>().is_ok(), "{ok}");
        }
        for bad in [
            ".amazonaws.com",
            "EC2.amazonaws.com",
            "ec2.amazonaws.co",
            "ec2",
        ] {
            assert!(bad.parse::<ServicePrincipal>().is_err(), "{bad}");
        }
    }

    #[test]
    fn principal_arns() {
        for ok in [
            "arn:aws:iam::111111111111:user/alice",
            "arn:aws:iam::111111111111:role/ci/deployer",
            "arn:aws-us-gov:iam::111111111111:root",
        ] {
            assert_eq!(ok.parse::<PrincipalArn>().unwrap().as_str(), ok);
        }
        assert!(
            "arn:aws:iam::111111111111:root"
                .parse::<PrincipalArn>()
                .unwrap()
                .is_root()
        );
        assert!(
            !"arn:aws:iam::111111111111:user/root"
                .parse::<PrincipalArn>()
                .unwrap()
                .is_root()
        );
        for bad in [
            "arn:aws:iam::111111111111:user/",
            "arn:aws:iam::111111111111:role/x/",
            "arn:aws:iam::11111111111:user/alice",
            "arn:aws:iam:us-east-1:111111111111:user/alice",
            "arn:aws:sts::111111111111:assumed-role/x/y",
            "arn:nope:iam::111111111111:user/alice",
            "arn:aws:iam::111111111111:group/admins",
            "arn:aws:iam::111111111111:user/al ice",
        ] {
            assert!(bad.parse::<PrincipalArn>().is_err(), "{bad}");
        }
        let id: AccountId = "111111111111".parse().unwrap();
        assert_eq!(
            PrincipalArn::root(Partition::AwsCn, &id).as_str(),
            "arn:aws-cn:iam::111111111111:root"
        );
    }
}
