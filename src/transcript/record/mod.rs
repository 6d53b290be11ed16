//! `mcp-transcript record`: a proxy between a client and a server (stdio, or HTTP for Streamable HTTP and the
//! 2024-11-05 HTTP+SSE pair) that passes every message both ways unchanged and writes the session as a
//! transcript.
//!
//! Invariant: what the client and the server see is byte for byte what the other sent; generalisation and
//! redaction touch only the file, and no secret (an `Authorization` header, a `--redact` match, the value of an
//! environment variable named like a secret) is ever written to it. The file is rewritten after every message,
//! so a proxy killed mid-session still leaves the session so far.
//!
//! This file holds what both proxies share: the options, the `Recording` and how it renders (generalisation,
//! redaction, server request captures), and the command line; `stdio` and `http` hold the two proxies.

mod http;
mod stdio;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::Value;

use super::split_command;

/// How to write the recording.
#[derive(Clone, Debug, Default)]
pub struct RecordOptions {
    /// Keep session ids, timestamps, durations, server request ids and the server version as they were.
    pub exact: bool,
    /// `--redact` patterns: literal text where `[..]` stands for a run of token characters.
    pub redact: Vec<String>,
    /// Secret values, by the name of the environment variable that holds them.
    pub secrets: Vec<(String, String)>,
}

impl RecordOptions {
    /// Takes the secrets from an environment: variables whose names contain KEY, TOKEN, SECRET or PASSWORD.
    pub fn with_secrets_from(mut self, env: impl Iterator<Item = (String, String)>) -> RecordOptions {
        for (k, v) in env {
            let upper = k.to_ascii_uppercase();
            // Short values ("1", "true") would blank out ordinary text without protecting anything.
            if ["KEY", "TOKEN", "SECRET", "PASSWORD"].iter().any(|w| upper.contains(w)) && v.len() >= 4 {
                self.secrets.push((k, v));
            }
        }
        // Longer values first, so a secret that contains another is replaced whole.
        self.secrets.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        self
    }
}

/// One recorded event.
#[derive(Clone, Debug)]
enum Entry {
    /// The client sent this line; over HTTP, with the response's status and recorded headers.
    Send { text: String, http: Option<(u16, Vec<(String, String)>)> },
    /// The server sent this message.
    Recv(Value),
    /// The server sent output that is not JSON.
    Junk(String),
    /// The client closed its input or ended the session.
    Eof,
    /// A note for the reader.
    Comment(String),
}

/// A session being recorded.
#[derive(Debug)]
pub struct Recording {
    entries: Vec<Entry>,
    opts: RecordOptions,
    out: PathBuf,
}

impl Recording {
    /// An empty recording that writes to `out`.
    pub fn new(out: PathBuf, opts: RecordOptions) -> Recording {
        Recording { entries: Vec::new(), opts, out }
    }

    /// Adds an entry, rewrites the file and returns the entry's index.
    fn push(&mut self, e: Entry) -> usize {
        self.entries.push(e);
        self.save();
        self.entries.len() - 1
    }

    /// Adds the HTTP status and headers of the response to a sent message recorded earlier.
    fn answer(&mut self, index: usize, status: u16, headers: Vec<(String, String)>) {
        if let Some(Entry::Send { http, .. }) = self.entries.get_mut(index) {
            *http = Some((status, headers));
        }
        self.save();
    }

    fn save(&self) {
        if let Err(e) = self.write() {
            eprintln!("mcp-transcript: cannot write {}: {e}", self.out.display());
        }
    }

    /// Writes the transcript (to a temporary file first, so a reader never sees half of it).
    pub fn write(&self) -> std::io::Result<()> {
        let tmp = self.out.with_extension("tmp~");
        std::fs::write(&tmp, self.render())?;
        std::fs::rename(&tmp, &self.out)
    }

