//! Server-to-client requests (sampling, elicitation, roots) and multi-round input with sealed state: what only the
//! conformance fixture server (`examples/conformance_server.rs`) uses, compiled only with the cargo feature
//! `client-requests`, so that an auditor of the product can skip this file (the Pingera service asks the client
//! nothing).
//!
//! Invariant: a request to the client is answered at most once, by the response that carries its id, and never
//! outlives its session or its own request: ending either fails the wait instead of hanging it. Under 2026-07-28,
//! which has no server-to-client requests, the same questions travel as `InputRequiredResult`s, and the state a
//! server keeps in the client is sealed so that a changed one is refused.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

use super::{Exchange, ResultBody};
use crate::jsonrpc::{ErrorCode, Outgoing, RequestId, RpcError};
use crate::lock;
use crate::mcp;

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

impl Exchange {
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
        mcp::SAMPLE => "sampling",
        mcp::LIST_ROOTS => "roots",
        _ => "elicitation",
    }
}

/// Whether an answer has the shape of the method's result (what the rest of the server relies on).
fn answer_fits(method: &str, answer: &Value) -> bool {
    match method {
        mcp::SAMPLE => answer.get("content").is_some_and(Value::is_object),
        mcp::LIST_ROOTS => answer.get("roots").is_some_and(Value::is_array),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::CancelFlag;
    use crate::protocol::Version;
    use std::future::Future;
    use std::sync::Arc;

    fn exchange(version: Version, capabilities: Value, params: Value, outbound: Option<Arc<Outbound>>) -> Exchange {
        Exchange {
            id: RequestId::Int(1),
            version,
            authorization: None,
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

    fn jsonrpc_text(o: &Outgoing) -> String {
        String::from_utf8(crate::jsonrpc::encode(o)).unwrap()
    }
}
