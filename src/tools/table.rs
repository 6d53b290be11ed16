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

const PAGE_ID: &[Param] = &[Param::id("page_id", "The status page id, from list_pages.")];
const COMPONENT_ID: &[Param] =
    &[Param::id("component_id", "The component id, from list_components or list_component_groups.")];
const CHECK_ID: &[Param] = &[Param::id("check_id", "The check id, from list_checks.")];
const CHECK_GROUP_ID: &[Param] = &[Param::id("group_id", "The check group id, from list_check_groups.")];
const SECRET_ID: &[Param] = &[Param::id("secret_id", "The secret id, from list_secrets.")];
const JOB_ID: &[Param] = &[Param::id(
    "job_id",
    "The job id, from execute_custom_check, execute_existing_check, list_check_jobs or list_on_demand_checks.",
)];
const RULE_ID: &[Param] = &[Param::id("alert_id", "The alert rule id, from list_alert_rules (not an alert id).")];
const HEARTBEAT_ID: &[Param] = &[Param::id("heartbeat_id", "The heartbeat id, from list_heartbeats.")];
const INCIDENT_ID: &[Param] = &[Param::id("incident_id", "The incident id, from list_incidents.")];
const UPDATE_ID: &[Param] = &[Param::id("update_id", "The incident update id, from get_incident_updates.")];
const PAGING: &[Param] = &[Param::page(), Param::page_size("page_size")];
const DATE_WINDOW: &[Param] = &[
    Param::date("from_date", "Start of the time window, ISO 8601 (e.g. 2026-11-24T00:00:00Z)."),
    Param::date("to_date", "End of the time window, ISO 8601."),
];

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
    Param::string(
        "subdomain",
        100,
        "Subdomain of the hosted page, letters, digits and dashes (e.g. acme for acme.pingera.ru).",
    ),
    Param::string("domain", 100, "Custom domain (e.g. status.example.com)."),
    Param::string("url", 200, "URL of the company website."),
    Param::one_of("language", &["ru", "en"], "Page language."),
    Param::string("headline", 200, "Headline shown at the top of the page."),
    Param::string("page_description", 10_000, "Description shown on the page."),
    Param::string("time_zone", 100, "IANA time zone name, e.g. Europe/Moscow."),
    Param::string("country", 100, "Country of the company."),
    Param::string("city", 100, "City of the company."),
    Param::string("state", 100, "State or region of the company."),
    Param::boolean("viewers_must_be_team_members", "Only team members may view the page."),
    Param::boolean("hidden_from_search", "Ask search engines not to index the page."),
    Param::boolean("allow_page_subscribers", "Visitors may subscribe to the whole page."),
    Param::boolean("allow_incident_subscribers", "Visitors may subscribe to single incidents."),
    Param::boolean("allow_email_subscribers", "Subscriptions by e-mail."),
    Param::boolean("allow_sms_subscribers", "Subscriptions by SMS."),
    Param::boolean("allow_webhook_subscribers", "Subscriptions by webhook."),
    Param::boolean("allow_rss_atom_feeds", "Publish RSS and Atom feeds."),
    Param::string("support_url", 200, "URL of the support site."),
];

/// The writable fields of a component (Component / Component1) other than its name.
const COMPONENT_FIELDS: &[Param] = &[
    Param::string("description", 10_000, "Description shown with the component."),
    Param::boolean("group", "true makes this a component group that other components can belong to."),
    Param::opt_id(
        "group_id",
        "The group this component belongs to: a group component's id, from list_component_groups. To take a \
         component out of its group, use update_component without group_id.",
    ),
    Param::boolean("only_show_if_degraded", "Show the component only while it is not operational."),
    Param::int("position", 0, 1_000_000, "Position on the page, 0 first."),
    Param::boolean("showcase", "Show the component's uptime bar on the page."),
    Param::one_of("status", COMPONENT_STATUSES, "Current status of the component."),
    Param::date("start_date", "Date the component started being monitored, ISO 8601."),
];

