//! The HTTP transports on hyper: Streamable HTTP at `/mcp` (2025-03-26 and later) and the 2024-11-05 HTTP+SSE pair
//! `/sse` + `/messages`, plus `/health` and `/`.
//!
//! Invariant: every MCP request passes the same gate, in this order, before any protocol work: Host and Origin
//! (DNS rebinding, 403), then the credential (401 when required and missing), then method, media types, body size
//! and session checks. The credential of a request is the `Authorization` header of that request (or the
//! configured one when the header is absent and not required) and travels only with that request's
//! [`CallCx`]: sessions hold no credential, so one caller's key can never serve another caller's call. Protocol
//! decisions are the [`Session`]'s; this module only maps them to HTTP.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::body::{sse_message, Body};
use crate::config::{Config, Credential, Secret};
use crate::jsonrpc::{self, ErrorCode, Outgoing, Parsed, RpcError};
use crate::protocol::{
    Version, HEADER_MISMATCH, META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION, MISSING_REQUIRED_CLIENT_CAPABILITY,
    UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::session::{check_modern_meta, CallCx, Handled, Server, Session};

/// The Streamable HTTP endpoint.
pub const MCP_PATH: &str = "/mcp";
/// The 2024-11-05 SSE endpoint.
pub const SSE_PATH: &str = "/sse";
/// The 2024-11-05 POST endpoint announced by the `endpoint` event.
pub const MESSAGES_PATH: &str = "/messages";

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
/// The header with which a client narrows the tools of its session (SPEC_NOTES.md, "Toolsets").
const TOOLSETS_HEADER: &str = "x-mcp-toolsets";
/// The JSON-RPC code of a refused request for a missing credential. It lies outside the ranges the spec reserves
/// (2026-07-28 `basic/index.mdx#error-codes`); clients act on the HTTP status.
const UNAUTHORIZED_CODE: i64 = -31001;
/// SSE comments keep idle streams alive through proxies.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Serves HTTP on `listener` until `shutdown` resolves, then stops accepting, answers the requests in flight,
/// closes the streams and returns (within the configured shutdown timeout).
///
/// # Errors
/// None after start-up; accept errors are logged and retried.
pub async fn serve(
    server: Arc<Server>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let http = Arc::new(HttpServer {
        loopback: local.ip().is_loopback(),
        server,
        sessions: Mutex::new(HashMap::new()),
        stop: CancellationToken::new(),
    });
    let reaper = tokio::spawn(reap_idle(Arc::clone(&http)));
    let mut conns: JoinSet<()> = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => break,
        };
        while conns.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Running out of file descriptors is the usual cause; a short pause lets connections close.
                log::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let h = Arc::clone(&http);
        conns.spawn(async move { h.connection(stream, peer).await });
    }

    log::info!("shutting down: {} connection(s) open", conns.len());
    drop(listener);
    http.stop.cancel();
    // Ending every session closes the streams that would otherwise keep their connections open forever.
    let ended: Vec<Arc<HttpSession>> = http.lock_sessions().drain().map(|(_, s)| s).collect();
    for s in ended {
        s.end();
    }
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(http.server.config.shutdown_timeout, drain).await.is_err() {
        log::warn!("connections still open after the shutdown timeout; closing them");
    }
    reaper.abort();
    Ok(())
}

struct HttpServer {
    server: Arc<Server>,
    loopback: bool,
    sessions: Mutex<HashMap<String, Arc<HttpSession>>>,
    stop: CancellationToken,
}

/// Which transport a session belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Streamable,
    LegacySse,
}

struct HttpSession {
    session: Arc<Session>,
    kind: Kind,
    last_used: Mutex<Instant>,
    /// The open server-to-client stream: the GET stream (Streamable) or the SSE stream that carries every reply
    /// (HTTP+SSE).
    stream: Mutex<Option<mpsc::UnboundedSender<Bytes>>>,
}

impl HttpSession {
    fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        lock(&self.last_used).elapsed()
    }

    /// Closes the session's stream; requests still running finish (those waiting for the client's answers fail,
    /// since no answer can arrive), but nothing new is accepted.
    fn end(&self) {
        lock(&self.stream).take();
        self.session.stop_waiting_for_client();
    }

    fn send_on_stream(&self, out: &Outgoing) -> bool {
        match lock(&self.stream).as_ref() {
            Some(tx) => tx.send(sse_message(&jsonrpc::encode(out))).is_ok(),
            None => false,
        }
    }
}

