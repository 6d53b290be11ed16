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
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::cancel::CancelFlag;
use crate::config::{Config, Credential};
use crate::jsonrpc::{ErrorCode, Incoming, Notification, Outgoing, Parsed, Request, RequestId, RpcError};
use crate::pingera::{ApiClient, ApiError, ApiEvent, Observer};
use crate::protocol::{
    LogLevel, Version, META_CLIENT_CAPABILITIES, META_LOG_LEVEL, META_PROTOCOL_VERSION, META_SERVER_INFO,
    REMOVED_IN_MODERN, UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::resources;
use crate::tools::{self, ToolCtx, ToolError, ToolSpec};

/// Where a session's notifications go (stdout on stdio; the request's stream on HTTP).
pub type Sink = Arc<dyn Fn(Outgoing) + Send + Sync>;

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

/// What is shared by all sessions of the process.
pub struct Server {
    /// The configuration.
    pub config: Arc<Config>,
    /// The API client (shared agent, no credential inside).
    pub api: ApiClient,
    /// The tools offered in the configured mode, in table order.
    tools: Vec<&'static ToolSpec>,
    /// Encoded `tools/list` pages by (version, offset), built on first use.
    tools_pages: Mutex<HashMap<(Version, usize), Arc<str>>>,
}

impl Server {
    /// A server for the configuration.
    pub fn new(config: Config) -> Arc<Server> {
        let tools = tools::TOOLS.iter().filter(|t| t.offered_in(config.mode)).collect();
        Arc::new(Server {
            api: ApiClient::new(&config),
            config: Arc::new(config),
            tools,
            tools_pages: Mutex::new(HashMap::new()),
        })
    }

    /// The tools offered.
    pub fn tools(&self) -> &[&'static ToolSpec] {
        &self.tools
    }
}

/// The text a model reads once, at initialize, on how to use this server.
pub const INSTRUCTIONS: &str = "Tools for the Pingera monitoring service (status pages, components, checks, \
alerts, heartbeats, incidents). Ids are opaque strings: get them from the list_* tools (list_pages for page_id, \
list_checks for check_id, and so on) before calling get_* or write tools. List tools are paged with page (from 1) \
and page_size/per_page (1-100). Every result is the Pingera API's JSON. When a call fails, the result is marked as \
an error and says why (HTTP status, the API's message, field errors); run test_pingera_connection if calls fail \
with connection or credential errors. Write tools exist only when the server runs with PINGERA_MODE=read_write.";

/// The lifecycle and routing state of one MCP session (one stdio process, or one HTTP session).
pub struct Session {
    server: Arc<Server>,
    state: Mutex<State>,
    in_flight: Mutex<HashMap<RequestId, CancelFlag>>,
}

#[derive(Default)]
struct State {
    /// Set by a successful `initialize`.
    version: Option<Version>,
    /// Set by `logging/setLevel`; no log notifications are sent before it.
    log_level: Option<LogLevel>,
}

impl Session {
    /// A new, uninitialised session.
    pub fn new(server: Arc<Server>) -> Arc<Session> {
        Arc::new(Session { server, state: Mutex::new(State::default()), in_flight: Mutex::new(HashMap::new()) })
    }

    /// The negotiated version, once `initialize` succeeded.
    pub fn version(&self) -> Option<Version> {
        self.state().version
    }

    /// The number of requests running now.
    pub fn in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// Whether answering `parsed` may send notifications (progress, or log messages once a level is set), so that
    /// an HTTP transport must answer with an SSE stream instead of one JSON body.
    pub fn wants_stream(&self, parsed: &Parsed) -> bool {
        let logging = self.state().log_level.is_some();
        let wants = |m: &Result<Incoming, (Option<RequestId>, RpcError)>| match m {
            Ok(Incoming::Request(r)) if r.method == "tools/call" || r.method == "resources/read" => {
                let meta = r.params.as_ref().and_then(|p| p.get("_meta"));
                let modern = meta.and_then(|m| m.get(META_PROTOCOL_VERSION)).is_some();
                let log_opt_in = meta.and_then(|m| m.get(META_LOG_LEVEL)).is_some();
                (if modern { log_opt_in } else { logging }) || meta.and_then(|m| m.get("progressToken")).is_some()
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
            Incoming::Response { id, result } => {
                // This server sends no requests, so a response can only be stray; it is accepted quietly.
                match (id, result) {
                    (Some(id), Ok(_)) => log::debug!("< ignored client response for id {id}"),
                    (id, Err(e)) => log::debug!("< ignored client error for id {id:?}: {}", e.message),
                    (None, Ok(_)) => log::debug!("< ignored client response without id"),
                }
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
        let version = self.version();
        let reply = |r: Result<Value, RpcError>| match r {
            Ok(v) => Handled::Reply(Outgoing::result(id.clone(), v)),
            Err(e) => Handled::Reply(Outgoing::error(Some(id.clone()), e)),
        };
        // A request that names its protocol version in _meta is served statelessly (2026-07-28), in any state; an
        // initialize without it selects the handshake era.
        let modern_meta = params.get("_meta").and_then(|m| m.get(META_PROTOCOL_VERSION)).is_some();
        if modern_meta || method == "server/discover" {
            return self.handle_modern(id, method, params, cx);
        }
        match method.as_str() {
            "ping" => return reply(Ok(json!({}))),
            "initialize" => return reply(self.initialize(&params)),
            "tools/list"
            | "tools/call"
            | "logging/setLevel"
            | "resources/list"
            | "resources/templates/list"
            | "resources/read" => {}
            _ => return reply(Err(RpcError::method_not_found(&method))),
        }
        let Some(version) = version else {
            return reply(Err(RpcError::invalid_request(format!(
                "server not initialized: send initialize before {method}"
            ))
            .with_data(json!({ "method": method }))));
        };
        let deferred = match method.as_str() {
            "tools/list" => return raw_reply(id, self.tools_list(&params, version)),
            "logging/setLevel" => return reply(self.set_level(&params)),
            "resources/list" => return reply(resources_list(&params, version, false)),
            "resources/templates/list" => return reply(resources_list(&params, version, true)),
            "resources/read" => self.resources_read(id.clone(), &params, version, None, cx),
            _ => self.tools_call(id.clone(), params, version, None, cx),
        };
        match deferred {
            Ok(deferred) => Handled::Deferred(deferred),
            Err(e) => reply(Err(e)),
        }
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
        let reply = |r: Result<Value, RpcError>| match r {
            Ok(v) => Handled::Reply(Outgoing::result(id.clone(), v)),
            Err(e) => Handled::Reply(Outgoing::error(Some(id.clone()), e)),
        };
        let (version, log_level) = match check_modern_meta(&params) {
            Ok(v) => v,
            Err(e) => return reply(Err(e)),
        };
        let deferred = match method.as_str() {
            "server/discover" => return reply(Ok(self.discover())),
            "tools/list" => return raw_reply(id, self.tools_list(&params, version)),
            "resources/list" => {
                return reply(resources_list(&params, version, false).map(|v| cacheable(v, STATIC_TTL_MS, "public")))
            }
            "resources/templates/list" => {
                return reply(resources_list(&params, version, true).map(|v| cacheable(v, STATIC_TTL_MS, "public")))
            }
            "tools/call" => self.tools_call(id.clone(), params, version, log_level, cx),
            "resources/read" => self.resources_read(id.clone(), &params, version, log_level, cx),
            m if REMOVED_IN_MODERN.contains(&m) => {
                return reply(Err(RpcError::new(
                    ErrorCode::METHOD_NOT_FOUND,
                    format!("method not available in protocol {version}: {m}"),
                )
                .with_data(json!({ "method": m }))))
            }
            m => return reply(Err(RpcError::method_not_found(m))),
        };
        match deferred {
            Ok(d) => Handled::Deferred(d),
            Err(e) => reply(Err(e)),
        }
    }

    /// The `server/discover` result: versions, capabilities, identity and instructions.
    fn discover(&self) -> Value {
        cacheable(
            json!({
                "supportedVersions": Version::MODERN.map(|v| v.as_str()),
                "capabilities": capabilities(),
                "_meta": { META_SERVER_INFO: self.server_info(Version::V2026_07_28) },
                "instructions": INSTRUCTIONS,
            }),
            STATIC_TTL_MS,
            "public",
        )
    }

    /// `serverInfo` with the fields the version defines.
    fn server_info(&self, version: Version) -> Value {
        let mut info = json!({
            "name": self.server.config.server_name,
            "version": env!("CARGO_PKG_VERSION"),
        });
        if version.has_structured_content() {
            info["title"] = json!("Pingera MCP Server");
        }
        if version.has_server_description() {
            info["description"] =
                json!("Status pages, checks, alerts, heartbeats and incidents of the Pingera monitoring service");
            info["websiteUrl"] = json!("https://pingera.ru");
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
        }
        log::info!(
            "initialized: protocol {version} (client asked for {requested}), client {}",
            client.as_deref().unwrap_or("unknown")
        );

        let mut result = json!({
            "protocolVersion": version.as_str(),
            "capabilities": capabilities(),
            "serverInfo": self.server_info(version),
        });
        if version.has_annotations() {
            result["instructions"] = json!(INSTRUCTIONS);
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

    /// One `tools/list` page, encoded once per version and page and then served from the cache: the list cannot
    /// change while the process runs.
    fn tools_list(&self, params: &Map<String, Value>, version: Version) -> Result<Arc<str>, RpcError> {
        let tools = self.server.tools();
        let start = match params.get("cursor") {
            None | Some(Value::Null) => 0,
            Some(c) => c.as_str().and_then(decode_cursor).filter(|s| *s < tools.len()).ok_or_else(|| {
                RpcError::invalid_params("invalid params: unknown cursor").with_data(json!({ "cursor": c }))
            })?,
        };
        if let Some(page) = lock(&self.server.tools_pages).get(&(version, start)) {
            return Ok(Arc::clone(page));
        }
        let end = (start + self.server.config.tools_page_size).min(tools.len());
        let listed: Vec<Value> = tools[start..end].iter().map(|t| tool_json(t, version)).collect();
        let mut result = json!({ "tools": listed });
        if end < tools.len() {
            result["nextCursor"] = json!(encode_cursor(end));
        }
        if version.is_modern() {
            result = cacheable(result, STATIC_TTL_MS, "public");
        }
        let page: Arc<str> = Arc::from(serde_json::to_string(&result).expect("a JSON value always serialises"));
        lock(&self.server.tools_pages).insert((version, start), Arc::clone(&page));
        Ok(page)
    }

    fn tools_call(
        self: &Arc<Self>,
        id: RequestId,
        params: Map<String, Value>,
        version: Version,
        log_level: Option<LogLevel>,
        cx: &CallCx,
    ) -> Result<Deferred, RpcError> {
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::invalid_params("invalid params: tools/call needs a string \"name\""))?;
        let args = match params.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => return Err(RpcError::invalid_params("invalid params: \"arguments\" must be an object")),
        };
        let spec = match tools::find(name) {
            Some(spec) if self.server.tools.iter().any(|t| t.name == spec.name) => spec,
            Some(spec) => {
                return Err(RpcError::invalid_params(format!(
                    "tool {} changes data and is only available when the server runs with PINGERA_MODE=read_write (now: {})",
                    spec.name,
                    self.server.config.mode.as_str()
                ))
                .with_data(json!({ "tool": spec.name, "requiredMode": "read_write" })))
            }
            None => {
                return Err(
                    RpcError::invalid_params(format!("unknown tool: {name}")).with_data(json!({ "tool": name }))
                )
            }
        };
        let progress_token = progress_token(&params);
        let label = format!("calling {}", spec.name);
        let job = Job { id, version, progress_token, log_level, label };
        self.run_blocking(job, cx, move |ctx, notifier| {
            let outcome = spec.call(ctx, &args);
            if let Err(e) = &outcome {
                notifier.log(LogLevel::Error, &format!("{}: {e}", spec.name));
            }
            Ok(call_result(outcome, version))
        })
    }

    fn resources_read(
        self: &Arc<Self>,
        id: RequestId,
        params: &Map<String, Value>,
        version: Version,
        log_level: Option<LogLevel>,
        cx: &CallCx,
    ) -> Result<Deferred, RpcError> {
        let uri = params
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::invalid_params("invalid params: resources/read needs a string \"uri\""))?
            .to_owned();
        // 2026-07-28 moved resource-not-found from -32002 to -32602.
        let code = if version.is_modern() { ErrorCode::INVALID_PARAMS } else { ErrorCode::RESOURCE_NOT_FOUND };
        let not_found =
            move |uri: &str| RpcError::new(code, format!("resource not found: {uri}")).with_data(json!({ "uri": uri }));
        let path = resources::resolve(&uri).ok_or_else(|| not_found(&uri))?;
        let label = format!("reading {uri}");
        let job = Job { id, version, progress_token: progress_token(params), log_level, label };
        self.run_blocking(job, cx, move |ctx, notifier| {
            match ctx.send(crate::pingera::Method::Get, path, None) {
                Ok(body) => {
                    let text = serde_json::to_string(&body).expect("a JSON value always serialises");
                    let result = json!({ "contents": [{ "uri": uri, "mimeType": "application/json", "text": text }] });
                    // Live monitoring data of one account: private, and stale at once.
                    Ok(ResultBody::Json(if version.is_modern() { cacheable(result, 0, "private") } else { result }))
                }
                Err(ApiError::Status { status: 404, .. }) => Err(not_found(&uri)),
                Err(e) => {
                    notifier.log(LogLevel::Error, &format!("{uri}: {e}"));
                    Err(RpcError::internal(e.to_string()).with_data(json!({ "uri": uri })))
                }
            }
        })
    }

    /// Runs `work` on the blocking pool as the request `id`: registered for cancellation (a duplicate id in flight
    /// is refused), with progress before and after when the client sent a token, and with API events turned into
    /// log notifications. The deferred reply is `None` when the client cancelled.
    fn run_blocking<F>(self: &Arc<Self>, job: Job, cx: &CallCx, work: F) -> Result<Deferred, RpcError>
    where
        F: FnOnce(&ToolCtx<'_>, &Notifier) -> Result<ResultBody, RpcError> + Send + 'static,
    {
        let Job { id, version, progress_token, log_level, label } = job;
        let flag = CancelFlag::new();
        {
            let mut in_flight = lock(&self.in_flight);
            if in_flight.contains_key(&id) {
                return Err(RpcError::invalid_request(format!(
                    "invalid request: id {id} is already used by a request in flight"
                )));
            }
            in_flight.insert(id.clone(), flag.clone());
        }
        let guard = InFlightGuard { session: Arc::clone(self), id: id.clone() };
        let notifier = Notifier {
            sink: Arc::clone(&cx.sink),
            // Modern requests opt in per request; legacy sessions use logging/setLevel.
            log_level: if version.is_modern() { log_level } else { self.state().log_level },
            progress_token,
            version,
            flag: flag.clone(),
            step: std::cell::Cell::new(0),
        };
        let server = Arc::clone(&self.server);
        let credential = cx.credential.clone();
        Ok(Box::pin(async move {
            let _guard = guard;
            let work = tokio::task::spawn_blocking(move || {
                notifier.progress(&label);
                let ctx = ToolCtx {
                    api: &server.api,
                    credential: credential.as_ref(),
                    observer: &notifier,
                    show_secret_values: server.config.show_secret_values,
                };
                let outcome = work(&ctx, &notifier);
                notifier.progress("done");
                outcome
            });
            let outcome = tokio::select! {
                r = work => r,
                _ = flag.cancelled() => return None,
            };
            // A cancellation that raced with completion still wins: the client stopped waiting for this id.
            if flag.is_cancelled() {
                return None;
            }
            Some(match outcome {
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

/// A reply whose result is already encoded, or the error.
fn raw_reply(id: RequestId, r: Result<Arc<str>, RpcError>) -> Handled {
    Handled::Reply(match r {
        Ok(json) => Outgoing::Raw { id, json },
        Err(e) => Outgoing::error(Some(id), e),
    })
}

/// A successful result: a JSON value, or text that is already encoded JSON.
enum ResultBody {
    Json(Value),
    Raw(Arc<str>),
}

/// The progress token of a request, when it is a string or an integer.
fn progress_token(params: &Map<String, Value>) -> Option<Value> {
    params
        .get("_meta")
        .and_then(|m| m.get("progressToken"))
        .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
        .cloned()
}

/// `resources/list` or `resources/templates/list`: the whole table in one page.
fn resources_list(params: &Map<String, Value>, version: Version, templates: bool) -> Result<Value, RpcError> {
    if let Some(c) = params.get("cursor").filter(|c| !c.is_null()) {
        return Err(RpcError::invalid_params("invalid params: unknown cursor").with_data(json!({ "cursor": c })));
    }
    let items: Vec<Value> = resources::RESOURCES
        .iter()
        .filter(|r| r.is_template() == templates)
        .map(|r| r.to_json(version.has_structured_content()))
        .collect();
    Ok(if templates { json!({ "resourceTemplates": items }) } else { json!({ "resources": items }) })
}

/// What a blocking request needs besides its work: its id, the version that shapes its reply, its progress token,
/// the log level of a modern request, and the first progress message.
struct Job {
    id: RequestId,
    version: Version,
    progress_token: Option<Value>,
    log_level: Option<LogLevel>,
    label: String,
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

/// Turns API events of one call into progress and log notifications, and lets cancellation cut retries short.
struct Notifier {
    sink: Sink,
    log_level: Option<LogLevel>,
    progress_token: Option<Value>,
    version: Version,
    flag: CancelFlag,
    step: std::cell::Cell<u64>,
}

impl Notifier {
    fn progress(&self, message: &str) {
        let Some(token) = &self.progress_token else { return };
        if self.flag.is_cancelled() {
            return;
        }
        let step = self.step.get();
        self.step.set(step + 1);
        let mut params = json!({ "progressToken": token, "progress": step });
        if self.version.has_annotations() {
            params["message"] = json!(message);
        }
        (self.sink)(Outgoing::notification("notifications/progress", params));
    }

    fn log(&self, level: LogLevel, message: &str) {
        match self.log_level {
            Some(min) if level >= min && !self.flag.is_cancelled() => (self.sink)(Outgoing::notification(
                "notifications/message",
                json!({ "level": level.as_str(), "logger": "pingera-mcp", "data": message }),
            )),
            _ => {}
        }
    }
}

impl Observer for Notifier {
    fn event(&self, event: ApiEvent<'_>) {
        match event {
            ApiEvent::Sending { method, path, attempt } => {
                let what = format!("{} {path} (attempt {attempt})", method.as_str());
                self.log(LogLevel::Debug, &what);
                if attempt > 1 {
                    self.progress(&what);
                }
            }
            ApiEvent::Retrying { reason, delay } => {
                self.log(LogLevel::Warning, &format!("{reason}; retrying in {} ms", delay.as_millis()));
            }
            ApiEvent::Answered { status, elapsed } => {
                self.log(LogLevel::Info, &format!("API answered {status} in {} ms", elapsed.as_millis()));
            }
        }
    }

    fn wait(&self, d: Duration) -> bool {
        self.flag.wait(d)
    }
}

/// A tool's outcome as a `CallToolResult` of the negotiated version. A success is encoded once: the API's JSON is
/// both the text block (as an escaped string) and, from 2025-06-18, `structuredContent` (the same bytes), instead
/// of serialising the value a second time.
fn call_result(outcome: Result<Value, ToolError>, version: Version) -> ResultBody {
    let text = match outcome {
        Ok(value) => (serde_json::to_string(&value).expect("a JSON value always serialises"), value.is_object()),
        Err(e) => {
            let mut result = json!({ "content": [{ "type": "text", "text": e.to_string() }], "isError": true });
            if version.is_modern() {
                result["resultType"] = json!("complete");
            }
            return ResultBody::Json(result);
        }
    };
    let (text, is_object) = text;
    let escaped = serde_json::to_string(&text).expect("a string always serialises");
    let mut out = String::with_capacity(escaped.len() + text.len() + 96);
    out.push_str(r#"{"content":[{"type":"text","text":"#);
    out.push_str(&escaped);
    out.push_str(r#"}],"isError":false"#);
    if version.is_modern() {
        out.push_str(r#","resultType":"complete""#);
    }
    if version.has_structured_content() {
        // structuredContent must be an object before 2026-07-28; other values are wrapped, in both eras alike.
        out.push_str(r#","structuredContent":"#);
        if is_object {
            out.push_str(&text);
        } else {
            out.push_str(r#"{"result":"#);
            out.push_str(&text);
            out.push('}');
        }
    }
    out.push('}');
    ResultBody::Raw(Arc::from(out))
}

/// How long lists that cannot change while the process runs (tools, resources, discovery) may be cached.
const STATIC_TTL_MS: u64 = 3_600_000;

/// Adds the 2026-07-28 `resultType` and caching hints to a result object.
fn cacheable(mut v: Value, ttl_ms: u64, scope: &str) -> Value {
    v["resultType"] = json!("complete");
    v["ttlMs"] = json!(ttl_ms);
    v["cacheScope"] = json!(scope);
    v
}

/// The capabilities, the same in both eras: a fixed tool list, fixed resources without subscriptions, logging.
fn capabilities() -> Value {
    json!({
        "tools": { "listChanged": false },
        "resources": { "subscribe": false, "listChanged": false },
        "logging": {},
    })
}

/// Checks the `_meta` of a modern request: version and client capabilities present (-32602), version supported
/// (-32022 with the supported versions), log level valid. Returns the version and the requested log level.
pub fn check_modern_meta(params: &Map<String, Value>) -> Result<(Version, Option<LogLevel>), RpcError> {
    let meta = params.get("_meta").and_then(Value::as_object).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "invalid params: a 2026-07-28 request needs _meta with {META_PROTOCOL_VERSION} and {META_CLIENT_CAPABILITIES}"
        ))
    })?;
    let requested = meta.get(META_PROTOCOL_VERSION).and_then(Value::as_str).ok_or_else(|| {
        RpcError::invalid_params(format!("invalid params: _meta needs a string {META_PROTOCOL_VERSION}"))
    })?;
    if !meta.get(META_CLIENT_CAPABILITIES).is_some_and(Value::is_object) {
        return Err(RpcError::invalid_params(format!(
            "invalid params: _meta needs an object {META_CLIENT_CAPABILITIES} ({{}} when the client has none)"
        )));
    }
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
    Ok((version, log_level))
}

/// A tool as `tools/list` shows it to the negotiated version.
fn tool_json(t: &ToolSpec, version: Version) -> Value {
    let mut v = json!({
        "name": t.name,
        "description": t.description,
        "inputSchema": t.input_schema(),
    });
    if version.has_structured_content() {
        v["title"] = json!(t.title);
        if let Some(schema) = t.output_schema {
            v["outputSchema"] = schema();
        }
    }
    if version.has_annotations() {
        v["annotations"] = t.annotations();
    }
    v
}

/// Cursors are opaque to clients; inside they are an offset into the tool list.
fn encode_cursor(offset: usize) -> String {
    format!("tools-{offset}")
}

fn decode_cursor(c: &str) -> Option<usize> {
    c.strip_prefix("tools-")?.parse().ok()
}

/// Locks a mutex, recovering from poisoning: the guarded maps stay consistent even if a holder panicked, because
/// every critical section here is a single insert, remove or field write.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