/// The target and timing fields of a check, shared by create_check, update_check and execute_custom_check.
const CHECK_TARGET: &[Param] = &[
    Param::string("url", 2048, "URL to probe (web and api checks; ssl checks may use it instead of host)."),
    Param::string("host", 255, "Host name or IP address (tcp, ssl, icmp, dns and portscan checks)."),
    Param::int("port", 1, 65_535, "Port (tcp checks; ssl checks default to 443)."),
];
const CHECK_SCHEDULE: &[Param] = &[
    Param::int("interval", 30, 86_400, "Seconds between runs, 30 to 86400 (API default 300)."),
    Param::int("timeout", 1, 180, "Seconds one run may take, 1 to 180 (API default 30)."),
    Param::boolean("active", "false pauses the check (API default true)."),
];
const CHECK_PARAMETERS: &[Param] = &[Param::object(
    "parameters",
    "Type-specific settings: pw_script (the Playwright script of synthetic and multistep checks, see the \
     generate_*_script tools), regions (list of region ids, e.g. [\"ru-msk\"]), multi_region_execution (bool), \
     and e.g. expected status codes or keywords for web and api checks.",
)];

/// The incident fields that IncidentCreate and the edit model (PUT and PATCH) share, other than name and status.
const INCIDENT_FIELDS: &[Param] = &[
    Param::string("body", 100_000, "Message shown with the incident (the first update's text)."),
    Param::one_of("impact", IMPACTS, "Impact of the incident."),
    Param::boolean("deliver_notifications", "Notify subscribers (API default true)."),
    Param::str_map(
        "components",
        COMPONENT_STATUSES,
        "Affected components and their new status: {component_id: status}, ids from list_components, e.g. \
         {\"cmpweb000001\": \"partial_outage\"}.",
    ),
    Param::boolean(
        "auto_transition_to_maintenance_state",
        "Scheduled maintenance: set components to under_maintenance when it starts.",
    ),
    Param::boolean(
        "auto_transition_to_operational_state",
        "Scheduled maintenance: set components back to operational when it ends.",
    ),
    Param::boolean(
        "auto_transition_deliver_notifications_at_start",
        "Scheduled maintenance: notify subscribers when it starts.",
    ),
    Param::boolean(
        "auto_transition_deliver_notifications_at_end",
        "Scheduled maintenance: notify subscribers when it ends.",
    ),
    Param::date("scheduled_for", "Scheduled maintenance: start, ISO 8601."),
    Param::date("scheduled_until", "Scheduled maintenance: end, ISO 8601."),
    Param::boolean("scheduled_remind_prior", "Scheduled maintenance: remind subscribers before it starts."),
    Param::boolean(
        "scheduled_auto_in_progress",
        "Scheduled maintenance: move to in_progress automatically at the start.",
    ),
    Param::boolean("scheduled_auto_completed", "Scheduled maintenance: move to completed automatically at the end."),
    Param::string("reminder_intervals", 200, "Scheduled maintenance: reminder intervals, as the API expects them."),
];
const INCIDENT_EDIT: &[Param] = &[
    Param::string("name", 200, "Incident title, 1 to 200 characters."),
    Param::one_of("status", INCIDENT_STATUSES, "Incident status."),
];

const ALERT_RULE_DATA: &str = "The alert rule: name (required, 1 to 100 characters), check_id (required, from \
    list_checks), condition (required: check_failed, check_timeout, check_degraded, consecutive_failures or \
    uptime_below_threshold), channel_ids (required, at least one id from list_alert_channels), condition_parameters \
    (object, e.g. {\"failures\": 3}), severity (low, medium, high or critical), enabled, auto_resolve, \
    cooldown_period (seconds), multi_region_mode (any_region, all_regions, majority or specific_count), \
    multi_region_threshold.";
