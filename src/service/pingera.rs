//! The Pingera service: the 71 tools of [`crate::tools::TOOLS`] and the `pingera://` resources, served through the
//! blocking API client.
//!
//! Invariant: every API call runs on tokio's blocking pool, never on a runtime thread; its events become the
//! request's log and progress notifications; and a `tools/list` page, which cannot change while the process runs,
//! is encoded once per version and offset and then served from the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{not_found, Exchange, Identity, ResultBody, Service, Work};
use crate::config::Config;
use crate::jsonrpc::RpcError;
use crate::pingera::{ApiClient, ApiError, ApiEvent, Method, Observer};
use crate::protocol::{LogLevel, Version};
use crate::resources;
use crate::tools::{self, ToolCtx, ToolError, ToolSpec};

/// The text a model reads once, at initialize, on how to use this server.
pub const INSTRUCTIONS: &str = "Tools for the Pingera monitoring service (status pages, components, checks, \
alerts, heartbeats, incidents). Ids are opaque strings: get them from the list_* tools (list_pages for page_id, \
list_checks for check_id, and so on) before calling get_* or write tools. List tools are paged with page (from 1) \
and page_size/per_page (1-100). Every result is the Pingera API's JSON. When a call fails, the result is marked as \
an error and says why (HTTP status, the API's message, field errors); run test_pingera_connection if calls fail \
with connection or credential errors. Write tools exist only when the server runs with PINGERA_MODE=read_write.";

/// The logger name of this service's log notifications.
const LOGGER: &str = "pingera-mcp";

/// The Pingera tools and resources of one configuration.
pub struct Pingera {
    config: Arc<Config>,
    identity: Identity,
    /// The API client (shared agent, no credential inside).
    api: ApiClient,
    /// The tools offered in the configured mode, in table order.
    tools: Vec<&'static ToolSpec>,
    /// Encoded `tools/list` pages by (version, offset), built on first use.
    pages: Mutex<HashMap<(Version, usize), Arc<str>>>,
}

impl Pingera {
    /// The service for the configuration.
    pub fn new(config: Arc<Config>) -> Pingera {
        let tools = tools::TOOLS.iter().filter(|t| t.offered_in(config.mode)).collect();
        Pingera {
            identity: Identity {
                name: config.server_name.clone(),
                version: env!("CARGO_PKG_VERSION"),
                title: "Pingera MCP Server",
                description: "Status pages, checks, alerts, heartbeats and incidents of the Pingera monitoring service",
                website_url: Some("https://pingera.ru"),
                instructions: INSTRUCTIONS,
            },
            api: ApiClient::new(&config),
            config,
            tools,
            pages: Mutex::new(HashMap::new()),
        }
    }

    /// The tools offered.
    pub fn tools(&self) -> &[&'static ToolSpec] {
        &self.tools
    }

    /// The API client.
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// Runs `work` on the blocking pool with a context for the API, progress before and after, and API events
    /// turned into notifications of the exchange. Work that `calls_api` first waits for an upstream permit, on the
    /// runtime and not on a thread, so that calls queued behind the API hold no thread and a cancelled call leaves
    /// the queue without a trace (the session drops this future); local work starts at once.
    fn blocking<F>(&self, ex: Exchange, label: String, calls_api: bool, work: F) -> Work
    where
        F: FnOnce(&ToolCtx<'_>, &Exchange) -> Result<ResultBody, RpcError> + Send + 'static,
    {
        let api = self.api.clone();
        let show_secret_values = self.config.show_secret_values;
        Box::pin(async move {
            let permit = if calls_api { Some(api.permit().await) } else { None };
            let job = tokio::task::spawn_blocking(move || {
                ex.step(&label);
                let observer = Events(&ex);
                let ctx = ToolCtx {
                    api: &api,
                    credential: ex.credential.as_ref(),
                    observer: &observer,
                    show_secret_values,
                    permit: permit.as_ref(),
                };
                let outcome = work(&ctx, &ex);
                ex.step("done");
                outcome
            });
            match job.await {
                Ok(outcome) => outcome,
                Err(join) => std::panic::resume_unwind(join.into_panic()),
            }
        })
    }
}

impl Service for Pingera {
    fn identity(&self) -> &Identity {
        &self.identity
    }

