//! The tool machinery: how a declared tool becomes a JSON Schema, how arguments are checked against it, how a call
//! becomes an API request, and what happens to the reply before a client sees it.
//!
//! Invariant: a tool is declared once, as one [`ToolSpec`] in [`table::TOOLS`]; its input schema, its argument
//! validation, its annotations, the modes that offer it, the API request it makes and the shape it promises are
//! all derived from that declaration, so they cannot disagree. Every result passes through [`ToolSpec::call`],
//! which redacts secret values (unless `PINGERA_SHOW_SECRET_VALUES` is on) and refuses a reply that breaks the
//! tool's output schema, so no tool can leak a secret or break its promise by forgetting a step. Nothing here does
//! I/O except through [`ApiClient`].

pub mod bound;
pub mod custom;
// The mode is the tools' first filter; the configuration reads it and re-exports it.
mod mode;
mod param;
pub mod scripts;
pub mod shape;
pub mod table;
pub mod toolsets;

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::json::Cut;
use crate::pingera::{ApiClient, ApiError, ApiRequest, ApiResponse, Credential, Decode, Method, Observer, Permit};

pub use mode::Mode;
pub use param::{is_iso_date, Param, Ty};
pub use table::TOOLS;
pub use toolsets::Toolset;

/// What replaces a secret value in a result when `PINGERA_SHOW_SECRET_VALUES` is off. The key stays, so a model
/// can tell that the secret has a value and how to see it.
pub const REDACTED: &str = "[redacted: set PINGERA_SHOW_SECRET_VALUES=true to show]";

/// Secret argument values at least this long are also scrubbed from free text of replies and errors.
const MIN_SCRUBBED: usize = 6;

/// The field names whose values are secret wherever they appear in a reply.
const SECRET_FIELDS: &[&str] = &["secret_value"];

/// One tool.
#[derive(Debug)]
pub struct ToolSpec {
    /// The name a client calls (the reference implementation's name).
    pub name: &'static str,
    /// A human-readable title (2025-06-18 and later).
    pub title: &'static str,
    /// When a model should use the tool, and where its ids come from.
    pub description: &'static str,
    /// The parameters, in schema order, in groups so that tools can share field lists.
    pub params: &'static [&'static [Param]],
    /// What the tool does to Pingera; decides modes and annotations.
    pub effect: Effect,
    /// The area the tool belongs to, for `PINGERA_TOOLSETS` and `X-MCP-Toolsets`.
    pub toolset: Toolset,
    /// How the tool is carried out.
    pub action: Action,
    /// The JSON Schema of `structuredContent`, for tools whose reply has a stable shape (sent from 2025-06-18).
    /// [`ToolSpec::call`] checks every successful result against it, so a tool always answers with a conforming
    /// object or with an error.
    pub output_schema: Option<fn() -> Value>,
}

/// What a tool does to the Pingera account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Reads from the API.
    Read,
    /// Computes locally; no API call.
    Local,
    /// Creates something or sets something off (not idempotent).
    Create,
    /// Changes something that exists (idempotent).
    Update,
    /// Removes something (idempotent, destructive).
    Delete,
}

impl Effect {
    /// Whether the tool changes nothing.
    pub fn is_read_only(self) -> bool {
        matches!(self, Effect::Read | Effect::Local)
    }
}

