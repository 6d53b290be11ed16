//! The one rule for values that become a segment of an API path: tool ids and the variables of resource URIs.
//!
//! Invariant: a value that passes [`check_segment`] means the same thing to every hop between us and the API,
//! whatever that hop normalises: it is not empty, not `.` or `..`, and holds no character that a URL parser or a
//! path normaliser reads as structure (`/`, `\`, `?`, `#`, `%`, `;`), no whitespace and no control character. Such
//! values are refused as invalid arguments before any request is made; percent-encoding alone is not enough,
//! because a proxy that decodes `%2E%2E` or `%2F` and then normalises turns `checks/%2E%2E/secrets/x` into
//! `secrets/x`.

/// Why a value cannot be a path segment, in words a model can act on; `None` when it can.
pub fn check_segment(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return Some("must not be empty");
    }
    if value == "." || value == ".." {
        return Some("must not be \".\" or \"..\"");
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("must not contain whitespace or control characters");
    }
    if value.contains(['/', '\\', '?', '#', '%', ';']) {
        return Some("must not contain /, \\, ?, #, % or ;");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_change_meaning_are_refused() {
        let bad = [
            "", ".", "..", "a/b", "../x", "a\\b", "%2e%2e", "%2E", "a?b", "a#b", "a;b", " ", "a b", "a\tb", "a\nb",
            "a\u{0}b", "a\u{7f}", "\u{2028}", "a\u{85}",
        ];
        for v in bad {
            assert!(check_segment(v).is_some(), "{v:?} was accepted");
        }
        for v in ["pgmain000001", "abc-DEF_123", "a.b", "...", "x~y", "ünïcode", "a+b", "a@b"] {
            assert_eq!(check_segment(v), None, "{v:?} was refused");
        }
    }
}
