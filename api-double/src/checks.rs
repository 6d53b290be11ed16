//! Monitors: checks, their results and statistics, on-demand executions (jobs) and check groups.
//!
//! Invariant: a check's `status` is derived state: `paused` while inactive, otherwise its latest result's
//! status (`pending` before the first one); only this module writes it.

use super::router::{ApiError, ApiRequest, ApiResult, Reply};
use super::schema::{self, is_hex_color, Kind, Schema};
use super::secrets;
use super::store::{self, find, find_mut, format_unix, merge, now_iso, obj, parse_iso, str_field, Object, Store};
use serde_json::{json, Value};

pub const CHECK_TYPES: &[&str] = &["web", "api", "ssl", "tcp", "synthetic", "multistep", "icmp", "dns", "portscan"];
const CHECK_STATUSES: &[&str] = &["ok", "failed", "degraded", "timeout", "pending", "paused"];
const RESULT_STATUSES: &[&str] = &["ok", "failed", "degraded", "timeout", "pending"];
const JOB_STATUSES: &[&str] = &["pending", "running", "completed", "failed"];

const CHECK: Schema = Schema {
    fields: &[
        ("name", Kind::Str(1, 100)),
        ("type", Kind::Enum(CHECK_TYPES)),
        ("url", Kind::Str(0, 2048)),
        ("host", Kind::Str(0, 255)),
        ("port", Kind::Int(1, 65_535)),
        ("interval", Kind::Int(30, 86_400)),
        ("timeout", Kind::Int(1, 180)),
        ("active", Kind::Bool),
        ("parameters", Kind::Object),
        ("group_id", Kind::Str(1, 12)),
        ("position", Kind::Int(0, i64::MAX)),
        ("secrets", Kind::Any),
    ],
    required: &["name", "type"],
};

const CUSTOM_CHECK: Schema = Schema {
    fields: &[
        ("type", Kind::Enum(CHECK_TYPES)),
        ("name", Kind::Str(1, 100)),
        ("url", Kind::Str(0, 2048)),
        ("host", Kind::Str(0, 255)),
        ("port", Kind::Int(1, 65_535)),
        ("timeout", Kind::Int(1, 180)),
        ("parameters", Kind::Object),
    ],
    required: &["type", "name"],
};

const GROUP: Schema = Schema {
    fields: &[
        ("name", Kind::Str(1, 100)),
        ("description", Kind::Str(0, 500)),
        ("color", Kind::Pattern(is_hex_color, 7)),
        ("position", Kind::Int(0, i64::MAX)),
        ("active", Kind::Bool),
    ],
    required: &["name"],
};

// ---- Rendering -----------------------------------------------------------------------------------------

fn check_index(st: &Store, c: &str) -> Result<usize, ApiError> {
    st.checks.iter().position(|x| str_field(x, "id") == Some(c)).ok_or_else(|| ApiError::not_found("Check"))
}

fn render_group(st: &Store, group: &Object) -> Value {
    let mut out = group.clone();
    let id = str_field(group, "id");
    let count = st.checks.iter().filter(|c| str_field(c, "group_id") == id && id.is_some()).count();
    out.insert("checks_count".into(), json!(count));
    Value::Object(out)
}

/// The check with its group nested, and the uptime summary when asked for.
fn render_check(st: &Store, check: &Object, with_uptime: bool) -> Value {
    let mut out = check.clone();
    let group = str_field(check, "group_id").and_then(|g| find(&st.check_groups, g)).map(|g| render_group(st, g));
    out.insert("group".into(), group.unwrap_or(Value::Null));
    if with_uptime {
        let id = str_field(check, "id").unwrap_or_default();
        out.insert("uptime_summary".into(), uptime_summary(&results_of(st, id, (None, None))));
    }
    Value::Object(out)
}

