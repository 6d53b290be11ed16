//! The context cost, end to end against the real binary and the API double, over stdio and HTTP (both eras): toolsets
//! (`PINGERA_TOOLSETS`, `PINGERA_TOOLS`, `PINGERA_EXCLUDE_TOOLS`, the mode winning, unknown names, the
//! `X-MCP-Toolsets` narrowing), the definition budgets on the wire, bounded compact results, prompts and argument
//! completion. Each test runs the same checks over every transport through [`Client`].

use std::time::Duration;

use pingera_api_double::{self as seed, ApiDouble};
use serde_json::{json, Value};

use crate::support::double;
use crate::support::http::{initialize, post};
use crate::support::{HttpProc, Proc};

/// The byte budgets of the model-facing tool definitions (the same figures as the unit test in `src/tools`).
const BUDGET_ALL_TOOLS: usize = 36_000;
const BUDGET_READ_TOOLS: usize = 12_000;

/// One way to talk to the server: stdio, a Streamable HTTP session (handshake era) or stateless HTTP (2026-07-28).
enum Client {
    Stdio(Proc, u64, Value),
    Session { http: HttpProc, sid: String, headers: Vec<(String, String)>, id: u64 },
    Stateless { http: HttpProc, headers: Vec<(String, String)>, id: u64 },
}

const TRANSPORTS: [&str; 3] = ["stdio", "http", "stateless"];

impl Client {
    /// Starts the server with `env` (plus the double and a key) on the transport; `headers` go with every HTTP request.
    fn start(transport: &str, d: &ApiDouble, env: &[(&str, &str)], headers: &[(&str, &str)]) -> Client {
        let base = d.base_url();
        let mut all = vec![("PINGERA_BASE_URL", base.as_str()), ("PINGERA_API_KEY", "context-key")];
        all.extend_from_slice(env);
        let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        match transport {
            "stdio" => {
                let mut p = Proc::start(&all, &[]);
                let init = p.initialize("2025-11-25");
                Client::Stdio(p, 1, init["capabilities"].clone())
            }
            "http" => {
                let http = HttpProc::start(&all);
                let extra: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let sid = initialize(http.addr, "2025-11-25", &extra);
                Client::Session { http, sid, headers, id: 1 }
            }
            _ => Client::Stateless { http: HttpProc::start(&all), headers, id: 1 },
        }
    }

    /// Sends a request and returns the whole response message.
    fn rpc(&mut self, method: &str, params: Value) -> Value {
        match self {
            Client::Stdio(p, id, _) => {
                *id += 1;
                p.request(&json!({"jsonrpc": "2.0", "id": *id, "method": method, "params": params}))
            }
            Client::Session { http, sid, headers, id } => {
                *id += 1;
                let mut h: Vec<(&str, &str)> = vec![("MCP-Protocol-Version", "2025-11-25")];
                h.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let msg = json!({"jsonrpc": "2.0", "id": *id, "method": method, "params": params});
                let r = post(http.addr, Some(sid), &h, &msg);
                r.messages().into_iter().find(|m| m.get("id").is_some()).expect("a response")
            }
            Client::Stateless { http, headers, id } => {
                *id += 1;
                let mut params = params;
                params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                         "io.modelcontextprotocol/clientCapabilities": {}});
                let name = params.get("name").and_then(Value::as_str).map(str::to_owned);
                let mut h: Vec<(&str, &str)> = vec![("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", method)];
                if let Some(n) = &name {
                    h.push(("Mcp-Name", n));
                }
                h.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let msg = json!({"jsonrpc": "2.0", "id": *id, "method": method, "params": params});
                let r = post(http.addr, None, &h, &msg);
                r.messages().into_iter().find(|m| m.get("id").is_some()).expect("a response")
            }
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.rpc(method, params);
        r.get("result").cloned().unwrap_or_else(|| panic!("{method} failed: {r}"))
    }

    fn tool_names(&mut self) -> Vec<String> {
        let r = self.result("tools/list", json!({}));
        r["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
    }

    /// The capabilities: from initialize (stdio: the one at start; HTTP: a new session with the same headers) or
    /// from server/discover (stateless).
    fn capabilities(&mut self) -> Value {
        match self {
            Client::Stdio(_, _, caps) => caps.clone(),
            Client::Session { http, headers, .. } => {
                let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
                post(http.addr, None, &h, &init).json()["result"]["capabilities"].clone()
            }
            Client::Stateless { .. } => self.result("server/discover", json!({}))["capabilities"].clone(),
        }
    }
}

