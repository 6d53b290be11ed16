//! The MCP Inspector's web UI in a real browser: the Inspector (`@modelcontextprotocol/inspector` 2.12.0) is started
//! with an `mcp.json` like README's, pointing at the release binary and the API double, and
//! `protocol-tests/browser/inspector-ui.mjs` drives its web UI in Debian's headless Chromium with playwright-core:
//! connect, the Tools tab, a `list_pages` call that shows a page name from the double, the Resources tab and a
//! resource read, and the Prompts tab whenever the server declares prompts (when it declares none, the tab must be
//! absent). A second run against the conformance fixture server, which has prompts, keeps the Prompts step proven.
//!
//! What the tests expect to see (tool count, resource, prompt) is asked of the server itself over stdio first, so
//! the UI is checked against the server's own answers. Screenshots of every step land in
//! `target/tmp/inspector-ui/` (and `inspector-ui-prompts/`). Every wait is bounded; the Inspector runs in its own
//! process group, which is killed when the test ends.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Instant;

use serde_json::{json, Value};

use crate::bundle::external::packaged;
use crate::clients::{client_command, link_node_modules, run_within, tools_dir, MISSING};
use crate::support::double;
use crate::support::{fixture_server_bin, Proc, TIMEOUT};

/// A running Inspector web UI.
struct Inspector {
    child: Child,
    url: String,
}

impl Inspector {
    /// Starts the Inspector's web UI on a free loopback port with `config`, and waits for the URL it prints.
    /// Its stderr goes to `inspector-stderr.log` in `scratch`.
    fn start(config: &Path, scratch: &Path) -> Inspector {
        let entry =
            tools_dir().join("node/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
        assert!(entry.exists(), "the MCP Inspector is not installed at {}: {MISSING}", entry.display());
        // The web server needs a fixed port (it derives its origin allow-list from it): take a free one.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let mut cmd = client_command(&tools_dir().join("bin/node"));
        cmd.arg(entry)
            .args(["--web", "--config"])
            .arg(config)
            .env("HOME", scratch)
            .env("CLIENT_PORT", port.to_string())
            .env("MCP_SANDBOX_PORT", "0")
            .env("MCP_AUTO_OPEN_ENABLED", "false")
            .env("MCP_INSPECTOR_SECRET_STORE", "memory")
            .stderr(std::fs::File::create(scratch.join("inspector-stderr.log")).expect("the log can be created"))
            .process_group(0);
        let mut child = cmd.spawn().expect("the Inspector starts");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut inspector = Inspector { child, url: String::new() };
        // The Inspector is a large Node application: its start-up gets three single-wait bounds.
        let deadline = Instant::now() + 3 * TIMEOUT;
        let mut seen = String::new();
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            seen.push_str(&line);
            seen.push('\n');
            if let Some(at) = line.find("http://127.0.0.1:") {
                if line.contains("MCP_INSPECTOR_API_TOKEN=") {
                    inspector.url = line[at..].trim().to_owned();
                    return inspector;
                }
            }
        }
        panic!("the Inspector printed no URL within {:?}:\n{seen}", 3 * TIMEOUT);
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        // The Inspector and the servers it started share its process group.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
    }
}

/// A fresh output folder for one test's screenshots.
fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the output folder can be created");
    dir
}

/// Writes an `mcp.json` with one stdio server.
fn mcp_json(dir: &Path, name: &str, command: &Path, env: Value) -> PathBuf {
    let config = json!({"mcpServers": {name: {"command": command, "env": env}}});
    let path = dir.join("mcp.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).expect("mcp.json can be written");
    path
}

/// Runs `inspector-ui.mjs` with `plan` and returns its summary.
fn drive(plan: &Value, what: &str) -> Value {
    assert!(Path::new("/usr/bin/chromium").exists(), "Debian's chromium is not installed: {MISSING}");
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol-tests/browser");
    link_node_modules(&scripts, "node-bundle");
    let mut cmd = client_command(&tools_dir().join("bin/node"));
    cmd.arg("inspector-ui.mjs").arg(plan.to_string()).current_dir(&scripts);
    let started = Instant::now();
    // Chromium's start-up and five steps, each with its own bounded waits, on a shared machine.
    let summary = run_within(cmd, what, 6 * TIMEOUT).summary(what);
    println!(
        "{what}: {} steps in {:.1} s: {summary}",
        summary["steps"].as_array().map_or(0, Vec::len),
        started.elapsed().as_secs_f64()
    );
    summary
}

/// Sends one request on a fresh stdio server and returns its result.
fn ask(p: &mut Proc, id: u64, method: &str) -> Value {
    let r = p.request(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {}}));
    r.get("result").cloned().unwrap_or_else(|| panic!("{method} failed: {r}"))
}

