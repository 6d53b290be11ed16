//! Property tests of the protocol core: the codec, the parser, the encoder and the session, in process.

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use pingera_mcp_server::app;
use pingera_mcp_server::codec::{Frame, LineCodec};
use pingera_mcp_server::config::Config;
use pingera_mcp_server::jsonrpc::{self, ErrorCode, Incoming, Outgoing, Parsed, RequestId, RpcError};
use pingera_mcp_server::session::{CallCx, Handled, Server, Session};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tokio_util::codec::Decoder;

fn decode_chunks(max: usize, chunks: &[Vec<u8>]) -> Vec<Frame> {
    let mut codec = LineCodec::new(max);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for c in chunks {
        buf.extend_from_slice(c);
        while let Some(f) = codec.decode(&mut buf).expect("decoding never fails") {
            out.push(f);
        }
    }
    while let Some(f) = codec.decode_eof(&mut buf).expect("decoding never fails") {
        out.push(f);
    }
    out
}

/// Splits `data` at the given cut points (taken modulo its length).
fn chunked(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| if data.is_empty() { 0 } else { c % data.len() }).collect();
    points.sort();
    points.dedup();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points {
        out.push(data[last..p].to_vec());
        last = p;
    }
    out.push(data[last..].to_vec());
    out
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".*".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn request_id() -> impl Strategy<Value = RequestId> {
    prop_oneof![any::<i64>().prop_map(RequestId::Int), ".*".prop_map(RequestId::Str)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic the parser, and every error is -32700 or -32600.
    #[test]
    fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let check = |r: &Result<Incoming, (Option<RequestId>, RpcError)>| {
            if let Err((_, e)) = r {
                assert!(e.code == ErrorCode::PARSE_ERROR || e.code == ErrorCode::INVALID_REQUEST, "{e:?}");
            }
        };
        match jsonrpc::parse(&bytes) {
            Parsed::Single(r) => check(&r),
            Parsed::Batch(items) => items.iter().for_each(check),
        }
    }

    /// Arbitrary JSON values never panic the classifier either.
    #[test]
    fn classify_never_panics(v in json_value()) {
        let _ = jsonrpc::classify(v);
    }

    /// Framing is the same however the input is chunked.
    #[test]
    fn framing_is_independent_of_chunking(
        lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..8),
        cuts in prop::collection::vec(any::<usize>(), 0..10),
        max in 1usize..48,
    ) {
        let mut data = Vec::new();
        for l in &lines {
            data.extend_from_slice(l);
            data.push(b'\n');
        }
        let whole = decode_chunks(max, &[data.clone()]);
        let pieces = decode_chunks(max, &chunked(&data, &cuts));
        prop_assert_eq!(whole, pieces);
    }

    /// A too-long line never hides the line after it.
    #[test]
    fn the_line_after_a_too_long_one_survives(extra in 1usize..5000, max in 16usize..64) {
        let mut data = vec![b'z'; max + extra];
        data.extend_from_slice(b"\n{\"ok\":1}\n");
        let frames = decode_chunks(max, &chunked(&data, &[7, 100, 3000]));
        prop_assert_eq!(frames.len(), 2);
        prop_assert_eq!(&frames[0], &Frame::TooLong);
        prop_assert_eq!(&frames[1], &Frame::Line(BytesMut::from(&b"{\"ok\":1}"[..])));
    }

    /// Encoding gives one line (no raw newline), and parsing it back gives the same message.
    #[test]
    fn encode_then_parse_is_the_identity(id in request_id(), result in json_value(), method in ".{1,20}", params in json_value(), code in any::<i32>(), msg in ".*") {
        let response = Outgoing::result(id.clone(), result.clone());
        let bytes = jsonrpc::encode(&response);
        prop_assert!(!bytes.contains(&b'\n'));
        prop_assert_eq!(jsonrpc::parse(&bytes), Parsed::Single(Ok(Incoming::Response { id: Some(id.clone()), result: Ok(result) })));

        let err = RpcError::new(ErrorCode(code as i64), msg);
        let bytes = jsonrpc::encode(&Outgoing::error(Some(id.clone()), err.clone()));
        prop_assert!(!bytes.contains(&b'\n'));
        prop_assert_eq!(jsonrpc::parse(&bytes), Parsed::Single(Ok(Incoming::Response { id: Some(id), result: Err(err) })));

        let params = match params { Value::Object(m) => m, _ => Map::new() };
        let bytes = jsonrpc::encode(&Outgoing::notification(method.clone(), Value::Object(params.clone())));
        prop_assert!(!bytes.contains(&b'\n'));
        let expected_params = Some(params);
        match jsonrpc::parse(&bytes) {
            Parsed::Single(Ok(Incoming::Notification(n))) => {
                prop_assert_eq!(n.method, method);
                prop_assert_eq!(n.params, expected_params);
            }
            other => prop_assert!(false, "not a notification: {other:?}"),
        }
    }
}

