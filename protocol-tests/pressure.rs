//! End-to-end tests of the transport-side limits of issue 11 against the real binary over real pipes and TCP:
//! backpressure on stdio and on SSE streams, batches, the HTTP body timeout, the connection cap under a low
//! file-descriptor limit, an `initialize` flood, and the Host check on `/health`. Each pins a row of that issue's
//! table and fails on the code before it. Memory is read from `/proc/PID/status`, with generous but meaningful
//! bounds: each attack cost hundreds of MiB before.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pingera_api_double::ApiDouble;
use serde_json::{json, Value};

use crate::support::double;
use crate::support::http::{initialize, post, request, POLL};
use crate::support::{peak_rss_kib, server_bin, HttpProc, Proc, TIMEOUT};

/// The number of open file descriptors of a process.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

const MIB: u64 = 1024;

#[test]
fn a_batch_past_the_entry_cap_is_one_error_and_memory_stays_small() {
    let mut p = Proc::start(&[("PINGERA_API_KEY", "k")], &[]);
    p.initialize("2025-03-26");
    let entry = |i: usize| json!({"jsonrpc": "2.0", "id": i, "method": "tools/list"});
    let batch = Value::Array((0..20_000).map(entry).collect());
    p.send(&batch);
    let r = p.recv();
    assert_eq!(r["error"]["code"], -32600, "{}", &r.to_string()[..r.to_string().len().min(300)]);
    assert_eq!(r["error"]["data"]["limit"], 100, "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("larger than the limit of 100 entries"), "{r}");
    // A batch at the cap is served, one reply per entry.
    p.send(&Value::Array((0..100).map(entry).collect()));
    assert_eq!(p.recv().as_array().map(Vec::len), Some(100));
    // Before the cap, the 20,000-entry batch built a 483 MB reply; now its entries are counted, never built.
    let peak = peak_rss_kib(p.pid());
    eprintln!("a batch of 20,000 tools/list: VmHWM {peak} KiB");
    assert!(peak < 32 * MIB, "peak RSS {peak} KiB");
}

#[test]
fn a_batch_past_the_entry_cap_over_http_is_400_with_the_same_error() {
    let d = double();
    let s = http_server(&d, &[]);
    let sid = initialize(s.addr, "2025-03-26", &[]);
    let batch: Vec<Value> = (0..101).map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "ping"})).collect();
    let r = post(s.addr, Some(&sid), &[("MCP-Protocol-Version", "2025-03-26")], &Value::Array(batch));
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert_eq!(body["error"]["data"]["entries"], 101, "{body}");
}

#[test]
fn a_batch_reply_past_the_size_cap_is_one_error() {
    let mut p = Proc::start(&[("PINGERA_API_KEY", "k")], &["--max-batch-reply-bytes", "200000"]);
    p.initialize("2025-03-26");
    let one = p.request(&json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]));
    let size = one.to_string().len();
    assert!(size < 200_000, "one tools/list reply is {size} bytes");
    let n = 200_000 / size + 1;
    let batch: Vec<Value> = (0..n).map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "tools/list"})).collect();
    let r = p.request(&Value::Array(batch));
    assert_eq!(r["error"]["code"], -32600, "{}", &r.to_string()[..r.to_string().len().min(300)]);
    assert_eq!(r["error"]["data"]["limit"], 200_000, "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("limit of 200000 bytes for a batch reply"), "{r}");
}

/// Waits, with the suite's bound, until `done` or until `progress` stops moving for a second; true when done.
fn until_done_or_stalled(done: impl Fn() -> bool, progress: impl Fn() -> usize) -> bool {
    let start = Instant::now();
    let mut last = (progress(), Instant::now());
    loop {
        if done() {
            return true;
        }
        let now = progress();
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() >= Duration::from_secs(1) {
            return false;
        }
        assert!(start.elapsed() < TIMEOUT, "still moving after {TIMEOUT:?}");
        std::thread::sleep(POLL);
    }
}

