//! The conformance fixture server: the tools, resources and prompts that the official conformance referee
//! (`@modelcontextprotocol/conformance`) calls by name, served by the same protocol core as `pingera-mcp` (session,
//! transports, both protocol eras), with a second [`Service`] in place of the Pingera one.
//!
//! Invariant: everything protocol-level (framing, versions, `_meta` and header checks, sessions, streams,
//! cancellation, server-to-client requests, multi-round-trip input) is the library's; this file holds only fixture
//! data and the behaviour each scenario names, so that the referee's verdict is a verdict on the core. It takes the
//! same flags and variables as `pingera-mcp` (`--transport http --http-port 0`, ...); it makes no API calls.
//!
//! Run: `cargo run --example conformance_server -- --transport http --http-port 8931`, then point the referee at
//! `http://localhost:8931/mcp` (scripts/conformance does both).

#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pingera_mcp_server::config::{Command, Config, Transport};
use pingera_mcp_server::jsonrpc::RpcError;
use pingera_mcp_server::protocol::{LogLevel, Version};
use pingera_mcp_server::service::{
    missing_capability, not_found, seal_state, Ask, Exchange, Gathered, Identity, ResultBody, Service, Work,
};
use pingera_mcp_server::session::{Server, Session};
use pingera_mcp_server::shutdown_signal;
use pingera_mcp_server::transport::{http, stdio};
use serde_json::{json, Map, Value};

/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A WAV file with one silent sample.
const WAV: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

/// One fixture tool: how it is listed and what a call does.
struct Tool {
    name: &'static str,
    description: &'static str,
    schema: fn() -> Value,
    /// Whether a call may send notifications or requests without a progress token (SSE over HTTP).
    streams: bool,
    run: fn(Map<String, Value>, Exchange) -> Work,
}

fn no_args() -> Value {
    json!({ "type": "object", "properties": {} })
}

fn text(t: impl Into<String>) -> Result<ResultBody, RpcError> {
    Ok(ResultBody::Json(json!({ "content": [{ "type": "text", "text": t.into() }] })))
}

fn content(items: Value) -> Result<ResultBody, RpcError> {
    Ok(ResultBody::Json(json!({ "content": items })))
}

