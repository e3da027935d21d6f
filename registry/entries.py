"""Add and remove one service's entry in services.toml as text, keeping every comment.

An entry is a `[[service]]` table: it runs from its header to the next `[[service]]` or the
end of the file. Adding appends one after a blank line; removing takes it and that blank line
out, so adding then removing gives back the same bytes.
"""

import json
import re

from registry.services import RegistryError, parse

ENTRY = re.compile(r"^\[\[service\]\]\s*$", re.MULTILINE)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def render_entry(
    name: str, task: str, summary: str, dataset: str, rows: int, test_rows: int, scaling: str
) -> str:
    return (
        "[[service]]\n"
        f"name = {_toml_string(name)}\n"
        f"task = {_toml_string(task)}\n"
        f"summary = {_toml_string(summary)}\n"
        f"dataset = {_toml_string(dataset)}\n"
        f"rows = {rows}\n"
        f"test_rows = {test_rows}\n"
        f"scaling = {_toml_string(scaling)}\n"
    )


def _spans(text: str) -> list[tuple[int, int]]:
    starts = [m.start() for m in ENTRY.finditer(text)]
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


def add(text: str, entry: str) -> str:
    """`text` with `entry` appended; the result must parse (else RegistryError)."""
    out = text.rstrip("\n") + "\n\n" + entry
    parse(out)
    return out


def remove(text: str, name: str) -> str:
    """`text` without the entry of `name` (RegistryError if it has none)."""
    for start, end in _spans(text):
        if parse_name(text[start:end]) == name:
            before = text[:start].rstrip("\n")
            after = text[end:]
            return before + ("\n\n" + after if after else "\n")
    raise RegistryError(f"services.toml has no service {name!r}")


def parse_name(entry: str) -> str | None:
    match = re.search(r'^name\s*=\s*"([^"]*)"', entry, re.MULTILINE)
    return match.group(1) if match else None
