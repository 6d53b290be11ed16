//! An in-repo double of the Pingera monitoring REST API v1: a real HTTP/1.1 server on 127.0.0.1 that the
//! project's tests and newcomers run instead of `https://api.pingera.ru`.
//!
//! It follows section 5 of `shared/reference/pingera-api.md` (the SDK 1.0.15 view of the API): the same
//! paths, envelopes (bare arrays vs `{"<items>": [...], "pagination": {...}}`), success codes (POST
//! /v1/pages → 200, other creates → 201, executions → 202, deletes → 204) and flask-smorest error bodies
//! (`{"code","status","message"}`, plus `"errors": {"json"|"query": {field: [messages]}}` on 422).
//! On top it offers what tests need and the real API lacks: deterministic seed data (the `SEED_*`
//! constants), a request log, in-flight counters and fault switches (latency, fail / drop / hang the next
//! N requests), reachable from Rust through [`ApiDouble`] and over HTTP under `/__double/`:
//!
//! | Control route | Effect |
//! |---|---|
//! | `GET /__double/requests` / `DELETE` | the request log as JSON / clear it |
//! | `POST /__double/faults` | `{"latency_ms":0,"fail_next":{"count":1,"status":503,"retry_after":1},"drop_next":1,"hang_next":1,"inflate_next":{"count":1,"bytes":15000000}}`, all keys optional; `GET` shows the switches |
//! | `GET /__double/state` | the whole store |
//! | `POST /__double/reset` | reseed, clear the log, faults and counters |
//! | `GET /__double/stats` | `{"in_flight","peak_in_flight","total"}` |
//!
//! Codemap: `server.rs` (accept loop, logging, faults, auth, control API), `router.rs` (route table,
//! request/reply/error types, paging), `schema.rs` (body validation), `store.rs` (collections, ids, clock),
//! `seed.rs` (seed data), and one file per API area: `pages.rs`, `checks.rs`, `secrets.rs`, `alerts.rs`,
//! `heartbeats.rs`.
//!
//! Architecture invariants: handlers are synchronous and run under the store lock, which is never held
//! across an await; peer-controlled input never panics the server (malformed JSON → 400, oversized bodies
//! → 413, bad fields → 422); the `Authorization` value is recorded in the log but never echoed in a
//! response; control routes are never logged, counted or faulted.

mod alerts;
mod checks;
mod heartbeats;
mod pages;
mod router;
mod schema;
mod secrets;
mod seed;
mod server;
mod store;

/// The current UTC time as `2026-11-24T10:00:00Z` (also used by the benchmark harness for its report).
pub use store::now_iso;
#[cfg(test)]
mod tests;

pub use seed::*;
pub use server::{serve, DoubleState, HANG_CAP, INFLATE_CAP, MAX_BODY};

use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How to start an [`ApiDouble`].
#[derive(Clone, Debug)]
pub struct DoubleOptions {
    /// 0 picks a free port.
    pub port: u16,
    /// The address to bind, 127.0.0.1 by default.
    pub host: IpAddr,
    /// Accepted `Authorization` header values (e.g. `"key-1"`, `"Bearer jwt-1"`); `None` accepts any
    /// non-empty value.
    pub accepted_credentials: Option<Vec<String>>,
    /// Delay added to every API request.
    pub latency: Duration,
}

impl Default for DoubleOptions {
    /// 127.0.0.1, any free port, any credential, no latency.
    fn default() -> Self {
        DoubleOptions {
            port: 0,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            accepted_credentials: None,
            latency: Duration::ZERO,
        }
    }
}

/// One API request as the double received it (control routes are not recorded).
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as sent, still percent-encoded.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The body parsed as JSON, or the raw text when it is not JSON; `None` when empty.
    pub body: Option<serde_json::Value>,
    /// The `Authorization` header exactly as sent.
    pub authorization: Option<String>,
    /// When it arrived, ISO 8601 UTC with milliseconds.
    pub received_at: String,
}

/// A running double on its own thread and tokio runtime, so synchronous tests can use it. Dropping it
/// stops the server and joins the thread.
pub struct ApiDouble {
    state: DoubleState,
    addr: SocketAddr,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiDouble {
    /// Binds `host:port` (port 0 = any free port) and serves on a dedicated background thread.
    ///
    /// # Errors
    /// Binding the socket, starting the runtime or the thread fails.
    pub fn spawn(opts: DoubleOptions) -> std::io::Result<ApiDouble> {
        let listener = std::net::TcpListener::bind((opts.host, opts.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = DoubleState::new(opts.accepted_credentials, opts.latency, &format!("http://{addr}"));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let serving = state.clone();
        let thread = std::thread::Builder::new().name("pingera-api-double".into()).spawn(move || {
            runtime.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        if let Err(e) = serve(listener, serving).await {
                            log::error!("pingera-api-double: server stopped: {e}");
                        }
                    }
                    Err(e) => {
                        log::error!("pingera-api-double: cannot register the listener: {e}")
                    }
                }
            });
        })?;
        Ok(ApiDouble { state, addr, thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash, no `/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state, e.g. to read [`DoubleState::in_flight`].
    pub fn shared(&self) -> &DoubleState {
        &self.state
    }

    /// Every API request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.state.clear_requests()
    }

    /// Delay added to every API request from now on.
    pub fn set_latency(&self, d: Duration) {
        self.state.set_latency(d)
    }

    /// Answers the next `count` API requests with `status` in the error form, with `Retry-After` if given.
    pub fn fail_next(&self, count: usize, status: u16, retry_after: Option<u64>) {
        self.state.fail_next(count, status, retry_after)
    }

    /// Closes the connection of the next `count` API requests without any response.
    pub fn drop_next(&self, count: usize) {
        self.state.drop_next(count)
    }

    /// Never answers the next `count` API requests (bounded by [`HANG_CAP`]).
    pub fn hang_next(&self, count: usize) {
        self.state.hang_next(count)
    }

    /// Answers the next `count` API requests with a 401 that quotes the credential back (a careless API).
    pub fn echo_auth_next(&self, count: usize) {
        self.state.echo_auth_next(count)
    }

    /// Makes the next `count` successful list replies at least `bytes` long by repeating their items.
    pub fn inflate_next(&self, count: usize, bytes: usize) {
        self.state.inflate_next(count, bytes)
    }

    /// The most API requests in flight at once since start or the last reset.
    pub fn peak_in_flight(&self) -> usize {
        self.state.peak_in_flight()
    }

    /// Reseeds the store and clears the log, faults and counters.
    pub fn reset(&self) {
        self.state.reset()
    }

    /// The store as JSON: `{"pages":[...], "components":[...], ...}`.
    pub fn state(&self) -> serde_json::Value {
        self.state.state()
    }
}

impl Drop for ApiDouble {
    fn drop(&mut self) {
        self.state.shutdown();
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has been logged by the panic hook already; nothing to add.
            let _ = thread.join();
        }
    }
}
