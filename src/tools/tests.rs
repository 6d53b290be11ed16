//! Unit tests of the tool table and machinery: every declaration is well formed, every input-schema keyword a tool
//! uses is one the validator enforces, and replies are redacted and shape-checked.

use super::*;
use std::collections::HashSet;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn names_are_unique_and_valid() {
    let mut seen = HashSet::new();
    for t in TOOLS {
        assert!(seen.insert(t.name), "duplicate tool {}", t.name);
        assert!(
            (1..=128).contains(&t.name.len())
                && t.name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)),
            "bad tool name {}",
            t.name
        );
        assert!(!t.description.is_empty() && !t.title.is_empty(), "{} needs a title and description", t.name);
    }
}

#[test]
fn the_table_has_the_reference_tool_count_and_modes() {
    assert_eq!(TOOLS.len(), 71);
    let read_only: Vec<&str> = TOOLS.iter().filter(|t| t.offered_in(Mode::ReadOnly)).map(|t| t.name).collect();
    assert_eq!(read_only.len(), 36, "{read_only:?}");
    for name in [
        "create_heartbeat",
        "update_heartbeat",
        "delete_heartbeat",
        "send_heartbeat_ping",
        "execute_custom_check",
        "execute_existing_check",
    ] {
        assert!(!read_only.contains(&name), "{name} changes things and must not be offered in read_only mode");
    }
    assert!(TOOLS.iter().all(|t| t.offered_in(Mode::ReadWrite)));
}

#[test]
fn schemas_are_objects_and_params_unique() {
    for t in TOOLS {
        let s = t.input_schema();
        assert_eq!(s["type"], "object", "{}", t.name);
        let mut names = HashSet::new();
        for p in t.params() {
            assert!(names.insert(p.name), "{}: duplicate param {}", t.name, p.name);
            // A free-form object or a list of records has fields the schema does not show: its description names them.
            if matches!(p.ty, Ty::Object | Ty::Records { .. }) {
                assert!(!p.description.is_empty(), "{}: {} needs a description", t.name, p.name);
            }
            // Ids are strings, never integers (the reference's get_page_details took an integer).
            if p.name.ends_with("_id") {
                assert!(matches!(p.ty, Ty::Id), "{}: {} must be a string id", t.name, p.name);
            }
            if p.name == "page" {
                assert!(matches!(p.ty, Ty::Int { min: 1, .. }), "{}: page starts at 1", t.name);
            }
            if matches!(p.name, "page_size" | "per_page") {
                assert!(matches!(p.ty, Ty::Int { min: 1, max: 100 }), "{}: {} is 1..=100", t.name, p.name);
            }
        }
        assert!(t.param("kwargs").is_none(), "{}: no kwargs parameter", t.name);
        if let Action::Api { path, query, body, method } = &t.action {
            assert!(path.starts_with("/v1/"), "{}: {path}", t.name);
            // Every placeholder of an API path is a required id parameter.
            for part in path.split('{').skip(1) {
                let name = part.split('}').next().unwrap();
                let p = t.param(name).unwrap_or_else(|| panic!("{}: {name}", t.name));
                assert!(
                    p.required && matches!(p.ty, Ty::Id),
                    "{}: path parameter {name} must be a required id",
                    t.name
                );
            }
            for (arg, _) in query.iter() {
                assert!(t.param(arg).is_some(), "{}: query {arg}", t.name);
            }
            match body {
                Body::Fields(f) => {
                    for (arg, _) in f.iter() {
                        assert!(t.param(arg).is_some(), "{}: body {arg}", t.name);
                    }
                }
                Body::Arg(arg) => {
                    assert!(t.param(arg).is_some_and(|p| p.required), "{}: the body argument {arg} is required", t.name)
                }
                Body::Literal(text) => {
                    assert!(serde_json::from_str::<Value>(text).is_ok(), "{}: literal body is JSON", t.name)
                }
                Body::None | Body::Params => {}
            }
            assert_eq!(
                *method == Method::Get,
                t.effect == Effect::Read,
                "{}: GET exactly for read tools (custom tools aside)",
                t.name
            );
        }
    }
}

#[test]
fn empty_arguments_fail_exactly_when_something_is_required() {
    for t in TOOLS {
        let needs = t.params().any(|p| p.required);
        assert_eq!(t.validate(&Map::new()).is_err(), needs, "{}", t.name);
    }
}

// ---- Input schemas use only keywords the validator enforces ---------------------------------------------------

/// The keywords a parameter schema may use; each is enforced by `Param::check` (proved below).
const PARAM_KEYWORDS: &[&str] = &[
    "type",
    "description",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "enum",
    "items",
    "maxItems",
    "properties",
    "required",
    "additionalProperties",
    "format",
];

