//! The upstream gate: at most `PINGERA_MAX_UPSTREAM` requests to the API at once per process, queued in FIFO
//! order, opened gradually.
//!
//! Invariant: the number of requests in flight never exceeds the permits granted, and the permits granted never
//! exceed the maximum. A cold gate (new, or idle for longer than a pooled connection lives) grants [`COLD`] permits
//! and one more per reply whose connection went back to the pool, up to the maximum, like TCP's slow start: a burst
//! reuses connections it has proven instead of opening the maximum at once, and an API whose server accepts slowly
//! (a small listen backlog) never sees more connections waiting to be accepted than it can queue. A reply whose
//! connection is closed (HTTP/1.0, `Connection: close`) grants nothing: against such a server every request is a
//! new connection, so the gate stays at [`COLD`]. Waiting happens on the runtime, not on a thread; dropping a
//! waiting future leaves the queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many permits a cold gate grants.
pub const COLD: usize = 4;

/// How long an idle keep-alive connection stays in the pool; after that long without a reply the gate is cold
/// again, since the connections it had proven are gone. The agent is configured with the same value.
pub const IDLE_AGE: Duration = Duration::from_secs(15);

/// The gate; clones share it.
#[derive(Clone)]
pub struct Gate(Arc<Inner>);

struct Inner {
    sem: Arc<Semaphore>,
    max: usize,
    granted: AtomicUsize,
    last_reply: Mutex<Instant>,
}

/// Permission to send requests to the API, returned when dropped.
pub struct Permit {
    gate: Gate,
    _permit: OwnedSemaphorePermit,
}

impl Gate {
    /// A cold gate of at most `max` permits (at least 1).
    pub fn new(max: usize) -> Gate {
        let max = max.max(1);
        let cold = COLD.min(max);
        Gate(Arc::new(Inner {
            sem: Arc::new(Semaphore::new(cold)),
            max,
            granted: AtomicUsize::new(cold),
            last_reply: Mutex::new(Instant::now()),
        }))
    }

    /// Waits for a permit, in FIFO order.
    pub async fn acquire(&self) -> Permit {
        self.cool_down_if_idle();
        let permit = Arc::clone(&self.0.sem).acquire_owned().await.expect("the upstream gate is never closed");
        Permit { gate: self.clone(), _permit: permit }
    }

    /// The permits granted now (in use or free).
    #[cfg(test)]
    fn granted(&self) -> usize {
        self.0.granted.load(Ordering::SeqCst)
    }

    /// A reply came back on a pooled connection: grant one more permit, up to the maximum.
    fn replied(&self) {
        *self.0.last_reply.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        let granted = &self.0.granted;
        let mut g = granted.load(Ordering::SeqCst);
        while g < self.0.max {
            match granted.compare_exchange(g, g + 1, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => {
                    self.0.sem.add_permits(1);
                    return;
                }
                Err(now) => g = now,
            }
        }
    }

    /// After [`IDLE_AGE`] without a reply the pool is empty again: take back the permits above [`COLD`] that are
    /// free (all of them, when the gate is really idle).
    fn cool_down_if_idle(&self) {
        let idle = self.0.last_reply.lock().unwrap_or_else(|e| e.into_inner()).elapsed() > IDLE_AGE;
        let cold = COLD.min(self.0.max);
        let g = self.0.granted.load(Ordering::SeqCst);
        if idle && g > cold {
            let taken = self.0.sem.forget_permits(g - cold);
            self.0.granted.fetch_sub(taken, Ordering::SeqCst);
        }
    }
}

impl Permit {
    /// Reports that a reply was read to its end, so its connection is back in the pool.
    pub fn replied(&self) {
        self.gate.replied();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cold_gate_opens_one_permit_per_reply_up_to_the_maximum() {
        let gate = Gate::new(8);
        assert_eq!(gate.granted(), COLD);
        let mut held = Vec::new();
        for _ in 0..COLD {
            held.push(gate.acquire().await);
        }
        // Every permit is in use: a further acquire waits.
        assert!(tokio::time::timeout(Duration::from_millis(20), gate.acquire()).await.is_err());
        for _ in 0..10 {
            held[0].replied();
        }
        assert_eq!(gate.granted(), 8);
        for _ in COLD..8 {
            held.push(gate.acquire().await);
        }
        assert!(tokio::time::timeout(Duration::from_millis(20), gate.acquire()).await.is_err());
    }

    #[tokio::test]
    async fn waiters_are_served_in_order() {
        let gate = Gate::new(1);
        let first = gate.acquire().await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (gate, order) = (gate.clone(), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                let _p = gate.acquire().await;
                order.lock().unwrap().push(i);
            }));
            // Each waiter is queued before the next one starts.
            tokio::task::yield_now().await;
        }
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }
}
