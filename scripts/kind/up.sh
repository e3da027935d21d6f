#!/usr/bin/env bash
# make kind-up: the whole platform on a local kind cluster. Idempotent: every step checks
# what exists and only does what is missing, so running it twice is safe (and redeploys
# changed code or models under a new image tag).
#
# Knobs (the Makefile passes its pinned versions): KIND_VERSION KUBECTL_VERSION
# GATEWAY_API_VERSION KIND_CLUSTER INGRESS_PORT GATEWAY_PORT BIN_DIR MODEL_DIR
set -Eeuo pipefail
cd "$(dirname "$0")/../.."

KIND_VERSION=${KIND_VERSION:?set by the Makefile}
KUBECTL_VERSION=${KUBECTL_VERSION:?set by the Makefile}
GATEWAY_API_VERSION=${GATEWAY_API_VERSION:?set by the Makefile}
KIND_CLUSTER=${KIND_CLUSTER:-}  # default: the [platform] project, read after the prerequisites
INGRESS_PORT=${INGRESS_PORT:-8080}
GATEWAY_PORT=${GATEWAY_PORT:-8081}
# HTTPS: fixed, the NodePorts themselves, which the plain-HTTP ports redirect to.
INGRESS_TLS_PORT=30443
GATEWAY_TLS_PORT=30543
BIN_DIR=${BIN_DIR:-$PWD/bin}
MODEL_DIR=${MODEL_DIR:-models}
KIND_MIN_CPUS=${KIND_MIN_CPUS:-2}
STATE_DIR=.kind
NAMESPACE=  # the platform's names, read from the registry after the prerequisites (below)
IMAGE_PREFIX=
CONTEXT=
export PATH="$BIN_DIR:$PATH"

step_name="starting"
step() { step_name=$*; printf '\n==> %s\n' "$*"; }
die() { printf 'kind-up: %s\n' "$*" >&2; exit 2; }
k() { kubectl --context "$CONTEXT" "$@"; }

# On failure: name the step, then show what explains it.
explain_failure() {
  local rc=$?
  printf '\nkind-up: FAILED at step "%s" (exit %d)\n' "$step_name" "$rc" >&2
  if [[ -n $CONTEXT ]] && kubectl config get-contexts "$CONTEXT" >/dev/null 2>&1; then
    printf '\n--- recent events in %s ---\n' "$NAMESPACE" >&2
    k get events -n "$NAMESPACE" --sort-by=.lastTimestamp 2>/dev/null | tail -n 25 >&2 || true
    printf '\n--- pods not ready ---\n' >&2
    k get pods -A --field-selector=status.phase!=Running 2>/dev/null >&2 || true
    for pod in $(k get pods -n "$NAMESPACE" -o jsonpath='{range .items[?(@.status.containerStatuses[0].ready==false)]}{.metadata.name}{"\n"}{end}' 2>/dev/null); do
      printf '\n--- logs of %s ---\n' "$pod" >&2
      k logs -n "$NAMESPACE" "$pod" --tail=30 --all-containers 2>/dev/null >&2 || true
    done
  fi
  exit "$rc"
}
trap explain_failure ERR

os=$(uname -s | tr '[:upper:]' '[:lower:]')
case $(uname -m) in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported CPU $(uname -m): kind ships amd64 and arm64" ;;
esac

fetch() { curl -fsSL --retry 3 -o "$2" "$1"; }

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi | cut -d' ' -f1; }

# install_tool NAME VERSION URL SHA_URL VERSION_ARGS...: a pinned binary, checked against its
# published checksum, into BIN_DIR, unless that version is already on PATH (or in BIN_DIR).
install_tool() {
  local name=$1 version=$2 url=$3 sha_url=$4 tmp; shift 4
  if command -v "$name" >/dev/null && grep -q -- "${version#v}" <<<"$("$name" "$@" 2>/dev/null || true)"; then
    echo "$name $version: $(command -v "$name")"; return
  fi
  mkdir -p "$BIN_DIR"; tmp=$(mktemp -d)
  fetch "$url" "$tmp/$name"
  fetch "$sha_url" "$tmp/sum"
  [[ $(sha256 "$tmp/$name") == "$(cut -d' ' -f1 "$tmp/sum")" ]] || die "checksum mismatch for $url"
  install -m 0755 "$tmp/$name" "$BIN_DIR/$name"; rm -rf "$tmp"
  echo "installed $name $version into $BIN_DIR"
}