#[test]
fn a_stdio_client_that_never_reads_makes_the_server_stop_reading_and_memory_stays_flat() {
    const N: usize = 100_000;
    let mut child = Command::new(server_bin())
        .env_clear()
        .env("PINGERA_API_KEY", "k")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    // Held open and, for now, never read.
    let mut stdout = child.stdout.take().unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&sent);
    let writer = std::thread::spawn(move || {
        let init = json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
        writeln!(stdin, "{init}").unwrap();
        for i in 0..N {
            let line = format!("{{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"resources/list\"}}\n");
            stdin.write_all(line.as_bytes()).expect("the server reads its input");
            counter.fetch_add(1, Ordering::Relaxed);
        }
        stdin
    });
    let finished = until_done_or_stalled(|| writer.is_finished(), || sent.load(Ordering::Relaxed));
    let stalled_at = sent.load(Ordering::Relaxed);
    let peak = peak_rss_kib(pid);
    eprintln!("stdio, client not reading: writer stalled at {stalled_at} of {N}; server VmHWM {peak} KiB");
    assert!(!finished, "the server read all {N} requests although nobody read its replies");
    assert!(peak < 48 * MIB, "peak RSS {peak} KiB with a client that does not read");

    // Once the client reads, every request is answered and the input resumes.
    let mut replies = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    while replies < N + 1 {
        let n = stdout.read(&mut buf).expect("the server writes");
        assert!(n > 0, "output ended after {replies} replies");
        replies += buf[..n].iter().filter(|b| **b == b'\n').count();
    }
    let stdin = writer.join().unwrap();
    let peak = peak_rss_kib(pid);
    eprintln!("stdio: all {N} answered; server VmHWM {peak} KiB");
    assert!(peak < 48 * MIB, "peak RSS {peak} KiB");
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success());
}

fn http_server(d: &ApiDouble, extra: &[(&str, &str)]) -> HttpProc {
    let base = d.base_url();
    let mut env = vec![("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", "env-key")];
    env.extend_from_slice(extra);
    HttpProc::start(&env)
}

/// Reads from `stream` until the peer closes it; fails the test after [`TIMEOUT`]. Returns what was read.
fn read_to_close(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut out = Vec::new();
    match stream.read_to_end(&mut out) {
        Ok(_) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) => panic!("the connection stayed open ({e}); read so far: {}", String::from_utf8_lossy(&out)),
    }
}

#[test]
fn a_body_that_never_arrives_gets_408_and_the_connection_closes() {
    let d = double();
    let s = http_server(&d, &[("PINGERA_HTTP_BODY_TIMEOUT", "1")]);
    for path in ["/mcp", "/messages?sessionId=x"] {
        let mut c = TcpStream::connect(s.addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, \
             text/event-stream\r\nContent-Length: 40\r\n\r\n",
            s.addr
        );
        c.write_all(head.as_bytes()).unwrap();
        let started = Instant::now();
        let answer = read_to_close(&mut c);
        if path == "/mcp" {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            assert!(answer.contains("did not arrive within 1s"), "{answer}");
        } else {
            // An unknown HTTP+SSE session is refused before its body is read; the connection still closes.
            assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
        }
        assert!(started.elapsed() < TIMEOUT);
    }
}

#[test]
fn health_and_info_obey_the_host_check() {
    let d = double();
    let s = http_server(&d, &[]);
    for path in ["/health", "/"] {
        let r = request(s.addr, "GET", path, &[("Host", "evil.example.com")], b"");
        assert_eq!(r.status, 403, "{path}");
        let r = request(s.addr, "GET", path, &[("Host", "localhost:5000")], b"");
        assert_eq!(r.status, 200, "{path}");
        let r = request(s.addr, "GET", path, &[("Origin", "https://evil.example.com")], b"");
        assert_eq!(r.status, 403, "{path}");
    }
}

/// POSTs a message to an HTTP+SSE session and returns the status.
fn post_legacy(addr: std::net::SocketAddr, endpoint: &str, body: &Value) -> u16 {
    request(addr, "POST", endpoint, &[("Content-Type", "application/json")], body.to_string().as_bytes()).status
}

