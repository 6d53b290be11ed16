//! Scale-out behind a stock load balancer: nginx (Debian's package) runs `deploy/nginx/pingera-mcp.conf`, round
//! robin over three `pingera-mcp` replicas that share a session key, and the official Python and TypeScript
//! clients each run a session of tool calls in the initialize era and in 2026-07-28 while replicas are killed and
//! restarted (one replica killed with SIGKILL and restarted; a rolling SIGTERM restart of all three).
//!
//! No call may fail, and the API double's log must show that every API request carried the credential of the
//! client session that caused it (each client sends its own), never the replicas' own key.
//!
//! Coordination without sleeps: each client (`protocol-tests/clients/py_steps.py`, `v2_steps.mjs`) makes one call
//! per `call TOOL` line on its stdin and prints its outcome, so replicas are killed and started only between calls
//! (a replica that dies in the middle of a request loses that request, whatever the server: SPEC_NOTES §15); a
//! restarted replica counts once its `/health` answers 200, polled with a bound. The kills do happen while the
//! clients' GET streams are open on the replicas. nginx runs as a child process with a generated main
//! configuration in a temporary folder, on loopback ports; nginx is installed by `scripts/mcp-tools.sh`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pingera_api_double::{ApiDouble, DoubleOptions};
use serde_json::Value;

use crate::clients::{client_command, kill_group, node, python, require_npm, V2};
use crate::support::http::{request, POLL};
use crate::support::{nginx, HttpProc, TIMEOUT};

/// The key every replica shares (64 hex digits: 32 bytes).
const SESSION_KEY: &str = "6d6f72652d7468616e2d33322d72616e646f6d2d62797465732d666f722d6d6370";
/// The replicas' own credential: seeing it in the double's log means a request lost its client's header.
const SERVER_ENV_KEY: &str = "replica-env-key";
/// Tool calls per client session; each makes exactly one API request.
const CALLS: usize = 36;
const TOOLS: [&str; 3] = ["list_pages", "list_checks", "list_heartbeats"];
/// The most one client start (Node or Python, connect) or one call may take on a loaded two-core machine.
const CLIENT_BOUND: Duration = Duration::from_secs(3 * TIMEOUT.as_secs());

/// A free loopback port (for nginx and the replicas, which must come back on the same port after a restart).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// nginx as a child process, in the foreground, with everything it writes in a temporary folder.
struct Nginx {
    child: Child,
    dir: PathBuf,
    addr: SocketAddr,
}

impl Nginx {
    /// Starts nginx with the deployment's configuration on loopback ports and waits until it answers `/health`
    /// through a replica.
    fn start(name: &str, replica_ports: &[u16]) -> Nginx {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("nginx-{name}"));
        let port = free_port();
        let mut cmd = nginx::configure(&dir, port, replica_ports, true).unwrap_or_else(|e| panic!("{e}"));
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("nginx starts");
        let nginx = Nginx { child, dir, addr: SocketAddr::from(([127, 0, 0, 1], port)) };
        wait_healthy(nginx.addr, "nginx");
        nginx
    }

    /// Requests per replica port (a request that failed over counts for every replica nginx tried) and how many
    /// requests failed over, from the access log.
    fn spread(&self) -> (BTreeMap<String, usize>, usize) {
        let log = std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        let mut per = BTreeMap::new();
        let mut failovers = 0;
        for line in log.lines().filter(|l| l.contains(" /mcp ")) {
            let upstream = line.splitn(4, ' ').nth(3).unwrap_or_default();
            failovers += usize::from(upstream.contains(','));
            for u in upstream.split(", ") {
                *per.entry(u.rsplit(':').next().unwrap_or_default().to_owned()).or_insert(0) += 1;
            }
        }
        (per, failovers)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `GET /health` at `addr` until it answers 200, within [`TIMEOUT`].
fn wait_healthy(addr: SocketAddr, what: &str) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let ok = std::net::TcpStream::connect(addr).is_ok() && request(addr, "GET", "/health", &[], b"").status == 200;
        if ok {
            return;
        }
        assert!(Instant::now() < deadline, "{what} at {addr} did not become healthy within {TIMEOUT:?}");
        std::thread::sleep(POLL);
    }
}

/// Three replicas on fixed loopback ports, so that nginx finds a restarted one where it was.
struct Replicas {
    procs: Vec<Option<HttpProc>>,
    ports: Vec<u16>,
    base_url: String,
}

