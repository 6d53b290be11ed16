//! `mcp-transcript` against servers nobody here wrote, installed from the package registries by
//! `scripts/mcp-tools.sh`: `@modelcontextprotocol/server-memory` (npm) and `mcp-server-git` (PyPI), over stdio and
//! over Streamable HTTP through `mcp-proxy` (PyPI). Each session is driven by the official Python SDK client
//! (`protocol-tests/clients/third_party.py`) through `record`, replayed with `verify` against a fresh server, and
//! played back with `serve` to the same client, which must get exactly what the real server gave it. The committed
//! transcripts in `fixtures/third-party/` are verified against the live servers too.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Proc, TIMEOUT};
use crate::transcript_tool::{http_recorder, scratch, tool};

fn tools_dir() -> PathBuf {
    std::env::var_os("MCP_TOOLS")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".mcp-tools"), PathBuf::from)
}

/// A file installed by `scripts/mcp-tools.sh`; a missing one fails the test and says how to install it.
fn installed(rel: &str) -> String {
    let p = tools_dir().join(rel);
    assert!(p.exists(), "{} is missing: run scripts/mcp-tools.sh (scripts/test does)", p.display());
    p.display().to_string()
}

fn node() -> String {
    installed("bin/node")
}

fn memory_server() -> String {
    installed("node-servers/node_modules/@modelcontextprotocol/server-memory/dist/index.js")
}

fn git_server() -> String {
    installed("gitvenv/bin/mcp-server-git")
}

fn client_script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol-tests/clients/third_party.py").display().to_string()
}

fn third_party(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/third-party").join(name).display().to_string()
}

/// Runs `program args` in `dir` with exactly `env` (plus PATH) to its end; returns the exit code, stdout and the
/// process (for its stderr).
fn run_in(dir: &Path, env: &[(&str, &str)], program: &str, args: &[&str]) -> (i32, String, Proc) {
    let mut all = vec!["-c", "cd \"$0\" && exec \"$@\"", dir.to_str().unwrap(), program];
    all.extend_from_slice(args);
    let mut p = Proc::start_bin(Path::new("sh"), env, &all);
    p.close_stdin();
    let out = p.rest().join("\n");
    // A client run starts Python and a server: allow it three single-wait bounds.
    let status = p.wait_exit(3 * TIMEOUT);
    (status.code().unwrap_or(-1), out, p)
}

/// The official Python client's scenario against a server; returns its one-line JSON summary.
fn client(dir: &Path, env: &[(&str, &str)], scenario: &str, target: &[&str]) -> String {
    let mut args = vec![client_script(), scenario.to_owned()];
    args.extend(target.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, p) = run_in(dir, env, &installed("venv/bin/python"), &args);
    assert_eq!(code, 0, "the Python client failed: {out}\n{}", p.stderr());
    let line = out.lines().last().unwrap_or_default().to_owned();
    assert!(line.starts_with("{\"results\""), "{out}");
    line
}

/// `mcp-transcript ARGS` in `dir`; returns the exit code and stdout.
fn transcript(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let (code, out, p) = run_in(dir, env, tool().to_str().unwrap(), args);
    (code, format!("{out}\n{}", p.stderr()))
}

/// `mcp-proxy` serving `command` over Streamable HTTP at `/mcp` on a free port, from `dir`.
fn mcp_proxy(dir: &Path, env: &[(&str, &str)], command: &[&str]) -> (Proc, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let proxy = installed("proxyvenv/bin/mcp-proxy");
    let mut args = vec!["-c", "cd \"$0\" && exec \"$@\"", dir.to_str().unwrap(), &proxy, "--host", "127.0.0.1"];
    args.extend(["--port", &port, "--pass-environment", "--"]);
    args.extend_from_slice(command);
    let p = Proc::start_bin(Path::new("sh"), env, &args);
    p.wait_stderr("Uvicorn running on");
    (p, format!("http://127.0.0.1:{port}/mcp"))
}

/// A git repository whose one commit has the same hash on every machine (fixed author, dates and content).
fn make_repo(dir: &Path) -> PathBuf {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("README.md"), "hello\n").unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(&repo)
            .envs([
                ("GIT_AUTHOR_NAME", "Ada"),
                ("GIT_AUTHOR_EMAIL", "ada@example.com"),
                ("GIT_COMMITTER_NAME", "Ada"),
                ("GIT_COMMITTER_EMAIL", "ada@example.com"),
                ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z"),
                ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"),
            ])
            .status()
            .expect("git runs");
        assert!(ok.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "README.md"]);
    git(&["commit", "-qm", "first"]);
    repo
}

