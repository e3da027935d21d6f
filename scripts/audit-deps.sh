#!/usr/bin/env bash
# make audit-deps: every locked Python dependency (uv.lock: the kit, the services, training,
# serving and the tools) checked against PyPI's advisory data (the OSV database) by pip-audit,
# pinned. A known vulnerability fails the run, naming the package, the advisory and the fixed
# version; if the advisory data cannot be reached, one line says so and the exit code is 3:
# nothing passes unaudited in silence.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(if [[ -x .tools/bin/uv ]]; then echo .tools/bin/uv; else command -v uv; fi)}
[[ -n $UV ]] || { echo "audit-deps: uv not found (make setup installs it)" >&2; exit 2; }
PIP_AUDIT_VERSION=2.10.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$UV" export --frozen --no-hashes --no-emit-workspace --all-packages --quiet >"$work/requirements.txt"
count=$(grep -c '^[A-Za-z0-9]' "$work/requirements.txt")
if "$UV" tool run --quiet --from "pip-audit==$PIP_AUDIT_VERSION" pip-audit --requirement "$work/requirements.txt" \
  --no-deps --disable-pip --progress-spinner off >"$work/out" 2>&1; then
  echo "audit-deps: $count locked packages, no known vulnerability (pip-audit $PIP_AUDIT_VERSION, PyPI advisory data)"
elif grep -qiE 'connection|resolve|timed? ?out|max retries|network' "$work/out"; then
  echo "audit-deps: pypi.org (pip-audit and its advisory data) is not reachable from here: the $count locked packages were not audited" >&2
  exit 3
else
  grep -v '^WARNING:pip_audit' "$work/out" >&2
  exit 1
fi
