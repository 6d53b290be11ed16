//! The HTTP transports on hyper: Streamable HTTP at `/mcp` (2025-03-26 and later, and the stateless 2026-07-28
//! requests), the 2024-11-05 HTTP+SSE pair `/sse` + `/messages`, plus `/health` and `/`.
//!
//! Invariant: every MCP request passes the same gate (`gate::Gate`), in this order, before any protocol work: Host and
//! Origin (DNS rebinding, 403), then the credential (401 when required and missing), then method, media types,
//! body size and session checks. A request's credential travels only with that request's
//! [`crate::session::CallCx`]: sessions hold no credential, so one caller's key can never serve another caller's
//! call. Protocol decisions are the [`crate::session::Session`]'s; these modules only map them to HTTP.
//!
//! Codemap: this file is the accept loop, shutdown and routing (and `serve_streams`, the same connections over any
//! byte stream, for fuzzing and tests); `conns` (the connection cap and which connections
//! give way), `gate` (Host, Origin, credential, media types), `sessions` (the session registry, its limit and the
//! idle reaper), `sealed` (session ids that carry the session's state, so any replica serves any session),
//! `streamable` (POST/GET/DELETE `/mcp` of the
//! handshake era), `stateless` (2026-07-28 requests: headers in, status codes out), `legacy` (HTTP+SSE) and
//! `reply` (responses, body reading, keep-alive). Every path hands the session's answer to
//! `crate::transport::deliver`.

mod conns;
mod gate;
mod legacy;
mod reply;
mod sealed;
mod sessions;
mod stateless;
mod streamable;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use self::conns::{Admitted, BusyGuard, Conns, EVICT_GRACE};
use self::gate::Gate;
use self::reply::{error_reply, json_reply, method_not_allowed, Reply};
use self::sealed::Sealed;
use self::sessions::Registry;
use crate::jsonrpc::{self, ErrorCode, RpcError};
use crate::protocol::Version;
use crate::seal::SessionKey;
use crate::session::Server;
use crate::transport::body::Body;

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

/// The settings of the HTTP transport.
pub struct HttpOptions {
    /// The largest accepted POST body, in bytes.
    pub max_message_bytes: usize,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_timeout: Duration,
    /// The most connections open at once (before fitting it to the file-descriptor limit).
    pub max_connections: usize,
    /// Origins allowed besides loopback ones.
    pub allowed_origins: Vec<String>,
    /// Whether a request without `Authorization` is refused (401).
    pub require_auth_header: bool,
    /// The most sessions at once.
    pub max_sessions: usize,
    /// How long an unused session lives.
    pub session_idle: Duration,
    /// How long shutdown waits for open connections.
    pub shutdown_timeout: Duration,
    /// The server's name, shown by `/`.
    pub name: String,
    /// The mode word shown by `/health` and `/`.
    pub mode: &'static str,
    /// The key that seals session ids and the previous one (see the `sealed` module); `None` keeps sessions in memory.
    pub session_keys: Option<(SessionKey, Option<SessionKey>)>,
    /// How long a sealed session id is accepted after it was issued.
    pub session_max_age: Duration,
    /// After the shutdown signal, how long `/health` answers 503 while requests are still served.
    pub drain_delay: Duration,
}

