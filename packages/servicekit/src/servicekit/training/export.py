"""Export a fitted training pipeline to the served model (`servicekit.scoring`).

Reads HistGradientBoosting's fitted internals (its tree node arrays, category bitsets and
own category re-encoding) and turns them into QuickScorer masks over the pipeline's model
matrix. The traversal rules are those of sklearn's `_predict_one_from_raw_data`: a missing
value follows the split's missing direction; a category goes left when in the split's
left set, right when seen in training, else like a missing value.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from servicekit.features import FeatureSpec, is_missing
from servicekit.scoring import ScoringModel
from servicekit.training.pipeline import PrepareFeatures

LINK_NAMES = {
    "IdentityLink": "identity",
    "LogLink": "log",
    "LogitLink": "logit",
    "MultinomialLogit": "softmax",
}
MASK_TYPES = (np.uint8, np.uint16, np.uint32, np.uint64)


def export_pipeline(pipeline: Pipeline, spec: FeatureSpec) -> ScoringModel:
    """The served model of a pipeline built by `build_pipeline` and fitted."""
    prepare, encode, estimator = (step for _, step in pipeline.steps)
    if not isinstance(prepare, PrepareFeatures) or not isinstance(encode, ColumnTransformer):
        raise TypeError("pipeline was not built by servicekit.training.pipeline.build_pipeline")
    if not isinstance(estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        raise TypeError(f"cannot export estimator {type(estimator).__name__}")
    categories = _categories(encode, spec)
    if list(encode.get_feature_names_out()) != list(spec.model_columns):
        raise ValueError("the encoder's output columns are not the spec's model columns")
    link = LINK_NAMES.get(type(estimator._loss.link).__name__)
    if link is None:
        raise ValueError(f"cannot export the link {type(estimator._loss.link).__name__}")
    trees = [_Tree(p) for per_iteration in estimator._predictors for p in per_iteration]
    n_leaves = max(t.n_leaves for t in trees)
    dtype = next((d for d in MASK_TYPES if np.iinfo(d).bits >= n_leaves), None)
    if dtype is None:
        raise ValueError(f"trees have up to {n_leaves} leaves; the export supports 64 "
                         "(set max_leaf_nodes <= 64)")  # fmt: skip
    internal = _InternalColumns(estimator, spec)
    cuts, masks = [], []
    for j, column in enumerate(spec.model_columns):
        n_codes = len(categories[column]) if column in categories else None
        c, m = _column_masks(trees, internal, j, n_codes, np.dtype(dtype))
        cuts.append(c)
        masks.append(m)
    leaf_values = np.zeros((len(trees), n_leaves))
    for t, tree in enumerate(trees):
        leaf_values[t, : tree.n_leaves] = tree.leaf_values
    return ScoringModel(
        columns=spec.model_columns,
        categories=categories,
        fill={c: float(v) for c, v in (prepare.fill or {}).items()},
        cuts=tuple(cuts),
        masks=tuple(masks),
        leaf_values=leaf_values,
        # (1, outputs): one baseline per class for a multiclass model, else one.
        baseline=tuple(float(b) for b in np.asarray(estimator._baseline_prediction).ravel()),
        link=link,
    )


def check_export(
    model: ScoringModel, spec: FeatureSpec, X: pd.DataFrame, expected: np.ndarray
) -> None:
    """Raise unless the served model gives `expected` (the pipeline's values on X: one per
    row, or a row of class probabilities) to the bit, for one row, a small batch and all rows."""
    for size in (1, 17, len(X)):
        part = X.head(size)
        got = model.predict(spec, {c: part[c].tolist() for c in spec.inputs})
        if not np.array_equal(got, expected[:size]):
            worst = float(np.max(np.abs(got - expected[:size])))
            raise RuntimeError(f"the exported model disagrees with the pipeline on {len(part)} "
                               f"rows (max diff {worst})")  # fmt: skip


class _Tree:
    """One fitted tree: leaves numbered left to right, each node's left-subtree leaves."""

    def __init__(self, predictor: Any) -> None:
        self.nodes = predictor.nodes
        self.bitsets = predictor.raw_left_cat_bitsets
        self.left_leaves: dict[int, tuple[int, int]] = {}  # split node -> [first, end)
        leaves: list[float] = []
        span: dict[int, tuple[int, int]] = {}
        # Depth-first, left before right, children finished before their parent.
        stack: list[tuple[int, bool]] = [(0, False)]
        while stack:
            node, children_done = stack.pop()
            left, right = int(self.nodes["left"][node]), int(self.nodes["right"][node])
            if self.nodes["is_leaf"][node]:
                span[node] = (len(leaves), len(leaves) + 1)
                leaves.append(float(self.nodes["value"][node]))
            elif children_done:
                span[node] = (span[left][0], span[right][1])
                self.left_leaves[node] = span[left]
            else:
                stack += [(node, True), (right, False), (left, False)]
        self.leaf_values = np.asarray(leaves)
        self.n_leaves = len(leaves)

    def splits_on(self, feature: int) -> list[int]:
        return [n for n in self.left_leaves if self.nodes["feature_idx"][n] == feature]


