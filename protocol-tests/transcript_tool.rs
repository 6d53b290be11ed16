//! The `mcp-transcript` binary end to end, against our own server and the API double (no Node or Python): every
//! command over stdio and over HTTP, captures, secrets, `--update`, `--junit`, `--json`, `--verbose`, the
//! per-message timeout, and each exit status. Third-party servers are in `third_party.rs` (feature
//! `external-tests`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use pingera_api_double::{ApiDouble, DoubleOptions};
use serde_json::{json, Value};

use crate::support::http;
use crate::support::{server_bin, HttpProc, Proc, TIMEOUT};

/// The binary under test.
pub fn tool() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_mcp-transcript"))
}

/// A fresh, empty directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "transcript-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory can be created");
    dir
}

/// What one run of the tool did.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    proc: Proc,
}

impl Ran {
    /// Whether the run said `needle` on stdout or stderr (stderr is read on a thread, so it is waited for).
    pub fn said(&self, needle: &str) -> bool {
        self.stdout.contains(needle) || !self.proc.wait_stderr(needle).is_empty()
    }
}

/// Runs the tool to its end (bounded) with exactly these environment variables (plus PATH).
pub fn run(env: &[(&str, &str)], args: &[&str]) -> Ran {
    // Fixtures that ask for `#! double` make the tool start the double's executable from beside itself.
    crate::support::double_bin();
    let mut p = Proc::start_bin(tool(), env, args);
    p.close_stdin();
    let stdout = p.rest().join("\n");
    let status = p.wait_exit(TIMEOUT);
    Ran { code: status.code().unwrap_or(-1), stdout, stderr: p.stderr(), proc: p }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name).display().to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("the scratch file can be written");
    p.display().to_string()
}

/// The fixtures of `fixtures/` (not the third-party ones).
fn all_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .expect("fixtures/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn verify_replays_every_fixture_over_stdio_with_json_and_junit_reports() {
    let dir = scratch("all");
    let junit = dir.join("junit.xml").display().to_string();
    let files = all_fixtures();
    let mut args: Vec<&str> = vec!["verify", "--json", "--junit", &junit];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--", server_bin()]);
    let r = run(&[], &args);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).expect("--json prints one JSON document");
    assert_eq!(report["passed"], json!(files.len()), "{report:#}");
    assert_eq!(report["failed"], json!(0));
    let xml = std::fs::read_to_string(&junit).expect("--junit writes the file");
    assert!(xml.contains(&format!("tests=\"{}\" failures=\"0\"", files.len())), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), files.len());
}

#[test]
fn verify_over_streamable_http_runs_each_transcript_in_a_fresh_session_and_skips_stdio_only_ones() {
    let d = ApiDouble::spawn(DoubleOptions::default()).expect("the double starts");
    let url = d.base_url();
    let s = HttpProc::start(&[("PINGERA_BASE_URL", &url), ("PINGERA_API_KEY", "k")]);
    let files = [fixture("inspector.txt"), fixture("captures.txt"), fixture("modern.txt"), fixture("framing.txt")];
    let mcp = format!("http://{}/mcp", s.addr);
    let mut args: Vec<&str> = vec!["verify", "--verbose", "--url", &mcp];
    args.extend(files.iter().map(String::as_str));
    let r = run(&[], &args);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("3 passed, 0 failed, 1 skipped"), "{}", r.stdout);
    assert!(r.stdout.contains("SKIP ") && r.stdout.contains("(stdio-only)"), "{}", r.stdout);
    // --verbose shows the whole exchange, HTTP statuses included.
    assert!(r.stdout.contains("    < {\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\""), "{}", r.stdout);
    assert!(r.stdout.contains("    >http 202"), "{}", r.stdout);
}

