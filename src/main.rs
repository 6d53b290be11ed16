//! The `pingera-mcp` binary: reads the configuration, sets up logging on stderr, and runs the chosen transport.
//!
//! Invariant: nothing but MCP frames is written to stdout while serving stdio; a configuration error exits with
//! status 2 and a message on stderr that names the variable.

#![forbid(unsafe_code)]
#![deny(clippy::print_stdout)]

use std::io::Write as _;
use std::process::ExitCode;

use pingera_mcp_server::app;
use pingera_mcp_server::config::{help_text, Command, Config, Transport};
use pingera_mcp_server::session::Session;
use pingera_mcp_server::transport::http;
use pingera_mcp_server::transport::stdio;
use pingera_mcp_server::{check, mcpb, shutdown_signal};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Hidden: `scripts/package` asks the binary it packs for the bundle's manifest, built from the tool table.
    if args.first().map(String::as_str) == Some(mcpb::MANIFEST_COMMAND) {
        let _ = writeln!(std::io::stdout(), "{:#}", mcpb::manifest());
        return ExitCode::SUCCESS;
    }
    let (command, config) = match Config::load(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pingera-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    // Help and version are asked for by a person at a terminal, so they go to stdout like any CLI's.
    let mut stdout = std::io::stdout();
    match command {
        Command::Help => {
            let _ = stdout.write_all(help_text().as_bytes());
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            let _ = writeln!(stdout, "pingera-mcp {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Keygen => {
            let _ = writeln!(stdout, "{}", pingera_mcp_server::seal::keygen());
            return ExitCode::SUCCESS;
        }
        Command::Serve | Command::Check => {}
    }
    pingera_mcp_server::logging::init(config.debug);

    // stdio serves one client: a single-threaded runtime avoids hops between worker threads (tool calls run on the
    // blocking pool either way); HTTP serves many connections and uses a worker per core.
    let mut builder = match (&command, config.transport) {
        (Command::Serve, Transport::Stdio) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pingera-mcp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if command == Command::Check {
        let ok = runtime.block_on(check::run(config, &mut stdout));
        return if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }

    if config.transport == Transport::Http {
        return runtime.block_on(serve_http(config));
    }
    if config.credential.is_none() {
        log::warn!("no credential: set PINGERA_API_KEY or PINGERA_JWT_TOKEN; tool calls will fail until then");
    }
    if config.both_credentials_set {
        log::info!("both PINGERA_API_KEY and PINGERA_JWT_TOKEN are set; the JWT is used");
    }
    let opts = app::stdio_options(&config);
    log::info!(
        "pingera-mcp {} serving stdio, mode {}, API {}",
        env!("CARGO_PKG_VERSION"),
        config.mode.as_str(),
        pingera_mcp_server::config::mask_userinfo(&config.base_url)
    );
    let session = Session::new(app::server(config));
    let result = runtime.block_on(stdio::serve(session, std::io::stdin(), std::io::stdout(), opts, shutdown_signal()));
    let code = match result {
        Ok(ended) => {
            log::info!("stopped: {ended:?}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            log::error!("reading stdin failed: {e}");
            ExitCode::FAILURE
        }
    };
    // The stdin thread may sit in a read that cannot be interrupted; the process does not wait for it.
    runtime.shutdown_background();
    code
}

/// Binds the HTTP port and serves until SIGINT or SIGTERM.
async fn serve_http(config: Config) -> ExitCode {
    let addr = std::net::SocketAddr::new(config.http_host, config.http_port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("pingera-mcp: cannot listen on {addr}: {e}");
            return ExitCode::from(2);
        }
    };
    let bound = listener.local_addr().unwrap_or(addr);
    if !config.http_host.is_loopback() && config.credential.is_some() && !config.require_auth_header {
        log::warn!(
            "listening on non-loopback {bound} with a configured credential and PINGERA_REQUIRE_AUTH_HEADER=false: \
             anyone who can reach this port can use that credential; set PINGERA_REQUIRE_AUTH_HEADER=true"
        );
    }
    log::info!(
        "pingera-mcp {} listening on http://{bound}{} (mode {}, API {})",
        env!("CARGO_PKG_VERSION"),
        http::MCP_PATH,
        config.mode.as_str(),
        pingera_mcp_server::config::mask_userinfo(&config.base_url)
    );
    let options = app::http_options(&config);
    match http::serve(app::server(config), options, listener, shutdown_signal()).await {
        Ok(()) => {
            log::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            log::error!("HTTP server failed: {e}");
            ExitCode::FAILURE
        }
    }
}
