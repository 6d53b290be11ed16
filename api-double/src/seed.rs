//! The deterministic seed data loaded at start and on every reset.
//!
//! Invariant: every id and timestamp here is a fixed literal (the `SEED_*` constants name the ones tests
//! refer to); only heartbeat `ping_url`s depend on the address the double listens on. Secret values are
//! recognisable (`s3cr3t-value-…`) so tests can assert they never leak where they should not.

use super::pages::page_defaults;
use super::store::{obj, Object, Store};
use serde_json::{json, Value};

/// The organisation every seeded and created page belongs to.
pub const SEED_ORG_ID: &str = "org0seed0001";
/// The user that created the seeded secrets and acknowledges alerts.
pub const SEED_USER_ID: &str = "usr0seed0001";

/// "Acme Status": 3 components (1 group) and 2 incidents.
pub const SEED_PAGE_ID: &str = "pgmain000001";
/// "Acme Docs": 1 component, no incidents.
pub const SEED_PAGE2_ID: &str = "pgdocs000002";
/// The component group "Core services" on [`SEED_PAGE_ID`].
pub const SEED_COMPONENT_GROUP_ID: &str = "cmpgroup0001";
/// "API", a member of [`SEED_COMPONENT_GROUP_ID`].
pub const SEED_COMPONENT_API_ID: &str = "cmpapi000001";
/// "Website", top-level, `degraded_performance` because of [`SEED_INCIDENT_OPEN_ID`].
pub const SEED_COMPONENT_WEB_ID: &str = "cmpweb000001";
/// "Documentation" on [`SEED_PAGE2_ID`].
pub const SEED_COMPONENT_DOCS_ID: &str = "cmpdocs00001";
/// "Elevated API error rates": resolved, three updates (`updapi000001..3`).
pub const SEED_INCIDENT_RESOLVED_ID: &str = "incapi000001";
/// "Website slowness": monitoring, two updates (`updweb000001..2`).
pub const SEED_INCIDENT_OPEN_ID: &str = "incweb000001";
/// The first (investigating) update of [`SEED_INCIDENT_OPEN_ID`].
pub const SEED_INCIDENT_UPDATE_ID: &str = "updweb000001";

/// The check group "Production" holding the web, api and ssl checks.
pub const SEED_CHECK_GROUP_ID: &str = "grpprod00001";
/// Web check "Acme website" (status `ok`, six results `resweb000001..6`).
pub const SEED_CHECK_WEB_ID: &str = "chkweb000001";
/// API check "API health" (status `failed`: its two newest of six results failed); has a secret attached.
pub const SEED_CHECK_API_ID: &str = "chkapi000001";
/// SSL check "Certificate expiry" (status `ok`, three results).
pub const SEED_CHECK_SSL_ID: &str = "chkssl000001";
/// TCP check "Database port": ungrouped, inactive (status `paused`), no results.
pub const SEED_CHECK_TCP_ID: &str = "chktcp000001";
/// The newest result of the web check.
pub const SEED_RESULT_ID: &str = "resweb000006";
/// The completed on-demand job of the web check.
pub const SEED_JOB_ID: &str = "jobseed00001";

/// Secret "API_TOKEN" = [`SEED_SECRET_VALUE`], attached to [`SEED_CHECK_API_ID`] as `API_TOKEN`.
pub const SEED_SECRET_ID: &str = "secapikey001";
/// The value of [`SEED_SECRET_ID`].
pub const SEED_SECRET_VALUE: &str = "s3cr3t-value-one";
/// Secret "DB_PASSWORD" = [`SEED_SECRET2_VALUE`], attached to nothing.
pub const SEED_SECRET2_ID: &str = "secdbpass001";
/// The value of [`SEED_SECRET2_ID`].
pub const SEED_SECRET2_VALUE: &str = "s3cr3t-value-two";
/// The attachment of [`SEED_SECRET_ID`] to [`SEED_CHECK_API_ID`].
pub const SEED_CHECK_SECRET_ID: &str = "cscapi000001";

/// Email channel "On-call email".
pub const SEED_ALERT_CHANNEL_ID: &str = "chnemail0001";
/// Rule "API health failing" on [`SEED_CHECK_API_ID`], notifying [`SEED_ALERT_CHANNEL_ID`].
pub const SEED_ALERT_RULE_ID: &str = "rulapi000001";
/// A firing, high-severity alert of [`SEED_ALERT_RULE_ID`].
pub const SEED_ALERT_FIRING_ID: &str = "alrfiring001";
/// An earlier, resolved alert of the same rule.
pub const SEED_ALERT_RESOLVED_ID: &str = "alrresolv001";

