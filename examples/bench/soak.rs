//! `bench soak [SECONDS]` (`scripts/soak`): each attack of issue 11's table against the release binary while a
//! well-behaved client keeps calling tools; prints one table row per attack. Every loop is bounded in count and
//! in time, and every blocking read is under a socket timeout or a [`Watchdog`].

use super::*;

/// One line of the soak table.
struct SoakRow {
    attack: &'static str,
    peak_rss_mib: f64,
    max_fds: u64,
    p50_ms: f64,
    p99_ms: f64,
    calls: usize,
    failed: usize,
    note: String,
}

/// Samples a process's resident set and open descriptors every 50 ms until stopped; the maxima.
fn sample_process(pid: u32, stop: &AtomicBool) -> (f64, u64) {
    let (mut rss_kib, mut fds) = (0u64, 0u64);
    // Bounded by the stop flag, which the attack sets after its seconds; the count is a backstop.
    for _ in 0..100_000 {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let kib = |key: &str| {
                status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            };
            rss_kib = rss_kib.max(kib("VmHWM:").or(kib("VmRSS:")).unwrap_or(0));
        }
        if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            fds = fds.max(dir.count() as u64);
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    (rss_kib as f64 / 1024.0, fds)
}

/// The well-behaved client: a session of its own that calls `tool` back to back (a new session every 20 calls, so
/// that a lockout of new sessions shows), each call bounded by 5 s. Latencies in ms and the count of failed calls.
fn polite_client(port: u16, tool: &str, stop: &AtomicBool) -> (Vec<f64>, usize) {
    let body = |id: u64| {
        let args = if tool == "list_pages" { "{}" } else { r#"{"url":"https://example.com","description":"up"}"# };
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{args}}}}}"#
        )
    };
    let (mut lat, mut failed) = (Vec::new(), 0);
    let mut session: Option<McpHttp> = None;
    for i in 0..1_000_000u64 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let t = Instant::now();
        let outcome = (|| -> io::Result<()> {
            if session.is_none() || i % 20 == 0 {
                let m = McpHttp::open(port)?;
                m.conn.stream.set_read_timeout(Some(Duration::from_secs(5)))?;
                session = Some(m);
            }
            let m = session.as_mut().ok_or_else(|| io::Error::other("no session"))?;
            let reply = m.call(&body(i + 1))?;
            if find(&reply, b"\"isError\":false").is_none() {
                return Err(io::Error::other(format!("tool error: {}", excerpt(&reply))));
            }
            Ok(())
        })();
        match outcome {
            Ok(()) => lat.push(t.elapsed().as_secs_f64() * 1000.0),
            Err(_) => {
                failed += 1;
                session = None;
            }
        }
        // Pacing, not synchronisation: a client that thinks between calls.
        thread::sleep(Duration::from_millis(10));
    }
    (lat, failed)
}

fn raw_post(port: u16, path: &str, session: Option<&str>, version: &str, body: &str) -> Vec<u8> {
    let extra =
        session.map(|s| format!("Mcp-Session-Id: {s}\r\nMCP-Protocol-Version: {version}\r\n")).unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nAccept: application/json, \
         text/event-stream\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn initialize_as(version: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{}},"clientInfo":{{"name":"soak","version":"1"}}}}}}"#
    )
}

/// Opens a session of the given version on a fresh connection; the connection and the session id.
fn open_session(port: u16, version: &str) -> io::Result<(HttpConn, String)> {
    let mut c = HttpConn::connect(port)?;
    let r = c.roundtrip(&raw_post(port, "/mcp", None, version, &initialize_as(version)))?;
    let s = r.session.ok_or_else(|| io::Error::other(format!("initialize: status {}", r.status)))?;
    c.roundtrip(&raw_post(port, "/mcp", Some(&s), version, INITIALIZED))?;
    Ok((c, s))
}

fn double_faults(api_port: u16, spec: &str) -> io::Result<()> {
    let req = format!(
        "POST /__double/faults HTTP/1.1\r\nHost: 127.0.0.1:{api_port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{spec}",
        spec.len()
    );
    let r = HttpConn::connect(api_port)?.roundtrip(req.as_bytes())?;
    if r.status == 200 {
        Ok(())
    } else {
        Err(io::Error::other(format!("faults: status {}", r.status)))
    }
}

