"""Under real load through the ingress: the HPA scales out, and a rolling restart drops
nothing. Each load is bounded in requests and time and stops by itself."""

import os
import time
from datetime import UTC, datetime
from typing import Any

from kubernetes import client

from registry import names, registry
from servicekit.definition import load_definition
from tests.e2e.cluster import NAMESPACE, WITHIN_QUOTA, Load, Target, wait_for

# The service E2E_SCALED_SERVICE names (make hostcluster-e2e-fork scales the one it added),
# else the first of services.toml whose HPA can scale out; and another one to restart (the
# last, so that the restart does not meet the scaled service's leftover pods).
SCALED = os.environ.get("E2E_SCALED_SERVICE") or next(
    s.name for s in registry().services if s.hpa.max > s.hpa.min
)
assert SCALED in names(), f"E2E_SCALED_SERVICE={SCALED} is not in services.toml"
RESTARTED = next((n for n in reversed(names()) if n != SCALED), SCALED)
BATCH_ROWS = 200  # batch requests spend CPU in the model, not in HTTP: the HPA sees it fast
SCALE_OUT_SECONDS = 420  # metrics-server (15 s) + HPA sync (15 s) + pod start, with margin
# The overlay's scale-down window, then at most half the pods a minute (base policy): from
# kind's maximum of 3, about 30 + 60 + 60 s; prod's 300 s window needs E2E to wait longer.
SCALE_DOWN_SECONDS = 600


def _batch(service: str) -> dict[str, Any]:
    example = dict(load_definition(service).examples[0])
    return {"instances": [example] * BATCH_ROWS}


def _ready_pods(apps: client.AppsV1Api, name: str) -> int:
    return apps.read_namespaced_deployment(name, NAMESPACE).status.ready_replicas or 0


def test_hpa_scales_out_under_load_without_failed_requests(
    target: Target,
    apps: client.AppsV1Api,
    autoscaling: client.AutoscalingV2Api,
    api_headers: dict[str, str],
    report: dict[str, Any],
) -> None:
    hpa = autoscaling.read_namespaced_horizontal_pod_autoscaler(SCALED, NAMESPACE)
    minimum = hpa.spec.min_replicas
    wait_for(lambda: _ready_pods(apps, SCALED) == minimum, 300, f"{SCALED} back at its minimum")
    url = f"{target.ingress_url}/{SCALED}/predict/batch"
    peak = minimum

    def ready_above_minimum() -> bool:
        nonlocal peak
        ready = _ready_pods(apps, SCALED)
        peak = max(peak, ready)
        return ready > minimum

    with Load(
        url,
        _batch(SCALED),
        api_headers,
        workers=8,
        max_seconds=SCALE_OUT_SECONDS + 60,
        rate=WITHIN_QUOTA,
    ) as load:
        desired = wait_for(
            lambda: (
                (
                    autoscaling.read_namespaced_horizontal_pod_autoscaler(
                        SCALED, NAMESPACE
                    ).status.desired_replicas
                    or 0
                )
                > minimum
            ),
            SCALE_OUT_SECONDS,
            "the HPA to want more replicas",
        )
        ready = desired + wait_for(
            ready_above_minimum, SCALE_OUT_SECONDS - desired, "the new pods to become Ready"
        )
        # Keep the load on while the new pods take traffic (and more may join).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ready_above_minimum()
            time.sleep(1)
    assert not load.result.crashes, load.result.crashes
    assert load.result.failures == 0, load.result.errors[:5]
    assert load.result.requests > 0
    # Without load the HPA returns to its minimum: the scale-down window, then its policy.
    back = wait_for(
        lambda: (
            _ready_pods(apps, SCALED) == minimum
            and apps.read_namespaced_deployment(SCALED, NAMESPACE).status.replicas == minimum
        ),
        SCALE_DOWN_SECONDS,
        f"{SCALED} to return to {minimum} replica(s)",
    )
    report["scale_out"] = {
        "service": SCALED,
        "min_replicas": minimum,
        "max_replicas": hpa.spec.max_replicas,
        "peak_ready_replicas": peak,
        "seconds_to_desired": round(desired, 1),
        "seconds_to_ready": round(ready, 1),
        "seconds_back_to_minimum": round(back, 1),
        "load": load.result.summary(),
    }


def _restart_under_load(
    target: Target,
    apps: client.AppsV1Api,
    headers: dict[str, str],
    namespace: str,
    deployment: str,
) -> dict[str, Any]:
    """Roll `deployment` (kubectl rollout restart) while a paced load posts predictions of
    RESTARTED through the ingress; its figures, after asserting that no request failed and
    that some were served during the roll."""
    url = f"{target.ingress_url}/{RESTARTED}/predict"
    body = dict(load_definition(RESTARTED).examples[0])
    before = apps.read_namespaced_deployment(deployment, namespace)
    with Load(url, body, headers, workers=4, max_seconds=360, rate=WITHIN_QUOTA) as load:
        time.sleep(3)
        patched = time.monotonic()
        stamp = datetime.now(UTC).isoformat()
        patch = {
            "spec": {
                "template": {
                    "metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}
                }
            }
        }
        apps.patch_namespaced_deployment(deployment, namespace, patch)

        def rolled() -> bool:
            d = apps.read_namespaced_deployment(deployment, namespace)
            s = d.status
            return bool(
                s.observed_generation > before.metadata.generation
                and s.updated_replicas == d.spec.replicas == s.ready_replicas == s.replicas
                and not s.unavailable_replicas
            )

        took = wait_for(rolled, 300, f"the rolling restart of {namespace}/{deployment}")
        rolled_at = time.monotonic()
        time.sleep(5)
    during = load.result.succeeded_between(patched, rolled_at)
    assert not load.result.crashes, load.result.crashes
    assert load.result.failures == 0, load.result.errors[:5]
    # Served while the old pod drained and the new one took over, not only before and after.
    assert during > 0, "no request completed between the patch and the end of the rollout"
    return {
        "deployment": f"{namespace}/{deployment}",
        "replicas": before.spec.replicas,
        "seconds": round(took, 1),
        "served_during_rollout": during,
        "load": load.result.summary(),
    }


def test_rolling_restart_under_load_drops_no_request(
    target: Target,
    apps: client.AppsV1Api,
    api_headers: dict[str, str],
    report: dict[str, Any],
) -> None:
    figures = _restart_under_load(target, apps, api_headers, NAMESPACE, RESTARTED)
    report["rolling_restart"] = {"service": RESTARTED, **figures}


def test_the_ingress_controller_restarts_under_load_without_dropping_a_request(
    target: Target,
    apps: client.AppsV1Api,
    api_headers: dict[str, str],
    report: dict[str, Any],
) -> None:
    """Traefik's two replicas roll one at a time (surge first): each leaves the Service while
    it still accepts (requestAcceptGraceTimeout), then drains; clients keep being served."""
    report["ingress_controller_restart"] = _restart_under_load(
        target, apps, api_headers, "traefik", "traefik"
    )
