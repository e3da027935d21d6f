"""Images written without a registry: a valid `docker save` archive, the same bytes each time."""

import hashlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path, PurePosixPath

from hostcluster.images import ImageSpec, docker_archive

REPO = Path(__file__).resolve().parents[2]


def _spec(tmp_path: Path) -> ImageSpec:
    binary = tmp_path / "tool"
    binary.write_bytes(b"\x7fELF pretend")
    binary.chmod(0o755)
    return ImageSpec(
        name="example.org/tool:v1.2.3",
        files={PurePosixPath("/usr/local/bin/tool"): binary},
        entrypoint=["/usr/local/bin/tool"],
        user="65532",
        dirs=(PurePosixPath("/tmp"),),
    )


def _members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def test_the_archive_is_a_docker_save_with_a_consistent_config(tmp_path: Path) -> None:
    files = _members(docker_archive(_spec(tmp_path), "amd64"))
    (manifest,) = json.loads(files["manifest.json"])
    assert manifest["RepoTags"] == ["example.org/tool:v1.2.3"]
    layer = files[manifest["Layers"][0]]
    config = json.loads(files[manifest["Config"]])
    # containerd refuses an image whose layer does not hash to the config's diff_id.
    assert config["rootfs"]["diff_ids"] == [f"sha256:{hashlib.sha256(layer).hexdigest()}"]
    assert manifest["Config"] == f"{hashlib.sha256(files[manifest['Config']]).hexdigest()}.json"
    assert config["config"]["Entrypoint"] == ["/usr/local/bin/tool"]
    assert config["config"]["User"] == "65532"
    assert config["architecture"] == "amd64" and config["os"] == "linux"


def test_the_layer_keeps_modes_and_makes_parent_directories(tmp_path: Path) -> None:
    files = _members(docker_archive(_spec(tmp_path), "amd64"))
    (manifest,) = json.loads(files["manifest.json"])
    with tarfile.open(fileobj=__import__("io").BytesIO(files[manifest["Layers"][0]])) as layer:
        entries = {m.name: m for m in layer}
    assert entries["usr/local/bin/tool"].mode == 0o755
    assert entries["usr/local/bin"].isdir()
    assert entries["tmp"].mode == 0o1777  # a writable /tmp, as in every base image
    assert all(m.uid == 0 and m.mtime == 0 for m in entries.values())


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    assert docker_archive(_spec(tmp_path), "amd64") == docker_archive(_spec(tmp_path), "amd64")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hostcluster.images", *args],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_name_without_a_tag_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    done = _cli("--name", "registry.k8s.io/pause", "--add", f"{tmp_path}/f=/f",
                "--entrypoint", "/f", "--out", str(tmp_path / "o.tar"))  # fmt: skip
    assert done.returncode == 2
    assert "needs an explicit tag" in done.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "o.tar").exists()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    done = _cli("--name", "a:b", "--add", f"{tmp_path}/nope=/f", "--entrypoint", "/f",
                "--out", str(tmp_path / "o.tar"))  # fmt: skip
    assert done.returncode == 2
    assert f"no such file: {tmp_path}/nope" in done.stderr
