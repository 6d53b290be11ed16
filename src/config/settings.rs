//! The settings table and the parsing of the values it names: the flags, variables and aliases of every
//! setting, the `--help` text built from them, the command-line scanner and the helpers that turn one raw value
//! into a typed one.
//!
//! Invariant: [`SETTINGS`] is the only list of settings; parsing and `--help` both read it, so a setting cannot be
//! parsed without being documented or documented without being parsed. Every value parser here either returns a
//! value in its stated range or says that the value does not parse (a [`ConfigError`] that names the flag or
//! variable it came from, or `None` for the caller to turn into one); none falls back to a default for a value that
//! was given.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use super::{Command, ConfigError};
use crate::tools::toolsets;

/// One setting: its flag, its variable, its alias, and its help line. The table drives parsing and `--help`.
pub(super) struct Setting {
    pub(super) key: &'static str,
    pub(super) flag: &'static str,
    pub(super) var: &'static str,
    pub(super) alias: Option<&'static str>,
    help: &'static str,
    /// Flags that may stand alone mean "true".
    boolean: bool,
}

// One line per setting reads as a table; rustfmt would spread each over eight lines.
#[rustfmt::skip]
pub(super) const SETTINGS: &[Setting] = &[
    Setting { key: "api_key", flag: "--api-key", var: "PINGERA_API_KEY", alias: None, help: "Pingera API key, sent as 'Authorization: <key>' (prefer the variable: flags show in ps)", boolean: false },
    Setting { key: "jwt", flag: "--jwt-token", var: "PINGERA_JWT_TOKEN", alias: None, help: "Pingera JWT, sent as 'Authorization: Bearer <jwt>'; wins over the API key", boolean: false },
    Setting { key: "mode", flag: "--mode", var: "PINGERA_MODE", alias: None, help: "read_only (default) or read_write", boolean: false },
    Setting { key: "base_url", flag: "--base-url", var: "PINGERA_BASE_URL", alias: None, help: "API base URL (default https://api.pingera.ru/v1)", boolean: false },
    Setting { key: "timeout", flag: "--timeout", var: "PINGERA_TIMEOUT", alias: None, help: "API request timeout in seconds (default 30)", boolean: false },
    Setting { key: "max_retries", flag: "--max-retries", var: "PINGERA_MAX_RETRIES", alias: None, help: "retries of failed idempotent API requests, 0-10 (default 3)", boolean: false },
    Setting { key: "debug", flag: "--debug", var: "PINGERA_DEBUG", alias: None, help: "debug logging on stderr (true/false, default false)", boolean: true },
    Setting { key: "server_name", flag: "--server-name", var: "PINGERA_SERVER_NAME", alias: None, help: "MCP server name (default 'Pingera MCP Server')", boolean: false },
    Setting { key: "transport", flag: "--transport", var: "PINGERA_TRANSPORT_MODE", alias: Some("TRANSPORT_MODE"), help: "stdio (default), or sse / http / streamable-http for Streamable HTTP", boolean: false },
    Setting { key: "http_host", flag: "--http-host", var: "PINGERA_HTTP_HOST", alias: Some("HTTP_HOST"), help: "HTTP bind address (default 127.0.0.1)", boolean: false },
    Setting { key: "http_port", flag: "--http-port", var: "PINGERA_HTTP_PORT", alias: Some("HTTP_PORT"), help: "HTTP port (default 5000)", boolean: false },
    Setting { key: "require_auth", flag: "--require-auth-header", var: "PINGERA_REQUIRE_AUTH_HEADER", alias: Some("REQUIRE_AUTH_HEADER"), help: "HTTP: refuse requests without an Authorization header (true/false, default false)", boolean: true },
    Setting { key: "http_max_sessions", flag: "--http-max-sessions", var: "PINGERA_HTTP_MAX_SESSIONS", alias: None, help: "HTTP: most sessions at once; more get 503 (default 1000)", boolean: false },
    Setting { key: "http_idle", flag: "--http-session-idle-timeout", var: "PINGERA_HTTP_SESSION_IDLE_TIMEOUT", alias: None, help: "HTTP: seconds after which an unused session ends (default 1800)", boolean: false },
    Setting { key: "http_body_timeout", flag: "--http-body-timeout", var: "PINGERA_HTTP_BODY_TIMEOUT", alias: None, help: "HTTP: seconds a client may take to send a request body; then 408 (default 30)", boolean: false },
    Setting { key: "http_max_connections", flag: "--http-max-connections", var: "PINGERA_HTTP_MAX_CONNECTIONS", alias: None, help: "HTTP: most open connections, kept below the file-descriptor limit; idle ones give way (default 1024)", boolean: false },
    Setting { key: "max_in_flight", flag: "--max-in-flight", var: "PINGERA_MAX_IN_FLIGHT", alias: None, help: "most requests running at once per session; more get error -32010 (default 256)", boolean: false },
    Setting { key: "max_batch_entries", flag: "--max-batch-entries", var: "PINGERA_MAX_BATCH_ENTRIES", alias: None, help: "most entries in one JSON-RPC batch (2025-03-26); more: one -32600 error (default 100)", boolean: false },
    Setting { key: "max_batch_reply", flag: "--max-batch-reply-bytes", var: "PINGERA_MAX_BATCH_REPLY_BYTES", alias: None, help: "largest batch reply in bytes; larger: one -32600 error instead (default 16777216)", boolean: false },
    Setting { key: "max_queued", flag: "--max-queued-messages", var: "PINGERA_MAX_QUEUED_MESSAGES", alias: None, help: "messages that may wait for a slow reader: stdio stops reading, an SSE stream is closed (default 64)", boolean: false },
    Setting { key: "http_header_timeout", flag: "--http-header-timeout", var: "PINGERA_HTTP_HEADER_TIMEOUT", alias: None, help: "HTTP: seconds a client may take to send request headers (default 10)", boolean: false },
    Setting { key: "http_origins", flag: "--http-allowed-origins", var: "PINGERA_HTTP_ALLOWED_ORIGINS", alias: None, help: "HTTP: comma-separated browser origins allowed besides loopback ones (default none)", boolean: false },
    Setting { key: "http_session_key", flag: "--http-session-key", var: "PINGERA_HTTP_SESSION_KEY", alias: None, help: "HTTP: >= 32 random bytes as hex or base64, the same on every replica, that seal session ids so any replica serves any session (`pingera-mcp keygen` prints one; default none: sessions in memory)", boolean: false },
    Setting { key: "http_session_key_previous", flag: "--http-session-key-previous", var: "PINGERA_HTTP_SESSION_KEY_PREVIOUS", alias: None, help: "HTTP: the session key before a rotation, still accepted for existing sessions (default none)", boolean: false },
    Setting { key: "http_session_max_age", flag: "--http-session-max-age", var: "PINGERA_HTTP_SESSION_MAX_AGE", alias: None, help: "HTTP: seconds a sealed session id is accepted after it was issued, 60-2592000 (default 86400)", boolean: false },
    Setting { key: "http_drain_delay", flag: "--http-drain-delay", var: "PINGERA_HTTP_DRAIN_DELAY", alias: None, help: "HTTP: seconds after SIGTERM during which /health answers 503 and requests are still served, before the port closes (default 0)", boolean: false },
    Setting { key: "max_json_values", flag: "--max-json-values", var: "PINGERA_MAX_JSON_VALUES", alias: None, help: "most JSON values (numbers, strings, keys, arrays, objects) in one message, or in one API reply decoded whole; more: error -32600, or a tool error, 1000-100000000 (default 100000)", boolean: false },
    Setting { key: "max_message", flag: "--max-message-bytes", var: "PINGERA_MAX_MESSAGE_BYTES", alias: None, help: "largest accepted message in bytes (default 4194304)", boolean: false },
    Setting { key: "tools_page", flag: "--tools-page-size", var: "PINGERA_TOOLS_PAGE_SIZE", alias: None, help: "tools per tools/list page, 1-1000 (default 100: one page)", boolean: false },
    Setting { key: "shutdown", flag: "--shutdown-timeout", var: "PINGERA_SHUTDOWN_TIMEOUT", alias: None, help: "seconds shutdown waits for requests in flight (default 10)", boolean: false },
    Setting { key: "toolsets", flag: "--toolsets", var: "PINGERA_TOOLSETS", alias: None, help: "comma-separated toolsets to offer, or all (default all; see TOOLSETS below)", boolean: false },
    Setting { key: "tools", flag: "--tools", var: "PINGERA_TOOLS", alias: None, help: "comma-separated single tools to offer besides the toolsets (default none)", boolean: false },
    Setting { key: "exclude_tools", flag: "--exclude-tools", var: "PINGERA_EXCLUDE_TOOLS", alias: None, help: "comma-separated tools never to offer; wins over --toolsets and --tools (default none)", boolean: false },
    Setting { key: "max_result", flag: "--max-result-bytes", var: "PINGERA_MAX_RESULT_BYTES", alias: None, help: "largest tool result (text plus structured content) in bytes; longer lists are cut with a next-page hint, 4096-10485760 (default 100000)", boolean: false },
    Setting { key: "completion_ttl", flag: "--completion-cache-secs", var: "PINGERA_COMPLETION_CACHE_SECS", alias: None, help: "seconds an id list read for completion/complete is reused for the same credential, 0-3600 (default 30)", boolean: false },
    Setting { key: "completion_entries", flag: "--completion-cache-entries", var: "PINGERA_COMPLETION_CACHE_ENTRIES", alias: None, help: "most id lists the completion cache holds, 0-100000 (default 1000)", boolean: false },
    Setting { key: "max_upstream", flag: "--max-upstream", var: "PINGERA_MAX_UPSTREAM", alias: None, help: "most API requests at once per process (and pooled connections); more wait in order, 1-256 (default 8)", boolean: false },
    Setting { key: "max_reply", flag: "--max-reply-bytes", var: "PINGERA_MAX_REPLY_BYTES", alias: None, help: "largest API reply read, in bytes; a larger one is a tool error (default 16777216)", boolean: false },
    Setting { key: "show_secrets", flag: "--show-secret-values", var: "PINGERA_SHOW_SECRET_VALUES", alias: None, help: "show secret values in tool results instead of redacting them (true/false, default false)", boolean: true },
];

