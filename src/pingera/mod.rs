//! The Pingera REST client: one keep-alive `ureq` agent, credentials passed per request, retries that never
//! duplicate a write.
//!
//! Invariant: this is the only module that performs outbound network I/O, and it runs only on blocking threads.
//! The agent holds no credential: every call names the credential it uses, so requests of different HTTP
//! sessions can share the agent without sharing identities. Error texts never contain a credential, a request
//! body or a response header.

use std::io;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::json;

// The error type and its texts live in their own module so that this one reads as the request path; the re-export
// keeps `pingera::ApiError` where callers found it before.
// The credential is the client's: the configuration and the tools use it from here.
mod body;
mod credential;
mod error;
mod gate;

use body::Body;

pub use credential::{mask_userinfo, Credential, Secret};
pub use error::ApiError;
use gate::Gate;
pub use gate::Permit;

/// The HTTP methods the Pingera API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Create or trigger.
    Post,
    /// Replace.
    Put,
    /// Partial update.
    Patch,
    /// Remove.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether repeating the request has the same effect as sending it once (RFC 9110 section 9.2.2).
    pub fn is_idempotent(self) -> bool {
        matches!(self, Method::Get | Method::Put | Method::Delete)
    }
}

/// One API request: method, path with query string (starting with `/v1/`), optional JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiRequest {
    /// The method.
    pub method: Method,
    /// The path and query, e.g. `/v1/pages?page=1`.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// How much of a successful reply the caller needs.
    pub decode: Decode,
}

/// How much of a successful reply the caller needs decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decode {
    /// All of it. A body of more values than `PINGERA_MAX_JSON_VALUES` is refused; it is counted before it is
    /// decoded.
    Whole,
    /// What a result of at most this many bytes can hold. A reply that may be larger is decoded as it arrives and
    /// never held: each top-level list keeps only its first items that fit in the bytes and in the value limit,
    /// and the rest are read and counted but never built ([`json::decode_within`]).
    Within(usize),
}

/// A successful API reply, decoded as the request asked ([`Decode`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The JSON body; `Null` for an empty body (204).
    pub body: Value,
    /// The lists cut while decoding, with how many items each held (only with [`Decode::Within`]).
    pub cuts: Vec<json::Cut>,
}

/// Decodes a successful reply that was read whole, as `decode` asks.
fn decode_read(status: u16, body: &Body, decode: Decode, max_values: usize) -> Result<ApiResponse, ApiError> {
    let response = |body, cuts| ApiResponse { status, body, cuts };
    if body.is_blank() {
        return Ok(response(Value::Null, Vec::new()));
    }
    let not_json = |_| not_json(status, &body.head(EXCERPT_SOURCE));
    let values = json::value_count(body.pieces());
    match decode {
        Decode::Within(budget) if body.len() > budget || values > max_values => {
            match json::decode_within(body.reader(), json::Budget { bytes: budget, values: max_values }) {
                Ok((value, cuts)) => Ok(response(value, cuts)),
                Err(json::DecodeError::TooManyValues) => Err(ApiError::TooManyValues { limit: max_values }),
                Err(json::DecodeError::Json(e)) => Err(not_json(e)),
            }
        }
        _ if values > max_values => Err(ApiError::TooManyValues { limit: max_values }),
        _ => match body.as_single() {
            Some(bytes) => serde_json::from_slice(bytes),
            None => serde_json::from_reader(body.reader()),
        }
        .map(|v| response(v, Vec::new()))
        .map_err(not_json),
    }
}

fn not_json(status: u16, head: &[u8]) -> ApiError {
    ApiError::InvalidResponse(format!(
        "status {status} with a body that is not JSON: {}",
        excerpt(&String::from_utf8_lossy(head))
    ))
}

/// What a call reports while it runs, so that the session can log it and send progress.
#[derive(Debug, Clone, Copy)]
pub enum ApiEvent<'a> {
    /// An attempt is about to be sent (attempt 1 is the first).
    Sending {
        /// The method.
        method: Method,
        /// The path and query.
        path: &'a str,
        /// Which attempt.
        attempt: u32,
    },
    /// The attempt failed in a way that is retried after `delay`.
    Retrying {
        /// Why (a status or an I/O problem).
        reason: &'a str,
        /// How long the call waits.
        delay: Duration,
    },
    /// The API answered.
    Answered {
        /// The HTTP status.
        status: u16,
        /// Time since the first attempt.
        elapsed: Duration,
    },
}

