"""What each observation adds to the registry, read back sample by sample."""

import re

import pytest
from prometheus_client import generate_latest

from servicekit.drift import FeatureBins, ReferenceProfile
from servicekit.metrics import METRIC_NAMES, ServiceMetrics


@pytest.fixture
def metrics() -> ServiceMetrics:
    return ServiceMetrics("churn")


def sample(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"service": "churn", **labels})


def test_predictions_are_counted_per_row_and_batches_sized(metrics: ServiceMetrics) -> None:
    metrics.observe_predictions("single", ["yes"], 0.002)
    metrics.observe_predictions("batch", ["no", "yes", "no"], 0.004)
    assert sample(metrics, "model_predictions_total", outcome="yes") == 2
    assert sample(metrics, "model_predictions_total", outcome="no") == 2
    for endpoint, seconds in (("single", 0.002), ("batch", 0.004)):
        assert sample(metrics, "model_inference_duration_seconds_count", endpoint=endpoint) == 1
        assert sample(metrics, "model_inference_duration_seconds_sum", endpoint=endpoint) == (
            seconds
        )
    # Sub-millisecond resolution at the bottom, as for requests.
    single = {"endpoint": "single"}
    assert sample(metrics, "model_inference_duration_seconds_bucket", le="0.0005", **single) == 0
    assert sample(metrics, "model_inference_duration_seconds_bucket", le="0.005", **single) == 1
    # One batch of three rows; single predictions are not batches.
    assert sample(metrics, "model_batch_size_count") == 1
    assert sample(metrics, "model_batch_size_sum") == 3
    assert sample(metrics, "model_batch_size_bucket", le="2.0") == 0
    assert sample(metrics, "model_batch_size_bucket", le="5.0") == 1


def test_requests_are_counted_and_timed_by_route_and_status(metrics: ServiceMetrics) -> None:
    metrics.observe_request("POST", "/predict", 200, 0.0004)
    metrics.observe_request("POST", "/predict", 200, 0.003)
    metrics.observe_request("GET", "/ready", 503, 0.001)
    ok = {"method": "POST", "route": "/predict", "status": "200"}
    assert sample(metrics, "http_requests_total", **ok) == 2
    assert sample(metrics, "http_request_duration_seconds_count", **ok) == 2
    # The lowest bucket holds sub-millisecond requests.
    assert sample(metrics, "http_request_duration_seconds_bucket", le="0.0005", **ok) == 1
    assert sample(metrics, "http_request_duration_seconds_bucket", le="0.005", **ok) == 2
    failed = {"method": "GET", "route": "/ready", "status": "503"}
    assert sample(metrics, "http_requests_total", **failed) == 1


def test_the_model_gauges_describe_only_the_model_loaded_last(metrics: ServiceMetrics) -> None:
    assert sample(metrics, "model_ready") == 0
    metrics.set_model("v1", "forest", "2026-01-01", {"no": 0.8, "yes": 0.2})
    metrics.set_model("v2", "boosting", "2026-02-01", {"no": 0.75, "yes": 0.25})
    assert sample(metrics, "model_ready") == 1
    info = {"algorithm": "boosting", "trained_at": "2026-02-01"}
    assert sample(metrics, "model_info", model_version="v2", **info) == 1
    assert sample(metrics, "model_info", model_version="v1", algorithm="forest",
                  trained_at="2026-01-01") is None  # fmt: skip
    assert sample(metrics, "model_expected_outcome_share", outcome="yes") == 0.25
    metrics.set_model("v3", "boosting", "2026-03-01", {"low": 1.0})
    assert sample(metrics, "model_expected_outcome_share", outcome="yes") is None


def test_the_cpu_request_is_published_in_cores_only_when_known(metrics: ServiceMetrics) -> None:
    metrics.set_cpu_request(None)
    assert sample(metrics, "pod_cpu_request_cores") is None
    metrics.set_cpu_request(250)
    assert sample(metrics, "pod_cpu_request_cores") == 0.25


PROFILE = ReferenceProfile(
    features=(
        FeatureBins("age", "numeric", edges=(30.0, 50.0)),
        FeatureBins("city", "categorical", categories=("paris",)),
    ),
    shares={"age": (0.3, 0.4, 0.2, 0.1), "city": (0.7, 0.2, 0.1)},
    rows=100,
)


