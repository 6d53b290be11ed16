//! Transports: the only code that touches stdin, stdout or sockets of the MCP side.
//!
//! Invariant: transports turn bytes into parsed frames for a [`crate::session::Session`] and write back what it
//! answers; they make no protocol decisions of their own.

pub mod body;
pub mod http;
pub mod stdio;
