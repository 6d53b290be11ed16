//! The stdio transport: newline-delimited JSON-RPC on a reader and a writer (stdin and stdout in production).
//!
//! Invariant: exactly one task writes the output, one whole message per line, so replies that complete in any
//! order never interleave. Nothing but protocol frames is written to the output. Each request runs as its own
//! task, so a slow tool call holds up neither `ping` nor other calls. On end of input or a shutdown signal,
//! reading stops, the requests in flight are answered (within the shutdown timeout), and the output is flushed.
//! A closed output ends the run quietly.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;

use crate::codec::{Frame, LineCodec};
use crate::config::Credential;
use crate::jsonrpc::{self, Outgoing};
use crate::session::{CallCx, Handled, Session};

/// How a stdio run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The input reached its end.
    EndOfInput,
    /// The shutdown future resolved (a signal).
    Shutdown,
    /// The output was closed by the client.
    OutputClosed,
}

/// Options of a stdio run.
pub struct StdioOptions {
    /// The credential sent with every API call.
    pub credential: Option<Credential>,
    /// The largest accepted line, in bytes.
    pub max_message_bytes: usize,
    /// How long to wait for requests in flight at the end.
    pub shutdown_timeout: Duration,
}

/// Serves one session over a reader and a writer until the input ends, `shutdown` resolves or the output closes.
///
/// # Errors
/// An I/O error reading the input. Write errors are not errors: a closed output ends the run as
/// [`Ended::OutputClosed`].
pub async fn serve<R, W>(
    session: Arc<Session>,
    mut input: R,
    output: W,
    opts: StdioOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<Ended>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel::<Outgoing>();
    let output_closed = CancellationToken::new();
    let stop_writer = CancellationToken::new();
    let writer = tokio::spawn(write_loop(rx, output, output_closed.clone(), stop_writer.clone()));

    let sink_tx = tx.clone();
    let cx = CallCx {
        credential: opts.credential,
        sink: Arc::new(move |msg| {
            // A send fails only once the writer is gone, when nothing can be delivered anyway.
            let _ = sink_tx.send(msg);
        }),
    };
    let mut tasks = JoinSet::new();
    let mut codec = LineCodec::new(opts.max_message_bytes);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut shutdown = std::pin::pin!(shutdown);

    let ended = 'read: loop {
        while let Some(frame) = codec.decode(&mut buf)? {
            dispatch(&session, frame, &cx, &tx, &mut tasks, opts.max_message_bytes);
        }
        buf.reserve(64 * 1024);
        let n = tokio::select! {
            r = input.read_buf(&mut buf) => r?,
            () = &mut shutdown => break 'read Ended::Shutdown,
            () = output_closed.cancelled() => break 'read Ended::OutputClosed,
        };
        if n == 0 {
            while let Some(frame) = codec.decode_eof(&mut buf)? {
                dispatch(&session, frame, &cx, &tx, &mut tasks, opts.max_message_bytes);
            }
            break Ended::EndOfInput;
        }
    };
    log::debug!("stdio input done ({ended:?}); {} request(s) in flight", session.in_flight());

    let drain = async { while tasks.join_next().await.is_some() {} };
    if ended != Ended::OutputClosed && tokio::time::timeout(opts.shutdown_timeout, drain).await.is_err() {
        log::warn!(
            "{} request(s) still in flight after the shutdown timeout of {:?}; they get no reply",
            session.in_flight(),
            opts.shutdown_timeout
        );
    }
    drop(cx);
    drop(tx);
    // Replies already queued are still written; the writer ends once the queue is empty.
    stop_writer.cancel();
    let _ = writer.await;
    Ok(if output_closed.is_cancelled() { Ended::OutputClosed } else { ended })
}

fn dispatch(
    session: &Arc<Session>,
    frame: Frame,
    cx: &CallCx,
    tx: &mpsc::UnboundedSender<Outgoing>,
    tasks: &mut JoinSet<()>,
    limit: usize,
) {
    // Finished tasks are reaped as frames arrive, so a long session does not accumulate them.
    while tasks.try_join_next().is_some() {}
    let handled = match frame {
        Frame::TooLong => {
            log::warn!("dropped a message larger than {limit} bytes");
            Handled::Reply(Session::too_long(limit))
        }
        Frame::Line(line) => session.handle(jsonrpc::parse(&line), cx),
    };
    match handled {
        Handled::Reply(out) => {
            let _ = tx.send(out);
        }
        Handled::NoReply => {}
        Handled::Deferred(fut) => {
            let tx = tx.clone();
            tasks.spawn(async move {
                if let Some(out) = fut.await {
                    let _ = tx.send(out);
                }
            });
        }
    }
}

/// Writes messages, one per line, flushing whenever the queue runs empty (so a burst costs one flush). Stops when
/// told to and the queue is drained, when every sender is gone, or when the output fails.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    output: W,
    closed: CancellationToken,
    stop: CancellationToken,
) {
    let mut out = tokio::io::BufWriter::with_capacity(64 * 1024, output);
    let mut line = Vec::with_capacity(4096);
    loop {
        let msg = tokio::select! {
            biased;
            m = rx.recv() => m,
            () = stop.cancelled() => rx.try_recv().ok(),
        };
        let Some(msg) = msg else { break };
        line.clear();
        msg.write_to(&mut line);
        line.push(b'\n');
        log::trace!("> {} bytes", line.len());
        let mut result = out.write_all(&line).await;
        if result.is_ok() && rx.is_empty() {
            result = out.flush().await;
        }
        if let Err(e) = result {
            // A client that closed our stdout has gone away; that is an ordinary end, not an error.
            log::debug!("output closed: {e}");
            closed.cancel();
            return;
        }
    }
    if let Err(e) = out.flush().await {
        log::debug!("output closed: {e}");
        closed.cancel();
    }
}
