"""Every shell script of the repository, read as text: habits that fail only sometimes."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(
    p
    for p in REPO.glob("**/*.sh")
    if not {".venv", ".tools", "node_modules", ".git"} & set(p.relative_to(REPO).parts)
)
# `cmd | grep -q`: grep exits at the first match, cmd may then die of SIGPIPE, and under
# pipefail the whole test reads as false. It fails only when cmd is still writing, so it
# passes on one machine and fails on the next (it did: `traefik version | grep -q`).
EARLY_EXIT_IN_PIPE = re.compile(r"\|\s*(grep\s+(-\w*[qm]\w*|--quiet|--max-count)|head\b)")


def test_there_are_scripts_to_check() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"up.sh", "down.sh", "ci.sh", "build-images.sh"} <= names


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_no_early_exit_reader_in_a_pipefail_pipeline(path: Path) -> None:
    text = path.read_text()
    if "pipefail" not in text:
        return
    found = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for n, line in enumerate(text.splitlines(), 1)
        if EARLY_EXIT_IN_PIPE.search(line)
        and not line.lstrip().startswith("#")
        and "|| true" not in line  # the early exit is expected and accepted
    ]
    assert not found, 'read the whole output first (grep ... <<<"$(cmd)"):\n' + "\n".join(found)


# `read -ra NAMES <<<"$(python3 -m registry names)"` exits as `read` does, not as the registry
# does: a failed or empty answer leaves NAMES empty, and a loop over it silently does nothing.
READS_REGISTRY = re.compile(r'read -ra (\w+) <<<"\$\(.*-m registry names\)"')


def _unguarded_registry_reads(text: str) -> list[str]:
    return [
        match[1]
        for match in READS_REGISTRY.finditer(text)
        if f"[[ ${{#{match[1]}[@]}} -gt 0 ]] ||" not in text[match.end() :]
    ]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_an_empty_answer_from_the_registry_stops_the_script(path: Path) -> None:
    assert _unguarded_registry_reads(path.read_text()) == [], path.relative_to(REPO)


def test_the_registry_read_check_sees_a_missing_guard() -> None:
    read = 'read -ra names <<<"$(python3 -m registry names)"\n'
    guard = '[[ ${#names[@]} -gt 0 ]] || { echo "no services" >&2; exit 2; }\n'
    assert _unguarded_registry_reads(read + 'for s in "${names[@]}"; do :; done\n') == ["names"]
    assert _unguarded_registry_reads(guard + read) == ["names"], "the guard must follow the read"
    assert _unguarded_registry_reads(read + guard) == []
    assert any(READS_REGISTRY.search(p.read_text()) for p in SCRIPTS), "the scripts read it"


def test_the_check_sees_the_pattern() -> None:
    assert EARLY_EXIT_IN_PIPE.search('traefik version | grep -q "Version"')
    assert EARLY_EXIT_IN_PIPE.search("kind get clusters | grep -qx name")
    assert EARLY_EXIT_IN_PIPE.search("sort -V | head -1")
    assert not EARLY_EXIT_IN_PIPE.search('grep -q "Version" <<<"$(traefik version)"')
    assert not EARLY_EXIT_IN_PIPE.search("ls | grep -v security")
