"""The dataset contract: real headers accepted, every unusable row counted under a reason."""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bankchurn.data import CONTRACT as CHURN
from bankchurn.data import generate as generate_churn
from servicekit.dataset import Column, DatasetContract
from servicekit.definition import load_definition
from servicekit.errors import DataError
from servicekit.training.data import (
    DataReport,
    file_sha256,
    load_training_data,
    write_generated,
)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


# A made-up listings file with what the churn data lacks: optional columns of both kinds, a
# lowercased column, and a continuous target with bounds.
CARS = DatasetContract(
    header=("price", "model_year", "model", "fuel", "odometer", "paint_color", "date_posted"),
    columns=(
        Column("model_year", "numeric", required=False, min=1900, max=2030),
        Column("model", "categorical", lowercase=True),
        Column("fuel", "categorical", allowed=("gas", "diesel")),
        Column("odometer", "numeric", required=False, min=0, max=2_000_000),
        Column("paint_color", "categorical", required=False, allowed=("red", "blue", "white")),
    ),
    target="price",
    target_kind="continuous",
    target_min=500,
    target_max=200_000,
)


def generate_cars(rows: int, seed: int) -> pd.DataFrame:
    """Valid rows of CARS, except a blank model year in every seventh (as real listings)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "price": rng.integers(1_000, 50_000, rows),
            "model_year": rng.integers(1990, 2024, rows).astype(float),
            "model": rng.choice(["ford f-150", "ram 1500", "honda accord"], rows),
            "fuel": rng.choice(["gas", "diesel"], rows),
            "odometer": rng.integers(0, 300_000, rows).astype(float),
            "paint_color": rng.choice(["red", "blue", "white"], rows),
            "date_posted": "2019-01-01",
        }
    )
    frame.loc[frame.index % 7 == 6, "model_year"] = None
    return frame


def test_generated_file_loads_whole_with_ids_ignored(tmp_path: Path) -> None:
    path = _write(generate_churn(300, 1), tmp_path / "churn.csv")
    X, y, report = load_training_data(path, CHURN)
    assert report.rows_read == report.rows_used == len(X) == len(y) == 300
    assert report.ignored_columns == ["RowNumber", "CustomerId", "Surname"]
    assert list(X.columns) == list(CHURN.feature_names)
    assert set(y.unique()) <= {0, 1}


def test_bad_values_are_dropped_or_blanked_and_always_counted(tmp_path: Path) -> None:
    frame = generate_churn(300, 2).astype({"Age": object, "Geography": object})
    frame.loc[0, "Age"] = "forty"  # required numeric, not a number
    frame.loc[1, "Age"] = 150  # required numeric, out of range
    frame.loc[2, "Geography"] = "Italy"  # required categorical, not allowed
    frame.loc[3, "Exited"] = 2  # target not 0/1
    frame.loc[4, "Exited"] = None
    frame.loc[5, ["Age", "Exited"]] = ["x", None]  # two problems, counted once
    frame.loc[6, "Age"] = None  # required numeric, blank
    frame.loc[7, "Geography"] = "  "  # required categorical, blank after trimming
    path = _write(frame, tmp_path / "churn.csv")
    X, _, report = load_training_data(path, CHURN)
    assert report.dropped == {
        "Exited missing or not 0/1": 3,
        "Age is not a number": 1,
        "Age outside [18, 100]": 1,
        "Age missing": 1,
        "Geography not one of France, Spain, Germany": 1,
        "Geography missing": 1,
    }
    assert report.rows_used == len(X) == 292
    required = list(CHURN.required_features)
    assert X[required].notna().all().all(), "a required feature reached training blank"
    assert report.rows_read == report.rows_used + sum(report.dropped.values())


def test_optional_columns_keep_the_row_and_count_what_was_blanked(tmp_path: Path) -> None:
    frame = generate_cars(400, 3).astype({"odometer": object})
    frame.loc[0, "odometer"] = "lots"
    frame.loc[1, "odometer"] = -5
    frame.loc[2, "paint_color"] = "sparkly"
    frame.loc[3, "price"] = 1
    path = _write(frame, tmp_path / "cars.csv")
    X, _, report = load_training_data(path, CARS)
    assert report.set_missing["odometer not a number"] == 1
    assert report.set_missing["odometer outside [0, 2000000]"] == 1
    assert report.set_missing["paint_color unknown value"] == 1
    assert report.dropped == {"price outlier below 500": 1}
    # A blank stays blank here: a feature spec's fill applies inside the pipeline, where
    # serving applies it too.
    assert report.missing["model_year"] == X["model_year"].isna().sum() > 0
    assert report.missing["odometer"] == 2
    assert report.rows_read == report.rows_used + sum(report.dropped.values())


def test_a_blank_optional_feature_keeps_its_row(tmp_path: Path) -> None:
    frame = generate_churn(400, 5)
    frame.loc[:9, "Tenure"] = None
    frame.loc[10, "Tenure"] = 11  # impossible: blanked and counted, the row kept
    X, _, report = load_training_data(_write(frame, tmp_path / "churn.csv"), CHURN)
    assert report.rows_used == report.rows_read == 400 and not report.dropped
    assert report.set_missing == {"Tenure outside [0, 10]": 1}
    assert report.missing["Tenure"] == X["Tenure"].isna().sum() >= 11
    assert "missing " + str(report.missing["Tenure"]) + ": Tenure" in report.lines()


def test_columns_are_matched_after_trimming_and_extra_columns_ignored(tmp_path: Path) -> None:
    frame = generate_churn(100, 4).rename(columns={"Age": " Age "})
    frame["Notes"] = "x"
    _, _, report = load_training_data(_write(frame, tmp_path / "c.csv"), CHURN)
    assert report.rows_used == 100 and "Notes" in report.ignored_columns


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "data file not found"),
        (b"", "data file is empty"),
        (b"a,b\n1,2\n", "lacks column(s) CreditScore, Geography"),
        (b"a,b\n1,2\n", "expected header: " + ",".join(CHURN.header)),
        (b"\xff\xfe\x00garbage\x00\n\x00", "as CSV: 'utf-8' codec can't decode byte 0xff"),
    ],
)
def test_unusable_files_fail_with_one_clear_line(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(message)) as err:
        load_training_data(path, CHURN)
    assert "\n" not in str(err.value)


def test_too_few_usable_rows_is_an_error_that_says_why(tmp_path: Path) -> None:
    frame = generate_churn(200, 5)
    frame["Exited"] = 7
    with pytest.raises(DataError, match=r"only 0 usable rows .*200 Exited missing or not 0/1"):
        load_training_data(_write(frame, tmp_path / "c.csv"), CHURN)


def test_the_report_reads_as_lines() -> None:
    report = DataReport("d.csv", "0" * 64, rows_read=10, rows_used=7)
    report.dropped = {"Age missing": 2, "Exited missing or not 0/1": 1}
    report.set_missing = {"Tenure outside [0, 10]": 1}
    report.missing = {"Tenure": 3}
    report.ignored_columns = ["RowNumber", "Surname"]
    assert report.lines() == [
        "rows read 10, used 7",
        "dropped 2: Age missing",
        "dropped 1: Exited missing or not 0/1",
        "set to missing 1: Tenure outside [0, 10]",
        "missing 3: Tenure",
        "ignored columns: RowNumber, Surname",
        "origin: provided",
    ]
    assert DataReport("d.csv", "0" * 64, rows_read=0).lines() == [
        "rows read 0, used 0",
        "origin: provided",
    ]


def test_generated_data_is_known_as_such_until_its_bytes_change(tmp_path: Path) -> None:
    definition = load_definition("bankchurn")
    path = write_generated(definition, 300, 9, tmp_path / "churn.csv")
    marker = json.loads((tmp_path / "churn.csv.generated.json").read_text())
    assert marker == {"service": "bankchurn", "rows": 300, "seed": 9, "sha256": file_sha256(path)}
    *_, report = load_training_data(path, CHURN)
    assert report.origin == "generated (synthetic): bankchurn generate --rows 300 --seed 9"
    assert report.lines()[-1] == f"origin: {report.origin}"
    # Edited, the file is somebody's data: the marker no longer names its bytes.
    path.write_text(path.read_text().replace("France", "Spain", 1))
    assert load_training_data(path, CHURN)[2].origin == "provided"
    for broken in ("{not json", "[1]", ""):
        (tmp_path / "churn.csv.generated.json").write_text(broken)
        assert load_training_data(path, CHURN)[2].origin == "provided"
    (tmp_path / "churn.csv.generated.json").unlink()
    assert load_training_data(path, CHURN)[2].origin == "provided"


def test_text_is_trimmed_and_lowercased_where_the_contract_says(tmp_path: Path) -> None:
    frame = generate_cars(100, 6).assign(price=10_000)
    frame.loc[0, "model"] = "  Ford F-150 "  # lowercase column
    frame.loc[1, "fuel"] = " gas "  # trimmed, case kept
    frame.loc[2, "model"] = " "  # blank after trimming: a required column
    X, _, report = load_training_data(_write(frame, tmp_path / "cars.csv"), CARS)
    assert X.loc[0, "model"] == "ford f-150"
    assert X.loc[1, "fuel"] == "gas"
    assert report.dropped == {"model missing": 1}


def test_blanked_values_reach_the_model_as_nan(tmp_path: Path) -> None:
    frame = generate_cars(100, 7).assign(price=10_000).astype({"odometer": object})
    frame.loc[0, "odometer"] = -5  # optional numeric, out of range
    frame.loc[1, "paint_color"] = "sparkly"  # optional categorical, unknown
    frame.loc[2, "paint_color"] = None
    X, _, report = load_training_data(_write(frame, tmp_path / "cars.csv"), CARS)
    assert not report.dropped
    assert np.isnan(X.loc[0, "odometer"])
    # NaN, not None: what the ordinal encoder takes for a missing category.
    for row in (1, 2):
        value = X.loc[row, "paint_color"]
        assert isinstance(value, float) and np.isnan(value), repr(value)


def test_targets_are_checked_against_their_bounds(tmp_path: Path) -> None:
    frame = generate_cars(100, 8).assign(price=10_000).astype({"price": object})
    frame.loc[0, "price"] = 500  # the lower bound: kept
    frame.loc[1, "price"] = 200_000  # the upper bound: kept
    frame.loc[2, "price"] = 499
    frame.loc[3, "price"] = 200_001
    frame.loc[4, "price"] = None
    frame.loc[5, "price"] = "call me"
    X, y, report = load_training_data(_write(frame, tmp_path / "cars.csv"), CARS)
    assert report.dropped == {
        "price missing or not a number": 2,
        "price outlier below 500": 1,
        "price outlier above 200000": 1,
    }
    assert y[:2].tolist() == [500.0, 200_000.0]
    assert len(X) == len(y) == 96 and y.dtype == np.float64


def test_binary_targets_are_integers_and_text_is_dropped(tmp_path: Path) -> None:
    frame = generate_churn(100, 9).astype({"Exited": object})
    frame.loc[0, "Exited"] = "yes"
    X, y, report = load_training_data(_write(frame, tmp_path / "churn.csv"), CHURN)
    assert report.dropped == {"Exited missing or not 0/1": 1}
    assert y.dtype == np.int64 and set(y) <= {0, 1} and len(y) == len(X) == 99


def test_generated_files_are_seeded_and_written_where_asked(tmp_path: Path) -> None:
    churn = load_definition("bankchurn")
    first = write_generated(churn, 50, 3, tmp_path / "a" / "b" / "one.csv")
    second = write_generated(churn, 50, 3, tmp_path / "two.csv")
    other = write_generated(churn, 50, 4, tmp_path / "three.csv")
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()
    header = first.read_text().splitlines()[0]
    assert tuple(header.split(",")) == churn.dataset.header


def test_a_generator_that_breaks_the_contract_is_refused(tmp_path: Path) -> None:
    churn = load_definition("bankchurn")
    broken = dataclasses.replace(
        churn, generate=lambda rows, seed: churn.generate(rows, seed).drop(columns="Surname")
    )
    with pytest.raises(DataError, match=r"generator header \(.*\) differs from \("):
        write_generated(broken, 10, 1, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_the_report_names_the_file_it_read(tmp_path: Path) -> None:
    path = _write(generate_churn(100, 10), tmp_path / "churn.csv")
    _, _, report = load_training_data(path, CHURN)
    assert report.path == str(path) and report.sha256 == file_sha256(path)


def test_fifty_usable_rows_are_enough_and_fewer_say_every_reason(tmp_path: Path) -> None:
    frame = generate_churn(60, 11).astype({"Age": object})
    frame.loc[:9, "Exited"] = 5
    X, _, _ = load_training_data(_write(frame, tmp_path / "fifty.csv"), CHURN)
    assert len(X) == 50
    frame.loc[10, "Age"] = "old"
    with pytest.raises(DataError) as err:
        load_training_data(_write(frame, tmp_path / "49.csv"), CHURN)
    assert str(err.value).endswith("(10 Exited missing or not 0/1; 1 Age is not a number)")
    header_only = tmp_path / "empty.csv"
    header_only.write_text(",".join(CHURN.header) + "\n")
    with pytest.raises(DataError, match=r"only 0 usable rows in .*empty.csv \(no rows\)$"):
        load_training_data(header_only, CHURN)


def test_a_column_the_file_names_otherwise_is_read_under_its_source_name(tmp_path: Path) -> None:
    """A header that is not an identifier ("mean radius") feeds the input `mean_radius`."""
    contract = DatasetContract(
        header=("id", "mean radius", "kind of tumour", "target"),
        columns=(
            Column("mean_radius", "numeric", min=0, max=60, source="mean radius"),
            Column("kind_of_tumour", "categorical", required=False, source="kind of tumour"),
        ),
        target="target",
        target_kind="binary",
    )
    assert contract.ignored_columns == ("id",)
    frame = pd.DataFrame({
        "id": [1, 2, 3, 4], "mean radius": [10.0, 70.0, 12.5, 14.0],
        "kind of tumour": ["a", None, "b", "a"], "target": [0, 1, 1, 0],
    })  # fmt: skip
    big = pd.concat([frame] * 30, ignore_index=True)
    X, y, report = load_training_data(_write(big, tmp_path / "t.csv"), contract)
    assert list(X.columns) == ["mean_radius", "kind_of_tumour"]
    assert report.dropped == {"mean_radius outside [0, 60]": 30}
    assert report.ignored_columns == ["id"] and len(y) == 90
    with pytest.raises(DataError, match="lacks column\\(s\\) mean radius"):
        load_training_data(_write(big.drop(columns="mean radius"), tmp_path / "u.csv"), contract)
