"""The capacity and cost arithmetic: measured figures and declared settings in, table rows out.

Pure functions over small records, so every step can be checked by hand (and by the tests).
"""

import math
from dataclasses import dataclass

from capacity.declared import ApiDeployment, Environment, InstanceType, PriceTable, Workload

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Measured:
    """What the load ladder measured for one service (see capacity.measure)."""

    service: str
    rate: float  # req/s of the best rung whose p99 met the target: one process, one core
    p99_ms: float  # that rung's p99
    connections: int  # that rung's concurrent connections
    cpu_per_request_s: float  # server CPU seconds per request, the costliest rung's
    client_bound: bool  # the client's core was nearly full: `rate` is a lower bound


def pod_rate(measured: Measured, api: ApiDeployment) -> float:
    """Requests/s one pod serves within the latency target. The API is one process on one
    event loop, so a CPU limit above one core buys nothing, and one below it caps the rate."""
    limit = api.resources.cpu_limit
    return measured.rate * (1.0 if limit is None else min(limit, 1.0))


def replica_rate(measured: Measured, api: ApiDeployment) -> float:
    """Requests/s per replica when the HPA holds it at its CPU target: the target's share of
    the CPU request, divided by the CPU one request costs."""
    return api.resources.cpu_request * api.cpu_target / measured.cpu_per_request_s


def replicas_for(peak_rps: float, api: ApiDeployment, per_replica: float) -> int:
    """Replicas the HPA settles on for a steady `peak_rps` (never fewer than its minimum)."""
    return max(api.min_replicas, math.ceil(peak_rps / per_replica))


# Kubelet reservations as the EKS AMI sets them (amazon-eks-ami bootstrap: kubeReserved CPU in
# GKE's bands; memory 11 MiB per pod slot plus 255 MiB; evictionHard memory.available 100Mi).
_CPU_RESERVE_BANDS = ((1.0, 0.06), (1.0, 0.01), (2.0, 0.005), (math.inf, 0.0025))
_MEMORY_RESERVE_PER_POD_MIB = 11
_MEMORY_RESERVE_BASE_MIB = 255
_EVICTION_HARD_MIB = 100


def kube_reserved_cpu(vcpu: int) -> float:
    """Cores the kubelet keeps back on a node of `vcpu` vCPUs."""
    reserved, below = 0.0, float(vcpu)
    for width, share in _CPU_RESERVE_BANDS:
        used = min(width, below)
        reserved += used * share
        below -= used
    return reserved


@dataclass(frozen=True)
class Allocatable:
    cpu: float  # cores
    memory_mib: float
    pods: int


def allocatable(instance: InstanceType) -> Allocatable:
    memory_reserved = (
        _MEMORY_RESERVE_PER_POD_MIB * instance.max_pods
        + _MEMORY_RESERVE_BASE_MIB
        + _EVICTION_HARD_MIB
    )
    return Allocatable(
        cpu=instance.vcpu - kube_reserved_cpu(instance.vcpu),
        memory_mib=instance.memory_gib * 1024 - memory_reserved,
        pods=instance.max_pods,
    )


@dataclass(frozen=True)
class Demand:
    """Pods that must fit on the fleet: each a CPU and memory request, times a count."""

    cpu: float
    memory_mib: float
    pods: int

    @classmethod
    def of(cls, workloads: list[Workload]) -> "Demand":
        return cls(
            cpu=sum(w.replicas * w.resources.cpu_request for w in workloads),
            memory_mib=sum(w.replicas * w.resources.memory_request_mib for w in workloads),
            pods=sum(w.replicas for w in workloads),
        )


def pods_that_fit(nodes: int, room: Allocatable, taken: Demand, pod: ApiDeployment) -> int:
    """How many more `pod`s fit on `nodes` nodes beside `taken`. Sums over the fleet: a pod
    cannot straddle nodes, so this is an upper bound when each node's remainder is short of
    a pod (at most one pod per node fewer)."""
    fits = min(
        math.floor((nodes * room.cpu - taken.cpu) / pod.resources.cpu_request),
        math.floor((nodes * room.memory_mib - taken.memory_mib) / pod.resources.memory_request_mib),
        nodes * room.pods - taken.pods,
    )
    return max(fits, 0)


def _holds(nodes: int, room: Allocatable, demand: Demand) -> bool:
    return (
        nodes * room.cpu >= demand.cpu
        and nodes * room.memory_mib >= demand.memory_mib
        and nodes * room.pods >= demand.pods
    )


@dataclass(frozen=True)
class Fleet:
    """An environment's on-demand nodes at rest: the node group's desired size, or more when
    the HPA minimums and the other workloads need more (the cluster autoscaler adds them, up
    to the group's max size)."""

    environment: str
    instance: InstanceType
    room: Allocatable  # one node's
    desired: int  # as Terraform declares it
    nodes: int  # what runs at rest
    max_size: int
    holds_rest: bool  # False: the pods at rest do not fit even at the group's max size
    usd_per_hour: float  # the nodes plus the EKS control plane


def fleet(env: Environment, prices: PriceTable, demand: Demand) -> Fleet:
    """The nodes that hold `demand`, the pods at rest. Managed on-demand node groups launch
    their first listed type; spot groups (desired size 0 in every environment today) are
    burst capacity, not the fleet at rest."""
    group = next(g for g in env.node_groups if not g.spot)
    instance = prices.instance(group.instance_types[0], env.region)
    room = allocatable(instance)
    nodes = max(group.desired_size, 1)
    while nodes < group.max_size and not _holds(nodes, room, demand):
        nodes += 1
    return Fleet(
        environment=env.name,
        instance=instance,
        room=room,
        desired=group.desired_size,
        nodes=nodes,
        max_size=group.max_size,
        holds_rest=_holds(nodes, room, demand),
        usd_per_hour=nodes * instance.usd_per_hour + prices.control_plane_usd_per_hour,
    )


def cost_per_million(fleet: Fleet, pods: int, per_replica: float) -> float:
    """USD per million predictions when `pods` pods of one API on the fleet all run at the
    HPA target: the busiest the HPA lets them run before it adds pods."""
    predictions_per_hour = pods * per_replica * SECONDS_PER_HOUR
    if predictions_per_hour == 0:
        return math.inf
    return fleet.usd_per_hour / predictions_per_hour * 1e6
