//! What decoding JSON may cost: the count of values in a text (judged before anything is built), the encoded size
//! of a value (measured without building the text), and the decoding of a large reply that keeps only as much of
//! its list as a result can hold.
//!
//! Invariant: memory spent on decoded JSON is bounded by a setting, never by what a peer sends. A decoded value
//! takes tens of times the bytes of its text (each number, string, key, array and object is a 32-byte `Value` and
//! often a heap block), so a message or a reply decoded whole is first counted ([`value_count`]) and refused past
//! the limit; a large reply whose bulk is a list is decoded item by item ([`decode_within`]), keeping the items
//! that fit and only counting the rest.
//!
//! "The list" of a document is a bare array, or the first array field (in key order) of an object; this module and
//! `tools::bound` share that rule through [`list_field`].

use std::cell::Cell;
use std::fmt;
use std::io;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// An upper bound of the number of values in a JSON text, given as one or more pieces (objects, arrays, keys,
/// strings, numbers, `true`, `false`, `null`), counted in one pass without decoding: each `{`, `[`, `,` and `:` outside strings starts at
/// most one more value, plus the first. It is exact for a text without empty containers and at most one too high
/// for each empty one, so the count of a valid text is never below what decoding it builds.
pub fn value_count<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> usize {
    let (mut count, mut in_string, mut escaped) = (1usize, false, false);
    for &b in pieces.into_iter().flatten() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' | b'[' | b',' | b':' => count += 1,
                _ => {}
            }
        }
    }
    count
}

/// The length of `v`'s compact JSON encoding, measured without building it.
pub fn encoded_len(v: &Value) -> usize {
    struct Count(usize);
    impl io::Write for Count {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    serde_json::to_writer(&mut c, v).expect("a JSON value always serialises");
    c.0
}

/// The key of an object's list: its first array field in key order; `None` for an object without one.
pub fn list_field(map: &Map<String, Value>) -> Option<&String> {
    map.iter().find(|(_, v)| v.is_array()).map(|(k, _)| k)
}

/// A list that [`decode_within`] cut: which one (`None` for a bare array, else the field) and how many items the
/// text held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The field of a top-level object, or `None` for a top-level array.
    pub field: Option<String>,
    /// The number of items in the text, of which only the first ones were kept.
    pub items: usize,
}

/// The room a list may take once decoded: the bytes of its items' encodings, and the values they hold.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// The most bytes of the kept items' encodings.
    pub bytes: usize,
    /// The most values (as [`value_count`] counts them) in the kept items.
    pub values: usize,
}

/// Why [`decode_within`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The text is not one JSON value, or reading it failed (see [`serde_json::Error::is_io`]).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// What cannot be cut (everything but the top-level lists' items) holds more values than the budget.
    #[error("more JSON values than the limit")]
    TooManyValues,
}

/// Decodes a JSON text whose top-level arrays (the document itself, or each array field of a top-level object)
/// keep only their first items that fit in `budget`; the rest are skipped as they are read, never built, and each
/// cut list is reported with the number of items the text held. Everything else is decoded whole, but never more
/// than `budget.values` values in all: past that, decoding reads on without building and fails. A skipped item is
/// checked as JSON, but its strings are not checked as UTF-8: nothing of it is kept (found by fuzzing).
///
/// # Errors
/// The text is not one JSON value, reading it failed, or what cannot be cut holds too many values.
pub fn decode_within(text: impl io::Read, budget: Budget) -> Result<(Value, Vec<Cut>), DecodeError> {
    let room = Room { left: Cell::new(budget.values), over: Cell::new(false) };
    let mut cuts = Vec::new();
    let mut de = serde_json::Deserializer::from_reader(text);
    let value =
        Within { bytes: budget.bytes, room: &room, top: true, field: None, cuts: &mut cuts }.deserialize(&mut de)?;
    de.end()?;
    if room.over.get() {
        return Err(DecodeError::TooManyValues);
    }
    Ok((value, cuts))
}

/// The number of values in a decoded value, counted as [`value_count`] counts them in a text: every node and
/// every key.
pub fn values_in(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(values_in).sum(),
        Value::Object(map) => map.values().map(|x| 1 + values_in(x)).sum(),
        _ => 0,
    }
}

/// The values one decode may still build, shared by everything it builds.
struct Room {
    left: Cell<usize>,
    /// Set when a value found no room; it was read but not built.
    over: Cell<bool>,
}