    /// A fixed tool list and fixed resources without subscriptions, the same in both eras.
    fn capabilities(&self, _version: Version) -> Value {
        json!({
            "tools": { "listChanged": false },
            "resources": { "subscribe": false, "listChanged": false },
        })
    }

    /// One page, encoded once per version and page and then served from the cache.
    fn list_tools(&self, cursor: Option<&Value>, version: Version) -> Result<ResultBody, RpcError> {
        let start = match cursor {
            None | Some(Value::Null) => 0,
            Some(c) => c.as_str().and_then(decode_cursor).filter(|s| *s < self.tools.len()).ok_or_else(|| {
                RpcError::invalid_params("invalid params: unknown cursor").with_data(json!({ "cursor": c }))
            })?,
        };
        if let Some(page) = lock(&self.pages).get(&(version, start)) {
            return Ok(ResultBody::Raw(Arc::clone(page)));
        }
        let end = (start + self.config.tools_page_size).min(self.tools.len());
        let listed: Vec<Value> = self.tools[start..end].iter().map(|t| tool_json(t, version)).collect();
        let mut result = json!({ "tools": listed });
        if end < self.tools.len() {
            result["nextCursor"] = json!(encode_cursor(end));
        }
        if version.is_modern() {
            result = crate::session::cacheable(result, crate::session::STATIC_TTL_MS, "public");
        }
        let page: Arc<str> = Arc::from(serde_json::to_string(&result).expect("a JSON value always serialises"));
        lock(&self.pages).insert((version, start), Arc::clone(&page));
        Ok(ResultBody::Raw(page))
    }

    fn call_tool(&self, name: &str, args: Map<String, Value>, ex: Exchange) -> Result<Work, RpcError> {
        let spec = match tools::find(name) {
            Some(spec) if self.tools.iter().any(|t| t.name == spec.name) => spec,
            Some(spec) => {
                return Err(RpcError::invalid_params(format!(
                    "tool {} changes data and is only available when the server runs with PINGERA_MODE=read_write (now: {})",
                    spec.name,
                    self.config.mode.as_str()
                ))
                .with_data(json!({ "tool": spec.name, "requiredMode": "read_write" })))
            }
            None => {
                return Err(
                    RpcError::invalid_params(format!("unknown tool: {name}")).with_data(json!({ "tool": name }))
                )
            }
        };
        let version = ex.version;
        Ok(self.blocking(ex, format!("calling {}", spec.name), spec.calls_api(), move |ctx, ex| {
            let outcome = spec.call(ctx, &args);
            if let Err(e) = &outcome {
                ex.log(LogLevel::Error, LOGGER, json!(format!("{}: {e}", spec.name)));
            }
            Ok(call_result(outcome, version))
        }))
    }

    fn list_resources(&self, cursor: Option<&Value>, version: Version, templates: bool) -> Result<Value, RpcError> {
        if let Some(c) = cursor.filter(|c| !c.is_null()) {
            return Err(RpcError::invalid_params("invalid params: unknown cursor").with_data(json!({ "cursor": c })));
        }
        let items: Vec<Value> = resources::RESOURCES
            .iter()
            .filter(|r| r.is_template() == templates)
            .map(|r| r.to_json(version.has_structured_content()))
            .collect();
        Ok(if templates { json!({ "resourceTemplates": items }) } else { json!({ "resources": items }) })
    }

    fn read_resource(&self, uri: String, ex: Exchange) -> Result<Work, RpcError> {
        let version = ex.version;
        let path = match resources::resolve(&uri) {
            Ok(path) => path,
            Err(resources::Resolve::NotFound) => return Err(not_found(&uri, version)),
            Err(resources::Resolve::Invalid { var, why }) => {
                return Err(RpcError::invalid_params(format!("invalid params: {var} in {uri} {why}"))
                    .with_data(json!({ "uri": uri, "variable": var })))
            }
        };
        Ok(self.blocking(ex, format!("reading {uri}"), true, move |ctx, ex| match ctx.send(Method::Get, path, None) {
            Ok(mut body) => {
                // Resources follow the tools' rule: secret values are shown only when PINGERA_SHOW_SECRET_VALUES is on.
                if !ctx.show_secret_values {
                    tools::redact_secrets(&mut body);
                }
                let text = serde_json::to_string(&body).expect("a JSON value always serialises");
                let mut result = json!({ "contents": [{ "uri": uri, "mimeType": "application/json", "text": text }] });
                if version.is_modern() {
                    // Live monitoring data of one account: private, and stale at once.
                    result = crate::session::cacheable(result, 0, "private");
                }
                Ok(ResultBody::Json(result))
            }
            Err(ApiError::Status { status: 404, .. }) => Err(not_found(&uri, version)),
            Err(e) => {
                ex.log(LogLevel::Error, LOGGER, json!(format!("{uri}: {e}")));
                Err(RpcError::internal(e.to_string()).with_data(json!({ "uri": uri })))
            }
        }))
    }
}

/// Turns API events of one call into progress and log notifications, and lets cancellation cut retries short.
struct Events<'a>(&'a Exchange);

