"""MODEL_CARD.md: what a model is for and how it was made, written from facts only.

Every statement comes from the service's definition (its task, intended use and what it
must not be used for) or from the model's metadata (data report, metrics, threshold,
reference bins). Nothing is typed in per model, so the card cannot drift from the model.
"""

from collections.abc import Mapping
from typing import Any

from servicekit.definition import ServiceDefinition, Task
from servicekit.features import FeatureSpec
from servicekit.training.evaluation import PRIMARY_METRIC


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    def cell(value: Any) -> str:
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


def _by_count(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Largest first, then by name: the same card from metadata in memory and read from disk
    (metadata.json is written with sorted keys)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _data(data: Mapping[str, Any]) -> list[str]:
    read, used = data["rows_read"], data["rows_used"]
    lines = [
        f"- Origin: {data.get('origin', 'provided')}",
        f"- File: `{data['path']}`, SHA-256 `{data['sha256']}`",
        f"- Rows: {read} read, {used} used, {read - used} dropped",
    ]
    lines += [f"  - dropped {n}: {reason}" for reason, n in _by_count(data.get("dropped", {}))]
    lines += [
        f"- Set to missing {n}: {reason}" for reason, n in _by_count(data.get("set_missing", {}))
    ]
    lines += [
        f"- Blank in the rows used {n}: {col}" for col, n in _by_count(data.get("missing", {}))
    ]
    if data.get("ignored_columns"):
        lines.append("- Columns ignored: " + ", ".join(data["ignored_columns"]))
    return lines


def _metrics(task: Task, metadata: Mapping[str, Any]) -> list[str]:
    metrics, split = metadata["metrics"], metadata.get("split", {})
    tested = sorted((k, v) for k, v in metrics.items() if not k.startswith("cv_"))
    primary = PRIMARY_METRIC[task]
    mean, std = metrics.get(f"cv_{primary}_mean"), metrics.get(f"cv_{primary}_std")
    sizes = ", ".join(
        f"{part} {split[part]}" for part in ("train", "validation", "test") if part in split
    )
    lines = [f"Rows per split: {sizes}." if sizes else "Split sizes were not recorded.", ""]
    lines += ["On the test split, which training and threshold tuning never saw:", ""]
    lines += _table(("metric", "value"), tested)
    if mean is not None and std is not None:
        cv_folds = metadata.get("params", {}).get("cv_folds")
        lines += ["", f"Cross-validation on the training split ({cv_folds} folds): "
                      f"{primary} {mean:.4f} ± {std:.4f} (mean ± standard deviation)."]  # fmt: skip
    return lines


def _threshold(definition: ServiceDefinition, metadata: Mapping[str, Any]) -> list[str]:
    if definition.task is Task.REGRESSION:
        bands = ", ".join(
            f"{name} under {upper:g}" if upper != float("inf") else f"{name} above"
            for upper, name in definition.value_bands
        )
        return ["None: the model predicts a value." + (f" Value bands: {bands}." if bands else "")]
    if definition.task is Task.MULTICLASS:
        classes = ", ".join(
            f"`{label}` ({value})"
            for label, value in zip(definition.class_labels, definition.dataset.target_classes,
                                    strict=True)
        )  # fmt: skip
        return [
            "None: the predicted class is the most probable one, and every class's probability "
            f"is returned. Classes (as the data writes them): {classes}."
        ]
    threshold = metadata.get("threshold")
    negative, positive = definition.class_labels
    why = (
        "chosen on the validation split to maximise F1 (the test split was not used)"
        if definition.tune_threshold
        else "the default: this service does not tune it"
    )
    return [f"{threshold}: a probability at or above it is `{positive}`, below it `{negative}`; "
            f"{why}."]  # fmt: skip


def _features(reference: Mapping[str, Any] | None, spec: FeatureSpec) -> list[str]:
    if not reference:
        return ["No reference distribution was stored with this model."]
    lines = [
        f"Shares on the training split ({reference['rows']} rows), smoothed by "
        f"{reference['smoothing']} rows per bin. Live traffic is compared with them "
        "(PSI per input; the MLInputDrift alert).",
    ]
    for name in spec.inputs:
        feature = reference["features"][name]
        lines += ["", f"### {name} ({feature['kind']})", ""]
        shares = [f"{s:.1%}" for s in feature["shares"]]
        lines += _table(("bin", "share"), list(zip(feature["bins"], shares, strict=True)))
    if spec.derived:
        lines += ["", "Derived by the model from these inputs: " + ", ".join(spec.derived) + "."]
    return lines


SYNTHETIC = (
    "The training data is synthetic: generated to match the real dataset's columns and rough "
    "shape, not drawn from real customers or listings. Train on the real file before any real use."
)
PROVIDED = (
    "The training data was provided, not generated: its quality, and how well it covers the "
    "population scored, are for its owner to vouch for."
)


def _limitations(definition: ServiceDefinition, metadata: Mapping[str, Any]) -> list[str]:
    data = metadata["training_data"]
    origin = data.get("origin", "provided")
    lines = [SYNTHETIC if origin.startswith("generated") else PROVIDED]
    if data["rows_read"] > data["rows_used"]:
        share = 1 - data["rows_used"] / data["rows_read"]
        lines.append(f"{share:.1%} of the rows read were dropped (reasons above); the model "
                     "has not seen rows like them.")  # fmt: skip
    if definition.features.categorical:
        lines.append("A category not seen in training is treated as a missing value.")
    lines.append("Requests outside the dataset contract's ranges are refused (HTTP 422), not "
                 "extrapolated.")  # fmt: skip
    return [f"- {line}" for line in lines]


def render_card(definition: ServiceDefinition, metadata: Mapping[str, Any]) -> str:
    params = metadata.get("params", {})
    sections: list[tuple[str, list[str]]] = [
        (
            "Model",
            [
                f"- Version: `{metadata['model_version']}`, trained {metadata['trained_at']}",
                f"- Algorithm: {metadata['algorithm']} (seed {params.get('seed')})",
                f"- MLflow run: `{metadata.get('mlflow_run_id')}`",
                "- Libraries: "
                + ", ".join(
                    f"{k} {v}" for k, v in sorted(metadata.get("library_versions", {}).items())
                ),
            ],
        ),
        (
            "Task and intended use",
            [
                f"Task: {definition.task.value}. {definition.description}",
                "",
                f"Intended use: {definition.intended_use}",
                "",
                "Must not be used for:",
                *[f"- {item}" for item in definition.out_of_scope],
            ],
        ),
        ("Data", _data(metadata["training_data"])),
        ("Metrics", _metrics(definition.task, metadata)),
        ("Decision threshold", _threshold(definition, metadata)),
        (
            "Features and reference distributions",
            _features(metadata.get("reference"), definition.features),
        ),
        ("Known limitations", _limitations(definition, metadata)),
    ]
    lines = [f"# Model card: {definition.title} ({definition.name})"]
    for title, body in sections:
        lines += ["", f"## {title}", "", *body]
    return "\n".join(lines) + "\n"
