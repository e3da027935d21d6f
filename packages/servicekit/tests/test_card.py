"""The model card states the facts of the model it sits beside, and only those."""

import json
import re
from typing import Any

import pytest

from conftest import Trained
from servicekit.definition import Task
from servicekit.training.card import PROVIDED, SYNTHETIC, render_card


def _card(service: Trained) -> str:
    return service.model_path.with_name("MODEL_CARD.md").read_text()


def _section(card: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", card, re.MULTILINE | re.DOTALL)
    assert match, f"no section {title!r}"
    return match.group(1)


def test_the_card_beside_the_model_is_rendered_from_its_metadata(service: Trained) -> None:
    card = _card(service)
    assert card == render_card(service.definition, service.metadata)
    # Metadata read back from disk has its keys sorted; the card does not depend on order.
    stored = json.loads(service.model_path.with_name("metadata.json").read_text())
    assert card == render_card(service.definition, stored)
    titles = re.findall(r"^## (.+)$", card, re.MULTILINE)
    assert titles == [
        "Model", "Task and intended use", "Data", "Metrics", "Decision threshold",
        "Features and reference distributions", "Known limitations",
    ]  # fmt: skip
    meta: dict[str, Any] = service.metadata
    model = _section(card, "Model")
    assert f"Version: `{meta['model_version']}`, trained {meta['trained_at']}" in model
    assert f"scikit-learn {meta['library_versions']['scikit-learn']}" in model
    use = _section(card, "Task and intended use")
    definition = service.definition
    assert definition.intended_use in use and definition.description in use
    assert all(f"- {item}" in use for item in definition.out_of_scope)


def test_the_data_section_accounts_for_every_row_and_names_the_bytes(service: Trained) -> None:
    data = service.metadata["training_data"]
    assert isinstance(data, dict)
    section = _section(_card(service), "Data")
    assert f"SHA-256 `{data['sha256']}`" in section
    dropped = data["rows_read"] - data["rows_used"]
    assert f"Rows: {data['rows_read']} read, {data['rows_used']} used, {dropped} dropped" in section
    assert sum(data["dropped"].values()) == dropped
    for reason, n in data["dropped"].items():
        assert f"  - dropped {n}: {reason}" in section
    # The tests train on generated files: the card says so, and names the command.
    assert "Origin: generated (synthetic): " in section
    assert SYNTHETIC in _section(_card(service), "Known limitations")


def test_metrics_threshold_and_reference_bins_are_the_models(service: Trained) -> None:
    card, meta = _card(service), service.metadata
    metrics = meta["metrics"]
    assert isinstance(metrics, dict)
    section = _section(card, "Metrics")
    split = meta["split"]
    assert isinstance(split, dict)
    assert f"Rows per split: train {split['train']}, validation {split['validation']}, " in section
    for name, value in metrics.items():
        if not name.startswith("cv_"):
            assert f"| {name} | {value:.4f} |" in section
    primary = {"binary": "roc_auc", "multiclass": "roc_auc_ovr", "regression": "rmse"}[
        service.definition.task
    ]
    spread = f"{metrics[f'cv_{primary}_mean']:.4f} ± {metrics[f'cv_{primary}_std']:.4f}"
    assert spread in section
    threshold = _section(card, "Decision threshold")
    if service.definition.task is Task.BINARY:
        assert threshold.strip().startswith(f"{meta['threshold']}: a probability at or above")
        tuned = "maximise F1" in threshold
        assert tuned == service.definition.tune_threshold
    elif service.definition.task is Task.MULTICLASS:
        assert threshold.strip().startswith("None: the predicted class is the most probable")
        for label in service.definition.class_labels:
            assert f"`{label}`" in threshold
    else:
        assert threshold.strip().startswith("None: the model predicts a value.")
    features = _section(card, "Features and reference distributions")
    reference = meta["reference"]
    assert isinstance(reference, dict)
    for name in service.definition.features.inputs:
        stored = reference["features"][name]
        assert f"### {name} ({stored['kind']})" in features
        first_bin, first_share = stored["bins"][0], stored["shares"][0]
        assert f"| {first_bin.replace('|', chr(92) + '|')} | {first_share:.1%} |" in features


@pytest.mark.parametrize("service", ["carvision"], indirect=True)
def test_provided_data_and_older_metadata_are_stated_not_invented(service: Trained) -> None:
    meta = json.loads(json.dumps(service.metadata))
    meta["training_data"]["origin"] = "provided"
    for key in ("reference", "split"):
        del meta[key]
    card = render_card(service.definition, meta)
    assert "Origin: provided" in _section(card, "Data")
    assert PROVIDED in _section(card, "Known limitations")
    assert "Split sizes were not recorded." in _section(card, "Metrics")
    features = _section(card, "Features and reference distributions")
    assert features.strip() == "No reference distribution was stored with this model."
    bands = _section(card, "Decision threshold")
    assert "under_5k under 5000" in bands and "30k_plus above" in bands
