//! Status pages, their components (and component groups) and incidents with their updates.
//!
//! Invariant: a component, incident or update is only ever reached through its own page (and incident), so a
//! valid id under the wrong parent answers 404 like the real API.

use super::router::{ApiError, ApiRequest, ApiResult, Reply};
use super::schema::{self, is_subdomain, is_time_zone, reset_to_defaults, Kind, Schema};
use super::store::{self, find, find_mut, merge, now_iso, obj, str_field, Object, Store};
use super::SEED_ORG_ID;
use serde_json::{json, Value};

const NO_MAX: usize = usize::MAX;

const PAGE: Schema = Schema {
    fields: &[
        ("name", Kind::Str(1, 100)),
        ("subdomain", Kind::Pattern(is_subdomain, 100)),
        ("domain", Kind::Str(0, 100)),
        ("url", Kind::Str(0, 200)),
        ("language", Kind::Enum(&["ru", "en"])),
        ("headline", Kind::Str(0, 200)),
        ("page_description", Kind::Str(0, NO_MAX)),
        ("time_zone", Kind::Pattern(is_time_zone, 64)),
        ("country", Kind::Str(0, 100)),
        ("city", Kind::Str(0, 100)),
        ("state", Kind::Str(0, 100)),
        ("support_url", Kind::Str(0, 200)),
        ("viewers_must_be_team_members", Kind::Bool),
        ("hidden_from_search", Kind::Bool),
        ("password_protected", Kind::Bool),
        ("allow_page_subscribers", Kind::Bool),
        ("allow_incident_subscribers", Kind::Bool),
        ("allow_email_subscribers", Kind::Bool),
        ("allow_sms_subscribers", Kind::Bool),
        ("allow_webhook_subscribers", Kind::Bool),
        ("allow_rss_atom_feeds", Kind::Bool),
        ("template", Kind::Any),
        ("template_id", Kind::Str(0, 12)),
        ("company_logo", Kind::Str(0, 200)),
        ("favicon_logo", Kind::Str(0, 200)),
        ("hero_cover", Kind::Str(0, 200)),
        ("email_logo", Kind::Str(0, 200)),
        ("transactional_logo", Kind::Str(0, 200)),
        ("notifications_from_email", Kind::Str(0, 100)),
        ("notifications_email_footer", Kind::Str(0, 200)),
        ("ip_restrictions", Kind::Str(0, 200)),
        ("google_analytics_id", Kind::Str(0, 50)),
        ("yandex_metrica_id", Kind::Str(0, 50)),
        ("css_greens", Kind::Str(0, 50)),
        ("css_yellows", Kind::Str(0, 50)),
        ("css_oranges", Kind::Str(0, 50)),
        ("css_reds", Kind::Str(0, 50)),
        ("css_blues", Kind::Str(0, 50)),
        ("css_body_background_color", Kind::Str(0, 50)),
        ("css_font_color", Kind::Str(0, 50)),
        ("css_light_font_color", Kind::Str(0, 50)),
        ("css_graph_color", Kind::Str(0, 50)),
        ("css_link_color", Kind::Str(0, 50)),
        ("css_border_color", Kind::Str(0, 50)),
        ("css_no_data", Kind::Str(0, 50)),
        ("css_button_color", Kind::Str(0, 50)),
        ("css_button_text_color", Kind::Str(0, 50)),
        ("css_button_border_color", Kind::Str(0, 50)),
        ("css_button_hover_color", Kind::Str(0, 50)),
        ("css_spinner_color", Kind::Str(0, 50)),
    ],
    required: &["name"],
};

pub const COMPONENT_STATUSES: &[&str] =
    &["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"];

const COMPONENT: Schema = Schema {
    fields: &[
        ("name", Kind::Str(1, 100)),
        ("description", Kind::Str(0, NO_MAX)),
        ("status", Kind::Enum(COMPONENT_STATUSES)),
        ("group", Kind::Bool),
        ("group_id", Kind::Str(1, 12)),
        ("position", Kind::Int(0, i64::MAX)),
        ("showcase", Kind::Bool),
        ("only_show_if_degraded", Kind::Bool),
        ("start_date", Kind::DateTime),
    ],
    required: &["name"],
};