    /// The transcript text.
    pub fn render(&self) -> String {
        let mut out = String::from("# Recorded by mcp-transcript.\n");
        // Ids of server-to-client requests, and the capture names they get.
        let mut server_requests: BTreeMap<String, String> = BTreeMap::new();
        let last = self.entries.iter().rposition(|e| !matches!(e, Entry::Eof)).map_or(0, |i| i + 1);
        for e in &self.entries[..last] {
            match e {
                Entry::Comment(c) => out.push_str(&format!("# {c}\n")),
                Entry::Junk(j) => out.push_str(&format!("# not JSON: {}\n", self.secret_free(j, false))),
                Entry::Eof => out.push_str("<eof\n"),
                Entry::Send { text, http } => {
                    let text = self.client_line(text, &server_requests);
                    out.push_str(&format!("< {}\n", self.secret_free(&text, true)));
                    if let Some((status, headers)) = http {
                        out.push_str(&format!(">http {status}\n"));
                        for (k, v) in headers {
                            let v = if k.eq_ignore_ascii_case("mcp-session-id") && !self.opts.exact {
                                // The first time it binds the capture, later it must repeat it.
                                "${session}".to_owned()
                            } else {
                                v.clone()
                            };
                            out.push_str(&format!(">header {k}: {}\n", self.secret_free(&v, false)));
                        }
                    }
                }
                Entry::Recv(v) => {
                    let mut v = v.clone();
                    if !self.opts.exact {
                        if v.get("method").is_some() {
                            if let Some(id) = v.get("id").filter(|id| !id.is_null()) {
                                let name = format!("request{}", server_requests.len() + 1);
                                server_requests.insert(id.to_string(), name.clone());
                                v["id"] = Value::String(format!("${{{name}}}"));
                            }
                        }
                        generalise(&mut v, None);
                    }
                    out.push_str(&format!("> {}\n", self.secret_free(&v.to_string(), false)));
                }
            }
        }
        out
    }

    /// A client line, with the ids of replies to server-to-client requests turned into their captures.
    fn client_line(&self, text: &str, server_requests: &BTreeMap<String, String>) -> String {
        if self.opts.exact || server_requests.is_empty() {
            return text.to_owned();
        }
        let Ok(mut v) = serde_json::from_str::<Value>(text) else { return text.to_owned() };
        let is_reply = v.get("method").is_none() && (v.get("result").is_some() || v.get("error").is_some());
        match v.get("id").map(Value::to_string).and_then(|id| server_requests.get(&id)) {
            Some(name) if is_reply => {
                v["id"] = Value::String(format!("${{{name}}}"));
                v.to_string()
            }
            _ => text.to_owned(),
        }
    }

    /// Replaces secrets in a line: environment secrets by `${env:NAME}` (verify substitutes them back), `--redact`
    /// matches by `[REDACTED]` in what the client sends and by `[..]` in what is expected.
    fn secret_free(&self, line: &str, client: bool) -> String {
        let mut s = line.to_owned();
        for (name, value) in &self.opts.secrets {
            s = s.replace(value.as_str(), &format!("${{env:{name}}}"));
        }
        for p in &self.opts.redact {
            s = redact(&s, p, if client { "[REDACTED]" } else { "[..]" });
        }
        s
    }
}

/// Characters a `[..]` in a `--redact` pattern may stand for: those of keys and tokens, never a quote or a
/// backslash, so a replacement stays inside its JSON string.
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.+/=".contains(c)
}

/// Replaces every match of `pattern` in `s`.
pub fn redact(s: &str, pattern: &str, with: &str) -> String {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.iter().all(|p| p.is_empty()) {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut rest = s;
    'outer: while !rest.is_empty() {
        let Some(start) = find_start(rest, parts[0]) else { break };
        // Try to match the whole pattern from `start`.
        let mut pos = start + parts[0].len();
        for part in &parts[1..] {
            let tail = &rest[pos..];
            let run = tail.find(|c: char| !token_char(c)).unwrap_or(tail.len());
            // The run of token characters ends where the next literal part starts (or at the run's end).
            let end = if part.is_empty() {
                Some(run)
            } else {
                tail[..run.min(tail.len())].find(part).or_else(|| tail.find(part).filter(|i| *i <= run))
            };
            match end {
                Some(e) => pos += e + part.len(),
                None => {
                    let skip = start + rest[start..].chars().next().map_or(1, char::len_utf8);
                    out.push_str(&rest[..skip]);
                    rest = &rest[skip..];
                    continue 'outer;
                }
            }
        }
        if pos == start {
            break;
        }
        out.push_str(&rest[..start]);
        out.push_str(with);
        rest = &rest[pos..];
    }
    out.push_str(rest);
    out
}

