#!/usr/bin/env bash
# Install the system tools the test suite drives for real, where this machine allows it.
# As root on Debian/Ubuntu it installs them with apt; elsewhere it lists what is missing,
# and the tests that need a missing tool skip with that reason.
set -euo pipefail

missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "install-test-tools: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No recommends: the server binary and promtool are all the tests use.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-test-tools: not installed: ${missing[*]} (tests that need them will skip)" >&2
fi
