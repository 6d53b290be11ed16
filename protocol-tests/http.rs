//! The HTTP transports over real TCP on 127.0.0.1: Streamable HTTP at `/mcp`, the 2024-11-05 HTTP+SSE pair, the
//! gate (Host, Origin, credential), sessions, limits, health, and shutdown. One behaviour per test.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::http::{initialize, post, request, MCP_HEADERS, POLL};
use crate::support::TIMEOUT;
use crate::support::{double, http_server as server};

fn ping(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "ping"})
}

fn call(id: i64, tool: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}})
}

const V: (&str, &str) = ("MCP-Protocol-Version", "2025-11-25");

#[test]
fn initialize_issues_a_random_visible_ascii_session_id_and_answers_json() {
    let d = double();
    let s = server(&d, &[]);
    let r = post(
        s.addr,
        None,
        &[],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let sid = r.header("mcp-session-id").unwrap().to_owned();
    assert_eq!(sid.len(), 32);
    assert!(sid.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    let other = initialize(s.addr, "2025-11-25", &[]);
    assert_ne!(sid, other);
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-11-25");
}

#[test]
fn session_id_is_required_after_initialize_400_and_unknown_is_404() {
    let d = double();
    let s = server(&d, &[]);
    let _sid = initialize(s.addr, "2025-11-25", &[]);
    let r = post(s.addr, None, &[V], &ping(2));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("missing Mcp-Session-Id"));
    let r = post(s.addr, Some("0123456789abcdef0123456789abcdef"), &[V], &ping(3));
    assert_eq!(r.status, 404);
}

#[test]
fn delete_ends_a_session_and_later_use_is_404() {
    let d = double();
    let s = server(&d, &[]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    assert_eq!(post(s.addr, Some(&sid), &[V], &ping(1)).status, 200);
    let r = request(s.addr, "DELETE", "/mcp", &[("Mcp-Session-Id", &sid)], b"");
    assert_eq!(r.status, 204);
    assert_eq!(post(s.addr, Some(&sid), &[V], &ping(2)).status, 404);
    assert_eq!(request(s.addr, "DELETE", "/mcp", &[("Mcp-Session-Id", &sid)], b"").status, 404);
    assert_eq!(request(s.addr, "DELETE", "/mcp", &[], b"").status, 400);
}

#[test]
fn notifications_and_client_responses_get_202_without_body() {
    let d = double();
    let s = server(&d, &[]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    for msg in [
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}}),
        json!({"jsonrpc": "2.0", "id": 5, "result": {}}),
    ] {
        let r = post(s.addr, Some(&sid), &[V], &msg);
        assert_eq!(r.status, 202);
        assert_eq!(r.text(), "");
    }
}

