"""Prometheus configuration and rules: valid, unit-tested, documented, and about real metrics."""

import re
import subprocess
from pathlib import Path

import yaml

from monitoring.tests.conftest import (
    MONITORING,
    PROMETHEUS_DIR,
    RULE_FILES,
    exported_metric_names,
    promtool,
    rules,
)
from monitoring.tests.promql import metric_names
from registry import platform

RUNBOOKS = MONITORING.parent / "docs" / "runbooks.md"
UNIT_TESTS = ("tests/alerts_test.yml", "tests/absent_test.yml")


def _run(*args: str, cwd: Path = PROMETHEUS_DIR) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_rules_are_valid() -> None:
    out = _run(promtool(), "check", "rules", *map(str, RULE_FILES))
    assert out.count("SUCCESS") == len(RULE_FILES)


def test_local_config_is_valid() -> None:
    _run(promtool(), "check", "config", "prometheus.yml")


def test_kubernetes_config_is_valid(tmp_path: Path) -> None:
    """Debian's promtool is built without Kubernetes discovery (the cluster image has it):
    everything else is checked by promtool with the discovery block swapped for a static one,
    and the discovery block itself here."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus-kubernetes.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "mlops-services")
    namespaces = {"names": [platform().namespace]}
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": namespaces}]
    keep = job["relabel_configs"][0]
    assert keep["regex"] == platform().project, "pods labelled part-of the project"
    assert job["honor_labels"] is True
    targets = {r.get("target_label") for r in job["relabel_configs"]}
    assert {"service", "namespace", "pod"} <= targets
    job.pop("kubernetes_sd_configs")
    job["static_configs"] = [{"targets": ["127.0.0.1:1"]}]
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    for path in RULE_FILES:
        (rules_dir / path.name).write_text(path.read_text())
    config["rule_files"] = [str(rules_dir / "*.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    _run(promtool(), "check", "config", "prometheus.yml", cwd=tmp_path)


def test_every_alert_fires_and_stays_quiet_in_unit_tests() -> None:
    # The hand-written tests, and MLServiceAbsent's generated from services.toml.
    out = _run(promtool(), "test", "rules", *UNIT_TESTS)
    assert out.count("SUCCESS") == len(UNIT_TESTS), out
    tested = {
        alert
        for path in UNIT_TESTS
        for alert in re.findall(r"alertname: (\w+)", (PROMETHEUS_DIR / path).read_text())
    }
    alerts = {r["alert"] for r in rules() if "alert" in r}
    assert alerts == tested


def test_every_alert_is_documented_with_a_runbook_section() -> None:
    anchors = {
        "#" + re.sub(r"[^a-z0-9 -]", "", line[3:].strip().lower()).replace(" ", "-")
        for line in RUNBOOKS.read_text().splitlines()
        if line.startswith("## ")
    }
    for rule in rules():
        if "alert" not in rule:
            continue
        notes = rule["annotations"]
        assert notes["summary"] and notes["description"], rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        path, anchor = notes["runbook_url"].split("#")
        assert path == "docs/runbooks.md"
        assert f"#{anchor}" in anchors, rule["alert"]


def test_rules_query_only_metrics_the_services_export() -> None:
    recorded = {r["record"] for r in rules() if "record" in r}
    known = exported_metric_names() | recorded
    for rule in rules():
        unknown = metric_names(rule["expr"]) - known
        assert not unknown, (rule.get("alert") or rule.get("record"), unknown)
