"""Training recipe shared by all services.

split 60/20/20 (stratified by class; regression by target decile) -> k-fold CV on train -> fit on
train -> threshold on validation (binary) -> metrics and plots on the untouched test set
-> export of the served model, checked to the bit against the pipeline -> artifact +
metadata -> MLflow run (params, metrics, plots, data report, model).
"""

import json
import os
import platform
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import __version__ as sklearn_version
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from servicekit.artifacts import card_path, metadata_path, save_artifact
from servicekit.definition import ServiceDefinition, Task
from servicekit.drift import ReferenceProfile
from servicekit.errors import DataError
from servicekit.scoring import ScoringModel
from servicekit.training.card import render_card
from servicekit.training.data import DataReport, load_training_data
from servicekit.training.evaluation import PRIMARY_METRIC, choose_threshold, task_metrics
from servicekit.training.export import check_export, export_pipeline
from servicekit.training.pipeline import PrepareFeatures, build_pipeline
from servicekit.training.plots import write_plots
from servicekit.training.progress import Steps


@dataclass(frozen=True)
class TrainConfig:
    data: Path
    out_dir: Path
    seed: int = 42
    cv_folds: int = 5
    experiment: str | None = None
    track: bool = True
    test_size: float = 0.2
    val_size: float = 0.2


@dataclass(frozen=True)
class TrainResult:
    model_path: Path
    metadata: dict[str, Any]
    pipeline: Pipeline
    X_test: pd.DataFrame
    y_test: pd.Series


# Each class needs rows in every split and every cross-validation fold: at 60/20/20 and 5 folds,
# 10 rows give a class 6 training rows, at least one per fold.
MIN_CLASS_ROWS = 10


def _strata(task: Task, y: pd.Series) -> pd.Series:
    if task is not Task.REGRESSION:
        return y
    return pd.qcut(y, q=10, labels=False, duplicates="drop")


def predict_value(task: Task, pipeline: Pipeline, X: pd.DataFrame) -> np.ndarray:
    """What the served model returns: the positive class's probability (binary), every
    class's probability (multiclass: rows by classes) or the predicted value."""
    if task is Task.BINARY:
        return np.asarray(pipeline.predict_proba(X)[:, 1])
    if task is Task.MULTICLASS:
        return np.asarray(pipeline.predict_proba(X))
    return np.asarray(pipeline.predict(X))


def _json_row(row: pd.Series) -> dict[str, Any]:
    return {
        str(k): (None if pd.isna(v) else v.item() if hasattr(v, "item") else v)
        for k, v in row.items()
    }


def _library_versions() -> dict[str, str]:
    from importlib.metadata import version

    versions = {"python": platform.python_version(), "scikit-learn": sklearn_version}
    for dist in ("numpy", "pandas", "joblib", "mlflow", "servicekit"):
        try:
            versions[dist] = version(dist)
        except Exception:  # pragma: no cover - optional package absent
            continue
    return versions