// ---- Toolsets ----------------------------------------------------------------------------------------------------

#[test]
fn toolsets_tools_and_exclusions_choose_the_tools_and_the_mode_wins() {
    let d = double();
    let env = [
        ("PINGERA_MODE", "read_write"),
        ("PINGERA_TOOLSETS", "pages,check_results"),
        ("PINGERA_TOOLS", "list_checks"),
        ("PINGERA_EXCLUDE_TOOLS", "delete_page,get_unified_results"),
    ];
    for transport in TRANSPORTS {
        let mut c = Client::start(transport, &d, &env, &[]);
        let names = c.tool_names();
        let want = [
            "list_pages",
            "get_page_details",
            "create_page",
            "update_page",
            "patch_page",
            "list_checks",
            "get_check_results",
            "get_check_statistics",
            "get_unified_statistics",
        ];
        assert_eq!(names, want, "{transport}");
        // A tool outside the selection is refused, naming its toolset.
        let r = c.rpc("tools/call", json!({"name": "list_incidents", "arguments": {"page_id": "p"}}));
        let message = r["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("toolset incidents"), "{transport}: {r}");
    }
    // read_only wins over every list.
    let mut c = Client::start("stdio", &d, &[("PINGERA_TOOLSETS", "pages"), ("PINGERA_TOOLS", "create_check")], &[]);
    assert_eq!(c.tool_names(), ["list_pages", "get_page_details"]);
}

#[test]
fn the_default_offers_every_tool_of_the_mode() {
    let d = double();
    for transport in TRANSPORTS {
        assert_eq!(Client::start(transport, &d, &[], &[]).tool_names().len(), 36, "{transport}");
        let rw = Client::start(transport, &d, &[("PINGERA_MODE", "read_write")], &[]).tool_names();
        assert_eq!(rw.len(), 71, "{transport}");
    }
}

#[test]
fn an_unknown_toolset_or_tool_stops_the_server_with_status_2_listing_the_valid_names() {
    for (var, value, valid) in [
        ("PINGERA_TOOLSETS", "pages,nonsense", "check_results"),
        ("PINGERA_TOOLS", "list_pagez", "list_pages"),
        ("PINGERA_EXCLUDE_TOOLS", "nope", "get_check_results"),
    ] {
        let mut p = Proc::start(&[(var, value)], &[]);
        let status = p.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(2), "{var}");
        let line = p.wait_stderr(&format!("invalid {var}="));
        assert!(line.contains(valid), "{var}: {line}");
    }
    let mut p = Proc::start(&[], &["--toolsets", "nonsense"]);
    assert_eq!(p.wait_exit(Duration::from_secs(10)).code(), Some(2));
}

#[test]
fn help_and_check_list_the_toolsets_and_their_tools() {
    let out = std::process::Command::new(crate::support::server_bin()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["--toolsets", "PINGERA_TOOLSETS", "--exclude-tools", "X-MCP-Toolsets", "    heartbeats\n"] {
        assert!(help.contains(needle), "--help lacks {needle:?}");
    }
    let d = double();
    let out = std::process::Command::new(crate::support::server_bin())
        .arg("check")
        .env_clear()
        .env("PINGERA_BASE_URL", d.base_url())
        .env("PINGERA_API_KEY", "k")
        .env("PINGERA_TOOLSETS", "incidents,scripts")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("tools offered        6"), "{text}");
    assert!(text.contains("incidents          list_incidents, get_incident_details"), "{text}");
    assert!(text.contains("scripts            generate_synthetic_check_script"), "{text}");
}

#[test]
fn an_http_client_narrows_but_never_widens_its_tools_with_a_header() {
    let d = double();
    for transport in ["http", "stateless"] {
        let headers = [("X-MCP-Toolsets", "heartbeats, incidents")];
        let mut c = Client::start(transport, &d, &[("PINGERA_TOOLSETS", "heartbeats,pages")], &headers);
        assert_eq!(c.tool_names(), ["list_heartbeats", "get_heartbeat_details", "get_heartbeat_logs"], "{transport}");
        let r = c.rpc("tools/call", json!({"name": "list_pages", "arguments": {}}));
        assert_eq!(r["error"]["code"], -32602, "{transport}: {r}");
    }
    // Another session of the same server is not narrowed, and an unknown toolset is 400 with the valid names.
    let s = HttpProc::start(&[("PINGERA_BASE_URL", &d.base_url()), ("PINGERA_API_KEY", "k")]);
    let narrowed = initialize(s.addr, "2025-11-25", &[("X-MCP-Toolsets", "scripts")]);
    let plain = initialize(s.addr, "2025-11-25", &[]);
    let list = |sid: &str| {
        let r = post(
            s.addr,
            Some(sid),
            &[("MCP-Protocol-Version", "2025-11-25")],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        );
        r.json()["result"]["tools"].as_array().unwrap().len()
    };
    assert_eq!((list(&narrowed), list(&plain)), (2, 36));
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
                      "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let r = post(s.addr, None, &[("X-MCP-Toolsets", "pages,bogus")], &init);
    assert_eq!(r.status, 400);
    let e = r.json();
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("\"bogus\"") && message.contains("check_results"), "{message}");
}

