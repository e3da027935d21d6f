"""The host cluster's certificates, made with the openssl command line.

Two CAs (the cluster CA signs every serving and client certificate; the front-proxy CA signs
only the aggregation layer's client, so a client certificate of the cluster CA cannot pose as
the front proxy), a service-account key pair, and one key + certificate per component. The
identities are those kubeadm gives the same components, so the default RBAC bootstrap policy
grants each exactly its own permissions.

    python -m hostcluster.pki --dir PKI --node-name NAME --node-ip IP --service-ip 10.96.0.1

Existing files are kept: running it twice changes nothing, and a half-written set completes.
"""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CA_DAYS = 3650
LEAF_DAYS = 365
KEY = ["-newkey", "rsa:2048", "-nodes"]


@dataclass(frozen=True)
class Leaf:
    """A certificate signed by one of the CAs: file stem, subject and extensions."""

    name: str
    common_name: str
    organization: str | None = None
    server: bool = False
    client: bool = False
    sans: tuple[str, ...] = ()
    ca: str = "ca"

    def subject(self) -> str:
        org = f"/O={self.organization}" if self.organization else ""
        return f"{org}/CN={self.common_name}"

    def extensions(self) -> str:
        usages = [u for u, on in (("serverAuth", self.server), ("clientAuth", self.client)) if on]
        lines = [
            "basicConstraints = critical, CA:FALSE",
            "keyUsage = critical, digitalSignature, keyEncipherment",
            f"extendedKeyUsage = {', '.join(usages)}",
        ]
        if self.sans:
            lines.append(f"subjectAltName = {', '.join(_san(s) for s in self.sans)}")
        return "\n".join(lines) + "\n"


def _san(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"DNS:{value}"
    return f"IP:{value}"


def leaves(node_name: str, node_ip: str, service_ip: str) -> list[Leaf]:
    """Every certificate the control plane, the node and the admin use."""
    apiserver_sans = (
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "localhost",
        node_name,
        "127.0.0.1",
        node_ip,
        service_ip,
    )
    return [
        Leaf("apiserver", "kube-apiserver", server=True, sans=apiserver_sans),
        # Bound to system:kubelet-api-admin by up.sh: logs, exec and port-forward, nothing else.
        Leaf("apiserver-kubelet-client", "kube-apiserver-kubelet-client", client=True),
        Leaf("apiserver-etcd-client", "kube-apiserver-etcd-client", client=True),
        Leaf("etcd-server", "etcd", server=True, client=True, sans=("localhost", "127.0.0.1")),
        Leaf("front-proxy-client", "front-proxy-client", client=True, ca="front-proxy-ca"),
        Leaf("admin", "kubernetes-admin", "system:masters", client=True),
        Leaf("controller-manager", "system:kube-controller-manager", client=True),
        Leaf("scheduler", "system:kube-scheduler", client=True),
        Leaf("kube-proxy", "system:kube-proxy", "system:node-proxier", client=True),
        # Bound by hostcluster/kube-router-rbac.yaml: read pods, namespaces, policies.
        Leaf("kube-router", "system:kube-router", client=True),
        Leaf("kubelet-client", f"system:node:{node_name}", "system:nodes", client=True),
        Leaf("kubelet-server", node_name, server=True, sans=(node_name, "localhost", node_ip)),
    ]


def _openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def make_ca(directory: Path, name: str, common_name: str) -> None:
    if (directory / f"{name}.crt").exists():
        return
    _openssl(
        "req", "-x509", *KEY, "-keyout", str(directory / f"{name}.key"),
        "-out", str(directory / f"{name}.crt"), "-days", str(CA_DAYS),
        "-subj", f"/CN={common_name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
    )  # fmt: skip


def _serial() -> str:
    """A random positive 127-bit serial: unique without a serial file to keep."""
    return str(secrets.randbits(127))


def make_leaf(directory: Path, leaf: Leaf) -> None:
    crt = directory / f"{leaf.name}.crt"
    if crt.exists():
        return
    key = directory / f"{leaf.name}.key"
    with tempfile.TemporaryDirectory() as tmp:
        csr, ext = Path(tmp) / "req.csr", Path(tmp) / "ext.cnf"
        ext.write_text(leaf.extensions())
        _openssl(
            "req", "-new", *KEY, "-keyout", str(key), "-out", str(csr), "-subj", leaf.subject()
        )
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(directory / f"{leaf.ca}.crt"),
            "-CAkey", str(directory / f"{leaf.ca}.key"), "-set_serial", _serial(),
            "-days", str(LEAF_DAYS), "-extfile", str(ext), "-out", str(crt),
        )  # fmt: skip


def make_service_account_keys(directory: Path) -> None:
    if (directory / "sa.pub").exists():
        return
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", str(directory / "sa.key"))  # fmt: skip
    _openssl("pkey", "-in", str(directory / "sa.key"), "-pubout", "-out", str(directory / "sa.pub"))


def make_all(directory: Path, node_name: str, node_ip: str, service_ip: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    make_ca(directory, "ca", "mlops-hostcluster-ca")
    make_ca(directory, "front-proxy-ca", "mlops-hostcluster-front-proxy-ca")
    make_service_account_keys(directory)
    for leaf in leaves(node_name, node_ip, service_ip):
        make_leaf(directory, leaf)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--node-name", required=True)
    parser.add_argument("--node-ip", required=True)
    parser.add_argument("--service-ip", required=True, help="first IP of the service range")
    args = parser.parse_args(argv)
    for value in (args.node_ip, args.service_ip):
        try:
            ipaddress.ip_address(value)
        except ValueError:
            parser.error(f"not an IP address: {value}")
    try:
        make_all(args.dir, args.node_name, args.node_ip, args.service_ip)
    except RuntimeError as exc:
        print(f"pki: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
