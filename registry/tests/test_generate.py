"""The generated files: current in the repository, and right for a registry that changes."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import yaml

from k8s.tests.manifests import render_dir
from registry import generate
from registry.services import REPO, Registry, registry


def test_every_generated_file_is_current() -> None:
    """`make generate` after each change to services.toml or a template; this names what not."""
    assert generate.differences(registry()) == []


def test_the_check_command_passes_on_the_repository() -> None:
    done = subprocess.run([sys.executable, "-m", "registry", "generate", "--check"], cwd=REPO,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def _copy(tmp_path: Path) -> Path:
    return generate.copy_inputs(REPO, tmp_path)


def _with_fourth(reg: Registry) -> Registry:
    first = reg.services[0]
    vintage = replace(first, name="vintage", task="multiclass", summary="the cultivar of a wine")
    return Registry((*reg.services, vintage))


def test_a_fourth_service_reaches_every_touch_point_and_removing_it_restores_every_byte(
    tmp_path: Path,
) -> None:
    root = _copy(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    four = _with_fourth(registry())
    changed = generate.write(four, root)
    assert "k8s/base/services/vintage.yaml" in changed
    assert generate.differences(four, root) == [], "a second run changes nothing"

    objs = render_dir(root / "k8s" / "overlays" / "prod")
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objs}
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert (kind, "vintage") in kinds
    routes = [o for o in objs if o["kind"] in {"Ingress", "HTTPRoute"}]
    assert all("/vintage" in yaml.safe_dump(r) for r in routes) and len(routes) == 2
    image = next(
        o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "vintage"
    )
    assert f"/{four.platform.terraform_prefix}-prod/vintage:sha-" in yaml.safe_dump(image)
    alerts = (root / "monitoring/prometheus/rules/alerts.yml").read_text()
    assert 'or absent(up{job="mlops-services", service="vintage"})' in alerts
    assert "service: vintage" in (root / "monitoring/prometheus/tests/absent_test.yml").read_text()
    assert "vintage: pytest services/vintage {posargs}" in (root / "tox.ini").read_text()
    assert "| `vintage` | the cultivar of a wine | multiclass |" in (root / "README.md").read_text()

    generate.write(registry(), root)
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before


def test_a_file_left_in_a_generated_folder_is_stale_and_removed(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    leftover = root / "k8s/base/services/gone.yaml"
    leftover.write_text("kind: Deployment\n")
    assert generate.differences(registry(), root) == ["k8s/base/services/gone.yaml"]
    assert generate.write(registry(), root) == ["k8s/base/services/gone.yaml"]
    assert not leftover.exists()


def test_a_hand_edit_of_a_generated_file_is_found(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    target = root / "k8s/base/services/routes.yaml"
    target.write_text(target.read_text().replace("pathType: Prefix", "pathType: Exact", 1))
    inside_block = root / "tox.ini"
    inside_block.write_text(
        inside_block.read_text().replace("pytest services/", "pytest  services/", 1)
    )
    assert generate.differences(registry(), root) == ["k8s/base/services/routes.yaml", "tox.ini"]
