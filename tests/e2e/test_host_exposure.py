"""The host cluster answers on loopback and on the pods' bridge, and nowhere else
(hostcluster/README.md, "Exposure"). Probed as a machine on the node's network would probe
it: from a network namespace of this test's own, linked to the host by a veth pair, with
routes through the host to every address it has, to 127.0.0.0/8, and to the pod and Service
ranges, over IPv4 and IPv6. Every listening socket of the cluster's processes, every Service
and pod port, and every NodePort is tried; each must meet silence (dropped by the guard),
not an answer, and not even a refusal (which would mean only the bind kept it closed).

Needs the variables hostcluster/up.sh writes into its env file (E2E_HOST_*) and root; on
another cluster it skips."""

import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client

from tests.e2e.cluster import REPO

PROBE_TIMEOUT = 2.0  # seconds a connection may take on a veth link before it counts as silent
# The host's end and the namespace's end of the link: RFC 2544's benchmarking range and a
# unique-local IPv6 prefix, neither routed anywhere.
HOST_V4, PEER_V4 = "198.18.0.1", "198.18.0.2"
HOST_V6, PEER_V6 = "fd6d:6c6f:7073::1", "fd6d:6c6f:7073::2"


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is unset: the exposure probe is the host cluster's (hostcluster-up)")
    return value


