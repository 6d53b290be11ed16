//! MCP prompts: the common Pingera workflows as user messages that tell the model which tools to use in which order.
//!
//! Invariant: [`PROMPTS`] is the only list of prompts. A prompt names every tool it needs, and a session offers it
//! only when it offers all of those tools (so the mode and the toolsets apply to prompts too); optional steps that
//! need write tools are mentioned only when the session has them. Arguments are typed: `prompts/get` checks every
//! argument (unknown, missing, empty, wrong form) before rendering, and a bad one is -32602 naming it.

use serde_json::{json, Map, Value};

use crate::jsonrpc::RpcError;

/// What kind of Pingera object an id argument names; decides where completion finds values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// A status page (`list_pages`).
    Page,
    /// A monitoring check (`list_checks`).
    Check,
    /// An incident of a page (`list_incidents`; needs the page id).
    Incident,
    /// A check group (`list_check_groups`).
    CheckGroup,
}

impl IdKind {
    /// The kind an argument or template variable of that name holds, if it is an id this server completes.
    pub fn of(name: &str) -> Option<IdKind> {
        match name {
            "page_id" => Some(IdKind::Page),
            "check_id" => Some(IdKind::Check),
            "incident_id" => Some(IdKind::Incident),
            "group_id" => Some(IdKind::CheckGroup),
            _ => None,
        }
    }
}

/// The type of a prompt argument (prompt arguments are strings on the wire).
#[derive(Clone, Copy, Debug)]
pub enum ArgType {
    /// An id of the given kind: non-empty, no whitespace, at most 100 characters; completed from the API.
    Id(IdKind),
    /// An ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T00:00:00Z.
    Date,
    /// Free text of at most the given number of characters.
    Text(usize),
}

/// One argument of a prompt.
#[derive(Debug)]
pub struct PromptArg {
    /// The argument name.
    pub name: &'static str,
    /// What it is; the type's form is added to it in `prompts/list`.
    pub description: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// Its type.
    pub ty: ArgType,
}

/// The checked arguments of one `prompts/get`, and what the session offers.
pub struct Rendering<'a> {
    args: &'a Map<String, Value>,
    has_tool: &'a dyn Fn(&str) -> bool,
}

impl Rendering<'_> {
    /// The argument's value, if given (an empty string counts as not given).
    fn get(&self, name: &str) -> Option<&str> {
        self.args.get(name).and_then(Value::as_str).filter(|v| !v.is_empty())
    }

    /// Whether the session offers the tool.
    fn has(&self, tool: &str) -> bool {
        (self.has_tool)(tool)
    }
}

/// One prompt.
pub struct PromptSpec {
    /// The prompt name.
    pub name: &'static str,
    /// A human-readable title (2025-06-18 and later).
    pub title: &'static str,
    /// What the prompt does.
    pub description: &'static str,
    /// Its arguments.
    pub args: &'static [PromptArg],
    /// Every tool the prompt's steps need; the prompt is offered only with all of them.
    pub tools: &'static [&'static str],
    /// The user message, from checked arguments.
    render: fn(&Rendering<'_>) -> String,
}

const PAGE_ARG: PromptArg =
    PromptArg { name: "page_id", description: "The status page.", required: true, ty: ArgType::Id(IdKind::Page) };

