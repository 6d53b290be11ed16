//! The protocol test suite: fixture transcripts, end-to-end tests of the real binary, property tests and official
//! clients. Run with `cargo test` (the official-client test needs `scripts/mcp-tools.sh` first; `scripts/test` runs
//! everything).

mod bounds;
mod clients;
mod conformance;
mod fixture_server;
mod http;
mod props;
mod stdio;
mod support;
mod tools;
mod transcripts;
