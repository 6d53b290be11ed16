//! Tool parameters: how each declared [`Param`] becomes its JSON Schema, how an argument is checked against it, and
//! how a checked argument becomes the value the API receives.
//!
//! Invariant: the schema a client sees and the check an argument passes are derived from the same [`Ty`], so they
//! cannot disagree; an error message never repeats a secret argument's value.

use serde_json::{json, Map, Value};

use crate::ids;

/// A tool parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// The argument name.
    pub name: &'static str,
    /// Its type and bounds.
    pub ty: Ty,
    /// Whether it must be given.
    pub required: bool,
    /// Where its value comes from, or what the name and the schema do not say; empty when they say it all.
    pub description: &'static str,
}

/// A parameter type: the subset of JSON Schema the tools need, which the validator checks in full.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// A non-empty string identifier.
    Id,
    /// A string, with a maximum length.
    Str {
        /// The largest accepted length in characters.
        max_len: usize,
    },
    /// An ISO 8601 date or date-time (`format: date-time` in the schema, the form the model should send).
    Date,
    /// A non-empty secret string: like [`Ty::Str`], but an error message never repeats the value.
    Secret {
        /// The largest accepted length in characters.
        max_len: usize,
    },
    /// An integer in `[min, max]`.
    Int {
        /// The smallest accepted value.
        min: i64,
        /// The largest accepted value.
        max: i64,
    },
    /// true or false.
    Bool,
    /// One of the given strings.
    Enum(&'static [&'static str]),
    /// A free-form JSON object (its main fields belong in the description).
    Object,
    /// An object whose values are strings, out of the given set unless it is empty (e.g. `{component_id:
    /// status}` or HTTP headers).
    StrMap(&'static [&'static str]),
    /// A list of at most `max_items` non-empty string ids.
    IdList {
        /// The largest accepted number of ids.
        max_items: usize,
    },
    /// A list of at most `max_items` records whose fields are all required non-empty strings. Each field is
    /// (argument name, API name), so a record can be renamed on its way to the API.
    Records {
        /// The fields of every record.
        fields: &'static [(&'static str, &'static str)],
        /// The largest accepted number of records.
        max_items: usize,
    },
}

impl Param {
    /// A required string id.
    pub const fn id(name: &'static str, description: &'static str) -> Param {
        Param { name, ty: Ty::Id, required: true, description }
    }

    /// An optional string id.
    pub const fn opt_id(name: &'static str, description: &'static str) -> Param {
        Param { name, ty: Ty::Id, required: false, description }
    }

    /// An optional string of at most `max_len` characters.
    pub const fn string(name: &'static str, max_len: usize, description: &'static str) -> Param {
        Param { name, ty: Ty::Str { max_len }, required: false, description }
    }

    /// A required secret string of at most `max_len` characters.
    pub const fn secret(name: &'static str, max_len: usize, description: &'static str) -> Param {
        Param { name, ty: Ty::Secret { max_len }, required: true, description }
    }

    /// An optional ISO 8601 date-time string.
    pub const fn date(name: &'static str, description: &'static str) -> Param {
        Param { name, ty: Ty::Date, required: false, description }
    }

    /// An optional integer in `[min, max]`.
    pub const fn int(name: &'static str, min: i64, max: i64, description: &'static str) -> Param {
        Param { name, ty: Ty::Int { min, max }, required: false, description }
    }

    /// An optional boolean.
    pub const fn boolean(name: &'static str, description: &'static str) -> Param {
        Param { name, ty: Ty::Bool, required: false, description }
    }

