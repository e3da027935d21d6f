"""The HTTP contract every service shares, exercised on every registered service's real
trained model."""

import json
import re
import shutil
import time
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from conftest import Trained
from registry import registry
from servicekit.definition import ServiceDefinition, Task, load_definition
from servicekit.drift import ReferenceProfile
from servicekit.metrics import METRIC_NAMES
from servicekit.runtime import ModelRuntime
from servicekit.training.data import load_training_data
from tests.helpers import bounded_field, client, examples, make_app, outcome_of, required_field
from tests.model_checks import base_rows


@pytest.fixture
def api(service: Trained) -> TestClient:
    return client(make_app(service.definition, service.runtime(), max_batch_size=50))


def test_health_and_ready_when_loaded(api: TestClient, service: Trained) -> None:
    assert api.get("/health").json() == {"status": "ok"}
    ready = api.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["model_version"] == service.metadata["model_version"]


def test_the_index_names_the_service_and_links_under_its_prefix(
    api: TestClient, service: Trained
) -> None:
    name = service.definition.name
    for base in ("", f"/{name}"):
        index = api.get(f"{base}/").json()
        assert index == {
            "service": name,
            "title": service.definition.title,
            "model_version": service.metadata["model_version"],
            "links": {
                k: f"{base}/{k}" for k in ("docs", "openapi.json", "ready", "model", "model/card")
            },
        }


def test_predict_answers_at_root_and_under_the_service_prefix(
    api: TestClient, service: Trained
) -> None:
    body = examples(service.definition)[0]
    at_root = api.post("/predict", json=body)
    under_prefix = api.post(f"/{service.definition.name}/predict", json=body)
    assert at_root.status_code == under_prefix.status_code == 200
    assert at_root.json() == under_prefix.json()
    assert at_root.json()["model_version"] == service.metadata["model_version"]


def test_batch_equals_single_predictions(api: TestClient, service: Trained) -> None:
    rows = examples(service.definition)
    batch = api.post("/predict/batch", json={"instances": rows}).json()
    assert batch["count"] == len(rows)
    singles = [api.post("/predict", json=row).json() for row in rows]
    for item, single in zip(batch["predictions"], singles, strict=True):
        assert item == {k: v for k, v in single.items() if k != "model_version"}


def test_batch_over_the_limit_is_413_and_names_the_limit(api: TestClient, service: Trained) -> None:
    rows = examples(service.definition)[:1] * 51
    response = api.post("/predict/batch", json={"instances": rows})
    assert response.status_code == 413
    assert response.json()["error"] == "batch_too_large"
    assert "51" in response.json()["message"] and "50" in response.json()["message"]


def test_a_batch_of_exactly_the_limit_is_served(api: TestClient, service: Trained) -> None:
    rows = examples(service.definition)[:1] * 50
    response = api.post("/predict/batch", json={"instances": rows})
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 50


def _data_rows(service: Trained, n: int) -> list[dict[str, Any]]:
    """Rows of the training file as JSON requests."""
    X, _, _ = load_training_data(service.data_path, service.definition.dataset)
    return [service.definition.request_model.body_from_record(r) for r in base_rows(X, n)]


BINARY = [s.name for s in registry().services if s.task == "binary"]


@pytest.mark.parametrize("name", BINARY)
def test_binary_decisions_use_the_tuned_threshold(
    name: str, trained_models: dict[str, Trained]
) -> None:
    service = trained_models[name]
    api = client(make_app(service.definition, service.runtime(), max_batch_size=1000))
    threshold = api.get("/model").json()["threshold"]
    assert threshold == service.metadata["threshold"]
    predictions = api.post("/predict/batch", json={"instances": _data_rows(service, 1000)}).json()[
        "predictions"
    ]
    labels = service.definition.class_labels
    for p in predictions:
        decided = int(p["probability"] >= threshold)
        assert (p["prediction"], p["label"]) == (decided, labels[decided]), (p, threshold)
    if service.definition.tune_threshold:
        # Rows the threshold decides differently from 0.5, so a decision at 0.5 would show.
        between = [
            p for p in predictions if min(0.5, threshold) <= p["probability"] < max(0.5, threshold)
        ]
        assert between, f"no row between 0.5 and the tuned threshold {threshold}"


