//! The MCP layer: the methods this server knows, each incoming request parsed once into a typed [`ClientRequest`],
//! the result types the core builds, and [`envelope`], the one function that gives a result what its protocol
//! version needs.
//!
//! Invariant: a method name is written as a string only in `METHODS` and the constants below it; everything
//! else matches on [`Method`]. Params are parsed once, here, after the session decided the era; results that are
//! already encoded ([`ResultBody::Raw`]: cached `tools/list` pages, tool results) are never parsed again, and the
//! envelope is spliced into their text.

use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::jsonrpc::{ErrorCode, RpcError};
use crate::protocol::{
    LogLevel, Version, HEADER_MISMATCH, META_CLIENT_CAPABILITIES, META_LOG_LEVEL, META_PROTOCOL_VERSION,
    UNSUPPORTED_PROTOCOL_VERSION,
};

/// A request method a client may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `initialize` (handshake era).
    Initialize,
    /// `ping` (handshake era).
    Ping,
    /// `server/discover` (2026-07-28).
    Discover,
    /// `tools/list`.
    ListTools,
    /// `tools/call`.
    CallTool,
    /// `logging/setLevel` (handshake era).
    SetLevel,
    /// `resources/list`.
    ListResources,
    /// `resources/templates/list`.
    ListResourceTemplates,
    /// `resources/read`.
    ReadResource,
    /// `resources/subscribe` (handshake era).
    Subscribe,
    /// `resources/unsubscribe` (handshake era).
    Unsubscribe,
    /// `prompts/list`.
    ListPrompts,
    /// `prompts/get`.
    GetPrompt,
    /// `completion/complete`.
    Complete,
}

/// Every client method by its name on the wire: the only place these names are written.
const METHODS: [(Method, &str); 14] = [
    (Method::Initialize, "initialize"),
    (Method::Ping, "ping"),
    (Method::Discover, "server/discover"),
    (Method::ListTools, "tools/list"),
    (Method::CallTool, "tools/call"),
    (Method::SetLevel, "logging/setLevel"),
    (Method::ListResources, "resources/list"),
    (Method::ListResourceTemplates, "resources/templates/list"),
    (Method::ReadResource, "resources/read"),
    (Method::Subscribe, "resources/subscribe"),
    (Method::Unsubscribe, "resources/unsubscribe"),
    (Method::ListPrompts, "prompts/list"),
    (Method::GetPrompt, "prompts/get"),
    (Method::Complete, "completion/complete"),
];

/// The client's notification that the handshake is complete.
pub const INITIALIZED: &str = "notifications/initialized";
/// The client's (or server's) notification that a request is cancelled.
pub const CANCELLED: &str = "notifications/cancelled";
/// The server's log notification.
pub const LOG_MESSAGE: &str = "notifications/message";
/// The server's progress notification.
pub const PROGRESS: &str = "notifications/progress";
/// Server-to-client request: ask the user for input.
pub const ELICIT: &str = "elicitation/create";
/// Server-to-client request: ask the client's model.
pub const SAMPLE: &str = "sampling/createMessage";
/// Server-to-client request: the client's roots.
pub const LIST_ROOTS: &str = "roots/list";