/// The text of `--help`, built from the settings table so that it cannot drift from what is parsed.
pub fn help_text() -> String {
    let mut s = format!(
        "pingera-mcp {}: MCP server for the Pingera monitoring API\n\n\
         USAGE:\n    pingera-mcp [FLAGS]          serve MCP (stdio by default)\n    \
         pingera-mcp check [FLAGS]    print the effective configuration and test the API connection\n    \
         pingera-mcp keygen           print a fresh random PINGERA_HTTP_SESSION_KEY\n\n\
         Every flag has an environment variable; the flag wins. Unprefixed aliases are read as well.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    // The flag column is as wide as the longest flag plus two spaces, so no flag runs into its variable.
    let width = SETTINGS.iter().map(|st| st.flag.len()).max().unwrap_or(0) + 2;
    for st in SETTINGS {
        let alias = st.alias.map(|a| format!(" (alias {a})")).unwrap_or_default();
        s.push_str(&format!("    {:<width$}{}{}\n        {}\n", st.flag, st.var, alias, st.help));
    }
    s.push_str(&format!(
        "    {:<width$}print this help\n    {:<width$}print the version\n\n",
        "-h, --help", "-V, --version"
    ));
    s.push_str(
        "TOOLSETS (for --toolsets; PINGERA_MODE=read_only wins over every list and drops the tools marked *;\n\
         over HTTP a client may narrow the set for its session with the header X-MCP-Toolsets: toolset,...):\n",
    );
    s.push_str(&crate::tools::toolsets::help_listing());
    s.push('\n');
    s.push_str("Logging goes to stderr; RUST_LOG (e.g. RUST_LOG=debug) or PINGERA_DEBUG=true raise the level.\n");
    s
}

pub(super) fn parse_args(args: &[String]) -> Result<(Command, HashMap<&'static str, String>), ConfigError> {
    let mut command = Command::Serve;
    let mut flags = HashMap::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        match arg {
            "-h" | "--help" => return Ok((Command::Help, flags)),
            "-V" | "--version" => return Ok((Command::Version, flags)),
            "check" if i == 1 => {
                command = Command::Check;
                continue;
            }
            "keygen" if i == 1 => {
                command = Command::Keygen;
                continue;
            }
            _ => {}
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (arg, None),
        };
        let Some(st) = SETTINGS.iter().find(|s| s.flag == name) else {
            return Err(ConfigError::UnknownArgument(arg.to_owned()));
        };
        let value = match inline {
            Some(v) => v,
            // A boolean flag stands alone unless the next word is a boolean value.
            None if st.boolean => match args.get(i).map(|s| s.to_ascii_lowercase()) {
                Some(v) if BOOL_WORDS.contains(&v.as_str()) => {
                    i += 1;
                    v
                }
                _ => "true".to_owned(),
            },
            None => {
                let v = args.get(i).ok_or_else(|| ConfigError::MissingValue(st.flag.to_owned()))?;
                i += 1;
                v.clone()
            }
        };
        flags.insert(st.key, value);
    }
    Ok((command, flags))
}