/// Every prompt, in list order.
pub static PROMPTS: &[PromptSpec] = &[
    PromptSpec {
        name: "status_overview",
        title: "Status overview",
        description: "Summarise the account's health: status pages, failing checks and open incidents.",
        args: &[],
        tools: &["list_pages", "list_checks", "list_incidents"],
        render: |r| {
            let mut s = String::from(
                "Give me a status overview of my Pingera account.\n\
                 1. Call list_pages to get every status page.\n\
                 2. Call list_checks with status \"failed,degraded,timeout\" to find the checks that are not ok.\n\
                 3. For each page, call list_incidents and keep the incidents whose status is not resolved or \
                 completed.\n",
            );
            if r.has("list_alerts") {
                s.push_str("4. Call list_alerts with status \"firing\" for the alerts that are firing now.\n");
            }
            s.push_str(
                "Answer with a short summary first (all clear, or what is wrong), then a list per page with its open \
                 incidents, then the failing checks with their type, target and last status. Quote ids so that I \
                 can ask about them.",
            );
            s
        },
    },
    PromptSpec {
        name: "investigate_check",
        title: "Investigate a check",
        description: "Find out why a check fails or is slow: its settings, recent results and uptime.",
        args: &[
            PromptArg {
                name: "check_id",
                description: "The check to investigate.",
                required: true,
                ty: ArgType::Id(IdKind::Check),
            },
            PromptArg {
                name: "from_date",
                description: "Start of the period to look at (default: the latest results).",
                required: false,
                ty: ArgType::Date,
            },
        ],
        tools: &["get_check_details", "get_check_results", "get_check_statistics"],
        render: |r| {
            let check = r.get("check_id").unwrap_or_default();
            let window = match r.get("from_date") {
                Some(from) => format!(" with from_date \"{from}\""),
                None => String::new(),
            };
            let mut s = format!(
                "Investigate the Pingera check {check}.\n\
                 1. Call get_check_details with check_id \"{check}\" for its type, target, interval and status.\n\
                 2. Call get_check_results with check_id \"{check}\"{window} and page_size 50; look at failed and \
                 slow runs, their error messages, regions and times.\n\
                 3. Call get_check_statistics with check_id \"{check}\"{window} for uptime and the runs of equal \
                 status.\n"
            );
            if r.has("execute_existing_check") {
                s.push_str(
                    "If the latest result is a failure, offer to run the check again now with \
                     execute_existing_check (ask me first).\n",
                );
            }
            s.push_str(
                "Then tell me: is it failing now, since when, how often, what the errors have in common (region, \
                 time of day, status code, timeout), and the most likely cause with what to check next.",
            );
            s
        },
    },
    PromptSpec {
        name: "draft_incident",
        title: "Draft an incident or incident update",
        description: "Draft a status page incident, or an update to an open incident, from what is happening.",
        args: &[
            PAGE_ARG,
            PromptArg {
                name: "incident_id",
                description: "The incident to update; leave out to draft a new incident.",
                required: false,
                ty: ArgType::Id(IdKind::Incident),
            },
            PromptArg {
                name: "summary",
                description: "What is happening, in your words.",
                required: false,
                ty: ArgType::Text(2_000),
            },
        ],
        tools: &["list_components", "list_incidents", "get_incident_details"],
        render: |r| {
            let page = r.get("page_id").unwrap_or_default();
            let summary = match r.get("summary") {
                Some(text) => format!("What is happening, in my words: {text}\n"),
                None => String::new(),
            };
            let mut s = match r.get("incident_id") {
                Some(incident) => format!(
                    "Draft an update to incident {incident} on status page {page}.\n{summary}\
                     1. Call get_incident_details with page_id \"{page}\" and incident_id \"{incident}\" for its \
                     status, affected components and earlier updates.\n\
                     2. Call list_components with page_id \"{page}\" for the current component statuses.\n\
                     Draft the update: the next status (investigating, identified, monitoring or resolved), a \
                     message of two or three plain sentences for customers that follows on from the earlier \
                     updates, and the component statuses to set.\n"
                ),
                None => format!(
                    "Draft a new incident for status page {page}.\n{summary}\
                     1. Call list_components with page_id \"{page}\" to see the components and their status.\n\
                     2. Call list_incidents with page_id \"{page}\" and check that no open incident already covers \
                     this; if one does, draft an update to it instead.\n\
                     Draft the incident: a short title, status investigating, impact (none, minor, major or \
                     critical), the affected components with their new status, and a message of two or three plain \
                     sentences for customers.\n"
                ),
            };
            let post = if r.get("incident_id").is_some() { "add_incident_update" } else { "create_incident" };
            if r.has(post) {
                s.push_str(&format!("Show me the draft and post it with {post} only after I approve it."));
            } else {
                s.push_str("Show me the draft; this server is read-only, so I will post it myself.");
            }
            s
        },
    },
    PromptSpec {
        name: "uptime_report",
        title: "Uptime report",
        description: "Report uptime and failures of checks over a period.",
        args: &[
            PromptArg { name: "from_date", description: "Start of the period.", required: true, ty: ArgType::Date },
            PromptArg {
                name: "to_date",
                description: "End of the period (default: now).",
                required: false,
                ty: ArgType::Date,
            },
            PromptArg {
                name: "group_id",
                description: "Only the checks of this check group.",
                required: false,
                ty: ArgType::Id(IdKind::CheckGroup),
            },
        ],
        tools: &["list_checks", "get_unified_statistics"],
        render: |r| {
            let from = r.get("from_date").unwrap_or_default();
            let to = r.get("to_date").map_or_else(|| "now".to_owned(), str::to_owned);
            let to_arg = r.get("to_date").map(|t| format!(" and to_date \"{t}\"")).unwrap_or_default();
            let checks = match r.get("group_id") {
                Some(group) => format!("Call list_checks with group_id \"{group}\" and page_size 100"),
                None => "Call list_checks with page_size 100 (follow the pagination if there are more)".to_owned(),
            };
            format!(
                "Write an uptime report for {from} to {to}.\n\
                 1. {checks} to get the checks and their names.\n\
                 2. Call get_unified_statistics with from_date \"{from}\"{to_arg} and the check ids (at most 20 \
                 per call) for each check's uptime and status history.\n\
                 Report a table of checks with uptime percentage, number of failures and the longest outage, \
                 sorted by uptime (worst first), then a short paragraph on notable outages and trends."
            )
        },
    },
];

