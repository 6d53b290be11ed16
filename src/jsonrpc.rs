//! JSON-RPC 2.0 wire types, the two-stage parser and the encoder.
//!
//! Invariant: this module does no I/O and knows nothing of MCP. Every byte string, however malformed, parses to
//! either a classified [`Incoming`] value or an [`RpcError`] with the JSON-RPC code that the error deserves
//! (-32700 for invalid JSON, -32600 for a well-formed but invalid message), and [`encode`] always produces one
//! compact line without a trailing newline.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The request id: an integer or a string, never null, never a float.
///
/// The type of the id is kept exactly (`"7"` stays a string and `7` a number), because a client correlates replies
/// by the id it sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id.
    Int(i64),
    /// A string id.
    Str(String),
}

impl RequestId {
    /// Reads an id from a JSON value; `None` when the value is not a valid id (null, float, bool, object...).
    pub fn from_value(v: &Value) -> Option<RequestId> {
        match v {
            Value::Number(n) => n.as_i64().map(RequestId::Int),
            Value::String(s) => Some(RequestId::Str(s.clone())),
            _ => None,
        }
    }

    /// The id as a JSON value.
    pub fn to_value(&self) -> Value {
        match self {
            RequestId::Int(i) => Value::from(*i),
            RequestId::Str(s) => Value::from(s.clone()),
        }
    }
}

impl fmt::Display for RequestId {
    // String ids print quoted so that `7` and `"7"` are told apart in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Int(i) => write!(f, "{i}"),
            RequestId::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// A JSON-RPC error code: an open set, so that codes this crate does not name still round-trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub i64);

impl ErrorCode {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: ErrorCode = ErrorCode(-32700);
    /// The JSON sent is not a valid request object.
    pub const INVALID_REQUEST: ErrorCode = ErrorCode(-32600);
    /// The method does not exist or is not available.
    pub const METHOD_NOT_FOUND: ErrorCode = ErrorCode(-32601);
    /// Invalid method parameters.
    pub const INVALID_PARAMS: ErrorCode = ErrorCode(-32602);
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(-32603);
    /// MCP (up to 2025-11-25): the requested resource does not exist.
    pub const RESOURCE_NOT_FOUND: ErrorCode = ErrorCode(-32002);
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} ({code:?})")]
pub struct RpcError {
    /// The error code.
    pub code: ErrorCode,
    /// A short, human-readable description; lowercase, no trailing period.
    pub message: Cow<'static, str>,
    /// Extra structured detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> RpcError {
        RpcError { code, message: message.into(), data: None }
    }

    /// Adds structured detail.
    pub fn with_data(mut self, data: Value) -> RpcError {
        self.data = Some(data);
        self
    }

    /// -32700: the bytes are not JSON.
    pub fn parse_error(detail: impl fmt::Display) -> RpcError {
        RpcError::new(ErrorCode::PARSE_ERROR, format!("parse error: {detail}"))
    }

    /// -32600: JSON, but not a valid JSON-RPC message.
    pub fn invalid_request(message: impl Into<Cow<'static, str>>) -> RpcError {
        RpcError::new(ErrorCode::INVALID_REQUEST, message)
    }

    /// -32601: the method is not served; the method name goes in `data`.
    pub fn method_not_found(method: &str) -> RpcError {
        RpcError::new(ErrorCode::METHOD_NOT_FOUND, format!("method not found: {method}"))
            .with_data(serde_json::json!({ "method": method }))
    }

    /// -32602: the params do not fit the method.
    pub fn invalid_params(message: impl Into<Cow<'static, str>>) -> RpcError {
        RpcError::new(ErrorCode::INVALID_PARAMS, message)
    }

    /// -32603: the server failed.
    pub fn internal(message: impl Into<Cow<'static, str>>) -> RpcError {
        RpcError::new(ErrorCode::INTERNAL_ERROR, message)
    }
}

/// One classified message from the peer.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// A request: it must get exactly one reply with the same id.
    Request(Request),
    /// A notification: it must never be answered.
    Notification(Notification),
    /// A response or error object sent by the peer; the server only logs these.
    Response {
        /// The id the peer answered.
        id: Option<RequestId>,
        /// The result or the error.
        result: Result<Value, RpcError>,
    },
}

/// A request with an id.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The id to echo.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The params object; `None` when absent or null.
    pub params: Option<Map<String, Value>>,
}

/// A notification (no id).
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The method name.
    pub method: String,
    /// The params object; `None` when absent or null.
    pub params: Option<Map<String, Value>>,
}

/// The result of parsing one frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    /// A single message, or the error it deserves (with the id when it could be read).
    Single(Result<Incoming, (Option<RequestId>, RpcError)>),
    /// A JSON array: a batch, each element classified on its own. Whether batches are allowed is the session's
    /// decision, because it depends on the negotiated protocol version.
    Batch(Vec<Result<Incoming, (Option<RequestId>, RpcError)>>),
}