/// The caller's side of a call: it hears events and decides whether a wait before a retry may go on.
pub trait Observer {
    /// An event of the call.
    fn event(&self, event: ApiEvent<'_>);
    /// Waits `d` before a retry; returns false when the request was cancelled meanwhile.
    fn wait(&self, d: Duration) -> bool;
}

/// An observer that hears nothing and waits with a plain sleep.
pub struct Quiet;

impl Observer for Quiet {
    fn event(&self, _event: ApiEvent<'_>) {}
    fn wait(&self, d: Duration) -> bool {
        std::thread::sleep(d);
        true
    }
}

/// The first retry waits about this long; each further one doubles it.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// No wait between retries is longer than this, and a longer `Retry-After` is not waited for.
const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// The Pingera API client. Cloning is cheap: the agent, its connection pool and the upstream gate are shared.
#[derive(Clone)]
pub struct ApiClient {
    agent: ureq::Agent,
    base_url: String,
    /// The base URL with any user info masked, for logs and error texts.
    shown_url: String,
    timeout: Duration,
    max_retries: u32,
    max_reply: u64,
    max_values: usize,
    gate: Gate,
}

/// What the client needs to know: the API's address and its own limits (the application fills it from the
/// configuration, so the client knows nothing of how settings are read).
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The API base URL, without its `/v1`.
    pub base_url: String,
    /// The bound on each phase of a request.
    pub timeout: Duration,
    /// Retries of failed idempotent requests.
    pub max_retries: u32,
    /// The most requests at once, and the most pooled connections.
    pub max_upstream: usize,
    /// The largest reply body read, in bytes.
    pub max_reply_bytes: u64,
    /// The most JSON values in a reply decoded whole.
    pub max_json_values: usize,
}

impl ApiClient {
    /// A client for the given base URL, timeout, retry count and limits.
    pub fn new(config: &ClientOptions) -> ApiClient {
        // Each phase of a request (connect, send, wait for the reply, read its body) is bounded by the timeout. A
        // global or per-call deadline would make ureq resolve every host name on a thread of its own, which costs a
        // thread start per request; name resolution is left to the system resolver's own timeout instead.
        let t = Some(config.timeout);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(t)
            .timeout_send_request(t)
            .timeout_send_body(t)
            .timeout_recv_response(t)
            .timeout_recv_body(t)
            // One idle keep-alive connection per permit of the gate: never more connections than requests may run
            // at once, and never a new connection while a permit's old one could be reused.
            .max_idle_connections(config.max_upstream)
            .max_idle_connections_per_host(config.max_upstream)
            .max_idle_age(gate::IDLE_AGE)
            .http_status_as_error(false)
            .user_agent(concat!("pingera-mcp/", env!("CARGO_PKG_VERSION")))
            .max_redirects(0)
            .build()
            .into();
        ApiClient {
            agent,
            base_url: config.base_url.clone(),
            shown_url: mask_userinfo(&config.base_url),
            timeout: config.timeout,
            max_retries: config.max_retries,
            max_reply: config.max_reply_bytes,
            max_values: config.max_json_values,
            gate: Gate::new(config.max_upstream),
        }
    }

    /// The configured base URL as it may be shown: user info masked.
    pub fn shown_url(&self) -> &str {
        &self.shown_url
    }

    /// Waits, in FIFO order, for permission to talk to the API (`PINGERA_MAX_UPSTREAM` at once per process).
    /// Dropping the future gives up the place in the queue, so a cancelled request waits no longer.
    pub async fn permit(&self) -> Permit {
        self.gate.acquire().await
    }

    /// Sends a request with the given credential, retrying what may safely be retried.
    ///
    /// Retries (at most `max_retries`, exponential backoff with jitter): GET, PUT and DELETE on a connection failure,
    /// 429 (honouring `Retry-After`), 502, 503 and 504. POST and PATCH are retried only when the connection failed
    /// before the request was sent, so a create is never performed twice. Timeouts are not retried: a call ends
    /// within the configured timeout per attempt.
    ///
    /// # Errors
    /// [`ApiError`], whose message is safe to show.
    pub fn send(
        &self,
        permit: &Permit,
        req: &ApiRequest,
        credential: Option<&Credential>,
        observer: &dyn Observer,
    ) -> Result<ApiResponse, ApiError> {
        let credential = credential.ok_or(ApiError::NoCredential)?;
        self.send_with(permit, req, credential, observer).map_err(|e| e.masking(credential.secret()))
    }

