//! The tool table: every tool the server offers, in `tools/list` order (the connection test, then by area as in the
//! reference: status pages, components, checks, check groups and secrets, alerts, heartbeats, incidents, script
//! generators).
//!
//! Invariant: this is the only list of tools. Adding a tool means adding one [`ToolSpec`] here (and, only for a
//! tool that is more than one API request or none, its function in `custom.rs` or `scripts.rs`). Names and
//! parameter names are those of the reference implementation, so that clients switching to this server keep
//! working; ids are strings; each tool calls the endpoint, method, query names and body fields of the API itself
//! (section 5 of the reference notes), not the reference implementation's mistakes.

use super::{custom, scripts, shape, Action, Body, Effect, Param, ToolSpec, Toolset};
use crate::pingera::Method::{Delete, Get, Patch, Post, Put};

// ---- Shared parameters --------------------------------------------------------------------------------------
//
// Descriptions are written for the model, which reads them on every conversation: they say where a value comes
// from or what is not obvious from the name and the schema, and nothing else (an empty description is left out).
// Where the usual ids come from (page_id from list_pages, ...) is said once, in the server instructions.

const PAGE_ID: &[Param] = &[Param::id("page_id", "")];
const COMPONENT_ID: &[Param] = &[Param::id("component_id", "")];
const CHECK_ID: &[Param] = &[Param::id("check_id", "")];
const CHECK_GROUP_ID: &[Param] = &[Param::id("group_id", "")];
const SECRET_ID: &[Param] = &[Param::id("secret_id", "")];
const JOB_ID: &[Param] =
    &[Param::id("job_id", "From execute_custom_check, execute_existing_check or list_check_jobs.")];
const RULE_ID: &[Param] = &[Param::id("alert_id", "An alert rule id, from list_alert_rules.")];
const HEARTBEAT_ID: &[Param] = &[Param::id("heartbeat_id", "")];
const INCIDENT_ID: &[Param] = &[Param::id("incident_id", "")];
const UPDATE_ID: &[Param] = &[Param::id("update_id", "From get_incident_updates.")];
const PAGING: &[Param] = &[Param::page(), Param::page_size("page_size")];
const DATE_WINDOW: &[Param] = &[Param::date("from_date", ""), Param::date("to_date", "")];
/// A parameter the reference implementation had and the API ignores; kept so that old calls still validate.
const IGNORED: &str = "Ignored; kept for compatibility.";

const COMPONENT_STATUSES: &[&str] =
    &["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"];
const CHECK_TYPES: &[&str] = &["web", "api", "ssl", "tcp", "synthetic", "multistep", "icmp", "dns", "portscan"];
const RESULT_STATUSES: &[&str] = &["ok", "failed", "degraded", "timeout", "pending"];
const ALERT_STATUSES: &[&str] = &["firing", "resolved", "acknowledged", "suppressed"];
const INCIDENT_STATUSES: &[&str] =
    &["investigating", "identified", "monitoring", "resolved", "scheduled", "in_progress", "verifying", "completed"];
