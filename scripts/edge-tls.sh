#!/usr/bin/env bash
# The edge's certificate for a development cluster (kind, the host cluster) or for the hop from
# a cloud load balancer to Traefik: a local CA (kept: clients trust it once) and a server
# certificate it signs for NAMEs (DNS names or IP addresses). Writes DIR/ca.crt, DIR/ca.key,
# DIR/tls.crt and DIR/tls.key; the up scripts put the last two into Secret traefik/edge-tls
# (k8s/addons/traefik). The CA's key never leaves DIR.
#
#   scripts/edge-tls.sh DIR NAME [NAME...]
#
# Safe to re-run: the CA is kept; the server certificate too, unless it names other NAMEs or
# expires within 30 days (a new one, signed by the same CA, is then still trusted).
set -euo pipefail
die() { printf 'edge-tls: %s\n' "$*" >&2; exit 2; }
(($# >= 2)) || die "usage: scripts/edge-tls.sh DIR NAME [NAME...]"
command -v openssl >/dev/null || die "openssl is not installed"
dir=$1
shift

sans=()
for name in "$@"; do
  if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then
    sans+=("IP:$name")
  elif [[ $name =~ ^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    sans+=("DNS:$name")
  else
    die "'$name' is neither a DNS name nor an IP address"
  fi
done
san=$(IFS=,; echo "${sans[*]}")

mkdir -p "$dir"
chmod 700 "$dir"
umask 077
if [[ ! -s $dir/ca.crt || ! -s $dir/ca.key ]]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=Local CA of the platform edge" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key.new" -out "$dir/ca.crt.new" 2>/dev/null
  mv "$dir/ca.key.new" "$dir/ca.key"
  mv "$dir/ca.crt.new" "$dir/ca.crt"
  rm -f "$dir/tls.crt"  # signed by a CA that is gone
fi

current() {
  [[ -s $dir/tls.crt && -s $dir/tls.key ]] &&
    openssl x509 -in "$dir/tls.crt" -noout -checkend $((30 * 86400)) >/dev/null &&
    openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null 2>&1 &&
    [[ $(cat "$dir/tls.names" 2>/dev/null) == "$san" ]]
}
if ! current; then
  # 397 days: the longest validity browsers accept for a server certificate.
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$dir/tls.key.new" \
    -out "$dir/tls.csr" 2>/dev/null
  openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 397 -out "$dir/tls.crt.new" -extfile <(printf '%s\n' \
      "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" "subjectAltName=$san") 2>/dev/null
  mv "$dir/tls.key.new" "$dir/tls.key"
  mv "$dir/tls.crt.new" "$dir/tls.crt"
  printf '%s' "$san" >"$dir/tls.names"
  rm -f "$dir/tls.csr"
fi
chmod 644 "$dir/ca.crt" "$dir/tls.crt"
