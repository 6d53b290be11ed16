//! `bench scale-out` (`scripts/bench scale-out`): throughput and memory of one replica against three behind nginx
//! (the deployment's `deploy/nginx/pingera-mcp.conf`), with one replica behind nginx in between to show what nginx
//! itself costs. Every replica shares one session key, so the load's sessions (one per connection, as in the main
//! benchmark) move freely between replicas. The report goes to stdout and `bench/scale-out.md`.
//!
//! On one machine the replicas share its cores with nginx and the load generator, so no gain is expected from
//! three: the point is what the extra hop and the sealed sessions cost, and the memory per replica.

use super::*;

/// 32 bytes as hex: a fixed key, since only the replicas of one run must agree on it.
const KEY: &str = "62656e63682d6b65792d62656e63682d6b65792d62656e63682d6b65792d3332";

#[derive(Clone, Copy)]
enum Setup {
    Direct,
    OneBehindNginx,
    ThreeBehindNginx,
}

impl Setup {
    const ALL: [Setup; 3] = [Setup::Direct, Setup::OneBehindNginx, Setup::ThreeBehindNginx];

    fn name(self) -> &'static str {
        match self {
            Setup::Direct => "one replica, direct",
            Setup::OneBehindNginx => "one replica behind nginx",
            Setup::ThreeBehindNginx => "three replicas behind nginx (round robin)",
        }
    }

    fn replicas(self) -> usize {
        match self {
            Setup::ThreeBehindNginx => 3,
            _ => 1,
        }
    }
}

/// One setup's figures in one round.
#[derive(Default, Clone)]
struct Figures {
    call_rps: Vec<f64>,
    list_rps: Vec<f64>,
    replicas_rss_kib: Vec<f64>,
    nginx_rss_kib: Vec<f64>,
}

pub fn run(opts: &Opts) -> io::Result<()> {
    let started = Instant::now();
    let load_before = loadavg();
    let (double, _double_out, api_port) = start_double(&opts.double)?;
    let api = format!("http://127.0.0.1:{api_port}");
    let mut figures = vec![Figures::default(); Setup::ALL.len()];
    for round in 1..=opts.rounds {
        eprintln!("bench scale-out: round {round}/{} (load {})", opts.rounds, loadavg());
        for (i, setup) in Setup::ALL.into_iter().enumerate() {
            measure(opts, &api, setup, &mut figures[i])?;
        }
    }
    drop(double);
    let mib = |kib: Option<f64>| kib.map_or("–".to_owned(), |k| format!("{:.1} MiB", k / 1024.0));
    let rps = |v: Option<f64>| v.map_or("–".to_owned(), |r| format!("{} req/s", thousands(r)));
    let mut table = String::from(
        "| Setup | `tools/call list_pages`, 32 connections | `tools/list`, 32 connections | Peak RSS, all replicas | \
         Peak RSS, nginx |\n|---|---|---|---|---|\n",
    );
    for (setup, f) in Setup::ALL.iter().zip(&figures) {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {} |",
            setup.name(),
            rps(median(&f.call_rps)),
            rps(median(&f.list_rps)),
            mib(median(&f.replicas_rss_kib)),
            if matches!(setup, Setup::Direct) { "–".to_owned() } else { mib(median(&f.nginx_rss_kib)) },
        );
    }
    let report = format!(
        "# Scale-out: one replica against three behind nginx\n\n`scripts/bench scale-out {}` on {} ({} cores; load \
         average {} before, {} after; {:.0} s). Median of {} round(s), {} s per load, {} keep-alive connections, each \
         with its own sealed session; API double without added latency.\n\n{table}",
        std::env::args().skip(2).collect::<Vec<_>>().join(" "),
        pingera_api_double::now_iso(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        load_before,
        loadavg(),
        started.elapsed().as_secs_f64(),
        opts.rounds,
        opts.secs,
        opts.conns,
    );
    println!("{report}");
    std::fs::create_dir_all(&opts.out)?;
    std::fs::write(opts.out.join("scale-out.md"), &report)?;
    eprintln!("bench scale-out: wrote {}", opts.out.join("scale-out.md").display());
    Ok(())
}

/// Starts the setup's replicas (and nginx), runs both loads, and records the peak memory after them.
fn measure(opts: &Opts, api: &str, setup: Setup, f: &mut Figures) -> io::Result<()> {
    let mut replicas = Vec::new();
    for _ in 0..setup.replicas() {
        let mut cmd = Command::new(&opts.ours);
        clean_env(&mut cmd)
            .env("PINGERA_BASE_URL", api)
            .env("PINGERA_API_KEY", API_KEY)
            .env("PINGERA_TRANSPORT_MODE", "http")
            .env("PINGERA_HTTP_PORT", "0")
            .env("PINGERA_HTTP_SESSION_KEY", KEY);
        replicas.push(start_http(cmd)?);
    }
    let ports: Vec<u16> = replicas.iter().map(|(_, p)| *p).collect();
    let mut nginx_proc = None;
    let port = match setup {
        Setup::Direct => ports[0],
        _ => {
            let port = free_port()?;
            let dir = opts.work.join(format!("nginx-{}", setup.replicas()));
            // The deployed file lists three upstream servers; one replica fills all three.
            let upstreams: Vec<u16> = (0..3).map(|i| ports[i % ports.len()]).collect();
            let mut cmd = nginx::configure(&dir, port, &upstreams, false).map_err(io::Error::other)?;
            let mut proc = Proc::spawn(cmd.stdout(Stdio::null()).stderr(Stdio::inherit()))?;
            wait_listening(&mut proc, port)?;
            nginx_proc = Some(proc);
            port
        }
    };
    let call = load(port, opts.conns, Load::Mcp { body: call_line(1), handshake: true }, opts.secs)?;
    check_errors(&call)?;
    f.call_rps.push(call.rps);
    let list = load(port, opts.conns, Load::Mcp { body: tools_list_line(1), handshake: true }, opts.secs)?;
    check_errors(&list)?;
    f.list_rps.push(list.rps);
    let rss: Option<u64> = replicas.iter().map(|(p, _)| p.peak_rss_kib()).sum();
    if let Some(kib) = rss {
        f.replicas_rss_kib.push(kib as f64);
    }
    if let Some(kib) = nginx_proc.as_ref().and_then(Proc::peak_rss_kib) {
        f.nginx_rss_kib.push(kib as f64);
    }
    eprintln!("bench scale-out: {}: tools/call {:.0} req/s, tools/list {:.0} req/s", setup.name(), call.rps, list.rps);
    Ok(())
}
