#!/usr/bin/env bash
# Run .ci/run as CI does: in a fresh clone of HEAD (uncommitted work is not in it), with a
# PATH of system directories only, so a tool found only because it was installed by hand
# (a global uv, a venv on PATH) fails here instead of in CI.
#   scripts/ci-clean-clone.sh [CLONE_DIR]   (default: a new temporary directory, removed after)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n $(git status --porcelain) ]]; then
  echo "ci-clean-clone: uncommitted changes are not tested (the clone holds HEAD only)" >&2
fi
dir=${1:-}
if [[ -z $dir ]]; then
  dir=$(mktemp -d /tmp/ci-clean-clone.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
elif [[ -e $dir ]]; then
  echo "ci-clean-clone: $dir exists; give a new directory" >&2
  exit 2
fi
git clone --quiet "$PWD" "$dir"
echo "==> .ci/run in $dir at $(git -C "$dir" rev-parse --short HEAD)"
cd "$dir"
# Variables a developer's shell may carry that would point the run at their own set-up.
env -u VIRTUAL_ENV -u UV -u KUBECONFIG -u E2E_ENV_FILE -u E2E_REQUIRED -u PYTHONPATH \
  CI=true PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash .ci/run
