"""Child processes that grade: killed at a time limit, capped in memory, and never outliving the
run that started them.

- `child_setup()` runs first in every child: on Linux it asks the kernel to kill the child when
  its parent dies (prctl PR_SET_PDEATHSIG through ctypes: this covers SIGKILL of the parent,
  which no handler can catch), checks the parent did not die before that, caps the address space,
  and closes the descriptors that belong to the parent only (its end of every other worker's pipe,
  the output folder's lock): a forked child keeps a copy of every descriptor, and a pipe end
  kept open by a sibling is what left workers blocked forever when a batch died.
- `start(proc)` starts one with the parent's heap frozen out of the garbage collector (a forked
  child that walks it copies it, page by page).
- `call_with_timeout(fn, *args, timeout=...)` runs one function in such a child and returns its
  value, or raises `ChildFailed` (time limit, crash, memory) with a reason for a person: the
  one-file `grade`, `check` and `gradescope run` hold `--timeout` this way.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

MEMORY_BYTES = 4 * 1024 ** 3  # address-space cap of a child: a hostile file cannot eat the machine

_PARENT_ONLY: set[int] = set()  # descriptors a forked child closes at once


def parent_only(fd: int) -> None:
    """Mark a descriptor of this process that a forked child must not keep open."""
    _PARENT_ONLY.add(fd)


def forget(fd: int) -> None:
    _PARENT_ONLY.discard(fd)


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request above: nobody is waiting
        os._exit(1)


def _cap_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as statm:  # a forked child starts with its parent's mappings
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = max(MEMORY_BYTES, mapped + MEMORY_BYTES // 2)
        cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, ValueError, OSError):
        pass


def child_setup(parent: int, keep: tuple[int, ...] = ()) -> None:
    """First thing in every child process (see the module's docstring)."""
    _die_with_parent(parent)
    for fd in list(_PARENT_ONLY):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    _PARENT_ONLY.clear()
    _cap_memory()


def start(proc) -> None:
    """Start a child process with this process's objects frozen out of the garbage collector
    (gc.freeze) while it forks: the child's collections then never walk the heap it inherited
    (work, and pages copied one by one); this process's collector is as before afterwards."""
    gc.freeze()
    try:
        proc.start()
    finally:
        gc.unfreeze()


def context():
    """fork where it is safe (quick: the child inherits loaded modules); spawn when this process
    runs other threads, since forking one that holds a lock in another thread can deadlock."""
    single = threading.active_count() == 1 and "fork" in mp.get_all_start_methods()
    return mp.get_context("fork" if single else "spawn")


class ChildFailed(Exception):
    """The child did not return a value: too slow, crashed, or out of memory."""


class ChildRaised(Exception):
    """The function raised in the child (a bug, not the file's fault): its type, message and place."""


def _run_child(conn, parent: int, fn: Callable, args: tuple) -> None:
    child_setup(parent, keep=(conn.fileno(),))
    try:
        conn.send((True, fn(*args)))
    except BaseException as exc:  # reported in the parent, which decides what it means
        conn.send((False, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"))
    finally:
        conn.close()


def call_with_timeout(fn: Callable, *args: Any, timeout: float | None) -> Any:
    """fn(*args) in a child process killed after `timeout` seconds (None: no limit).
    An exception inside fn comes back as ChildRaised with its message."""
    ctx = context()
    mine, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run_child, args=(theirs, os.getpid(), fn, args), daemon=True)
    parent_only(mine.fileno())
    try:
        start(proc)
        theirs.close()
        ready = mine.poll(timeout)
        if not ready:
            raise ChildFailed(f"it took longer than {timeout:g} s and was stopped")
        try:
            ok, value = mine.recv()
        except (EOFError, OSError):
            proc.join(5)
            raise ChildFailed(f"the grader's process stopped while reading it (exit code {proc.exitcode})") from None
        if not ok:
            raise ChildRaised(value)
        return value
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        forget(mine.fileno())
        mine.close()