/// Which process a row's peak RSS and open descriptors are of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The HTTP release server that the polite client calls.
    Http,
    /// A stdio release server of the row's own. A stdio server has one client, so the polite client keeps calling
    /// the row's HTTP server, which shows that the machine stays responsive.
    Stdio,
}

/// What an attack works with: the row's servers, the API double, its seconds and the flag that ends the row.
struct Arena<'a> {
    /// The port of the row's HTTP release server.
    port: u16,
    api_port: u16,
    /// The row's stdio release server, when the attack's target is [`Target::Stdio`].
    stdio: Option<&'a mut StdioPeer>,
    secs: f64,
    stop: &'a AtomicBool,
}

/// One row of the table: the attack, the tool the polite client calls meanwhile, and the process sampled. `run`
/// attacks for at most the arena's seconds and returns the row's note.
struct Attack {
    name: &'static str,
    polite_tool: &'static str,
    target: Target,
    run: fn(&mut Arena) -> io::Result<String>,
}

/// The attacks, in the order of issue 11's table.
const ATTACKS: &[Attack] = &[
    Attack {
        name: "none (baseline)",
        polite_tool: "list_pages",
        target: Target::Http,
        run: |a| {
            let secs = a.secs;
            thread::sleep(Duration::from_secs_f64(secs));
            Ok(String::new())
        },
    },
    Attack {
        name: "32 connections of tools/call at once",
        polite_tool: "list_pages",
        target: Target::Http,
        run: |a| {
            let (port, secs) = (a.port, a.secs);
            let r = load(port, 32, Load::Mcp { body: call_line(5), handshake: true }, secs)?;
            Ok(format!("{:.0} calls/s, {} connection(s) failed", r.rps, r.errors))
        },
    },
    Attack {
        name: "200 tool calls pipelined over stdio",
        polite_tool: "list_pages",
        target: Target::Stdio,
        run: stdio_pipelined,
    },
    Attack {
        name: "one 2025-03-26 batch of 20,000 tools/list",
        polite_tool: "list_pages",
        target: Target::Http,
        run: |a| {
            let (port, secs) = (a.port, a.secs);
            let (mut c, s) = open_session(port, "2025-03-26")?;
            c.stream.set_read_timeout(Some(Duration::from_secs_f64(secs.max(5.0))))?;
            let batch: Vec<String> = (0..20_000).map(|i| tools_list_line(10 + i)).collect();
            let r = c.roundtrip(&raw_post(port, "/mcp", Some(&s), "2025-03-26", &format!("[{}]", batch.join(","))))?;
            Ok(format!("status {}, reply {} bytes", r.status, r.body.len()))
        },
    },
    Attack {
        name: "200 connections with Content-Length: 40 and no body",
        polite_tool: "list_pages",
        target: Target::Http,
        run: |a| {
            let (port, secs) = (a.port, a.secs);
            let mut held = Vec::new();
            for _ in 0..200 {
                let mut s = TcpStream::connect(("127.0.0.1", port))?;
                s.write_all(
                format!("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n")
                    .as_bytes(),
            )?;
                held.push(s);
            }
            thread::sleep(Duration::from_secs_f64(secs));
            let open = held
            .iter_mut()
            .filter(|s: &&mut TcpStream| {
                let s: &TcpStream = s;
                let _ = s.set_read_timeout(Some(Duration::from_millis(1)));
                let mut b = [0u8; 1];
                matches!((&*s).read(&mut b), Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut)
            })
            .count();
            Ok(format!("{open} of 200 still open after {secs} s"))
        },
    },
    Attack {
        name: "1,030 idle connections (server fd limit 1,024)",
        polite_tool: "list_pages",
        target: Target::Http,
        run: |a| {
            let (port, secs) = (a.port, a.secs);
            let mut held = Vec::new();
            let mut refused = 0;
            for _ in 0..1_030 {
                match TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)) {
                    Ok(s) => held.push(s),
                    Err(_) => refused += 1,
                }
            }
            let health = (|| -> io::Result<u16> {
                let mut c = HttpConn::connect(port)?;
                c.stream.set_read_timeout(Some(Duration::from_secs(2)))?;
                let r = c.roundtrip(format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())?;
                Ok(r.status)
            })();
            thread::sleep(Duration::from_secs_f64(secs));
            Ok(format!(
                "{} connected, {refused} failed; /health: {}",
                held.len(),
                health.map_or_else(|e| format!("no answer ({e})"), |s| s.to_string())
            ))
        },
    },
    Attack {
        name: "legacy SSE stream never read, 2,000 POSTed tools/list",
        polite_tool: "list_pages",
        target: Target::Http,
        run: |a| {
            let (port, secs, stop) = (a.port, a.secs, a.stop);
            let mut sse = TcpStream::connect(("127.0.0.1", port))?;
            sse.set_read_timeout(Some(Duration::from_secs(5)))?;
            sse.write_all(
                format!("GET /sse HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n").as_bytes(),
            )?;
            let mut buf = vec![0u8; 4096];
            let n = sse.read(&mut buf)?;
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let endpoint = text
                .split("data: ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .ok_or_else(|| io::Error::other(format!("no endpoint event: {text}")))?
                .to_owned();
            let mut c = HttpConn::connect(port)?;
            let v = "2024-11-05";
            c.roundtrip(&raw_post(port, &endpoint, None, v, &initialize_as(v)))?;
            c.roundtrip(&raw_post(port, &endpoint, None, v, INITIALIZED))?;
            let started = Instant::now();
            let mut statuses = BTreeMap::new();
            for i in 0..2_000 {
                if stop.load(Ordering::Relaxed) || started.elapsed().as_secs_f64() > secs {
                    break;
                }
                let status =
                    c.roundtrip(&raw_post(port, &endpoint, None, v, &tools_list_line(i + 1))).map_or(0, |r| r.status);
                *statuses.entry(status).or_insert(0) += 1;
            }
            thread::sleep(Duration::from_secs_f64((secs - started.elapsed().as_secs_f64()).max(0.0)));
            Ok(format!("POST statuses {statuses:?} (0: failed)"))
        },
    },
    Attack {
        name: "stdio client never reads stdout, 100,000 resources/list",
        polite_tool: "list_pages",
        target: Target::Stdio,
        run: stdio_never_read,
    },
    Attack {
        name: "1,000 initialize requests at once",
        polite_tool: "list_pages",
        target: Target::Http,
        run: |a| {
            let (port, secs) = (a.port, a.secs);
            let mut c = HttpConn::connect(port)?;
            let mut sessions = 0;
            for _ in 0..1_000 {
                if c.roundtrip(&raw_post(port, "/mcp", None, PROTOCOL, INITIALIZE))?.session.is_some() {
                    sessions += 1;
                }
            }
            thread::sleep(Duration::from_secs_f64(secs));
            let fresh = open_session(port, PROTOCOL).map_or_else(|e| format!("refused ({e})"), |_| "opened".into());
            Ok(format!("{sessions} sessions made; a new session afterwards: {fresh}"))
        },
    },
    Attack {
        name: "600 tool calls hung on the API (polite client calls a local tool)",
        polite_tool: "generate_api_check_script",
        target: Target::Http,
        run: |a| {
            let (port, api_port, secs) = (a.port, a.api_port, a.secs);
            double_faults(api_port, r#"{"hang_next":600}"#)?;
            let (_c, s) = open_session(port, PROTOCOL)?;
            let mut held = Vec::new();
            for i in 0..600 {
                let mut t = TcpStream::connect(("127.0.0.1", port))?;
                t.write_all(&raw_post(port, "/mcp", Some(&s), PROTOCOL, &call_line(100 + i)))?;
                held.push(t);
            }
            thread::sleep(Duration::from_secs_f64(secs));
            double_faults(api_port, r#"{"hang_next":0}"#)?;
            Ok("600 calls sent on 600 connections".into())
        },
    },
    Attack {
        name: "API reply of 15 MB (list_checks; polite client calls a local tool)",
        polite_tool: "generate_api_check_script",
        target: Target::Http,
        run: inflated_api_replies,
    },
    Attack {
        name: "one 4 MiB message of 2 million tiny values",
        polite_tool: "list_pages",
        target: Target::Http,
        run: flat_values_message,
    },
];

/// A stdio client that writes 100,000 `resources/list` and reads nothing for the arena's seconds, then reads every
/// reply. A bounded server stops reading its input once its output queue is full, so the writer stalls; once read,
/// every request must have its one reply.
fn stdio_never_read(a: &mut Arena) -> io::Result<String> {
    const REQUESTS: u64 = 100_000;
    let secs = a.secs;
    let peer = a.stdio.as_deref_mut().ok_or_else(|| io::Error::other("no stdio server"))?;
    peer.handshake()?;
    let StdioPeer { watchdog, stdin, out, line, .. } = peer;
    let written = AtomicU64::new(0);
    thread::scope(|s| {
        // Bounded by the count, and by the server: a write blocks only while the server lives and does not read.
        let writer = s.spawn(|| -> io::Result<()> {
            for id in 1..=REQUESTS {
                let msg = format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"resources/list\"}}\n");
                stdin.write_all(msg.as_bytes())?;
                written.store(id, Ordering::Relaxed);
            }
            Ok(())
        });
        // The attack itself: nothing is read for its seconds.
        thread::sleep(Duration::from_secs_f64(secs));
        let stalled_at = written.load(Ordering::Relaxed);
        let drain = Instant::now();
        let mut seen = vec![false; REQUESTS as usize + 1];
        let (mut results, mut errors, mut repeated, mut replies) = (0u64, 0u64, 0u64, 0u64);
        // Each read is watched: a server that stops answering is killed, which ends this loop and the writer.
        while replies < REQUESTS {
            line.clear();
            watchdog.arm(IO_TIMEOUT);
            let n = out.read_line(line);
            watchdog.disarm();
            if n.unwrap_or(0) == 0 {
                break;
            }
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            let Some(id) = v.get("id").and_then(serde_json::Value::as_u64).filter(|id| (1..=REQUESTS).contains(id))
            else {
                continue;
            };
            replies += 1;
            if std::mem::replace(&mut seen[id as usize], true) {
                repeated += 1;
            }
            if v.get("result").is_some() {
                results += 1;
            } else {
                errors += 1;
            }
        }
        let drained = drain.elapsed().as_secs_f64();
        if replies < REQUESTS {
            // The server will read no more: ending it ends the writer, which may still be blocked.
            watchdog.arm(Duration::ZERO);
        }
        let wrote = writer.join().map_err(|_| io::Error::other("the writer panicked"))?;
        let lost = seen[1..].iter().filter(|s| !**s).count();
        let stall = if stalled_at < REQUESTS {
            format!(
                "the writer stalled at request {} of 100,000 while stdout was unread",
                thousands(stalled_at as f64 + 1.0)
            )
        } else {
            "the writer never stalled: all 100,000 were taken in while stdout was unread".to_string()
        };
        Ok(format!(
            "{stall}; once read: {} results, {errors} errors, {lost} lost, {repeated} repeated, in {drained:.1} s{}; \
             RSS and fds: the stdio server's (the polite client calls an HTTP server of its own)",
            thousands(results as f64),
            wrote.err().map(|e| format!(", writer: {e}")).unwrap_or_default()
        ))
    })
}

/// Sequential `list_checks` calls (page_size 100) over HTTP while the API double inflates every list reply to 15 MB,
/// for the arena's seconds: each call's result must be a success with a cut list (results are bounded by
/// `PINGERA_MAX_RESULT_BYTES`) or a clear tool error, in bounded time.
fn inflated_api_replies(a: &mut Arena) -> io::Result<String> {
    const CALLS: u64 = 200;
    let (port, api_port, secs) = (a.port, a.api_port, a.secs);
    // More inflated replies than calls, so that every call gets one; cleared afterwards for the next rows.
    double_faults(api_port, &format!(r#"{{"inflate_next":{{"count":{CALLS},"bytes":15000000}}}}"#))?;
    let outcome = (|| -> io::Result<String> {
        let mut m = McpHttp::open(port)?;
        let (mut outcomes, mut took, mut largest) = (BTreeMap::new(), Vec::new(), 0);
        let started = Instant::now();
        for id in 1..=CALLS {
            if started.elapsed().as_secs_f64() >= secs {
                break;
            }
            let call = format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"list_checks","arguments":{{"page_size":100}}}}}}"#
            );
            let t = Instant::now();
            let label = match m.call(&call) {
                Ok(reply) => {
                    largest = largest.max(reply.len());
                    tool_outcome(&reply)
                }
                Err(e) => {
                    m = McpHttp::open(port)?;
                    format!("failed ({e})")
                }
            };
            took.push(t.elapsed().as_secs_f64());
            *outcomes.entry(label).or_insert(0) += 1;
        }
        let (p50, _) = p50_p99(took.clone());
        let max = took.iter().copied().fold(0.0, f64::max);
        Ok(format!(
            "{} calls on 15 MB replies: {}; reply up to {} bytes; per call median {p50:.2} s, max {max:.2} s",
            took.len(),
            counted(&outcomes),
            thousands(largest as f64)
        ))
    })();
    double_faults(api_port, r#"{"inflate_next":null}"#)?;
    outcome
}

