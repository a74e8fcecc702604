#!/usr/bin/env bash
# Scale benchmark of konfig-lsp (issue 13, point 5; see bench/scale/README.md).
#
# Generates synthetic Konfig repositories of three sizes with
# ../shared/tools/gen_konfig.py into a cache directory outside the repository
# (kept between runs), then per size and run drives the real binary over
# JSON-RPC on stdio (bench/scale/driver) and times `konfig-lsp check` of the
# whole repository under /usr/bin/time -v; prints the medians as a markdown
# table and keeps the JSON of every run beside it.
#
#   bench/scale/run.sh                        # all sizes, 3 runs each
#   SIZES="31k 300k" RUNS=1 bench/scale/run.sh
#
# Environment:
#   SIZES          sizes to run, of: 31k 300k 1.2m            (default: all three)
#   RUNS           runs per size (medians are taken)          (default: 3)
#   STEP_TIMEOUT   seconds each step may take before its cell
#                  reads "timeout"                            (default: 600)
#   CHECK_TIMEOUT  seconds for the CLI check                  (default: STEP_TIMEOUT)
#   N              completion and hover requests timed        (default: 200)
#   DRIVER_FLAGS   more flags for `driver run` (-debounce-ms 0, -watch, -idle 5s,
#                  -log-level debug -server-log FILE, …)
#   KONFIG_CORPUS  the corpus Konfig     (default: ../shared/corpus/konfig)
#   GEN_KONFIG     the generator         (default: ../shared/tools/gen_konfig.py)
#   KONFIG_SCALE_CACHE  where repositories and results go
#                  (default: ${XDG_CACHE_HOME:-~/.cache}/konfig-lsp/scale)
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${SIZES:-"31k 300k 1.2m"}
RUNS=${RUNS:-3}
STEP_TIMEOUT=${STEP_TIMEOUT:-600}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-$STEP_TIMEOUT}
N=${N:-200}
CORPUS=${KONFIG_CORPUS:-../shared/corpus/konfig}
GEN=${GEN_KONFIG:-../shared/tools/gen_konfig.py}
CACHE=${KONFIG_SCALE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/konfig-lsp/scale}
read -r -a driver_flags <<< "${DRIVER_FLAGS:-}"

[ -d "$CORPUS" ] || { echo "run.sh: no corpus at $CORPUS (set KONFIG_CORPUS)" >&2; exit 2; }
[ -f "$GEN" ] || { echo "run.sh: no generator at $GEN (set GEN_KONFIG)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

gen_args() {
  case "$1" in
    31k) echo "--copies 0" ;; # the corpus itself, copied
    300k) echo "--copies 200 --model-copies 4" ;;
    1.2m) echo "--copies 870 --model-copies 16" ;;
    *) echo "run.sh: unknown size $1 (31k, 300k or 1.2m)" >&2; return 1 ;;
  esac
}

# ensure_repo SIZE: generates $CACHE/SIZE unless it is there from the same
# generator, corpus and arguments (the stamp beside it).
ensure_repo() {
  local size=$1 args stamp
  args=$(gen_args "$size")
  stamp="$(sha256sum "$GEN" | cut -d' ' -f1) $(cd "$CORPUS" && pwd) $args"
  if [ -d "$CACHE/$size" ] && [ "$(cat "$CACHE/$size.stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  echo "== generating $size: gen_konfig.py $args (minutes for 1.2m: ~20K files)" >&2
  rm -rf "${CACHE:?}/$size" "$CACHE/$size.tmp" "$CACHE/$size.stamp"
  # shellcheck disable=SC2086 # args are words
  python3 "$GEN" "$CORPUS" "$CACHE/$size.tmp" $args >&2
  mv "$CACHE/$size.tmp" "$CACHE/$size"
  echo "$stamp" > "$CACHE/$size.stamp"
}

mkdir -p "$CACHE"
results="$CACHE/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$results"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/konfig-lsp" ./cmd/konfig-lsp
go build -o "$bin/driver" ./bench/scale/driver
echo "== konfig-lsp $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+dirty'); results in $results" >&2

files=()
for size in $SIZES; do
  gen_args "$size" >/dev/null
  ensure_repo "$size"
  root="$CACHE/$size"
  for r in $(seq 1 "$RUNS"); do
    echo "== $size run $r/$RUNS: language server (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    # Each step is bounded by the driver; timeout(1) is the backstop for the
    # whole session (it signals the driver's process group, the server too).
    rc=0
    timeout -k 10 $((STEP_TIMEOUT * 12)) "$bin/driver" run -server "$bin/konfig-lsp" -root "$root" -size "$size" \
      -timeout "${STEP_TIMEOUT}s" -n "$N" -out "$results/$size.lsp.$r.json" "${driver_flags[@]}" || rc=$?
    [ "$rc" = 0 ] || echo "run.sh: the driver failed (status $rc); its cells are missing (—)" >&2
    load=$(cut -d' ' -f1-3 /proc/loadavg) started=$(date -u +%FT%TZ)
    echo "== $size run $r/$RUNS: konfig-lsp check (load $load)" >&2
    rc=0
    /usr/bin/time -v -o "$results/$size.check.$r.time" \
      timeout -k 10 "$CHECK_TIMEOUT" "$bin/konfig-lsp" check "$root" > "$results/$size.check.$r.out" 2>&1 || rc=$?
    "$bin/driver" timev -size "$size" -root "$root" -rc "$rc" -load-before "$load" -started "$started" -out "$results/$size.check.$r.json" "$results/$size.check.$r.time"
  done
  files+=("$results/$size".*.json)
  "$bin/driver" table "${files[@]}" >&2
done

echo "== $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/driver" table -o "$results/table.md" "${files[@]}"
