"""Input drift: reference bins fixed at training, counts of what the model sees, and PSI.

Training bins every raw input of the training split and stores the shares with the model
(`metadata["reference"]`). Serving counts each scored row into the same bins (the live
metrics); the offline report counts a CSV. All three use this module, which needs numpy
only, so the serving path stays free of pandas and scikit-learn.

- Numeric inputs: edges at the deciles of the training values, rounded to three significant
  digits (labels stay short and readable; duplicates are dropped, so an input with few
  distinct values gets few bins). Bins are right-closed: (lower, upper].
- Categorical inputs: the most frequent training categories (at most MAX_CATEGORIES), then
  OTHER for every other value, including categories never seen in training.
- Every input has a MISSING bin: a blank cell, a null, an omitted field.

Shares are smoothed (SMOOTHING pseudo-rows per bin) so that no share is zero and PSI stays
finite when a bin is empty on either side.
"""

import bisect
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from typing import Any

import numpy as np

DECILES = tuple(q / 10 for q in range(1, 10))
MAX_CATEGORIES = 20
SMOOTHING = 0.5
OTHER = "(other)"
MISSING = "(missing)"
# PSI conventions: under 0.1 stable, 0.1-0.2 moderate, over 0.2 a shift worth acting on.
PSI_THRESHOLD = 0.2

# One input's values: a list (categorical inputs, JSON rows) or an array (numeric inputs).
Values = Sequence[Any] | np.ndarray


def _round(x: float) -> float:
    return float(f"{x:.3g}")


def _label(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class FeatureBins:
    """The bins of one input. `edges` for numeric inputs, `categories` for categorical ones."""

    name: str
    kind: str  # "numeric" | "categorical"
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("numeric", "categorical"):
            raise ValueError(f"feature {self.name}: kind must be numeric or categorical")
        if list(self.edges) != sorted(set(self.edges)):
            raise ValueError(f"feature {self.name}: edges must be strictly increasing")
        if not all(math.isfinite(e) for e in self.edges):
            raise ValueError(f"feature {self.name}: edges must be finite")
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"feature {self.name}: categories repeat")

    @cached_property
    def _codes(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.categories)}

    @property
    def labels(self) -> tuple[str, ...]:
        """Bin names, in bin order (the `bin` label of the live metrics)."""
        if self.kind == "categorical":
            return (*self.categories, OTHER, MISSING)
        bounds = ["-inf", *map(_label, self.edges), "inf"]
        closed = [f"({lo}, {hi}]" for lo, hi in pairwise(bounds)]
        closed[-1] = closed[-1][:-1] + ")"  # nothing equals infinity
        return (*closed, MISSING)

    @property
    def size(self) -> int:
        return len(self.categories) + 2 if self.kind == "categorical" else len(self.edges) + 2

    @cached_property
    def _edge_array(self) -> np.ndarray:
        return np.asarray(self.edges, dtype=np.float64)

    def index_one(self, value: Any) -> int:
        """The bin of one value. Numeric: None and NaN are missing. Categorical: None and any
        non-string (NaN from a blank CSV cell) are missing; an unlisted string is OTHER."""
        if self.kind == "numeric":
            if value is None or math.isnan(value):
                return self.size - 1
            return bisect.bisect_left(self.edges, float(value))
        if not isinstance(value, str):
            return len(self.categories) + 1
        return self._codes.get(value, len(self.categories))

    def counts(self, values: Values) -> np.ndarray:
        """Rows per bin, vectorised: this runs on every batch the service scores."""
        if self.kind == "categorical":
            # Few distinct values per batch: tally them in C, then bin each distinct one.
            out = np.zeros(self.size, dtype=np.int64)
            for value, n in Counter(values).items():
                out[self.index_one(value)] += n
            return out
        x = np.asarray(values, dtype=np.float64)
        # searchsorted's default side ("left") counts the edges below x: right-closed bins.
        out = np.bincount(np.searchsorted(self._edge_array, x), minlength=self.size)
        # searchsorted puts NaN after the last edge; move those rows to the missing bin.
        missing = np.count_nonzero(np.isnan(x))
        out[-2] -= missing
        out[-1] = missing
        return out

    @classmethod
    def fit(cls, name: str, kind: str, values: Values) -> "FeatureBins":
        """Bins of one training column (see the module docstring)."""
        if kind == "numeric":
            x = np.asarray(values, dtype=np.float64)
            x = x[~np.isnan(x)]
            quantiles = np.quantile(x, DECILES) if len(x) else np.array([])
            return cls(name, kind, edges=tuple(sorted({_round(q) for q in quantiles})))
        seen = Counter(v for v in values if isinstance(v, str))
        ranked = sorted(seen, key=lambda c: (-seen[c], c))
        return cls(name, kind, categories=tuple(ranked[:MAX_CATEGORIES]))