#[test]
fn memory_server_over_stdio_record_verify_and_serve_to_the_python_client() {
    let dir = scratch("memory-stdio");
    let out = dir.join("memory.txt").display().to_string();
    let (node, server) = (node(), memory_server());
    let mem = |name: &str| dir.join(name).display().to_string();
    let recorded_file = mem("recorded.jsonl");
    let real = client(
        &dir,
        &[("MEMORY_FILE_PATH", &recorded_file)],
        "memory",
        &["stdio", tool().to_str().unwrap(), "record", "--out", &out, "--", &node, &server],
    );
    let verify_file = mem("verify.jsonl");
    let (code, said) = transcript(&dir, &[("MEMORY_FILE_PATH", &verify_file)], &["verify", &out, "--", &node, &server]);
    assert_eq!(code, 0, "{said}");

    // One changed expected value fails the run with exit status 1 and names it.
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.iter().rposition(|l| l.starts_with("> ")).unwrap();
    let changed: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i == last { l.replace("analytical", "synthetic") } else { l.to_owned() })
        .collect();
    let bad = dir.join("changed.txt").display().to_string();
    std::fs::write(&bad, changed.join("\n")).unwrap();
    let fresh = mem("changed.jsonl");
    let (code, said) = transcript(&dir, &[("MEMORY_FILE_PATH", &fresh)], &["verify", &bad, "--", &node, &server]);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains(&format!("line {}: $.result.", last + 1)) && said.contains("synthetic"), "{said}");

    let served = client(&dir, &[], "memory", &["stdio", tool().to_str().unwrap(), "serve", &out]);
    assert_eq!(served, real, "the client gets from serve what it got from the real server");
}

#[test]
fn memory_server_over_streamable_http_through_mcp_proxy_record_verify_and_serve() {
    let dir = scratch("memory-http");
    let out = dir.join("memory-http.txt").display().to_string();
    let (node, server) = (node(), memory_server());
    let first = dir.join("first.jsonl").display().to_string();
    let (_proxy, url) = mcp_proxy(&dir, &[("MEMORY_FILE_PATH", &first)], &[&node, &server]);
    let (mut rec, addr) = http_recorder(&out, &url);
    let real = client(&dir, &[], "memory", &["http", &format!("http://{addr}/mcp")]);
    rec.signal("TERM");
    assert!(rec.wait_exit(TIMEOUT).success(), "{}", rec.stderr());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains(">header Mcp-Session-Id: ${session}"), "{text}");

    // A fresh proxy with an empty memory: the recorded session replays in a fresh session.
    let second = dir.join("second.jsonl").display().to_string();
    let (_fresh, fresh_url) = mcp_proxy(&dir, &[("MEMORY_FILE_PATH", &second)], &[&node, &server]);
    let (code, said) = transcript(&dir, &[], &["verify", &out, "--url", &fresh_url]);
    assert_eq!(code, 0, "{said}\n{text}");

    let mut serve = Proc::start_bin(tool(), &[], &["serve", &out, "--listen", "127.0.0.1:0"]);
    let line = serve.wait_stderr("serving on http://");
    let served_url = line.trim_start_matches("serving on ").to_owned();
    let served = client(&dir, &[], "memory", &["http", &served_url]);
    serve.signal("TERM");
    assert_eq!(serve.wait_exit(TIMEOUT).code(), Some(0), "{}", serve.stderr());
    assert_eq!(served, real, "the client gets from serve what it got from the real server");
}

#[test]
fn git_server_over_stdio_and_streamable_http_record_and_verify() {
    let dir = scratch("git");
    let repo = make_repo(&dir);
    let git = git_server();
    let stdio_out = dir.join("git-stdio.txt").display().to_string();
    client(
        &repo,
        &[],
        "git",
        &["stdio", tool().to_str().unwrap(), "record", "--out", &stdio_out, "--", &git, "--repository", "."],
    );
    let (code, said) = transcript(&repo, &[], &["verify", &stdio_out, "--", &git, "--repository", "."]);
    assert_eq!(code, 0, "{said}");
    let text = std::fs::read_to_string(&stdio_out).unwrap();
    assert!(text.contains("Date: [..]"), "commit dates are generalised:\n{text}");

    let http_out = dir.join("git-http.txt").display().to_string();
    let (_proxy, url) = mcp_proxy(&repo, &[], &[&git, "--repository", "."]);
    let (mut rec, addr) = http_recorder(&http_out, &url);
    client(&repo, &[], "git", &["http", &format!("http://{addr}/mcp")]);
    rec.signal("TERM");
    assert!(rec.wait_exit(TIMEOUT).success());
    let (code, said) = transcript(&repo, &[], &["verify", &http_out, "--url", &url]);
    assert_eq!(code, 0, "{said}");
}

#[test]
fn committed_third_party_transcripts_verify_against_the_live_servers() {
    let dir = scratch("committed");
    let (node, server) = (node(), memory_server());
    let mem = dir.join("m.jsonl").display().to_string();
    let (code, said) = transcript(
        &dir,
        &[("MEMORY_FILE_PATH", &mem)],
        &["verify", &third_party("memory-stdio.txt"), "--", &node, &server],
    );
    assert_eq!(code, 0, "{said}");
    let mem2 = dir.join("m2.jsonl").display().to_string();
    let (_proxy, url) = mcp_proxy(&dir, &[("MEMORY_FILE_PATH", &mem2)], &[&node, &server]);
    let (code, said) = transcript(&dir, &[], &["verify", &third_party("memory-http.txt"), "--url", &url]);
    assert_eq!(code, 0, "{said}");

    let repo = make_repo(&dir);
    let git = git_server();
    let (code, said) =
        transcript(&repo, &[], &["verify", &third_party("git-stdio.txt"), "--", &git, "--repository", "."]);
    assert_eq!(code, 0, "{said}");
    let (_git_proxy, git_url) = mcp_proxy(&repo, &[], &[&git, "--repository", "."]);
    let (code, said) = transcript(&repo, &[], &["verify", &third_party("git-http.txt"), "--url", &git_url]);
    assert_eq!(code, 0, "{said}");
}