/// The results of a check within a window, newest first.
fn results_of<'a>(st: &'a Store, c: &str, (start, end): (Option<i64>, Option<i64>)) -> Vec<&'a Object> {
    let mut list: Vec<&Object> = st
        .check_results
        .iter()
        .filter(|r| str_field(r, "check_id") == Some(c))
        .filter(|r| in_window(r, "created_at", start, end))
        .collect();
    list.sort_by(|a, b| str_field(b, "created_at").cmp(&str_field(a, "created_at")));
    list
}

/// Whether the datetime in `obj[key]` lies within `[start, end]`.
pub fn in_window(obj: &Object, key: &str, start: Option<i64>, end: Option<i64>) -> bool {
    let Some(t) = str_field(obj, key).and_then(parse_iso) else {
        return start.is_none() && end.is_none();
    };
    start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
}

fn uptime_summary(results: &[&Object]) -> Value {
    let total = results.len();
    let up = results.iter().filter(|r| matches!(str_field(r, "status"), Some("ok" | "degraded"))).count();
    let times: Vec<i64> = results.iter().filter_map(|r| r.get("response_time").and_then(Value::as_i64)).collect();
    let average = if times.is_empty() { Value::Null } else { json!(times.iter().sum::<i64>() / times.len() as i64) };
    let percentage = if total == 0 { 100.0 } else { (up as f64 * 10_000.0 / total as f64).round() / 100.0 };
    json!({
        "uptime_percentage": percentage,
        "total_checks": total,
        "successful_checks": up,
        "failed_checks": total - up,
        "average_response_time": average,
    })
}

/// The status a check shows: `paused` while inactive, else its newest result's status.
fn derived_status(st: &Store, check: &Object) -> Value {
    if check.get("active") == Some(&json!(false)) {
        return json!("paused");
    }
    let id = str_field(check, "id").unwrap_or_default();
    results_of(st, id, (None, None)).first().and_then(|r| r.get("status").cloned()).unwrap_or(json!("pending"))
}

// ---- Checks --------------------------------------------------------------------------------------------

pub fn list_checks(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let paging = req.paging("page_size")?;
    let kind = req.query_enum("type", CHECK_TYPES)?;
    let statuses: Option<Vec<&str>> = req.query("status").map(|s| s.split(',').map(str::trim).collect());
    if let Some(bad) = statuses.iter().flatten().find(|s| !CHECK_STATUSES.contains(s)) {
        let msg = format!("Invalid status '{bad}'. Must be one of: {}.", CHECK_STATUSES.join(", "));
        return Err(ApiError::invalid_query("status", &msg));
    }
    let group = req.query("group_id");
    let name = req.query("name").map(str::to_lowercase);
    let with_uptime = req.query_bool("include_uptime")?.unwrap_or(false);
    req.window("start_date", "end_date")?;
    let list = st
        .checks
        .iter()
        .filter(|c| kind.as_deref().is_none_or(|k| str_field(c, "type") == Some(k)))
        .filter(|c| statuses.as_ref().is_none_or(|l| l.iter().any(|s| str_field(c, "status") == Some(s))))
        .filter(|c| match group {
            None => true,
            Some("ungrouped") => str_field(c, "group_id").is_none(),
            Some(g) => str_field(c, "group_id") == Some(g),
        })
        .filter(|c| name.as_ref().is_none_or(|n| str_field(c, "name").is_some_and(|x| x.to_lowercase().contains(n))))
        .map(|c| render_check(st, c, with_uptime))
        .collect();
    Reply::ok(paging.envelope("checks", list))
}

/// The type-specific targets a check needs: web and api checks probe a URL, tcp checks a host and port.
fn check_target(check: &Object) -> Result<(), ApiError> {
    let has = |k: &str| check.get(k).is_some_and(|v| !v.is_null());
    match str_field(check, "type") {
        Some("web" | "api") if !has("url") => {
            Err(ApiError::invalid_json_field("url", "URL is required for this check type."))
        }
        Some("tcp") if !has("host") || !has("port") => {
            Err(ApiError::invalid_json_field("host", "Host and port are required for tcp checks."))
        }
        Some("ssl") if !has("url") && !has("host") => {
            Err(ApiError::invalid_json_field("host", "URL or host is required for ssl checks."))
        }
        _ => Ok(()),
    }
}