fn arg(args: &Map<String, Value>, name: &str) -> String {
    args.get(name).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn elicit(message: &str, properties: Value, required: Value) -> Value {
    json!({ "message": message, "requestedSchema": { "type": "object", "properties": properties, "required": required } })
}

fn sampling(prompt: &str, max_tokens: u64) -> Value {
    json!({ "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }], "maxTokens": max_tokens })
}

/// Asks the client for one thing. The inner `Err` is the reply to send instead: an input-required result, or, when
/// the client's answer to a request failed (handshake era), a tool error saying why. Malformed input responses
/// (2026-07-28) are protocol errors and stay JSON-RPC errors, the outer `Err`.
async fn ask_one(
    ex: &Exchange,
    key: &'static str,
    method: &'static str,
    params: Value,
) -> Result<Result<Value, ResultBody>, RpcError> {
    match ex.gather(vec![Ask { key, method, params }], None).await {
        Ok(Gathered::Answers(mut a)) => Ok(Ok(a.remove(key).unwrap_or(Value::Null))),
        Ok(Gathered::InputRequired(r)) => Ok(Err(r)),
        Err(e) if ex.version.is_modern() => Err(e),
        Err(e) => {
            Ok(Err(ResultBody::Json(json!({ "content": [{ "type": "text", "text": e.message }], "isError": true }))))
        }
    }
}

/// The tools, `test_simple_text` first (the referee's header checks call the first one listed with no arguments).
const TOOLS: &[Tool] = &[
    Tool {
        name: "test_simple_text",
        description: "Returns a simple text response",
        schema: no_args,
        streams: false,
        run: |_, _| Box::pin(async { text("This is a simple text response for testing.") }),
    },
    Tool {
        name: "test_image_content",
        description: "Returns an image",
        schema: no_args,
        streams: false,
        run: |_, _| Box::pin(async { content(json!([{ "type": "image", "data": PNG, "mimeType": "image/png" }])) }),
    },
    Tool {
        name: "test_audio_content",
        description: "Returns audio",
        schema: no_args,
        streams: false,
        run: |_, _| Box::pin(async { content(json!([{ "type": "audio", "data": WAV, "mimeType": "audio/wav" }])) }),
    },
    Tool {
        name: "test_embedded_resource",
        description: "Returns an embedded resource",
        schema: no_args,
        streams: false,
        run: |_, _| {
            Box::pin(async {
                content(json!([{ "type": "resource", "resource": {
                    "uri": "test://embedded-resource",
                    "mimeType": "text/plain",
                    "text": "This is an embedded resource content.",
                } }]))
            })
        },
    },
    Tool {
        name: "test_multiple_content_types",
        description: "Returns text, an image and an embedded resource",
        schema: no_args,
        streams: false,
        run: |_, _| {
            Box::pin(async {
                content(json!([
                    { "type": "text", "text": "Multiple content types test:" },
                    { "type": "image", "data": PNG, "mimeType": "image/png" },
                    { "type": "resource", "resource": {
                        "uri": "test://mixed-content-resource",
                        "mimeType": "application/json",
                        "text": "{\"test\":\"data\",\"value\":123}",
                    } },
                ]))
            })
        },
    },
    Tool {
        name: "test_tool_with_logging",
        description: "Sends three log messages while it runs",
        schema: no_args,
        streams: true,
        run: |_, ex| {
            Box::pin(async move {
                let steps = ["Tool execution started", "Tool processing data", "Tool execution completed"];
                for (i, step) in steps.iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    ex.log(LogLevel::Info, "conformance", json!(step));
                }
                text("Tool with logging executed successfully")
            })
        },
    },
    Tool {
        name: "test_tool_with_progress",
        description: "Reports progress 0, 50 and 100 of 100",
        schema: no_args,
        streams: false,
        run: |_, ex| {
            Box::pin(async move {
                for (i, p) in [0, 50, 100].into_iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    ex.progress(p, Some(100), Some(&format!("Completed step {p} of 100")));
                }
                let token = ex.params.get("_meta").and_then(|m| m.get("progressToken"));
                text(token.map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned)).unwrap_or_default())
            })
        },
    },
    Tool {
        name: "test_error_handling",
        description: "Always fails, as a tool result marked as an error",
        schema: no_args,
        streams: false,
        run: |_, _| {
            Box::pin(async {
                Ok(ResultBody::Json(json!({
                    "content": [{ "type": "text", "text": "This tool intentionally returns an error for testing" }],
                    "isError": true,
                })))
            })
        },
    },
    Tool {
        name: "test_sampling",
        description: "Asks the client's model to answer the prompt",
        schema: || {
            json!({ "type": "object", "properties": { "prompt": { "type": "string", "description": "The prompt" } },
                    "required": ["prompt"] })
        },
        streams: true,
        run: |args, ex| {
            Box::pin(async move {
                match ask_one(&ex, "sampling", "sampling/createMessage", sampling(&arg(&args, "prompt"), 100)).await? {
                    Ok(answer) => {
                        let said = answer.pointer("/content/text").and_then(Value::as_str).unwrap_or_default();
                        text(format!("LLM response: {said}"))
                    }
                    Err(reply) => Ok(reply),
                }
            })
        },
    },
    Tool {
        name: "test_elicitation",
        description: "Asks the user for a username and an email address",
        schema: || {
            json!({ "type": "object", "properties": { "message": { "type": "string", "description": "What to ask" } },
                    "required": ["message"] })
        },
        streams: true,
        run: |args, ex| {
            Box::pin(async move {
                let params = elicit(
                    &arg(&args, "message"),
                    json!({
                        "username": { "type": "string", "description": "User's response" },
                        "email": { "type": "string", "description": "User's email address" },
                    }),
                    json!(["username", "email"]),
                );
                elicitation_outcome("User response", ask_one(&ex, "elicitation", "elicitation/create", params).await?)
            })
        },
    },
    Tool {
        name: "test_elicitation_sep1034_defaults",
        description: "Asks for a form whose fields have defaults (SEP-1034)",
        schema: no_args,
        streams: true,
        run: |_, ex| {
            Box::pin(async move {
                let params = elicit(
                    "Please review and update the form fields with defaults",
                    json!({
                        "name": { "type": "string", "description": "User name", "default": "John Doe" },
                        "age": { "type": "integer", "description": "User age", "default": 30 },
                        "score": { "type": "number", "description": "User score", "default": 95.5 },
                        "status": { "type": "string", "description": "User status",
                                    "enum": ["active", "inactive", "pending"], "default": "active" },
                        "verified": { "type": "boolean", "description": "Verification status", "default": true },
                    }),
                    json!([]),
                );
                let answer = ask_one(&ex, "form", "elicitation/create", params).await?;
                elicitation_outcome("Elicitation completed", answer)
            })
        },
    },
    Tool {
        name: "test_elicitation_sep1330_enums",
        description: "Asks for a form with the five kinds of enum fields (SEP-1330)",
        schema: no_args,
        streams: true,
        run: |_, ex| {
            Box::pin(async move {
                let titled = |names: [&str; 3]| {
                    json!([
                        { "const": "value1", "title": names[0] },
                        { "const": "value2", "title": names[1] },
                        { "const": "value3", "title": names[2] },
                    ])
                };
                let params = elicit(
                    "Please select options from the enum fields",
                    json!({
                        "untitledSingle": { "type": "string", "description": "Select one option",
                                            "enum": ["option1", "option2", "option3"] },
                        "titledSingle": { "type": "string", "description": "Select one option with titles",
                                          "oneOf": titled(["First Option", "Second Option", "Third Option"]) },
                        "legacyEnum": { "type": "string", "description": "Select one option (legacy)",
                                        "enum": ["opt1", "opt2", "opt3"],
                                        "enumNames": ["Option One", "Option Two", "Option Three"] },
                        "untitledMulti": { "type": "array", "description": "Select multiple options",
                                           "minItems": 1, "maxItems": 3,
                                           "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
                        "titledMulti": { "type": "array", "description": "Select multiple options with titles",
                                         "minItems": 1, "maxItems": 3,
                                         "items": { "anyOf": titled(["First Choice", "Second Choice", "Third Choice"]) } },
                    }),
                    json!([]),
                );
                let answer = ask_one(&ex, "form", "elicitation/create", params).await?;
                elicitation_outcome("Elicitation completed", answer)
            })
        },
    },
    Tool {
        name: "json_schema_2020_12_tool",
        description: "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
        schema: || {
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": { "address": { "$anchor": "addressDef", "type": "object",
                    "properties": { "street": { "type": "string" }, "city": { "type": "string" } } } },
                "properties": {
                    "name": { "type": "string" },
                    "address": { "$ref": "#/$defs/address" },
                    "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                    "phone": { "type": "string" },
                    "email": { "type": "string" },
                },
                "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
                "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
                "then": { "required": ["phone"] },
                "else": { "required": ["email"] },
                "additionalProperties": false,
            })
        },
        streams: false,
        run: |args, _| {
            Box::pin(async move { text(format!("JSON Schema 2020-12 tool called with: {}", Value::Object(args))) })
        },
    },
    Tool {
        name: "test_missing_capability",
        description: "Needs the client's sampling capability; without it the call is refused with -32021",
        schema: no_args,
        streams: false,
        run: |_, ex| {
            Box::pin(async move {
                if !ex.client_has("sampling") {
                    return Err(missing_capability("sampling", "test_missing_capability"));
                }
                text("Success")
            })
        },
    },
    Tool {
        name: "test_streaming_elicitation",
        description: "Answers on a stream without sending the client any request of its own",
        schema: no_args,
        streams: false,
        run: |_, _| Box::pin(async { text("Streaming complete") }),
    },
    Tool {
        name: "test_logging_tool",
        description: "Logs one message, which is sent only when the client asked for log messages",
        schema: no_args,
        streams: false,
        run: |_, ex| {
            Box::pin(async move {
                ex.log(LogLevel::Info, "conformance", json!("Logging evaluated"));
                text("Logging evaluated")
            })
        },
    },
    Tool {
        name: "test_input_required_result_elicitation",
        description: "MRTR: asks for the user's name",
        schema: no_args,
        streams: true,
        run: |_, ex| {
            Box::pin(async move {
                let params = elicit("What is your name?", json!({ "name": { "type": "string" } }), json!(["name"]));
                match ask_one(&ex, "user_name", "elicitation/create", params).await? {
                    Ok(a) => text(format!("Hello, {}!", str_at(&a, "/content/name"))),
                    Err(reply) => Ok(reply),
                }
            })
        },
    },
    Tool {
        name: "test_input_required_result_sampling",
        description: "MRTR: asks the client's model a question",
        schema: no_args,
        streams: true,
        run: |_, ex| {
            Box::pin(async move {
                let params = sampling("What is the capital of France?", 100);
                match ask_one(&ex, "sample_request", "sampling/createMessage", params).await? {
                    Ok(a) => text(format!("Sampling result: {}", str_at(&a, "/content/text"))),
                    Err(reply) => Ok(reply),
                }
            })
        },
    },
    Tool {
        name: "test_input_required_result_list_roots",
        description: "MRTR: asks for the client's roots",
        schema: no_args,
        streams: true,
        run: |_, ex| {
            Box::pin(async move {
                match ask_one(&ex, "roots_request", "roots/list", json!({})).await? {
                    Ok(a) => text(format!("Found {} root(s)", a["roots"].as_array().map_or(0, Vec::len))),
                    Err(reply) => Ok(reply),
                }
            })
        },
    },
    Tool {
        name: "test_input_required_result_request_state",
        description: "MRTR: asks for a confirmation and carries a sealed request state",
        schema: no_args,
        streams: true,
        run: |_, ex| Box::pin(with_state(ex, "request-state", "state-ok: requestState validated")),
    },
    Tool {
        name: "test_input_required_result_tampered_state",
        description: "MRTR: like the request-state tool; a changed request state is refused",
        schema: no_args,
        streams: true,
        run: |_, ex| Box::pin(with_state(ex, "tamper-check", "state-ok: requestState validated")),
    },
    Tool {
        name: "test_input_required_result_multiple_inputs",
        description: "MRTR: asks for a name, a greeting and the roots at once",
        schema: no_args,
        streams: true,
        run: |_, ex| {
            Box::pin(async move {
                let asks = vec![
                    Ask {
                        key: "user_name",
                        method: "elicitation/create",
                        params: elicit("What is your name?", json!({ "name": { "type": "string" } }), json!(["name"])),
                    },
                    Ask {
                        key: "greeting",
                        method: "sampling/createMessage",
                        params: sampling("Generate a greeting", 50),
                    },
                    Ask { key: "client_roots", method: "roots/list", params: json!({}) },
                ];
                let state = seal_state("multiple-inputs");
                match ex.gather(asks, Some(state)).await? {
                    Gathered::InputRequired(r) => Ok(r),
                    Gathered::Answers(a) => text(format!(
                        "Name: {}; Greeting: {}; Roots: {}",
                        str_at(&a["user_name"], "/content/name"),
                        str_at(&a["greeting"], "/content/text"),
                        a["client_roots"]["roots"].as_array().map_or(0, Vec::len)
                    )),
                }
            })
        },
    },
    Tool {
        name: "test_input_required_result_multi_round",
        description: "MRTR: asks for a name, then for a favourite colour, in two rounds",
        schema: no_args,
        streams: true,
        run: |_, ex| Box::pin(multi_round(ex)),
    },
    Tool {
        name: "test_input_required_result_capabilities",
        description: "MRTR: asks only for what the client declared it can answer",
        schema: no_args,
        streams: true,
        run: |_, ex| {
            Box::pin(async move {
                let mut asks = Vec::new();
                if ex.client_has("elicitation") {
                    let params = elicit("Input request", json!({ "value": { "type": "string" } }), json!(["value"]));
                    asks.push(Ask { key: "elicit_input", method: "elicitation/create", params });
                }
                if ex.client_has("sampling") {
                    asks.push(Ask {
                        key: "sample_input",
                        method: "sampling/createMessage",
                        params: sampling("Sample request", 50),
                    });
                }
                if asks.is_empty() {
                    return Err(missing_capability("sampling", "test_input_required_result_capabilities"));
                }
                match ex.gather(asks, None).await? {
                    Gathered::InputRequired(r) => Ok(r),
                    Gathered::Answers(a) => {
                        text(format!("capabilities-ok: received {}", a.keys().cloned().collect::<Vec<_>>().join(", ")))
                    }
                }
            })
        },
    },
];

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

