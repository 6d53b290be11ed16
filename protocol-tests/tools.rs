//! End-to-end tests of every tool: the real binary over stdio in `read_write` mode against the in-repo API double.
//! Each call is checked three ways: the result (`isError`, fields, `structuredContent` against the tool's
//! advertised `outputSchema`), the request that reached the API (method, path, query, body) and the double's
//! store afterwards (a create exists, an update changed it, a delete removed it).
//!
//! Invariant: every tool in `TOOLS` belongs to exactly one area list below, and each area test calls every tool of
//! its list successfully ([`Session::finish`]), so a tool added without an end-to-end test fails the suite
//! (`every_tool_is_called_by_an_area_test`). No result may contain a secret value unless the session runs with
//! `PINGERA_SHOW_SECRET_VALUES=true`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use pingera_api_double::{self as seed, ApiDouble, DoubleOptions, RecordedRequest};
use pingera_mcp_server::tools::bound::compact;
use pingera_mcp_server::tools::{REDACTED, TOOLS};
use serde_json::{json, Value};

use crate::support::Proc;

/// A secret value that the tests create, and the one it is changed to.
const NEW_SECRET_VALUE: &str = "n3w-s3cr3t-value-three";
const UPDATED_SECRET_VALUE: &str = "upd4ted-s3cr3t-value-four";
/// Every secret value that must never appear in a result or a log by default.
const SECRET_VALUES: &[&str] =
    &[seed::SEED_SECRET_VALUE, seed::SEED_SECRET2_VALUE, NEW_SECRET_VALUE, UPDATED_SECRET_VALUE];

const PAGE_TOOLS: &[&str] =
    &["list_pages", "get_page_details", "create_page", "update_page", "patch_page", "delete_page"];
const COMPONENT_TOOLS: &[&str] = &[
    "list_component_groups",
    "list_components",
    "get_component_details",
    "create_component",
    "update_component",
    "patch_component",
    "delete_component",
];
const CHECK_TOOLS: &[&str] = &[
    "list_checks",
    "get_check_details",
    "get_check_results",
    "get_check_statistics",
    "list_check_jobs",
    "get_check_job_details",
    "get_unified_results",
    "get_unified_statistics",
    "execute_custom_check",
    "execute_existing_check",
    "get_on_demand_job_status",
    "list_on_demand_checks",
    "create_check",
    "update_check",
    "delete_check",
    "pause_check",
    "resume_check",
];
const GROUP_AND_SECRET_TOOLS: &[&str] = &[
    "list_check_groups",
    "get_check_group_details",
    "get_checks_in_group",
    "list_secrets",
    "get_secret_details",
    "get_check_secrets",
    "create_secret",
    "update_secret",
    "delete_secret",
    "add_secret_to_check",
    "update_check_secrets",
    "remove_secret_from_check",
];
const ALERT_TOOLS: &[&str] = &[
    "list_alerts",
    "get_alert_details",
    "get_alert_statistics",
    "list_alert_channels",
    "list_alert_rules",
    "create_alert",
    "update_alert",
    "delete_alert",
];
const HEARTBEAT_TOOLS: &[&str] = &[
    "list_heartbeats",
    "get_heartbeat_details",
    "create_heartbeat",
    "update_heartbeat",
    "delete_heartbeat",
    "send_heartbeat_ping",
    "get_heartbeat_logs",
];
const INCIDENT_TOOLS: &[&str] = &[
    "list_incidents",
    "get_incident_details",
    "get_incident_updates",
    "get_incident_update_details",
    "create_incident",
    "update_incident",
    "patch_incident",
    "delete_incident",
    "add_incident_update",
    "update_incident_update",
    "delete_incident_update",
];
const MISC_TOOLS: &[&str] =
    &["test_pingera_connection", "generate_synthetic_check_script", "generate_api_check_script"];
const AREAS: &[&[&str]] = &[
    PAGE_TOOLS,
    COMPONENT_TOOLS,
    CHECK_TOOLS,
    GROUP_AND_SECRET_TOOLS,
    ALERT_TOOLS,
    HEARTBEAT_TOOLS,
    INCIDENT_TOOLS,
    MISC_TOOLS,
];

/// One server process against one fresh double, speaking 2025-11-25 (so results carry `structuredContent` and
/// tools their `outputSchema`).
struct Session {
    double: ApiDouble,
    proc: Proc,
    next_id: i64,
    /// The `outputSchema` of each listed tool that has one, as `tools/list` advertised it.
    output_schemas: BTreeMap<String, Value>,
    /// The tools this session must call successfully before [`Session::finish`].
    covers: &'static [&'static str],
    called: BTreeSet<String>,
    /// The API requests of the last call.
    last: Vec<RecordedRequest>,
    /// Whether results may contain secret values (`PINGERA_SHOW_SECRET_VALUES=true`).
    secrets_visible: bool,
}