fn require_group(st: &Store, fields: &Object) -> Result<(), ApiError> {
    match fields.get("group_id").and_then(Value::as_str) {
        Some(g) if find(&st.check_groups, g).is_none() => {
            Err(ApiError::invalid_json_field("group_id", "Check group not found."))
        }
        _ => Ok(()),
    }
}

pub fn create_check(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let mut fields = schema::validate(&req.json()?, &CHECK, false)?;
    require_group(st, &fields)?;
    let secret_refs = match fields.remove("secrets") {
        Some(v) if !v.is_null() => Some(secrets::parse_refs(st, &v, "secrets")?),
        _ => None,
    };
    let mut check = schema::defaults(&[
        ("url", Value::Null),
        ("host", Value::Null),
        ("port", Value::Null),
        ("interval", json!(300)),
        ("timeout", json!(30)),
        ("active", json!(true)),
        ("parameters", json!({})),
        ("group_id", Value::Null),
        ("position", json!(st.checks.len())),
        ("last_checked_at", Value::Null),
    ]);
    check.extend(fields);
    check_target(&check)?;
    let id = st.stamp_new(&mut check);
    let status = derived_status(st, &check);
    check.insert("status".into(), status);
    st.checks.push(check.clone());
    if let Some(refs) = secret_refs {
        secrets::set_check_secrets(st, &id, refs);
    }
    Reply::created(render_check(st, &check, false))
}

pub fn get_check(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    let i = check_index(st, c)?;
    let with_uptime = req.query_bool("include_uptime")?.unwrap_or(false);
    Reply::ok(render_check(st, &st.checks[i], with_uptime))
}

/// PATCH is the only update (there is no PUT); `{"active": false}` pauses and `{"active": true}` resumes.
/// A `secrets` list replaces the check's secret attachments.
pub fn patch_check(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    let i = check_index(st, c)?;
    let mut fields = schema::validate(&req.json()?, &CHECK, true)?;
    require_group(st, &fields)?;
    let secret_refs = match fields.remove("secrets") {
        Some(Value::Null) => Some(Vec::new()),
        Some(v) => Some(secrets::parse_refs(st, &v, "secrets")?),
        None => None,
    };
    merge(&mut st.checks[i], fields);
    let status = derived_status(st, &st.checks[i]);
    st.checks[i].insert("status".into(), status);
    if let Some(refs) = secret_refs {
        secrets::set_check_secrets(st, c, refs);
    }
    Reply::ok(render_check(st, &st.checks[i], false))
}

/// Deletes a check with its results, secret attachments and alert rules.
pub fn delete_check(st: &mut Store, c: &str) -> ApiResult {
    let i = check_index(st, c)?;
    st.checks.remove(i);
    st.check_results.retain(|r| str_field(r, "check_id") != Some(c));
    st.check_secrets.retain(|r| str_field(r, "check_id") != Some(c));
    st.alert_rules.retain(|r| str_field(r, "check_id") != Some(c));
    Reply::no_content()
}

pub fn set_check_group(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    let i = check_index(st, c)?;
    let body = req.json()?;
    let group = match body.get("group_id") {
        Some(Value::Null) => Value::Null,
        Some(Value::String(g)) if find(&st.check_groups, g).is_some() => json!(g),
        Some(Value::String(_)) => return Err(ApiError::not_found("Check group")),
        Some(_) => return Err(ApiError::invalid_json_field("group_id", "Not a valid string.")),
        None => return Err(ApiError::invalid_json_field("group_id", "Missing data for required field.")),
    };
    merge(&mut st.checks[i], obj(json!({"group_id": group})));
    let message = if group.is_null() { "Check removed from group" } else { "Check moved to group" };
    Reply::ok(json!({"group_id": group, "check_id": c, "message": message}))
}

// ---- Results and statistics ----------------------------------------------------------------------------

