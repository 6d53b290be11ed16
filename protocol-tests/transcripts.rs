//! Replays the recorded sessions in `fixtures/` against the real binary over stdio.
//!
//! The format is described in SPEC_NOTES.md ("Fixture transcripts"). In short: `< LINE` is sent verbatim with a
//! newline, `<raw "..."` sends a JSON-escaped string as it is (no newline added), `<long N` sends N bytes of `x`
//! and a newline, `<eof` closes stdin, and `> JSON` is an expected server message (wildcards as in `support::json_match`). Consecutive
//! `>` lines are matched in any order against the next messages, because replies may complete out of order. `#`
//! starts a comment and `#!` a directive. After the last line stdin is closed; the server must then say nothing
//! more and exit 0, so an answered notification or a reply sent twice fails the replay.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pingera_api_double::{ApiDouble, DoubleOptions};
use serde_json::Value;

use crate::support::json_match::find_mismatch;
use crate::support::{http, HttpProc, Proc, TIMEOUT};

/// One step of a transcript.
#[derive(Debug, Clone)]
pub enum Step {
    /// Bytes to send, including the line ending.
    Send(Vec<u8>),
    /// Messages expected next, in any order.
    Expect(Vec<Value>),
    /// Close stdin; later expectations are what the server says while it finishes.
    Eof,
}

/// A parsed transcript.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub double: bool,
    pub double_latency: Option<Duration>,
    pub stdio_only: bool,
    pub no_credential: bool,
    pub steps: Vec<Step>,
}

/// Parses a transcript file; a malformed line fails the test with its line number.
pub fn parse(path: &Path) -> Transcript {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut t = Transcript::default();
    for (n, line) in text.lines().enumerate() {
        let at = || format!("{}:{}", path.display(), n + 1);
        if let Some(d) = line.strip_prefix("#!") {
            let d = d.trim();
            let (word, rest) = d.split_once(' ').unwrap_or((d, ""));
            match word {
                "env" => {
                    let (k, v) = rest.split_once('=').unwrap_or_else(|| panic!("{}: env needs NAME=value", at()));
                    t.env.push((k.trim().to_owned(), v.to_owned()));
                }
                "args" => t.args.extend(rest.split_whitespace().map(str::to_owned)),
                "double" => t.double = true,
                "double-latency-ms" => {
                    t.double = true;
                    let ms = rest.trim().parse().unwrap_or_else(|_| panic!("{}: latency in ms", at()));
                    t.double_latency = Some(Duration::from_millis(ms));
                }
                "stdio-only" => t.stdio_only = true,
                "no-credential" => t.no_credential = true,
                other => panic!("{}: unknown directive {other}", at()),
            }
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else if line.trim_end() == "<eof" {
            t.steps.push(Step::Eof);
        } else if let Some(n_bytes) = line.strip_prefix("<long ") {
            let n: usize = n_bytes.trim().parse().unwrap_or_else(|_| panic!("{}: <long N", at()));
            let mut bytes = vec![b'x'; n];
            bytes.push(b'\n');
            t.steps.push(Step::Send(bytes));
        } else if let Some(quoted) = line.strip_prefix("<raw ") {
            let raw: String =
                serde_json::from_str(quoted).unwrap_or_else(|e| panic!("{}: <raw needs a JSON string: {e}", at()));
            t.steps.push(Step::Send(raw.into_bytes()));
        } else if let Some(raw) = line.strip_prefix("< ") {
            let mut bytes = raw.as_bytes().to_vec();
            bytes.push(b'\n');
            t.steps.push(Step::Send(bytes));
        } else if let Some(raw) = line.strip_prefix("> ") {
            let v: Value = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{}: expected JSON: {e}", at()));
            match t.steps.last_mut() {
                Some(Step::Expect(group)) => group.push(v),
                _ => t.steps.push(Step::Expect(vec![v])),
            }
        } else {
            panic!("{}: a line must start with '< ', '<long ', '> ', '#' or '#!'", at());
        }
    }
    t
}

/// Matches a group of expectations against the same number of actual messages, in any order.
pub fn match_group(expected: &[Value], actual: &[Value], context: &str) {
    let mut unused: Vec<&Value> = actual.iter().collect();
    for e in expected {
        match unused.iter().position(|a| find_mismatch(e, a).is_none()) {
            Some(i) => {
                unused.remove(i);
            }
            None => {
                let closest: Vec<String> = actual.iter().filter_map(|a| find_mismatch(e, a)).collect();
                panic!(
                    "{context}: no message matches\n  expected: {e}\n  got: {}\n  differences: {closest:#?}",
                    serde_json::to_string_pretty(actual).unwrap()
                );
            }
        }
    }
}

/// Starts the double a transcript asks for and returns it with the environment the server needs to reach it.
pub fn start_double(t: &Transcript) -> (Option<ApiDouble>, Vec<(String, String)>) {
    let mut env = t.env.clone();
    if !t.double {
        return (None, env);
    }
    let wants_credential = !t.no_credential;
    let double = ApiDouble::spawn(DoubleOptions::default()).expect("the API double starts");
    if let Some(l) = t.double_latency {
        double.set_latency(l);
    }
    if !env.iter().any(|(k, _)| k == "PINGERA_BASE_URL") {
        env.push(("PINGERA_BASE_URL".into(), double.base_url()));
    }
    if wants_credential && !env.iter().any(|(k, _)| k == "PINGERA_API_KEY" || k == "PINGERA_JWT_TOKEN") {
        env.push(("PINGERA_API_KEY".into(), "fixture-key".into()));
    }
    (Some(double), env)
}

/// Replays a transcript over stdio.
pub fn replay_stdio(path: &Path) {
    let t = parse(path);
    let (_double, env) = start_double(&t);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let args: Vec<&str> = t.args.iter().map(String::as_str).collect();
    let mut p = Proc::start(&env, &args);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    for (i, step) in t.steps.iter().enumerate() {
        match step {
            Step::Send(bytes) => p.send_raw(bytes),
            Step::Eof => p.close_stdin(),
            Step::Expect(group) => {
                let actual: Vec<Value> = (0..group.len())
                    .map(|_| {
                        let line = p
                            .recv_line()
                            .unwrap_or_else(|| panic!("{name}: output ended at step {i}; stderr:\n{}", p.stderr()));
                        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {line}"))
                    })
                    .collect();
                match_group(group, &actual, &format!("{name} step {i}"));
            }
        }
    }
    p.close_stdin();
    let rest = p.rest();
    assert!(rest.is_empty(), "{name}: unexpected output after the transcript: {rest:#?}");
    let status = p.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "{name}: exit status {status}; stderr:\n{}", p.stderr());
}