/// What a `tools/call` reply is: a success (with the cut, if its list was cut to fit), a tool error or a JSON-RPC
/// error, with the words that matter.
fn tool_outcome(reply: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(reply).unwrap_or_default();
    if let Some(code) = v["error"]["code"].as_i64() {
        return format!("error {code}");
    }
    let blocks = v["result"]["content"].as_array().cloned().unwrap_or_default();
    let texts: Vec<&str> = blocks.iter().filter_map(|b| b["text"].as_str()).collect();
    if v["result"]["isError"] == serde_json::Value::Bool(true) {
        let text = texts.first().copied().unwrap_or_default();
        return format!("tool error \"{}\"", text.chars().take(90).collect::<String>());
    }
    // A cut list comes with a text block that says "holds only the first N of the M items" (src/tools/bound.rs).
    let cut = texts.iter().find_map(|t| t.split_once("holds only the first ")?.1.split_once(" items"));
    match cut {
        Some((counts, _)) => format!("success, list cut to the first {}", counts.replace(" the ", " ")),
        None => "success, whole list".into(),
    }
}

/// `{label: count}` as "count× label, ...".
fn counted(outcomes: &BTreeMap<String, u64>) -> String {
    outcomes.iter().map(|(k, n)| format!("{n}× {k}")).collect::<Vec<_>>().join(", ")
}

