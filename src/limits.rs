//! The limits that keep one session bounded under pressure: requests in flight, batch entries, the size of a
//! batch reply, the JSON values in one message, and the messages that may wait for a slow reader. Each is a
//! setting (see `config`).
//!
//! Invariant: a limit that is hit is answered with one JSON-RPC error that names the limit and carries it in
//! `data`, never with a crash, a hang or unbounded memory; this module is the one place those errors are written.

use serde::de::{Deserializer as _, IgnoredAny, SeqAccess, Visitor};
use serde_json::json;

use crate::json;
use crate::jsonrpc::{self, ErrorCode, Outgoing, Parsed, RequestId, RpcError};

/// The JSON-RPC code of a request refused because its session has too many requests in flight. It lies in the
/// range JSON-RPC leaves to servers; the request was not run, so the client may send it again later.
pub const OVERLOADED: ErrorCode = ErrorCode(-32010);

/// The per-session limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most requests of one session running at once; more are refused with [`OVERLOADED`].
    pub max_in_flight: usize,
    /// The most entries in one JSON-RPC batch; a larger batch is refused whole.
    pub max_batch_entries: usize,
    /// The largest encoded batch reply, in bytes; a larger one is replaced by one error.
    pub max_batch_reply_bytes: usize,
    /// The most messages that may wait for a reader that is slow (stdio's stdout, an SSE stream).
    pub max_queued_messages: usize,
    /// The most JSON values (see [`json::value_count`]) in one message; a message with more is refused before it
    /// is decoded, because decoding it would take tens of times its size.
    pub max_json_values: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_in_flight: 256,
            max_batch_entries: 100,
            max_batch_reply_bytes: 16 * 1024 * 1024,
            max_queued_messages: 64,
            max_json_values: 100_000,
        }
    }
}

impl Limits {
    /// The error for a request past [`Limits::max_in_flight`].
    pub fn too_many_in_flight(&self) -> RpcError {
        RpcError::new(
            OVERLOADED,
            format!(
                "server busy: this session already has {} requests in flight, the server's limit; retry when \
                 some have been answered",
                self.max_in_flight
            ),
        )
        .with_data(json!({ "limit": self.max_in_flight }))
    }

    /// The reply to a batch of `entries` entries when that is more than [`Limits::max_batch_entries`].
    pub fn batch_too_long(&self, entries: usize) -> Option<Outgoing> {
        (entries > self.max_batch_entries).then(|| {
            Outgoing::error(
                None,
                RpcError::invalid_request(format!(
                    "invalid request: a batch of {entries} entries is larger than the limit of {} \
                     entries per batch; nothing in it was run",
                    self.max_batch_entries
                ))
                .with_data(json!({ "limit": self.max_batch_entries, "entries": entries })),
            )
        })
    }

    /// Parses a frame, refusing a message of more than [`Limits::max_json_values`] values and a batch of more than
    /// [`Limits::max_batch_entries`] entries before anything is built: both are counted first without allocating,
    /// because the parsed values of a few MiB of JSON take tens of times its size.
    ///
    /// # Errors
    /// The reply to a message that holds too many values or a batch that is too long.
    pub fn parse(&self, bytes: &[u8]) -> Result<Parsed, Outgoing> {
        if let Some(refused) = batch_entries(bytes).and_then(|n| self.batch_too_long(n)) {
            return Err(refused);
        }
        let values = json::value_count([bytes]);
        if values > self.max_json_values {
            return Err(Outgoing::error(
                request_id(bytes),
                RpcError::invalid_request(format!(
                    "invalid request: the message holds about {values} JSON values, more than the limit of {} \
                     per message; nothing in it was run, send less at a time",
                    self.max_json_values
                ))
                .with_data(json!({ "limit": self.max_json_values })),
            ));
        }
        Ok(jsonrpc::parse(bytes))
    }

    /// The batch reply `replies`, or one error in its place when its encoding would exceed
    /// [`Limits::max_batch_reply_bytes`]. Each reply is encoded once into a scratch buffer to be measured, so
    /// counting holds at most one reply's encoding at a time.
    pub fn cap_batch_reply(&self, replies: Vec<Outgoing>) -> Outgoing {
        let limit = self.max_batch_reply_bytes;
        // The brackets and the commas between the replies.
        let mut size = 2 + replies.len().saturating_sub(1);
        let mut scratch = Vec::new();
        for r in &replies {
            scratch.clear();
            r.write_to(&mut scratch);
            size += scratch.len();
            if size > limit {
                return Outgoing::error(
                    None,
                    RpcError::invalid_request(format!(
                        "invalid request: the reply to this batch is larger than the limit of {limit} bytes \
                         for a batch reply; its requests ran, send fewer at a time"
                    ))
                    .with_data(json!({ "limit": limit })),
                );
            }
        }
        Outgoing::Batch(replies)
    }
}

