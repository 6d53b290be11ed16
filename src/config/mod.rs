//! Configuration from the environment and the command line.
//!
//! Invariant: every setting has exactly one source of truth, resolved here once at start-up in a fixed order
//! (command-line flag, then the `PINGERA_*` variable, then the unprefixed alias the reference implementation reads,
//! then the default). A value that does not parse is an error that names the variable and the accepted values;
//! nothing falls back silently to a default. Credentials are wrapped in [`Secret`], whose `Debug` and `Display`
//! never show the value.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

// The credential belongs to the API client and the mode to the tools, which must not import the configuration
// that imports them (no cycle); the re-exports keep them where callers found them before.
pub use crate::pingera::{mask_userinfo, Credential, Secret};
use crate::seal::SessionKey;
use crate::tools::toolsets::{self, ToolFilter};
pub use crate::tools::Mode;

// The settings table and the value parsers live in their own module so that this one reads as what a `Config`
// holds and how it is resolved; the re-exports keep `config::help_text` and `config::normalise_base_url` where
// callers found them before.
mod settings;

pub use settings::{help_text, normalise_base_url};
use settings::{invalid, parse_args, parse_bool, parse_host, parse_int, parse_secs, valid_names, SETTINGS};

/// The default Pingera API base URL (the reference implementation's default).
pub const DEFAULT_BASE_URL: &str = "https://api.pingera.ru/v1";
/// The default MCP server name (the reference implementation's default).
pub const DEFAULT_SERVER_NAME: &str = "Pingera MCP Server";
/// The default per-message limit on stdio and HTTP: 4 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The default cap on one API reply: 16 MiB. Pingera's pages of at most 100 items stay far below it.
pub const DEFAULT_MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;

/// How MCP messages reach the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Newline-delimited JSON-RPC on stdin and stdout.
    Stdio,
    /// Streamable HTTP at `/mcp` (and the 2024-11-05 HTTP+SSE endpoints).
    Http,
}

impl Transport {
    /// The configuration word for the transport.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Stdio => "stdio",
            Transport::Http => "http",
        }
    }
}

/// The effective configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The credential from `PINGERA_JWT_TOKEN` or `PINGERA_API_KEY` (the JWT wins when both are set).
    pub credential: Option<Credential>,
    /// True when both were set, so that start-up can say which one is used.
    pub both_credentials_set: bool,
    /// Which tools are offered.
    pub mode: Mode,
    /// The API origin plus any path prefix, without a trailing `/v1` (request paths carry `/v1/...`).
    pub base_url: String,
    /// The timeout of one API request, from connect to the last byte of the reply.
    pub timeout: Duration,
    /// How often a failed idempotent request is retried.
    pub max_retries: u32,
    /// Debug logging on stderr.
    pub debug: bool,
    /// `serverInfo.name`.
    pub server_name: String,
    /// stdio or HTTP.
    pub transport: Transport,
    /// The HTTP bind address.
    pub http_host: IpAddr,
    /// The HTTP port.
    pub http_port: u16,
    /// HTTP: refuse requests without an `Authorization` header instead of using the configured credential.
    pub require_auth_header: bool,
    /// The largest accepted message (stdio line or HTTP body), in bytes.
    pub max_message_bytes: usize,
    /// How many tools one `tools/list` page holds.
    pub tools_page_size: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_timeout: Duration,
    /// Show secret values in tool results instead of redacting them.
    pub show_secret_values: bool,
    /// Which toolsets and tools to offer (before the mode, which wins).
    pub tool_filter: ToolFilter,
    /// The largest tool result (text plus structured content), in bytes.
    pub max_result_bytes: usize,
    /// How long an id list read for completion is reused for the same credential.
    pub completion_cache_ttl: Duration,
    /// The most id lists the completion cache holds.
    pub completion_cache_entries: usize,
    /// HTTP: the most sessions alive at once (Streamable HTTP and HTTP+SSE together).
    pub http_max_sessions: usize,
    /// HTTP: a session unused for this long is ended.
    pub http_session_idle: Duration,
    /// HTTP: how long a client may take to send a request body once its headers arrived.
    pub http_body_timeout: Duration,
    /// HTTP: the most connections open at once (lowered at start-up to fit the file-descriptor limit).
    pub http_max_connections: usize,
    /// The per-session limits: requests in flight, batches, messages waiting for a slow reader.
    pub limits: crate::limits::Limits,
    /// HTTP: how long a client may take to send the request headers.
    pub http_header_timeout: Duration,
    /// HTTP: browser origins allowed besides the loopback ones (exact `scheme://host[:port]` strings).
    pub http_allowed_origins: Vec<String>,
    /// HTTP: the key that seals session ids (the same on every replica); `None` keeps sessions in memory.
    pub http_session_key: Option<SessionKey>,
    /// HTTP: the key before the last rotation, still accepted for existing sessions.
    pub http_session_key_previous: Option<SessionKey>,
    /// HTTP: how long a sealed session id is accepted after it was issued.
    pub http_session_max_age: Duration,
    /// HTTP: after SIGTERM, how long `/health` answers 503 while requests are still served, before the port
    /// closes (time for a load balancer to take the replica out).
    pub http_drain_delay: Duration,
    /// The most requests to the Pingera API at once in this process; more wait in FIFO order.
    pub max_upstream: usize,
    /// The largest API reply body read, in bytes; a larger reply is a tool error.
    pub max_reply_bytes: u64,
}

