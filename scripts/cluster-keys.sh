#!/usr/bin/env bash
# Give a development cluster one API client, `e2e`: the hash of its key goes into the keys file
# the APIs mount (Secret mlops-secrets, key api-keys), the key itself into Secret
# mlops-test-client (what the e2e suite sends, and you: see the README of k8s/). Run before the
# platform is applied, so the APIs start with a key; safe to re-run: the client's key is kept,
# and other clients' lines are kept. Prod gets its keys file from Secrets Manager instead.
#
#   scripts/cluster-keys.sh NAMESPACE KUBECTL [ARGS...]
set -euo pipefail
namespace=$1
shift
kube=("$@" -n "$namespace")

key=$("${kube[@]}" get secret mlops-test-client -o jsonpath='{.data.API_KEY}' 2>/dev/null | base64 -d || true)
if [[ -z $key ]]; then
  key=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  "${kube[@]}" create secret generic mlops-test-client --from-literal=API_KEY="$key" >/dev/null
fi
line="e2e $(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"

current=$("${kube[@]}" get secret mlops-secrets -o jsonpath='{.data.api-keys}' 2>/dev/null | base64 -d || true)
if grep -qxF "$line" <<<"$current"; then
  exit 0
fi
# Without the e2e client's old line (a lost mlops-test-client made a new key), with the others.
keys=$(grep -v '^e2e ' <<<"$current" || true)
keys=$(printf '%s\n%s\n' "$keys" "$line" | sed '/^$/d')
if "${kube[@]}" get secret mlops-secrets >/dev/null 2>&1; then
  # A patch, not an apply: `kubectl apply` of the data-less placeholder never removes it.
  patch=$(python3 -c 'import json,sys; print(json.dumps({"stringData": {"api-keys": sys.argv[1] + "\n"}}))' "$keys")
  "${kube[@]}" patch secret mlops-secrets --type merge -p "$patch" >/dev/null
else
  "${kube[@]}" create secret generic mlops-secrets --from-literal=api-keys="$keys"$'\n' >/dev/null
fi