impl Session {
    fn start(covers: &'static [&'static str], extra_env: &[(&str, &str)]) -> Session {
        let double = ApiDouble::spawn(DoubleOptions::default()).expect("the API double starts");
        let base = double.base_url();
        let mut env = vec![("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", "tools-test-key")];
        if !extra_env.iter().any(|(k, _)| *k == "PINGERA_MODE") {
            env.push(("PINGERA_MODE", "read_write"));
        }
        env.extend_from_slice(extra_env);
        let secrets_visible = extra_env.contains(&("PINGERA_SHOW_SECRET_VALUES", "true"));
        let mut proc = Proc::start(&env, &[]);
        proc.initialize("2025-11-25");
        let mut s = Session {
            double,
            proc,
            next_id: 1,
            output_schemas: BTreeMap::new(),
            covers,
            called: BTreeSet::new(),
            last: Vec::new(),
            secrets_visible,
        };
        for tool in s.list_tools() {
            if let (Some(name), Some(schema)) = (tool["name"].as_str(), tool.get("outputSchema")) {
                s.output_schemas.insert(name.to_owned(), schema.clone());
            }
        }
        s
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let reply = self.proc.request(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        assert_eq!(reply["id"], id, "replies come in order here: {reply}");
        reply
    }

    /// Every tool `tools/list` offers, following cursors.
    fn list_tools(&mut self) -> Vec<Value> {
        let mut tools = Vec::new();
        let mut params = json!({});
        loop {
            let reply = self.request("tools/list", params);
            let result = &reply["result"];
            tools.extend(result["tools"].as_array().cloned().unwrap_or_default());
            match result.get("nextCursor") {
                Some(cursor) => params = json!({ "cursor": cursor }),
                None => return tools,
            }
        }
    }

    /// Calls a tool and returns the raw `tools/call` result, remembering the API requests it made.
    fn raw_call(&mut self, tool: &str, args: Value) -> Value {
        self.double.clear_requests();
        let reply = self.request("tools/call", json!({"name": tool, "arguments": args}));
        self.last = self.double.requests();
        let result = reply.get("result").cloned().unwrap_or_else(|| panic!("{tool}: no result: {reply}"));
        if !self.secrets_visible {
            let text = result.to_string();
            for secret in SECRET_VALUES {
                assert!(!text.contains(secret), "{tool}: a secret value leaked into the result: {text}");
            }
        }
        result
    }

    /// Calls a tool that must succeed; checks its `structuredContent` against the advertised output schema and
    /// returns it.
    fn call(&mut self, tool: &str, args: Value) -> Value {
        let result = self.raw_call(tool, args);
        assert_eq!(result["isError"], false, "{tool} failed: {result}");
        let text = result["content"][0]["text"].as_str().unwrap_or_else(|| panic!("{tool}: no text: {result}"));
        let parsed: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{tool}: text is not JSON ({e})"));
        let structured = result["structuredContent"].clone();
        assert!(structured.is_object(), "{tool}: structuredContent is an object: {result}");
        // The text is the compact form of the structured records: the same data without nulls and nested copies.
        let unwrapped = if parsed.is_object() { structured.clone() } else { structured["result"].clone() };
        assert_eq!(parsed, compact(&unwrapped), "{tool}: the text is the compact form of structuredContent");
        assert!(!text.contains(":null"), "{tool}: the text has no null fields: {text}");
        if let Some(schema) = self.output_schemas.get(tool) {
            if let Err(e) = validate(schema, &structured, "$") {
                panic!("{tool}: structuredContent does not match its outputSchema: {e}\n{structured}");
            }
        }
        self.called.insert(tool.to_owned());
        structured
    }

    /// Calls a tool that must fail with an `isError` result; returns its text.
    fn call_err(&mut self, tool: &str, args: Value) -> String {
        let result = self.raw_call(tool, args);
        assert_eq!(result["isError"], true, "{tool} should fail: {result}");
        result["content"][0]["text"].as_str().unwrap_or_default().to_owned()
    }

    /// The one API request the last call made.
    fn sent(&self) -> &RecordedRequest {
        assert_eq!(self.last.len(), 1, "exactly one API request: {:?}", self.last);
        &self.last[0]
    }

    /// Asserts the last call's single request: method, path, raw query and JSON body.
    fn assert_sent(&self, method: &str, path: &str, query: Option<&str>, body: Option<Value>) {
        let r = self.sent();
        assert_eq!((r.method.as_str(), r.path.as_str()), (method, path), "{r:?}");
        assert_eq!(r.query.as_deref(), query, "{r:?}");
        assert_eq!(r.body, body, "{r:?}");
    }

    /// One record of a store collection, by id.
    fn stored(&self, collection: &str, id: &str) -> Option<Value> {
        self.double.state()[collection].as_array()?.iter().find(|x| x["id"] == id).cloned()
    }

    fn stored_all(&self, collection: &str) -> Vec<Value> {
        self.double.state()[collection].as_array().cloned().unwrap_or_default()
    }

    /// Asserts that every tool of this area was called successfully.
    fn finish(self) {
        let missing: Vec<&&str> = self.covers.iter().filter(|t| !self.called.contains(**t)).collect();
        assert!(missing.is_empty(), "tools of this area never called successfully: {missing:?}");
    }
}

