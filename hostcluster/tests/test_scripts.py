"""up.sh and down.sh on this host, where nothing is to be done: one line, and no host change."""

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(script: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(REPO / "hostcluster" / script)],
        env=os.environ
        | {"HOSTCLUSTER_ROOT": str(tmp_path / "root"), "HOSTCLUSTER_RUN": str(tmp_path / "run")}
        | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_down_without_a_cluster_has_nothing_to_undo(tmp_path: Path) -> None:
    for _ in range(2):  # and says so again: it is idempotent
        done = _run("down.sh", tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().endswith("nothing to undo (no " + f"{tmp_path}/root/undo)")
    assert not (tmp_path / "root").exists()


def test_up_refuses_a_loopback_node_address_before_touching_the_host(tmp_path: Path) -> None:
    """The hostname may resolve to 127.0.0.1; pods cannot reach the API server there."""
    done = _run("up.sh", tmp_path, NODE_IP="127.0.0.1")
    assert done.returncode == 2
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("hostcluster-up: ")][:1]
    # As root with the prerequisites the address check speaks; elsewhere an earlier check.
    tools = (
        *("containerd", "runc", "ctr", "iptables", "ipset", "ip", "openssl", "curl", "docker"),
        *("setsid", "gcc", "nft"),
    )
    if os.geteuid() == 0 and all(shutil.which(t) for t in tools):
        assert "NODE_IP=127.0.0.1 is not a non-loopback address of this host" in line
    assert not (tmp_path / "root").exists()
    assert not (tmp_path / "run").exists()
