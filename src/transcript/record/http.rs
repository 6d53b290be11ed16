//! The HTTP proxy of `mcp-transcript record`: listens where the client connects, forwards each request to the
//! target server (Streamable HTTP, or the 2024-11-05 HTTP+SSE pair), and records the POSTed messages, the
//! recorded response headers and every message the server sends back, in a JSON body or on an event stream.
//!
//! Invariant: bodies pass through unchanged except that an absolute endpoint URL in an event stream is rewritten to
//! point at the proxy; a message is recorded before the other side can see it; hop-by-hop headers are never
//! forwarded and only the headers in `RECORDED` reach the file, so an `Authorization` header never does.

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{lock, Entry, RecordOptions, Recording};
use crate::transcript::client::MAX_MESSAGE;
use crate::transcript::listen::Reply;
use crate::transcript::{sse, EXIT_PASS};

/// The HTTP proxy: serves until SIGINT or SIGTERM.
pub(super) fn record_http(listen: SocketAddr, target: &str, out: &Path, opts: RecordOptions) -> Result<i32, String> {
    let origin = origin_of(target).ok_or_else(|| format!("--target must be an http:// URL, got {target:?}"))?;
    let rec = Arc::new(Mutex::new(Recording::new(out.to_owned(), opts)));
    lock(&rec).write().map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    crate::transcript::listen::runtime()?.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        // One write, so that a reader never sees half of the address.
        let ready = format!("mcp-transcript: recording http://{local} -> {origin}");
        eprintln!("{ready}");
        let proxy = Arc::new(Proxy {
            origin,
            local,
            agent: crate::transcript::client::agent(std::time::Duration::from_secs(300)),
            rec: Arc::clone(&rec),
        });
        crate::transcript::listen::serve(listener, move |req| Arc::clone(&proxy).forward(req)).await;
        lock(&rec).write().map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        Ok(EXIT_PASS)
    })
}

/// `http://host:port` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then(|| format!("http://{host}"))
}

/// Hop-by-hop headers, and those hyper or ureq set themselves.
const NOT_FORWARDED: &[&str] = &["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade"];
/// Response headers that go into the transcript.
const RECORDED: &[&str] = &["content-type", "mcp-session-id", "mcp-protocol-version", "mcp-method"];

struct Proxy {
    origin: String,
    local: SocketAddr,
    agent: ureq::Agent,
    rec: Arc<Mutex<Recording>>,
}