/// A JSON Schema validator for the subset the output schemas use: type, properties, required, items,
/// additionalProperties. Written independently of the server's own check, so that the two cross-check.
fn validate(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    for key in schema.as_object().map(|m| m.keys().collect::<Vec<_>>()).unwrap_or_default() {
        if !["type", "properties", "required", "items", "additionalProperties", "description"].contains(&key.as_str()) {
            return Err(format!("{at}: the test validator does not know the keyword {key}"));
        }
    }
    if let Some(ty) = schema.get("type").and_then(Value::as_str) {
        let ok = match ty {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.as_f64().is_some_and(|f| f.fract() == 0.0),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            other => return Err(format!("{at}: unknown type {other}")),
        };
        if !ok {
            return Err(format!("{at}: expected {ty}, got {v}"));
        }
    }
    if let Some(map) = v.as_object() {
        for req in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !map.contains_key(req.as_str().unwrap_or_default()) {
                return Err(format!("{at}: missing required {req}"));
            }
        }
        for (k, sub) in map {
            match schema.get("properties").and_then(|p| p.get(k)) {
                Some(s) => validate(s, sub, &format!("{at}.{k}"))?,
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => return Err(format!("{at}: unexpected {k}")),
                    Some(s @ Value::Object(_)) => validate(s, sub, &format!("{at}.{k}"))?,
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(s)) = (v.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(s, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().into_iter().flatten().filter_map(|x| x["id"].as_str()).collect()
}

fn new_id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("the reply carries an id: {v}")).to_owned()
}

#[test]
fn every_tool_is_called_by_an_area_test() {
    let mut seen = BTreeSet::new();
    for area in AREAS {
        for tool in *area {
            assert!(seen.insert(*tool), "{tool} is in two area lists");
        }
    }
    let all: BTreeSet<&str> = TOOLS.iter().map(|t| t.name).collect();
    let untested: Vec<&&str> = all.difference(&seen).collect();
    let unknown: Vec<&&str> = seen.difference(&all).collect();
    assert!(untested.is_empty(), "tools without an end-to-end test: {untested:?}");
    assert!(unknown.is_empty(), "area lists name tools that do not exist: {unknown:?}");
    assert_eq!(seen.len(), 71);
}

#[test]
fn status_page_tools() {
    let mut s = Session::start(PAGE_TOOLS, &[]);
    let pages = s.call("list_pages", json!({"page": 1, "per_page": 1}));
    s.assert_sent("GET", "/v1/pages", Some("page=1&page_size=1"), None);
    assert_eq!(ids(&pages["pages"]), [seed::SEED_PAGE_ID]);
    assert_eq!(pages["pagination"]["total_items"], 2);

    let page = s.call("get_page_details", json!({"page_id": seed::SEED_PAGE_ID}));
    s.assert_sent("GET", "/v1/pages/pgmain000001", None, None);
    assert_eq!(page["name"], "Acme Status");

    let args = json!({"name": "Ops status", "subdomain": "ops-status", "language": "en", "headline": "Ops",
                      "allow_rss_atom_feeds": false});
    let created = s.call("create_page", args.clone());
    s.assert_sent("POST", "/v1/pages", None, Some(args));
    let id = new_id(&created);
    let stored = s.stored("pages", &id).expect("the page exists");
    assert_eq!(
        (stored["subdomain"].as_str(), stored["allow_rss_atom_feeds"].as_bool()),
        (Some("ops-status"), Some(false))
    );

    s.call("patch_page", json!({"page_id": id, "city": "Moscow"}));
    s.assert_sent("PATCH", &format!("/v1/pages/{id}"), None, Some(json!({"city": "Moscow"})));
    let stored = s.stored("pages", &id).unwrap();
    assert_eq!((stored["city"].as_str(), stored["headline"].as_str()), (Some("Moscow"), Some("Ops")));

    let text = s.call_err("update_page", json!({"page_id": id}));
    assert!(text.contains("give at least one field to change"), "{text}");
    assert!(s.last.is_empty(), "an empty update sends nothing");
    s.call("update_page", json!({"page_id": id, "name": "Ops", "country": "RU"}));
    s.assert_sent("PUT", &format!("/v1/pages/{id}"), None, Some(json!({"name": "Ops", "country": "RU"})));
    let stored = s.stored("pages", &id).unwrap();
    // PUT replaces: the fields left out went back to their defaults.
    assert_eq!((stored["name"].as_str(), stored["country"].as_str()), (Some("Ops"), Some("RU")));
    assert!(stored["city"].is_null() && stored["headline"].is_null(), "{stored}");

    let deleted = s.call("delete_page", json!({"page_id": id}));
    s.assert_sent("DELETE", &format!("/v1/pages/{id}"), None, None);
    assert_eq!(deleted, json!({"success": true, "deleted": true, "page_id": id}));
    assert!(s.stored("pages", &id).is_none());
    s.finish();
}

#[test]
fn component_tools() {
    let mut s = Session::start(COMPONENT_TOOLS, &[]);
    let page = seed::SEED_PAGE_ID;
    let groups = s.call("list_component_groups", json!({"page_id": page, "show_deleted": true}));
    s.assert_sent("GET", "/v1/pages/pgmain000001/component-groups", None, None);
    assert_eq!(ids(&groups["result"]), [seed::SEED_COMPONENT_GROUP_ID], "only groups: {groups}");

    let all = s.call("list_components", json!({"page_id": page}));
    s.assert_sent("GET", "/v1/pages/pgmain000001/components", None, None);
    assert_eq!(
        ids(&all["result"]),
        [seed::SEED_COMPONENT_GROUP_ID, seed::SEED_COMPONENT_API_ID, seed::SEED_COMPONENT_WEB_ID]
    );
    let second = s.call("list_components", json!({"page_id": page, "page": 2, "page_size": 2}));
    s.assert_sent("GET", "/v1/pages/pgmain000001/components", None, None);
    assert_eq!(ids(&second["result"]), [seed::SEED_COMPONENT_WEB_ID], "page 2 of size 2");

    let one = s.call("get_component_details", json!({"page_id": page, "component_id": seed::SEED_COMPONENT_API_ID}));
    s.assert_sent("GET", "/v1/pages/pgmain000001/components/cmpapi000001", None, None);
    assert_eq!(one["group_id"], seed::SEED_COMPONENT_GROUP_ID);

    let created = s.call(
        "create_component",
        json!({"page_id": page, "name": "Payments", "group_id": seed::SEED_COMPONENT_GROUP_ID,
               "status": "operational"}),
    );
    // No model defaults are injected (the reference's SDK always added "group": false).
    let body = json!({"name": "Payments", "group_id": seed::SEED_COMPONENT_GROUP_ID, "status": "operational"});
    s.assert_sent("POST", "/v1/pages/pgmain000001/components", None, Some(body));
    let id = new_id(&created);
    assert_eq!(s.stored("components", &id).unwrap()["group_id"], seed::SEED_COMPONENT_GROUP_ID);

    s.call("patch_component", json!({"page_id": page, "component_id": id, "status": "major_outage"}));
    s.assert_sent("PATCH", &format!("/v1/pages/{page}/components/{id}"), None, Some(json!({"status": "major_outage"})));
    let stored = s.stored("components", &id).unwrap();
    assert_eq!((stored["status"].as_str(), stored["group_id"].as_str()), (Some("major_outage"), Some("cmpgroup0001")));

    let text = s.call_err("update_component", json!({"page_id": page, "component_id": id, "name": "X", "kwargs": ""}));
    assert!(text.contains("unknown argument \"kwargs\""), "{text}");
    s.call(
        "update_component",
        json!({"page_id": page, "component_id": id, "name": "Payments API", "description": "Card payments"}),
    );
    let body = json!({"name": "Payments API", "description": "Card payments"});
    s.assert_sent("PUT", &format!("/v1/pages/{page}/components/{id}"), None, Some(body));
    let stored = s.stored("components", &id).unwrap();
    assert_eq!(
        (stored["name"].as_str(), stored["description"].as_str()),
        (Some("Payments API"), Some("Card payments"))
    );

    s.call("delete_component", json!({"page_id": page, "component_id": id}));
    s.assert_sent("DELETE", &format!("/v1/pages/{page}/components/{id}"), None, None);
    assert!(s.stored("components", &id).is_none());
    s.finish();
}

#[test]
fn check_tools() {
    let mut s = Session::start(CHECK_TOOLS, &[]);
    let web = seed::SEED_CHECK_WEB_ID;
    let api = seed::SEED_CHECK_API_ID;
    let checks = s.call("list_checks", json!({"page": 1, "page_size": 10, "type": "web", "name": "ACME"}));
    s.assert_sent("GET", "/v1/checks", Some("page=1&page_size=10&type=web&name=ACME"), None);
    assert_eq!(ids(&checks["checks"]), [web]);
    let paused = s.call("list_checks", json!({"status": "paused", "group_id": "ungrouped"}));
    s.assert_sent("GET", "/v1/checks", Some("status=paused&group_id=ungrouped"), None);
    assert_eq!(ids(&paused["checks"]), [seed::SEED_CHECK_TCP_ID]);

    let check = s.call("get_check_details", json!({"check_id": web}));
    s.assert_sent("GET", "/v1/checks/chkweb000001", None, None);
    assert_eq!(check["group"]["id"], seed::SEED_CHECK_GROUP_ID, "nested objects stay JSON");

    let results = s.call(
        "get_check_results",
        json!({"check_id": web, "from_date": "2026-11-24T09:50:00Z", "to_date": "2026-11-24T10:00:00Z",
               "page": 1, "page_size": 2}),
    );
    let query = "start_date=2026-11-24T09%3A50%3A00Z&end_date=2026-11-24T10%3A00%3A00Z&page=1&page_size=2";
    s.assert_sent("GET", "/v1/checks/chkweb000001/results", Some(query), None);
    assert_eq!(ids(&results["results"]), ["resweb000006", "resweb000005"]);
    assert_eq!(results["pagination"]["total_items"], 3);

    let stats = s.call("get_check_statistics", json!({"check_id": api}));
    let paths: Vec<(&str, &str, Option<&str>)> =
        s.last.iter().map(|r| (r.method.as_str(), r.path.as_str(), r.query.as_deref())).collect();
    assert_eq!(
        paths,
        [
            ("GET", "/v1/checks/chkapi000001/uptime", None),
            ("GET", "/v1/checks/chkapi000001/status-history", Some("page=1&page_size=100")),
        ]
    );
    assert_eq!(
        (stats["uptime"]["total_checks"].as_i64(), stats["uptime"]["failed_checks"].as_i64()),
        (Some(6), Some(2))
    );
    assert_eq!(stats["status_history"][0]["status"], "failed", "{stats}");
    s.call("get_check_statistics", json!({"check_id": api, "from_date": "2026-11-24T09:55:00Z"}));
    assert_eq!(s.last[0].query.as_deref(), Some("start_time=2026-11-24T09%3A55%3A00Z"));

    let jobs = s.call("list_check_jobs", json!({}));
    s.assert_sent("GET", "/v1/checks/jobs", None, None);
    assert_eq!(ids(&jobs["jobs"]), [seed::SEED_JOB_ID]);
    let job = s.call("get_check_job_details", json!({"job_id": seed::SEED_JOB_ID}));
    s.assert_sent("GET", "/v1/checks/jobs/jobseed00001", None, None);
    assert_eq!(job["status"], "completed");

    let failed = s.call("get_unified_results", json!({"check_ids": [api], "status": "failed"}));
    s.assert_sent("GET", "/v1/checks/all-results", Some("check_id=chkapi000001&status=failed"), None);
    assert_eq!(ids(&failed["results"]), ["resapi000006", "resapi000005"]);
    assert_eq!(failed["results"][0]["check_name"], "API health");
    let merged =
        s.call("get_unified_results", json!({"check_ids": [web, seed::SEED_CHECK_SSL_ID, web], "page_size": 2}));
    let queries: Vec<Option<&str>> = s.last.iter().map(|r| r.query.as_deref()).collect();
    assert_eq!(queries, [Some("check_id=chkweb000001&page_size=2"), Some("check_id=chkssl000001&page_size=2")]);
    let times: Vec<&str> =
        merged["results"].as_array().unwrap().iter().filter_map(|r| r["created_at"].as_str()).collect();
    assert_eq!(times.len(), 4);
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "merged newest first: {times:?}");
    assert_eq!(merged["pagination"]["per_check"][web]["total_items"], 6);

    let one = s.call("get_unified_statistics", json!({"check_ids": [web], "from_date": "2026-11-24T00:00:00Z"}));
    s.assert_sent(
        "GET",
        "/v1/checks/status-history",
        Some("check_id=chkweb000001&start_date=2026-11-24T00%3A00%3A00Z"),
        None,
    );
    assert!(one.is_object() && !one.as_object().unwrap().is_empty());
    let both = s.call("get_unified_statistics", json!({"check_ids": [web, api]}));
    assert_eq!(s.last.len(), 2);
    assert!(both["by_check"][web].is_object() && both["by_check"][api].is_object(), "{both}");

    let args = json!({"type": "web", "name": "Probe", "url": "https://example.org", "timeout": 10});
    let queued = s.call("execute_custom_check", args.clone());
    s.assert_sent("POST", "/v1/checks/execute", None, Some(args));
    let job_id = queued["job_id"].as_str().expect("a job id").to_owned();
    assert_eq!(s.stored("check_jobs", &job_id).unwrap()["check_parameters"]["url"], "https://example.org");
    let status = s.call("get_on_demand_job_status", json!({"job_id": job_id}));
    s.assert_sent("GET", &format!("/v1/checks/jobs/{job_id}"), None, None);
    assert_eq!(status["id"], job_id.as_str());

    let queued = s.call("execute_existing_check", json!({"check_id": web}));
    s.assert_sent("POST", "/v1/checks/chkweb000001/execute", None, None);
    let job_id = queued["job_id"].as_str().expect("a job id").to_owned();
    assert_eq!(s.stored("check_jobs", &job_id).unwrap()["check_id"], web);

    let page = s.call("list_on_demand_checks", json!({"page": 1, "page_size": 1}));
    s.assert_sent("GET", "/v1/checks/jobs", Some("page=1&per_page=1"), None);
    assert_eq!((page["jobs"].as_array().map(Vec::len), page["pagination"]["total_items"].as_i64()), (Some(1), Some(3)));

    let args = json!({"name": "Docs site", "type": "web", "url": "https://docs.example.com", "interval": 600});
    let created = s.call("create_check", args.clone());
    // Nothing is injected: the reference always sent interval, timeout and active.
    s.assert_sent("POST", "/v1/checks", None, Some(args));
    let id = new_id(&created);
    assert_eq!(s.stored("checks", &id).unwrap()["interval"], 600);

    let secrets = json!([{"secret_id": seed::SEED_SECRET2_ID, "env_variable": "DB_PASSWORD"}]);
    s.call("update_check", json!({"check_id": id, "timeout": 15, "secrets": secrets}));
    s.assert_sent("PATCH", &format!("/v1/checks/{id}"), None, Some(json!({"timeout": 15, "secrets": secrets})));
    assert_eq!(s.stored("checks", &id).unwrap()["timeout"], 15);
    let attached: Vec<Value> =
        s.stored_all("check_secrets").into_iter().filter(|a| a["check_id"] == id.as_str()).collect();
    assert_eq!(attached.len(), 1);
    assert_eq!(
        (attached[0]["secret_id"].as_str(), attached[0]["env_variable"].as_str()),
        (Some("secdbpass001"), Some("DB_PASSWORD"))
    );

    let paused = s.call("pause_check", json!({"check_id": id}));
    s.assert_sent("PATCH", &format!("/v1/checks/{id}"), None, Some(json!({"active": false})));
    assert_eq!((paused["active"].as_bool(), paused["status"].as_str()), (Some(false), Some("paused")));
    let stored = s.stored("checks", &id).unwrap();
    assert_eq!((stored["active"].as_bool(), stored["status"].as_str()), (Some(false), Some("paused")));
    s.call("resume_check", json!({"check_id": id}));
    s.assert_sent("PATCH", &format!("/v1/checks/{id}"), None, Some(json!({"active": true})));
    let stored = s.stored("checks", &id).unwrap();
    assert_eq!(stored["active"], true);
    assert_ne!(stored["status"], "paused");

    s.call("delete_check", json!({"check_id": id}));
    s.assert_sent("DELETE", &format!("/v1/checks/{id}"), None, None);
    assert!(s.stored("checks", &id).is_none());
    s.finish();
}

