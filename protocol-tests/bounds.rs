//! End-to-end tests of the limits of issue 11 that live outside the transports, over real pipes against the API
//! double: framing at end of input, ids and URIs that could change an API path, the upstream concurrency cap, the
//! reply size cap and secrets in logs. Each pins a row of that issue's table and would fail on the code before it.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{peak_rss_kib, Proc};

// The stdio tests' helpers: the same double, call shape and server start.
use crate::stdio::{call, start, text_of};
use crate::support::double;

/// A `ping` padded with spaces to exactly `len` bytes (JSON allows trailing whitespace).
fn ping_of_len(id: i64, len: usize) -> String {
    let mut line = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
    assert!(line.len() <= len);
    line.extend(std::iter::repeat_n(' ', len - line.len()));
    line
}

#[test]
fn a_last_line_without_newline_one_byte_over_the_limit_is_refused() {
    let limit = 1024;
    let mut p = Proc::start(&[("PINGERA_API_KEY", "k")], &["--max-message-bytes", &limit.to_string()]);
    p.initialize("2025-06-18");
    // At the limit, with and without the newline, the ping is served.
    p.send_line(&ping_of_len(1, limit));
    assert_eq!(p.recv()["id"], 1);
    // One byte over, with a newline: refused.
    p.send_line(&ping_of_len(2, limit + 1));
    let r = p.recv();
    assert_eq!(r["error"]["code"], -32600, "{r}");
    // One byte over, as the last line without a newline: refused the same way.
    p.send_raw(ping_of_len(3, limit + 1).as_bytes());
    p.close_stdin();
    let r = p.recv();
    assert_eq!(r["error"]["code"], -32600, "the unterminated over-long line was served: {r}");
    assert_eq!(r["id"], Value::Null, "{r}");
    assert!(p.rest().is_empty());
}

#[test]
fn ids_and_uris_that_could_change_the_path_are_refused_before_any_request() {
    let d = double();
    let mut p = start(&d, &[("PINGERA_MODE", "read_write")]);
    p.initialize("2025-11-25");
    d.clear_requests();
    let bad_ids = ["..", ".", "", "a/b", "%2e%2e", "%2E%2e%2f", "x?y=1", "x#y", "a\\b", "a\u{1}b", " "];
    let mut id = 0;
    for bad in bad_ids {
        for (tool, args) in [
            ("remove_secret_from_check", json!({"check_id": bad, "secret_id": "sec1"})),
            ("remove_secret_from_check", json!({"check_id": "chk1", "secret_id": bad})),
            ("get_check_details", json!({"check_id": bad})),
            ("delete_page", json!({"page_id": bad})),
            ("get_check_results", json!({"check_id": bad})),
        ] {
            id += 1;
            let r = p.request(&call(id, tool, args.clone()));
            assert_eq!(r["result"]["isError"], true, "{tool} {args}: {r}");
            let text = text_of(&r);
            assert!(text.starts_with(&format!("invalid arguments for {tool}")), "{tool} {args}: {text}");
        }
    }
    for uri in [
        "pingera://checks/../results",
        "pingera://checks/./results",
        "pingera://checks/%2e%2e/results",
        "pingera://pages/..",
        "pingera://pages/a%2Fb/components",
        "pingera://pages/a?b",
    ] {
        id += 1;
        let r = p.request(&json!({"jsonrpc": "2.0", "id": id, "method": "resources/read", "params": {"uri": uri}}));
        assert_eq!(r["error"]["code"], -32602, "{uri}: {r}");
    }
    assert!(d.requests().is_empty(), "requests left: {:?}", d.requests());
    // A well-formed id still goes through.
    id += 1;
    let r = p.request(&call(id, "get_check_details", json!({"check_id": "no-such-check"})));
    assert_eq!(d.requests().len(), 1, "{r}");
}

