"""An entry added to services.toml and removed again gives back the same bytes and comments."""

import pytest

from registry.entries import add, remove, render_entry
from registry.services import REGISTRY_FILE, RegistryError, parse

ENTRY = render_entry("vintage", "binary", 'a "quoted" summary', "*wine.csv* → `y`", 178, 2000, "s")


def test_adding_then_removing_restores_every_byte() -> None:
    text = REGISTRY_FILE.read_text()
    grown = add(text, ENTRY)
    reg = parse(grown)
    assert reg.names[-1] == "vintage" and reg.get("vintage").summary == 'a "quoted" summary'
    assert grown.startswith(text.rstrip("\n")), "comments and entries before it are kept"
    assert remove(grown, "vintage") == text


def test_removing_an_entry_in_the_middle_keeps_its_neighbours() -> None:
    text = REGISTRY_FILE.read_text()
    first, second, *rest = parse(text).names
    smaller = parse(remove(text, second))
    assert smaller.names == (first, *rest)
    assert smaller.get(first) == parse(text).get(first)


def test_a_name_it_does_not_have_or_an_entry_that_breaks_the_registry_is_refused() -> None:
    text = REGISTRY_FILE.read_text()
    with pytest.raises(RegistryError, match="has no service 'nope'"):
        remove(text, "nope")
    with pytest.raises(RegistryError, match="more than once"):
        add(text, ENTRY.replace('"vintage"', f'"{parse(text).names[0]}"'))
