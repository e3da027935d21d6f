"""Response and envelope models shared by all services, and the base of their request rows
(the rows themselves are the services')."""

import types
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic_core import PydanticCustomError

from servicekit.definition import ServiceDefinition, Task


def _scalar_types(annotation: Any) -> set[type]:
    """JSON scalar types a field takes: int | None -> {int, NoneType}; Literal[0, 1] -> {int}."""
    origin = get_origin(annotation)
    if origin is Literal:
        return {type(v) for v in get_args(annotation)}
    if origin in (Union, types.UnionType):
        return set().union(*(_scalar_types(a) for a in get_args(annotation)))
    if origin is Annotated:
        return _scalar_types(get_args(annotation)[0])
    return {annotation} if isinstance(annotation, type) else set()


class RequestRow(BaseModel):
    """One row of features as a request body. Unknown fields are errors, and JSON's booleans
    and numbers stay apart: pydantic's lax mode would read `true` as 1 and `1` or "yes" as
    true, which the OpenAPI document (number, boolean) does not allow."""

    model_config = ConfigDict(extra="forbid")
    numeric_fields: ClassVar[frozenset[str]] = frozenset()
    boolean_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        kinds = {name: _scalar_types(f.annotation) for name, f in cls.model_fields.items()}
        booleans = frozenset(n for n, k in kinds.items() if bool in k)
        cls.boolean_fields = booleans
        cls.numeric_fields = frozenset(n for n, k in kinds.items() if k & {int, float}) - booleans

    @model_validator(mode="before")
    @classmethod
    def _json_types_apart(cls, data: Any) -> Any:
        # One pass over the row rather than a validator per field: a 1,000-row batch pays it
        # a thousand times.
        if isinstance(data, dict):
            for name in cls.numeric_fields:
                if isinstance(data.get(name), bool):
                    message = "{field}: Input should be a number, not true or false"
                    raise PydanticCustomError("number_type", message, {"field": name})
            for name in cls.boolean_fields:
                value = data.get(name)
                if value is not None and not isinstance(value, bool):
                    message = "{field}: Input should be true or false"
                    raise PydanticCustomError("bool_type", message, {"field": name})
        return data


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
    return BinaryPrediction if definition.task is Task.BINARY else RegressionPrediction


def response_models(
    definition: ServiceDefinition,
) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel]]:
    """Per-service named models so each OpenAPI document reads in the service's own terms."""
    item = prediction_model(definition)
    title = definition.name.capitalize()
    single = create_model(f"{title}PredictResponse", __base__=item, model_version=(str, Field(...)))
    batch_request = create_model(
        f"{title}BatchRequest",
        __config__=ConfigDict(extra="forbid"),
        instances=(list[definition.request_model], Field(min_length=1)),  # type: ignore[name-defined]
    )
    batch = create_model(
        f"{title}BatchResponse",
        model_version=(str, Field(...)),
        count=(int, Field(...)),
        predictions=(list[item], Field(...)),  # type: ignore[valid-type]
    )
    return single, batch_request, batch