    fn send_with(
        &self,
        permit: &Permit,
        req: &ApiRequest,
        credential: &Credential,
        observer: &dyn Observer,
    ) -> Result<ApiResponse, ApiError> {
        let started = Instant::now();
        let body = req.body.as_ref().map(|b| serde_json::to_vec(b).expect("a JSON value always serialises"));
        let mut attempt = 0;
        loop {
            attempt += 1;
            observer.event(ApiEvent::Sending { method: req.method, path: &req.path, attempt });
            let outcome = self.send_once(req, body.as_deref(), credential);
            if outcome.as_ref().is_ok_and(|r| r.kept_alive) {
                permit.replied();
            }
            let retries_left = attempt <= self.max_retries;
            let (reason, delay) = match outcome {
                Ok(Reply { status, retry_after, .. })
                    if retries_left && req.method.is_idempotent() && matches!(status, 429 | 502 | 503 | 504) =>
                {
                    let delay = match retry_after {
                        Some(d) if d > BACKOFF_CAP => {
                            return self.finish(outcome, started, observer);
                        }
                        Some(d) => d,
                        None => backoff(attempt),
                    };
                    (format!("status {status}"), delay)
                }
                Err(Failure { sent, ref detail, timeout: false, too_large: false })
                    if retries_left && (!sent || req.method.is_idempotent()) =>
                {
                    (detail.clone(), backoff(attempt))
                }
                _ => return self.finish(outcome, started, observer),
            };
            observer.event(ApiEvent::Retrying { reason: &reason, delay });
            log::warn!(
                "{} {}: {reason}; retry {attempt} of {} in {delay:?}",
                req.method.as_str(),
                req.path,
                self.max_retries
            );
            if !observer.wait(delay) {
                return Err(ApiError::Cancelled);
            }
        }
    }

    fn finish(
        &self,
        outcome: Result<Reply, Failure>,
        started: Instant,
        observer: &dyn Observer,
    ) -> Result<ApiResponse, ApiError> {
        match outcome {
            Ok(reply) => {
                observer.event(ApiEvent::Answered { status: reply.status, elapsed: started.elapsed() });
                reply.into_result(self.max_values)
            }
            Err(Failure { too_large: true, .. }) => Err(ApiError::TooLarge { limit: self.max_reply }),
            Err(Failure { timeout: true, .. }) => {
                Err(ApiError::Timeout { base_url: self.shown_url.clone(), seconds: self.timeout.as_secs_f64() })
            }
            Err(Failure { detail, .. }) => Err(ApiError::Connection { base_url: self.shown_url.clone(), detail }),
        }
    }

    fn send_once(&self, req: &ApiRequest, body: Option<&[u8]>, credential: &Credential) -> Result<Reply, Failure> {
        let url = format!("{}{}", self.base_url, req.path);
        let builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(&url)
            .header("Authorization", credential.header_value())
            .header("Accept", "application/json");
        let result = match body {
            Some(b) => {
                let request = builder
                    .header("Content-Type", "application/json")
                    .body(b.to_vec())
                    .map_err(|e| Failure::not_sent(format!("invalid request: {e}")))?;
                self.agent.run(request)
            }
            None => {
                let request = builder.body(()).map_err(|e| Failure::not_sent(format!("invalid request: {e}")))?;
                self.agent.run(request)
            }
        };
        let mut response = result.map_err(Failure::from_ureq)?;
        let status = response.status().as_u16();
        // Whether the connection goes back to the pool: HTTP/1.1 unless the server says close, HTTP/1.0 only if it
        // says keep-alive. Only such replies let the upstream gate grow (gate.rs).
        let connection = response.headers().get("connection").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let kept_alive = if response.version() == ureq::http::Version::HTTP_10 {
            connection.eq_ignore_ascii_case("keep-alive")
        } else {
            !connection.eq_ignore_ascii_case("close")
        };
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // The size is judged before anything is decoded: a declared length over the cap ends the call at once, and
        // an undeclared one is read into one buffer that stops at the cap. The body is decoded from that buffer
        // alone, so a call holds at most the cap in raw bytes.
        let declared = response.body().content_length();
        if declared.is_some_and(|n| n > self.max_reply) {
            return Err(Failure::too_large());
        }
        let mut reader = response.body_mut().with_config().limit(self.max_reply).reader();
        let read = match req.decode {
            // A success that may be larger than the result it feeds is decoded as it arrives: nothing of it is
            // held but the items kept, and the first bytes for an error text.
            Decode::Within(budget) if (200..300).contains(&status) && declared.is_none_or(|n| n > budget as u64) => {
                // The decoder reads a byte at a time; the buffer turns that into reads of the socket's size.
                let mut head = Head::new(io::BufReader::with_capacity(body::PIECE, &mut reader));
                let budget = json::Budget { bytes: budget, values: self.max_values };
                Read::Decoded(match json::decode_within(&mut head, budget) {
                    Ok((value, cuts)) => Ok(ApiResponse { status, body: value, cuts }),
                    // A failed read (over the cap, a timeout, a broken connection) is judged like one of a body read
                    // whole: the same errors, the same retries.
                    Err(json::DecodeError::Json(e)) if e.is_io() => {
                        return Err(Failure::from_ureq(ureq::Error::from(io::Error::from(e))))
                    }
                    Err(json::DecodeError::TooManyValues) => Err(ApiError::TooManyValues { limit: self.max_values }),
                    Err(_) if head.bytes.iter().all(u8::is_ascii_whitespace) => {
                        Ok(ApiResponse { status, body: Value::Null, cuts: Vec::new() })
                    }
                    Err(_) => Err(not_json(status, &head.rest())),
                })
            }
            _ => match Body::read_from(&mut reader).map_err(ureq::Error::from) {
                Ok(body) => Read::Whole(body),
                Err(ureq::Error::BodyExceedsLimit(_)) => return Err(Failure::too_large()),
                Err(e) => return Err(Failure::from_ureq(e)),
            },
        };
        Ok(Reply { status, retry_after, kept_alive, read, decode: req.decode })
    }
}

/// A reply as received, before it is judged.
struct Reply {
    status: u16,
    retry_after: Option<Duration>,
    /// Whether the connection stays open for the next request.
    kept_alive: bool,
    read: Read,
    /// What the request asked for, for a body read whole.
    decode: Decode,
}

/// A reply's body as it was read.
enum Read {
    /// Read whole (every error reply, and every success that fits the result it feeds).
    Whole(Body),
    /// Decoded as it arrived ([`Decode::Within`]), or why that failed.
    Decoded(Result<ApiResponse, ApiError>),
}

/// A reader that keeps the first bytes it passes on, for the error text of a body that is not JSON.
struct Head<R> {
    inner: R,
    bytes: Vec<u8>,
}

impl<R: io::Read> Head<R> {
    fn new(inner: R) -> Head<R> {
        Head { inner, bytes: Vec::new() }
    }

