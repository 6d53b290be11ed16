//! The HTTP side of the double: the accept loop, per-request plumbing (body limit, request log, in-flight
//! counting, latency and fault injection, auth) and the `/__double/` control API.
//!
//! Invariant: the store, log and fault locks are `std::sync::Mutex`es taken only in short synchronous
//! sections, never across an await; control paths are neither logged, counted nor subject to faults.

use super::router::{self, ApiError, ApiRequest, Body, Reply};
use super::seed;
use super::store::{format_unix, Store};
use super::RecordedRequest;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Request bodies above this size are refused with 413.
pub const MAX_BODY: usize = 1 << 20;
/// How long a "hang" fault holds a request at most, so that nothing lives forever.
pub const HANG_CAP: Duration = Duration::from_secs(600);

/// The largest reply `inflate_next` builds: enough to pass any client's reply cap, small enough for a test machine.
pub const INFLATE_CAP: usize = 256 << 20;

/// The state every connection shares: store, request log, fault switches and counters. Cloning is cheap
/// (an `Arc`); all clones see the same double.
#[derive(Clone)]
pub struct DoubleState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    log: Mutex<Vec<RecordedRequest>>,
    faults: Mutex<Faults>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicU64,
    accepted: Option<Vec<String>>,
    shutdown: watch::Sender<bool>,
}

/// The fault switches. A request consumes at most one fault, checked in the order fail, drop, hang.
#[derive(Clone, Debug, Default, Serialize)]
struct Faults {
    latency_ms: u64,
    fail_next: Option<FailNext>,
    drop_next: usize,
    hang_next: usize,
    echo_auth_next: usize,
    inflate_next: Option<InflateNext>,
}

/// Makes the next `count` successful list replies at least `bytes` long, by repeating their items.
#[derive(Clone, Debug, Serialize)]
struct InflateNext {
    count: usize,
    bytes: usize,
}

#[derive(Clone, Debug, Serialize)]
struct FailNext {
    count: usize,
    status: u16,
    retry_after: Option<u64>,
}

enum Fault {
    Fail(u16, Option<u64>),
    Drop,
    Hang,
    EchoAuth,
}

/// Returned by the service to make hyper close the connection without writing any response.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

type HttpResponse = Response<Full<Bytes>>;

