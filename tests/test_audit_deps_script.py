"""scripts/audit-deps.sh when the advisory data cannot be reached: one line and exit 3, never
a pass. (With the network, `make audit-deps` in .ci/run is the real audit.)"""

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit-deps.sh"


def test_an_unreachable_advisory_database_is_said_in_one_line_and_fails() -> None:
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env = os.environ | {"HTTPS_PROXY": closed, "HTTP_PROXY": closed, "UV_OFFLINE": "1"}
    env.pop("NO_PROXY", None)
    done = subprocess.run(
        [SCRIPT], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 3, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()  # one line, and only that
    assert line.startswith(
        "audit-deps: pypi.org (pip-audit and its advisory data) is not reachable"
    )
    assert "locked packages were not audited" in line
    assert done.stdout == ""