fn keywords_of(schema: &Value, out: &mut Vec<String>) {
    if let Value::Object(map) = schema {
        for (k, v) in map {
            out.push(k.clone());
            match k.as_str() {
                "properties" => v.as_object().into_iter().flatten().for_each(|(_, s)| keywords_of(s, out)),
                "items" | "additionalProperties" => keywords_of(v, out),
                _ => {}
            }
        }
    }
}

/// A value that satisfies `schema`.
fn valid_sample(schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("string") if schema.get("format").is_some() => json!("2026-11-01T00:00:00Z"),
        Some("string") => match schema.get("enum").and_then(Value::as_array) {
            Some(values) => values[0].clone(),
            None => json!("x"),
        },
        Some("integer") => schema["minimum"].clone(),
        Some("boolean") => json!(true),
        Some("array") => json!([valid_sample(&schema["items"])]),
        Some("object") => {
            let mut out = Map::new();
            for (k, s) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
                out.insert(k.clone(), valid_sample(s));
            }
            if let Some(extra @ Value::Object(_)) = schema.get("additionalProperties") {
                out.insert("extra".into(), valid_sample(extra));
            }
            Value::Object(out)
        }
        other => panic!("no sample for type {other:?}"),
    }
}

/// Values that each break one keyword of `schema` (and satisfy the rest where possible).
fn violations(schema: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let wrong_type = match schema["type"].as_str() {
        Some("string") => json!(5),
        Some("integer") => json!("5"),
        Some("boolean") => json!("true"),
        Some("array") => json!({}),
        Some("object") => json!([]),
        other => panic!("unknown type {other:?}"),
    };
    out.push(("type".to_owned(), wrong_type));
    if schema.get("format").is_some() {
        out.push(("format".into(), json!("yesterday")));
    }
    if schema.get("minLength").and_then(Value::as_u64) == Some(1) {
        out.push(("minLength".into(), json!("")));
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        out.push(("maxLength".into(), json!("y".repeat(max as usize + 1))));
    }
    if let Some(min) = schema.get("minimum").and_then(Value::as_i64) {
        out.push(("minimum".into(), json!(min - 1)));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_i64) {
        out.push(("maximum".into(), json!(max + 1)));
    }
    if schema.get("enum").is_some() {
        out.push(("enum".into(), json!("not-one-of-them")));
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
        let item = valid_sample(&schema["items"]);
        out.push(("maxItems".into(), Value::Array(vec![item; max as usize + 1])));
    }
    if let Some(items) = schema.get("items") {
        for (kw, bad) in violations(items) {
            out.push((format!("items.{kw}"), json!([bad])));
        }
    }
    if schema["type"] == "object" {
        let base = valid_sample(schema);
        for (key, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
            for (kw, bad) in violations(sub) {
                let mut v = base.clone();
                v[key] = bad;
                out.push((format!("properties.{key}.{kw}"), v));
            }
        }
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let mut v = base.clone();
            v.as_object_mut().unwrap().remove(key.as_str().unwrap());
            out.push((format!("required.{key}"), v));
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(false)) => {
                let mut v = base.clone();
                v["unexpected"] = json!("x");
                out.push(("additionalProperties".into(), v));
            }
            Some(sub @ Value::Object(_)) => {
                for (kw, bad) in violations(sub) {
                    let mut v = base.clone();
                    v["extra"] = bad;
                    out.push((format!("additionalProperties.{kw}"), v));
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn input_schemas_use_only_keywords_the_validator_enforces() {
    for t in TOOLS {
        let schema = t.input_schema();
        let top: HashSet<&str> = schema.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(
            top.is_subset(&HashSet::from(["type", "properties", "required", "additionalProperties"])),
            "{}",
            t.name
        );
        assert_eq!(schema["additionalProperties"], false, "{}", t.name);
        for p in t.params() {
            let s = p.schema();
            let mut used = Vec::new();
            keywords_of(&s, &mut used);
            for kw in &used {
                assert!(PARAM_KEYWORDS.contains(&kw.as_str()), "{}.{}: keyword {kw} is not validated", t.name, p.name);
            }
            assert!(p.check(&valid_sample(&s)).is_ok(), "{}.{}: a valid sample is refused", t.name, p.name);
            for (kw, bad) in violations(&s) {
                assert!(p.check(&bad).is_err(), "{}.{}: {kw} is not enforced (accepted {bad})", t.name, p.name);
            }
        }
    }
}

#[test]
fn unknown_and_missing_arguments_are_refused_for_every_tool() {
    for t in TOOLS {
        let mut args: Map<String, Value> =
            t.params().filter(|p| p.required).map(|p| (p.name.to_owned(), valid_sample(&p.schema()))).collect();
        assert!(t.validate(&args).is_ok(), "{}", t.name);
        for p in t.params().filter(|p| p.required) {
            let mut fewer = args.clone();
            fewer.remove(p.name);
            assert!(t.validate(&fewer).is_err(), "{}: {} is required", t.name, p.name);
        }
        args.insert("no_such_argument".into(), json!(1));
        assert!(t.validate(&args).is_err(), "{}", t.name);
    }
}

#[test]
fn validation_names_the_field() {
    let t = find("list_pages").unwrap();
    let e = t.validate(&obj(json!({"page": 0}))).unwrap_err().to_string();
    assert_eq!(e, "invalid arguments for list_pages: \"page\" must be an integer of at least 1, got 0");
    assert!(t.validate(&obj(json!({"pgae": 1}))).unwrap_err().to_string().contains("unknown argument \"pgae\""));
    let t = find("get_page_details").unwrap();
    let e = t.validate(&obj(json!({"page_id": 12}))).unwrap_err().to_string();
    assert!(e.contains("\"page_id\" must be a non-empty string id"), "{e}");
    let t = find("update_check_secrets").unwrap();
    let e = t
        .validate(&obj(json!({"check_id": "c", "secrets": [{"secret_id": "s", "env_variable": "X"}]})))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"secrets\"[0] has unknown field \"env_variable\"; accepted: secret_id, env_var_name"), "{e}");
    let t = find("create_incident").unwrap();
    let e = t
        .validate(&obj(json!({"page_id": "p", "name": "n", "status": "investigating", "components": {"c1": "down"}})))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"components\".c1 must be one of operational"), "{e}");
}