def test_openapi_examples_work_when_pasted(api: TestClient, service: Trained) -> None:
    document = api.get("/openapi.json").json()
    pasted = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for example in content.get("application/json", {}).get("examples", {}).values():
                response = api.request(method.upper(), path, json=example["value"])
                assert response.status_code == 200, (path, response.text)
                pasted += 1
    assert pasted >= 2  # single and batch


def test_docs_under_the_prefix_point_at_the_prefixed_schema(
    api: TestClient, service: Trained
) -> None:
    prefix = f"/{service.definition.name}"
    document = api.get(f"{prefix}/openapi.json").json()
    assert document["servers"] == [{"url": prefix}]
    assert "servers" not in api.get("/openapi.json").json()
    assert f"{prefix}/openapi.json" in api.get(f"{prefix}/docs").text
    assert "/predict" in document["paths"] and f"{prefix}/predict" not in document["paths"]


def _raw(content: bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {"content": content, "headers": {"content-type": content_type}}


def _bad_requests(service: Trained) -> list[tuple[str, dict[str, Any], int, str]]:
    """(case, request kwargs, expected status, text the message must contain)."""
    good = examples(service.definition)[0]
    field, upper = bounded_field(service.definition)
    missing = required_field(service.definition)
    without = {k: v for k, v in good.items() if k != missing}
    return [
        ("wrong type", {"json": good | {field: "abc"}}, 422, field),
        ("missing field", {"json": without}, 422, f"{missing}: Field required"),
        ("unknown field", {"json": good | {"Surname": "x"}}, 422, "Surname: unknown field"),
        ("out of range", {"json": good | {field: upper * 10 + 1}}, 422, field),
        ("negative", {"json": good | {field: -1}}, 422, field),
        ("true for a number", {"json": good | {field: True}}, 422, f"{field}: Input should be"),
        ("null body", _raw(b"null"), 422, "body"),
        ("array body", {"json": [good]}, 422, "body"),
        ("malformed JSON", _raw(b'{"a": 1'), 422, "malformed JSON at character 7"),
        ("empty body", _raw(b""), 422, "body"),
        ("wrong content type", _raw(b"a=1", "text/plain"), 415, "application/json, got text/plain"),
    ]


def test_bad_input_gets_a_readable_4xx_and_the_service_keeps_serving(
    api: TestClient, service: Trained
) -> None:
    good = examples(service.definition)[0]
    for case, kwargs, status, text in _bad_requests(service):
        response = api.post("/predict", **kwargs)
        assert response.status_code == status, (case, response.text)
        body = response.json()
        assert text in body["message"], (case, body)
        assert body["request_id"], case
        assert api.post("/predict", json=good).status_code == 200, case


def _boolean_fields(definition: ServiceDefinition) -> list[str]:
    properties = definition.request_model.model_json_schema()["properties"]
    return [
        name
        for name, schema in properties.items()
        if {"type": "boolean"} in [schema, *schema.get("anyOf", [])]
    ]


# The services whose requests have a true/false field; the test takes the first.
WITH_BOOLEAN = [s.name for s in registry().services if _boolean_fields(load_definition(s.name))]


@pytest.mark.skipif(not WITH_BOOLEAN, reason="no registered service takes a true/false field")
@pytest.mark.parametrize("value", [1, 0, "yes", "true"])
def test_a_boolean_field_takes_only_true_or_false(
    value: object, trained_models: dict[str, Trained]
) -> None:
    service = trained_models[WITH_BOOLEAN[0]]
    field = _boolean_fields(service.definition)[0]
    api = client(make_app(service.definition, service.runtime()))
    good = examples(service.definition)[0]
    response = api.post("/predict", json=good | {field: value})
    assert response.status_code == 422, response.text
    assert response.json()["message"] == f"body: {field}: Input should be true or false"
    assert api.post("/predict", json=good | {field: False}).status_code == 200


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"instances": []}, 422), ({}, 422), ({"instances": "x"}, 422), ({"rows": []}, 422)],
)
def test_bad_batches_are_rejected(api: TestClient, payload: dict[str, Any], status: int) -> None:
    response = api.post("/predict/batch", json=payload)
    assert response.status_code == status
    assert response.json()["error"] == "validation_error"