/// Serves HTTP on `listener` until `shutdown` resolves, then stops accepting, answers the requests in flight,
/// closes the streams and returns (within the configured shutdown timeout).
///
/// # Errors
/// None after start-up; accept errors are logged and retried.
pub async fn serve(
    server: Arc<Server>,
    options: HttpOptions,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let http = HttpServer::new(server, options, local.ip().is_loopback());
    let reaper = tokio::spawn(sessions::reap_idle(Arc::clone(&http.sessions), http.config.session_idle));
    let admitted = Conns::new(http.config.max_connections);
    let mut conns: JoinSet<()> = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    // Draining: after the shutdown signal, `/health` answers 503 while requests are still accepted and served
    // until `drain_end`, so that a load balancer takes the replica out before its port closes.
    let drain_end = tokio::time::sleep(Duration::ZERO);
    let mut drain_end = std::pin::pin!(drain_end);
    // The pause after a failed accept doubles up to a second while accepting keeps failing.
    let mut backoff = Duration::ZERO;
    loop {
        let draining = http.draining.load(Ordering::Relaxed);
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown, if !draining => {
                http.draining.store(true, Ordering::Relaxed);
                log::info!("draining: /health answers 503; closing the port in {:?}", http.config.drain_delay);
                drain_end.as_mut().reset(tokio::time::Instant::now() + http.config.drain_delay);
                continue;
            }
            () = &mut drain_end, if draining => break,
        };
        while conns.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Running out of file descriptors is the usual cause (the cap keeps a reserve, but other parts of
                // the process use descriptors too): an idle connection gives way, and the loop backs off instead
                // of spinning. One warning per episode.
                let shed = admitted.shed_one();
                if backoff.is_zero() {
                    log::warn!("accept failed: {e}; backing off (an idle connection closed: {shed})");
                } else {
                    log::debug!("accept failed again: {e}");
                }
                backoff = (backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                // The loop's own select sees a shutdown signal (and starts the drain) at most a second later.
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        backoff = Duration::ZERO;
        let Some(admission) = admitted.admit() else {
            refuse_connection(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let h = Arc::clone(&http);
        conns.spawn(async move { h.connection(stream, peer, admission).await });
    }

    log::info!("shutting down: {} connection(s) open", conns.len());
    drop(listener);
    http.stop.cancel();
    // Ending every session closes the streams that would otherwise keep their connections open forever.
    http.sessions.end_all();
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(http.config.shutdown_timeout, drain).await.is_err() {
        log::warn!("connections still open after the shutdown timeout; closing them");
    }
    reaper.abort();
    Ok(())
}

/// Serves HTTP/1.1 on each byte stream received from `incoming` as one connection of one server, as if accepted on
/// a loopback address, until `incoming` closes and every connection has ended; then ends the sessions, as shutdown
/// does. It exists for fuzzing and tests (`fuzz/fuzz_targets/http_session.rs`), which need the real request path
/// without sockets; servers use [`serve`].
///
/// The connections of one call share one session registry, so a session opened on one stream can be used on
/// another (as the HTTP+SSE pair needs: its stream stays open while its messages arrive on other connections);
/// each call has a registry of its own, so one call's outcome depends on its own streams alone, which is what a
/// fuzzer needs to reproduce a finding.
pub async fn serve_streams<Io>(server: Arc<Server>, options: HttpOptions, mut incoming: mpsc::Receiver<Io>)
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let http = HttpServer::new(server, options, true);
    let reaper = tokio::spawn(sessions::reap_idle(Arc::clone(&http.sessions), http.config.session_idle));
    let admitted = Conns::new(http.config.max_connections);
    let peer = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut conns: JoinSet<()> = JoinSet::new();
    while let Some(stream) = incoming.recv().await {
        match admitted.admit() {
            Some(admission) => {
                conns.spawn(Arc::clone(&http).connection(stream, peer, admission));
            }
            None => refuse_connection(stream),
        }
    }
    while conns.join_next().await.is_some() {}
    http.stop.cancel();
    http.sessions.end_all();
    reaper.abort();
}

/// What every connection of one HTTP server shares.
struct HttpServer {
    server: Arc<Server>,
    config: HttpOptions,
    gate: Gate,
    sessions: Arc<Registry>,
    /// Set when a session key is configured: sealed session ids ([`sealed`]).
    sealed: Option<Sealed>,
    /// Set by the shutdown signal: `/health` answers 503.
    draining: AtomicBool,
    stop: CancellationToken,
}

impl HttpServer {
    /// The shared state of a server whose address is a loopback one when `loopback` (which decides the Host check).
    fn new(server: Arc<Server>, options: HttpOptions, loopback: bool) -> Arc<HttpServer> {
        Arc::new(HttpServer {
            gate: Gate {
                loopback,
                allowed_origins: options.allowed_origins.clone(),
                require_auth_header: options.require_auth_header,
            },
            server,
            sessions: Arc::new(Registry::new(options.max_sessions)),
            sealed: options.session_keys.as_ref().map(|(current, previous)| {
                Sealed::new(current, previous.as_ref(), options.session_max_age, options.max_sessions)
            }),
            draining: AtomicBool::new(false),
            stop: CancellationToken::new(),
            config: options,
        })
    }

    /// Serves one connection: `stream` is a TCP stream, or any byte stream for [`serve_streams`].
    async fn connection<Io>(self: Arc<Self>, stream: Io, peer: SocketAddr, admission: Admitted)
    where
        Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let h = Arc::clone(&self);
        let state = Arc::clone(&admission.state);
        let svc = service_fn(move |req| {
            let h = Arc::clone(&h);
            // The connection counts as busy from here until its response body is dropped (sent or abandoned).
            let busy = state.busy();
            async move { Ok::<_, Infallible>(h.route(req).await.map(|body| Tracked { body, _busy: busy })) }
        });
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(self.config.header_timeout).keep_alive(true);
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let mut conn = std::pin::pin!(conn);
        let result = tokio::select! {
            r = conn.as_mut() => r,
            () = self.stop.cancelled() => {
                // Finish the request in flight on this connection, then close it.
                conn.as_mut().graceful_shutdown();
                conn.await
            }
            () = admission.state.evict.cancelled() => {
                // Giving way: an idle keep-alive connection closes at once; one that is still sending its headers
                // gets a moment, then is dropped unless a request started meanwhile.
                conn.as_mut().graceful_shutdown();
                match tokio::time::timeout(EVICT_GRACE, conn.as_mut()).await {
                    Ok(r) => r,
                    Err(_) if admission.state.idle() => Ok(()),
                    Err(_) => conn.await,
                }
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
            "/health" | "/" if method == Method::GET => match self.gate.check_host(req.headers()) {
                Err(refused) => refused,
                Ok(()) if path == "/health" => self.health(),
                Ok(()) => self.info(),
            },
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
        if self.draining.load(Ordering::Relaxed) {
            let body = json!({ "status": "draining", "service": "pingera-mcp-server" });
            return json_reply(StatusCode::SERVICE_UNAVAILABLE, body.to_string().into_bytes());
        }
        let body = json!({
            "status": "healthy",
            "service": "pingera-mcp-server",
            "version": env!("CARGO_PKG_VERSION"),
            "mode": self.config.mode,
            "transport": "http",
            "sessions": self.sessions.len(),
        });
        json_reply(StatusCode::OK, body.to_string().into_bytes())
    }

    fn info(&self) -> Reply {
        let body = json!({
            "service": "pingera-mcp-server",
            "name": self.config.name,
            "version": env!("CARGO_PKG_VERSION"),
            "mode": self.config.mode,
            "transport": "streamable-http",
            "mcp_endpoint": MCP_PATH,
            "sse_endpoint": SSE_PATH,
            "health_check": "/health",
            "protocol_versions": Version::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        });
        json_reply(StatusCode::OK, body.to_string().into_bytes())
    }

    /// Reads and parses a POSTed body within this server's size, time and batch limits (the one way every POST path
    /// reads its message).
    #[allow(clippy::result_large_err)]
    pub(super) async fn read_body(&self, body: Incoming) -> Result<jsonrpc::Parsed, Reply> {
        reply::read_message(body, self.config.max_message_bytes, self.config.body_timeout, &self.server.limits).await
    }

    /// The server a new session or a stateless request uses: the shared one, or one whose service offers only the
    /// toolsets of the client's `X-MCP-Toolsets` header (a narrowing, never a widening; an unknown name is 400 with
    /// the valid ones). SPEC_NOTES.md, "Toolsets".
    #[allow(clippy::result_large_err)]
    pub(super) fn server_for(&self, headers: &HeaderMap) -> Result<Arc<Server>, Reply> {
        self.server_narrowed_to(headers.get(TOOLSETS_HEADER))
    }

    /// [`HttpServer::server_for`] for the value of an `X-MCP-Toolsets` header, when there is one.
    #[allow(clippy::result_large_err)]
    pub(super) fn server_narrowed_to(&self, toolsets: Option<&HeaderValue>) -> Result<Arc<Server>, Reply> {
        let Some(v) = toolsets else { return Ok(Arc::clone(&self.server)) };
        match self.server.service.narrowed(v.to_str().unwrap_or("\u{fffd}")) {
            Ok(service) => Ok(Server::with_limits(service, self.server.limits)),
            Err(e) => Err(error_reply(StatusCode::BAD_REQUEST, None, e)),
        }
    }
}

/// Answers a connection that arrives while every admitted one is busy: a 503 written without parsing the request,
/// then the connection closes. What the client sent is drained for at most [`EVICT_GRACE`] first, because closing
/// a socket with unread input resets it, and a reset could destroy the 503 before the client reads it.
fn refuse_connection<Io>(mut stream: Io)
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    const BODY: &str = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"too many connections: every connection is busy; try again later"}}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    log::debug!("refused a connection: every admitted connection is busy");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let refuse = async {
            stream.write_all(response.as_bytes()).await?;
            stream.shutdown().await?;
            let mut sink = [0u8; 4096];
            while stream.read(&mut sink).await? > 0 {}
            Ok::<(), std::io::Error>(())
        };
        let _ = tokio::time::timeout(EVICT_GRACE, refuse).await;
    });
}

