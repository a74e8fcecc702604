#!/usr/bin/env bash
# Builds the binaries of the test cluster (kube-apiserver, kubectl, etcd) from the
# Go module proxy into a cache folder keyed on their versions, and prints that folder.
# Does nothing when the binaries are already there. The folder also serves as
# KUBEBUILDER_ASSETS for controller-runtime's envtest.
#
#   hack/k8s/build.sh            # build when missing, print the bin folder
#   KONFIG_K8S_CACHE=/x hack/k8s/build.sh
#
# Each build runs in a throwaway module: k8s.io/kubernetes replaces its staging
# modules with ./staging/src/..., which only work inside its own repository, so the
# throwaway go.mod repeats those replace directives pointed at the published
# k8s.io/* v0.${K8S_MINOR}.${K8S_PATCH}. etcd gets its own module so that its
# dependencies do not move the apiserver's.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
CACHE_ROOT="${KONFIG_K8S_CACHE:-$HOME/.cache/konfig-lsp/k8s}"
DIR="$CACHE_ROOT/${K8S_VERSION}-etcd${ETCD_VERSION#v}"
BIN="$DIR/bin"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"   # v1.37.2 -> v0.37.2

log() { echo "hack/k8s/build.sh: $*" >&2; }

have_all() {
  [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kubectl" ] && [ -x "$BIN/etcd" ]
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
    cat > tools.go <<'GO'
//go:build tools

// Package tools pins the commands this throwaway module builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
    go get "k8s.io/kubernetes@$K8S_VERSION"
    go mod tidy -e >/dev/null 2>&1 || true
  fi
  local ld="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ld="$ld -X k8s.io/component-base/version.gitMajor=1"
  ld="$ld -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
  ld="$ld -X k8s.io/component-base/version.gitTreeState=clean"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  for cmd in kube-apiserver kubectl; do
    if [ ! -x "$BIN/$cmd" ]; then
      log "building $cmd $K8S_VERSION"
      go build -ldflags "$ld" -o "$BIN/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
      mv "$BIN/$cmd.tmp" "$BIN/$cmd"
    fi
  done
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
    go build -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
    mv "$BIN/etcd.tmp" "$BIN/etcd"
  fi
}

start=$(date +%s)
build_etcd
build_k8s
log "built in $(( $(date +%s) - start ))s into $BIN"
echo "$BIN"
