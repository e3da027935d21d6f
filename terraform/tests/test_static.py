"""Formatting, validation and `terraform test` (mock provider) of every root and module."""

from pathlib import Path

import pytest

from terraform.tests.conftest import ENVIRONMENTS, MODULES, TERRAFORM_DIR, Terraform

ROOTS = ["bootstrap", *(f"envs/{e}" for e in ENVIRONMENTS)]


def test_everything_is_formatted(terraform: Terraform) -> None:
    done = terraform.run(TERRAFORM_DIR, "fmt", "-check", "-recursive", "-diff", check=False)
    assert done.returncode == 0, f"run `make tf-fmt`:\n{done.stdout}"


@pytest.mark.parametrize("path", ROOTS + [f"modules/{m.name}" for m in MODULES])
def test_validates(terraform: Terraform, workdir: Path, path: str) -> None:
    terraform.run(workdir / path, "init", "-backend=false", "-input=false")
    out = terraform.run(workdir / path, "validate", "-no-color").stdout
    assert "Success" in out


@pytest.mark.parametrize(
    "path",
    [f"modules/{m.name}" for m in MODULES if (m / "tests").is_dir()]
    + [f"envs/{e}" for e in ENVIRONMENTS],
)
def test_terraform_test_suites_pass(terraform: Terraform, workdir: Path, path: str) -> None:
    terraform.run(workdir / path, "init", "-backend=false", "-input=false")
    done = terraform.run(workdir / path, "test", "-no-color", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout


def test_every_module_has_the_four_files_and_a_readme() -> None:
    for module in MODULES:
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
            assert (module / name).is_file(), f"{module.name}/{name}"


def test_environments_commit_their_lock_files_and_share_one_definition() -> None:
    shared = TERRAFORM_DIR / "envs" / "_shared"
    for env in ENVIRONMENTS:
        root = TERRAFORM_DIR / "envs" / env
        lock = (root / ".terraform.lock.hcl").read_text()
        assert 'provider "registry.terraform.io/hashicorp/aws"' in lock, env
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            assert (root / name).resolve() == (shared / name).resolve(), f"{env}/{name}"
        assert (root / "terraform.tfvars").is_file() and (root / "backend.hcl").is_file()
    assert "use_lockfile = true" in (shared / "versions.tf").read_text()
    assert "dynamodb" not in (shared / "versions.tf").read_text()