const INCIDENT_STATUSES: &[&str] =
    &["investigating", "identified", "monitoring", "resolved", "scheduled", "in_progress", "verifying", "completed"];
const UPDATE_STATUSES: &[&str] = &["investigating", "identified", "monitoring", "resolved"];

/// IncidentCreate; the edit model (PUT/PATCH) is the same without `metadata` and with nothing required.
const INCIDENT_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Str(1, 200)),
    ("status", Kind::Enum(INCIDENT_STATUSES)),
    ("impact", Kind::Enum(&["none", "minor", "major", "critical", "maintenance"])),
    ("body", Kind::Str(0, NO_MAX)),
    ("deliver_notifications", Kind::Bool),
    ("components", Kind::Object),
    ("auto_transition_to_maintenance_state", Kind::Bool),
    ("auto_transition_to_operational_state", Kind::Bool),
    ("auto_transition_deliver_notifications_at_start", Kind::Bool),
    ("auto_transition_deliver_notifications_at_end", Kind::Bool),
    ("scheduled_for", Kind::DateTime),
    ("scheduled_until", Kind::DateTime),
    ("scheduled_remind_prior", Kind::Bool),
    ("scheduled_auto_in_progress", Kind::Bool),
    ("scheduled_auto_completed", Kind::Bool),
    ("reminder_intervals", Kind::Str(0, NO_MAX)),
    ("metadata", Kind::Object),
];
const INCIDENT_CREATE: Schema = Schema { fields: INCIDENT_FIELDS, required: &["name", "status"] };
const INCIDENT_EDIT: Schema = Schema { fields: INCIDENT_FIELDS.split_at(INCIDENT_FIELDS.len() - 1).0, required: &[] };

const UPDATE_CREATE: Schema = Schema {
    fields: &[
        ("status", Kind::Enum(UPDATE_STATUSES)),
        ("body", Kind::Str(0, NO_MAX)),
        ("deliver_notifications", Kind::Bool),
        ("components", Kind::Object),
    ],
    required: &["status"],
};
const UPDATE_EDIT: Schema =
    Schema { fields: &[("body", Kind::Str(0, NO_MAX)), ("created_at", Kind::DateTime)], required: &[] };

/// Defaults of a new page's writable fields (everything not listed is `null`).
pub fn page_defaults() -> Object {
    let mut d: Object = PAGE
        .fields
        .iter()
        .map(|(k, kind)| {
            let v = if matches!(kind, Kind::Bool) { json!(false) } else { Value::Null };
            (k.to_string(), v)
        })
        .collect();
    d.insert("language".into(), json!("en"));
    d.insert("time_zone".into(), json!("UTC"));
    for key in
        ["allow_page_subscribers", "allow_incident_subscribers", "allow_email_subscribers", "allow_rss_atom_feeds"]
    {
        d.insert(key.into(), json!(true));
    }
    d
}

fn component_defaults() -> Object {
    schema::defaults(&[
        ("description", Value::Null),
        ("status", json!("operational")),
        ("group", json!(false)),
        ("group_id", Value::Null),
        ("position", json!(0)),
        ("showcase", json!(true)),
        ("only_show_if_degraded", json!(false)),
        ("start_date", Value::Null),
    ])
}

fn incident_defaults() -> Object {
    let mut d: Object = INCIDENT_FIELDS.iter().map(|(k, _)| (k.to_string(), Value::Null)).collect();
    d.insert("impact".into(), json!("none"));
    d.insert("deliver_notifications".into(), json!(true));
    d.insert("components".into(), json!([]));
    d.insert("metadata".into(), json!({}));
    d
}

// ---- Pages ---------------------------------------------------------------------------------------------

pub fn list_pages(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let paging = req.paging("page_size")?;
    Reply::ok(paging.envelope("pages", st.pages.iter().cloned().map(Value::Object).collect()))
}

/// Creates a page; the real API answers 200 here, not 201.
pub fn create_page(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &PAGE, false)?;
    let mut page = page_defaults();
    page.extend(fields);
    page.insert("organization_id".into(), json!(SEED_ORG_ID));
    page.insert("activity_score".into(), json!(0));
    st.stamp_new(&mut page);
    st.pages.push(page.clone());
    Reply::ok(Value::Object(page))
}

