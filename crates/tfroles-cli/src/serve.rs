//! `tfroles exec --server`: the command runs with a container-credentials
//! endpoint of ours instead of fixed keys, so a run longer than one session
//! (a three-hour `terraform apply`) gets the next session from the shared
//! cache before the first expires.

use std::sync::Mutex;

use tfroles_creds::server::Server;
use tfroles_creds::{Credentials, Error};

use crate::Outcome;
use crate::creds::{CredArgs, Exec, OVERRIDING, Plan, Usage};

/// Variables that hold fixed keys: the child's SDK would prefer them to
/// the endpoint (environment keys come first in every SDK's chain).
pub(crate) const FIXED_KEYS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// Credentials for each request: the shared cache decides when to call
/// STS. Without a cache (`--no-cache`) the last session is kept in memory
/// and renewed inside the same refresh window the cache would use.
fn source(plan: Plan, first: Credentials) -> Box<tfroles_creds::server::Source> {
    let Plan {
        request,
        base,
        options,
        index: _,
    } = plan;
    if options.cache.is_some() {
        return Box::new(move || {
            tfroles_creds::credentials(&request, &base, &options).map(|o| o.credentials)
        });
    }
    let held = Mutex::new(first);
    let window = tfroles_creds::refresh_window(&request, options.refresh_before);
    Box::new(move || -> Result<Credentials, Error> {
        let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
        let left = held.remaining((options.now)());
        if left.is_negative() || left.unsigned_abs() <= window {
            *held = tfroles_creds::credentials(&request, &base, &options)?.credentials;
        }
        Ok(held.clone())
    })
}

/// The command's process id, for the signal handler.
#[cfg(unix)]
static CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

#[cfg(unix)]
extern "C" fn forward(signal: libc::c_int) {
    let pid = CHILD.load(std::sync::atomic::Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Runs `command` with the endpoint's variables in its environment, waits
/// for it, stops the endpoint and exits with the command's code.
pub(crate) fn exec(args: &CredArgs, command: &[String]) -> Outcome<()> {
    let Some((program, rest)) = command.split_first() else {
        return Err(Usage::new(
            "exec: no command given; usage: tfroles exec --server --role NAME -- COMMAND [ARGS...]",
        )
        .into());
    };
    let plan = crate::creds::plan(args)?;
    // Fail before the command starts, and ask for an MFA code now, while
    // the terminal is ours.
    let first = tfroles_creds::credentials(&plan.request, &plan.base, &plan.options)?.credentials;
    let region = plan.options.region.clone();
    let server = Server::start(source(plan, first))?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    for k in OVERRIDING.iter().chain(FIXED_KEYS) {
        cmd.env_remove(k);
    }
    cmd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url());
    cmd.env("AWS_CONTAINER_AUTHORIZATION_TOKEN", server.token().expose());
    if let Some(r) = region {
        cmd.env("AWS_REGION", r);
    }
    let mut child = cmd.spawn().map_err(|error| Exec {
        program: program.clone(),
        error,
    })?;
    // Ctrl-C and Ctrl-\ reach the whole process group: terraform stops
    // gracefully and still needs its credentials meanwhile, so the server
    // lives until the command has exited. SIGTERM and SIGHUP sent to
    // tfroles alone (a CI runner cancelling the job) are passed on to the
    // command, which then stops as it would have.
    #[cfg(unix)]
    {
        CHILD.store(child.id() as i32, std::sync::atomic::Ordering::SeqCst);
        // SAFETY: SIG_IGN installs no handler; `forward` only calls
        // kill(2), which is async-signal-safe, with an atomic's value.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGQUIT, libc::SIG_IGN);
            let handler = forward as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::signal(libc::SIGTERM, handler);
            libc::signal(libc::SIGHUP, handler);
        }
    }
    let status = child.wait().map_err(|error| Exec {
        program: program.clone(),
        error,
    })?;
    drop(server);
    #[cfg(unix)]
    let code = {
        use std::os::unix::process::ExitStatusExt;
        status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(1)
    };
    #[cfg(not(unix))]
    let code = status.code().unwrap_or(1);
    std::process::exit(code);
}
