//! Transports: the only code that touches stdin, stdout or sockets of the MCP side.
//!
//! Invariant: transports turn bytes into parsed frames for a [`crate::session::Session`] and write back what it
//! answers; they make no protocol decisions of their own. Every transport hands the session's answer to
//! `deliver`, the one place that turns a [`Handled`] into messages on the way out.

pub mod body;
pub mod http;
pub mod stdio;

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::jsonrpc::Outgoing;
use crate::session::Handled;

/// Where a deferred answer is waited for.
pub(crate) enum Run<'a> {
    /// On the caller's task: [`deliver`] returns once the answer is sent.
    Here,
    /// On a task of this set (which the caller drains at shutdown).
    In(&'a mut JoinSet<()>),
    /// On a task of its own.
    Spawned,
}

/// Delivers the session's answer to one frame through `send`: a ready reply at once, a deferred one when it
/// resolves (waited for where `run` says), nothing for a notification or a cancelled request. Returns false when
/// nothing was or will be sent.
pub(crate) async fn deliver<S>(handled: Handled, send: S, run: Run<'_>) -> bool
where
    S: FnOnce(Outgoing) + Send + 'static,
{
    match handled {
        Handled::NoReply => false,
        Handled::Reply(out) => {
            send(out);
            true
        }
        Handled::Deferred(fut) if matches!(run, Run::Here) => match fut.await {
            Some(out) => {
                send(out);
                true
            }
            None => false,
        },
        Handled::Deferred(fut) => {
            let task = async move {
                if let Some(out) = fut.await {
                    send(out);
                }
            };
            match run {
                Run::In(set) => {
                    set.spawn(task);
                }
                _ => {
                    tokio::spawn(task);
                }
            }
            true
        }
    }
}

/// The answer to one frame, waited for on the caller's task; `None` when there is none.
pub(crate) async fn answer(handled: Handled) -> Option<Outgoing> {
    let (tx, mut rx) = oneshot::channel();
    let send = move |out: Outgoing| {
        let _ = tx.send(out);
    };
    deliver(handled, send, Run::Here).await;
    rx.try_recv().ok()
}
