"""Runs inside an image, on the image's own `python3` (standard library only): writes to stdout
a tar of the metadata directory (`*.dist-info`, `*.egg-info`) of every Python distribution on
that interpreter's path, and on the path of the interpreter a venv is made from (its packages
are in the image even where the venv cannot import them), with `syspath.json`, the directories
in order. `python -m supplychain.sbom` reads it; nothing else of the image leaves it."""

import io
import json
import os
import subprocess
import sys
import tarfile
from typing import BinaryIO

METADATA_SUFFIXES = (".dist-info", ".egg-info")


def search_path() -> list[str]:
    paths = list(sys.path)
    base = os.path.realpath(sys.executable)
    if base != os.path.abspath(sys.executable):  # a venv's python links to its base's
        listed = subprocess.run(
            [base, "-c", "import json, sys; print(json.dumps(sys.path))"],
            check=True,
            capture_output=True,
            text=True,
        )
        paths += json.loads(listed.stdout)
    unique: list[str] = []
    for path in paths:
        if path and os.path.isabs(path) and os.path.isdir(path) and path not in unique:
            unique.append(path)
    return unique


def write_tar(out: BinaryIO) -> None:
    directories = search_path()
    with tarfile.open(fileobj=out, mode="w|") as tar:
        listing = json.dumps(directories).encode()
        info = tarfile.TarInfo("syspath.json")
        info.size = len(listing)
        tar.addfile(info, io.BytesIO(listing))
        for directory in directories:
            for name in sorted(os.listdir(directory)):
                if name.endswith(METADATA_SUFFIXES):
                    path = os.path.join(directory, name)
                    tar.add(path, arcname="root" + path)


if __name__ == "__main__":
    write_tar(sys.stdout.buffer)
