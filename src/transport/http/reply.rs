//! HTTP replies: the responses every HTTP path builds, reading a POSTed message, and the SSE keep-alive.
//!
//! Invariant: every error response carries a JSON-RPC error object as its body, so a client that reads only the
//! body still learns why; constant responses cannot fail to build.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::jsonrpc::{self, ErrorCode, Outgoing, Parsed, RequestId, RpcError};
use crate::limits::Limits;
use crate::transport::body::Body;

/// Every HTTP answer.
pub(super) type Reply = Response<Body>;

/// The JSON-RPC code of a refused request for a missing credential. It lies outside the ranges the spec reserves
/// (2026-07-28 `basic/index.mdx#error-codes`); clients act on the HTTP status.
const UNAUTHORIZED_CODE: i64 = -31001;
/// SSE comments keep idle streams alive through proxies.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Reads and parses a POSTed message: 413 over the limit, 408 when it does not arrive within `timeout`, 400 with
/// the -32700 / -32600 error when it is not a valid message (a batch is left to the session, whose negotiated
/// version decides).
pub(super) async fn read_message(
    body: Incoming,
    limit: usize,
    timeout: Duration,
    limits: &Limits,
) -> Result<Parsed, Reply> {
    let bytes = match tokio::time::timeout(timeout, read_body(body, limit)).await {
        Ok(read) => read?,
        Err(_) => {
            log::debug!("a request body did not arrive within {timeout:?}");
            // Answering before the body is read makes hyper close the connection, which frees it.
            return Err(error_reply(
                StatusCode::REQUEST_TIMEOUT,
                None,
                RpcError::invalid_request(format!(
                    "invalid request: the request body did not arrive within {}s",
                    timeout.as_secs_f64()
                ))
                .with_data(json!({ "timeout_secs": timeout.as_secs_f64() })),
            ));
        }
    };
    match limits.parse(&bytes) {
        Ok(Parsed::Single(Err((id, e)))) => Err(error_reply(StatusCode::BAD_REQUEST, id, e)),
        Ok(parsed) => Ok(parsed),
        Err(refused) => Err(json_reply(StatusCode::BAD_REQUEST, jsonrpc::encode(&refused))),
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

/// Sends an SSE comment now and then so that proxies keep the stream open. It holds only a weak sender, so the
/// stream still ends as soon as its owner (the session) lets go of it.
pub(super) async fn keep_alive(tx: mpsc::WeakSender<Bytes>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(KEEP_ALIVE) => {}
            () = stop.cancelled() => return,
        }
        match tx.upgrade() {
            // A stream that is full has data on the way; it needs no keep-alive.
            Some(tx) if !tx.is_closed() => {
                let _ = tx.try_send(Bytes::from_static(b": keep-alive\n\n"));
            }
            _ => return,
        }
    }
}

pub(super) fn json_reply(status: StatusCode, body: Vec<u8>) -> Reply {
    Response::builder()
        .status(status)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Body::full(body))
        .expect("a constant response is valid")
}

pub(super) fn sse_reply(body: Body) -> Reply {
    Response::builder()
        .status(StatusCode::OK)
        .header(hyper::header::CONTENT_TYPE, "text/event-stream")
        .header(hyper::header::CACHE_CONTROL, "no-cache")
        .header("x-accel-buffering", "no")
        .body(body)
        .expect("a constant response is valid")
}

pub(super) fn error_reply(status: StatusCode, id: Option<RequestId>, error: RpcError) -> Reply {
    json_reply(status, jsonrpc::encode(&Outgoing::error(id, error)))
}

/// A 400 with a -32600 error: the request cannot be served as sent.
pub(super) fn bad_request(message: impl Into<std::borrow::Cow<'static, str>>) -> Reply {
    error_reply(StatusCode::BAD_REQUEST, None, RpcError::invalid_request(message))
}

pub(super) fn accepted() -> Reply {
    Response::builder().status(StatusCode::ACCEPTED).body(Body::empty()).expect("a constant response is valid")
}

pub(super) fn method_not_allowed(allow: &'static str) -> Reply {
    let mut r = error_reply(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        RpcError::invalid_request(format!("method not allowed here; allowed: {allow}")),
    );
    r.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
    r
}

pub(super) fn unauthorized(message: &'static str) -> Reply {
    let mut r = error_reply(StatusCode::UNAUTHORIZED, None, RpcError::new(ErrorCode(UNAUTHORIZED_CODE), message));
    r.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"pingera-mcp\""));
    r
}

pub(super) fn too_many_sessions() -> Reply {
    let mut r = error_reply(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        RpcError::new(ErrorCode(-32603), "too many sessions: try again later"),
    );
    r.headers_mut().insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

pub(super) fn not_acceptable(message: &'static str) -> Reply {
    error_reply(StatusCode::NOT_ACCEPTABLE, None, RpcError::invalid_request(message))
}