class _InternalColumns:
    """HGB re-encodes categorical inputs itself: its trees index a matrix with the
    categorical columns first, holding codes of its own encoder over the pipeline's codes."""

    def __init__(self, estimator: Any, spec: FeatureSpec) -> None:
        n = len(spec.model_columns)
        self.feature_of = list(range(n))  # pipeline column -> tree feature index
        self.codes: dict[int, np.ndarray] = {}  # tree feature -> pipeline codes it knows
        self.known: dict[int, np.ndarray] = {}  # tree feature -> (8,) known-category bitset
        if estimator._preprocessor is None:
            return
        is_cat = estimator.is_categorical_  # a boolean array
        order = [*np.flatnonzero(is_cat), *np.flatnonzero(~is_cat)]
        self.feature_of = [order.index(j) for j in range(n)]
        encoder = estimator._preprocessor.named_transformers_["encoder"]
        known, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
        for k, values in enumerate(encoder.categories_):
            self.codes[k] = values[~np.isnan(values)]  # float codes
            self.known[k] = known[f_idx_map[k]]


def _column_masks(
    trees: Sequence[_Tree], internal: _InternalColumns, column: int, n_codes: int | None,
    dtype: np.dtype[Any],
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Split points of one model column and the mask rows: one per position of a value among
    them, then one for a missing value."""
    feature = internal.feature_of[column]
    splits = [(t, tree, n) for t, tree in enumerate(trees) for n in tree.splits_on(feature)]
    if n_codes is None:
        cuts = np.unique([tree.nodes["num_threshold"][n] for _, tree, n in splits])
    else:
        cuts = np.arange(n_codes - 1) + 0.5  # a pipeline code's position is the code
    full = np.iinfo(dtype).max
    masks = np.full((len(cuts) + 2, len(trees)), full, dtype=dtype)
    missing = len(cuts) + 1
    for t, tree, n in splits:
        first, end = tree.left_leaves[n]
        mask = dtype.type(full ^ (((1 << (end - first)) - 1) << first))
        missing_left = bool(tree.nodes["missing_go_to_left"][n])
        if n_codes is None:
            # A value goes right when above the threshold: positions past the threshold's.
            goes_right = np.arange(len(cuts) + 1) > np.searchsorted(
                cuts, tree.nodes["num_threshold"][n]
            )
        else:
            goes_right = _categories_right(tree, n, internal, feature, n_codes, missing_left)
        masks[:missing, t][goes_right] &= mask
        if not missing_left:
            masks[missing, t] &= mask
    return cuts, masks


def _categories_right(
    tree: _Tree, node: int, internal: _InternalColumns, feature: int, n_codes: int,
    missing_left: bool,
) -> np.ndarray:  # fmt: skip
    """Which pipeline codes a categorical split sends right (sklearn's rule)."""
    known_codes = internal.codes[feature]
    left_set = tree.bitsets[tree.nodes["bitset_idx"][node]]
    right = np.zeros(n_codes, dtype=bool)
    for code in range(n_codes):
        found = np.flatnonzero(known_codes == code)
        # A code the trees' encoder never saw is NaN to them, a missing value.
        if len(found) > 0:
            c = int(found[0]) & 0xFF  # sklearn reads the code as uint8
            if _in_bitset(left_set, c):
                continue
            if _in_bitset(internal.known[feature], c):
                right[code] = True
                continue
        right[code] = not missing_left  # unknown to the trees: like a missing value
    return right


def _in_bitset(bitset: np.ndarray, code: int) -> bool:
    return bool((int(bitset[code >> 5]) >> (code & 31)) & 1)


def _categories(encode: ColumnTransformer, spec: FeatureSpec) -> dict[str, tuple[str, ...]]:
    """OrdinalEncoder's categories by code; missing values (NaN/None) are no category."""
    if not spec.categorical:
        return {}
    encoder = encode.named_transformers_["cat"]
    if not isinstance(encoder, OrdinalEncoder):
        raise TypeError("categorical columns must be encoded by OrdinalEncoder")
    if encoder._infrequent_enabled:
        raise TypeError("infrequent-category grouping is not supported by the export")
    out = {}
    for k, column in enumerate(spec.categorical):
        values = list(encoder.categories_[k])
        names = tuple(v for v in values if isinstance(v, str))
        # Requests send categories as strings: any other category could never be matched.
        other = next((v for v in values if not isinstance(v, str) and not is_missing(v)), None)
        if other is not None:
            raise ValueError(f"categories of {column} must be strings, got {other}")
        out[column] = names
    return out
