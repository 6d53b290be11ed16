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

// The error type and its texts live in their own module so that this one reads as the request path; the re-export
// keeps `pingera::ApiError` where callers found it before. What a reply becomes (read whole in pieces, or decoded
// as it arrives, then judged) is `reply`, with `body` holding the pieces.
// The credential is the client's: the configuration and the tools use it from here.
mod body;
mod credential;
mod error;
mod gate;
mod reply;

use reply::Reply;
pub use reply::{ApiResponse, Decode};

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
        // a body that passes the cap while it is read ends it there.
        let declared = response.body().content_length();
        if declared.is_some_and(|n| n > self.max_reply) {
            return Err(Failure::too_large());
        }
        let mut reader = response.body_mut().with_config().limit(self.max_reply).reader();
        let read = match reply::read(&mut reader, status, declared, req.decode, self.max_values) {
            Ok(read) => read,
            Err(ureq::Error::BodyExceedsLimit(_)) => return Err(Failure::too_large()),
            Err(e) => return Err(Failure::from_ureq(e)),
        };
        Ok(Reply { status, retry_after, kept_alive, read, decode: req.decode })
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
}
