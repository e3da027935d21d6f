"""Pod Security "restricted" on every pod template, checkov with every skip justified, and
the ingress controller's rights and availability."""

import copy
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from k8s.tests.manifests import (
    KUSTOMIZATIONS,
    SERVICES,
    Obj,
    one,
    pod_spec,
    render,
    restricted_violations,
    selects,
    workloads,
)
from registry import platform
from tests.helpers import checkov_binary


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_every_pod_template_meets_the_restricted_profile(name: str) -> None:
    problems = {
        f"{w['kind']}/{w['metadata']['name']}": found
        for w in workloads(render(name))
        if (found := restricted_violations(pod_spec(w)))
    }
    assert problems == {}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda s: s["containers"][0]["securityContext"].update(allowPrivilegeEscalation=True),
            "allowPrivilegeEscalation",
        ),
        (lambda s: s["containers"][0]["securityContext"].update(runAsUser=0), "runAsUser"),
        (
            lambda s: s["containers"][0]["securityContext"]["capabilities"].update(drop=[]),
            "drop ALL",
        ),
        (
            lambda s: s["containers"][0]["securityContext"].update(readOnlyRootFilesystem=False),
            "writable",
        ),
        (lambda s: s.update(hostNetwork=True), "hostNetwork"),
        (lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "hostPath"),
        (
            lambda s: [
                c["securityContext"].pop("seccompProfile")
                and s["securityContext"].pop("seccompProfile")
                for c in s["containers"]
            ],
            "seccompProfile",
        ),
    ],
)
def test_the_checker_catches_each_violation(mutate: object, expected: str) -> None:
    api = next(w for w in workloads(render("kind")) if w["metadata"]["name"] == SERVICES[0])
    spec = copy.deepcopy(pod_spec(api))
    mutate(spec)  # type: ignore[operator]
    assert any(expected in p for p in restricted_violations(spec))


@pytest.mark.parametrize("name", ["kind", "prod", "kind-cluster-addons", "cluster-autoscaler"])
def test_namespaces_enforce_the_restricted_profile(name: str) -> None:
    for ns in (o for o in render(name) if o["kind"] == "Namespace"):
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def _skips(obj: Obj) -> dict[str, str]:
    annotations = obj["metadata"].get("annotations", {})
    return dict(v.split("=", 1) for k, v in annotations.items() if k.startswith("checkov.io/skip"))


