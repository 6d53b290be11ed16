//! Sealed sessions and draining over real TCP: replicas that share `PINGERA_HTTP_SESSION_KEY` serve each other's
//! sessions; a foreign key, a changed byte, a rotated-out key or a deleted id is 404; SIGTERM drains. Several
//! `pingera-mcp` processes stand in for replicas (the load balancer itself is tested in `scale_out`).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::http::{initialize, post, request, POLL};
use crate::support::{double, http_server as replica};
use crate::support::{server_bin, HttpProc, Proc, TIMEOUT};

const KEY_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const KEY_B: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfefff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const V: (&str, &str) = ("MCP-Protocol-Version", "2025-11-25");

fn list_pages(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "list_pages", "arguments": {}}})
}

/// The status of a `tools/list` on session `sid` at `s`, and the number of tools when it is 200.
fn tools_list(s: &HttpProc, sid: &str) -> (u16, usize) {
    let r = post(s.addr, Some(sid), &[V], &json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}));
    let status = r.status;
    let body = r.json();
    (status, body["result"]["tools"].as_array().map_or(0, Vec::len))
}

#[test]
fn a_session_sealed_by_one_replica_is_served_by_another_with_the_same_key() {
    let d = double();
    let a = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let b = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let sid = initialize(a.addr, "2025-11-25", &[("Authorization", "client-key-1")]);
    assert!(sid.starts_with("s1.") && sid.bytes().all(|c| (0x21..=0x7e).contains(&c)), "{sid}");
    assert!(!sid.contains("client-key-1") && !sid.contains("env-key"), "no credential in the id: {sid}");

    let (status, tools) = tools_list(&b, &sid);
    assert_eq!(status, 200, "the other replica serves the session");
    assert!(tools > 10, "{tools}");
    let r = post(b.addr, Some(&sid), &[V, ("Authorization", "client-key-1")], &list_pages(8)).json();
    assert_eq!(r["result"]["isError"], false, "{r}");
    let reqs = d.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(
        reqs[0].authorization.as_deref(),
        Some("client-key-1"),
        "the request's own credential, never one sealed"
    );
    // The issuing replica still serves it too, and a second use at the adopting one finds it live.
    assert_eq!(tools_list(&a, &sid).0, 200);
    assert_eq!(tools_list(&b, &sid).0, 200);
}

#[test]
fn a_session_presented_to_a_replica_with_another_key_is_404() {
    let d = double();
    let a = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let other = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_B)]);
    let unkeyed = replica(&d, &[]);
    let sid = initialize(a.addr, "2025-11-25", &[]);
    assert_eq!(tools_list(&other, &sid).0, 404);
    assert_eq!(tools_list(&unkeyed, &sid).0, 404, "without a key, only this process's sessions exist");
    let get = request(other.addr, "GET", "/mcp", &[("Accept", "text/event-stream"), ("Mcp-Session-Id", &sid)], b"");
    assert_eq!(get.status, 404);
    assert_eq!(request(other.addr, "DELETE", "/mcp", &[("Mcp-Session-Id", &sid)], b"").status, 404);
    assert_eq!(tools_list(&a, &sid).0, 200, "the issuer still serves it");
}

#[test]
fn a_session_id_changed_by_one_byte_is_404() {
    let d = double();
    let a = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let b = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let sid = initialize(a.addr, "2025-11-25", &[]);
    let dot = sid.rfind('.').expect("payload.tag");
    // One byte in the prefix, the payload (where the protocol version and capabilities are), and the tag.
    for at in [1, 3, dot / 2, dot - 1, dot + 1, sid.len() - 1] {
        let mut bytes = sid.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(tools_list(&b, &tampered).0, 404, "byte {at} changed: {tampered}");
        assert_eq!(tools_list(&a, &tampered).0, 404, "byte {at} changed, at the issuer: {tampered}");
    }
    assert_eq!(tools_list(&b, &sid).0, 200, "the unchanged id is served");
}

