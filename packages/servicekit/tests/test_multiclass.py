"""Multiclass end to end on a real dataset (scikit-learn's wine: 178 wines, 3 cultivars): the
contract reads class targets, training refuses classes too small to split, the served model
returns the pipeline's class probabilities to the bit, and the API, metrics and card speak
in the service's class names. The registered services are binary and regression; a fork's
multiclass service gets every contract test through scaffold/tests/test_fork.py."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import Field

from servicekit.artifacts import load_model, load_pipeline
from servicekit.dataset import Column, DatasetContract
from servicekit.definition import ServiceDefinition, Task
from servicekit.errors import DataError
from servicekit.features import FeatureSpec
from servicekit.rows import RequestRow
from servicekit.runtime import ModelRuntime
from servicekit.scoring import ScoringModel
from servicekit.training.data import load_training_data
from servicekit.training.plots import write_plots
from servicekit.training.train import TrainConfig, TrainResult, predict_value, train
from tests.helpers import client, make_app

INPUTS = ("alcohol", "malic_acid", "flavanoids", "color_intensity", "hue", "proline")
LABELS = ("cultivar_1", "cultivar_2", "cultivar_3")
CONTRACT = DatasetContract(
    header=(*INPUTS, "cultivar"),
    columns=tuple(Column(c, "numeric", required=c != "hue", min=0) for c in INPUTS),
    target="cultivar",
    target_kind="class",
    target_classes=("0", "1", "2"),
)


class Wine(RequestRow):
    alcohol: float = Field(ge=0)
    malic_acid: float = Field(ge=0)
    flavanoids: float = Field(ge=0)
    color_intensity: float = Field(ge=0)
    hue: float | None = Field(default=None, ge=0)
    proline: float = Field(ge=0)


def wine_frame() -> pd.DataFrame:
    """The real file, with hue blank on every seventh row: the kit's blank path, which the
    real wine data never takes."""
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True)
    frame: pd.DataFrame = data.frame.rename(columns={"target": "cultivar"})
    frame = frame[list(CONTRACT.header)].copy()
    frame.loc[frame.index % 7 == 0, "hue"] = np.nan
    return frame


def generate(rows: int, seed: int) -> pd.DataFrame:
    return wine_frame().sample(n=rows, replace=True, random_state=seed).reset_index(drop=True)


def make_estimator(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=60, max_leaf_nodes=8, min_samples_leaf=5, early_stopping=False,
        random_state=seed,
    )  # fmt: skip


EXAMPLES = (
    {"alcohol": 13.2, "malic_acid": 1.8, "flavanoids": 2.8, "color_intensity": 4.4,
     "hue": 1.0, "proline": 1050.0},
    {"alcohol": 12.4, "malic_acid": 2.1, "flavanoids": 0.7, "color_intensity": 7.2,
     "hue": None, "proline": 560.0},
)  # fmt: skip

DEFINITION = ServiceDefinition(
    name="wine",
    title="Wine cultivar API",
    description="Which of three cultivars a wine comes from, from its chemistry.",
    task=Task.MULTICLASS,
    request_model=Wine,
    features=FeatureSpec(numeric=INPUTS),
    dataset=CONTRACT,
    make_estimator=make_estimator,
    generate=generate,
    examples=EXAMPLES,
    intended_use="Tell the three cultivars of the UCI wine data apart.",
    out_of_scope=("Wines of other cultivars or regions.",),
    class_labels=LABELS,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    root = tmp_path_factory.mktemp("wine")
    data = root / "wine.csv"
    wine_frame().to_csv(data, index=False)
    config = TrainConfig(data=data, out_dir=root / "models", seed=3, cv_folds=3, track=False)
    return train(DEFINITION, config)


def _runtime(trained: TrainResult, definition: ServiceDefinition = DEFINITION) -> ModelRuntime:
    runtime = ModelRuntime(definition)
    runtime.load(trained.model_path)
    return runtime


@pytest.mark.parametrize("rows", [1, 2, 17, 256, 257, 700])
def test_served_probabilities_equal_the_pipeline_bit_for_bit(
    trained: TrainResult, rows: int
) -> None:
    model, _ = load_model(trained.model_path, "wine", DEFINITION.features)
    assert (model.link, model.outputs) == ("softmax", 3)
    X = wine_frame()[list(INPUTS)].sample(n=rows, replace=True, random_state=rows)
    expected = predict_value(Task.MULTICLASS, load_pipeline(trained.model_path), X)
    assert expected.shape == (rows, 3)
    got = model.predict(DEFINITION.features, {c: X[c].tolist() for c in INPUTS})
    np.testing.assert_array_equal(got, expected)


def test_the_test_split_is_scored_with_multiclass_metrics(trained: TrainResult) -> None:
    metrics = trained.metadata["metrics"]
    assert {"roc_auc_ovr", "log_loss", "accuracy", "balanced_accuracy", "macro_f1"} <= set(metrics)
    assert {"cv_roc_auc_ovr_mean", "cv_roc_auc_ovr_std"} <= set(metrics)
    # The cultivars are nearly separable by chemistry: a model that learned nothing is at 0.5.
    assert metrics["roc_auc_ovr"] > 0.9 and metrics["accuracy"] > 0.8
    assert trained.metadata["threshold"] is None
    shares = trained.metadata["outcome_shares"]
    assert set(shares) <= set(LABELS) and sum(shares.values()) == pytest.approx(1)


def test_the_card_names_the_classes_as_the_data_writes_them(trained: TrainResult) -> None:
    card = trained.model_path.with_name("MODEL_CARD.md").read_text()
    assert "None: the predicted class is the most probable one" in card
    assert "`cultivar_1` (0), `cultivar_2` (1), `cultivar_3` (2)" in card
    assert "| roc_auc_ovr |" in card


def test_the_api_returns_every_class_probability_by_name(trained: TrainResult) -> None:
    api = client(make_app(DEFINITION, _runtime(trained), max_batch_size=50))
    rows = [dict(e) for e in DEFINITION.examples]
    batch = api.post("/predict/batch", json={"instances": rows})
    assert batch.status_code == 200, batch.text
    X = pd.DataFrame(rows).astype({"hue": float})
    expected = predict_value(Task.MULTICLASS, load_pipeline(trained.model_path), X)
    for item, probabilities in zip(batch.json()["predictions"], expected, strict=True):
        code = int(np.argmax(probabilities))
        assert item == {
            "prediction": code,
            "label": LABELS[code],
            "probability": probabilities[code],
            "probabilities": dict(zip(LABELS, probabilities.tolist(), strict=True)),
        }
    single = api.post("/wine/predict", json=rows[1]).json()
    assert {k: v for k, v in single.items() if k != "model_version"} == batch.json()["predictions"][
        1
    ]
    # Counted once per row by class: the batch's two rows and the single one.
    counted = {n: v for n, v in _counted(api.get("/metrics").text).items() if v}
    decided = [LABELS[int(np.argmax(p))] for p in (*expected, expected[1])]
    assert counted == {label: float(decided.count(label)) for label in set(decided)}


def _counted(text: str) -> dict[str, float]:
    return {
        s.labels["outcome"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "model_predictions_total"
    }


def test_the_openapi_document_lists_the_classes(trained: TrainResult) -> None:
    api = client(make_app(DEFINITION, _runtime(trained)))
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    item = schemas["WinePrediction"]["properties"]
    assert item["label"]["enum"] == list(LABELS)
    assert (item["prediction"]["minimum"], item["prediction"]["exclusiveMaximum"]) == (0, 3)
    assert set(item["probabilities"]["propertyNames"]["enum"]) == set(LABELS)


def test_a_model_of_other_classes_is_not_served(trained: TrainResult) -> None:
    four = replace(
        DEFINITION,
        dataset=replace(CONTRACT, target_classes=("0", "1", "2", "3")),
        class_labels=(*LABELS, "cultivar_4"),
    )
    runtime = _runtime(trained, four)
    assert not runtime.ready
    assert runtime.error == (
        "the model ends in softmax with 3 output(s); a multiclass service with these classes "
        "needs softmax with 4"
    )


def test_class_targets_are_read_as_the_file_writes_them(tmp_path: Path) -> None:
    frame = wine_frame()
    # The same classes written as floats and padded text, and values that are no class.
    target = frame["cultivar"].astype(object)
    target[:3] = [0.0, " 1 ", "2.0"]
    target[3:6] = [3, "one", None]
    frame["cultivar"] = target
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    X, y, report = load_training_data(path, CONTRACT)
    assert y[:3].tolist() == [0, 1, 2]
    assert report.dropped == {"cultivar missing or not one of 0, 1, 2": 3}
    assert len(X) == len(y) == len(frame) - 3
    assert sorted(y.unique()) == [0, 1, 2]


def test_a_class_too_small_to_split_is_refused(tmp_path: Path) -> None:
    frame = wine_frame()
    third = frame[frame["cultivar"] == 2].index
    frame = frame.drop(third[9:])  # 9 rows of cultivar_3 are left
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    config = TrainConfig(data=path, out_dir=tmp_path / "models", cv_folds=3, track=False)
    with pytest.raises(DataError, match=r"^class cultivar_3 \(2\) has 9 usable rows; each "
                                        r"class needs at least 10$"):  # fmt: skip
        train(DEFINITION, config)


def test_the_evaluation_plots_are_per_class(trained: TrainResult, tmp_path: Path) -> None:
    y = trained.y_test.to_numpy()
    proba = predict_value(Task.MULTICLASS, trained.pipeline, trained.X_test)
    written = write_plots(Task.MULTICLASS, y, proba, 0.5, tmp_path, LABELS)
    assert sorted(p.name for p in written) == ["confusion_matrix.png", "roc_curves.png"]
    assert all(p.stat().st_size > 1000 for p in written)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"class_labels": LABELS[:2]}, "2 class_labels for 3 classes"),
        ({"class_labels": ("a", "a", "b")}, "class_labels must be distinct and non-empty"),
        ({"class_labels": ("a", "", "b")}, "class_labels must be distinct and non-empty"),
        ({"task": Task.BINARY}, "a binary service needs a binary target, the contract's is class"),
    ],
)
def test_a_definition_must_name_each_class_once(change: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        replace(DEFINITION, **change)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target_classes": ("0", "1")}, "at least 3 target_classes"),
        ({"target_classes": ("0", "1", "1")}, "target_classes repeat a value"),
        ({"target_kind": "binary"}, "target_classes are for class targets, not binary"),
    ],
)
def test_a_contract_must_list_distinct_classes(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(CONTRACT, **change)


@pytest.mark.parametrize(
    ("baseline", "link"), [((0.0, 0.0), "softmax"), ((0.0, 0.0, 0.0), "logit"), ((), "identity")]
)
def test_a_served_model_takes_one_baseline_per_output_of_its_link(
    baseline: tuple[float, ...], link: str
) -> None:
    with pytest.raises(ValueError, match="softmax takes one baseline per class"):
        ScoringModel(
            columns=("a",), categories={}, fill={}, cuts=(np.array([0.5]),),
            masks=(np.full((3, 6), 255, dtype=np.uint8),), leaf_values=np.zeros((6, 2)),
            baseline=baseline, link=link,
        )  # fmt: skip
