//! `mcp-transcript`: record, verify and serve MCP sessions as transcripts, against any server or client, on the
//! same hand-written JSON-RPC core as the server. The format and its matcher grammar are documented in
//! `fixtures/README.md`; `protocol-tests` replays `fixtures/` through this module.
//!
//! Codemap: `format` (the file grammar), `matcher` (wildcards, captures, `--update` merging), `sse` (event
//! streams), `client` (a server on pipes or at a URL), `verify` (the runner), `record` (stdio and HTTP proxies
//! that write transcripts), `serve` (plays a transcript's server side), `listen` (the bounded HTTP accept loop of
//! both), `report` (text, JSON and JUnit).
//!
//! Invariant: the exit status of every command is 0 (all passed), 1 (a transcript failed or a client strayed
//! from the transcript) or 2 (bad usage, an unreadable or malformed transcript, a server that could not be
//! started or reached); nothing else ends the process.

pub mod client;
pub mod format;
pub mod listen;
pub mod matcher;
pub mod record;
pub mod report;
pub mod serve;
pub mod sse;
pub mod verify;

use std::any::Any;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

pub use format::{Directives, Transcript};
pub use verify::{Options, Outcome};

/// All transcripts passed.
pub const EXIT_PASS: i32 = 0;
/// A transcript failed.
pub const EXIT_FAIL: i32 = 1;
/// Bad usage, a malformed transcript, or a server that could not be started or reached.
pub const EXIT_USAGE: i32 = 2;

/// Starts the Pingera API double that `#! double` asks for; returns its base URL and a guard that stops it.
pub trait DoubleStarter {
    /// Starts one double for one transcript.
    fn start(&self, latency: Option<Duration>) -> Result<(String, Box<dyn Any>), String>;
}

/// The environment changes a transcript's directives ask for, given the double's base URL when one runs:
/// `(variables to set, variables to remove)`.
pub fn directive_env(d: &Directives, double_url: Option<&str>) -> (Vec<(String, String)>, Vec<String>) {
    let mut env = d.env.clone();
    let has = |env: &[(String, String)], k: &str| env.iter().any(|(n, _)| n == k);
    if let Some(url) = double_url {
        if !has(&env, "PINGERA_BASE_URL") {
            env.push(("PINGERA_BASE_URL".into(), url.to_owned()));
        }
        if !d.no_credential && !has(&env, "PINGERA_API_KEY") && !has(&env, "PINGERA_JWT_TOKEN") {
            env.push(("PINGERA_API_KEY".into(), "fixture-key".into()));
        }
    }
    let remove = if d.no_credential { vec!["PINGERA_API_KEY".into(), "PINGERA_JWT_TOKEN".into()] } else { Vec::new() };
    (env, remove)
}

/// Plays one transcript against a fresh server process: `command` plus the transcript's `#! args`, with the
/// environment its directives ask for (added to the inherited one, or to PATH alone when `clean_env`).
pub fn verify_stdio(
    t: &Transcript,
    command: &[String],
    doubles: &dyn DoubleStarter,
    opts: &Options,
    clean_env: bool,
) -> Outcome {
    let double = if t.directives.double {
        match doubles.start(t.directives.double_latency) {
            Ok(d) => Some(d),
            Err(e) => return Outcome::not_run(&t.name, verify::Failure::new_reason(format!("API double: {e}"))),
        }
    } else {
        None
    };
    let (env, remove) = directive_env(&t.directives, double.as_ref().map(|(u, _)| u.as_str()));
    let Some((program, args)) = command.split_first() else {
        return Outcome::not_run(&t.name, verify::Failure::new_reason("no server command"));
    };
    let mut cmd = Command::new(program);
    cmd.args(args).args(&t.directives.args);
    if clean_env {
        cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    }
    for k in remove {
        cmd.env_remove(k);
    }
    cmd.envs(env);
    let mut conn = match client::StdioConn::start(cmd) {
        Ok(c) => c,
        Err(e) => return Outcome::not_run(&t.name, verify::Failure::new_reason(e)),
    };
    let outcome = verify::run(t, &mut conn, &Options { http: false, ..opts.clone() });
    drop(double);
    outcome
}

