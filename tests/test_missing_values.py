"""Missing values, as the real files have them: what the dataset may leave blank, training
keeps and the API takes as null or as an omitted field, with one answer on every path."""

from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import Trained
from registry import names
from servicekit.artifacts import load_model, load_pipeline
from servicekit.definition import load_definition
from servicekit.training.data import load_training_data
from servicekit.training.train import predict_value
from tests.helpers import client, make_app, served_value

ROWS = 40
# The services whose real files leave some features blank (not every dataset does).
WITH_BLANKS = [n for n in names() if load_definition(n).dataset.optional_features]
# The first one whose feature spec reads a blank as a known number.
WITH_FILL = [n for n in WITH_BLANKS if load_definition(n).features.fill][:1]


def _blanked(service: Trained) -> pd.DataFrame:
    """Rows of the training file with every optional feature blank (NaN, as the loader
    reads an empty cell)."""
    X, _, _ = load_training_data(service.data_path, service.definition.dataset)
    rows = X.sample(n=ROWS, random_state=3).reset_index(drop=True)
    # Column by column, so each keeps its dtype: categories stay object columns.
    for name in service.definition.dataset.optional_features:
        rows[name] = rows[name].mask(np.ones(len(rows), dtype=bool))
    return rows


@pytest.fixture
def api(service: Trained) -> TestClient:
    return client(make_app(service.definition, service.runtime(), max_batch_size=ROWS))


def test_training_keeps_every_row_whose_blanks_are_optional(service: Trained) -> None:
    report: Any = service.metadata["training_data"]
    optional = service.definition.dataset.optional_features
    assert not [r for r in report["dropped"] if r.split()[0] in optional], report["dropped"]
    if service.definition.name == "bankchurn":  # its only mess is the blank Tenure
        assert report["rows_used"] == report["rows_read"]
    assert set(report["missing"]) == set(optional), "the generator plants every real blank"


@pytest.mark.parametrize("name", WITH_BLANKS)
def test_null_and_omitted_fields_predict_as_the_pipeline_does(
    name: str, trained_models: dict[str, Trained]
) -> None:
    service = trained_models[name]
    api = client(make_app(service.definition, service.runtime(), max_batch_size=ROWS))
    optional = service.definition.dataset.optional_features
    assert optional
    rows = _blanked(service)
    pipeline = load_pipeline(service.model_path)
    expected = predict_value(service.definition.task, pipeline, rows)
    spec = service.definition.features
    model, _ = load_model(service.model_path, name, spec)
    columns = {c: rows[c].tolist() for c in spec.inputs}
    for part in (slice(0, 1), slice(0, 17), slice(None)):
        got = model.predict(spec, {c: v[part] for c, v in columns.items()})
        np.testing.assert_array_equal(got, expected[part])

    body_of = service.definition.request_model.body_from_record
    with_nulls = [body_of(r) for r in rows.to_dict("records")]
    assert all(b[field] is None for b in with_nulls for field in optional)
    omitted = [{k: v for k, v in b.items() if k not in optional} for b in with_nulls]
    for instances in (with_nulls, omitted):
        response = api.post("/predict/batch", json={"instances": instances})
        assert response.status_code == 200, response.text
        served = [served_value(p, service.definition) for p in response.json()["predictions"]]
        np.testing.assert_array_equal(served, expected)
        single = api.post("/predict", json=instances[0])
        assert single.status_code == 200, single.text
        assert served_value(single.json(), service.definition) == expected[0].tolist()


@pytest.mark.parametrize("name", WITH_FILL)
def test_a_fill_in_the_feature_spec_reaches_the_model_on_both_paths(
    name: str, trained_models: dict[str, Trained]
) -> None:
    """A blank that means a known number (vehicles_us: a blank is_4wd is 0): a null row
    scores as the same row with that number, and as the pipeline scores the blank row, so
    training and serving read the blank alike."""
    service = trained_models[name]
    spec = service.definition.features
    fill = dict(spec.fill)
    assert set(fill) <= set(service.definition.dataset.optional_features)
    rows = _blanked(service).head(12)
    assert rows[list(fill)].isna().all().all()
    filled = rows.assign(**fill)
    pipeline = load_pipeline(service.model_path)
    task = service.definition.task
    model, _ = load_model(service.model_path, name, spec)
    blank = model.predict(spec, {c: rows[c].tolist() for c in rows.columns})
    known = model.predict(spec, {c: filled[c].tolist() for c in filled.columns})
    np.testing.assert_array_equal(blank, known)
    np.testing.assert_array_equal(blank, predict_value(task, pipeline, rows))
    np.testing.assert_array_equal(known, predict_value(task, pipeline, filled))


def test_null_is_refused_for_a_feature_the_data_never_leaves_blank(
    service: Trained, api: TestClient
) -> None:
    required = service.definition.dataset.required_features
    if not service.definition.dataset.optional_features:
        assert required == service.definition.features.inputs, "it takes no blanks"
    body = dict(service.definition.examples[0]) | {required[0]: None}
    response = api.post("/predict", json=body)
    assert response.status_code == 422
    assert response.json()["message"].startswith(f"body.{required[0]}: ")


def test_the_openapi_document_marks_exactly_the_optional_fields_nullable(
    service: Trained, api: TestClient
) -> None:
    document = api.get("/openapi.json").json()
    row = document["components"]["schemas"][service.definition.request_model.__name__]
    nullable = {
        name
        for name, schema in row["properties"].items()
        if {"type": "null"} in schema.get("anyOf", [])
    }
    optional = set(service.definition.dataset.optional_features)
    assert nullable == optional
    assert not optional & set(row.get("required", []))
    content = document["paths"]["/predict"]["post"]["requestBody"]["content"]
    shown = [e["value"] for e in content["application/json"]["examples"].values()]
    if optional:
        assert any(None in example.values() for example in shown), "no example shows a null"