    /// The first bytes, read on past where decoding stopped (a few bytes in, for most bodies that are not JSON),
    /// so that the error text shows what the body was.
    fn rest(mut self) -> Vec<u8> {
        let mut buf = [0u8; 512];
        while self.bytes.len() < EXCERPT_SOURCE && io::Read::read(&mut self, &mut buf).is_ok_and(|n| n > 0) {}
        self.bytes
    }
}

impl<R: io::Read> io::Read for Head<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = EXCERPT_SOURCE.saturating_sub(self.bytes.len()).min(n);
        self.bytes.extend_from_slice(&buf[..room]);
        Ok(n)
    }
}

impl Reply {
    fn into_result(self, max_values: usize) -> Result<ApiResponse, ApiError> {
        let body = match self.read {
            Read::Decoded(decoded) => return decoded,
            Read::Whole(body) => body,
        };
        if (200..300).contains(&self.status) {
            return decode_read(self.status, &body, self.decode, max_values);
        }
        let blank = body.is_blank();
        // An error body is decoded only when it is small enough to decode whole; otherwise it is shown as text.
        let parsed: Option<Value> = match body.as_single() {
            Some(bytes) if !blank && json::value_count([bytes]) <= max_values => serde_json::from_slice(bytes).ok(),
            _ => None,
        };
        let text = String::from_utf8_lossy(&body.head(EXCERPT_SOURCE)).into_owned();
        // The API's error body is flask-smorest's {"code","status","message","errors"}; anything else is shown as
        // a short excerpt.
        let (message, errors) = match &parsed {
            Some(Value::Object(o)) => (
                o.get("message").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| excerpt(&text)),
                o.get("errors").filter(|e| !e.is_null() && e.as_object().is_none_or(|m| !m.is_empty())).cloned(),
            ),
            _ if blank => ("no details given".to_owned(), None),
            _ => (excerpt(&text), None),
        };
        Err(match self.status {
            401 | 403 => ApiError::Auth { status: self.status, message },
            status => ApiError::Status { status, message, errors },
        })
    }
}

/// A failed exchange: whether the request may have reached the API, whether it was a timeout, and whether the
/// reply was over the size cap (never retried).
struct Failure {
    sent: bool,
    timeout: bool,
    too_large: bool,
    detail: String,
}

impl Failure {
    fn not_sent(detail: String) -> Failure {
        Failure { sent: false, timeout: false, too_large: false, detail }
    }

