//! Toolsets: named areas of the tool table, and the selection of tools a server (or one HTTP session) offers.
//!
//! Invariant: a tool's toolset is declared in its [`super::ToolSpec`] entry and nowhere else; the selection is
//! resolved once, in a fixed order that makes the mode win over everything: start from the chosen toolsets (every
//! toolset when none are chosen), add single tools, remove excluded tools, then keep only what the mode offers. A
//! session can narrow a selection ([`Selection::narrowed`]) but never widen it. Unknown names are errors that list
//! the valid names; nothing is ignored silently.

use std::fmt;

use super::Mode;
use super::{ToolSpec, TOOLS};

/// An area of the tool table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Toolset {
    /// The connection test.
    Connection,
    /// Status pages.
    Pages,
    /// Components of status pages.
    Components,
    /// Monitoring checks and their settings.
    Checks,
    /// Results, uptime and statistics of checks.
    CheckResults,
    /// On-demand check runs (jobs).
    OnDemand,
    /// Check groups.
    CheckGroups,
    /// Secrets and their attachment to checks.
    Secrets,
    /// Alerts, alert rules and channels.
    Alerts,
    /// Heartbeat monitors.
    Heartbeats,
    /// Incidents and maintenances of status pages.
    Incidents,
    /// Local Playwright script generators.
    Scripts,
}

impl Toolset {
    /// Every toolset, in table order.
    pub const ALL: [Toolset; 12] = [
        Toolset::Connection,
        Toolset::Pages,
        Toolset::Components,
        Toolset::Checks,
        Toolset::CheckResults,
        Toolset::OnDemand,
        Toolset::CheckGroups,
        Toolset::Secrets,
        Toolset::Alerts,
        Toolset::Heartbeats,
        Toolset::Incidents,
        Toolset::Scripts,
    ];

    /// The configuration word for the toolset.
    pub fn as_str(self) -> &'static str {
        match self {
            Toolset::Connection => "connection",
            Toolset::Pages => "pages",
            Toolset::Components => "components",
            Toolset::Checks => "checks",
            Toolset::CheckResults => "check_results",
            Toolset::OnDemand => "on_demand",
            Toolset::CheckGroups => "check_groups",
            Toolset::Secrets => "secrets",
            Toolset::Alerts => "alerts",
            Toolset::Heartbeats => "heartbeats",
            Toolset::Incidents => "incidents",
            Toolset::Scripts => "scripts",
        }
    }

    /// The toolset of that name; dashes and spaces count as underscores, case is ignored.
    pub fn parse(name: &str) -> Option<Toolset> {
        let name = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Toolset::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The tools of this toolset, in table order.
    pub fn tools(self) -> impl Iterator<Item = &'static ToolSpec> {
        TOOLS.iter().filter(move |t| t.toolset == self)
    }
}

impl fmt::Display for Toolset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is neither a toolset nor a tool; the message lists what is valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?}; valid: {valid}")]
pub struct UnknownName {
    /// "toolset" or "tool".
    pub kind: &'static str,
    /// The name given.
    pub name: String,
    /// The valid names, comma-separated.
    pub valid: String,
}

/// The valid toolset names (with `all`), comma-separated.
pub fn toolset_names() -> String {
    let mut names: Vec<&str> = Toolset::ALL.iter().map(|t| t.as_str()).collect();
    names.push("all");
    names.join(", ")
}

/// Parses a comma-separated toolset list; `all` stands for every toolset. Empty entries are skipped.
pub fn parse_toolsets(list: &str) -> Result<Vec<Toolset>, UnknownName> {
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name.eq_ignore_ascii_case("all") {
            out.extend(Toolset::ALL);
            continue;
        }
        let t = Toolset::parse(name).ok_or_else(|| UnknownName {
            kind: "toolset",
            name: name.to_owned(),
            valid: toolset_names(),
        })?;
        out.push(t);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Parses a comma-separated list of tool names.
pub fn parse_tools(list: &str) -> Result<Vec<&'static str>, UnknownName> {
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let t = super::find(name).ok_or_else(|| UnknownName {
            kind: "tool",
            name: name.to_owned(),
            valid: TOOLS.iter().map(|t| t.name).collect::<Vec<_>>().join(", "),
        })?;
        if !out.contains(&t.name) {
            out.push(t.name);
        }
    }
    Ok(out)
}

/// Which tools to offer, as configured (`PINGERA_TOOLSETS`, `PINGERA_TOOLS`, `PINGERA_EXCLUDE_TOOLS`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolFilter {
    /// The chosen toolsets; `None` means every toolset (the default, so the server stays a drop-in replacement).
    pub toolsets: Option<Vec<Toolset>>,
    /// Single tools added to the toolsets.
    pub tools: Vec<&'static str>,
    /// Tools removed; wins over both lists above.
    pub exclude: Vec<&'static str>,
}

