"""What a CSV says about a new service: its inputs, their kinds, ranges and blanks, its target
and task, and a generator fitted to it (marginals plus a linear effect of each input).

Everything here is read from the file; nothing is guessed from column names. The rules:
- a column with one value, no value, or text unique to nearly every row (names, IDs) is
  not an input; neither is an integer column that counts the rows (1, 2, 3, ...);
- a column whose non-blank cells all read as numbers is numeric, else categorical (at most
  MAX_CATEGORIES distinct values; more is free text and is left out, and said so);
- a column with any blank cell is optional: nullable and omittable in the API;
- the range a request may send is the observed range widened by its span on each side,
  never below zero for a column that is never negative.
"""

import keyword
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# The kit's own reading of class values: the contract's target_classes are written with it,
# so the classes inferred here are exactly the ones training reads back.
from servicekit.training.data import class_text

# 150 rows still leave 90 for training (a 60/20/20 split) and 18 for each of 5 CV folds;
# scikit-learn's iris (150 rows) and wine (178) are real files of that size.
MIN_ROWS = 150
MAX_CATEGORIES = 50
QUANTILES = 21  # 0, 5, ..., 100 %: the generator's inverse CDF
TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = 20
# A stratified 60/20/20 split with 5-fold CV on the training part needs a class in every
# split and every fold: 10 rows give 6, 2 and 2, and at least one per fold. The kit's
# training refuses the same (its MIN_CLASS_ROWS; not imported: that module loads sklearn).
MIN_CLASS_ROWS = 10


class InferError(ValueError):
    """The CSV cannot become a service; the message is one line that says why."""


@dataclass(frozen=True)
class NumericInput:
    name: str  # a Python identifier: the request field and the model column
    column: str  # the file's header name
    optional: bool
    blank_share: float
    low: float  # the contract's and the API's bounds
    high: float
    integer: bool
    decimals: int
    quantiles: tuple[float, ...]
    mean: float
    std: float
    example: float
    kind: str = "numeric"


@dataclass(frozen=True)
class CategoricalInput:
    name: str
    column: str
    optional: bool
    blank_share: float
    categories: tuple[str, ...]  # most frequent first
    shares: tuple[float, ...]
    example: str
    kind: str = "categorical"


Input = NumericInput | CategoricalInput


@dataclass(frozen=True)
class Target:
    name: str
    task: str
    low: float | None = None  # regression: observed range, outside it a row is an outlier
    high: float | None = None
    decimals: int = 0
    # Classes by code, as the file writes them (binary: 0, 1; an integral number as "3").
    classes: tuple[str, ...] = ()
    positive_share: float | None = None
    # Multiclass: each class's display label (the API's and a metric label's value) and its
    # share of the file's rows, by code.
    labels: tuple[str, ...] = ()
    shares: tuple[float, ...] = ()
    # Regression: the file's quartiles as the metrics' outcome bands, (upper bound, label).
    bands: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Inferred:
    header: tuple[str, ...]
    rows: int
    inputs: tuple[Input, ...]
    target: Target
    ignored: dict[str, str]  # column -> why it is not an input
    # The generator's linear effect: one weight per standardised numeric input and per
    # category (the first category of each input is the reference, weight 0); the spread of
    # the linear score on the file; the positive share (binary) or the mean (regression).
    weights: dict[str, float] = field(default_factory=dict)
    score_std: float = 1.0
    center: float = 0.0
    noise: float = 0.0  # regression: residual standard deviation
    # AUC (binary), macro one-vs-rest AUC (multiclass) or R^2 (regression) of that effect
    fit_quality: float = 0.0
    # Multiclass: the same per class (the class's value -> its weights, its score's spread).
    class_weights: dict[str, dict[str, float]] = field(default_factory=dict)
    class_score_std: dict[str, float] = field(default_factory=dict)

    @property
    def numeric(self) -> tuple[NumericInput, ...]:
        return tuple(i for i in self.inputs if isinstance(i, NumericInput))

    @property
    def categorical(self) -> tuple[CategoricalInput, ...]:
        return tuple(i for i in self.inputs if isinstance(i, CategoricalInput))


def read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, low_memory=False)
    except FileNotFoundError:
        raise InferError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InferError(f"cannot read {path} as CSV: {first}") from None
    return frame