pub fn list_results(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    check_index(st, c)?;
    let paging = req.paging("page_size")?;
    let window = req.window("start_date", "end_date")?;
    let failed_only = req.query_bool("failed_only")?.unwrap_or(false);
    let list = results_of(st, c, window)
        .into_iter()
        .filter(|r| !failed_only || str_field(r, "status") != Some("ok"))
        .map(|r| Value::Object(r.clone()))
        .collect();
    Reply::ok(paging.envelope("results", list))
}

pub fn get_result(st: &mut Store, c: &str, r: &str) -> ApiResult {
    check_index(st, c)?;
    st.check_results
        .iter()
        .find(|x| str_field(x, "id") == Some(r) && str_field(x, "check_id") == Some(c))
        .map(|x| Value::Object(x.clone()))
        .ok_or_else(|| ApiError::not_found("Check result"))
        .and_then(Reply::ok)
}

/// Runs of equal status, newest first: `{status, started_at, ended_at}` with `ended_at: null` for the
/// current run.
fn history(results: &[&Object]) -> Vec<Value> {
    let mut runs: Vec<Value> = Vec::new();
    for r in results.iter().rev() {
        let (status, at) = (r.get("status").cloned().unwrap_or(Value::Null), r.get("created_at").cloned());
        if runs.last().map(|last| last["status"] == status) != Some(true) {
            if let Some(last) = runs.last_mut() {
                last["ended_at"] = at.clone().unwrap_or(Value::Null);
            }
            runs.push(json!({"status": status, "started_at": at, "ended_at": null}));
        }
    }
    runs.reverse();
    runs
}

pub fn status_history(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    check_index(st, c)?;
    let paging = req.paging("page_size")?;
    Reply::ok(paging.envelope("status_history", history(&results_of(st, c, (None, None)))))
}

pub fn uptime(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    check_index(st, c)?;
    let (start, end) = req.window("start_time", "end_time")?;
    let mut out = uptime_summary(&results_of(st, c, (start, end)));
    out["check_id"] = json!(c);
    out["start_time"] = start.map(format_unix).map_or(Value::Null, Value::from);
    out["end_time"] = end.map(format_unix).map_or(Value::Null, Value::from);
    Reply::ok(out)
}

pub fn response_times(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    check_index(st, c)?;
    let window = req.window("start_date", "end_date")?;
    let status = req.query_enum("status", RESULT_STATUSES)?;
    req.query_bool("is_multi_region")?;
    let region = req.query("region");
    let points: Vec<Value> = results_of(st, c, window)
        .into_iter()
        .rev()
        .filter(|r| status.as_deref().is_none_or(|s| str_field(r, "status") == Some(s)))
        .filter(|r| region.is_none_or(|g| r["check_server"]["region"] == json!(g)))
        .map(|r| {
            json!({"timestamp": r["created_at"], "response_time": r["response_time"], "status": r["status"],
                   "region": r["check_server"]["region"]})
        })
        .collect();
    let times: Vec<i64> = points.iter().filter_map(|p| p["response_time"].as_i64()).collect();
    let summary = json!({
        "count": times.len(),
        "average": if times.is_empty() { Value::Null } else { json!(times.iter().sum::<i64>() / times.len() as i64) },
        "min": times.iter().min(),
        "max": times.iter().max(),
    });
    Reply::ok(json!({"check_id": c, "data": points, "summary": summary}))
}

/// A result in the cross-check `UnifiedResult` form.
fn unified(st: &Store, r: &Object) -> Value {
    let mut out = r.clone();
    let check = str_field(r, "check_id").and_then(|c| find(&st.checks, c));
    out.insert("check_name".into(), check.and_then(|c| c.get("name").cloned()).unwrap_or(Value::Null));
    out.insert("check_type".into(), check.and_then(|c| c.get("type").cloned()).unwrap_or(Value::Null));
    out.insert("region".into(), r["check_server"]["region"].clone());
    out.insert("result_type".into(), json!("regular"));
    out.insert("execution_group_id".into(), Value::Null);
    out.insert("execution_group".into(), Value::Null);
    Value::Object(out)
}

