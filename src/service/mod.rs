//! The service layer: what a server offers (tools, resources, prompts, completions) behind one trait, so that one
//! protocol core serves the Pingera tool set and the conformance fixtures alike.
//!
//! Invariant: a service never sees framing, transports or session state. It gets a request's parsed params and an
//! [`Exchange`] (the request's id, version, credential, and its ways back to the client: log and progress
//! notifications, and server-to-client requests), and answers with a result or an [`RpcError`]. The envelope rules
//! that depend on the protocol version and are the same for every service (`resultType`, default caching hints,
//! `logging` in the capabilities) are added by the session, never by a service, except inside a
//! [`ResultBody::Raw`], which a service encodes itself for speed and must therefore encode completely.

pub mod pingera;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

use crate::cancel::CancelFlag;
use crate::config::Credential;
use crate::jsonrpc::{ErrorCode, Outgoing, RequestId, RpcError};
use crate::protocol::{LogLevel, Version};

/// Where a request's notifications and server-to-client requests go (stdout on stdio; the request's stream, or
/// the session's stream, on HTTP).
pub type Sink = Arc<dyn Fn(Outgoing) + Send + Sync>;

/// A successful result: a JSON value, or text that is already one encoded JSON value.
pub enum ResultBody {
    /// A result object; the session adds the version's envelope fields.
    Json(Value),
    /// An encoded result object, sent as it is.
    Raw(Arc<str>),
}

/// The work behind a request that takes time: run by the session, which races it with cancellation.
pub type Work = Pin<Box<dyn Future<Output = Result<ResultBody, RpcError>> + Send + 'static>>;

/// Who the server says it is.
pub struct Identity {
    /// `serverInfo.name`.
    pub name: String,
    /// `serverInfo.version`.
    pub version: &'static str,
    /// `serverInfo.title` (2025-06-18 and later).
    pub title: &'static str,
    /// `serverInfo.description` (2025-11-25 and later).
    pub description: &'static str,
    /// `serverInfo.websiteUrl` (2025-11-25 and later), when there is one.
    pub website_url: Option<&'static str>,
    /// The instructions for the model (2025-03-26 and later).
    pub instructions: &'static str,
}

/// What a server offers. Every method but the identity, the capabilities and the tools has a default that says the
/// server lacks the feature (-32601), so a tools-only service implements four methods.
pub trait Service: Send + Sync + 'static {
    /// Who the server is.
    fn identity(&self) -> &Identity;

    /// The capabilities object for the version, without `logging` (the session serves logging for every service
    /// and adds it).
    fn capabilities(&self, version: Version) -> Value;

    /// One page of `tools/list` for the version.
    fn list_tools(&self, cursor: Option<&Value>, version: Version) -> Result<ResultBody, RpcError>;

    /// Starts `tools/call` for the tool `name`. An unknown tool is an error here; a failing tool is an `isError`
    /// result from the work.
    fn call_tool(&self, name: &str, args: Map<String, Value>, ex: Exchange) -> Result<Work, RpcError>;

    /// Whether a call of the tool may send notifications or requests to the client even without a progress token
    /// or a log level, so that an HTTP transport must answer it with an SSE stream.
    fn tool_streams(&self, _name: &str) -> bool {
        false
    }

    /// The same service offering fewer tools (a comma-separated toolset list, from an HTTP client's
    /// `X-MCP-Toolsets` header): a narrowing, never a widening. Services without toolsets refuse it.
    fn narrowed(&self, _toolsets: &str) -> Result<Arc<dyn Service>, RpcError> {
        Err(RpcError::invalid_params("invalid X-MCP-Toolsets header: this server has no toolsets"))
    }

    /// `resources/list` (or `resources/templates/list` when `templates`).
    fn list_resources(&self, _cursor: Option<&Value>, _version: Version, templates: bool) -> Result<Value, RpcError> {
        Err(RpcError::method_not_found(if templates { "resources/templates/list" } else { "resources/list" }))
    }

    /// Starts `resources/read`. An unknown uri is [`not_found`].
    fn read_resource(&self, uri: String, ex: Exchange) -> Result<Work, RpcError> {
        Err(not_found(&uri, ex.version))
    }

    /// `resources/subscribe` (or `resources/unsubscribe` when `!subscribe`).
    fn subscribe(&self, _uri: &str, subscribe: bool) -> Result<Value, RpcError> {
        Err(RpcError::method_not_found(if subscribe { "resources/subscribe" } else { "resources/unsubscribe" }))
    }

    /// `prompts/list`.
    fn list_prompts(&self, _cursor: Option<&Value>, _version: Version) -> Result<Value, RpcError> {
        Err(RpcError::method_not_found("prompts/list"))
    }

    /// `prompts/get`.
    fn get_prompt(&self, _name: &str, _args: Map<String, Value>, _ex: Exchange) -> Result<Work, RpcError> {
        Err(RpcError::method_not_found("prompts/get"))
    }

    /// Starts `completion/complete`; the request's params are in `ex.params`.
    fn complete(&self, _ex: Exchange) -> Result<Work, RpcError> {
        Err(RpcError::method_not_found("completion/complete"))
    }
}

