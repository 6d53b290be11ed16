//! The MCP session: lifecycle, version negotiation and method routing, shared by every transport.
//!
//! Invariant: a transport hands the session parsed frames and gets back, for each, either an immediate reply, no
//! reply (notifications, client responses, cancelled requests), or a future that resolves to the reply. Every
//! request gets exactly one reply carrying its id unless the client cancelled it; a notification is never
//! answered. The session does no I/O of its own: tool calls run on tokio's blocking pool, and notifications
//! (progress, log messages) leave through the [`Sink`] the transport supplies, always before the reply of the
//! request they belong to. The state lock is never held across an `.await`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Map, Value};

use crate::cancel::CancelFlag;
use crate::config::{Config, Credential};
use crate::jsonrpc::{ErrorCode, Incoming, Notification, Outgoing, Parsed, Request, RequestId, RpcError};
use crate::protocol::{
    LogLevel, Version, META_CLIENT_CAPABILITIES, META_LOG_LEVEL, META_PROTOCOL_VERSION, META_SERVER_INFO,
    REMOVED_IN_MODERN, UNSUPPORTED_PROTOCOL_VERSION,
};
pub use crate::service::Sink;
use crate::service::{Exchange, Outbound, ResultBody, Service, Work};

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
    /// The credential for the API calls this message causes.
    pub credential: Option<Credential>,
    /// Where notifications about this message go.
    pub sink: Sink,
}

/// What is shared by all sessions of the process: the configuration and the service that answers.
pub struct Server {
    /// The configuration.
    pub config: Arc<Config>,
    /// What the server offers.
    pub service: Arc<dyn Service>,
}

impl Server {
    /// The Pingera server for the configuration.
    pub fn new(config: Config) -> Arc<Server> {
        let config = Arc::new(config);
        let service = Arc::new(crate::service::pingera::Pingera::new(Arc::clone(&config)));
        Arc::new(Server { config, service })
    }

    /// A server that offers another service (the conformance fixtures) with the same protocol core.
    pub fn with_service(config: Config, service: Arc<dyn Service>) -> Arc<Server> {
        Arc::new(Server { config: Arc::new(config), service })
    }
}

/// The methods of the handshake era that need an initialized session.
const SESSION_METHODS: &[&str] = &[
    "tools/list",
    "tools/call",
    "logging/setLevel",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
];

/// The lifecycle and routing state of one MCP session (one stdio process, or one HTTP session).
pub struct Session {
    server: Arc<Server>,
    state: Mutex<State>,
    in_flight: Mutex<HashMap<RequestId, CancelFlag>>,
    /// This session's requests to the client that wait for responses.
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
}

/// What a request of either era brings to its handler besides its params.
struct Era {
    version: Version,
    log_level: Option<LogLevel>,
    client_capabilities: Value,
}

impl Session {
    /// A new, uninitialised session.
    pub fn new(server: Arc<Server>) -> Arc<Session> {
        Arc::new(Session {
            server,
            state: Mutex::new(State::default()),
            in_flight: Mutex::new(HashMap::new()),
            outbound: Arc::new(Outbound::default()),
        })
    }

    /// The negotiated version, once `initialize` succeeded.
    pub fn version(&self) -> Option<Version> {
        self.state().version
    }

    /// Fails the requests that wait for the client's responses, which can no longer arrive (the input ended or the
    /// session is gone), so that the calls behind them finish instead of waiting for the shutdown timeout.
    pub fn stop_waiting_for_client(&self) {
        self.outbound.abandon();
    }

