"""`make rename`: every value checked before anything is written, [platform] rewritten as text,
every touch point regenerated. A renamed copy of the repository renders, validates and checks
with the new names only, and renaming it back restores every byte."""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from k8s.tests.manifests import render_dir
from monitoring.tests.conftest import promtool
from registry import generate, rename
from registry.services import REGISTRY_FILE, REPO, Platform, RegistryError, platform
from registry.tests.test_no_hand_names import pattern
from terraform.tests.conftest import Terraform

OLD = platform()
# Names to rename to, none of them one the platform has now (a fork may be called acme).
NEW = next(
    p
    for p in (
        Platform(f"{n}", f"{n}-ml", f"ml.{n}.io", f"ghcr.io/{n}/ml", f"{n}tf")
        for n in ("acme", "zenith")
    )
    if not {*asdict(p).values()} & {*asdict(OLD).values()}
)
# What the rename must reach: the platform itself on kind, on the host cluster and in prod, and
# the two add-ons that name it.
RENDERED = ("overlays/kind", "overlays/hostcluster", "overlays/prod", "addons/traefik",
            "addons/cluster-autoscaler")  # fmt: skip
ADDON_NAMESPACES = {"traefik", "kube-system"}


def _copy(dest: Path) -> Path:
    """What the generator and the checks below need, and the registry itself to run it there."""
    dest.mkdir()
    skip = shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__")
    shutil.copytree(REPO / "terraform", dest / "terraform", symlinks=True, ignore=skip)
    shutil.copytree(REPO / "registry", dest / "registry", ignore=skip)
    shutil.copy2(REGISTRY_FILE, dest / "services.toml")
    return generate.copy_inputs(REPO, dest)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m registry` of the copy (the working directory comes first on sys.path)."""
    return subprocess.run([sys.executable, "-m", "registry", *args], cwd=root,
                          capture_output=True, text=True, check=False)  # fmt: skip


def _args(names: Platform) -> list[str]:
    return [a for k, v in asdict(names).items() for a in (f"--{k.replace('_', '-')}", v)]


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _copy(tmp_path_factory.mktemp("renamed") / "repo")
    done = _cli(root, "rename", *_args(NEW))
    assert done.returncode == 0, done.stderr
    return root


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("project", "Acme", "must be 2-40 lowercase letters"),
        ("project", "a" * 41, "must be 2-40 lowercase letters"),
        ("project", "acme-", "must be 2-40 lowercase letters"),
        ("namespace", "acme_ml", "must be a DNS-1123 label"),
        ("namespace", "a" * 64, "must be a DNS-1123 label"),
        ("namespace", "kube-system", "belongs to Kubernetes or to Traefik"),
        ("namespace", "traefik", "belongs to Kubernetes or to Traefik"),
        ("domain", "localhost", "DNS name of two or more labels"),
        ("domain", "10.0.0.1", "the last starting with a letter"),
        ("domain", "ML.acme.io", "lowercase DNS name"),
        ("domain", "-ml.acme.io", "lowercase DNS name"),
        ("image_prefix", "ghcr.io/Acme", "must be an OCI repository prefix"),
        ("image_prefix", "ghcr.io/acme/", "must be an OCI repository prefix"),
        ("image_prefix", "acme//ml", "must be an OCI repository prefix"),
        ("image_prefix", "a" * 225, "of at most 223 characters"),
        ("terraform_prefix", "a" * 24, "must be 2-23 lowercase letters"),
        ("terraform_prefix", "acme-", "not ending with a hyphen"),
        ("terraform_prefix", "9acme", "starting with a letter"),
        ("terraform_prefix", "sthree", "with one S3 reserves"),
        ("terraform_prefix", "amzn-s3-demo", "with one S3 reserves"),
        ("owner", "me", "[platform] has no 'owner'"),
    ],
)
def test_a_bad_value_is_refused_with_one_line_that_says_why(
    key: str, value: str, message: str
) -> None:
    (line,) = rename.errors({key: value})
    assert message in line and "\n" not in line


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("image_prefix", "localhost:5000/acme"),
        ("image_prefix", "registry.example.org:443/a__b/c-d.e"),
        ("image_prefix", "acme"),
        ("domain", "api.ml.acme.co.uk"),
        ("terraform_prefix", "a" * 23),
        ("project", "a" * 40),
    ],
)
def test_a_good_value_is_accepted(key: str, value: str) -> None:
    assert rename.errors({key: value}) == []


def test_the_table_is_rewritten_value_by_value_and_its_comments_kept() -> None:
    text = REGISTRY_FILE.read_text()
    out = rename.rewrite(text, {"namespace": NEW.namespace})
    changed = [(a, b) for a, b in zip(text.split("\n"), out.split("\n"), strict=True) if a != b]
    assert changed == [(f'namespace = "{OLD.namespace}"', f'namespace = "{NEW.namespace}"')]
    assert rename.rewrite(out, {"namespace": OLD.namespace}) == text
    with pytest.raises(RegistryError, match=r"no \[platform\] table"):
        rename.rewrite("[[service]]\n", {"namespace": "x"})


def test_bad_values_write_nothing_and_each_gets_its_line(tmp_path: Path) -> None:
    root = _copy(tmp_path / "repo")
    before = _snapshot(root)
    done = _cli(root, "rename", "--project", "acme", "--namespace", "Bad", "--domain", "x")
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and "namespace 'Bad'" in lines[0] and "domain 'x'" in lines[1]
    assert _cli(root, "rename").returncode == 2, "no value at all is refused too"
    assert _snapshot(root) == before


def test_make_passes_only_the_values_given_on_its_command_line() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = os.environ | {"NAMESPACE": "from-the-shell", "IMAGE_PREFIX": "from/the/shell"}
    make = ["make", "-n", "-o", "setup", "rename", "PROJECT=acme", "TF_PREFIX=x"]
    done = subprocess.run(make, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    (command,) = [line for line in done.stdout.splitlines() if "registry rename" in line]
    recipe = command + done.stdout.split(command, 1)[1]
    assert '--project "acme"' in recipe and '--terraform-prefix "x"' in recipe
    assert "--namespace" not in recipe and "--image-prefix" not in recipe


def test_the_renamed_overlays_carry_the_new_names_and_never_the_old(renamed: Path) -> None:
    old = pattern(OLD)
    for path in RENDERED:
        objs = render_dir(renamed / "k8s" / path)
        text = yaml.safe_dump_all(objs)
        assert not old.search(text), f"{path} still names {old.search(text)}"
        for obj in objs:
            namespace = obj["metadata"].get("namespace")
            assert namespace in {None, NEW.namespace, *ADDON_NAMESPACES}, obj["metadata"]
        if path.startswith("overlays/"):
            assert {o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"} == {
                NEW.namespace
            }
            assert all(o["metadata"]["namespace"] == NEW.namespace for o in objs
                       if o["kind"] in {"Deployment", "Ingress", "HTTPRoute"})  # fmt: skip
            assert all(o["metadata"]["labels"]["app.kubernetes.io/part-of"] == NEW.project
                       for o in objs)  # fmt: skip
            apis = [o for o in objs if o["kind"] == "Deployment" and "prometheus.io/scrape"
                    in o["spec"]["template"]["metadata"].get("annotations", {})]  # fmt: skip
            images = {c["image"] for d in apis for c in d["spec"]["template"]["spec"]["containers"]}
            ecr = r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/"
            prefix = (ecr + re.escape(f"{NEW.terraform_prefix}-prod")
                      if path == "overlays/prod" else re.escape(NEW.image_prefix))  # fmt: skip
            assert images and all(re.match(rf"{prefix}/[a-z0-9]+:", i) for i in images), images
            hosts = {
                o["kind"]: o["spec"]["rules"][0].get("host")
                if o["kind"] == "Ingress" else o["spec"].get("hostnames")
                for o in objs if o["kind"] in {"Ingress", "HTTPRoute"}
            }  # fmt: skip
            prod = path == "overlays/prod"
            assert hosts == {"Ingress": NEW.domain if prod else None,
                             "HTTPRoute": [NEW.domain] if prod else None}  # fmt: skip
    gateway = render_dir(renamed / "k8s" / "addons" / "traefik")
    assert f"kubernetes.io/metadata.name: {NEW.namespace}" in yaml.safe_dump_all(gateway)
    autoscaler = yaml.safe_dump_all(render_dir(renamed / "k8s" / "addons" / "cluster-autoscaler"))
    assert f"CLUSTER_NAME: {NEW.terraform_prefix}-prod" in autoscaler


def test_the_renamed_terraform_validates_and_its_environment_suite_passes(
    renamed: Path, terraform: Terraform
) -> None:
    tf = renamed / "terraform"
    assert terraform.run(tf, "fmt", "-check", "-recursive", check=False).returncode == 0
    assert f'"{NEW.terraform_prefix}-terraform-state-' in (tf / "envs/prod/backend.hcl").read_text()
    for root in ("bootstrap", "envs/dev"):
        terraform.run(tf / root, "init", "-backend=false", "-input=false")
        assert "Success" in terraform.run(tf / root, "validate", "-no-color").stdout
    # The suite plans with the root's defaults: every AWS name now starts "<prefix>-dev".
    done = terraform.run(tf / "envs/dev", "test", "-no-color", check=False)
    assert done.returncode == 0 and "0 failed" in done.stdout, done.stdout + done.stderr


def test_the_renamed_prometheus_configs_and_rule_tests_check(renamed: Path) -> None:
    tool = promtool()
    for config in ("monitoring/prometheus/prometheus.yml", "compose/prometheus.yml"):
        path = renamed / config
        assert f"platform: {NEW.project}" in path.read_text()
        check = [tool, "check", "config", "--syntax-only", path.name]
        done = subprocess.run(check, cwd=path.parent, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    tests = sorted(str(p) for p in (renamed / "monitoring/prometheus/tests").glob("*.yml"))
    done = subprocess.run([tool, "test", "rules", *tests], cwd=renamed / "monitoring/prometheus",
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_renaming_twice_changes_nothing_and_renaming_back_restores_every_byte(
    tmp_path: Path,
) -> None:
    root = _copy(tmp_path / "repo")
    before = _snapshot(root)
    first = _cli(root, "rename", *_args(NEW))
    assert first.returncode == 0, first.stderr
    assert f"registry: [platform] namespace: {OLD.namespace} -> {NEW.namespace}" in first.stdout
    assert "registry: wrote services.toml" in first.stdout
    assert "registry: wrote k8s/base/kustomization.yaml" in first.stdout
    renamed = _snapshot(root)
    again = _cli(root, "rename", *_args(NEW))
    assert again.stdout == "registry: nothing to change\n" and _snapshot(root) == renamed
    back = _cli(root, "rename", *_args(OLD))
    assert back.returncode == 0, back.stderr
    assert _snapshot(root) == before