/// The error for a resource that does not exist: -32002 in the handshake era, -32602 from 2026-07-28 (which moved
/// it), with the uri in `data` either way.
pub fn not_found(uri: &str, version: Version) -> RpcError {
    let code = if version.is_modern() { ErrorCode::INVALID_PARAMS } else { ErrorCode::RESOURCE_NOT_FOUND };
    RpcError::new(code, format!("resource not found: {uri}")).with_data(json!({ "uri": uri }))
}

/// The server-to-client requests of one session that wait for their responses.
///
/// Ids are the session's own counter, so they cannot collide with each other; the client's ids live in another
/// namespace (JSON-RPC pairs a response with a request of the side that sent it).
#[derive(Default)]
pub struct Outbound {
    next: AtomicU64,
    pending: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, RpcError>>>>,
}

impl Outbound {
    /// Hands a client's response to the request waiting for it; false when none waits (stray or late).
    pub fn resolve(&self, id: &RequestId, result: Result<Value, RpcError>) -> bool {
        match lock(&self.pending).remove(id) {
            Some(tx) => tx.send(result).is_ok(),
            None => false,
        }
    }

    /// The number of requests that wait for a response.
    pub fn waiting(&self) -> usize {
        lock(&self.pending).len()
    }

    /// Fails every waiting request: no response can arrive any more (input ended, session deleted).
    pub fn abandon(&self) {
        lock(&self.pending).clear();
    }
}

/// One request as a service sees it, with its ways back to the client.
pub struct Exchange {
    /// The request's id.
    pub id: RequestId,
    /// The version that shapes the reply.
    pub version: Version,
    /// The credential for the API calls this request causes.
    pub credential: Option<Credential>,
    /// The client's capabilities (from `initialize`, or from the request's `_meta` under 2026-07-28).
    pub client_capabilities: Value,
    /// The request's whole params object (for fields beside the name and arguments).
    pub params: Map<String, Value>,
    pub(crate) sink: Sink,
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) progress_token: Option<Value>,
    pub(crate) step: AtomicU64,
    pub(crate) flag: CancelFlag,
    /// Present in the handshake era, where responses can be paired with their session; absent in the stateless
    /// era, which has no server-to-client requests.
    pub(crate) outbound: Option<Arc<Outbound>>,
}

impl Exchange {
    /// The request's cancellation flag (set when the client cancels or goes away).
    pub fn flag(&self) -> &CancelFlag {
        &self.flag
    }

    /// Whether the client sent a progress token.
    pub fn wants_progress(&self) -> bool {
        self.progress_token.is_some()
    }

    /// Sends `notifications/message` when the level passes the client's threshold (`logging/setLevel`, or the
    /// request's `_meta` log level under 2026-07-28); without a threshold nothing is sent.
    pub fn log(&self, level: LogLevel, logger: &str, data: Value) {
        match self.log_level {
            Some(min) if level >= min && !self.flag.is_cancelled() => (self.sink)(Outgoing::notification(
                "notifications/message",
                json!({ "level": level.as_str(), "logger": logger, "data": data }),
            )),
            _ => {}
        }
    }

    /// Sends `notifications/progress` when the client asked for progress; `message` only where the version has it.
    pub fn progress(&self, progress: u64, total: Option<u64>, message: Option<&str>) {
        let Some(token) = &self.progress_token else { return };
        if self.flag.is_cancelled() {
            return;
        }
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(total) = total {
            params["total"] = json!(total);
        }
        if let (Some(m), true) = (message, self.version.has_annotations()) {
            params["message"] = json!(m);
        }
        (self.sink)(Outgoing::notification("notifications/progress", params));
    }