impl ToolFilter {
    /// Whether the filter (before the mode) keeps the tool.
    fn keeps(&self, t: &ToolSpec) -> bool {
        let chosen =
            self.toolsets.as_ref().is_none_or(|sets| sets.contains(&t.toolset)) || self.tools.contains(&t.name);
        chosen && !self.exclude.contains(&t.name)
    }

    /// The tools this filter and the mode offer, in table order; the mode wins over everything.
    pub fn select(&self, mode: Mode) -> Selection {
        Selection(TOOLS.iter().filter(|t| self.keeps(t) && t.offered_in(mode)).collect())
    }
}

/// The tools offered, in table order.
#[derive(Clone, Debug)]
pub struct Selection(Vec<&'static ToolSpec>);

impl Selection {
    /// The tools.
    pub fn tools(&self) -> &[&'static ToolSpec] {
        &self.0
    }

    /// Whether the tool of that name is offered.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|t| t.name == name)
    }

    /// The part of this selection that lies in the given toolsets: a narrowing, never a widening.
    pub fn narrowed(&self, toolsets: &[Toolset]) -> Selection {
        Selection(self.0.iter().copied().filter(|t| toolsets.contains(&t.toolset)).collect())
    }

    /// The toolsets that have at least one offered tool, with those tools, in table order.
    pub fn by_toolset(&self) -> Vec<(Toolset, Vec<&'static str>)> {
        Toolset::ALL
            .into_iter()
            .map(|set| (set, self.0.iter().filter(|t| t.toolset == set).map(|t| t.name).collect::<Vec<_>>()))
            .filter(|(_, tools)| !tools.is_empty())
            .collect()
    }
}

/// The toolsets and their tools, for `--help`: each toolset with its tools, write tools marked with `*`.
pub fn help_listing() -> String {
    let mut s = String::new();
    for set in Toolset::ALL {
        let names: Vec<String> = set
            .tools()
            .map(|t| if t.effect.is_read_only() { t.name.to_owned() } else { format!("{}*", t.name) })
            .collect();
        s.push_str(&format!("    {}\n        {}\n", set.as_str(), names.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Selection) -> Vec<&'static str> {
        s.tools().iter().map(|t| t.name).collect()
    }

    #[test]
    fn every_toolset_has_tools_and_every_tool_one_toolset() {
        for set in Toolset::ALL {
            assert!(set.tools().next().is_some(), "{set} is empty");
            assert_eq!(Toolset::parse(set.as_str()), Some(set));
        }
        let total: usize = Toolset::ALL.iter().map(|s| s.tools().count()).sum();
        assert_eq!(total, TOOLS.len());
    }

    #[test]
    fn the_default_is_every_tool_of_the_mode() {
        let f = ToolFilter::default();
        assert_eq!(f.select(Mode::ReadWrite).tools().len(), 71);
        assert_eq!(f.select(Mode::ReadOnly).tools().len(), 36);
        let all = ToolFilter { toolsets: Some(parse_toolsets("all").unwrap()), ..ToolFilter::default() };
        assert_eq!(all.select(Mode::ReadWrite).tools().len(), 71);
    }

    #[test]
    fn tools_add_exclude_removes_and_the_mode_wins() {
        let f = ToolFilter {
            toolsets: Some(parse_toolsets("pages, Check-Results").unwrap()),
            tools: parse_tools("list_checks,create_check").unwrap(),
            exclude: parse_tools("delete_page,get_unified_results").unwrap(),
        };
        let rw = names(&f.select(Mode::ReadWrite));
        assert!(rw.contains(&"create_page") && rw.contains(&"create_check") && rw.contains(&"list_checks"));
        assert!(!rw.contains(&"delete_page") && !rw.contains(&"get_unified_results"));
        assert!(!rw.contains(&"list_incidents"));
        let ro = names(&f.select(Mode::ReadOnly));
        assert!(ro.contains(&"list_pages") && ro.contains(&"list_checks"));
        assert!(!ro.contains(&"create_page") && !ro.contains(&"create_check"), "read_only wins: {ro:?}");
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let e = parse_toolsets("pages,nope").unwrap_err().to_string();
        assert!(e.contains("\"nope\"") && e.contains("check_results") && e.contains("all"), "{e}");
        let e = parse_tools("list_pagez").unwrap_err().to_string();
        assert!(e.contains("unknown tool \"list_pagez\"") && e.contains("list_pages"), "{e}");
    }

    #[test]
    fn narrowing_never_widens() {
        let f = ToolFilter { toolsets: Some(vec![Toolset::Pages]), ..ToolFilter::default() };
        let base = f.select(Mode::ReadOnly);
        let narrowed = base.narrowed(&[Toolset::Pages, Toolset::Checks]);
        assert_eq!(names(&narrowed), names(&base));
        assert!(base.narrowed(&[Toolset::Checks]).tools().is_empty());
    }
}