/// One message a property test sends to the session.
#[derive(Debug, Clone)]
enum Msg {
    Request(RequestId, &'static str, Value),
    Notification(&'static str, Value),
    Garbage(Vec<u8>),
}

fn message() -> impl Strategy<Value = Msg> {
    let methods = prop::sample::select(vec![
        "ping",
        "initialize",
        "tools/list",
        "tools/call",
        "logging/setLevel",
        "resources/list",
        "nope",
        "",
    ]);
    let params = prop_oneof![
        Just(json!({})),
        Just(json!({"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "p", "version": "1"}})),
        Just(json!({"protocolVersion": "2025-11-25"})),
        Just(json!({"name": "list_pages", "arguments": {"page": 0}})),
        Just(json!({"name": "get_page_details", "arguments": {}})),
        Just(json!({"name": "test_pingera_connection"})),
        Just(json!({"name": "nope"})),
        Just(json!({"level": "debug"})),
        Just(json!({"cursor": "x"})),
        json_value(),
    ];
    prop_oneof![
        (request_id(), methods.clone(), params.clone()).prop_map(|(i, m, p)| Msg::Request(i, m, p)),
        (methods, params).prop_map(|(m, p)| Msg::Notification(m, p)),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Msg::Garbage),
    ]
}

fn encode_msg(m: &Msg) -> Vec<u8> {
    let mut v = match m {
        Msg::Request(id, method, _) => json!({"jsonrpc": "2.0", "id": id.to_value(), "method": method}),
        Msg::Notification(method, _) => json!({"jsonrpc": "2.0", "method": method}),
        Msg::Garbage(bytes) => return bytes.clone(),
    };
    if let Msg::Request(_, _, p) | Msg::Notification(_, p) = m {
        if p.is_object() {
            v["params"] = p.clone();
        }
    }
    serde_json::to_vec(&v).unwrap()
}

fn test_server() -> Arc<Server> {
    // An API on a closed port, no retries: a call that passes validation fails fast instead of waiting.
    let mut config = Config::for_base_url("http://127.0.0.1:9");
    config.max_retries = 0;
    config.credential = None;
    app::server(config)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any sequence of messages never panics the session; every well-formed request gets exactly one reply with its
    /// id, and notifications get none.
    #[test]
    fn every_request_gets_exactly_one_reply(msgs in prop::collection::vec(message(), 1..24)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let session = Session::new(test_server());
        let notes = Arc::new(Mutex::new(Vec::new()));
        let sink_notes = Arc::clone(&notes);
        let cx = CallCx::new(None, move |o| sink_notes.lock().unwrap().push(o));
        let mut replies: Vec<Outgoing> = Vec::new();
        let mut expected_ids: Vec<RequestId> = Vec::new();
        let mut pending = Vec::new();
        for m in &msgs {
            let bytes = encode_msg(m);
            let parsed = jsonrpc::parse(&bytes);
            let is_batch = matches!(parsed, Parsed::Batch(_));
            if let (Msg::Request(id, ..), Parsed::Single(Ok(Incoming::Request(_)))) = (m, &parsed) {
                expected_ids.push(id.clone());
            }
            match session.handle(parsed, &cx) {
                Handled::Reply(o) => replies.push(o),
                Handled::NoReply => {
                    prop_assert!(!matches!(m, Msg::Request(..)) || is_batch, "a request got no reply: {m:?}");
                }
                Handled::Deferred(f) => pending.push(rt.spawn(f)),
            }
        }
        for p in pending {
            if let Some(o) = rt.block_on(p).unwrap() {
                replies.push(o);
            }
        }
        // Only single replies to single requests are counted; error replies with a null id belong to garbage.
        let mut got: Vec<RequestId> = replies
            .iter()
            .filter_map(|o| match o {
                Outgoing::Response { id: Some(id), .. } | Outgoing::Raw { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        let mut want = expected_ids.clone();
        got.sort_by_key(|i| format!("{i:?}"));
        want.sort_by_key(|i| format!("{i:?}"));
        // Duplicate ids in flight are answered with an error, still one reply each.
        prop_assert_eq!(got, want);
        for n in notes.lock().unwrap().iter() {
            prop_assert!(matches!(n, Outgoing::Notification { .. }), "the sink only carries notifications");
        }
    }
}
