"""The kit's one rule for missing values, enforced when a service declares itself."""

from typing import Any

import pytest
from pydantic import Field

from bankchurn.service import DEFINITION as CHURN
from servicekit.dataset import Column, DatasetContract
from servicekit.definition import check_inputs_agree
from servicekit.features import FeatureSpec
from servicekit.rows import RequestRow

CONTRACT = DatasetContract(
    header=("a", "b", "y"),
    columns=(Column("a", "numeric"), Column("b", "numeric", required=False)),
    target="y",
    target_kind="binary",
)
SPEC = FeatureSpec(numeric=("a", "b"))


class Agrees(RequestRow):
    a: float
    b: float | None = None


class BlankNotNullable(RequestRow):
    a: float
    b: float = 0.0


class BlankNotOmittable(RequestRow):
    a: float
    b: float | None


class RequiredNullable(RequestRow):
    a: float | None = None
    b: float | None = None


class RequiredWithDefault(RequestRow):
    a: float = Field(default=1.0)
    b: float | None = None


class ExtraField(RequestRow):
    a: float
    b: float | None = None
    c: float


def test_a_row_model_that_follows_the_contract_is_accepted() -> None:
    check_inputs_agree(CONTRACT, SPEC, Agrees)
    assert Agrees.nullable_fields == {"b"}
    assert CHURN.request_model.nullable_fields == {"Tenure"}


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (BlankNotNullable, r"nullable request fields \[\] must be the contract's optional"),
        (BlankNotOmittable, "request field b may be blank in the data, so it must default"),
        (RequiredNullable, r"nullable request fields \['a', 'b'\]"),
        (RequiredWithDefault, "request field a is required by the dataset contract"),
        (ExtraField, r"request model features \['a', 'b', 'c'\] differ"),
    ],
)
def test_a_row_model_that_breaks_the_rule_is_refused(model: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        check_inputs_agree(CONTRACT, SPEC, model)


def test_a_fill_must_name_a_numeric_input() -> None:
    with pytest.raises(ValueError, match=r"not numeric inputs: \['c'\]"):
        FeatureSpec(numeric=("a",), fill={"c": 0.0})


def test_a_data_record_becomes_the_json_body_the_api_takes() -> None:
    class Row(RequestRow):
        n: int
        x: float | None = None
        flag: bool | None = None

    record = {"n": 3.0, "x": float("nan"), "flag": 1.0}
    assert Row.body_from_record(record) == {"n": 3, "x": None, "flag": True}
    assert Row.body_from_record({"n": 2.5, "x": 0.25, "flag": None}) == {
        "n": 2.5, "x": 0.25, "flag": None,
    }  # fmt: skip
