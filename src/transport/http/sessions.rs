//! The HTTP session registry: Streamable HTTP and HTTP+SSE sessions by id, their limit, and the reaper that ends
//! idle ones.
//!
//! Invariant: the number of live sessions plus the reserved slots never exceeds the limit, because a slot is
//! reserved in the same critical section that checks the limit; a reservation that is not committed (the
//! `initialize` failed, or its request went away) gives its slot back when dropped. When the table is full, the
//! oldest session that was never used after it started gives way to the new one, so a flood of `initialize`
//! requests cannot lock real clients out; only sessions in use make a new client wait (503).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::jsonrpc::{self, Outgoing};
use crate::lock;
use crate::session::{Server, Session};
use crate::transport::body::sse_message;

/// Which transport a session belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    Streamable,
    LegacySse,
}

/// One HTTP session: the MCP session and the stream that carries what is not a reply to a POST.
pub(super) struct HttpSession {
    pub session: Arc<Session>,
    kind: Kind,
    last_used: Mutex<Instant>,
    /// When the session was created, to find the oldest unused one.
    created: Instant,
    /// Whether any request used the session after the one that started it.
    used: AtomicBool,
    /// The open server-to-client stream: the GET stream (Streamable) or the SSE stream that carries every reply
    /// (HTTP+SSE).
    pub stream: Mutex<Option<mpsc::Sender<Bytes>>>,
}

impl HttpSession {
    fn new(session: Arc<Session>, kind: Kind) -> Arc<HttpSession> {
        Arc::new(HttpSession {
            session,
            kind,
            last_used: Mutex::new(Instant::now()),
            created: Instant::now(),
            used: AtomicBool::new(false),
            stream: Mutex::new(None),
        })
    }

    /// Notes a request to the live session: it is in use, and not idle.
    pub fn touch(&self) {
        self.used.store(true, Ordering::Relaxed);
        *lock(&self.last_used) = Instant::now();
    }

    /// Closes the session's stream; requests still running finish (those waiting for the client's answers fail,
    /// since no answer can arrive), but nothing new is accepted.
    pub fn end(&self) {
        lock(&self.stream).take();
        self.session.stop_waiting_for_client();
    }

    /// Sends a message on the session's stream; false when none is open. A stream whose reader has fallen the
    /// queue's length behind is closed instead of buffering more: an HTTP+SSE session, which has no other way to
    /// answer, ends with it; a Streamable HTTP client may open a new GET stream.
    pub fn send_on_stream(&self, out: &Outgoing) -> bool {
        let mut stream = lock(&self.stream);
        let Some(tx) = stream.as_ref() else { return false };
        match tx.try_send(sse_message(&jsonrpc::encode(out))) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(_)) => {
                let queued = tx.max_capacity();
                stream.take();
                drop(stream);
                if self.kind == Kind::LegacySse {
                    log::warn!(
                        "an HTTP+SSE session ended: its client fell {queued} messages behind reading its stream"
                    );
                    self.session.stop_waiting_for_client();
                } else {
                    log::warn!("closed a session's GET stream: its client fell {queued} messages behind reading it");
                }
                false
            }
        }
    }

    /// Whether the session's stream is open (an HTTP+SSE session without one has ended).
    pub fn stream_open(&self) -> bool {
        lock(&self.stream).as_ref().is_some_and(|t| !t.is_closed())
    }

    /// Whether the reaper may end it: idle for `idle` with nothing running, or an HTTP+SSE session whose stream
    /// the client closed.
    fn expired(&self, idle: Duration) -> bool {
        let stream_gone = self.kind == Kind::LegacySse && !self.stream_open();
        stream_gone || (lock(&self.last_used).elapsed() >= idle && self.session.in_flight() == 0)
    }
}

/// The live sessions by id, and the slots reserved for sessions being created.
pub(super) struct Registry {
    inner: Mutex<Inner>,
    max: usize,
}

#[derive(Default)]
struct Inner {
    live: HashMap<String, Arc<HttpSession>>,
    reserved: usize,
}

impl Registry {
    pub fn new(max: usize) -> Registry {
        Registry { inner: Mutex::new(Inner::default()), max }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// The number of live sessions.
    pub fn len(&self) -> usize {
        self.inner().live.len()
    }

    /// The session `id` of `kind`, if it is live.
    pub fn find(&self, id: &str, kind: Kind) -> Option<Arc<HttpSession>> {
        self.inner().live.get(id).filter(|s| s.kind == kind).cloned()
    }

    /// Removes and ends the session `id`.
    pub fn end(&self, id: &str) {
        if let Some(s) = self.inner().live.remove(id) {
            s.end();
        }
    }

    /// Ends every session (shutdown).
    pub fn end_all(&self) {
        let ended: Vec<Arc<HttpSession>> = self.inner().live.drain().map(|(_, s)| s).collect();
        for s in ended {
            s.end();
        }
    }

    /// Reserves a slot for a new session of `kind`; `None` when the limit is reached.
    pub fn reserve(&self, server: &Arc<Server>, kind: Kind) -> Option<Reservation<'_>> {
        {
            let mut inner = self.inner();
            if inner.live.len() + inner.reserved >= self.max {
                let unused = inner.live.iter().filter(|(_, s)| !s.used.load(Ordering::Relaxed));
                let (id, _) = unused.min_by_key(|(_, s)| s.created)?;
                let id = id.clone();
                if let Some(s) = inner.live.remove(&id) {
                    s.end();
                }
                log::info!("session {} ended: never used, it gave way to a new session (table full)", short(&id));
            }
            inner.reserved += 1;
        }
        let session = HttpSession::new(Session::new(Arc::clone(server)), kind);
        Some(Reservation { registry: self, session: Some(session) })
    }