/// A configuration value that cannot be used. The message names the variable and what it accepts, and never
/// contains a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse.
    #[error("invalid {name}={value:?}: expected {expected}")]
    Invalid {
        /// The variable or flag.
        name: String,
        /// The value given (never a credential).
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A command-line argument that is not known.
    #[error("unknown argument {0:?} (see --help)")]
    UnknownArgument(String),
    /// A flag without its value.
    #[error("{0} needs a value (see --help)")]
    MissingValue(String),
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Print the effective configuration and test the API connection.
    Check,
    /// Print a fresh random session key.
    Keygen,
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
}

impl Config {
    /// Reads the configuration from the process environment and the given arguments (without the program name).
    pub fn load(args: &[String]) -> Result<(Command, Config), ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Config::from_sources(args, &env)
    }

    /// Reads the configuration from arguments and an environment map; the seam for tests.
    pub fn from_sources(args: &[String], env: &HashMap<String, String>) -> Result<(Command, Config), ConfigError> {
        let (command, flags) = parse_args(args)?;
        // Resolution order: flag, PINGERA_ variable, alias. An empty variable counts as unset, as clients such as
        // Claude Desktop often write `"PINGERA_JWT_TOKEN": ""` into their configuration.
        let get = |key: &str| -> Option<(String, String)> {
            let st = SETTINGS.iter().find(|s| s.key == key).expect("every key is in SETTINGS");
            if let Some(v) = flags.get(key) {
                return Some((st.flag.to_owned(), v.clone()));
            }
            for var in std::iter::once(st.var).chain(st.alias) {
                if let Some(v) = env.get(var).filter(|v| !v.trim().is_empty()) {
                    return Some((var.to_owned(), v.trim().to_owned()));
                }
            }
            None
        };

        let api_key = get("api_key").map(|(_, v)| Secret::new(v));
        let jwt = get("jwt").map(|(_, v)| Secret::new(v.strip_prefix("Bearer ").unwrap_or(&v).to_owned()));
        let both_credentials_set = api_key.is_some() && jwt.is_some();
        let credential = jwt.map(Credential::Jwt).or(api_key.map(Credential::ApiKey));

        let mode = match get("mode") {
            None => Mode::ReadOnly,
            Some((name, v)) => match v.to_ascii_lowercase().as_str() {
                "read_only" => Mode::ReadOnly,
                "read_write" => Mode::ReadWrite,
                _ => return Err(invalid(name, v, "read_only or read_write")),
            },
        };
        let base_url = match get("base_url") {
            None => normalise_base_url(DEFAULT_BASE_URL).expect("the default base URL is valid"),
            // The value may carry a password in its user info, so an error repeats it masked.
            Some((name, v)) => normalise_base_url(&v).ok_or_else(|| {
                invalid(name, mask_userinfo(&v), "an http:// or https:// URL such as https://api.pingera.ru/v1")
            })?,
        };
        let timeout = parse_secs(get("timeout"), 30, 0.001, 3600.0)?;
        let max_retries = parse_int(get("max_retries"), 3, 0, 10, "an integer from 0 to 10")? as u32;
        let debug = parse_bool(get("debug"), false)?;
        let server_name = get("server_name").map_or_else(|| DEFAULT_SERVER_NAME.to_owned(), |(_, v)| v);
        let transport = match get("transport") {
            None => Transport::Stdio,
            Some((name, v)) => match v.to_ascii_lowercase().as_str() {
                "stdio" => Transport::Stdio,
                "sse" | "http" | "streamable-http" | "streamable_http" => Transport::Http,
                _ => return Err(invalid(name, v, "stdio, sse, http or streamable-http")),
            },
        };
        let http_host = match get("http_host") {
            None => IpAddr::from([127, 0, 0, 1]),
            Some((name, v)) => parse_host(&v)
                .ok_or_else(|| invalid(name, v, "an IP address such as 127.0.0.1, 0.0.0.0 or ::1, or localhost"))?,
        };
        let http_port = parse_int(get("http_port"), 5000, 0, 65535, "a port number from 0 to 65535")? as u16;
        let require_auth_header = parse_bool(get("require_auth"), false)?;
        let max_message_bytes = parse_int(
            get("max_message"),
            DEFAULT_MAX_MESSAGE_BYTES as u64,
            1024,
            1 << 30,
            "a number of bytes from 1024 to 1073741824",
        )? as usize;
        let tools_page_size = parse_int(get("tools_page"), 100, 1, 1000, "an integer from 1 to 1000")? as usize;
        let shutdown_timeout = parse_secs(get("shutdown"), 10, 0.0, 600.0)?;

        let show_secret_values = parse_bool(get("show_secrets"), false)?;
        let tool_filter = ToolFilter {
            toolsets: match get("toolsets") {
                None => None,
                Some((name, v)) => Some(toolsets::parse_toolsets(&v).map_err(|e| invalid(name, v, &valid_names(&e)))?),
            },
            tools: match get("tools") {
                None => Vec::new(),
                Some((name, v)) => toolsets::parse_tools(&v).map_err(|e| invalid(name, v, &valid_names(&e)))?,
            },
            exclude: match get("exclude_tools") {
                None => Vec::new(),
                Some((name, v)) => toolsets::parse_tools(&v).map_err(|e| invalid(name, v, &valid_names(&e)))?,
            },
        };
        let max_result_bytes =
            parse_int(get("max_result"), 100_000, 4096, 10 << 20, "a number of bytes from 4096 to 10485760")? as usize;
        let completion_cache_ttl = parse_secs(get("completion_ttl"), 30, 0.0, 3600.0)?;
        let completion_cache_entries =
            parse_int(get("completion_entries"), 1000, 0, 100_000, "an integer from 0 to 100000")? as usize;
        let http_max_sessions =
            parse_int(get("http_max_sessions"), 1000, 1, 1_000_000, "an integer from 1 to 1000000")? as usize;
        let http_session_idle = parse_secs(get("http_idle"), 1800, 1.0, 7.0 * 86400.0)?;
        let http_header_timeout = parse_secs(get("http_header_timeout"), 10, 0.1, 600.0)?;
        let http_body_timeout = parse_secs(get("http_body_timeout"), 30, 0.1, 3600.0)?;
        let http_max_connections =
            parse_int(get("http_max_connections"), 1024, 4, 1_000_000, "an integer from 4 to 1000000")? as usize;
        let defaults = crate::limits::Limits::default();
        let limits = crate::limits::Limits {
            max_in_flight: parse_int(
                get("max_in_flight"),
                defaults.max_in_flight as u64,
                1,
                100_000,
                "an integer from 1 to 100000",
            )? as usize,
            max_batch_entries: parse_int(
                get("max_batch_entries"),
                defaults.max_batch_entries as u64,
                1,
                100_000,
                "an integer from 1 to 100000",
            )? as usize,
            max_batch_reply_bytes: parse_int(
                get("max_batch_reply"),
                defaults.max_batch_reply_bytes as u64,
                1024,
                1 << 30,
                "a number of bytes from 1024 to 1073741824",
            )? as usize,
            max_queued_messages: parse_int(
                get("max_queued"),
                defaults.max_queued_messages as u64,
                1,
                100_000,
                "an integer from 1 to 100000",
            )? as usize,
            max_json_values: parse_int(
                get("max_json_values"),
                defaults.max_json_values as u64,
                1000,
                100_000_000,
                "an integer from 1000 to 100000000",
            )? as usize,
        };
        let http_allowed_origins = match get("http_origins") {
            None => Vec::new(),
            Some((name, v)) => {
                let list: Vec<String> =
                    v.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect();
                if list.iter().any(|o| !(o.starts_with("http://") || o.starts_with("https://"))) {
                    return Err(invalid(name, v, "comma-separated origins such as https://app.example.com"));
                }
                list
            }
        };

        let session_key = |key: &str| -> Result<Option<SessionKey>, ConfigError> {
            let Some((name, v)) = get(key) else { return Ok(None) };
            // The value is a secret: the error names the variable and the problem, never the value.
            SessionKey::parse(&v).map(Some).map_err(|why| {
                invalid(name, "****".to_owned(), &format!("at least 32 random bytes as hex or base64 ({why})"))
            })
        };
        let http_session_key = session_key("http_session_key")?;
        let http_session_key_previous = session_key("http_session_key_previous")?;
        if http_session_key.is_none() && http_session_key_previous.is_some() {
            return Err(invalid(
                "PINGERA_HTTP_SESSION_KEY_PREVIOUS".to_owned(),
                "****".to_owned(),
                "a PINGERA_HTTP_SESSION_KEY as well: the previous key only opens ids, the current one seals them",
            ));
        }
        let http_session_max_age = parse_secs(get("http_session_max_age"), 86400, 60.0, 30.0 * 86400.0)?;
        let http_drain_delay = parse_secs(get("http_drain_delay"), 0, 0.0, 600.0)?;
        let max_upstream = parse_int(get("max_upstream"), 8, 1, 256, "an integer from 1 to 256")? as usize;
        let max_reply_bytes = parse_int(
            get("max_reply"),
            DEFAULT_MAX_REPLY_BYTES,
            1024,
            1 << 30,
            "a number of bytes from 1024 to 1073741824",
        )?;

        Ok((
            command,
            Config {
                credential,
                both_credentials_set,
                mode,
                base_url,
                timeout,
                max_retries,
                debug,
                server_name,
                transport,
                http_host,
                http_port,
                require_auth_header,
                max_message_bytes,
                tools_page_size,
                shutdown_timeout,
                show_secret_values,
                tool_filter,
                max_result_bytes,
                completion_cache_ttl,
                completion_cache_entries,
                http_max_sessions,
                http_session_idle,
                http_header_timeout,
                http_body_timeout,
                http_max_connections,
                limits,
                http_allowed_origins,
                http_session_key,
                http_session_key_previous,
                http_session_max_age,
                http_drain_delay,
                max_upstream,
                max_reply_bytes,
            },
        ))
    }

    /// The configuration a test or an embedding starts from: defaults, no credential, the given base URL.
    pub fn for_base_url(base_url: &str) -> Config {
        let env = HashMap::from([("PINGERA_BASE_URL".to_owned(), base_url.to_owned())]);
        Config::from_sources(&[], &env).expect("a valid base URL gives a valid configuration").1
    }

    /// The effective configuration as `name: value` lines, credentials masked.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        vec![
            ("credential", self.credential.as_ref().map_or_else(|| "none".to_owned(), Credential::describe)),
            ("mode", self.mode.as_str().to_owned()),
            ("base_url", mask_userinfo(&self.base_url)),
            ("timeout", format!("{}s", self.timeout.as_secs_f64())),
            ("max_retries", self.max_retries.to_string()),
            ("debug", self.debug.to_string()),
            ("server_name", self.server_name.clone()),
            ("transport", self.transport.as_str().to_owned()),
            ("http_host", self.http_host.to_string()),
            ("http_port", self.http_port.to_string()),
            ("require_auth_header", self.require_auth_header.to_string()),
            ("max_message_bytes", self.max_message_bytes.to_string()),
            ("tools_page_size", self.tools_page_size.to_string()),
            ("shutdown_timeout", format!("{}s", self.shutdown_timeout.as_secs_f64())),
            ("show_secret_values", self.show_secret_values.to_string()),
            (
                "toolsets",
                self.tool_filter.toolsets.as_ref().map_or_else(
                    || "all".to_owned(),
                    |sets| sets.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(","),
                ),
            ),
            (
                "tools",
                if self.tool_filter.tools.is_empty() { "none".to_owned() } else { self.tool_filter.tools.join(",") },
            ),
            (
                "exclude_tools",
                if self.tool_filter.exclude.is_empty() {
                    "none".to_owned()
                } else {
                    self.tool_filter.exclude.join(",")
                },
            ),
            (
                "completion_cache",
                format!("{}s, {} lists", self.completion_cache_ttl.as_secs_f64(), self.completion_cache_entries),
            ),
            ("http_max_sessions", self.http_max_sessions.to_string()),
            ("http_session_idle", format!("{}s", self.http_session_idle.as_secs_f64())),
            ("http_header_timeout", format!("{}s", self.http_header_timeout.as_secs_f64())),
            ("http_body_timeout", format!("{}s", self.http_body_timeout.as_secs_f64())),
            ("http_max_connections", self.http_max_connections.to_string()),
            ("max_in_flight", self.limits.max_in_flight.to_string()),
            ("max_batch_entries", self.limits.max_batch_entries.to_string()),
            ("max_batch_reply_bytes", self.limits.max_batch_reply_bytes.to_string()),
            ("max_queued_messages", self.limits.max_queued_messages.to_string()),
            ("max_json_values", self.limits.max_json_values.to_string()),
            (
                "http_allowed_origins",
                if self.http_allowed_origins.is_empty() {
                    "none (loopback origins only)".to_owned()
                } else {
                    self.http_allowed_origins.join(",")
                },
            ),
            (
                "http_session_key",
                match (&self.http_session_key, &self.http_session_key_previous) {
                    (None, _) => "none (sessions live in this process's memory)".to_owned(),
                    (Some(_), None) => "set (sealed sessions)".to_owned(),
                    (Some(_), Some(_)) => "set, with a previous key (sealed sessions, rotation)".to_owned(),
                },
            ),
            ("http_session_max_age", format!("{}s", self.http_session_max_age.as_secs_f64())),
            ("http_drain_delay", format!("{}s", self.http_drain_delay.as_secs_f64())),
            ("max_upstream", self.max_upstream.to_string()),
            ("max_reply_bytes", self.max_reply_bytes.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests;