    /// Progress without a known total: 0, 1, 2, ... on each call.
    pub fn step(&self, message: &str) {
        if self.progress_token.is_some() {
            let n = self.step.fetch_add(1, Ordering::Relaxed);
            self.progress(n, None, Some(message));
        }
    }

    /// Sends a request to the client and waits for its response. Refused without a session to pair the response
    /// with (2026-07-28), and when the client did not declare `capability`; ends early, with an error, when this
    /// request is cancelled.
    pub async fn request(&self, method: &str, capability: &str, params: Value) -> Result<Value, RpcError> {
        let Some(outbound) = &self.outbound else {
            return Err(RpcError::new(
                ErrorCode::INVALID_REQUEST,
                format!("{method} cannot be sent under protocol {}: it has no server-to-client requests", self.version),
            ));
        };
        if !self.client_has(capability) {
            return Err(missing_capability(capability, method));
        }
        let id = RequestId::Int(outbound.next.fetch_add(1, Ordering::Relaxed) as i64);
        let (tx, rx) = oneshot::channel();
        lock(&outbound.pending).insert(id.clone(), tx);
        (self.sink)(Outgoing::Request { id: id.clone(), method: method.to_owned(), params });
        let answer = tokio::select! {
            r = rx => r.unwrap_or_else(|_| Err(RpcError::internal(format!("the client can no longer answer {method}: the session ended")))),
            () = self.flag.cancelled() => Err(RpcError::internal("cancelled while waiting for the client")),
        };
        lock(&outbound.pending).remove(&id);
        answer
    }
}

/// One piece of input a request needs from the client: an elicitation, a sampling, or the client's roots.
pub struct Ask {
    /// The name the answer is filed under (the key of `inputRequests` and `inputResponses` under 2026-07-28).
    pub key: &'static str,
    /// `elicitation/create`, `sampling/createMessage` or `roots/list`.
    pub method: &'static str,
    /// The request's params.
    pub params: Value,
}

/// What asking the client gave.
pub enum Gathered {
    /// Every answer, by key.
    Answers(Map<String, Value>),
    /// The stateless era, where the answers are not all in the request yet: reply with this `InputRequiredResult`,
    /// and the client retries with them.
    InputRequired(ResultBody),
}

impl Exchange {
    /// Whether the client declared the capability (`sampling`, `elicitation`, `roots`).
    pub fn client_has(&self, capability: &str) -> bool {
        self.client_capabilities.get(capability).is_some_and(Value::is_object)
    }

    /// Gets the answers to `asks`, the same way for the service in both eras: in the handshake era by sending each
    /// as a request to the client and waiting; under 2026-07-28 (multi-round-trip requests) from the request's
    /// `inputResponses`, or, while any is missing, as an `InputRequiredResult` that carries the missing requests and
    /// `state` (seal it with [`seal_state`]). An answer of the wrong shape is -32602, never taken as given.
    pub async fn gather(&self, asks: Vec<Ask>, state: Option<String>) -> Result<Gathered, RpcError> {
        if self.outbound.is_some() {
            let mut answers = Map::new();
            for ask in asks {
                let answer = self.request(ask.method, capability_of(ask.method), ask.params).await?;
                answers.insert(ask.key.to_owned(), answer);
            }
            return Ok(Gathered::Answers(answers));
        }
        let responses = match self.params.get("inputResponses") {
            None => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => return Err(RpcError::invalid_params("invalid params: \"inputResponses\" must be an object")),
        };
        let mut answers = Map::new();
        let mut missing = Map::new();
        for ask in asks {
            let capability = capability_of(ask.method);
            if !self.client_has(capability) {
                return Err(missing_capability(capability, ask.method));
            }
            match responses.and_then(|r| r.get(ask.key)) {
                Some(answer) if answer_fits(ask.method, answer) => {
                    answers.insert(ask.key.to_owned(), answer.clone());
                }
                Some(_) => {
                    return Err(RpcError::invalid_params(format!(
                        "invalid params: inputResponses.{} is not a result of {}",
                        ask.key, ask.method
                    ))
                    .with_data(json!({ "key": ask.key })))
                }
                None => {
                    missing.insert(ask.key.to_owned(), json!({ "method": ask.method, "params": ask.params }));
                }
            }
        }
        if missing.is_empty() {
            return Ok(Gathered::Answers(answers));
        }
        let mut result = json!({ "resultType": "input_required", "inputRequests": missing });
        if let Some(state) = state {
            result["requestState"] = json!(state);
        }
        Ok(Gathered::InputRequired(ResultBody::Json(result)))
    }