fn elicitation_outcome(what: &str, answer: Result<Value, ResultBody>) -> Result<ResultBody, RpcError> {
    match answer {
        Ok(a) => text(format!(
            "{what}: action={}, content={}",
            a["action"].as_str().unwrap_or("?"),
            a.get("content").cloned().unwrap_or(Value::Null)
        )),
        Err(reply) => Ok(reply),
    }
}

/// One confirmation round with a sealed state that the retry must bring back unchanged (a changed one is -32602,
/// raised by [`Exchange::request_state`]).
async fn with_state(mut ex: Exchange, payload: &str, done: &str) -> Result<ResultBody, RpcError> {
    if ex.request_state()?.as_deref() != Some(payload) {
        // A first call, or a retry without this server's state: no answer in it belongs to this round.
        ex.params.remove("inputResponses");
    }
    let params = elicit("Please confirm", json!({ "ok": { "type": "boolean" } }), json!(["ok"]));
    match ex
        .gather(vec![Ask { key: "confirm", method: "elicitation/create", params }], Some(seal_state(payload)))
        .await?
    {
        Gathered::InputRequired(r) => Ok(r),
        Gathered::Answers(_) => text(done),
    }
}

/// Two rounds, a name and then a colour; under 2026-07-28 the sealed state says which round a retry answers and
/// carries the name from round one.
async fn multi_round(mut ex: Exchange) -> Result<ResultBody, RpcError> {
    let state = ex.request_state()?;
    let name = match state.as_deref().and_then(|s| s.strip_prefix("step2:")) {
        Some(name) => name.to_owned(),
        None => {
            if state.as_deref() != Some("step1") {
                ex.params.remove("inputResponses");
            }
            let params = elicit("Step 1: What is your name?", json!({ "name": { "type": "string" } }), json!(["name"]));
            match ex
                .gather(vec![Ask { key: "step1", method: "elicitation/create", params }], Some(seal_state("step1")))
                .await?
            {
                Gathered::InputRequired(r) => return Ok(r),
                Gathered::Answers(a) => {
                    // Round two is a new round: the answers of round one do not answer it.
                    ex.params.remove("inputResponses");
                    str_at(&a["step1"], "/content/name").to_owned()
                }
            }
        }
    };
    let params =
        elicit("Step 2: What is your favorite color?", json!({ "color": { "type": "string" } }), json!(["color"]));
    let state = seal_state(&format!("step2:{name}"));
    match ex.gather(vec![Ask { key: "step2", method: "elicitation/create", params }], Some(state)).await? {
        Gathered::InputRequired(r) => Ok(r),
        Gathered::Answers(b) => {
            text(format!("Multi-round complete for {name} who likes {}", str_at(&b["step2"], "/content/color")))
        }
    }
}

