#!/usr/bin/env bash
# make hostcluster-e2e (and .ci/run): the e2e suite on a fresh host cluster, then teardown,
# where this host allows it; otherwise one line saying why it skipped (exit 0). Once the
# cluster is up, every e2e test must run: a skip fails (E2E_REQUIRED=1 in its env file).
set -Eeuo pipefail
cd "$(dirname "$0")/.."

skip() { echo "hostcluster-e2e: skipped: $*"; exit 0; }
[[ $(uname -s) == Linux ]] || skip "not Linux (the host cluster runs the kubelet on the host)"
[[ $(id -u) -eq 0 ]] || skip "not root (containerd, iptables and mounts need it)"
GO=${GO:-$(command -v go || true)}
[[ -n $GO ]] || { [[ -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go; }
[[ -z $GO || -x $GO ]] || skip "GO=$GO is not an executable"
[[ -n $GO ]] || skip "no Go toolchain on PATH or in /usr/local/go (Kubernetes is built from source)"
# The newest `go` line of the wrapper modules is the oldest toolchain that builds them all.
need=$(sed -n 's/^go //p' hostcluster/go/*/go.mod | sort -V | tail -1)
have=$("$GO" env GOVERSION | sed 's/^go//')
printf '%s\n' "$need" "$have" | sort -VC \
  || skip "Go $have is older than $need, which the wrapper modules under hostcluster/go need"
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || skip "the kernel lacks bridge netfilter"
[[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || skip "no cgroup memory controller"
export GO

ROOT=${HOSTCLUSTER_ROOT:-/var/lib/mlops-hostcluster}
if [[ -f $ROOT/undo ]]; then
  echo "hostcluster-e2e: a host cluster is up already; taking it down first"
  make --no-print-directory hostcluster-down
fi
trap 'make --no-print-directory hostcluster-down' EXIT

started=$SECONDS
make --no-print-directory hostcluster-up
up=$((SECONDS - started))
make --no-print-directory test-e2e PYTEST_ARGS="-v -rs"
e2e=$((SECONDS - started - up))
# The figures the closing notes quote: how long up took, and the e2e report.
echo "hostcluster-e2e: up ${up}s, e2e ${e2e}s; report: .hostcluster/e2e-report.json"
cat .hostcluster/e2e-report.json
