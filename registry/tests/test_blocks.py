"""Marked blocks are replaced whole, wherever they stand, and a broken marker is named."""

from pathlib import Path

import pytest

from registry.blocks import BlockError, replace, strip_blocks

YAML = Path("x.yaml")
TEXT = """\
a: 1
list:
  # BEGIN GENERATED services: names (make generate)
  - old
  - older
  # END GENERATED services: names
b: 2
"""


def test_the_inside_is_replaced_and_the_rest_kept() -> None:
    out = replace(TEXT, YAML, "names", "  - new\n")
    assert out == TEXT.replace("  - old\n  - older\n", "  - new\n")
    assert replace(out, YAML, "names", "  - new\n") == out, "a second run changes nothing"


def test_a_moved_block_regenerates_in_its_new_place_at_its_own_indentation() -> None:
    moved = "b: 2\nnested:\n  deeper:\n" + "\n".join(
        "  " + line if line.strip() else line for line in TEXT.splitlines()[2:6]
    )
    out = replace(moved, YAML, "names", "    - new")
    assert out.splitlines() == [
        "b: 2", "nested:", "  deeper:",
        "    # BEGIN GENERATED services: names (make generate)",
        "    - new",
        "    # END GENERATED services: names",
    ]  # fmt: skip


def test_an_empty_body_leaves_the_markers_alone_together() -> None:
    out = replace(TEXT, YAML, "names", "")
    assert "  # BEGIN GENERATED services: names (make generate)\n  # END GENERATED" in out


def test_markdown_uses_html_comments() -> None:
    text = (
        "# Title\n<!-- BEGIN GENERATED services: t (make generate) -->\nx\n"
        "<!-- END GENERATED services: t -->\n"
    )
    assert replace(text, Path("README.md"), "t", "y") == text.replace("\nx\n", "\ny\n")


@pytest.mark.parametrize(
    "broken",
    [
        TEXT.replace("  # END GENERATED services: names\n", ""),
        TEXT.replace("  # BEGIN GENERATED services: names (make generate)\n", ""),
        TEXT + TEXT,
        "a: 1\n  # END GENERATED services: names\n  # BEGIN GENERATED services: names\n",
    ],
)
def test_missing_doubled_or_reversed_markers_are_refused_naming_file_and_block(broken: str) -> None:
    with pytest.raises(BlockError, match=r"^x\.yaml: block 'names' needs exactly one BEGIN"):
        replace(broken, YAML, "names", "  - new")


def test_a_block_is_not_confused_with_one_whose_name_it_starts() -> None:
    text = TEXT.replace("services: names", "services: names-more")
    with pytest.raises(BlockError):
        replace(text, YAML, "names", "  - new")


def test_strip_blocks_leaves_what_a_person_wrote() -> None:
    assert strip_blocks(TEXT, YAML) == "a: 1\nlist:\nb: 2\n"
