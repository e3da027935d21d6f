"""Reference bins, counts and PSI, checked against values worked out by hand."""

import math

import numpy as np
import pytest

from servicekit.drift import (
    MAX_CATEGORIES,
    MISSING,
    OTHER,
    FeatureBins,
    ReferenceProfile,
    psi,
    shares,
)

AGE = FeatureBins("age", "numeric", edges=(30.0, 40.0, 50.0))
CITY = FeatureBins("city", "categorical", categories=("paris", "rome"))


def test_numeric_bins_are_right_closed_with_a_bin_for_missing() -> None:
    assert AGE.labels == ("(-inf, 30]", "(30, 40]", "(40, 50]", "(50, inf)", MISSING)
    values = [-5, 30, 30.5, 40, 41, 50, 50.01, 1e9, None, float("nan"), True]
    expected = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 0]
    assert [AGE.index_one(v) for v in values] == expected
    assert AGE.counts(values).tolist() == [3, 2, 2, 2, 2]
    assert AGE.size == 5


def test_categorical_bins_keep_known_categories_then_other_then_missing() -> None:
    assert CITY.labels == ("paris", "rome", OTHER, MISSING)
    values = ["rome", "paris", "oslo", "", None, float("nan"), "Paris"]
    expected = [1, 0, 2, 2, 3, 3, 2]
    assert [CITY.index_one(v) for v in values] == expected
    assert CITY.counts(values).tolist() == [1, 1, 3, 2]
    assert CITY.counts([]).tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("bins", [AGE, CITY, FeatureBins("blank", "numeric")])
def test_vectorised_counts_agree_with_binning_row_by_row(bins: FeatureBins) -> None:
    rng = np.random.default_rng(5)
    if bins.kind == "numeric":
        pool: list[object] = [*rng.normal(40, 15, 300), *AGE.edges, None, float("nan")]
    else:
        pool = ["paris", "rome", "oslo", None, float("nan"), 3]
    values = [pool[i] for i in rng.integers(0, len(pool), 2000)]
    by_row = np.bincount([bins.index_one(v) for v in values], minlength=bins.size)
    assert bins.counts(values).tolist() == by_row.tolist()
    assert bins.counts(values).dtype == np.int64  # whole rows, in JSON reports too
    if bins.kind == "numeric":  # as the API passes numeric inputs: float arrays
        assert bins.counts(np.array(values, dtype=np.float64)).tolist() == by_row.tolist()


def test_numeric_edges_are_rounded_deciles_without_duplicates() -> None:
    values = np.arange(1, 1001, dtype=float)  # deciles 100.9, 200.8, ... 500.5, ... 900.1
    bins = FeatureBins.fit("x", "numeric", [*values, np.nan, np.nan])
    assert bins.edges == (101.0, 201.0, 301.0, 401.0, 500.0, 600.0, 700.0, 800.0, 900.0)
    flags = FeatureBins.fit("flag", "numeric", [0] * 75 + [1] * 25)
    assert flags.edges == (0.0, 1.0)
    assert flags.labels == ("(-inf, 0]", "(0, 1]", "(1, inf)", MISSING)
    empty = FeatureBins.fit("blank", "numeric", [None, None])
    assert empty.edges == () and empty.labels == ("(-inf, inf)", MISSING)
    assert empty.counts([3.0, None, None]).tolist() == [1, 2]


def test_categories_are_ranked_by_count_then_name_and_capped() -> None:
    values = ["b", "a", "c", "c", "b", None, float("nan")]
    assert FeatureBins.fit("x", "categorical", values).categories == ("b", "c", "a")
    many = [f"c{i:02d}" for i in range(MAX_CATEGORIES + 5) for _ in range(i + 1)]
    kept = FeatureBins.fit("x", "categorical", many).categories
    assert len(kept) == MAX_CATEGORIES
    assert kept[0] == f"c{MAX_CATEGORIES + 4:02d}" and "c00" not in kept


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "text"}, "kind must be numeric or categorical"),
        ({"kind": "numeric", "edges": (2.0, 1.0)}, "strictly increasing"),
        ({"kind": "numeric", "edges": (1.0, 1.0)}, "strictly increasing"),
        ({"kind": "numeric", "edges": (1.0, math.inf)}, "must be finite"),
        ({"kind": "categorical", "categories": ("a", "a")}, "categories repeat"),
    ],
)
def test_malformed_bins_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^feature f: .*{message}"):
        FeatureBins("f", **kwargs)  # type: ignore[arg-type]


