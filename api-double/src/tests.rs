//! End-to-end tests of the double: each test spawns an [`ApiDouble`] on a free port and talks to it over
//! real TCP with `ureq`, asserting status codes, envelopes, error bodies, store changes and fault switches.

use super::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const KEY: &str = "test-key";

struct Resp {
    status: u16,
    headers: ureq::http::HeaderMap,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn double() -> ApiDouble {
    ApiDouble::spawn(DoubleOptions::default()).expect("spawn the double")
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).build().into()
}

/// Sends a request with an optional `Authorization` and raw body.
fn send_raw(
    d: &ApiDouble,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&str>,
) -> Result<Resp, ureq::Error> {
    let mut builder = ureq::http::Request::builder().method(method).uri(format!("{}{path}", d.base_url()));
    if let Some(auth) = auth {
        builder = builder.header("Authorization", auth);
    }
    if body.is_some() {
        builder = builder.header("Content-Type", "application/json");
    }
    let agent = agent(Duration::from_secs(20));
    let mut resp = match body {
        Some(b) => agent.run(builder.body(b.to_string()).expect("request")),
        None => agent.run(builder.body(()).expect("request")),
    }?;
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Ok(Resp { status: resp.status().as_u16(), headers: resp.headers().clone(), text })
}

fn send(d: &ApiDouble, method: &str, path: &str, auth: Option<&str>, body: Option<&str>) -> Resp {
    send_raw(d, method, path, auth, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// An authenticated JSON call: `(status, body)`; an empty body reads as `Value::Null`.
fn api(d: &ApiDouble, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let text = body.map(|b| b.to_string());
    let r = send(d, method, path, Some(KEY), text.as_deref());
    let v = if r.text.is_empty() { Value::Null } else { r.json() };
    if r.status != 204 {
        assert_eq!(r.header("content-type"), Some("application/json"), "{method} {path}");
    }
    (r.status, v)
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().expect("array").iter().filter_map(|x| x["id"].as_str()).collect()
}

fn count_in_state(d: &ApiDouble, kind: &str, id: &str) -> usize {
    d.state()[kind].as_array().map_or(0, |l| l.iter().filter(|x| x["id"] == json!(id)).count())
}

fn assert_pagination(p: &Value, page: u64, size: u64, total: u64) {
    assert_eq!(p["page"], json!(page));
    assert_eq!(p["page_size"], json!(size));
    assert_eq!(p["total_items"], json!(total));
    assert_eq!(p["total_pages"], json!(total.div_ceil(size)));
    assert_eq!(p["has_prev"], json!(page > 1));
    assert_eq!(p["has_next"], json!(page * size < total));
}

#[test]
fn seed_ids_are_well_formed_and_present() {
    let d = double();
    let state = d.state().to_string();
    for id in SEED_IDS {
        assert_eq!(id.len(), 12, "{id}");
        assert!(id.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{id}");
        assert!(state.contains(&format!("\"{id}\"")), "{id} missing from the state");
    }
    let st = d.state();
    assert_eq!(st["pages"].as_array().map(Vec::len), Some(2));
    assert_eq!(st["checks"].as_array().map(Vec::len), Some(4));
    assert_eq!(st["heartbeats"].as_array().map(Vec::len), Some(2));
    assert_eq!(st["alerts"].as_array().map(Vec::len), Some(2));
}

#[test]
fn pages_envelope_crud_and_cascade() {
    let d = double();
    let (status, body) = api(&d, "GET", "/v1/pages", None);
    assert_eq!(status, 200);
    assert_eq!(ids(&body["pages"]), [SEED_PAGE_ID, SEED_PAGE2_ID]);
    assert_pagination(&body["pagination"], 1, 20, 2);
    let (_, body) = api(&d, "GET", "/v1/pages?page=2&page_size=1", None);
    assert_eq!(ids(&body["pages"]), [SEED_PAGE2_ID]);
    assert_pagination(&body["pagination"], 2, 1, 2);

    // POST /v1/pages answers 200, not 201.
    let (status, page) = api(&d, "POST", "/v1/pages", Some(json!({"name": "New page", "language": "ru"})));
    assert_eq!(status, 200);
    let id = page["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 12);
    assert_eq!(page["language"], "ru");
    assert_eq!(page["organization_id"], SEED_ORG_ID);
    assert!(page["created_at"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() == 20));
    assert_eq!(count_in_state(&d, "pages", &id), 1);

    let (status, page) = api(&d, "PATCH", &format!("/v1/pages/{id}"), Some(json!({"headline": "Hi"})));
    assert_eq!((status, page["name"].clone(), page["headline"].clone()), (200, json!("New page"), json!("Hi")));
    // PUT resets the omitted writable fields but keeps the name.
    let (status, page) = api(&d, "PUT", &format!("/v1/pages/{id}"), Some(json!({"city": "Omsk"})));
    assert_eq!(status, 200);
    assert_eq!(
        (page["name"].clone(), page["headline"].clone(), page["language"].clone()),
        (json!("New page"), Value::Null, json!("en"))
    );

    let (status, body) = api(&d, "DELETE", &format!("/v1/pages/{id}"), None);
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = api(&d, "GET", &format!("/v1/pages/{id}"), None);
    assert_eq!(status, 404);
    assert_eq!(body, json!({"code": 404, "status": "Not Found", "message": "Page not found"}));

    // Deleting the seed page takes its components, incidents and updates with it.
    assert_eq!(api(&d, "DELETE", &format!("/v1/pages/{SEED_PAGE_ID}"), None).0, 204);
    let st = d.state();
    assert!(st["components"].as_array().expect("components").iter().all(|c| c["page_id"] == SEED_PAGE2_ID));
    assert_eq!(st["incidents"], json!([]));
    assert_eq!(st["incident_updates"], json!([]));

    let (status, body) = api(&d, "POST", "/v1/pages", Some(json!({"subdomain": "-bad-", "language": "de"})));
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["json"],
        json!({"name": ["Missing data for required field."], "subdomain": ["String does not match expected pattern."],
               "language": ["Must be one of: ru, en."]})
    );
}

#[test]
fn components_and_groups() {
    let d = double();
    let base = format!("/v1/pages/{SEED_PAGE_ID}");
    let (status, list) = api(&d, "GET", &format!("{base}/components"), None);
    assert_eq!(status, 200);
    assert_eq!(ids(&list), [SEED_COMPONENT_GROUP_ID, SEED_COMPONENT_API_ID, SEED_COMPONENT_WEB_ID]);
    let (_, groups) = api(&d, "GET", &format!("{base}/component-groups"), None);
    assert_eq!(ids(&groups), [SEED_COMPONENT_GROUP_ID]);

    let (status, c) = api(&d, "POST", &format!("{base}/components"), Some(json!({"name": "CDN"})));
    assert_eq!(status, 201);
    assert_eq!(
        (c["group"].clone(), c["status"].clone(), c["page_id"].clone()),
        (json!(false), json!("operational"), json!(SEED_PAGE_ID))
    );
    let cid = c["id"].as_str().expect("id");
    let (status, c) = api(
        &d,
        "PATCH",
        &format!("{base}/components/{cid}"),
        Some(json!({"status": "major_outage", "group_id": SEED_COMPONENT_GROUP_ID})),
    );
    assert_eq!(
        (status, c["status"].clone(), c["group_id"].clone()),
        (200, json!("major_outage"), json!(SEED_COMPONENT_GROUP_ID))
    );

    let (status, body) = api(&d, "POST", &format!("{base}/components"), Some(json!({"name": "X", "status": "broken"})));
    assert_eq!(status, 422);
    assert!(body["errors"]["json"]["status"][0].as_str().is_some_and(|m| m.starts_with("Must be one of:")));
    let (status, body) =
        api(&d, "POST", &format!("{base}/components"), Some(json!({"name": "X", "group_id": SEED_COMPONENT_WEB_ID})));
    assert_eq!((status, body["errors"]["json"]["group_id"].clone()), (422, json!(["Component group not found."])));

    // A component is only reachable through its own page, and a plain component is not a group.
    let (status, body) = api(&d, "GET", &format!("/v1/pages/{SEED_PAGE2_ID}/components/{SEED_COMPONENT_API_ID}"), None);
    assert_eq!((status, body["message"].clone()), (404, json!("Component not found")));
    let (status, body) = api(&d, "GET", &format!("{base}/component-groups/{SEED_COMPONENT_API_ID}"), None);
    assert_eq!((status, body["message"].clone()), (404, json!("Component group not found")));

    // Deleting the group leaves its members top-level.
    assert_eq!(api(&d, "DELETE", &format!("{base}/component-groups/{SEED_COMPONENT_GROUP_ID}"), None).0, 204);
    let (_, api_component) = api(&d, "GET", &format!("{base}/components/{SEED_COMPONENT_API_ID}"), None);
    assert_eq!(api_component["group_id"], Value::Null);
    assert_eq!(count_in_state(&d, "components", SEED_COMPONENT_GROUP_ID), 0);
}

#[test]
fn incidents_and_their_updates() {
    let d = double();
    let base = format!("/v1/pages/{SEED_PAGE_ID}/incidents");
    let (status, list) = api(&d, "GET", &base, None);
    assert_eq!(status, 200);
    assert_eq!(ids(&list), [SEED_INCIDENT_RESOLVED_ID, SEED_INCIDENT_OPEN_ID]);
    assert_eq!(ids(&list[0]["incident_updates"]), ["updapi000003", "updapi000002", "updapi000001"]);
    let (_, unresolved) = api(&d, "GET", &format!("{base}/unresolved"), None);
    assert_eq!(ids(&unresolved), [SEED_INCIDENT_OPEN_ID]);
    let (_, by_component) = api(&d, "GET", &format!("{base}?component_id={SEED_COMPONENT_WEB_ID}"), None);
    assert_eq!(ids(&by_component), [SEED_INCIDENT_OPEN_ID]);

    let (status, inc) = api(
        &d,
        "POST",
        &base,
        Some(
            json!({"name": "DB down", "status": "investigating", "impact": "major", "components": {SEED_COMPONENT_API_ID: "major_outage"}}),
        ),
    );
    assert_eq!(status, 201);
    let iid = inc["id"].as_str().expect("id").to_string();
    assert_eq!(inc["components"], json!([{"id": SEED_COMPONENT_API_ID, "name": "API", "status": "major_outage"}]));
    assert_eq!(inc["deliver_notifications"], json!(true));
    assert_eq!(inc["incident_updates"].as_array().map(Vec::len), Some(1));
    let (_, comp) = api(&d, "GET", &format!("/v1/pages/{SEED_PAGE_ID}/components/{SEED_COMPONENT_API_ID}"), None);
    assert_eq!(comp["status"], "major_outage");

    let (status, upd) = api(
        &d,
        "POST",
        &format!("{base}/{iid}/incident_updates"),
        Some(json!({"status": "resolved", "body": "Fixed"})),
    );
    assert_eq!(status, 201);
    let uid = upd["id"].as_str().expect("id").to_string();
    let (_, inc) = api(&d, "GET", &format!("{base}/{iid}"), None);
    assert_eq!(inc["status"], "resolved");
    assert!(inc["resolved_at"].is_string());
    assert_eq!(ids(&inc["incident_updates"])[0], uid);

    let path = format!("{base}/{iid}/incident_updates/{uid}");
    let (status, upd) = api(&d, "PATCH", &path, Some(json!({"body": "Fixed for real"})));
    assert_eq!((status, upd["body"].clone()), (200, json!("Fixed for real")));
    assert_eq!(api(&d, "GET", &path, None).1["body"], "Fixed for real");
    assert_eq!(api(&d, "DELETE", &path, None).0, 204);
    assert_eq!(api(&d, "GET", &path, None).1["message"], "Incident update not found");
    let (_, list) = api(&d, "GET", &format!("{base}/{iid}/incident_updates"), None);
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    let (status, body) =
        api(&d, "POST", &format!("{base}/{iid}/incident_updates"), Some(json!({"status": "scheduled"})));
    assert_eq!(
        (status, body["errors"]["json"]["status"][0].clone()),
        (422, json!("Must be one of: investigating, identified, monitoring, resolved."))
    );
    let (status, body) = api(&d, "PATCH", &format!("{base}/{iid}"), Some(json!({"metadata": {}})));
    assert_eq!((status, body["errors"]["json"]["metadata"].clone()), (422, json!(["Unknown field."])));
    let (status, inc) = api(&d, "PATCH", &format!("{base}/{iid}"), Some(json!({"name": "Database down"})));
    assert_eq!((status, inc["name"].clone()), (200, json!("Database down")));
    assert_eq!(api(&d, "DELETE", &format!("{base}/{iid}"), None).0, 204);
    assert_eq!(count_in_state(&d, "incidents", &iid), 0);
    assert_eq!(count_in_state(&d, "incident_updates", &uid), 0);
}

#[test]
fn checks_filters_crud_and_pause() {
    let d = double();
    let (status, body) = api(&d, "GET", "/v1/checks", None);
    assert_eq!(status, 200);
    assert_eq!(ids(&body["checks"]), [SEED_CHECK_WEB_ID, SEED_CHECK_API_ID, SEED_CHECK_SSL_ID, SEED_CHECK_TCP_ID]);
    assert_pagination(&body["pagination"], 1, 20, 4);
    assert_eq!(body["checks"][0]["group"]["id"], SEED_CHECK_GROUP_ID);
    assert_eq!(body["checks"][3]["group"], Value::Null);
    assert!(body["checks"][1].get("secrets").is_none(), "secrets are write-only");
    for (query, expected) in [
        ("type=ssl", vec![SEED_CHECK_SSL_ID]),
        ("group_id=ungrouped", vec![SEED_CHECK_TCP_ID]),
        ("status=failed,paused", vec![SEED_CHECK_API_ID, SEED_CHECK_TCP_ID]),
        ("name=ACME", vec![SEED_CHECK_WEB_ID]),
        (&format!("group_id={SEED_CHECK_GROUP_ID}&page=2&page_size=2"), vec![SEED_CHECK_SSL_ID]),
    ] {
        let (_, body) = api(&d, "GET", &format!("/v1/checks?{query}"), None);
        assert_eq!(ids(&body["checks"]), expected, "{query}");
    }
    for (query, param) in
        [("page=0", "page"), ("page_size=101", "page_size"), ("type=smtp", "type"), ("page=x", "page")]
    {
        let (status, body) = api(&d, "GET", &format!("/v1/checks?{query}"), None);
        assert_eq!(status, 422, "{query}");
        assert!(body["errors"]["query"][param].is_array(), "{query}: {body}");
    }

    let (status, check) =
        api(&d, "POST", "/v1/checks", Some(json!({"name": "Shop", "type": "web", "url": "https://shop.example.com"})));
    assert_eq!(status, 201);
    assert_eq!(
        (check["status"].clone(), check["interval"].clone(), check["active"].clone()),
        (json!("pending"), json!(300), json!(true))
    );
    let cid = check["id"].as_str().expect("id").to_string();
    let (status, body) = api(&d, "POST", "/v1/checks", Some(json!({"type": "web", "interval": 10})));
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["json"]["name"], json!(["Missing data for required field."]));
    assert!(body["errors"]["json"]["interval"].is_array());

    // Pause and resume are PATCHes of `active`.
    let (_, paused) = api(&d, "PATCH", &format!("/v1/checks/{cid}"), Some(json!({"active": false})));
    assert_eq!(paused["status"], "paused");
    let (_, resumed) = api(&d, "PATCH", &format!("/v1/checks/{cid}"), Some(json!({"active": true, "interval": 60})));
    assert_eq!((resumed["status"].clone(), resumed["interval"].clone()), (json!("pending"), json!(60)));
    let (_, web) = api(&d, "PATCH", &format!("/v1/checks/{SEED_CHECK_WEB_ID}"), Some(json!({"active": false})));
    assert_eq!(web["status"], "paused");
    let (_, web) = api(&d, "PATCH", &format!("/v1/checks/{SEED_CHECK_WEB_ID}"), Some(json!({"active": true})));
    assert_eq!(web["status"], "ok");

    let r = send(&d, "PUT", &format!("/v1/checks/{cid}"), Some(KEY), Some("{}"));
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, PATCH, DELETE"));
    assert_eq!(
        r.json(),
        json!({"code": 405, "status": "Method Not Allowed", "message": "The method is not allowed for the requested URL."})
    );

    assert_eq!(api(&d, "DELETE", &format!("/v1/checks/{SEED_CHECK_API_ID}"), None).0, 204);
    let st = d.state();
    assert!(st["check_results"].as_array().expect("results").iter().all(|r| r["check_id"] != SEED_CHECK_API_ID));
    assert_eq!(st["check_secrets"], json!([]));
    assert_eq!(st["alert_rules"], json!([]));
    assert_eq!(api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_API_ID}"), None).1["message"], "Check not found");
}

#[test]
fn check_results_statistics_and_jobs() {
    let d = double();
    let (status, body) = api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_WEB_ID}/results?page_size=2"), None);
    assert_eq!(status, 200);
    assert_eq!(ids(&body["results"]), [SEED_RESULT_ID, "resweb000005"]);
    assert_pagination(&body["pagination"], 1, 2, 6);
    let (_, body) = api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_API_ID}/results?failed_only=true"), None);
    assert_eq!(ids(&body["results"]), ["resapi000006", "resapi000005"]);
    let (_, body) = api(
        &d,
        "GET",
        &format!("/v1/checks/{SEED_CHECK_WEB_ID}/results?start_date=2026-11-24T09:55:00.000000%2B0000"),
        None,
    );
    assert_eq!(body["pagination"]["total_items"], 2);
    let (status, _) = api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_WEB_ID}/results?start_date=soon"), None);
    assert_eq!(status, 422);
    let (_, one) = api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_WEB_ID}/results/{SEED_RESULT_ID}"), None);
    assert_eq!(one["status"], "ok");

    let (_, body) = api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_API_ID}/status-history"), None);
    assert_eq!(body["status_history"][0]["status"], "failed");
    assert_eq!(body["status_history"][0]["ended_at"], Value::Null);
    assert_eq!(body["status_history"][1]["ended_at"], "2026-11-24T09:55:00Z");
    let (_, up) = api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_API_ID}/uptime"), None);
    assert_eq!((up["total_checks"].clone(), up["failed_checks"].clone()), (json!(6), json!(2)));
    let (_, rt) = api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_WEB_ID}/response-times"), None);
    assert_eq!(rt["summary"]["count"], 6);
    let (_, all) = api(&d, "GET", &format!("/v1/checks/all-results?check_id={SEED_CHECK_SSL_ID}"), None);
    assert_eq!(all["pagination"]["total_items"], 3);
    assert_eq!(all["results"][0]["check_type"], "ssl");
    assert_eq!(all["results"][0]["result_type"], "regular");
    let (_, hist) = api(&d, "GET", "/v1/checks/status-history?status=failed", None);
    assert_eq!(hist["summary"]["total_checks"], 2);

    // Both executions answer 202 "queued" and leave a completed job behind.
    let (status, queued) = api(&d, "POST", &format!("/v1/checks/{SEED_CHECK_WEB_ID}/execute"), None);
    assert_eq!((status, queued["status"].clone()), (202, json!("queued")));
    let job_id = queued["job_id"].as_str().expect("job id").to_string();
    let (_, job) = api(&d, "GET", &format!("/v1/checks/jobs/{job_id}"), None);
    assert_eq!((job["status"].clone(), job["check_id"].clone()), (json!("completed"), json!(SEED_CHECK_WEB_ID)));
    assert_eq!(job["result"]["status"], "ok");
    let (status, queued) = api(
        &d,
        "POST",
        "/v1/checks/execute",
        Some(json!({"type": "api", "name": "probe", "url": "https://x.example"})),
    );
    assert_eq!(status, 202);
    let (status, body) = api(&d, "POST", "/v1/checks/execute", Some(json!({"name": "probe"})));
    assert_eq!((status, body["errors"]["json"]["type"].clone()), (422, json!(["Missing data for required field."])));
    let (_, jobs) = api(&d, "GET", "/v1/checks/jobs?per_page=2", None);
    assert_eq!(ids(&jobs["jobs"])[0], queued["job_id"].as_str().expect("job id"));
    assert_eq!(jobs["pagination"]["total_items"], 3);
    assert_eq!(jobs["pagination"]["per_page"], 2);
    assert_eq!(api(&d, "GET", &format!("/v1/checks/jobs/{SEED_JOB_ID}"), None).1["status"], "completed");
    assert_eq!(api(&d, "GET", "/v1/checks/jobs/nosuchjob000", None).1["message"], "Job not found");
}

