//! The errors of an API call and their texts.
//!
//! Invariant: every [`ApiError`] text is safe to show to a model, a person or a log: it names the status, the
//! API's own message or a short excerpt, the configured base URL and the setting to change, and never a request
//! body, a response header or a credential ([`ApiError::masking`] removes one that the API quotes back).

use serde_json::Value;

/// Why an API call failed. Each message is safe to show to a model or a person.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The API answered with an error status.
    #[error("Pingera API error {status}{}: {message}{}", reason_suffix(*.status), errors_suffix(.errors))]
    Status {
        /// The HTTP status.
        status: u16,
        /// The API's message, or a short excerpt of the body.
        message: String,
        /// The API's field errors (422), if any.
        errors: Option<Value>,
    },
    /// The API refused the credential (401 or 403).
    #[error("the Pingera API refused the credential ({status}{}): {message}; check PINGERA_API_KEY / PINGERA_JWT_TOKEN or the Authorization header", reason_suffix(*.status))]
    Auth {
        /// 401 or 403.
        status: u16,
        /// The API's message.
        message: String,
    },
    /// No connection could be made, or it broke.
    #[error("could not reach the Pingera API at {base_url}: {detail}")]
    Connection {
        /// The configured base URL.
        base_url: String,
        /// What went wrong.
        detail: String,
    },
    /// The API did not answer in time.
    #[error("the Pingera API at {base_url} did not answer within {seconds}s (PINGERA_TIMEOUT)")]
    Timeout {
        /// The configured base URL.
        base_url: String,
        /// The timeout, in seconds.
        seconds: f64,
    },
    /// The API answered with something that is not the JSON it should be.
    #[error("unexpected reply from the Pingera API: {0}")]
    InvalidResponse(String),
    /// No credential is configured and none came with the request.
    #[error(
        "no Pingera credential: set PINGERA_API_KEY or PINGERA_JWT_TOKEN (or send an Authorization header over HTTP)"
    )]
    NoCredential,
    /// The reply's body is larger than `PINGERA_MAX_REPLY_BYTES`; it was not read to the end and is not retried,
    /// since the same request would bring the same reply.
    #[error("the Pingera API's reply is larger than {} (PINGERA_MAX_REPLY_BYTES); ask for less, e.g. a smaller page_size", size_text(*.limit))]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The reply holds more JSON values than are decoded at once (`PINGERA_MAX_JSON_VALUES`): decoded, it would take
    /// tens of times its size.
    #[error("the Pingera API's reply holds more than {limit} JSON values, more than this server decodes at once (PINGERA_MAX_JSON_VALUES); ask for less, e.g. a smaller page_size or fewer ids")]
    TooManyValues {
        /// The limit.
        limit: usize,
    },
    /// The MCP request was cancelled while the call waited to retry.
    #[error("the request was cancelled")]
    Cancelled,
}

/// What replaces a credential that an API error text quotes back.
const MASK: &str = "****";

impl ApiError {
    /// The error with every occurrence of `secret` in its texts replaced by a mask: an API (or a proxy in front of
    /// it) that quotes the credential back in an error must not put it in front of a model or into a log.
    pub fn masking(self, secret: &str) -> ApiError {
        if secret.is_empty() || !self.to_string().contains(secret) {
            return self;
        }
        let m = |t: String| t.replace(secret, MASK);
        match self {
            ApiError::Status { status, message, errors } => ApiError::Status {
                status,
                message: m(message),
                errors: errors.map(|e| {
                    let text = e.to_string();
                    if text.contains(secret) {
                        Value::String(m(text))
                    } else {
                        e
                    }
                }),
            },
            ApiError::Auth { status, message } => ApiError::Auth { status, message: m(message) },
            ApiError::Connection { base_url, detail } => {
                ApiError::Connection { base_url: m(base_url), detail: m(detail) }
            }
            ApiError::InvalidResponse(t) => ApiError::InvalidResponse(m(t)),
            other => other,
        }
    }
}

fn reason_suffix(status: u16) -> String {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return String::new(),
    };
    format!(" {reason}")
}

/// A byte count in MiB when it is a whole number of them, else in bytes.
fn size_text(bytes: u64) -> String {
    if bytes % (1024 * 1024) == 0 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

fn errors_suffix(errors: &Option<Value>) -> String {
    match errors {
        Some(e) if !e.is_null() => format!("; field errors: {e}"),
        _ => String::new(),
    }
}
