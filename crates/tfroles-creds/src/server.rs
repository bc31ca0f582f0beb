//! A container-credentials endpoint on loopback (aws-vault's
//! `--ecs-server`): the AWS SDKs of a child process (aws-sdk-go-v2 in
//! terraform and its s3 backend, botocore) fetch their credentials from it
//! through `AWS_CONTAINER_CREDENTIALS_FULL_URI` and
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`, and ask again before expiry, so a
//! run that outlives one session gets the next.
//!
//! Each request is answered from a [`Source`] (in the binary: the shared
//! cache, which calls STS only when the entry is due for refresh). Only a
//! loopback address is bound; the path and the token are random per
//! server; the token is compared in constant time; a request is read with a
//! size limit and timeouts, and a bounded number are served at once.
//! Nothing secret is logged: a refused request is logged with its reason,
//! never with the header it sent.
//!
//! The server is plain blocking `std::net`: the protocol is one GET and one
//! small JSON answer per connection, and a thread per connection (bounded)
//! needs neither an async runtime nor an HTTP stack.
//!
//! ```
//! use std::io::{Read, Write};
//! use tfroles_creds::server::Server;
//! use tfroles_creds::{Credentials, Secret};
//!
//! let server = Server::start(Box::new(|| {
//!     Ok(Credentials {
//!         access_key_id: "ASIAEXAMPLE".into(),
//!         secret_access_key: Secret::new("secret"),
//!         session_token: Secret::new("token"),
//!         expiration: "2030-01-01T00:00:00Z".parse().unwrap(),
//!     })
//! }))?;
//! // What a child's SDK does with AWS_CONTAINER_CREDENTIALS_FULL_URI and
//! // AWS_CONTAINER_AUTHORIZATION_TOKEN.
//! let url = server.url();
//! let (host, path) = url["http://".len()..].split_once('/').unwrap();
//! let mut conn = std::net::TcpStream::connect(host)?;
//! write!(conn, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}\r\n\r\n", server.token().expose())?;
//! let mut answer = String::new();
//! conn.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 200"));
//! assert!(answer.contains(r#""AccessKeyId":"ASIAEXAMPLE""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::Error;
use crate::credentials::{Credentials, Secret, rfc3339};

/// Where credentials come from, once per request.
pub type Source = dyn Fn() -> Result<Credentials, Error> + Send + Sync;

/// The largest request read: an SDK's GET with its headers is under 1 KiB.
pub(crate) const REQUEST_LIMIT: usize = 16 * 1024;
/// How long a client may take to send its request or read the answer.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed unanswered.
pub(crate) const MAX_CONNECTIONS: usize = 32;

/// A running server. Dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    path: String,
    token: Secret,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// `n` random bytes as lowercase hex, from the operating system's CSPRNG.
