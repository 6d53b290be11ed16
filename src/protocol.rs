//! MCP protocol versions and what each one has.
//!
//! Invariant: every decision that depends on the protocol version is a method of [`Version`], so the session never
//! compares version strings, and a field that a version does not define is never sent to a client that uses it.
//! The handshake era (2024-11-05 to 2025-11-25) and the stateless era (2026-07-28) are told apart here: `initialize`
//! negotiates only the former; the latter is named per request in `_meta`.

/// The `_meta` key of a modern request's protocol version.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// The `_meta` key of a modern request's client capabilities.
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// The `_meta` key that opts a modern request in to log notifications at a level.
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// 2026-07-28: an HTTP header does not match the body, or a required header is missing.
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28: the request needs a client capability that was not declared.
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
/// 2026-07-28: the request's protocol version is not supported.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

use std::fmt;

/// A protocol version this server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// The first release: HTTP+SSE, no annotations.
    V2024_11_05,
    /// Streamable HTTP, batches, tool annotations, `instructions`, progress `message`.
    V2025_03_26,
    /// No batches; `title`, `structuredContent`, `outputSchema`, `MCP-Protocol-Version`.
    V2025_06_18,
    /// Icons, serverInfo `description` / `websiteUrl`, input validation errors as tool results.
    V2025_11_25,
    /// The stateless (modern) era: no `initialize`; every request carries its version in `_meta`.
    V2026_07_28,
}

impl Version {
    /// The handshake-era versions `initialize` negotiates, oldest first.
    pub const ALL: [Version; 4] =
        [Version::V2024_11_05, Version::V2025_03_26, Version::V2025_06_18, Version::V2025_11_25];

    /// The versions of the stateless era, served to requests that carry their version in `_meta`.
    pub const MODERN: [Version; 1] = [Version::V2026_07_28];

    /// The version answered to an `initialize` that asks for one this server does not negotiate.
    pub const LATEST: Version = Version::V2025_11_25;

    /// Parses a handshake-era version string (`initialize` never negotiates the modern era).
    pub fn parse(s: &str) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Parses a modern (per-request) version string.
    pub fn parse_modern(s: &str) -> Option<Version> {
        Version::MODERN.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether this is a stateless-era version.
    pub fn is_modern(self) -> bool {
        self >= Version::V2026_07_28
    }

    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2024_11_05 => "2024-11-05",
            Version::V2025_03_26 => "2025-03-26",
            Version::V2025_06_18 => "2025-06-18",
            Version::V2025_11_25 => "2025-11-25",
            Version::V2026_07_28 => "2026-07-28",
        }
    }

    /// JSON-RPC batches: only 2025-03-26 defines them (2025-06-18 removed them).
    pub fn has_batches(self) -> bool {
        self == Version::V2025_03_26
    }

    /// `instructions` in the initialize result, tool `annotations`, progress `message`.
    pub fn has_annotations(self) -> bool {
        self >= Version::V2025_03_26
    }

    /// `title` on tools and serverInfo, `structuredContent` and `outputSchema`.
    pub fn has_structured_content(self) -> bool {
        self >= Version::V2025_06_18
    }

    /// serverInfo `description` and `websiteUrl`.
    pub fn has_server_description(self) -> bool {
        self >= Version::V2025_11_25
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The RFC 5424 levels of MCP logging, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Detailed debugging information.
    Debug,
    /// Normal operation.
    Info,
    /// Normal but significant.
    Notice,
    /// Something to look at.
    Warning,
    /// An operation failed.
    Error,
    /// A component failed.
    Critical,
    /// Action needed now.
    Alert,
    /// The system is unusable.
    Emergency,
}

impl LogLevel {
    const NAMES: [(&'static str, LogLevel); 8] = [
        ("debug", LogLevel::Debug),
        ("info", LogLevel::Info),
        ("notice", LogLevel::Notice),
        ("warning", LogLevel::Warning),
        ("error", LogLevel::Error),
        ("critical", LogLevel::Critical),
        ("alert", LogLevel::Alert),
        ("emergency", LogLevel::Emergency),
    ];

    /// Parses a level name.
    pub fn parse(s: &str) -> Option<LogLevel> {
        LogLevel::NAMES.iter().find(|(n, _)| *n == s).map(|(_, l)| *l)
    }

    /// The level's name on the wire.
    pub fn as_str(self) -> &'static str {
        LogLevel::NAMES.iter().find(|(_, l)| *l == self).map(|(n, _)| *n).expect("every level is named")
    }

    /// All level names, for error messages.
    pub fn names() -> Vec<&'static str> {
        LogLevel::NAMES.iter().map(|(n, _)| *n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_and_gate() {
        for v in Version::ALL {
            assert_eq!(Version::parse(v.as_str()), Some(v));
        }
        assert_eq!(Version::parse("2099-01-01"), None);
        assert_eq!(Version::parse("2026-07-28"), None, "initialize never negotiates the modern era");
        assert_eq!(Version::parse_modern("2026-07-28"), Some(Version::V2026_07_28));
        assert!(!Version::V2026_07_28.has_batches());
        assert!(Version::V2025_03_26.has_batches());
        assert!(!Version::V2025_06_18.has_batches());
        assert!(!Version::V2024_11_05.has_annotations());
        assert!(Version::V2025_06_18.has_structured_content());
    }

    #[test]
    fn log_levels_are_ordered() {
        assert!(LogLevel::parse("debug").unwrap() < LogLevel::parse("emergency").unwrap());
        assert_eq!(LogLevel::Warning.as_str(), "warning");
        assert_eq!(LogLevel::parse("loud"), None);
    }
}