impl PromptSpec {
    /// The prompt as `prompts/list` shows it (`title` from 2025-06-18).
    pub fn to_json(&self, with_title: bool) -> Value {
        let args: Vec<Value> = self
            .args
            .iter()
            .map(|a| {
                let form = match a.ty {
                    ArgType::Id(_) => "",
                    ArgType::Date => " ISO 8601 date or date-time.",
                    ArgType::Text(_) => "",
                };
                json!({ "name": a.name, "description": format!("{}{form}", a.description), "required": a.required })
            })
            .collect();
        let mut v = json!({ "name": self.name, "description": self.description, "arguments": args });
        if with_title {
            v["title"] = json!(self.title);
        }
        v
    }

    /// Checks the arguments and renders the `prompts/get` result; a bad argument is -32602 naming it.
    pub fn get(&self, args: &Map<String, Value>, has_tool: &dyn Fn(&str) -> bool) -> Result<Value, RpcError> {
        let bad = |arg: &str, why: String| {
            RpcError::invalid_params(format!("invalid params: argument \"{arg}\" of prompt {}: {why}", self.name))
                .with_data(json!({ "prompt": self.name, "argument": arg }))
        };
        if let Some(key) = args.keys().find(|k| !self.args.iter().any(|a| a.name == k.as_str())) {
            let known: Vec<&str> = self.args.iter().map(|a| a.name).collect();
            let accepted = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            return Err(bad(key, format!("unknown argument; accepted: {accepted}")));
        }
        for a in self.args {
            // Clients such as the Inspector send "" for an argument left blank: that is an argument not given.
            match args.get(a.name).filter(|v| v.as_str() != Some("")) {
                None | Some(Value::Null) if a.required => return Err(bad(a.name, "missing".to_owned())),
                None | Some(Value::Null) => {}
                Some(Value::String(v)) => check(a.ty, v).map_err(|why| bad(a.name, why))?,
                Some(_) => return Err(bad(a.name, "must be a string".to_owned())),
            }
        }
        let text = (self.render)(&Rendering { args, has_tool });
        Ok(json!({
            "description": self.description,
            "messages": [{ "role": "user", "content": { "type": "text", "text": text } }],
        }))
    }

    /// Whether the session offers every tool the prompt needs.
    pub fn offered_with(&self, has_tool: &dyn Fn(&str) -> bool) -> bool {
        self.tools.iter().all(|t| has_tool(t))
    }
}

