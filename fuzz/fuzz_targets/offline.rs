//! The configuration the session targets serve with: the API at a closed local port with no retries, so that a
//! tool call that passes validation fails at once without leaving the machine. Included by `stdio_session` and
//! `http_session` (`#[path]`), not a target of its own.

use std::collections::HashMap;
use std::sync::OnceLock;

use pingera_mcp_server::config::{Command, Config};

/// The configuration, read once per process.
pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let env: HashMap<String, String> = [
            ("PINGERA_BASE_URL", "http://127.0.0.1:9"),
            ("PINGERA_API_KEY", "fuzz-key"),
            ("PINGERA_MODE", "read_write"),
            ("PINGERA_MAX_RETRIES", "0"),
            ("PINGERA_TIMEOUT", "1"),
            ("PINGERA_SHUTDOWN_TIMEOUT", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let (command, config) = Config::from_sources(&[], &env).expect("the fuzz configuration is valid");
        assert_eq!(command, Command::Serve);
        config
    })
}