def _ip(*args: str, netns: str | None = None) -> str:
    prefix = ["ip", "netns", "exec", netns] if netns else []
    done = subprocess.run([*prefix, "ip", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"ip {' '.join(args)}: {done.stderr.strip()}"
    return done.stdout


def host_addresses() -> tuple[list[str], list[str]]:
    """Every global address of this host's network namespace: IPv4, IPv6."""
    found: dict[int, list[str]] = {4: [], 6: []}
    for family in (4, 6):
        for line in _ip(f"-{family}", "-o", "addr", "show", "scope", "global").splitlines():
            address = line.split()[3].split("/")[0]
            if address not in (HOST_V4, HOST_V6):
                found[family].append(address)
    return found[4], found[6]


@pytest.fixture(scope="module")
def probe_namespace() -> Iterator[str]:
    """A network namespace linked to the host by a veth pair, with routes through the host to
    its addresses, to 127.0.0.0/8 and to the cluster's ranges (and to nothing off the host)."""
    if os.geteuid() != 0:
        pytest.skip("the exposure probe makes a network namespace: it needs root")
    pod_cidr, service_cidr = _env("E2E_HOST_POD_CIDR"), _env("E2E_HOST_SERVICE_CIDR")
    v4, v6 = host_addresses()
    netns, host_end = f"mlops-probe-{os.getpid()}", f"mlprobe{os.getpid() % 100000}"
    _ip("netns", "add", netns)
    try:
        _ip("link", "add", host_end, "type", "veth", "peer", "name", "probe0", "netns", netns)
        _ip("addr", "add", f"{HOST_V4}/30", "dev", host_end)
        _ip("-6", "addr", "add", f"{HOST_V6}/64", "dev", host_end, "nodad")
        _ip("link", "set", host_end, "up")
        for args in (
            ("addr", "add", f"{PEER_V4}/30", "dev", "probe0"),
            ("-6", "addr", "add", f"{PEER_V6}/64", "dev", "probe0", "nodad"),
            ("link", "set", "probe0", "up"),
            # 127.0.0.0/8 leaves through the link, as a forged packet from the node's network
            # would arrive: the namespace's loopback stays down (no local route for it), and
            # the link may carry it (route_localnet, below).
            ("route", "add", "127.0.0.0/8", "via", HOST_V4, "dev", "probe0"),
            *(("route", "add", cidr, "via", HOST_V4) for cidr in (pod_cidr, service_cidr)),
            *(("route", "add", f"{a}/32", "via", HOST_V4) for a in v4),
            *(("-6", "route", "add", f"{a}/128", "via", HOST_V6) for a in v6),
        ):
            _ip(*args, netns=netns)
        localnet = "net.ipv4.conf.probe0.route_localnet=1"
        subprocess.run(["ip", "netns", "exec", netns, "sysctl", "-qw", localnet], check=True)
        yield netns
    finally:
        subprocess.run(["ip", "netns", "del", netns], check=False)


def cluster_listeners(run_dir: Path) -> list[tuple[str, str, int]]:
    """(process, address, port) of each TCP socket that a process of the cluster (a session
    that hostcluster/up.sh started, pid files in RUN/pids) listens on in the host's namespace."""
    leaders = {int(p.read_text()) for p in (run_dir / "pids").glob("*.pid")}
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[3]) in leaders:  # the session id
            members.add(int(stat.parent.name))
    found = []
    done = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        local = line.split()[3]
        address, port = local.rsplit(":", 1)
        for name, pid in re.findall(r'\("([^"]+)",pid=(\d+)', line):
            if int(pid) in members:
                found.append((name, address.strip("[]").split("%")[0], int(port)))
    return sorted(set(found))


def listener_targets(
    listeners: list[tuple[str, str, int]], v4: list[str], v6: list[str]
) -> list[tuple[str, str, int]]:
    """(what, host, port) for each listening socket: a wildcard on every host address."""
    out = []
    for name, address, port in listeners:
        if address in ("*", "0.0.0.0", "::"):
            hosts = [*v4, HOST_V4, "127.0.0.1"]
            if address != "0.0.0.0":
                hosts += [*v6, HOST_V6]
        elif ipaddress.ip_address(address).is_loopback:
            hosts = ["127.0.0.1"] if address.startswith("127.") else []  # ::1 never arrives
        else:
            hosts = [address]
        out += [(f"{name} {address}:{port}", host, port) for host in hosts]
    return out


def service_targets(core: client.CoreV1Api, v4: list[str]) -> list[tuple[str, str, int]]:
    """Every TCP port of every Service, at its cluster IP and as a NodePort on the host."""
    out = []
    for svc in core.list_service_for_all_namespaces().items:
        where = f"{svc.metadata.namespace}/{svc.metadata.name}"
        for p in (p for p in svc.spec.ports or [] if p.protocol == "TCP"):
            if svc.spec.cluster_ip not in (None, "None"):
                out.append((f"Service {where}", svc.spec.cluster_ip, p.port))
            if p.node_port:
                out += [(f"NodePort {where}", h, p.node_port) for h in [*v4, HOST_V4, "127.0.0.1"]]
    return out


def pod_targets(core: client.CoreV1Api, v4: list[str]) -> list[tuple[str, str, int]]:
    """Every declared TCP port of every pod on the pods' network, and each host port a pod
    asks for on every host address (the CNI's portmap answers those on the host)."""
    out = []
    for pod in core.list_pod_for_all_namespaces().items:
        if pod.spec.host_network or not pod.status.pod_ip:
            continue
        what = f"pod {pod.metadata.namespace}/{pod.metadata.name}"
        for container in pod.spec.containers:
            for p in (p for p in container.ports or [] if p.protocol in (None, "TCP")):
                out.append((what, pod.status.pod_ip, p.container_port))
                if p.host_port:
                    out += [(f"{what} hostPort", h, p.host_port) for h in [*v4, HOST_V4]]
    return out


def probe(netns: str, targets: list[tuple[str, int]]) -> list[str]:
    """Each target's outcome (tests/e2e/netprobe.py), tried from inside `netns`."""
    netprobe = [sys.executable, "-m", "tests.e2e.netprobe", str(PROBE_TIMEOUT)]
    done = subprocess.run(
        ["ip", "netns", "exec", netns, *netprobe],
        input=json.dumps(targets),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def control_listeners() -> Iterator[tuple[int, int]]:
    """A listener of this test on every IPv4 and every IPv6 address, on ports the guard leaves
    alone: the probe's way to the host works, so silence elsewhere is the guard's doing."""
    guarded = [range(2379, 2382), range(6443, 6444), range(10248, 10260), range(20244, 20245)]
    guarded.append(range(30000, 32768))
    servers = []
    try:
        for family, address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            server = socket.create_server((address, 0), family=family, dualstack_ipv6=False)
            servers.append(server)
            port = server.getsockname()[1]
            assert not any(port in r for r in guarded), f"the ephemeral port {port} is guarded"
        yield servers[0].getsockname()[1], servers[1].getsockname()[1]
    finally:
        for server in servers:
            server.close()


def test_nothing_of_the_cluster_answers_from_another_interface(
    probe_namespace: str,
    control_listeners: tuple[int, int],
    core: client.CoreV1Api,
    report: dict[str, Any],
) -> None:
    listeners = cluster_listeners(Path(_env("E2E_HOST_RUN")))
    # The probe must see the components it is meant to: the API server and the kubelet.
    assert {"kube-apiserver", "kubelet"} <= {name for name, _, _ in listeners}, listeners
    v4, v6 = host_addresses()
    port4, port6 = control_listeners
    pods = ipaddress.ip_network(_env("E2E_HOST_POD_CIDR"))  # the bridge's own address: guarded
    open_v4 = [h for h in [*v4, HOST_V4] if ipaddress.ip_address(h) not in pods]
    controls = [(h, port4) for h in open_v4] + [(h, port6) for h in [*v6, HOST_V6]]
    assert set(probe(probe_namespace, controls)) == {"answered"}, controls
    probes = listener_targets(listeners, v4, v6) + service_targets(core, v4) + pod_targets(core, v4)
    started = time.monotonic()
    outcomes = probe(probe_namespace, [(host, port) for _, host, port in probes])
    seconds = time.monotonic() - started
    by_outcome: dict[str, list[str]] = {}
    for (what, host, port), outcome in zip(probes, outcomes, strict=True):
        by_outcome.setdefault(outcome, []).append(f"{what} at {host}:{port}")
    report["host_exposure"] = {
        "probes": len(probes),
        "listening_sockets": len(listeners),
        "control_probes_answered": len(controls),
        **{outcome: len(found) for outcome, found in by_outcome.items()},
        "seconds": round(seconds, 1),
    }
    assert not by_outcome.get("answered"), by_outcome["answered"]
    assert not by_outcome.get("unroutable"), f"the probe's routes miss: {by_outcome['unroutable']}"
    assert not by_outcome.get("refused"), f"refused, not dropped: {by_outcome['refused']}"
    assert len(by_outcome["silent"]) == len(probes)


def test_the_api_server_and_the_kubelet_refuse_anonymous_requests(
    api_client: client.ApiClient,
) -> None:
    _env("E2E_HOST_RUN")
    server = httpx.URL(api_client.configuration.host)
    # The cluster's CA, which signs both serving certificates; no client certificate.
    cluster_ca = ssl.create_default_context(cafile=api_client.configuration.ssl_ca_cert)
    with httpx.Client(verify=cluster_ca, trust_env=False) as anonymous:
        answers = {
            f"{path} on port {port}": anonymous.get(f"https://{server.host}:{port}{path}")
            for port, path in [(6443, "/readyz"), (6443, "/version"), (10250, "/pods")]
        }
    assert {what: a.status_code for what, a in answers.items()} == dict.fromkeys(answers, 401)
