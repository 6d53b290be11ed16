//! The stdio transport: newline-delimited JSON-RPC on a reader and a writer (stdin and stdout in production).
//!
//! Invariant: exactly one task writes the output, one whole message per line, so replies that complete in any
//! order never interleave. Nothing but protocol frames is written to the output. Each request runs as its own
//! task, so a slow tool call holds up neither `ping` nor other calls. On end of input or a shutdown signal,
//! reading stops, the requests in flight are answered (within the shutdown timeout), and the output is flushed.
//! A closed output ends the run quietly.
//!
//! Backpressure: a frame is dispatched only while fewer than `max_queued` messages wait for the writer, so a
//! client that stops reading stdout makes the server stop reading stdin (and the client's writes block). What
//! waits is then at most `max_queued` messages, plus the replies of the requests in flight (capped per session),
//! plus the input chunks in the channel: bounded whatever the client does.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::io::{Read, Write};

use bytes::{Bytes, BytesMut};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;

use crate::codec::{Frame, LineCodec};
use crate::jsonrpc::Outgoing;
use crate::session::{CallCx, Handled, Session};
use crate::transport::{deliver, Run};

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

/// Options of a stdio run. There is no credential among them: a stdio client sends none, so the service uses its
/// configured one.
pub struct StdioOptions {
    /// The largest accepted line, in bytes.
    pub max_message_bytes: usize,
    /// How long to wait for requests in flight at the end.
    pub shutdown_timeout: Duration,
    /// How many messages may wait for the writer before reading pauses.
    pub max_queued: usize,
}

/// Serves one session over a reader and a writer until the input ends, `shutdown` resolves or the output closes.
///
/// The input is read and the output written on a thread each, so a message costs no hop through tokio's blocking
/// pool; the reader hands chunks over a bounded channel, so memory stays bounded whatever arrives.
///
/// # Errors
/// An I/O error reading the input. Write errors are not errors: a closed output ends the run as
/// [`Ended::OutputClosed`].
pub async fn serve<R, W>(
    session: Arc<Session>,
    input: R,
    output: W,
    opts: StdioOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<Ended>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    let (queue_tx, rx) = mpsc::unbounded_channel::<Option<Outgoing>>();
    let backlog = Arc::new(Backlog::default());
    let tx = Out { tx: queue_tx, backlog: Arc::clone(&backlog) };
    let output_closed = CancellationToken::new();
    let writer_closed = output_closed.clone();
    let writer = std::thread::Builder::new()
        .name("stdout".into())
        .spawn(move || write_loop(rx, output, writer_closed, &backlog))?;
    let (chunk_tx, mut chunks) = mpsc::channel::<std::io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    std::thread::Builder::new().name("stdin".into()).spawn(move || read_loop(input, chunk_tx))?;

    let sink_tx = tx.clone();
    let cx = CallCx::new(None, move |msg| sink_tx.push(msg));
    let mut tasks = JoinSet::new();
    let mut codec = LineCodec::new(opts.max_message_bytes);
    let mut buf = BytesMut::with_capacity(CHUNK);
    let mut shutdown = std::pin::pin!(shutdown);

    let ended = 'read: loop {
        while let Some(frame) = codec.decode(&mut buf)? {
            tokio::select! {
                () = tx.backlog.room(opts.max_queued) => {}
                () = &mut shutdown => break 'read Ended::Shutdown,
                () = output_closed.cancelled() => break 'read Ended::OutputClosed,
            }
            dispatch(&session, frame, &cx, &tx, &mut tasks, opts.max_message_bytes).await;
        }
        let chunk = tokio::select! {
            c = chunks.recv() => c,
            () = &mut shutdown => break Ended::Shutdown,
            () = output_closed.cancelled() => break Ended::OutputClosed,
        };
        match chunk {
            Some(Ok(bytes)) => buf.extend_from_slice(&bytes),
            Some(Err(e)) => return Err(e),
            None => {
                while let Some(frame) = codec.decode_eof(&mut buf)? {
                    tokio::select! {
                        () = tx.backlog.room(opts.max_queued) => {}
                        () = output_closed.cancelled() => break 'read Ended::OutputClosed,
                    }
                    dispatch(&session, frame, &cx, &tx, &mut tasks, opts.max_message_bytes).await;
                }
                break Ended::EndOfInput;
            }
        }
    };
    log::debug!("stdio input done ({ended:?}); {} request(s) in flight", session.in_flight());
    session.stop_waiting_for_client();

    let drained = ended == Ended::OutputClosed || {
        let drain = async { while tasks.join_next().await.is_some() {} };
        tokio::time::timeout(opts.shutdown_timeout, drain).await.is_ok()
    };
    if !drained {
        log::warn!(
            "{} request(s) still in flight after the shutdown timeout of {:?}; they get no reply",
            session.in_flight(),
            opts.shutdown_timeout
        );
    }
    // Replies already queued are still written; then the stop mark ends the writer, even though a blocking call
    // that outlived the shutdown timeout may still hold a sender.
    drop(tasks);
    let _ = tx.tx.send(None);
    drop(cx);
    drop(tx);
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    Ok(if output_closed.is_cancelled() { Ended::OutputClosed } else { ended })
}

