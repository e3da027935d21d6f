"""Fast path: the fitted training pipeline compiled into plain numpy.

sklearn's pipeline pays for pandas, ColumnTransformer and input validation on every call,
and HistGradientBoosting walks its trees in a Python loop (~7 us a tree), so one row costs
milliseconds. Here the encoders become dict look-ups and all trees are flattened into
arrays walked together, level by level. Results equal the pipeline's: same traversal rules
as sklearn's `_predict_one_from_raw_data`, leaf values summed in the same order, and the
estimator's own link function applied. Large batches go to sklearn's Cython predictor on
the already-encoded matrix, where its per-tree overhead is amortised.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from servicekit.features import FeatureSpec, PrepareFeatures, fill_missing

# Below this many rows the level-wise numpy walk beats sklearn's per-tree Python loop.
VECTOR_WALK_MAX_ROWS = 16


@dataclass(frozen=True)
class FlatForest:
    """All trees of a HistGradientBoosting model in flat arrays with global node indices."""

    roots: np.ndarray  # (n_trees,) global index of each tree's root
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    is_leaf: np.ndarray
    missing_left: np.ndarray
    is_categorical: np.ndarray
    value: np.ndarray
    left_cat_bitset: np.ndarray  # (n_nodes, 8) uint32, zero rows for numeric splits
    known_cat_bitset: np.ndarray  # (n_features, 8) uint32, categories seen in training
    baseline: float
    max_depth: int
    # HGB re-encodes categorical inputs itself (sklearn >= 1.4): its trees index a matrix with
    # the categorical columns first, holding codes of its own OrdinalEncoder.
    column_order: np.ndarray
    internal_categories: tuple[np.ndarray, ...]  # sorted input codes, one per categorical column

    @classmethod
    def from_estimator(cls, est: Any) -> "FlatForest":
        """`est`: a fitted HistGradientBoostingClassifier or -Regressor (read via its internals)."""
        if est.n_trees_per_iteration_ != 1:
            raise ValueError("only binary classification and regression models can be compiled")
        predictors = [p for per_iteration in est._predictors for p in per_iteration]
        parts: dict[str, list[np.ndarray]] = {
            k: []
            for k in (
                "feature",
                "threshold",
                "left",
                "right",
                "is_leaf",
                "missing_left",
                "is_categorical",
                "value",
                "bitset",
            )
        }
        roots, offset, depth = [], 0, 0
        for pred in predictors:
            nodes = pred.nodes
            n = len(nodes)
            roots.append(offset)
            parts["feature"].append(nodes["feature_idx"].astype(np.intp))
            parts["threshold"].append(nodes["num_threshold"].astype(np.float64))
            parts["left"].append(nodes["left"].astype(np.intp) + offset)
            parts["right"].append(nodes["right"].astype(np.intp) + offset)
            parts["is_leaf"].append(nodes["is_leaf"].astype(bool))
            parts["missing_left"].append(nodes["missing_go_to_left"].astype(bool))
            is_cat = nodes["is_categorical"].astype(bool)
            parts["is_categorical"].append(is_cat)
            parts["value"].append(nodes["value"].astype(np.float64))
            bitset = np.zeros((n, 8), dtype=np.uint32)
            bitset[is_cat] = pred.raw_left_cat_bitsets[nodes["bitset_idx"][is_cat]]
            parts["bitset"].append(bitset)
            offset += n
            depth = max(depth, int(nodes["depth"].max()))
        known, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
        n_features = est.n_features_in_
        known_by_feature = np.zeros((n_features, 8), dtype=np.uint32)
        order = np.arange(n_features)
        internal: tuple[np.ndarray, ...] = ()
        if est._preprocessor is not None:
            remapped = est._is_categorical_remapped
            for f in np.flatnonzero(remapped):
                known_by_feature[f] = known[f_idx_map[f]]
            is_cat = np.asarray(est.is_categorical_, dtype=bool)
            order = np.concatenate([np.flatnonzero(is_cat), np.flatnonzero(~is_cat)])
            encoder = est._preprocessor.named_transformers_["encoder"]
            internal = tuple(np.asarray(c[~np.isnan(c)], dtype=np.float64)
                             for c in encoder.categories_)  # fmt: skip
        return cls(
            roots=np.asarray(roots, dtype=np.intp),
            feature=np.concatenate(parts["feature"]),
            threshold=np.concatenate(parts["threshold"]),
            left=np.concatenate(parts["left"]),
            right=np.concatenate(parts["right"]),
            is_leaf=np.concatenate(parts["is_leaf"]),
            missing_left=np.concatenate(parts["missing_left"]),
            is_categorical=np.concatenate(parts["is_categorical"]),
            value=np.concatenate(parts["value"]),
            left_cat_bitset=np.concatenate(parts["bitset"]),
            known_cat_bitset=known_by_feature,
            baseline=float(np.asarray(est._baseline_prediction).ravel()[0]),
            max_depth=depth,
            column_order=order,
            internal_categories=internal,
        )

    def to_internal(self, X: np.ndarray) -> np.ndarray:
        """Reorder columns and remap category codes exactly as the estimator's preprocessor."""
        X = X[:, self.column_order]
        for k, known in enumerate(self.internal_categories):
            values = X[:, k]
            pos = np.minimum(np.searchsorted(known, values), len(known) - 1)
            X[:, k] = np.where(known[pos] == values, pos, np.nan)
        return X

    def raw_predict(self, X: np.ndarray) -> np.ndarray:
        """Sum of leaf values (plus baseline) for each row of the pipeline-encoded matrix."""
        X = self.to_internal(X)
        n_rows = X.shape[0]
        nodes = np.broadcast_to(self.roots[:, None], (len(self.roots), n_rows)).copy()
        rows = np.broadcast_to(np.arange(n_rows)[None, :], nodes.shape)
        for _ in range(self.max_depth):
            leaf = self.is_leaf[nodes]
            if leaf.all():
                break
            x = X[rows, self.feature[nodes]]
            missing = np.isnan(x)
            go_left = x <= self.threshold[nodes]
            cat = self.is_categorical[nodes]
            if cat.any():
                valid = cat & ~missing & (x >= 0)
                # sklearn casts the category code to uint8 before the bitset look-up.
                code = np.where(valid, x, 0).astype(np.int64) & 0xFF
                word, bit = code >> 5, code & 31
                in_left = (self.left_cat_bitset[nodes, word] >> bit) & 1
                known = (self.known_cat_bitset[self.feature[nodes], word] >> bit) & 1
                # Negative and never-seen categories are routed like missing values.
                missing = missing | (cat & ((x < 0) | ((in_left == 0) & (known == 0))))
                go_left = np.where(cat, in_left == 1, go_left)
            go_left = np.where(missing, self.missing_left[nodes], go_left)
            step = np.where(go_left, self.left[nodes], self.right[nodes])
            nodes = np.where(leaf, nodes, step)
        leaf_values = self.value[nodes]
        # sklearn adds tree outputs one by one onto the baseline. cumsum is always that
        # left-to-right sum (a plain sum may go pairwise), so the floats match to the bit.
        stacked = np.vstack([np.full((1, n_rows), self.baseline), leaf_values])
        return np.asarray(np.cumsum(stacked, axis=0)[-1])


