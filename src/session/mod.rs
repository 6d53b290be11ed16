//! The MCP session: lifecycle, version negotiation and method routing, shared by every transport.
//!
//! Invariant: a transport hands the session parsed frames and gets back, for each, either an immediate reply, no
//! reply (notifications, client responses, cancelled requests), or a future that resolves to the reply. Every
//! request gets exactly one reply carrying its id unless the client cancelled it; a notification is never
//! answered. The session decides the era of each request (its state, or the request's `_meta`), parses it once
//! ([`crate::mcp::ClientRequest`]) and calls the service; it knows no particular service and does no I/O of its
//! own. A request's work runs on the transport's task, raced with cancellation, with one place that turns a panic
//! into an error reply (both in `run`, with the in-flight bookkeeping); notifications (progress, log messages)
//! leave through the [`Sink`] the transport supplies, always before the reply of the request they belong to. The
//! state lock is never held across an `.await`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Map, Value};

use crate::cancel::CancelFlag;
use crate::jsonrpc::{ErrorCode, Incoming, Notification, Outgoing, Parsed, Request, RequestId, RpcError};
use crate::limits::Limits;
use crate::lock;
use crate::mcp::{
    self, envelope, ClientRequest, DiscoverMeta, DiscoverResult, Era, InitializeResult, Method, ResultBody, ServerInfo,
    StatelessHeaders,
};
use crate::protocol::{LogLevel, Version, META_LOG_LEVEL, META_PROTOCOL_VERSION};
#[cfg(feature = "client-requests")]
use crate::service::Outbound;
pub use crate::service::Sink;
use crate::service::{Authorization, Service};

mod run;

/// A reply that is not ready yet.
pub type Deferred = Pin<Box<dyn Future<Output = Option<Outgoing>> + Send + 'static>>;

/// What the transport does with a frame.
pub enum Handled {
    /// Send this now.
    Reply(Outgoing),
    /// Send nothing.
    NoReply,
    /// Run this (concurrently with later frames) and send what it yields, if anything.
    Deferred(Deferred),
}

/// What one incoming message carries besides itself.
#[derive(Clone)]
pub struct CallCx {
    /// The caller's credential as the transport received it, opaque here (`None`: the service's own).
    pub authorization: Option<Authorization>,
    /// Where notifications about this message go.
    pub sink: Sink,
    /// For a stateless (2026-07-28) HTTP request: what its headers say, which must repeat its body.
    pub stateless: Option<StatelessHeaders>,
}

impl CallCx {
    /// A context with the caller's credential whose notifications go to `sink`.
    pub fn new(authorization: Option<Authorization>, sink: impl Fn(Outgoing) + Send + Sync + 'static) -> CallCx {
        CallCx { authorization, sink: Arc::new(sink), stateless: None }
    }
}

/// What is shared by all sessions of the process: the service that answers, and the limits every session obeys.
pub struct Server {
    /// What the server offers.
    pub service: Arc<dyn Service>,
    /// The per-session limits.
    pub limits: Limits,
}

impl Server {
    /// A server that offers `service` (the Pingera service, or the conformance fixtures) with the default limits.
    pub fn new(service: Arc<dyn Service>) -> Arc<Server> {
        Server::with_limits(service, Limits::default())
    }

    /// A server that offers `service` with the given limits.
    pub fn with_limits(service: Arc<dyn Service>, limits: Limits) -> Arc<Server> {
        Arc::new(Server { service, limits })
    }
}

/// The lifecycle and routing state of one MCP session (one stdio process, or one HTTP session).
pub struct Session {
    server: Arc<Server>,
    state: Mutex<State>,
    in_flight: Mutex<HashMap<RequestId, CancelFlag>>,
    /// This session's requests to the client that wait for responses.
    #[cfg(feature = "client-requests")]
    outbound: Arc<Outbound>,
}

#[derive(Default)]
struct State {
    /// Set by a successful `initialize`.
    version: Option<Version>,
    /// Set by `logging/setLevel`; no log notifications are sent before it.
    log_level: Option<LogLevel>,
    /// The capabilities the client declared at `initialize`.
    client_capabilities: Value,
    /// `name version` of the client, as it said at `initialize`.
    client: Option<String>,
}

/// What an initialized handshake-era session is, apart from its running requests and streams: what a sealed HTTP
/// session id carries (the `seal` module, which depends on this type, not the other way round), so that another
/// process can go on serving the session.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The negotiated version.
    pub version: Version,
    /// The level set by `logging/setLevel`, if any.
    pub log_level: Option<LogLevel>,
    /// The capabilities the client declared.
    pub client_capabilities: Value,
    /// `name version` of the client.
    pub client: Option<String>,
}

