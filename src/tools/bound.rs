//! Bounded, compact tool results: what a successful tool result looks like to the model.
//!
//! Invariant: a result is at most `max_bytes` (the text the model reads plus `structuredContent`, encoded), or it is
//! an error that says how to ask for less. A list that does not fit is cut to the items that do, in order, and the
//! result says how many items it holds of how many, and which `page`/`page_size` fetch the next item exactly. The
//! text is the compact form of the structured value ([`compact`]): no null fields, no empty objects, and no nested
//! copy of a record that a sibling `*_id` field names (reduced to its label fields). `structuredContent` keeps the
//! API's record shapes, which the tool's output schema promises.

use serde_json::{json, Map, Value};

use super::{present, Outcome, ToolError, ToolSpec};
use crate::json::{self, encoded_len};

/// A tool result ready to encode.
#[derive(Debug)]
pub struct Bounded {
    /// The structured value (the API's records, perhaps fewer of them).
    pub structured: Value,
    /// The compact JSON text the model reads.
    pub text: String,
    /// What was left out and how to get it, when the list was cut.
    pub note: Option<String>,
}

/// The fields of an embedded record that stay when the record is a copy of what a sibling `*_id` names: they label
/// it for a reader (a check's group name, a probe's region) without repeating the whole record.
const LABEL_FIELDS: &[&str] = &["name", "region"];

/// The compact form of a reply for the model: null fields and empty objects are left out at any depth; an object
/// field `x` whose `id` equals a sibling `x_id` keeps only its label fields; and a field `*_id` of a nested record
/// that repeats the id of the record holding it (an incident update's `incident_id`) is left out.
pub fn compact(v: &Value) -> Value {
    compact_in(v, None)
}

