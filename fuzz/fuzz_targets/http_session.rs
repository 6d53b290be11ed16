//! One client's side of HTTP/1.1 connections (pipelined requests, half requests, any garbage) fed to the real HTTP
//! transport (routing, gate, Streamable HTTP, stateless 2026-07-28 requests, HTTP+SSE, sessions) over in-memory
//! `tokio::io::duplex` streams through `http::serve_streams`: it never panics or hangs, and what it writes back is a
//! sequence of HTTP/1.x responses. Tool calls that pass validation go to a closed local port with no retries, so
//! they fail at once without leaving the machine.
//!
//! Why in memory and not a real listener: a socket per input costs system calls and descriptors, and in-memory
//! streams let every input start from a fresh server (one session registry per `serve_streams` call), so a finding
//! reproduces from its input alone.
//!
//! Why a paused clock: the runtime starts paused, so its clock jumps to the next timer whenever every task waits
//! (tokio does not jump while blocking work such as an API call runs). Header, body and keep-alive timeouts, and
//! this target's own bounds, then cost no wall time, and a bound that passes means the transport ended by its
//! own timers, not by luck. A true busy loop is still caught by libFuzzer's `-timeout`.
//!
//! Three tokens give the input what no mutation could guess or time. `@CONN@` starts a new connection (at most
//! `MAX_CONNECTIONS`; later ones stay in the bytes): an HTTP+SSE stream or a GET stream occupies its connection,
//! so its session's messages must come on another. `@SID@` stands for the last session id the server has sent on
//! any connection (an `Mcp-Session-Id` header or the `sessionId` of an HTTP+SSE `endpoint` event; itself when none
//! came); before writing what follows it, the target waits (bounded) until the server has sent one. That makes
//! initialize + tools/list + tools/call, GET and DELETE of a session, and the HTTP+SSE pair reachable. `@WAIT@`
//! pauses the client past the header and body timeouts, so that a half-sent request meets them.
//!
//! Replaying one input with `HTTP_SESSION_SHOW=1` prints what each connection got.
//!
//! The checks, in order: (1) the client writes its input (each write may wait `STALL` for the server to read),
//! lets the server settle, and closes the sending side of every connection but keeps reading; each connection must
//! close within `HALF_CLOSED`, unless its last response is an SSE stream still open (a client that reads may keep
//! a stream, as over TCP). A connection whose server stopped reading before the input ended must have such a
//! stream open. (2) Every byte written back parses as HTTP/1.x responses: a status line, header lines, and a body
//! framed by `Content-Length` or chunked encoding, of which only an open SSE stream may be cut short. (3) Then the
//! client goes away entirely; the server must end within `GONE`, which is longer than the SSE keep-alive interval,
//! the one timer that writes to a stream nobody sends to. Memory is bounded by `-rss_limit_mb` (scripts/fuzz).

#![no_main]

#[path = "offline.rs"]
mod offline;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pingera_mcp_server::app;
use pingera_mcp_server::transport::http;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, WriteHalf};
use tokio::sync::{mpsc, watch};

/// Starts a new connection.
const CONN: &[u8] = b"@CONN@";
/// Stands for the last session id the server has sent.
const SID: &[u8] = b"@SID@";
/// The most connections one input opens.
const MAX_CONNECTIONS: usize = 4;
/// Pauses the client.
const WAIT: &[u8] = b"@WAIT@";
/// How long the client pauses at `@WAIT@`: longer than the transport's 10 s header and 30 s body timeouts
/// (virtual time).
const PAUSE: Duration = Duration::from_secs(40);
/// How long the target waits for a session id before it writes what follows `@SID@`.
const ID_WAIT: Duration = Duration::from_secs(5);
/// How long the client waits after writing its input before it closes its sending sides (virtual time: this ends
/// as soon as the server has nothing left to do but wait for timers, and before the first of them).
const SETTLE: Duration = Duration::from_secs(1);
/// How long one write of the client may wait for the server to read (virtual time).
const STALL: Duration = Duration::from_secs(120);
/// How long a half-closed connection with no open stream may stay open (beyond the transport's 10 s header and
/// 30 s body timeouts; virtual time).
const HALF_CLOSED: Duration = Duration::from_secs(60);
/// How long the server may outlive a client that went away (beyond the 15 s SSE keep-alive; virtual time).
const GONE: Duration = Duration::from_secs(60);

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("a runtime")
    })
}

/// Whether to print what each connection got (`HTTP_SESSION_SHOW=1`), to read a finding or a seed's effect.
fn show() -> bool {
    static SHOW: OnceLock<bool> = OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("HTTP_SESSION_SHOW").is_some())
}

/// What the server has written on each connection, and the last session id it sent on any.
#[derive(Default)]
struct Seen {
    written: Vec<Vec<u8>>,
    ended: Vec<bool>,
    last_id: Option<Vec<u8>>,
}

impl Seen {
    fn all_ended(&self) -> bool {
        self.ended.iter().all(|e| *e)
    }
}