/// Results of all checks matching the common `all-results`/`status-history` filters, newest first.
fn filtered_results<'a>(st: &'a Store, req: &ApiRequest) -> Result<Vec<&'a Object>, ApiError> {
    let (start, end) = req.window("start_date", "end_date")?;
    let check = req.query("check_id");
    let status = req.query_enum("status", RESULT_STATUSES)?;
    let kind = req.query_enum("check_type", CHECK_TYPES)?;
    let result_type = req.query_enum("result_type", &["regular", "on_demand"])?;
    let region = req.query("region");
    let result_id = req.query("result_id");
    req.query_bool("is_multi_region")?;
    req.query_bool("has_alerts")?;
    let mut list: Vec<&Object> = st
        .check_results
        .iter()
        .filter(|r| in_window(r, "created_at", start, end))
        .filter(|r| check.is_none_or(|c| str_field(r, "check_id") == Some(c)))
        .filter(|r| status.as_deref().is_none_or(|s| str_field(r, "status") == Some(s)))
        .filter(|r| {
            kind.as_deref().is_none_or(|k| {
                str_field(r, "check_id").and_then(|c| find(&st.checks, c)).and_then(|c| str_field(c, "type")) == Some(k)
            })
        })
        .filter(|_| result_type.as_deref().is_none_or(|t| t == "regular"))
        .filter(|r| region.is_none_or(|g| r["check_server"]["region"] == json!(g)))
        .filter(|r| result_id.is_none_or(|id| str_field(r, "id") == Some(id)))
        .collect();
    list.sort_by(|a, b| str_field(b, "created_at").cmp(&str_field(a, "created_at")));
    Ok(list)
}

pub fn all_results(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let paging = req.paging("page_size")?;
    let list = filtered_results(st, req)?.into_iter().map(|r| unified(st, r)).collect();
    Reply::ok(paging.envelope("results", list))
}

/// Per-check uptime and status runs over the filtered results, plus a summary across them.
pub fn all_status_history(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let results = filtered_results(st, req)?;
    let mut per_check = Vec::new();
    for check in &st.checks {
        let id = str_field(check, "id");
        let mine: Vec<&Object> = results.iter().copied().filter(|r| str_field(r, "check_id") == id).collect();
        if mine.is_empty() && req.query("check_id").is_some() && req.query("check_id") != id {
            continue;
        }
        let mut entry = uptime_summary(&mine);
        entry["check_id"] = json!(id);
        entry["check_name"] = check.get("name").cloned().unwrap_or(Value::Null);
        entry["check_type"] = check.get("type").cloned().unwrap_or(Value::Null);
        entry["status"] = check.get("status").cloned().unwrap_or(Value::Null);
        entry["status_history"] = Value::Array(history(&mine));
        per_check.push(entry);
    }
    let (start, end) = req.window("start_date", "end_date")?;
    Reply::ok(json!({
        "checks": per_check,
        "summary": uptime_summary(&results),
        "start_date": start.map(format_unix),
        "end_date": end.map(format_unix),
    }))
}

pub fn regions(req: &ApiRequest) -> ApiResult {
    let kind = req.query_enum("check_type", CHECK_TYPES)?;
    let all = [
        ("ru-msk", "Moscow, Russia", CHECK_TYPES),
        ("ru-spb", "Saint Petersburg, Russia", CHECK_TYPES),
        ("de-fra", "Frankfurt, Germany", &["web", "api", "ssl", "tcp", "icmp", "dns"][..]),
    ];
    let list: Vec<Value> = all
        .iter()
        .filter(|(_, _, types)| kind.as_deref().is_none_or(|k| types.contains(&k)))
        .map(|(id, name, types)| json!({"id": id, "display_name": name, "aliases": [], "available_check_types": types}))
        .collect();
    Reply::ok(json!({"total_regions": list.len(), "regions": list}))
}

// ---- On-demand execution -------------------------------------------------------------------------------