/// One `tools/call` message as large as the HTTP body limit lets it be, its arguments one flat array of about two
/// million `0`s, sent again and again for the arena's seconds. The server may refuse it or answer it; either way its
/// memory must stay bounded and the polite client served.
fn flat_values_message(a: &mut Arena) -> io::Result<String> {
    // PINGERA_MAX_MESSAGE_BYTES's default, which is also the HTTP body limit (README.md, settings).
    const LIMIT: usize = 4 << 20;
    let (port, secs) = (a.port, a.secs);
    let head = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_pages","arguments":{"values":["#;
    let tail = "]}}}";
    // n values take 2n - 1 bytes (`0,0,...,0`), which fit in the room left when n is at most half of it, rounded up.
    let zeros = (LIMIT - head.len() - tail.len()).div_ceil(2);
    let mut body = String::with_capacity(LIMIT);
    body.push_str(head);
    body.push('0');
    for _ in 1..zeros {
        body.push_str(",0");
    }
    body.push_str(tail);
    let (mut c, mut session) = open_session(port, PROTOCOL)?;
    let request = |s: &str| raw_post(port, "/mcp", Some(s), PROTOCOL, &body);
    let mut req = request(&session);
    let (mut outcomes, mut took) = (BTreeMap::new(), Vec::new());
    let started = Instant::now();
    for _ in 0..1_000 {
        if started.elapsed().as_secs_f64() >= secs {
            break;
        }
        let t = Instant::now();
        let label = match c.roundtrip(&req) {
            Ok(r) => format!("{} {}", r.status, tool_outcome(sse_data(&r.body))),
            Err(e) => {
                // A refused message may close the connection; the next one goes on a new session.
                (c, session) = open_session(port, PROTOCOL)?;
                req = request(&session);
                format!("no reply ({e})")
            }
        };
        took.push(t.elapsed().as_secs_f64());
        *outcomes.entry(label).or_insert(0) += 1;
    }
    let (p50, _) = p50_p99(took.clone());
    Ok(format!(
        "{} messages of {} bytes ({} values): {}; per message median {p50:.2} s",
        took.len(),
        thousands(body.len() as f64),
        thousands(zeros as f64),
        counted(&outcomes)
    ))
}