/// Opens connection number `n`: hands its server side to the server and reads what comes back into `seen`.
async fn connect(
    n: usize,
    incoming: &mpsc::Sender<DuplexStream>,
    seen: &Arc<watch::Sender<Seen>>,
) -> (WriteHalf<DuplexStream>, tokio::task::JoinHandle<()>) {
    let (client, server_side) = tokio::io::duplex(16 * 1024);
    seen.send_modify(|s| {
        s.written.push(Vec::new());
        s.ended.push(false);
    });
    incoming.send(server_side).await.expect("the server takes connections until the client is done");
    let (mut from_server, to_server) = tokio::io::split(client);
    let seen = Arc::clone(seen);
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        loop {
            let got = from_server.read(&mut buf).await.unwrap_or(0);
            seen.send_modify(|s| {
                // Each line is looked at once, when its end has arrived.
                let from = s.written[n].iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1);
                s.written[n].extend_from_slice(&buf[..got]);
                let to = s.written[n].iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1);
                if let Some(id) = s.written[n][from.min(to)..to].split(|b| *b == b'\n').filter_map(session_id).last() {
                    s.last_id = Some(id.to_vec());
                }
                s.ended[n] = got == 0;
            });
            if got == 0 {
                return;
            }
        }
    });
    (to_server, reader)
}

fuzz_target!(|data: &[u8]| {
    let config = offline::config().clone();
    let mut options = app::http_options(&config);
    options.max_message_bytes = 4096;
    let server = app::server(config);
    runtime().block_on(async move {
        let (incoming, streams) = mpsc::channel(MAX_CONNECTIONS);
        let serving = tokio::spawn(http::serve_streams(server, options, streams));
        let seen = Arc::new(watch::Sender::new(Seen::default()));
        let mut watching = seen.subscribe();
        let mut writers = Vec::new();
        let mut readers = Vec::new();

        // Writing: each write is bounded, since a server may stop reading (hyper reads no further while it sends
        // a response, and an SSE response lasts); the connection where that happens is `stalled`.
        let mut stalled = None;
        for (n, bytes) in split_at(data, CONN, MAX_CONNECTIONS).enumerate() {
            let (mut to_server, reader) = connect(n, &incoming, &seen).await;
            readers.push(reader);
            let sent = write_connection(&mut to_server, bytes, &mut watching).await;
            writers.push(to_server);
            // A connection the server closed takes no more input; the rest of its bytes are dropped.
            if let Err(Stop::Stalled) = sent {
                stalled = Some(n);
                break;
            }
        }
        if stalled.is_none() {
            // The server answers what it can before the input ends: hyper drops the requests in flight on a
            // connection whose client half-closes, which would hide every reply that takes a moment.
            tokio::time::sleep(SETTLE).await;
            for w in &mut writers {
                let _ = w.shutdown().await;
            }
            let _ = tokio::time::timeout(HALF_CLOSED, watching.wait_for(Seen::all_ended)).await;
        }
        {
            let s = seen.borrow();
            for (n, (written, ended)) in s.written.iter().zip(&s.ended).enumerate() {
                if show() {
                    eprintln!("--- connection {n} (closed: {ended}) got:\n{}", String::from_utf8_lossy(written));
                }
                let stream_open = check_responses(written);
                let must_end = stalled.is_none_or(|k| k == n);
                assert!(
                    *ended || stream_open || !must_end,
                    "connection {n} stayed open with no stream open {}; it got:\n{}",
                    if stalled.is_some() { "while its server read nothing" } else { "after its input ended" },
                    String::from_utf8_lossy(written)
                );
            }
        }

        // The client goes away.
        for r in &readers {
            r.abort();
        }
        for r in readers {
            let _ = r.await;
        }
        drop(writers);
        drop(incoming);
        match tokio::time::timeout(GONE, serving).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            Err(_) => panic!("the server outlived its client by {GONE:?}"),
        }
    });
});

/// Why the client stopped writing to a connection.
enum Stop {
    /// The server closed it.
    Closed,
    /// The server read nothing for `STALL`.
    Stalled,
}

/// Writes one connection's bytes, standing the last session id in for each `@SID@` and pausing at each `@WAIT@`.
async fn write_connection(
    to_server: &mut WriteHalf<DuplexStream>,
    bytes: &[u8],
    watching: &mut watch::Receiver<Seen>,
) -> Result<(), Stop> {
    for (i, segment) in split_at(bytes, SID, usize::MAX).enumerate() {
        if i > 0 {
            let ready = watching.wait_for(|s| s.last_id.is_some() || s.all_ended());
            let _ = tokio::time::timeout(ID_WAIT, ready).await;
            let id = watching.borrow().last_id.clone().unwrap_or_else(|| SID.to_vec());
            send(to_server, &id).await?;
        }
        for (j, part) in split_at(segment, WAIT, usize::MAX).enumerate() {
            if j > 0 {
                tokio::time::sleep(PAUSE).await;
            }
            send(to_server, part).await?;
        }
    }
    Ok(())
}