#[test]
fn api_requests_are_capped_per_process_and_queued_calls_all_finish() {
    let d = double();
    d.set_latency(Duration::from_millis(150));
    let mut p = start(&d, &[("PINGERA_MAX_UPSTREAM", "3")]);
    p.initialize("2025-06-18");
    for id in 1..=12 {
        p.send(&call(id, "list_pages", json!({})));
    }
    let mut ids: Vec<i64> = (0..12)
        .map(|_| {
            let r = p.recv();
            assert_eq!(r["result"]["isError"], false, "{r}");
            r["id"].as_i64().unwrap()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, (1..=12).collect::<Vec<_>>());
    assert_eq!(d.peak_in_flight(), 3, "the API saw {} requests at once", d.peak_in_flight());
}

#[test]
fn a_local_tool_never_waits_behind_api_calls_and_a_queued_call_can_be_cancelled() {
    let d = double();
    d.hang_next(2);
    let mut p = start(&d, &[("PINGERA_MAX_UPSTREAM", "2"), ("PINGERA_TIMEOUT", "4"), ("PINGERA_MAX_RETRIES", "0")]);
    p.initialize("2025-06-18");
    // Two calls hang on the API and hold both permits; the third waits for one.
    for id in 1..=3 {
        p.send(&call(id, "list_pages", json!({})));
    }
    let local = call(10, "generate_api_check_script", json!({"url": "https://example.com", "description": "up"}));
    let r = p.request(&local);
    assert_eq!(r["id"], 10, "the local tool waited behind the API: {r}");
    assert_eq!(r["result"]["isError"], false, "{r}");
    // The waiting call is cancelled: it leaves the queue and nothing is ever sent for it.
    p.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3}}));
    let mut ids: Vec<i64> = (0..2).map(|_| p.recv()["id"].as_i64().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, vec![1, 2]);
    // The ping is answered next: the cancelled call sent nothing.
    assert_eq!(p.request(&json!({"jsonrpc": "2.0", "id": 20, "method": "ping"}))["id"], 20);
    assert_eq!(d.shared().total_requests(), 2, "the cancelled call reached the API: {:?}", d.requests());
}

#[test]
fn a_reply_over_the_cap_is_a_clear_error_and_is_not_retried() {
    let d = double();
    let mut p = start(&d, &[("PINGERA_MAX_REPLY_BYTES", "2048"), ("PINGERA_MAX_RETRIES", "3")]);
    p.initialize("2025-06-18");
    d.clear_requests();
    let r = p.request(&call(1, "list_checks", json!({"page_size": 100})));
    assert_eq!(r["result"]["isError"], true, "{r}");
    let text = text_of(&r);
    assert!(text.contains("reply is larger than 2048 bytes (PINGERA_MAX_REPLY_BYTES)"), "{text}");
    assert_eq!(d.requests().len(), 1, "the over-large reply was fetched again: {:?}", d.requests());
    // A small reply under the same cap is served.
    let r = p.request(&call(2, "get_check_details", json!({"check_id": "no-such-check"})));
    assert!(!text_of(&r).contains("larger than"), "{r}");
}

#[test]
fn a_15_mb_reply_costs_memory_near_the_cap_and_is_cut_to_the_result_limit() {
    let d = double();
    d.inflate_next(1, 15_000_000);
    let mut p = start(&d, &[]);
    p.initialize("2025-06-18");
    let r = p.request(&call(1, "list_checks", json!({"page_size": 100})));
    assert_eq!(r["result"]["isError"], false, "{}", text_of(&r));
    // The model gets the first records and the exact call for the rest, within the result limit.
    let kept = r["result"]["structuredContent"]["checks"].as_array().map_or(0, Vec::len);
    assert!(kept > 10, "{kept} records kept");
    let note = r["result"]["content"][1]["text"].as_str().unwrap_or_default();
    assert!(note.contains(&format!("first {kept} of the ")), "{note}");
    assert!(r["result"].to_string().len() < 2 * 100_000, "a result of {} bytes", r["result"].to_string().len());
    // Before, the call held the raw reply, its whole decoded form and two more copies: 271 MiB for these 15 MB. Now
    // the reply is decoded as it arrives and only the records a result can hold are built.
    let peak = peak_rss_kib(p.pid());
    eprintln!("a 15 MB reply: server VmHWM {peak} KiB");
    assert!(peak < 24 * 1024, "peak RSS {peak} KiB for one 15 MB reply");
}

