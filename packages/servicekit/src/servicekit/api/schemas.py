"""Response and envelope models shared by all services (request rows are the services', on
servicekit.rows.RequestRow)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from servicekit.definition import ServiceDefinition, Task


class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    status: Literal["ready", "not_ready"]
    model_version: str | None = None
    reason: str | None = None


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    error: str = Field(examples=["validation_error"])
    message: str = Field(examples=["body.Age: Input should be greater than or equal to 18"])
    details: list[ErrorDetail] = []
    request_id: str


class BinaryPrediction(BaseModel):
    prediction: Literal[0, 1] = Field(description="Decision at the model's tuned threshold.")
    label: str = Field(description="Name of the predicted class.")
    probability: float = Field(ge=0, le=1, description="Probability of the positive class.")


class MulticlassPrediction(BaseModel):
    prediction: int = Field(ge=0, description="Code of the most probable class.")
    label: str = Field(description="Name of the most probable class.")
    probability: float = Field(ge=0, le=1, description="Probability of the predicted class.")
    probabilities: dict[str, float] = Field(
        description="Probability of every class, by name (they sum to 1)."
    )


class RegressionPrediction(BaseModel):
    prediction: float
    band: str = Field(description="Value band the prediction falls in (the metrics outcome).")


class ModelMetadata(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    service: str
    model_version: str
    task: Task
    algorithm: str
    trained_at: str
    threshold: float | None = None
    metrics: dict[str, float]
    features: dict[str, Any]
    training_data: dict[str, Any]
    library_versions: dict[str, str]
    mlflow_run_id: str | None = None


def prediction_model(definition: ServiceDefinition) -> type[BaseModel]:
    if definition.task is Task.BINARY:
        return BinaryPrediction
    if definition.task is Task.REGRESSION:
        return RegressionPrediction
    # The service's own classes, so the document lists them.
    labels = definition.class_labels
    return create_model(
        f"{definition.name.capitalize()}Prediction",
        __base__=MulticlassPrediction,
        prediction=(int, Field(ge=0, lt=len(labels), description="Code of the most probable "
                                                                 "class: its index in `classes`.")),
        label=(Literal[labels], Field(description="Name of the most probable class.")),  # type: ignore[arg-type]
        probabilities=(dict[Literal[labels], float], Field(  # type: ignore[valid-type]
            description="Probability of every class, by name (they sum to 1).")),
    )  # fmt: skip


def response_models(
    definition: ServiceDefinition, max_batch_size: int
) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel]]:
    """Per-service named models so each OpenAPI document reads in the service's own terms."""
    item = prediction_model(definition)
    title = definition.name.capitalize()
    single = create_model(f"{title}PredictResponse", __base__=item, model_version=(str, Field(...)))
    batch_request = create_model(
        f"{title}BatchRequest",
        __config__=ConfigDict(extra="forbid"),
        instances=(
            list[definition.request_model],  # type: ignore[name-defined]
            Field(min_length=1, max_length=max_batch_size),
        ),
    )
    batch = create_model(
        f"{title}BatchResponse",
        model_version=(str, Field(...)),
        count=(int, Field(...)),
        predictions=(list[item], Field(...)),  # type: ignore[valid-type]
    )
    return single, batch_request, batch
