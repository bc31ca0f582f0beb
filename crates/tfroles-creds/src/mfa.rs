//! The MFA code: from the caller, the environment, or the terminal.
//!
//! Never stdin or stdout: under `credential_process` those carry the
//! protocol. The cache means a code is asked once per session, not once per
//! provider block.

use std::io::{BufRead, BufReader, Write};

use crate::Error;
use crate::env::Env;

fn check(serial: &str, code: &str) -> Result<String, Error> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_owned())
    } else {
        Err(Error::Mfa {
            serial: serial.to_owned(),
            reason: "the code is not 6 digits".into(),
        })
    }
}

/// The code for `serial`: `--mfa-token`, else `TFROLES_MFA_TOKEN`, else a
/// prompt on `/dev/tty`.
pub(crate) fn code(serial: &str, given: Option<&str>, env: &Env) -> Result<String, Error> {
    if let Some(c) = given {
        return check(serial, c);
    }
    if let Some(c) = env.non_empty("TFROLES_MFA_TOKEN") {
        return check(serial, &c);
    }
    let no_tty = |e: std::io::Error| Error::Mfa {
        serial: serial.to_owned(),
        reason: format!(
            "no code given and no terminal to ask on ({e}); pass --mfa-token or set TFROLES_MFA_TOKEN"
        ),
    };
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(no_tty)?;
    let mut out = tty.try_clone().map_err(no_tty)?;
    write!(out, "MFA code for {serial}: ").map_err(no_tty)?;
    out.flush().map_err(no_tty)?;
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line).map_err(no_tty)?;
    check(serial, &line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_flag_then_the_environment() {
        let env = Env::from_pairs([("TFROLES_MFA_TOKEN", "654321")]);
        assert_eq!(code("s", Some("123456"), &env).unwrap(), "123456");
        assert_eq!(code("s", None, &env).unwrap(), "654321");
        assert!(
            code("s", Some("12345"), &env)
                .unwrap_err()
                .to_string()
                .contains("not 6 digits")
        );
    }
}
