//! The official conformance referee (`@modelcontextprotocol/conformance`) over HTTP, in two roles:
//! - against the conformance fixture server (`examples/conformance_server.rs`, the same protocol core with the
//!   fixtures the scenarios call by name): the stable 0.1.16 referee with `--suite all`, and the 0.2.0-alpha referee
//!   with `--requirements 2025-11-25` and `--requirements 2026-07-28`, each whole, against
//!   `conformance-fixtures-baseline.yml`;
//! - against the real `pingera-mcp` binary, for the scenarios that apply to a tools server (handshake era with
//!   0.1.16, 2026-07-28 with the alpha); checks that cannot pass on a Pingera server are listed, with reasons, in
//!   `conformance-baseline.yml`.
//!
//! In every run a new failure, a warning, or a listed check that starts passing fails the test. Each suite's
//! summary is printed (`cargo test -- --nocapture` shows it) for the record.

use std::path::{Path, PathBuf};
use std::process::Command;

use pingera_api_double::{ApiDouble, DoubleOptions};

use crate::support::{fixture_server_bin, HttpProc};

/// Handshake-era scenarios of the stable referee that a tools server must pass.
const STABLE: &[&str] = &[
    "server-initialize",
    "ping",
    "logging-set-level",
    "tools-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
    "resources-list",
];

/// Scenarios of the alpha referee at 2026-07-28 that a tools server must pass.
const MODERN: &[&str] = &[
    "server-stateless",
    "caching",
    "http-header-validation",
    "sep-2164-resource-not-found",
    "tools-list",
    "resources-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
];

fn tools_dir() -> PathBuf {
    std::env::var_os("MCP_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".mcp-tools"))
}

fn referee(folder: &str) -> (PathBuf, PathBuf) {
    let node = tools_dir().join("bin/node");
    let cli = tools_dir().join(folder).join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    assert!(
        node.exists() && cli.exists(),
        "the conformance referee is not installed under {}: run scripts/mcp-tools.sh (scripts/test does)",
        tools_dir().display()
    );
    (node, cli)
}

/// Runs one scenario and returns (success, output).
fn run(folder: &str, url: &str, scenario: &str, extra: &[&str]) -> (bool, String) {
    let (node, cli) = referee(folder);
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol-tests/conformance-baseline.yml");
    let mut cmd = Command::new(node);
    cmd.arg(cli).args(["server", "--url", url, "--scenario", scenario]).args(extra);
    if folder == "node-alpha" {
        cmd.arg("--expected-failures").arg(baseline);
    }
    let out = cmd.output().expect("node runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn server() -> (ApiDouble, HttpProc) {
    let d = ApiDouble::spawn(DoubleOptions::default()).expect("the API double starts");
    let base = d.base_url();
    let s = HttpProc::start(&[("PINGERA_BASE_URL", &base), ("PINGERA_API_KEY", "conformance-key")]);
    (d, s)
}

#[test]
fn stable_referee_handshake_era_scenarios_pass() {
    let (_d, s) = server();
    // The referee's DNS rebinding scenario requires a localhost URL.
    let url = format!("http://localhost:{}/mcp", s.addr.port());
    let failed: Vec<String> = STABLE
        .iter()
        .filter_map(|sc| {
            let (ok, out) = run("node", &url, sc, &[]);
            (!ok).then(|| format!("{sc}:\n{out}"))
        })
        .collect();
    assert!(failed.is_empty(), "conformance 0.1.16 failures:\n{}", failed.join("\n"));
}

#[test]
fn alpha_referee_2026_07_28_scenarios_pass() {
    let (_d, s) = server();
    let url = format!("http://localhost:{}/mcp", s.addr.port());
    let failed: Vec<String> = MODERN
        .iter()
        .filter_map(|sc| {
            let (ok, out) = run("node-alpha", &url, sc, &["--spec-version", "2026-07-28"]);
            (!ok).then(|| format!("{sc}:\n{out}"))
        })
        .collect();
    assert!(failed.is_empty(), "conformance 0.2.0-alpha (2026-07-28) failures:\n{}", failed.join("\n"));
}

/// Runs a whole suite of a referee against the fixture server, with the fixtures' baseline; returns the output after
/// asserting success and that the suite ran `scenarios` scenarios (so that a referee that runs nothing cannot pass).
fn fixture_suite(folder: &str, args: &[&str], scenarios: usize) -> String {
    let s = HttpProc::start_bin(&fixture_server_bin(), &[], &[]);
    let url = format!("http://localhost:{}/mcp", s.addr.port());
    let (node, cli) = referee(folder);
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol-tests/conformance-fixtures-baseline.yml");
    let out = Command::new(node)
        .arg(cli)
        .args(["server", "--url", &url])
        .args(args)
        .arg("--expected-failures")
        .arg(baseline)
        .output()
        .expect("node runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "conformance {folder} {args:?} against the fixture server failed:\n{text}");
    let ran = text.lines().filter(|l| l.starts_with('✓') || l.starts_with('✗')).count();
    assert_eq!(ran, scenarios, "conformance {folder} {args:?} ran {ran} scenarios, expected {scenarios}:\n{text}");
    let summary: Vec<&str> = text.lines().filter(|l| l.starts_with("Total:") || l.starts_with("Not scored")).collect();
    println!("conformance {folder} {args:?}: {ran} scenarios; {}", summary.join("; "));
    text
}

#[test]
fn stable_referee_suite_all_passes_against_the_fixture_server() {
    let text = fixture_suite("node", &["--suite", "all"], 32);
    assert!(!text.contains('✗'), "no scenario may fail:\n{text}");
}

#[test]
fn alpha_referee_2025_11_25_requirements_pass_against_the_fixture_server() {
    let text = fixture_suite("node-alpha", &["--requirements", "2025-11-25"], 33);
    assert!(!text.contains('✗'), "no scenario may fail, scored or not:\n{text}");
}

#[test]
fn alpha_referee_2026_07_28_requirements_pass_against_the_fixture_server() {
    // 37 scored scenarios and 13 unscored ones; of the unscored, the tasks extension and custom-header validation
    // fail (SPEC_NOTES.md, "Conformance") and do not count, every scored one must pass.
    let text = fixture_suite("node-alpha", &["--requirements", "2026-07-28"], 50);
    let failed: Vec<&str> = text.lines().filter(|l| l.starts_with('✗')).collect();
    assert!(
        failed.iter().all(|l| l.contains("tasks-") || l.contains("http-custom-header-server-validation")),
        "only unscored extension scenarios may fail: {failed:?}"
    );
}
