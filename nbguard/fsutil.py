"""Atomic writes: a temp file in the same folder, fsync, rename. A failure leaves the old file."""

from __future__ import annotations

import contextlib
import os
import signal
import threading

# The signals that interrupt a run (Ctrl-C, and SIGTERM from CI runners and process managers).
INTERRUPT_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s)


@contextlib.contextmanager
def _signals_deferred():
    """Hold SIGINT/SIGTERM while a temp file exists without its cleanup armed.

    Python raises KeyboardInterrupt between any two bytecodes, also between ``mkstemp`` creating
    the file and the ``try`` that would remove it; a signal held here takes effect on exit, after
    the file was renamed or removed. The main thread blocks them at the OS level, and their Python
    handlers only note them meanwhile: in a process with other threads (a Dask client's) the OS
    may hand a process-directed signal to a thread that does not block it, and the main thread
    would still run the handler at once. Only the main thread runs Python signal handlers."""
    if not INTERRUPT_SIGNALS or not hasattr(signal, "pthread_sigmask") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    handlers = {}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPT_SIGNALS)
    try:
        for sig in INTERRUPT_SIGNALS:
            handler = signal.getsignal(sig)
            if handler is not signal.SIG_IGN and handler is not None:
                handlers[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a signal held here is noted now
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)  # to this thread: the restored handler (or default action) acts


def atomic_write(path: str, data: str | bytes, mode: int | None = None, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` in one step. ``durable=False`` skips the fsync: still atomic
    for readers, but a power loss may leave an empty file (the cache validates its entries).
    An interrupt arriving meanwhile takes effect once the write has finished or been undone."""
    import tempfile  # here, not at module level: nbguard.api imports this module on every start

    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    with _signals_deferred():
        fd, tmp = tempfile.mkstemp(prefix=".nbguard-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
            _set_mode(tmp, path, mode)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def _set_mode(tmp: str, path: str, mode: int | None) -> None:
    """The replacement keeps the old file's permissions (a new file: the umask's)."""
    if mode is not None:
        os.chmod(tmp, mode)
    elif os.path.exists(path):
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)


@contextlib.contextmanager
def atomic_open(path: str, mode: int | None = None):
    """A binary file whose content replaces ``path`` in one step when the block ends normally.

    For a report written while it is produced (a streamed run's report can be larger than the
    memory of the machine writing it): an exception, Ctrl-C included, removes the temp file and
    leaves ``path`` as it was, so a reader never sees half a report."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        with _signals_deferred():  # mkstemp and the assignment that arms the cleanup, uninterrupted
            fd, tmp = tempfile.mkstemp(prefix=".nbguard-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _set_mode(tmp, path, mode)
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
