"""Shared facts for the monitoring tests: where the files are, what the services export."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

MONITORING = Path(__file__).resolve().parents[1]
PROMETHEUS_DIR = MONITORING / "prometheus"
GRAFANA_DIR = MONITORING / "grafana"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool not installed (Debian/Ubuntu: apt-get install prometheus)")
    return path


def rules() -> list[dict[str, Any]]:
    out = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            out.extend(group["rules"])
    return out


def dashboard_exprs() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expr) for every query of every panel."""
    out: list[tuple[str, str, str]] = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            out.extend((path.name, panel["title"], t["expr"]) for t in panel["targets"])
    return out


def exported_metric_names() -> set[str]:
    """Sample names a service exposes, read from a real app's /metrics exposition."""
    from fastapi.testclient import TestClient

    from servicekit.api import create_app
    from servicekit.settings import ServiceSettings
    from telecom.service import DEFINITION

    app = create_app(DEFINITION, ServiceSettings(service_name="telecom", auth="open"))
    text = TestClient(app).get("/metrics").text
    names = {"up"}  # added by Prometheus to every target
    for family in text_string_to_metric_families(text):
        names.update(family.name + s for s in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names
