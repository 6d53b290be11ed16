//! Installing without a checkout: the MCP bundle (`scripts/package`, `src/mcpb.rs`), the MCP Registry's
//! `server.json`, and `cargo install`.
//!
//! Without extra tools: the package version, `server.json`, the manifest and `--version` say one number; the
//! manifest lists every tool the server offers; `server.json` describes every setting a stdio server reads.
//! With `external-tests` (tools from `scripts/mcp-tools.sh`): the packed bundle passes the official `mcpb validate`
//! and `mcpb info`; unpacked by `mcpb unpack`, it is started exactly as its `mcp_config` says (resolved by mcpb's own
//! code) and serves the official TypeScript client against the API double; `server.json` passes the registry's
//! JSON Schema and carries the packed file's SHA-256 once packaged; `cargo install --path .` installs the binaries.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::support::{server_bin, Proc};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn server_json() -> Value {
    read_json(&repo().join("server.json"))
}

/// What `bin ARGS` prints on stdout, after checking that it succeeded.
fn stdout_of(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().unwrap_or_else(|e| panic!("{} does not start: {e}", bin.display()));
    assert!(out.status.success(), "{} {args:?} failed: {}", bin.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// The manifest the binary computes for its bundle.
fn manifest_of(bin: &Path) -> Value {
    serde_json::from_str(&stdout_of(bin, &["mcpb-manifest"])).expect("mcpb-manifest prints JSON")
}

/// The one package entry of `server.json`: the bundle for the platform `scripts/package` runs on.
fn bundle_entry(server: &Value) -> &Value {
    let packages = server["packages"].as_array().expect("server.json has packages");
    let bundles: Vec<&Value> = packages.iter().filter(|p| p["registryType"] == "mcpb").collect();
    assert_eq!(bundles.len(), 1, "one mcpb package: {packages:?}");
    bundles[0]
}

#[test]
fn cargo_toml_server_json_the_manifest_and_version_say_one_version() {
    let server = server_json();
    assert_eq!(server["version"], VERSION, "server.json version");
    let entry = bundle_entry(&server);
    assert_eq!(entry["version"], VERSION, "server.json package version");
    let identifier = entry["identifier"].as_str().expect("identifier");
    assert!(
        identifier.contains(&format!("/v{VERSION}/pingera-mcp-{VERSION}-")),
        "the bundle's download URL names another version: {identifier}"
    );
    assert_eq!(manifest_of(Path::new(server_bin()))["version"], VERSION, "manifest version");
    assert_eq!(stdout_of(Path::new(server_bin()), &["--version"]).trim(), format!("pingera-mcp {VERSION}"));
}

/// Every tool name the server lists in `mode`, following `nextCursor`.
fn served_tools(mode: &str) -> Vec<String> {
    let mut p = Proc::start(&[("PINGERA_MODE", mode)], &[]);
    p.initialize("2025-11-25");
    let (mut names, mut cursor) = (Vec::new(), Value::Null);
    for id in 1..100 {
        let params = if cursor.is_null() { json!({}) } else { json!({"cursor": cursor}) };
        let r = p.request(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params}));
        let tools = r["result"]["tools"].as_array().unwrap_or_else(|| panic!("tools/list failed: {r}"));
        names.extend(tools.iter().map(|t| t["name"].as_str().expect("a tool has a name").to_owned()));
        cursor = r["result"]["nextCursor"].clone();
        if cursor.is_null() {
            return names;
        }
    }
    panic!("tools/list did not end within 99 pages");
}

/// The manifest equals the tool table (`mcpb::tests`); this checks the other side end to end: nothing the server
/// offers in read_write mode is missing from the manifest, and nothing is listed twice.
#[test]
fn the_manifest_lists_every_tool_the_server_offers() {
    let manifest = manifest_of(Path::new(server_bin()));
    let listed: Vec<&str> =
        manifest["tools"].as_array().expect("tools").iter().map(|t| t["name"].as_str().expect("name")).collect();
    let mut unique = listed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), listed.len(), "a tool is listed twice: {listed:?}");
    let served = served_tools("read_write");
    assert!(served.len() > 40, "read_write mode offers too few tools: {served:?}");
    for name in &served {
        assert!(listed.contains(&name.as_str()), "the server offers {name}, the manifest does not list it");
    }
}

