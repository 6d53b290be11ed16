//! Alerts (fired instances), alert rules, notification channels, notifications and the stats counter.
//!
//! Invariant: alerts are never created through the API (the monitoring engine fires them); the API can only
//! read them and move them to `acknowledged` or `resolved`.

use super::router::{ApiError, ApiRequest, ApiResult, Reply};
use super::schema::{self, Kind, Schema};
use super::store::{self, find, find_mut, merge, now_iso, obj, str_field, Object, Store};
use super::SEED_USER_ID;
use serde_json::{json, Value};

const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];
const ALERT_STATUSES: &[&str] = &["firing", "resolved", "acknowledged", "suppressed"];

const CHANNEL: Schema = Schema {
    fields: &[
        ("name", Kind::Str(1, 100)),
        ("type", Kind::Enum(&["email", "webhook", "statuspage", "telegram"])),
        ("configuration", Kind::Object),
        ("enabled", Kind::Bool),
    ],
    required: &["name", "type", "configuration"],
};

const RULE: Schema = Schema {
    fields: &[
        ("name", Kind::Str(1, 100)),
        ("check_id", Kind::Str(1, 12)),
        (
            "condition",
            Kind::Enum(&[
                "check_failed",
                "check_timeout",
                "check_degraded",
                "consecutive_failures",
                "uptime_below_threshold",
            ]),
        ),
        ("condition_parameters", Kind::Object),
        ("channel_ids", Kind::StrList(1)),
        ("severity", Kind::Enum(SEVERITIES)),
        ("enabled", Kind::Bool),
        ("auto_resolve", Kind::Bool),
        ("cooldown_period", Kind::Int(0, i64::MAX)),
        ("multi_region_mode", Kind::Enum(&["any_region", "all_regions", "majority", "specific_count"])),
        ("multi_region_threshold", Kind::Int(1, 100)),
    ],
    required: &["name", "check_id", "condition", "channel_ids"],
};

fn rule_defaults() -> Object {
    schema::defaults(&[
        ("condition_parameters", json!({})),
        ("severity", json!("medium")),
        ("enabled", json!(true)),
        ("auto_resolve", json!(true)),
        ("cooldown_period", json!(300)),
        ("multi_region_mode", json!("any_region")),
        ("multi_region_threshold", Value::Null),
    ])
}

// ---- Alerts --------------------------------------------------------------------------------------------

pub fn list_alerts(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let paging = req.paging("per_page")?;
    let status = req.query_enum("status", ALERT_STATUSES)?;
    let severity = req.query_enum("severity", SEVERITIES)?;
    let check = req.query("check_id");
    let list = st
        .alerts
        .iter()
        .filter(|a| status.as_deref().is_none_or(|s| str_field(a, "status") == Some(s)))
        .filter(|a| severity.as_deref().is_none_or(|s| str_field(a, "severity") == Some(s)))
        .filter(|a| check.is_none_or(|c| str_field(a, "check_id") == Some(c)))
        .cloned()
        .map(Value::Object)
        .collect();
    Reply::ok(paging.envelope("alerts", list))
}

pub fn get_alert(st: &mut Store, a: &str) -> ApiResult {
    find(&st.alerts, a)
        .map(|x| Value::Object(x.clone()))
        .ok_or_else(|| ApiError::not_found("Alert"))
        .and_then(Reply::ok)
}

/// Acknowledges (`resolve == false`) or resolves an alert. A resolved alert can be neither again.
pub fn transition(st: &mut Store, a: &str, resolve: bool) -> ApiResult {
    let alert = find_mut(&mut st.alerts, a).ok_or_else(|| ApiError::not_found("Alert"))?;
    if str_field(alert, "status") == Some("resolved") {
        return Err(ApiError::new(400, "Alert is already resolved"));
    }
    let now = now_iso();
    let changes = if resolve {
        json!({"status": "resolved", "is_active": false, "resolved_at": now})
    } else {
        json!({"status": "acknowledged", "acknowledged_at": now, "acknowledged_by_id": SEED_USER_ID})
    };
    for (k, v) in obj(changes) {
        alert.insert(k, v);
    }
    Reply::ok(Value::Object(alert.clone()))
}

pub fn notifications(st: &mut Store, a: &str) -> ApiResult {
    find(&st.alerts, a).ok_or_else(|| ApiError::not_found("Alert"))?;
    let list = st
        .alert_notifications
        .iter()
        .filter(|n| str_field(n, "alert_id") == Some(a))
        .cloned()
        .map(Value::Object)
        .collect();
    Reply::ok(Value::Array(list))
}

/// Counters over the store; "recent" means fired within the last 24 hours.
pub fn stats(st: &mut Store) -> ApiResult {
    let now = store::now_unix();
    let active: Vec<&Object> = st.alerts.iter().filter(|a| a.get("is_active") == Some(&json!(true))).collect();
    let recent = st
        .alerts
        .iter()
        .filter(|a| str_field(a, "fired_at").and_then(store::parse_iso).is_some_and(|t| now - t <= 86_400))
        .count();
    let mut breakdown = serde_json::Map::new();
    for sev in SEVERITIES {
        let n = active.iter().filter(|a| str_field(a, "severity") == Some(sev)).count();
        breakdown.insert((*sev).into(), json!(n));
    }
    Reply::ok(json!({
        "active_alerts": active.len(),
        "recent_alerts": recent,
        "total_rules": st.alert_rules.len(),
        "total_channels": st.alert_channels.len(),
        "severity_breakdown": breakdown,
    }))
}

