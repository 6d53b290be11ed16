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

use pingera_api_double::{ApiDouble, DoubleOptions};
use serde_json::{json, Value};

use crate::support::http::{initialize, post, request, POLL};
use crate::support::{server_bin, HttpProc, Proc, TIMEOUT};

fn double() -> ApiDouble {
    ApiDouble::spawn(DoubleOptions::default()).expect("the API double starts")
}

/// A field of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server runs");
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in status"));
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of kB")
}

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
    assert!(r["error"]["message"].as_str().unwrap().contains("PINGERA_MAX_BATCH_ENTRIES"), "{r}");
    // A batch at the cap is served, one reply per entry.
    p.send(&Value::Array((0..100).map(entry).collect()));
    assert_eq!(p.recv().as_array().map(Vec::len), Some(100));
    // Before the cap, the 20,000-entry batch built a 483 MB reply.
    let peak = status_kib(p.pid(), "VmHWM");
    assert!(peak < 96 * MIB, "peak RSS {peak} KiB");
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
    assert!(r["error"]["message"].as_str().unwrap().contains("PINGERA_MAX_BATCH_REPLY_BYTES"), "{r}");
}
