//! The core's server-to-client requests and multi-round-trip input, end to end: the conformance fixture server
//! (`examples/conformance_server.rs`, a second service on the same core) over real pipes, with this test playing
//! the client that answers (or does not answer) the server's requests. The HTTP side of the same flows is covered
//! by the official referee in `conformance.rs`.

use serde_json::{json, Value};

use crate::support::{fixture_server_bin, Proc};

fn start() -> Proc {
    Proc::start_bin(&fixture_server_bin(), &[], &[])
}

/// Initializes the handshake era with these client capabilities.
fn initialize(p: &mut Proc, capabilities: Value) {
    let r = p.request(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": capabilities,
        "clientInfo": {"name": "fixture-tests", "version": "1"}}}));
    assert!(r.get("result").is_some(), "initialize failed: {r}");
    p.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
}

fn sampling_call(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "test_sampling", "arguments": {"prompt": "Say hi"}}})
}

fn modern_meta(capabilities: Value) -> Value {
    json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
           "io.modelcontextprotocol/clientCapabilities": capabilities})
}

#[test]
fn a_tool_asks_the_client_for_sampling_and_gets_the_answer_paired_by_id() {
    let mut p = start();
    initialize(&mut p, json!({"sampling": {}}));
    p.send(&sampling_call(1));
    let ask = p.recv();
    assert_eq!(ask["method"], "sampling/createMessage", "the server asks the client first: {ask}");
    assert_eq!(ask["params"]["messages"][0]["content"]["text"], "Say hi");
    assert!(ask["id"].is_i64() || ask["id"].is_string(), "a request carries an id: {ask}");
    // A response with an id the server never used is ignored, and the server keeps serving meanwhile.
    p.send(&json!({"jsonrpc": "2.0", "id": 987654, "result": {}}));
    let pong = p.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}));
    assert_eq!(pong, json!({"jsonrpc": "2.0", "id": 2, "result": {}}));
    p.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "hi there"}, "model": "m", "stopReason": "endTurn"}}));
    let reply = p.recv();
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["result"]["content"][0]["text"], "LLM response: hi there", "{reply}");
}

#[test]
fn a_client_error_or_a_missing_capability_becomes_a_tool_error_not_a_hang() {
    let mut p = start();
    initialize(&mut p, json!({"sampling": {}}));
    p.send(&sampling_call(1));
    let ask = p.recv();
    p.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "error": {"code": -1, "message": "user declined"}}));
    let reply = p.recv();
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert!(reply["result"]["content"][0]["text"].as_str().unwrap().contains("user declined"), "{reply}");

    // Elicitation was not declared: the server does not send the request at all.
    let r = p.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "test_elicitation", "arguments": {"message": "Who are you?"}}}));
    assert_eq!(r["id"], 2, "the reply comes first, no request to the client: {r}");
    assert_eq!(r["result"]["isError"], true);
    assert!(r["result"]["content"][0]["text"].as_str().unwrap().contains("elicitation"), "{r}");
}

#[test]
fn cancelling_a_call_that_waits_for_the_client_ends_it_quietly() {
    let mut p = start();
    initialize(&mut p, json!({"sampling": {}}));
    p.send(&sampling_call(1));
    let ask = p.recv();
    assert_eq!(ask["method"], "sampling/createMessage");
    p.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}));
    // The late answer pairs with nothing; the cancelled call gets no reply, so the next line is the ping's.
    p.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "late"}, "model": "m"}}));
    let pong = p.request(&json!({"jsonrpc": "2.0", "id": 3, "method": "ping"}));
    assert_eq!(pong, json!({"jsonrpc": "2.0", "id": 3, "result": {}}));
    p.close_stdin();
    assert!(p.rest().is_empty(), "nothing else is sent for the cancelled call");
}

#[test]
fn stateless_requests_get_input_required_results_and_complete_on_retry() {
    let mut p = start();
    let first = p.request(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "test_input_required_result_multi_round", "arguments": {},
        "_meta": modern_meta(json!({"elicitation": {}}))}}));
    let r1 = &first["result"];
    assert_eq!(r1["resultType"], "input_required", "{first}");
    assert_eq!(r1["inputRequests"]["step1"]["method"], "elicitation/create");
    let state1 = r1["requestState"].as_str().expect("a request state").to_owned();

    let second = p.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "test_input_required_result_multi_round", "arguments": {},
        "inputResponses": {"step1": {"action": "accept", "content": {"name": "Ada"}}},
        "requestState": state1, "_meta": modern_meta(json!({"elicitation": {}}))}}));
    let r2 = &second["result"];
    assert_eq!(r2["resultType"], "input_required", "{second}");
    let state2 = r2["requestState"].as_str().expect("a second state").to_owned();
    assert_ne!(state2, state1, "each round has its own state");

    // A changed state is refused with -32602, never taken at its word.
    let tampered = p.request(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "test_input_required_result_multi_round", "arguments": {},
        "inputResponses": {"step2": {"action": "accept", "content": {"color": "red"}}},
        "requestState": state2.replace("step2:Ada", "step2:Eve"), "_meta": modern_meta(json!({"elicitation": {}}))}}));
    assert_eq!(tampered["error"]["code"], -32602, "{tampered}");

    let third = p.request(&json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {
        "name": "test_input_required_result_multi_round", "arguments": {},
        "inputResponses": {"step2": {"action": "accept", "content": {"color": "green"}}},
        "requestState": state2, "_meta": modern_meta(json!({"elicitation": {}}))}}));
    assert_eq!(third["result"]["resultType"], "complete", "{third}");
    assert_eq!(third["result"]["content"][0]["text"], "Multi-round complete for Ada who likes green");
}

#[test]
fn stateless_input_that_the_client_cannot_give_or_gives_malformed_is_an_error() {
    let mut p = start();
    // Sampling needed, not declared: -32021 naming the capability.
    let r = p.request(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "test_sampling", "arguments": {"prompt": "x"}, "_meta": modern_meta(json!({}))}}));
    assert_eq!(r["error"]["code"], -32021, "{r}");
    assert_eq!(r["error"]["data"]["requiredCapabilities"], json!({"sampling": {}}));
    // An answer of the wrong shape is -32602, not a success.
    let r = p.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "test_sampling", "arguments": {"prompt": "x"}, "inputResponses": {"sampling": 42},
        "_meta": modern_meta(json!({"sampling": {}}))}}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert_eq!(r["id"], 2);
}

#[test]
fn end_of_input_while_a_call_waits_for_the_client_answers_it_at_once_and_exits_0() {
    let mut p = start();
    initialize(&mut p, json!({"sampling": {}}));
    p.send(&sampling_call(1));
    assert_eq!(p.recv()["method"], "sampling/createMessage");
    p.close_stdin();
    // No answer can come now: the call ends with a tool error instead of waiting for the shutdown timeout.
    let started = std::time::Instant::now();
    let rest = p.rest();
    assert_eq!(rest.len(), 1, "exactly the call's reply: {rest:?}");
    let reply: Value = serde_json::from_str(&rest[0]).unwrap();
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert!(p.wait_exit(std::time::Duration::from_secs(5)).success());
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "no wait for the shutdown timeout");
}
