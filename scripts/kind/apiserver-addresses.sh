#!/usr/bin/env bash
# The API server's IPv4 addresses as pods reach it: the `kubernetes` Service's cluster IP and
# the endpoints behind it, space-separated (for overlay.sh's APISERVER_ADDRESSES).
#   scripts/kind/apiserver-addresses.sh KUBECTL [ARGS...]   e.g. kubectl --context kind-mlops
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: apiserver-addresses.sh KUBECTL [ARGS...]" >&2; exit 2; }
service=$("$@" -n default get service kubernetes -o jsonpath='{.spec.clusterIP}')
endpoints=$("$@" -n default get endpointslices -l kubernetes.io/service-name=kubernetes \
  -o jsonpath='{range .items[?(@.addressType=="IPv4")].endpoints[*]}{.addresses[0]}{" "}{end}')
[[ -n $service && -n ${endpoints// /} ]] || { echo "apiserver-addresses.sh: the kubernetes Service has no IPv4 address or endpoint" >&2; exit 2; }
echo "$service ${endpoints% }"
