//! An incremental parser of `text/event-stream` bodies, for the verify client and the recording proxy.
//!
//! Invariant: bytes may arrive split anywhere; an event is produced once, when its blank line arrives, and the
//! buffer never holds more than one unfinished event (bounded by the caller's body limit).

/// One server-sent event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The `event:` name, `message` by default.
    pub name: String,
    /// The `data:` lines joined with newlines.
    pub data: String,
}

/// Feeds chunks in, takes events out.
#[derive(Debug, Default)]
pub struct Parser {
    pending: Vec<u8>,
    name: Option<String>,
    data: Vec<String>,
}

impl Parser {
    /// A parser at the start of a stream.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Adds bytes and returns the events they complete.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    let name = self.name.take().unwrap_or_else(|| "message".to_owned());
                    out.push(Event { name, data: std::mem::take(&mut self.data).join("\n") });
                }
                self.name = None;
            } else if line.starts_with(':') {
                continue;
            } else if let Some(v) = line.strip_prefix("event:") {
                self.name = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                self.data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere() {
        let mut p = Parser::new();
        let mut got = p.push(b": keep-alive\n\nevent: endpoint\r\ndata: /messages?s=1\r\n\r\nda");
        got.extend(p.push(b"ta: {\"a\":1}\n"));
        got.extend(p.push(b"\nid: 3\ndata:x\ndata: y\n\n"));
        let names: Vec<(&str, &str)> = got.iter().map(|e| (e.name.as_str(), e.data.as_str())).collect();
        assert_eq!(names, vec![("endpoint", "/messages?s=1"), ("message", "{\"a\":1}"), ("message", "x\ny")]);
    }
}
