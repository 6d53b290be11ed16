//! MCP resources: the main read views of Pingera as `pingera://` URIs, each one API GET.
//!
//! Invariant: [`RESOURCES`] is the only list of resources; a URI either matches exactly one entry (and names the
//! API path to read, with its variables percent-encoded) or is not found. Reading never writes.

use serde_json::{json, Value};

use crate::ids;
use crate::tools::percent_encode;

/// One resource or resource template.
#[derive(Debug)]
pub struct ResourceSpec {
    /// The URI, or an RFC 6570 level-1 template with `{var}` segments.
    pub uri: &'static str,
    /// A short name.
    pub name: &'static str,
    /// A human-readable title.
    pub title: &'static str,
    /// What the resource holds.
    pub description: &'static str,
    /// The API path read for it, with the same `{var}` placeholders.
    pub api_path: &'static str,
}

impl ResourceSpec {
    /// Whether the URI has variables (a template) or is a fixed resource.
    pub fn is_template(&self) -> bool {
        self.uri.contains('{')
    }

    /// The names of the template's `{var}` segments.
    pub fn variables(&self) -> impl Iterator<Item = &'static str> {
        self.uri.split('/').filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }

    /// The entry as `resources/list` or `resources/templates/list` shows it.
    pub fn to_json(&self, with_title: bool) -> Value {
        let key = if self.is_template() { "uriTemplate" } else { "uri" };
        let mut v = json!({
            key: self.uri,
            "name": self.name,
            "description": self.description,
            "mimeType": "application/json",
        });
        if with_title {
            v["title"] = json!(self.title);
        }
        v
    }

    /// The API path for a URI that matches this entry: `None` when it does not match, an error when it matches
    /// but a variable's value could change the meaning of the API path.
    fn api_path_for(&self, uri: &str) -> Option<Result<String, Resolve>> {
        let want: Vec<&str> = self.uri.split('/').collect();
        let got: Vec<&str> = uri.split('/').collect();
        if want.len() != got.len() {
            return None;
        }
        let mut path = self.api_path.to_owned();
        let mut refused = None;
        for (w, g) in want.iter().zip(&got) {
            match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(_) if g.is_empty() => return None,
                Some(var) => match ids::check_segment(g) {
                    None => path = path.replace(&format!("{{{var}}}"), &percent_encode(g)),
                    // The fixed segments must still match before the URI is called this entry's.
                    Some(why) => refused = refused.or(Some(Resolve::Invalid { var, why })),
                },
                None if w == g => {}
                None => return None,
            }
        }
        Some(refused.map_or(Ok(path), Err))
    }
}

/// Every resource and template, in list order.
pub static RESOURCES: &[ResourceSpec] = &[
    ResourceSpec {
        uri: "pingera://pages",
        name: "pages",
        title: "Status pages",
        description: "The organisation's status pages (first page of 100).",
        api_path: "/v1/pages?page=1&page_size=100",
    },
    ResourceSpec {
        uri: "pingera://checks",
        name: "checks",
        title: "Monitoring checks",
        description: "The organisation's checks with their status (first page of 100).",
        api_path: "/v1/checks?page=1&page_size=100",
    },
    ResourceSpec {
        uri: "pingera://heartbeats",
        name: "heartbeats",
        title: "Heartbeat monitors",
        description: "Heartbeat monitors with their status (first page of 100).",
        api_path: "/v1/heartbeats?page=1&per_page=100",
    },
    ResourceSpec {
        uri: "pingera://alerts",
        name: "alerts",
        title: "Alerts",
        description: "Recent alerts (first page of 100).",
        api_path: "/v1/alerts?page=1&per_page=100",
    },
    ResourceSpec {
        uri: "pingera://pages/{page_id}",
        name: "page",
        title: "Status page",
        description: "One status page with its full configuration.",
        api_path: "/v1/pages/{page_id}",
    },
    ResourceSpec {
        uri: "pingera://pages/{page_id}/components",
        name: "page-components",
        title: "Status page components",
        description: "The components and component groups of one status page.",
        api_path: "/v1/pages/{page_id}/components",
    },
    ResourceSpec {
        uri: "pingera://pages/{page_id}/incidents",
        name: "page-incidents",
        title: "Status page incidents",
        description: "The incidents of one status page.",
        api_path: "/v1/pages/{page_id}/incidents",
    },
    ResourceSpec {
        uri: "pingera://checks/{check_id}",
        name: "check",
        title: "Check",
        description: "One monitoring check with its configuration and status.",
        api_path: "/v1/checks/{check_id}",
    },
    ResourceSpec {
        uri: "pingera://checks/{check_id}/results",
        name: "check-results",
        title: "Check results",
        description: "The latest results of one check (first page of 100).",
        api_path: "/v1/checks/{check_id}/results?page=1&page_size=100",
    },
];

/// Why a URI has no API path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolve {
    /// No resource or template has that URI.
    NotFound,
    /// The URI matches a template, but the value of `var` could change the API path's meaning
    /// ([`ids::check_segment`]); nothing is requested.
    Invalid {
        /// The template variable.
        var: &'static str,
        /// What is wrong with its value.
        why: &'static str,
    },
}

/// The API path a URI reads.
pub fn resolve(uri: &str) -> Result<String, Resolve> {
    RESOURCES.iter().find_map(|r| r.api_path_for(uri)).unwrap_or(Err(Resolve::NotFound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_resolve_to_api_paths() {
        assert_eq!(resolve("pingera://pages").unwrap(), "/v1/pages?page=1&page_size=100");
        assert_eq!(resolve("pingera://pages/abc").unwrap(), "/v1/pages/abc");
        assert_eq!(resolve("pingera://pages/abc/components").unwrap(), "/v1/pages/abc/components");
        assert_eq!(resolve("pingera://checks/a~b.c").unwrap(), "/v1/checks/a~b.c");
        for missing in ["pingera://pages/", "pingera://nope", "pingera://pages/a/b/c", "http://pages"] {
            assert_eq!(resolve(missing), Err(Resolve::NotFound), "{missing}");
        }
    }

    #[test]
    fn variables_that_could_change_the_path_are_refused() {
        for uri in [
            "pingera://checks/../results",
            "pingera://checks/./results",
            "pingera://checks/%2e%2e/results",
            "pingera://pages/a%2Fb",
            "pingera://pages/a?x=1",
            "pingera://pages/a#frag",
            "pingera://pages/..",
            "pingera://pages/a\\b/components",
        ] {
            assert!(matches!(resolve(uri), Err(Resolve::Invalid { .. })), "{uri}: {:?}", resolve(uri));
        }
    }

    #[test]
    fn templates_and_resources_are_told_apart() {
        let fixed = RESOURCES.iter().filter(|r| !r.is_template()).count();
        assert_eq!(fixed, 4);
        for r in RESOURCES {
            let v = r.to_json(true);
            assert!(v.get(if r.is_template() { "uriTemplate" } else { "uri" }).is_some());
        }
    }
}