class CompiledPipeline:
    """Column mapping -> encoded matrix -> raw scores -> task output, without pandas."""

    def __init__(self, pipeline: Pipeline, spec: FeatureSpec) -> None:
        prepare_step, encode_step, estimator = (step for _, step in pipeline.steps)
        if not isinstance(prepare_step, PrepareFeatures) or not isinstance(
            encode_step, ColumnTransformer
        ):
            raise TypeError("pipeline was not built by servicekit.features.build_pipeline")
        if not isinstance(
            estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor
        ):
            raise TypeError(f"cannot compile estimator {type(estimator).__name__}")
        self.spec = spec
        self.derive = prepare_step.derive
        self.fill = dict(prepare_step.fill or {})
        self.estimator = estimator
        self.categories = _category_codes(encode_step, spec)
        self.forest = FlatForest.from_estimator(estimator)
        self.is_classifier = isinstance(estimator, HistGradientBoostingClassifier)

    def encode(self, columns: Mapping[str, Sequence[Any]]) -> np.ndarray:
        """Build the estimator's input matrix from raw columns (None means missing; the
        fitted pipeline's fills apply)."""
        numeric = {c: np.asarray(columns[c], dtype=np.float64) for c in self.spec.numeric}
        numeric |= fill_missing(numeric, self.fill)
        derived = self.derive(numeric | {c: columns[c] for c in self.spec.categorical})
        blocks = [numeric[c] for c in self.spec.numeric]
        blocks += [np.asarray(derived[c], dtype=np.float64) for c in self.spec.derived]
        for c in self.spec.categorical:
            codes = self.categories[c]
            blocks.append(np.fromiter((codes.get(v, np.nan) for v in columns[c]), np.float64))
        return np.column_stack(blocks)

    def raw_predict(self, X: np.ndarray) -> np.ndarray:
        if X.shape[0] <= VECTOR_WALK_MAX_ROWS:
            return self.forest.raw_predict(X)
        return np.asarray(self.estimator._raw_predict(X).ravel())

    def predict_value(self, X: np.ndarray) -> np.ndarray:
        """Probability of the positive class for classifiers, the prediction for regressors."""
        raw = self.raw_predict(X)
        if self.is_classifier:
            return np.asarray(self.estimator._loss.predict_proba(raw)[:, 1])
        return np.asarray(self.estimator._loss.link.inverse(raw))


def _category_codes(encode: ColumnTransformer, spec: FeatureSpec) -> dict[str, dict[Any, float]]:
    """OrdinalEncoder's categories as look-up tables; missing and unknown stay out (-> NaN)."""
    encoder = encode.named_transformers_["cat"] if spec.categorical else None
    if encoder is None:
        return {}
    if not isinstance(encoder, OrdinalEncoder):
        raise TypeError("categorical columns must be encoded by OrdinalEncoder")
    if getattr(encoder, "_infrequent_enabled", False):
        raise TypeError("infrequent-category grouping is not supported by the compiled path")
    tables: dict[str, dict[Any, float]] = {}
    for column, categories in zip(spec.categorical, encoder.categories_, strict=True):
        tables[column] = {
            value: float(code)
            for code, value in enumerate(categories)
            if isinstance(value, str)  # NaN/None mark missing values, never a category
        }
    return tables
