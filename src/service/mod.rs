//! The service layer: what a server offers (tools, resources, prompts, completions) behind one trait, so that one
//! protocol core serves the Pingera tool set and the conformance fixtures alike.
//!
//! Invariant: a service never sees framing, transports or session state. It gets a request's parsed params and an
//! [`Exchange`] (the request's id, version, opaque credential, and its ways back to the client: log and progress
//! notifications; with the `client-requests` feature also server-to-client requests), and answers with a result or
//! an [`RpcError`]. The envelope rules that depend on the protocol version and are the same for every service
//! (`resultType`, default caching hints) are added by [`crate::mcp::envelope`], never by a service, also to a
//! [`ResultBody::Raw`] a service encoded itself for speed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::cancel::CancelFlag;
use crate::jsonrpc::{ErrorCode, Outgoing, RequestId, RpcError};
use crate::protocol::{LogLevel, Version};

/// Where a request's notifications and server-to-client requests go (stdout on stdio; the request's stream, or
/// the session's stream, on HTTP).
pub type Sink = Arc<dyn Fn(Outgoing) + Send + Sync>;

/// The caller's credential as the transport received it (an HTTP `Authorization` value): opaque to the core,
/// whose only duty is to carry it with its request; what it means is the service's business. It never prints.
#[derive(Clone)]
pub struct Authorization(Arc<str>);

impl Authorization {
    /// Wraps a received value.
    pub fn new(value: &str) -> Authorization {
        Authorization(Arc::from(value))
    }

    /// The value as received, for the service to interpret.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authorization(***)")
    }
}

pub use crate::mcp::ResultBody;
#[cfg(feature = "client-requests")]
mod client;
use crate::mcp::{self, Method};
#[cfg(feature = "client-requests")]
pub use client::{missing_capability, open_state, seal_state, Ask, Gathered, Outbound};

/// The work behind a request that takes time: run by the session, which races it with cancellation.
pub type Work = Pin<Box<dyn Future<Output = Result<ResultBody, RpcError>> + Send + 'static>>;

/// Who the server says it is.
pub struct Identity {
    /// `serverInfo.name`.
    pub name: String,
    /// `serverInfo.version`.
    pub version: &'static str,
    /// `serverInfo.title` (2025-06-18 and later).
    pub title: &'static str,
    /// `serverInfo.description` (2025-11-25 and later).
    pub description: &'static str,
    /// `serverInfo.websiteUrl` (2025-11-25 and later), when there is one.
    pub website_url: Option<&'static str>,
    /// The instructions for the model (2025-03-26 and later).
    pub instructions: &'static str,
}

/// What a server offers. Every method but the identity, the capabilities and the tools has a default that says the
/// server lacks the feature (-32601), so a tools-only service implements four methods.
pub trait Service: Send + Sync + 'static {
    /// Who the server is.
    fn identity(&self) -> &Identity;

    /// The capabilities object for the version, without `logging` (the session serves logging for every service
    /// and adds it).
    fn capabilities(&self, version: Version) -> Value;

    /// One page of `tools/list` for the version.
    fn list_tools(&self, cursor: Option<&Value>, version: Version) -> Result<ResultBody, RpcError>;

    /// Starts `tools/call` for the tool `name`. An unknown tool is an error here; a failing tool is an `isError`
    /// result from the work.
    fn call_tool(&self, name: &str, args: Map<String, Value>, ex: Exchange) -> Result<Work, RpcError>;

    /// Whether a call of the tool may send notifications or requests to the client even without a progress token
    /// or a log level, so that an HTTP transport must answer it with an SSE stream.
    fn tool_streams(&self, _name: &str) -> bool {
        false
    }

    /// `resources/list` (or `resources/templates/list` when `templates`).
    fn list_resources(&self, _cursor: Option<&Value>, _version: Version, templates: bool) -> Result<Value, RpcError> {
        let method = if templates { Method::ListResourceTemplates } else { Method::ListResources };
        Err(RpcError::method_not_found(method.as_str()))
    }

    /// Starts `resources/read`. An unknown uri is [`not_found`].
    fn read_resource(&self, uri: String, ex: Exchange) -> Result<Work, RpcError> {
        Err(not_found(&uri, ex.version))
    }

    /// `resources/subscribe` (or `resources/unsubscribe` when `!subscribe`).
    fn subscribe(&self, _uri: &str, subscribe: bool) -> Result<Value, RpcError> {
        let method = if subscribe { Method::Subscribe } else { Method::Unsubscribe };
        Err(RpcError::method_not_found(method.as_str()))
    }

    /// `prompts/list`.
    fn list_prompts(&self, _cursor: Option<&Value>, _version: Version) -> Result<Value, RpcError> {
        Err(RpcError::method_not_found(Method::ListPrompts.as_str()))
    }

    /// `prompts/get`.
    fn get_prompt(&self, _name: &str, _args: Map<String, Value>, _ex: Exchange) -> Result<Work, RpcError> {
        Err(RpcError::method_not_found(Method::GetPrompt.as_str()))
    }

    /// `completion/complete`.
    fn complete(&self, _params: &Map<String, Value>) -> Result<Value, RpcError> {
        Err(RpcError::method_not_found(Method::Complete.as_str()))
    }
}

