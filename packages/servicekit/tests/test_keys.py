"""The keys file: what it accepts, what it refuses (by line), and how it changes under a live
process the way a Kubernetes Secret volume changes (an atomic swap of a ..data symlink)."""

import logging
import os
from pathlib import Path

import pytest

from servicekit.keys import RECHECK_SECONDS, ApiKeys, KeyFileError, hash_key, main, parse_keys


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += RECHECK_SECONDS


def test_a_file_maps_each_key_hash_to_its_client() -> None:
    text = f"""# clients of the churn API
web-shop {hash_key("k1")}   # since 2026-12 # ticket OPS-1
batch.scoring_2 {hash_key("k2").upper()}

"""
    assert parse_keys(text, "keys") == {
        hash_key("k1"): "web-shop",
        hash_key("k2"): "batch.scoring_2",
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"web {hash_key('a')} extra", "keys line 2: expected '<client> <sha256 hex>', got 3"),
        ("web", "keys line 2: expected '<client> <sha256 hex>', got 1 fields"),
        (f"Web {hash_key('a')}", "keys line 2: client 'Web' must be lower-case letters, digits, "
                                 "'.', '_' or '-' (at most 63)"),
        (f"-web {hash_key('a')}", "keys line 2: client '-web' must be lower-case letters"),
        ("web my-plain-key", "keys line 2: web's hash must be 64 hex digits (sha256 of the key), "
                             "not the key itself"),
        (f"ok {hash_key('b')}", "keys line 2: client ok is listed twice"),
        (f"other {hash_key('a')}", "keys line 2: other has the same key as ok"),
    ],
)  # fmt: skip
def test_a_bad_line_refuses_the_whole_file_and_names_the_line(line: str, message: str) -> None:
    first = f"ok {hash_key('a')}" if "twice" in message or "same key" in message else "# header"
    with pytest.raises(KeyFileError) as raised:
        parse_keys(f"{first}\n{line}\n", "keys")
    assert str(raised.value).startswith(message)
    if message.endswith(("(at most 63)", "not the key itself")):  # the whole message
        assert str(raised.value) == message


def _secret_volume(root: Path, text: str, version: int) -> Path:
    """Write the file the way the kubelet does: a new directory, then one rename of ..data."""
    data = root / f"..{version}"
    data.mkdir()
    (data / "api-keys").write_text(text)
    link = root / "..data_tmp"
    link.symlink_to(data.name)
    os.replace(link, root / "..data")
    visible = root / "api-keys"
    if not visible.is_symlink():
        visible.symlink_to("..data/api-keys")
    return visible


def test_keys_rotate_when_the_secret_volume_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock, failures = Clock(), []
    path = _secret_volume(tmp_path, f"app {hash_key('old')}\n", 1)
    keys = ApiKeys(path, clock=clock, on_reload_failure=lambda: failures.append(1))
    assert keys.client("old") == "app" and keys.client("new") is None

    # Step 1 of a rotation: the next key under a second name, the old one still valid.
    _secret_volume(tmp_path, f"app {hash_key('old')}\napp-2 {hash_key('new')}\n", 2)
    assert keys.client("new") is None  # not looked at again within RECHECK_SECONDS
    clock.tick()
    with caplog.at_level(logging.WARNING):
        assert (keys.client("new"), keys.client("old")) == ("app-2", "app")
    reloaded = caplog.records[-1]
    assert (reloaded.getMessage(), reloaded.added, reloaded.removed) == (
        "keys file reloaded",
        ["app-2"],
        [],
    )

    # Step 2: the old line goes.
    _secret_volume(tmp_path, f"app-2 {hash_key('new')}\n", 3)
    clock.tick()
    assert (keys.client("new"), keys.client("old")) == ("app-2", None)

    # A broken edit keeps the keys in force and is counted, not a lock-out.
    _secret_volume(tmp_path, "app-3 the-plain-key\n", 4)
    clock.tick()
    with caplog.at_level(logging.ERROR):
        assert keys.client("new") == "app-2"
    assert failures == [1]
    assert caplog.records[-1].getMessage() == "keys file not reloaded; the previous keys stay"
    assert "app-3's hash must be 64 hex digits" in caplog.records[-1].reason
    assert keys.clients == ["app-2"]


def test_a_fixed_key_and_a_file_together(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"web {hash_key('w')}\n")
    keys = ApiKeys(path, {hash_key("d"): "default"})
    assert (keys.client("w"), keys.client("d"), keys.client("x")) == ("web", "default", None)
    path.write_text(f"web {hash_key('d')}\n")
    with pytest.raises(KeyFileError, match="a key in it is also the API_KEY"):
        ApiKeys(path, {hash_key("d"): "default"})


def test_a_missing_file_at_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"absent: the keys file does not exist$"):
        ApiKeys(tmp_path / "absent")


def test_the_command_makes_a_key_and_its_line_and_checks_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["new", "web-shop"]) == 0
    key, line = capsys.readouterr().out.splitlines()
    assert len(key) == 43 and line == f"web-shop {hash_key(key)}"  # 32 bytes, base64url
    path = tmp_path / "keys"
    path.write_text(line + "\n")
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: 1 clients: web-shop\n"
    path.write_text(f"web-shop {key}\n")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} line 1: web-shop's hash must be 64 hex digits")
    assert err.count("\n") == 1
    assert main(["new", "Bad Name"]) == 2
    assert capsys.readouterr().err == (
        "error: client 'Bad Name' must be lower-case letters, digits, '.', '_' or '-'\n"
    )
    usage = "usage: python -m servicekit.keys new CLIENT | check FILE\n"
    assert main([]) == 2
    assert capsys.readouterr() == ("", usage)
    path.write_text(f"b {hash_key('1')}\na {hash_key('2')}\n")
    monkeypatch.setattr("sys.argv", ["keys", "check", str(path)])
    assert main() == 0
    assert capsys.readouterr().out == f"{path}: 2 clients: a, b\n"
    path.write_text("# nobody yet\n")
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: 0 clients: (none)\n"


def test_an_unreadable_keys_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"^.*: cannot read the keys file: "):
        ApiKeys(tmp_path)  # a directory


def test_a_change_is_seen_by_inode_by_size_or_by_time(tmp_path: Path) -> None:
    """Each of the three tells a change alone: a file swapped in with the same size and time,
    one rewritten in place to another size with its time put back, one rewritten in place to
    the same size at another time."""
    clock = Clock()
    path = tmp_path / "keys"
    path.write_text(f"aa {hash_key('1')}\n")
    keys = ApiKeys(path, clock=clock)
    stamp = path.stat().st_mtime_ns

    swapped = tmp_path / "next"
    swapped.write_text(f"bb {hash_key('1')}\n")  # the same size
    os.utime(swapped, ns=(stamp, stamp))
    os.replace(swapped, path)
    clock.tick()
    assert keys.clients == ["bb"]

    stamp = path.stat().st_mtime_ns
    path.write_text(f"ccc {hash_key('1')}\n")
    os.utime(path, ns=(stamp, stamp))
    clock.tick()
    assert keys.clients == ["ccc"]

    path.write_text(f"ddd {hash_key('1')}\n")
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))
    clock.tick()
    assert keys.clients == ["ddd"]
