//! The application on the generic core: the Pingera service (the 71 tools of [`crate::tools::TOOLS`] and the
//! `pingera://` resources, served through the blocking API client), and the server and HTTP settings `main` builds
//! from the configuration. The core (`jsonrpc`, `codec`, `protocol`, `mcp`, `session`, `service`, `transport`)
//! never names anything in here.
//!
//! Invariant: every API call runs on tokio's blocking pool, never on a runtime thread; its events become the
//! request's log and progress notifications; and a `tools/list` page, which cannot change while the process runs,
//! is encoded once per version and offset and then served from the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::completion::Completer;
use crate::config::{Config, Credential, Secret};
use crate::jsonrpc::RpcError;
use crate::lock;
use crate::pingera::{ApiClient, ApiError, ApiEvent, ClientOptions, Method, Observer};
use crate::prompts::{self, ArgType, IdKind, PromptSpec};
use crate::protocol::{LogLevel, Version};
use crate::resources;
use crate::service::{not_found, Authorization, Exchange, Identity, ResultBody, Service, Work};
use crate::session::Server;
use crate::tools::toolsets::{self, Selection};
use crate::tools::{self, bound, Outcome, ToolCtx, ToolError, ToolSpec};
use crate::transport::http::HttpOptions;
use crate::transport::stdio::StdioOptions;

/// The protocol core serving the Pingera service of the configuration.
pub fn server(config: Config) -> Arc<Server> {
    let limits = config.limits;
    Server::with_limits(Arc::new(Pingera::new(Arc::new(config))), limits)
}

/// The API client's settings from the configuration.
pub fn client_options(config: &Config) -> ClientOptions {
    ClientOptions {
        base_url: config.base_url.clone(),
        timeout: config.timeout,
        max_retries: config.max_retries,
        max_upstream: config.max_upstream,
        max_reply_bytes: config.max_reply_bytes,
        max_json_values: config.limits.max_json_values,
    }
}

/// The HTTP transport's settings from the configuration.
pub fn http_options(config: &Config) -> HttpOptions {
    HttpOptions {
        max_message_bytes: config.max_message_bytes,
        header_timeout: config.http_header_timeout,
        body_timeout: config.http_body_timeout,
        max_connections: config.http_max_connections,
        allowed_origins: config.http_allowed_origins.clone(),
        require_auth_header: config.require_auth_header,
        max_sessions: config.http_max_sessions,
        session_idle: config.http_session_idle,
        shutdown_timeout: config.shutdown_timeout,
        name: config.server_name.clone(),
        mode: config.mode.as_str(),
        session_keys: config.http_session_key.clone().map(|k| (k, config.http_session_key_previous.clone())),
        session_max_age: config.http_session_max_age,
        drain_delay: config.http_drain_delay,
    }
}

/// The stdio transport's settings from the configuration.
pub fn stdio_options(config: &Config) -> StdioOptions {
    StdioOptions {
        max_message_bytes: config.max_message_bytes,
        shutdown_timeout: config.shutdown_timeout,
        max_queued: config.limits.max_queued_messages,
    }
}

/// The text a model reads once, at initialize, on how to use this server.
pub const INSTRUCTIONS: &str = "Tools for the Pingera monitoring service (status pages, components, checks, \
alerts, heartbeats, incidents). Ids are opaque strings from the list tools: page_id from list_pages, component_id \
from list_components, check_id from list_checks, group_id from list_check_groups (a component's group_id from \
list_component_groups), secret_id from list_secrets, heartbeat_id from list_heartbeats, incident_id from \
list_incidents. List tools page with page (from 1) and page_size or per_page (1-100); a result that holds only \
part of the list says how to get the next page. Results are the Pingera API's JSON without null fields. A failed \
call is marked as an error and says why (HTTP status, the API's message, field errors); run \
test_pingera_connection when calls fail with connection or credential errors. Write tools exist only with \
PINGERA_MODE=read_write.";

/// The logger name of this service's log notifications.
const LOGGER: &str = "pingera-mcp";