#[test]
fn a_secret_argument_is_never_repeated_in_an_error() {
    let t = find("create_secret").unwrap();
    let long = "s3cr3t".repeat(2000);
    for value in [json!(long), json!(["s3cr3t-in-a-list"]), json!("")] {
        let e = t.validate(&obj(json!({"name": "N", "value": value}))).unwrap_err().to_string();
        assert!(!e.contains("s3cr3t"), "{e}");
        assert!(e.contains("\"value\""), "{e}");
    }
}

#[test]
fn records_are_renamed_for_the_api() {
    let t = find("update_check_secrets").unwrap();
    let p = t.param("secrets").unwrap();
    let v = p.api_value(&json!([{"secret_id": "s1", "env_var_name": "TOKEN"}]));
    assert_eq!(v, json!([{"secret_id": "s1", "env_variable": "TOKEN"}]));
}

#[test]
fn paths_and_queries_are_encoded() {
    let args = obj(json!({"page_id": "a/b c", "page": 2, "flag": true}));
    let url = request_path("/v1/pages/{page_id}", &[("page", "page"), ("missing", "x"), ("flag", "f")], &args);
    assert_eq!(url, "/v1/pages/a%2Fb%20c?page=2&f=true");
    let url = request_path("/v1/x?page=1", &[("page", "p")], &args);
    assert_eq!(url, "/v1/x?page=1&p=2");
}

#[test]
fn empty_replies_are_confirmed() {
    let args = obj(json!({"page_id": "p1"}));
    let v = confirm_empty_reply(Method::Delete, "/v1/pages/{page_id}", &args, Value::Null);
    assert_eq!(v, json!({"success": true, "deleted": true, "page_id": "p1"}));
}

#[test]
fn secret_values_are_redacted_at_any_depth_and_nulls_stay() {
    let mut v = json!({
        "secret_value": "a",
        "secrets": [{"secret_value": null, "secret": {"secret_value": "b"}}],
        "other": "secret_value",
    });
    redact_secrets(&mut v);
    assert_eq!(
        v,
        json!({
            "secret_value": REDACTED,
            "secrets": [{"secret_value": null, "secret": {"secret_value": REDACTED}}],
            "other": "secret_value",
        })
    );
}

#[test]
fn output_schemas_use_only_checked_keywords_and_accept_their_own_samples() {
    fn walk(schema: &Value, name: &str) {
        for (k, v) in schema.as_object().unwrap() {
            assert!(
                ["type", "properties", "required", "items", "additionalProperties"].contains(&k.as_str()),
                "{name}: output keyword {k}"
            );
            match k.as_str() {
                "properties" => v.as_object().unwrap().values().for_each(|s| walk(s, name)),
                "items" => walk(v, name),
                _ => {}
            }
        }
    }
    for t in TOOLS {
        if let Some(schema) = t.output_schema {
            let s = schema();
            assert_eq!(s["type"], "object", "{}: structuredContent is an object", t.name);
            walk(&s, t.name);
        }
    }
}