#[test]
fn check_group_and_secret_tools() {
    let mut s = Session::start(GROUP_AND_SECRET_TOOLS, &[]);
    let groups = s.call("list_check_groups", json!({"page": 1, "page_size": 5}));
    s.assert_sent("GET", "/v1/check-groups", Some("page=1&page_size=5"), None);
    assert_eq!(ids(&groups["groups"]), [seed::SEED_CHECK_GROUP_ID]);
    let group = s.call("get_check_group_details", json!({"group_id": seed::SEED_CHECK_GROUP_ID}));
    s.assert_sent("GET", "/v1/check-groups/grpprod00001", None, None);
    assert_eq!(group["checks_count"], 3);
    let members = s.call("get_checks_in_group", json!({"group_id": seed::SEED_CHECK_GROUP_ID, "page_size": 2}));
    s.assert_sent("GET", "/v1/check-groups/grpprod00001/checks", Some("page_size=2"), None);
    assert_eq!(
        (members["checks"].as_array().map(Vec::len), members["pagination"]["total_items"].as_i64()),
        (Some(2), Some(3))
    );

    let secrets = s.call("list_secrets", json!({"page": 1, "page_size": 10}));
    s.assert_sent("GET", "/v1/secrets", Some("page=1&page_size=10"), None);
    assert_eq!(ids(&secrets["secrets"]), [seed::SEED_SECRET_ID, seed::SEED_SECRET2_ID]);
    let secret = s.call("get_secret_details", json!({"secret_id": seed::SEED_SECRET_ID}));
    s.assert_sent("GET", "/v1/secrets/secapikey001", None, None);
    assert_eq!((secret["secret_name"].as_str(), secret["secret_value"].as_str()), (Some("API_TOKEN"), Some(REDACTED)));
    let attached = s.call("get_check_secrets", json!({"check_id": seed::SEED_CHECK_API_ID}));
    s.assert_sent("GET", "/v1/checks/chkapi000001/secrets", None, None);
    assert_eq!(attached["result"][0]["env_variable"], "API_TOKEN");

    let created = s.call("create_secret", json!({"name": "NEW_TOKEN", "value": NEW_SECRET_VALUE}));
    s.assert_sent(
        "POST",
        "/v1/secrets",
        None,
        Some(json!({"secret_name": "NEW_TOKEN", "secret_value": NEW_SECRET_VALUE})),
    );
    assert_eq!(created["secret_value"], REDACTED, "the API echoes the value; the tool does not");
    let id = new_id(&created);
    assert_eq!(s.stored("secrets", &id).unwrap()["secret_value"], NEW_SECRET_VALUE);

    let updated = s.call("update_secret", json!({"secret_id": id, "value": UPDATED_SECRET_VALUE}));
    s.assert_sent("PATCH", &format!("/v1/secrets/{id}"), None, Some(json!({"secret_value": UPDATED_SECRET_VALUE})));
    assert_eq!(updated["secret_value"], REDACTED);
    let stored = s.stored("secrets", &id).unwrap();
    assert_eq!(
        (stored["secret_name"].as_str(), stored["secret_value"].as_str()),
        (Some("NEW_TOKEN"), Some(UPDATED_SECRET_VALUE))
    );

    let web = seed::SEED_CHECK_WEB_ID;
    let attachments = |s: &Session| -> Vec<(String, String)> {
        s.stored_all("check_secrets")
            .into_iter()
            .filter(|a| a["check_id"] == web)
            .map(|a| {
                (a["secret_id"].as_str().unwrap_or("").to_owned(), a["env_variable"].as_str().unwrap_or("").to_owned())
            })
            .collect()
    };
    s.call("add_secret_to_check", json!({"check_id": web, "secret_id": id, "env_var_name": "NEW_TOKEN"}));
    s.assert_sent(
        "POST",
        "/v1/checks/chkweb000001/secrets",
        None,
        Some(json!({"secret_id": id, "env_variable": "NEW_TOKEN"})),
    );
    assert_eq!(attachments(&s), [(id.clone(), "NEW_TOKEN".to_owned())]);

    let list = json!([{"secret_id": seed::SEED_SECRET2_ID, "env_var_name": "DB_PASSWORD"}]);
    let replaced = s.call("update_check_secrets", json!({"check_id": web, "secrets": list}));
    let body = json!([{"secret_id": seed::SEED_SECRET2_ID, "env_variable": "DB_PASSWORD"}]);
    s.assert_sent("PUT", "/v1/checks/chkweb000001/secrets", None, Some(body));
    assert_eq!(replaced["result"][0]["env_variable"], "DB_PASSWORD");
    assert_eq!(attachments(&s), [(seed::SEED_SECRET2_ID.to_owned(), "DB_PASSWORD".to_owned())]);

    s.call("remove_secret_from_check", json!({"check_id": web, "secret_id": seed::SEED_SECRET2_ID}));
    s.assert_sent("DELETE", "/v1/checks/chkweb000001/secrets/secdbpass001", None, None);
    assert!(attachments(&s).is_empty());

    s.call("delete_secret", json!({"secret_id": id}));
    s.assert_sent("DELETE", &format!("/v1/secrets/{id}"), None, None);
    assert!(s.stored("secrets", &id).is_none());
    s.finish();
}

