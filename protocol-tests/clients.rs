//! Official MCP clients against the real binary and the API double: the Python SDK (`mcp` 2.3.0), the TypeScript
//! SDK v1 (`@modelcontextprotocol/sdk` 1.32.2) and v2 (`@modelcontextprotocol/client` 2.4.0), and the MCP Inspector
//! CLI (`@modelcontextprotocol/inspector` 2.12.0), over stdio, Streamable HTTP (`/mcp`) and the 2024-11-05 HTTP+SSE
//! pair (`/sse` + `/messages`). The matrix is in SPEC_NOTES.md §10.
//!
//! Each client connects, lists the tools and calls `list_pages`; its script (`protocol-tests/clients/`) prints one
//! JSON summary line, which the test checks together with the double's request log: exactly one `GET /v1/pages`,
//! carrying the credential the client configured (over HTTP the request's `Authorization` header, which must win
//! over the server's own `PINGERA_API_KEY`).
//!
//! Legacy mode always negotiates 2025-11-25. Auto mode probes `server/discover` first: it must end in 2026-07-28
//! when the server offers that version on the transport, and fall back to `initialize` and 2025-11-25 when it does
//! not. Which one applies is asked of the server directly ([`modern_over_stdio`], [`modern_over_http`]), so these
//! tests follow the server as the stateless era lands, transport by transport.
//!
//! The clients are installed by `scripts/mcp-tools.sh` (which `scripts/test` and `.ci/run` run first); without
//! them these tests fail and say so, rather than passing without having talked to a real client. Every client run
//! is bounded by [`CLIENT_TIMEOUT`]; on expiry its whole process group (the client and any server it started) is
//! killed and the test fails with what the client printed.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pingera_api_double::ApiDouble;
use serde_json::{json, Value};

use crate::support::double;
use crate::support::http::post;
use crate::support::{server_bin, HttpProc, Proc, TIMEOUT};

/// The most one client run may take: start-up of Node or Python, connect, two round trips, close. Three times the
/// single-wait bound, since the suite runs these next to other tests on two cores.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(3 * TIMEOUT.as_secs());

/// The seeded status page every `list_pages` result must contain.
pub(crate) const SEED_PAGE: &str = "pgmain000001";

/// The key the HTTP server is configured with: a test that sees it in the double's log has lost the header.
const SERVER_ENV_KEY: &str = "server-env-key";

pub(crate) const MISSING: &str = "run scripts/mcp-tools.sh (scripts/test does) to install the official MCP clients";

pub(crate) fn tools_dir() -> PathBuf {
    std::env::var_os("MCP_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".mcp-tools"))
}

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol-tests/clients")
}

pub(crate) fn python() -> PathBuf {
    let py = tools_dir().join("venv/bin/python");
    assert!(py.exists(), "the official Python MCP client is not installed at {}: {MISSING}", py.display());
    py
}

/// Fails the test unless `package` is installed at `version` in the tools' Node folder.
pub(crate) fn require_npm(package: &str, version: &str) {
    let manifest = tools_dir().join("node/node_modules").join(package).join("package.json");
    let found = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned));
    assert_eq!(
        found.as_deref(),
        Some(version),
        "{package}@{version} is not installed at {}: {MISSING}",
        manifest.display()
    );
}

/// The Node >= 22.19 that `scripts/mcp-tools.sh` links to; also makes the client scripts find the npm packages:
/// ESM resolves bare imports from the script's folder upwards and ignores NODE_PATH, so
/// `protocol-tests/clients/node_modules` (git-ignored) is a link to the tools' `node_modules`.
pub(crate) fn node() -> PathBuf {
    let node = tools_dir().join("bin/node");
    assert!(
        node.exists(),
        "Node >= 22.19 for the official MCP clients is not installed at {}: {MISSING}",
        node.display()
    );
    static LINK: OnceLock<()> = OnceLock::new();
    LINK.get_or_init(|| link_node_modules(&clients_dir(), "node"));
    node
}