/// The Pingera tools and resources of one configuration.
pub struct Pingera {
    config: Arc<Config>,
    identity: Identity,
    /// The API client (shared agent, no credential inside).
    api: ApiClient,
    /// The tools offered (configured toolsets and mode, perhaps narrowed for a session), in table order.
    selection: Selection,
    /// Encoded `tools/list` pages by (version, offset), built on first use.
    pages: Mutex<HashMap<(Version, usize), Arc<str>>>,
    /// The prompts whose tools are all offered, in list order.
    prompts: Vec<&'static PromptSpec>,
    /// Id completion, shared by every session's narrowing of this service.
    completer: Arc<Completer>,
}

impl Pingera {
    /// The service for the configuration.
    pub fn new(config: Arc<Config>) -> Pingera {
        let selection = config.tool_filter.select(config.mode);
        let api = ApiClient::new(&client_options(&config));
        let completer = Arc::new(Completer::new(config.completion_cache_ttl, config.completion_cache_entries));
        Pingera::with_selection(config, api, completer, selection)
    }

    /// The service for the configuration with the given tools, sharing `api` and `completer`.
    fn with_selection(config: Arc<Config>, api: ApiClient, completer: Arc<Completer>, selection: Selection) -> Pingera {
        let prompts = prompts::PROMPTS.iter().filter(|p| p.offered_with(&|t| selection.has(t))).collect();
        Pingera {
            prompts,
            completer,
            identity: Identity {
                name: config.server_name.clone(),
                version: env!("CARGO_PKG_VERSION"),
                title: "Pingera MCP Server",
                description: "Status pages, checks, alerts, heartbeats and incidents of the Pingera monitoring service",
                website_url: Some("https://pingera.ru"),
                instructions: INSTRUCTIONS,
            },
            api,
            config,
            selection,
            pages: Mutex::new(HashMap::new()),
        }
    }

    /// The tools offered.
    pub fn tools(&self) -> &[&'static ToolSpec] {
        self.selection.tools()
    }

