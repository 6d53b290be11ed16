//! End-to-end tests of the real binary over real pipes, against the in-repo API double on 127.0.0.1: the
//! behaviour that a transcript cannot express (timing, signals, process exit, memory, what reached the API).

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pingera_api_double::{ApiDouble, DoubleOptions};
use serde_json::{json, Value};

use crate::support::double;
use crate::support::{server_bin, Proc};

pub(crate) fn call(id: i64, tool: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}})
}

pub(crate) fn start(d: &ApiDouble, extra: &[(&str, &str)]) -> Proc {
    let base = d.base_url();
    let mut env = vec![("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", "test-key")];
    env.extend_from_slice(extra);
    Proc::start(&env, &[])
}

pub(crate) fn text_of(reply: &Value) -> String {
    reply["result"]["content"][0]["text"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_slow_call_does_not_hold_up_ping_and_calls_run_concurrently() {
    let d = double();
    d.set_latency(Duration::from_millis(800));
    let mut p = start(&d, &[]);
    p.initialize("2025-11-25");
    for id in 1..=4 {
        p.send(&call(id, "list_pages", json!({})));
    }
    p.send(&json!({"jsonrpc": "2.0", "id": 100, "method": "ping"}));
    // The ping is answered while four calls wait on the API, so it comes first.
    let first = p.recv();
    assert_eq!(first["id"], 100, "ping was held up: {first}");
    let mut ids: Vec<i64> = (0..4).map(|_| p.recv()["id"].as_i64().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert!(d.peak_in_flight() >= 4, "the API saw at most {} requests at once", d.peak_in_flight());
}

#[test]
fn end_of_input_answers_calls_in_flight_then_exits_0() {
    let d = double();
    d.set_latency(Duration::from_millis(500));
    let mut p = start(&d, &[]);
    p.initialize("2025-06-18");
    p.send(&call(7, "get_page_details", json!({"page_id": "pgmain000001"})));
    p.close_stdin();
    let reply = p.recv();
    assert_eq!(reply["id"], 7);
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert!(p.rest().is_empty());
    assert!(p.wait_exit(Duration::from_secs(10)).success());
}

fn signal_finishes_in_flight_calls(sig: &str) {
    let d = double();
    d.set_latency(Duration::from_millis(700));
    let mut p = start(&d, &[]);
    p.initialize("2025-11-25");
    p.send(&call(1, "list_pages", json!({})));
    // The ping reply proves the reader has taken the call before the signal arrives (lines are read in order).
    assert_eq!(p.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}))["id"], 2);
    let sent = Instant::now();
    p.signal(sig);
    let reply = p.recv();
    assert_eq!(reply["id"], 1, "{reply}");
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    let status = p.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{sig}: {status}");
    assert!(sent.elapsed() < Duration::from_secs(10));
}

#[test]
fn sigterm_answers_calls_in_flight_then_exits_0() {
    signal_finishes_in_flight_calls("TERM");
}

#[test]
fn sigint_answers_calls_in_flight_then_exits_0() {
    signal_finishes_in_flight_calls("INT");
}

#[test]
fn shutdown_is_bounded_when_a_call_hangs() {
    let d = double();
    d.hang_next(1);
    let base = d.base_url();
    let mut p =
        Proc::start(&[("PINGERA_BASE_URL", &base), ("PINGERA_API_KEY", "k"), ("PINGERA_SHUTDOWN_TIMEOUT", "1")], &[]);
    p.initialize("2025-11-25");
    p.send(&call(1, "list_pages", json!({})));
    assert_eq!(p.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}))["id"], 2);
    let closed = Instant::now();
    p.close_stdin();
    assert!(p.wait_exit(Duration::from_secs(10)).success());
    assert!(closed.elapsed() < Duration::from_secs(5), "shutdown took {:?}", closed.elapsed());
}

