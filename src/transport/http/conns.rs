//! Open HTTP connections: their cap, fitted under the process's file-descriptor limit, and which ones give way.
//!
//! Invariant: at most `max` connections are admitted at once (plus those already told to give way, which close
//! within [`EVICT_GRACE`]). When the cap is reached, the connection that has been idle longest (no request being
//! served, no response being sent: a keep-alive connection between requests, or one that never finished its
//! headers) gives way to the newcomer, so idle connections can never lock out `/health` or a real client; only
//! when every connection is busy is a newcomer refused with a 503. The cap leaves a reserve of descriptors for
//! the API client, the listener and the runtime, so accepting never runs into `EMFILE` in normal operation.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::lock;

/// How long a connection told to give way may take to finish what it is doing before it is dropped.
pub(super) const EVICT_GRACE: Duration = Duration::from_secs(1);

/// Descriptors kept free besides those open at start-up: pooled API connections, resolver and runtime.
const RESERVE: usize = 80;

/// The admitted connections, oldest first.
pub(super) struct Conns {
    max: usize,
    inner: Mutex<Inner>,
    /// Set while the cap is reached, so that the log says so once per episode, not once per connection.
    saturated: AtomicBool,
}

#[derive(Default)]
struct Inner {
    next: u64,
    open: BTreeMap<u64, Arc<ConnState>>,
}

/// What the accept loop and a connection's task share about it.
#[derive(Default)]
pub(super) struct ConnState {
    /// Requests being served or responses being sent on it.
    busy: AtomicUsize,
    /// Cancelled when the connection must give way.
    pub evict: CancellationToken,
}

impl ConnState {
    /// Whether nothing is being served on it.
    pub fn idle(&self) -> bool {
        self.busy.load(Ordering::Acquire) == 0
    }

    /// Marks a request as being served until the returned guard is dropped (with its response body).
    pub fn busy(self: &Arc<Self>) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::AcqRel);
        BusyGuard(Arc::clone(self))
    }
}

/// Holds a connection busy; see [`ConnState::busy`].
pub(super) struct BusyGuard(Arc<ConnState>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An admitted connection; dropping it frees its place.
pub(super) struct Admitted {
    conns: Arc<Conns>,
    id: u64,
    pub state: Arc<ConnState>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        lock(&self.conns.inner).open.remove(&self.id);
    }
}

impl Conns {
    /// A cap of `wanted` connections, lowered to fit under the file-descriptor limit when that is known.
    pub fn new(wanted: usize) -> Arc<Conns> {
        let max = match fd_limit() {
            Some(limit) => {
                let fitted = wanted.min(limit.saturating_sub(open_fds() + RESERVE).max(limit / 2)).max(1);
                if fitted < wanted {
                    log::info!(
                        "at most {fitted} HTTP connections at once (the configured {wanted} lowered \
                         to fit the file-descriptor limit of {limit})"
                    );
                }
                fitted
            }
            None => wanted,
        };
        Arc::new(Conns { max, inner: Mutex::new(Inner::default()), saturated: AtomicBool::new(false) })
    }

    /// Admits a new connection, telling the longest-idle one to give way when the cap is reached; `None` when
    /// every admitted connection is busy.
    pub fn admit(self: &Arc<Self>) -> Option<Admitted> {
        let mut inner = lock(&self.inner);
        let live = inner.open.values().filter(|c| !c.evict.is_cancelled()).count();
        if live >= self.max {
            let oldest_idle = inner.open.values().find(|c| !c.evict.is_cancelled() && c.idle());
            if !self.saturated.swap(true, Ordering::Relaxed) {
                log::warn!(
                    "{live} HTTP connections open, the limit: idle ones now give \
                     way to new ones"
                );
            }
            match oldest_idle {
                Some(c) => c.evict.cancel(),
                None => return None,
            }
        } else if live + 1 < self.max {
            self.saturated.store(false, Ordering::Relaxed);
        }
        inner.next += 1;
        let id = inner.next;
        let state = Arc::new(ConnState::default());
        inner.open.insert(id, Arc::clone(&state));
        Some(Admitted { conns: Arc::clone(self), id, state })
    }

    /// Tells the longest-idle connection to give way, to free a descriptor after `accept` failed for want of one.
    pub fn shed_one(&self) -> bool {
        let inner = lock(&self.inner);
        match inner.open.values().find(|c| !c.evict.is_cancelled() && c.idle()) {
            Some(c) => {
                c.evict.cancel();
                true
            }
            None => false,
        }
    }
}

/// The soft limit on open files of this process, from `/proc/self/limits` (Linux); `None` elsewhere or when
/// unlimited.
fn fd_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files").split_whitespace().next()?.parse().ok()
}

/// The descriptors this process has open now.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conns(max: usize) -> Arc<Conns> {
        Arc::new(Conns { max, inner: Mutex::new(Inner::default()), saturated: AtomicBool::new(false) })
    }

    #[test]
    fn the_longest_idle_connection_gives_way_and_busy_ones_never_do() {
        let c = conns(2);
        let a = c.admit().expect("room");
        let b = c.admit().expect("room");
        let _busy_a = a.state.busy();
        let third = c.admit().expect("b is idle and gives way");
        assert!(!a.state.evict.is_cancelled());
        assert!(b.state.evict.is_cancelled());
        let _busy_third = third.state.busy();
        assert!(c.admit().is_none(), "every live connection is busy");
        drop(b);
        drop(_busy_a);
        assert!(c.admit().is_some(), "a is idle now");
        assert!(a.state.evict.is_cancelled());
    }

    #[test]
    fn the_file_descriptor_limit_is_read() {
        assert!(fd_limit().is_some_and(|l| l > 0));
        assert!(open_fds() >= 3);
    }
}