impl Replicas {
    fn start(d: &ApiDouble, n: usize) -> Replicas {
        let mut r =
            Replicas { procs: Vec::new(), ports: (0..n).map(|_| free_port()).collect(), base_url: d.base_url() };
        for i in 0..n {
            r.procs.push(None);
            r.up(i);
        }
        r
    }

    /// Starts replica `i` on its port and waits until it is healthy.
    fn up(&mut self, i: usize) {
        assert!(self.procs[i].is_none(), "replica {i} is running");
        let port = self.ports[i].to_string();
        let env = [
            ("PINGERA_BASE_URL", self.base_url.as_str()),
            ("PINGERA_API_KEY", SERVER_ENV_KEY),
            ("PINGERA_HTTP_SESSION_KEY", SESSION_KEY),
            ("PINGERA_HTTP_PORT", port.as_str()),
        ];
        let p = HttpProc::start(&env);
        wait_healthy(p.addr, &format!("replica {i}"));
        self.procs[i] = Some(p);
    }

    /// Ends replica `i` with `signal` (KILL: no goodbye; TERM: graceful, must exit 0) and waits until it is gone.
    fn down(&mut self, i: usize, signal: &str) {
        let mut p = self.procs[i].take().expect("replica is running");
        p.proc.signal(signal);
        let status = p.proc.wait_exit(TIMEOUT);
        if signal == "TERM" {
            assert!(status.success(), "replica {i} did not exit 0 after SIGTERM: {}", p.proc.stderr());
        }
    }
}

/// One official client running a session, one call per command.
struct StepClient {
    label: String,
    credential: String,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    calls: usize,
    failures: Vec<String>,
}

impl StepClient {
    fn start(label: &str, mut cmd: Command, credential: &str, era: &str) -> StepClient {
        cmd.env("MCP_AUTH", credential).stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{label} does not start: {e}"));
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().expect("stderr is piped");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut c = StepClient {
            label: label.to_owned(),
            credential: credential.to_owned(),
            child,
            stdin,
            lines,
            stderr,
            calls: 0,
            failures: Vec::new(),
        };
        let ready = c.next();
        assert_eq!(ready["ready"], true, "{label}: {ready}");
        assert_eq!(ready["protocol_version"], era, "{label} negotiated another version: {ready}");
        c
    }

    /// The next JSON line the client prints, within [`CLIENT_BOUND`].
    fn next(&mut self) -> Value {
        loop {
            let line = self.lines.recv_timeout(CLIENT_BOUND).unwrap_or_else(|_| {
                kill_group(self.child.id());
                panic!("{} said nothing within {CLIENT_BOUND:?}; stderr:\n{}", self.label, self.stderr.lock().unwrap())
            });
            // The SDKs may print warnings on stdout; only JSON objects are the script's own lines.
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if v.is_object() {
                    return v;
                }
            }
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").and_then(|()| self.stdin.flush()).unwrap_or_else(|e| {
            panic!("{} stopped reading commands ({e}); stderr:\n{}", self.label, self.stderr.lock().unwrap())
        });
    }

    fn outcome(&mut self) {
        let v = self.next();
        self.calls += 1;
        assert_eq!(v["call"], self.calls, "{}: {v}", self.label);
        if v["ok"] != true {
            self.failures.push(format!("call {}: {}", self.calls, v["error"]));
        }
    }

    /// Ends the session, checks that the client's own count agrees, and waits for it to exit (polled, bounded).
    fn quit(&mut self) -> (String, usize, Vec<String>) {
        self.send("quit");
        let done = self.next();
        let counted = (done["calls"].as_u64(), done["failed"].as_u64());
        assert_eq!(counted, (Some(self.calls as u64), Some(self.failures.len() as u64)), "{}: {done}", self.label);
        let deadline = Instant::now() + TIMEOUT;
        while self.child.try_wait().expect("try_wait works").is_none() {
            assert!(Instant::now() < deadline, "{} did not exit after quit", self.label);
            std::thread::sleep(POLL);
        }
        (self.label.clone(), self.calls, self.failures.clone())
    }
}

impl Drop for StepClient {
    fn drop(&mut self) {
        // A test that fails half-way must not leave a client (or anything it started) running.
        if self.child.try_wait().ok().flatten().is_none() {
            kill_group(self.child.id());
            let _ = self.child.wait();
        }
    }
}

