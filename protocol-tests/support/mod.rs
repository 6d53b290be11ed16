//! Test support: starting the real `pingera-mcp` binary on real pipes, and reading what it says with a bound.
//!
//! Invariant: every wait is bounded by [`TIMEOUT`] and a wait that runs out fails the test with what was seen, so
//! a hanging server fails instead of hanging the suite. Nothing here sleeps to synchronise: reads block on the
//! server's own output.

pub mod http;
#[cfg(feature = "external-tests")]
pub mod nginx;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use pingera_api_double::{ApiDouble, DoubleOptions};
use serde_json::{json, Value};

/// A fresh API double with its seed data, on an ephemeral port of 127.0.0.1.
pub fn double() -> ApiDouble {
    ApiDouble::spawn(DoubleOptions::default()).expect("the API double starts")
}

/// The server over HTTP against `d`, with the configured key `env-key` and the `extra` settings.
pub fn http_server(d: &ApiDouble, extra: &[(&str, &str)]) -> HttpProc {
    let base = d.base_url();
    let mut env = vec![("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", "env-key")];
    env.extend_from_slice(extra);
    HttpProc::start(&env)
}

/// The longest any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The path of the server binary under test.
pub fn server_bin() -> &'static str {
    env!("CARGO_BIN_EXE_pingera-mcp")
}

/// A running `pingera-mcp` process on pipes.
pub struct Proc {
    pub child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<(Mutex<String>, Condvar)>,
    /// Set when the stderr pipe reached its end, under the stderr lock, so that a waiter on its condvar sees it.
    stderr_closed: Arc<AtomicBool>,
    exit: Option<Receiver<ExitStatus>>,
    exited: bool,
    pid: u32,
}

impl Proc {
    /// Starts the binary with exactly these environment variables (plus PATH) and arguments.
    pub fn start(env: &[(&str, &str)], args: &[&str]) -> Proc {
        Proc::start_bin(Path::new(server_bin()), env, args)
    }

    /// Starts another binary built from this crate (the conformance fixture server) the same way.
    pub fn start_bin(bin: &Path, env: &[(&str, &str)], args: &[&str]) -> Proc {
        let mut cmd = Command::new(bin);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the server binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new((Mutex::new(String::new()), Condvar::new()));
        let mut err_pipe = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&stderr);
        let stderr_closed = Arc::new(AtomicBool::new(false));
        let closed = Arc::clone(&stderr_closed);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.0.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
                sink.1.notify_all();
            }
            let _guard = sink.0.lock().unwrap();
            closed.store(true, Ordering::SeqCst);
            sink.1.notify_all();
        });
        let stdin = child.stdin.take();
        let pid = child.id();
        Proc { child, stdin, lines, stderr, stderr_closed, exit: None, exited: false, pid }
    }

    /// Writes raw bytes to the server's stdin.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).expect("the server reads stdin");
        stdin.flush().expect("the server reads stdin");
    }

    /// Writes one line.
    pub fn send_line(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    /// Writes one JSON message as a line.
    pub fn send(&mut self, v: &Value) {
        self.send_line(&v.to_string());
    }

    /// The next line of output, or `None` at end of output; fails the test after [`TIMEOUT`].
    pub fn recv_line(&mut self) -> Option<String> {
        match self.lines.recv_timeout(TIMEOUT) {
            Ok(l) => Some(l),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no output within {TIMEOUT:?}; stderr so far:\n{}", self.stderr())
            }
        }
    }

    /// The next message, parsed; fails the test at end of output or when the line is not JSON.
    pub fn recv(&mut self) -> Value {
        let line = self.recv_line().unwrap_or_else(|| panic!("output ended; stderr:\n{}", self.stderr()));
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("output line is not JSON ({e}): {line}"))
    }

    /// Sends a request and returns the next message (the caller must know nothing else is pending).
    pub fn request(&mut self, v: &Value) -> Value {
        self.send(v);
        self.recv()
    }

    /// Runs the handshake with the given version and returns the initialize result.
    pub fn initialize(&mut self, version: &str) -> Value {
        let r = self.request(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "protocol-tests", "version": "1"}}}));
        assert!(r.get("result").is_some(), "initialize failed: {r}");
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        r["result"].clone()
    }

    /// Closes stdin (end of input for the server).
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Everything the server still writes until its stdout closes.
    pub fn rest(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(l) = self.recv_line() {
            out.push(l);
        }
        out
    }

    /// Waits for the process to exit; fails the test after `bound`.
    pub fn wait_exit(&mut self, bound: Duration) -> ExitStatus {
        if self.exit.is_none() {
            // The child is waited for on a thread so that the wait can be bounded without polling.
            let (tx, rx) = mpsc::channel();
            let mut waiter = std::mem::replace(&mut self.child, dummy_child());
            std::thread::spawn(move || {
                let _ = tx.send(waiter.wait().expect("wait works"));
            });
            self.exit = Some(rx);
        }
        match self.exit.as_ref().unwrap().recv_timeout(bound) {
            Ok(status) => {
                self.exited = true;
                // What the process wrote last may still be in the pipe: wait (bounded) until the reader reaches its
                // end, so that `stderr()` after an exit holds all of it. A grandchild that keeps the pipe open only
                // costs the bound.
                let (lock, cond) = &*self.stderr;
                let guard = lock.lock().unwrap();
                let _ = cond.wait_timeout_while(guard, TIMEOUT, |_| !self.stderr_closed.load(Ordering::SeqCst));
                status
            }
            Err(_) => panic!("the server did not exit within {bound:?}; stderr:\n{}", self.stderr()),
        }
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.0.lock().unwrap().clone()
    }

    /// Waits until stderr contains `needle` and returns the text from there to the end of that line.
    pub fn wait_stderr(&self, needle: &str) -> String {
        let (lock, cond) = &*self.stderr;
        let guard = lock.lock().unwrap();
        let (guard, timeout) = cond.wait_timeout_while(guard, TIMEOUT, |s| !s.contains(needle)).unwrap();
        assert!(!timeout.timed_out(), "stderr never said {needle:?}:\n{}", *guard);
        let from = guard.find(needle).unwrap();
        guard[from..].lines().next().unwrap_or_default().to_owned()
    }

    /// Sends a signal to the process.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill").args([&format!("-{sig}"), &self.pid.to_string()]).status();
        assert!(status.map(|s| s.success()).unwrap_or(false), "kill -{sig} failed");
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // After `wait_exit` the real child lives on a waiting thread; make sure it does not outlive the test.
        if self.exit.is_some() && !self.exited {
            let _ = Command::new("kill").args(["-KILL", &self.pid.to_string()]).status();
        }
    }
}