    /// The number of requests running now.
    pub fn in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// Whether answering `parsed` may send notifications (progress, log messages once a level is set, or what the
    /// service says a tool sends) or requests to the client, so that an HTTP transport must answer with an SSE
    /// stream instead of one JSON body.
    pub fn wants_stream(&self, parsed: &Parsed) -> bool {
        let logging = self.state().log_level.is_some();
        let service = &self.server.service;
        let wants = |m: &Result<Incoming, (Option<RequestId>, RpcError)>| match m {
            Ok(Incoming::Request(r))
                if matches!(r.method.as_str(), "tools/call" | "resources/read" | "prompts/get") =>
            {
                let meta = r.params.as_ref().and_then(|p| p.get("_meta"));
                let modern = meta.and_then(|m| m.get(META_PROTOCOL_VERSION)).is_some();
                let log_opt_in = meta.and_then(|m| m.get(META_LOG_LEVEL)).is_some();
                let tool = r.params.as_ref().and_then(|p| p.get("name")).and_then(Value::as_str);
                (if modern { log_opt_in } else { logging })
                    || meta.and_then(|m| m.get("progressToken")).is_some()
                    || (r.method == "tools/call" && tool.is_some_and(|t| service.tool_streams(t)))
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
        let mut parts: Vec<Handled> = Vec::with_capacity(items.len());
        for item in items {
            parts.push(match item {
                Err((id, e)) => Handled::Reply(Outgoing::error(id, e)),
                Ok(Incoming::Request(r)) if r.method == "initialize" => Handled::Reply(Outgoing::error(
                    Some(r.id),
                    RpcError::invalid_request("invalid request: initialize must not be part of a batch"),
                )),
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
            (!replies.is_empty()).then_some(Outgoing::Batch(replies))
        }))
    }

    fn handle_message(self: &Arc<Self>, msg: Incoming, cx: &CallCx) -> Handled {
        match msg {
            Incoming::Request(req) => {
                log::debug!("< request {} {}", req.id, req.method);
                self.handle_request(req, cx)
            }
            Incoming::Notification(n) => {
                log::debug!("< notification {}", n.method);
                self.handle_notification(n);
                Handled::NoReply
            }
            Incoming::Response { id: Some(id), result } => {
                // A response pairs with one of this session's requests to the client; anything else is stray or
                // late (its request was cancelled) and is accepted quietly.
                if !self.outbound.resolve(&id, result) {
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
            "notifications/initialized" => {
                // Requests are served between the initialize reply and this notification too (lenient, as most
                // SDKs are), so it changes nothing; before initialize it is merely noted.
                if self.state().version.is_none() {
                    log::debug!("notifications/initialized before initialize: ignored");
                }
            }
            "notifications/cancelled" => {
                let id = n.params.as_ref().and_then(|p| p.get("requestId")).and_then(RequestId::from_value);
                match id.and_then(|id| lock(&self.in_flight).get(&id).cloned().map(|f| (id, f))) {
                    Some((id, flag)) => {
                        log::debug!("request {id} cancelled by the client");
                        flag.cancel();
                    }
                    // The request may have finished already; the spec says to ignore such cancellations.
                    None => log::debug!("cancellation for a request not in flight: ignored"),
                }
            }
            other => log::debug!("unknown notification {other}: ignored"),
        }
    }

    fn handle_request(self: &Arc<Self>, req: Request, cx: &CallCx) -> Handled {
        let Request { id, method, params } = req;
        let params = params.unwrap_or_default();
        // A request that names its protocol version in _meta is served statelessly (2026-07-28), in any state; an
        // initialize without it selects the handshake era.
        let modern_meta = params.get("_meta").and_then(|m| m.get(META_PROTOCOL_VERSION)).is_some();
        if modern_meta || method == "server/discover" {
            return self.handle_modern(id, method, params, cx);
        }
        match method.as_str() {
            "ping" => return Handled::Reply(Outgoing::result(id, json!({}))),
            "initialize" => return reply(id, self.initialize(&params)),
            m if SESSION_METHODS.contains(&m) => {}
            _ => return reply(id, Err(RpcError::method_not_found(&method))),
        }
        let era = {
            let st = self.state();
            let Some(version) = st.version else {
                drop(st);
                return reply(
                    id,
                    Err(RpcError::invalid_request(format!("server not initialized: send initialize before {method}"))
                        .with_data(json!({ "method": method }))),
                );
            };
            Era { version, log_level: st.log_level, client_capabilities: st.client_capabilities.clone() }
        };
        if method == "logging/setLevel" {
            return reply(id, self.set_level(&params));
        }
        self.dispatch(id, &method, params, era, cx)
    }

    /// Serves one request of the stateless era (2026-07-28): `_meta` is checked, the session's state is neither read
    /// nor changed, every result carries `resultType`, and list and read results carry caching hints.
    fn handle_modern(
        self: &Arc<Self>,
        id: RequestId,
        method: String,
        params: Map<String, Value>,
        cx: &CallCx,
    ) -> Handled {
        let meta = match check_modern_meta(&params) {
            Ok(m) => m,
            Err(e) => return reply(id, Err(e)),
        };
        let version = meta.version;
        match method.as_str() {
            "server/discover" => return reply(id, Ok(self.discover())),
            m if REMOVED_IN_MODERN.contains(&m) => {
                return reply(
                    id,
                    Err(RpcError::new(
                        ErrorCode::METHOD_NOT_FOUND,
                        format!("method not available in protocol {version}: {m}"),
                    )
                    .with_data(json!({ "method": m }))),
                )
            }
            m if SESSION_METHODS.contains(&m) => {}
            m => return reply(id, Err(RpcError::method_not_found(m))),
        }
        let era = Era { version, log_level: meta.log_level, client_capabilities: meta.client_capabilities };
        self.dispatch(id, &method, params, era, cx)
    }

    /// Routes a method of either era to the service, and gives its result the version's envelope.
    fn dispatch(
        self: &Arc<Self>,
        id: RequestId,
        method: &str,
        mut params: Map<String, Value>,
        era: Era,
        cx: &CallCx,
    ) -> Handled {
        let service = &self.server.service;
        let version = era.version;
        let immediate = |r: Result<Value, RpcError>| r.map(ResultBody::Json);
        let r = match method {
            "tools/list" => service.list_tools(params.get("cursor"), version),
            "resources/list" => immediate(service.list_resources(params.get("cursor"), version, false)),
            "resources/templates/list" => immediate(service.list_resources(params.get("cursor"), version, true)),
            "prompts/list" => immediate(service.list_prompts(params.get("cursor"), version)),
            "completion/complete" => {
                // Completion may ask the API with the caller's credential, so it runs like a call.
                let service = Arc::clone(service);
                return self.run(id, method, params, era, cx, move |ex| service.complete(ex));
            }
            "resources/subscribe" | "resources/unsubscribe" => immediate(
                string_param(&params, "uri", method)
                    .and_then(|uri| service.subscribe(&uri, method == "resources/subscribe")),
            ),
            "tools/call" | "prompts/get" => {
                let name = match string_param(&params, "name", method) {
                    Ok(n) => n,
                    Err(e) => return reply(id, Err(e)),
                };
                let args = match params.remove("arguments") {
                    None | Some(Value::Null) => Map::new(),
                    Some(Value::Object(a)) => a,
                    Some(_) => {
                        return reply(
                            id,
                            Err(RpcError::invalid_params("invalid params: \"arguments\" must be an object")),
                        )
                    }
                };
                let service = Arc::clone(service);
                return if method == "tools/call" {
                    self.run(id, method, params, era, cx, move |ex| service.call_tool(&name, args, ex))
                } else {
                    self.run(id, method, params, era, cx, move |ex| service.get_prompt(&name, args, ex))
                };
            }
            "resources/read" => {
                let uri = match string_param(&params, "uri", method) {
                    Ok(u) => u,
                    Err(e) => return reply(id, Err(e)),
                };
                let service = Arc::clone(service);
                return self.run(id, method, params, era, cx, move |ex| service.read_resource(uri, ex));
            }
            other => Err(RpcError::method_not_found(other)),
        };
        Handled::Reply(match r.map(|b| envelope(b, method, version)) {
            Ok(ResultBody::Json(v)) => Outgoing::result(id, v),
            Ok(ResultBody::Raw(json)) => Outgoing::Raw { id, json },
            Err(e) => Outgoing::error(Some(id), e),
        })
    }

    /// The `server/discover` result: versions, capabilities, identity and instructions.
    fn discover(&self) -> Value {
        cacheable(
            json!({
                "supportedVersions": Version::MODERN.map(|v| v.as_str()),
                "capabilities": self.capabilities(Version::V2026_07_28),
                "_meta": { META_SERVER_INFO: self.server_info(Version::V2026_07_28) },
                "instructions": self.server.service.identity().instructions,
            }),
            STATIC_TTL_MS,
            "public",
        )
    }

    /// The service's capabilities plus `logging`, which the session serves for every service; the same in both eras.
    fn capabilities(&self, version: Version) -> Value {
        let mut caps = self.server.service.capabilities(version);
        caps["logging"] = json!({});
        caps
    }

    /// `serverInfo` with the fields the version defines.
    fn server_info(&self, version: Version) -> Value {
        let id = self.server.service.identity();
        let mut info = json!({ "name": id.name, "version": id.version });
        if version.has_structured_content() {
            info["title"] = json!(id.title);
        }
        if version.has_server_description() {
            info["description"] = json!(id.description);
            if let Some(url) = id.website_url {
                info["websiteUrl"] = json!(url);
            }
        }
        info
    }

    fn initialize(&self, params: &Map<String, Value>) -> Result<Value, RpcError> {
        let requested = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::invalid_params("invalid params: initialize needs a string \"protocolVersion\""))?;
        // Echo a supported version; answer anything else with the latest and let the client decide.
        let version = Version::parse(requested).unwrap_or(Version::LATEST);
        let client = params.get("clientInfo").map(|c| {
            format!(
                "{} {}",
                c.get("name").and_then(Value::as_str).unwrap_or("?"),
                c.get("version").and_then(Value::as_str).unwrap_or("?")
            )
        });
        {
            let mut st = self.state();
            if st.version.is_some() {
                return Err(RpcError::invalid_request("invalid request: the session is already initialized"));
            }
            st.version = Some(version);
            st.client_capabilities =
                params.get("capabilities").filter(|c| c.is_object()).cloned().unwrap_or_else(|| json!({}));
        }
        log::info!(
            "initialized: protocol {version} (client asked for {requested}), client {}",
            client.as_deref().unwrap_or("unknown")
        );

        let mut result = json!({
            "protocolVersion": version.as_str(),
            "capabilities": self.capabilities(version),
            "serverInfo": self.server_info(version),
        });
        if version.has_annotations() {
            result["instructions"] = json!(self.server.service.identity().instructions);
        }
        Ok(result)
    }

    fn set_level(&self, params: &Map<String, Value>) -> Result<Value, RpcError> {
        let level = params.get("level").and_then(Value::as_str).and_then(LogLevel::parse).ok_or_else(|| {
            RpcError::invalid_params(format!(
                "invalid params: \"level\" must be one of {}",
                LogLevel::names().join(", ")
            ))
        })?;
        self.state().log_level = Some(level);
        Ok(json!({}))
    }

    /// Runs a request that takes time as `id`: registered for cancellation (a duplicate id in flight is refused),
    /// started by the service with an [`Exchange`], run as its own task (so that a panic becomes an error reply, not
    /// a lost request), and raced with cancellation. The deferred reply is `None` when the client cancelled.
    fn run<S>(
        self: &Arc<Self>,
        id: RequestId,
        method: &str,
        params: Map<String, Value>,
        era: Era,
        cx: &CallCx,
        start: S,
    ) -> Handled
    where
        S: FnOnce(Exchange) -> Result<Work, RpcError>,
    {
        let flag = CancelFlag::new();
        {
            let mut in_flight = lock(&self.in_flight);
            if in_flight.contains_key(&id) {
                drop(in_flight);
                let e = RpcError::invalid_request(format!(
                    "invalid request: id {id} is already used by a request in flight"
                ));
                return reply(id, Err(e));
            }
            in_flight.insert(id.clone(), flag.clone());
        }
        let guard = InFlightGuard { session: Arc::clone(self), id: id.clone() };
        let version = era.version;
        let ex = Exchange {
            id: id.clone(),
            version,
            credential: cx.credential.clone(),
            client_capabilities: era.client_capabilities,
            progress_token: progress_token(&params),
            params,
            sink: Arc::clone(&cx.sink),
            log_level: era.log_level,
            step: AtomicU64::new(0),
            flag: flag.clone(),
            // Only the handshake era has a session that a client's response can reach.
            outbound: (!version.is_modern()).then(|| Arc::clone(&self.outbound)),
        };
        let work = match start(ex) {
            Ok(w) => w,
            Err(e) => return reply(id, Err(e)),
        };
        let method: &'static str = SESSION_METHODS.iter().find(|m| **m == method).copied().unwrap_or("tools/call");
        Handled::Deferred(Box::pin(async move {
            let _guard = guard;
            let task = tokio::spawn(work);
            let abort = task.abort_handle();
            let outcome = tokio::select! {
                r = task => r,
                _ = flag.cancelled() => {
                    abort.abort();
                    return None;
                }
            };
            // A cancellation that raced with completion still wins: the client stopped waiting for this id.
            if flag.is_cancelled() {
                return None;
            }
            Some(match outcome.map(|r| r.map(|b| envelope(b, method, version))) {
                Ok(Ok(ResultBody::Json(result))) => Outgoing::result(id, result),
                Ok(Ok(ResultBody::Raw(json))) => Outgoing::Raw { id, json },
                Ok(Err(e)) => Outgoing::error(Some(id), e),
                Err(join) => {
                    let what = join
                        .try_into_panic()
                        .ok()
                        .and_then(|p| {
                            p.downcast_ref::<&str>()
                                .map(|s| s.to_string())
                                .or_else(|| p.downcast_ref::<String>().cloned())
                        })
                        .unwrap_or_else(|| "unknown".to_owned());
                    log::error!("request handler panicked: {what}");
                    Outgoing::error(Some(id), RpcError::internal(format!("request handler panicked: {what}")))
                }
            })
        }))
    }
}

/// A reply now: the result, or the error.
fn reply(id: RequestId, r: Result<Value, RpcError>) -> Handled {
    Handled::Reply(match r {
        Ok(v) => Outgoing::result(id, v),
        Err(e) => Outgoing::error(Some(id), e),
    })
}

/// A required string parameter.
fn string_param(params: &Map<String, Value>, name: &str, method: &str) -> Result<String, RpcError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| RpcError::invalid_params(format!("invalid params: {method} needs a string \"{name}\"")))
}

/// Gives a result the envelope fields of its version that every service shares: under 2026-07-28, `resultType`
/// on every result, and on lists and reads the caching hints when the service set none (their content cannot
/// change while the process runs unless the service says otherwise). Raw results are complete already.
fn envelope(body: ResultBody, method: &str, version: Version) -> ResultBody {
    match body {
        ResultBody::Json(mut v) if version.is_modern() && v.is_object() => {
            if v.get("resultType").is_none() {
                v["resultType"] = json!("complete");
            }
            let cached = method.ends_with("/list") || method == "resources/read";
            if cached && v.get("ttlMs").is_none() {
                v["ttlMs"] = json!(STATIC_TTL_MS);
                v["cacheScope"] = json!("public");
            }
            ResultBody::Json(v)
        }
        other => other,
    }
}

/// The progress token of a request, when it is a string or an integer.
fn progress_token(params: &Map<String, Value>) -> Option<Value> {
    params
        .get("_meta")
        .and_then(|m| m.get("progressToken"))
        .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
        .cloned()
}

/// Removes a request from the in-flight map however its future ends (answered, cancelled or dropped).
struct InFlightGuard {
    session: Arc<Session>,
    id: RequestId,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        lock(&self.session.in_flight).remove(&self.id);
    }
}