#[test]
fn check_groups_and_secrets() {
    let d = double();
    let (_, groups) = api(&d, "GET", "/v1/check-groups", None);
    assert_eq!(ids(&groups["groups"]), [SEED_CHECK_GROUP_ID]);
    assert_eq!(groups["groups"][0]["checks_count"], 3);
    let (_, members) = api(&d, "GET", &format!("/v1/check-groups/{SEED_CHECK_GROUP_ID}/checks"), None);
    assert_eq!(members["pagination"]["total_items"], 3);
    let (status, g) = api(&d, "POST", "/v1/check-groups", Some(json!({"name": "Staging", "color": "#123abc"})));
    assert_eq!((status, g["checks_count"].clone(), g["active"].clone()), (201, json!(0), json!(true)));
    let (status, body) = api(&d, "POST", "/v1/check-groups", Some(json!({"name": "Bad", "color": "red"})));
    assert_eq!(
        (status, body["errors"]["json"]["color"].clone()),
        (422, json!(["String does not match expected pattern."]))
    );
    let (_, moved) =
        api(&d, "PATCH", &format!("/v1/checks/{SEED_CHECK_TCP_ID}/group"), Some(json!({"group_id": g["id"]})));
    assert_eq!(moved["group_id"], g["id"]);
    assert_eq!(api(&d, "DELETE", &format!("/v1/check-groups/{SEED_CHECK_GROUP_ID}"), None).0, 204);
    assert_eq!(api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_WEB_ID}"), None).1["group"], Value::Null);

    // Secret values appear only in the single-secret GET.
    let list = send(&d, "GET", "/v1/secrets", Some(KEY), None);
    assert!(!list.text.contains("s3cr3t"), "{}", list.text);
    assert_eq!(ids(&list.json()["secrets"]), [SEED_SECRET_ID, SEED_SECRET2_ID]);
    assert_eq!(list.json()["secrets"][0]["secret_value"], Value::Null);
    assert_eq!(api(&d, "GET", &format!("/v1/secrets/{SEED_SECRET_ID}"), None).1["secret_value"], SEED_SECRET_VALUE);
    let attached = send(&d, "GET", &format!("/v1/checks/{SEED_CHECK_API_ID}/secrets"), Some(KEY), None);
    assert!(!attached.text.contains("s3cr3t"), "{}", attached.text);
    assert_eq!(attached.json()[0]["env_variable"], "API_TOKEN");
    assert_eq!(attached.json()[0]["secret"]["secret_name"], "API_TOKEN");

    let (status, s) = api(&d, "POST", "/v1/secrets", Some(json!({"secret_name": "TOKEN2", "secret_value": "v2"})));
    assert_eq!(status, 201);
    let sid = s["id"].as_str().expect("id").to_string();
    let (status, body) = api(&d, "POST", "/v1/secrets", Some(json!({"name": "x", "value": "y"})));
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["json"]["name"], json!(["Unknown field."]));
    assert_eq!(body["errors"]["json"]["secret_value"], json!(["Missing data for required field."]));
    let (_, s) = api(&d, "PATCH", &format!("/v1/secrets/{sid}"), Some(json!({"secret_value": "v3"})));
    assert_eq!((s["secret_value"].clone(), s["secret_name"].clone()), (json!("v3"), json!("TOKEN2")));

    let path = format!("/v1/checks/{SEED_CHECK_WEB_ID}/secrets");
    let (status, a) = api(&d, "POST", &path, Some(json!({"secret_id": sid, "env_variable": "TOKEN"})));
    assert_eq!((status, a["secret_id"].clone()), (201, json!(sid)));
    assert_eq!(api(&d, "POST", &path, Some(json!({"secret_id": sid, "env_variable": "OTHER"}))).0, 409);
    let (status, body) = api(&d, "POST", &path, Some(json!({"secret_id": sid, "env_var_name": "X"})));
    assert_eq!((status, body["errors"]["json"]["env_var_name"].clone()), (422, json!(["Unknown field."])));
    let (status, list) = api(&d, "PUT", &path, Some(json!([{"secret_id": SEED_SECRET2_ID, "env_variable": "DB"}])));
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(api(&d, "DELETE", &format!("{path}/{SEED_SECRET2_ID}"), None).0, 204);
    assert_eq!(api(&d, "DELETE", &format!("{path}/{SEED_SECRET2_ID}"), None).0, 404);
    // A check's `secrets` field replaces its attachments as well.
    api(
        &d,
        "PATCH",
        &format!("/v1/checks/{SEED_CHECK_WEB_ID}"),
        Some(json!({"secrets": [{"secret_id": sid, "env_variable": "T"}]})),
    );
    assert_eq!(api(&d, "GET", &path, None).1[0]["env_variable"], "T");
    assert_eq!(api(&d, "DELETE", &format!("/v1/secrets/{SEED_SECRET_ID}"), None).0, 204);
    assert_eq!(api(&d, "GET", &format!("/v1/checks/{SEED_CHECK_API_ID}/secrets"), None).1, json!([]));
}

