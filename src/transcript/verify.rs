//! Playing a transcript's client side against a server and matching every reply: the engine of
//! `mcp-transcript verify` and of the `protocol-tests` fixture replays.
//!
//! Invariant: a run ends with exactly one [`Outcome`]; the first mismatch, a timeout, a closed output or
//! unreadable output ends it as a failure that names the transcript line, and nothing a server does can make the
//! run wait longer than the per-message timeout at each step.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{Conn, Head, Recv};
use super::format::{expect_line, Expected, HttpExpect, Payload, Step, Transcript};
use super::matcher::{match_value, merge, substitute, Captures, Mismatch};

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The longest wait for any one message.
    pub timeout: Duration,
    /// Keep going after a mismatch and produce the rewritten transcript.
    pub update: bool,
    /// Keep the whole exchange for the report.
    pub verbose: bool,
    /// Check `>http` / `>header` lines (HTTP runs).
    pub http: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { timeout: Duration::from_secs(10), update: false, verbose: false, http: false }
    }
}

/// Why a transcript failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The transcript line the failure belongs to.
    pub line: Option<usize>,
    /// The JSON path of the difference, when there is one.
    pub path: Option<String>,
    /// The expected value there.
    pub expected: Option<Value>,
    /// The actual value there.
    pub actual: Option<Value>,
    /// The failure in words.
    pub reason: String,
}

impl Failure {
    /// A failure that belongs to no line (the server could not start, or the end of the run).
    pub fn new_reason(reason: impl Into<String>) -> Failure {
        *Failure::new(None, reason)
    }

    fn new(line: Option<usize>, reason: impl Into<String>) -> Box<Failure> {
        Box::new(Failure { line, path: None, expected: None, actual: None, reason: reason.into() })
    }

    fn mismatch(line: usize, m: Mismatch, message: &Value) -> Failure {
        Failure {
            line: Some(line),
            reason: format!("{}: {}\n    message: {message}", m.path, m.reason),
            path: Some(m.path),
            expected: Some(m.expected),
            actual: Some(m.actual),
        }
    }

    /// The failure as JSON (for `--json`).
    pub fn to_json(&self) -> Value {
        json!({"line": self.line, "path": self.path, "expected": self.expected, "actual": self.actual,
               "reason": self.reason})
    }
}

impl std::fmt::Display for Failure {
    // Values are cut to a screenful each: the JSON report carries them whole.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        let reason: Vec<String> = self.reason.lines().map(|l| cut(l, 400)).collect();
        write!(f, "{}", reason.join("\n"))?;
        if let (Some(e), Some(a)) = (&self.expected, &self.actual) {
            write!(f, "\n    expected: {}\n    actual:   {}", cut(&e.to_string(), 400), cut(&a.to_string(), 400))?;
        }
        Ok(())
    }
}

/// The first `max` bytes of `s` (on a character boundary), marked when cut.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len())
}

/// The result of one transcript.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The transcript's name.
    pub name: String,
    /// `None` when it passed.
    pub failure: Option<Failure>,
    /// `Some(reason)` when it was not run (a stdio-only transcript over HTTP).
    pub skipped: Option<String>,
    /// How long it took.
    pub duration: Duration,
    /// The exchange, `<` sent and `>` received, when verbose.
    pub exchange: Vec<String>,
    /// With `--update`: the rewritten transcript text, when it differs from the file.
    pub updated: Option<String>,
    /// What the server wrote to stderr, when it failed.
    pub stderr: String,
    /// The server could not be started or reached (exit status 2 rather than 1).
    pub unreachable: bool,
}

impl Outcome {
    /// An outcome for a transcript that could not run at all.
    pub fn not_run(name: &str, failure: Failure) -> Outcome {
        Outcome {
            name: name.to_owned(),
            failure: Some(failure),
            skipped: None,
            duration: Duration::ZERO,
            exchange: Vec::new(),
            updated: None,
            stderr: String::new(),
            unreachable: true,
        }
    }

