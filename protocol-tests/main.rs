//! The protocol test suite: fixture transcripts, end-to-end tests of the real binary, property tests and official
//! clients. `cargo test` runs everything that needs only Rust; the official-client and conformance-referee tests
//! drive Node and Python tools that `scripts/mcp-tools.sh` installs, so they are compiled only with the cargo feature
//! `external-tests` (`scripts/test` installs the tools and turns it on).

mod bounds;
#[cfg(feature = "external-tests")]
mod browser;
mod bundle;
#[cfg(feature = "external-tests")]
mod clients;
#[cfg(feature = "external-tests")]
mod conformance;
mod context;
mod fixture_server;
mod http;
mod pressure;
mod props;
#[cfg(feature = "external-tests")]
mod scale_out;
mod sealed;
mod stdio;
mod support;
#[cfg(feature = "external-tests")]
mod third_party;
mod tools;
mod transcript_tool;
mod transcripts;