/// A sample value for a prompt argument: the double's seeded ids where the name asks for one.
fn sample_argument(name: &str) -> &'static str {
    match name {
        "page_id" => "pgmain000001",
        "component_id" => "cmpweb000001",
        _ => "example",
    }
}

#[test]
fn the_inspector_web_ui_connects_lists_calls_reads_and_shows_prompts() {
    let release_bin = packaged().release_bin.clone();
    let d = double();
    let env = json!({"PINGERA_API_KEY": "inspector-ui-key", "PINGERA_BASE_URL": d.base_url()});

    // What the UI must show, from the server itself.
    let mut p = Proc::start(&[("PINGERA_API_KEY", "inspector-ui-key"), ("PINGERA_BASE_URL", &d.base_url())], &[]);
    let capabilities = p.initialize("2025-11-25")["capabilities"].clone();
    let tools = ask(&mut p, 1, "tools/list")["tools"].as_array().map_or(0, Vec::len);
    let resources = ask(&mut p, 2, "resources/list");
    let resource = resources["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["uri"] == "pingera://pages"))
        .cloned()
        .unwrap_or_else(|| panic!("no pingera://pages resource: {resources}"));
    let prompt = capabilities.get("prompts").map(|_| {
        let listed = ask(&mut p, 3, "prompts/list");
        let prompts = listed["prompts"].as_array().cloned().unwrap_or_default();
        let required = |p: &Value| -> Vec<String> {
            p["arguments"].as_array().map_or(Vec::new(), |a| {
                a.iter()
                    .filter(|a| a["required"] == true)
                    .filter_map(|a| a["name"].as_str().map(str::to_owned))
                    .collect()
            })
        };
        // A prompt without required arguments if there is one; else the first, with sample arguments.
        let chosen = prompts.iter().find(|p| required(p).is_empty()).or(prompts.first()).cloned();
        let chosen = chosen.unwrap_or_else(|| panic!("prompts declared, but prompts/list lists none: {listed}"));
        let args: serde_json::Map<String, Value> =
            required(&chosen).into_iter().map(|a| (a.clone(), json!(sample_argument(&a)))).collect();
        // The UI lists a prompt by its title when it has one (2025-06-18 and later), else by its name.
        let label = chosen.get("title").filter(|t| t.is_string()).unwrap_or(&chosen["name"]).clone();
        json!({"name": chosen["name"], "label": label, "args": args, "expect": "role:"})
    });
    drop(p);
    d.shared().clear_requests();

    let out = out_dir("inspector-ui");
    let config = mcp_json(&out, "pingera", &release_bin, env);
    let inspector = Inspector::start(&config, &out);
    let plan = json!({
        "url": inspector.url, "out": out, "server": "pingera",
        "tools": {"count": tools, "call": "list_pages", "expect": "Acme Status"},
        "resource": {"title": resource["title"], "uri": "pingera://pages", "expect": "pgmain000001"},
        "prompt": prompt,
    });
    let summary = drive(&plan, "MCP Inspector web UI (pingera-mcp)");
    let shots = summary["screenshots"].as_array().expect("screenshots");
    assert_eq!(shots.len(), if plan["prompt"].is_null() { 4 } else { 5 }, "{summary}");
    for s in shots {
        let bytes = std::fs::read(s.as_str().unwrap()).expect("the screenshot exists");
        assert!(bytes.starts_with(b"\x89PNG"), "{s} is not a PNG");
    }
    // The tool call and the resource read reached the API with the key from mcp.json.
    let reqs = d.requests();
    let pages = reqs.iter().filter(|r| r.method == "GET" && r.path == "/v1/pages").count();
    assert!(pages >= 2, "list_pages and pingera://pages should each have asked the double: {reqs:?}");
    assert!(reqs.iter().all(|r| r.authorization.as_deref() == Some("inspector-ui-key")), "{reqs:?}");
}

#[test]
fn the_inspector_web_ui_prompts_tab_gets_a_prompt_with_arguments() {
    let out = out_dir("inspector-ui-prompts");
    let config = mcp_json(&out, "fixtures", &fixture_server_bin(), json!({}));
    let inspector = Inspector::start(&config, &out);
    let plan = json!({
        "url": inspector.url, "out": out, "server": "fixtures", "tools": null, "resource": null,
        "prompt": {"name": "test_prompt_with_arguments", "args": {"arg1": "hello", "arg2": "world"},
                   "expect": "Prompt with arguments: arg1='hello', arg2='world'"},
    });
    let summary = drive(&plan, "MCP Inspector web UI (conformance fixtures)");
    assert_eq!(summary["steps"], json!(["connected", "test_prompt_with_arguments got"]), "{summary}");
}
