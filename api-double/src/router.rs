//! The `/v1` route table and the types every handler shares: the parsed request, the reply, the
//! flask-smorest error, and the query/paging helpers.
//!
//! Invariant: routing is synchronous and does no I/O; it runs under the store lock and returns a finished
//! reply, so no lock is ever held across an await.

use super::store::{parse_iso, Store};
use super::{alerts, checks, heartbeats, pages, secrets};
use serde_json::{json, Map, Value};
use std::net::SocketAddr;

/// An API request after the HTTP layer is done with it.
pub struct ApiRequest {
    pub method: String,
    /// The percent-decoded path segments after `/v1/`.
    pub segments: Vec<String>,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    pub body: Body,
    pub peer: Option<SocketAddr>,
    pub user_agent: Option<String>,
}

/// The request body as the handlers see it.
pub enum Body {
    Empty,
    Json(Value),
    /// Present but not JSON; handlers that read a body answer 400.
    Invalid,
}

impl ApiRequest {
    /// The JSON body; an empty body counts as `{}` so that required-field checks report what is missing.
    pub fn json(&self) -> Result<Value, ApiError> {
        match &self.body {
            Body::Empty => Ok(Value::Object(Map::new())),
            Body::Json(v) => Ok(v.clone()),
            Body::Invalid => Err(ApiError::new(400, "Invalid JSON body")),
        }
    }

    /// The first value of query parameter `key`.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// An optional integer parameter within `min..=max`.
    pub fn query_int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.query(key) else {
            return Ok(None);
        };
        let n: i64 = raw.parse().map_err(|_| ApiError::invalid_query(key, "Not a valid integer."))?;
        if n < min || n > max {
            let msg = format!("Must be greater than or equal to {min} and less than or equal to {max}.");
            return Err(ApiError::invalid_query(key, &msg));
        }
        Ok(Some(n))
    }

    /// An optional parameter out of a fixed set.
    pub fn query_enum(&self, key: &str, options: &[&str]) -> Result<Option<String>, ApiError> {
        match self.query(key) {
            None => Ok(None),
            Some(v) if options.contains(&v) => Ok(Some(v.to_string())),
            Some(_) => Err(ApiError::invalid_query(key, &format!("Must be one of: {}.", options.join(", ")))),
        }
    }

    /// An optional boolean parameter (`true`/`false`, as the SDK encodes them).
    pub fn query_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.query(key) {
            None => Ok(None),
            Some("true") | Some("1") => Ok(Some(true)),
            Some("false") | Some("0") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_query(key, "Not a valid boolean.")),
        }
    }

    /// An optional datetime parameter as Unix seconds.
    pub fn query_time(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.query(key) {
            None => Ok(None),
            Some(v) => parse_iso(v).map(Some).ok_or_else(|| ApiError::invalid_query(key, "Not a valid datetime.")),
        }
    }

    /// The `[start, end]` window from two datetime parameters (open ends when absent).
    pub fn window(&self, start_key: &str, end_key: &str) -> Result<(Option<i64>, Option<i64>), ApiError> {
        Ok((self.query_time(start_key)?, self.query_time(end_key)?))
    }

    /// `page` and the page-size parameter (`page_size` or `per_page`), defaulting to 1 and 20.
    pub fn paging(&self, size_key: &'static str) -> Result<Paging, ApiError> {
        let page = match self.query("page") {
            None => 1,
            Some(raw) => {
                let n: i64 = raw.parse().map_err(|_| ApiError::invalid_query("page", "Not a valid integer."))?;
                if n < 1 {
                    return Err(ApiError::invalid_query("page", "Must be greater than or equal to 1."));
                }
                n as usize
            }
        };
        let size = self.query_int(size_key, 1, 100)?.unwrap_or(20) as usize;
        Ok(Paging { page, size, size_key })
    }
}

/// A validated page request.
pub struct Paging {
    pub page: usize,
    pub size: usize,
    pub size_key: &'static str,
}

