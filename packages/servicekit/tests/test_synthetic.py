"""The fitted generator draws what it was fitted to: marginals, blanks and the planted effect."""

import numpy as np
import pandas as pd
import pytest

from servicekit.synthetic import (
    CategoricalMarginal,
    ClassEffect,
    FittedGenerator,
    NumericMarginal,
)

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


@pytest.mark.parametrize(("categories", "shares"), [(("a", "b"), (1.0,)), ((), ())])
def test_one_share_per_category_and_at_least_one(
    categories: tuple[str, ...], shares: tuple[float, ...]
) -> None:
    with pytest.raises(ValueError, match=r"^one share per category, and at least one category$"):
        CategoricalMarginal(categories=categories, shares=shares)


def test_shares_that_do_not_sum_to_one_are_read_as_proportions() -> None:
    marginal = CategoricalMarginal(categories=("a", "b"), shares=(3.0, 1.0))
    values = marginal.draw(np.random.default_rng(2), 40_000)
    assert (values == "a").mean() == pytest.approx(0.75, abs=0.01)


def test_the_frame_has_the_header_with_blank_columns_that_are_not_inputs() -> None:
    frame = _generator().frame(1_000, 7)
    assert tuple(frame.columns) == ("id", "income", "region", "y")
    assert frame["id"].isna().all()
    assert _generator().frame(500, 3).equals(_generator().frame(500, 3))
    assert not _generator().frame(500, 3).equals(_generator().frame(500, 4))


def test_a_binary_target_carries_the_planted_effects_at_the_files_share() -> None:
    frame = _generator().frame(40_000, 5)
    assert frame["y"].dtype == np.int64 and set(frame["y"].unique()) == {0, 1}
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


AGE = NumericMarginal(quantiles=(20.0, 40.0, 60.0), decimals=0, mean=40.0, std=10.0)
SIZE = NumericMarginal(quantiles=(0.0, 50.0, 100.0), decimals=0, mean=50.0, std=25.0)
COLOUR = CategoricalMarginal(categories=("red", "blue", "green"), shares=(1.0, 1.0, 1.0))


def _regression(weights: dict[str, float], noise: float = 0.0) -> FittedGenerator:
    return FittedGenerator(
        header=("income", "age", "size", "colour", "y"),
        columns={"income": INCOME, "age": AGE, "size": SIZE, "colour": COLOUR},
        target="y", task="regression", weights=weights, score_std=2.0, center=10.0,
        noise=noise, target_decimals=6,
    )  # fmt: skip


def test_every_weighted_input_moves_the_target_its_way_and_the_others_do_not() -> None:
    gen = _regression({"income": 1.0, "age": -1.0, "colour=blue": 3.0}, noise=0.1)
    frame = gen.frame(40_000, 11)
    corr = frame.corr(numeric_only=True)["y"]
    assert corr["income"] > 0.3 and corr["age"] < -0.3, "both numbers count, each its way"
    assert abs(corr["size"]) < 0.02, "an input without a weight has no effect"
    by_colour = frame.groupby("colour")["y"].mean()
    assert by_colour["blue"] > by_colour["red"] + 1.0
    assert by_colour["green"] == pytest.approx(by_colour["red"], abs=0.05), "no weight: none"
    assert frame["y"].mean() == pytest.approx(10.0, abs=0.05)


def test_a_blank_number_counts_as_the_files_mean() -> None:
    frame = _regression({"income": 1.0}).frame(40_000, 12)
    blank = frame[frame["income"].isna()]["y"].mean()
    near_mean = frame[frame["income"].between(25, 35)]["y"].mean()
    assert blank == pytest.approx(near_mean, abs=0.3)
    assert frame[frame["income"] > 60]["y"].mean() > near_mean + 1.0


def test_the_score_takes_the_files_spread_however_small_or_absent_the_weights() -> None:
    faint = _regression({"size": 0.001}).frame(20_000, 13)["y"]
    assert faint.std() == pytest.approx(2.0, rel=0.02)
    flat = _regression({}).frame(1_000, 14)["y"]
    assert (flat == 10.0).all(), "no weights: every row at the centre, no division by zero"
    unweighted = FittedGenerator(
        header=("income", "y"), columns={"income": INCOME}, target="y", task="binary",
        weights={}, score_std=1.0, center=0.2,
    ).frame(40_000, 15)  # fmt: skip
    assert unweighted["y"].mean() == pytest.approx(0.2, abs=0.01)