/// How a tool is carried out.
#[derive(Debug)]
pub enum Action {
    /// One API request built from the arguments.
    Api {
        /// The method.
        method: Method,
        /// The path, with `{param}` placeholders filled from arguments (percent-encoded).
        path: &'static str,
        /// Query parameters: (argument name, API name); absent arguments are left out.
        query: &'static [(&'static str, &'static str)],
        /// The JSON body.
        body: Body,
    },
    /// Anything else: several requests, local post-processing, or no request at all.
    Custom(fn(&ToolCtx<'_>, &Map<String, Value>) -> Result<Value, ToolError>),
}

/// The JSON body of an [`Action::Api`] request.
#[derive(Debug)]
pub enum Body {
    /// No body.
    None,
    /// An object of the given arguments: (argument name, API field name); absent arguments are left out.
    Fields(&'static [(&'static str, &'static str)]),
    /// An object of every argument that is not a path placeholder, under its own name; absent ones are left out.
    Params,
    /// The value of one argument is the whole body: a free-form `*_data` object or a list of records.
    Arg(&'static str),
    /// A fixed JSON text (e.g. `{"active": false}` to pause a check).
    Literal(&'static str),
}

/// What a tool call has to work with.
pub struct ToolCtx<'a> {
    /// The API client.
    pub api: &'a ApiClient,
    /// The credential of the MCP request (stdio: the configured one).
    pub credential: Option<&'a Credential>,
    /// Hears API events and waits between retries.
    pub observer: &'a dyn Observer,
    /// Whether secret values may appear in results (`PINGERA_SHOW_SECRET_VALUES`); redacted otherwise.
    pub show_secret_values: bool,
    /// The upstream permit, taken before the call got its thread; `None` for a tool that makes no API call
    /// ([`Effect::Local`]), which therefore never waits behind API calls.
    pub permit: Option<&'a Permit>,
    /// The most bytes a result may hold (`PINGERA_MAX_RESULT_BYTES`): a larger reply has its list cut while it is
    /// decoded ([`Decode::Within`]).
    pub max_result_bytes: usize,
}

/// A successful call before it is bounded ([`bound::fit`]): the reply, and the lists that were already cut while it
/// was decoded, with how many items each held.
#[derive(Debug)]
pub struct Outcome {
    /// The reply (redacted, and checked against the output schema).
    pub value: Value,
    /// The lists cut while decoding.
    pub cuts: Vec<Cut>,
}

impl ToolCtx<'_> {
    /// Sends one API request with this call's credential; the reply decoded whole.
    pub fn send(&self, method: Method, path: String, body: Option<Value>) -> Result<Value, ApiError> {
        Ok(self.exchange(ApiRequest { method, path, body, decode: Decode::Whole })?.body)
    }

    /// Sends one API request with this call's credential; the reply decoded for a result of this call.
    fn send_for_result(&self, method: Method, path: String, body: Option<Value>) -> Result<Outcome, ApiError> {
        let reply = self.exchange(ApiRequest { method, path, body, decode: Decode::Within(self.max_result_bytes) })?;
        Ok(Outcome { value: reply.body, cuts: reply.cuts })
    }

    fn exchange(&self, req: ApiRequest) -> Result<ApiResponse, ApiError> {
        // A tool declared local that reaches for the API is a bug in the table, reported rather than let through
        // past the upstream limit.
        let permit = self.permit.ok_or_else(|| {
            ApiError::InvalidResponse("internal error: a tool declared local tried to call the API".to_owned())
        })?;
        self.api.send(permit, &req, self.credential, self.observer)
    }
}

/// Why a tool call failed; every variant becomes an `isError` result whose text is this message.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The arguments do not fit the tool's schema.
    #[error("invalid arguments for {tool}: {message}")]
    InvalidArguments {
        /// The tool.
        tool: &'static str,
        /// Which field is wrong and why.
        message: String,
    },
    /// The API call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The tool itself failed.
    #[error("{0}")]
    Failed(String),
}

impl ToolSpec {
    /// Every parameter, in schema order.
    pub fn params(&self) -> impl Iterator<Item = &'static Param> {
        self.params.iter().flat_map(|group| group.iter())
    }

    /// The parameter of that name.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params().find(|p| p.name == name)
    }

    /// Whether a call of the tool talks to the API (and so needs an upstream permit).
    pub fn calls_api(&self) -> bool {
        self.effect != Effect::Local
    }

    /// Whether the mode offers this tool.
    pub fn offered_in(&self, mode: Mode) -> bool {
        mode == Mode::ReadWrite || self.effect.is_read_only()
    }

    /// The JSON Schema of the arguments.
    pub fn input_schema(&self) -> Value {
        let mut properties = Map::new();
        for p in self.params() {
            properties.insert(p.name.to_owned(), p.schema());
        }
        let required: Vec<&str> = self.params().filter(|p| p.required).map(|p| p.name).collect();
        let mut schema = json!({"type": "object", "properties": properties, "additionalProperties": false});
        if !required.is_empty() {
            schema["required"] = json!(required);
        }
        schema
    }

