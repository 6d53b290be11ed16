//! Streamable HTTP at `/mcp` for the handshake era (2025-03-26 to 2025-11-25): POST a message, GET the session's
//! stream, DELETE the session.
//!
//! Invariant: a POST is answered with one JSON body, or with an SSE stream when the session says the request may
//! send notifications first; a session exists only once its `initialize` succeeded, and its slot was reserved
//! before the `initialize` ran. A POST whose `MCP-Protocol-Version` is not a handshake-era version is the
//! stateless era's ([`super::stateless`]).

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};

use super::gate::{accepts, check_content_type};
use super::reply::{
    accepted, bad_request, error_reply, json_reply, keep_alive, method_not_allowed, not_acceptable, sse_reply,
    too_many_sessions, Reply,
};
use super::sessions::{short, HttpSession, Kind};
use super::{HttpServer, SESSION_HEADER, TOOLSETS_HEADER, VERSION_HEADER};
use crate::jsonrpc::{self, Outgoing, Parsed, RpcError};
use crate::mcp::Method;
use crate::protocol::Version;
use crate::session::CallCx;
use crate::transport::body::{sse_reply_sender, sse_sender, Body};
use crate::transport::{answer, deliver, Run};

impl HttpServer {
    pub(super) async fn post_mcp(&self, req: Request<Incoming>) -> Reply {
        let authorization = match self.gate.check(req.headers()) {
            Ok(c) => c,
            Err(r) => return r,
        };
        let headers = req.headers();
        if let Err(r) = check_content_type(headers) {
            return r;
        }
        if !accepts(headers, &["application/json", "text/event-stream"]) {
            return not_acceptable(
                "not acceptable: the Accept header must allow application/json and text/event-stream",
            );
        }
        // A protocol version header that is not a handshake-era version selects the stateless era (2026-07-28),
        // which validates it itself (and answers -32022 when it is unknown).
        let raw_version = headers.get(VERSION_HEADER).map(|v| v.to_str().unwrap_or_default().trim().to_owned());
        if let Some(v) = raw_version.filter(|v| Version::parse(v).is_none()) {
            return self.post_stateless(req, v, authorization).await;
        }
        // A supported handshake-era version is accepted even when it differs from the negotiated one: the spec asks
        // for 400 only when the header is invalid or unsupported, and clients (the conformance referee among them)
        // send other supported versions on purpose.
        if let Some(v) = headers.get(VERSION_HEADER).filter(|v| v.to_str().ok().and_then(Version::parse).is_none()) {
            return bad_request(format!(
                "unsupported MCP-Protocol-Version {:?}; supported: {}",
                v.to_str().unwrap_or("?"),
                Version::ALL.map(|v| v.as_str()).join(", ")
            ));
        }
        let session_id = headers.get(SESSION_HEADER).map(|v| v.to_str().unwrap_or_default().to_owned());
        let toolsets = headers.get(TOOLSETS_HEADER).cloned();
        let parsed = match self.read_body(req.into_body()).await {
            Ok(p) => p,
            Err(r) => return r,
        };
        let is_initialize = matches!(&parsed, Parsed::Single(Ok(jsonrpc::Incoming::Request(r))) if Method::parse(&r.method) == Some(Method::Initialize));

        let (hs, reservation) = match session_id {
            Some(id) => match self.streamable_session(&id, toolsets.as_ref()) {
                Ok(hs) => (hs, None),
                Err(r) => return r,
            },
            None if is_initialize => {
                let server = match self.server_narrowed_to(toolsets.as_ref()) {
                    Ok(server) => server,
                    Err(r) => return r,
                };
                match self.sessions.reserve(&server, Kind::Streamable) {
                    Some(r) => (Arc::clone(r.session()), Some(r)),
                    None => return too_many_sessions(),
                }
            }
            None => return bad_request("missing Mcp-Session-Id header: send initialize first"),
        };
        if reservation.is_none() {
            hs.touch();
        }

        if hs.session.wants_stream(&parsed) {
            let (tx, body) = Body::channel(self.server.limits.max_queued_messages);
            let cx = CallCx::new(authorization, sse_sender(tx.clone()));
            let handled = hs.session.handle(parsed, &cx);
            drop(cx);
            return if deliver(handled, sse_reply_sender(tx), Run::Spawned).await {
                sse_reply(body)
            } else {
                accepted()
            };
        }
        // Notifications of a request answered with one JSON body go on the session's GET stream if one is open
        // (there is no other place the spec allows).
        let stream_hs = Arc::clone(&hs);
        let cx = CallCx::new(authorization, move |msg| {
            stream_hs.send_on_stream(&msg);
        });
        let handled = hs.session.handle(parsed, &cx);
        drop(cx);
        // The client cancelled the request (or it was a notification): it gets no JSON-RPC response.
        let Some(reply) = answer(handled).await else {
            return accepted();
        };
        let mut response = json_reply(StatusCode::OK, jsonrpc::encode(&reply));
        if let Some(reservation) = reservation {
            if matches!(&reply, Outgoing::Response { body: Ok(_), .. }) {
                let id = self.start_session(reservation);
                log::info!("session {} started", short(&id));
                response
                    .headers_mut()
                    .insert(SESSION_HEADER, HeaderValue::from_str(&id).expect("session ids are visible ASCII"));
            }
        }
        response
    }

    pub(super) fn get_mcp(&self, req: Request<Incoming>) -> Reply {
        if let Err(r) = self.gate.check(req.headers()) {
            return r;
        }
        if let Some(r) = stateless_has_no_streams(req.headers()) {
            return r;
        }
        if !accepts(req.headers(), &["text/event-stream"]) {
            return not_acceptable("not acceptable: GET opens an SSE stream; Accept must allow text/event-stream");
        }
        let hs = match self.session_from(req.headers()) {
            Ok(hs) => hs,
            Err(r) => return r,
        };
        hs.touch();
        let (tx, body) = Body::channel(self.server.limits.max_queued_messages);
        {
            let mut stream = crate::lock(&hs.stream);
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

    pub(super) fn delete_mcp(&self, req: Request<Incoming>) -> Reply {
        if let Err(r) = self.gate.check(req.headers()) {
            return r;
        }
        if let Some(r) = stateless_has_no_streams(req.headers()) {
            return r;
        }
        if let Err(r) = self.session_from(req.headers()) {
            return r;
        }
        let id = req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        self.end_session(id);
        log::info!("session {} ended by the client", short(id));
        Response::builder().status(StatusCode::NO_CONTENT).body(Body::empty()).expect("a constant response is valid")
    }

    /// The Streamable HTTP session named by the request: 400 without the header, 404 when unknown or ended.
    #[allow(clippy::result_large_err)]
    fn session_from(&self, headers: &HeaderMap) -> Result<Arc<HttpSession>, Reply> {
        let Some(id) = headers.get(SESSION_HEADER) else {
            return Err(bad_request("missing Mcp-Session-Id header"));
        };
        self.streamable_session(id.to_str().unwrap_or_default(), headers.get(TOOLSETS_HEADER))
    }
}

/// 2026-07-28 has no GET stream and no sessions to delete: such requests are 405.
fn stateless_has_no_streams(headers: &HeaderMap) -> Option<Reply> {
    let v = headers.get(VERSION_HEADER)?.to_str().unwrap_or_default().trim();
    Version::parse(v).is_none().then(|| method_not_allowed("POST"))
}
