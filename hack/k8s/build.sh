#!/usr/bin/env bash
# Builds the binaries of the test cluster from the Go module proxy into a cache
# folder keyed on their versions, and prints that folder: kube-apiserver,
# kubectl, kube-controller-manager and kube-scheduler (k8s.io/kubernetes), etcd
# (go.etcd.io/etcd/server/v3) and kwok (sigs.k8s.io/kwok, fake nodes and pods).
# Only the missing binaries are built; with all of them there it does nothing.
# The folder also serves as KUBEBUILDER_ASSETS for controller-runtime's envtest.
#
#   hack/k8s/build.sh            # build when missing, print the bin folder
#   KONFIG_K8S_CACHE=/x hack/k8s/build.sh
#
# Each build runs in a throwaway module: k8s.io/kubernetes replaces its staging
# modules with ./staging/src/..., which only work inside its own repository, so the
# throwaway go.mod repeats those replace directives pointed at the published
# k8s.io/* v0.${K8S_MINOR}.${K8S_PATCH}. etcd and kwok get modules of their own
# so that their dependencies (kwok's k8s.io/* v0.36) do not move the apiserver's.
# kwok's version is recorded next to its binary (bin/kwok.version): the cache
# folder is keyed on the Kubernetes and etcd versions only, and a kwok of
# another version is rebuilt. Each build logs its wall time and the peak RSS of
# its largest process (GNU time).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
CACHE_ROOT="${KONFIG_K8S_CACHE:-$HOME/.cache/konfig-lsp/k8s}"
DIR="$CACHE_ROOT/${K8S_VERSION}-etcd${ETCD_VERSION#v}"
BIN="$DIR/bin"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"   # v1.37.2 -> v0.37.2

log() { echo "hack/k8s/build.sh: $*" >&2; }

K8S_CMDS="kube-apiserver kubectl kube-controller-manager kube-scheduler"

have_kwok() {
  [ -x "$BIN/kwok" ] && [ "$(cat "$BIN/kwok.version" 2>/dev/null)" = "$KWOK_VERSION" ]
}

have_all() {
  local b
  for b in $K8S_CMDS etcd; do
    [ -x "$BIN/$b" ] || return 1
  done
  have_kwok
}

# timed NAME CMD... runs CMD, logging its wall time and peak RSS.
timed() {
  local name="$1"; shift
  local t0=$(date +%s)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$DIR/.time.$name" "$@"
    log "built $name in $(( $(date +%s) - t0 ))s, peak RSS of one process $(( $(cat "$DIR/.time.$name") / 1024 )) MiB"
    rm -f "$DIR/.time.$name"
  else
    "$@"
    log "built $name in $(( $(date +%s) - t0 ))s"
  fi
}

if have_all; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$BIN" "$DIR/src"
# Only one build at a time per cache folder.
exec 9>"$DIR/.build.lock"
flock 9
if have_all; then
  echo "$BIN"
  exit 0
fi

export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOTOOLCHAIN=local

build_k8s() {
  local mod="$DIR/src/k8s"
  mkdir -p "$mod"
  cd "$mod"
  local want_tools
  want_tools="$(k8s_tools_go)"
  if [ ! -f go.mod ]; then
    cat > go.mod <<MOD
module konfig-lsp.local/k8s-build

go 1.26.0
MOD
    # Fetch k8s.io/kubernetes's go.mod and repeat its staging replaces.
    local gomod
    gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
    [ -f "$gomod" ] || { log "cannot download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
    {
      echo
      echo "replace ("
      grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" |
        awk -v v="$STAGING_VERSION" '{print "\t" $1 " => " $1 " " v}'
      echo ")"
    } >> go.mod
    echo "$want_tools" > tools.go
    go get "k8s.io/kubernetes@$K8S_VERSION"
    go mod tidy -e >/dev/null 2>&1 || true
  elif [ "$(cat tools.go 2>/dev/null)" != "$want_tools" ]; then
    # A module made for fewer commands: add the others. k8s.io/kubernetes's
    # go.mod lists every dependency of its commands, so the versions of the
    # ones already built do not move (and their compiled packages are reused).
    echo "$want_tools" > tools.go
    go mod tidy -e >/dev/null 2>&1 || true
  fi
  local ld="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ld="$ld -X k8s.io/component-base/version.gitMajor=1"
  ld="$ld -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
  ld="$ld -X k8s.io/component-base/version.gitTreeState=clean"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  for cmd in $K8S_CMDS; do
    if [ ! -x "$BIN/$cmd" ]; then
      log "building $cmd $K8S_VERSION"
      timed "$cmd" go build -ldflags "$ld" -o "$BIN/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
      mv "$BIN/$cmd.tmp" "$BIN/$cmd"
    fi
  done
}

k8s_tools_go() {
  echo "//go:build tools"
  echo
  echo "// Package tools pins the commands this throwaway module builds."
  echo "package tools"
  echo
  echo "import ("
  local cmd
  for cmd in $K8S_CMDS; do
    printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"
  done
  echo ")"
}

build_etcd() {
  local mod="$DIR/src/etcd"
  mkdir -p "$mod"
  cd "$mod"
  if [ ! -f go.mod ]; then
    cat > go.mod <<MOD
module konfig-lsp.local/etcd-build

go 1.26.0
MOD
    cat > tools.go <<'GO'
//go:build tools

// Package tools pins the command this throwaway module builds.
package tools

import _ "go.etcd.io/etcd/server/v3"
GO
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go mod tidy -e >/dev/null 2>&1 || true
  fi
  if [ ! -x "$BIN/etcd" ]; then
    log "building etcd $ETCD_VERSION"
    timed etcd go build -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
    mv "$BIN/etcd.tmp" "$BIN/etcd"
  fi
}

build_kwok() {
  local mod="$DIR/src/kwok-$KWOK_VERSION"
  mkdir -p "$mod"
  cd "$mod"
  if [ ! -f go.mod ]; then
    cat > go.mod <<MOD
module konfig-lsp.local/kwok-build

go 1.26.0
MOD
    cat > tools.go <<'GO'
//go:build tools

// Package tools pins the command this throwaway module builds.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
GO
    go get "sigs.k8s.io/kwok@$KWOK_VERSION"
    go mod tidy -e >/dev/null 2>&1 || true
  fi
  if ! have_kwok; then
    log "building kwok $KWOK_VERSION"
    timed kwok go build -o "$BIN/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok
    mv "$BIN/kwok.tmp" "$BIN/kwok"
    echo "$KWOK_VERSION" > "$BIN/kwok.version"
  fi
}

start=$(date +%s)
build_etcd
build_k8s
build_kwok
log "built in $(( $(date +%s) - start ))s into $BIN"
echo "$BIN"