/// Heartbeat "Nightly backup" (daily, `up`, three pings).
pub const SEED_HEARTBEAT_UP_ID: &str = "hbtbackup001";
/// Heartbeat "Cron sync" (every 5 minutes, `down`, one old ping).
pub const SEED_HEARTBEAT_DOWN_ID: &str = "hbtcron00001";

/// Every seed id above, for tests that check their shape or look for them in the state.
pub const SEED_IDS: &[&str] = &[
    SEED_ORG_ID,
    SEED_USER_ID,
    SEED_PAGE_ID,
    SEED_PAGE2_ID,
    SEED_COMPONENT_GROUP_ID,
    SEED_COMPONENT_API_ID,
    SEED_COMPONENT_WEB_ID,
    SEED_COMPONENT_DOCS_ID,
    SEED_INCIDENT_RESOLVED_ID,
    SEED_INCIDENT_OPEN_ID,
    SEED_INCIDENT_UPDATE_ID,
    SEED_CHECK_GROUP_ID,
    SEED_CHECK_WEB_ID,
    SEED_CHECK_API_ID,
    SEED_CHECK_SSL_ID,
    SEED_CHECK_TCP_ID,
    SEED_RESULT_ID,
    SEED_JOB_ID,
    SEED_SECRET_ID,
    SEED_SECRET2_ID,
    SEED_CHECK_SECRET_ID,
    SEED_ALERT_CHANNEL_ID,
    SEED_ALERT_RULE_ID,
    SEED_ALERT_FIRING_ID,
    SEED_ALERT_RESOLVED_ID,
    SEED_HEARTBEAT_UP_ID,
    SEED_HEARTBEAT_DOWN_ID,
];

const CREATED: &str = "2026-01-15T09:00:00Z";

/// A store holding the seed; `base_url` is where the double listens (for heartbeat ping URLs).
pub fn seeded(base_url: &str) -> Store {
    let mut st = Store::empty(base_url);
    seed_pages(&mut st);
    seed_checks(&mut st);
    seed_secrets(&mut st);
    seed_alerts(&mut st);
    seed_heartbeats(&mut st);
    st
}

/// An object with fixed `created_at`/`updated_at` on top of `fields`.
fn rec(fields: Value, at: &str) -> Object {
    let mut o = obj(fields);
    o.insert("created_at".into(), json!(at));
    o.insert("updated_at".into(), json!(at));
    o
}

fn page(id: &str, name: &str, subdomain: &str, headline: &str) -> Object {
    let mut p = page_defaults();
    p.extend(rec(
        json!({"id": id, "organization_id": SEED_ORG_ID, "name": name, "subdomain": subdomain,
               "headline": headline, "url": format!("https://{subdomain}.example.com"), "activity_score": 0,
               "time_zone": "Europe/Moscow", "support_url": "https://example.com/support"}),
        CREATED,
    ));
    p
}

fn component(id: &str, page: &str, name: &str, group: bool, group_id: Option<&str>, status: &str, pos: u32) -> Object {
    rec(
        json!({"id": id, "page_id": page, "name": name, "description": format!("{name} availability"),
               "status": status, "group": group, "group_id": group_id, "position": pos, "showcase": true,
               "only_show_if_degraded": false, "start_date": null}),
        CREATED,
    )
}