def _classes(
    names: tuple[str, str, str] = ("0", "1", "2"), strength: float = 1.0
) -> FittedGenerator:
    """Three classes in proportions 5:3:2 (not summing to 1: read as shares 0.5, 0.3, 0.2);
    the first has no weights, the second rises with income, the third falls with age and
    rises with blue. Size and the other colours have no weight in any class."""
    return FittedGenerator(
        header=("income", "age", "size", "colour", "y"),
        columns={"income": INCOME, "age": AGE, "size": SIZE, "colour": COLOUR},
        target="y",
        task="multiclass",
        classes={
            names[0]: ClassEffect(share=5.0, score_std=1.0 * strength),
            names[1]: ClassEffect(share=3.0, score_std=2.0 * strength, weights={"income": 1.0}),
            names[2]: ClassEffect(share=2.0, score_std=1.5 * strength,
                                  weights={"age": -1.0, "colour=blue": 2.0}),
        },
    )  # fmt: skip


@pytest.fixture(scope="module")
def classes() -> pd.DataFrame:
    frame: pd.DataFrame = _classes().frame(40_000, 16)
    return frame


def _shares(frame: pd.DataFrame) -> list[float]:
    return [float((frame["y"] == c).mean()) for c in (0, 1, 2)]


def test_classes_are_written_as_the_file_writes_them_and_take_its_shares(
    classes: pd.DataFrame,
) -> None:
    assert classes["y"].dtype == np.int64, "integral classes stay numbers, as the file's"
    assert set(classes["y"].unique()) == {0, 1, 2}
    # Unshifted, the three centred scores would give each class about a third.
    assert _shares(classes) == pytest.approx([0.5, 0.3, 0.2], abs=0.01)


def test_each_class_moves_with_its_own_weighted_inputs_and_no_other(
    classes: pd.DataFrame,
) -> None:
    def shares_where(mask: pd.Series) -> np.ndarray:
        return np.array(_shares(classes[mask]))

    rich, old = classes["income"] > 40, classes["age"] > 40
    assert shares_where(rich)[1] > shares_where(~rich)[1] + 0.3, "class 1 rises with income"
    assert shares_where(old)[2] < shares_where(~old)[2] - 0.1, "class 2 falls with age"
    blue, red, green = (shares_where(classes["colour"] == c) for c in ("blue", "red", "green"))
    assert blue[2] > red[2] + 0.1, "class 2 rises with blue"
    assert red == pytest.approx(green, abs=0.02), "red and green: no weight, no difference"
    large = classes["size"] > 50
    assert shares_where(large) == pytest.approx(shares_where(~large), abs=0.02), "size: none"


def test_text_classes_stay_text_and_one_text_class_keeps_numbers_text() -> None:
    iris = _classes(("Iris-setosa", "Iris-versicolor", "Iris-virginica")).frame(2_000, 17)
    assert set(iris["y"]) == {"Iris-setosa", "Iris-versicolor", "Iris-virginica"}
    mixed = _classes(("1", "2", "other")).frame(2_000, 17)
    assert sorted(mixed["y"].unique()) == ["1", "2", "other"], "not int('other')"


def test_classes_keep_their_shares_however_strong_the_planted_effects() -> None:
    """Score spreads of 150 to 300 (a fitted file's are 1 to 6) reach past exp()'s range
    unless each row's softmax is taken relative to that row's largest score. The shift
    solve is slower to converge at such spreads, hence the wider tolerance."""
    frame = _classes(strength=150.0).frame(20_000, 18)
    assert _shares(frame) == pytest.approx([0.5, 0.3, 0.2], abs=0.03)


def test_the_same_seed_draws_the_same_classes() -> None:
    assert _classes().frame(500, 3).equals(_classes().frame(500, 3))
    assert not _classes().frame(500, 3)["y"].equals(_classes().frame(500, 4)["y"])