    /// An optional enumeration.
    pub const fn one_of(name: &'static str, values: &'static [&'static str], description: &'static str) -> Param {
        Param { name, ty: Ty::Enum(values), required: false, description }
    }

    /// An optional free-form object.
    pub const fn object(name: &'static str, description: &'static str) -> Param {
        Param { name, ty: Ty::Object, required: false, description }
    }

    /// An optional object of strings (out of `values` unless empty).
    pub const fn str_map(name: &'static str, values: &'static [&'static str], description: &'static str) -> Param {
        Param { name, ty: Ty::StrMap(values), required: false, description }
    }

    /// An optional list of ids.
    pub const fn id_list(name: &'static str, max_items: usize, description: &'static str) -> Param {
        Param { name, ty: Ty::IdList { max_items }, required: false, description }
    }

    /// An optional list of records.
    pub const fn records(
        name: &'static str,
        fields: &'static [(&'static str, &'static str)],
        max_items: usize,
        description: &'static str,
    ) -> Param {
        Param { name, ty: Ty::Records { fields, max_items }, required: false, description }
    }

    /// The page number parameter (1-based).
    pub const fn page() -> Param {
        Param::int("page", 1, i64::MAX, "")
    }

    /// A page size parameter (1 to 100) under the given name.
    pub const fn page_size(name: &'static str) -> Param {
        Param::int(name, 1, 100, "")
    }

    /// The same parameter, required.
    pub const fn required(mut self) -> Param {
        self.required = true;
        self
    }

    pub(super) fn schema(&self) -> Value {
        let mut s = match self.ty {
            // The validator refuses an empty id with a clear message; `minLength: 1` on every id would cost the
            // model's context more than it tells it.
            Ty::Id => json!({"type": "string"}),
            Ty::Str { max_len } => json!({"type": "string", "maxLength": max_len}),
            Ty::Secret { max_len } => json!({"type": "string", "minLength": 1, "maxLength": max_len}),
            // A page number has no useful upper bound; the model need not read one.
            Ty::Int { min, max: i64::MAX } => json!({"type": "integer", "minimum": min}),
            Ty::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
            Ty::Date => json!({"type": "string", "format": "date-time"}),
            Ty::Bool => json!({"type": "boolean"}),
            Ty::Enum(values) => json!({"type": "string", "enum": values}),
            Ty::Object => json!({"type": "object", "additionalProperties": true}),
            Ty::StrMap([]) => {
                json!({"type": "object", "additionalProperties": {"type": "string"}})
            }
            Ty::StrMap(values) => {
                json!({"type": "object", "additionalProperties": {"type": "string", "enum": values}})
            }
            Ty::IdList { max_items } => {
                json!({"type": "array", "items": {"type": "string"}, "maxItems": max_items})
            }
            Ty::Records { fields, max_items } => {
                let properties: Map<String, Value> = fields
                    .iter()
                    .map(|(arg, _)| ((*arg).to_owned(), json!({"type": "string", "minLength": 1})))
                    .collect();
                let required: Vec<&str> = fields.iter().map(|(arg, _)| *arg).collect();
                json!({
                    "type": "array",
                    "items": {"type": "object", "properties": properties, "required": required,
                              "additionalProperties": false},
                    "maxItems": max_items,
                })
            }
        };
        // An empty description is one the name and the schema make unnecessary; sending "" would cost bytes.
        if !self.description.is_empty() {
            s["description"] = Value::from(self.description);
        }
        s
    }

    /// Checks one argument value; the error says what was expected.
    pub(super) fn check(&self, v: &Value) -> Result<(), String> {
        let name = self.name;
        match (self.ty, v) {
            (Ty::IdList { max_items }, Value::Array(items)) => {
                if items.len() > max_items {
                    return Err(format!("\"{name}\" may hold at most {max_items} ids, got {}", items.len()));
                }
                for (i, item) in items.iter().enumerate() {
                    let Some(id) = item.as_str() else {
                        return Err(format!("\"{name}\"[{i}] must be a string id, got {}", describe_value(item)));
                    };
                    if let Some(why) = ids::check_segment(id) {
                        return Err(format!("\"{name}\"[{i}] {why}, got {}", describe_value(item)));
                    }
                }
                return Ok(());
            }
            (Ty::Records { fields, max_items }, Value::Array(items)) => {
                if items.len() > max_items {
                    return Err(format!("\"{name}\" may hold at most {max_items} entries, got {}", items.len()));
                }
                let known: Vec<&str> = fields.iter().map(|(arg, _)| *arg).collect();
                for (i, item) in items.iter().enumerate() {
                    let Value::Object(record) = item else {
                        return Err(format!(
                            "\"{name}\"[{i}] must be an object with {}, got {}",
                            known.join(", "),
                            describe_value(item)
                        ));
                    };
                    if let Some(key) = record.keys().find(|k| !known.contains(&k.as_str())) {
                        return Err(format!(
                            "\"{name}\"[{i}] has unknown field \"{key}\"; accepted: {}",
                            known.join(", ")
                        ));
                    }
                    for field in &known {
                        match record.get(*field) {
                            Some(Value::String(s)) if !s.trim().is_empty() => {}
                            None | Some(Value::Null) => {
                                return Err(format!("\"{name}\"[{i}] is missing \"{field}\""));
                            }
                            Some(other) => {
                                return Err(format!(
                                    "\"{name}\"[{i}].{field} must be a non-empty string, got {}",
                                    describe_value(other)
                                ));
                            }
                        }
                    }
                }
                return Ok(());
            }
            (Ty::StrMap(values), Value::Object(map)) => {
                for (key, value) in map {
                    let ok = value.as_str().is_some_and(|s| values.is_empty() || values.contains(&s));
                    if !ok {
                        let expected = if values.is_empty() {
                            "a string".to_owned()
                        } else {
                            format!("one of {}", values.join(", "))
                        };
                        return Err(format!("\"{name}\".{key} must be {expected}, got {}", describe_value(value)));
                    }
                }
                return Ok(());
            }
            (Ty::Id, Value::String(s)) => {
                // Ids become path segments; one rule decides which values could change the path's meaning.
                return match ids::check_segment(s) {
                    Some(why) => Err(format!("\"{name}\" {why}, got {}", describe_value(v))),
                    None => Ok(()),
                };
            }
            (Ty::Secret { max_len }, Value::String(s)) => {
                let len = s.chars().count();
                // The value is secret, so the message gives its length only.
                return if len == 0 || len > max_len {
                    Err(format!("\"{name}\" must be a string of 1 to {max_len} characters, got {len} characters"))
                } else {
                    Ok(())
                };
            }
            _ => {}
        }
        let ok = match (self.ty, v) {
            (Ty::Str { max_len }, Value::String(s)) => s.chars().count() <= max_len,
            (Ty::Date, Value::String(s)) => is_iso_date(s),
            (Ty::Int { min, max }, Value::Number(n)) => n.as_i64().is_some_and(|i| (min..=max).contains(&i)),
            (Ty::Bool, Value::Bool(_)) => true,
            (Ty::Enum(values), Value::String(s)) => values.contains(&s.as_str()),
            (Ty::Object, Value::Object(_)) => true,
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let expected = match self.ty {
            Ty::Id => "a non-empty string id".to_owned(),
            Ty::Str { max_len } => format!("a string of at most {max_len} characters"),
            Ty::Int { min, max: i64::MAX } => format!("an integer of at least {min}"),
            Ty::Int { min, max } => format!("an integer from {min} to {max}"),
            Ty::Date => "an ISO 8601 date-time such as 2026-11-01T00:00:00Z".to_owned(),
            Ty::Bool => "true or false".to_owned(),
            Ty::Enum(values) => format!("one of {}", values.join(", ")),
            Ty::Object | Ty::StrMap(_) => "a JSON object".to_owned(),
            Ty::IdList { .. } => "a list of string ids".to_owned(),
            Ty::Records { fields, .. } => {
                let names: Vec<&str> = fields.iter().map(|(arg, _)| *arg).collect();
                format!("a list of objects with {}", names.join(", "))
            }
            // A wrong type says nothing about the value, which may be a secret typed into the wrong shape.
            Ty::Secret { .. } => return Err(format!("\"{name}\" must be a string")),
        };
        Err(format!("\"{name}\" must be {expected}, got {}", describe_value(v)))
    }

    /// The argument as the API wants it: records get their API field names; everything else is sent as given.
    pub(super) fn api_value(&self, v: &Value) -> Value {
        match (self.ty, v) {
            (Ty::Records { fields, .. }, Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|item| {
                        Value::Object(
                            fields
                                .iter()
                                .filter_map(|(arg, api)| item.get(*arg).map(|x| ((*api).to_owned(), x.clone())))
                                .collect(),
                        )
                    })
                    .collect(),
            ),
            _ => v.clone(),
        }
    }
}

/// Whether `v` is an ISO 8601 date (`YYYY-MM-DD`) or date-time (`T` and a time of digits, `:`, `.`, and a `Z` or
/// offset, at most 40 characters). The API parses the value; this only keeps text that is not a date from it.
pub fn is_iso_date(v: &str) -> bool {
    let b = v.as_bytes();
    let date_ok = b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
        && (1..=12).contains(&v[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&v[8..10].parse::<u8>().unwrap_or(0));
    let rest = if date_ok { &v[10..] } else { "" };
    date_ok
        && (rest.is_empty()
            || (rest.starts_with('T')
                && rest.len() <= 40
                && rest[1..].bytes().all(|c| c.is_ascii_digit() || b":.+-Z".contains(&c))))
}

fn describe_value(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}
