#!/usr/bin/env bash
# Run the tox Python matrix (py3XX-kit and py3XX-<service> for every service of services.toml)
# with every CPython of 3.11-3.13 this machine has: on PATH, in pyenv's versions folder, or among uv's managed
# Pythons. uv cannot use pyenv's shims, so each interpreter found (a shim resolves to the
# one it runs) is linked into one folder that goes first on PATH. A version is skipped only
# when no interpreter for it exists, and the run says so; with MATRIX_REQUIRED=1 a missing
# version fails the run.
#   scripts/test-matrix.sh [--list] [3.11 3.12 ...]
#     env: UV, TOX_VERSION, TOX_UV_VERSION, UV_VERSION; --list: name interpreters and envs only
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$PWD/.tools/bin/uv}
list_only=0
[[ ${1:-} != --list ]] || { list_only=1; shift; }
versions=("$@")
[[ ${#versions[@]} -gt 0 ]] || versions=(3.11 3.12 3.13)

# Prints the executable of a working CPython $1 (e.g. 3.12), as it names itself, or nothing.
find_python() {
  local version=$1 candidate real
  local -a candidates
  mapfile -t candidates < <(
    type -ap "python$version" || true
    compgen -G "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version.*/bin/python$version" || true
    "$UV" python find --managed-python --no-python-downloads "$version" 2>/dev/null || true
  )
  for candidate in "${candidates[@]}"; do
    # A shim or a broken install fails here; a working one names its own executable.
    real=$("$candidate" -c "import sys; assert sys.version_info[:2] == (${version%%.*}, ${version#*.}) \
and sys.implementation.name == 'cpython'; print(sys.executable)" 2>/dev/null) || continue
    [[ -x $real ]] && { echo "$real"; return; }
  done
}

declare -A found
usable=()
for version in "${versions[@]}"; do
  real=$(find_python "$version")
  if [[ -z $real ]]; then
    echo "test-matrix: skipping Python $version: no CPython $version on PATH, in pyenv's" \
      "versions or among uv's managed Pythons" >&2
    [[ ${MATRIX_REQUIRED:-0} != 1 ]] || exit 1
    continue
  fi
  echo "test-matrix: Python $version is $real"
  found[$version]=$real
  usable+=("$version")
done
[[ ${#usable[@]} -gt 0 ]] || { echo "test-matrix: no interpreter found; nothing ran" >&2; exit 1; }

# The registry needs only the standard library: python3 on PATH (inside tox, the env's own)
# or else the first interpreter found above.
registry_python=$(command -v python3 || echo "${found[${usable[0]}]}")
read -ra services <<<"$("$registry_python" -m registry names)"
[[ ${#services[@]} -gt 0 ]] || { echo "test-matrix: no services: '$registry_python -m registry names' printed nothing" >&2; exit 2; }
envs=()
for version in "${usable[@]}"; do
  for factor in kit "${services[@]}"; do envs+=("py${version/./}-$factor"); done
done
if [[ $list_only == 1 ]]; then
  echo "test-matrix: would run ${envs[*]}"
  exit 0
fi
TOX_VERSION=${TOX_VERSION:?set by the Makefile}
TOX_UV_VERSION=${TOX_UV_VERSION:?set by the Makefile}
UV_VERSION=${UV_VERSION:?set by the Makefile}

# Written only by a real run (a --list run, as the test suite makes inside tox, leaves it be).
links=$PWD/.tox/pythons
rm -rf "$links" && mkdir -p "$links"
for version in "${!found[@]}"; do ln -s "${found[$version]}" "$links/python$version"; done

# tox-uv drives the uv it installs: pinned to the project's uv, not the newest.
IFS=,
PATH=$links:$PATH UV_PYTHON_DOWNLOADS=never "$UV" tool run --from "tox==$TOX_VERSION" \
  --with "tox-uv==$TOX_UV_VERSION" --with "uv==$UV_VERSION" tox -e "${envs[*]}"
