#!/usr/bin/env bash
# The VS Code extension's checks in hack/test:
# - unit tests (node's test runner, no VS Code): run whenever npm is there,
#   in a temporary copy of editors/vscode (npm ci there, then npm test; about
#   a minute), so that the working tree's node_modules is never touched;
# - the end-to-end test in code-server + headless Chromium
#   (hack/vscode-e2e.sh): heavy, so only when KONFIG_E2E_VSCODE=1 asks.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: skipping the VS Code extension's tests" >&2
  exit 0
fi
root="$PWD"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/konfig-vscode-unit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(
  cd editors/vscode
  cp -r package.json package-lock.json tsconfig.json tsconfig.test.json src test syntaxes language-configuration.json "$tmp/"
)
(
  cd "$tmp"
  npm ci --no-audit --no-fund >/dev/null
  KONFIG_REPO_ROOT="$root" npm test 2>&1 | tail -n 9
  exit "${PIPESTATUS[0]}"
)
if [ "${KONFIG_E2E_VSCODE:-}" = 1 ]; then
  bash hack/vscode-e2e.sh
else
  echo "VS Code end-to-end test skipped (set KONFIG_E2E_VSCODE=1 to run hack/vscode-e2e.sh)" >&2
fi
