"""scripts/sign-images.sh refuses, with one line and exit 2, what would sign the wrong thing or
sign without verifying (its full run needs a registry and cosign: supplychain/README.md)."""

import os
import subprocess
from pathlib import Path

import pytest

from supplychain.provenance import REPO

SCRIPT = REPO / "scripts" / "sign-images.sh"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def refusal(env: dict[str, str], digests: Path | None = None) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SIGN_KEY", "VERIFY_IDENTITY")}
    done = subprocess.run(
        [SCRIPT, *([str(digests)] if digests else [])],
        capture_output=True,
        text=True,
        check=False,
        env=clean | {"COSIGN": "true"} | env,  # `true` stands in for cosign: never reached
    )
    return done.returncode, done.stderr.strip()


@pytest.fixture
def digests(tmp_path: Path) -> Path:
    path = tmp_path / "digests.txt"
    path.write_text(f"churn ghcr.io/acme/churn@sha256:{'d' * 64}\n")
    return path


def test_without_the_commit_nothing_is_signed(digests: Path) -> None:
    assert refusal({"COMMIT": "main"}, digests) == (
        2,
        "sign-images: COMMIT must be the 40-digit commit the images were built from",
    )


def test_without_the_pushed_digests_nothing_is_signed(tmp_path: Path) -> None:
    missing = tmp_path / "none.txt"
    assert refusal({"COMMIT": COMMIT}, missing) == (
        2,
        f"sign-images: no {missing}: push the images first (scripts/push-images.sh writes it)",
    )


def test_keyless_signing_needs_the_identity_it_will_verify(digests: Path) -> None:
    code, line = refusal({"COMMIT": COMMIT}, digests)
    assert code == 2
    assert line.startswith("sign-images: keyless signing needs VERIFY_IDENTITY")


def test_a_key_without_its_public_half_is_refused(tmp_path: Path, digests: Path) -> None:
    (tmp_path / "cosign.key").write_text("key")
    assert refusal({"COMMIT": COMMIT, "SIGN_KEY": str(tmp_path / "cosign.key")}, digests) == (
        2,
        f"sign-images: SIGN_KEY={tmp_path}/cosign.key: need the key and "
        f"{tmp_path}/cosign.pub beside it",
    )


def test_an_image_by_tag_or_without_its_sbom_is_not_signed(tmp_path: Path, digests: Path) -> None:
    env = {"COMMIT": COMMIT, "VERIFY_IDENTITY": "https://github.com/a/b", "SBOM_DIR": str(tmp_path)}
    assert refusal(env, digests) == (
        2,
        f"sign-images: no SBOM {tmp_path}/churn.cdx.json: build the images first (make images)",
    )
    digests.write_text("churn ghcr.io/acme/churn:sha-1\n")
    code, line = refusal(env, digests)
    assert (code, line.split(": ", 2)[2]) == (
        2,
        "'churn ghcr.io/acme/churn:sha-1' is not '<service> <image>@sha256:<digest>'",
    )
