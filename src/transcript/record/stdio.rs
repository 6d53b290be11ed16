//! The stdio proxy of `mcp-transcript record`: runs the server as a child process, passes each line between the
//! client (this process's stdin and stdout) and the server's pipes, and records it on the way.
//!
//! Invariant: every line is passed on byte for byte as it was read, and is recorded before it is passed on, so the
//! transcript's order is the order in which each side could have seen the messages; the client's end of input
//! closes the server's stdin, and the proxy ends when the server's output ends.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::{lock, Entry, RecordOptions, Recording};
use crate::transcript::client::MAX_MESSAGE;
use crate::transcript::EXIT_PASS;

/// The stdio proxy: runs until the server's output ends.
pub(super) fn record_stdio(command: &[String], out: &Path, opts: RecordOptions) -> Result<i32, String> {
    let rec = Arc::new(Mutex::new(Recording::new(out.to_owned(), opts)));
    rec.lock()
        .unwrap_or_else(|p| p.into_inner())
        .write()
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", command[0]))?;
    let mut to_server = child.stdin.take().expect("stdin is piped");
    let from_server = child.stdout.take().expect("stdout is piped");
    let client_rec = Arc::clone(&rec);
    // The client's side: every line is recorded and passed on unchanged; end of input closes the server's stdin.
    std::thread::spawn(move || {
        let mut stdin = BufReader::new(std::io::stdin().lock());
        loop {
            let mut line = Vec::new();
            match stdin.by_ref().take(MAX_MESSAGE as u64).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            // Recorded before it is passed on, so that the reply can never be recorded ahead of it.
            let text = String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']).to_owned();
            if !text.trim().is_empty() {
                lock(&client_rec).push(Entry::Send { text, http: None });
            }
            if to_server.write_all(&line).and_then(|()| to_server.flush()).is_err() {
                break;
            }
        }
        lock(&client_rec).push(Entry::Eof);
    });
    let mut stdout = std::io::stdout().lock();
    let mut reader = BufReader::new(from_server);
    loop {
        let mut line = Vec::new();
        match reader.by_ref().take(MAX_MESSAGE as u64).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        // Recorded before it is passed on, so that the client's next message can never be recorded ahead of it.
        let text = String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']).to_owned();
        if !text.trim().is_empty() {
            let entry = serde_json::from_str(&text).map_or(Entry::Junk(text), Entry::Recv);
            lock(&rec).push(entry);
        }
        if stdout.write_all(&line).and_then(|()| stdout.flush()).is_err() {
            break;
        }
    }
    let status = child.wait().map_err(|e| format!("cannot wait for the server: {e}"))?;
    lock(&rec).write().map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    if !status.success() {
        eprintln!("mcp-transcript: the server exited with {status}");
    }
    Ok(EXIT_PASS)
}
