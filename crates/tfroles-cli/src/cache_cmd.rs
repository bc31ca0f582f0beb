//! `tfroles cache list` and `tfroles cache clear`: the shared credential
//! cache made visible. Neither prints a secret; neither needs a config.

use std::io::Write;

use jiff::Timestamp;
use tfroles_creds::{Cache, Env, Listed};

use crate::{OutFormat, Outcome};

#[derive(clap::Subcommand)]
pub(crate) enum CacheCommand {
    /// List the cached sessions: role ARN, account, stack, expiry and the base identity's
    /// fingerprint (never a secret)
    List {
        /// Output format
        #[arg(long, value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
    },
    /// Remove cached sessions (all of them, or one role's), so that the next call asks STS
    Clear {
        /// Only this role's sessions: its ARN, or its IAM role name (the ARN's last part)
        #[arg(long, value_name = "ARN|NAME")]
        role: Option<String>,
    },
}

fn open() -> Outcome<Cache> {
    let env = Env::from_process();
    Ok(Cache::open(&Cache::default_dir(&env)?)?)
}

/// The account of a role ARN: its fifth field.
fn account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// `in 42m`, `expired 3m ago`.
fn left(expiration: Timestamp, now: Timestamp) -> String {
    let secs = expiration.as_second() - now.as_second();
    let span = |s: i64| {
        if s >= 3600 {
            format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
        } else if s >= 60 {
            format!("{}m", s / 60)
        } else {
            format!("{s}s")
        }
    };
    if secs > 0 {
        format!("in {}", span(secs))
    } else {
        format!("expired {} ago", span(-secs))
    }
}

fn matches(e: &Listed, role: &str) -> bool {
    e.about
        .as_ref()
        .is_some_and(|a| a.role_arn == role || a.role_arn.rsplit('/').next() == Some(role))
}

pub(crate) fn run(command: &CacheCommand) -> Outcome<()> {
    let cache = open()?;
    let now = Timestamp::now();
    let mut out = std::io::stdout().lock();
    match command {
        CacheCommand::List { format } => list(&mut out, &cache, now, *format),
        CacheCommand::Clear { role } => clear(&mut out, &cache, now, role.as_deref()),
    }
}

fn list(out: &mut impl Write, cache: &Cache, now: Timestamp, format: OutFormat) -> Outcome<()> {
    // Listing is a good moment to drop what can never be served.
    cache.sweep(now);
    let entries = cache.list();
    if format == OutFormat::Json {
        let rows: Vec<_> = entries.iter().map(|e| entry_json(e, now)).collect();
        let report = serde_json::json!({
            "directory": cache.dir(),
            "entries": rows,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    if entries.is_empty() {
        writeln!(out, "no cached sessions in {}", cache.dir().display())?;
        return Ok(());
    }
    let rows: Vec<[String; 5]> = entries.iter().map(|e| entry_cells(e, now)).collect();
    print_table(out, &rows)
}

/// An entry as `cache list --format json` shows it: no secret.
fn entry_json(e: &Listed, now: Timestamp) -> serde_json::Value {
    let about = e.about.as_ref();
    serde_json::json!({
        "key": e.key,
        "role_arn": about.map(|a| a.role_arn.as_str()),
        "account": about.map(|a| account(&a.role_arn)),
        "stack": about.and_then(|a| a.stack.as_deref()),
        "access_key_id": e.access_key_id,
        "expiration": e.expiration.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "expired": e.expiration <= now,
        "base": about.map(|a| a.base.as_str()),
        "fetched": about.map(|a| a.fetched.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
    })
}

/// An entry's table row: role, account, stack, expiry, base.
fn entry_cells(e: &Listed, now: Timestamp) -> [String; 5] {
    let about = e.about.as_ref();
    [
        about.map_or("(unknown: written by an older tfroles)".into(), |a| {
            a.role_arn.clone()
        }),
        about.map_or(String::new(), |a| account(&a.role_arn).to_owned()),
        about
            .and_then(|a| a.stack.clone())
            .unwrap_or_else(|| "-".into()),
        format!(
            "{} ({})",
            e.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            left(e.expiration, now)
        ),
        about.map_or("-".into(), |a| a.base.clone()),
    ]
}

/// Columns padded to their widest cell; the last one (the base) not.
fn print_table(out: &mut impl Write, rows: &[[String; 5]]) -> Outcome<()> {
    let head = ["ROLE", "ACCOUNT", "STACK", "EXPIRES", "BASE"];
    let mut widths = head.map(str::len);
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i == 4 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s
    };
    writeln!(out, "{}", line(head))?;
    for r in rows {
        writeln!(out, "{}", line([&r[0], &r[1], &r[2], &r[3], &r[4]]))?;
    }
    Ok(())
}

fn clear(out: &mut impl Write, cache: &Cache, now: Timestamp, role: Option<&str>) -> Outcome<()> {
    let removed = cache.clear(|e| role.is_none_or(|r| matches(e, r)));
    let swept = cache.sweep(now);
    let n = removed.entries;
    writeln!(
        out,
        "removed {n} cached session{}{} from {}",
        if n == 1 { "" } else { "s" },
        role.map(|r| format!(" of `{r}`")).unwrap_or_default(),
        cache.dir().display()
    )?;
    if swept.entries + swept.locks > 0 {
        tracing::info!(
            expired = swept.entries,
            locks = swept.locks,
            "also removed expired entries and orphan locks"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_naturally() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let at = |s: i64| Timestamp::from_second(now.as_second() + s).unwrap();
        assert_eq!(left(at(3 * 3600 + 120), now), "in 3h02m");
        assert_eq!(left(at(59 * 60 + 59), now), "in 59m");
        assert_eq!(left(at(30), now), "in 30s");
        assert_eq!(left(at(-180), now), "expired 3m ago");
        assert_eq!(account("arn:aws:iam::111111111111:role/x"), "111111111111");
    }
}
