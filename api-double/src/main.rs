//! `pingera-api-double`: runs the Pingera API v1 double (`pingera_api_double`) as a standalone
//! server for scripts, non-Rust tests and newcomers.
//!
//! Prints exactly one line to stdout, `pingera-api-double listening on http://HOST:PORT`, then serves until
//! SIGINT or SIGTERM (exit 0). Bad arguments or a failed bind exit 2 with a message on stderr.

#![forbid(unsafe_code)]

use pingera_api_double::{serve, DoubleState};
use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

const USAGE: &str = "\
Usage: pingera-api-double [OPTIONS]

A local double of the Pingera REST API v1 with seed data, a request log and fault switches.

Options:
  --host ADDR        address to bind (default 127.0.0.1)
  --port N           port to bind (default 8080; 0 picks a free one)
  --api-key VALUE    accept only this Authorization value (repeatable; e.g. \"key-1\" or \"Bearer jwt-1\");
                     without it any non-empty value is accepted
  --latency-ms N     delay added to every API request
  -h, --help         print this help

Control API (no auth): GET/DELETE /__double/requests, GET/POST /__double/faults, GET /__double/state,
POST /__double/reset, GET /__double/stats.";

struct Args {
    host: IpAddr,
    port: u16,
    keys: Vec<String>,
    latency: Duration,
}

/// `Ok(None)` means help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args { host: IpAddr::from([127, 0, 0, 1]), port: 8080, keys: Vec::new(), latency: Duration::ZERO };
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value` are accepted.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--host" => parsed.host = value()?.parse().map_err(|_| "--host must be an IP address".to_string())?,
            "--port" => parsed.port = value()?.parse().map_err(|_| "--port must be 0-65535".to_string())?,
            "--api-key" => {
                let key = value()?;
                if key.trim().is_empty() {
                    return Err("--api-key must not be empty".into());
                }
                parsed.keys.push(key);
            }
            "--latency-ms" => {
                let ms: u64 =
                    value()?.parse().map_err(|_| "--latency-ms must be a non-negative integer".to_string())?;
                parsed.latency = Duration::from_millis(ms);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Some(parsed))
}

#[tokio::main]
async fn main() {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("pingera-api-double: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind((args.host, args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("pingera-api-double: cannot bind {}:{}: {e}", args.host, args.port);
            std::process::exit(2);
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pingera-api-double: {e}");
            std::process::exit(2);
        }
    };
    let base_url = format!("http://{addr}");
    let accepted = (!args.keys.is_empty()).then_some(args.keys);
    let state = DoubleState::new(accepted, args.latency, &base_url);
    // Scripts read the port from this line, so it must reach them now, not when the buffer fills.
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "pingera-api-double listening on {base_url}").and_then(|_| stdout.flush()).is_err() {
        eprintln!("pingera-api-double: cannot write to stdout");
    }
    let server = tokio::spawn(serve(listener, state.clone()));
    wait_for_signal().await;
    state.shutdown();
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::error!("pingera-api-double: {e}"),
        Err(e) => log::error!("pingera-api-double: server task failed: {e}"),
    }
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                log::warn!("pingera-api-double: cannot listen for SIGTERM: {e}");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_flags() {
        let a = parse(&[]).ok().flatten().map(|a| (a.host.to_string(), a.port, a.keys.len()));
        assert_eq!(a, Some(("127.0.0.1".into(), 8080, 0)));
        let a =
            parse(&["--port", "0", "--api-key", "k1", "--api-key=Bearer j", "--latency-ms", "5", "--host", "0.0.0.0"])
                .ok()
                .flatten()
                .map(|a| (a.host.to_string(), a.port, a.keys, a.latency));
        assert_eq!(
            a,
            Some(("0.0.0.0".into(), 0, vec!["k1".to_string(), "Bearer j".to_string()], Duration::from_millis(5)))
        );
        assert!(matches!(parse(&["--help"]), Ok(None)));
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--nope"]).is_err());
    }
}