type Reply = Response<Body>;

impl HttpServer {
    fn lock_sessions(&self) -> MutexGuard<'_, HashMap<String, Arc<HttpSession>>> {
        lock(&self.sessions)
    }

    fn config(&self) -> &Config {
        &self.server.config
    }

    async fn connection(self: Arc<Self>, stream: tokio::net::TcpStream, peer: SocketAddr) {
        let h = Arc::clone(&self);
        let svc = service_fn(move |req| {
            let h = Arc::clone(&h);
            async move { Ok::<_, Infallible>(h.route(req).await) }
        });
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(self.config().http_header_timeout).keep_alive(true);
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let mut conn = std::pin::pin!(conn);
        let result = tokio::select! {
            r = conn.as_mut() => r,
            () = self.stop.cancelled() => {
                // Finish the request in flight on this connection, then close it.
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        if let Err(e) = result {
            log::debug!("connection from {peer}: {e}");
        }
    }

    async fn route(self: Arc<Self>, req: Request<Incoming>) -> Reply {
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        log::debug!("{method} {path}");
        match path.as_str() {
            "/health" if method == Method::GET => self.health(),
            "/" if method == Method::GET => self.info(),
            "/health" | "/" => method_not_allowed("GET"),
            p if p == MCP_PATH || p == "/mcp/" => match method {
                Method::POST => self.post_mcp(req).await,
                Method::GET => self.get_mcp(req),
                Method::DELETE => self.delete_mcp(req),
                _ => method_not_allowed("GET, POST, DELETE"),
            },
            SSE_PATH | "/sse/" => match method {
                Method::GET => self.get_sse(req),
                _ => method_not_allowed("GET"),
            },
            p if p == MESSAGES_PATH || p == "/messages/" => match method {
                Method::POST => self.post_messages(req).await,
                _ => method_not_allowed("POST"),
            },
            _ => error_reply(
                StatusCode::NOT_FOUND,
                None,
                RpcError::new(ErrorCode(-32601), format!("no such path: {path}")),
            ),
        }
    }

    fn health(&self) -> Reply {
        let body = json!({
            "status": "healthy",
            "service": "pingera-mcp-server",
            "version": env!("CARGO_PKG_VERSION"),
            "mode": self.config().mode.as_str(),
            "transport": "http",
            "sessions": self.lock_sessions().len(),
        });
        json_reply(StatusCode::OK, body.to_string().into_bytes())
    }

    fn info(&self) -> Reply {
        let body = json!({
            "service": "pingera-mcp-server",
            "name": self.config().server_name,
            "version": env!("CARGO_PKG_VERSION"),
            "mode": self.config().mode.as_str(),
            "transport": "streamable-http",
            "mcp_endpoint": MCP_PATH,
            "sse_endpoint": SSE_PATH,
            "health_check": "/health",
            "protocol_versions": Version::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        });
        json_reply(StatusCode::OK, body.to_string().into_bytes())
    }

    /// The gate every MCP request passes: Host and Origin, then the credential.
    #[allow(clippy::result_large_err)]
    fn gate(&self, headers: &HeaderMap) -> Result<Option<Credential>, Reply> {
        if let Some(why) = self.rebinding_problem(headers) {
            log::warn!("refused a request: {why}");
            return Err(error_reply(StatusCode::FORBIDDEN, None, RpcError::new(ErrorCode(-32600), why)));
        }
        match headers.get(hyper::header::AUTHORIZATION) {
            Some(v) => match v.to_str().ok().and_then(credential_from_header) {
                Some(c) => Ok(Some(c)),
                None => Err(unauthorized("the Authorization header is empty or not valid text")),
            },
            None if self.config().require_auth_header => Err(unauthorized(
                "missing Authorization header: this server requires your Pingera credential in it (an API key, \
                 or 'Bearer <JWT>')",
            )),
            None => Ok(self.config().credential.clone()),
        }
    }

    /// DNS rebinding protection: on a loopback bind, Host must name a loopback host; everywhere, an Origin (sent by
    /// browsers) must be a loopback origin on a loopback bind or one of the configured allowed origins.
    fn rebinding_problem(&self, headers: &HeaderMap) -> Option<String> {
        if self.loopback {
            if let Some(host) = headers.get(hyper::header::HOST) {
                let ok = host.to_str().ok().and_then(host_part).is_some_and(is_loopback_name);
                if !ok {
                    return Some(format!("Host {:?} is not allowed on a loopback server", host));
                }
            }
        }
        let origin = headers.get(hyper::header::ORIGIN)?;
        let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
        let allowed = self.config().http_allowed_origins.iter().any(|o| o == origin)
            || (self.loopback
                && origin
                    .split_once("://")
                    .filter(|(scheme, _)| *scheme == "http" || *scheme == "https")
                    .and_then(|(_, authority)| host_part(authority))
                    .is_some_and(is_loopback_name));
        (!allowed).then(|| format!("Origin {origin:?} is not allowed"))
    }

    fn find_session(&self, id: &str, kind: Kind) -> Option<Arc<HttpSession>> {
        self.lock_sessions().get(id).filter(|s| s.kind == kind).cloned()
    }

    /// The server a new session or stateless request uses: the shared one, or one whose service offers only the
    /// toolsets of the client's `X-MCP-Toolsets` header (a narrowing; an unknown name is 400 with the valid ones).
    #[allow(clippy::result_large_err)]
    fn server_for(&self, headers: &HeaderMap) -> Result<Arc<Server>, Reply> {
        let Some(v) = headers.get(TOOLSETS_HEADER) else { return Ok(Arc::clone(&self.server)) };
        match self.server.service.narrowed(v.to_str().unwrap_or("\u{fffd}")) {
            Ok(service) => Ok(Arc::new(Server { config: Arc::clone(&self.server.config), service })),
            Err(e) => Err(error_reply(StatusCode::BAD_REQUEST, None, e)),
        }
    }

    /// Reserves room for a new session of `server`; `None` when the configured maximum is reached.
    fn new_session(&self, kind: Kind, server: Arc<Server>) -> Option<(String, Arc<HttpSession>)> {
        if self.lock_sessions().len() >= self.config().http_max_sessions {
            return None;
        }
        let hs = Arc::new(HttpSession {
            session: Session::new(server),
            kind,
            last_used: Mutex::new(Instant::now()),
            stream: Mutex::new(None),
        });
        Some((new_session_id(), hs))
    }

    async fn post_mcp(&self, req: Request<Incoming>) -> Reply {
        let credential = match self.gate(req.headers()) {
            Ok(c) => c,
            Err(r) => return r,
        };
        let headers = req.headers().clone();
        if let Err(r) = check_content_type(&headers) {
            return r;
        }
        if !accepts(&headers, &["application/json", "text/event-stream"]) {
            return error_reply(
                StatusCode::NOT_ACCEPTABLE,
                None,
                RpcError::invalid_request(
                    "not acceptable: the Accept header must allow application/json and text/event-stream",
                ),
            );
        }
        // A protocol version header that is not a handshake-era version selects the stateless era (2026-07-28),
        // which validates it itself (and answers -32022 when it is unknown).
        let raw_version = headers.get(VERSION_HEADER).map(|v| v.to_str().unwrap_or_default().trim().to_owned());
        if let Some(v) = raw_version.as_deref().filter(|v| Version::parse(v).is_none()) {
            let v = v.to_owned();
            return self.post_modern(req, &v, credential).await;
        }
        // A supported handshake-era version is accepted even when it differs from the negotiated one: the spec asks
        // for 400 only when the header is invalid or unsupported, and clients (the conformance referee among them)
        // send other supported versions on purpose.
        match headers.get(VERSION_HEADER).map(|v| v.to_str().ok().and_then(Version::parse)) {
            None | Some(Some(_)) => {}
            Some(None) => {
                return error_reply(
                    StatusCode::BAD_REQUEST,
                    None,
                    RpcError::invalid_request(format!(
                        "unsupported MCP-Protocol-Version {:?}; supported: {}",
                        headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("?"),
                        Version::ALL.map(|v| v.as_str()).join(", ")
                    )),
                )
            }
        }
        let parsed = match read_message(req.into_body(), self.config().max_message_bytes).await {
            Ok(p) => p,
            Err(r) => return r,
        };
        let is_initialize =
            matches!(&parsed, Parsed::Single(Ok(jsonrpc::Incoming::Request(r))) if r.method == "initialize");

        let session_id = headers.get(SESSION_HEADER).map(|v| v.to_str().unwrap_or_default().to_owned());
        let (id, hs, created) = match session_id {
            Some(id) => match self.find_session(&id, Kind::Streamable) {
                Some(hs) => (id, hs, false),
                None => {
                    return error_reply(
                        StatusCode::NOT_FOUND,
                        None,
                        RpcError::invalid_request("unknown or ended session: send initialize without Mcp-Session-Id"),
                    )
                }
            },
            None if is_initialize => match self.server_for(&headers) {
                Err(r) => return r,
                Ok(server) => match self.new_session(Kind::Streamable, server) {
                    Some((id, hs)) => (id, hs, true),
                    None => return too_many_sessions(),
                },
            },
            None => {
                return error_reply(
                    StatusCode::BAD_REQUEST,
                    None,
                    RpcError::invalid_request("missing Mcp-Session-Id header: send initialize first"),
                )
            }
        };
        hs.touch();

        let stream = hs.session.wants_stream(&parsed);
        let (tx, body) = if stream { Body::channel() } else { (mpsc::unbounded_channel().0, Body::empty()) };
        let sink_tx = tx.clone();
        let session_for_sink = Arc::clone(&hs);
        let cx = CallCx {
            credential,
            sink: Arc::new(move |msg: Outgoing| {
                // Notifications of a streamed request go on its stream; otherwise on the session's GET stream if
                // one is open (there is no other place the spec allows).
                if stream {
                    let _ = sink_tx.send(sse_message(&jsonrpc::encode(&msg)));
                } else {
                    session_for_sink.send_on_stream(&msg);
                }
            }),
        };
        let handled = hs.session.handle(parsed, &cx);
        drop(cx);
        let reply = match handled {
            Handled::NoReply => return accepted(),
            Handled::Reply(out) => out,
            Handled::Deferred(fut) if stream => {
                tokio::spawn(async move {
                    if let Some(out) = fut.await {
                        let _ = tx.send(sse_message(&jsonrpc::encode(&out)));
                    }
                });
                return sse_reply(body);
            }
            Handled::Deferred(fut) => match fut.await {
                Some(out) => out,
                // The client cancelled the request; it gets no JSON-RPC response.
                None => return accepted(),
            },
        };
        let mut response = if stream {
            let _ = tx.send(sse_message(&jsonrpc::encode(&reply)));
            drop(tx);
            sse_reply(body)
        } else {
            json_reply(StatusCode::OK, jsonrpc::encode(&reply))
        };
        if created {
            let succeeded = matches!(&reply, Outgoing::Response { body: Ok(_), .. });
            if succeeded {
                self.lock_sessions().insert(id.clone(), hs);
                log::info!("session {} started", short(&id));
                response.headers_mut().insert(SESSION_HEADER, header_value(&id));
            }
        }
        response
    }

    /// One stateless (2026-07-28) request: validated against its headers in the spec's order, served by a fresh
    /// session that keeps nothing, answered as JSON or as an SSE stream whose closing cancels the request.
    async fn post_modern(&self, req: Request<Incoming>, header_version: &str, credential: Option<Credential>) -> Reply {
        let headers = req.headers().clone();
        let parsed = match read_message(req.into_body(), self.config().max_message_bytes).await {
            Ok(p) => p,
            Err(r) => return r,
        };
        let request = match parsed {
            Parsed::Single(Ok(jsonrpc::Incoming::Request(r))) => r,
            Parsed::Single(_) => return accepted(),
            Parsed::Batch(_) => {
                return error_reply(
                    StatusCode::BAD_REQUEST,
                    None,
                    RpcError::invalid_request("invalid request: JSON-RPC batches are not part of protocol 2026-07-28"),
                )
            }
        };
        let id = Some(request.id.clone());
        let params = request.params.clone().unwrap_or_default();
        // 1. The body's _meta must name a version and the client's capabilities.
        let meta = params.get("_meta").and_then(serde_json::Value::as_object);
        let body_version = meta.and_then(|m| m.get(META_PROTOCOL_VERSION)).and_then(serde_json::Value::as_str);
        let has_caps = meta.and_then(|m| m.get(META_CLIENT_CAPABILITIES)).is_some_and(serde_json::Value::is_object);
        let (Some(body_version), true) = (body_version, has_caps) else {
            let e =
                check_modern_meta(&params).err().unwrap_or_else(|| RpcError::invalid_params("invalid params: _meta"));
            return error_reply(StatusCode::BAD_REQUEST, id, e);
        };
        // 2. Headers must repeat the body.
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(decode_header_value);
        let mismatch = |what: String| {
            error_reply(
                StatusCode::BAD_REQUEST,
                id.clone(),
                RpcError::new(ErrorCode(HEADER_MISMATCH), format!("header mismatch: {what}")),
            )
        };
        if header_version != body_version {
            return mismatch(format!("MCP-Protocol-Version {header_version:?} but _meta says {body_version:?}"));
        }
        match header("mcp-method") {
            Some(Some(m)) if m == request.method => {}
            Some(Some(m)) => {
                return mismatch(format!("Mcp-Method {m:?} but the body's method is {:?}", request.method))
            }
            _ => return mismatch("missing or malformed Mcp-Method header".to_owned()),
        }
        let named = match request.method.as_str() {
            "tools/call" | "prompts/get" => params.get("name").and_then(serde_json::Value::as_str),
            "resources/read" => params.get("uri").and_then(serde_json::Value::as_str),
            _ => None,
        };
        if let Some(name) = named {
            match header("mcp-name") {
                Some(Some(h)) if h == name => {}
                Some(Some(h)) => return mismatch(format!("Mcp-Name {h:?} but the body names {name:?}")),
                _ => return mismatch("missing or malformed Mcp-Name header".to_owned()),
            }
        }
        // 3. and 4. The version must be supported and the method must exist; the session answers both.
        let session = match self.server_for(&headers) {
            Ok(server) => Session::new(server),
            Err(r) => return r,
        };
        let parsed = Parsed::Single(Ok(jsonrpc::Incoming::Request(request)));
        let stream = session.wants_stream(&parsed);
        let (tx, body) = if stream { Body::channel() } else { (mpsc::unbounded_channel().0, Body::empty()) };
        let sink_tx = tx.clone();
        let cx = CallCx {
            credential,
            sink: Arc::new(move |msg: Outgoing| {
                let _ = sink_tx.send(sse_message(&jsonrpc::encode(&msg)));
            }),
        };
        let reply = match session.handle(parsed, &cx) {
            Handled::NoReply => return accepted(),
            Handled::Reply(out) => out,
            Handled::Deferred(fut) if stream => {
                drop(cx);
                tokio::spawn(async move {
                    // 2026-07-28: the client closing the stream is the cancellation of the request.
                    tokio::select! {
                        out = fut => if let Some(out) = out {
                            let _ = tx.send(sse_message(&jsonrpc::encode(&out)));
                        },
                        () = tx.closed() => log::debug!("stateless request cancelled by closing its stream"),
                    }
                });
                return sse_reply(body);
            }
            Handled::Deferred(fut) => match fut.await {
                Some(out) => out,
                None => return accepted(),
            },
        };
        json_reply(modern_status(&reply), jsonrpc::encode(&reply))
    }

    fn get_mcp(&self, req: Request<Incoming>) -> Reply {
        if let Err(r) = self.gate(req.headers()) {
            return r;
        }
        if let Some(r) = modern_has_no_streams(req.headers()) {
            return r;
        }
        if !accepts(req.headers(), &["text/event-stream"]) {
            return error_reply(
                StatusCode::NOT_ACCEPTABLE,
                None,
                RpcError::invalid_request(
                    "not acceptable: GET opens an SSE stream; Accept must allow text/event-stream",
                ),
            );
        }
        let hs = match self.session_from(req.headers()) {
            Ok(hs) => hs,
            Err(r) => return r,
        };
        hs.touch();
        let (tx, body) = Body::channel();
        {
            let mut stream = lock(&hs.stream);
            if stream.as_ref().is_some_and(|s| !s.is_closed()) {
                return error_reply(
                    StatusCode::CONFLICT,
                    None,
                    RpcError::invalid_request("this session already has an open GET stream"),
                );
            }
            *stream = Some(tx.clone());
        }
        tokio::spawn(keep_alive(tx.downgrade(), self.stop.clone()));
        sse_reply(body)
    }

    fn delete_mcp(&self, req: Request<Incoming>) -> Reply {
        if let Err(r) = self.gate(req.headers()) {
            return r;
        }
        if let Some(r) = modern_has_no_streams(req.headers()) {
            return r;
        }
        let hs = match self.session_from(req.headers()) {
            Ok(hs) => hs,
            Err(r) => return r,
        };
        let id = req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        self.lock_sessions().remove(&id);
        hs.end();
        log::info!("session {} ended by the client", short(&id));
        Response::builder().status(StatusCode::NO_CONTENT).body(Body::empty()).expect("a constant response is valid")
    }

    /// The Streamable HTTP session named by the request: 400 without the header, 404 when unknown or ended.
    #[allow(clippy::result_large_err)]
    fn session_from(&self, headers: &HeaderMap) -> Result<Arc<HttpSession>, Reply> {
        let Some(id) = headers.get(SESSION_HEADER) else {
            return Err(error_reply(
                StatusCode::BAD_REQUEST,
                None,
                RpcError::invalid_request("missing Mcp-Session-Id header"),
            ));
        };
        self.find_session(id.to_str().unwrap_or_default(), Kind::Streamable).ok_or_else(|| {
            error_reply(StatusCode::NOT_FOUND, None, RpcError::invalid_request("unknown or ended session"))
        })
    }

    /// 2024-11-05 HTTP+SSE: opens the stream that carries every server message and announces the POST endpoint.
    fn get_sse(&self, req: Request<Incoming>) -> Reply {
        if let Err(r) = self.gate(req.headers()) {
            return r;
        }
        if !accepts(req.headers(), &["text/event-stream"]) {
            return error_reply(
                StatusCode::NOT_ACCEPTABLE,
                None,
                RpcError::invalid_request("not acceptable: Accept must allow text/event-stream"),
            );
        }
        let server = match self.server_for(req.headers()) {
            Ok(server) => server,
            Err(r) => return r,
        };
        let Some((id, hs)) = self.new_session(Kind::LegacySse, server) else {
            return too_many_sessions();
        };
        let (tx, body) = Body::channel();
        let endpoint = format!("event: endpoint\ndata: {MESSAGES_PATH}?sessionId={id}\n\n");
        let _ = tx.send(Bytes::from(endpoint));
        *lock(&hs.stream) = Some(tx.clone());
        self.lock_sessions().insert(id.clone(), hs);
        log::info!("HTTP+SSE session {} started", short(&id));
        tokio::spawn(keep_alive(tx.downgrade(), self.stop.clone()));
        sse_reply(body)
    }

    async fn post_messages(&self, req: Request<Incoming>) -> Reply {
        let credential = match self.gate(req.headers()) {
            Ok(c) => c,
            Err(r) => return r,
        };
        if let Err(r) = check_content_type(req.headers()) {
            return r;
        }
        let query = req.uri().query().unwrap_or_default().to_owned();
        let Some(id) = query.split('&').find_map(|kv| kv.strip_prefix("sessionId=")).filter(|v| !v.is_empty()) else {
            return error_reply(
                StatusCode::BAD_REQUEST,
                None,
                RpcError::invalid_request("missing sessionId query parameter"),
            );
        };
        let Some(hs) = self.find_session(id, Kind::LegacySse) else {
            return error_reply(StatusCode::NOT_FOUND, None, RpcError::invalid_request("unknown or ended session"));
        };
        let parsed = match read_message(req.into_body(), self.config().max_message_bytes).await {
            Ok(p) => p,
            Err(r) => return r,
        };
        hs.touch();
        let sink_hs = Arc::clone(&hs);
        let cx = CallCx {
            credential,
            sink: Arc::new(move |msg: Outgoing| {
                sink_hs.send_on_stream(&msg);
            }),
        };
        match hs.session.handle(parsed, &cx) {
            Handled::NoReply => {}
            Handled::Reply(out) => {
                hs.send_on_stream(&out);
            }
            Handled::Deferred(fut) => {
                let hs = Arc::clone(&hs);
                tokio::spawn(async move {
                    if let Some(out) = fut.await {
                        hs.send_on_stream(&out);
                    }
                });
            }
        }
        Response::builder()
            .status(StatusCode::ACCEPTED)
            .header(hyper::header::CONTENT_TYPE, "text/plain")
            .body(Body::full("Accepted"))
            .expect("a constant response is valid")
    }
}

/// Ends sessions that have been idle for longer than the configured lifetime, and HTTP+SSE sessions whose stream
/// the client closed.
async fn reap_idle(http: Arc<HttpServer>) {
    let idle = http.config().http_session_idle;
    let period = (idle / 4).clamp(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        tokio::time::sleep(period).await;
        let mut sessions = http.lock_sessions();
        let before = sessions.len();
        sessions.retain(|_, s| {
            let stream_gone = s.kind == Kind::LegacySse && lock(&s.stream).as_ref().is_none_or(|t| t.is_closed());
            let keep = !stream_gone && (s.idle_for() < idle || s.session.in_flight() > 0);
            if !keep {
                s.end();
            }
            keep
        });
        let reaped = before - sessions.len();
        if reaped > 0 {
            log::info!("ended {reaped} idle session(s)");
        }
    }
}

/// Sends an SSE comment now and then so that proxies keep the stream open. It holds only a weak sender, so the
/// stream still ends as soon as its owner (the session) lets go of it.
async fn keep_alive(tx: mpsc::WeakUnboundedSender<Bytes>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(KEEP_ALIVE) => {}
            () = stop.cancelled() => return,
        }
        match tx.upgrade() {
            Some(tx) if tx.send(Bytes::from_static(b": keep-alive\n\n")).is_ok() => {}
            _ => return,
        }
    }
}