    /// The request's `requestState`, opened (see [`open_state`]); `None` when the client sent none.
    pub fn request_state(&self) -> Result<Option<String>, RpcError> {
        match self.params.get("requestState") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => open_state(s).map(Some),
            Some(_) => Err(RpcError::invalid_params("invalid params: \"requestState\" must be a string")),
        }
    }
}

/// The client capability a server-to-client method needs.
fn capability_of(method: &str) -> &'static str {
    match method {
        "sampling/createMessage" => "sampling",
        "roots/list" => "roots",
        _ => "elicitation",
    }
}

/// Whether an answer has the shape of the method's result (what the rest of the server relies on).
fn answer_fits(method: &str, answer: &Value) -> bool {
    match method {
        "sampling/createMessage" => answer.get("content").is_some_and(Value::is_object),
        "roots/list" => answer.get("roots").is_some_and(Value::is_array),
        _ => answer.get("action").is_some_and(Value::is_string),
    }
}

/// -32021: the request needs a client capability that was not declared.
pub fn missing_capability(capability: &str, what: &str) -> RpcError {
    RpcError::new(
        ErrorCode(crate::protocol::MISSING_REQUIRED_CLIENT_CAPABILITY),
        format!("{what} needs the client capability {capability}, which the client did not declare"),
    )
    .with_data(json!({ "requiredCapabilities": { capability: {} } }))
}

/// The key of the state seal: random per process, so a client cannot forge a seal, and a state outlives neither
/// a restart nor another replica (the client then starts over, which the protocol allows).
fn seal_key() -> &'static std::collections::hash_map::RandomState {
    static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> = std::sync::OnceLock::new();
    KEY.get_or_init(std::collections::hash_map::RandomState::new)
}

fn seal_tag(payload: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = seal_key().build_hasher();
    h.write(payload.as_bytes());
    h.finish()
}

/// Seals a multi-round `requestState`: the payload plus a keyed SipHash tag, so that the server can keep its state
/// in the client (2026-07-28 keeps none on the server) and still notice a changed one.
pub fn seal_state(payload: &str) -> String {
    format!("{payload}.{:016x}", seal_tag(payload))
}