/// The headers a 2026-07-28 client sends with a body that names its protocol version in `_meta`.
fn modern_headers(body: &[u8]) -> Vec<(&'static str, String)> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let Some(version) = v.pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion").and_then(Value::as_str)
    else {
        return Vec::new();
    };
    let mut h = vec![("MCP-Protocol-Version", version.to_owned())];
    if let Some(m) = v["method"].as_str() {
        h.push(("Mcp-Method", m.to_owned()));
        let name = match m {
            "tools/call" | "prompts/get" => v.pointer("/params/name"),
            "resources/read" => v.pointer("/params/uri"),
            _ => None,
        };
        if let Some(n) = name.and_then(Value::as_str) {
            h.push(("Mcp-Name", n.to_owned()));
        }
    }
    h
}

/// The fixtures directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Replays a transcript over Streamable HTTP: each `<` line is one POST to `/mcp` (with the session id once
/// `initialize` issued one); the messages of every response (a JSON body, or the events of an SSE stream) go into one
/// queue that the `>` groups consume, in any order. `<eof` ends the session with DELETE. At the end every response
/// must have finished and nothing more may have been said.
pub fn replay_http(path: &Path) {
    let t = parse(path);
    assert!(!t.stdio_only, "{} is stdio-only", path.display());
    let (_double, env) = start_double(&t);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let args: Vec<&str> = t.args.iter().map(String::as_str).collect();
    let server = HttpProc::start_with_args(&env, &args);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let mut session: Option<String> = None;
    let mut readers = Vec::new();
    let end_session = |session: &mut Option<String>| {
        if let Some(id) = session.take() {
            let r = http::request(server.addr, "DELETE", "/mcp", &[("Mcp-Session-Id", id.as_str())], b"");
            assert_eq!(r.status, 204, "{name}: DELETE");
        }
    };
    for (i, step) in t.steps.iter().enumerate() {
        match step {
            Step::Send(bytes) => {
                let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
                let mut headers: Vec<(&str, String)> =
                    http::MCP_HEADERS.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
                if let Some(id) = &session {
                    headers.push(("Mcp-Session-Id", id.clone()));
                }
                // A 2026-07-28 request repeats its version, method and name in headers, as a conformant client does.
                headers.extend(modern_headers(body));
                let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                // The head arrives once the server has taken the request, so the next line is sent after it.
                let response = http::request(server.addr, "POST", "/mcp", &headers, body);
                if let Some(id) = response.header("mcp-session-id") {
                    session = Some(id.to_owned());
                }
                let tx = tx.clone();
                readers.push(std::thread::spawn(move || {
                    response.each_message(|m| {
                        let _ = tx.send(m);
                    })
                }));
            }
            Step::Expect(group) => {
                let actual: Vec<Value> = (0..group.len())
                    .map(|_| {
                        rx.recv_timeout(TIMEOUT).unwrap_or_else(|_| {
                            panic!("{name} (HTTP): no message at step {i}; stderr:\n{}", server.proc.stderr())
                        })
                    })
                    .collect();
                match_group(group, &actual, &format!("{name} (HTTP) step {i}; stderr:\n{}", server.proc.stderr()));
            }
            Step::Eof => end_session(&mut session),
        }
    }
    end_session(&mut session);
    drop(tx);
    // Every response stream must end, and none may carry anything unexpected.
    match rx.recv_timeout(TIMEOUT) {
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {}
        Ok(extra) => panic!("{name} (HTTP): unexpected message after the transcript: {extra}"),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{name} (HTTP): a response never ended"),
    }
    for r in readers {
        r.join().expect("reader threads do not panic");
    }
}