/// Every variable `--help` names, with its help line.
fn settings_from_help() -> Vec<(String, String)> {
    let help = stdout_of(Path::new(server_bin()), &["--help"]);
    let lines: Vec<&str> = help.lines().collect();
    let mut settings = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [flag, var, ..] = words[..] {
            if flag.starts_with("--") && var.starts_with("PINGERA_") {
                settings.push((var.to_owned(), lines.get(i + 1).map(|l| l.trim().to_owned()).unwrap_or_default()));
            }
        }
    }
    assert!(settings.len() > 10, "--help lists too few settings: {help}");
    settings
}

#[test]
fn server_json_describes_every_setting_a_stdio_server_reads() {
    let server = server_json();
    let vars = bundle_entry(&server)["environmentVariables"].as_array().expect("environmentVariables").clone();
    let described: Vec<&str> = vars.iter().map(|v| v["name"].as_str().expect("name")).collect();
    // The bundle runs over stdio: the transport choice and the HTTP-only settings (their help says "HTTP") are not
    // the registry client's to set.
    for (var, help) in settings_from_help() {
        let http_only = var == "PINGERA_TRANSPORT_MODE" || help.starts_with("HTTP");
        assert_eq!(described.contains(&var.as_str()), !http_only, "{var} ({help}) in server.json: {described:?}");
    }
    for v in &vars {
        let name = v["name"].as_str().unwrap_or_default();
        let credential = name == "PINGERA_API_KEY" || name == "PINGERA_JWT_TOKEN";
        assert_eq!(v["isSecret"].as_bool().unwrap_or(false), credential, "isSecret of {name}");
        assert!(v["description"].as_str().is_some_and(|d| !d.is_empty()), "{name} has no description");
        if let Some(choices) = v["choices"].as_array() {
            assert!(choices.contains(&v["default"]), "{name}: the default is not one of the choices");
        }
    }
    let mode = vars.iter().find(|v| v["name"] == "PINGERA_MODE").expect("PINGERA_MODE");
    assert_eq!(mode["choices"], json!(["read_only", "read_write"]));
    // What a bundle user is asked for agrees with what a registry client is told.
    let manifest = manifest_of(Path::new(server_bin()));
    for (key, option) in manifest["user_config"].as_object().expect("user_config") {
        let var = manifest["server"]["mcp_config"]["env"]
            .as_object()
            .expect("env")
            .iter()
            .find(|(_, v)| v.as_str() == Some(&format!("${{user_config.{key}}}")))
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| panic!("user_config.{key} reaches no variable"));
        let described = vars.iter().find(|v| v["name"] == var.as_str()).unwrap_or_else(|| panic!("{var} missing"));
        assert_eq!(option["sensitive"], described["isSecret"].as_bool().unwrap_or(false), "{key}");
        if option["default"].as_str().is_some_and(|d| !d.is_empty()) {
            assert_eq!(option["default"], described["default"], "default of {key} / {var}");
        }
    }
}

#[cfg(feature = "external-tests")]
pub(crate) mod external {
    use std::path::PathBuf;
    use std::sync::OnceLock;

    use super::*;
    use crate::clients::{
        assert_one_list_pages_request, client_command, link_node_modules, run, tools_dir, MISSING, SEED_PAGE,
    };
    use crate::support::double;

    /// What `scripts/package` made.
    pub(crate) struct Packaged {
        /// `dist/pingera-mcp-<version>-<os>-<arch>.mcpb`.
        pub(crate) bundle: PathBuf,
        /// `target/release/pingera-mcp`, the binary inside it.
        pub(crate) release_bin: PathBuf,
    }

    /// Runs `scripts/package` once per test process (it builds the release binary, so later runs are quick).
    pub(crate) fn packaged() -> &'static Packaged {
        static DONE: OnceLock<Packaged> = OnceLock::new();
        DONE.get_or_init(|| {
            let out = Command::new(repo().join("scripts/package")).current_dir(repo()).output().expect("bash runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "scripts/package failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
            let bundle = stdout.split_whitespace().next().map(|p| repo().join(p)).expect("it names the bundle");
            assert!(bundle.exists(), "scripts/package said {stdout} but wrote no bundle");
            Packaged { bundle, release_bin: repo().join("target/release/pingera-mcp") }
        })
    }