#[test]
fn alert_tools() {
    let mut s = Session::start(ALERT_TOOLS, &[]);
    let alerts = s.call("list_alerts", json!({"page": 1, "page_size": 5, "status": "firing"}));
    s.assert_sent("GET", "/v1/alerts", Some("page=1&per_page=5&status=firing"), None);
    assert_eq!(ids(&alerts["alerts"]), [seed::SEED_ALERT_FIRING_ID]);
    let alert = s.call("get_alert_details", json!({"alert_id": seed::SEED_ALERT_FIRING_ID}));
    s.assert_sent("GET", "/v1/alerts/alrfiring001", None, None);
    assert_eq!(alert["severity"], "high");
    let stats = s.call("get_alert_statistics", json!({}));
    s.assert_sent("GET", "/v1/alerts/stats", None, None);
    assert_eq!((stats["active_alerts"].as_i64(), stats["total_rules"].as_i64()), (Some(1), Some(1)));
    let channels = s.call("list_alert_channels", json!({}));
    s.assert_sent("GET", "/v1/alerts/channels", None, None);
    assert_eq!(ids(&channels["result"]), [seed::SEED_ALERT_CHANNEL_ID]);
    let rules = s.call("list_alert_rules", json!({}));
    s.assert_sent("GET", "/v1/alerts/rules", None, None);
    assert_eq!(ids(&rules["result"]), [seed::SEED_ALERT_RULE_ID]);

    let data = json!({"name": "Website down", "check_id": seed::SEED_CHECK_WEB_ID, "condition": "check_failed",
                      "channel_ids": [seed::SEED_ALERT_CHANNEL_ID], "severity": "medium"});
    let created = s.call("create_alert", json!({"alert_data": data}));
    s.assert_sent("POST", "/v1/alerts/rules", None, Some(data));
    let id = new_id(&created);
    assert_eq!(s.stored("alert_rules", &id).unwrap()["check_id"], seed::SEED_CHECK_WEB_ID);

    let text = s.call_err("update_alert", json!({"alert_id": id, "alert_data": {}}));
    assert!(text.contains("give at least one field"), "{text}");
    assert!(s.last.is_empty());
    s.call("update_alert", json!({"alert_id": id, "alert_data": {"severity": "critical"}}));
    s.assert_sent("PUT", &format!("/v1/alerts/rules/{id}"), None, Some(json!({"severity": "critical"})));
    let stored = s.stored("alert_rules", &id).unwrap();
    assert_eq!((stored["severity"].as_str(), stored["name"].as_str()), (Some("critical"), Some("Website down")));

    s.call("delete_alert", json!({"alert_id": id}));
    s.assert_sent("DELETE", &format!("/v1/alerts/rules/{id}"), None, None);
    assert!(s.stored("alert_rules", &id).is_none());
    s.finish();
}

