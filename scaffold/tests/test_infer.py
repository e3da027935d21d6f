"""What a CSV says about a service, read from real public datasets that ship with scikit-learn,
and one clear line for every file that cannot become a service."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scaffold.infer import (
    MAX_CLASSES,
    MIN_CLASS_ROWS,
    MIN_ROWS,
    CategoricalInput,
    InferError,
    NumericInput,
    class_label,
    identifier,
    infer,
)


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_breast_cancer

    path = tmp_path_factory.mktemp("data") / "breast_cancer.csv"
    load_breast_cancer(as_frame=True).frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_diabetes

    path = tmp_path_factory.mktemp("data") / "diabetes.csv"
    load_diabetes(as_frame=True, scaled=False).frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_wine

    path = tmp_path_factory.mktemp("data") / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def iris_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Iris with its classes as text, as the UCI file writes them ("Iris-setosa", ...)."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    names = [f"Iris-{iris.target_names[t]}" for t in iris.target]
    path = tmp_path_factory.mktemp("data") / "iris.csv"
    iris.frame.assign(target=names).to_csv(path, index=False)
    return path


def _mixed(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A file with what real exports have: a row ID, names, a constant, blanks, categories."""
    rng = np.random.default_rng(seed)
    income = rng.gamma(3.0, 15_000.0, rows).round(2)
    region = rng.choice(["north", "south", "east"], rows, p=[0.5, 0.3, 0.2])
    tenure = rng.integers(0, 11, rows).astype(float)
    tenure[rng.random(rows) < 0.1] = np.nan
    churn = (rng.random(rows) < 1 / (1 + np.exp(-(income - 45_000) / 15_000))).astype(int)
    return pd.DataFrame({
        "RowNumber": np.arange(1, rows + 1),
        "Surname": [f"name{i}" for i in range(rows)],
        "Bank": "the bank",
        "Income": income,
        "Region": region,
        "Tenure": tenure,
        "Exited": churn,
    })  # fmt: skip


def test_a_real_binary_file_becomes_numeric_inputs_with_identifier_names(cancer_csv: Path) -> None:
    inferred = infer(cancer_csv, "target")
    assert inferred.target.task == "binary" and inferred.rows == 569
    assert len(inferred.inputs) == 30 and not inferred.ignored
    radius = inferred.inputs[0]
    assert isinstance(radius, NumericInput)
    assert (radius.name, radius.column) == ("mean_radius", "mean radius")
    assert radius.low <= 6.981 and radius.high >= 28.11 and radius.low >= 0
    assert radius.quantiles[0] == 6.981 and radius.quantiles[-1] == 28.11
    assert not radius.optional and radius.decimals == 3
    assert 0.9 < inferred.fit_quality <= 1.0, "the file's linear signal (AUC)"
    assert inferred.target.positive_share == pytest.approx(357 / 569)


def test_a_real_regression_file_gets_bands_and_the_targets_range(diabetes_csv: Path) -> None:
    inferred = infer(diabetes_csv, "target")
    target = inferred.target
    assert target.task == "regression" and (target.low, target.high) == (25.0, 346.0)
    assert [label for _, label in target.bands] == ["q1", "q2", "q3", "q4"]
    assert target.bands[-1][0] == 346.0
    assert 0.3 < inferred.fit_quality < 0.7, "R^2 of the linear effect on the file"
    assert inferred.noise > 0
    sex = next(i for i in inferred.inputs if i.name == "sex")
    assert isinstance(sex, NumericInput) and sex.decimals == 0


def test_a_real_multiclass_file_gets_its_classes_labels_shares_and_one_effect_per_class(
    wine_csv: Path,
) -> None:
    inferred = infer(wine_csv, "target")
    target = inferred.target
    assert target.task == "multiclass" and inferred.rows == 178 > MIN_ROWS
    assert target.classes == ("0", "1", "2"), "integral numbers as the kit reads them"
    assert target.labels == ("class_0", "class_1", "class_2")
    assert target.shares == pytest.approx((59 / 178, 71 / 178, 48 / 178))
    assert inferred.fit_quality > 0.99, "macro one-vs-rest AUC: the cultivars separate"
    assert set(inferred.class_weights) == set(inferred.class_score_std) == set(target.classes)
    assert all(len(w) == 13 for w in inferred.class_weights.values())
    assert all(s > 0 for s in inferred.class_score_std.values())
    # Proline is high in cultivar 0 and low in cultivar 1 (the wine data's best-known split).
    proline = {c: w["proline"] for c, w in inferred.class_weights.items()}
    assert proline["0"] > 0 > proline["1"]
    assert inferred.weights == {}, "the binary and regression effect stays empty"


def test_text_classes_keep_their_text_in_sorted_order_with_safe_labels(iris_csv: Path) -> None:
    inferred = infer(iris_csv, "target")
    target = inferred.target
    assert inferred.rows == MIN_ROWS == 150, "iris is the smallest file a service takes"
    assert target.classes == ("Iris-setosa", "Iris-versicolor", "Iris-virginica")
    assert target.labels == ("iris_setosa", "iris_versicolor", "iris_virginica")
    assert target.shares == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert inferred.fit_quality > 0.95


