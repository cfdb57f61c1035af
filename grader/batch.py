"""Grade many submissions: in parallel, resumable, and one bad submission never stops the batch.

A run, top-down:

1. each submission is hashed (`grader.cache`); a cache hit is loaded, not graded again;
2. the misses go to worker processes, one submission at a time; each worker loads the rubric and
   key once and stores every result it makes in the cache;
3. every result, cached or fresh, gets the TA overrides applied here, after the cache, so an
   override always wins and a changed overrides file never forces a regrade;
4. `<out>/<id>/result.json` and `feedback.html` are written when their content changes
   (grader/report/folder.py, which then writes the run's gradebook, similarity and summary).

Workers are plain processes fed through pipes, not a ProcessPoolExecutor: a worker that crashes
(a segfault in a PDF library, the memory cap) or outlives the time limit is killed and replaced,
and only its own submission is reported; a crash in an executor breaks the whole pool. With a
time limit even a single submission is graded in a worker, so `--timeout` holds on every path.
Workers die with the run (grader/processes.py): killed by SIGKILL or SIGTERM, a batch leaves no
process behind.
"""

from __future__ import annotations

import os
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from grader import processes
from grader.cache import ResultCache, Uncacheable, dump_result, load_result, run_fingerprint, submission_key
from grader.ingest.limits import DEFAULT_LIMITS, Limits
from grader.ingest.submission import Submission
from grader.key import Key, load_key
from grader.pipeline import Result, grade_submission
from grader.report.folder import write_submission
from grader.rubric import Rubric, load_rubric
from grader.score import ComponentResult, Override, apply_overrides, combine

DEFAULT_TIMEOUT = 120.0  # seconds of wall clock for one submission in a worker


@dataclass
class BatchOutcome:
    results: list[Result]  # one per submission, also for those that could not be graded (all needs_review)
    failures: list[dict[str, Any]]  # {"submission", "reason", "students"}: could not be graded at all
    cached: int = 0
    graded: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # grading time of each freshly graded submission
    written: set[str] = field(default_factory=set)  # ids whose result.json and feedback.html are up to date
    notes: list[str] = field(default_factory=list)  # for the TA: cache entries discarded, results left out


# ---------------------------------------------------------------- one submission

def _grade_one(sub: Submission, rubric: Rubric, key: Key, overrides: list[Override], limits: Limits) -> Result | str:
    try:
        return grade_submission(sub, rubric, key, overrides, limits)
    except Exception as exc:  # a grader bug on one file is reported, and the batch goes on
        return f"internal error while grading ({type(exc).__name__}: {exc}); {traceback.format_exc(limit=-1).strip()}"


def _grade_and_store(sub: Submission, key_hash: str | None, rubric: Rubric, key: Key, limits: Limits,
                     store: ResultCache | None) -> Result | str:
    """Grade without overrides (they are applied after the cache) and remember the result."""
    outcome = _grade_one(sub, rubric, key, [], limits)
    if isinstance(outcome, Result) and store is not None and key_hash is not None:
        try:
            store.put(sub.id, key_hash, dump_result(outcome))
        except (Uncacheable, OSError):
            pass  # graded again next run: slower, never wrong
    return outcome


def failed_result(sub: Submission, rubric: Rubric, reason: str) -> Result:
    """A submission the grader could not process: every part awaits a TA, with the reason."""
    feedback = f"Could not be graded automatically: {reason}. A TA will grade it from your files."
    parts = []
    for part in rubric.parts:
        components = [ComponentResult(id=c.id, kind=c.kind, max_score=c.points, score=0.0, status="needs_review",
                                      feedback=feedback) for c in part.components]
        parts.append(combine(part.id, part.title, part.points, components, part.visibility))
    return Result(submission=sub.id, students=sub.students, files=sub.names(), rubric=rubric, parts=parts,
                  problems=[reason], error=reason, source=str(sub.root.resolve()))


# ---------------------------------------------------------------- worker processes

# Set in the parent just before forking workers; a spawned worker starts without it and loads its own.
_FORKED: dict[str, Any] = {}