def test_one_bad_row_names_its_index_in_the_batch(api: TestClient, service: Trained) -> None:
    rows = examples(service.definition)
    field, _ = bounded_field(service.definition)
    rows[1] = rows[1] | {field: "abc"}
    response = api.post("/predict/batch", json={"instances": rows})
    assert response.status_code == 422
    assert f"body.instances.1.{field}" in response.json()["message"]


def test_with_a_metrics_port_the_api_routes_no_metrics(service: Trained) -> None:
    """METRICS_PORT moves /metrics off the API's routes (serve() listens for it there); the
    registry the API counts in is the one it hands over."""
    app = make_app(service.definition, service.runtime(), metrics_port=9000)
    api = client(app)
    assert api.post("/predict", json=examples(service.definition)[0]).status_code == 200
    assert api.get("/metrics").status_code == 404
    text = generate_latest(app.state.metrics_registry).decode()
    name = service.definition.name
    assert (
        f'http_requests_total{{method="POST",route="/predict",service="{name}",status="200"}} 1.0'
        in text
    )


def test_metrics_share_names_and_carry_the_service_label(api: TestClient, service: Trained) -> None:
    name = service.definition.name
    api.post("/predict", json=examples(service.definition)[0])
    api.post("/predict", json={"bogus": 1})
    scraped = api.get("/metrics")
    assert scraped.headers["content-type"] == CONTENT_TYPE_LATEST
    text = scraped.text
    for metric in METRIC_NAMES:
        assert f"\n{metric}" in text or f"# TYPE {metric}" in text, metric
    assert (
        f'http_requests_total{{method="POST",route="/predict",service="{name}",status="200"}} 1.0'
        in text
    )
    assert f'request_validation_errors_total{{route="/predict",service="{name}"}} 1.0' in text
    assert f'model_ready{{service="{name}"}} 1.0' in text
    meta = service.metadata
    info = (f'model_info{{algorithm="{meta["algorithm"]}",model_version="{meta["model_version"]}",'
            f'service="{name}",trained_at="{meta["trained_at"]}"}} 1.0')  # fmt: skip
    assert info in text
    shares = service.metadata["outcome_shares"]
    assert isinstance(shares, dict)
    assert abs(sum(shares.values()) - 1) < 1e-9
    for outcome, share in shares.items():
        line = f'model_expected_outcome_share{{outcome="{outcome}",service="{name}"}} {share}'
        assert line in text
    assert "process_cpu_seconds_total" in text


def test_an_artifact_with_sparse_metadata_still_publishes_model_info(
    service: Trained, tmp_path: Any
) -> None:
    """Older artifacts may lack the algorithm, the training time and the outcome shares."""
    model = tmp_path / "model.npz"
    shutil.copy(service.model_path, model)
    sparse = {k: v for k, v in service.metadata.items()
              if k not in ("algorithm", "trained_at", "outcome_shares")}  # fmt: skip
    model.with_name("metadata.json").write_text(json.dumps(sparse))
    runtime = ModelRuntime(service.definition)
    runtime.load(model)
    text = client(make_app(service.definition, runtime)).get("/metrics").text
    name, version = service.definition.name, service.metadata["model_version"]
    info = (
        f'model_info{{algorithm="",model_version="{version}",service="{name}",trained_at=""}} 1.0'
    )
    assert info in text
    assert "\nmodel_expected_outcome_share{" not in text


