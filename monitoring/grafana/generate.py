"""Generate the Grafana dashboards: one overview and one per service, from one definition.

From the repository root (the services are those of services.toml, read by `registry`):

    python -m monitoring.grafana.generate          # rewrite dashboards/*.json
    python -m monitoring.grafana.generate --check  # exit 1 if a committed file is stale

`make generate` writes them too, with every other file derived from the registry. Only
standard library: it runs before any project environment exists.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from registry.services import names, platform

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
OUT_DIR = Path(__file__).parent / "dashboards"
# The HPAs target 70% of each pod's CPU request; every pod publishes its own request
# (pod_cpu_request_cores, from the downward API), so the share is right in every overlay.
HPA_CPU_TARGET = 0.7
PREDICT_ROUTES = 'route=~"/predict.*"'
# The MLInputDrift alert's PSI threshold (monitoring/prometheus/rules/alerts.yml).
PSI_ALERT = 0.2


def target(expr: str, legend: str, ref: str, instant: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "datasource": DATASOURCE,
        "expr": expr,
        "legendFormat": legend,
        "refId": ref,
    }
    if instant:
        out |= {"instant": True, "range": False, "format": "table"}
    return out


def panel(
    title: str,
    targets: list[dict[str, Any]],
    unit: str = "short",
    kind: str = "timeseries",
    threshold: float | None = None,
    stacked: bool = False,
) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": unit}
    custom: dict[str, Any] = {}
    if threshold is not None:
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"color": "green", "value": None}, {"color": "red", "value": threshold}],
        }
        custom["thresholdsStyle"] = {"mode": "line"}
    if stacked:
        custom["stacking"] = {"mode": "normal", "group": "A"}
    if custom and kind == "timeseries":
        defaults["custom"] = custom
    return {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "right"}}
        if kind == "timeseries"
        else {},
    }


def cpu_panel(selector: str) -> dict[str, Any]:
    expr = (
        f"sum by (service, instance) (rate(process_cpu_seconds_total{{{selector}}}"
        f"[$__rate_interval])) / on (service, instance) "
        f"max by (service, instance) (pod_cpu_request_cores{{{selector}}})"
    )
    return panel(
        f"CPU per pod as share of its request (HPA target {HPA_CPU_TARGET:.0%})",
        [target(expr, "{{service}} {{instance}}", "A")],
        unit="percentunit",
        threshold=HPA_CPU_TARGET,
    )


def overview() -> list[dict[str, Any]]:
    jobs = 'job="mlops-services"'
    return [
        panel(
            "Requests per second",
            [target("service:http_requests:rate5m", "{{service}}", "A")],
            "reqps",
        ),
        panel(
            "Server error ratio (5xx)",
            [target("service:http_errors:ratio_rate5m", "{{service}}", "A")],
            "percentunit",
            threshold=0.05,
        ),
        panel(
            "Rejected input ratio (4xx)",
            [target("service:http_client_errors:ratio_rate5m", "{{service}}", "A")],
            "percentunit",
            threshold=0.25,
        ),
        panel(
            "/predict latency p50 and p99",
            [
                target(
                    'service_route:http_request_duration_seconds:p50_5m{route="/predict"}',
                    "{{service}} p50",
                    "A",
                ),
                target(
                    'service_route:http_request_duration_seconds:p99_5m{route="/predict"}',
                    "{{service}} p99",
                    "B",
                ),
            ],
            "s",
            threshold=0.05,
        ),
        panel(
            "Predictions per second by outcome",
            [
                target(
                    "sum by (service, outcome) (rate(model_predictions_total[$__rate_interval]))",
                    "{{service}} {{outcome}}",
                    "A",
                ),
            ],
            "ops",
            stacked=True,
        ),
        panel(
            f"Input drift: worst feature per service, PSI last hour (alert over {PSI_ALERT})",
            [
                target(
                    "topk by (service) (1, service_feature:model_feature_psi:1h)",
                    "{{service}} {{feature}}",
                    "A",
                )
            ],
            threshold=PSI_ALERT,
        ),
        panel(
            "Ready replicas",
            [target(f"sum by (service) (model_ready{{{jobs}}})", "{{service}}", "A")],
        ),
        cpu_panel(jobs),
        panel("Loaded models", [target("model_info", "", "A", instant=True)], kind="table"),
    ]


def service_dashboard(name: str) -> list[dict[str, Any]]:
    s = f'service="{name}"'
    quantiles = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")]
    return [
        panel(
            "Requests per second by route and status",
            [
                target(
                    f"sum by (route, status) (rate(http_requests_total{{{s}}}[$__rate_interval]))",
                    "{{route}} {{status}}",
                    "A",
                ),
            ],
            "reqps",
        ),
        panel(
            "Request latency by route",
            [
                target(
                    f"histogram_quantile({q}, sum by (route, le) (rate(http_request_duration_seconds_bucket{{{s}, {PREDICT_ROUTES}}}[$__rate_interval])))",
                    f"{{{{route}}}} {label}",
                    chr(65 + i),
                )
                for i, (q, label) in enumerate(quantiles)
            ],
            "s",
        ),
        panel(
            "Inference latency (encode + predict)",
            [
                target(
                    f"histogram_quantile({q}, sum by (endpoint, le) (rate(model_inference_duration_seconds_bucket{{{s}}}[$__rate_interval])))",
                    f"{{{{endpoint}}}} {label}",
                    chr(65 + i),
                )
                for i, (q, label) in enumerate(quantiles)
            ],
            "s",
        ),
        panel(
            "Outcome share: last hour against the model's test split",
            [
                target(
                    f"service_outcome:model_predictions:share1h{{{s}}}", "{{outcome}} live", "A"
                ),
                target(
                    f"max by (outcome) (model_expected_outcome_share{{{s}}})",
                    "{{outcome}} expected",
                    "B",
                ),
            ],
            "percentunit",
        ),
        panel(
            "Batch size",
            [
                target(
                    f"histogram_quantile({q}, sum by (le) (rate(model_batch_size_bucket{{{s}}}[$__rate_interval])))",
                    label,
                    chr(65 + i),
                )
                for i, (q, label) in enumerate(quantiles)
            ],
        ),
        panel(
            "Rejected input per second by route",
            [
                target(
                    f"sum by (route) (rate(request_validation_errors_total{{{s}}}[$__rate_interval]))",
                    "{{route}}",
                    "A",
                ),
            ],
            "reqps",
        ),
        panel(
            f"Input drift: PSI per feature, last hour (alert over {PSI_ALERT})",
            [target(f"service_feature:model_feature_psi:1h{{{s}}}", "{{feature}}", "A")],
            threshold=PSI_ALERT,
        ),
        panel("Ready replicas", [target(f"sum(model_ready{{{s}}})", "ready", "A")]),
        cpu_panel(s),
        panel("Loaded model", [target(f"model_info{{{s}}}", "", "A", instant=True)], kind="table"),
    ]


def dashboard(
    uid: str, title: str, panels: list[dict[str, Any]], tags: list[str]
) -> dict[str, Any]:
    for index, item in enumerate(panels):  # two columns of 12x8 panels
        item["id"] = index + 1
        item["gridPos"] = {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)}
    return {
        "uid": uid,
        "title": title,
        "tags": tags,
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "panels": panels,
    }


def render(services: Sequence[str], project: str) -> dict[str, str]:
    """File name -> JSON text of the overview and of each service's dashboard, each tagged
    with the platform's project (services.toml)."""
    boards = {
        "overview.json": dashboard(
            "mlops-overview", "MLOps platform overview", overview(), [project, "overview"]
        )
    }
    for name in services:
        boards[f"{name}.json"] = dashboard(
            f"mlops-{name}", f"MLOps service: {name}", service_dashboard(name), [project, name]
        )
    return {
        file: json.dumps(board, indent=2, sort_keys=True) + "\n" for file, board in boards.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if committed files are stale")
    args = parser.parse_args()
    stale = []
    for file, text in render(names(), platform().project).items():
        path = OUT_DIR / file
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
    if stale:
        print("stale dashboards (run `make dashboards`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