#[test]
fn heartbeat_tools() {
    let mut s = Session::start(HEARTBEAT_TOOLS, &[]);
    let list = s.call("list_heartbeats", json!({"page": 1, "page_size": 1}));
    s.assert_sent("GET", "/v1/heartbeats", Some("page=1&per_page=1"), None);
    assert_eq!(ids(&list["checks"]), [seed::SEED_HEARTBEAT_UP_ID], "ids are kept (the reference stripped them)");
    assert_eq!(list["pagination"]["total_items"], 2);
    let hb = s.call("get_heartbeat_details", json!({"heartbeat_id": seed::SEED_HEARTBEAT_UP_ID}));
    s.assert_sent("GET", "/v1/heartbeats/hbtbackup001", None, None);
    assert_eq!(hb["recent_pings"].as_array().map(Vec::len), Some(3));

    let data = json!({"name": "Hourly import", "period_seconds": 3600});
    let created = s.call("create_heartbeat", json!({"heartbeat_data": data}));
    // No grace_seconds or active injected: the API applies its own defaults.
    s.assert_sent("POST", "/v1/heartbeats", None, Some(data));
    let id = new_id(&created);
    assert!(
        created["ping_url"].as_str().is_some_and(|u| u.ends_with(&format!("/v1/heartbeats/{id}/ping"))),
        "{created}"
    );
    assert_eq!(s.stored("heartbeats", &id).unwrap()["period_seconds"], 3600);

    s.call("update_heartbeat", json!({"heartbeat_id": id, "heartbeat_data": {"grace_seconds": 600}}));
    s.assert_sent("PATCH", &format!("/v1/heartbeats/{id}"), None, Some(json!({"grace_seconds": 600})));
    let stored = s.stored("heartbeats", &id).unwrap();
    assert_eq!((stored["grace_seconds"].as_i64(), stored["name"].as_str()), (Some(600), Some("Hourly import")));

    let pinged = s.call("send_heartbeat_ping", json!({"heartbeat_id": id}));
    s.assert_sent("POST", &format!("/v1/heartbeats/{id}/ping"), None, None);
    assert_eq!(pinged["check_id"], id.as_str());
    let pings: Vec<Value> =
        s.stored_all("heartbeat_pings").into_iter().filter(|p| p["check_id"] == id.as_str()).collect();
    assert_eq!(pings.len(), 1);
    assert!(s.stored("heartbeats", &id).unwrap()["last_ping_at"].is_string());

    let logs = s.call(
        "get_heartbeat_logs",
        json!({"heartbeat_id": seed::SEED_HEARTBEAT_UP_ID, "from_date": "2026-11-23T00:00:00Z",
               "to_date": "2026-11-24T23:59:59Z", "page": 1, "page_size": 1}),
    );
    let query = "start_date=2026-11-23T00%3A00%3A00Z&end_date=2026-11-24T23%3A59%3A59Z&page=1&per_page=1";
    s.assert_sent("GET", "/v1/heartbeats/hbtbackup001/pings", Some(query), None);
    assert_eq!(ids(&logs["pings"]), ["pngbackup003"]);
    assert_eq!(logs["pagination"]["total_items"], 2);

    s.call("delete_heartbeat", json!({"heartbeat_id": id}));
    s.assert_sent("DELETE", &format!("/v1/heartbeats/{id}"), None, None);
    assert!(s.stored("heartbeats", &id).is_none());
    s.finish();
}