/// Writes `bytes`, waiting at most `STALL` for the server to read them.
async fn send(to_server: &mut WriteHalf<DuplexStream>, bytes: &[u8]) -> Result<(), Stop> {
    match tokio::time::timeout(STALL, to_server.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Stop::Closed),
        Err(_) => Err(Stop::Stalled),
    }
}

/// `data` cut at each `marker`, into at most `max` pieces (the last keeps any further markers).
fn split_at<'a>(data: &'a [u8], marker: &'static [u8], max: usize) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = Some(data);
    let mut pieces = 0;
    std::iter::from_fn(move || {
        let r = rest?;
        pieces += 1;
        match find(r, marker).filter(|_| pieces < max) {
            Some(at) => {
                rest = Some(&r[at + marker.len()..]);
                Some(&r[..at])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Where `needle` first occurs in `haystack`. Compared byte by byte rather than with slice equality, whose `memcmp`
/// libFuzzer intercepts and would count as the target's own comparisons.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    (0..=haystack.len().checked_sub(needle.len())?).find(|&i| starts_with(&haystack[i..], needle))
}

/// Whether `bytes` starts with `prefix`, ignoring ASCII case.
fn starts_with(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes.iter().zip(prefix).all(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// The session id that a line the server wrote announces: the value of an `Mcp-Session-Id` header, or the
/// `sessionId` query parameter of an HTTP+SSE `endpoint` event.
fn session_id(line: &[u8]) -> Option<&[u8]> {
    let start = if starts_with(line, b"mcp-session-id: ") {
        16
    } else {
        const MARKER: &[u8] = b"data: /messages?sessionId=";
        starts_with(line, MARKER).then_some(MARKER.len())?
    };
    let len = line[start..].iter().take_while(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(b)).count();
    (len > 0).then(|| &line[start..start + len])
}

/// Checks that `out` is a sequence of HTTP/1.x responses and returns whether the last one is an SSE stream that had
/// not ended. A response without a body (1xx, 204, 304, or one to `HEAD`, which keeps its `Content-Length`) is
/// recognised by what follows its head: the next status line or the end.
fn check_responses(out: &[u8]) -> bool {
    let show = || String::from_utf8_lossy(out).into_owned();
    let mut rest = out;
    while !rest.is_empty() {
        let end = find(rest, b"\r\n\r\n").unwrap_or_else(|| panic!("a response head is cut short in:\n{}", show()));
        let head =
            std::str::from_utf8(&rest[..end]).unwrap_or_else(|_| panic!("a response head is not text:\n{}", show()));
        rest = &rest[end + 4..];
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap_or_default();
        let code = status
            .strip_prefix("HTTP/1.1 ")
            .or_else(|| status.strip_prefix("HTTP/1.0 "))
            .and_then(|s| s.get(..3))
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|c| (100..600).contains(c))
            .unwrap_or_else(|| panic!("not a status line: {status:?} in:\n{}", show()));
        let mut length = None;
        let mut chunked = false;
        let mut sse = false;
        for line in lines {
            let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("not a header line: {line:?}"));
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)),
                "not a header name: {name:?}"
            );
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = Some(value.parse::<usize>().expect("Content-Length is a number")),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "content-type" => sse = value.starts_with("text/event-stream"),
                _ => {}
            }
        }
        assert!(!(chunked && length.is_some()), "both Content-Length and chunked:\n{head}");
        if (100..200).contains(&code) || code == 204 || code == 304 || rest.is_empty() || starts_with(rest, b"HTTP/1.")
        {
            continue;
        }
        if let Some(n) = length {
            assert!(rest.len() >= n, "a body of {n} bytes is cut short at {}:\n{}", rest.len(), show());
            rest = &rest[n..];
        } else if chunked {
            match skip_chunks(rest) {
                Some(after) => rest = after,
                None if sse => return true,
                None => panic!("a chunked body that is not a stream is cut short:\n{}", show()),
            }
        } else {
            // Delimited by the end of the connection (an HTTP/1.0 client): an event stream stays open as long as the
            // connection does (found by fuzzing: a GET /sse over HTTP/1.0 is such a stream).
            return sse;
        }
    }
    false
}

/// Skips a complete chunked body, trailers included; `None` when it is cut short. A malformed chunk fails.
fn skip_chunks(mut rest: &[u8]) -> Option<&[u8]> {
    loop {
        let eol = find(rest, b"\r\n")?;
        let line = std::str::from_utf8(&rest[..eol]).expect("a chunk size line is text");
        let size = usize::from_str_radix(line.split(';').next().unwrap_or_default().trim(), 16)
            .unwrap_or_else(|_| panic!("not a chunk size: {line:?}"));
        rest = &rest[eol + 2..];
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let eol = find(rest, b"\r\n")?;
                rest = &rest[eol + 2..];
                if eol == 0 {
                    return Some(rest);
                }
            }
        }
        if rest.len() < size + 2 {
            return None;
        }
        assert!(starts_with(&rest[size..], b"\r\n"), "a chunk does not end with CRLF");
        rest = &rest[size + 2..];
    }
}