def _worker_main(conn, rubric_path: str, limits: Limits, cache_folder: str | None,
                 out: str | None, overrides: list[Override], parent: int) -> None:
    processes.child_setup(parent, keep=(conn.fileno(),))
    if _FORKED.get("rubric_path") == rubric_path:  # forked: the parent's rubric and key are already here
        rubric, key = _FORKED["rubric"], _FORKED["key"]
    else:
        rubric = load_rubric(rubric_path)
        key = load_key(rubric)
    store = ResultCache(Path(cache_folder)) if cache_folder else None
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, sub, key_hash = task
        started = time.perf_counter()
        outcome = _grade_and_store(sub, key_hash, rubric, key, limits, store)
        written = False
        if isinstance(outcome, Result) and out is not None:
            # overrides and the submission's own pages here, in parallel, not in the parent
            mine = _overrides_for(sub.id, list(overrides))
            outcome.problems += apply_overrides(sub.id, outcome.parts, mine, sub.files)
            write_submission(outcome, Path(out), key, store, key_hash, mine)
            for part in outcome.parts:  # only its page needed these; the parent keeps the rest
                for component in part.components:
                    component.render = {}
            written = True
        if isinstance(outcome, Result):
            outcome.rubric = None  # the parent has it; do not pickle it for every submission
        conn.send((index, (outcome, written), time.perf_counter() - started))


class _Worker:
    def __init__(self, ctx, args: tuple, target: Callable):
        self.conn, child = ctx.Pipe()
        # its pipe end is this process's alone: a sibling forked later closes its copy at once,
        # so that this worker sees the end of the pipe when the batch is gone
        processes.parent_only(self.conn.fileno())
        self.proc = ctx.Process(target=target, args=(child, *args), daemon=True)
        processes.start(self.proc)
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def assign(self, index: int, payload: tuple) -> None:
        self.task, self.started = index, time.monotonic()
        self.conn.send(payload)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        processes.forget(self.conn.fileno())
        self.conn.close()