/// Checks one argument value against its type.
fn check(ty: ArgType, v: &str) -> Result<(), String> {
    match ty {
        ArgType::Id(_) if v.is_empty() || v.len() > 100 || v.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Err("must be an id: 1 to 100 characters without spaces".to_owned())
        }
        ArgType::Date if !crate::tools::is_iso_date(v) => {
            Err("must be an ISO 8601 date or date-time such as 2026-11-01 or 2026-11-01T00:00:00Z".to_owned())
        }
        ArgType::Text(max) if v.trim().is_empty() || v.chars().count() > max => {
            Err(format!("must be text of 1 to {max} characters"))
        }
        _ => Ok(()),
    }
}

/// The prompt of that name.
pub fn find(name: &str) -> Option<&'static PromptSpec> {
    PROMPTS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mode;
    use crate::tools::toolsets::ToolFilter;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn every_prompt_uses_tools_that_exist_and_is_offered_read_only() {
        let read_only = ToolFilter::default().select(Mode::ReadOnly);
        for p in PROMPTS {
            for t in p.tools {
                assert!(crate::tools::find(t).is_some(), "{}: no tool {t}", p.name);
            }
            assert!(p.offered_with(&|t| read_only.has(t)), "{} needs a write tool", p.name);
        }
    }

    #[test]
    fn the_rendered_text_names_only_tools_the_session_has() {
        let every_tool = |_: &str| true;
        let read_only = ToolFilter::default().select(Mode::ReadOnly);
        let ro = |t: &str| read_only.has(t);
        let p = find("draft_incident").unwrap();
        let a = args(json!({"page_id": "pg1", "summary": "the API is slow"}));
        let rw_text = p.get(&a, &every_tool).unwrap()["messages"][0]["content"]["text"].to_string();
        assert!(rw_text.contains("create_incident") && rw_text.contains("the API is slow"), "{rw_text}");
        let ro_text = p.get(&a, &ro).unwrap()["messages"][0]["content"]["text"].to_string();
        assert!(!ro_text.contains("create_incident") && ro_text.contains("read-only"), "{ro_text}");
        // Every tool the text names is one the read-only session has.
        for p in PROMPTS {
            let a: Map<String, Value> = p
                .args
                .iter()
                .map(|a| {
                    let v = if matches!(a.ty, ArgType::Date) { "2026-11-01" } else { "abc" };
                    (a.name.to_owned(), json!(v))
                })
                .collect();
            let text = p.get(&a, &ro).unwrap()["messages"][0]["content"]["text"].as_str().unwrap().to_owned();
            for t in crate::tools::TOOLS {
                if text.contains(t.name) {
                    assert!(read_only.has(t.name), "{} names {} in read_only", p.name, t.name);
                }
            }
        }
    }

    #[test]
    fn bad_arguments_are_invalid_params_naming_them() {
        let cases = [
            ("investigate_check", json!({}), "check_id", "missing"),
            ("investigate_check", json!({"check_id": "a b"}), "check_id", "an id"),
            ("investigate_check", json!({"check_id": "c", "from_date": "yesterday"}), "from_date", "ISO 8601"),
            ("investigate_check", json!({"check_id": 7}), "check_id", "a string"),
            ("status_overview", json!({"page_id": "p"}), "page_id", "unknown argument"),
            ("uptime_report", json!({"from_date": "2026-13-01"}), "from_date", "ISO 8601"),
            ("draft_incident", json!({"page_id": "p", "summary": "  "}), "summary", "text"),
            ("investigate_check", json!({"check_id": ""}), "check_id", "missing"),
        ];
        for (prompt, a, arg, why) in cases {
            let e = find(prompt).unwrap().get(&args(a), &|_| true).unwrap_err();
            assert_eq!(e.code, crate::jsonrpc::ErrorCode::INVALID_PARAMS);
            assert!(e.message.contains(&format!("\"{arg}\"")) && e.message.contains(why), "{}", e.message);
        }
        assert!(find("uptime_report")
            .unwrap()
            .get(&args(json!({"from_date": "2026-11-01T00:00:00Z"})), &|_| true)
            .is_ok());
    }
}