/// Opens a state sealed by [`seal_state`]; a changed or foreign state is -32602.
pub fn open_state(state: &str) -> Result<String, RpcError> {
    let tampered = || RpcError::invalid_params("invalid params: requestState integrity check failed");
    let (payload, tag) = state.rsplit_once('.').ok_or_else(tampered)?;
    let tag = u64::from_str_radix(tag, 16).map_err(|_| tampered())?;
    if tag == seal_tag(payload) && state.len() == payload.len() + 17 {
        Ok(payload.to_owned())
    } else {
        Err(tampered())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(version: Version, capabilities: Value, params: Value, outbound: Option<Arc<Outbound>>) -> Exchange {
        Exchange {
            id: RequestId::Int(1),
            version,
            credential: None,
            client_capabilities: capabilities,
            params: params.as_object().cloned().unwrap_or_default(),
            sink: Arc::new(|_| {}),
            log_level: None,
            progress_token: None,
            step: AtomicU64::new(0),
            flag: CancelFlag::new(),
            outbound,
        }
    }

    fn ask() -> Vec<Ask> {
        vec![Ask { key: "who", method: "elicitation/create", params: json!({ "message": "Who?" }) }]
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    }

    #[test]
    fn sealed_states_open_and_changed_ones_do_not() {
        let sealed = seal_state("step2:Ada.x");
        assert_eq!(open_state(&sealed).unwrap(), "step2:Ada.x");
        for bad in [sealed.replace("Ada", "Eve"), format!("{sealed}0"), "step2:Ada".to_owned(), String::new()] {
            let e = open_state(&bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{bad:?}");
        }
    }

    #[test]
    fn stateless_gather_asks_until_answered_and_refuses_what_does_not_fit() {
        let v = Version::V2026_07_28;
        let caps = json!({ "elicitation": {} });
        let first = block_on(exchange(v, caps.clone(), json!({}), None).gather(ask(), Some("s".into()))).unwrap();
        let Gathered::InputRequired(ResultBody::Json(r)) = first else { panic!("input is required first") };
        assert_eq!(r["resultType"], "input_required");
        assert_eq!(r["inputRequests"]["who"]["method"], "elicitation/create");
        assert_eq!(r["requestState"], "s");

        let answered = json!({ "inputResponses": { "who": { "action": "accept" }, "extra": 1 } });
        let Gathered::Answers(a) = block_on(exchange(v, caps.clone(), answered, None).gather(ask(), None)).unwrap()
        else {
            panic!("all answers are there")
        };
        assert_eq!(a["who"]["action"], "accept");

        let malformed = json!({ "inputResponses": { "who": 7 } });
        let e = block_on(exchange(v, caps, malformed, None).gather(ask(), None)).err().unwrap();
        assert_eq!(e.code, ErrorCode::INVALID_PARAMS);

        let e = block_on(exchange(v, json!({}), json!({}), None).gather(ask(), None)).err().unwrap();
        assert_eq!(e.code, ErrorCode(crate::protocol::MISSING_REQUIRED_CLIENT_CAPABILITY));
    }

    #[test]
    fn a_request_to_the_client_is_answered_by_the_response_with_its_id_or_fails_when_abandoned() {
        let outbound = Arc::new(Outbound::default());
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut ex = exchange(Version::V2025_11_25, json!({ "elicitation": {} }), json!({}), Some(outbound.clone()));
        let log = Arc::clone(&sent);
        ex.sink = Arc::new(move |o| log.lock().unwrap().push(jsonrpc_text(&o)));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let answer = rt.block_on(async {
            let waiting = ex.request("elicitation/create", "elicitation", json!({}));
            let answering = async {
                // The request is registered before it is sent, so the first id is waiting by now.
                tokio::task::yield_now().await;
                assert!(!outbound.resolve(&RequestId::Int(99), Ok(json!({}))), "an unknown id pairs with nothing");
                assert!(outbound.resolve(&RequestId::Int(0), Ok(json!({ "action": "decline" }))));
            };
            tokio::join!(waiting, answering).0
        });
        assert_eq!(answer.unwrap()["action"], "decline");
        assert!(sent.lock().unwrap()[0].contains(r#""method":"elicitation/create""#));

        let abandoned = rt.block_on(async {
            let waiting = ex.request("elicitation/create", "elicitation", json!({}));
            let ending = async {
                tokio::task::yield_now().await;
                outbound.abandon();
            };
            tokio::join!(waiting, ending).0
        });
        assert!(abandoned.unwrap_err().message.contains("session ended"));
        assert_eq!(outbound.waiting(), 0);
    }

    /// A service whose every tool panics.
    struct Panicky(Identity);

    impl Service for Panicky {
        fn identity(&self) -> &Identity {
            &self.0
        }
        fn capabilities(&self, _: Version) -> Value {
            json!({ "tools": {} })
        }
        fn list_tools(&self, _: Option<&Value>, _: Version) -> Result<ResultBody, RpcError> {
            Ok(ResultBody::Json(json!({ "tools": [] })))
        }
        fn call_tool(&self, _: &str, _: Map<String, Value>, _: Exchange) -> Result<Work, RpcError> {
            Ok(Box::pin(async { panic!("fixture bug") }))
        }
    }

    #[test]
    fn a_panicking_service_call_is_an_internal_error_reply_and_the_session_goes_on() {
        use crate::session::{CallCx, Handled, Server, Session};
        let identity = Identity {
            name: "p".into(),
            version: "0",
            title: "p",
            description: "p",
            website_url: None,
            instructions: "",
        };
        let server = Server::with_service(
            crate::config::Config::for_base_url("http://127.0.0.1:9"),
            Arc::new(Panicky(identity)),
        );
        let session = Session::new(server);
        let cx = CallCx { credential: None, sink: Arc::new(|_| {}) };
        let msg = |text: &str| crate::jsonrpc::parse(text.as_bytes());
        let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#;
        assert!(matches!(session.handle(msg(init), &cx), Handled::Reply(_)));
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
        let Handled::Deferred(reply) = session.handle(msg(call), &cx) else { panic!("a call is deferred") };
        let text = jsonrpc_text(&block_on(reply).expect("a reply"));
        assert!(text.contains(r#""code":-32603"#) && text.contains("fixture bug"), "{text}");
        assert_eq!(session.in_flight(), 0);
        let Handled::Reply(pong) = session.handle(msg(r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#), &cx) else {
            panic!("ping is answered at once")
        };
        assert_eq!(jsonrpc_text(&pong), r#"{"jsonrpc":"2.0","id":2,"result":{}}"#);
    }

    fn jsonrpc_text(o: &Outgoing) -> String {
        String::from_utf8(crate::jsonrpc::encode(o)).unwrap()
    }
}
