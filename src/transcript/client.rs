//! The client side of a transcript run: a server process on pipes, or a server at a URL (Streamable HTTP, or the
//! 2024-11-05 HTTP+SSE pair when the URL ends in `/sse`).
//!
//! Invariant: every wait is bounded by the caller's timeout, and everything the server says, on any stream, ends
//! up in one queue in arrival order; a connection never decides whether a message is right, the runner does.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::sse;

/// The largest message or response body read, so that a runaway server cannot exhaust memory.
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// What the server said next.
#[derive(Debug)]
pub enum Recv {
    /// A JSON message (or a JSON array: a batch reply).
    Message(Value),
    /// Output that is not JSON.
    Invalid(String),
    /// The server's output ended (process gone, or every response stream finished).
    Ended,
    /// Nothing within the timeout.
    Timeout,
}

/// The head of an HTTP response to a sent message.
#[derive(Clone, Debug, Default)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
}

/// A connection to the server under test.
pub trait Conn {
    /// Sends one message (bytes as they go on the wire, a trailing newline included for stdio) with extra headers
    /// (HTTP only); returns the response head over HTTP.
    fn send(&mut self, bytes: &[u8], headers: &[(String, String)]) -> Result<Option<Head>, String>;
    /// The next thing the server says, waiting at most `timeout`.
    fn recv(&mut self, timeout: Duration) -> Recv;
    /// `<eof`: closes stdin, or ends the HTTP session.
    fn close(&mut self) -> Result<(), String>;
    /// After the output ended: whether the server finished well (stdio: exit status 0 within `timeout`).
    fn finish(&mut self, timeout: Duration) -> Result<(), String>;
    /// What the server wrote to stderr, for failure reports; a process is stopped first, so that everything it
    /// wrote is there.
    fn stderr(&mut self) -> String;
}

/// A server process on pipes; stderr is kept (the last 64 KiB) for reports.
pub struct StdioConn {
    /// The process id, for stopping it: the `Child` itself belongs to the thread that waits for it.
    pid: u32,
    /// The exit status, once that thread has it.
    exit: Receiver<Option<ExitStatus>>,
    exited: Option<Option<ExitStatus>>,
    stdin: Option<ChildStdin>,
    rx: Receiver<Recv>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Says when stderr has reached its end.
    stderr_done: Receiver<()>,
}

impl StdioConn {
    /// Starts `cmd`; failure to start is an error (exit status 2 for the binary).
    pub fn start(mut cmd: Command) -> Result<StdioConn, String> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let program = cmd.get_program().to_string_lossy().into_owned();
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {program}: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || read_lines(stdout, &tx));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().expect("stderr is piped");
        let (done, stderr_done) = mpsc::channel();
        std::thread::spawn(move || {
            let _done = done;
            let mut buf = [0u8; 8192];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                s.extend_from_slice(&buf[..n]);
                let excess = s.len().saturating_sub(64 * 1024);
                s.drain(..excess);
            }
        });
        let stdin = child.stdin.take();
        let pid = child.id();
        // The exit is waited for on a thread, so that every wait for it can be bounded without polling.
        let (tx_exit, exit) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx_exit.send(child.wait().ok());
        });
        Ok(StdioConn { pid, exit, exited: None, stdin, rx, stderr, stderr_done })
    }
}