    /// A skipped transcript.
    pub fn skipped(name: &str, reason: &str) -> Outcome {
        Outcome {
            skipped: Some(reason.to_owned()),
            failure: None,
            unreachable: false,
            ..Outcome::not_run(name, Failure::new_reason(""))
        }
    }

    /// Whether it passed (or was skipped).
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// A step's result; the failure is boxed because it is large and rare.
type Res<T> = Result<T, Box<Failure>>;

/// One run's state.
struct Run<'a> {
    conn: &'a mut dyn Conn,
    opts: &'a Options,
    caps: Captures,
    /// Optional expectations reached so far: they may match any later message.
    optional: Vec<Expected>,
    exchange: Vec<String>,
    /// `--update`: (line, new text).
    rewrites: Vec<(usize, String)>,
    /// `--update`: the first failure that makes an update impossible (a message that never came).
    first_failure: Option<Failure>,
}

/// Plays `t` on `conn`.
pub fn run(t: &Transcript, conn: &mut dyn Conn, opts: &Options) -> Outcome {
    let started = Instant::now();
    let mut r = Run {
        conn,
        opts,
        caps: Captures::new(),
        optional: Vec::new(),
        exchange: Vec::new(),
        rewrites: Vec::new(),
        first_failure: None,
    };
    let result = r.steps(t).and_then(|()| r.end());
    let failure = match result {
        Err(f) => Some(*f),
        Ok(()) => r.first_failure.take(),
    };
    let updated = (opts.update && !r.rewrites.is_empty() && result_is_updatable(&failure)).then(|| {
        let mut lines = t.lines.clone();
        for (line, text) in &r.rewrites {
            lines[line - 1].clone_from(text);
        }
        lines.join("\n") + "\n"
    });
    let stderr = if failure.is_some() { r.conn.stderr() } else { String::new() };
    Outcome {
        name: t.name.clone(),
        failure,
        skipped: None,
        duration: started.elapsed(),
        exchange: r.exchange,
        updated,
        stderr,
        unreachable: false,
    }
}

/// With `--update`, only mismatches are rewritten; a run that broke off for another reason is not.
fn result_is_updatable(failure: &Option<Failure>) -> bool {
    failure.as_ref().is_none_or(|f| f.path.is_some())
}