def _decimals(values: pd.Series) -> int:
    """How many decimals the file writes (at most 6): what the generator rounds to."""
    for d in range(7):
        if np.allclose(values, values.round(d), rtol=0, atol=1e-9):
            return d
    return 6


def _bounds(low: float, high: float) -> tuple[float, float]:
    span = (high - low) or abs(high) or 1.0
    lo, hi = low - span, high + span
    if low >= 0:
        lo = max(lo, 0.0)
    return _round_bound(lo, down=True), _round_bound(hi, down=False)


def _round_bound(value: float, down: bool) -> float:
    """Two significant digits, rounded outward, so the schema reads well."""
    if value == 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(abs(value))) - 1)
    rounded = (math.floor if down else math.ceil)(value / step) * step
    return float(round(rounded, 10))


def _as_numbers(column: pd.Series) -> pd.Series | None:
    """The column as floats when every non-blank cell is a number, else None."""
    present = column.dropna()
    if pd.api.types.is_bool_dtype(present):
        return column.astype("float64")
    if pd.api.types.is_numeric_dtype(present):
        return column.astype("float64")
    parsed = pd.to_numeric(present.astype(str).str.strip(), errors="coerce")
    if len(present) and parsed.notna().all():
        return pd.to_numeric(column, errors="coerce").astype("float64")
    return None


def _counts_rows(values: pd.Series) -> bool:
    """An integer column unique per row and ordered: a row number or a sequential ID."""
    present = values.dropna()
    return bool(
        len(present) > 1
        and present.is_unique
        and (present % 1 == 0).all()
        and (present.is_monotonic_increasing or present.is_monotonic_decreasing)
    )


def identifier(column: str) -> str:
    """The input's name for a header name: letters, digits and underscores, not a keyword."""
    name = re.sub(r"\W+", "_", column.strip()).strip("_") or "column"
    if name[0].isdigit():
        name = f"x_{name}"
    return f"{name}_" if keyword.iskeyword(name) else name


def _numeric(name: str, values: pd.Series) -> NumericInput:
    present = values.dropna()
    low, high = float(present.min()), float(present.max())
    decimals = _decimals(present)
    integer = decimals == 0
    quantiles = tuple(float(q) for q in np.quantile(present, np.linspace(0, 1, QUANTILES)))
    example = float(present.median())
    return NumericInput(
        name=identifier(name),
        column=name,
        optional=bool(values.isna().any()),
        blank_share=float(values.isna().mean()),
        low=_bounds(low, high)[0],
        high=_bounds(low, high)[1],
        integer=integer,
        decimals=decimals,
        quantiles=tuple(round(q, decimals) for q in quantiles),
        mean=float(present.mean()),
        std=float(present.std(ddof=0)) or 1.0,
        example=round(example, decimals),
    )


def _categorical(name: str, values: pd.Series) -> CategoricalInput:
    text = values.dropna().astype(str).str.strip()
    counts = text.value_counts()
    shares = counts / counts.sum()
    return CategoricalInput(
        name=identifier(name),
        column=name,
        optional=bool(values.isna().any()),
        blank_share=float(values.isna().mean()),
        categories=tuple(str(c) for c in counts.index),
        shares=tuple(float(s) for s in shares),
        example=str(counts.index[0]),
    )


def _task_of(numbers: pd.Series | None, distinct: int) -> str:
    """The task a target's values suggest: two values are binary, numbers with many values a
    regression, a few classes multiclass."""
    if distinct == 2:
        return "binary"
    if numbers is not None and distinct > MAX_CLASSES:
        return "regression"
    return "multiclass"


def _binary(name: str, numbers: pd.Series | None, distinct: list[str]) -> Target:
    if len(distinct) != 2:
        raise InferError(f"target {name!r} has {len(distinct)} values; a binary task needs 2")
    if numbers is None or not set(numbers.unique()) <= {0.0, 1.0}:
        raise InferError(
            f"target {name!r} holds {sorted(distinct)}; a binary target must be 0 and 1 "
            "(recode it in the file)"
        )
    return Target(name, "binary", classes=("0", "1"), positive_share=float(numbers.mean()))


def _regression(name: str, numbers: pd.Series | None, distinct: list[str]) -> Target:
    if numbers is None:
        raise InferError(f"target {name!r} is not numeric; a regression task needs numbers")
    if len(distinct) <= 2:
        raise InferError(f"target {name!r} has only {len(distinct)} values; use TASK=binary")
    quartiles = [_sig(float(q)) for q in numbers.quantile([0.25, 0.5, 0.75, 1.0])]
    bands = tuple(zip(quartiles, ("q1", "q2", "q3", "q4"), strict=True))
    low, high = float(numbers.min()), float(numbers.max())
    return Target(name, "regression", low, high, _decimals(numbers), bands=bands)


