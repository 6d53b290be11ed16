//! Heartbeat (dead-man's switch) checks and their pings.
//!
//! Invariant: a heartbeat's `status`, `last_ping_at` and `next_expected_ping` change only through a ping or
//! through `active`; the `ping` route is the one API route that needs no credentials.

use super::checks::in_window;
use super::router::{ApiError, ApiRequest, ApiResult, Body, Reply};
use super::schema::{self, reset_to_defaults, Kind, Schema};
use super::store::{self, format_unix, merge, now_unix, obj, str_field, Object, Store};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const HEARTBEAT: Schema = Schema {
    fields: &[
        ("name", Kind::Str(1, 100)),
        ("period_seconds", Kind::Int(60, i64::MAX)),
        ("grace_seconds", Kind::Int(60, i64::MAX)),
        ("active", Kind::Bool),
    ],
    required: &["name", "period_seconds"],
};

fn heartbeat_index(st: &Store, h: &str) -> Result<usize, ApiError> {
    st.heartbeats
        .iter()
        .position(|x| str_field(x, "id") == Some(h))
        .ok_or_else(|| ApiError::not_found("Heartbeat check"))
}

/// The pings of a heartbeat, newest first.
fn pings_of<'a>(st: &'a Store, h: &str) -> Vec<&'a Object> {
    let mut list: Vec<&Object> = st.heartbeat_pings.iter().filter(|p| str_field(p, "check_id") == Some(h)).collect();
    list.reverse();
    list.sort_by(|a, b| str_field(b, "received_at").cmp(&str_field(a, "received_at")));
    list
}

/// `paused` while inactive; otherwise `up` until the next ping is due, `grace` during the grace period,
/// then `down`. A heartbeat that never pinged counts from its creation.
fn derive_status(hb: &mut Object) {
    let status = if hb.get("active") == Some(&json!(false)) {
        "paused"
    } else {
        let period = hb.get("period_seconds").and_then(Value::as_i64).unwrap_or(3600);
        let grace = hb.get("grace_seconds").and_then(Value::as_i64).unwrap_or(3600);
        let last = str_field(hb, "last_ping_at").or(str_field(hb, "created_at")).and_then(store::parse_iso);
        let due = last.unwrap_or_else(now_unix) + period;
        hb.insert("next_expected_ping".into(), json!(format_unix(due)));
        let now = now_unix();
        if hb.get("last_ping_at").is_none_or(Value::is_null) {
            "grace"
        } else if now <= due {
            "up"
        } else if now <= due + grace {
            "grace"
        } else {
            "down"
        }
    };
    hb.insert("status".into(), json!(status));
}

pub fn list_heartbeats(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let paging = req.paging("per_page")?;
    Reply::ok(paging.envelope("checks", st.heartbeats.iter().cloned().map(Value::Object).collect()))
}

pub fn create_heartbeat(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &HEARTBEAT, false)?;
    let mut hb = obj(json!({"grace_seconds": 3600, "active": true, "last_ping_at": null}));
    hb.extend(fields);
    let id = st.stamp_new(&mut hb);
    hb.insert("ping_url".into(), json!(format!("{}/v1/heartbeats/{id}/ping", st.base_url)));
    derive_status(&mut hb);
    st.heartbeats.push(hb.clone());
    Reply::created(Value::Object(hb))
}

/// HeartbeatCheckDetail: the heartbeat plus its ten latest pings.
pub fn get_heartbeat(st: &mut Store, h: &str) -> ApiResult {
    let i = heartbeat_index(st, h)?;
    let mut out = st.heartbeats[i].clone();
    let recent: Vec<Value> = pings_of(st, h).into_iter().take(10).map(|p| Value::Object(p.clone())).collect();
    out.insert("recent_pings".into(), Value::Array(recent));
    Reply::ok(Value::Object(out))
}