#[test]
fn verify_over_legacy_http_sse() {
    let t = "< {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2024-11-05\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}\n\
             >http 202\n> {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2024-11-05\",\"...\":true}}\n\
             < {\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n< {\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n\
             > {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n";
    let dir = scratch("legacy");
    let f = write(&dir, "legacy.txt", t);
    let s = HttpProc::start(&[]);
    let r = run(&[], &["verify", &f, "--url", &format!("http://{}/sse", s.addr)]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn a_changed_expectation_fails_with_exit_1_naming_the_line_path_and_both_values() {
    let dir = scratch("changed");
    let original = std::fs::read_to_string(fixture("error-unknown-tool.txt")).unwrap();
    let changed = original.replacen("\"code\":-32602", "\"code\":-32099", 1);
    assert_ne!(original, changed, "the fixture has the value this test changes");
    let f = write(&dir, "changed.txt", &changed);
    let line = changed.lines().position(|l| l.contains("-32099")).unwrap() + 1;
    let junit = dir.join("j.xml").display().to_string();
    let ok = fixture("error-unknown-method.txt");
    let r = run(&[], &["verify", "--junit", &junit, &f, &ok, "--", server_bin()]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("FAIL {f}")), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("line {line}: $.error.code: expected -32099, got -32602")), "{}", r.stdout);
    assert!(r.stdout.contains("expected: -32099\n      actual:   -32602"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("PASS {ok}")), "the next transcript still runs: {}", r.stdout);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert!(xml.contains(&format!("<failure message=\"line {line}: $.error.code")), "{xml}");
}

