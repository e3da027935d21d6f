"""The mutation run's bookkeeping: the equivalent list, the score and its one line."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mutation import run
from mutation.run import (
    MODULES,
    ROOT,
    Equivalent,
    fingerprint,
    module_of,
    read_equivalent,
    score,
    stale_entries,
)
from registry import names

RUNTIME = "servicekit.runtime.xǁModelRuntimeǁpredict__mutmut_"
DATA = "servicekit.training.data.x_file_sha256__mutmut_"


def test_module_of_functions_and_methods() -> None:
    assert module_of(f"{RUNTIME}3") == "servicekit.runtime"
    assert module_of(f"{DATA}10") == "servicekit.training.data"


def test_every_equivalent_mutant_needs_a_fingerprint_and_a_reason(tmp_path: Path) -> None:
    listed = tmp_path / "equivalent.txt"
    listed.write_text(
        f"# comment\n\n{DATA}10 e819e94b02  chunk size changes memory, not the digest\n"
    )
    assert read_equivalent(listed) == {
        f"{DATA}10": Equivalent("e819e94b02", "chunk size changes memory, not the digest")
    }
    listed.write_text(f"{DATA}10 e819e94b02   # no reason\n")
    with pytest.raises(SystemExit, match=r"equivalent.txt:1: .*needs a reason"):
        read_equivalent(listed)
    listed.write_text(f"{DATA}10  the chunk size changes memory\n")
    with pytest.raises(SystemExit, match=r"equivalent.txt:1: .*needs the fingerprint"):
        read_equivalent(listed)


SHA_CHUNK = """--- src/servicekit/training/data.py
+++ src/servicekit/training/data.py
@@ -2,5 +2,5 @@
     with path.open("rb") as fh:
-        for chunk in iter(lambda: fh.read(1 << 20), b""):
+        for chunk in iter(lambda: fh.read(None), b""):
             digest.update(chunk)
"""


def test_a_fingerprint_names_the_change_whatever_its_place_or_indent() -> None:
    assert fingerprint(SHA_CHUNK) == "e819e94b02"  # as listed in equivalent.txt
    moved = SHA_CHUNK.replace("@@ -2,5 +2,5 @@", "@@ -9,5 +9,5 @@").replace("        for", "for")
    assert fingerprint(moved) == fingerprint(SHA_CHUNK)
    other = SHA_CHUNK.replace("fh.read(None)", "fh.read(2 << 20)")
    assert fingerprint(other) != fingerprint(SHA_CHUNK)


def test_the_committed_list_reads() -> None:
    listed = read_equivalent(ROOT / "mutation" / "equivalent.txt")
    # Every line parsed (none dropped), and every entry names a module that is mutated.
    lines = (ROOT / "mutation" / "equivalent.txt").read_text().splitlines()
    assert len(listed) == sum(1 for line in lines if line.strip() and not line.startswith("#"))
    assert {module_of(n) for n in listed} <= {
        "servicekit." + m.removesuffix(".py").replace("/", ".") for m in MODULES
    }


def test_equivalent_mutants_leave_the_count_and_the_rest_must_be_killed() -> None:
    outcomes = {
        f"{RUNTIME}1": "killed",
        f"{RUNTIME}2": "timeout",
        f"{RUNTIME}3": "survived",
        f"{RUNTIME}4": "no tests",
        f"{DATA}10": "survived",
    }
    result = score(outcomes, {f"{DATA}10": Equivalent("e819e94b02", "chunk size")})
    assert (result.killed, result.total, result.equivalent) == (2, 4, 1)
    assert result.survivors == (f"{RUNTIME}3", f"{RUNTIME}4")
    assert result.line() == "killed 2 of 4 mutants (50.0%)"


def test_listed_mutants_that_no_longer_exist_are_reported() -> None:
    equivalent = {f"{DATA}10": "r", f"{DATA}99": "r", "servicekit.gone.x_f__mutmut_1": "r"}
    outcomes = {f"{DATA}10": "survived"}
    assert stale_entries(equivalent, outcomes, MODULES) == [
        "servicekit.gone.x_f__mutmut_1",
        f"{DATA}99",
    ]
    # A run over other modules cannot tell whether data's mutants still exist.
    assert stale_entries(equivalent, {}, ("runtime.py",)) == ["servicekit.gone.x_f__mutmut_1"]


def test_the_weekly_workflow_mutates_every_module() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "mutation.yml").read_text())
    assert workflow["jobs"]["mutation"]["strategy"]["matrix"]["module"] == list(MODULES)


def test_the_stage_holds_every_service_suite_and_what_they_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = tmp_path / "stage"
    monkeypatch.setattr(run, "STAGE", stage)
    run.stage(("runtime.py",))
    for name in names():
        assert list((stage / "tests" / "services" / name).glob("test_*.py")), name
    # Run from the stage as mutmut does: the test helpers find the registry there.
    done = subprocess.run(
        [sys.executable, "-c", "import registry.services as r, tests.trained as t; "
         "print(r.REGISTRY_FILE); print(*t.SERVICES)"],
        cwd=stage, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(stage / "services.toml"), " ".join(names())]
