#!/usr/bin/env bash
# make kind-down: delete the kind cluster of make kind-up and its local state.
set -euo pipefail
cd "$(dirname "$0")/../.."
KIND_CLUSTER=${KIND_CLUSTER:-$(python3 -m registry platform project)}
BIN_DIR=${BIN_DIR:-$PWD/bin}
export PATH="$BIN_DIR:$PATH"
if command -v kind >/dev/null && grep -qx "$KIND_CLUSTER" <<<"$(kind get clusters 2>/dev/null)"; then
  kind delete cluster --name "$KIND_CLUSTER"
else
  echo "no kind cluster '$KIND_CLUSTER'; nothing to delete"
fi
rm -rf .kind