/// Plays one transcript in a fresh session with the server at `url` (stdio-only transcripts are skipped).
pub fn verify_http(t: &Transcript, url: &str, opts: &Options) -> Outcome {
    if t.directives.stdio_only {
        return Outcome::skipped(&t.name, "stdio-only");
    }
    if t.directives != Directives::default() {
        // The server is already running: say so rather than let a missing double or variable look like a bug.
        eprintln!("mcp-transcript: {}: #! directives do not apply with --url; start the server as they ask", t.name);
    }
    if let Err(e) = client::reachable(url, opts.timeout) {
        return Outcome::not_run(&t.name, verify::Failure::new_reason(e));
    }
    let mut conn = match client::HttpConn::open(url, opts.timeout) {
        Ok(c) => c,
        Err(e) => return Outcome::not_run(&t.name, verify::Failure::new_reason(e)),
    };
    verify::run(t, &mut conn, &Options { http: true, ..opts.clone() })
}

/// Starts the `pingera-api-double` binary installed beside this one (or on PATH).
pub struct DoubleBinary;

impl DoubleStarter for DoubleBinary {
    fn start(&self, latency: Option<Duration>) -> Result<(String, Box<dyn Any>), String> {
        let name = "pingera-api-double";
        let beside = std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join(name)));
        let program: PathBuf = beside.filter(|p| p.exists()).unwrap_or_else(|| PathBuf::from(name));
        let mut cmd = Command::new(&program);
        cmd.args(["--port", "0"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        if let Some(l) = latency {
            cmd.args(["--latency-ms", &l.as_millis().to_string()]);
        }
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let guard = KillOnDrop(child);
        let line = rx.recv_timeout(Duration::from_secs(10)).map_err(|_| "the API double did not start".to_owned())?;
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .ok_or("the API double did not start")?;
        Ok((url.to_owned(), Box::new(guard)))
    }
}

/// A child process that is killed when the run that needed it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const USAGE: &str = "\
Usage:
  mcp-transcript record [--out FILE] [--exact] [--redact PATTERN]... -- SERVER_CMD [ARGS...]
  mcp-transcript record [--out FILE] [--exact] [--redact PATTERN]... --listen HOST:PORT --target URL
  mcp-transcript verify [OPTIONS] TRANSCRIPT... -- SERVER_CMD [ARGS...]
  mcp-transcript verify [OPTIONS] TRANSCRIPT... --url URL
  mcp-transcript serve TRANSCRIPT [--listen HOST:PORT]

record   proxies a session (stdio: a client starts mcp-transcript as its server command; HTTP: Streamable HTTP
         and the 2024-11-05 HTTP+SSE pair) and writes it as a transcript (default transcript.txt). Session ids,
         timestamps, durations, server-to-client request ids and the server version become wildcards or
         captures unless --exact; Authorization headers, --redact patterns ([..] is any run of letters, digits
         and -_.+/=) and values of environment variables named *KEY*, *TOKEN*, *SECRET*, *PASSWORD* never reach
         the file.
verify   plays each transcript's client side (a fresh process, or a fresh session, per transcript) and matches
         every reply. Options: --junit FILE (JUnit XML), --json (a JSON report on stdout), --update (rewrite the
         transcripts from the actual replies, keeping wildcards and captures), --verbose (the whole exchange),
         --timeout SECS (per message, default 10; env MCP_TRANSCRIPT_TIMEOUT).
serve    plays the server side to a client: stdio by default, Streamable HTTP at /mcp with --listen.

Exit status: 0 every transcript passed; 1 at least one failed; 2 bad usage, an unreadable or malformed
transcript, or a server that could not be started or reached.
The format: fixtures/README.md in the source repository.";