def _single_threaded_libraries():
    """Workers are the parallelism: BLAS or OpenMP threads inside each would only fight for cores."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    for n in names:
        os.environ.setdefault(n, "1")
    return saved


def _restore_env(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _run_workers(todo: list[tuple[Submission, str | None]], rubric: Rubric, limits: Limits,
                 cache_folder: Path | None, jobs: int, timeout: float | None,
                 on_done: Callable[[int, tuple[Result | str, bool], float], None], target: Callable = _worker_main,
                 key: Key | None = None, out: Path | None = None, overrides: list[Override] = ()) -> None:
    ctx = processes.context()
    single = ctx.get_start_method() == "fork"
    _FORKED.clear()
    if single and key is not None:  # loading the rubric again costs about a second per worker
        _FORKED.update(rubric_path=str(rubric.path), rubric=rubric, key=key)
    args: tuple = (str(rubric.path), limits, str(cache_folder) if cache_folder else None)
    if target is _worker_main:
        args += (str(out) if out is not None else None, list(overrides), os.getpid())
    pending = deque(range(len(todo)))
    saved = _single_threaded_libraries()
    try:
        workers = [_Worker(ctx, args, target) for _ in range(min(jobs, len(todo)))]
    finally:
        _restore_env(saved)
    try:
        while True:
            for w in workers:
                if w.task is None and pending:
                    index = pending.popleft()
                    sub, key_hash = todo[index]
                    w.assign(index, (index, sub, key_hash))
            busy = [w for w in workers if w.task is not None]
            if not busy:
                break
            wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=1.0)
            for i, w in enumerate(workers):
                if w.task is None:
                    continue
                reason = None
                if w.conn.poll():
                    try:
                        index, (outcome, written), seconds = w.conn.recv()
                    except (EOFError, OSError):
                        reason = f"the grader's worker process stopped while reading it (exit code {w.proc.exitcode})"
                    else:
                        w.task = None
                        on_done(index, (outcome, written), seconds)
                        continue
                elif not w.proc.is_alive():
                    reason = f"the grader's worker process stopped while reading it (exit code {w.proc.exitcode})"
                elif timeout and time.monotonic() - w.started > timeout:
                    reason = f"grading took longer than {timeout:g} s and was stopped"
                if reason is None:
                    continue
                index, seconds = w.task, time.monotonic() - w.started
                w.stop(kill=True)
                saved = _single_threaded_libraries()
                try:
                    workers[i] = _Worker(ctx, args, target)
                finally:
                    _restore_env(saved)
                on_done(index, (reason, False), seconds)
    finally:
        for w in workers:
            w.stop(kill=w.task is not None)


# ---------------------------------------------------------------- the batch

def _overrides_for(submission_id: str, overrides: list[Override]) -> list[Override]:
    return [o for o in overrides if o.submission == submission_id]


def grade_all(subs: list[Submission], rubric: Rubric, key: Key, overrides: list[Override] = (),
              jobs: int = 1, limits: Limits = DEFAULT_LIMITS, progress=None, *,
              cache_dir: Path | None = None, out: Path | None = None,
              timeout: float | None = DEFAULT_TIMEOUT) -> BatchOutcome:
    """Grade `subs`; with `cache_dir`, reuse unchanged results; with `out`, write each submission's
    result.json and feedback.html as soon as it is done (`write_reports` then skips them).
    With `timeout`, every submission is graded in a worker process stopped at the limit."""
    overrides = list(overrides)
    outcome = BatchOutcome([], [])
    store = ResultCache(Path(cache_dir)) if cache_dir is not None else None
    run_fp = run_fingerprint(rubric, limits) if store is not None else None
    keys: dict[str, str | None] = {}

    def finish(sub: Submission, result: Result | str, cached: bool, seconds: float | None = None,
               written: bool = False) -> None:
        """`written`: a worker already applied the overrides and wrote the submission's pages."""
        if isinstance(result, str):
            outcome.failures.append({"submission": sub.id, "reason": result, "students": sub.students})
            result = failed_result(sub, rubric, result)
        else:
            result.rubric = rubric
            if not written:
                result.problems += apply_overrides(sub.id, result.parts, _overrides_for(sub.id, overrides),
                                                   sub.files)
        if cached:
            outcome.cached += 1
        else:
            outcome.graded += 1
            if seconds is not None:
                outcome.seconds[sub.id] = seconds
        outcome.results.append(result)
        if written:
            outcome.written.add(sub.id)
        elif out is not None:
            failed = bool(outcome.failures) and outcome.failures[-1]["submission"] == sub.id
            write_submission(result, Path(out), key, store, None if failed else keys.get(sub.id),
                             _overrides_for(sub.id, overrides))
            outcome.written.add(sub.id)
        if progress:
            progress(sub.id)

    todo: list[tuple[Submission, str | None]] = []
    for sub in subs:
        key_hash = submission_key(sub, run_fp, limits) if store is not None and run_fp else None
        keys[sub.id] = key_hash
        dumped = store.get(sub.id, key_hash) if store is not None and key_hash else None
        loaded = None
        if dumped is not None:
            try:
                loaded = load_result(dumped, rubric)
            except (TypeError, KeyError, ValueError, AttributeError) as exc:  # checked, not trusted
                store.reject(sub.id, f"it does not fit the rubric: {exc}")
        if loaded is not None:
            loaded.source = str(sub.root.resolve())  # the folder may have moved since it was cached
            finish(sub, loaded, cached=True)
        else:
            todo.append((sub, key_hash))

    if len(todo) == 1 and not timeout:  # no limit to hold: not worth a process
        sub, key_hash = todo[0]
        started = time.perf_counter()
        finish(sub, _grade_and_store(sub, key_hash, rubric, key, limits, store), False,
               time.perf_counter() - started)
    elif todo:
        _run_workers(todo, rubric, limits, store.folder if store else None, max(1, jobs), timeout,
                     lambda index, done, seconds: finish(todo[index][0], done[0], False, seconds, done[1]),
                     key=key, out=Path(out) if out is not None else None, overrides=overrides)
    outcome.results.sort(key=lambda r: r.submission)
    outcome.failures.sort(key=lambda f: f["submission"])
    if store is not None:
        outcome.notes += store.notes
    return outcome