/// PATCH merges; PUT resets `grace_seconds` and `active` to their defaults when omitted.
pub fn update_heartbeat(st: &mut Store, h: &str, req: &ApiRequest, replace: bool) -> ApiResult {
    let i = heartbeat_index(st, h)?;
    let fields = schema::validate(&req.json()?, &HEARTBEAT, true)?;
    let hb = &mut st.heartbeats[i];
    if replace {
        reset_to_defaults(hb, &obj(json!({"grace_seconds": 3600, "active": true})), HEARTBEAT.required);
    }
    merge(hb, fields);
    derive_status(hb);
    Reply::ok(Value::Object(hb.clone()))
}

pub fn delete_heartbeat(st: &mut Store, h: &str) -> ApiResult {
    if !store::remove(&mut st.heartbeats, h) {
        return Err(ApiError::not_found("Heartbeat check"));
    }
    st.heartbeat_pings.retain(|p| str_field(p, "check_id") != Some(h));
    Reply::no_content()
}

/// Records a ping (GET or POST, optional JSON object body kept as `ping_data`).
pub fn ping(st: &mut Store, h: &str, req: &ApiRequest) -> ApiResult {
    let i = heartbeat_index(st, h)?;
    let data = match &req.body {
        Body::Empty => json!({}),
        Body::Json(v @ Value::Object(_)) => v.clone(),
        Body::Json(_) => return Err(ApiError::invalid_json_field("_schema", "Invalid input type.")),
        Body::Invalid => return Err(ApiError::new(400, "Invalid JSON body")),
    };
    let mut ping = obj(json!({
        "check_id": h,
        "source_ip": req.peer.map(|p| p.ip().to_string()),
        "user_agent": req.user_agent,
        "ping_data": data,
    }));
    st.stamp_new(&mut ping);
    let received = ping.remove("created_at").unwrap_or(Value::Null);
    ping.remove("updated_at");
    ping.insert("received_at".into(), received.clone());
    st.heartbeat_pings.push(ping);
    let hb = &mut st.heartbeats[i];
    hb.insert("last_ping_at".into(), received);
    derive_status(hb);
    let paused = str_field(hb, "status") == Some("paused");
    Reply::ok(json!({
        "status": if paused { "paused" } else { "ok" },
        "check_id": h,
        "next_expected_ping": hb.get("next_expected_ping"),
        "message": if paused { "Ping recorded; the heartbeat is paused" } else { "Ping received" },
    }))
}

pub fn list_pings(st: &mut Store, h: &str, req: &ApiRequest) -> ApiResult {
    heartbeat_index(st, h)?;
    let paging = req.paging("per_page")?;
    let (start, end) = req.window("start_date", "end_date")?;
    let list = pings_of(st, h)
        .into_iter()
        .filter(|p| in_window(p, "received_at", start, end))
        .map(|p| Value::Object(p.clone()))
        .collect();
    Reply::ok(paging.envelope("pings", list))
}

/// Pings per UTC hour, oldest hour first.
pub fn pings_count(st: &mut Store, h: &str, req: &ApiRequest) -> ApiResult {
    heartbeat_index(st, h)?;
    let (start, end) = req.window("start_date", "end_date")?;
    let mut hours: BTreeMap<String, usize> = BTreeMap::new();
    for p in pings_of(st, h).into_iter().filter(|p| in_window(p, "received_at", start, end)) {
        if let Some(t) = str_field(p, "received_at").and_then(store::parse_iso) {
            *hours.entry(format_unix(t - t.rem_euclid(3600))).or_default() += 1;
        }
    }
    let total: usize = hours.values().sum();
    let counts: Vec<Value> = hours.iter().map(|(hour, n)| json!({"hour": hour, "ping_count": n})).collect();
    Reply::ok(json!({
        "ping_counts": counts,
        "summary": {
            "total_pings": total,
            "hours_with_pings": hours.len(),
            "start_date": start.map(format_unix),
            "end_date": end.map(format_unix),
        },
    }))
}
