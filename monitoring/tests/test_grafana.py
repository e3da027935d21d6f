"""Grafana provisioning and dashboards: current, well-formed, and about real metrics."""

import json
import subprocess
import sys

import yaml

from monitoring.tests.conftest import (
    DASHBOARDS,
    GRAFANA_DIR,
    MONITORING,
    dashboard_exprs,
    exported_metric_names,
    rules,
)
from monitoring.tests.promql import metric_names
from registry import names


def test_committed_dashboards_equal_the_generator_output() -> None:
    # As the Makefile runs it: a module of the repository root, where `registry` resolves.
    done = subprocess.run(
        [sys.executable, "-m", "monitoring.grafana.generate", "--check"],
        cwd=MONITORING.parent, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_overview_and_one_dashboard_per_service() -> None:
    uids = {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    assert uids == {"mlops-overview", *(f"mlops-{name}" for name in names())}


def test_provisioning_files_have_the_shape_grafana_reads() -> None:
    datasources = yaml.safe_load(
        (GRAFANA_DIR / "provisioning/datasources/prometheus.yml").read_text()
    )
    assert datasources["apiVersion"] == 1
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "${PROMETHEUS_URL}"
    providers = yaml.safe_load((GRAFANA_DIR / "provisioning/dashboards/mlops.yml").read_text())
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == source["uid"], (path.name, panel["title"])
            assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
            assert panel["targets"], (path.name, panel["title"])


def test_every_panel_queries_only_metrics_the_services_export() -> None:
    known = exported_metric_names() | {r["record"] for r in rules() if "record" in r}
    for board, title, expr in dashboard_exprs():
        unknown = metric_names(expr) - known
        assert not unknown, (board, title, unknown)
