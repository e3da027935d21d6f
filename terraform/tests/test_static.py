"""Formatting, validation and `terraform test` (mock provider) of every root and module."""

import re
from pathlib import Path

import pytest

from terraform.tests.conftest import ENVIRONMENTS, MODULES, TERRAFORM_DIR, Terraform

ACCOUNT_ROOTS = ["bootstrap", "cost-allocation-tags"]
ROOTS = [*ACCOUNT_ROOTS, *(f"envs/{e}" for e in ENVIRONMENTS)]
# hashicorp/aws 5.100.0: the SHA-256 of the zip of every platform it is released for (linux
# and darwin on amd64 and arm64 among them), from its signed SHA256SUMS, as `terraform init`
# against the registry records them. Checked on 2026-12-02 against seven
# public lock files. `init` on a machine whose provider comes from the registry verifies the
# download against these; the h1: hash verifies the unpacked linux_amd64 provider here.
AWS_PROVIDER_ZIP_HASHES = frozenset(
    [
        "054b8dd49f0549c9a7cc27d159e45327b7b65cf404da5e5a20da154b90b8a644",
        "0b97bf8d5e03d15d83cc40b0530a1f84b459354939ba6f135a0086c20ebbe6b2",
        "1589a2266af699cbd5d80737a0fe02e54ec9cf2ca54e7e00ac51c7359056f274",
        "6330766f1d85f01ae6ea90d1b214b8b74cc8c1badc4696b165b36ddd4cc15f7b",
        "7c8c2e30d8e55291b86fcb64bdf6c25489d538688545eb48fd74ad622e5d3862",
        "99b1003bd9bd32ee323544da897148f46a527f622dc3971af63ea3e251596342",
        "9b12af85486a96aedd8d7984b0ff811a4b42e3d88dad1a3fb4c0b580d04fa425",
        "9f8b909d3ec50ade83c8062290378b1ec553edef6a447c56dadc01a99f4eaa93",
        "aaef921ff9aabaf8b1869a86d692ebd24fbd4e12c21205034bb679b9caf883a2",
        "ac882313207aba00dd5a76dbd572a0ddc818bb9cbf5c9d61b28fe30efaec951e",
        "bb64e8aff37becab373a1a0cc1080990785304141af42ed6aa3dd4913b000421",
        "dfe495f6621df5540d9c92ad40b8067376350b005c637ea6efac5dc15028add4",
        "f0ddf0eaf052766cfe09dea8200a946519f653c384ab4336e2a4a64fdd6310e9",
        "f1b7e684f4c7ae1eed272b6de7d2049bb87a0275cb04dbb7cda6636f600699c9",
        "ff461571e3f233699bf690db319dfe46aec75e58726636a0d97dd9ac6e32fb70",
    ]
)


def test_everything_is_formatted(terraform: Terraform) -> None:
    done = terraform.run(TERRAFORM_DIR, "fmt", "-check", "-recursive", "-diff", check=False)
    assert done.returncode == 0, f"run `make tf-fmt`:\n{done.stdout}"


@pytest.mark.parametrize("path", ROOTS + [f"modules/{m.name}" for m in MODULES])
def test_validates(terraform: Terraform, workdir: Path, path: str) -> None:
    # A root's committed lock file must already verify the provider installed here.
    readonly = ["-lockfile=readonly"] if path in ROOTS else []
    terraform.run(workdir / path, "init", "-backend=false", "-input=false", *readonly)
    out = terraform.run(workdir / path, "validate", "-no-color").stdout
    assert "Success" in out


@pytest.mark.parametrize(
    "path",
    [f"modules/{m.name}" for m in MODULES if (m / "tests").is_dir()]
    + [r for r in ROOTS if (TERRAFORM_DIR / r / "tests").is_dir()],
)
def test_terraform_test_suites_pass(terraform: Terraform, workdir: Path, path: str) -> None:
    terraform.run(workdir / path, "init", "-backend=false", "-input=false")
    done = terraform.run(workdir / path, "test", "-no-color", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout and " 0 passed" not in done.stdout, "no test ran"


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


@pytest.mark.parametrize("root", ROOTS)
def test_every_root_locks_the_provider_for_every_platform(root: str) -> None:
    """Without the zip hashes, `init` on macOS or ARM fails: only linux_amd64's h1 matches."""
    lock = (TERRAFORM_DIR / root / ".terraform.lock.hcl").read_text()
    (block,) = re.findall(r'provider "registry.terraform.io/hashicorp/aws" \{(.*?)\n\}', lock, re.S)
    assert 'version     = "5.100.0"' in block
    zip_hashes = set(re.findall(r'"zh:([0-9a-f]{64})"', block))
    assert zip_hashes == AWS_PROVIDER_ZIP_HASHES
    assert re.findall(r'"h1:[A-Za-z0-9+/=]{44}"', block), "no h1: hash for the unpacked provider"


def test_make_tf_lock_covers_every_root_and_four_platforms() -> None:
    makefile = (TERRAFORM_DIR.parent / "Makefile").read_text()
    (recipe,) = re.findall(r"^tf-lock:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert "$(TF_ACCOUNT_ROOTS:%=terraform/%)" in recipe
    assert "$(TF_ENVS:%=terraform/envs/%)" in recipe
    (account_roots,) = re.findall(r"^TF_ACCOUNT_ROOTS := (.*)$", makefile, re.M)
    assert account_roots.split() == ACCOUNT_ROOTS
    for platform in ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"):
        assert f"-platform={platform}" in recipe


def test_no_environment_activates_cost_allocation_tags() -> None:
    """Activation fails until a key has reached billing data (a day) and in member accounts;
    only the separate cost-allocation-tags root may do it, so no environment's apply fails."""
    declaring = {
        path.parent.relative_to(TERRAFORM_DIR).as_posix()
        for path in TERRAFORM_DIR.rglob("*.tf")
        if ".terraform" not in path.parts and "aws_ce_cost_allocation_tag" in path.read_text()
    }
    assert declaring == {"cost-allocation-tags"}
