"""The fitted generator draws what it was fitted to: marginals, blanks and the planted effect."""

import numpy as np
import pytest

from servicekit.synthetic import CategoricalMarginal, FittedGenerator, NumericMarginal

INCOME = NumericMarginal(quantiles=(0.0, 10.0, 20.0, 40.0, 100.0), decimals=1, blank_share=0.1,
                         mean=30.0, std=20.0)  # fmt: skip
REGION = CategoricalMarginal(categories=("north", "south"), shares=(0.75, 0.25), blank_share=0.05)


def _generator(task: str = "binary", center: float = 0.3, **extra: object) -> FittedGenerator:
    return FittedGenerator(
        header=("id", "income", "region", "y"),
        columns={"income": INCOME, "region": REGION},
        target="y",
        task=task,  # type: ignore[arg-type]
        weights={"income": 2.0, "region=south": -1.0},
        score_std=1.5,
        center=center,
        **extra,  # type: ignore[arg-type]
    )


def test_numbers_follow_the_quantiles_with_their_decimals_and_blanks() -> None:
    values = INCOME.draw(np.random.default_rng(0), 50_000)
    present = values[~np.isnan(values)]
    assert np.isnan(values).mean() == pytest.approx(0.1, abs=0.01)
    assert present.min() >= 0 and present.max() <= 100
    assert np.median(present) == pytest.approx(20.0, abs=0.5)
    assert np.array_equal(present, present.round(1))


def test_categories_follow_their_shares_and_blanks_are_none() -> None:
    values = REGION.draw(np.random.default_rng(1), 50_000)
    present = values[values != None]  # noqa: E711 - an object array, element-wise
    assert (values == None).mean() == pytest.approx(0.05, abs=0.01)  # noqa: E711
    assert (present == "south").mean() == pytest.approx(0.25, abs=0.01)


def test_one_share_per_category() -> None:
    with pytest.raises(ValueError, match="one share per category"):
        CategoricalMarginal(categories=("a", "b"), shares=(1.0,))


def test_the_frame_has_the_header_with_blank_columns_that_are_not_inputs() -> None:
    frame = _generator().frame(1_000, 7)
    assert tuple(frame.columns) == ("id", "income", "region", "y")
    assert frame["id"].isna().all()
    assert _generator().frame(500, 3).equals(_generator().frame(500, 3))
    assert not _generator().frame(500, 3).equals(_generator().frame(500, 4))


def test_a_binary_target_carries_the_planted_effects_at_the_files_share() -> None:
    frame = _generator().frame(40_000, 5)
    assert set(frame["y"].unique()) == {0, 1}
    assert frame["y"].mean() == pytest.approx(0.3, abs=0.01)
    rich = frame["income"] > 40
    assert frame[rich]["y"].mean() > frame[~rich]["y"].mean() + 0.3
    north, south = (frame[frame["region"] == r]["y"].mean() for r in ("north", "south"))
    assert north > south + 0.05


def test_a_regression_target_has_its_centre_spread_noise_range_and_decimals() -> None:
    gen = _generator("regression", center=1.0, noise=0.5, target_range=(-4.0, 6.0),
                     target_decimals=2)  # fmt: skip
    y = gen.frame(40_000, 6)["y"]
    assert y.mean() == pytest.approx(1.0, abs=0.03)
    assert y.std() == pytest.approx((1.5**2 + 0.5**2) ** 0.5, rel=0.03), "score and noise"
    assert np.array_equal(y, y.round(2))
    clipped = _generator("regression", center=1.0, noise=0.5, target_range=(0.0, 2.0))
    y = clipped.frame(20_000, 6)["y"]
    assert y.min() == 0.0 and y.max() == 2.0, "clipped at both ends"
