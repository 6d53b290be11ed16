//! The in-memory store of the API double: one insertion-ordered list of JSON objects per resource kind,
//! plus id generation and the UTC clock.
//!
//! Invariant: every stored object has a unique `id` of 12 lowercase alphanumerics within its kind, and holds
//! only stored fields; derived fields (a check's nested `group`, an incident's `incident_updates`, …) are added
//! when a handler renders the object, so they can never go stale.

use serde::Serialize;
use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// One stored resource: a JSON object with at least an `id`.
pub type Object = Map<String, Value>;

/// Every resource the double knows, by kind. Serialises as `{"pages":[...], "components":[...], ...}`.
#[derive(Debug, Default, Serialize)]
pub struct Store {
    pub pages: Vec<Object>,
    pub components: Vec<Object>,
    pub incidents: Vec<Object>,
    pub incident_updates: Vec<Object>,
    pub check_groups: Vec<Object>,
    pub checks: Vec<Object>,
    pub check_results: Vec<Object>,
    pub check_jobs: Vec<Object>,
    pub secrets: Vec<Object>,
    pub check_secrets: Vec<Object>,
    pub alert_channels: Vec<Object>,
    pub alert_rules: Vec<Object>,
    pub alerts: Vec<Object>,
    pub alert_notifications: Vec<Object>,
    pub heartbeats: Vec<Object>,
    pub heartbeat_pings: Vec<Object>,
    /// Counter behind [`Store::new_id`]; restarting it on reset keeps generated ids reproducible.
    #[serde(skip)]
    next_id: u64,
    /// Where the double itself is reachable, so that heartbeat `ping_url`s point back at it.
    #[serde(skip)]
    pub base_url: String,
}

impl Store {
    /// An empty store whose heartbeat ping URLs start with `base_url`.
    pub fn empty(base_url: &str) -> Store {
        Store { base_url: base_url.to_string(), ..Store::default() }
    }

    /// A fresh 12-character id. Ids are derived from a counter through a bit mixer, so they look opaque like
    /// the real API's yet are the same on every run; the loop skips the (unlikely) clash with a seed id.
    pub fn new_id(&mut self) -> String {
        loop {
            self.next_id += 1;
            let id = base36_12(splitmix64(self.next_id));
            if !self.id_in_use(&id) {
                return id;
            }
        }
    }

    /// Stamps `id`, `created_at` and `updated_at` on a new object.
    pub fn stamp_new(&mut self, obj: &mut Object) -> String {
        let id = self.new_id();
        let now = now_iso();
        obj.insert("id".into(), Value::String(id.clone()));
        obj.insert("created_at".into(), Value::String(now.clone()));
        obj.insert("updated_at".into(), Value::String(now));
        id
    }

    fn id_in_use(&self, id: &str) -> bool {
        let kinds = [
            &self.pages,
            &self.components,
            &self.incidents,
            &self.incident_updates,
            &self.check_groups,
            &self.checks,
            &self.check_results,
            &self.check_jobs,
            &self.secrets,
            &self.check_secrets,
            &self.alert_channels,
            &self.alert_rules,
            &self.alerts,
            &self.alert_notifications,
            &self.heartbeats,
            &self.heartbeat_pings,
        ];
        kinds.iter().any(|list| find(list, id).is_some())
    }
}

/// The object of `list` whose `id` is `id`.
pub fn find<'a>(list: &'a [Object], id: &str) -> Option<&'a Object> {
    list.iter().find(|o| str_field(o, "id") == Some(id))
}

/// Mutable variant of [`find`].
pub fn find_mut<'a>(list: &'a mut [Object], id: &str) -> Option<&'a mut Object> {
    list.iter_mut().find(|o| str_field(o, "id") == Some(id))
}

/// Removes the object with `id` from `list`, returning whether it was there.
pub fn remove(list: &mut Vec<Object>, id: &str) -> bool {
    let before = list.len();
    list.retain(|o| str_field(o, "id") != Some(id));
    list.len() != before
}

/// The string value of `key`, if it is a string.
pub fn str_field<'a>(obj: &'a Object, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// Copies every entry of `changes` into `target` and refreshes `updated_at`.
pub fn merge(target: &mut Object, changes: Object) {
    for (k, v) in changes {
        target.insert(k, v);
    }
    target.insert("updated_at".into(), Value::String(now_iso()));
}

/// Builds an [`Object`] from a `json!({...})` literal; anything else yields an empty object.
pub fn obj(v: Value) -> Object {
    match v {
        Value::Object(m) => m,
        _ => Object::new(),
    }
}

/// The current time as `2026-11-24T10:00:00Z`.
pub fn now_iso() -> String {
    format_unix(now_unix())
}

/// Seconds since the Unix epoch; a clock before 1970 counts as the epoch rather than failing.
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Formats Unix seconds as ISO 8601 UTC with a `Z` suffix.
pub fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Parses `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS` with optional fraction and an optional `Z`, `±HH:MM` or `±HHMM`
/// offset (a missing offset means UTC), into Unix seconds. The SDK sends `%Y-%m-%dT%H:%M:%S.%f%z`.
pub fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    if b.len() == 10 {
        return Some(days * 86_400);
    }
    if !(b[10] == b'T' || b[10] == b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hhmm = rest[1..].replace(':', "");
            if hhmm.len() != 4 || !hhmm.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (oh, om): (i64, i64) = (hhmm[..2].parse().ok()?, hhmm[2..].parse().ok()?);
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn base36_12(mut x: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 12];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(x % 36) as usize];
        x /= 36;
    }
    out.iter().map(|&c| c as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_known_dates() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(parse_iso("2026-11-24T10:00:00Z"), Some(1_795_514_400));
        assert_eq!(format_unix(1_795_514_400), "2026-11-24T10:00:00Z");
        for days in [-800_000_i64, -1, 0, 59, 10_957, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn parses_the_sdk_and_offset_forms() {
        let base = parse_iso("2026-11-24T10:00:00Z");
        assert_eq!(parse_iso("2026-11-24T10:00:00.123456+0000"), base);
        assert_eq!(parse_iso("2026-11-24T12:00:00+02:00"), base);
        assert_eq!(parse_iso("2026-11-24T10:00:00"), base);
        assert_eq!(parse_iso("2026-11-24"), Some(1_795_478_400));
        for bad in ["", "yesterday", "2026-13-01", "2026-02-30", "2026-11-24T25:00:00Z", "2026-11-24T10:00:00+5"] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_are_twelve_lowercase_alphanumerics_and_unique() {
        let mut store = Store::default();
        let ids: Vec<String> = (0..200).map(|_| store.new_id()).collect();
        for id in &ids {
            assert_eq!(id.len(), 12);
            assert!(id.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        }
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
    }
}
