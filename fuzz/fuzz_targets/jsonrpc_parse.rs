//! The message parser and the JSON budget rules on arbitrary bytes: `Limits::parse` (the value and batch caps, then
//! `jsonrpc::parse`) never panics and whatever it answers can be encoded; `json::value_count` is never below the
//! values that decoding builds; `json::decode_within` never builds more values than its budget, calls invalid only
//! texts `serde_json` rejects (it may accept one whose only flaw is invalid UTF-8 in an item it skips), and with a
//! budget that holds everything it decodes the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pingera_mcp_server::json;
use pingera_mcp_server::jsonrpc::{self, Outgoing, Parsed};
use pingera_mcp_server::limits::Limits;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    // A small value limit, so that both sides of it are reached by short inputs.
    let limits = Limits { max_json_values: 64, max_batch_entries: 8, ..Limits::default() };
    let answers = match limits.parse(data) {
        Err(refused) => {
            let bytes = jsonrpc::encode(&refused);
            serde_json::from_slice::<Value>(&bytes).expect("a refusal is JSON");
            Vec::new()
        }
        Ok(Parsed::Single(r)) => vec![r],
        Ok(Parsed::Batch(items)) => items,
    };
    for answer in answers {
        if let Err((id, e)) = answer {
            // The error reply to a bad message must itself be valid JSON.
            let bytes = jsonrpc::encode(&Outgoing::error(id, e));
            serde_json::from_slice::<Value>(&bytes).expect("an error reply is JSON");
        }
    }

    let whole = serde_json::from_slice::<Value>(data);
    if let Ok(v) = &whole {
        assert!(json::value_count([data]) >= json::values_in(v), "the count is below what decoding built");
    }
    let first = data.first().map_or(0, |b| usize::from(*b));
    let within = json::decode_within(data, json::Budget { bytes: first * 4, values: first });
    match &within {
        Ok((v, _)) => assert!(json::values_in(v) <= first, "decode_within built more values than its budget"),
        Err(json::DecodeError::TooManyValues) => {}
        Err(json::DecodeError::Json(_)) => assert!(whole.is_err(), "decode_within refused a text serde_json accepts"),
    }
    if let Ok(v) = whole {
        let (all, cuts) = json::decode_within(data, json::Budget { bytes: usize::MAX / 2, values: usize::MAX / 2 })
            .expect("valid JSON decodes");
        assert_eq!(all, v);
        assert!(cuts.is_empty());
    }
});