/// 2026-07-28 has no GET stream and no sessions to delete: such requests are 405.
fn modern_has_no_streams(headers: &HeaderMap) -> Option<Reply> {
    let v = headers.get(VERSION_HEADER)?.to_str().unwrap_or_default().trim();
    Version::parse(v).is_none().then(|| method_not_allowed("POST"))
}

/// The HTTP status of a stateless reply: -32601 is 404 (so a client can tell "no such method" from "no such
/// path" by the body), the request-level errors are 400, everything else 200.
fn modern_status(reply: &Outgoing) -> StatusCode {
    match reply {
        Outgoing::Response { body: Err(e), .. } => match e.code.0 {
            -32601 => StatusCode::NOT_FOUND,
            -32700
            | -32600
            | -32602
            | HEADER_MISMATCH
            | MISSING_REQUIRED_CLIENT_CAPABILITY
            | UNSUPPORTED_PROTOCOL_VERSION => StatusCode::BAD_REQUEST,
            _ => StatusCode::OK,
        },
        _ => StatusCode::OK,
    }
}

/// Decodes a header value sent as `=?base64?<data>?=` (values that are not plain visible ASCII); `None` when the
/// encoding is broken.
fn decode_header_value(v: &str) -> Option<String> {
    let v = v.trim();
    let Some(b64) = v.strip_prefix("=?base64?").and_then(|r| r.strip_suffix("?=")) else {
        return Some(v.to_owned());
    };
    let mut out = Vec::with_capacity(b64.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in b64.bytes().filter(|c| *c != b'=') {
        let d = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(d);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    String::from_utf8(out).ok()
}

/// Reads and parses a POSTed message: 413 over the limit, 400 with the -32700 / -32600 error when it is not a
/// valid message (a batch is left to the session, whose negotiated version decides).
async fn read_message(body: Incoming, limit: usize) -> Result<Parsed, Reply> {
    let bytes = read_body(body, limit).await?;
    match jsonrpc::parse(&bytes) {
        Parsed::Single(Err((id, e))) => Err(error_reply(StatusCode::BAD_REQUEST, id, e)),
        parsed => Ok(parsed),
    }
}

/// Reads a request body up to `limit` bytes: 413 beyond it, 400 when the connection breaks.
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, Reply> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(error_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            RpcError::invalid_request(format!("invalid request: message larger than the limit of {limit} bytes"))
                .with_data(json!({ "limit": limit })),
        )),
        Err(e) => Err(error_reply(
            StatusCode::BAD_REQUEST,
            None,
            RpcError::invalid_request(format!("could not read the request body: {e}")),
        )),
    }
}

