//! The gate every MCP request passes before any protocol work: Host and Origin (DNS rebinding, 403), then the
//! credential (401 when required and missing), then the media types.
//!
//! Invariant: the credential of a request is its own `Authorization` header, passed on untouched as an opaque
//! [`Authorization`]; what the value means (an API key, `Bearer <JWT>`) is the service's business, and a request
//! without the header gets the service's configured credential unless the header is required.

use std::net::IpAddr;

use hyper::header::HeaderMap;
use hyper::StatusCode;

use super::reply::{error_reply, unauthorized, Reply};
use crate::jsonrpc::{ErrorCode, RpcError};
use crate::service::Authorization;

/// What the gate lets through.
pub(super) struct Gate {
    /// Whether the server listens on a loopback address (then Host must name a loopback host).
    pub loopback: bool,
    /// Origins allowed besides loopback ones.
    pub allowed_origins: Vec<String>,
    /// Whether a request without `Authorization` is refused.
    pub require_auth_header: bool,
}

impl Gate {
    /// Host and Origin, then the credential: the request's opaque `Authorization`, or `None` to use the
    /// configured one.
    #[allow(clippy::result_large_err)]
    pub(super) fn check(&self, headers: &HeaderMap) -> Result<Option<Authorization>, Reply> {
        self.check_host(headers)?;
        match headers.get(hyper::header::AUTHORIZATION) {
            Some(v) => match v.to_str().ok().filter(|v| !v.trim().is_empty()) {
                Some(v) => Ok(Some(Authorization::new(v))),
                None => Err(unauthorized("the Authorization header is empty or not valid text")),
            },
            None if self.require_auth_header => Err(unauthorized(
                "missing Authorization header: this server requires your Pingera credential in it (an API key, \
                 or 'Bearer <JWT>')",
            )),
            None => Ok(None),
        }
    }

    /// Host and Origin only (403): what `/health` and `/` pass too, since a rebound page could read them as well.
    #[allow(clippy::result_large_err)]
    pub(super) fn check_host(&self, headers: &HeaderMap) -> Result<(), Reply> {
        match self.rebinding_problem(headers) {
            None => Ok(()),
            Some(why) => {
                log::warn!("refused a request: {why}");
                Err(error_reply(StatusCode::FORBIDDEN, None, RpcError::new(ErrorCode(-32600), why)))
            }
        }
    }

    /// DNS rebinding protection: on a loopback bind, Host must name a loopback host; everywhere, an Origin (sent by
    /// browsers) must be a loopback origin on a loopback bind or one of the configured allowed origins.
    fn rebinding_problem(&self, headers: &HeaderMap) -> Option<String> {
        if self.loopback {
            if let Some(host) = headers.get(hyper::header::HOST) {
                let ok = host.to_str().ok().and_then(host_part).is_some_and(is_loopback_name);
                if !ok {
                    return Some(format!("Host {:?} is not allowed on a loopback server", host));
                }
            }
        }
        let origin = headers.get(hyper::header::ORIGIN)?;
        let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
        let allowed = self.allowed_origins.iter().any(|o| o == origin)
            || (self.loopback
                && origin
                    .split_once("://")
                    .filter(|(scheme, _)| *scheme == "http" || *scheme == "https")
                    .and_then(|(_, authority)| host_part(authority))
                    .is_some_and(is_loopback_name));
        (!allowed).then(|| format!("Origin {origin:?} is not allowed"))
    }
}

/// POSTs must be `application/json` (415 otherwise).
#[allow(clippy::result_large_err)]
pub(super) fn check_content_type(headers: &HeaderMap) -> Result<(), Reply> {
    let ok = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false);
    if ok {
        return Ok(());
    }
    Err(error_reply(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        None,
        RpcError::invalid_request("unsupported media type: POST a JSON-RPC message as application/json"),
    ))
}

/// Whether the Accept header allows every one of `types` (an absent header allows everything).
pub(super) fn accepts(headers: &HeaderMap, types: &[&str]) -> bool {
    let Some(accept) = headers.get(hyper::header::ACCEPT) else { return true };
    let accept = accept.to_str().unwrap_or_default().to_ascii_lowercase();
    let ranges: Vec<&str> = accept.split(',').map(|r| r.split(';').next().unwrap_or_default().trim()).collect();
    types.iter().all(|t| {
        let major = t.split('/').next().unwrap_or_default();
        ranges.iter().any(|r| r == t || *r == "*/*" || r.strip_suffix("/*") == Some(major))
    })
}

/// The host of a `Host` header or of an origin's authority, without the port.
fn host_part(authority: &str) -> Option<&str> {
    let a = authority.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split_once(']').map(|(h, _)| h);
    }
    let host = match a.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => a,
    };
    (!host.is_empty()).then_some(host)
}

fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn hosts_and_origins() {
        assert_eq!(host_part("localhost:5000"), Some("localhost"));
        assert_eq!(host_part("[::1]:5000"), Some("::1"));
        assert_eq!(host_part("127.0.0.1"), Some("127.0.0.1"));
        assert!(is_loopback_name("127.0.0.2"));
        assert!(is_loopback_name("LOCALHOST"));
        assert!(!is_loopback_name("evil.example.com"));
        assert!(!is_loopback_name("localhost.evil.com"));
    }

    #[test]
    fn accept_rules() {
        let mut h = HeaderMap::new();
        assert!(accepts(&h, &["application/json", "text/event-stream"]));
        h.insert(hyper::header::ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
        assert!(accepts(&h, &["application/json", "text/event-stream"]));
        h.insert(hyper::header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!accepts(&h, &["application/json", "text/event-stream"]));
        h.insert(hyper::header::ACCEPT, HeaderValue::from_static("*/*"));
        assert!(accepts(&h, &["text/event-stream"]));
        h.insert(hyper::header::ACCEPT, HeaderValue::from_static("text/*;q=0.5, application/*"));
        assert!(accepts(&h, &["application/json", "text/event-stream"]));
    }
}
