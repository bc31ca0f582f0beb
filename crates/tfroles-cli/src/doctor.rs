//! `tfroles doctor`: a preflight of a config against the live accounts,
//! before the first terraform run fails. One line per check, ✓ or ✗ with
//! the fix, or – when the check could not be made (and why). Read-only,
//! except the lock probe, which writes the lock file terraform would and
//! removes it.

use std::io::Write;

use tfroles_core::{Config, SessionFor, SessionKind, Stack};
use tfroles_creds::signed::{Answer, Call, Client, encode, encode_path};
use tfroles_creds::{BaseIdentity, Credentials, Env, Options, SessionRequest};

use crate::{ConfigArg, OutFormat, Outcome};

#[derive(clap::Args)]
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The stack whose backend session the state checks use [default: the first stack]; `.` is
    /// the current directory
    #[arg(long, value_name = "PATH")]
    stack: Option<String>,
    /// Base credentials from this profile instead of the default chain
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    format: OutFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Fail,
    Skip,
}

#[derive(serde::Serialize)]
struct Check {
    check: String,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

#[derive(Default)]
struct Report(Vec<Check>);

impl Report {
    fn ok(&mut self, check: impl Into<String>, detail: impl Into<String>) {
        self.push(check, Status::Ok, detail, None);
    }
    fn fail(
        &mut self,
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(check, Status::Fail, detail, Some(fix.into()));
    }
    fn skip(&mut self, check: impl Into<String>, detail: impl Into<String>) {
        self.push(check, Status::Skip, detail, None);
    }
    fn push(
        &mut self,
        check: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
    ) {
        self.0.push(Check {
            check: check.into(),
            status,
            detail: detail.into(),
            fix,
        });
    }
}

/// The first line of an error, and the first line of its hint as the fix.
fn split_error(e: &(dyn std::error::Error + 'static)) -> (String, String) {
    let text = e.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned();
    let hint = crate::failure::hint_of(e)
        .and_then(|h| h.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "see docs/troubleshooting.md".to_owned());
    (first, hint)
}

/// The text of the first `<name>` element of an XML answer.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{name}>"))?;
    Some(xml[start..start + len].trim())
}

struct S3<'a> {
    client: &'a Client,
    region: String,
    bucket: String,
}

impl S3<'_> {
    fn call(
        &self,
        creds: &Credentials,
        method: &str,
        path_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Answer, tfroles_creds::Error> {
        let base = self
            .client
            .endpoint("s3")
            .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", self.region));
        let url = format!("{base}/{}{path_query}", encode(&self.bucket));
        let call = headers.iter().fold(
            Call::new("s3", &self.region, method, url).body(body),
            |call, (k, v)| call.header(k, v),
        );
        self.client.send(creds, &call)
    }
}

fn request_for(role: tfroles_core::RoleSession) -> SessionRequest {
    SessionRequest::from(&tfroles_core::Session {
        role,
        policy: None,
        kind: SessionKind::Provisioning {
            delete_guard: false,
        },
    })
}

pub(crate) fn doctor(args: &DoctorArgs) -> Outcome<()> {
    let (config, _, resolution) = crate::load_stacks(&args.config)?;
    let env = Env::from_process();
    let client = Client::new(&env)?;
    let options = Options {
        region: config.defaults().region.as_ref().map(ToString::to_string),
        ..Options::new(env.clone())
    };
    let mut report = Report::default();

    // 1. The base identity.
    let base = BaseIdentity::choose(config.identities(), args.profile.clone(), &env);
    let caller = base_identity(&mut report, &base, args.profile.clone(), &options);
    let web = matches!(base, BaseIdentity::WebIdentity(_));

    // 2. Every role, assumable as configured.
    if web || caller.is_some() {
        role_checks(&mut report, &config, &base, &options);
    }

    // 3. The state bucket and its settings, as the base identity sees them.
    let state = config.state();
    let s3 = S3 {
        client: &client,
        region: state.region.to_string(),
        bucket: state.bucket.to_string(),
    };
    let bucket_exists = match &caller {
        Some(c) => state_checks(&mut report, &s3, &config, &resolution.stacks, c),
        None => {
            report.skip(
                format!("state bucket `{}`", state.bucket),
                "no base identity to look with",
            );
            // Without a base identity to look with, the backend checks still run.
            true
        }
    };

    // 4. A stack's backend session: the ListBucket question and the lock.
    let stack = chosen_stack(&config, &resolution.stacks, args.stack.as_deref())?;
    match stack {
        _ if !bucket_exists => report.skip("state key and lock", "the state bucket is missing"),
        None => report.skip("state key", "no stack to check a backend session with"),
        Some(stack) => backend_checks(&mut report, &config, &base, &options, &s3, stack),
    }

    print(&report, args.format)?;
    failed(&report)
}