#[test]
fn update_rewrites_from_the_actual_replies_and_keeps_wildcards_and_captures() {
    let dir = scratch("update");
    let original = std::fs::read_to_string(fixture("captures.txt")).unwrap();
    let changed = original.replace(
        "\"isError\":false,\"structuredContent\":{\"id\":\"${page}\"",
        "\"isError\":true,\"structuredContent\":{\"id\":\"${page}\"",
    );
    assert_ne!(original, changed);
    let f = write(&dir, "captures.txt", &changed);
    let r = run(&[], &["verify", &f, "--", server_bin()]);
    assert_eq!(r.code, 1, "the changed transcript fails first: {}", r.stdout);
    let r = run(&[], &["verify", "--update", &f, "--", server_bin()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.said(&format!("updated {f}")));
    let updated = std::fs::read_to_string(&f).unwrap();
    let line = updated.lines().find(|l| l.starts_with("> ") && l.contains("\"id\":3")).unwrap();
    assert!(line.contains("\"isError\":false"), "{line}");
    assert!(line.contains("\"id\":\"${page}\"") && line.contains("\"...\":true") && line.contains("[..]"), "{line}");
    // Only the mismatched line changes; comments and the other lines stay as written.
    let differing = original.lines().zip(updated.lines()).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 1, "{updated}");
    let r = run(&[], &["verify", &f, "--", server_bin()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn exit_status_2_for_bad_usage_malformed_transcripts_and_servers_that_cannot_start_or_be_reached() {
    let dir = scratch("usage");
    let bad = write(&dir, "bad.txt", "< {}\n> {not json\n");
    let good = fixture("error-unknown-method.txt");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![], "a command is needed"),
        (vec!["frobnicate".into()], "unknown command"),
        (vec!["verify".into(), good.clone()], "verify needs -- SERVER_CMD"),
        (vec!["verify".into(), "--nope".into(), good.clone(), "--".into(), server_bin().into()], "unknown option"),
        (vec!["verify".into(), bad.clone(), "--".into(), server_bin().into()], "bad.txt:2"),
        (
            vec!["verify".into(), dir.join("absent.txt").display().to_string(), "--".into(), server_bin().into()],
            "absent.txt",
        ),
        (
            vec!["verify".into(), good.clone(), "--".into(), "/nonexistent/server".into()],
            "cannot start /nonexistent/server",
        ),
        (vec!["verify".into(), good.clone(), "--url".into(), format!("http://{closed}/mcp")], "FAIL"),
        (vec!["serve".into(), bad.clone()], "malformed transcript"),
        (vec!["record".into(), "--out".into(), dir.join("x.txt").display().to_string()], "record needs"),
        (vec!["verify".into(), "--timeout".into(), "-1".into(), good, "--".into(), server_bin().into()], "--timeout"),
    ];
    for (args, says) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(&[], &args);
        assert_eq!(r.code, 2, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(r.said(says), "{args:?} should say {says:?}: {}", r.stdout);
    }
}

#[test]
fn a_hung_server_times_out_a_crashed_one_and_invalid_json_fail_and_the_next_transcript_still_runs() {
    let dir = scratch("faults");
    let echo = write(&dir, "echo.txt", "< {\"a\":1}\n> {\"a\":1}\n");
    let hang = write(&dir, "hang.txt", "< {\"a\":1}\n> {\"a\":1}\n> {\"a\":2}\n");
    let echo_server = ["--", "sh", "-c", "while read -r l; do printf '%s\\n' \"$l\"; done"];
    let mut args = vec!["verify", "--timeout", "0.3", &hang, &echo];
    args.extend(echo_server);
    let r = run(&[], &args);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("line 3: no message within 300ms (the per-message timeout)"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("PASS {echo}")), "{}", r.stdout);

    let r = run(&[], &["verify", &echo, "--", "sh", "-c", "read -r l; echo 'crashing' >&2; exit 3"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("line 2: the server's output ended before this message"), "{}", r.stdout);
    assert!(r.stdout.contains("crashing"), "the server's stderr is shown: {}", r.stdout);

    let r = run(&[], &["verify", &echo, "--", "sh", "-c", "read -r l; echo 'not json'"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("line 2: the server sent something that is not JSON: not json"), "{}", r.stdout);

    // Saying more than the transcript expects, or failing at exit, fails too.
    let r = run(&[], &["verify", &echo, "--", "sh", "-c", "read -r l; printf '%s\\n' \"$l\" \"$l\""]);
    assert!(r.code == 1 && r.stdout.contains("unexpected message after the transcript"), "{}", r.stdout);
    let r = run(&[], &["verify", &echo, "--", "sh", "-c", "read -r l; printf '%s\\n' \"$l\"; exit 4"]);
    assert!(r.code == 1 && r.stdout.contains("exit status: 4"), "{}", r.stdout);
}

#[test]
fn record_over_stdio_generalises_and_keeps_secrets_out_and_verify_replays_it() {
    let d = ApiDouble::spawn(DoubleOptions::default()).expect("the double starts");
    let url = d.base_url();
    let dir = scratch("record-stdio");
    let out = dir.join("rec.txt").display().to_string();
    let key = "fixture-secret-key-42";
    let env = [("PINGERA_BASE_URL", url.as_str()), ("PINGERA_API_KEY", key)];
    let mut p = Proc::start_bin(tool(), &env, &["record", "--out", &out, "--redact", "tok-[..]", "--", server_bin()]);
    let init = p
        .request(&json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",
        "capabilities":{},"clientInfo":{"name":"c","version":"1"}}}));
    assert_eq!(init["result"]["serverInfo"]["version"], json!(env!("CARGO_PKG_VERSION")), "passed on unchanged");
    p.send(&json!({"jsonrpc":"2.0","method":"notifications/initialized"}));
    assert_eq!(
        p.request(&json!({"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"info"}}))["result"],
        json!({})
    );
    p.send(&json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_page_details","arguments":{"page_id":"pgmain000001"}}}));
    let (a, b) = (p.recv(), p.recv());
    assert!(a["method"] == "notifications/message" && b["id"] == 3, "{a} {b}");
    p.send(&json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get_page_details","arguments":{"page_id":key}}}));
    let missing = std::iter::repeat_with(|| p.recv()).find(|m| m["id"] == 4).expect("a reply");
    assert_eq!(missing["result"]["isError"], json!(true), "{missing}");
    assert_eq!(
        p.request(&json!({"jsonrpc":"2.0","id":5,"method":"ping","params":{"_meta":{"t":"tok-abc123"}}}))["result"],
        json!({})
    );
    p.close_stdin();
    assert!(p.rest().is_empty());
    assert!(p.wait_exit(TIMEOUT).success(), "{}", p.stderr());

    let text = std::fs::read_to_string(&out).expect("the transcript is written");
    assert!(!text.contains(key) && !text.contains("tok-abc123"), "a secret reached the file:\n{text}");
    assert!(text.contains("\"page_id\":\"${env:PINGERA_API_KEY}\"") && text.contains("\"t\":\"[REDACTED]\""), "{text}");
    assert!(text.contains("\"version\":\"*\""), "the server version is a wildcard:\n{text}");
    assert!(text.contains("API answered 200 in [..] ms"), "durations are wildcards:\n{text}");

    let fresh = ApiDouble::spawn(DoubleOptions::default()).expect("the double starts");
    let fresh_url = fresh.base_url();
    let env = [("PINGERA_BASE_URL", fresh_url.as_str()), ("PINGERA_API_KEY", key)];
    let r = run(&env, &["verify", &out, "--", server_bin()]);
    assert_eq!(r.code, 0, "{}\n{}\n{text}", r.stdout, r.stderr);

    // With --exact nothing is generalised.
    let exact = dir.join("exact.txt").display().to_string();
    let mut p = Proc::start_bin(tool(), &env, &["record", "--exact", "--out", &exact, "--", server_bin()]);
    p.initialize("2025-06-18");
    p.close_stdin();
    assert!(p.rest().is_empty());
    assert!(p.wait_exit(TIMEOUT).success());
    let text = std::fs::read_to_string(&exact).unwrap();
    assert!(text.contains(&format!("\"version\":\"{}\"", env!("CARGO_PKG_VERSION"))), "{text}");
}

/// Starts `mcp-transcript record` as an HTTP proxy in front of `target` and returns it with its address.
pub fn http_recorder(out: &str, target: &str) -> (Proc, std::net::SocketAddr) {
    let p = Proc::start_bin(tool(), &[], &["record", "--out", out, "--listen", "127.0.0.1:0", "--target", target]);
    let line = p.wait_stderr("recording http://");
    let addr = line["recording http://".len()..].split(' ').next().unwrap().parse().expect("an address");
    (p, addr)
}

#[test]
fn record_over_streamable_http_in_both_eras_then_verify_in_a_fresh_session() {
    let d = ApiDouble::spawn(DoubleOptions::default()).expect("the double starts");
    let url = d.base_url();
    let s = HttpProc::start(&[("PINGERA_BASE_URL", &url), ("PINGERA_API_KEY", "configured-key")]);
    let dir = scratch("record-http");
    let out = dir.join("http.txt").display().to_string();
    let (mut rec, addr) = http_recorder(&out, &format!("http://{}/mcp", s.addr));
    let auth = [("Authorization", "Bearer tok-http-secret-77")];
    let sid = http::initialize(addr, "2025-11-25", &auth);
    let r = http::post(
        addr,
        Some(&sid),
        &[("MCP-Protocol-Version", "2025-11-25"), auth[0]],
        &json!({"jsonrpc":"2.0","id":1,
        "method":"tools/call","params":{"name":"get_page_details","arguments":{"page_id":"pgmain000001"}}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.messages()[0]["result"]["structuredContent"]["id"], json!("pgmain000001"));
    // A stateless 2026-07-28 request in the same recording.
    let meta =
        json!({"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}});
    let r = http::post(
        addr,
        None,
        &[("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list")],
        &json!({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":meta}}),
    );
    assert_eq!(r.status, 200);
    assert!(r.messages()[0]["result"]["tools"].is_array());
    let r = http::request(addr, "DELETE", "/mcp", &[("Mcp-Session-Id", &sid)], b"");
    assert_eq!(r.status, 204);
    rec.signal("TERM");
    assert!(rec.wait_exit(TIMEOUT).success(), "{}", rec.stderr());

    let text = std::fs::read_to_string(&out).expect("the transcript is written");
    assert!(!text.contains("tok-http-secret") && !text.to_lowercase().contains("authorization"), "{text}");
    assert!(!text.contains(&sid), "the session id is a capture:\n{text}");
    assert!(
        text.contains(">http 200\n>header Content-Type: ") && text.contains(">header Mcp-Session-Id: ${session}"),
        "{text}"
    );
    assert!(text.contains(">http 202\n") && text.contains("\"2026-07-28\""), "{text}");
    let r = run(&[], &["verify", &out, "--url", &format!("http://{}/mcp", s.addr)]);
    assert_eq!(r.code, 0, "{}\n{}\n{text}", r.stdout, r.stderr);
    // The same transcript also replays over stdio, where its HTTP lines are not checked.
    let r = run(&[("PINGERA_BASE_URL", &url), ("PINGERA_API_KEY", "k")], &["verify", &out, "--", server_bin()]);
    assert_eq!(r.code, 0, "{}\n{}\n{text}", r.stdout, r.stderr);
}

#[test]
fn record_over_legacy_http_sse_then_verify() {
    let s = HttpProc::start(&[]);
    let dir = scratch("record-sse");
    let out = dir.join("sse.txt").display().to_string();
    let (mut rec, addr) = http_recorder(&out, &format!("http://{}/sse", s.addr));
    let mut stream = http::request(addr, "GET", "/sse", &[("Accept", "text/event-stream")], b"");
    assert_eq!(stream.status, 200);
    let (event, endpoint) = stream.next_event().expect("an endpoint event");
    assert_eq!(event, "endpoint");
    let post = |body: Value| {
        http::request(addr, "POST", &endpoint, &[("Content-Type", "application/json")], body.to_string().as_bytes())
    };
    assert_eq!(
        post(json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05",
        "capabilities":{},"clientInfo":{"name":"c","version":"1"}}}))
        .status,
        202
    );
    let (_, init) = stream.next_event().expect("the initialize result");
    assert!(init.contains("\"2024-11-05\""), "{init}");
    assert_eq!(post(json!({"jsonrpc":"2.0","method":"notifications/initialized"})).status, 202);
    assert_eq!(post(json!({"jsonrpc":"2.0","id":2,"method":"ping"})).status, 202);
    let (_, pong) = stream.next_event().expect("the ping result");
    assert!(pong.contains("\"id\":2"), "{pong}");
    rec.signal("TERM");
    assert!(rec.wait_exit(TIMEOUT).success(), "{}", rec.stderr());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("# 2024-11-05 HTTP+SSE session"), "{text}");
    let r = run(&[], &["verify", &out, "--url", &format!("http://{}/sse", s.addr)]);
    assert_eq!(r.code, 0, "{}\n{}\n{text}", r.stdout, r.stderr);
}

const SERVED: &str = "# A transcript played to clients.
< {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}
>http 200
>header Mcp-Session-Id: ${session}
> {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"played\",\"version\":\"1\"}}}
< {\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}
>http 202
< {\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}}
> {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":1}}
> {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"3\"}]}}
";

#[test]
fn serve_over_stdio_answers_matching_messages_with_the_clients_ids_and_refuses_others() {
    let dir = scratch("serve-stdio");
    let f = write(&dir, "served.txt", SERVED);
    let mut p = Proc::start_bin(tool(), &[], &["serve", &f]);
    let init = p
        .request(&json!({"jsonrpc":"2.0","id":"mine","method":"initialize","params":{"protocolVersion":"2025-11-25",
        "capabilities":{},"clientInfo":{"name":"c","version":"1"}}}));
    assert_eq!(
        init,
        json!({"jsonrpc":"2.0","id":"mine","result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"played","version":"1"}}})
    );
    p.send(&json!({"jsonrpc":"2.0","method":"notifications/initialized"}));
    p.send(&json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}));
    assert_eq!(p.recv()["method"], json!("notifications/progress"));
    assert_eq!(p.recv(), json!({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"3"}]}}));
    p.close_stdin();
    assert!(p.rest().is_empty());
    assert_eq!(p.wait_exit(TIMEOUT).code(), Some(0), "{}", p.stderr());

    // A client that strays gets an error naming the line, and the run fails.
    let mut p = Proc::start_bin(tool(), &[], &["serve", &f]);
    let e = p.request(&json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}));
    assert_eq!(e["error"]["code"], json!(-32600), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("line 2: $.method"), "{e}");
    p.close_stdin();
    assert!(p.rest().is_empty());
    assert_eq!(p.wait_exit(TIMEOUT).code(), Some(1));
    assert!(p.stderr().contains("FAIL"), "{}", p.stderr());
}

#[test]
fn serve_over_streamable_http_plays_statuses_session_ids_and_streams() {
    let dir = scratch("serve-http");
    let f = write(&dir, "served.txt", SERVED);
    let mut p = Proc::start_bin(tool(), &[], &["serve", &f, "--listen", "127.0.0.1:0"]);
    let line = p.wait_stderr("serving on http://");
    let addr: std::net::SocketAddr =
        line["serving on http://".len()..].trim_end_matches("/mcp").parse().expect("an address");
    let r = http::post(
        addr,
        None,
        &[],
        &json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25",
        "capabilities":{},"clientInfo":{"name":"c","version":"1"}}}),
    );
    assert_eq!(r.status, 200);
    let sid = r.header("mcp-session-id").expect("a session id is played").to_owned();
    assert_eq!(sid.len(), 32, "a fresh random id stands in for the captured one: {sid}");
    assert_eq!(r.messages()[0]["id"], json!(0));
    assert_eq!(
        http::post(addr, Some(&sid), &[], &json!({"jsonrpc":"2.0","method":"notifications/initialized"})).status,
        202
    );
    let r = http::post(
        addr,
        Some(&sid),
        &[],
        &json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}),
    );
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let msgs = r.messages();
    assert_eq!((msgs.len(), &msgs[1]["result"]["content"][0]["text"]), (2, &json!("3")));
    p.signal("TERM");
    assert_eq!(p.wait_exit(TIMEOUT).code(), Some(0), "{}", p.stderr());
}