/// Runs a check at once: the job is stored already `completed` with a plausible result, while the answer
/// says `queued` as the real API does.
fn run_job(st: &mut Store, check_id: Value, job_type: &str, params: Value) -> ApiResult {
    let now = now_iso();
    let kind = params["type"].as_str().unwrap_or("web");
    let mut result = json!({"status": "ok", "response_time": 187, "region": "ru-msk", "checked_at": now});
    if matches!(kind, "web" | "api") {
        result["status_code"] = json!(200);
    }
    let mut job = obj(json!({
        "check_id": check_id,
        "job_type": job_type,
        "status": "completed",
        "check_parameters": params,
        "result": result,
        "error_message": null,
        "started_at": now,
        "completed_at": now,
    }));
    let id = st.stamp_new(&mut job);
    job.remove("updated_at");
    st.check_jobs.push(job);
    Reply::accepted(json!({"job_id": id, "status": "queued", "message": "Check execution has been queued"}))
}

pub fn execute_existing(st: &mut Store, c: &str) -> ApiResult {
    let i = check_index(st, c)?;
    let check = &st.checks[i];
    let params: Object = ["name", "type", "url", "host", "port", "timeout", "parameters"]
        .iter()
        .filter_map(|k| check.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    run_job(st, json!(c), "existing_check", Value::Object(params))
}

pub fn execute_custom(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &CUSTOM_CHECK, false)?;
    run_job(st, Value::Null, "custom_check", Value::Object(fields))
}

pub fn list_jobs(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let paging = req.paging("per_page")?;
    let status = req.query_enum("status", JOB_STATUSES)?;
    let list = st
        .check_jobs
        .iter()
        .rev()
        .filter(|j| status.as_deref().is_none_or(|s| str_field(j, "status") == Some(s)))
        .cloned()
        .map(Value::Object)
        .collect();
    Reply::ok(paging.envelope("jobs", list))
}

pub fn get_job(st: &mut Store, j: &str) -> ApiResult {
    find(&st.check_jobs, j)
        .map(|x| Value::Object(x.clone()))
        .ok_or_else(|| ApiError::not_found("Job"))
        .and_then(Reply::ok)
}

// ---- Check groups --------------------------------------------------------------------------------------

pub fn list_groups(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let paging = req.paging("page_size")?;
    let list = st.check_groups.iter().map(|g| render_group(st, g)).collect();
    Reply::ok(paging.envelope("groups", list))
}

pub fn create_group(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &GROUP, false)?;
    let mut group = schema::defaults(&[
        ("description", Value::Null),
        ("color", json!("#3b82f6")),
        ("position", json!(st.check_groups.len())),
        ("active", json!(true)),
    ]);
    group.extend(fields);
    st.stamp_new(&mut group);
    st.check_groups.push(group.clone());
    Reply::created(render_group(st, &group))
}

pub fn get_group(st: &mut Store, g: &str) -> ApiResult {
    let group = find(&st.check_groups, g).ok_or_else(|| ApiError::not_found("Check group"))?;
    Reply::ok(render_group(st, group))
}

pub fn patch_group(st: &mut Store, g: &str, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &GROUP, true)?;
    let group = find_mut(&mut st.check_groups, g).ok_or_else(|| ApiError::not_found("Check group"))?;
    merge(group, fields);
    let snapshot = group.clone();
    Reply::ok(render_group(st, &snapshot))
}

/// Deletes a group; its checks stay, ungrouped.
pub fn delete_group(st: &mut Store, g: &str) -> ApiResult {
    if !store::remove(&mut st.check_groups, g) {
        return Err(ApiError::not_found("Check group"));
    }
    for check in st.checks.iter_mut().filter(|c| str_field(c, "group_id") == Some(g)) {
        check.insert("group_id".into(), Value::Null);
    }
    Reply::no_content()
}

pub fn group_checks(st: &mut Store, g: &str, req: &ApiRequest) -> ApiResult {
    find(&st.check_groups, g).ok_or_else(|| ApiError::not_found("Check group"))?;
    let paging = req.paging("page_size")?;
    let list =
        st.checks.iter().filter(|c| str_field(c, "group_id") == Some(g)).map(|c| render_check(st, c, false)).collect();
    Reply::ok(paging.envelope("checks", list))
}
