//! The line codec on arbitrary bytes cut into arbitrary chunks: it never panics, never yields a line over the
//! limit or one holding a newline, reports an over-long line at most once per line, and its buffer never grows
//! past the limit plus one chunk.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pingera_mcp_server::codec::{Frame, LineCodec};
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the limit and the second the chunk size, so that both edges get explored.
    let (Some(&a), Some(&b)) = (data.first(), data.get(1)) else { return };
    let max = 1 + usize::from(a % 64);
    let chunk = 1 + usize::from(b % 32);
    let input = &data[2..];
    let mut codec = LineCodec::new(max);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(f) = codec.decode(&mut buf).expect("decode never fails") {
            frames.push(f);
        }
        assert!(buf.len() <= max + 1 + chunk, "buffer grew to {} (limit {max})", buf.len());
    }
    while let Some(f) = codec.decode_eof(&mut buf).expect("decode_eof never fails") {
        frames.push(f);
    }
    let newlines = input.iter().filter(|b| **b == b'\n').count();
    assert!(frames.len() <= newlines + 1, "{} frames from {newlines} newlines", frames.len());
    for f in &frames {
        if let Frame::Line(line) = f {
            assert!(line.len() <= max, "a line of {} bytes passed the limit {max}", line.len());
            assert!(!line.contains(&b'\n'));
        }
    }
});
