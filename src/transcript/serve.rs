//! `mcp-transcript serve`: plays a transcript's server side to a client under test, over stdio or Streamable
//! HTTP.
//!
//! Invariant: a client message is answered from the transcript only when it matches the transcript's next client
//! line (the request id excepted: replies carry the client's own id); anything else gets a JSON-RPC error that
//! names the transcript line, and the run ends with exit status 1. Wildcards cannot be played back, so a value
//! recorded as `"*"` or with `[..]` is sent as that literal text (record with `--exact` to keep real values).

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::format::{HttpExpect, Payload, Step, Transcript};
use super::matcher::{match_value, whole_capture, Captures};
use super::{format, EXIT_FAIL, EXIT_PASS};

/// The state of a transcript being played.
pub struct Player {
    t: Transcript,
    next: usize,
    caps: Captures,
    /// Counter for ids of server-to-client requests and session ids that the transcript left as captures.
    fresh: u64,
    /// The first mismatch, if any.
    pub failure: Option<String>,
}

/// What to answer a client message with.
#[derive(Debug, Default)]
pub struct Answer {
    /// The messages to send, in order.
    pub messages: Vec<Value>,
    /// The recorded HTTP status and headers of this exchange (HTTP only).
    pub http: HttpExpect,
}

impl Player {
    /// A player at the start of `t`.
    pub fn new(t: Transcript) -> Player {
        Player { t, next: 0, caps: Captures::new(), fresh: 0, failure: None }
    }

    /// Whether every client line of the transcript has been played.
    pub fn done(&self) -> bool {
        !self.t.steps[self.next..].iter().any(|s| matches!(s, Step::Send { .. }))
    }

    /// The line of the next client message the transcript expects.
    pub fn next_line(&self) -> Option<usize> {
        self.t.steps[self.next..].iter().find_map(|s| match s {
            Step::Send { line, .. } => Some(*line),
            _ => None,
        })
    }

    /// Handles one client message; `Err` is the mismatch, already turned into the error reply to send (if the
    /// message was a request).
    pub fn handle(&mut self, text: &str) -> Result<Answer, Option<Value>> {
        let actual: Option<Value> = serde_json::from_str(text).ok();
        let Some(i) = self.t.steps[self.next..].iter().position(|s| matches!(s, Step::Send { .. })) else {
            return Err(self.refuse(&actual, "the transcript has no more client messages".into()));
        };
        let i = self.next + i;
        let Step::Send { line, payload, http, .. } = &self.t.steps[i] else { unreachable!("found above") };
        let (line, http) = (*line, http.clone());
        let recorded_id = match payload {
            Payload::Line(l) => serde_json::from_str::<Value>(l).ok().and_then(|v| v.get("id").cloned()),
            Payload::Bytes(_) => None,
        };
        let matched = match (payload, &actual) {
            (Payload::Line(l), Some(a)) => match serde_json::from_str::<Value>(l) {
                Ok(mut pattern) => {
                    // A client numbers its own requests; a reply to a server request must carry the server's id.
                    let is_request = pattern.get("method").is_some();
                    if is_request && pattern.get("id").is_some() {
                        pattern["id"] = json!("*");
                    }
                    match_value(&pattern, a, &mut self.caps).map_err(|m| m.to_string())
                }
                Err(_) => Err("the transcript line is not JSON, the client sent JSON".into()),
            },
            (Payload::Line(l), None) if l.trim() == text.trim() => Ok(()),
            (Payload::Bytes(b), _) if String::from_utf8_lossy(b).trim() == text.trim() => Ok(()),
            _ => Err(format!("expected the message of line {line}, got {text}")),
        };
        if let Err(reason) = matched {
            return Err(self.refuse(&actual, format!("line {line}: {reason}")));
        }
        let actual_id = actual.as_ref().and_then(|a| a.get("id").cloned());
        let mut answer = Answer { messages: Vec::new(), http };
        let mut j = i + 1;
        while let Some(step) = self.t.steps.get(j).cloned() {
            match &step {
                Step::Expect(group) => {
                    for e in group {
                        let mut v = self.play(&e.value);
                        if v.get("method").is_none() && v.get("id").is_some() && v.get("id") == recorded_id.as_ref() {
                            if let Some(id) = &actual_id {
                                v["id"] = id.clone();
                            }
                        }
                        answer.messages.push(v);
                    }
                }
                Step::Eof { .. } => {}
                Step::Send { .. } => break,
            }
            j += 1;
        }
        self.next = j;
        let headers = std::mem::take(&mut answer.http.headers);
        answer.http.headers = headers.into_iter().map(|(k, v)| (k, self.play_text(&v))).collect();
        Ok(answer)
    }

