//! Requests that take time: registration in the session's in-flight map, cancellation, and the run itself.
//!
//! Invariant: a request id is in the in-flight map exactly while its work may still answer it; a second request
//! with the same id, or one past the session's in-flight limit, is refused before any work starts; the entry is
//! removed however the work ends (answered, cancelled, panicked or dropped); and a panic in the work is caught in
//! this one place and becomes an error reply, so every request is answered unless its client cancelled it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{answer, reply, CallCx, Handled, Session};
use crate::cancel::CancelFlag;
use crate::jsonrpc::{Outgoing, RequestId, RpcError};
use crate::lock;
use crate::mcp::{envelope, Era, Method, ResultBody};
use crate::service::{Exchange, Work};

impl Session {
    /// The number of requests running now.
    pub fn in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// Cancels the request `id` names, as `notifications/cancelled` asks, if it is still in flight.
    pub(super) fn cancel(&self, id: Option<RequestId>) {
        match id.and_then(|id| lock(&self.in_flight).get(&id).cloned().map(|f| (id, f))) {
            Some((id, flag)) => {
                log::debug!("request {id} cancelled by the client");
                flag.cancel();
            }
            // The request may have finished already; the spec says to ignore such cancellations.
            None => log::debug!("cancellation for a request not in flight: ignored"),
        }
    }

    /// Runs a request that takes time as `id`: registered for cancellation (a duplicate id in flight is refused),
    /// started by the service with an [`Exchange`], and raced with cancellation on the transport's task. A panic
    /// anywhere in the work (on this task or the blocking thread it waits for) is caught here, the one place, and
    /// becomes an error reply instead of a lost request. The deferred reply is `None` when the client cancelled.
    pub(super) fn run<S>(
        self: &Arc<Self>,
        id: RequestId,
        method: Method,
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
            if in_flight.len() >= self.server.limits.max_in_flight {
                drop(in_flight);
                return reply(id, Err(self.server.limits.too_many_in_flight()));
            }
            in_flight.insert(id.clone(), flag.clone());
        }
        let guard = InFlightGuard { session: Arc::clone(self), id: id.clone() };
        let version = era.version;
        let ex = Exchange {
            id: id.clone(),
            version,
            authorization: cx.authorization.clone(),
            client_capabilities: era.client_capabilities,
            progress_token: progress_token(&params),
            params,
            sink: Arc::clone(&cx.sink),
            log_level: era.log_level,
            step: AtomicU64::new(0),
            flag: flag.clone(),
            // Only the handshake era has a session that a client's response can reach.
            #[cfg(feature = "client-requests")]
            outbound: (!version.is_modern()).then(|| Arc::clone(&self.outbound)),
        };
        let work = match start(ex) {
            Ok(w) => w,
            Err(e) => return reply(id, Err(e)),
        };
        Handled::Deferred(Box::pin(async move {
            let _guard = guard;
            let outcome = tokio::select! {
                r = CatchUnwind(work) => r,
                () = flag.cancelled() => return None,
            };
            // A cancellation that raced with completion still wins: the client stopped waiting for this id.
            if flag.is_cancelled() {
                return None;
            }
            Some(match outcome {
                Ok(r) => answer(id, r.map(|b| envelope(b, method, version))),
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown".to_owned());
                    log::error!("request handler panicked: {what}");
                    Outgoing::error(Some(id), RpcError::internal(format!("request handler panicked: {what}")))
                }
            })
        }))
    }
}

/// Polls a request's work and turns a panic into a value, so that a bug answers its request with an error instead
/// of taking the transport's task down with it.
struct CatchUnwind(Work);

impl Future for CatchUnwind {
    type Output = Result<Result<ResultBody, RpcError>, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let work = &mut self.0;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work.as_mut().poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(r)) => std::task::Poll::Ready(Ok(r)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
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
