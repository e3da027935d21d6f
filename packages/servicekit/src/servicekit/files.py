"""Writing files so that a reader never sees a half-written one."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(target: Path, write: Callable[[Path], object]) -> None:
    """`write` fills a temporary file beside `target`, which then replaces `target` in one step.

    On any failure the temporary file is removed and `target` keeps its previous content.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp creates 0600; models and data must be readable by other users, such as
        # the non-root user a service image runs as.
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