impl Method {
    /// The method of a name; `None` for a method this server does not know.
    pub fn parse(name: &str) -> Option<Method> {
        METHODS.iter().find(|(_, n)| *n == name).map(|(m, _)| *m)
    }

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        METHODS.iter().find(|(m, _)| *m == self).map(|(_, n)| *n).expect("every method is named")
    }

    /// Handshake era: whether the method needs an initialized session.
    pub fn needs_session(self) -> bool {
        !matches!(self, Method::Initialize | Method::Ping | Method::Discover)
    }

    /// Whether 2026-07-28 removed the method (a stateless request for it is -32601).
    pub fn removed_in_modern(self) -> bool {
        matches!(self, Method::Initialize | Method::Ping | Method::SetLevel | Method::Subscribe | Method::Unsubscribe)
    }

    /// Whether the result may carry the default caching hints (lists, reads, discovery).
    fn cacheable(self) -> bool {
        matches!(
            self,
            Method::Discover
                | Method::ListTools
                | Method::ListResources
                | Method::ListResourceTemplates
                | Method::ListPrompts
                | Method::ReadResource
        )
    }

    /// Whether answering may send notifications before the reply (so HTTP may need a stream).
    pub fn may_notify(self) -> bool {
        matches!(self, Method::CallTool | Method::ReadResource | Method::GetPrompt)
    }

    /// The param that names what the request acts on, which `Mcp-Name` repeats.
    fn named_by(self) -> Option<&'static str> {
        match self {
            Method::CallTool | Method::GetPrompt => Some("name"),
            Method::ReadResource => Some("uri"),
            _ => None,
        }
    }
}

/// A client request with its params parsed.
#[derive(Debug)]
pub enum ClientRequest {
    /// `initialize`: the version the client asks for, its capabilities, and who it is (for the log).
    Initialize {
        /// The requested version.
        requested: String,
        /// The client's capabilities (`{}` when absent).
        capabilities: Value,
        /// `name version` of the client, when it said.
        client: Option<String>,
    },
    /// `ping`.
    Ping,
    /// `server/discover`.
    Discover,
    /// `tools/list`.
    ListTools {
        /// The page cursor.
        cursor: Option<Value>,
    },
    /// `tools/call`.
    CallTool {
        /// The tool.
        name: String,
        /// Its arguments.
        arguments: Map<String, Value>,
    },
    /// `logging/setLevel`.
    SetLevel(LogLevel),
    /// `resources/list` or `resources/templates/list`.
    ListResources {
        /// The page cursor.
        cursor: Option<Value>,
        /// Whether templates are listed.
        templates: bool,
    },
    /// `resources/read`.
    ReadResource {
        /// The resource.
        uri: String,
    },
    /// `resources/subscribe` or `resources/unsubscribe`.
    Subscribe {
        /// The resource.
        uri: String,
        /// Subscribe, or unsubscribe.
        subscribe: bool,
    },
    /// `prompts/list`.
    ListPrompts {
        /// The page cursor.
        cursor: Option<Value>,
    },
    /// `prompts/get`.
    GetPrompt {
        /// The prompt.
        name: String,
        /// Its arguments.
        arguments: Map<String, Value>,
    },
    /// `completion/complete` (the service reads the params).
    Complete,
}

impl ClientRequest {
    /// Parses the params of `method`. The `arguments` of a call move out of `params`; the rest stays for the
    /// service (`_meta`, `inputResponses`, `requestState`).
    pub fn parse(method: Method, params: &mut Map<String, Value>) -> Result<ClientRequest, RpcError> {
        let cursor = |params: &Map<String, Value>| params.get("cursor").cloned();
        Ok(match method {
            Method::Initialize => {
                let requested = params.get("protocolVersion").and_then(Value::as_str).ok_or_else(|| {
                    RpcError::invalid_params("invalid params: initialize needs a string \"protocolVersion\"")
                })?;
                ClientRequest::Initialize {
                    requested: requested.to_owned(),
                    capabilities: params.get("capabilities").filter(|c| c.is_object()).cloned().unwrap_or(json!({})),
                    client: params.get("clientInfo").map(|c| {
                        let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("?").to_owned();
                        format!("{} {}", field("name"), field("version"))
                    }),
                }
            }
            Method::Ping => ClientRequest::Ping,
            Method::Discover => ClientRequest::Discover,
            Method::ListTools => ClientRequest::ListTools { cursor: cursor(params) },
            Method::CallTool => {
                let name = string_param(params, "name", method)?;
                ClientRequest::CallTool { name, arguments: arguments(params)? }
            }
            Method::SetLevel => ClientRequest::SetLevel(
                params.get("level").and_then(Value::as_str).and_then(LogLevel::parse).ok_or_else(|| {
                    RpcError::invalid_params(format!(
                        "invalid params: \"level\" must be one of {}",
                        LogLevel::names().join(", ")
                    ))
                })?,
            ),
            Method::ListResources => ClientRequest::ListResources { cursor: cursor(params), templates: false },
            Method::ListResourceTemplates => ClientRequest::ListResources { cursor: cursor(params), templates: true },
            Method::ReadResource => ClientRequest::ReadResource { uri: string_param(params, "uri", method)? },
            Method::Subscribe | Method::Unsubscribe => ClientRequest::Subscribe {
                uri: string_param(params, "uri", method)?,
                subscribe: method == Method::Subscribe,
            },
            Method::ListPrompts => ClientRequest::ListPrompts { cursor: cursor(params) },
            Method::GetPrompt => {
                let name = string_param(params, "name", method)?;
                ClientRequest::GetPrompt { name, arguments: arguments(params)? }
            }
            Method::Complete => ClientRequest::Complete,
        })
    }
}