    fn refuse(&mut self, actual: &Option<Value>, reason: String) -> Option<Value> {
        eprintln!("mcp-transcript: {}: {reason}", self.t.name);
        self.failure.get_or_insert(reason.clone());
        let id = actual.as_ref().filter(|a| a.get("method").is_some()).and_then(|a| a.get("id")).cloned()?;
        Some(json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32600,
            "message": format!("mcp-transcript: the message does not match the transcript: {reason}")}}))
    }

    /// An expected value as a concrete message: bound captures are filled in, unbound ones get fresh values, and
    /// the open-object and open-array markers go.
    fn play(&mut self, v: &Value) -> Value {
        match v {
            Value::String(s) => match whole_capture(s) {
                Some(name) => match self.caps.get(name) {
                    Some(bound) => bound.clone(),
                    None => {
                        self.fresh += 1;
                        let fresh = json!(format!("mcp-transcript-{}", self.fresh));
                        self.caps.bind(name, fresh.clone());
                        fresh
                    }
                },
                None => Value::String(self.play_text(s)),
            },
            Value::Object(m) => {
                Value::Object(m.iter().filter(|(k, _)| *k != "...").map(|(k, v)| (k.clone(), self.play(v))).collect())
            }
            Value::Array(a) => {
                Value::Array(a.iter().filter(|x| x.as_str() != Some("...")).map(|x| self.play(x)).collect())
            }
            other => other.clone(),
        }
    }

    /// Text with `${name}` filled in (a session id the transcript captured gets a fresh random value).
    fn play_text(&mut self, s: &str) -> String {
        if let Some(name) = whole_capture(s) {
            if self.caps.get(name).is_none() {
                self.caps.bind(name, json!(crate::seal::random_hex::<16>()));
            }
        }
        super::matcher::substitute(s, &self.caps).unwrap_or_else(|_| s.to_owned())
    }
}

/// `serve` from the command line.
pub fn main(args: Vec<String>) -> Result<i32, String> {
    let (mut file, mut listen) = (None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--listen" => listen = Some(it.next().ok_or("--listen needs HOST:PORT")?),
            f if f.starts_with('-') => return Err(format!("unknown option {f}")),
            _ if file.is_none() => file = Some(a),
            _ => return Err("serve plays one transcript".into()),
        }
    }
    let file = file.ok_or("serve needs a transcript")?;
    let t = format::load(std::path::Path::new(&file)).map_err(|e| format!("malformed transcript: {e}"))?;
    let player = Player::new(t);
    match listen {
        None => Ok(serve_stdio(player)),
        Some(l) => {
            let addr: SocketAddr = l.parse().map_err(|_| format!("--listen needs HOST:PORT, got {l:?}"))?;
            serve_http(player, addr)
        }
    }
}

fn verdict(p: &Player) -> i32 {
    if let Some(f) = &p.failure {
        eprintln!("mcp-transcript: FAIL: {f}");
        EXIT_FAIL
    } else if let Some(line) = p.next_line() {
        eprintln!("mcp-transcript: FAIL: the client stopped before the message of line {line}");
        EXIT_FAIL
    } else {
        EXIT_PASS
    }
}

/// Plays over stdin and stdout until the client closes stdin.
fn serve_stdio(mut p: Player) -> i32 {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    for line in stdin.lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let msgs = match p.handle(&line) {
            Ok(a) => a.messages,
            Err(reply) => reply.into_iter().collect(),
        };
        for m in msgs {
            if writeln!(out, "{m}").and_then(|()| out.flush()).is_err() {
                return verdict(&p);
            }
        }
    }
    verdict(&p)
}