// ---- Lean definitions ----------------------------------------------------------------------------------------

/// The model-facing bytes of a `tools/list`: each tool's name, description and input schema as compact JSON.
fn model_facing_bytes(tools: &Value) -> usize {
    tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| json!({"name": t["name"], "description": t["description"], "inputSchema": t["inputSchema"]}))
        .map(|v| v.to_string().len())
        .sum()
}

#[test]
fn tool_definitions_on_the_wire_stay_within_their_budgets() {
    let d = double();
    for transport in TRANSPORTS {
        let read = Client::start(transport, &d, &[], &[]).result("tools/list", json!({}));
        let all = Client::start(transport, &d, &[("PINGERA_MODE", "read_write")], &[]).result("tools/list", json!({}));
        let (read, all) = (model_facing_bytes(&read["tools"]), model_facing_bytes(&all["tools"]));
        assert!(read <= BUDGET_READ_TOOLS, "{transport}: the read tools cost {read} bytes");
        assert!(all <= BUDGET_ALL_TOOLS, "{transport}: all tools cost {all} bytes");
    }
}

// ---- Bounded results -----------------------------------------------------------------------------------------

#[test]
fn results_are_compact_for_the_model_and_structured_content_keeps_the_records() {
    let d = double();
    for transport in TRANSPORTS {
        let mut c = Client::start(transport, &d, &[], &[]);
        let r = c.result("tools/call", json!({"name": "list_checks", "arguments": {}}));
        let text = r["content"][0]["text"].as_str().unwrap();
        assert!(!text.contains(":null"), "{transport}: {text}");
        let compact: Value = serde_json::from_str(text).unwrap();
        let first = &compact["checks"][0];
        assert_eq!(first["group_id"], seed::SEED_CHECK_GROUP_ID);
        assert_eq!(
            first["group"],
            json!({"name": "Production"}),
            "{transport}: the embedded group is cut to its label"
        );
        let structured = &r["structuredContent"]["checks"][0];
        assert!(structured["host"].is_null() && structured["group"]["color"].is_string(), "{transport}: {structured}");
    }
}

#[test]
fn a_list_over_the_result_bound_is_cut_and_the_next_page_it_names_continues_it() {
    let d = double();
    let env = [("PINGERA_MAX_RESULT_BYTES", "4096")];
    for transport in TRANSPORTS {
        let mut c = Client::start(transport, &d, &env, &[]);
        let r = c.result(
            "tools/call",
            json!({"name": "get_check_results", "arguments": {"check_id": seed::SEED_CHECK_WEB_ID}}),
        );
        assert_eq!(r["isError"], false, "{transport}: {r}");
        assert!(r.to_string().len() <= 4096 + 512, "{transport}: the result is bounded");
        let kept: Vec<Value> = r["structuredContent"]["results"].as_array().unwrap().clone();
        assert!(!kept.is_empty() && kept.len() < 6, "{transport}: {} of 6 results", kept.len());
        let note = r["content"][1]["text"].as_str().unwrap_or_else(|| panic!("{transport}: no note: {r}"));
        assert!(note.contains(&format!("first {} of the 6 items", kept.len())), "{transport}: {note}");
        // The named page starts right after the last item held.
        let words: Vec<&str> = note.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').collect();
        let after = |w: &str| {
            let at = words.windows(2).position(|p| p[0] == w && p[1].parse::<u64>().is_ok());
            at.map(|i| words[i + 1].parse::<u64>().unwrap()).unwrap_or_else(|| panic!("no {w} N in {note}"))
        };
        let (page, size) = (after("page"), after("page_size"));
        let args = json!({"check_id": seed::SEED_CHECK_WEB_ID, "page": page, "page_size": size});
        let next = c.result("tools/call", json!({"name": "get_check_results", "arguments": args}));
        let first_next = &next["structuredContent"]["results"][0]["id"];
        let all = c.result("tools/call", json!({"name": "get_check_results", "arguments": {"check_id": seed::SEED_CHECK_WEB_ID, "page_size": 1, "page": kept.len() + 1}}));
        assert_eq!(first_next, &all["structuredContent"]["results"][0]["id"], "{transport}: {note}");
    }
}

