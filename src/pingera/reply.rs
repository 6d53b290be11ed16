//! What a reply becomes: its body read whole (in pieces) or decoded as it arrives, as the request asks; a success
//! decoded within the limits; an error status turned into an [`ApiError`] whose text is safe to show.
//!
//! Invariant: no reply is held or decoded past its limits: the reply cap (enforced by the reader the caller passes),
//! `PINGERA_MAX_JSON_VALUES` for what is decoded whole, and the result's bytes for a list decoded as it arrives.

use std::io;
use std::time::Duration;

use serde_json::Value;

use super::body::{self, Body};
use super::ApiError;
use crate::json;

/// How much of a successful reply the caller needs decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decode {
    /// All of it. A body of more values than `PINGERA_MAX_JSON_VALUES` is refused; it is counted before it is
    /// decoded.
    Whole,
    /// What a result of at most this many bytes can hold. A reply that may be larger is decoded as it arrives and
    /// never held: each top-level list keeps only its first items that fit in the bytes and in the value limit,
    /// and the rest are read and counted but never built ([`json::decode_within`]).
    Within(usize),
}

/// A successful API reply, decoded as the request asked ([`Decode`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The JSON body; `Null` for an empty body (204).
    pub body: Value,
    /// The lists cut while decoding, with how many items each held (only with [`Decode::Within`]).
    pub cuts: Vec<json::Cut>,
}

/// Decodes a successful reply that was read whole, as `decode` asks.
fn decode_read(status: u16, body: &Body, decode: Decode, max_values: usize) -> Result<ApiResponse, ApiError> {
    let response = |body, cuts| ApiResponse { status, body, cuts };
    if body.is_blank() {
        return Ok(response(Value::Null, Vec::new()));
    }
    let values = json::value_count(body.pieces());
    match decode {
        Decode::Within(budget) if body.len() > budget || values > max_values => {
            let cut = json::decode_within(body.reader(), json::Budget { bytes: budget, values: max_values });
            cut_reply(status, cut, max_values, || body.head(EXCERPT_SOURCE))
        }
        _ if values > max_values => Err(ApiError::TooManyValues { limit: max_values }),
        _ => match body.as_single() {
            Some(bytes) => serde_json::from_slice(bytes),
            None => serde_json::from_reader(body.reader()),
        }
        .map(|v| response(v, Vec::new()))
        .map_err(|_| not_json(status, &body.head(EXCERPT_SOURCE))),
    }
}

/// A reply decoded with its lists cut ([`json::decode_within`]), or the error it is; `head` gives the first bytes
/// for the text of a body that is not JSON. One judgement for a body read whole and one decoded as it arrives.
fn cut_reply(
    status: u16,
    cut: Result<(Value, Vec<json::Cut>), json::DecodeError>,
    max_values: usize,
    head: impl FnOnce() -> Vec<u8>,
) -> Result<ApiResponse, ApiError> {
    match cut {
        Ok((body, cuts)) => Ok(ApiResponse { status, body, cuts }),
        Err(json::DecodeError::TooManyValues) => Err(ApiError::TooManyValues { limit: max_values }),
        Err(json::DecodeError::Json(_)) => Err(not_json(status, &head())),
    }
}

fn not_json(status: u16, head: &[u8]) -> ApiError {
    ApiError::InvalidResponse(format!(
        "status {status} with a body that is not JSON: {}",
        excerpt(&String::from_utf8_lossy(head))
    ))
}

/// Reads a reply's body as `decode` asks: a success that may be larger than the result it feeds
/// ([`Decode::Within`], no declared length or one over the result's bytes) is decoded as it arrives, and nothing of it
/// is held but the items kept and the first bytes for an error text; every other body is read whole, in pieces.
///
/// # Errors
/// A failed read (over the cap, a timeout, a broken connection), as ureq reports it, so that the caller judges it
/// like the failure of any other read: the same errors, the same retries.
pub(super) fn read(
    reader: &mut impl io::Read,
    status: u16,
    declared: Option<u64>,
    decode: Decode,
    max_values: usize,
) -> Result<Read, ureq::Error> {
    let budget = match decode {
        Decode::Within(budget) if (200..300).contains(&status) && declared.is_none_or(|n| n > budget as u64) => budget,
        _ => return Body::read_from(reader).map(Read::Whole).map_err(ureq::Error::from),
    };
    // The decoder reads a byte at a time; the buffer turns that into reads of the socket's size.
    let mut head = Head::new(io::BufReader::with_capacity(body::PIECE, reader));
    let cut = json::decode_within(&mut head, json::Budget { bytes: budget, values: max_values });
    Ok(Read::Decoded(match cut {
        Err(json::DecodeError::Json(e)) if e.is_io() => return Err(ureq::Error::from(io::Error::from(e))),
        Err(_) if head.bytes.iter().all(u8::is_ascii_whitespace) => {
            Ok(ApiResponse { status, body: Value::Null, cuts: Vec::new() })
        }
        cut => cut_reply(status, cut, max_values, || head.rest()),
    }))
}