impl Observer for Events<'_> {
    fn event(&self, event: ApiEvent<'_>) {
        let ex = self.0;
        match event {
            ApiEvent::Sending { method, path, attempt } => {
                let what = format!("{} {path} (attempt {attempt})", method.as_str());
                ex.log(LogLevel::Debug, LOGGER, json!(what));
                if attempt > 1 {
                    ex.step(&what);
                }
            }
            ApiEvent::Retrying { reason, delay } => {
                let what = format!("{reason}; retrying in {} ms", delay.as_millis());
                ex.log(LogLevel::Warning, LOGGER, json!(what));
            }
            ApiEvent::Answered { status, elapsed } => {
                let what = format!("API answered {status} in {} ms", elapsed.as_millis());
                ex.log(LogLevel::Info, LOGGER, json!(what));
            }
        }
    }

    fn wait(&self, d: Duration) -> bool {
        self.0.flag().wait(d)
    }
}

/// A tool's outcome as a `CallToolResult` of the negotiated version. A success is encoded once: the API's JSON is
/// both the text block (as an escaped string) and, from 2025-06-18, `structuredContent` (the same bytes), instead
/// of serialising the value a second time.
fn call_result(outcome: Result<Value, ToolError>, version: Version) -> ResultBody {
    let (text, is_object) = match outcome {
        Ok(value) => (serde_json::to_string(&value).expect("a JSON value always serialises"), value.is_object()),
        Err(e) => {
            return ResultBody::Json(json!({ "content": [{ "type": "text", "text": e.to_string() }], "isError": true }))
        }
    };
    // The escaped text is written straight into the result, not built as a string of its own first, so a large
    // reply is held as its text and one result, not three copies.
    let mut out: Vec<u8> = Vec::with_capacity(2 * text.len() + text.len() / 8 + 128);
    out.extend_from_slice(br#"{"content":[{"type":"text","text":"#);
    serde_json::to_writer(&mut out, &text).expect("a string always serialises");
    out.extend_from_slice(br#"}],"isError":false"#);
    if version.is_modern() {
        out.extend_from_slice(br#","resultType":"complete""#);
    }
    if version.has_structured_content() {
        // structuredContent must be an object before 2026-07-28; other values are wrapped, in both eras alike.
        out.extend_from_slice(br#","structuredContent":"#);
        if is_object {
            out.extend_from_slice(text.as_bytes());
        } else {
            out.extend_from_slice(br#"{"result":"#);
            out.extend_from_slice(text.as_bytes());
            out.push(b'}');
        }
    }
    out.push(b'}');
    drop(text);
    let out = String::from_utf8(out).expect("JSON text and escaped strings are UTF-8");
    ResultBody::Raw(Arc::from(out))
}

/// A tool as `tools/list` shows it to the negotiated version.
fn tool_json(t: &ToolSpec, version: Version) -> Value {
    let mut v = json!({
        "name": t.name,
        "description": t.description,
        "inputSchema": t.input_schema(),
    });
    if version.has_structured_content() {
        v["title"] = json!(t.title);
        if let Some(schema) = t.output_schema {
            v["outputSchema"] = schema();
        }
    }
    if version.has_annotations() {
        v["annotations"] = t.annotations();
    }
    v
}

/// Cursors are opaque to clients; inside they are an offset into the tool list.
fn encode_cursor(offset: usize) -> String {
    format!("tools-{offset}")
}

fn decode_cursor(c: &str) -> Option<usize> {
    c.strip_prefix("tools-")?.parse().ok()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
