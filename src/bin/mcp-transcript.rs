//! `mcp-transcript`: records, verifies and serves MCP sessions as transcripts (`pingera_mcp_server::transcript`).
//!
//! Invariant: this file only hands the command line to the library and exits with the status it returns.

#![forbid(unsafe_code)]

fn main() {
    let status = pingera_mcp_server::transcript::main_with_args(std::env::args().skip(1).collect());
    std::process::exit(status);
}
