"""The HTTP contract is reviewed like code: each service's OpenAPI document is committed in
docs/openapi/, and any change to it shows up here. After an intended change, regenerate the
documents with `make openapi` and commit the diff."""

import json
from pathlib import Path

import pytest

from conftest import SERVICES
from servicekit.cli import run
from servicekit.definition import load_definition
from servicekit.settings import ServiceSettings
from tests.helpers import client, make_app

CONTRACTS = Path(__file__).resolve().parents[1] / "docs" / "openapi"


@pytest.mark.parametrize("name", SERVICES)
def test_the_served_document_is_the_committed_contract(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The contract is what the default settings serve; a developer's environment must not
    # leak into it.
    for field in ServiceSettings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    definition = load_definition(name)
    assert run(definition, ["openapi"]) == 0
    printed = json.loads(capsys.readouterr().out)
    committed = json.loads((CONTRACTS / f"{name}.json").read_text())
    assert printed == committed, f"the {name} API changed: review it, then run `make openapi`"
    # The contract is the keyed service's (AUTH=keys is the default; which key is immaterial).
    served = client(make_app(definition, api_key="any")).get("/openapi.json").json()
    assert served == committed