#[allow(clippy::result_large_err)]
fn check_content_type(headers: &HeaderMap) -> Result<(), Reply> {
    let ok = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false);
    if ok {
        return Ok(());
    }
    Err(error_reply(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        None,
        RpcError::invalid_request("unsupported media type: POST a JSON-RPC message as application/json"),
    ))
}

/// Whether the Accept header allows every one of `types` (an absent header allows everything).
fn accepts(headers: &HeaderMap, types: &[&str]) -> bool {
    let Some(accept) = headers.get(hyper::header::ACCEPT) else { return true };
    let accept = accept.to_str().unwrap_or_default().to_ascii_lowercase();
    let ranges: Vec<&str> = accept.split(',').map(|r| r.split(';').next().unwrap_or_default().trim()).collect();
    types.iter().all(|t| {
        let major = t.split('/').next().unwrap_or_default();
        ranges.iter().any(|r| r == t || *r == "*/*" || r.strip_suffix("/*") == Some(major))
    })
}

/// `Bearer X` (any case) is a JWT; any other non-empty value is an API key.
pub fn credential_from_header(value: &str) -> Option<Credential> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match v.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() => {
            Some(Credential::Jwt(Secret::new(rest.trim())))
        }
        _ => Some(Credential::ApiKey(Secret::new(v))),
    }
}