/// A `pingera-mcp` serving HTTP on a free loopback port.
pub struct HttpProc {
    pub proc: Proc,
    pub addr: std::net::SocketAddr,
}

impl HttpProc {
    /// Starts the binary in HTTP mode on 127.0.0.1 with a free port and waits until it listens.
    pub fn start(env: &[(&str, &str)]) -> HttpProc {
        HttpProc::start_with_args(env, &[])
    }

    /// The same, with command-line arguments.
    pub fn start_with_args(env: &[(&str, &str)], args: &[&str]) -> HttpProc {
        HttpProc::start_bin(Path::new(server_bin()), env, args)
    }

    /// Starts another binary of this crate in HTTP mode the same way.
    pub fn start_bin(bin: &Path, env: &[(&str, &str)], args: &[&str]) -> HttpProc {
        let mut all: Vec<(&str, &str)> =
            vec![("PINGERA_TRANSPORT_MODE", "http"), ("PINGERA_HTTP_PORT", "0"), ("RUST_LOG", "info")];
        all.extend_from_slice(env);
        let proc = Proc::start_bin(bin, &all, args);
        let line = proc.wait_stderr("listening on http://");
        let url = line.trim_start_matches("listening on http://");
        let hostport = url.split('/').next().unwrap();
        let addr = hostport.parse().unwrap_or_else(|e| panic!("bad address {hostport:?}: {e}"));
        HttpProc { proc, addr }
    }
}

/// The conformance fixture server (`examples/conformance_server.rs`), brought up to date once per test run: it
/// needs the `client-requests` feature, which plain `cargo test` leaves off (and a stale copy would test old code).
pub fn fixture_server_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            cargo_build(&["--example", "conformance_server", "--features", "client-requests"])
                .join("examples/conformance_server")
        })
        .clone()
}

/// The `pingera-api-double` executable of the workspace member, built once per test run into this profile's
/// folder, beside `mcp-transcript`, which starts it for transcripts that ask for `#! double`: plain `cargo test`
/// builds only the double's library, which is a dev-dependency.
pub fn double_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            cargo_build(&["-p", "pingera-api-double", "--bin", "pingera-api-double"]).join("pingera-api-double")
        })
        .clone()
}

/// Runs `cargo build` with these arguments in the profile the tests run in, and returns that profile's folder.
fn cargo_build(args: &[&str]) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("tests run from target/<profile>/deps");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet"]).args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build {args:?} failed");
    profile_dir.to_path_buf()
}

/// A finished stand-in child, so that the real one can move to a waiting thread.
fn dummy_child() -> Child {
    Command::new("true").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("true runs")
}

/// A process's peak resident set (`VmHWM` of `/proc/PID/status`), in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process runs");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/PID/status");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of kB")
}