/// Locks a mutex, recovering the data if a panicking thread poisoned it: the double keeps serving.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl DoubleState {
    /// A seeded double. `accepted` restricts the `Authorization` values it takes (any non-empty value when
    /// `None`); `base_url` is where it will listen, for heartbeat ping URLs ([`serve`] corrects it).
    pub fn new(accepted: Option<Vec<String>>, latency: Duration, base_url: &str) -> DoubleState {
        let faults = Faults { latency_ms: latency.as_millis() as u64, ..Faults::default() };
        DoubleState {
            inner: Arc::new(Inner {
                store: Mutex::new(seed::seeded(base_url)),
                log: Mutex::new(Vec::new()),
                faults: Mutex::new(faults),
                in_flight: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                total: AtomicU64::new(0),
                accepted,
                shutdown: watch::channel(false).0,
            }),
        }
    }

    /// Every API request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.inner.log).clone()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        lock(&self.inner.log).clear();
    }

    /// Delay added before every API request is answered.
    pub fn set_latency(&self, d: Duration) {
        lock(&self.inner.faults).latency_ms = d.as_millis() as u64;
    }

    /// Answers the next `count` API requests with `status` (error body, optional `Retry-After` seconds).
    pub fn fail_next(&self, count: usize, status: u16, retry_after: Option<u64>) {
        lock(&self.inner.faults).fail_next = (count > 0).then_some(FailNext { count, status, retry_after });
    }

    /// Closes the connection of the next `count` API requests without any response.
    pub fn drop_next(&self, count: usize) {
        lock(&self.inner.faults).drop_next = count;
    }

    /// Never answers the next `count` API requests (until the client leaves, the server stops or
    /// [`HANG_CAP`] passes).
    pub fn hang_next(&self, count: usize) {
        lock(&self.inner.faults).hang_next = count;
    }

    /// Answers the next `count` API requests with a 401 whose message quotes the `Authorization` header back.
    pub fn echo_auth_next(&self, count: usize) {
        lock(&self.inner.faults).echo_auth_next = count;
    }

    /// Makes the next `count` successful replies that hold a list at least `bytes` long (at most [`INFLATE_CAP`]):
    /// the list's items are repeated, each copy with a distinct `id`, as an API answering a huge page would.
    pub fn inflate_next(&self, count: usize, bytes: usize) {
        lock(&self.inner.faults).inflate_next =
            (count > 0).then_some(InflateNext { count, bytes: bytes.min(INFLATE_CAP) });
    }

    /// The size an inflated reply is to reach, if the next successful list reply is to be inflated.
    fn take_inflation(&self) -> Option<usize> {
        let mut f = lock(&self.inner.faults);
        let inflate = f.inflate_next.as_mut()?;
        let bytes = inflate.bytes;
        inflate.count -= 1;
        if inflate.count == 0 {
            f.inflate_next = None;
        }
        Some(bytes)
    }

    /// API requests being handled right now.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::SeqCst)
    }

    /// The most API requests that were ever in flight at once since start or the last reset.
    pub fn peak_in_flight(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }

    /// API requests received since start or the last reset.
    pub fn total_requests(&self) -> u64 {
        self.inner.total.load(Ordering::SeqCst)
    }

    /// Reseeds the store and clears the log, the faults (latency included) and the counters.
    pub fn reset(&self) {
        {
            let mut store = lock(&self.inner.store);
            let base = store.base_url.clone();
            *store = seed::seeded(&base);
        }
        self.clear_requests();
        *lock(&self.inner.faults) = Faults::default();
        self.inner.peak.store(self.in_flight(), Ordering::SeqCst);
        self.inner.total.store(0, Ordering::SeqCst);
    }

    /// The whole store as JSON, secret values included: `{"pages":[...], "components":[...], ...}`.
    pub fn state(&self) -> Value {
        serde_json::to_value(&*lock(&self.inner.store)).unwrap_or(Value::Null)
    }

    /// Makes [`serve`] return, ends every open connection and releases hanging requests.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Points heartbeat ping URLs at `base_url`.
    fn set_base_url(&self, base_url: &str) {
        let mut store = lock(&self.inner.store);
        if store.base_url == base_url {
            return;
        }
        store.base_url = base_url.to_string();
        for hb in store.heartbeats.iter_mut() {
            let id = hb.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            hb.insert("ping_url".into(), json!(format!("{base_url}/v1/heartbeats/{id}/ping")));
        }
    }

    /// Counts a request as in flight until the guard drops (also when hyper cancels the request).
    fn enter(&self) -> InFlight<'_> {
        let now = self.inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.peak.fetch_max(now, Ordering::SeqCst);
        self.inner.total.fetch_add(1, Ordering::SeqCst);
        InFlight(&self.inner)
    }

    /// The latency to add and the fault (if any) this request consumes.
    fn take_fault(&self) -> (Duration, Option<Fault>) {
        let mut f = lock(&self.inner.faults);
        let latency = Duration::from_millis(f.latency_ms);
        if let Some(fail) = f.fail_next.as_mut() {
            let fault = Fault::Fail(fail.status, fail.retry_after);
            fail.count -= 1;
            if fail.count == 0 {
                f.fail_next = None;
            }
            return (latency, Some(fault));
        }
        if f.drop_next > 0 {
            f.drop_next -= 1;
            return (latency, Some(Fault::Drop));
        }
        if f.hang_next > 0 {
            f.hang_next -= 1;
            return (latency, Some(Fault::Hang));
        }
        if f.echo_auth_next > 0 {
            f.echo_auth_next -= 1;
            return (latency, Some(Fault::EchoAuth));
        }
        (latency, None)
    }

    async fn stopped(&self) {
        let mut rx = self.inner.shutdown.subscribe();
        // An error means the sender is gone, which cannot happen while `self` holds it; either way, stop.
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

struct InFlight<'a>(&'a Inner);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves the double on `listener` until [`DoubleState::shutdown`] is called. Each connection is HTTP/1.1
/// with keep-alive and `TCP_NODELAY`.
pub async fn serve(listener: TcpListener, state: DoubleState) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    state.set_base_url(&format!("http://{addr}"));
    loop {
        tokio::select! {
            _ = state.stopped() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(serve_connection(stream, peer, state.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly instead of spinning.
                    log::warn!("pingera-api-double: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, state: DoubleState) {
    if let Err(e) = stream.set_nodelay(true) {
        log::debug!("pingera-api-double: set_nodelay failed: {e}");
    }
    let svc_state = state.clone();
    let service = service_fn(move |req| handle(svc_state.clone(), peer, req));
    let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = conn => {
            if let Err(e) = result {
                log::debug!("pingera-api-double: connection from {peer} ended: {e}");
            }
        }
        _ = state.stopped() => {}
    }
}

async fn handle(state: DoubleState, peer: SocketAddr, req: Request<Incoming>) -> Result<HttpResponse, DropConnection> {
    let path = req.uri().path().to_string();
    if path == "/__double" || path.starts_with("/__double/") {
        return control(&state, req, &path).await;
    }
    let _in_flight = state.enter();
    let method = req.method().as_str().to_string();
    let query = req.uri().query().map(String::from);
    let header =
        |name| req.headers().get(name).map(|v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (authorization, user_agent) = (header(AUTHORIZATION), header(USER_AGENT));
    let raw = read_body(req.into_body()).await;
    let body = match &raw {
        Ok(bytes) if bytes.is_empty() => Body::Empty,
        Ok(bytes) => serde_json::from_slice(bytes).map(Body::Json).unwrap_or(Body::Invalid),
        Err(_) => Body::Empty,
    };
    let logged_body = match (&raw, &body) {
        (_, Body::Json(v)) => Some(v.clone()),
        (Ok(bytes), Body::Invalid) => Some(Value::String(String::from_utf8_lossy(bytes).into_owned())),
        _ => None,
    };
    lock(&state.inner.log).push(RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        body: logged_body,
        authorization: authorization.clone(),
        received_at: now_millis(),
    });
    log::debug!("pingera-api-double: {method} {path}");

    if let Some(outcome) = delay_and_inject(&state, authorization.as_deref()).await {
        return outcome;
    }
    match raw {
        Err(BodyError::TooLarge) => {
            return Ok(error_response(&ApiError::new(413, "Request body is larger than 1 MiB")))
        }
        Err(BodyError::Io) => return Err(DropConnection),
        Ok(_) => {}
    }

    let Some(rest) = path.strip_prefix("/v1/") else {
        return Ok(error_response(&ApiError::new(404, "The requested URL was not found on the server.")));
    };
    let api_req = ApiRequest {
        method,
        segments: rest.split('/').map(|s| percent_decode(s, false)).collect(),
        query: parse_query(query.as_deref().unwrap_or("")),
        body,
        peer: Some(peer),
        user_agent,
    };
    if !router::is_public(&api_req.method, &api_req.segments) {
        if let Err(e) = state.authorize(authorization.as_deref()) {
            return Ok(error_response(&e));
        }
    }
    let result = {
        let mut store = lock(&state.inner.store);
        router::route(&mut store, &api_req)
    };
    Ok(match result {
        Ok(mut reply) => {
            if let Some(body) = reply.body.as_mut().filter(|b| list_of(b).is_some_and(|l| !l.is_empty())) {
                if let Some(bytes) = state.take_inflation() {
                    inflate(body, bytes);
                }
            }
            reply_response(&reply)
        }
        Err(e) => error_response(&e),
    })
}

/// The list of a reply: a bare array, or the first array field of an object envelope.
fn list_of(body: &Value) -> Option<&Vec<Value>> {
    match body {
        Value::Array(items) => Some(items),
        Value::Object(map) => map.values().find_map(Value::as_array),
        _ => None,
    }
}

/// Repeats the items of a reply's (non-empty) list until the reply encodes to at least `bytes`; each copy's `id`
/// gets a suffix so that the records stay distinct.
fn inflate(body: &mut Value, bytes: usize) {
    let list = match body {
        Value::Array(items) => items,
        Value::Object(map) => match map.values_mut().find_map(Value::as_array_mut) {
            Some(items) => items,
            None => return,
        },
        _ => return,
    };
    let originals = list.clone();
    // Each round adds about what the original items encode to (with their separators).
    let per_round: usize = originals.iter().map(|v| v.to_string().len() + 1).sum::<usize>().max(1);
    let mut size = per_round;
    let mut copy = 0usize;
    while size < bytes {
        copy += 1;
        for item in &originals {
            let mut item = item.clone();
            if let Some(Value::String(id)) = item.get_mut("id") {
                id.push_str(&format!("-{copy}"));
            }
            list.push(item);
        }
        size += per_round;
    }
}

/// Sleeps the configured latency, then applies the fault this request consumes, if any: `Some` is the
/// faulted outcome, `None` lets the request through.
async fn delay_and_inject(
    state: &DoubleState,
    authorization: Option<&str>,
) -> Option<Result<HttpResponse, DropConnection>> {
    let (latency, fault) = state.take_fault();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault? {
        Fault::Fail(status, retry_after) => {
            let mut resp = error_response(&ApiError::new(status, "Injected failure"));
            if let Some(secs) = retry_after {
                resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            Some(Ok(resp))
        }
        Fault::Drop => Some(Err(DropConnection)),
        // A careless API (or proxy) that quotes the credential back, which the real one must not be trusted not to do.
        Fault::EchoAuth => Some(Ok(error_response(&ApiError::new(
            401,
            &format!("Invalid credentials: {}", authorization.unwrap_or_default()),
        )))),
        Fault::Hang => {
            // hyper drops this future when the client closes the connection; otherwise the cap or a
            // shutdown ends it, and the connection is closed without an answer.
            tokio::select! {
                _ = tokio::time::sleep(HANG_CAP) => {}
                _ = state.stopped() => {}
            }
            Some(Err(DropConnection))
        }
    }
}

impl DoubleState {
    /// Missing or empty header → "Missing Authorization header"; a value outside the accepted list →
    /// "Invalid credentials". The value itself is never echoed.
    fn authorize(&self, header: Option<&str>) -> Result<(), ApiError> {
        let value = header.map(str::trim).filter(|v| !v.is_empty());
        let Some(value) = value else {
            return Err(ApiError::new(401, "Missing Authorization header"));
        };
        match &self.inner.accepted {
            Some(list) if !list.iter().any(|a| a == value) => Err(ApiError::new(401, "Invalid credentials")),
            _ => Ok(()),
        }
    }
}

enum BodyError {
    TooLarge,
    Io,
}

async fn read_body(body: Incoming) -> Result<Bytes, BodyError> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Io),
    }
}

// ---- Control API ---------------------------------------------------------------------------------------

/// `/__double/…`: inspect and steer the double over HTTP, without auth.
async fn control(state: &DoubleState, req: Request<Incoming>, path: &str) -> Result<HttpResponse, DropConnection> {
    let method = req.method().as_str().to_string();
    let what = path.trim_start_matches("/__double").trim_matches('/').to_string();
    let body = read_body(req.into_body()).await;
    let not_allowed = |allow: &str| {
        let mut e = ApiError::new(405, "The method is not allowed for the requested URL.");
        e.allow = Some(allow.into());
        Ok(error_response(&e))
    };
    let ok = |v: Value| Ok(reply_response(&Reply { status: 200, body: Some(v) }));
    let no_content = || Ok(reply_response(&Reply { status: 204, body: None }));
    match (what.as_str(), method.as_str()) {
        ("requests", "GET") => ok(serde_json::to_value(state.requests()).unwrap_or(Value::Null)),
        ("requests", "DELETE") => {
            state.clear_requests();
            no_content()
        }
        ("requests", _) => not_allowed("GET, DELETE"),
        ("faults", "GET") => ok(serde_json::to_value(lock(&state.inner.faults).clone()).unwrap_or(Value::Null)),
        ("faults", "POST") => {
            let bytes = match body {
                Ok(b) => b,
                Err(BodyError::TooLarge) => {
                    return Ok(error_response(&ApiError::new(413, "Request body is larger than 1 MiB")))
                }
                Err(BodyError::Io) => return Err(DropConnection),
            };
            let parsed = if bytes.is_empty() { Ok(json!({})) } else { serde_json::from_slice(&bytes) };
            let Ok(spec) = parsed else {
                return Ok(error_response(&ApiError::new(400, "Invalid JSON body")));
            };
            match state.apply_faults(&spec) {
                Ok(()) => ok(serde_json::to_value(lock(&state.inner.faults).clone()).unwrap_or(Value::Null)),
                Err(e) => Ok(error_response(&e)),
            }
        }
        ("faults", _) => not_allowed("GET, POST"),
        ("state", "GET") => ok(state.state()),
        ("state", _) => not_allowed("GET"),
        ("reset", "POST") => {
            state.reset();
            no_content()
        }
        ("reset", _) => not_allowed("POST"),
        ("stats", "GET") => ok(json!({
            "in_flight": state.in_flight(),
            "peak_in_flight": state.peak_in_flight(),
            "total": state.total_requests(),
        })),
        ("stats", _) => not_allowed("GET"),
        _ => Ok(error_response(&ApiError::not_found("Control endpoint"))),
    }
}

impl DoubleState {
    /// Applies `{"latency_ms", "fail_next": {count, status, retry_after}, "drop_next", "hang_next", "inflate_next":
    /// {count, bytes}}`; every key is optional and leaves its switch alone when absent (`"fail_next": null` and
    /// `"inflate_next": null` clear theirs). Nothing
    /// changes unless the whole body is valid.
    fn apply_faults(&self, spec: &Value) -> Result<(), ApiError> {
        let Some(map) = spec.as_object() else {
            return Err(ApiError::invalid_json_field("_schema", "Invalid input type."));
        };
        if let Some(key) = map
            .keys()
            .find(|k| !["latency_ms", "fail_next", "drop_next", "hang_next", "inflate_next"].contains(&k.as_str()))
        {
            return Err(ApiError::invalid_json_field(key, "Unknown field."));
        }
        let uint = |key: &str, v: Option<&Value>| match v {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| ApiError::invalid_json_field(key, "Not a valid non-negative integer.")),
        };
        let latency = uint("latency_ms", map.get("latency_ms"))?;
        let drop = uint("drop_next", map.get("drop_next"))?;
        let hang = uint("hang_next", map.get("hang_next"))?;
        let fail = match map.get("fail_next") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(f) if !f.is_object() => {
                return Err(ApiError::invalid_json_field("fail_next", "Not a valid mapping type."))
            }
            Some(f) => {
                let count = uint("fail_next.count", f.get("count"))?.unwrap_or(1) as usize;
                let status = uint("fail_next.status", f.get("status"))?.unwrap_or(503);
                if !(200..=599).contains(&status) {
                    return Err(ApiError::invalid_json_field("fail_next.status", "Must be between 200 and 599."));
                }
                let retry_after = uint("fail_next.retry_after", f.get("retry_after").filter(|v| !v.is_null()))?;
                Some((count > 0).then_some(FailNext { count, status: status as u16, retry_after }))
            }
        };
        let inflate = match map.get("inflate_next") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(f) if !f.is_object() => {
                return Err(ApiError::invalid_json_field("inflate_next", "Not a valid mapping type."))
            }
            Some(f) => {
                let count = uint("inflate_next.count", f.get("count"))?.unwrap_or(1) as usize;
                let bytes = uint("inflate_next.bytes", f.get("bytes"))?.ok_or_else(|| {
                    ApiError::invalid_json_field("inflate_next.bytes", "Missing data for required field.")
                })?;
                Some((count > 0).then_some(InflateNext { count, bytes: (bytes as usize).min(INFLATE_CAP) }))
            }
        };
        let mut f = lock(&self.inner.faults);
        if let Some(spec) = inflate {
            f.inflate_next = spec;
        }
        if let Some(ms) = latency {
            f.latency_ms = ms;
        }
        if let Some(n) = drop {
            f.drop_next = n as usize;
        }
        if let Some(n) = hang {
            f.hang_next = n as usize;
        }
        if let Some(spec) = fail {
            f.fail_next = spec;
        }
        Ok(())
    }
}

