#!/usr/bin/env bash
# Benchmarks the engine against kubectl on one throwaway API server (started
# with hack/k8s/start.sh, stopped at the end):
#   apply:   konfig-lsp apply --yes --spec S    vs  kubectl apply --server-side -f M
#   preview: konfig-lsp preview --spec S2       vs  kubectl diff -f M2
#            (S2/M2 change the image of every Deployment)
#   reapply: the same apply again (nothing to change)
# on N generated resources (Namespaces, ConfigMaps, Deployments, Services;
# default 200), each command ROUNDS times on fresh names; prints the median
# wall times and the ratios konfig-lsp / kubectl.
#
# It also prints the load average before and after, and the API requests each
# tool's first apply sent (the server's apiserver_request_total).
#
#   bench/engine/run.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-200}"
ROUNDS="${2:-3}"
work="$(mktemp -d /tmp/konfig-bench.XXXXXX)"
run="$work/cluster"
cleanup() { bash hack/k8s/stop.sh "$run" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/konfig-lsp" ./cmd/konfig-lsp
go build -o "$work/gen" ./bench/engine/gen
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# The plain API server and etcd, never the controllers (which would add their
# own load, and work on the Deployments of one tool and not the other's).
env -u KONFIG_K8S_CONTROLLERS bash hack/k8s/start.sh "$run" >/dev/null
# shellcheck disable=SC1091
source "$run/env"
export KUBECONFIG
KUBECTL="$K8S_BIN/kubectl"
"$KUBECTL" version >/dev/null
# warm kubectl's discovery cache as a user's would be
"$KUBECTL" api-resources >/dev/null

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN {printf "%.3f", a - b}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# requests: the API server's request count so far (apiserver_request_total).
requests() { "$KUBECTL" get --raw /metrics | awk '/^apiserver_request_total\{/ {n += $NF} END {print n}'; }

declare -A T Q
for r in $(seq 1 "$ROUNDS"); do
  for tool in kubectl konfig; do
    p="$tool$r" # names of their own: each tool creates its objects
    "$work/gen" -n "$N" -prefix "$p" -image nginx:1.27 -spec "$work/$p.spec.yaml" -manifest "$work/$p.yaml" 2>/dev/null
    "$work/gen" -n "$N" -prefix "$p" -image nginx:1.28 -spec "$work/$p.spec2.yaml" -manifest "$work/$p.2.yaml" 2>/dev/null
    mkdir -p "$work/$p.stack"
    if [ "$tool" = kubectl ]; then
      q=$(requests)
      t=$(now); "$KUBECTL" apply --server-side -f "$work/$p.yaml" >/dev/null; T[apply,$tool]+="$(elapsed "$t") "
      [ "$r" = 1 ] && Q[$tool]=$(( $(requests) - q - 1 ))
      t=$(now); "$KUBECTL" apply --server-side -f "$work/$p.yaml" >/dev/null; T[reapply,$tool]+="$(elapsed "$t") "
      t=$(now); "$KUBECTL" diff -f "$work/$p.2.yaml" >/dev/null || [ $? -eq 1 ]; T[preview,$tool]+="$(elapsed "$t") "
    else
      k=("$work/konfig-lsp")
      q=$(requests)
      t=$(now); "${k[@]}" apply --yes --spec "$work/$p.spec.yaml" "$work/$p.stack" > "$work/$p.apply.txt"; T[apply,$tool]+="$(elapsed "$t") "
      [ "$r" = 1 ] && Q[$tool]=$(( $(requests) - q - 1 ))
      grep -q "^Apply: $N created, 0 updated, 0 deleted, 0 unchanged$" "$work/$p.apply.txt" ||
        { echo "unexpected apply:"; tail -3 "$work/$p.apply.txt"; exit 1; }
      t=$(now); "${k[@]}" apply --yes --spec "$work/$p.spec.yaml" "$work/$p.stack" > "$work/$p.apply.txt"; T[reapply,$tool]+="$(elapsed "$t") "
      grep -q "^Apply: 0 created, 0 updated, 0 deleted, $N unchanged$" "$work/$p.apply.txt" ||
        { echo "unexpected reapply:"; tail -3 "$work/$p.apply.txt"; exit 1; }
      t=$(now); "${k[@]}" preview --spec "$work/$p.spec2.yaml" "$work/$p.stack" > "$work/$p.preview.txt"; T[preview,$tool]+="$(elapsed "$t") "
      want=$(grep -c 'kind: Deployment' "$work/$p.yaml")
      grep -q "Plan: 0 to create, $want to update, 0 to delete" "$work/$p.preview.txt" ||
        { echo "unexpected preview:"; tail -3 "$work/$p.preview.txt"; exit 1; }
    fi
  done
done

printf "%-8s %10s %10s %8s\n" op kubectl konfig-lsp ratio
for op in apply reapply preview; do
  k=$(echo "${T[$op,kubectl]}" | tr ' ' '\n' | grep . | median)
  c=$(echo "${T[$op,konfig]}" | tr ' ' '\n' | grep . | median)
  printf "%-8s %9.3fs %9.3fs %8.2f\n" "$op" "$k" "$c" "$(awk -v c="$c" -v k="$k" 'BEGIN {print c / k}')"
done
echo "($N resources, median of $ROUNDS rounds, one API server on loopback)"
echo "API requests of the first apply: kubectl ${Q[kubectl]}, konfig-lsp ${Q[konfig]} (the server's own count; it includes its internal ones, e.g. a Service's cluster IP)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