/// The host of a `Host` header or of an origin's authority, without the port.
fn host_part(authority: &str) -> Option<&str> {
    let a = authority.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split_once(']').map(|(h, _)| h);
    }
    let host = match a.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => a,
    };
    (!host.is_empty()).then_some(host)
}

fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// 128 random bits from the operating system, as 32 hex digits: unguessable, visible ASCII.
fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if let Err(e) = filled {
        // Without an entropy source a session id could be guessed; refusing to run is the only safe answer.
        panic!("cannot read /dev/urandom for a session id: {e}");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).expect("session ids are visible ASCII")
}

fn json_reply(status: StatusCode, body: Vec<u8>) -> Reply {
    Response::builder()
        .status(status)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Body::full(body))
        .expect("a constant response is valid")
}

fn sse_reply(body: Body) -> Reply {
    Response::builder()
        .status(StatusCode::OK)
        .header(hyper::header::CONTENT_TYPE, "text/event-stream")
        .header(hyper::header::CACHE_CONTROL, "no-cache")
        .header("x-accel-buffering", "no")
        .body(body)
        .expect("a constant response is valid")
}

fn error_reply(status: StatusCode, id: Option<jsonrpc::RequestId>, error: RpcError) -> Reply {
    json_reply(status, jsonrpc::encode(&Outgoing::error(id, error)))
}

