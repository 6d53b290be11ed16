//! The transcript format: parsing a file into steps, and writing steps back as text. The grammar is documented in
//! `fixtures/README.md`.
//!
//! Invariant: parsing either yields a transcript whose every step is well formed (JSON where JSON is due, known
//! directives only) or an error naming the file and line, so a run never starts on a malformed transcript.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

/// What the client sends in one step.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// A `< LINE`: the text as written (with references to substitute), sent with a newline.
    Line(String),
    /// `<raw "..."` or `<long N`: exact bytes, sent as they are.
    Bytes(Vec<u8>),
}

/// What the HTTP response to a sent message must look like (ignored over stdio).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpExpect {
    /// `>http STATUS`.
    pub status: Option<u16>,
    /// `>header Name: pattern`, matched with the string grammar of the matcher.
    pub headers: Vec<(String, String)>,
}

/// One expected message.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    /// Its line in the file (1-based).
    pub line: usize,
    /// The pattern.
    pub value: Value,
    /// `>?`: zero or more messages like this may arrive; none is required.
    pub optional: bool,
}

/// One step of a transcript.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The client sends a message.
    Send {
        /// Its line in the file (1-based).
        line: usize,
        /// What is sent.
        payload: Payload,
        /// `<header Name: value` lines before it: extra request headers over HTTP.
        headers: Vec<(String, String)>,
        /// `>http` / `>header` lines after it.
        http: HttpExpect,
    },
    /// Messages expected next, in any order (consecutive `>` and `>?` lines).
    Expect(Vec<Expected>),
    /// `<eof`: close stdin (stdio) or end the session with DELETE (HTTP).
    Eof {
        /// Its line in the file (1-based).
        line: usize,
    },
}

/// The `#!` directives: how to start the server for this transcript.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Directives {
    /// `#! env NAME=value`.
    pub env: Vec<(String, String)>,
    /// `#! args ...`: appended to the server command.
    pub args: Vec<String>,
    /// `#! double`: the Pingera API double runs and the server is pointed at it.
    pub double: bool,
    /// `#! double-latency-ms N` (implies `double`).
    pub double_latency: Option<Duration>,
    /// `#! stdio-only`: not played over HTTP.
    pub stdio_only: bool,
    /// `#! no-credential`: the server gets no Pingera credential.
    pub no_credential: bool,
}

/// A parsed transcript.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    /// The name shown in reports (the path as given).
    pub name: String,
    /// The directives.
    pub directives: Directives,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The file's lines, for `--update`.
    pub lines: Vec<String>,
}

/// Reads and parses a transcript file.
pub fn load(path: &Path) -> Result<Transcript, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&path.display().to_string(), &text)
}

/// Parses transcript text; `name` prefixes error messages.
pub fn parse(name: &str, text: &str) -> Result<Transcript, String> {
    let mut t =
        Transcript { name: name.to_owned(), lines: text.lines().map(str::to_owned).collect(), ..Default::default() };
    let mut pending_headers: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let at = |msg: &str| format!("{name}:{n}: {msg}");
        if let Some(d) = line.strip_prefix("#!") {
            directive(&mut t.directives, d.trim()).map_err(|e| at(&e))?;
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else if line.trim_end() == "<eof" {
            t.steps.push(Step::Eof { line: n });
        } else if let Some(h) = line.strip_prefix("<header ") {
            pending_headers.push(header_line(h).ok_or_else(|| at("<header needs 'Name: value'"))?);
        } else if let Some(h) = line.strip_prefix(">header ") {
            let header = header_line(h).ok_or_else(|| at(">header needs 'Name: pattern'"))?;
            last_send(&mut t.steps).ok_or_else(|| at(">header must follow a '<' line"))?.headers.push(header);
        } else if let Some(s) = line.strip_prefix(">http ") {
            let status = s.trim().parse().map_err(|_| at(">http needs a status code"))?;
            last_send(&mut t.steps).ok_or_else(|| at(">http must follow a '<' line"))?.status = Some(status);
        } else if let Some(count) = line.strip_prefix("<long ") {
            let count: usize = count.trim().parse().map_err(|_| at("<long needs a byte count"))?;
            let mut bytes = vec![b'x'; count];
            bytes.push(b'\n');
            push_send(&mut t.steps, n, Payload::Bytes(bytes), &mut pending_headers);
        } else if let Some(quoted) = line.strip_prefix("<raw ") {
            let raw: String =
                serde_json::from_str(quoted).map_err(|e| at(&format!("<raw needs a JSON string: {e}")))?;
            push_send(&mut t.steps, n, Payload::Bytes(raw.into_bytes()), &mut pending_headers);
        } else if let Some(raw) = line.strip_prefix("< ") {
            push_send(&mut t.steps, n, Payload::Line(raw.to_owned()), &mut pending_headers);
        } else if let Some((optional, raw)) =
            line.strip_prefix(">? ").map(|r| (true, r)).or_else(|| line.strip_prefix("> ").map(|r| (false, r)))
        {
            let value: Value = serde_json::from_str(raw).map_err(|e| at(&format!("expected JSON: {e}")))?;
            let e = Expected { line: n, value, optional };
            match t.steps.last_mut() {
                Some(Step::Expect(group)) => group.push(e),
                _ => t.steps.push(Step::Expect(vec![e])),
            }
        } else {
            return Err(at("a line must start with '< ', '<raw ', '<long ', '<eof', '<header ', '> ', '>? ', \
                           '>http ', '>header ', '#' or '#!'"));
        }
    }
    if !pending_headers.is_empty() {
        return Err(format!("{name}: <header lines at the end belong to no message"));
    }
    Ok(t)
}

