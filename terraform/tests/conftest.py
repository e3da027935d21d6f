"""Terraform from the tests: the installed CLI, providers from an offline mirror when the
machine has one, and a working copy of terraform/ so nothing is written into the repo."""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from terraform.tests.pins import TERRAFORM_DIR

MODULES = sorted(p for p in (TERRAFORM_DIR / "modules").iterdir() if (p / "main.tf").is_file())
ENVIRONMENTS = ("dev", "staging", "prod")
MIRROR_SEARCH_ROOTS = (Path("/opt"), Path("/usr/share"), Path("/usr/local/share"), Path.home())


def find_provider_mirror() -> Path | None:
    """The directory holding registry.terraform.io/ of an offline provider mirror, if any."""
    if path := os.environ.get("TF_PROVIDER_MIRROR"):
        return Path(path)
    for root in MIRROR_SEARCH_ROOTS:
        if not root.is_dir():
            continue
        for depth in ("*/registry.terraform.io", "*/*/registry.terraform.io"):
            for hit in root.glob(depth):
                if (hit / "hashicorp" / "aws").is_dir():
                    return hit.parent
    return None


@dataclass(frozen=True)
class Terraform:
    binary: str
    env: dict[str, str]

    def run(
        self, cwd: Path, *args: str, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env=self.env | env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} in {cwd} failed:\n{done.stdout}\n{done.stderr}"
            )
        return done


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env |= {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    cache = tmp_path_factory.mktemp("tf-plugin-cache")
    env["TF_PLUGIN_CACHE_DIR"] = str(cache)
    mirror = find_provider_mirror()
    if mirror is not None:
        # Selected for the tests only; users install providers from the registry as usual.
        config = tmp_path_factory.mktemp("tf-cli") / "terraform.tfrc"
        config.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
            '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
            '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
        )
        env["TF_CLI_CONFIG_FILE"] = str(config)
    return Terraform(binary, env)


def copy_terraform(parent: Path) -> Path:
    """A copy of terraform/ (symlinks resolved, no .terraform dirs) to init and apply in.

    Each user gets its own: a root initialised with the S3 backend keeps that backend in
    its .terraform, and `init -backend=false` there would still try to reach it."""
    target = parent / "terraform"
    shutil.copytree(
        TERRAFORM_DIR,
        target,
        symlinks=False,
        # The suites (.tftest.hcl) and their shared mocks come along; this harness does not.
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*.py", "__pycache__"),
    )
    return target


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy the static tests share (they never configure a backend)."""
    return copy_terraform(tmp_path_factory.mktemp("tf"))