def _class_order(value: str) -> tuple[int, float, str]:
    """Numbers first, in numeric order (2 before 10), then text in text order."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def class_label(value: str) -> str:
    """A class's display label: lower-case letters, digits and underscores (it is an API
    value and a Prometheus label value), never starting with a digit."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    label = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return label if label[:1].isalpha() else f"class_{label}".rstrip("_")


def _unique(labels: list[str]) -> tuple[str, ...]:
    """`labels` with a suffix on a repeat (`-1` and `1` both read `class_1`): _2, _3, ..."""
    seen: set[str] = set()
    out: list[str] = []
    for label in labels:
        candidate, n = label, 1
        while candidate in seen:
            n += 1
            candidate = f"{label}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return tuple(out)


def _multiclass(name: str, values: pd.Series) -> Target:
    counts = class_text(values).value_counts()
    classes = tuple(sorted(counts.index, key=_class_order))
    if len(classes) < 3:
        raise InferError(f"target {name!r} has {len(classes)} classes; a multiclass task "
                         "needs at least 3 (use TASK=binary)")  # fmt: skip
    if len(classes) > MAX_CLASSES:
        raise InferError(f"target {name!r} has {len(classes)} classes; a multiclass service "
                         f"takes at most {MAX_CLASSES} (merge rare ones in the file)")  # fmt: skip
    rarest = min(classes, key=lambda c: counts[c])
    if counts[rarest] < MIN_CLASS_ROWS:
        raise InferError(
            f"class {rarest!r} of target {name!r} has {counts[rarest]} rows; a stratified "
            f"60/20/20 split with 5-fold CV needs at least {MIN_CLASS_ROWS} rows per class"
        )
    return Target(
        name, "multiclass", classes=classes, labels=_unique([class_label(c) for c in classes]),
        shares=tuple(float(counts[c] / counts.sum()) for c in classes),
    )  # fmt: skip


def _target(frame: pd.DataFrame, name: str, task: str | None) -> Target:
    if name not in frame.columns:
        header = ", ".join(map(str, frame.columns))
        raise InferError(f"target column {name!r} is not in the header ({header})")
    values = frame[name].dropna()
    if values.empty:
        raise InferError(f"target column {name!r} is blank on every row")
    distinct = sorted(values.astype(str).str.strip().unique())
    if len(distinct) < 2:
        raise InferError(
            f"target column {name!r} is constant ({distinct[0]!r}): nothing to predict"
        )
    numbers = _as_numbers(values)
    task = task or _task_of(numbers, len(distinct))
    if task == "binary":
        return _binary(name, numbers, distinct)
    if task == "regression":
        return _regression(name, numbers, distinct)
    if task == "multiclass":
        return _multiclass(name, values)
    raise InferError(f"TASK must be one of {', '.join(TASKS)}, not {task!r}")


def infer(path: Path, target: str, task: str | None = None) -> Inferred:
    frame = read_csv(path)
    frame.columns = [str(c) for c in frame.columns]
    goal = _target(frame, target, task)
    frame = frame[frame[target].notna()]
    if len(frame) < MIN_ROWS:
        raise InferError(
            f"{path} has {len(frame)} rows with a target; a service needs at least {MIN_ROWS} "
            "(train, validation and test splits and 5-fold CV)"
        )
    inputs: list[Input] = []
    ignored: dict[str, str] = {}
    for name in frame.columns:
        if name == target:
            continue
        column = frame[name]
        present = column.dropna()
        numbers = _as_numbers(column)
        if present.empty:
            ignored[name] = "blank on every row"
        elif present.astype(str).nunique() == 1:
            ignored[name] = "one value on every row"
        elif numbers is not None:
            if _counts_rows(numbers):
                ignored[name] = "a row number or sequential ID"
            else:
                inputs.append(_numeric(name, numbers))
        elif (distinct := present.astype(str).nunique()) > MAX_CATEGORIES:
            ignored[name] = f"text with {distinct} distinct values (an ID, a name or free text)"
        else:
            inputs.append(_categorical(name, column))
    if not inputs:
        raise InferError(f"{path}: no column besides {target!r} can be a model input")
    names = [i.name for i in inputs]
    clash = sorted({i.column for i in inputs if names.count(i.name) > 1})
    if clash:
        raise InferError(f"columns {', '.join(map(repr, clash))} give the same input name; "
                         "rename one in the header")  # fmt: skip
    inferred = Inferred(tuple(frame.columns), len(frame), tuple(inputs), goal, ignored)
    return fit_effects(inferred, frame)