fn accepted() -> Reply {
    Response::builder().status(StatusCode::ACCEPTED).body(Body::empty()).expect("a constant response is valid")
}

fn method_not_allowed(allow: &'static str) -> Reply {
    let mut r = error_reply(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        RpcError::invalid_request(format!("method not allowed here; allowed: {allow}")),
    );
    r.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
    r
}

fn unauthorized(message: &'static str) -> Reply {
    let mut r = error_reply(StatusCode::UNAUTHORIZED, None, RpcError::new(ErrorCode(UNAUTHORIZED_CODE), message));
    r.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"pingera-mcp\""));
    r
}

fn too_many_sessions() -> Reply {
    let mut r = error_reply(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        RpcError::new(ErrorCode(-32603), "too many sessions: try again later"),
    );
    r.headers_mut().insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_headers() {
        assert_eq!(credential_from_header("Bearer abc").unwrap().header_value(), "Bearer abc");
        assert_eq!(credential_from_header("bearer  abc ").unwrap().header_value(), "Bearer abc");
        assert_eq!(credential_from_header("Token abc").unwrap().header_value(), "Token abc");
        assert_eq!(credential_from_header("raw-key").unwrap().header_value(), "raw-key");
        assert_eq!(credential_from_header("Bearer").unwrap().header_value(), "Bearer");
        assert!(credential_from_header("  ").is_none());
    }

    #[test]
    fn hosts_and_origins() {
        assert_eq!(host_part("localhost:5000"), Some("localhost"));
        assert_eq!(host_part("[::1]:5000"), Some("::1"));
        assert_eq!(host_part("127.0.0.1"), Some("127.0.0.1"));
        assert!(is_loopback_name("127.0.0.2"));
        assert!(is_loopback_name("LOCALHOST"));
        assert!(!is_loopback_name("evil.example.com"));
        assert!(!is_loopback_name("localhost.evil.com"));
    }

    #[test]
    fn accept_rules() {
        let mut h = HeaderMap::new();
        assert!(accepts(&h, &["application/json", "text/event-stream"]));
        h.insert(hyper::header::ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
        assert!(accepts(&h, &["application/json", "text/event-stream"]));
        h.insert(hyper::header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!accepts(&h, &["application/json", "text/event-stream"]));
        h.insert(hyper::header::ACCEPT, HeaderValue::from_static("*/*"));
        assert!(accepts(&h, &["text/event-stream"]));
        h.insert(hyper::header::ACCEPT, HeaderValue::from_static("text/*;q=0.5, application/*"));
        assert!(accepts(&h, &["application/json", "text/event-stream"]));
    }

    #[test]
    fn base64_header_values_decode() {
        assert_eq!(decode_header_value("plain").as_deref(), Some("plain"));
        assert_eq!(decode_header_value("=?base64?aMOpbGxv?=").as_deref(), Some("h\u{e9}llo"));
        assert_eq!(decode_header_value("=?base64?dGVzdA==?=").as_deref(), Some("test"));
        assert_eq!(decode_header_value("=?base64?***?="), None);
    }

    #[test]
    fn session_ids_are_random_hex() {
        let a = new_session_id();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_session_id());
    }
}
