//! A reply body, held in pieces.
//!
//! Invariant: no piece is larger than [`PIECE`]. A reply of any size is never one allocation: a reply-sized block,
//! once freed, raises the allocator's threshold for returning memory and stays cached in the arena of whichever
//! blocking thread freed it, so a few large replies on a few threads kept tens of MiB long after their calls
//! ended. Pieces are small enough to come from, and go back to, the ordinary heap.

use std::io::{self, Read};

/// The size of each piece but the last.
pub const PIECE: usize = 64 * 1024;

/// A body as read: its bytes, in pieces of [`PIECE`] bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body {
    pieces: Vec<Vec<u8>>,
}

impl Body {
    /// Reads `r` to its end.
    ///
    /// # Errors
    /// What reading `r` reports.
    pub fn read_from(r: &mut impl Read) -> io::Result<Body> {
        let mut pieces = Vec::new();
        loop {
            let mut piece = Vec::with_capacity(PIECE);
            // At capacity, `read_to_end` probes with a small buffer of its own, which `take` ends at once, so a
            // piece never grows past PIECE.
            r.by_ref().take(PIECE as u64).read_to_end(&mut piece)?;
            if piece.is_empty() {
                return Ok(Body { pieces });
            }
            pieces.push(piece);
        }
    }

    /// A body of these bytes (for tests).
    #[cfg(test)]
    pub fn from_bytes(bytes: &[u8]) -> Body {
        Body { pieces: bytes.chunks(PIECE).map(<[u8]>::to_vec).collect() }
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(Vec::len).sum()
    }

    /// Whether the body holds nothing but whitespace.
    pub fn is_blank(&self) -> bool {
        self.pieces.iter().all(|p| p.iter().all(u8::is_ascii_whitespace))
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.pieces.iter().map(Vec::as_slice)
    }

    /// The body as one slice when it is one piece (the common, small reply), decoded without a reader.
    pub fn as_single(&self) -> Option<&[u8]> {
        match self.pieces.as_slice() {
            [] => Some(&[]),
            [one] => Some(one),
            _ => None,
        }
    }

    /// At most the first `n` bytes, for an excerpt.
    pub fn head(&self, n: usize) -> Vec<u8> {
        self.pieces().flatten().take(n).copied().collect()
    }

    /// A reader over the bytes.
    pub fn reader(&self) -> impl Read + '_ {
        Pieces { rest: &self.pieces, at: 0 }
    }
}

/// Reads the pieces in order.
struct Pieces<'a> {
    rest: &'a [Vec<u8>],
    at: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some((piece, later)) = self.rest.split_first() {
            if self.at < piece.len() {
                let n = buf.len().min(piece.len() - self.at);
                buf[..n].copy_from_slice(&piece[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            (self.rest, self.at) = (later, 0);
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_bounded_and_read_back_whole() {
        let bytes: Vec<u8> = (0..PIECE * 2 + 17).map(|i| (i % 251) as u8).collect();
        let body = Body::read_from(&mut bytes.as_slice()).unwrap();
        assert_eq!(body.pieces().map(<[u8]>::len).collect::<Vec<_>>(), [PIECE, PIECE, 17]);
        assert!(body.pieces.iter().all(|p| p.capacity() <= PIECE));
        let mut back = Vec::new();
        body.reader().read_to_end(&mut back).unwrap();
        assert_eq!((back, body.len(), body.as_single()), (bytes.clone(), bytes.len(), None));
        assert_eq!(body.head(3), [0, 1, 2]);
        let small = Body::read_from(&mut &b" {}\n"[..]).unwrap();
        assert_eq!((small.as_single(), small.is_blank()), (Some(&b" {}\n"[..]), false));
        assert!(Body::read_from(&mut &b""[..]).unwrap().is_blank());
    }
}