def test_shares_are_smoothed_and_psi_is_the_textbook_sum() -> None:
    smoothed = shares(np.array([3, 1, 0]))
    assert smoothed.tolist() == [3.5 / 5.5, 1.5 / 5.5, 0.5 / 5.5]
    assert math.isclose(smoothed.sum(), 1.0)
    reference, current = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    expected = (0.2 - 0.5) * math.log(0.2 / 0.5) + (0.5 - 0.2) * math.log(0.5 / 0.2)
    assert psi(reference, current) == pytest.approx(expected, rel=1e-12)
    assert psi(reference, reference) == 0.0


def test_a_profile_survives_metadata_and_ranks_the_shifted_feature_first() -> None:
    rng = np.random.default_rng(3)
    train = {
        "age": rng.normal(40, 10, 5000),
        "city": rng.choice(["paris", "rome", "oslo"], 5000, p=[0.5, 0.3, 0.2]).astype(object),
    }
    profile = ReferenceProfile.fit(train, {"age": "numeric", "city": "categorical"})
    stored = profile.as_metadata()
    assert stored["rows"] == 5000 and stored["smoothing"] == 0.5
    assert stored["features"]["city"]["bins"] == ["paris", "rome", "oslo", OTHER, MISSING]
    assert sum(stored["features"]["age"]["shares"]) == pytest.approx(1.0)
    assert ReferenceProfile.from_metadata(stored) == profile

    same = {"age": rng.normal(40, 10, 2000), "city": train["city"][:2000]}
    assert max(profile.psi(same).values()) < 0.02
    older = {"age": same["age"] + 15, "city": same["city"]}
    drift = profile.psi(older)
    assert list(drift) == ["age", "city"] and drift["age"] > 1.0 and drift["city"] < 0.02
    elsewhere = {"age": same["age"], "city": np.full(2000, "oslo", dtype=object)}
    assert list(profile.psi(elsewhere)) == ["city", "age"]  # worst first, not by name
    # A profile of no inputs is empty, not an error.
    assert ReferenceProfile.fit({}, {}) == ReferenceProfile((), {}, 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("rows"), "KeyError: 'rows'"),
        (lambda m: m["features"]["age"].pop("shares"), "KeyError: 'shares'"),
        (lambda m: m["features"]["age"]["shares"].pop(), r"feature age: \d+ positive shares"),
        # Each share above zero, and together they make one.
        (lambda m: m["features"]["city"].update(shares=[0.0, 0.5, 0.25, 0.25]), "city: 4 positive"),
        (lambda m: m["features"]["city"].update(shares=[0.6, 0.6, 0.2, 0.1]), "city: 4 positive"),
        (lambda m: m["features"]["city"].update(shares=[0.3, 0.3, 0.2, 0.1]), "city: 4 positive"),
        (lambda m: m["features"]["age"]["edges"].reverse(), "strictly increasing"),
        (lambda m: m.__setitem__("features", ["age"]), "AttributeError"),
    ],
)
def test_a_malformed_stored_profile_is_refused_with_its_reason(
    change: object, message: str
) -> None:
    data = {"age": [20.0, 30.0, 35.0, 40.0, 60.0] * 4, "city": ["paris", "rome", None, "rome"] * 5}
    stored = ReferenceProfile.fit(data, {"age": "numeric", "city": "categorical"}).as_metadata()
    change(stored)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        ReferenceProfile.from_metadata(stored)
