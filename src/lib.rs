//! pingera-mcp: a Model Context Protocol server for the Pingera monitoring API, with the protocol written by hand.
//!
//! # Bird's-eye view
//! Bytes arrive on a transport (`transport::stdio`), are framed (`codec`), parsed in two stages (`jsonrpc`) and
//! handed to one `session::Session`, which negotiates the protocol version (`protocol`) and routes methods to a
//! `service::Service`: the Pingera service (`service::pingera`) runs tool calls from the declarative table
//! (`tools::table`) on tokio's blocking pool; the conformance fixtures (`examples/conformance_server.rs`) are a
//! second service on the same core. A tool call becomes a request of
//! the `pingera` client (one keep-alive `ureq` agent), whose reply becomes the tool result. `config` reads the
//! environment and flags once; `check` is the `pingera-mcp check` subcommand; `double` is the in-repo Pingera API
//! double used by the tests and by newcomers without an account.
//!
//! # Codemap
//! - `jsonrpc`: `RequestId`, `Incoming`, `Outgoing`, `RpcError`, `parse`, `encode`.
//! - `codec`: `LineCodec`, `Frame` (newline framing with a size limit).
//! - `protocol`: `Version` (every version-dependent decision), `LogLevel`.
//! - `session`: `Server` (shared), `Session` (per stdio process or HTTP session), `Handled`, `CallCx`.
//! - `service`: `Service` (what a server offers), `Exchange` (one request's way back to the client: log, progress,
//!   server-to-client requests), `Outbound` (pairs client responses with those requests).
//! - `tools`: `ToolSpec`, `Param`, `Action`; `tools::table::TOOLS` is the only list of tools.
//! - `pingera`: `ApiClient`, `ApiError`, `Observer` (retries, timeouts, error texts), `Permit` (the upstream gate).
//! - `logging`: `init`, the stderr logger whose floor keeps other crates' verbose output (and its secrets) out.
//! - `ids`: `check_segment`, the one rule for values that become an API path segment.
//! - `resources`: `RESOURCES`, the `pingera://` URIs and the API paths they read.
//! - `transport::stdio`: `serve`.
//!
//! # Architecture invariants
//! - `jsonrpc`, `codec`, `protocol`, `session` and `tools` do no I/O of their own.
//! - Only `transport` touches stdin, stdout or MCP sockets; only `pingera` makes outbound requests.
//! - stdout carries protocol frames only; logs go to stderr.
//! - No `unwrap()` on data from a peer; no credential or secret value in a log line or an error text.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cancel;
pub mod check;
pub mod codec;
pub mod config;
pub mod double;
pub mod ids;
pub mod jsonrpc;
pub mod logging;
pub mod pingera;
pub mod protocol;
pub mod resources;
pub mod service;
pub mod session;
pub mod tools;
pub mod transport;

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
