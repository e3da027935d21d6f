"""Write a single-layer container image as a `docker save` archive, without a registry or a
Docker engine: the host cluster's third-party images (pause, Traefik, metrics-server,
Prometheus) are one static binary each, built here at the version the manifests pin.

    python -m hostcluster.images --name traefik:v3.7.15 \
        --add /path/to/traefik=/usr/local/bin/traefik --entrypoint /usr/local/bin/traefik \
        --user 65532 --out traefik.tar

The archive is reproducible (fixed mtimes and owners, sorted entries), so the same inputs give
the same image ID. `ctr images import` reads it into containerd.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

EPOCH = 0  # reproducible: every entry and the config carry the same fixed time
DEFAULT_PATH = "PATH=/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class ImageSpec:
    """What goes into the image: files (host path -> absolute path inside) and its config."""

    name: str
    files: dict[PurePosixPath, Path]
    entrypoint: list[str]
    cmd: list[str] = field(default_factory=list)
    user: str = ""
    workdir: str = ""
    dirs: tuple[PurePosixPath, ...] = ()  # empty directories (mode 1777 for /tmp, else 0755)
    env: tuple[str, ...] = (DEFAULT_PATH,)


def _add_dir(tar: tarfile.TarFile, path: str, seen: set[str]) -> None:
    parts = PurePosixPath(path).parts
    for i in range(1, len(parts) + 1):
        sub = "/".join(parts[:i])
        if sub in seen:
            continue
        seen.add(sub)
        info = tarfile.TarInfo(sub)
        info.type, info.mtime = tarfile.DIRTYPE, EPOCH
        info.mode = 0o1777 if sub == "tmp" else 0o755
        tar.addfile(info)


def layer_tar(spec: ImageSpec) -> bytes:
    """The image's one layer: parent directories first, then files, in sorted order."""
    buf = io.BytesIO()
    seen: set[str] = set()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for inside in sorted([*spec.files, *spec.dirs]):
            if not inside.is_absolute():
                raise ValueError(f"image paths must be absolute: {inside}")
            rel = str(inside.relative_to("/"))
            if inside in spec.dirs:
                _add_dir(tar, rel, seen)
                continue
            if "/" in rel:
                _add_dir(tar, str(PurePosixPath(rel).parent), seen)
            source = spec.files[inside]
            data = source.read_bytes()
            info = tarfile.TarInfo(rel)
            info.size, info.mtime = len(data), EPOCH
            info.mode = 0o755 if source.stat().st_mode & 0o111 else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def config_json(spec: ImageSpec, diff_id: str, architecture: str) -> bytes:
    config: dict[str, object] = {"Env": list(spec.env), "Entrypoint": spec.entrypoint}
    if spec.cmd:
        config["Cmd"] = spec.cmd
    if spec.user:
        config["User"] = spec.user
    if spec.workdir:
        config["WorkingDir"] = spec.workdir
    document = {
        "architecture": architecture,
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "hostcluster/images.py"}],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def docker_archive(spec: ImageSpec, machine: str) -> bytes:
    """A `docker save` archive: manifest.json, the config blob and the layer."""
    layer = layer_tar(spec)
    layer_id = hashlib.sha256(layer).hexdigest()
    config_bytes = config_json(spec, f"sha256:{layer_id}", machine)
    config_id = hashlib.sha256(config_bytes).hexdigest()
    manifest = [
        {
            "Config": f"{config_id}.json",
            "RepoTags": [spec.name],
            "Layers": [f"{layer_id}/layer.tar"],
        }
    ]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in (
            (f"{config_id}.json", config_bytes),
            (f"{layer_id}/layer.tar", layer),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), EPOCH
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _parse_add(value: str) -> tuple[PurePosixPath, Path]:
    source, sep, inside = value.partition("=")
    if not sep or not inside.startswith("/"):
        raise argparse.ArgumentTypeError(f"--add wants HOST_PATH=/ABSOLUTE/PATH, got '{value}'")
    path = Path(source)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"--add: no such file: {source}")
    return PurePosixPath(inside), path


def main(argv: list[str] | None = None) -> int:
    import platform

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="image reference, e.g. traefik:v3.7.15")
    parser.add_argument("--add", type=_parse_add, action="append", default=[], required=True)
    parser.add_argument("--dir", action="append", default=[], help="empty directory to create")
    # One word per flag; write --cmd=--flag for words that start with a dash.
    parser.add_argument("--entrypoint", required=True, action="append")
    parser.add_argument("--cmd", action="append", default=[])
    parser.add_argument("--user", default="")
    parser.add_argument("--workdir", default="")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if ":" not in args.name.rsplit("/", 1)[-1]:
        parser.error(f"--name needs an explicit tag (a bare name means :latest): {args.name}")
    spec = ImageSpec(
        name=args.name,
        files=dict(args.add),
        entrypoint=args.entrypoint,
        cmd=args.cmd,
        user=args.user,
        workdir=args.workdir,
        dirs=tuple(PurePosixPath(d) for d in args.dir),
    )
    machine = GOARCH.get(platform.machine(), platform.machine())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(docker_archive(spec, machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