#[test]
fn after_a_key_rotation_old_sessions_go_on_and_new_ones_use_the_new_key() {
    let d = double();
    let old = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let rotated = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_B), ("PINGERA_HTTP_SESSION_KEY_PREVIOUS", KEY_A)]);
    let new_only = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_B)]);
    let before = initialize(old.addr, "2025-11-25", &[]);
    assert_eq!(tools_list(&rotated, &before).0, 200, "the previous key opens existing sessions");
    let after = initialize(rotated.addr, "2025-11-25", &[]);
    assert_eq!(tools_list(&new_only, &after).0, 200, "new sessions are sealed with the current key");
    assert_eq!(tools_list(&old, &after).0, 404);
    assert_eq!(tools_list(&new_only, &before).0, 404, "once the previous key is dropped, its sessions end");
}

#[test]
fn delete_ends_a_sealed_session_on_the_replica_that_received_it() {
    let d = double();
    let a = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let b = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let sid = initialize(a.addr, "2025-11-25", &[]);
    // B has never seen the session: the DELETE is checked against the seal and accepted.
    assert_eq!(request(b.addr, "DELETE", "/mcp", &[("Mcp-Session-Id", &sid)], b"").status, 204);
    assert_eq!(tools_list(&b, &sid).0, 404, "B refuses the deleted id from now on");
    assert_eq!(request(b.addr, "DELETE", "/mcp", &[("Mcp-Session-Id", &sid)], b"").status, 404);
    // A did not hear of it (SPEC_NOTES: what cannot travel between replicas).
    assert_eq!(tools_list(&a, &sid).0, 200);
}

/// SPEC_NOTES §15, "what cannot travel": a cancellation sent to another replica is accepted and ignored (the
/// request finishes and is answered), and `logging/setLevel` holds on the replica that received it only.
#[test]
fn cancellation_and_log_level_stay_on_their_replica() {
    let d = double();
    d.set_latency(Duration::from_millis(1000));
    let a = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let b = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A)]);
    let sid = initialize(a.addr, "2025-11-25", &[]);
    let mut call = list_pages(5);
    call["params"]["_meta"] = json!({"progressToken": 5});
    let mut inflight = post(a.addr, Some(&sid), &[V], &call);
    let (_, first) = inflight.next_event().expect("the call is in flight on A");
    assert!(first.contains("notifications/progress"), "{first}");
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}});
    assert_eq!(post(b.addr, Some(&sid), &[V], &cancel).status, 202, "B accepts the cancellation");
    let mut last = None;
    while let Some((_, data)) = inflight.next_event() {
        last = Some(data);
    }
    let reply: Value = serde_json::from_str(&last.expect("A still answers")).unwrap();
    assert_eq!((reply["id"].clone(), reply["result"]["isError"].clone()), (json!(5), json!(false)), "{reply}");

    d.set_latency(Duration::ZERO);
    let set = json!({"jsonrpc": "2.0", "id": 6, "method": "logging/setLevel", "params": {"level": "debug"}});
    assert_eq!(post(a.addr, Some(&sid), &[V], &set).json()["result"], json!({}));
    let on_a = post(a.addr, Some(&sid), &[V], &list_pages(7));
    assert_eq!(on_a.header("content-type"), Some("text/event-stream"), "A streams log notifications now");
    let logs = on_a.messages().iter().filter(|m| m["method"] == "notifications/message").count();
    assert!(logs > 0, "A sends log notifications at the level set there");
    let on_b = post(b.addr, Some(&sid), &[V], &list_pages(8));
    assert_eq!(on_b.header("content-type"), Some("application/json"), "B uses the level sealed at initialize: none");
    assert_eq!(on_b.json()["result"]["isError"], false);
}

/// What the server says on stderr when it refuses to start with `env`; it must exit 2 at once.
fn config_error(env: &[(&str, &str)]) -> String {
    let mut all = vec![("PINGERA_TRANSPORT_MODE", "http"), ("PINGERA_HTTP_PORT", "0")];
    all.extend_from_slice(env);
    let mut p = Proc::start(&all, &[]);
    assert_eq!(p.wait_exit(TIMEOUT).code(), Some(2), "{}", p.stderr());
    p.stderr()
}