/// Bursts of 200 `tools/call` (`list_pages`) written at once to a stdio server, each burst's replies read before the
/// next, for the arena's seconds. The API is the double; the small-backlog API of issue 11 is `scripts/bench`'s
/// burst case, which needs Python.
fn stdio_pipelined(a: &mut Arena) -> io::Result<String> {
    const BURST: u64 = 200;
    let secs = a.secs;
    let peer = a.stdio.as_deref_mut().ok_or_else(|| io::Error::other("no stdio server"))?;
    peer.handshake()?;
    let (mut bursts, mut failed, mut next_id) = (0u64, 0u64, 1u64);
    let started = Instant::now();
    while bursts < 10_000 && started.elapsed().as_secs_f64() < secs {
        // 200 calls are about 20 KB, less than a pipe holds, so writing them all before reading cannot deadlock.
        let burst: String = (next_id..next_id + BURST).map(|id| call_line(id) + "\n").collect();
        peer.stdin.write_all(burst.as_bytes())?;
        for _ in 0..BURST {
            peer.watchdog.arm(IO_TIMEOUT);
            let read = peer.recv();
            peer.watchdog.disarm();
            read?;
            if !peer.line.contains("\"isError\":false") {
                failed += 1;
            }
        }
        next_id += BURST;
        bursts += 1;
    }
    let calls = bursts * BURST;
    Ok(format!(
        "{bursts} bursts, {:.0} calls/s, {failed} of {} not a success; RSS and fds: the stdio server's; API: the \
         double (the small-backlog API is scripts/bench's burst case)",
        calls as f64 / started.elapsed().as_secs_f64(),
        thousands(calls as f64)
    ))
}

