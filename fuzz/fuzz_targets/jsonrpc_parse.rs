//! `jsonrpc::parse` on arbitrary bytes: it never panics, and whatever it answers can be encoded.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pingera_mcp_server::jsonrpc::{self, Outgoing, Parsed};

fuzz_target!(|data: &[u8]| {
    let answers = match jsonrpc::parse(data) {
        Parsed::Single(r) => vec![r],
        Parsed::Batch(items) => items,
    };
    for answer in answers {
        if let Err((id, e)) = answer {
            // The error reply to a bad message must itself be valid JSON.
            let bytes = jsonrpc::encode(&Outgoing::error(id, e));
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("an error reply is JSON");
        }
    }
});