def test_the_pods_cpu_request_is_published_only_where_there_is_one(service: Trained) -> None:
    name = service.definition.name
    unset = client(make_app(service.definition, service.runtime())).get("/metrics").text
    assert f'pod_cpu_request_cores{{service="{name}"}}' not in unset
    app = make_app(service.definition, service.runtime(), cpu_request_millicores=125)
    text = client(app).get("/metrics").text
    assert f'pod_cpu_request_cores{{service="{name}"}} 0.125' in text


def _predictions_counted(text: str, service: str) -> dict[str, float]:
    found = re.findall(
        rf'^model_predictions_total{{outcome="([^"]*)",service="{service}"}} (\S+)$',
        text,
        re.MULTILINE,
    )
    return {outcome: float(n) for outcome, n in found}


def test_predictions_are_counted_once_per_row_by_bounded_outcome(
    api: TestClient, service: Trained
) -> None:
    rows = _data_rows(service, 40)
    batch = api.post("/predict/batch", json={"instances": rows}).json()["predictions"]
    singles = [api.post("/predict", json=row).json() for row in rows[:5]]
    definition = service.definition
    expected = Counter(outcome_of(p) for p in [*batch, *singles])
    counted = _predictions_counted(api.get("/metrics").text, definition.name)
    assert counted == {outcome: float(n) for outcome, n in expected.items()}
    regression = definition.task is Task.REGRESSION
    bounded = [n for _, n in definition.value_bands] if regression else definition.class_labels
    assert set(counted) <= set(bounded)


