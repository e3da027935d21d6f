"""API keys: one per client, kept as SHA-256 hashes in a file that can change under a live pod.

The file (a mounted Secret in Kubernetes) has one line per client, `<client> <sha256 hex of
the key>`, and `#` comments. Rotation is an edit of that file: add the client's next key under
a new name, move the client over, remove the old line. The process notices the change (the
kubelet swaps a Secret volume's files atomically) and never needs a restart.

Keys are random tokens from `new_key`, not passwords, so one SHA-256 is the right hash: there is
nothing to guess that a slow hash would protect. A dict lookup by that hash leaks no timing
an attacker can use (they would need SHA-256 preimages to aim at a bucket).
"""

import hashlib
import logging
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("servicekit.keys")

CLIENT_NAME = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
# How often a request may look at the file's identity: a stat a second, not one per request.
RECHECK_SECONDS = 1.0


class KeyFileError(ValueError):
    """The keys file cannot be used; the message names the file and the line."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A key with 256 bits from the OS's generator, safe in a header as it is."""
    return secrets.token_urlsafe(32)


def parse_keys(text: str, source: str) -> dict[str, str]:
    """`{sha256 hex: client}` from the file's text; any bad line refuses the whole file."""
    by_hash: dict[str, str] = {}
    clients: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source} line {number}"
        parts = line.split()
        if len(parts) != 2:
            expected = "expected '<client> <sha256 hex>'"
            raise KeyFileError(f"{where}: {expected}, got {len(parts)} fields")
        client, digest = parts[0], parts[1].lower()
        if not CLIENT_NAME.match(client):
            raise KeyFileError(
                f"{where}: client {client!r} must be lower-case letters, digits, '.', '_' or "
                "'-' (at most 63)"
            )
        if not _HASH.match(digest):
            raise KeyFileError(
                f"{where}: {client}'s hash must be 64 hex digits (sha256 of the key), not the "
                "key itself"
            )
        if client in clients:
            raise KeyFileError(f"{where}: client {client} is listed twice")
        if digest in by_hash:
            raise KeyFileError(f"{where}: {client} has the same key as {by_hash[digest]}")
        clients.add(client)
        by_hash[digest] = client
    return by_hash


@dataclass(frozen=True)
class _Identity:
    """What changes when the file is replaced or edited."""

    device: int
    inode: int
    size: int
    mtime_ns: int


def _identity(path: Path) -> _Identity:
    st = os.stat(path)  # follows the ..data symlink of a Secret volume
    return _Identity(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class ApiKeys:
    """The clients allowed in, by key hash: from a file (re-read when it changes) and/or one
    fixed key (`API_KEY`, client name `default`)."""

    def __init__(
        self,
        path: Path | None = None,
        fixed: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_reload_failure: Callable[[], None] = lambda: None,
    ) -> None:
        self.path = path
        self._fixed = dict(fixed or {})
        self._clock = clock
        self._from_file: dict[str, str] = {}
        self._identity: _Identity | None = None
        self._checked_at = float("-inf")
        self._on_reload_failure = on_reload_failure
        if path is not None:
            self._load(path)  # at start a bad or missing file is an error, not an empty list

    def _load(self, path: Path) -> None:
        try:
            identity = _identity(path)
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyFileError(f"{path}: the keys file does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFileError(f"{path}: cannot read the keys file: {exc}") from None
        by_hash = parse_keys(text, str(path))
        overlap = by_hash.keys() & self._fixed.keys()
        if overlap:
            raise KeyFileError(f"{path}: a key in it is also the API_KEY")
        self._from_file, self._identity = by_hash, identity

    def _refresh(self) -> None:
        now = self._clock()
        if self.path is None or now - self._checked_at < RECHECK_SECONDS:
            return
        self._checked_at = now
        try:
            if _identity(self.path) == self._identity:
                return
            previous = set(self._from_file.values())
            self._load(self.path)
        except (KeyFileError, OSError) as exc:
            # Keep serving the clients we had: a half-edited file must not lock everyone out.
            self._on_reload_failure()
            log.error("keys file not reloaded; the previous keys stay", extra={"reason": str(exc)})
            return
        current = set(self._from_file.values())
        log.warning(
            "keys file reloaded",
            extra={"added": sorted(current - previous), "removed": sorted(previous - current)},
        )

    def client(self, key: str) -> str | None:
        """The client this key belongs to, or None."""
        self._refresh()
        digest = hash_key(key)
        return self._fixed.get(digest) or self._from_file.get(digest)

    @property
    def clients(self) -> list[str]:
        self._refresh()
        return sorted({*self._fixed.values(), *self._from_file.values()})


def main(argv: list[str] | None = None) -> int:
    """`python -m servicekit.keys new CLIENT`: a new key on stdout's first line, the line for
    the keys file on the second. `python -m servicekit.keys check FILE`: validate a file."""
    args = sys.argv[1:] if argv is None else argv
    usage = "usage: python -m servicekit.keys new CLIENT | check FILE"
    if len(args) != 2 or args[0] not in ("new", "check"):
        print(usage, file=sys.stderr)
        return 2
    command, value = args
    if command == "new":
        if not CLIENT_NAME.match(value):
            print(f"error: client {value!r} must be lower-case letters, digits, '.', '_' or '-'",
                  file=sys.stderr)  # fmt: skip
            return 2
        key = new_key()
        print(key)
        print(f"{value} {hash_key(key)}")
        return 0
    try:
        clients = ApiKeys(Path(value)).clients
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{value}: {len(clients)} clients: {', '.join(clients) or '(none)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