#[test]
fn alerts_rules_and_channels() {
    let d = double();
    let (status, body) = api(&d, "GET", "/v1/alerts?per_page=1", None);
    assert_eq!(status, 200);
    assert_eq!(body["alerts"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (body["pagination"]["total_items"].clone(), body["pagination"]["per_page"].clone()),
        (json!(2), json!(1))
    );
    let (_, firing) = api(&d, "GET", "/v1/alerts?status=firing", None);
    assert_eq!(ids(&firing["alerts"]), [SEED_ALERT_FIRING_ID]);
    assert_eq!(api(&d, "GET", "/v1/alerts?status=angry", None).0, 422);
    let (_, stats) = api(&d, "GET", "/v1/alerts/stats", None);
    assert_eq!(
        (stats["active_alerts"].clone(), stats["total_rules"].clone(), stats["total_channels"].clone()),
        (json!(1), json!(1), json!(1))
    );
    assert_eq!(stats["severity_breakdown"]["high"], 1);
    let (_, notes) = api(&d, "GET", &format!("/v1/alerts/{SEED_ALERT_RESOLVED_ID}/notifications"), None);
    assert_eq!(notes.as_array().map(Vec::len), Some(2));

    let (status, a) = api(&d, "POST", &format!("/v1/alerts/{SEED_ALERT_FIRING_ID}/acknowledge"), None);
    assert_eq!(
        (status, a["status"].clone(), a["acknowledged_by_id"].clone()),
        (200, json!("acknowledged"), json!(SEED_USER_ID))
    );
    let (_, a) = api(&d, "POST", &format!("/v1/alerts/{SEED_ALERT_FIRING_ID}/resolve"), None);
    assert_eq!((a["status"].clone(), a["is_active"].clone()), (json!("resolved"), json!(false)));
    assert_eq!(api(&d, "POST", &format!("/v1/alerts/{SEED_ALERT_FIRING_ID}/resolve"), None).0, 400);

    let (_, channels) = api(&d, "GET", "/v1/alerts/channels", None);
    assert_eq!(ids(&channels), [SEED_ALERT_CHANNEL_ID]);
    let (status, ch) = api(
        &d,
        "POST",
        "/v1/alerts/channels",
        Some(json!({"name": "Hook", "type": "webhook", "configuration": {"url": "https://h.example"}})),
    );
    assert_eq!((status, ch["enabled"].clone()), (201, json!(true)));
    let chid = ch["id"].as_str().expect("id").to_string();
    let (_, rules) = api(&d, "GET", "/v1/alerts/rules", None);
    assert_eq!(rules[0]["channels"][0]["id"], SEED_ALERT_CHANNEL_ID);
    assert_eq!(rules[0]["check_name"], "API health");
    let (status, rule) = api(
        &d,
        "POST",
        "/v1/alerts/rules",
        Some(
            json!({"name": "Web down", "check_id": SEED_CHECK_WEB_ID, "condition": "check_failed", "channel_ids": [chid]}),
        ),
    );
    assert_eq!(status, 201);
    assert_eq!(
        (rule["cooldown_period"].clone(), rule["multi_region_mode"].clone(), rule["auto_resolve"].clone()),
        (json!(300), json!("any_region"), json!(true))
    );
    let rid = rule["id"].as_str().expect("id").to_string();
    let (status, body) = api(
        &d,
        "POST",
        "/v1/alerts/rules",
        Some(json!({"name": "x", "check_id": SEED_CHECK_WEB_ID, "condition": "check_failed", "channel_ids": []})),
    );
    assert_eq!(
        (status, body["errors"]["json"]["channel_ids"].clone()),
        (422, json!(["Shorter than minimum length 1."]))
    );
    let (status, body) = api(
        &d,
        "POST",
        "/v1/alerts/rules",
        Some(
            json!({"name": "x", "check_id": SEED_CHECK_WEB_ID, "condition": "check_failed", "channel_ids": ["nochannel000"]}),
        ),
    );
    assert_eq!(
        (status, body["errors"]["json"]["channel_ids"].clone()),
        (422, json!(["Alert channel nochannel000 not found."]))
    );
    let (_, rule) = api(&d, "PUT", &format!("/v1/alerts/rules/{rid}"), Some(json!({"severity": "critical"})));
    assert_eq!((rule["severity"].clone(), rule["name"].clone()), (json!("critical"), json!("Web down")));
    assert_eq!(api(&d, "DELETE", &format!("/v1/alerts/channels/{chid}"), None).0, 204);
    assert_eq!(api(&d, "GET", &format!("/v1/alerts/rules/{rid}"), None).1["channel_ids"], json!([]));
    assert_eq!(api(&d, "DELETE", &format!("/v1/alerts/rules/{rid}"), None).0, 204);
    assert_eq!(api(&d, "GET", &format!("/v1/alerts/rules/{rid}"), None).1["message"], "Alert rule not found");
}

#[test]
fn heartbeats_and_pings() {
    let d = double();
    let (status, body) = api(&d, "GET", "/v1/heartbeats?per_page=1", None);
    assert_eq!(status, 200);
    assert_eq!(ids(&body["checks"]), [SEED_HEARTBEAT_UP_ID]);
    assert_eq!(
        (body["pagination"]["total_items"].clone(), body["pagination"]["per_page"].clone()),
        (json!(2), json!(1))
    );

    let (status, hb) = api(&d, "POST", "/v1/heartbeats", Some(json!({"name": "Job", "period_seconds": 120})));
    assert_eq!(status, 201);
    let hid = hb["id"].as_str().expect("id").to_string();
    assert_eq!(
        (hb["grace_seconds"].clone(), hb["active"].clone(), hb["status"].clone()),
        (json!(3600), json!(true), json!("grace"))
    );
    assert_eq!(hb["ping_url"], json!(format!("{}/v1/heartbeats/{hid}/ping", d.base_url())));
    let (status, body) = api(&d, "POST", "/v1/heartbeats", Some(json!({"name": "Job", "period_seconds": 10})));
    assert_eq!(
        (status, body["errors"]["json"]["period_seconds"].clone()),
        (422, json!(["Must be greater than or equal to 60."]))
    );

    // The ping needs no credentials.
    let r = send(&d, "POST", &format!("/v1/heartbeats/{hid}/ping"), None, Some(r#"{"run": 7}"#));
    assert_eq!(r.status, 200);
    assert_eq!((r.json()["status"].clone(), r.json()["check_id"].clone()), (json!("ok"), json!(hid)));
    assert_eq!(send(&d, "GET", &format!("/v1/heartbeats/{hid}/ping"), None, None).status, 200);
    let (_, detail) = api(&d, "GET", &format!("/v1/heartbeats/{hid}"), None);
    assert_eq!(detail["status"], "up");
    assert_eq!(detail["recent_pings"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["recent_pings"][1]["ping_data"], json!({"run": 7}));
    assert_eq!(detail["recent_pings"][0]["source_ip"], "127.0.0.1");

    let (_, pings) = api(&d, "GET", &format!("/v1/heartbeats/{SEED_HEARTBEAT_UP_ID}/pings?per_page=2"), None);
    assert_eq!(ids(&pings["pings"]), ["pngbackup003", "pngbackup002"]);
    assert_eq!(pings["pagination"]["total_items"], 3);
    let (_, counts) =
        api(&d, "GET", &format!("/v1/heartbeats/{SEED_HEARTBEAT_UP_ID}/pings-count?start_date=2026-11-23"), None);
    assert_eq!(counts["summary"]["total_pings"], 2);
    assert_eq!(counts["ping_counts"][0], json!({"hour": "2026-11-23T03:00:00Z", "ping_count": 1}));

    let (_, hb) =
        api(&d, "PATCH", &format!("/v1/heartbeats/{hid}"), Some(json!({"active": false, "grace_seconds": 120})));
    assert_eq!(
        (hb["status"].clone(), hb["grace_seconds"].clone(), hb["name"].clone()),
        (json!("paused"), json!(120), json!("Job"))
    );
    let (_, hb) = api(&d, "PUT", &format!("/v1/heartbeats/{hid}"), Some(json!({"name": "Job 2"})));
    assert_eq!(
        (hb["active"].clone(), hb["grace_seconds"].clone(), hb["name"].clone()),
        (json!(true), json!(3600), json!("Job 2"))
    );
    assert_eq!(api(&d, "DELETE", &format!("/v1/heartbeats/{hid}"), None).0, 204);
    assert_eq!(
        send(&d, "POST", &format!("/v1/heartbeats/{hid}/ping"), None, None).json()["message"],
        "Heartbeat check not found"
    );
    assert!(d.state()["heartbeat_pings"].as_array().expect("pings").iter().all(|p| p["check_id"] != json!(hid)));
}

#[test]
fn auth_errors_and_malformed_requests() {
    let d = double();
    let r = send(&d, "GET", "/v1/checks", None, None);
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"code": 401, "status": "Unauthorized", "message": "Missing Authorization header"}));
    assert_eq!(send(&d, "GET", "/v1/checks", Some("  "), None).status, 401);
    assert_eq!(send(&d, "GET", "/v1/checks", Some("anything"), None).status, 200);

    let r = send(&d, "GET", "/v1/nothing-here", Some(KEY), None);
    assert_eq!((r.status, r.json()["code"].clone(), r.json()["status"].clone()), (404, json!(404), json!("Not Found")));
    assert_eq!(send(&d, "GET", "/elsewhere", None, None).status, 404);
    let r = send(&d, "POST", "/v1/checks", Some(KEY), Some("{not json"));
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"code": 400, "status": "Bad Request", "message": "Invalid JSON body"}));
    let r = send(&d, "POST", "/v1/pages", Some(KEY), Some("[1, 2]"));
    assert_eq!((r.status, r.json()["errors"]["json"]["_schema"].clone()), (422, json!(["Invalid input type."])));
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(MAX_BODY + 1));
    let r = send(&d, "POST", "/v1/pages", Some(KEY), Some(&huge));
    assert_eq!((r.status, r.json()["code"].clone()), (413, json!(413)));
    // The server survives all of it.
    assert_eq!(api(&d, "GET", "/v1/pages", None).0, 200);

    let strict = ApiDouble::spawn(DoubleOptions {
        accepted_credentials: Some(vec!["key-1".into(), "Bearer jwt-1".into()]),
        ..DoubleOptions::default()
    })
    .expect("spawn");
    assert_eq!(send(&strict, "GET", "/v1/checks", Some("key-1"), None).status, 200);
    assert_eq!(send(&strict, "GET", "/v1/checks", Some("Bearer jwt-1"), None).status, 200);
    let r = send(&strict, "GET", "/v1/checks", Some("Bearer leaked-secret-token"), None);
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"code": 401, "status": "Unauthorized", "message": "Invalid credentials"}));
    assert!(!r.text.contains("leaked-secret-token"));
    assert_eq!(send(&strict, "GET", &format!("/v1/heartbeats/{SEED_HEARTBEAT_UP_ID}/ping"), None, None).status, 200);
}