#[test]
fn keygen_prints_a_key_the_server_accepts_and_short_keys_are_refused_without_echo() {
    let out = std::process::Command::new(server_bin()).arg("keygen").output().expect("keygen runs");
    assert!(out.status.success());
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(key.len() >= 43, "{key}");
    let d = double();
    let s = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", &key)]);
    assert!(initialize(s.addr, "2025-11-25", &[]).starts_with("s1."));
    let err = config_error(&[("PINGERA_HTTP_SESSION_KEY", "too-short-secret")]);
    assert!(err.contains("PINGERA_HTTP_SESSION_KEY") && !err.contains("too-short-secret"), "{err}");
    let err = config_error(&[("PINGERA_HTTP_SESSION_KEY", &key), ("PINGERA_HTTP_SESSION_MAX_AGE", "10")]);
    assert!(err.contains("PINGERA_HTTP_SESSION_MAX_AGE"), "{err}");
}

#[test]
fn sigterm_with_a_drain_delay_answers_health_503_serves_and_finishes_requests_then_exits_0() {
    let d = double();
    d.set_latency(Duration::from_millis(1500));
    let mut s = replica(&d, &[("PINGERA_HTTP_SESSION_KEY", KEY_A), ("PINGERA_HTTP_DRAIN_DELAY", "3")]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    assert_eq!(request(s.addr, "GET", "/health", &[], b"").status, 200);
    // A progress token makes the reply a stream whose head arrives at once, so the call is surely in flight.
    let mut call = list_pages(1);
    call["params"]["_meta"] = json!({"progressToken": 1});
    let mut inflight = post(s.addr, Some(&sid), &[V], &call);
    assert_eq!(inflight.status, 200);
    let (_, first) = inflight.next_event().expect("a progress notification");
    assert!(first.contains("notifications/progress"), "{first}");
    s.proc.signal("TERM");
    let deadline = Instant::now() + TIMEOUT;
    let health = loop {
        let r = request(s.addr, "GET", "/health", &[], b"");
        if r.status == 503 {
            break r.json();
        }
        assert!(Instant::now() < deadline, "/health never answered 503 after SIGTERM");
        std::thread::sleep(POLL);
    };
    assert_eq!(health["status"], "draining");
    // While draining, new requests are still served (the load balancer may not have noticed yet).
    assert_eq!(tools_list(&s, &sid).0, 200);
    let mut last = None;
    while let Some((_, data)) = inflight.next_event() {
        last = Some(data);
    }
    let reply: Value = serde_json::from_str(&last.expect("the reply")).unwrap();
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert!(s.proc.wait_exit(TIMEOUT).success());
}

/// The deployment files (`deploy/`) name only settings the binary has, wire the session key from a Secret, probe
/// `/health`, drain within the grace period, and keep nginx SSE-friendly. (nginx itself runs them in `scale_out`.)
#[test]
fn deploy_files_use_real_settings_and_keep_their_promises() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let k8s = std::fs::read_to_string(root.join("kubernetes/pingera-mcp.yaml")).expect("the manifests exist");
    let help =
        String::from_utf8(std::process::Command::new(server_bin()).arg("--help").output().unwrap().stdout).unwrap();
    for var in k8s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("PINGERA_")) {
        assert!(help.contains(var), "deploy/kubernetes names {var}, which --help does not know");
    }
    for needle in
        ["kind: Deployment", "kind: Service", "readinessProbe", "livenessProbe", "path: /health", "secretKeyRef"]
    {
        assert!(k8s.contains(needle), "the manifests lack {needle:?}");
    }
    let number_after = |text: &str, key: &str| -> u64 {
        let at = text.find(key).unwrap_or_else(|| panic!("{key} missing")) + key.len();
        text[at..]
            .trim_start_matches([':', ' ', '"', ','])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    let drain = number_after(&k8s, "PINGERA_HTTP_DRAIN_DELAY, value");
    let shutdown = number_after(&k8s, "PINGERA_SHUTDOWN_TIMEOUT, value");
    assert!(
        drain + shutdown < number_after(&k8s, "terminationGracePeriodSeconds"),
        "the pod must drain within its grace period"
    );
    let nginx = std::fs::read_to_string(root.join("nginx/pingera-mcp.conf")).expect("the nginx configuration exists");
    for needle in
        ["proxy_buffering off;", "proxy_http_version 1.1;", "proxy_read_timeout 1h;", "proxy_set_header Host $host;"]
    {
        assert!(nginx.contains(needle), "deploy/nginx lacks {needle:?}");
    }
    assert!(!nginx.contains("non_idempotent"), "a POST that reached a replica must never be sent again");
}
