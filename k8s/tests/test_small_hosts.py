"""The kind overlay fits a 2-CPU host, and the host cluster's overlay is kind's less Grafana."""

from k8s.tests.manifests import Obj, cpu_cores, named, pod_spec, render, workloads

# A kind node on a 2-CPU host: what kind's own pods request (API server 250m, controller
# manager 200m, scheduler 100m, etcd 100m, two CoreDNS 100m each, kindnet 100m) comes first.
HOST_CPU = 2.0
KIND_SYSTEM_CPU = 0.95


def _requests(objs: list[Obj]) -> dict[str, float]:
    """CPU requested by one pod of each workload."""
    return {
        d["metadata"]["name"]: sum(
            cpu_cores(c["resources"]["requests"]["cpu"]) for c in pod_spec(d)["containers"]
        )
        for d in workloads(objs)
    }


def test_the_platform_and_its_scale_out_fit_a_2_cpu_kind_node() -> None:
    platform, addons = render("kind"), render("kind-cluster-addons")
    per_pod = _requests(platform) | _requests(addons)
    hpas = named(platform, "HorizontalPodAutoscaler")
    at_rest = sum(
        per_pod[n] * (hpas[n]["spec"]["minReplicas"] if n in hpas else 1) for n in per_pod
    )
    # The e2e suite scales one API to its maximum, and a rolling update may surge by one pod
    # of another API while it does.
    scale_out = max(per_pod[n] * (h["spec"]["maxReplicas"] - h["spec"]["minReplicas"])
                    for n, h in hpas.items())  # fmt: skip
    surge = max(per_pod[n] for n in hpas)
    budget = HOST_CPU - KIND_SYSTEM_CPU
    assert at_rest + scale_out + surge <= budget + 1e-9, (
        f"at rest {at_rest:.2f} + scale-out {scale_out:.2f} + surge {surge:.2f} CPU "
        f"exceeds the {budget:.2f} CPU a kind node on 2 CPUs has left"
    )


def _key(obj: Obj) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def test_the_host_cluster_deploys_kinds_platform_without_grafana_only() -> None:
    kind = {_key(o): o for o in render("kind")}
    host = {_key(o): o for o in render("hostcluster")}
    removed = set(kind) - set(host)
    assert set(host) <= set(kind)
    assert all("grafana" in name for _, name in removed), removed
    assert {k for k, _ in removed} >= {"Deployment", "Service", "PersistentVolumeClaim"}
    # Everything else is exactly kind's, byte for byte.
    for key, obj in host.items():
        assert obj == kind[key], f"{key} differs from the kind overlay"
