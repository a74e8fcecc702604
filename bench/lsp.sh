#!/usr/bin/env bash
# Language-server latency benchmark: builds konfig-lsp and drives it over
# JSON-RPC on the talk's stack (appops/wordpress/dev/main.k of the corpus
# Konfig), printing p50/p95/p99 per request kind and the server's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/konfig-lsp" ./cmd/konfig-lsp
go run ./internal/lsp/lspbench -server "$out/konfig-lsp" -root "${KONFIG_CORPUS:-../shared/corpus/konfig}" -n "${N:-200}"
