"""The pinned versions (versions.env) as a dict, for tests that check them elsewhere."""

from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def versions() -> dict[str, str]:
    lines = (HERE / "versions.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