impl Session {
    /// A new, uninitialised session.
    pub fn new(server: Arc<Server>) -> Arc<Session> {
        Arc::new(Session {
            server,
            state: Mutex::new(State::default()),
            in_flight: Mutex::new(HashMap::new()),
            #[cfg(feature = "client-requests")]
            outbound: Arc::new(Outbound::default()),
        })
    }

    /// A session that goes on where the one `snapshot` was taken of left off (another process's, say).
    pub fn restore(server: Arc<Server>, snapshot: Snapshot) -> Arc<Session> {
        let session = Session::new(server);
        *session.state() = State {
            version: Some(snapshot.version),
            log_level: snapshot.log_level,
            client_capabilities: snapshot.client_capabilities,
            client: snapshot.client,
        };
        session
    }

    /// The session's state, once `initialize` succeeded.
    pub fn snapshot(&self) -> Option<Snapshot> {
        let st = self.state();
        Some(Snapshot {
            version: st.version?,
            log_level: st.log_level,
            client_capabilities: st.client_capabilities.clone(),
            client: st.client.clone(),
        })
    }

    /// The negotiated version, once `initialize` succeeded.
    pub fn version(&self) -> Option<Version> {
        self.state().version
    }

    /// Fails the requests that wait for the client's responses, which can no longer arrive (the input ended or the
    /// session is gone), so that the calls behind them finish instead of waiting for the shutdown timeout.
    pub fn stop_waiting_for_client(&self) {
        #[cfg(feature = "client-requests")]
        self.outbound.abandon();
    }

    /// The limits this session obeys.
    pub fn limits(&self) -> Limits {
        self.server.limits
    }