fn directive(d: &mut Directives, text: &str) -> Result<(), String> {
    let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
    match word {
        "env" => {
            let (k, v) = rest.split_once('=').ok_or("env needs NAME=value")?;
            d.env.push((k.trim().to_owned(), v.to_owned()));
        }
        "args" => d.args.extend(rest.split_whitespace().map(str::to_owned)),
        "double" => d.double = true,
        "double-latency-ms" => {
            d.double = true;
            let ms = rest.trim().parse().map_err(|_| "double-latency-ms needs milliseconds")?;
            d.double_latency = Some(Duration::from_millis(ms));
        }
        "stdio-only" => d.stdio_only = true,
        "no-credential" => d.no_credential = true,
        other => return Err(format!("unknown directive {other:?}")),
    }
    Ok(())
}

fn header_line(h: &str) -> Option<(String, String)> {
    let (k, v) = h.split_once(':')?;
    let k = k.trim();
    (!k.is_empty()).then(|| (k.to_owned(), v.trim().to_owned()))
}

fn last_send(steps: &mut [Step]) -> Option<&mut HttpExpect> {
    match steps.last_mut() {
        Some(Step::Send { http, .. }) => Some(http),
        _ => None,
    }
}

fn push_send(steps: &mut Vec<Step>, line: usize, payload: Payload, headers: &mut Vec<(String, String)>) {
    steps.push(Step::Send { line, payload, headers: std::mem::take(headers), http: HttpExpect::default() });
}

/// Writes one expected message as a transcript line.
pub fn expect_line(value: &Value, optional: bool) -> String {
    format!("{} {value}", if optional { ">?" } else { ">" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_line_kind_parses() {
        let text =
            "# c\n#! double\n#! env A=b c\n<header X-Test: 1\n< {\"id\":1}\n>http 200\n>header Mcp-Session-Id: ${s}\n\
                    > {\"id\":1}\n>? {\"method\":\"m\"}\n<raw \"a\\n\"\n<long 3\n<eof\n";
        let t = parse("t", text).unwrap();
        assert!(t.directives.double);
        assert_eq!(t.directives.env, vec![("A".to_owned(), "b c".to_owned())]);
        assert_eq!(t.steps.len(), 5);
        let Step::Send { headers, http, payload, line } = &t.steps[0] else { panic!("{:?}", t.steps[0]) };
        assert_eq!((line, payload), (&5, &Payload::Line("{\"id\":1}".into())));
        assert_eq!(headers, &vec![("X-Test".to_owned(), "1".to_owned())]);
        assert_eq!(http.status, Some(200));
        assert_eq!(http.headers, vec![("Mcp-Session-Id".to_owned(), "${s}".to_owned())]);
        let Step::Expect(g) = &t.steps[1] else { panic!() };
        assert_eq!((g[0].value.clone(), g[1].optional), (json!({"id": 1}), true));
        assert_eq!(
            t.steps[3],
            Step::Send {
                line: 11,
                payload: Payload::Bytes(b"xxx\n".to_vec()),
                headers: vec![],
                http: HttpExpect::default()
            }
        );
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse("f", "< {}\n> {nope").unwrap_err().split(": ").next(), Some("f:2"));
        assert!(parse("f", "#! bogus").unwrap_err().contains("unknown directive"));
        assert!(parse("f", ">http 200").unwrap_err().contains("must follow"));
        assert!(parse("f", "hello").unwrap_err().starts_with("f:1"));
    }
}
