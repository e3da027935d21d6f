"""The base of every service's request row. It lives outside servicekit.api so that a
service's schema (imported by training and the data tools too) does not import the web app."""

import types
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from servicekit.features import is_missing


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
    # Fields that take null (a missing value the model handles); the kit requires them to be
    # exactly the dataset contract's optional columns, each omittable (see ServiceDefinition).
    nullable_fields: ClassVar[frozenset[str]] = frozenset()
    integer_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        kinds = {name: _scalar_types(f.annotation) for name, f in cls.model_fields.items()}
        booleans = frozenset(n for n, k in kinds.items() if bool in k)
        cls.boolean_fields = booleans
        cls.numeric_fields = frozenset(n for n, k in kinds.items() if k & {int, float}) - booleans
        cls.nullable_fields = frozenset(n for n, k in kinds.items() if type(None) in k)
        cls.integer_fields = frozenset(n for n, k in kinds.items() if int in k) - booleans

    @classmethod
    def body_from_record(cls, record: Mapping[str, Any]) -> dict[str, Any]:
        """A data row (as the training loader reads it: floats, NaN for a blank) written as
        the JSON body the API takes: NaN -> null, whole numbers of integer fields as int,
        0/1 of boolean fields as false/true."""
        body: dict[str, Any] = {}
        for name, raw in record.items():
            value = raw.item() if hasattr(raw, "item") else raw  # numpy scalar -> Python
            if is_missing(value):
                body[name] = None
            elif name in cls.boolean_fields:
                body[name] = bool(value)
            elif name in cls.integer_fields and float(value).is_integer():
                body[name] = int(value)
            else:
                body[name] = value
        return body

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