def shares(counts: np.ndarray) -> np.ndarray:
    """Smoothed shares of bin counts: never zero, summing to one."""
    padded = np.asarray(counts) + SMOOTHING
    return np.asarray(padded / padded.sum())


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    reference, current = np.asarray(reference), np.asarray(current)
    return float(np.sum((current - reference) * np.log(current / reference)))


@dataclass(frozen=True)
class FeatureDrift:
    """One input of some rows against its reference."""

    bins: FeatureBins
    reference: np.ndarray  # smoothed shares on the training split
    current: np.ndarray  # smoothed shares in the rows compared
    counts: np.ndarray  # rows per bin
    psi: float


@dataclass(frozen=True)
class ReferenceProfile:
    """The bins of every input and their smoothed shares on the training split."""

    features: tuple[FeatureBins, ...]
    shares: Mapping[str, tuple[float, ...]]
    rows: int

    @classmethod
    def fit(cls, columns: Mapping[str, Values], kinds: Mapping[str, str]) -> "ReferenceProfile":
        """Bins and shares of every input named in `kinds` (name -> numeric | categorical)."""
        features = tuple(FeatureBins.fit(n, k, columns[n]) for n, k in kinds.items())
        rows = len(columns[next(iter(kinds))]) if kinds else 0
        return cls(
            features,
            {f.name: tuple(shares(f.counts(columns[f.name])).tolist()) for f in features},
            rows,
        )

    def as_metadata(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "smoothing": SMOOTHING,
            "features": {
                f.name: {
                    "kind": f.kind,
                    **({"edges": list(f.edges)} if f.kind == "numeric" else {}),
                    **({"categories": list(f.categories)} if f.kind == "categorical" else {}),
                    "bins": list(f.labels),
                    "shares": list(self.shares[f.name]),
                }
                for f in self.features
            },
        }

    @classmethod
    def from_metadata(cls, reference: Mapping[str, Any]) -> "ReferenceProfile":
        """The profile stored by training; a malformed one raises ValueError."""
        try:
            features, shares_by_name = [], {}
            for name, spec in reference["features"].items():
                bins = FeatureBins(
                    name,
                    spec["kind"],
                    edges=tuple(float(e) for e in spec.get("edges", ())),
                    categories=tuple(str(c) for c in spec.get("categories", ())),
                )
                values = tuple(float(s) for s in spec["shares"])
                if (
                    len(values) != bins.size
                    or min(values) <= 0
                    or not math.isclose(sum(values), 1.0, abs_tol=1e-9)
                ):
                    raise ValueError(
                        f"feature {name}: {bins.size} positive shares summing to 1 expected"
                    )
                features.append(bins)
                shares_by_name[name] = values
            return cls(tuple(features), shares_by_name, int(reference["rows"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed reference profile: {type(exc).__name__}: {exc}") from exc

    def compare(self, columns: Mapping[str, Values]) -> list[FeatureDrift]:
        """Every input of `columns` against the reference, worst PSI first."""
        out = []
        for bins in self.features:
            counts = bins.counts(columns[bins.name])
            reference, current = np.asarray(self.shares[bins.name]), shares(counts)
            out.append(FeatureDrift(bins, reference, current, counts, psi(reference, current)))
        return sorted(out, key=lambda f: -f.psi)

    def psi(self, columns: Mapping[str, Values]) -> dict[str, float]:
        """PSI of every input of `columns` against the reference, worst first."""
        return {f.bins.name: f.psi for f in self.compare(columns)}
