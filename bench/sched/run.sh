#!/usr/bin/env bash
# The server's budgets (issue 12): a stack that never finishes and a memory
# bomb stack next to a good stack (when each stack's diagnostics arrive,
# hover/completion latency meanwhile, peak RSS), and one big .k file opened
# (time to first diagnostics, peak RSS) at 2, 5, 10 and 50 MB.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/konfig-lsp" ./cmd/konfig-lsp
python3 bench/sched/bomb_stack.py "$out/konfig-lsp" examples '{}' time
python3 bench/sched/bomb_stack.py "$out/konfig-lsp" examples '{}' memory
# the hovers on the memory bomb's instance, whose preview needs the stack's evaluation
BENCH_INSTANCE=1 python3 bench/sched/bomb_stack.py "$out/konfig-lsp" examples '{}' memory
for mb in 1.9 5 10 50; do
  python3 bench/sched/big_file.py "$out/konfig-lsp" "$mb" 3000
done
