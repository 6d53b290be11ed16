//! The benchmark harness: pingera-mcp ("ours") against the floor and the reference implementation, in one run
//! (README.md, "Benchmarks"). `scripts/bench` builds the release binaries, installs the reference into `.bench/`
//! and runs this.
//!
//! It starts the in-repo API double once (keep-alive, `TCP_NODELAY`, no added latency), then runs `--rounds`
//! rounds; each round measures every figure for the three subjects, one after the other, with fresh server
//! processes. The report is the median over the rounds: a markdown table on stdout and in `bench/results.md`, and a
//! chart in `bench/chart.svg`. Only 127.0.0.1 is contacted; every loop is bounded in count and in time, and every
//! blocking read is either under a socket timeout or watched by a [`Watchdog`] that kills the peer.
//!
//! `bench scale-out [OPTIONS]` measures one replica against three behind nginx instead ([`scale_out`]).
//!
//! `bench soak [SECONDS [ATTACK]]` is the soak and abuse run of `scripts/soak` ([`soak`]).
//!
//! `bench floor-http FILE` is the HTTP floor for protocol-only requests: a minimal std-only HTTP/1.1 server that
//! answers every request with the bytes of FILE (our recorded `tools/list` reply) and exits when its stdin closes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

// The nginx configuration of the scale-out test, shared so that both run the deployed file the same way.
#[path = "../protocol-tests/support/nginx.rs"]
mod nginx;
#[path = "bench/scale_out.rs"]
mod scale_out;
#[path = "bench/soak.rs"]
mod soak;

const PROTOCOL: &str = "2025-06-18";
const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"pingera-bench","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
const API_KEY: &str = "bench-key";
/// How long any single read may block before the measurement is abandoned.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

fn call_line(id: u64) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"list_pages","arguments":{{}}}}}}"#)
}

fn ping_line(id: u64) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#)
}

fn tools_list_line(id: u64) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/list","params":{{}}}}"#)
}

// ---------------------------------------------------------------------------------------------------------------
// Options

#[derive(Clone)]
struct Opts {
    rounds: usize,
    /// Measured seconds of each throughput test (after a warm-up of a quarter of it, at least 0.5 s).
    secs: f64,
    conns: usize,
    window: usize,
    /// Most sequential calls per latency test, and the time cap of one.
    seq_calls: usize,
    seq_secs: f64,
    cold_runs: usize,
    ours: PathBuf,
    double: PathBuf,
    python: Option<PathBuf>,
    out: PathBuf,
    work: PathBuf,
    /// Pipelined calls of the burst case.
    burst: usize,
    /// Only the burst case (for development and before/after comparisons).
    burst_only: bool,
}