/// A reply as received, before it is judged.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) retry_after: Option<Duration>,
    /// Whether the connection stays open for the next request.
    pub(super) kept_alive: bool,
    pub(super) read: Read,
    /// What the request asked for, for a body read whole.
    pub(super) decode: Decode,
}

/// A reply's body as it was read.
pub(super) enum Read {
    /// Read whole (every error reply, and every success that fits the result it feeds).
    Whole(Body),
    /// Decoded as it arrived ([`Decode::Within`]), or why that failed.
    Decoded(Result<ApiResponse, ApiError>),
}

/// A reader that keeps the first bytes it passes on, for the error text of a body that is not JSON.
struct Head<R> {
    inner: R,
    bytes: Vec<u8>,
}

impl<R: io::Read> Head<R> {
    fn new(inner: R) -> Head<R> {
        Head { inner, bytes: Vec::new() }
    }

    /// The first bytes, read on past where decoding stopped (a few bytes in, for most bodies that are not JSON),
    /// so that the error text shows what the body was.
    fn rest(mut self) -> Vec<u8> {
        let mut buf = [0u8; 512];
        while self.bytes.len() < EXCERPT_SOURCE && io::Read::read(&mut self, &mut buf).is_ok_and(|n| n > 0) {}
        self.bytes
    }
}

impl<R: io::Read> io::Read for Head<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = EXCERPT_SOURCE.saturating_sub(self.bytes.len()).min(n);
        self.bytes.extend_from_slice(&buf[..room]);
        Ok(n)
    }
}

impl Reply {
    pub(super) fn into_result(self, max_values: usize) -> Result<ApiResponse, ApiError> {
        let body = match self.read {
            Read::Decoded(decoded) => return decoded,
            Read::Whole(body) => body,
        };
        if (200..300).contains(&self.status) {
            return decode_read(self.status, &body, self.decode, max_values);
        }
        let blank = body.is_blank();
        // An error body is decoded only when it is small enough to decode whole; otherwise it is shown as text.
        let parsed: Option<Value> = match body.as_single() {
            Some(bytes) if !blank && json::value_count([bytes]) <= max_values => serde_json::from_slice(bytes).ok(),
            _ => None,
        };
        let text = String::from_utf8_lossy(&body.head(EXCERPT_SOURCE)).into_owned();
        // The API's error body is flask-smorest's {"code","status","message","errors"}; anything else is shown as
        // a short excerpt.
        let (message, errors) = match &parsed {
            Some(Value::Object(o)) => (
                o.get("message").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| excerpt(&text)),
                o.get("errors").filter(|e| !e.is_null() && e.as_object().is_none_or(|m| !m.is_empty())).cloned(),
            ),
            _ if blank => ("no details given".to_owned(), None),
            _ => (excerpt(&text), None),
        };
        Err(match self.status {
            401 | 403 => ApiError::Auth { status: self.status, message },
            status => ApiError::Status { status, message, errors },
        })
    }
}

/// The bytes of a body an excerpt is taken from: enough for its 300 characters after whitespace is collapsed.
const EXCERPT_SOURCE: usize = 4096;

/// At most 300 characters of a body, on one line.
pub(super) fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_messages() {
        let reply = |status: u16, bytes: &[u8], decode: Decode| Reply {
            status,
            retry_after: None,
            kept_alive: true,
            read: Read::Whole(Body::from_bytes(bytes)),
            decode,
        };
        let r = reply(422, br#"{"code":422,"status":"Unprocessable Entity","message":"Validation error","errors":{"json":{"name":["Missing data"]}}}"#, Decode::Whole);
        let e = r.into_result(1000).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Pingera API error 422 Unprocessable Entity: Validation error; field errors: {"json":{"name":["Missing data"]}}"#
        );
        let r = reply(401, br#"{"code":401,"message":"Invalid credentials"}"#, Decode::Whole);
        assert!(matches!(r.into_result(1000), Err(ApiError::Auth { status: 401, .. })));
        let r = reply(200, b"<html>", Decode::Whole);
        assert!(matches!(r.into_result(1000), Err(ApiError::InvalidResponse(_))));
        let r = reply(204, b"", Decode::Within(10));
        assert_eq!(r.into_result(1000).unwrap().body, Value::Null);
        let many = format!("[{}]", vec!["0"; 2000].join(","));
        let r = reply(200, many.as_bytes(), Decode::Whole);
        assert!(matches!(r.into_result(1000), Err(ApiError::TooManyValues { limit: 1000 })));
        // Decoded for a small result, the same reply is cut instead, and says by how much.
        let r = reply(200, many.as_bytes(), Decode::Within(100)).into_result(1000).unwrap();
        assert_eq!((r.body.as_array().map(Vec::len), r.cuts[0].items), (Some(50), 2000));
    }

    #[test]
    fn a_streamed_body_keeps_its_head_for_the_error_text() {
        let text = b"not json at all";
        let mut head = Head::new(&text[..]);
        assert!(json::decode_within(&mut head, json::Budget { bytes: 10, values: 10 }).is_err());
        assert_eq!(head.rest(), text);
    }

    #[test]
    fn excerpt_is_bounded() {
        let long = "x ".repeat(1000);
        assert!(excerpt(&long).len() < 310);
    }
}