// ---- Responses and parsing helpers ---------------------------------------------------------------------

fn response(status: u16, body: Option<&Value>) -> HttpResponse {
    let bytes = body.map(|v| Bytes::from(v.to_string())).unwrap_or_default();
    let mut resp = Response::new(Full::new(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if body.is_some() {
        resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    resp
}

fn reply_response(reply: &Reply) -> HttpResponse {
    response(reply.status, reply.body.as_ref())
}

fn error_response(err: &ApiError) -> HttpResponse {
    let mut resp = response(err.status, Some(&err.body()));
    if let Some(allow) = err.allow.as_deref().and_then(|a| HeaderValue::from_str(a).ok()) {
        resp.headers_mut().insert(ALLOW, allow);
    }
    resp
}

/// Now as ISO 8601 UTC with milliseconds, for the request log.
fn now_millis() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let base = format_unix(now.as_secs() as i64);
    format!("{}.{:03}Z", base.trim_end_matches('Z'), now.subsec_millis())
}

/// Splits `a=1&b=x%20y` into decoded pairs (`+` is a space in queries).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Decodes `%XX` escapes (invalid ones are kept as they are) and, in queries, `+`.
pub fn percent_decode(s: &str, plus_as_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' && plus_as_space { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_path_decoding() {
        let pairs = parse_query("a=1&b=x%20y+z&&flag&bad=%zz%4");
        let expected = [("a", "1"), ("b", "x y z"), ("flag", ""), ("bad", "%zz%4")];
        assert_eq!(pairs, expected.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(percent_decode("a+b%2Fc", false), "a+b/c");
        assert_eq!(percent_decode("%", false), "%");
        assert_eq!(percent_decode("%C3%A9", false), "é");
    }
}
