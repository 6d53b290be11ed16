//! The 2024-11-05 HTTP+SSE transport: `GET /sse` opens the stream that carries every server message and announces
//! the POST endpoint; `POST /messages?sessionId=...` hands a message in and is answered 202 at once.
//!
//! Invariant: every reply and notification of an HTTP+SSE session leaves on its one SSE stream, never in a POST
//! response; the session ends when that stream closes.

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use super::gate::{accepts, check_content_type};
use super::reply::{bad_request, error_reply, keep_alive, not_acceptable, sse_reply, too_many_sessions, Reply};
use super::sessions::{short, Kind};
use super::{HttpServer, MESSAGES_PATH};
use crate::jsonrpc::{Outgoing, RpcError};
use crate::session::CallCx;
use crate::transport::body::Body;
use crate::transport::{deliver, Run};

impl HttpServer {
    /// Opens the stream that carries every server message and announces the POST endpoint.
    pub(super) fn get_sse(&self, req: Request<Incoming>) -> Reply {
        if let Err(r) = self.gate.check(req.headers()) {
            return r;
        }
        if !accepts(req.headers(), &["text/event-stream"]) {
            return not_acceptable("not acceptable: Accept must allow text/event-stream");
        }
        let server = match self.server_for(req.headers()) {
            Ok(server) => server,
            Err(r) => return r,
        };
        let Some(reservation) = self.sessions.reserve(&server, Kind::LegacySse) else {
            return too_many_sessions();
        };
        let (tx, body) = Body::channel(self.server.limits.max_queued_messages);
        *crate::lock(&reservation.session().stream) = Some(tx.clone());
        let id = reservation.commit();
        let _ = tx.try_send(Bytes::from(format!("event: endpoint\ndata: {MESSAGES_PATH}?sessionId={id}\n\n")));
        log::info!("HTTP+SSE session {} started", short(&id));
        tokio::spawn(keep_alive(tx.downgrade(), self.stop.clone()));
        sse_reply(body)
    }

    /// Hands one message to the session named in the query; what it answers goes on the session's stream.
    pub(super) async fn post_messages(&self, req: Request<Incoming>) -> Reply {
        let authorization = match self.gate.check(req.headers()) {
            Ok(c) => c,
            Err(r) => return r,
        };
        if let Err(r) = check_content_type(req.headers()) {
            return r;
        }
        let query = req.uri().query().unwrap_or_default().to_owned();
        let Some(id) = query.split('&').find_map(|kv| kv.strip_prefix("sessionId=")).filter(|v| !v.is_empty()) else {
            return bad_request("missing sessionId query parameter");
        };
        let hs = match self.sessions.find(id, Kind::LegacySse) {
            Some(hs) if hs.stream_open() => hs,
            found => {
                if found.is_some() {
                    // A session whose stream closed (or was closed for falling behind) is gone for good.
                    self.sessions.end(id);
                }
                return error_reply(StatusCode::NOT_FOUND, None, RpcError::invalid_request("unknown or ended session"));
            }
        };
        let parsed = match self.read_body(req.into_body()).await {
            Ok(p) => p,
            Err(r) => return r,
        };
        hs.touch();
        let sink_hs = Arc::clone(&hs);
        let cx = CallCx::new(authorization, move |msg| {
            sink_hs.send_on_stream(&msg);
        });
        let handled = hs.session.handle(parsed, &cx);
        let reply_hs = Arc::clone(&hs);
        deliver(
            handled,
            move |out: Outgoing| {
                reply_hs.send_on_stream(&out);
            },
            Run::Spawned,
        )
        .await;
        Response::builder()
            .status(StatusCode::ACCEPTED)
            .header(hyper::header::CONTENT_TYPE, "text/plain")
            .body(Body::full("Accepted"))
            .expect("a constant response is valid")
    }
}