/// The identity tfroles starts from: a CI token is reported as found (it is
/// only exchanged per role); otherwise the default chain or profile is asked
/// who it is, and that caller is what the later checks look with.
fn base_identity(
    report: &mut Report,
    base: &BaseIdentity,
    profile: Option<String>,
    options: &Options,
) -> Option<tfroles_creds::Caller> {
    if let BaseIdentity::WebIdentity(s) = base {
        report.ok(
            "base identity",
            format!("a CI identity token from {} (web identity)", s.describe()),
        );
        return None;
    }
    match tfroles_creds::caller(profile, options) {
        Ok(c) => {
            report.ok(
                "base identity",
                format!("{} (account {})", c.arn, c.account),
            );
            Some(c)
        }
        Err(e) => {
            let (what, fix) = split_error(&e);
            report.fail("base identity", what, fix);
            None
        }
    }
}

fn role_checks(report: &mut Report, config: &Config, base: &BaseIdentity, options: &Options) {
    let web = matches!(base, BaseIdentity::WebIdentity(_));
    for rs in config.role_sessions() {
        let name = format!("assume {} in {}", rs.role, rs.account);
        let arn = rs.arn.to_string();
        let how = assumed_how(&rs, web);
        match tfroles_creds::credentials(&request_for(rs), base, options) {
            Ok(_) if how.is_empty() => report.ok(name, arn),
            Ok(_) => report.ok(name, format!("{arn} (with {})", how.join(", "))),
            Err(e @ tfroles_creds::Error::Mfa { .. }) => {
                report.skip(name, format!("needs an MFA code: {}", split_error(&e).0))
            }
            Err(e) => {
                let (what, fix) = split_error(&e);
                report.fail(name, what, fix);
            }
        }
    }
}

/// What an assumption of the role involves beyond a plain AssumeRole.
fn assumed_how(rs: &tfroles_core::RoleSession, web: bool) -> Vec<&'static str> {
    [
        (rs.external_id.is_some(), "external id"),
        (rs.mfa_serial.is_some(), "MFA"),
        (rs.via.is_some(), "via"),
        (web, "web identity"),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect()
}

/// The bucket, the lock table and the OIDC providers, as the caller sees
/// them. Returns whether the bucket may exist (the backend checks need it).
fn state_checks(
    report: &mut Report,
    s3: &S3,
    config: &Config,
    stacks: &[Stack],
    caller: &tfroles_creds::Caller,
) -> bool {
    let state = config.state();
    let bucket = format!("state bucket `{}`", state.bucket);
    let bucket_exists = bucket_checks(report, s3, &caller.credentials, &bucket);
    if let Some(table) = &state.dynamodb_table {
        lock_table(
            report,
            s3.client,
            state.region.as_ref(),
            table.as_str(),
            &caller.credentials,
        );
    }
    oidc_checks(report, s3.client, config, stacks, caller);
    bucket_exists
}

/// The stack named by `--stack`, or the first one.
fn chosen_stack<'a>(
    config: &Config,
    stacks: &'a [Stack],
    wanted: Option<&str>,
) -> Outcome<Option<&'a Stack>> {
    let Some(p) = wanted else {
        return Ok(stacks.first());
    };
    let path = crate::policy::here(config, p)?;
    Ok(stacks
        .iter()
        .find(|s| s.path.as_str() == path.trim_end_matches('/')))
}