/// An outgoing message: a response, an error response, or a notification.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    /// A reply to a request. `id` is `None` only for errors about a message whose id could not be read, which
    /// JSON-RPC says to answer with `"id": null`.
    Response {
        /// The id of the request answered.
        id: Option<RequestId>,
        /// The result object or the error.
        body: Result<Value, RpcError>,
    },
    /// A notification from the server (progress, log message).
    Notification {
        /// The method name.
        method: Cow<'static, str>,
        /// The params object.
        params: Value,
    },
    /// A request from the server to the client (sampling, elicitation, roots), answered by an `Incoming::Response`.
    Request {
        /// The server's id for it.
        id: RequestId,
        /// The method name.
        method: String,
        /// The params object.
        params: Value,
    },
    /// A JSON-RPC batch reply (2025-03-26 only): an array of responses.
    Batch(Vec<Outgoing>),
    /// A successful reply whose result is already encoded JSON (cached lists, tool results built without a second
    /// serialisation). The text must be one valid JSON value.
    Raw {
        /// The id of the request answered.
        id: RequestId,
        /// The encoded result.
        json: Arc<str>,
    },
}

impl Outgoing {
    /// A successful response.
    pub fn result(id: RequestId, result: Value) -> Outgoing {
        Outgoing::Response { id: Some(id), body: Ok(result) }
    }

    /// An error response.
    pub fn error(id: Option<RequestId>, error: RpcError) -> Outgoing {
        Outgoing::Response { id, body: Err(error) }
    }

    /// A notification.
    pub fn notification(method: impl Into<Cow<'static, str>>, params: Value) -> Outgoing {
        Outgoing::Notification { method: method.into(), params }
    }

    /// Writes the message as compact JSON, `"jsonrpc":"2.0"` first, without copying the payload.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Outgoing::Response { id, body } => {
                out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
                match id {
                    Some(id) => json(out, id),
                    None => out.extend_from_slice(b"null"),
                }
                match body {
                    Ok(result) => {
                        out.extend_from_slice(br#","result":"#);
                        json(out, result);
                    }
                    Err(e) => {
                        out.extend_from_slice(br#","error":"#);
                        json(out, e);
                    }
                }
                out.push(b'}');
            }
            Outgoing::Notification { method, params } => {
                out.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
                json(out, method.as_ref());
                out.extend_from_slice(br#","params":"#);
                json(out, params);
                out.push(b'}');
            }
            Outgoing::Request { id, method, params } => {
                out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
                json(out, id);
                out.extend_from_slice(br#","method":"#);
                json(out, method.as_str());
                out.extend_from_slice(br#","params":"#);
                json(out, params);
                out.push(b'}');
            }
            Outgoing::Raw { id, json: result } => {
                out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
                json(out, id);
                out.extend_from_slice(br#","result":"#);
                out.extend_from_slice(result.as_bytes());
                out.push(b'}');
            }
            Outgoing::Batch(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_to(out);
                }
                out.push(b']');
            }
        }
    }
}

/// Appends a value as compact JSON.
fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    serde_json::to_writer(out, v).expect("ids, JSON values and errors always serialise");
}

/// Encodes a message as one compact line of JSON, without the trailing newline.
///
/// Compact serde_json output escapes control characters inside strings, so the result never contains a raw
/// newline; the stdio transport relies on that to frame messages.
pub fn encode(msg: &Outgoing) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    msg.write_to(&mut out);
    out
}

/// Parses one frame in two stages: bytes to JSON (a failure is -32700), then JSON to a message (a failure is
/// -32600, with the id echoed when it can be read).
pub fn parse(bytes: &[u8]) -> Parsed {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return Parsed::Single(Err((None, RpcError::parse_error(e)))),
    };
    match value {
        Value::Array(items) => Parsed::Batch(items.into_iter().map(classify).collect()),
        other => Parsed::Single(classify(other)),
    }
}