pub fn get_page(st: &mut Store, p: &str) -> ApiResult {
    find(&st.pages, p)
        .map(|page| Value::Object(page.clone()))
        .ok_or_else(|| ApiError::not_found("Page"))
        .and_then(Reply::ok)
}

pub fn page_by_domain(st: &mut Store, domain: &str) -> ApiResult {
    st.pages
        .iter()
        .find(|page| str_field(page, "domain") == Some(domain) || str_field(page, "subdomain") == Some(domain))
        .map(|page| Value::Object(page.clone()))
        .ok_or_else(|| ApiError::not_found("Page"))
        .and_then(Reply::ok)
}

/// PATCH merges the given fields; PUT (`replace`) resets the omitted writable fields to their defaults but
/// keeps `name`, which a page cannot lose.
pub fn update_page(st: &mut Store, p: &str, req: &ApiRequest, replace: bool) -> ApiResult {
    let fields = schema::validate(&req.json()?, &PAGE, true)?;
    let page = find_mut(&mut st.pages, p).ok_or_else(|| ApiError::not_found("Page"))?;
    if replace {
        reset_to_defaults(page, &page_defaults(), PAGE.required);
    }
    merge(page, fields);
    Reply::ok(Value::Object(page.clone()))
}

/// Deletes a page with everything that hangs off it.
pub fn delete_page(st: &mut Store, p: &str) -> ApiResult {
    if !store::remove(&mut st.pages, p) {
        return Err(ApiError::not_found("Page"));
    }
    st.components.retain(|c| str_field(c, "page_id") != Some(p));
    let incidents: Vec<String> = st
        .incidents
        .iter()
        .filter(|i| str_field(i, "page_id") == Some(p))
        .filter_map(|i| str_field(i, "id").map(String::from))
        .collect();
    st.incidents.retain(|i| str_field(i, "page_id") != Some(p));
    st.incident_updates.retain(|u| !str_field(u, "incident_id").is_some_and(|i| incidents.iter().any(|x| x == i)));
    Reply::no_content()
}

// ---- Components ----------------------------------------------------------------------------------------

fn require_page(st: &Store, p: &str) -> Result<(), ApiError> {
    find(&st.pages, p).map(|_| ()).ok_or_else(|| ApiError::not_found("Page"))
}

fn component_label(groups: bool) -> &'static str {
    if groups {
        "Component group"
    } else {
        "Component"
    }
}

/// The index of component `c` of page `p`; on the `component-groups` routes it must also be a group.
fn component_index(st: &Store, p: &str, c: &str, groups: bool) -> Result<usize, ApiError> {
    require_page(st, p)?;
    st.components
        .iter()
        .position(|x| {
            str_field(x, "id") == Some(c)
                && str_field(x, "page_id") == Some(p)
                && (!groups || x.get("group") == Some(&json!(true)))
        })
        .ok_or_else(|| ApiError::not_found(component_label(groups)))
}

/// A `group_id` must name a group component of the same page (and not the component itself).
fn check_group_id(st: &Store, p: &str, fields: &Object, own_id: Option<&str>) -> Result<(), ApiError> {
    let Some(gid) = fields.get("group_id").and_then(Value::as_str) else {
        return Ok(());
    };
    let ok = st.components.iter().any(|x| {
        str_field(x, "id") == Some(gid) && str_field(x, "page_id") == Some(p) && x.get("group") == Some(&json!(true))
    });
    if !ok || own_id == Some(gid) {
        return Err(ApiError::invalid_json_field("group_id", "Component group not found."));
    }
    Ok(())
}

pub fn list_components(st: &mut Store, p: &str, groups: bool) -> ApiResult {
    require_page(st, p)?;
    let list: Vec<Value> = st
        .components
        .iter()
        .filter(|c| str_field(c, "page_id") == Some(p) && (!groups || c.get("group") == Some(&json!(true))))
        .cloned()
        .map(Value::Object)
        .collect();
    Reply::ok(Value::Array(list))
}

