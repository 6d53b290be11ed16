//! Replays the recorded sessions in `fixtures/` against the real binary over stdio and over Streamable HTTP,
//! through the same engine as `mcp-transcript verify` (`pingera_mcp_server::transcript`); the format is documented
//! in `fixtures/README.md`. Only starting the server and the API double is done here: the double runs in-process,
//! where the binary starts the `pingera-api-double` executable.

use std::any::Any;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pingera_api_double::{ApiDouble, DoubleOptions};
use pingera_mcp_server::transcript::{self, format, DoubleStarter, Options, Outcome, Transcript};

use crate::support::{server_bin, HttpProc, TIMEOUT};

/// Starts the API double in this process, as `#! double` asks.
pub struct InProcessDouble;

impl DoubleStarter for InProcessDouble {
    fn start(&self, latency: Option<Duration>) -> Result<(String, Box<dyn Any>), String> {
        let double = ApiDouble::spawn(DoubleOptions::default()).map_err(|e| e.to_string())?;
        if let Some(l) = latency {
            double.set_latency(l);
        }
        Ok((double.base_url(), Box::new(double)))
    }
}

/// Parses a fixture; a malformed one fails the test with its line.
pub fn parse(path: &Path) -> Transcript {
    format::load(path).unwrap_or_else(|e| panic!("{e}"))
}

/// The options of every replay: the suite's bound per message.
pub fn options() -> Options {
    Options { timeout: TIMEOUT, ..Options::default() }
}

/// Fails the test with the report of a failed run.
pub fn assert_passed(o: &Outcome, how: &str) {
    if let Some(f) = &o.failure {
        panic!("{} ({how}): {f}\nserver stderr:\n{}", o.name, o.stderr);
    }
}

/// Replays a transcript over stdio: a fresh server process with the environment the directives ask for.
pub fn replay_stdio(path: &Path) {
    let t = parse(path);
    let o = transcript::verify_stdio(&t, &[server_bin().to_owned()], &InProcessDouble, &options(), true);
    assert_passed(&o, "stdio");
}

/// Replays a transcript over Streamable HTTP: the server runs in HTTP mode with the directives' environment and
/// arguments, and the transcript plays in a fresh session at `/mcp`.
pub fn replay_http(path: &Path) {
    let t = parse(path);
    assert!(!t.directives.stdio_only, "{} is stdio-only", path.display());
    let double =
        t.directives.double.then(|| InProcessDouble.start(t.directives.double_latency).expect("the double starts"));
    let (env, _) = transcript::directive_env(&t.directives, double.as_ref().map(|(u, _)| u.as_str()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let args: Vec<&str> = t.directives.args.iter().map(String::as_str).collect();
    let server = HttpProc::start_with_args(&env, &args);
    let o = transcript::verify_http(&t, &format!("http://{}/mcp", server.addr), &options());
    if let Some(f) = &o.failure {
        panic!("{} (HTTP): {f}\nserver stderr:\n{}", o.name, server.proc.stderr());
    }
}

/// The fixtures directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Declares one stdio replay test per fixture, and an HTTP replay test for those that are not stdio-only.
macro_rules! transcripts {
    (both: { $($test:ident => $file:literal,)* } stdio_only: { $($stest:ident => $sfile:literal,)* }) => {
        /// Every fixture that a test replays over stdio.
        pub const REPLAYED: &[&str] = &[$($file,)* $($sfile),*];
        /// The fixtures that are also replayed over HTTP.
        pub const REPLAYED_OVER_HTTP: &[&str] = &[$($file),*];
        mod over_stdio {
            use super::*;
            $(#[test] fn $test() { replay_stdio(&fixtures_dir().join($file)); })*
            $(#[test] fn $stest() { replay_stdio(&fixtures_dir().join($sfile)); })*
        }
        mod over_http {
            use super::*;
            $(#[test] fn $test() { replay_http(&fixtures_dir().join($file)); })*
        }
    };
}

transcripts! {
    both: {
        claude_desktop_session => "claude-desktop.txt",
        inspector_session => "inspector.txt",
        handshake_2024_11_05 => "handshake-2024-11-05.txt",
        handshake_2025_03_26 => "handshake-2025-03-26.txt",
        handshake_2025_06_18 => "handshake-2025-06-18.txt",
        handshake_2025_11_25 => "handshake-2025-11-25.txt",
        handshake_unknown_version => "handshake-unknown-version.txt",
        error_invalid_json => "error-invalid-json.txt",
        error_invalid_request => "error-invalid-request.txt",
        error_unknown_method => "error-unknown-method.txt",
        error_unknown_tool => "error-unknown-tool.txt",
        error_bad_arguments => "error-bad-arguments.txt",
        error_write_tool_in_read_only_mode => "error-read-only-mode.txt",
        batch_accepted_2025_03_26 => "batch-2025-03-26.txt",
        batch_refused_2025_06_18 => "batch-2025-06-18.txt",
        cancellation => "cancellation.txt",
        tools_list_pagination => "tools-list-pagination.txt",
        logging_and_progress => "logging-and-progress.txt",
        api_errors => "api-errors.txt",
        api_unreachable_and_no_credential => "api-unreachable.txt",
        client_responses_and_notifications => "client-messages.txt",
        resources => "resources.txt",
        modern_stateless => "modern.txt",
        captures_and_http_lines => "captures.txt",
        optional_and_unordered_messages => "optional-and-unordered.txt",
    }
    stdio_only: {
        error_before_initialize => "error-before-initialize.txt",
        over_long_frame => "over-long-frame.txt",
        framing_crlf_and_blank_lines => "framing.txt",
        discover_probe_then_initialize => "discover-probe-then-initialize.txt",
    }
}

/// A fixture that no test replays is a defect: it would look like coverage without being any. Likewise every
/// fixture that is not marked stdio-only must also replay over HTTP, and only those.
#[test]
fn every_fixture_is_replayed() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    let replayed: BTreeSet<String> = REPLAYED.iter().map(|s| s.to_string()).collect();
    let unreplayed: Vec<_> = on_disk.difference(&replayed).collect();
    let missing: Vec<_> = replayed.difference(&on_disk).collect();
    assert!(unreplayed.is_empty(), "fixtures that no test replays: {unreplayed:?}");
    assert!(missing.is_empty(), "fixtures listed but absent: {missing:?}");
    for f in REPLAYED {
        let stdio_only = parse(&fixtures_dir().join(f)).directives.stdio_only;
        assert_eq!(
            REPLAYED_OVER_HTTP.contains(f),
            !stdio_only,
            "{f}: the HTTP list must be the non-stdio-only fixtures"
        );
    }
}
