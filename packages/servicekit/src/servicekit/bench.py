"""`make bench`: prints latency and throughput figures per service; asserts nothing.

For each trained service:
- estimator only: sklearn's predict on an already-encoded matrix vs the compiled forest;
- full pipeline: sklearn Pipeline on a DataFrame vs the compiled path from raw columns;
- input-drift counting (every scored row into its reference bins), against its budget:
  0.05 ms for one row, 5% of the compiled full path for 1,000 rows;
- HTTP on loopback: the real server (pinned to one core) and a keep-alive client (on the
  other core when there is one): p50/p99 and requests/s, single and 1,000-row batches.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from servicekit.artifacts import load_artifact
from servicekit.compiled import CompiledPipeline
from servicekit.definition import ServiceDefinition, Task, load_definition
from servicekit.drift import ReferenceProfile
from servicekit.metrics import ServiceMetrics
from servicekit.threads import pin_native_threads

SERVICES = ("bankchurn", "carvision", "telecom")


def _time_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples), float(np.percentile(samples, 99))


def _rows(definition: ServiceDefinition, n: int) -> Any:
    from servicekit.training.data import load_training_data

    frame = definition.generate(max(n, 500), 123)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{definition.name}.csv"
    frame.to_csv(path, index=False)
    X, _, _ = load_training_data(path, definition.dataset)
    path.unlink()
    return X.head(n)


DRIFT_BUDGET = {1: "+0.05 ms", 1000: "+5%"}


def in_process(definition: ServiceDefinition, model_path: Path) -> list[str]:
    pipeline, metadata = load_artifact(model_path, definition.name)
    compiled = CompiledPipeline(pipeline, definition.features)
    metrics = ServiceMetrics(definition.name)
    metrics.set_reference(ReferenceProfile.from_metadata(metadata["reference"]))
    estimator = pipeline.named_steps["model"]
    native = estimator.predict_proba if definition.task is Task.BINARY else estimator.predict
    results = []
    for n in (1, 1000):
        X = _rows(definition, n)
        columns = {c: X[c].tolist() for c in definition.features.inputs}
        matrix = compiled.encode(columns)
        # As the API hands them over: numeric inputs already float arrays (see api/app.py).
        api_columns = columns | {
            c: np.asarray(columns[c], dtype=np.float64) for c in definition.features.numeric
        }
        full = pipeline.predict_proba if definition.task is Task.BINARY else pipeline.predict
        repeat = 300 if n == 1 else 30

        def compiled_full(columns: dict[str, list[Any]] = columns) -> Any:
            return compiled.predict_value(compiled.encode(columns))

        cases: list[tuple[str, Callable[[], Any]]] = [
            ("estimator only, sklearn", partial(native, matrix)),
            ("estimator only, compiled", partial(compiled.predict_value, matrix)),
            ("full pipeline, sklearn+pandas", partial(full, X)),
            ("full path, compiled", compiled_full),
            ("input drift counting", partial(metrics.observe_inputs, api_columns)),
        ]
        timed = {label: _time_ms(fn, repeat) for label, fn in cases}
        results += [
            f"  {f'{label} ({n} rows)':<42} p50 {p50:8.3f} ms   p99 {p99:8.3f} ms"
            for label, (p50, p99) in timed.items()
        ]
        share = timed["input drift counting"][0] / timed["full path, compiled"][0]
        results.append(f"    drift counting is {share:.1%} of the compiled full path "
                       f"(budget {DRIFT_BUDGET[n]})")  # fmt: skip
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pin(core: int) -> Callable[[], None]:
    def apply() -> None:
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > core:
            os.sched_setaffinity(0, {core})

    return apply


def over_http(definition: ServiceDefinition, model_path: Path, requests: int) -> list[str]:
    port = _free_port()
    env = os.environ | {"MODEL_PATH": str(model_path), "PORT": str(port), "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", definition.name, "serve"],
        env=env,
        preexec_fn=_pin(0),  # noqa: PLW1509 - the bench starts no threads before this
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _pin(1)()
    X = _rows(definition, 1000)
    records = [definition.request_model.body_from_record(r) for r in X.to_dict("records")]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{definition.name} did not become ready")
                time.sleep(0.1)
            lines = []
            for label, path, bodies, count in (
                (
                    "single",
                    "/predict",
                    [records[i % len(records)] for i in range(requests)],
                    requests,
                ),
                ("batch 1000", "/predict/batch", [{"instances": records}] * 50, 50),
            ):
                for body in bodies[:20]:  # warm-up
                    http.post(path, json=body).raise_for_status()
                samples = []
                start = time.perf_counter()
                for body in bodies[:count]:
                    t = time.perf_counter()
                    http.post(path, json=body).raise_for_status()
                    samples.append((time.perf_counter() - t) * 1e3)
                elapsed = time.perf_counter() - start
                lines.append(
                    f"  HTTP {label:<11} p50 {statistics.median(samples):7.2f} ms   "
                    f"p99 {np.percentile(samples, 99):7.2f} ms   {count / elapsed:8.0f} req/s"
                )
            return lines
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model-dir", type=Path, default=Path("models"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--services", nargs="*", default=list(SERVICES))
    args = parser.parse_args(argv)
    pin_native_threads(1)
    for name in args.services:
        definition = load_definition(name)
        model_path = args.model_dir / name / "model.joblib"
        if not model_path.is_file():
            print(f"{name}: no model at {model_path}; run `make train` first", file=sys.stderr)
            return 2
        print(f"\n{name}")
        for line in [
            *in_process(definition, model_path),
            *over_http(definition, model_path, args.requests),
        ]:
            print(line)
    print("\n(one server process pinned to one core; client on the other core, keep-alive)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