def train(definition: ServiceDefinition, config: TrainConfig) -> TrainResult:
    task, spec = definition.task, definition.features
    steps = Steps(total=7, title=f"training {definition.name} from {config.data}")

    with steps.step("load and validate data"):
        X, y, report = load_training_data(config.data, definition.dataset)
    for line in report.lines():
        steps.note(line)

    if task is Task.MULTICLASS:
        _check_classes(definition, y)

    with steps.step("split train/validation/test"):
        X_rest, X_test, y_rest, y_test = train_test_split(
            X, y, test_size=config.test_size, random_state=config.seed, stratify=_strata(task, y)
        )
        X_train, X_val, y_train, y_val = train_test_split(
            X_rest, y_rest, test_size=config.val_size / (1 - config.test_size),
            random_state=config.seed, stratify=_strata(task, y_rest),
        )  # fmt: skip
        if task is Task.BINARY and y_train.nunique() < 2:
            raise DataError("training split holds a single class; the target has no variation")
        steps.note(f"train {len(X_train)}, validation {len(X_val)}, test {len(X_test)}")

    pipeline = build_pipeline(spec, definition.make_estimator(config.seed))
    cv_scores = _cross_validate(definition, pipeline, X_train, y_train, config, steps)

    with steps.step("fit on the training split"):
        pipeline.fit(X_train, y_train)

    with steps.step("evaluate on validation and test"):
        threshold = 0.5
        if task is Task.BINARY and definition.tune_threshold:
            threshold = choose_threshold(y_val.to_numpy(), predict_value(task, pipeline, X_val))
        test_value = predict_value(task, pipeline, X_test)
        metrics = task_metrics(task, y_test.to_numpy(), test_value, threshold)
        metrics |= {f"cv_{k}": v for k, v in cv_scores.items()}
        for name, value in metrics.items():
            steps.note(f"{name} = {value:.4f}")

    with steps.step("export the served model and check it against the pipeline"):
        served = export_pipeline(pipeline, spec)
        check_export(served, spec, X_test, test_value)

    trained_at = datetime.now(UTC)
    metadata = _metadata(
        definition, config, report, metrics, threshold, X_test, pipeline, trained_at
    )
    metadata["outcome_shares"] = _outcome_shares(definition, test_value, threshold)
    metadata["split"] = {"train": len(X_train), "validation": len(X_val), "test": len(X_test)}
    # The inputs' bins and shares on the training split: the baseline of live input drift.
    metadata["reference"] = ReferenceProfile.fit(
        {c: X_train[c].to_numpy() for c in spec.inputs}, spec.kinds
    ).as_metadata()

    with steps.step("write artifact and track the run"):
        if config.track:
            model_path = _track(definition, config, pipeline, served, metadata, report, X_test,
                                y_test, test_value, threshold)  # fmt: skip
        else:
            model_path = save_artifact(
                config.out_dir, pipeline, served, metadata, render_card(definition, metadata)
            )
        steps.note(f"model {metadata['model_version']} -> {model_path}")
    return TrainResult(model_path, metadata, pipeline, X_test, y_test)


def _check_classes(definition: ServiceDefinition, y: pd.Series) -> None:
    """Every class must reach every split and fold, or the model would know fewer classes
    than the service names (and stratified splitting fails with a less readable error)."""
    counts = y.value_counts()
    for code, label in enumerate(definition.class_labels):
        rows = int(counts.get(code, 0))
        if rows < MIN_CLASS_ROWS:
            value = definition.dataset.target_classes[code]
            raise DataError(f"class {label} ({value}) has {rows} usable rows; each class needs "
                            f"at least {MIN_CLASS_ROWS}")  # fmt: skip


def _cross_validate(
    definition: ServiceDefinition,
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    config: TrainConfig,
    steps: Steps,
) -> dict[str, float]:
    task = definition.task
    splitter = (KFold if task is Task.REGRESSION else StratifiedKFold)(
        n_splits=config.cv_folds, shuffle=True, random_state=config.seed
    )
    metric = PRIMARY_METRIC[task]
    scores = []
    with (
        steps.step(f"{config.cv_folds}-fold cross-validation"),
        steps.bar("fold", config.cv_folds) as advance,
    ):
        for train_idx, test_idx in splitter.split(X, _strata(task, y)):
            fold = clone(pipeline).fit(X.iloc[train_idx], y.iloc[train_idx])
            value = predict_value(task, fold, X.iloc[test_idx])
            score = task_metrics(task, y.iloc[test_idx].to_numpy(), value, 0.5)[metric]
            scores.append(score)
            advance(f"{metric}={score:.4f}")
    return {f"{metric}_mean": float(np.mean(scores)), f"{metric}_std": float(np.std(scores))}