/// Reads lines (bounded) from the server and queues them as messages.
fn read_lines(out: impl Read, tx: &Sender<Recv>) {
    let mut r = BufReader::new(out);
    loop {
        let mut line = Vec::new();
        match r.by_ref().take(MAX_MESSAGE as u64 + 1).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.len() > MAX_MESSAGE {
            let _ = tx.send(Recv::Invalid(format!("a line longer than {MAX_MESSAGE} bytes")));
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(text).map_or_else(|_| Recv::Invalid(text.to_owned()), Recv::Message);
        if tx.send(item).is_err() {
            break;
        }
    }
    let _ = tx.send(Recv::Ended);
}

impl Conn for StdioConn {
    fn send(&mut self, bytes: &[u8], _headers: &[(String, String)]) -> Result<Option<Head>, String> {
        let stdin = self.stdin.as_mut().ok_or("stdin is already closed")?;
        stdin.write_all(bytes).and_then(|()| stdin.flush()).map_err(|e| format!("the server stopped reading: {e}"))?;
        Ok(None)
    }

    fn recv(&mut self, timeout: Duration) -> Recv {
        match self.rx.recv_timeout(timeout) {
            Ok(Recv::Ended) | Err(RecvTimeoutError::Disconnected) => Recv::Ended,
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => Recv::Timeout,
        }
    }

    fn close(&mut self) -> Result<(), String> {
        self.stdin.take();
        Ok(())
    }

    fn finish(&mut self, timeout: Duration) -> Result<(), String> {
        self.stdin.take();
        match self.wait_exit(timeout) {
            Some(Some(s)) if s.success() => Ok(()),
            Some(Some(s)) => Err(format!("the server exited with {s}")),
            Some(None) => Err("cannot wait for the server".into()),
            None => Err(format!("the server did not exit within {timeout:?} of the end of input")),
        }
    }

    fn stderr(&mut self) -> String {
        self.stop();
        // A grandchild may hold the pipe open; its output is then cut at this bound.
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(1));
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl StdioConn {
    /// The exit status, waiting at most `bound`; `None` while the process runs.
    fn wait_exit(&mut self, bound: Duration) -> Option<Option<ExitStatus>> {
        if self.exited.is_none() {
            self.exited = self.exit.recv_timeout(bound).ok();
        }
        self.exited
    }

    /// Stops the process if it still runs. Its id is only reused after the waiting thread reaped it, which leaves
    /// the instant between the check and the signal: a risk the bounded wait below cannot remove, and negligible.
    fn stop(&mut self) {
        if self.wait_exit(Duration::ZERO).is_none() {
            let _ = Command::new("kill").args(["-KILL", &self.pid.to_string()]).status();
            self.wait_exit(Duration::from_secs(5));
        }
    }
}

impl Drop for StdioConn {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One ureq agent for every HTTP request of a run, with explicit limits: no redirects, statuses as data.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(timeout))
        .timeout_send_request(Some(timeout))
        .timeout_send_body(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("mcp-transcript/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// A session with a server at a URL.
pub struct HttpConn {
    agent: ureq::Agent,
    url: String,
    /// The POST endpoint of a 2024-11-05 HTTP+SSE session (`None` for Streamable HTTP).
    legacy_endpoint: Option<String>,
    session: Option<String>,
    version: Arc<Mutex<Option<String>>>,
    tx: Option<Sender<Recv>>,
    rx: Receiver<Recv>,
}

impl HttpConn {
    /// A fresh session: for a URL ending in `/sse`, opens the stream and waits (bounded) for its `endpoint` event.
    pub fn open(url: &str, timeout: Duration) -> Result<HttpConn, String> {
        let (tx, rx) = mpsc::channel();
        let mut conn = HttpConn {
            agent: agent(timeout),
            url: url.to_owned(),
            legacy_endpoint: None,
            session: None,
            version: Arc::new(Mutex::new(None)),
            tx: Some(tx),
            rx,
        };
        if url.trim_end_matches('/').ends_with("/sse") {
            let response = conn
                .agent
                .get(url)
                .header("Accept", "text/event-stream")
                .call()
                .map_err(|e| format!("cannot reach {url}: {e}"))?;
            if response.status() != 200 {
                return Err(format!("GET {url} answered {}", response.status()));
            }
            let (etx, erx) = mpsc::channel();
            let tx = conn.tx.clone().expect("open");
            let body = response.into_body();
            std::thread::spawn(move || read_sse(body, &tx, Some(etx), None));
            let endpoint = erx.recv_timeout(timeout).map_err(|_| format!("{url} sent no endpoint event"))?;
            conn.legacy_endpoint = Some(resolve(url, &endpoint));
        }
        Ok(conn)
    }
}

/// Whether anything listens at the URL's host and port: a server that cannot be reached is a usage error (exit
/// status 2), not a failed transcript.
pub fn reachable(url: &str, timeout: Duration) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("only http:// URLs are supported, got {url:?}"))?;
    let hostport = rest.split('/').next().unwrap_or_default();
    let hostport = if hostport.contains(':') { hostport.to_owned() } else { format!("{hostport}:80") };
    let addrs: Vec<_> = hostport.to_socket_addrs().map_err(|e| format!("cannot resolve {hostport}: {e}"))?.collect();
    let mut last = format!("{hostport} has no address");
    for a in addrs {
        match std::net::TcpStream::connect_timeout(&a, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("cannot reach {url}: {e}"),
        }
    }
    Err(last)
}

/// Resolves an endpoint announced by a legacy SSE stream against the stream's URL.
fn resolve(base: &str, endpoint: &str) -> String {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        return endpoint.to_owned();
    }
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[after_scheme..].find('/').map_or(base.len(), |i| after_scheme + i);
    format!("{}{}", &base[..origin_end], endpoint)
}

/// Queues every `message` event of an SSE body; the first `endpoint` event goes to `endpoint`.
fn read_sse(
    body: ureq::Body,
    tx: &Sender<Recv>,
    mut endpoint: Option<Sender<String>>,
    version: Option<&Mutex<Option<String>>>,
) {
    let mut reader = body.into_with_config().limit(MAX_MESSAGE as u64).reader();
    let mut parser = sse::Parser::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Recv::Invalid(format!("the event stream broke: {e}")));
                break;
            }
        };
        for ev in parser.push(&buf[..n]) {
            match ev.name.as_str() {
                "endpoint" => {
                    if let Some(e) = endpoint.take() {
                        let _ = e.send(ev.data);
                    }
                }
                "message" => {
                    let item = serde_json::from_str(&ev.data).map_or(Recv::Invalid(ev.data), Recv::Message);
                    note_version(&item, version);
                    if tx.send(item).is_err() {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Remembers the negotiated protocol version from an initialize result, for the `MCP-Protocol-Version` header.
fn note_version(item: &Recv, version: Option<&Mutex<Option<String>>>) {
    if let (Recv::Message(m), Some(v)) = (item, version) {
        if let Some(pv) = m.pointer("/result/protocolVersion").and_then(Value::as_str) {
            *v.lock().unwrap_or_else(|p| p.into_inner()) = Some(pv.to_owned());
        }
    }
}

/// The headers a 2026-07-28 client repeats from a request's `_meta`: version, method and name.
fn modern_headers(body: &[u8]) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let Some(version) = v.pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion").and_then(Value::as_str)
    else {
        return Vec::new();
    };
    let mut h = vec![("MCP-Protocol-Version".to_owned(), version.to_owned())];
    if let Some(m) = v["method"].as_str() {
        h.push(("Mcp-Method".to_owned(), m.to_owned()));
        let name = match m {
            "tools/call" | "prompts/get" => v.pointer("/params/name"),
            "resources/read" => v.pointer("/params/uri"),
            _ => None,
        };
        if let Some(n) = name.and_then(Value::as_str) {
            h.push(("Mcp-Name".to_owned(), n.to_owned()));
        }
    }
    h
}

impl Conn for HttpConn {
    fn send(&mut self, bytes: &[u8], extra: &[(String, String)]) -> Result<Option<Head>, String> {
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes).to_vec();
        let target = self.legacy_endpoint.clone().unwrap_or_else(|| self.url.clone());
        let mut req = self
            .agent
            .post(&target)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream");
        let mut headers = modern_headers(&body);
        if self.legacy_endpoint.is_none() {
            if let Some(s) = &self.session {
                headers.push(("Mcp-Session-Id".into(), s.clone()));
            }
            let negotiated = self.version.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let (Some(v), false) = (negotiated, headers.iter().any(|(k, _)| k == "MCP-Protocol-Version")) {
                headers.push(("MCP-Protocol-Version".into(), v));
            }
        }
        headers.extend(extra.iter().cloned());
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let response = req.send(&body[..]).map_err(|e| format!("POST {target}: {e}"))?;
        let head = Head {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
        };
        if let Some((_, sid)) = head.headers.iter().find(|(k, _)| k == "mcp-session-id") {
            self.session = Some(sid.clone());
        }
        if self.legacy_endpoint.is_none() {
            let tx = self.tx.clone().ok_or("the session is closed")?;
            let version = Arc::clone(&self.version);
            let sse = head.headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("text/event-stream"));
            let body = response.into_body();
            std::thread::spawn(move || {
                if sse {
                    read_sse(body, &tx, None, Some(&version));
                } else {
                    let mut reader = body.into_with_config().limit(MAX_MESSAGE as u64).reader();
                    let mut text = String::new();
                    if let Err(e) = reader.read_to_string(&mut text) {
                        let _ = tx.send(Recv::Invalid(format!("the response body broke: {e}")));
                    } else if !text.trim().is_empty() {
                        let item = serde_json::from_str(&text).map_or(Recv::Invalid(text), Recv::Message);
                        note_version(&item, Some(&version));
                        let _ = tx.send(item);
                    }
                }
            });
        }
        Ok(Some(head))
    }

    fn recv(&mut self, timeout: Duration) -> Recv {
        match self.rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(RecvTimeoutError::Disconnected) => Recv::Ended,
            Err(RecvTimeoutError::Timeout) => Recv::Timeout,
        }
    }

    fn close(&mut self) -> Result<(), String> {
        if let Some(sid) = self.session.take() {
            self.agent
                .delete(&self.url)
                .header("Mcp-Session-Id", &sid)
                .call()
                .map_err(|e| format!("DELETE {}: {e}", self.url))?;
        }
        // The runner's own sender goes, so the queue ends once every response stream has ended. A legacy stream
        // stays open until the server drops the session, so its end is not waited for.
        self.tx.take();
        if self.legacy_endpoint.is_some() {
            let (tx, rx) = mpsc::channel();
            while let Ok(item) = self.rx.try_recv() {
                let _ = tx.send(item);
            }
            self.rx = rx;
        }
        Ok(())
    }

    fn finish(&mut self, _timeout: Duration) -> Result<(), String> {
        Ok(())
    }

    fn stderr(&mut self) -> String {
        String::new()
    }
}
