#!/usr/bin/env bash
# Builds (once; cached under ~/.cache/konfig-lsp/k8s) the binaries of the
# throwaway Kubernetes cluster that the engine's integration tests start:
# kube-apiserver, kubectl, etcd, kube-controller-manager, kube-scheduler and
# kwok (hack/k8s/build.sh builds only those missing). KONFIG_K8S=0 skips it
# (the integration tests then skip too).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${KONFIG_K8S:-}" = "0" ]; then
  echo "20-k8s: KONFIG_K8S=0, not building the test cluster" >&2
  exit 0
fi
start=$(date +%s)
bin="$(nice -n 10 bash hack/k8s/build.sh)"
echo "20-k8s: test cluster binaries in $bin ($(( $(date +%s) - start ))s)" >&2
