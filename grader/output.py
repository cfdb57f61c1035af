"""Writing an output folder safely: every file atomically, and one run at a time.

- `write_atomic` writes a temporary file beside the target and renames it over the target: a
  reader (a TA's browser, a spreadsheet, a second run) sees the old file or the new one, never
  half of one, and a run killed mid-write leaves the old file intact.
- `OutputLock` is an exclusive lock on `<out>/.grader.lock` for the whole run (flock: released by
  the kernel when the process dies, however it dies). A second run into the same folder is
  refused at once with a clear message, instead of two runs rewriting one gradebook.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

LOCK_NAME = ".grader.lock"


def write_atomic(path: Path, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write only when the content differs (a rerun keeps files, and their times, untouched)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if Path(path).read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True


_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:  # read once: os.umask can only be read by setting it
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


class OutputBusy(Exception):
    """Another run holds the output folder."""


class OutputLock:
    """`with OutputLock(out):` holds the folder for one run; raises OutputBusy if another run has it."""

    def __init__(self, out: Path):
        self.path = Path(out) / LOCK_NAME
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputBusy(f"{self.path.parent}: another grader run is writing this folder; wait for it "
                             "to finish, or choose another --out") from None
        from grader.processes import parent_only

        parent_only(fd)  # a worker forked during the run closes its copy: the lock dies with the run
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            from grader.processes import forget

            forget(self.fd)
            os.close(self.fd)  # closing releases the lock; the file stays (removing it would race)
            self.fd = None
