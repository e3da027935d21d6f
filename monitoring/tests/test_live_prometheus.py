"""A real Prometheus on loopback scrapes the real services while they serve traffic.

Checks through the Prometheus HTTP API that every target is up, the rules load, every
dashboard query returns data, and the input-drift rules tell shifted traffic from traffic
drawn like the training data.
"""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conftest import Trained
from monitoring.tests.conftest import PROMETHEUS_DIR, dashboard_exprs
from registry import names
from servicekit.drift import PSI_THRESHOLD
from servicekit.training.data import load_training_data
from tests.helpers import examples, free_port, running_service, wait_until

pytestmark = pytest.mark.slow


def _prometheus_config(targets: dict[str, str], self_port: int, tmp: Path) -> Path:
    """The committed local config, pointed at the test's ports and sped up to 1 s."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"] |= {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(PROMETHEUS_DIR / "rules" / "*.yml")]
    for job in config["scrape_configs"]:
        if job["job_name"] == "mlops-services":
            job["static_configs"] = [
                static | {"targets": [targets[static["labels"]["service"]]]}
                for static in job["static_configs"]
                if static["labels"]["service"] in targets
            ]
        else:
            job["static_configs"] = [{"targets": [f"127.0.0.1:{self_port}"]}]
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def _monitoring_stack(
    trained: dict[str, Trained], tmp: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    """The given services as processes, and a Prometheus scraping them with the repo's rules."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus not installed (Debian/Ubuntu: apt-get install prometheus)")
    with ExitStack() as stack:
        bases = {
            # As in a pod: the request arrives through the downward API.
            name: stack.enter_context(
                running_service(t.definition, t.model_path, CPU_REQUEST_MILLICORES="250")
            )[1]
            for name, t in trained.items()
        }
        port = free_port()
        config = _prometheus_config(
            {n: b.removeprefix("http://") for n, b in bases.items()}, port, tmp
        )
        server = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        stack.callback(server.wait, 10)
        stack.callback(server.terminate)
        prometheus = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=prometheus, trust_env=False, timeout=5) as http:
            wait_until(lambda: http.get("/-/ready").status_code == 200, 30, "prometheus ready")
        yield prometheus, bases


@pytest.fixture(scope="module")
def stack(
    trained_models: dict[str, Trained], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    with _monitoring_stack(trained_models, tmp_path_factory.mktemp("prometheus")) as running:
        yield running


def _traffic(bases: dict[str, str], trained_models: dict[str, Trained], rounds: int) -> None:
    for name, base in bases.items():
        rows = examples(trained_models[name].definition)
        with httpx.Client(base_url=base, trust_env=False, timeout=5) as http:
            for i in range(rounds):
                http.post("/predict", json=rows[i % len(rows)]).raise_for_status()
                http.post(f"/{name}/predict/batch", json={"instances": rows * 5}).raise_for_status()
                assert http.post("/predict", json={"unknown": 1}).status_code == 422


def _query(http: httpx.Client, expr: str) -> list[dict[str, Any]]:
    body = http.get("/api/v1/query", params={"query": expr}).json()
    assert body["status"] == "success", (expr, body)
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def test_targets_up_rules_loaded_and_every_dashboard_query_has_data(
    stack: tuple[str, dict[str, str]], trained_models: dict[str, Trained]
) -> None:
    prometheus, bases = stack
    with httpx.Client(base_url=prometheus, trust_env=False, timeout=5) as http:

        def all_targets_up() -> bool:
            targets = http.get("/api/v1/targets").json()["data"]["activeTargets"]
            services = {t["labels"].get("service") for t in targets if t["health"] == "up"}
            return set(names()) <= services

        wait_until(all_targets_up, 30, "all service targets up")

        groups = http.get("/api/v1/rules").json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        assert len(rules) >= 15
        assert all(r["health"] != "err" for r in rules), [r for r in rules if r["health"] == "err"]

        # Counters need two scrapes inside each rate window: send traffic over a few seconds.
        for _ in range(4):
            _traffic(bases, trained_models, rounds=5)
            time.sleep(1)

        pending = {(board, title, expr) for board, title, expr in dashboard_exprs()}

        def every_query_has_data() -> bool:
            for item in sorted(pending):
                expr = item[2].replace("$__rate_interval", "1m")
                if _query(http, expr):
                    pending.discard(item)
            return not pending

        try:
            wait_until(every_query_has_data, 30, "data for every dashboard query")
        except AssertionError:
            pytest.fail(f"queries without data: {sorted(pending)}")

        for name in bases:
            (up,) = _query(http, f'up{{job="mlops-services", service="{name}"}}')
            assert up["value"][1] == "1"
            shares = _query(http, f'model_expected_outcome_share{{service="{name}"}}')
            assert {s["metric"]["outcome"] for s in shares}


def _psi(http: httpx.Client, service: str) -> dict[str, float]:
    found = _query(http, f'service_feature:model_feature_psi:1h{{service="{service}"}}')
    return {r["metric"]["feature"]: float(r["value"][1]) for r in found}


def _rows_counted(http: httpx.Client, service: str) -> float:
    found = _query(http, f'service_feature:model_feature_values:increase1h{{service="{service}"}}')
    return min((float(r["value"][1]) for r in found), default=0.0)


def test_input_drift_tells_a_shifted_input_from_training_like_traffic(
    trained_models: dict[str, Trained], tmp_path: Path
) -> None:
    """bankchurn alone, so that no other test's traffic is in the hour: first rows of the
    training file, then as many again twice over with every customer 15 years older."""
    trained = trained_models["bankchurn"]
    definition = trained.definition
    X, _, _ = load_training_data(trained.data_path, definition.dataset)
    rows = [definition.request_model.body_from_record(r) for r in X.head(3000).to_dict("records")]
    older = [row | {"Age": min(row["Age"] + 15, 100)} for row in rows]
    features = set(definition.features.inputs)
    with (
        _monitoring_stack({"bankchurn": trained}, tmp_path) as (prometheus, bases),
        httpx.Client(base_url=bases["bankchurn"], trust_env=False, timeout=30) as service,
        httpx.Client(base_url=prometheus, trust_env=False, timeout=5) as http,
    ):

        def send(batch: list[dict[str, Any]]) -> None:
            for start in range(0, len(batch), 500):
                chunk = {"instances": batch[start : start + 500]}
                service.post("/predict/batch", json=chunk).raise_for_status()

        def psi_over(rows_at_least: int) -> dict[str, float]:
            wait_until(lambda: _rows_counted(http, "bankchurn") >= rows_at_least, 30,
                       f"{rows_at_least} rows counted for every input")  # fmt: skip
            # The PSI rule runs after the count rule in the same evaluation: one more round.
            time.sleep(2)
            return _psi(http, "bankchurn")

        wait_until(lambda: len(_psi(http, "bankchurn")) == len(features), 30, "PSI per input")
        send(rows)
        like_training = psi_over(len(rows))
        assert set(like_training) == features
        assert max(like_training.values()) < PSI_THRESHOLD, like_training

        send(older)
        send(older)
        shifted = psi_over(3 * len(rows))
        assert shifted["Age"] > PSI_THRESHOLD, shifted
        others = {k: v for k, v in shifted.items() if k != "Age"}
        assert max(others.values()) < PSI_THRESHOLD, shifted
