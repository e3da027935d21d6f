"""Mutation testing of the service kit with mutmut: stage, run, score against the floor.

mutmut mutates a `src/` tree and runs the tests from a copy of the working directory, so
the kit's modules and the tests that exercise them (kit, services, API) are staged in one
directory laid out the way mutmut expects. The test models are trained once, from the
unmutated kit, into that directory; every mutant's pytest session loads them
(tests/trained.py). Equivalent mutants are listed with a reason in `equivalent.txt`.

Usage: python -m mutation.run [--module M ...] [--changed-since REV] [--max-children N]
       [--floor PCT]
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mutmut.stats import status_by_exit_code

from registry import names

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".mutation"
KIT = "packages/servicekit/src/servicekit"
# The kit's serving and training modules under test, relative to the kit's package.
MODULES = (
    "runtime.py",
    "scoring.py",
    "training/export.py",
    "api/app.py",
    "api/middleware.py",
    "api/guard.py",
    "keys.py",
    "metrics.py",
    "settings.py",
    "dataset.py",
    "drift.py",
    "training/data.py",
    "training/evaluation.py",
    "synthetic.py",
)
# Repository test paths -> where they sit in the stage. Tests that start server processes or
# containers are left out: a mutant lives only in mutmut's own forked process.
TESTS = {
    "packages/servicekit/tests": "tests/kit",
    **{f"services/{name}/tests": f"tests/services/{name}" for name in names()},
    "tests/test_api.py": "tests/test_api.py",
    "tests/test_missing_values.py": "tests/test_missing_values.py",
    "tests/test_openapi_contract.py": "tests/test_openapi_contract.py",
    "tests/test_request_guard.py": "tests/test_request_guard.py",
}
# What those tests import or read from the repository (tests/trained.py reads the registry).
SUPPORT = (
    "conftest.py",
    "docs/openapi",
    "registry",
    "services.toml",
    "tests/__init__.py",
    "tests/helpers.py",
    "tests/model_checks.py",
    "tests/trained.py",
)
EQUIVALENT = ROOT / "mutation" / "equivalent.txt"
KILLED = {"killed", "caught by type check", "timeout", "segfault"}


@dataclass(frozen=True)
class Score:
    killed: int
    total: int
    equivalent: int
    survivors: tuple[str, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 100.0

    def line(self) -> str:
        return f"killed {self.killed} of {self.total} mutants ({self.percent:.1f}%)"


@dataclass(frozen=True)
class Equivalent:
    fingerprint: str  # of the change the mutant makes: see `fingerprint`
    reason: str


def read_equivalent(path: Path) -> dict[str, Equivalent]:
    """`mutant-name  fingerprint  reason` per line; `#` starts a comment."""
    entries: dict[str, Equivalent] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, fingerprint, reason = [*line.split(maxsplit=2), "", ""][:3]
        if not re.fullmatch(r"[0-9a-f]{10}", fingerprint):
            raise SystemExit(f"{path}:{number}: {name} needs the fingerprint of its change "
                             "(make mutation prints it)")  # fmt: skip
        if not reason.strip():
            raise SystemExit(f"{path}:{number}: {name} needs a reason why it is equivalent")
        entries[name] = Equivalent(fingerprint, reason.strip())
    return entries


def changed_lines(diff: str) -> list[str]:
    """The lines a mutant removes and adds, without their indent or the file header."""
    return [
        line[0] + line[1:].strip()
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def fingerprint(diff: str) -> str:
    """The mutant's change, hashed. mutmut numbers mutants in source order, so new code
    shifts the numbers: an entry whose name now names another change must fail."""
    return hashlib.sha256("\n".join(changed_lines(diff)).encode()).hexdigest()[:10]


def mutant_diff(name: str) -> str:
    """mutmut's diff of one mutant of the staged run (read from STAGE/mutants)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    source = "src/" + module_of(name).replace(".", "/") + ".py"
    previous = Path.cwd()
    os.chdir(STAGE)
    try:
        return str(get_diff_for_mutant(name, path=source))
    finally:
        os.chdir(previous)


def score(outcomes: dict[str, str], equivalent: Mapping[str, object]) -> Score:
    """Equivalent mutants leave the count; any other mutant not killed is a survivor."""
    counted = {name: status for name, status in outcomes.items() if name not in equivalent}
    survivors = tuple(sorted(n for n, status in counted.items() if status not in KILLED))
    return Score(
        len(counted) - len(survivors), len(counted), len(outcomes) - len(counted), survivors
    )


def read_outcomes(mutants: Path) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            outcomes[name] = status_by_exit_code[code]
    return outcomes


def module_of(mutant: str) -> str:
    """The module of a mutant: `servicekit.api.app` of `servicekit.api.app.x_fn__mutmut_1`."""
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def dotted(module: str) -> str:
    return "servicekit." + module.removesuffix(".py").replace("/", ".")


def stale_entries(
    equivalent: Mapping[str, object], outcomes: dict[str, str], modules: tuple[str, ...]
) -> list[str]:
    """Listed mutants this run should have generated and did not: the code under them changed."""
    known = {dotted(m) for m in MODULES}
    ran = {dotted(m) for m in modules}
    return sorted(
        n
        for n in equivalent
        if module_of(n) not in known or (module_of(n) in ran and n not in outcomes)
    )


