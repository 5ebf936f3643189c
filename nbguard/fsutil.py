"""Atomic writes: a temp file in the same folder, fsync, rename. A failure leaves the old file."""

from __future__ import annotations

import os
import tempfile


def atomic_write(path: str, data: str | bytes, mode: int | None = None, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` in one step. ``durable=False`` skips the fsync: still atomic
    for readers, but a power loss may leave an empty file (the cache validates its entries)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".nbguard-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
