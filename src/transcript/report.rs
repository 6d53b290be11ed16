//! Reports of a verify run: lines for people, one JSON document for programs, JUnit XML for CI.
//!
//! Invariant: every report is built from the same [`Outcome`] list, so the three never disagree.

use serde_json::{json, Value};

use super::verify::Outcome;

/// Prints one transcript's result (and, when verbose or failed, what helps to understand it).
pub fn print_text(o: &Outcome, verbose: bool) {
    let ms = o.duration.as_millis();
    match (&o.failure, &o.skipped) {
        (_, Some(why)) => println!("SKIP {} ({why})", o.name),
        (None, None) => println!("PASS {} ({ms} ms)", o.name),
        (Some(f), None) => {
            println!("FAIL {} ({ms} ms)\n  {}", o.name, f.to_string().replace('\n', "\n  "));
            if !o.stderr.trim().is_empty() {
                let tail: Vec<&str> = o.stderr.lines().rev().take(20).collect();
                println!("  server stderr (last lines):");
                for l in tail.iter().rev() {
                    println!("    {l}");
                }
            }
        }
    }
    if verbose {
        for l in &o.exchange {
            println!("    {l}");
        }
    }
}

/// Prints the closing count.
pub fn print_summary(outcomes: &[Outcome]) {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let skipped = outcomes.iter().filter(|o| o.skipped.is_some()).count();
    let passed = outcomes.len() - failed - skipped;
    println!("{passed} passed, {failed} failed, {skipped} skipped");
}

/// The whole run as one JSON document.
pub fn json(outcomes: &[Outcome]) -> Value {
    let items: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            let status = if o.skipped.is_some() {
                "skipped"
            } else if o.passed() {
                "passed"
            } else {
                "failed"
            };
            json!({"name": o.name, "status": status, "duration_ms": o.duration.as_millis() as u64,
                   "failure": o.failure.as_ref().map(|f| f.to_json()), "updated": o.updated.is_some()})
        })
        .collect();
    let count = |s: &str| items.iter().filter(|i| i["status"] == s).count();
    json!({"passed": count("passed"), "failed": count("failed"), "skipped": count("skipped"), "transcripts": items})
}

/// The whole run as JUnit XML: one `testcase` per transcript.
pub fn junit(outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| !o.passed()).count();
    let skipped = outcomes.iter().filter(|o| o.skipped.is_some()).count();
    let total: f64 = outcomes.iter().map(|o| o.duration.as_secs_f64()).sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"mcp-transcript\" tests=\"{}\" failures=\"{failures}\" \
         skipped=\"{skipped}\" time=\"{total:.3}\">\n",
        outcomes.len()
    );
    for o in outcomes {
        out.push_str(&format!(
            "  <testcase classname=\"mcp-transcript\" name=\"{}\" time=\"{:.3}\"",
            xml(&o.name),
            o.duration.as_secs_f64()
        ));
        match (&o.failure, &o.skipped) {
            (_, Some(why)) => out.push_str(&format!(">\n    <skipped message=\"{}\"/>\n  </testcase>\n", xml(why))),
            (None, None) => out.push_str("/>\n"),
            (Some(f), None) => {
                let first = f.to_string().lines().next().unwrap_or_default().to_owned();
                out.push_str(&format!(
                    ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                    xml(&first),
                    xml(&f.to_string())
                ));
            }
        }
    }
    out.push_str("</testsuite>\n");
    out
}

/// Escapes text for XML attributes and content; control characters XML cannot carry become spaces.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot; ");
    }
}
