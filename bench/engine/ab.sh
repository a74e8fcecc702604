#!/usr/bin/env bash
# Compares the apply of two konfig-lsp builds, and kubectl's, interleaved on
# one throwaway API server (plain API server and etcd, as run.sh): each round
# applies N fresh generated resources with the binary of git revision REV,
# with the working tree's, and with kubectl apply --server-side, and the
# medians of wall time and of CPU time (user + system, which the machine's
# load hardly changes) are printed. Interleaving puts both builds under the
# same load, which separate runs of run.sh on a shared machine do not.
#
#   bench/engine/ab.sh REV [N] [ROUNDS]      e.g. bench/engine/ab.sh HEAD~3 200 9
set -euo pipefail
cd "$(dirname "$0")/../.."
REV="${1:?usage: bench/engine/ab.sh REV [N] [ROUNDS]}"
N="${2:-200}"
ROUNDS="${3:-7}"
work="$(mktemp -d /tmp/konfig-ab.XXXXXX)"
run="$work/cluster"
cleanup() {
  bash hack/k8s/stop.sh "$run" >/dev/null 2>&1 || true
  git worktree remove --force "$work/old" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git worktree add --detach "$work/old" "$REV" >/dev/null 2>&1
(cd "$work/old" && go build -o "$work/konfig-old" ./cmd/konfig-lsp)
go build -o "$work/konfig-new" ./cmd/konfig-lsp
go build -o "$work/gen" ./bench/engine/gen
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
env -u KONFIG_K8S_CONTROLLERS bash hack/k8s/start.sh "$run" >/dev/null
# shellcheck disable=SC1091
source "$run/env"
export KUBECONFIG
KUBECTL="$K8S_BIN/kubectl"
"$KUBECTL" api-resources >/dev/null

for r in $(seq 1 "$ROUNDS"); do
  for tool in old new kubectl; do
    p="${tool:0:1}$r"
    "$work/gen" -n "$N" -prefix "$p" -image nginx:1.27 -spec "$work/$p.spec.yaml" -manifest "$work/$p.yaml" 2>/dev/null
    if [ "$tool" = kubectl ]; then
      cmd=("$KUBECTL" apply --server-side -f "$work/$p.yaml")
    else
      cmd=("$work/konfig-$tool" apply --yes --spec "$work/$p.spec.yaml" "$work/$p.stack")
    fi
    /usr/bin/time -a -o "$work/$tool.times" -f "%e %U %S" "${cmd[@]}" >/dev/null
  done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-26s %10s %10s %12s\n" apply "wall" "cpu" "wall/kubectl"
k=$(awk '{print $1}' "$work/kubectl.times" | median)
for tool in old new kubectl; do
  w=$(awk '{print $1}' "$work/$tool.times" | median)
  c=$(awk '{print $2 + $3}' "$work/$tool.times" | median)
  name="konfig-lsp $tool"
  [ "$tool" = old ] && name="konfig-lsp $REV"
  [ "$tool" = new ] && name="konfig-lsp (working tree)"
  [ "$tool" = kubectl ] && name="kubectl"
  printf "%-26s %9.3fs %9.3fs %12.2f\n" "$name" "$w" "$c" "$(awk -v w="$w" -v k="$k" 'BEGIN {print w / k}')"
done
echo "($N resources, median of $ROUNDS interleaved rounds, one API server on loopback)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
