"""supplychain/collect.py and supplychain/sbom.py without Docker: the collector run by this
interpreter, and the pinned cyclonedx-py reading what it collected (tests/containers runs both
on the built images)."""

import io
import json
import re
import subprocess
import sys
import tarfile
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from supplychain.collect import METADATA_SUFFIXES
from supplychain.provenance import base_image
from supplychain.sbom import COLLECTOR, SbomError, bom_from_metadata, image_subject, main

SUBJECT = {"type": "container", "name": "acme/churn", "version": "abc123"}


@pytest.fixture(scope="module")
def collected() -> bytes:
    """What the collector writes when this venv's python runs it, as an image's would."""
    script = COLLECTOR.read_bytes()
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_collector_sends_only_package_metadata_and_the_path(collected: bytes) -> None:
    with tarfile.open(fileobj=io.BytesIO(collected)) as tar:
        names = tar.getnames()
        path = json.load(tar.extractfile("syspath.json"))  # type: ignore[arg-type]
    assert sys.prefix + f"/lib/python3.{sys.version_info.minor}/site-packages" in path
    tops = set()
    for name in (n for n in names if n != "syspath.json"):
        # root/<a directory of the path>/<top>/...: each top is a metadata directory (the
        # path may hold a directory and one inside it: the deepest is the entry's own).
        directory = max((d for d in path if name.startswith(f"root{d}/")), key=len)
        tops.add(name.removeprefix(f"root{directory}/").split("/")[0])
    assert tops and all(top.endswith(METADATA_SUFFIXES) for top in tops), sorted(tops)[:5]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("../escape", tarfile.REGTYPE), ("/etc/x", tarfile.REGTYPE), ("root/a/l", tarfile.SYMTYPE)],
)
def test_an_archive_entry_that_is_not_a_plain_file_below_the_directory_is_refused(
    name: str, kind: bytes
) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for entry, entry_kind in [("syspath.json", tarfile.REGTYPE), (name, kind)]:
            info = tarfile.TarInfo(entry)
            info.type = entry_kind
            tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(SbomError, match=f"unsafe entry: {re.escape(name)}$"):
        bom_from_metadata(buffer.getvalue(), SUBJECT)


def test_the_sbom_lists_every_distribution_on_the_path_at_its_version(collected: bytes) -> None:
    with tarfile.open(fileobj=io.BytesIO(collected)) as tar:
        path = json.load(tar.extractfile("syspath.json"))  # type: ignore[arg-type]
    found = distributions(path=path)
    expected = {(canonicalize_name(d.metadata["Name"]), d.version) for d in found}
    bom = bom_from_metadata(collected, SUBJECT)
    listed = {(canonicalize_name(c["name"]), c["version"]) for c in bom["components"]}
    assert listed == expected
    assert ("numpy", __import__("numpy").__version__) in listed
    assert bom["specVersion"] == "1.6"
    assert bom["metadata"]["component"] == {"bom-ref": "subject", **SUBJECT}


def test_no_package_at_all_is_an_error_not_an_empty_sbom(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        listing = json.dumps([str(tmp_path)]).encode()
        info = tarfile.TarInfo("syspath.json")
        info.size = len(listing)
        tar.addfile(info, io.BytesIO(listing))
    with pytest.raises(SbomError, match="no Python package found"):
        bom_from_metadata(buffer.getvalue(), SUBJECT)


@pytest.mark.parametrize(
    ("image", "name", "version"),
    [
        ("acme/churn:sha-1", "acme/churn", "sha-1"),
        ("registry:5000/team/api:v2", "registry:5000/team/api", "v2"),
        ("registry:5000/team/api", "registry:5000/team/api", "latest"),
    ],
)
def test_the_subject_is_the_image_name_and_tag(image: str, name: str, version: str) -> None:
    assert image_subject(image) == {"type": "container", "name": name, "version": version}


def test_the_base_image_is_a_property_of_the_subject_that_the_provenance_reads(
    collected: bytes, tmp_path: Path
) -> None:
    subject = image_subject("acme/churn:v1", "python@sha256:" + "c" * 64)
    path = tmp_path / "churn.cdx.json"
    path.write_text(json.dumps(bom_from_metadata(collected, subject)))  # still valid CycloneDX
    assert base_image(path) == "python@sha256:" + "c" * 64


def test_an_image_that_cannot_be_read_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no docker at all: as on a host without one
    assert main(["acme/none:1", str(tmp_path / "out.json")]) == 2
    assert not (tmp_path / "out.json").exists()
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "sbom: no docker command on PATH: the image is read by running it\n"
