//! The Pingera credential and the secret strings it is made of.
//!
//! Invariant: a [`Secret`] never prints: `Debug` and `Display` show a mask, and the value leaves only through
//! [`Secret::expose`], for the one place that sends it; a URL is shown only through [`mask_userinfo`].

use std::fmt;

/// A URL with its user info (`user:password@`) replaced by `****@`, for every place a URL is shown: logs, `check`,
/// error texts. Only the authority is looked at; the rest is kept.
pub fn mask_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://****@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// A string that must never be printed: `Debug` and `Display` show a mask.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A mask that shows only the length and the last two characters of long secrets, so an operator can tell
    /// two keys apart without the key being recoverable.
    pub fn masked(&self) -> String {
        let n = self.0.chars().count();
        if n >= 16 {
            let tail: String = self.0.chars().skip(n - 2).collect();
            format!("****{tail} ({n} chars)")
        } else {
            format!("**** ({n} chars)")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// The Pingera credential sent in the `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// An API key, sent raw: `Authorization: <key>`.
    ApiKey(Secret),
    /// A JWT, sent as `Authorization: Bearer <jwt>`.
    Jwt(Secret),
}

impl Credential {
    /// The value of the `Authorization` header.
    pub fn header_value(&self) -> String {
        match self {
            Credential::ApiKey(k) => k.expose().to_owned(),
            Credential::Jwt(t) => format!("Bearer {}", t.expose()),
        }
    }

    /// The secret part (the key or the token), for masking it wherever it could be quoted back.
    pub fn secret(&self) -> &str {
        match self {
            Credential::ApiKey(s) | Credential::Jwt(s) => s.expose(),
        }
    }

    /// A short description that is safe to print.
    pub fn describe(&self) -> String {
        match self {
            Credential::ApiKey(k) => format!("API key {}", k.masked()),
            Credential::Jwt(t) => format!("JWT (Bearer) {}", t.masked()),
        }
    }
}
