"""Marked blocks: the generated part of a file that is otherwise kept by hand.

A block sits between two marker lines, in the file's own comment syntax:

    # BEGIN GENERATED services: <id> (make generate)
    ...
    # END GENERATED services: <id>

The whole block is replaced on every run, never appended to, so a block that moved within its
file, or whose neighbours changed, still regenerates to the same text.
"""

import re
from pathlib import Path

# Comment syntax by suffix or file name: (opening, closing).
COMMENTS = {
    ".md": ("<!--", " -->"),
}
DEFAULT_COMMENT = ("#", "")
BEGIN = "BEGIN GENERATED services: "
END = "END GENERATED services: "


class BlockError(ValueError):
    """A file's markers are missing or malformed; the message names the file and block."""


def comment_of(path: Path) -> tuple[str, str]:
    return COMMENTS.get(path.suffix, DEFAULT_COMMENT)


def _marker(path: Path, indent: str, word: str, block: str) -> str:
    opening, closing = comment_of(path)
    suffix = " (make generate)" if word == BEGIN else ""
    return f"{indent}{opening} {word}{block}{suffix}{closing}"


def _find(lines: list[str], path: Path, block: str) -> tuple[int, int, str]:
    """(begin line, end line, indentation) of `block` in `lines`."""
    opening, _ = comment_of(path)
    begin_re = re.compile(rf"^(\s*){re.escape(opening)} {re.escape(BEGIN + block)}(?=\s|$)")
    end_re = re.compile(rf"^\s*{re.escape(opening)} {re.escape(END + block)}(?=\s|$)")
    begins = [i for i, line in enumerate(lines) if begin_re.match(line)]
    ends = [i for i, line in enumerate(lines) if end_re.match(line)]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise BlockError(
            f"{path}: block {block!r} needs exactly one BEGIN and one later END marker "
            f"(found {len(begins)} and {len(ends)})"
        )
    match = begin_re.match(lines[begins[0]])
    assert match is not None
    return begins[0], ends[0], match.group(1)


def replace(text: str, path: Path, block: str, body: str) -> str:
    """`text` with the inside of `block` replaced by `body` (lines, without markers)."""
    lines = text.split("\n")
    begin, end, indent = _find(lines, path, block)
    inner = [line.rstrip() for line in body.rstrip("\n").split("\n")] if body.strip() else []
    new = [
        *lines[:begin],
        _marker(path, indent, BEGIN, block),
        *inner,
        _marker(path, indent, END, block),
        *lines[end + 1 :],
    ]
    return "\n".join(new)


def strip_blocks(text: str, path: Path) -> str:
    """`text` without any generated block (markers included): what a person wrote."""
    opening, _ = comment_of(path)
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(f"{opening} {BEGIN}"):
            inside = True
        elif stripped.startswith(f"{opening} {END}"):
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)
