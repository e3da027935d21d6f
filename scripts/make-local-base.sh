#!/usr/bin/env bash
# Build a local Python base image from a Debian rootfs, for machines that cannot pull the
# public python image (no registry reachable). Needs root, debootstrap and a Docker engine.
#   scripts/make-local-base.sh [IMAGE]      default IMAGE: mlops-local-base:bookworm-2
# The result has python3 + venv like the public base; images built on it are for local
# tests only, never pushed.
set -euo pipefail
IMAGE=${1:-mlops-local-base:bookworm-2}
SUITE=${SUITE:-bookworm}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "make-local-base: $IMAGE exists"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "make-local-base: debootstrap is not installed" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "make-local-base: debootstrap needs root" >&2; exit 2; }

# Use the mirror this machine's apt already uses (it is the one reachable from here).
mirror=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -v security | head -n1 | tr -d ' ' || true)
mirror=${MIRROR:-${mirror:-http://deb.debian.org/debian}}

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
echo "make-local-base: debootstrap $SUITE from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  "$SUITE" "$rootfs" "$mirror" >/dev/null
# Trim what a runtime never uses: apt lists, docs, man pages, locales.
# The packages debootstrap downloaded (/var/cache/apt/archives, ~46 MB) are no part of a base.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/{doc,man,info,locale}/* \
  "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
echo "make-local-base: built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
