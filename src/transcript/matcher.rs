//! The one JSON matcher of transcripts, with wildcards and captures; `protocol-tests` and `mcp-transcript` both
//! use it.
//!
//! Invariant: matching is strict unless a wildcard says otherwise, so a field that a version must not carry fails
//! the match. Wildcards: the string `"*"` matches any value; `[..]` inside a string matches any run of characters;
//! an object with the key `"..."` may have keys beyond those listed; an array whose last element is `"..."` may have
//! more elements. Captures: the string `"${name}"` binds any value the first time and must equal it afterwards;
//! `${name}` inside a longer string binds or repeats text; `${env:NAME}` is the value of an environment variable;
//! `$${` is a literal `${`. A failed match binds nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// Values captured so far in one transcript run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Captures {
    values: BTreeMap<String, Value>,
}

impl Captures {
    /// No captures.
    pub fn new() -> Captures {
        Captures::default()
    }

    /// The value bound to `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// Binds `name` (used by the HTTP layer for values that are not in a message).
    pub fn bind(&mut self, name: &str, v: Value) {
        self.values.insert(name.to_owned(), v);
    }

    /// Resolves a reference: a capture, or `env:NAME`. `None` when it is unbound (or the variable unset).
    fn resolve(&self, name: &str) -> Option<Value> {
        match name.strip_prefix("env:") {
            Some(var) => std::env::var(var).ok().map(Value::String),
            None => self.values.get(name).cloned(),
        }
    }
}

/// The first difference between an expectation and a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// Where, as a JSON path from `$`.
    pub path: String,
    /// What the transcript expected there (`null` when the difference is a missing or extra key).
    pub expected: Value,
    /// What the server sent there.
    pub actual: Value,
    /// The difference in words.
    pub reason: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Describes the first difference between `expected` and `actual`, or `None` when they match (no captures kept).
pub fn find_mismatch(expected: &Value, actual: &Value) -> Option<String> {
    match_value(expected, actual, &mut Captures::new()).err().map(|m| m.to_string())
}

/// Matches `actual` against `expected`; on success the captures it made are added to `caps`, on failure `caps` is
/// unchanged.
pub fn match_value(expected: &Value, actual: &Value, caps: &mut Captures) -> Result<(), Mismatch> {
    let mut trial = caps.clone();
    mismatch_at("$", expected, actual, &mut trial)?;
    *caps = trial;
    Ok(())
}

fn fail(path: &str, expected: &Value, actual: &Value, reason: String) -> Result<(), Mismatch> {
    Err(Mismatch { path: path.to_owned(), expected: expected.clone(), actual: actual.clone(), reason })
}

