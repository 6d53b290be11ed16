//! A JSON matcher with wildcards, for comparing server output with fixture expectations.
//!
//! Invariant: matching is strict unless a wildcard says otherwise, so a field that a version must not carry fails
//! the match. Wildcards: the string `"*"` matches any value; `"[..]"` inside a string matches any run of
//! characters; an object with the key `"..."` may have keys beyond those listed; an array whose last element is
//! `"..."` may have more elements.

use serde_json::Value;

/// Describes the first difference between `expected` and `actual`, or `None` when they match.
pub fn find_mismatch(expected: &Value, actual: &Value) -> Option<String> {
    mismatch_at("$", expected, actual)
}

fn mismatch_at(path: &str, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::String(e), _) if e == "*" => None,
        (Value::String(e), Value::String(a)) if e.contains("[..]") => {
            (!wildcard_str(e, a)).then(|| format!("{path}: {a:?} does not match {e:?}"))
        }
        (Value::Object(e), Value::Object(a)) => {
            let open = e.contains_key("...");
            for (k, ev) in e.iter().filter(|(k, _)| *k != "...") {
                match a.get(k) {
                    Some(av) => {
                        if let Some(m) = mismatch_at(&format!("{path}.{k}"), ev, av) {
                            return Some(m);
                        }
                    }
                    None => return Some(format!("{path}: missing key {k:?}")),
                }
            }
            if !open {
                if let Some(extra) = a.keys().find(|k| !e.contains_key(*k)) {
                    return Some(format!("{path}: unexpected key {extra:?}"));
                }
            }
            None
        }
        (Value::Array(e), Value::Array(a)) => {
            let open = e.last() == Some(&Value::String("...".into()));
            let e = if open { &e[..e.len() - 1] } else { &e[..] };
            if a.len() < e.len() || (!open && a.len() != e.len()) {
                return Some(format!("{path}: expected {} element(s), got {}", e.len(), a.len()));
            }
            e.iter().zip(a).enumerate().find_map(|(i, (ev, av))| mismatch_at(&format!("{path}[{i}]"), ev, av))
        }
        (e, a) if e == a => None,
        (e, a) => Some(format!("{path}: expected {e}, got {a}")),
    }
}

/// Matches a string against a pattern where `[..]` stands for any run of characters.
fn wildcard_str(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    let (first, rest) = parts.split_first().expect("split yields at least one part");
    let Some(mut s) = s.strip_prefix(first) else { return false };
    let (last, middle) = rest.split_last().expect("the pattern contains [..]");
    for part in middle {
        match s.find(part) {
            Some(i) => s = &s[i + part.len()..],
            None => return false,
        }
    }
    s.len() >= last.len() && s.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards() {
        assert!(find_mismatch(&json!({"a": "*"}), &json!({"a": [1, 2]})).is_none());
        assert!(find_mismatch(&json!({"a": 1}), &json!({"a": 1, "b": 2})).is_some());
        assert!(find_mismatch(&json!({"a": 1, "...": true}), &json!({"a": 1, "b": 2})).is_none());
        assert!(find_mismatch(&json!("x[..]z"), &json!("xyyz")).is_none());
        assert!(find_mismatch(&json!("x[..]z"), &json!("xyy")).is_some());
        assert!(find_mismatch(&json!("[..]b[..]"), &json!("abc")).is_none());
        assert!(find_mismatch(&json!([1, "..."]), &json!([1, 2, 3])).is_none());
        assert!(find_mismatch(&json!([1]), &json!([1, 2])).is_some());
        assert!(find_mismatch(&json!({"a": "1"}), &json!({"a": 1})).is_some());
    }
}