    fn mcpb(args: &[&str], what: &str) -> crate::clients::Run {
        let cli = tools_dir().join("node-bundle/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js");
        assert!(cli.exists(), "the mcpb CLI is not installed at {}: {MISSING}", cli.display());
        let mut cmd = client_command(&tools_dir().join("bin/node"));
        cmd.arg(cli).args(args).current_dir(repo());
        let r = run(cmd, what);
        assert!(r.status.success(), "{what} failed: {}", r.describe());
        r
    }

    /// The bundle unpacked by `mcpb unpack` into a fresh folder of the test's own.
    fn unpacked(name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let bundle = packaged().bundle.to_str().expect("a UTF-8 path").to_owned();
        mcpb(&["unpack", &bundle, dir.to_str().expect("a UTF-8 path")], "mcpb unpack");
        dir
    }

    #[test]
    fn the_packed_bundle_passes_mcpb_validate_and_mcpb_info() {
        let p = packaged();
        let name = p.bundle.file_name().unwrap().to_str().unwrap();
        let os = std::env::consts::OS;
        assert_eq!(name, format!("pingera-mcp-{VERSION}-{os}-{}.mcpb", std::env::consts::ARCH), "the bundle's name");
        let dir = unpacked("bundle-validate");
        let manifest = dir.join("manifest.json");
        let validated = mcpb(&["validate", manifest.to_str().unwrap()], "mcpb validate");
        assert!(validated.stdout.contains("Manifest schema validation passes"), "{}", validated.describe());
        let info = mcpb(&["info", p.bundle.to_str().unwrap()], "mcpb info");
        assert!(
            info.stdout.contains(&format!("File: {name}")) && info.stdout.contains("Size: "),
            "{}",
            info.describe()
        );
        println!("mcpb info:\n{}", info.stdout);
        // The bundle holds the manifest of the binary it holds, and that binary is the release build, executable.
        assert_eq!(read_json(&manifest), manifest_of(&p.release_bin));
        let inside = dir.join(pingera_mcp_server::mcpb::ENTRY_POINT);
        assert_eq!(
            std::fs::read(&inside).expect("the binary is in the bundle"),
            std::fs::read(&p.release_bin).unwrap()
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&inside).unwrap().permissions());
        assert_eq!(mode & 0o111, 0o111, "mcpb unpack must restore the executable bit");
    }

    /// Resolves the unpacked bundle's `mcp_config` with `user_config` through mcpb's own code, starts the server as
    /// it says, and returns the official client's summary.
    fn serve_bundle(dir: &Path, user_config: &Value, what: &str) -> Value {
        let scripts = repo().join("protocol-tests/bundle");
        link_node_modules(&scripts, "node-bundle");
        let mut cmd = client_command(&tools_dir().join("bin/node"));
        cmd.arg("run-bundle.mjs").arg(dir).arg(user_config.to_string()).current_dir(&scripts);
        run(cmd, what).summary(what)
    }

    #[test]
    fn the_unpacked_bundle_serves_an_official_client_exactly_as_mcp_config_says() {
        let dir = unpacked("bundle-serve");
        let binary = dir.join(pingera_mcp_server::mcpb::ENTRY_POINT);

        // Only the required key and the API address: every other setting takes its manifest default.
        let d = double();
        let summary = serve_bundle(&dir, &json!({"api_key": "bundle-key", "base_url": d.base_url()}), "bundle (key)");
        let config = &summary["config"];
        assert_eq!(config["command"], binary.to_str().unwrap(), "{summary}");
        let env = config["env"].as_object().expect("env");
        assert!(env.values().all(|v| !v.as_str().unwrap_or_default().contains("${")), "unsubstituted: {config}");
        assert_eq!((&env["PINGERA_JWT_TOKEN"], &env["PINGERA_MODE"]), (&json!(""), &json!("read_only")));
        let tools: Vec<&str> = summary["tools"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(tools.contains(&"list_pages") && !tools.contains(&"create_page"), "read_only by default: {tools:?}");
        assert_eq!(summary["is_error"], false, "{summary}");
        assert_eq!(summary["structured"]["pages"][0]["id"], SEED_PAGE, "{summary}");
        assert_one_list_pages_request(&d, "bundle-key", "bundle (key)");

        // Every setting given: the JWT wins over the key, and read_write adds the write tools.
        let d = double();
        let all = json!({"api_key": "bundle-key", "jwt_token": "bundle-jwt", "mode": "read_write",
                         "base_url": d.base_url(), "toolsets": ""});
        let summary = serve_bundle(&dir, &all, "bundle (all settings)");
        let tools: Vec<&str> = summary["tools"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(tools.contains(&"create_page"), "read_write offers the write tools: {tools:?}");
        assert_eq!(summary["structured"]["pages"][0]["id"], SEED_PAGE, "{summary}");
        assert_one_list_pages_request(&d, "Bearer bundle-jwt", "bundle (all settings)");
    }

    /// Checks documents against the MCP Registry's server.json schema (2025-12-11) as the PyPI package skillsaw
    /// ships it, with the official JSON Schema validator for Python; prints one JSON line of errors per document.
    const VALIDATE: &str = r#"
import importlib.resources, json, sys
import jsonschema
schema = json.loads(importlib.resources.files("skillsaw.schemas.mcp_registry.v2025_12_11")
                    .joinpath("server.schema.json").read_text())
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
for doc in sys.argv[1:]:
    print(json.dumps([e.message for e in validator.iter_errors(json.loads(doc))]))
"#;

    fn schema_errors(docs: &[&Value]) -> Vec<Vec<String>> {
        let py = tools_dir().join("venv/bin/python");
        assert!(py.exists(), "Python with skillsaw is not installed at {}: {MISSING}", py.display());
        let mut cmd = client_command(&py);
        cmd.arg("-c").arg(VALIDATE).args(docs.iter().map(|d| d.to_string()));
        let r = run(cmd, "server.json schema check");
        assert!(r.status.success(), "the schema check failed: {}", r.describe());
        r.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
    }

    #[test]
    fn server_json_passes_the_registry_schema_and_carries_the_packed_bundles_hash() {
        let root = server_json();
        let bundle = &packaged().bundle;
        let packed = read_json(&repo().join("dist/server.json"));
        // A broken copy shows that the check can fail.
        let mut broken = root.clone();
        broken["packages"][0]["fileSha256"] = json!("not-a-hash");
        broken.as_object_mut().unwrap().remove("description");
        let errors = schema_errors(&[&root, &packed, &broken]);
        assert_eq!(errors[0], Vec::<String>::new(), "server.json breaks the registry schema");
        assert_eq!(errors[1], Vec::<String>::new(), "dist/server.json breaks the registry schema");
        assert!(errors[2].len() >= 2, "the schema check let a broken server.json pass: {:?}", errors[2]);

        // scripts/package fills in the hash of the file it packed, and changes nothing else.
        let sum = Command::new("sha256sum").arg(bundle).output().expect("sha256sum runs");
        let sum = String::from_utf8_lossy(&sum.stdout).split_whitespace().next().unwrap_or_default().to_owned();
        assert_eq!(sum.len(), 64, "sha256sum printed no hash");
        let entry = bundle_entry(&packed);
        assert_eq!(entry["fileSha256"], sum.as_str(), "dist/server.json must carry the packed bundle's SHA-256");
        let name = bundle.file_name().unwrap().to_str().unwrap();
        assert!(entry["identifier"].as_str().is_some_and(|u| u.ends_with(&format!("/{name}"))), "{entry}");
        let mut unhashed = packed.clone();
        unhashed["packages"][0]["fileSha256"] = root["packages"][0]["fileSha256"].clone();
        assert_eq!(unhashed, root, "scripts/package changed more of server.json than the hash");
    }

    #[test]
    fn cargo_install_installs_pingera_mcp_that_prints_its_version() {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cargo-install");
        let _ = std::fs::remove_dir_all(&root);
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        // The shared target folder lets the install reuse the release build of scripts/package.
        let _ = packaged();
        let out = Command::new(cargo)
            .args(["install", "--locked", "--quiet", "--path", ".", "--root"])
            .arg(&root)
            .arg("--target-dir")
            .arg(repo().join("target"))
            .current_dir(repo())
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "cargo install failed: {}", String::from_utf8_lossy(&out.stderr));
        let bin = root.join("bin/pingera-mcp");
        assert_eq!(stdout_of(&bin, &["--version"]).trim(), format!("pingera-mcp {VERSION}"));
        assert!(stdout_of(&bin, &["--help"]).contains("PINGERA_API_KEY"), "the installed binary's --help");
    }
}
