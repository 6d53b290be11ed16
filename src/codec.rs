//! Newline-delimited framing for the stdio transport.
//!
//! Invariant: the decoder never holds more than `max_len` bytes of one frame. A line longer than the limit is
//! reported once as [`Frame::TooLong`] and the rest of it is dropped as it arrives, so a 1 GiB line costs no more
//! memory than the limit. Only real I/O failures are errors: a decoder error would end a `FramedRead` stream.

use bytes::{Buf, BytesMut};
use tokio_util::codec::Decoder;

/// One unit of input from the line decoder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// One line, without the `\n`, a trailing `\r` or a leading UTF-8 byte order mark.
    Line(BytesMut),
    /// A line that exceeded the limit; its bytes were discarded.
    TooLong,
}

/// Splits a byte stream on `\n`, with a per-line size limit.
#[derive(Debug)]
pub struct LineCodec {
    max_len: usize,
    /// How far into the buffer the search for `\n` has already looked, so that a long line arriving in many small
    /// reads is scanned once, not once per read.
    scanned: usize,
    /// True while the rest of an over-long line is being dropped.
    discarding: bool,
    /// True until the first line has been produced; a byte order mark is stripped only there.
    at_start: bool,
}

impl LineCodec {
    /// A codec that accepts lines of at most `max_len` bytes (not counting the line ending).
    pub fn new(max_len: usize) -> LineCodec {
        LineCodec { max_len, scanned: 0, discarding: false, at_start: true }
    }

    fn finish_line(&mut self, mut line: BytesMut) -> Option<Frame> {
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        if std::mem::take(&mut self.at_start) && line.starts_with(b"\xEF\xBB\xBF") {
            line.advance(3);
        }
        // Blank lines carry no message; skipping them keeps a stray "\n" from becoming a parse error.
        if line.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(Frame::Line(line))
    }
}

impl Decoder for LineCodec {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        loop {
            let newline = buf[self.scanned..].iter().position(|b| *b == b'\n');
            match (self.discarding, newline) {
                (true, Some(i)) => {
                    buf.advance(self.scanned + i + 1);
                    self.scanned = 0;
                    self.discarding = false;
                    self.at_start = false;
                }
                (true, None) => {
                    buf.clear();
                    self.scanned = 0;
                    return Ok(None);
                }
                (false, Some(i)) => {
                    let end = self.scanned + i;
                    self.scanned = 0;
                    // The limit counts the line without its ending; a "\r\n" ending may add one byte.
                    let content_len = if end > 0 && buf[end - 1] == b'\r' { end - 1 } else { end };
                    if content_len > self.max_len {
                        buf.advance(end + 1);
                        self.at_start = false;
                        return Ok(Some(Frame::TooLong));
                    }
                    let line = buf.split_to(end + 1);
                    let mut line = line;
                    line.truncate(end);
                    match self.finish_line(line) {
                        Some(frame) => return Ok(Some(frame)),
                        None => continue,
                    }
                }
                (false, None) => {
                    // One extra byte is allowed for a "\r" that may precede the coming "\n".
                    if buf.len() > self.max_len + 1 {
                        buf.clear();
                        self.scanned = 0;
                        self.discarding = true;
                        return Ok(Some(Frame::TooLong));
                    }
                    self.scanned = buf.len();
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        // A last line without "\n" still counts: a client that closes stdin right after its last message must be
        // answered.
        if self.discarding || buf.is_empty() {
            buf.clear();
            self.discarding = false;
            return Ok(None);
        }
        self.scanned = 0;
        let line = buf.split();
        // The spare byte `decode` allows is for a "\r" before a coming "\n"; at the end of input no "\n" comes, so
        // the line is measured as it would be with one: only a trailing "\r" is not counted.
        let content_len = line.len() - usize::from(line.last() == Some(&b'\r'));
        if content_len > self.max_len {
            self.at_start = false;
            return Ok(Some(Frame::TooLong));
        }
        Ok(self.finish_line(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut LineCodec, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for c in chunks {
            buf.extend_from_slice(c);
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                out.push(f);
            }
        }
        while let Some(f) = codec.decode_eof(&mut buf).unwrap() {
            out.push(f);
        }
        out
    }

    fn line(s: &str) -> Frame {
        Frame::Line(BytesMut::from(s))
    }

    #[test]
    fn strips_crlf_bom_and_blank_lines() {
        let frames = decode_all(&mut LineCodec::new(100), &[b"\xEF\xBB\xBF{\"a\":1}\r\n\n  \r\n{\"b\":2}\n"]);
        assert_eq!(frames, vec![line("{\"a\":1}"), line("{\"b\":2}")]);
    }

    #[test]
    fn last_line_without_newline_is_kept() {
        assert_eq!(decode_all(&mut LineCodec::new(100), &[b"{}\n[1]"]), vec![line("{}"), line("[1]")]);
    }

    #[test]
    fn over_long_line_is_reported_once_and_skipped() {
        let long = [b'x'; 50];
        let frames = decode_all(&mut LineCodec::new(10), &[&long[..20], &long[20..], b"\nok\n"]);
        assert_eq!(frames, vec![Frame::TooLong, line("ok")]);
    }

    #[test]
    fn over_long_line_in_one_chunk() {
        let frames = decode_all(&mut LineCodec::new(3), &[b"abcdef\nabc\n"]);
        assert_eq!(frames, vec![Frame::TooLong, line("abc")]);
    }

    #[test]
    fn limit_is_exact_with_crlf() {
        let frames = decode_all(&mut LineCodec::new(3), &[b"abc\r", b"\nabcd\r\n"]);
        assert_eq!(frames, vec![line("abc"), Frame::TooLong]);
    }

    #[test]
    fn last_line_without_newline_obeys_the_same_limit() {
        // One byte over the limit is refused with or without the closing newline; at the limit it is served.
        assert_eq!(decode_all(&mut LineCodec::new(3), &[b"abcd"]), vec![Frame::TooLong]);
        assert_eq!(decode_all(&mut LineCodec::new(3), &[b"abcd\n"]), vec![Frame::TooLong]);
        assert_eq!(decode_all(&mut LineCodec::new(3), &[b"abc"]), vec![line("abc")]);
        assert_eq!(decode_all(&mut LineCodec::new(3), &[b"abc\r"]), vec![line("abc")]);
    }

    #[test]
    fn discarding_keeps_the_buffer_small() {
        let mut codec = LineCodec::new(16);
        let mut buf = BytesMut::new();
        let mut too_long = 0;
        for _ in 0..1000 {
            buf.extend_from_slice(&[b'y'; 4096]);
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                assert_eq!(f, Frame::TooLong);
                too_long += 1;
            }
            assert!(buf.len() <= 17, "buffer grew to {}", buf.len());
        }
        assert_eq!(too_long, 1);
    }
}
