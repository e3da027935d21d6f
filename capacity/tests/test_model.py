"""The capacity arithmetic on small hand-made records, each figure worked out by hand."""

import math

import pytest

from capacity.declared import (
    ApiDeployment,
    DeclarationError,
    Environment,
    InstanceType,
    NodeGroup,
    PriceTable,
    Resources,
    Workload,
)
from capacity.model import (
    Demand,
    Measured,
    allocatable,
    cost_per_million,
    fleet,
    kube_reserved_cpu,
    pod_rate,
    pods_that_fit,
    replica_rate,
    replicas_for,
)

M5_LARGE = InstanceType("m5.large", 0.107, vcpu=2, memory_gib=8, max_pods=29, burstable=False)
PRICES = PriceTable(
    region="eu-west-1",
    currency="USD",
    source="test",
    written_on="2026-12-02",
    checked_against_aws=False,
    control_plane_usd_per_hour=0.10,
    instances={"m5.large": M5_LARGE},
)


def _api(cpu: float = 0.25, limit: float | None = 1.0, memory: float = 192.0) -> ApiDeployment:
    return ApiDeployment("api", Resources(cpu, limit, memory), 2, 8, cpu_target=0.7)


def _measured(rate: float = 3000.0, cpu_per_request_s: float = 0.0005) -> Measured:
    return Measured("api", rate, 5.0, 16, cpu_per_request_s, client_bound=False)


def _env(desired: int, max_size: int = 6, types: tuple[str, ...] = ("m5.large",)) -> Environment:
    return Environment(
        "test",
        "eu-west-1",
        (
            NodeGroup("spot", ("m5.large",), 0, 5, 10, spot=True),  # ignored: not the fleet at rest
            NodeGroup("system", types, 1, desired, max_size, spot=False),
        ),
    )


@pytest.mark.parametrize(
    ("vcpu", "reserved"),
    [(1, 0.06), (2, 0.07), (4, 0.08), (8, 0.09), (48, 0.19)],
)
def test_kube_reserved_cpu_follows_the_eks_ami_bands(vcpu: int, reserved: float) -> None:
    # 6% of core 1, 1% of core 2, 0.5% of cores 3-4, 0.25% of each core above 4.
    assert kube_reserved_cpu(vcpu) == pytest.approx(reserved)


def test_allocatable_takes_the_kubelet_reservations_off_the_instance() -> None:
    room = allocatable(M5_LARGE)
    assert room.cpu == pytest.approx(1.93)
    # 8 GiB less 11 MiB x 29 pods, 255 MiB and the 100 MiB eviction threshold.
    assert room.memory_mib == pytest.approx(8192 - 319 - 255 - 100)
    assert room.pods == 29


def test_pod_rate_is_capped_by_a_cpu_limit_under_one_core_only() -> None:
    measured = _measured(rate=3000)
    assert pod_rate(measured, _api(limit=0.5)) == pytest.approx(1500)
    assert pod_rate(measured, _api(limit=2.0)) == pytest.approx(3000)  # one event loop
    assert pod_rate(measured, _api(limit=None)) == pytest.approx(3000)


def test_replica_rate_is_the_hpa_targets_cpu_over_the_cpu_a_request_costs() -> None:
    # 70% of 250m is 0.175 CPU s per second; at 0.5 ms a request that is 350 requests.
    assert replica_rate(_measured(cpu_per_request_s=0.0005), _api()) == pytest.approx(350)
    assert replica_rate(_measured(cpu_per_request_s=0.001), _api(cpu=0.5)) == pytest.approx(350)


def test_replicas_for_a_peak_round_up_and_never_go_under_the_hpa_minimum() -> None:
    api = _api()
    assert replicas_for(1000, api, 350) == 3  # 2.86 replicas
    assert replicas_for(700, api, 350) == 2
    assert replicas_for(10, api, 350) == 2  # the minimum
    assert replicas_for(3500.1, api, 350) == 11  # over the maximum: the report flags it


def test_pods_that_fit_are_bounded_by_cpu_memory_and_pod_slots() -> None:
    room = allocatable(M5_LARGE)  # 1.93 cores, 7518 MiB, 29 pods
    nothing = Demand(0, 0, 0)
    assert pods_that_fit(1, room, nothing, _api(cpu=0.25)) == 7  # CPU: 1.93 / 0.25
    assert pods_that_fit(1, room, nothing, _api(cpu=0.01, memory=1024)) == 7  # memory
    assert pods_that_fit(1, room, nothing, _api(cpu=0.01, memory=1)) == 29  # slots
    assert pods_that_fit(3, room, Demand(cpu=0.5, memory_mib=0, pods=1), _api()) == 21
    assert pods_that_fit(1, room, Demand(cpu=5, memory_mib=0, pods=0), _api()) == 0


def test_the_fleet_at_rest_grows_past_the_desired_size_until_its_pods_fit() -> None:
    big = Workload("big", 1, Resources(3.5, None, 1024))
    grown = fleet(_env(desired=1), PRICES, Demand.of([big]))
    assert (grown.desired, grown.nodes, grown.holds_rest) == (1, 2, True)
    assert grown.usd_per_hour == pytest.approx(2 * 0.107 + 0.10)
    kept = fleet(_env(desired=3), PRICES, Demand.of([big]))
    assert kept.nodes == 3  # never below what Terraform declares
    huge = Demand.of([Workload("huge", 1, Resources(9, None, 1))])
    capped = fleet(_env(desired=1, max_size=2), PRICES, huge)
    assert (capped.nodes, capped.holds_rest) == (2, False)


def test_the_fleet_needs_a_price_for_its_instance_type_and_region() -> None:
    with pytest.raises(DeclarationError, match=r"no price for c7i\.large"):
        fleet(_env(desired=1, types=("c7i.large",)), PRICES, Demand(0, 0, 0))
    other_region = Environment("x", "us-east-1", _env(desired=1).node_groups)
    with pytest.raises(DeclarationError, match="prices eu-west-1, not us-east-1"):
        fleet(other_region, PRICES, Demand(0, 0, 0))


def test_cost_per_million_is_the_hourly_bill_over_the_predictions_an_hour() -> None:
    fl = fleet(_env(desired=3), PRICES, Demand(0, 0, 0))
    # 10 pods x 350 req/s x 3600 s = 12.6 M predictions for 3 x 0.107 + 0.10 = 0.421 USD.
    assert cost_per_million(fl, 10, 350) == pytest.approx(0.421 / 12.6)
    assert math.isinf(cost_per_million(fl, 0, 350))