    fn too_large() -> Failure {
        Failure { sent: true, timeout: false, too_large: true, detail: String::new() }
    }

    fn sent(timeout: bool, detail: String) -> Failure {
        Failure { sent: true, timeout, too_large: false, detail }
    }

    fn from_ureq(e: ureq::Error) -> Failure {
        use ureq::Error as E;
        match e {
            E::Timeout(t) => Failure {
                sent: !matches!(t, ureq::Timeout::Resolve | ureq::Timeout::Connect),
                timeout: true,
                too_large: false,
                detail: format!("timeout ({t:?})"),
            },
            E::HostNotFound => Failure::not_sent("host not found".to_owned()),
            E::ConnectionFailed => Failure::not_sent("connection failed".to_owned()),
            E::Io(io) => Failure {
                // Only a refused or unroutable connect proves that nothing was sent.
                sent: !matches!(
                    io.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::AddrNotAvailable
                        | io::ErrorKind::NetworkUnreachable
                        | io::ErrorKind::HostUnreachable
                ),
                timeout: matches!(io.kind(), io::ErrorKind::TimedOut),
                too_large: false,
                detail: io_detail(&io),
            },
            E::BodyExceedsLimit(_) => Failure::too_large(),
            other => Failure::sent(false, other.to_string()),
        }
    }
}

fn io_detail(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        io::ErrorKind::ConnectionReset => "connection reset by the server".to_owned(),
        io::ErrorKind::UnexpectedEof => "the server closed the connection without a reply".to_owned(),
        io::ErrorKind::BrokenPipe => "the server closed the connection".to_owned(),
        _ => e.to_string(),
    }
}

/// At most 300 characters of a body, on one line.
/// The bytes of a body an excerpt is taken from: enough for its 300 characters after whitespace is collapsed.
const EXCERPT_SOURCE: usize = 4096;

fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

/// Exponential backoff with "equal jitter": half the delay is fixed, half is random, so that many clients that
/// failed together do not retry together.
fn backoff(attempt: u32) -> Duration {
    let full = BACKOFF_BASE.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(BACKOFF_CAP);
    let half = full / 2;
    half + half.mul_f64(random_fraction())
}

/// A number in [0, 1) from the standard library's randomly keyed hasher; jitter needs no stronger randomness.
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let d = backoff(attempt);
            let full = BACKOFF_BASE.saturating_mul(1 << (attempt - 1).min(16)).min(BACKOFF_CAP);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn error_bodies_become_messages() {
        let reply = |status: u16, bytes: &[u8], decode: Decode| Reply {
            status,
            retry_after: None,
            kept_alive: true,
            read: Read::Whole(Body::from_bytes(bytes)),
            decode,
        };
        let r = reply(422, br#"{"code":422,"status":"Unprocessable Entity","message":"Validation error","errors":{"json":{"name":["Missing data"]}}}"#, Decode::Whole);
        let e = r.into_result(1000).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Pingera API error 422 Unprocessable Entity: Validation error; field errors: {"json":{"name":["Missing data"]}}"#
        );
        let r = reply(401, br#"{"code":401,"message":"Invalid credentials"}"#, Decode::Whole);
        assert!(matches!(r.into_result(1000), Err(ApiError::Auth { status: 401, .. })));
        let r = reply(200, b"<html>", Decode::Whole);
        assert!(matches!(r.into_result(1000), Err(ApiError::InvalidResponse(_))));
        let r = reply(204, b"", Decode::Within(10));
        assert_eq!(r.into_result(1000).unwrap().body, Value::Null);
        let many = format!("[{}]", vec!["0"; 2000].join(","));
        let r = reply(200, many.as_bytes(), Decode::Whole);
        assert!(matches!(r.into_result(1000), Err(ApiError::TooManyValues { limit: 1000 })));
        // Decoded for a small result, the same reply is cut instead, and says by how much.
        let r = reply(200, many.as_bytes(), Decode::Within(100)).into_result(1000).unwrap();
        assert_eq!((r.body.as_array().map(Vec::len), r.cuts[0].items), (Some(50), 2000));
    }

    #[test]
    fn a_streamed_body_keeps_its_head_for_the_error_text() {
        let text = b"not json at all";
        let mut head = Head::new(&text[..]);
        assert!(json::decode_within(&mut head, json::Budget { bytes: 10, values: 10 }).is_err());
        assert_eq!(head.rest(), text);
    }

    #[test]
    fn excerpt_is_bounded() {
        let long = "x ".repeat(1000);
        assert!(excerpt(&long).len() < 310);
    }
}