pub fn create_component(st: &mut Store, p: &str, req: &ApiRequest, groups: bool) -> ApiResult {
    require_page(st, p)?;
    let mut fields = schema::validate(&req.json()?, &COMPONENT, false)?;
    if groups {
        fields.insert("group".into(), json!(true));
    }
    check_group_id(st, p, &fields, None)?;
    let mut component = component_defaults();
    let siblings = st.components.iter().filter(|c| str_field(c, "page_id") == Some(p)).count();
    component.insert("position".into(), json!(siblings));
    component.extend(fields);
    component.insert("page_id".into(), json!(p));
    st.stamp_new(&mut component);
    st.components.push(component.clone());
    Reply::created(Value::Object(component))
}

pub fn get_component(st: &mut Store, p: &str, c: &str, groups: bool) -> ApiResult {
    let i = component_index(st, p, c, groups)?;
    Reply::ok(Value::Object(st.components[i].clone()))
}

pub fn update_component(st: &mut Store, p: &str, c: &str, req: &ApiRequest, groups: bool, replace: bool) -> ApiResult {
    let i = component_index(st, p, c, groups)?;
    let fields = schema::validate(&req.json()?, &COMPONENT, true)?;
    check_group_id(st, p, &fields, Some(c))?;
    let component = &mut st.components[i];
    if replace {
        let keep_group = component.get("group").cloned();
        reset_to_defaults(component, &component_defaults(), COMPONENT.required);
        // A PUT on the group routes must not demote the group it addresses.
        if groups {
            component.insert("group".into(), keep_group.unwrap_or(json!(true)));
        }
    }
    merge(component, fields);
    Reply::ok(Value::Object(component.clone()))
}

/// Deletes a component; members of a deleted group become top-level and incidents forget it.
pub fn delete_component(st: &mut Store, p: &str, c: &str, groups: bool) -> ApiResult {
    let i = component_index(st, p, c, groups)?;
    st.components.remove(i);
    for other in st.components.iter_mut().filter(|x| str_field(x, "group_id") == Some(c)) {
        other.insert("group_id".into(), Value::Null);
    }
    for incident in st.incidents.iter_mut() {
        if let Some(Value::Array(list)) = incident.get_mut("components") {
            list.retain(|x| x.get("id").and_then(Value::as_str) != Some(c));
        }
    }
    Reply::no_content()
}

pub fn component_uptime(st: &mut Store, p: &str, c: &str) -> ApiResult {
    let i = component_index(st, p, c, false)?;
    let degraded = str_field(&st.components[i], "status") != Some("operational");
    Reply::ok(json!({
        "component_id": c,
        "uptime_percentage": if degraded { 99.5 } else { 100.0 },
        "range_start": store::format_unix(store::now_unix() - 90 * 86_400),
        "range_end": now_iso(),
    }))
}

// ---- Incidents -----------------------------------------------------------------------------------------

/// Which incidents a list route returns.
pub enum IncidentFilter {
    All,
    Unresolved,
    Maintenance,
}

fn incident_index(st: &Store, p: &str, i: &str) -> Result<usize, ApiError> {
    require_page(st, p)?;
    st.incidents
        .iter()
        .position(|x| str_field(x, "id") == Some(i) && str_field(x, "page_id") == Some(p))
        .ok_or_else(|| ApiError::not_found("Incident"))
}

/// The incident with its updates (newest first) joined in.
fn render_incident(st: &Store, incident: &Object) -> Value {
    let mut out = incident.clone();
    let id = str_field(incident, "id").unwrap_or_default();
    out.insert("incident_updates".into(), Value::Array(updates_of(st, id)));
    Value::Object(out)
}

fn updates_of(st: &Store, incident_id: &str) -> Vec<Value> {
    let mut list: Vec<Value> = st
        .incident_updates
        .iter()
        .filter(|u| str_field(u, "incident_id") == Some(incident_id))
        .cloned()
        .map(Value::Object)
        .collect();
    // Newest first; the stable sort keeps insertion order for equal timestamps, so reverse it first.
    list.reverse();
    list.sort_by(|a, b| b["created_at"].as_str().cmp(&a["created_at"].as_str()));
    list
}

