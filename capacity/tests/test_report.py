"""The load ladder and the report against a real server on a trained model (no speed asserted)."""

import os
from pathlib import Path

import pytest

from capacity import measure, report
from registry import names, registry
from tests.trained import Trained

pytestmark = pytest.mark.slow
# The smallest model of services.toml: the quickest server to measure.
SERVICE = min(registry().services, key=lambda s: s.rows).name


def test_the_ladder_measures_a_real_server_within_one_core(
    trained_models: dict[str, Trained],
) -> None:
    model = trained_models[SERVICE].model_path
    cores = os.sched_getaffinity(0)
    rungs = measure.ladder(SERVICE, model, target_ms=1e9, seconds=0.5, rungs=(1, 4))
    assert os.sched_getaffinity(0) == cores  # the client's pinning ends with the ladder
    assert [r.connections for r in rungs] == [1, 4]
    for rung in rungs:
        assert rung.rate > 0
        assert rung.p99_ms > 0
        # The server is pinned to one core: the CPU it was charged per second of load cannot
        # exceed one core (10 ms clock ticks allow a few percent over a half-second rung).
        assert 0 < rung.cpu_per_request_s * rung.rate <= 1.1


def test_the_ladder_stops_at_the_first_rung_over_the_target(
    trained_models: dict[str, Trained],
) -> None:
    model = trained_models[SERVICE].model_path
    rungs = measure.ladder(SERVICE, model, target_ms=1e-6, seconds=0.3, rungs=(1, 4, 16))
    assert [r.connections for r in rungs] == [1]
    with pytest.raises(RuntimeError, match="one connection misses the 1e-06 ms target"):
        measure.summarise(SERVICE, rungs, target_ms=1e-6)


def test_summarise_takes_the_best_rung_within_and_the_costliest_cpu() -> None:
    rungs = [
        measure.Rung(1, 1000, 1.0, 0.0008, 0.5),
        measure.Rung(4, 2500, 3.0, 0.0004, 0.95),
        measure.Rung(16, 2600, 60.0, 0.0003, 0.97),  # over a 50 ms target
    ]
    got = measure.summarise("x", rungs, target_ms=50)
    assert (got.rate, got.connections, got.p99_ms) == (2500, 4, 3.0)
    assert got.cpu_per_request_s == 0.0008
    assert got.client_bound  # the client used 95% of its core at that rung


def test_make_capacity_prints_both_tables(
    trained_models: dict[str, Trained], capsys: pytest.CaptureFixture[str]
) -> None:
    root = trained_models[SERVICE].model_path.parents[1]
    args = ["--model-dir", str(root), "--seconds", "0.3", "--services", SERVICE, "--peak", "500"]
    assert report.main(args) == 0
    out = capsys.readouterr().out
    assert f"| {SERVICE} |" in out and "replicas for 500 req/s" in out
    for environment in ("dev", "staging", "prod"):
        assert f"| {environment} |" in out
    assert "prices: capacity/prices.toml, written" in out


def test_a_model_the_server_cannot_load_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / SERVICE).mkdir()
    (tmp_path / SERVICE / "model.npz").write_bytes(b"not a model")
    args = ["--model-dir", str(tmp_path), "--services", SERVICE, "--seconds", "0.3"]
    assert report.main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"capacity: {SERVICE}: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--peak", "0"], "capacity: --peak and --seconds must be positive numbers"),
        (["--peak", "nan"], "capacity: --peak and --seconds must be positive numbers"),
        (["--seconds", "inf"], "capacity: --peak and --seconds must be positive numbers"),
        # Every registered service by default, the first one checked first.
        (
            ["--model-dir", "/nonexistent"],
            f"capacity: no model at /nonexistent/{names()[0]}/model.npz",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report.main(args) == 2
    err = capsys.readouterr().err
    assert err.strip() == message + ("; run `make train` first" if "model" in message else "")