#[test]
fn content_type_must_be_json_415_and_accept_must_allow_both_406() {
    let d = double();
    let s = server(&d, &[]);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string();
    let r = request(
        s.addr,
        "POST",
        "/mcp",
        &[("Content-Type", "text/plain"), ("Accept", "application/json, text/event-stream")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 415);
    let r = request(
        s.addr,
        "POST",
        "/mcp",
        &[("Content-Type", "application/json"), ("Accept", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 406);
    // A charset parameter is fine.
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let r = request(
        s.addr,
        "POST",
        "/mcp",
        &[("Content-Type", "application/json; charset=utf-8"), ("Accept", "*/*"), ("Mcp-Session-Id", &sid)],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn protocol_version_header_is_checked() {
    let d = double();
    let s = server(&d, &[]);
    let sid = initialize(s.addr, "2025-06-18", &[]);
    assert_eq!(post(s.addr, Some(&sid), &[("MCP-Protocol-Version", "1999-01-01")], &ping(1)).status, 400);
    assert_eq!(post(s.addr, Some(&sid), &[("MCP-Protocol-Version", "not a version")], &ping(2)).status, 400);
    // Another supported version is not an error (the spec asks for 400 only when invalid or unsupported).
    assert_eq!(post(s.addr, Some(&sid), &[("MCP-Protocol-Version", "2025-03-26")], &ping(2)).status, 200);
    assert_eq!(post(s.addr, Some(&sid), &[("MCP-Protocol-Version", "2025-06-18")], &ping(3)).status, 200);
    // Without the header the session's negotiated version applies.
    assert_eq!(post(s.addr, Some(&sid), &[], &ping(4)).status, 200);
}

#[test]
fn invalid_json_is_400_with_parse_error() {
    let d = double();
    let s = server(&d, &[]);
    let r = request(s.addr, "POST", "/mcp", MCP_HEADERS, b"{nope");
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["error"]["code"], -32700);
    assert_eq!(v["id"], Value::Null);
}

#[test]
fn a_body_over_the_limit_is_413() {
    let d = double();
    let s = server(&d, &[("PINGERA_MAX_MESSAGE_BYTES", "2048")]);
    let big =
        format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{{\"x\":\"{}\"}}}}", "a".repeat(5000));
    let r = request(s.addr, "POST", "/mcp", MCP_HEADERS, big.as_bytes());
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"]["data"]["limit"], 2048);
}

#[test]
fn trailing_slash_answers_the_same_without_redirect() {
    let d = double();
    let s = server(&d, &[]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let r = request(s.addr, "POST", "/mcp/", MCP_HEADERS, init.to_string().as_bytes());
    assert_eq!(r.status, 200);
    assert!(r.header("mcp-session-id").is_some());
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
    let d = double();
    let s = server(&d, &[]);
    assert_eq!(request(s.addr, "GET", "/nope", &[], b"").status, 404);
    let r = request(s.addr, "PUT", "/mcp", MCP_HEADERS, b"{}");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, POST, DELETE"));
    assert_eq!(request(s.addr, "POST", "/sse", MCP_HEADERS, b"{}").status, 405);
}

#[test]
fn get_opens_one_sse_stream_per_session() {
    let d = double();
    let s = server(&d, &[]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let h = [("Accept", "text/event-stream"), ("Mcp-Session-Id", sid.as_str())];
    let first = request(s.addr, "GET", "/mcp", &h, b"");
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("text/event-stream"));
    assert_eq!(request(s.addr, "GET", "/mcp", &h, b"").status, 409);
    assert_eq!(request(s.addr, "GET", "/mcp", &[("Accept", "text/event-stream")], b"").status, 400);
    assert_eq!(
        request(s.addr, "GET", "/mcp", &[("Accept", "application/json"), ("Mcp-Session-Id", &sid)], b"").status,
        406
    );
    // Ending the session ends its stream.
    assert_eq!(request(s.addr, "DELETE", "/mcp", &[("Mcp-Session-Id", &sid)], b"").status, 204);
    let mut first = first;
    assert_eq!(first.next_event(), None);
}

#[test]
fn dns_rebinding_bad_host_or_origin_is_403() {
    let d = double();
    let s = server(&d, &[]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).to_string();
    let mut h = MCP_HEADERS.to_vec();
    h.push(("Host", "evil.example.com"));
    assert_eq!(request(s.addr, "POST", "/mcp", &h, init.as_bytes()).status, 403);
    let mut h = MCP_HEADERS.to_vec();
    h.push(("Origin", "http://evil.example.com"));
    assert_eq!(request(s.addr, "POST", "/mcp", &h, init.as_bytes()).status, 403);
    let host = format!("localhost:{}", s.addr.port());
    let origin = format!("http://localhost:{}", s.addr.port());
    let mut h = MCP_HEADERS.to_vec();
    h.push(("Host", &host));
    h.push(("Origin", &origin));
    assert_eq!(request(s.addr, "POST", "/mcp", &h, init.as_bytes()).status, 200);
}

#[test]
fn configured_origins_are_allowed() {
    let d = double();
    let s = server(&d, &[("PINGERA_HTTP_ALLOWED_ORIGINS", "https://app.example.com")]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).to_string();
    let mut h = MCP_HEADERS.to_vec();
    h.push(("Origin", "https://app.example.com"));
    assert_eq!(request(s.addr, "POST", "/mcp", &h, init.as_bytes()).status, 200);
}

#[test]
fn required_auth_header_missing_is_401_with_challenge() {
    let d = double();
    let s = server(&d, &[("PINGERA_REQUIRE_AUTH_HEADER", "true")]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let r = post(s.addr, None, &[], &init);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"pingera-mcp\""));
    let body = r.json();
    assert!(body["error"]["message"].as_str().unwrap().contains("missing Authorization header"), "{body}");
    // GET and DELETE are gated too, before any session lookup.
    assert_eq!(request(s.addr, "GET", "/mcp", &[("Accept", "text/event-stream")], b"").status, 401);
    assert_eq!(request(s.addr, "GET", "/sse", &[("Accept", "text/event-stream")], b"").status, 401);
    // With the header the request is served, and the API sees that credential, not the configured one.
    let sid = initialize(s.addr, "2025-11-25", &[("Authorization", "caller-key")]);
    let r = post(s.addr, Some(&sid), &[V, ("Authorization", "caller-key")], &call(2, "list_pages", json!({})));
    assert_eq!(r.status, 200);
    assert_eq!(d.requests()[0].authorization.as_deref(), Some("caller-key"));
}

#[test]
fn each_request_forwards_its_own_credential_or_falls_back_to_the_configured_one() {
    let d = double();
    let s = server(&d, &[]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    for (header, expected) in [
        (Some("Bearer jwt-x"), "Bearer jwt-x"),
        (Some("raw-key-y"), "raw-key-y"),
        (Some("bearer jwt-z"), "Bearer jwt-z"),
        (None, "env-key"),
    ] {
        d.clear_requests();
        let mut h = vec![V];
        if let Some(a) = header {
            h.push(("Authorization", a));
        }
        let r = post(s.addr, Some(&sid), &h, &call(1, "list_pages", json!({})));
        assert_eq!(r.status, 200);
        let msgs = r.messages();
        assert_eq!(msgs[0]["result"]["isError"], false, "{msgs:?}");
        assert_eq!(d.requests()[0].authorization.as_deref(), Some(expected), "{header:?}");
    }
}

#[test]
fn the_session_limit_answers_503() {
    let d = double();
    let s = server(&d, &[("PINGERA_HTTP_MAX_SESSIONS", "2")]);
    initialize(s.addr, "2025-11-25", &[]);
    initialize(s.addr, "2025-11-25", &[]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let r = post(s.addr, None, &[], &init);
    assert_eq!(r.status, 503);
    assert_eq!(request(s.addr, "GET", "/sse", &[("Accept", "text/event-stream")], b"").status, 503);
}

#[test]
fn concurrent_initialize_requests_never_exceed_the_session_limit() {
    let d = double();
    let s = server(&d, &[("PINGERA_HTTP_MAX_SESSIONS", "3")]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let barrier = std::sync::Barrier::new(12);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..12)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    post(s.addr, None, &[], &init).status
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().expect("a racer finishes")).collect()
    });
    // Sessions never used after their initialize give way to newer ones (SPEC_NOTES, "Sessions under a flood"), so
    // more than three racers may succeed; the table still never holds more than three.
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok >= 3, "{statuses:?}");
    assert_eq!(ok + statuses.iter().filter(|s| **s == 503).count(), 12, "{statuses:?}");
    assert_eq!(request(s.addr, "GET", "/health", &[], b"").json()["sessions"], 3);
}

#[test]
fn idle_sessions_end_after_their_lifetime() {
    let d = double();
    let s = server(&d, &[("PINGERA_HTTP_SESSION_IDLE_TIMEOUT", "1")]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let started = Instant::now();
    // The health endpoint reports the session count; wait until the reaper has ended the idle session.
    loop {
        let n = request(s.addr, "GET", "/health", &[], b"").json()["sessions"].as_u64().unwrap();
        if n == 0 {
            break;
        }
        assert!(started.elapsed() < TIMEOUT, "the idle session was never ended");
        std::thread::sleep(POLL);
    }
    assert!(started.elapsed() >= Duration::from_millis(900), "ended too early: {:?}", started.elapsed());
    assert_eq!(post(s.addr, Some(&sid), &[V], &ping(1)).status, 404);
}

#[test]
fn slow_header_senders_are_cut_off() {
    let d = double();
    let s = server(&d, &[("PINGERA_HTTP_HEADER_TIMEOUT", "0.5")]);
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    // The server closes the connection (possibly after a 408) once the header timeout passes.
    let _ = stream.read_to_end(&mut buf);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "the connection stayed open {took:?}");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
}

#[test]
fn a_call_with_a_progress_token_streams_progress_then_the_result() {
    let d = double();
    let s = server(&d, &[]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let msg = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "list_pages", "arguments": {}, "_meta": {"progressToken": "t"}}});
    let r = post(s.addr, Some(&sid), &[V], &msg);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let msgs = r.messages();
    let methods: Vec<&str> = msgs.iter().map(|m| m["method"].as_str().unwrap_or("reply")).collect();
    assert_eq!(methods, vec!["notifications/progress", "notifications/progress", "reply"]);
    assert_eq!(msgs[2]["id"], 7);
    assert_eq!(msgs[2]["result"]["isError"], false);
    // Without a token and without a log level the same call is one JSON body.
    let r = post(s.addr, Some(&sid), &[V], &call(8, "list_pages", json!({})));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn several_posts_on_one_session_run_concurrently() {
    let d = double();
    d.set_latency(Duration::from_millis(600));
    let s = server(&d, &[]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let addr = s.addr;
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let sid = sid.clone();
            std::thread::spawn(move || post(addr, Some(&sid), &[V], &call(i, "list_pages", json!({}))).messages())
        })
        .collect();
    for t in threads {
        let msgs = t.join().unwrap();
        assert_eq!(msgs[0]["result"]["isError"], false, "{msgs:?}");
    }
    assert!(d.peak_in_flight() >= 4, "peak {}", d.peak_in_flight());
}

/// Twenty sessions, each with its own key, call tools concurrently; every API request carries the key of the
/// session that caused it (each session asks for its own page id, so the double's log ties requests to sessions).
#[test]
fn twenty_sessions_with_their_own_keys_never_cross_talk() {
    let d = double();
    d.set_latency(Duration::from_millis(20));
    let s = server(&d, &[]);
    let addr = s.addr;
    let threads: Vec<_> = (0..20)
        .map(|i| {
            std::thread::spawn(move || {
                let key = format!("key-of-session-{i:02}");
                let auth = [("Authorization", key.as_str())];
                let sid = initialize(addr, "2025-11-25", &auth);
                let calls: Vec<_> = (0..5)
                    .map(|j| {
                        let (sid, key) = (sid.clone(), key.clone());
                        std::thread::spawn(move || {
                            let page = format!("page-of-s{i:02}");
                            let h = [V, ("Authorization", key.as_str())];
                            post(addr, Some(&sid), &h, &call(j, "get_page_details", json!({"page_id": page})))
                                .messages()
                        })
                    })
                    .collect();
                for c in calls {
                    let msgs = c.join().unwrap();
                    assert!(msgs[0].get("result").is_some(), "{msgs:?}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let reqs = d.requests();
    assert_eq!(reqs.len(), 100);
    for r in reqs {
        let session = r.path.trim_start_matches("/v1/pages/page-of-s");
        assert_eq!(r.authorization.as_deref(), Some(format!("key-of-session-{session}").as_str()), "{r:?}");
    }
}

#[test]
fn legacy_sse_transport_announces_the_endpoint_and_answers_on_the_stream() {
    let d = double();
    let s = server(&d, &[]);
    let mut stream = request(s.addr, "GET", "/sse", &[("Accept", "text/event-stream")], b"");
    assert_eq!(stream.status, 200);
    let (event, endpoint) = stream.next_event().unwrap();
    assert_eq!(event, "endpoint");
    assert!(endpoint.starts_with("/messages?sessionId="), "{endpoint}");
    let ct = [("Content-Type", "application/json")];
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}});
    let r = request(s.addr, "POST", &endpoint, &ct, init.to_string().as_bytes());
    assert_eq!(r.status, 202);
    let (_, data) = stream.next_event().unwrap();
    let reply: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(reply["result"]["protocolVersion"], "2024-11-05");
    let r = request(s.addr, "POST", &endpoint, &ct, call(2, "list_pages", json!({})).to_string().as_bytes());
    assert_eq!(r.status, 202);
    let (_, data) = stream.next_event().unwrap();
    let reply: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(reply["id"], 2);
    assert_eq!(reply["result"]["isError"], false);
    assert_eq!(request(s.addr, "POST", "/messages", &ct, b"{}").status, 400);
    assert_eq!(request(s.addr, "POST", "/messages?sessionId=nope", &ct, b"{}").status, 404);
    assert_eq!(request(s.addr, "POST", &endpoint, &ct, b"{oops").status, 400);
}

#[test]
fn health_and_info() {
    let d = double();
    let s = server(&d, &[("PINGERA_MODE", "read_write")]);
    let h = request(s.addr, "GET", "/health", &[], b"").json();
    assert_eq!(h["status"], "healthy");
    assert_eq!(h["mode"], "read_write");
    let i = request(s.addr, "GET", "/", &[], b"").json();
    assert_eq!(i["mcp_endpoint"], "/mcp");
    assert_eq!(i["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(i["transport"], "streamable-http");
    assert_eq!(i["mode"], "read_write");
}

#[test]
fn sigterm_answers_requests_in_flight_closes_streams_and_exits_0() {
    let d = double();
    d.set_latency(Duration::from_millis(800));
    let mut s = server(&d, &[]);
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let mut get = request(s.addr, "GET", "/mcp", &[("Accept", "text/event-stream"), ("Mcp-Session-Id", &sid)], b"");
    assert_eq!(get.status, 200);
    let addr = s.addr;
    let sid2 = sid.clone();
    // A progress token makes the reply a stream whose head arrives at once, so the call is surely in flight.
    let mut inflight = post(
        addr,
        Some(&sid2),
        &[V],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_pages", "arguments": {}, "_meta": {"progressToken": 1}}}),
    );
    assert_eq!(inflight.status, 200);
    let (_, first) = inflight.next_event().unwrap();
    assert!(first.contains("notifications/progress"));
    s.proc.signal("TERM");
    let mut last = None;
    while let Some((_, data)) = inflight.next_event() {
        last = Some(data);
    }
    let reply: Value = serde_json::from_str(&last.unwrap()).unwrap();
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["result"]["isError"], false);
    assert_eq!(get.next_event(), None, "the GET stream is closed");
    assert!(s.proc.wait_exit(Duration::from_secs(10)).success());
}

#[test]
fn binding_beyond_loopback_with_a_configured_key_warns() {
    let d = double();
    let s = server(&d, &[("PINGERA_HTTP_HOST", "0.0.0.0")]);
    let line = s.proc.wait_stderr("non-loopback");
    assert!(line.contains("PINGERA_REQUIRE_AUTH_HEADER"), "{line}");
    assert!(!s.proc.stderr().contains("env-key"));
}

fn modern(method: &str, params: Value) -> Value {
    let mut p = params;
    p["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": p})
}

#[test]
fn modern_requests_are_stateless_and_their_headers_must_match_the_body() {
    let d = double();
    let s = server(&d, &[]);
    let v = ("MCP-Protocol-Version", "2026-07-28");
    // No session is needed or issued.
    let r = post(s.addr, None, &[v, ("Mcp-Method", "server/discover")], &modern("server/discover", json!({})));
    assert_eq!(r.status, 200);
    assert!(r.header("mcp-session-id").is_none());
    assert_eq!(r.json()["result"]["supportedVersions"], json!(["2026-07-28"]));
    let call = modern("tools/call", json!({"name": "list_pages", "arguments": {}}));
    let r = post(
        s.addr,
        None,
        &[v, ("Mcp-Method", "tools/call"), ("Mcp-Name", "list_pages"), ("Authorization", "modern-key")],
        &call,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["result"]["resultType"], "complete");
    assert_eq!(d.requests()[0].authorization.as_deref(), Some("modern-key"));
    // The name may come base64-encoded.
    let r = post(s.addr, None, &[v, ("Mcp-Method", "tools/call"), ("Mcp-Name", "=?base64?bGlzdF9wYWdlcw==?=")], &call);
    assert_eq!(r.status, 200);
    // Mismatches and missing headers are 400 with -32020.
    for h in [
        vec![v, ("Mcp-Method", "tools/list"), ("Mcp-Name", "list_pages")],
        vec![v, ("Mcp-Name", "list_pages")],
        vec![v, ("Mcp-Method", "tools/call"), ("Mcp-Name", "get_page_details")],
        vec![v, ("Mcp-Method", "tools/call")],
    ] {
        let r = post(s.addr, None, &h, &call);
        assert_eq!(r.status, 400, "{h:?}");
        assert_eq!(r.json()["error"]["code"], -32020, "{h:?}");
    }
    let mut other = call.clone();
    other["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2026-01-01");
    let r = post(s.addr, None, &[v, ("Mcp-Method", "tools/call"), ("Mcp-Name", "list_pages")], &other);
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (400, json!(-32020)));
}

#[test]
fn modern_errors_map_to_their_statuses() {
    let d = double();
    let s = server(&d, &[]);
    // Missing _meta keys: 400 with -32602.
    let bare = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let r = post(s.addr, None, &[("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list")], &bare);
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (400, json!(-32602)));
    // An unknown version: 400 with -32022 and the supported versions.
    let mut body = modern("tools/list", json!({}));
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let r = post(s.addr, None, &[("MCP-Protocol-Version", "2099-01-01"), ("Mcp-Method", "tools/list")], &body);
    assert_eq!(r.status, 400);
    let e = r.json()["error"].clone();
    assert_eq!(e["code"], -32022);
    assert_eq!(e["data"], json!({"supported": ["2026-07-28"], "requested": "2099-01-01"}));
    // Methods the era removed: 404 with -32601.
    for m in ["initialize", "ping", "logging/setLevel", "resources/subscribe"] {
        let r = post(s.addr, None, &[("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", m)], &modern(m, json!({})));
        assert_eq!((r.status, r.json()["error"]["code"].clone()), (404, json!(-32601)), "{m}");
    }
    // No GET stream and no DELETE in 2026-07-28.
    let h = [("MCP-Protocol-Version", "2026-07-28"), ("Accept", "text/event-stream")];
    assert_eq!(request(s.addr, "GET", "/mcp", &h, b"").status, 405);
    assert_eq!(request(s.addr, "DELETE", "/mcp", &h, b"").status, 405);
    // Both eras are served on the same endpoint at once.
    let sid = initialize(s.addr, "2025-11-25", &[]);
    assert_eq!(post(s.addr, Some(&sid), &[V], &ping(9)).status, 200);
}
