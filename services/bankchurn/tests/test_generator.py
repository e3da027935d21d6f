from pathlib import Path

import numpy as np

from bankchurn.data import CONTRACT, HEADER, generate


def test_header_is_the_kaggle_churn_modelling_header() -> None:
    assert tuple(generate(100, 1).columns) == HEADER == CONTRACT.header
    assert CONTRACT.ignored_columns == ("RowNumber", "CustomerId", "Surname")


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert generate(500, 3).equals(generate(500, 3))
    assert not generate(500, 3).equals(generate(500, 4))


def test_realistic_ranges_and_churn_rate() -> None:
    frame = generate(20_000, 11)
    assert 0.18 <= frame["Exited"].mean() <= 0.23
    assert frame["CreditScore"].between(350, 850).all()
    assert frame["Age"].between(18, 92).all()
    assert set(frame["Geography"]) == {"France", "Spain", "Germany"}
    assert set(frame["NumOfProducts"]) == {1, 2, 3, 4}
    assert 0.30 <= (frame["Balance"] == 0).mean() <= 0.42  # the real file's zero-balance share
    assert frame["CustomerId"].is_unique


def test_planted_effects_show_in_the_raw_data() -> None:
    frame = generate(40_000, 5)
    rate = frame.groupby("IsActiveMember")["Exited"].mean()
    assert rate[0] > rate[1] + 0.08
    by_products = frame.groupby("NumOfProducts")["Exited"].mean()
    assert by_products[3] > by_products[1] > by_products[2]
    by_country = frame.groupby("Geography")["Exited"].mean()
    assert by_country["Germany"] > by_country["France"]
    assert np.corrcoef(frame["Age"].clip(upper=55), frame["Exited"])[0, 1] > 0.2


def test_tenure_is_blank_at_the_real_rate_and_written_as_floats(tmp_path: Path) -> None:
    frame = generate(20_000, 12)
    assert 0.08 <= frame["Tenure"].isna().mean() <= 0.10
    path = tmp_path / "churn.csv"
    frame.to_csv(path, index=False)
    written = path.read_text().splitlines()[1].split(",")[HEADER.index("Tenure")]
    assert written == "" or written.endswith(".0")