const USAGE: &str = "\
Usage: bench [OPTIONS]       (scripts/bench builds everything and passes --python)
       bench scale-out [OPTIONS]   one replica against three behind nginx (--rounds, --secs, --conns, --out)

  --rounds N       rounds; every figure is the median over them (default 5)
  --secs S         measured seconds of each throughput test (default 3)
  --conns N        HTTP connections of the load tests (default 32)
  --window N       stdio requests in flight in the pipelined test (default 32)
  --seq-calls N    most sequential calls per latency test (default 2000; also capped at --seq-secs)
  --seq-secs S     time cap of one latency test (default 2)
  --cold-runs N    spawns per round for the cold start of ours and the floor (default 10; the reference: 1)
  --quick          --rounds 1 --secs 1 --seq-calls 300 --seq-secs 1 --cold-runs 3 (for development)
  --ours PATH      our binary (default target/release/pingera-mcp)
  --double PATH    the API double (default target/release/pingera-api-double)
  --python PATH    the reference's virtualenv python; without it the reference is skipped
  --no-reference   skip the reference (scripts/bench then installs nothing)
  --out DIR        where results.md and chart.svg go (default bench)
  --work DIR       scratch directory (default .bench)
  --burst N        pipelined tools/call of the burst case against the small-backlog API (default 200)
  --burst-only     run only the burst case (one per round), print its figures and write nothing";

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        rounds: 5,
        secs: 3.0,
        conns: 32,
        window: 32,
        seq_calls: 2000,
        seq_secs: 2.0,
        cold_runs: 10,
        ours: PathBuf::from("target/release/pingera-mcp"),
        double: PathBuf::from("target/release/pingera-api-double"),
        python: None,
        out: PathBuf::from("bench"),
        work: PathBuf::from(".bench"),
        burst: 200,
        burst_only: false,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
        }
        match flag.as_str() {
            "--rounds" => o.rounds = num(flag, value()?)?,
            "--secs" => o.secs = num(flag, value()?)?,
            "--conns" => o.conns = num(flag, value()?)?,
            "--window" => o.window = num(flag, value()?)?,
            "--seq-calls" => o.seq_calls = num(flag, value()?)?,
            "--seq-secs" => o.seq_secs = num(flag, value()?)?,
            "--cold-runs" => o.cold_runs = num(flag, value()?)?,
            "--quick" => {
                o.rounds = 1;
                o.secs = 1.0;
                o.seq_calls = 300;
                o.seq_secs = 1.0;
                o.cold_runs = 3;
            }
            "--ours" => o.ours = value()?.into(),
            "--double" => o.double = value()?.into(),
            "--python" => o.python = Some(value()?.into()),
            "--no-reference" => o.python = None,
            "--out" => o.out = value()?.into(),
            "--work" => o.work = value()?.into(),
            "--burst" => o.burst = num(flag, value()?)?,
            "--burst-only" => o.burst_only = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let bounded = (1..=50).contains(&o.rounds)
        && (0.2..=60.0).contains(&o.secs)
        && (1..=1024).contains(&o.conns)
        && (1..=4096).contains(&o.window)
        && (10..=1_000_000).contains(&o.seq_calls)
        && (0.1..=60.0).contains(&o.seq_secs)
        && (1..=1000).contains(&o.cold_runs)
        && (1..=10_000).contains(&o.burst);
    if !bounded {
        return Err("a value is out of range (rounds 1-50, secs 0.2-60, conns 1-1024, window 1-4096, seq-calls \
                    10-1000000, seq-secs 0.1-60, cold-runs 1-1000, burst 1-10000)"
            .into());
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("scale-out") {
        return match parse_opts(&args[1..]).map_err(io::Error::other).and_then(|o| scale_out::run(&o)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench scale-out: {e}\n\n{USAGE}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("floor-http") {
        return match args.get(1) {
            Some(file) => match floor_http(Path::new(file)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("bench floor-http: {e}");
                    ExitCode::FAILURE
                }
            },
            None => ExitCode::from(2),
        };
    }
    if args.first().map(String::as_str) == Some("context") {
        return match context::run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench context: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("soak") {
        let secs = args.get(1).and_then(|s| s.parse::<f64>().ok()).unwrap_or(5.0).clamp(1.0, 120.0);
        return match soak::run(secs, args.get(2).map(String::as_str)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench soak: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let opts = match parse_opts(&args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/// A child process that is killed and reaped when dropped.
struct Proc {
    child: Child,
}

impl Proc {
    fn spawn(cmd: &mut Command) -> io::Result<Proc> {
        Ok(Proc { child: cmd.spawn()? })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size so far, in KiB (`VmHWM`).
    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills a process with SIGKILL when it stays armed for longer than the time given to [`Watchdog::arm`], which ends
/// any read that waits for that process. One thread per watched process, so that arming costs two atomic stores and
/// no thread start. The process is a child that has not been reaped yet, so its pid cannot have been reused.
struct Watchdog {
    /// Milliseconds since `epoch` after which the process is killed; 0 when disarmed.
    deadline: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    epoch: Instant,
    handle: Option<thread::JoinHandle<()>>,
}

impl Watchdog {
    fn new(pid: u32) -> Watchdog {
        let deadline = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let epoch = Instant::now();
        let (d, st) = (Arc::clone(&deadline), Arc::clone(&stop));
        let handle = thread::spawn(move || {
            // Bounded by the stop flag, which the owner sets when it drops the watchdog.
            while !st.load(Ordering::Relaxed) {
                let at = d.load(Ordering::Relaxed);
                if at != 0 && epoch.elapsed().as_millis() as u64 > at {
                    eprintln!("bench: process {pid} did not answer in time; killing it");
                    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                    return;
                }
                thread::park_timeout(Duration::from_millis(100));
            }
        });
        Watchdog { deadline, stop, epoch, handle: Some(handle) }
    }

    /// A watchdog armed once, for a start-up.
    fn armed(pid: u32, after: Duration) -> Watchdog {
        let w = Watchdog::new(pid);
        w.arm(after);
        w
    }

    fn arm(&self, after: Duration) {
        let at = (self.epoch.elapsed() + after).as_millis() as u64;
        self.deadline.store(at.max(1), Ordering::Relaxed);
    }

    fn disarm(&self) {
        self.deadline.store(0, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }
}

/// Removes every variable that could change how a subject behaves, so that only what the harness sets counts.
fn clean_env(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        let drop = k.starts_with("PINGERA_")
            || k.starts_with("FASTMCP_")
            || ["TRANSPORT_MODE", "HTTP_HOST", "HTTP_PORT", "REQUIRE_AUTH_HEADER", "RUST_LOG", "PYTHONPATH"]
                .contains(&k.as_str());
        if drop {
            cmd.env_remove(&k);
        }
    }
    cmd
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Subject {
    Ours,
    Floor,
    Reference,
}

const SUBJECTS: [Subject; 3] = [Subject::Ours, Subject::Floor, Subject::Reference];

impl Subject {
    fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        match self {
            Subject::Ours => "ours",
            Subject::Floor => "floor",
            Subject::Reference => "reference",
        }
    }
}

/// How to start each subject.
struct Env {
    opts: Opts,
    api: String,
    python: Option<PathBuf>,
    /// The recorded `tools/list` reply of ours, served by the HTTP floor.
    floor_reply: PathBuf,
    self_exe: PathBuf,
}

impl Env {
    fn ours(&self, http: bool) -> Command {
        let mut c = Command::new(&self.opts.ours);
        clean_env(&mut c).env("PINGERA_BASE_URL", &self.api).env("PINGERA_API_KEY", API_KEY);
        if http {
            c.env("PINGERA_TRANSPORT_MODE", "http").env("PINGERA_HTTP_PORT", "0");
        }
        c
    }

    fn reference(&self, http_port: Option<u16>) -> Option<Command> {
        let python = self.python.as_ref()?;
        let mut c = Command::new(python);
        clean_env(&mut c)
            .args(["-m", "pingera_mcp"])
            .current_dir(self.opts.work.join("run"))
            .env("PINGERA_BASE_URL", &self.api)
            .env("PINGERA_API_KEY", API_KEY);
        if let Some(port) = http_port {
            c.env("TRANSPORT_MODE", "sse").env("HTTP_HOST", "127.0.0.1").env("HTTP_PORT", port.to_string());
        }
        Some(c)
    }

    /// The stdio floor: `cat`, the smallest process that answers a line with a line.
    fn cat(&self) -> Command {
        Command::new("cat")
    }
}

// ---------------------------------------------------------------------------------------------------------------
// stdio

/// A subject spoken to over its stdin and stdout, one JSON-RPC message per line.
struct StdioPeer {
    // Field order matters on drop: the watchdog stops and the pipes close before the process is killed.
    watchdog: Watchdog,
    stdin: ChildStdin,
    out: BufReader<ChildStdout>,
    line: String,
    proc: Proc,
}

impl StdioPeer {
    fn spawn(mut cmd: Command) -> io::Result<StdioPeer> {
        let mut proc = Proc::spawn(cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()))?;
        let stdin = proc.child.stdin.take().ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = proc.child.stdout.take().ok_or_else(|| io::Error::other("no stdout"))?;
        let watchdog = Watchdog::new(proc.pid());
        let out = BufReader::with_capacity(256 * 1024, stdout);
        Ok(StdioPeer { watchdog, stdin, out, line: String::new(), proc })
    }

    fn send(&mut self, msg: &str) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(msg.len() + 1);
        bytes.extend_from_slice(msg.as_bytes());
        bytes.push(b'\n');
        self.stdin.write_all(&bytes)
    }

    /// Reads the next line that carries an `"id"` (notifications are skipped) into `self.line`.
    fn recv(&mut self) -> io::Result<()> {
        loop {
            self.line.clear();
            if self.out.read_line(&mut self.line)? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the peer closed its stdout"));
            }
            if self.line.contains("\"id\"") {
                return Ok(());
            }
        }
    }

    /// Sends a request and reads its reply, which must be a result (or, from `cat`, the request itself).
    fn rpc(&mut self, msg: &str) -> io::Result<()> {
        self.send(msg)?;
        self.watchdog.arm(IO_TIMEOUT);
        let read = self.recv();
        self.watchdog.disarm();
        read?;
        let reply = self.line.trim_end();
        // `cat`, the stdio floor, answers with the request itself.
        if reply.contains("\"result\"") || reply == msg {
            Ok(())
        } else {
            Err(io::Error::other(format!("not a result: {}", excerpt(reply.as_bytes()))))
        }
    }

    fn handshake(&mut self) -> io::Result<()> {
        self.rpc(INITIALIZE)?;
        self.send(INITIALIZED)
    }
}

/// Spawn to `initialize` result, in microseconds.
fn cold_start(cmd: Command) -> io::Result<f64> {
    let start = Instant::now();
    let mut peer = StdioPeer::spawn(cmd)?;
    peer.rpc(INITIALIZE)?;
    let took = start.elapsed();
    Ok(micros(took))
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Runs `op` sequentially up to `max_n` times or `max_secs`, after `warm` untimed runs; the latencies in µs.
fn sequential(
    mut op: impl FnMut(u64) -> io::Result<()>,
    warm: usize,
    max_n: usize,
    max_secs: f64,
) -> io::Result<Vec<f64>> {
    for i in 0..warm {
        op(i as u64 + 1)?;
    }
    let mut lat = Vec::with_capacity(max_n);
    let start = Instant::now();
    let cap = Duration::from_secs_f64(max_secs);
    for i in 0..max_n {
        if i >= 20 && start.elapsed() > cap {
            break;
        }
        let t = Instant::now();
        op((warm + i) as u64 + 1)?;
        lat.push(micros(t.elapsed()));
    }
    Ok(lat)
}

/// Pipelined `tools/call list_pages` over stdio with `window` requests in flight, bounded by `max_n` requests and
/// `secs` seconds of sending. Replies per second.
fn pipelined(peer: &mut StdioPeer, window: usize, max_n: u64, secs: f64) -> io::Result<f64> {
    let (tokens_tx, tokens_rx) = mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        let _ = tokens_tx.send(());
    }
    let (sent, sending) = (&AtomicU64::new(0), &AtomicBool::new(true));
    peer.watchdog.arm(Duration::from_secs_f64(secs) + IO_TIMEOUT);
    let start = Instant::now();
    let StdioPeer { stdin, out, line, watchdog, .. } = peer;
    let result = thread::scope(|s| {
        let writer = s.spawn(move || -> io::Result<()> {
            let cap = Duration::from_secs_f64(secs);
            let mut buf = Vec::with_capacity(256);
            let written = (|| {
                for n in 0..max_n {
                    if start.elapsed() > cap {
                        break;
                    }
                    match tokens_rx.recv_timeout(IO_TIMEOUT) {
                        Ok(()) => {}
                        Err(RecvTimeoutError::Timeout) => return Err(io::Error::other("no reply for too long")),
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                    buf.clear();
                    buf.extend_from_slice(call_line(1_000_000 + n).as_bytes());
                    buf.push(b'\n');
                    stdin.write_all(&buf)?;
                    sent.store(n + 1, Ordering::SeqCst);
                }
                Ok(())
            })();
            // Whatever happened, the reader stops once the replies to what was sent are in.
            sending.store(false, Ordering::SeqCst);
            written
        });
        let mut got = 0u64;
        let mut errors = 0u64;
        let reader = (|| -> io::Result<()> {
            loop {
                if !sending.load(Ordering::SeqCst) && got >= sent.load(Ordering::SeqCst) {
                    return Ok(());
                }
                line.clear();
                if out.read_line(line)? == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the peer closed its stdout"));
                }
                if !line.contains("\"id\"") {
                    continue;
                }
                got += 1;
                if !line.contains("\"result\"") {
                    errors += 1;
                }
                let _ = tokens_tx.try_send(());
            }
        })();
        let took = start.elapsed();
        // The writer may wait for a token; closing the channel ends it.
        drop(tokens_tx);
        let written = writer.join().map_err(|_| io::Error::other("writer panicked"))?;
        reader?;
        written?;
        if errors > 0 {
            return Err(io::Error::other(format!("{errors} of {got} replies were errors")));
        }
        Ok(got as f64 / took.as_secs_f64())
    });
    watchdog.disarm();
    result
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP/1.1: one response parser for the blocking client and the async load generator

struct Response {
    status: u16,
    session: Option<String>,
    body: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses one complete response at the start of `buf`: `Ok(None)` while incomplete; the response and the bytes it
/// took otherwise. Bodies are framed by `Content-Length` or chunked encoding (all subjects use one of them).
fn parse_response(buf: &[u8]) -> io::Result<Option<(Response, usize)>> {
    let Some(head_end) = find(&buf[..buf.len().min(64 * 1024)], b"\r\n\r\n") else {
        if buf.len() > 64 * 1024 {
            return Err(io::Error::other("response head larger than 64 KiB"));
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| io::Error::other("response head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line {status_line:?}")))?;
    let (mut length, mut chunked, mut session) = (None, false, None);
    for l in lines {
        let Some((name, value)) = l.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| io::Error::other("bad Content-Length"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("mcp-session-id") {
            session = Some(value.to_string());
        }
    }
    let mut at = head_end + 4;
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let Some(eol) = find(&buf[at..], b"\r\n") else { return Ok(None) };
            let size_text = std::str::from_utf8(&buf[at..at + eol]).unwrap_or_default();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or_default().trim(), 16)
                .map_err(|_| io::Error::other("bad chunk size"))?;
            at += eol + 2;
            if size == 0 {
                // No trailers are sent by any subject: the last chunk is followed by an empty line.
                if buf.len() < at + 2 {
                    return Ok(None);
                }
                at += 2;
                break body;
            }
            if buf.len() < at + size + 2 {
                return Ok(None);
            }
            body.extend_from_slice(&buf[at..at + size]);
            at += size + 2;
        }
    } else {
        let n = match length {
            Some(n) => n,
            None if status == 202 || status == 204 || status == 304 => 0,
            None => return Err(io::Error::other("response without Content-Length or chunked encoding")),
        };
        if buf.len() < at + n {
            return Ok(None);
        }
        let body = buf[at..at + n].to_vec();
        at += n;
        body
    };
    Ok(Some((Response { status, session, body }, at)))
}

/// Whether an MCP reply (JSON or one SSE event) is a JSON-RPC result; the marker sits in the first bytes.
fn is_result(body: &[u8]) -> bool {
    find(&body[..body.len().min(160)], b"\"result\"").is_some()
}

fn excerpt(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(300)]).into_owned()
}

fn post_mcp(port: u16, session: Option<&str>, body: &str) -> Vec<u8> {
    let mut extra = String::new();
    if let Some(s) = session {
        let _ = write!(extra, "Mcp-Session-Id: {s}\r\nMCP-Protocol-Version: {PROTOCOL}\r\n");
    }
    format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nAccept: application/json, \
         text/event-stream\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn get_api(port: u16, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {API_KEY}\r\nAccept: application/json\r\n\r\n"
    )
    .into_bytes()
}

/// A blocking keep-alive HTTP/1.1 connection.
struct HttpConn {
    stream: TcpStream,
    buf: Vec<u8>,
    scratch: Vec<u8>,
}

impl HttpConn {
    fn connect(port: u16) -> io::Result<HttpConn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(HttpConn { stream, buf: Vec::with_capacity(64 * 1024), scratch: vec![0; 64 * 1024] })
    }

    fn roundtrip(&mut self, req: &[u8]) -> io::Result<Response> {
        self.stream.write_all(req)?;
        loop {
            if let Some((resp, used)) = parse_response(&self.buf)? {
                self.buf.drain(..used);
                return Ok(resp);
            }
            let n = self.stream.read(&mut self.scratch)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
            }
            self.buf.extend_from_slice(&self.scratch[..n]);
        }
    }
}

/// An MCP session over Streamable HTTP on one keep-alive connection.
struct McpHttp {
    conn: HttpConn,
    port: u16,
    session: String,
}

impl McpHttp {
    fn open(port: u16) -> io::Result<McpHttp> {
        let mut conn = HttpConn::connect(port)?;
        let r = conn.roundtrip(&post_mcp(port, None, INITIALIZE))?;
        let session = match r.session {
            Some(s) if r.status == 200 && is_result(sse_data(&r.body)) => s,
            _ => return Err(io::Error::other(format!("initialize failed: {} {}", r.status, excerpt(&r.body)))),
        };
        let r = conn.roundtrip(&post_mcp(port, Some(&session), INITIALIZED))?;
        if r.status != 202 {
            return Err(io::Error::other(format!("initialized notification: status {}", r.status)));
        }
        Ok(McpHttp { conn, port, session })
    }

    /// Sends a request; returns the reply's JSON (the `data` of an SSE event when the subject streams).
    fn call(&mut self, body: &str) -> io::Result<Vec<u8>> {
        let r = self.conn.roundtrip(&post_mcp(self.port, Some(&self.session), body))?;
        if r.status != 200 || !is_result(sse_data(&r.body)) {
            return Err(io::Error::other(format!("status {}: {}", r.status, excerpt(&r.body))));
        }
        Ok(sse_data(&r.body).to_vec())
    }
}

/// The JSON of a reply body: the body itself, or the `data:` line of an SSE event.
fn sse_data(body: &[u8]) -> &[u8] {
    match find(body, b"data: ") {
        Some(i) if body.starts_with(b"event:") || body.starts_with(b"data:") || body.starts_with(b"id:") => {
            let rest = &body[i + 6..];
            let end = find(rest, b"\n").unwrap_or(rest.len());
            let line = &rest[..end];
            line.strip_suffix(b"\r").unwrap_or(line)
        }
        _ => body,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The load generator: one tokio thread (like `wrk -t1`), `conns` keep-alive connections, each sending its next
// request as soon as the previous reply is complete.

#[derive(Clone)]
enum Load {
    /// An MCP POST on a session of its own per connection (`handshake`), or to the floor (no handshake).
    Mcp { body: String, handshake: bool },
    /// A GET to the API double.
    Api { path: String },
}

struct LoadResult {
    rps: f64,
    errors: u64,
}

fn load(port: u16, conns: usize, what: Load, secs: f64) -> io::Result<LoadResult> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let done = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(AtomicU64::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..conns {
            let (what, done, errors, stop, ready) =
                (what.clone(), done.clone(), errors.clone(), stop.clone(), ready.clone());
            tasks.spawn(async move {
                if let Err(e) = load_conn(port, what, &done, &stop, &ready).await {
                    if !stop.load(Ordering::Relaxed) {
                        eprintln!("bench: load connection failed: {e}");
                    }
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // The clock starts once every connection has its session (a slow handshake is not a slow request).
        let t = Instant::now();
        while ready.load(Ordering::Relaxed) + errors.load(Ordering::Relaxed) < conns as u64 && t.elapsed() < IO_TIMEOUT
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let warm = Duration::from_secs_f64((secs / 4.0).max(0.5));
        tokio::time::sleep(warm).await;
        let (c0, t0) = (done.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        let (c1, took) = (done.load(Ordering::Relaxed), t0.elapsed());
        stop.store(true, Ordering::Relaxed);
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(IO_TIMEOUT, drain).await.is_err() {
            eprintln!("bench: load connections did not stop in time");
        }
        let errors = errors.load(Ordering::Relaxed);
        Ok(LoadResult { rps: (c1 - c0) as f64 / took.as_secs_f64(), errors })
    })
}

async fn load_conn(port: u16, what: Load, done: &AtomicU64, stop: &AtomicBool, ready: &AtomicU64) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::time::timeout(IO_TIMEOUT, tokio::net::TcpStream::connect(("127.0.0.1", port)))
        .await
        .map_err(|_| io::Error::other("connect timed out"))??;
    stream.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(128 * 1024);
    macro_rules! roundtrip {
        ($req:expr) => {{
            stream.write_all($req).await?;
            loop {
                if let Some((resp, used)) = parse_response(&buf)? {
                    buf.drain(..used);
                    break resp;
                }
                buf.reserve(64 * 1024);
                let n = tokio::time::timeout(IO_TIMEOUT, stream.read_buf(&mut buf))
                    .await
                    .map_err(|_| io::Error::other("read timed out"))??;
                if n == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
                }
            }
        }};
    }
    let (req, mcp) = match what {
        Load::Api { path } => (get_api(port, &path), false),
        Load::Mcp { body, handshake: false } => (post_mcp(port, None, &body), true),
        Load::Mcp { body, handshake: true } => {
            let r = roundtrip!(&post_mcp(port, None, INITIALIZE));
            let Some(session) = r.session.filter(|_| r.status == 200) else {
                return Err(io::Error::other(format!("initialize: status {}", r.status)));
            };
            let r = roundtrip!(&post_mcp(port, Some(&session), INITIALIZED));
            if r.status != 202 {
                return Err(io::Error::other(format!("initialized: status {}", r.status)));
            }
            (post_mcp(port, Some(&session), &body), true)
        }
    };
    ready.fetch_add(1, Ordering::Relaxed);
    // Bounded by the stop flag, which the caller sets after the measured seconds; 10 million is a backstop.
    for _ in 0..10_000_000u64 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let r = roundtrip!(&req);
        if r.status != 200 || (mcp && !is_result(sse_data(&r.body))) {
            return Err(io::Error::other(format!("status {}: {}", r.status, excerpt(&r.body))));
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Servers

/// Starts the API double and returns it with its port.
fn start_double(path: &Path) -> io::Result<(Proc, ChildStdout, u16)> {
    let mut proc = Proc::spawn(
        Command::new(path)
            .args(["--port", "0", "--latency-ms", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )?;
    let stdout = proc.child.stdout.take().ok_or_else(|| io::Error::other("no stdout"))?;
    let wd = Watchdog::armed(proc.pid(), START_TIMEOUT);
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    drop(wd);
    let port = port_after(&line, "listening on http://")
        .ok_or_else(|| io::Error::other(format!("the double said {line:?}")))?;
    // The double prints nothing more; keeping the pipe open keeps a later write from failing.
    Ok((proc, reader.into_inner(), port))
}

/// The port in `...<marker>HOST:PORT...`.
fn port_after(text: &str, marker: &str) -> Option<u16> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let hostport = rest.split(|c: char| c == '/' || c.is_whitespace()).next()?;
    hostport.rsplit_once(':')?.1.parse().ok()
}

/// Our server in HTTP mode: its port comes from the `listening on` line on stderr, which is then drained.
fn start_ours_http(env: &Env) -> io::Result<(Proc, u16)> {
    start_http(env.ours(true))
}

/// Our server in HTTP mode as `cmd` configures it (port 0), with its port.
fn start_http(mut cmd: Command) -> io::Result<(Proc, u16)> {
    let mut proc = Proc::spawn(cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()))?;
    let stderr = proc.child.stderr.take().ok_or_else(|| io::Error::other("no stderr"))?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        let mut sent = false;
        // Bounded by the process: the pipe ends when the server does.
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if !sent {
                if let Some(port) = port_after(&line, "listening on http://") {
                    let _ = tx.send(port);
                    sent = true;
                }
            }
            line.clear();
        }
    });
    let port = rx.recv_timeout(START_TIMEOUT).map_err(|_| io::Error::other("our HTTP server did not start"))?;
    Ok((proc, port))
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// Waits until something accepts connections on the port, while the process lives.
fn wait_listening(proc: &mut Proc, port: u16) -> io::Result<()> {
    let start = Instant::now();
    while start.elapsed() < START_TIMEOUT {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = proc.child.try_wait() {
            return Err(io::Error::other(format!("the server exited with {status}")));
        }
        thread::sleep(Duration::from_millis(25));
    }
    Err(io::Error::other(format!("nothing listens on port {port} after {START_TIMEOUT:?}")))
}

fn start_reference_http(env: &Env) -> io::Result<(Proc, u16)> {
    let port = free_port()?;
    let mut cmd = env.reference(Some(port)).ok_or_else(|| io::Error::other("no reference"))?;
    let mut proc = Proc::spawn(cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()))?;
    wait_listening(&mut proc, port)?;
    Ok((proc, port))
}

fn start_floor_http(env: &Env) -> io::Result<(Proc, u16)> {
    let mut proc = Proc::spawn(
        Command::new(&env.self_exe)
            .arg("floor-http")
            .arg(&env.floor_reply)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    )?;
    let stdout = proc.child.stdout.take().ok_or_else(|| io::Error::other("no stdout"))?;
    let wd = Watchdog::armed(proc.pid(), START_TIMEOUT);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    drop(wd);
    let port = port_after(&line, "listening on http://").ok_or_else(|| io::Error::other("floor did not start"))?;
    Ok((proc, port))
}

/// `bench floor-http FILE`: answers every request on every connection with FILE's bytes; exits when stdin closes.
fn floor_http(file: &Path) -> io::Result<()> {
    let body = std::fs::read(file)?;
    let mut reply =
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len())
            .into_bytes();
    reply.extend_from_slice(&body);
    let reply: Arc<[u8]> = reply.into();
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    println!("floor listening on http://{}", listener.local_addr()?);
    io::stdout().flush()?;
    // The harness holds our stdin; when it goes away, so do we.
    thread::spawn(|| {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        std::process::exit(0);
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let reply = Arc::clone(&reply);
        thread::spawn(move || {
            let _ = stream.set_nodelay(true);
            let _ = serve_floor_conn(stream, &reply);
        });
    }
    Ok(())
}

fn serve_floor_conn(stream: TcpStream, reply: &[u8]) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut line = String::new();
    loop {
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((name, value)) = l.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        writer.write_all(reply)?;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The run

/// Per metric, per subject: one value per round.
type Samples = BTreeMap<&'static str, [Vec<f64>; 3]>;

fn record(samples: &mut Samples, key: &'static str, who: Subject, v: f64) {
    samples.entry(key).or_default()[who.index()].push(v);
}

/// Runs `f` and records its result, or says why it failed; a failed subject does not stop the run.
fn attempt<T>(what: &str, who: Subject, f: impl FnOnce() -> io::Result<T>) -> Option<T> {
    match f() {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!("bench: {} {what}: {e}", who.name());
            None
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(v: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 })
}

fn p50_p99(mut lat: Vec<f64>) -> (f64, f64) {
    lat.sort_by(f64::total_cmp);
    (percentile(&lat, 50.0), percentile(&lat, 99.0))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn run(opts: &Opts) -> io::Result<()> {
    let started = Instant::now();
    let load_before = loadavg();
    for p in [&opts.ours, &opts.double] {
        if !p.exists() {
            return Err(io::Error::other(format!("{} is missing; build with cargo build --release", p.display())));
        }
    }
    std::fs::create_dir_all(opts.work.join("run"))?;
    std::fs::create_dir_all(&opts.out)?;
    let (double, _double_out, api_port) = start_double(&opts.double)?;
    let api = format!("http://127.0.0.1:{api_port}");
    eprintln!("bench: API double at {api} (pid {})", double.pid());

    // The reference runs in a scratch directory (it reads ./.env), so its path must not be relative.
    let python = opts.python.as_ref().and_then(|p| match std::path::absolute(p) {
        Ok(abs) if abs.exists() => Some(abs),
        _ => {
            eprintln!("bench: {} not found; the reference is skipped", p.display());
            None
        }
    });
    let env = Env {
        opts: Opts { python: None, ..opts.clone() },
        api: api.clone(),
        python,
        floor_reply: opts.work.join("tools-list-reply.json"),
        self_exe: std::env::current_exe()?,
    };

    // Our tools/list reply, which the HTTP floor sends back, recorded over stdio.
    {
        let mut peer = StdioPeer::spawn(env.ours(false))?;
        peer.handshake()?;
        peer.send(&tools_list_line(1))?;
        peer.recv()?;
        std::fs::write(&env.floor_reply, peer.line.trim_end())?;
    }
    // One untimed start of each subject first, so that every cold start finds its files in the page cache.
    let _ = cold_start(env.ours(false));
    let _ = cold_start(env.cat());
    if let Some(cmd) = env.reference(None) {
        let _ = attempt("warm-up start", Subject::Reference, || cold_start(cmd));
    }

    // The burst case's API: a small-backlog Python server with the double's data (scripts/backlog-api.py).
    let backlog = start_backlog_api(&env).map_err(|e| io::Error::other(format!("the small-backlog API: {e}")))?;
    eprintln!("bench: small-backlog API at http://127.0.0.1:{} (pid {})", backlog.1, backlog.0.pid());

    let mut s = Samples::new();
    for round in 1..=opts.rounds {
        eprintln!("bench: round {round}/{} ({:.0} s so far, load {})", opts.rounds, secs(started), loadavg());
        if !opts.burst_only {
            run_round(&env, &mut s, api_port)?;
        }
        burst_round(&env, &mut s, backlog.1);
        clear_double_log(api_port);
    }
    if opts.burst_only {
        for m in METRICS.iter().filter(|m| m.key.starts_with("burst")) {
            let of = |who: Subject| s.get(m.key).and_then(|v| median(&v[who.index()]));
            let (ours, reference) = (of(Subject::Ours), of(Subject::Reference));
            println!("{}: ours {}, reference {}", m.label, fmt_value(ours, m.unit), fmt_value(reference, m.unit));
        }
        return Ok(());
    }
    let static_figures = static_figures(&env);
    let load_after = loadavg();
    let took = started.elapsed();

    let report = Report { samples: s, static_figures, load_before, load_after, took, opts };
    let table = report.table();
    println!("{table}");
    std::fs::write(opts.out.join("results.md"), report.markdown(&table))?;
    std::fs::write(opts.out.join("chart.svg"), report.chart())?;
    eprintln!(
        "bench: wrote {} and {} in {:.0} s",
        opts.out.join("results.md").display(),
        opts.out.join("chart.svg").display(),
        took.as_secs_f64()
    );
    drop(double);
    Ok(())
}

fn secs(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

/// Empties the double's request log, so that it does not grow over the run.
fn clear_double_log(api_port: u16) {
    let req = format!("DELETE /__double/requests HTTP/1.1\r\nHost: 127.0.0.1:{api_port}\r\n\r\n");
    if let Err(e) = HttpConn::connect(api_port).and_then(|mut c| c.roundtrip(req.as_bytes())) {
        eprintln!("bench: could not clear the double's request log: {e}");
    }
}

fn run_round(env: &Env, s: &mut Samples, api_port: u16) -> io::Result<()> {
    let o = &env.opts;
    let window = o.window;
    let max_pipelined = 200_000;

    // Cold start, median of several spawns (one for the reference, whose start takes seconds).
    for who in SUBJECTS {
        let runs = if who == Subject::Reference { 1 } else { o.cold_runs };
        let mut v = Vec::new();
        for _ in 0..runs {
            let cmd = match who {
                Subject::Ours => Some(env.ours(false)),
                Subject::Floor => Some(env.cat()),
                Subject::Reference => env.reference(None),
            };
            let Some(cmd) = cmd else { break };
            if let Some(us) = attempt("cold start", who, || cold_start(cmd)) {
                v.push(us);
            }
        }
        if let Some(m) = median(&v) {
            record(s, "cold", who, m / 1000.0);
        }
    }

    // stdio: ping round trip, sequential tools/call, pipelined tools/call, peak RSS.
    for who in [Subject::Ours, Subject::Reference] {
        let cmd = if who == Subject::Ours { Some(env.ours(false)) } else { env.reference(None) };
        let Some(cmd) = cmd else { continue };
        attempt("stdio", who, || {
            let mut p = StdioPeer::spawn(cmd)?;
            p.handshake()?;
            let (p50, _) = p50_p99(sequential(|i| p.rpc(&ping_line(i)), 50, o.seq_calls, o.seq_secs / 2.0)?);
            record(s, "stdio_ping", who, p50);
            let (p50, p99) = p50_p99(sequential(|i| p.rpc(&call_line(i)), 20, o.seq_calls, o.seq_secs)?);
            record(s, "stdio_call_p50", who, p50);
            record(s, "stdio_call_p99", who, p99);
            let rps = pipelined(&mut p, window, max_pipelined, o.secs)?;
            record(s, "stdio_pipe", who, rps);
            if let Some(kib) = p.proc.peak_rss_kib() {
                record(s, "rss_stdio", who, kib as f64 / 1024.0);
            }
            Ok(())
        });
        clear_double_log(api_port);
    }
    // The stdio floor: cat for the protocol-only ping; the double called directly for tools/call.
    attempt("stdio echo", Subject::Floor, || {
        let mut p = StdioPeer::spawn(env.cat())?;
        let (p50, _) = p50_p99(sequential(|i| p.rpc(&ping_line(i)), 50, o.seq_calls, o.seq_secs / 2.0)?);
        record(s, "stdio_ping", Subject::Floor, p50);
        if let Some(kib) = p.proc.peak_rss_kib() {
            record(s, "rss_stdio", Subject::Floor, kib as f64 / 1024.0);
        }
        Ok(())
    });
    attempt("API double direct", Subject::Floor, || {
        let mut c = HttpConn::connect(api_port)?;
        let req = get_api(api_port, "/v1/pages");
        let mut get = |_| -> io::Result<()> {
            let r = c.roundtrip(&req)?;
            if r.status == 200 {
                Ok(())
            } else {
                Err(io::Error::other(format!("status {}", r.status)))
            }
        };
        let (p50, p99) = p50_p99(sequential(&mut get, 20, o.seq_calls, o.seq_secs)?);
        for (k, v) in [("stdio_call_p50", p50), ("stdio_call_p99", p99), ("http_call_p50", p50), ("http_call_p99", p99)]
        {
            record(s, k, Subject::Floor, v);
        }
        let r = load(api_port, o.conns, Load::Api { path: "/v1/pages".into() }, o.secs)?;
        check_errors(&r)?;
        record(s, "http_call_rps", Subject::Floor, r.rps);
        record(s, "stdio_pipe", Subject::Floor, r.rps);
        Ok(())
    });
    clear_double_log(api_port);

    // HTTP: sequential tools/call, then 32 connections of tools/list and of tools/call, then peak RSS.
    for who in [Subject::Ours, Subject::Reference] {
        if who == Subject::Reference && env.python.is_none() {
            continue;
        }
        attempt("HTTP", who, || {
            let (proc, port) = if who == Subject::Ours { start_ours_http(env)? } else { start_reference_http(env)? };
            {
                let mut m = McpHttp::open(port)?;
                let call = call_line(7);
                let (p50, p99) = p50_p99(sequential(|_| m.call(&call).map(drop), 20, o.seq_calls, o.seq_secs)?);
                record(s, "http_call_p50", who, p50);
                record(s, "http_call_p99", who, p99);
            }
            let r = load(port, o.conns, Load::Mcp { body: tools_list_line(3), handshake: true }, o.secs)?;
            check_errors(&r)?;
            record(s, "http_list_rps", who, r.rps);
            let r = load(port, o.conns, Load::Mcp { body: call_line(5), handshake: true }, o.secs)?;
            check_errors(&r)?;
            record(s, "http_call_rps", who, r.rps);
            if let Some(kib) = proc.peak_rss_kib() {
                record(s, "rss_http", who, kib as f64 / 1024.0);
            }
            Ok(())
        });
        clear_double_log(api_port);
    }
    attempt("HTTP echo", Subject::Floor, || {
        let (proc, port) = start_floor_http(env)?;
        let r = load(port, o.conns, Load::Mcp { body: tools_list_line(3), handshake: false }, o.secs)?;
        check_errors(&r)?;
        record(s, "http_list_rps", Subject::Floor, r.rps);
        if let Some(kib) = proc.peak_rss_kib() {
            record(s, "rss_http", Subject::Floor, kib as f64 / 1024.0);
        }
        Ok(())
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// The burst case: many calls at once against an API whose server accepts slowly

/// Starts `scripts/backlog-api.py` with the reference's Python when there is one, else `python3`; its port.
fn start_backlog_api(env: &Env) -> io::Result<(Proc, u16, ChildStdin)> {
    let python = env.python.clone().unwrap_or_else(|| PathBuf::from("python3"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/backlog-api.py");
    let mut proc = Proc::spawn(
        Command::new(python)
            .arg(script)
            .args([&env.api, API_KEY])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    )?;
    let stdin = proc.child.stdin.take().ok_or_else(|| io::Error::other("no stdin"))?;
    let stdout = proc.child.stdout.take().ok_or_else(|| io::Error::other("no stdout"))?;
    let wd = Watchdog::armed(proc.pid(), START_TIMEOUT);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    drop(wd);
    let port =
        port_after(&line, "listening on http://").ok_or_else(|| io::Error::other(format!("it said {line:?}")))?;
    // Its stdin stays open while the bench runs; it exits when the bench drops it.
    Ok((proc, port, stdin))
}

/// The kernel's count of connections dropped because a listen queue was full (`nstat TcpExtListenOverflows`,
/// read from the same table nstat reads). Machine-wide: the bench runs nothing else that listens with a small
/// backlog meanwhile.
fn listen_overflows() -> io::Result<u64> {
    let text = std::fs::read_to_string("/proc/net/netstat")?;
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return Err(io::Error::other("no TcpExt table in /proc/net/netstat"));
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "ListenOverflows")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| io::Error::other("no ListenOverflows counter"))
}

/// Our server and the reference, each fresh, get `--burst` pipelined `tools/call list_pages` at once over stdio,
/// with the small-backlog API as their API; calls per second from the first byte sent to the last reply, the
/// listen-queue overflows meanwhile, and the peak RSS afterwards.
fn burst_round(env: &Env, s: &mut Samples, port: u16) {
    let api = format!("http://127.0.0.1:{port}");
    for who in [Subject::Ours, Subject::Reference] {
        let cmd = match who {
            Subject::Ours => Some(env.ours(false)),
            _ => env.reference(None),
        };
        let Some(mut cmd) = cmd else { continue };
        cmd.env("PINGERA_BASE_URL", &api);
        let n = env.opts.burst;
        let figures = attempt("burst", who, || {
            let mut p = StdioPeer::spawn(cmd)?;
            p.handshake()?;
            let lines: String = (0..n).map(|i| call_line(1_000 + i as u64) + "\n").collect();
            let before = listen_overflows()?;
            let started = Instant::now();
            p.watchdog.arm(IO_TIMEOUT * 2);
            // A writer thread, so that a subject that answers before it has read everything cannot deadlock us.
            let StdioPeer { stdin, out, line, watchdog, proc } = &mut p;
            let (errors, took) = thread::scope(|sc| -> io::Result<(usize, Duration)> {
                let writer = sc.spawn(|| stdin.write_all(lines.as_bytes()));
                let mut errors = 0;
                let mut got = 0;
                while got < n {
                    line.clear();
                    if out.read_line(line)? == 0 {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the subject closed its stdout"));
                    }
                    if !line.contains("\"id\"") {
                        continue;
                    }
                    got += 1;
                    if !line.contains("\"isError\":false") && !line.contains("\"isError\": false") {
                        errors += 1;
                    }
                }
                let took = started.elapsed();
                writer.join().map_err(|_| io::Error::other("writer panicked"))??;
                Ok((errors, took))
            })?;
            watchdog.disarm();
            let overflows = listen_overflows()? - before;
            let rss = proc.peak_rss_kib().map(|k| k as f64 / 1024.0);
            if errors > 0 {
                eprintln!("bench: burst, {}: {errors} of {n} calls failed", who.name());
            }
            Ok((n as f64 / took.as_secs_f64(), overflows, rss))
        });
        if let Some((rps, overflows, rss)) = figures {
            record(s, "burst_rps", who, rps);
            record(s, "burst_overflows", who, overflows as f64);
            if let Some(rss) = rss {
                record(s, "burst_rss", who, rss);
            }
        }
    }
}

fn check_errors(r: &LoadResult) -> io::Result<()> {
    if r.errors > 0 {
        return Err(io::Error::other(format!("{} connection(s) failed during the load", r.errors)));
    }
    Ok(())
}

/// Figures that do not change between rounds: size on disk and dependency count.
struct StaticFigures {
    size_mib: [Option<f64>; 3],
    deps: [Option<f64>; 3],
    notes: Vec<String>,
}

fn static_figures(env: &Env) -> StaticFigures {
    let mut notes = Vec::new();
    let ours_size = std::fs::metadata(&env.opts.ours).ok().map(|m| m.len() as f64 / 1048576.0);
    let crates = Command::new("cargo")
        .args(["tree", "-e", "normal", "--prefix", "none", "--locked"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let set: BTreeSet<String> = text
                .lines()
                .map(|l| l.trim_end_matches(" (*)").trim_end_matches(" (proc-macro)").to_string())
                .filter(|l| !l.is_empty())
                .collect();
            set.len() as f64
        });
    let (mut ref_size, mut ref_deps) = (None, None);
    if let Some(py) = &env.python {
        let script = "import importlib.metadata as m, sysconfig; \
                      names = {d.metadata['Name'].lower() for d in m.distributions()} - {'pip', 'setuptools', 'wheel'}; \
                      print(len(names)); print(sysconfig.get_paths()['purelib'])";
        if let Ok(out) = Command::new(py).args(["-c", script]).stderr(Stdio::null()).output() {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut lines = text.lines();
            ref_deps = lines.next().and_then(|l| l.trim().parse::<f64>().ok());
            if let Some(dir) = lines.next() {
                ref_size = Some(dir_size(Path::new(dir.trim())) as f64 / 1048576.0);
                notes.push("reference size: its virtualenv's site-packages, without the Python interpreter".into());
            }
        }
    }
    StaticFigures { size_mib: [ours_size, None, ref_size], deps: [crates, None, ref_deps], notes }
}

fn dir_size(dir: &Path) -> u64 {
    // Bounded by the tree on disk; symlinks are not followed.
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

// ---------------------------------------------------------------------------------------------------------------
// The report

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Ms,
    Us,
    Rps,
    Mib,
    Count,
}

struct Metric {
    key: &'static str,
    label: &'static str,
    unit: Unit,
    floor: &'static str,
}

const METRICS: &[Metric] = &[
    Metric { key: "cold", label: "Cold start: spawn → `initialize` result (stdio)", unit: Unit::Ms, floor: "`cat`" },
    Metric { key: "stdio_ping", label: "stdio `ping` round trip, p50", unit: Unit::Us, floor: "`cat` echo" },
    Metric {
        key: "stdio_call_p50",
        label: "stdio `tools/call list_pages`, sequential, p50",
        unit: Unit::Us,
        floor: "API double direct",
    },
    Metric {
        key: "stdio_call_p99",
        label: "stdio `tools/call list_pages`, sequential, p99",
        unit: Unit::Us,
        floor: "API double direct",
    },
    Metric {
        key: "http_call_p50",
        label: "HTTP `tools/call list_pages`, sequential keep-alive, p50",
        unit: Unit::Us,
        floor: "API double direct",
    },
    Metric {
        key: "http_call_p99",
        label: "HTTP `tools/call list_pages`, sequential keep-alive, p99",
        unit: Unit::Us,
        floor: "API double direct",
    },
    Metric {
        key: "stdio_pipe",
        label: "stdio `tools/call list_pages`, pipelined (32 in flight)",
        unit: Unit::Rps,
        floor: "API double direct, 32 connections",
    },
    Metric {
        key: "http_list_rps",
        label: "HTTP `tools/list`, 32 connections",
        unit: Unit::Rps,
        floor: "HTTP echo of the same reply",
    },
    Metric {
        key: "http_call_rps",
        label: "HTTP `tools/call list_pages`, 32 connections",
        unit: Unit::Rps,
        floor: "API double direct, 32 connections",
    },
    Metric {
        key: "rss_http",
        label: "Peak RSS of the HTTP server after the 32-connection loads",
        unit: Unit::Mib,
        floor: "HTTP echo",
    },
    Metric {
        key: "rss_stdio",
        label: "Peak RSS of the stdio server after the pipelined load",
        unit: Unit::Mib,
        floor: "`cat`",
    },
    Metric {
        key: "burst_rps",
        label: "Burst: 200 `tools/call` pipelined over stdio, small-backlog API (Python, backlog 5)",
        unit: Unit::Rps,
        floor: "",
    },
    Metric {
        key: "burst_overflows",
        label: "Burst: listen-queue overflows during it (`TcpExtListenOverflows`)",
        unit: Unit::Count,
        floor: "",
    },
    Metric { key: "burst_rss", label: "Burst: peak RSS after it", unit: Unit::Mib, floor: "" },
    Metric {
        key: "size",
        label: "Size on disk: stripped release binary (reference: site-packages)",
        unit: Unit::Mib,
        floor: "",
    },
    Metric {
        key: "deps",
        label: "Dependencies: crates in `cargo tree -e normal` (reference: Python distributions)",
        unit: Unit::Count,
        floor: "",
    },
];

impl Unit {
    fn higher_is_better(self) -> bool {
        self == Unit::Rps
    }
}

fn fmt_value(v: Option<f64>, unit: Unit) -> String {
    let Some(v) = v else { return "–".into() };
    match unit {
        Unit::Ms => fmt_time_us(v * 1000.0),
        Unit::Us => fmt_time_us(v),
        Unit::Rps => format!("{} req/s", thousands(v)),
        Unit::Mib => format!("{} MiB", sig3(v)),
        Unit::Count => format!("{v:.0}"),
    }
}

fn fmt_time_us(us: f64) -> String {
    if us < 1000.0 {
        format!("{} µs", sig3(us))
    } else if us < 1e6 {
        format!("{} ms", sig3(us / 1000.0))
    } else {
        format!("{} s", sig3(us / 1e6))
    }
}

/// Three significant digits, without exponent.
fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn thousands(v: f64) -> String {
    if v < 100.0 {
        return sig3(v);
    }
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() => format!("×{}", sig3(r)),
        _ => "–".into(),
    }
}

struct Report<'a> {
    samples: Samples,
    static_figures: StaticFigures,
    load_before: String,
    load_after: String,
    took: Duration,
    opts: &'a Opts,
}

/// The figure of each subject for one metric (medians over the rounds) and the two cost ratios.
struct Row {
    values: [Option<f64>; 3],
    ours_over_floor: Option<f64>,
    ref_over_ours: Option<f64>,
}

impl Report<'_> {
    fn row(&self, m: &Metric) -> Row {
        let values: [Option<f64>; 3] = match m.key {
            "size" => self.static_figures.size_mib,
            "deps" => self.static_figures.deps,
            key => match self.samples.get(key) {
                Some(v) => [median(&v[0]), median(&v[1]), median(&v[2])],
                None => [None, None, None],
            },
        };
        // Ratios of costs: time, memory, bytes, count, or time per request for throughputs.
        let cost = |v: Option<f64>| v.map(|x| if m.unit.higher_is_better() { 1.0 / x } else { x });
        let (o, f, r) = (cost(values[0]), cost(values[1]), cost(values[2]));
        Row { values, ours_over_floor: o.zip(f).map(|(o, f)| o / f), ref_over_ours: r.zip(o).map(|(r, o)| r / o) }
    }

    /// The target of a metric and whether this run meets it.
    fn target(&self, m: &Metric, row: &Row) -> Option<(String, Option<bool>)> {
        let ours = row.values[0];
        let both = |a: Option<bool>, b: Option<bool>| a.zip(b).map(|(a, b)| a && b);
        let t = match m.key {
            "cold" => (
                "< 10 ms and ≥ 200× faster than the reference".to_string(),
                both(ours.map(|v| v < 10.0), row.ref_over_ours.map(|r| r >= 200.0)),
            ),
            "stdio_call_p50" | "http_call_p50" => (
                "≤ 2× the floor and ≥ 20× faster than the reference".to_string(),
                both(row.ours_over_floor.map(|r| r <= 2.0), row.ref_over_ours.map(|r| r >= 20.0)),
            ),
            "http_list_rps" => ("≥ 50× the reference".to_string(), row.ref_over_ours.map(|r| r >= 50.0)),
            "rss_http" => ("≤ 1/10 of the reference".to_string(), row.ref_over_ours.map(|r| r >= 10.0)),
            "deps" => ("≤ 60 crates".to_string(), ours.map(|v| v <= 60.0)),
            _ => return None,
        };
        Some(t)
    }

    fn table(&self) -> String {
        let mut t = String::new();
        t.push_str("| Measure | Ours | Floor | Reference | Ours / floor | Reference / ours | Target |\n");
        t.push_str("|---|---|---|---|---|---|---|\n");
        for m in METRICS {
            let row = self.row(m);
            let floor = match (row.values[1], m.floor) {
                (Some(_), f) if !f.is_empty() => format!("{} ({f})", fmt_value(row.values[1], m.unit)),
                _ => fmt_value(row.values[1], m.unit),
            };
            let target = match self.target(m, &row) {
                Some((text, Some(true))) => format!("{text}: **met**"),
                Some((text, Some(false))) => format!("{text}: **missed**"),
                Some((text, None)) => format!("{text}: not measured"),
                None => String::new(),
            };
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {} | {} |",
                m.label,
                fmt_value(row.values[0], m.unit),
                floor,
                fmt_value(row.values[2], m.unit),
                fmt_ratio(row.ours_over_floor),
                fmt_ratio(row.ref_over_ours),
                target
            );
        }
        t
    }

    fn markdown(&self, table: &str) -> String {
        let o = self.opts;
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| {
                c.lines()
                    .find(|l| l.starts_with("model name"))
                    .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
            })
            .unwrap_or_else(|| "?".into());
        let cores = thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
        let when = pingera_api_double::now_iso();
        let runs: Vec<String> = SUBJECTS
            .iter()
            .map(|w| {
                let n = self.samples.get("cold").map(|v| v[w.index()].len()).unwrap_or(0);
                format!("{} {n}", w.name())
            })
            .collect();
        let mut s = String::new();
        let _ = writeln!(s, "# Benchmark results\n");
        let _ = writeln!(
            s,
            "Made by `scripts/bench` (arguments: `--rounds {} --secs {} --conns {} --window {} --seq-calls {} \
             --seq-secs {} --cold-runs {}`) on {when}, in {:.0} s, on {cores} × {cpu}. Load average \
             (1/5/15 min) before: {}, after: {}. Rounds with results: {}.\n",
            o.rounds,
            o.secs,
            o.conns,
            o.window,
            o.seq_calls,
            o.seq_secs,
            o.cold_runs,
            self.took.as_secs_f64(),
            self.load_before,
            self.load_after,
            runs.join(", ")
        );
        s.push_str(table);
        s.push_str(
            "\nEach figure is the median over the rounds of that round's figure (latency percentiles are computed \
             per round). Ratios compare costs — time, memory, bytes, count, and for throughputs time per request — so \
             `×1.5` under \"Ours / floor\" means one and a half times the floor's cost, and `×300` under \"Reference / \
             ours\" means the reference costs 300 times ours.\n\n",
        );
        s.push_str(
            "Floors: the cold start and `ping` floor is `cat` (spawn, then echo a line over the same pipes); the \
             `tools/call` floor is the API double called directly with the same client (`GET /v1/pages`, keep-alive), \
             sequentially for latency and with 32 connections for throughput; the `tools/list` floor is a minimal \
             HTTP/1.1 server in the harness that answers with the same bytes as our `tools/list` reply.\n",
        );
        for n in &self.static_figures.notes {
            let _ = writeln!(s, "\nNote: {n}.");
        }
        s.push_str("\n![Latency and throughput: ours, floor, reference](chart.svg)\n");
        s
    }

    fn chart(&self) -> String {
        let lat: Vec<Group<'_>> = [
            ("cold start", "cold", 1000.0),
            ("stdio tools/call p50", "stdio_call_p50", 1.0),
            ("HTTP tools/call p50", "http_call_p50", 1.0),
            ("stdio ping p50", "stdio_ping", 1.0),
        ]
        .iter()
        .map(|&(label, key, scale)| {
            let m = METRICS.iter().find(|m| m.key == key).expect("a known metric");
            (label, self.row(m).values.map(|v| v.map(|x| x * scale)))
        })
        .collect();
        let tput: Vec<Group<'_>> = [
            ("stdio tools/call, pipelined", "stdio_pipe"),
            ("HTTP tools/list, 32 conns", "http_list_rps"),
            ("HTTP tools/call, 32 conns", "http_call_rps"),
        ]
        .iter()
        .map(|&(label, key)| {
            let m = METRICS.iter().find(|m| m.key == key).expect("a known metric");
            (label, self.row(m).values)
        })
        .collect();
        let title =
            format!("pingera-mcp: ours vs floor vs reference (medians of {} rounds; scripts/bench)", self.opts.rounds);
        svg(&title, &lat, &tput)
    }
}

/// `10^d` microseconds as a round label: 1 µs, 10 µs, ..., 1 ms, ..., 10 s.
fn decade_label(d: f64) -> String {
    let d = d.round() as i32;
    let (unit, shift) = match d {
        i32::MIN..=2 => ("µs", 0),
        3..=5 => ("ms", 3),
        _ => ("s", 6),
    };
    format!("{} {unit}", 10f64.powi(d - shift))
}

/// One group of bars: its label and the value of each subject.
type Group<'a> = (&'a str, [Option<f64>; 3]);

const COLORS: [&str; 3] = ["#d9480f", "#868e96", "#1c7ed6"];

/// Two panels of horizontal bars on log scales: latency (µs, shorter is better) and throughput (longer is better).
fn svg(title: &str, lat: &[Group<'_>], tput: &[Group<'_>]) -> String {
    let (width, left, plot_w, bar_h, gap) = (820.0, 190.0, 520.0, 14.0, 3.0);
    let group_h = 3.0 * (bar_h + gap) + 12.0;
    let mut out = String::new();
    let mut y = 20.0;
    let mut body = String::new();
    let _ = write!(body, r#"<text x="10" y="{y}" font-size="14" font-weight="bold">{title}</text>"#);
    y += 24.0;
    // Legend.
    for (i, who) in SUBJECTS.iter().enumerate() {
        let x = left + i as f64 * 150.0;
        let _ = write!(
            body,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            y - 10.0,
            COLORS[i],
            x + 18.0,
            y,
            who.name()
        );
    }
    y += 18.0;
    let panels: [(&str, &[Group<'_>], bool); 2] = [
        ("Latency (log scale; shorter is better)", lat, false),
        ("Throughput in requests per second (log scale; longer is better)", tput, true),
    ];
    for (title, groups, is_rate) in panels {
        let values: Vec<f64> =
            groups.iter().flat_map(|(_, v)| v.iter().flatten().copied()).filter(|v| *v > 0.0).collect();
        if values.is_empty() {
            continue;
        }
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min).log10().floor();
        let hi = values.iter().copied().fold(0.0, f64::max).log10().ceil().max(lo + 1.0);
        let xpos = |v: f64| left + (v.log10() - lo) / (hi - lo) * plot_w;
        y += 14.0;
        let _ = write!(body, r#"<text x="10" y="{y}" font-weight="bold">{title}</text>"#);
        y += 10.0;
        let top = y;
        let bottom = y + groups.len() as f64 * group_h;
        // Decade grid lines with labels.
        let mut d = lo;
        while d <= hi + 1e-9 {
            let x = xpos(10f64.powf(d));
            let label = if is_rate { thousands(10f64.powf(d)) } else { decade_label(d) };
            let _ = write!(
                body,
                r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{bottom}" stroke="#dee2e6"/><text x="{x:.1}" y="{}" text-anchor="middle" fill="#495057" font-size="10">{label}</text>"##,
                bottom + 12.0
            );
            d += 1.0;
        }
        for (label, vals) in groups {
            let mid = y + group_h / 2.0 - 4.0;
            let _ = write!(body, r#"<text x="{}" y="{mid}" text-anchor="end">{label}</text>"#, left - 8.0);
            for (i, v) in vals.iter().enumerate() {
                let by = y + i as f64 * (bar_h + gap);
                match v {
                    Some(v) if *v > 0.0 => {
                        let w = (xpos(*v) - left).max(1.0);
                        let text = if is_rate { format!("{} req/s", thousands(*v)) } else { fmt_time_us(*v) };
                        let _ = write!(
                            body,
                            r#"<rect x="{left}" y="{by}" width="{w:.1}" height="{bar_h}" fill="{}"/><text x="{:.1}" y="{}" font-size="11">{text}</text>"#,
                            COLORS[i],
                            left + w + 4.0,
                            by + bar_h - 3.0
                        );
                    }
                    _ => {
                        let _ = write!(
                            body,
                            r##"<text x="{}" y="{}" font-size="11" fill="#868e96">not measured</text>"##,
                            left + 4.0,
                            by + bar_h - 3.0
                        );
                    }
                }
            }
            y += group_h;
        }
        y = bottom + 24.0;
    }
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>{body}</svg>"#
    );
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Context cost

/// `bench context`: what the server costs the model's context, measured on the wire of the real binary over stdio:
/// the model-facing part of `tools/list` (each tool's name, description and `inputSchema` as compact JSON) per
/// configuration, and the bytes per item of the main list tools' results against the API double's seed data.
/// Tokens are estimated as bytes / 4, the usual figure for English text and JSON.
mod context {
    use super::*;
    use serde_json::{json, Value};

    /// The toolsets measured one by one (`PINGERA_TOOLSETS`), then the two modes with every tool.
    const TOOLSETS: &[&str] = &[
        "connection",
        "pages",
        "components",
        "checks",
        "check_results",
        "on_demand",
        "check_groups",
        "secrets",
        "alerts",
        "heartbeats",
        "incidents",
        "scripts",
    ];

    fn ours(bin: &Path, api: &str, mode: &str, toolsets: Option<&str>) -> Command {
        let mut c = Command::new(bin);
        clean_env(&mut c).env("PINGERA_BASE_URL", api).env("PINGERA_API_KEY", API_KEY).env("PINGERA_MODE", mode);
        if let Some(t) = toolsets {
            c.env("PINGERA_TOOLSETS", t);
        }
        c
    }

    fn rpc(peer: &mut StdioPeer, id: u64, method: &str, params: Value) -> io::Result<Value> {
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        peer.rpc(&msg)?;
        let v: Value = serde_json::from_str(peer.line.trim_end()).map_err(io::Error::other)?;
        Ok(v["result"].clone())
    }

    /// The model-facing bytes and the number of tools of one configuration.
    fn definitions(cmd: Command) -> io::Result<(usize, usize)> {
        let mut peer = StdioPeer::spawn(cmd)?;
        peer.handshake()?;
        let (mut bytes, mut count, mut cursor) = (0, 0, Value::Null);
        for id in 1..=100 {
            let params = if cursor.is_null() { json!({}) } else { json!({ "cursor": cursor }) };
            let result = rpc(&mut peer, id, "tools/list", params)?;
            for t in result["tools"].as_array().into_iter().flatten() {
                let facing =
                    json!({"name": t["name"], "description": t["description"], "inputSchema": t["inputSchema"]});
                bytes += facing.to_string().len();
                count += 1;
            }
            cursor = result.get("nextCursor").cloned().unwrap_or(Value::Null);
            if cursor.is_null() {
                break;
            }
        }
        Ok((bytes, count))
    }

    /// The items of a list result: the first array in its structured content.
    fn items(structured: &Value) -> usize {
        structured.as_object().and_then(|m| m.values().find_map(Value::as_array)).map_or(0, Vec::len)
    }

    pub fn run(args: &[String]) -> io::Result<()> {
        let mut ours_bin = PathBuf::from("target/release/pingera-mcp");
        let mut double = PathBuf::from("target/release/pingera-api-double");
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            match (flag.as_str(), it.next()) {
                ("--ours", Some(v)) => ours_bin = v.into(),
                ("--double", Some(v)) => double = v.into(),
                _ => {
                    return Err(io::Error::other(format!(
                        "usage: bench context [--ours PATH] [--double PATH]; got {flag}"
                    )))
                }
            }
        }
        let (_double, _pipe, api_port) = start_double(&double)?;
        let api = format!("http://127.0.0.1:{api_port}");

        println!("Model-facing tool definitions (name + description + inputSchema, compact JSON; tokens ~ bytes/4)\n");
        println!("| configuration | tools | bytes | ~tokens |");
        println!("|---|---:|---:|---:|");
        let mut rows: Vec<(String, Command)> = TOOLSETS
            .iter()
            .map(|t| (format!("toolset {t} (read_write)"), ours(&ours_bin, &api, "read_write", Some(t))))
            .collect();
        rows.push(("read_only (default)".into(), ours(&ours_bin, &api, "read_only", None)));
        rows.push(("read_write".into(), ours(&ours_bin, &api, "read_write", None)));
        for (name, cmd) in rows {
            let (bytes, count) = definitions(cmd)?;
            println!("| {name} | {count} | {bytes} | {} |", bytes.div_ceil(4));
        }

        println!("\nTool results against the API double's seed data (bytes per item)\n");
        println!("| tool | items | text bytes/item | structuredContent bytes/item |");
        println!("|---|---:|---:|---:|");
        let mut peer = StdioPeer::spawn(ours(&ours_bin, &api, "read_only", None))?;
        peer.handshake()?;
        let calls = [
            ("list_checks", json!({"page_size": 100})),
            ("list_pages", json!({})),
            ("list_incidents", json!({"page_id": "pgmain000001"})),
            ("get_check_results", json!({"check_id": "chkweb000001", "page_size": 100})),
        ];
        for (i, (tool, args)) in calls.into_iter().enumerate() {
            let result = rpc(&mut peer, 10 + i as u64, "tools/call", json!({"name": tool, "arguments": args}))?;
            let text = result["content"][0]["text"].as_str().unwrap_or_default().len();
            let structured = result["structuredContent"].to_string().len();
            let n = items(&result["structuredContent"]).max(1);
            println!("| {tool} | {n} | {} | {} |", text / n, structured / n);
        }
        Ok(())
    }
}