impl Paging {
    /// `{"<key>": [items of this page], "pagination": {...}}`. The pagination object always carries
    /// `page_size`; endpoints paged with `per_page` also echo it under that name.
    pub fn envelope(&self, key: &str, items: Vec<Value>) -> Value {
        let total = items.len();
        let total_pages = total.div_ceil(self.size);
        let start = (self.page - 1).saturating_mul(self.size);
        let page_items: Vec<Value> = items.into_iter().skip(start).take(self.size).collect();
        let mut pagination = json!({
            "page": self.page,
            "page_size": self.size,
            "total_items": total,
            "total_pages": total_pages,
            "has_next": self.page < total_pages,
            "has_prev": self.page > 1,
        });
        if self.size_key == "per_page" {
            pagination["per_page"] = json!(self.size);
        }
        json!({ key: page_items, "pagination": pagination })
    }
}

/// A successful answer.
pub struct Reply {
    pub status: u16,
    /// `None` for 204.
    pub body: Option<Value>,
}

impl Reply {
    pub fn ok(body: Value) -> ApiResult {
        Ok(Reply { status: 200, body: Some(body) })
    }
    pub fn created(body: Value) -> ApiResult {
        Ok(Reply { status: 201, body: Some(body) })
    }
    pub fn accepted(body: Value) -> ApiResult {
        Ok(Reply { status: 202, body: Some(body) })
    }
    pub fn no_content() -> ApiResult {
        Ok(Reply { status: 204, body: None })
    }
}

/// An error in flask-smorest's shape: `{"code", "status", "message", "errors"?}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub errors: Option<Value>,
    /// For 405: the methods the path does accept, sent as the `Allow` header.
    pub allow: Option<String>,
}

/// What every handler returns.
pub type ApiResult = Result<Reply, ApiError>;

impl ApiError {
    pub fn new(status: u16, message: &str) -> ApiError {
        ApiError { status, message: message.to_string(), errors: None, allow: None }
    }

    /// 404 for a resource kind, e.g. `not_found("Page")` → "Page not found".
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(404, &format!("{what} not found"))
    }

    /// 422 with `errors.<location>` = `errors`.
    pub fn unprocessable(location: &str, errors: Map<String, Value>) -> ApiError {
        ApiError {
            status: 422,
            message: "Validation failed".into(),
            errors: Some(json!({ location: errors })),
            allow: None,
        }
    }

    /// 422 for one body field.
    pub fn invalid_json_field(field: &str, message: &str) -> ApiError {
        let mut errors = Map::new();
        errors.insert(field.into(), json!([message]));
        ApiError::unprocessable("json", errors)
    }

    /// 422 for one query parameter.
    pub fn invalid_query(param: &str, message: &str) -> ApiError {
        let mut errors = Map::new();
        errors.insert(param.into(), json!([message]));
        ApiError::unprocessable("query", errors)
    }

    fn method_not_allowed(allowed: &[&str]) -> ApiError {
        ApiError {
            allow: Some(allowed.join(", ")),
            ..ApiError::new(405, "The method is not allowed for the requested URL.")
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Value {
        let mut body = json!({"code": self.status, "status": reason(self.status), "message": self.message});
        if let Some(errors) = &self.errors {
            body["errors"] = errors.clone();
        }
        body
    }
}

/// The reason phrase of a status code, as flask-smorest puts it in `status`.
pub fn reason(status: u16) -> &'static str {
    hyper::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Unknown")
}

/// Whether the request may go without `Authorization` (section 5.1: the heartbeat ping and the public page
/// lookups).
pub fn is_public(method: &str, segments: &[String]) -> bool {
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    matches!(
        (method, segs.as_slice()),
        ("GET" | "POST", ["heartbeats", _, "ping"])
            | ("GET", ["pages", "by-domain", _])
            | ("GET", ["pages", "get-templates"])
            | ("GET", ["component-statuses" | "incident-statuses" | "incident-impacts" | "maintenance-statuses"])
    )
}

/// Answers `method` with the handler listed for it, or 405 naming the methods the path accepts.
macro_rules! on {
    ($method:expr, { $($m:literal => $handler:expr),+ $(,)? }) => {
        match $method {
            $($m => $handler,)+
            _ => Err(ApiError::method_not_allowed(&[$($m),+])),
        }
    };
}