const BOOL_WORDS: &[&str] = &["true", "false", "1", "0", "yes", "no", "on", "off"];

/// What a list of toolsets or tools accepts, for the error about an unknown name in it.
pub(super) fn valid_names(e: &toolsets::UnknownName) -> String {
    format!("known {} names (unknown: {:?}); valid: {}", e.kind, e.name, e.valid)
}

pub(super) fn invalid(name: String, value: String, expected: &str) -> ConfigError {
    ConfigError::Invalid { name, value, expected: expected.to_owned() }
}

pub(super) fn parse_bool(v: Option<(String, String)>, default: bool) -> Result<bool, ConfigError> {
    let Some((name, v)) = v else { return Ok(default) };
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, v, "true or false")),
    }
}

pub(super) fn parse_int(
    v: Option<(String, String)>,
    default: u64,
    min: u64,
    max: u64,
    expected: &str,
) -> Result<u64, ConfigError> {
    let Some((name, v)) = v else { return Ok(default) };
    match v.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(name, v, expected)),
    }
}

pub(super) fn parse_secs(
    v: Option<(String, String)>,
    default: u64,
    min: f64,
    max: f64,
) -> Result<Duration, ConfigError> {
    let Some((name, v)) = v else { return Ok(Duration::from_secs(default)) };
    match v.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= min && secs <= max => Ok(Duration::from_secs_f64(secs)),
        _ => Err(invalid(name, v, &format!("a number of seconds between {min} and {max}"))),
    }
}

pub(super) fn parse_host(v: &str) -> Option<IpAddr> {
    if v.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::from([127, 0, 0, 1]));
    }
    v.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// Normalises a base URL: an `http(s)://` URL with a host, without a trailing slash and without a trailing `/v1`
/// segment (the request paths carry `/v1/...`). Unlike the reference implementation, which removes every `/v1`
/// substring, only a final `/v1` segment is removed.
pub fn normalise_base_url(v: &str) -> Option<String> {
    let v = v.trim();
    let rest = v.strip_prefix("http://").or_else(|| v.strip_prefix("https://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || v.contains(['?', '#', ' ']) {
        return None;
    }
    let mut s = v.trim_end_matches('/').to_owned();
    if let Some(stripped) = s.strip_suffix("/v1") {
        s = stripped.to_owned();
    }
    Some(s.trim_end_matches('/').to_owned())
}