#[test]
fn request_log_records_everything_but_control_calls() {
    let d = double();
    send(&d, "POST", "/v1/checks?dry=1", Some("Bearer jwt-9"), Some(r#"{"name": "a"}"#));
    send(&d, "PATCH", "/v1/checks/x", Some(KEY), Some("not json"));
    send(&d, "GET", "/v1/pages", None, None);
    send(&d, "GET", "/__double/stats", None, None);
    let log = d.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str(), log[0].query.as_deref()),
        ("POST", "/v1/checks", Some("dry=1"))
    );
    assert_eq!(log[0].body, Some(json!({"name": "a"})));
    assert_eq!(log[0].authorization.as_deref(), Some("Bearer jwt-9"));
    assert!(log[0].received_at.ends_with('Z') && log[0].received_at.len() == 24, "{}", log[0].received_at);
    assert_eq!(log[1].body, Some(json!("not json")));
    assert_eq!((log[2].authorization.clone(), log[2].body.clone(), log[2].query.clone()), (None, None, None));

    let over_http = send(&d, "GET", "/__double/requests", None, None).json();
    assert_eq!(over_http.as_array().map(Vec::len), Some(3));
    assert_eq!(over_http[0]["authorization"], "Bearer jwt-9");
    assert_eq!(send(&d, "DELETE", "/__double/requests", None, None).status, 204);
    assert!(d.requests().is_empty());
    send(&d, "GET", "/v1/pages", Some(KEY), None);
    d.clear_requests();
    assert!(d.requests().is_empty());
}