/// Dispatches an API request. Literal segments (`jobs`, `stats`, `unresolved`, …) are matched before the
/// `{id}` patterns they would otherwise fall into.
pub fn route(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let m = req.method.as_str();
    match segs.as_slice() {
        // Status pages, components and incidents.
        ["pages"] => on!(m, { "GET" => pages::list_pages(st, req), "POST" => pages::create_page(st, req) }),
        ["pages", "by-domain", domain] => on!(m, { "GET" => pages::page_by_domain(st, domain) }),
        ["pages", p] => on!(m, {
            "GET" => pages::get_page(st, p),
            "PUT" => pages::update_page(st, p, req, true),
            "PATCH" => pages::update_page(st, p, req, false),
            "DELETE" => pages::delete_page(st, p),
        }),
        ["pages", p, kind @ ("components" | "component-groups")] => {
            let groups = *kind == "component-groups";
            on!(m, {
                "GET" => pages::list_components(st, p, groups),
                "POST" => pages::create_component(st, p, req, groups),
            })
        }
        ["pages", p, kind @ ("components" | "component-groups"), c] => {
            let groups = *kind == "component-groups";
            on!(m, {
                "GET" => pages::get_component(st, p, c, groups),
                "PUT" => pages::update_component(st, p, c, req, groups, true),
                "PATCH" => pages::update_component(st, p, c, req, groups, false),
                "DELETE" => pages::delete_component(st, p, c, groups),
            })
        }
        ["pages", p, "components", c, "uptime"] => on!(m, { "GET" => pages::component_uptime(st, p, c) }),
        ["pages", p, "incidents"] => on!(m, {
            "GET" => pages::list_incidents(st, p, req, pages::IncidentFilter::All),
            "POST" => pages::create_incident(st, p, req),
        }),
        ["pages", p, "incidents", "unresolved"] => {
            on!(m, { "GET" => pages::list_incidents(st, p, req, pages::IncidentFilter::Unresolved) })
        }
        ["pages", p, "incidents", "maintenance"] => {
            on!(m, { "GET" => pages::list_incidents(st, p, req, pages::IncidentFilter::Maintenance) })
        }
        ["pages", p, "incidents", i] => on!(m, {
            "GET" => pages::get_incident(st, p, i),
            "PUT" => pages::update_incident(st, p, i, req, true),
            "PATCH" => pages::update_incident(st, p, i, req, false),
            "DELETE" => pages::delete_incident(st, p, i),
        }),
        ["pages", p, "incidents", i, "incident_updates"] => on!(m, {
            "GET" => pages::list_incident_updates(st, p, i),
            "POST" => pages::create_incident_update(st, p, i, req),
        }),
        ["pages", p, "incidents", i, "incident_updates", u] => on!(m, {
            "GET" => pages::get_incident_update(st, p, i, u),
            "PUT" => pages::edit_incident_update(st, p, i, u, req),
            "PATCH" => pages::edit_incident_update(st, p, i, u, req),
            "DELETE" => pages::delete_incident_update(st, p, i, u),
        }),

        // Checks, results, statistics and on-demand jobs.
        ["checks"] => on!(m, { "GET" => checks::list_checks(st, req), "POST" => checks::create_check(st, req) }),
        ["checks", "all-results"] => on!(m, { "GET" => checks::all_results(st, req) }),
        ["checks", "status-history"] => on!(m, { "GET" => checks::all_status_history(st, req) }),
        ["checks", "get-regions"] => on!(m, { "GET" => checks::regions(req) }),
        ["checks", "execute"] => on!(m, { "POST" => checks::execute_custom(st, req) }),
        ["checks", "jobs"] => on!(m, { "GET" => checks::list_jobs(st, req) }),
        ["checks", "jobs", j] => on!(m, { "GET" => checks::get_job(st, j) }),
        ["checks", c] => on!(m, {
            "GET" => checks::get_check(st, c, req),
            "PATCH" => checks::patch_check(st, c, req),
            "DELETE" => checks::delete_check(st, c),
        }),
        ["checks", c, "results"] => on!(m, { "GET" => checks::list_results(st, c, req) }),
        ["checks", c, "results", r] => on!(m, { "GET" => checks::get_result(st, c, r) }),
        ["checks", c, "status-history"] => on!(m, { "GET" => checks::status_history(st, c, req) }),
        ["checks", c, "uptime"] => on!(m, { "GET" => checks::uptime(st, c, req) }),
        ["checks", c, "response-times"] => on!(m, { "GET" => checks::response_times(st, c, req) }),
        ["checks", c, "execute"] => on!(m, { "POST" => checks::execute_existing(st, c) }),
        ["checks", c, "group"] => on!(m, { "PATCH" => checks::set_check_group(st, c, req) }),
        ["checks", c, "secrets"] => on!(m, {
            "GET" => secrets::list_check_secrets(st, c),
            "POST" => secrets::attach_secret(st, c, req),
            "PUT" => secrets::replace_check_secrets(st, c, req),
        }),
        ["checks", c, "secrets", s] => on!(m, { "DELETE" => secrets::detach_secret(st, c, s) }),
        ["check-groups"] => on!(m, { "GET" => checks::list_groups(st, req), "POST" => checks::create_group(st, req) }),
        ["check-groups", g] => on!(m, {
            "GET" => checks::get_group(st, g),
            "PATCH" => checks::patch_group(st, g, req),
            "DELETE" => checks::delete_group(st, g),
        }),
        ["check-groups", g, "checks"] => on!(m, { "GET" => checks::group_checks(st, g, req) }),

        // Secrets.
        ["secrets"] => on!(m, { "GET" => secrets::list_secrets(st, req), "POST" => secrets::create_secret(st, req) }),
        ["secrets", s] => on!(m, {
            "GET" => secrets::get_secret(st, s),
            "PATCH" => secrets::patch_secret(st, s, req),
            "DELETE" => secrets::delete_secret(st, s),
        }),

        // Alerts, rules and channels.
        ["alerts"] => on!(m, { "GET" => alerts::list_alerts(st, req) }),
        ["alerts", "stats"] => on!(m, { "GET" => alerts::stats(st) }),
        ["alerts", "channels"] => on!(m, { "GET" => alerts::list_channels(st), "POST" => alerts::create_channel(st, req) }),
        ["alerts", "channels", ch] => on!(m, {
            "GET" => alerts::get_channel(st, ch),
            "PUT" => alerts::update_channel(st, ch, req),
            "DELETE" => alerts::delete_channel(st, ch),
        }),
        ["alerts", "rules"] => on!(m, { "GET" => alerts::list_rules(st), "POST" => alerts::create_rule(st, req) }),
        ["alerts", "rules", r] => on!(m, {
            "GET" => alerts::get_rule(st, r),
            "PUT" => alerts::update_rule(st, r, req),
            "DELETE" => alerts::delete_rule(st, r),
        }),
        ["alerts", a] => on!(m, { "GET" => alerts::get_alert(st, a) }),
        ["alerts", a, action @ ("acknowledge" | "resolve")] => {
            on!(m, { "POST" => alerts::transition(st, a, action == &"resolve") })
        }
        ["alerts", a, "notifications"] => on!(m, { "GET" => alerts::notifications(st, a) }),

        // Heartbeats.
        ["heartbeats"] => on!(m, {
            "GET" => heartbeats::list_heartbeats(st, req),
            "POST" => heartbeats::create_heartbeat(st, req),
        }),
        ["heartbeats", h] => on!(m, {
            "GET" => heartbeats::get_heartbeat(st, h),
            "PUT" => heartbeats::update_heartbeat(st, h, req, true),
            "PATCH" => heartbeats::update_heartbeat(st, h, req, false),
            "DELETE" => heartbeats::delete_heartbeat(st, h),
        }),
        ["heartbeats", h, "ping"] => on!(m, { "GET" => heartbeats::ping(st, h, req), "POST" => heartbeats::ping(st, h, req) }),
        ["heartbeats", h, "pings"] => on!(m, { "GET" => heartbeats::list_pings(st, h, req) }),
        ["heartbeats", h, "pings-count"] => on!(m, { "GET" => heartbeats::pings_count(st, h, req) }),

        _ => Err(ApiError::new(
            404,
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
        )),
    }
}