/// The id of a frame that is one request, read without building anything else (every other member is skipped
/// unbuilt); `None` for a batch, a notification, a malformed frame or an id that is not a string or an integer.
fn request_id(bytes: &[u8]) -> Option<RequestId> {
    /// An id that is a string or an integer; anything else (an array of a million numbers, say) is an error at its
    /// first byte, so nothing is built for it.
    struct Id(RequestId);
    impl<'de> serde::Deserialize<'de> for Id {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Id;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a string or an integer")
                }
                fn visit_i64<E>(self, v: i64) -> Result<Id, E> {
                    Ok(Id(RequestId::Int(v)))
                }
                fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Id, E> {
                    i64::try_from(v).map(|v| Id(RequestId::Int(v))).map_err(E::custom)
                }
                fn visit_str<E>(self, v: &str) -> Result<Id, E> {
                    Ok(Id(RequestId::Str(v.to_owned())))
                }
            }
            d.deserialize_any(V)
        }
    }
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<Id>,
    }
    serde_json::from_slice::<IdOnly>(bytes).ok()?.id.map(|Id(id)| id)
}

/// The number of entries of a frame that is a JSON array, counted without building them; `None` when it is not a
/// valid JSON array (the parser then says what it is).
fn batch_entries(bytes: &[u8]) -> Option<usize> {
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes[start] != b'[' {
        return None;
    }
    serde_json::Deserializer::from_slice(bytes).deserialize_seq(Count).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::encode;

    #[test]
    fn batch_reply_size_is_counted_exactly() {
        let replies: Vec<Outgoing> =
            (0..5).map(|i| Outgoing::result(RequestId::Int(i), json!({"x": "y".repeat(50)}))).collect();
        let exact = encode(&Outgoing::Batch(replies.clone())).len();
        let fits = Limits { max_batch_reply_bytes: exact, ..Limits::default() };
        assert_eq!(fits.cap_batch_reply(replies.clone()), Outgoing::Batch(replies.clone()));
        let over = Limits { max_batch_reply_bytes: exact - 1, ..Limits::default() };
        let Outgoing::Response { id: None, body: Err(e) } = over.cap_batch_reply(replies) else { panic!("not capped") };
        assert_eq!(e.code, ErrorCode::INVALID_REQUEST);
    }

    #[test]
    fn batch_entries_are_capped() {
        let l = Limits { max_batch_entries: 3, ..Limits::default() };
        assert!(l.batch_too_long(3).is_none());
        assert!(l.batch_too_long(4).is_some());
        assert!(matches!(l.parse(b" [1, {}, [2, 3]] "), Ok(Parsed::Batch(items)) if items.len() == 3));
        assert!(l.parse(b"[1,2,3,4]").is_err());
        assert!(matches!(l.parse(b"{\"a\":[1,2,3,4]}"), Ok(Parsed::Single(_))));
        assert!(matches!(l.parse(b"[1,2,3,4"), Ok(Parsed::Single(Err(_)))), "broken JSON is the parser's to report");
    }

    #[test]
    fn a_message_with_too_many_values_is_refused_with_its_id() {
        let l = Limits { max_json_values: 16, ..Limits::default() };
        let small = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"a":[0,0]}}}"#;
        assert!(matches!(l.parse(small), Ok(Parsed::Single(Ok(_)))));
        let big = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"a":[0,0,0,0,0,0]}}}"#;
        let Err(Outgoing::Response { id, body: Err(e) }) = l.parse(big) else { panic!("not refused") };
        assert_eq!((id, e.code), (Some(RequestId::Int(7)), ErrorCode::INVALID_REQUEST));
        assert!(e.message.contains("limit of 16"), "{}", e.message);
        let Err(Outgoing::Response { id: None, .. }) = l.parse(&[b"[0", &b",0"[..].repeat(20)[..], b"]"].concat())
        else {
            panic!("a batch is refused with a null id")
        };
    }
}