fn find_start(s: &str, first: &str) -> Option<usize> {
    if first.is_empty() {
        s.find(token_char)
    } else {
        s.find(first)
    }
}

/// Turns what changes from run to run into wildcards: the server's version, timestamps, durations.
fn generalise(v: &mut Value, key: Option<&str>) {
    match v {
        Value::Object(map) => {
            let is_server_info = key.is_some_and(|k| k == "serverInfo" || k.ends_with("/serverInfo"));
            for (k, child) in map.iter_mut() {
                if is_server_info && k == "version" {
                    *child = Value::String("*".into());
                } else {
                    generalise(child, Some(k));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| generalise(i, key)),
        Value::Number(_) if key.is_some_and(is_duration_key) => *v = Value::String("*".into()),
        Value::String(s) => {
            if is_timestamp(s) && s.len() <= 40 {
                *v = Value::String("*".into());
            } else {
                let g = generalise_text(s);
                if &g != s {
                    *v = Value::String(g);
                }
            }
        }
        _ => {}
    }
}

fn is_duration_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    ["duration", "elapsed", "latency", "took", "timestamp"].iter().any(|w| k.contains(w))
        || k.ends_with("_ms")
        || k.ends_with("ms") && k.len() > 2 && k.as_bytes()[k.len() - 3].is_ascii_lowercase()
}

/// True when `s` starts with an ISO-8601 date and time (`2026-11-24T10:00:00...`).
fn is_timestamp(s: &str) -> bool {
    timestamp_len(s.as_bytes()).is_some_and(|n| n == s.len())
}

/// The length of the timestamp at the start of `b`: `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]`.
fn timestamp_len(b: &[u8]) -> Option<usize> {
    let digits = |from: usize, n: usize| b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit);
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0, 4) && at(4, b'-') && digits(5, 2) && at(7, b'-') && digits(8, 2)) {
        return None;
    }
    if !((at(10, b'T') || at(10, b' ')) && digits(11, 2) && at(13, b':') && digits(14, 2)) {
        return None;
    }
    let mut i = 16;
    if at(i, b':') && digits(i + 1, 2) {
        i += 3;
        if at(i, b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    if at(i, b'Z') {
        i += 1;
    } else if (at(i, b'+') || at(i, b'-')) && digits(i + 1, 2) && at(i + 3, b':') && digits(i + 4, 2) {
        i += 6;
    }
    Some(i)
}

/// Replaces timestamps and durations (`12 ms`, `0.4s`) inside text with `[..]`.
fn generalise_text(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if boundary && b[i].is_ascii_digit() {
            if let Some(n) = timestamp_len(&b[i..]) {
                out.push_str(&s[copied..i]);
                out.push_str("[..]");
                i += n;
                copied = i;
                continue;
            }
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            let k = if b.get(j) == Some(&b' ') { j + 1 } else { j };
            let unit = ["ms", "µs", "us", "s"].iter().find(|u| s[k..].starts_with(**u));
            if let Some(u) = unit {
                let after = k + u.len();
                if after >= b.len() || !b[after].is_ascii_alphanumeric() {
                    out.push_str(&s[copied..i]);
                    out.push_str("[..]");
                    copied = j;
                    i = after;
                    continue;
                }
            }
            i = j;
            continue;
        }
        i += s[i..].chars().next().map_or(1, char::len_utf8);
    }
    out.push_str(&s[copied..]);
    out
}