#[test]
fn fail_next_answers_with_the_status_then_recovers() {
    let d = double();
    d.fail_next(2, 503, Some(7));
    for _ in 0..2 {
        let r = send(&d, "GET", "/v1/pages", Some(KEY), None);
        assert_eq!(r.status, 503);
        assert_eq!(r.header("retry-after"), Some("7"));
        assert_eq!(r.json(), json!({"code": 503, "status": "Service Unavailable", "message": "Injected failure"}));
    }
    // Control calls are never faulted, and the third API call is normal again.
    d.fail_next(1, 500, None);
    assert_eq!(send(&d, "GET", "/__double/stats", None, None).status, 200);
    let r = send(&d, "GET", "/v1/pages", Some(KEY), None);
    assert_eq!((r.status, r.header("retry-after")), (500, None));
    assert_eq!(send(&d, "GET", "/v1/pages", Some(KEY), None).status, 200);
    assert_eq!(d.requests().len(), 4, "faulted requests are logged too");
}

#[test]
fn drop_next_closes_the_connection_without_a_response() {
    let d = double();
    d.drop_next(1);
    let mut stream = std::net::TcpStream::connect(d.addr()).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    stream.write_all(b"GET /v1/pages HTTP/1.1\r\nHost: x\r\nAuthorization: k\r\n\r\n").expect("write");
    let mut buf = Vec::new();
    let read = stream.read_to_end(&mut buf);
    assert!(buf.is_empty(), "got a response: {:?}", String::from_utf8_lossy(&buf));
    assert!(read.is_ok() || read.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset));
    assert_eq!(d.requests().len(), 1, "the dropped request is logged");
    assert_eq!(send(&d, "GET", "/v1/pages", Some(KEY), None).status, 200);
}