def test_a_reference_publishes_its_shares_and_a_zero_counter_for_every_bin(
    metrics: ServiceMetrics,
) -> None:
    metrics.set_reference(PROFILE)
    for feature in PROFILE.features:
        for label, share in zip(feature.labels, PROFILE.shares[feature.name], strict=True):
            bin_ = {"feature": feature.name, "bin": label}
            assert sample(metrics, "model_feature_reference_share", **bin_) == share
            assert sample(metrics, "model_feature_values_total", **bin_) == 0
    # A model without a profile leaves no drift series behind.
    metrics.set_reference(None)
    assert sample(metrics, "model_feature_reference_share", feature="age", bin="(30, 50]") is None
    assert sample(metrics, "model_feature_values_total", feature="age", bin="(30, 50]") is None
    metrics.observe_inputs({"age": [1.0], "city": ["rome"]})  # nothing to count into


def test_every_scored_row_is_counted_into_its_bin(metrics: ServiceMetrics) -> None:
    metrics.observe_inputs({"age": [30.0], "city": ["paris"]})  # no model yet: nothing to count
    metrics.set_reference(PROFILE)
    metrics.observe_inputs({"age": [30.0], "city": ["paris"]})  # a single row
    metrics.observe_inputs({"age": [10.0, 51.0, None], "city": ["oslo"] * 3})
    metrics.observe_inputs({"age": [45.0, 60.0], "city": ["oslo", None]})  # two rows

    def counts(feature: str) -> list[float | None]:
        bins = next(f for f in PROFILE.features if f.name == feature)
        return [sample(metrics, "model_feature_values_total", feature=feature, bin=b)
                for b in bins.labels]  # fmt: skip

    assert counts("age") == [2, 1, 2, 1]
    assert counts("city") == [1, 4, 1]
    # A new model's bins start again from zero.
    metrics.set_reference(PROFILE)
    assert counts("age") == [0, 0, 0, 0]


# What /metrics tells a reader about each of the kit's metrics: its type and its help text.
DESCRIBED = {
    "http_requests_total": ("counter", "HTTP requests by route and status."),
    "http_request_duration_seconds": ("histogram", "HTTP request latency by route and status."),
    "model_inference_duration_seconds": (
        "histogram", "Model inference time (encode + predict)."),
    "model_predictions_total": ("counter", "Predictions by outcome (class label or value band)."),
    "model_batch_size": ("histogram", "Rows per batch request."),
    "model_info": ("gauge", "Loaded model (value 1), described by its labels."),
    "model_ready": ("gauge", "1 when the model is loaded and warmed up."),
    "model_expected_outcome_share": ("gauge", "Share of each outcome on the model's test split "
                                     "(the prediction-mix baseline)."),
    "request_validation_errors_total": ("counter", "Requests rejected by input validation."),
    "model_feature_values_total": ("counter", "Scored rows by input feature and reference bin "
                                   "(the live side of input drift)."),
    "model_feature_reference_share": ("gauge", "Smoothed share of each input bin on the model's "
                                      "training split (drift baseline)."),
    "pod_cpu_request_cores": ("gauge", "CPU request of this pod (absent outside Kubernetes); CPU "
                              "use over it is what the HPA's utilization target compares."),
    "http_requests_rejected_total": ("counter", "Requests turned away before the app read their "
                                     "body (no or unknown key, body too large, too many "
                                     "predictions in flight)."),
    "api_keys_reload_failures_total": ("counter", "Changes to the keys file that could not be "
                                       "read; the previous keys stay in force."),
}  # fmt: skip


def test_every_metric_is_typed_and_described(metrics: ServiceMetrics) -> None:
    exposition = generate_latest(metrics.registry).decode()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", exposition, re.MULTILINE))
    helps = dict(re.findall(r"^# HELP (\S+) (.*)$", exposition, re.MULTILINE))
    assert {name: (types.get(name), helps.get(name)) for name in DESCRIBED} == DESCRIBED
    assert set(DESCRIBED) == set(METRIC_NAMES)
    # The whole process is described too: its own collectors and the interpreter's.
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"} <= set(
        types
    )