const HEARTBEAT_DATA: &str = "The heartbeat: name (1 to 100 characters), period_seconds (expected seconds between \
    pings, at least 60), grace_seconds (extra seconds before it counts as down, at least 60; API default 3600), \
    active (false pauses it).";

// ---- The table ----------------------------------------------------------------------------------------------

/// Every tool, in the order `tools/list` shows them.
pub static TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "test_pingera_connection",
        title: "Test Pingera connection",
        description: "Check that the Pingera API is reachable and accepts the configured credential. Use it first \
                      when other tools fail with connection or authentication errors.",
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
        description: "List the organisation's status pages with their ids, names, domains and settings. Start here: \
                      page ids are needed by the component and incident tools.",
        params: &[&[
            Param::page(),
            Param::page_size("per_page"),
            Param::string(
                "status",
                50,
                "Accepted for compatibility with the reference implementation; the API \
                does not filter pages by status.",
            ),
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
        description: "Get the full configuration of one status page (name, domains, subscriptions, branding). Page \
                      ids come from list_pages.",
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
        description: "Create a status page. Only name is required; the reply carries the new page's id.",
        params: &[&[Param::string("name", 100, "Page name, 1 to 100 characters.").required()], PAGE_FIELDS],
        effect: Effect::Create,
        toolset: Toolset::Pages,
        action: Action::Api { method: Post, path: "/v1/pages", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "update_page",
        title: "Replace status page settings",
        description: "Update a status page with PUT: settings you leave out go back to their defaults. Prefer \
                      patch_page to change a few fields. Page ids come from list_pages.",
        params: &[PAGE_ID, &[Param::string("name", 100, "Page name, 1 to 100 characters.")], PAGE_FIELDS],
        effect: Effect::Update,
        toolset: Toolset::Pages,
        action: Action::Api { method: Put, path: "/v1/pages/{page_id}", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "patch_page",
        title: "Update status page fields",
        description: "Change only the given fields of a status page (PATCH); the recommended way to edit a page. \
                      Page ids come from list_pages.",
        params: &[PAGE_ID, &[Param::string("name", 100, "Page name, 1 to 100 characters.")], PAGE_FIELDS],
        effect: Effect::Update,
        toolset: Toolset::Pages,
        action: Action::Api { method: Patch, path: "/v1/pages/{page_id}", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "delete_page",
        title: "Delete status page",
        description: "Delete a status page with all its components and incidents. This cannot be undone.",
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
        description: "List only the component groups of a status page (components with group: true), whose ids \
                      other components use as group_id. Page ids come from list_pages.",
        params: &[
            PAGE_ID,
            &[Param::boolean(
                "show_deleted",
                "Accepted for compatibility with the reference implementation; the API \
            never lists deleted groups.",
            )],
        ],
        effect: Effect::Read,
        toolset: Toolset::Components,
        action: Action::Api { method: Get, path: "/v1/pages/{page_id}/component-groups", query: &[], body: Body::None },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "list_components",
        title: "List components",
        description: "List every component and component group of a status page with its id and status. The API \
                      returns them all at once; page and page_size select a slice. Page ids come from list_pages.",
        params: &[PAGE_ID, PAGING],
        effect: Effect::Read,
        toolset: Toolset::Components,
        action: Action::Custom(custom::list_components),
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "get_component_details",
        title: "Get component details",
        description: "Get one component of a status page (status, group, position). Ids come from list_pages and \
                      list_components.",
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
        description: "Add a component (or, with group: true, a component group) to a status page. Page ids come \
                      from list_pages; the reply carries the new component's id.",
        params: &[
            PAGE_ID,
            &[Param::string("name", 100, "Component name, 1 to 100 characters.").required()],
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
        description: "Update a component with PUT: settings you leave out go back to their defaults. Prefer \
                      patch_component to change a few fields. Ids come from list_pages and list_components.",
        params: &[
            PAGE_ID,
            COMPONENT_ID,
            &[Param::string("name", 100, "Component name, 1 to 100 characters.")],
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
        description: "Change only the given fields of a component (PATCH), e.g. its status during an incident; the \
                      recommended way to edit a component. Ids come from list_pages and list_components.",
        params: &[
            PAGE_ID,
            COMPONENT_ID,
            &[Param::string("name", 100, "Component name, 1 to 100 characters.")],
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
        description: "Delete a component from a status page; members of a deleted group become top-level. Ids come \
                      from list_pages and list_components.",
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
        description: "List monitoring checks (web, api, ssl, tcp, synthetic, ...) with their ids, targets and \
                      current status, optionally filtered. Start here for the check tools.",
        params: &[
            PAGING,
            &[
                Param::one_of("type", CHECK_TYPES, "Only checks of this type."),
                Param::string(
                    "status",
                    200,
                    "Only checks in these statuses, comma-separated: ok, failed, degraded, \
                    timeout, pending, paused.",
                ),
                Param::opt_id("group_id", "Only checks of this group (from list_check_groups), or \"ungrouped\"."),
                Param::string("name", 100, "Only checks whose name contains this text (case-insensitive)."),
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
        description: "Get one check's configuration, status and group. Check ids come from list_checks.",
        params: &[CHECK_ID],
        effect: Effect::Read,
        toolset: Toolset::Checks,
        action: Action::Api { method: Get, path: "/v1/checks/{check_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_check_results",
        title: "Get check results",
        description: "List a check's results (status, response time, error, probe region), newest first, \
                      optionally within a time window. Check ids come from list_checks.",
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
        description: "Summarise a check: uptime percentage, successful and failed runs and average response time \
                      over a window (all time by default), plus its latest status runs. Check ids come from \
                      list_checks.",
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
        description: "List the latest on-demand check executions (jobs) with their status and results, newest \
                      first. Use list_on_demand_checks to page through older ones.",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Get, path: "/v1/checks/jobs", query: &[], body: Body::None },
        output_schema: Some(|| shape::envelope("jobs")),
    },
    ToolSpec {
        name: "get_check_job_details",
        title: "Get check job details",
        description: "Get one on-demand execution job: status (pending, running, completed, failed), parameters \
                      and result. Job ids come from execute_custom_check, execute_existing_check or list_check_jobs.",
        params: &[JOB_ID],
        effect: Effect::Read,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Get, path: "/v1/checks/jobs/{job_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_unified_results",
        title: "Get results across checks",
        description: "List check results across all checks (or the given ones), newest first, filtered by status \
                      and time window. Check ids come from list_checks.",
        params: &[
            &[Param::id_list(
                "check_ids",
                20,
                "Only results of these checks (ids from list_checks); all checks when \
                    absent. With several ids the tool asks once per check and merges the \
                    results.",
            )],
            DATE_WINDOW,
            &[Param::one_of("status", RESULT_STATUSES, "Only results with this status.")],
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
        description: "Uptime and status history per check, with a summary, across all checks (or the given ones) \
                      over a time window. Check ids come from list_checks.",
        params: &[
            &[Param::id_list(
                "check_ids",
                20,
                "Only these checks (ids from list_checks); all checks when absent. With \
                several ids the answer is {\"by_check\": {check_id: statistics}}.",
            )],
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
        description: "Run a one-off check that is not saved (e.g. to try a URL or a Playwright script) from \
                      Pingera's probes. It queues a job: poll get_on_demand_job_status with the returned job_id.",
        params: &[
            &[
                Param::one_of("type", CHECK_TYPES, "Check type.").required(),
                Param::string("name", 100, "A name for the run, 1 to 100 characters.").required(),
            ],
            CHECK_TARGET,
            &[Param::int("timeout", 1, 180, "Seconds the run may take, 1 to 180 (API default 30).")],
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
        description: "Run a saved check immediately, outside its schedule. It queues a job: poll \
                      get_on_demand_job_status with the returned job_id. Check ids come from list_checks.",
        params: &[CHECK_ID],
        effect: Effect::Create,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Post, path: "/v1/checks/{check_id}/execute", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "get_on_demand_job_status",
        title: "Get on-demand job status",
        description: "Poll an on-demand execution: its status (pending, running, completed, failed) and, once \
                      completed, its result. Job ids come from execute_custom_check or execute_existing_check.",
        params: &[JOB_ID],
        effect: Effect::Read,
        toolset: Toolset::OnDemand,
        action: Action::Api { method: Get, path: "/v1/checks/jobs/{job_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "list_on_demand_checks",
        title: "List on-demand checks",
        description: "Page through on-demand check executions (jobs), newest first.",
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
        description: "Create a monitoring check. web and api checks need url; tcp checks need host and port; ssl \
                      checks need url or host. The reply carries the new check's id.",
        params: &[
            &[
                Param::string("name", 100, "Check name, 1 to 100 characters.").required(),
                Param::one_of("type", CHECK_TYPES, "Check type.").required(),
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
        description: "Change the given fields of a check (PATCH). Check ids come from list_checks.",
        params: &[
            CHECK_ID,
            &[Param::string("name", 100, "Check name, 1 to 100 characters.")],
            CHECK_TARGET,
            CHECK_SCHEDULE,
            CHECK_PARAMETERS,
            &[Param::records(
                "secrets",
                &[("secret_id", "secret_id"), ("env_variable", "env_variable")],
                100,
                "Replaces the check's secrets: [{\"secret_id\": id from list_secrets, \
                    \"env_variable\": name of the environment variable the script reads}]; \
                    [] removes all.",
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
        description: "Delete a check with its results, secret attachments and alert rules. This cannot be undone. \
                      Check ids come from list_checks.",
        params: &[CHECK_ID],
        effect: Effect::Delete,
        toolset: Toolset::Checks,
        action: Action::Api { method: Delete, path: "/v1/checks/{check_id}", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "pause_check",
        title: "Pause check",
        description: "Pause a check (sets active to false); it stops running until resume_check. Check ids come \
                      from list_checks.",
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
        description: "Resume a paused check (sets active to true). Check ids come from list_checks.",
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
        description: "List check groups with their ids and check counts; group ids filter list_checks and \
                      get_checks_in_group.",
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
        description: "Get one check group (name, description, colour, check count). Group ids come from \
                      list_check_groups.",
        params: &[CHECK_GROUP_ID],
        effect: Effect::Read,
        toolset: Toolset::CheckGroups,
        action: Action::Api { method: Get, path: "/v1/check-groups/{group_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_checks_in_group",
        title: "List checks in a group",
        description: "List the checks of one check group. Group ids come from list_check_groups.",
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
        description: "List the organisation's secrets (names and ids, never values). Secrets are passed to checks \
                      as environment variables; see add_secret_to_check.",
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
        description: "Get one secret's name and metadata. Its value is redacted unless the server runs with \
                      PINGERA_SHOW_SECRET_VALUES=true. Secret ids come from list_secrets.",
        params: &[SECRET_ID],
        effect: Effect::Read,
        toolset: Toolset::Secrets,
        action: Action::Api { method: Get, path: "/v1/secrets/{secret_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_check_secrets",
        title: "List a check's secrets",
        description: "List the secrets attached to a check and the environment variable each is exposed as. Check \
                      ids come from list_checks.",
        params: &[CHECK_ID],
        effect: Effect::Read,
        toolset: Toolset::Secrets,
        action: Action::Api { method: Get, path: "/v1/checks/{check_id}/secrets", query: &[], body: Body::None },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "create_secret",
        title: "Create secret",
        description: "Store a secret (e.g. an API token a check's script needs). Attach it to checks with \
                      add_secret_to_check. The reply carries the new secret's id; the value is not echoed.",
        params: &[&[
            Param::string("name", 100, "Secret name, 1 to 100 characters, e.g. API_TOKEN.").required(),
            Param::secret("value", 10_000, "The secret value."),
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
        description: "Replace a secret's value; checks using it get the new value on their next run. Secret ids \
                      come from list_secrets.",
        params: &[SECRET_ID, &[Param::secret("value", 10_000, "The new secret value.")]],
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
        description: "Delete a secret and detach it from every check. Secret ids come from list_secrets.",
        params: &[SECRET_ID],
        effect: Effect::Delete,
        toolset: Toolset::Secrets,
        action: Action::Api { method: Delete, path: "/v1/secrets/{secret_id}", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "add_secret_to_check",
        title: "Attach secret to check",
        description: "Expose a secret to a check as an environment variable. Ids come from list_checks and \
                      list_secrets.",
        params: &[
            CHECK_ID,
            SECRET_ID,
            &[Param::string("env_var_name", 100, "Name of the environment variable, e.g. API_TOKEN.").required()],
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
        description: "Replace all secret attachments of a check with the given list ([] detaches all). Ids come from \
                      list_checks and list_secrets.",
        params: &[
            CHECK_ID,
            &[Param::records(
                "secrets",
                &[("secret_id", "secret_id"), ("env_var_name", "env_variable")],
                100,
                "The new attachments: [{\"secret_id\": id from list_secrets, \
                    \"env_var_name\": environment variable name}].",
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
        description: "Detach a secret from a check (the secret itself stays). Ids come from get_check_secrets.",
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
        description: "List fired alerts (firing, acknowledged, resolved, suppressed) with their rule, check and \
                      severity, newest first.",
        params: &[PAGING, &[Param::one_of("status", ALERT_STATUSES, "Only alerts in this status.")]],
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
        description: "Get one fired alert: its rule, check, status, severity, timing and regional results. Alert \
                      ids come from list_alerts.",
        params: &[&[Param::id("alert_id", "The alert id, from list_alerts.")]],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Get, path: "/v1/alerts/{alert_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "get_alert_statistics",
        title: "Get alert statistics",
        description: "Counts of active and recent alerts, rules and channels, and active alerts by severity.",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Get, path: "/v1/alerts/stats", query: &[], body: Body::None },
        output_schema: Some(shape::any_object),
    },
    ToolSpec {
        name: "list_alert_channels",
        title: "List alert channels",
        description: "List notification channels (email, webhook, telegram, statuspage); their ids go into an \
                      alert rule's channel_ids.",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Get, path: "/v1/alerts/channels", query: &[], body: Body::None },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "list_alert_rules",
        title: "List alert rules",
        description: "List alert rules: which check, which condition, which channels. Rule ids are the alert_id of \
                      update_alert and delete_alert.",
        params: &[],
        effect: Effect::Read,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Get, path: "/v1/alerts/rules", query: &[], body: Body::None },
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "create_alert",
        title: "Create alert rule",
        description: "Create an alert rule that notifies channels when a check meets a condition. Check ids come \
                      from list_checks, channel ids from list_alert_channels.",
        params: &[&[Param::object("alert_data", ALERT_RULE_DATA).required()]],
        effect: Effect::Create,
        toolset: Toolset::Alerts,
        action: Action::Api { method: Post, path: "/v1/alerts/rules", query: &[], body: Body::Arg("alert_data") },
        output_schema: None,
    },
    ToolSpec {
        name: "update_alert",
        title: "Replace alert rule",
        description: "Update an alert rule with PUT: optional fields you leave out go back to their defaults; name, \
                      check_id, condition and channel_ids are kept when left out. Rule ids come from \
                      list_alert_rules.",
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
        description: "Delete an alert rule (fired alerts stay in the history). Rule ids come from list_alert_rules.",
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
        description: "List heartbeat (cron/dead-man's switch) monitors with their ids, status (up, grace, down, \
                      paused), ping URLs and last pings.",
        params: &[
            PAGING,
            &[Param::string(
                "status",
                50,
                "Accepted for compatibility with the reference implementation; the API \
                does not filter heartbeats by status.",
            )],
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
        description: "Get one heartbeat with its settings, status, ping URL and recent pings. Heartbeat ids come \
                      from list_heartbeats.",
        params: &[HEARTBEAT_ID],
        effect: Effect::Read,
        toolset: Toolset::Heartbeats,
        action: Action::Api { method: Get, path: "/v1/heartbeats/{heartbeat_id}", query: &[], body: Body::None },
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "create_heartbeat",
        title: "Create heartbeat",
        description: "Create a heartbeat monitor; the job it watches must call the returned ping_url every \
                      period_seconds.",
        params: &[&[Param::object("heartbeat_data", HEARTBEAT_DATA).required()]],
        effect: Effect::Create,
        toolset: Toolset::Heartbeats,
        action: Action::Api { method: Post, path: "/v1/heartbeats", query: &[], body: Body::Arg("heartbeat_data") },
        output_schema: None,
    },
    ToolSpec {
        name: "update_heartbeat",
        title: "Update heartbeat",
        description: "Change the given fields of a heartbeat (PATCH), e.g. active: false to pause it. Heartbeat ids \
                      come from list_heartbeats.",
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
        description: "Delete a heartbeat and its ping history. Heartbeat ids come from list_heartbeats.",
        params: &[HEARTBEAT_ID],
        effect: Effect::Delete,
        toolset: Toolset::Heartbeats,
        action: Action::Api { method: Delete, path: "/v1/heartbeats/{heartbeat_id}", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "send_heartbeat_ping",
        title: "Send heartbeat ping",
        description: "Record a ping for a heartbeat by hand, as its job would (e.g. to bring it back up after a fix). \
                      Heartbeat ids come from list_heartbeats.",
        params: &[HEARTBEAT_ID],
        effect: Effect::Create,
        toolset: Toolset::Heartbeats,
        action: Action::Api { method: Post, path: "/v1/heartbeats/{heartbeat_id}/ping", query: &[], body: Body::None },
        output_schema: None,
    },
    ToolSpec {
        name: "get_heartbeat_logs",
        title: "Get heartbeat pings",
        description: "List a heartbeat's pings (time, source IP, user agent), newest first, optionally within a \
                      time window. Heartbeat ids come from list_heartbeats.",
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
        description: "List the incidents and maintenances of a status page with their updates. The API returns them \
                      all at once; status, page and page_size filter and slice the reply. Page ids come from \
                      list_pages.",
        params: &[PAGE_ID, PAGING, &[Param::one_of("status", INCIDENT_STATUSES, "Only incidents in this status.")]],
        effect: Effect::Read,
        toolset: Toolset::Incidents,
        action: Action::Custom(custom::list_incidents),
        output_schema: Some(shape::wrapped_list),
    },
    ToolSpec {
        name: "get_incident_details",
        title: "Get incident details",
        description: "Get one incident with its affected components and updates timeline. Ids come from list_pages \
                      and list_incidents.",
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
        description: "List an incident's updates (status and message), newest first. Ids come from list_pages and \
                      list_incidents.",
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
        description: "Get one update of an incident. Ids come from list_pages, list_incidents and \
                      get_incident_updates.",
        params: &[PAGE_ID, INCIDENT_ID, UPDATE_ID],
        effect: Effect::Read,
        toolset: Toolset::Incidents,
        action: Action::Custom(custom::incident_update_details),
        output_schema: Some(shape::record),
    },
    ToolSpec {
        name: "create_incident",
        title: "Create incident",
        description: "Open an incident (or schedule a maintenance) on a status page, optionally setting affected \
                      components' status. Page ids come from list_pages; the reply carries the incident's id.",
        params: &[
            PAGE_ID,
            &[
                Param::string("name", 200, "Incident title, 1 to 200 characters.").required(),
                Param::one_of(
                    "status",
                    INCIDENT_STATUSES,
                    "Incident status (scheduled, in_progress, verifying and completed are \
                    for maintenances).",
                )
                .required(),
            ],
            INCIDENT_FIELDS,
            &[Param::object("metadata", "Free-form data stored with the incident (only settable at creation).")],
        ],
        effect: Effect::Create,
        toolset: Toolset::Incidents,
        action: Action::Api { method: Post, path: "/v1/pages/{page_id}/incidents", query: &[], body: Body::Params },
        output_schema: None,
    },
    ToolSpec {
        name: "update_incident",
        title: "Replace incident",
        description: "Update an incident with PUT: optional fields you leave out go back to their defaults. Prefer \
                      patch_incident to change a few fields, and add_incident_update to post progress. Ids come \
                      from list_pages and list_incidents.",
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
        description: "Change only the given fields of an incident (PATCH). To post progress with a message, use \
                      add_incident_update. Ids come from list_pages and list_incidents.",
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
        description: "Delete an incident and its updates. This cannot be undone. Ids come from list_pages and \
                      list_incidents.",
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
        description: "Post an update to an incident's timeline; the incident takes over its status. Ids come from \
                      list_pages and list_incidents.",
        params: &[
            PAGE_ID,
            INCIDENT_ID,
            &[Param::object(
                "update_data",
                "The update: status (required: investigating, identified, monitoring or resolved), body (the \
                 message), deliver_notifications (bool, API default true), components ({component_id: status}).",
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
        description: "Edit the message or time of an incident update (PATCH). Ids come from list_pages, \
                      list_incidents and get_incident_updates.",
        params: &[
            PAGE_ID,
            INCIDENT_ID,
            UPDATE_ID,
            &[Param::object("update_data", "The fields to change: body (the message), created_at (ISO 8601).")
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
        description: "Delete one update from an incident's timeline. Ids come from list_pages, list_incidents and \
                      get_incident_updates.",
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
        description: "Write a Playwright browser test template for a synthetic check of a web page. Nothing is \
                      sent to Pingera; pass the script to create_check as parameters.pw_script.",
        params: &[&[
            Param::string("description", 2_000, "What the check should verify, in words.").required(),
            Param::string("target_url", 2048, "The page to test.").required(),
            Param::string("script_name", 100, "A name for the script (default \"Synthetic Check - <target_url>\")."),
        ]],
        effect: Effect::Local,
        toolset: Toolset::Scripts,
        action: Action::Custom(scripts::synthetic),
        output_schema: Some(scripts::output_schema),
    },
    ToolSpec {
        name: "generate_api_check_script",
        title: "Generate API check script",
        description: "Write a Playwright API test template that sends one request and checks the answer, for a \
                      multistep check. Nothing is sent to Pingera; pass the script to create_check as \
                      parameters.pw_script.",
        params: &[&[
            Param::string("url", 2048, "The endpoint to call.").required(),
            Param::string("description", 2_000, "What the check should verify, in words.").required(),
            Param::one_of("method", HTTP_METHODS, "HTTP method (default GET)."),
            Param::str_map("headers", &[], "Request headers, {name: value}."),
            Param::object("payload", "JSON body to send."),
            Param::int("expected_status", 100, 599, "Expected HTTP status (default: any status below 400)."),
            Param::string("contains_string", 1_000, "Text the response body must contain."),
            Param::string(
                "custom_code",
                20_000,
                "Extra Playwright code to run at the end of the test (it can use \
                response).",
            ),
        ]],
        effect: Effect::Local,
        toolset: Toolset::Scripts,
        action: Action::Custom(scripts::api),
        output_schema: Some(scripts::output_schema),
    },
];
