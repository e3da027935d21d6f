"""The served model's own rules: its file format, what it refuses, and its link functions.
Its agreement with the training pipeline is tested in test_export.py."""

import io
import json
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from conftest import Trained
from servicekit.features import FeatureSpec
from servicekit.scoring import ScoringModel, _expit

SPEC = FeatureSpec(numeric=("x",), categorical=("colour",))


def _model(**changes: object) -> ScoringModel:
    """Two trees. Tree 0 splits x at 0.5 (missing right): leaves 1 | 2.
    Tree 1 splits colour: red (code 0) left, blue right, unknown/missing left: 10 | 20."""
    model = ScoringModel(
        columns=("x", "colour"),
        categories={"colour": ("red", "blue")},
        fill={},
        cuts=(np.array([0.5]), np.array([0.5])),
        masks=(
            np.array([[0b11, 0b11], [0b10, 0b11], [0b10, 0b11]], dtype=np.uint8),
            np.array([[0b11, 0b11], [0b11, 0b10], [0b11, 0b11]], dtype=np.uint8),
        ),
        leaf_values=np.array([[1.0, 2.0], [10.0, 20.0]]),
        baseline=(0.25,),
        link="identity",
    )
    return replace(model, **changes)


def _scores(model: ScoringModel, x: list[float | None], colour: list[str | None]) -> list[float]:
    return model.predict(SPEC, {"x": x, "colour": colour}).tolist()


def test_rows_take_the_leaves_their_values_lead_to() -> None:
    rows = ([0.0, 0.5, 0.6, None], ["red", "blue", "green", None])
    assert _scores(_model(), *rows) == [11.25, 21.25, 12.25, 12.25]


def test_fills_apply_before_scoring() -> None:
    assert _scores(_model(fill={"x": 1.0}), [None], ["red"]) == [12.25]


def test_links_turn_raw_scores_into_the_task_value() -> None:
    raw = np.array([11.25, 21.25])
    assert _scores(_model(link="log"), [0.0, 0.5], ["red", "blue"]) == np.exp(raw).tolist()
    logit = _model(link="logit", leaf_values=np.array([[-1.0, 2.0], [0.5, -40.0]]))
    assert (
        _scores(logit, [0.0, 1.0], ["red", "blue"])
        == expit(np.array([0.25 - 1.0 + 0.5, 0.25 + 2.0 - 40.0])).tolist()
    )


def test_expit_equals_scipy_to_the_bit_including_overflow() -> None:
    x = np.concatenate([np.random.default_rng(0).normal(0, 8, 20_000), [-800.0, 800.0, 0.0]])
    assert [_expit(v) for v in x.tolist()] == expit(x).tolist()


def test_a_saved_model_loads_back_identical(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    _model(fill={"x": 3.0}, link="logit").save(path)
    loaded = ScoringModel.load(path, SPEC)
    assert loaded.columns == ("x", "colour") and loaded.fill == {"x": 3.0}
    assert loaded.categories == {"colour": ("red", "blue")} and loaded.link == "logit"
    for a, b in zip(loaded.masks + loaded.cuts, _model().masks + _model().cuts, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def test_a_file_of_format_1_loads_with_its_one_baseline(tmp_path: Path) -> None:
    """Models saved before multiclass wrote one baseline as a number, under format 1."""
    path = tmp_path / "model.npz"
    _model(link="logit").save(path)
    header = json.loads(str(np.load(path)["header"]))
    assert (header["format"], header["baseline"]) == (2, [0.25])
    _rewrite(path, header=np.array(json.dumps(header | {"format": 1, "baseline": 0.25})))
    loaded = ScoringModel.load(path, SPEC)
    assert loaded.baseline == (0.25,)
    rows: tuple[list[float | None], list[str | None]] = ([0.0, None], ["red", None])
    assert _scores(loaded, *rows) == _scores(_model(link="logit"), *rows)


def _rewrite(path: Path, **members: np.ndarray) -> None:
    """Replace members of a saved model's npz."""
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files} | members
    with path.open("wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]


def test_files_it_cannot_trust_or_read_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    _model().save(path)
    header = json.loads(str(np.load(path)["header"]))
    _rewrite(path, header=np.array(json.dumps(header | {"format": 99})))
    with pytest.raises(ValueError, match=r"^format 99, this kit reads \(1, 2\)$"):
        ScoringModel.load(path, SPEC)
    _model().save(path)
    _rewrite(path, leaf_values=np.array([{"pickled": "object"}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):  # never unpickles
        ScoringModel.load(path, SPEC)
    _model().save(path)
    buffer = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(buffer) as z:
        kept = {n: z.read(n) for n in z.namelist() if n != "masks_1.npy"}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in kept.items():
            z.writestr(name, data)
    with pytest.raises(ValueError, match=r"^not a scoring model: KeyError: "):
        ScoringModel.load(path, SPEC)


def test_a_model_for_other_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    _model().save(path)
    with pytest.raises(ValueError, match=r"model columns \['x', 'colour'\] are not the service"):
        ScoringModel.load(path, FeatureSpec(numeric=("x", "y")))
    with pytest.raises(ValueError, match=r"categories for \['colour'\], the service's"):
        ScoringModel.load(path, FeatureSpec(numeric=("x", "colour")))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"link": "probit"}, r"^unknown link 'probit'"),
        ({"cuts": (np.array([0.5]),)}, r"^columns, cuts and masks must have one entry per column$"),
        (
            {"cuts": (np.array([0.5, 1.5]), np.array([0.5]))},
            r"^column x: masks of shape \(3, 2\), expected \(4, 2\)$",
        ),
        ({"leaf_values": np.zeros((2, 9))}, r"^column x: uint8 masks cannot hold 9 leaves$"),
    ],
)
def test_inconsistent_arrays_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _model(**changes)


def test_serving_imports_no_training_library(trained_models: dict[str, Trained]) -> None:
    """A fresh interpreter builds each app, loads its model and predicts, and still has not
    imported scikit-learn, scipy, pandas or joblib."""
    script = """
import sys
import time
from fastapi.testclient import TestClient
from servicekit.api import create_app
from servicekit.definition import load_definition
from servicekit.settings import ServiceSettings
for name, path in zip(sys.argv[1::2], sys.argv[2::2]):
    definition = load_definition(name)
    app = create_app(definition, ServiceSettings(service_name=name, model_path=path, auth="open"))
    with TestClient(app) as api:
        while (ready := api.get("/ready")).status_code != 200:
            assert ready.json()["reason"] == "model is loading", ready.json()
            time.sleep(0.05)
        body = dict(definition.examples[0])
        assert api.post("/predict", json=body).status_code == 200
        batch = api.post("/predict/batch", json={"instances": [body] * 300})
        assert batch.status_code == 200, batch.text
training = ("sklearn", "scipy", "pandas", "joblib")
heavy = sorted(m for m in sys.modules if m.split(".")[0] in training)
print(" ".join(heavy) or "none")
"""
    args = [str(a) for t in trained_models.values() for a in (t.definition.name, t.model_path)]
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"
