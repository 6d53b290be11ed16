//! Unit tests of `session`.

use super::*;
use crate::service::{Exchange, Work};

/// A service for tests of the core: it lists no tools, and a call either names an unknown tool or, when
/// `panics`, panics (a fixture bug the session must survive).
struct TestService {
    identity: crate::service::Identity,
    panics: bool,
}

impl Service for TestService {
    fn identity(&self) -> &crate::service::Identity {
        &self.identity
    }
    fn capabilities(&self, _: Version) -> Value {
        json!({ "tools": {} })
    }
    fn list_tools(&self, _: Option<&Value>, _: Version) -> Result<ResultBody, RpcError> {
        Ok(ResultBody::Json(json!({ "tools": [] })))
    }
    fn call_tool(&self, name: &str, _: Map<String, Value>, _: Exchange) -> Result<Work, RpcError> {
        if self.panics {
            return Ok(Box::pin(async { panic!("fixture bug") }));
        }
        Err(RpcError::invalid_params(format!("unknown tool: {name}")))
    }
}

/// A server whose test service panics in every call or, when not `panics`, has no tools.
fn test_server(panics: bool) -> Arc<Server> {
    let identity = crate::service::Identity {
        name: "test".into(),
        version: "0",
        title: "test",
        description: "test",
        website_url: None,
        instructions: "",
    };
    Server::new(Arc::new(TestService { identity, panics }))
}

/// A server whose service has no tools.
pub(crate) fn tools_only_server() -> Arc<Server> {
    test_server(false)
}

#[test]
fn a_panicking_service_call_is_an_internal_error_reply_and_the_session_goes_on() {
    let session = Session::new(test_server(true));
    let cx = CallCx::new(None, |_| {});
    let msg = |text: &str| crate::jsonrpc::parse(text.as_bytes());
    let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#;
    assert!(matches!(session.handle(msg(init), &cx), Handled::Reply(_)));
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
    let Handled::Deferred(reply) = session.handle(msg(call), &cx) else { panic!("a call is deferred") };
    let text = jsonrpc_text(
        &tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(reply)
            .expect("a reply"),
    );
    assert!(text.contains(r#""code":-32603"#) && text.contains("fixture bug"), "{text}");
    assert_eq!(session.in_flight(), 0);
    let Handled::Reply(pong) = session.handle(msg(r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#), &cx) else {
        panic!("ping is answered at once")
    };
    assert_eq!(jsonrpc_text(&pong), r#"{"jsonrpc":"2.0","id":2,"result":{}}"#);
}

fn jsonrpc_text(o: &Outgoing) -> String {
    String::from_utf8(crate::jsonrpc::encode(o)).unwrap()
}
