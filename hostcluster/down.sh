#!/usr/bin/env bash
# make hostcluster-down: undo what up.sh did, exactly, from its record ($ROOT/undo): stop
# every pod and process, remove mounts, links, routes, iptables chains and files, and restore
# the sysctls it changed. Safe to run twice, and after an up that stopped half-way.
set -Euo pipefail
cd "$(dirname "$0")/.."

ROOT=${HOSTCLUSTER_ROOT:-/var/lib/mlops-hostcluster}
RUN=${HOSTCLUSTER_RUN:-/run/mlops-hostcluster}
UNDO=$ROOT/undo
BIN=$ROOT/bin
failures=0

say() { printf '==> %s\n' "$*"; }
warn() { printf 'hostcluster-down: %s\n' "$*" >&2; failures=$((failures + 1)); }

if [[ ! -f $UNDO ]]; then
  rm -rf .hostcluster/env .hostcluster/overlay .hostcluster/addons .hostcluster/platform.yaml
  echo "hostcluster-down: nothing to undo (no $UNDO)"
  exit 0
fi
[[ $(id -u) -eq 0 ]] || { echo "hostcluster-down: needs root" >&2; exit 2; }

# stop NAME: TERM, then KILL after 15 s; the process group too (setsid made one per process).
stop() {
  local pidfile=$RUN/pids/$1.pid pid
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

say "stopping the kubelet and the control plane's controllers (nothing restarts pods now)"
for name in kubelet kube-scheduler kube-controller-manager; do stop "$name"; done

# Each sandbox stopped through the CRI runs the CNI DEL: the bridge plugin frees the address
# and removes its masquerade rules, the firewall plugin its FORWARD rules.
if [[ -x $BIN/crictl && -S $RUN/containerd.sock && -f $ROOT/crictl.yaml ]]; then
  say "stopping and removing every pod sandbox through the CRI"
  crictl=("$BIN/crictl" --config "$ROOT/crictl.yaml")
  for pod in $("${crictl[@]}" pods -q 2>/dev/null); do
    "${crictl[@]}" stopp "$pod" >/dev/null || warn "could not stop pod $pod"
    "${crictl[@]}" rmp "$pod" >/dev/null || warn "could not remove pod $pod"
  done
fi

say "stopping kube-proxy, containerd, the API server and etcd"
for name in kube-router kube-proxy containerd kube-apiserver etcd; do stop "$name"; done

# drop_chains CMD TABLE CHAIN...: remove every jump to these chains, then flush and delete them
# (flush all first: they may jump to one another).
drop_chains() {
  local cmd=$1 table=$2 parent chain; shift 2
  for chain in "$@"; do
    for parent in $("$cmd" -t "$table" -S 2>/dev/null | awk '$1 == "-P" || $1 == "-N" {print $2}'); do
      "$cmd" -t "$table" -n -L "$parent" --line-numbers 2>/dev/null \
        | awk -v c="$chain" 'NR > 2 && $2 == c {print $1}' | sort -rn \
        | while read -r n; do "$cmd" -t "$table" -D "$parent" "$n"; done
    done
  done
  for chain in "$@"; do "$cmd" -t "$table" -F "$chain" 2>/dev/null || true; done
  for chain in "$@"; do "$cmd" -t "$table" -X "$chain" 2>/dev/null || warn "could not delete chain $table/$chain"; done
}

# table_is_bare FAMILY TABLE: built-in chains only, each with policy ACCEPT, and no rule: what
# iptables-nft leaves when it first touches a table. Anything more belongs to someone else.
table_is_bare() {
  local cmd=iptables
  [[ $1 == ip6 ]] && cmd=ip6tables
  "$cmd-save" -t "$2" 2>/dev/null | awk '/^-A/ || (/^:/ && $2 != "ACCEPT") {used = 1} END {exit used}'
}

# Whatever is still mounted under our directories: container rootfs, shm, network namespaces,
# secret and projected volumes. Deepest first.
unmount_under() {
  local dir=$1
  findmnt -rn -o TARGET | awk -v d="$dir" 'index($0, d "/") == 1' | sort -r | while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target" || warn "could not unmount $target"
  done
}
unmount_under "$ROOT"
unmount_under "$RUN"

say "undoing the host changes in reverse order"
while read -r kind args; do
  set -- $args
  case $kind in
    process) stop "$1" ;;
    kube-router-rules)
      # kube-router's own --cleanup-config fails on iptables-nft, so its chains and ipsets
      # go by their names, which only kube-router uses.
      for table in filter nat mangle; do
        mapfile -t chains < <(iptables -t "$table" -S 2>/dev/null \
          | awk '$1 == "-N" && $2 ~ /^KUBE-(ROUTER-|POD-FW-|NWPLCY-)/ {print $2}')
        [[ ${#chains[@]} -eq 0 ]] || drop_chains iptables "$table" "${chains[@]}"
      done
      for set in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-(SRC|DST)-|kube-router-)'); do
        ipset destroy "$set" || warn "could not destroy ipset $set"
      done ;;
    kube-proxy-rules)
      # kube-proxy removes its own chains (iptables, and nftables/ipvs if any were made).
      [[ -x $BIN/kube-proxy ]] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true ;;
    chain) ! iptables -n -L "$2" >/dev/null 2>&1 || drop_chains iptables filter "$2" ;;
    table-chain | leftover-chain) ! "$1" -t "$2" -n -L "$3" >/dev/null 2>&1 || drop_chains "$1" "$2" "$3" ;;
    new-path) rm -rf --one-file-system "$1" ;;
    new-table)
      if ! nft list table "$1" "$2" >/dev/null 2>&1; then :
      elif table_is_bare "$1" "$2"; then nft delete table "$1" "$2" || warn "could not delete table $1 $2"
      else echo "hostcluster-down: kept table $1 $2: it holds rules or chains that are not ours" >&2
      fi ;;
    link) ! ip link show "$1" >/dev/null 2>&1 || ip link delete "$1" || warn "could not delete link $1" ;;
    route) ip route del $args 2>/dev/null || true ;;
    mount) ! findmnt -n "$1" >/dev/null || umount "$1" || umount -l "$1" || warn "could not unmount $1" ;;
    sysctl) echo "$2" >"/proc/sys/${1//.//}" || warn "could not restore $1=$2" ;;
    dir) [[ $1 == "$ROOT" ]] || rm -rf --one-file-system "$1" ;;  # ROOT last, below
    *) warn "unknown undo record: $kind $args" ;;
  esac
done < <(tac "$UNDO")

# The kubelet's pod cgroups (cgroup v1: one tree per controller; v2: one tree).
for tree in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
  [[ -d $tree ]] && find "$tree" -depth -type d -exec rmdir {} + 2>/dev/null
done
# The kubelet links container logs here; those links point into $ROOT/pod-logs.
find /var/log/containers -maxdepth 1 -type l -lname "$ROOT/*" -delete 2>/dev/null || true

rm -rf --one-file-system "$ROOT" .hostcluster/env .hostcluster/overlay .hostcluster/addons .hostcluster/platform.yaml
if ((failures > 0)); then
  echo "hostcluster-down: finished with $failures problems (above)" >&2
  exit 1
fi
echo "hostcluster-down: done; nothing of the cluster is left on this host"