impl Room {
    /// Takes room for one value (a node or a key); `false`, and `over` set, when there is none.
    fn take(&self) -> bool {
        match self.left.get() {
            0 => {
                self.over.set(true);
                false
            }
            n => {
                self.left.set(n - 1);
                true
            }
        }
    }
}

/// Builds a value while the room lasts; past it, the rest of the value is read with `IgnoredAny` (nothing built)
/// and stands as `Null`, with the room marked `over`.
struct Counted<'r>(&'r Room);

impl<'de> DeserializeSeed<'de> for Counted<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Counted<'_> {
    fn scalar<E>(&self, v: Value) -> Result<Value, E> {
        Ok(if self.0.take() { v } else { Value::Null })
    }
}

impl<'de> Visitor<'de> for Counted<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        self.scalar(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        self.scalar(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        self.scalar(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        self.scalar(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        self.scalar(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        self.scalar(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        self.scalar(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let room = self.0;
        let mut items = Vec::new();
        if room.take() {
            while !room.over.get() {
                match seq.next_element_seed(Counted(room))? {
                    Some(item) => items.push(item),
                    None => return Ok(Value::Array(items)),
                }
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let room = self.0;
        let mut out = Map::new();
        if room.take() {
            while !room.over.get() {
                let Some(key) = map.next_key::<String>()? else { return Ok(Value::Object(out)) };
                let value = if room.take() {
                    map.next_value_seed(Counted(room))?
                } else {
                    map.next_value::<IgnoredAny>().map(|_| Value::Null)?
                };
                out.insert(key, value);
            }
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }
}

/// Decodes one value: an array is a list, cut to the budget; at the top level, so is each array field of an
/// object; anything else is [`Counted`].
struct Within<'c> {
    bytes: usize,
    room: &'c Room,
    top: bool,
    field: Option<String>,
    cuts: &'c mut Vec<Cut>,
}

impl<'de> DeserializeSeed<'de> for Within<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Within<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Counted(self.room).scalar(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Counted(self.room).scalar(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Counted(self.room).scalar(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Counted(self.room).scalar(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Counted(self.room).scalar(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Counted(self.room).scalar(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Counted(self.room).scalar(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let room = self.room;
        if !room.take() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Value::Null);
        }
        let (mut items, mut total, mut full, mut bytes) = (Vec::new(), 0usize, false, 0usize);
        loop {
            if full {
                // Past the budget, items are only counted: IgnoredAny builds nothing.
                match seq.next_element::<IgnoredAny>()? {
                    Some(_) => total += 1,
                    None => break,
                }
                continue;
            }
            // An item that does not fit gives its room back: only the items kept count.
            let before = room.left.get();
            let Some(item) = seq.next_element_seed(Counted(room))? else { break };
            total += 1;
            let b = encoded_len(&item) + 1;
            if !room.over.get() && bytes + b <= self.bytes {
                bytes += b;
                items.push(item);
            } else {
                room.over.set(false);
                room.left.set(before);
                full = true;
            }
        }
        if total > items.len() {
            self.cuts.push(Cut { field: self.field, items: total });
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if !self.top {
            return Counted(self.room).visit_map(map);
        }
        let room = self.room;
        let mut out = Map::new();
        if room.take() {
            while !room.over.get() {
                let Some(key) = map.next_key::<String>()? else { return Ok(Value::Object(out)) };
                if !room.take() {
                    map.next_value::<IgnoredAny>()?;
                    break;
                }
                let seed =
                    Within { bytes: self.bytes, room, top: false, field: Some(key.clone()), cuts: &mut *self.cuts };
                let value = map.next_value_seed(seed)?;
                out.insert(key, value);
            }
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const ALL: Budget = Budget { bytes: usize::MAX / 2, values: usize::MAX / 2 };

    fn bytes(n: usize) -> Budget {
        Budget { bytes: n, values: usize::MAX / 2 }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-z\"\\\\,:{}\\[\\] ]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z,:\"]{0,4}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_count_is_never_below_what_decoding_builds(v in any_json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.unwrap();
            let n = values_in(&v);
            prop_assert!(value_count([&text[..]]) >= n, "{} < {n} for {}", value_count([&text[..]]), String::from_utf8_lossy(&text));
        }

        #[test]
        fn encoded_len_is_the_length_of_the_encoding(v in any_json()) {
            prop_assert_eq!(encoded_len(&v), serde_json::to_string(&v).unwrap().len());
        }

        #[test]
        fn what_is_built_never_passes_the_value_budget(v in any_json(), values in 0usize..40, bytes in 0usize..200) {
            let text = serde_json::to_vec(&v).unwrap();
            match decode_within(&text[..], Budget { bytes, values }) {
                Ok((decoded, _)) => prop_assert!(values_in(&decoded) <= values, "{decoded} for {values}"),
                Err(DecodeError::TooManyValues) => prop_assert!(values_in(&v) > values),
                Err(e) => prop_assert!(false, "{e}"),
            }
        }

        #[test]
        fn a_generous_budget_decodes_everything(v in any_json()) {
            let text = serde_json::to_vec(&v).unwrap();
            let (decoded, cuts) = decode_within(&text[..], ALL).unwrap();
            prop_assert_eq!(decoded, v);
            prop_assert!(cuts.is_empty());
        }
    }

    #[test]
    fn counts_of_small_texts() {
        assert_eq!(value_count([&b"[0,0,0]"[..]]), 4);
        assert_eq!(value_count([&br#"{"a":1,"b":"x,y:[{"}"#[..]]), 5);
        assert_eq!(value_count([&br#""a\"[,""#[..]]), 1);
        // A string that spans pieces is still a string.
        assert_eq!(value_count([&br#"["a,"#[..], &br#"b",1]"#[..]]), 3);
    }

    #[test]
    fn a_list_is_cut_to_the_budget_and_the_rest_is_counted() {
        let items: Vec<Value> = (0..100).map(|i| json!({"id": i, "name": "x".repeat(10)})).collect();
        let one = encoded_len(&items[0]) + 1;
        let doc = json!({"checks": items, "pagination": {"total": 100}, "tags": ["a"]});
        let (v, cuts) = decode_within(doc.to_string().as_bytes(), bytes(10 * one)).unwrap();
        assert_eq!(v["checks"].as_array().unwrap().len(), 10);
        assert_eq!(v["checks"][9]["id"], 9, "the first items, in order");
        assert_eq!((v["pagination"].clone(), v["tags"].clone()), (json!({"total": 100}), json!(["a"])));
        assert_eq!(cuts, vec![Cut { field: Some("checks".into()), items: 100 }]);
        let (v, cuts) = decode_within(json!([1, 2, 3, 4]).to_string().as_bytes(), bytes(4)).unwrap();
        assert_eq!((v, cuts), (json!([1, 2]), vec![Cut { field: None, items: 4 }]));
        // Nested lists are whole; only top-level lists are cut.
        let (v, cuts) = decode_within(&br#"{"a":{"b":[1,2,3,4,5,6]}}"#[..], bytes(2)).unwrap();
        assert_eq!((v, cuts), (json!({"a": {"b": [1, 2, 3, 4, 5, 6]}}), vec![]));
        assert!(decode_within(&b"[1,2"[..], ALL).is_err());
        assert!(decode_within(&b"[1] x"[..], ALL).is_err());
        // The values of the kept items are bounded too: each of these holds 5, the list itself 1.
        let many = json!([{"a": 1, "b": 2}, {"a": 1, "b": 2}, {"a": 1, "b": 2}]).to_string();
        let (v, cuts) = decode_within(many.as_bytes(), Budget { bytes: 1000, values: 12 }).unwrap();
        assert_eq!((v.as_array().map(Vec::len), cuts[0].items), (Some(2), 3));
        // What cannot be cut (here a record of many fields beside the list) is refused past the budget.
        let wide: Map<String, Value> = (0..50).map(|i| (format!("f{i}"), json!(i))).collect();
        let doc = json!({"record": wide, "checks": [1, 2]}).to_string();
        assert!(matches!(
            decode_within(doc.as_bytes(), Budget { bytes: 1000, values: 60 }),
            Err(DecodeError::TooManyValues)
        ));
        assert!(decode_within(doc.as_bytes(), Budget { bytes: 1000, values: 110 }).is_ok());
    }

    #[test]
    fn the_list_field_is_the_first_array_in_key_order() {
        let doc = json!({"z": [1], "b": [2], "a": 1});
        assert_eq!(list_field(doc.as_object().unwrap()).map(String::as_str), Some("b"));
        assert_eq!(list_field(json!({"a": 1}).as_object().unwrap()), None);
    }
}