/// How much is read from the input at a time.
const CHUNK: usize = 64 * 1024;
/// How many chunks may wait for the decoder: together with the codec's limit this bounds memory on any input.
const CHUNKS_IN_FLIGHT: usize = 16;

fn read_loop<R: Read>(mut input: R, chunks: mpsc::Sender<std::io::Result<Bytes>>) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let chunk = match input.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => Ok(Bytes::copy_from_slice(&buf[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
        let failed = chunk.is_err();
        // A send fails only when the server stopped reading; then this thread has nothing left to do.
        if chunks.blocking_send(chunk).is_err() || failed {
            return;
        }
    }
}

/// How many messages wait for the writer, and a signal each time the writer takes one.
#[derive(Default)]
struct Backlog {
    queued: AtomicUsize,
    taken: Notify,
}

impl Backlog {
    /// Resolves once fewer than `limit` messages wait.
    async fn room(&self, limit: usize) {
        loop {
            // The future is created before the check, so a message taken in between still wakes it.
            let taken = self.taken.notified();
            if self.queued.load(Ordering::Acquire) < limit {
                return;
            }
            taken.await;
        }
    }

    fn taken(&self) {
        self.queued.fetch_sub(1, Ordering::AcqRel);
        self.taken.notify_waiters();
    }
}

/// The writer's queue, counted: every message pushed is one more in the backlog until the writer takes it.
#[derive(Clone)]
struct Out {
    tx: mpsc::UnboundedSender<Option<Outgoing>>,
    backlog: Arc<Backlog>,
}

impl Out {
    fn push(&self, msg: Outgoing) {
        self.backlog.queued.fetch_add(1, Ordering::AcqRel);
        // A send fails only once the writer is gone, when nothing can be delivered anyway.
        if self.tx.send(Some(msg)).is_err() {
            self.backlog.queued.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

async fn dispatch(session: &Arc<Session>, frame: Frame, cx: &CallCx, tx: &Out, tasks: &mut JoinSet<()>, limit: usize) {
    // Finished tasks are reaped as frames arrive, so a long session does not accumulate them.
    while tasks.try_join_next().is_some() {}
    let handled = match frame {
        Frame::TooLong => {
            log::warn!("dropped a message larger than {limit} bytes");
            Handled::Reply(Session::too_long(limit))
        }
        Frame::Line(line) => match session.limits().parse(&line) {
            Ok(parsed) => session.handle(parsed, cx),
            Err(refused) => Handled::Reply(refused),
        },
    };
    let tx = tx.clone();
    let send = move |out| tx.push(out);
    deliver(handled, send, Run::In(tasks)).await;
}

/// Writes messages, one per line, flushing whenever the queue runs empty (so a burst costs one flush). Ends at the
/// stop mark (`None`) or when every sender is gone, after writing what was queued before, or when the output fails
/// (then `closed` is cancelled).
fn write_loop<W: Write>(
    mut rx: mpsc::UnboundedReceiver<Option<Outgoing>>,
    output: W,
    closed: CancellationToken,
    backlog: &Backlog,
) {
    let mut out = std::io::BufWriter::with_capacity(CHUNK, output);
    let mut line = Vec::with_capacity(4096);
    while let Some(Some(msg)) = rx.blocking_recv() {
        line.clear();
        msg.write_to(&mut line);
        line.push(b'\n');
        let mut result = out.write_all(&line);
        // The message has left the queue (into the output's buffer, or the pipe): the reader may go on.
        backlog.taken();
        if result.is_ok() && rx.is_empty() {
            result = out.flush();
        }
        if let Err(e) = result {
            // A client that closed our stdout has gone away; that is an ordinary end, not an error.
            log::debug!("output closed: {e}");
            closed.cancel();
            return;
        }
    }
    if let Err(e) = out.flush() {
        log::debug!("output closed: {e}");
        closed.cancel();
    }
}
