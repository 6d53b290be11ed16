//! The official conformance referee (`@modelcontextprotocol/conformance`) against the real `pingera-mcp` binary
//! over HTTP, for the scenarios that apply to a tools server: the stable 0.1.16 referee (handshake era) and the
//! 0.2.0-alpha referee at 2026-07-28 (stateless era). Scenarios that need the conformance fixture server's tools,
//! resources or prompts are not run here; checks that cannot pass on a Pingera server are listed, with reasons, in
//! `conformance-baseline.yml`, and a listed check that starts passing fails the run as well.

use std::path::{Path, PathBuf};
use std::process::Command;

use pingera_mcp_server::double::{ApiDouble, DoubleOptions};

use crate::support::HttpProc;

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