/// The binary's entry point: runs a command line and returns the exit status.
pub fn main_with_args(args: Vec<String>) -> i32 {
    let mut it = args.into_iter();
    let command = it.next().unwrap_or_default();
    let rest: Vec<String> = it.collect();
    let result = match command.as_str() {
        "record" => record::main(rest),
        "verify" => verify_main(rest),
        "serve" => serve::main(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(EXIT_PASS)
        }
        "-V" | "--version" => {
            println!("mcp-transcript {}", env!("CARGO_PKG_VERSION"));
            Ok(EXIT_PASS)
        }
        "" => Err("a command is needed".to_owned()),
        other => Err(format!("unknown command {other:?}")),
    };
    result.unwrap_or_else(|e| {
        eprintln!("mcp-transcript: {e}\n\n{USAGE}");
        EXIT_USAGE
    })
}

/// Splits `ARGS -- COMMAND...` at the first `--`.
pub(crate) fn split_command(args: Vec<String>) -> (Vec<String>, Vec<String>) {
    match args.iter().position(|a| a == "--") {
        Some(i) => (args[..i].to_vec(), args[i + 1..].to_vec()),
        None => (args, Vec::new()),
    }
}

/// The per-message timeout: `--timeout SECS`, else `MCP_TRANSCRIPT_TIMEOUT`, else 10 s.
pub(crate) fn parse_timeout(flag: Option<&str>) -> Result<Duration, String> {
    let text = flag.map(str::to_owned).or_else(|| std::env::var("MCP_TRANSCRIPT_TIMEOUT").ok());
    match text {
        None => Ok(Duration::from_secs(10)),
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|s| *s > 0.0 && *s <= 86_400.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("--timeout must be a number of seconds from 0 to 86400, got {t:?}")),
    }
}

fn verify_main(args: Vec<String>) -> Result<i32, String> {
    let (args, command) = split_command(args);
    let mut files = Vec::new();
    let (mut junit, mut json, mut url, mut timeout) = (None, false, None, None);
    let mut opts = Options::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--junit" => junit = Some(PathBuf::from(value("--junit")?)),
            "--json" => json = true,
            "--update" => opts.update = true,
            "--verbose" | "-v" => opts.verbose = true,
            "--url" => url = Some(value("--url")?),
            "--timeout" => timeout = Some(value("--timeout")?),
            f if f.starts_with('-') => return Err(format!("unknown option {f}")),
            _ => files.push(PathBuf::from(a)),
        }
    }
    opts.timeout = parse_timeout(timeout.as_deref())?;
    if files.is_empty() {
        return Err("verify needs at least one transcript".into());
    }
    match (&url, command.is_empty()) {
        (Some(_), false) => return Err("give either --url or -- SERVER_CMD, not both".into()),
        (None, true) => return Err("verify needs -- SERVER_CMD [ARGS...] or --url URL".into()),
        _ => {}
    }
    // Every transcript is parsed before anything runs: a malformed one is a usage error, not a failed test.
    let transcripts: Vec<Transcript> = files
        .iter()
        .map(|f| format::load(f))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("malformed transcript: {e}"))?;
    let mut outcomes = Vec::new();
    for (t, file) in transcripts.iter().zip(&files) {
        let o = match &url {
            Some(u) => verify_http(t, u, &opts),
            None => verify_stdio(t, &command, &DoubleBinary, &opts, false),
        };
        if !json {
            report::print_text(&o, opts.verbose);
        }
        if let Some(text) = &o.updated {
            std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            eprintln!("updated {}", file.display());
        }
        outcomes.push(o);
    }
    if json {
        println!("{}", report::json(&outcomes));
    } else {
        report::print_summary(&outcomes);
    }
    if let Some(path) = junit {
        std::fs::write(&path, report::junit(&outcomes)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(exit_status(&outcomes, opts.update))
}

/// 2 when a server could not be started or reached, else 1 when a transcript failed (with `--update`, a
/// transcript that was rewritten counts as passed), else 0.
fn exit_status(outcomes: &[Outcome], update: bool) -> i32 {
    if outcomes.iter().any(|o| o.unreachable) {
        EXIT_USAGE
    } else if outcomes.iter().any(|o| o.failure.is_some() && !(update && o.updated.is_some())) {
        EXIT_FAIL
    } else {
        EXIT_PASS
    }
}