    /// What a client hands to the model: the name, the description and the input schema. Every `tools/list` entry
    /// starts from this, and the context budgets are measured on it.
    pub fn model_facing(&self) -> Value {
        json!({ "name": self.name, "description": self.description, "inputSchema": self.input_schema() })
    }

    /// The tool annotations (2025-03-26 and later).
    pub fn annotations(&self) -> Value {
        json!({
            "title": self.title,
            "readOnlyHint": self.effect.is_read_only(),
            "destructiveHint": self.effect == Effect::Delete,
            "idempotentHint": self.effect != Effect::Create,
            "openWorldHint": self.effect != Effect::Local,
        })
    }

    /// Checks arguments against the parameters: unknown names, missing required ones, types and bounds. A null
    /// value counts as absent, as the reference implementation's schemas allowed null for every optional
    /// parameter.
    pub fn validate(&self, args: &Map<String, Value>) -> Result<(), ToolError> {
        let fail = |message: String| ToolError::InvalidArguments { tool: self.name, message };
        for key in args.keys() {
            if self.param(key).is_none() {
                let known: Vec<&str> = self.params().map(|p| p.name).collect();
                return Err(fail(if known.is_empty() {
                    format!("unknown argument \"{key}\": this tool takes no arguments")
                } else {
                    format!("unknown argument \"{key}\"; accepted: {}", known.join(", "))
                }));
            }
        }
        for p in self.params() {
            match args.get(p.name) {
                None | Some(Value::Null) if p.required => {
                    return Err(fail(format!("missing required argument \"{}\"", p.name)))
                }
                None | Some(Value::Null) => {}
                Some(v) => p.check(v).map_err(fail)?,
            }
        }
        Ok(())
    }

    /// Validates the arguments, carries out the tool, redacts secret values and checks the promised shape.
    pub fn call(&self, ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Outcome, ToolError> {
        self.validate(args)?;
        let outcome = match &self.action {
            Action::Custom(run) => run(ctx, args).map(|value| Outcome { value, cuts: Vec::new() }),
            Action::Api { method, path, query, body } => self.body(*method, path, body, args).and_then(|body| {
                let reply = ctx.send_for_result(*method, request_path(path, query, args), body)?;
                Ok(Outcome { value: confirm_empty_reply(*method, path, args, reply.value), cuts: reply.cuts })
            }),
        };
        // Secret arguments the API might quote back (in a message or an error text) are scrubbed as well as the
        // secret fields. Values shorter than MIN_SCRUBBED are left to the field-based redaction alone: replacing
        // every "ab" in a reply would corrupt ids and dates the model needs.
        let secrets: Vec<&str> = self
            .params()
            .filter(|p| matches!(p.ty, Ty::Secret { .. }))
            .filter_map(|p| present(args, p.name).and_then(Value::as_str))
            .filter(|s| s.chars().count() >= MIN_SCRUBBED)
            .collect();
        let Outcome { mut value, cuts } = match outcome {
            Ok(outcome) => outcome,
            Err(e) if !ctx.show_secret_values && secrets.iter().any(|s| e.to_string().contains(s)) => {
                return Err(ToolError::Failed(scrub(&e.to_string(), &secrets)));
            }
            Err(e) => return Err(e),
        };
        if !ctx.show_secret_values {
            redact_secrets(&mut value);
            scrub_strings(&mut value, &secrets);
        }
        if let Some(schema) = self.output_schema {
            // The session wraps a non-object as {"result": ...}; the schema describes what the client receives.
            // An object is checked in place: a copy of a large reply would double the call's memory.
            let wrapped;
            let structured = match &value {
                Value::Object(_) => &value,
                other => {
                    wrapped = json!({ "result": other });
                    &wrapped
                }
            };
            if let Err(why) = shape::conforms(&schema(), structured) {
                return Err(ToolError::Failed(format!(
                    "unexpected reply from the Pingera API for {}: {why}; the API may have changed, please report it",
                    self.name
                )));
            }
        }
        Ok(Outcome { value, cuts })
    }

    /// The JSON body of an [`Action::Api`] request.
    fn body(
        &self,
        method: Method,
        path: &str,
        body: &Body,
        args: &Map<String, Value>,
    ) -> Result<Option<Value>, ToolError> {
        let converted = |name: &str| {
            let p = self.param(name);
            present(args, name).map(|v| p.map_or_else(|| v.clone(), |p| p.api_value(v)))
        };
        let value = match body {
            Body::None => return Ok(None),
            Body::Literal(text) => serde_json::from_str(text)
                .map_err(|e| ToolError::Failed(format!("{}: the fixed request body is not JSON: {e}", self.name)))?,
            Body::Fields(fields) => Value::Object(
                fields.iter().filter_map(|(arg, api)| converted(arg).map(|v| ((*api).to_owned(), v))).collect(),
            ),
            Body::Params => Value::Object(
                self.params()
                    .filter(|p| !path.contains(&format!("{{{}}}", p.name)))
                    .filter_map(|p| converted(p.name).map(|v| (p.name.to_owned(), v)))
                    .collect(),
            ),
            Body::Arg(name) => converted(name).unwrap_or(Value::Null),
        };
        // An empty update changes nothing; saying so beats a request that silently does nothing.
        if matches!(method, Method::Put | Method::Patch) && value.as_object().is_some_and(Map::is_empty) {
            return Err(ToolError::InvalidArguments {
                tool: self.name,
                message: "give at least one field to change".to_owned(),
            });
        }
        Ok(Some(value))
    }
}

/// An argument that was given and is not null.
pub fn present<'a>(args: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    args.get(name).filter(|v| !v.is_null())
}