def _samples(text: str, metric: str) -> dict[tuple[str, str], float]:
    """(feature, bin) -> value of one drift metric in an exposition."""
    return {
        (s.labels["feature"], s.labels["bin"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == metric
    }


def test_every_scored_row_is_counted_per_input_against_the_reference(
    api: TestClient, service: Trained
) -> None:
    rows = _data_rows(service, 40)
    api.post("/predict/batch", json={"instances": rows}).raise_for_status()
    for row in rows[:5]:
        api.post("/predict", json=row).raise_for_status()
    api.post("/predict", json={"bogus": 1})  # rejected rows are not scored, so not counted
    text = api.get("/metrics").text
    reference = ReferenceProfile.from_metadata(service.metadata["reference"])  # type: ignore[arg-type]
    expected_counts, expected_shares = {}, {}
    for bins in reference.features:
        column = [row.get(bins.name) for row in [*rows, *rows[:5]]]
        for label, n, share in zip(
            bins.labels, bins.counts(column), reference.shares[bins.name], strict=True
        ):
            expected_counts[bins.name, label] = float(n)
            expected_shares[bins.name, label] = share
    assert _samples(text, "model_feature_values_total") == expected_counts
    assert _samples(text, "model_feature_reference_share") == expected_shares


def test_the_model_card_is_served_as_markdown(api: TestClient, service: Trained) -> None:
    for path in ("/model/card", f"/{service.definition.name}/model/card"):
        response = api.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/markdown; charset=utf-8"
        assert response.text == service.model_path.with_name("MODEL_CARD.md").read_text()


def test_a_model_without_a_card_answers_404_and_a_loading_one_503(
    service: Trained, tmp_path: Any
) -> None:
    for name in ("model.npz", "metadata.json"):
        shutil.copy(service.model_path.with_name(name), tmp_path / name)
    runtime = ModelRuntime(service.definition)
    runtime.load(tmp_path / "model.npz")
    response = client(make_app(service.definition, runtime)).get("/model/card")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert response.json()["message"] == (
        "the loaded model has no MODEL_CARD.md (trained before cards)"
    )
    loading = client(make_app(service.definition, ModelRuntime(service.definition)))
    assert loading.get("/model/card").status_code == 503


def test_model_metadata_describes_the_loaded_model(api: TestClient, service: Trained) -> None:
    meta = api.get("/model").json()
    assert meta["model_version"] == service.metadata["model_version"]
    assert meta["service"] == service.definition.name
    assert meta["metrics"] and meta["library_versions"]["scikit-learn"]
    assert meta["training_data"]["sha256"] == service.metadata["training_data"]["sha256"]  # type: ignore[index]


def test_request_id_is_echoed_or_created(api: TestClient) -> None:
    assert (
        api.get("/health", headers={"x-request-id": "trace-42"}).headers["x-request-id"]
        == "trace-42"
    )
    generated = api.get("/health").headers["x-request-id"]
    assert len(generated) == 32
    hostile = api.get("/health", headers={"x-request-id": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


def test_unknown_paths_share_one_route_label(api: TestClient, service: Trained) -> None:
    for path in ("/nope", "/nope/42", f"/{service.definition.name}/x?y=1"):
        assert api.get(path).status_code == 404
    text = api.get("/metrics").text
    routes = set(re.findall(r'^http_requests_total{[^}]*route="([^"]*)"', text, re.MULTILINE))
    assert "unmatched" in routes
    assert not routes & {"/nope", "/nope/42", f"/{service.definition.name}/x"}, routes
    counted = re.search(
        r'^http_requests_total{method="GET",route="unmatched",service="[^"]+",status="404"} (\S+)$',
        text,
        re.MULTILINE,
    )
    assert counted and float(counted[1]) == 3


def test_unknown_paths_and_methods_get_json_errors(api: TestClient) -> None:
    missing = api.get("/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong_method = api.get("/predict")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"
    assert wrong_method.headers["allow"] == "POST"  # RFC 9110: a 405 names what is allowed


def test_a_body_that_is_not_utf8_is_malformed_json_422(api: TestClient, service: Trained) -> None:
    name = service.definition.name
    for path in ("/predict", "/predict/batch"):
        response = api.post(
            path, content=b'{"a": "caf\xe9"}', headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "validation_error"
        assert response.json()["message"] == "malformed JSON at byte 10: not valid UTF-8"
    text = api.get("/metrics").text
    assert f'request_validation_errors_total{{route="/predict",service="{name}"}} 1.0' in text


def test_not_ready_without_a_model_but_alive(
    service: Trained, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(service.definition, model_path=tmp_path / "absent" / "model.npz")
    with client(app) as api:
        deadline = time.monotonic() + 10
        while api.get("/ready").json().get("reason") == "model is loading":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert api.get("/health").status_code == 200
        ready = api.get("/ready")
        assert ready.status_code == 503
        # The answer is public: it says where to look, not which file was missing.
        assert ready.json()["reason"] == "the model is not loaded; the service log says why"
        assert str(tmp_path) not in ready.text
        failed = [r for r in caplog.records if r.getMessage() == "model load failed"]
        assert "model file not found" in failed[0].error
        predict = api.post("/predict", json=examples(service.definition)[0])
        assert predict.status_code == 503
        assert predict.json()["error"] == "model_not_ready"
        assert predict.json()["message"] == ready.json()["reason"]
    # Before the lifespan has started loading, the answer says so.
    idle = client(make_app(service.definition, ModelRuntime(service.definition)))
    predict = idle.post("/predict", json=examples(service.definition)[0])
    assert predict.status_code == 503
    assert predict.json()["message"] == "model is still loading"


def test_without_settings_the_app_reads_them_from_the_environment(
    service: Trained,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from servicekit.api import create_app
    from servicekit.settings import get_settings

    name = service.definition.name
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("MAX_BATCH_SIZE", "2")
    monkeypatch.setenv("AUTH", "open")
    get_settings.cache_clear()
    try:
        with client(create_app(service.definition)) as api:
            deadline = time.monotonic() + 10
            while api.get("/ready").json().get("reason") == "model is loading":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            failed = [r for r in caplog.records if r.getMessage() == "model load failed"]
            assert failed[0].model_path == f"{tmp_path}/{name}/model.npz"
            assert "(2) rows" in api.get("/openapi.json").text
    finally:
        get_settings.cache_clear()


def test_an_unusable_artifact_gives_a_reason_instead_of_loading_forever(
    service: Trained, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "model.npz"
    shutil.copy(service.model_path, path)
    # A warm-up row without the model's inputs: the failure is no ArtifactError, yet it
    # still ends loading with a reason.
    metadata = {"service": service.definition.name, "warmup_example": {"bogus": 1}}
    path.with_name("metadata.json").write_text(json.dumps(metadata))
    with client(make_app(service.definition, model_path=path)) as api:
        deadline = time.monotonic() + 10
        while (reason := api.get("/ready").json().get("reason")) == "model is loading":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert api.get("/ready").status_code == 503
        assert reason == "the model is not loaded; the service log says why"
        failed = [r for r in caplog.records if r.getMessage() == "model load failed"]
        assert failed[0].exc_info and failed[0].exc_info[0] is KeyError


def test_loads_in_the_background_then_turns_ready(service: Trained) -> None:
    app = make_app(service.definition, model_path=service.model_path)
    with client(app) as api:
        assert api.get("/health").status_code == 200
        deadline = time.monotonic() + 30
        while api.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "model never became ready"
            time.sleep(0.05)
        assert api.post("/predict", json=examples(service.definition)[0]).status_code == 200


def test_api_key_guards_predictions_and_the_model_but_not_probes(service: Trained) -> None:
    api = client(make_app(service.definition, service.runtime(), api_key="s3cret-key"))
    body = examples(service.definition)[0]
    calls = {
        "/predict": ("POST", body),
        "/predict/batch": ("POST", {"instances": [body]}),
        "/model": ("GET", None),
        "/model/card": ("GET", None),
    }
    for path, (method, payload) in calls.items():
        missing = api.request(method, path, json=payload)
        assert missing.status_code == 401, path
        assert missing.json()["message"] == "missing X-API-Key header"
        wrong = api.request(method, path, json=payload, headers={"X-API-Key": "s3cret-kez"})
        assert wrong.status_code == 401
        assert wrong.json()["message"] == "unknown X-API-Key"
        right = api.request(method, path, json=payload, headers={"X-API-Key": "s3cret-key"})
        assert right.status_code == 200, path
    for path in ("/", "/health", "/ready", "/metrics", "/openapi.json"):
        assert api.get(path).status_code == 200, path
    document = api.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    for path, (method, _) in calls.items():
        operation = document["paths"][path][method.lower()]
        assert operation["security"] == [{"APIKeyHeader": []}], path
        assert "401" in operation["responses"], path
    assert "security" not in document["paths"]["/ready"]["get"]


def test_without_a_key_the_default_refuses_to_build_an_open_service(service: Trained) -> None:
    from servicekit.api import create_app
    from servicekit.errors import ConfigError
    from servicekit.settings import ServiceSettings

    # The Secret in git carries an empty placeholder: that is no key, and AUTH=keys (the
    # default) then refuses instead of serving everyone.
    settings = ServiceSettings(service_name=service.definition.name, api_key="")
    with pytest.raises(ConfigError) as refused:
        create_app(service.definition, settings, service.runtime())
    assert str(refused.value) == (
        "AUTH=keys and no key: set API_KEYS_FILE (python -m servicekit.keys new CLIENT) or "
        "API_KEY, or AUTH=open for an open development service"
    )


def test_an_empty_api_key_leaves_an_open_service_open_and_undeclared(service: Trained) -> None:
    # AUTH=open (make_app's default) with the empty placeholder: no key of "", nothing declared.
    api = client(make_app(service.definition, service.runtime(), api_key=""))
    assert api.post("/predict", json=examples(service.definition)[0]).status_code == 200
    # The document declares no key that the service does not ask for.
    document = api.get("/openapi.json").json()
    assert "securitySchemes" not in document.get("components", {})
    for path in ("/predict", "/predict/batch"):
        operation = document["paths"][path]["post"]
        assert "security" not in operation
        assert "401" not in operation["responses"]
        assert {"413", "422", "503"} <= operation["responses"].keys()
    model = document["paths"]["/model"]["get"]["responses"]
    assert "503" in model and "401" not in model