fn random_hex(n: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|e| Error::Server(format!("no random numbers from the operating system: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares without an early exit, so the time taken does not tell a
/// guesser how many leading bytes were right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Server {
    /// Binds `127.0.0.1` on a free port and serves until dropped.
    ///
    /// # Errors
    /// [`Error::Server`] when no port can be bound or no random token made.
    pub fn start(source: Box<Source>) -> Result<Server, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| Error::Server(format!("cannot listen on 127.0.0.1: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Server(format!("cannot listen on 127.0.0.1: {e}")))?;
        let path = format!("/{}", random_hex(16)?);
        let token = Secret::new(random_hex(32)?);
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            path: path.clone(),
            token: token.clone(),
            source,
            active: AtomicUsize::new(0),
        });
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("credentials-server".into())
                .spawn(move || accept(listener, shared, &stop))
                .map_err(|e| Error::Server(format!("cannot start its thread: {e}")))?
        };
        tracing::info!(%addr, "container credentials server listening");
        Ok(Server {
            addr,
            path,
            token,
            stop,
            thread: Some(thread),
        })
    }

    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
    }

    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`: a secret, for the child's
    /// environment only.
    pub fn token(&self) -> &Secret {
        &self.token
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Shared {
    path: String,
    token: Secret,
    source: Box<Source>,
    active: AtomicUsize,
}

fn accept(listener: TcpListener, shared: Arc<Shared>, stop: &AtomicBool) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("refusing a connection: {MAX_CONNECTIONS} already open");
            continue;
        }
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("credentials-request".into())
            .spawn(move || {
                serve(stream, &shared);
                shared.active.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            tracing::warn!("cannot start a thread for a request");
        }
    }
}

/// What was wrong with a request: its status and a message for the client.
struct Refusal(&'static str, &'static str);

/// Reads the request head: at most [`REQUEST_LIMIT`] bytes, up to the blank
/// line. A body is never read (a GET has none).
fn read_head(stream: &mut TcpStream) -> Result<String, Refusal> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .map_err(|_| Refusal("408 Request Timeout", "the request was not read in time"))?;
        if n == 0 {
            return Err(Refusal("400 Bad Request", "incomplete request"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            break;
        }
        if buf.len() > REQUEST_LIMIT {
            return Err(Refusal(
                "431 Request Header Fields Too Large",
                "request too large",
            ));
        }
    }
    String::from_utf8(buf).map_err(|_| Refusal("400 Bad Request", "request is not UTF-8"))
}

/// Checks the method, path and token of a request head.
fn check(head: &str, shared: &Shared) -> Result<(), Refusal> {
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" {
        return Err(Refusal("405 Method Not Allowed", "only GET is served"));
    }
    if !constant_time_eq(target.as_bytes(), shared.path.as_bytes()) {
        return Err(Refusal("404 Not Found", "no such path"));
    }
    let auth = lines
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim())
        .collect::<Vec<_>>();
    match auth.as_slice() {
        [] => Err(Refusal(
            "401 Unauthorized",
            "no Authorization header: set AWS_CONTAINER_AUTHORIZATION_TOKEN",
        )),
        [one] if constant_time_eq(one.as_bytes(), shared.token.expose().as_bytes()) => Ok(()),
        _ => Err(Refusal("403 Forbidden", "wrong authorization token")),
    }
}

/// The answer the AWS SDKs read from a container credentials endpoint.
fn answer_json(c: &Credentials) -> String {
    serde_json::json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key.expose(),
        "Token": c.session_token.expose(),
        "Expiration": rfc3339::format(&c.expiration),
    })
    .to_string()
}

fn error_json(code: &str, message: &str) -> String {
    serde_json::json!({ "code": code, "message": message }).to_string()
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let checked = read_head(&mut stream).and_then(|head| check(&head, shared));
    if let Err(Refusal(status, why)) = checked {
        tracing::warn!(status, "refused a credentials request: {why}");
        respond(&mut stream, status, &error_json("Refused", why));
        return;
    }
    match (shared.source)() {
        Ok(c) => {
            tracing::debug!(access_key_id = %c.access_key_id, expiration = %c.expiration, "served credentials");
            respond(&mut stream, "200 OK", &answer_json(&c));
        }
        Err(e) => {
            // The child's SDK shows this message; it is tfroles's own
            // error text, which never holds a secret. Nobody else prints
            // it, so its hint goes with it.
            let text = match e.hint() {
                Some(h) => format!("{e}\n  hint: {h}"),
                None => e.to_string(),
            };
            tracing::warn!("cannot serve credentials: {text}");
            respond(
                &mut stream,
                "503 Service Unavailable",
                &error_json("CredentialsUnavailable", &text),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("sekrit"),
            session_token: Secret::new("tok"),
            expiration: "2030-01-01T00:00:00Z".parse().unwrap(),
        }
    }

    fn get(url: &str, auth: Option<&str>) -> (String, String) {
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let mut s = TcpStream::connect(host).unwrap();
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        (head.lines().next().unwrap().to_owned(), body.to_owned())
    }

    #[test]
    fn serves_with_the_token_and_refuses_without() {
        let server = Server::start(Box::new(|| Ok(creds()))).unwrap();
        let url = server.url();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let token = server.token().expose().to_owned();
        assert_eq!(token.len(), 64);
        let (status, body) = get(&url, Some(&token));
        assert_eq!(status, "HTTP/1.1 200 OK");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Token"], "tok");
        assert_eq!(v["Expiration"], "2030-01-01T00:00:00Z");
        let (status, body) = get(&url, None);
        assert_eq!(status, "HTTP/1.1 401 Unauthorized");
        assert!(!body.contains("sekrit"));
        let (status, _) = get(&url, Some("wrong"));
        assert_eq!(status, "HTTP/1.1 403 Forbidden");
        let (status, _) = get(&url.replace(&server.path, "/other"), Some(&token));
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        assert!(!format!("{server:?}").contains(&token));
    }

    #[test]
    fn an_endless_request_is_cut_off() {
        let server = Server::start(Box::new(|| Ok(creds()))).unwrap();
        let mut s = TcpStream::connect(server.addr).unwrap();
        let line = format!("GET {} HTTP/1.1\r\n", server.path);
        s.write_all(line.as_bytes()).unwrap();
        let filler = format!("X-Filler: {}\r\n", "a".repeat(1000));
        for _ in 0..(REQUEST_LIMIT / 1000 + 2) {
            if s.write_all(filler.as_bytes()).is_err() {
                break;
            }
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 431"), "{out}");
    }

    #[test]
    fn tokens_differ_per_server_and_compare_exactly() {
        let a = Server::start(Box::new(|| Ok(creds()))).unwrap();
        let b = Server::start(Box::new(|| Ok(creds()))).unwrap();
        assert_ne!(a.token().expose(), b.token().expose());
        assert_ne!(a.url(), b.url());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
