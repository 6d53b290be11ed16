//! pingera-mcp: a Model Context Protocol server for the Pingera monitoring API, with the protocol written by hand.
//!
//! # Bird's-eye view
//! A generic MCP core serves one application. Bytes arrive on a transport (`transport::stdio`, `transport::http`),
//! are framed (`codec`), parsed in two stages (`jsonrpc`) and handed to one `session::Session`, which negotiates the
//! protocol version (`protocol`), parses each request once into a typed `mcp::ClientRequest`, and routes it to a
//! `service::Service`; `mcp::envelope` gives every result what its version needs, and `transport::deliver` sends
//! the answer back. The application (`app`) is the Pingera service: `main` builds it from the configuration
//! (`config`) and hands it to the core. It runs tool calls from the declarative table (`tools::table`) on tokio's
//! blocking pool; a tool call becomes a request of the `pingera` client (one keep-alive `ureq` agent), whose reply
//! becomes the tool result. The conformance fixtures (`examples/conformance_server.rs`) are a second service on
//! the same core. `check` is the `pingera-mcp check` subcommand. The Pingera API double that the tests and
//! newcomers without an account use is the workspace member crate `api-double/`, never part of this library.
//!
//! A `tools/call` over stdio: `stdio::serve` (frames) → `stdio::dispatch` → `jsonrpc::parse` → `Session::handle` →
//! `Session::handle_request` (era, `ClientRequest::parse`) → `Session::dispatch` → `Session::run` →
//! `app::Pingera::call_tool` → `transport::deliver` (task hop 1: the transport's task) → blocking pool (hop 2) →
//! `tools::ToolSpec::call` → `tools::ToolCtx::send_for_result` → `pingera::ApiClient::send` → `ureq`; a large reply
//! is decoded as it arrives (`pingera::Decode::Within`), never building more of its list than a result can hold.
//!
//! # Codemap
//! The core (names nothing of Pingera):
//! - `jsonrpc`: `RequestId`, `Incoming`, `Outgoing`, `RpcError`, `parse`, `encode`.
//! - `codec`: `LineCodec`, `Frame` (newline framing with a size limit).
//! - `json`: `value_count`, `encoded_len`, `decode_within` (what decoding JSON may cost: messages and API replies
//!   are counted before they are decoded; a large reply's list is cut while it is decoded).
//! - `protocol`: `Version` (every version-dependent decision), `LogLevel`, the `_meta` keys and error codes.
//! - `mcp`: `Method` (every method name, once), `ClientRequest` (typed params), `Era`, `stateless_era` (the
//!   2026-07-28 `_meta` and header checks), `ResultBody`, `envelope`, the typed results.
//! - `session`: `Server` (shared), `Session` (per stdio process or HTTP session), `Handled`, `CallCx`; `session::run`
//!   holds `Session::run` with the in-flight map, cancellation and the one place a panic becomes an error reply.
//! - `service`: `Service` (what a server offers), `Exchange` (one request's way back to the client: log,
//!   progress), `Authorization` (a caller's credential, opaque); `service::client` (feature `client-requests`):
//!   server-to-client requests and multi-round input, used only by the conformance fixtures.
//! - `transport`: `deliver` (the one way a session's answer leaves), `stdio::serve`, `http::serve` (split by
//!   concern: `conns`, `gate`, `sessions`, `sealed`, `streamable`, `stateless`, `legacy`, `reply`).
//! - `seal`: `Sealer`, `SessionKey`, `keygen` (sealed HTTP session ids that any replica can open).
//! - `limits`: `Limits` (requests in flight per session, batch entries and reply size, JSON values per message,
//!   messages queued for a slow reader) and the one error each limit answers with.
//! - `cancel` (crate-internal): `CancelFlag`, shared by a request's task and its blocking thread.
//!
//! The application:
//! - `app`: `Pingera` (the service), `server`, `http_options`, `stdio_options`, `credential_from_header`.
//! - `config`: `Config` (environment and flags, read once; re-exports `Credential`, `Secret` and `Mode`).
//! - `tools`: `ToolSpec`, `Param`, `Action`, `Mode`; `tools::table::TOOLS` is the only list of tools.
//! - `pingera`: `ApiClient`, `ClientOptions`, `Credential`, `Secret`, `ApiError`, `Observer` (retries, timeouts,
//!   error texts), `Permit` (the upstream gate).
//! - `logging`: `init`, the stderr logger whose floor keeps other crates' verbose output (and its secrets) out.
//! - `ids`: `check_segment`, the one rule for values that become an API path segment.
//! - `resources` (crate-internal): `RESOURCES`, the `pingera://` URIs and the API paths they read.
//! - `prompts`: `PROMPTS`, the workflow prompts and the tools each needs; `completion`: `Completer`, id completion.
//! - `mcpb`: `manifest`, the MCP bundle's `manifest.json` (`scripts/package`).
//!
//! # Architecture invariants
//! - The core imports nothing of the application; no module imports one that imports it back. In the
//!   application, `app` builds on `config`, which reads into the types of `tools` and `pingera`; `tools` calls
//!   `pingera`; neither imports `config`.
//! - `jsonrpc`, `codec`, `protocol`, `mcp`, `session` and `tools` do no I/O of their own.
//! - Only `transport` touches stdin, stdout or MCP sockets; only `pingera` makes outbound requests.
//! - stdout carries protocol frames only; logs go to stderr.
//! - No `unwrap()` on data from a peer; no credential or secret value in a log line or an error text.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub(crate) mod cancel;
pub mod check;
pub mod codec;
pub mod completion;
pub mod config;
pub mod ids;
pub mod json;
pub mod jsonrpc;
pub mod limits;
pub mod logging;
pub mod mcp;
pub mod mcpb;
pub mod pingera;
pub mod prompts;
pub mod protocol;
pub(crate) mod resources;
pub mod seal;
pub mod service;
pub mod session;
pub mod tools;
pub mod transcript;
pub mod transport;

/// Locks a mutex, recovering from poisoning: every critical section in this crate is a single insert, remove or
/// field write, so the guarded data stays consistent even if a holder panicked.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => log::info!("SIGTERM received"),
                    _ = int.recv() => log::info!("SIGINT received"),
                }
            }
            _ => {
                log::warn!("cannot install signal handlers; only end of input stops the server");
                std::future::pending::<()>().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
