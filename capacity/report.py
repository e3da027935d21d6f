"""`make capacity`: requests per pod, per replica at the HPA target, replicas for a peak, and
cost per million predictions per environment, from a load run it makes now."""

import argparse
import math
import sys
from pathlib import Path

from capacity import declared, measure
from capacity.declared import ApiDeployment, DeclarationError, PriceTable, Workload
from capacity.model import (
    Demand,
    Measured,
    cost_per_million,
    fleet,
    pod_rate,
    pods_that_fit,
    replica_rate,
    replicas_for,
)
from registry import names
from servicekit.artifacts import MODEL_FILE
from servicekit.threads import pin_native_threads


def at_rest(apis: dict[str, ApiDeployment], workloads: list[Workload]) -> list[Workload]:
    """Every pod that always runs: the other workloads, and each API at its HPA minimum."""
    return workloads + [Workload(a.name, a.min_replicas, a.resources) for a in apis.values()]


def service_table(
    measured: dict[str, Measured], apis: dict[str, ApiDeployment], target_ms: float, peak: float
) -> list[str]:
    lines = [
        f"| service | req/s per pod, p99 ≤ {target_ms:g} ms | p99 there | CPU per request "
        f"| req/s per replica at the HPA target | replicas for {peak:g} req/s (HPA min-max) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, m in measured.items():
        api = apis[name]
        per_replica = replica_rate(m, api)
        needed = replicas_for(peak, api, per_replica)
        over = " **over max**" if needed > api.max_replicas else ""
        bound = " (client-bound: at least)" if m.client_bound else ""
        lines.append(
            f"| {name} | {pod_rate(m, api):,.0f}{bound} at {m.connections} conn. "
            f"| {m.p99_ms:.1f} ms | {m.cpu_per_request_s * 1e3:.2f} ms "
            f"| {per_replica:,.0f} ({api.cpu_target:.0%} of {api.resources.cpu_request * 1e3:g}m) "
            f"| {needed}{over} ({api.min_replicas}-{api.max_replicas}) |"
        )
    return lines


def cost_table(
    measured: dict[str, Measured],
    apis: dict[str, ApiDeployment],
    workloads: list[Workload],
    prices: PriceTable,
) -> tuple[list[str], list[str]]:
    services = list(measured)
    lines = [
        "| environment | nodes at rest | USD/hour | " + " | ".join(services) + " |",
        "|---|---|---:|" + "---:|" * len(services),
    ]
    notes: list[str] = []
    taken = Demand.of(at_rest(apis, workloads))
    for name in declared.ENVIRONMENTS:
        fl = fleet(declared.environment(name), prices, taken)
        cells = []
        for s in services:
            pods = apis[s].min_replicas + pods_that_fit(fl.nodes, fl.room, taken, apis[s])
            cost = cost_per_million(fl, pods, replica_rate(measured[s], apis[s]))
            cells.append(f"${cost:.3f} ({pods} pods)")
        lines.append(
            f"| {name} | {fl.nodes} x {fl.instance.name} (desired {fl.desired}) "
            f"| {fl.usd_per_hour:.4f} | " + " | ".join(cells) + " |"
        )
        if fl.nodes > fl.desired:
            notes.append(
                f"{name}: the HPA minimums ({sum(a.min_replicas for a in apis.values())} API "
                f"pods) and the other workloads need {fl.nodes} nodes, Terraform's desired size "
                f"is {fl.desired}: the cluster autoscaler adds the rest"
            )
        if not fl.holds_rest:
            notes.append(f"{name}: the pods at rest do not fit even at max size {fl.max_size}")
        if fl.instance.burstable:
            notes.append(
                f"{name}: {fl.instance.name} is burstable; CPU held above its baseline "
                "is billed as surplus credits, not included"
            )
    return lines, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model-dir", type=Path, default=Path("models"))
    parser.add_argument("--peak", type=float, default=1000.0, help="peak load, req/s per API")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load rung")
    services = names()
    parser.add_argument("--services", nargs="*", default=list(services), choices=services)
    args = parser.parse_args(argv)
    if not all(math.isfinite(x) and x > 0 for x in (args.peak, args.seconds)):
        print("capacity: --peak and --seconds must be positive numbers", file=sys.stderr)
        return 2
    try:
        apis, workloads = declared.deployments(services)
        target_ms = declared.latency_target_ms()
        prices = declared.price_table()
    except DeclarationError as error:
        print(f"capacity: {error}", file=sys.stderr)
        return 2
    pin_native_threads(1)
    measured: dict[str, Measured] = {}
    for name in args.services:
        model_path = args.model_dir / name / MODEL_FILE
        if not model_path.is_file():
            print(f"capacity: no model at {model_path}; run `make train` first", file=sys.stderr)
            return 2
        try:
            rungs = measure.ladder(name, model_path, target_ms, args.seconds)
            measured[name] = measure.summarise(name, rungs, target_ms)
        except RuntimeError as error:  # the server did not start, answered non-200, or missed
            print(f"capacity: {name}: {error}", file=sys.stderr)
            return 1
    try:
        costs, notes = cost_table(measured, apis, workloads, prices)
    except DeclarationError as error:
        print(f"capacity: {error}", file=sys.stderr)
        return 2
    print(
        f"\nPer API (one server process pinned to one core; prod overlay; "
        f"{args.seconds:g} s a rung)\n"
    )
    print("\n".join(service_table(measured, apis, target_ms, args.peak)))
    print(
        f"\nCost per million predictions ({prices.region}, on-demand nodes and the EKS control "
        "plane; (n pods): the pods of that API the nodes at rest hold beside everything else, "
        "each at the HPA target, the other APIs at their minimum)\n"
    )
    print("\n".join(costs))
    print()
    for note in notes:
        print(f"- {note}")
    checked = "" if prices.checked_against_aws else ", not yet checked against AWS"
    print(f"- prices: capacity/prices.toml, written {prices.written_on}{checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
