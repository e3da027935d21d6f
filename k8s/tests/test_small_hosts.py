"""The kind overlay fits a 2-CPU host, and the host cluster's overlay is kind's less Grafana."""

from k8s.tests.manifests import Obj, render
from scaffold.fit import cpu_fit


def test_the_platform_and_its_scale_out_fit_a_2_cpu_kind_node() -> None:
    """kind's own pods request 950m; the platform at rest, one API scaled to its maximum (the
    e2e scale-out) and a surge pod of another (a rolling update meanwhile) get the rest. The
    same sum refuses `make new-service` a service too many."""
    fit = cpu_fit(render("kind"), render("kind-cluster-addons"))
    assert fit.fits, (
        f"at rest {fit.at_rest}m + scale-out {fit.scale_out}m + surge {fit.surge}m of CPU "
        f"exceeds the {fit.budget}m a kind node on 2 CPUs has left"
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
