//! Output schemas: the shapes tools promise for `structuredContent`, and the check that a reply keeps the promise.
//!
//! Invariant: every schema built here uses only `type`, `properties`, `required`, `items` and
//! `additionalProperties`, which [`conforms`] checks in full, so a reply that passes [`conforms`] is one that any
//! JSON Schema validator (such as the TypeScript SDK client's) accepts. Schemas are loose on purpose: they require
//! only what the API always sends (the envelope key of a list, a record's `id`), because a client fails the whole
//! call when structured content does not match.

use serde_json::{json, Value};

/// A paged list the API sends as `{"<key>": [records], "pagination": {...}}`.
pub fn envelope(key: &str) -> Value {
    json!({
        "type": "object",
        "properties": {
            key: {"type": "array", "items": {"type": "object"}},
            "pagination": {"type": "object"},
        },
        "required": [key],
    })
}

/// A list the API sends as a bare array, which the session wraps as `{"result": [records]}`.
pub fn wrapped_list() -> Value {
    json!({
        "type": "object",
        "properties": {"result": {"type": "array", "items": {"type": "object"}}},
        "required": ["result"],
    })
}

/// The status pages list: the API's `{"pages": [...], "pagination": {...}}`, or a bare array from older API
/// versions (which the session wraps as `{"result": [...]}`); neither key is required so that both fit.
pub fn pages_list() -> Value {
    json!({
        "type": "object",
        "properties": {
            "pages": {"type": "array", "items": {"type": "object"}},
            "pagination": {"type": "object"},
            "result": {"type": "array", "items": {"type": "object"}},
        },
    })
}

/// One record with its string id.
pub fn record() -> Value {
    json!({
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"],
    })
}

/// An object of unknown fields (the API declares the reply as a free-form dictionary).
pub fn any_object() -> Value {
    json!({"type": "object"})
}

/// Checks `value` against `schema` (the subset described in the module docs); the error names the first place
/// that does not fit, without quoting the value.
pub fn conforms(schema: &Value, value: &Value) -> Result<(), String> {
    check_at("$", schema, value)
}

fn check_at(path: &str, schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(ty) = schema.get("type").and_then(Value::as_str) {
        let ok = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        };
        if !ok {
            return Err(format!("{path} should be of type {ty}, got {}", type_name(value)));
        }
    }
    if let Value::Object(map) = value {
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(key) = key.as_str() {
                if !map.contains_key(key) {
                    return Err(format!("{path} lacks the required field {key:?}"));
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, v) in map {
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => check_at(&format!("{path}.{key}"), sub, v)?,
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => return Err(format!("{path} has the unexpected field {key:?}")),
                    Some(sub @ Value::Object(_)) => check_at(&format!("{path}.{key}"), sub, v)?,
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(sub)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check_at(&format!("{path}[{i}]"), sub, item)?;
        }
    }
    Ok(())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
