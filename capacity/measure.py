"""The load ladder: the real server, pinned to one core, under rising concurrency.

Each rung is a closed-loop run of single predictions over keep-alive connections
(servicekit.loadgen). The ladder stops at the first rung whose p99 misses the target: more
connections only queue longer on one core.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from capacity.model import Measured
from servicekit import loadgen
from servicekit.bench import request_bodies, sample_rows
from servicekit.definition import load_definition
from servicekit.settings import ServiceSettings

# Up to the pod's MAX_IN_FLIGHT: beyond it a pod answers 503 at once by design (api/guard.py),
# so a rung with more connections measures refusals, not capacity.
LADDER = tuple(c for c in (1, 2, 4, 8, 16, 32, 64) if c <= ServiceSettings().max_in_flight)
# The client's core counts as full above this share: the server could have done more.
CLIENT_BOUND_SHARE = 0.9


@dataclass(frozen=True)
class Rung:
    connections: int
    rate: float
    p99_ms: float
    cpu_per_request_s: float
    client_share: float  # of one core, used by the load client


def _rung(run: loadgen.LoadRun) -> Rung:
    if run.requests == 0:
        raise RuntimeError(f"no request was answered with {run.connections} connections")
    return Rung(
        connections=run.connections,
        rate=run.rate,
        p99_ms=float(np.percentile(run.latencies_ms, 99)),
        cpu_per_request_s=run.server_cpu_s / run.requests,
        client_share=run.client_cpu_s / run.seconds,
    )


def ladder(
    service: str,
    model_path: Path,
    target_ms: float,
    seconds: float,
    rungs: tuple[int, ...] = LADDER,
) -> list[Rung]:
    """Run the rungs in order against a fresh server, stopping after the first that misses."""
    definition = load_definition(service)
    (record,) = request_bodies(definition, sample_rows(definition, 1))
    body = orjson.dumps(record)
    measured: list[Rung] = []
    with loadgen.serving(service, model_path) as server:
        loadgen.closed_loop(server, "/predict", body, 1, min(seconds, 1.0))  # warm-up
        for connections in rungs:
            rung = _rung(loadgen.closed_loop(server, "/predict", body, connections, seconds))
            measured.append(rung)
            if rung.p99_ms > target_ms:
                break
    return measured


def summarise(service: str, rungs: list[Rung], target_ms: float) -> Measured:
    """The best rung within the target, and the CPU cost per request of the costliest rung
    (light load costs more a request: fewer requests share each wake-up of the event loop)."""
    within = [r for r in rungs if r.p99_ms <= target_ms]
    if not within:
        raise RuntimeError(
            f"{service}: p99 {rungs[0].p99_ms:.1f} ms with one connection misses the "
            f"{target_ms:g} ms target"
        )
    best = max(within, key=lambda r: r.rate)
    return Measured(
        service=service,
        rate=best.rate,
        p99_ms=best.p99_ms,
        connections=best.connections,
        cpu_per_request_s=max(r.cpu_per_request_s for r in rungs),
        client_bound=best.client_share > CLIENT_BOUND_SHARE,
    )
