"""No file states the platform's own names by hand: each is read from [platform] of
services.toml when it runs, or generated, so that `make rename` reaches every place.

A name counts where it stands alone (`namespace: NAME`, `PREFIX/<service>`), not inside a
longer identifier the platform keeps across renames (`NAME-config`, `NAME-services`,
`node.NAME/pool`, `NAME-hostcluster`); Terraform's prefix also where it starts an AWS name
(`PREFIX-prod`, `PREFIX-terraform-state`). Prose (Markdown) and generated text are not
counted, nor the test data of Terraform's suites and of the registry's own tests.
"""

import re
from pathlib import Path

from registry import generate
from registry.blocks import strip_blocks
from registry.services import REPO, Platform, platform, registry
from registry.tests.test_no_hand_lists import tracked_files

EXEMPT_NAMES = {"uv.lock", "services.toml"}
EXEMPT_SUFFIXES = (".md", ".tftest.hcl")
# Test data: names of their own for Terraform's modules, a rename's target, the guard's examples.
EXEMPT_PREFIXES = ("terraform/tests/", "registry/tests/")


def _alone(value: str) -> str:
    return rf"(?<![\w.-]){re.escape(value)}(?![\w.-])"


def pattern(names: Platform) -> re.Pattern[str]:
    """What any of the platform's names looks like where a file states it."""
    tf = re.escape(names.terraform_prefix)
    values = sorted({names.project, names.namespace, names.domain, names.image_prefix,
                     names.terraform_prefix}, key=len, reverse=True)  # fmt: skip
    aws = rf"(?<![\w.-]){tf}-(dev|staging|prod|terraform-state)\b"
    return re.compile("|".join([*map(_alone, values), aws]))


def stated(text: str, path: Path, names: Platform) -> list[str]:
    """`line: text` of each line of `text` that states a platform name outside generated text."""
    found = pattern(names)
    return [
        f"{number}: {line.strip()}"
        for number, line in enumerate(strip_blocks(text, path).split("\n"), start=1)
        if found.search(line)
    ]


def hand_names(root: Path = REPO) -> dict[str, list[str]]:
    whole = set(generate.expected(registry(), root)) - {b.path for b in generate.BLOCKS}
    found: dict[str, list[str]] = {}
    for path in tracked_files():
        if (path in whole or Path(path).name in EXEMPT_NAMES or path.endswith(EXEMPT_SUFFIXES)
                or path.startswith(EXEMPT_PREFIXES)):  # fmt: skip
            continue
        try:
            text = (root / path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if lines := stated(text, Path(path), platform()):
            found[path] = lines
    return found


def test_no_file_states_a_platform_name_by_hand() -> None:
    found = hand_names()
    assert not found, (
        "read these from the registry (`python3 -m registry platform FIELD`, "
        "registry.platform()) or generate them (a marked block): "
        + "; ".join(f"{path} line {lines[0]}" for path, lines in sorted(found.items()))
    )


def test_the_check_finds_a_stated_name_and_not_a_longer_identifier() -> None:
    names = Platform("acme", "acme-ml", "ml.acme.io", "ghcr.io/acme", "acmetf")
    yaml = Path("x.yaml")
    for line in ("namespace: acme-ml", "image: ghcr.io/acme/x:1", "host: ml.acme.io",
                 "labels: {part-of: acme}", "bucket = \"acmetf-terraform-state-1\"",
                 "CLUSTER_NAME=acmetf-prod", "key: acmetf/prod/api"):  # fmt: skip
        assert stated(line + "\n", yaml, names) == [f"1: {line}"], line
    for line in ("name: acme-config", "label: node.acme/pool", "ENV: ACME_MODELS",
                 "name: acme-ml-quota", "cluster: acmetf-test"):  # fmt: skip
        assert stated(line + "\n", yaml, names) == [], line
    block = (
        "# BEGIN GENERATED services: ns (make generate)\nnamespace: acme-ml\n"
        "# END GENERATED services: ns\n"
    )
    assert stated(block, yaml, names) == []