use super::listen::Reply;

/// Plays over Streamable HTTP at `/mcp` until SIGINT or SIGTERM.
fn serve_http(p: Player, addr: SocketAddr) -> Result<i32, String> {
    let p = Arc::new(Mutex::new(p));
    super::listen::runtime()?.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        // One write, so that a reader never sees half of the address.
        let ready = format!("mcp-transcript: serving on http://{local}/mcp");
        eprintln!("{ready}");
        let player = Arc::clone(&p);
        super::listen::serve(listener, move |req| {
            let player = Arc::clone(&player);
            async move { answer_http(&player, req).await }
        })
        .await;
        let p = p.lock().unwrap_or_else(|e| e.into_inner());
        Ok(verdict(&p))
    })
}

async fn answer_http(player: &Mutex<Player>, req: hyper::Request<hyper::body::Incoming>) -> Reply {
    use http_body_util::BodyExt;
    use hyper::Method;
    let respond = |status: u16, ct: &str, body: Vec<u8>| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", ct)
            .body(crate::transport::body::Body::full(body))
            .expect("a response of constant parts is valid")
    };
    if req.uri().path() != "/mcp" {
        return respond(404, "text/plain", b"not found".to_vec());
    }
    match *req.method() {
        Method::POST => {}
        Method::DELETE => return respond(200, "text/plain", Vec::new()),
        _ => {
            let mut r = respond(405, "text/plain", b"method not allowed".to_vec());
            r.headers_mut().insert("allow", hyper::header::HeaderValue::from_static("POST, DELETE"));
            return r;
        }
    }
    let body = match http_body_util::Limited::new(req.into_body(), super::client::MAX_MESSAGE).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return respond(413, "text/plain", e.to_string().into_bytes()),
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let result = player.lock().unwrap_or_else(|e| e.into_inner()).handle(&text);
    let answer = match result {
        Ok(a) => a,
        Err(reply) => {
            let body = reply.map(|r| r.to_string().into_bytes()).unwrap_or_default();
            return respond(400, "application/json", body);
        }
    };
    let (status, ct, body) = match answer.messages.as_slice() {
        [] => (202, "text/plain", Vec::new()),
        [one] => (200, "application/json", one.to_string().into_bytes()),
        many => {
            let mut b = Vec::new();
            for m in many {
                b.extend_from_slice(&crate::transport::body::sse_message(m.to_string().as_bytes()));
            }
            (200, "text/event-stream", b)
        }
    };
    let mut r = respond(answer.http.status.filter(|s| (*s == 202) == (status == 202)).unwrap_or(status), ct, body);
    for (k, v) in &answer.http.headers {
        if k.eq_ignore_ascii_case("content-type") {
            continue;
        }
        if let (Ok(name), Ok(value)) =
            (hyper::header::HeaderName::from_bytes(k.as_bytes()), hyper::header::HeaderValue::from_str(v))
        {
            r.headers_mut().insert(name, value);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_replies_with_the_clients_ids_and_refuses_strays() {
        let t = format::parse(
            "t",
            "< {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n> {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"v\":\"${x}\",\"...\":true}}\n\
             > {\"jsonrpc\":\"2.0\",\"id\":\"${request1}\",\"method\":\"roots/list\"}\n\
             < {\"jsonrpc\":\"2.0\",\"id\":\"${request1}\",\"result\":{}}\n",
        )
        .unwrap();
        let mut p = Player::new(t);
        let a = p.handle(r#"{"jsonrpc":"2.0","id":"c9","method":"ping"}"#).unwrap();
        assert_eq!(a.messages[0], json!({"jsonrpc":"2.0","id":"c9","result":{"v":"mcp-transcript-1"}}));
        let sid = a.messages[1]["id"].clone();
        assert!(p.handle(r#"{"jsonrpc":"2.0","id":"wrong","result":{}}"#).is_err());
        assert!(p.failure.is_some());
        p.failure = None;
        p.handle(&json!({"jsonrpc":"2.0","id":sid,"result":{}}).to_string()).unwrap();
        assert!(p.done());
    }
}