fn seed_pages(st: &mut Store) {
    st.pages.push(page(SEED_PAGE_ID, "Acme Status", "acme-status", "Acme service status"));
    st.pages.push(page(SEED_PAGE2_ID, "Acme Docs", "acme-docs", "Documentation site status"));
    st.components.extend([
        component(SEED_COMPONENT_GROUP_ID, SEED_PAGE_ID, "Core services", true, None, "operational", 0),
        component(SEED_COMPONENT_API_ID, SEED_PAGE_ID, "API", false, Some(SEED_COMPONENT_GROUP_ID), "operational", 1),
        component(SEED_COMPONENT_WEB_ID, SEED_PAGE_ID, "Website", false, None, "degraded_performance", 2),
        component(SEED_COMPONENT_DOCS_ID, SEED_PAGE2_ID, "Documentation", false, None, "operational", 0),
    ]);
    let incident = |id: &str, name: &str, status: &str, comp: Value, at: &str, end: &str, fin: Option<&str>| {
        let mut i = rec(
            json!({"id": id, "page_id": SEED_PAGE_ID, "name": name, "status": status, "impact": "minor",
                   "body": format!("{name}."), "components": [comp], "deliver_notifications": true,
                   "auto_transition_to_maintenance_state": null, "auto_transition_to_operational_state": null,
                   "auto_transition_deliver_notifications_at_start": null,
                   "auto_transition_deliver_notifications_at_end": null, "scheduled_for": null,
                   "scheduled_until": null, "scheduled_remind_prior": null, "scheduled_auto_in_progress": null,
                   "scheduled_auto_completed": null, "scheduled_reminded_at": null, "reminder_intervals": null,
                   "metadata": {}, "monitoring_at": null, "resolved_at": fin, "postmortem_body": null,
                   "postmortem_body_last_updated_at": null, "postmortem_published_at": null}),
            at,
        );
        i.insert("updated_at".into(), json!(end));
        i
    };
    let mut open = incident(
        SEED_INCIDENT_OPEN_ID,
        "Website slowness",
        "monitoring",
        json!({"id": SEED_COMPONENT_WEB_ID, "name": "Website", "status": "degraded_performance"}),
        "2026-11-24T09:40:00Z",
        "2026-11-24T09:55:00Z",
        None,
    );
    open.insert("monitoring_at".into(), json!("2026-11-24T09:55:00Z"));
    st.incidents.push(incident(
        SEED_INCIDENT_RESOLVED_ID,
        "Elevated API error rates",
        "resolved",
        json!({"id": SEED_COMPONENT_API_ID, "name": "API", "status": "operational"}),
        "2026-11-20T08:00:00Z",
        "2026-11-20T09:30:00Z",
        Some("2026-11-20T09:30:00Z"),
    ));
    st.incidents.push(open);
    let updates = [
        (
            "updapi000001",
            SEED_INCIDENT_RESOLVED_ID,
            "investigating",
            "We are investigating elevated error rates.",
            "2026-11-20T08:00:00Z",
        ),
        (
            "updapi000002",
            SEED_INCIDENT_RESOLVED_ID,
            "identified",
            "A faulty deploy was identified and rolled back.",
            "2026-11-20T08:30:00Z",
        ),
        (
            "updapi000003",
            SEED_INCIDENT_RESOLVED_ID,
            "resolved",
            "Error rates are back to normal.",
            "2026-11-20T09:30:00Z",
        ),
        (
            SEED_INCIDENT_UPDATE_ID,
            SEED_INCIDENT_OPEN_ID,
            "investigating",
            "Pages load slowly for some users.",
            "2026-11-24T09:40:00Z",
        ),
        (
            "updweb000002",
            SEED_INCIDENT_OPEN_ID,
            "monitoring",
            "A fix is deployed; we are monitoring.",
            "2026-11-24T09:55:00Z",
        ),
    ];
    for (id, incident, status, body, at) in updates {
        st.incident_updates.push(rec(
            json!({"id": id, "incident_id": incident, "status": status, "body": body,
                   "deliver_notifications": true, "components": []}),
            at,
        ));
    }
}