#[test]
fn an_sse_client_that_never_reads_loses_its_session_not_the_servers_memory() {
    let d = double();
    let s = http_server(&d, &[]);
    let mut stream = request(s.addr, "GET", "/sse", &[("Accept", "text/event-stream")], b"");
    assert_eq!(stream.status, 200);
    let (event, endpoint) = stream.next_event().expect("the endpoint event");
    assert_eq!(event, "endpoint");
    // From here on the client never reads its stream.
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    assert_eq!(post_legacy(s.addr, &endpoint, &init), 202);
    assert_eq!(post_legacy(s.addr, &endpoint, &json!({"jsonrpc": "2.0", "method": "notifications/initialized"})), 202);
    let mut accepted = 0;
    let mut refused = 0;
    for id in 1..=2000 {
        match post_legacy(s.addr, &endpoint, &json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"})) {
            202 if refused == 0 => accepted += 1,
            404 => refused += 1,
            other => panic!("POST {id} answered {other} after {refused} refusals"),
        }
    }
    let peak = peak_rss_kib(s.proc.pid());
    eprintln!("HTTP+SSE, stream never read: {accepted} POSTs accepted, then {refused} refused; VmHWM {peak} KiB");
    assert!(refused > 0, "all 2000 replies were queued for a stream nobody reads");
    s.proc.wait_stderr("an HTTP+SSE session ended: its client fell 64 messages behind");
    // Before, every reply was kept: 144 MB for these 2000 in the run.
    assert!(peak < 32 * MIB, "peak RSS {peak} KiB");
    // The server still serves others.
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let r = post(
        s.addr,
        Some(&sid),
        &[("MCP-Protocol-Version", "2025-11-25")],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    );
    assert_eq!(r.status, 200);
    drop(stream);
}

#[test]
fn a_flood_of_initialize_requests_cannot_lock_a_real_client_out() {
    let d = double();
    let s = http_server(&d, &[]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "flood", "version": "1"}}});
    // The default table holds 1000 sessions; the flood fills it with sessions it never uses.
    let flood = || {
        for _ in 0..1000 {
            assert_eq!(post(s.addr, None, &[], &init).status, 200);
        }
    };
    flood();
    assert_eq!(request(s.addr, "GET", "/health", &[], b"").json()["sessions"], 1000);
    // Before, every other client got 503 for the whole idle timeout (30 minutes).
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let tools = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let v = ("MCP-Protocol-Version", "2025-11-25");
    assert_eq!(post(s.addr, Some(&sid), &[v], &tools).status, 200);
    // A session in use does not give way to a second flood.
    flood();
    assert_eq!(post(s.addr, Some(&sid), &[v], &tools).status, 200);
    assert_eq!(request(s.addr, "GET", "/health", &[], b"").json()["sessions"], 1000);
    s.proc.wait_stderr("gave way to a new session");
}

/// The soft limit on open files of this test process.
fn own_fd_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap_or_default();
    line.trim_start_matches("Max open files").split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(1024)
}