fn compact_in(v: &Value, parent_id: Option<&Value>) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|x| compact_in(x, parent_id)).collect()),
        Value::Object(map) => {
            let own_id = map.get("id");
            let mut out = Map::new();
            for (key, value) in map {
                if value.is_null() || value.as_object().is_some_and(Map::is_empty) {
                    continue;
                }
                if key.ends_with("_id") && parent_id.is_some_and(|p| p == value) {
                    continue;
                }
                let named_by_sibling = value.get("id").is_some_and(|id| map.get(&format!("{key}_id")) == Some(id));
                if let (true, Value::Object(record)) = (named_by_sibling, value) {
                    let labels: Map<String, Value> = LABEL_FIELDS
                        .iter()
                        .filter_map(|f| record.get(*f).filter(|x| !x.is_null()).map(|x| ((*f).to_owned(), x.clone())))
                        .collect();
                    if !labels.is_empty() {
                        out.insert(key.clone(), Value::Object(labels));
                    }
                    continue;
                }
                let compacted = compact_in(value, own_id.or(parent_id));
                if compacted.as_object().is_some_and(Map::is_empty) {
                    continue;
                }
                out.insert(key.clone(), compacted);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Makes a successful result fit `max_bytes`: as it is when it fits; otherwise its list cut to the items that fit,
/// with a note on how to get the rest; an error when even that cannot fit. A list already cut while the reply was
/// decoded ([`Outcome::cuts`]) counts the items the API returned, so the note says the truth about them.
///
/// Sizes are measured without building the texts ([`encoded_len`]), and the compact text is built only for what is
/// sent, so a large reply is never copied whole.
pub fn fit(
    spec: &ToolSpec,
    args: &Map<String, Value>,
    outcome: Outcome,
    max_bytes: usize,
) -> Result<Bounded, ToolError> {
    let Outcome { value, cuts } = outcome;
    let too_big = || {
        ToolError::Failed(format!(
            "the reply of {} is larger than the {max_bytes} bytes a result may hold (PINGERA_MAX_RESULT_BYTES); \
             ask for less: a smaller page_size, a narrower time window or a filter",
            spec.name
        ))
    };
    if cuts.is_empty() {
        let structured_len = encoded_len(&value);
        if structured_len < max_bytes {
            let text = to_text(&compact(&value));
            if text.len() + structured_len <= max_bytes {
                return Ok(Bounded { structured: value, text, note: None });
            }
        }
    }
    let Some(split) = Split::of(value) else { return Err(too_big()) };
    // A list cut while decoding that is not the one being cut here lies in the envelope, which then cannot fit.
    let held = match cuts.as_slice() {
        [] => split.items.len(),
        [cut] if cut.field.as_ref() == split.envelope.as_ref().map(|(_, key)| key) => cut.items,
        _ => return Err(too_big()),
    };
    // Each item costs its compact text, its structured text and two separators; the envelope (pagination and the
    // like, twice) and the note come on top.
    let mut used = 2 * split.envelope_len() + 512;
    let mut fits = 0;
    for item in &split.items {
        let cost = encoded_len(&compact(item)) + encoded_len(item) + 2;
        if used + cost > max_bytes {
            break;
        }
        used += cost;
        fits += 1;
    }
    if fits == 0 {
        return Err(too_big());
    }
    let structured = split.join(fits);
    let note = Some(next_page_note(spec, args, fits, held, max_bytes));
    Ok(Bounded { text: to_text(&compact(&structured)), structured, note })
}

/// A reply split into its list and the rest: a bare array (`envelope: None`), or the list field `key` of an object
/// ([`json::list_field`]; `envelope`: the object without it).
struct Split {
    items: Vec<Value>,
    envelope: Option<(Map<String, Value>, String)>,
}

impl Split {
    fn of(value: Value) -> Option<Split> {
        match value {
            Value::Array(items) => Some(Split { items, envelope: None }),
            Value::Object(mut map) => {
                let key = json::list_field(&map)?.clone();
                let Some(Value::Array(items)) = map.remove(&key) else { return None };
                Some(Split { items, envelope: Some((map, key)) })
            }
            _ => None,
        }
    }

    /// The encoded size of everything but the list.
    fn envelope_len(&self) -> usize {
        self.envelope.as_ref().map_or(0, |(map, key)| {
            map.iter().map(|(k, v)| k.len() + 4 + encoded_len(v)).sum::<usize>() + key.len() + 6
        })
    }

    /// The reply again, with only the first `n` items.
    fn join(self, n: usize) -> Value {
        let items = Value::Array(self.items.into_iter().take(n).collect());
        match self.envelope {
            Some((mut map, key)) => {
                map.insert(key, items);
                Value::Object(map)
            }
            None => items,
        }
    }
}

/// What the model reads about a cut list: how many items it holds of how many, and the exact call for the rest.
fn next_page_note(spec: &ToolSpec, args: &Map<String, Value>, fits: usize, held: usize, max_bytes: usize) -> String {
    let head = format!(
        "This result holds only the first {fits} of the {held} items the API returned: the whole list would pass \
         the result limit of {max_bytes} bytes."
    );
    let size_param = ["page_size", "per_page"].into_iter().find(|p| spec.param(p).is_some());
    let (Some(size_param), Some(_)) = (size_param, spec.param("page")) else {
        return format!("{head} Narrow the request (a filter or a shorter time window) to see the rest.");
    };
    let page = present(args, "page").and_then(Value::as_u64).unwrap_or(1).max(1);
    let size = present(args, size_param).and_then(Value::as_u64).unwrap_or(held as u64).max(1);
    let (next_page, next_size) = next_page(page, size, fits as u64);
    format!(
        "{head} To continue, call {} again with the same arguments but page {next_page} and {size_param} \
         {next_size}: that page starts with the first item left out.",
        spec.name
    )
}

/// The page and page size whose page starts exactly at the first item left out: the item at 0-based offset
/// `(page - 1) * size + fits` starts page `offset / s + 1` for every page size `s` that divides the offset; the
/// largest such `s` of at most `fits` keeps the next page as large as one that is known to fit.
pub fn next_page(page: u64, size: u64, fits: u64) -> (u64, u64) {
    let offset = (page - 1) * size + fits;
    let s = (1..=fits.max(1)).rev().find(|s| offset % s == 0).unwrap_or(1);
    (offset / s + 1, s)
}

fn to_text(v: &Value) -> String {
    serde_json::to_string(v).expect("a JSON value always serialises")
}

/// The note as a text content block.
pub fn note_block(note: &str) -> Value {
    json!({ "type": "text", "text": note })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Cut;
    use crate::tools::find;

    fn whole(value: Value) -> Outcome {
        Outcome { value, cuts: Vec::new() }
    }

    #[test]
    fn compact_drops_nulls_empty_objects_and_nested_copies() {
        let check = json!({
            "id": "c1", "host": null, "metadata": {}, "group_id": "g1",
            "group": {"id": "g1", "name": "Production", "color": "#fff", "created_at": "x"},
            "check_server_id": "s1", "check_server": {"id": "s1", "region": "ru-msk", "ip_address": "192.0.2.1"},
            "other": {"id": "z9", "name": "kept whole"},
            "updates": [{"id": "u1", "c1_id": "c1", "check_id": "c1", "body": "b", "x": null}],
            "tags": [],
        });
        assert_eq!(
            compact(&check),
            json!({
                "id": "c1", "group_id": "g1", "group": {"name": "Production"},
                "check_server_id": "s1", "check_server": {"region": "ru-msk"},
                "other": {"id": "z9", "name": "kept whole"},
                "updates": [{"id": "u1", "body": "b"}],
                "tags": [],
            })
        );
    }

    #[test]
    fn next_page_starts_exactly_at_the_first_item_left_out() {
        for page in 1..6u64 {
            for size in 1..=100u64 {
                for fits in 1..=size {
                    let (p, s) = next_page(page, size, fits);
                    assert!(s <= fits && s >= 1);
                    assert_eq!((p - 1) * s, (page - 1) * size + fits, "page {page} size {size} fits {fits}");
                }
            }
        }
        assert_eq!(next_page(1, 100, 40), (2, 40));
    }

    #[test]
    fn a_list_that_does_not_fit_is_cut_and_says_how_to_get_the_rest() {
        let t = find("list_checks").unwrap();
        let checks: Vec<Value> = (0..100).map(|i| json!({"id": format!("c{i}"), "name": "x".repeat(900)})).collect();
        let reply = json!({"checks": checks, "pagination": {"page": 1, "page_size": 100, "total_items": 250}});
        let args = json!({"page_size": 100}).as_object().cloned().unwrap();
        let b = fit(t, &args, whole(reply), 100_000).unwrap();
        let kept = b.structured["checks"].as_array().unwrap().len();
        assert!(kept > 10 && kept < 100, "{kept}");
        assert!(b.text.len() + b.structured.to_string().len() <= 100_000);
        assert_eq!(b.structured["pagination"]["total_items"], 250, "the envelope stays");
        let note = b.note.unwrap();
        assert!(note.contains(&format!("first {kept} of the 100 items")), "{note}");
        let (p, s) = next_page(1, 100, kept as u64);
        assert!(note.contains(&format!("page {p} and page_size {s}")), "{note}");
    }

    #[test]
    fn a_small_reply_is_untouched_and_a_huge_record_is_an_error_that_says_what_to_do() {
        let t = find("get_check_details").unwrap();
        let b = fit(t, &Map::new(), whole(json!({"id": "c", "x": null})), 1000).unwrap();
        assert_eq!((b.text.as_str(), b.note), (r#"{"id":"c"}"#, None));
        let e = fit(t, &Map::new(), whole(json!({"id": "c", "script": "y".repeat(5000)})), 1000).unwrap_err();
        assert!(e.to_string().contains("ask for less"), "{e}");
        let t = find("list_alert_rules").unwrap();
        let rules: Vec<Value> = (0..50).map(|i| json!({"id": i.to_string(), "name": "r".repeat(100)})).collect();
        let b = fit(t, &Map::new(), whole(Value::Array(rules)), 3000).unwrap();
        assert!(b.note.unwrap().contains("Narrow the request"));
        assert!(b.structured.as_array().unwrap().len() < 50);
    }

    #[test]
    fn a_list_cut_while_decoding_counts_what_the_api_returned() {
        let t = find("list_checks").unwrap();
        let checks: Vec<Value> = (0..30).map(|i| json!({"id": format!("c{i}")})).collect();
        let reply = json!({"checks": checks, "pagination": {"page": 1}});
        let cut = Outcome { value: reply.clone(), cuts: vec![Cut { field: Some("checks".into()), items: 5000 }] };
        let b = fit(t, &Map::new(), cut, 100_000).unwrap();
        assert_eq!(b.structured["checks"].as_array().map(Vec::len), Some(30), "everything decoded fits");
        assert!(b.note.unwrap().contains("first 30 of the 5000 items"));
        // A cut list that is not the result's list is part of what cannot be cut: the result cannot fit.
        let other = Outcome { value: reply, cuts: vec![Cut { field: Some("pagination".into()), items: 9 }] };
        assert!(fit(t, &Map::new(), other, 100_000).is_err());
    }
}
