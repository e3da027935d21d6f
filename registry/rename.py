"""Rename the platform for a fork: new values in [platform] of services.toml, then regenerate.

The table is rewritten as text, one value at a time, so its comments and layout stay; renaming
and renaming back gives the same bytes. Every value is checked and every generated file
rendered before the first write, so a bad value writes nothing.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path

from registry import generate
from registry.services import REPO, RegistryError, parse, platform_error

HEADER = re.compile(r"^\[platform\][ \t]*$", re.MULTILINE)
NEXT_TABLE = re.compile(r"^\[", re.MULTILINE)


def errors(changes: dict[str, str]) -> list[str]:
    """One line for each value that cannot be the platform's."""
    return [e for key, value in changes.items() if (e := platform_error(key, value)) is not None]


def _with_value(value: str) -> Callable[[re.Match[str]], str]:
    # A JSON string is a TOML basic string.
    return lambda match: match.group(1) + json.dumps(value)


def rewrite(text: str, changes: dict[str, str]) -> str:
    """`text` (a services.toml) with the [platform] values in `changes`, the rest as it was."""
    header = HEADER.search(text)
    if header is None:
        raise RegistryError("services.toml has no [platform] table to rewrite")
    following = NEXT_TABLE.search(text, header.end())
    end = following.start() if following else len(text)
    body = text[header.end() : end]
    for key, value in changes.items():
        line = re.compile(rf'^([ \t]*{re.escape(key)}[ \t]*=[ \t]*)"(?:[^"\\\n]|\\.)*"', re.M)
        body, count = line.subn(_with_value(value), body)
        if count != 1:
            raise RegistryError(f'[platform] needs exactly one `{key} = "..."` line')
    return text[: header.end()] + body + text[end:]


def rename(changes: dict[str, str], root: Path = REPO) -> list[str]:
    """Write `changes` into `root`'s services.toml and regenerate; returns the paths changed."""
    if bad := errors(changes):
        raise RegistryError(bad[0])
    path = root / "services.toml"
    text = path.read_text(encoding="utf-8")
    renamed = rewrite(text, changes)
    reg = parse(renamed)
    generate.expected(reg, root)  # a broken marker stops here, before anything is written
    changed = ["services.toml"] if renamed != text else []
    if changed:
        generate.replace_file(path, renamed)
    return changed + generate.write(reg, root)
