"""services.toml read and checked: what a fork may write, and one clear line for what it may not."""

import subprocess
import sys
from pathlib import Path

import pytest

from registry.services import REGISTRY_FILE, RegistryError, load, parse, registry

REPO = Path(__file__).resolve().parents[2]

ONE = """
[platform]
project = "acme"
namespace = "acme-ml"
domain = "ml.acme.io"
image_prefix = "ghcr.io/acme/ml"
terraform_prefix = "acme"

[defaults.hpa]
min = 2
max = 4
prod_min = 2

[defaults.resources]
cpu_request = "250m"
memory_request = "128Mi"
cpu_limit = "1"
memory_limit = "256Mi"

[[service]]
name = "{name}"
task = "{task}"
summary = "s"
dataset = "d"
rows = 100
test_rows = 100
scaling = "why"
{extra}
"""


def _one(name: str = "wine", task: str = "multiclass", extra: str = "") -> str:
    return ONE.format(name=name, task=task, extra=extra)


def test_the_repository_registry_lists_every_service_folder_in_order() -> None:
    reg = registry()
    folders = {p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").is_file()}
    assert set(reg.names) == folders
    text = REGISTRY_FILE.read_text()
    assert sorted(reg.names, key=text.index) == list(reg.names), "registry order is file order"
    assert [reg.port(n) for n in reg.names] == list(range(8001, 8001 + len(reg.names)))


def test_defaults_fill_what_a_service_leaves_out_and_its_own_values_win() -> None:
    reg = parse(_one(extra='hpa = { max = 6 }\nresources = { memory_limit = "512Mi" }'))
    (wine,) = reg.services
    assert (wine.hpa.min, wine.hpa.max, wine.hpa.prod_min) == (2, 6, 2)
    assert wine.resources.memory_limit == "512Mi" and wine.resources.cpu_request == "250m"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_one(name="Wine"), "must be 2-31 lowercase letters and digits"),
        (_one(name="red-wine"), "must be 2-31 lowercase letters and digits"),
        (_one(name="9lives"), "must be 2-31 lowercase letters and digits"),
        (_one(name="a" * 32), "must be 2-31 lowercase letters and digits"),
        (_one(name="prometheus"), "is taken by the platform itself"),
        (_one(task="ranking"), "task must be one of binary, multiclass, regression"),
        (_one(extra="hpa = { min = 5, max = 4 }"), "min and prod_min must not exceed max"),
        (_one(extra="hpa = { min = 0 }"), "min must be a whole number >= 1"),
        (_one(extra='resources = { cpu_request = "lots" }'), "cpu_request 'lots' does not match"),
        (_one(extra="owner = 'me'"), "unknown keys owner"),
        (_one().replace('summary = "s"', ""), "summary must be a non-empty string"),
        (_one() + _one().split("[[service]]")[1].join(["[[service]]", ""]), "more than once"),
        ("[[service]\n", "not valid TOML"),
        ("[defaults]\n", "lists no [[service]]"),
        (_one().split("[defaults.hpa]")[1].join(["[defaults.hpa]", ""]), "has no [platform]"),
        (_one().replace('domain = "ml.acme.io"\n', ""), "[platform] lacks domain"),
        (_one().replace("[platform]\n", "[platform]\nowner = 'me'\n"), "[platform] has no 'owner'"),
        (_one().replace('"acme-ml"', '"kube-system"'), "namespace 'kube-system' belongs to"),
    ],
)
def test_a_bad_registry_is_refused_with_one_line_that_says_why(text: str, message: str) -> None:
    with pytest.raises(RegistryError, match=r"^[^\n]+$") as caught:
        parse(text)
    assert message in str(caught.value)


def test_an_unknown_service_is_named_with_the_ones_that_exist() -> None:
    with pytest.raises(RegistryError, match=r"no service 'nope' in services.toml \(have: wine\)"):
        parse(_one()).get("nope")


def test_names_and_fields_need_only_the_standard_library(tmp_path: Path) -> None:
    """The Makefile asks before the workspace exists: `-S` keeps site-packages away."""
    run = [sys.executable, "-S", "-m", "registry"]
    names = subprocess.run([*run, "names"], cwd=REPO, capture_output=True, text=True, check=True)
    assert names.stdout.split() == list(registry().names)
    first = registry().services[0]
    rows = subprocess.run([*run, "get", first.name, "rows"], cwd=REPO, capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert rows.stdout.strip() == str(first.rows)
    hpa = subprocess.run([*run, "get", first.name, "hpa.max"], cwd=REPO, capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert hpa.stdout.strip() == str(first.hpa.max)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "nope", "rows"], "registry: no service 'nope' in services.toml"),
        (["get", "{first}", "colour"], "registry: service {first} has no field 'colour'"),
    ],
)
def test_the_cli_exits_2_with_one_line(args: list[str], message: str) -> None:
    first = registry().names[0]
    args = [a.format(first=first) for a in args]
    done = subprocess.run([sys.executable, "-m", "registry", *args], cwd=REPO,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(message.format(first=first))


def test_an_unreadable_registry_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"cannot read .*services\.toml"):
        load(tmp_path / "services.toml")