    /// Whether answering `parsed` may send notifications (progress, log messages once a level is set, or what the
    /// service says a tool sends) or requests to the client, so that an HTTP transport must answer with an SSE
    /// stream instead of one JSON body.
    pub fn wants_stream(&self, parsed: &Parsed) -> bool {
        let logging = self.state().log_level.is_some();
        let service = &self.server.service;
        let wants = |m: &Result<Incoming, (Option<RequestId>, RpcError)>| match m {
            Ok(Incoming::Request(r)) if Method::parse(&r.method).is_some_and(Method::may_notify) => {
                let meta = r.params.as_ref().and_then(|p| p.get("_meta"));
                let modern = meta.and_then(|m| m.get(META_PROTOCOL_VERSION)).is_some();
                let log_opt_in = meta.and_then(|m| m.get(META_LOG_LEVEL)).is_some();
                let tool = r.params.as_ref().and_then(|p| p.get("name")).and_then(Value::as_str);
                (if modern { log_opt_in } else { logging })
                    || meta.and_then(|m| m.get("progressToken")).is_some()
                    || (Method::parse(&r.method) == Some(Method::CallTool)
                        && tool.is_some_and(|t| service.tool_streams(t)))
            }
            _ => false,
        };
        match parsed {
            Parsed::Single(m) => wants(m),
            Parsed::Batch(items) => items.iter().any(wants),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Handles one parsed frame.
    pub fn handle(self: &Arc<Self>, parsed: Parsed, cx: &CallCx) -> Handled {
        match parsed {
            Parsed::Single(Err((id, e))) => Handled::Reply(Outgoing::error(id, e)),
            // A request, the common case, goes straight to its handler.
            Parsed::Single(Ok(Incoming::Request(req))) => self.handle_request(req, cx),
            Parsed::Single(Ok(msg)) => self.handle_message(msg, cx),
            Parsed::Batch(items) => self.handle_batch(items, cx),
        }
    }

    /// The reply to a frame that exceeded the size limit.
    pub fn too_long(limit: usize) -> Outgoing {
        Outgoing::error(
            None,
            RpcError::invalid_request(format!("invalid request: message larger than the limit of {limit} bytes"))
                .with_data(json!({ "limit": limit })),
        )
    }

    fn handle_batch(
        self: &Arc<Self>,
        items: Vec<Result<Incoming, (Option<RequestId>, RpcError)>>,
        cx: &CallCx,
    ) -> Handled {
        match self.version() {
            Some(v) if v.has_batches() => {}
            _ => {
                return Handled::Reply(Outgoing::error(
                    None,
                    RpcError::invalid_request(
                        "invalid request: JSON-RPC batches are only accepted under protocol version 2025-03-26",
                    ),
                ))
            }
        }
        if items.is_empty() {
            return Handled::Reply(Outgoing::error(None, RpcError::invalid_request("invalid request: empty batch")));
        }
        let limits = self.server.limits;
        if let Some(refused) = limits.batch_too_long(items.len()) {
            return Handled::Reply(refused);
        }
        let mut parts: Vec<Handled> = Vec::with_capacity(items.len());
        for item in items {
            parts.push(match item {
                Err((id, e)) => Handled::Reply(Outgoing::error(id, e)),
                Ok(Incoming::Request(r)) if Method::parse(&r.method) == Some(Method::Initialize) => {
                    Handled::Reply(Outgoing::error(
                        Some(r.id),
                        RpcError::invalid_request("invalid request: initialize must not be part of a batch"),
                    ))
                }
                Ok(msg) => self.handle_message(msg, cx),
            });
        }
        if parts.iter().all(|p| matches!(p, Handled::NoReply)) {
            return Handled::NoReply;
        }
        Handled::Deferred(Box::pin(async move {
            let mut replies = Vec::with_capacity(parts.len());
            for part in parts {
                match part {
                    Handled::Reply(o) => replies.push(o),
                    Handled::NoReply => {}
                    Handled::Deferred(f) => replies.extend(f.await),
                }
            }
            // Every element may have been cancelled; then there is nothing to send.
            (!replies.is_empty()).then(|| limits.cap_batch_reply(replies))
        }))
    }

    fn handle_message(self: &Arc<Self>, msg: Incoming, cx: &CallCx) -> Handled {
        match msg {
            Incoming::Request(req) => self.handle_request(req, cx),
            Incoming::Notification(n) => {
                log::debug!("< notification {}", n.method);
                self.handle_notification(n);
                Handled::NoReply
            }
            Incoming::Response { id: Some(id), result } => {
                // A response pairs with one of this session's requests to the client; anything else is stray or
                // late (its request was cancelled) and is accepted quietly.
                #[cfg(feature = "client-requests")]
                let paired = self.outbound.resolve(&id, result);
                #[cfg(not(feature = "client-requests"))]
                let paired = {
                    let _ = result;
                    false
                };
                if !paired {
                    log::debug!("< ignored client response for id {id}: no request waits for it");
                }
                Handled::NoReply
            }
            Incoming::Response { id: None, .. } => {
                log::debug!("< ignored client response without id");
                Handled::NoReply
            }
        }
    }

    fn handle_notification(&self, n: Notification) {
        match n.method.as_str() {
            mcp::INITIALIZED => {
                // Requests are served between the initialize reply and this notification too (lenient, as most
                // SDKs are), so it changes nothing; before initialize it is merely noted.
                if self.state().version.is_none() {
                    log::debug!("notifications/initialized before initialize: ignored");
                }
            }
            mcp::CANCELLED => {
                let id = n.params.as_ref().and_then(|p| p.get("requestId")).and_then(RequestId::from_value);
                self.cancel(id);
            }
            other => log::debug!("unknown notification {other}: ignored"),
        }
    }

    fn handle_request(self: &Arc<Self>, req: Request, cx: &CallCx) -> Handled {
        log::debug!("< request {} {}", req.id, req.method);
        let Request { id, method: name, params } = req;
        let mut params = params.unwrap_or_default();
        // A request that names its protocol version in _meta (or came with the stateless HTTP headers) is served
        // statelessly (2026-07-28), in any state; an initialize without it selects the handshake era.
        let modern_meta = params.get("_meta").and_then(|m| m.get(META_PROTOCOL_VERSION)).is_some();
        let method = Method::parse(&name);
        let era = if modern_meta || method == Some(Method::Discover) || cx.stateless.is_some() {
            let era = match mcp::stateless_era(&name, &params, cx.stateless.as_ref()) {
                Ok(era) => era,
                Err(e) => return reply(id, Err(e)),
            };
            match method {
                Some(m) if m.removed_in_modern() => {
                    return reply(
                        id,
                        Err(RpcError::new(
                            ErrorCode::METHOD_NOT_FOUND,
                            format!("method not available in protocol {}: {name}", era.version),
                        )
                        .with_data(json!({ "method": name }))),
                    )
                }
                Some(_) => era,
                None => return reply(id, Err(RpcError::method_not_found(&name))),
            }
        } else {
            let Some(method) = method else { return reply(id, Err(RpcError::method_not_found(&name))) };
            let st = self.state();
            match st.version {
                Some(version) if method.needs_session() => {
                    Era { version, log_level: st.log_level, client_capabilities: st.client_capabilities.clone() }
                }
                None if method.needs_session() => {
                    drop(st);
                    return reply(
                        id,
                        Err(RpcError::invalid_request(format!(
                            "server not initialized: send initialize before {name}"
                        ))
                        .with_data(json!({ "method": name }))),
                    );
                }
                // initialize and ping are served in any state.
                version => Era {
                    version: version.unwrap_or(Version::LATEST),
                    log_level: None,
                    client_capabilities: Value::Null,
                },
            }
        };
        let method = method.expect("an unknown method was answered above");
        let request = match ClientRequest::parse(method, &mut params) {
            Ok(r) => r,
            Err(e) => return reply(id, Err(e)),
        };
        self.dispatch(id, method, request, params, era, cx)
    }

    /// Serves a parsed request of either era, and gives its result the version's envelope.
    fn dispatch(
        self: &Arc<Self>,
        id: RequestId,
        method: Method,
        request: ClientRequest,
        params: Map<String, Value>,
        era: Era,
        cx: &CallCx,
    ) -> Handled {
        let service = &self.server.service;
        let version = era.version;
        let json = |r: Result<Value, RpcError>| r.map(ResultBody::Json);
        let r = match request {
            ClientRequest::Ping => Ok(ResultBody::Json(json!({}))),
            ClientRequest::Initialize { requested, capabilities, client } => {
                json(self.initialize(&requested, capabilities, client))
            }
            ClientRequest::SetLevel(level) => {
                self.state().log_level = Some(level);
                Ok(ResultBody::Json(json!({})))
            }
            ClientRequest::Discover => Ok(ResultBody::Json(self.discover())),
            ClientRequest::ListTools { cursor } => service.list_tools(cursor.as_ref(), version),
            ClientRequest::ListResources { cursor, templates } => {
                json(service.list_resources(cursor.as_ref(), version, templates))
            }
            ClientRequest::ListPrompts { cursor } => json(service.list_prompts(cursor.as_ref(), version)),
            ClientRequest::Complete => {
                // Completion may ask the API with the caller's credential, so it runs like a call.
                let service = Arc::clone(service);
                return self.run(id, method, params, era, cx, move |ex| service.complete(ex));
            }
            ClientRequest::Subscribe { uri, subscribe } => json(service.subscribe(&uri, subscribe)),
            ClientRequest::CallTool { name, arguments } => {
                let service = Arc::clone(service);
                return self.run(id, method, params, era, cx, move |ex| service.call_tool(&name, arguments, ex));
            }
            ClientRequest::GetPrompt { name, arguments } => {
                let service = Arc::clone(service);
                return self.run(id, method, params, era, cx, move |ex| service.get_prompt(&name, arguments, ex));
            }
            ClientRequest::ReadResource { uri } => {
                let service = Arc::clone(service);
                return self.run(id, method, params, era, cx, move |ex| service.read_resource(uri, ex));
            }
        };
        Handled::Reply(answer(id, r.map(|b| envelope(b, method, version))))
    }

    /// The `server/discover` result: versions, capabilities, identity and instructions.
    fn discover(&self) -> Value {
        mcp::to_value(&DiscoverResult {
            supported_versions: Version::MODERN.map(|v| v.as_str()).to_vec(),
            capabilities: self.capabilities(Version::V2026_07_28),
            meta: DiscoverMeta { server_info: self.server_info(Version::V2026_07_28) },
            instructions: self.server.service.identity().instructions,
        })
    }

    /// The service's capabilities plus `logging`, which the session serves for every service; the same in both eras.
    fn capabilities(&self, version: Version) -> Value {
        let mut caps = self.server.service.capabilities(version);
        caps["logging"] = json!({});
        caps
    }

    /// `serverInfo` with the fields the version defines.
    fn server_info(&self, version: Version) -> ServerInfo<'_> {
        let id = self.server.service.identity();
        let described = version.has_server_description();
        ServerInfo {
            name: &id.name,
            version: id.version,
            title: version.has_structured_content().then_some(id.title),
            description: described.then_some(id.description),
            website_url: id.website_url.filter(|_| described),
        }
    }

    fn initialize(&self, requested: &str, capabilities: Value, client: Option<String>) -> Result<Value, RpcError> {
        // Echo a supported version; answer anything else with the latest and let the client decide.
        let version = Version::parse(requested).unwrap_or(Version::LATEST);
        {
            let mut st = self.state();
            if st.version.is_some() {
                return Err(RpcError::invalid_request("invalid request: the session is already initialized"));
            }
            st.version = Some(version);
            st.client_capabilities = capabilities;
            st.client.clone_from(&client);
        }
        log::info!(
            "initialized: protocol {version} (client asked for {requested}), client {}",
            client.as_deref().unwrap_or("unknown")
        );
        Ok(mcp::to_value(&InitializeResult {
            protocol_version: version.as_str(),
            capabilities: self.capabilities(version),
            server_info: self.server_info(version),
            instructions: version.has_annotations().then_some(self.server.service.identity().instructions),
        }))
    }
}

/// A reply now: the result, or the error.
fn reply(id: RequestId, r: Result<Value, RpcError>) -> Handled {
    Handled::Reply(answer(id, r.map(ResultBody::Json)))
}

/// The reply message for a request's outcome.
fn answer(id: RequestId, r: Result<ResultBody, RpcError>) -> Outgoing {
    match r {
        Ok(ResultBody::Json(result)) => Outgoing::result(id, result),
        Ok(ResultBody::Raw(json)) => Outgoing::Raw { id, json },
        Err(e) => Outgoing::error(Some(id), e),
    }
}

#[cfg(test)]
pub(crate) mod tests;
