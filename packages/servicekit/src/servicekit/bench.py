"""`make bench`: prints latency, throughput and memory figures per service; asserts nothing.

For each trained service, before (the sklearn pipeline the model was trained as) and after
(the served model, numpy only) in the same run:
- estimator only: sklearn's predict on an already-encoded matrix vs the served trees;
- full pipeline: sklearn Pipeline on a DataFrame vs the served path from raw columns;
- input-drift counting (every scored row into its reference bins), against its budget:
  0.05 ms for one row, 5% of the served full path for 1,000 rows;
- the real server (pinned to one core; clients on the other core when there is one):
  process start to ready, resident memory after load and 1,000-row batches, sequential
  keep-alive p50/p99 for single and 1,000-row requests, and requests/s with 16 concurrent
  keep-alive connections.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from servicekit import loadgen
from servicekit.api.app import request_columns
from servicekit.artifacts import MODEL_FILE, load_model, load_pipeline
from servicekit.definition import ServiceDefinition, Task, load_definition
from servicekit.drift import ReferenceProfile
from servicekit.metrics import ServiceMetrics
from servicekit.threads import pin_native_threads


def _time_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples), float(np.percentile(samples, 99))


def sample_rows(definition: ServiceDefinition, n: int) -> Any:
    from servicekit.training.data import load_training_data

    frame = definition.generate(max(n, 500), 123)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{definition.name}.csv"
    frame.to_csv(path, index=False)
    X, _, _ = load_training_data(path, definition.dataset)
    path.unlink()
    return X.head(n)


def request_bodies(definition: ServiceDefinition, X: Any) -> list[dict[str, Any]]:
    """Rows of a sample frame as the JSON bodies the API takes."""
    return [definition.request_model.body_from_record(r) for r in X.to_dict("records")]


DRIFT_BUDGET = {1: "+0.05 ms", 1000: "+5%"}


def in_process(definition: ServiceDefinition, model_path: Path) -> list[str]:
    spec = definition.features
    served, metadata = load_model(model_path, definition.name, spec)
    pipeline = load_pipeline(model_path)
    metrics = ServiceMetrics(definition.name)
    metrics.set_reference(ReferenceProfile.from_metadata(metadata["reference"]))
    estimator = pipeline.named_steps["model"]
    native = estimator.predict if definition.task is Task.REGRESSION else estimator.predict_proba
    results = []
    for n in (1, 1000):
        X = sample_rows(definition, n)
        columns = {c: X[c].tolist() for c in definition.features.inputs}
        matrix = served.encode(spec, columns)
        # As the API hands them to the drift counters: validated rows, converted by the app.
        rows = [definition.request_model.model_validate(b) for b in request_bodies(definition, X)]
        api_columns = request_columns(rows, spec)
        full = pipeline.predict if definition.task is Task.REGRESSION else pipeline.predict_proba
        repeat = 300 if n == 1 else 30

        def served_full(columns: dict[str, list[Any]] = columns) -> Any:
            return served.predict(spec, columns)

        cases: list[tuple[str, Callable[[], Any]]] = [
            ("estimator only, sklearn", partial(native, matrix)),
            ("estimator only, served", partial(served.predict_value, matrix)),
            ("full pipeline, sklearn+pandas", partial(full, X)),
            ("full path, served", served_full),
            ("input drift counting", partial(metrics.observe_inputs, api_columns)),
        ]
        timed = {label: _time_ms(fn, repeat) for label, fn in cases}
        results += [
            f"  {f'{label} ({n} rows)':<42} p50 {p50:8.3f} ms   p99 {p99:8.3f} ms"
            for label, (p50, p99) in timed.items()
        ]
        share = timed["input drift counting"][0] / timed["full path, served"][0]
        results.append(f"    drift counting is {share:.1%} of the served full path "
                       f"(budget {DRIFT_BUDGET[n]})")  # fmt: skip
    return results


def over_http(definition: ServiceDefinition, model_path: Path, requests: int) -> list[str]:
    with loadgen.serving(definition.name, model_path) as server:
        X = sample_rows(definition, 1000)
        records = request_bodies(definition, X)
        lines = [f"  process start to /ready {server.ready_s * 1e3:8.0f} ms"]
        # Bodies encoded beforehand: the figures are the server's, not the client's JSON.
        singles = [orjson.dumps(records[i % len(records)]) for i in range(requests)]
        batch = orjson.dumps({"instances": records})
        for label, path, bodies in (
            ("single", "/predict", singles),
            ("batch 1000", "/predict/batch", [batch] * 50),
        ):
            with loadgen.Connection(server) as connection:
                for body in bodies[:20]:  # warm-up
                    connection.post(path, body)
                samples = [connection.post(path, body) for body in bodies]
            lines.append(
                f"  HTTP {label:<11} p50 {statistics.median(samples):7.2f} ms   "
                f"p99 {np.percentile(samples, 99):7.2f} ms   (one connection)"
            )
        lines.append(
            f"  resident memory after load and batches {loadgen.rss_mib(server.pid):6.1f} MiB"
        )
        run = loadgen.closed_loop(server, "/predict", singles[0], CONNECTIONS, seconds=4.0)
        lines.append(f"  HTTP single, {CONNECTIONS} connections {run.rate:8.0f} req/s")
        return lines


# Concurrent keep-alive connections for the throughput figure.
CONNECTIONS = 16


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model-dir", type=Path, default=Path("models"))
    parser.add_argument("--requests", type=int, default=2000)
    # The kit knows no service list: `make bench` passes those of services.toml.
    parser.add_argument("--services", nargs="+", required=True, metavar="NAME")
    args = parser.parse_args(argv)
    pin_native_threads(1)
    for name in args.services:
        definition = load_definition(name)
        model_path = args.model_dir / name / MODEL_FILE
        if not model_path.is_file():
            print(f"{name}: no model at {model_path}; run `make train` first", file=sys.stderr)
            return 2
        print(f"\n{name}")
        for line in [
            *in_process(definition, model_path),
            *over_http(definition, model_path, args.requests),
        ]:
            print(line)
    print("\n(one server process pinned to one core; clients on the other core, keep-alive)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