#[test]
fn conformance_names_the_first_mismatch() {
    let s = shape::envelope("checks");
    assert!(shape::conforms(&s, &json!({"checks": [{"id": "c"}], "pagination": {}})).is_ok());
    assert!(shape::conforms(&s, &json!({"checks": [], "extra": 1})).is_ok());
    assert_eq!(shape::conforms(&s, &json!({"pagination": {}})).unwrap_err(), "$ lacks the required field \"checks\"");
    assert_eq!(
        shape::conforms(&s, &json!({"checks": [{"id": "c"}, 3]})).unwrap_err(),
        "$.checks[1] should be of type object, got number"
    );
    assert!(shape::conforms(&shape::record(), &json!({"id": 5})).is_err());
    assert!(shape::conforms(&shape::pages_list(), &json!({"result": [{"id": "p"}]})).is_ok());
}

#[test]
fn secret_arguments_quoted_back_are_scrubbed() {
    let mut v = json!({"message": "stored hunter2-value", "list": ["x hunter2-value y"], "hunter2-value": 1});
    scrub_strings(&mut v, &["hunter2-value"]);
    assert!(!v.to_string().contains("hunter2"), "{v}");
    assert_eq!(v["message"], format!("stored {REDACTED}"));
    assert_eq!(scrub("a hunter2-value b", &["hunter2-value"]), format!("a {REDACTED} b"));
}

/// The budgets of the model-facing part of `tools/list` (name, description and input schema as compact JSON), in
/// bytes: what every conversation pays before the first question (SPEC_NOTES.md, "Toolsets and lean definitions").
pub const BUDGET_ALL_TOOLS: usize = 36_000;
/// The budget of the read-only tools (the default mode).
pub const BUDGET_READ_TOOLS: usize = 12_000;

#[test]
fn tool_definitions_stay_within_their_budgets() {
    let bytes = |mode: Mode| -> usize {
        TOOLS.iter().filter(|t| t.offered_in(mode)).map(|t| t.model_facing().to_string().len()).sum()
    };
    let (all, read) = (bytes(Mode::ReadWrite), bytes(Mode::ReadOnly));
    assert!(all <= BUDGET_ALL_TOOLS, "all 71 tools cost {all} bytes, over the budget of {BUDGET_ALL_TOOLS}");
    assert!(read <= BUDGET_READ_TOOLS, "the 36 read tools cost {read} bytes, over the budget of {BUDGET_READ_TOOLS}");
}

#[test]
fn descriptions_do_not_repeat_what_the_schema_or_the_instructions_say() {
    for t in TOOLS {
        // Where ids come from is said once, in the server instructions.
        assert!(!t.description.contains(" ids come from "), "{}: {}", t.name, t.description);
        for p in t.params() {
            for said in ["1 to 100", "characters", "The status page id", "Items per page", "Page number"] {
                assert!(!p.description.contains(said), "{}.{}: {:?} repeats the schema", t.name, p.name, p.description);
            }
        }
    }
}

/// Every value that fills a path placeholder is an id, so [`crate::ids::check_segment`] has vetted it: no tool can
/// send `..` or `/` into a path through a parameter of another type.
#[test]
fn every_path_placeholder_is_an_id_parameter() {
    for t in TOOLS {
        let Action::Api { path, .. } = &t.action else { continue };
        for part in path.split('{').skip(1) {
            let name = part.split('}').next().unwrap_or_default();
            let p = t.param(name).unwrap_or_else(|| panic!("{}: {{{name}}} is no parameter", t.name));
            assert!(matches!(p.ty, Ty::Id) && p.required, "{}: {{{name}}} must be a required id", t.name);
        }
    }
    // The custom tools fill these placeholders from parameters of the same names.
    for (tool, name) in [
        ("list_components", "page_id"),
        ("list_incidents", "page_id"),
        ("get_incident_update_details", "incident_id"),
        ("get_incident_update_details", "page_id"),
        ("get_check_statistics", "check_id"),
    ] {
        let t = find(tool).unwrap_or_else(|| panic!("{tool} is in the table"));
        let p = t.param(name).unwrap_or_else(|| panic!("{tool}: {name} is no parameter"));
        assert!(matches!(p.ty, Ty::Id) && p.required, "{tool}: {name} must be a required id");
    }
}

#[test]
fn ids_that_could_change_the_path_are_invalid_arguments() {
    let t = find("remove_secret_from_check").expect("in the table");
    for bad in ["..", ".", "", "a/b", "%2e%2e", "a?b", "a#b", "a\\b", "a\u{0}"] {
        let args = obj(json!({"check_id": bad, "secret_id": "s1"}));
        let e = t.validate(&args).expect_err(bad);
        assert!(matches!(e, ToolError::InvalidArguments { .. }), "{bad:?}: {e}");
    }
    assert!(t.validate(&obj(json!({"check_id": "c1", "secret_id": "s1"}))).is_ok());
}