/// How long lists that cannot change while the process runs (tools, resources, discovery) may be cached.
pub(crate) const STATIC_TTL_MS: u64 = 3_600_000;

/// Adds the 2026-07-28 `resultType` and caching hints to a result object.
pub(crate) fn cacheable(mut v: Value, ttl_ms: u64, scope: &str) -> Value {
    v["resultType"] = json!("complete");
    v["ttlMs"] = json!(ttl_ms);
    v["cacheScope"] = json!(scope);
    v
}

/// What the `_meta` of a modern request says.
pub struct ModernMeta {
    /// The requested (and supported) version.
    pub version: Version,
    /// The log level the request opts in to, if any.
    pub log_level: Option<LogLevel>,
    /// The client's capabilities.
    pub client_capabilities: Value,
}

/// Checks the `_meta` of a modern request: version and client capabilities present (-32602), version supported
/// (-32022 with the supported versions), log level valid.
pub fn check_modern_meta(params: &Map<String, Value>) -> Result<ModernMeta, RpcError> {
    let meta = params.get("_meta").and_then(Value::as_object).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "invalid params: a 2026-07-28 request needs _meta with {META_PROTOCOL_VERSION} and {META_CLIENT_CAPABILITIES}"
        ))
    })?;
    let requested = meta.get(META_PROTOCOL_VERSION).and_then(Value::as_str).ok_or_else(|| {
        RpcError::invalid_params(format!("invalid params: _meta needs a string {META_PROTOCOL_VERSION}"))
    })?;
    let client_capabilities = match meta.get(META_CLIENT_CAPABILITIES) {
        Some(c) if c.is_object() => c.clone(),
        _ => {
            return Err(RpcError::invalid_params(format!(
                "invalid params: _meta needs an object {META_CLIENT_CAPABILITIES} ({{}} when the client has none)"
            )))
        }
    };
    let version = Version::parse_modern(requested).ok_or_else(|| {
        RpcError::new(ErrorCode(UNSUPPORTED_PROTOCOL_VERSION), format!("unsupported protocol version: {requested}"))
            .with_data(json!({ "supported": Version::MODERN.map(|v| v.as_str()), "requested": requested }))
    })?;
    let log_level = match meta.get(META_LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(l) => Some(l.as_str().and_then(LogLevel::parse).ok_or_else(|| {
            RpcError::invalid_params(format!(
                "invalid params: {META_LOG_LEVEL} must be one of {}",
                LogLevel::names().join(", ")
            ))
        })?),
    };
    Ok(ModernMeta { version, log_level, client_capabilities })
}

/// Locks a mutex, recovering from poisoning: the guarded maps stay consistent even if a holder panicked, because
/// every critical section here is a single insert, remove or field write.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
