#!/usr/bin/env bash
# The host cluster's runtime, from Debian's packages: containerd, runc, the CNI plugins,
# iptables and conntrack (kube-proxy), ipset (kube-router), nft (down.sh deletes the tables
# iptables-nft made), and a C compiler with a static libc (the pause image).
# Needs root and apt; elsewhere it names what is missing and exits 2.
set -euo pipefail
missing=()
need() { command -v "$1" >/dev/null || missing+=("$2"); }
need containerd containerd
need runc runc
need iptables iptables
need conntrack conntrack
need ipset ipset
need nft nftables
need gcc gcc
[[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
[[ -f /usr/lib/x86_64-linux-gnu/libc.a || -f /usr/lib/aarch64-linux-gnu/libc.a ]] || missing+=(libc6-dev)
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "install-prerequisites: missing ${missing[*]} (install them as root, or use kind)" >&2
  exit 2
fi
echo "install-prerequisites: apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