/// The error for a resource that does not exist: -32002 in the handshake era, -32602 from 2026-07-28 (which moved
/// it), with the uri in `data` either way.
pub fn not_found(uri: &str, version: Version) -> RpcError {
    let code = if version.is_modern() { ErrorCode::INVALID_PARAMS } else { ErrorCode::RESOURCE_NOT_FOUND };
    RpcError::new(code, format!("resource not found: {uri}")).with_data(json!({ "uri": uri }))
}

/// One request as a service sees it, with its ways back to the client.
pub struct Exchange {
    /// The request's id.
    pub id: RequestId,
    /// The version that shapes the reply.
    pub version: Version,
    /// The caller's credential, as the transport received it (`None`: the service's own).
    pub authorization: Option<Authorization>,
    /// The client's capabilities (from `initialize`, or from the request's `_meta` under 2026-07-28).
    pub client_capabilities: Value,
    /// The request's whole params object (for fields beside the name and arguments).
    pub params: Map<String, Value>,
    pub(crate) sink: Sink,
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) progress_token: Option<Value>,
    pub(crate) step: AtomicU64,
    pub(crate) flag: CancelFlag,
    /// Present in the handshake era, where responses can be paired with their session; absent in the stateless
    /// era, which has no server-to-client requests.
    #[cfg(feature = "client-requests")]
    pub(crate) outbound: Option<Arc<Outbound>>,
}

impl Exchange {
    /// The request's cancellation flag (set when the client cancels or goes away).
    pub(crate) fn flag(&self) -> &CancelFlag {
        &self.flag
    }

    /// Sends `notifications/message` when the level passes the client's threshold (`logging/setLevel`, or the
    /// request's `_meta` log level under 2026-07-28); without a threshold nothing is sent.
    pub fn log(&self, level: LogLevel, logger: &str, data: Value) {
        match self.log_level {
            Some(min) if level >= min && !self.flag.is_cancelled() => (self.sink)(Outgoing::notification(
                mcp::LOG_MESSAGE,
                json!({ "level": level.as_str(), "logger": logger, "data": data }),
            )),
            _ => {}
        }
    }

    /// Sends `notifications/progress` when the client asked for progress; `message` only where the version has it.
    pub fn progress(&self, progress: u64, total: Option<u64>, message: Option<&str>) {
        let Some(token) = &self.progress_token else { return };
        if self.flag.is_cancelled() {
            return;
        }
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(total) = total {
            params["total"] = json!(total);
        }
        if let (Some(m), true) = (message, self.version.has_annotations()) {
            params["message"] = json!(m);
        }
        (self.sink)(Outgoing::notification(mcp::PROGRESS, params));
    }

    /// Progress without a known total: 0, 1, 2, ... on each call.
    pub fn step(&self, message: &str) {
        if self.progress_token.is_some() {
            let n = self.step.fetch_add(1, Ordering::Relaxed);
            self.progress(n, None, Some(message));
        }
    }
}
