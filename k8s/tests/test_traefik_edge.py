"""The edge's middlewares (k8s/addons/traefik/edge.yml) in the real Traefik binary, in front
of a real API process with two clients' keys: what a flood or a large body meets before a pod,
on the TLS entry point that serves the Ingress."""

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from conftest import Trained
from k8s.tests.manifests import generated, render
from k8s.tests.traefik import RunningTraefik, running_traefik
from registry import names
from servicekit.keys import hash_key
from servicekit.settings import ServiceSettings
from tests.helpers import examples, post_large_body, running_service

pytestmark = pytest.mark.slow

KEYS = {"flood": "flood-client-key", "steady": "steady-client-key"}
SLOW_RATE = {"average": 20, "burst": 20}


def _edge() -> dict[str, dict[str, object]]:
    text = generated(render("traefik"), "ConfigMap", "traefik-edge")["data"]["edge.yml"]
    return yaml.safe_load(text)["http"]["middlewares"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def edge(
    trained_models: dict[str, Trained], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningTraefik, Trained]]:
    """Traefik routing everything on `websecure` to one API that knows both clients."""
    trained = trained_models[names()[0]]
    tmp = tmp_path_factory.mktemp("edge")
    keys = tmp / "keys"
    keys.write_text("".join(f"{client} {hash_key(key)}\n" for client, key in KEYS.items()))
    # WARNING: the access log of hundreds of requests would fill the unread stdout pipe.
    with running_service(
        trained.definition,
        trained.model_path,
        AUTH="keys",
        API_KEYS_FILE=str(keys),
        LOG_LEVEL="WARNING",
    ) as (_, api):
        routes = {
            "http": {
                "routers": {"api": {"rule": "PathPrefix(`/`)", "entryPoints": ["websecure"],
                                    "service": "api"}},
                "services": {"api": {"loadBalancer": {"servers": [{"url": api}]}}},
            }
        }  # fmt: skip
        # The shipped middlewares, the rate scaled down to what a test client surely exceeds
        # on a busy 2-core machine (500 req/s is easy for the API, not for the client).
        slow = {"client-rate": {"rateLimit": _edge()["client-rate"]["rateLimit"] | SLOW_RATE}}
        with running_traefik(tmp, yaml.safe_dump(routes), slow) as traefik:
            yield traefik, trained


def test_a_body_over_the_limit_is_refused_at_the_edge(edge: tuple[RunningTraefik, Trained]) -> None:
    traefik, _ = edge
    parts = urlsplit(traefik.urls["websecure"])
    limit = int(_edge()["body-limit"]["buffering"]["maxRequestBodyBytes"])  # type: ignore[index]
    status, _ = post_large_body(
        parts.hostname or "",
        parts.port or 443,
        "/predict/batch",
        38_000_000,
        {"X-API-Key": "x"},
        tls=traefik.trust(),
    )
    assert status.startswith(b"HTTP/1.1 413 ")
    # Just over the limit, chunked (no Content-Length): cut off by the edge too.
    with traefik.client("websecure", timeout=10) as web:
        body = b"x" * (limit + 1)
        answer = web.post("/predict/batch", content=iter([body]), headers={"X-API-Key": "x"})
    assert answer.status_code == 413
    assert "x-request-id" not in answer.headers  # the API never saw it


def test_the_edge_lets_a_full_batch_through(edge: tuple[RunningTraefik, Trained]) -> None:
    """The edge's limit is no smaller than the API's for the batch size the platform sets."""
    traefik, trained = edge
    rows = int(generated(render("kind"), "ConfigMap", "mlops-config")["data"]["MAX_BATCH_SIZE"])
    limit = int(_edge()["body-limit"]["buffering"]["maxRequestBodyBytes"])  # type: ignore[index]
    api_limit = ServiceSettings(max_batch_size=rows).body_limit
    assert limit >= api_limit, f"the edge refuses bodies the API takes ({limit} < {api_limit})"
    full = {"instances": [examples(trained.definition)[i % 2] for i in range(rows)]}
    with traefik.client("websecure", timeout=30) as web:
        answer = web.post("/predict/batch", json=full, headers={"X-API-Key": KEYS["steady"]})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["count"] == rows


def test_a_flooding_client_gets_429_with_retry_after_and_another_client_does_not(
    edge: tuple[RunningTraefik, Trained],
) -> None:
    traefik, trained = edge
    burst = SLOW_RATE["burst"]
    body = json.dumps(examples(trained.definition)[0]).encode()
    headers = {"content-type": "application/json"}

    def send(client: str, count: int) -> list[httpx.Response]:
        with traefik.client("websecure", timeout=10) as web:
            key = {"X-API-Key": KEYS[client]}
            return [web.post("/predict", content=body, headers=headers | key)
                    for _ in range(count)]  # fmt: skip

    # Four connections send two bursts' worth as fast as they can, well over the average rate.
    with ThreadPoolExecutor(5) as pool:
        flood = [pool.submit(send, "flood", burst // 2) for _ in range(4)]
        steady = pool.submit(send, "steady", burst)
        flooded = [r for f in flood for r in f.result()]
    refused = [r for r in flooded if r.status_code == 429]
    assert refused, "2 bursts' worth in a burst's time got no 429"
    assert {r.status_code for r in flooded} == {200, 429}
    assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
    assert [r.status_code for r in steady.result()] == [200] * burst


def test_one_client_may_hold_only_so_many_requests_in_flight(
    edge: tuple[RunningTraefik, Trained],
) -> None:
    traefik, trained = edge
    amount = int(_edge()["client-in-flight"]["inFlightReq"]["amount"])  # type: ignore[index]
    # Batches of 1,000 rows take the API milliseconds each, one at a time: twice the allowed
    # number sent at once must find the first ones still in flight.
    batch = {"instances": [examples(trained.definition)[0]] * 1000}

    def send(_: int) -> int:
        with traefik.client("websecure", timeout=30) as web:
            key = {"X-API-Key": KEYS["flood"]}
            return web.post("/predict/batch", json=batch, headers=key).status_code

    with ThreadPoolExecutor(amount * 2) as pool:
        statuses = list(pool.map(send, range(amount * 2)))
    assert statuses.count(429) > 0 and statuses.count(200) >= 1, statuses
    assert set(statuses) <= {200, 429}