def design(inferred: Inferred, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The generator's design matrix: standardised numbers (blank = mean) and category dummies."""
    columns: list[np.ndarray] = []
    names: list[str] = []
    for n in inferred.numeric:
        z = (pd.to_numeric(frame[n.column], errors="coerce").to_numpy() - n.mean) / n.std
        columns.append(np.nan_to_num(z))
        names.append(n.column)
    for c in inferred.categorical:
        text = frame[c.column].astype("string").str.strip()
        for category in c.categories[1:]:
            columns.append((text == category).fillna(False).to_numpy(dtype=np.float64))
            names.append(f"{c.column}={category}")
    return np.column_stack(columns), names


def fit_effects(inferred: Inferred, frame: pd.DataFrame) -> Inferred:
    """The linear effect of each input on the target, fitted on the file: the generator plants
    it, so that a model trained on generated data learns what the real data teaches."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import r2_score, roc_auc_score

    X, names = design(inferred, frame)
    target = inferred.target
    if target.task == "multiclass":
        return _fit_classes(inferred, frame, X, names)
    y = pd.to_numeric(frame[target.name], errors="coerce").to_numpy(dtype=np.float64)
    if target.task == "binary":
        classifier = LogisticRegression(C=1.0, max_iter=2_000).fit(X, y)
        coef, score = classifier.coef_[0], classifier.decision_function(X)
        quality = float(roc_auc_score(y, score))
        noise = 0.0
    else:
        regressor = Ridge(alpha=1.0).fit(X, y)
        coef, score = regressor.coef_, regressor.predict(X)
        quality = float(r2_score(y, score))
        noise = float(np.std(y - score))
    weights = {n: _sig(float(w)) for n, w in zip(names, coef, strict=True)}
    return Inferred(
        inferred.header, inferred.rows, inferred.inputs, inferred.target, inferred.ignored,
        weights=weights, score_std=_sig(float(np.std(score))), center=_sig(float(np.mean(y))),
        noise=_sig(noise), fit_quality=quality,
    )  # fmt: skip


def _fit_classes(
    inferred: Inferred, frame: pd.DataFrame, X: np.ndarray, names: list[str]
) -> Inferred:
    """A multinomial logistic regression: one linear score per class, the class drawn by the
    softmax of the scores. Every class keeps its own weights (scikit-learn's symmetric
    parametrisation, no reference class), so each class's row reads as what raises that class
    over the others. Fit quality is the macro one-vs-rest AUC: each class against the rest,
    averaged with equal weight, so a rare class counts as much as a common one."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    classes = inferred.target.classes
    y = class_text(frame[inferred.target.name]).map({c: k for k, c in enumerate(classes)})
    codes = y.to_numpy(dtype=np.int64)
    classifier = LogisticRegression(C=1.0, max_iter=2_000).fit(X, codes)
    quality = roc_auc_score(codes, classifier.predict_proba(X), multi_class="ovr", average="macro")
    scores = X @ classifier.coef_.T  # the intercepts only place the classes' shares
    return replace(
        inferred, fit_quality=float(quality),
        class_weights={
            c: {n: _sig(float(w)) for n, w in zip(names, coef, strict=True)}
            for c, coef in zip(classes, classifier.coef_, strict=True)
        },
        class_score_std={
            c: _sig(float(np.std(s))) for c, s in zip(classes, scores.T, strict=True)
        },
    )  # fmt: skip


def _sig(value: float, digits: int = 4) -> float:
    """`value` to `digits` significant digits: the template writes readable literals."""
    return float(f"{value:.{digits}g}")


def summary(inferred: Inferred) -> dict[str, Any]:
    """A plain view for printing and for the scaffold's answers."""
    return {
        "rows": inferred.rows,
        "target": inferred.target.name,
        "task": inferred.target.task,
        "inputs": {
            i.column: i.kind + (" (optional)" if i.optional else "") for i in inferred.inputs
        },
        "ignored": inferred.ignored,
    }
