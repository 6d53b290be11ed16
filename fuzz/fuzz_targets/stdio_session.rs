//! A whole stdio session (codec, parser, session state machine, tools' argument validation) fed arbitrary bytes as
//! its input: it never panics or hangs, and every line it writes is one JSON object. Tool calls that pass
//! validation go to a closed local port with no retries, so they fail at once without leaving the machine.

#![no_main]

#[path = "offline.rs"]
mod offline;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pingera_mcp_server::app;
use pingera_mcp_server::session::Session;
use pingera_mcp_server::transport::stdio;

/// Output collected in memory.
#[derive(Clone, Default)]
struct Out(Arc<Mutex<Vec<u8>>>);

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime"))
}

fuzz_target!(|data: &[u8]| {
    let config = offline::config().clone();
    let mut opts = app::stdio_options(&config);
    opts.max_message_bytes = 4096;
    let session = Session::new(app::server(config));
    let out = Out::default();
    let input = std::io::Cursor::new(data.to_vec());
    let ended = runtime().block_on(async {
        tokio::time::timeout(
            Duration::from_secs(20),
            stdio::serve(session, input, out.clone(), opts, std::future::pending()),
        )
        .await
    });
    let ended = ended.expect("the session ended within 20 s of its input's end");
    ended.expect("reading from memory cannot fail");
    let written = out.0.lock().unwrap().clone();
    for line in written.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).expect("every output line is JSON");
        assert!(v.is_object() || v.is_array(), "output line is not a message: {v}");
    }
});
