"""Settings from the environment: ranges, the checks across settings, and the one line a
refused value gets (cli.py and container.py print it and exit 2)."""

import pytest
from pydantic import ValidationError

from servicekit.settings import ServiceSettings, settings_error


def _refused(**env: str) -> str:
    with pytest.raises(ValidationError) as caught:
        ServiceSettings(**env)  # type: ignore[arg-type]
    return settings_error(caught.value)


def test_a_value_out_of_range_names_its_variable() -> None:
    assert (
        _refused(max_in_flight="0") == "MAX_IN_FLIGHT: Input should be greater than or equal to 1"
    )
    assert _refused(metrics_port="70000") == (
        "METRICS_PORT: Input should be less than or equal to 65535"
    )


def test_the_metrics_port_must_not_be_the_api_port() -> None:
    assert _refused(port="8000", metrics_port="8000") == (
        "METRICS_PORT 8000 is PORT too; give it its own port"
    )
    assert ServiceSettings(port=8000, metrics_port=9000).metrics_port == 9000
    assert ServiceSettings(port=8000).metrics_port is None
