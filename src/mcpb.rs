//! The MCP bundle's `manifest.json` (MCPB manifest 0.3): what Claude Desktop and other MCPB hosts read to install
//! the server with a double click, ask the user for the settings in [`USER_CONFIG`] and start the binary.
//! `scripts/package` writes it with the hidden command `pingera-mcp mcpb-manifest` and packs it beside the binary.
//!
//! Invariant: the manifest is computed, never edited by hand. Its `tools` are the tool table (`tools::TOOLS`) and
//! its `version` is the package's, so neither can drift; each user setting reaches the server as the one
//! `PINGERA_*` variable named in [`USER_CONFIG`]; and every setting that is not required has a `default`, because
//! an MCPB host leaves an unset `${user_config.KEY}` in place verbatim, which the server would then read as a value
//! (a JWT of `${user_config.jwt_token}` would even win over the API key).

use serde_json::{json, Map, Value};

use crate::config::DEFAULT_BASE_URL;
use crate::tools::TOOLS;

/// The hidden first argument that makes `pingera-mcp` print the manifest instead of serving.
pub const MANIFEST_COMMAND: &str = "mcpb-manifest";

/// The MCPB manifest version written, the current one of the MCPB specification (`MANIFEST.md`).
pub const MANIFEST_VERSION: &str = "0.3";

/// Where the binary sits inside the bundle (MCPB hosts append `.exe` on Windows).
pub const ENTRY_POINT: &str = "server/pingera-mcp";

/// One setting the host asks the user for.
#[derive(Debug)]
pub struct UserOption {
    /// The `user_config` key.
    pub key: &'static str,
    /// The server's environment variable that receives it.
    pub var: &'static str,
    /// The label the host shows.
    pub title: &'static str,
    /// The help text the host shows.
    pub description: &'static str,
    /// Masked when typed and kept in the host's secret store.
    pub sensitive: bool,
    /// The host refuses to start the server without it.
    pub required: bool,
    /// The value used when the user gives none; `None` only for required settings.
    pub default: Option<&'static str>,
}

/// The settings of the bundle, in the order the host shows them. The other `PINGERA_*` settings keep their
/// defaults in a bundle; `server.json` describes them all for registry clients that start the binary themselves.
pub const USER_CONFIG: &[UserOption] = &[
    UserOption {
        key: "api_key",
        var: "PINGERA_API_KEY",
        title: "Pingera API key",
        description: "Your Pingera API key (Pingera: Settings, API keys). Sent as the Authorization header.",
        sensitive: true,
        required: true,
        default: None,
    },
    UserOption {
        key: "jwt_token",
        var: "PINGERA_JWT_TOKEN",
        title: "Pingera JWT (optional)",
        description: "A Pingera JWT; when given it is used instead of the API key. Leave empty to use the API key.",
        sensitive: true,
        required: false,
        default: Some(""),
    },
    UserOption {
        key: "mode",
        var: "PINGERA_MODE",
        title: "Mode",
        description: "read_only offers only the tools that change nothing; read_write adds the tools that create, \
                      change and delete.",
        sensitive: false,
        required: false,
        default: Some("read_only"),
    },
    UserOption {
        key: "base_url",
        var: "PINGERA_BASE_URL",
        title: "API base URL",
        description: "The Pingera API to talk to. Change it only for a self-hosted or test API.",
        sensitive: false,
        required: false,
        default: Some(DEFAULT_BASE_URL),
    },
    UserOption {
        key: "toolsets",
        var: "PINGERA_TOOLSETS",
        title: "Toolsets (optional)",
        description: "Comma-separated groups of tools to offer (see the README); empty offers every tool of the mode.",
        sensitive: false,
        required: false,
        default: Some(""),
    },
];

/// The manifest of a bundle for the platform this binary was built for.
pub fn manifest() -> Value {
    let mut user_config = Map::new();
    let mut env = Map::new();
    for o in USER_CONFIG {
        let mut option = json!({
            "type": "string",
            "title": o.title,
            "description": o.description,
            "required": o.required,
            "sensitive": o.sensitive,
        });
        if let Some(d) = o.default {
            option["default"] = json!(d);
        }
        user_config.insert(o.key.to_owned(), option);
        env.insert(o.var.to_owned(), json!(format!("${{user_config.{}}}", o.key)));
    }
    let tools: Vec<Value> = TOOLS.iter().map(|t| json!({"name": t.name, "description": t.description})).collect();
    json!({
        "manifest_version": MANIFEST_VERSION,
        "name": "pingera-mcp",
        "display_name": "Pingera",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Pingera monitoring for your AI assistant: status pages, components, checks, alerts, \
                        heartbeats and incidents.",
        "long_description": "Gives the assistant live access to the Pingera monitoring API: status pages and their \
                             components, uptime and synthetic checks with their results, on-demand checks, alerts, \
                             heartbeats, incidents, check groups and secrets. read_only mode (the default) offers \
                             only the tools that change nothing. One native binary, no runtime to install.",
        "author": {"name": "Pingera Team", "url": "https://pingera.ru"},
        "repository": {"type": "git", "url": "https://github.com/pingera/pingera-mcp"},
        "homepage": "https://pingera.ru",
        "license": env!("CARGO_PKG_LICENSE"),
        "keywords": ["pingera", "monitoring", "status page", "uptime", "incidents"],
        "server": {
            "type": "binary",
            "entry_point": ENTRY_POINT,
            "mcp_config": {
                "command": format!("${{__dirname}}/{ENTRY_POINT}"),
                "args": [],
                "env": env,
            },
        },
        "tools": tools,
        "tools_generated": false,
        "compatibility": {"platforms": [platform()]},
        "user_config": user_config,
    })
}

/// The MCPB name (Node's `process.platform`) of the operating system this binary runs on.
pub fn platform() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_lists_every_tool_of_the_table_in_order() {
        let m = manifest();
        let names: Vec<&str> = m["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        let table: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
        assert_eq!(names, table);
        for (t, spec) in m["tools"].as_array().unwrap().iter().zip(TOOLS) {
            assert_eq!(t["description"], spec.description, "{}", spec.name);
        }
    }

    #[test]
    fn every_user_setting_reaches_its_variable_and_every_optional_one_has_a_default() {
        let m = manifest();
        let env = m["server"]["mcp_config"]["env"].as_object().unwrap();
        assert_eq!(env.len(), USER_CONFIG.len());
        for o in USER_CONFIG {
            assert_eq!(env[o.var], format!("${{user_config.{}}}", o.key), "{}", o.key);
            let option = &m["user_config"][o.key];
            assert_eq!(option["required"], o.required, "{}", o.key);
            assert!(o.required || option["default"].is_string(), "{} is optional and needs a default", o.key);
        }
        assert_eq!(m["user_config"]["api_key"]["sensitive"], true);
        assert_eq!(m["user_config"]["jwt_token"]["sensitive"], true);
    }

    #[test]
    fn the_platform_is_a_name_mcpb_knows() {
        assert!(["darwin", "win32", "linux"].contains(&platform()), "{}", platform());
    }
}