def _metadata(
    definition: ServiceDefinition,
    config: TrainConfig,
    report: DataReport,
    metrics: dict[str, float],
    threshold: float,
    X_test: pd.DataFrame,
    pipeline: Pipeline,
    trained_at: datetime,
) -> dict[str, Any]:
    spec = definition.features
    encoder = pipeline.named_steps["encode"].named_transformers_.get("cat")
    categories = {
        col: [c for c in cats.tolist() if isinstance(c, str)]
        for col, cats in zip(spec.categorical, getattr(encoder, "categories_", []), strict=False)
    }
    estimator = pipeline.named_steps["model"]
    return {
        "service": definition.name,
        "model_version": f"{trained_at:%Y%m%d%H%M%S}-{report.sha256[:8]}",
        "task": definition.task.value,
        "algorithm": type(estimator).__name__,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "threshold": threshold if definition.task is Task.BINARY else None,
        "metrics": metrics,
        "features": {
            "numeric": list(spec.numeric),
            "categorical": categories,
            "derived": list(spec.derived),
            "fill": dict(spec.fill),
        },
        "training_data": report.as_dict(),
        "params": {
            "seed": config.seed,
            "cv_folds": config.cv_folds,
            **_estimator_params(estimator),
        },
        "library_versions": _library_versions(),
        "mlflow_run_id": None,
        "warmup_example": _json_row(X_test.iloc[0][list(spec.inputs)]),
        **definition.extra_metadata,
    }


def _outcome_shares(
    definition: ServiceDefinition, values: np.ndarray, threshold: float
) -> dict[str, float]:
    """Share of each metrics outcome on the test split: the baseline the mix-shift alert uses."""
    outcomes = pd.Series(definition.outcomes(values, threshold))
    return {str(k): float(v) for k, v in outcomes.value_counts(normalize=True).items()}


def _estimator_params(estimator: Any) -> dict[str, Any]:
    simple = (int, float, str, bool, type(None))
    return {k: v for k, v in estimator.get_params().items() if isinstance(v, simple)}


def _skops_trusted_types(definition: ServiceDefinition) -> list[str]:
    """The non-sklearn-core types our pipelines contain, each of them ours or reviewed."""
    derive = definition.features.derive
    return [
        f"{PrepareFeatures.__module__}.{PrepareFeatures.__name__}",
        f"{derive.__module__}.{derive.__name__}",
        # Node arrays of the fitted trees; trusted because we wrote them in this run.
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        # HGB's own categorical preprocessor validates with partial(check_array); a partial
        # only calls what it wraps, and check_array is the one callable it wraps here.
        "functools.partial",
        "sklearn.utils.validation.check_array",
    ]


def _track(
    definition: ServiceDefinition,
    config: TrainConfig,
    pipeline: Pipeline,
    served: ScoringModel,
    metadata: dict[str, Any],
    report: DataReport,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    test_value: np.ndarray,
    threshold: float,
) -> Path:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow
    from mlflow.models import infer_signature

    mlflow.set_experiment(config.experiment or definition.name)
    with mlflow.start_run(run_name=metadata["model_version"]) as run:
        metadata["mlflow_run_id"] = run.info.run_id
        mlflow.set_tags({"service": definition.name, "task": definition.task.value})
        mlflow.log_params({k: v for k, v in metadata["params"].items() if v is not None})
        mlflow.log_params({"data_sha256": report.sha256, "rows_used": report.rows_used})
        mlflow.log_metrics(metadata["metrics"])
        model_path = save_artifact(
            config.out_dir, pipeline, served, metadata, render_card(definition, metadata)
        )
        with tempfile.TemporaryDirectory() as tmp:
            plots = write_plots(definition.task, y_test.to_numpy(), test_value, threshold,
                                Path(tmp), definition.class_labels)  # fmt: skip
            for plot in plots:
                mlflow.log_artifact(str(plot), artifact_path="plots")
            report_file = Path(tmp) / "data_report.json"
            report_file.write_text(json.dumps(report.as_dict(), indent=2))
            mlflow.log_artifact(str(report_file))
        mlflow.log_artifact(str(metadata_path(model_path)))
        mlflow.log_artifact(str(card_path(model_path)))
        mlflow.log_artifact(str(model_path))  # the served model, as the images carry it
        sample = X_test.head(5)
        mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=infer_signature(sample, predict_value(definition.task, pipeline, sample)),
            input_example=sample,
            # Explicit requirements: inference would import-scan in a subprocess for seconds.
            pip_requirements=[f"scikit-learn=={sklearn_version}", definition.name],
            serialization_format="skops",
            skops_trusted_types=_skops_trusted_types(definition),
        )
    return model_path