/// Any failed check fails the run (exit code of drift).
fn failed(report: &Report) -> Outcome<()> {
    let n = report.0.iter().filter(|c| c.status == Status::Fail).count();
    if n == 0 {
        return Ok(());
    }
    Err(crate::Exit::Drift {
        message: format!("{n} check{} failed", if n == 1 { "" } else { "s" }),
        hint: None,
    }
    .into())
}

/// Returns whether the bucket may exist (the later checks need it).
fn bucket_checks(report: &mut Report, s3: &S3, creds: &Credentials, bucket: &str) -> bool {
    match bucket_region(report, s3, creds, bucket) {
        Looked::Missing => false,
        Looked::Unseen => true,
        Looked::Found => {
            versioning(report, s3, creds, bucket);
            encryption(report, s3, creds, bucket);
            public_access(report, s3, creds, bucket);
            true
        }
    }
}

/// What HeadBucket told of the bucket.
enum Looked {
    /// There, in the configured region.
    Found,
    /// Missing, elsewhere, or not reachable: nothing more to ask.
    Missing,
    /// The base identity may not look; it may exist.
    Unseen,
}

fn bucket_region(report: &mut Report, s3: &S3, creds: &Credentials, bucket: &str) -> Looked {
    let name = format!("{bucket} exists in {}", s3.region);
    let elsewhere = |report: &mut Report, r: &str| {
        report.fail(
            name.clone(),
            format!("it is in {r}"),
            format!("set `region = \"{r}\"` in the `state` block"),
        );
        Looked::Missing
    };
    match s3.call(creds, "HEAD", "", &[], b"") {
        Ok(a) if a.status == 200 => match a.header("x-amz-bucket-region") {
            Some(r) if r != s3.region => elsewhere(report, r),
            _ => {
                report.ok(name, "found");
                Looked::Found
            }
        },
        Ok(a) if a.status == 301 => elsewhere(
            report,
            a.header("x-amz-bucket-region").unwrap_or("another region"),
        ),
        Ok(a) if a.status == 404 => {
            report.fail(
                name,
                "no such bucket",
                "create it: apply the bootstrap stack (`bootstrap` block, see docs/config.md), or `aws s3 mb`",
            );
            Looked::Missing
        }
        Ok(a) => {
            report.skip(
                name,
                format!(
                    "HTTP {} for HeadBucket: the base identity may not look at it",
                    a.status
                ),
            );
            Looked::Unseen
        }
        Err(e) => {
            let (what, fix) = split_error(&e);
            report.fail(name, what, fix);
            Looked::Missing
        }
    }
}

/// A bucket setting the base identity may not read.
fn denied(report: &mut Report, name: String, action: &str, a: &Answer) {
    report.skip(
        name,
        format!(
            "HTTP {} for {action}: the base identity may not read it",
            a.status
        ),
    );
}

fn versioning(report: &mut Report, s3: &S3, creds: &Credentials, bucket: &str) {
    let b = s3.bucket.as_str();
    let name = format!("{bucket}: versioning");
    match s3.call(creds, "GET", "?versioning", &[], b"") {
        Ok(a) if a.status == 200 => match element(&a.text(), "Status") {
            Some("Enabled") => report.ok(name, "enabled"),
            other => report.fail(
                name,
                format!("{} (a bad apply or a delete cannot be undone)", other.map_or("never enabled".into(), |s| s.to_lowercase())),
                format!("aws s3api put-bucket-versioning --bucket {b} --versioning-configuration Status=Enabled"),
            ),
        },
        Ok(a) => denied(report, name, "s3:GetBucketVersioning", &a),
        Err(e) => report.skip(name, split_error(&e).0),
    }
}

fn encryption(report: &mut Report, s3: &S3, creds: &Credentials, bucket: &str) {
    let b = s3.bucket.as_str();
    let name = format!("{bucket}: default encryption");
    match s3.call(creds, "GET", "?encryption", &[], b"") {
        Ok(a) if a.status == 200 => report.ok(
            name,
            element(&a.text(), "SSEAlgorithm").unwrap_or("configured").to_owned(),
        ),
        Ok(a) if a.status == 404 => report.fail(
            name,
            "none",
            format!("aws s3api put-bucket-encryption --bucket {b} --server-side-encryption-configuration '{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"aws:kms\"}}}}]}}'"),
        ),
        Ok(a) => denied(report, name, "s3:GetEncryptionConfiguration", &a),
        Err(e) => report.skip(name, split_error(&e).0),
    }
}

