#!/usr/bin/env bash
# Build the host cluster's binaries from the hash-locked wrapper modules under go/, into a
# cache outside the clone keyed by version, go.mod + go.sum and the Go toolchain: a second run
# builds nothing. Prints one line per component: NAME DIR (the directory holding its binaries).
#
#   hostcluster/build.sh [kubernetes etcd cri-tools metrics-server prometheus coredns kube-router]
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
CACHE=${HOSTCLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlops-hostcluster}
GO=${GO:-$(command -v go || true)}
[[ -x $GO ]] || { echo "build: no Go toolchain (set GO= or put go on PATH)" >&2; exit 2; }
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

# build NAME VERSION LDFLAGS [FROM=TO]: every tool of go/NAME, built with -trimpath like
# upstream releases; FROM=TO renames a binary that go names after its package directory.
build() {
  local name=$1 version=$2 ldflags=$3 rename=${4:-} mod=$here/go/$1 key out
  key=$(cat "$mod/go.mod" "$mod/go.sum" <(echo "$ldflags $rename") <("$GO" version) | sha256sum | cut -c1-12)
  out=$CACHE/$name-$version-$key
  if [[ ! -f $out/.complete ]]; then
    echo "build: $name $version (log: $out.log)" >&2
    rm -rf "$out" && mkdir -p "$out"
    # -mod=readonly: go.sum must already hold every hash; nothing is resolved at build time.
    (cd "$mod" && "$GO" build -mod=readonly -trimpath -ldflags "-s -w $ldflags" -o "$out/" tool) \
      >"$out.log" 2>&1 || { echo "build: $name failed; see $out.log" >&2; tail -20 "$out.log" >&2; exit 1; }
    [[ -z $rename ]] || mv "$out/${rename%%=*}" "$out/${rename#*=}"
    touch "$out/.complete"
  fi
  echo "$name $out"
}

# The version variables upstream's release builds set, so binaries report their real version.
release_date() { "$GO" mod download -json "$1" | sed -n 's/.*"Time": "\(.*\)",*/\1/p'; }

kubernetes() {
  local v=$K8S_VERSION minor date flags=""
  minor=${v#v1.}; minor=${minor%%.*}
  date=$(cd "$here/go/kubernetes" && release_date "k8s.io/kubernetes@$v")
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  build kubernetes "$v" "$flags"
}
etcd() { build etcd "$ETCD_VERSION" "" server=etcd; }  # the main package is server/v3
metrics-server() {
  local v=$METRICS_SERVER_VERSION pkg=sigs.k8s.io/metrics-server/pkg/version
  build metrics-server "$v" "-X $pkg.gitVersion=$v -X $pkg.gitTreeState=clean"
}
cri-tools() {
  build cri-tools "$CRI_TOOLS_VERSION" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION"
}
coredns() {
  build coredns "$COREDNS_VERSION" "-X github.com/coredns/coredns/coremain.GitCommit=v${COREDNS_VERSION#v}"
}
kube-router() {
  build kube-router "$KUBE_ROUTER_VERSION" "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION"
}
prometheus() {
  local v=${PROMETHEUS_VERSION#v} pkg=github.com/prometheus/common/version
  build prometheus "$PROMETHEUS_VERSION" "-X $pkg.Version=$v -X $pkg.Branch=HEAD -X $pkg.BuildUser=hostcluster"
}

components=("$@")
[[ ${#components[@]} -gt 0 ]] || components=(kubernetes etcd cri-tools metrics-server prometheus coredns kube-router)
for c in "${components[@]}"; do
  case $c in
    kubernetes | etcd | cri-tools | metrics-server | prometheus | coredns | kube-router) "$c" ;;
    *) echo "build: unknown component '$c'" >&2; exit 2 ;;
  esac
done