@pytest.mark.parametrize("name", ["kind", "prod", "kind-cluster-addons", "cluster-autoscaler"])
def test_checkov_passes_on_the_rendered_manifests(name: str, tmp_path: Path) -> None:
    binary = checkov_binary()
    if binary is None:
        pytest.skip("checkov not installed (make test-tools installs it into .tools/checkov)")
    rendered = tmp_path / f"{name}.yaml"
    rendered.write_text(yaml.safe_dump_all(render(name), sort_keys=False))
    done = subprocess.run(
        [
            binary,
            "-f",
            str(rendered),
            "--framework",
            "kubernetes",
            "--skip-download",
            "--quiet",
            "--compact",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=tempfile.gettempdir(),
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


@pytest.mark.parametrize("name", ["kind", "prod", "kind-cluster-addons", "cluster-autoscaler"])
def test_every_checkov_skip_says_why(name: str) -> None:
    for obj in render(name):
        for check, reason in _skips(obj).items():
            assert re.fullmatch(r"CKV2?_K8S_\d+", check), check
            assert len(reason.strip()) >= 20, f"{obj['metadata']['name']} {check}: {reason!r}"


def _grants(role: Obj) -> set[tuple[str, str]]:
    return {
        (resource, verb)
        for rule in role["rules"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def _bound_to_traefik(binding: Obj) -> bool:
    return any(
        s["kind"] == "ServiceAccount" and (s["name"], s["namespace"]) == ("traefik", "traefik")
        for s in binding["subjects"]
    )


def test_traefik_reads_secrets_and_routes_only_in_the_namespaces_it_watches() -> None:
    """Cluster-wide, Traefik reads no Secret, Service or route; its namespaced rights are
    bound in its own namespace and the platform's, exactly the namespaces its providers
    watch (a namespace it watched without a binding would never sync, one bound without
    being watched would be a grant for nothing)."""
    addon, platform_objs = render("traefik"), render("kind")
    roles = {o["metadata"]["name"]: o for o in addon if o["kind"] == "ClusterRole"}
    cluster_wide = [
        roles[b["roleRef"]["name"]]
        for b in addon
        if b["kind"] == "ClusterRoleBinding" and _bound_to_traefik(b)
    ]
    assert cluster_wide, "no ClusterRoleBinding for Traefik"
    for role in cluster_wide:
        resources = {resource for resource, _ in _grants(role)}
        assert not resources & {"secrets", "services", "ingresses", "httproutes", "gateways"}
    bound = {
        b["metadata"]["namespace"]
        for b in addon + platform_objs
        if b["kind"] == "RoleBinding" and _bound_to_traefik(b)
        and b["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                             "name": "traefik-routes"}
    }  # fmt: skip
    assert bound == {"traefik", platform().namespace}
    assert ("secrets", "list") in _grants(roles["traefik-routes"])
    (container,) = one(addon, "Deployment", "traefik")["spec"]["template"]["spec"]["containers"]
    for provider in ("kubernetesIngress", "kubernetesGateway"):
        (flag,) = [
            a for a in container["args"] if a.startswith(f"--providers.{provider}.namespaces=")
        ]
        assert set(flag.split("=", 1)[1].split(",")) == bound, flag


def test_traefik_keeps_a_replica_through_disruptions() -> None:
    addon = render("traefik")
    deployment = one(addon, "Deployment", "traefik")
    replicas = deployment["spec"]["replicas"]
    assert replicas >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    (pdb,) = [o for o in addon if o["kind"] == "PodDisruptionBudget"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selects(pdb["spec"]["selector"]["matchLabels"], labels)
    assert 1 <= pdb["spec"]["minAvailable"] < replicas


# Who may read Secrets, and where: every grant of `secrets` (or of every resource) in a role
# that the platform's manifests bind, with why it is needed. A grant that is not listed here
# fails the test; so does a listed one that is no longer there.
SECRET_READERS = {
    # Traefik's Ingress and Gateway providers list and watch every Secret of the namespaces
    # they serve (TLS certificates; upstream has no switch to narrow it): its own and the
    # platform's, through RoleBindings, never cluster-wide.
    ("traefik", "RoleBinding/traefik-routes"): "ClusterRole/traefik-routes",
    (platform().namespace, "RoleBinding/ingress-controller"): "ClusterRole/traefik-routes",
}
# Built-in roles the manifests bind without defining them (none of them reads Secrets).
BUILT_IN_ROLES = {"system:auth-delegator", "extension-apiserver-authentication-reader"}
HOSTCLUSTER_RBAC = Path(__file__).resolve().parents[2] / "hostcluster" / "kube-router-rbac.yaml"


def _reads_secrets(role: Obj) -> bool:
    return any(
        set(rule.get("apiGroups", [])) & {"", "*"}
        and set(rule.get("resources", [])) & {"secrets", "*"}
        and set(rule.get("verbs", [])) & {"get", "list", "watch", "*"}
        for rule in role.get("rules", [])
    )


def _secret_grants(objs: list[Obj]) -> dict[tuple[str, str], str]:
    """(namespace or "cluster-wide", Kind/name of the binding) -> Kind/name of the role, for
    every binding whose role reads Secrets."""
    roles = {
        (o["kind"], o["metadata"]["name"]): o for o in objs if o["kind"] in ("ClusterRole", "Role")
    }
    grants = {}
    for binding in (o for o in objs if o["kind"] in ("ClusterRoleBinding", "RoleBinding")):
        ref = binding["roleRef"]
        role = roles.get((ref["kind"], ref["name"]))
        if role is None:
            assert ref["name"] in BUILT_IN_ROLES, f"{ref['kind']}/{ref['name']} is not defined here"
            continue
        if _reads_secrets(role):
            where = binding["metadata"].get("namespace", "cluster-wide")
            grants[(where, f"{binding['kind']}/{binding['metadata']['name']}")] = (
                f"{ref['kind']}/{ref['name']}"
            )
    return grants


def test_every_grant_to_read_secrets_is_namespaced_and_justified() -> None:
    objs = [o for name in sorted(KUSTOMIZATIONS) for o in render(name)]
    rendered = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objs}
    everything = [*rendered.values(), *yaml.safe_load_all(HOSTCLUSTER_RBAC.read_text())]
    grants = _secret_grants([o for o in everything if o])
    assert not [g for g in grants if g[0] == "cluster-wide"], grants
    assert grants == SECRET_READERS


def test_the_secret_grant_check_sees_a_cluster_wide_reader() -> None:
    role = {
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["list"]}],
    }
    binding = {"kind": "ClusterRoleBinding", "metadata": {"name": "b"},
               "roleRef": {"kind": "ClusterRole", "name": "r"}}  # fmt: skip
    assert _secret_grants([role, binding]) == {
        ("cluster-wide", "ClusterRoleBinding/b"): "ClusterRole/r"
    }


@pytest.mark.parametrize("name", ["kind", "prod", "traefik"])
def test_every_namespace_the_platform_owns_denies_by_default(name: str) -> None:
    """Each Namespace a kustomization creates has a policy that selects every pod in it for
    both directions and allows nothing, so a pod without a policy of its own talks to nothing."""
    objs = render(name)
    namespaces = {o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"}
    assert namespaces
    denies: dict[str, set[str]] = {}
    for o in (o for o in objs if o["kind"] == "NetworkPolicy"):
        spec = o["spec"]
        if spec["podSelector"] == {} and not spec.get("ingress") and not spec.get("egress"):
            denies.setdefault(o["metadata"]["namespace"], set()).update(spec["policyTypes"])
    for namespace in namespaces:
        assert {"Ingress", "Egress"} <= denies.get(namespace, set()), namespace
