//! HTTP bodies for the hyper side: a complete body, or a stream of chunks fed by a channel (SSE).
//!
//! Invariant: a streamed body ends exactly when every sender of its channel is gone, so a stream closes when the
//! request it serves is answered (or its session ends) and never before; the bodies never fail. A stream's channel
//! is bounded (the queue limit of the server's `Limits`): what a slow reader has not taken is never more than that many
//! messages, and the sender decides what falling behind costs ([`sse_reply_sender`] for a reply, which waits).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::sync::mpsc;

use crate::jsonrpc::{self, Outgoing};

/// The response body type of every HTTP answer.
pub enum Body {
    /// A complete body (possibly empty).
    Full(Option<Bytes>),
    /// Chunks as they are sent; the body ends when the channel closes.
    Stream(mpsc::Receiver<Bytes>),
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body::Full(None)
    }

    /// A complete body.
    pub fn full(b: impl Into<Bytes>) -> Body {
        let b = b.into();
        Body::Full((!b.is_empty()).then_some(b))
    }

    /// A streamed body and the sender that feeds it, holding at most `capacity` chunks the reader has not taken.
    pub fn channel(capacity: usize) -> (mpsc::Sender<Bytes>, Body) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (tx, Body::Stream(rx))
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(rx) => rx.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Stream(_) => SizeHint::default(),
        }
    }
}

/// One SSE event carrying one JSON-RPC message on a single `data:` line (compact JSON has no raw newlines).
pub fn sse_message(json: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(json.len() + 24);
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// Sends each message as one SSE event on `tx`: the sink of a streamed request's notifications. A client that
/// lets the stream fill up loses the later notifications (never the reply, see [`sse_reply_sender`]); a failed
/// send otherwise means the client closed the stream, when nothing can be delivered any more.
pub fn sse_sender(tx: mpsc::Sender<Bytes>) -> impl Fn(Outgoing) + Send + Sync + 'static {
    move |msg| {
        if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(sse_message(&jsonrpc::encode(&msg))) {
            log::debug!("a notification was dropped: its stream is {} messages behind", tx.max_capacity());
        }
    }
}

/// Sends the reply a stream exists for, as its last SSE event: at once when there is room, otherwise on a task that
/// waits until the reader takes it or goes away, so a reply is never dropped for a slow reader.
pub fn sse_reply_sender(tx: mpsc::Sender<Bytes>) -> impl FnOnce(Outgoing) + Send + 'static {
    move |out| {
        if let Err(mpsc::error::TrySendError::Full(chunk)) = tx.try_send(sse_message(&jsonrpc::encode(&out))) {
            tokio::spawn(async move {
                let _ = tx.send(chunk).await;
            });
        }
    }
}
