//! Request-body validation in the style of marshmallow/flask-smorest: a model is a static list of writable
//! fields with a type, and a body either validates into an [`Object`] of those fields or yields a 422 whose
//! `errors.json` maps each bad field to its messages.
//!
//! Invariant: nothing here looks at the store; cross-resource checks (does this `group_id` exist?) are the
//! handlers' job.

use super::router::ApiError;
use super::store::{format_unix, parse_iso, Object};
use serde_json::{Map, Value};

/// The type and bounds of one writable field.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A string whose length (in characters) is within `min..=max`.
    Str(usize, usize),
    /// A string out of a fixed set.
    Enum(&'static [&'static str]),
    /// An integer within `min..=max`.
    Int(i64, i64),
    Bool,
    /// A JSON object.
    Object,
    /// Anything at all.
    Any,
    /// An ISO 8601 datetime, stored normalised to `YYYY-MM-DDTHH:MM:SSZ`.
    DateTime,
    /// A string of at most `max` characters accepted by the predicate.
    Pattern(fn(&str) -> bool, usize),
    /// A list of at least `min` strings.
    StrList(usize),
}

/// A model: its writable fields and which of them a create must carry.
pub struct Schema {
    pub fields: &'static [(&'static str, Kind)],
    pub required: &'static [&'static str],
}

/// Validates `body` against `schema`. With `partial` (PATCH/PUT models whose fields are all optional) the
/// required list is not enforced. Unknown fields are rejected like marshmallow's default `RAISE` does.
pub fn validate(body: &Value, schema: &Schema, partial: bool) -> Result<Object, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::invalid_json_field("_schema", "Invalid input type."));
    };
    let mut out = Object::new();
    let mut errors = Map::new();
    for (key, value) in map {
        let Some((_, kind)) = schema.fields.iter().find(|(name, _)| name == key) else {
            errors.insert(key.clone(), Value::from(vec!["Unknown field."]));
            continue;
        };
        if value.is_null() {
            if schema.required.contains(&key.as_str()) {
                errors.insert(key.clone(), Value::from(vec!["Field may not be null."]));
            } else {
                out.insert(key.clone(), Value::Null);
            }
            continue;
        }
        match check(value, *kind) {
            Ok(v) => {
                out.insert(key.clone(), v);
            }
            Err(msg) => {
                errors.insert(key.clone(), Value::from(vec![msg]));
            }
        }
    }
    if !partial {
        for name in schema.required {
            if !map.contains_key(*name) {
                errors.insert((*name).to_string(), Value::from(vec!["Missing data for required field."]));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::unprocessable("json", errors))
    }
}

/// The defaults of a model as an object, for creates and for PUT, which resets omitted fields.
pub fn defaults(pairs: &[(&str, Value)]) -> Object {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Resets every writable field of `target` to its default (for PUT), except the required ones, which a
/// resource cannot lose and a PUT body may omit.
pub fn reset_to_defaults(target: &mut Object, defaults: &Object, required: &[&str]) {
    for (k, v) in defaults {
        if !required.contains(&k.as_str()) {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// Checks one non-null value; the error strings are marshmallow's.
pub fn check(value: &Value, kind: Kind) -> Result<Value, String> {
    match kind {
        Kind::Str(min, max) => {
            let s = value.as_str().ok_or("Not a valid string.")?;
            let len = s.chars().count();
            if len < min || len > max {
                return Err(if min == 0 {
                    format!("Longer than maximum length {max}.")
                } else {
                    format!("Length must be between {min} and {max}.")
                });
            }
            Ok(value.clone())
        }
        Kind::Enum(options) => match value.as_str() {
            Some(s) if options.contains(&s) => Ok(value.clone()),
            _ => Err(format!("Must be one of: {}.", options.join(", "))),
        },
        Kind::Int(min, max) => {
            let n = value.as_i64().ok_or("Not a valid integer.")?;
            if n < min || n > max {
                return Err(if max == i64::MAX {
                    format!("Must be greater than or equal to {min}.")
                } else {
                    format!("Must be greater than or equal to {min} and less than or equal to {max}.")
                });
            }
            Ok(value.clone())
        }
        Kind::Bool => value.as_bool().map(Value::from).ok_or_else(|| "Not a valid boolean.".into()),
        Kind::Object => {
            if value.is_object() {
                Ok(value.clone())
            } else {
                Err("Not a valid mapping type.".into())
            }
        }
        Kind::Any => Ok(value.clone()),
        Kind::DateTime => value
            .as_str()
            .and_then(parse_iso)
            .map(|t| Value::String(format_unix(t)))
            .ok_or_else(|| "Not a valid datetime.".into()),
        Kind::Pattern(accept, max) => {
            let s = value.as_str().ok_or("Not a valid string.")?;
            if s.chars().count() > max {
                return Err(format!("Longer than maximum length {max}."));
            }
            if !accept(s) {
                return Err("String does not match expected pattern.".into());
            }
            Ok(value.clone())
        }
        Kind::StrList(min) => {
            let items = value.as_array().ok_or("Not a valid list.")?;
            if items.iter().any(|v| !v.is_string()) {
                return Err("Not a valid string.".into());
            }
            if items.len() < min {
                return Err(format!("Shorter than minimum length {min}."));
            }
            Ok(value.clone())
        }
    }
}

/// `^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$` (page subdomains).
pub fn is_subdomain(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// `^#[0-9A-Fa-f]{6}$` (check group colours).
pub fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|c| c.is_ascii_hexdigit())
}

/// A plausible IANA zone name (`UTC`, `Europe/Moscow`, `America/Argentina/Buenos_Aires`); the real API
/// checks an enum of names, which is too long to carry here.
pub fn is_time_zone(s: &str) -> bool {
    s == "UTC"
        || (s.contains('/')
            && !s.starts_with('/')
            && !s.ends_with('/')
            && s.bytes().all(|c| c.is_ascii_alphanumeric() || b"/_-+".contains(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MODEL: Schema = Schema {
        fields: &[("name", Kind::Str(1, 5)), ("n", Kind::Int(1, 10)), ("e", Kind::Enum(&["a", "b"]))],
        required: &["name"],
    };

    #[test]
    fn reports_every_bad_field_with_marshmallow_messages() {
        let err = validate(&json!({"n": 11, "e": "c", "x": 1}), &MODEL, false).err().map(|e| e.body());
        assert_eq!(
            err,
            Some(json!({"code": 422, "status": "Unprocessable Entity", "message": "Validation failed",
                "errors": {"json": {
                    "name": ["Missing data for required field."],
                    "n": ["Must be greater than or equal to 1 and less than or equal to 10."],
                    "e": ["Must be one of: a, b."],
                    "x": ["Unknown field."]}}}))
        );
    }

    #[test]
    fn partial_skips_required_and_null_clears_optional() {
        let ok = validate(&json!({"n": null}), &MODEL, true).ok();
        assert_eq!(ok, Some(obj_of(json!({"n": null}))));
        assert!(validate(&json!({"name": null}), &MODEL, true).is_err());
        assert!(validate(&json!([1]), &MODEL, true).is_err());
    }

    #[test]
    fn patterns() {
        assert!(is_subdomain("status-1") && !is_subdomain("-x") && !is_subdomain("a_b"));
        assert!(is_hex_color("#A0b1C2") && !is_hex_color("A0b1C2") && !is_hex_color("#12345g"));
        assert!(is_time_zone("Europe/Moscow") && is_time_zone("UTC") && !is_time_zone("Mars"));
    }

    fn obj_of(v: Value) -> Object {
        v.as_object().cloned().unwrap_or_default()
    }
}