/// `record` from the command line.
pub fn main(args: Vec<String>) -> Result<i32, String> {
    let (args, command) = split_command(args);
    let (mut out, mut listen, mut target) = (PathBuf::from("transcript.txt"), None, None);
    let mut opts = RecordOptions::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--out" | "-o" => out = PathBuf::from(value("--out")?),
            "--exact" => opts.exact = true,
            "--redact" => opts.redact.push(value("--redact")?),
            "--listen" => listen = Some(value("--listen")?),
            "--target" => target = Some(value("--target")?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let opts = opts.with_secrets_from(std::env::vars());
    match (listen, target, command.is_empty()) {
        (None, None, false) => stdio::record_stdio(&command, &out, opts),
        (Some(l), Some(t), true) => {
            let addr: SocketAddr = l.parse().map_err(|_| format!("--listen needs HOST:PORT, got {l:?}"))?;
            http::record_http(addr, &t, &out, opts)
        }
        _ => Err("record needs -- SERVER_CMD [ARGS...], or --listen HOST:PORT with --target URL".into()),
    }
}

/// Locks the recording even after a panic elsewhere: the entries recorded so far are still worth writing.
fn lock(r: &Mutex<Recording>) -> std::sync::MutexGuard<'_, Recording> {
    r.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generalises_what_changes_between_runs() {
        let mut v = json!({"result": {"serverInfo": {"name": "s", "version": "1.2.3"}, "at": "2026-11-24T10:00:00Z",
            "text": "created 2026-11-24T10:00:00.123+01:00, answered 200 in 12 ms (0.4s total)", "duration_ms": 5,
            "count": 3, "note": "2 servers"}});
        generalise(&mut v, None);
        assert_eq!(
            v,
            json!({"result": {"serverInfo": {"name": "s", "version": "*"}, "at": "*",
            "text": "created [..], answered 200 in [..] ms ([..]s total)", "duration_ms": "*", "count": 3,
            "note": "2 servers"}})
        );
    }

    #[test]
    fn redaction_patterns() {
        assert_eq!(redact(r#"{"k":"sk-abc123","n":"sk-"}"#, "sk-[..]", "[..]"), r#"{"k":"[..]","n":"[..]"}"#);
        assert_eq!(redact("user=bob;pw=hunter2;", "pw=[..];", "X"), "user=bob;X");
        assert_eq!(redact("plain text", "secret", "X"), "plain text");
    }

    #[test]
    fn secrets_and_server_request_ids_never_reach_the_file() {
        let opts = RecordOptions { redact: vec!["tok-[..]".into()], ..Default::default() }.with_secrets_from(
            [("MY_API_KEY".to_owned(), "k3y-value".to_owned()), ("PATH".to_owned(), "/bin".to_owned())].into_iter(),
        );
        let mut r = Recording::new(PathBuf::from("/nonexistent/x"), opts);
        r.entries.push(Entry::Send {
            text: r#"{"id":1,"method":"x","params":{"a":"k3y-value","b":"tok-1"}}"#.into(),
            http: Some((200, vec![("Mcp-Session-Id".into(), "abc".into())])),
        });
        r.entries.push(Entry::Recv(
            json!({"jsonrpc":"2.0","id":7,"method":"sampling/createMessage","params":{"k":"k3y-value"}}),
        ));
        r.entries.push(Entry::Send { text: r#"{"jsonrpc":"2.0","id":7,"result":{}}"#.into(), http: None });
        r.entries.push(Entry::Eof);
        let text = r.render();
        assert!(!text.contains("k3y-value") && !text.contains("tok-1") && !text.contains("abc"), "{text}");
        assert!(text.contains(r#""a":"${env:MY_API_KEY}","b":"[REDACTED]""#), "{text}");
        assert!(text.contains(">header Mcp-Session-Id: ${session}"), "{text}");
        assert!(
            text.contains(r#""id":"${request1}""#)
                && text.contains(r#"< {"id":"${request1}","jsonrpc":"2.0","result":{}}"#),
            "{text}"
        );
        assert!(!text.contains("<eof"), "a trailing end of input is implied: {text}");
        let t = super::super::format::parse("rec", &text).expect("a recording parses");
        assert_eq!(t.steps.len(), 3);
    }
}
