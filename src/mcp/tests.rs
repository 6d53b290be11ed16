//! Unit tests of `mcp`.

use super::*;

#[test]
fn every_method_round_trips_and_unknown_ones_do_not_parse() {
    for (m, name) in METHODS {
        assert_eq!(Method::parse(name), Some(m));
        assert_eq!(m.as_str(), name);
    }
    assert_eq!(Method::parse("tools/delete"), None);
}

#[test]
fn the_envelope_is_added_only_under_2026_07_28_and_spliced_into_raw_text() {
    let raw = |t: &str| ResultBody::Raw(Arc::from(t));
    let text = |b: ResultBody| match b {
        ResultBody::Raw(t) => t.to_string(),
        ResultBody::Json(v) => v.to_string(),
    };
    assert_eq!(text(envelope(raw(r#"{"a":1}"#), Method::CallTool, Version::V2025_11_25)), r#"{"a":1}"#);
    assert_eq!(
        text(envelope(raw(r#"{"a":1}"#), Method::CallTool, Version::V2026_07_28)),
        r#"{"a":1,"resultType":"complete"}"#
    );
    let listed = text(envelope(raw("{}"), Method::ListTools, Version::V2026_07_28));
    let v: Value = serde_json::from_str(&listed).expect("valid JSON");
    assert_eq!(v, json!({"resultType": "complete", "ttlMs": STATIC_TTL_MS, "cacheScope": "public"}));
    let hinted = envelope(
        ResultBody::Json(json!({"contents": [], "ttlMs": 0, "cacheScope": "private"})),
        Method::ReadResource,
        Version::V2026_07_28,
    );
    assert_eq!(text(hinted), r#"{"cacheScope":"private","contents":[],"resultType":"complete","ttlMs":0}"#);
}

#[test]
fn a_tool_value_is_encoded_once_and_non_objects_are_wrapped() {
    let ResultBody::Raw(t) = tool_success(&json!([1, "x"]), Version::V2025_11_25) else { panic!("raw") };
    let v: Value = serde_json::from_str(&t).expect("valid JSON");
    assert_eq!(v["content"][0]["text"], r#"[1,"x"]"#);
    assert_eq!(v["structuredContent"], json!({"result": [1, "x"]}));
    assert_eq!(v["structuredContent"], structured_content(&json!([1, "x"])));
    let ResultBody::Raw(t) = tool_success(&json!({"a": 1}), Version::V2025_03_26) else { panic!("raw") };
    assert_eq!(&*t, r#"{"content":[{"type":"text","text":"{\"a\":1}"}],"isError":false}"#);
}

#[test]
fn headers_must_repeat_the_body() {
    let params = json!({"name": "t", "_meta": {META_PROTOCOL_VERSION: "2026-07-28", META_CLIENT_CAPABILITIES: {}}});
    let params = params.as_object().expect("an object");
    let h = |v: &str, m: Option<&str>, n: Option<&str>| StatelessHeaders {
        protocol_version: v.into(),
        method: m.map(Into::into),
        name: n.map(Into::into),
    };
    let code = |h: StatelessHeaders| stateless_era("tools/call", params, Some(&h)).err().map(|e| e.code.0);
    assert_eq!(code(h("2026-07-28", Some("tools/call"), Some("t"))), None);
    assert_eq!(code(h("2026-07-28", Some("tools/call"), Some("u"))), Some(HEADER_MISMATCH));
    assert_eq!(code(h("2026-07-28", Some("tools/list"), Some("t"))), Some(HEADER_MISMATCH));
    assert_eq!(code(h("2026-07-28", None, Some("t"))), Some(HEADER_MISMATCH));
    assert_eq!(code(h("2025-11-25", Some("tools/call"), Some("t"))), Some(HEADER_MISMATCH));
}