#[test]
fn incident_tools() {
    let mut s = Session::start(INCIDENT_TOOLS, &[]);
    let page = seed::SEED_PAGE_ID;
    let open = seed::SEED_INCIDENT_OPEN_ID;
    let all = s.call("list_incidents", json!({"page_id": page}));
    s.assert_sent("GET", "/v1/pages/pgmain000001/incidents", None, None);
    assert_eq!(ids(&all["result"]), [seed::SEED_INCIDENT_RESOLVED_ID, open]);
    assert!(all["result"][0]["name"].is_string(), "items are JSON objects, not Python reprs");
    let resolved = s.call("list_incidents", json!({"page_id": page, "status": "resolved"}));
    s.assert_sent("GET", "/v1/pages/pgmain000001/incidents", None, None);
    assert_eq!(ids(&resolved["result"]), [seed::SEED_INCIDENT_RESOLVED_ID]);
    let second = s.call("list_incidents", json!({"page_id": page, "page": 2, "page_size": 1}));
    assert_eq!(ids(&second["result"]), [open]);

    let incident = s.call("get_incident_details", json!({"page_id": page, "incident_id": open}));
    s.assert_sent("GET", "/v1/pages/pgmain000001/incidents/incweb000001", None, None);
    assert_eq!((incident["id"].as_str(), incident["page_id"].as_str()), (Some(open), Some(page)));
    let updates = s.call("get_incident_updates", json!({"page_id": page, "incident_id": open}));
    s.assert_sent("GET", "/v1/pages/pgmain000001/incidents/incweb000001/incident_updates", None, None);
    assert_eq!(ids(&updates["result"]), ["updweb000002", seed::SEED_INCIDENT_UPDATE_ID]);
    let update = s.call(
        "get_incident_update_details",
        json!({"page_id": page, "incident_id": open, "update_id": seed::SEED_INCIDENT_UPDATE_ID}),
    );
    // The API has no route for one update: the tool lists and picks.
    s.assert_sent("GET", "/v1/pages/pgmain000001/incidents/incweb000001/incident_updates", None, None);
    assert_eq!(update["body"], "Pages load slowly for some users.");
    let text = s.call_err(
        "get_incident_update_details",
        json!({"page_id": page, "incident_id": open, "update_id": "nosuchupdate"}),
    );
    assert!(text.contains("nosuchupdate") && text.contains("get_incident_updates"), "{text}");

    let args = json!({"page_id": page, "name": "Payments failing", "status": "investigating", "impact": "major",
                      "components": {seed::SEED_COMPONENT_API_ID: "major_outage"}, "metadata": {"ticket": "OPS-1"}});
    let created = s.call("create_incident", args);
    let body = json!({"name": "Payments failing", "status": "investigating", "impact": "major",
                      "components": {seed::SEED_COMPONENT_API_ID: "major_outage"}, "metadata": {"ticket": "OPS-1"}});
    s.assert_sent("POST", "/v1/pages/pgmain000001/incidents", None, Some(body));
    let id = new_id(&created);
    assert_eq!(s.stored("incidents", &id).unwrap()["metadata"]["ticket"], "OPS-1");
    assert_eq!(s.stored("components", seed::SEED_COMPONENT_API_ID).unwrap()["status"], "major_outage");

    s.call("patch_incident", json!({"page_id": page, "incident_id": id, "status": "identified"}));
    // No deliver_notifications injected (the reference's SDK always added it).
    s.assert_sent("PATCH", &format!("/v1/pages/{page}/incidents/{id}"), None, Some(json!({"status": "identified"})));
    assert_eq!(s.stored("incidents", &id).unwrap()["status"], "identified");

    let edit = json!({"name": "Payments degraded", "status": "monitoring", "impact": "minor"});
    let mut args = edit.clone();
    args["page_id"] = json!(page);
    args["incident_id"] = json!(id);
    s.call("update_incident", args);
    s.assert_sent("PUT", &format!("/v1/pages/{page}/incidents/{id}"), None, Some(edit));
    let stored = s.stored("incidents", &id).unwrap();
    assert_eq!((stored["name"].as_str(), stored["impact"].as_str()), (Some("Payments degraded"), Some("minor")));

    let data = json!({"status": "resolved", "body": "Fixed."});
    let posted = s.call("add_incident_update", json!({"page_id": page, "incident_id": id, "update_data": data}));
    s.assert_sent("POST", &format!("/v1/pages/{page}/incidents/{id}/incident_updates"), None, Some(data));
    let update_id = new_id(&posted);
    assert_eq!(s.stored("incident_updates", &update_id).unwrap()["body"], "Fixed.");
    assert_eq!(s.stored("incidents", &id).unwrap()["status"], "resolved");

    let path = format!("/v1/pages/{page}/incidents/{id}/incident_updates/{update_id}");
    let data = json!({"body": "Fixed by a rollback."});
    s.call(
        "update_incident_update",
        json!({"page_id": page, "incident_id": id, "update_id": update_id, "update_data": data}),
    );
    s.assert_sent("PATCH", &path, None, Some(data));
    assert_eq!(s.stored("incident_updates", &update_id).unwrap()["body"], "Fixed by a rollback.");

    let deleted = s.call("delete_incident_update", json!({"page_id": page, "incident_id": id, "update_id": update_id}));
    s.assert_sent("DELETE", &path, None, None);
    assert_eq!(deleted["deleted"], true);
    assert!(s.stored("incident_updates", &update_id).is_none());

    s.call("delete_incident", json!({"page_id": page, "incident_id": id}));
    s.assert_sent("DELETE", &format!("/v1/pages/{page}/incidents/{id}"), None, None);
    assert!(s.stored("incidents", &id).is_none());
    s.finish();
}

