//! Tools that are more than one plain API request: several requests, or one request whose reply the tool has to
//! page, filter or pick from because the API cannot.
//!
//! Invariant: each function here validates nothing itself (the table's parameters were already checked) and
//! talks to the API only through [`ToolCtx::send`], so it inherits the call's credential, retries and cancellation;
//! redaction of secret values and the output-schema check happen after it, in [`super::ToolSpec::call`]. Data from
//! the API is never unwrapped: a reply of an unexpected shape is passed on or reported, never a panic.

use serde_json::{json, Map, Value};

use super::{present, request_path, ToolCtx, ToolError};
use crate::pingera::Credential;
use crate::pingera::Method;

/// The page size the API uses when none is given, applied to lists the tool pages itself.
const DEFAULT_PAGE_SIZE: usize = 20;

/// `test_pingera_connection`: one authenticated request; success only when the API accepted the credential.
///
/// Unlike the reference implementation, which answers `success: true` even when authentication fails and calls the
/// API twice, a refused credential or an unreachable API is an `isError` result that says what to fix.
pub fn test_connection(ctx: &ToolCtx<'_>, _args: &Map<String, Value>) -> Result<Value, ToolError> {
    let reply = ctx.send(Method::Get, "/v1/pages?page=1&page_size=1".to_owned(), None)?;
    let authentication = match ctx.credential {
        Some(Credential::Jwt(_)) => "JWT (Bearer)",
        Some(Credential::ApiKey(_)) => "API key",
        None => "none",
    };
    let pages = reply.pointer("/pagination/total_items").cloned().unwrap_or(Value::Null);
    Ok(json!({
        "connected": true,
        "base_url": ctx.api.shown_url(),
        "api_version": "v1",
        "authentication": authentication,
        "status_pages": pages,
        "message": "The Pingera API accepted the credential.",
    }))
}

/// The slice of `items` that `page` and `page_size` select, when either is given; all items otherwise.
fn local_page(items: Vec<Value>, args: &Map<String, Value>) -> Vec<Value> {
    let page = present(args, "page").and_then(Value::as_u64);
    let size = present(args, "page_size").and_then(Value::as_u64);
    if page.is_none() && size.is_none() {
        return items;
    }
    let page = usize::try_from(page.unwrap_or(1).max(1)).unwrap_or(usize::MAX);
    let size = size.and_then(|s| usize::try_from(s).ok()).unwrap_or(DEFAULT_PAGE_SIZE).max(1);
    items.into_iter().skip((page - 1).saturating_mul(size)).take(size).collect()
}