/// A response body that keeps its connection marked busy until it is dropped.
struct Tracked {
    body: Body,
    _busy: BusyGuard,
}

impl hyper::body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Infallible>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    use super::*;

    /// The longest any step of these tests may wait for the server.
    const BOUND: Duration = Duration::from_secs(10);

    fn options() -> HttpOptions {
        HttpOptions {
            max_message_bytes: 4096,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 8,
            allowed_origins: Vec::new(),
            require_auth_header: false,
            max_sessions: 8,
            session_idle: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(2),
            name: "test".into(),
            mode: "read_only",
            session_keys: None,
            session_max_age: Duration::from_secs(3600),
            drain_delay: Duration::ZERO,
        }
    }

    /// Reads from `stream` into `got` until `done` finds what it waits for, within [`BOUND`].
    async fn read_until<T>(stream: &mut DuplexStream, got: &mut Vec<u8>, done: impl Fn(&str) -> Option<T>) -> T {
        let wait = async {
            loop {
                if let Some(t) = done(&String::from_utf8_lossy(got)) {
                    return t;
                }
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).await.expect("an in-memory read");
                assert!(n > 0, "the server closed the stream; it wrote:\n{}", String::from_utf8_lossy(got));
                got.extend_from_slice(&buf[..n]);
            }
        };
        tokio::time::timeout(BOUND, wait).await.expect("the server answers within the bound")
    }

    /// The streams of one `serve_streams` call are connections of one server: an HTTP+SSE session opened on one
    /// is fed on another and answers on the first; the call ends once its streams have ended.
    #[tokio::test]
    async fn streams_of_one_call_share_sessions_and_the_call_ends_with_them() {
        let (incoming, streams) = mpsc::channel(2);
        let serving = tokio::spawn(serve_streams(crate::session::tests::tools_only_server(), options(), streams));
        let (mut sse, server_side) = tokio::io::duplex(8192);
        incoming.send(server_side).await.expect("the server takes streams");
        sse.write_all(b"GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n").await.unwrap();
        let mut on_sse = Vec::new();
        let id = read_until(&mut sse, &mut on_sse, |text| {
            let rest = text.split_once("sessionId=")?.1;
            rest.split_once('\n').map(|(id, _)| id.trim().to_owned())
        })
        .await;

        let (mut post, server_side) = tokio::io::duplex(8192);
        incoming.send(server_side).await.expect("the server takes streams");
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
        let request = format!(
            "POST /messages?sessionId={id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        post.write_all(request.as_bytes()).await.unwrap();
        let mut on_post = Vec::new();
        read_until(&mut post, &mut on_post, |text| text.starts_with("HTTP/1.1 202 ").then_some(())).await;
        read_until(&mut sse, &mut on_sse, |text| text.contains(r#""id":1,"result":{"#).then_some(())).await;

        drop((sse, post, incoming));
        let ended = tokio::time::timeout(BOUND, serving).await.expect("the call ends once its streams have ended");
        ended.expect("no panic");
    }
}