fn public_access(report: &mut Report, s3: &S3, creds: &Credentials, bucket: &str) {
    let b = s3.bucket.as_str();
    let name = format!("{bucket}: public access blocked");
    let fix = format!(
        "aws s3api put-public-access-block --bucket {b} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    );
    match s3.call(creds, "GET", "?publicAccessBlock", &[], b"") {
        Ok(a) if a.status == 200 => {
            let xml = a.text();
            let off: Vec<&str> = [
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "BlockPublicPolicy",
                "RestrictPublicBuckets",
            ]
            .into_iter()
            .filter(|k| element(&xml, k) != Some("true"))
            .collect();
            if off.is_empty() {
                report.ok(name, "all four settings on");
            } else {
                report.fail(name, format!("off: {}", off.join(", ")), fix);
            }
        }
        Ok(a) if a.status == 404 => report.fail(name, "no public access block", fix),
        Ok(a) => denied(report, name, "s3:GetBucketPublicAccessBlock", &a),
        Err(e) => report.skip(name, split_error(&e).0),
    }
}

fn lock_table(
    report: &mut Report,
    client: &Client,
    region: &str,
    table: &str,
    creds: &Credentials,
) {
    let name = format!("lock table `{table}`");
    let url = client
        .endpoint("dynamodb")
        .unwrap_or_else(|| format!("https://dynamodb.{region}.amazonaws.com"));
    let call = Call::new("dynamodb", region, "POST", format!("{url}/"))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "DynamoDB_20120810.DescribeTable")
        .body(serde_json::json!({ "TableName": table }).to_string());
    let answer = client.send(creds, &call);
    match answer {
        Ok(a) if a.status == 200 => report.ok(name, "exists"),
        Ok(a) if a.text().contains("ResourceNotFoundException") => report.fail(
            name,
            format!("no such table in {region}"),
            format!("create it with a string hash key `LockID` (`aws dynamodb create-table --table-name {table} --attribute-definitions AttributeName=LockID,AttributeType=S --key-schema AttributeName=LockID,KeyType=HASH --billing-mode PAY_PER_REQUEST`), or drop `dynamodb_table` for `use_lockfile`"),
        ),
        Ok(a) => report.skip(name, format!("HTTP {} for DescribeTable: the base identity may not look at it", a.status)),
        Err(e) => report.skip(name, split_error(&e).0),
    }
}

/// The OIDC providers the trust policies name, with the audiences their
/// conditions require: read from the generated trust policies, the one
/// place they are decided.
fn oidc_checks(
    report: &mut Report,
    client: &Client,
    config: &Config,
    stacks: &[tfroles_core::Stack],
    caller: &tfroles_creds::Caller,
) {
    for (arn, audiences) in oidc_wanted(config, stacks) {
        oidc_provider(report, client, caller, &arn, &audiences);
    }
}

type Audiences = std::collections::BTreeSet<String>;

/// Provider ARN to the audiences any statement federating to it requires.
fn oidc_wanted(
    config: &Config,
    stacks: &[tfroles_core::Stack],
) -> std::collections::BTreeMap<String, Audiences> {
    let mut wanted: std::collections::BTreeMap<String, Audiences> = Default::default();
    for rs in config.role_sessions() {
        let Ok(doc) = config.trust_policy(rs.role.as_str(), Some(rs.account.as_str()), stacks)
        else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&doc.to_json_compact()) else {
            continue;
        };
        for st in v["Statement"].as_array().into_iter().flatten() {
            let Some(providers) = strings(&st["Principal"]["Federated"]) else {
                continue;
            };
            let auds = statement_audiences(st);
            for p in providers {
                wanted.entry(p).or_default().extend(auds.iter().cloned());
            }
        }
    }
    wanted
}