/// A required string parameter.
fn string_param(params: &Map<String, Value>, name: &str, method: Method) -> Result<String, RpcError> {
    params.get(name).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
        RpcError::invalid_params(format!("invalid params: {} needs a string \"{name}\"", method.as_str()))
    })
}

/// The `arguments` object of a call (absent or null: none).
fn arguments(params: &mut Map<String, Value>) -> Result<Map<String, Value>, RpcError> {
    match params.remove("arguments") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(a)) => Ok(a),
        Some(_) => Err(RpcError::invalid_params("invalid params: \"arguments\" must be an object")),
    }
}

/// What a request of either era brings to its handler besides its params: from the session's state in the
/// handshake era, from the request's `_meta` in the stateless one.
pub struct Era {
    /// The negotiated or requested (and supported) version.
    pub version: Version,
    /// The log level the client chose, if any.
    pub log_level: Option<LogLevel>,
    /// The client's capabilities.
    pub client_capabilities: Value,
}

/// The HTTP headers of a stateless (2026-07-28) request that must repeat its body; a value is `None` when the
/// header is absent or malformed.
#[derive(Clone, Debug)]
pub struct StatelessHeaders {
    /// `MCP-Protocol-Version`.
    pub protocol_version: String,
    /// `Mcp-Method`.
    pub method: Option<String>,
    /// `Mcp-Name` (the tool or prompt name, or the resource uri).
    pub name: Option<String>,
}

/// The era of a stateless request, checked in the spec's order: `_meta` names a version and the client
/// capabilities (-32602); the HTTP headers, when the request came with them, repeat the body (-32020); the version
/// is supported (-32022, with the supported versions); the log level is valid (-32602).
pub fn stateless_era(
    method: &str,
    params: &Map<String, Value>,
    headers: Option<&StatelessHeaders>,
) -> Result<Era, RpcError> {
    let meta = params.get("_meta").and_then(Value::as_object).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "invalid params: a 2026-07-28 request needs _meta with {META_PROTOCOL_VERSION} and {META_CLIENT_CAPABILITIES}"
        ))
    })?;
    let requested = meta.get(META_PROTOCOL_VERSION).and_then(Value::as_str).ok_or_else(|| {
        RpcError::invalid_params(format!("invalid params: _meta needs a string {META_PROTOCOL_VERSION}"))
    })?;
    let client_capabilities = match meta.get(META_CLIENT_CAPABILITIES) {
        Some(c) if c.is_object() => c.clone(),
        _ => {
            return Err(RpcError::invalid_params(format!(
                "invalid params: _meta needs an object {META_CLIENT_CAPABILITIES} ({{}} when the client has none)"
            )))
        }
    };
    if let Some(headers) = headers {
        check_headers(headers, requested, method, params)?;
    }
    let version = Version::parse_modern(requested).ok_or_else(|| {
        RpcError::new(ErrorCode(UNSUPPORTED_PROTOCOL_VERSION), format!("unsupported protocol version: {requested}"))
            .with_data(json!({ "supported": Version::MODERN.map(|v| v.as_str()), "requested": requested }))
    })?;
    let log_level = match meta.get(META_LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(l) => Some(l.as_str().and_then(LogLevel::parse).ok_or_else(|| {
            RpcError::invalid_params(format!(
                "invalid params: {META_LOG_LEVEL} must be one of {}",
                LogLevel::names().join(", ")
            ))
        })?),
    };
    Ok(Era { version, log_level, client_capabilities })
}