/// The fixed resources: (uri, name, description, mime type, text or base64 blob).
const RESOURCES: &[(&str, &str, &str, &str, Body)] = &[
    (
        "test://static-text",
        "static-text",
        "A static text resource",
        "text/plain",
        Body::Text("This is the content of the static text resource."),
    ),
    ("test://static-binary", "static-binary", "A static binary resource (a PNG image)", "image/png", Body::Blob(PNG)),
    (
        "test://watched-resource",
        "watched-resource",
        "A resource that can be subscribed to",
        "text/plain",
        Body::Text("Watched resource content"),
    ),
];

enum Body {
    Text(&'static str),
    Blob(&'static str),
}

/// A prompt: name, description, and its (all required) arguments as (name, description).
type Prompt = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// The prompts.
const PROMPTS: &[Prompt] = &[
    ("test_simple_prompt", "A simple prompt without arguments", &[]),
    (
        "test_prompt_with_arguments",
        "A prompt with required arguments",
        &[("arg1", "First test argument"), ("arg2", "Second test argument")],
    ),
    (
        "test_prompt_with_embedded_resource",
        "A prompt that includes an embedded resource",
        &[("resourceUri", "URI of the resource to embed")],
    ),
    ("test_prompt_with_image", "A prompt that includes image content", &[]),
    ("test_input_required_result_prompt", "MRTR: prompt that requires elicitation input", &[]),
];

struct Fixtures {
    identity: Identity,
    subscriptions: Mutex<HashSet<String>>,
}

impl Fixtures {
    fn new(name: String) -> Fixtures {
        Fixtures {
            identity: Identity {
                name,
                version: env!("CARGO_PKG_VERSION"),
                title: "MCP conformance fixtures",
                description: "The fixtures of the official MCP conformance scenarios, on the pingera-mcp protocol core",
                website_url: None,
                instructions: "Conformance fixtures: every tool, resource and prompt is named after the scenario \
                               that uses it.",
            },
            subscriptions: Mutex::new(HashSet::new()),
        }
    }
}

fn user_text(t: impl Into<String>) -> Value {
    json!({ "role": "user", "content": { "type": "text", "text": t.into() } })
}

impl Service for Fixtures {
    fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Fixed lists; resource subscriptions only where the version has them (2026-07-28 removed them).
    fn capabilities(&self, version: Version) -> Value {
        let mut resources = json!({ "listChanged": false });
        if !version.is_modern() {
            resources["subscribe"] = json!(true);
        }
        json!({
            "tools": { "listChanged": false },
            "resources": resources,
            "prompts": { "listChanged": false },
            "completions": {},
        })
    }

    fn list_tools(&self, cursor: Option<&Value>, _version: Version) -> Result<ResultBody, RpcError> {
        no_cursor(cursor)?;
        let tools: Vec<Value> = TOOLS
            .iter()
            .map(|t| json!({ "name": t.name, "description": t.description, "inputSchema": (t.schema)() }))
            .collect();
        Ok(ResultBody::Json(json!({ "tools": tools })))
    }

    fn call_tool(&self, name: &str, args: Map<String, Value>, ex: Exchange) -> Result<Work, RpcError> {
        let tool = TOOLS.iter().find(|t| t.name == name).ok_or_else(|| {
            RpcError::invalid_params(format!("unknown tool: {name}")).with_data(json!({ "tool": name }))
        })?;
        Ok((tool.run)(args, ex))
    }

    fn tool_streams(&self, name: &str) -> bool {
        TOOLS.iter().any(|t| t.name == name && t.streams)
    }

    fn list_resources(&self, cursor: Option<&Value>, _version: Version, templates: bool) -> Result<Value, RpcError> {
        no_cursor(cursor)?;
        if templates {
            return Ok(json!({ "resourceTemplates": [{
                "uriTemplate": "test://template/{id}/data",
                "name": "template",
                "description": "A resource template: the data of one id",
                "mimeType": "application/json",
            }] }));
        }
        let list: Vec<Value> = RESOURCES
            .iter()
            .map(|(uri, name, description, mime, _)| {
                json!({ "uri": uri, "name": name, "description": description, "mimeType": mime })
            })
            .collect();
        Ok(json!({ "resources": list }))
    }

    fn read_resource(&self, uri: String, ex: Exchange) -> Result<Work, RpcError> {
        let content = if let Some((_, _, _, mime, body)) = RESOURCES.iter().find(|r| r.0 == uri) {
            match body {
                Body::Text(t) => json!({ "uri": uri, "mimeType": mime, "text": t }),
                Body::Blob(b) => json!({ "uri": uri, "mimeType": mime, "blob": b }),
            }
        } else if let Some(id) = uri.strip_prefix("test://template/").and_then(|r| r.strip_suffix("/data")) {
            let data = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
            json!({ "uri": uri, "mimeType": "application/json", "text": data.to_string() })
        } else {
            return Err(not_found(&uri, ex.version));
        };
        Ok(Box::pin(async move { Ok(ResultBody::Json(json!({ "contents": [content] }))) }))
    }

    fn subscribe(&self, uri: &str, subscribe: bool) -> Result<Value, RpcError> {
        if !RESOURCES.iter().any(|r| r.0 == uri) {
            return Err(not_found(uri, Version::LATEST));
        }
        let mut subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        if subscribe {
            subs.insert(uri.to_owned());
        } else {
            subs.remove(uri);
        }
        Ok(json!({}))
    }

    fn list_prompts(&self, cursor: Option<&Value>, _version: Version) -> Result<Value, RpcError> {
        no_cursor(cursor)?;
        let prompts: Vec<Value> = PROMPTS
            .iter()
            .map(|(name, description, args)| {
                let args: Vec<Value> =
                    args.iter().map(|(n, d)| json!({ "name": n, "description": d, "required": true })).collect();
                json!({ "name": name, "description": description, "arguments": args })
            })
            .collect();
        Ok(json!({ "prompts": prompts }))
    }

    fn get_prompt(&self, name: &str, args: Map<String, Value>, ex: Exchange) -> Result<Work, RpcError> {
        let Some((name, description, declared)) = PROMPTS.iter().find(|p| p.0 == name) else {
            return Err(
                RpcError::invalid_params(format!("unknown prompt: {name}")).with_data(json!({ "prompt": name }))
            );
        };
        if let Some((missing, _)) = declared.iter().find(|(a, _)| !args.get(*a).is_some_and(Value::is_string)) {
            return Err(RpcError::invalid_params(format!("prompt {name} needs the string argument {missing}"))
                .with_data(json!({ "argument": missing })));
        }
        let (name, description) = (*name, *description);
        let messages = move |m: Value| Ok(ResultBody::Json(json!({ "description": description, "messages": m })));
        Ok(Box::pin(async move {
            match name {
                "test_simple_prompt" => messages(json!([user_text("This is a simple prompt for testing.")])),
                "test_prompt_with_arguments" => messages(json!([user_text(format!(
                    "Prompt with arguments: arg1='{}', arg2='{}'",
                    arg(&args, "arg1"),
                    arg(&args, "arg2")
                ))])),
                "test_prompt_with_embedded_resource" => messages(json!([
                    { "role": "user", "content": { "type": "resource", "resource": {
                        "uri": arg(&args, "resourceUri"),
                        "mimeType": "text/plain",
                        "text": "Embedded resource content for testing.",
                    } } },
                    user_text("Please process the embedded resource above."),
                ])),
                "test_prompt_with_image" => messages(json!([
                    { "role": "user", "content": { "type": "image", "data": PNG, "mimeType": "image/png" } },
                    user_text("Please analyze the image above."),
                ])),
                _ => {
                    let params = elicit(
                        "What context should the prompt use?",
                        json!({ "context": { "type": "string" } }),
                        json!(["context"]),
                    );
                    match ex
                        .gather(vec![Ask { key: "user_context", method: "elicitation/create", params }], None)
                        .await?
                    {
                        Gathered::InputRequired(r) => Ok(r),
                        Gathered::Answers(a) => messages(json!([user_text(format!(
                            "Prompt with context: {}",
                            str_at(&a["user_context"], "/content/context")
                        ))])),
                    }
                }
            }
        }))
    }

    /// Completes `arg1` of `test_prompt_with_arguments` (and any other argument) from a fixed word list.
    fn complete(&self, ex: Exchange) -> Result<Work, RpcError> {
        let prefix =
            ex.params.get("argument").and_then(|a| a.get("value")).and_then(Value::as_str).ok_or_else(|| {
                RpcError::invalid_params("invalid params: completion/complete needs argument.value as a string")
            })?;
        let values: Vec<&str> =
            ["paris", "park", "party", "test", "testing"].into_iter().filter(|w| w.starts_with(prefix)).collect();
        let result = json!({ "completion": { "values": values, "total": values.len(), "hasMore": false } });
        Ok(Box::pin(async move { Ok(ResultBody::Json(result)) }))
    }
}

fn no_cursor(cursor: Option<&Value>) -> Result<(), RpcError> {
    match cursor {
        None | Some(Value::Null) => Ok(()),
        Some(c) => Err(RpcError::invalid_params("invalid params: unknown cursor").with_data(json!({ "cursor": c }))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::load(&args) {
        Ok((Command::Serve, config)) => config,
        Ok(_) => {
            eprintln!("conformance_server takes the serving flags of pingera-mcp only");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("conformance_server: {e}");
            return ExitCode::from(2);
        }
    };
    let mut logs = env_logger::Builder::new();
    logs.target(env_logger::Target::Stderr).parse_filters(&std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()));
    let _ = logs.try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    let service = Arc::new(Fixtures::new("mcp-conformance-fixtures".to_owned()));
    runtime.block_on(async move {
        match config.transport {
            Transport::Stdio => {
                let opts = pingera_mcp_server::app::stdio_options(&config);
                let session = Session::new(Server::with_limits(service, config.limits));
                match stdio::serve(session, std::io::stdin(), std::io::stdout(), opts, shutdown_signal()).await {
                    Ok(_) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("conformance_server: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Transport::Http => {
                let addr = std::net::SocketAddr::new(config.http_host, config.http_port);
                let listener = match tokio::net::TcpListener::bind(addr).await {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("conformance_server: cannot listen on {addr}: {e}");
                        return ExitCode::from(2);
                    }
                };
                let bound = listener.local_addr().unwrap_or(addr);
                log::info!("conformance fixtures listening on http://{bound}{}", http::MCP_PATH);
                let options = pingera_mcp_server::app::http_options(&config);
                match http::serve(Server::with_limits(service, config.limits), options, listener, shutdown_signal())
                    .await
                {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("conformance_server: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    })
}