const IMPACTS: &[&str] = &["none", "minor", "major", "critical", "maintenance"];
const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The writable fields of a status page (the API's Page model), shared by create, update and patch.
const PAGE_FIELDS: &[Param] = &[
    Param::string("subdomain", 100, "acme for acme.pingera.ru."),
    Param::string("domain", 100, "Custom domain."),
    Param::string("url", 200, "Company website."),
    Param::one_of("language", &["ru", "en"], ""),
    Param::string("headline", 200, ""),
    Param::string("page_description", 10_000, ""),
    Param::string("time_zone", 100, "IANA name, e.g. Europe/Moscow."),
    Param::string("country", 100, ""),
    Param::string("city", 100, ""),
    Param::string("state", 100, ""),
    Param::boolean("viewers_must_be_team_members", ""),
    Param::boolean("hidden_from_search", ""),
    Param::boolean("allow_page_subscribers", ""),
    Param::boolean("allow_incident_subscribers", ""),
    Param::boolean("allow_email_subscribers", ""),
    Param::boolean("allow_sms_subscribers", ""),
    Param::boolean("allow_webhook_subscribers", ""),
    Param::boolean("allow_rss_atom_feeds", ""),
    Param::string("support_url", 200, ""),
];

/// The writable fields of a component (Component / Component1) other than its name.
const COMPONENT_FIELDS: &[Param] = &[
    Param::string("description", 10_000, ""),
    Param::boolean("group", "true makes it a component group."),
    Param::opt_id("group_id", "Parent group, from list_component_groups."),
    Param::boolean("only_show_if_degraded", "Shown only while not operational."),
    Param::int("position", 0, 1_000_000, "0 first."),
    Param::boolean("showcase", "Show its uptime bar."),
    Param::one_of("status", COMPONENT_STATUSES, ""),
    Param::date("start_date", "Monitoring start."),
];

/// The target and timing fields of a check, shared by create_check, update_check and execute_custom_check.
const CHECK_TARGET: &[Param] = &[
    Param::string("url", 2048, "web, api; ssl may use it instead of host."),
    Param::string("host", 255, "tcp, ssl, icmp, dns, portscan."),
    Param::int("port", 1, 65_535, "tcp; ssl defaults to 443."),
];
const CHECK_SCHEDULE: &[Param] = &[
    Param::int("interval", 30, 86_400, "Seconds between runs (default 300)."),
    Param::int("timeout", 1, 180, "Seconds (default 30)."),
    Param::boolean("active", "false pauses the check."),
];
const CHECK_PARAMETERS: &[Param] = &[Param::object(
    "parameters",
    "Type-specific: pw_script (Playwright script of synthetic and multistep checks; see generate_*_script), \
     regions (e.g. [\"ru-msk\"]), multi_region_execution, expected status codes or keywords.",
)];

/// The incident fields that IncidentCreate and the edit model (PUT and PATCH) share, other than name and status.
/// The auto_transition_* and scheduled_* fields apply to maintenances only, which the tool descriptions say once.
const INCIDENT_FIELDS: &[Param] = &[
    Param::string("body", 100_000, "Message (the first update's text)."),
    Param::one_of("impact", IMPACTS, ""),
    Param::boolean("deliver_notifications", "Notify subscribers (default true)."),
    Param::str_map("components", COMPONENT_STATUSES, "{component_id: status}, ids from list_components."),
    Param::boolean("auto_transition_to_maintenance_state", ""),
    Param::boolean("auto_transition_to_operational_state", ""),
    Param::boolean("auto_transition_deliver_notifications_at_start", ""),
    Param::boolean("auto_transition_deliver_notifications_at_end", ""),
    Param::date("scheduled_for", "Maintenance start."),
    Param::date("scheduled_until", "Maintenance end."),
    Param::boolean("scheduled_remind_prior", ""),
    Param::boolean("scheduled_auto_in_progress", ""),
    Param::boolean("scheduled_auto_completed", ""),
    Param::string("reminder_intervals", 200, ""),
];
const INCIDENT_EDIT: &[Param] = &[Param::string("name", 200, ""), Param::one_of("status", INCIDENT_STATUSES, "")];

const ALERT_RULE_DATA: &str = "Required: name, check_id (list_checks), condition (check_failed, check_timeout, \
    check_degraded, consecutive_failures, uptime_below_threshold), channel_ids (list_alert_channels). Optional: \
    condition_parameters (e.g. {\"failures\": 3}), severity (low, medium, high, critical), enabled, auto_resolve, \
    cooldown_period (s), multi_region_mode (any_region, all_regions, majority, specific_count), \
    multi_region_threshold.";
const HEARTBEAT_DATA: &str = "name, period_seconds (expected seconds between pings, >= 60), grace_seconds (>= 60, \
    default 3600), active.";

// ---- The table ----------------------------------------------------------------------------------------------

/// Every tool, in the order `tools/list` shows them.
pub static TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "test_pingera_connection",
        title: "Test Pingera connection",
        description: "Test the API connection and credential.",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::Connection,
        action: Action::Custom(custom::test_connection),
        output_schema: None,
    },
    // Status pages.
    ToolSpec {
        name: "list_pages",
        title: "List status pages",
        description: "List status pages. Start here for page_id.",
        params: &[&[
            Param::page(),
            Param::page_size("per_page"),
            Param::string("status", 50, IGNORED),
        ]],
        effect: Effect::Read,
        toolset: Toolset::Pages,
        action: Action::Api {
            method: Get,
            path: "/v1/pages",
            query: &[("page", "page"), ("per_page", "page_size")],
            body: Body::None,
        },
        output_schema: Some(shape::pages_list),
    },
    ToolSpec {
        name: "get_page_details",
        title: "Get status page details",
        description: "Get a status page's full configuration.",
        params: &[PAGE_ID],
        effect: Effect::Read,
        toolset: Toolset::Pages,
        action: Action::Api { method: Get, path: "/v1/pages/{page_id}", query: &[], body: Body::None },
        // No output schema: fixtures/inspector.txt pins this tool's tools/list entry exactly (see SPEC_NOTES §9).
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "create_page",
        title: "Create status page",
        description: "Create a status page.",
        params: &[&[Param::string("name", 100, "").required()], PAGE_FIELDS],
        effect: Effect::Create,
        toolset: Toolset::Pages,
        action: Action::Api { method: Post, path: "/v1/pages", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "update_page",
        title: "Replace status page settings",
        description: "Replace a status page's settings (PUT: omitted fields reset to defaults). Prefer patch_page.",
        params: &[PAGE_ID, &[Param::string("name", 100, "")], PAGE_FIELDS],
        effect: Effect::Update,
        toolset: Toolset::Pages,
        action: Action::Api { method: Put, path: "/v1/pages/{page_id}", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "patch_page",
        title: "Update status page fields",
        description: "Change the given fields of a status page.",
        params: &[PAGE_ID, &[Param::string("name", 100, "")], PAGE_FIELDS],
        effect: Effect::Update,
        toolset: Toolset::Pages,
        action: Action::Api { method: Patch, path: "/v1/pages/{page_id}", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_page",
        title: "Delete status page",
        description: "Delete a status page with its components and incidents. Irreversible.",
        params: &[PAGE_ID],
        effect: Effect::Delete,
        toolset: Toolset::Pages,
        action: Action::Api { method: Delete, path: "/v1/pages/{page_id}", query: &[], body: Body::None },
        output_schema: None,
    },
    // Components.
    ToolSpec {
        name: "list_component_groups",
        title: "List component groups",
        description: "List a page's component groups (their ids are a component's group_id).",
        params: &[
            PAGE_ID,
            &[Param::boolean("show_deleted", IGNORED)],
        ],
        effect: Effect::Read,
        toolset: Toolset::Components,
        action: Action::Api { method: Get, path: "/v1/pages/{page_id}/component-groups", query: &[], body: Body::None },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "list_components",
        title: "List components",
        description: "List a page's components and component groups with their status.",
        params: &[PAGE_ID, PAGING],
        effect: Effect::Read,
        toolset: Toolset::Components,
        action: Action::Custom(custom::list_components),
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "get_component_details",
        title: "Get component details",
        description: "Get one component of a page.",
        params: &[PAGE_ID, COMPONENT_ID],
        effect: Effect::Read,
        toolset: Toolset::Components,
        action: Action::Api {
            method: Get,
            path: "/v1/pages/{page_id}/components/{component_id}",
            query: &[],
            body: Body::None,
        },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "create_component",
        title: "Create component",
        description: "Add a component (group: true for a component group) to a page.",
        params: &[
            PAGE_ID,
            &[Param::string("name", 100, "").required()],
            COMPONENT_FIELDS,
        ],
        effect: Effect::Create,
        toolset: Toolset::Components,
        action: Action::Api { method: Post, path: "/v1/pages/{page_id}/components", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "update_component",
        title: "Replace component settings",
        description: "Replace a component's settings (PUT: omitted fields reset). Prefer patch_component.",
        params: &[
            PAGE_ID,
            COMPONENT_ID,
            &[Param::string("name", 100, "")],
            COMPONENT_FIELDS,
        ],
        effect: Effect::Update,
        toolset: Toolset::Components,
        action: Action::Api {
            method: Put,
            path: "/v1/pages/{page_id}/components/{component_id}",
            query: &[],
            body: Body::Params,
        },
        output_schema: None,
    },
    ToolSpec {
        name: "patch_component",
        title: "Update component fields",
        description: "Change the given fields of a component, e.g. its status.",
        params: &[
            PAGE_ID,
            COMPONENT_ID,
            &[Param::string("name", 100, "")],
            COMPONENT_FIELDS,
        ],
        effect: Effect::Update,
        toolset: Toolset::Components,
        action: Action::Api {
            method: Patch,
            path: "/v1/pages/{page_id}/components/{component_id}",
            query: &[],
            body: Body::Params,
        },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_component",
        title: "Delete component",
        description: "Delete a component; members of a deleted group become top-level.",
        params: &[PAGE_ID, COMPONENT_ID],
        effect: Effect::Delete,
        toolset: Toolset::Components,
        action: Action::Api {
            method: Delete,
            path: "/v1/pages/{page_id}/components/{component_id}",
            query: &[],
            body: Body::None,
        },
        output_schema: None,
    },
    // Checks, results and on-demand jobs.
    ToolSpec {
        name: "list_checks",
        title: "List checks",
        description: "List monitoring checks with target and status. Start here for check_id.",
        params: &[
            PAGING,
            &[
                Param::one_of("type", CHECK_TYPES, ""),
                Param::string("status", 200, "Comma-separated: ok, failed, degraded, timeout, pending, paused."),
                Param::opt_id("group_id", "From list_check_groups, or \"ungrouped\"."),
                Param::string("name", 100, "Substring, case-insensitive."),
            ],
        ],
        effect: Effect::Read,
        toolset: Toolset::Checks,
        action: Action::Api {
            method: Get,
            path: "/v1/checks",
            query: &[
                ("page", "page"),
                ("page_size", "page_size"),
                ("type", "type"),
                ("status", "status"),
                ("group_id", "group_id"),
                ("name", "name"),
            ],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("checks")),
    },
    ToolSpec {
        name: "get_check_details",
        title: "Get check details",
        description: "Get a check's configuration and status.",
        params: &[CHECK_ID],
        effect: Effect::Read,
        toolset: Toolset::Checks,
        action: Action::Api { method: Get, path: "/v1/checks/{check_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_check_results",
        title: "Get check results",
        description: "List a check's runs (status, response time, error, region), newest first.",
        params: &[CHECK_ID, DATE_WINDOW, PAGING],
        effect: Effect::Read,
        toolset: Toolset::CheckResults,
        action: Action::Api {
            method: Get,
            path: "/v1/checks/{check_id}/results",
            query: &[
                ("from_date", "start_date"),
                ("to_date", "end_date"),
                ("page", "page"),
                ("page_size", "page_size"),
            ],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("results")),
    },
    ToolSpec {
        name: "get_check_statistics",
        title: "Get check statistics",
        description: "A check's uptime, run counts and mean response time over a window (default all time), with its status runs.",
        params: &[CHECK_ID, DATE_WINDOW],
        effect: Effect::Read,
        toolset: Toolset::CheckResults,
        action: Action::Custom(custom::check_statistics),
        output_schema: Some(|| {
            serde_json::json!({
                "type": "object",
                "properties": {"check_id": {"type": "string"}, "uptime": {}, "status_history": {}},
                "required": ["check_id", "uptime", "status_history"],
            })
        }),
    },
    ToolSpec {
        name: "list_check_jobs",
        title: "List check jobs",
        description: "List the latest on-demand runs (jobs), newest first.",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Get, path: "/v1/checks/jobs", query: &[], body: Body::None },
        output_schema: Some(|| shape::envelope("jobs")),
    },
    ToolSpec {
        name: "get_check_job_details",
        title: "Get check job details",
        description: "Get one on-demand job with its result.",
        params: &[JOB_ID],
        effect: Effect::Read,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Get, path: "/v1/checks/jobs/{job_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_unified_results",
        title: "Get results across checks",
        description: "List results across checks, newest first.",
        params: &[
            &[Param::id_list("check_ids", 20, "From list_checks; default all.")],
            DATE_WINDOW,
            &[Param::one_of("status", RESULT_STATUSES, "")],
            PAGING,
        ],
        effect: Effect::Read,
        toolset: Toolset::CheckResults,
        action: Action::Custom(custom::unified_results),
        output_schema: Some(|| shape::envelope("results")),
    },
    ToolSpec {
        name: "get_unified_statistics",
        title: "Get statistics across checks",
        description: "Uptime and status history per check, across checks, with a summary.",
        params: &[
            &[Param::id_list("check_ids", 20, "From list_checks; default all. Several ids answer {by_check: {id: ...}}.")],
            DATE_WINDOW,
        ],
        effect: Effect::Read,
        toolset: Toolset::CheckResults,
        action: Action::Custom(custom::unified_statistics),
        output_schema: Some(shape::any_object),
    },
    ToolSpec {
        name: "execute_custom_check",
        title: "Run an ad-hoc check",
        description: "Run an unsaved check once (e.g. to try a URL or script). Poll get_on_demand_job_status with the returned job_id.",
        params: &[
            &[
                Param::one_of("type", CHECK_TYPES, "").required(),
                Param::string("name", 100, "").required(),
            ],
            CHECK_TARGET,
            &[Param::int("timeout", 1, 180, "Seconds (default 30).")],
            CHECK_PARAMETERS,
        ],
        effect: Effect::Create,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Post, path: "/v1/checks/execute", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "execute_existing_check",
        title: "Run a check now",
        description: "Run a saved check now. Poll get_on_demand_job_status with the returned job_id.",
        params: &[CHECK_ID],
        effect: Effect::Create,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Post, path: "/v1/checks/{check_id}/execute", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "get_on_demand_job_status",
        title: "Get on-demand job status",
        description: "Poll an on-demand job; its result is there once completed.",
        params: &[JOB_ID],
        effect: Effect::Read,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Get, path: "/v1/checks/jobs/{job_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "list_on_demand_checks",
        title: "List on-demand checks",
        description: "Page through on-demand jobs, newest first.",
        params: &[PAGING],
        effect: Effect::Read,
        toolset: Toolset::OnDemand,
        action: Action::Api {
            method: Get,
            path: "/v1/checks/jobs",
            query: &[("page", "page"), ("page_size", "per_page")],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("jobs")),
    },
    ToolSpec {
        name: "create_check",
        title: "Create check",
        description: "Create a check. web and api need url; tcp needs host and port; ssl needs url or host.",
        params: &[
            &[
                Param::string("name", 100, "").required(),
                Param::one_of("type", CHECK_TYPES, "").required(),
            ],
            CHECK_TARGET,
            CHECK_SCHEDULE,
            CHECK_PARAMETERS,
        ],
        effect: Effect::Create,
        toolset: Toolset::Checks,
        action: Action::Api { method: Post, path: "/v1/checks", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "update_check",
        title: "Update check",
        description: "Change the given fields of a check.",
        params: &[
            CHECK_ID,
            &[Param::string("name", 100, "")],
            CHECK_TARGET,
            CHECK_SCHEDULE,
            CHECK_PARAMETERS,
            &[Param::records(
                "secrets",
                &[("secret_id", "secret_id"), ("env_variable", "env_variable")],
                100,
                "Replaces all; secret_id from list_secrets; [] removes all.",
            )],
        ],
        effect: Effect::Update,
        toolset: Toolset::Checks,
        action: Action::Api { method: Patch, path: "/v1/checks/{check_id}", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_check",
        title: "Delete check",
        description: "Delete a check with its results, secret attachments and alert rules. Irreversible.",
        params: &[CHECK_ID],
        effect: Effect::Delete,
        toolset: Toolset::Checks,
        action: Action::Api { method: Delete, path: "/v1/checks/{check_id}", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "pause_check",
        title: "Pause check",
        description: "Pause a check until resume_check.",
        params: &[CHECK_ID],
        effect: Effect::Update,
        toolset: Toolset::Checks,
        action: Action::Api {
            method: Patch,
            path: "/v1/checks/{check_id}",
            query: &[],
            body: Body::Literal(r#"{"active":false}"#),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "resume_check",
        title: "Resume check",
        description: "Resume a paused check.",
        params: &[CHECK_ID],
        effect: Effect::Update,
        toolset: Toolset::Checks,
        action: Action::Api {
            method: Patch,
            path: "/v1/checks/{check_id}",
            query: &[],
            body: Body::Literal(r#"{"active":true}"#),
        },
        output_schema: None,
    },
    // Check groups and secrets.
    ToolSpec {
        name: "list_check_groups",
        title: "List check groups",
        description: "List check groups with their check counts.",
        params: &[PAGING],
        effect: Effect::Read,
        toolset: Toolset::CheckGroups,
        action: Action::Api {
            method: Get,
            path: "/v1/check-groups",
            query: &[("page", "page"), ("page_size", "page_size")],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("groups")),
    },
    ToolSpec {
        name: "get_check_group_details",
        title: "Get check group details",
        description: "Get one check group.",
        params: &[CHECK_GROUP_ID],
        effect: Effect::Read,
        toolset: Toolset::CheckGroups,
        action: Action::Api { method: Get, path: "/v1/check-groups/{group_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_checks_in_group",
        title: "List checks in a group",
        description: "List the checks of a check group.",
        params: &[CHECK_GROUP_ID, PAGING],
        effect: Effect::Read,
        toolset: Toolset::CheckGroups,
        action: Action::Api {
            method: Get,
            path: "/v1/check-groups/{group_id}/checks",
            query: &[("page", "page"), ("page_size", "page_size")],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("checks")),
    },
    ToolSpec {
        name: "list_secrets",
        title: "List secrets",
        description: "List secrets (names and ids, never values).",
        params: &[PAGING],
        effect: Effect::Read,
        toolset: Toolset::Secrets,
        action: Action::Api {
            method: Get,
            path: "/v1/secrets",
            query: &[("page", "page"), ("page_size", "page_size")],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("secrets")),
    },
    ToolSpec {
        name: "get_secret_details",
        title: "Get secret details",
        description: "Get a secret's metadata; the value is redacted unless PINGERA_SHOW_SECRET_VALUES=true.",
        params: &[SECRET_ID],
        effect: Effect::Read,
        toolset: Toolset::Secrets,
        action: Action::Api { method: Get, path: "/v1/secrets/{secret_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_check_secrets",
        title: "List a check's secrets",
        description: "List the secrets attached to a check with their environment variables.",
        params: &[CHECK_ID],
        effect: Effect::Read,
        toolset: Toolset::Secrets,
        action: Action::Api { method: Get, path: "/v1/checks/{check_id}/secrets", query: &[], body: Body::None },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "create_secret",
        title: "Create secret",
        description: "Store a secret for check scripts; attach it with add_secret_to_check.",
        params: &[&[
            Param::string("name", 100, "E.g. API_TOKEN.").required(),
            Param::secret("value", 10_000, ""),
        ]],
        effect: Effect::Create,
        toolset: Toolset::Secrets,
        action: Action::Api {
            method: Post,
            path: "/v1/secrets",
            query: &[],
            body: Body::Fields(&[("name", "secret_name"), ("value", "secret_value")]),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "update_secret",
        title: "Update secret value",
        description: "Replace a secret's value.",
        params: &[SECRET_ID, &[Param::secret("value", 10_000, "")]],
        effect: Effect::Update,
        toolset: Toolset::Secrets,
        action: Action::Api {
            method: Patch,
            path: "/v1/secrets/{secret_id}",
            query: &[],
            body: Body::Fields(&[("value", "secret_value")]),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_secret",
        title: "Delete secret",
        description: "Delete a secret and detach it from every check.",
        params: &[SECRET_ID],
        effect: Effect::Delete,
        toolset: Toolset::Secrets,
        action: Action::Api { method: Delete, path: "/v1/secrets/{secret_id}", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "add_secret_to_check",
        title: "Attach secret to check",
        description: "Expose a secret to a check as an environment variable.",
        params: &[
            CHECK_ID,
            SECRET_ID,
            &[Param::string("env_var_name", 100, "E.g. API_TOKEN.").required()],
        ],
        effect: Effect::Create,
        toolset: Toolset::Secrets,
        action: Action::Api {
            method: Post,
            path: "/v1/checks/{check_id}/secrets",
            query: &[],
            body: Body::Fields(&[("secret_id", "secret_id"), ("env_var_name", "env_variable")]),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "update_check_secrets",
        title: "Replace a check's secrets",
        description: "Replace all secret attachments of a check ([] detaches all).",
        params: &[
            CHECK_ID,
            &[Param::records(
                "secrets",
                &[("secret_id", "secret_id"), ("env_var_name", "env_variable")],
                100,
                "secret_id from list_secrets.",
            )
            .required()],
        ],
        effect: Effect::Update,
        toolset: Toolset::Secrets,
        action: Action::Api {
            method: Put,
            path: "/v1/checks/{check_id}/secrets",
            query: &[],
            body: Body::Arg("secrets"),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "remove_secret_from_check",
        title: "Detach secret from check",
        description: "Detach a secret from a check (the secret stays).",
        params: &[CHECK_ID, SECRET_ID],
        effect: Effect::Delete,
        toolset: Toolset::Secrets,
        action: Action::Api {
            method: Delete,
            path: "/v1/checks/{check_id}/secrets/{secret_id}",
            query: &[],
            body: Body::None,
        },
        output_schema: None,
    },
    // Alerts.
    ToolSpec {
        name: "list_alerts",
        title: "List alerts",
        description: "List fired alerts, newest first.",
        params: &[PAGING, &[Param::one_of("status", ALERT_STATUSES, "")]],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api {
            method: Get,
            path: "/v1/alerts",
            query: &[("page", "page"), ("page_size", "per_page"), ("status", "status")],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("alerts")),
    },
    ToolSpec {
        name: "get_alert_details",
        title: "Get alert details",
        description: "Get one fired alert with its regional results.",
        params: &[&[Param::id("alert_id", "From list_alerts.")]],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Get, path: "/v1/alerts/{alert_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_alert_statistics",
        title: "Get alert statistics",
        description: "Counts of alerts, rules and channels, and active alerts by severity.",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Get, path: "/v1/alerts/stats", query: &[], body: Body::None },
        output_schema: Some(shape::any_object),
    },
    ToolSpec {
        name: "list_alert_channels",
        title: "List alert channels",
        description: "List notification channels (their ids go in channel_ids).",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Get, path: "/v1/alerts/channels", query: &[], body: Body::None },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "list_alert_rules",
        title: "List alert rules",
        description: "List alert rules (a rule's id is the alert_id of update_alert and delete_alert).",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Get, path: "/v1/alerts/rules", query: &[], body: Body::None },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "create_alert",
        title: "Create alert rule",
        description: "Create an alert rule that notifies channels when a check meets a condition.",
        params: &[&[Param::object("alert_data", ALERT_RULE_DATA).required()]],
        effect: Effect::Create,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Post, path: "/v1/alerts/rules", query: &[], body: Body::Arg("alert_data") },
        output_schema: None,
    },
    ToolSpec {
        name: "update_alert",
        title: "Replace alert rule",
        description: "Replace an alert rule (PUT: omitted optional fields reset).",
        params: &[RULE_ID, &[Param::object("alert_data", ALERT_RULE_DATA).required()]],
        effect: Effect::Update,
        toolset: Toolset::Alerts,
        action: Action::Api {
            method: Put,
            path: "/v1/alerts/rules/{alert_id}",
            query: &[],
            body: Body::Arg("alert_data"),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_alert",
        title: "Delete alert rule",
        description: "Delete an alert rule (fired alerts stay).",
        params: &[RULE_ID],
        effect: Effect::Delete,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Delete, path: "/v1/alerts/rules/{alert_id}", query: &[], body: Body::None },
        output_schema: None,
    },
    // Heartbeats.
    ToolSpec {
        name: "list_heartbeats",
        title: "List heartbeats",
        description: "List heartbeat (cron) monitors with status and ping URL.",
        params: &[
            PAGING,
            &[Param::string("status", 50, IGNORED)],
        ],
        effect: Effect::Read,
        toolset: Toolset::Heartbeats,
        action: Action::Api {
            method: Get,
            path: "/v1/heartbeats",
            query: &[("page", "page"), ("page_size", "per_page")],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("checks")),
    },
    ToolSpec {
        name: "get_heartbeat_details",
        title: "Get heartbeat details",
        description: "Get one heartbeat with its recent pings.",
        params: &[HEARTBEAT_ID],
        effect: Effect::Read,
        toolset: Toolset::Heartbeats,
        action: Action::Api { method: Get, path: "/v1/heartbeats/{heartbeat_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "create_heartbeat",
        title: "Create heartbeat",
        description: "Create a heartbeat; the watched job must call its ping_url every period_seconds.",
        params: &[&[Param::object("heartbeat_data", HEARTBEAT_DATA).required()]],
        effect: Effect::Create,
        toolset: Toolset::Heartbeats,
        action: Action::Api { method: Post, path: "/v1/heartbeats", query: &[], body: Body::Arg("heartbeat_data") },
        output_schema: None,
    },
    ToolSpec {
        name: "update_heartbeat",
        title: "Update heartbeat",
        description: "Change the given fields of a heartbeat (active: false pauses it).",
        params: &[HEARTBEAT_ID, &[Param::object("heartbeat_data", HEARTBEAT_DATA).required()]],
        effect: Effect::Update,
        toolset: Toolset::Heartbeats,
        action: Action::Api {
            method: Patch,
            path: "/v1/heartbeats/{heartbeat_id}",
            query: &[],
            body: Body::Arg("heartbeat_data"),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_heartbeat",
        title: "Delete heartbeat",
        description: "Delete a heartbeat and its pings.",
        params: &[HEARTBEAT_ID],
        effect: Effect::Delete,
        toolset: Toolset::Heartbeats,
        action: Action::Api { method: Delete, path: "/v1/heartbeats/{heartbeat_id}", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "send_heartbeat_ping",
        title: "Send heartbeat ping",
        description: "Record a ping by hand, as the watched job would.",
        params: &[HEARTBEAT_ID],
        effect: Effect::Create,
        toolset: Toolset::Heartbeats,
        action: Action::Api { method: Post, path: "/v1/heartbeats/{heartbeat_id}/ping", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "get_heartbeat_logs",
        title: "Get heartbeat pings",
        description: "List a heartbeat's pings, newest first.",
        params: &[HEARTBEAT_ID, DATE_WINDOW, PAGING],
        effect: Effect::Read,
        toolset: Toolset::Heartbeats,
        action: Action::Api {
            method: Get,
            path: "/v1/heartbeats/{heartbeat_id}/pings",
            query: &[("from_date", "start_date"), ("to_date", "end_date"), ("page", "page"), ("page_size", "per_page")],
            body: Body::None,
        },
        output_schema: Some(|| shape::envelope("pings")),
    },
    // Incidents.
    ToolSpec {
        name: "list_incidents",
        title: "List incidents",
        description: "List a page's incidents and maintenances with their updates.",
        params: &[PAGE_ID, PAGING, &[Param::one_of("status", INCIDENT_STATUSES, "")]],
        effect: Effect::Read,
        toolset: Toolset::Incidents,
        action: Action::Custom(custom::list_incidents),
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "get_incident_details",
        title: "Get incident details",
        description: "Get one incident with its components and updates.",
        params: &[PAGE_ID, INCIDENT_ID],
        effect: Effect::Read,
        toolset: Toolset::Incidents,
        action: Action::Api {
            method: Get,
            path: "/v1/pages/{page_id}/incidents/{incident_id}",
            query: &[],
            body: Body::None,
        },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_incident_updates",
        title: "List incident updates",
        description: "List an incident's updates, newest first.",
        params: &[PAGE_ID, INCIDENT_ID],
        effect: Effect::Read,
        toolset: Toolset::Incidents,
        action: Action::Api {
            method: Get,
            path: "/v1/pages/{page_id}/incidents/{incident_id}/incident_updates",
            query: &[],
            body: Body::None,
        },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "get_incident_update_details",
        title: "Get incident update",
        description: "Get one incident update.",
        params: &[PAGE_ID, INCIDENT_ID, UPDATE_ID],
        effect: Effect::Read,
        toolset: Toolset::Incidents,
        action: Action::Custom(custom::incident_update_details),
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "create_incident",
        title: "Create incident",
        description: "Open an incident or schedule a maintenance (auto_transition_* and scheduled_* fields), optionally setting component statuses.",
        params: &[
            PAGE_ID,
            &[
                Param::string("name", 200, "").required(),
                Param::one_of("status", INCIDENT_STATUSES, "scheduled to completed: maintenances.").required(),
            ],
            INCIDENT_FIELDS,
            &[Param::object("metadata", "Free-form; settable only here.")],
        ],
        effect: Effect::Create,
        toolset: Toolset::Incidents,
        action: Action::Api { method: Post, path: "/v1/pages/{page_id}/incidents", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "update_incident",
        title: "Replace incident",
        description: "Replace an incident (PUT: omitted fields reset). Prefer patch_incident; post progress with add_incident_update. auto_transition_* and scheduled_* apply to maintenances.",
        params: &[PAGE_ID, INCIDENT_ID, INCIDENT_EDIT, INCIDENT_FIELDS],
        effect: Effect::Update,
        toolset: Toolset::Incidents,
        action: Action::Api {
            method: Put,
            path: "/v1/pages/{page_id}/incidents/{incident_id}",
            query: &[],
            body: Body::Params,
        },
        output_schema: None,
    },
    ToolSpec {
        name: "patch_incident",
        title: "Update incident fields",
        description: "Change the given fields of an incident; post progress with add_incident_update. auto_transition_* and scheduled_* apply to maintenances.",
        params: &[PAGE_ID, INCIDENT_ID, INCIDENT_EDIT, INCIDENT_FIELDS],
        effect: Effect::Update,
        toolset: Toolset::Incidents,
        action: Action::Api {
            method: Patch,
            path: "/v1/pages/{page_id}/incidents/{incident_id}",
            query: &[],
            body: Body::Params,
        },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_incident",
        title: "Delete incident",
        description: "Delete an incident and its updates. Irreversible.",
        params: &[PAGE_ID, INCIDENT_ID],
        effect: Effect::Delete,
        toolset: Toolset::Incidents,
        action: Action::Api {
            method: Delete,
            path: "/v1/pages/{page_id}/incidents/{incident_id}",
            query: &[],
            body: Body::None,
        },
        output_schema: None,
    },
    ToolSpec {
        name: "add_incident_update",
        title: "Post incident update",
        description: "Post an update to an incident's timeline; the incident takes its status.",
        params: &[
            PAGE_ID,
            INCIDENT_ID,
            &[Param::object(
                "update_data",
                "status (required: investigating, identified, monitoring, resolved), body, deliver_notifications \
                 (default true), components ({component_id: status}).",
            )
            .required()],
        ],
        effect: Effect::Create,
        toolset: Toolset::Incidents,
        action: Action::Api {
            method: Post,
            path: "/v1/pages/{page_id}/incidents/{incident_id}/incident_updates",
            query: &[],
            body: Body::Arg("update_data"),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "update_incident_update",
        title: "Edit incident update",
        description: "Edit an incident update's message or time.",
        params: &[
            PAGE_ID,
            INCIDENT_ID,
            UPDATE_ID,
            &[Param::object("update_data", "body, created_at (ISO 8601).")
                .required()],
        ],
        effect: Effect::Update,
        toolset: Toolset::Incidents,
        action: Action::Api {
            method: Patch,
            path: "/v1/pages/{page_id}/incidents/{incident_id}/incident_updates/{update_id}",
            query: &[],
            body: Body::Arg("update_data"),
        },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_incident_update",
        title: "Delete incident update",
        description: "Delete an incident update.",
        params: &[PAGE_ID, INCIDENT_ID, UPDATE_ID],
        effect: Effect::Delete,
        toolset: Toolset::Incidents,
        action: Action::Api {
            method: Delete,
            path: "/v1/pages/{page_id}/incidents/{incident_id}/incident_updates/{update_id}",
            query: &[],
            body: Body::None,
        },
        output_schema: None,
    },
    // Script generators (local).
    ToolSpec {
        name: "generate_synthetic_check_script",
        title: "Generate browser check script",
        description: "Write a Playwright browser test for a synthetic check (local; use it as parameters.pw_script).",
        params: &[&[
            Param::string("description", 2_000, "What to verify.").required(),
            Param::string("target_url", 2048, "").required(),
            Param::string("script_name", 100, ""),
        ]],
        effect: Effect::Local,
        toolset: Toolset::Scripts,
        action: Action::Custom(scripts::synthetic),
        output_schema: Some(scripts::output_schema),
    },
    ToolSpec {
        name: "generate_api_check_script",
        title: "Generate API check script",
        description: "Write a Playwright API test for a multistep check (local; use it as parameters.pw_script).",
        params: &[&[
            Param::string("url", 2048, "").required(),
            Param::string("description", 2_000, "What to verify.").required(),
            Param::one_of("method", HTTP_METHODS, "Default GET."),
            Param::str_map("headers", &[], ""),
            Param::object("payload", "JSON body."),
            Param::int("expected_status", 100, 599, "Default: any below 400."),
            Param::string("contains_string", 1_000, "Text the body must contain."),
            Param::string("custom_code", 20_000, "Playwright code run at the end; can use response."),
        ]],
        effect: Effect::Local,
        toolset: Toolset::Scripts,
        action: Action::Custom(scripts::api),
        output_schema: Some(scripts::output_schema),
    },
];
