#!/usr/bin/env bash
# Put the edge's server certificate of scripts/edge-tls.sh (DIR/tls.crt, DIR/tls.key) into
# Secret traefik/edge-tls, which Traefik serves (k8s/addons/traefik): run before the add-on
# is applied, so that Traefik starts with it. Safe to re-run (an apply).
#
#   scripts/edge-tls-secret.sh DIR KUBECTL [ARGS...]
set -euo pipefail
dir=$1
shift
[[ -s $dir/tls.crt && -s $dir/tls.key ]] || { echo "edge-tls-secret: no certificate in $dir (scripts/edge-tls.sh)" >&2; exit 2; }
"$@" create namespace traefik --dry-run=client -o yaml | "$@" apply -f - >/dev/null
"$@" -n traefik create secret tls edge-tls --cert "$dir/tls.crt" --key "$dir/tls.key" \
  --dry-run=client -o yaml | "$@" apply -f - >/dev/null