fn seed_checks(st: &mut Store) {
    st.check_groups.push(rec(
        json!({"id": SEED_CHECK_GROUP_ID, "name": "Production", "description": "Customer-facing services",
               "color": "#22c55e", "position": 0, "active": true}),
        CREATED,
    ));
    let check =
        |id: &str, name: &str, kind: &str, target: Value, group: Option<&str>, active: bool, status: &str, pos: u32| {
            let mut c = rec(
                json!({"id": id, "name": name, "type": kind, "url": null, "host": null, "port": null,
                   "interval": 300, "timeout": 30, "active": active, "status": status,
                   "parameters": {"regions": ["ru-msk"]}, "group_id": group, "position": pos,
                   "last_checked_at": if active { json!("2026-11-24T10:00:00Z") } else { Value::Null }}),
                CREATED,
            );
            c.extend(obj(target));
            c
        };
    st.checks.extend([
        check(
            SEED_CHECK_WEB_ID,
            "Acme website",
            "web",
            json!({"url": "https://example.com"}),
            Some(SEED_CHECK_GROUP_ID),
            true,
            "ok",
            0,
        ),
        check(
            SEED_CHECK_API_ID,
            "API health",
            "api",
            json!({"url": "https://api.example.com/health"}),
            Some(SEED_CHECK_GROUP_ID),
            true,
            "failed",
            1,
        ),
        check(
            SEED_CHECK_SSL_ID,
            "Certificate expiry",
            "ssl",
            json!({"host": "example.com", "port": 443}),
            Some(SEED_CHECK_GROUP_ID),
            true,
            "ok",
            2,
        ),
        check(
            SEED_CHECK_TCP_ID,
            "Database port",
            "tcp",
            json!({"host": "db.example.com", "port": 5432}),
            None,
            false,
            "paused",
            3,
        ),
    ]);
    // Six results five minutes apart ending 2026-11-24T10:00:00Z for web and api (the api check's last two
    // failed), three for ssl; ids count up with time, so the highest number is the newest.
    let series: [(&str, &str, &[&str]); 3] = [
        ("web", SEED_CHECK_WEB_ID, &["ok"; 6]),
        ("api", SEED_CHECK_API_ID, &["ok", "ok", "ok", "ok", "failed", "failed"]),
        ("ssl", SEED_CHECK_SSL_ID, &["ok"; 3]),
    ];
    for (tag, check_id, statuses) in series {
        let count = statuses.len();
        for (n, status) in statuses.iter().enumerate() {
            let minute = 35 + 5 * (6 - count + n);
            let at = if minute == 60 {
                "2026-11-24T10:00:00Z".to_string()
            } else {
                format!("2026-11-24T09:{minute:02}:00Z")
            };
            let failed = *status == "failed";
            st.check_results.push(obj(json!({
                "id": format!("res{tag}{:06}", n + 1),
                "check_id": check_id,
                "execution_id": format!("exe{tag}{:06}", n + 1),
                "status": status,
                "response_time": if failed { 5000 } else { 120 + 10 * n as i64 },
                "error_message": if failed { json!("HTTP 503 Service Unavailable") } else { Value::Null },
                "check_metadata": if failed { json!({"status_code": 503}) } else { json!({"status_code": 200}) },
                "check_server_id": "srvmsk000001",
                "check_server": {"id": "srvmsk000001", "region": "ru-msk", "country": "RU",
                                 "ip_address": "192.0.2.10", "server_metadata": {}},
                "triggered_alerts": if failed && n + 1 == count { json!([SEED_ALERT_FIRING_ID]) } else { json!([]) },
                "created_at": at,
            })));
        }
    }
    st.check_jobs.push(obj(json!({
        "id": SEED_JOB_ID,
        "check_id": SEED_CHECK_WEB_ID,
        "job_type": "existing_check",
        "status": "completed",
        "check_parameters": {"name": "Acme website", "type": "web", "url": "https://example.com", "timeout": 30},
        "result": {"status": "ok", "response_time": 131, "status_code": 200, "region": "ru-msk"},
        "error_message": null,
        "created_at": "2026-11-24T09:50:00Z",
        "started_at": "2026-11-24T09:50:01Z",
        "completed_at": "2026-11-24T09:50:02Z",
    })));
}

fn seed_secrets(st: &mut Store) {
    for (id, name, value) in
        [(SEED_SECRET_ID, "API_TOKEN", SEED_SECRET_VALUE), (SEED_SECRET2_ID, "DB_PASSWORD", SEED_SECRET2_VALUE)]
    {
        st.secrets.push(rec(
            json!({"id": id, "secret_name": name, "secret_value": value, "created_by": SEED_USER_ID,
                   "updated_by": SEED_USER_ID}),
            CREATED,
        ));
    }
    st.check_secrets.push(obj(json!({
        "id": SEED_CHECK_SECRET_ID, "check_id": SEED_CHECK_API_ID, "secret_id": SEED_SECRET_ID,
        "env_variable": "API_TOKEN", "created_at": CREATED,
    })));
}