/// Turns the write form `{component_id: status}` into the read form `[{id, name, status}]`, checking that
/// every component belongs to the page, and applies the statuses to the components themselves.
fn apply_incident_components(st: &mut Store, p: &str, given: &Value) -> Result<Value, ApiError> {
    let Some(map) = given.as_object() else {
        return Ok(json!([]));
    };
    let mut out = Vec::new();
    for (cid, status) in map {
        let valid_status = status.as_str().filter(|s| COMPONENT_STATUSES.contains(s));
        let component = st
            .components
            .iter_mut()
            .find(|c| str_field(c, "id") == Some(cid.as_str()) && str_field(c, "page_id") == Some(p));
        match (component, valid_status) {
            (Some(component), Some(status)) => {
                component.insert("status".into(), json!(status));
                out.push(json!({"id": cid, "name": component.get("name"), "status": status}));
            }
            (None, _) => {
                return Err(ApiError::invalid_json_field("components", &format!("Component {cid} not found.")))
            }
            (_, None) => {
                let msg = format!("Must be one of: {}.", COMPONENT_STATUSES.join(", "));
                return Err(ApiError::invalid_json_field("components", &msg));
            }
        }
    }
    Ok(Value::Array(out))
}

/// Sets `monitoring_at`/`resolved_at` when an incident enters those states.
fn stamp_status_times(incident: &mut Object) {
    let stamp = match str_field(incident, "status") {
        Some("monitoring") => "monitoring_at",
        Some("resolved") | Some("completed") => "resolved_at",
        _ => return,
    };
    if incident.get(stamp).is_none_or(Value::is_null) {
        incident.insert(stamp.into(), json!(now_iso()));
    }
}

pub fn list_incidents(st: &mut Store, p: &str, req: &ApiRequest, filter: IncidentFilter) -> ApiResult {
    require_page(st, p)?;
    let component = req.query("component_id");
    let status = req.query("status");
    let list: Vec<Value> = st
        .incidents
        .iter()
        .filter(|i| str_field(i, "page_id") == Some(p))
        .filter(|i| match filter {
            IncidentFilter::All => true,
            IncidentFilter::Unresolved => !matches!(str_field(i, "status"), Some("resolved" | "completed")),
            IncidentFilter::Maintenance => {
                str_field(i, "impact") == Some("maintenance")
                    && status.is_none_or(|s| str_field(i, "status") == Some(s))
            }
        })
        .filter(|i| {
            component.is_none_or(|c| {
                i.get("components").and_then(Value::as_array).is_some_and(|l| l.iter().any(|x| x["id"] == json!(c)))
            })
        })
        .map(|i| render_incident(st, i))
        .collect();
    Reply::ok(Value::Array(list))
}

/// Opens an incident. Like Statuspage, the first incident update is created with it when the status is an
/// update status, so the timeline is never empty.
pub fn create_incident(st: &mut Store, p: &str, req: &ApiRequest) -> ApiResult {
    require_page(st, p)?;
    let mut fields = schema::validate(&req.json()?, &INCIDENT_CREATE, false)?;
    if let Some(given) = fields.remove("components") {
        let list = apply_incident_components(st, p, &given)?;
        fields.insert("components".into(), list);
    }
    let mut incident = incident_defaults();
    incident.extend(fields);
    for key in [
        "monitoring_at",
        "resolved_at",
        "postmortem_body",
        "postmortem_body_last_updated_at",
        "postmortem_published_at",
        "scheduled_reminded_at",
    ] {
        incident.insert(key.into(), Value::Null);
    }
    incident.insert("page_id".into(), json!(p));
    stamp_status_times(&mut incident);
    let id = st.stamp_new(&mut incident);
    if let Some(status) = str_field(&incident, "status").filter(|s| UPDATE_STATUSES.contains(s)) {
        let mut update = obj(json!({
            "incident_id": id,
            "status": status,
            "body": incident.get("body").cloned().unwrap_or(Value::Null),
            "deliver_notifications": incident.get("deliver_notifications").cloned().unwrap_or(json!(true)),
            "components": incident.get("components").cloned().unwrap_or(json!([])),
        }));
        st.stamp_new(&mut update);
        st.incident_updates.push(update);
    }
    st.incidents.push(incident.clone());
    Reply::created(render_incident(st, &incident))
}