    /// Makes `session` live under `id`, which another process issued (a sealed id, [`super::sealed`]); the
    /// session already live under `id` when a concurrent request adopted it first; `None` when the limit is
    /// reached.
    pub fn adopt(&self, id: &str, session: Arc<Session>) -> Option<Arc<HttpSession>> {
        let mut inner = self.inner();
        if let Some(live) = inner.live.get(id) {
            return Some(Arc::clone(live));
        }
        if inner.live.len() + inner.reserved >= self.max {
            return None;
        }
        let hs = HttpSession::new(session, Kind::Streamable);
        inner.live.insert(id.to_owned(), Arc::clone(&hs));
        Some(hs)
    }

    /// Ends the sessions that have expired; returns how many.
    fn reap(&self, idle: Duration) -> usize {
        let mut inner = self.inner();
        let before = inner.live.len();
        inner.live.retain(|_, s| {
            let expired = s.expired(idle);
            if expired {
                s.end();
            }
            !expired
        });
        before - inner.live.len()
    }
}

/// A slot for a session being created, with the session that will fill it.
pub(super) struct Reservation<'a> {
    registry: &'a Registry,
    session: Option<Arc<HttpSession>>,
}

impl Reservation<'_> {
    /// The session the slot is for.
    pub fn session(&self) -> &Arc<HttpSession> {
        self.session.as_ref().expect("a reservation holds its session until committed")
    }

    /// Makes the session live under a new random id, which it returns.
    pub fn commit(self) -> String {
        self.commit_as(new_session_id())
    }

    /// Makes the session live under `id` (a sealed id, [`super::sealed`]), which it returns.
    pub fn commit_as(mut self, id: String) -> String {
        let session = self.session.take().expect("a reservation is committed once");
        let mut inner = self.registry.inner();
        inner.reserved -= 1;
        inner.live.insert(id.clone(), session);
        id
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.session.is_some() {
            self.registry.inner().reserved -= 1;
        }
    }
}

/// Ends sessions that have been idle for longer than `idle`, and HTTP+SSE sessions whose stream the client
/// closed.
pub(super) async fn reap_idle(registry: Arc<Registry>, idle: Duration) {
    let period = (idle / 4).clamp(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        tokio::time::sleep(period).await;
        let reaped = registry.reap(idle);
        if reaped > 0 {
            log::info!("ended {reaped} idle session(s)");
        }
    }
}

/// 128 random bits from the operating system, as 32 hex digits: unguessable, visible ASCII.
fn new_session_id() -> String {
    crate::seal::random_hex::<16>()
}

/// The end of a session id, enough to tell sessions apart in logs without printing the whole id: random in both
/// kinds of id (the hex digits of a random one, the tag of a sealed one, whose start is alike for every session).
pub(super) fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_random_hex() {
        let a = new_session_id();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_session_id());
    }

    #[test]
    fn concurrent_reservations_never_exceed_the_limit() {
        let server = crate::session::tests::tools_only_server();
        let registry = Registry::new(3);
        let barrier = std::sync::Barrier::new(8);
        // Reservations held open never give way, so exactly three of eight racing ones win.
        let won: Vec<Reservation<'_>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        registry.reserve(&server, Kind::Streamable)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().expect("no panic")).collect()
        });
        assert_eq!(won.len(), 3);
        let won: Vec<String> = won.into_iter().map(Reservation::commit).collect();
        assert_eq!(registry.len(), 3);
        // Sessions in use never give way.
        for id in &won {
            registry.find(id, Kind::Streamable).expect("live").touch();
        }
        assert!(registry.reserve(&server, Kind::LegacySse).is_none());
    }

    #[test]
    fn the_oldest_unused_session_gives_way_when_the_table_is_full() {
        let server = crate::session::tests::tools_only_server();
        let registry = Registry::new(3);
        let ids: Vec<String> =
            (0..3).map(|_| registry.reserve(&server, Kind::Streamable).expect("a free slot").commit()).collect();
        registry.find(&ids[0], Kind::Streamable).expect("live").touch();
        let newcomer = registry.reserve(&server, Kind::Streamable).expect("an unused session gives way").commit();
        assert!(registry.find(&ids[0], Kind::Streamable).is_some(), "a used session stays");
        assert!(registry.find(&ids[1], Kind::Streamable).is_none(), "the oldest unused one gave way");
        assert!(registry.find(&ids[2], Kind::Streamable).is_some());
        assert!(registry.find(&newcomer, Kind::Streamable).is_some());
        assert_eq!(registry.len(), 3);
    }

    #[test]
    fn a_dropped_reservation_gives_its_slot_back() {
        let server = crate::session::tests::tools_only_server();
        let registry = Registry::new(1);
        let held = registry.reserve(&server, Kind::Streamable).expect("a free slot");
        assert!(registry.reserve(&server, Kind::Streamable).is_none(), "the reserved slot counts");
        drop(held);
        let id = registry.reserve(&server, Kind::Streamable).expect("the slot is free again").commit();
        assert!(registry.find(&id, Kind::Streamable).is_some());
        assert!(registry.find(&id, Kind::LegacySse).is_none());
        registry.end(&id);
        assert_eq!(registry.len(), 0);
    }
}