step "checking prerequisites"
missing=()
command -v docker >/dev/null || missing+=("docker (https://docs.docker.com/get-docker/)")
command -v git >/dev/null || missing+=("git")
command -v curl >/dev/null || missing+=("curl")
[[ ${#missing[@]} -eq 0 ]] || die "missing: ${missing[*]}"
docker info >/dev/null 2>&1 || die "Docker is installed but no engine answers: start Docker Desktop or dockerd"
# The kind overlay is sized for 2 CPUs (k8s/overlays/kind/kustomization.yaml); fewer leave a
# pod Pending half-way through. Kubernetes 1.35+ kubelets refuse cgroup v1.
read -r ncpu cgroup < <(docker info --format '{{.NCPU}} {{.CgroupVersion}}')
((ncpu >= KIND_MIN_CPUS)) || die "the Docker engine has $ncpu CPU(s); the platform on kind needs $KIND_MIN_CPUS (give Docker more CPUs)"
[[ $cgroup == 2 ]] || die "the Docker engine runs on cgroup v$cgroup; kind's Kubernetes 1.37 node needs cgroup v2 (on this host use make hostcluster-up)"
# The services, in order, from the registry (services.toml; python3 3.11+, standard library).
read -ra SERVICES <<<"$(python3 -m registry names)"
[[ ${#SERVICES[@]} -gt 0 ]] || die "no services: 'python3 -m registry names' printed nothing (needs python3 3.11+ on PATH)"
# The platform's names ([platform] of services.toml).
KIND_CLUSTER=${KIND_CLUSTER:-$(python3 -m registry platform project)}
NAMESPACE=$(python3 -m registry platform namespace)
IMAGE_PREFIX=$(python3 -m registry platform image_prefix)
CONTEXT=kind-$KIND_CLUSTER

step "installing kind $KIND_VERSION and kubectl $KUBECTL_VERSION into $BIN_DIR (unless on PATH)"
install_tool kind "$KIND_VERSION" \
  "https://kind.sigs.k8s.io/dl/$KIND_VERSION/kind-$os-$arch" \
  "https://github.com/kubernetes-sigs/kind/releases/download/$KIND_VERSION/kind-$os-$arch.sha256sum" \
  version
install_tool kubectl "$KUBECTL_VERSION" \
  "https://dl.k8s.io/release/$KUBECTL_VERSION/bin/$os/$arch/kubectl" \
  "https://dl.k8s.io/release/$KUBECTL_VERSION/bin/$os/$arch/kubectl.sha256" \
  version --client

step "creating kind cluster '$KIND_CLUSTER' (ingress 127.0.0.1:$INGRESS_PORT, gateway 127.0.0.1:$GATEWAY_PORT)"
mkdir -p "$STATE_DIR"
if grep -qx "$KIND_CLUSTER" <<<"$(kind get clusters 2>/dev/null)"; then
  echo "cluster exists; reusing it"
else
  sed -e "s/hostPort: 8080/hostPort: $INGRESS_PORT/" -e "s/hostPort: 8081/hostPort: $GATEWAY_PORT/" \
    -e "s/^name: .*$/name: $KIND_CLUSTER/" k8s/kind/kind-config.yaml > "$STATE_DIR/kind-config.yaml"
  kind create cluster --config "$STATE_DIR/kind-config.yaml" --wait 120s
fi
k wait --for=condition=Ready node --all --timeout=120s

step "installing Gateway API $GATEWAY_API_VERSION CRDs (standard channel)"
k apply --server-side --force-conflicts -f \
  "https://github.com/kubernetes-sigs/gateway-api/releases/download/$GATEWAY_API_VERSION/standard-install.yaml" >/dev/null
k wait --for=condition=Established --timeout=60s \
  crd/gatewayclasses.gateway.networking.k8s.io crd/gateways.gateway.networking.k8s.io \
  crd/httproutes.gateway.networking.k8s.io

step "making the edge's certificate (local CA in $STATE_DIR/edge-tls) and Secret traefik/edge-tls"
scripts/edge-tls.sh "$STATE_DIR/edge-tls" 127.0.0.1 localhost
scripts/edge-tls-secret.sh "$STATE_DIR/edge-tls" kubectl --context "$CONTEXT"

step "installing metrics-server and Traefik (k8s/overlays/kind/cluster-addons)"
# Prometheus and Traefik may reach the API server at its own addresses only (their egress
# rules; scripts/kind/overlay.sh): the add-ons through an overlay that sets them, as the platform.
apiserver=$(scripts/kind/apiserver-addresses.sh kubectl --context "$CONTEXT")
APISERVER_ADDRESSES=$apiserver scripts/kind/overlay.sh addons "$STATE_DIR/addons" k8s/overlays/kind/cluster-addons
k apply -k "$STATE_DIR/addons"
k -n kube-system rollout status deployment/metrics-server --timeout=180s
k -n traefik rollout status deployment/traefik --timeout=180s

step "training the models (kept when present in $MODEL_DIR/)"
for s in "${SERVICES[@]}"; do
  [[ -f $MODEL_DIR/$s/model.npz ]] || { make train MODEL_DIR="$MODEL_DIR"; break; }
done

tag=$(scripts/image-tag.sh kind "$MODEL_DIR")

step "building the images (tag $tag)"
TAG=$tag IMAGE_PREFIX=$IMAGE_PREFIX MODEL_DIR=$MODEL_DIR scripts/build-images.sh "${SERVICES[@]}"

step "loading the images into kind"
for s in "${SERVICES[@]}"; do kind load docker-image --name "$KIND_CLUSTER" "$IMAGE_PREFIX/$s:$tag"; done

step "creating the namespace, the Grafana admin Secret (random password, never in git) and an API client key"
k create namespace "$NAMESPACE" --dry-run=client -o yaml | k apply -f - >/dev/null
if ! k -n "$NAMESPACE" get secret grafana-admin >/dev/null 2>&1; then
  password=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24 || true)
  k -n "$NAMESPACE" create secret generic grafana-admin \
    --from-literal=admin-user=admin --from-literal=admin-password="$password"
fi
scripts/cluster-keys.sh "$NAMESPACE" kubectl --context "$CONTEXT"

step "applying the kind overlay"
APISERVER_ADDRESSES=$apiserver scripts/kind/overlay.sh "$tag" "$STATE_DIR/overlay"
k apply -k "$STATE_DIR/overlay"

# `rollout status` returns once the new pods are available (Ready), so pods of an earlier
# rollout that are still terminating do not make this step race.
step "waiting for every rollout and for readiness"
for d in "${SERVICES[@]}" prometheus grafana; do
  k -n "$NAMESPACE" rollout status "deployment/$d" --timeout=300s
done

step "checking the routes through the ingress controller (HTTPS, the local CA trusted)"
answers_ready() {
  [[ $(curl -s --noproxy '*' --cacert "$STATE_DIR/edge-tls/ca.crt" -o /dev/null -w '%{http_code}' "$1") == 200 ]]
}
for url in "https://127.0.0.1:$INGRESS_TLS_PORT" "https://127.0.0.1:$GATEWAY_TLS_PORT"; do
  for s in "${SERVICES[@]}"; do
    attempt=0
    until answers_ready "$url/$s/ready"; do
      (( ++attempt < 60 )) || { echo "$url/$s/ready does not answer 200"; false; }
      sleep 2
    done
  done
done

cat > "$STATE_DIR/env" <<ENV
KUBE_CONTEXT=$CONTEXT
INGRESS_URL=https://127.0.0.1:$INGRESS_TLS_PORT
GATEWAY_URL=https://127.0.0.1:$GATEWAY_TLS_PORT
INGRESS_HTTP_URL=http://127.0.0.1:$INGRESS_PORT
GATEWAY_HTTP_URL=http://127.0.0.1:$GATEWAY_PORT
E2E_CA_BUNDLE=$PWD/$STATE_DIR/edge-tls/ca.crt
ENV

step "ready"
names=$(IFS=,; echo "${SERVICES[*]}")
cat <<DONE
  APIs (Ingress)      https://127.0.0.1:$INGRESS_TLS_PORT/{$names}/docs
  APIs (Gateway API)  https://127.0.0.1:$GATEWAY_TLS_PORT/{$names}/docs
  Local CA            $STATE_DIR/edge-tls/ca.crt (curl --cacert ...; plain HTTP redirects to HTTPS)
  Grafana             kubectl --context $CONTEXT -n $NAMESPACE port-forward svc/grafana 3000
                      user/password: kubectl --context $CONTEXT -n $NAMESPACE get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d
  Prometheus          kubectl --context $CONTEXT -n $NAMESPACE port-forward svc/prometheus 9090
  Tests               make test-e2e      Remove everything: make kind-down
DONE
