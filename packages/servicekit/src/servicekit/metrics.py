"""Prometheus metrics with the same names in every service and a `service` label.

Each app owns a registry (so several apps can live in one test process); the process and
platform collectors are added to it so `/metrics` still describes the whole process.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

from servicekit.drift import FeatureBins, ReferenceProfile

# `*_created` timestamps double the exposition size and nothing here queries them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Sub-millisecond resolution at the bottom: the single-prediction budget is 2 ms p50.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)

# The names monitoring/ queries; tests check dashboards and rules against this list.
METRIC_NAMES = (
    "http_requests_total",
    "http_request_duration_seconds",
    "model_inference_duration_seconds",
    "model_predictions_total",
    "model_batch_size",
    "model_info",
    "model_ready",
    "model_expected_outcome_share",
    "model_feature_values_total",
    "model_feature_reference_share",
    "request_validation_errors_total",
    "pod_cpu_request_cores",
    "http_requests_rejected_total",
    "api_keys_reload_failures_total",
)


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        r = self.registry
        self.requests = Counter(
            "http_requests", "HTTP requests by route and status.",
            ["service", "method", "route", "status"], registry=r,
        )  # fmt: skip
        self.request_latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency by route and status.",
            ["service", "method", "route", "status"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.inference_latency = Histogram(
            "model_inference_duration_seconds", "Model inference time (encode + predict).",
            ["service", "endpoint"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.predictions = Counter(
            "model_predictions", "Predictions by outcome (class label or value band).",
            ["service", "outcome"], registry=r,
        )  # fmt: skip
        self.batch_size = Histogram(
            "model_batch_size", "Rows per batch request.", ["service"],
            buckets=BATCH_BUCKETS, registry=r,
        )  # fmt: skip
        self.model_info = Gauge(
            "model_info", "Loaded model (value 1), described by its labels.",
            ["service", "model_version", "algorithm", "trained_at"], registry=r,
        )  # fmt: skip
        self.model_ready = Gauge(
            "model_ready", "1 when the model is loaded and warmed up.", ["service"], registry=r
        )
        self.expected_share = Gauge(
            "model_expected_outcome_share",
            "Share of each outcome on the model's test split (the prediction-mix baseline).",
            ["service", "outcome"], registry=r,
        )  # fmt: skip
        self.validation_errors = Counter(
            "request_validation_errors", "Requests rejected by input validation.",
            ["service", "route"], registry=r,
        )  # fmt: skip
        self.cpu_request = Gauge(
            "pod_cpu_request_cores",
            "CPU request of this pod (absent outside Kubernetes); CPU use over it is what the "
            "HPA's utilization target compares.",
            ["service"], registry=r,
        )  # fmt: skip
        self.rejected = Counter(
            "http_requests_rejected",
            "Requests turned away before the app read their body (no or unknown key, body too "
            "large, too many predictions in flight).",
            ["service", "reason"], registry=r,
        )  # fmt: skip
        self.keys_reload_failures = Counter(
            "api_keys_reload_failures",
            "Changes to the keys file that could not be read; the previous keys stay in force.",
            ["service"], registry=r,
        )  # fmt: skip
        self.feature_values = Counter(
            "model_feature_values",
            "Scored rows by input feature and reference bin (the live side of input drift).",
            ["service", "feature", "bin"], registry=r,
        )  # fmt: skip
        self.reference_share = Gauge(
            "model_feature_reference_share",
            "Smoothed share of each input bin on the model's training split (drift baseline).",
            ["service", "feature", "bin"], registry=r,
        )  # fmt: skip
        # Per input: its bins and the counter child of each bin, resolved once per model.
        self._drift: list[tuple[FeatureBins, list[Any]]] = []
        self.model_ready.labels(service).set(0)

    def set_cpu_request(self, millicores: int | None) -> None:
        if millicores is not None:
            self.cpu_request.labels(self.service).set(millicores / 1000)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (self.service, method, route, str(status))
        self.requests.labels(*labels).inc()
        self.request_latency.labels(*labels).observe(seconds)

    def observe_predictions(self, endpoint: str, outcomes: list[str], seconds: float) -> None:
        self.inference_latency.labels(self.service, endpoint).observe(seconds)
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
        for outcome, n in counts.items():
            self.predictions.labels(self.service, outcome).inc(n)
        if endpoint == "batch":
            self.batch_size.labels(self.service).observe(len(outcomes))

    def observe_inputs(self, columns: Mapping[str, Sequence[Any]]) -> None:
        """Count every scored row into its reference bin, per input feature."""
        for bins, children in self._drift:
            values = columns[bins.name]
            if len(values) == 1:
                children[bins.index_one(values[0])].inc()
                continue
            counts = bins.counts(values)
            for i in np.flatnonzero(counts):
                children[i].inc(int(counts[i]))

    def set_reference(self, profile: ReferenceProfile | None) -> None:
        """Publish a model's reference shares and start its bin counters at zero, so that
        every bin has a series (an empty bin is drift too). None: the model has no profile."""
        self.feature_values.clear()
        self.reference_share.clear()
        self._drift = []
        if profile is None:
            return
        for bins in profile.features:
            shares, children = profile.shares[bins.name], []
            for i, label in enumerate(bins.labels):
                self.reference_share.labels(self.service, bins.name, label).set(shares[i])
                children.append(self.feature_values.labels(self.service, bins.name, label))
            self._drift.append((bins, children))

    def set_model(
        self, version: str, algorithm: str, trained_at: str, outcome_shares: dict[str, float]
    ) -> None:
        self.model_info.clear()
        self.model_info.labels(self.service, version, algorithm, trained_at).set(1)
        self.expected_share.clear()
        for outcome, share in outcome_shares.items():
            self.expected_share.labels(self.service, outcome).set(share)
        self.model_ready.labels(self.service).set(1)