// ---- Prompts -------------------------------------------------------------------------------------------------

#[test]
fn prompts_are_listed_and_rendered_with_typed_arguments() {
    let d = double();
    for transport in TRANSPORTS {
        let mut c = Client::start(transport, &d, &[], &[]);
        let list = c.result("prompts/list", json!({}));
        let names: Vec<&str> =
            list["prompts"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["status_overview", "investigate_check", "draft_incident", "uptime_report"], "{transport}");
        let check_arg = &list["prompts"][1]["arguments"][0];
        assert_eq!((check_arg["name"].as_str(), check_arg["required"].as_bool()), (Some("check_id"), Some(true)));
        if transport == "stateless" {
            assert_eq!(list["resultType"], "complete");
            assert!(list["ttlMs"].is_u64() && list["cacheScope"].is_string(), "{list}");
        }
        let got = c.result(
            "prompts/get",
            json!({"name": "investigate_check", "arguments": {"check_id": seed::SEED_CHECK_API_ID}}),
        );
        let text = got["messages"][0]["content"]["text"].as_str().unwrap();
        assert!(text.contains(seed::SEED_CHECK_API_ID) && text.contains("get_check_statistics"), "{transport}: {text}");
        assert_eq!(got["messages"][0]["role"], "user");
        for (args, arg) in [(json!({}), "check_id"), (json!({"check_id": "x", "from_date": "last week"}), "from_date")]
        {
            let r = c.rpc("prompts/get", json!({"name": "investigate_check", "arguments": args}));
            assert_eq!(r["error"]["code"], -32602, "{transport}: {r}");
            assert_eq!(r["error"]["data"]["argument"], arg, "{transport}: {r}");
        }
        let r = c.rpc("prompts/get", json!({"name": "no_such_prompt"}));
        assert_eq!(r["error"]["code"], -32602, "{transport}: {r}");
    }
}

#[test]
fn prompts_respect_the_mode_and_the_toolsets() {
    let d = double();
    for transport in TRANSPORTS {
        // read_only: the incident draft is not posted, so its text names no write tool.
        let mut c = Client::start(transport, &d, &[], &[]);
        let got =
            c.result("prompts/get", json!({"name": "draft_incident", "arguments": {"page_id": seed::SEED_PAGE_ID}}));
        let text = got["messages"][0]["content"]["text"].as_str().unwrap();
        assert!(!text.contains("create_incident"), "{transport}: {text}");
        // Without the incidents toolset, no prompt that needs it; without any prompt, no prompts capability.
        let mut c =
            Client::start(transport, &d, &[("PINGERA_TOOLSETS", "pages,checks,check_results,check_groups")], &[]);
        let list = c.result("prompts/list", json!({}));
        let names: Vec<&str> =
            list["prompts"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["investigate_check", "uptime_report"], "{transport}");
        let r = c.rpc("prompts/get", json!({"name": "draft_incident", "arguments": {"page_id": "p"}}));
        assert!(r["error"]["message"].as_str().unwrap().contains("needs tools"), "{transport}: {r}");
        let mut c = Client::start(transport, &d, &[("PINGERA_TOOLSETS", "scripts")], &[]);
        let caps = c.capabilities();
        assert!(caps.get("prompts").is_none() && caps.get("tools").is_some(), "{transport}: {caps}");
        let mut c = Client::start(transport, &d, &[], &[]);
        let caps = c.capabilities();
        assert!(caps.get("prompts").is_some() && caps.get("completions").is_some(), "{transport}: {caps}");
    }
}

// ---- Completion ----------------------------------------------------------------------------------------------

fn complete(c: &mut Client, reference: Value, name: &str, value: &str, context: Value) -> Value {
    let mut params = json!({"ref": reference, "argument": {"name": name, "value": value}});
    if !context.is_null() {
        params["context"] = json!({ "arguments": context });
    }
    c.result("completion/complete", params)["completion"].clone()
}

