//! nginx in front of local replicas: the deployment's configuration (`deploy/nginx/pingera-mcp.conf`) with its
//! listen address and upstream servers swapped for loopback ports, inside a main configuration that keeps nginx in
//! the foreground (one process, no daemon) and everything it writes in one folder. Shared by the scale-out test
//! (`protocol-tests/scale_out.rs`) and `scripts/bench scale-out` (`examples/bench.rs` includes this file).
//!
//! Invariant: the deployed file is used as it is except for those two swaps, and a change of its shape (no single
//! `listen`, not one `server pingera-mcp-N` line per replica) is an error, so what is tested is what is deployed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The nginx binary (Debian's package puts it in /usr/sbin, which is not on every PATH).
pub fn binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].into_iter().map(PathBuf::from).find(|p| p.exists())
}

/// Writes the configuration into `dir` (created fresh): nginx on 127.0.0.1:`listen`, round robin over
/// 127.0.0.1:`replicas`; with `access_log`, `dir/access.log` says which replicas served each request. Returns the
/// command that runs it.
pub fn configure(dir: &Path, listen: u16, replicas: &[u16], access_log: bool) -> Result<Command, String> {
    // nginx reads paths relative to its prefix, so every path it is given is absolute.
    let dir = &std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let deployed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx/pingera-mcp.conf");
    let deployed = std::fs::read_to_string(&deployed_path).map_err(|e| format!("{}: {e}", deployed_path.display()))?;
    let mut upstreams = replicas.iter();
    let (mut listens, mut servers) = (0, 0);
    let mut site = Vec::new();
    for line in deployed.lines() {
        let t = line.trim_start();
        if t.starts_with("listen ") {
            listens += 1;
            site.push(format!("    listen 127.0.0.1:{listen};"));
        } else if let Some(rest) = t.strip_prefix("server pingera-mcp-") {
            servers += 1;
            let options = rest.split_once(' ').map_or(";", |(_, o)| o);
            let port = upstreams.next().ok_or("more upstream servers in the deployed file than replicas")?;
            site.push(format!("    server 127.0.0.1:{port} {options}"));
        } else {
            site.push(line.to_owned());
        }
    }
    if (listens, servers) != (1, replicas.len()) {
        return Err(format!(
            "{} changed shape: expected one listen and {} upstream servers, found {listens} and {servers}",
            deployed_path.display(),
            replicas.len()
        ));
    }
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
    };
    write("pingera-mcp.conf", site.join("\n") + "\n")?;
    let d = dir.display();
    let log = if access_log {
        format!(
            "log_format upstream '$request_method $uri $status $upstream_addr';\n  access_log {d}/access.log upstream;"
        )
    } else {
        "access_log off;".to_owned()
    };
    write(
        "nginx.conf",
        format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  {log}\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             include {d}/pingera-mcp.conf;\n}}\n"
        ),
    )?;
    let bin = binary().ok_or("nginx is not installed: scripts/mcp-tools.sh installs Debian's nginx")?;
    let mut cmd = Command::new(bin);
    cmd.args(["-e", "stderr", "-p"]).arg(dir).arg("-c").arg(dir.join("nginx.conf")).stdin(Stdio::null());
    Ok(cmd)
}
