#!/usr/bin/env bash
# Install and start the system tools the test suite drives for real, where this machine
# allows it: Prometheus/promtool (monitoring tests), a Docker engine and debootstrap
# (container tests). As root on Debian/Ubuntu they are installed with apt and dockerd is
# started; elsewhere the script lists what is missing and the tests that need it skip.
set -euo pipefail

missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)

is_root_with_apt() { [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; }

if [[ ${#missing[@]} -gt 0 ]]; then
  if is_root_with_apt; then
    echo "install-test-tools: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # No recommends: the binaries are all the tests use.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "install-test-tools: not installed: ${missing[*]} (tests that need them will skip)" >&2
  fi
fi

# checkov for the Terraform security scan, in a venv of its own (its pins would fight uv.lock).
CHECKOV_VERSION=3.3.30
checkov_venv=$(cd "$(dirname "$0")/.." && pwd)/.tools/checkov
if [[ ! -x $checkov_venv/bin/checkov ]] || ! grep -qx "$CHECKOV_VERSION" <<<"$("$checkov_venv/bin/checkov" --version 2>/dev/null)"; then
  echo "install-test-tools: checkov $CHECKOV_VERSION into .tools/checkov"
  python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" 2> >(grep -v ' is ignored: ' >&2)
fi
command -v terraform >/dev/null || echo "install-test-tools: terraform is not installed (Terraform tests will skip)" >&2

# A Docker engine for the container tests: start one if it is installed but not running.
if command -v dockerd >/dev/null && ! docker info >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then
    pidfile=/var/run/docker.pid
    if [[ -f $pidfile ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      rm -f "$pidfile"  # left by an engine that was stopped without cleaning up
    fi
    echo "install-test-tools: starting dockerd (log: /tmp/dockerd.log)"
    nohup dockerd >/tmp/dockerd.log 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || echo "install-test-tools: dockerd did not start; see /tmp/dockerd.log" >&2
  else
    echo "install-test-tools: no Docker engine running (container tests will skip)" >&2
  fi
fi