#[test]
fn ids_are_completed_from_the_api_with_the_callers_credential_and_cached_briefly() {
    let d = double();
    for transport in TRANSPORTS {
        let mut c = Client::start(transport, &d, &[], &[]);
        let prompt = json!({"type": "ref/prompt", "name": "investigate_check"});
        d.clear_requests();
        let all = complete(&mut c, prompt.clone(), "check_id", "", Value::Null);
        assert_eq!(all["values"].as_array().unwrap().len(), 4, "{transport}: {all}");
        let some = complete(&mut c, prompt.clone(), "check_id", "chka", Value::Null);
        assert_eq!(some, json!({"values": [seed::SEED_CHECK_API_ID], "total": 1, "hasMore": false}), "{transport}");
        let requests = d.requests();
        let lists: Vec<_> = requests.iter().filter(|r| r.path == "/v1/checks").collect();
        // Stateless requests have no session, but the cache belongs to the process: one API read serves both.
        assert_eq!(lists.len(), 1, "{transport}: the second completion comes from the cache: {requests:?}");
        assert_eq!(lists[0].authorization.as_deref(), Some("context-key"));
        // Resource template variables, and incident ids scoped by the page id in the context.
        let pages = complete(
            &mut c,
            json!({"type": "ref/resource", "uri": "pingera://pages/{page_id}"}),
            "page_id",
            "pgm",
            Value::Null,
        );
        assert_eq!(pages["values"], json!([seed::SEED_PAGE_ID]), "{transport}");
        let draft = json!({"type": "ref/prompt", "name": "draft_incident"});
        let incidents = complete(&mut c, draft.clone(), "incident_id", "incw", json!({"page_id": seed::SEED_PAGE_ID}));
        assert_eq!(incidents["values"], json!([seed::SEED_INCIDENT_OPEN_ID]), "{transport}");
        // A text argument has nothing to complete; an argument the prompt lacks is -32602.
        assert_eq!(complete(&mut c, draft.clone(), "summary", "a", Value::Null)["values"], json!([]));
        let r = c.rpc("completion/complete", json!({"ref": draft, "argument": {"name": "nope", "value": ""}}));
        assert_eq!(r["error"]["code"], -32602, "{transport}: {r}");
    }
}

#[test]
fn completion_never_serves_one_credentials_list_to_another() {
    let d = double();
    let s = HttpProc::start(&[("PINGERA_BASE_URL", &d.base_url())]);
    let prompt = json!({"type": "ref/prompt", "name": "investigate_check"});
    for key in ["key-one", "key-two", "key-one"] {
        let auth = [("Authorization", key)];
        let sid = initialize(s.addr, "2025-11-25", &auth);
        let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "completion/complete",
                         "params": {"ref": prompt, "argument": {"name": "check_id", "value": ""}}});
        let r = post(s.addr, Some(&sid), &[("MCP-Protocol-Version", "2025-11-25"), auth[0]], &msg);
        assert_eq!(r.json()["result"]["completion"]["total"], 4);
    }
    let auths: Vec<Option<String>> =
        d.requests().into_iter().filter(|r| r.path == "/v1/checks").map(|r| r.authorization).collect();
    assert_eq!(auths, [Some("key-one".to_owned()), Some("key-two".to_owned())], "each credential reads its own list");
    assert!(!s.proc.stderr().contains("key-one"), "no credential in the logs");
}

#[test]
fn the_2024_11_05_sse_transport_narrows_with_the_header_on_its_stream() {
    use crate::support::http::request;
    let d = double();
    let s = HttpProc::start(&[("PINGERA_BASE_URL", &d.base_url()), ("PINGERA_API_KEY", "k")]);
    let headers = [("Accept", "text/event-stream"), ("X-MCP-Toolsets", "check_groups")];
    let mut stream = request(s.addr, "GET", "/sse", &headers, b"");
    assert_eq!(stream.status, 200);
    let (_, endpoint) = stream.next_event().unwrap();
    let ct = [("Content-Type", "application/json")];
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2024-11-05",
                      "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}});
    assert_eq!(request(s.addr, "POST", &endpoint, &ct, init.to_string().as_bytes()).status, 202);
    stream.next_event().unwrap();
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    assert_eq!(request(s.addr, "POST", &endpoint, &ct, list.to_string().as_bytes()).status, 202);
    let (_, data) = stream.next_event().unwrap();
    let reply: Value = serde_json::from_str(&data).unwrap();
    let names: Vec<&str> =
        reply["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["list_check_groups", "get_check_group_details", "get_checks_in_group"]);
    let bad = [("Accept", "text/event-stream"), ("X-MCP-Toolsets", "nope")];
    assert_eq!(request(s.addr, "GET", "/sse", &bad, b"").status, 400);
}