/// The headers of a stateless HTTP request must repeat its body: `MCP-Protocol-Version` the `_meta` version,
/// `Mcp-Method` the method, and `Mcp-Name` the tool or prompt name or the resource uri (-32020 otherwise).
fn check_headers(
    h: &StatelessHeaders,
    version: &str,
    method: &str,
    params: &Map<String, Value>,
) -> Result<(), RpcError> {
    let mismatch = |what: String| RpcError::new(ErrorCode(HEADER_MISMATCH), format!("header mismatch: {what}"));
    if h.protocol_version != version {
        return Err(mismatch(format!("MCP-Protocol-Version {:?} but _meta says {version:?}", h.protocol_version)));
    }
    match &h.method {
        Some(m) if m == method => {}
        Some(m) => return Err(mismatch(format!("Mcp-Method {m:?} but the body's method is {method:?}"))),
        None => return Err(mismatch("missing or malformed Mcp-Method header".to_owned())),
    }
    let named = Method::parse(method).and_then(Method::named_by).and_then(|key| params.get(key)?.as_str());
    match (named, &h.name) {
        (None, _) => Ok(()),
        (Some(name), Some(h)) if h == name => Ok(()),
        (Some(name), Some(h)) => Err(mismatch(format!("Mcp-Name {h:?} but the body names {name:?}"))),
        (Some(_), None) => Err(mismatch("missing or malformed Mcp-Name header".to_owned())),
    }
}

/// A successful result: a JSON value, or text that is already one encoded JSON object.
pub enum ResultBody {
    /// A result object; [`envelope`] adds the version's fields that are missing.
    Json(Value),
    /// An encoded result object without the version's envelope fields, which [`envelope`] splices in.
    Raw(Arc<str>),
}

/// How long results that cannot change while the process runs (tools, resources, discovery) may be cached.
pub const STATIC_TTL_MS: u64 = 3_600_000;

/// Gives a result the envelope its version needs: under 2026-07-28, `resultType` on every result, and on lists,
/// reads and discovery the caching hints when the service set none (their content cannot change while the process
/// runs unless the service says otherwise). Handshake-era results pass unchanged.
pub fn envelope(body: ResultBody, method: Method, version: Version) -> ResultBody {
    if !version.is_modern() {
        return body;
    }
    match body {
        ResultBody::Json(mut v) if v.is_object() => {
            if v.get("resultType").is_none() {
                v["resultType"] = json!("complete");
            }
            if method.cacheable() && v.get("ttlMs").is_none() {
                v["ttlMs"] = json!(STATIC_TTL_MS);
                v["cacheScope"] = json!("public");
            }
            ResultBody::Json(v)
        }
        ResultBody::Raw(text) => {
            let mut fields = String::from(r#""resultType":"complete""#);
            if method.cacheable() {
                fields.push_str(&format!(r#","ttlMs":{STATIC_TTL_MS},"cacheScope":"public""#));
            }
            ResultBody::Raw(Arc::from(splice(&text, &fields)))
        }
        other => other,
    }
}

/// Adds `fields` (`"k":v` pairs) at the end of an encoded JSON object.
fn splice(object: &str, fields: &str) -> String {
    let body = object.trim_end().strip_suffix('}').unwrap_or(object);
    let empty = body.trim_end().ends_with('{');
    let mut out = String::with_capacity(object.len() + fields.len() + 2);
    out.push_str(body);
    if !empty {
        out.push(',');
    }
    out.push_str(fields);
    out.push('}');
    out
}

/// `serverInfo` (and, under 2026-07-28, `_meta` server info) with the fields the version defines.
#[derive(Serialize)]
pub struct ServerInfo<'a> {
    /// The server's name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Its title (2025-06-18 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'a str>,
    /// What it does (2025-11-25 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// Its website (2025-11-25 and later).
    #[serde(rename = "websiteUrl", skip_serializing_if = "Option::is_none")]
    pub website_url: Option<&'a str>,
}

/// The `initialize` result.
#[derive(Serialize)]
pub struct InitializeResult<'a> {
    /// The negotiated version.
    #[serde(rename = "protocolVersion")]
    pub protocol_version: &'static str,
    /// The server's capabilities.
    pub capabilities: Value,
    /// Who the server is.
    #[serde(rename = "serverInfo")]
    pub server_info: ServerInfo<'a>,
    /// Instructions for the model (2025-03-26 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<&'a str>,
}

/// The `server/discover` result (2026-07-28).
#[derive(Serialize)]
pub struct DiscoverResult<'a> {
    /// The stateless versions served.
    #[serde(rename = "supportedVersions")]
    pub supported_versions: Vec<&'static str>,
    /// The server's capabilities.
    pub capabilities: Value,
    /// Who the server is, under `io.modelcontextprotocol/serverInfo`.
    #[serde(rename = "_meta")]
    pub meta: DiscoverMeta<'a>,
    /// Instructions for the model.
    pub instructions: &'a str,
}