/// A JSON string or array of strings, as policy documents write lists.
fn strings(v: &serde_json::Value) -> Option<Vec<String>> {
    match v {
        serde_json::Value::String(s) => Some(vec![s.clone()]),
        serde_json::Value::Array(a) => Some(
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// The values of every `…:aud` condition key of a statement.
fn statement_audiences(st: &serde_json::Value) -> Vec<String> {
    let mut auds = Vec::new();
    for (_, conds) in st["Condition"].as_object().into_iter().flatten() {
        for (k, vals) in conds.as_object().into_iter().flatten() {
            if k.ends_with(":aud") {
                auds.extend(strings(vals).unwrap_or_default());
            }
        }
    }
    auds
}

/// One provider: in the caller's account, it must exist and list every
/// audience the trust policies require.
fn oidc_provider(
    report: &mut Report,
    client: &Client,
    caller: &tfroles_creds::Caller,
    arn: &str,
    audiences: &Audiences,
) {
    let host = arn.rsplit(":oidc-provider/").next().unwrap_or_default();
    let name = format!("OIDC provider `{host}`");
    let account = arn.split(':').nth(4).unwrap_or_default();
    if account != caller.account {
        report.skip(
            name,
            format!("in account {account}; the base identity is in {}: run doctor with credentials there to check it", caller.account),
        );
        return;
    }
    match get_oidc_provider(client, caller, arn) {
        Ok(a) if a.status == 200 => {
            let xml = a.text();
            let list = element(&xml, "ClientIDList").unwrap_or_default();
            let have: Vec<&str> = list
                .split("<member>")
                .skip(1)
                .filter_map(|m| m.split("</member>").next())
                .map(str::trim)
                .collect();
            let missing: Vec<&String> = audiences.iter().filter(|a| !have.contains(&a.as_str())).collect();
            if missing.is_empty() {
                report.ok(name, format!("audiences {}", ticked(audiences.iter())));
            } else {
                let first = missing[0];
                report.fail(
                    name,
                    format!("lacks the audience{} {} the trust policies require", if missing.len() == 1 { "" } else { "s" }, ticked(missing.into_iter())),
                    format!("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {arn} --client-id {first}"),
                );
            }
        }
        Ok(a) if a.status == 404 || a.text().contains("NoSuchEntity") => report.fail(
            name,
            "does not exist",
            format!("create it: `aws iam create-open-id-connect-provider --url https://{host} --client-id-list {}` (the bootstrap stack creates it too)", audiences.iter().next().map_or("sts.amazonaws.com", String::as_str)),
        ),
        Ok(a) => report.skip(name, format!("HTTP {} for GetOpenIDConnectProvider: the base identity may not look at it", a.status)),
        Err(e) => report.skip(name, split_error(&e).0),
    }
}

/// `a`, `b`, in backticks.
fn ticked<'a>(items: impl Iterator<Item = &'a String>) -> String {
    items
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn get_oidc_provider(
    client: &Client,
    caller: &tfroles_creds::Caller,
    arn: &str,
) -> Result<Answer, tfroles_creds::Error> {
    let url = client
        .endpoint("iam")
        .unwrap_or_else(|| "https://iam.amazonaws.com".into());
    let call = Call::new("iam", "us-east-1", "POST", format!("{url}/"))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(format!(
            "Action=GetOpenIDConnectProvider&Version=2010-05-08&OpenIDConnectProviderArn={}",
            encode(arn)
        ));
    client.send(&caller.credentials, &call)
}

fn backend_checks(
    report: &mut Report,
    config: &Config,
    base: &BaseIdentity,
    options: &Options,
    s3: &S3,
    stack: &Stack,
) {
    let Some(creds) = backend_session(report, config, base, options, stack) else {
        return;
    };
    let lock_key = format!("{}.tflock", stack.state_key);
    if missing_key(report, config, s3, &creds, stack, &lock_key) && config.state().use_lockfile {
        lock_probe(report, s3, &creds, stack, &lock_key);
    }
}

/// The credentials of the session terraform's backend would use for the
/// stack; a check skipped when they cannot be had.
fn backend_session(
    report: &mut Report,
    config: &Config,
    base: &BaseIdentity,
    options: &Options,
    stack: &Stack,
) -> Option<Credentials> {
    let state = config.state();
    let mut ask = SessionFor::role(state.role.as_str()).stack(stack);
    ask.account = Some(state.account.as_str());
    let session = match config.decide_session(&ask) {
        Ok(s) => s,
        Err(e) => {
            report.skip("state key", split_error(&e).0);
            return None;
        }
    };
    match tfroles_creds::credentials(&SessionRequest::from(&session), base, options) {
        Ok(o) => Some(o.credentials),
        Err(e) => {
            report.skip(
                format!("stack `{}`'s backend session", stack.path),
                split_error(&e).0,
            );
            None
        }
    }
}

/// HeadObject on the (absent) lock key: 404 means ListBucket is allowed,
/// as terraform's first init needs. Returns whether the lock probe may follow.
fn missing_key(
    report: &mut Report,
    config: &Config,
    s3: &S3,
    creds: &Credentials,
    stack: &Stack,
    lock_key: &str,
) -> bool {
    let path = format!("/{}", encode_path(lock_key));
    let name = format!("a missing key under `{}`'s backend session", stack.path);
    match s3.call(creds, "HEAD", &path, &[], b"") {
        Ok(a) if a.status == 404 => report.ok(name, "answers 404 (s3:ListBucket allowed)"),
        Ok(a) if a.status == 403 => report.fail(
            name,
            "answers 403, not 404: the session may not list the bucket, and terraform's first init of a stack fails",
            format!("allow s3:ListBucket on arn:aws:s3:::{} in the state role's policy (apply the bootstrap stack: `tfroles policy --role {} --kind permissions`)", s3.bucket, config.state().role),
        ),
        Ok(a) if a.status == 200 => {
            report.skip(name, format!("`{lock_key}` exists: a lock is held (is terraform running?)"));
            return false;
        }
        Ok(a) => report.skip(name, format!("HTTP {}", a.status)),
        Err(e) => {
            let (what, fix) = split_error(&e);
            report.fail(name, what, fix);
            return false;
        }
    }
    true
}

/// Writes the lock file as terraform would (only if absent) and removes it.
fn lock_probe(report: &mut Report, s3: &S3, creds: &Credentials, stack: &Stack, lock_key: &str) {
    let path = format!("/{}", encode_path(lock_key));
    let name = format!("lock file under `{}`'s backend session", stack.path);
    let put = s3.call(
        creds,
        "PUT",
        &path,
        &[("if-none-match", "*")],
        b"{\"Info\":\"tfroles doctor probe\"}",
    );
    match put {
        Ok(a) if a.status == 200 => match s3.call(creds, "DELETE", &path, &[], b"") {
            Ok(d) if d.status == 204 || d.status == 200 => report.ok(name, format!("`{lock_key}` written and removed")),
            Ok(d) => report.fail(
                name,
                format!("written, but DeleteObject answered HTTP {}: `{lock_key}` is left behind", d.status),
                format!("allow s3:DeleteObject on the lock key, then remove it: `aws s3 rm s3://{}/{lock_key}`", s3.bucket),
            ),
            Err(e) => report.fail(name, split_error(&e).0, format!("remove `s3://{}/{lock_key}` by hand", s3.bucket)),
        },
        Ok(a) if a.status == 412 => report.skip(name, format!("`{lock_key}` exists: a lock is held (is terraform running?)")),
        Ok(a) => report.fail(
            name,
            format!("PutObject answered HTTP {}: terraform could not take its lock", a.status),
            format!("allow s3:PutObject and s3:DeleteObject on arn:aws:s3:::{}/{lock_key} (apply the bootstrap stack)", s3.bucket),
        ),
        Err(e) => {
            let (what, fix) = split_error(&e);
            report.fail(name, what, fix);
        }
    }
}

fn print(report: &Report, format: OutFormat) -> Outcome<()> {
    let mut out = std::io::stdout().lock();
    if format == OutFormat::Json {
        let v = serde_json::json!({
            "ok": !report.0.iter().any(|c| c.status == Status::Fail),
            "checks": report.0,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    for c in &report.0 {
        let mark = match c.status {
            Status::Ok => "✓",
            Status::Fail => "✗",
            Status::Skip => "–",
        };
        writeln!(out, "{mark} {}: {}", c.check, c.detail)?;
        if let Some(fix) = &c.fix {
            writeln!(out, "  fix: {fix}")?;
        }
    }
    Ok(())
}