impl Proxy {
    async fn forward(self: Arc<Self>, req: hyper::Request<hyper::body::Incoming>) -> Reply {
        use http_body_util::BodyExt;
        let (parts, body) = req.into_parts();
        let body = match http_body_util::Limited::new(body, MAX_MESSAGE).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return plain(413, &format!("request body: {e}")),
        };
        let me = Arc::clone(&self);
        match tokio::task::spawn_blocking(move || me.forward_blocking(parts, body)).await {
            Ok(r) => r,
            Err(e) => plain(502, &format!("proxy failed: {e}")),
        }
    }

    fn forward_blocking(&self, parts: hyper::http::request::Parts, body: bytes::Bytes) -> Reply {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("{}{path}", self.origin);
        let mut builder = ureq::http::Request::builder().method(parts.method.clone()).uri(&url);
        for (k, v) in &parts.headers {
            if !NOT_FORWARDED.contains(&k.as_str()) {
                builder = builder.header(k, v);
            }
        }
        // A POSTed message is recorded before it is passed on: over HTTP+SSE its reply may reach the event stream
        // before the POST is answered.
        let sent = (parts.method == hyper::Method::POST).then(|| {
            let text = String::from_utf8_lossy(&body).into_owned();
            lock(&self.rec).push(Entry::Send { text, http: None })
        });
        let result = match builder.body(body.to_vec()) {
            Ok(r) => self.agent.run(r),
            Err(e) => return plain(400, &format!("bad request: {e}")),
        };
        let response = match result {
            Ok(r) => r,
            Err(e) => return plain(502, &format!("{url}: {e}")),
        };
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let is_sse = headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("text/event-stream"));
        let is_json = headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("application/json"));
        match parts.method.as_str() {
            "POST" => {
                let recorded: Vec<(String, String)> = headers
                    .iter()
                    .filter(|(k, _)| RECORDED.contains(&k.as_str()))
                    .filter(|(k, _)| status != 202 || k != "content-type")
                    .map(|(k, v)| (canonical(k), v.clone()))
                    .collect();
                if let Some(i) = sent {
                    lock(&self.rec).answer(i, status, recorded);
                }
            }
            "DELETE" => {
                lock(&self.rec).push(Entry::Eof);
            }
            "GET" if is_sse && path.starts_with("/sse") => {
                let note = "2024-11-05 HTTP+SSE session: verify with --url ending in /sse";
                lock(&self.rec).push(Entry::Comment(note.into()));
            }
            _ => {}
        }
        let mut reply = hyper::Response::builder().status(status);
        for (k, v) in &headers {
            if !NOT_FORWARDED.contains(&k.as_str()) {
                reply = reply.header(k.as_str(), v.as_str());
            }
        }
        // A bounded queue: a client that reads slowly slows the pump, which slows the upstream server.
        let (tx, out_body) = crate::transport::body::Body::channel(64);
        let rec = Arc::clone(&self.rec);
        let (origin, local) = (self.origin.clone(), format!("http://{}", self.local));
        let mut reader = response.into_body().into_with_config().limit(u64::MAX).reader();
        // The body is pumped on a thread of its own: an event stream may stay open for the whole session.
        std::thread::spawn(move || {
            let mut parser = sse::Parser::new();
            let mut whole = Vec::new();
            let mut holding = is_json;
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut chunk = buf[..n].to_vec();
                if is_sse {
                    for ev in parser.push(&chunk) {
                        if ev.name == "message" {
                            let e = serde_json::from_str(&ev.data).map_or(Entry::Junk(ev.data), Entry::Recv);
                            lock(&rec).push(e);
                        }
                    }
                    // An absolute endpoint URL must point the client at the proxy, not past it.
                    let text = String::from_utf8_lossy(&chunk);
                    if text.contains(&origin) {
                        chunk = text.replace(&origin, &local).into_bytes();
                    }
                } else if holding {
                    // A JSON reply is held until it is whole and recorded, then passed on (see below).
                    whole.extend_from_slice(&chunk);
                    if whole.len() <= MAX_MESSAGE {
                        continue;
                    }
                    // Too large to record: pass on what was held, in order, and hold nothing more.
                    holding = false;
                    chunk = std::mem::take(&mut whole);
                    lock(&rec)
                        .push(Entry::Comment(format!("a reply larger than {MAX_MESSAGE} bytes was not recorded")));
                }
                if tx.blocking_send(bytes::Bytes::from(chunk)).is_err() {
                    break;
                }
            }
            // Every message is recorded before the client sees it, so that the client's next message can never
            // be recorded ahead of it.
            if holding && !whole.iter().all(u8::is_ascii_whitespace) {
                let text = String::from_utf8_lossy(&whole).into_owned();
                let e = serde_json::from_str(&text).map_or(Entry::Junk(text), Entry::Recv);
                lock(&rec).push(e);
            }
            if !whole.is_empty() {
                let _ = tx.blocking_send(bytes::Bytes::from(whole));
            }
        });
        reply.body(out_body).unwrap_or_else(|e| plain(502, &format!("bad response from the server: {e}")))
    }
}

/// A header name as MCP documents spell it.
fn canonical(k: &str) -> String {
    match k {
        "mcp-session-id" => "Mcp-Session-Id".into(),
        "mcp-protocol-version" => "MCP-Protocol-Version".into(),
        "mcp-method" => "Mcp-Method".into(),
        "content-type" => "Content-Type".into(),
        other => other.to_owned(),
    }
}

fn plain(status: u16, text: &str) -> Reply {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(crate::transport::body::Body::full(text.to_owned()))
        .expect("a plain response is valid")
}
