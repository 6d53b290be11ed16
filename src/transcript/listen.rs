//! The HTTP side of `record --listen` and `serve --listen`: one accept loop on hyper, with a bounded number of
//! connections.
//!
//! Invariant: at most [`MAX_CONNECTIONS`] connections are served at once; one more is answered `503` at once and
//! closed, never queued without bound. The loop ends on SIGINT or SIGTERM.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::transport::body::Body;

/// The most connections served at once: a test tool faces one client, or a handful.
pub const MAX_CONNECTIONS: usize = 64;

/// A response of the listener.
pub type Reply = Response<Body>;

/// A runtime for one listening command (two worker threads: the proxying itself runs on blocking threads).
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Serves `handler` on `listener` until a shutdown signal.
pub async fn serve<H, F>(listener: TcpListener, handler: H)
where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let handler = Arc::new(handler);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let accept = async {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                let body = format!("mcp-transcript: more than {MAX_CONNECTIONS} connections at once\n");
                let head = format!(
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(format!("{head}{body}").as_bytes()).await;
                continue;
            };
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let _permit = permit;
                let svc = service_fn(move |req| {
                    let handler = Arc::clone(&handler);
                    async move { Ok::<_, Infallible>(handler(req).await) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    };
    tokio::select! {
        () = accept => {}
        () = crate::shutdown_signal() => {}
    }
}