/// Declares one stdio replay test per fixture, and an HTTP replay test for those that are not stdio-only.
macro_rules! transcripts {
    (both: { $($test:ident => $file:literal,)* } stdio_only: { $($stest:ident => $sfile:literal,)* }) => {
        /// Every fixture that a test replays over stdio.
        pub const REPLAYED: &[&str] = &[$($file,)* $($sfile),*];
        /// The fixtures that are also replayed over HTTP.
        pub const REPLAYED_OVER_HTTP: &[&str] = &[$($file),*];
        mod over_stdio {
            use super::*;
            $(#[test] fn $test() { replay_stdio(&fixtures_dir().join($file)); })*
            $(#[test] fn $stest() { replay_stdio(&fixtures_dir().join($sfile)); })*
        }
        mod over_http {
            use super::*;
            $(#[test] fn $test() { replay_http(&fixtures_dir().join($file)); })*
        }
    };
}

transcripts! {
    both: {
        claude_desktop_session => "claude-desktop.txt",
        inspector_session => "inspector.txt",
        handshake_2024_11_05 => "handshake-2024-11-05.txt",
        handshake_2025_03_26 => "handshake-2025-03-26.txt",
        handshake_2025_06_18 => "handshake-2025-06-18.txt",
        handshake_2025_11_25 => "handshake-2025-11-25.txt",
        handshake_unknown_version => "handshake-unknown-version.txt",
        error_invalid_json => "error-invalid-json.txt",
        error_invalid_request => "error-invalid-request.txt",
        error_unknown_method => "error-unknown-method.txt",
        error_unknown_tool => "error-unknown-tool.txt",
        error_bad_arguments => "error-bad-arguments.txt",
        error_write_tool_in_read_only_mode => "error-read-only-mode.txt",
        batch_accepted_2025_03_26 => "batch-2025-03-26.txt",
        batch_refused_2025_06_18 => "batch-2025-06-18.txt",
        cancellation => "cancellation.txt",
        tools_list_pagination => "tools-list-pagination.txt",
        logging_and_progress => "logging-and-progress.txt",
        api_errors => "api-errors.txt",
        api_unreachable_and_no_credential => "api-unreachable.txt",
        client_responses_and_notifications => "client-messages.txt",
        resources => "resources.txt",
        modern_stateless => "modern.txt",
    }
    stdio_only: {
        error_before_initialize => "error-before-initialize.txt",
        over_long_frame => "over-long-frame.txt",
        framing_crlf_and_blank_lines => "framing.txt",
        discover_probe_then_initialize => "discover-probe-then-initialize.txt",
    }
}

/// A fixture that no test replays is a defect: it would look like coverage without being any. Likewise every
/// fixture that is not marked stdio-only must also replay over HTTP, and only those.
#[test]
fn every_fixture_is_replayed() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    let replayed: BTreeSet<String> = REPLAYED.iter().map(|s| s.to_string()).collect();
    let unreplayed: Vec<_> = on_disk.difference(&replayed).collect();
    let missing: Vec<_> = replayed.difference(&on_disk).collect();
    assert!(unreplayed.is_empty(), "fixtures that no test replays: {unreplayed:?}");
    assert!(missing.is_empty(), "fixtures listed but absent: {missing:?}");
    for f in REPLAYED {
        let stdio_only = parse(&fixtures_dir().join(f)).stdio_only;
        assert_eq!(
            REPLAYED_OVER_HTTP.contains(f),
            !stdio_only,
            "{f}: the HTTP list must be the non-stdio-only fixtures"
        );
    }
}
