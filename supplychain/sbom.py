"""`python -m supplychain.sbom IMAGE OUT.cdx.json`: the CycloneDX 1.6 SBOM (JSON) of every Python
distribution installed in a built image, made by the pinned cyclonedx-py from the image's own
package metadata (supplychain/collect.py, run in the image with no network), with the image as its
subject. Exit 2 with one line when the image cannot be read or the result is not valid."""

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from supplychain.provenance import BASE_IMAGE_PROPERTY

COLLECTOR = Path(__file__).with_name("collect.py")
CYCLONEDX_PY = Path(sys.executable).with_name("cyclonedx-py")


class SbomError(Exception):
    """What went wrong, in one line."""


def collect_from_image(image: str) -> bytes:
    """The tar that supplychain/collect.py writes, run by the image's python3."""
    inspect = ["docker", "image", "inspect", "--format", "{{.Id}}", image]
    try:
        found = subprocess.run(inspect, capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        raise SbomError("no docker command on PATH: the image is read by running it") from None
    if not found:
        raise SbomError(f"no image {image} in the local Docker engine (build it first)")
    command = ["docker", "run", "--rm", "-i", "--network", "none", "--entrypoint", "python3"]
    done = subprocess.run(
        [*command, image, "-"], input=COLLECTOR.read_bytes(), capture_output=True, check=False
    )
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        raise SbomError(f"cannot list the Python packages of {image}: {lines[-1]}")
    return done.stdout


def plain_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The archive's files and directories, each under the extraction directory: it comes
    from the image. (tarfile's `filter="data"` does the same from Python 3.11.4 on; Debian 12's
    python3 is 3.11.2.)"""
    members = tar.getmembers()
    for member in members:
        parts = Path(member.name).parts
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise SbomError(f"the image's package metadata holds an unsafe entry: {member.name}")
    return members


def bom_from_metadata(metadata: bytes, subject: dict[str, str]) -> dict[str, Any]:
    """cyclonedx-py's SBOM of the distributions in `metadata` (collect.py's tar), with
    `subject` as the component it describes; checked against the CycloneDX 1.6 schema."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        with tarfile.open(fileobj=BytesIO(metadata)) as tar:
            tar.extractall(work, members=plain_members(tar))
        paths = [str(work / "root") + p for p in json.loads((work / "syspath.json").read_text())]
        # cyclonedx-py asks the interpreter it is given for its sys.path, then reads the
        # metadata there itself: a stand-in answers with the image's path, moved under `work`.
        stand_in = work / "python"
        stand_in.write_text(f"#!/bin/sh\ncat <<'PATHS'\n{json.dumps(paths)}\nPATHS\n")
        stand_in.chmod(0o700)
        out = work / "bom.json"
        options = ["--sv", "1.6", "--of", "JSON", "--output-reproducible", "--no-validate"]
        command = [str(CYCLONEDX_PY), "environment", *options, "-o", str(out), str(stand_in)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SbomError(f"cyclonedx-py failed: {done.stderr.strip().splitlines()[-1:]}")
        bom: dict[str, Any] = json.loads(out.read_text())
    if not bom.get("components"):
        raise SbomError("no Python package found: the image's interpreter lists none")
    bom.setdefault("metadata", {})["component"] = {"bom-ref": "subject", **subject}
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom))
    if error is not None:
        raise SbomError(f"the SBOM is not valid CycloneDX 1.6: {error}")
    return bom


def image_subject(image: str, base: str | None = None) -> dict[str, Any]:
    """The image as the SBOM's subject; `base`, the image it was built on (by digest where a
    registry gave one), as a property (the OCI annotation's name), which the provenance reads."""
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:  # no tag: the colon was a registry's port
        name, tag = image, "latest"
    subject: dict[str, Any] = {"type": "container", "name": name, "version": tag}
    if base:
        subject["properties"] = [{"name": BASE_IMAGE_PROPERTY, "value": base}]
    return subject


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m supplychain.sbom", description=__doc__)
    parser.add_argument("image")
    parser.add_argument("out", type=Path)
    parser.add_argument("--base-image", help="the image it was built on, by digest if known")
    args = parser.parse_args(argv)
    subject = image_subject(args.image, args.base_image)
    try:
        bom = bom_from_metadata(collect_from_image(args.image), subject)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        partial = args.out.with_name(f".{args.out.name}.{os.getpid()}")
        partial.write_text(json.dumps(bom, indent=2, sort_keys=True) + "\n")
        partial.replace(args.out)  # never a half-written SBOM under the final name
    except (SbomError, OSError) as exc:
        print(f"sbom: {exc}", file=sys.stderr)
        return 2
    print(f"    SBOM {args.out}: {len(bom['components'])} Python packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