/// Classifies one JSON value as a request, a notification or a response.
pub fn classify(value: Value) -> Result<Incoming, (Option<RequestId>, RpcError)> {
    let Value::Object(mut obj) = value else {
        return Err((None, RpcError::invalid_request("invalid request: a message must be a JSON object")));
    };
    // The id is read first so that every later error can echo it.
    let raw_id = obj.remove("id");
    let id = raw_id.as_ref().and_then(RequestId::from_value);
    let fail = |msg: &'static str| Err((id.clone(), RpcError::invalid_request(msg)));

    match obj.get("jsonrpc") {
        Some(Value::String(v)) if v == "2.0" => {}
        _ => return fail("invalid request: \"jsonrpc\" must be \"2.0\""),
    }
    if let Some(raw) = &raw_id {
        if id.is_none() {
            return fail(if raw.is_null() {
                "invalid request: id must not be null"
            } else {
                "invalid request: id must be a string or an integer"
            });
        }
    }

    let has_result = obj.contains_key("result");
    let has_error = obj.contains_key("error");
    if let Some(method) = obj.remove("method") {
        let Value::String(method) = method else {
            return fail("invalid request: \"method\" must be a string");
        };
        if has_result || has_error {
            return fail("invalid request: a request must not carry \"result\" or \"error\"");
        }
        let params = match obj.remove("params") {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => Some(p),
            Some(_) => return fail("invalid request: \"params\" must be an object"),
        };
        return Ok(match id {
            Some(id) => Incoming::Request(Request { id, method, params }),
            None => Incoming::Notification(Notification { method, params }),
        });
    }

    match (obj.remove("result"), obj.remove("error")) {
        (Some(result), None) => Ok(Incoming::Response { id, result: Ok(result) }),
        (None, Some(error)) => match serde_json::from_value::<RpcError>(error) {
            Ok(e) => Ok(Incoming::Response { id, result: Err(e) }),
            Err(_) => fail("invalid request: malformed error object"),
        },
        (Some(_), Some(_)) => fail("invalid request: a response must not carry both \"result\" and \"error\""),
        (None, None) => fail("invalid request: missing \"method\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn single(s: &str) -> Result<Incoming, (Option<RequestId>, RpcError)> {
        match parse(s.as_bytes()) {
            Parsed::Single(r) => r,
            Parsed::Batch(_) => panic!("expected a single message"),
        }
    }

    #[test]
    fn invalid_json_is_parse_error() {
        let (id, e) = single("{nope").unwrap_err();
        assert_eq!(id, None);
        assert_eq!(e.code, ErrorCode::PARSE_ERROR);
    }

    #[test]
    fn non_object_is_invalid_request() {
        let (id, e) = single("42").unwrap_err();
        assert_eq!((id, e.code), (None, ErrorCode::INVALID_REQUEST));
    }

    #[test]
    fn wrong_version_echoes_the_id() {
        let (id, e) = single(r#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#).unwrap_err();
        assert_eq!(id, Some(RequestId::Str("a".into())));
        assert_eq!(e.code, ErrorCode::INVALID_REQUEST);
    }

    #[test]
    fn null_and_float_ids_are_rejected() {
        for s in [
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
        ] {
            let (id, e) = single(s).unwrap_err();
            assert_eq!((id, e.code), (None, ErrorCode::INVALID_REQUEST), "{s}");
        }
    }

    #[test]
    fn id_type_is_preserved() {
        let Ok(Incoming::Request(r)) = single(r#"{"jsonrpc":"2.0","id":"7","method":"ping"}"#) else {
            panic!("not a request")
        };
        assert_eq!(r.id, RequestId::Str("7".into()));
        let out = encode(&Outgoing::result(r.id, json!({})));
        assert_eq!(out, br#"{"jsonrpc":"2.0","id":"7","result":{}}"#);
    }

    #[test]
    fn null_params_equal_missing_params() {
        let a = single(r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":null}"#).unwrap();
        let b = single(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn array_params_are_rejected() {
        let (id, e) = single(r#"{"jsonrpc":"2.0","id":3,"method":"ping","params":[1]}"#).unwrap_err();
        assert_eq!((id, e.code), (Some(RequestId::Int(3)), ErrorCode::INVALID_REQUEST));
    }

    #[test]
    fn notification_and_response_are_classified() {
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Ok(Incoming::Notification(_))
        ));
        assert!(matches!(single(r#"{"jsonrpc":"2.0","id":9,"result":{}}"#), Ok(Incoming::Response { .. })));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":9,"error":{"code":-1,"message":"x"}}"#),
            Ok(Incoming::Response { result: Err(_), .. })
        ));
    }

    #[test]
    fn error_response_serialises_exactly() {
        let out = encode(&Outgoing::error(None, RpcError::invalid_request("invalid request: x")));
        assert_eq!(out, br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: x"}}"#);
    }

    #[test]
    fn raw_results_are_written_as_they_are() {
        let out = encode(&Outgoing::Raw { id: RequestId::Str("r".into()), json: Arc::from(r#"{"a":[1]}"#) });
        assert_eq!(out, br#"{"jsonrpc":"2.0","id":"r","result":{"a":[1]}}"#);
    }

    #[test]
    fn batch_is_split() {
        let Parsed::Batch(items) = parse(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}, 5]"#) else {
            panic!("not a batch")
        };
        assert!(items[0].is_ok());
        assert!(items[1].is_err());
    }
}