/// Makes `dir/node_modules` (git-ignored) a link to the `node_modules` of the tools' npm folder `folder`, so that
/// the scripts in `dir` find their packages.
pub(crate) fn link_node_modules(dir: &Path, folder: &str) {
    let target = tools_dir().join(folder).join("node_modules");
    let link = dir.join("node_modules");
    if std::fs::read_link(&link).ok().as_deref() != Some(target.as_path()) {
        // A fresh link renamed over the old one: atomic, so concurrent test processes cannot trip over it.
        let tmp = dir.join(format!(".node_modules.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp).expect("the node_modules link can be created");
        std::fs::rename(&tmp, &link)
            .unwrap_or_else(|e| panic!("cannot link {} to {}: {e}", link.display(), target.display()));
    }
}

/// A command with the test process's environment minus every `PINGERA_*` variable (a developer's shell may carry
/// some), in its own process group, with the tools' Node first on PATH.
pub(crate) fn client_command(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PINGERA_") {
            cmd.env_remove(k);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![tools_dir().join("bin")];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).expect("PATH entries are valid"))
        .env_remove("MCP_AUTH")
        .current_dir(clients_dir())
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// What a client run printed.
pub(crate) struct Run {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn describe(&self) -> String {
        format!("status {}\n--- stdout\n{}\n--- stderr\n{}", self.status, self.stdout, self.stderr)
    }

    /// The last stdout line as JSON, after checking that the client succeeded.
    pub(crate) fn summary(&self, what: &str) -> Value {
        assert!(self.status.success(), "{what} failed: {}", self.describe());
        let last = self.stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
        serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("{what} printed no JSON summary line ({e}): {}", self.describe()))
    }
}

pub(crate) fn kill_group(pgid: u32) {
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pgid}")]).status();
}

/// Runs a client to completion within [`CLIENT_TIMEOUT`]. Its pipes must close within [`TIMEOUT`] after it exits
/// (a stdio server it started holds its stderr, so this also checks that the server ended with the client).
pub(crate) fn run(cmd: Command, what: &str) -> Run {
    run_within(cmd, what, CLIENT_TIMEOUT)
}

/// [`run`] with another bound, for clients that do more than one round of requests (a browser session).
pub(crate) fn run_within(mut cmd: Command, what: &str, bound: Duration) -> Run {
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let pgid = child.id();
    let reader = |mut pipe: Box<dyn Read + Send>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
        });
        rx
    };
    let out = reader(Box::new(child.stdout.take().expect("stdout is piped")));
    let err = reader(Box::new(child.stderr.take().expect("stderr is piped")));
    let (tx, exited) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait().expect("wait works"));
    });
    let status = exited.recv_timeout(bound);
    if status.is_err() {
        kill_group(pgid);
    }
    let deadline = Instant::now() + TIMEOUT;
    let stdout = out.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    let stderr = err.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    let lingered = stdout.is_err() || stderr.is_err();
    if lingered {
        kill_group(pgid);
    }
    let stdout = stdout.unwrap_or_else(|_| out.recv_timeout(TIMEOUT).unwrap_or_default());
    let stderr = stderr.unwrap_or_else(|_| err.recv_timeout(TIMEOUT).unwrap_or_default());
    let Ok(status) = status else {
        panic!("{what} did not finish within {bound:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    };
    let run = Run { status, stdout, stderr };
    assert!(!lingered, "{what}: a process it started outlived it by more than {TIMEOUT:?}: {}", run.describe());
    run
}

/// The HTTP server, configured with its own key so that a lost `Authorization` header shows in the double's log.
fn http_server(d: &ApiDouble) -> HttpProc {
    let base = d.base_url();
    HttpProc::start(&[("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", SERVER_ENV_KEY)])
}

/// The double saw exactly one API request, `GET /v1/pages`, with `credential`.
pub(crate) fn assert_one_list_pages_request(d: &ApiDouble, credential: &str, what: &str) {
    let reqs = d.requests();
    assert_eq!(reqs.len(), 1, "{what}: the API double should have seen one request: {reqs:?}");
    assert_eq!((reqs[0].method.as_str(), reqs[0].path.as_str()), ("GET", "/v1/pages"), "{what}: {reqs:?}");
    assert_eq!(
        reqs[0].authorization.as_deref(),
        Some(credential),
        "{what}: the API double saw the wrong credential (the server's own key is {SERVER_ENV_KEY:?})"
    );
}

const HANDSHAKE: &str = "2025-11-25";
const MODERN: &str = "2026-07-28";

/// The checks every script summary must pass: the negotiated version, the server's name, the read-only tool list,
/// and a successful `list_pages` whose text and structured content hold the seeded page.
fn assert_summary(summary: &Value, version: &str, what: &str) {
    assert_eq!(summary["protocol_version"], version, "{what}: {summary}");
    // A client pinned to 2026-07-28 skips server/discover, the only place the stateless era names the server, so
    // it may not know the name; every other client must.
    if !(summary["mode"] == MODERN && summary["server_name"].is_null()) {
        assert_eq!(summary["server_name"], "Pingera MCP Server", "{what}: {summary}");
    }
    let tools: Vec<&str> = summary["tools"].as_array().expect("tools").iter().filter_map(Value::as_str).collect();
    assert!(tools.contains(&"list_pages") && tools.contains(&"test_pingera_connection"), "{what}: {tools:?}");
    assert!(!tools.contains(&"create_page"), "{what}: read-only mode lists no write tool: {tools:?}");
    assert_eq!(summary["is_error"], false, "{what}: list_pages failed: {summary}");
    assert!(
        summary["text"].as_str().is_some_and(|t| t.contains(SEED_PAGE)),
        "{what}: text lacks {SEED_PAGE}: {summary}"
    );
    assert_eq!(summary["structured"]["pages"][0]["id"], SEED_PAGE, "{what}: {summary}");
    let prompts: Vec<&str> = summary["prompts"].as_array().expect("prompts").iter().filter_map(Value::as_str).collect();
    assert_eq!(prompts, PROMPTS, "{what}: {summary}");
    assert!(
        summary["prompt_text"].as_str().is_some_and(|t| t.contains("chkweb000001") && t.contains("get_check_results")),
        "{what}: investigate_check was not rendered: {summary}"
    );
}

/// The workflow prompts a read-only server offers.
const PROMPTS: [&str; 4] = ["status_overview", "investigate_check", "draft_incident", "uptime_report"];

/// Over Streamable HTTP a handshake-era client must have used (and ended) a session; the stateless era has none.
fn assert_session(summary: &Value, what: &str) {
    if summary["protocol_version"] == MODERN {
        assert_eq!(summary["session_id"], Value::Null, "{what}: the stateless era has no session: {summary}");
    } else {
        let sid = summary["session_id"].as_str().unwrap_or_default();
        assert_eq!(sid.len(), 32, "{what}: no Mcp-Session-Id seen by the client: {summary}");
    }
}

fn discover() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}}})
}