fn mismatch_at(path: &str, expected: &Value, actual: &Value, caps: &mut Captures) -> Result<(), Mismatch> {
    match (expected, actual) {
        (Value::String(e), _) if e == "*" => Ok(()),
        (Value::String(e), _) if whole_capture(e).is_some() => {
            let name = whole_capture(e).expect("checked above");
            match caps.resolve(name) {
                Some(bound) if &bound == actual => Ok(()),
                Some(bound) => fail(path, &bound, actual, format!("expected {bound} (${{{name}}}), got {actual}")),
                None if name.starts_with("env:") => {
                    fail(path, expected, actual, format!("environment variable {} is not set", &name[4..]))
                }
                None => {
                    caps.bind(name, actual.clone());
                    Ok(())
                }
            }
        }
        (Value::String(e), Value::String(a)) if is_pattern(e) => {
            let segs = match segments(e, caps) {
                Ok(s) => s,
                Err(reason) => return fail(path, expected, actual, reason),
            };
            let mut bound = Vec::new();
            if glob(&segs, a, &mut bound) {
                for (name, text) in bound {
                    caps.bind(&name, Value::String(text));
                }
                Ok(())
            } else {
                fail(path, expected, actual, format!("{a:?} does not match {e:?}"))
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            let open = e.contains_key("...");
            for (k, ev) in e.iter().filter(|(k, _)| *k != "...") {
                match a.get(k) {
                    Some(av) => mismatch_at(&format!("{path}.{k}"), ev, av, caps)?,
                    None => return fail(path, ev, &Value::Null, format!("missing key {k:?}")),
                }
            }
            if !open {
                if let Some((k, v)) = a.iter().find(|(k, _)| !e.contains_key(*k)) {
                    return fail(path, &Value::Null, v, format!("unexpected key {k:?}"));
                }
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            let open = is_open_array(e);
            let e = if open { &e[..e.len() - 1] } else { &e[..] };
            if a.len() < e.len() || (!open && a.len() != e.len()) {
                return fail(path, expected, actual, format!("expected {} element(s), got {}", e.len(), a.len()));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                mismatch_at(&format!("{path}[{i}]"), ev, av, caps)?;
            }
            Ok(())
        }
        (e, a) if e == a => Ok(()),
        (Value::String(es), Value::String(as_)) if es.len() + as_.len() > 80 => {
            fail(path, expected, actual, string_difference(es, as_))
        }
        (e, a) => fail(path, e, a, format!("expected {e}, got {a}")),
    }
}

/// Where two long strings part, with a little context on both sides, so that a one-word change in a long text is
/// visible in a report.
fn string_difference(e: &str, a: &str) -> String {
    let at =
        e.char_indices().zip(a.chars()).find(|((_, ec), ac)| ec != ac).map_or(e.len().min(a.len()), |((i, _), _)| i);
    let window = |s: &str| {
        let mut from = at.saturating_sub(30);
        while !s.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = (at + 40).min(s.len());
        while !s.is_char_boundary(to) {
            to -= 1;
        }
        let from = from.min(to);
        format!("{}{}{}", if from > 0 { "..." } else { "" }, &s[from..to], if to < s.len() { "..." } else { "" })
    };
    format!("the strings differ from byte {at}: expected {:?}, got {:?}", window(e), window(a))
}

/// True for an array whose last element is `"..."`.
fn is_open_array(e: &[Value]) -> bool {
    e.last() == Some(&Value::String("...".into()))
}

/// The name in a string that is exactly `${name}`.
pub fn whole_capture(s: &str) -> Option<&str> {
    let name = s.strip_prefix("${")?.strip_suffix('}')?;
    (!name.is_empty() && !name.contains(['{', '}', '$'])).then_some(name)
}

/// True when a string holds a wildcard or a reference.
pub fn is_pattern(s: &str) -> bool {
    s.contains("[..]") || s.contains("${")
}

/// One piece of a string pattern.
#[derive(Debug)]
enum Seg {
    Lit(String),
    Any,
    Cap(String),
}

/// Splits a string pattern; bound references become literal text.
fn segments(p: &str, caps: &Captures) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = p;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("$${") {
            lit.push_str("${");
            rest = r;
        } else if let Some(r) = rest.strip_prefix("[..]") {
            out.push(Seg::Lit(std::mem::take(&mut lit)));
            out.push(Seg::Any);
            rest = r;
        } else if let Some((name, r)) = rest.strip_prefix("${").and_then(|r| r.split_once('}')) {
            match caps.resolve(name) {
                Some(Value::String(s)) => lit.push_str(&s),
                Some(other) => lit.push_str(&other.to_string()),
                None if name.starts_with("env:") => {
                    return Err(format!("environment variable {} is not set", &name[4..]))
                }
                None => {
                    out.push(Seg::Lit(std::mem::take(&mut lit)));
                    out.push(Seg::Cap(name.to_owned()));
                }
            }
            rest = r;
        } else {
            let c = rest.chars().next().expect("rest is not empty");
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.push(Seg::Lit(lit));
    Ok(out)
}

/// Matches `s` against the pieces; the leftmost match wins, and captured text goes to `out`.
fn glob(segs: &[Seg], s: &str, out: &mut Vec<(String, String)>) -> bool {
    match segs.split_first() {
        None => s.is_empty(),
        Some((Seg::Lit(l), rest)) => s.strip_prefix(l.as_str()).is_some_and(|r| glob(rest, r, out)),
        Some((wild, rest)) => {
            // A wildcard followed by literal text can only end where that text starts, which keeps this linear
            // for the usual patterns.
            let candidates: Vec<usize> = match rest.first() {
                Some(Seg::Lit(l)) if !l.is_empty() => s.match_indices(l.as_str()).map(|(i, _)| i).collect(),
                None => vec![s.len()],
                _ => s.char_indices().map(|(i, _)| i).chain([s.len()]).collect(),
            };
            for i in candidates {
                let mark = out.len();
                if glob(rest, &s[i..], out) {
                    if let Seg::Cap(name) = wild {
                        out.push((name.clone(), s[..i].to_owned()));
                    }
                    return true;
                }
                out.truncate(mark);
            }
            false
        }
    }
}

/// Substitutes references in a line the client sends: `"${name}"` becomes the JSON of the bound value and
/// `${name}` inside a string its text (JSON-escaped). Works on the text so that the line is sent byte for byte
/// as written otherwise.
pub fn substitute(line: &str, caps: &Captures) -> Result<String, String> {
    if !line.contains("${") {
        return Ok(line.to_owned());
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("${") {
        if i > 0 && rest[..i].ends_with('$') {
            out.push_str(&rest[..i - 1]);
            out.push_str("${");
            rest = &rest[i + 2..];
            continue;
        }
        let Some(end) = rest[i..].find('}') else { break };
        let name = &rest[i + 2..i + end];
        let value = caps.resolve(name).ok_or_else(|| match name.strip_prefix("env:") {
            Some(var) => format!("environment variable {var} is not set"),
            None => format!("${{{name}}} is used before a reply bound it"),
        })?;
        let whole = rest[..i].ends_with('"') && rest[i + end + 1..].starts_with('"');
        if whole {
            out.push_str(&rest[..i - 1]);
            out.push_str(&value.to_string());
            rest = &rest[i + end + 2..];
        } else {
            out.push_str(&rest[..i]);
            let text = match &value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let quoted = Value::String(text).to_string();
            out.push_str(&quoted[1..quoted.len() - 1]);
            rest = &rest[i + end + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Rewrites an expectation from the actual message, keeping every wildcard and capture that still matches: the
/// basis of `verify --update`.
pub fn merge(expected: &Value, actual: &Value) -> Value {
    match (expected, actual) {
        (Value::String(e), _) if e == "*" || whole_capture(e).is_some() => expected.clone(),
        (Value::String(e), Value::String(_)) if is_pattern(e) => {
            if find_mismatch(expected, actual).is_none() {
                expected.clone()
            } else {
                actual.clone()
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            let mut out = serde_json::Map::new();
            if e.contains_key("...") {
                for (k, ev) in e.iter().filter(|(k, _)| *k != "...") {
                    if let Some(av) = a.get(k) {
                        out.insert(k.clone(), merge(ev, av));
                    }
                }
                out.insert("...".into(), Value::Bool(true));
            } else {
                for (k, av) in a {
                    out.insert(k.clone(), e.get(k).map_or_else(|| av.clone(), |ev| merge(ev, av)));
                }
            }
            Value::Object(out)
        }
        (Value::Array(e), Value::Array(a)) => {
            let open = is_open_array(e);
            let listed = if open { e.len() - 1 } else { e.len() };
            let mut out: Vec<Value> = Vec::new();
            for (i, av) in a.iter().enumerate() {
                if open && i >= listed {
                    break;
                }
                out.push(e.get(i).filter(|_| i < listed).map_or_else(|| av.clone(), |ev| merge(ev, av)));
            }
            if open {
                out.push(Value::String("...".into()));
            }
            Value::Array(out)
        }
        _ => actual.clone(),
    }
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
        assert!(find_mismatch(&json!("a[..]a"), &json!("a")).is_some());
        assert!(find_mismatch(&json!([1, "..."]), &json!([1, 2, 3])).is_none());
        assert!(find_mismatch(&json!([1]), &json!([1, 2])).is_some());
        assert!(find_mismatch(&json!({"a": "1"}), &json!({"a": 1})).is_some());
        assert!(find_mismatch(&json!({"a": "*"}), &json!({})).is_some());
    }

    #[test]
    fn mismatches_name_the_path_and_both_values() {
        let m = match_value(&json!({"a": [1, {"b": 2}]}), &json!({"a": [1, {"b": 3}]}), &mut Captures::new());
        let m = m.unwrap_err();
        assert_eq!((m.path.as_str(), m.expected.clone(), m.actual.clone()), ("$.a[1].b", json!(2), json!(3)));
        assert_eq!(m.to_string(), "$.a[1].b: expected 2, got 3");
        let long = "x".repeat(100);
        let m = match_value(
            &json!(format!("{long} synthetic end")),
            &json!(format!("{long} analytical end")),
            &mut Captures::new(),
        );
        let reason = m.unwrap_err().reason;
        assert!(reason.starts_with("the strings differ from byte 101:"), "{reason}");
        assert!(reason.contains("synthetic end\"") && reason.contains("analytical end\""), "{reason}");
    }

    #[test]
    fn captures_bind_once_and_repeat() {
        let mut caps = Captures::new();
        match_value(&json!({"id": "${page}"}), &json!({"id": {"n": 7}}), &mut caps).unwrap();
        assert_eq!(caps.get("page"), Some(&json!({"n": 7})));
        assert!(match_value(&json!({"id": "${page}"}), &json!({"id": 8}), &mut caps).is_err());
        match_value(&json!("cursor=${cur};end"), &json!("cursor=abc;end"), &mut caps).unwrap();
        assert_eq!(caps.get("cur"), Some(&json!("abc")));
        assert!(match_value(&json!("x ${cur}"), &json!("x abd"), &mut caps).is_err());
        assert_eq!(substitute(r#"{"a":"${page}","b":"c=${cur}"}"#, &caps).unwrap(), r#"{"a":{"n":7},"b":"c=abc"}"#);
        assert!(substitute(r#"{"a":"${nope}"}"#, &caps).unwrap_err().contains("before a reply bound it"));
        assert_eq!(substitute(r#"{"a":"$${x}"}"#, &caps).unwrap(), r#"{"a":"${x}"}"#);
    }

    #[test]
    fn a_failed_match_binds_nothing() {
        let mut caps = Captures::new();
        assert!(match_value(&json!({"a": "${x}", "b": 1}), &json!({"a": 5, "b": 2}), &mut caps).is_err());
        assert_eq!(caps, Captures::new());
    }

    #[test]
    fn merge_keeps_wildcards_and_takes_the_rest() {
        let e =
            json!({"v": "*", "t": "took [..] ms", "s": "${sid}", "n": 1, "o": {"a": 1, "...": true}, "l": [1, "..."]});
        let a = json!({"v": "9", "t": "took 3 ms", "s": "abc", "n": 2, "o": {"a": 5, "z": 0}, "l": [2, 3]});
        let m = merge(&e, &a);
        assert_eq!(
            m,
            json!({"v": "*", "t": "took [..] ms", "s": "${sid}", "n": 2, "o": {"a": 5, "...": true}, "l": [2, "..."]})
        );
        assert!(find_mismatch(&m, &a).is_none());
    }
}