fn seed_alerts(st: &mut Store) {
    st.alert_channels.push(rec(
        json!({"id": SEED_ALERT_CHANNEL_ID, "name": "On-call email", "type": "email",
               "configuration": {"emails": ["oncall@example.com"]}, "enabled": true,
               "last_used_at": "2026-11-24T09:55:05Z"}),
        CREATED,
    ));
    st.alert_rules.push(rec(
        json!({"id": SEED_ALERT_RULE_ID, "name": "API health failing", "check_id": SEED_CHECK_API_ID,
               "condition": "consecutive_failures", "condition_parameters": {"failures": 2},
               "channel_ids": [SEED_ALERT_CHANNEL_ID], "severity": "high", "enabled": true, "auto_resolve": true,
               "cooldown_period": 300, "multi_region_mode": "any_region", "multi_region_threshold": null}),
        CREATED,
    ));
    let alert = |id: &str, status: &str, fired: &str, resolved: Option<&str>, count: u32| {
        obj(json!({
            "id": id, "rule_id": SEED_ALERT_RULE_ID, "rule_name": "API health failing",
            "check_id": SEED_CHECK_API_ID, "check_name": "API health", "title": "API health check failed",
            "description": "2 consecutive failures from ru-msk", "status": status, "severity": "high",
            "is_active": resolved.is_none(), "duration": if resolved.is_some() { json!(5160) } else { Value::Null },
            "fired_at": fired, "resolved_at": resolved, "acknowledged_at": null, "acknowledged_by_id": null,
            "notification_count": count, "last_notification_at": resolved.unwrap_or(fired),
            "alert_metadata": {}, "regional_summary": {"ru-msk": "failed"}, "trigger_results": [],
        }))
    };
    st.alerts.push(alert(SEED_ALERT_RESOLVED_ID, "resolved", "2026-11-20T08:02:00Z", Some("2026-11-20T09:28:00Z"), 2));
    st.alerts.push(alert(SEED_ALERT_FIRING_ID, "firing", "2026-11-24T09:55:00Z", None, 1));
    let notification = |id: &str, alert: &str, kind: &str, at: &str| {
        obj(json!({"id": id, "alert_id": alert, "channel_id": SEED_ALERT_CHANNEL_ID, "channel_name": "On-call email",
                   "channel_type": "email", "notification_type": kind, "status": "sent", "retry_count": 0,
                   "error_message": null, "sent_at": at, "created_at": at}))
    };
    st.alert_notifications.extend([
        notification("ntfresolv001", SEED_ALERT_RESOLVED_ID, "alert_fired", "2026-11-20T08:02:05Z"),
        notification("ntfresolv002", SEED_ALERT_RESOLVED_ID, "alert_resolved", "2026-11-20T09:28:05Z"),
        notification("ntffiring001", SEED_ALERT_FIRING_ID, "alert_fired", "2026-11-24T09:55:05Z"),
    ]);
}

fn seed_heartbeats(st: &mut Store) {
    let base = st.base_url.clone();
    let heartbeat = |id: &str, name: &str, period: u32, grace: u32, status: &str, last: &str, next: &str| {
        rec(
            json!({"id": id, "name": name, "period_seconds": period, "grace_seconds": grace, "active": true,
                   "status": status, "ping_url": format!("{base}/v1/heartbeats/{id}/ping"),
                   "last_ping_at": last, "next_expected_ping": next}),
            CREATED,
        )
    };
    st.heartbeats.extend([
        heartbeat(
            SEED_HEARTBEAT_UP_ID,
            "Nightly backup",
            86_400,
            3600,
            "up",
            "2026-11-24T03:00:00Z",
            "2026-11-25T03:00:00Z",
        ),
        heartbeat(
            SEED_HEARTBEAT_DOWN_ID,
            "Cron sync",
            300,
            300,
            "down",
            "2026-11-24T08:00:00Z",
            "2026-11-24T08:05:00Z",
        ),
    ]);
    let pings = [
        ("pngbackup001", SEED_HEARTBEAT_UP_ID, "2026-11-22T03:00:00Z"),
        ("pngbackup002", SEED_HEARTBEAT_UP_ID, "2026-11-23T03:00:00Z"),
        ("pngbackup003", SEED_HEARTBEAT_UP_ID, "2026-11-24T03:00:00Z"),
        ("pngcron00001", SEED_HEARTBEAT_DOWN_ID, "2026-11-24T08:00:00Z"),
    ];
    for (id, check, at) in pings {
        st.heartbeat_pings.push(obj(json!({
            "id": id, "check_id": check, "received_at": at, "source_ip": "198.51.100.7",
            "user_agent": "curl/8.5.0", "ping_data": {},
        })));
    }
}
