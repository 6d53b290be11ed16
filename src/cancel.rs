//! A cancellation flag shared by an async task and the blocking thread that does its work.
//!
//! Invariant: once cancelled, a flag stays cancelled; both the async side (`cancelled().await`) and the blocking
//! side (`wait`) wake up at once, so a retry backoff never outlives its request.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// A cloneable cancellation flag.
#[derive(Clone, Default)]
pub struct CancelFlag {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    token: CancellationToken,
    lock: Mutex<()>,
    cond: Condvar,
}

impl CancelFlag {
    /// A flag that is not cancelled.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Cancels; idempotent.
    pub fn cancel(&self) {
        self.inner.token.cancel();
        // Taking the lock orders this notification after any waiter's check of the token.
        let _guard = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.inner.cond.notify_all();
    }

    /// Whether the flag is cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.token.is_cancelled()
    }

    /// Resolves when the flag is cancelled.
    pub async fn cancelled(&self) {
        self.inner.token.cancelled().await;
    }

    /// Blocks the thread for `d` or until cancelled; returns true when the whole time passed uncancelled.
    pub fn wait(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut guard = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.is_cancelled() {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            guard = self.inner.cond.wait_timeout(guard, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_ends_early_on_cancel() {
        let flag = CancelFlag::new();
        let other = flag.clone();
        let t = std::thread::spawn(move || other.wait(Duration::from_secs(60)));
        flag.cancel();
        assert!(!t.join().unwrap());
        assert!(flag.is_cancelled());
    }

    #[test]
    fn wait_runs_out_when_not_cancelled() {
        assert!(CancelFlag::new().wait(Duration::from_millis(1)));
    }
}