#[test]
fn hang_next_never_answers_until_the_client_leaves() {
    let d = double();
    d.hang_next(1);
    let started = Instant::now();
    let result =
        agent(Duration::from_millis(400)).get(format!("{}/v1/pages", d.base_url())).header("Authorization", KEY).call();
    assert!(matches!(result, Err(ureq::Error::Timeout(_))), "{result:?}");
    assert!(started.elapsed() >= Duration::from_millis(400));
    // The next request is served normally, and the abandoned one is no longer in flight once hyper notices
    // the closed socket (polled with a deadline, not a fixed sleep).
    assert_eq!(send(&d, "GET", "/v1/pages", Some(KEY), None).status, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while d.shared().in_flight() > 0 && Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(d.shared().in_flight(), 0);
    assert_eq!(d.requests().len(), 2);
}

#[test]
fn latency_delays_every_api_request_but_not_control_calls() {
    let d = ApiDouble::spawn(DoubleOptions { latency: Duration::from_millis(250), ..DoubleOptions::default() })
        .expect("spawn");
    let started = Instant::now();
    assert_eq!(send(&d, "GET", "/v1/pages", Some(KEY), None).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(250));
    // Rejected requests wait too: the latency models the network, not the handler.
    d.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(send(&d, "GET", "/v1/pages", None, None).status, 401);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // A latency far above any scheduling hiccup shows that control calls skip it.
    d.set_latency(Duration::from_secs(5));
    let started = Instant::now();
    assert_eq!(send(&d, "GET", "/__double/stats", None, None).status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn peak_in_flight_counts_concurrent_requests() {
    let d = double();
    // Each request is held for a second, far longer than it takes the four threads to send theirs.
    d.set_latency(Duration::from_secs(1));
    let barrier = Arc::new(Barrier::new(4));
    let base = d.base_url();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (barrier, url) = (barrier.clone(), format!("{base}/v1/checks"));
            std::thread::spawn(move || {
                barrier.wait();
                agent(Duration::from_secs(20)).get(url).header("Authorization", KEY).call().map(|r| r.status().as_u16())
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread").ok(), Some(200));
    }
    assert_eq!(d.peak_in_flight(), 4);
    let stats = send(&d, "GET", "/__double/stats", None, None).json();
    assert_eq!(stats, json!({"in_flight": 0, "peak_in_flight": 4, "total": 4}));
}

#[test]
fn control_api_over_http() {
    let d = double();
    let r = send(
        &d,
        "POST",
        "/__double/faults",
        None,
        Some(r#"{"latency_ms":0,"fail_next":{"count":1,"status":429,"retry_after":1},"drop_next":1,"hang_next":0}"#),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["fail_next"], json!({"count": 1, "status": 429, "retry_after": 1}));
    let r = send(&d, "GET", "/v1/pages", Some(KEY), None);
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    assert!(send_raw(&d, "GET", "/v1/pages", Some(KEY), None).is_err(), "dropped");
    assert_eq!(send(&d, "GET", "/v1/pages", Some(KEY), None).status, 200);

    let r = send(&d, "POST", "/__double/faults", None, Some(r#"{"drop_next":-1}"#));
    assert_eq!(
        (r.status, r.json()["errors"]["json"]["drop_next"].clone()),
        (422, json!(["Not a valid non-negative integer."]))
    );
    assert_eq!(send(&d, "POST", "/__double/faults", None, Some("{oops")).status, 400);
    assert_eq!(send(&d, "POST", "/__double/faults", None, Some(r#"{"explode":1}"#)).status, 422);
    let r = send(&d, "GET", "/__double/reset", None, None);
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    assert_eq!(send(&d, "GET", "/__double/nope", None, None).status, 404);

    api(&d, "DELETE", &format!("/v1/pages/{SEED_PAGE_ID}"), None);
    let state = send(&d, "GET", "/__double/state", None, None).json();
    assert_eq!(ids(&state["pages"]), [SEED_PAGE2_ID]);
    assert!(state["checks"].is_array() && state["heartbeat_pings"].is_array());

    d.set_latency(Duration::from_millis(50));
    assert_eq!(send(&d, "POST", "/__double/reset", None, None).status, 204);
    assert!(d.requests().is_empty());
    assert_eq!(ids(&d.state()["pages"]), [SEED_PAGE_ID, SEED_PAGE2_ID]);
    assert_eq!(send(&d, "GET", "/__double/faults", None, None).json()["latency_ms"], 0);
    assert_eq!(send(&d, "GET", "/__double/stats", None, None).json()["total"], 0);
    d.reset();
    assert_eq!(d.state()["pages"].as_array().map(Vec::len), Some(2));
}

#[test]
fn dropping_the_double_stops_the_server() {
    let d = double();
    d.hang_next(1);
    let addr = d.addr();
    // A hanging request must not keep the server alive.
    let hung = std::thread::spawn(move || {
        agent(Duration::from_secs(20)).get(format!("http://{addr}/v1/pages")).header("Authorization", KEY).call()
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while d.shared().in_flight() == 0 && Instant::now() < deadline {
        std::thread::yield_now();
    }
    drop(d);
    assert!(hung.join().expect("thread").is_err());
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn inflate_next_makes_the_next_list_reply_large_with_distinct_ids() {
    let d = double();
    // Over HTTP, so that the control route's parsing is covered too.
    let r = send(&d, "POST", "/__double/faults", None, Some(r#"{"inflate_next":{"count":1,"bytes":200000}}"#));
    assert_eq!((r.status, r.json()["inflate_next"].clone()), (200, json!({"count": 1, "bytes": 200000})));
    // A reply without a list is left alone and does not use the fault up.
    let (status, page) = api(&d, "GET", &format!("/v1/pages/{SEED_PAGE_ID}"), None);
    assert_eq!((status, page["id"].as_str()), (200, Some(SEED_PAGE_ID)));
    let r = send(&d, "GET", "/v1/checks", Some(KEY), None);
    assert!(r.text.len() >= 200_000, "{} bytes", r.text.len());
    let reply = r.json();
    let list = ids(&reply["checks"]);
    let distinct: std::collections::BTreeSet<&str> = list.iter().copied().collect();
    assert_eq!(distinct.len(), list.len(), "ids repeat");
    assert!(reply["pagination"].is_object(), "the envelope stays");
    // Used up: the next reply is the ordinary one.
    assert!(send(&d, "GET", "/v1/checks", Some(KEY), None).text.len() < 200_000);
    let r = send(&d, "POST", "/__double/faults", None, Some(r#"{"inflate_next":{"count":1}}"#));
    assert_eq!(r.status, 422);
}