// ---- Channels ------------------------------------------------------------------------------------------

pub fn list_channels(st: &mut Store) -> ApiResult {
    Reply::ok(Value::Array(st.alert_channels.iter().cloned().map(Value::Object).collect()))
}

pub fn create_channel(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &CHANNEL, false)?;
    let mut channel = obj(json!({"enabled": true, "last_used_at": null}));
    channel.extend(fields);
    st.stamp_new(&mut channel);
    st.alert_channels.push(channel.clone());
    Reply::created(Value::Object(channel))
}

pub fn get_channel(st: &mut Store, ch: &str) -> ApiResult {
    find(&st.alert_channels, ch)
        .map(|x| Value::Object(x.clone()))
        .ok_or_else(|| ApiError::not_found("Alert channel"))
        .and_then(Reply::ok)
}

/// PUT with AlertChannel1: like every PUT here, omitted optional fields (only `enabled`) fall back to
/// their defaults and omitted required ones keep their values.
pub fn update_channel(st: &mut Store, ch: &str, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &CHANNEL, true)?;
    let channel = find_mut(&mut st.alert_channels, ch).ok_or_else(|| ApiError::not_found("Alert channel"))?;
    channel.insert("enabled".into(), json!(true));
    merge(channel, fields);
    Reply::ok(Value::Object(channel.clone()))
}

/// Deletes a channel and removes it from the rules that notify it.
pub fn delete_channel(st: &mut Store, ch: &str) -> ApiResult {
    if !store::remove(&mut st.alert_channels, ch) {
        return Err(ApiError::not_found("Alert channel"));
    }
    for rule in st.alert_rules.iter_mut() {
        if let Some(Value::Array(ids)) = rule.get_mut("channel_ids") {
            ids.retain(|id| id.as_str() != Some(ch));
        }
    }
    Reply::no_content()
}

// ---- Rules ---------------------------------------------------------------------------------------------

/// The rule with its channels and check name joined in.
fn render_rule(st: &Store, rule: &Object) -> Value {
    let mut out = rule.clone();
    let channels: Vec<Value> = rule
        .get("channel_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().and_then(|id| find(&st.alert_channels, id)))
        .map(|c| Value::Object(c.clone()))
        .collect();
    out.insert("channels".into(), Value::Array(channels));
    let check_name = str_field(rule, "check_id").and_then(|c| find(&st.checks, c)).and_then(|c| c.get("name").cloned());
    out.insert("check_name".into(), check_name.unwrap_or(Value::Null));
    Value::Object(out)
}

/// The referenced check and channels must exist.
fn check_references(st: &Store, fields: &Object) -> Result<(), ApiError> {
    if let Some(c) = str_field(fields, "check_id") {
        if find(&st.checks, c).is_none() {
            return Err(ApiError::invalid_json_field("check_id", "Check not found."));
        }
    }
    for id in fields.get("channel_ids").and_then(Value::as_array).into_iter().flatten() {
        if id.as_str().and_then(|id| find(&st.alert_channels, id)).is_none() {
            return Err(ApiError::invalid_json_field(
                "channel_ids",
                &format!("Alert channel {} not found.", id.as_str().unwrap_or_default()),
            ));
        }
    }
    Ok(())
}

pub fn list_rules(st: &mut Store) -> ApiResult {
    Reply::ok(Value::Array(st.alert_rules.iter().map(|r| render_rule(st, r)).collect()))
}

pub fn create_rule(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &RULE, false)?;
    check_references(st, &fields)?;
    let mut rule = rule_defaults();
    rule.extend(fields);
    st.stamp_new(&mut rule);
    st.alert_rules.push(rule.clone());
    Reply::created(render_rule(st, &rule))
}

pub fn get_rule(st: &mut Store, r: &str) -> ApiResult {
    let rule = find(&st.alert_rules, r).ok_or_else(|| ApiError::not_found("Alert rule"))?;
    Reply::ok(render_rule(st, rule))
}

/// PUT with AlertRule1: omitted optional fields fall back to their defaults; the required ones are kept.
pub fn update_rule(st: &mut Store, r: &str, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &RULE, true)?;
    check_references(st, &fields)?;
    let rule = find_mut(&mut st.alert_rules, r).ok_or_else(|| ApiError::not_found("Alert rule"))?;
    schema::reset_to_defaults(rule, &rule_defaults(), RULE.required);
    merge(rule, fields);
    let snapshot = rule.clone();
    Reply::ok(render_rule(st, &snapshot))
}

pub fn delete_rule(st: &mut Store, r: &str) -> ApiResult {
    if !store::remove(&mut st.alert_rules, r) {
        return Err(ApiError::not_found("Alert rule"));
    }
    Reply::no_content()
}
