//! Logging on stderr, with a floor that no `RUST_LOG` value can lower for other crates.
//!
//! Invariant: only this crate's own records follow `RUST_LOG` (or `PINGERA_DEBUG`) down to `debug` and `trace`.
//! Records of every other crate (ureq and ureq_proto, which hex-dump requests and replies with their
//! `Authorization` headers and bodies at `trace`; rustls; hyper; tokio) pass only at `warn` and `error`, whatever
//! the filter says, because their debug output can carry credentials and secret values that this crate never
//! sees and so cannot mask. Our own log lines carry no credential or secret value by construction (SPEC_NOTES.md,
//! "Secrets").

use log::{Level, Log, Metadata, Record};

/// The crate names whose records follow the configured filter; all others are held at [`FOREIGN_MAX`].
const OWN: &[&str] = &["pingera_mcp_server", "pingera_mcp"];

/// The most verbose level at which another crate's record is written.
const FOREIGN_MAX: Level = Level::Warn;

/// Whether a record of `target` at `level` may be written at all, before the configured filter is asked.
pub fn allowed(target: &str, level: Level) -> bool {
    let crate_name = target.split("::").next().unwrap_or_default();
    OWN.contains(&crate_name) || level <= FOREIGN_MAX
}

/// The configured `env_logger`, behind the floor of [`allowed`].
struct Floored(env_logger::Logger);

impl Log for Floored {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        allowed(metadata.target(), metadata.level()) && self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if allowed(record.target(), record.level()) {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// Logs go to stderr. `RUST_LOG` wins when set; otherwise `PINGERA_DEBUG` chooses between debug and info. Either
/// way, other crates stay at warn and above.
pub fn init(debug: bool) {
    let default = if debug { "debug" } else { "info" };
    let mut builder = env_logger::Builder::new();
    builder.target(env_logger::Target::Stderr);
    match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.trim().is_empty() => builder.parse_filters(&filter),
        _ => builder.parse_filters(&format!("warn,pingera_mcp_server={default},pingera_mcp={default}")),
    };
    builder.format_timestamp_millis();
    let logger = builder.build();
    let max = logger.filter();
    if log::set_boxed_logger(Box::new(Floored(logger))).is_ok() {
        log::set_max_level(max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_crates_never_pass_below_warn() {
        for target in ["ureq", "ureq_proto::util", "rustls::conn", "hyper::proto", "tokio", "pingera_mcp_serverx"] {
            assert!(!allowed(target, Level::Trace) && !allowed(target, Level::Debug) && !allowed(target, Level::Info));
            assert!(allowed(target, Level::Warn) && allowed(target, Level::Error));
        }
        for target in ["pingera_mcp_server::session", "pingera_mcp", "pingera_mcp_server"] {
            assert!(allowed(target, Level::Trace));
        }
    }
}