/// `list_components`: `GET /v1/pages/{page_id}/components`. The API returns every component at once (it has no
/// paging here), so `page`/`page_size` select a slice of the reply.
pub fn list_components(ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Value, ToolError> {
    let reply = ctx.send(Method::Get, request_path("/v1/pages/{page_id}/components", &[], args), None)?;
    Ok(match reply {
        Value::Array(items) => Value::Array(local_page(items, args)),
        other => other,
    })
}

/// `list_incidents`: `GET /v1/pages/{page_id}/incidents`. The API neither pages nor filters this list by status,
/// so `status`, then `page`/`page_size`, are applied to the reply.
pub fn list_incidents(ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Value, ToolError> {
    let reply = ctx.send(Method::Get, request_path("/v1/pages/{page_id}/incidents", &[], args), None)?;
    let Value::Array(items) = reply else {
        return Ok(reply);
    };
    let items = match present(args, "status") {
        Some(status) => items.into_iter().filter(|i| i.get("status") == Some(status)).collect(),
        None => items,
    };
    Ok(Value::Array(local_page(items, args)))
}

/// `get_incident_update_details`: the API has no route for one incident update, so this lists the incident's
/// updates and picks the one asked for.
pub fn incident_update_details(ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Value, ToolError> {
    let path = request_path("/v1/pages/{page_id}/incidents/{incident_id}/incident_updates", &[], args);
    let reply = ctx.send(Method::Get, path, None)?;
    let wanted = present(args, "update_id");
    let found = reply.as_array().and_then(|list| list.iter().find(|u| u.get("id") == wanted));
    match found {
        Some(update) => Ok(update.clone()),
        None => Err(ToolError::Failed(format!(
            "incident update {} not found in incident {} of page {}; get_incident_updates lists its updates",
            text(args, "update_id"),
            text(args, "incident_id"),
            text(args, "page_id"),
        ))),
    }
}

/// `get_check_statistics`: `GET /v1/checks/{id}/uptime` (uptime percentage, counts, average response time over
/// the window) and `GET /v1/checks/{id}/status-history` (the latest runs of equal status), in one answer.
pub fn check_statistics(ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Value, ToolError> {
    let uptime_path =
        request_path("/v1/checks/{check_id}/uptime", &[("from_date", "start_time"), ("to_date", "end_time")], args);
    let uptime = ctx.send(Method::Get, uptime_path, None)?;
    let history_path = request_path("/v1/checks/{check_id}/status-history?page=1&page_size=100", &[], args);
    let history = ctx.send(Method::Get, history_path, None)?;
    let status_history = match history {
        Value::Object(mut envelope) if envelope.get("status_history").is_some_and(Value::is_array) => {
            envelope.remove("status_history").unwrap_or(Value::Null)
        }
        other => other,
    };
    Ok(json!({
        "check_id": present(args, "check_id"),
        "uptime": uptime,
        "status_history": status_history,
    }))
}

/// The distinct ids of the `check_ids` argument, in the order given.
fn check_ids(args: &Map<String, Value>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in present(args, "check_ids").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

/// The arguments with `check_id` set to one id (or left out), for the query of a cross-check endpoint.
fn with_check_id(args: &Map<String, Value>, id: Option<&str>) -> Map<String, Value> {
    let mut out = args.clone();
    out.remove("check_ids");
    if let Some(id) = id {
        out.insert("check_id".into(), Value::from(id));
    }
    out
}

const UNIFIED_RESULTS_QUERY: &[(&str, &str)] = &[
    ("check_id", "check_id"),
    ("status", "status"),
    ("from_date", "start_date"),
    ("to_date", "end_date"),
    ("page", "page"),
    ("page_size", "page_size"),
];

/// `get_unified_results`: `GET /v1/checks/all-results`, which filters by one `check_id`. With no id or one id this
/// is one request and the API's reply; with several ids it is one request per check (same filters and paging),
/// merged newest first, with each check's pagination under `pagination.per_check`.
pub fn unified_results(ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Value, ToolError> {
    let ids = check_ids(args);
    if ids.len() <= 1 {
        let path = request_path(
            "/v1/checks/all-results",
            UNIFIED_RESULTS_QUERY,
            &with_check_id(args, ids.first().map(String::as_str)),
        );
        return Ok(ctx.send(Method::Get, path, None)?);
    }
    let mut results = Vec::new();
    let mut per_check = Map::new();
    for id in &ids {
        let path = request_path("/v1/checks/all-results", UNIFIED_RESULTS_QUERY, &with_check_id(args, Some(id)));
        let reply = ctx.send(Method::Get, path, None)?;
        let Value::Object(mut envelope) = reply else {
            return Err(unexpected("get_unified_results", "an object with a results list"));
        };
        match envelope.remove("results") {
            Some(Value::Array(items)) => results.extend(items),
            _ => return Err(unexpected("get_unified_results", "an object with a results list")),
        }
        per_check.insert(id.clone(), envelope.remove("pagination").unwrap_or(Value::Null));
    }
    // ISO 8601 timestamps in one format order as text; results without one go last.
    results.sort_by(|a, b| {
        let at = |v: &Value| v.get("created_at").and_then(Value::as_str).map(str::to_owned);
        at(b).cmp(&at(a))
    });
    Ok(json!({"results": results, "pagination": {"per_check": per_check}}))
}

/// `get_unified_statistics`: `GET /v1/checks/status-history` (uptime and status runs per check over a window),
/// which filters by one `check_id`. With no id or one id this is the API's reply; with several ids it is one request
/// per check, answered as `{"by_check": {check_id: reply}}`.
pub fn unified_statistics(ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Value, ToolError> {
    const QUERY: &[(&str, &str)] = &[("check_id", "check_id"), ("from_date", "start_date"), ("to_date", "end_date")];
    let ids = check_ids(args);
    if ids.len() <= 1 {
        let path =
            request_path("/v1/checks/status-history", QUERY, &with_check_id(args, ids.first().map(String::as_str)));
        return Ok(ctx.send(Method::Get, path, None)?);
    }
    let mut by_check = Map::new();
    for id in &ids {
        let path = request_path("/v1/checks/status-history", QUERY, &with_check_id(args, Some(id)));
        by_check.insert(id.clone(), ctx.send(Method::Get, path, None)?);
    }
    Ok(json!({ "by_check": by_check }))
}

fn unexpected(tool: &str, expected: &str) -> ToolError {
    ToolError::Failed(format!("unexpected reply from the Pingera API for {tool}: expected {expected}"))
}

/// A string argument as text (empty when absent).
fn text<'a>(args: &'a Map<String, Value>, name: &str) -> &'a str {
    present(args, name).and_then(Value::as_str).unwrap_or_default()
}
