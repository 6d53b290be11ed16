//! Stateless requests of the 2026-07-28 era over HTTP: one POST, one request, a fresh session that keeps nothing.
//!
//! Invariant: this module only reads the request headers the session compares with the body (the checks and their
//! order are the session's, [`crate::mcp::StatelessHeaders`]) and maps the session's answer to an HTTP status;
//! closing a streamed answer cancels its request.

use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};
use tokio::sync::mpsc;

use super::reply::{accepted, bad_request, json_reply, sse_reply, Reply};
use super::HttpServer;
use crate::jsonrpc::{self, Outgoing, Parsed};
use crate::mcp::StatelessHeaders;
use crate::protocol::{HEADER_MISMATCH, MISSING_REQUIRED_CLIENT_CAPABILITY, UNSUPPORTED_PROTOCOL_VERSION};
use crate::service::Authorization;
use crate::session::{CallCx, Handled, Session};
use crate::transport::body::{sse_reply_sender, sse_sender, Body};
use crate::transport::{answer, deliver, Run};

impl HttpServer {
    /// One stateless (2026-07-28) request, whose `MCP-Protocol-Version` header is `header_version`: checked against
    /// its headers and served by a fresh session, answered as JSON or as an SSE stream whose closing cancels it.
    pub(super) async fn post_stateless(
        &self,
        req: Request<Incoming>,
        header_version: String,
        authorization: Option<Authorization>,
    ) -> Reply {
        let server = match self.server_for(req.headers()) {
            Ok(server) => server,
            Err(r) => return r,
        };
        let headers = StatelessHeaders {
            protocol_version: header_version,
            method: header(req.headers(), "mcp-method"),
            name: header(req.headers(), "mcp-name"),
        };
        let request = match self.read_body(req.into_body()).await {
            Ok(Parsed::Single(Ok(jsonrpc::Incoming::Request(r)))) => r,
            Ok(Parsed::Single(_)) => return accepted(),
            Ok(Parsed::Batch(_)) => {
                return bad_request("invalid request: JSON-RPC batches are not part of protocol 2026-07-28")
            }
            Err(r) => return r,
        };
        // A session of its own for this one request, which keeps nothing.
        let session = Session::new(server);
        let parsed = Parsed::Single(Ok(jsonrpc::Incoming::Request(request)));
        let stream = session.wants_stream(&parsed);
        let (tx, body) = if stream {
            Body::channel(self.server.limits.max_queued_messages)
        } else {
            (mpsc::channel(1).0, Body::empty())
        };
        let mut cx = CallCx::new(authorization, sse_sender(tx.clone()));
        cx.stateless = Some(headers);
        let handled = session.handle(parsed, &cx);
        drop(cx);
        match handled {
            Handled::Deferred(fut) if stream => {
                // 2026-07-28: the client closing the stream is the cancellation of the request.
                let watch = tx.clone();
                let until_closed = async move {
                    tokio::select! {
                        out = fut => out,
                        () = watch.closed() => {
                            log::debug!("stateless request cancelled by closing its stream");
                            None
                        }
                    }
                };
                deliver(Handled::Deferred(Box::pin(until_closed)), sse_reply_sender(tx), Run::Spawned).await;
                sse_reply(body)
            }
            handled => match answer(handled).await {
                Some(out) => json_reply(status_of(&out), jsonrpc::encode(&out)),
                None => accepted(),
            },
        }
    }
}

/// A header value, decoded when it is sent as `=?base64?<data>?=`; `None` when absent, not text, or broken.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).and_then(decode_header_value)
}

/// The HTTP status of a stateless reply: -32601 is 404 (so a client can tell "no such method" from "no such
/// path" by the body), the request-level errors are 400, everything else 200.
fn status_of(reply: &Outgoing) -> StatusCode {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_header_values_decode() {
        assert_eq!(decode_header_value("plain").as_deref(), Some("plain"));
        assert_eq!(decode_header_value("=?base64?aMOpbGxv?=").as_deref(), Some("h\u{e9}llo"));
        assert_eq!(decode_header_value("=?base64?dGVzdA==?=").as_deref(), Some("test"));
        assert_eq!(decode_header_value("=?base64?***?="), None);
    }
}