#[test]
fn connection_and_script_tools() {
    let mut s = Session::start(MISC_TOOLS, &[]);
    let conn = s.call("test_pingera_connection", json!({}));
    s.assert_sent("GET", "/v1/pages", Some("page=1&page_size=1"), None);
    assert_eq!((conn["connected"].as_bool(), conn["status_pages"].as_i64()), (Some(true), Some(2)));

    // Values that try to break out of their string literal or comment must stay data.
    let url = "https://example.com/\");require('child_process')//";
    let description = "Homepage loads\nrequire('fs').rmSync('/')\u{2028}still a comment";
    let script = s.call(
        "generate_synthetic_check_script",
        json!({"description": description, "target_url": url, "script_name": "Home page"}),
    );
    assert!(s.last.is_empty(), "a local tool makes no API request");
    let content = script["script_content"].as_str().unwrap();
    assert!(content.contains(&serde_json::to_string(url).unwrap()), "{content}");
    for line in content.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        if line.contains("require('fs')") || line.contains("still a comment") {
            assert!(line.trim_start().starts_with("//"), "description text escaped its comment: {line:?}");
        }
        if line.contains("child_process") {
            assert!(line.contains(r#"\");require"#), "the URL escaped its string literal: {line:?}");
        }
    }
    assert!(content.contains("test(\"Home page\""), "{content}");
    assert_eq!(
        (script["script_type"].as_str(), script["check_type"].as_str()),
        (Some("synthetic_browser_check"), Some("synthetic"))
    );
    let default_name =
        s.call("generate_synthetic_check_script", json!({"description": "d", "target_url": "https://a.example"}));
    assert_eq!(default_name["script_name"], "Synthetic Check - https://a.example");

    let api = s.call(
        "generate_api_check_script",
        json!({"url": "https://api.example.com/orders", "description": "Orders API accepts an order",
               "method": "POST", "headers": {"X-Env": "ci"}, "payload": {"sku": "A1", "qty": 1},
               "expected_status": 201, "contains_string": "\"id\"", "custom_code": "console.log(response.url());"}),
    );
    assert!(s.last.is_empty(), "a local tool makes no API request");
    let content = api["script_content"].as_str().unwrap();
    for expected in [
        "request.fetch(\"https://api.example.com/orders\", {",
        "method: \"POST\",",
        "headers: {\"X-Env\":\"ci\"},",
        "data: {\"qty\":1,\"sku\":\"A1\"},",
        "toBe(201);",
        "expect(body).toContain(\"\\\"id\\\"\");",
        "  console.log(response.url());",
    ] {
        assert!(content.contains(expected), "missing {expected:?} in:\n{content}");
    }
    let text = s.call_err("generate_api_check_script", json!({"url": "u", "description": "d", "method": "FETCH"}));
    assert!(text.contains("\"method\" must be one of GET"), "{text}");
    s.finish();
}

#[test]
fn read_only_mode_lists_exactly_the_tools_that_change_nothing() {
    let mut ro = Session::start(&[], &[("PINGERA_MODE", "read_only")]);
    let listed: Vec<String> = ro.list_tools().iter().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect();
    let expected: Vec<&str> = TOOLS.iter().filter(|t| t.effect.is_read_only()).map(|t| t.name).collect();
    assert_eq!(listed, expected);
    assert_eq!(listed.len(), 36, "read_only offers 36 tools");
    for write in [
        "create_heartbeat",
        "update_heartbeat",
        "delete_heartbeat",
        "send_heartbeat_ping",
        "execute_custom_check",
        "execute_existing_check",
    ] {
        assert!(!listed.iter().any(|t| t == write), "{write} must not be offered in read_only mode");
    }
    for tool in ro.list_tools() {
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
    }
    // Calling a write tool anyway reaches nothing.
    ro.double.clear_requests();
    let reply = ro.request(
        "tools/call",
        json!({"name": "send_heartbeat_ping", "arguments": {"heartbeat_id": seed::SEED_HEARTBEAT_UP_ID}}),
    );
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    let reply = ro.request(
        "tools/call",
        json!({"name": "execute_existing_check", "arguments": {"check_id": seed::SEED_CHECK_WEB_ID}}),
    );
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    assert!(ro.double.requests().is_empty());

    let mut rw = Session::start(&[], &[]);
    let listed: Vec<String> = rw.list_tools().iter().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect();
    let all: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
    assert_eq!(listed, all);
    assert_eq!(listed.len(), 71, "read_write offers all 71 tools");
}

#[test]
fn output_schemas_are_advertised_and_loose() {
    let mut s = Session::start(&[], &[]);
    let tools = s.list_tools();
    let with_schema: Vec<&str> =
        tools.iter().filter(|t| t.get("outputSchema").is_some()).filter_map(|t| t["name"].as_str()).collect();
    // Every list tool and every single-record read promises a shape; write tools and the connection test do not.
    for name in [
        "list_pages",
        "list_checks",
        "list_components",
        "get_check_secrets",
        "list_incidents",
        "get_secret_details",
        "generate_api_check_script",
    ] {
        assert!(with_schema.contains(&name), "{name} should have an outputSchema");
    }
    for name in ["create_page", "delete_page", "test_pingera_connection", "pause_check"] {
        assert!(!with_schema.contains(&name), "{name} should not have an outputSchema");
    }
    for t in &tools {
        if let Some(schema) = t.get("outputSchema") {
            assert_eq!(schema["type"], "object", "{t}");
        }
    }
}

#[test]
fn secret_values_never_reach_results_or_logs_unless_shown() {
    let mut s = Session::start(&[], &[("PINGERA_DEBUG", "true"), ("RUST_LOG", "trace")]);
    // Every call below is checked by Session::raw_call for all four secret values.
    s.call("list_secrets", json!({}));
    for id in [seed::SEED_SECRET_ID, seed::SEED_SECRET2_ID] {
        let secret = s.call("get_secret_details", json!({"secret_id": id}));
        assert_eq!(secret["secret_value"], REDACTED);
    }
    s.call("get_check_secrets", json!({"check_id": seed::SEED_CHECK_API_ID}));
    let created = s.call("create_secret", json!({"name": "LOG_TEST", "value": NEW_SECRET_VALUE}));
    let id = new_id(&created);
    s.call("update_secret", json!({"secret_id": id, "value": UPDATED_SECRET_VALUE}));
    s.call("get_secret_details", json!({"secret_id": id}));
    // A value that breaks the schema is refused without being repeated.
    let text = s.call_err(
        "create_secret",
        json!({"name": "BAD", "value": format!("{NEW_SECRET_VALUE}{}", "x".repeat(10_000))}),
    );
    assert!(text.contains("\"value\""), "{text}");
    s.proc.close_stdin();
    assert!(s.proc.wait_exit(Duration::from_secs(10)).success());
    let err = s.proc.stderr();
    assert!(err.contains("DEBUG") || err.contains("TRACE"), "debug logging is on: {err}");
    for secret in SECRET_VALUES {
        assert!(!err.contains(secret), "a secret value reached the log: {err}");
    }
    assert_eq!(s.stored("secrets", &id).unwrap()["secret_value"], UPDATED_SECRET_VALUE, "the API did get the value");

    let mut shown = Session::start(&[], &[("PINGERA_SHOW_SECRET_VALUES", "true")]);
    let secret = shown.call("get_secret_details", json!({"secret_id": seed::SEED_SECRET_ID}));
    assert_eq!(secret["secret_value"], seed::SEED_SECRET_VALUE);
    let listed = shown.call("list_secrets", json!({}));
    assert!(listed["secrets"][0]["secret_value"].is_null(), "the API sends no values in lists");
}

/// A one-shot HTTP server on 127.0.0.1 that answers every request with `200` and `body`, for replies the double
/// never gives.
fn fixed_reply_server(body: &'static str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            // Read the request head; the requests here carry no body.
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) && line != "\r\n" {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_reply_that_breaks_the_promised_shape_is_an_error_not_bad_structured_content() {
    let base = fixed_reply_server(
        r#"{"checks": "not a list", "secret_value": "s3cr3t-value-one", "message": "kept n3w-s3cr3t-value-three"}"#,
    );
    let env = [("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", "k"), ("PINGERA_MODE", "read_write")];
    let mut p = Proc::start(&env, &[]);
    p.initialize("2025-11-25");
    let reply = p.request(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                  "params": {"name": "list_checks", "arguments": {}}}));
    let result = &reply["result"];
    assert_eq!(result["isError"], true, "{reply}");
    assert!(result.get("structuredContent").is_none(), "{reply}");
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("$.checks should be of type array"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
    // A tool without an output schema passes the same reply on, redacted.
    let reply = p.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                  "params": {"name": "patch_page", "arguments": {"page_id": "p", "name": "N"}}}));
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert_eq!(reply["result"]["structuredContent"]["secret_value"], REDACTED, "{reply}");
    // A secret argument that the API quotes back in free text is scrubbed too.
    let args = json!({"name": "N", "value": NEW_SECRET_VALUE});
    let reply = p.request(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                                  "params": {"name": "create_secret", "arguments": args}}));
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert_eq!(reply["result"]["structuredContent"]["message"], format!("kept {REDACTED}"), "{reply}");
    assert!(!reply.to_string().contains(NEW_SECRET_VALUE), "{reply}");
}