#[test]
fn a_reply_that_must_be_decoded_whole_is_refused_past_the_value_limit() {
    let d = double();
    // list_components pages locally, so it needs the whole list: past the limit it says so instead of decoding.
    d.inflate_next(1, 3_000_000);
    let mut p = start(&d, &[]);
    p.initialize("2025-06-18");
    let page_id = pingera_api_double::SEED_PAGE_ID;
    let r = p.request(&call(1, "list_components", json!({"page_id": page_id})));
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(text_of(&r).contains("more than 100000 JSON values"), "{}", text_of(&r));
    let peak = peak_rss_kib(p.pid());
    assert!(peak < 32 * 1024, "peak RSS {peak} KiB");
    // The next, ordinary reply is served.
    let r = p.request(&call(2, "list_components", json!({"page_id": page_id})));
    assert_eq!(r["result"]["isError"], false, "{r}");
}

#[test]
fn a_message_of_two_million_tiny_values_is_refused_before_it_is_decoded() {
    let mut p = Proc::start(&[("PINGERA_API_KEY", "k")], &[]);
    p.initialize("2025-06-18");
    // Just under the 4 MiB message limit: decoded, these zeros took 74.5 MiB before.
    let zeros = vec!["0"; 2_000_000].join(",");
    let line = format!(
        r#"{{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{{"name":"list_pages","arguments":{{"a":[{zeros}]}}}}}}"#
    );
    assert!(line.len() < 4 << 20);
    p.send_line(&line);
    let r = p.recv();
    assert_eq!((r["id"].clone(), r["error"]["code"].clone()), (json!(42), json!(-32600)), "{r}");
    let message = r["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("more than the limit of 100000"), "{message}");
    let peak = peak_rss_kib(p.pid());
    eprintln!("2 million values: server VmHWM {peak} KiB");
    assert!(peak < 32 * 1024, "peak RSS {peak} KiB");
    // The session goes on.
    assert_eq!(p.request(&json!({"jsonrpc": "2.0", "id": 43, "method": "ping"}))["id"], 43);
}

/// Every form in which a secret could reach a log or a reply: each 6-character fragment as text, and as the hex a
/// byte dump shows (contiguous or byte by byte, either case).
fn leaked_fragments(haystack: &str, secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let lower = haystack.to_ascii_lowercase();
    let mut found = Vec::new();
    for w in bytes.windows(6) {
        let text = String::from_utf8_lossy(w).into_owned();
        let hex: Vec<String> = w.iter().map(|b| format!("{b:02x}")).collect();
        for form in [text.clone(), hex.concat(), hex.join(" ")] {
            let hit = if form == text { haystack.contains(&form) } else { lower.contains(&form) };
            if hit {
                found.push(form);
            }
        }
    }
    found
}

fn assert_no_leak(what: &str, haystack: &str, secrets: &[&str]) {
    for s in secrets {
        let found = leaked_fragments(haystack, s);
        let at = found.first().and_then(|f| haystack.find(f.as_str())).unwrap_or(0);
        let near: String = haystack.chars().skip(at.saturating_sub(300)).take(600).collect();
        assert!(found.is_empty(), "{what}: fragments of {s:?} leaked: {found:?}, e.g. near: {near}");
    }
}

const API_KEY: &str = "sk7f3a9c1e5b2d8046Lq";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXZhbHVl";
const SECRET_VALUE: &str = "Xq82mZ7rTkdbVw51";
const NESTED_SECRET: &str = "Pw93nL4vUeYc06Ra";
const URL_PASSWORD: &str = "Hj27sK9dQwMx48Fe";

/// Runs tools and resource reads that carry every kind of secret at `RUST_LOG`, then looks for them everywhere.
fn secrets_stay_out_of_logs_and_replies(credential: (&str, &str), rust_log: &str) {
    let d = double();
    let base = d.base_url().replace("http://", &format!("http://mcp-user:{URL_PASSWORD}@"));
    let mut p = Proc::start(
        &[
            ("PINGERA_BASE_URL", &base),
            credential,
            ("RUST_LOG", rust_log),
            ("PINGERA_DEBUG", "true"),
            ("PINGERA_MODE", "read_write"),
        ],
        &[],
    );
    let mut out = Vec::new();
    p.initialize("2025-11-25");
    let mut req = |p: &mut Proc, v: Value| {
        let r = p.request(&v);
        out.push(r.to_string());
        r
    };
    let r = req(&mut p, call(1, "list_pages", json!({})));
    assert_eq!(r["result"]["isError"], false, "{r}");
    let r = req(&mut p, call(2, "create_secret", json!({"name": "DB_PASSWORD", "value": SECRET_VALUE})));
    assert_eq!(r["result"]["isError"], false, "{r}");
    let secret_id = r["result"]["structuredContent"]["id"].as_str().expect("the new secret's id").to_owned();
    req(&mut p, call(3, "get_secret_details", json!({"secret_id": secret_id})));
    let r = req(
        &mut p,
        call(
            4,
            "create_check",
            json!({"name": "c", "type": "web", "url": "https://example.com", "parameters": {"secret_value": NESTED_SECRET}}),
        ),
    );
    assert_eq!(r["result"]["isError"], false, "{r}");
    let check_id = r["result"]["structuredContent"]["id"].as_str().expect("the new check's id").to_owned();
    let read = json!({"jsonrpc": "2.0", "id": 5, "method": "resources/read",
                      "params": {"uri": format!("pingera://checks/{check_id}")}});
    let r = req(&mut p, read);
    assert!(r["result"]["contents"][0]["text"].as_str().unwrap().contains("[redacted"), "{r}");
    // An API that quotes the credential back in an error.
    d.echo_auth_next(1);
    let r = req(&mut p, call(6, "list_pages", json!({})));
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(text_of(&r).contains("Invalid credentials: "), "{r}");
    // A connection error names the base URL.
    p.close_stdin();
    p.wait_exit(Duration::from_secs(10));
    let err = p.stderr();
    assert!(err.contains("TRACE") || err.contains("DEBUG"), "verbose logging is on: {err}");
    let secrets = [credential.1, SECRET_VALUE, NESTED_SECRET, URL_PASSWORD];
    assert_no_leak("stderr", &err, &secrets);
    assert_no_leak("replies", &out.join("\n"), &secrets);
    assert!(!d.requests().is_empty());
}

#[test]
fn no_secret_reaches_stderr_or_a_reply_at_rust_log_trace_with_an_api_key() {
    secrets_stay_out_of_logs_and_replies(("PINGERA_API_KEY", API_KEY), "trace");
}

#[test]
fn no_secret_reaches_stderr_or_a_reply_with_third_party_loggers_asked_for_trace() {
    let filter = "trace,ureq=trace,ureq_proto=trace,ureq_proto::util=trace,rustls=trace,hyper=trace";
    secrets_stay_out_of_logs_and_replies(("PINGERA_JWT_TOKEN", JWT), filter);
}

#[test]
fn user_info_in_the_base_url_is_masked_in_check_and_errors() {
    let base = format!("http://mcp-user:{URL_PASSWORD}@127.0.0.1:9/v1");
    let out = std::process::Command::new(crate::support::server_bin())
        .arg("check")
        .env_clear()
        .env("PINGERA_BASE_URL", &base)
        .env("PINGERA_API_KEY", API_KEY)
        .env("PINGERA_MAX_RETRIES", "0")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("http://****@127.0.0.1:9"), "{stdout}");
    assert!(
        stdout.contains("API check: FAILED: could not reach the Pingera API at http://****@127.0.0.1:9"),
        "{stdout}"
    );
    assert_no_leak("check stdout", &stdout, &[URL_PASSWORD, API_KEY]);
    assert_no_leak("check stderr", &stderr, &[URL_PASSWORD, API_KEY]);
}
