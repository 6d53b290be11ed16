//! A minimal HTTP/1.1 client on std `TcpStream`, for tests that must control every header (Host, Origin,
//! Accept...) and read SSE streams event by event.
//!
//! Invariant: every read has a timeout ([`super::TIMEOUT`]), so a server that never answers fails the test instead of
//! hanging it. Each request uses its own connection (`Connection: close`), so requests sent from different threads
//! are independent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

use super::TIMEOUT;

/// A response head plus a reader for the rest.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    reader: BodyReader,
}

/// Reads a body as it arrives: plain, `Content-Length` or chunked.
struct BodyReader {
    inner: BufReader<TcpStream>,
    chunked: bool,
    remaining: Option<usize>,
    chunk_left: usize,
    done: bool,
}

impl BodyReader {
    /// Reads up to `buf.len()` body bytes; 0 at the end of the body.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.chunked {
            if self.chunk_left == 0 {
                let mut line = String::new();
                self.inner.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
                if size == 0 {
                    self.done = true;
                    return Ok(0);
                }
                self.chunk_left = size;
            }
            let cap = buf.len().min(self.chunk_left);
            let n = self.inner.read(&mut buf[..cap])?;
            self.chunk_left -= n;
            if self.chunk_left == 0 {
                let mut crlf = String::new();
                self.inner.read_line(&mut crlf)?;
            }
            if n == 0 {
                self.done = true;
            }
            return Ok(n);
        }
        let cap = self.remaining.map_or(buf.len(), |r| r.min(buf.len()));
        if cap == 0 {
            self.done = true;
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..cap])?;
        if let Some(r) = self.remaining.as_mut() {
            *r -= n;
        }
        if n == 0 {
            self.done = true;
        }
        Ok(n)
    }
}

impl HttpResponse {
    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The whole body as text.
    pub fn text(mut self) -> String {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => panic!("reading the body failed: {e}"),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The body as JSON.
    pub fn json(self) -> Value {
        let t = self.text();
        serde_json::from_str(&t).unwrap_or_else(|e| panic!("body is not JSON ({e}): {t}"))
    }

    /// The next SSE event as (event name, data), or `None` when the stream ends.
    pub fn next_event(&mut self) -> Option<(String, String)> {
        let mut event = String::from("message");
        let mut data: Vec<String> = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            let mut byte = [0u8; 1];
            loop {
                match self.reader.read(&mut byte) {
                    Ok(0) => return None,
                    Ok(_) if byte[0] == b'\n' => break,
                    Ok(_) => line.push(byte[0]),
                    Err(e) => panic!("reading the stream failed: {e}"),
                }
            }
            let l = String::from_utf8_lossy(&line).trim_end_matches('\r').to_owned();
            if l.is_empty() {
                if !data.is_empty() {
                    return Some((event, data.join("\n")));
                }
                continue;
            }
            if l.starts_with(':') {
                continue;
            }
            if let Some(v) = l.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = l.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
            }
        }
    }

    /// Every JSON-RPC message of the response: the JSON body, or each SSE `message` event; nothing for 202.
    pub fn messages(self) -> Vec<Value> {
        let mut out = Vec::new();
        self.each_message(|m| out.push(m));
        out
    }

    /// Hands each JSON-RPC message of the response to `f` as soon as it arrives (SSE events one by one).
    pub fn each_message(mut self, mut f: impl FnMut(Value)) {
        let ct = self.header("content-type").unwrap_or_default().to_owned();
        if ct.starts_with("text/event-stream") {
            while let Some((event, data)) = self.next_event() {
                if event == "message" {
                    f(serde_json::from_str(&data).unwrap_or_else(|e| panic!("SSE data not JSON ({e}): {data}")));
                }
            }
        } else {
            let t = self.text();
            if !t.trim().is_empty() {
                f(serde_json::from_str(&t).unwrap_or_else(|e| panic!("body not JSON ({e}): {t}")));
            }
        }
    }
}

/// Sends one request on a new connection and returns once the response head has arrived.
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_response(stream)
}

/// Reads a response head from a stream.
pub fn read_response(stream: TcpStream) -> HttpResponse {
    let mut inner = BufReader::new(stream);
    let mut status_line = String::new();
    inner.read_line(&mut status_line).unwrap_or_else(|e| panic!("no response: {e}"));
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        inner.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let get =
        |n: &str| headers.iter().find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
    let chunked = get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let remaining = get("content-length").and_then(|v| v.parse().ok());
    HttpResponse { status, headers, reader: BodyReader { inner, chunked, remaining, chunk_left: 0, done: false } }
}

/// The standard headers of an MCP POST.
pub const MCP_HEADERS: &[(&str, &str)] =
    &[("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")];

/// POSTs a JSON-RPC message to `/mcp` with the standard headers plus `extra`.
pub fn post(addr: SocketAddr, session: Option<&str>, extra: &[(&str, &str)], body: &Value) -> HttpResponse {
    let mut headers: Vec<(&str, &str)> = MCP_HEADERS.to_vec();
    if let Some(s) = session {
        headers.push(("Mcp-Session-Id", s));
    }
    headers.extend_from_slice(extra);
    request(addr, "POST", "/mcp", &headers, body.to_string().as_bytes())
}

/// Runs the handshake and returns the session id.
pub fn initialize(addr: SocketAddr, version: &str, extra: &[(&str, &str)]) -> String {
    let r = post(
        addr,
        None,
        extra,
        &serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "http-tests", "version": "1"}}}),
    );
    assert_eq!(r.status, 200, "initialize failed");
    let sid = r.header("mcp-session-id").expect("a session id is issued").to_owned();
    let msgs = r.messages();
    assert!(msgs[0].get("result").is_some(), "{msgs:?}");
    let mut h: Vec<(&str, &str)> = vec![("MCP-Protocol-Version", version)];
    h.extend_from_slice(extra);
    let r = post(addr, Some(&sid), &h, &serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    assert_eq!(r.status, 202);
    sid
}

/// A bound for waits that poll an observable condition.
pub const POLL: Duration = Duration::from_millis(20);
