#!/usr/bin/env bash
# Stops the test cluster that start.sh started in RUN_DIR, by the PIDs it
# recorded (kube-apiserver first, then etcd), and removes etcd's data.
#
#   hack/k8s/stop.sh RUN_DIR
set -uo pipefail
RUN_DIR="${1:-${KONFIG_K8S_RUN:-}}"
if [ -z "$RUN_DIR" ] || [ ! -f "$RUN_DIR/pids" ]; then
  echo "hack/k8s/stop.sh: no pids file in '${RUN_DIR}'" >&2
  exit 1
fi
pids=$(tac "$RUN_DIR/pids")
for pid in $pids; do
  kill "$pid" 2>/dev/null || true
done
for pid in $pids; do
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
done
: > "$RUN_DIR/pids"
rm -rf "$RUN_DIR/etcd-data"
