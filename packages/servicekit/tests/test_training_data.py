"""The dataset contract: real headers accepted, every unusable row counted under a reason."""

import re
from pathlib import Path

import pandas as pd
import pytest

from bankchurn.data import CONTRACT as CHURN
from bankchurn.data import generate as generate_churn
from carvision.data import CONTRACT as CARS
from carvision.data import generate as generate_cars
from servicekit.errors import DataError
from servicekit.training.data import load_training_data


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


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
    assert report.dropped["price outlier below 500"] >= 1
    # A blank is_4wd stays blank here: the feature spec's fill applies inside the pipeline,
    # where serving applies it too.
    assert report.missing["is_4wd"] == X["is_4wd"].isna().sum() > 0
    assert report.missing["odometer"] >= 2
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
        (b"\xff\xfe\x00garbage\x00\n\x00", "cannot parse"),
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
