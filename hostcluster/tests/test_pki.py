"""Certificates from real openssl: the chains verify, and each identity is what RBAC expects."""

import subprocess
import sys
from pathlib import Path

import pytest

from hostcluster.pki import make_all

REPO = Path(__file__).resolve().parents[2]


def _openssl(*args: str) -> str:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    make_all(directory, "node-a", "192.0.2.7", "10.96.0.1")
    return directory


def test_every_leaf_verifies_against_its_own_ca_only(pki: Path) -> None:
    for crt in sorted(pki.glob("*.crt")):
        if crt.stem in ("ca", "front-proxy-ca"):
            continue
        ca = "front-proxy-ca" if crt.stem == "front-proxy-client" else "ca"
        other = "ca" if ca == "front-proxy-ca" else "front-proxy-ca"
        _openssl("verify", "-CAfile", str(pki / f"{ca}.crt"), str(crt))
        wrong = subprocess.run(["openssl", "verify", "-CAfile", str(pki / f"{other}.crt"),
                                str(crt)], capture_output=True, check=False)  # fmt: skip
        assert wrong.returncode != 0, f"{crt.stem} also verifies against {other}"


def test_the_api_server_answers_to_every_name_pods_and_the_host_use(pki: Path) -> None:
    text = _openssl("x509", "-in", str(pki / "apiserver.crt"), "-noout", "-ext", "subjectAltName")
    for san in ("DNS:kubernetes.default.svc", "DNS:localhost", "IP Address:127.0.0.1",
                "IP Address:192.0.2.7", "IP Address:10.96.0.1"):  # fmt: skip
        assert san in text


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("admin", "/O=system:masters/CN=kubernetes-admin"),
        ("kubelet-client", "/O=system:nodes/CN=system:node:node-a"),
        ("kube-proxy", "/O=system:node-proxier/CN=system:kube-proxy"),
        ("controller-manager", "/CN=system:kube-controller-manager"),
        ("scheduler", "/CN=system:kube-scheduler"),
    ],
)
def test_client_identities_match_the_default_rbac_bindings(
    pki: Path, name: str, subject: str
) -> None:
    assert _openssl(
        "x509", "-in", str(pki / f"{name}.crt"), "-noout", "-subject", "-nameopt", "compat"
    ).strip() == (f"subject={subject}")
    usage = _openssl("x509", "-in", str(pki / f"{name}.crt"), "-noout", "-ext", "extendedKeyUsage")
    assert "TLS Web Client Authentication" in usage
    assert "Server" not in usage


def test_a_second_run_keeps_every_file(pki: Path) -> None:
    before = {p.name: p.read_bytes() for p in pki.iterdir()}
    make_all(pki, "node-a", "192.0.2.7", "10.96.0.1")
    assert {p.name: p.read_bytes() for p in pki.iterdir()} == before


def test_a_bad_address_is_refused_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hostcluster.pki", "--dir", str(tmp_path / "p"),
         "--node-name", "n", "--node-ip", "not-an-ip", "--service-ip", "10.96.0.1"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith("not an IP address: not-an-ip")
    assert not (tmp_path / "p").exists()