#[test]
fn idle_connections_past_the_descriptor_limit_cannot_lock_out_health() {
    // The numbers (1,030 idle connections under a limit of 1,024) when this process may open that many
    // sockets itself; otherwise the same shape under a limit of 256.
    let (limit, idle_count) = if own_fd_limit() >= 1200 { (1024, 1030) } else { (256, 262) };
    let d = double();
    let base = d.base_url();
    // The server runs under a file-descriptor limit of 1024, lowered by the shell before it starts. A long header
    // timeout keeps idle connections open for the whole test unless the server closes them itself.
    let script = format!("ulimit -n {limit} && exec '{}'", server_bin());
    let s = HttpProc::start_bin(
        std::path::Path::new("/bin/sh"),
        &[("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", "k"), ("PINGERA_HTTP_HEADER_TIMEOUT", "300")],
        &["-c", &script],
    );
    let pid = s.proc.pid();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    assert!(limits.lines().any(|l| l.starts_with("Max open files") && l.contains(&limit.to_string())), "{limits}");
    let idle: Vec<TcpStream> = (0..idle_count).map(|_| TcpStream::connect(s.addr).expect("connect")).collect();
    let started = Instant::now();
    let r = request(s.addr, "GET", "/health", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "healthy");
    let fds = open_fds(pid);
    eprintln!(
        "{idle_count} idle connections under a limit of {limit}: /health in {:?}, {fds} fds open",
        started.elapsed()
    );
    assert!(fds < limit, "{fds} descriptors open");
    // A real client still gets a session and an answer.
    let sid = initialize(s.addr, "2025-11-25", &[]);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_eq!(post(s.addr, Some(&sid), &[("MCP-Protocol-Version", "2025-11-25")], &ping).status, 200);
    // The cap keeps accept from failing at all, and the limit is reported once, not once per connection. The line
    // may still be in the pipe when the requests above are answered, so it is waited for (bounded) first.
    s.proc.wait_stderr("idle ones now give way");
    let log = s.proc.stderr();
    assert!(!log.contains("accept failed"), "{log}");
    assert_eq!(log.matches("idle ones now give way").count(), 1, "{log}");
    drop(idle);
}

#[test]
fn requests_past_the_in_flight_cap_get_a_clear_error_and_the_session_goes_on() {
    let d = double();
    let base = d.base_url();
    let mut p =
        Proc::start(&[("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", "k")], &["--max-in-flight", "2"]);
    p.initialize("2025-11-25");
    d.hang_next(2);
    let call = |id: i64| json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "list_pages", "arguments": {}}});
    p.send(&call(1));
    p.send(&call(2));
    let r = p.request(&call(3));
    assert_eq!(r["id"], 3, "{r}");
    assert_eq!(r["error"]["code"], -32010, "{r}");
    assert_eq!(r["error"]["data"]["limit"], 2, "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("2 requests in flight"), "{r}");
    // Requests that run at once are not held up by the cap: ping is answered at once.
    assert_eq!(p.request(&json!({"jsonrpc": "2.0", "id": 4, "method": "ping"}))["id"], 4);
    // Both hung calls reach the API before they are cancelled, so that no later call is the one that hangs.
    let started = Instant::now();
    while d.requests().len() < 2 {
        assert!(started.elapsed() < TIMEOUT, "the two calls never reached the API");
        std::thread::sleep(POLL);
    }
    // Cancelling the hung calls frees their places as soon as their tasks see it.
    for id in [1, 2] {
        p.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": id}}));
    }
    let started = Instant::now();
    for id in 5.. {
        let r = p.request(&call(id));
        assert_eq!(r["id"], id, "{r}");
        if r["error"]["code"] == -32010 {
            assert!(started.elapsed() < TIMEOUT, "the cancelled calls never freed their places");
            std::thread::sleep(POLL);
            continue;
        }
        assert_eq!(r["result"]["isError"], false, "{r}");
        break;
    }
}

#[test]
fn a_connection_past_the_cap_while_all_are_busy_gets_503() {
    let d = double();
    let s = http_server(&d, &[("PINGERA_HTTP_MAX_CONNECTIONS", "4")]);
    // Four open SSE streams keep all four admitted connections busy.
    let streams: Vec<_> =
        (0..4).map(|_| request(s.addr, "GET", "/sse", &[("Accept", "text/event-stream")], b"")).collect();
    assert!(streams.iter().all(|r| r.status == 200));
    let r = request(s.addr, "GET", "/health", &[], b"");
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    let body = r.json();
    assert_eq!(body["error"]["code"], -32603, "{body}");
    // Once a stream closes, its place is free again.
    drop(streams);
    let started = Instant::now();
    loop {
        let status = request(s.addr, "GET", "/health", &[], b"").status;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(started.elapsed() < TIMEOUT, "the closed streams never freed their places");
        std::thread::sleep(POLL);
    }
}
