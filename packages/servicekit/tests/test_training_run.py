"""What a training run leaves behind: metadata the service relies on and a full MLflow run."""

import json
from pathlib import Path

import mlflow

from conftest import Trained
from servicekit.definition import Task
from servicekit.training.data import file_sha256


def test_metadata_records_version_metrics_schema_data_hash_and_libraries(service: Trained) -> None:
    meta = json.loads(service.model_path.with_name("metadata.json").read_text())
    assert meta["service"] == service.definition.name
    assert meta["model_version"].endswith(file_sha256(service.data_path)[:8])
    assert meta["training_data"]["sha256"] == file_sha256(service.data_path)
    assert meta["features"]["numeric"] == list(service.definition.features.numeric)
    assert set(meta["library_versions"]) >= {"python", "scikit-learn", "numpy", "mlflow"}
    expected = {"roc_auc", "pr_auc", "f1"} if service.definition.task is Task.BINARY else {
        "rmse", "mae", "r2"}  # fmt: skip
    assert expected <= set(meta["metrics"])
    assert (meta["threshold"] is None) == (service.definition.task is Task.REGRESSION)
    assert set(meta["warmup_example"]) == set(service.definition.features.inputs)


def test_mlflow_run_has_params_metrics_plots_and_a_loadable_model(
    service: Trained, tmp_path: Path
) -> None:
    client = mlflow.MlflowClient()
    run = client.get_run(str(service.metadata["mlflow_run_id"]))
    assert run.info.status == "FINISHED"
    assert run.data.params["data_sha256"] == service.metadata["training_data"]["sha256"]  # type: ignore[index]
    assert set(service.metadata["metrics"]) <= set(run.data.metrics)  # type: ignore[arg-type]
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    wanted = {"plots/roc_curve.png", "plots/pr_curve.png", "plots/confusion_matrix.png"}
    if service.definition.task is Task.REGRESSION:
        wanted = {"plots/residuals.png", "plots/predicted_vs_actual.png"}
    assert wanted <= plots
    logged = client.download_artifacts(run.info.run_id, "MODEL_CARD.md", str(tmp_path))
    card = service.model_path.with_name("MODEL_CARD.md").read_text()
    assert Path(logged).read_text() == card
    assert f"MLflow run: `{run.info.run_id}`" in card
    models = mlflow.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
        output_format="list",
    )
    assert len(models) == 1
    model = mlflow.sklearn.load_model(f"models:/{models[0].model_id}")
    assert type(model).__name__ == "Pipeline"
