//! The `check` subcommand: prints the effective configuration (credentials masked) and tests the API.
//!
//! Invariant: it prints no credential, and it reports failure through its return value so that the binary exits
//! non-zero when the API does not accept the configured credential.

use std::io::Write;

use crate::app::Pingera;
use crate::config::Config;
use crate::tools::{self, ToolCtx};

/// Prints the configuration and the connection test to `out`; true when the API accepted the credential.
pub async fn run(config: Config, out: &mut dyn Write) -> bool {
    let _ = writeln!(out, "pingera-mcp {} configuration:", env!("CARGO_PKG_VERSION"));
    for (name, value) in config.describe() {
        let _ = writeln!(out, "  {name:<20} {value}");
    }
    let credential = config.credential.clone();
    let show_secret_values = config.show_secret_values;
    let max_result_bytes = config.max_result_bytes;
    let service = std::sync::Arc::new(Pingera::new(std::sync::Arc::new(config)));
    let _ = writeln!(out, "  {:<20} {}", "tools offered", service.tools().len());
    for (set, names) in service.selection().by_toolset() {
        let _ = writeln!(out, "    {:<18} {}", set.as_str(), names.join(", "));
    }
    let srv = std::sync::Arc::clone(&service);
    let permit = service.api().permit().await;
    let outcome = tokio::task::spawn_blocking(move || {
        let tool = tools::find("test_pingera_connection").expect("the connection test is in the table");
        let ctx = ToolCtx {
            api: srv.api(),
            credential: credential.as_ref(),
            observer: &crate::pingera::Quiet,
            show_secret_values,
            permit: Some(&permit),
            max_result_bytes,
        };
        tool.call(&ctx, &serde_json::Map::new())
    })
    .await;
    match outcome {
        Ok(Ok(_)) => {
            let _ = writeln!(out, "API check: OK, {} accepted the credential", service.api().shown_url());
            true
        }
        Ok(Err(e)) => {
            let _ = writeln!(out, "API check: FAILED: {e}");
            false
        }
        Err(e) => {
            let _ = writeln!(out, "API check: FAILED: {e}");
            false
        }
    }
}
