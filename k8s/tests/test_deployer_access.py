"""The deploy role's Kubernetes rights (k8s/addons/deployer-access): with EKS's namespaced
admin policy they cover every object of the prod overlay, and nothing beyond the platform's
namespace but its Namespace and StorageClass, by name. The host-cluster e2e suite applies the
platform as the deployer against the real `admin` role (tests/e2e/test_access.py)."""

from k8s.tests.manifests import Obj, named, render
from registry import platform

# Namespaced kinds that Kubernetes' `admin` role (bootstrap policy; EKS's AmazonEKSAdminPolicy
# maps to it) may create and change. ResourceQuota and LimitRange it may only read.
ADMIN_WRITES = {
    ("apps", "Deployment"), ("autoscaling", "HorizontalPodAutoscaler"),
    ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"), ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"), ("", "ConfigMap"),
    ("", "PersistentVolumeClaim"), ("", "Service"), ("", "ServiceAccount"), ("", "Secret"),
}  # fmt: skip
CLUSTER_SCOPED = {"Namespace", "StorageClass"}
WRITE = {"create", "update", "patch"}


def _plural(kind: str) -> str:
    lower = kind.lower()
    return (
        lower[:-1] + "ies"
        if lower.endswith("y")
        else lower + ("es" if lower.endswith("s") else "s")
    )


def _group(obj: Obj) -> str:
    api = str(obj["apiVersion"])
    return api.partition("/")[0] if "/" in api else ""


def _allows(role: Obj, group: str, resource: str, verbs: set[str], name: str | None = None) -> bool:
    return any(
        group in rule.get("apiGroups", [])
        and resource in rule.get("resources", [])
        and verbs <= set(rule.get("verbs", []))
        and (name is None or name in rule.get("resourceNames", [name]))
        for rule in role["rules"]
    )


def _roles() -> dict[str, Obj]:
    return named(render("deployer-access"), "ClusterRole")


def test_the_deployer_may_apply_every_object_of_the_prod_overlay() -> None:
    roles = _roles()
    missing = []
    for obj in render("prod"):
        group, kind, name = _group(obj), obj["kind"], obj["metadata"]["name"]
        if kind in CLUSTER_SCOPED:
            ok = _allows(
                roles["platform-deployer-cluster"], group, _plural(kind), {"get", "patch"}, name
            )
        else:
            ok = (group, kind) in ADMIN_WRITES or _allows(
                roles["platform-deployer"], group, _plural(kind), WRITE | {"get"}
            )
        if not ok:
            missing.append(f"{kind}/{name}")
    assert missing == []


def test_the_deployer_gets_nothing_wide() -> None:
    """No wildcard, no Secrets, no RBAC objects beyond binding Traefik's role; cluster-scoped
    rights only on the platform's Namespace and StorageClass, by name, never create/delete."""
    roles = _roles()
    for rule in (r for role in roles.values() for r in role["rules"]):
        assert "*" not in {*rule["verbs"], *rule["resources"], *rule["apiGroups"]}, rule
        assert "secrets" not in rule["resources"], rule
        if rule["apiGroups"] == ["rbac.authorization.k8s.io"]:
            assert rule["verbs"] == ["bind"] and rule["resourceNames"] == ["traefik-routes"]
    for rule in roles["platform-deployer-cluster"]["rules"]:
        assert rule["resourceNames"] and not {"create", "delete", "deletecollection"} & set(
            rule["verbs"]
        )
    assert roles["platform-deployer-cluster"]["rules"][0]["resourceNames"] == [platform().namespace]


def test_the_namespaced_rights_hold_in_the_platforms_namespace_only() -> None:
    objs = render("deployer-access")
    (binding,) = named(objs, "RoleBinding").values()
    assert binding["metadata"]["namespace"] == platform().namespace
    assert binding["roleRef"]["name"] == "platform-deployer"
    (cluster_binding,) = named(objs, "ClusterRoleBinding").values()
    assert cluster_binding["roleRef"]["name"] == "platform-deployer-cluster"
    groups = {s["name"] for b in (binding, cluster_binding) for s in b["subjects"]}
    assert groups == {"platform-deployers"}