/// What happens to the replicas before a step.
#[derive(Clone, Copy)]
enum Event {
    Kill(usize),
    Term(usize),
    Up(usize),
}

/// Starts the four client sessions (Python and TypeScript, each era) through `nginx`, runs [`CALLS`] steps of one
/// call per client with `events` between steps, and checks the outcome and the double's log.
fn run_scenario(name: &str, events: &[(usize, Event)]) {
    let d = ApiDouble::spawn(DoubleOptions::default()).expect("the API double starts");
    let mut replicas = Replicas::start(&d, 3);
    let nginx = Nginx::start(name, &replicas.ports);
    let url = format!("http://{}/mcp", nginx.addr);
    require_npm(V2.0, V2.1);
    let py = |mode: &str| {
        let mut c = client_command(&python());
        c.args(["py_steps.py", mode, &url]);
        c
    };
    let ts = |mode: &str| {
        let mut c = client_command(&node());
        c.args(["v2_steps.mjs", mode, &url]);
        c
    };
    let mut clients = vec![
        StepClient::start("python, initialize era", py("legacy"), "py-initialize-key", "2025-11-25"),
        StepClient::start("python, 2026-07-28", py("2026-07-28"), "Bearer py-2026-jwt", "2026-07-28"),
        StepClient::start("typescript, initialize era", ts("legacy"), "Bearer ts-initialize-jwt", "2025-11-25"),
        StepClient::start("typescript, 2026-07-28", ts("auto"), "ts-2026-key", "2026-07-28"),
    ];
    d.clear_requests();
    for step in 0..CALLS {
        for (_, event) in events.iter().filter(|(at, _)| *at == step) {
            match *event {
                Event::Kill(i) => replicas.down(i, "KILL"),
                Event::Term(i) => replicas.down(i, "TERM"),
                Event::Up(i) => replicas.up(i),
            }
        }
        let tool = TOOLS[step % TOOLS.len()];
        // All four calls are in flight at once.
        for c in &mut clients {
            c.send(&format!("call {tool}"));
        }
        for c in &mut clients {
            c.outcome();
        }
    }
    let credentials: Vec<String> = clients.iter().map(|c| c.credential.clone()).collect();
    let results: Vec<(String, usize, Vec<String>)> = clients.iter_mut().map(StepClient::quit).collect();
    let (spread, failovers) = nginx.spread();
    eprintln!("scale-out run {name:?}: requests to /mcp per replica port {spread:?}, {failovers} failed over to another replica");
    for (label, calls, failures) in &results {
        eprintln!("scale-out run {name:?}: {label}: {calls} calls, {} failed", failures.len());
    }
    for (label, calls, failures) in &results {
        assert_eq!(*calls, CALLS, "{label}");
        assert!(failures.is_empty(), "{name}: {label}: failed calls: {failures:#?}");
    }
    // Every replica served some of the sessions' requests: the sessions really moved between replicas.
    for port in &replicas.ports {
        assert!(
            spread.get(&port.to_string()).is_some_and(|n| *n > 0),
            "{name}: replica on {port} served nothing: {spread:?}"
        );
    }
    let mut per_credential: BTreeMap<String, usize> = BTreeMap::new();
    for r in d.requests() {
        *per_credential.entry(r.authorization.unwrap_or_else(|| "(none)".into())).or_insert(0) += 1;
    }
    let expected: BTreeMap<String, usize> = credentials.into_iter().map(|c| (c, CALLS)).collect();
    assert_eq!(
        per_credential, expected,
        "{name}: each API request must carry its own session's credential (replicas' key: {SERVER_ENV_KEY})"
    );
}

#[test]
fn official_clients_through_nginx_survive_a_replica_killed_and_restarted() {
    run_scenario("kill-and-restart", &[(10, Event::Kill(1)), (20, Event::Up(1))]);
}

#[test]
fn official_clients_through_nginx_survive_a_rolling_restart_of_all_replicas() {
    let mut events = Vec::new();
    for (i, at) in [(0, 6), (1, 16), (2, 26)] {
        // Each replica is stopped gracefully, the others serve two steps alone, then it comes back.
        events.push((at, Event::Term(i)));
        events.push((at + 2, Event::Up(i)));
    }
    run_scenario("rolling-restart", &events);
}