def changed_modules(since: str) -> tuple[str, ...]:
    diff = subprocess.run(
        ["git", "diff", "--name-only", since, "--", KIT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if diff.returncode != 0:
        raise SystemExit(f"cannot tell what changed since {since}: {diff.stderr.strip()}")
    return tuple(m for m in MODULES if f"{KIT}/{m}" in diff.stdout.split())


def copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy2(source, target)


def stage(modules: tuple[str, ...]) -> None:
    """A fresh stage: kit source, tests, and a pyproject with the repo's pytest settings."""
    shutil.rmtree(STAGE, ignore_errors=True)
    copy(ROOT / KIT, STAGE / "src" / "servicekit")
    for source, target in TESTS.items():
        copy(ROOT / source, STAGE / target)
    for support in SUPPORT:
        copy(ROOT / support, STAGE / support)
    pytest_ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    ini = pytest_ini["ini_options"]
    settings = {
        "source_paths": ["src"],
        "only_mutate": [f"src/servicekit/{m}" for m in modules],
        "pytest_add_cli_args_test_selection": ["tests"],  # everything staged there
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-m", "not slow"],
        "also_copy": ["conftest.py", "docs", "registry", "services.toml"],  # and tests/
        # Training runs OpenMP and MLflow threads, which a plain fork of the process that ran
        # the tests inherits half-held: workers fork from a server that only collected them.
        "process_isolation": "forkserver",
    }
    lines = [
        "[tool.mutmut]",
        *(f"{k} = {json.dumps(v)}" for k, v in settings.items()),
        "",
        "[tool.pytest.ini_options]",
        *(
            f"{k} = {json.dumps(ini[k])}"
            for k in ("addopts", "pythonpath", "markers", "filterwarnings")
        ),
    ]
    (STAGE / "pyproject.toml").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--changed-since", metavar="REV", help="mutate only the modules that changed since REV"
    )
    parser.add_argument(
        "--module", action="append", choices=MODULES, help="mutate only this module (repeatable)"
    )
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--floor", type=float, default=90.0, help="least percentage killed")
    args = parser.parse_args()

    modules = tuple(args.module or MODULES)
    if args.changed_since:
        modules = tuple(m for m in changed_modules(args.changed_since) if m in modules)
    if not modules:
        print(f"no module under mutation testing changed since {args.changed_since}")
        return 0
    equivalent = read_equivalent(EQUIVALENT)
    started = time.monotonic()
    stage(modules)
    models = STAGE / "trained-models"
    env = os.environ | {"MLOPS_TRAINED_MODELS": str(models), "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the stage's bytecode cache serves every mutant
    log = STAGE / "mutmut.log"
    with log.open("w") as out:
        for step, command, cwd in (
            ("train the test models", [sys.executable, "-m", "tests.trained", str(models)], ROOT),
            ("mutmut run", [sys.executable, "-m", "mutmut", "run",
                            "--max-children", str(args.max_children)], STAGE),
        ):  # fmt: skip
            print(f"{step} (log: {log})", flush=True)
            done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=out, check=False)
            if done.returncode != 0:
                tail = log.read_text(errors="replace").replace("\r", "\n").splitlines()[-20:]
                print("\n".join(tail), file=sys.stderr)
                print(f"{step} failed with exit code {done.returncode}", file=sys.stderr)
                return 1

    outcomes = read_outcomes(STAGE / "mutants")
    stale = stale_entries(equivalent, outcomes, modules)
    # An entry whose number now names another change no longer excuses anything.
    diffs = {n: mutant_diff(n) for n in equivalent if n in outcomes}
    prints = {n: fingerprint(diff) for n, diff in diffs.items()}
    moved = sorted(n for n, p in prints.items() if p != equivalent[n].fingerprint)
    equivalent = {n: e for n, e in equivalent.items() if n not in moved}
    result = score(outcomes, equivalent)
    tally = Counter(outcomes.values())
    print("outcomes: " + ", ".join(f"{status} {n}" for status, n in tally.most_common()))
    for name in result.survivors:
        print(f"{outcomes[name]}: {name} {fingerprint(mutant_diff(name))}")
    if result.survivors:
        print(f"see one: cd {STAGE} && {sys.executable} -m mutmut show NAME")
    for name in stale:
        print(f"{EQUIVALENT.name} lists {name}, which no longer exists", file=sys.stderr)
    for name in moved:
        change = " | ".join(changed_lines(diffs[name]))
        print(f"{EQUIVALENT.name} lists {name} for another change; it is now "
              f"{prints[name]}: {change}", file=sys.stderr)  # fmt: skip
    print(
        f"{len(modules)} modules, {result.equivalent} mutants listed as equivalent, "
        f"{time.monotonic() - started:.0f} s on {args.max_children} workers"
    )
    print(result.line())
    return 0 if result.percent >= args.floor and not stale and not moved else 1


if __name__ == "__main__":
    sys.exit(main())