fn offers_modern(reply: &Value) -> bool {
    reply["result"]["supportedVersions"].as_array().is_some_and(|v| v.contains(&json!(MODERN)))
}

/// The version an auto-mode client must end with over stdio: 2026-07-28 when the server's own answer to
/// `server/discover` offers it, else 2025-11-25.
fn modern_over_stdio() -> &'static str {
    let mut p = Proc::start(&[], &[]);
    let reply = p.request(&discover());
    if offers_modern(&reply) {
        MODERN
    } else {
        HANDSHAKE
    }
}

/// The same over Streamable HTTP, asked of the running server `s` (the request needs no API call).
fn modern_over_http(s: &HttpProc) -> &'static str {
    let r = post(s.addr, None, &[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "server/discover")], &discover());
    if r.status == 200 && r.messages().first().is_some_and(offers_modern) {
        MODERN
    } else {
        HANDSHAKE
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Python SDK (mcp 2.3.0): protocol-tests/clients/py_client.py

fn python_over_stdio(mode: &str) {
    let version = match mode {
        "auto" => modern_over_stdio(),
        "legacy" => HANDSHAKE,
        pinned => pinned,
    };
    let d = double();
    let what = format!("python client ({mode}, stdio)");
    let mut cmd = client_command(&python());
    cmd.arg("py_client.py")
        .args([mode, "stdio", server_bin()])
        .env("PINGERA_BASE_URL", d.base_url())
        .env("PINGERA_API_KEY", "python-client-key");
    let summary = run(cmd, &what).summary(&what);
    assert_summary(&summary, version, &what);
    assert_one_list_pages_request(&d, "python-client-key", &what);
}

fn python_over_http(mode: &str, transport: &str, path: &str, auth: &str) {
    let d = double();
    let s = http_server(&d);
    let version = match mode {
        "auto" => modern_over_http(&s),
        "legacy" => HANDSHAKE,
        pinned => pinned,
    };
    let what = format!("python client ({mode}, {transport})");
    let mut cmd = client_command(&python());
    cmd.arg("py_client.py").args([mode, transport, &format!("http://{}{path}", s.addr)]).env("MCP_AUTH", auth);
    let summary = run(cmd, &what).summary(&what);
    assert_summary(&summary, version, &what);
    assert_one_list_pages_request(&d, auth, &what);
}

#[test]
fn python_sdk_client_legacy_mode_over_stdio() {
    python_over_stdio("legacy");
}

#[test]
fn python_sdk_client_auto_mode_over_stdio() {
    python_over_stdio("auto");
}

#[test]
fn python_sdk_client_legacy_mode_over_streamable_http_forwards_an_api_key() {
    python_over_http("legacy", "http", "/mcp", "py-http-key");
}

#[test]
fn python_sdk_client_auto_mode_over_streamable_http() {
    python_over_http("auto", "http", "/mcp", "Bearer py-http-jwt");
}

#[test]
fn python_sdk_client_2026_07_28_mode_over_stdio() {
    python_over_stdio("2026-07-28");
}

#[test]
fn python_sdk_client_2026_07_28_mode_over_streamable_http() {
    python_over_http("2026-07-28", "http", "/mcp", "py-modern-key");
}

#[test]
fn python_sdk_client_over_legacy_http_sse() {
    python_over_http("legacy", "sse", "/sse", "Bearer py-sse-jwt");
}

// ---------------------------------------------------------------------------------------------------------------
// TypeScript SDK v1 (@modelcontextprotocol/sdk 1.32.2) and v2 (@modelcontextprotocol/client 2.4.0):
// protocol-tests/clients/v1.mjs and v2.mjs. Both validate structuredContent against the tool's outputSchema, so a
// successful call also checks the schema the server declares.

const V1: (&str, &str) = ("@modelcontextprotocol/sdk", "1.32.2");
pub(crate) const V2: (&str, &str) = ("@modelcontextprotocol/client", "2.4.0");

/// `node SCRIPT ARGS.. stdio <server>` with the double's address and `key` for the server; returns the summary.
fn node_over_stdio(package: (&str, &str), script_args: &[&str], d: &ApiDouble, key: &str, server: &Path) -> Value {
    require_npm(package.0, package.1);
    let version = if script_args.contains(&"auto") { modern_over_stdio() } else { HANDSHAKE };
    let what = format!("{} {} ({})", package.0, package.1, script_args.join(" "));
    let mut cmd = client_command(&node());
    cmd.args(script_args).arg("stdio").arg(server).env("PINGERA_BASE_URL", d.base_url()).env("PINGERA_API_KEY", key);
    let summary = run(cmd, &what).summary(&what);
    assert_summary(&summary, version, &what);
    assert_one_list_pages_request(d, key, &what);
    summary
}

fn node_over_http(package: (&str, &str), script_args: &[&str], transport: &str, path: &str, auth: &str) -> Value {
    require_npm(package.0, package.1);
    let d = double();
    let s = http_server(&d);
    let version = if script_args.contains(&"auto") { modern_over_http(&s) } else { HANDSHAKE };
    let what = format!("{} {} ({} {transport})", package.0, package.1, script_args.join(" "));
    let mut cmd = client_command(&node());
    cmd.args(script_args).args([transport, &format!("http://{}{path}", s.addr)]).env("MCP_AUTH", auth);
    let summary = run(cmd, &what).summary(&what);
    assert_summary(&summary, version, &what);
    assert_one_list_pages_request(&d, auth, &what);
    summary
}

#[test]
fn ts_sdk_v1_client_over_stdio() {
    let d = double();
    node_over_stdio(V1, &["v1.mjs"], &d, "ts-v1-key", Path::new(server_bin()));
}

#[test]
fn ts_sdk_v1_client_over_streamable_http() {
    let summary = node_over_http(V1, &["v1.mjs"], "http", "/mcp", "Bearer ts-v1-jwt");
    assert_session(&summary, "TS SDK v1 over Streamable HTTP");
}

#[test]
fn ts_sdk_v1_client_over_legacy_http_sse() {
    node_over_http(V1, &["v1.mjs"], "sse", "/sse", "ts-v1-sse-key");
}

/// A wrapper that appends a line to `log` each time it starts the server, so a test can count server processes.
fn counting_server(name: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clients");
    std::fs::create_dir_all(&dir).expect("the test temp dir can be created");
    let (script, log) = (dir.join(format!("{name}.sh")), dir.join(format!("{name}.starts")));
    let _ = std::fs::remove_file(&log);
    let body = format!("#!/bin/sh\necho start >> '{}'\nexec '{}' \"$@\"\n", log.display(), server_bin());
    std::fs::write(&script, body).expect("the wrapper can be written");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod works");
    (script, log)
}

fn server_starts(log: &Path) -> usize {
    std::fs::read_to_string(log).unwrap_or_default().lines().count()
}

#[test]
fn ts_sdk_v2_client_legacy_mode_over_stdio() {
    let d = double();
    let (server, log) = counting_server("v2-legacy-stdio");
    node_over_stdio(V2, &["v2.mjs", "legacy"], &d, "ts-v2-key", &server);
    assert_eq!(server_starts(&log), 1, "legacy mode starts the server once");
}

#[test]
fn ts_sdk_v2_client_auto_mode_over_stdio_probes_in_a_second_process() {
    let d = double();
    let (server, log) = counting_server("v2-auto-stdio");
    node_over_stdio(V2, &["v2.mjs", "auto"], &d, "ts-v2-auto-key", &server);
    // The server/discover probe runs in a short-lived sibling, then the session's own server starts, whichever era
    // the probe found.
    assert_eq!(server_starts(&log), 2, "auto mode probes in a second server process");
}

#[test]
fn ts_sdk_v2_client_legacy_mode_over_streamable_http() {
    let summary = node_over_http(V2, &["v2.mjs", "legacy"], "http", "/mcp", "ts-v2-http-key");
    assert_session(&summary, "TS SDK v2 (legacy) over Streamable HTTP");
}

#[test]
fn ts_sdk_v2_client_auto_mode_over_streamable_http() {
    let summary = node_over_http(V2, &["v2.mjs", "auto"], "http", "/mcp", "Bearer ts-v2-http-jwt");
    assert_session(&summary, "TS SDK v2 (auto) over Streamable HTTP");
}

// ---------------------------------------------------------------------------------------------------------------
// MCP Inspector CLI (@modelcontextprotocol/inspector 2.12.0, `--cli`, legacy era, `--format json`): one run per
// method, so `tools/list`, `tools/call list_pages`, `prompts/list` and `prompts/get` are four runs. Its HOME is a scratch folder so that it does
// not write into the developer's (one per test, as tests run in parallel).

fn inspector(target: &[&str], method: &[&str], what: &str) -> Value {
    require_npm("@modelcontextprotocol/inspector", "2.12.0");
    let entry = tools_dir().join("node/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("inspector-home-{what}"));
    std::fs::create_dir_all(&home).expect("the Inspector's scratch HOME can be created");
    let mut cmd = client_command(&node());
    cmd.arg(entry)
        .arg("--cli")
        .args(target)
        .args(method)
        .args(["--format", "json"])
        .env("HOME", &home)
        .env("MCP_INSPECTOR_SECRET_STORE", "memory");
    let what = format!("MCP Inspector CLI ({what}, {})", method.join(" "));
    run(cmd, &what).summary(&what)
}

/// Lists the tools and calls `list_pages` through the Inspector, and checks both results.
fn inspector_lists_and_calls(target: &[&str], what: &str) {
    // --strict: the Inspector checks every tool schema for portability and exits 6 on an error-severity problem.
    let listed = inspector(target, &["--method", "tools/list", "--strict"], what);
    let tools: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(tools.contains(&"list_pages") && !tools.contains(&"create_page"), "{what}: {listed}");
    let called = inspector(target, &["--method", "tools/call", "--tool-name", "list_pages"], what);
    let result = &called["result"];
    assert_ne!(result["isError"], true, "{what}: list_pages failed: {called}");
    assert!(result["content"][0]["text"].as_str().is_some_and(|t| t.contains(SEED_PAGE)), "{what}: {called}");
    assert_eq!(result["structuredContent"]["pages"][0]["id"], SEED_PAGE, "{what}: {called}");
    let listed = inspector(target, &["--method", "prompts/list"], what);
    let prompts: Vec<&str> = listed["result"]["prompts"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(prompts, PROMPTS, "{what}: {listed}");
    let got = inspector(
        target,
        &["--method", "prompts/get", "--prompt-name", "investigate_check", "--prompt-args", "check_id=chkweb000001"],
        what,
    );
    let text = got["result"]["messages"][0]["content"]["text"].as_str().unwrap_or_default();
    assert!(text.contains("chkweb000001") && text.contains("get_check_statistics"), "{what}: {got}");
}

#[test]
fn inspector_cli_over_stdio() {
    let d = double();
    let base = format!("PINGERA_BASE_URL={}", d.base_url());
    // -e is the only way the server gets its configuration: client_command strips PINGERA_* from the environment.
    inspector_lists_and_calls(&["-e", &base, "-e", "PINGERA_API_KEY=inspector-key", server_bin()], "stdio");
    assert_one_list_pages_request(&d, "inspector-key", "MCP Inspector CLI (stdio)");
}

fn inspector_over_http(transport: &str, path: &str, auth: &str) {
    let d = double();
    let s = http_server(&d);
    let url = format!("http://{}{path}", s.addr);
    let header = format!("Authorization: {auth}");
    inspector_lists_and_calls(&[&url, "--transport", transport, "--header", &header], transport);
    assert_one_list_pages_request(&d, auth, &format!("MCP Inspector CLI ({transport})"));
}

#[test]
fn inspector_cli_over_streamable_http() {
    inspector_over_http("http", "/mcp", "Bearer inspector-jwt");
}

#[test]
fn inspector_cli_over_legacy_http_sse() {
    inspector_over_http("sse", "/sse", "inspector-sse-key");
}