    /// The tools offered, by toolset.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// The API client.
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// The credential of a request: what its `Authorization` header says, or the configured one without it.
    fn credential(&self, authorization: Option<&Authorization>) -> Option<Credential> {
        match authorization {
            Some(a) => credential_from_header(a.expose()),
            None => self.config.credential.clone(),
        }
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
        let max_result_bytes = self.config.max_result_bytes;
        let credential = self.credential(ex.authorization.as_ref());
        Box::pin(async move {
            let permit = if calls_api { Some(api.permit().await) } else { None };
            let job = tokio::task::spawn_blocking(move || {
                ex.step(&label);
                let observer = Events(&ex);
                let ctx = ToolCtx {
                    api: &api,
                    credential: credential.as_ref(),
                    observer: &observer,
                    show_secret_values,
                    permit: permit.as_ref(),
                    max_result_bytes,
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

    /// The same service offering only the tools of the given toolsets that it offers already.
    fn narrowed(&self, toolsets: &str) -> Result<Arc<dyn Service>, RpcError> {
        let sets = toolsets::parse_toolsets(toolsets).map_err(|e| {
            RpcError::invalid_params(format!("invalid X-MCP-Toolsets header: {e}"))
                .with_data(json!({ "header": "X-MCP-Toolsets" }))
        })?;
        let selection = self.selection.narrowed(&sets);
        Ok(Arc::new(Pingera::with_selection(
            Arc::clone(&self.config),
            self.api.clone(),
            Arc::clone(&self.completer),
            selection,
        )))
    }

    /// A fixed tool list and fixed resources without subscriptions, the same in both eras; prompts when a prompt's
    /// tools are all offered, and completions when a prompt argument or a resource template variable is an id.
    fn capabilities(&self, _version: Version) -> Value {
        let mut caps = json!({
            "tools": { "listChanged": false },
            "resources": { "subscribe": false, "listChanged": false },
        });
        if !self.prompts.is_empty() {
            caps["prompts"] = json!({ "listChanged": false });
        }
        let prompt_ids = self.prompts.iter().flat_map(|p| p.args).any(|a| matches!(a.ty, ArgType::Id(_)));
        let template_ids = resources::RESOURCES.iter().flat_map(|r| r.variables()).any(|v| IdKind::of(v).is_some());
        if prompt_ids || template_ids {
            caps["completions"] = json!({});
        }
        caps
    }

    /// One page, encoded once per version and page and then served from the cache.
    fn list_tools(&self, cursor: Option<&Value>, version: Version) -> Result<ResultBody, RpcError> {
        let start = match cursor {
            None | Some(Value::Null) => 0,
            Some(c) => c.as_str().and_then(decode_cursor).filter(|s| *s < self.tools().len()).ok_or_else(|| {
                RpcError::invalid_params("invalid params: unknown cursor").with_data(json!({ "cursor": c }))
            })?,
        };
        if let Some(page) = lock(&self.pages).get(&(version, start)) {
            return Ok(ResultBody::Raw(Arc::clone(page)));
        }
        let tools = self.tools();
        let end = (start + self.config.tools_page_size).min(tools.len());
        let listed: Vec<Value> = tools[start..end].iter().map(|t| tool_json(t, version)).collect();
        let mut result = json!({ "tools": listed });
        if end < tools.len() {
            result["nextCursor"] = json!(encode_cursor(end));
        }
        let page: Arc<str> = Arc::from(serde_json::to_string(&result).expect("a JSON value always serialises"));
        lock(&self.pages).insert((version, start), Arc::clone(&page));
        Ok(ResultBody::Raw(page))
    }

    fn call_tool(&self, name: &str, args: Map<String, Value>, ex: Exchange) -> Result<Work, RpcError> {
        let spec = match tools::find(name) {
            Some(spec) if self.selection.has(spec.name) => spec,
            Some(spec) if spec.offered_in(self.config.mode) => {
                return Err(RpcError::invalid_params(format!(
                    "tool {} is not enabled here: it is in the toolset {}, which this server or session does not \
                     offer (PINGERA_TOOLSETS, PINGERA_TOOLS, PINGERA_EXCLUDE_TOOLS, X-MCP-Toolsets)",
                    spec.name, spec.toolset
                ))
                .with_data(json!({ "tool": spec.name, "toolset": spec.toolset.as_str() })))
            }
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
        let max_result_bytes = self.config.max_result_bytes;
        Ok(self.blocking(ex, format!("calling {}", spec.name), spec.calls_api(), move |ctx, ex| {
            let outcome = spec.call(ctx, &args);
            if let Err(e) = &outcome {
                ex.log(LogLevel::Error, LOGGER, json!(format!("{}: {e}", spec.name)));
            }
            Ok(call_result(spec, &args, outcome, version, max_result_bytes))
        }))
    }

    fn list_prompts(&self, cursor: Option<&Value>, version: Version) -> Result<Value, RpcError> {
        if let Some(c) = cursor.filter(|c| !c.is_null()) {
            return Err(RpcError::invalid_params("invalid params: unknown cursor").with_data(json!({ "cursor": c })));
        }
        let prompts: Vec<Value> = self.prompts.iter().map(|p| p.to_json(version.has_structured_content())).collect();
        Ok(json!({ "prompts": prompts }))
    }

    fn get_prompt(&self, name: &str, args: Map<String, Value>, _ex: Exchange) -> Result<Work, RpcError> {
        let prompt = self.prompts.iter().find(|p| p.name == name).ok_or_else(|| {
            let why = match prompts::find(name) {
                Some(p) => {
                    format!("prompt {name} needs tools this server or session does not offer: {}", p.tools.join(", "))
                }
                None => format!("unknown prompt: {name}"),
            };
            RpcError::invalid_params(format!("invalid params: {why}")).with_data(json!({ "prompt": name }))
        })?;
        let result = prompt.get(&args, &|t| self.selection.has(t))?;
        Ok(Box::pin(async move { Ok(ResultBody::Json(result)) }))
    }

    fn complete(&self, ex: Exchange) -> Result<Work, RpcError> {
        let (kind, prefix, page_id) = self.completion_target(&ex.params)?;
        let Some(kind) = kind else {
            let empty = json!({ "completion": { "values": [], "total": 0, "hasMore": false } });
            return Ok(Box::pin(async move { Ok(ResultBody::Json(empty)) }));
        };
        let completer = Arc::clone(&self.completer);
        Ok(self.blocking(ex, "completing".to_owned(), true, move |ctx, _| {
            completer
                .complete(ctx, kind, &prefix, page_id.as_deref())
                .map(ResultBody::Json)
                .map_err(|e| RpcError::internal(format!("completion failed: {e}")))
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
                    result["ttlMs"] = json!(0);
                    result["cacheScope"] = json!("private");
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

impl Pingera {
    /// What a `completion/complete` asks for: the id kind of the argument (`None`: not an id, nothing to offer),
    /// the typed prefix, and the page id from the context (for incident ids). An unknown prompt or template, or an
    /// argument it does not have, is -32602.
    fn completion_target(
        &self,
        params: &Map<String, Value>,
    ) -> Result<(Option<IdKind>, String, Option<String>), RpcError> {
        let bad = |why: &str| RpcError::invalid_params(format!("invalid params: completion/complete {why}"));
        let argument = params.get("argument").ok_or_else(|| bad("needs an argument object"))?;
        let arg_name = argument.get("name").and_then(Value::as_str).ok_or_else(|| bad("needs argument.name"))?;
        let prefix = argument.get("value").and_then(Value::as_str).ok_or_else(|| bad("needs argument.value"))?;
        let reference = params.get("ref").ok_or_else(|| bad("needs a ref object"))?;
        let kind = match reference.get("type").and_then(Value::as_str) {
            Some("ref/prompt") => {
                let name = reference.get("name").and_then(Value::as_str).unwrap_or_default();
                let prompt = self.prompts.iter().find(|p| p.name == name).ok_or_else(|| {
                    bad(&format!("refers to an unknown prompt {name:?}")).with_data(json!({ "prompt": name }))
                })?;
                let arg = prompt.args.iter().find(|a| a.name == arg_name).ok_or_else(|| {
                    bad(&format!("names an argument {arg_name:?} that prompt {name} does not have"))
                        .with_data(json!({ "argument": arg_name }))
                })?;
                match arg.ty {
                    ArgType::Id(kind) => Some(kind),
                    _ => None,
                }
            }
            Some("ref/resource") => {
                let uri = reference.get("uri").and_then(Value::as_str).unwrap_or_default();
                let template =
                    resources::RESOURCES.iter().find(|r| r.is_template() && r.uri == uri).ok_or_else(|| {
                        bad(&format!("refers to an unknown resource template {uri:?}")).with_data(json!({ "uri": uri }))
                    })?;
                if !template.variables().any(|v| v == arg_name) {
                    return Err(bad(&format!("names a variable {arg_name:?} that {uri} does not have"))
                        .with_data(json!({ "argument": arg_name })));
                }
                IdKind::of(arg_name)
            }
            _ => return Err(bad("needs ref.type ref/prompt or ref/resource")),
        };
        let page_id = params
            .get("context")
            .and_then(|c| c.get("arguments"))
            .and_then(|a| a.get("page_id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok((kind, prefix.to_owned(), page_id))
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

/// A tool's outcome as a `CallToolResult` of the negotiated version. A success is bounded and compacted first
/// ([`bound::fit`]): the text block is the compact JSON the model reads (and, when a list was cut, a second text
/// block says how to get the rest); from 2025-06-18 `structuredContent` carries the API's records as the output
/// schema promises. A failure is an `isError` result that says why.
fn call_result(
    spec: &ToolSpec,
    args: &Map<String, Value>,
    outcome: Result<Outcome, ToolError>,
    version: Version,
    max_bytes: usize,
) -> ResultBody {
    match outcome.and_then(|outcome| bound::fit(spec, args, outcome, max_bytes)) {
        Ok(b) => crate::mcp::tool_success(&b.structured, &b.text, b.note.as_deref(), version),
        Err(e) => crate::mcp::tool_error(&e.to_string()),
    }
}

/// A tool as `tools/list` shows it to the negotiated version.
fn tool_json(t: &ToolSpec, version: Version) -> Value {
    let mut v = t.model_facing();
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

/// `Bearer X` (any case) is a JWT; any other non-empty value is an API key.
pub fn credential_from_header(value: &str) -> Option<Credential> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match v.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() => {
            Some(Credential::Jwt(Secret::new(rest.trim())))
        }
        _ => Some(Credential::ApiKey(Secret::new(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_headers() {
        assert_eq!(credential_from_header("Bearer abc").unwrap().header_value(), "Bearer abc");
        assert_eq!(credential_from_header("bearer  abc ").unwrap().header_value(), "Bearer abc");
        assert_eq!(credential_from_header("Token abc").unwrap().header_value(), "Token abc");
        assert_eq!(credential_from_header("raw-key").unwrap().header_value(), "raw-key");
        assert_eq!(credential_from_header("Bearer").unwrap().header_value(), "Bearer");
        assert!(credential_from_header("  ").is_none());
    }
}