/// The path of a request: placeholders filled (percent-encoded) and the query appended.
pub fn request_path(template: &str, query: &[(&str, &str)], args: &Map<String, Value>) -> String {
    let mut url = fill_path(template, args);
    append_query(&mut url, query, args);
    url
}

/// Fills `{name}` placeholders with percent-encoded argument values.
fn fill_path(template: &str, args: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..end];
        let value = present(args, name).map(value_text).unwrap_or_default();
        out.push_str(&percent_encode(&value));
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

fn append_query(url: &mut String, query: &[(&str, &str)], args: &Map<String, Value>) {
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (arg, api) in query {
        if let Some(v) = present(args, arg) {
            let _ = write!(url, "{sep}{}={}", percent_encode(api), percent_encode(&value_text(v)));
            sep = '&';
        }
    }
}

/// A scalar as text: strings unquoted, everything else as JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so an id can never change the path.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A 204 reply has no body; the tool answers with what was done instead, naming the ids involved.
pub fn confirm_empty_reply(method: Method, template: &str, args: &Map<String, Value>, reply: Value) -> Value {
    if !reply.is_null() {
        return reply;
    }
    let mut out = Map::new();
    out.insert("success".into(), Value::Bool(true));
    if method == Method::Delete {
        out.insert("deleted".into(), Value::Bool(true));
    }
    for part in template.split('{').skip(1) {
        let name = part.split('}').next().unwrap_or_default();
        if let Some(v) = present(args, name) {
            out.insert(name.to_owned(), v.clone());
        }
    }
    Value::Object(out)
}

/// Replaces every non-null value of a secret field, at any depth, with [`REDACTED`]. A null stays null: it says
/// truthfully that the reply carried no value.
pub fn redact_secrets(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) {
                    if !value.is_null() {
                        *value = Value::from(REDACTED);
                    }
                } else {
                    redact_secrets(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

/// `text` with every occurrence of the given secret values replaced by [`REDACTED`].
fn scrub(text: &str, secrets: &[&str]) -> String {
    secrets.iter().fold(text.to_owned(), |t, s| t.replace(s, REDACTED))
}

/// Scrubs the given secret values out of every string (and key) of a reply.
fn scrub_strings(v: &mut Value, secrets: &[&str]) {
    if secrets.is_empty() {
        return;
    }
    match v {
        Value::String(s) if secrets.iter().any(|x| s.contains(x)) => *s = scrub(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|x| scrub_strings(x, secrets)),
        Value::Object(map) if map.keys().any(|k| secrets.iter().any(|x| k.contains(x))) => {
            let old = std::mem::take(map);
            for (k, mut x) in old {
                scrub_strings(&mut x, secrets);
                map.insert(scrub(&k, secrets), x);
            }
        }
        Value::Object(map) => map.values_mut().for_each(|x| scrub_strings(x, secrets)),
        _ => {}
    }
}

/// Finds a tool by name.
pub fn find(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests;