/// `bench soak [SECONDS [ATTACK]]`: every attack (or those whose name contains ATTACK) for SECONDS (default 5)
/// against fresh release servers each; prints the table.
pub fn run(secs: f64, only: Option<&str>) -> io::Result<()> {
    let opts = parse_opts(&[]).map_err(io::Error::other)?;
    let (double, _double_out, api_port) = start_double(&opts.double)?;
    let api = format!("http://127.0.0.1:{api_port}");
    let env = Env {
        opts: opts.clone(),
        api,
        python: None,
        floor_reply: opts.work.join("tools-list-reply.json"),
        self_exe: std::env::current_exe()?,
    };
    let mut rows = Vec::new();
    // `only` picks the attacks whose name contains it, for a closer look at one row.
    for attack in ATTACKS.iter().filter(|a| only.is_none_or(|o| a.name.contains(o))) {
        eprintln!("soak: {}", attack.name);
        // The server runs under a file-descriptor limit of 1,024, the common default, so that the idle-connection
        // attack meets it as a real deployment would.
        let ours = env.ours(true);
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "ulimit -n 1024 && exec \"$0\""]).arg(ours.get_program());
        for (k, v) in ours.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let (http, port) = start_http(cmd)?;
        let mut stdio = match attack.target {
            Target::Http => None,
            Target::Stdio => Some(StdioPeer::spawn(env.ours(false))?),
        };
        let pid = stdio.as_ref().map_or(http.pid(), |p| p.proc.pid());
        let stop = AtomicBool::new(false);
        let mut arena = Arena { port, api_port, stdio: stdio.as_mut(), secs, stop: &stop };
        let (note, (rss, fds), (lat, failed)) = thread::scope(|s| {
            let sampler = s.spawn(|| sample_process(pid, &stop));
            let polite = s.spawn(|| polite_client(port, attack.polite_tool, &stop));
            let note = (attack.run)(&mut arena).unwrap_or_else(|e| format!("attack failed: {e}"));
            stop.store(true, Ordering::Relaxed);
            (note, sampler.join().unwrap_or_default(), polite.join().unwrap_or_default())
        });
        let (p50, p99) = if lat.is_empty() { (f64::NAN, f64::NAN) } else { p50_p99(lat.clone()) };
        rows.push(SoakRow {
            attack: attack.name,
            peak_rss_mib: rss,
            max_fds: fds,
            p50_ms: p50,
            p99_ms: p99,
            calls: lat.len(),
            failed,
            note,
        });
        drop(stdio);
        drop(http);
        clear_double_log(api_port);
    }
    println!("| Attack | Peak RSS | Open fds (max) | Polite client p50 / p99 | Polite calls ok / failed | Note |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.1} MiB | {} | {:.1} / {:.1} ms | {} / {} | {} |",
            r.attack, r.peak_rss_mib, r.max_fds, r.p50_ms, r.p99_ms, r.calls, r.failed, r.note
        );
    }
    drop(double);
    Ok(())
}