def test_numeric_classes_sort_as_numbers_and_labels_stay_unique(tmp_path: Path) -> None:
    """A blank target makes pandas read the column as floats (2.0): the class is still "2"."""
    frame = _mixed().assign(Grade=[(-1, 1, 2, 10)[i % 4] for i in range(400)])
    frame.loc[0, "Grade"] = None
    inferred = infer(_write(tmp_path, frame), "Grade")
    assert inferred.target.classes == ("-1", "1", "2", "10")
    assert inferred.target.labels == ("class_1", "class_1_2", "class_2", "class_10")
    assert inferred.rows == 399


def test_a_class_the_scaffold_takes_is_one_the_kit_trains() -> None:
    from servicekit.training.train import MIN_CLASS_ROWS as KIT_MIN_CLASS_ROWS

    assert MIN_CLASS_ROWS == KIT_MIN_CLASS_ROWS


@pytest.mark.parametrize(
    ("value", "label"),
    [("0", "class_0"), ("class_0", "class_0"), ("Iris-setosa", "iris_setosa"),
     ("3 stars", "class_3_stars"), ("Évora", "evora"), ("High  Risk!", "high_risk"),
     ("?", "class")],
)  # fmt: skip
def test_class_values_become_safe_labels(value: str, label: str) -> None:
    assert class_label(value) == label


def test_ids_names_and_constants_are_left_out_and_blanks_make_inputs_optional(
    tmp_path: Path,
) -> None:
    path = tmp_path / "churn.csv"
    _mixed().to_csv(path, index=False)
    inferred = infer(path, "Exited")
    assert inferred.ignored == {
        "RowNumber": "a row number or sequential ID",
        "Surname": "text with 400 distinct values (an ID, a name or free text)",
        "Bank": "one value on every row",
    }
    kinds = {i.name: type(i).__name__ for i in inferred.inputs}
    assert kinds == {"Income": "NumericInput", "Region": "CategoricalInput",
                     "Tenure": "NumericInput"}  # fmt: skip
    region = next(i for i in inferred.inputs if isinstance(i, CategoricalInput))
    assert region.categories[0] == "north" and sum(region.shares) == pytest.approx(1.0)
    tenure = next(i for i in inferred.inputs if i.name == "Tenure")
    assert tenure.optional and 0.05 < tenure.blank_share < 0.15
    assert inferred.weights["Income"] > 0, "income raises churn in this file"


@pytest.mark.parametrize(
    ("column", "name"),
    [("mean radius", "mean_radius"), ("od280/od315", "od280_od315"), ("2nd", "x_2nd"),
     ("class", "class_"), ("  a--b  ", "a_b"), ("%", "column")],
)  # fmt: skip
def test_header_names_become_identifiers(column: str, name: str) -> None:
    assert identifier(column) == name and name.isidentifier()


def _write(tmp_path: Path, frame: pd.DataFrame, name: str = "data.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("change", "target", "task", "message"),
    [
        (lambda f: f, "Churn", None, "target column 'Churn' is not in the header"),
        (lambda f: f.assign(Exited=1), "Exited", None, "is constant ('1'): nothing to predict"),
        (lambda f: f.assign(Exited=None), "Exited", None, "is blank on every row"),
        (lambda f: f.head(MIN_ROWS - 1), "Exited", None, f"has {MIN_ROWS - 1} rows with a target"),
        (lambda f: f.assign(Exited=f.Exited.map({0: "no", 1: "yes"})), "Exited", None,
         "a binary target must be 0 and 1"),
        (lambda f: f, "Region", "regression", "is not numeric; a regression task needs numbers"),
        (lambda f: f, "Exited", "regression", "has only 2 values; use TASK=binary"),
        (lambda f: f, "Exited", "multiclass", "has 2 classes; a multiclass task needs at least 3 "
         "(use TASK=binary)"),
        (lambda f: f.assign(Region=[f"c{i % (MAX_CLASSES + 1)}" for i in range(len(f))]),
         "Region", None, f"has {MAX_CLASSES + 1} classes; a multiclass service takes at most "
         f"{MAX_CLASSES}"),
        (lambda f: f.assign(Region=f.Region.mask(f.index < 9, "west")), "Region", None,
         "class 'west' of target 'Region' has 9 rows; a stratified 60/20/20 split with 5-fold "
         "CV needs at least 10 rows per class"),
        (lambda f: f, "Income", "binary", "a binary task needs 2"),
        (lambda f: f, "Exited", "ranking", "TASK must be one of binary, multiclass, regression"),
        (lambda f: f[["Surname", "Bank", "Exited"]], "Exited", None,
         "no column besides 'Exited' can be a model input"),
        (lambda f: f.assign(**{"a b": 1.0 * f.Income, "a-b": 2.0 * f.Income}), "Exited", None,
         "columns 'a b', 'a-b' give the same input name"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_become_a_service_is_refused_in_one_line(
    tmp_path: Path, change: object, target: str, task: str | None, message: str
) -> None:
    path = _write(tmp_path, change(_mixed()))  # type: ignore[operator]
    with pytest.raises(InferError) as caught:
        infer(path, target, task)
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"", "cannot read"), (b"\xff\xfe\x00\x81\x00\x00", "cannot read")],
)
def test_an_unreadable_file_is_refused_in_one_line(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InferError, match=message) as caught:
        infer(path, "y")
    assert "\n" not in str(caught.value)