#[test]
fn a_closed_stdout_ends_the_process_quietly() {
    let mut child = Command::new(server_bin())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    // Keep writing pings until the server notices that nobody reads its replies and leaves.
    let ping = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n".repeat(64);
    let started = Instant::now();
    while stdin.write_all(&ping).is_ok() && started.elapsed() < Duration::from_secs(10) {}
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "exit {status}, stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_1_gib_line_does_not_grow_memory_past_the_limit() {
    let mut p = Proc::start(&[], &[]);
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..1024 {
        p.send_raw(&chunk);
    }
    p.send_raw(b"\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
    let err = p.recv();
    assert_eq!(err["error"]["code"], -32600, "{err}");
    assert_eq!(err["id"], Value::Null);
    assert_eq!(p.recv()["id"], 1);
    let hwm_kb = crate::support::peak_rss_kib(p.pid());
    // The limit is 4 MiB; the peak must stay far from the gigabyte that was sent.
    assert!(hwm_kb < 48 * 1024, "peak RSS {hwm_kb} kB");
}

#[test]
fn bad_configuration_exits_2_naming_the_variable() {
    for (var, value, expect) in [
        ("PINGERA_MODE", "rw", "invalid PINGERA_MODE=\"rw\": expected read_only or read_write"),
        ("HTTP_PORT", "eighty", "invalid HTTP_PORT=\"eighty\": expected a port number"),
        ("PINGERA_TIMEOUT", "0", "invalid PINGERA_TIMEOUT=\"0\""),
        ("PINGERA_MAX_RETRIES", "-1", "invalid PINGERA_MAX_RETRIES=\"-1\""),
        ("PINGERA_BASE_URL", "api.pingera.ru", "invalid PINGERA_BASE_URL=\"api.pingera.ru\""),
        ("PINGERA_TRANSPORT_MODE", "carrier-pigeon", "expected stdio, sse, http or streamable-http"),
        ("REQUIRE_AUTH_HEADER", "sometimes", "invalid REQUIRE_AUTH_HEADER=\"sometimes\": expected true or false"),
    ] {
        let out = Command::new(server_bin()).env_clear().env(var, value).stdin(Stdio::null()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{var}: {err}");
        assert!(out.stdout.is_empty(), "{var}: stdout must stay clean");
    }
}

#[test]
fn help_and_version() {
    let out = Command::new(server_bin()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "PINGERA_API_KEY",
        "PINGERA_JWT_TOKEN",
        "PINGERA_MODE",
        "PINGERA_BASE_URL",
        "PINGERA_TIMEOUT",
        "PINGERA_MAX_RETRIES",
        "PINGERA_DEBUG",
        "PINGERA_SERVER_NAME",
        "PINGERA_TRANSPORT_MODE",
        "PINGERA_HTTP_HOST",
        "PINGERA_HTTP_PORT",
        "PINGERA_REQUIRE_AUTH_HEADER",
        "TRANSPORT_MODE",
        "HTTP_HOST",
        "HTTP_PORT",
        "REQUIRE_AUTH_HEADER",
    ] {
        assert!(help.contains(var), "--help does not mention {var}");
    }
    let out = Command::new(server_bin()).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("pingera-mcp {}", env!("CARGO_PKG_VERSION")));
    let out = Command::new(server_bin()).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn server_version_is_the_crate_version() {
    let mut p = Proc::start(&[], &[]);
    let init = p.initialize("2025-06-18");
    assert_eq!(init["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
}

/// The credential reaches the API exactly as configured: a key raw, a JWT as Bearer, the JWT when both are set.
#[test]
fn the_configured_credential_reaches_the_api() {
    for (env, expected) in [
        (vec![("PINGERA_API_KEY", "key-raw-1")], "key-raw-1"),
        (vec![("PINGERA_JWT_TOKEN", "jwt-abc")], "Bearer jwt-abc"),
        (vec![("PINGERA_API_KEY", "key-raw-1"), ("PINGERA_JWT_TOKEN", "jwt-wins")], "Bearer jwt-wins"),
        (vec![("PINGERA_API_KEY", "key-flag"), ("PINGERA_JWT_TOKEN", "")], "key-flag"),
    ] {
        let d = double();
        let base = d.base_url();
        let mut all = vec![("PINGERA_BASE_URL", base.as_str())];
        all.extend(env.iter().copied());
        let mut p = Proc::start(&all, &[]);
        p.initialize("2025-11-25");
        let reply = p.request(&call(1, "list_pages", json!({})));
        assert_eq!(reply["result"]["isError"], false, "{reply}");
        let seen: Vec<Option<String>> = d.requests().into_iter().map(|r| r.authorization).collect();
        assert_eq!(seen, vec![Some(expected.to_owned())], "{env:?}");
    }
}

#[test]
fn a_refused_credential_says_so() {
    let d = ApiDouble::spawn(DoubleOptions {
        accepted_credentials: Some(vec!["good-key".into()]),
        ..DoubleOptions::default()
    })
    .unwrap();
    let mut p = start(&d, &[("PINGERA_API_KEY", "bad-key-value")]);
    p.initialize("2025-11-25");
    let reply = p.request(&call(1, "test_pingera_connection", json!({})));
    assert_eq!(reply["result"]["isError"], true);
    let text = text_of(&reply);
    assert!(text.starts_with("the Pingera API refused the credential (401 Unauthorized)"), "{text}");
    assert!(!text.contains("bad-key-value"), "{text}");
}

#[test]
fn get_retries_a_503_and_succeeds() {
    let d = double();
    d.fail_next(2, 503, None);
    let mut p = start(&d, &[("PINGERA_MAX_RETRIES", "2")]);
    p.initialize("2025-11-25");
    let reply = p.request(&call(1, "list_pages", json!({})));
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert_eq!(d.requests().len(), 3, "two failures and one success");
}

#[test]
fn max_retries_zero_means_one_attempt() {
    let d = double();
    d.fail_next(1, 503, None);
    let mut p = start(&d, &[("PINGERA_MAX_RETRIES", "0")]);
    p.initialize("2025-11-25");
    let reply = p.request(&call(1, "list_pages", json!({})));
    assert!(text_of(&reply).starts_with("Pingera API error 503 Service Unavailable"), "{reply}");
    assert_eq!(d.requests().len(), 1);
}

#[test]
fn a_post_that_meets_a_503_is_sent_once() {
    let d = double();
    d.fail_next(1, 503, None);
    let mut p = start(&d, &[("PINGERA_MODE", "read_write"), ("PINGERA_MAX_RETRIES", "3")]);
    p.initialize("2025-11-25");
    let reply = p.request(&call(1, "create_page", json!({"name": "Once only"})));
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    let posts = d.requests().into_iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1, "a create must never be sent twice");
}

#[test]
fn a_dropped_connection_is_retried_for_get_but_not_for_post() {
    let d = double();
    d.drop_next(1);
    let mut p = start(&d, &[("PINGERA_MODE", "read_write")]);
    p.initialize("2025-11-25");
    let reply = p.request(&call(1, "get_page_details", json!({"page_id": "pgmain000001"})));
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert_eq!(d.requests().len(), 2);
    d.clear_requests();
    d.drop_next(1);
    let reply = p.request(&call(2, "create_page", json!({"name": "Maybe created"})));
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert!(text_of(&reply).contains("could not reach the Pingera API at http://127.0.0.1:"), "{reply}");
    assert_eq!(d.requests().len(), 1);
}

#[test]
fn a_hung_api_call_ends_at_the_timeout() {
    let d = double();
    d.hang_next(1);
    let mut p = start(&d, &[("PINGERA_TIMEOUT", "1"), ("PINGERA_MAX_RETRIES", "3")]);
    p.initialize("2025-11-25");
    let started = Instant::now();
    let reply = p.request(&call(1, "list_pages", json!({})));
    let took = started.elapsed();
    assert_eq!(
        text_of(&reply),
        format!("the Pingera API at {} did not answer within 1s (PINGERA_TIMEOUT)", d.base_url())
    );
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn credentials_never_reach_the_logs() {
    let d = double();
    let base = d.base_url();
    let mut p = Proc::start(
        &[
            ("PINGERA_BASE_URL", &base),
            ("PINGERA_API_KEY", "sk-live-key-do-not-log-1234"),
            ("PINGERA_DEBUG", "true"),
            ("RUST_LOG", "trace"),
            ("PINGERA_MODE", "read_write"),
        ],
        &[],
    );
    p.initialize("2025-11-25");
    p.request(&call(1, "list_pages", json!({})));
    p.request(&call(2, "create_page", json!({"name": "x"})));
    p.close_stdin();
    p.wait_exit(Duration::from_secs(10));
    let err = p.stderr();
    assert!(err.contains("DEBUG"), "debug logging is on: {err}");
    assert!(!err.contains("sk-live-key-do-not-log-1234"), "{err}");
}

#[test]
fn check_subcommand_reports_and_masks() {
    let d = double();
    let out = Command::new(server_bin())
        .arg("check")
        .env_clear()
        .env("PINGERA_BASE_URL", d.base_url())
        .env("PINGERA_API_KEY", "check-secret-key-987654")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("API check: OK"), "{text}");
    assert!(text.contains("API key ****54 (23 chars)"), "{text}");
    assert!(!text.contains("check-secret-key"), "{text}");

    let refusing = ApiDouble::spawn(DoubleOptions {
        accepted_credentials: Some(vec!["other".into()]),
        ..DoubleOptions::default()
    })
    .unwrap();
    let out = Command::new(server_bin())
        .arg("check")
        .env_clear()
        .env("PINGERA_BASE_URL", refusing.base_url())
        .env("PINGERA_API_KEY", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("API check: FAILED: the Pingera API refused the credential"));
}

#[test]
fn base_url_with_v1_suffix_and_path_prefix_works() {
    let d = double();
    let base = format!("{}/v1/", d.base_url());
    let mut p = Proc::start(&[("PINGERA_BASE_URL", &base), ("PINGERA_API_KEY", "k")], &[]);
    p.initialize("2025-11-25");
    let reply = p.request(&call(1, "get_page_details", json!({"page_id": "pgmain000001"})));
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert_eq!(d.requests()[0].path, "/v1/pages/pgmain000001");
}