/// The `_meta` of a discovery result.
#[derive(Serialize)]
pub struct DiscoverMeta<'a> {
    /// Who the server is.
    #[serde(rename = "io.modelcontextprotocol/serverInfo")]
    pub server_info: ServerInfo<'a>,
}

/// A typed result as the JSON value the session sends.
pub fn to_value(result: &impl Serialize) -> Value {
    serde_json::to_value(result).expect("a result type always serialises")
}

/// A `CallToolResult` whose payload is encoded once: the text block and `structuredContent` share one encoding.
#[derive(Serialize)]
struct CallToolResult<'a> {
    content: [TextContent<'a>; 1],
    #[serde(rename = "isError")]
    is_error: bool,
    #[serde(rename = "structuredContent", skip_serializing_if = "Option::is_none")]
    structured_content: Option<Structured<'a>>,
}

#[derive(Serialize)]
struct TextContent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

/// `structuredContent` must be an object before 2026-07-28; other values are wrapped as `{"result": ...}`, in both
/// eras alike. [`structured_content`] is the same rule for a value.
#[derive(Serialize)]
#[serde(untagged)]
enum Structured<'a> {
    Object(&'a RawValue),
    Wrapped { result: &'a RawValue },
}

/// What a client receives as `structuredContent` for a tool's value (an object as it is, anything else wrapped).
pub fn structured_content(value: &Value) -> Value {
    match value {
        Value::Object(_) => value.clone(),
        other => json!({ "result": other }),
    }
}

/// A successful tool result for the version: the value is encoded once, as the text block and, from 2025-06-18, as
/// `structuredContent`.
pub fn tool_success(value: &Value, version: Version) -> ResultBody {
    let raw = serde_json::value::to_raw_value(value).expect("a JSON value always serialises");
    let structured = match value {
        Value::Object(_) => Structured::Object(&raw),
        _ => Structured::Wrapped { result: &raw },
    };
    let structured_content = version.has_structured_content().then_some(structured);
    let result = CallToolResult {
        content: [TextContent { kind: "text", text: raw.get() }],
        is_error: false,
        structured_content,
    };
    ResultBody::Raw(Arc::from(serde_json::to_string(&result).expect("a tool result always serialises")))
}

/// A failed tool call: an `isError` result whose text says why.
pub fn tool_error(message: &str) -> ResultBody {
    let result = CallToolResult {
        content: [TextContent { kind: "text", text: message }],
        is_error: true,
        structured_content: None,
    };
    ResultBody::Json(to_value(&result))
}

#[cfg(test)]
mod tests;
