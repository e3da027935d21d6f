"""scripts/edge-tls.sh, run for real: the local CA and the edge's server certificate that kind-up
and hostcluster-up give Traefik (the Traefik tests in k8s/tests serve what it makes)."""

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "edge-tls.sh"


def _run(directory: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, directory, *names], capture_output=True, text=True, check=False, timeout=60
    )


def _openssl(*args: str) -> str:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=True).stdout


def test_makes_a_ca_and_a_server_certificate_it_signs_for_every_name(tmp_path: Path) -> None:
    assert _run(tmp_path, "127.0.0.1", "localhost", "api.test.example").returncode == 0
    ca, cert = tmp_path / "ca.crt", tmp_path / "tls.crt"
    assert "OK" in _openssl("verify", "-CAfile", str(ca), str(cert))
    sans = _openssl("x509", "-in", str(cert), "-noout", "-ext", "subjectAltName")
    assert "IP Address:127.0.0.1" in sans and "DNS:localhost" in sans
    assert "DNS:api.test.example" in sans
    assert "TLS Web Server Authentication" in _openssl("x509", "-in", str(cert), "-noout", "-text")
    # The keys are the owner's alone.
    assert {(tmp_path / k).stat().st_mode & 0o077 for k in ("ca.key", "tls.key")} == {0}


def test_a_rerun_keeps_both_and_other_names_get_a_new_certificate_from_the_same_ca(
    tmp_path: Path,
) -> None:
    _run(tmp_path, "127.0.0.1")
    first = {name: (tmp_path / name).read_bytes() for name in ("ca.crt", "tls.crt", "tls.key")}
    assert _run(tmp_path, "127.0.0.1").returncode == 0
    assert {name: (tmp_path / name).read_bytes() for name in first} == first
    assert _run(tmp_path, "127.0.0.1", "localhost").returncode == 0
    assert (tmp_path / "ca.crt").read_bytes() == first["ca.crt"]  # clients keep trusting it
    assert (tmp_path / "tls.crt").read_bytes() != first["tls.crt"]
    assert "OK" in _openssl(
        "verify", "-CAfile", str(tmp_path / "ca.crt"), str(tmp_path / "tls.crt")
    )


def test_a_name_that_is_neither_dns_nor_ip_is_refused_in_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path / "edge", "127.0.0.1", "not a name")
    assert done.returncode == 2
    assert done.stderr.strip() == "edge-tls: 'not a name' is neither a DNS name nor an IP address"
    assert not (tmp_path / "edge").exists()


def test_without_names_it_says_how_to_call_it(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "edge-tls: usage: scripts/edge-tls.sh DIR NAME [NAME...]"