pub fn get_incident(st: &mut Store, p: &str, i: &str) -> ApiResult {
    let idx = incident_index(st, p, i)?;
    Reply::ok(render_incident(st, &st.incidents[idx]))
}

pub fn update_incident(st: &mut Store, p: &str, i: &str, req: &ApiRequest, replace: bool) -> ApiResult {
    let idx = incident_index(st, p, i)?;
    let mut fields = schema::validate(&req.json()?, &INCIDENT_EDIT, true)?;
    if let Some(given) = fields.remove("components") {
        let list = apply_incident_components(st, p, &given)?;
        fields.insert("components".into(), list);
    }
    let incident = &mut st.incidents[idx];
    if replace {
        let mut defaults = incident_defaults();
        defaults.remove("metadata");
        reset_to_defaults(incident, &defaults, INCIDENT_CREATE.required);
    }
    merge(incident, fields);
    stamp_status_times(incident);
    let snapshot = incident.clone();
    Reply::ok(render_incident(st, &snapshot))
}

pub fn delete_incident(st: &mut Store, p: &str, i: &str) -> ApiResult {
    let idx = incident_index(st, p, i)?;
    st.incidents.remove(idx);
    st.incident_updates.retain(|u| str_field(u, "incident_id") != Some(i));
    Reply::no_content()
}

// ---- Incident updates ----------------------------------------------------------------------------------

fn update_index(st: &Store, p: &str, i: &str, u: &str) -> Result<usize, ApiError> {
    incident_index(st, p, i)?;
    st.incident_updates
        .iter()
        .position(|x| str_field(x, "id") == Some(u) && str_field(x, "incident_id") == Some(i))
        .ok_or_else(|| ApiError::not_found("Incident update"))
}

pub fn list_incident_updates(st: &mut Store, p: &str, i: &str) -> ApiResult {
    incident_index(st, p, i)?;
    Reply::ok(Value::Array(updates_of(st, i)))
}

/// Posts an update; the incident takes over its status (and component statuses).
pub fn create_incident_update(st: &mut Store, p: &str, i: &str, req: &ApiRequest) -> ApiResult {
    let idx = incident_index(st, p, i)?;
    let mut fields = schema::validate(&req.json()?, &UPDATE_CREATE, false)?;
    let components = match fields.remove("components") {
        Some(given) => Some(apply_incident_components(st, p, &given)?),
        None => None,
    };
    let mut update = obj(json!({"incident_id": i, "body": null, "deliver_notifications": true}));
    update.extend(fields);
    update.insert("components".into(), components.clone().unwrap_or(json!([])));
    st.stamp_new(&mut update);
    let incident = &mut st.incidents[idx];
    let mut changes = obj(json!({"status": update["status"].clone()}));
    if let Some(list) = components {
        changes.insert("components".into(), list);
    }
    merge(incident, changes);
    stamp_status_times(incident);
    st.incident_updates.push(update.clone());
    Reply::created(Value::Object(update))
}

pub fn get_incident_update(st: &mut Store, p: &str, i: &str, u: &str) -> ApiResult {
    let idx = update_index(st, p, i, u)?;
    Reply::ok(Value::Object(st.incident_updates[idx].clone()))
}

/// PUT and PATCH both take IncidentUpdateEdit `{body?, created_at?}`.
pub fn edit_incident_update(st: &mut Store, p: &str, i: &str, u: &str, req: &ApiRequest) -> ApiResult {
    let idx = update_index(st, p, i, u)?;
    let fields = schema::validate(&req.json()?, &UPDATE_EDIT, true)?;
    let update = &mut st.incident_updates[idx];
    merge(update, fields);
    Reply::ok(Value::Object(update.clone()))
}

pub fn delete_incident_update(st: &mut Store, p: &str, i: &str, u: &str) -> ApiResult {
    let idx = update_index(st, p, i, u)?;
    st.incident_updates.remove(idx);
    Reply::no_content()
}
