"""The rendered configuration carries the settings this kind of host needs."""

import base64
import json
import tomllib
from pathlib import Path

import pytest
import yaml

from hostcluster.pki import make_all
from hostcluster.render import (
    KUBECONFIG_CLIENTS,
    Node,
    cni_conflist,
    containerd_config,
    kube_proxy_config,
    kubelet_config,
    local_volumes,
    write_configs,
)
from hostcluster.tests.pins import versions

HERE = Path(__file__).resolve().parents[1]


def _node(tmp_path: Path) -> Node:
    return Node(root=tmp_path / "root", run=tmp_path / "run", name="node-a", ip="192.0.2.7")


def test_containerd_runs_apart_from_dockers_and_never_lowers_oom_scores(tmp_path: Path) -> None:
    node = _node(tmp_path)
    config = tomllib.loads(containerd_config(node))
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["restrict_oom_score_adj"] is True
    assert cri["netns_mounts_under_state_dir"] is True
    assert cri["sandbox_image"] == f"registry.k8s.io/pause:{versions()['PAUSE_VERSION']}"
    assert cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is False
    assert config["grpc"]["address"] == str(node.run / "containerd.sock")
    assert config["root"].startswith(str(node.root)) and config["state"].startswith(str(node.run))
    assert cri["cni"]["conf_dir"].startswith(str(node.root))


def test_the_cni_network_is_the_nodes_pod_range_on_its_own_bridge(tmp_path: Path) -> None:
    node = _node(tmp_path)
    plugins = json.loads(cni_conflist(node))["plugins"]
    assert [p["type"] for p in plugins] == ["bridge", "portmap", "firewall"]
    bridge = plugins[0]
    assert bridge["bridge"] == node.bridge != "docker0"
    assert bridge["ipam"]["ranges"] == [[{"subnet": node.node_pod_cidr}]]
    assert bridge["ipam"]["dataDir"].startswith(str(node.root))


def test_the_kubelet_keeps_local_images_and_reserves_kinds_control_plane(tmp_path: Path) -> None:
    config = kubelet_config(_node(tmp_path))
    assert config["imageGCHighThresholdPercent"] == 100
    assert config["cgroupDriver"] == "cgroupfs"
    assert config["authentication"]["anonymous"]["enabled"] is False
    assert config["authorization"]["mode"] == "Webhook"
    assert config["address"] == "192.0.2.7"
    assert config["systemReserved"] == {"cpu": "750m"}  # + 2 CoreDNS pods of 100m = kind's 950m


def test_the_kubelets_cluster_dns_is_the_kube_dns_service() -> None:
    from k8s.tests.manifests import one, render

    service = one(render("coredns"), "Service", "kube-dns")
    assert kubelet_config(_node(Path("/x")))["clusterDNS"] == [service["spec"]["clusterIP"]]
    assert one(render("coredns"), "Deployment", "coredns")["spec"]["replicas"] == 2


def test_node_ports_listen_on_loopback_only(tmp_path: Path) -> None:
    config = kube_proxy_config(_node(tmp_path))
    assert config["mode"] == "iptables"
    assert config["nodePortAddresses"] == ["127.0.0.0/8"]
    assert config["conntrack"]["maxPerCore"] == 0  # the host's conntrack sysctls stay as they are


def test_every_kubeconfig_embeds_its_clients_certificate(tmp_path: Path) -> None:
    node = _node(tmp_path)
    make_all(node.pki, node.name, node.ip, "10.96.0.1")
    write_configs(node)
    for client, cert in KUBECONFIG_CLIENTS.items():
        path = node.root / "kubeconfig" / f"{client}.conf"
        assert path.stat().st_mode & 0o077 == 0, f"{client}.conf is readable by others"
        config = yaml.safe_load(path.read_text())
        (user,) = config["users"]
        embedded = base64.b64decode(user["user"]["client-certificate-data"])
        assert embedded == (node.pki / f"{cert}.crt").read_bytes()
        assert config["clusters"][0]["cluster"]["server"] == f"https://{node.ip}:6443"


def test_each_claim_gets_a_local_volume_bound_to_it(tmp_path: Path) -> None:
    node = _node(tmp_path)
    claim = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "prometheus-data", "namespace": "apps"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
    }
    (volume,) = local_volumes([claim, {"kind": "Service", "metadata": {"name": "x"}}, {}], node)
    spec = volume["spec"]
    assert spec["claimRef"] == {"namespace": "apps", "name": "prometheus-data"}
    assert spec["capacity"] == {"storage": "2Gi"}
    assert spec["local"]["path"] == str(node.root / "volumes" / "apps-prometheus-data")
    (term,) = spec["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert term["matchExpressions"][0]["values"] == ["node-a"]


@pytest.mark.parametrize("overlay", ["hostcluster"])
def test_the_rendered_overlay_has_claims_for_local_volumes(overlay: str, tmp_path: Path) -> None:
    """The overlay's claims are what `render volumes` reads: no Grafana claim is left."""
    from k8s.tests.manifests import render_dir

    docs = render_dir(HERE.parent / "k8s" / "overlays" / overlay)
    names = [v["spec"]["claimRef"]["name"] for v in local_volumes(docs, _node(tmp_path))]
    assert names == ["prometheus-data"]
