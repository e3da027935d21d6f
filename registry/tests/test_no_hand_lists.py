"""No file lists services by hand: every list of them is read from services.toml or generated.

A file outside a service's own folder may name one registered service (an example in a test, a
default in a comment), never two: a second name is how a hand-kept list starts, and a hand list
is the one a fourth service misses. Prose (Markdown) and the generated parts are not counted.
"""

import re
import subprocess
from pathlib import Path

from registry import generate
from registry.blocks import strip_blocks
from registry.services import REPO, registry

# Not lists: each service's own code, its committed HTTP contract, the lock file, prose.
EXEMPT_PREFIXES = ("docs/openapi/",)
EXEMPT_NAMES = {"uv.lock", "services.toml"}
EXEMPT_SUFFIXES = (".md",)


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout  # fmt: skip
    return [f for f in out.splitlines() if (REPO / f).is_file()]


def named(text: str, path: Path) -> list[str]:
    """The registered services that `text` names outside its generated blocks."""
    pattern = re.compile(rf"\b({'|'.join(map(re.escape, registry().names))})\b", re.IGNORECASE)
    return sorted({m.lower() for m in pattern.findall(strip_blocks(text, path))})


def hand_lists(root: Path = REPO) -> dict[str, list[str]]:
    """Files that name two or more registered services outside generated text, with the names."""
    reg = registry()
    generated = generate.expected(reg, root)
    whole = set(generated) - {b.path for b in generate.BLOCKS}
    own = tuple(f"services/{name}/" for name in reg.names)
    found: dict[str, list[str]] = {}
    for path in tracked_files():
        if (path in whole or path.startswith(own + EXEMPT_PREFIXES)
                or Path(path).name in EXEMPT_NAMES or path.endswith(EXEMPT_SUFFIXES)):  # fmt: skip
            continue
        try:
            text = (root / path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        names = named(text, Path(path))
        if len(names) >= 2:
            found[path] = names
    return found


def test_no_file_lists_services_by_hand() -> None:
    found = hand_lists()
    assert not found, "read these from the registry (registry.names(), `python3 -m registry " \
        "names`) or generate them (registry/generate.py): " + "; ".join(
            f"{path} names {', '.join(names)}" for path, names in sorted(found.items())
        )  # fmt: skip


def test_the_check_finds_a_hand_list() -> None:
    """The guard itself: two names in any case are found, the same inside a block are not."""
    a, b = registry().names[:2]
    script = Path("x.sh")
    assert named(f"for s in {a} {b.upper()}; do echo $s; done\n", script) == sorted([a, b])
    assert named(f"SERVICES = ('{a}x', 'x{b}')\n", Path("x.py")) == []
    block = (
        f"# BEGIN GENERATED services: x (make generate)\nfor s in {a} {b}; do :; done\n"
        "# END GENERATED services: x\n"
    )
    assert named(block + f"echo {a}\n", script) == [a]
