//! Argument completion (`completion/complete`) for ids: page, check, incident and check group ids, from the API,
//! with the caller's credential.
//!
//! Invariant: values come only from an API list read with the credential of the request being answered, and a
//! cached list is served only to the same credential: the cache key holds a keyed hash of the credential (the key is
//! random per process), never the credential itself. The cache holds at most `max_entries` lists, each for at most
//! `ttl`; a full cache drops its oldest entry first. One completion reads at most one API page of 100 items and
//! answers at most [`MAX_VALUES`] values.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::pingera::Credential;
use crate::pingera::{ApiError, Method};
use crate::prompts::IdKind;
use crate::tools::{percent_encode, ToolCtx};

/// The most values one completion answers (the protocol's limit).
pub const MAX_VALUES: usize = 100;

/// One cached id list: (id, name) pairs in the API's order.
type Ids = Arc<Vec<(String, String)>>;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    /// A keyed hash of the credential (0 without one).
    who: u64,
    kind: IdKind,
    /// The page id, for incidents.
    scope: String,
}

/// The id completer with its per-credential cache.
pub struct Completer {
    ttl: Duration,
    max_entries: usize,
    hasher: RandomState,
    cache: Mutex<HashMap<Key, (Instant, Ids)>>,
}

impl Completer {
    /// A completer whose lists live for `ttl` (zero: no caching), at most `max_entries` at once.
    pub fn new(ttl: Duration, max_entries: usize) -> Completer {
        Completer { ttl, max_entries, hasher: RandomState::new(), cache: Mutex::new(HashMap::new()) }
    }

    fn who(&self, credential: Option<&Credential>) -> u64 {
        let Some(c) = credential else { return 0 };
        let mut h = self.hasher.build_hasher();
        h.write(c.header_value().as_bytes());
        h.finish().max(1)
    }

    /// The ids of `kind` that start with `prefix` (or whose name does, ignoring case), as a `CompleteResult`.
    /// `page_id` scopes incident ids; without it there are none to offer.
    pub fn complete(
        &self,
        ctx: &ToolCtx<'_>,
        kind: IdKind,
        prefix: &str,
        page_id: Option<&str>,
    ) -> Result<Value, ApiError> {
        let path = match (kind, page_id) {
            (IdKind::Page, _) => "/v1/pages?page=1&page_size=100".to_owned(),
            (IdKind::Check, _) => "/v1/checks?page=1&page_size=100".to_owned(),
            (IdKind::CheckGroup, _) => "/v1/check-groups?page=1&page_size=100".to_owned(),
            (IdKind::Incident, Some(page)) if !page.is_empty() => {
                format!("/v1/pages/{}/incidents", percent_encode(page))
            }
            (IdKind::Incident, _) => return Ok(result(&[], 0)),
        };
        let key = Key {
            who: self.who(ctx.credential),
            kind,
            scope: if kind == IdKind::Incident { page_id.unwrap_or_default().to_owned() } else { String::new() },
        };
        let ids = match self.cached(&key) {
            Some(ids) => ids,
            None => {
                let ids: Ids = Arc::new(ids_of(&ctx.send(Method::Get, path, None)?));
                self.store(key, Arc::clone(&ids));
                ids
            }
        };
        let lower = prefix.to_lowercase();
        let matching: Vec<&str> = ids
            .iter()
            .filter(|(id, name)| id.starts_with(prefix) || name.to_lowercase().starts_with(&lower))
            .map(|(id, _)| id.as_str())
            .collect();
        Ok(result(&matching, matching.len()))
    }

    fn cached(&self, key: &Key) -> Option<Ids> {
        let cache = lock(&self.cache);
        cache.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, ids)| Arc::clone(ids))
    }

    fn store(&self, key: Key, ids: Ids) {
        if self.ttl.is_zero() || self.max_entries == 0 {
            return;
        }
        let mut cache = lock(&self.cache);
        cache.retain(|_, (at, _)| at.elapsed() < self.ttl);
        while cache.len() >= self.max_entries {
            let oldest = cache.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => cache.remove(&k),
                None => break,
            };
        }
        cache.insert(key, (Instant::now(), ids));
    }

    /// The number of cached lists.
    pub fn cached_lists(&self) -> usize {
        lock(&self.cache).len()
    }
}

/// The `CompleteResult` for the matching values, at most [`MAX_VALUES`] of them.
fn result(matching: &[&str], total: usize) -> Value {
    let values: Vec<&str> = matching.iter().take(MAX_VALUES).copied().collect();
    json!({ "completion": { "values": values, "total": total, "hasMore": total > values.len() } })
}

/// The (id, name) pairs of an API list: a bare array, or the first array of an envelope object.
fn ids_of(reply: &Value) -> Vec<(String, String)> {
    let items = match reply {
        Value::Array(items) => Some(items),
        Value::Object(map) => map.values().find_map(Value::as_array),
        _ => None,
    };
    items
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let id = item.get("id")?.as_str()?.to_owned();
            let name = item.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            Some((id, name))
        })
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn ids_come_from_bare_lists_and_envelopes() {
        let bare = json!([{"id": "a1", "name": "Acme"}, {"name": "no id"}, {"id": "b2"}]);
        assert_eq!(ids_of(&bare), vec![("a1".into(), "Acme".into()), ("b2".into(), String::new())]);
        let envelope = json!({"pagination": {}, "checks": [{"id": "c1", "name": "Web"}]});
        assert_eq!(ids_of(&envelope), vec![("c1".into(), "Web".into())]);
        assert!(ids_of(&json!("x")).is_empty());
    }

    #[test]
    fn results_hold_at_most_100_values_and_say_how_many_there_are() {
        let many: Vec<String> = (0..150).map(|i| format!("id{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let r = result(&refs, refs.len());
        assert_eq!(r["completion"]["values"].as_array().unwrap().len(), 100);
        assert_eq!((r["completion"]["total"].as_u64(), r["completion"]["hasMore"].as_bool()), (Some(150), Some(true)));
    }

    #[test]
    fn the_cache_is_bounded_keyed_by_a_hash_and_expires() {
        let c = Completer::new(Duration::from_secs(60), 2);
        let a = Credential::ApiKey(Secret::new("key-aaaaaaaaaaaaaaaa"));
        let b = Credential::ApiKey(Secret::new("key-bbbbbbbbbbbbbbbb"));
        assert_ne!(c.who(Some(&a)), c.who(Some(&b)));
        assert_eq!(c.who(Some(&a)), c.who(Some(&a)));
        for (i, who) in [c.who(Some(&a)), c.who(Some(&b)), 0].into_iter().enumerate() {
            let key = Key { who, kind: IdKind::Page, scope: String::new() };
            c.store(key, Arc::new(vec![(format!("p{i}"), String::new())]));
        }
        assert_eq!(c.cached_lists(), 2, "the oldest entry made room");
        assert!(c.cached(&Key { who: c.who(Some(&a)), kind: IdKind::Page, scope: String::new() }).is_none());
        assert!(c.cached(&Key { who: 0, kind: IdKind::Page, scope: String::new() }).is_some());
        let off = Completer::new(Duration::ZERO, 10);
        off.store(Key { who: 0, kind: IdKind::Check, scope: String::new() }, Arc::new(Vec::new()));
        assert_eq!(off.cached_lists(), 0);
    }
}