impl Run<'_> {
    fn steps(&mut self, t: &Transcript) -> Res<()> {
        for step in &t.steps {
            match step {
                Step::Send { line, payload, headers, http } => self.send(*line, payload, headers, http)?,
                Step::Expect(group) => self.expect(group)?,
                Step::Eof { line } => self.conn.close().map_err(|e| Failure::new(Some(*line), e))?,
            }
        }
        Ok(())
    }

    fn send(&mut self, line: usize, payload: &Payload, headers: &[(String, String)], http: &HttpExpect) -> Res<()> {
        let bytes = match payload {
            Payload::Line(text) => {
                let text = substitute(text, &self.caps).map_err(|e| Failure::new(Some(line), e))?;
                format!("{text}\n").into_bytes()
            }
            Payload::Bytes(b) => b.clone(),
        };
        if self.opts.verbose {
            let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(2000)]).trim_end().to_owned();
            self.exchange.push(format!("< {shown}"));
        }
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| substitute(v, &self.caps).map(|v| (k.clone(), v)))
            .collect::<Result<_, _>>()
            .map_err(|e| Failure::new(Some(line), e))?;
        let head = self.conn.send(&bytes, &headers).map_err(|e| Failure::new(Some(line), e))?;
        if let (Some(head), true) = (head, self.opts.http) {
            if self.opts.verbose {
                self.exchange.push(format!(">http {}", head.status));
            }
            self.check_head(line, &head, http)?;
        }
        Ok(())
    }

    fn check_head(&mut self, line: usize, head: &Head, http: &HttpExpect) -> Res<()> {
        if let Some(status) = http.status {
            if head.status != status {
                return Err(Box::new(Failure {
                    line: Some(line),
                    path: Some("HTTP status".into()),
                    expected: Some(json!(status)),
                    actual: Some(json!(head.status)),
                    reason: format!("HTTP status {} instead of {status}", head.status),
                }));
            }
        }
        for (name, pattern) in &http.headers {
            let actual = head.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
            let Some(actual) = actual else {
                return Err(Failure::new(Some(line), format!("the response has no {name} header")));
            };
            if let Err(m) = match_value(&json!(pattern), &json!(actual), &mut self.caps) {
                return Err(Box::new(Failure {
                    line: Some(line),
                    path: Some(format!("header {name}")),
                    expected: Some(m.expected),
                    actual: Some(m.actual),
                    reason: format!("header {name}: {}", m.reason),
                }));
            }
        }
        Ok(())
    }

    /// Receives messages until every required expectation of the group has matched one; optional expectations
    /// (of this group and earlier ones) absorb any message they match.
    fn expect(&mut self, group: &[Expected]) -> Res<()> {
        self.optional.extend(group.iter().filter(|e| e.optional).cloned());
        let mut open: Vec<&Expected> = group.iter().filter(|e| !e.optional).collect();
        while let Some(first) = open.first() {
            let first_line = first.line;
            let msg = self.next(first_line)?;
            if let Some(i) = open.iter().position(|e| match_value(&e.value, &msg, &mut self.caps).is_ok()) {
                if self.opts.update {
                    self.rewrite(open[i], &msg);
                }
                open.remove(i);
                continue;
            }
            if self.optional.iter().any(|e| match_value(&e.value, &msg, &mut self.caps).is_ok()) {
                continue;
            }
            // No expectation matches: report against the one the message was most likely meant for.
            let i = closest(&open, &msg);
            let e = open.remove(i);
            let m = match_value(&e.value, &msg, &mut self.caps.clone()).expect_err("nothing matched");
            let failure = Failure::mismatch(e.line, m, &msg);
            if !self.opts.update {
                return Err(Box::new(failure));
            }
            self.rewrite(e, &msg);
            self.first_failure.get_or_insert(failure);
        }
        Ok(())
    }

    fn rewrite(&mut self, e: &Expected, msg: &Value) {
        let merged = merge(&e.value, msg);
        if merged != e.value {
            self.rewrites.push((e.line, expect_line(&merged, e.optional)));
        }
    }

    fn next(&mut self, line: usize) -> Res<Value> {
        match self.conn.recv(self.opts.timeout) {
            Recv::Message(m) => {
                if self.opts.verbose {
                    self.exchange.push(format!("> {m}"));
                }
                Ok(m)
            }
            Recv::Invalid(text) => {
                Err(Failure::new(Some(line), format!("the server sent something that is not JSON: {text}")))
            }
            Recv::Ended => Err(Failure::new(Some(line), "the server's output ended before this message")),
            Recv::Timeout => Err(Failure::new(
                Some(line),
                format!("no message within {:?} (the per-message timeout)", self.opts.timeout),
            )),
        }
    }

    /// After the last step: input closes, and the server may say nothing more than optional messages.
    fn end(&mut self) -> Res<()> {
        self.conn.close().map_err(|e| Failure::new(None, e))?;
        loop {
            match self.conn.recv(self.opts.timeout) {
                Recv::Ended => break,
                Recv::Message(m) => {
                    if self.opts.verbose {
                        self.exchange.push(format!("> {m}"));
                    }
                    if !self.optional.iter().any(|e| match_value(&e.value, &m, &mut self.caps).is_ok()) {
                        return Err(Failure::new(None, format!("unexpected message after the transcript: {m}")));
                    }
                }
                Recv::Invalid(text) => {
                    return Err(Failure::new(None, format!("the server sent something that is not JSON: {text}")))
                }
                Recv::Timeout => {
                    return Err(Failure::new(
                        None,
                        format!("the server's output did not end within {:?}", self.opts.timeout),
                    ))
                }
            }
        }
        self.conn.finish(self.opts.timeout).map_err(|e| Failure::new(None, e))
    }
}

/// The expectation a message was most likely meant for: same id, then same method, then the first.
fn closest(open: &[&Expected], msg: &Value) -> usize {
    let same = |key: &str| open.iter().position(|e| msg.get(key).is_some() && e.value.get(key) == msg.get(key));
    same("id").or_else(|| same("method")).unwrap_or(0)
}
