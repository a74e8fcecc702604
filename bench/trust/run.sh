#!/usr/bin/env bash
# Trust benchmark (issue 12): every bomb of the hostile suite through the CLI
# (wall time, peak RSS from /usr/bin/time) and through the language server
# (time from didOpen to the budget's diagnostic, the server's peak RSS, the
# latency of hovers sent meanwhile), the median of N runs (default 3).
# Each run is killed after BOUND (default 60s): the script always ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y -qq time >/dev/null
	else
		echo "bench/trust: /usr/bin/time is needed (apt-get install time)" >&2
		exit 1
	fi
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/konfig-lsp" ./cmd/konfig-lsp
go build -o "$out/trust" ./bench/trust
"$out/trust" -bin "$out/konfig-lsp" -n "${N:-3}" -bound "${BOUND:-60s}" "$@"
